/*
 * What decides BuildKit's "load build context" transfer: the frontend
 * assumed (spec bk-v1 rule 2.3), whether the built stages read the main
 * context (rule 4.1) and the FollowPaths (rule 4.2), computed from the reads
 * that dfgraph.c collects over the stages; for the classic builder, which is
 * sent the whole directory, only what it refuses.  Pinned by
 * tests/unit/test_buildplan.c.
 */
#include <stdlib.h>
#include <string.h>

#include "buildplan.h"
#include "dfdirective.h"
#include "dfgraph.h"
#include "dockerfile.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * normalizeContextPaths and filterPaths: every read of a reachable stage
 * adds path.Join("/", src); the context is transferred only if a stage of
 * the build graph reads it (COPY/ADD of a local source, a bind mount).
 */
static int
plan_paths(const struct dfgraph *g, struct buildplan *out,
    struct ctx_error *err)
{
	char **paths;
	size_t i, k, n = 0;
	bool whole = false;
	int rc = -1;

	for (i = 0; i < g->nreads; i++) {
		const struct dfgraph_read *r = &g->reads[i];

		if (r->in_graph && (r->kind == DFGRAPH_COPY ||
		    r->kind == DFGRAPH_BIND))
			out->uses_context = true;
	}
	if (!out->uses_context)
		return 0;
	if ((paths = calloc(g->nreads + 1, sizeof(*paths))) == NULL)
		return ctx_error_nomem(err);
	for (i = 0; i < g->nreads; i++) {
		char *p = dfgraph_join_root(g->reads[i].src);

		if (p == NULL) {
			ctx_error_nomem(err);
			goto out;
		}
		for (k = 0; k < n && strcmp(paths[k], p) != 0; k++)
			;
		if (k < n) {
			free(p);
			continue;
		}
		paths[n++] = p;
		if (strcmp(p, "/") == 0)
			whole = true;
	}
	out->whole_context = whole || n == 0;
	if (!out->whole_context) {
		qsort(paths, n, sizeof(*paths), cmp_str);
		if ((out->follow_paths = calloc(n, sizeof(char *))) == NULL) {
			ctx_error_nomem(err);
			goto out;
		}
		for (i = 0; i < n; i++) {
			/* path.Join(".", p): the leading '/' goes */
			out->follow_paths[i] = strdup(paths[i] + 1);
			if (out->follow_paths[i] == NULL) {
				ctx_error_nomem(err);
				goto out;
			}
			out->nfollow = i + 1;
		}
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	return rc;
}

/* rule 2.3: BUILDKIT_SYNTAX, else the frontend's own detection; and
 * BUILDKIT_DOCKERFILE_CHECK's error=true. */
static int
plan_frontend(const char *dockerfile, size_t len, const char *dname,
    const struct buildplan_options *opt, struct buildplan *out,
    struct ctx_error *err)
{
	size_t i;

	for (i = 0; i < opt->nbuild_args; i++) {
		const char *a = opt->build_args[i];

		if (a != NULL && strncmp(a, "BUILDKIT_SYNTAX=", 16) == 0) {
			const char *v = a + 16;

			v += strspn(v, " \t\n\v\f\r");
			if (*v == '\0')
				return ctx_error_set(err, CTX_ERR_DOCKERFILE,
				    "%s: empty BUILDKIT_SYNTAX build-arg", dname);
			free(out->syntax);
			out->syntax = strndup(v, strcspn(v, " \t\n\v\f\r"));
			if (out->syntax == NULL)
				return ctx_error_nomem(err);
			out->external_frontend = true;
		}
	}
	if (!out->external_frontend && dfdirective_detect_syntax(dockerfile,
	    len, &out->syntax))
		out->external_frontend = true;
	for (i = 0; i < opt->nbuild_args; i++) {
		const char *a = opt->build_args[i];

		if (a != NULL && strncmp(a, "BUILDKIT_DOCKERFILE_CHECK=", 26) == 0
		    && strstr(a, "error=true") != NULL)
			out->unmodelled_checks = true;
	}
	return 0;
}

int
buildplan_compute(const char *dockerfile, size_t len, const char *name,
    const struct buildplan_options *opt, struct buildplan *out,
    struct ctx_error *err)
{
	static const struct buildplan_options none;
	const char *dname = name ? name : "Dockerfile";
	struct dockerfile *df;
	struct dfgraph g;
	bool classic;
	int rc;

	memset(out, 0, sizeof(*out));
	if (opt == NULL)
		opt = &none;
	classic = opt->builder == BUILDER_CLASSIC;
	/* the classic builder knows no frontend, `# syntax` nor `# check` */
	if (!classic && plan_frontend(dockerfile, len, dname, opt, out, err) ==
	    -1) {
		buildplan_free(out);
		return -1;
	}
	if (len == 0) {
		buildplan_free(out);
		return ctx_error_set(err, CTX_ERR_DOCKERFILE, "%s: the "
		    "Dockerfile cannot be empty", dname);
	}
	if (dockerfile_parse(dockerfile, len, dname, &df, err) == -1) {
		buildplan_free(out);
		return -1;
	}
	if (!classic && df->check != NULL &&
	    strstr(df->check, "error=true") != NULL)
		out->unmodelled_checks = true;
	rc = dfgraph_compute(df, dname, opt, &g, err);
	/* the classic builder is sent the whole directory, used or not */
	if (rc == 0 && classic)
		out->uses_context = out->whole_context = true;
	else if (rc == 0)
		rc = plan_paths(&g, out, err);
	dfgraph_free(&g);
	dockerfile_free(df);
	if (rc == -1)
		buildplan_free(out);
	return rc;
}

void
buildplan_free(struct buildplan *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nfollow; i++)
		free(p->follow_paths[i]);
	free(p->follow_paths);
	free(p->syntax);
	memset(p, 0, sizeof(*p));
}
