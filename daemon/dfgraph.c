/*
 * The frontend side of a BuildKit build: stage resolution, reachability,
 * ONBUILD triggers, variable expansion, the build graph and the context reads
 * of COPY, ADD and RUN --mount (dockerfile2llb/convert.go,
 * convert_runmount.go; spec bk-v1 rules 4.1-4.5, 8.3).  With BUILDER_CLASSIC
 * the same walk follows the legacy builder of Docker Engine 28.2.2 (moby
 * builder/dockerfile: builder.go, evaluator.go, dispatchers.go, copy.go,
 * buildargs.go), each rule citing its file.  Pinned through its two users
 * by tests/unit/test_buildplan.c, test_dfuse.c and test_dfuse_classic.c.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dfgraph.h"
#include "dfmount.h"
#include "dfsource.h"
#include "dockerfile.h"
#include "gocsv.h"
#include "gopath.h"
#include "shellword.h"

#if defined(__x86_64__)
#define BP_ARCH "amd64"
#define BP_VARIANT ""
#elif defined(__aarch64__)
#define BP_ARCH "arm64"
#define BP_VARIANT ""
#elif defined(__arm__)
#define BP_ARCH "arm"
#define BP_VARIANT "v7"
#elif defined(__i386__)
#define BP_ARCH "386"
#define BP_VARIANT ""
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define BP_ARCH "ppc64le"
#define BP_VARIANT ""
#elif defined(__s390x__)
#define BP_ARCH "s390x"
#define BP_VARIANT ""
#elif defined(__riscv) && __riscv_xlen == 64
#define BP_ARCH "riscv64"
#define BP_VARIANT ""
#else
#define BP_ARCH "amd64"
#define BP_VARIANT ""
#endif

#define BP_DEFAULT_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* An environment that owns its strings (llb.EnvList, newest last). */
struct env {
	struct shellword_var *v;
	unsigned char *arg;	/* per entry: 1 when the classic builder's
				 * ARG set it, 0 for an ENV (or BuildKit) */
	size_t n, cap;
};

struct cmd {
	const struct dockerfile_instr *ins;
	int from;		/* COPY --from source state, or -1 */
	int *msrc;		/* per --mount: first-pass from= state, or -1 */
	unsigned char *mfollow;	/* per --mount: bind/cache, so in the graph */
	size_t nmounts;
	bool onbuild;
};

struct state {
	const struct dockerfile_stage *st;	/* NULL: an image named by --from */
	char *base_name;	/* FROM after global-ARG expansion */
	const char *name;	/* stage name (lower case) or NULL */
	int base;		/* base stage, or -1 */
	bool named;		/* replaced by a --build-context */
	bool unregistered;
	bool dispatched, onbuild_init, in_graph;
	int *deps;
	size_t ndeps;
	struct cmd *cmds;
	size_t ncmds;
	struct dockerfile **triggers;	/* parsed ONBUILD triggers it owns */
	size_t ntriggers;
	struct env env;
	char *workdir;
	bool workdir_known;	/* set by a WORKDIR here or in a base stage */
	size_t line;		/* where an image state was named */
};

struct bp {
	const char *name;
	const struct buildplan_options *opt;
	const struct dockerfile *df;
	struct state *s;
	size_t ns, scap;
	struct env global;
	struct env bargs;	/* --build-arg values */
	struct dfgraph_read *reads;	/* the ctxPaths, with their origin */
	size_t nreads, rcap;
	struct ctx_error *err;
	bool classic;		/* the legacy builder's rules (opt->builder) */
};

/* ---- helpers ------------------------------------------------------------- */

static int	bperr(struct bp *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
bperr(struct bp *b, size_t line, const char *fmt, ...)
{
	char m[800];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return ctx_error_set(b->err, CTX_ERR_DOCKERFILE, "%s:%zu: %s", b->name,
	    line, m);
}

/* Prefix a shellword error with the Dockerfile line. */
static int
bpwrap(struct bp *b, size_t line)
{
	char m[sizeof(b->err->msg)];

	if (b->err == NULL)
		return -1;
	if (b->err->code == CTX_ERR_NOMEM)
		return -1;
	snprintf(m, sizeof(m), "%s", b->err->msg);
	return bperr(b, line, "%s", m);
}

static int
env_add(struct env *e, const char *k, size_t kl, const char *v, size_t vl)
{
	char *ks, *vs;

	if (e->n == e->cap) {
		size_t nc = e->cap ? e->cap * 2 : 16;
		struct shellword_var *nv = realloc(e->v, nc * sizeof(*nv));
		unsigned char *na;

		if (nv == NULL)
			return -1;
		e->v = nv;
		if ((na = realloc(e->arg, nc)) == NULL)
			return -1;
		e->arg = na;
		e->cap = nc;
	}
	ks = strndup(k, kl);
	vs = strndup(v, vl);
	if (ks == NULL || vs == NULL) {
		free(ks);
		free(vs);
		return -1;
	}
	e->v[e->n].name = ks;
	e->v[e->n].value = vs;
	e->arg[e->n] = 0;
	e->n++;
	return 0;
}

static int
env_set(struct env *e, const char *k, const char *v)
{
	return env_add(e, k, strlen(k), v, strlen(v));
}

static const char *
env_get(const struct env *e, const char *k)
{
	size_t i;

	for (i = e->n; i > 0; i--)
		if (strcmp(e->v[i - 1].name, k) == 0)
			return e->v[i - 1].value;
	return NULL;
}

/* env_only: leave out what the classic builder's ARGs set (a stage's
 * image config keeps its ENV, never its ARGs). */
static int
env_copy(struct env *dst, const struct env *src, bool env_only)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		if (!(env_only && src->arg[i]) &&
		    env_set(dst, src->v[i].name, src->v[i].value) == -1)
			return -1;
	return 0;
}

/*
 * The classic builder's ARG: its value is seen by expansion only when no
 * ENV of the stage (or of its base) has that name, since dispatch() expands
 * with runConfig.Env plus buildArgs.FilterAllowed(runConfig.Env) (moby
 * builder/dockerfile/evaluator.go dispatch, buildargs.go FilterAllowed).
 * A later ENV is appended and wins anyway.
 */
static int
env_set_arg(struct env *e, const char *k, const char *v)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (!e->arg[i] && strcmp(e->v[i].name, k) == 0)
			return 0;
	if (env_set(e, k, v) == -1)
		return -1;
	e->arg[e->n - 1] = 1;
	return 0;
}

static void
env_free(struct env *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		free((char *)(uintptr_t)e->v[i].name);
		free((char *)(uintptr_t)e->v[i].value);
	}
	free(e->v);
	free(e->arg);
	memset(e, 0, sizeof(*e));
}

/* ProcessWord with the directive's escape character. */
static int
expand(struct bp *b, const char *word, const struct env *env, size_t line,
    char **out)
{
	struct shellword_lex lex = { .escape = b->df->escape };
	struct shellword_env se = { env->v, env->n };

	if (shellword_process(&lex, word, strlen(word), &se, out, b->err) == -1)
		return bpwrap(b, line);
	return 0;
}

