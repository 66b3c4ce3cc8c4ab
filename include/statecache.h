/*
 * The daemon's two persistent caches, shared by every project: the file
 * digests (hashcache.h) and the content scanner's verdicts (scancache.h),
 * both under $XDG_STATE_HOME/ctxd/.  The digest cache is in memory only
 * while a walk needs it: the tree's nodes hold the digests, and a second
 * copy of each (~110 bytes an entry) would be most of the daemon's memory.
 *
 * Ownership: the caches are this module's; callers borrow nothing.  One
 * thread at a time (the event loop, or a walk it waits for).
 */
#ifndef CTXD_STATECACHE_H
#define CTXD_STATECACHE_H

#include <stdbool.h>

#include "tree.h"

/* A project comes: the scan cache is loaded with the first one. */
void statecache_join(void);
/* A project goes, its tree's digests into the digest cache first; the
 * last one prunes the digest cache to them and saves both caches. */
void statecache_leave(const struct tree *t);

/* Node n's digest from the digest cache (loaded if it is not): true with
 * n->digest filled when the cache knows n's (dev, inode, size, mtime,
 * ctime). */
bool statecache_get(const struct tree *t, struct tree_node *n);
/* Node n's digest, just read, into the digest cache if it is loaded and
 * n's timestamps are not racy (within RACY of now_ns). */
void statecache_put(const struct tree *t, const struct tree_node *n,
    int64_t now_ns);
/* Every digest the tree holds, into the digest cache (loaded). */
void statecache_put_tree(const struct tree *t);
/* The digest cache saved if a walk added to it, and dropped. */
void statecache_done(void);

/* The scan cache saved if it changed since it was loaded or saved. */
void statecache_scan_save(void);

#endif
