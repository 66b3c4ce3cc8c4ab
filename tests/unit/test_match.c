/*
 * The matcher against moby/patternmatcher's own results (one cmocka test
 * per line of ../shared/oracle/vectors/patternmatcher.tsv) and against the
 * Go regexp and filepath rules the vectors do not reach.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "match.h"

/* ---- helpers ---- */

static struct matcher *
mk(const char *const *pats, size_t n)
{
	struct ctx_error err;
	struct matcher *m = matcher_new(pats, NULL, n, &err);

	if (m == NULL)
		fail_msg("matcher_new: %s", err.msg);
	return m;
}

/* 1 excluded, 0 not, -1 error; via MatchesOrParentMatches. */
static int
mopm(struct matcher *m, const char *path)
{
	struct ctx_error err;
	bool ex;

	if (matcher_matches_or_parent(m, path, strlen(path), &ex, &err) < 0)
		return -1;
	return ex;
}

/* One pattern, one path, MatchesOrParentMatches. */
static int
one(const char *pat, const char *path)
{
	struct matcher *m = mk(&pat, 1);
	int rc = mopm(m, path);

	matcher_free(m);
	return rc;
}

/* Does New reject the pattern? */
static bool
rejected_flags(const char *pat, unsigned flags)
{
	struct ctx_error err;
	struct matcher *m = matcher_new_flags(&pat, NULL, 1, flags, NULL, &err);

	matcher_free(m);
	return m == NULL;
}

static bool
rejected(const char *pat)
{
	return rejected_flags(pat, 0);
}

/* ---- the vectors ---- */

struct vector {
	char id[16];
	char mopm, walk, sent;
	char *error;
	char *path;
	size_t pathlen;
	size_t npat;
	char **pats;
	size_t *lens;
};

static size_t
unescape(char *s)
{
	size_t i, o = 0;
	unsigned int v;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '\\' && s[i + 1] == 'x' &&
		    sscanf(s + i + 2, "%2x", &v) == 1) {
			s[o++] = (char)v;
			i += 3;
		} else {
			s[o++] = s[i];
		}
	}
	s[o] = '\0';
	return o;
}

static const char *
shared_dir(void)
{
	const char *d = getenv("CTXD_SHARED");

	return d != NULL && *d != '\0' ? d : "../shared";
}

static struct vector *vectors;
static size_t nvectors;

static void
load_vectors(void)
{
	char path[4096], *line = NULL, *f[64], *p;
	size_t cap = 0, nf, i, vcap = 0;
	ssize_t n;
	FILE *fp;
	struct vector *v;

	snprintf(path, sizeof(path), "%s/oracle/vectors/patternmatcher.tsv",
	    shared_dir());
	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(1);
	}
	while ((n = getline(&line, &cap, fp)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (nf = 0, p = line; nf < 64; nf++) {
			f[nf] = p;
			if ((p = strchr(p, '\t')) == NULL) {
				nf++;
				break;
			}
			*p++ = '\0';
		}
		if (nf < 8) {
			fprintf(stderr, "bad vector line\n");
			exit(1);
		}
		if (nvectors == vcap) {
			vcap = vcap ? vcap * 2 : 1024;
			vectors = realloc(vectors, vcap * sizeof(*vectors));
		}
		v = &vectors[nvectors++];
		memset(v, 0, sizeof(*v));
		snprintf(v->id, sizeof(v->id), "%s", f[0]);
		v->mopm = f[2][0];
		v->walk = f[3][0];
		v->sent = f[4][0];
		v->error = strdup(f[5]);
		unescape(v->error);
		v->path = strdup(f[6]);
		v->pathlen = unescape(v->path);
		v->npat = strtoul(f[7], NULL, 10);
		if (v->npat != nf - 8) {
			fprintf(stderr, "vector %s: bad pattern count\n", f[0]);
			exit(1);
		}
		v->pats = calloc(v->npat + 1, sizeof(char *));
		v->lens = calloc(v->npat + 1, sizeof(size_t));
		for (i = 0; i < v->npat; i++) {
			v->pats[i] = strdup(f[8 + i]);
			v->lens[i] = unescape(v->pats[i]);
		}
	}
	free(line);
	fclose(fp);
}

