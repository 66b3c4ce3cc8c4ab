/*
 * A growable '/'-joined relative path, pushed and truncated as a walk goes
 * down and back up.  Ownership: the pathbuf owns s; pathbuf_free().
 */
#ifndef CTXD_PATHBUF_H
#define CTXD_PATHBUF_H

#include <stddef.h>

#include "error.h"

struct pathbuf {
	char *s;		/* NUL-terminated, "" at the root */
	size_t len, cap;
};

void pathbuf_init(struct pathbuf *p);
void pathbuf_free(struct pathbuf *p);
/* Appends "/name" (or "name" at the root). */
int pathbuf_push(struct pathbuf *p, const char *name, size_t len,
    struct ctx_error *err);
/* Cuts back to a length returned earlier by p->len. */
void pathbuf_trunc(struct pathbuf *p, size_t len);

#endif
