/*
 * suggest_compute(): the .dockerignore lines of `ctxctl suggest` (see
 * suggest.h for what is kept and why no exception is ever written).
 * Targets are the hazard findings and the topmost unused entries of every
 * view, split where they hold a kept entry.  Candidate lines: `**` +
 * `/name` for a recurring name, and for unused files an extension line per
 * directory and one at any depth, each only when it matches no kept entry;
 * the exact anchored path of every target no such line covers.  A last
 * pass drops lines whose targets other lines all cover, exact paths first,
 * then the wildcards covering fewest targets.  Pinned by
 * tests/unit/test_suggest.c and tests/integ/suggest.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ignorefile.h"
#include "match.h"
#include "suggest.h"

struct target {
	char *path;
	size_t len;
	char type;		/* enum entry_type */
	const char *cls;	/* borrowed: a finding's class or the constant */
	bool grouped;		/* covered by a `**` line */
	size_t cover;		/* lines covering it */
};

/* The kinds of line, in the order drop_redundant() tries to drop them
 * when they cover as many targets: the broader kind goes first. */
enum cand_kind {
	CAND_ANY_EXT,		/* `**` + `/` + `*.ext` */
	CAND_DIR_EXT,		/* `/dir/` + `*.ext` */
	CAND_NAME,		/* `**` + `/name` */
	CAND_EXACT,		/* `/path` (dropped before any wildcard) */
};

struct cand {
	char *pattern;
	enum cand_kind kind;
	struct matcher *m;
	char *needle;		/* literal bytes every path it matches holds */
	size_t nn;
	size_t *tg;		/* the targets it covers */
	size_t ntg;
	bool dropped;
};

struct sg {
	const struct suggest_view *v;
	size_t nv;
	uint8_t **prot;		/* per view, per entry: never exclude */
	struct target *t;
	size_t nt, tcap;
	struct cand *c;
	size_t nc, ccap;
	struct suggestion *out;
	size_t keptcap;
	struct ctx_error *err;
};

static bool
is_dead_cls(const char *cls)
{
	return strcmp(cls, SUGGEST_DEAD_WEIGHT) == 0;
}

static int
pathcmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c != 0)
		return c;
	return (an > bn) - (an < bn);
}

/* The first entry of l not before p[0..n). */
static size_t
lower_bound(const struct entry_list *l, const char *p, size_t n)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pathcmp(l->v[mid].path, l->v[mid].path_len, p, n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t
find(const struct entry_list *l, const char *p, size_t n)
{
	size_t i = lower_bound(l, p, n);

	if (i < l->n && pathcmp(l->v[i].path, l->v[i].path_len, p, n) == 0)
		return i;
	return l->n;
}

/* e's path against p[0..n) + "/": only the order matters. */
static int
cmp_below(const struct entry *e, const char *p, size_t n)
{
	int c = memcmp(e->path, p, e->path_len < n ? e->path_len : n);

	if (c != 0)
		return c;
	if (e->path_len <= n)
		return -1;
	return (unsigned char)e->path[n] < '/' ? -1 : 1;
}

/* The entries strictly below entry i: [*lo, *hi) (every path with the
 * prefix path + "/" sorts together). */
static void
subtree(const struct entry_list *l, size_t i, size_t *lo, size_t *hi)
{
	const struct entry *e = &l->v[i];
	size_t a = 0, b = l->n, n = e->path_len;

	while (a < b) {
		size_t mid = a + (b - a) / 2;

		if (cmp_below(&l->v[mid], e->path, n) < 0)
			a = mid + 1;
		else
			b = mid;
	}
	*lo = a;
	while (a < l->n && l->v[a].path_len > n &&
	    memcmp(l->v[a].path, e->path, n) == 0 && l->v[a].path[n] == '/')
		a++;
	*hi = a;
}

size_t
suggest_unescape(const char *s, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef0123456789ABCDEF";
	const char *h1, *h2;
	size_t i, k = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 3 < len && s[i + 1] == 'x' &&
		    s[i + 2] != '\0' && s[i + 3] != '\0' &&
		    (h1 = strchr(hex, s[i + 2])) != NULL &&
		    (h2 = strchr(hex, s[i + 3])) != NULL) {
			out[k++] = (char)((((h1 - hex) & 15) << 4) | ((h2 - hex) & 15));
			i += 3;
			continue;
		}
		out[k++] = s[i];
	}
	out[k] = '\0';
	return k;
}

