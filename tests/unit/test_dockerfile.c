/* Unit tests for dockerfile.c and dfcheck.c: BuildKit's parser and
 * instruction checks (spec bk-v1 rules 4.6, 8.3), and dfdirective.c: the
 * frontend's syntax detection (rule 2.3), with exact expected outputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "dfdirective.h"
#include "dockerfile.h"

static char	*dump_n(const char *, size_t);

static char *
dump(const char *text)
{
	return dump_n(text, strlen(text));
}

/* A one-line-per-instruction dump: lines, keyword, flags, args, heredocs. */
static char *
dump_n(const char *text, size_t len)
{
	static char out[8192];
	struct dockerfile *df;
	struct ctx_error err;
	size_t i, j, o = 0;

	if (dockerfile_parse(text, len, "Dockerfile", &df, &err) == -1) {
		snprintf(out, sizeof(out), "ERR %s", err.msg);
		return out;
	}
	for (i = 0; i < df->ninstrs; i++) {
		const struct dockerfile_instr *in = &df->instrs[i];

		o += (size_t)snprintf(out + o, sizeof(out) - o, "%zu-%zu %s%s",
		    in->start_line, in->end_line, in->keyword,
		    in->json ? " json" : "");
		for (j = 0; j < in->nflags; j++)
			o += (size_t)snprintf(out + o, sizeof(out) - o,
			    " --%s=%s", in->flags[j].name, in->flags[j].value);
		for (j = 0; j < in->nargs; j++)
			o += (size_t)snprintf(out + o, sizeof(out) - o, " <%s>",
			    in->args[j]);
		for (j = 0; j < in->nheredocs; j++)
			o += (size_t)snprintf(out + o, sizeof(out) - o,
			    " H[%s%s%s]{%s}", in->heredocs[j].name,
			    in->heredocs[j].chomp ? ",chomp" : "",
			    in->heredocs[j].expand ? ",expand" : "",
			    in->heredocs[j].content);
		o += (size_t)snprintf(out + o, sizeof(out) - o, "\n");
	}
	dockerfile_free(df);
	return out;
}

#define EXPECT(text, want) assert_string_equal(dump(text), (want))

static void
test_basic(void **state)
{
	(void)state;
	EXPECT("FROM alpine\nCOPY app /app\n",
	    "1-1 FROM <alpine>\n2-2 COPY <app> </app>\n");
	EXPECT("from alpine as Build\n",
	    "1-1 from <alpine> <as> <build>\n");
	EXPECT("\xEF\xBB\xBF" "FROM a\r\n", "1-1 FROM <a>\n");
	EXPECT("", "ERR Dockerfile:0: file with no instructions");
	EXPECT("# just a comment\n\n", "ERR Dockerfile:2: file with no "
	    "instructions");
}

static void
test_continuations(void **state)
{
	(void)state;
	/* comment and blank lines inside a continuation are dropped */
	EXPECT("FROM a\nRUN echo a \\\n  # comment\n\n   b\n",
	    "1-1 FROM <a>\n2-5 RUN <echo a    b>\n");
	/* `\\` at the end is not a continuation */
	EXPECT("FROM a\nRUN echo \\\\\nCMD x\n",
	    "1-1 FROM <a>\n2-2 RUN <echo \\\\>\n3-3 CMD <x>\n");
	/* a lone escape line continues; trailing blanks after it are fine */
	EXPECT("FROM a\nRUN a \\  \n\\\nb\n", "1-1 FROM <a>\n2-4 RUN <a b>\n");
	/* continuation at end of file */
	EXPECT("FROM a\nRUN a \\", "1-1 FROM <a>\n2-2 RUN <a>\n");
}

