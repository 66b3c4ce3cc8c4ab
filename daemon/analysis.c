/*
 * The analysis of a computed context (see analysis.h): Dockerfile ->
 * its use of each entry (dfuse.c) -> hazards (hazard.c) -> allow list ->
 * dead weight -> the report object.  ctxctl check and the daemon both call
 * analysis_run(), so `check` prints the same report either way.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis.h"
#include "hazard.h"
#include "proto.h"
#include "readfile.h"

/* The Dockerfile as the engine finds it: -f against the cwd, else
 * <root>/Dockerfile, else <root>/dockerfile. */
static int
read_dockerfile(const char *dockerfile, const char *root, char **text,
    size_t *len, char **path, struct ctx_error *err)
{
	char buf[PATH_MAX * 2];

	if (dockerfile != NULL)
		snprintf(buf, sizeof(buf), "%s", dockerfile);
	else {
		snprintf(buf, sizeof(buf), "%s/Dockerfile", root);
		if (access(buf, F_OK) < 0) {
			snprintf(buf, sizeof(buf), "%s/dockerfile", root);
			if (access(buf, F_OK) < 0)
				snprintf(buf, sizeof(buf), "%s/Dockerfile", root);
		}
	}
	if ((*path = realpath(buf, NULL)) == NULL)
		return ctx_error_sys(err, errno, "Dockerfile %s", buf);
	if (readfile_at(AT_FDCWD, *path, text, len) < 0) {
		ctx_error_sys(err, errno, "read %s", *path);
		free(*path);
		*path = NULL;
		return -1;
	}
	return 0;
}

/* Whether dir's path is e's up to a byte that sorts at or before '/':
 * then every entry between them in sorted order starts with it too. */
static bool
prefixes(const struct entry *dir, const struct entry *e)
{
	return dir->path_len < e->path_len &&
	    (unsigned char)e->path[dir->path_len] <= '/' &&
	    memcmp(e->path, dir->path, dir->path_len) == 0;
}

/* Pushes index i on the stack; -1 when out of memory. */
static int
push(size_t **stack, size_t *depth, size_t *cap, size_t i)
{
	size_t c, *s;

	if (*depth == *cap) {
		c = *cap ? 2 * *cap : 16;
		if ((s = realloc(*stack, c * sizeof(*s))) == NULL)
			return -1;
		*stack = s;
		*cap = c;
	}
	(*stack)[(*depth)++] = i;
	return 0;
}

/*
 * Dead weight: entries sent that no instruction uses, listed by their
 * topmost unused ancestor (a directory no source reaches is one path).
 * The files docker reads itself (the Dockerfile, .dockerignore, the
 * classic builder's injected copies) are not dead weight.
 *
 * A parent sorts before its children but not necessarily just before
 * them ("a" < "a-z" < "a.txt" < "a/b"); what sorts between them starts
 * with the parent's path and a byte up to '/'.  So the unused directories
 * that are such a prefix of the current entry are kept on a stack (each a
 * prefix of the next), and an entry's parent, when unused, is on it: one
 * pass, no search.
 */
static json_t *
dead_weight(const struct entry_list *l, const struct dfuse *u,
    const char *dfrel)
{
	json_t *paths = json_array(), *o;
	size_t i, k, dirlen, n = 0, depth = 0, cap = 0, *stack = NULL;
	uint64_t bytes = 0;
	const char *slash;
	bool parent_unused;
	char *esc;

	for (i = 0; u != NULL && paths != NULL && i < l->n; i++) {
		const struct entry *e = &l->v[i];
		/* Used entries are skipped, the stack popped only at unused
		 * ones: a directory that is a prefix of an unused entry is one
		 * of every entry sorted in between. */
		if (u->use[i] != 0)
			continue;
		while (depth > 0 && !prefixes(&l->v[stack[depth - 1]], e))
			depth--;
		slash = strrchr(e->path, '/');
		dirlen = slash != NULL ? (size_t)(slash - e->path) : 0;
		for (k = depth; k > 0 && l->v[stack[k - 1]].path_len > dirlen; k--)
			;
		parent_unused = slash != NULL && k > 0 &&
		    l->v[stack[k - 1]].path_len == dirlen;
		if (e->type == ENTRY_DIR && push(&stack, &depth, &cap, i) < 0) {
			json_decref(paths);
			paths = NULL;
			break;
		}
		if ((e->flags & ENTRY_INLINE) ||
		    strcmp(e->path, ".dockerignore") == 0 ||
		    (dfrel != NULL && strcmp(e->path, dfrel) == 0))
			continue;
		n++;
		bytes += e->size;
		/* the parent (which sorts before) is unused too: already listed */
		if (parent_unused)
			continue;
		if (json_array_size(paths) >= ANALYSIS_DEAD_PATHS_MAX ||
		    (esc = malloc(4 * e->path_len + 1)) == NULL)
			continue;
		esc[manifest_escape(esc, e->path, e->path_len)] = '\0';
		json_array_append_new(paths, proto_str_json(esc));
		free(esc);
	}
	free(stack);
	if (paths == NULL)
		return NULL;
	o = json_pack("{s:I,s:I,s:o}", "entries", (json_int_t)n, "bytes",
	    (json_int_t)bytes, "paths", paths);
	return o;
}

