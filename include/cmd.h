/*
 * The commands of the protocol: one table, one small handler each.  A
 * request line goes in, exactly one response is queued on the client.
 */
#ifndef CTXD_CMD_H
#define CTXD_CMD_H

#include <stddef.h>

struct conn;

/* line[0..len) is one request line, NUL-terminated; never fails: bad
 * input gets an error response with a stable code. */
void cmd_dispatch(struct conn *c, const char *line, size_t len);

#endif