static bool
is_keep(const struct suggest_view *v, const struct entry *e)
{
	return (e->flags & ENTRY_INLINE) || strcmp(e->path, ".dockerignore") == 0 ||
	    (v->dockerfile != NULL && strcmp(e->path, v->dockerfile) == 0);
}

/* The first kept entry at or below i, or l->n. */
static size_t
first_kept(const struct sg *s, size_t vi, size_t i)
{
	const struct entry_list *l = s->v[vi].l;
	size_t lo, hi;

	if (s->prot[vi][i])
		return i;
	subtree(l, i, &lo, &hi);
	for (; lo < hi; lo++)
		if (s->prot[vi][lo])
			return lo;
	return l->n;
}

static int
add_kept(struct sg *s, const char *path, const char *rule, const char *why)
{
	struct suggestion *o = s->out;
	struct suggest_kept *k;
	size_t i;

	for (i = 0; i < o->nkept; i++)
		if (strcmp(o->kept[i].path, path) == 0 &&
		    strcmp(o->kept[i].rule, rule) == 0)
			return 0;
	if (o->nkept == s->keptcap) {
		size_t nc = s->keptcap ? 2 * s->keptcap : 8;

		if ((k = realloc(o->kept, nc * sizeof(*k))) == NULL)
			return ctx_error_nomem(s->err);
		o->kept = k;
		s->keptcap = nc;
	}
	k = &o->kept[o->nkept];
	k->path = strdup(path);
	k->rule = strdup(rule);
	k->why = strdup(why);
	if (k->path == NULL || k->rule == NULL || k->why == NULL) {
		free(k->path);
		free(k->rule);
		free(k->why);
		return ctx_error_nomem(s->err);
	}
	o->nkept++;
	return 0;
}

/* Why entry p of view vi is kept, in words. */
static void
kept_why(const struct sg *s, size_t vi, size_t p, char *buf, size_t size)
{
	const struct suggest_view *v = &s->v[vi];
	const struct entry *e = &v->l->v[p];
	size_t line = v->line != NULL ? v->line[p] : 0;

	if (is_keep(v, e))
		snprintf(buf, size, "docker reads %s itself", e->path);
	else if (v->named != NULL && v->named[p])
		snprintf(buf, size, "%s is named by the Dockerfile, line %zu",
		    e->path, line);
	else
		snprintf(buf, size, "%s is used by the Dockerfile, line %zu",
		    e->path, line);
}

static int
push_target(struct sg *s, const struct entry *e, const char *cls)
{
	const char *path = e->path;
	size_t len = e->path_len;
	struct target *t;

	if (s->nt == s->tcap) {
		size_t nc = s->tcap ? 2 * s->tcap : 16;

		if ((t = realloc(s->t, nc * sizeof(*t))) == NULL)
			return ctx_error_nomem(s->err);
		s->t = t;
		s->tcap = nc;
	}
	t = &s->t[s->nt];
	memset(t, 0, sizeof(*t));
	if ((t->path = malloc(len + 1)) == NULL)
		return ctx_error_nomem(s->err);
	memcpy(t->path, path, len);
	t->path[len] = '\0';
	t->len = len;
	t->type = e->type;
	t->cls = cls;
	s->nt++;
	return 0;
}

/* Entry i of view vi goes, unless it holds a kept entry: then its
 * children do (those that are not kept). */
static int
add_target(struct sg *s, size_t vi, size_t i, const char *cls)
{
	const struct entry_list *l = s->v[vi].l;
	const struct entry *e = &l->v[i];
	size_t lo, hi, n = e->path_len;

	if (first_kept(s, vi, i) == l->n)
		return push_target(s, e, cls);
	if (s->prot[vi][i])
		return 0;
	subtree(l, i, &lo, &hi);
	for (; lo < hi; lo++)
		if (memchr(l->v[lo].path + n + 1, '/',
		    l->v[lo].path_len - n - 1) == NULL &&
		    add_target(s, vi, lo, cls) < 0)
			return -1;
	return 0;
}

