/*
 * libFuzzer target for the matcher: the input is a pattern list and paths
 * (NUL-separated lines; the first line holds the patterns, split on '\n',
 * the rest are paths).  Every entry point runs, so the Go-regexp
 * translation, PCRE2 compilation and the parent-result loops all see
 * hostile text.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ignorefile.h"
#include "match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_paths(struct matcher *m, const char *p, size_t n)
{
	struct ctx_error err;
	size_t np = matcher_count(m), k, start, i;
	bool *a, *b, *parent, *out, ex;

	a = calloc(np + 1, 1);
	b = calloc(np + 1, 1);
	for (start = 0; start < n; start = i + 1) {
		for (i = start; i < n && p[i] != '\0'; i++)
			;
		(void)matcher_matches_or_parent(m, p + start, i - start, &ex,
		    &err);
		parent = NULL;
		for (k = start; k <= i; k++) {
			if (k < i && p[k] != '/')
				continue;
			out = parent == a ? b : a;
			if (matcher_matches_parent(m, p + start, k - start,
			    parent, out, &ex, &err) < 0)
				break;
			(void)matcher_exception_below(m, p + start, k - start);
			(void)matcher_can_prune(m, ex, p + start, k - start);
			parent = out;
		}
	}
	free(a);
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *nul = memchr(s, '\0', size);
	size_t plen = nul != NULL ? (size_t)(nul - s) : size;
	struct ignore_list l;
	struct ctx_error err;
	struct matcher *m;

	ignore_list_init(&l);
	if (ignorefile_parse(s, plen, "fuzz", &l, &err) == 0) {
		m = matcher_new((const char *const *)l.patterns, l.lens, l.n,
		    &err);
		if (m != NULL) {
			if (nul != NULL)
				fuzz_paths(m, nul + 1, size - plen - 1);
			matcher_free(m);
		}
	}
	ignore_list_free(&l);
	return 0;
}