/* Go path.Clean of "/" + p (path.Join("/", p)), into a new string. */
char *
dfgraph_join_root(const char *p)
{
	size_t n = strlen(p), o = 0, i = 0;
	char *r = malloc(n + 2);

	if (r == NULL)
		return NULL;
	r[o++] = '/';
	while (i < n) {
		size_t s, l;

		while (i < n && p[i] == '/')
			i++;
		s = i;
		while (i < n && p[i] != '/')
			i++;
		l = i - s;
		if (l == 0 || (l == 1 && p[s] == '.'))
			continue;
		if (l == 2 && p[s] == '.' && p[s + 1] == '.') {
			while (o > 1 && r[o - 1] != '/')
				o--;
			if (o > 1)
				o--;
			continue;
		}
		if (o > 1)
			r[o++] = '/';
		memcpy(r + o, p + s, l);
		o += l;
	}
	r[o] = '\0';
	return r;
}

/* Record one context path read by ins in state si (a stage). */
static int
add_read(struct bp *b, size_t si, enum dfgraph_kind kind,
    const struct cmd *c, const char *src)
{
	struct dfgraph_read *r;

	if (b->nreads == b->rcap) {
		size_t nc = b->rcap ? b->rcap * 2 : 16;
		struct dfgraph_read *nr = realloc(b->reads, nc * sizeof(*nr));

		if (nr == NULL)
			return ctx_error_nomem(b->err);
		b->reads = nr;
		b->rcap = nc;
	}
	r = &b->reads[b->nreads];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->ins = c->ins;
	r->stage = si;
	r->onbuild = c->onbuild;
	if ((r->src = strdup(src)) == NULL)
		return ctx_error_nomem(b->err);
	b->nreads++;
	return 0;
}

/* ---- states ------------------------------------------------------------- */

static int
state_new(struct bp *b)
{
	struct state *s;

	if (b->ns == b->scap) {
		size_t nc = b->scap ? b->scap * 2 : 8;
		struct state *n = realloc(b->s, nc * sizeof(*n));

		if (n == NULL)
			return -1;
		b->s = n;
		b->scap = nc;
	}
	s = &b->s[b->ns];
	memset(s, 0, sizeof(*s));
	s->base = -1;
	return (int)b->ns++;
}

/* findStateByName: stage names are lower case, the lookup lowers. */
static int
find_by_name(const struct bp *b, const char *name)
{
	size_t i;

	/* statesByName keeps the last stage of a name */
	for (i = b->ns; i > 0; i--)
		if (b->s[i - 1].name != NULL &&
		    strcasecmp(b->s[i - 1].name, name) == 0)
			return (int)(i - 1);
	return -1;
}

/* A --from/from= that names no stage: an image (an unregistered state). */
static int
image_state(struct bp *b, const char *ref, size_t line)
{
	int i = state_new(b);

	if (i == -1)
		return ctx_error_nomem(b->err);
	b->s[i].line = line;
	b->s[i].unregistered = true;
	b->s[i].dispatched = true;
	b->s[i].base_name = strdup(ref);
	if (b->s[i].base_name == NULL)
		return ctx_error_nomem(b->err);
	return i;
}

static int
add_dep(struct bp *b, struct state *s, int dep)
{
	size_t i;
	int *n;

	for (i = 0; i < s->ndeps; i++)
		if (s->deps[i] == dep)
			return 0;
	n = realloc(s->deps, (s->ndeps + 1) * sizeof(*n));
	if (n == NULL)
		return ctx_error_nomem(b->err);
	s->deps = n;
	s->deps[s->ndeps++] = dep;
	return 0;
}

/* strconv.Atoi */
static bool
atoi_go(const char *s, long long *v)
{
	const char *p = s;
	unsigned long long acc = 0;
	bool neg = false;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (*p == '\0')
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		acc = acc * 10 + (unsigned long long)(*p - '0');
		if (acc > (1ull << 63))
			return false;
	}
	if (!neg && acc > (unsigned long long)INT64_MAX)
		return false;
	*v = neg ? -(long long)(acc - 1) - 1 : (long long)acc;
	return true;
}

/* The from= of a --mount in parseMount's first pass (last one wins). */
static int
mount_from(struct bp *b, const char *val, char **from)
{
	char **f;
	size_t n, i;

	*from = NULL;
	if (gocsv_read_record(val, &f, &n) == -1)
		return 0;	/* refused at parse time already */
	for (i = 0; i < n; i++) {
		if (strncasecmp(f[i], "from=", 5) == 0) {
			free(*from);
			*from = strdup(f[i] + 5);
			if (*from == NULL) {
				n = i + 1;
				for (i = 0; i < n; i++)
					free(f[i]);
				free(f);
				return ctx_error_nomem(b->err);
			}
		}
	}
	for (i = 0; i < n; i++)
		free(f[i]);
	free(f);
	if (*from != NULL && **from == '\0') {
		free(*from);
		*from = NULL;
	}
	return 0;
}

/* BuildKit's COPY --from: a stage (by name or index) or an image. */
static int
bk_from(struct bp *b, size_t si, const struct dockerfile_instr *ins,
    const char *from, int *t)
{
	struct shellword_lex lex = { .escape = b->df->escape };
	long long idx;
	char *r;

	if (shellword_process(&lex, from, strlen(from), NULL, &r, b->err) == -1)
		return bpwrap(b, ins->start_line);
	if (strcmp(r, from) != 0) {
		free(r);
		return bperr(b, ins->start_line, "variable expansion is not "
		    "supported for --from, define a new stage with FROM using "
		    "ARG from global scope as a workaround");
	}
	free(r);
	if (atoi_go(from, &idx)) {
		if (idx < 0 || (unsigned long long)idx >= b->ns)
			return bperr(b, ins->start_line, "invalid stage index "
			    "%lld", idx);
		*t = (int)idx;
	} else if ((*t = find_by_name(b, from)) == -1 &&
	    (*t = image_state(b, from, ins->start_line)) == -1)
		return -1;
	return add_dep(b, &b->s[si], *t);
}

/*
 * The classic builder's COPY --from (moby builder/dockerfile/dispatchers.go
 * getImageMount, evaluator.go stagesBuildResults.get): the value is not
 * expanded; a stage already built, by name (any case) or by an index below
 * the current stage's, else an image.
 */
static int
classic_from(struct bp *b, size_t si, const struct dockerfile_instr *ins,
    const char *from, int *t)
{
	long long idx;
	size_t j;

	for (j = 0; j < si; j++)
		if (b->s[j].name != NULL && strcasecmp(b->s[j].name, from) == 0) {
			*t = (int)j;
			return 0;
		}
	if (atoi_go(from, &idx)) {
		if (idx < 0 || (unsigned long long)idx >= si)
			return bperr(b, ins->start_line, "invalid from flag value "
			    "%.100s: %s", from, (unsigned long long)idx == si ?
			    "refers to current build stage" :
			    "index out of bounds");
		*t = (int)idx;
		return 0;
	}
	*t = image_state(b, from, ins->start_line);
	return *t == -1 ? -1 : 0;
}

