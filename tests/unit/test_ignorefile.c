/*
 * The .dockerignore reader against ignorefile.ReadAll's rules: BOM on the
 * first line only, column-0 comments, Unicode trimming, '!' handling,
 * Clean, one leading '/' dropped, and bufio.Scanner's line limit.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "ignorefile.h"
#include "match.h"

/* Parses buf and checks the patterns (NUL-separated in want, n of them). */
static void
check(const char *buf, size_t len, const char *const *want,
    const size_t *lines, size_t n)
{
	struct ignore_list l;
	struct ctx_error err;
	size_t i;

	ignore_list_init(&l);
	if (ignorefile_parse(buf, len, ".dockerignore", &l, &err) < 0)
		fail_msg("parse: %s", err.msg);
	if (l.n != n) {
		for (i = 0; i < l.n; i++)
			print_message("got [%s]\n", l.patterns[i]);
		fail_msg("got %zu patterns, want %zu", l.n, n);
	}
	for (i = 0; i < n; i++) {
		assert_int_equal(l.lens[i], strlen(want[i]));
		assert_string_equal(l.patterns[i], want[i]);
		if (lines != NULL)
			assert_int_equal(l.lines[i], lines[i]);
	}
	ignore_list_free(&l);
}

#define CHECK(buf, ...) do {						\
	const char *const w_[] = { __VA_ARGS__ };			\
	check(buf, sizeof(buf) - 1, w_, NULL, sizeof(w_) / sizeof(*w_)); \
} while (0)

static void
test_spec_example(void **state)
{
	const char buf[] = "  /docs/  \n#c\n !./a/../b \n";
	const char *const want[] = { "docs", "!b" };
	const size_t lines[] = { 1, 3 };

	(void)state;
	check(buf, sizeof(buf) - 1, want, lines, 2);
}

static void
test_comments_and_blanks(void **state)
{
	(void)state;
	CHECK("#x\n #y\n\n\t\n# z\nz\n", "#y", "z");
	CHECK("a\n\n\nb", "a", "b");
}

static void
test_empty(void **state)
{
	struct ignore_list l;
	struct ctx_error err;

	(void)state;
	ignore_list_init(&l);
	assert_int_equal(ignorefile_parse("", 0, "x", &l, &err), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(ignorefile_parse("\n\r\n \n#\n", 7, "x", &l, &err), 0);
	assert_int_equal(l.n, 0);
	ignore_list_free(&l);
	ignore_list_free(NULL);
}

static void
test_bom_and_crlf(void **state)
{
	(void)state;
	/* one '\r' dropped by the scanner, the other by TrimSpace */
	CHECK("\xEF\xBB\xBF#c\r\nA\r\nB\r\r\n", "A", "B");
	/* a BOM on a later line is part of the pattern */
	CHECK("a\n\xEF\xBB\xBF" "b\n", "a", "\xEF\xBB\xBF" "b");
	CHECK("\xEF\xBB\xBF" "a", "a");
	/* CR-only line ends: one line, its final CR dropped, trimmed */
	CHECK("a\rb\r", "a\rb");
}

static void
test_bang(void **state)
{
	(void)state;
	CHECK("!\n! \n!  /x/\n!!a\n", "!", "!", "!x", "!!a");
	CHECK("/\n//\n/a\n./\n.\n../x\n", "/", "/", "a", ".", ".", "../x");
	CHECK("a/b/../c/\n", "a/c");
	CHECK("!/\n", "!/");
}

static void
test_unicode_space(void **state)
{
	(void)state;
	/* U+0085, U+00A0, U+3000 trim; 0x1c-0x1f do not */
	CHECK("\xC2\x85" "a\xC2\xA0\n\xE3\x80\x80" "b\n\x1c" "c\x1f\n",
	    "a", "b", "\x1c" "c\x1f");
	CHECK("\v\fd\t \n", "d");
}

static void
test_long_line(void **state)
{
	struct ignore_list l;
	struct ctx_error err;
	char *buf;
	size_t n = 65535;

	(void)state;
	buf = malloc(n + 10);
	memcpy(buf, "a\n", 2);
	memset(buf + 2, 'x', n);
	buf[2 + n] = '\n';
	ignore_list_init(&l);
	assert_int_equal(ignorefile_parse(buf, n + 3, "f", &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.lens[1], n);
	ignore_list_free(&l);
	/* 65535 bytes counting a '\r' still fit */
	buf[2 + n - 1] = '\r';
	assert_int_equal(ignorefile_parse(buf, n + 3, "f", &l, &err), 0);
	assert_int_equal(l.lens[1], n - 1);
	ignore_list_free(&l);
	/* 65536: too long, with or without a final '\n' */
	buf[2 + n] = 'x';
	buf[3 + n] = '\n';
	assert_int_equal(ignorefile_parse(buf, n + 4, "f", &l, &err), -1);
	assert_int_equal(err.code, CTX_ERR_IGNOREFILE);
	assert_string_equal(err.msg, "f:2: bufio.Scanner: token too long");
	assert_int_equal(ignorefile_parse(buf, n + 3, "f", &l, &err), -1);
	ignore_list_free(&l);
	free(buf);
}

static void
test_add_and_matcher(void **state)
{
	struct ignore_list l;
	struct ctx_error err;
	struct matcher *m;
	size_t bad;
	const char buf[] = "ok\n\n#c\na[\n";

	(void)state;
	ignore_list_init(&l);
	assert_int_equal(ignorefile_parse(buf, sizeof(buf) - 1, "f", &l,
	    &err), 0);
	assert_int_equal(ignore_list_add(&l, "!.dockerignore", 14, &err), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.lines[2], 0);
	m = matcher_new_at((const char *const *)l.patterns, l.lens, l.n, &bad,
	    &err);
	assert_null(m);
	assert_int_equal(l.lines[bad], 4);
	ignore_list_free(&l);
}

static void
test_nul_byte(void **state)
{
	const char buf[] = "a\0b\n";
	struct ignore_list l;
	struct ctx_error err;

	(void)state;
	ignore_list_init(&l);
	assert_int_equal(ignorefile_parse(buf, 4, "f", &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.lens[0], 3);
	assert_memory_equal(l.patterns[0], "a\0b", 4);
	ignore_list_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_comments_and_blanks),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_bom_and_crlf),
		cmocka_unit_test(test_bang),
		cmocka_unit_test(test_unicode_space),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_add_and_matcher),
		cmocka_unit_test(test_nul_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
