/*
 * Files git ignores (see gitignored.h), asked of libgit2 one path at a
 * time: git_ignore_path_is_ignored() applies .gitignore files, the
 * repository's info/exclude and core.excludesFile as git does, and the
 * index says what is tracked.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "gitignored.h"

struct gitignored {
	git_repository *repo;
	git_index *index;
	char *prefix;		/* root relative to the work tree, "" or ".../" */
	size_t plen;
	char *buf;		/* prefix + path */
	size_t cap;
};

static pthread_once_t git_once = PTHREAD_ONCE_INIT;
static int git_init_rc;

static void
git_init(void)
{
	git_init_rc = git_libgit2_init();
	/* Debian's libgit2 (mbedTLS) parses the system's CA bundle at init:
	 * ~400 KiB the daemon would keep for good, for transports it never
	 * uses.  Pointing the CA path at a directory with no regular file
	 * replaces that chain with an empty one. */
	if (git_init_rc >= 0)
		(void)git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, NULL,
		    "/proc/self/task");
}

static int
git_fail(struct ctx_error *err, const char *what, const char *root)
{
	const git_error *e = git_error_last();

	return ctx_error_set(err, CTX_ERR_CONTEXT, "git: %s %s: %s", what, root,
	    e != NULL && e->message != NULL ? e->message : "failed");
}

int
gitignored_open(const char *root, struct gitignored **out,
    struct ctx_error *err)
{
	struct gitignored *g;
	const char *wd;
	size_t wlen, rlen = strlen(root);
	int rc;

	*out = NULL;
	pthread_once(&git_once, git_init);
	if (git_init_rc < 0)
		return git_fail(err, "cannot initialise libgit2 for", root);
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return ctx_error_nomem(err);
	rc = git_repository_open_ext(&g->repo, root, 0, NULL);
	if (rc == GIT_ENOTFOUND) {
		free(g);
		return 0;
	}
	if (rc < 0) {
		git_fail(err, "cannot open the repository of", root);
		free(g);
		return -1;
	}
	wd = git_repository_workdir(g->repo);
	wlen = wd != NULL ? strlen(wd) : 0;	/* ends in '/' */
	/* The root must be the work tree or below it (not in .git). */
	if (wd == NULL || !(rlen + 1 >= wlen && strncmp(root, wd, wlen - 1) == 0 &&
	    (root[wlen - 1] == '\0' || root[wlen - 1] == '/'))) {
		gitignored_free(g);
		return 0;
	}
	if (rlen + 1 > wlen &&
	    (strncmp(root + wlen, ".git", 4) == 0 &&
	    (root[wlen + 4] == '\0' || root[wlen + 4] == '/'))) {
		gitignored_free(g);
		return 0;
	}
	if (asprintf(&g->prefix, "%s%s", rlen + 1 > wlen ? root + wlen : "",
	    rlen + 1 > wlen ? "/" : "") < 0) {
		g->prefix = NULL;
		gitignored_free(g);
		return ctx_error_nomem(err);
	}
	g->plen = strlen(g->prefix);
	if (git_repository_index(&g->index, g->repo) < 0)
		g->index = NULL;	/* no index: nothing is tracked */
	*out = g;
	return 0;
}

void
gitignored_free(struct gitignored *g)
{
	if (g == NULL)
		return;
	git_index_free(g->index);
	git_repository_free(g->repo);
	free(g->prefix);
	free(g->buf);
	free(g);
}

static bool
tracked_below(struct gitignored *g, const char *full, bool dir)
{
	size_t pos;

	if (!dir)
		return g->index != NULL &&
		    git_index_get_bypath(g->index, full, 0) != NULL;
	/* any index entry under full/; the '/' stays for the caller */
	strcat(g->buf, "/");
	if (g->index == NULL)
		return false;
	pos = 0;
	return git_index_find_prefix(&pos, g->index, g->buf) == 0;
}

bool
gitignored_path(struct gitignored *g, const char *path, size_t len, bool dir)
{
	int ignored = 0;
	size_t need = g->plen + len + 2;

	if (need > g->cap) {
		char *b = realloc(g->buf, need);
		if (b == NULL)
			return false;
		g->buf = b;
		g->cap = need;
	}
	memcpy(g->buf, g->prefix, g->plen);
	memcpy(g->buf + g->plen, path, len);
	g->buf[g->plen + len] = '\0';
	/*
	 * What git tracks is not ignored, whatever the patterns say; asked
	 * first, because the index answers from memory while libgit2's
	 * ignore check costs far more (it was a third of `ctxctl check` on
	 * the M bench tree as a repository), and in a repository most of
	 * what is sent is tracked.
	 */
	if (tracked_below(g, g->buf, dir))
		return false;
	/* libgit2 takes a trailing '/' as "this is a directory"
	 * (tracked_below() has put it there for a directory) */
	return git_ignore_path_is_ignored(&ignored, g->repo, g->buf) == 0 &&
	    ignored;
}
