/*
 * Unit tests for dfuse.c and dfgraph.c under the classic builder
 * (BUILDER_CLASSIC, Docker Engine 28.2.2's legacy builder): for each
 * instruction form, the exact set of context entries marked as put in a
 * layer (L) or read by a mount (M), or the error the builder refuses the
 * Dockerfile with.  Where BuildKit differs, its answer is pinned next to
 * the classic one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "dfuse.h"

/*
 * The context: space-separated paths ('~' stands for a space); "x/" is a
 * directory, "x->t" a symbolic link to t, anything else a file.
 */
static void
build(struct entry_list *l, const char *spec)
{
	char *s = strdup(spec), *tok, *save = NULL;

	assert_non_null(s);
	entry_list_init(l);
	for (tok = strtok_r(s, " \n", &save); tok != NULL;
	    tok = strtok_r(NULL, " \n", &save)) {
		size_t n = strlen(tok), k;
		char *arrow = strstr(tok, "->");
		struct entry *e;

		for (k = 0; k < n; k++)
			if (tok[k] == '~')
				tok[k] = ' ';
		if (arrow != NULL) {
			e = entry_list_add(l, tok, (size_t)(arrow - tok), NULL);
			assert_non_null(e);
			e->type = ENTRY_LINK;
			e->link = strdup(arrow + 2);
			assert_non_null(e->link);
		} else if (tok[n - 1] == '/') {
			e = entry_list_add(l, tok, n - 1, NULL);
			assert_non_null(e);
			e->type = ENTRY_DIR;
		} else {
			e = entry_list_add(l, tok, n, NULL);
			assert_non_null(e);
			e->type = ENTRY_FILE;
		}
	}
	free(s);
	entry_list_sort(l);
}

/* "L: a b | M: c | whole [layer]", or "ERR message". */
static char *
analyze_opt(const char *df, const char *ctx, const struct buildplan_options *o)
{
	static char out[8192];
	struct entry_list l;
	struct dfuse u;
	struct ctx_error err;
	size_t i, n = 0;
	int pass;

	build(&l, ctx);
	if (dfuse_analyze(df, strlen(df), "Dockerfile", o, &l, &u, &err) ==
	    -1) {
		snprintf(out, sizeof(out), "ERR %s", err.msg);
		assert_null(u.use);
		entry_list_free(&l);
		return out;
	}
	assert_int_equal(u.n, l.n);
	for (pass = 0; pass < 2; pass++) {
		unsigned bit = pass == 0 ? DFUSE_LAYER : DFUSE_MOUNT;

		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s:",
		    pass ? " | " : "", pass ? "M" : "L");
		for (i = 0; i < l.n; i++) {
			if (u.use[i] & bit)
				n += (size_t)snprintf(out + n, sizeof(out) - n,
				    " %s", l.v[i].path);
			assert_true((u.use[i] != 0) == (u.line[i] != 0));
		}
	}
	if (u.whole)
		n += (size_t)snprintf(out + n, sizeof(out) - n, " | whole%s",
		    u.whole_layer ? " layer" : "");
	dfuse_free(&u);
	entry_list_free(&l);
	return out;
}

/* The classic builder with a target and build args. */
static char *
classic_with(const char *df, const char *ctx, const char *target,
    const char *const *args, size_t nargs)
{
	struct buildplan_options o = { target, args, nargs, NULL, 0,
	    BUILDER_CLASSIC };

	return analyze_opt(df, ctx, &o);
}

#define USE(df, ctx, want) \
	assert_string_equal(classic_with(df, ctx, NULL, NULL, 0), (want))
#define USE_T(df, ctx, t, want) \
	assert_string_equal(classic_with(df, ctx, t, NULL, 0), (want))
#define USE_A(df, ctx, args, want) \
	assert_string_equal(classic_with(df, ctx, NULL, args, \
	    sizeof(args) / sizeof(args[0])), (want))
/* BuildKit's answer, where it differs */
#define BK(df, ctx, want) \
	assert_string_equal(analyze_opt(df, ctx, NULL), (want))

