/*
 * BuildKit's FollowPaths through symlinks (buildkit-context.md rule 6.1,
 * fsutil FollowLinks): the include patterns of the context transfer.
 */
#ifndef CTXD_FOLLOWLINKS_H
#define CTXD_FOLLOWLINKS_H

#include <stddef.h>

#include "error.h"
#include "ignorefile.h"

/*
 * Resolves paths (relative to the root open at rootfd) through symlinks and
 * wildcard elements, never leaving the root, and appends the sorted,
 * de-duplicated result to out.  An empty result means "no include
 * patterns" (the whole context), e.g. when a link points at the root.
 */
struct fsview;
int followlinks(const struct fsview *v, const char *const *paths, size_t n,
    struct ignore_list *out, struct ctx_error *err);

#endif
