/*
 * BuildKit's shell-word lexer (frontend/dockerfile/shell/lex.go): quote
 * removal, the escape character and $NAME / ${NAME...} expansion as
 * ProcessWord and ProcessWords do it (spec bk-v1 rule 4.3).  Used for COPY/ADD
 * sources, mount options, ENV/ARG values, and by the parser for heredocs.
 *
 * Ownership: every string returned is malloc'ed and owned by the caller
 * (free(), or shellword_words_free() for a word array).  An env only borrows
 * its names and values; they must outlive the call.
 */
#ifndef CTXD_SHELLWORD_H
#define CTXD_SHELLWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* An expanded word longer than this fails, so that chains like
 * `ENV A=$B$B` cannot grow memory exponentially (BuildKit has no cap). */
#define SHELLWORD_MAX_RESULT (1u << 20)

struct shellword_var {
	const char *name;
	const char *value;
};

/* Variables in definition order; a later entry of the same name wins
 * (llb.EnvList AddOrReplace).  Names compare case-sensitively (Linux). */
struct shellword_env {
	const struct shellword_var *vars;
	size_t nvars;
};

/* The knobs of shell.Lex. */
struct shellword_lex {
	int escape;			/* '\\' or '`' */
	bool raw_quotes;		/* keep quote characters in the result */
	bool raw_escapes;		/* keep escape characters in the result */
	bool skip_unset_env;		/* leave $UNSET / ${UNSET...} as written */
	bool skip_process_quotes;	/* quotes are ordinary characters */
};

/* ProcessWord: the whole input expanded into one string (spaces kept).
 * Returns 0 and sets *out, or -1 with err set (syntax error, ${X:?}, ...). */
int	shellword_process(const struct shellword_lex *lex, const char *word,
	    size_t len, const struct shellword_env *env, char **out,
	    struct ctx_error *err);

/* ProcessWords: expanded, then split on white space outside quotes. */
int	shellword_process_words(const struct shellword_lex *lex,
	    const char *word, size_t len, const struct shellword_env *env,
	    char ***words, size_t *nwords, struct ctx_error *err);

void	shellword_words_free(char **words, size_t nwords);

#endif
