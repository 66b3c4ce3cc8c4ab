/*
 * The Dockerfile reader: BuildKit's parser (parser.go, split_command.go,
 * line_parsers.go, directives.go) and the checks of instructions/parse.go and
 * bflag.go, so that what BuildKit refuses we refuse (spec bk-v1 rules 4.6 and
 * 8.3), and the frontend's syntax detection of rule 2.3.  Pinned by
 * tests/unit/test_dockerfile.c.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dockerfile.h"
#include "shellword.h"

#define JSON_MAX_DEPTH 10000	/* encoding/json's maxNestingDepth */

/* ---- small strings ---------------------------------------------------- */

struct str {
	char *p;
	size_t len, cap;
	bool bad;
};

static void
str_add(struct str *s, const char *p, size_t n)
{
	if (s->bad)
		return;
	if (s->len + n + 1 > s->cap) {
		size_t ncap = s->cap ? s->cap : 64;
		char *np;

		while (ncap < s->len + n + 1)
			ncap *= 2;
		np = realloc(s->p, ncap);
		if (np == NULL) {
			s->bad = true;
			return;
		}
		s->p = np;
		s->cap = ncap;
	}
	if (n)
		memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = '\0';
}

static void
str_rune(struct str *s, long r)
{
	char b[4];

	str_add(s, b, shellword_encode(r, b));
}

/* The string, never NULL unless allocation failed. */
static char *
str_take(struct str *s)
{
	char *p;

	if (s->p == NULL)
		str_add(s, "", 0);
	if (s->bad) {
		free(s->p);
		memset(s, 0, sizeof(*s));
		return NULL;
	}
	p = s->p;
	memset(s, 0, sizeof(*s));
	return p;
}

static char *
xstrndup(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

struct strv {
	char **v;
	size_t n, cap;
	bool bad;
};

/* Takes ownership of s (frees it on failure). */
static void
strv_push(struct strv *v, char *s)
{
	if (s == NULL)
		v->bad = true;
	if (v->bad) {
		free(s);
		return;
	}
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 4;
		char **nv = realloc(v->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			free(s);
			v->bad = true;
			return;
		}
		v->v = nv;
		v->cap = ncap;
	}
	v->v[v->n++] = s;
}

static void
strv_free(struct strv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	memset(v, 0, sizeof(*v));
}

/* Go unicode.IsSpace on the rune at p. */
static size_t
space_at(const char *p, size_t len)
{
	size_t w;
	long r = shellword_decode((const unsigned char *)p, len, &w);

	return shellword_is_space(r) ? w : 0;
}

/* strings.TrimLeftFunc(s, unicode.IsSpace) */
static void
trim_left(const char **p, size_t *len)
{
	size_t w;

	while (*len > 0 && (w = space_at(*p, *len)) > 0) {
		*p += w;
		*len -= w;
	}
}

/* strings.TrimSpace */
static void
trim_space(const char **p, size_t *len)
{
	size_t i = 0, end = 0, w;

	trim_left(p, len);
	while (i < *len) {
		long r = shellword_decode((const unsigned char *)*p + i,
		    *len - i, &w);

		i += w;
		if (!shellword_is_space(r))
			end = i;
	}
	*len = end;
}

/* reWhitespace = [\t\v\f\r ] */
static bool
is_rews(char c)
{
	return c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' ';
}

/* ---- JSON (encoding/json validity, strings decoded like Go) ------------ */

struct json {
	const unsigned char *s;
	size_t len, pos;
};

static void
json_ws(struct json *j)
{
	while (j->pos < j->len && (j->s[j->pos] == ' ' ||
	    j->s[j->pos] == '\t' || j->s[j->pos] == '\n' ||
	    j->s[j->pos] == '\r'))
		j->pos++;
}