/* toCommand: the stages a command reads from (COPY --from, from=). */
static int
to_command(struct bp *b, size_t si, const struct dockerfile_instr *ins,
    bool onbuild, struct cmd *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->ins = ins;
	c->from = -1;
	c->onbuild = onbuild;
	if (ins->kind == DF_COPY) {
		const char *from = dockerfile_flag(ins, "from");

		if (from != NULL && *from != '\0' && (b->classic ?
		    classic_from(b, si, ins, from, &c->from) :
		    bk_from(b, si, ins, from, &c->from)) == -1)
			return -1;
	}
	if (ins->kind == DF_RUN) {
		for (i = 0; i < ins->nflags; i++)
			if (strcmp(ins->flags[i].name, "mount") == 0)
				c->nmounts++;
		c->msrc = calloc(c->nmounts + 1, sizeof(*c->msrc));
		c->mfollow = calloc(c->nmounts + 1, 1);
		if (c->msrc == NULL || c->mfollow == NULL)
			return ctx_error_nomem(b->err);
		c->nmounts = 0;
		for (i = 0; i < ins->nflags; i++) {
			char *from;
			int t = -1;

			if (strcmp(ins->flags[i].name, "mount") != 0)
				continue;
			if (mount_from(b, ins->flags[i].value, &from) == -1)
				return -1;
			if (from != NULL) {
				if ((t = find_by_name(b, from)) == -1)
					t = image_state(b, from, ins->start_line);
				free(from);
				if (t == -1)
					return -1;
				if (add_dep(b, &b->s[si], t) == -1)
					return -1;
			}
			c->msrc[c->nmounts++] = t;
		}
	}
	return 0;
}

static void
cmd_release(const struct cmd *c)
{
	free(c->msrc);
	free(c->mfollow);
}

static int
add_cmd(struct bp *b, struct state *s, const struct cmd *c, bool front)
{
	struct cmd *n = realloc(s->cmds, (s->ncmds + 1) * sizeof(*n));

	if (n == NULL) {
		cmd_release(c);
		return ctx_error_nomem(b->err);
	}
	s->cmds = n;
	if (front) {
		memmove(s->cmds + 1, s->cmds, s->ncmds * sizeof(*n));
		s->cmds[0] = *c;
	} else
		s->cmds[s->ncmds] = *c;
	s->ncmds++;
	return 0;
}

/* validateCircularDependency: a cycle through deps. */
static bool
cycle_from(const struct bp *b, size_t i, unsigned char *mark)
{
	size_t k;

	mark[i] = 1;
	for (k = 0; k < b->s[i].ndeps; k++) {
		int d = b->s[i].deps[k];

		if (mark[d] == 1)
			return true;
		if (mark[d] == 0 && cycle_from(b, (size_t)d, mark))
			return true;
	}
	mark[i] = 2;
	return false;
}

static void
reach(const struct bp *b, size_t i, unsigned char *r)
{
	size_t k;

	if (r[i])
		return;
	r[i] = 1;
	if (b->s[i].base >= 0)
		reach(b, (size_t)b->s[i].base, r);
	for (k = 0; k < b->s[i].ndeps; k++)
		reach(b, (size_t)b->s[i].deps[k], r);
}

/* ---- dispatch ---------------------------------------------------------- */


/* NormalizeWorkdir on Linux: relative paths join the current directory. */
static char *
workdir_join(const char *cur, const char *req)
{
	char *tmp, *r;

	if (req[0] == '/')
		return dfgraph_join_root(req);
	if (asprintf(&tmp, "%s/%s", cur, req) == -1)
		return NULL;
	r = dfgraph_join_root(tmp);
	free(tmp);
	return r;
}

/* Expand only for the errors it may raise. */
static int
expand_check(struct bp *b, struct state *s, const char *w, size_t line)
{
	char *r;

	if (expand(b, w, &s->env, line, &r) == -1)
		return -1;
	free(r);
	return 0;
}

static int
expand_all(struct bp *b, struct state *s, const struct dockerfile_instr *ins,
    size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++) {
		char *r;

		if (expand(b, ins->args[i], &s->env, ins->start_line, &r) == -1)
			return -1;
		free(r);
	}
	return 0;
}

static int
dispatch_run(struct bp *b, struct state *s, struct cmd *c)
{
	const struct dockerfile_instr *ins = c->ins;
	size_t i, mi = 0;

	for (i = 0; i < ins->nflags; i++) {
		struct dfmount m;
		char *target;
		int src;

		if (strcmp(ins->flags[i].name, "mount") != 0)
			continue;
		src = c->msrc[mi++];
		struct shellword_lex lex = { .escape = b->df->escape };
		struct shellword_env se = { s->env.v, s->env.n };

		if (dfmount_parse(ins->flags[i].value, &lex, &se, &m, b->err) == -1)
			return bpwrap(b, ins->start_line);
		c->mfollow[mi - 1] = strcmp(m.type, "bind") == 0 ||
		    strcmp(m.type, "cache") == 0;
		if ((m.from == NULL || !*m.from) && strcmp(m.type, "cache") == 0) {
			free(m.from);
			m.from = strdup("scratch");
			src = -1;	/* an empty cache, not a stage */
			if (m.from == NULL) {
				dfmount_clear(&m);
				return ctx_error_nomem(b->err);
			}
		}
		if (m.from != NULL && *m.from && src >= 0 &&
		    !b->s[src].dispatched) {
			bperr(b, ins->start_line, "cannot mount from stage "
			    "\"%.100s\" to \"%.100s\", stage needs to be defined "
			    "before current command", m.from,
			    m.target ? m.target : "");
			dfmount_clear(&m);
			return -1;
		}
		if (strcmp(m.type, "secret") == 0 || strcmp(m.type, "ssh") == 0) {
			dfmount_clear(&m);
			continue;
		}
		target = workdir_join(s->workdir, m.target ? m.target : "");
		if (target == NULL) {
			dfmount_clear(&m);
			return ctx_error_nomem(b->err);
		}
		/* an image's WORKDIR is unknown: only a known "/" fails */
		if (strcmp(target, "/") == 0 && (s->workdir_known ||
		    (m.target != NULL && m.target[0] == '/'))) {
			bperr(b, ins->start_line, "invalid mount target \"/\"");
			free(target);
			dfmount_clear(&m);
			return -1;
		}
		free(target);
		if (m.from == NULL || !*m.from) {
			/* bind and tmpfs alike (rule 4.2's tmpfs quirk) */
			if (add_read(b, (size_t)(s - b->s),
			    strcmp(m.type, "bind") == 0 ? DFGRAPH_BIND :
			    DFGRAPH_TMPFS, c, m.source ? m.source : "") == -1) {
				dfmount_clear(&m);
				return -1;
			}
		}
		dfmount_clear(&m);
	}
	return 0;
}

