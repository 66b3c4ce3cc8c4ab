/*
 * The daemon's watched projects, keyed by their options (project_matches),
 * and the bridge from their events to the subscribed clients.
 *
 * Projects nobody asks about go away: one not used (asked about by a
 * client) for the idle timeout, with no subscriber, is unwatched (ctxctl
 * registers it again on its next use); and at the most (ctxd
 * --max-projects, REGISTRY_MAX by default) a new project
 * takes the place of the least recently used one without a subscriber.
 *
 * Ownership: the registry owns its projects; pointers it returns stay valid
 * until registry_remove() or registry_free(), or the next return to the
 * event loop (eviction).
 */
#ifndef CTXD_REGISTRY_H
#define CTXD_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "project.h"

/* Bounds the daemon's work for one user: beyond it a new watch evicts the
 * least recently used project, or is refused when every one has a
 * subscriber. */
#define REGISTRY_MAX 4096
/* Unused projects are unwatched after this long (ctxd --idle-timeout). */
#define REGISTRY_IDLE_DEFAULT_SEC (24 * 3600)

/* idle_sec: the idle timeout, 0 for none; max: the most projects watched
 * at once (at least 1). */
void registry_init(sd_event *loop, uint64_t idle_sec, size_t max);
void registry_free(void);

/* The project for opt, or NULL; marks it used. */
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
