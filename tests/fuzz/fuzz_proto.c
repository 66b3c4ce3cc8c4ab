/*
 * libFuzzer target for the protocol's byte handling: the line framing
 * (proto_reader, fed in chunks whose sizes come from the input, with a
 * small cap so over-long lines happen), the JSON of each line, and the
 * decoding of every string in it (path escapes; base64 text, which ctxctl
 * decodes from the daemon's answers).  Round trips are asserted: a decoded
 * path escapes back to the same bytes, base64 re-encodes to its input, and
 * every line handed out is at most the cap and holds no newline.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_LINE 512

static void
check_string(const json_t *v)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v), n;
	struct ctx_error err;
	char *dec = NULL, *esc, *back;
	unsigned char *raw;
	ptrdiff_t m;

	if (proto_json_str(v, &dec, &err) == 0) {
		n = strlen(dec);
		/* escape(decode(s)) decodes to the same bytes */
		esc = malloc(4 * n + 1);
		back = malloc(4 * n + 1);
		if (esc == NULL || back == NULL)
			abort();
		m = proto_unescape(back, esc, proto_escape(esc, dec, n));
		if (m < 0 || (size_t)m != n || memcmp(back, dec, n) != 0)
			abort();
		free(back);
		free(esc);
		free(dec);
	}
	raw = malloc(len / 4 * 3 + 1);
	if (raw == NULL)
		abort();
	m = proto_base64_decode(raw, s, len);
	if (m >= 0) {
		esc = malloc(((size_t)m + 2) / 3 * 4 + 1);
		if (esc == NULL)
			abort();
		n = proto_base64_encode(esc, raw, (size_t)m);
		if (n != len || memcmp(esc, s, n) != 0)
			abort();
		free(esc);
	}
	free(raw);
}

static void
check_line(const char *line, size_t len)
{
	json_error_t jerr;
	struct manifest_buf text;
	struct ctx_error err;
	const char *key;
	json_t *msg, *v;

	if (len > FUZZ_MAX_LINE || memchr(line, '\n', len) != NULL)
		abort();
	msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (msg == NULL)
		return;
	if (json_is_object(msg)) {
		json_object_foreach(msg, key, v) {
			if (json_is_string(v))
				check_string(v);
		}
		manifest_buf_init(&text);
		(void)proto_text_get(msg, &text, &err);
		manifest_buf_free(&text);
		v = json_object_get(msg, "version");
		if (json_is_string(v))
			(void)proto_version_major(json_string_value(v));
	}
	json_decref(msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_reader r;
	struct ctx_error err;
	size_t off = 0, avail, chunk, len;
	char *space, *line;
	enum proto_read st;

	proto_reader_init(&r, FUZZ_MAX_LINE);
	while (off < size) {
		/* the first byte of each step sets its read size (1-64) */
		chunk = (size_t)(data[off] & 63) + 1;
		off++;
		if ((space = proto_reader_space(&r, &avail, &err)) == NULL)
			abort();
		if (chunk > avail)
			chunk = avail;
		if (chunk > size - off)
			chunk = size - off;
		memcpy(space, data + off, chunk);
		off += chunk;
		proto_reader_commit(&r, chunk);
		while ((st = proto_reader_next(&r, &line, &len)) != PROTO_MORE)
			if (st == PROTO_LINE)
				check_line(line, len);
	}
	proto_reader_free(&r);
	return 0;
}