static void
free_vectors(void)
{
	size_t i, j;

	for (i = 0; i < nvectors; i++) {
		for (j = 0; j < vectors[i].npat; j++)
			free(vectors[i].pats[j]);
		free(vectors[i].pats);
		free(vectors[i].lens);
		free(vectors[i].path);
		free(vectors[i].error);
	}
	free(vectors);
}

/*
 * The walk column: MatchesUsingParentResults from the top ancestor down;
 * the sent column adds the classic builder's rule for entering an
 * excluded directory.  Returns 'E' or the walk result; *sent gets '0',
 * '1' or 'E'.
 */
static char
walk_path(struct matcher *m, const struct vector *v, char *sent,
    struct ctx_error *err)
{
	size_t n = matcher_count(m), k;
	bool *parent = NULL, *out, ex = false, reach = true;
	bool *a = calloc(n + 1, 1), *b = calloc(n + 1, 1);
	char walk = '0';

	*sent = 'E';
	for (k = 0; k <= v->pathlen; k++) {
		if (k < v->pathlen && v->path[k] != '/')
			continue;
		out = parent == a ? b : a;
		if (matcher_matches_parent(m, v->path, k, parent, out, &ex,
		    err) < 0) {
			walk = 'E';
			break;
		}
		if (k < v->pathlen && ex && !matcher_exception_below(m,
		    v->path, k))
			reach = false;
		parent = out;
		walk = ex ? '1' : '0';
	}
	if (walk != 'E')
		*sent = reach && walk == '0' ? '1' : '0';
	free(a);
	free(b);
	return walk;
}

/* MatchesOrParentMatches as the classic walk computes it: each ancestor's
 * pattern results carried down (matcher_matches_or_parent_at). */
static char
mopm_carried(struct matcher *m, const struct vector *v)
{
	size_t n = matcher_count(m), k;
	bool *a = calloc(n + 1, 1), *b = calloc(n + 1, 1), *t, ex;
	const bool *parent = NULL;
	struct ctx_error err;
	char r;

	for (k = 0; k < v->pathlen; k++) {
		if (v->path[k] != '/')
			continue;
		(void)matcher_matches_or_parent_at(m, v->path, k, parent, a, &ex, &err);
		parent = a;
		t = a;
		a = b;
		b = t;
	}
	if (matcher_matches_or_parent_at(m, v->path, v->pathlen, parent, NULL,
	    &ex, &err) < 0)
		r = 'E';
	else
		r = ex ? '1' : '0';
	free(a);
	free(b);
	return r;
}

static void
test_vector(void **state)
{
	const struct vector *v = *state;
	struct ctx_error err;
	struct matcher *m;
	char got_mopm, got_walk, got_sent, want_mopm = v->mopm;
	char want_walk = v->walk, want_sent = v->sent;
	const char *want_err = v->error;
	bool ex;

	memset(&err, 0, sizeof(err));
	m = matcher_new((const char *const *)v->pats, v->lens, v->npat, &err);
	if (m == NULL) {
		got_mopm = got_walk = got_sent = 'E';
	} else {
		if (matcher_matches_or_parent(m, v->path, v->pathlen, &ex,
		    &err) < 0)
			got_mopm = 'E';
		else
			got_mopm = ex ? '1' : '0';
		/* the walk's form, ancestors' results carried down, agrees */
		if (mopm_carried(m, v) != got_mopm)
			fail_msg("vector %s: carried mopm %c, direct %c", v->id,
			    mopm_carried(m, v), got_mopm);
		got_walk = walk_path(m, v, &got_sent, &err);
	}
	if (got_mopm != want_mopm || got_walk != want_walk ||
	    got_sent != want_sent)
		fail_msg("vector %s: got mopm/walk/sent %c%c%c, want %c%c%c "
		    "(%s)", v->id, got_mopm, got_walk, got_sent, want_mopm,
		    want_walk, want_sent, err.msg);
	if (want_err[0] != '\0') {
		assert_int_equal(err.code, CTX_ERR_PATTERN);
		if (strstr(err.msg, want_err) == NULL)
			fail_msg("vector %s: error \"%s\", want \"%s\"", v->id,
			    err.msg, want_err);
	}
	matcher_free(m);
}

