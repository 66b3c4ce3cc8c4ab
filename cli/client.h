/*
 * ctxctl's side of the protocol (proto.h): connect to ctxd, starting it
 * when none runs (tmux style: connect, else take the lock file next to the
 * socket, retry, else spawn ctxd and wait until it answers), say hello,
 * then one request at a time; pushed events are kept for client_event().
 *
 * Ownership: client_open() returns a client freed by client_free();
 * responses and events are new references the caller releases.
 */
#ifndef CTXD_CLIENT_H
#define CTXD_CLIENT_H

#include <stdbool.h>

#include <jansson.h>

#include "error.h"

struct client;

/*
 * Connects to the daemon on path and says hello.  With start, a daemon is
 * started when none answers.  -1 in err.code == CTX_ERR_SYS with
 * sys_errno ENOENT or ECONNREFUSED means no daemon runs.
 */
struct client *client_open(const char *path, bool start, struct ctx_error *err);
void client_free(struct client *c);

/* Sends req (borrowed; its "id" is set) and waits for its response
 * (*resp, ok or not).  -1 with err when the connection fails. */
int client_call(struct client *c, json_t *req, json_t **resp,
    struct ctx_error *err);
/* The next pushed event, waiting for it.  -1 with err at end of stream. */
int client_event(struct client *c, json_t **event, struct ctx_error *err);

/* The error code and message of a failed response ("" when absent). */
const char *client_error_code(const json_t *resp);
const char *client_error_message(const json_t *resp);

#endif
