/*
 * Which context entries the stages a build builds use: every COPY/ADD source
 * and RUN --mount bind of dfgraph.c's reads, matched against the entry list
 * the way BuildKit's file operation matches them (fsutil copy: wildcards
 * resolved per path element, symbolic links followed inside the root,
 * --exclude and --parents patterns relative to the source), or the way the
 * classic builder's copier does (classic_source()).  Pinned by
 * tests/unit/test_dfuse.c and tests/unit/test_dfuse_classic.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfgraph.h"
#include "dfuse.h"
#include "dockerfile.h"
#include "gopath.h"
#include "match.h"

/* continuity fs.RootPath gives up after this many links. */
#define DFUSE_MAX_LINKS 255

struct du {
	const char *name;
	const struct entry_list *l;
	struct dfuse *out;
	struct ctx_error *err;
	/* the read being matched */
	unsigned bits;
	size_t line;
	struct matcher *inc, *exc;
	bool *res, *pres;	/* matcher_count(exc) bools each */
	unsigned whole_bits;	/* every entry already has these bits */
	bool classic;		/* the legacy builder's matching */
};

static int	duerr(struct du *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int
duerr(struct du *u, const char *fmt, ...)
{
	char m[800];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return ctx_error_set(u->err, CTX_ERR_DOCKERFILE, "%s:%zu: %s", u->name,
	    u->line, m);
}

/* The entry order of entry_list_sort(): raw bytes, then length. */
static int
pathcmp(const struct entry *e, const char *p, size_t n)
{
	size_t k = e->path_len < n ? e->path_len : n;
	int c = memcmp(e->path, p, k);

	if (c != 0)
		return c;
	return (e->path_len > n) - (e->path_len < n);
}

/* The first entry not before p[0..n). */
static size_t
lower_bound(const struct entry_list *l, const char *p, size_t n)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pathcmp(&l->v[mid], p, n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The index of the entry p[0..n), or l->n. */
static size_t
find(const struct entry_list *l, const char *p, size_t n)
{
	size_t i = lower_bound(l, p, n);

	return i < l->n && pathcmp(&l->v[i], p, n) == 0 ? i : l->n;
}

/* named: the source itself (or a link on its way) resolved to entry i, so
 * excluding i would change what the instruction names, or fail it; an
 * entry reached only below a source directory is not named. */
static void
mark(struct du *u, size_t i, bool named)
{
	uint8_t old = u->out->use[i];

	u->out->use[i] |= (uint8_t)u->bits;
	if (named)
		u->out->named[i] = 1;
	if (u->out->line[i] == 0 || ((u->bits & DFUSE_LAYER) &&
	    !(old & DFUSE_LAYER)))
		u->out->line[i] = u->line;
}

/*
 * The entries below dir[0..n) ("" is the context root) are the range
 * [*lo, *hi): every path with the prefix dir + '/' sorts together.
 */
static int
below(struct du *u, const char *dir, size_t n, size_t *lo, size_t *hi)
{
	const struct entry_list *l = u->l;
	char *p;
	size_t i;

	if (n == 0) {
		*lo = 0;
		*hi = l->n;
		return 0;
	}
	if ((p = malloc(n + 1)) == NULL)
		return ctx_error_nomem(u->err);
	memcpy(p, dir, n);
	p[n] = '/';
	i = lower_bound(l, p, n + 1);
	*lo = i;
	while (i < l->n && l->v[i].path_len > n &&
	    memcmp(l->v[i].path, p, n + 1) == 0)
		i++;
	*hi = i;
	free(p);
	return 0;
}

/*
 * fs.RootPath: path p (clean, relative) with every symbolic link of the
 * context on the way followed, scoped to the root (an absolute target starts
 * again at the root, `..` stops there).  The links followed are used too.
 * *res is malloc'ed, relative, "" for the root.
 */
static int
resolve(struct du *u, const char *p, char **res, size_t *reslen)
{
	const struct entry_list *l = u->l;
	char *rest = strdup(p), *cur = NULL;
	size_t pos = 0, rlen, clen = 0, ccap, links = 0;

	if (rest == NULL)
		return ctx_error_nomem(u->err);
	rlen = strlen(rest);
	ccap = rlen + 1;
	if ((cur = malloc(ccap)) == NULL)
		goto nomem;
	cur[0] = '\0';
	while (pos < rlen) {
		size_t s, e, i, ol;

		while (pos < rlen && rest[pos] == '/')
			pos++;
		s = pos;
		while (pos < rlen && rest[pos] != '/')
			pos++;
		e = pos;
		if (e == s || (e - s == 1 && rest[s] == '.'))
			continue;
		if (e - s == 2 && rest[s] == '.' && rest[s + 1] == '.') {
			while (clen > 0 && cur[clen - 1] != '/')
				clen--;
			if (clen > 0)
				clen--;
			cur[clen] = '\0';
			continue;
		}
		if (clen + 1 + (e - s) + 1 > ccap) {
			size_t nc = (clen + 1 + (e - s) + 1) * 2;
			char *n = realloc(cur, nc);

			if (n == NULL)
				goto nomem;
			cur = n;
			ccap = nc;
		}
		ol = clen;
		if (clen > 0)
			cur[clen++] = '/';
		memcpy(cur + clen, rest + s, e - s);
		clen += e - s;
		cur[clen] = '\0';
		i = find(l, cur, clen);
		if (i < l->n && l->v[i].type == ENTRY_LINK &&
		    l->v[i].link != NULL && links < DFUSE_MAX_LINKS) {
			const char *t = l->v[i].link;
			size_t tl = strlen(t), left = rlen - e;
			char *nr = malloc(tl + 1 + left + 1);

			if (nr == NULL)
				goto nomem;
			links++;
			mark(u, i, true);
			memcpy(nr, t, tl);
			nr[tl] = '/';
			memcpy(nr + tl + 1, rest + e, left);
			nr[tl + 1 + left] = '\0';
			free(rest);
			rest = nr;
			rlen = tl + 1 + left;
			pos = 0;
			/* a relative target starts at the link's directory */
			clen = t[0] == '/' ? 0 : ol;
			cur[clen] = '\0';
		}
	}
	free(rest);
	*res = cur;
	*reslen = clen;
	return 0;
nomem:
	free(rest);
	free(cur);
	return ctx_error_nomem(u->err);
}

/*
 * fsutil copier.exclude along the walk: each element of rel (relative to
 * the source) with its parent's per-pattern results; an excluded directory
 * is skipped unless an exception pattern reaches below it.
 */
static int
excluded(struct du *u, const char *rel, size_t n, bool is_dir, bool *out)
{
	size_t cnt = matcher_count(u->exc), j;
	bool have_parent = false;

	*out = false;
	for (j = 1; j <= n; j++) {
		bool ex, *t;

		if (j < n && rel[j] != '/')
			continue;
		if (matcher_matches_parent(u->exc, rel, j, have_parent ?
		    u->pres : NULL, u->res, &ex, u->err) == -1)
			return duerr(u, "failed to match excludepatterns: %s",
			    u->err ? u->err->msg : "");
		if (ex) {
			if ((j < n || is_dir) && matcher_has_exclusions(u->exc)
			    && matcher_exception_below(u->exc, rel, j))
				;	/* entered: an exception lies below */
			else {
				*out = true;
				return 0;
			}
		}
		t = u->pres;
		u->pres = u->res;
		u->res = t;
		have_parent = cnt > 0;
	}
	return 0;
}

/* Copy (or mount) the source that resolved to root[0..n). */
static int
use_root(struct du *u, const char *root, size_t n)
{
	const struct entry_list *l = u->l;
	size_t i, lo, hi;

	if (n > 0) {
		i = find(l, root, n);
		if (i == l->n)
			return 0;	/* the build would fail: not found */
		if (l->v[i].type != ENTRY_DIR) {
			mark(u, i, true);	/* patterns never apply to the source */
			return 0;
		}
		if (u->inc == NULL)
			mark(u, i, true);
	} else if (u->inc == NULL && u->exc == NULL) {
		u->out->whole = true;
		if (u->bits & DFUSE_LAYER)
			u->out->whole_layer = true;
		/* a second COPY . . changes nothing (and costs a full pass) */
		if ((u->whole_bits & u->bits) == u->bits)
			return 0;
		u->whole_bits |= u->bits;
	}
	if (below(u, root, n, &lo, &hi) == -1)
		return -1;
	for (i = lo; i < hi; i++) {
		const struct entry *e = &l->v[i];
		const char *rel = n > 0 ? e->path + n + 1 : e->path;
		size_t rl = n > 0 ? e->path_len - n - 1 : e->path_len;
		bool hit;

		if (u->inc != NULL) {
			if (matcher_matches_or_parent(u->inc, rel, rl, &hit,
			    u->err) == -1)
				return duerr(u, "failed to match includepatterns:"
				    " %s", u->err ? u->err->msg : "");
			if (!hit)
				continue;
		}
		if (u->exc != NULL) {
			if (excluded(u, rel, rl, e->type == ENTRY_DIR, &hit) == -1)
				return -1;
			if (hit)
				continue;
		}
		/* a --parents include pattern names what it matches */
		mark(u, i, u->inc != NULL);
	}
	return 0;
}

/* fsutil containsWildcards: * ? [ outside a backslash escape. */
static bool
has_wildcards(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '*' || s[i] == '?' || s[i] == '[')
			return true;
	}
	return false;
}

