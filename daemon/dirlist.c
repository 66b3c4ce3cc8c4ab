/* Reading and sorting one directory's names with getdents64 (see dirlist.h). */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dirlist.h"

#define DIRLIST_BUF (64 * 1024)

void
dirlist_init(struct dirlist *d)
{
	memset(d, 0, sizeof(*d));
}

void
dirlist_free(struct dirlist *d)
{
	if (d == NULL)
		return;
	free(d->v);
	free(d->arena);
	dirlist_init(d);
}

static int
dirlist_grow(struct dirlist *d, size_t namelen, struct ctx_error *err)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct dirlist_name *v = realloc(d->v, cap * sizeof(*v));
		if (v == NULL)
			return ctx_error_nomem(err);
		d->v = v;
		d->cap = cap;
	}
	if (d->used + namelen + 1 > d->size) {
		size_t size = d->size ? d->size : 4096;
		char *arena;
		while (size < d->used + namelen + 1)
			size *= 2;
		arena = realloc(d->arena, size);
		if (arena == NULL)
			return ctx_error_nomem(err);
		d->arena = arena;
		d->size = size;
	}
	return 0;
}

static int
dirlist_cmp(const void *a, const void *b)
{
	const struct dirlist_name *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int
dirlist_read(struct dirlist *d, int fd, const char *path, struct ctx_error *err)
{
	static __thread char buf[DIRLIST_BUF] __attribute__((aligned(8)));
	ssize_t got, off;
	size_t i;

	d->n = 0;
	d->used = 0;
	for (;;) {
		got = getdents64(fd, buf, sizeof(buf));
		if (got < 0)
			return ctx_error_sys(err, errno, "read directory '%s'", path);
		if (got == 0)
			break;
		for (off = 0; off < got;) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);
			size_t len = strlen(de->d_name);
			off += de->d_reclen;
			if (de->d_name[0] == '.' && (len == 1 ||
			    (len == 2 && de->d_name[1] == '.')))
				continue;
			if (dirlist_grow(d, len, err) < 0)
				return -1;
			memcpy(d->arena + d->used, de->d_name, len + 1);
			/* Offsets, not pointers: the arena may still move. */
			d->v[d->n].name = (const char *)(uintptr_t)d->used;
			d->v[d->n].len = len;
			d->v[d->n].d_type = de->d_type;
			d->used += len + 1;
			d->n++;
		}
	}
	for (i = 0; i < d->n; i++)
		d->v[i].name = d->arena + (uintptr_t)d->v[i].name;
	if (d->n > 1)	/* an empty directory has no array: not for qsort */
		qsort(d->v, d->n, sizeof(d->v[0]), dirlist_cmp);
	return 0;
}

void
dirlist_clear(struct dirlist *d)
{
	d->n = 0;
	d->used = 0;
}

int
dirlist_append(struct dirlist *d, const char *name, size_t len,
    unsigned char d_type, struct ctx_error *err)
{
	if (dirlist_grow(d, len, err) < 0)
		return -1;
	memcpy(d->arena + d->used, name, len);
	d->arena[d->used + len] = '\0';
	/* Offsets, not pointers, until dirlist_seal: the arena may move. */
	d->v[d->n].name = (const char *)(uintptr_t)d->used;
	d->v[d->n].len = len;
	d->v[d->n].d_type = d_type;
	d->used += len + 1;
	d->n++;
	return 0;
}

void
dirlist_seal(struct dirlist *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		d->v[i].name = d->arena + (uintptr_t)d->v[i].name;
}
