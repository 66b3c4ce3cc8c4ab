/*
 * ctxctl suggest / fix (see suggestcmd.h): check's report per builder ->
 * the ignore file each builder reads (BuildKit's NAME.dockerignore and
 * the classic builder's .dockerignore may differ) -> suggest_compute()
 * over the builders reading each file -> the proof (each builder's context
 * recomputed with its file's lines appended: no hazard left but those the
 * Dockerfile names, nothing used lost, no dead weight left) -> a unified
 * diff per file, or each file rewritten atomically with a backup.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "ignorefile.h"
#include "match.h"
#include "readfile.h"
#include "suggest.h"
#include "suggestcmd.h"

#define BACKUP_SUFFIX ".bak"
#define BACKUP_CLS "backup"	/* the block of the backups' own lines */
#define MAX_REP 2		/* BuildKit and the classic builder */

/* One ignore file and the builders that read it. */
struct ignfile {
	char *file;		/* absolute, a symbolic link followed */
	const char *label;	/* its name in the diff, relative to the root */
	char *old;		/* its content, NULL when it does not exist */
	size_t oldlen;
	mode_t mode;
	size_t rep[MAX_REP];	/* the reports (builders) that read it */
	size_t nrep;
	struct suggestion sg;	/* the lines proven for those builders */
	char *backup[MAX_REP];	/* lines excluding the backups fix keeps */
	size_t nbackup;
	bool edit;		/* lines are added to it */
	const char **lines;	/* the patterns, then the backups' */
	const char **cls;
	size_t nlines;
};

struct plan {
	struct check_report rep[MAX_REP];
	enum builder b[MAX_REP];
	size_t nrep;
	struct ignfile f[MAX_REP];
	size_t nf;
	size_t fof[MAX_REP];	/* the file each report's builder reads */
	long long removed[MAX_REP];
};

static const char *
builder_name(enum builder b)
{
	return b == BUILDER_CLASSIC ? "classic" : "buildkit";
}

static int
analyse(const struct suggest_options *opt, enum builder b,
    const char *const *extra, size_t nextra, struct check_report *r,
    struct ctx_error *err)
{
	struct context_options co = *opt->ctx;
	struct check_options ch;

	co.builder = b;
	co.extra_ignore = extra;
	co.nextra_ignore = nextra;
	memset(&ch, 0, sizeof(ch));
	ch.ctx = &co;
	ch.large_bytes = opt->large_bytes;
	return check_compute(&ch, r, err);
}

/* The ignore file report r's builder reads (an absent one is read as
 * root/.dockerignore once it exists); a symbolic link is followed: the
 * file it names is the one read.  Returns it allocated, or NULL. */
static char *
file_of(const struct check_report *r)
{
	char *f, *real;

	if (r->c.ignore_file != NULL)
		f = strdup(r->c.ignore_file);
	else if (asprintf(&f, "%s/.dockerignore", r->c.root) < 0)
		f = NULL;
	if (f != NULL && (real = realpath(f, NULL)) != NULL) {
		free(f);
		f = real;
	}
	return f;
}

static int
file_read(struct ignfile *f, const char *root, struct ctx_error *err)
{
	size_t rl = strlen(root);
	struct stat st;

	f->label = strncmp(f->file, root, rl) == 0 && f->file[rl] == '/' ?
	    f->file + rl + 1 : f->file;
	f->mode = 0644;
	if (stat(f->file, &st) == 0) {
		f->mode = st.st_mode & 07777;
		if (readfile_at(AT_FDCWD, f->file, &f->old, &f->oldlen) < 0)
			return ctx_error_sys(err, errno, "read %s", f->file);
	} else if (errno != ENOENT)
		return ctx_error_sys(err, errno, "stat %s", f->file);
	return 0;
}

/* Groups the reports by the ignore file their builder reads. */
static int
pick_files(struct plan *p, struct ctx_error *err)
{
	size_t i, k;
	char *f;

	for (i = 0; i < p->nrep; i++) {
		if ((f = file_of(&p->rep[i])) == NULL)
			return ctx_error_nomem(err);
		for (k = 0; k < p->nf && strcmp(p->f[k].file, f) != 0; k++)
			;
		if (k < p->nf)
			free(f);
		else {
			p->f[p->nf].file = f;
			if (file_read(&p->f[p->nf++], p->rep[0].c.root, err) < 0)
				return -1;
		}
		p->f[k].rep[p->f[k].nrep++] = i;
		p->fof[i] = k;
	}
	return 0;
}