/*
 * ResolveWildcards: the elements of src (relative, clean) before the first
 * one with a wildcard are a literal path, resolved through links; the rest
 * is matched with filepath.Match against every path below it (Walk: links
 * are not followed there).  Each match is then resolved (the source is
 * followed when it is a link) and copied.
 */
static int
use_source(struct du *u, const char *src, bool wild)
{
	const struct entry_list *l = u->l;
	size_t n = strlen(src), s = 0, e, i, lo, hi, bl, *hits = NULL, nhits = 0;
	char *base = NULL, *lit, *r;
	int rc = -1;

	while (wild && s < n) {
		for (e = s; e < n && src[e] != '/'; e++)
			;
		if (has_wildcards(src + s, e - s))
			break;
		s = e < n ? e + 1 : e;
	}
	if (!wild || s >= n) {
		if (resolve(u, src, &r, &bl) == -1)
			return -1;
		rc = use_root(u, r, bl);
		free(r);
		return rc;
	}
	if ((lit = strndup(src, s > 0 ? s - 1 : 0)) == NULL)
		return ctx_error_nomem(u->err);
	if (resolve(u, lit, &base, &bl) == -1) {
		free(lit);
		return -1;
	}
	free(lit);
	if (bl > 0 && ((i = find(l, base, bl)) == l->n ||
	    l->v[i].type != ENTRY_DIR)) {
		rc = 0;
		goto out;
	}
	if (below(u, base, bl, &lo, &hi) == -1)
		goto out;
	if (hi > lo && (hits = malloc((hi - lo) * sizeof(*hits))) == NULL) {
		ctx_error_nomem(u->err);
		goto out;
	}
	for (i = lo; i < hi; i++) {
		const struct entry *en = &l->v[i];
		const char *rel = bl > 0 ? en->path + bl + 1 : en->path;
		size_t rl = bl > 0 ? en->path_len - bl - 1 : en->path_len;

		if (gopath_match(src + s, n - s, rel, rl, true) == 1)
			hits[nhits++] = i;
	}
	for (i = 0; i < nhits; i++) {
		size_t rlen;

		if (resolve(u, l->v[hits[i]].path, &r, &rlen) == -1)
			goto out;
		if (use_root(u, r, rlen) == -1) {
			free(r);
			goto out;
		}
		free(r);
	}
	rc = 0;
out:
	free(hits);
	free(base);
	return rc;
}

