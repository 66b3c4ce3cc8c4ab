/*
 * The BuildKit context (buildkit-context.md, bk-v1): which ignore file,
 * which paths the Dockerfile's target stages read (buildplan.c), and the
 * client-side walk with include and exclude patterns (fsutil's FilterFS).
 */
#ifndef CTXD_BUILDKIT_H
#define CTXD_BUILDKIT_H

#include "context.h"
#include "digest.h"
#include "error.h"

struct fsview;

/* Fills c->entries (unsorted, undigested) for the context at c->root, whose
 * tree view walks, submitting each entry to pool (may be NULL) as the walk
 * adds it. */
int buildkit_build(const struct context_options *opt, struct context *c,
    const struct fsview *view, struct digest_pool *pool,
    struct ctx_error *err);

#endif