/* Each file's lines, computed over the views of the builders reading it. */
static int
compute(struct plan *p, struct ctx_error *err)
{
	struct suggest_view v[MAX_REP];
	size_t k, j;

	for (k = 0; k < p->nf; k++) {
		struct ignfile *f = &p->f[k];

		memset(v, 0, sizeof(v));
		for (j = 0; j < f->nrep; j++) {
			const struct check_report *r = &p->rep[f->rep[j]];

			v[j].l = &r->c.entries;
			v[j].use = r->use.use;
			v[j].named = r->use.named;
			v[j].line = r->use.line;
			v[j].findings = r->findings;
			v[j].dockerfile = r->dfrel;
		}
		if (suggest_compute(v, f->nrep, &f->sg, err) < 0)
			return -1;
		f->edit = f->sg.nlines > 0;
	}
	return 0;
}

/* g's backup relative to the root, or NULL (outside the context, or no
 * line can name it exactly). */
static char *
backup_rel(const struct plan *p, const struct ignfile *g)
{
	const char *root = p->rep[0].c.root;
	size_t rl = strlen(root);
	char *rel;

	if (strncmp(g->file, root, rl) != 0 || g->file[rl] != '/' ||
	    asprintf(&rel, "%s%s", g->file + rl + 1, BACKUP_SUFFIX) < 0)
		return NULL;
	if (strpbrk(rel, "*?[\\\n\r") != NULL || rel[0] == '!') {
		free(rel);
		return NULL;
	}
	return rel;
}

/* rel is an entry of r's context; *used: an instruction uses it. */
static bool
in_context(const struct check_report *r, const char *rel, bool *used)
{
	size_t k;

	for (k = 0; k < r->c.entries.n; k++)
		if (strcmp(r->c.entries.v[k].path, rel) == 0) {
			*used = r->use.use[k] != 0;
			return true;
		}
	return false;
}

static bool
excluded_by_old(const struct ignfile *f, const char *rel)
{
	struct ignore_list il;
	struct matcher *m = NULL;
	bool ex = false;

	ignore_list_init(&il);
	if (f->old != NULL &&
	    ignorefile_parse(f->old, f->oldlen, f->label, &il, NULL) == 0 &&
	    (m = ignore_list_compile(&il, f->label, 0, NULL)) != NULL)
		matcher_matches_or_parent(m, rel, strlen(rel), &ex, NULL);
	matcher_free(m);
	ignore_list_free(&il);
	return ex;
}

/*
 * fix keeps the previous file g as g.bak, which may be in the context of
 * a builder reading f: f then excludes it (`/g.bak`), unless f's own
 * patterns already do or an instruction uses an existing one.  The
 * classic builder sends whatever is not excluded, BuildKit what a source
 * reaches (taken to be so when it sends g itself); f always excludes its
 * own backup.
 */
static bool
backup_sent(const struct plan *p, const struct ignfile *f,
    const struct ignfile *g, const char *rel)
{
	const char *grel = g->file + strlen(p->rep[0].c.root) + 1;
	bool reach = f == g, used = false, u;
	size_t j;

	for (j = 0; j < f->nrep; j++) {
		const struct check_report *r = &p->rep[f->rep[j]];

		if (in_context(r, rel, &u))
			used |= u;
		reach |= p->b[f->rep[j]] == BUILDER_CLASSIC ||
		    in_context(r, grel, &u);
	}
	return reach && !used && !excluded_by_old(f, rel);
}

static int
add_backup_line(struct ignfile *f, const char *rel, struct ctx_error *err)
{
	char *line;
	size_t i;

	if (asprintf(&line, "/%s", rel) < 0)
		return ctx_error_nomem(err);
	for (i = 0; i < f->sg.nlines; i++)
		if (strcmp(f->sg.lines[i].pattern, line) == 0)
			break;
	if (i < f->sg.nlines) {
		free(line);
		return 0;
	}
	f->backup[f->nbackup++] = line;
	return 0;
}

