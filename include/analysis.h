/*
 * The analysis of a computed context, shared by `ctxctl check --no-daemon`
 * and the daemon so the two can never report different findings: the
 * Dockerfile's use of each entry (dfuse.c), the hazards (hazard.c) with
 * in_image, the allow list (`# ctxd:allow RULE PATH` in .dockerignore,
 * .ctxdignore), the dead weight, and the report object that
 * `ctxctl check --format json` prints and the protocol's `check` answers.
 *
 * Ownership: the input is borrowed for the call.  analysis_run() fills a
 * caller-provided struct analysis that analysis_free() releases (a zeroed
 * struct is empty, analysis_free() of it a no-op).  Functions returning
 * json_t * return a new reference (NULL when out of memory).
 */
#ifndef CTXD_ANALYSIS_H
#define CTXD_ANALYSIS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "context.h"
#include "dfuse.h"
#include "entry.h"
#include "error.h"
#include "hazrules.h"
#include "manifest.h"

#define ANALYSIS_DEAD_PATHS_MAX 1000	/* paths listed in dead_weight.paths */

struct secretscan;

/*
 * What analysis_run() keeps between runs over one project (the daemon's,
 * after each change): the Dockerfile's use of the entries depends on the
 * Dockerfile, the options and the entries' names, types and link targets
 * only, not on their content, so after a content-only change the use is
 * copied instead of matching every entry against every source again.
 * Entries are compared by a 64-bit hash of what the use depends on.  A
 * zeroed struct is empty; analysis_cache_free() releases it.
 */
struct analysis_cache {
	char *dockerfile, *name;	/* the text and name analysed */
	size_t len;
	uint64_t key;			/* of the entries and options */
	struct dfuse use;		/* use.use and the whole flags only */
};

void analysis_cache_free(struct analysis_cache *c);

struct analysis_input {
	const struct entry_list *entries;	/* the context: sorted, digested */
	const char *root;		/* absolute, symbolic links resolved */
	int rootfd;			/* open on root, or -1: opened for the call */
	const char *hash;		/* the entries' manifest hash, or NULL:
					 * computed */
	/* -f as given (relative to the cwd, or absolute), or NULL: the
	 * engine's default, <root>/Dockerfile else <root>/dockerfile. */
	const char *dockerfile;
	enum builder builder;
	const char *target;		/* BuildKit --target, or NULL */
	const char *const *build_args;	/* NAME=VALUE, nbuild_args of them */
	size_t nbuild_args;
	uint64_t large_bytes;		/* 0: HAZARD_LARGE_DEFAULT */
	/* The content rules and their digest cache: a file whose digest it
	 * has scanned is not read again.  Required. */
	struct secretscan *scan;
	unsigned threads;		/* reading threads; 0: online CPUs */
	context_warn_fn warn;		/* a check skipped (libgit2); may be NULL */
	void *warn_arg;
	/* Borrowed, or NULL.  With a cache, the result's use has use.use
	 * and the whole flags only (line and named NULL). */
	struct analysis_cache *cache;
};

struct analysis {
	char *root;			/* copy of the input's */
	enum builder builder;
	char hash[MANIFEST_HASH_SIZE];
	size_t entries;
	uint64_t bytes;
	json_t *findings;		/* hazard_run()'s objects, allowed ones removed */
	json_t *allowed;		/* the findings the allow list accepts */
	json_t *dead;			/* {"entries","bytes","paths"} */
	bool analysed;			/* the Dockerfile's use is known */
	struct dfuse use;		/* per entry of the input's list */
	char *dfrel;			/* the Dockerfile relative to the root, or NULL */
};

/*
 * Analyses the context in.  Returns 0, or -1 with err filled (the
 * Dockerfile missing, unreadable or failing the build, an unreadable allow
 * list or a malformed .ctxdignore line, no memory) and *out empty.
 */
int analysis_run(const struct analysis_input *in, struct analysis *out,
    struct ctx_error *err);
void analysis_free(struct analysis *a);

/*
 * The report object of `ctxctl check --format json`: {"root", "builder",
 * "hash", "entries", "bytes", "findings", "dead_weight", "allowed",
 * "fail_on", "dockerfile_analysis"}, in that order (the output's bytes);
 * root escaped as proto.h escapes byte strings.
 */
json_t *analysis_report(const struct analysis *a, enum hazard_severity fail_on);

/*
 * The objects of findings a that are not in b.  Two findings are the same
 * when rule, path, severity and in_image are: a secret that a COPY starts
 * putting into a layer (critical now) is a new finding, one that merely
 * grew is not.  New reference.
 */
json_t *analysis_diff(const json_t *a, const json_t *b);

#endif
