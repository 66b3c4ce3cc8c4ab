/*
 * Go's text and path rules that docker applies to patterns and paths:
 * utf8.DecodeRune and EncodeRune, unicode.IsSpace, strings.TrimSpace,
 * filepath.Clean and filepath.Match (Go >= 1.20, Unix), over byte strings
 * of a given length that may hold NUL.
 * Ownership: nothing here allocates; callers own every buffer.
 */
#ifndef CTXD_GOPATH_H
#define CTXD_GOPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * utf8.DecodeRune of s[0..n) (n >= 1): sets *r and returns the width.  An
 * invalid or truncated sequence reads as U+FFFD of width 1.
 */
size_t gopath_decode_rune(const unsigned char *s, size_t n, uint32_t *r);

/* utf8.EncodeRune into out (room for 4 bytes; an invalid rune is written
 * as U+FFFD); returns the width. */
size_t gopath_encode_rune(uint32_t r, char *out);

/* unicode.IsSpace: the Latin-1 blanks plus Unicode's White_Space property
 * (U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000). */
bool gopath_is_space(uint32_t r);

/* strings.TrimSpace (unicode.IsSpace): moves *s and shrinks *len in place. */
void gopath_trim_space(const char **s, size_t *len);

/* strings.TrimLeftFunc(s, unicode.IsSpace), likewise in place. */
void gopath_trim_left_space(const char **s, size_t *len);

/*
 * filepath.Clean of in[0..len) into out, which must hold len + 2 bytes.
 * Returns the length of the result ("." for an empty path); out[result]
 * is '\0', though the result may itself hold NUL bytes.
 */
size_t gopath_clean(const char *in, size_t len, char *out);

/*
 * filepath.Match(pattern, name): 1 match, 0 no match, -1 ErrBadPattern.
 * check_rest: newer Go also rejects a pattern whose remainder is malformed
 * once the name has failed to match (`x*[`); the Go that builds docker CLI
 * 28.2.2 does not (observed: docker accepts `!x*[`,
 * tests/unit/test_match.c).  BuildKit's spec (bk-v1 rule 3.1) asks for it.
 */
int gopath_match(const char *pattern, size_t plen, const char *name,
    size_t nlen, bool check_rest);

#endif
