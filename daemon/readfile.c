/* Whole-file reads for the small inputs docker reads itself (see readfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "readfile.h"

ssize_t
readfile_full(int fd, void *p, size_t n)
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
readfile_fd(int fd, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1), *nb;
	ssize_t got;

	if (buf == NULL)
		return -1;
	for (;;) {
		if (n == cap) {
			if (cap >= READFILE_MAX) {
				free(buf);
				errno = EFBIG;
				return -1;
			}
			cap *= 2;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				return -1;
			}
			buf = nb;
		}
		if ((got = readfile_full(fd, buf + n, cap - n)) < 0) {
			int saved = errno;
			free(buf);
			errno = saved;
			return -1;
		}
		n += (size_t)got;
		if (n < cap)
			break;		/* the end of the file */
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int
readfile_at(int dirfd, const char *path, char **out, size_t *len)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int rc, saved;

	if (fd < 0)
		return -1;
	rc = readfile_fd(fd, out, len);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}
