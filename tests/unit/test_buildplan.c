/* Unit tests for buildplan.c: every example of spec bk-v1 sections 2.3,
 * 4.1-4.6 and 8.3, and edge cases, with exact expected plans. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "buildplan.h"

/* "uses=U whole=W ext=E: p1 p2", or "ERR message". */
static char *
plan_builder(const char *df, const char *target, const char *const *args,
    size_t nargs, const char *const *named, size_t nnamed, enum builder bld)
{
	static char out[4096];
	struct buildplan_options o = { target, args, nargs, named, nnamed,
	    bld };
	struct buildplan p;
	struct ctx_error err;
	size_t i, n;

	if (buildplan_compute(df, strlen(df), "Dockerfile", &o, &p, &err) ==
	    -1) {
		snprintf(out, sizeof(out), "ERR %s", err.msg);
		return out;
	}
	n = (size_t)snprintf(out, sizeof(out), "uses=%d whole=%d ext=%d:",
	    p.uses_context, p.whole_context, p.external_frontend);
	for (i = 0; i < p.nfollow; i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, " %s",
		    p.follow_paths[i]);
	buildplan_free(&p);
	return out;
}

static char *
plan_with(const char *df, const char *target, const char *const *args,
    size_t nargs, const char *const *named, size_t nnamed)
{
	return plan_builder(df, target, args, nargs, named, nnamed,
	    BUILDER_BUILDKIT);
}

#define PLAN(df, want) assert_string_equal(plan_with(df, NULL, NULL, 0, \
	NULL, 0), (want))
#define PLAN_T(df, t, want) assert_string_equal(plan_with(df, t, NULL, 0, \
	NULL, 0), (want))
#define PLAN_A(df, args, want) assert_string_equal(plan_with(df, NULL, \
	args, sizeof(args) / sizeof(args[0]), NULL, 0), (want))
#define PLAN_N(df, t, named, want) assert_string_equal(plan_with(df, t, \
	NULL, 0, named, sizeof(named) / sizeof(named[0])), (want))

#define NONE "uses=0 whole=0 ext=0:"
#define WHOLE "uses=1 whole=1 ext=0:"

/* Rule 1.1 and 4.1 examples. */
static void
test_rule_4_1(void **state)
{
	(void)state;
	PLAN("FROM alpine\nCOPY app /app\n", "uses=1 whole=0 ext=0: app");
	PLAN("FROM alpine\nRUN apk add curl\nADD https://x/y.tgz /\n", NONE);
	PLAN("FROM alpine\nCOPY <<EOF /x\nhi\nEOF\n", NONE);
	PLAN("FROM alpine\nCOPY --from= app /app\n",
	    "uses=1 whole=0 ext=0: app");
	PLAN("FROM alpine\nRUN --mount=type=secret,id=s true\n", NONE);
	PLAN("FROM alpine\nRUN --mount=type=cache,target=/c true\n", NONE);
	PLAN("FROM alpine\nRUN --mount=type=bind,source=src,target=/s make\n",
	    "uses=1 whole=0 ext=0: src");
	/* git references are FollowPaths but do not read the context */
	PLAN("FROM alpine\nADD git@github.com:a/b.git /src\n", NONE);
	PLAN("FROM alpine\nADD git://h/r /src\nCOPY a /\n",
	    "uses=1 whole=0 ext=0: a git:/h/r");
	PLAN("FROM alpine\nADD github.com/a/b /src\n",
	    "uses=1 whole=0 ext=0: github.com/a/b");
}

