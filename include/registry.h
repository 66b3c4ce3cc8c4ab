/*
 * The daemon's watched projects, keyed by their options (project_matches),
 * and the bridge from their events to the subscribed clients.
 *
 * Ownership: the registry owns its projects; pointers it returns stay valid
 * until registry_remove() or registry_free().
 */
#ifndef CTXD_REGISTRY_H
#define CTXD_REGISTRY_H

#include <stddef.h>

#include <systemd/sd-event.h>

#include "project.h"

/* Bounds the daemon's work for one user; a watch beyond it is refused. */
#define REGISTRY_MAX 4096

void registry_init(sd_event *loop);
void registry_free(void);

struct project *registry_find(const struct project_options *opt);
/* The project for opt, made if none matches (*created says which).  NULL
 * with err when it cannot be made. */
struct project *registry_watch(const struct project_options *opt,
    int *created, struct ctx_error *err);
void registry_remove(struct project *p);

size_t registry_count(void);
struct project *registry_at(size_t i);

/* SIGHUP: project_reload() on every project. */
void registry_reload(void);

#endif
