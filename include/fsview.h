/*
 * The tree the walkers read: the live file system (fsview_fs_init) or the
 * daemon's in-memory copy of it (tree.c).  Reading through one small table
 * of operations lets ctxctl --no-daemon and ctxd run the very same walk code.
 * Directories are int handles (file descriptors for the live file system);
 * no operation ever follows a symbolic link.
 *
 * Ownership: a struct fsview borrows its ctx; handles from root/openat/
 * openpath are released with close.
 */
#ifndef CTXD_FSVIEW_H
#define CTXD_FSVIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct dirlist;

struct fsview_ops {
	/* The root directory; -1 with errno. */
	int (*root)(void *ctx);
	/* Child directory name of dir; -1 with errno (ENOTDIR, ELOOP for a
	 * symlink, EACCES...). */
	int (*openat)(void *ctx, int dir, const char *name);
	/* A directory by its path below the root ("." is the root), with no
	 * symlink in any component; -1 with errno. */
	int (*openpath)(void *ctx, const char *rel);
	void (*close)(void *ctx, int dir);
	/* All names of dir, sorted by bytes; -1 with errno. */
	int (*list)(void *ctx, int dir, struct dirlist *out);
	/* lstat of name in dir; -1 with errno. */
	int (*lstat)(void *ctx, int dir, const char *name, struct stat *st);
	/* readlink of name in dir; -1 with errno. */
	ssize_t (*readlink)(void *ctx, int dir, const char *name, char *buf,
	    size_t size);
	/* Can directory name of dir be listed (opened and read)?  0, or -1
	 * with errno.  Cheaper than openat + list. */
	int (*probe)(void *ctx, int dir, const char *name);
	/* Can file name of dir be opened for reading?  0, or -1 with errno. */
	int (*readable)(void *ctx, int dir, const char *name, const struct stat *st);
	/* An identifier of name in dir for the caller's bookkeeping
	 * (entry.node), or -1.  May be NULL. */
	int64_t (*node)(void *ctx, int dir, const char *name);
};

struct fsview {
	const struct fsview_ops *ops;
	void *ctx;
};

/*
 * Opens directory rel below rootfd ("" or "." is rootfd itself) with flags
 * (O_PATH or O_RDONLY; O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC are added),
 * never following a symlink in any component: openat2 RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS, else one component at a time.  -1 with errno.
 */
int fsview_open_beneath(int rootfd, const char *rel, int flags);

/* The checks behind the probe and readable operations, for any view that
 * asks the real file system: dir is a descriptor of the parent (O_PATH is
 * enough).  0, or -1 with errno. */
int fsview_probe_at(int dir, const char *name);
int fsview_readable_at(int dir, const char *name);
/* True when st says we can read it without asking (root, or owner with r). */
bool fsview_plainly_readable(const struct stat *st);

/* The live file system below the directory open at *rootfd (borrowed). */
void fsview_fs_init(struct fsview *v, int *rootfd);

#endif