/* Marks the kept entries of view vi and adds its targets. */
static int
view_targets(struct sg *s, size_t vi)
{
	const struct suggest_view *v = &s->v[vi];
	const struct entry_list *l = v->l;
	uint8_t *hz, *prot;
	const json_t *f;
	char *buf, why[1024];
	size_t i, k, lo, hi, cap = 0;
	int rc = -1;

	if ((hz = calloc(l->n + 1, 1)) == NULL ||
	    (prot = s->prot[vi] = calloc(l->n + 1, 1)) == NULL) {
		free(hz);
		return ctx_error_nomem(s->err);
	}
	buf = NULL;
	json_array_foreach(v->findings, k, f) {
		const char *p = json_string_value(json_object_get(f, "path"));
		size_t pl = p != NULL ? strlen(p) : 0;

		if (p == NULL)
			continue;
		if (pl + 1 > cap) {
			char *nb = realloc(buf, pl + 1);

			if (nb == NULL) {
				ctx_error_nomem(s->err);
				goto out;
			}
			buf = nb;
			cap = pl + 1;
		}
		pl = suggest_unescape(p, pl, buf);
		if ((i = find(l, buf, pl)) == l->n)
			continue;
		hz[i] = 1;
		subtree(l, i, &lo, &hi);
		for (; lo < hi; lo++)
			hz[lo] = 1;
	}
	for (i = 0; i < l->n; i++)
		prot[i] = is_keep(v, &l->v[i]) ||
		    (v->named != NULL && v->named[i]) ||
		    (!hz[i] && (v->use == NULL || v->use[i] != 0));
	/* the hazards */
	json_array_foreach(v->findings, k, f) {
		const char *p = json_string_value(json_object_get(f, "path"));
		const char *cls = json_string_value(json_object_get(f, "class"));
		const char *rule = json_string_value(json_object_get(f, "rule"));
		size_t pl, kp;

		if (p == NULL || cls == NULL || rule == NULL)
			continue;
		pl = suggest_unescape(p, strlen(p), buf);
		if ((i = find(l, buf, pl)) == l->n)
			continue;
		if ((kp = first_kept(s, vi, i)) != l->n) {
			kept_why(s, vi, kp, why, sizeof(why));
			if (add_kept(s, p, rule, why) < 0)
				goto out;
		}
		if (add_target(s, vi, i, cls) < 0)
			goto out;
	}
	/* the dead weight, by its topmost unused entry */
	for (i = 0; v->use != NULL && i < l->n; i++) {
		const struct entry *e = &l->v[i];
		const char *slash;
		size_t par;

		if (v->use[i] != 0 || prot[i] || hz[i])
			continue;
		slash = memrchr(e->path, '/', e->path_len);
		if (slash != NULL) {
			par = find(l, e->path, (size_t)(slash - e->path));
			if (par < l->n && v->use[par] == 0 && !prot[par])
				continue;
		}
		if (add_target(s, vi, i, SUGGEST_DEAD_WEIGHT) < 0)
			goto out;
	}
	rc = 0;
out:
	free(buf);
	free(hz);
	return rc;
}

static int
target_cmp(const void *x, const void *y)
{
	const struct target *a = x, *b = y;

	return pathcmp(a->path, a->len, b->path, b->len);
}

static size_t
target_find(const struct sg *s, const char *p, size_t n)
{
	size_t lo = 0, hi = s->nt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = pathcmp(s->t[mid].path, s->t[mid].len, p, n);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return s->nt;
}

/* Sorted, one per path (a hazard's class wins over dead weight), none
 * below another. */
static void
targets_normalize(struct sg *s)
{
	size_t i, k, j;

	if (s->nt == 0)
		return;
	qsort(s->t, s->nt, sizeof(*s->t), target_cmp);
	for (i = k = 0; i < s->nt; i++) {
		if (k > 0 && target_cmp(&s->t[k - 1], &s->t[i]) == 0) {
			if (is_dead_cls(s->t[k - 1].cls))
				s->t[k - 1].cls = s->t[i].cls;
			free(s->t[i].path);
			continue;
		}
		s->t[k++] = s->t[i];
	}
	s->nt = k;
	for (i = 0; i < s->nt; i++)
		s->t[i].grouped = false;	/* reused as "below another" */
	for (i = 0; i < s->nt; i++)
		for (j = 1; j < s->t[i].len; j++)
			if (s->t[i].path[j] == '/' &&
			    target_find(s, s->t[i].path, j) != s->nt) {
				s->t[i].grouped = true;
				break;
			}
	for (i = k = 0; i < s->nt; i++) {
		if (s->t[i].grouped) {
			free(s->t[i].path);
			continue;
		}
		s->t[k] = s->t[i];
		s->t[k++].grouped = false;
	}
	s->nt = k;
}

