/*
 * A RUN --mount flag's value, parsed and validated as BuildKit does (see
 * dfmount.c).
 *
 * Ownership: a parsed struct dfmount owns its strings; dfmount_clear().
 */
#ifndef CTXD_DFMOUNT_H
#define CTXD_DFMOUNT_H

#include <stdbool.h>

#include "error.h"
#include "shellword.h"

struct dfmount {
	char type[8];		/* bind cache tmpfs secret ssh */
	char *from, *source, *target, *id;	/* NULL when not given */
	bool has_mode, has_uid, has_gid, has_sharing;
};

/* Parses val (CSV key=value fields), each value expanded with lex and env.
 * Returns 0, or -1 with err set (the message without the Dockerfile's
 * name and line); m is cleared on failure. */
int dfmount_parse(const char *val, const struct shellword_lex *lex,
    const struct shellword_env *env, struct dfmount *m, struct ctx_error *err);
void dfmount_clear(struct dfmount *m);

#endif
