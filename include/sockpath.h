/*
 * Where ctxd listens, shared by ctxd and ctxctl so the two always agree:
 * --socket PATH, else $CTXD_SOCKET, else $XDG_RUNTIME_DIR/ctxd/ctxd.sock,
 * else /tmp/ctxd-$UID/ctxd.sock; and the private directory holding it.
 */
#ifndef CTXD_SOCKPATH_H
#define CTXD_SOCKPATH_H

#include <stddef.h>

#include "error.h"

/* sizeof(sockaddr_un.sun_path) */
#define SOCKPATH_MAX 108

/*
 * Writes the socket path into out (SOCKPATH_MAX bytes); given (--socket)
 * may be NULL.  -1 with err when the path does not fit an AF_UNIX address
 * or is empty.
 */
int sockpath_resolve(const char *given, char out[SOCKPATH_MAX],
    struct ctx_error *err);

/*
 * Creates the directory holding path (mode 0700, its parent must exist) or,
 * when it exists, checks it is safe to put a socket in: a directory (not a
 * symlink), owned by us, mode 0700.  -1 with err naming what is wrong.
 */
int sockpath_prepare_dir(const char *path, struct ctx_error *err);

/* Writes "<path>.lock" into out (SOCKPATH_MAX + 8 bytes). */
void sockpath_lock(const char *path, char out[SOCKPATH_MAX + 8]);

#endif
