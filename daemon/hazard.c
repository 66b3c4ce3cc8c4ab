/*
 * The hazard engine (see hazard.h): classify every entry against the
 * rules of hazrules.c, read the files that need it on all cores (through
 * the digest-keyed cache of secretscan.c, which hazard_prescan_* fills
 * while context_build() hashes the files), ask git about the rest, then
 * group and print the findings.  A directory hazard (.git, a virtualenv,
 * node_modules) swallows everything below it: one finding, no rule is run
 * on its contents.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dfuse.h"
#include "digest.h"
#include "gitignored.h"
#include "hazard.h"
#include "hazrules.h"
#include "manifest.h"
#include "proto.h"
#include "readfile.h"
#include "secretscan.h"
#include "worker.h"

/* Below this many files to read, threads cost more than they save. */
#define THREAD_MIN_JOBS 64
#define ALLOW_MAX_LINES 10000

struct agg {
	const struct hazard_rule *r;
	const char *path;	/* borrowed from the entry list */
	size_t len, entries;
	uint64_t bytes;
	bool in_image;
	int content;		/* enum secretscan_rule, or -1 */
	const char *preview;	/* borrowed from a job's result */
	uint32_t line;
};

struct dirref {
	const char *path;
	size_t len;
};

/* A file to read: its entry, the gates its name asks for, the result. */
struct job {
	size_t idx;
	uint32_t gates;		/* asked for */
	bool done, failed;
	bool cached;		/* answered by the cache: not stored again */
	uint32_t hits, held;	/* rules that hit, gates that hold */
	struct secretscan_result *full;	/* when hits: lines and previews */
};

struct run {
	const struct entry_list *l;
	const struct hazard_options *opt;
	struct agg *v;
	size_t n, cap;
	struct dirref *venv;	/* virtualenv roots, sorted */
	size_t nvenv, capvenv;
	uint8_t *covered;	/* per entry: under a finding already */
	struct job *jobs;
	size_t njobs, capjobs;
	size_t next;		/* next job to take (threads) */
};

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

static bool
in_image(const struct run *r, size_t i)
{
	return r->opt->use != NULL && (r->opt->use[i] & DFUSE_LAYER) != 0;
}

