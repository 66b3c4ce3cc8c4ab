/*
 * context_build(): resolve the context directory and the Dockerfile as the
 * docker CLI does, read the ignore file, run the builder's walk, and digest
 * the files while the walk finds them.  The classic path reproduces cli/command/image/build.go
 * (runBuild with DOCKER_BUILDKIT=0); the BuildKit path lives in buildkit.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buildkit.h"
#include "classic.h"
#include "context.h"
#include "digest.h"
#include "fsview.h"
#include "ignorefile.h"
#include "match.h"
#include "readfile.h"

int
context_builder_parse(const char *s)
{
	if (strcmp(s, "classic") == 0)
		return BUILDER_CLASSIC;
	if (strcmp(s, "buildkit") == 0)
		return BUILDER_BUILDKIT;
	return -1;
}

void
context_free(struct context *c)
{
	if (c == NULL)
		return;
	free(c->root);
	free(c->ignore_file);
	entry_list_free(&c->entries);
	memset(c, 0, sizeof(*c));
}

/* ResolveAndValidateContextPath: absolute, symlinks resolved, a directory. */
static int
resolve_root(const char *dir, char **out, struct ctx_error *err)
{
	struct stat st;
	char *real = realpath(dir, NULL);

	if (real == NULL)
		return ctx_error_sys(err, errno,
		    "unable to prepare context: path \"%s\" not found", dir);
	if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
		ctx_error_set(err, CTX_ERR_CONTEXT,
		    "unable to prepare context: context must be a directory: %s", real);
		free(real);
		return -1;
	}
	*out = real;
	return 0;
}

/*
 * getDockerfileRelPath: the Dockerfile's path with symlinks resolved
 * (no -f: <root>/Dockerfile, else <root>/dockerfile if only that exists).
 * *abs is malloc'ed.
 */
static int
resolve_dockerfile(const char *root, const char *given, char **abs,
    struct ctx_error *err)
{
	char path[PATH_MAX * 2];
	struct stat st;

	if (given != NULL) {
		snprintf(path, sizeof(path), "%s", given);
	} else {
		snprintf(path, sizeof(path), "%s/Dockerfile", root);
		if (lstat(path, &st) < 0 && errno == ENOENT) {
			char alt[PATH_MAX * 2];
			snprintf(alt, sizeof(alt), "%s/dockerfile", root);
			if (lstat(alt, &st) == 0)
				memcpy(path, alt, sizeof(path));
		}
	}
	*abs = realpath(path, NULL);
	if (*abs == NULL)
		return ctx_error_sys(err, errno, "unable to prepare context: "
		    "unable to evaluate symlinks in Dockerfile path: lstat %s", path);
	return 0;
}

/* The Dockerfile relative to root, or NULL when it is outside the root. */
static const char *
path_below(const char *root, const char *abs)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return abs + 1;
	if (strncmp(abs, root, n) == 0 && abs[n] == '/')
		return abs + n + 1;
	return NULL;
}

/* ReadDockerignore: no file is no patterns; anything else unreadable fails. */
static int
read_ignore(int rootfd, const char *root, const char *name,
    struct ignore_list *out, int *found, struct ctx_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	*found = 0;
	if (readfile_at(rootfd, name, &buf, &len) < 0) {
		if (errno == ENOENT)
			return 0;
		return ctx_error_sys(err, errno,
		    "error reading %s: read %s/%s", name, root, name);
	}
	*found = 1;
	rc = ignorefile_parse(buf, len, name, out, err);
	free(buf);
	return rc;
}

static int
trim_keep(struct matcher *m, const char *path)
{
	bool excluded = false;

	/* patternmatcher.Matches, the deprecated one: see match.h */
	if (matcher_matches_deprecated(m, path, strlen(path), &excluded, NULL) < 0)
		return 0;	/* docker ignores the error here */
	return excluded;
}

/*
 * build.TrimBuildFilesFromExcludes: the CLI re-includes .dockerignore and
 * the Dockerfile when the patterns exclude them (h-exclude-dockerfile-and-
 * dockerignore), as the deprecated Matches() sees it (`**' + '/deep` does not
 * bring back deep/Dockerfile, tests/integ/cli.sh).  Each check sees the
 * patterns appended before it.
 */