/* s[0..n) as pattern text: `* ? [ \` escaped, and a leading '!'. */
static char *
escape_pattern(const char *prefix, const char *p, size_t n)
{
	size_t pl = strlen(prefix), i, k;
	char *o = malloc(pl + 2 * n + 1);

	if (o == NULL)
		return NULL;
	memcpy(o, prefix, pl);
	k = pl;
	for (i = 0; i < n; i++) {
		if (strchr("*?[\\", p[i]) != NULL || (i == 0 && p[i] == '!'))
			o[k++] = '\\';
		o[k++] = p[i];
	}
	o[k] = '\0';
	return o;
}

/* The matcher of one line; NULL when docker would not take it. */
static struct matcher *
line_matcher(const char *line)
{
	struct ignore_list il;
	struct matcher *m = NULL, *strict;

	ignore_list_init(&il);
	if (ignorefile_append_lines(&il, &line, 1, NULL) == 0 && il.n == 1 &&
	    il.patterns[0][0] != '!') {
		/* both builders' syntax checks must accept it */
		strict = ignore_list_compile(&il, "suggestion",
		    MATCHER_STRICT_SYNTAX, NULL);
		if (strict != NULL)
			m = ignore_list_compile(&il, "suggestion", 0, NULL);
		matcher_free(strict);
	}
	ignore_list_free(&il);
	return m;
}

static bool
matches(struct matcher *m, const char *p, size_t n)
{
	bool ex = false;

	return matcher_matches_or_parent(m, p, n, &ex, NULL) == 0 && ex;
}

/* Takes pattern and m (freed on failure); needle[0..nn) is a copy of the
 * literal bytes every path the line matches holds. */
static int
add_cand(struct sg *s, enum cand_kind kind, char *pattern, struct matcher *m,
    const char *needle, size_t nn)
{
	struct cand *c;
	char *nd = malloc(nn + 1);

	if (s->nc == s->ccap && nd != NULL) {
		size_t ncap = s->ccap ? 2 * s->ccap : 16;

		if ((c = realloc(s->c, ncap * sizeof(*c))) != NULL) {
			s->c = c;
			s->ccap = ncap;
		}
	}
	if (nd == NULL || s->nc == s->ccap) {
		free(nd);
		free(pattern);
		matcher_free(m);
		return ctx_error_nomem(s->err);
	}
	memcpy(nd, needle, nn);
	nd[nn] = '\0';
	c = &s->c[s->nc++];
	memset(c, 0, sizeof(*c));
	c->pattern = pattern;
	c->kind = kind;
	c->m = m;
	c->needle = nd;
	c->nn = nn;
	return 0;
}

/* m matches p[0..n) or a parent of it; needle first, as a cheap filter. */
static bool
matches_with(struct matcher *m, const char *needle, size_t nn, const char *p,
    size_t n)
{
	return memmem(p, n, needle, nn) != NULL && matches(m, p, n);
}

/* No kept entry of any view is matched by m (or below a match). */
static bool
safe(const struct sg *s, struct matcher *m, const char *needle, size_t nn)
{
	size_t vi, i;

	for (vi = 0; vi < s->nv; vi++)
		for (i = 0; i < s->v[vi].l->n; i++)
			if (s->prot[vi][i] && matches_with(m, needle, nn,
			    s->v[vi].l->v[i].path, s->v[vi].l->v[i].path_len))
				return false;
	return true;
}

/*
 * Adds pat (taken; NULL: out of memory) as a line of this kind when both
 * builders take it, it matches each target tg[0..n) and no kept entry;
 * marks those targets grouped.
 */
static int
try_group(struct sg *s, enum cand_kind kind, char *pat, const char *needle,
    size_t nn, const size_t *tg, size_t n)
{
	struct matcher *m;
	size_t k;

	if (pat == NULL)
		return ctx_error_nomem(s->err);
	if ((m = line_matcher(pat)) == NULL) {
		free(pat);
		return 0;
	}
	for (k = 0; k < n; k++)
		if (!matches(m, s->t[tg[k]].path, s->t[tg[k]].len))
			break;
	if (k < n || !safe(s, m, needle, nn)) {
		free(pat);
		matcher_free(m);
		return 0;
	}
	if (add_cand(s, kind, pat, m, needle, nn) < 0)
		return -1;
	for (k = 0; k < n; k++)
		s->t[tg[k]].grouped = true;
	return 0;
}