#define NEEDS_BK " option requires BuildKit. Refer to " \
	"https://docs.docker.com/go/buildkit/ to learn how to build images " \
	"with BuildKit enabled"

/* A small project: code, configuration with a dot file, docs, secrets. */
#define CTX "Dockerfile .dockerignore .env README.md app/ app/main.py " \
	"app/util.py app/tests/ app/tests/test_main.py conf/ conf/.env " \
	"conf/app.ini docs/ docs/a.md docs/keep.md docs/img/ docs/img/x.png " \
	"docs/img/y.md my~file.txt web/ web/index.html"
#define APP "app app/main.py app/tests app/tests/test_main.py app/util.py"
#define DOCS "docs docs/a.md docs/img docs/img/x.png docs/img/y.md " \
	"docs/keep.md"

static void
test_copy_file_and_dir(void **state)
{
	(void)state;
	USE("FROM alpine\nCOPY app/main.py /srv/\n", CTX,
	    "L: app app/main.py | M:");
	USE("FROM alpine\nCOPY app /srv/app\n", CTX, "L: " APP " | M:");
	/* a source without wildcards is cleaned (filepath.Join) */
	USE("FROM alpine\nCOPY ./web/ conf/. app/../README.md /srv/\n", CTX,
	    "L: README.md conf conf/.env conf/app.ini web web/index.html | M:");
	USE("FROM alpine\nCOPY /README.md /x\n", CTX, "L: README.md | M:");
	/* one leading "/" is cut, then the rest is joined to the root: a
	 * path that climbs out of it is refused, where BuildKit cleans it
	 * to /README.md */
	USE("FROM alpine\nCOPY ../README.md /x\n", CTX, "ERR Dockerfile:2: "
	    "COPY failed: source ../README.md is outside the build context");
	BK("FROM alpine\nCOPY ../README.md /x\n", CTX, "L: README.md | M:");
	USE("FROM alpine\nADD /../.env /x\n", CTX, "ERR Dockerfile:2: "
	    "ADD failed: source /../.env is outside the build context");
	USE("FROM alpine\nCOPY --from=nginx ../x /y\n", CTX,
	    "ERR Dockerfile:2: COPY failed: source ../x is outside the "
	    "build context");
	/* a source that names nothing uses nothing */
	USE("FROM alpine\nCOPY nothere /x\n", CTX, "L: | M:");
	USE("FROM alpine\nADD README.md /x\n", CTX, "L: README.md | M:");
}

static void
test_copy_dot(void **state)
{
	(void)state;
	USE("FROM alpine\nWORKDIR /app\nCOPY . .\n", CTX,
	    "L: .dockerignore .env Dockerfile README.md " APP " conf "
	    "conf/.env conf/app.ini " DOCS " my file.txt web web/index.html"
	    " | M: | whole layer");
	assert_non_null(strstr(classic_with("FROM a\nCOPY ./ /x/\n", CTX, NULL,
	    NULL, 0), "| whole layer"));
	assert_non_null(strstr(classic_with("FROM a\nCOPY / /x/\n", CTX, NULL,
	    NULL, 0), "| whole layer"));
	USE("FROM alpine\nCOPY . .\n", "", "L: | M: | whole layer");
}