static struct matcher *
trim_build_files(struct ignore_list *l, struct matcher *pre,
    const char *reldockerfile, struct ctx_error *err)
{
	struct matcher *m = pre, *next = NULL;
	char buf[PATH_MAX * 2 + 2];

	if (trim_keep(m, ".dockerignore")) {
		if (ignore_list_add(l, "!.dockerignore", 14, err) < 0)
			return NULL;
		if ((next = ignore_list_compile(l, ".dockerignore", 0, err)) == NULL)
			return NULL;
		m = next;
	}
	if (trim_keep(m, reldockerfile)) {
		size_t n = strlen(reldockerfile);
		if (n + 2 > sizeof(buf)) {
			ctx_error_set(err, CTX_ERR_DOCKERFILE, "Dockerfile path too long");
			goto fail;
		}
		buf[0] = '!';
		memcpy(buf + 1, reldockerfile, n + 1);
		if (ignore_list_add(l, buf, n + 1, err) < 0)
			goto fail;
		matcher_free(next);
		return ignore_list_compile(l, ".dockerignore", 0, err);
	}
	if (next != NULL)
		return next;
	return ignore_list_compile(l, ".dockerignore", 0, err);
fail:
	matcher_free(next);
	return NULL;
}

static void
hex20(const unsigned char *data, size_t len, char out[21])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	int i;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < 10; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	out[20] = '\0';
}

/*
 * build.AddDockerfileToBuildContext: a Dockerfile outside the context goes
 * in as .dockerfile.<name> (mode 0600) plus an ignore line for it.  Docker
 * picks 20 random hex digits; ctx-v1 takes those of the content's SHA-256.
 */
static int
inject_dockerfile(struct entry_list *l, int rootfd, const char *given,
    struct ctx_error *err)
{
	char *df = NULL, *ign = NULL, name[40], hex[21];
	size_t dflen = 0, ignlen = 0, i, namelen;
	struct entry *e;
	unsigned char *content;

	if (given == NULL || readfile_at(AT_FDCWD, given, &df, &dflen) < 0)
		return ctx_error_sys(err, given ? errno : ENOENT,
		    "unable to open Dockerfile: open %s", given ? given : "");
	hex20((unsigned char *)df, dflen, hex);
	namelen = (size_t)snprintf(name, sizeof(name), ".dockerfile.%s", hex);
	if ((e = entry_list_add(l, name, namelen, err)) == NULL)
		goto fail;
	e->type = ENTRY_FILE;
	e->perm = 0600;
	e->flags = ENTRY_INLINE;
	e->content = (unsigned char *)df;
	e->content_len = e->size = dflen;
	df = NULL;
	for (i = 0; i < l->n && strcmp(l->v[i].path, ".dockerignore") != 0; i++)
		;
	if (i == l->n) {
		if ((e = entry_list_add(l, ".dockerignore", 13, err)) == NULL)
			goto fail;
		e->type = ENTRY_FILE;
		e->perm = 0600;
		ign = strdup(".dockerignore");
		ignlen = 13;
	} else {
		e = &l->v[i];
		if (readfile_at(rootfd, ".dockerignore", &ign, &ignlen) < 0) {
			ctx_error_sys(err, errno, "read .dockerignore");
			goto fail;
		}
	}
	if (ign == NULL || (content = malloc(ignlen + namelen + 2)) == NULL) {
		ctx_error_nomem(err);
		goto fail;
	}
	memcpy(content, ign, ignlen);
	content[ignlen] = '\n';
	memcpy(content + ignlen + 1, name, namelen);
	content[ignlen + 1 + namelen] = '\n';
	free(e->content);
	e->content = content;
	e->content_len = e->size = ignlen + namelen + 2;
	e->flags |= ENTRY_INLINE;
	free(ign);
	return 0;
fail:
	free(df);
	free(ign);
	return -1;
}