/* COPY and ADD: expansion, the rule 8.3 checks, the context paths. */
static int
dispatch_copy(struct bp *b, struct state *s, const struct cmd *c)
{
	const struct dockerfile_instr *ins = c->ins;
	const char *v;
	bool add = ins->kind == DF_ADD;
	size_t i, nsrc = 0, line = ins->start_line;
	char **srcs;
	int rc = -1;

	if ((v = dockerfile_flag(ins, "chown")) != NULL &&
	    expand_check(b, s, v, line) == -1)
		return -1;
	if (add && (v = dockerfile_flag(ins, "checksum")) != NULL &&
	    expand_check(b, s, v, line) == -1)
		return -1;
	for (i = 0; i < ins->nheredocs; i++) {
		char *r;

		if (!ins->heredocs[i].expand)
			continue;
		if (expand(b, ins->heredocs[i].content, &s->env, line, &r) == -1)
			return -1;
		free(r);
	}
	srcs = calloc(ins->nargs, sizeof(*srcs));
	if (srcs == NULL)
		return ctx_error_nomem(b->err);
	for (i = 0; i + 1 < ins->nargs; i++) {
		if (dockerfile_is_heredoc(ins->args[i]))
			continue;
		if (expand(b, ins->args[i], &s->env, line, &srcs[nsrc]) == -1)
			goto out;
		nsrc++;
	}
	if (expand_all(b, s, ins, ins->nargs - 1, ins->nargs) == -1)
		goto out;
	if (c->from >= 0 && !b->s[c->from].dispatched) {
		bperr(b, line, "cannot copy from stage \"%.100s\", it needs to "
		    "be defined before current stage \"%.100s\"",
		    dockerfile_flag(ins, "from"), s->name ? s->name : "");
		goto out;
	}
	v = add ? dockerfile_flag(ins, "checksum") : NULL;
	if (v != NULL && *v != '\0') {
		if (nsrc != 1) {
			bperr(b, line, "checksum can't be specified for multiple "
			    "sources");
			goto out;
		}
		if (!dfsource_is_http(srcs[0]) && !dfsource_is_git(srcs[0])) {
			bperr(b, line, "checksum can't be specified for local "
			    "sources");
			goto out;
		}
	}
	for (i = 0; i < nsrc; i++) {
		if (!add && dfsource_is_http(srcs[i])) {
			bperr(b, line, "source can't be a URL for COPY");
			goto out;
		}
		if (!add && dfsource_is_git(srcs[i])) {
			bperr(b, line, "source can't be a git ref for COPY");
			goto out;
		}
	}
	for (i = 0; i < nsrc; i++) {
		if (add && dfsource_is_http(srcs[i]))
			continue;
		if (!add && c->from >= 0)
			continue;
		if (add_read(b, (size_t)(s - b->s), add && dfsource_is_git(srcs[i]) ?
		    DFGRAPH_GIT : DFGRAPH_COPY, c, srcs[i]) == -1)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < nsrc; i++)
		free(srcs[i]);
	free(srcs);
	return rc;
}

/* What the classic builder says of what needs BuildKit. */
#define CLASSIC_NEEDS_BK " option requires BuildKit. Refer to " \
	"https://docs.docker.com/go/buildkit/ to learn how to build images " \
	"with BuildKit enabled"

/*
 * A source without wildcards that climbs out of the context: the classic
 * builder cuts one leading "/" and one "./", joins the rest to the root
 * (which cleans it) and symlink.FollowSymlinkInScope refuses a path that
 * left the root (moby builder/dockerfile/copy.go calcCopyInfo,
 * pkg/containerfs ResolveScopedPath), whatever the context holds.
 */
static int
classic_escapes(struct bp *b, const char *kw, const char *src, size_t line)
{
	const char *p = src + (*src == '/');
	size_t i, n;
	char *c;
	bool out;

	if (p[0] == '.' && p[1] == '/')
		p += 2;
	n = strlen(p);
	for (i = 0; i < n; i++)
		if (p[i] == '\\')
			i++;
		else if (p[i] == '*' || p[i] == '?' || p[i] == '[')
			return 0;	/* a pattern: matches nothing there */
	if ((c = malloc(n + 2)) == NULL)
		return ctx_error_nomem(b->err);
	n = gopath_clean(p, n, c);
	out = (n == 2 || (n > 2 && c[2] == '/')) && c[0] == '.' && c[1] == '.';
	free(c);
	if (out)
		return bperr(b, line, "%s failed: source %.200s is outside the "
		    "build context", kw, src);
	return 0;
}

/*
 * The classic builder's COPY and ADD (moby builder/dockerfile/dispatchers.go
 * dispatchCopy, dispatchAdd; copy.go createCopyInstruction,
 * getCopyInfoForSourcePath): --chown, the sources and the destination are
 * expanded (not the heredocs), --chmod is refused, heredoc sources are
 * skipped ("no source files were specified" when nothing is left), an
 * http(s) URL is downloaded by ADD and refused by COPY, and anything else,
 * a git reference included, is a path of the context.  --link, --checksum
 * and --keep-git-dir change nothing.
 */
static int
dispatch_copy_classic(struct bp *b, struct state *s, const struct cmd *c)
{
	const struct dockerfile_instr *ins = c->ins;
	const char *kw = ins->kind == DF_ADD ? "ADD" : "COPY", *v;
	size_t i, nsrc = 0, line = ins->start_line;
	char **srcs;
	int rc = -1;

	if ((v = dockerfile_flag(ins, "chown")) != NULL &&
	    expand_check(b, s, v, line) == -1)
		return -1;
	if ((srcs = calloc(ins->nargs, sizeof(*srcs))) == NULL)
		return ctx_error_nomem(b->err);
	for (i = 0; i + 1 < ins->nargs; i++)
		if (!dockerfile_is_heredoc(ins->args[i]) && expand(b,
		    ins->args[i], &s->env, line, &srcs[nsrc++]) == -1)
			goto out;
	if (expand_all(b, s, ins, ins->nargs - 1, ins->nargs) == -1)
		goto out;
	if ((v = dockerfile_flag(ins, "chmod")) != NULL && *v != '\0') {
		bperr(b, line, "the --chmod" CLASSIC_NEEDS_BK);
		goto out;
	}
	if (nsrc == 0) {
		bperr(b, line, "%s failed: no source files were specified", kw);
		goto out;
	}
	for (i = 0; i < nsrc; i++) {
		if (dfsource_is_http(srcs[i]) && ins->kind == DF_ADD)
			continue;	/* downloaded */
		if (dfsource_is_http(srcs[i])) {
			bperr(b, line, "COPY failed: source can't be a URL for "
			    "COPY");
			goto out;
		}
		if (classic_escapes(b, kw, srcs[i], line) == -1 ||
		    (c->from < 0 && add_read(b, (size_t)(s - b->s),
		    DFGRAPH_COPY, c, srcs[i]) == -1))
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < ins->nargs; i++)
		free(srcs[i]);
	free(srcs);
	return rc;
}

/* moby builder/dockerfile/dispatchers.go dispatchRun: the classic builder's
 * RUN takes no flag (--mount, --network, ...).  With several flags, which
 * one it names follows Go's map order (BFlags.Used); this names the first. */
