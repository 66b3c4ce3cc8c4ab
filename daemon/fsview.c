/*
 * The live file system as a struct fsview: handles are file descriptors,
 * every lookup is relative to its directory with O_NOFOLLOW, and paths from
 * the root resolve with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "dirlist.h"
#include "fsview.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
/* openpath handles only need search permission (lstat, readlink), as Go's
 * os.Lstat through a path does; fs_list reopens them to read. */
#define PATH_FLAGS (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

static int
fs_root(void *ctx)
{
	return openat(*(int *)ctx, ".", DIR_FLAGS);
}

static int
fs_openat(void *ctx, int dir, const char *name)
{
	(void)ctx;
	return openat(dir, name, DIR_FLAGS);
}

int
fsview_open_beneath(int rootfd, const char *rel, int flags)
{
	struct open_how how;
	int fd;

	flags |= O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	if (rel[0] == '\0' || strcmp(rel, ".") == 0)
		return openat(rootfd, ".", flags);
	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)flags;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
	if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
		/* Without openat2 (kernels before 5.6, seccomp filters,
		 * valgrind): one O_NOFOLLOW component at a time. */
		char buf[4096], *p, *slash;
		int cur = openat(rootfd, ".", PATH_FLAGS), next;
		if (strlen(rel) >= sizeof(buf)) {
			if (cur >= 0)
				close(cur);
			errno = ENAMETOOLONG;
			return -1;
		}
		strcpy(buf, rel);
		for (p = buf; cur >= 0 && p != NULL; p = slash) {
			if ((slash = strchr(p, '/')) != NULL)
				*slash++ = '\0';
			if (strcmp(p, "..") == 0) {
				close(cur);
				errno = EXDEV;
				return -1;
			}
			next = openat(cur, p, slash != NULL ? PATH_FLAGS : flags);
			close(cur);
			cur = next;
		}
		fd = cur;
	}
	return fd;
}

static int
fs_openpath(void *ctx, const char *rel)
{
	return fsview_open_beneath(*(int *)ctx, rel, O_PATH);
}

static void
fs_close(void *ctx, int dir)
{
	(void)ctx;
	close(dir);
}

static int
fs_list(void *ctx, int dir, struct dirlist *out)
{
	int fd, rc, e;

	(void)ctx;
	if (dirlist_read(out, dir, "", NULL) == 0)
		return 0;
	if (errno != EBADF)
		return -1;
	/* An O_PATH handle from openpath: open the directory itself. */
	if ((fd = openat(dir, ".", DIR_FLAGS)) < 0)
		return -1;
	rc = dirlist_read(out, fd, "", NULL);
	e = errno;
	close(fd);
	errno = e;
	return rc < 0 ? -1 : 0;
}

static int
fs_lstat(void *ctx, int dir, const char *name, struct stat *st)
{
	(void)ctx;
	return fstatat(dir, name, st, AT_SYMLINK_NOFOLLOW);
}

static ssize_t
fs_readlink(void *ctx, int dir, const char *name, char *buf, size_t size)
{
	(void)ctx;
	return readlinkat(dir, name, buf, size);
}

/* Docker lists the whole directory; only an unreadable one fails, so one
 * small read tells the same without listing a whole node_modules. */
int
fsview_probe_at(int dir, const char *name)
{
	char probe[1024] __attribute__((aligned(8)));
	int fd = openat(dir, name, DIR_FLAGS), rc = 0, e;

	if (fd < 0)
		return -1;
	if (getdents64(fd, probe, sizeof(probe)) < 0 && errno != EINVAL)
		rc = -1;
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

static int
fs_probe(void *ctx, int dir, const char *name)
{
	(void)ctx;
	return fsview_probe_at(dir, name);
}

/* An owner with a read bit (or root) needs no syscall to know. */
bool
fsview_plainly_readable(const struct stat *st)
{
	static uid_t euid = (uid_t)-1;

	if (euid == (uid_t)-1)
		euid = geteuid();
	return euid == 0 || (st->st_uid == euid && (st->st_mode & S_IRUSR));
}

int
fsview_readable_at(int dir, const char *name)
{
	if (faccessat(dir, name, R_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW) == 0 ||
	    errno != EACCES)
		return 0;
	return -1;
}

static int
fs_readable(void *ctx, int dir, const char *name, const struct stat *st)
{
	(void)ctx;
	return fsview_plainly_readable(st) ? 0 : fsview_readable_at(dir, name);
}

static const struct fsview_ops fs_ops = {
	.root = fs_root,
	.openat = fs_openat,
	.openpath = fs_openpath,
	.close = fs_close,
	.list = fs_list,
	.lstat = fs_lstat,
	.readlink = fs_readlink,
	.probe = fs_probe,
	.readable = fs_readable,
	.node = NULL,
};

void
fsview_fs_init(struct fsview *v, int *rootfd)
{
	v->ops = &fs_ops;
	v->ctx = rootfd;
}
