/*
 * Go's text and path rules that docker's behaviour rests on, for byte
 * strings that may hold NUL: utf8.DecodeRune and EncodeRune,
 * unicode.IsSpace, strings.TrimSpace, filepath.Clean and filepath.Match on
 * Unix.  Pinned by tests/unit/test_gopath.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gopath.h"

/*
 * Go's utf8.DecodeRune: strict UTF-8; an invalid or truncated sequence
 * reads as U+FFFD of width 1.  n must be at least 1.
 */
size_t
gopath_decode_rune(const unsigned char *s, size_t n, uint32_t *r)
{
	unsigned c = s[0], lo = 0x80, hi = 0xBF;

	if (c < 0x80) {
		*r = c;
		return 1;
	}
	if (c < 0xC2 || c > 0xF4)
		goto bad;
	if (c < 0xE0) {
		if (n < 2 || (s[1] & 0xC0) != 0x80)
			goto bad;
		*r = ((c & 0x1Fu) << 6) | (s[1] & 0x3Fu);
		return 2;
	}
	if (c < 0xF0) {
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
		if (n < 3 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
			goto bad;
		*r = ((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) |
		    (s[2] & 0x3Fu);
		return 3;
	}
	if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (n < 4 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 ||
	    (s[3] & 0xC0) != 0x80)
		goto bad;
	*r = ((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) |
	    ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
	return 4;
bad:
	*r = 0xFFFD;
	return 1;
}

/*
 * Go's utf8.EncodeRune: out needs room for 4 bytes; a rune out of range or
 * a surrogate is written as U+FFFD.  Returns the width.
 */
size_t
gopath_encode_rune(uint32_t c, char *out)
{
	unsigned char *u = (unsigned char *)out;

	if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		c = 0xFFFD;
	if (c < 0x80) {
		u[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		u[0] = (unsigned char)(0xC0 | (c >> 6));
		u[1] = (unsigned char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		u[0] = (unsigned char)(0xE0 | (c >> 12));
		u[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (c & 0x3F));
		return 3;
	}
	u[0] = (unsigned char)(0xF0 | (c >> 18));
	u[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
	u[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
	u[3] = (unsigned char)(0x80 | (c & 0x3F));
	return 4;
}

/* ---- Go unicode.IsSpace, strings.TrimSpace and filepath.Clean ---- */

bool
gopath_is_space(uint32_t r)
{
	switch (r) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
	case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
	case 0x202F: case 0x205F: case 0x3000:
		return true;
	}
	return r >= 0x2000 && r <= 0x200A;
}

/* Width of the white-space rune that ends s[0..n), or 0 (DecodeLastRune). */
static size_t
gopath_trailing_space(const unsigned char *s, size_t n)
{
	size_t start, lim, w;
	uint32_t r;

	if (n == 0)
		return 0;
	start = n - 1;
	if (s[start] >= 0x80) {
		lim = n >= 4 ? n - 4 : 0;
		while (start > lim && (s[start] & 0xC0) == 0x80)
			start--;
		w = gopath_decode_rune(s + start, n - start, &r);
		if (start + w != n)
			return 0;	/* a bad byte: U+FFFD is no space */
		return gopath_is_space(r) ? w : 0;
	}
	return gopath_is_space(s[start]) ? 1 : 0;
}

void
gopath_trim_left_space(const char **sp, size_t *lenp)
{
	const unsigned char *s = (const unsigned char *)*sp;
	size_t n = *lenp, w;
	uint32_t r;

	while (n > 0) {
		w = gopath_decode_rune(s, n, &r);
		if (!gopath_is_space(r))
			break;
		s += w;
		n -= w;
	}
	*sp = (const char *)s;
	*lenp = n;
}

void
gopath_trim_space(const char **sp, size_t *lenp)
{
	size_t w;

	gopath_trim_left_space(sp, lenp);
	while ((w = gopath_trailing_space((const unsigned char *)*sp,
	    *lenp)) != 0)
		*lenp -= w;
}

/*
 * Go filepath.Clean on Unix.  The result is never longer than a non-empty
 * input; "" becomes ".", hence the len + 2 bytes out must hold.
 */
size_t
gopath_clean(const char *path, size_t n, char *out)
{
	size_t r = 0, w = 0, dotdot = 0;
	bool rooted;

	if (n == 0) {
		memcpy(out, ".", 2);
		return 1;
	}
	rooted = path[0] == '/';
	if (rooted) {
		out[w++] = '/';
		r = dotdot = 1;
	}
	while (r < n) {
		if (path[r] == '/') {
			r++;
		} else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
			r++;
		} else if (path[r] == '.' && path[r + 1] == '.' &&
		    (r + 2 == n || path[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			for (; r < n && path[r] != '/'; r++)
				out[w++] = path[r];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return w;
}

/* ---- Go filepath.Match ---- */

struct gopath_str {
	const unsigned char *s;
	size_t n;
};

static void
gopath_scan_chunk(struct gopath_str *pat, bool *star, struct gopath_str *chunk)
{
	bool inrange = false;
	size_t i;

	*star = false;
	while (pat->n > 0 && pat->s[0] == '*') {
		pat->s++;
		pat->n--;
		*star = true;
	}
	for (i = 0; i < pat->n; i++) {
		if (pat->s[i] == '\\') {
			if (i + 1 < pat->n)
				i++;
		} else if (pat->s[i] == '[') {
			inrange = true;
		} else if (pat->s[i] == ']') {
			inrange = false;
		} else if (pat->s[i] == '*' && !inrange) {
			break;
		}
	}
	chunk->s = pat->s;
	chunk->n = i;
	pat->s += i;
	pat->n -= i;
}

/* getEsc: one possibly escaped class character; -1 on a bad pattern. */
static int
gopath_get_esc(struct gopath_str *c, uint32_t *r)
{
	size_t w;

	if (c->n == 0 || c->s[0] == '-' || c->s[0] == ']')
		return -1;
	if (c->s[0] == '\\') {
		c->s++;
		c->n--;
		if (c->n == 0)
			return -1;
	}
	w = gopath_decode_rune(c->s, c->n, r);
	if (*r == 0xFFFD && w == 1)
		return -1;
	c->s += w;
	c->n -= w;
	return c->n == 0 ? -1 : 0;
}

/*
 * matchChunk: 1 matched (rest in *s), 0 not, -1 bad pattern.  After a
 * mismatch the chunk is still parsed to the end to find syntax errors.
 */
static int
gopath_chunk(struct gopath_str chunk, struct gopath_str *s)
{
	bool failed = false, negated, in;
	uint32_t r = 0, lo, hi;
	size_t w, nrange;

	while (chunk.n > 0) {
		if (!failed && s->n == 0)
			failed = true;
		switch (chunk.s[0]) {
		case '[':
			if (!failed) {
				w = gopath_decode_rune(s->s, s->n, &r);
				s->s += w;
				s->n -= w;
			}
			chunk.s++;
			chunk.n--;
			negated = false;
			if (chunk.n > 0 && chunk.s[0] == '^') {
				negated = true;
				chunk.s++;
				chunk.n--;
			}
			in = false;
			for (nrange = 0;; nrange++) {
				if (chunk.n > 0 && chunk.s[0] == ']' &&
				    nrange > 0) {
					chunk.s++;
					chunk.n--;
					break;
				}
				if (gopath_get_esc(&chunk, &lo) < 0)
					return -1;
				hi = lo;
				if (chunk.s[0] == '-') {
					chunk.s++;
					chunk.n--;
					if (gopath_get_esc(&chunk, &hi) < 0)
						return -1;
				}
				if (lo <= r && r <= hi)
					in = true;
			}
			if (in == negated)
				failed = true;
			break;
		case '?':
			if (!failed) {
				if (s->s[0] == '/')
					failed = true;
				w = gopath_decode_rune(s->s, s->n, &r);
				s->s += w;
				s->n -= w;
			}
			chunk.s++;
			chunk.n--;
			break;
		case '\\':
			chunk.s++;
			chunk.n--;
			if (chunk.n == 0)
				return -1;
			/* FALLTHROUGH */
		default:
			if (!failed) {
				if (chunk.s[0] != s->s[0])
					failed = true;
				s->s++;
				s->n--;
			}
			chunk.s++;
			chunk.n--;
		}
	}
	return failed ? 0 : 1;
}

/* filepath.Match: 1, 0, or -1 for ErrBadPattern. */
int
gopath_match(const char *pattern, size_t plen, const char *name, size_t nlen,
    bool check_rest)
{
	struct gopath_str pat = { (const unsigned char *)pattern, plen };
	struct gopath_str nm = { (const unsigned char *)name, nlen };
	struct gopath_str chunk, t;
	bool star;
	size_t i;
	int rc;

	while (pat.n > 0) {
		gopath_scan_chunk(&pat, &star, &chunk);
		if (star && chunk.n == 0)
			return memchr(nm.s, '/', nm.n) == NULL;
		t = nm;
		rc = gopath_chunk(chunk, &t);
		if (rc == 1 && (t.n == 0 || pat.n > 0)) {
			nm = t;
			continue;
		}
		if (rc < 0)
			return -1;
		if (star) {
			for (i = 0; i < nm.n && nm.s[i] != '/'; i++) {
				t.s = nm.s + i + 1;
				t.n = nm.n - i - 1;
				rc = gopath_chunk(chunk, &t);
				if (rc == 1) {
					if (pat.n == 0 && t.n > 0)
						continue;
					nm = t;
					goto next;
				}
				if (rc < 0)
					return -1;
			}
		}
		/* Newer Go: the rest of the pattern must still be valid. */
		while (check_rest && pat.n > 0) {
			gopath_scan_chunk(&pat, &star, &chunk);
			t.s = NULL;
			t.n = 0;
			if (gopath_chunk(chunk, &t) < 0)
				return -1;
		}
		return 0;
next:		;
	}
	return nm.n == 0;
}
