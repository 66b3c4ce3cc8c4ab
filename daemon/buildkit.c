/*
 * The BuildKit context (../shared/spec/buildkit-context.md, bk-v1): the
 * ignore file of rules 2.1-2.5, the FollowPaths of section 4 (buildplan.c)
 * turned into include patterns through symlinks (rule 6.1, fsutil
 * FollowLinks), and fsutil's filtered walk (rules 5.1-5.3, 7.1-8.2).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "buildkit.h"
#include "bkwalk.h"
#include "buildplan.h"
#include "dirlist.h"
#include "followlinks.h"
#include "ignorefile.h"
#include "match.h"
#include "pathbuf.h"
#include "readfile.h"

/* The Dockerfile's directory and base name (rule 2.2). */
struct dfloc {
	char dir[PATH_MAX];
	char name[NAME_MAX + 1];
};

static int
locate_dockerfile(const struct context_options *opt, const char *root,
    struct dfloc *loc, struct ctx_error *err)
{
	char tmp[PATH_MAX], alt[PATH_MAX + 16];
	struct stat st;

	if (opt->dockerfile != NULL) {
		if (strcmp(opt->dockerfile, "-") == 0)
			return ctx_error_set(err, CTX_ERR_USAGE,
			    "a Dockerfile on standard input (-f -) is not supported");
		if (strlen(opt->dockerfile) >= sizeof(tmp))
			return ctx_error_set(err, CTX_ERR_USAGE, "Dockerfile path too long");
		strcpy(tmp, opt->dockerfile);
		snprintf(loc->dir, sizeof(loc->dir), "%s", dirname(tmp));
		strcpy(tmp, opt->dockerfile);
		snprintf(loc->name, sizeof(loc->name), "%s", basename(tmp));
	} else {
		snprintf(loc->dir, sizeof(loc->dir), "%s", root);
		strcpy(loc->name, "Dockerfile");
	}
	/* handleLowercaseDockerfile */
	if (strcmp(loc->name, "Dockerfile") == 0) {
		snprintf(alt, sizeof(alt), "%s/Dockerfile", loc->dir);
		if (lstat(alt, &st) < 0 && errno == ENOENT) {
			snprintf(alt, sizeof(alt), "%s/dockerfile", loc->dir);
			if (lstat(alt, &st) == 0)
				strcpy(loc->name, "dockerfile");
		}
	}
	return 0;
}

/*
 * Opens name in directory dir the way BuildKit reads it from a transfer
 * (rules 1.1, 2.1): symlinks are followed inside dir, an absolute target is
 * taken relative to dir and ".." cannot leave it (rule 6.1).  Kernels
 * without openat2 follow links as the host resolves them.
 */
