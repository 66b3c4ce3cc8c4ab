/*
 * proto.c: the byte-string escaping (exact forms, round trips of every
 * byte and of random names), UTF-8 validation, the text framing (UTF-8 or
 * base64) and the line reader with its 64 KiB cap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "proto.h"

static void
check_escape(const char *in, size_t len, const char *want)
{
	char *buf = malloc(len * 4 + 1);
	size_t n;

	assert_non_null(buf);
	n = proto_escape(buf, in, len);
	buf[n] = '\0';
	assert_string_equal(buf, want);
	assert_true(proto_text_is_utf8(buf, n));
	free(buf);
}

static void
roundtrip(const char *in, size_t len)
{
	char *enc = malloc(len * 4 + 1), *dec = malloc(len * 4 + 1);
	ptrdiff_t n;
	size_t e;

	assert_non_null(enc);
	assert_non_null(dec);
	e = proto_escape(enc, in, len);
	assert_true(proto_text_is_utf8(enc, e));
	n = proto_unescape(dec, enc, e);
	assert_int_equal(n, (ptrdiff_t)len);
	assert_memory_equal(dec, in, len);
	free(enc);
	free(dec);
}

static void
test_escape_exact(void **state)
{
	(void)state;
	check_escape("plain/name.txt", 14, "plain/name.txt");
	check_escape("new\nline", 8, "new\\x0aline");
	check_escape("back\\slash", 10, "back\\x5cslash");
	check_escape("\x7f\x01", 2, "\\x7f\\x01");
	check_escape("nul\0x", 5, "nul\\x00x");
	/* Valid UTF-8 stays as is. */
	check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3", 14,
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3");
	/* Invalid UTF-8: each byte escaped. */
	check_escape("\xff", 1, "\\xff");
	check_escape("a\xc3(", 3, "a\\xc3(");
	check_escape("\xc0\xaf", 2, "\\xc0\\xaf");		/* overlong '/' */
	check_escape("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");	/* surrogate */
	check_escape("\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80"); /* > U+10FFFF */
	check_escape("\xe2\x82", 2, "\\xe2\\x82");		/* truncated */
}

static void
test_roundtrip_every_byte(void **state)
{
	char all[256], pair[2];
	int i, j;

	(void)state;
	for (i = 0; i < 256; i++)
		all[i] = (char)i;
	roundtrip(all, sizeof(all));
	for (i = 0; i < 256; i++)
		for (j = 0; j < 256; j += 7) {
			pair[0] = (char)i;
			pair[1] = (char)j;
			roundtrip(pair, 2);
		}
}

static void
test_roundtrip_random(void **state)
{
	char buf[64];
	int i, k, len;

	(void)state;
	srand(42);
	for (i = 0; i < 20000; i++) {
		len = rand() % (int)sizeof(buf);
		for (k = 0; k < len; k++)
			buf[k] = (char)(rand() % 4 == 0 ? 0x80 + rand() % 128 :
			    rand() % 256);
		roundtrip(buf, (size_t)len);
	}
}

static void
test_unescape_malformed(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(proto_unescape(out, "a\\", 2), -1);
	assert_int_equal(proto_unescape(out, "\\n", 2), -1);
	assert_int_equal(proto_unescape(out, "\\x4", 3), -1);
	assert_int_equal(proto_unescape(out, "\\xg0", 4), -1);
	assert_int_equal(proto_unescape(out, "\\x41\\X41", 8), -1);
	assert_int_equal(proto_unescape(out, "\\x41\\x4A", 8), 2);
	assert_memory_equal(out, "AJ", 2);
}

