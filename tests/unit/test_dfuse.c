/*
 * Unit tests for dfuse.c: for each instruction form, the exact set of
 * context entries marked as put in a layer (L) or read by a mount (M).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "dfuse.h"

/*
 * The context: space-separated paths ('~' stands for a space); "x/" is a
 * directory, "x->t" a symbolic link to t, anything else a file.  Sorted as
 * the walkers sort.
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

/* "L: a b | M: c | whole" (whole / whole_layer shown when set), or
 * "ERR message". */
static char *
analyze_opt(const char *df, const char *ctx, const struct buildplan_options *o)
{
	static char out[8192];
	struct entry_list l;
	struct dfuse u;
	struct ctx_error err;
	size_t i, n;
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
	n = 0;
	for (pass = 0; pass < 2; pass++) {
		unsigned bit = pass == 0 ? DFUSE_LAYER : DFUSE_MOUNT;

		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s:",
		    pass ? " | " : "", pass ? "M" : "L");
		for (i = 0; i < l.n; i++) {
			if (u.use[i] & bit)
				n += (size_t)snprintf(out + n, sizeof(out) - n,
				    " %s", l.v[i].path);
			/* a line for every used entry, none for the rest */
			assert_true((u.use[i] != 0) == (u.line[i] != 0));
		}
	}
	if (u.whole)
		n += (size_t)snprintf(out + n, sizeof(out) - n, " | whole%s",
		    u.whole_layer ? " layer" : "");
	dfuse_free(&u);
	dfuse_free(&u);		/* a freed struct is empty */
	entry_list_free(&l);
	return out;
}

static char *
analyze(const char *df, const char *ctx)
{
	return analyze_opt(df, ctx, NULL);
}

#define USE(df, ctx, want) assert_string_equal(analyze(df, ctx), (want))

/* A small project: code, configuration with a dot file, docs, secrets. */
#define CTX "Dockerfile .dockerignore .env README.md app/ app/main.py " \
	"app/util.py app/tests/ app/tests/test_main.py conf/ conf/.env " \
	"conf/app.ini docs/ docs/a.md docs/keep.md docs/img/ docs/img/x.png " \
	"docs/img/y.md my~file.txt web/ web/index.html"

static void
test_copy_file_and_dir(void **state)
{
	(void)state;
	/* a file: it and the directory above it */
	USE("FROM alpine\nCOPY app/main.py /srv/\n", CTX,
	    "L: app app/main.py | M:");
	/* a directory: everything below it */
	USE("FROM alpine\nCOPY app /srv/app\n", CTX,
	    "L: app app/main.py app/tests app/tests/test_main.py app/util.py"
	    " | M:");
	/* ./x/, x/. and ../x clean to x (path.Join("/", src)) */
	USE("FROM alpine\nCOPY ./web/ ../README.md conf/. /srv/\n", CTX,
	    "L: README.md conf conf/.env conf/app.ini web web/index.html | M:");
	/* a source that names nothing uses nothing */
	USE("FROM alpine\nCOPY nothere /x\n", CTX, "L: | M:");
	/* ADD of a local file (an archive would be unpacked): a layer too */
	USE("FROM alpine\nADD README.md /x\n", CTX, "L: README.md | M:");
}

static void
test_copy_dot(void **state)
{
	(void)state;
	USE("FROM alpine\nWORKDIR /app\nCOPY . .\n", CTX,
	    "L: .dockerignore .env Dockerfile README.md app app/main.py "
	    "app/tests app/tests/test_main.py app/util.py conf conf/.env "
	    "conf/app.ini docs docs/a.md docs/img docs/img/x.png "
	    "docs/img/y.md docs/keep.md my file.txt web web/index.html | M:"
	    " | whole layer");
	/* "./", "/" and "" name the root too */
	assert_non_null(strstr(analyze("FROM a\nCOPY ./ /x/\n", CTX),
	    "| whole layer"));
	assert_non_null(strstr(analyze("FROM a\nCOPY / /x/\n", CTX),
	    "| whole layer"));
}

