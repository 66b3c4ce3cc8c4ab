/*
 * The ctxd protocol, in one header (tmux style): newline-delimited JSON
 * over an AF_UNIX stream socket.  A request is one line
 * {"id":N,"cmd":"...",...}; its response echoes the id,
 * {"id":N,"ok":true,...} or {"id":N,"ok":false,"error":{"code":C,
 * "message":M}} with C one of the stable PROTO_E_* codes below; pushed
 * events are {"event":"context"|"hazard"|"resync"|"error",...}.  The first
 * request of a connection must be "hello", which exchanges
 * CTXD_PROTO_VERSION; a peer with another major version is refused with
 * "version-mismatch".  man/ctxd.8 is the reference.
 *
 * Byte strings (paths, targets, build arguments) travel escaped so that
 * every name round-trips through JSON's UTF-8 strings: bytes 0x00-0x1f,
 * 0x7f and '\' become \xHH (lowercase, as in ctx-v1), and so does every
 * byte that is not part of a valid UTF-8 sequence (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF).  Big texts (the ls and
 * manifest output) travel as "text" when they are valid UTF-8 without NUL,
 * else as "text_base64" (RFC 4648, padded).
 *
 * Ownership: functions returning json_t * return a new reference; the
 * reader owns its buffer and lines it returns stay valid until the next
 * call on it.
 */
#ifndef CTXD_PROTO_H
#define CTXD_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"
#include "manifest.h"

/* major.minor: a different major is incompatible, minors only add. */
#define CTXD_PROTO_MAJOR 1
#define CTXD_PROTO_MINOR 0
#define CTXD_PROTO_VERSION "1.0"

/* The longest request line the daemon reads, newline excluded. */
#define PROTO_REQUEST_MAX (64 * 1024)
/* The longest response line a client reads (a manifest of millions of
 * entries). */
#define PROTO_RESPONSE_MAX (1024UL * 1024 * 1024)

/* Stable error codes: scripts may match on them. */
#define PROTO_E_LINE_TOO_LONG "line-too-long"	/* request over 64 KiB */
#define PROTO_E_BAD_JSON "bad-json"		/* not a JSON object */
#define PROTO_E_UNKNOWN_COMMAND "unknown-command"
#define PROTO_E_BAD_ARGUMENT "bad-argument"	/* missing field, wrong type */
#define PROTO_E_HELLO_REQUIRED "hello-required"	/* a command before hello */
#define PROTO_E_VERSION_MISMATCH "version-mismatch"
#define PROTO_E_NO_SUCH_PROJECT "no-such-project"
#define PROTO_E_NOT_READY "not-ready"		/* first scan not finished */
#define PROTO_E_CONTEXT_REFUSED "context-refused" /* docker would refuse it */
#define PROTO_E_PERMISSION_DENIED "permission-denied" /* another uid */
#define PROTO_E_SLOW_CLIENT "slow-client"	/* output over the bound */
#define PROTO_E_INTERNAL "internal"

/*
 * Length of the valid UTF-8 sequence starting at s (1-4), or 0 when the
 * bytes at s do not start one.  len > 0.
 */
size_t proto_utf8_seq(const unsigned char *s, size_t len);
/* True when s[0..len) is valid UTF-8 and holds no NUL. */
bool proto_text_is_utf8(const char *s, size_t len);

/*
 * Escapes src[0..len) as described above into dst, which must have room
 * for 4 * len bytes; returns the bytes written (no NUL added).  The
 * result is valid UTF-8.
 */
size_t proto_escape(char *dst, const char *src, size_t len);
/*
 * Decodes src[0..len) into dst (room for len bytes); returns the bytes
 * written, or -1 when a '\' is not followed by xHH.
 */
ptrdiff_t proto_unescape(char *dst, const char *src, size_t len);

/* The escaped form of s[0..len) as a JSON string, or NULL (no memory). */
json_t *proto_bytes_json(const char *s, size_t len);
json_t *proto_str_json(const char *s);
/*
 * Decodes the escaped JSON string v into a malloc'ed NUL-terminated
 * string; a decoded NUL byte is refused.  -1 with err (CTX_ERR_USAGE)
 * when v is not a string or is malformed.
 */
int proto_json_str(const json_t *v, char **out, struct ctx_error *err);

/* Base64 (RFC 4648, padded).  proto_base64_decode: -1 on bad input;
 * dst needs room for len / 4 * 3 bytes. */
size_t proto_base64_encode(char *dst, const unsigned char *src, size_t len);
ptrdiff_t proto_base64_decode(unsigned char *dst, const char *src, size_t len);

/* Sets "text" or "text_base64" of obj to data[0..len).  0 or -1 (memory). */
int proto_text_set(json_t *obj, const char *data, size_t len);
/* Appends the text of obj (either field) to out.  0 or -1 with err. */
int proto_text_get(const json_t *obj, struct manifest_buf *out,
    struct ctx_error *err);

/* {"id":id,"ok":true}; id is borrowed (NULL means JSON null). */
json_t *proto_ok(json_t *id);
/* {"id":id,"ok":false,"error":{"code":code,"message":msg}} */
json_t *proto_fail(json_t *id, const char *code, const char *msg);
/* {"event":"error","error":{"code":code,"message":msg}} */
json_t *proto_error_event(const char *code, const char *msg);

/*
 * Major version of a "MAJOR.MINOR" string, or -1 when it is not one.
 */
int proto_version_major(const char *v);

/*
 * One message as a line: compact JSON and '\n', malloc'ed, *len bytes.
 * NULL on no memory.
 */
char *proto_encode(const json_t *msg, size_t *len);

/*
 * Line framing for a byte stream with a cap on the line length.  Use:
 * proto_reader_space() for room, read(2) into it, proto_reader_commit(),
 * then proto_reader_next() until it returns PROTO_MORE.  A line longer
 * than max is reported once as PROTO_TOO_LONG and the rest of it, up to
 * and including its newline, is discarded.  The buffer never grows past
 * max + 1 bytes.
 */
struct proto_reader {
	char *buf;
	size_t start, len, cap, max;
	bool discarding;
};

enum proto_read {
	PROTO_MORE,		/* no complete line: read more */
	PROTO_LINE,		/* *line holds *len bytes, NUL-terminated */
	PROTO_TOO_LONG,		/* a line over the cap was dropped */
};

void proto_reader_init(struct proto_reader *r, size_t max);
void proto_reader_free(struct proto_reader *r);
/* Room to read into: *avail >= 1 bytes at the returned pointer.  NULL
 * (err) on no memory. */
char *proto_reader_space(struct proto_reader *r, size_t *avail,
    struct ctx_error *err);
void proto_reader_commit(struct proto_reader *r, size_t n);
enum proto_read proto_reader_next(struct proto_reader *r, char **line,
    size_t *len);

#endif
