/* Unit tests for shellword.c: BuildKit's shell/lex.go ProcessWord and
 * ProcessWords semantics (spec bk-v1 rule 4.3), exact outputs. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "shellword.h"

static const struct shellword_var vars[] = {
	{ "A", "apple" }, { "EMPTY", "" }, { "P", "/usr/local/bin" },
	{ "F", "archive.tar.gz" }, { "S", "a b" }, { "X", "old" },
	{ "X", "new" }, { "é", "accent" }, { "N", "a\nb" },
};
static const struct shellword_env env = {
	vars, sizeof(vars) / sizeof(vars[0])
};

/* Expand w with the default lexer (escape '\\'), "ERR" on failure. */
static char *
ex_lex(const struct shellword_lex *lex, const char *w)
{
	struct ctx_error err;
	char *out;

	if (shellword_process(lex, w, strlen(w), &env, &out, &err) == -1)
		return strdup("ERR");
	return out;
}

#define EXPECT_LEX(lex, in, want) do {					\
	char *got_ = ex_lex((lex), (in));				\
	assert_string_equal(got_, (want));				\
	free(got_);							\
} while (0)
#define EXPECT(in, want) EXPECT_LEX(&dflt, in, want)

static const struct shellword_lex dflt = { .escape = '\\' };

static void
test_plain_and_quotes(void **state)
{
	(void)state;
	EXPECT("abc", "abc");
	EXPECT("", "");
	EXPECT("'a $A b'", "a $A b");
	EXPECT("\"a $A b\"", "a apple b");
	EXPECT("\"a\\\"b\"", "a\"b");
	EXPECT("\"a\\$A\"", "a$A");
	EXPECT("\"a\\\\b\"", "a\\b");
	EXPECT("\"a\\nb\"", "a\\nb");	/* \ escapes only " $ \ in "" */
	EXPECT("a\\ b", "a b");
	EXPECT("a\\", "a");		/* escape at the end is dropped */
	EXPECT("'unterminated", "ERR");
	EXPECT("\"unterminated", "ERR");
	EXPECT("a\"\"b", "ab");
}

static void
test_variables(void **state)
{
	(void)state;
	EXPECT("$A", "apple");
	EXPECT("${A}", "apple");
	EXPECT("$A/x", "apple/x");
	EXPECT("$UNSET", "");
	EXPECT("x${UNSET}y", "xy");
	EXPECT("$", "$");
	EXPECT("a$/b", "a$/b");
	EXPECT("$X", "new");		/* the later definition wins */
	EXPECT("$1x", "x");		/* digits form a name */
	EXPECT("$@x", "x");		/* special parameter */
	EXPECT("$é", "accent");		/* Unicode letters form names */
	EXPECT("${", "ERR");
	EXPECT("${A", "ERR");
	EXPECT("${}", "ERR");
	EXPECT("${:-x}", "ERR");
	EXPECT("${{A}", "ERR");
	EXPECT("${A!}", "ERR");
	EXPECT("${A:x}", "ERR");
}

static void
test_modifiers(void **state)
{
	(void)state;
	EXPECT("${A:-w}", "apple");
	EXPECT("${UNSET:-w}", "w");
	EXPECT("${EMPTY:-w}", "w");
	EXPECT("${EMPTY-w}", "");
	EXPECT("${UNSET-w}", "w");
	EXPECT("${A:+w}", "w");
	EXPECT("${EMPTY:+w}", "");
	EXPECT("${EMPTY+w}", "w");
	EXPECT("${UNSET+w}", "");
	EXPECT("${A:?msg}", "apple");
	EXPECT("${UNSET:?msg}", "ERR");
	EXPECT("${UNSET?}", "ERR");
	EXPECT("${EMPTY?x}", "");
	EXPECT("${EMPTY:?x}", "ERR");
	EXPECT("${UNSET:-$A}", "apple");
	EXPECT("${UNSET:-'a b'}", "a b");
	EXPECT("${UNSET:-x", "ERR");
}

