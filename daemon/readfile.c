/* Whole-file reads for the small inputs docker reads itself (see readfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "readfile.h"

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
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int saved = errno;
			free(buf);
			errno = saved;
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
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