/*
 * The backups' lines.  A file with no lines of its own is edited too when
 * a backup fix writes now (of a file that exists) would be sent to its
 * builders; then every edited file excludes every edited file's backup.
 */
static int
plan_backups(struct plan *p, struct ctx_error *err)
{
	size_t k, g;
	char *rel;
	int rc = 0;

	for (k = 0; k < p->nf; k++)
		for (g = 0; g < p->nf && !p->f[k].edit; g++)
			if (p->f[g].edit && p->f[g].old != NULL &&
			    (rel = backup_rel(p, &p->f[g])) != NULL) {
				p->f[k].edit = backup_sent(p, &p->f[k], &p->f[g],
				    rel);
				free(rel);
			}
	for (k = 0; k < p->nf; k++) {
		struct ignfile *f = &p->f[k];

		for (g = 0; g < p->nf && rc == 0 && f->edit; g++) {
			if (!p->f[g].edit ||
			    (rel = backup_rel(p, &p->f[g])) == NULL)
				continue;
			if (backup_sent(p, f, &p->f[g], rel))
				rc = add_backup_line(f, rel, err);
			free(rel);
		}
		if (f->nbackup == 2 && strcmp(f->backup[0], f->backup[1]) > 0) {
			char *t = f->backup[0];

			f->backup[0] = f->backup[1];
			f->backup[1] = t;
		}
	}
	return rc;
}

static int
collect_lines(struct ignfile *f, struct ctx_error *err)
{
	size_t i, n = f->sg.nlines + f->nbackup + 1;

	f->lines = calloc(n, sizeof(*f->lines));
	f->cls = calloc(n, sizeof(*f->cls));
	if (f->lines == NULL || f->cls == NULL)
		return ctx_error_nomem(err);
	for (i = 0; i < f->sg.nlines; i++) {
		f->lines[i] = f->sg.lines[i].pattern;
		f->cls[i] = f->sg.lines[i].cls;
	}
	f->nlines = f->sg.nlines;
	for (i = 0; i < f->nbackup; i++) {
		f->lines[f->nlines] = f->backup[i];
		f->cls[f->nlines++] = BACKUP_CLS;
	}
	return 0;
}

static int
kept_cmp(const void *x, const void *y)
{
	const struct suggest_kept *a = *(const struct suggest_kept *const *)x;
	const struct suggest_kept *b = *(const struct suggest_kept *const *)y;
	int c = strcmp(a->path, b->path);

	return c != 0 ? c : strcmp(a->rule, b->rule);
}

/* What no line may remove, over all files: sorted, once each. */
static int
print_kept(const struct plan *p, struct ctx_error *err)
{
	const struct suggest_kept **v;
	size_t k, i, n = 0;

	for (k = 0; k < p->nf; k++)
		n += p->f[k].sg.nkept;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return ctx_error_nomem(err);
	for (k = n = 0; k < p->nf; k++)
		for (i = 0; i < p->f[k].sg.nkept; i++)
			v[n++] = &p->f[k].sg.kept[i];
	qsort(v, n, sizeof(*v), kept_cmp);
	for (i = 0; i < n; i++)
		if (i == 0 || kept_cmp(&v[i - 1], &v[i]) != 0)
			fprintf(stderr, "ctxctl: kept %s (%s): %s\n", v[i]->path,
			    v[i]->rule, v[i]->why);
	free(v);
	return 0;
}

/* Is escaped path p (a finding's or dead weight's) accounted for by a kept
 * entry at or below it? */
static bool
is_kept(const struct suggestion *sg, const char *p)
{
	size_t i, n = strlen(p);

	for (i = 0; i < sg->nkept; i++) {
		const char *k = sg->kept[i].path;

		if (strcmp(k, p) == 0 || (strncmp(k, p, n) == 0 && k[n] == '/'))
			return true;
	}
	return false;
}

static int
entry_cmp(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;

	return entry_path_cmp(a->path, a->path_len, b->path, b->path_len);
}

static bool
sent(const struct entry_list *l, const struct entry *e)
{
	return bsearch(e, l->v, l->n, sizeof(*l->v), entry_cmp) != NULL;
}

