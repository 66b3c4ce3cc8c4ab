/*
 * BuildKit's shell-word lexer (frontend/dockerfile/shell/lex.go) in C: the
 * expansion ProcessWord and ProcessWords apply to COPY/ADD sources, mount
 * options, ENV and ARG values (spec bk-v1 rule 4.3), pinned by
 * tests/unit/test_shellword.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gopath.h"
#include "gounicode.h"
#include "shellword.h"
#include "strbuf.h"

#define SW_EOF		(-1L)
/* The ${X#pat} matcher keeps one bit per (pattern token, value rune). */
#define SW_MAX_MATCH_BITS (1u << 26)

/*
 * Runes are Go runes (uint32_t in gopath and gounicode) widened to long so
 * that SW_EOF can stand beside them.  Passed on, SW_EOF converts to
 * 0xFFFFFFFF: gopath_encode_rune writes it as U+FFFD (as Go's EncodeRune
 * does for rune(-1)) and it is no space, letter or digit.
 */
static long
sw_decode(const unsigned char *s, size_t len, size_t *width)
{
	uint32_t r;

	*width = gopath_decode_rune(s, len, &r);
	return (long)r;
}

/*
 * shellword's strings are strbufs that also refuse to grow past
 * SHELLWORD_MAX_RESULT: bad is then SW_TOO_LARGE, which sw_check() tells
 * apart from CTX_ERR_NOMEM.
 */
#define SW_TOO_LARGE	(-1)

static void
sb_add(struct strbuf *b, const char *s, size_t n)
{
	if (!b->bad && (n > SHELLWORD_MAX_RESULT ||
	    b->len + n > SHELLWORD_MAX_RESULT))
		b->bad = SW_TOO_LARGE;
	strbuf_add(b, s, n);
}

static void
sb_rune(struct strbuf *b, long r)
{
	char tmp[4];

	sb_add(b, tmp, gopath_encode_rune((uint32_t)r, tmp));
}