static int
dispatch_run_classic(struct bp *b, const struct cmd *c)
{
	if (c->ins->nflags == 0)
		return 0;
	return bperr(b, c->ins->start_line, "the --%s" CLASSIC_NEEDS_BK,
	    c->ins->flags[0].name);
}

/*
 * Flags that the parser of Docker Engine 28.2.2 does not know.  It vendors
 * BuildKit v0.22, whose instructions package (parse.go parseCopy,
 * parseAdd; the RUN flag hooks) has COPY --exclude and --parents, ADD
 * --exclude and RUN --security only in its labs build (the dfexcludepatterns,
 * dfparents and dfrunsecurity tags) and no ADD --unpack yet, so the legacy
 * builder's instructions.Parse fails on them before any stage runs (moby
 * builder/dockerfile/builder.go build), and when a trigger is parsed.
 */
static int
classic_unknown_flag(struct bp *b, const struct dockerfile_instr *ins)
{
	static const char *const copy[] = { "exclude", "parents", NULL };
	static const char *const add[] = { "exclude", "unpack", NULL };
	static const char *const run[] = { "security", NULL };
	const char *const *u = ins->kind == DF_COPY ? copy :
	    ins->kind == DF_ADD ? add : ins->kind == DF_RUN ? run : NULL;
	size_t i, k;

	for (i = 0; u != NULL && i < ins->nflags; i++)
		for (k = 0; u[k] != NULL; k++)
			if (strcmp(ins->flags[i].name, u[k]) == 0)
				return bperr(b, ins->start_line,
				    "unknown flag: %s", u[k]);
	return 0;
}

/* dispatchArg */
static int
dispatch_arg(struct bp *b, struct state *s, const struct dockerfile_instr *ins)
{
	size_t i;

	for (i = 0; i < ins->nargs; i++) {
		const char *a = ins->args[i], *eq = strchr(a, '=');
		char *key = strndup(a, eq ? (size_t)(eq - a) : strlen(a));
		const char *bv, *gv = NULL;
		char *val = NULL;
		int r = 0;

		if (key == NULL)
			return ctx_error_nomem(b->err);
		/* the classic builder expands every default first (ArgCommand
		 * Expand in moby's dispatch()), even one a --build-arg wins */
		if (b->classic && eq != NULL && expand_check(b, s, eq + 1,
		    ins->start_line) == -1) {
			free(key);
			return -1;
		}
		bv = env_get(&b->bargs, key);
		if (bv != NULL)
			val = strdup(bv);
		else if (eq != NULL) {
			if (expand(b, eq + 1, &s->env, ins->start_line, &val) ==
			    -1) {
				free(key);
				return -1;
			}
		} else if ((gv = env_get(&b->global, key)) != NULL)
			val = strdup(gv);
		if (val != NULL && b->classic)
			r = env_set_arg(&s->env, key, val);
		else if (val != NULL &&
		    strcmp(key, "BUILDKIT_SBOM_SCAN_CONTEXT") &&
		    strcmp(key, "BUILDKIT_SBOM_SCAN_STAGE"))
			r = env_set(&s->env, key, val);
		if ((bv != NULL || (eq == NULL && gv != NULL)) && val == NULL)
			r = -1;
		free(key);
		free(val);
		if (r == -1)
			return ctx_error_nomem(b->err);
	}
	return 0;
}

static int
dispatch_cmd(struct bp *b, struct state *s, struct cmd *c)
{
	const struct dockerfile_instr *ins = c->ins;
	size_t i, line = ins->start_line;
	char *r;

	if (b->classic && c->onbuild && classic_unknown_flag(b, ins) == -1)
		return -1;
	switch (ins->kind) {
	case DF_ENV:
		for (i = 0; i + 3 <= ins->nargs; i += 3) {
			char *k, *v;

			if (expand(b, ins->args[i], &s->env, line, &k) == -1)
				return -1;
			if (expand(b, ins->args[i + 1], &s->env, line, &v) ==
			    -1) {
				free(k);
				return -1;
			}
			if (env_set(&s->env, k, v) == -1) {
				free(k);
				free(v);
				return ctx_error_nomem(b->err);
			}
			free(k);
			free(v);
		}
		return 0;
	case DF_LABEL:
		for (i = 0; i + 3 <= ins->nargs; i += 3)
			if (expand_all(b, s, ins, i, i + 2) == -1)
				return -1;
		return 0;
	case DF_ARG:
		return dispatch_arg(b, s, ins);
	case DF_WORKDIR:
		if (expand(b, ins->args[0], &s->env, line, &r) == -1)
			return -1;
		if (*r == '\0') {
			free(r);
			return bperr(b, line, "normalizing workdir: cannot "
			    "normalize nothing");
		}
		{
			char *w = workdir_join(s->workdir, r);
			bool abs = r[0] == '/';

			free(r);
			if (w == NULL)
				return ctx_error_nomem(b->err);
			free(s->workdir);
			s->workdir = w;
			s->workdir_known = s->workdir_known || abs;
		}
		return 0;
	case DF_EXPOSE:
	case DF_USER:
	case DF_STOPSIGNAL:
		return expand_all(b, s, ins, 0, ins->nargs);
	case DF_VOLUME:
		for (i = 0; i < ins->nargs; i++) {
			if (expand(b, ins->args[i], &s->env, line, &r) == -1)
				return -1;
			if (*r == '\0') {
				free(r);
				return bperr(b, line, "VOLUME specified can not "
				    "be an empty string");
			}
			free(r);
		}
		return 0;
	case DF_RUN:
		return b->classic ? dispatch_run_classic(b, c) :
		    dispatch_run(b, s, c);
	case DF_COPY:
	case DF_ADD:
		return b->classic ? dispatch_copy_classic(b, s, c) :
		    dispatch_copy(b, s, c);
	default:
		return 0;
	}
}

/* Re-point an error "NAME:LINE: msg" at line. */
static void
relocate(struct bp *b, size_t line)
{
	char m[sizeof(b->err->msg)];
	const char *p;
	size_t nl = strlen(b->name);

	if (b->err == NULL || b->err->code != CTX_ERR_DOCKERFILE ||
	    strncmp(b->err->msg, b->name, nl) != 0 || b->err->msg[nl] != ':')
		return;
	p = b->err->msg + nl + 1;
	p += strspn(p, "0123456789");
	if (*p == ':')
		p++;
	p += strspn(p, " ");
	snprintf(m, sizeof(m), "%s", p);
	bperr(b, line, "%s", m);
}

