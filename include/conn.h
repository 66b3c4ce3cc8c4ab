/*
 * One client connection of ctxd: non-blocking reads framed into request
 * lines (64 KiB cap), dispatched to cmd.c; an output queue with a bound for
 * pushed events; the client's subscriptions.  Clients are never freed from
 * inside a callback that may still use them: conn_close() marks them and a
 * post source frees them once the loop is back at a safe point (redis'
 * freeClientAsync).
 *
 * Ownership: the conn module owns every struct conn; a conn pointer stays
 * valid until the current callback returns, even after conn_close().
 */
#ifndef CTXD_CONN_H
#define CTXD_CONN_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>
#include <systemd/sd-event.h>

#include "error.h"

/* Queued output beyond which a client is no longer read from (its own
 * responses), and over which a pushed event drops it (slow subscriber). */
#define CONN_OUT_MAX (1024 * 1024)

struct conn;

/* Sets up the reaper on loop.  0 or -1 with err. */
int conn_init(sd_event *loop, struct ctx_error *err);
/* Frees every client (flushing what each can take without blocking) and
 * the reaper. */
void conn_shutdown(void);

/* Takes over fd, an accepted non-blocking socket from uid. */
struct conn *conn_new(sd_event *loop, int fd, uid_t uid, pid_t pid,
    struct ctx_error *err);
/* Marks c for freeing at the next safe point; reason is logged. */
void conn_close(struct conn *c, const char *reason);

/* Queues the response msg (borrowed) for c: always queued. */
void conn_respond(struct conn *c, const json_t *msg);
/* Queues the event for every live client subscribed to root (bytes,
 * unescaped); a client over CONN_OUT_MAX is dropped instead. */
void conn_broadcast(const char *root, const json_t *event);

/* Whether a live client is subscribed to root (or to every project). */
bool conn_has_subscriber(const char *root);
/* hello state and subscriptions (root NULL: every project). */
bool conn_hello_done(const struct conn *c);
void conn_set_hello(struct conn *c);
int conn_subscribe(struct conn *c, const char *root, struct ctx_error *err);
unsigned conn_id(const struct conn *c);
sd_event *conn_loop(const struct conn *c);
size_t conn_count(void);

#endif
