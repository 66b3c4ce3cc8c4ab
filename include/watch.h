/*
 * Raw inotify(7) for the daemon: one inotify instance, directories added by
 * an O_PATH descriptor that was opened without following any symlink (so
 * the watch lands on exactly that directory), events read in batches and
 * handed to a callback.  No recursion and no state about the tree: the
 * tree (tree.c) decides what to watch.
 *
 * Ownership: watch_new() returns a watcher freed by watch_free(), which
 * closes the inotify descriptor (and so drops every watch).
 */
#ifndef CTXD_WATCH_H
#define CTXD_WATCH_H

#include <stdint.h>
#include <sys/inotify.h>

#include "error.h"

/* What the tree asks to hear about, for every watched directory. */
#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
	IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | \
	IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)

struct watch;

/* One event: wd, mask, cookie and the name (NULL for events on the
 * directory itself, IN_Q_OVERFLOW has wd -1). */
typedef void watch_event_fn(void *arg, int wd, uint32_t mask, uint32_t cookie,
    const char *name);

struct watch *watch_new(struct ctx_error *err);
void watch_free(struct watch *w);

/* The inotify descriptor, for the event loop (readable when events wait). */
int watch_fd(const struct watch *w);

/*
 * Watches the directory open at dirfd (any descriptor of it, O_PATH is
 * enough).  Returns the watch descriptor, or -1 with errno (ENOSPC: the
 * user's max_user_watches is used up).
 */
int watch_add(struct watch *w, int dirfd);
void watch_rm(struct watch *w, int wd);

/* Reads every pending event and calls fn for each, in order.  Returns the
 * number of events, or -1 with errno on a read error (not EAGAIN). */
int watch_read(struct watch *w, watch_event_fn *fn, void *arg);

#endif
