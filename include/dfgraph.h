/*
 * The frontend side of a BuildKit build: stage resolution, reachability,
 * ONBUILD triggers, ARG/ENV environments, the build graph and the context
 * reads of COPY, ADD and RUN --mount (spec bk-v1 rules 4.1-4.5, 8.3); or,
 * with BUILDER_CLASSIC, the same walk as the legacy builder of Docker
 * Engine 28.2.2 makes it (moby builder/dockerfile).  buildplan.c turns the
 * reads into FollowPaths, dfuse.c into the entries each instruction uses.
 *
 * Ownership: dfgraph_compute() borrows the parsed Dockerfile (it must
 * outlive the struct dfgraph) and fills a struct dfgraph that owns its reads,
 * their strings and the parsed ONBUILD triggers the reads point into;
 * dfgraph_free() releases them (NULL and a zeroed struct are fine).
 */
#ifndef CTXD_DFGRAPH_H
#define CTXD_DFGRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "buildplan.h"
#include "dockerfile.h"
#include "error.h"

enum dfgraph_kind {
	DFGRAPH_COPY,	/* a COPY (no --from) or local ADD source */
	DFGRAPH_GIT,	/* an ADD git reference: a FollowPath, reads nothing */
	DFGRAPH_BIND,	/* RUN --mount type=bind without from= */
	DFGRAPH_TMPFS,	/* type=tmpfs without from=: a FollowPath (rule 4.2's
			 * quirk), reads nothing */
};

/* One main-context path named by an instruction of a reachable stage. */
struct dfgraph_read {
	enum dfgraph_kind kind;
	/* The instruction: in the Dockerfile, or for an ONBUILD trigger its
	 * re-parsed instruction (start_line is then the child's FROM line). */
	const struct dockerfile_instr *ins;
	size_t stage;		/* index in the Dockerfile's stages */
	bool in_graph;		/* the stage is built (rule 4.4's build graph) */
	bool onbuild;		/* an ONBUILD trigger of the base stage */
	/* The source after variable expansion, not yet cleaned (`./a/`,
	 * `src/./pkg`, a pattern); a mount's source= ("" when absent). */
	char *src;
};

struct dfgraph {
	struct dfgraph_read *reads;	/* stages in file order, then
					 * instruction and source order */
	size_t nreads;
	struct dockerfile **triggers;	/* what onbuild reads point into */
	size_t ntriggers;
};

/*
 * Resolve and dispatch the stages of df (parsed from the file called name)
 * as BuildKit would build opt->target, collecting the reads of every
 * reachable stage.  Returns 0, or -1 with err naming the Dockerfile line
 * for what would fail the build before the context is asked for.
 *
 * With opt->builder BUILDER_CLASSIC, as the legacy builder builds it:
 * every stage up to the target (the first stage of that name, in any case;
 * "failed to reach build target") in file order, each built, so every read
 * has in_graph set; no named contexts, no automatic platform ARGs, ARGs not
 * inherited from a base stage and never hiding an ENV of the same name, a
 * --build-arg proxy variable seen without an ARG; COPY --from not expanded,
 * naming a stage already built or an image; ADD git sources read as paths.
 * It fails on what that builder refuses whatever the context holds: a flag
 * its parser does not know (COPY --exclude and --parents, ADD --exclude and
 * --unpack, RUN --security, anywhere in the file), any RUN flag (--mount
 * ...), COPY/ADD --chmod, a COPY/ADD of heredocs only, a COPY of a URL, a
 * source outside the context, a stage name used twice.
 */
int	dfgraph_compute(const struct dockerfile *df, const char *name,
	    const struct buildplan_options *opt, struct dfgraph *out,
	    struct ctx_error *err);
void	dfgraph_free(struct dfgraph *g);

/* Go path.Join("/", p): a clean absolute path, "/" for "", "." or "..".
 * Returns a malloc'ed string, or NULL when out of memory. */
char	*dfgraph_join_root(const char *p);

#endif
