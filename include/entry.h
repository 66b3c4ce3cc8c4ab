/*
 * The build context as data: a growable array of entries, each one thing
 * docker would send (file, directory, symlink, FIFO, device).  The walkers
 * (classic.c, buildkit.c) fill it, digest.c fills in file digests, and
 * manifest.c prints the ctx-v1 manifest, the hash and the listing.
 *
 * Ownership: a struct entry_list owns every entry and every string and
 * buffer an entry points to; entry_list_free() releases them all.
 */
#ifndef CTXD_ENTRY_H
#define CTXD_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum entry_type {
	ENTRY_FILE = 'f',
	ENTRY_DIR = 'd',
	ENTRY_LINK = 'l',
	ENTRY_FIFO = 'p',
	ENTRY_CHR = 'c',
	ENTRY_BLK = 'b',
};

/* entry.flags */
enum {
	/* The content is the empty string whatever the file holds (BuildKit:
	 * an unreadable file, a socket, or a file refused by the open check). */
	ENTRY_EMPTY = 1u << 0,
	/* The content is entry.content, not read from the file system
	 * (the classic builder's injected Dockerfile and amended .dockerignore). */
	ENTRY_INLINE = 1u << 1,
	/* digest is valid. */
	ENTRY_DIGESTED = 1u << 2,
};

struct entry {
	char *path;		/* relative to the root, '/'-separated, no trailing '/' */
	size_t path_len;
	char type;		/* enum entry_type */
	unsigned flags;
	uint32_t perm;		/* mode & 07777 as the manifest shows it */
	uint64_t size;		/* bytes of content for ENTRY_FILE, else 0 */
	dev_t dev;		/* st_dev and st_ino, to hash each inode once */
	ino_t ino;
	dev_t rdev;		/* for ENTRY_CHR / ENTRY_BLK */
	char *link;		/* symlink target as readlink(2) gives it, ENTRY_LINK only */
	unsigned char *content;	/* ENTRY_INLINE only; content_len bytes */
	size_t content_len;
	unsigned char digest[32];	/* SHA-256 of the content (ENTRY_FILE) */
	int64_t node;		/* the tree view's id of the entry (fsview node), or -1 */
};

struct entry_chunk;

struct entry_list {
	struct entry *v;
	size_t n, cap;
	/* The entries' paths, packed in large chunks: a walk makes one
	 * allocation per ~256 KiB of paths instead of one per entry, and
	 * freeing the list gives all of it back to the system (the daemon's
	 * heap is not left riddled with the holes of 14k small strings). */
	struct entry_chunk *chunks;
};

void entry_list_init(struct entry_list *l);
void entry_list_free(struct entry_list *l);

/* Appends a zeroed entry whose path is a copy of path[0..len); returns it,
 * or NULL (err filled) on allocation failure.  The pointer is valid until the
 * next append. */
struct entry *entry_list_add(struct entry_list *l, const char *path, size_t len,
    struct ctx_error *err);

/* The manifest order of two paths: by raw bytes, a prefix first. */
int entry_path_cmp(const char *a, size_t na, const char *b, size_t nb);

/* Sorts by raw path bytes (the manifest order of context-hash.md). */
void entry_list_sort(struct entry_list *l);

#endif