static void
sb_str(struct strbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* Go's strings.Builder words of wordsStruct. */
struct words {
	char **v;
	size_t n, cap;
	struct strbuf word;
	bool in_word;
	int bad;
};

static void
words_push(struct words *w)
{
	char *s;

	if (w->bad)
		return;
	if (w->word.bad) {
		w->bad = w->word.bad;
		return;
	}
	if (w->n == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 8;
		char **nv = realloc(w->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			w->bad = CTX_ERR_NOMEM;
			return;
		}
		w->v = nv;
		w->cap = ncap;
	}
	s = strbuf_take(&w->word);
	if (s == NULL) {
		w->bad = CTX_ERR_NOMEM;
		return;
	}
	w->v[w->n++] = s;
}

static void
words_raw_rune(struct words *w, long r)
{
	sb_rune(&w->word, r);
	w->in_word = true;
}

static void
words_rune(struct words *w, long r)
{
	if (gopath_is_space(r) && w->in_word) {
		if (w->word.len != 0) {
			words_push(w);
			w->in_word = false;
		}
	} else if (!gopath_is_space(r))
		words_raw_rune(w, r);
}

static void
words_string(struct words *w, const char *s, size_t len)
{
	size_t i = 0, width;

	while (i < len) {
		long r = sw_decode((const unsigned char *)s + i, len - i,
		    &width);

		words_rune(w, r);
		i += width;
	}
}

static void
words_raw_string(struct words *w, const char *s, size_t len)
{
	sb_add(&w->word, s, len);
	w->in_word = true;
}

static void
words_finish(struct words *w)
{
	if (w->word.len > 0)
		words_push(w);
	free(w->word.p);
	w->word.p = NULL;
}

static void
words_free(struct words *w)
{
	shellword_words_free(w->v, w->n);
	free(w->word.p);
	memset(w, 0, sizeof(*w));
}

/* The lexer state: a text/scanner over the word. */
struct sw {
	const struct shellword_lex *lex;
	bool raw_escapes;
	const unsigned char *s;
	size_t len, pos;
	const struct shellword_env *env;
	char msg[256];		/* the failure, when a function returns -1 */
	int code;
};

static long
sw_peek(struct sw *sw)
{
	size_t w;

	if (sw->pos >= sw->len)
		return SW_EOF;
	return sw_decode(sw->s + sw->pos, sw->len - sw->pos, &w);
}

static long
sw_next(struct sw *sw)
{
	size_t w;
	long r;

	if (sw->pos >= sw->len)
		return SW_EOF;
	r = sw_decode(sw->s + sw->pos, sw->len - sw->pos, &w);
	sw->pos += w;
	return r;
}

static int
sw_fail(struct sw *sw, const char *msg)
{
	snprintf(sw->msg, sizeof(sw->msg), "%s", msg);
	sw->code = CTX_ERR_DOCKERFILE;
	return -1;
}

static int
sw_check(struct sw *sw, struct strbuf *b)
{
	if (!b->bad)
		return 0;
	if (b->bad == CTX_ERR_NOMEM) {
		sw->code = CTX_ERR_NOMEM;
		snprintf(sw->msg, sizeof(sw->msg), "out of memory");
	} else {
		sw->code = CTX_ERR_DOCKERFILE;
		snprintf(sw->msg, sizeof(sw->msg),
		    "expansion longer than %u bytes", SHELLWORD_MAX_RESULT);
	}
	return -1;
}

/* The value of NAME, or NULL when unset; later definitions win. */
static const char *
sw_getenv(const struct sw *sw, const char *name)
{
	size_t i;

	if (sw->env == NULL)
		return NULL;
	for (i = sw->env->nvars; i > 0; i--) {
		const struct shellword_var *v = &sw->env->vars[i - 1];

		if (v->name != NULL && strcmp(v->name, name) == 0)
			return v->value != NULL ? v->value : "";
	}
	return NULL;
}

static int	sw_stop_on(struct sw *, long, bool, struct strbuf *,
		    struct words *);

/* processName: digits, one special parameter, or letters/digits/_. */
static void
sw_name(struct sw *sw, struct strbuf *name)
{
	long ch;

	while ((ch = sw_peek(sw)) != SW_EOF) {
		if (name->len == 0 && gounicode_is_digit(ch)) {
			while ((ch = sw_peek(sw)) != SW_EOF &&
			    gounicode_is_digit(ch))
				sb_rune(name, sw_next(sw));
			return;
		}
		if (name->len == 0 && (ch == '@' || ch == '*' || ch == '#' ||
		    ch == '?' || ch == '-' || ch == '$' || ch == '!' ||
		    ch == '0')) {
			sb_rune(name, sw_next(sw));
			return;
		}
		if (!gounicode_is_letter(ch) && !gounicode_is_digit(ch) &&
		    ch != '_')
			break;
		sb_rune(name, sw_next(sw));
	}
}

/*
 * The shell pattern of ${X#p}, ${X%p} and ${X/p/r} as lex.go's
 * convertShellPatternToRegex builds it: literals, `?` (any rune but a
 * newline, like Go's `.`) and `*` (`.*`, or `.*?` when not greedy).
 */
enum { PT_LIT, PT_ANY, PT_STAR };
struct ptok {
	int kind;
	long r;
};
struct pattern {
	struct ptok *t;
	size_t n;
};

static int
pat_compile(struct sw *sw, const char *p, size_t len, struct pattern *out)
{
	struct sw s = { .s = (const unsigned char *)p, .len = len };
	long tok;

	out->n = 0;
	out->t = malloc((len + 1) * sizeof(*out->t));
	if (out->t == NULL) {
		sw->code = CTX_ERR_NOMEM;
		snprintf(sw->msg, sizeof(sw->msg), "out of memory");
		return -1;
	}
	/* text/scanner drops one leading BOM. */
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		s.pos = 3;
	while ((tok = sw_next(&s)) != SW_EOF) {
		if (tok == '*') {
			/* `.*.*` matches exactly like `.*` (same greediness) */
			if (out->n == 0 || out->t[out->n - 1].kind != PT_STAR)
				out->t[out->n++] = (struct ptok){ PT_STAR, 0 };
			continue;
		}
		if (tok == '?') {
			out->t[out->n++] = (struct ptok){ PT_ANY, 0 };
			continue;
		}
		if (tok == '\\') {
			long nx = sw_peek(&s);

			if (nx == '}' || nx == '/')
				continue;
			tok = sw_next(&s);
			if (tok != '*' && tok != '?' && tok != '\\') {
				char m[200];

				snprintf(m, sizeof(m), "invalid pattern (%.*s) "
				    "in substitution: invalid escape",
				    (int)(len > 100 ? 100 : len), p);
				free(out->t);
				out->t = NULL;
				return sw_fail(sw, m);
			}
		}
		out->t[out->n++] = (struct ptok){ PT_LIT, tok };
	}
	return 0;
}

/* A value decoded into runes with their byte offsets. */
struct runes {
	long *r;
	size_t *off;		/* n + 1 entries */
	size_t n;
};

static int
runes_decode(const char *s, size_t len, struct runes *out)
{
	size_t i = 0, w;

	out->n = 0;
	out->r = malloc((len + 1) * sizeof(*out->r));
	out->off = malloc((len + 1) * sizeof(*out->off));
	if (out->r == NULL || out->off == NULL) {
		free(out->r);
		free(out->off);
		return -1;
	}
	while (i < len) {
		out->off[out->n] = i;
		out->r[out->n++] = sw_decode((const unsigned char *)s + i,
		    len - i, &w);
		i += w;
	}
	out->off[out->n] = len;
	return 0;
}

static void
runes_free(struct runes *r)
{
	free(r->r);
	free(r->off);
}

/*
 * can[pi][si]: the pattern from token pi matches some prefix of the value
 * from rune si (the regexps have no `$`).  Walking it with the greedy or
 * lazy preference gives Go's leftmost-first match, in O(tokens x runes).
 */
struct matcher {
	const struct pattern *p;
	const struct runes *v;
	bool greedy;
	unsigned char *can;
};

static bool
m_can(const struct matcher *m, size_t pi, size_t si)
{
	size_t bit = pi * (m->v->n + 1) + si;

	return (m->can[bit / 8] >> (bit % 8)) & 1;
}

static void
m_set(struct matcher *m, size_t pi, size_t si)
{
	size_t bit = pi * (m->v->n + 1) + si;

	m->can[bit / 8] |= (unsigned char)(1u << (bit % 8));
}

static int
m_build(struct sw *sw, struct matcher *m)
{
	size_t np = m->p->n, nv = m->v->n, pi, si;
	uint64_t bits = (uint64_t)(np + 1) * (nv + 1);

	if (bits > SW_MAX_MATCH_BITS)
		return sw_fail(sw, "substitution pattern too complex");
	m->can = calloc((size_t)(bits / 8 + 1), 1);
	if (m->can == NULL) {
		sw->code = CTX_ERR_NOMEM;
		snprintf(sw->msg, sizeof(sw->msg), "out of memory");
		return -1;
	}
	for (si = 0; si <= nv; si++)
		m_set(m, np, si);
	for (pi = np; pi-- > 0;) {
		const struct ptok *t = &m->p->t[pi];
		bool any = false;

		for (si = nv + 1; si-- > 0;) {
			bool ok = false;

			if (t->kind == PT_STAR) {
				/* any run of non-newline runes, then the rest */
				if (si == nv || m->v->r[si] == '\n')
					any = false;
				any = any || m_can(m, pi + 1, si);
				ok = any;
			} else if (si < nv) {
				long r = m->v->r[si];

				if (t->kind == PT_ANY)
					ok = r != '\n';
				else
					ok = r == t->r;
				ok = ok && m_can(m, pi + 1, si + 1);
			}
			if (ok)
				m_set(m, pi, si);
		}
	}
	return 0;
}

/* The end (rune index) of the preferred match starting at si. */
static size_t
m_walk(const struct matcher *m, size_t si)
{
	size_t pi, nv = m->v->n;

	for (pi = 0; pi < m->p->n; pi++) {
		if (m->p->t[pi].kind != PT_STAR) {
			si++;
			continue;
		}
		{
			size_t k = si, best = si;

			while (k < nv && m->v->r[k] != '\n')
				k++;
			if (m->greedy) {
				for (best = k + 1; best-- > si;)
					if (m_can(m, pi + 1, best))
						break;
			} else {
				for (best = si; best <= k; best++)
					if (m_can(m, pi + 1, best))
						break;
			}
			si = best;
		}
	}
	return si;
}

/* trimPrefix: value minus the preferred match anchored at its start. */
static int
sw_trim_prefix(struct sw *sw, const char *pat, size_t plen, const char *val,
    size_t vlen, bool greedy, struct strbuf *out)
{
	struct pattern p;
	struct runes v;
	struct matcher m = { .greedy = greedy };
	size_t start = 0;

	if (pat_compile(sw, pat, plen, &p) == -1)
		return -1;
	if (runes_decode(val, vlen, &v) == -1) {
		free(p.t);
		sw->code = CTX_ERR_NOMEM;
		snprintf(sw->msg, sizeof(sw->msg), "out of memory");
		return -1;
	}
	m.p = &p;
	m.v = &v;
	if (m_build(sw, &m) == -1) {
		free(p.t);
		runes_free(&v);
		return -1;
	}
	if (m_can(&m, 0, 0))
		start = v.off[m_walk(&m, 0)];
	sb_add(out, val + start, vlen - start);
	free(m.can);
	free(p.t);
	runes_free(&v);
	return sw_check(sw, out);
}

/* Go's []rune reversal: invalid bytes come back as U+FFFD. */
static int
reverse_string(const char *s, size_t len, struct strbuf *out)
{
	struct runes v;
	size_t i;

	if (runes_decode(s, len, &v) == -1)
		return -1;
	for (i = v.n; i > 0; i--)
		sb_rune(out, v.r[i - 1]);
	runes_free(&v);
	if (out->p == NULL)
		sb_add(out, "", 0);
	return 0;
}

/* reversePattern: reverse runes but keep each `\x` pair in order. */
static int
reverse_pattern(const char *s, size_t len, struct strbuf *out)
{
	struct runes v;
	long *o;
	size_t i, last;

	if (runes_decode(s, len, &v) == -1)
		return -1;
	o = malloc((v.n + 1) * sizeof(*o));
	if (o == NULL) {
		runes_free(&v);
		return -1;
	}
	last = v.n ? v.n - 1 : 0;
	for (i = 0; i < v.n;) {
		size_t oi = last - i;

		if (v.r[i] == '\\' && i != last) {
			o[oi - 1] = '\\';
			o[oi] = v.r[i + 1];
			i += 2;
		} else {
			o[oi] = v.r[i];
			i++;
		}
	}
	for (i = 0; i < v.n; i++)
		sb_rune(out, o[i]);
	if (out->p == NULL)
		sb_add(out, "", 0);
	free(o);
	runes_free(&v);
	return 0;
}

static int
sw_trim_suffix(struct sw *sw, const char *pat, size_t plen, const char *val,
    size_t vlen, bool greedy, struct strbuf *out)
{
	struct strbuf rp = { 0 }, rv = { 0 }, t = { 0 };
	int rc = -1;

	if (reverse_pattern(pat, plen, &rp) == -1 ||
	    reverse_string(val, vlen, &rv) == -1 || sw_check(sw, &rp) == -1 ||
	    sw_check(sw, &rv) == -1)
		goto out;
	if (sw_trim_prefix(sw, rp.p, rp.len, rv.p, rv.len, greedy, &t) == -1)
		goto out;
	if (reverse_string(t.p, t.len, out) == -1)
		goto out;
	rc = sw_check(sw, out);
out:
	if (rc == -1 && sw->msg[0] == '\0') {
		sw->code = CTX_ERR_NOMEM;
		snprintf(sw->msg, sizeof(sw->msg), "out of memory");
	}
	free(rp.p);
	free(rv.p);
	free(t.p);
	return rc;
}

/* Regexp.Expand of the replacement of ${X//p/r}: $0 is the match,
 * $$ a dollar, other names empty, a malformed reference literal. */
static void
expand_template(const char *tpl, size_t tlen, const char *src, size_t a,
    size_t b, struct strbuf *out)
{
	size_t i = 0;

	while (i < tlen) {
		const char *d = memchr(tpl + i, '$', tlen - i);
		size_t j, nstart, nlen, w;
		bool brace = false, isnum;
		long num;

		if (d == NULL)
			break;
		sb_add(out, tpl + i, (size_t)(d - tpl) - i);
		i = (size_t)(d - tpl) + 1;
		if (i < tlen && tpl[i] == '$') {
			sb_add(out, "$", 1);
			i++;
			continue;
		}
		j = i;
		if (j < tlen && tpl[j] == '{') {
			brace = true;
			j++;
		}
		nstart = j;
		while (j < tlen) {
			long r = sw_decode((const unsigned char *)tpl + j,
			    tlen - j, &w);

			if (!gounicode_is_letter(r) && !gounicode_is_digit(r) &&
			    r != '_')
				break;
			j += w;
		}
		nlen = j - nstart;
		if (nlen == 0 || (brace && (j >= tlen || tpl[j] != '}'))) {
			sb_add(out, "$", 1);
			continue;
		}
		if (brace)
			j++;
		isnum = true;
		num = 0;
		for (w = 0; w < nlen; w++) {
			char c = tpl[nstart + w];

			if (c < '0' || c > '9' || num >= 100000000) {
				isnum = false;
				break;
			}
			num = num * 10 + (c - '0');
		}
		if (tpl[nstart] == '0' && nlen > 1)
			isnum = false;
		if (isnum && num == 0)
			sb_add(out, src + a, b - a);
		i = j;
	}
	if (i < tlen)
		sb_add(out, tpl + i, tlen - i);
}

/* ${X/p/r} and ${X//p/r}: greedy, unanchored, like lex.go. */
static int
sw_replace(struct sw *sw, const char *pat, size_t plen, const char *repl,
    size_t rlen, const char *val, size_t vlen, bool all, struct strbuf *out)
{
	struct pattern p;
	struct runes v;
	struct matcher m = { .greedy = true };
	size_t s0, last_end = 0, search = 0;

	if (pat_compile(sw, pat, plen, &p) == -1)
		return -1;
	if (runes_decode(val, vlen, &v) == -1) {
		free(p.t);
		sw->code = CTX_ERR_NOMEM;
		snprintf(sw->msg, sizeof(sw->msg), "out of memory");
		return -1;
	}
	m.p = &p;
	m.v = &v;
	if (m_build(sw, &m) == -1) {
		free(p.t);
		runes_free(&v);
		return -1;
	}
	if (!all) {
		for (s0 = 0; s0 <= v.n; s0++)
			if (m_can(&m, 0, s0))
				break;
		if (s0 <= v.n) {
			size_t e = m_walk(&m, s0);

			sb_add(out, val, v.off[s0]);
			sb_add(out, repl, rlen);
			sb_add(out, val + v.off[e], vlen - v.off[e]);
		} else
			sb_add(out, val, vlen);
	} else {
		/* Regexp.ReplaceAllString's loop, in rune indices. */
		while (search <= v.n) {
			size_t e;

			for (s0 = search; s0 <= v.n; s0++)
				if (m_can(&m, 0, s0))
					break;
			if (s0 > v.n)
				break;
			e = m_walk(&m, s0);
			sb_add(out, val + v.off[last_end],
			    v.off[s0] - v.off[last_end]);
			if (e > last_end || s0 == 0)
				expand_template(repl, rlen, val, v.off[s0],
				    v.off[e], out);
			last_end = e;
			if (search + 1 > e)
				search++;
			else
				search = e;
			if (out->bad)
				break;
		}
		sb_add(out, val + v.off[last_end], vlen - v.off[last_end]);
	}
	if (out->p == NULL)
		sb_add(out, "", 0);
	free(m.can);
	free(p.t);
	runes_free(&v);
	return sw_check(sw, out);
}

static int
sw_single_quote(struct sw *sw, struct strbuf *out)
{
	long ch = sw_next(sw);

	if (sw->lex->raw_quotes)
		sb_rune(out, ch);
	for (;;) {
		ch = sw_next(sw);
		if (ch == SW_EOF)
			return sw_fail(sw, "unexpected end of statement while "
			    "looking for matching single-quote");
		if (ch == '\'') {
			if (sw->lex->raw_quotes)
				sb_rune(out, ch);
			return sw_check(sw, out);
		}
		sb_rune(out, ch);
	}
}

static int	sw_dollar(struct sw *, struct strbuf *);

static int
sw_double_quote(struct sw *sw, struct strbuf *out)
{
	long ch = sw_next(sw);

	if (sw->lex->raw_quotes)
		sb_rune(out, ch);
	for (;;) {
		long pk = sw_peek(sw);

		if (pk == SW_EOF)
			return sw_fail(sw, "unexpected end of statement while "
			    "looking for matching double-quote");
		if (pk == '"') {
			ch = sw_next(sw);
			if (sw->lex->raw_quotes)
				sb_rune(out, ch);
			return sw_check(sw, out);
		}
		if (pk == '$') {
			if (sw_dollar(sw, out) == -1)
				return -1;
			continue;
		}
		ch = sw_next(sw);
		if (ch == sw->lex->escape) {
			if (sw->raw_escapes)
				sb_rune(out, ch);
			pk = sw_peek(sw);
			if (pk == SW_EOF)
				continue;
			if (pk == '"' || pk == '$' || pk == sw->lex->escape)
				ch = sw_next(sw);
		}
		sb_rune(out, ch);
		if (out->bad)
			return sw_check(sw, out);
	}
}

static void
sw_unset_text(struct strbuf *out, const char *pre, const char *name,
    const char *mid, const char *word, const char *post)
{
	sb_str(out, pre);
	sb_str(out, name);
	sb_str(out, mid);
	sb_str(out, word);
	sb_str(out, post);
}

/* processDollar: $NAME, ${NAME} and the ${NAME<op>word} forms. */
static int
sw_dollar(struct sw *sw, struct strbuf *out)
{
	struct strbuf name = { 0 }, word = { 0 }, repl = { 0 };
	const char *val;
	long ch;
	char chs[16];
	size_t chslen;
	bool null_unset = false;
	int rc = -1;

	sw_next(sw);
	if (sw_peek(sw) != '{') {
		sw_name(sw, &name);
		if (sw_check(sw, &name) == -1)
			goto out;
		if (name.len == 0) {
			sb_add(out, "$", 1);
			rc = sw_check(sw, out);
			goto out;
		}
		val = sw_getenv(sw, name.p);
		if (val == NULL && sw->lex->skip_unset_env) {
			sb_add(out, "$", 1);
			sb_add(out, name.p, name.len);
		} else if (val != NULL)
			sb_str(out, val);
		rc = sw_check(sw, out);
		goto out;
	}
	sw_next(sw);
	ch = sw_peek(sw);
	if (ch == SW_EOF) {
		sw_fail(sw, "syntax error: missing '}'");
		goto out;
	}
	if (ch == '{' || ch == '}' || ch == ':') {
		sw_fail(sw, "syntax error: bad substitution");
		goto out;
	}
	sw_name(sw, &name);
	sb_add(&name, "", 0);
	if (sw_check(sw, &name) == -1)
		goto out;
	ch = sw_next(sw);
	chslen = gopath_encode_rune((uint32_t)ch, chs);
	chs[chslen] = '\0';
	val = sw_getenv(sw, name.p);

	if (ch == '}') {
		if (val == NULL && sw->lex->skip_unset_env)
			sw_unset_text(out, "${", name.p, "", "", "}");
		else if (val != NULL)
			sb_str(out, val);
		rc = sw_check(sw, out);
		goto out;
	}
	if (ch == ':' || ch == '+' || ch == '-' || ch == '?' || ch == '#' ||
	    ch == '%') {
		if (ch == ':') {
			null_unset = true;
			ch = sw_next(sw);
			chslen += gopath_encode_rune((uint32_t)ch,
			    chs + chslen);
			chs[chslen] = '\0';
		}
		if (sw_stop_on(sw, '}', ch == '#' || ch == '%', &word, NULL) ==
		    -1) {
			if (sw_peek(sw) == SW_EOF && sw->code != CTX_ERR_NOMEM)
				sw_fail(sw, "syntax error: missing '}'");
			goto out;
		}
		sb_add(&word, "", 0);
		if (sw_check(sw, &word) == -1)
			goto out;
		if (val == NULL && sw->lex->skip_unset_env) {
			sw_unset_text(out, "${", name.p, chs, word.p, "}");
			rc = sw_check(sw, out);
			goto out;
		}
		switch (ch) {
		case '-':
			if (val == NULL || (null_unset && *val == '\0'))
				sb_add(out, word.p, word.len);
			else
				sb_str(out, val);
			break;
		case '+':
			if (!(val == NULL || (null_unset && *val == '\0')))
				sb_add(out, word.p, word.len);
			break;
		case '?':
			if (val == NULL || (null_unset && *val == '\0')) {
				char m[200];

				snprintf(m, sizeof(m), "%.60s: %.100s", name.p,
				    word.len ? word.p : val == NULL ?
				    "is not allowed to be unset" :
				    "is not allowed to be empty");
				sw_fail(sw, m);
				goto out;
			}
			sb_str(out, val);
			break;
		case '%':
		case '#': {
			bool greedy = false;
			const char *w = word.p;
			size_t wl = word.len;

			if (wl > 0 && w[0] == (char)ch) {
				greedy = true;
				w++;
				wl--;
			}
			if (val == NULL)
				val = "";
			if (ch == '%') {
				if (sw_trim_suffix(sw, w, wl, val, strlen(val),
				    greedy, out) == -1)
					goto out;
			} else if (sw_trim_prefix(sw, w, wl, val, strlen(val),
			    greedy, out) == -1)
				goto out;
			break;
		}
		default: {
			char m[64];

			snprintf(m, sizeof(m), "unsupported modifier (%s) in "
			    "substitution", chs);
			sw_fail(sw, m);
			goto out;
		}
		}
		rc = sw_check(sw, out);
		goto out;
	}
	if (ch == '/') {
		bool all = sw_peek(sw) == '/';

		if (all)
			sw_next(sw);
		if (sw_stop_on(sw, '/', true, &word, NULL) == -1) {
			if (sw_peek(sw) == SW_EOF && sw->code != CTX_ERR_NOMEM)
				sw_fail(sw, "syntax error: missing '/' in ${}");
			goto out;
		}
		if (sw_stop_on(sw, '}', true, &repl, NULL) == -1) {
			if (sw_peek(sw) == SW_EOF && sw->code != CTX_ERR_NOMEM)
				sw_fail(sw, "syntax error: missing '}'");
			goto out;
		}
		sb_add(&word, "", 0);
		sb_add(&repl, "", 0);
		if (sw_check(sw, &word) == -1 || sw_check(sw, &repl) == -1)
			goto out;
		if (val == NULL && sw->lex->skip_unset_env) {
			sb_str(out, "${");
			sb_str(out, name.p);
			sb_str(out, "/");
			sb_add(out, word.p, word.len);
			sb_str(out, "/");
			sb_add(out, repl.p, repl.len);
			sb_str(out, "}");
			rc = sw_check(sw, out);
			goto out;
		}
		if (val == NULL)
			val = "";
		rc = sw_replace(sw, word.p, word.len, repl.p, repl.len, val,
		    strlen(val), all, out);
		goto out;
	}
	{
		char m[64];

		snprintf(m, sizeof(m), "unsupported modifier (%s) in "
		    "substitution", ch == SW_EOF ? "" : chs);
		sw_fail(sw, m);
	}
out:
	free(name.p);
	free(word.p);
	free(repl.p);
	return rc;
}

/* processStopOn: the word up to stop (SW_EOF: the end); words may be NULL. */
static int
sw_stop_on(struct sw *sw, long stop, bool raw_escapes, struct strbuf *result,
    struct words *words)
{
	bool saved = sw->raw_escapes;
	int rc = -1;

	sw->raw_escapes = raw_escapes;
	for (;;) {
		long ch = sw_peek(sw);

		if (ch == SW_EOF)
			break;
		if (stop != SW_EOF && ch == stop) {
			sw_next(sw);
			rc = sw_check(sw, result);
			goto out;
		}
		if (ch == '$' || (!sw->lex->skip_process_quotes &&
		    (ch == '\'' || ch == '"'))) {
			struct strbuf tmp = { 0 };
			int r;

			if (ch == '$')
				r = sw_dollar(sw, &tmp);
			else if (ch == '\'')
				r = sw_single_quote(sw, &tmp);
			else
				r = sw_double_quote(sw, &tmp);
			if (r == -1) {
				free(tmp.p);
				goto out;
			}
			sb_add(result, tmp.p, tmp.len);
			if (words != NULL) {
				if (ch == '$')
					words_string(words, tmp.p, tmp.len);
				else
					words_raw_string(words, tmp.p, tmp.len);
			}
			free(tmp.p);
		} else {
			ch = sw_next(sw);
			if (ch == sw->lex->escape) {
				if (sw->raw_escapes) {
					if (words != NULL)
						words_raw_rune(words, ch);
					sb_rune(result, ch);
				}
				ch = sw_next(sw);
				if (ch == SW_EOF)
					break;
				if (words != NULL)
					words_raw_rune(words, ch);
			} else if (words != NULL)
				words_rune(words, ch);
			sb_rune(result, ch);
		}
		if (sw_check(sw, result) == -1)
			goto out;
		if (words != NULL && (words->bad || words->word.bad)) {
			sw->code = CTX_ERR_NOMEM;
			snprintf(sw->msg, sizeof(sw->msg), "out of memory or "
			    "expansion too large");
			goto out;
		}
	}
	if (stop != SW_EOF) {
		char m[80], c[5];

		c[gopath_encode_rune((uint32_t)stop, c)] = '\0';
		snprintf(m, sizeof(m), "unexpected end of statement while "
		    "looking for matching %s", c);
		sw_fail(sw, m);
		goto out;
	}
	rc = sw_check(sw, result);
out:
	sw->raw_escapes = saved;
	return rc;
}

static int
sw_run(const struct shellword_lex *lex, const char *word, size_t len,
    const struct shellword_env *env, char **out, struct words *words,
    struct ctx_error *err)
{
	struct sw sw = {
		.lex = lex, .raw_escapes = lex->raw_escapes,
		.s = (const unsigned char *)word, .len = len, .env = env,
	};
	struct strbuf result = { 0 };

	/* text/scanner skips one BOM at the start of its input. */
	if (len >= 3 && memcmp(word, "\xEF\xBB\xBF", 3) == 0)
		sw.pos = 3;
	if (sw_stop_on(&sw, SW_EOF, lex->raw_escapes, &result, words) == -1) {
		free(result.p);
		if (sw.code == CTX_ERR_NOMEM)
			return ctx_error_nomem(err);
		return ctx_error_set(err, sw.code ? sw.code :
		    CTX_ERR_DOCKERFILE, "failed to process \"%.*s\": %s",
		    (int)(len > 200 ? 200 : len), word, sw.msg);
	}
	if (words != NULL)
		words_finish(words);
	if (out == NULL) {
		free(result.p);
		return 0;
	}
	*out = strbuf_take(&result);
	if (*out == NULL)
		return ctx_error_nomem(err);
	return 0;
}

int
shellword_process(const struct shellword_lex *lex, const char *word,
    size_t len, const struct shellword_env *env, char **out,
    struct ctx_error *err)
{
	*out = NULL;
	return sw_run(lex, word, len, env, out, NULL, err);
}

int
shellword_process_words(const struct shellword_lex *lex, const char *word,
    size_t len, const struct shellword_env *env, char ***words,
    size_t *nwords, struct ctx_error *err)
{
	struct words w = { 0 };

	*words = NULL;
	*nwords = 0;
	if (sw_run(lex, word, len, env, NULL, &w, err) == -1) {
		words_free(&w);
		return -1;
	}
	if (w.bad) {
		words_free(&w);
		return ctx_error_nomem(err);
	}
	*words = w.v;
	*nwords = w.n;
	return 0;
}

void
shellword_words_free(char **words, size_t nwords)
{
	size_t i;

	if (words == NULL)
		return;
	for (i = 0; i < nwords; i++)
		free(words[i]);
	free(words);
}