static void
test_directives(void **state)
{
	struct dockerfile *df;
	struct ctx_error err;
	const char *t = "  # syntax=docker/dockerfile:1\n#escape=`\n"
	    "# check=skip=all\nFROM a\nRUN dir c:\\ `\n  x\n";

	(void)state;
	assert_int_equal(dockerfile_parse(t, strlen(t), "D", &df, &err), 0);
	assert_int_equal(df->escape, '`');
	assert_string_equal(df->syntax, "docker/dockerfile:1");
	assert_string_equal(df->check, "skip=all");
	assert_string_equal(df->instrs[1].args[0], "dir c:\\   x");
	dockerfile_free(df);
	/* a directive after a comment is a comment */
	EXPECT("# hello\n# escape=`\nFROM a\nRUN a \\\nb\n",
	    "3-3 FROM <a>\n4-5 RUN <a b>\n");
	EXPECT("# escape=x\nFROM a\n", "ERR Dockerfile:1: invalid escape "
	    "token 'x' does not match ` or \\");
	EXPECT("# escape=\\\n# escape=`\nFROM a\n", "ERR Dockerfile:2: only "
	    "one escape parser directive can be used");
}

static void
test_escape_backtick(void **state)
{
	(void)state;
	EXPECT("# escape=`\nFROM a\nCOPY a\\b `\n  c\\d\n",
	    "2-2 FROM <a>\n3-4 COPY <a\\b> <c\\d>\n");
}

static void
test_flags(void **state)
{
	(void)state;
	EXPECT("FROM a\nCOPY --chown=1:1 --from=\"x y\" --link a b\n",
	    "1-1 FROM <a>\n2-2 COPY --chown=1:1 --from=x y --link=true <a> "
	    "<b>\n");
	EXPECT("FROM a\nRUN --mount=type=bind,source=\"a b\" make --x=1\n",
	    "1-1 FROM <a>\n2-2 RUN --mount=type=bind,source=a b <make --x=1>\n");
	EXPECT("FROM a\nCOPY --exclude=*.md --exclude=x --parents a b\n",
	    "1-1 FROM <a>\n2-2 COPY --exclude=*.md --exclude=x "
	    "--parents=true <a> <b>\n");
	EXPECT("FROM a\nCOPY --foo=1 a b\n",
	    "ERR Dockerfile:2: unknown flag: foo");
	EXPECT("FROM a\nCOPY --from=a --from=b a b\n",
	    "ERR Dockerfile:2: duplicate flag specified: from");
	EXPECT("FROM a\nCOPY --from a b\n",
	    "ERR Dockerfile:2: missing a value on flag: from");
	EXPECT("FROM a\nCOPY --link=maybe a b\n", "ERR Dockerfile:2: "
	    "expecting boolean value for flag link, not: maybe");
	EXPECT("FROM a\nENV --x=1 A=b\n", "ERR Dockerfile:2: unknown flag: x");
	EXPECT("FROM a\nRUN --network=bogus x\n", "ERR Dockerfile:2: network "
	    "mode \"bogus\" not supported");
	EXPECT("FROM a\nRUN --mount=from=$X,target=/x y\n", "ERR Dockerfile:2: "
	    "'from' doesn't support variable expansion, define alias stage "
	    "instead");
	EXPECT("FROM a\nRUN --mount=from=x$,target=/x y\n",
	    "1-1 FROM <a>\n2-2 RUN --mount=from=x$,target=/x <y>\n");
	EXPECT("FROM a\nRUN --mount=a\\\"b y\n",
	    "ERR Dockerfile:2: failed to parse csv mounts: a\"b");
	/* a quote opened in a flag runs to the end of the line */
	EXPECT("FROM a\nRUN --mount=a\"b y\n",
	    "1-1 FROM <a>\n2-2 RUN --mount=ab y\n");
	EXPECT("FROM a\nCOPY -- --x a b\n", "1-1 FROM <a>\n2-2 COPY <--x> "
	    "<a> <b>\n");
}

static void
test_json(void **state)
{
	(void)state;
	EXPECT("FROM a\nCOPY [\"a b\", \"c\"]\n",
	    "1-1 FROM <a>\n2-2 COPY json <a b> <c>\n");
	EXPECT("FROM a\nCMD [\"a\", 1]\n", "ERR Dockerfile:2: when using JSON "
	    "array syntax, arrays must be comprised of strings only");
	/* not JSON: shell form, split on blanks before expansion */
	EXPECT("FROM a\nCOPY [\"a b\", \"c\"] /d\n",
	    "1-1 FROM <a>\n2-2 COPY <[\"a> <b\",> <\"c\"]> </d>\n");
	EXPECT("FROM a\nRUN [\"echo\", \"\\u00e9\\ud800\"]\n",
	    "1-1 FROM <a>\n2-2 RUN json <echo> <\xC3\xA9\xEF\xBF\xBD>\n");
	EXPECT("FROM a\nSHELL sh -c\n", "ERR Dockerfile:2: SHELL requires the "
	    "arguments to be in JSON form");
}

