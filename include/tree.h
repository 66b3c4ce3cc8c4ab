/*
 * The daemon's in-memory copy of a project's directory tree: only the
 * directories the context walk enters are read (lazily, watch first, then
 * list) and watched, so node_modules, .git or a virtualenv that no `!`
 * exception can reach costs one node and no watch.  inotify events update
 * it; the walkers read it through a struct fsview, exactly as they read the
 * live file system for ctxctl --no-daemon.
 *
 * Ownership: tree_new() returns a tree freed by tree_free(), which removes
 * its watches.  The watcher (watch.c) is borrowed and must outlive it.
 */
#ifndef CTXD_TREE_H
#define CTXD_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "fsview.h"
#include "watch.h"

struct tree_node {
	char *name;		/* "" for the root */
	int32_t parent;		/* -1 for the root and for free nodes */
	int32_t *kids;		/* children sorted by name bytes (directories) */
	uint32_t nkids, capkids;
	uint32_t mode, uid, nlink;
	uint64_t size, dev, ino, rdev;
	int64_t mtime_ns, ctime_ns;
	char *link;		/* symlink target */
	int wd;			/* inotify watch, or -1 */
	uint32_t visit;		/* walk generation that last entered it */
	uint8_t loaded;		/* directory: children read */
	uint8_t polled;		/* loaded but unwatched (ENOSPC): polled */
	uint8_t used;		/* slot in use */
	uint8_t digest_ok;	/* digest is the content's */
	unsigned char digest[32];
};

struct tree {
	struct tree_node *v;
	uint32_t n, cap;
	int32_t freelist;	/* free slots chained through parent */
	int rootfd;
	char *root;
	struct watch *watch;
	int32_t *wdmap;		/* wd -> node */
	int wdcap;
	int nwatches, npolled;
	uint32_t gen;
	/* What happened since tree_take_changes(). */
	bool structural;	/* entries may have come, gone or changed type/mode */
	bool overflow;		/* the kernel dropped events: reset needed */
	bool root_gone;		/* the root was deleted or moved */
	bool enospc;		/* a directory could not be watched */
	int32_t *changed;	/* files whose content changed */
	size_t nchanged, capchanged;
	/* MOVED_FROM halves waiting for their MOVED_TO in this batch */
	struct { uint32_t cookie; int32_t node; } *moves;
	size_t nmoves, capmoves;
};

/* root: absolute path of the directory open at rootfd (borrowed). */
int tree_init(struct tree *t, const char *root, int rootfd, struct watch *w,
    struct ctx_error *err);
void tree_free(struct tree *t);

/* A view reading (and lazily loading) the tree. */
void tree_view(struct tree *t, struct fsview *out);

/* Around each full walk: what the walk did not enter is unloaded and
 * unwatched afterwards. */
void tree_walk_begin(struct tree *t);
void tree_walk_end(struct tree *t);

/* One inotify event (watch_read callback), then the end of the batch. */
void tree_event(struct tree *t, int wd, uint32_t mask, uint32_t cookie,
    const char *name);
void tree_events_done(struct tree *t);

/* Forgets everything but the root (after an overflow); the next walk reads
 * the tree again. */
void tree_reset(struct tree *t);

/* Re-reads the directories that could not be watched; returns whether
 * anything changed. */
bool tree_poll(struct tree *t);

/* Clears the change flags and list. */
void tree_take_changes(struct tree *t);

struct tree_node *tree_node(struct tree *t, int64_t id);
/* The path of node id relative to the root ("" for the root); -1 if it
 * does not fit. */
int tree_path(const struct tree *t, int32_t id, char *buf, size_t size);
/* The node at a relative path, or -1 (loaded directories only). */
int32_t tree_lookup(const struct tree *t, const char *path);

#endif