/* Rule 4.2 examples and path.Join normalisation. */
static void
test_rule_4_2(void **state)
{
	(void)state;
	PLAN("FROM alpine\nCOPY . .\n", WHOLE);
	PLAN("FROM alpine\nCOPY src/ pkg/*.json /app/\n",
	    "uses=1 whole=0 ext=0: pkg/*.json src");
	PLAN("FROM alpine\nRUN --mount=type=bind,target=/x make\n", WHOLE);
	PLAN("FROM alpine\nRUN --mount=type=tmpfs,target=/tmp true\n"
	    "COPY app /app\n", WHOLE);
	PLAN("FROM a\nCOPY ./a/ ../x a/./b /d/\n",
	    "uses=1 whole=0 ext=0: a a/b x");
	PLAN("FROM a\nCOPY ./ /d/\n", WHOLE);
	/* --parents keeps the /./ pivot out, --exclude changes nothing */
	PLAN("FROM a\nCOPY --parents ./src/./pkg/a.go /d/\n",
	    "uses=1 whole=0 ext=0: src/pkg/a.go");
	PLAN("FROM a\nCOPY --exclude=*.md --chmod=644 --link docs /d/\n",
	    "uses=1 whole=0 ext=0: docs");
	/* sorted by bytes, de-duplicated */
	PLAN("FROM a\nCOPY b B a /\nCOPY a /x\n", "uses=1 whole=0 ext=0: B a b");
}

/* Rule 4.3 examples and the environment of a stage. */
static void
test_rule_4_3(void **state)
{
	(void)state;
	PLAN("FROM alpine\nARG APP=web\nCOPY ${APP}/ /srv/\n",
	    "uses=1 whole=0 ext=0: web");
	/* a global ARG is not visible until redeclared */
	PLAN("ARG V=1\nFROM alpine\nCOPY v$V.txt /\n",
	    "uses=1 whole=0 ext=0: v.txt");
	PLAN("ARG V=1\nFROM alpine\nARG V\nCOPY v$V.txt /\n",
	    "uses=1 whole=0 ext=0: v1.txt");
	/* quotes cannot protect spaces in the shell form */
	PLAN("FROM a\nCOPY \"a b\" /\n", "ERR Dockerfile:2: failed to process "
	    "\"\"a\": unexpected end of statement while looking for matching "
	    "double-quote");
	PLAN("FROM a\nCOPY [\"a b\", \"$D/x\", \"/y\"]\n",
	    "uses=1 whole=0 ext=0: a b x");
	PLAN("FROM a\nENV D=dir E=\"s p\"\nCOPY $D/${E/s/S} /\n",
	    "uses=1 whole=0 ext=0: dir/S p");
	/* sources are split before expansion: `${E// /_}` is cut in two */
	PLAN("FROM a\nCOPY ${E// /_} /\n", "ERR Dockerfile:2: failed to "
	    "process \"${E//\": syntax error: missing '/' in ${}");
	PLAN("FROM a\nENV D dir x\nCOPY $D /\n", "uses=1 whole=0 ext=0: dir x");
	/* FROM base inherits the environment of the stage */
	PLAN("FROM a AS base\nENV SRC=lib\nFROM base\nCOPY $SRC /\n",
	    "uses=1 whole=0 ext=0: lib");
	/* ARG default expanded with the stage env; --build-arg wins */
	PLAN("FROM a\nENV X=1\nARG Y=$X-2\nCOPY $Y /\n",
	    "uses=1 whole=0 ext=0: 1-2");
	{
		static const char *const args[] = { "Y=ba", "UNUSED=1" };

		PLAN_A("FROM a\nARG Y=default\nCOPY $Y /\n", args,
		    "uses=1 whole=0 ext=0: ba");
		PLAN_A("ARG Y=g\nFROM a\nARG Y\nCOPY $Y /\n", args,
		    "uses=1 whole=0 ext=0: ba");
		/* a build arg is invisible until an ARG declares it */
		PLAN_A("FROM a\nCOPY x$Y /\n", args, "uses=1 whole=0 ext=0: x");
	}
	/* automatic platform arguments */
	PLAN("FROM a\nARG TARGETARCH\nARG TARGETPLATFORM\n"
	    "COPY bin/$TARGETPLATFORM/$TARGETARCH /\n",
	    "uses=1 whole=0 ext=0: bin/linux/amd64/amd64");
	PLAN("FROM a\nCOPY x$TARGETARCH /\n", "uses=1 whole=0 ext=0: x");
	/* global ARG used in FROM */
	PLAN("ARG B=builder\nFROM a AS builder\nCOPY b /\nFROM $B\n",
	    "uses=1 whole=0 ext=0: b");
	/* WORKDIR and ENV do not change context paths */
	PLAN("FROM a\nWORKDIR /src\nCOPY app .\n", "uses=1 whole=0 ext=0: app");
	/* escape character from the directive */
	PLAN("# escape=`\nFROM a\nCOPY a`$X `\n b /\n",
	    "uses=1 whole=0 ext=0: a$X b");
}

