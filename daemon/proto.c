/*
 * The protocol's data layer shared by ctxd and ctxctl: the byte-string
 * escaping, the text framing, message constructors and the line reader
 * (see proto.h; man/ctxd.8 documents the same rules for other clients).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

size_t
proto_utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n, i;
	uint32_t cp, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool
proto_text_is_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if (p[i] == 0)
			return false;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = proto_utf8_seq(p + i, len - i)) == 0)
			return false;
		i += n;
	}
	return true;
}

static const char hexdigits[] = "0123456789abcdef";

size_t
proto_escape(char *dst, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, n;

	while (i < len) {
		if (s[i] >= 0x80 && (n = proto_utf8_seq(s + i, len - i)) > 0) {
			memcpy(dst + o, s + i, n);
			o += n;
			i += n;
			continue;
		}
		if (s[i] < 0x20 || s[i] == 0x7f || s[i] == '\\' || s[i] >= 0x80) {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hexdigits[s[i] >> 4];
			dst[o++] = hexdigits[s[i] & 0xf];
		} else
			dst[o++] = (char)s[i];
		i++;
	}
	return o;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ptrdiff_t
proto_unescape(char *dst, const char *src, size_t len)
{
	size_t i = 0, o = 0;
	int hi, lo;

	while (i < len) {
		if (src[i] != '\\') {
			dst[o++] = src[i++];
			continue;
		}
		if (len - i < 4 || src[i + 1] != 'x' ||
		    (hi = hexval(src[i + 2])) < 0 || (lo = hexval(src[i + 3])) < 0)
			return -1;
		dst[o++] = (char)(hi << 4 | lo);
		i += 4;
	}
	return (ptrdiff_t)o;
}

json_t *
proto_bytes_json(const char *s, size_t len)
{
	json_t *v;
	char *buf;
	size_t n;

	if (len > SIZE_MAX / 4 || (buf = malloc(len * 4 + 1)) == NULL)
		return NULL;
	n = proto_escape(buf, s, len);
	v = json_stringn_nocheck(buf, n);
	free(buf);
	return v;
}

json_t *
proto_str_json(const char *s)
{
	return proto_bytes_json(s, strlen(s));
}

int
proto_json_str(const json_t *v, char **out, struct ctx_error *err)
{
	const char *s;
	size_t len;
	ptrdiff_t n;
	char *buf;

	if (!json_is_string(v))
		return ctx_error_set(err, CTX_ERR_USAGE, "not a string");
	s = json_string_value(v);
	len = json_string_length(v);
	if ((buf = malloc(len + 1)) == NULL)
		return ctx_error_nomem(err);
	n = proto_unescape(buf, s, len);
	if (n < 0 || memchr(buf, '\0', (size_t)n) != NULL) {
		free(buf);
		return ctx_error_set(err, CTX_ERR_USAGE, n < 0 ?
		    "malformed escape ('\\' must start \\xHH)" :
		    "a NUL byte in a path");
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
proto_base64_encode(char *dst, const unsigned char *src, size_t len)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
		dst[o++] = b64[v >> 18 & 63];
		dst[o++] = b64[v >> 12 & 63];
		dst[o++] = b64[v >> 6 & 63];
		dst[o++] = b64[v & 63];
	}
	if (i < len) {
		v = (uint32_t)src[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)src[i + 1] << 8;
		dst[o++] = b64[v >> 18 & 63];
		dst[o++] = b64[v >> 12 & 63];
		dst[o++] = i + 1 < len ? b64[v >> 6 & 63] : '=';
		dst[o++] = '=';
	}
	return o;
}

static int
b64val(char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64, c)) == NULL)
		return -1;
	return (int)(p - b64);
}

ptrdiff_t
proto_base64_decode(unsigned char *dst, const char *src, size_t len)
{
	size_t i, o = 0, pad = 0;
	int k, d[4];
	uint32_t v;

	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		for (k = 0; k < 4; k++) {
			if (src[i + k] == '=' && i + 4 == len && k >= 2 &&
			    (k == 3 || src[i + 3] == '=')) {
				d[k] = 0;
				pad++;
			} else if ((d[k] = b64val(src[i + k])) < 0)
				return -1;
		}
		v = (uint32_t)d[0] << 18 | (uint32_t)d[1] << 12 |
		    (uint32_t)d[2] << 6 | (uint32_t)d[3];
		/* Canonical only (RFC 4648 3.5): the bits the padding leaves
		 * over are zero, so one text stands for one byte string. */
		if ((pad == 1 && (v & 0xff) != 0) ||
		    (pad == 2 && (v & 0xffff) != 0))
			return -1;
		dst[o++] = (unsigned char)(v >> 16);
		if (pad < 2)
			dst[o++] = (unsigned char)(v >> 8);
		if (pad < 1)
			dst[o++] = (unsigned char)v;
	}
	return (ptrdiff_t)o;
}