static const char *
base_of(const struct target *t, size_t *n)
{
	const char *sl = memrchr(t->path, '/', t->len);
	const char *b = sl != NULL ? sl + 1 : t->path;

	*n = t->len - (size_t)(b - t->path);
	return b;
}

/* A target's directory (empty: the root) and what a line groups it by. */
struct gkey {
	size_t t;
	const char *dir, *key;
	size_t dn, kn;
};

static int
gkey_cmp(const void *x, const void *y)
{
	const struct gkey *a = x, *b = y;
	int c = pathcmp(a->key, a->kn, b->key, b->kn);

	if (c == 0)
		c = pathcmp(a->dir, a->dn, b->dir, b->dn);
	if (c == 0)
		c = (a->t > b->t) - (a->t < b->t);
	return c;
}

/*
 * Target i keyed by its base name, or (ext) by the extension of an unused
 * file: from the last '.' of the base name that is not its first byte
 * (`.env` has none, `a.tar.gz` has `.gz`).  False when it has no key.
 */
static bool
gkey_of(const struct sg *s, size_t i, bool ext, struct gkey *k)
{
	const struct target *t = &s->t[i];
	const char *b = base_of(t, &k->kn), *dot;

	k->t = i;
	k->dir = t->path;
	k->dn = b > t->path ? (size_t)(b - t->path) - 1 : 0;
	k->key = b;
	if (!ext)
		return true;
	if (!is_dead_cls(t->cls) || t->type == ENTRY_DIR || k->kn < 3 ||
	    (dot = memrchr(b + 1, '.', k->kn - 1)) == NULL || dot == b + k->kn - 1)
		return false;
	k->kn -= (size_t)(dot - b);
	k->key = dot;
	return true;
}

/* The targets keyed, sorted by key then directory; *ix their indices. */
static struct gkey *
gkeys(struct sg *s, bool ext, size_t **ix, size_t *n)
{
	struct gkey *k = calloc(s->nt + 1, sizeof(*k));
	size_t i;

	*ix = malloc((s->nt + 1) * sizeof(**ix));
	if (k == NULL || *ix == NULL) {
		free(k);
		free(*ix);
		ctx_error_nomem(s->err);
		return NULL;
	}
	for (i = *n = 0; i < s->nt; i++)
		if (gkey_of(s, i, ext, &k[*n]))
			(*n)++;
	qsort(k, *n, sizeof(*k), gkey_cmp);
	for (i = 0; i < *n; i++)
		(*ix)[i] = k[i].t;
	return k;
}

/* The end of the run of k[i..n) with k[i]'s key (and directory). */
static size_t
run_end(const struct gkey *k, size_t i, size_t n, bool dir)
{
	size_t j = i + 1;

	while (j < n && pathcmp(k[i].key, k[i].kn, k[j].key, k[j].kn) == 0 &&
	    (!dir || pathcmp(k[i].dir, k[i].dn, k[j].dir, k[j].dn) == 0))
		j++;
	return j;
}

/* `**` + `/name` for each name that is a target at two places or more. */
static int
name_candidates(struct sg *s)
{
	struct gkey *k;
	size_t *ix, n, i, j;
	int rc = 0;

	if ((k = gkeys(s, false, &ix, &n)) == NULL)
		return -1;
	for (i = 0; i < n && rc == 0; i = j)
		if ((j = run_end(k, i, n, false)) - i >= 2)
			rc = try_group(s, CAND_NAME, escape_pattern("**/",
			    k[i].key, k[i].kn), k[i].key, k[i].kn, ix + i, j - i);
	free(k);
	free(ix);
	return rc;
}

/* prefix, the directory escaped and '/' (nothing for the root), then `*`
 * and the extension escaped; NULL when out of memory. */
static char *
ext_pattern(const char *prefix, const struct gkey *k, bool dir)
{
	char *d = escape_pattern(prefix, k->dir, dir ? k->dn : 0);
	char *e = escape_pattern("", k->key, k->kn), *o = NULL;

	if (d != NULL && e != NULL && asprintf(&o, "%s%s*%s", d,
	    dir && k->dn > 0 ? "/" : "", e) < 0)
		o = NULL;
	free(d);
	free(e);
	return o;
}

