/*
 * fsutil's filtered walk as BuildKit's client runs it (buildkit-context.md
 * rules 5.1-5.3, 7.1-8.2): include and exclude patterns, pruning, lazy
 * parent directories, sockets as empty files, and the open check.
 */
#ifndef CTXD_BKWALK_H
#define CTXD_BKWALK_H

#include "digest.h"
#include "entry.h"
#include "error.h"
#include "match.h"

struct bkwalk_options {
	struct matcher *include;	/* NULL: the whole context */
	struct matcher *exclude;	/* NULL: no exclude patterns */
	const char *root;		/* absolute, for messages */
	struct digest_pool *pool;	/* gets each entry as it is added; may be NULL */
};

/* Appends the entries sent (unsorted, undigested; files whose content the
 * open check refuses carry ENTRY_EMPTY).  -1 with err when the transfer
 * would fail. */
struct fsview;
int bkwalk(const struct fsview *v, const struct bkwalk_options *opt,
    struct entry_list *out, struct ctx_error *err);

#endif
