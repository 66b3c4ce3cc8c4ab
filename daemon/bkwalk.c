/*
 * The BuildKit client's walk (fsutil filterFS.Walk): every directory that
 * is not pruned is read; an entry is sent when it matches the include
 * patterns (if any) and not the exclude patterns, and its directories are
 * sent lazily before it.  A sent file's content passes a second check
 * (MatchesOrParentMatches, rule 7.3) or arrives empty.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bkwalk.h"
#include "dirlist.h"
#include "fsview.h"
#include "pathbuf.h"

struct pending_dir {
	size_t path_len;
	struct stat st;
	bool sent;
};

struct bkwalker {
	const struct fsview *v;
	const struct bkwalk_options *opt;
	struct entry_list *out;
	struct pathbuf path;
	struct pending_dir *dirs;	/* the directories above the current entry */
	size_t ndirs, capdirs;
	size_t ninc, nexc;
	/* first-sent entry index per hard-linked inode, to share contents */
	size_t *links;
	size_t nlinks, caplinks;
};

static char
bk_type(mode_t mode, uint32_t *perm, unsigned *flags)
{
	*flags = 0;
	switch (mode & S_IFMT) {
	case S_IFREG: *perm = mode & 07777; return ENTRY_FILE;
	case S_IFDIR: *perm = mode & 07777; return ENTRY_DIR;
	case S_IFLNK: *perm = mode & 07777; return ENTRY_LINK;
	/* rule 7.1: fsutil clears the socket bit; the open fails: empty */
	case S_IFSOCK: *perm = mode & 07777; *flags = ENTRY_EMPTY; return ENTRY_FILE;
	/* rule 7.2: FIFO and device permissions are mode & 0777 */
	case S_IFIFO: *perm = mode & 0777; return ENTRY_FIFO;
	case S_IFCHR: *perm = mode & 0777; return ENTRY_CHR;
	case S_IFBLK: *perm = mode & 0777; return ENTRY_BLK;
	default: *perm = mode & 07777; return ENTRY_FILE;
	}
}

/* Rule 7.3: MatchesOrParentMatches on both pattern lists; an error on the
 * path itself makes the open fail too. */
static bool
bk_open_allowed(struct bkwalker *w)
{
	bool m;

	if (w->opt->include != NULL && (matcher_matches_or_parent(w->opt->include,
	    w->path.s, w->path.len, &m, NULL) < 0 || !m))
		return false;
	if (w->opt->exclude != NULL && (matcher_matches_or_parent(w->opt->exclude,
	    w->path.s, w->path.len, &m, NULL) < 0 || m))
		return false;
	return true;
}

static int
bk_add(struct bkwalker *w, int dirfd, const char *name, size_t path_len,
    const struct stat *st, struct ctx_error *err)
{
	struct entry *e = entry_list_add(w->out, w->path.s, path_len, err);
	char buf[PATH_MAX + 1];
	ssize_t n;

	if (e == NULL)
		return -1;
	e->type = bk_type(st->st_mode, &e->perm, &e->flags);
	e->dev = st->st_dev;
	if (name != NULL && w->v->ops->node != NULL)
		e->node = w->v->ops->node(w->v->ctx, dirfd, name);
	e->ino = st->st_ino;
	if (e->type == ENTRY_CHR || e->type == ENTRY_BLK)
		e->rdev = st->st_rdev;
	if (e->type == ENTRY_FILE && !(e->flags & ENTRY_EMPTY))
		e->size = (uint64_t)st->st_size;
	if (e->type == ENTRY_FILE && name != NULL && !bk_open_allowed(w)) {
		e->flags |= ENTRY_EMPTY;
		e->size = 0;
	}
	if (e->type == ENTRY_LINK && name != NULL) {
		if ((n = w->v->ops->readlink(w->v->ctx, dirfd, name, buf,
		    sizeof(buf))) < 0)
			return ctx_error_sys(err, errno, "readlink %s", w->path.s);
		if ((e->link = strndup(buf, (size_t)n)) == NULL)
			return ctx_error_nomem(err);
	}
	if (e->type == ENTRY_FILE && st->st_nlink > 1 && !(S_ISSOCK(st->st_mode))) {
		if (w->nlinks == w->caplinks) {
			size_t cap = w->caplinks ? w->caplinks * 2 : 16;
			size_t *v = realloc(w->links, cap * sizeof(*v));
			if (v == NULL)
				return ctx_error_nomem(err);
			w->links = v;
			w->caplinks = cap;
		}
		w->links[w->nlinks++] = w->out->n - 1;
	}
	digest_pool_submit(w->opt->pool, w->out->n - 1, e);
	return 0;
}

