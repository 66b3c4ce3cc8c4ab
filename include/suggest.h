/*
 * The .dockerignore lines that remove every hazard and every dead-weight
 * entry from the context without removing anything an instruction needs
 * (hazard issue, part 3): the engine of `ctxctl suggest` and `ctxctl fix`.
 * Pure: entry lists, hazard findings and the Dockerfile's use in, lines
 * out.  The proof (recomputing the context with the lines appended) is the
 * caller's, through context_options.extra_ignore.
 *
 * What is kept (never matched by a line, nor any ancestor of it): entries
 * a source names itself (dfuse.named), the Dockerfile and .dockerignore,
 * the classic builder's injected entries, and every used entry that is not
 * inside a hazard.  A hazard reached only below a copied directory (`COPY
 * . .`, `COPY src/ /app` and src/__pycache__) is removed: that is the fix.
 *
 * Lines are excludes only, appended after the file's own patterns, so the
 * last-match rule makes them win under both builders; no `!` exception is
 * ever written (the builders re-enter excluded directories differently:
 * oracle README "Observed docker behaviour", buildkit-context.md rule 5.1).
 * A target that holds a kept entry is split into its children instead.
 *
 * Lines, from the targets (hazards and the topmost unused entries):
 * - a name that is a target at two or more places: `**` + `/name`;
 * - unused files (not directories, not hazards) grouped by extension, the
 *   base name's last '.' and what follows, not a leading '.' (`.env` has
 *   none, `a.tar.gz` has `.gz`): where one directory holds two or more,
 *   `/dir/` + `*.ext` (`/` + `*.ext` at the root); where two or more
 *   directories hold some, `**` + `/` + `*.ext`;
 * - the anchored exact path `/path` (cleaned by docker to `path`) of each
 *   target no such line covers, with `* ? [ \` and a leading `!` escaped.
 * A wildcard line is written only when docker takes it under both
 * builders' syntax checks, it matches every target of its group and it
 * matches no kept entry (nor a parent of one) in any view: `*` never
 * crosses '/', and a line that matches a directory excludes all below it.
 * Minimality is irredundancy: lines are dropped while every target they
 * cover is covered by another line, trying exact paths first, then the
 * lines covering fewest targets, and among those the broader kind
 * (`**` + `/` + `*.ext`, then `/dir/` + `*.ext`, then `**` + `/name`); no
 * line left can be dropped without some target coming back.  The count is
 * small but not proven the least.
 *
 * Ownership: struct suggestion owns its strings; suggestion_free().
 * Views are borrowed for the call.
 */
#ifndef CTXD_SUGGEST_H
#define CTXD_SUGGEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "error.h"

#define SUGGEST_DEAD_WEIGHT "dead-weight"	/* the class of unused entries */

/* One builder's context and what the Dockerfile does with it. */
struct suggest_view {
	const struct entry_list *l;	/* sorted (entry_list_sort) */
	const uint8_t *use;	/* DFUSE_* bits per entry; NULL: unknown (no
				 * dead weight, every entry kept but hazards) */
	const uint8_t *named;	/* dfuse.named per entry, or NULL */
	const size_t *line;	/* dfuse.line per entry, or NULL */
	const json_t *findings;	/* hazard_run()'s, allowed ones removed */
	const char *dockerfile;	/* its context-relative path, or NULL */
};

struct suggest_line {
	char *pattern;		/* the line to add, as written */
	char *cls;		/* the hazard class of the first hazard it
				 * removes, else SUGGEST_DEAD_WEIGHT */
};

/* A hazard (or part of one) that no line may remove, and why. */
struct suggest_kept {
	char *path;		/* escaped as findings are */
	char *rule;		/* the finding's rule, or SUGGEST_DEAD_WEIGHT */
	char *why;
};

struct suggestion {
	struct suggest_line *lines;	/* hazards (by class, then pattern),
					 * then dead weight */
	size_t nlines;
	struct suggest_kept *kept;	/* sorted by path, no duplicates */
	size_t nkept;
};

/*
 * Computes the lines for the views (one per builder that reads the ignore
 * file the lines go to; they must hold for all of them: when BuildKit reads
 * NAME.dockerignore and the classic builder .dockerignore, each file is
 * computed from its own builder's view).  Returns 0, or -1 (err filled)
 * when out of memory.
 */
int suggest_compute(const struct suggest_view *v, size_t nv,
    struct suggestion *out, struct ctx_error *err);
void suggestion_free(struct suggestion *s);

/* The escaped path of the findings and manifest back to bytes (\xHH);
 * out has room for len + 1 bytes; returns the length. */
size_t suggest_unescape(const char *s, size_t len, char *out);

#endif
