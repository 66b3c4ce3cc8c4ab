/*
 * The classic builder's walk.  Docker walks the context twice: the CLI's
 * pre-check (filepath.Walk + MatchesOrParentMatches, skipping excluded
 * directories, refusing unreadable files and directories) and the tar
 * writer (filepath.WalkDir + MatchesUsingParentResults, entering an excluded
 * directory only when an exception pattern literally starts with it).  We
 * read each directory once and run both decisions on it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "classic.h"
#include "dirlist.h"
#include "fsview.h"
#include "pathbuf.h"

struct walker {
	const struct fsview *v;
	const struct classic_walk_options *opt;
	struct entry_list *out;
	struct pathbuf path;
	size_t npat, npre;
};

static void
walker_warn(struct walker *w, const char *what, const char *reason)
{
	char msg[PATH_MAX * 2 + 256];

	if (w->opt->warn == NULL)
		return;
	snprintf(msg, sizeof(msg), "%s %s/%s to tar: %s", what, w->opt->root,
	    w->path.s, reason);
	w->opt->warn(w->opt->warn_arg, msg);
}

/* The pre-check opens every file it does not skip to see that it is
 * readable. */
static int
precheck_readable(struct walker *w, int dirfd, const char *name,
    const struct stat *st)
{
	return w->v->ops->readable(w->v->ctx, dirfd, name, st) == 0 ||
	    errno != EACCES;
}

static char
entry_type_of(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return ENTRY_FILE;
	case S_IFDIR: return ENTRY_DIR;
	case S_IFLNK: return ENTRY_LINK;
	case S_IFIFO: return ENTRY_FIFO;
	case S_IFCHR: return ENTRY_CHR;
	case S_IFBLK: return ENTRY_BLK;
	default: return 0;	/* a socket: docker cannot tar it */
	}
}

static int
read_link(const struct fsview *v, int dirfd, const char *name, char **out,
    struct ctx_error *err, const char *path)
{
	char buf[PATH_MAX + 1];
	ssize_t n = v->ops->readlink(v->ctx, dirfd, name, buf, sizeof(buf));

	if (n < 0)
		return ctx_error_sys(err, errno, "readlink '%s'", path);
	*out = malloc((size_t)n + 1);
	if (*out == NULL)
		return ctx_error_nomem(err);
	memcpy(*out, buf, (size_t)n);
	(*out)[n] = '\0';
	return 0;
}

/* The tar walk adds one entry (go-archive addTarFile). */
static int
walker_add(struct walker *w, int dirfd, const char *name, const struct stat *st,
    struct ctx_error *err)
{
	char type = entry_type_of(st->st_mode);
	struct entry *e;

	if (type == 0) {
		walker_warn(w, "Can't add file", "archive/tar: sockets not supported");
		return 0;
	}
	e = entry_list_add(w->out, w->path.s, w->path.len, err);
	if (e == NULL)
		return -1;
	e->type = type;
	e->perm = st->st_mode & 07777;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	if (type == ENTRY_FILE)
		e->size = (uint64_t)st->st_size;
	if (type == ENTRY_CHR || type == ENTRY_BLK)
		e->rdev = st->st_rdev;
	if (w->v->ops->node != NULL)
		e->node = w->v->ops->node(w->v->ctx, dirfd, name);
	digest_pool_submit(w->opt->pool, w->out->n - 1, e);
	if (type == ENTRY_LINK)
		return read_link(w->v, dirfd, name, &e->link, err, w->path.s);
	return 0;
}

static int walker_dir(struct walker *w, int fd, int pre_list, int pre_enter,
    const bool *pre_anc, int tar, const bool *tar_info, struct ctx_error *err);

/* What the two walks decide for one child of a directory. */
struct child_plan {
	int pre_enter;		/* the pre-check walks into this directory */
	int pre_list;		/* the pre-check lists it (even to skip it) */
	int tar_enter;		/* the tar walk walks into it */
};

/*
 * MatchesOrParentMatches for one child; parent_anc carries which patterns
 * matched an ancestor, so no file re-matches its ancestors (anc receives
 * the directory's own, for its children).
 */
static int
walker_precheck(struct walker *w, int dirfd, const char *name,
    const struct stat *st, const bool *parent_anc, bool *anc,
    struct child_plan *plan, struct ctx_error *err)
{
	bool excluded;

	if (matcher_matches_or_parent_at(w->opt->precheck, w->path.s,
	    w->path.len, parent_anc, S_ISDIR(st->st_mode) ? anc : NULL,
	    &excluded, err) < 0)
		return -1;
	if (S_ISDIR(st->st_mode)) {
		/* filepath.Walk lists a directory before asking whether to
		 * skip it, so an excluded unreadable directory still fails. */
		plan->pre_list = 1;
		plan->pre_enter = !excluded;
		return 0;
	}
	if (excluded || S_ISLNK(st->st_mode) || S_ISFIFO(st->st_mode))
		return 0;
	if (!precheck_readable(w, dirfd, name, st))
		return ctx_error_set(err, CTX_ERR_CONTEXT,
		    "error checking context: no permission to read from '%s/%s'",
		    w->opt->root, w->path.s);
	return 0;
}

static int
walker_tar(struct walker *w, int dirfd, const char *name, const struct stat *st,
    const bool *parent_info, bool *info, struct child_plan *plan,
    struct ctx_error *err)
{
	bool skip;

