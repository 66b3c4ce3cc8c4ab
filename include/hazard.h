/*
 * Hazards in what would be sent: the rule engine of the hazard issue.  It
 * runs the table of hazrules.c over a sorted entry list (the context set
 * only, so nothing that is not sent is ever reported): names, virtualenv
 * markers, sizes, file contents (secretscan.c) and git's ignore rules
 * (gitignored.c), and groups the result one finding per hazardous
 * directory with the entries and bytes sent below it.  With the
 * Dockerfile's use of each entry (dfuse.h) a finding says whether a
 * COPY/ADD bakes it into a layer, and a secret that does is critical.
 * Allow-listing (`# ctxd:allow RULE PATH` in .dockerignore, `RULE PATH`
 * lines in .ctxdignore) is applied by the caller with hazard_allow_*().
 *
 * Ownership: the functions returning json_t * return a new reference
 * (NULL when out of memory).  Options and lists are borrowed for the call.
 */
#ifndef CTXD_HAZARD_H
#define CTXD_HAZARD_H

#include <jansson.h>
#include <stdint.h>

#include "entry.h"
#include "error.h"

#define HAZARD_LARGE_DEFAULT (50ull * 1024 * 1024)	/* `large` above this */

struct secretscan;

struct hazard_options {
	int rootfd;		/* the context root, to read files; -1: no reads
				 * (name and size rules only) */
	const char *root;	/* its absolute path, for the gitignored rule;
				 * NULL: not checked */
	uint64_t large_bytes;	/* 0: HAZARD_LARGE_DEFAULT */
	const uint8_t *use;	/* DFUSE_* bits, one per entry, or NULL: unknown */
	struct secretscan *scan;	/* content rules and their cache; NULL:
				 * no content rules (gated name rules need it) */
	unsigned threads;	/* reading threads; 0: online CPUs */
	/* Told when a check is skipped (a repository libgit2 cannot open);
	 * may be NULL. */
	void (*warn)(void *arg, const char *msg);
	void *warn_arg;
};

/*
 * Findings over l (sorted by path): an array of objects {class, rule,
 * severity, path, entries, bytes, in_image, fix} (content rules add
 * preview, a redacted form of what matched, and line), sorted by path then
 * rule.  path is the context-relative path without a trailing '/',
 * escaped as the manifest escapes paths.  Returns NULL (err filled) on no
 * memory; unreadable files and a broken git repository are skipped
 * (the latter told to opt->warn).
 */
json_t *hazard_run(const struct entry_list *l, const struct hazard_options *opt,
    struct ctx_error *err);

/* hazard_run() with names and sizes only (no reads). */
json_t *hazard_scan(const struct entry_list *l);

/*
 * The content scan in the hashing pass: a reader for context_build()
 * (context_options.scan, see digest.h) that scans each file hazard_run()
 * would read (by what its entry tells: every non-empty file not below a
 * directory hazard), from the bytes the reading thread hashes, with the
 * gates its name asks for, and puts the results into scan's digest cache
 * when the reading threads end (inside context_build()).  hazard_run()
 * with the same scanner then finds every such file in the cache and reads
 * none again; a file the reader was not handed (an alias, a reader out of
 * memory) it still reads itself, so the findings are the same either way.
 * scan is borrowed; NULL when out of memory (or scan is NULL).
 */
struct hazard_prescan;
struct digest_scan;

struct hazard_prescan *hazard_prescan_new(struct secretscan *scan);
const struct digest_scan *hazard_prescan_hook(const struct hazard_prescan *p);
void hazard_prescan_free(struct hazard_prescan *p);

/* The allow list: (rule, path) pairs, fnmatch(3) patterns both. */
struct hazard_allow {
	char **rule, **path;
	size_t n, cap;
};

/*
 * Reads the allow list at the root: `# ctxd:allow RULE PATH` comments of
 * .dockerignore, and `RULE PATH` lines (or the same comments) of
 * .ctxdignore; `#` lines and blank lines are skipped.  Missing files are
 * an empty list.  Returns 0, or -1 (err filled) on an unreadable file or a
 * malformed .ctxdignore line (file and line named).
 */
int hazard_allow_load(int rootfd, struct hazard_allow *a,
    struct ctx_error *err);
void hazard_allow_free(struct hazard_allow *a);

/* Removes the findings a accepts from findings (in place) and returns
 * them as a new array. */
json_t *hazard_allow_apply(const struct hazard_allow *a, json_t *findings);

#endif