/* ---- Go rules the vectors do not pin ---- */

static bool
deprecated_matches(const char *pat, const char *path)
{
	struct ctx_error err;
	struct matcher *m = matcher_new(&pat, NULL, 1, &err);
	bool ex = false;

	assert_non_null(m);
	assert_int_equal(matcher_matches_deprecated(m, path, strlen(path), &ex,
	    &err), 0);
	matcher_free(m);
	return ex;
}

/* patternmatcher.Matches (deprecated): only the ancestor with as many
 * elements as the pattern is tried. */
static void
test_deprecated_matches(void **state)
{
	(void)state;
	assert_false(deprecated_matches("**/deep", "deep/Dockerfile.prod"));
	assert_true(deprecated_matches("**/deep", "x/deep/Dockerfile"));
	assert_true(deprecated_matches("deep", "deep/Dockerfile.prod"));
	assert_true(deprecated_matches("a/b", "a/b/c/d"));
	assert_false(deprecated_matches("b", "a/b/c"));
	assert_true(deprecated_matches("*/b", "a/b/c"));
	assert_true(deprecated_matches("a", "a"));
	assert_false(deprecated_matches("a/b/c", "a/b"));
	assert_true(deprecated_matches("Dockerfile", "Dockerfile"));
}

static void
test_new_validation(void **state)
{
	(void)state;
	/*
	 * The docker CLI 28.2.2 accepts a bad remainder after a chunk that
	 * failed on "." (observed: `!x*[` is sent, while
	 * `x*[` is refused only when its regexp is first compiled); the
	 * BuildKit spec (bk-v1 3.1) rejects it in New.
	 */
	assert_false(rejected("x*["));
	assert_false(rejected("!x*["));
	assert_false(rejected("*.txt/a*/[a-]"));
	assert_false(rejected("tmp/*/.git/*["));
	assert_true(rejected_flags("x*[", MATCHER_STRICT_SYNTAX));
	assert_true(rejected_flags("!x*[", MATCHER_STRICT_SYNTAX));
	assert_true(rejected_flags("*.txt/a*/[a-]", MATCHER_STRICT_SYNTAX));
	assert_true(rejected_flags("tmp/*/.git/*[", MATCHER_STRICT_SYNTAX));
	assert_false(rejected_flags("[!x]", MATCHER_STRICT_SYNTAX));
	assert_true(rejected("*x["));
	assert_true(rejected("a[]"));
	assert_true(rejected("a[a-]"));
	assert_true(rejected("a\\"));
	assert_true(rejected("!"));
	assert_true(rejected(" ! "));
	assert_true(rejected("!/"));
	assert_false(rejected("[!x]"));
	assert_false(rejected("a\\k"));		/* fails lazily */
	assert_false(rejected("a*b"));
	assert_false(rejected("*"));
	assert_false(rejected(".[x]"));
	assert_true(rejected(".[\xff]"));		/* bad UTF-8 in a class */
}

static void
test_error_messages(void **state)
{
	const char *pats[] = { "ok", "  ", "a[" };
	const char *lazy[] = { "x", "a\\k" };
	struct ctx_error err;
	struct matcher *m;
	size_t bad = 99;
	bool ex;

	(void)state;
	assert_null(matcher_new_at(pats, NULL, 3, &bad, &err));
	assert_int_equal(bad, 2);
	assert_int_equal(err.code, CTX_ERR_PATTERN);
	assert_non_null(strstr(err.msg, "\"a[\""));
	assert_non_null(strstr(err.msg, "syntax error in pattern"));

	pats[2] = "!";
	assert_null(matcher_new_at(pats, NULL, 3, &bad, &err));
	assert_int_equal(bad, 2);
	assert_non_null(strstr(err.msg, "illegal exclusion pattern: \"!\""));

	m = mk(lazy, 2);
	assert_int_equal(matcher_matches_or_parent(m, "y", 1, &ex, &err), -1);
	assert_int_equal(matcher_error_pattern(m), 1);
	assert_int_equal(matcher_source_index(m, 1), 1);
	assert_non_null(strstr(err.msg, "syntax error in pattern"));
	/* and again: a failed compile fails every time */
	assert_int_equal(matcher_matches_or_parent(m, "y", 1, &ex, &err), -1);
	/* "x" matched first, the plain pattern is then skipped */
	assert_int_equal(matcher_matches_or_parent(m, "x", 1, &ex, &err), 0);
	assert_true(ex);
	matcher_free(m);
}