static void
test_wildcards(void **state)
{
	(void)state;
	/* `*` matches dot files */
	USE("FROM alpine\nCOPY conf/* /etc/app/\n", CTX,
	    "L: conf conf/.env conf/app.ini | M:");
	USE("FROM alpine\nCOPY *.md /x/\n", CTX, "L: README.md | M:");
	USE("FROM alpine\nCOPY docs/*/*.md /x/\n", CTX,
	    "L: docs docs/img docs/img/y.md | M:");
	USE("FROM alpine\nCOPY ap? /x/\n", CTX, "L: " APP " | M:");
	USE("FROM alpine\nCOPY .e* /x/\n", CTX, "L: .env | M:");
	USE("FROM alpine\nCOPY * /x/\n", "a b/ b/c", "L: a b b/c | M:");
	/* one "/" and one "./" are cut */
	USE("FROM alpine\nCOPY ./conf/*.ini /conf/\n", CTX,
	    "L: conf conf/app.ini | M:");
	USE("FROM alpine\nCOPY /conf/*.ini /conf/\n", CTX,
	    "L: conf conf/app.ini | M:");
	/* but a pattern is not cleaned: these match nothing, BuildKit
	 * cleans them first */
	USE("FROM alpine\nCOPY conf//*.ini /conf/\n", CTX, "L: | M:");
	BK("FROM alpine\nCOPY conf//*.ini /conf/\n", CTX,
	    "L: conf conf/app.ini | M:");
	USE("FROM alpine\nCOPY docs/img/../*.md /d/\n", CTX, "L: | M:");
	BK("FROM alpine\nCOPY docs/img/../*.md /d/\n", CTX,
	    "L: docs docs/a.md docs/keep.md | M:");
	USE("FROM alpine\nCOPY .//conf/*.ini /conf/\n", CTX, "L: | M:");
	USE("FROM alpine\nCOPY docs/*/ /d/\n", CTX, "L: | M:");
	/* the walk follows no link: no match below a linked directory */
	USE("FROM alpine\nCOPY lnk/*.py /x/\n", "d/ d/a.py d/b.txt lnk->d",
	    "L: | M:");
	BK("FROM alpine\nCOPY lnk/*.py /x/\n", "d/ d/a.py d/b.txt lnk->d",
	    "L: d d/a.py lnk | M:");
	/* a link that matches is followed; links below a match are not */
	USE("FROM alpine\nCOPY d* /x/\n", "d1->t t/ t/f d2/ d2/l->../t",
	    "L: d1 d2 d2/l t t/f | M:");
	/* escapes and bad patterns, as filepath.Match reads them */
	USE("FROM alpine\nCOPY app/\\*.py /x/\n", "app/ app/*.py app/a.py",
	    "L: app app/*.py app/a.py | M:");
	USE("FROM alpine\nCOPY app/\\\\*.py /x/\n", "app/ app/*.py app/a.py",
	    "L: | M:");
	USE("FROM alpine\nCOPY app/[ /x/\n", "app/ app/[", "L: | M:");
	/* a pattern that climbs out matches nothing, and is not refused */
	USE("FROM alpine\nCOPY ../*.md README.md /x/\n", CTX,
	    "L: README.md | M:");
}

static void
test_json_form(void **state)
{
	(void)state;
	USE("FROM alpine\nCOPY [\"my file.txt\", \"/x\"]\n", CTX,
	    "L: my file.txt | M:");
	USE("FROM alpine\nCOPY [\"app/main.py\", \"conf/*.ini\", \"/x/\"]\n",
	    CTX, "L: app app/main.py conf conf/app.ini | M:");
	USE("FROM alpine\nENV F=\"my file\"\nCOPY [\"$F.txt\", \"/x\"]\n",
	    CTX, "L: my file.txt | M:");
	USE("FROM alpine\nCOPY my file.txt /x/\n", "my my~file.txt file.txt",
	    "L: file.txt my | M:");
}