/* Mixes n bytes of p into h, 8 at a time (a change detector, not a
 * cryptographic hash). */
static uint64_t
key_mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t w;
	size_t k;

	for (; n > 0; s += k, n -= k) {
		k = n < 8 ? n : 8;
		w = 0;
		memcpy(&w, s, k);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	return h;
}

/* The key of what the use depends on besides the Dockerfile: each
 * entry's name, type and link target, the target and build arguments. */
static uint64_t
use_key(const struct analysis_input *in)
{
	const struct entry_list *l = in->entries;
	uint64_t h = 0x243f6a8885a308d3ull ^ l->n;
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct entry *e = &l->v[i];
		h = key_mix(h, e->path, e->path_len + 1);
		h = key_mix(h, &e->type, 1);
		if (e->link != NULL)
			h = key_mix(h, e->link, strlen(e->link) + 1);
	}
	if (in->target != NULL)
		h = key_mix(h, in->target, strlen(in->target) + 1);
	for (i = 0; i < in->nbuild_args; i++)
		h = key_mix(h, in->build_args[i], strlen(in->build_args[i]) + 1);
	return h;
}

static bool
cache_hit(const struct analysis_cache *c, const char *df, size_t len,
    const char *name, uint64_t key, size_t n)
{
	return c->use.use != NULL && c->use.n == n && c->key == key &&
	    c->len == len && memcmp(c->dockerfile, df, len) == 0 &&
	    strcmp(c->name, name) == 0;
}

/* use.use and the flags of from into to (line and named NULL); -1 when
 * out of memory. */
static int
use_copy(const struct dfuse *from, struct dfuse *to)
{
	memset(to, 0, sizeof(*to));
	if ((to->use = malloc(from->n + 1)) == NULL)
		return -1;
	memcpy(to->use, from->use, from->n);
	to->n = from->n;
	to->whole = from->whole;
	to->whole_layer = from->whole_layer;
	return 0;
}

/* Keeps u for the next run; a cache out of memory is just emptied. */
static void
cache_put(struct analysis_cache *c, const char *df, size_t len,
    const char *name, uint64_t key, const struct dfuse *u)
{
	analysis_cache_free(c);
	if ((c->dockerfile = malloc(len + 1)) == NULL ||
	    (c->name = strdup(name)) == NULL || use_copy(u, &c->use) < 0) {
		analysis_cache_free(c);
		return;
	}
	memcpy(c->dockerfile, df, len);
	c->len = len;
	c->key = key;
}

void
analysis_cache_free(struct analysis_cache *c)
{
	if (c == NULL)
		return;
	free(c->dockerfile);
	free(c->name);
	dfuse_free(&c->use);
	memset(c, 0, sizeof(*c));
}

/* The Dockerfile's use of the entries: from the cache when neither the
 * Dockerfile nor the entries' names changed, else dfuse_analyze(). */
static int
match_use(const struct analysis_input *in, const char *df, size_t len,
    const char *name, struct dfuse *u, struct ctx_error *err)
{
	struct buildplan_options bo;
	uint64_t key = 0;

	if (in->cache != NULL) {
		key = use_key(in);
		if (cache_hit(in->cache, df, len, name, key, in->entries->n))
			return use_copy(&in->cache->use, u) < 0 ?
			    ctx_error_nomem(err) : 0;
	}
	memset(&bo, 0, sizeof(bo));
	bo.target = in->target;
	bo.build_args = in->build_args;
	bo.nbuild_args = in->nbuild_args;
	bo.builder = in->builder;
	if (dfuse_analyze(df, len, name, &bo, in->entries, u, err) < 0)
		return -1;
	if (in->cache != NULL)
		cache_put(in->cache, df, len, name, key, u);
	return 0;
}

/* The Dockerfile, read and matched against the entries. */
/* The classic builder refuses the Dockerfile (a BuildKit-only flag, an
 * unknown target...): told as a warning, not a failure of the check. */
static bool
classic_refuses(const struct analysis_input *in, const struct ctx_error *err)
{
	char msg[sizeof(err->msg) + 96];

	if (in->builder != BUILDER_CLASSIC || err->code != CTX_ERR_DOCKERFILE)
		return false;
	snprintf(msg, sizeof(msg), "the classic builder refuses the Dockerfile "
	    "(%s): its use of the context is not analysed", err->msg);
	if (in->warn != NULL)
		in->warn(in->warn_arg, msg);
	return true;
}

static int
analyse_use(const struct analysis_input *in, struct analysis *a,
    struct ctx_error *err)
{
	char *df = NULL, *dfpath = NULL;
	const char *name;
	size_t dflen, rootlen = strlen(in->root);
	int rc = -1;

