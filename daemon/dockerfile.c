/*
 * The Dockerfile parser: BuildKit's parser.go, split_command.go and
 * line_parsers.go, turning the text into instructions with flags, arguments,
 * heredocs and line numbers, grouped into stages (spec bk-v1 rule 4.6).
 * Directives are dfdirective's, per-instruction checks dfcheck's, JSON and
 * CSV gojson's and gocsv's.  Pinned by tests/unit/test_dockerfile.c.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dfcheck.h"
#include "dfdirective.h"
#include "dockerfile.h"
#include "gojson.h"
#include "gopath.h"
#include "shellword.h"
#include "strbuf.h"

/* reWhitespace = [\t\v\f\r ] */
static bool
is_rews(char c)
{
	return c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' ';
}

/* ---- the line parsers (line_parsers.go) -------------------------------- */

struct parser {
	const char *name;
	int escape;
	struct dfdirective dir;
	struct ctx_error *err;
};

static const struct {
	const char *word;
	enum dockerfile_kind kind;
} df_keywords[] = {
	{ "ADD", DF_ADD }, { "ARG", DF_ARG }, { "CMD", DF_CMD },
	{ "COPY", DF_COPY }, { "ENTRYPOINT", DF_ENTRYPOINT }, { "ENV", DF_ENV },
	{ "EXPOSE", DF_EXPOSE }, { "FROM", DF_FROM },
	{ "HEALTHCHECK", DF_HEALTHCHECK }, { "LABEL", DF_LABEL },
	{ "MAINTAINER", DF_MAINTAINER }, { "ONBUILD", DF_ONBUILD },
	{ "RUN", DF_RUN }, { "SHELL", DF_SHELL }, { "STOPSIGNAL", DF_STOPSIGNAL },
	{ "USER", DF_USER }, { "VOLUME", DF_VOLUME }, { "WORKDIR", DF_WORKDIR },
};

/*
 * strings.ToLower(keyword) looked up; the Kelvin sign lowers to 'k'.  The
 * keywords are all letters, so comparing upper-cased ASCII is the same test.
 */
static enum dockerfile_kind
keyword_kind(const char *w, size_t len)
{
	char up[16];
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)w[i];

		if (n >= sizeof(up) - 1)
			return DF_UNKNOWN;
		if (c == 0xE2 && i + 2 < len && (unsigned char)w[i + 1] == 0x84 &&
		    (unsigned char)w[i + 2] == 0xAA) {
			up[n++] = 'K';
			i += 2;
			continue;
		}
		if (c >= 0x80 || c == 0)
			return DF_UNKNOWN;
		up[n++] = (char)((c >= 'a' && c <= 'z') ? c - 32 : c);
	}
	up[n] = '\0';
	for (i = 0; i < sizeof(df_keywords) / sizeof(df_keywords[0]); i++)
		if (strcmp(up, df_keywords[i].word) == 0)
			return df_keywords[i].kind;
	return DF_UNKNOWN;
}

const char *
dockerfile_kind_name(enum dockerfile_kind k)
{
	size_t i;

	for (i = 0; i < sizeof(df_keywords) / sizeof(df_keywords[0]); i++)
		if (df_keywords[i].kind == k)
			return df_keywords[i].word;
	return "";
}

/*
 * extractBuilderFlags: leading --words (quotes and the escape character
 * honoured) become flags; returns the offset where the arguments start.
 * Bytes are taken one at a time as runes (rune(line[pos])), so a byte
 * >= 0x80 is re-encoded as U+0080..U+00FF and 0x85/0xA0 count as blanks.
 */
