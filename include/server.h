/*
 * ctxd's listening socket: inherited from systemd (socket activation) or
 * bound at the socket path; accepted connections from our own uid become
 * clients (conn.c), others are refused.
 *
 * Ownership: server_open() returns a server the caller frees with
 * server_close(), which removes the socket file if this daemon made it.
 */
#ifndef CTXD_SERVER_H
#define CTXD_SERVER_H

#include <stdbool.h>

#include <systemd/sd-event.h>

#include "error.h"

struct server;

/*
 * path is where to bind when systemd passed no socket.  Refuses (-1 with
 * err) when another daemon answers on path, when the socket directory is
 * unsafe, or when path exists and is not a socket.  A socket nobody
 * answers on (a daemon that died) is replaced.
 */
struct server *server_open(sd_event *loop, const char *path,
    struct ctx_error *err);
void server_close(struct server *s);

/* True when the socket came from systemd. */
bool server_activated(const struct server *s);
const char *server_path(const struct server *s);

#endif
