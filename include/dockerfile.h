/*
 * The Dockerfile reader: BuildKit's parser (frontend/dockerfile/parser) and
 * the instruction checks of its instructions package, giving stages of
 * instructions with flags, arguments, heredocs and line numbers (spec bk-v1
 * rule 4.6).  The `# syntax` detection of rule 2.3 is dfdirective.h's.
 *
 * Ownership: dockerfile_parse() returns a struct dockerfile that owns every
 * string and array reachable from it; dockerfile_free() releases it all.
 */
#ifndef CTXD_DOCKERFILE_H
#define CTXD_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* A Dockerfile larger than this is refused before anything is allocated. */
#define DOCKERFILE_MAX_SIZE (16u << 20)
/* bufio.Scanner's limit: a line of 65536 bytes or more fails the build. */
#define DOCKERFILE_MAX_LINE 65535u

enum dockerfile_kind {
	DF_UNKNOWN = 0,
	DF_ADD, DF_ARG, DF_CMD, DF_COPY, DF_ENTRYPOINT, DF_ENV, DF_EXPOSE,
	DF_FROM, DF_HEALTHCHECK, DF_LABEL, DF_MAINTAINER, DF_ONBUILD, DF_RUN,
	DF_SHELL, DF_STOPSIGNAL, DF_USER, DF_VOLUME, DF_WORKDIR,
};

struct dockerfile_heredoc {
	char *name;		/* terminator, quotes removed */
	bool chomp;		/* <<- : leading tabs stripped */
	bool expand;		/* unquoted name: content is expanded */
	unsigned fd;		/* 3<<EOF */
	char *content;		/* body lines, each with its line ending */
};

/* One --name[=value] flag as BuildKit's BFlags reads it. */
struct dockerfile_flag {
	char *name;
	char *value;		/* "" when there was no '=' */
	bool has_value;
};

struct dockerfile_instr {
	enum dockerfile_kind kind;
	char *keyword;		/* as written */
	char *original;		/* the joined line (continuations removed) */
	size_t start_line;	/* 1-based, first and last physical line */
	size_t end_line;
	char **raw_flags;	/* the --words as the parser split them */
	size_t nraw_flags;
	struct dockerfile_flag *flags;	/* raw_flags checked (BFlags) */
	size_t nflags;
	/*
	 * The parser's arguments (instructions.nodeArgs): ENV/LABEL give
	 * (key, value, "=" or "") triples; RUN/CMD/ENTRYPOINT/SHELL in shell
	 * form give the rest of the line as one argument; HEALTHCHECK gives
	 * the type first; ONBUILD gives the trigger's keyword and arguments.
	 */
	char **args;
	size_t nargs;
	bool json;		/* JSON (exec) form */
	struct dockerfile_heredoc *heredocs;
	size_t nheredocs;
	/* ONBUILD: the trigger as the parser saw it, and the text BuildKit
	 * re-parses when a child stage runs it (OnbuildCommand.Expression). */
	struct dockerfile_instr *trigger;
	char *expression;
};

struct dockerfile_stage {
	size_t from;		/* index of the FROM in instrs */
	size_t ninstrs;		/* instructions after the FROM */
	char *base;		/* FROM argument, unexpanded */
	char *name;		/* lower-cased AS name, or NULL */
	char *platform;		/* --platform value, or NULL */
};

struct dockerfile {
	int escape;		/* '\\' or '`' */
	char *syntax;		/* parser directives, NULL when absent */
	char *check;
	struct dockerfile_instr *instrs;	/* in file order */
	size_t ninstrs;
	size_t nmeta;		/* ARGs before the first FROM: instrs[0..nmeta) */
	struct dockerfile_stage *stages;
	size_t nstages;
};

/*
 * Parse buf as BuildKit does and check every instruction (unknown
 * instruction or flag, argument counts, ...).  name is used in messages
 * ("Dockerfile:12: unknown instruction: FOO").  Fails on what fails a build
 * before any stage is converted; errors found only while converting (variable
 * expansion, --from, mounts) are buildplan's.
 */
int	dockerfile_parse(const char *buf, size_t len, const char *name,
	    struct dockerfile **out, struct ctx_error *err);
void	dockerfile_free(struct dockerfile *df);

/*
 * Parse the text of an ONBUILD trigger as BuildKit does when a child stage
 * runs it (default escape `\`, exactly one instruction, which must not be
 * FROM).  The instruction is (*out)->instrs[0].
 */
int	dockerfile_parse_trigger(const char *text, const char *name,
	    size_t line, struct dockerfile **out, struct ctx_error *err);

/* The value of flag fname of ins (last one for repeated flags), or NULL. */
const char *dockerfile_flag(const struct dockerfile_instr *ins,
	    const char *fname);

/* The keyword of kind k in upper case ("COPY"); "" for DF_UNKNOWN.  A
 * string constant. */
const char *dockerfile_kind_name(enum dockerfile_kind k);

/* Is src (an unexpanded COPY/ADD argument) a heredoc such as <<EOF? */
bool	dockerfile_is_heredoc(const char *src);

#endif