static void
test_json_str(void **state)
{
	struct ctx_error err;
	json_t *v;
	char *s;

	(void)state;
	v = proto_bytes_json("a\xff\n", 3);
	assert_non_null(v);
	assert_string_equal(json_string_value(v), "a\\xff\\x0a");
	assert_int_equal(proto_json_str(v, &s, &err), 0);
	assert_string_equal(s, "a\xff\n");
	free(s);
	json_decref(v);
	v = json_string("nul\\x00");
	assert_int_equal(proto_json_str(v, &s, &err), -1);
	json_decref(v);
	v = json_integer(3);
	assert_int_equal(proto_json_str(v, &s, &err), -1);
	json_decref(v);
}

static void
check_text(const char *data, size_t len, const char *field)
{
	struct manifest_buf out;
	struct ctx_error err;
	json_t *o = json_object();
	char *line;
	size_t n;
	json_t *back;

	manifest_buf_init(&out);
	assert_int_equal(proto_text_set(o, data, len), 0);
	assert_non_null(json_object_get(o, field));
	/* Through the wire and back. */
	line = proto_encode(o, &n);
	assert_non_null(line);
	assert_int_equal(line[n - 1], '\n');
	assert_null(memchr(line, '\n', n - 1));
	back = json_loadb(line, n - 1, 0, NULL);
	assert_non_null(back);
	assert_int_equal(proto_text_get(back, &out, &err), 0);
	assert_int_equal(out.len, len);
	if (len > 0)
		assert_memory_equal(out.data, data, len);
	manifest_buf_free(&out);
	json_decref(back);
	json_decref(o);
	free(line);
}

static void
test_text_framing(void **state)
{
	char big[3000];
	size_t i;

	(void)state;
	check_text("", 0, "text");
	check_text("Dockerfile\napp/\n", 16, "text");
	check_text("caf\xc3\xa9\n", 6, "text");
	check_text("bad\xff\n", 5, "text_base64");
	check_text("a\0b", 3, "text_base64");
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	for (i = 0; i < 3; i++)
		check_text(big, sizeof(big) - i, "text_base64");
}

static void
test_base64(void **state)
{
	unsigned char out[16];
	char enc[32];

	(void)state;
	assert_int_equal(proto_base64_encode(enc, (const unsigned char *)"foobar", 6), 8);
	assert_memory_equal(enc, "Zm9vYmFy", 8);
	assert_int_equal(proto_base64_encode(enc, (const unsigned char *)"fo", 2), 4);
	assert_memory_equal(enc, "Zm8=", 4);
	assert_int_equal(proto_base64_decode(out, "Zg==", 4), 1);
	assert_int_equal(out[0], 'f');
	assert_int_equal(proto_base64_decode(out, "Zg=", 3), -1);
	assert_int_equal(proto_base64_decode(out, "Z===", 4), -1);
	assert_int_equal(proto_base64_decode(out, "Zg==Zg==", 8), -1);
	assert_int_equal(proto_base64_decode(out, "Z!==", 4), -1);
	/* Only the canonical form: the bits under the padding are zero (else
	 * two texts would carry the same bytes; found by fuzz_proto). */
	assert_int_equal(proto_base64_decode(out, "aGVsbG8=", 8), 5);
	assert_memory_equal(out, "hello", 5);
	assert_int_equal(proto_base64_decode(out, "aGVsbG9=", 8), -1);
	assert_int_equal(proto_base64_decode(out, "Zh==", 4), -1);
	assert_int_equal(proto_base64_decode(out, "Zm9=", 4), -1);
}

static void
test_version(void **state)
{
	(void)state;
	assert_int_equal(proto_version_major(CTXD_PROTO_VERSION), CTXD_PROTO_MAJOR);
	assert_int_equal(proto_version_major("2.13"), 2);
	assert_int_equal(proto_version_major("1"), -1);
	assert_int_equal(proto_version_major("1.x"), -1);
	assert_int_equal(proto_version_major("v1.0"), -1);
	assert_int_equal(proto_version_major(""), -1);
	assert_int_equal(proto_version_major(NULL), -1);
}

