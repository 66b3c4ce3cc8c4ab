/*
 * inotify(7) by hand: libinotifytools' recursive watching reports success
 * while leaving directories unwatched under churn and hides its descriptor,
 * so the daemon drives the kernel interface itself (see watch.h).
 *
 * Every client shares one inotify instance (the hub): the kernel allows a
 * user 128 of them by default, and a daemon with one per project would stop
 * at 128 projects.  The kernel keeps one watch per inode per instance, so
 * two projects over the same directory get the same wd: the hub keeps, per
 * wd, the set of clients that asked for it, hands each event to all of
 * them, and removes the kernel's watch only with its last client.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "watch.h"

struct watch {
	int fd;			/* a dup of the hub's, for the client's loop */
	watch_event_fn *on_event;
	watch_done_fn *on_done;
	void *arg;
	bool got;		/* events in the batch being read */
	struct watch *next;	/* the hub's list */
};

/* The clients of one wd: mostly one. */
struct wd_owners {
	struct watch **v;
	unsigned n, cap;
};

static struct {
	int fd;
	struct watch *clients;
	struct wd_owners *owners;	/* by wd */
	int nowners;
} hub = { -1, NULL, NULL, 0 };

static int
hub_open(struct ctx_error *err)
{
	if (hub.fd >= 0)
		return 0;
	hub.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (hub.fd < 0)
		return ctx_error_sys(err, errno, "inotify_init1");
	return 0;
}

static void
hub_close_if_unused(void)
{
	int i;

	if (hub.clients != NULL || hub.fd < 0)
		return;
	close(hub.fd);
	hub.fd = -1;
	for (i = 0; i < hub.nowners; i++)
		free(hub.owners[i].v);
	free(hub.owners);
	hub.owners = NULL;
	hub.nowners = 0;
}

struct watch *
watch_new(watch_event_fn *on_event, watch_done_fn *on_done, void *arg,
    struct ctx_error *err)
{
	struct watch *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		ctx_error_nomem(err);
		return NULL;
	}
	if (hub_open(err) < 0) {
		free(w);
		return NULL;
	}
	if ((w->fd = fcntl(hub.fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		ctx_error_sys(err, errno, "dup inotify descriptor");
		free(w);
		hub_close_if_unused();
		return NULL;
	}
	w->on_event = on_event;
	w->on_done = on_done;
	w->arg = arg;
	w->next = hub.clients;
	hub.clients = w;
	return w;
}

/* Removes w from the owners of wd; true when it was one. */
static bool
owner_drop(int wd, const struct watch *w)
{
	struct wd_owners *o;
	unsigned i;

	if (wd < 0 || wd >= hub.nowners)
		return false;
	o = &hub.owners[wd];
	for (i = 0; i < o->n; i++) {
		if (o->v[i] == w) {
			o->v[i] = o->v[--o->n];
			return true;
		}
	}
	return false;
}

void
watch_free(struct watch *w)
{
	struct watch **pp;
	int wd;

	if (w == NULL)
		return;
	for (wd = 0; wd < hub.nowners; wd++)
		if (owner_drop(wd, w) && hub.owners[wd].n == 0)
			(void)inotify_rm_watch(hub.fd, wd);
	for (pp = &hub.clients; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	close(w->fd);
	free(w);
	hub_close_if_unused();
}

int
watch_fd(const struct watch *w)
{
	return w->fd;
}

static int
owner_add(int wd, struct watch *w)
{
	struct wd_owners *o;
	unsigned i;

	if (wd >= hub.nowners) {
		int n = hub.nowners ? hub.nowners : 1024;
		struct wd_owners *v;
		while (n <= wd)
			n *= 2;
		if ((v = realloc(hub.owners, (size_t)n * sizeof(*v))) == NULL)
			return -1;
		memset(v + hub.nowners, 0, (size_t)(n - hub.nowners) * sizeof(*v));
		hub.owners = v;
		hub.nowners = n;
	}
	o = &hub.owners[wd];
	for (i = 0; i < o->n; i++)
		if (o->v[i] == w)
			return 0;
	if (o->n == o->cap) {
		unsigned cap = o->cap ? o->cap * 2 : 1;
		struct watch **v = realloc(o->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n++] = w;
	return 0;
}

int
watch_add(struct watch *w, int dirfd)
{
	char proc[64];
	int wd;

	/* The /proc magic link names exactly the inode we opened without
	 * following symlinks: no path is resolved again. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dirfd);
	wd = inotify_add_watch(hub.fd, proc, WATCH_MASK);
	if (wd < 0)
		return -1;
	if (owner_add(wd, w) < 0) {
		if (wd >= hub.nowners || hub.owners[wd].n == 0)
			(void)inotify_rm_watch(hub.fd, wd);
		errno = ENOMEM;
		return -1;
	}
	return wd;
}

void
watch_rm(struct watch *w, int wd)
{
	if (owner_drop(wd, w) && hub.owners[wd].n == 0)
		(void)inotify_rm_watch(hub.fd, wd);
}

/* One event to its owners (an overflow to every client). */
static void
dispatch(const struct inotify_event *ev)
{
	const char *name = ev->len > 0 ? ev->name : NULL;
	struct wd_owners *o;
	struct watch *c;
	unsigned i;

	if (ev->wd < 0) {
		for (c = hub.clients; c != NULL; c = c->next) {
			c->got = true;
			c->on_event(c->arg, ev->wd, ev->mask, ev->cookie, name);
		}
		return;
	}
	if (ev->wd >= hub.nowners)
		return;
	/* From the end: an owner dropping its own watch in its callback
	 * moves the last owner (already called) into its place; and the
	 * array is looked up again, as a callback may have grown it. */
	for (i = hub.owners[ev->wd].n; i-- > 0;) {
		o = &hub.owners[ev->wd];
		if (i >= o->n)
			continue;
		c = o->v[i];
		c->got = true;
		c->on_event(c->arg, ev->wd, ev->mask, ev->cookie, name);
	}
	if (ev->mask & IN_IGNORED)
		hub.owners[ev->wd].n = 0;	/* the kernel dropped the watch */
}

/* Drains the shared queue into the clients; the number of events. */
static int
drain(void)
{
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n, off;
	int count = 0;

	for (;;) {
		n = read(hub.fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return count;
		if (n < 0)
			return -1;
		for (off = 0; off < n; off += (ssize_t)(sizeof(*ev) + ev->len)) {
			ev = (const struct inotify_event *)(buf + off);
			dispatch(ev);
			count++;
		}
	}
}

int
watch_read(struct watch *w)
{
	struct watch *c;
	int count = drain();

	/* Every client that heard something ends its batch; w always does
	 * (it asked: it may have pending work of its own). */
	w->got = true;
	for (c = hub.clients; c != NULL; c = c->next) {
		if (!c->got)
			continue;
		c->got = false;
		if (c->on_done != NULL)
			c->on_done(c->arg);
	}
	return count;
}