	if (read_dockerfile(in->dockerfile, in->root, &df, &dflen, &dfpath,
	    err) < 0)
		return -1;
	name = dfpath;
	if (strncmp(dfpath, in->root, rootlen) == 0 && dfpath[rootlen] == '/') {
		name = dfpath + rootlen + 1;
		if ((a->dfrel = strdup(name)) == NULL) {
			ctx_error_nomem(err);
			goto out;
		}
	}
	if (match_use(in, df, dflen, name, &a->use, err) < 0) {
		if (!classic_refuses(in, err))
			goto out;
		/* docker build would stop at this Dockerfile; what is sent
		 * (and found in it) is still worth reporting, its use is not
		 * known: no in_image, no dead weight. */
		dfuse_free(&a->use);
		rc = 0;
		goto out;
	}
	a->analysed = true;
	rc = 0;
out:
	free(df);
	free(dfpath);
	return rc;
}

/* The hazards, with in_image from the use, then the allow list. */
static int
analyse_hazards(const struct analysis_input *in, int rootfd,
    struct analysis *a, struct ctx_error *err)
{
	struct hazard_options ho;
	struct hazard_allow allow;
	int rc = -1;

	memset(&ho, 0, sizeof(ho));
	ho.rootfd = rootfd;
	ho.root = in->root;
	ho.large_bytes = in->large_bytes;
	ho.use = a->use.use;
	ho.scan = in->scan;
	ho.threads = in->threads;
	ho.warn = in->warn;
	ho.warn_arg = in->warn_arg;
	if ((a->findings = hazard_run(in->entries, &ho, err)) == NULL ||
	    hazard_allow_load(rootfd, &allow, err) < 0)
		return -1;
	if ((a->allowed = hazard_allow_apply(&allow, a->findings)) == NULL)
		ctx_error_nomem(err);
	else
		rc = 0;
	hazard_allow_free(&allow);
	return rc;
}

int
analysis_run(const struct analysis_input *in, struct analysis *a,
    struct ctx_error *err)
{
	int rootfd = in->rootfd, rc = -1;
	size_t i;

	memset(a, 0, sizeof(*a));
	a->builder = in->builder;
	a->entries = in->entries->n;
	for (i = 0; i < in->entries->n; i++)
		a->bytes += in->entries->v[i].size;
	if ((a->root = strdup(in->root)) == NULL)
		return ctx_error_nomem(err);
	if (in->hash != NULL)
		snprintf(a->hash, sizeof(a->hash), "%s", in->hash);
	else if (manifest_hash(in->entries, a->hash, err) < 0)
		goto out;
	if (rootfd < 0 && (rootfd = open(in->root,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		ctx_error_sys(err, errno, "open %s", in->root);
		goto out;
	}
	if (analyse_use(in, a, err) < 0 || analyse_hazards(in, rootfd, a, err) < 0)
		goto out;
	if ((a->dead = dead_weight(in->entries, a->analysed ? &a->use : NULL,
	    a->dfrel)) == NULL) {
		ctx_error_nomem(err);
		goto out;
	}
	rc = 0;
out:
	if (rootfd >= 0 && rootfd != in->rootfd)
		close(rootfd);
	if (rc < 0)
		analysis_free(a);
	return rc;
}

void
analysis_free(struct analysis *a)
{
	if (a == NULL)
		return;
	json_decref(a->findings);
	json_decref(a->allowed);
	json_decref(a->dead);
	dfuse_free(&a->use);
	free(a->dfrel);
	free(a->root);
	memset(a, 0, sizeof(*a));
}

json_t *
analysis_report(const struct analysis *a, enum hazard_severity fail_on)
{
	return json_pack("{s:o,s:s,s:s,s:I,s:I,s:O,s:O,s:O,s:s,s:b}",
	    "root", proto_str_json(a->root),
	    "builder", a->builder == BUILDER_CLASSIC ? "classic" : "buildkit",
	    "hash", a->hash,
	    "entries", (json_int_t)a->entries,
	    "bytes", (json_int_t)a->bytes,
	    "findings", a->findings,
	    "dead_weight", a->dead,
	    "allowed", a->allowed,
	    "fail_on", hazard_severity_name(fail_on),
	    "dockerfile_analysis", a->analysed);
}

static bool
same_finding(const json_t *a, const json_t *b)
{
	static const char *const keys[] = {"rule", "path", "severity",
	    "in_image"};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_equal(json_object_get(a, keys[i]),
		    json_object_get(b, keys[i])))
			return false;
	return true;
}

json_t *
analysis_diff(const json_t *a, const json_t *b)
{
	json_t *out = json_array();
	size_t i, j;
	bool found;

	for (i = 0; out != NULL && i < json_array_size(a); i++) {
		found = false;
		for (j = 0; !found && j < json_array_size(b); j++)
			found = same_finding(json_array_get(a, i),
			    json_array_get(b, j));
		if (!found && json_array_append(out, json_array_get(a, i)) < 0) {
			json_decref(out);
			out = NULL;
		}
	}
	return out;
}