/* Rule 5.3: the directories above a sent entry are sent first. */
static int
bk_send(struct bkwalker *w, int dirfd, const char *name, const struct stat *st,
    struct ctx_error *err)
{
	size_t i;

	for (i = 0; i < w->ndirs; i++) {
		if (w->dirs[i].sent)
			continue;
		if (bk_add(w, -1, NULL, w->dirs[i].path_len, &w->dirs[i].st, err) < 0)
			return -1;
		w->dirs[i].sent = true;
	}
	return bk_add(w, dirfd, name, w->path.len, st, err);
}

static int bk_dir(struct bkwalker *w, int fd, const bool *inc_info,
    const bool *exc_info, struct ctx_error *err);

struct bk_decision {
	bool pruned, skip;
};

static int
bk_decide(struct bkwalker *w, bool isdir, const bool *pinc, bool *inc,
    const bool *pexc, bool *exc, struct bk_decision *d, struct ctx_error *err)
{
	bool m;

	d->pruned = d->skip = false;
	if (w->opt->include != NULL) {
		if (matcher_matches_parent(w->opt->include, w->path.s, w->path.len,
		    pinc, inc, &m, err) < 0)
			return ctx_error_set(err, CTX_ERR_PATTERN,
			    "failed to match includepatterns: %s", w->path.s);
		if (!m) {
			if (isdir && matcher_can_prune(w->opt->include, true,
			    w->path.s, w->path.len)) {
				d->pruned = true;
				return 0;
			}
			d->skip = true;
		}
	}
	if (w->opt->exclude != NULL) {
		if (matcher_matches_parent(w->opt->exclude, w->path.s, w->path.len,
		    pexc, exc, &m, err) < 0)
			return ctx_error_set(err, CTX_ERR_PATTERN,
			    "failed to match excludepatterns: %s", w->path.s);
		if (m) {
			if (isdir && matcher_can_prune(w->opt->exclude, false,
			    w->path.s, w->path.len)) {
				d->pruned = true;
				return 0;
			}
			d->skip = true;
		}
	}
	return 0;
}

static int
bk_enter(struct bkwalker *w, int dirfd, const char *name, const struct stat *st,
    bool sent, const bool *inc, const bool *exc, struct ctx_error *err)
{
	int fd, rc;

	if (w->ndirs == w->capdirs) {
		size_t cap = w->capdirs ? w->capdirs * 2 : 32;
		struct pending_dir *v = realloc(w->dirs, cap * sizeof(*v));
		if (v == NULL)
			return ctx_error_nomem(err);
		w->dirs = v;
		w->capdirs = cap;
	}
	fd = w->v->ops->openat(w->v->ctx, dirfd, name);
	if (fd < 0)
		return ctx_error_sys(err, errno,
		    "error from sender: open %s/%s", w->opt->root, w->path.s);
	w->dirs[w->ndirs].path_len = w->path.len;
	w->dirs[w->ndirs].st = *st;
	w->dirs[w->ndirs].sent = sent;
	w->ndirs++;
	rc = bk_dir(w, fd, inc, exc, err);
	w->ndirs--;
	w->v->ops->close(w->v->ctx, fd);
	return rc;
}

static int
bk_child(struct bkwalker *w, int dirfd, const struct dirlist_name *dn,
    const bool *pinc, bool *inc, const bool *pexc, bool *exc,
    struct ctx_error *err)
{
	struct bk_decision d;
	struct stat st;

