/*
 * `ctxctl check`: the pre-build hook.  Computes the context, the
 * Dockerfile's use of it and the hazards in it, and prints them as text,
 * one JSON object or SARIF 2.1.0.  Computed in this process in both modes
 * (with or without --no-daemon) for now, through the same engine library
 * the daemon links.
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
};

/* Computes the report (nothing printed); -1 with err filled (*r empty). */
int check_compute(const struct check_options *opt, struct check_report *r,
    struct ctx_error *err);
void check_report_free(struct check_report *r);

/* Runs the check and prints its report on stdout; returns the exit status. */
int check_run(const struct check_options *opt);

#endif