static int
classic_build(const struct context_options *opt, struct context *c, int rootfd,
    const struct fsview *view, struct digest_pool *pool, struct ctx_error *err)
{
	struct ignore_list ign;
	struct matcher *pre = NULL, *tar = NULL;
	char *dfabs = NULL;
	const char *rel;
	char relbuf[PATH_MAX * 2];
	int found, rc = -1, outside;
	struct classic_walk_options wo;

	ignore_list_init(&ign);
	if (resolve_dockerfile(c->root, opt->dockerfile, &dfabs, err) < 0)
		goto out;
	rel = path_below(c->root, dfabs);
	outside = rel == NULL;
	if (outside) {
		/* filepath.Rel gives "../..."; only the pattern checks see it. */
		snprintf(relbuf, sizeof(relbuf), "../%s", dfabs + 1);
		rel = relbuf;
	}
	if (read_ignore(rootfd, c->root, ".dockerignore", &ign, &found, err) < 0 ||
	    ignorefile_append_lines(&ign, opt->extra_ignore, opt->nextra_ignore,
	    err) < 0)
		goto out;
	if (found && asprintf(&c->ignore_file, "%s/.dockerignore", c->root) < 0)
		c->ignore_file = NULL;
	if ((pre = ignore_list_compile(&ign, ".dockerignore", 0, err)) == NULL)
		goto out;
	if ((tar = trim_build_files(&ign, pre, rel, err)) == NULL)
		goto out;
	wo.precheck = pre;
	wo.tar = tar;
	wo.root = c->root;
	wo.warn = opt->warn;
	wo.warn_arg = opt->warn_arg;
	wo.pool = pool;
	if (classic_walk(view, &wo, &c->entries, err) < 0)
		goto out;
	if (outside && inject_dockerfile(&c->entries, rootfd, opt->dockerfile, err) < 0)
		goto out;
	rc = 0;
out:
	if (tar != pre)
		matcher_free(tar);
	matcher_free(pre);
	ignore_list_free(&ign);
	free(dfabs);
	return rc;
}

int
context_build(const struct context_options *opt, struct context *c,
    struct ctx_error *err)
{
	struct digest_options dopt;
	struct digest_pool *pool = NULL;
	struct fsview fsv;
	const struct fsview *view;
	int rootfd = -1, rc = -1;

	memset(c, 0, sizeof(*c));
	entry_list_init(&c->entries);
	if (resolve_root(opt->dir, &c->root, err) < 0)
		return -1;
	rootfd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/*
	 * BuildKit rule 8.1: a root that can be searched but not read reads as
	 * empty (fsutil skips the walk error on "."); FollowPaths below it can
	 * still be resolved, so keep a path-only handle to it.
	 */
	if (rootfd < 0 && errno == EACCES && opt->builder == BUILDER_BUILDKIT)
		rootfd = open(c->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		ctx_error_sys(err, errno, "open '%s'", c->root);
		goto out;
	}
	/* The files are hashed while the walk finds them: on the M bench
	 * tree the walk alone is a third of the time. */
	memset(&dopt, 0, sizeof(dopt));
	dopt.threads = opt->threads;
	dopt.unreadable_empty = opt->builder == BUILDER_BUILDKIT;
	dopt.scan = opt->scan;
	dopt.known = opt->known;
	dopt.known_arg = opt->known_arg;
	if (!opt->no_digest &&
	    (pool = digest_pool_start(rootfd, &dopt, err)) == NULL)
		goto out;
	fsview_fs_init(&fsv, &rootfd);
	view = opt->view != NULL ? opt->view : &fsv;
	if (opt->builder == BUILDER_CLASSIC)
		rc = classic_build(opt, c, rootfd, view, pool, err);
	else
		rc = buildkit_build(opt, c, view, pool, err);
	if (rc < 0)
		goto out;
	if (!opt->no_digest)
		rc = digest_pool_finish(pool, &c->entries, err);
	if (rc == 0)
		entry_list_sort(&c->entries);
out:
	digest_pool_free(pool);
	if (rootfd >= 0)
		close(rootfd);
	if (rc < 0)
		context_free(c);
	return rc;
}