/*
 * The classic builder's COPY/ADD source (moby builder/dockerfile/copy.go
 * calcCopyInfo, copyWithWildcards): one leading "/", then one "./", are cut
 * and nothing else is cleaned; a source with a wildcard is matched whole by
 * filepath.Match against the path of every entry (a walk from the root
 * that follows no link: nothing is reached through a linked directory, and
 * a pattern holding `//` or `/./` matches nothing); each match, and a source
 * without wildcards, is then resolved through the links inside the context
 * (pkg/containerfs ResolveScopedPath) and copied whole.  A source that
 * climbs out of the context was refused by dfgraph.c.
 */
static int
classic_source(struct du *u, const char *src)
{
	const struct entry_list *l = u->l;
	const char *p = src;
	size_t i, n, rl;
	char *r;
	int rc = 0;

	if (*p == '/')
		p++;
	if (p[0] == '.' && p[1] == '/')
		p += 2;
	n = strlen(p);
	if (!has_wildcards(p, n)) {
		if (resolve(u, p, &r, &rl) == -1)
			return -1;
		rc = use_root(u, r, rl);
		free(r);
		return rc;
	}
	for (i = 0; i < l->n && rc == 0; i++) {
		if (gopath_match(p, n, l->v[i].path, l->v[i].path_len, false) !=
		    1)
			continue;
		if (resolve(u, l->v[i].path, &r, &rl) == -1)
			return -1;
		rc = use_root(u, r, rl);
		free(r);
	}
	return rc;
}

