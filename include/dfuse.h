/*
 * Which context entries the Dockerfile uses (hazard issue, part 2): for the
 * stages the build builds, every COPY/ADD source from the context (layers:
 * what ends up in an image or the builder's cache) and every RUN --mount
 * bind from the context (used, but no layer), matched against the context
 * entries the way docker matches sources (a `*` matches dot files: the
 * source conf/ + `*` copies `conf/.env`).
 *
 * Ownership: dfuse_analyze() fills a caller-provided struct dfuse that
 * dfuse_free() releases (a zeroed struct is empty; free(NULL)-safe).
 */
#ifndef CTXD_DFUSE_H
#define CTXD_DFUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buildplan.h"
#include "entry.h"
#include "error.h"

enum {
	DFUSE_LAYER = 1u << 0,	/* a COPY/ADD of a built stage puts it in a layer */
	DFUSE_MOUNT = 1u << 1,	/* a RUN --mount of a built stage reads it */
};

struct dfuse {
	uint8_t *use;		/* per entry of the list given: DFUSE_* bits */
	size_t n;
	bool whole;		/* some instruction uses the whole context (COPY . .) */
	/* Added for the hazard report; the fields above are the stable API. */
	bool whole_layer;	/* ... and one of them is a COPY/ADD (a layer) */
	/* Per entry: the first line of the instruction that put it in a layer,
	 * else of the first that used it; 0 when unused.  For an ONBUILD
	 * trigger, the line of the child stage's FROM. */
	size_t *line;
	/* Per entry: 1 when a source names it itself (the source, each of a
	 * wildcard's matches, a symbolic link followed on the way, what a
	 * --parents pattern matches), 0 when it is only reached below a source
	 * directory (COPY . . or COPY dir/): `ctxctl suggest` may exclude the
	 * latter when it is a hazard, never the former. */
	uint8_t *named;
};

/*
 * Analyzes the Dockerfile text against l (the context entries, sorted by
 * path, as entry_list_sort() leaves them).  A directory entry is used when
 * a source names it or anything below it; a file when a source names it or
 * a directory above it.  The stages, targets, ARG/ENV expansion and named
 * contexts are BuildKit's (dfgraph.h, opt as for buildplan_compute); the
 * matching of a source against the entries is BuildKit's COPY (fsutil
 * copy): the cleaned source is a Go filepath.Match pattern per path element
 * (`*` matches dot files), a symbolic link named by a source is
 * followed inside the context, `--exclude` patterns apply below each source
 * (not to the source itself, moby/buildkit#5489) and are not expanded
 * (moby/buildkit#6072), `--parents` matches the part after the `/./` pivot
 * (or the whole source) as an include pattern.  `whole` is set by a source
 * that is the context root without --exclude or --parents, and by a bind
 * mount without source=.  Returns 0, or -1 with err naming the Dockerfile
 * line (what would fail the build, a bad --exclude pattern) and *out empty.
 *
 * With opt->builder BUILDER_CLASSIC the stages and failures are the classic
 * builder's (dfgraph.h: every stage up to the target is built, so its
 * COPY/ADD are layers, and a RUN --mount fails the build) and so is the
 * matching (moby builder/dockerfile/copy.go): a source with a wildcard,
 * cut of one leading "/" and one "./" but not cleaned, is a Go
 * filepath.Match pattern for the whole path of every entry, so it reaches
 * nothing through a linked directory; each match, and a source without
 * wildcards, is followed through links inside the context and copied whole.
 * A refusal is an error here: the caller then knows nothing of the use.
 */
int dfuse_analyze(const char *dockerfile, size_t len, const char *name,
    const struct buildplan_options *opt, const struct entry_list *l,
    struct dfuse *out, struct ctx_error *err);
void dfuse_free(struct dfuse *u);

#endif