static void
test_kinds(void **state)
{
	(void)state;
	assert_int_equal(one("docs/**", "docs/x"), 1);
	assert_int_equal(one("docs/**", "docsx"), 0);
	assert_int_equal(one("a**", "abc/def"), 1);
	assert_int_equal(one("**.log", "x/y.log"), 1);
	assert_int_equal(one("**/x", "x"), 1);
	assert_int_equal(one("**", "anything/at/all"), 1);
	assert_int_equal(one("a**b", "ab"), 1);
	assert_int_equal(one("a**b", "ax/b"), 1);
	assert_int_equal(one("a**b", "axb"), 0);
	assert_int_equal(one("a/**/z", "a/z"), 1);
	/* '|', '{', '}' are regexp syntax once the pattern is a regexp */
	assert_int_equal(one("a{2}", "a{2}"), 1);
	assert_int_equal(one("a{2}", "aa"), 0);
	assert_int_equal(one("a{2}*", "aaxyz"), 1);
	assert_int_equal(one("[ab]|tmp", "abc"), 1);
	assert_int_equal(one("[ab]|tmp", "src/mytmp"), 1);
	assert_int_equal(one("[ab]|tmp", "c"), 0);
	assert_int_equal(one("x*{,2}", "x{,2}"), 1);	/* '{' literal */
	assert_int_equal(one("x*{1001}", "x"), -1);	/* repeat count */
	assert_int_equal(one("x?{2}{3}", "x"), -1);	/* nested repetition */
	assert_int_equal(one("[!x]", "!"), 1);
	assert_int_equal(one("[!x]", "y"), 0);
	assert_int_equal(one("a.c", "abc"), 0);
	assert_int_equal(one("a+*", "a+b"), 1);
	assert_int_equal(one("$*", "$x"), 1);
	assert_int_equal(one("a^*", "a^"), 0);		/* '^' is an anchor */
	assert_int_equal(one("a^", "a^"), 1);		/* exact: literal */
}

static void
test_escapes(void **state)
{
	(void)state;
	assert_int_equal(one("\\d", "7"), 1);
	assert_int_equal(one("\\d", "d"), 0);
	assert_int_equal(one("\\*", "*"), 1);
	assert_int_equal(one("\\*", "x"), 0);
	assert_int_equal(one("a\\t", "a\t"), 1);
	assert_int_equal(one("a\\k", "a"), -1);
	assert_int_equal(one("a\\Z", "a"), -1);
	assert_int_equal(one("a\\e", "a"), -1);
	assert_int_equal(one("a\\C", "a"), -1);
	assert_int_equal(one("a\\1", "a"), -1);
	assert_int_equal(one("a\\12*", "a\n"), 1);	/* octal */
	assert_int_equal(one("a\\x41*", "aA"), 1);
	assert_int_equal(one("a\\x{1F600}", "a\xF0\x9F\x98\x80"), 1);
	assert_int_equal(one("a\\x{110000}", "a"), -1);
	/* \Q quotes to the end, the closing $ included */
	assert_int_equal(one("\\Qa.b", "a\\.b$"), 1);
	assert_int_equal(one("\\Qa*", "a[^/]*$"), 1);
	assert_int_equal(one("\\Qa\\E*", "aaa"), 1);
	/* Go's \s has no \v; POSIX space has */
	assert_int_equal(one("a\\s", "a\v"), 0);
	assert_int_equal(one("a\\s", "a\f"), 1);
	assert_int_equal(one("a\\S", "a\v"), 1);
	assert_int_equal(one("a[[:space:]]", "a\v"), 1);
	assert_int_equal(one("a[[:foo:]]", "a"), -1);
	assert_int_equal(one("a[[:^digit:]]", "ax"), 1);
	assert_int_equal(one("a\\w", "a\xC3\xA9"), 0);	/* ASCII only */
	assert_int_equal(one("a\\b*", "a"), 1);
	/* '.' excludes \n, a negated class includes it */
	assert_int_equal(one("a?", "a\n"), 1);
	assert_int_equal(one("a\\.*", "a."), 1);
	assert_int_equal(one("a[^x]", "a\n"), 1);
	assert_int_equal(one("a[\\D]", "a\n"), 1);
	/* Unicode classes: Go names only, Script not Script_Extensions */
	assert_int_equal(one("\\pL*", "\xC3\xA9t\xC3\xA9"), 1);
	assert_int_equal(one("\\p{Greek}", "\xCE\xB1"), 1);
	assert_int_equal(one("\\p{Greek}", "\xE1\xB7\x80"), 0);
	assert_int_equal(one("\\p{greek}", "x"), -1);
	assert_int_equal(one("\\p{Kawi}", "\xF0\x91\xBC\x80"), 1);
	assert_int_equal(one("\\PL", "1"), 1);
	assert_int_equal(one("\\p{^L}", "1"), 1);
	assert_int_equal(one("\\p{C}", "\xF0\xB0\x80\x80"), 0);	/* Cn */
	assert_int_equal(one("\\P{C}", "\xF0\xB0\x80\x80"), 1);
	assert_int_equal(one("\\p{Any}", "\n"), 1);
	assert_int_equal(one("[\\x{D800}]", "x"), 0);
	assert_int_equal(one("[^\\x{D800}]", "\n"), 1);
}