/* Entry i of r was inside a hazard finding of r. */
static bool
in_finding(const struct check_report *r, size_t i, char *buf)
{
	const struct entry *e = &r->c.entries.v[i];
	const json_t *f;
	size_t k, n;

	json_array_foreach(r->findings, k, f) {
		const char *p = json_string_value(json_object_get(f, "path"));

		if (p == NULL)
			continue;
		n = suggest_unescape(p, strlen(p), buf);
		if (n <= e->path_len && memcmp(e->path, buf, n) == 0 &&
		    (n == e->path_len || e->path[n] == '/'))
			return true;
	}
	return false;
}

/*
 * The proof for one builder: before is the report without the lines,
 * after with them.  Problems go to stderr; returns how many.
 */
static size_t
prove(const struct suggestion *sg, const struct check_report *before,
    const struct check_report *after, const char *bname)
{
	const json_t *f, *dead = json_object_get(after->dead, "paths");
	const struct entry_list *l = &before->c.entries;
	size_t i, bad = 0;
	char *buf;

	json_array_foreach(after->findings, i, f) {
		const char *path = json_string_value(json_object_get(f, "path"));

		if (path != NULL && !is_kept(sg, path)) {
			fprintf(stderr, "ctxctl: %s: %s (%s) is still sent\n", bname,
			    path, json_string_value(json_object_get(f, "rule")));
			bad++;
		}
	}
	json_array_foreach(dead, i, f) {
		const char *path = json_string_value(f);

		if (path != NULL && !is_kept(sg, path)) {
			fprintf(stderr, "ctxctl: %s: dead weight %s is still sent\n",
			    bname, path);
			bad++;
		}
	}
	if ((buf = malloc(PATH_MAX * 4 + 1)) == NULL) {
		fprintf(stderr, "ctxctl: out of memory\n");
		return bad + 1;
	}
	for (i = 0; i < l->n; i++) {
		const struct entry *e = &l->v[i];
		bool keep = before->use.named[i] || (e->flags & ENTRY_INLINE) ||
		    strcmp(e->path, ".dockerignore") == 0 ||
		    (before->dfrel != NULL && strcmp(e->path, before->dfrel) == 0);

		if (!keep && before->use.use[i] != 0 && e->path_len < PATH_MAX)
			keep = !in_finding(before, i, buf);
		if (keep && !sent(&after->c.entries, e)) {
			fprintf(stderr, "ctxctl: %s: %s is used and no longer "
			    "sent\n", bname, e->path);
			bad++;
		}
	}
	free(buf);
	return bad;
}

static const char *
block_comment(const char *cls)
{
	static char buf[128];

	if (strcmp(cls, SUGGEST_DEAD_WEIGHT) == 0)
		return "# ctxd: dead weight: no instruction uses these";
	if (strcmp(cls, BACKUP_CLS) == 0)
		return "# ctxd: the backup ctxctl fix keeps";
	snprintf(buf, sizeof(buf), "# ctxd: hazard: %s", cls);
	return buf;
}

/* The lines to append, one string each (static comments copied). */
static char **
added_lines(const struct ignfile *p, size_t *n)
{
	char **v = calloc(3 * p->nlines + 1, sizeof(*v));
	size_t i, k = 0;
	bool fail = false;

	if (v == NULL)
		return NULL;
	for (i = 0; i < p->nlines; i++) {
		if (i == 0 || strcmp(p->cls[i], p->cls[i - 1]) != 0) {
			if (i > 0 || p->oldlen > 0)
				fail |= (v[k++] = strdup("")) == NULL;
			fail |= (v[k++] = strdup(block_comment(p->cls[i]))) ==
			    NULL;
		}
		fail |= (v[k++] = strdup(p->lines[i])) == NULL;
	}
	*n = k;
	if (fail) {
		for (i = 0; i < k; i++)
			free(v[i]);
		free(v);
		return NULL;
	}
	return v;
}

/* The old file's lines as [start, end) offsets: *n of them. */
static size_t
old_lines(const struct ignfile *p, size_t *starts, size_t max)
{
	size_t n = 0, i = 0;

	while (i < p->oldlen && n < max) {
		const char *nl = memchr(p->old + i, '\n', p->oldlen - i);

		starts[n++] = i;
		i = nl != NULL ? (size_t)(nl - p->old) + 1 : p->oldlen;
	}
	return n;
}

