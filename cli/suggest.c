/*
 * ctxctl suggest / fix (see suggestcmd.h): check's report per builder ->
 * suggest_compute() -> the proof (the context recomputed with the lines
 * appended: no hazard left but those the Dockerfile names, nothing used
 * lost, no dead weight left) -> a unified diff, or the file rewritten
 * atomically with a backup.
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
#define BACKUP_CLS "backup"	/* the block of the backup's own line */

struct plan {
	struct check_report rep[2];
	size_t nrep;
	struct suggestion sg;
	const char **lines;	/* the patterns, then maybe the backup's */
	const char **cls;
	size_t nlines;
	char *backup_line;
	char *file;		/* the ignore file to edit (absolute) */
	const char *label;	/* its name in the diff, relative to the root */
	char *old;		/* its content, NULL when it does not exist */
	size_t oldlen;
	mode_t mode;
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

/* The ignore file both builders read; fix edits only one. */
static int
pick_file(struct plan *p, struct ctx_error *err)
{
	const char *root = p->rep[0].c.root;
	const char *f = NULL;
	size_t i, rl = strlen(root);
	struct stat st;
	char *real, *def;

	if (asprintf(&def, "%s/.dockerignore", root) < 0)
		return ctx_error_nomem(err);
	/* an absent file is read as root/.dockerignore once it exists */
	for (i = 0; i < p->nrep; i++) {
		const char *g = p->rep[i].c.ignore_file ?
		    p->rep[i].c.ignore_file : def;

		if (f != NULL && strcmp(f, g) != 0) {
			ctx_error_set(err, CTX_ERR_CONTEXT, "BuildKit reads %s, "
			    "the classic builder %s: run suggest with --builder",
			    p->rep[0].c.ignore_file ? p->rep[0].c.ignore_file : def,
			    g);
			free(def);
			return -1;
		}
		f = g;
	}
	p->file = strdup(f);
	free(def);
	if (p->file == NULL)
		return ctx_error_nomem(err);
	/* a symbolic link is followed: the file it names is the one read */
	if ((real = realpath(p->file, NULL)) != NULL) {
		free(p->file);
		p->file = real;
	}
	p->label = strncmp(p->file, root, rl) == 0 && p->file[rl] == '/' ?
	    p->file + rl + 1 : p->file;
	p->mode = 0644;
	if (stat(p->file, &st) == 0) {
		p->mode = st.st_mode & 07777;
		if (readfile_at(AT_FDCWD, p->file, &p->old, &p->oldlen) < 0)
			return ctx_error_sys(err, errno, "read %s", p->file);
	} else if (errno != ENOENT)
		return ctx_error_sys(err, errno, "stat %s", p->file);
	return 0;
}

/*
 * fix keeps the previous file as FILE.bak, which is in the context too:
 * the lines exclude it as well (`/.dockerignore.bak`), unless the current
 * patterns already do or an instruction uses an existing one.
 */
static int
add_backup_line(struct plan *p, struct ctx_error *err)
{
	struct ignore_list il;
	struct matcher *m = NULL;
	const char *root = p->rep[0].c.root;
	char *rel;
	size_t i, k, rl = strlen(root);
	bool ex = false;

	if (p->sg.nlines == 0 || strncmp(p->file, root, rl) != 0 ||
	    p->file[rl] != '/')
		return 0;
	if (asprintf(&rel, "%s%s", p->file + rl + 1, BACKUP_SUFFIX) < 0)
		return ctx_error_nomem(err);
	for (i = 0; i < p->nrep; i++)
		for (k = 0; k < p->rep[i].c.entries.n; k++)
			if (strcmp(p->rep[i].c.entries.v[k].path, rel) == 0 &&
			    p->rep[i].use.use[k] != 0)
				goto skip;
	ignore_list_init(&il);
	if (p->old != NULL &&
	    ignorefile_parse(p->old, p->oldlen, p->label, &il, NULL) == 0 &&
	    (m = ignore_list_compile(&il, p->label, 0, NULL)) != NULL)
		matcher_matches_or_parent(m, rel, strlen(rel), &ex, NULL);
	matcher_free(m);
	ignore_list_free(&il);
	if (ex || strpbrk(rel, "*?[\\\n\r") != NULL || rel[0] == '!')
		goto skip;
	if (asprintf(&p->backup_line, "/%s", rel) < 0) {
		free(rel);
		return ctx_error_nomem(err);
	}
	for (i = 0; i < p->sg.nlines; i++)
		if (strcmp(p->sg.lines[i].pattern, p->backup_line) == 0) {
			free(p->backup_line);
			p->backup_line = NULL;
		}
skip:
	free(rel);
	return 0;
}

static int
collect_lines(struct plan *p, struct ctx_error *err)
{
	size_t i, n = p->sg.nlines + 1;

	p->lines = calloc(n, sizeof(*p->lines));
	p->cls = calloc(n, sizeof(*p->cls));
	if (p->lines == NULL || p->cls == NULL)
		return ctx_error_nomem(err);
	for (i = 0; i < p->sg.nlines; i++) {
		p->lines[i] = p->sg.lines[i].pattern;
		p->cls[i] = p->sg.lines[i].cls;
	}
	p->nlines = p->sg.nlines;
	if (p->backup_line != NULL) {
		p->lines[p->nlines] = p->backup_line;
		p->cls[p->nlines++] = BACKUP_CLS;
	}
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
	size_t n = a->path_len < b->path_len ? a->path_len : b->path_len;
	int c = memcmp(a->path, b->path, n);

	if (c != 0)
		return c;
	return (a->path_len > b->path_len) - (a->path_len < b->path_len);
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
prove(const struct plan *p, const struct check_report *before,
    const struct check_report *after, const char *bname)
{
	const json_t *f, *dead = json_object_get(after->dead, "paths");
	const struct entry_list *l = &before->c.entries;
	size_t i, bad = 0;
	char *buf;

	json_array_foreach(after->findings, i, f) {
		const char *path = json_string_value(json_object_get(f, "path"));

		if (path != NULL && !is_kept(&p->sg, path)) {
			fprintf(stderr, "ctxctl: %s: %s (%s) is still sent\n", bname,
			    path, json_string_value(json_object_get(f, "rule")));
			bad++;
		}
	}
	json_array_foreach(dead, i, f) {
		const char *path = json_string_value(f);

		if (path != NULL && !is_kept(&p->sg, path)) {
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
added_lines(const struct plan *p, size_t *n)
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
old_lines(const struct plan *p, size_t *starts, size_t max)
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
print_diff(const struct plan *p, char **add, size_t nadd)
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
apply(const struct plan *p, char **add, size_t nadd, struct ctx_error *err)
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
	size_t i;

	for (i = 0; i < p->nrep; i++)
		check_report_free(&p->rep[i]);
	suggestion_free(&p->sg);
	free(p->lines);
	free(p->cls);
	free(p->backup_line);
	free(p->file);
	free(p->old);
}

int
suggest_run(const struct suggest_options *opt)
{
	struct ctx_error err = {0, 0, ""};
	struct suggest_view v[2];
	struct plan p;
	struct check_report after;
	enum builder b[2];
	char **add = NULL;
	size_t i, nadd = 0, bad = 0;
	long long removed[2] = {0, 0};
	int rc = SUGGEST_EXIT_ERROR;

	memset(&p, 0, sizeof(p));
	memset(v, 0, sizeof(v));
	b[0] = opt->both ? BUILDER_BUILDKIT : opt->ctx->builder;
	b[1] = BUILDER_CLASSIC;
	p.nrep = opt->both ? 2 : 1;
	for (i = 0; i < p.nrep; i++) {
		if (analyse(opt, b[i], NULL, 0, &p.rep[i], &err) < 0)
			goto fail;
		v[i].l = &p.rep[i].c.entries;
		v[i].use = p.rep[i].use.use;
		v[i].named = p.rep[i].use.named;
		v[i].line = p.rep[i].use.line;
		v[i].findings = p.rep[i].findings;
		v[i].dockerfile = p.rep[i].dfrel;
	}
	if (pick_file(&p, &err) < 0 ||
	    suggest_compute(v, p.nrep, &p.sg, &err) < 0 ||
	    add_backup_line(&p, &err) < 0 || collect_lines(&p, &err) < 0)
		goto fail;
	for (i = 0; i < p.sg.nkept; i++)
		fprintf(stderr, "ctxctl: kept %s (%s): %s\n", p.sg.kept[i].path,
		    p.sg.kept[i].rule, p.sg.kept[i].why);
	if (p.sg.nlines == 0) {
		fprintf(stderr, "ctxctl: nothing to %s\n", opt->apply ? "fix" :
		    "suggest");
		rc = SUGGEST_EXIT_NONE;
		goto out;
	}
	/* the proof: recompute with the lines appended, for each builder */
	for (i = 0; i < p.nrep; i++) {
		if (analyse(opt, b[i], p.lines, p.nlines, &after, &err) < 0)
			goto fail;
		bad += prove(&p, &p.rep[i], &after, builder_name(b[i]));
		removed[i] = (long long)p.rep[i].c.entries.n -
		    (long long)after.c.entries.n;
		check_report_free(&after);
	}
	if (bad > 0) {
		fprintf(stderr, "ctxctl: the suggestion does not hold (%zu "
		    "problems): please report this\n", bad);
		goto out;
	}
	if ((add = added_lines(&p, &nadd)) == NULL) {
		ctx_error_nomem(&err);
		goto fail;
	}
	if (opt->apply) {
		if (apply(&p, add, nadd, &err) < 0)
			goto fail;
		printf("%s: added %zu lines", p.file, p.nlines);
		if (p.old != NULL)
			printf(" (the previous file is %s%s)", p.file, BACKUP_SUFFIX);
		printf("\n");
		rc = SUGGEST_EXIT_NONE;
	} else {
		print_diff(&p, add, nadd);
		rc = SUGGEST_EXIT_FOUND;
	}
	for (i = 0; i < p.nrep; i++)
		fprintf(stderr, "ctxctl: %s: %lld entries fewer, proven by "
		    "recomputing the context\n", builder_name(b[i]), removed[i]);
	if (fflush(stdout) != 0) {
		perror("ctxctl: write");
		rc = SUGGEST_EXIT_ERROR;
	}
	goto out;
fail:
	fprintf(stderr, "ctxctl: %s\n", err.msg);
	rc = SUGGEST_EXIT_ERROR;
out:
	for (i = 0; add != NULL && i < nadd; i++)
		free(add[i]);
	free(add);
	plan_free(&p);
	return rc;
}
