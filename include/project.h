/*
 * One watched project: a context directory with its Dockerfile, builder and
 * target, kept up to date by the daemon.  The project owns its watches, its
 * in-memory view of the tree and its current context (entries, manifest,
 * hash), and tells its observer when the context changes.
 *
 * Ownership: project_new() returns a project the caller frees with
 * project_free().  Strings returned by project_* getters are owned by the
 * project and stay valid until the next return to the event loop.
 */
#ifndef CTXD_PROJECT_H
#define CTXD_PROJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <systemd/sd-event.h>

#include "context.h"
#include "error.h"
#include "hazrules.h"
#include "manifest.h"

struct project;

struct project_options {
	const char *root;		/* context directory, absolute */
	const char *dockerfile;		/* -f, absolute, or NULL */
	enum builder builder;
	const char *target;		/* or NULL */
	const char *const *build_args;	/* NAME=VALUE */
	size_t nbuild_args;
};

enum project_state {
	PROJECT_SCANNING,	/* the first context is being computed */
	PROJECT_READY,		/* entries/hash are current */
	PROJECT_ERROR,		/* docker would refuse the context: see error */
	PROJECT_GONE,		/* the root was deleted or moved away: stopped */
};

/*
 * Called with each event the project raises (a JSON object holding at
 * least "event": "context" | "hazard" | "resync" | "error").  The observer
 * borrows the object for the duration of the call.
 */
typedef void project_event_fn(void *arg, struct project *p, json_t *event);

struct project *project_new(const struct project_options *opt, sd_event *loop,
    project_event_fn *on_event, void *arg, struct ctx_error *err);
void project_free(struct project *p);

/* True when p was made from options equal to opt (same key). */
bool project_matches(const struct project *p, const struct project_options *opt);

enum project_state project_state(const struct project *p);
const char *project_root(const struct project *p);

/*
 * The status object of `ctxctl status --json`: root, dockerfile, builder,
 * target, state, entries, bytes, hash, findings, watches, last_change,
 * error (when state is error) and warnings.  New reference.
 */
json_t *project_status(struct project *p);

/* The listing or the manifest text, exactly as ctxctl --no-daemon prints
 * them.  -1 with err when the context is not ready (state, error). */
int project_listing(struct project *p, struct manifest_buf *out,
    struct ctx_error *err);
int project_manifest(struct project *p, struct manifest_buf *out,
    struct ctx_error *err);
/* "sha256:<hex>", or -1 with err. */
int project_hash(struct project *p, char out[MANIFEST_HASH_SIZE],
    struct ctx_error *err);

/* Re-reads everything (SIGHUP). */
void project_reload(struct project *p);

/*
 * The report of `ctxctl check --format json` (analysis.h) for the current
 * context, naming fail_on.  With large_bytes 0 or HAZARD_LARGE_DEFAULT it
 * is the one the project keeps (recomputed after each change: its
 * findings are those of project_status() and of the hazard events);
 * another threshold is analysed for the call.  *warnings (new reference)
 * gets what the context and the analysis told, escaped, in the order
 * ctxctl --no-daemon prints them.  New reference, or NULL with err (the
 * context not ready or refused, the analysis failed).
 */
json_t *project_report(struct project *p, uint64_t large_bytes,
    enum hazard_severity fail_on, json_t **warnings, struct ctx_error *err);

#endif
