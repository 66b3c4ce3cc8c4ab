/*
 * Raw inotify(7) for the daemon: one inotify instance for the whole
 * process, shared by its clients (one per project), directories added by
 * an O_PATH descriptor that was opened without following any symlink (so
 * the watch lands on exactly that directory), events read in batches and
 * handed to a callback.  No recursion and no state about the tree: the
 * tree (tree.c) decides what to watch.
 *
 * Ownership: watch_new() returns a client freed by watch_free(); the
 * shared instance is created with the first client and closed with the
 * last.  Single-threaded: the daemon's loop only.
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

/* The end of a batch of events (after the last on_event of a read). */
typedef void watch_done_fn(void *arg);

/* A client: its watches' events go to on_event(arg, ...), then
 * on_done(arg) (may be NULL) once per batch that had any. */
struct watch *watch_new(watch_event_fn *on_event, watch_done_fn *on_done,
    void *arg, struct ctx_error *err);
/* Removes the client's watches (the kernel's, unless another client
 * shares them) and frees it.  Not from inside a callback. */
void watch_free(struct watch *w);

/* A descriptor of the shared instance private to the client, for its
 * event loop (readable when events wait, for any client). */
int watch_fd(const struct watch *w);

/*
 * Watches the directory open at dirfd (any descriptor of it, O_PATH is
 * enough).  Returns the watch descriptor, or -1 with errno (ENOSPC: the
 * user's max_user_watches is used up).
 */
int watch_add(struct watch *w, int dirfd);
void watch_rm(struct watch *w, int wd);

/* Reads every pending event of the shared instance and hands each to the
 * clients watching its wd (IN_Q_OVERFLOW to all), in order, then ends the
 * batch of each client that had events, and of w.  Returns the number of
 * events, or -1 with errno on a read error (not EAGAIN). */
int watch_read(struct watch *w);

#endif