/* Rule 4.4 examples: reachability and the build graph. */
static void
test_rule_4_4(void **state)
{
	(void)state;
	PLAN("FROM alpine AS secrets\nCOPY .env /\nFROM alpine\nCOPY app /app\n",
	    "uses=1 whole=0 ext=0: app");
	PLAN("FROM alpine AS helper\nCOPY helper.txt /\nFROM alpine\n"
	    "RUN --mount=type=tmpfs,target=/t,from=helper true\n", NONE);
	PLAN("FROM alpine AS helper\nCOPY helper.txt /\nFROM alpine\n"
	    "RUN --mount=type=tmpfs,target=/t,from=helper true\nCOPY app /app\n",
	    "uses=1 whole=0 ext=0: app helper.txt");
	PLAN("FROM alpine AS b\nCOPY b /\nFROM alpine\nCOPY --from=b /b /b\n",
	    "uses=1 whole=0 ext=0: b");
	PLAN("FROM alpine AS b\nCOPY b /\nFROM alpine\nCOPY --from=0 /b /b\n",
	    "uses=1 whole=0 ext=0: b");
	PLAN("FROM alpine AS b\nCOPY b /\nFROM alpine\nCOPY --from=B /b /b\n",
	    "uses=1 whole=0 ext=0: b");
	PLAN("FROM alpine AS b\nCOPY b /\nFROM alpine\n"
	    "RUN --mount=from=b,target=/m true\n", "uses=1 whole=0 ext=0: b");
	PLAN("FROM alpine AS b\nCOPY b /\nFROM alpine\n"
	    "RUN --mount=type=cache,from=b,target=/m true\n",
	    "uses=1 whole=0 ext=0: b");
	/* FROM Builder names no stage (the comparison is exact), and as an
	 * image name it is refused */
	PLAN("FROM alpine AS builder\nCOPY b /\nFROM Builder\n",
	    "ERR Dockerfile:3: failed to parse stage name \"Builder\": invalid "
	    "reference format: repository name must be lowercase");
	PLAN("FROM alpine AS builder\nCOPY b /\nFROM builder:1\n", NONE);
	PLAN("FROM alpine AS b\nCOPY --from=Nope:1 b /\nFROM a\n",
	    "ERR Dockerfile:2: failed to parse stage name \"Nope:1\": invalid "
	    "reference format: repository name must be lowercase");
	PLAN("FROM localhost:5000/a/b:v1.2@sha256:"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	    "FROM Registry.Example.com/x-y/z__w\nCOPY . .\n", WHOLE);
	/* an image named by --from contributes nothing */
	PLAN("FROM alpine\nCOPY --from=nginx:latest /etc /etc\n", NONE);
	/* --target is compared case-insensitively */
	PLAN_T("FROM a AS build\nCOPY src /\nFROM a\nCOPY app /\n", "BUILD",
	    "uses=1 whole=0 ext=0: src");
	PLAN_T("FROM a AS build\nCOPY src /\nFROM a\nCOPY app /\n", "nope",
	    "ERR Dockerfile: target stage \"nope\" could not be found");
}

/* Named build contexts replace stages (rule 4.4). */
static void
test_named_contexts(void **state)
{
	static const char *const named[] = { "deps" };

	(void)state;
	PLAN_N("FROM a AS deps\nCOPY lock /\nFROM a\nCOPY --from=deps / /\n"
	    "COPY app /\n", NULL, named, "uses=1 whole=0 ext=0: app");
	PLAN_N("FROM a AS deps\nCOPY lock /\nFROM a\nCOPY --from=deps / /\n",
	    NULL, named, NONE);
	/* the replaced stage's --from stages stay reachable, not in graph */
	PLAN_N("FROM a AS h\nCOPY h /\nFROM a AS deps\nCOPY --from=h / /\n"
	    "FROM a\nCOPY --from=deps / /\nCOPY app /\n", NULL, named,
	    "uses=1 whole=0 ext=0: app h");
	/* its ONBUILD triggers still run in the child (rule 4.5) */
	PLAN_N("FROM a AS deps\nONBUILD COPY conf /\nFROM deps\n", NULL, named,
	    "uses=1 whole=0 ext=0: conf");
}