int
proto_text_set(json_t *obj, const char *data, size_t len)
{
	char *buf;
	size_t n;
	int rc;

	if (proto_text_is_utf8(data, len))
		return json_object_set_new(obj, "text",
		    json_stringn_nocheck(data, len));
	if (len > SIZE_MAX / 2 || (buf = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return -1;
	n = proto_base64_encode(buf, (const unsigned char *)data, len);
	rc = json_object_set_new(obj, "text_base64",
	    json_stringn_nocheck(buf, n));
	free(buf);
	return rc;
}

static int
buf_append(struct manifest_buf *b, const void *data, size_t len,
    struct ctx_error *err)
{
	size_t cap;
	char *p;

	if (len > b->cap - b->len) {
		cap = b->cap ? b->cap : 4096;
		while (cap - b->len < len) {
			if (cap > SIZE_MAX / 2)
				return ctx_error_nomem(err);
			cap *= 2;
		}
		if ((p = realloc(b->data, cap)) == NULL)
			return ctx_error_nomem(err);
		b->data = p;
		b->cap = cap;
	}
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

int
proto_text_get(const json_t *obj, struct manifest_buf *out,
    struct ctx_error *err)
{
	const json_t *v;
	unsigned char *buf;
	ptrdiff_t n;
	int rc;

	if ((v = json_object_get(obj, "text")) != NULL && json_is_string(v))
		return buf_append(out, json_string_value(v),
		    json_string_length(v), err);
	v = json_object_get(obj, "text_base64");
	if (!json_is_string(v))
		return ctx_error_set(err, CTX_ERR_USAGE,
		    "response has neither text nor text_base64");
	if ((buf = malloc(json_string_length(v) / 4 * 3 + 1)) == NULL)
		return ctx_error_nomem(err);
	n = proto_base64_decode(buf, json_string_value(v),
	    json_string_length(v));
	if (n < 0)
		rc = ctx_error_set(err, CTX_ERR_USAGE, "bad text_base64");
	else
		rc = buf_append(out, buf, (size_t)n, err);
	free(buf);
	return rc;
}

json_t *
proto_ok(json_t *id)
{
	return json_pack("{s:O,s:b}", "id", id ? id : json_null(), "ok", 1);
}

/* A human message is escaped like a path (it may quote one, with any
 * bytes): always, so a reader can always decode it. */
static json_t *
message_json(const char *msg)
{
	return proto_str_json(msg);
}

json_t *
proto_fail(json_t *id, const char *code, const char *msg)
{
	return json_pack("{s:O,s:b,s:{s:s,s:o}}", "id", id ? id : json_null(),
	    "ok", 0, "error", "code", code, "message", message_json(msg));
}

json_t *
proto_error_event(const char *code, const char *msg)
{
	return json_pack("{s:s,s:{s:s,s:o}}", "event", "error", "error",
	    "code", code, "message", message_json(msg));
}

int
proto_version_major(const char *v)
{
	char *end;
	long major;

	if (v == NULL || *v < '0' || *v > '9')
		return -1;
	major = strtol(v, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9' || major > 1000)
		return -1;
	strtol(end + 1, &end, 10);
	return *end == '\0' ? (int)major : -1;
}

char *
proto_encode(const json_t *msg, size_t *len)
{
	char *s, *line;
	size_t n;

	if ((s = json_dumps(msg, JSON_COMPACT)) == NULL)
		return NULL;
	n = strlen(s);
	if ((line = realloc(s, n + 2)) == NULL) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*len = n + 1;
	return line;
}

void
proto_reader_init(struct proto_reader *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
}

void
proto_reader_free(struct proto_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	proto_reader_init(r, r->max);
}

char *
proto_reader_space(struct proto_reader *r, size_t *avail,
    struct ctx_error *err)
{
	size_t cap;
	char *p;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->len - r->start);
		r->len -= r->start;
		r->start = 0;
	}
	/* Grow by doubling while less than 4 KiB is free, up to max + 1:
	 * after proto_reader_next() said PROTO_MORE, len <= max. */
	if (r->cap - r->len < 4096 && r->cap < r->max + 1) {
		cap = r->cap ? r->cap * 2 : 8192;
		if (cap > r->max + 1)
			cap = r->max + 1;
		if ((p = realloc(r->buf, cap)) == NULL) {
			ctx_error_nomem(err);
			return NULL;
		}
		r->buf = p;
		r->cap = cap;
	}
	*avail = r->cap - r->len;
	return r->buf + r->len;
}

void
proto_reader_commit(struct proto_reader *r, size_t n)
{
	r->len += n;
}

enum proto_read
proto_reader_next(struct proto_reader *r, char **line, size_t *len)
{
	char *nl;

	while (r->start < r->len) {
		nl = memchr(r->buf + r->start, '\n', r->len - r->start);
		if (r->discarding) {
			if (nl == NULL) {
				r->start = r->len;
				return PROTO_MORE;
			}
			r->discarding = false;
			r->start = (size_t)(nl - r->buf) + 1;
			continue;
		}
		if (nl != NULL && (size_t)(nl - (r->buf + r->start)) <= r->max) {
			*nl = '\0';
			*line = r->buf + r->start;
			*len = (size_t)(nl - *line);
			r->start = (size_t)(nl - r->buf) + 1;
			return PROTO_LINE;
		}
		if (nl != NULL || r->len - r->start > r->max) {
			/* Over the cap: drop it, and the rest up to its newline. */
			if (nl != NULL)
				r->start = (size_t)(nl - r->buf) + 1;
			else {
				r->start = r->len;
				r->discarding = true;
			}
			return PROTO_TOO_LONG;
		}
		break;
	}
	if (r->start == r->len)
		r->start = r->len = 0;
	return PROTO_MORE;
}