/* For the unused files of each extension: `/dir/` + `*.ext` where a
 * directory holds two or more, `**` + `/` + `*.ext` where two or more
 * directories hold some. */
static int
ext_candidates(struct sg *s)
{
	struct gkey *k;
	size_t *ix, n, i, j, d, e, ndirs;
	int rc = 0;

	if ((k = gkeys(s, true, &ix, &n)) == NULL)
		return -1;
	for (i = 0; i < n && rc == 0; i = j) {
		j = run_end(k, i, n, false);
		for (d = i, ndirs = 0; d < j && rc == 0; d = e, ndirs++)
			if ((e = run_end(k, d, j, true)) - d >= 2)
				rc = try_group(s, CAND_DIR_EXT, ext_pattern("/",
				    &k[d], true), k[d].key, k[d].kn, ix + d, e - d);
		if (rc == 0 && ndirs >= 2)
			rc = try_group(s, CAND_ANY_EXT, ext_pattern("**/",
			    &k[i], false), k[i].key, k[i].kn, ix + i, j - i);
	}
	free(k);
	free(ix);
	return rc;
}

/* A target no line can name (a newline in it, a name docker trims). */
static int
kept_unwritable(struct sg *s, const struct target *t)
{
	char *esc = malloc(4 * t->len + 1), *p;
	const char *q;
	int rc;

	if (esc == NULL)
		return ctx_error_nomem(s->err);
	/* the findings' escaping: bytes below 0x20, 0x7f and '\' as \xHH */
	for (p = esc, q = t->path; q < t->path + t->len; q++) {
		unsigned char ch = (unsigned char)*q;

		if (ch < 0x20 || ch == 0x7f || ch == '\\')
			p += sprintf(p, "\\x%02x", ch);
		else
			*p++ = (char)ch;
	}
	*p = '\0';
	rc = add_kept(s, esc, is_dead_cls(t->cls) ? SUGGEST_DEAD_WEIGHT :
	    t->cls, "no .dockerignore line can name it");
	free(esc);
	return rc;
}

/* The anchored exact path of each target no wildcard line covers. */
static int
exact_candidates(struct sg *s)
{
	size_t i;

	for (i = 0; i < s->nt; i++) {
		struct target *t = &s->t[i];
		struct matcher *m;
		char *pat;

		if (t->grouped)
			continue;
		if ((pat = escape_pattern("/", t->path, t->len)) == NULL)
			return ctx_error_nomem(s->err);
		m = NULL;
		if (memchr(t->path, '\n', t->len) == NULL &&
		    memchr(t->path, '\r', t->len) == NULL)
			m = line_matcher(pat);
		if (m != NULL && !matches(m, t->path, t->len)) {
			matcher_free(m);
			m = NULL;
		}
		if (m == NULL) {
			free(pat);
			if (kept_unwritable(s, t) < 0)
				return -1;
			continue;
		}
		if (add_cand(s, CAND_EXACT, pat, m, t->path, t->len) < 0)
			return -1;
	}
	return 0;
}

/* The order lines are tried for dropping: exact paths, then the lines
 * covering fewest targets, then the broader kind. */
struct dropkey {
	size_t c, ntg;
	enum cand_kind kind;
};

static int
dropkey_cmp(const void *x, const void *y)
{
	const struct dropkey *a = x, *b = y;
	int ae = a->kind == CAND_EXACT, be = b->kind == CAND_EXACT;

	if (ae != be)
		return be - ae;
	if (a->ntg != b->ntg)
		return a->ntg < b->ntg ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return (a->c > b->c) - (a->c < b->c);
}

/* Which targets line c covers. */
static int
cover(struct sg *s, struct cand *c)
{
	size_t j;

	if ((c->tg = malloc((s->nt + 1) * sizeof(*c->tg))) == NULL)
		return ctx_error_nomem(s->err);
	for (j = 0; j < s->nt; j++)
		if (matches_with(c->m, c->needle, c->nn, s->t[j].path,
		    s->t[j].len)) {
			c->tg[c->ntg++] = j;
			s->t[j].cover++;
		}
	return 0;
}

/* Drops, in dropkey order, each line whose targets other lines all cover
 * too: what is left is irredundant. */
