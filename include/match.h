/*
 * Docker's .dockerignore pattern matcher, exactly as moby/patternmatcher
 * 0.6 (vendored by docker CLI 28.2.2 and by buildx) behaves, quirks
 * included: patterns become regular expressions (compiled with PCRE2, JIT,
 * once, lazily like docker), so `[!x]` is the set {!, x}, `\d` a digit and
 * `|` an alternation.
 *
 * Ownership: a struct matcher owns copies of its patterns; matcher_free()
 * releases them.  Matching never allocates on the caller's behalf except
 * where stated.
 */
#ifndef CTXD_MATCH_H
#define CTXD_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct matcher;

/*
 * Builds a matcher like patternmatcher.New(patterns): each string is trimmed
 * (Go strings.TrimSpace), empty ones dropped, path-cleaned (filepath.Clean),
 * a leading '!' split off (a lone "!" is an error), and checked as Go's
 * filepath.Match(pattern, ".") would (a bad pattern is an error: "syntax
 * error in pattern").  Patterns whose regexp fails to compile are accepted
 * here and fail lazily on first evaluation, as in docker.
 * Strings are byte strings of the given lengths (lens may be NULL: then
 * they are NUL-terminated).  Returns NULL and fills err on error.
 */
struct matcher *matcher_new(const char *const *patterns, const size_t *lens,
    size_t n, struct ctx_error *err);
void matcher_free(struct matcher *m);
/* Like matcher_new; on error *bad (if not NULL) is the index in patterns[]. */
struct matcher *matcher_new_at(const char *const *patterns, const size_t *lens,
    size_t n, size_t *bad, struct ctx_error *err);

/* matcher_new_flags() flags */
enum {
	/* BuildKit (bk-v1 rule 3.1): the syntax check also rejects a bad
	 * remainder after a failed '*' chunk (`x*[`), as newer Go does.
	 * Without it, the check is that of the docker CLI 28.2.2. */
	MATCHER_STRICT_SYNTAX = 1u << 0,
};
struct matcher *matcher_new_flags(const char *const *patterns,
    const size_t *lens, size_t n, unsigned flags, size_t *bad,
    struct ctx_error *err);

size_t matcher_count(const struct matcher *m);		/* patterns kept */
bool matcher_has_exclusions(const struct matcher *m);	/* any '!' pattern */
bool matcher_is_exclusion(const struct matcher *m, size_t i);
/* The cleaned pattern text without its '!' (Pattern.String()). */
const char *matcher_pattern(const struct matcher *m, size_t i);
size_t matcher_pattern_len(const struct matcher *m, size_t i);	/* may hold NUL */
/* Index in matcher_new's patterns[] that pattern i came from. */
size_t matcher_source_index(const struct matcher *m, size_t i);
/* The pattern (matcher index) whose evaluation made the last call fail. */
size_t matcher_error_pattern(const struct matcher *m);

/*
 * Matching is not thread-safe: a matcher keeps one PCRE2 match data block
 * and scratch buffers for all its patterns, and compiles patterns lazily.
 * Use one matcher per thread.
 *
 * MatchesOrParentMatches(path): is path excluded, counting matches of each
 * pattern on path's ancestors.  path: relative, '/'-separated, clean.
 * Returns 0 and sets *excluded, or -1 with err (a pattern that fails to
 * compile, evaluated on the path itself).
 */
int matcher_matches_or_parent(struct matcher *m, const char *path, size_t len,
    bool *excluded, struct ctx_error *err);

/*
 * MatchesOrParentMatches with the ancestors' results carried down a walk:
 * parent_anc[i] says pattern i matched some ancestor of path (NULL at the
 * top level).  When anc_out is not NULL every pattern is tried on path and
 * anc_out[i] receives parent_anc[i] || (i matches path), for path's
 * children; errors count as no match there, as in docker's ancestor loop.
 * The same answer as matcher_matches_or_parent() without re-matching every
 * ancestor of every file.
 */
int matcher_matches_or_parent_at(struct matcher *m, const char *path,
    size_t len, const bool *parent_anc, bool *anc_out, bool *excluded,
    struct ctx_error *err);

/*
 * The deprecated PatternMatcher.Matches(path), which the docker CLI's
 * TrimBuildFilesFromExcludes still uses to decide whether to re-include the
 * Dockerfile and .dockerignore: of the ancestors it tries only the one with
 * as many elements as the pattern, so `**' + '/deep` does not reach
 * deep/Dockerfile (observed with docker 28.2.2, tests/integ/cli.sh).
 */
int matcher_matches_deprecated(struct matcher *m, const char *path, size_t len,
    bool *excluded, struct ctx_error *err);

/*
 * MatchesUsingParentResults(path, parent): the tar walk's decision.
 * parent: the per-pattern results of path's parent directory (an array of
 * matcher_count() bools), or NULL for "no parent information" (docker's
 * zero MatchInfo: then ancestors are tried as in MatchesOrParentMatches).
 * out: receives this path's per-pattern results (matcher_count() bools);
 * may alias nothing else.  Returns 0 or -1 with err.
 */
int matcher_matches_parent(struct matcher *m, const char *path, size_t len,
    const bool *parent, bool *out, bool *excluded, struct ctx_error *err);

/*
 * The classic builder's rule for entering an excluded directory: true when
 * some exception pattern, as cleaned, followed by '/', starts with dir + '/'
 * (go-archive TarWithOptions).
 */
bool matcher_exception_below(const struct matcher *m, const char *dir, size_t len);

/*
 * BuildKit's pruning rule (fsutil NewFilterFS / rule 5.1 of
 * buildkit-context.md): may a directory that this matcher rejects be pruned
 * (not descended)?  For exclude patterns (is_include false): no when any
 * exception contains a wildcard (* [ ] ? ^ \ after stripping one trailing
 * "/ **" then one trailing "/ *"); else yes when there are no exceptions, or
 * no exception (so stripped) + '/' starts with dir + '/'.  For include
 * patterns (is_include true) the same test runs over the non-exception
 * patterns, and a directory is never pruned when any of them has a wildcard.
 */
bool matcher_can_prune(const struct matcher *m, bool is_include,
    const char *dir, size_t len);

#endif
