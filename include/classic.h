/*
 * The classic builder's context walk (docker CLI 28 with DOCKER_BUILDKIT=0):
 * the pre-check (cli/command/image/build ValidateContextDirectory) and the
 * tar walk (go-archive TarWithOptions) in one pass over the tree, producing
 * the entries docker would put in the tar.  Symlinks are never followed.
 */
#ifndef CTXD_CLASSIC_H
#define CTXD_CLASSIC_H

#include "digest.h"
#include "entry.h"
#include "error.h"
#include "match.h"

typedef void (*ctx_warn_fn)(void *arg, const char *msg);

struct classic_walk_options {
	struct matcher *precheck;	/* the patterns as read from .dockerignore */
	struct matcher *tar;		/* the same plus the CLI's !.dockerignore / !Dockerfile */
	const char *root;		/* absolute context path, for messages */
	ctx_warn_fn warn;		/* docker's logged-and-ignored errors; may be NULL */
	void *warn_arg;
	struct digest_pool *pool;	/* gets each entry as it is added; may be NULL */
};

struct fsview;

/* Walks the tree of v and appends what docker would send to out (unsorted,
 * undigested).  Returns -1 with err when docker would refuse. */
int classic_walk(const struct fsview *v, const struct classic_walk_options *opt,
    struct entry_list *out, struct ctx_error *err);

#endif
