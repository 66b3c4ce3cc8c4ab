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
static uint64_t *used_at;		/* CLOCK_MONOTONIC usec, per project */
static void registry_notify(void);
static size_t nprojects, cap;
static sd_event *registry_loop;
static sd_event_source *idle_timer;
static uint64_t idle_usec;		/* 0: never */
static size_t max_projects = REGISTRY_MAX;

static uint64_t
now_usec(void)
{
	uint64_t t = 0;

	(void)sd_event_now(registry_loop, CLOCK_MONOTONIC, &t);
	return t;
}

/* Unwatches projects unused for idle_usec that nobody subscribes to. */
static int
on_idle_timer(sd_event_source *s, uint64_t usec, void *arg)
{
	size_t i;

	(void)arg;
	for (i = nprojects; i-- > 0;) {
		if (usec - used_at[i] < idle_usec ||
		    conn_has_subscriber(project_root(projects[i])))
			continue;
		log_info("%s: unused for %llu s", project_root(projects[i]),
		    (unsigned long long)(idle_usec / 1000000));
		registry_remove(projects[i]);
	}
	/* Checked a few times per timeout: a project goes at most a tenth
	 * of it late. */
	sd_event_source_set_time(s, usec + idle_usec / 10);
	return 0;
}

/* A project event goes to the clients subscribed to its root. */
static void
registry_on_event(void *arg, struct project *p, json_t *event)
{
	(void)arg;
	conn_broadcast(project_root(p), event);
}

void
registry_init(sd_event *loop, uint64_t idle_sec, size_t max)
{
	registry_loop = loop;
	max_projects = max > 0 ? max : 1;
	idle_usec = idle_sec > UINT64_MAX / 1000000 ? UINT64_MAX / 2 :
	    idle_sec * 1000000;
	if (idle_usec == 0 ||
	    sd_event_add_time_relative(loop, &idle_timer, CLOCK_MONOTONIC,
	    idle_usec / 10, 0, on_idle_timer, NULL) < 0)
		return;
	sd_event_source_set_enabled(idle_timer, SD_EVENT_ON);
}

void
registry_free(void)
{
	size_t i;

	idle_timer = sd_event_source_disable_unref(idle_timer);
	for (i = 0; i < nprojects; i++)
		project_free(projects[i]);
	free(projects);
	free(used_at);
	projects = NULL;
	used_at = NULL;
	nprojects = cap = 0;
}

struct project *
registry_find(const struct project_options *opt)
{
	size_t i;

	for (i = 0; i < nprojects; i++) {
		if (project_matches(projects[i], opt)) {
			used_at[i] = now_usec();
			return projects[i];
		}
	}
	return NULL;
}

/* Makes room at max_projects: the least recently used project without a
 * subscriber goes.  -1 when every project has one. */
static int
evict_lru(void)
{
	size_t i, lru = nprojects;

	for (i = 0; i < nprojects; i++)
		if ((lru == nprojects || used_at[i] < used_at[lru]) &&
		    !conn_has_subscriber(project_root(projects[i])))
			lru = i;
	if (lru == nprojects)
		return -1;
	log_info("%s: least recently used of %zu projects", project_root(projects[lru]),
	    max_projects);
	registry_remove(projects[lru]);
	return 0;
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
	if (nprojects >= max_projects && evict_lru() < 0) {
		ctx_error_set(err, CTX_ERR_USAGE, "too many projects watched (%zu, "
		    "each with a subscriber): unwatch some", max_projects);
		return NULL;
	}
	if (nprojects == cap) {
		uint64_t *u;
		ncap = cap ? cap * 2 : 8;
		if ((v = realloc(projects, ncap * sizeof(*v))) == NULL) {
			ctx_error_nomem(err);
			return NULL;
		}
		projects = v;
		if ((u = realloc(used_at, ncap * sizeof(*u))) == NULL) {
			ctx_error_nomem(err);
			return NULL;
		}
		used_at = u;
		cap = ncap;
	}
	p = project_new(opt, registry_loop, registry_on_event, NULL, err);
	if (p == NULL)
		return NULL;
	used_at[nprojects] = now_usec();
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
		memmove(used_at + i, used_at + i + 1,
		    (nprojects - i - 1) * sizeof(*used_at));
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
