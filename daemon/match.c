/*
 * Docker's .dockerignore pattern matcher, reproduced bit for bit from
 * moby/patternmatcher 0.6: New's cleaning and validation, the lazy
 * pattern-to-regexp compilation with its quirks, and the two parent-aware
 * matching loops.  The Go regexps it builds go through goregex.c to
 * PCRE2; Go's path rules come from gopath.c.  Pinned by
 * tests/unit/test_match.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "gopath.h"
#include "goregex.h"
#include "match.h"

enum match_kind {
	MATCH_UNKNOWN,		/* not compiled yet (docker compiles lazily) */
	MATCH_EXACT,
	MATCH_PREFIX,
	MATCH_SUFFIX,
	MATCH_REGEXP,
	MATCH_BAD,		/* the regexp does not compile: every use fails */
};

struct match_pattern {
	char *text;		/* cleaned, without '!' (Pattern.String()) */
	size_t len;
	size_t src;		/* index in the caller's array */
	bool exclusion;
	int kind;
	pcre2_code *re;
};

/*
 * One matcher is used by one thread at a time: the match data, the DFA
 * workspace and the subject scratch buffer are shared by all its patterns.
 */
struct matcher {
	struct match_pattern *pats;
	size_t n;
	bool exclusions;
	bool wild_exceptions;	/* some '!' pattern has a wildcard (rule 5.1) */
	bool wild_includes;	/* some plain pattern has a wildcard */
	size_t err_pattern;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	char *subj;		/* path with invalid UTF-8 bytes as U+FFFD */
	size_t subjcap;
	int *dfa_ws;
};

#define MATCH_BADPATTERN	"syntax error in pattern"
#define MATCH_DFA_WS		8192
#define MATCH_LIMIT		5000000
/* Room for match_build_regexp's output from an n-byte pattern. */
#define MATCH_REGEXP_MAX(n)	(5 * (n) + 3)

/* ---- Pattern.compile and Pattern.match ---- */

static size_t
match_put_str(char *out, const char *s)
{
	size_t n = strlen(s);

	memcpy(out, s, n);
	return n;
}

/*
 * Builds Go's regexp text for p exactly as Pattern.compile does, reading
 * runes like text/scanner (a leading BOM skipped, a bad byte as U+FFFD),
 * and decides the kind.  Only '.', '+', '(', ')' and '$' are escaped: the
 * library's bitmap loses '|', '{' and '}' (code points >= 64).
 * rs must hold MATCH_REGEXP_MAX(p->len) bytes: no input byte yields more
 * than five ('*' -> "[^/]*"), plus "^" and "$"; *rlen gets the length.
 */
static int
match_build_regexp(const struct match_pattern *p, char *rs, size_t *rlen)
{
	const unsigned char *s = (const unsigned char *)p->text;
	size_t n = p->len, i = 0, idx, o = 0;
	uint32_t ch, nx;
	int kind = MATCH_EXACT;

	rs[o++] = '^';
	if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
		i = 3;
	for (idx = 0; i < n; idx++) {
		i += gopath_decode_rune(s + i, n - i, &ch);
		if (ch == '*') {
			if (i < n && s[i] == '*') {
				i++;
				if (i < n && s[i] == '/')
					i++;
				if (i == n) {
					if (kind == MATCH_EXACT) {
						kind = MATCH_PREFIX;
					} else {
						o += match_put_str(rs + o,
						    ".*");
						kind = MATCH_REGEXP;
					}
				} else {
					o += match_put_str(rs + o, "(.*/)?");
					kind = MATCH_REGEXP;
				}
				if (idx == 0)
					kind = MATCH_SUFFIX;
			} else {
				o += match_put_str(rs + o, "[^/]*");
				kind = MATCH_REGEXP;
			}
		} else if (ch == '?') {
			o += match_put_str(rs + o, "[^/]");
			kind = MATCH_REGEXP;
		} else if (ch == '.' || ch == '+' || ch == '(' || ch == ')' ||
		    ch == '$') {
			rs[o++] = '\\';
			o += gopath_encode_rune(ch, rs + o);
		} else if (ch == '\\') {
			if (i < n) {
				i += gopath_decode_rune(s + i, n - i, &nx);
				rs[o++] = '\\';
				o += gopath_encode_rune(nx, rs + o);
				kind = MATCH_REGEXP;
			} else {
				rs[o++] = '\\';
			}
		} else if (ch == '[' || ch == ']') {
			o += gopath_encode_rune(ch, rs + o);
			kind = MATCH_REGEXP;
		} else {
			o += gopath_encode_rune(ch, rs + o);
		}
	}
	if (kind == MATCH_REGEXP)
		rs[o++] = '$';
	*rlen = o;
	return kind;
}

