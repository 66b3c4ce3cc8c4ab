/*
 * Growable strings and string arrays that latch failure, shared by the
 * Dockerfile parser, its instruction checks, the JSON and CSV readers and
 * the shell-word lexer.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "gopath.h"
#include "strbuf.h"

void
strbuf_add(struct strbuf *s, const char *p, size_t n)
{
	if (s->bad)
		return;
	if (s->len + n + 1 > s->cap) {
		size_t ncap = s->cap ? s->cap : 64;
		char *np;

		while (ncap < s->len + n + 1)
			ncap *= 2;
		np = realloc(s->p, ncap);
		if (np == NULL) {
			s->bad = CTX_ERR_NOMEM;
			return;
		}
		s->p = np;
		s->cap = ncap;
	}
	if (n)
		memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = '\0';
}

void
strbuf_add_rune(struct strbuf *s, uint32_t r)
{
	char b[4];

	strbuf_add(s, b, gopath_encode_rune(r, b));
}

char *
strbuf_take(struct strbuf *s)
{
	char *p;

	if (s->p == NULL)
		strbuf_add(s, "", 0);
	if (s->bad) {
		free(s->p);
		memset(s, 0, sizeof(*s));
		return NULL;
	}
	p = s->p;
	memset(s, 0, sizeof(*s));
	return p;
}

char *
strbuf_dup(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

void
strbuf_list_push(struct strbuf_list *l, char *s)
{
	if (s == NULL)
		l->bad = true;
	if (l->bad) {
		free(s);
		return;
	}
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 4;
		char **nv = realloc(l->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			free(s);
			l->bad = true;
			return;
		}
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = s;
}

void
strbuf_list_free(struct strbuf_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