/* Rule 4.5 examples. */
static void
test_rule_4_5(void **state)
{
	(void)state;
	PLAN("FROM alpine AS base\nONBUILD COPY conf /conf\nFROM base\n",
	    "uses=1 whole=0 ext=0: conf");
	/* the base itself does not run its triggers */
	PLAN_T("FROM alpine AS base\nONBUILD COPY conf /conf\nFROM base\n",
	    "base", NONE);
	/* only the direct base's triggers run: b2 runs b1's, the last
	 * stage does not run them again (X would be 2 there) */
	PLAN("FROM a AS b1\nONBUILD COPY f$X /\nFROM b1 AS b2\nENV X=2\n"
	    "FROM b2\n", "uses=1 whole=0 ext=0: f");
	/* a trigger's --from makes a stage reachable */
	PLAN("FROM a AS h\nCOPY h /\nFROM a AS base\nONBUILD COPY --from=h / /\n"
	    "FROM base\n", "uses=1 whole=0 ext=0: h");
	/* triggers are re-parsed with the default escape, but expanded with
	 * the file's (dctx.shlex): here `\` is an ordinary character */
	PLAN("# escape=`\nFROM a AS base\nONBUILD COPY a\\b /\nFROM base\n",
	    "uses=1 whole=0 ext=0: a\\b");
	/* a trigger naming an image grows the state table (fuzz regression) */
	PLAN("FROM a AS s1\nFROM a AS s2\nFROM a AS s3\nFROM a AS s4\n"
	    "FROM a AS s5\nFROM a AS s6\nFROM a AS b\n"
	    "ONBUILD COPY --from=img x /\nFROM b\nCOPY y /\n",
	    "uses=1 whole=0 ext=0: y");
	PLAN("FROM a AS base\nONBUILD FOO x\nFROM base\n",
	    "ERR Dockerfile:3: unknown instruction: FOO");
}

/* Rule 4.6 example and parser edge cases through the plan. */
static void
test_rule_4_6(void **state)
{
	(void)state;
	PLAN("FROM a\nRUN <<EOF\nCOPY secrets /\nEOF\n", NONE);
	PLAN("FROM a\nCOPY a \\\n  # comment\n\n  b /\n",
	    "uses=1 whole=0 ext=0: a b");
	PLAN("FROM a\nCOPY <<-EOF /x\n\tCOPY y /\n\tEOF\nCOPY z /\n",
	    "uses=1 whole=0 ext=0: z");
	PLAN("FROM a\nFOO x\n", "ERR Dockerfile:2: unknown instruction: FOO");
	PLAN("FROM a\nCOPY --bogus a /\n", "ERR Dockerfile:2: unknown flag: "
	    "bogus");
}

/* Rule 2.3 examples: which frontend. */
static void
test_rule_2_3(void **state)
{
	static const char *const syn[] = { "BUILDKIT_SYNTAX=docker/dockerfile:1" };
	static const char *const empty[] = { "BUILDKIT_SYNTAX= " };

	(void)state;
	PLAN("FROM a\nCOPY . .\n", WHOLE);
	PLAN("# syntax=docker/dockerfile:1\nFROM a\nCOPY . .\n",
	    "uses=1 whole=1 ext=1:");
	PLAN("  # syntax=docker/dockerfile:1\nFROM a\nCOPY . .\n", WHOLE);
	PLAN("#!/usr/bin/env x\n# syntax=docker/dockerfile:1\nFROM a\n"
	    "COPY . .\n", "uses=1 whole=1 ext=1:");
	PLAN_A("FROM a\nCOPY . .\n", syn, "uses=1 whole=1 ext=1:");
	PLAN_A("FROM a\nCOPY . .\n", empty,
	    "ERR Dockerfile: empty BUILDKIT_SYNTAX build-arg");
}