static void
test_wildcards(void **state)
{
	(void)state;
	/* `*` matches dot files: conf/ + `*` copies conf/.env */
	USE("FROM alpine\nCOPY conf/* /etc/app/\n", CTX,
	    "L: conf conf/.env conf/app.ini | M:");
	/* per path element: *.md is the top level only */
	USE("FROM alpine\nCOPY *.md /x/\n", CTX, "L: README.md | M:");
	USE("FROM alpine\nCOPY docs/*/*.md /x/\n", CTX,
	    "L: docs docs/img docs/img/y.md | M:");
	/* a wildcard matching a directory takes all of it */
	USE("FROM alpine\nCOPY ap? /x/\n", CTX,
	    "L: app app/main.py app/tests app/tests/test_main.py app/util.py"
	    " | M:");
	USE("FROM alpine\nCOPY [cw]*/*.ini /x/\n", CTX,
	    "L: conf conf/app.ini | M:");
	USE("FROM alpine\nCOPY .e* /x/\n", CTX, "L: .env | M:");
	/* a star alone: every entry, but not "the whole context" */
	USE("FROM alpine\nCOPY * /x/\n", "a b/ b/c", "L: a b b/c | M:");
	/* the lexer removes a backslash before a star: a pattern again */
	USE("FROM alpine\nCOPY app/\\*.py /x/\n", "app/ app/*.py app/a.py",
	    "L: app app/*.py app/a.py | M:");
	/* a backslash that survives makes the name literal: a COPY that
	 * fails (no such file), so nothing is used */
	USE("FROM alpine\nCOPY app/\\\\*.py /x/\n", "app/ app/*.py app/a.py",
	    "L: | M:");
	/* a bad pattern matches nothing (filepath.Match's error ignored) */
	USE("FROM alpine\nCOPY app/[ /x/\n", "app/ app/[", "L: | M:");
}

static void
test_json_form(void **state)
{
	(void)state;
	/* the JSON form keeps spaces: "my file.txt" is one source */
	USE("FROM alpine\nCOPY [\"my file.txt\", \"/x\"]\n", CTX,
	    "L: my file.txt | M:");
	USE("FROM alpine\nCOPY [\"app/main.py\", \"conf/*.ini\", \"/x/\"]\n",
	    CTX, "L: app app/main.py conf conf/app.ini | M:");
	/* and is expanded */
	USE("FROM alpine\nENV F=\"my file\"\nCOPY [\"$F.txt\", \"/x\"]\n",
	    CTX, "L: my file.txt | M:");
	/* the shell form splits first: my and file.txt are two sources */
	USE("FROM alpine\nCOPY my file.txt /x/\n", "my my~file.txt file.txt",
	    "L: file.txt my | M:");
}

static void
test_not_from_context(void **state)
{
	(void)state;
	/* heredoc sources */
	USE("FROM alpine\nCOPY <<EOF /x\nCOPY .env /\nEOF\n", CTX, "L: | M:");
	USE("FROM alpine\nCOPY <<EOF README.md /x/\nhi\nEOF\n", CTX,
	    "L: README.md | M:");
	/* COPY --from an image or a stage */
	USE("FROM alpine\nCOPY --from=nginx:latest /etc/nginx /x\n", CTX,
	    "L: | M:");
	USE("FROM alpine AS b\nRUN make\nFROM alpine\nCOPY --from=b .env /x\n",
	    CTX, "L: | M:");
	USE("FROM alpine AS b\nFROM alpine\nCOPY --from=0 . /x\n", CTX,
	    "L: | M:");
	/* an empty --from is the context */
	USE("FROM alpine\nCOPY --from= .env /x\n", CTX, "L: .env | M:");
	/* URLs and git sources of ADD */
	USE("FROM alpine\nADD https://example.com/app /x\n"
	    "ADD http://example.com/.env /y\n", CTX, "L: | M:");
	USE("FROM alpine\nADD git@github.com:a/app.git /x\n"
	    "ADD https://github.com/a/b.git#main /y\nADD git://h/app /z\n",
	    "app/ app/main.py git:/ git:/h/ git:/h/app", "L: | M:");
	/* github.com/... is a local path */
	USE("FROM alpine\nADD github.com/a /x\n", "github.com/ github.com/a",
	    "L: github.com github.com/a | M:");
	/* a --build-context replaces a stage of that name */
	{
		const char *named[] = { "deps" };
		struct buildplan_options o = { NULL, NULL, 0, named, 1,
		    BUILDER_BUILDKIT };

		assert_string_equal(analyze_opt("FROM alpine AS deps\n"
		    "COPY conf /conf\nFROM alpine\nCOPY --from=deps /conf /c\n"
		    "COPY app/main.py /\n", CTX, &o),
		    "L: app app/main.py | M:");
	}
}

