/* The walk's current path (see pathbuf.h). */
#include <stdlib.h>
#include <string.h>

#include "pathbuf.h"

void
pathbuf_init(struct pathbuf *p)
{
	p->s = NULL;
	p->len = p->cap = 0;
}

void
pathbuf_free(struct pathbuf *p)
{
	if (p == NULL)
		return;
	free(p->s);
	pathbuf_init(p);
}

int
pathbuf_push(struct pathbuf *p, const char *name, size_t len,
    struct ctx_error *err)
{
	size_t need = p->len + 1 + len + 1;

	if (need > p->cap) {
		size_t cap = p->cap ? p->cap : 256;
		char *s;
		while (cap < need)
			cap *= 2;
		if ((s = realloc(p->s, cap)) == NULL)
			return ctx_error_nomem(err);
		p->s = s;
		p->cap = cap;
	}
	if (p->len > 0)
		p->s[p->len++] = '/';
	memcpy(p->s + p->len, name, len);
	p->len += len;
	p->s[p->len] = '\0';
	return 0;
}

void
pathbuf_trunc(struct pathbuf *p, size_t len)
{
	p->len = len;
	if (p->s != NULL)
		p->s[len] = '\0';
}
