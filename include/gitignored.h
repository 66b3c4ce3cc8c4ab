/*
 * Which context entries git ignores (libgit2): local secrets and build
 * output that `git status` hides but docker sends.  A file git tracks is
 * never "ignored", whatever the patterns say, as for git itself.
 *
 * Ownership: gitignored_open() returns a handle freed by gitignored_free();
 * it borrows nothing.  libgit2 is initialised once per process.
 */
#ifndef CTXD_GITIGNORED_H
#define CTXD_GITIGNORED_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct gitignored;

/*
 * Opens the repository whose work tree holds root (an absolute path,
 * symlinks resolved).  *out is NULL, with 0 returned, when root is in no
 * work tree (no repository, a bare one, or root inside .git): there is
 * nothing to check.  -1 (err filled) only on a broken repository or no
 * memory.
 */
int gitignored_open(const char *root, struct gitignored **out,
    struct ctx_error *err);
void gitignored_free(struct gitignored *g);

/*
 * Whether git ignores path (relative to root, no trailing '/'); dir says
 * it is a directory.  An ignored directory holding tracked files is not
 * ignored as a whole (its files are asked one by one).
 */
bool gitignored_path(struct gitignored *g, const char *path, size_t len,
    bool dir);

#endif