static void
test_not_from_context(void **state)
{
	const char *git = "app/ app/main.py git:/ git:/h/ git:/h/app "
	    "git@github.com:a/ git@github.com:a/app.git";

	(void)state;
	/* heredocs are skipped; with nothing else, COPY fails */
	USE("FROM alpine\nCOPY <<EOF /x\nCOPY .env /\nEOF\n", CTX,
	    "ERR Dockerfile:2: COPY failed: no source files were specified");
	BK("FROM alpine\nCOPY <<EOF /x\nCOPY .env /\nEOF\n", CTX, "L: | M:");
	USE("FROM alpine\nADD <<EOF /x\nhi\nEOF\n", CTX,
	    "ERR Dockerfile:2: ADD failed: no source files were specified");
	USE("FROM alpine\nCOPY <<EOF README.md /x/\nhi\nEOF\n", CTX,
	    "L: README.md | M:");
	/* and not expanded */
	USE("FROM alpine\nCOPY <<EOF README.md /x/\n${X:?unset}\nEOF\n", CTX,
	    "L: README.md | M:");
	/* COPY --from an image or a stage; an empty --from is the context */
	USE("FROM alpine\nCOPY --from=nginx:latest /etc/nginx /x\n", CTX,
	    "L: | M:");
	USE("FROM alpine AS b\nRUN make\nFROM alpine\nCOPY --from=b .env /x\n",
	    CTX, "L: | M:");
	USE("FROM alpine AS b\nFROM alpine\nCOPY --from=0 . /x\n", CTX,
	    "L: | M:");
	USE("FROM alpine\nCOPY --from= .env /x\n", CTX, "L: .env | M:");
	/* ADD downloads http(s) URLs, even one that names a git repo */
	USE("FROM alpine\nADD https://example.com/app /x\n"
	    "ADD http://example.com/.env https://github.com/a/b.git#main /y/\n",
	    CTX, "L: | M:");
	/* other git references are paths of the context */
	USE("FROM alpine\nADD git://h/app /z\n", git, "L: git: git:/h "
	    "git:/h/app | M:");
	BK("FROM alpine\nADD git://h/app /z\n", git, "L: | M:");
	USE("FROM alpine\nADD git@github.com:a/app.git /x\n", git,
	    "L: git@github.com:a git@github.com:a/app.git | M:");
	USE("FROM alpine\nCOPY git@github.com:a/app.git /x\n", git,
	    "L: git@github.com:a git@github.com:a/app.git | M:");
	BK("FROM alpine\nCOPY git@github.com:a/app.git /x\n", git,
	    "ERR Dockerfile:2: source can't be a git ref for COPY");
	/* COPY refuses URLs, like BuildKit */
	USE("FROM alpine\nCOPY https://x/y /\n", CTX,
	    "ERR Dockerfile:2: COPY failed: source can't be a URL for COPY");
	/* --checksum is not checked (BuildKit refuses it for a local file) */
	USE("FROM alpine\nADD --checksum=sha256:0 README.md /x\n", CTX,
	    "L: README.md | M:");
	BK("FROM alpine\nADD --checksum=sha256:0 README.md /x\n", CTX,
	    "ERR Dockerfile:2: checksum can't be specified for local sources");
	/* there are no named contexts: the stage is built */
	{
		const char *named[] = { "deps" };
		const char *df = "FROM alpine AS deps\nCOPY conf /conf\n"
		    "FROM alpine\nCOPY --from=deps /conf /c\n"
		    "COPY app/main.py /\n";
		struct buildplan_options o = { NULL, NULL, 0, named, 1,
		    BUILDER_CLASSIC };

		assert_string_equal(analyze_opt(df, CTX, &o),
		    "L: app app/main.py conf conf/.env conf/app.ini | M:");
		o.builder = BUILDER_BUILDKIT;
		assert_string_equal(analyze_opt(df, CTX, &o),
		    "L: app app/main.py | M:");
	}
}

static void
test_flags(void **state)
{
	(void)state;
	/* Engine 28.2.2's parser has no --exclude nor --parents (labs only):
	 * the whole file is refused, whatever stage holds them */
	USE("FROM alpine\nCOPY --exclude=*.md docs /d/\n", CTX,
	    "ERR Dockerfile:2: unknown flag: exclude");
	BK("FROM alpine\nCOPY --exclude=*.md docs /d/\n", CTX,
	    "L: docs docs/img docs/img/x.png docs/img/y.md | M:");
	USE_T("FROM alpine AS a\nCOPY app /a\nFROM alpine\n"
	    "COPY --parents app/*.py /x/\n", CTX, "a",
	    "ERR Dockerfile:4: unknown flag: parents");
	USE("FROM alpine\nADD --exclude=x docs /d/\n", CTX,
	    "ERR Dockerfile:2: unknown flag: exclude");
	USE("FROM alpine\nADD --unpack=true README.md /d/\n", CTX,
	    "ERR Dockerfile:2: unknown flag: unpack");
	USE("FROM alpine\nRUN --security=insecure true\nFROM alpine\n", CTX,
	    "ERR Dockerfile:2: unknown flag: security");
	/* --chmod needs BuildKit; an empty one is no --chmod */
	USE("FROM alpine\nCOPY --chmod=644 app /a\n", CTX,
	    "ERR Dockerfile:2: the --chmod" NEEDS_BK);
	USE("FROM alpine\nADD --chmod=644 README.md /a\n", CTX,
	    "ERR Dockerfile:2: the --chmod" NEEDS_BK);
	USE("FROM alpine\nCOPY --chmod= app/main.py /a\n", CTX,
	    "L: app app/main.py | M:");
	/* --link, --chown, --keep-git-dir change nothing */
	USE("FROM alpine\nCOPY --link --chown=1:1 app/main.py /a\n"
	    "ADD --keep-git-dir README.md /r\n", CTX,
	    "L: README.md app app/main.py | M:");
}

