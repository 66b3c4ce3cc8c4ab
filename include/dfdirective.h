/*
 * BuildKit's parser directives (`# syntax=`, `# escape=`, `# check=`) and
 * the frontend's syntax detection (spec bk-v1 rule 2.3).
 *
 * Ownership: dfdirective_parse_line() points into the line it is given;
 * dfdirective_detect_syntax() returns a malloc'ed string, the caller's.
 */
#ifndef CTXD_DFDIRECTIVE_H
#define CTXD_DFDIRECTIVE_H

#include <stdbool.h>
#include <stddef.h>

/* DirectiveParser: zero it, then set prefix ("#" or "//"). */
struct dfdirective {
	const char *prefix;
	bool done;		/* a non-directive line ended the search */
	bool seen_syntax, seen_escape, seen_check;
};

/*
 * DirectiveParser.ParseLine on one line (no line ending): 1 with the key
 * and value set (pointing into line) for a directive, 0 for none (and every
 * later call gives 0), -1 for a repeated directive (*key set).
 */
int	dfdirective_parse_line(struct dfdirective *d, const char *line,
	    size_t len, const char **key, size_t *klen, const char **val,
	    size_t *vlen);

/*
 * DetectSyntax: a BOM and a #! line skipped, then `#` directives, then `//`
 * directives, then a JSON object's "syntax" member.  Returns true and sets
 * *syntax (malloc'ed, the value up to its first space) when one is found.
 */
bool	dfdirective_detect_syntax(const char *buf, size_t len, char **syntax);

#endif