/* initOnBuildTriggers: the base stage's ONBUILDs run first in the child. */
static int
init_onbuild(struct bp *b, size_t si, bool *newdeps)
{
	struct state *s = &b->s[si];
	const struct dockerfile_stage *bst;
	size_t i, nins = 0;
	struct cmd *pre = NULL;
	int rc = -1;

	if (s->base < 0 || s->onbuild_init)
		return 0;
	s->onbuild_init = true;
	/* no pointer into b->s is kept: to_command may move the array */
	bst = b->s[s->base].st;
	if (bst == NULL)
		return 0;
	for (i = 0; i < bst->ninstrs; i++) {
		const struct dockerfile_instr *ins =
		    &b->df->instrs[bst->from + 1 + i];
		struct dockerfile *t, **nt;
		struct cmd c, *np;

		if (ins->kind != DF_ONBUILD)
			continue;
		if (dockerfile_parse_trigger(ins->expression, b->name,
		    s->st ? b->df->instrs[s->st->from].start_line : 0, &t,
		    b->err) == -1) {
			/* SetLocation: a trigger fails at the child's FROM */
			relocate(b, s->st ? b->df->instrs[s->st->from].start_line :
			    0);
			goto out;
		}
		nt = realloc(s->triggers, (s->ntriggers + 1) * sizeof(*nt));
		if (nt == NULL) {
			dockerfile_free(t);
			ctx_error_nomem(b->err);
			goto out;
		}
		s->triggers = nt;
		s->triggers[s->ntriggers++] = t;
		/* report errors at the stage's FROM line, as BuildKit does */
		t->instrs[0].start_line = t->instrs[0].end_line =
		    s->st ? b->df->instrs[s->st->from].start_line : 0;
		if (to_command(b, si, &t->instrs[0], true, &c) == -1) {
			cmd_release(&c);
			goto out;
		}
		s = &b->s[si];	/* to_command may grow b->s */
		if (c.from >= 0 || c.nmounts > 0)
			for (size_t k = 0; k < c.nmounts; k++)
				if (c.msrc[k] >= 0)
					*newdeps = true;
		if (c.from >= 0)
			*newdeps = true;
		np = realloc(pre, (nins + 1) * sizeof(*np));
		if (np == NULL) {
			cmd_release(&c);
			ctx_error_nomem(b->err);
			goto out;
		}
		pre = np;
		pre[nins++] = c;
	}
	for (i = nins; i > 0; i--) {
		if (add_cmd(b, s, &pre[i - 1], true) == -1) {
			nins = i - 1;
			goto out;
		}
	}
	nins = 0;
	rc = 0;
out:
	for (i = 0; i < nins; i++)
		cmd_release(&pre[i]);
	free(pre);
	return rc;
}

/* The build graph of rule 4.1: base, COPY --from, bind/cache from=. */
static int
graph(struct bp *b, size_t si)
{
	struct state *s = &b->s[si];
	size_t i, k, mi;

	if (s->in_graph || s->named || s->unregistered)
		return 0;
	s->in_graph = true;
	if (s->base >= 0 && graph(b, (size_t)s->base) == -1)
		return -1;
	for (i = 0; i < s->ncmds; i++) {
		const struct cmd *c = &s->cmds[i];

		if (c->from >= 0 && graph(b, (size_t)c->from) == -1)
			return -1;
		for (k = 0, mi = 0; k < c->ins->nflags; k++) {
			bool follow;
			int src;

			if (strcmp(c->ins->flags[k].name, "mount") != 0)
				continue;
			/* tmpfs, ssh and secret mounts ignore their from= */
			follow = c->mfollow[mi];
			src = c->msrc[mi++];
			if (src < 0)
				continue;
			if (follow && graph(b, (size_t)src) == -1)
				return -1;
		}
	}
	return 0;
}

/* A stage may not have more states than this (recursion and quadratic
 * lookups are bounded by it; BuildKit has no limit). */
#define BP_MAX_STATES 4096

static bool
is_named_context(const struct bp *b, const char *name)
{
	size_t i;

	if (strcasecmp(name, "scratch") == 0 || strcasecmp(name, "context") == 0)
		return false;
	for (i = 0; i < b->opt->nnamed_contexts; i++)
		if (b->opt->named_contexts[i] != NULL &&
		    strcmp(b->opt->named_contexts[i], name) == 0)
			return true;
	return false;
}

/* defaultArgs: the automatic platform arguments, then --build-arg. */
static int
default_args(struct bp *b, const char *target)
{
	static const char *const k[] = { "BUILDPLATFORM", "BUILDOS",
	    "BUILDOSVERSION", "BUILDARCH", "BUILDVARIANT", "TARGETPLATFORM",
	    "TARGETOS", "TARGETOSVERSION", "TARGETARCH", "TARGETVARIANT",
	    "TARGETSTAGE" };
	const char *plat = *BP_VARIANT ? "linux/" BP_ARCH "/" BP_VARIANT :
	    "linux/" BP_ARCH;
	const char *v[] = { plat, "linux", "", BP_ARCH, BP_VARIANT, plat,
	    "linux", "", BP_ARCH, BP_VARIANT, target };
	size_t i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		const char *o = env_get(&b->bargs, k[i]);

		if (env_set(&b->global, k[i], o ? o : v[i]) == -1)
			return ctx_error_nomem(b->err);
	}
	return 0;
}

/* buildMetaArgs: the ARGs before the first FROM. */
static int
meta_args(struct bp *b)
{
	size_t i, j;

	for (i = 0; i < b->df->nmeta; i++) {
		const struct dockerfile_instr *ins = &b->df->instrs[i];

		if (ins->kind != DF_ARG)
			continue;
		for (j = 0; j < ins->nargs; j++) {
			const char *a = ins->args[j], *eq = strchr(a, '=');
			char *key = strndup(a, eq ? (size_t)(eq - a) : strlen(a));
			const char *bv;
			char *val = NULL;
			int r = 0;

			if (key == NULL)
				return ctx_error_nomem(b->err);
			if ((bv = env_get(&b->bargs, key)) != NULL)
				r = env_set(&b->global, key, bv);
			else if (eq != NULL) {
				if (expand(b, eq + 1, &b->global, ins->start_line,
				    &val) == -1) {
					free(key);
					return -1;
				}
				r = env_set(&b->global, key, val);
			}
			free(key);
			free(val);
			if (r == -1)
				return ctx_error_nomem(b->err);
		}
	}
	return 0;
}

/* The earlier stage a FROM names: the last of that exact name (addState),
 * or for the classic builder a stage already built, in any case (moby
 * builder/dockerfile/dispatchers.go getImageOrStage, evaluator.go
 * stagesBuildResults.getByName). */
static int
find_base(const struct bp *b, size_t si, const char *base)
{
	size_t j;
	int r = -1;

	for (j = 0; j < si; j++)
		if (b->s[j].name != NULL && (b->classic ?
		    strcasecmp(b->s[j].name, base) :
		    strcmp(b->s[j].name, base)) == 0)
			r = (int)j;
	return r;
}

/* The FROM of stage i: its base name and platform expanded. */
static int
expand_from(struct bp *b, const struct dockerfile_stage *st, size_t line,
    char **base)
{
	char *pl;

	if (expand(b, st->base, &b->global, line, base) == -1)
		return -1;
	if (**base == '\0') {
		free(*base);
		return bperr(b, line, "base name (%.200s) should not be blank",
		    st->base);
	}
	if (st->platform == NULL)
		return 0;
	if (expand(b, st->platform, &b->global, line, &pl) == -1) {
		free(*base);
		return -1;
	}
	if (*pl == '\0') {
		free(pl);
		free(*base);
		return bperr(b, line, "empty platform value from expression "
		    "%.200s", st->platform);
	}
	free(pl);
	return 0;
}

