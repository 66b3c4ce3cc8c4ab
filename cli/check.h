/*
 * `ctxctl check`: the pre-build hook.  The report (the context, the
 * Dockerfile's use of it, the hazards and the dead weight: analysis.h)
 * comes from the daemon, or with --no-daemon is computed in this process
 * through the same engine library the daemon links; either way this file
 * prints it as text, one JSON object or SARIF 2.1.0, and turns it into the
 * exit status.
 */
#ifndef CTXD_CHECK_H
#define CTXD_CHECK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "context.h"
#include "dfuse.h"
#include "manifest.h"

enum check_format { CHECK_TEXT, CHECK_JSON, CHECK_SARIF };

#define CHECK_EXIT_CLEAN 0	/* nothing at or above the level */
#define CHECK_EXIT_FOUND 1	/* something is */
#define CHECK_EXIT_ERROR 2	/* the check could not run */

struct check_options {
	const struct context_options *ctx;	/* borrowed */
	enum check_format format;
	int fail_on;			/* enum hazard_severity */
	uint64_t large_bytes;		/* 0: the default */
};

/* What check computes for one builder (also ctxctl suggest's input and
 * proof).  Owned; check_report_free(). */
struct check_report {
	struct context c;
	char hash[MANIFEST_HASH_SIZE];
	uint64_t bytes;
	json_t *findings, *allowed, *dead;	/* findings: allowed ones removed */
	bool analysed;		/* the Dockerfile's use is known */
	struct dfuse use;	/* per entry of c.entries */
	char *dfrel;		/* the Dockerfile relative to the root, or NULL */
	json_t *report;		/* the object --format json prints */
};

/* Computes the report in this process (nothing printed); -1 with err
 * filled (*r empty). */
int check_compute(const struct check_options *opt, struct check_report *r,
    struct ctx_error *err);
void check_report_free(struct check_report *r);

/* --no-daemon: computes the report and prints it on stdout; returns the
 * exit status. */
int check_run(const struct check_options *opt);

/*
 * Prints report (analysis_report()'s object, from this process or from
 * the daemon's `check`, borrowed) in opt's format on stdout; returns the
 * exit status.  A report that lacks a field or has one of the wrong type
 * is an error (status 2), not a crash.
 */
int check_print(const struct check_options *opt, const json_t *report);

#endif