	if (matcher_matches_parent(w->opt->tar, w->path.s, w->path.len,
	    parent_info, info, &skip, err) < 0) {
		/* Docker logs this, stops the walk and sends a tar no
		 * build can use: we refuse. */
		char why[sizeof(err->msg)];
		memcpy(why, err->msg, sizeof(why));
		return ctx_error_set(err, CTX_ERR_PATTERN,
		    "Error matching %s: %s", w->path.s, why);
	}
	if (!skip) {
		plan->tar_enter = S_ISDIR(st->st_mode);
		return walker_add(w, dirfd, name, st, err);
	}
	plan->tar_enter = S_ISDIR(st->st_mode) &&
	    matcher_has_exclusions(w->opt->tar) &&
	    matcher_exception_below(w->opt->tar, w->path.s, w->path.len);
	return 0;
}

static int
walker_child(struct walker *w, int dirfd, const struct dirlist_name *dn,
    int pre, const bool *pre_anc, bool *anc, int tar, const bool *tar_info,
    bool *info, struct ctx_error *err)
{
	struct child_plan plan = {0, 0, 0};
	struct stat st;
	int fd, rc;

	if (w->v->ops->lstat(w->v->ctx, dirfd, dn->name, &st) < 0) {
		if (pre)
			return ctx_error_set(err, CTX_ERR_CONTEXT,
			    "error checking context: can't stat '%s/%s'",
			    w->opt->root, w->path.s);
		walker_warn(w, "Can't add file", strerror(errno));
		return 0;
	}
	if (pre && walker_precheck(w, dirfd, dn->name, &st, pre_anc, anc, &plan,
	    err) < 0)
		return -1;
	if (tar && walker_tar(w, dirfd, dn->name, &st, tar_info, info, &plan, err) < 0)
		return -1;
	if (!plan.pre_list && !plan.tar_enter)
		return 0;
	if (!plan.pre_enter && !plan.tar_enter) {
		/* Listed by the pre-check only to be skipped: readable is
		 * all that matters. */
		if (w->v->ops->probe(w->v->ctx, dirfd, dn->name) < 0)
			return ctx_error_set(err, CTX_ERR_CONTEXT,
			    "error checking context: can't stat '%s/%s'",
			    w->opt->root, w->path.s);
		return 0;
	}
	fd = w->v->ops->openat(w->v->ctx, dirfd, dn->name);
	if (fd < 0) {
		if (plan.pre_list)
			return ctx_error_set(err, CTX_ERR_CONTEXT,
			    "error checking context: can't stat '%s/%s'",
			    w->opt->root, w->path.s);
		walker_warn(w, "Tar: Can't stat file", strerror(errno));
		return 0;
	}
	rc = walker_dir(w, fd, plan.pre_list, plan.pre_enter, anc,
	    plan.tar_enter, info, err);
	w->v->ops->close(w->v->ctx, fd);
	return rc;
}

/*
 * Walks the directory open at fd, whose path is w->path.  pre_list: the
 * pre-check lists it (a read error refuses the context); pre_enter: the
 * pre-check also visits its children; tar: the tar walk enters it, with
 * tar_info the directory's own per-pattern results (NULL at the root).
 */
static int
walker_dir(struct walker *w, int fd, int pre_list, int pre_enter,
    const bool *pre_anc, int tar, const bool *tar_info, struct ctx_error *err)
{
	struct dirlist dl;
	bool *info = NULL, *anc = NULL;
	size_t i, mark = w->path.len;
	int rc = 0;

	dirlist_init(&dl);
	if (w->v->ops->list(w->v->ctx, fd, &dl) < 0) {
		if (pre_list) {
			rc = ctx_error_set(err, CTX_ERR_CONTEXT,
			    "error checking context: can't stat '%s/%s'",
			    w->opt->root, w->path.s);
		} else {
			walker_warn(w, "Tar: Can't stat file", strerror(errno));
		}
		dirlist_free(&dl);
		return rc;
	}
	if (tar && (info = calloc(w->npat + 1, sizeof(*info))) == NULL)
		rc = ctx_error_nomem(err);
	if (pre_enter && (anc = calloc(w->npre + 1, sizeof(*anc))) == NULL)
		rc = ctx_error_nomem(err);
	for (i = 0; rc == 0 && i < dl.n; i++) {
		if (pathbuf_push(&w->path, dl.v[i].name, dl.v[i].len, err) < 0) {
			rc = -1;
			break;
		}
		rc = walker_child(w, fd, &dl.v[i], pre_enter, pre_anc, anc, tar,
		    tar_info, info, err);
		pathbuf_trunc(&w->path, mark);
	}
	free(info);
	free(anc);
	dirlist_free(&dl);
	return rc;
}

int
classic_walk(const struct fsview *v, const struct classic_walk_options *opt,
    struct entry_list *out, struct ctx_error *err)
{
	struct walker w;
	int fd, rc;

	memset(&w, 0, sizeof(w));
	w.v = v;
	w.opt = opt;
	w.out = out;
	w.npat = matcher_count(opt->tar);
	w.npre = matcher_count(opt->precheck);
	pathbuf_init(&w.path);
	/* Our own handle: the walk consumes the directory offset. */
	fd = v->ops->root(v->ctx);
	if (fd < 0)
		return ctx_error_sys(err, errno, "open '%s'", opt->root);
	rc = walker_dir(&w, fd, 1, 1, NULL, 1, NULL, err);
	v->ops->close(v->ctx, fd);
	pathbuf_free(&w.path);
	return rc;
}
