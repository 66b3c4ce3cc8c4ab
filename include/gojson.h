/*
 * Go's encoding/json as far as the Dockerfile frontend uses it: the string
 * elements of a top-level array (exec form, `RUN ["sh", "-c", "x"]`) and
 * one string member of a top-level object (`{"syntax": "..."}`).  The
 * whole text must be one valid JSON value (nesting at most 10000 deep).
 *
 * Ownership: the arrays and strings returned are malloc'ed and the
 * caller's (free() each element, then the array).
 */
#ifndef CTXD_GOJSON_H
#define CTXD_GOJSON_H

#include <stdbool.h>
#include <stddef.h>

/*
 * text[0..len) as a JSON array: 1 with *elems set when every element is a
 * string; -1 when it is a valid array with a non-string element; 0 when it
 * is not valid JSON, not an array, or allocation failed (which BuildKit's
 * caller could not tell from "not JSON" either way).
 */
int	gojson_string_array(const char *text, size_t len, char ***elems,
	    size_t *nelems);

/*
 * text[0..len) as a JSON object: true with *value set when its last member
 * named `member` is a string; false (*value NULL) otherwise.
 */
bool	gojson_object_string(const char *text, size_t len, const char *member,
	    char **value);

#endif