static void
test_utf8(void **state)
{
	(void)state;
	/* a bad byte reads as U+FFFD on both sides */
	assert_int_equal(one("?", "\xff"), 1);
	assert_int_equal(one("??", "\xff"), 0);
	assert_int_equal(one("a\xff*", "a\xfe"), 1);
	assert_int_equal(one("a\xef\xbf\xbd*", "a\xfe"), 1);
	assert_int_equal(one("a*", "a\xc3"), 1);
	assert_int_equal(one("?", "\xc3\xa9"), 1);
	/* exact kinds compare bytes */
	assert_int_equal(one("a\xff", "a\xfe"), 0);
	/* a leading BOM is skipped by the scanner, not by Clean */
	assert_int_equal(one("\xEF\xBB\xBF" "a*", "ab"), 1);
	assert_int_equal(one("\xEF\xBB\xBF" "ab", "ab"), 0);
	/* "**" right after the BOM is a suffix match on text+2 */
	assert_int_equal(one("\xEF\xBB\xBF**x", "\xBF**x"), 1);
	assert_int_equal(one("\xEF\xBB\xBF**x", "x"), 0);
}

static void
test_nul_and_lens(void **state)
{
	const char *pats[] = { "a\0b", " c " };
	size_t lens[] = { 3, 3 };
	struct ctx_error err;
	struct matcher *m;
	bool ex;

	(void)state;
	m = matcher_new(pats, lens, 2, &err);
	assert_non_null(m);
	assert_int_equal(matcher_count(m), 2);
	assert_int_equal(matcher_pattern_len(m, 0), 3);
	assert_string_equal(matcher_pattern(m, 1), "c");
	assert_int_equal(matcher_matches_or_parent(m, "a\0b", 3, &ex, &err), 0);
	assert_true(ex);
	assert_int_equal(matcher_matches_or_parent(m, "a", 1, &ex, &err), 0);
	assert_false(ex);
	matcher_free(m);
}

static void
test_clean_and_trim(void **state)
{
	/* New cleans before splitting off '!': "!./x/" keeps "./x" */
	const char *pats[] = { "\xC2\xA0/a/../b/./c//\xE3\x80\x80", "!./x/",
	    "\034y" };
	struct matcher *m;

	(void)state;
	m = mk(pats, 3);
	assert_int_equal(matcher_count(m), 3);
	assert_string_equal(matcher_pattern(m, 0), "/b/c");
	assert_string_equal(matcher_pattern(m, 1), "./x");
	assert_true(matcher_is_exclusion(m, 1));
	assert_string_equal(matcher_pattern(m, 2), "\x1c" "y");
	assert_true(matcher_has_exclusions(m));
	matcher_free(m);
}

