/*
 * One watched project (see project.h): the tree (tree.c) follows the file
 * system through inotify; after each batch of events the context is
 * brought up to date the cheapest way the changes allow: a content-only
 * change re-hashes just the changed files and the manifest, anything else
 * re-runs the context walk over the in-memory tree (no file system reads
 * except directories newly entered); digests come from the tree, else the
 * persistent hash cache, else the file.  The data flow, in order:
 * inotify -> watch -> tree -> (settle) -> match -> context -> digest ->
 * manifest -> hazard -> notify.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analysis.h"
#include "ctxstore.h"
#include "digest.h"
#include "fsview.h"
#include "hazard.h"
#include "log.h"
#include "project.h"
#include "proto.h"
#include "secretscan.h"
#include "statecache.h"
#include "tree.h"
#include "watch.h"
#include "worker.h"

/* Bursts (a git checkout) settle into one walk: wait this long after the
 * last event, but never longer than SETTLE_MAX after the first. */
#define SETTLE_USEC (5 * 1000)
#define SETTLE_MAX_USEC (200 * 1000)
#define POLL_USEC (2 * 1000 * 1000)
/* The analysis waits for this much quiet after a change (at most
 * ANALYSE_MAX_USEC after the first): a burst of writes is analysed once,
 * and a write is never queued behind the analysis of the one before. */
#define ANALYSE_QUIET_USEC (50 * 1000)
#define ANALYSE_MAX_USEC (500 * 1000)

struct project {
	char *root, *dockerfile, *target;
	enum builder builder;
	char **build_args;
	size_t nbuild_args;
	/* paths below root whose edits re-read everything (.ctxdignore joins
	 * them: project_allow_watch()) */
	char *config[5];
	size_t nconfig;
	char *linked[8];	/* where those that are symlinks lead, below root */
	size_t nlinked;

	project_event_fn *on_event;
	void *arg;
	sd_event *loop;
	sd_event_source *io, *settle, *idle, *poll, *first, *analyse;
	bool analysis_pending;	/* the report is older than the context */
	uint64_t analysis_since;	/* when it became so (CLOCK_MONOTONIC) */
	uint64_t first_pending;

	int rootfd;
	struct watch *watch;
	struct tree tree;
	int outside_wd;		/* the Dockerfile's directory when outside root */

	enum project_state state;
	struct context ctx;
	char hash[MANIFEST_HASH_SIZE];
	uint64_t bytes;
	struct ctx_error error;
	json_t *warnings;
	json_t *findings;
	json_t *report;		/* check's report (fail_on high), or NULL */
	json_t *report_warnings;	/* what its analysis told, escaped */
	struct ctx_error report_error;	/* why report is NULL when ready */
	struct analysis_cache analysis_cache;	/* the Dockerfile's last use */
	struct timespec last_change;
	bool full_pending, content_pending;
	bool cache_counted;	/* statecache_join() done */
	/* The context: store holds the entries (references into the tree);
	 * ctx.entries is filled from it only while finish() runs (for the
	 * hash and the analysis), else empty: ctx keeps root and ignore_file. */
	struct ctxstore store;
	/* Midstates of the manifest hash every HASH_MARK_EVERY entries, so a
	 * content change re-hashes from the mark before it, not from the
	 * start.  Dropped when the store changes as a whole. */
	struct hash_mark {
		size_t idx;
		uint64_t bytes;		/* of the entries before idx */
		struct manifest_hasher *h;
	} *marks;
	size_t nmarks, capmarks;
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static const char *
builder_name(enum builder b)
{
	return b == BUILDER_CLASSIC ? "classic" : "buildkit";
}

static void
project_emit(struct project *p, json_t *ev)
{
	if (ev != NULL && p->on_event != NULL)
		p->on_event(p->arg, p, ev);
	json_decref(ev);
}

static json_t *
event_base(struct project *p, const char *name)
{
	return json_pack("{s:s,s:o,s:s}", "event", name, "root",
	    proto_str_json(p->root), "builder", builder_name(p->builder));
}

static void
emit_context(struct project *p)
{
	json_t *ev = event_base(p, p->state == PROJECT_READY ? "context" : "error");

	if (ev == NULL)
		return;
	if (p->state == PROJECT_READY) {
		json_object_set_new(ev, "state", json_string("ready"));
		json_object_set_new(ev, "hash", json_string(p->hash));
		json_object_set_new(ev, "entries", json_integer((json_int_t)p->store.n));
		json_object_set_new(ev, "bytes", json_integer((json_int_t)p->bytes));
	} else {
		json_object_set_new(ev, "error", json_pack("{s:s,s:o}", "code",
		    p->state == PROJECT_GONE ? PROTO_E_NO_SUCH_PROJECT :
		    PROTO_E_CONTEXT_REFUSED, "message", proto_str_json(p->error.msg)));
	}
	project_emit(p, ev);
}

static void
project_warn(void *arg, const char *msg)
{
	struct project *p = arg;

	json_array_append_new(p->warnings, proto_str_json(msg));
}

/* ---- digests ---- */

/* tree_reset(), its digests kept in the cache for the walk that follows
 * (which unloads it). */
static void
forget_tree(struct project *p)
{
	statecache_put_tree(&p->tree);
	tree_reset(&p->tree);
}

static struct tree_node *
entry_node(struct project *p, struct entry *e)
{
	struct tree_node *n = tree_node(&p->tree, e->node);

	if (n == NULL) {
		e->node = tree_lookup(&p->tree, e->path);
		n = tree_node(&p->tree, e->node);
	}
	return n;
}

/*
 * The digest the tree or the digest cache has for a file the walk has just
 * found (digest_options.known): the walk's reading threads then read only
 * what neither knows, while the walk goes on.
 */
static bool
known_digest(struct project *p, struct entry *e, bool use_cache)
{
	struct tree_node *n = entry_node(p, e);

	if (n == NULL || !S_ISREG(n->mode) || e->size != n->size)
		return false;
	if (!n->digest_ok && use_cache)
		n->digest_ok = statecache_get(&p->tree, n);
	if (!n->digest_ok)
		return false;
	memcpy(e->digest, n->digest, sizeof(e->digest));
	e->flags |= ENTRY_DIGESTED;
	return true;
}

static bool
project_known(void *arg, struct entry *e)
{
	return known_digest(arg, e, true);
}

/* Fills what the tree or (use_cache) the cache already knows; the rest is
 * read. */
static int
fill_digests(struct project *p, struct entry_list *l, bool use_cache,
    struct ctx_error *err)
{
	struct digest_options dopt;
	struct tree_node *n;
	struct timespec now;
	int64_t now_ns;
	size_t i;
	int rc;

