/*
 * The watched projects (see registry.h): a small array, searched linearly
 * (a user watches a handful), and the event fan-out to subscribers.
 */
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "conn.h"
#include "log.h"
#include "registry.h"

static struct project **projects;
static void registry_notify(void);
static size_t nprojects, cap;
static sd_event *registry_loop;

/* A project event goes to the clients subscribed to its root. */
static void
registry_on_event(void *arg, struct project *p, json_t *event)
{
	(void)arg;
	conn_broadcast(project_root(p), event);
}

void
registry_init(sd_event *loop)
{
	registry_loop = loop;
}

void
registry_free(void)
{
	size_t i;

	for (i = 0; i < nprojects; i++)
		project_free(projects[i]);
	free(projects);
	projects = NULL;
	nprojects = cap = 0;
}

struct project *
registry_find(const struct project_options *opt)
{
	size_t i;

	for (i = 0; i < nprojects; i++)
		if (project_matches(projects[i], opt))
			return projects[i];
	return NULL;
}

struct project *
registry_watch(const struct project_options *opt, int *created,
    struct ctx_error *err)
{
	struct project *p, **v;
	size_t ncap;

	*created = 0;
	if ((p = registry_find(opt)) != NULL)
		return p;
	if (nprojects >= REGISTRY_MAX) {
		ctx_error_set(err, CTX_ERR_USAGE,
		    "too many projects watched (%d): unwatch some", REGISTRY_MAX);
		return NULL;
	}
	if (nprojects == cap) {
		ncap = cap ? cap * 2 : 8;
		if ((v = realloc(projects, ncap * sizeof(*v))) == NULL) {
			ctx_error_nomem(err);
			return NULL;
		}
		projects = v;
		cap = ncap;
	}
	p = project_new(opt, registry_loop, registry_on_event, NULL, err);
	if (p == NULL)
		return NULL;
	projects[nprojects++] = p;
	*created = 1;
	registry_notify();
	log_info("watching %s (%s)", project_root(p),
	    opt->builder == BUILDER_CLASSIC ? "classic" : "buildkit");
	return p;
}

void
registry_remove(struct project *p)
{
	size_t i;

	for (i = 0; i < nprojects; i++) {
		if (projects[i] != p)
			continue;
		log_info("unwatching %s", project_root(p));
		project_free(p);
		memmove(projects + i, projects + i + 1,
		    (nprojects - i - 1) * sizeof(*projects));
		nprojects--;
		registry_notify();
		return;
	}
}

/* systemd's one-line status (systemctl --user status ctxd). */
static void
registry_notify(void)
{
	sd_notifyf(0, "STATUS=%zu project(s) watched", nprojects);
}

size_t
registry_count(void)
{
	return nprojects;
}

struct project *
registry_at(size_t i)
{
	return i < nprojects ? projects[i] : NULL;
}

void
registry_reload(void)
{
	size_t i;

	log_info("reloading %zu project(s)", nprojects);
	for (i = 0; i < nprojects; i++)
		project_reload(projects[i]);
}
