/*
 * The socket path and its directory (see sockpath.h).  The directory check
 * is what keeps another user from pre-creating /tmp/ctxd-$UID and reading
 * our requests: it must be ours, a real directory, and closed to others.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockpath.h"

int
sockpath_resolve(const char *given, char out[SOCKPATH_MAX],
    struct ctx_error *err)
{
	const char *env;
	int n;

	if (given == NULL && (env = getenv("CTXD_SOCKET")) != NULL && *env != '\0')
		given = env;
	if (given != NULL)
		n = snprintf(out, SOCKPATH_MAX, "%s", given);
	else if ((env = getenv("XDG_RUNTIME_DIR")) != NULL && *env == '/')
		n = snprintf(out, SOCKPATH_MAX, "%s/ctxd/ctxd.sock", env);
	else
		n = snprintf(out, SOCKPATH_MAX, "/tmp/ctxd-%ju/ctxd.sock",
		    (uintmax_t)getuid());
	if (n <= 0)
		return ctx_error_set(err, CTX_ERR_USAGE, "empty socket path");
	if (n >= SOCKPATH_MAX)
		return ctx_error_set(err, CTX_ERR_USAGE,
		    "socket path too long (%d bytes, at most %d): %s", n,
		    SOCKPATH_MAX - 1, out);
	return 0;
}

int
sockpath_prepare_dir(const char *path, struct ctx_error *err)
{
	char dir[SOCKPATH_MAX];
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return ctx_error_sys(err, errno, "cannot create socket directory %s",
		    dir);
	if (lstat(dir, &st) < 0)
		return ctx_error_sys(err, errno, "socket directory %s", dir);
	if (!S_ISDIR(st.st_mode))
		return ctx_error_set(err, CTX_ERR_USAGE,
		    "socket directory %s is not a directory (a symlink?)", dir);
	if (st.st_uid != getuid())
		return ctx_error_set(err, CTX_ERR_USAGE,
		    "socket directory %s is owned by uid %ju, not by us (uid %ju)",
		    dir, (uintmax_t)st.st_uid, (uintmax_t)getuid());
	if ((st.st_mode & 07777) != 0700)
		return ctx_error_set(err, CTX_ERR_USAGE,
		    "socket directory %s has mode %04o, it must be 0700", dir,
		    (unsigned)(st.st_mode & 07777));
	return 0;
}

void
sockpath_lock(const char *path, char out[SOCKPATH_MAX + 8])
{
	snprintf(out, SOCKPATH_MAX + 8, "%s.lock", path);
}
