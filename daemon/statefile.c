/* The state directory's paths and careful I/O (see statefile.h). */
#include <errno.h>
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

ssize_t
statefile_read_full(int fd, void *p, size_t n)
{
	size_t done = 0;
	ssize_t got;

	while (done < n) {
		got = read(fd, (char *)p + done, n - done);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		if (got == 0)
			break;
		done += (size_t)got;
	}
	return (ssize_t)done;
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
