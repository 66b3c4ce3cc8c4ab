/*
 * Go's regexp syntax (RE2, as regexp.Compile parses it) translated into an
 * equivalent PCRE2 pattern for PCRE2_UTF, with Go's verdict on the text.
 * Ownership: goregex_translate() returns a malloc'd pattern the caller
 * frees with free().
 */
#ifndef CTXD_GOREGEX_H
#define CTXD_GOREGEX_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Translates the Go regexp re[0..len) (it may hold NUL).  Returns 0 and
 * sets *valid: when Go's regexp.Compile accepts re, *pcre is the PCRE2
 * pattern (NUL-terminated, *pcre_len bytes, plain ASCII) to compile with
 * PCRE2_UTF | PCRE2_DOLLAR_ENDONLY; when Go refuses it, *valid is false and
 * *pcre NULL.  Returns -1 (and *pcre NULL) when out of memory.
 */
int goregex_translate(const char *re, size_t len, char **pcre,
    size_t *pcre_len, bool *valid);

/* RE2's perl class \s: [\t\n\f\r ] (no \v, unlike C's isspace). */
bool goregex_is_space(unsigned char c);

#endif
