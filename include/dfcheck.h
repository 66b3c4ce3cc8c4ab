/*
 * BuildKit's per-instruction checks (instructions/parse.go, bflag.go) run
 * on what the Dockerfile parser produced; used by dockerfile_parse().
 *
 * Ownership: dfcheck_instr() fills ins->flags and, for ONBUILD,
 * ins->expression; both belong to ins (freed with its dockerfile).
 */
#ifndef CTXD_DFCHECK_H
#define CTXD_DFCHECK_H

#include "dockerfile.h"
#include "error.h"

/*
 * ParseInstruction's checks of one instruction: 0, or -1 with err set to
 * "<name>:<line>: <BuildKit's message>" (or an allocation failure).  May
 * lower-case a FROM's stage name in place, as BuildKit does.
 */
int	dfcheck_instr(struct dockerfile_instr *ins, const char *name,
	    struct ctx_error *err);

#endif
