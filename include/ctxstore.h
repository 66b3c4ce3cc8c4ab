/*
 * The daemon's copy of a project's context, kept small.  An entry is a
 * reference to its node in the tree (8 bytes: the node, and what the walker
 * decided about it) instead of a struct entry with its own path (~200
 * bytes); path, size, identity, link and digest are the node's.  The rare
 * entry the tree cannot reproduce exactly (the classic builder's injected
 * Dockerfile and .dockerignore, a file whose digest was read from bytes
 * newer than the node's stat) is kept whole.  The engine's functions
 * (manifest, listing, hazards) take a struct entry_list: ctxstore_list()
 * builds one on demand, with every string in one arena.
 *
 * Ownership: struct ctxstore owns its references and whole entries
 * (ctxstore_free()); the tree is borrowed and must be the one the entries
 * came from.  A struct ctxstore_list owns its array and arena, and borrows
 * the whole entries' inline content from the store: free it
 * (ctxstore_list_free()) before the store changes.
 */
#ifndef CTXD_CTXSTORE_H
#define CTXD_CTXSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "error.h"
#include "tree.h"

struct ctxstore_ref {
	int32_t node;		/* tree node, or -1 - index into whole */
	uint16_t perm;		/* entry.perm */
	char type;		/* entry.type */
	uint8_t flags;		/* entry.flags & ENTRY_EMPTY */
};

struct ctxstore {
	struct ctxstore_ref *v;	/* in the order of the list given */
	size_t n;
	struct entry_list whole;
};

struct ctxstore_list {
	struct entry_list l;	/* paths, links: in arena; free with the list */
	char *arena;
};

void ctxstore_init(struct ctxstore *s);
void ctxstore_free(struct ctxstore *s);

/* Replaces the store's content with l's entries (digested, in order);
 * l is left as it was (the caller frees it).  -1 (err) on no memory, the
 * store then empty. */
int ctxstore_set(struct ctxstore *s, const struct tree *t,
    const struct entry_list *l, struct ctx_error *err);

/* Replaces entry i with e (the same path, re-digested). */
int ctxstore_update(struct ctxstore *s, const struct tree *t, size_t i,
    const struct entry *e, struct ctx_error *err);

/* The index of the entry whose path is node id's, or -1: a binary search
 * (the entries are in path order), so no node-to-entry table is kept. */
long ctxstore_find(const struct ctxstore *s, const struct tree *t, int32_t id);

/* Entry i's tree node (a whole entry's too), or -1. */
int64_t ctxstore_node(const struct ctxstore *s, size_t i);

/* The entries at the indexes idx[0..n) (all of them when idx is NULL),
 * as struct entries.  -1 (err) on no memory or a path too long. */
int ctxstore_list(const struct ctxstore *s, const struct tree *t,
    const size_t *idx, size_t n, struct ctxstore_list *out,
    struct ctx_error *err);
void ctxstore_list_free(struct ctxstore_list *out);

/* Calls fn with each entry in order, made in a buffer of the call's (valid
 * during the call only): what ctxstore_list() gives, without the list.
 * Stops at fn's first non-zero return, and returns it. */
int ctxstore_each(const struct ctxstore *s, const struct tree *t,
    int (*fn)(void *arg, const struct entry *e), void *arg);
/* The same from entry start on. */
int ctxstore_each_from(const struct ctxstore *s, const struct tree *t,
    size_t start, int (*fn)(void *arg, const struct entry *e), void *arg);

#endif