/* A state for each of the first n stages.  The classic builder refuses a
 * stage name already used (evaluator.go checkStageNameAvailable). */
static int
build_states(struct bp *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct dockerfile_stage *st = &b->df->stages[i];
		size_t line = b->df->instrs[st->from].start_line;
		struct state *s;
		char *base;
		int si;

		if (b->classic && st->name != NULL &&
		    find_base(b, i, st->name) != -1)
			return bperr(b, line, "%s stage name already used",
			    st->name);
		if (expand_from(b, st, line, &base) == -1)
			return -1;
		if ((si = state_new(b)) == -1) {
			free(base);
			return ctx_error_nomem(b->err);
		}
		s = &b->s[si];
		s->st = st;
		s->base_name = base;
		s->name = st->name;
		s->base = find_base(b, (size_t)si, base);
		if (!b->classic && st->name != NULL &&
		    is_named_context(b, st->name)) {
			s->named = true;
			s->dispatched = true;
			s->base = -1;
		}
	}
	return 0;
}

/* The build-time proxy variables a --build-arg sets without an ARG (moby
 * builder/dockerfile/buildargs.go builtinAllowedBuildArgs). */
static const char *const classic_proxy[] = { "HTTP_PROXY", "http_proxy",
	"HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY",
	"no_proxy", "ALL_PROXY", "all_proxy" };

/* The --build-arg proxies into e, as ARGs of a stage or as meta ARGs. */
static int
classic_proxies(struct bp *b, struct env *e, bool as_arg)
{
	size_t i;
	const char *v;

	for (i = 0; i < sizeof(classic_proxy) / sizeof(classic_proxy[0]); i++) {
		if ((v = env_get(&b->bargs, classic_proxy[i])) == NULL)
			continue;
		if ((as_arg ? env_set_arg(e, classic_proxy[i], v) :
		    env_set(e, classic_proxy[i], v)) == -1)
			return ctx_error_nomem(b->err);
	}
	return 0;
}

/*
 * A stage's environment: its base stage's (for the classic builder only
 * what ENV set: a stage's ARGs are not part of its image config), else an
 * image's, unknown but for PATH (spec: Uncertain; moby's setDefaultPath).
 */
static int
init_env(struct bp *b, struct state *s)
{
	const struct state *base = s->base >= 0 ? &b->s[s->base] : NULL;

	if (base != NULL && !base->named) {
		if (env_copy(&s->env, &base->env, b->classic) == -1)
			return ctx_error_nomem(b->err);
		s->workdir = strdup(base->workdir ? base->workdir : "/");
		s->workdir_known = base->workdir_known;
	} else {
		if (env_set(&s->env, "PATH", BP_DEFAULT_PATH) == -1)
			return ctx_error_nomem(b->err);
		s->workdir = strdup("/");
	}
	if (s->workdir == NULL)
		return ctx_error_nomem(b->err);
	return b->classic ? classic_proxies(b, &s->env, true) : 0;
}

static void
bp_free(struct bp *b)
{
	size_t i, k;

	for (i = 0; i < b->ns; i++) {
		struct state *s = &b->s[i];

		free(s->base_name);
		free(s->deps);
		for (k = 0; k < s->ncmds; k++) {
			free(s->cmds[k].msrc);
			free(s->cmds[k].mfollow);
		}
		free(s->cmds);
		for (k = 0; k < s->ntriggers; k++)
			dockerfile_free(s->triggers[k]);
		free(s->triggers);
		env_free(&s->env);
		free(s->workdir);
	}
	free(b->s);
	env_free(&b->global);
	env_free(&b->bargs);
	for (i = 0; i < b->nreads; i++)
		free(b->reads[i].src);
	free(b->reads);
}

/* --build-arg NAME=VALUE (NAME alone: an empty value). */
static int
parse_build_args(struct bp *b)
{
	size_t i;

	for (i = 0; i < b->opt->nbuild_args; i++) {
		const char *a = b->opt->build_args[i], *eq;

		if (a == NULL)
			continue;
		eq = strchr(a, '=');
		if (env_add(&b->bargs, a, eq ? (size_t)(eq - a) : strlen(a),
		    eq ? eq + 1 : "", eq ? strlen(eq + 1) : 0) == -1)
			return ctx_error_nomem(b->err);
	}
	return 0;
}

/*
 * The classic builder before its first stage (moby builder/dockerfile/
 * builder.go build, dispatchDockerfileWithCancellation): the parser's
 * unknown flags fail the build whatever the target; --target names the
 * first stage of that name, in any case (instructions.HasStage), and only
 * the stages up to it are built, every one of them; no platform ARG is
 * predefined.  *n is the number of stages built.
 */
static int
classic_prepare(struct bp *b, size_t *n)
{
	const char *t = b->opt->target;
	size_t i;

	for (i = 0; i < b->df->ninstrs; i++)
		if (classic_unknown_flag(b, &b->df->instrs[i]) == -1)
			return -1;
	*n = b->df->nstages;
	if (t != NULL && *t != '\0') {
		for (i = 0; i < b->df->nstages; i++)
			if (b->df->stages[i].name != NULL &&
			    strcasecmp(b->df->stages[i].name, t) == 0)
				break;
		if (i == b->df->nstages)
			return ctx_error_set(b->err, CTX_ERR_DOCKERFILE, "%s: "
			    "failed to reach build target %.200s in Dockerfile",
			    b->name, t);
		*n = i + 1;
	}
	return classic_proxies(b, &b->global, false);
}

/* The stages' states, the global ARGs and the target (resolveTarget). */
static int
setup_stages(struct bp *b, size_t *nstages, int *target)
{
	const struct buildplan_options *opt = b->opt;
	const struct dockerfile_stage *last;
	size_t n = b->df->nstages;

	if (parse_build_args(b) == -1)
		return -1;
	if (n == 0)
		return ctx_error_set(b->err, CTX_ERR_DOCKERFILE,
		    "%s: dockerfile contains no stages to build", b->name);
	if (n > BP_MAX_STATES)
		return ctx_error_set(b->err, CTX_ERR_DOCKERFILE,
		    "%s: more than %d stages", b->name, BP_MAX_STATES);
	last = &b->df->stages[n - 1];
	if ((b->classic ? classic_prepare(b, &n) : default_args(b,
	    opt->target && *opt->target ? opt->target : last->name ?
	    last->name : "")) == -1 || meta_args(b) == -1 ||
	    build_states(b, n) == -1)
		return -1;
	*nstages = b->ns;
	if (b->classic || opt->target == NULL || *opt->target == '\0') {
		*target = (int)*nstages - 1;
		return 0;
	}
	if ((*target = find_by_name(b, opt->target)) == -1)
		return ctx_error_set(b->err, CTX_ERR_DOCKERFILE,
		    "%s: target stage \"%.200s\" could not be found", b->name,
		    opt->target);
	return 0;
}

