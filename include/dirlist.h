/*
 * One directory's names, read with getdents64 from an open directory fd and
 * sorted by their bytes (the order of Go's filepath.Walk and WalkDir, which
 * docker's walks use).  "." and ".." are left out.
 *
 * Ownership: a struct dirlist owns its name storage; dirlist_free().  Names
 * stay valid until the next dirlist_read() on the same struct or the free.
 */
#ifndef CTXD_DIRLIST_H
#define CTXD_DIRLIST_H

#include <stddef.h>

#include "error.h"

struct dirlist_name {
	const char *name;	/* NUL-terminated */
	size_t len;
	unsigned char d_type;	/* DT_* from the kernel, DT_UNKNOWN possible */
};

struct dirlist {
	struct dirlist_name *v;
	size_t n, cap;
	char *arena;		/* name bytes */
	size_t used, size;
};

void dirlist_init(struct dirlist *d);
void dirlist_free(struct dirlist *d);

/* Reads every name of the directory open at fd (fd stays open, its offset
 * is consumed).  Returns 0, or -1 with errno-based err (path for messages). */
int dirlist_read(struct dirlist *d, int fd, const char *path, struct ctx_error *err);

/* Empties d and fills it from names already sorted by bytes (the daemon's
 * in-memory tree): dirlist_clear(), then dirlist_append() per name. */
void dirlist_clear(struct dirlist *d);
int dirlist_append(struct dirlist *d, const char *name, size_t len,
    unsigned char d_type, struct ctx_error *err);
/* Makes the names of appended entries valid pointers (call once after the
 * last dirlist_append). */
void dirlist_seal(struct dirlist *d);

#endif