static int
new_matcher(struct du *u, const char *const *pats, size_t n, const char *what,
    struct matcher **m)
{
	*m = matcher_new_flags(pats, NULL, n, MATCHER_STRICT_SYNTAX, NULL,
	    u->err);
	if (*m == NULL)
		return duerr(u, "invalid %s: %s", what,
		    u->err ? u->err->msg : "");
	return 0;
}

static bool
flag_true(const struct dockerfile_instr *ins, const char *name)
{
	const char *v = dockerfile_flag(ins, name);

	return v != NULL && strcmp(v, "true") == 0;
}

/* One read of a stage the build builds. */
static int
use_read(struct du *u, const struct dfgraph_read *r)
{
	const struct dockerfile_instr *ins = r->ins;
	const char **ex = NULL;
	char *root = NULL, *pat = NULL;
	const char *piv;
	size_t i, nex = 0;
	bool wild = r->kind == DFGRAPH_COPY;
	int rc = -1;

	u->bits = r->kind == DFGRAPH_BIND ? DFUSE_MOUNT : DFUSE_LAYER;
	u->line = ins->start_line;
	u->inc = u->exc = NULL;
	u->res = u->pres = NULL;
	if (u->classic)
		return classic_source(u, r->src);
	if (r->kind == DFGRAPH_COPY && flag_true(ins, "parents")) {
		/* convert.go dispatchCopy: an optional /./ pivot */
		if ((piv = strstr(r->src, "/./")) != NULL) {
			char *p = strndup(r->src, (size_t)(piv - r->src));

			if (p == NULL)
				return ctx_error_nomem(u->err);
			root = dfgraph_join_root(p);
			pat = dfgraph_join_root(piv + 3);
			free(p);
		} else {
			root = strdup("/");
			pat = dfgraph_join_root(r->src);
		}
		if (root == NULL || pat == NULL) {
			ctx_error_nomem(u->err);
			goto out;
		}
		/* "/" includes all: no pattern (patternmatcher drops "") */
		if (pat[1] != '\0') {
			const char *p1 = pat + 1;

			if (new_matcher(u, &p1, 1, "include pattern", &u->inc) ==
			    -1)
				goto out;
		}
	} else if ((root = dfgraph_join_root(r->src)) == NULL)
		return ctx_error_nomem(u->err);
	if (r->kind == DFGRAPH_COPY) {
		for (i = 0; i < ins->nflags; i++)
			if (strcmp(ins->flags[i].name, "exclude") == 0)
				nex++;
		if (nex > 0) {
			if ((ex = calloc(nex, sizeof(*ex))) == NULL) {
				ctx_error_nomem(u->err);
				goto out;
			}
			nex = 0;
			for (i = 0; i < ins->nflags; i++)
				if (strcmp(ins->flags[i].name, "exclude") == 0)
					ex[nex++] = ins->flags[i].value;
			if (new_matcher(u, ex, nex, "excludepatterns", &u->exc) ==
			    -1)
				goto out;
			i = matcher_count(u->exc);
			u->res = calloc(i + 1, sizeof(bool));
			u->pres = calloc(i + 1, sizeof(bool));
			if (u->res == NULL || u->pres == NULL) {
				ctx_error_nomem(u->err);
				goto out;
			}
			if (i == 0) {
				matcher_free(u->exc);
				u->exc = NULL;
			}
		}
	}
	rc = use_source(u, root + 1, wild);
out:
	matcher_free(u->inc);
	matcher_free(u->exc);
	free(u->res);
	free(u->pres);
	u->inc = u->exc = NULL;
	u->res = u->pres = NULL;
	free(ex);
	free(root);
	free(pat);
	return rc;
}