/* Compiles p on first use, as docker does; -1 only when out of memory. */
static int
match_compile(struct match_pattern *p)
{
	char *rs, *pc = NULL;
	size_t rlen, pclen;
	bool valid;
	int kind, ec;
	PCRE2_SIZE eo;

	if (p->len > (SIZE_MAX - 3) / 5 ||
	    (rs = malloc(MATCH_REGEXP_MAX(p->len))) == NULL)
		return -1;
	kind = match_build_regexp(p, rs, &rlen);
	if (kind == MATCH_REGEXP) {
		if (goregex_translate(rs, rlen, &pc, &pclen, &valid) < 0) {
			free(rs);
			return -1;
		}
		if (!valid) {
			kind = MATCH_BAD;
		} else {
			/*
			 * The emitted pattern is ASCII and explicit; a compile
			 * failure here is a PCRE2 limit (size, nesting), which
			 * counts as a bad pattern.
			 */
			p->re = pcre2_compile((PCRE2_SPTR)pc, pclen,
			    PCRE2_UTF | PCRE2_DOLLAR_ENDONLY |
			    PCRE2_NEVER_BACKSLASH_C, &ec, &eo, NULL);
			if (p->re == NULL)
				kind = MATCH_BAD;
			else
				(void)pcre2_jit_compile(p->re,
				    PCRE2_JIT_COMPLETE);
		}
	}
	free(rs);
	free(pc);
	p->kind = kind;
	return 0;
}

/* Go's bad bytes read as U+FFFD: rewrites path into m->subj. */
static int
match_fix_utf8(struct matcher *m, const char *path, size_t len, size_t *out)
{
	const unsigned char *s = (const unsigned char *)path;
	size_t i = 0, o = 0, w;
	uint32_t r;
	char *np;

	if (m->subjcap < len * 3) {
		if ((np = realloc(m->subj, len * 3)) == NULL)
			return -1;
		m->subj = np;
		m->subjcap = len * 3;
	}
	while (i < len) {
		w = gopath_decode_rune(s + i, len - i, &r);
		if (r == 0xFFFD && w == 1) {
			memcpy(m->subj + o, "\xEF\xBF\xBD", 3);
			o += 3;
		} else {
			memcpy(m->subj + o, s + i, w);
			o += w;
		}
		i += w;
	}
	*out = o;
	return 0;
}

static bool
match_is_limit(int rc)
{
	return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT;
}

/* Go regexp MatchString: 1, 0, or -1. */
static int
match_regexp(struct matcher *m, struct match_pattern *p, const char *path,
    size_t len)
{
	PCRE2_SPTR subj = (PCRE2_SPTR)path;
	uint32_t opts = 0;
	size_t slen = len;
	int rc;

	rc = pcre2_match(p->re, subj, slen, 0, 0, m->md, m->mctx);
	if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21) {
		if (match_fix_utf8(m, path, len, &slen) < 0)
			return -1;
		subj = (PCRE2_SPTR)m->subj;
		opts = PCRE2_NO_UTF_CHECK;
		rc = pcre2_match(p->re, subj, slen, 0, opts, m->md, m->mctx);
	}
	if (match_is_limit(rc)) {
		/*
		 * Backtracking blew up where Go's automaton would not:
		 * PCRE2's DFA matcher is an automaton too, and the answer
		 * is only yes or no.
		 */
		if (m->dfa_ws == NULL &&
		    (m->dfa_ws = malloc(MATCH_DFA_WS * sizeof(int))) == NULL)
			return -1;
		rc = pcre2_dfa_match(p->re, subj, slen, 0, opts, m->md,
		    m->mctx, m->dfa_ws, MATCH_DFA_WS);
	}
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	return -1;
}

