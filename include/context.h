/*
 * The engine's front door: given a directory, a Dockerfile and a builder,
 * compute exactly the entries docker would send, with their digests.  This
 * is the one function both ctxctl --no-daemon and the daemon call, so the
 * two can never disagree.
 *
 * Ownership: struct context owns its entries and strings; context_free().
 */
#ifndef CTXD_CONTEXT_H
#define CTXD_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "entry.h"
#include "error.h"

struct digest_scan;
struct fsview;

enum builder {
	BUILDER_BUILDKIT = 0,	/* the default since Docker 23 */
	BUILDER_CLASSIC,	/* DOCKER_BUILDKIT=0 */
};

typedef void (*context_warn_fn)(void *arg, const char *msg);

struct context_options {
	const char *dir;		/* the context directory, relative to the cwd */
	const char *dockerfile;		/* -f as given (relative to the cwd), or NULL */
	enum builder builder;
	const char *target;		/* BuildKit --target, or NULL */
	const char *const *build_args;	/* BuildKit NAME=VALUE, nbuild_args of them */
	size_t nbuild_args;
	int threads;			/* hashing threads, 0 = all cores */
	context_warn_fn warn;		/* what docker logs but ignores; may be NULL */
	void *warn_arg;
	/* The tree to walk (the daemon's copy), or NULL for the live file
	 * system below dir.  Files are still hashed from the file system. */
	const struct fsview *view;
	/* Leave the entries undigested. */
	bool no_digest;
	/* What is known of a file's digest before it is read (see
	 * digest_options.known), or NULL.  Borrowed. */
	bool (*known)(void *arg, struct entry *e);
	void *known_arg;
	/* Lines appended after those of the ignore file, read as lines of it
	 * (ignorefile_append_lines()), by both builders: what `ctxctl
	 * suggest` proposes, tried without writing a file.  Borrowed. */
	const char *const *extra_ignore;
	size_t nextra_ignore;
	/* A reader of the files' content while they are hashed (digest.h),
	 * or NULL; not used with no_digest.  Borrowed. */
	const struct digest_scan *scan;
};

struct context {
	char *root;			/* absolute, symlinks resolved */
	struct entry_list entries;	/* sorted by path bytes, digested */
	char *ignore_file;		/* the ignore file used (absolute), or NULL */
	bool external_frontend;		/* BuildKit rule 2.3: which frontend was assumed */
};

int context_build(const struct context_options *opt, struct context *out,
    struct ctx_error *err);
void context_free(struct context *c);

/* Parses "classic" / "buildkit"; -1 if neither. */
int context_builder_parse(const char *s);

#endif
