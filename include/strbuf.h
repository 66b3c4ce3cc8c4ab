/*
 * Growable strings and string arrays for the Dockerfile readers (parser,
 * JSON, CSV, shell words), which build many small strings from hostile
 * input: a failure is latched in `bad` and checked once at the end instead
 * of after each append.
 *
 * Ownership: a strbuf or strbuf_list owns its memory.  strbuf_take() hands
 * the string to the caller (free()); strbuf_list_push() takes ownership of
 * the string it is given; strbuf_list_free() frees the array and every
 * string in it, and leaves the list empty.  A zeroed struct is empty.
 */
#ifndef CTXD_STRBUF_H
#define CTXD_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf {
	char *p;		/* NUL-terminated once anything was added */
	size_t len, cap;
	int bad;		/* 0, or why p is incomplete: CTX_ERR_NOMEM,
				 * or a caller's own code (a size limit) */
};

struct strbuf_list {
	char **v;
	size_t n, cap;
	bool bad;		/* an allocation failed: strings were lost */
};

/* Appends p[0..n) (which may hold NUL); a no-op once bad is set. */
void	strbuf_add(struct strbuf *s, const char *p, size_t n);
/* Appends the UTF-8 encoding of r (utf8.EncodeRune). */
void	strbuf_add_rune(struct strbuf *s, uint32_t r);
/* The string ("" when nothing was added) and an empty s; NULL (and s freed
 * and emptied, bad included) when bad was set. */
char   *strbuf_take(struct strbuf *s);

/* p[0..n) copied into a new NUL-terminated string, or NULL. */
char   *strbuf_dup(const char *p, size_t n);

/* Appends s, taking ownership; a NULL s marks the list bad. */
void	strbuf_list_push(struct strbuf_list *l, char *s);
void	strbuf_list_free(struct strbuf_list *l);

#endif