static void
test_env_arg(void **state)
{
	(void)state;
	EXPECT("FROM a\nENV A=1 B=\"2 3\"\nENV X y z\n",
	    "1-1 FROM <a>\n2-2 ENV <A> <1> <=> <B> <\"2 3\"> <=>\n"
	    "3-3 ENV <X> <y z> <>\n");
	EXPECT("FROM a\nENV X\n", "ERR Dockerfile:2: ENV must have two "
	    "arguments");
	EXPECT("FROM a\nENV A=1 B\n", "ERR Dockerfile:2: Syntax error - can't "
	    "find = in \"B\". Must be of the form: name=value");
	EXPECT("ARG V=1 W\nFROM a\n", "1-1 ARG <V=1> <W>\n2-2 FROM <a>\n");
	EXPECT("ARG =1\nFROM a\n", "ERR Dockerfile:1: ARG names can not be "
	    "blank");
}

static void
test_heredocs(void **state)
{
	(void)state;
	EXPECT("FROM a\nCOPY <<EOF <<-\"E2\" /x\nhello $A\nEOF\n\tworld\n\tE2\n",
	    "1-1 FROM <a>\n2-6 COPY <<<EOF> <<<-\"E2\"> </x> "
	    "H[EOF,expand]{hello $A\n} H[E2,chomp]{\tworld\n}\n");
	/* heredoc bodies are not instructions (rule 4.6 example) */
	EXPECT("FROM a\nRUN <<EOF\nCOPY secrets /\nEOF\n",
	    "1-1 FROM <a>\n2-4 RUN <<<EOF> H[EOF,expand]{COPY secrets /\n}\n");
	EXPECT("FROM a\nRUN <<EOF\nnever ends\n",
	    "ERR Dockerfile:2: unterminated heredoc");
	/* JSON form: no heredocs */
	EXPECT("FROM a\nRUN [\"<<EOF\"]\nCMD x\n",
	    "1-1 FROM <a>\n2-2 RUN json <<<EOF>\n3-3 CMD <x>\n");
	EXPECT("FROM a\nCOPY a <<EOF\nx\nEOF\n", "ERR Dockerfile:2: COPY cannot "
	    "accept a heredoc as a destination");
	assert_true(dockerfile_is_heredoc("<<EOF"));
	assert_true(dockerfile_is_heredoc("3<<-'E F'"));
	assert_true(dockerfile_is_heredoc("<<'EOF'"));
	assert_false(dockerfile_is_heredoc("<<"));
	assert_false(dockerfile_is_heredoc("a<<EOF"));
}

static void
test_onbuild(void **state)
{
	struct dockerfile *df;
	struct ctx_error err;
	const char *t = "FROM a\nONBUILD RUN <<X\nfoo\nX\n";

	(void)state;
	assert_int_equal(dockerfile_parse(t, strlen(t), "D", &df, &err), 0);
	assert_string_equal(df->instrs[1].expression, "RUN <<X\nfoo\nX");
	assert_int_equal(df->instrs[1].trigger->kind, DF_RUN);
	assert_int_equal(df->instrs[1].nheredocs, 1);
	dockerfile_free(df);
	EXPECT("FROM a\nONBUILD ONBUILD RUN x\n", "ERR Dockerfile:2: Chaining "
	    "ONBUILD via `ONBUILD ONBUILD` isn't allowed");
	EXPECT("FROM a\nONBUILD FROM b\n", "ERR Dockerfile:2: FROM isn't "
	    "allowed as an ONBUILD trigger");
}