/* Rule 8.3's "not modelled": lint errors are flagged, not guessed. */
static void
test_checks_flag(void **state)
{
	struct buildplan p;
	struct ctx_error err;
	const char *df = "# check=error=true\nFROM a as B\nCOPY . .\n";

	(void)state;
	assert_int_equal(buildplan_compute(df, strlen(df), "D", NULL, &p, &err),
	    0);
	assert_true(p.unmodelled_checks);
	buildplan_free(&p);
	df = "FROM a\nCOPY . .\n";
	assert_int_equal(buildplan_compute(df, strlen(df), "D", NULL, &p, &err),
	    0);
	assert_false(p.unmodelled_checks);
	buildplan_free(&p);
}

/* Rule 8.3: what fails the build. */
static void
test_rule_8_3(void **state)
{
	(void)state;
	PLAN("", "ERR Dockerfile: the Dockerfile cannot be empty");
	PLAN("\n\n", "ERR Dockerfile:2: file with no instructions");
	PLAN("ARG A\n", "ERR Dockerfile: dockerfile contains no stages to "
	    "build");
	PLAN("FROM a\nCOPY https://x/y /\n",
	    "ERR Dockerfile:2: source can't be a URL for COPY");
	PLAN("FROM a\nCOPY git@github.com:x/y.git /\n",
	    "ERR Dockerfile:2: source can't be a git ref for COPY");
	PLAN("FROM a AS b\nFROM a\nCOPY --from=$S x /\n", "ERR Dockerfile:3: "
	    "variable expansion is not supported for --from, define a new "
	    "stage with FROM using ARG from global scope as a workaround");
	PLAN("FROM a AS b\nFROM a\nCOPY --from=\"b\" x /\n",
	    "uses=0 whole=0 ext=0:");	/* the flag parser removes quotes */
	PLAN("FROM a AS b\nFROM a\nCOPY --from=b\\\\c x /\n",
	    "ERR Dockerfile:3: variable expansion is not supported for --from, "
	    "define a new stage with FROM using ARG from global scope as a "
	    "workaround");
	PLAN("FROM a\nRUN --mount=from=$S,target=/x true\n",
	    "ERR Dockerfile:2: 'from' doesn't support variable expansion, "
	    "define alias stage instead");
	PLAN_T("FROM a AS x\nCOPY --from=b a /b\nFROM a AS b\n", "x",
	    "ERR Dockerfile:2: cannot copy from stage \"b\", it needs to be "
	    "defined before current stage \"x\"");
	PLAN("FROM a AS x\nCOPY --from=x a /b\n",
	    "ERR Dockerfile: circular dependency detected on stage: x");
	PLAN("FROM a\nCOPY --from=5 a /b\n",
	    "ERR Dockerfile:2: invalid stage index 5");
	PLAN("FROM a\nADD --checksum=sha256:0 a b /c\n",
	    "ERR Dockerfile:2: checksum can't be specified for multiple "
	    "sources");
	PLAN("FROM a\nADD --checksum=sha256:0 a /c\n",
	    "ERR Dockerfile:2: checksum can't be specified for local sources");
	PLAN("FROM a\nADD --checksum=sha256:0 https://x/y /c\n", NONE);
	PLAN("FROM a\nCOPY ${X:?need} /\n", "ERR Dockerfile:2: failed to "
	    "process \"${X:?need}\": X: need");
	PLAN("FROM a\nRUN --mount=type=bind,target=/ true\n",
	    "ERR Dockerfile:2: invalid mount target \"/\"");
	PLAN("FROM a\nWORKDIR /w\nRUN --mount=type=bind true\n", WHOLE);
	PLAN("FROM a\nWORKDIR /\nRUN --mount=type=bind,target=. true\n",
	    "ERR Dockerfile:3: invalid mount target \"/\"");
	/* without a WORKDIR the image's directory decides: not an error */
	PLAN("FROM golang\nRUN --mount=type=bind,target=. go build\n", WHOLE);
	PLAN("FROM a\nRUN --mount=type=nope,target=/x true\n",
	    "ERR Dockerfile:2: unsupported mount type \"nope\"");
	PLAN("FROM a\nRUN --mount=type=bind,target=/x,mode=0755 true\n",
	    "ERR Dockerfile:2: mode not allowed for \"bind\" type mounts");
	PLAN("FROM a\nRUN --mount=type=secret,from=x,id=s true\n",
	    "ERR Dockerfile:2: secret mount should not have a from");
	PLAN("FROM $NOPE\n", "ERR Dockerfile:1: base name ($NOPE) should not "
	    "be blank");
	PLAN("FROM a\nVOLUME $NOPE\n", "ERR Dockerfile:2: VOLUME specified can "
	    "not be an empty string");
	/* errors in stages that are not converted do not count */
	PLAN("FROM a AS x\nCOPY ${ /\nFROM a\nCOPY b /\n",
	    "uses=1 whole=0 ext=0: b");
	/* but parse-time and --from errors do */
	PLAN("FROM a AS x\nCOPY --from=$Y a /\nFROM a\n", "ERR Dockerfile:2: "
	    "variable expansion is not supported for --from, define a new "
	    "stage with FROM using ARG from global scope as a workaround");
}