static void
test_exclude(void **state)
{
	(void)state;
	/* relative to the source directory, .dockerignore rules */
	USE("FROM alpine\nCOPY --exclude=*.md docs /d/\n", CTX,
	    "L: docs docs/img docs/img/x.png docs/img/y.md | M:");
	USE("FROM alpine\nCOPY --exclude=**/*.md docs /d/\n", CTX,
	    "L: docs docs/img docs/img/x.png | M:");
	/* an exception keeps a file; repeated flags add up */
	USE("FROM alpine\nCOPY --exclude=*.md --exclude=!keep.md "
	    "--exclude=img docs /d/\n", CTX, "L: docs docs/keep.md | M:");
	/* an excluded directory with an exception below is entered */
	USE("FROM alpine\nCOPY --exclude=img --exclude=!img/x.png docs /d/\n",
	    CTX, "L: docs docs/a.md docs/img docs/img/x.png docs/keep.md | M:");
	/* `COPY --exclude=.env . .`: not the whole context */
	USE("FROM alpine\nCOPY --exclude=.env --exclude=**/.env "
	    "--exclude=docs --exclude=app . /x/\n", CTX,
	    "L: .dockerignore Dockerfile README.md conf conf/app.ini "
	    "my file.txt web web/index.html | M:");
	/* never applied to a source itself (moby/buildkit#5489) */
	USE("FROM alpine\nCOPY --exclude=*.md *.md /x/\n", CTX,
	    "L: README.md | M:");
	USE("FROM alpine\nCOPY --exclude=.env conf/* /x/\n", CTX,
	    "L: conf conf/.env conf/app.ini | M:");
	/* not expanded (moby/buildkit#6072) */
	USE("FROM alpine\nARG X=*.md\nCOPY --exclude=$X docs /d/\n", CTX,
	    "L: docs docs/a.md docs/img docs/img/x.png docs/img/y.md "
	    "docs/keep.md | M:");
	/* a bad pattern fails the build at that line */
	USE("FROM alpine\nRUN true\nCOPY --exclude=[ docs /d/\n", CTX,
	    "ERR Dockerfile:3: invalid excludepatterns: pattern[0] \"[\": "
	    "syntax error in pattern");
}

static void
test_parents(void **state)
{
	(void)state;
	/* no pivot: the whole source is an include pattern from the root */
	USE("FROM alpine\nCOPY --parents app/*.py /x/\n", CTX,
	    "L: app app/main.py app/util.py | M:");
	/* the pivot: the part before /./ is the source directory */
	USE("FROM alpine\nCOPY --parents ./app/./tests /x/\n", CTX,
	    "L: app app/tests app/tests/test_main.py | M:");
	/* docker patterns: ** crosses directories */
	USE("FROM alpine\nCOPY --parents **/*.md /x/\n", CTX,
	    "L: README.md docs docs/a.md docs/img docs/img/y.md docs/keep.md"
	    " | M:");
	USE("FROM alpine\nCOPY --parents docs/./**/*.md /x/\n", CTX,
	    "L: docs docs/a.md docs/img docs/img/y.md docs/keep.md | M:");
	/* with --exclude */
	USE("FROM alpine\nCOPY --parents --exclude=img docs/./* /x/\n", CTX,
	    "L: docs docs/a.md docs/keep.md | M:");
	/* --parents=false is a plain COPY */
	USE("FROM alpine\nCOPY --parents=false app/./tests /x/\n", CTX,
	    "L: app app/tests app/tests/test_main.py | M:");
	/* --parents . is everything, and whole */
	assert_non_null(strstr(analyze("FROM a\nCOPY --parents . /x/\n", CTX),
	    "| whole layer"));
}