	clock_gettime(CLOCK_REALTIME, &now);
	now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;

	for (i = 0; i < l->n; i++) {
		struct entry *e = &l->v[i];
		if (e->type == ENTRY_FILE && !(e->flags & (ENTRY_INLINE |
		    ENTRY_EMPTY | ENTRY_DIGESTED)))
			(void)known_digest(p, e, use_cache);
	}
	memset(&dopt, 0, sizeof(dopt));
	dopt.unreadable_empty = p->builder == BUILDER_BUILDKIT;
	rc = digest_entries(l, p->rootfd, &dopt, err);
	for (i = 0; i < l->n; i++) {
		struct entry *e = &l->v[i];
		if (e->type != ENTRY_FILE || !(e->flags & ENTRY_DIGESTED) ||
		    (e->flags & (ENTRY_INLINE | ENTRY_EMPTY)) ||
		    (n = entry_node(p, e)) == NULL || n->digest_ok ||
		    e->size != n->size)
			continue;
		memcpy(n->digest, e->digest, sizeof(n->digest));
		n->digest_ok = 1;
		/* Racy timestamps: a file stamped within a clock tick of now
		 * may change again without its stamp changing; only the
		 * in-memory tree (which also gets the IN_MODIFY) trusts it. */
		statecache_put(&p->tree, n, now_ns);
	}
	return rc;
}

/* ---- recomputing ---- */

/* CLOCK_MONOTONIC in microseconds, for the debug log's timings. */
static uint64_t
usec_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void project_analyse(struct project *p);

#define HASH_MARK_EVERY 512

struct hash_walk {
	struct project *p;
	struct manifest_hasher *h;
	size_t idx;
	uint64_t bytes;
};

static void
marks_drop(struct project *p, size_t keep)
{
	while (p->nmarks > keep)
		manifest_hasher_free(p->marks[--p->nmarks].h);
}

/* A mark at w->idx (best effort: without one, a later change re-hashes
 * from further back). */
static void
mark_here(struct hash_walk *w)
{
	struct project *p = w->p;
	struct hash_mark *v;
	struct ctx_error err;

	if (p->nmarks == p->capmarks) {
		size_t cap = p->capmarks ? p->capmarks * 2 : 32;
		if ((v = realloc(p->marks, cap * sizeof(*v))) == NULL)
			return;
		p->marks = v;
		p->capmarks = cap;
	}
	if ((p->marks[p->nmarks].h = manifest_hasher_dup(w->h, &err)) == NULL)
		return;
	p->marks[p->nmarks].idx = w->idx;
	p->marks[p->nmarks].bytes = w->bytes;
	p->nmarks++;
}

static int
hash_one(void *arg, const struct entry *e)
{
	struct hash_walk *w = arg;

	if (w->idx % HASH_MARK_EVERY == 0 && w->idx > 0 &&
	    (w->p->nmarks == 0 || w->p->marks[w->p->nmarks - 1].idx < w->idx))
		mark_here(w);
	w->bytes += e->size;
	w->idx++;
	return manifest_hasher_add(w->h, e, &w->p->error);
}

/*
 * The context's hash (and bytes), from the store an entry at a time (no
 * list of 14k entries is made for it), resumed from the last midstate at
 * or before entry from: what comes before from is unchanged.
 */
static int
hash_store(struct project *p, size_t from)
{
	struct hash_walk w = { p, NULL, 0, 0 };
	size_t k = p->nmarks;
	int rc = -1;

	while (k > 0 && p->marks[k - 1].idx > from)
		k--;
	marks_drop(p, k);
	if (k > 0) {
		w.h = manifest_hasher_dup(p->marks[k - 1].h, &p->error);
		w.idx = p->marks[k - 1].idx;
		w.bytes = p->marks[k - 1].bytes;
	} else {
		w.h = manifest_hasher_new(&p->error);
	}
	if (w.h == NULL)
		return -1;
	if (ctxstore_each_from(&p->store, &p->tree, w.idx, hash_one, &w) == 0 &&
	    manifest_hasher_end(w.h, p->hash, &p->error) == 0) {
		p->bytes = w.bytes;
		rc = 0;
	} else if (p->error.msg[0] == '\0') {
		ctx_error_nomem(&p->error);
	}
	manifest_hasher_free(w.h);
	return rc;
}

static void schedule_analysis(struct project *p);

/* from: the first entry that may differ since the last hash (0: all). */
static void
finish(struct project *p, bool ok, bool always, size_t from)
{
	char old_hash[MANIFEST_HASH_SIZE];
	enum project_state old_state = p->state;
	uint64_t t0 = usec_now();

	memcpy(old_hash, p->hash, sizeof(old_hash));
	p->state = PROJECT_ERROR;
	if (ok && hash_store(p, from) == 0)
		p->state = PROJECT_READY;
	log_debug("%s: manifest hashed from entry %zu of %zu in %.2f ms",
	    p->root, from, p->store.n, (double)(usec_now() - t0) / 1000);
	if (always || old_state != p->state ||
	    memcmp(old_hash, p->hash, sizeof(old_hash)) != 0) {
		clock_gettime(CLOCK_REALTIME, &p->last_change);
		emit_context(p);
	}
	/* The analysis (a pass over every entry, the Dockerfile, git) comes
	 * once things are quiet: a client asking for the hash does not wait
	 * for the findings.  `check` waits for them. */
	schedule_analysis(p);
}

static void
schedule_analysis(struct project *p)
{
	/* Not sd_event_now(): that is when the loop woke, before the walk
	 * that got us here, and a walk longer than the quiet period would
	 * run the analysis at once, ahead of the clients waiting for the
	 * hash. */
	uint64_t now = usec_now(), when;

	if (!p->analysis_pending)
		p->analysis_since = now;
	p->analysis_pending = true;
	when = now + ANALYSE_QUIET_USEC;
	if (when > p->analysis_since + ANALYSE_MAX_USEC)
		when = p->analysis_since + ANALYSE_MAX_USEC;
	sd_event_source_set_time(p->analyse, when);
	sd_event_source_set_enabled(p->analyse, SD_EVENT_ONESHOT);
}

/* The pending analysis, now. */
static void
analyse_now(struct project *p)
{
	struct ctxstore_list list;

	if (!p->analysis_pending)
		return;
	p->analysis_pending = false;
	sd_event_source_set_enabled(p->analyse, SD_EVENT_OFF);
	memset(&list, 0, sizeof(list));
	if (p->state == PROJECT_READY &&
	    ctxstore_list(&p->store, &p->tree, NULL, 0, &list, &p->report_error) == 0)
		p->ctx.entries = list.l;
	project_analyse(p);
	entry_list_init(&p->ctx.entries);	/* the list's, not ctx's */
	ctxstore_list_free(&list);
	/* What the walk, the lists and the analysis used goes back to the
	 * system: the daemon's resident size is its steady state. */
	malloc_trim(0);
}

static int
on_analyse(sd_event_source *s, uint64_t usec, void *arg)
{
	(void)s;
	(void)usec;
	analyse_now(arg);
	return 0;
}

/* Enters directory dir (and each ancestor) of the tree; a missing one
 * fails with its parent entered, so its creation is seen. */
static void
enter_dir_of(const struct fsview *view, const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;
	int h;

	if (slash == NULL || (n = (size_t)(slash - path)) >= sizeof(dir))
		return;
	memcpy(dir, path, n);
	dir[n] = '\0';
	if ((h = view->ops->openpath(view->ctx, dir)) >= 0)
		view->ops->close(view->ctx, h);
}

/*
 * The Dockerfile and the ignore files are read from the file system, not
 * through the view, so the walk alone does not keep their directories
 * watched: BuildKit with no COPY never enters the root, and -f
 * docker/Dockerfile with docker excluded never enters docker.  Enter them,
 * and when one is a symlink (Dockerfile -> docker/app.Dockerfile), the
 * directory of its target too, and remember the target: its edits change
 * the rules as much as the link's would.
 */
static void
enter_link_target(struct project *p, const struct fsview *view,
    const char *path, const char *rel)
{
	size_t n = strlen(p->root);
	char *real = realpath(path, NULL);

	if (real == NULL)
		return;
	if (strncmp(real, p->root, n) == 0 && real[n] == '/' &&
	    (rel == NULL || strcmp(real + n + 1, rel) != 0) &&
	    p->nlinked < sizeof(p->linked) / sizeof(p->linked[0])) {
		enter_dir_of(view, real + n + 1);
		if ((p->linked[p->nlinked] = strdup(real + n + 1)) != NULL)
			p->nlinked++;
	}
	free(real);
}

static void
enter_config_dirs(struct project *p, const struct fsview *view)
{
	char path[PATH_MAX * 2];
	size_t i;
	int h;

	if ((h = view->ops->openpath(view->ctx, ".")) >= 0)
		view->ops->close(view->ctx, h);
	for (i = 0; i < p->nlinked; i++)
		free(p->linked[i]);
	p->nlinked = 0;
	for (i = 0; i < p->nconfig; i++) {
		enter_dir_of(view, p->config[i]);
		snprintf(path, sizeof(path), "%s/%s", p->root, p->config[i]);
		enter_link_target(p, view, path, p->config[i]);
	}
	/* A Dockerfile outside the root may still lead into it. */
	if (p->outside_wd >= 0) {
		enter_link_target(p, view, p->dockerfile, NULL);
		snprintf(path, sizeof(path), "%s.dockerignore", p->dockerfile);
		enter_link_target(p, view, path, NULL);
	}
}

/* context_build() on a thread of its own (see worker_call()): the walk
 * allocates and frees a small block or more per name. */
struct build_call {
	const struct context_options *opt;
	struct context *c;
	struct ctx_error *err;
	int rc;
};

static void *
build_thread(void *arg)
{
	struct build_call *b = arg;

	b->rc = context_build(b->opt, b->c, b->err);
	return NULL;
}

/* The whole context, walked over the tree. */
static void
recompute_full(struct project *p, bool always)
{
	struct context_options opt;
	struct fsview view;
	struct context c;
	uint64_t t0 = usec_now(), t1, t2;
	bool ok;

	json_array_clear(p->warnings);
	memset(&opt, 0, sizeof(opt));
	opt.dir = p->root;
	opt.dockerfile = p->dockerfile;
	opt.builder = p->builder;
	opt.target = p->target;
	opt.build_args = (const char *const *)p->build_args;
	opt.nbuild_args = p->nbuild_args;
	opt.warn = project_warn;
	opt.warn_arg = p;
	tree_view(&p->tree, &view);
	opt.view = &view;
	opt.known = project_known;
	opt.known_arg = p;
	memset(&p->error, 0, sizeof(p->error));
	tree_walk_begin(&p->tree);
	/* Watch the rules' directories before the rules are read: an edit
	 * between the read and the watch would be lost. */
	enter_config_dirs(p, &view);
	{
		struct build_call b = { &opt, &c, &p->error, -1 };

		worker_call(build_thread, &b);
		ok = b.rc == 0;
	}
	tree_walk_end(&p->tree);
	t1 = usec_now();
	ok = ok && fill_digests(p, &c.entries, true, &p->error) == 0;
	statecache_done();	/* saved if the walk read anything new */
	t2 = usec_now();
	log_debug("%s: walked in %.1f ms (%zu entries, %d watches), digests in %.1f ms",
	    p->root, (double)(t1 - t0) / 1000, ok ? c.entries.n : 0,
	    p->tree.nwatches, (double)(t2 - t1) / 1000);
	if (!ok) {
		context_free(&c);
		ok = false;
	}
	if (ok && ctxstore_set(&p->store, &p->tree, &c.entries, &p->error) < 0) {
		context_free(&c);
		ok = false;
	}
	context_free(&p->ctx);
	if (ok) {
		entry_list_free(&c.entries);
		p->ctx = c;
	} else {
		ctxstore_free(&p->store);
	}
	finish(p, ok, always, 0);
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

/*
 * Only file contents changed: re-hash those files, then the manifest.  The
 * digests are filled on a list of just the changed entries, so a one-file
 * change reads and walks one entry, not all of them (which cost ~15% of a
 * recompute on a 14k-entry context).
 */
static void
recompute_content(struct project *p)
{
	struct tree *t = &p->tree;
	struct ctxstore_list sub;
	size_t i, j, from, nat = 0, *at = malloc((t->nchanged + 1) * sizeof(*at));
	int rc = 0;

	if (at == NULL) {
		recompute_full(p, false);
		return;
	}
	for (i = 0; i < t->nchanged; i++) {
		long idx = ctxstore_find(&p->store, t, t->changed[i]);
		if (idx >= 0)
			at[nat++] = (size_t)idx;
	}
	/* A file changed twice in the batch (IN_MODIFY, then
	 * IN_CLOSE_WRITE) is listed twice: once is enough. */
	qsort(at, nat, sizeof(*at), cmp_size);
	for (i = j = 0; i < nat; i++)
		if (j == 0 || at[j - 1] != at[i])
			at[j++] = at[i];
	nat = j;
	if (nat == 0) {
		free(at);
		return;
	}
	memset(&p->error, 0, sizeof(p->error));
	if (ctxstore_list(&p->store, t, at, nat, &sub, &p->error) < 0) {
		free(at);
		finish(p, false, false, 0);
		return;
	}
	for (i = 0; i < nat; i++)
		if (!(sub.l.v[i].flags & (ENTRY_INLINE | ENTRY_EMPTY)))
			sub.l.v[i].flags &= ~ENTRY_DIGESTED;
	rc = fill_digests(p, &sub.l, false, &p->error);
	for (i = 0; rc == 0 && i < nat; i++)
		rc = ctxstore_update(&p->store, t, at[i], &sub.l.v[i], &p->error);
	ctxstore_list_free(&sub);
	from = at[0];	/* sorted: the first entry whose record changed */
	free(at);
	finish(p, rc == 0, false, from);
}

static bool
is_config(struct project *p, int32_t id)
{
	char path[PATH_MAX];
	size_t i;

	if (tree_path(&p->tree, id, path, sizeof(path)) < 0)
		return true;
	for (i = 0; i < p->nconfig; i++)
		if (strcmp(path, p->config[i]) == 0)
			return true;
	for (i = 0; i < p->nlinked; i++)
		if (strcmp(path, p->linked[i]) == 0)
			return true;
	return false;
}

static void
project_gone(struct project *p)
{
	p->state = PROJECT_GONE;
	ctx_error_set(&p->error, CTX_ERR_CONTEXT,
	    "%s: the context directory was deleted or moved", p->root);
	sd_event_source_set_enabled(p->io, SD_EVENT_OFF);
	sd_event_source_set_enabled(p->poll, SD_EVENT_OFF);
	emit_context(p);
}

/*
 * rmdir of the root sends nothing while the daemon holds it open: the
 * inode, and with it IN_DELETE_SELF, lives until the last reference goes.
 * A root with no link left is gone; checked after each batch of events,
 * before each recompute and on each poll.
 */
static bool
root_unlinked(struct project *p)
{
	struct stat st;

	return fstat(p->rootfd, &st) == 0 && st.st_nlink == 0;
}

static int
on_recompute(sd_event_source *s, void *arg)
{
	struct project *p = arg;
	size_t i;

	(void)s;
	sd_event_source_set_enabled(p->settle, SD_EVENT_OFF);
	sd_event_source_set_enabled(p->idle, SD_EVENT_OFF);
	p->first_pending = 0;
	if (p->state == PROJECT_GONE)
		return 0;
	if (root_unlinked(p)) {
		project_gone(p);
		return 0;
	}
	for (i = 0; !p->full_pending && i < p->tree.nchanged; i++)
		if (is_config(p, p->tree.changed[i]))
			p->full_pending = true;
	if (p->full_pending || p->state != PROJECT_READY)
		recompute_full(p, false);
	else if (p->content_pending)
		recompute_content(p);
	p->full_pending = p->content_pending = false;
	tree_take_changes(&p->tree);
	return 0;
}

static void
schedule(struct project *p)
{
	uint64_t now, when;

	if (p->full_pending) {
		sd_event_now(p->loop, CLOCK_MONOTONIC, &now);
		if (p->first_pending == 0)
			p->first_pending = now;
		when = now + SETTLE_USEC;
		if (when > p->first_pending + SETTLE_MAX_USEC)
			when = p->first_pending + SETTLE_MAX_USEC;
		sd_event_source_set_time(p->settle, when);
		sd_event_source_set_enabled(p->settle, SD_EVENT_ONESHOT);
	} else if (p->content_pending) {
		sd_event_source_set_enabled(p->idle, SD_EVENT_ONESHOT);
	}
}

static void
on_watch_event(void *arg, int wd, uint32_t mask, uint32_t cookie,
    const char *name)
{
	struct project *p = arg;

	if (wd >= 0 && wd == p->outside_wd) {
		p->full_pending = true;
		return;
	}
	tree_event(&p->tree, wd, mask, cookie, name);
}

/* The end of a batch of events for this project (read by any project: the
 * projects share one inotify instance, see watch.h). */
static void
on_watch_done(void *arg)
{
	struct project *p = arg;
	json_t *ev;

	if (p->state == PROJECT_GONE)
		return;
	tree_events_done(&p->tree);
	if (p->tree.root_gone || root_unlinked(p)) {
		project_gone(p);
		return;
	}
	if (p->tree.overflow) {
		/* The kernel dropped events: read everything again. */
		forget_tree(p);
		p->full_pending = true;
		if ((ev = event_base(p, "resync")) != NULL)
			json_object_set_new(ev, "reason", json_string("inotify queue overflow"));
		project_emit(p, ev);
	}
	if (p->tree.structural)
		p->full_pending = true;
	if (p->tree.nchanged > 0)
		p->content_pending = true;
	schedule(p);
}

static int
on_inotify(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct project *p = arg;

	(void)s;
	(void)fd;
	(void)revents;
	if (watch_read(p->watch) < 0)
		log_warn("%s: reading inotify events", p->root);
	return 0;
}

static int
on_poll(sd_event_source *s, uint64_t usec, void *arg)
{
	struct project *p = arg;

	if (root_unlinked(p)) {
		project_gone(p);
		return 0;
	}
	if (p->tree.npolled > 0 && tree_poll(&p->tree)) {
		p->full_pending = true;
		schedule(p);
	}
	sd_event_source_set_time(s, usec + POLL_USEC);
	return 0;
}

/* ---- life cycle ---- */

static int
add_config(struct project *p, const char *path)
{
	const char *rel = path;
	size_t n = strlen(p->root);

	if (path[0] == '/') {
		if (strncmp(path, p->root, n) != 0 || path[n] != '/')
			return 0;
		rel = path + n + 1;
	}
	if (p->nconfig < sizeof(p->config) / sizeof(p->config[0]) &&
	    (p->config[p->nconfig] = strdup(rel)) != NULL)
		p->nconfig++;
	return 0;
}

/* The files whose edits change the rules, not just the content; and a
 * watch on the Dockerfile's directory when it lies outside the root. */
static void
note_config(struct project *p)
{
	char buf[PATH_MAX + 32], dir[PATH_MAX];
	const char *base;
	int fd;

	add_config(p, ".dockerignore");
	if (p->dockerfile == NULL) {
		add_config(p, "Dockerfile");
		add_config(p, "Dockerfile.dockerignore");
		add_config(p, "dockerfile");
		return;
	}
	add_config(p, p->dockerfile);
	snprintf(buf, sizeof(buf), "%s.dockerignore", p->dockerfile);
	add_config(p, buf);
	base = strrchr(p->dockerfile, '/');
	if (base == NULL || (size_t)(base - p->dockerfile) >= sizeof(dir))
		return;
	memcpy(dir, p->dockerfile, (size_t)(base - p->dockerfile));
	dir[base - p->dockerfile] = '\0';
	if (strncmp(dir, p->root, strlen(p->root)) == 0 &&
	    (dir[strlen(p->root)] == '\0' || dir[strlen(p->root)] == '/'))
		return;
	fd = open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		p->outside_wd = watch_add(p->watch, fd);
		close(fd);
	}
}

static int
on_first(sd_event_source *s, void *arg)
{
	struct project *p = arg;

	(void)s;
	if (p->state == PROJECT_SCANNING) {	/* else a question did it */
		recompute_full(p, true);
		tree_take_changes(&p->tree);
	}
	statecache_scan_save();
	return 0;
}

static int on_recompute_time(sd_event_source *s, uint64_t usec, void *arg);

static int
project_sources(struct project *p, struct ctx_error *err)
{
	if (sd_event_add_io(p->loop, &p->io, watch_fd(p->watch), EPOLLIN,
	    on_inotify, p) < 0 ||
	    sd_event_add_time(p->loop, &p->settle, CLOCK_MONOTONIC, 0, 0,
	    on_recompute_time, p) < 0 ||
	    sd_event_add_defer(p->loop, &p->idle, on_recompute, p) < 0 ||
	    sd_event_add_time_relative(p->loop, &p->poll, CLOCK_MONOTONIC,
	    POLL_USEC, 0, on_poll, p) < 0 ||
	    sd_event_add_defer(p->loop, &p->first, on_first, p) < 0 ||
	    sd_event_add_time(p->loop, &p->analyse, CLOCK_MONOTONIC, 0, 0,
	    on_analyse, p) < 0)
		return ctx_error_set(err, CTX_ERR_SYS, "%s: event sources", p->root);
	sd_event_source_set_enabled(p->analyse, SD_EVENT_OFF);
	sd_event_source_set_enabled(p->settle, SD_EVENT_OFF);
	sd_event_source_set_enabled(p->idle, SD_EVENT_OFF);
	sd_event_source_set_priority(p->idle, SD_EVENT_PRIORITY_IDLE);
	sd_event_source_set_enabled(p->poll, SD_EVENT_ON);
	sd_event_source_set_enabled(p->first, SD_EVENT_ONESHOT);
	sd_event_source_set_priority(p->first, SD_EVENT_PRIORITY_IDLE);
	return 0;
}

static int
on_recompute_time(sd_event_source *s, uint64_t usec, void *arg)
{
	(void)usec;
	return on_recompute(s, arg);
}

static int
copy_options(struct project *p, const struct project_options *opt)
{
	size_t i;

	p->root = strdup(opt->root);
	p->dockerfile = dup_or_null(opt->dockerfile);
	p->target = dup_or_null(opt->target);
	p->builder = opt->builder;
	if (p->root == NULL || (opt->dockerfile && !p->dockerfile) ||
	    (opt->target && !p->target))
		return -1;
	if (opt->nbuild_args > 0 &&
	    (p->build_args = calloc(opt->nbuild_args, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < opt->nbuild_args; i++) {
		if ((p->build_args[i] = strdup(opt->build_args[i])) == NULL)
			return -1;
		p->nbuild_args++;
	}
	return 0;
}

struct project *
project_new(const struct project_options *opt, sd_event *loop,
    project_event_fn *on_event, void *arg, struct ctx_error *err)
{
	struct project *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		ctx_error_nomem(err);
		return NULL;
	}
	p->rootfd = -1;
	p->outside_wd = -1;
	p->loop = sd_event_ref(loop);
	p->on_event = on_event;
	p->arg = arg;
	p->state = PROJECT_SCANNING;
	if (copy_options(p, opt) < 0 || (p->warnings = json_array()) == NULL ||
	    (p->findings = json_array()) == NULL) {
		ctx_error_nomem(err);
		goto fail;
	}
	p->rootfd = open(p->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->rootfd < 0) {
		ctx_error_sys(err, errno, "open '%s'", p->root);
		goto fail;
	}
	if ((p->watch = watch_new(on_watch_event, on_watch_done, p, err)) == NULL ||
	    tree_init(&p->tree, p->root, p->rootfd, p->watch, err) < 0)
		goto fail;
	note_config(p);
	p->cache_counted = true;
	statecache_join();
	if (project_sources(p, err) < 0)
		goto fail;
	return p;
fail:
	project_free(p);
	return NULL;
}

void
project_free(struct project *p)
{
	size_t i;

	if (p == NULL)
		return;
	sd_event_source_disable_unref(p->io);
	sd_event_source_disable_unref(p->settle);
	sd_event_source_disable_unref(p->idle);
	sd_event_source_disable_unref(p->poll);
	sd_event_source_disable_unref(p->first);
	sd_event_source_disable_unref(p->analyse);
	if (p->cache_counted)
		statecache_leave(&p->tree);
	if (p->watch != NULL)
		tree_free(&p->tree);
	watch_free(p->watch);
	if (p->rootfd >= 0)
		close(p->rootfd);
	context_free(&p->ctx);
	ctxstore_free(&p->store);
	marks_drop(p, 0);
	free(p->marks);
	json_decref(p->warnings);
	json_decref(p->findings);
	json_decref(p->report);
	json_decref(p->report_warnings);
	analysis_cache_free(&p->analysis_cache);
	for (i = 0; i < p->nconfig; i++)
		free(p->config[i]);
	for (i = 0; i < p->nlinked; i++)
		free(p->linked[i]);
	for (i = 0; i < p->nbuild_args; i++)
		free(p->build_args[i]);
	free(p->build_args);
	free(p->root);
	free(p->dockerfile);
	free(p->target);
	sd_event_unref(p->loop);
	free(p);
}

bool
project_matches(const struct project *p, const struct project_options *opt)
{
	size_t i;

	if (!str_eq(p->root, opt->root) || !str_eq(p->dockerfile, opt->dockerfile) ||
	    !str_eq(p->target, opt->target) || p->builder != opt->builder ||
	    p->nbuild_args != opt->nbuild_args)
		return false;
	for (i = 0; i < p->nbuild_args; i++)
		if (strcmp(p->build_args[i], opt->build_args[i]) != 0)
			return false;
	return true;
}

enum project_state
project_state(const struct project *p)
{
	return p->state;
}

const char *
project_root(const struct project *p)
{
	return p->root;
}

static const char *
state_name(enum project_state s)
{
	switch (s) {
	case PROJECT_SCANNING:
		return "scanning";
	case PROJECT_READY:
		return "ready";
	case PROJECT_GONE:
		return "gone";
	default:
		return "error";
	}
}

/*
 * A question is answered with the tree as it is now: the kernel queues an
 * inotify event before the write that caused it returns, so draining the
 * queue and settling what is pending makes `echo x > f; ctxctl hash`
 * consistent without waiting for the settle timer.
 */
static void
project_sync(struct project *p)
{
	if (p->state == PROJECT_GONE)
		return;
	on_inotify(NULL, -1, 0, p);
	if (p->state != PROJECT_GONE && (p->full_pending || p->content_pending ||
	    p->tree.structural || p->tree.nchanged > 0))
		on_recompute(NULL, p);
}

json_t *
project_status(struct project *p)
{
	char when[64] = "";
	struct tm tm;
	json_t *st;

	project_sync(p);
	if (p->last_change.tv_sec != 0) {
		size_t n;
		gmtime_r(&p->last_change.tv_sec, &tm);
		n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(when + n, sizeof(when) - n, ".%03dZ",
		    (int)(p->last_change.tv_nsec / 1000000));
	}
	st = json_pack("{s:o,s:o,s:s,s:o,s:s,s:I,s:I,s:o,s:o,s:i,s:o,s:O}",
	    "root", proto_str_json(p->root),
	    "dockerfile", p->dockerfile ? proto_str_json(p->dockerfile) : json_null(),
	    "builder", builder_name(p->builder),
	    "target", p->target ? proto_str_json(p->target) : json_null(),
	    "state", state_name(p->state),
	    "entries", (json_int_t)(p->state == PROJECT_READY ? p->store.n : 0),
	    "bytes", (json_int_t)(p->state == PROJECT_READY ? p->bytes : 0),
	    "hash", p->state == PROJECT_READY ? json_string(p->hash) : json_null(),
	    "findings", p->state == PROJECT_READY && p->report != NULL ?
	    json_incref(p->findings) : json_array(),
	    "watches", p->tree.nwatches + (p->outside_wd >= 0),
	    "last_change", when[0] ? json_string(when) : json_null(),
	    "warnings", p->warnings);
	if (st == NULL)
		return NULL;
	if (p->state == PROJECT_ERROR || p->state == PROJECT_GONE)
		json_object_set_new(st, "error", proto_str_json(p->error.msg));
	/* findings are check's, from the last analysis: "pending" while the
	 * context is newer (they follow 50 ms after the changes stop, 0.5 s
	 * at most); none when the analysis failed, and why */
	json_object_set_new(st, "analysis",
	    json_string(p->analysis_pending ? "pending" : "done"));
	if (p->state == PROJECT_READY && p->report == NULL && !p->analysis_pending)
		json_object_set_new(st, "check_error",
		    proto_str_json(p->report_error.msg));
	if (p->tree.enospc || p->tree.npolled > 0)
		json_object_set_new(st, "watch_warning", json_pack("{s:s,s:i}",
		    "message", "some directories could not be watched (inotify "
		    "watch limit reached: raise the sysctl fs.inotify.max_user_watches); "
		    "they are re-read every 2 s instead",
		    "unwatched", p->tree.npolled));
	return st;
}

static int
project_not_ready(struct project *p, struct ctx_error *err)
{
	project_sync(p);
	if (p->state == PROJECT_SCANNING) {
		/* First question before the first scan: answer it now. */
		recompute_full(p, true);
		tree_take_changes(&p->tree);
	}
	if (p->state == PROJECT_READY)
		return 0;
	if (p->state == PROJECT_ERROR || p->state == PROJECT_GONE) {
		*err = p->error;
		return -1;
	}
	return ctx_error_set(err, CTX_ERR_CONTEXT, "%s: context not ready (%s)",
	    p->root, state_name(p->state));
}

/* The listing or the manifest, written from a list of the entries built
 * for the purpose. */
static int
project_text(struct project *p, struct manifest_buf *out,
    int (*write)(struct manifest_buf *, const struct entry_list *,
    struct ctx_error *), struct ctx_error *err)
{
	struct ctxstore_list list;
	int rc;

	if (ctxstore_list(&p->store, &p->tree, NULL, 0, &list, err) < 0)
		return -1;
	rc = write(out, &list.l, err);
	ctxstore_list_free(&list);
	return rc;
}

int
project_listing(struct project *p, struct manifest_buf *out,
    struct ctx_error *err)
{
	if (project_not_ready(p, err) < 0)
		return -1;
	return project_text(p, out, listing_write, err);
}

int
project_manifest(struct project *p, struct manifest_buf *out,
    struct ctx_error *err)
{
	if (project_not_ready(p, err) < 0)
		return -1;
	return project_text(p, out, manifest_write, err);
}

int
project_hash(struct project *p, char out[MANIFEST_HASH_SIZE],
    struct ctx_error *err)
{
	if (project_not_ready(p, err) < 0)
		return -1;
	memcpy(out, p->hash, MANIFEST_HASH_SIZE);
	return 0;
}

void
project_reload(struct project *p)
{
	if (p->state == PROJECT_GONE)
		return;
	forget_tree(p);
	recompute_full(p, true);
	tree_take_changes(&p->tree);
}

/* ---- the analysis: check's report, kept up to date ---- */

static void
project_analysis_warn(void *arg, const char *msg)
{
	json_array_append_new(arg, proto_str_json(msg));
}

/* The analysis of the current context (ready), whose entries are l,
 * with this threshold. */
static int
project_analysis(struct project *p, const struct entry_list *l,
    uint64_t large_bytes, struct analysis *a, json_t *warnings,
    struct ctx_error *err)
{
	struct analysis_input in;

	memset(&in, 0, sizeof(in));
	in.entries = l;
	in.root = p->ctx.root;
	in.rootfd = p->rootfd;
	in.hash = p->hash;
	in.dockerfile = p->dockerfile;
	in.builder = p->builder;
	in.target = p->target;
	in.build_args = (const char *const *)p->build_args;
	in.nbuild_args = p->nbuild_args;
	in.large_bytes = large_bytes;
	/* One scanner for the daemon: its digest cache is what spares the
	 * unchanged files a read after each change. */
	if ((in.scan = secretscan_shared()) == NULL)
		return ctx_error_set(err, CTX_ERR_NOMEM,
		    "the content scanner cannot be built");
	in.warn = project_analysis_warn;
	in.warn_arg = warnings;
	in.cache = &p->analysis_cache;
	return analysis_run(&in, a, err);
}

/*
 * The allow list is read from .dockerignore (a config file: its edits
 * re-read everything) and .ctxdignore, which docker does not read and the
 * context may well exclude: a file that is no entry changes nothing the
 * recompute looks at.  Made a config file too, its edits (rare) re-run
 * the walk and with it the analysis.
 */
static void
project_allow_watch(struct project *p)
{
	static const char name[] = ".ctxdignore";
	size_t i;

	for (i = 0; i < p->nconfig; i++)
		if (strcmp(p->config[i], name) == 0)
			return;
	if (p->nconfig < sizeof(p->config) / sizeof(p->config[0]) &&
	    (p->config[p->nconfig] = strdup(name)) != NULL)
		p->nconfig++;
}

/*
 * Keeps p->report (and the findings) for the context just computed, and
 * tells subscribers which findings came and went.  Without a report (the
 * context refused, or its analysis failed: a Dockerfile caught half
 * written by a non-atomic save) nothing is known about the hazards, so
 * none is said to go: p->findings stays what the next report is compared
 * with, and status shows none meanwhile.
 */
/* The report of the context, on a thread of its own (see worker_call():
 * the analysis builds and drops thousands of small JSON values). */
static void *
analyse_thread(void *arg)
{
	struct project *p = arg;
	struct analysis a;

	if (project_analysis(p, &p->ctx.entries, 0, &a, p->report_warnings,
	    &p->report_error) == 0) {
		if ((p->report = analysis_report(&a, SEV_HIGH)) == NULL)
			ctx_error_nomem(&p->report_error);
		analysis_free(&a);
	}
	return NULL;
}

static void
project_analyse(struct project *p)
{
	json_t *findings, *added, *removed, *ev;

	project_allow_watch(p);
	json_decref(p->report);
	p->report = NULL;
	json_decref(p->report_warnings);
	memset(&p->report_error, 0, sizeof(p->report_error));
	if ((p->report_warnings = json_array()) == NULL)
		ctx_error_nomem(&p->report_error);
	else if (p->state != PROJECT_READY)
		ctx_error_set(&p->report_error, CTX_ERR_CONTEXT, "%s",
		    p->error.msg);
	else
		worker_call(analyse_thread, p);
	if (p->report == NULL)
		return;
	findings = json_incref(json_object_get(p->report, "findings"));
	added = analysis_diff(findings, p->findings);
	removed = analysis_diff(p->findings, findings);
	if (json_array_size(added) > 0 || json_array_size(removed) > 0) {
		ev = event_base(p, "hazard");
		if (ev != NULL) {
			json_object_set(ev, "added", added);
			json_object_set(ev, "removed", removed);
			json_object_set(ev, "findings", findings);
		}
		project_emit(p, ev);
	}
	json_decref(added);
	json_decref(removed);
	json_decref(p->findings);
	p->findings = findings;
}

/* The warnings of a check answer: the context's, then the analysis's. */
static json_t *
report_warnings(json_t *context, json_t *analysis)
{
	json_t *w = json_array();

	if (w != NULL && (json_array_extend(w, context) < 0 ||
	    json_array_extend(w, analysis) < 0)) {
		json_decref(w);
		return NULL;
	}
	return w;
}

json_t *
project_report(struct project *p, uint64_t large_bytes,
    enum hazard_severity fail_on, json_t **warnings, struct ctx_error *err)
{
	struct ctxstore_list list;
	struct analysis a;
	json_t *r = NULL, *aw;
	int rc;

	*warnings = NULL;
	if (project_not_ready(p, err) < 0)
		return NULL;
	analyse_now(p);
	if (large_bytes == 0 || large_bytes == HAZARD_LARGE_DEFAULT) {
		if (p->report == NULL) {
			*err = p->report_error;
			return NULL;
		}
		/* A shallow copy: fail_on keeps its place in the object. */
		if ((r = json_copy(p->report)) == NULL ||
		    json_object_set_new(r, "fail_on",
		    json_string(hazard_severity_name(fail_on))) < 0 ||
		    (*warnings = report_warnings(p->warnings,
		    p->report_warnings)) == NULL)
			goto nomem;
		return r;
	}
	if ((aw = json_array()) == NULL)
		goto nomem;
	if (ctxstore_list(&p->store, &p->tree, NULL, 0, &list, err) < 0) {
		json_decref(aw);
		return NULL;
	}
	rc = project_analysis(p, &list.l, large_bytes, &a, aw, err);
	ctxstore_list_free(&list);
	if (rc < 0) {
		json_decref(aw);
		return NULL;
	}
	r = analysis_report(&a, fail_on);
	analysis_free(&a);
	*warnings = report_warnings(p->warnings, aw);
	json_decref(aw);
	if (r != NULL && *warnings != NULL)
		return r;
nomem:
	json_decref(r);
	json_decref(*warnings);
	*warnings = NULL;
	ctx_error_nomem(err);
	return NULL;
}