	if (w->v->ops->lstat(w->v->ctx, dirfd, dn->name, &st) < 0)
		return ctx_error_sys(err, errno, "error from sender: lstat %s/%s",
		    w->opt->root, w->path.s);
	if (bk_decide(w, S_ISDIR(st.st_mode), pinc, inc, pexc, exc, &d, err) < 0)
		return -1;
	if (d.pruned)
		return 0;
	if (!d.skip && bk_send(w, dirfd, dn->name, &st, err) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return 0;
	return bk_enter(w, dirfd, dn->name, &st, !d.skip, inc, exc, err);
}

static int
bk_dir(struct bkwalker *w, int fd, const bool *inc_info, const bool *exc_info,
    struct ctx_error *err)
{
	struct dirlist dl;
	bool *inc = NULL, *exc = NULL;
	size_t i, mark = w->path.len;
	int rc = 0;

	dirlist_init(&dl);
	if (w->v->ops->list(w->v->ctx, fd, &dl) < 0) {
		dirlist_free(&dl);
		/* rule 8.1: an unreadable root reads as empty */
		if (w->path.len == 0)
			return 0;
		return ctx_error_sys(err, errno,
		    "error from sender: open %s/%s", w->opt->root, w->path.s);
	}
	inc = calloc(w->ninc + 1, sizeof(*inc));
	exc = calloc(w->nexc + 1, sizeof(*exc));
	if (inc == NULL || exc == NULL)
		rc = ctx_error_nomem(err);
	for (i = 0; rc == 0 && i < dl.n; i++) {
		if (pathbuf_push(&w->path, dl.v[i].name, dl.v[i].len, err) < 0) {
			rc = -1;
			break;
		}
		rc = bk_child(w, fd, &dl.v[i], inc_info, inc, exc_info, exc, err);
		pathbuf_trunc(&w->path, mark);
	}
	free(inc);
	free(exc);
	dirlist_free(&dl);
	return rc;
}

static int
link_cmp(const void *a, const void *b, void *arg)
{
	const struct entry *v = arg;
	const struct entry *x = &v[*(const size_t *)a], *y = &v[*(const size_t *)b];

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Rule 7.1: every later sent name of an inode is linked to the first one,
 * so it has the first one's content, open check included. */
static void
bk_share_links(struct bkwalker *w)
{
	size_t i, first = 0;

	if (w->nlinks == 0)
		return;		/* qsort_r must not get the NULL array */
	qsort_r(w->links, w->nlinks, sizeof(w->links[0]), link_cmp, w->out->v);
	for (i = 0; i < w->nlinks; i++) {
		struct entry *e = &w->out->v[w->links[i]], *f;
		if (i == 0 || e->dev != w->out->v[w->links[first]].dev ||
		    e->ino != w->out->v[w->links[first]].ino) {
			first = i;
			continue;
		}
		f = &w->out->v[w->links[first]];
		e->flags = (e->flags & ~ENTRY_EMPTY) | (f->flags & ENTRY_EMPTY);
		e->size = f->size;
	}
}

int
bkwalk(const struct fsview *v, const struct bkwalk_options *opt,
    struct entry_list *out, struct ctx_error *err)
{
	struct bkwalker w;
	int fd, rc;

	memset(&w, 0, sizeof(w));
	w.v = v;
	w.opt = opt;
	w.out = out;
	w.ninc = opt->include ? matcher_count(opt->include) : 0;
	w.nexc = opt->exclude ? matcher_count(opt->exclude) : 0;
	pathbuf_init(&w.path);
	fd = v->ops->root(v->ctx);
	if (fd < 0)
		return 0;	/* rule 8.1: an unreadable root reads as empty */
	rc = bk_dir(&w, fd, NULL, NULL, err);
	v->ops->close(v->ctx, fd);
	if (rc == 0)
		bk_share_links(&w);
	pathbuf_free(&w.path);
	free(w.dirs);
	free(w.links);
	return rc;
}