static void
test_errors(void **state)
{
	char *big;

	(void)state;
	EXPECT("FROM a\nFOO bar\n", "ERR Dockerfile:2: unknown instruction: FOO");
	assert_string_equal(dump_n("FROM a\nRUN\0 x\n", 14),
	    "ERR Dockerfile:2: unknown instruction: RUN");
	EXPECT("RUN x\n", "ERR Dockerfile:1: no build stage in current context");
	EXPECT("FROM a b\n", "ERR Dockerfile:1: FROM requires either one or "
	    "three arguments");
	EXPECT("FROM a AS 1x\n", "ERR Dockerfile:1: invalid name for build "
	    "stage: \"1x\", name can't start with a number or contain symbols");
	EXPECT("FROM a\nCOPY a\n", "ERR Dockerfile:2: COPY requires at least "
	    "two arguments, but only one was provided. Destination could not "
	    "be determined.");
	EXPECT("FROM a\nHEALTHCHECK --interval=1us CMD x\n", "ERR Dockerfile:2: "
	    "Interval \"interval\" cannot be less than 1ms");
	EXPECT("FROM a\nHEALTHCHECK --interval=5s --retries=3 CMD x\n",
	    "1-1 FROM <a>\n2-2 HEALTHCHECK --interval=5s --retries=3 <CMD> "
	    "<x>\n");
	EXPECT("FROM a\nWORKDIR\n", "ERR Dockerfile:2: WORKDIR requires "
	    "exactly one argument");
	big = malloc(70000);
	memset(big, 'a', 69999);
	big[69999] = '\0';
	memcpy(big, "FROM ", 5);
	EXPECT(big, "ERR Dockerfile:1: dockerfile line greater than max "
	    "allowed size of 65535");
	free(big);
}

static void
test_stages(void **state)
{
	struct dockerfile *df;
	struct ctx_error err;
	const char *t = "ARG V=1\nFROM a AS One\nRUN x\nFROM one\nCOPY a b\n"
	    "CMD c\n";

	(void)state;
	assert_int_equal(dockerfile_parse(t, strlen(t), "D", &df, &err), 0);
	assert_int_equal(df->nmeta, 1);
	assert_int_equal(df->nstages, 2);
	assert_string_equal(df->stages[0].name, "one");
	assert_int_equal(df->stages[0].ninstrs, 1);
	assert_string_equal(df->stages[1].base, "one");
	assert_null(df->stages[1].name);
	assert_int_equal(df->stages[1].ninstrs, 2);
	dockerfile_free(df);
}

/* Rule 2.3's detection, including its examples. */
static void
test_detect_syntax(void **state)
{
	char *s;
#define DETECT(text, want) do {						\
	bool ok_ = dfdirective_detect_syntax((text), strlen(text), &s);	\
	if ((want) == NULL)						\
		assert_false(ok_);					\
	else {								\
		assert_true(ok_);					\
		assert_string_equal(s, (want));				\
	}								\
	free(s);							\
} while (0)

	(void)state;
	DETECT("# syntax=docker/dockerfile:1\nFROM a\n", "docker/dockerfile:1");
	DETECT("  # syntax=docker/dockerfile:1\nFROM a\n", NULL);
	DETECT("#!/usr/bin/env x\n# syntax=img\nFROM a\n", "img");
	DETECT("\xEF\xBB\xBF#SYNTAX = img extra  \r\n", "img");
	DETECT("# escape=`\n# syntax=img\n", "img");
	DETECT("# hello\n# syntax=img\n", NULL);
	DETECT("# syntax=a\n# syntax=b\n", "a");
	DETECT("# escape=x\n# escape=y\n# syntax=img\n", NULL);
	DETECT("// syntax=img\nFROM a\n", "img");
	DETECT("{\"syntax\": \"img\", \"x\": [1, {}]}", "img");
	DETECT("{\"syntax\": 1}", NULL);
	DETECT("FROM a\n", NULL);
	DETECT("#\tsyntax\t=\timg\n", "img");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_continuations),
		cmocka_unit_test(test_directives),
		cmocka_unit_test(test_escape_backtick),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_env_arg),
		cmocka_unit_test(test_heredocs),
		cmocka_unit_test(test_onbuild),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_stages),
		cmocka_unit_test(test_detect_syntax),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