static void
test_run(void **state)
{
	(void)state;
	/* RUN takes no flag: a mount fails the build */
	USE("FROM alpine\nRUN --mount=type=bind,source=app,target=/a "
	    "python /a/main.py\n", CTX, "ERR Dockerfile:2: the --mount"
	    NEEDS_BK);
	BK("FROM alpine\nRUN --mount=type=bind,source=app,target=/a "
	    "python /a/main.py\n", CTX, "L: | M: " APP);
	USE("FROM alpine\nRUN --mount=type=cache,target=/c true\n", CTX,
	    "ERR Dockerfile:2: the --mount" NEEDS_BK);
	USE("FROM alpine\nRUN --network=none true\n", CTX,
	    "ERR Dockerfile:2: the --network" NEEDS_BK);
	/* ... but only in a stage that is built */
	USE_T("FROM alpine AS a\nCOPY app/main.py /\nFROM alpine\n"
	    "RUN --mount=target=/c true\n", CTX, "a",
	    "L: app app/main.py | M:");
	/* in a RUN heredoc, COPY is not an instruction */
	USE("FROM alpine\nRUN <<EOF\nCOPY .env /\nEOF\n", CTX, "L: | M:");
}

static void
test_stages(void **state)
{
	const char *df =
	    "FROM alpine AS secrets\n"		/* built: before the target */
	    "COPY .env /\n"
	    "FROM alpine AS build\n"
	    "COPY app /src\n"
	    "FROM build AS test\n"
	    "COPY docs /docs\n"
	    "FROM nginx\n"
	    "COPY --from=build /src /srv\n"
	    "COPY web /usr/share/nginx/html\n";

	(void)state;
	/* every stage up to the target is built, used or not */
	USE(df, CTX, "L: .env " APP " " DOCS " web web/index.html | M:");
	BK(df, CTX, "L: " APP " web web/index.html | M:");
	USE_T(df, CTX, "test", "L: .env " APP " " DOCS " | M:");
	USE_T(df, CTX, "SECRETS", "L: .env | M:");
	USE_T(df, CTX, "nope",
	    "ERR Dockerfile: failed to reach build target nope in Dockerfile");
	USE("FROM alpine AS helper\nCOPY conf /c\nFROM alpine\n"
	    "COPY app/main.py /\n", CTX,
	    "L: app app/main.py conf conf/.env conf/app.ini | M:");
	/* ONBUILD triggers of a base stage run in the child only */
	USE("FROM alpine AS base\nONBUILD COPY conf /conf\nFROM base\n", CTX,
	    "L: conf conf/.env conf/app.ini | M:");
	USE("FROM alpine AS base\nONBUILD COPY conf /conf\nFROM alpine\n", CTX,
	    "L: | M:");
	/* ... and are refused like the file's own instructions */
	USE("FROM alpine AS base\nONBUILD COPY --exclude=x conf /conf\n"
	    "FROM base\n", CTX, "ERR Dockerfile:3: unknown flag: exclude");
	USE("FROM alpine AS base\nONBUILD RUN --mount=target=/x true\n"
	    "FROM base\n", CTX, "ERR Dockerfile:3: the --mount" NEEDS_BK);
	/* a stage name used twice, when both stages are built */
	USE("FROM alpine AS a\nFROM alpine AS A\nCOPY app/main.py /\n", CTX,
	    "ERR Dockerfile:2: a stage name already used");
	USE_T("FROM alpine AS a\nCOPY README.md /\nFROM alpine AS a\n", CTX,
	    "A", "L: README.md | M:");
	/* FROM names an earlier stage in any case */
	USE("FROM alpine AS base\nENV S=web\nFROM BASE\nCOPY $S /x\n", CTX,
	    "L: web web/index.html | M:");
	BK("FROM alpine AS base\nENV S=web\nFROM BASE\nCOPY $S /x\n", CTX,
	    "ERR Dockerfile:3: failed to parse stage name \"BASE\": invalid "
	    "reference format: repository name must be lowercase");
}

