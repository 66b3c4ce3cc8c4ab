/*
 * Reading a .dockerignore file the way docker does (moby/patternmatcher
 * ignorefile.ReadAll): BOM, column-0 comments, trimming, '!' handling,
 * filepath.Clean, one leading '/' dropped, 65535-byte line limit.
 *
 * Ownership: a struct ignore_list owns its strings; ignore_list_free().
 */
#ifndef CTXD_IGNOREFILE_H
#define CTXD_IGNOREFILE_H

#include <stddef.h>

#include "error.h"

struct ignore_list {
	char **patterns;	/* as ReadAll returns them, '!' prefix kept */
	size_t *lens;		/* byte lengths (a pattern may hold a NUL) */
	size_t *lines;		/* 1-based line number each came from (0: added) */
	size_t n, cap;
};

void ignore_list_init(struct ignore_list *l);
void ignore_list_free(struct ignore_list *l);
/* Appends a copy of pattern (e.g. the CLI's "!.dockerignore"); line 0. */
int ignore_list_add(struct ignore_list *l, const char *pattern, size_t len,
    struct ctx_error *err);

/* Parses buf as ReadAll does; name is used in error messages only. */
int ignorefile_parse(const char *buf, size_t len, const char *name,
    struct ignore_list *out, struct ctx_error *err);

/*
 * Appends lines[0..n) (NUL-terminated, no newline) read as ReadAll reads a
 * line (comments and blank lines skipped, '!', cleaning) with line number
 * 0: patterns added after a file's own.
 */
int ignorefile_append_lines(struct ignore_list *l, const char *const *lines,
    size_t n, struct ctx_error *err);

struct matcher;

/*
 * patternmatcher.New over the list; a refused pattern is reported with the
 * file name and the line it came from:
 * `.dockerignore:3: pattern "a[": syntax error in pattern`.
 * flags as for matcher_new_flags().  The matcher is owned by the caller
 * (matcher_free()).
 */
struct matcher *ignore_list_compile(const struct ignore_list *l,
    const char *name, unsigned flags, struct ctx_error *err);

#endif