/* Pattern.match: 1, 0, or -1 (a bad pattern, or a resource failure). */
static int
match_one(struct matcher *m, struct match_pattern *p, const char *path,
    size_t len)
{
	const char *suf;
	size_t sl;

	if (p->kind == MATCH_UNKNOWN && match_compile(p) < 0)
		return -1;
	switch (p->kind) {
	case MATCH_EXACT:
		return len == p->len && memcmp(path, p->text, len) == 0;
	case MATCH_PREFIX:
		sl = p->len - 2;
		return len >= sl && memcmp(path, p->text, sl) == 0;
	case MATCH_SUFFIX:
		suf = p->text + 2;
		sl = p->len - 2;
		if (len >= sl && memcmp(path + len - sl, suf, sl) == 0)
			return 1;
		return suf[0] == '/' && len == sl - 1 &&
		    memcmp(path, suf + 1, len) == 0;
	case MATCH_REGEXP:
		return match_regexp(m, p, path, len);
	}
	return -1;
}

/* Copies s into out for a message: control bytes, '"' and '\' as \xHH. */
static const char *
match_quote(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < n && o + 8 < cap; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7F || c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (i < n && o + 4 <= cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

static int
match_fail(struct matcher *m, size_t i, struct ctx_error *err)
{
	struct match_pattern *p = &m->pats[i];
	char q[256];

	m->err_pattern = i;
	if (p->kind == MATCH_UNKNOWN)
		return ctx_error_nomem(err);
	if (p->kind == MATCH_REGEXP)
		return ctx_error_set(err, CTX_ERR_PATTERN,
		    "pattern[%zu] \"%s\": too complex to match",
		    p->src, match_quote(p->text, p->len, q, sizeof(q)));
	return ctx_error_set(err, CTX_ERR_PATTERN, "pattern[%zu] \"%s\": %s",
	    p->src, match_quote(p->text, p->len, q, sizeof(q)),
	    MATCH_BADPATTERN);
}

/* ---- the matcher ---- */

static const char match_wildcards[] = "*[]?^\\";

/* fsutil patternWithoutTrailingGlob: one "/ **", then one "/ *". */
static size_t
match_strip_glob(const char *s, size_t n)
{
	if (n >= 3 && memcmp(s + n - 3, "/**", 3) == 0)
		n -= 3;
	if (n >= 2 && memcmp(s + n - 2, "/*", 2) == 0)
		n -= 2;
	return n;
}

static bool
match_has_wildcard(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != '\0' && strchr(match_wildcards, s[i]) != NULL)
			return true;
	return false;
}

/* Does s + "/" start with dir + "/"? */
static bool
match_slash_prefix(const char *s, size_t n, const char *dir, size_t len)
{
	return n >= len && memcmp(s, dir, len) == 0 &&
	    (n == len || s[len] == '/');
}

struct matcher *
matcher_new_flags(const char *const *patterns, const size_t *lens, size_t n,
    unsigned flags, size_t *bad, struct ctx_error *err)
{
	struct matcher *m;
	struct match_pattern *p;
	const char *s;
	char *buf, q[256];
	size_t i, len, clen;

	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->pats = calloc(n ? n : 1, sizeof(*m->pats))) == NULL ||
	    (m->md = pcre2_match_data_create(1, NULL)) == NULL ||
	    (m->mctx = pcre2_match_context_create(NULL)) == NULL)
		goto nomem;
	pcre2_set_match_limit(m->mctx, MATCH_LIMIT);
	for (i = 0; i < n; i++) {
		s = patterns[i];
		len = lens != NULL ? lens[i] : strlen(s);
		gopath_trim_space(&s, &len);
		if (len == 0)
			continue;
		if ((buf = malloc(len + 2)) == NULL)
			goto nomem;
		clen = gopath_clean(s, len, buf);
		p = &m->pats[m->n];
		p->src = i;
		if (buf[0] == '!') {
			if (clen == 1) {
				free(buf);
				if (bad != NULL)
					*bad = i;
				matcher_free(m);
				ctx_error_set(err, CTX_ERR_PATTERN,
				    "pattern[%zu] \"!\": illegal exclusion "
				    "pattern: \"!\"", i);
				return NULL;
			}
			p->exclusion = true;
			m->exclusions = true;
			memmove(buf, buf + 1, --clen);
		}
		buf[clen] = '\0';
		p->text = buf;
		p->len = clen;
		m->n++;
		if (gopath_match(buf, clen, ".", 1,
		    (flags & MATCHER_STRICT_SYNTAX) != 0) < 0) {
			if (bad != NULL)
				*bad = i;
			ctx_error_set(err, CTX_ERR_PATTERN,
			    "pattern[%zu] \"%s%s\": %s", i,
			    p->exclusion ? "!" : "",
			    match_quote(buf, clen, q, sizeof(q)),
			    MATCH_BADPATTERN);
			matcher_free(m);
			return NULL;
		}
		if (match_has_wildcard(buf, match_strip_glob(buf, clen))) {
			if (p->exclusion)
				m->wild_exceptions = true;
			else
				m->wild_includes = true;
		}
	}
	return m;