static void
test_arg_env(void **state)
{
	const char *args[] = { "APP=web" };
	struct buildplan_options o = { NULL, args, 1, NULL, 0,
	    BUILDER_BUILDKIT };

	(void)state;
	USE("FROM alpine\nARG APP=app\nENV CONF=conf\n"
	    "COPY ${APP}/main.py $CONF/*.ini /srv/\n", CTX,
	    "L: app app/main.py conf conf/app.ini | M:");
	/* --build-arg wins over the default */
	assert_string_equal(analyze_opt("FROM alpine\nARG APP=app\n"
	    "COPY ${APP} /srv/\n", CTX, &o), "L: web web/index.html | M:");
	/* a global ARG is invisible until redeclared */
	USE("ARG D=docs\nFROM alpine\nCOPY ${D:-conf}/app.ini /x\n", CTX,
	    "L: conf conf/app.ini | M:");
	USE("ARG D=docs\nFROM alpine\nARG D\nCOPY $D/a.md /x\n", CTX,
	    "L: docs docs/a.md | M:");
	/* ENV is inherited from a base stage of the file */
	USE("FROM alpine AS base\nENV S=web\nFROM base\nCOPY $S /x\n", CTX,
	    "L: web web/index.html | M:");
	/* mount options are expanded too */
	USE("FROM alpine\nARG S=conf\n"
	    "RUN --mount=type=bind,source=$S,target=/c true\n", CTX,
	    "L: | M: conf conf/.env conf/app.ini");
	/* an expansion error names the line */
	USE("FROM alpine\n\nCOPY ${X:?unset} /x\n", CTX,
	    "ERR Dockerfile:3: failed to process \"${X:?unset}\": X: unset");
}

static void
test_multistage(void **state)
{
	const char *df =
	    "FROM alpine AS secrets\n"		/* not reachable */
	    "COPY .env /\n"
	    "FROM alpine AS build\n"		/* used by COPY --from */
	    "COPY app /src\n"
	    "FROM build AS test\n"		/* only with --target test */
	    "COPY docs /docs\n"
	    "FROM nginx\n"
	    "COPY --from=build /src /srv\n"
	    "COPY web /usr/share/nginx/html\n";
	struct buildplan_options o = { "test", NULL, 0, NULL, 0,
	    BUILDER_BUILDKIT };
	struct buildplan_options o2 = { "SECRETS", NULL, 0, NULL, 0,
	    BUILDER_BUILDKIT };
	struct buildplan_options o3 = { "nope", NULL, 0, NULL, 0,
	    BUILDER_BUILDKIT };

	(void)state;
	/* an intermediate stage's COPY counts: its layer stays in the cache */
	USE(df, CTX, "L: app app/main.py app/tests app/tests/test_main.py "
	    "app/util.py web web/index.html | M:");
	/* --target test: its base stage build too, not the last stage */
	assert_string_equal(analyze_opt(df, CTX, &o),
	    "L: app app/main.py app/tests app/tests/test_main.py app/util.py "
	    "docs docs/a.md docs/img docs/img/x.png docs/img/y.md docs/keep.md"
	    " | M:");
	/* targets compare case-insensitively */
	assert_string_equal(analyze_opt(df, CTX, &o2), "L: .env | M:");
	assert_string_equal(analyze_opt(df, CTX, &o3), "ERR Dockerfile: "
	    "target stage \"nope\" could not be found");
	/* a stage only named by a tmpfs mount's from= is not built */
	USE("FROM alpine AS helper\nCOPY conf /c\nFROM alpine\n"
	    "RUN --mount=type=tmpfs,target=/t,from=helper true\n"
	    "COPY app/main.py /\n", CTX, "L: app app/main.py | M:");
	/* ... but one named by a bind mount's from= is */
	USE("FROM alpine AS helper\nCOPY conf /c\nFROM alpine\n"
	    "RUN --mount=from=helper,target=/t true\n", CTX,
	    "L: conf conf/.env conf/app.ini | M:");
	/* ONBUILD triggers of a base stage run in the child */
	USE("FROM alpine AS base\nONBUILD COPY conf /conf\nFROM base\n", CTX,
	    "L: conf conf/.env conf/app.ini | M:");
	USE("FROM alpine AS base\nONBUILD COPY conf /conf\nFROM alpine\n", CTX,
	    "L: | M:");
}