/* A directory is used with everything used below it: children come after
 * their parent, so one backward pass carries the bits up. */
static void
propagate(const struct entry_list *l, struct dfuse *out)
{
	size_t i;

	for (i = l->n; i > 0; i--) {
		const struct entry *e = &l->v[i - 1];
		const char *slash;
		size_t p;

		if (out->use[i - 1] == 0)
			continue;
		slash = memrchr(e->path, '/', e->path_len);
		if (slash == NULL)
			continue;
		p = find(l, e->path, (size_t)(slash - e->path));
		if (p == l->n)
			continue;
		if (out->line[p] == 0 || ((out->use[i - 1] & DFUSE_LAYER) &&
		    !(out->use[p] & DFUSE_LAYER)))
			out->line[p] = out->line[i - 1];
		out->use[p] |= out->use[i - 1];
	}
}

int
dfuse_analyze(const char *dockerfile, size_t len, const char *name,
    const struct buildplan_options *opt, const struct entry_list *l,
    struct dfuse *out, struct ctx_error *err)
{
	struct du u = { .name = name ? name : "Dockerfile", .l = l,
	    .out = out, .err = err, .classic = opt != NULL &&
	    opt->builder == BUILDER_CLASSIC };
	struct dockerfile *df = NULL;
	struct dfgraph g = { 0 };
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return ctx_error_set(err, CTX_ERR_DOCKERFILE, "%s: the "
		    "Dockerfile cannot be empty", u.name);
	out->use = calloc(l->n + 1, sizeof(*out->use));
	out->line = calloc(l->n + 1, sizeof(*out->line));
	out->named = calloc(l->n + 1, sizeof(*out->named));
	if (out->use == NULL || out->line == NULL || out->named == NULL) {
		dfuse_free(out);
		return ctx_error_nomem(err);
	}
	out->n = l->n;
	if (dockerfile_parse(dockerfile, len, u.name, &df, err) == -1 ||
	    dfgraph_compute(df, u.name, opt, &g, err) == -1)
		goto out;
	for (i = 0; i < g.nreads; i++) {
		const struct dfgraph_read *r = &g.reads[i];

		if (!r->in_graph || r->kind == DFGRAPH_GIT ||
		    r->kind == DFGRAPH_TMPFS)
			continue;
		if (use_read(&u, r) == -1)
			goto out;
	}
	propagate(l, out);
	rc = 0;
out:
	dfgraph_free(&g);
	dockerfile_free(df);
	if (rc == -1)
		dfuse_free(out);
	return rc;
}

void
dfuse_free(struct dfuse *u)
{
	if (u == NULL)
		return;
	free(u->use);
	free(u->line);
	free(u->named);
	memset(u, 0, sizeof(*u));
}