/* A unified diff that appends add[0..nadd) (three lines of context). */
static void
print_diff(const struct ignfile *p, char **add, size_t nadd)
{
	size_t nold = 0, *st = NULL, ctx, first, i;
	bool noeol = p->oldlen > 0 && p->old[p->oldlen - 1] != '\n';

	if (p->oldlen > 0 && (st = malloc((p->oldlen + 1) * sizeof(*st))) != NULL)
		nold = old_lines(p, st, p->oldlen + 1);
	ctx = nold < 3 ? nold : 3;
	first = nold - ctx;
	printf("--- %s%s\n+++ b/%s\n", p->old != NULL ? "a/" : "",
	    p->old != NULL ? p->label : "/dev/null", p->label);
	printf("@@ -%zu,%zu +%zu,%zu @@\n", ctx > 0 ? first + 1 : nold, ctx,
	    ctx > 0 ? first + 1 : nold + 1, ctx + nadd);
	for (i = first; i < nold; i++) {
		size_t end = i + 1 < nold ? st[i + 1] : p->oldlen;
		int len = (int)(end - st[i]);

		if (i + 1 == nold && noeol) {
			printf("-%.*s\n\\ No newline at end of file\n", len,
			    p->old + st[i]);
			printf("+%.*s\n", len, p->old + st[i]);
		} else
			printf(" %.*s", len, p->old + st[i]);
	}
	for (i = 0; i < nadd; i++)
		printf("+%s\n", add[i]);
	free(st);
}

/* Writes data to path through a temporary file and rename(2). */
static int
write_atomic(const char *path, const char *data, size_t len, mode_t mode,
    struct ctx_error *err)
{
	char *tmp;
	int fd;
	size_t off = 0;
	ssize_t w;