static void
test_mounts(void **state)
{
	(void)state;
	/* a bind mount reads, but writes no layer */
	USE("FROM alpine\nRUN --mount=type=bind,source=app,target=/a "
	    "python /a/main.py\n", CTX,
	    "L: | M: app app/main.py app/tests app/tests/test_main.py "
	    "app/util.py");
	/* without source=: the whole context */
	USE("FROM alpine\nRUN --mount=target=/ctx make\n", CTX,
	    "L: | M: .dockerignore .env Dockerfile README.md app app/main.py "
	    "app/tests app/tests/test_main.py app/util.py conf conf/.env "
	    "conf/app.ini docs docs/a.md docs/img docs/img/x.png "
	    "docs/img/y.md docs/keep.md my file.txt web web/index.html"
	    " | whole");
	/* a source is a path, not a pattern */
	USE("FROM alpine\nRUN --mount=source=conf/*,target=/c true\n", CTX,
	    "L: | M:");
	/* cache, tmpfs, secret, ssh and from= mounts read nothing here */
	USE("FROM alpine AS b\nFROM alpine\n"
	    "RUN --mount=type=cache,target=/root/.cache "
	    "--mount=type=tmpfs,target=/t --mount=type=secret,id=s,target=/run/.env "
	    "--mount=type=ssh --mount=from=b,source=app,target=/a true\n",
	    CTX, "L: | M:");
	/* a mount and a COPY of the same entry: both bits */
	USE("FROM alpine\nRUN --mount=source=conf,target=/c true\n"
	    "COPY conf/app.ini /etc/\n", CTX,
	    "L: conf conf/app.ini | M: conf conf/.env conf/app.ini");
	/* in a RUN heredoc, COPY is not an instruction */
	USE("FROM alpine\nRUN <<EOF\nCOPY .env /\nEOF\n", CTX, "L: | M:");
}

static void
test_symlinks(void **state)
{
	(void)state;
	/* a source that is a link is followed inside the context */
	USE("FROM alpine\nCOPY cur /x\n", "cur->rel/v2 rel/ rel/v2/ rel/v2/a "
	    "rel/v1/ rel/v1/b", "L: cur rel rel/v2 rel/v2/a | M:");
	/* an absolute target starts at the context root; links on the way */
	USE("FROM alpine\nCOPY l/a /x\n", "l->/rel/v2 rel/ rel/v2/ rel/v2/a",
	    "L: l rel rel/v2 rel/v2/a | M:");
	/* .. stops at the root; a loop stops after 255 links */
	USE("FROM alpine\nCOPY up /x\n", "up->../../f f", "L: f up | M:");
	USE("FROM alpine\nCOPY a /x\n", "a->b b->a", "L: a b | M:");
	/* a wildcard's matches are followed too, links below are not */
	USE("FROM alpine\nCOPY d* /x/\n", "d1->t t/ t/f d2/ d2/l->../t",
	    "L: d1 d2 d2/l t t/f | M:");
}