static void
test_copy_from(void **state)
{
	(void)state;
	/* an index must name a stage already built */
	USE("FROM alpine\nFROM alpine\nCOPY --from=1 /x /y\n", CTX,
	    "ERR Dockerfile:3: invalid from flag value 1: refers to current "
	    "build stage");
	USE("FROM alpine\nCOPY --from=5 /x /y\n", CTX,
	    "ERR Dockerfile:2: invalid from flag value 5: index out of bounds");
	/* a name not built yet is an image, not an error */
	USE("FROM alpine\nCOPY --from=later /x /y\nCOPY app/main.py /\n"
	    "FROM alpine AS later\n", CTX, "L: app app/main.py | M:");
	/* --from is not expanded: "$X" is an image name */
	USE("FROM alpine\nCOPY --from=$X a /\nCOPY README.md /\n", CTX,
	    "L: README.md | M:");
}

static void
test_arg_env(void **state)
{
	const char *web[] = { "APP=web" };
	const char *proxy[] = { "HTTP_PROXY=web" };
	const char *d[] = { "D=docs" };
	const char *x[] = { "X=web" };
	const char *plat[] = { "BUILDPLATFORM=linux/amd64" };

	(void)state;
	USE("FROM alpine\nARG APP=app\nENV CONF=conf\n"
	    "COPY ${APP}/main.py $CONF/*.ini /srv/\n", CTX,
	    "L: app app/main.py conf conf/app.ini | M:");
	USE_A("FROM alpine\nARG APP=app\nCOPY ${APP} /srv/\n", CTX, web,
	    "L: web web/index.html | M:");
	/* a global ARG is seen by FROM, and in a stage once redeclared */
	USE("ARG D=docs\nFROM alpine\nCOPY ${D:-conf}/app.ini /x\n", CTX,
	    "L: conf conf/app.ini | M:");
	USE("ARG D=docs\nFROM alpine\nARG D\nCOPY $D/a.md /x\n", CTX,
	    "L: docs docs/a.md | M:");
	/* ENV is inherited from a base stage, ARG is not */
	USE("FROM alpine AS base\nENV S=web\nFROM base\nCOPY $S /x\n", CTX,
	    "L: web web/index.html | M:");
	USE("FROM alpine AS base\nARG S=app\nFROM base\nCOPY ${S:-web} /x\n",
	    CTX, "L: web web/index.html | M:");
	BK("FROM alpine AS base\nARG S=app\nFROM base\nCOPY ${S:-web} /x\n",
	    CTX, "L: " APP " | M:");
	/* an ENV of the same name wins over an ARG, before or after it */
	USE("FROM alpine\nENV D=web\nARG D=app\nCOPY $D /x\n", CTX,
	    "L: web web/index.html | M:");
	BK("FROM alpine\nENV D=web\nARG D=app\nCOPY $D /x\n", CTX,
	    "L: " APP " | M:");
	USE_A("FROM alpine\nARG D=app\nENV D=web\nARG D\nCOPY $D /x\n", CTX, d,
	    "L: web web/index.html | M:");
	/* no platform ARG is predefined: an empty value, the whole bin */
	USE("FROM alpine\nARG TARGETARCH\nCOPY bin/${TARGETARCH} /x\n",
	    "bin/ bin/amd64/ bin/amd64/f bin/arm64/ bin/arm64/g",
	    "L: bin bin/amd64 bin/amd64/f bin/arm64 bin/arm64/g | M:");
	/* so a FROM --platform built from one is refused (it is empty),
	 * even with a --build-arg, unless a global ARG declares it */
	USE_A("FROM --platform=$BUILDPLATFORM alpine\nCOPY app/main.py /\n",
	    CTX, plat, "ERR Dockerfile:1: empty platform value from "
	    "expression $BUILDPLATFORM");
	BK("FROM --platform=$BUILDPLATFORM alpine\nCOPY app/main.py /\n",
	    CTX, "L: app app/main.py | M:");
	USE_A("ARG BUILDPLATFORM\nFROM --platform=$BUILDPLATFORM alpine\n"
	    "COPY app/main.py /\n", CTX, plat, "L: app app/main.py | M:");
	/* a proxy --build-arg is seen without an ARG */
	USE_A("FROM alpine\nCOPY ${HTTP_PROXY:-app} /x\n", CTX, proxy,
	    "L: web web/index.html | M:");
	USE("FROM alpine\nCOPY ${HTTP_PROXY:-app}/main.py /x\n", CTX,
	    "L: app app/main.py | M:");
	/* an ARG default is expanded even when a --build-arg wins */
	USE_A("FROM alpine\nARG X=${Y:?unset}\nCOPY $X /x\n", CTX, x,
	    "ERR Dockerfile:2: failed to process \"${Y:?unset}\": Y: unset");
	USE("FROM alpine\n\nCOPY ${X:?unset} /x\n", CTX,
	    "ERR Dockerfile:3: failed to process \"${X:?unset}\": X: unset");
}