static int
bk_open_in_dir(const char *dir, const char *name, int flags)
{
	struct open_how how;
	int dfd, fd, e;

	if ((dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, dfd, name, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = openat(dfd, name, flags | O_CLOEXEC);
	e = errno;
	close(dfd);
	errno = e;
	return fd;
}

/* Reads file name of directory dir whole (bk_open_in_dir); -1 with errno. */
static int
bk_read_in_dir(const char *dir, const char *name, char **buf, size_t *len)
{
	int fd = bk_open_in_dir(dir, name, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	int rc, e;

	if (fd < 0)
		return -1;
	rc = readfile_fd(fd, buf, len);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

/*
 * Reads an ignore file candidate: *found is 0 when it is absent or not a
 * regular file (rule 2.1); an unreadable one arrives empty (rule 8.2).
 */
static int
read_candidate(const char *dir, const char *name, char **buf, size_t *len,
    int *found)
{
	struct stat st;
	int fd, rc;

	*found = 0;
	*buf = NULL;
	*len = 0;
	if ((fd = bk_open_in_dir(dir, name, O_PATH)) < 0)
		return 0;
	rc = fstat(fd, &st);
	close(fd);
	if (rc < 0 || !S_ISREG(st.st_mode))
		return 0;
	*found = 1;
	if (bk_read_in_dir(dir, name, buf, len) < 0) {
		*buf = NULL;
		*len = 0;
	}
	return 0;
}

/* Rules 2.1 and 2.3: NAME.dockerignore first, unless it is empty and the
 * frontend is external; then <context>/.dockerignore. */
static int
read_excludes(const struct dfloc *loc, const char *root, bool external,
    struct context *c, struct ignore_list *out, struct ctx_error *err)
{
	char name[NAME_MAX + 16], *buf;
	size_t len;
	int found, rc;

	snprintf(name, sizeof(name), "%s.dockerignore", loc->name);
	read_candidate(loc->dir, name, &buf, &len, &found);
	if (!found || (len == 0 && external)) {
		free(buf);
		snprintf(name, sizeof(name), ".dockerignore");
		read_candidate(root, name, &buf, &len, &found);
		if (!found)
			return 0;
		if (asprintf(&c->ignore_file, "%s/.dockerignore", root) < 0)
			c->ignore_file = NULL;
	} else if (asprintf(&c->ignore_file, "%s/%s", loc->dir, name) < 0) {
		c->ignore_file = NULL;
	}
	rc = ignorefile_parse(buf ? buf : "", len, name, out, err);
	free(buf);
	return rc;
}

static bool
has_build_arg(const struct context_options *opt, const char *name,
    const char **value)
{
	size_t i, n = strlen(name);

	for (i = 0; i < opt->nbuild_args; i++) {
		if (strncmp(opt->build_args[i], name, n) == 0 &&
		    opt->build_args[i][n] == '=') {
			*value = opt->build_args[i] + n + 1;
			return true;
		}
	}
	return false;
}

static int
make_plan(const struct context_options *opt, const struct dfloc *loc,
    struct buildplan *plan, bool *external, struct ctx_error *err)
{
	struct buildplan_options po;
	char path[PATH_MAX + NAME_MAX + 2], *text;
	size_t len;
	const char *syntax;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", loc->dir, loc->name);
	if (bk_read_in_dir(loc->dir, loc->name, &text, &len) < 0)
		return ctx_error_sys(err, errno, "failed to read dockerfile: open %s", path);
	memset(&po, 0, sizeof(po));
	po.target = opt->target;
	po.build_args = opt->build_args;
	po.nbuild_args = opt->nbuild_args;
	rc = buildplan_compute(text, len, loc->name, &po, plan, err);
	free(text);
	if (rc < 0)
		return -1;
	*external = plan->external_frontend;
	if (has_build_arg(opt, "BUILDKIT_SYNTAX", &syntax)) {
		if (syntax[strspn(syntax, " \t")] == '\0')
			return ctx_error_set(err, CTX_ERR_DOCKERFILE,
			    "BUILDKIT_SYNTAX build-arg is empty");
		*external = true;
	}
	return 0;
}

int
buildkit_build(const struct context_options *opt, struct context *c,
    const struct fsview *view, struct digest_pool *pool,
    struct ctx_error *err)
{
	struct dfloc loc;
	struct buildplan plan;
	struct ignore_list ex, in;
	struct bkwalk_options wo;
	bool external = false;
	int rc = -1;

	memset(&plan, 0, sizeof(plan));
	memset(&wo, 0, sizeof(wo));
	ignore_list_init(&ex);
	ignore_list_init(&in);
	if (locate_dockerfile(opt, c->root, &loc, err) < 0 ||
	    make_plan(opt, &loc, &plan, &external, err) < 0)
		goto out;
	c->external_frontend = external;
	if (read_excludes(&loc, c->root, external, c, &ex, err) < 0 ||
	    ignorefile_append_lines(&ex, opt->extra_ignore, opt->nextra_ignore,
	    err) < 0)
		goto out;
	/* Rule 2.5: the patterns are compiled even when nothing is sent. */
	if (ex.n > 0 && (wo.exclude = ignore_list_compile(&ex,
	    c->ignore_file ? c->ignore_file : ".dockerignore",
	    MATCHER_STRICT_SYNTAX, err)) == NULL)
		goto out;
	if (!plan.uses_context) {
		rc = 0;
		goto out;
	}
	if (!plan.whole_context) {
		if (followlinks(view, (const char *const *)plan.follow_paths,
		    plan.nfollow, &in, err) < 0)
			goto out;
		if (in.n > 0 && (wo.include = ignore_list_compile(&in,
		    "the Dockerfile's sources", MATCHER_STRICT_SYNTAX, err)) == NULL)
			goto out;
	}
	wo.root = c->root;
	wo.pool = pool;
	rc = bkwalk(view, &wo, &c->entries, err);
out:
	matcher_free(wo.include);
	matcher_free(wo.exclude);
	ignore_list_free(&ex);
	ignore_list_free(&in);
	buildplan_free(&plan);
	return rc;
}
