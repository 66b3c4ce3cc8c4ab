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

/* Fills c->entries (unsorted, undigested) for the context open at rootfd,
 * submitting each entry to pool (may be NULL) as the walk adds it. */
int buildkit_build(const struct context_options *opt, struct context *c,
    int rootfd, struct digest_pool *pool, struct ctx_error *err);

#endif