static long
json_hex4(const struct json *j, size_t at)
{
	long v = 0;
	size_t i;

	if (at + 4 > j->len)
		return -1;
	for (i = 0; i < 4; i++) {
		unsigned c = j->s[at + i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* A string at j->pos ('"'); decoded into out when out is not NULL. */
static int
json_string(struct json *j, struct str *out)
{
	j->pos++;
	for (;;) {
		unsigned c;

		if (j->pos >= j->len)
			return -1;
		c = j->s[j->pos];
		if (c == '"') {
			j->pos++;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			long r;

			if (j->pos + 1 >= j->len)
				return -1;
			c = j->s[j->pos + 1];
			j->pos += 2;
			switch (c) {
			case '"': case '\\': case '/':
				r = (long)c;
				break;
			case 'b': r = '\b'; break;
			case 'f': r = '\f'; break;
			case 'n': r = '\n'; break;
			case 'r': r = '\r'; break;
			case 't': r = '\t'; break;
			case 'u':
				r = json_hex4(j, j->pos);
				if (r < 0)
					return -1;
				j->pos += 4;
				if (r >= 0xD800 && r < 0xE000) {
					long r2 = -1;

					if (j->pos + 6 <= j->len &&
					    j->s[j->pos] == '\\' &&
					    j->s[j->pos + 1] == 'u')
						r2 = json_hex4(j, j->pos + 2);
					if (r < 0xDC00 && r2 >= 0xDC00 &&
					    r2 < 0xE000) {
						r = 0x10000 + ((r - 0xD800) << 10) +
						    (r2 - 0xDC00);
						j->pos += 6;
					} else
						r = 0xFFFD;
				}
				break;
			default:
				return -1;
			}
			if (out != NULL)
				str_rune(out, r);
			continue;
		}
		{
			size_t w;
			long r = shellword_decode(j->s + j->pos, j->len - j->pos,
			    &w);

			if (out != NULL) {
				if (r == 0xFFFD && w == 1)
					str_rune(out, r);
				else
					str_add(out, (const char *)j->s + j->pos,
					    w);
			}
			j->pos += w;
		}
	}
}

static int
json_number(struct json *j)
{
	size_t p = j->pos;
	const unsigned char *s = j->s;

	if (p < j->len && s[p] == '-')
		p++;
	if (p >= j->len)
		return -1;
	if (s[p] == '0')
		p++;
	else if (s[p] >= '1' && s[p] <= '9') {
		while (p < j->len && s[p] >= '0' && s[p] <= '9')
			p++;
	} else
		return -1;
	if (p < j->len && s[p] == '.') {
		p++;
		if (p >= j->len || s[p] < '0' || s[p] > '9')
			return -1;
		while (p < j->len && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	if (p < j->len && (s[p] == 'e' || s[p] == 'E')) {
		p++;
		if (p < j->len && (s[p] == '+' || s[p] == '-'))
			p++;
		if (p >= j->len || s[p] < '0' || s[p] > '9')
			return -1;
		while (p < j->len && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	j->pos = p;
	return 0;
}

/*
 * Validate the whole text as one JSON value.  For a top-level array, string
 * elements are collected in *elems and *nonstring counts the others; for a
 * top-level object, *syntax gets the last "syntax" member if it is a string
 * (NULL if the last one is not).  Iterative: depth is hostile input.
 */
static int
json_parse(const char *text, size_t len, char *top, struct strv *elems,
    size_t *nonstring, char **syntax)
{
	struct json j = { (const unsigned char *)text, len, 0 };
	char *stack;
	size_t depth = 0;
	int rc = -1;
	bool want_value = true, is_key = false;
	char *key = NULL;

	stack = malloc(JSON_MAX_DEPTH + 1);
	if (stack == NULL)
		return -1;
	*top = 0;
	for (;;) {
		json_ws(&j);
		if (want_value) {
			unsigned c;
			bool is_string = false;
			struct str sv = { 0 };

			if (j.pos >= j.len)
				goto out;
			c = j.s[j.pos];
			if (depth == 0)
				*top = (char)c;
			if (c == '[' || c == '{') {
				if (depth == 1 && stack[0] == '[' &&
				    nonstring != NULL)
					(*nonstring)++;
				if (depth == 1 && stack[0] == '{' &&
				    syntax != NULL && key != NULL &&
				    strcmp(key, "syntax") == 0) {
					free(*syntax);
					*syntax = NULL;
				}
				if (depth >= JSON_MAX_DEPTH)
					goto out;
				stack[depth++] = (char)c;
				j.pos++;
				json_ws(&j);
				if (j.pos < j.len && j.s[j.pos] ==
				    (c == '[' ? ']' : '}')) {
					j.pos++;
					depth--;
					want_value = false;
				} else if (c == '{') {
					if (j.pos >= j.len || j.s[j.pos] != '"')
						goto out;
					is_key = true;
				}
				if (!want_value)
					goto after_value;
				if (c == '[')
					continue;
				goto read_key;
			}
			if (c == '"') {
				bool keep = depth == 1 && ((stack[0] == '[' &&
				    elems != NULL) || (stack[0] == '{' &&
				    syntax != NULL && key != NULL &&
				    strcmp(key, "syntax") == 0));

				if (json_string(&j, keep ? &sv : NULL) == -1) {
					free(sv.p);
					goto out;
				}
				is_string = true;
				if (keep && stack[0] == '[')
					strv_push(elems, str_take(&sv));
				else if (keep) {
					free(*syntax);
					*syntax = str_take(&sv);
				}
				free(sv.p);
			} else if (c == '-' || (c >= '0' && c <= '9')) {
				if (json_number(&j) == -1)
					goto out;
			} else if (j.len - j.pos >= 4 &&
			    memcmp(j.s + j.pos, "true", 4) == 0)
				j.pos += 4;
			else if (j.len - j.pos >= 5 &&
			    memcmp(j.s + j.pos, "false", 5) == 0)
				j.pos += 5;
			else if (j.len - j.pos >= 4 &&
			    memcmp(j.s + j.pos, "null", 4) == 0)
				j.pos += 4;
			else
				goto out;
			if (!is_string && depth == 1) {
				if (stack[0] == '[' && nonstring != NULL)
					(*nonstring)++;
				if (stack[0] == '{' && syntax != NULL &&
				    key != NULL && strcmp(key, "syntax") == 0) {
					free(*syntax);
					*syntax = NULL;
				}
			}
			want_value = false;
		}
after_value:
		json_ws(&j);
		if (depth == 0) {
			rc = j.pos == j.len ? 0 : -1;
			goto out;
		}
		if (j.pos >= j.len)
			goto out;
		if (j.s[j.pos] == ',') {
			j.pos++;
			want_value = true;
			if (stack[depth - 1] == '[')
				continue;
			json_ws(&j);
			if (j.pos >= j.len || j.s[j.pos] != '"')
				goto out;
			is_key = true;
			goto read_key;
		}
		if (j.s[j.pos] == (stack[depth - 1] == '[' ? ']' : '}')) {
			j.pos++;
			depth--;
			want_value = false;
			goto after_value;
		}
		goto out;
read_key:
		if (is_key) {
			struct str ks = { 0 };

			is_key = false;
			if (json_string(&j, depth == 1 ? &ks : NULL) == -1) {
				free(ks.p);
				goto out;
			}
			if (depth == 1) {
				free(key);
				key = str_take(&ks);
			}
			free(ks.p);
			json_ws(&j);
			if (j.pos >= j.len || j.s[j.pos] != ':')
				goto out;
			j.pos++;
			want_value = true;
		}
	}
out:
	free(key);
	free(stack);
	return rc;
}

/* ---- directives --------------------------------------------------------- */

struct dirparser {
	const char *prefix;	/* "#" or "//" */
	bool done;
	bool seen_syntax, seen_escape, seen_check;
};

/* Go RE2 \s */
static bool
is_res(unsigned char c)
{
	return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

/*
 * DirectiveParser.ParseLine: 1 with the key and value set for a directive,
 * 0 for none (the search is over), -1 for a repeated directive.
 */
static int
dir_parse_line(struct dirparser *d, const char *line, size_t len,
    const char **key, size_t *klen, const char **val, size_t *vlen)
{
	size_t pl = strlen(d->prefix), i, ks, ke, vs, ve;
	bool *seen;

	if (d->done)
		return 0;
	if (len < pl || memcmp(line, d->prefix, pl) != 0) {
		d->done = true;
		return 0;
	}
	line += pl;
	len -= pl;
	trim_left(&line, &len);
	/* ^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$ */
	i = 0;
	if (len == 0 || !((line[0] >= 'a' && line[0] <= 'z') ||
	    (line[0] >= 'A' && line[0] <= 'Z'))) {
		d->done = true;
		return 0;
	}
	ks = 0;
	while (i < len && ((line[i] >= 'a' && line[i] <= 'z') ||
	    (line[i] >= 'A' && line[i] <= 'Z') ||
	    (line[i] >= '0' && line[i] <= '9')))
		i++;
	ke = i;
	while (i < len && is_res((unsigned char)line[i]))
		i++;
	if (i >= len || line[i] != '=' || memchr(line, '\n', len) != NULL) {
		d->done = true;
		return 0;
	}
	i++;
	if (i >= len) {
		d->done = true;
		return 0;
	}
	vs = i;
	while (vs < len && is_res((unsigned char)line[vs]))
		vs++;
	ve = len;
	while (ve > vs && is_res((unsigned char)line[ve - 1]))
		ve--;
	if (ve == vs) {
		/* all blanks: the lazy group backtracks into one of them */
		vs = len - 1;
		ve = len;
	}
	if (ke - ks == 6 && strncasecmp(line, "syntax", 6) == 0)
		seen = &d->seen_syntax;
	else if (ke - ks == 6 && strncasecmp(line, "escape", 6) == 0)
		seen = &d->seen_escape;
	else if (ke - ks == 5 && strncasecmp(line, "check", 5) == 0)
		seen = &d->seen_check;
	else {
		d->done = true;
		return 0;
	}
	*key = line + ks;
	*klen = ke - ks;
	if (*seen)
		return -1;
	*seen = true;
	*val = line + vs;
	*vlen = ve - vs;
	return 1;
}

static bool
detect_with(const char *buf, size_t len, const char *prefix, char **syntax)
{
	struct dirparser d = { .prefix = prefix };
	size_t pos = 0;

	while (pos < len && !d.done) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len, l = end - pos;
		const char *k, *v;
		size_t kl, vl;
		int r;

		if (l > DOCKERFILE_MAX_LINE)
			break;	/* bufio.Scanner gives up */
		if (l > 0 && buf[pos + l - 1] == '\r')
			l--;
		r = dir_parse_line(&d, buf + pos, l, &k, &kl, &v, &vl);
		if (r == -1)
			break;
		if (r == 1 && kl == 6 && strncasecmp(k, "syntax", 6) == 0) {
			const char *sp = memchr(v, ' ', vl);

			*syntax = xstrndup(v, sp ? (size_t)(sp - v) : vl);
			return *syntax != NULL;
		}
		pos = nl ? end + 1 : len;
	}
	return false;
}

bool
dockerfile_detect_syntax(const char *buf, size_t len, char **syntax)
{
	char top, *js = NULL;

	*syntax = NULL;
	if (len > DOCKERFILE_MAX_SIZE)
		return false;
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	if (len >= 2 && buf[0] == '#' && buf[1] == '!') {
		const char *nl = memchr(buf, '\n', len);

		if (nl == NULL)
			len = 0;
		else {
			len -= (size_t)(nl + 1 - buf);
			buf = nl + 1;
		}
	}
	if (detect_with(buf, len, "#", syntax) ||
	    detect_with(buf, len, "//", syntax))
		return true;
	if (json_parse(buf, len, &top, NULL, NULL, &js) == 0 && top == '{' &&
	    js != NULL) {
		*syntax = js;
		return true;
	}
	free(js);
	return false;
}

/* ---- the line parsers (line_parsers.go) -------------------------------- */

struct parser {
	const char *name;
	int escape;
	struct dirparser dir;
	struct ctx_error *err;
};

static const struct {
	const char *word;
	enum dockerfile_kind kind;
} df_keywords[] = {
	{ "add", DF_ADD }, { "arg", DF_ARG }, { "cmd", DF_CMD },
	{ "copy", DF_COPY }, { "entrypoint", DF_ENTRYPOINT }, { "env", DF_ENV },
	{ "expose", DF_EXPOSE }, { "from", DF_FROM },
	{ "healthcheck", DF_HEALTHCHECK }, { "label", DF_LABEL },
	{ "maintainer", DF_MAINTAINER }, { "onbuild", DF_ONBUILD },
	{ "run", DF_RUN }, { "shell", DF_SHELL }, { "stopsignal", DF_STOPSIGNAL },
	{ "user", DF_USER }, { "volume", DF_VOLUME }, { "workdir", DF_WORKDIR },
};

/* strings.ToLower(keyword) looked up; the Kelvin sign lowers to 'k'. */
static enum dockerfile_kind
keyword_kind(const char *w, size_t len)
{
	char low[16];
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)w[i];

		if (n >= sizeof(low) - 1)
			return DF_UNKNOWN;
		if (c == 0xE2 && i + 2 < len && (unsigned char)w[i + 1] == 0x84 &&
		    (unsigned char)w[i + 2] == 0xAA) {
			low[n++] = 'k';
			i += 2;
			continue;
		}
		if (c >= 0x80 || c == 0)
			return DF_UNKNOWN;
		low[n++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
	}
	low[n] = '\0';
	for (i = 0; i < sizeof(df_keywords) / sizeof(df_keywords[0]); i++)
		if (strcmp(low, df_keywords[i].word) == 0)
			return df_keywords[i].kind;
	return DF_UNKNOWN;
}

/*
 * extractBuilderFlags: leading --words (quotes and the escape character
 * honoured) become flags; returns the offset where the arguments start.
 * Bytes are taken one at a time as runes (rune(line[pos])), so a byte
 * >= 0x80 is re-encoded as U+0080..U+00FF and 0x85/0xA0 count as blanks.
 */
static size_t
extract_flags(const char *line, size_t len, int esc, struct strv *flags)
{
	enum { IN_SPACES, IN_WORD, IN_QUOTE } phase = IN_SPACES;
	struct str word = { 0 };
	unsigned char quote = 0;
	bool blank_ok = false;
	size_t pos;

	for (pos = 0; pos <= len; pos++) {
		unsigned char ch = pos < len ? (unsigned char)line[pos] : 0;

		if (phase == IN_SPACES) {
			if (pos == len)
				break;
			if (shellword_is_space(ch))
				continue;
			if (ch != '-' || pos + 1 == len || line[pos + 1] != '-') {
				free(word.p);
				return pos;
			}
			phase = IN_WORD;
		}
		if (pos == len) {
			bool dd = word.len == 2 && memcmp(word.p, "--", 2) == 0;

			if (!dd && (blank_ok || word.len > 0))
				strv_push(flags, str_take(&word));
			break;
		}
		if (phase == IN_WORD) {
			if (shellword_is_space(ch)) {
				phase = IN_SPACES;
				if (word.len == 2 && memcmp(word.p, "--", 2) == 0) {
					free(word.p);
					return pos;
				}
				if (blank_ok || word.len > 0)
					strv_push(flags, str_take(&word));
				free(word.p);
				memset(&word, 0, sizeof(word));
				blank_ok = false;
				continue;
			}
			if (ch == '\'' || ch == '"') {
				quote = ch;
				blank_ok = true;
				phase = IN_QUOTE;
				continue;
			}
			if (ch == esc) {
				if (pos + 1 == len)
					continue;
				ch = (unsigned char)line[++pos];
			}
			str_rune(&word, ch);
			continue;
		}
		/* IN_QUOTE */
		if (ch == quote) {
			phase = IN_WORD;
			continue;
		}
		if (ch == esc) {
			if (pos + 1 == len) {
				phase = IN_WORD;
				continue;
			}
			ch = (unsigned char)line[++pos];
		}
		str_rune(&word, ch);
	}
	free(word.p);
	return len;
}

/* regexp [\t\v\f\r ]+ Split(rest, -1) */
static void
split_rews(const char *p, size_t len, struct strv *out)
{
	size_t i = 0, start = 0;

	while (i < len) {
		if (is_rews(p[i])) {
			size_t j = i;

			while (j < len && is_rews(p[j]))
				j++;
			strv_push(out, xstrndup(p + start, i - start));
			start = i = j;
		} else
			i++;
	}
	strv_push(out, xstrndup(p + start, len - start));
}

/* parseJSON: 1 = a JSON array of strings, 0 = not JSON, -1 = JSON array
 * with a non-string (fails the build). */
static int
parse_json(const char *rest, size_t len, struct strv *args)
{
	char top;
	size_t nonstring = 0;
	struct strv v = { 0 };

	trim_left(&rest, &len);
	if (len == 0 || rest[0] != '[')
		return 0;
	if (json_parse(rest, len, &top, &v, &nonstring, NULL) == -1 ||
	    v.bad) {
		strv_free(&v);
		return 0;
	}
	if (nonstring > 0) {
		strv_free(&v);
		return -1;
	}
	for (size_t i = 0; i < v.n; i++)
		strv_push(args, v.v[i]);	/* HEALTHCHECK has its type first */
	free(v.v);
	return 1;
}

/* parseWords (ENV, LABEL, ARG): quotes and escapes stay in the words. */
static void
parse_words(const char *rest, size_t len, int esc, struct strv *out)
{
	enum { IN_SPACES, IN_WORD, IN_QUOTE } phase = IN_SPACES;
	struct str w = { 0 };
	long quote = 0, ch = 0;
	bool blank_ok = false;
	size_t pos = 0, width = 0;

	for (pos = 0; pos <= len; pos += width) {
		if (pos != len)
			ch = shellword_decode((const unsigned char *)rest + pos,
			    len - pos, &width);
		if (phase == IN_SPACES) {
			if (pos == len)
				break;
			if (shellword_is_space(ch))
				continue;
			phase = IN_WORD;
		}
		if (pos == len) {
			if (blank_ok || w.len > 0)
				strv_push(out, str_take(&w));
			break;
		}
		if (phase == IN_WORD) {
			if (shellword_is_space(ch)) {
				phase = IN_SPACES;
				if (blank_ok || w.len > 0)
					strv_push(out, str_take(&w));
				free(w.p);
				memset(&w, 0, sizeof(w));
				blank_ok = false;
				continue;
			}
			if (ch == '\'' || ch == '"') {
				quote = ch;
				blank_ok = true;
				phase = IN_QUOTE;
			}
			if (ch == esc) {
				if (pos + width == len)
					continue;
				str_rune(&w, ch);
				pos += width;
				ch = shellword_decode((const unsigned char *)rest +
				    pos, len - pos, &width);
			}
			str_rune(&w, ch);
			continue;
		}
		if (ch == quote)
			phase = IN_WORD;
		if (ch == esc && quote != '\'') {
			if (pos + width == len) {
				phase = IN_WORD;
				continue;
			}
			pos += width;
			str_rune(&w, ch);
			ch = shellword_decode((const unsigned char *)rest + pos,
			    len - pos, &width);
		}
		str_rune(&w, ch);
	}
	free(w.p);
}

static int	perr(struct parser *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
perr(struct parser *p, size_t line, const char *fmt, ...)
{
	char m[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return ctx_error_set(p->err, CTX_ERR_DOCKERFILE, "%s:%zu: %s", p->name,
	    line, m);
}

static void	instr_clear(struct dockerfile_instr *);

/* parseMaybeJSON / parseMaybeJSONToList */
static int
maybe_json(struct parser *p, const char *rest, size_t rl, bool to_list,
    size_t lineno, struct dockerfile_instr *ins, struct strv *args)
{
	int j;

	if (!to_list && rl == 0)
		return 0;
	j = parse_json(rest, rl, args);
	if (j == -1)
		return perr(p, lineno, "%s", "when using JSON array syntax, "
		    "arrays must be comprised of strings only");
	if (j == 1)
		ins->json = true;
	else if (!to_list)
		strv_push(args, xstrndup(rest, rl));
	else if (rl > 0)
		split_rews(rest, rl, args);
	return 0;
}

static int
name_val(struct parser *p, const char *rest, size_t rl, size_t lineno,
    const char *what, struct strv *args)
{
	struct strv w = { 0 };
	size_t i;

	parse_words(rest, rl, p->escape, &w);
	if (w.n == 0) {
		strv_free(&w);
		return 0;
	}
	if (strchr(w.v[0], '=') == NULL) {
		/* the legacy `KEY value` form: split the raw rest once */
		size_t k = 0, v;

		strv_free(&w);
		while (k < rl && !is_rews(rest[k]))
			k++;
		v = k;
		while (v < rl && is_rews(rest[v]))
			v++;
		if (k == rl)
			return perr(p, lineno, "%s must have two arguments",
			    what);
		strv_push(args, xstrndup(rest, k));
		strv_push(args, xstrndup(rest + v, rl - v));
		strv_push(args, xstrndup("", 0));
		return 0;
	}
	for (i = 0; i < w.n; i++) {
		char *eq = strchr(w.v[i], '=');

		if (eq == NULL) {
			perr(p, lineno, "Syntax error - can't find = in \"%s\". "
			    "Must be of the form: name=value", w.v[i]);
			strv_free(&w);
			return -1;
		}
		strv_push(args, xstrndup(w.v[i], (size_t)(eq - w.v[i])));
		strv_push(args, xstrndup(eq + 1, strlen(eq + 1)));
		strv_push(args, xstrndup("=", 1));
	}
	strv_free(&w);
	return 0;
}

/*
 * newNodeFromLine: keyword, raw flags and the arguments of one logical
 * line; an ONBUILD's trigger becomes ins->trigger.
 */
static int
node_from_line(struct parser *p, const char *line, size_t len, size_t lineno,
    struct dockerfile_instr *ins)
{
	const char *t = line, *rest;
	size_t tl = len, kl, rl, off;
	struct strv flags = { 0 }, args = { 0 };
	int rc = -1;

	memset(ins, 0, sizeof(*ins));
	trim_space(&t, &tl);
	for (kl = 0; kl < tl && !is_rews(t[kl]); kl++)
		;
	ins->keyword = xstrndup(t, kl);
	ins->original = xstrndup(line, len);
	ins->kind = keyword_kind(t, kl);
	rest = t + kl;
	rl = tl - kl;
	while (rl > 0 && is_rews(*rest)) {
		rest++;
		rl--;
	}
	if (kl < tl) {
		off = extract_flags(rest, rl, p->escape, &flags);
		rest += off;
		rl -= off;
	}
	trim_space(&rest, &rl);

	switch (ins->kind) {
	case DF_ADD:
	case DF_COPY:
	case DF_VOLUME:
		if (maybe_json(p, rest, rl, true, lineno, ins, &args) == -1)
			goto out;
		break;
	case DF_RUN:
	case DF_CMD:
	case DF_ENTRYPOINT:
	case DF_SHELL:
		if (maybe_json(p, rest, rl, false, lineno, ins, &args) == -1)
			goto out;
		break;
	case DF_FROM:
	case DF_EXPOSE:
		if (rl > 0)
			split_rews(rest, rl, &args);
		break;
	case DF_ARG:
		parse_words(rest, rl, p->escape, &args);
		break;
	case DF_ENV:
	case DF_LABEL:
		if (name_val(p, rest, rl, lineno, ins->kind == DF_ENV ? "ENV" :
		    "LABEL", &args) == -1)
			goto out;
		break;
	case DF_MAINTAINER:
	case DF_STOPSIGNAL:
	case DF_USER:
	case DF_WORKDIR:
		if (rl > 0)
			strv_push(&args, xstrndup(rest, rl));
		break;
	case DF_HEALTHCHECK: {
		/* parseHealthConfig tests bytes with unicode.IsSpace */
		size_t sep = 0, next;

		while (sep < rl && !shellword_is_space((unsigned char)rest[sep]))
			sep++;
		next = sep;
		while (next < rl && shellword_is_space((unsigned char)rest[next]))
			next++;
		if (sep == 0)
			break;
		strv_push(&args, xstrndup(rest, sep));
		if (maybe_json(p, rest + next, rl - next, false, lineno, ins,
		    &args) == -1)
			goto out;
		break;
	}
	case DF_ONBUILD: {
		struct dockerfile_instr *sub;
		char *sl;
		size_t i;

		if (rl == 0)
			break;
		sub = calloc(1, sizeof(*sub));
		sl = xstrndup(rest, rl);
		if (sub == NULL || sl == NULL) {
			free(sub);
			free(sl);
			rc = ctx_error_nomem(p->err);
			goto out;
		}
		if (node_from_line(p, sl, rl, lineno, sub) == -1) {
			free(sub);
			free(sl);
			goto out;
		}
		free(sl);
		ins->trigger = sub;
		/* nodeArgs flattens the sub-command: keyword, then its args */
		strv_push(&args, xstrndup(sub->keyword, strlen(sub->keyword)));
		for (i = 0; i < sub->nargs; i++)
			strv_push(&args, xstrndup(sub->args[i],
			    strlen(sub->args[i])));
		break;
	}
	default:
		break;
	}
	rc = 0;
out:
	ins->raw_flags = flags.v;
	ins->nraw_flags = flags.n;
	ins->args = args.v;
	ins->nargs = args.n;
	if (rc == 0 && (flags.bad || args.bad || ins->keyword == NULL ||
	    ins->original == NULL))
		rc = ctx_error_nomem(p->err);
	if (rc == -1)
		instr_clear(ins);
	return rc;
}

static void
instr_clear(struct dockerfile_instr *ins)
{
	size_t i;

	if (ins == NULL)
		return;
	free(ins->keyword);
	free(ins->original);
	for (i = 0; i < ins->nraw_flags; i++)
		free(ins->raw_flags[i]);
	free(ins->raw_flags);
	for (i = 0; i < ins->nflags; i++) {
		free(ins->flags[i].name);
		free(ins->flags[i].value);
	}
	free(ins->flags);
	for (i = 0; i < ins->nargs; i++)
		free(ins->args[i]);
	free(ins->args);
	for (i = 0; i < ins->nheredocs; i++) {
		free(ins->heredocs[i].name);
		free(ins->heredocs[i].content);
	}
	free(ins->heredocs);
	if (ins->trigger != NULL) {
		instr_clear(ins->trigger);
		free(ins->trigger);
	}
	free(ins->expression);
	memset(ins, 0, sizeof(*ins));
}

/* ---- heredocs ------------------------------------------------------------ */

static size_t
count_quotes(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (*s == '\'' || *s == '"')
			n++;
	return n;
}

/* ParseHeredoc: 1 and *hd filled for `[n]<<[-]WORD`, 0 if not, -1 error. */
static int
heredoc_parse(const char *src, struct dockerfile_heredoc *hd,
    struct ctx_error *err)
{
	const char *q = src, *rest;
	struct shellword_lex lex = { .escape = '\\', .skip_unset_env = true };
	char **w = NULL, **wr = NULL;
	size_t nw = 0, nwr = 0;
	unsigned long long fd = 0;
	bool chomp = false;
	int rc = -1;

	while (*q >= '0' && *q <= '9') {
		fd = fd * 10 + (unsigned long long)(*q - '0');
		if (fd > 0xFFFFFFFFull)
			fd = 0xFFFFFFFFull;
		q++;
	}
	if (q[0] != '<' || q[1] != '<')
		return 0;
	q += 2;
	if (*q == '-') {
		chomp = true;
		q++;
	}
	rest = q;
	if (strchr(rest, '<') != NULL || *rest == '\0')
		return 0;
	if (shellword_process_words(&lex, rest, strlen(rest), NULL, &w, &nw,
	    err) == -1)
		return -1;
	if (nw != 1) {
		rc = 0;
		goto out;
	}
	lex.raw_quotes = true;
	if (shellword_process_words(&lex, rest, strlen(rest), NULL, &wr, &nwr,
	    err) == -1)
		goto out;
	if (nwr != nw) {
		ctx_error_set(err, CTX_ERR_DOCKERFILE, "internal lexing of "
		    "heredoc produced inconsistent results: %.200s", rest);
		goto out;
	}
	if (hd != NULL) {
		memset(hd, 0, sizeof(*hd));
		hd->name = w[0];
		w[0] = NULL;
		hd->chomp = chomp;
		hd->fd = (unsigned)fd;
		hd->expand = count_quotes(hd->name) == count_quotes(wr[0]);
	}
	rc = 1;
out:
	shellword_words_free(w, nw);
	shellword_words_free(wr, nwr);
	return rc;
}

bool
dockerfile_is_heredoc(const char *src)
{
	struct ctx_error e;

	return heredoc_parse(src, NULL, &e) == 1;
}

/* canContainHeredoc: RUN/COPY/ADD (or an ONBUILD of one), not JSON. */
static bool
can_heredoc(const struct dockerfile_instr *ins)
{
	if (ins->kind == DF_ONBUILD && ins->trigger != NULL)
		ins = ins->trigger;
	return (ins->kind == DF_RUN || ins->kind == DF_COPY ||
	    ins->kind == DF_ADD) && !ins->json;
}

/* heredocsFromLine: the heredoc words of the line, lexed with `\`. */
static int
heredocs_from_line(const char *line, struct dockerfile_instr *ins,
    struct ctx_error *err)
{
	struct shellword_lex lex = { .escape = '\\', .raw_quotes = true,
	    .raw_escapes = true, .skip_unset_env = true };
	struct ctx_error ignored;
	char **w = NULL;
	size_t nw = 0, i;
	int rc = 0;

	if (shellword_process_words(&lex, line, strlen(line), NULL, &w, &nw,
	    &ignored) == -1) {
		if (ignored.code == CTX_ERR_NOMEM)
			return ctx_error_nomem(err);
		return 0;	/* BuildKit ignores the error: no heredocs */
	}
	for (i = 0; i < nw && rc == 0; i++) {
		struct dockerfile_heredoc hd;
		int r = heredoc_parse(w[i], &hd, err);

		if (r == -1)
			rc = -1;
		else if (r == 1) {
			struct dockerfile_heredoc *nh = realloc(ins->heredocs,
			    (ins->nheredocs + 1) * sizeof(*nh));

			if (nh == NULL) {
				free(hd.name);
				rc = ctx_error_nomem(err);
				break;
			}
			ins->heredocs = nh;
			nh[ins->nheredocs++] = hd;
		}
	}
	shellword_words_free(w, nw);
	return rc;
}

/* ---- CSV (encoding/csv Reader.Read of one record) ------------------------ */

int
dockerfile_split_csv(const char *s, char ***fields, size_t *nfields)
{
	struct strv v = { 0 };
	size_t len = strlen(s), i = 0;

	*fields = NULL;
	*nfields = 0;
	if (len > 0 && s[len - 1] == '\r')
		len--;	/* csv drops a trailing \r before EOF */
	if (len == 0)
		return -1;	/* io.EOF */
	for (;;) {
		struct str f = { 0 };

		if (i < len && s[i] == '"') {
			i++;
			for (;;) {
				if (i >= len)
					goto bad;	/* extraneous or missing " */
				if (s[i] == '"') {
					if (i + 1 < len && s[i + 1] == '"') {
						str_add(&f, "\"", 1);
						i += 2;
						continue;
					}
					i++;
					break;
				}
				str_add(&f, s + i, 1);
				i++;
			}
			if (i < len && s[i] != ',')
				goto bad;
		} else {
			size_t st = i;

			while (i < len && s[i] != ',') {
				if (s[i] == '"')
					goto bad;	/* bare " */
				i++;
			}
			str_add(&f, s + st, i - st);
		}
		strv_push(&v, str_take(&f));
		if (i >= len)
			break;
		i++;	/* the comma */
		continue;
bad:
		free(f.p);
		strv_free(&v);
		return -1;
	}
	if (v.bad) {
		strv_free(&v);
		return -1;
	}
	*fields = v.v;
	*nfields = v.n;
	return 0;
}

/* ---- instruction checks (instructions/parse.go, bflag.go) --------------- */

enum { FL_BOOL, FL_STRING, FL_STRINGS };
struct flagspec {
	const char *name;
	int type;
};

static const struct flagspec fl_add[] = {
	{ "chown", FL_STRING }, { "chmod", FL_STRING }, { "link", FL_BOOL },
	{ "keep-git-dir", FL_BOOL }, { "checksum", FL_STRING },
	{ "exclude", FL_STRINGS }, { "unpack", FL_BOOL }, { NULL, 0 },
};
static const struct flagspec fl_copy[] = {
	{ "chown", FL_STRING }, { "from", FL_STRING }, { "chmod", FL_STRING },
	{ "link", FL_BOOL }, { "exclude", FL_STRINGS }, { "parents", FL_BOOL },
	{ NULL, 0 },
};
static const struct flagspec fl_from[] = {
	{ "platform", FL_STRING }, { NULL, 0 },
};
static const struct flagspec fl_run[] = {
	{ "mount", FL_STRINGS }, { "network", FL_STRING },
	{ "security", FL_STRING }, { NULL, 0 },
};
static const struct flagspec fl_health[] = {
	{ "interval", FL_STRING }, { "timeout", FL_STRING },
	{ "start-period", FL_STRING }, { "start-interval", FL_STRING },
	{ "retries", FL_STRING }, { NULL, 0 },
};
static const struct flagspec fl_none[] = { { NULL, 0 } };

static int	ierr(struct parser *, const struct dockerfile_instr *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));

static int
ierr(struct parser *p, const struct dockerfile_instr *ins, const char *fmt,
    ...)
{
	char m[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return ctx_error_set(p->err, CTX_ERR_DOCKERFILE, "%s:%zu: %s", p->name,
	    ins->start_line, m);
}

/* BFlags.Parse */
static int
check_flags(struct parser *p, struct dockerfile_instr *ins,
    const struct flagspec *spec)
{
	size_t i, k;

	ins->flags = calloc(ins->nraw_flags + 1, sizeof(*ins->flags));
	if (ins->flags == NULL)
		return ctx_error_nomem(p->err);
	for (i = 0; i < ins->nraw_flags; i++) {
		const char *a = ins->raw_flags[i] + 2, *eq = strchr(a, '=');
		size_t nl = eq ? (size_t)(eq - a) : strlen(a);
		const struct flagspec *f = NULL;
		struct dockerfile_flag *fl = &ins->flags[ins->nflags];
		char nm[128];

		snprintf(nm, sizeof(nm), "%.*s", (int)(nl > 100 ? 100 : nl), a);
		for (k = 0; spec[k].name != NULL; k++)
			if (strlen(spec[k].name) == nl &&
			    memcmp(spec[k].name, a, nl) == 0)
				f = &spec[k];
		if (f == NULL)
			return ierr(p, ins, "unknown flag: %s%s", nm, "");
		for (k = 0; k < ins->nflags && f->type != FL_STRINGS; k++)
			if (strcmp(ins->flags[k].name, f->name) == 0)
				return ierr(p, ins, "duplicate flag specified: "
				    "%s%s", nm, "");
		if (f->type == FL_BOOL) {
			if (eq != NULL && eq[1] == '\0')
				return ierr(p, ins, "missing a value on flag: "
				    "%s%s", nm, "");
			if (eq != NULL && strcasecmp(eq + 1, "true") != 0 &&
			    strcasecmp(eq + 1, "false") != 0)
				return ierr(p, ins, "expecting boolean value "
				    "for flag %s, not: %.200s", nm, eq + 1);
		} else if (eq == NULL)
			return ierr(p, ins, "missing a value on flag: %s%s", nm,
			    "");
		fl->name = xstrndup(f->name, strlen(f->name));
		if (f->type == FL_BOOL)
			fl->value = xstrndup(eq == NULL ||
			    strcasecmp(eq + 1, "true") == 0 ? "true" : "false",
			    eq == NULL || strcasecmp(eq + 1, "true") == 0 ? 4 : 5);
		else
			fl->value = xstrndup(eq + 1, strlen(eq + 1));
		fl->has_value = eq != NULL;
		ins->nflags++;
		if (fl->name == NULL || fl->value == NULL)
			return ctx_error_nomem(p->err);
	}
	return 0;
}

const char *
dockerfile_flag(const struct dockerfile_instr *ins, const char *fname)
{
	size_t i;
	const char *v = NULL;

	for (i = 0; i < ins->nflags; i++)
		if (strcmp(ins->flags[i].name, fname) == 0)
			v = ins->flags[i].value;
	return v;
}

/* time.ParseDuration, in nanoseconds; -1 when invalid or out of range. */
static int
parse_duration(const char *s, double *ns)
{
	bool neg = false;
	double total = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 0;
	}
	if (*s == '\0')
		return -1;
	while (*s) {
		double v = 0, scale = 1, unit;
		bool digits = false;

		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (*s++ - '0');
			digits = true;
		}
		if (*s == '.') {
			s++;
			while (*s >= '0' && *s <= '9') {
				scale /= 10;
				v += (*s++ - '0') * scale;
				digits = true;
			}
		}
		if (!digits)
			return -1;
		if (strncmp(s, "ns", 2) == 0) { unit = 1; s += 2; }
		else if (strncmp(s, "us", 2) == 0) { unit = 1e3; s += 2; }
		else if (strncmp(s, "\xC2\xB5s", 3) == 0) { unit = 1e3; s += 3; }
		else if (strncmp(s, "\xCE\xBCs", 3) == 0) { unit = 1e3; s += 3; }
		else if (strncmp(s, "ms", 2) == 0) { unit = 1e6; s += 2; }
		else if (*s == 's') { unit = 1e9; s++; }
		else if (*s == 'm') { unit = 60e9; s++; }
		else if (*s == 'h') { unit = 3600e9; s++; }
		else
			return -1;
		total += v * unit;
		if (total > 9.223372036854775807e18)
			return -1;
	}
	*ns = neg ? -total : total;
	return 0;
}

static bool
parse_int32(const char *s, long *out)
{
	char *end;
	long long v;

	if (*s == '\0' || strchr(s, '_') != NULL || strchr(s, ' ') != NULL)
		return false;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < INT32_MIN || v > INT32_MAX || s[0] == '\t' ||
	    s[0] == '\n' || s[0] == '\v' || s[0] == '\f' || s[0] == '\r')
		return false;
	*out = (long)v;
	return true;
}

/* The first pass of parseMount (no expander): the CSV must parse and a
 * from= value must not have a `$` before its last byte. */
static int
check_mount(struct parser *p, const struct dockerfile_instr *ins,
    const char *val)
{
	char **f;
	size_t n, i;
	int rc = 0;

	if (dockerfile_split_csv(val, &f, &n) == -1)
		return ierr(p, ins, "failed to parse csv mounts: %.200s%s", val,
		    "");
	for (i = 0; i < n && rc == 0; i++) {
		char *eq = strchr(f[i], '='), *d;

		if (eq == NULL || eq - f[i] != 4 ||
		    strncasecmp(f[i], "from", 4) != 0)
			continue;
		d = strchr(eq + 1, '$');
		if (d != NULL && d[1] != '\0')
			rc = ierr(p, ins, "'%s' doesn't support variable "
			    "expansion, define alias stage instead%s", "from",
			    "");
	}
	for (i = 0; i < n; i++)
		free(f[i]);
	free(f);
	return rc;
}

static bool
valid_stage_name(const char *s)
{
	if (!(*s >= 'a' && *s <= 'z'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static const char *
upper_name(enum dockerfile_kind k)
{
	size_t i;
	static char buf[16];

	for (i = 0; i < sizeof(df_keywords) / sizeof(df_keywords[0]); i++)
		if (df_keywords[i].kind == k) {
			size_t j;

			for (j = 0; df_keywords[i].word[j]; j++)
				buf[j] = (char)(df_keywords[i].word[j] - 32);
			buf[j] = '\0';
			return buf;
		}
	return "";
}

/* OnbuildCommand.Expression: `(?i)^\s*ONBUILD\s*` removed, heredocs added. */
static char *
onbuild_expression(const struct dockerfile_instr *ins)
{
	const char *o = ins->original;
	struct str s = { 0 };
	size_t i;

	while (is_res((unsigned char)*o))
		o++;
	if (strncasecmp(o, "onbuild", 7) == 0) {
		o += 7;
		while (is_res((unsigned char)*o))
			o++;
	} else
		o = ins->original;
	str_add(&s, o, strlen(o));
	for (i = 0; i < ins->nheredocs; i++) {
		str_add(&s, "\n", 1);
		str_add(&s, ins->heredocs[i].content,
		    strlen(ins->heredocs[i].content));
		str_add(&s, ins->heredocs[i].name, strlen(ins->heredocs[i].name));
	}
	return str_take(&s);
}

/* ParseInstruction's checks for one instruction. */
static int
check_instr(struct parser *p, struct dockerfile_instr *ins)
{
	const char *u = upper_name(ins->kind);
	char what[16];
	size_t i;

	snprintf(what, sizeof(what), "%s", u);
	switch (ins->kind) {
	case DF_UNKNOWN:
		return ierr(p, ins, "unknown instruction: %.100s%s",
		    ins->keyword, "");
	case DF_ENV:
	case DF_LABEL:
		if (check_flags(p, ins, fl_none) == -1)
			return -1;
		if (ins->nargs == 0)
			return ierr(p, ins, "%s requires at least one argument%s",
			    what, "");
		for (i = 0; i < ins->nargs; i += 3)
			if (ins->args[i][0] == '\0')
				return ierr(p, ins, "%s names can not be blank%s",
				    what, "");
		return 0;
	case DF_MAINTAINER:
	case DF_WORKDIR:
	case DF_USER:
		if (ins->nargs != 1)
			return ierr(p, ins, "%s requires exactly one argument%s",
			    what, "");
		return check_flags(p, ins, fl_none);
	case DF_STOPSIGNAL:
		if (ins->nargs != 1)
			return ierr(p, ins, "%s requires exactly one argument%s",
			    what, "");
		return 0;	/* parseStopSignal never parses its flags */
	case DF_ADD:
	case DF_COPY:
		if (ins->nargs < 2)
			return ierr(p, ins, "%s requires at least two arguments, "
			    "but only one was provided. Destination could not "
			    "be determined%s", what, ".");
		if (check_flags(p, ins, ins->kind == DF_ADD ? fl_add :
		    fl_copy) == -1)
			return -1;
		if (dockerfile_is_heredoc(ins->args[ins->nargs - 1]))
			return ierr(p, ins, "%s cannot accept a heredoc as %s",
			    what, "a destination");
		return 0;
	case DF_FROM:
		if (ins->nargs == 3 && strcasecmp(ins->args[1], "as") == 0) {
			char *n = ins->args[2];

			for (i = 0; n[i]; i++)
				if (n[i] >= 'A' && n[i] <= 'Z')
					n[i] = (char)(n[i] + 32);
			if (!valid_stage_name(n))
				return ierr(p, ins, "invalid name for build "
				    "stage: \"%.100s\", name can't start with a "
				    "number or contain symbols%s", n, "");
		} else if (ins->nargs != 1)
			return ierr(p, ins, "FROM requires either one or three "
			    "arguments%s%s", "", "");
		return check_flags(p, ins, fl_from);
	case DF_ONBUILD: {
		const char *t;

		if (ins->nargs == 0)
			return ierr(p, ins, "ONBUILD requires at least one "
			    "argument%s%s", "", "");
		if (check_flags(p, ins, fl_none) == -1)
			return -1;
		t = ins->trigger->keyword;
		if (strcasecmp(t, "onbuild") == 0)
			return ierr(p, ins, "Chaining ONBUILD via `ONBUILD "
			    "ONBUILD` isn't allowed%s%s", "", "");
		if (strcasecmp(t, "maintainer") == 0 ||
		    strcasecmp(t, "from") == 0)
			return ierr(p, ins, "%s isn't allowed as an ONBUILD "
			    "trigger%s", ins->trigger->kind == DF_FROM ? "FROM" :
			    "MAINTAINER", "");
		ins->expression = onbuild_expression(ins);
		return ins->expression == NULL ? ctx_error_nomem(p->err) : 0;
	}
	case DF_RUN: {
		const char *v;

		if (check_flags(p, ins, fl_run) == -1)
			return -1;
		for (i = 0; i < ins->nflags; i++)
			if (strcmp(ins->flags[i].name, "mount") == 0 &&
			    check_mount(p, ins, ins->flags[i].value) == -1)
				return -1;
		v = dockerfile_flag(ins, "network");
		if (v != NULL && strcmp(v, "default") != 0 &&
		    strcmp(v, "none") != 0 && strcmp(v, "host") != 0)
			return ierr(p, ins, "network mode \"%.100s\" not "
			    "supported%s", v, "");
		v = dockerfile_flag(ins, "security");
		if (v != NULL && strcmp(v, "sandbox") != 0 &&
		    strcmp(v, "insecure") != 0)
			return ierr(p, ins, "security mode \"%.100s\" not "
			    "supported%s", v, "");
		return 0;
	}
	case DF_CMD:
	case DF_ENTRYPOINT:
		return check_flags(p, ins, fl_none);
	case DF_HEALTHCHECK: {
		char typ[16];
		static const char *const iv[] = { "interval", "timeout",
		    "start-period", "start-interval" };
		const char *r;
		long n;

		if (ins->nargs == 0)
			return ierr(p, ins, "HEALTHCHECK requires at least one "
			    "argument%s%s", "", "");
		snprintf(typ, sizeof(typ), "%s", ins->args[0]);
		for (i = 0; typ[i]; i++)
			if (typ[i] >= 'a' && typ[i] <= 'z')
				typ[i] = (char)(typ[i] - 32);
		if (strlen(ins->args[0]) == 4 && strcmp(typ, "NONE") == 0) {
			if (ins->nargs != 1)
				return ierr(p, ins, "HEALTHCHECK NONE takes no "
				    "arguments%s%s", "", "");
			return 0;
		}
		if (check_flags(p, ins, fl_health) == -1)
			return -1;
		if (!(strlen(ins->args[0]) == 3 && strcmp(typ, "CMD") == 0))
			return ierr(p, ins, "Unknown type \"%.100s\" in "
			    "HEALTHCHECK (try CMD)%s", ins->args[0], "");
		if (ins->nargs < 2)
			return ierr(p, ins, "Missing command after HEALTHCHECK "
			    "CMD%s%s", "", "");
		for (i = 0; i < 4; i++) {
			double d;

			r = dockerfile_flag(ins, iv[i]);
			if (r == NULL || *r == '\0')
				continue;
			if (parse_duration(r, &d) == -1)
				return ierr(p, ins, "time: invalid duration "
				    "\"%.100s\"%s", r, "");
			if (d != 0 && d < 1e6)
				return ierr(p, ins, "Interval \"%s\" cannot be "
				    "less than 1ms%s", iv[i], "");
		}
		r = dockerfile_flag(ins, "retries");
		if (r != NULL && *r != '\0') {
			if (!parse_int32(r, &n))
				return ierr(p, ins, "strconv.ParseInt: parsing "
				    "\"%.100s\": invalid syntax%s", r, "");
			if (n < 0)
				return ierr(p, ins, "--retries cannot be "
				    "negative (%s)%s", r, "");
		}
		return 0;
	}
	case DF_EXPOSE:
		if (ins->nargs == 0)
			return ierr(p, ins, "EXPOSE requires at least one "
			    "argument%s%s", "", "");
		return check_flags(p, ins, fl_none);
	case DF_VOLUME:
		if (ins->nargs == 0)
			return ierr(p, ins, "VOLUME requires at least one "
			    "argument%s%s", "", "");
		if (check_flags(p, ins, fl_none) == -1)
			return -1;
		for (i = 0; i < ins->nargs; i++) {
			const char *a = ins->args[i];
			size_t al = strlen(a);

			trim_space(&a, &al);
			if (al == 0)
				return ierr(p, ins, "VOLUME specified can not be "
				    "an empty string%s%s", "", "");
		}
		return 0;
	case DF_ARG:
		if (ins->nargs == 0)
			return ierr(p, ins, "ARG requires at least one "
			    "argument%s%s", "", "");
		if (check_flags(p, ins, fl_none) == -1)
			return -1;
		for (i = 0; i < ins->nargs; i++)
			if (ins->args[i][0] == '=')
				return ierr(p, ins, "ARG names can not be "
				    "blank%s%s", "", "");
		return 0;
	case DF_SHELL:
		if (check_flags(p, ins, fl_none) == -1)
			return -1;
		if (ins->nargs == 0)
			return ierr(p, ins, "SHELL requires at least one "
			    "argument%s%s", "", "");
		if (!ins->json)
			return ierr(p, ins, "SHELL requires the arguments to be "
			    "in JSON form%s%s", "", "");
		return 0;
	}
	return 0;
}

/* ---- Parse ------------------------------------------------------------- */

struct lines {
	const char *buf;
	size_t len, pos;
};

/* The next line with its line ending (scanLines keeps the '\n'). */
static bool
next_line(struct lines *l, const char **line, size_t *len)
{
	const char *nl;

	if (l->pos >= l->len)
		return false;
	*line = l->buf + l->pos;
	nl = memchr(*line, '\n', l->len - l->pos);
	*len = nl ? (size_t)(nl - *line) + 1 : l->len - l->pos;
	l->pos += *len;
	return true;
}

/* trimNewline: every trailing \r and \n. */
static size_t
trim_newline(const char *p, size_t len)
{
	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	return len;
}

static bool
is_comment(const char *p, size_t len)
{
	trim_left(&p, &len);
	return len > 0 && p[0] == '#';
}

/*
 * trimContinuationCharacter: `([^E])E[ \t]*$|^E[ \t]*$` replaced by $1.
 * Returns true (and shortens *len) when the line continues.
 */
static bool
trim_continuation(const char *p, size_t *len, int esc)
{
	size_t n = *len;

	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0 || p[n - 1] != esc)
		return false;
	if (n >= 2 && p[n - 2] == esc)
		return false;
	*len = n - 1;
	return true;
}

static int
push_instr(struct dockerfile *df, size_t *cap, struct dockerfile_instr *ins,
    struct ctx_error *err)
{
	if (df->ninstrs == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct dockerfile_instr *n = realloc(df->instrs,
		    ncap * sizeof(*n));

		if (n == NULL) {
			instr_clear(ins);
			return ctx_error_nomem(err);
		}
		df->instrs = n;
		*cap = ncap;
	}
	df->instrs[df->ninstrs++] = *ins;
	return 0;
}

static int
directive(struct parser *p, struct dockerfile *df, const char *tok, size_t tl,
    size_t lineno)
{
	const char *k, *v;
	size_t kl, vl;
	char **slot;
	int r = dir_parse_line(&p->dir, tok, tl, &k, &kl, &v, &vl);

	if (r == 0)
		return 0;
	if (r == -1) {
		char key[16];

		snprintf(key, sizeof(key), "%.*s", (int)(kl > 8 ? 8 : kl), k);
		for (kl = 0; key[kl]; kl++)
			if (key[kl] >= 'A' && key[kl] <= 'Z')
				key[kl] = (char)(key[kl] + 32);
		return perr(p, lineno, "only one %s parser directive can be "
		    "used", key);
	}
	if (strncasecmp(k, "escape", 6) == 0 && kl == 6) {
		if (vl != 1 || (v[0] != '\\' && v[0] != '`')) {
			char m[64];

			snprintf(m, sizeof(m), "%.*s", (int)(vl > 32 ? 32 : vl), v);
			return perr(p, lineno, "invalid escape token '%s' does "
			    "not match ` or \\", m);
		}
		p->escape = v[0];
		df->escape = v[0];
		return 0;
	}
	slot = strncasecmp(k, "syntax", 6) == 0 && kl == 6 ? &df->syntax :
	    &df->check;
	*slot = xstrndup(v, vl);
	return *slot == NULL ? ctx_error_nomem(p->err) : 0;
}

/* Builds df->stages and df->nmeta the way instructions.Parse groups them. */
static int
build_stages(struct parser *p, struct dockerfile *df)
{
	size_t i;

	df->stages = calloc(df->ninstrs + 1, sizeof(*df->stages));
	if (df->stages == NULL)
		return ctx_error_nomem(p->err);
	for (i = 0; i < df->ninstrs; i++) {
		struct dockerfile_instr *ins = &df->instrs[i];

		if (check_instr(p, ins) == -1)
			return -1;
		if (df->nstages == 0 && ins->kind == DF_ARG) {
			df->nmeta = i + 1;
			continue;
		}
		if (ins->kind == DF_FROM) {
			struct dockerfile_stage *st = &df->stages[df->nstages++];
			const char *pl = dockerfile_flag(ins, "platform");

			st->from = i;
			st->base = xstrndup(ins->args[0], strlen(ins->args[0]));
			if (ins->nargs == 3)
				st->name = xstrndup(ins->args[2],
				    strlen(ins->args[2]));
			if (pl != NULL)
				st->platform = xstrndup(pl, strlen(pl));
			if (st->base == NULL || (ins->nargs == 3 &&
			    st->name == NULL) || (pl != NULL &&
			    st->platform == NULL))
				return ctx_error_nomem(p->err);
			continue;
		}
		if (df->nstages == 0)
			return ierr(p, ins, "no build stage in current "
			    "context%s%s", "", "");
		df->stages[df->nstages - 1].ninstrs++;
	}
	return 0;
}

static int	parse_mode(const char *, size_t, const char *, bool,
		    struct dockerfile **, struct ctx_error *);

int
dockerfile_parse(const char *buf, size_t len, const char *name,
    struct dockerfile **out, struct ctx_error *err)
{
	return parse_mode(buf, len, name, false, out, err);
}

int
dockerfile_parse_trigger(const char *text, const char *name, size_t line,
    struct dockerfile **out, struct ctx_error *err)
{
	struct dockerfile *df;
	const char *nm = name ? name : "Dockerfile";

	if (parse_mode(text, strlen(text), nm, true, &df, err) == -1)
		return -1;
	if (df->ninstrs != 1) {
		dockerfile_free(df);
		return ctx_error_set(err, CTX_ERR_DOCKERFILE, "%s:%zu: onbuild "
		    "trigger should be a single expression", nm, line);
	}
	if (df->instrs[0].kind == DF_FROM) {
		dockerfile_free(df);
		return ctx_error_set(err, CTX_ERR_DOCKERFILE, "%s:%zu: "
		    "*instructions.Stage is not a command type", nm, line);
	}
	*out = df;
	return 0;
}

static int
parse_mode(const char *buf, size_t len, const char *name, bool trigger,
    struct dockerfile **out, struct ctx_error *err)
{
	struct parser p = { .name = name ? name : "Dockerfile",
	    .escape = '\\', .dir = { .prefix = "#" }, .err = err };
	struct lines l = { buf, len, 0 };
	struct dockerfile *df;
	struct str joined = { 0 };
	const char *line;
	size_t ll, cur = 0, cap = 0, i;
	int rc = -1;

	*out = NULL;
	if (len > DOCKERFILE_MAX_SIZE)
		return ctx_error_set(err, CTX_ERR_DOCKERFILE, "%s: larger than "
		    "%u bytes", p.name, DOCKERFILE_MAX_SIZE);
	/* bufio.Scanner refuses a line of 64 KiB or more */
	for (i = 0; i < len;) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - buf) : len;

		cur++;
		if (e - i > DOCKERFILE_MAX_LINE)
			return ctx_error_set(err, CTX_ERR_DOCKERFILE, "%s:%zu: "
			    "dockerfile line greater than max allowed size of "
			    "%u", p.name, cur, DOCKERFILE_MAX_LINE);
		i = e + 1;
	}
	cur = 0;
	df = calloc(1, sizeof(*df));
	if (df == NULL)
		return ctx_error_nomem(err);
	df->escape = '\\';

	while (next_line(&l, &line, &ll)) {
		const char *tok = line;
		size_t tl = ll, start;
		bool eol;
		struct dockerfile_instr ins;

		if (cur == 0 && tl >= 3 && memcmp(tok, "\xEF\xBB\xBF", 3) == 0) {
			tok += 3;
			tl -= 3;
		}
		tl = trim_newline(tok, tl);
		trim_left(&tok, &tl);
		if (directive(&p, df, tok, tl, cur + 1) == -1)
			goto out;
		if (is_comment(tok, tl))
			tl = 0;
		cur++;
		start = cur;
		eol = !trim_continuation(tok, &tl, p.escape);
		if (eol && tl == 0)
			continue;
		free(joined.p);
		memset(&joined, 0, sizeof(joined));
		str_add(&joined, tok, tl);
		while (!eol && next_line(&l, &line, &ll)) {
			size_t cl = trim_newline(line, ll);
			const char *ct = line;
			size_t ctl = cl;

			cur++;
			if (is_comment(line, ll))
				continue;
			trim_left(&ct, &ctl);
			if (ctl == 0)
				continue;	/* empty continuation line */
			eol = !trim_continuation(line, &cl, p.escape);
			str_add(&joined, line, cl);
		}
		if (joined.bad) {
			ctx_error_nomem(err);
			goto out;
		}
		if (node_from_line(&p, joined.p, joined.len, start, &ins) == -1)
			goto out;
		if (can_heredoc(&ins) && strstr(joined.p, "<<") != NULL) {
			if (heredocs_from_line(joined.p, &ins, err) == -1) {
				instr_clear(&ins);
				goto out;
			}
			for (i = 0; i < ins.nheredocs; i++) {
				struct dockerfile_heredoc *hd = &ins.heredocs[i];
				struct str body = { 0 };
				bool done = false;

				while (next_line(&l, &line, &ll)) {
					const char *t = line;
					size_t n = trim_newline(line, ll);

					cur++;
					if (hd->chomp)
						while (n > 0 && *t == '\t') {
							t++;
							n--;
						}
					if (n == strlen(hd->name) &&
					    memcmp(t, hd->name, n) == 0) {
						done = true;
						break;
					}
					str_add(&body, line, ll);
				}
				hd->content = str_take(&body);
				if (!done || hd->content == NULL) {
					instr_clear(&ins);
					if (!done)
						ctx_error_set(err,
						    CTX_ERR_DOCKERFILE, "%s:%zu: "
						    "unterminated heredoc",
						    p.name, start);
					else
						ctx_error_nomem(err);
					goto out;
				}
			}
		}
		ins.start_line = start;
		ins.end_line = cur;
		if (ins.trigger != NULL) {
			ins.trigger->start_line = start;
			ins.trigger->end_line = cur;
		}
		if (push_instr(df, &cap, &ins, err) == -1)
			goto out;
	}
	if (df->ninstrs == 0) {
		ctx_error_set(err, CTX_ERR_DOCKERFILE, "%s:%zu: file with no "
		    "instructions", p.name, cur);
		goto out;
	}
	if (trigger) {
		if (df->ninstrs == 1 && check_instr(&p, &df->instrs[0]) == -1)
			goto out;
	} else if (build_stages(&p, df) == -1)
		goto out;
	*out = df;
	df = NULL;
	rc = 0;
out:
	free(joined.p);
	dockerfile_free(df);
	return rc;
}

void
dockerfile_free(struct dockerfile *df)
{
	size_t i;

	if (df == NULL)
		return;
	for (i = 0; i < df->ninstrs; i++)
		instr_clear(&df->instrs[i]);
	free(df->instrs);
	if (df->stages != NULL)
		for (i = 0; i < df->nstages; i++) {
			free(df->stages[i].base);
			free(df->stages[i].name);
			free(df->stages[i].platform);
		}
	free(df->stages);
	free(df->syntax);
	free(df->check);
	free(df);
}