static void
test_messages(void **state)
{
	json_t *id = json_integer(7), *m;
	char *s;

	(void)state;
	m = proto_fail(id, PROTO_E_BAD_ARGUMENT, "field \"root\" missing");
	s = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"error\":{\"code\":\"bad-argument\",\"message\":"
	    "\"field \\\"root\\\" missing\"},\"id\":7,\"ok\":false}");
	free(s);
	json_decref(m);
	m = proto_ok(NULL);
	s = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"id\":null,\"ok\":true}");
	free(s);
	json_decref(m);
	/* A message naming a non-UTF-8 path stays JSON. */
	m = proto_error_event(PROTO_E_CONTEXT_REFUSED, "open '/x\xff'");
	s = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"error\":{\"code\":\"context-refused\","
	    "\"message\":\"open '/x\\\\xff'\"},\"event\":\"error\"}");
	free(s);
	json_decref(m);
	json_decref(id);
}

/* Feeds data to r in chunks of step bytes, collecting what next() says
 * into log: "L<line>" per line, "T" per overlong line. */
static void
feed(struct proto_reader *r, const char *data, size_t len, size_t step,
    char *log, size_t logsz)
{
	size_t off = 0, n, avail, ll;
	enum proto_read k;
	char *p, *line;

	log[0] = '\0';
	while (off < len) {
		p = proto_reader_space(r, &avail, NULL);
		assert_non_null(p);
		assert_true(avail >= 1);
		n = len - off < step ? len - off : step;
		if (n > avail)
			n = avail;
		memcpy(p, data + off, n);
		proto_reader_commit(r, n);
		off += n;
		while ((k = proto_reader_next(r, &line, &ll)) != PROTO_MORE) {
			assert_true(r->cap <= r->max + 1);
			if (k == PROTO_TOO_LONG)
				strncat(log, "T|", logsz - strlen(log) - 1);
			else {
				assert_int_equal(strlen(line), ll);
				strncat(log, "L", logsz - strlen(log) - 1);
				strncat(log, line, logsz - strlen(log) - 1);
				strncat(log, "|", logsz - strlen(log) - 1);
			}
		}
	}
}

static void
test_reader_lines(void **state)
{
	struct proto_reader r;
	char log[256];
	size_t step;

	(void)state;
	for (step = 1; step < 20; step++) {
		proto_reader_init(&r, 16);
		feed(&r, "a\n\nbcd\nunterminated", 19, step, log, sizeof(log));
		assert_string_equal(log, "La|L|Lbcd|");
		proto_reader_free(&r);
	}
}

static void
test_reader_cap(void **state)
{
	struct proto_reader r;
	char log[256], *data;
	size_t step, n;

	(void)state;
	/* Exactly the cap is a line; one byte more is not; the rest of an
	 * overlong line is discarded and the next line is read. */
	for (step = 1; step < 40; step += 3) {
		proto_reader_init(&r, 8);
		feed(&r, "12345678\n123456789\nok\n1234567890123456789012\nend\n",
		    50, step, log, sizeof(log));
		assert_string_equal(log, "L12345678|T|Lok|T|Lend|");
		proto_reader_free(&r);
	}
	/* The daemon's cap: a 70 KiB line, then a good one. */
	n = 70 * 1024;
	data = malloc(n + 8);
	assert_non_null(data);
	memset(data, 'x', n);
	memcpy(data + n, "\nhello\n", 7);
	proto_reader_init(&r, PROTO_REQUEST_MAX);
	feed(&r, data, n + 7, 4096, log, sizeof(log));
	assert_string_equal(log, "T|Lhello|");
	assert_true(r.cap <= PROTO_REQUEST_MAX + 1);
	proto_reader_free(&r);
	free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_exact),
		cmocka_unit_test(test_roundtrip_every_byte),
		cmocka_unit_test(test_roundtrip_random),
		cmocka_unit_test(test_unescape_malformed),
		cmocka_unit_test(test_json_str),
		cmocka_unit_test(test_text_framing),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_reader_lines),
		cmocka_unit_test(test_reader_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
