/* Go's strings.TrimSpace, filepath.Clean and filepath.Match as gopath.c
 * reproduces them; the expected values are what Go 1.22 returns. */
#include "testutil.h"

#include <string.h>

#include "gopath.h"

static void
check_clean(const char *in, const char *want)
{
	char out[256];
	size_t n = gopath_clean(in, strlen(in), out);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void
test_clean(void **state)
{
	(void)state;
	check_clean("", ".");
	check_clean(".", ".");
	check_clean("./", ".");
	check_clean("/", "/");
	check_clean("//", "/");
	check_clean("a/../b", "b");
	check_clean("a/..", ".");
	check_clean("/../x", "/x");
	check_clean("../x", "../x");
	check_clean("../../a/../b", "../../b");
	check_clean("a//b/", "a/b");
	check_clean("//e.txt", "/e.txt");
	check_clean("sub/./f.txt", "sub/f.txt");
	check_clean("!./a", "!./a");
	check_clean("a/b/../../..", "..");
	check_clean("/a/b/../../..", "/");
	check_clean("abc/def/", "abc/def");
}

static void
check_match(const char *pat, const char *name, int want, int want_bad)
{
	int got = gopath_match(pat, strlen(pat), name, strlen(name), true);

	if (got != (want_bad ? -1 : want))
		fail_msg("Match(%s, %s) = %d, want %d bad=%d", pat, name, got,
		    want, want_bad);
}

static void
test_match(void **state)
{
	(void)state;
	check_match("abc", "abc", 1, 0);
	check_match("*", "abc", 1, 0);
	check_match("*", "", 1, 0);
	check_match("*c", "abc", 1, 0);
	check_match("a*", "a", 1, 0);
	check_match("a*", "ab/c", 0, 0);
	check_match("a*/b", "abc/b", 1, 0);
	check_match("a*b*c*d*e*/f", "axbxcxdxe/f", 1, 0);
	check_match("a*b*c*d*e*/f", "axbxcxdxexxx/f", 1, 0);
	check_match("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", 0, 0);
	check_match("ab[c]", "abc", 1, 0);
	check_match("ab[b-d]", "abc", 1, 0);
	check_match("ab[^c]", "abc", 0, 0);
	check_match("ab[^b-d]", "abe", 1, 0);
	check_match("[!a]", "!", 1, 0);
	check_match("a?b", "a/b", 0, 0);
	check_match("a\\*b", "a*b", 1, 0);
	check_match("a\\*b", "ab", 0, 0);
	check_match("[\\-]", "-", 1, 0);
	check_match("[x\\-]", "z", 0, 0);
	check_match("[", "a", 0, 1);
	check_match("[^", "a", 0, 1);
	check_match("[^bc", "a", 0, 1);
	check_match("a[", "a", 0, 1);
	check_match("a[", "ab", 0, 1);
	check_match("[a-]", "a", 0, 1);
	check_match("[]", "a", 0, 1);
	check_match("*x", "xxx", 1, 0);
	check_match("a\\", "a", 0, 1);
	/* Go >= 1.20 validates the rest of the pattern after a failed star. */
	check_match("x*[", "xy", 0, 1);
	/* Without the remainder check (the docker CLI's Go): no error. */
	assert_int_equal(gopath_match("x*[", 3, ".", 1, false), 0);
	assert_int_equal(gopath_match("x*[", 3, "xy", 2, false), -1);
	assert_int_equal(gopath_match("*.txt/a*/[a-]", 13, ".", 1, false), 0);
	assert_int_equal(gopath_match("x[", 2, ".", 1, false), -1);
	check_match("*[", ".", 0, 1);
	check_match("日本語", "日本語", 1, 0);
	check_match("?", "日", 1, 0);
}

/* Byte strings of a given length: NUL is an ordinary byte. */
static void
test_lengths(void **state)
{
	char out[64];
	size_t n;
	const char *s;

	(void)state;
	n = gopath_clean("../a/../../b/", 13, out);
	assert_int_equal(n, 7);
	assert_memory_equal(out, "../../b", 8);
	n = gopath_clean("/../x", 5, out);
	assert_memory_equal(out, "/x", n);
	n = gopath_clean("", 0, out);
	assert_memory_equal(out, ".", n);
	n = gopath_clean("a\0b/./c", 7, out);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "a\0b/c", 6);
	s = "\xC2\x85 x \xE2\x80\x8A";
	n = strlen(s);
	gopath_trim_space(&s, &n);
	assert_int_equal(n, 1);
	assert_int_equal(s[0], 'x');
	s = " \xE2\x80 ";
	n = strlen(s);
	gopath_trim_space(&s, &n);
	assert_int_equal(n, 2);		/* a bad byte is no space */
	assert_int_equal(gopath_match("a*[b-d]", 7, "axc", 3, true), 1);
	assert_int_equal(gopath_match("a?", 2, "a/", 2, true), 0);
	assert_int_equal(gopath_match("[^a]", 4, "b", 1, true), 1);
	assert_int_equal(gopath_match("a\0b", 3, "a\0b", 3, true), 1);
	assert_int_equal(gopath_match("a\0b", 3, "a", 1, true), 0);
	assert_int_equal(gopath_match("?", 1, "\0", 1, true), 1);
	assert_int_equal(gopath_match("*", 1, "a\0/", 3, true), 0);
	/* the remainder after a failed star is still checked, past the NUL */
	assert_int_equal(gopath_match("x*\0y*[", 6, "xa", 2, true), -1);
}

static size_t
decode(const char *s, size_t n, uint32_t *r)
{
	return gopath_decode_rune((const unsigned char *)s, n, r);
}

/* utf8.DecodeRune / EncodeRune: strict, bad input as U+FFFD. */
static void
test_runes(void **state)
{
	char out[4];
	uint32_t r;

	(void)state;
	assert_int_equal(decode("\xE6\x97\xA5", 3, &r), 3);
	assert_int_equal(r, 0x65E5);
	assert_int_equal(gopath_encode_rune(r, out), 3);
	assert_memory_equal(out, "\xE6\x97\xA5", 3);
	/* truncated, overlong and surrogate sequences: one bad byte */
	assert_int_equal(decode("\xE6\x97", 2, &r), 1);
	assert_int_equal(r, 0xFFFD);
	assert_int_equal(decode("\xC0\x80", 2, &r), 1);
	assert_int_equal(r, 0xFFFD);
	assert_int_equal(decode("\xED\xA0\x80", 3, &r), 1);
	assert_int_equal(r, 0xFFFD);
	assert_int_equal(gopath_encode_rune(0xD800, out), 3);
	assert_memory_equal(out, "\xEF\xBF\xBD", 3);
	assert_int_equal(gopath_encode_rune(0x10FFFF, out), 4);
	assert_memory_equal(out, "\xF4\x8F\xBF\xBF", 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_runes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
