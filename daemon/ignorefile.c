/*
 * Reads a .dockerignore file the way docker does (moby/patternmatcher
 * ignorefile.ReadAll over a bufio.Scanner): it only splits, trims and
 * cleans lines; whether a pattern is valid is matcher_new's business.
 * Pinned by tests/unit/test_ignorefile.c.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gopath.h"
#include "ignorefile.h"
#include "match.h"

/* bufio.MaxScanTokenSize: a line and its '\n' must fit in 64 KiB. */
#define IGNOREFILE_MAXLINE	65535

void
ignore_list_init(struct ignore_list *l)
{
	memset(l, 0, sizeof(*l));
}

void
ignore_list_free(struct ignore_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->patterns[i]);
	free(l->patterns);
	free(l->lens);
	free(l->lines);
	ignore_list_init(l);
}

static int
ignore_list_grow(struct ignore_list *l)
{
	size_t ncap = l->cap ? l->cap * 2 : 16;
	char **np;
	size_t *nl, *nn;

	if ((np = realloc(l->patterns, ncap * sizeof(*np))) == NULL)
		return -1;
	l->patterns = np;
	if ((nl = realloc(l->lens, ncap * sizeof(*nl))) == NULL)
		return -1;
	l->lens = nl;
	if ((nn = realloc(l->lines, ncap * sizeof(*nn))) == NULL)
		return -1;
	l->lines = nn;
	l->cap = ncap;
	return 0;
}

/* Appends bang ("!" or nothing) + s; NUL-terminated, length recorded. */
static int
ignore_list_push(struct ignore_list *l, bool bang, const char *s, size_t len,
    size_t line, struct ctx_error *err)
{
	char *p;
	size_t b = bang ? 1 : 0;

	if (l->n == l->cap && ignore_list_grow(l) < 0)
		return ctx_error_nomem(err);
	if ((p = malloc(b + len + 1)) == NULL)
		return ctx_error_nomem(err);
	if (bang)
		p[0] = '!';
	memcpy(p + b, s, len);
	p[b + len] = '\0';
	l->patterns[l->n] = p;
	l->lens[l->n] = b + len;
	l->lines[l->n] = line;
	l->n++;
	return 0;
}

int
ignore_list_add(struct ignore_list *l, const char *pattern, size_t len,
    struct ctx_error *err)
{
	return ignore_list_push(l, false, pattern, len, 0, err);
}

/* One scanned line, after the BOM: ReadAll's loop body. */
static int
ignorefile_line(const char *s, size_t len, size_t line,
    struct ignore_list *out, struct ctx_error *err)
{
	bool invert;
	char *clean;
	size_t clen;
	int rc;

	/* a comment only when '#' is the very first byte */
	if (len > 0 && s[0] == '#')
		return 0;
	gopath_trim_space(&s, &len);
	if (len == 0)
		return 0;
	invert = s[0] == '!';
	if (invert) {
		s++;
		len--;
		gopath_trim_space(&s, &len);
	}
	if (len == 0)
		return ignore_list_push(out, invert, s, 0, line, err);
	if ((clean = malloc(len + 2)) == NULL)
		return ctx_error_nomem(err);
	clen = gopath_clean(s, len, clean);
	/* absolute paths become relative to the context */
	if (clen > 1 && clean[0] == '/')
		rc = ignore_list_push(out, invert, clean + 1, clen - 1, line,
		    err);
	else
		rc = ignore_list_push(out, invert, clean, clen, line, err);
	free(clean);
	return rc;
}

int
ignorefile_parse(const char *buf, size_t len, const char *name,
    struct ignore_list *out, struct ctx_error *err)
{
	const char *p = buf, *end = buf + len, *nl, *s;
	size_t n, line = 0;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		line++;
		if (n > IGNOREFILE_MAXLINE)
			return ctx_error_set(err, CTX_ERR_IGNOREFILE,
			    "%s:%zu: bufio.Scanner: token too long", name,
			    line);
		/* bufio.ScanLines drops one '\r' before the '\n' (or EOF) */
		if (n > 0 && p[n - 1] == '\r')
			n--;
		s = p;
		/* ReadAll drops a UTF-8 BOM from the first line only */
		if (line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
			s += 3;
			n -= 3;
		}
		if (ignorefile_line(s, n, line, out, err) < 0)
			return -1;
		p = nl != NULL ? nl + 1 : end;
	}
	return 0;
}

int
ignorefile_append_lines(struct ignore_list *l, const char *const *lines,
    size_t n, struct ctx_error *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ignorefile_line(lines[i], strlen(lines[i]), 0, l, err) < 0)
			return -1;
	return 0;
}

struct matcher *
ignore_list_compile(const struct ignore_list *l, const char *name,
    unsigned flags, struct ctx_error *err)
{
	struct matcher *m;
	char why[sizeof(err->msg)];
	const char *reason;
	size_t bad = 0;

	m = matcher_new_flags((const char *const *)l->patterns, l->lens, l->n,
	    flags, &bad, err);
	if (m != NULL || err == NULL)
		return m;
	memcpy(why, err->msg, sizeof(why));
	/* matcher_new says `pattern[i] "p": reason`: keep `"p": reason`. */
	reason = why;
	if (strncmp(why, "pattern[", 8) == 0 && (reason = strstr(why, "] ")) != NULL)
		reason += 2;
	else
		reason = why;
	if (bad < l->n && l->lines[bad] > 0)
		ctx_error_set(err, CTX_ERR_PATTERN, "%s:%zu: pattern %s", name,
		    l->lines[bad], reason);
	else
		ctx_error_set(err, CTX_ERR_PATTERN, "%s: pattern %s", name, reason);
	return NULL;
}