	if (asprintf(&tmp, "%s.ctxd-XXXXXX", path) < 0)
		return ctx_error_nomem(err);
	if ((fd = mkstemp(tmp)) < 0) {
		ctx_error_sys(err, errno, "create %s", tmp);
		free(tmp);
		return -1;
	}
	while (off < len) {
		if ((w = write(fd, data + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	free(tmp);
	return 0;
fail:
	ctx_error_sys(err, errno, "write %s", path);
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

static int
apply(const struct ignfile *p, char **add, size_t nadd, struct ctx_error *err)
{
	char *bak, *buf;
	size_t len = p->oldlen, i, cap = p->oldlen + 2;
	int rc = -1;

	for (i = 0; i < nadd; i++)
		cap += strlen(add[i]) + 1;
	if ((buf = malloc(cap)) == NULL)
		return ctx_error_nomem(err);
	if (p->oldlen > 0)
		memcpy(buf, p->old, p->oldlen);
	if (len > 0 && buf[len - 1] != '\n')
		buf[len++] = '\n';
	for (i = 0; i < nadd; i++) {
		size_t n = strlen(add[i]);

		memcpy(buf + len, add[i], n);
		len += n;
		buf[len++] = '\n';
	}
	if (asprintf(&bak, "%s%s", p->file, BACKUP_SUFFIX) < 0) {
		free(buf);
		return ctx_error_nomem(err);
	}
	if ((p->old == NULL ||
	    write_atomic(bak, p->old, p->oldlen, p->mode, err) == 0) &&
	    write_atomic(p->file, buf, len, p->mode, err) == 0)
		rc = 0;
	free(bak);
	free(buf);
	return rc;
}

static void
plan_free(struct plan *p)
{
	size_t i, k;

	for (i = 0; i < p->nrep; i++)
		check_report_free(&p->rep[i]);
	for (k = 0; k < p->nf; k++) {
		struct ignfile *f = &p->f[k];

		suggestion_free(&f->sg);
		for (i = 0; i < f->nbackup; i++)
			free(f->backup[i]);
		free(f->lines);
		free(f->cls);
		free(f->file);
		free(f->old);
	}
}

/* The reports, the files, their lines: what is to be proven. */
static int
plan_build(const struct suggest_options *opt, struct plan *p,
    struct ctx_error *err)
{
	size_t i;

	p->b[0] = opt->both ? BUILDER_BUILDKIT : opt->ctx->builder;
	p->b[1] = BUILDER_CLASSIC;
	p->nrep = opt->both ? 2 : 1;
	for (i = 0; i < p->nrep; i++)
		if (analyse(opt, p->b[i], NULL, 0, &p->rep[i], err) < 0)
			return -1;
	if (pick_files(p, err) < 0 || compute(p, err) < 0 ||
	    plan_backups(p, err) < 0)
		return -1;
	for (i = 0; i < p->nf; i++)
		if (collect_lines(&p->f[i], err) < 0)
			return -1;
	return 0;
}

/*
 * The proof: each builder's context recomputed with the lines of the file
 * it reads appended.  Returns the number of problems (told on stderr), or
 * -1 (err filled).
 */
static long
plan_prove(const struct suggest_options *opt, struct plan *p,
    struct ctx_error *err)
{
	struct check_report after;
	size_t i, bad = 0;

	for (i = 0; i < p->nrep; i++) {
		const struct ignfile *f = &p->f[p->fof[i]];

		if (analyse(opt, p->b[i], f->lines, f->nlines, &after, err) < 0)
			return -1;
		bad += prove(&f->sg, &p->rep[i], &after, builder_name(p->b[i]));
		p->removed[i] = (long long)p->rep[i].c.entries.n -
		    (long long)after.c.entries.n;
		check_report_free(&after);
	}
	return (long)bad;
}

/* Prints the diff of each edited file, or writes it (fix). */
static int
plan_output(const struct suggest_options *opt, const struct plan *p,
    struct ctx_error *err)
{
	size_t k, i, nadd;
	char **add;
	int rc = 0;

	for (k = 0; k < p->nf && rc == 0; k++) {
		const struct ignfile *f = &p->f[k];

		if (!f->edit)
			continue;
		if ((add = added_lines(f, &nadd)) == NULL)
			return ctx_error_nomem(err);
		if (!opt->apply)
			print_diff(f, add, nadd);
		else if ((rc = apply(f, add, nadd, err)) == 0) {
			printf("%s: added %zu lines", f->file, f->nlines);
			if (f->old != NULL)
				printf(" (the previous file is %s%s)", f->file,
				    BACKUP_SUFFIX);
			printf("\n");
		}
		for (i = 0; i < nadd; i++)
			free(add[i]);
		free(add);
	}
	return rc;
}

static bool
plan_empty(const struct plan *p)
{
	size_t k;

	for (k = 0; k < p->nf; k++)
		if (p->f[k].edit)
			return false;
	return true;
}

int
suggest_run(const struct suggest_options *opt)
{
	struct ctx_error err = {0, 0, ""};
	struct plan p;
	size_t i;
	long bad;
	int rc = SUGGEST_EXIT_ERROR;

	memset(&p, 0, sizeof(p));
	if (plan_build(opt, &p, &err) < 0 || print_kept(&p, &err) < 0)
		goto fail;
	if (plan_empty(&p)) {
		fprintf(stderr, "ctxctl: nothing to %s\n", opt->apply ? "fix" :
		    "suggest");
		rc = SUGGEST_EXIT_NONE;
		goto out;
	}
	if ((bad = plan_prove(opt, &p, &err)) < 0)
		goto fail;
	if (bad > 0) {
		fprintf(stderr, "ctxctl: the suggestion does not hold (%ld "
		    "problems): please report this\n", bad);
		goto out;
	}
	if (plan_output(opt, &p, &err) < 0)
		goto fail;
	rc = opt->apply ? SUGGEST_EXIT_NONE : SUGGEST_EXIT_FOUND;
	for (i = 0; i < p.nrep; i++)
		fprintf(stderr, "ctxctl: %s: %lld entries fewer, proven by "
		    "recomputing the context\n", builder_name(p.b[i]),
		    p.removed[i]);
	if (fflush(stdout) != 0) {
		perror("ctxctl: write");
		rc = SUGGEST_EXIT_ERROR;
	}
	goto out;
fail:
	fprintf(stderr, "ctxctl: %s\n", err.msg);
	rc = SUGGEST_EXIT_ERROR;
out:
	plan_free(&p);
	return rc;
}
