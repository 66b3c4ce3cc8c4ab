/*
 * The daemon's files under $XDG_STATE_HOME/ctxd/ (the digest cache, the
 * scan cache): where they live, and the directory creation and atomic
 * replacement their loaders and savers share.
 *
 * Ownership: statefile_path() returns a malloc'ed path the caller frees.
 */
#ifndef CTXD_STATEFILE_H
#define CTXD_STATEFILE_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/*
 * $XDG_STATE_HOME/ctxd/NAME when XDG_STATE_HOME is absolute (the XDG spec
 * ignores relative values), else ~/.local/state/ctxd/NAME ($HOME, else the
 * passwd entry).  0 with *out NULL when there is no home at all; -1 when
 * out of memory.
 */
int statefile_path(const char *name, char **out);

/* Creates the missing directories above path, mode 0700 (XDG spec),
 * whatever the umask.  -1 with err naming the directory that failed. */
int statefile_mkdirs(const char *path, struct ctx_error *err);

/* Writes a state file's content to fd (tmp names it for messages). */
typedef int statefile_write_fn(int fd, const char *tmp, void *arg,
    struct ctx_error *err);

/*
 * Replaces the file at path, atomically and durably: a temporary file in
 * the same directory (mode 0600 whatever the umask; the directories made
 * when missing), filled by write, synced, renamed over path, then the
 * directory synced.  A reader sees the old file or the new one, never
 * part of one.  0, or -1 with err (the temporary file removed).
 */
int statefile_replace(const char *path, statefile_write_fn *write, void *arg,
    struct ctx_error *err);

#endif
