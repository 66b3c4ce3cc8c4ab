/*
 * The built-in hazard checks (see hazard.h).  A directory hazard (.git,
 * a virtualenv, __pycache__) is one finding for the whole directory with
 * the entries and bytes sent below it; a secret file is one finding.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hazard.h"
#include "manifest.h"
#include "proto.h"

struct rule {
	const char *cls, *id, *severity, *fix;
};

static const struct rule rule_vcs = { "vcs", "vcs-git", "high",
	"add `.git` (and `**/.git`) to .dockerignore" };
static const struct rule rule_venv = { "venv", "venv-python", "high",
	"add the virtualenv directory to .dockerignore and install dependencies in the image" };
static const struct rule rule_pycache = { "pycache", "pycache", "low",
	"add `**/__pycache__` and `**/*.py[co]` to .dockerignore" };
static const struct rule rule_env = { "secret", "secret-dotenv", "high",
	"add `.env` and `.env.*` (keeping `!.env.example`) to .dockerignore" };

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

static bool
is_dotenv(const char *base)
{
	static const char *const safe[] = { ".env.example", ".env.sample",
	    ".env.template", ".env.dist", ".env.defaults" };
	size_t i;

	if (strcmp(base, ".env") != 0 && strncmp(base, ".env.", 5) != 0)
		return false;
	for (i = 0; i < sizeof(safe) / sizeof(safe[0]); i++)
		if (strcmp(base, safe[i]) == 0)
			return false;
	return true;
}

static json_t *
finding(const struct rule *r, const char *path, size_t len, size_t entries,
    uint64_t bytes)
{
	char *esc = malloc(4 * len + 1);
	json_t *o;

	if (esc == NULL)
		return NULL;
	esc[manifest_escape(esc, path, len)] = '\0';
	o = json_pack("{s:s,s:s,s:s,s:o,s:I,s:I,s:b,s:s}", "class", r->cls,
	    "rule", r->id, "severity", r->severity, "path",
	    proto_str_json(esc), "entries", (json_int_t)entries,
	    "bytes", (json_int_t)bytes, "in_image", 0, "fix", r->fix);
	free(esc);
	return o;
}

struct agg {
	const struct rule *r;
	const char *path;	/* borrowed from the entry list */
	size_t len, entries;
	uint64_t bytes;
};

struct aggs {
	struct agg *v;
	size_t n, cap;
	const char **venvs;	/* directories holding pyvenv.cfg */
	size_t *venvlen;
	size_t nvenv, capvenv;
};

static int
agg_add(struct aggs *a, const struct rule *r, const char *path, size_t len,
    uint64_t bytes)
{
	size_t i;

	/* Entries of one hazard directory are mostly adjacent: look back. */
	for (i = a->n; i > 0 && i + 8 > a->n; i--) {
		struct agg *g = &a->v[i - 1];
		if (g->r == r && g->len == len && memcmp(g->path, path, len) == 0) {
			g->entries++;
			g->bytes += bytes;
			return 0;
		}
	}
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		struct agg *v = realloc(a->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = (struct agg){ r, path, len, 1, bytes };
	return 0;
}

static bool
is_venv(const struct aggs *a, const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < a->nvenv; i++)
		if (a->venvlen[i] == len && memcmp(a->venvs[i], path, len) == 0)
			return true;
	return false;
}

/* A virtualenv is what it is, not its name: a directory with pyvenv.cfg. */
static int
find_venvs(const struct entry_list *l, struct aggs *a)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct entry *e = &l->v[i];
		const char *base = base_name(e->path);
		if (e->type != ENTRY_FILE || strcmp(base, "pyvenv.cfg") != 0 ||
		    base == e->path)
			continue;
		if (a->nvenv == a->capvenv) {
			size_t cap = a->capvenv ? a->capvenv * 2 : 4;
			const char **v = realloc(a->venvs, cap * sizeof(*v));
			size_t *vl;
			if (v == NULL)
				return -1;
			a->venvs = v;
			if ((vl = realloc(a->venvlen, cap * sizeof(*vl))) == NULL)
				return -1;
			a->venvlen = vl;
			a->capvenv = cap;
		}
		a->venvs[a->nvenv] = e->path;
		a->venvlen[a->nvenv++] = (size_t)(base - 1 - e->path);
	}
	return 0;
}

/* The first ancestor-or-self of e that is a hazard directory. */
static const struct rule *
dir_hazard(const struct aggs *a, const struct entry *e, size_t *len)
{
	const char *p = e->path, *end = e->path + e->path_len, *c, *slash;

	for (c = p; c < end; c = slash + 1) {
		slash = memchr(c, '/', (size_t)(end - c));
		if (slash == NULL)
			slash = end;
		*len = (size_t)(slash - p);
		if ((size_t)(slash - c) == 4 && memcmp(c, ".git", 4) == 0 &&
		    (slash < end || e->type == ENTRY_DIR || e->type == ENTRY_FILE))
			return &rule_vcs;
		if ((size_t)(slash - c) == 11 && memcmp(c, "__pycache__", 11) == 0 &&
		    (slash < end || e->type == ENTRY_DIR))
			return &rule_pycache;
		if (is_venv(a, p, *len) && (slash < end || e->type == ENTRY_DIR))
			return &rule_venv;
		if (slash == end)
			break;
	}
	return NULL;
}

static int
agg_cmp(const void *x, const void *y)
{
	const struct agg *a = x, *b = y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->path, b->path, n);

	if (c != 0)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return strcmp(a->r->id, b->r->id);
}

json_t *
hazard_scan(const struct entry_list *l)
{
	struct aggs a;
	json_t *out = json_array();
	const struct rule *r;
	size_t i, len;
	int rc = 0;

	memset(&a, 0, sizeof(a));
	if (out == NULL || find_venvs(l, &a) < 0)
		rc = -1;
	for (i = 0; rc == 0 && i < l->n; i++) {
		const struct entry *e = &l->v[i];
		if ((r = dir_hazard(&a, e, &len)) != NULL)
			rc = agg_add(&a, r, e->path, len, e->size);
		else if (e->type == ENTRY_FILE && is_dotenv(base_name(e->path)))
			rc = agg_add(&a, &rule_env, e->path, e->path_len, e->size);
	}
	if (rc == 0 && a.n > 1)
		qsort(a.v, a.n, sizeof(a.v[0]), agg_cmp);
	for (i = 0; rc == 0 && i < a.n; i++) {
		/* the look-back of agg_add may have split one directory */
		while (i + 1 < a.n && agg_cmp(&a.v[i], &a.v[i + 1]) == 0) {
			a.v[i + 1].entries += a.v[i].entries;
			a.v[i + 1].bytes += a.v[i].bytes;
			i++;
		}
		json_array_append_new(out, finding(a.v[i].r, a.v[i].path,
		    a.v[i].len, a.v[i].entries, a.v[i].bytes));
	}
	free(a.v);
	free(a.venvs);
	free(a.venvlen);
	if (rc < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static bool
same_finding(const json_t *a, const json_t *b)
{
	return json_equal(json_object_get(a, "rule"), json_object_get(b, "rule")) &&
	    json_equal(json_object_get(a, "path"), json_object_get(b, "path"));
}

json_t *
hazard_diff(const json_t *a, const json_t *b)
{
	json_t *out = json_array();
	size_t i, j;
	bool found;

	for (i = 0; out != NULL && i < json_array_size(a); i++) {
		found = false;
		for (j = 0; !found && j < json_array_size(b); j++)
			found = same_finding(json_array_get(a, i), json_array_get(b, j));
		if (!found)
			json_array_append(out, json_array_get(a, i));
	}
	return out;
}
