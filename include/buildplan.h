/*
 * What BuildKit's "load build context" transfer must include: whether the
 * Dockerfile reads the main context at all (spec bk-v1 rule 4.1), the
 * FollowPaths (rules 4.2-4.5) and the frontend assumed (rule 2.3), with the
 * build failures of rule 8.3 reported as errors.
 *
 * Ownership: buildplan_compute() fills a caller-provided struct buildplan
 * whose strings it owns; buildplan_free() releases them (and accepts NULL or
 * a zeroed struct).  Options are borrowed for the duration of the call.
 */
#ifndef CTXD_BUILDPLAN_H
#define CTXD_BUILDPLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "context.h"
#include "error.h"

struct buildplan_options {
	const char *target;			/* --target, or NULL */
	const char *const *build_args;		/* "NAME=VALUE" */
	size_t nbuild_args;
	const char *const *named_contexts;	/* --build-context names */
	size_t nnamed_contexts;
	/* Whose rules: BUILDER_BUILDKIT (0, the default) or BUILDER_CLASSIC,
	 * the legacy builder of Docker Engine 28.2.2 (DOCKER_BUILDKIT=0): it
	 * builds every stage up to the target in file order, has no named
	 * contexts, no automatic platform ARGs and no `# syntax`, and refuses
	 * what needs BuildKit (dfgraph.h). */
	enum builder builder;
};

struct buildplan {
	bool uses_context;	/* rule 4.1: the context is transferred */
	bool whole_context;	/* transferred without FollowPaths */
	char **follow_paths;	/* sorted by bytes, no leading '/' */
	size_t nfollow;
	bool external_frontend;	/* rule 2.3: `# syntax` or BUILDKIT_SYNTAX */
	char *syntax;		/* the frontend image, or NULL */
	/* `# check=error=true` (or BUILDKIT_DOCKERFILE_CHECK): lint warnings
	 * would fail the build, and lint rules are not modelled (rule 8.3),
	 * so the caller must not present the plan as certain. */
	bool unmodelled_checks;
};

/*
 * Compute the plan for dockerfile (len bytes); name names it in messages.
 * When uses_context is false, whole_context is false and nfollow is 0.
 * With opt->builder BUILDER_CLASSIC there is no frontend and no FollowPath:
 * the classic builder is sent the whole directory (uses_context and
 * whole_context are set), and the error is what that builder refuses.
 * Returns 0, or -1 with err naming the Dockerfile line for what would fail
 * the build before the context is asked for.
 */
int	buildplan_compute(const char *dockerfile, size_t len, const char *name,
	    const struct buildplan_options *opt, struct buildplan *out,
	    struct ctx_error *err);
void	buildplan_free(struct buildplan *p);

#endif
