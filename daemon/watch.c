/*
 * inotify(7) by hand: libinotifytools' recursive watching reports success
 * while leaving directories unwatched under churn and hides its descriptor,
 * so the daemon drives the kernel interface itself (see watch.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "watch.h"

struct watch {
	int fd;
};

struct watch *
watch_new(struct ctx_error *err)
{
	struct watch *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		ctx_error_nomem(err);
		return NULL;
	}
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		ctx_error_sys(err, errno, "inotify_init1");
		free(w);
		return NULL;
	}
	return w;
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	close(w->fd);
	free(w);
}

int
watch_fd(const struct watch *w)
{
	return w->fd;
}

int
watch_add(struct watch *w, int dirfd)
{
	char proc[64];
	int wd;

	/* The /proc magic link names exactly the inode we opened without
	 * following symlinks: no path is resolved again. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dirfd);
	wd = inotify_add_watch(w->fd, proc, WATCH_MASK);
	return wd;
}

void
watch_rm(struct watch *w, int wd)
{
	if (wd >= 0)
		(void)inotify_rm_watch(w->fd, wd);
}

int
watch_read(struct watch *w, watch_event_fn *fn, void *arg)
{
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n, off;
	int count = 0;

	for (;;) {
		n = read(w->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return count;
		if (n < 0)
			return -1;
		for (off = 0; off < n; off += (ssize_t)(sizeof(*ev) + ev->len)) {
			ev = (const struct inotify_event *)(buf + off);
			fn(arg, ev->wd, ev->mask, ev->cookie,
			    ev->len > 0 ? ev->name : NULL);
			count++;
		}
	}
}