nomem:
	matcher_free(m);
	if (bad != NULL)
		*bad = n;
	ctx_error_nomem(err);
	return NULL;
}

struct matcher *
matcher_new_at(const char *const *patterns, const size_t *lens, size_t n,
    size_t *bad, struct ctx_error *err)
{
	return matcher_new_flags(patterns, lens, n, 0, bad, err);
}

struct matcher *
matcher_new(const char *const *patterns, const size_t *lens, size_t n,
    struct ctx_error *err)
{
	return matcher_new_at(patterns, lens, n, NULL, err);
}

void
matcher_free(struct matcher *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++) {
		free(m->pats[i].text);
		pcre2_code_free(m->pats[i].re);
	}
	free(m->pats);
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mctx);
	free(m->subj);
	free(m->dfa_ws);
	free(m);
}

size_t
matcher_count(const struct matcher *m)
{
	return m->n;
}

bool
matcher_has_exclusions(const struct matcher *m)
{
	return m->exclusions;
}

bool
matcher_is_exclusion(const struct matcher *m, size_t i)
{
	return m->pats[i].exclusion;
}

const char *
matcher_pattern(const struct matcher *m, size_t i)
{
	return m->pats[i].text;
}

size_t
matcher_pattern_len(const struct matcher *m, size_t i)
{
	return m->pats[i].len;
}

size_t
matcher_source_index(const struct matcher *m, size_t i)
{
	return m->pats[i].src;
}

size_t
matcher_error_pattern(const struct matcher *m)
{
	return m->err_pattern;
}

/*
 * The ancestor loop of MatchesOrParentMatches: each proper ancestor of a
 * clean path, from the top; errors on ancestors count as "no match".
 */
static bool
match_ancestors(struct matcher *m, struct match_pattern *p, const char *path,
    size_t len)
{
	size_t k;

	for (k = 0; k < len; k++)
		if (path[k] == '/' && match_one(m, p, path, k) == 1)
			return true;
	return false;
}

int
matcher_matches_or_parent_at(struct matcher *m, const char *path, size_t len,
    const bool *parent_anc, bool *anc_out, bool *excluded,
    struct ctx_error *err)
{
	struct match_pattern *p;
	bool matched = false, self, done = false;
	size_t i, bad = 0;
	int rc;

	for (i = 0; i < m->n; i++) {
		p = &m->pats[i];
		if (anc_out == NULL && (done || p->exclusion != matched))
			continue;
		rc = match_one(m, p, path, len);
		self = rc == 1;
		if (anc_out != NULL)
			anc_out[i] = self || (parent_anc != NULL && parent_anc[i]);
		/* plain patterns only while unmatched, exceptions while matched */
		if (done || p->exclusion != matched)
			continue;
		if (rc < 0) {
			/* docker stops here; anc_out is still filled in */
			done = true;
			bad = i;
			continue;
		}
		if (self || (parent_anc != NULL && parent_anc[i]))
			matched = !p->exclusion;
	}
	if (done)
		return match_fail(m, bad, err);
	*excluded = matched;
	return 0;
}

