/* The entry array: growth, release and the byte order of paths. */
#include <stdlib.h>
#include <string.h>

#include "entry.h"

/* A chunk at least this large is mmap'ed by malloc (ctxd fixes the
 * threshold at 128 KiB), so freeing it returns it to the system. */
#define CHUNK_BYTES (256 * 1024)

struct entry_chunk {
	struct entry_chunk *next;
	size_t used, cap;
	char data[];
};

void
entry_list_init(struct entry_list *l)
{
	l->v = NULL;
	l->n = l->cap = 0;
	l->chunks = NULL;
}

/* Room for n bytes of path in the list's chunks; NULL on no memory. */
static char *
path_alloc(struct entry_list *l, size_t n)
{
	struct entry_chunk *c = l->chunks;
	char *p;

	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > CHUNK_BYTES ? n : CHUNK_BYTES;
		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = l->chunks;
		l->chunks = c;
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

void
entry_list_free(struct entry_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->v[i].link);
		free(l->v[i].content);
	}
	free(l->v);
	while (l->chunks != NULL) {
		struct entry_chunk *next = l->chunks->next;
		free(l->chunks);
		l->chunks = next;
	}
	entry_list_init(l);
}

struct entry *
entry_list_add(struct entry_list *l, const char *path, size_t len,
    struct ctx_error *err)
{
	struct entry *e;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct entry *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL) {
			ctx_error_nomem(err);
			return NULL;
		}
		l->v = v;
		l->cap = cap;
	}
	e = &l->v[l->n];
	memset(e, 0, sizeof(*e));
	e->node = -1;
	e->path = path_alloc(l, len + 1);
	if (e->path == NULL) {
		ctx_error_nomem(err);
		return NULL;
	}
	memcpy(e->path, path, len);
	e->path[len] = '\0';
	e->path_len = len;
	l->n++;
	return e;
}

int
entry_path_cmp(const char *a, size_t na, const char *b, size_t nb)
{
	int c = memcmp(a, b, na < nb ? na : nb);

	return c != 0 ? c : (na > nb) - (na < nb);
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return entry_path_cmp(x->path, x->path_len, y->path, y->path_len);
}

void
entry_list_sort(struct entry_list *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(l->v[0]), entry_cmp);
}
