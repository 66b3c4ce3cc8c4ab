/*
 * The in-memory tree (see tree.h).  A directory is loaded the first time a
 * walk enters it: watched first, then listed, so no change between the two
 * is missed; events then keep it current, renames paired by cookie keep
 * subtrees (and their watches, which follow the inode) intact.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dirlist.h"
#include "tree.h"

#define TREE_MAX_NODES (64u * 1024 * 1024)

_Static_assert(sizeof(struct tree_node) == 80, "tree_node grew: it is per tracked name");

/* ---- names: one pool of strings, compacted when half of it is garbage ---- */

const char *
tree_node_name(const struct tree *t, const struct tree_node *n)
{
	return t->pool + n->name;
}

const char *
tree_node_link(const struct tree *t, const struct tree_node *n)
{
	const char *p = t->pool + n->name;

	return n->has_link ? p + strlen(p) + 1 : NULL;
}

static uint32_t
name_bytes(const struct tree *t, const struct tree_node *n)
{
	const char *p = t->pool + n->name, *link = tree_node_link(t, n);

	return (uint32_t)(strlen(p) + 1 + (link ? strlen(link) + 1 : 0));
}

static void
name_release(struct tree *t, struct tree_node *n)
{
	if (n->name != 0)
		t->pool_garbage += name_bytes(t, n);
	n->name = 0;		/* the pool starts with "" */
	n->has_link = 0;
}

/* Rewrites the pool with the live names only. */
static void
pool_compact(struct tree *t)
{
	char *pool = malloc(t->pool_len - t->pool_garbage);
	uint32_t i, len = 1;

	if (pool == NULL)
		return;		/* garbage stays: no harm */
	pool[0] = '\0';
	for (i = 0; i < t->n; i++) {
		struct tree_node *n = &t->v[i];
		uint32_t b;
		if (!n->used || n->name == 0)
			continue;
		b = name_bytes(t, n);
		memcpy(pool + len, t->pool + n->name, b);
		n->name = len;
		len += b;
	}
	free(t->pool);
	t->pool = pool;
	t->pool_len = t->pool_cap = len;
	t->pool_garbage = 0;
}

/* Room for more bytes in the pool. */
static int
pool_reserve(struct tree *t, size_t more)
{
	uint32_t cap;
	char *p;

	if (t->pool_garbage > 4096 && t->pool_garbage > t->pool_len / 2)
		pool_compact(t);
	if (t->pool_len + more <= t->pool_cap)
		return 0;
	if (more > UINT32_MAX / 2 || t->pool_len > UINT32_MAX / 2)
		return -1;
	cap = t->pool_cap ? t->pool_cap + t->pool_cap / 2 : 4096;
	if (cap < t->pool_len + more)
		cap = t->pool_len + (uint32_t)more;
	if ((p = realloc(t->pool, cap)) == NULL)
		return -1;
	t->pool = p;
	t->pool_cap = cap;
	return 0;
}

/* Sets the name (and, when link is not NULL, the symlink target).  name
 * and link must not point into the pool (it may move). */
static int
name_set(struct tree *t, int32_t id, const char *name, const char *link)
{
	size_t nl = strlen(name) + 1, ll = link != NULL ? strlen(link) + 1 : 0;
	struct tree_node *n;

	if (pool_reserve(t, nl + ll) < 0)
		return -1;
	n = &t->v[id];
	name_release(t, n);
	if (nl == 1 && ll == 0)
		return 0;
	n->name = t->pool_len;
	memcpy(t->pool + t->pool_len, name, nl);
	if (link != NULL)
		memcpy(t->pool + t->pool_len + nl, link, ll);
	t->pool_len += (uint32_t)(nl + ll);
	n->has_link = link != NULL;
	return 0;
}

/* Renames node id, keeping its symlink target if it has one. */
static int
name_set_keep_link(struct tree *t, int32_t id, const char *name)
{
	const char *link = tree_node_link(t, &t->v[id]);
	char *copy = NULL;
	int rc;

	if (link != NULL && (copy = strdup(link)) == NULL)
		return -1;
	rc = name_set(t, id, name, copy);
	free(copy);
	return rc;
}

#define NAME(t, id) tree_node_name((t), &(t)->v[id])

/* ---- devices ---- */

uint64_t
tree_node_dev(const struct tree *t, const struct tree_node *n)
{
	return t->devs[n->devx];
}

/* The index of dev in the table, added when new; -1 when full. */
static int
dev_index(struct tree *t, uint64_t dev)
{
	uint64_t *v;
	uint16_t i;

	for (i = 0; i < t->ndevs; i++)
		if (t->devs[i] == dev)
			return i;
	if (t->ndevs == UINT16_MAX ||
	    (v = realloc(t->devs, (t->ndevs + 1u) * sizeof(*v))) == NULL)
		return -1;
	t->devs = v;
	t->devs[t->ndevs] = dev;
	return t->ndevs++;
}

