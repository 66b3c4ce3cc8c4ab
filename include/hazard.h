/*
 * Hazards in what would be sent: for now the daemon's built-in checks
 * (issue 3) for .git, Python virtualenvs, __pycache__ and .env-like files,
 * grouped one finding per hazardous directory.  The full rule engine of
 * the hazard issue grows here.
 *
 * Ownership: hazard_scan() returns a new JSON array reference.
 */
#ifndef CTXD_HAZARD_H
#define CTXD_HAZARD_H

#include <jansson.h>

#include "entry.h"

/*
 * Findings over a sorted entry list: an array of objects
 * {class, rule, severity, path, entries, bytes, in_image, fix}, sorted by
 * path then rule.  path is the context-relative path without a trailing
 * '/', escaped as the manifest escapes paths.
 */
json_t *hazard_scan(const struct entry_list *l);

/* Objects of a that are not in b (compared by rule and path), new ref. */
json_t *hazard_diff(const json_t *a, const json_t *b);

#endif