static size_t
extract_flags(const char *line, size_t len, int esc, struct strbuf_list *flags)
{
	enum { IN_SPACES, IN_WORD, IN_QUOTE } phase = IN_SPACES;
	struct strbuf word = { 0 };
	unsigned char quote = 0;
	bool blank_ok = false;
	size_t pos;

	for (pos = 0; pos <= len; pos++) {
		unsigned char ch = pos < len ? (unsigned char)line[pos] : 0;

		if (phase == IN_SPACES) {
			if (pos == len)
				break;
			if (gopath_is_space(ch))
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
				strbuf_list_push(flags, strbuf_take(&word));
			break;
		}
		if (phase == IN_WORD) {
			if (gopath_is_space(ch)) {
				phase = IN_SPACES;
				if (word.len == 2 && memcmp(word.p, "--", 2) == 0) {
					free(word.p);
					return pos;
				}
				if (blank_ok || word.len > 0)
					strbuf_list_push(flags,
					    strbuf_take(&word));
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
			strbuf_add_rune(&word, ch);
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
		strbuf_add_rune(&word, ch);
	}
	free(word.p);
	return len;
}

/* regexp [\t\v\f\r ]+ Split(rest, -1) */
static void
split_rews(const char *p, size_t len, struct strbuf_list *out)
{
	size_t i = 0, start = 0;

	while (i < len) {
		if (is_rews(p[i])) {
			size_t j = i;

			while (j < len && is_rews(p[j]))
				j++;
			strbuf_list_push(out, strbuf_dup(p + start, i - start));
			start = i = j;
		} else
			i++;
	}
	strbuf_list_push(out, strbuf_dup(p + start, len - start));
}

/* parseJSON: 1 = a JSON array of strings, 0 = not JSON, -1 = JSON array
 * with a non-string (fails the build). */
static int
parse_json(const char *rest, size_t len, struct strbuf_list *args)
{
	char **v;
	size_t n, i;
	int r;

	gopath_trim_left_space(&rest, &len);
	if (len == 0 || rest[0] != '[')
		return 0;
	r = gojson_string_array(rest, len, &v, &n);
	if (r != 1)
		return r;
	/* appended: HEALTHCHECK has its type first */
	for (i = 0; i < n; i++)
		strbuf_list_push(args, v[i]);
	free(v);
	return 1;
}

/* parseWords (ENV, LABEL, ARG): quotes and escapes stay in the words. */
static void
parse_words(const char *rest, size_t len, int esc, struct strbuf_list *out)
{
	enum { IN_SPACES, IN_WORD, IN_QUOTE } phase = IN_SPACES;
	struct strbuf w = { 0 };
	uint32_t quote = 0, ch = 0, e = (uint32_t)esc;
	bool blank_ok = false;
	size_t pos = 0, width = 0;

	for (pos = 0; pos <= len; pos += width) {
		if (pos != len)
			width = gopath_decode_rune((const unsigned char *)rest +
			    pos, len - pos, &ch);
		if (phase == IN_SPACES) {
			if (pos == len)
				break;
			if (gopath_is_space(ch))
				continue;
			phase = IN_WORD;
		}
		if (pos == len) {
			if (blank_ok || w.len > 0)
				strbuf_list_push(out, strbuf_take(&w));
			break;
		}
		if (phase == IN_WORD) {
			if (gopath_is_space(ch)) {
				phase = IN_SPACES;
				if (blank_ok || w.len > 0)
					strbuf_list_push(out, strbuf_take(&w));
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
			if (ch == e) {
				if (pos + width == len)
					continue;
				strbuf_add_rune(&w, ch);
				pos += width;
				width = gopath_decode_rune(
				    (const unsigned char *)rest + pos,
				    len - pos, &ch);
			}
			strbuf_add_rune(&w, ch);
			continue;
		}
		if (ch == quote)
			phase = IN_WORD;
		if (ch == e && quote != '\'') {
			if (pos + width == len) {
				phase = IN_WORD;
				continue;
			}
			pos += width;
			strbuf_add_rune(&w, ch);
			width = gopath_decode_rune((const unsigned char *)rest +
			    pos, len - pos, &ch);
		}
		strbuf_add_rune(&w, ch);
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
    size_t lineno, struct dockerfile_instr *ins, struct strbuf_list *args)
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
		strbuf_list_push(args, strbuf_dup(rest, rl));
	else if (rl > 0)
		split_rews(rest, rl, args);
	return 0;
}

static int
name_val(struct parser *p, const char *rest, size_t rl, size_t lineno,
    const char *what, struct strbuf_list *args)
{
	struct strbuf_list w = { 0 };
	size_t i;

	parse_words(rest, rl, p->escape, &w);
	if (w.n == 0) {
		strbuf_list_free(&w);
		return 0;
	}
	if (strchr(w.v[0], '=') == NULL) {
		/* the legacy `KEY value` form: split the raw rest once */
		size_t k = 0, v;

		strbuf_list_free(&w);
		while (k < rl && !is_rews(rest[k]))
			k++;
		v = k;
		while (v < rl && is_rews(rest[v]))
			v++;
		if (k == rl)
			return perr(p, lineno, "%s must have two arguments",
			    what);
		strbuf_list_push(args, strbuf_dup(rest, k));
		strbuf_list_push(args, strbuf_dup(rest + v, rl - v));
		strbuf_list_push(args, strbuf_dup("", 0));
		return 0;
	}
	for (i = 0; i < w.n; i++) {
		char *eq = strchr(w.v[i], '=');

		if (eq == NULL) {
			perr(p, lineno, "Syntax error - can't find = in \"%s\". "
			    "Must be of the form: name=value", w.v[i]);
			strbuf_list_free(&w);
			return -1;
		}
		strbuf_list_push(args, strbuf_dup(w.v[i],
		    (size_t)(eq - w.v[i])));
		strbuf_list_push(args, strdup(eq + 1));
		strbuf_list_push(args, strbuf_dup("=", 1));
	}
	strbuf_list_free(&w);
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
	struct strbuf_list flags = { 0 }, args = { 0 };
	int rc = -1;

	memset(ins, 0, sizeof(*ins));
	gopath_trim_space(&t, &tl);
	for (kl = 0; kl < tl && !is_rews(t[kl]); kl++)
		;
	ins->keyword = strbuf_dup(t, kl);
	ins->original = strbuf_dup(line, len);
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
	gopath_trim_space(&rest, &rl);

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
			strbuf_list_push(&args, strbuf_dup(rest, rl));
		break;
	case DF_HEALTHCHECK: {
		/* parseHealthConfig tests bytes with unicode.IsSpace */
		size_t sep = 0, next;

		while (sep < rl && !gopath_is_space((unsigned char)rest[sep]))
			sep++;
		next = sep;
		while (next < rl && gopath_is_space((unsigned char)rest[next]))
			next++;
		if (sep == 0)
			break;
		strbuf_list_push(&args, strbuf_dup(rest, sep));
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
		sl = strbuf_dup(rest, rl);
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
		strbuf_list_push(&args, strdup(sub->keyword));
		for (i = 0; i < sub->nargs; i++)
			strbuf_list_push(&args, strdup(sub->args[i]));
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

/* ---- accessors ------------------------------------------------------- */

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
	gopath_trim_left_space(&p, &len);
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
	int r = dfdirective_parse_line(&p->dir, tok, tl, &k, &kl, &v, &vl);

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
	*slot = strbuf_dup(v, vl);
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

		if (dfcheck_instr(ins, p->name, p->err) == -1)
			return -1;
		if (df->nstages == 0 && ins->kind == DF_ARG) {
			df->nmeta = i + 1;
			continue;
		}
		if (ins->kind == DF_FROM) {
			struct dockerfile_stage *st = &df->stages[df->nstages++];
			const char *pl = dockerfile_flag(ins, "platform");

			st->from = i;
			st->base = strdup(ins->args[0]);
			if (ins->nargs == 3)
				st->name = strdup(ins->args[2]);
			if (pl != NULL)
				st->platform = strdup(pl);
			if (st->base == NULL || (ins->nargs == 3 &&
			    st->name == NULL) || (pl != NULL &&
			    st->platform == NULL))
				return ctx_error_nomem(p->err);
			continue;
		}
		if (df->nstages == 0)
			return perr(p, ins->start_line, "no build stage in "
			    "current context");
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
	struct strbuf joined = { 0 };
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
		gopath_trim_left_space(&tok, &tl);
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
		strbuf_add(&joined, tok, tl);
		while (!eol && next_line(&l, &line, &ll)) {
			size_t cl = trim_newline(line, ll);
			const char *ct = line;
			size_t ctl = cl;

			cur++;
			if (is_comment(line, ll))
				continue;
			gopath_trim_left_space(&ct, &ctl);
			if (ctl == 0)
				continue;	/* empty continuation line */
			eol = !trim_continuation(line, &cl, p.escape);
			strbuf_add(&joined, line, cl);
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
				struct strbuf body = { 0 };
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
					strbuf_add(&body, line, ll);
				}
				hd->content = strbuf_take(&body);
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
		if (df->ninstrs == 1 && dfcheck_instr(&df->instrs[0], p.name,
		    err) == -1)
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
