/*
 * Reading a small file (Dockerfile, ignore file) whole, with a size cap so
 * that hostile input cannot exhaust memory.  Ownership: *out is malloc'ed,
 * NUL-terminated (not counted in *len); the caller frees it.
 */
#ifndef CTXD_READFILE_H
#define CTXD_READFILE_H

#include <stddef.h>
#include <sys/types.h>

#define READFILE_MAX (64u * 1024 * 1024)

/* read(2) into p until n bytes or the end of the file (EINTR retried):
 * the bytes read, or -1 with errno set. */
ssize_t readfile_full(int fd, void *p, size_t n);

/* Reads the file open at fd.  Returns 0, or -1 with errno set (EFBIG when
 * over READFILE_MAX). */
int readfile_fd(int fd, char **out, size_t *len);

/* openat(dirfd, path, O_RDONLY) (following symlinks, as docker's os.Open
 * does) then readfile_fd.  -1 with errno set on failure. */
int readfile_at(int dirfd, const char *path, char **out, size_t *len);

#endif
