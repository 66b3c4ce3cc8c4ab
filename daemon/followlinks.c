/*
 * fsutil FollowLinks (rule 6.1 of buildkit-context.md): each FollowPath is
 * walked element by element; a symlink, or a wildcard element matching
 * symlinks, adds the element's path and continues at the link targets
 * (absolute targets are taken relative to the root, '..' cannot leave it).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dirlist.h"
#include "fsview.h"
#include "followlinks.h"
#include "gopath.h"

#define FOLLOW_MAX_STEPS 100000	/* bounds wildcard and link fan-out */

struct resolver {
	const struct fsview *v;
	char **set;		/* resolved paths, unsorted */
	size_t n, cap;
	size_t steps;
};

struct targets {
	char **v;
	size_t n;
};

static void
targets_free(struct targets *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

static int
targets_add(struct targets *t, const char *s, struct ctx_error *err)
{
	char **v = realloc(t->v, (t->n + 1) * sizeof(*v));

	if (v == NULL)
		return ctx_error_nomem(err);
	t->v = v;
	if ((t->v[t->n] = strdup(s)) == NULL)
		return ctx_error_nomem(err);
	t->n++;
	return 0;
}

static bool
resolver_has(const struct resolver *r, const char *p)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->set[i], p) == 0)
			return true;
	return false;
}

static int
resolver_add(struct resolver *r, const char *p, struct ctx_error *err)
{
	if (resolver_has(r, p))
		return 0;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		char **set = realloc(r->set, cap * sizeof(*set));
		if (set == NULL)
			return ctx_error_nomem(err);
		r->set = set;
		r->cap = cap;
	}
	if ((r->set[r->n] = strdup(p)) == NULL)
		return ctx_error_nomem(err);
	r->n++;
	return 0;
}

/* Go filepath.Join(a, b): joined, then cleaned. */
static void
join(const char *a, const char *b, char out[PATH_MAX * 2])
{
	char tmp[PATH_MAX * 2];
	size_t la = strlen(a), lb = strlen(b);

	if (la + lb + 2 > sizeof(tmp)) {
		strcpy(out, ".");
		return;
	}
	if (la == 0) {
		memcpy(tmp, b, lb + 1);
	} else if (lb == 0) {
		memcpy(tmp, a, la + 1);
	} else {
		memcpy(tmp, a, la);
		tmp[la] = '/';
		memcpy(tmp + la + 1, b, lb + 1);
	}
	if (tmp[0] == '\0')
		strcpy(out, "");
	else
		gopath_clean(tmp, strlen(tmp), out);
}

static bool
not_found(int e)
{
	return e == ENOENT || e == ENOTDIR;
}

static bool
has_wildcards(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\') {
			if (*++s == '\0')
				break;
		} else if (*s == '*' || *s == '?' || *s == '[') {
			return true;
		}
	}
	return false;
}

static void
split_dir_base(const char *p, char dir[PATH_MAX * 2], const char **base)
{
	const char *slash = strrchr(p, '/');

	if (slash == NULL) {
		strcpy(dir, ".");
		*base = p;
	} else {
		memcpy(dir, p, (size_t)(slash - p));
		dir[slash - p] = '\0';
		*base = slash + 1;
	}
}

static int read_symlink(struct resolver *r, const char *p, bool wildcard,
    struct targets *out, struct ctx_error *err);

static int
read_wildcard(struct resolver *r, const char *dir, const char *base,
    struct targets *out, struct ctx_error *err)
{
	struct dirlist dl;
	char child[PATH_MAX * 2];
	size_t i, blen = strlen(base);
	int fd = r->v->ops->openpath(r->v->ctx, dir), rc = 0;

	if (fd < 0) {
		if (not_found(errno))
			return 0;
		return ctx_error_sys(err, errno, "readdir %s", dir);
	}
	dirlist_init(&dl);
	if (r->v->ops->list(r->v->ctx, fd, &dl) < 0)
		rc = ctx_error_sys(err, errno, "readdir %s", dir);
	for (i = 0; rc == 0 && i < dl.n; i++) {
		/* fsutil drops Match's error: a bad pattern matches nothing */
		if (gopath_match(base, blen, dl.v[i].name, dl.v[i].len,
		    true) != 1)
			continue;
		join(dir, dl.v[i].name, child);
		rc = read_symlink(r, child, false, out, err);
	}
	dirlist_free(&dl);
	r->v->ops->close(r->v->ctx, fd);
	return rc;
}

/* fsutil readSymlink: the targets of p (a symlink, or with a wildcard base,
 * the symlinks it matches), rooted and cleaned. */
