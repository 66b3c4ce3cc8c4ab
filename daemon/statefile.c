/* The state directory's paths, directories and atomic file replacement
 * (see statefile.h). */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "statefile.h"

int
statefile_path(const char *name, char **out)
{
	const char *base;
	struct passwd pw, *pwp = NULL;
	char *buf = NULL;
	int rc;

	*out = NULL;
	base = getenv("XDG_STATE_HOME");
	if (base != NULL && base[0] == '/')
		return asprintf(out, "%s/ctxd/%s", base, name) < 0 ? -1 : 0;
	base = getenv("HOME");
	if (base == NULL || base[0] != '/') {
		/* getpwuid_r: the daemon's digest threads may be running. */
		if ((buf = malloc(16384)) == NULL)
			return -1;
		if (getpwuid_r(getuid(), &pw, buf, 16384, &pwp) != 0 ||
		    pwp == NULL || pw.pw_dir == NULL || pw.pw_dir[0] != '/') {
			free(buf);
			return 0;
		}
		base = pw.pw_dir;
	}
	rc = asprintf(out, "%s/.local/state/ctxd/%s", base, name) < 0 ? -1 : 0;
	free(buf);
	return rc;
}

int
statefile_mkdirs(const char *path, struct ctx_error *err)
{
	char *dir, *p;
	int rc = 0;

	if ((dir = strdup(path)) == NULL)
		return ctx_error_nomem(err);
	for (p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		/* chmod: a umask such as 0277 must not leave it unwritable. */
		if (mkdir(dir, 0700) == 0)
			chmod(dir, 0700);
		else if (errno != EEXIST) {
			rc = ctx_error_sys(err, errno, "%s", dir);
			break;
		}
		*p = '/';
	}
	free(dir);
	return rc;
}

/* The directory of path synced, so that a rename in it is durable. */
static int
sync_dir(const char *path, struct ctx_error *err)
{
	char *dir = strdup(path), *slash;
	int dfd, rc = -1;

	if (dir == NULL)
		return ctx_error_nomem(err);
	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		ctx_error_sys(err, errno, "%s", dir);
	/* EINVAL: a file system that cannot sync directories. */
	else if (fsync(dfd) == -1 && errno != EINVAL)
		ctx_error_sys(err, errno, "fsync %s", dir);
	else
		rc = 0;
	if (dfd != -1)
		close(dfd);
	free(dir);
	return rc;
}

/* The new content in tmp, synced; fd closed whatever happens. */
static int
fill_tmp(int fd, const char *tmp, statefile_write_fn *write, void *arg,
    struct ctx_error *err)
{
	int rc = -1;

	/* mkostemp's 0600 is subject to the umask; make it exact. */
	if (fchmod(fd, 0600) == -1)
		ctx_error_sys(err, errno, "%s", tmp);
	else if (write(fd, tmp, arg, err) == -1)
		;	/* err filled */
	else if (fsync(fd) == -1)
		ctx_error_sys(err, errno, "fsync %s", tmp);
	else
		rc = 0;
	if (close(fd) == -1 && rc == 0)
		rc = ctx_error_sys(err, errno, "close %s", tmp);
	return rc;
}

int
statefile_replace(const char *path, statefile_write_fn *write, void *arg,
    struct ctx_error *err)
{
	char *tmp;
	int fd, rc = -1;

	/* The temporary file in the same directory, so rename(2) is atomic. */
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return ctx_error_nomem(err);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1 && errno == ENOENT) {
		if (statefile_mkdirs(path, err) == -1)
			goto out;
		/* A failed mkostemp(3) may have filled in the X's. */
		memcpy(tmp + strlen(tmp) - 6, "XXXXXX", 6);
		fd = mkostemp(tmp, O_CLOEXEC);
	}
	if (fd == -1) {
		ctx_error_sys(err, errno, "%s", tmp);
		goto out;
	}
	if (fill_tmp(fd, tmp, write, arg, err) == -1 ||
	    (rename(tmp, path) == -1 &&
	    ctx_error_sys(err, errno, "rename %s", path) == -1)) {
		unlink(tmp);
		goto out;
	}
	rc = sync_dir(path, err);
out:
	free(tmp);
	return rc;
}