static void
test_patterns(void **state)
{
	(void)state;
	EXPECT("${F#*.}", "tar.gz");
	EXPECT("${F##*.}", "gz");
	EXPECT("${F%.*}", "archive.tar");
	EXPECT("${F%%.*}", "archive");
	EXPECT("${P#/usr}", "/local/bin");
	EXPECT("${P#nomatch}", "/usr/local/bin");
	EXPECT("${F#?}", "rchive.tar.gz");
	EXPECT("${F%\\*}", "archive.tar.gz");
	EXPECT("${F/a/A}", "Archive.tar.gz");
	EXPECT("${F//a/A}", "Archive.tAr.gz");
	EXPECT("${F//.}", "ERR");	/* missing '/' */
	EXPECT("${F//./}", "archivetargz");
	EXPECT("${F/*/x}", "x");
	EXPECT("${UNSET/a/b}", "");
	EXPECT("${A/p*/P}", "aP");
	EXPECT("${N#*}", "a\nb");	/* `*` does not cross a newline */
	EXPECT("${N##*}", "\nb");
	EXPECT("${F#\\q}", "ERR");	/* invalid escape in a pattern */
	EXPECT("${A//p/[$0]}", "a[][]le");	/* $0 is expanded (unset) */
	EXPECT("${A//p/['$0']}", "a[p][p]le");	/* Regexp.Expand: $0 */
	EXPECT("${A/p/['$0']}", "a[$0]ple");	/* one: no Expand */
	EXPECT("${A//x*/y}", "apple");
}

static void
test_backtick_escape(void **state)
{
	static const struct shellword_lex bt = { .escape = '`' };

	(void)state;
	EXPECT_LEX(&bt, "a`$A", "a$A");
	EXPECT_LEX(&bt, "c:\\dir", "c:\\dir");
	EXPECT_LEX(&bt, "\"`\"\"", "\"");
}

static void
test_raw_modes(void **state)
{
	static const struct shellword_lex raw = { .escape = '\\',
	    .raw_quotes = true, .raw_escapes = true, .skip_unset_env = true };
	static const struct shellword_lex skipq = { .escape = '\\',
	    .skip_process_quotes = true };

	(void)state;
	EXPECT_LEX(&raw, "'a' \"$A\" \\x $NOPE ${NOPE:-d}",
	    "'a' \"apple\" \\x $NOPE ${NOPE:-d}");
	EXPECT_LEX(&skipq, "'$A'", "'apple'");
}

static void
test_words(void **state)
{
	struct ctx_error err;
	char **w;
	size_t n;

	(void)state;
	assert_int_equal(shellword_process_words(&dflt, "a \"b c\" $S d''",
	    strlen("a \"b c\" $S d''"), &env, &w, &n, &err), 0);
	assert_int_equal(n, 5);
	assert_string_equal(w[0], "a");
	assert_string_equal(w[1], "b c");
	assert_string_equal(w[2], "a");	/* expansions are split */
	assert_string_equal(w[3], "b");
	assert_string_equal(w[4], "d");
	shellword_words_free(w, n);

	assert_int_equal(shellword_process_words(&dflt, "  \"\"  ", 6, &env,
	    &w, &n, &err), 0);
	assert_int_equal(n, 0);	/* an empty quoted word is no word */
	shellword_words_free(w, n);
}

static void
test_invalid_utf8_and_bom(void **state)
{
	(void)state;
	EXPECT("a\xff" "b", "a\xEF\xBF\xBD" "b");	/* U+FFFD */
	EXPECT("\xEF\xBB\xBF" "abc", "abc");	/* text/scanner drops a BOM */
}

static void
test_too_large(void **state)
{
	static struct shellword_var big[1];
	struct shellword_env e = { big, 1 };
	struct ctx_error err;
	char *v = malloc(SHELLWORD_MAX_RESULT / 2 + 2), *out;

	(void)state;
	memset(v, 'x', SHELLWORD_MAX_RESULT / 2 + 1);
	v[SHELLWORD_MAX_RESULT / 2 + 1] = '\0';
	big[0].name = "B";
	big[0].value = v;
	assert_int_equal(shellword_process(&dflt, "$B$B", 4, &e, &out, &err),
	    -1);
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_quotes),
		cmocka_unit_test(test_variables),
		cmocka_unit_test(test_modifiers),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_backtick_escape),
		cmocka_unit_test(test_raw_modes),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_invalid_utf8_and_bom),
		cmocka_unit_test(test_too_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