static int
drop_redundant(struct sg *s)
{
	struct dropkey *o;
	size_t i, j;

	if ((o = calloc(s->nc + 1, sizeof(*o))) == NULL)
		return ctx_error_nomem(s->err);
	for (i = 0; i < s->nc; i++) {
		if (cover(s, &s->c[i]) < 0) {
			free(o);
			return -1;
		}
		o[i].c = i;
		o[i].ntg = s->c[i].ntg;
		o[i].kind = s->c[i].kind;
	}
	qsort(o, s->nc, sizeof(*o), dropkey_cmp);
	for (i = 0; i < s->nc; i++) {
		struct cand *c = &s->c[o[i].c];
		bool needed = false;

		for (j = 0; j < c->ntg && !needed; j++)
			needed = s->t[c->tg[j]].cover < 2;
		if (needed)
			continue;
		c->dropped = true;
		for (j = 0; j < c->ntg; j++)
			s->t[c->tg[j]].cover--;
	}
	free(o);
	return 0;
}

static int
line_cmp(const void *x, const void *y)
{
	const struct suggest_line *a = x, *b = y;
	int ad = is_dead_cls(a->cls), bd = is_dead_cls(b->cls), c;

	if (ad != bd)
		return ad - bd;
	if ((c = strcmp(a->cls, b->cls)) != 0)
		return c;
	return strcmp(a->pattern, b->pattern);
}

static int
kept_cmp(const void *x, const void *y)
{
	const struct suggest_kept *a = x, *b = y;
	int c = strcmp(a->path, b->path);

	return c != 0 ? c : strcmp(a->rule, b->rule);
}

static int
emit(struct sg *s)
{
	struct suggestion *o = s->out;
	size_t i, j;

	if ((o->lines = calloc(s->nc + 1, sizeof(*o->lines))) == NULL)
		return ctx_error_nomem(s->err);
	for (i = 0; i < s->nc; i++) {
		struct cand *c = &s->c[i];
		const char *cls = SUGGEST_DEAD_WEIGHT;
		struct suggest_line *ln;

		if (c->dropped)
			continue;
		for (j = 0; j < c->ntg; j++)
			if (!is_dead_cls(s->t[c->tg[j]].cls)) {
				cls = s->t[c->tg[j]].cls;
				break;
			}
		ln = &o->lines[o->nlines];
		ln->pattern = c->pattern;
		if ((ln->cls = strdup(cls)) == NULL)
			return ctx_error_nomem(s->err);
		c->pattern = NULL;
		o->nlines++;
	}
	qsort(o->lines, o->nlines, sizeof(*o->lines), line_cmp);
	if (o->nkept > 0)
		qsort(o->kept, o->nkept, sizeof(*o->kept), kept_cmp);
	return 0;
}

int
suggest_compute(const struct suggest_view *v, size_t nv,
    struct suggestion *out, struct ctx_error *err)
{
	struct sg s;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	s.v = v;
	s.nv = nv;
	s.out = out;
	s.err = err;
	if ((s.prot = calloc(nv + 1, sizeof(*s.prot))) == NULL)
		return ctx_error_nomem(err);
	for (i = 0; i < nv; i++)
		if (view_targets(&s, i) < 0)
			goto out;
	targets_normalize(&s);
	if (name_candidates(&s) < 0 || ext_candidates(&s) < 0 ||
	    exact_candidates(&s) < 0 ||
	    drop_redundant(&s) < 0 || emit(&s) < 0)
		goto out;
	rc = 0;
out:
	for (i = 0; i < nv; i++)
		free(s.prot[i]);
	free(s.prot);
	for (i = 0; i < s.nt; i++)
		free(s.t[i].path);
	free(s.t);
	for (i = 0; i < s.nc; i++) {
		free(s.c[i].pattern);
		free(s.c[i].tg);
		free(s.c[i].needle);
		matcher_free(s.c[i].m);
	}
	free(s.c);
	if (rc < 0)
		suggestion_free(out);
	return rc;
}

void
suggestion_free(struct suggestion *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nlines; i++) {
		free(s->lines[i].pattern);
		free(s->lines[i].cls);
	}
	for (i = 0; i < s->nkept; i++) {
		free(s->kept[i].path);
		free(s->kept[i].rule);
		free(s->kept[i].why);
	}
	free(s->lines);
	free(s->kept);
	memset(s, 0, sizeof(*s));
}