/* The classic builder is sent the whole directory: the plan only says so,
 * or what it refuses (test_dfuse_classic.c pins the rest). */
#define CLASSIC(df, t, args, want) assert_string_equal(plan_builder(df, t, \
	args, sizeof(args) / sizeof(args[0]), NULL, 0, BUILDER_CLASSIC), (want))

static void
test_classic(void **state)
{
	static const char *const none[] = { NULL };
	static const char *const syn[] = { "BUILDKIT_SYNTAX= ",
	    "BUILDKIT_DOCKERFILE_CHECK=error=true" };
	static const char *const named[] = { "b" };
	const char *df = "# check=error=true\nFROM a\nRUN true\n";
	struct buildplan_options o = { NULL, NULL, 0, NULL, 0,
	    BUILDER_CLASSIC };
	struct buildplan p;
	struct ctx_error err;

	(void)state;
	CLASSIC("FROM a\nRUN true\n", NULL, none, WHOLE);
	CLASSIC("FROM a AS b\nCOPY x /\nFROM a\nCOPY y /\n", "B", none,
	    WHOLE);
	/* no frontend: `# syntax` and BUILDKIT_SYNTAX mean nothing */
	CLASSIC("# syntax=docker/dockerfile:1\nFROM a\nCOPY . .\n", NULL,
	    none, WHOLE);
	CLASSIC("FROM a\nCOPY app /\n", NULL, syn, WHOLE);
	/* no named context */
	assert_string_equal(plan_builder("FROM a AS b\nRUN --mount=x true\n"
	    "FROM a\n", NULL, NULL, 0, named, 1, BUILDER_CLASSIC),
	    "ERR Dockerfile:2: the --mount option requires BuildKit. Refer to "
	    "https://docs.docker.com/go/buildkit/ to learn how to build images "
	    "with BuildKit enabled");
	/* what it refuses */
	CLASSIC("", NULL, none,
	    "ERR Dockerfile: the Dockerfile cannot be empty");
	CLASSIC("FROM a\nCOPY --parents a/./b /\n", NULL, none,
	    "ERR Dockerfile:2: unknown flag: parents");
	CLASSIC("FROM a AS b\n", "c", none, "ERR Dockerfile: failed to reach "
	    "build target c in Dockerfile");
	/* and no lint checks */
	assert_int_equal(buildplan_compute(df, strlen(df), "D", &o, &p, &err),
	    0);
	assert_false(p.unmodelled_checks);
	assert_null(p.syntax);
	buildplan_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_4_1),
		cmocka_unit_test(test_rule_4_2),
		cmocka_unit_test(test_rule_4_3),
		cmocka_unit_test(test_rule_4_4),
		cmocka_unit_test(test_named_contexts),
		cmocka_unit_test(test_rule_4_5),
		cmocka_unit_test(test_rule_4_6),
		cmocka_unit_test(test_rule_2_3),
		cmocka_unit_test(test_rule_8_3),
		cmocka_unit_test(test_checks_flag),
		cmocka_unit_test(test_classic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