static void
test_parent_loops(void **state)
{
	/* h-walk-parent-results: d/f then !d */
	const char *pats[] = { "d/f", "!d" };
	const char *ex2[] = { "**", "!d/keep" };
	struct ctx_error err;
	struct matcher *m;
	bool par[2], out[2], ex;

	(void)state;
	m = mk(pats, 2);
	assert_int_equal(mopm(m, "d/f"), 0);
	assert_int_equal(matcher_matches_parent(m, "d", 1, NULL, par, &ex,
	    &err), 0);
	assert_false(ex);
	assert_int_equal(matcher_matches_parent(m, "d/f", 3, par, out, &ex,
	    &err), 0);
	assert_true(ex);
	/* no parent information: ancestors are tried */
	assert_int_equal(matcher_matches_parent(m, "d/f", 3, NULL, out, &ex,
	    &err), 0);
	assert_false(ex);
	matcher_free(m);

	m = mk(ex2, 2);
	assert_true(matcher_exception_below(m, "d", 1));
	assert_false(matcher_exception_below(m, "d/keep/x", 8));
	assert_true(matcher_exception_below(m, "d/keep", 6));
	assert_false(matcher_exception_below(m, "dx", 2));
	matcher_free(m);
}

static void
test_can_prune(void **state)
{
	const char *a[] = { "docs", "!docs/README.md" };
	const char *b[] = { "vendor", "!**/*.go" };
	const char *c[] = { "x" };
	const char *d[] = { "a", "!keep/**" };
	const char *inc[] = { "src/app/*", "pkg" };
	const char *incw[] = { "pkg/*.json", "src" };
	struct matcher *m;

	(void)state;
	m = mk(a, 2);
	assert_false(matcher_can_prune(m, false, "docs", 4));
	assert_true(matcher_can_prune(m, false, "other", 5));
	matcher_free(m);
	m = mk(b, 2);
	assert_false(matcher_can_prune(m, false, "vendor", 6));
	matcher_free(m);
	m = mk(c, 1);
	assert_true(matcher_can_prune(m, false, "x", 1));
	matcher_free(m);
	m = mk(d, 2);		/* "/ **" stripped: "keep" is no wildcard */
	assert_false(matcher_can_prune(m, false, "keep", 4));
	assert_true(matcher_can_prune(m, false, "a", 1));
	matcher_free(m);
	m = mk(inc, 2);
	assert_false(matcher_can_prune(m, true, "src", 3));
	assert_false(matcher_can_prune(m, true, "src/app", 7));
	assert_true(matcher_can_prune(m, true, "lib", 3));
	matcher_free(m);
	m = mk(incw, 2);
	assert_false(matcher_can_prune(m, true, "lib", 3));
	matcher_free(m);
}

static void
test_pathological(void **state)
{
	/*
	 * Backtracking hits PCRE2's match limit here (a leading 'b' defeats
	 * its required-character shortcut); the DFA fallback answers.
	 */
	const char *p = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
	char path[2001];

	(void)state;
	memset(path, 'a', 2000);
	path[2000] = '\0';
	path[0] = 'b';
	assert_int_equal(one(p, path), 0);
	path[1999] = 'b';
	assert_int_equal(one(p, path), 1);
}

int
main(void)
{
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_new_validation),
		cmocka_unit_test(test_deprecated_matches),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_nul_and_lens),
		cmocka_unit_test(test_clean_and_trim),
		cmocka_unit_test(test_parent_loops),
		cmocka_unit_test(test_can_prune),
		cmocka_unit_test(test_pathological),
	};
	struct CMUnitTest *vt;
	size_t i;
	int fails;

	load_vectors();
	vt = calloc(nvectors, sizeof(*vt));
	for (i = 0; i < nvectors; i++) {
		vt[i].name = vectors[i].id;
		vt[i].test_func = test_vector;
		vt[i].initial_state = &vectors[i];
	}
	fails = cmocka_run_group_tests_name("match", unit, NULL, NULL);
	fails += _cmocka_run_group_tests("patternmatcher.tsv", vt, nvectors,
	    NULL, NULL);
	free(vt);
	free_vectors();
	return fails != 0;
}