static void
test_symlinks(void **state)
{
	(void)state;
	/* a source without wildcards follows links inside the context */
	USE("FROM alpine\nCOPY cur /x\n", "cur->rel/v2 rel/ rel/v2/ rel/v2/a "
	    "rel/v1/ rel/v1/b", "L: cur rel rel/v2 rel/v2/a | M:");
	USE("FROM alpine\nCOPY l/a /x\n", "l->/rel/v2 rel/ rel/v2/ rel/v2/a",
	    "L: l rel rel/v2 rel/v2/a | M:");
	USE("FROM alpine\nCOPY up /x\n", "up->../../f f", "L: f up | M:");
	USE("FROM alpine\nCOPY a /x\n", "a->b b->a", "L: a b | M:");
}

/* named: what a source resolves to itself, not what lies below it */
static void
test_named_and_lines(void **state)
{
	const char *ctx = "a/ a/x a/.env b.py c.py d/ d/e/ d/e/f lnk->d/e";
	const char *df = "FROM alpine AS one\nCOPY a/.env *.py /\n"
	    "FROM alpine\nCOPY lnk/f /\nCOPY a /a\n";
	struct buildplan_options o = { NULL, NULL, 0, NULL, 0,
	    BUILDER_CLASSIC };
	static const char *const named[] = { "a", "a/.env", "b.py", "c.py",
	    "d/e/f", "lnk" };
	static const size_t line[] = { 5, 2, 5, 2, 2, 4, 4, 4, 4 };
	struct entry_list l;
	struct dfuse u;
	struct ctx_error err;
	size_t i, k, nn = 0;

	(void)state;
	build(&l, ctx);
	assert_int_equal(dfuse_analyze(df, strlen(df), "Dockerfile", &o, &l,
	    &u, &err), 0);
	for (i = 0; i < l.n; i++) {
		bool want = false;

		for (k = 0; k < sizeof(named) / sizeof(named[0]); k++)
			want = want || strcmp(l.v[i].path, named[k]) == 0;
		assert_int_equal(u.named[i], want);
		nn += want;
		/* sorted: a a/.env a/x b.py c.py d d/e d/e/f lnk */
		assert_int_equal(u.line[i], line[i]);
	}
	assert_int_equal(nn, 6);
	dfuse_free(&u);
	entry_list_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_file_and_dir),
		cmocka_unit_test(test_copy_dot),
		cmocka_unit_test(test_wildcards),
		cmocka_unit_test(test_json_form),
		cmocka_unit_test(test_not_from_context),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_stages),
		cmocka_unit_test(test_copy_from),
		cmocka_unit_test(test_arg_env),
		cmocka_unit_test(test_symlinks),
		cmocka_unit_test(test_named_and_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
