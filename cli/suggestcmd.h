/*
 * `ctxctl suggest` and `ctxctl fix`: the .dockerignore lines of the
 * engine's suggest_compute() (suggest.h) over what check computes for each
 * builder, proven by recomputing the context with the lines appended
 * (context_options.extra_ignore), then printed as a unified diff against
 * the ignore file (suggest) or written to it (fix).
 */
#ifndef CTXD_SUGGESTCMD_H
#define CTXD_SUGGESTCMD_H

#include <stdbool.h>
#include <stdint.h>

#include "context.h"

#define SUGGEST_EXIT_NONE 0	/* nothing to suggest; fix: done */
#define SUGGEST_EXIT_FOUND 1	/* suggest: a suggestion is printed */
#define SUGGEST_EXIT_ERROR 2	/* the analysis, the proof or the write failed */

struct suggest_options {
	const struct context_options *ctx;	/* borrowed */
	bool both;		/* both builders (no --builder given) */
	bool apply;		/* fix: write the file */
	uint64_t large_bytes;	/* 0: the default */
};

/* Runs suggest or fix; returns the exit status. */
int suggest_run(const struct suggest_options *opt);

#endif