static int
agg_add(struct run *r, const struct hazard_rule *rule, size_t idx,
    size_t len, int content, const char *preview, uint32_t line)
{
	const struct entry *e = &r->l->v[idx];
	size_t i;

	/* Entries of one hazard directory are mostly adjacent: look back. */
	for (i = r->n; i > 0 && i + 8 > r->n; i--) {
		struct agg *g = &r->v[i - 1];
		if (g->r == rule && g->content == content && g->len == len &&
		    memcmp(g->path, e->path, len) == 0) {
			g->entries++;
			g->bytes += e->size;
			g->in_image |= in_image(r, idx);
			return 0;
		}
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct agg *v = realloc(r->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = (struct agg){ rule, e->path, len, 1, e->size,
	    in_image(r, idx), content, preview, line };
	return 0;
}

static int
dirref_cmp(const void *x, const void *y)
{
	const struct dirref *a = x, *b = y;

	return entry_path_cmp(a->path, a->len, b->path, b->len);
}

static int
venv_add(struct run *r, const char *path, size_t len)
{
	if (len == 0)
		return 0;	/* the root itself: nothing to exclude */
	if (r->nvenv == r->capvenv) {
		size_t cap = r->capvenv ? r->capvenv * 2 : 4;
		struct dirref *v = realloc(r->venv, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		r->venv = v;
		r->capvenv = cap;
	}
	r->venv[r->nvenv++] = (struct dirref){ path, len };
	return 0;
}

static bool
is_venv(const struct run *r, const char *path, size_t len)
{
	struct dirref key = { path, len };

	return r->nvenv > 0 && bsearch(&key, r->venv, r->nvenv,
	    sizeof(key), dirref_cmp) != NULL;
}

/* The index of path[0..len) in the sorted list, or -1. */
static ssize_t
entry_find(const struct entry_list *l, const char *path, size_t len)
{
	size_t lo = 0, hi = l->n, mid, n;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		n = l->v[mid].path_len < len ? l->v[mid].path_len : len;
		c = memcmp(l->v[mid].path, path, n);
		if (c == 0)
			c = l->v[mid].path_len < len ? -1 : l->v[mid].path_len > len;
		if (c == 0)
			return (ssize_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * A virtualenv or conda env is what it is, not its name: a directory
 * holding pyvenv.cfg (venv, virtualenv), conda-meta/ (conda), or both
 * bin/activate and lib/python*\/site-packages (a venv whose pyvenv.cfg is
 * excluded).
 */
static int
find_venvs(struct run *r)
{
	const struct entry_list *l = r->l;
	size_t i, plen;
	const char *base, *p, *lib;
	char *want;
	int rc = 0;

	for (i = 0; rc == 0 && i < l->n; i++) {
		const struct entry *e = &l->v[i];
		base = base_name(e->path);
		plen = base == e->path ? 0 : (size_t)(base - 1 - e->path);
		if ((e->type == ENTRY_FILE && strcmp(base, "pyvenv.cfg") == 0) ||
		    (e->type == ENTRY_DIR && strcmp(base, "conda-meta") == 0)) {
			rc = venv_add(r, e->path, plen);
			continue;
		}
		if (e->type != ENTRY_DIR || strcmp(base, "site-packages") != 0)
			continue;
		/* X/lib/pythonV/site-packages with X/bin/activate */
		p = e->path + plen;	/* at the '/' before site-packages */
		while (p > e->path && p[-1] != '/')
			p--;
		if (strncmp(p, "python", 6) != 0 || p - e->path < 4 ||
		    memcmp(p - 4, "lib/", 4) != 0)
			continue;
		lib = p - 4;
		plen = lib == e->path ? 0 : (size_t)(lib - 1 - e->path);
		if (asprintf(&want, "%.*s%sbin/activate", (int)plen, e->path,
		    plen ? "/" : "") < 0)
			return -1;
		if (entry_find(l, want, strlen(want)) >= 0)
			rc = venv_add(r, e->path, plen);
		free(want);
	}
	if (rc == 0 && r->nvenv > 1)
		qsort(r->venv, r->nvenv, sizeof(r->venv[0]), dirref_cmp);
	return rc;
}

/*
 * fnmatch(pat, s, 0) for a pattern of literal bytes and `*` only (the
 * usual wildcard walk: on a mismatch the last `*` takes one byte more).
 */
static bool
star_match(const char *p, const char *s)
{
	const char *star = NULL, *from = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star = ++p;
			from = s;
		} else if (*p == *s) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star;
			s = ++from;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* '/' (a path suffix) or what only fnmatch() matches: '?', '[', '\\'. */
static const unsigned char glob_special[256] = {
	['/'] = 1, ['?'] = 2, ['['] = 2, ['\\'] = 2,
};

/* A name of a rule, looked at once: its length, last byte and kind. */
struct pat {
	const char *s;
	size_t n;
	unsigned kind;		/* glob_special bits of its bytes */
	char last;
};

/* Every rule's names and exceptions, as struct pats; [k] for rule k, then
 * [hazard_nrules + k] for its exceptions. */
static struct pat **rule_pats;
static pthread_once_t pats_once = PTHREAD_ONCE_INIT;

static struct pat *
pats_make(const char *const *names)
{
	size_t i, n = 0;
	struct pat *v;

	while (names != NULL && names[n] != NULL)
		n++;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		const char *q;
		v[i].s = names[i];
		v[i].n = strlen(names[i]);
		v[i].last = v[i].n > 0 ? names[i][v[i].n - 1] : '\0';
		for (q = names[i]; *q != '\0'; q++)
			v[i].kind |= glob_special[(unsigned char)*q];
	}
	return v;
}

static void
pats_init(void)
{
	size_t k;

	if ((rule_pats = calloc(2 * hazard_nrules, sizeof(*rule_pats))) == NULL)
		return;
	for (k = 0; k < hazard_nrules; k++) {
		rule_pats[k] = pats_make(hazard_rules[k].names);
		rule_pats[hazard_nrules + k] = pats_make(hazard_rules[k].except);
		if (rule_pats[k] == NULL || rule_pats[hazard_nrules + k] == NULL) {
			rule_pats = NULL;	/* leaked: a one-off, out of memory */
			return;
		}
	}
}

static bool
pat_match(const struct pat *p, const char *path, size_t len, const char *base)
{
	if (!(p->kind & 1))
		return (p->kind & 2) ? fnmatch(p->s, base, 0) == 0 :
		    star_match(p->s, base);
	/* a path suffix: ".docker/config.json" at the root or below */
	return len >= p->n && memcmp(path + len - p->n, p->s, p->n) == 0 &&
	    (len == p->n || path[len - p->n - 1] == '/');
}

/*
 * Whether base (or the path, for a name holding a '/') matches one of rule
 * h's names (or, with except, its exceptions).  Every file is tried
 * against every name rule after every change, so each name's length, last
 * byte and kind are worked out once (rule_pats), most names are ruled out
 * on their last byte, and the common patterns (literals and `*`) are
 * matched here rather than by fnmatch().
 */
static bool
names_match(const struct hazard_rule *h, bool except, const char *path,
    size_t len, const char *base)
{
	size_t k = (size_t)(h - hazard_rules), blen = strlen(base);
	char blast = blen > 0 ? base[blen - 1] : '\0';
	const struct pat *p;

	pthread_once(&pats_once, pats_init);
	if (rule_pats == NULL)	/* no memory for the table: each name as is */
		p = NULL;
	else
		p = rule_pats[except ? hazard_nrules + k : k];
	if (p == NULL) {
		const char *const *names = except ? h->except : h->names;
		bool hit = false;
		struct pat *tmp = pats_make(names);
		for (p = tmp; tmp != NULL && p->s != NULL && !hit; p++)
			hit = pat_match(p, path, len, base);
		free(tmp);
		return hit;
	}
	for (; p->s != NULL; p++) {
		if (p->last != '*' && p->last != '?' && p->last != ']' &&
		    p->last != '\\' && (blen == 0 || blast != p->last))
			continue;
		if (pat_match(p, path, len, base))
			return true;
	}
	return false;
}

/* The outermost ancestor-or-self of e that is a hazard directory. */
static const struct hazard_rule *
dir_hazard(const struct run *r, const struct entry *e, size_t *len)
{
	const char *p = e->path, *end = e->path + e->path_len, *c, *slash;
	char name[64];
	size_t i, n;

	for (c = p; c < end; c = slash + 1) {
		slash = memchr(c, '/', (size_t)(end - c));
		if (slash == NULL)
			slash = end;
		*len = (size_t)(slash - p);
		n = (size_t)(slash - c);
		/* a directory, or a .git file (worktree, submodule) */
		if (slash < end || e->type == ENTRY_DIR) {
			if (is_venv(r, p, *len))
				return hazard_rule_find("venv-python");
		}
		if (n < sizeof(name) && (slash < end || e->type == ENTRY_DIR ||
		    (e->type == ENTRY_FILE && n == 4 && memcmp(c, ".git", 4) == 0))) {
			memcpy(name, c, n);
			name[n] = '\0';
			for (i = 0; i < hazard_nrules; i++) {
				const struct hazard_rule *h = &hazard_rules[i];
				size_t k;
				if (h->match != HM_DIR)
					continue;
				for (k = 0; h->names[k] != NULL; k++)
					if (h->names[k][0] == name[0] &&
					    strcmp(h->names[k], name) == 0)
						return h;
			}
		}
		if (slash == end)
			break;
	}
	return NULL;
}

static int
job_add(struct run *r, size_t idx, uint32_t gates)
{
	if (r->njobs == r->capjobs) {
		size_t cap = r->capjobs ? r->capjobs * 2 : 256;
		struct job *v = realloc(r->jobs, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		r->jobs = v;
		r->capjobs = cap;
	}
	memset(&r->jobs[r->njobs], 0, sizeof(r->jobs[0]));
	r->jobs[r->njobs].idx = idx;
	r->jobs[r->njobs++].gates = gates;
	return 0;
}

/* Name, size and directory rules; files to read become jobs. */
static int
classify(struct run *r)
{
	const struct entry_list *l = r->l;
	const struct hazard_rule *h;
	size_t i, k, len;
	uint32_t gates;
	uint64_t large = r->opt->large_bytes ? r->opt->large_bytes :
	    HAZARD_LARGE_DEFAULT;
	bool reads = r->opt->rootfd >= 0 && r->opt->scan != NULL;

	for (i = 0; i < l->n; i++) {
		const struct entry *e = &l->v[i];
		const char *base = base_name(e->path);
		if ((h = dir_hazard(r, e, &len)) != NULL) {
			r->covered[i] = 1;
			if (agg_add(r, h, i, len, -1, NULL, 0) < 0)
				return -1;
			continue;
		}
		if (e->type != ENTRY_FILE)
			continue;
		gates = 0;
		for (k = 0; k < hazard_nrules; k++) {
			h = &hazard_rules[k];
			if (h->match != HM_FILE ||
			    !names_match(h, false, e->path, e->path_len, base) ||
			    names_match(h, true, e->path, e->path_len, base))
				continue;
			if (h->gate != 0) {
				gates |= h->gate;
				continue;
			}
			r->covered[i] = 1;
			if (agg_add(r, h, i, e->path_len, -1, NULL, 0) < 0)
				return -1;
		}
		if (e->size > large) {
			r->covered[i] = 1;
			if (agg_add(r, hazard_rule_find("large-file"), i,
			    e->path_len, -1, NULL, 0) < 0)
				return -1;
		}
		if (reads && e->size > 0 &&
		    !(e->flags & (ENTRY_EMPTY | ENTRY_INLINE)) &&
		    job_add(r, i, gates) < 0)
			return -1;
	}
	return 0;
}

/* The gates the name rules ask of a file's content (as classify()). */
static uint32_t
file_gates(const struct entry *e)
{
	const char *base = base_name(e->path);
	const struct hazard_rule *h;
	uint32_t gates = 0;
	size_t k;

	for (k = 0; k < hazard_nrules; k++) {
		h = &hazard_rules[k];
		if (h->match == HM_FILE && h->gate != 0 &&
		    names_match(h, false, e->path, e->path_len, base) &&
		    !names_match(h, true, e->path, e->path_len, base))
			gates |= h->gate;
	}
	return gates;
}

/* ---- the content scan in the hashing pass (hazard_prescan_*) ---- */

/* What one file held, kept by its reading thread until the merge. */
struct prescan_rec {
	unsigned char digest[DIGEST_SIZE];
	uint32_t asked, held;
	bool binary;
	struct secretscan_result *full;	/* when something hit */
};

struct prescan_state {
	struct secretscan_ctx *c;
	struct prescan_rec *v;
	size_t n, cap;
};

struct hazard_prescan {
	struct digest_scan hook;
	struct secretscan *scan;
};

/*
 * The files classify() makes jobs of, as far as a file's own entry tells:
 * non-empty regular files, not inline, not below a directory hazard found
 * by name.  A virtualenv (found by its markers, which may come later in
 * the walk) is not known yet: its files are scanned for nothing.
 */
static bool
prescan_want(void *arg, const struct entry *e, uint32_t *tag)
{
	static const struct run none;
	size_t len;

	(void)arg;
	if (e->type != ENTRY_FILE || e->size == 0 ||
	    (e->flags & (ENTRY_EMPTY | ENTRY_INLINE)) ||
	    dir_hazard(&none, e, &len) != NULL)
		return false;
	*tag = file_gates(e);
	return true;
}

static void *
prescan_start(void *arg)
{
	struct hazard_prescan *p = arg;
	struct prescan_state *st = calloc(1, sizeof(*st));

	if (st != NULL && (st->c = secretscan_ctx_new(p->scan)) == NULL) {
		free(st);
		st = NULL;
	}
	return st;
}

/* On a reading thread: the same scan secretscan_file() does, from the
 * bytes the hash was computed from. */
static void
prescan_file(void *arg, void *state, uint32_t tag,
    const unsigned char digest[DIGEST_SIZE], const unsigned char *buf,
    size_t n)
{
	struct prescan_state *st = state;
	struct secretscan_result res;
	struct prescan_rec *rec;

	(void)arg;
	if (st->n == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 256;
		struct prescan_rec *v = realloc(st->v, cap * sizeof(*v));

		if (v == NULL)
			return;		/* hazard_run() reads it itself */
		st->v = v;
		st->cap = cap;
	}
	secretscan_buffer(st->c, (const char *)buf, n, tag, &res);
	rec = &st->v[st->n];
	memcpy(rec->digest, digest, DIGEST_SIZE);
	rec->asked = tag;
	rec->held = res.gates;
	rec->binary = res.binary;
	rec->full = NULL;
	if (res.hits != 0 && (rec->full = malloc(sizeof(res))) == NULL)
		return;
	if (rec->full != NULL)
		*rec->full = res;
	st->n++;
}

/* On the owner's thread, the reading threads ended: into the cache. */
static void
prescan_end(void *arg, void *state)
{
	struct hazard_prescan *p = arg;
	struct prescan_state *st = state;
	struct secretscan_result res;
	size_t i;

	for (i = 0; i < st->n; i++) {
		struct prescan_rec *rec = &st->v[i];
		if (rec->full != NULL) {
			secretscan_store(p->scan, rec->digest, rec->asked,
			    rec->full);
			free(rec->full);
			continue;
		}
		memset(&res, 0, sizeof(res));
		res.gates = rec->held;
		res.binary = rec->binary;
		secretscan_store(p->scan, rec->digest, rec->asked, &res);
	}
	free(st->v);
	secretscan_ctx_free(st->c);
	free(st);
}

struct hazard_prescan *
hazard_prescan_new(struct secretscan *scan)
{
	struct hazard_prescan *p;

	if (scan == NULL || (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->scan = scan;
	p->hook.prefix = SECRETSCAN_MAX_BYTES;
	p->hook.want = prescan_want;
	p->hook.thread_start = prescan_start;
	p->hook.file = prescan_file;
	p->hook.thread_end = prescan_end;
	p->hook.arg = p;
	return p;
}

const struct digest_scan *
hazard_prescan_hook(const struct hazard_prescan *p)
{
	return p != NULL ? &p->hook : NULL;
}

void
hazard_prescan_free(struct hazard_prescan *p)
{
	free(p);
}

/* Keeps the result small: most files hit nothing. */
static void
job_set(struct job *jb, const struct secretscan_result *res)
{
	jb->hits = res->hits;
	jb->held = res->gates;
	if (res->hits != 0 && (jb->full = malloc(sizeof(*res))) != NULL)
		*jb->full = *res;
	else
		jb->hits = 0;	/* out of memory: reported as nothing */
}

static void *
scan_worker(void *arg)
{
	struct run *r = arg;
	struct secretscan_ctx *c = secretscan_ctx_new(r->opt->scan);
	struct secretscan_result res;
	size_t j;

	for (;;) {
		j = __atomic_fetch_add(&r->next, 1, __ATOMIC_RELAXED);
		if (j >= r->njobs)
			break;
		struct job *jb = &r->jobs[j];
		if (jb->done)
			continue;
		if (c == NULL || secretscan_file(c, r->opt->rootfd,
		    r->l->v[jb->idx].path, jb->gates, &res) < 0)
			jb->failed = true;	/* gone or unreadable: no finding */
		else
			job_set(jb, &res);
		jb->done = true;
	}
	secretscan_ctx_free(c);
	return NULL;
}

/* Reads the files of the jobs the cache does not answer, on all cores. */
static void
run_jobs(struct run *r)
{
	struct secretscan *s = r->opt->scan;
	struct worker_thread th[64];
	struct secretscan_result res;
	size_t j, todo = 0;
	unsigned t, nt = r->opt->threads;

	for (j = 0; j < r->njobs; j++) {
		const struct entry *e = &r->l->v[r->jobs[j].idx];
		if ((e->flags & ENTRY_DIGESTED) &&
		    secretscan_lookup(s, e->digest, r->jobs[j].gates, &res)) {
			job_set(&r->jobs[j], &res);
			r->jobs[j].done = true;
			r->jobs[j].cached = true;
		} else
			todo++;
	}
	if (nt == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nt = n > 0 ? (unsigned)n : 1;
	}
	if (nt > 64)
		nt = 64;
	if (todo < THREAD_MIN_JOBS)
		nt = 1;
	r->next = 0;
	for (t = 1; t < nt; t++)
		if (!worker_start(&th[t], scan_worker, r))
			break;
	scan_worker(r);
	while (--t > 0)
		worker_join(&th[t]);
	for (j = 0; j < r->njobs; j++) {
		const struct entry *e = &r->l->v[r->jobs[j].idx];
		struct job *jb = &r->jobs[j];
		if (jb->failed || jb->cached || !(e->flags & ENTRY_DIGESTED))
			continue;
		if (jb->full != NULL) {
			secretscan_store(s, e->digest, jb->gates, jb->full);
			continue;
		}
		memset(&res, 0, sizeof(res));
		res.gates = jb->held;
		secretscan_store(s, e->digest, jb->gates, &res);
	}
}

/* Findings from what the files hold. */
static int
content_findings(struct run *r)
{
	const struct hazard_rule *h;
	size_t j, k;
	unsigned b;

	for (j = 0; j < r->njobs; j++) {
		struct job *jb = &r->jobs[j];
		const struct entry *e = &r->l->v[jb->idx];
		const char *base = base_name(e->path);
		bool covers = false;
		if (jb->failed)
			continue;
		/* the gated name rules whose check holds */
		for (k = 0; jb->gates != 0 && k < hazard_nrules; k++) {
			h = &hazard_rules[k];
			if (h->match != HM_FILE || h->gate == 0 ||
			    !(h->gate & jb->held) ||
			    !names_match(h, false, e->path, e->path_len, base))
				continue;
			r->covered[jb->idx] = 1;
			if (agg_add(r, h, jb->idx, e->path_len, -1, NULL, 0) < 0)
				return -1;
		}
		/* a name rule already reporting a key file covers the content
		 * rules that would say the same of it */
		for (k = 0; k < hazard_nrules; k++) {
			h = &hazard_rules[k];
			if (h->match == HM_FILE && (h->flags & HR_COVERS_CONTENT) &&
			    (h->gate == 0 || (h->gate & jb->held)) &&
			    names_match(h, false, e->path, e->path_len, base) &&
			    !names_match(h, true, e->path, e->path_len, base))
				covers = true;
		}
		for (b = 0; b < SS_NRULES; b++) {
			if (!(jb->hits & (1u << b)))
				continue;
			if (covers && (b == SS_PRIVATE_KEY || b == SS_GENERIC ||
			    b == SS_URLCRED))
				continue;
			if ((h = hazard_rule_content((int)b)) == NULL)
				continue;
			r->covered[jb->idx] = 1;
			if (agg_add(r, h, jb->idx, e->path_len, (int)b,
			    jb->full->preview[b], jb->full->line[b]) < 0)
				return -1;
		}
	}
	return 0;
}

/* What git ignores among the entries no other rule reported. */
static int
gitignored_findings(struct run *r, struct ctx_error *errp)
{
	struct ctx_error tmp, *err = errp != NULL ? errp : &tmp;
	const struct entry_list *l = r->l;
	const struct hazard_rule *h = hazard_rule_find("gitignored");
	struct gitignored *g;
	ssize_t *grp = NULL, p;
	size_t i, plen;
	const char *base;
	int rc = 0;

	if (r->opt->root == NULL || l->n == 0)
		return 0;
	if (gitignored_open(r->opt->root, &g, err) < 0) {
		/* a repository libgit2 cannot read: the other rules still run */
		if (r->opt->warn != NULL)
			r->opt->warn(r->opt->warn_arg, err->msg);
		return 0;
	}
	if (g == NULL)
		return 0;
	if ((grp = malloc(l->n * sizeof(*grp))) == NULL) {
		gitignored_free(g);
		return ctx_error_nomem(err);
	}
	for (i = 0; rc == 0 && i < l->n; i++) {
		const struct entry *e = &l->v[i];
		grp[i] = -1;
		if (r->covered[i])
			continue;
		/* below an ignored directory: part of its finding (the parent
		 * sorts before the child, so it was decided already) */
		base = base_name(e->path);
		plen = base == e->path ? 0 : (size_t)(base - 1 - e->path);
		if (plen > 0 && (p = entry_find(l, e->path, plen)) >= 0 &&
		    grp[p] >= 0) {
			grp[i] = grp[p];
			rc = agg_add(r, h, i, l->v[grp[i]].path_len, -1, NULL, 0);
			continue;
		}
		if (e->flags & ENTRY_INLINE)
			continue;
		if (!gitignored_path(g, e->path, e->path_len, e->type == ENTRY_DIR))
			continue;
		if (e->type == ENTRY_DIR)
			grp[i] = (ssize_t)i;
		rc = agg_add(r, h, i, e->path_len, -1, NULL, 0);
	}
	free(grp);
	gitignored_free(g);
	return rc < 0 ? ctx_error_nomem(err) : 0;
}

static int
agg_cmp(const void *x, const void *y)
{
	const struct agg *a = x, *b = y;
	int c = entry_path_cmp(a->path, a->len, b->path, b->len);

	return c != 0 ? c : strcmp(a->r->id, b->r->id);
}

static json_t *
finding(const struct agg *g)
{
	enum hazard_severity sev = g->r->severity;
	char *esc = malloc(4 * g->len + 1);
	json_t *o;

	if (esc == NULL)
		return NULL;
	esc[manifest_escape(esc, g->path, g->len)] = '\0';
	/* A secret a COPY/ADD puts into a layer ships with the image. */
	if (g->in_image && strcmp(g->r->cls, "secret") == 0)
		sev = SEV_CRITICAL;
	o = json_pack("{s:s,s:s,s:s,s:o,s:I,s:I,s:b,s:s}", "class", g->r->cls,
	    "rule", g->r->id, "severity", hazard_severity_name(sev), "path",
	    proto_str_json(esc), "entries", (json_int_t)g->entries,
	    "bytes", (json_int_t)g->bytes, "in_image", g->in_image, "fix",
	    g->r->fix);
	if (o != NULL && g->preview != NULL) {
		json_object_set_new(o, "preview", json_string(g->preview));
		json_object_set_new(o, "line", json_integer(g->line));
	}
	free(esc);
	return o;
}

json_t *
hazard_run(const struct entry_list *l, const struct hazard_options *opt,
    struct ctx_error *err)
{
	struct run r;
	json_t *out = json_array(), *f;
	size_t i;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	r.l = l;
	r.opt = opt;
	if (out == NULL || (r.covered = calloc(l->n + 1, 1)) == NULL ||
	    find_venvs(&r) < 0 || classify(&r) < 0)
		rc = ctx_error_nomem(err);
	if (rc == 0 && r.njobs > 0) {
		run_jobs(&r);
		if (content_findings(&r) < 0)
			rc = ctx_error_nomem(err);
	}
	if (rc == 0 && opt->rootfd >= 0)
		rc = gitignored_findings(&r, err);
	if (rc == 0 && r.n > 1)
		qsort(r.v, r.n, sizeof(r.v[0]), agg_cmp);
	for (i = 0; rc == 0 && i < r.n; i++) {
		/* the look-back of agg_add may have split one directory */
		while (i + 1 < r.n && agg_cmp(&r.v[i], &r.v[i + 1]) == 0) {
			r.v[i + 1].entries += r.v[i].entries;
			r.v[i + 1].bytes += r.v[i].bytes;
			r.v[i + 1].in_image |= r.v[i].in_image;
			i++;
		}
		if ((f = finding(&r.v[i])) == NULL ||
		    json_array_append_new(out, f) < 0)
			rc = ctx_error_nomem(err);
	}
	free(r.v);
	free(r.venv);
	free(r.covered);
	for (i = 0; i < r.njobs; i++)
		free(r.jobs[i].full);
	free(r.jobs);
	if (rc < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

json_t *
hazard_scan(const struct entry_list *l)
{
	struct hazard_options opt;

	memset(&opt, 0, sizeof(opt));
	opt.rootfd = -1;
	return hazard_run(l, &opt, NULL);
}

/* ---- allow-listing ---- */

static int
allow_add(struct hazard_allow *a, const char *rule, size_t rlen,
    const char *path, size_t plen)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		char **r = realloc(a->rule, cap * sizeof(*r)), **p;
		if (r == NULL)
			return -1;
		a->rule = r;
		if ((p = realloc(a->path, cap * sizeof(*p))) == NULL)
			return -1;
		a->path = p;
		a->cap = cap;
	}
	/* a trailing '/' on a directory means the same directory */
	while (plen > 1 && path[plen - 1] == '/')
		plen--;
	if ((a->rule[a->n] = strndup(rule, rlen)) == NULL)
		return -1;
	if ((a->path[a->n] = strndup(path, plen)) == NULL) {
		free(a->rule[a->n]);
		return -1;
	}
	a->n++;
	return 0;
}

/* Splits "RULE PATH" (after the marker); 0 when it is not two words. */
static int
allow_words(const char *s, const char *end, struct hazard_allow *a)
{
	const char *r, *re, *p, *pe;

	for (r = s; r < end && (*r == ' ' || *r == '\t'); r++)
		;
	for (re = r; re < end && *re != ' ' && *re != '\t'; re++)
		;
	for (p = re; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	for (pe = end; pe > p && (pe[-1] == ' ' || pe[-1] == '\t' ||
	    pe[-1] == '\r'); pe--)
		;
	if (re == r || pe == p || memchr(p, ' ', (size_t)(pe - p)) != NULL)
		return 0;
	return allow_add(a, r, (size_t)(re - r), p, (size_t)(pe - p)) < 0 ? -1 : 1;
}

static int
allow_file(int rootfd, const char *name, bool bare_lines,
    struct hazard_allow *a, struct ctx_error *err)
{
	static const char marker[] = "ctxd:allow";
	char *buf, *line, *end, *nl, *s;
	size_t len, lineno = 0;
	int rc = 0, w;

	if (readfile_at(rootfd, name, &buf, &len) < 0) {
		if (errno == ENOENT)
			return 0;
		return ctx_error_sys(err, errno, "read %s", name);
	}
	for (line = buf; rc == 0 && line < buf + len; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(buf + len - line))) == NULL)
			nl = buf + len;
		end = nl;
		if (++lineno > ALLOW_MAX_LINES)
			break;
		for (s = line; s < end && (*s == ' ' || *s == '\t'); s++)
			;
		if (s < end && *s == '#') {
			for (s++; s < end && (*s == ' ' || *s == '\t'); s++)
				;
			if ((size_t)(end - s) <= sizeof(marker) - 1 ||
			    memcmp(s, marker, sizeof(marker) - 1) != 0)
				continue;
			s += sizeof(marker) - 1;
			if (*s != ' ' && *s != '\t')
				continue;
		} else if (!bare_lines || s == end || (s + 1 == end && *s == '\r')) {
			continue;
		}
		if ((w = allow_words(s, end, a)) < 0)
			rc = ctx_error_nomem(err);
		else if (w == 0)
			rc = ctx_error_set(err, CTX_ERR_IGNOREFILE,
			    "%s:%zu: expected `RULE PATH`", name, lineno);
	}
	free(buf);
	return rc;
}

int
hazard_allow_load(int rootfd, struct hazard_allow *a, struct ctx_error *err)
{
	memset(a, 0, sizeof(*a));
	if (allow_file(rootfd, ".dockerignore", false, a, err) < 0 ||
	    allow_file(rootfd, ".ctxdignore", true, a, err) < 0) {
		hazard_allow_free(a);
		return -1;
	}
	return 0;
}

void
hazard_allow_free(struct hazard_allow *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->rule[i]);
		free(a->path[i]);
	}
	free(a->rule);
	free(a->path);
	memset(a, 0, sizeof(*a));
}

json_t *
hazard_allow_apply(const struct hazard_allow *a, json_t *findings)
{
	json_t *allowed = json_array();
	const char *rule, *path;
	size_t i, k;

	for (i = 0; allowed != NULL && i < json_array_size(findings);) {
		json_t *f = json_array_get(findings, i);
		rule = json_string_value(json_object_get(f, "rule"));
		path = json_string_value(json_object_get(f, "path"));
		for (k = 0; rule != NULL && path != NULL && k < a->n; k++)
			if (fnmatch(a->rule[k], rule, 0) == 0 &&
			    fnmatch(a->path[k], path, 0) == 0)
				break;
		if (rule == NULL || path == NULL || k == a->n) {
			i++;
			continue;
		}
		json_array_append(allowed, f);
		json_array_remove(findings, i);
	}
	return allowed;
}