static int
too_many_states(struct bp *b)
{
	if (b->ns <= BP_MAX_STATES)
		return 0;
	return ctx_error_set(b->err, CTX_ERR_DOCKERFILE, "%s: more than %d "
	    "stages and images", b->name, BP_MAX_STATES);
}

/* buildStageDependencyGraph (the states that exist now). */
static int
build_commands(struct bp *b, size_t nstages)
{
	size_t i, k;

	for (i = 0; i < nstages; i++) {
		const struct dockerfile_stage *st = b->s[i].st;

		for (k = 0; k < st->ninstrs; k++) {
			struct cmd c;

			if (to_command(b, i, &b->df->instrs[st->from + 1 + k],
			    false, &c) == -1) {
				cmd_release(&c);
				return -1;
			}
			if (add_cmd(b, &b->s[i], &c, false) == -1 ||
			    too_many_states(b) == -1)
				return -1;
		}
	}
	return 0;
}

/* validateCircularDependency (BuildKit only: the classic builder takes a
 * --from naming a stage not built yet for an image). */
static int
check_cycles(struct bp *b)
{
	unsigned char *mark = calloc(b->ns + 1, 1);
	size_t i;

	if (mark == NULL)
		return ctx_error_nomem(b->err);
	for (i = 0; i < b->ns; i++)
		if (mark[i] == 0 && cycle_from(b, i, mark)) {
			free(mark);
			return ctx_error_set(b->err, CTX_ERR_DOCKERFILE, "%s: "
			    "circular dependency detected on stage: %s",
			    b->name, b->s[i].name ? b->s[i].name : "");
		}
	free(mark);
	return 0;
}

/* The states the target needs, in *mark (b->ns + 1 bytes, malloc'ed). */
static int
reach_target(struct bp *b, int target, unsigned char **mark)
{
	free(*mark);
	if ((*mark = calloc(b->ns + 1, 1)) == NULL)
		return ctx_error_nomem(b->err);
	reach(b, (size_t)target, *mark);
	return 0;
}

/*
 * resolveStages: reachability, then ONBUILD triggers until no new deps.
 * The classic builder builds every stage up to the target, each with the
 * triggers of its base stage (dispatchers.go initializeStage).
 */
static int
resolve_stages(struct bp *b, size_t nstages, int target,
    unsigned char **mark)
{
	bool newdeps;
	size_t i, n0;

	do {
		newdeps = false;
		if (b->classic) {
			free(*mark);
			if ((*mark = calloc(b->ns + 1, 1)) == NULL)
				return ctx_error_nomem(b->err);
			memset(*mark, 1, nstages);
		} else if (reach_target(b, target, mark) == -1)
			return -1;
		n0 = b->ns;	/* triggers only append images */
		for (i = 0; i < n0; i++) {
			if (!(*mark)[i] || b->s[i].unregistered)
				continue;
			if (init_onbuild(b, i, &newdeps) == -1 ||
			    too_many_states(b) == -1)
				return -1;
		}
	} while (newdeps && !b->classic);
	return 0;
}

/* resolveBaseImage parses every image name, reachable or not; the
 * classic builder only the FROMs of the stages it builds. */
static int
check_refs(struct bp *b)
{
	size_t i;

	for (i = 0; i < b->ns; i++) {
		const struct state *s = &b->s[i];
		const char *why;

		if (s->base >= 0 || (b->classic && s->st == NULL) ||
		    (why = dfsource_ref_check(s->base_name)) == NULL)
			continue;
		return bperr(b, s->st ? b->df->instrs[s->st->from].start_line :
		    s->line, "failed to parse stage name \"%.200s\": %s",
		    s->base_name, why);
	}
	return 0;
}

/* dispatchStages: the marked stages in file order. */
static int
dispatch_stages(struct bp *b, size_t nstages, const unsigned char *mark)
{
	size_t i, k;

	for (i = 0; i < nstages; i++) {
		struct state *s = &b->s[i];

		if (!mark[i] || s->dispatched)
			continue;
		if (init_env(b, s) == -1)
			return -1;
		s->dispatched = true;
		for (k = 0; k < s->ncmds; k++)
			if (dispatch_cmd(b, s, &s->cmds[k]) == -1)
				return -1;
	}
	return 0;
}

/* The reads and the triggers they point into move to out. */
static int
take_reads(struct bp *b, struct dfgraph *out)
{
	size_t i, k, n = 0;

	for (i = 0; i < b->ns; i++)
		n += b->s[i].ntriggers;
	if (n > 0 && (out->triggers = calloc(n, sizeof(*out->triggers))) ==
	    NULL)
		return ctx_error_nomem(b->err);
	for (i = 0; i < b->ns; i++) {
		for (k = 0; k < b->s[i].ntriggers; k++)
			out->triggers[out->ntriggers++] = b->s[i].triggers[k];
		b->s[i].ntriggers = 0;
	}
	out->reads = b->reads;
	out->nreads = b->nreads;
	b->reads = NULL;
	b->nreads = b->rcap = 0;
	return 0;
}

static int
compute(struct bp *b, struct dfgraph *out)
{
	size_t i, nstages = 0;
	int target = 0, rc = -1;
	unsigned char *mark = NULL;

	if (setup_stages(b, &nstages, &target) == -1 ||
	    build_commands(b, nstages) == -1 ||
	    (!b->classic && check_cycles(b) == -1))
		return -1;
	if (resolve_stages(b, nstages, target, &mark) == -1 ||
	    check_refs(b) == -1 ||
	    (!b->classic && reach_target(b, target, &mark) == -1) ||
	    dispatch_stages(b, nstages, mark) == -1)
		goto out;
	/* the build graph; the classic builder builds all it dispatched */
	if (b->classic)
		for (i = 0; i < nstages; i++)
			b->s[i].in_graph = true;
	else if (graph(b, (size_t)target) == -1)
		goto out;
	for (i = 0; i < b->nreads; i++)
		b->reads[i].in_graph = b->s[b->reads[i].stage].in_graph;
	rc = take_reads(b, out);
out:
	free(mark);
	return rc;
}

int
dfgraph_compute(const struct dockerfile *df, const char *name,
    const struct buildplan_options *opt, struct dfgraph *out,
    struct ctx_error *err)
{
	static const struct buildplan_options none;
	struct bp b = { .name = name ? name : "Dockerfile", .err = err };
	int rc;

	memset(out, 0, sizeof(*out));
	b.opt = opt ? opt : &none;
	b.df = df;
	b.classic = b.opt->builder == BUILDER_CLASSIC;
	rc = compute(&b, out);
	bp_free(&b);
	if (rc == -1)
		dfgraph_free(out);
	return rc;
}

void
dfgraph_free(struct dfgraph *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nreads; i++)
		free(g->reads[i].src);
	free(g->reads);
	for (i = 0; i < g->ntriggers; i++)
		dockerfile_free(g->triggers[i]);
	free(g->triggers);
	memset(g, 0, sizeof(*g));
}