/* ---- directories ---- */

static struct tree_dir *
dir_get(const struct tree *t, int32_t id)
{
	const struct tree_node *n = &t->v[id];

	return S_ISDIR(n->mode) && n->size > 0 ? &t->dirs[n->size - 1] : NULL;
}

/* The directory record of node id, created when missing; NULL on no
 * memory.  Invalidates earlier dir_get() pointers. */
static struct tree_dir *
dir_need(struct tree *t, int32_t id)
{
	struct tree_dir *d;
	int32_t di;

	if ((d = dir_get(t, id)) != NULL)
		return d;
	if (t->dirfree >= 0) {
		di = t->dirfree;
		t->dirfree = t->dirs[di].wd;
	} else {
		if (t->ndirs == t->capdirs) {
			uint32_t cap = t->capdirs ? t->capdirs + t->capdirs / 2 : 64;
			struct tree_dir *v = realloc(t->dirs, cap * sizeof(*v));
			if (v == NULL)
				return NULL;
			t->dirs = v;
			t->capdirs = cap;
		}
		di = (int32_t)t->ndirs++;
	}
	d = &t->dirs[di];
	memset(d, 0, sizeof(*d));
	d->wd = -1;
	d->node = id;
	t->v[id].size = (uint64_t)di + 1;
	return d;
}

/* Drops the directory record of id when it holds nothing. */
static void
dir_drop_if_idle(struct tree *t, int32_t id)
{
	struct tree_dir *d = dir_get(t, id);

	if (d == NULL || d->loaded || d->nkids > 0 || d->wd >= 0 || d->polled)
		return;
	free(d->kids);
	d->kids = NULL;
	d->node = -1;
	d->wd = t->dirfree;
	t->dirfree = (int32_t)(t->v[id].size - 1);
	t->v[id].size = 0;
}

static bool
dir_loaded(const struct tree *t, int32_t id)
{
	const struct tree_dir *d = dir_get(t, id);

	return d != NULL && d->loaded;
}

static int
node_wd(const struct tree *t, int32_t id)
{
	const struct tree_dir *d = dir_get(t, id);

	return d != NULL ? d->wd : -1;
}

static bool
node_polled(const struct tree *t, int32_t id)
{
	const struct tree_dir *d = dir_get(t, id);

	return d != NULL && d->polled;
}

/* ---- nodes ---- */

static int32_t
node_alloc(struct tree *t)
{
	int32_t id;

	if (t->freelist >= 0) {
		id = t->freelist;
		t->freelist = t->v[id].parent;
	} else {
		if (t->n == t->cap) {
			/* Grown by half, not doubled: the array is most of the
			 * daemon's memory. */
			uint32_t cap = t->cap ? t->cap + t->cap / 2 : 1024;
			struct tree_node *v;
			if (cap > TREE_MAX_NODES ||
			    (v = realloc(t->v, cap * sizeof(*v))) == NULL)
				return -1;
			t->v = v;
			t->cap = cap;
		}
		id = (int32_t)t->n++;
	}
	memset(&t->v[id], 0, sizeof(t->v[id]));
	t->v[id].parent = -1;
	t->v[id].used = 1;
	return id;
}

static void
wd_unmap(struct tree *t, int32_t id)
{
	struct tree_dir *d = dir_get(t, id);

	if (d == NULL || d->wd < 0)
		return;
	watch_rm(t->watch, d->wd);
	if (d->wd < t->wdcap)
		t->wdmap[d->wd] = -1;
	d->wd = -1;
	t->nwatches--;
}

static void
unpoll(struct tree *t, int32_t id)
{
	struct tree_dir *d = dir_get(t, id);

	if (d != NULL && d->polled) {
		d->polled = 0;
		t->npolled--;
	}
}

static void node_release(struct tree *t, int32_t id);

/* Frees the children of id (recursively), keeping id itself. */
static void
node_unload(struct tree *t, int32_t id)
{
	struct tree_dir *d = dir_get(t, id);
	uint32_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nkids; i++) {
		node_release(t, d->kids[i]);
		d = dir_get(t, id);
	}
	free(d->kids);
	d->kids = NULL;
	d->nkids = d->capkids = 0;
	d->loaded = 0;
	dir_drop_if_idle(t, id);
}

/* Frees id and everything below it (not unlinking it from its parent). */
static void
node_release(struct tree *t, int32_t id)
{
	node_unload(t, id);
	wd_unmap(t, id);
	unpoll(t, id);
	dir_drop_if_idle(t, id);
	name_release(t, &t->v[id]);
	t->v[id].used = 0;
	t->v[id].parent = t->freelist;
	t->freelist = id;
}