int
matcher_matches_or_parent(struct matcher *m, const char *path, size_t len,
    bool *excluded, struct ctx_error *err)
{
	struct match_pattern *p;
	bool matched = false;
	size_t i;
	int rc;

	for (i = 0; i < m->n; i++) {
		p = &m->pats[i];
		/* plain patterns only while unmatched, exceptions while matched */
		if (p->exclusion != matched)
			continue;
		if ((rc = match_one(m, p, path, len)) < 0)
			return match_fail(m, i, err);
		if (rc == 0)
			rc = match_ancestors(m, p, path, len);
		if (rc)
			matched = !p->exclusion;
	}
	*excluded = matched;
	return 0;
}

/* The number of '/'-separated elements of s (Go len(strings.Split(s, "/"))). */
static size_t
match_elements(const char *s, size_t len)
{
	size_t i, n = 1;

	for (i = 0; i < len; i++)
		n += s[i] == '/';
	return n;
}

int
matcher_matches_deprecated(struct matcher *m, const char *path, size_t len,
    bool *excluded, struct ctx_error *err)
{
	struct match_pattern *p;
	bool matched = false;
	size_t i, k, nparent, cut;
	const char *slash = memrchr(path, '/', len);
	int rc;

	/* filepath.Dir(path) split on '/': nparent elements, or none at ".". */
	nparent = slash != NULL ? match_elements(path, (size_t)(slash - path)) : 0;
	for (i = 0; i < m->n; i++) {
		p = &m->pats[i];
		if (p->exclusion != matched)
			continue;
		if ((rc = match_one(m, p, path, len)) < 0)
			return match_fail(m, i, err);
		/* Only the ancestor with as many elements as the pattern. */
		k = match_elements(p->text, p->len);
		if (rc == 0 && nparent > 0 && k <= nparent) {
			for (cut = 0; k > 0; cut++)
				if (path[cut] == '/' && --k == 0)
					break;
			rc = match_one(m, p, path, cut) == 1;
		}
		if (rc)
			matched = !p->exclusion;
	}
	*excluded = matched;
	return 0;
}

int
matcher_matches_parent(struct matcher *m, const char *path, size_t len,
    const bool *parent, bool *out, bool *excluded, struct ctx_error *err)
{
	struct match_pattern *p;
	bool matched = false, match;
	size_t i;
	int rc;

	for (i = 0; i < m->n; i++) {
		p = &m->pats[i];
		/* the parent matched: so does its child, unevaluated */
		match = parent != NULL && parent[i];
		if (!match) {
			if (p->exclusion != matched) {
				out[i] = false;
				continue;
			}
			if ((rc = match_one(m, p, path, len)) < 0)
				return match_fail(m, i, err);
			match = rc == 1;
			if (!match && parent == NULL)
				match = match_ancestors(m, p, path, len);
		}
		out[i] = match;
		if (match)
			matched = !p->exclusion;
	}
	*excluded = matched;
	return 0;
}

bool
matcher_exception_below(const struct matcher *m, const char *dir, size_t len)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->pats[i].exclusion && match_slash_prefix(m->pats[i].text,
		    m->pats[i].len, dir, len))
			return true;
	return false;
}

bool
matcher_can_prune(const struct matcher *m, bool is_include, const char *dir,
    size_t len)
{
	const struct match_pattern *p;
	size_t i;

	if (is_include ? m->wild_includes : m->wild_exceptions)
		return false;
	if (!is_include && !m->exclusions)
		return true;
	for (i = 0; i < m->n; i++) {
		p = &m->pats[i];
		/* include: the plain patterns; exclude: the exceptions */
		if (p->exclusion == is_include)
			continue;
		if (match_slash_prefix(p->text, match_strip_glob(p->text,
		    p->len), dir, len))
			return false;
	}
	return true;
}