static int
read_symlink(struct resolver *r, const char *p, bool wildcard,
    struct targets *out, struct ctx_error *err)
{
	char dir[PATH_MAX * 2], link[PATH_MAX + 1], tmp[PATH_MAX * 2 + 2],
	    res[PATH_MAX * 2 + 2];
	const char *base;
	struct stat st;
	ssize_t n;
	int fd;

	if (++r->steps > FOLLOW_MAX_STEPS)
		return ctx_error_set(err, CTX_ERR_CONTEXT,
		    "too many symlinks and wildcards to follow in the Dockerfile's sources");
	split_dir_base(p, dir, &base);
	if (wildcard && has_wildcards(base))
		return read_wildcard(r, dir, base, out, err);
	if ((fd = r->v->ops->openpath(r->v->ctx, dir)) < 0) {
		if (not_found(errno))
			return 0;
		return ctx_error_sys(err, errno, "lstat %s", p);
	}
	if (r->v->ops->lstat(r->v->ctx, fd, base, &st) < 0) {
		int e = errno;
		r->v->ops->close(r->v->ctx, fd);
		if (not_found(e))
			return 0;
		return ctx_error_sys(err, e, "lstat %s", p);
	}
	if (!S_ISLNK(st.st_mode)) {
		r->v->ops->close(r->v->ctx, fd);
		return 0;
	}
	n = r->v->ops->readlink(r->v->ctx, fd, base, link, sizeof(link) - 1);
	r->v->ops->close(r->v->ctx, fd);
	if (n < 0)
		return ctx_error_sys(err, errno, "readlink %s", p);
	link[n] = '\0';
	gopath_clean(link, (size_t)n, tmp);
	if (tmp[0] == '/')
		return targets_add(out, tmp, err);
	join(dir, tmp, res);
	tmp[0] = '/';
	memcpy(tmp + 1, res, strlen(res) + 1);
	gopath_clean(tmp, strlen(tmp), res);
	return targets_add(out, res, err);
}

/* fsutil symlinkResolver.append */
static int
resolve_path(struct resolver *r, const char *path, struct ctx_error *err)
{
	char current[PATH_MAX * 2], rest[PATH_MAX * 2], head[PATH_MAX * 2],
	    next[PATH_MAX * 2];
	struct targets t = {NULL, 0};
	size_t i;
	int rc;

	strcpy(current, ".");
	snprintf(rest, sizeof(rest), "%s", path);
	for (;;) {
		char *slash = strchr(rest, '/');
		if (slash != NULL) {
			*slash = '\0';
			snprintf(head, sizeof(head), "%s", rest);
			memmove(rest, slash + 1, strlen(slash + 1) + 1);
		} else {
			snprintf(head, sizeof(head), "%s", rest);
			rest[0] = '\0';
		}
		join(current, head, next);
		strcpy(current, next);
		if (read_symlink(r, current, true, &t, err) < 0) {
			targets_free(&t);
			return -1;
		}
		if ((rest[0] == '\0' || t.n > 0) && resolver_has(r, current)) {
			targets_free(&t);
			return 0;
		}
		if (t.n > 0) {
			rc = resolver_add(r, current, err);
			for (i = 0; rc == 0 && i < t.n; i++) {
				join(t.v[i], rest, next);
				rc = resolve_path(r, next, err);
			}
			targets_free(&t);
			return rc;
		}
		if (rest[0] == '\0')
			return resolver_add(r, current, err);
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
followlinks(const struct fsview *v, const char *const *paths, size_t n,
    struct ignore_list *out, struct ctx_error *err)
{
	struct resolver r;
	const char *last = NULL;
	size_t i, ll = 0;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	r.v = v;
	for (i = 0; rc == 0 && i < n; i++)
		rc = resolve_path(&r, paths[i], err);
	if (rc == 0)
		qsort(r.set, r.n, sizeof(r.set[0]), cmp_str);
	/* fsutil dedupePaths: "." means the whole context. */
	for (i = 0; rc == 0 && i < r.n; i++)
		if (strcmp(r.set[i], ".") == 0)
			goto out;
	for (i = 0; rc == 0 && i < r.n; i++) {
		const char *s = r.set[i];
		if (last != NULL && strncmp(s, last, ll) == 0 && s[ll] == '/')
			continue;
		rc = ignore_list_add(out, s, strlen(s), err);
		last = s;
		ll = strlen(s);
	}
out:
	for (i = 0; i < r.n; i++)
		free(r.set[i]);
	free(r.set);
	return rc;
}