static void
test_lines(void **state)
{
	struct entry_list l;
	struct dfuse u;
	struct ctx_error err;
	const char *df = "FROM alpine\nRUN --mount=source=conf,target=/c true\n"
	    "COPY conf/app.ini \\\n  /etc/\nFROM alpine AS b\n"
	    "ONBUILD COPY web /w\nFROM b\n";

	(void)state;
	build(&l, CTX);
	assert_int_equal(dfuse_analyze(df, strlen(df), "Dockerfile", NULL, &l,
	    &u, &err), 0);
	/* web comes from a trigger: the child's FROM line */
	for (size_t i = 0; i < l.n; i++) {
		size_t want = 0;

		if (strncmp(l.v[i].path, "web", 3) == 0)
			want = 7;
		assert_int_equal(u.line[i], want);
	}
	dfuse_free(&u);
	/* the last stage is the target: the first stage is not built */
	df = "FROM alpine\nRUN --mount=source=conf,target=/c true\n"
	    "COPY conf/app.ini \\\n  /etc/\n";
	assert_int_equal(dfuse_analyze(df, strlen(df), "Dockerfile", NULL, &l,
	    &u, &err), 0);
	for (size_t i = 0; i < l.n; i++) {
		size_t want = 0;

		if (strcmp(l.v[i].path, "conf") == 0 ||
		    strcmp(l.v[i].path, "conf/app.ini") == 0)
			want = 3;	/* the layer's line wins */
		else if (strcmp(l.v[i].path, "conf/.env") == 0)
			want = 2;
		assert_int_equal(u.line[i], want);
	}
	dfuse_free(&u);
	entry_list_free(&l);
}

/* named: what a source resolves to itself, not what lies below it */
static char *
named_of(const char *df, const char *ctx)
{
	static char out[1024];
	struct entry_list l;
	struct dfuse u;
	struct ctx_error err;
	size_t i, n = 0;

	build(&l, ctx);
	assert_int_equal(dfuse_analyze(df, strlen(df), "Dockerfile", NULL, &l,
	    &u, &err), 0);
	out[0] = '\0';
	for (i = 0; i < l.n; i++)
		if (u.named[i])
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s",
			    n ? " " : "", l.v[i].path);
	dfuse_free(&u);
	entry_list_free(&l);
	return out;
}

static void
test_named(void **state)
{
	const char *ctx = "a/ a/x a/.env b.py c.py d/ d/e/ d/e/f lnk->d/e";

	(void)state;
	assert_string_equal(named_of("FROM alpine\nCOPY . /\n", ctx), "");
	assert_string_equal(named_of("FROM alpine\nCOPY a /a\n", ctx), "a");
	assert_string_equal(named_of("FROM alpine\nCOPY a/.env *.py /\n", ctx),
	    "a/.env b.py c.py");
	assert_string_equal(named_of("FROM alpine\nCOPY lnk/f /\n", ctx),
	    "d/e/f lnk");
	assert_string_equal(named_of("FROM alpine\nRUN --mount=source=d,"
	    "target=/d true\n", ctx), "d");
}

static void
test_errors(void **state)
{
	(void)state;
	USE("", CTX, "ERR Dockerfile: the Dockerfile cannot be empty");
	USE("FROM alpine\nCOPY --foo=1 a /\n", CTX,
	    "ERR Dockerfile:2: unknown flag: foo");
	USE("FROM alpine\nCOPY https://x/y /\n", CTX,
	    "ERR Dockerfile:2: source can't be a URL for COPY");
	USE("FROM alpine\nCOPY --from=$X a /\n", CTX, "ERR Dockerfile:2: "
	    "variable expansion is not supported for --from, define a new "
	    "stage with FROM using ARG from global scope as a workaround");
	USE("FROM alpine\nRUN --mount=type=bind,target=/ true\n", CTX,
	    "ERR Dockerfile:2: invalid mount target \"/\"");
	/* an empty context: nothing to mark, whole still reported */
	USE("FROM alpine\nCOPY . .\n", "", "L: | M: | whole layer");
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
		cmocka_unit_test(test_exclude),
		cmocka_unit_test(test_parents),
		cmocka_unit_test(test_arg_env),
		cmocka_unit_test(test_multistage),
		cmocka_unit_test(test_mounts),
		cmocka_unit_test(test_symlinks),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_named),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
