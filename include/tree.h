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

/*
 * One name in a loaded directory.  The daemon holds one per name it
 * tracks, so the layout is kept to 80 bytes: the name (and a symlink's
 * target) is an offset into the tree's string pool, the device an index
 * into its short table of devices, and what only directories need lives
 * in struct tree_dir, found through the size field (a directory's st_size
 * means nothing to docker).
 */
struct tree_node {
	uint32_t name;		/* "name\0" or "name\0target\0" in tree.pool */
	int32_t parent;		/* -1 for the root and for free nodes */
	uint16_t mode;		/* st_mode: file type and permission bits */
	uint16_t devx;		/* index in tree.devs */
	uint8_t nlink;		/* saturated at UINT8_MAX */
	uint8_t used : 1;	/* slot in use */
	uint8_t digest_ok : 1;	/* digest is the content's */
	uint8_t has_link : 1;	/* the pool holds a symlink target after the name */
	uint8_t owned : 1;	/* st_uid is the daemon's euid (all fsview needs) */
	/* files: st_size; devices: st_rdev; directories: 1 + the index of
	 * their struct tree_dir, or 0 for none yet */
	uint64_t size;
	uint64_t ino;
	int64_t mtime_ns, ctime_ns;
	unsigned char digest[32];
};

/* What a directory node has once it is loaded or watched. */
struct tree_dir {
	int32_t *kids;		/* children sorted by name bytes */
	uint32_t nkids, capkids;
	int32_t wd;		/* inotify watch, or -1 */
	uint32_t visit;		/* walk generation that last entered it */
	int32_t node;		/* its node, or -1 when the slot is free */
	uint8_t loaded;		/* children read */
	uint8_t polled;		/* loaded but unwatched (ENOSPC): polled */
};

struct tree {
	struct tree_node *v;
	uint32_t n, cap;
	int32_t freelist;	/* free slots chained through parent */
	struct tree_dir *dirs;
	uint32_t ndirs, capdirs;
	char *pool;		/* the nodes' names, see tree_node.name */
	uint32_t pool_len, pool_cap, pool_garbage;
	uint64_t *devs;		/* st_dev values, see tree_node.devx */
	uint16_t ndevs;
	int32_t dirfree;	/* free dirs chained through wd */
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
/* A node's name, a symlink's target (NULL for anything else) and its
 * st_dev.  The strings are valid until the tree next changes. */
const char *tree_node_name(const struct tree *t, const struct tree_node *n);
const char *tree_node_link(const struct tree *t, const struct tree_node *n);
uint64_t tree_node_dev(const struct tree *t, const struct tree_node *n);
/* The path of node id relative to the root ("" for the root); -1 if it
 * does not fit. */
int tree_path(const struct tree *t, int32_t id, char *buf, size_t size);
/* The node at a relative path, or -1 (loaded directories only). */
int32_t tree_lookup(const struct tree *t, const char *path);

#endif