static void
node_free(struct tree *t, int32_t id)
{
	node_release(t, id);
}

/* Index of name among dir's children, or -(insertion point) - 1. */
static long
kid_find(const struct tree *t, const struct tree_dir *dir, const char *name)
{
	long lo = 0, hi = dir != NULL ? (long)dir->nkids - 1 : -1;

	/* A directory is loaded from a sorted listing: each new name goes
	 * after the last one, found with one comparison. */
	if (hi >= 0 && strcmp(NAME(t, dir->kids[hi]), name) < 0)
		return -(hi + 1) - 1;
	while (lo <= hi) {
		long mid = (lo + hi) / 2;
		int c = strcmp(NAME(t, dir->kids[mid]), name);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -lo - 1;
}

static int32_t
kid_get(const struct tree *t, int32_t dir, const char *name)
{
	const struct tree_dir *d;
	long i;

	if (dir < 0 || (uint32_t)dir >= t->n || !t->v[dir].used ||
	    (d = dir_get(t, dir)) == NULL)
		return -1;
	i = kid_find(t, d, name);
	return i >= 0 ? d->kids[i] : -1;
}

/* Room for the n children of a first listing, exactly: no growth steps
 * and no slack (4 bytes a name).  Best effort: kid_insert() grows too. */
static void
kids_reserve(struct tree_dir *d, size_t n)
{
	int32_t *k;

	if (d->nkids != 0 || d->capkids >= n || n > UINT32_MAX ||
	    (k = realloc(d->kids, n * sizeof(*k))) == NULL)
		return;
	d->kids = k;
	d->capkids = (uint32_t)n;
}

static int
kid_insert(struct tree *t, int32_t dir, int32_t kid)
{
	struct tree_dir *d = dir_need(t, dir);
	long i;

	if (d == NULL || (i = kid_find(t, d, NAME(t, kid))) >= 0)
		return -1;
	i = -i - 1;
	if (d->nkids == d->capkids) {
		uint32_t cap = d->capkids ? d->capkids + d->capkids / 2 + 1 : 4;
		int32_t *k = realloc(d->kids, cap * sizeof(*k));
		if (k == NULL)
			return -1;
		d->kids = k;
		d->capkids = cap;
	}
	memmove(d->kids + i + 1, d->kids + i, (d->nkids - (size_t)i) * sizeof(int32_t));
	d->kids[i] = kid;
	d->nkids++;
	t->v[kid].parent = dir;
	return 0;
}

static void
kid_remove(struct tree *t, int32_t dir, int32_t kid)
{
	struct tree_dir *d = dir_get(t, dir);
	long i = kid_find(t, d, NAME(t, kid));

	if (i < 0)
		return;
	memmove(d->kids + i, d->kids + i + 1, (d->nkids - (size_t)i - 1) * sizeof(int32_t));
	d->nkids--;
	t->v[kid].parent = -1;
}

int
tree_path(const struct tree *t, int32_t id, char *buf, size_t size)
{
	size_t len = 0, nl;
	int32_t stack[PATH_MAX / 2];
	int depth = 0;

	for (; id > 0; id = t->v[id].parent) {
		if (depth == (int)(sizeof(stack) / sizeof(stack[0])))
			return -1;
		stack[depth++] = id;
	}
	while (depth-- > 0) {
		const char *name = NAME(t, stack[depth]);
		nl = strlen(name);
		if (len + nl + 2 > size)
			return -1;
		if (len > 0)
			buf[len++] = '/';
		memcpy(buf + len, name, nl);
		len += nl;
	}
	if (size == 0)
		return -1;
	buf[len] = '\0';
	return 0;
}

/* Opens the directory node id on the real file system, never following a
 * symlink: O_PATH, or O_RDONLY when it is to be read. */
static int
open_node(const struct tree *t, int32_t id, bool readable)
{
	char path[PATH_MAX];

	if (tree_path(t, id, path, sizeof(path)) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return fsview_open_beneath(t->rootfd, path, readable ? O_RDONLY : O_PATH);
}

/*
 * open_node, checked against the node's identity (its inode): events are
 * handled after the fact, and by then a later rename may have moved the
 * directory away or put another one at its path.  ESTALE when the path
 * names another directory now.
 */
static int
open_node_same(const struct tree *t, int32_t id, bool readable)
{
	struct stat st;
	int fd = open_node(t, id, readable);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_ino != t->v[id].ino ||
	    (uint64_t)st.st_dev != tree_node_dev(t, &t->v[id])) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	return fd;
}

/* The daemon's effective uid (asked once: once per name was measurable). */
static uid_t
tree_euid(void)
{
	static uid_t euid = (uid_t)-1;

	if (euid == (uid_t)-1)
		euid = geteuid();
	return euid;
}

/* The size field: st_size, or st_rdev for a device (whose size is 0). */
static uint64_t
size_field(const struct stat *st)
{
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		return (uint64_t)st->st_rdev;
	return (uint64_t)st->st_size;
}

/* Takes st into node id; -1 on no memory (for a new device). */
static int
node_set_stat(struct tree *t, int32_t id, const struct stat *st)
{
	struct tree_node *n = &t->v[id];
	int devx = dev_index(t, (uint64_t)st->st_dev);
	/* A directory keeps its struct tree_dir (the size field's). */
	uint64_t size = !S_ISDIR(st->st_mode) ? size_field(st) :
	    S_ISDIR(n->mode) ? n->size : 0;
	bool same;

	if (devx < 0)
		return -1;
	same = n->size == size &&
	    n->ino == (uint64_t)st->st_ino && n->devx == devx &&
	    n->mtime_ns == (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec &&
	    n->ctime_ns == (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;

	if (!same)
		n->digest_ok = 0;
	n->mode = st->st_mode;
	n->owned = st->st_uid == tree_euid();
	n->nlink = st->st_nlink > UINT8_MAX ? UINT8_MAX : (uint8_t)st->st_nlink;
	n->size = size;
	n->devx = (uint16_t)devx;
	n->ino = st->st_ino;
	n->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	n->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
	return 0;
}

static int
node_read_link(struct tree *t, int32_t id, int dirfd, const char *name)
{
	char buf[PATH_MAX + 1];
	ssize_t len = readlinkat(dirfd, name, buf, sizeof(buf) - 1);
	char *nm;
	int rc;

	if (len < 0)
		return -1;
	buf[len] = '\0';
	if ((nm = strdup(name)) == NULL)
		return -1;
	rc = name_set(t, id, nm, buf);
	free(nm);
	return rc;
}

/* Creates or updates child name of dir from the directory open at dirfd.
 * Returns the child, -1 when it no longer exists (or on no memory). */
static int32_t
child_refresh(struct tree *t, int32_t dir, int dirfd, const char *name)
{
	struct stat st;
	int32_t k = kid_get(t, dir, name);

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (k >= 0) {
			kid_remove(t, dir, k);
			node_free(t, k);
		}
		return -1;
	}
	/* Another type, or another directory under the same name (what a
	 * loaded node holds belongs to the inode it was read from). */
	if (k >= 0 && ((t->v[k].mode & S_IFMT) != (st.st_mode & S_IFMT) ||
	    (S_ISDIR(st.st_mode) && (dir_loaded(t, k) || node_wd(t, k) >= 0) &&
	    (t->v[k].ino != (uint64_t)st.st_ino ||
	    tree_node_dev(t, &t->v[k]) != (uint64_t)st.st_dev)))) {
		kid_remove(t, dir, k);
		node_free(t, k);
		k = -1;
	}
	if (k < 0) {
		if ((k = node_alloc(t)) < 0)
			return -1;
		if (name_set(t, k, name, NULL) < 0 ||
		    kid_insert(t, dir, k) < 0) {
			node_free(t, k);
			return -1;
		}
	}
	if (node_set_stat(t, k, &st) < 0) {
		kid_remove(t, dir, k);
		node_free(t, k);
		return -1;
	}
	if (S_ISLNK(st.st_mode))
		(void)node_read_link(t, k, dirfd, name);
	return k;
}

static int
wd_map(struct tree *t, int wd, int32_t id)
{
	if (wd >= t->wdcap) {
		int cap = t->wdcap ? t->wdcap : 1024, i;
		int32_t *m;
		while (cap <= wd)
			cap *= 2;
		if ((m = realloc(t->wdmap, (size_t)cap * sizeof(*m))) == NULL)
			return -1;
		for (i = t->wdcap; i < cap; i++)
			m[i] = -1;
		t->wdmap = m;
		t->wdcap = cap;
	}
	if (dir_need(t, id) == NULL)
		return -1;
	if (t->wdmap[wd] < 0) {
		t->nwatches++;
	} else if (t->wdmap[wd] != id && node_wd(t, t->wdmap[wd]) == wd) {
		/* The kernel gives one watch per inode: a stale node still
		 * holding it must not remove it when it goes. */
		dir_get(t, t->wdmap[wd])->wd = -1;
		dir_drop_if_idle(t, t->wdmap[wd]);
	}
	t->wdmap[wd] = id;
	dir_get(t, id)->wd = wd;
	return 0;
}

/* Watches, then lists, the directory node id (see the file comment). */
static int
node_load(struct tree *t, int32_t id)
{
	struct dirlist dl;
	struct stat st;
	int pathfd, fd, wd, e;
	size_t i;

	if (dir_loaded(t, id))
		return 0;
	if ((pathfd = open_node(t, id, false)) < 0)
		return -1;
	/* Events not read yet can leave another directory at this path: the
	 * node becomes that one (the pending events then sort the names
	 * out, see child_refresh), and must not keep the old one's watch. */
	if (fstat(pathfd, &st) == 0 && ((uint64_t)st.st_ino != t->v[id].ino ||
	    (uint64_t)st.st_dev != tree_node_dev(t, &t->v[id]))) {
		wd_unmap(t, id);
		if (node_set_stat(t, id, &st) < 0) {
			close(pathfd);
			errno = ENOMEM;
			return -1;
		}
	}
	wd = node_wd(t, id) >= 0 ? node_wd(t, id) : watch_add(t->watch, pathfd);
	if (wd >= 0) {
		if (wd_map(t, wd, id) < 0) {
			close(pathfd);
			errno = ENOMEM;
			return -1;
		}
	} else if (!node_polled(t, id)) {
		/* ENOSPC and friends: stay correct by polling it. */
		t->enospc = t->enospc || errno == ENOSPC;
		if (dir_need(t, id) == NULL) {
			close(pathfd);
			errno = ENOMEM;
			return -1;
		}
		dir_get(t, id)->polled = 1;
		t->npolled++;
	}
	fd = openat(pathfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	e = errno;
	close(pathfd);
	if (fd < 0) {
		errno = e;
		return -1;
	}
	dirlist_init(&dl);
	if (dirlist_read(&dl, fd, "", NULL) < 0) {
		e = errno;
		dirlist_free(&dl);
		close(fd);
		errno = e;
		return -1;
	}
	if (dir_need(t, id) == NULL) {
		dirlist_free(&dl);
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	dir_get(t, id)->loaded = 1;
	kids_reserve(dir_get(t, id), dl.n);
	/* A name gone between the listing and its lstat is skipped: its
	 * IN_DELETE is already queued. */
	for (i = 0; i < dl.n; i++)
		(void)child_refresh(t, id, fd, dl.v[i].name);
	dirlist_free(&dl);
	close(fd);
	return 0;
}

int
tree_init(struct tree *t, const char *root, int rootfd, struct watch *w,
    struct ctx_error *err)
{
	struct stat st;
	int32_t id;

	memset(t, 0, sizeof(*t));
	t->freelist = -1;
	t->rootfd = rootfd;
	t->watch = w;
	t->dirfree = -1;
	if ((t->root = strdup(root)) == NULL || pool_reserve(t, 1) < 0 ||
	    (id = node_alloc(t)) < 0) {
		tree_free(t);
		return ctx_error_nomem(err);
	}
	t->pool[t->pool_len++] = '\0';	/* offset 0: the name "" */
	t->v[id].mode = S_IFDIR;	/* until fstat says more */
	if (fstat(rootfd, &st) == 0 && node_set_stat(t, id, &st) < 0) {
		tree_free(t);
		return ctx_error_nomem(err);
	}
	return 0;
}

void
tree_free(struct tree *t)
{
	if (t == NULL)
		return;
	if (t->v != NULL && t->n > 0 && t->v[0].used)
		node_free(t, 0);
	free(t->v);
	free(t->dirs);
	free(t->pool);
	free(t->devs);
	free(t->root);
	free(t->wdmap);
	free(t->changed);
	free(t->moves);
	memset(t, 0, sizeof(*t));
}

struct tree_node *
tree_node(struct tree *t, int64_t id)
{
	if (id < 0 || (uint64_t)id >= t->n || !t->v[id].used)
		return NULL;
	return &t->v[id];
}

int32_t
tree_lookup(const struct tree *t, const char *path)
{
	char buf[PATH_MAX], *p, *slash;
	int32_t id = 0;

	if (strlen(path) >= sizeof(buf))
		return -1;
	strcpy(buf, path);
	for (p = buf; id >= 0 && *p != '\0'; p = slash) {
		if ((slash = strchr(p, '/')) != NULL)
			*slash++ = '\0';
		else
			slash = p + strlen(p);
		id = kid_get(t, id, p);
	}
	return id;
}

/* ---- the fsview over the tree ---- */

static int
tv_enter(struct tree *t, int32_t id)
{
	if (!S_ISDIR(t->v[id].mode) && id != 0) {
		errno = S_ISLNK(t->v[id].mode) ? ELOOP : ENOTDIR;
		return -1;
	}
	if (node_load(t, id) < 0)
		return -1;
	dir_get(t, id)->visit = t->gen;
	return id;
}

static int
tv_root(void *ctx)
{
	return tv_enter(ctx, 0);
}

static int
tv_child(struct tree *t, int dir, const char *name)
{
	int32_t k = kid_get(t, dir, name);

	if (k < 0)
		errno = ENOENT;
	return k;
}

static int
tv_openat(void *ctx, int dir, const char *name)
{
	int32_t k = tv_child(ctx, dir, name);

	return k < 0 ? -1 : tv_enter(ctx, k);
}

static int
tv_openpath(void *ctx, const char *rel)
{
	struct tree *t = ctx;
	char buf[PATH_MAX], *p, *slash;
	int32_t id = 0;

	if (strlen(rel) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, strcmp(rel, ".") == 0 ? "" : rel);
	for (p = buf; *p != '\0'; p = slash) {
		if ((slash = strchr(p, '/')) != NULL)
			*slash++ = '\0';
		else
			slash = p + strlen(p);
		if (tv_enter(t, id) < 0 || (id = tv_child(t, id, p)) < 0)
			return -1;
		if (!S_ISDIR(t->v[id].mode)) {
			errno = S_ISLNK(t->v[id].mode) ? ELOOP : ENOTDIR;
			return -1;
		}
	}
	/* The caller lstats and readlinks names in it without listing it
	 * (FollowLinks reading "b/link"): it must be loaded, and watched so
	 * that a change of the link is seen. */
	return tv_enter(t, id);
}

static void
tv_close(void *ctx, int dir)
{
	(void)ctx;
	(void)dir;
}

static unsigned char
dtype_of(uint32_t mode)
{
	return (unsigned char)IFTODT(mode);
}

static int
tv_list(void *ctx, int dir, struct dirlist *out)
{
	struct tree *t = ctx;
	uint32_t i;

	if (tv_enter(t, dir) < 0)
		return -1;
	dirlist_clear(out);
	for (i = 0; i < dir_get(t, dir)->nkids; i++) {
		const char *name = NAME(t, dir_get(t, dir)->kids[i]);
		const struct tree_node *k = &t->v[dir_get(t, dir)->kids[i]];
		if (dirlist_append(out, name, strlen(name),
		    dtype_of(k->mode), NULL) < 0) {
			errno = ENOMEM;
			return -1;
		}
	}
	dirlist_seal(out);
	return 0;
}

static int
tv_lstat(void *ctx, int dir, const char *name, struct stat *st)
{
	struct tree *t = ctx;
	int32_t k = tv_child(t, dir, name);
	const struct tree_node *n;

	if (k < 0)
		return -1;
	n = &t->v[k];
	memset(st, 0, sizeof(*st));
	st->st_mode = n->mode;
	/* fsview_plainly_readable() only asks whether the owner is us. */
	st->st_uid = n->owned ? tree_euid() : tree_euid() ^ 1;
	st->st_nlink = n->nlink;
	st->st_dev = (dev_t)tree_node_dev(t, n);
	st->st_ino = n->ino;
	if (S_ISCHR(n->mode) || S_ISBLK(n->mode))
		st->st_rdev = n->size;
	else if (!S_ISDIR(n->mode))
		st->st_size = (off_t)n->size;
	st->st_mtim.tv_sec = n->mtime_ns / 1000000000;
	st->st_mtim.tv_nsec = n->mtime_ns % 1000000000;
	st->st_ctim.tv_sec = n->ctime_ns / 1000000000;
	st->st_ctim.tv_nsec = n->ctime_ns % 1000000000;
	return 0;
}

static ssize_t
tv_readlink(void *ctx, int dir, const char *name, char *buf, size_t size)
{
	struct tree *t = ctx;
	int32_t k = tv_child(t, dir, name);
	const char *link;
	size_t len;

	if (k < 0)
		return -1;
	if ((link = tree_node_link(t, &t->v[k])) == NULL) {
		errno = EINVAL;
		return -1;
	}
	len = strlen(link);
	if (len > size)
		len = size;
	memcpy(buf, link, len);
	return (ssize_t)len;
}

static int tv_lstat(void *ctx, int dir, const char *name, struct stat *st);

/* Readability is the file system's to say: ask it, unless the directory is
 * plainly ours to read (the classic pre-check lists every excluded
 * directory: each node_modules, .git and venv of the tree). */
static int
tv_probe(void *ctx, int dir, const char *name)
{
	struct tree *t = ctx;
	struct stat st;
	int fd, rc, e;

	if (tv_lstat(t, dir, name, &st) < 0)
		return -1;
	if (fsview_plainly_readable(&st))
		return 0;
	if ((fd = open_node(t, dir, false)) < 0)
		return -1;
	rc = fsview_probe_at(fd, name);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

static int
tv_readable(void *ctx, int dir, const char *name, const struct stat *st)
{
	struct tree *t = ctx;
	int fd, rc, e;

	if (fsview_plainly_readable(st))
		return 0;
	if ((fd = open_node(t, dir, false)) < 0)
		return -1;
	rc = fsview_readable_at(fd, name);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

static int64_t
tv_node(void *ctx, int dir, const char *name)
{
	return kid_get(ctx, dir, name);
}

static const struct fsview_ops tree_ops = {
	.root = tv_root,
	.openat = tv_openat,
	.openpath = tv_openpath,
	.close = tv_close,
	.list = tv_list,
	.lstat = tv_lstat,
	.readlink = tv_readlink,
	.probe = tv_probe,
	.readable = tv_readable,
	.node = tv_node,
};

void
tree_view(struct tree *t, struct fsview *out)
{
	out->ops = &tree_ops;
	out->ctx = t;
}

void
tree_walk_begin(struct tree *t)
{
	t->gen++;
}

static void
tree_sweep(struct tree *t, int32_t id)
{
	uint32_t i;

	for (i = 0; dir_get(t, id) != NULL && i < dir_get(t, id)->nkids; i++) {
		int32_t k = dir_get(t, id)->kids[i];
		const struct tree_dir *d = dir_get(t, k);
		/* Stale nodes (node_stale) may be unloaded yet watched or polled. */
		if (d == NULL || (!d->loaded && d->wd < 0 && !d->polled))
			continue;
		if (d->visit != t->gen) {
			node_unload(t, k);
			wd_unmap(t, k);
			unpoll(t, k);
			dir_drop_if_idle(t, k);
		} else {
			tree_sweep(t, k);
		}
	}
}

void
tree_walk_end(struct tree *t)
{
	tree_sweep(t, 0);
}

/* ---- events ---- */

static void
note_changed(struct tree *t, int32_t id)
{
	if (t->nchanged == t->capchanged) {
		size_t cap = t->capchanged ? t->capchanged * 2 : 64;
		int32_t *v = realloc(t->changed, cap * sizeof(*v));
		if (v == NULL) {
			t->structural = true;	/* fall back to a full walk */
			return;
		}
		t->changed = v;
		t->capchanged = cap;
	}
	t->changed[t->nchanged++] = id;
}

/*
 * The directory's path no longer leads to it (moved or deleted later in
 * the batch, or replaced): what it holds cannot be read now, so it is read
 * again, through its watch-keeping node, when the next walk enters it.
 */
static void
node_stale(struct tree *t, int32_t dir)
{
	node_unload(t, dir);
	t->structural = true;
}

/*
 * A write through one hard link changes every name of the inode, but
 * inotify reports only the name written: copy the new stat to the other
 * names (same inode, same stat) and re-hash them too.
 */
static void
share_inode(struct tree *t, int32_t k)
{
	uint32_t i;

	for (i = 0; i < t->n; i++) {
		struct tree_node *o = &t->v[i];
		if ((int32_t)i == k || !o->used || o->ino != t->v[k].ino ||
		    o->devx != t->v[k].devx || !S_ISREG(o->mode))
			continue;
		/* The mode and owner are the inode's too (chmod a/f is
		 * reported for a/f only). */
		o->mode = t->v[k].mode;
		o->owned = t->v[k].owned;
		o->size = t->v[k].size;
		o->mtime_ns = t->v[k].mtime_ns;
		o->ctime_ns = t->v[k].ctime_ns;
		o->nlink = t->v[k].nlink;
		o->digest_ok = 0;
		note_changed(t, (int32_t)i);
	}
}

static void
event_refresh(struct tree *t, int32_t dir, const char *name, uint32_t mask)
{
	int32_t before = kid_get(t, dir, name), k;
	int fd = open_node_same(t, dir, false);

	if (fd < 0) {
		node_stale(t, dir);
		return;
	}
	k = child_refresh(t, dir, fd, name);
	close(fd);
	if (k >= 0 && (mask & IN_ATTRIB) && S_ISREG(t->v[k].mode) &&
	    t->v[k].nlink > 1)
		share_inode(t, k);
	if (k < 0 || k != before || (mask & (IN_CREATE | IN_ATTRIB | IN_MOVED_TO)) ||
	    !S_ISREG(t->v[k].mode)) {
		t->structural = true;
		return;
	}
	/* Content only: this file's bytes changed, nothing else did. */
	t->v[k].digest_ok = 0;
	note_changed(t, k);
	if (t->v[k].nlink > 1)
		share_inode(t, k);
}

static void
event_moved_from(struct tree *t, int32_t dir, const char *name, uint32_t cookie)
{
	int32_t k = kid_get(t, dir, name);

	t->structural = true;
	if (k < 0)
		return;
	kid_remove(t, dir, k);
	if (t->nmoves == t->capmoves) {
		size_t cap = t->capmoves ? t->capmoves * 2 : 16;
		void *v = realloc(t->moves, cap * sizeof(*t->moves));
		if (v == NULL) {
			node_free(t, k);
			return;
		}
		t->moves = v;
		t->capmoves = cap;
	}
	t->moves[t->nmoves].cookie = cookie;
	t->moves[t->nmoves].node = k;
	t->nmoves++;
}

static void
event_moved_to(struct tree *t, int32_t dir, const char *name, uint32_t cookie)
{
	size_t i;
	int32_t k, old;

	for (i = 0; i < t->nmoves; i++)
		if (t->moves[i].cookie == cookie)
			break;
	if (i == t->nmoves) {
		event_refresh(t, dir, name, IN_MOVED_TO);
		return;
	}
	k = t->moves[i].node;
	t->moves[i] = t->moves[--t->nmoves];
	/* A rename over an existing name (an editor's atomic save). */
	if ((old = kid_get(t, dir, name)) >= 0) {
		kid_remove(t, dir, old);
		node_free(t, old);
	}
	if (name_set_keep_link(t, k, name) < 0 || kid_insert(t, dir, k) < 0)
		node_free(t, k);
	event_refresh(t, dir, name, IN_MOVED_TO);
}

void
tree_event(struct tree *t, int wd, uint32_t mask, uint32_t cookie,
    const char *name)
{
	int32_t dir;

	if (mask & IN_Q_OVERFLOW) {
		t->overflow = true;
		return;
	}
	if (wd < 0 || wd >= t->wdcap || (dir = t->wdmap[wd]) < 0)
		return;
	if (mask & IN_IGNORED) {
		t->wdmap[wd] = -1;
		t->nwatches--;
		if (t->v[dir].used && node_wd(t, dir) == wd) {
			dir_get(t, dir)->wd = -1;
			dir_drop_if_idle(t, dir);
		}
		return;
	}
	if (mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		if (dir == 0)
			t->root_gone = true;
		return;
	}
	if (name == NULL || !dir_loaded(t, dir))
		return;
	if (mask & IN_MOVED_FROM)
		event_moved_from(t, dir, name, cookie);
	else if (mask & IN_MOVED_TO)
		event_moved_to(t, dir, name, cookie);
	else if (mask & IN_DELETE) {
		int32_t k = kid_get(t, dir, name);
		t->structural = true;
		if (k >= 0) {
			kid_remove(t, dir, k);
			node_free(t, k);
		}
	} else {
		event_refresh(t, dir, name, mask);
	}
}

void
tree_events_done(struct tree *t)
{
	size_t i;

	/* A MOVED_FROM without its MOVED_TO left the tree. */
	for (i = 0; i < t->nmoves; i++)
		node_free(t, t->moves[i].node);
	t->nmoves = 0;
}

void
tree_reset(struct tree *t)
{
	node_unload(t, 0);
	wd_unmap(t, 0);
	t->structural = true;
}

/* Re-reads one unwatched directory, noting what changed. */
static bool
poll_dir(struct tree *t, int32_t id)
{
	struct dirlist dl;
	uint32_t i;
	size_t j;
	bool changed = false;
	int fd = open_node_same(t, id, true);

	if (fd < 0) {
		node_stale(t, id);
		return true;
	}
	dirlist_init(&dl);
	if (dirlist_read(&dl, fd, "", NULL) < 0) {
		dirlist_free(&dl);
		close(fd);
		return true;
	}
	/* Gone names: in the tree, not in the listing. */
	for (i = 0; dir_get(t, id) != NULL && i < dir_get(t, id)->nkids;) {
		int32_t k = dir_get(t, id)->kids[i];
		bool found = false;
		for (j = 0; j < dl.n && !found; j++)
			found = strcmp(dl.v[j].name, NAME(t, k)) == 0;
		if (!found) {
			kid_remove(t, id, k);
			node_free(t, k);
			changed = true;
		} else {
			i++;
		}
	}
	for (j = 0; j < dl.n; j++) {
		int32_t before = kid_get(t, id, dl.v[j].name), k;
		struct tree_node old;
		if (before >= 0)
			old = t->v[before];
		k = child_refresh(t, id, fd, dl.v[j].name);
		if (k < 0 || before < 0 || k != before ||
		    old.mode != t->v[k].mode || old.size != t->v[k].size ||
		    old.mtime_ns != t->v[k].mtime_ns ||
		    old.ctime_ns != t->v[k].ctime_ns)
			changed = true;
	}
	dirlist_free(&dl);
	close(fd);
	return changed;
}

bool
tree_poll(struct tree *t)
{
	bool changed = false;
	uint32_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].used && dir_loaded(t, (int32_t)i) &&
		    node_polled(t, (int32_t)i))
			changed |= poll_dir(t, (int32_t)i);
	if (changed)
		t->structural = true;
	return changed;
}

void
tree_take_changes(struct tree *t)
{
	t->structural = false;
	t->overflow = false;
	t->nchanged = 0;
}
