/*
 * Client connections (see conn.h): read, frame, dispatch, queue, write,
 * and free at a safe point.  Backpressure: while a client has more than
 * CONN_OUT_MAX bytes queued we stop reading its requests, so a client that
 * pipelines requests without reading the answers holds at most one
 * response beyond the bound.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd.h"
#include "conn.h"
#include "log.h"
#include "proto.h"

/* Bytes read from one client per wakeup, so one busy client cannot
 * starve the others. */
#define CONN_READ_BUDGET (256 * 1024)

struct conn {
	TAILQ_ENTRY(conn) entry;
	unsigned id;
	int fd;
	uid_t uid;
	pid_t pid;
	sd_event_source *io;
	struct proto_reader in;
	char *out;			/* queued output: out[off..len) unsent */
	size_t off, len, cap;
	bool hello;
	bool read_eof;			/* the peer shut its side: answer, close */
	bool dead;			/* conn_close()d: freed by the reaper */
	bool sub_all;
	char **subs;			/* roots subscribed to */
	size_t nsubs;
};

static TAILQ_HEAD(, conn) conns = TAILQ_HEAD_INITIALIZER(conns);
static size_t nconns;
static unsigned next_id = 1;
static sd_event_source *reaper;

static void conn_update_events(struct conn *c);

/* A complete request line is still buffered (backpressure held it). */
static bool
conn_has_line(const struct conn *c)
{
	return c->in.start < c->in.len &&
	    memchr(c->in.buf + c->in.start, '\n', c->in.len - c->in.start) != NULL;
}

static void
conn_free(struct conn *c)
{
	size_t i;

	TAILQ_REMOVE(&conns, c, entry);
	nconns--;
	sd_event_source_disable_unref(c->io);
	close(c->fd);
	proto_reader_free(&c->in);
	free(c->out);
	for (i = 0; i < c->nsubs; i++)
		free(c->subs[i]);
	free(c->subs);
	free(c);
}

/*
 * The post source: after every dispatch, free the clients marked dead.
 * When the last one is gone, the pages their buffers and requests left
 * free inside the heap go back to the system: freed memory below the top
 * of the heap otherwise stays resident for good, and the bench's rounds of
 * 50 clients at once left ~280 kB so (a client's buffers alone are 12
 * KiB).  Only then: a trim walks the free lists (~20 us after a scan of
 * the M tree), and a busy daemon would only fault the pages in again.
 */
static int
conn_reap(sd_event_source *s, void *arg)
{
	struct conn *c, *next;
	bool freed = false;

	(void)s;
	(void)arg;
	for (c = TAILQ_FIRST(&conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->dead) {
			conn_free(c);
			freed = true;
		}
	}
	if (freed && nconns == 0)
		malloc_trim(0);
	return 0;
}

int
conn_init(sd_event *loop, struct ctx_error *err)
{
	int r;

	if ((r = sd_event_add_post(loop, &reaper, conn_reap, NULL)) < 0)
		return ctx_error_sys(err, -r, "sd_event_add_post");
	return 0;
}

void
conn_close(struct conn *c, const char *reason)
{
	if (c->dead)
		return;
	log_debug("client %u: closed: %s", c->id, reason);
	c->dead = true;
	sd_event_source_set_enabled(c->io, SD_EVENT_OFF);
}

/* Writes what the socket takes now. */
static void
conn_flush(struct conn *c)
{
	ssize_t n;

	while (!c->dead && c->off < c->len) {
		n = send(c->fd, c->out + c->off, c->len - c->off,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				log_debug("client %u: send: %s", c->id,
				    strerror(errno));
				conn_close(c, "send failed");
			}
			break;
		}
		c->off += (size_t)n;
	}
	if (c->off == c->len)
		c->off = c->len = 0;
	if (c->read_eof && c->len == 0 && !conn_has_line(c))
		conn_close(c, "end of input");
	if (!c->dead)
		conn_update_events(c);
}

static int
conn_queue(struct conn *c, const char *data, size_t len)
{
	size_t cap;
	char *p;

	if (c->off > 0 && len > c->cap - c->len) {
		memmove(c->out, c->out + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (len > c->cap - c->len) {
		cap = c->cap ? c->cap : 4096;
		while (cap - c->len < len)
			cap *= 2;
		if ((p = realloc(c->out, cap)) == NULL)
			return -1;
		c->out = p;
		c->cap = cap;
	}
	memcpy(c->out + c->len, data, len);
	c->len += len;
	return 0;
}

static void
conn_send(struct conn *c, const json_t *msg)
{
	char *line;
	size_t len;

	if (c->dead)
		return;
	if ((line = proto_encode(msg, &len)) == NULL || conn_queue(c, line, len) < 0) {
		log_warnx("client %u: out of memory queueing output", c->id);
		conn_close(c, "out of memory");
	}
	free(line);
	conn_flush(c);
}

void
conn_respond(struct conn *c, const json_t *msg)
{
	conn_send(c, msg);
}

/*
 * A subscriber that lets CONN_OUT_MAX bytes pile up is dropped rather than
 * letting the daemon's memory grow.  The reason replaces the unsent
 * complete messages and goes out only if the socket takes it right now.
 */
static void
conn_drop_slow(struct conn *c)
{
	char msg[128];
	char *nl;
	json_t *ev;

	log_warnx("client %u (pid %ld): dropped: over %d bytes of output queued "
	    "(a subscriber that does not read)", c->id, (long)c->pid, CONN_OUT_MAX);
	/* Keep the rest of the line being written, if any, so that the
	 * reason starts on a line of its own. */
	if (c->off > 0 && c->out[c->off - 1] != '\n' &&
	    (nl = memchr(c->out + c->off, '\n', c->len - c->off)) != NULL)
		c->len = (size_t)(nl - c->out) + 1;
	else
		c->off = c->len = 0;
	snprintf(msg, sizeof(msg), "dropped: more than %d bytes of events "
	    "queued and not read", CONN_OUT_MAX);
	if ((ev = proto_error_event(PROTO_E_SLOW_CLIENT, msg)) != NULL)
		conn_send(c, ev);
	json_decref(ev);
	conn_close(c, "slow subscriber");
}

static bool
conn_wants(const struct conn *c, const char *root)
{
	size_t i;

	if (c->sub_all)
		return true;
	for (i = 0; i < c->nsubs; i++)
		if (root != NULL && strcmp(c->subs[i], root) == 0)
			return true;
	return false;
}

void
conn_broadcast(const char *root, const json_t *event)
{
	struct conn *c;
	char *line = NULL;
	size_t len = 0;

	TAILQ_FOREACH(c, &conns, entry) {
		if (c->dead || !conn_wants(c, root))
			continue;
		if (line == NULL && (line = proto_encode(event, &len)) == NULL) {
			log_warnx("out of memory encoding an event");
			return;
		}
		if (c->len - c->off + len > CONN_OUT_MAX) {
			conn_drop_slow(c);
			continue;
		}
		if (conn_queue(c, line, len) < 0) {
			conn_close(c, "out of memory");
			continue;
		}
		conn_flush(c);
	}
	free(line);
}

bool
conn_has_subscriber(const char *root)
{
	struct conn *c;

	TAILQ_FOREACH(c, &conns, entry)
		if (!c->dead && conn_wants(c, root))
			return true;
	return false;
}

/* EPOLLIN unless the peer is done or too much output waits; EPOLLOUT
 * while output waits. */
static void
conn_update_events(struct conn *c)
{
	uint32_t ev = 0;

	if (!c->read_eof && c->len - c->off <= CONN_OUT_MAX)
		ev |= EPOLLIN;
	if (c->len > c->off)
		ev |= EPOLLOUT;
	sd_event_source_set_io_events(c->io, ev);
}

static void
conn_line_too_long(struct conn *c)
{
	char msg[96];
	json_t *resp;

	snprintf(msg, sizeof(msg), "request line over %d bytes: discarded",
	    PROTO_REQUEST_MAX);
	if ((resp = proto_fail(NULL, PROTO_E_LINE_TOO_LONG, msg)) != NULL)
		conn_send(c, resp);
	json_decref(resp);
}

/* Dispatches every complete line read so far. */
static void
conn_process(struct conn *c)
{
	char *line;
	size_t len;
	enum proto_read r;

	while (!c->dead && c->len - c->off <= CONN_OUT_MAX &&
	    (r = proto_reader_next(&c->in, &line, &len)) != PROTO_MORE) {
		if (r == PROTO_TOO_LONG)
			conn_line_too_long(c);
		else if (len > 0)
			cmd_dispatch(c, line, len);
	}
}

static void
conn_read(struct conn *c)
{
	struct ctx_error err;
	size_t budget = CONN_READ_BUDGET, avail;
	ssize_t n;
	char *p;

	while (!c->dead && !c->read_eof && budget > 0 &&
	    c->len - c->off <= CONN_OUT_MAX) {
		if ((p = proto_reader_space(&c->in, &avail, &err)) == NULL) {
			conn_close(c, err.msg);
			return;
		}
		n = read(c->fd, p, avail);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_close(c, "read failed");
			break;
		}
		if (n == 0) {
			c->read_eof = true;
			break;
		}
		proto_reader_commit(&c->in, (size_t)n);
		budget -= (size_t)n < budget ? (size_t)n : budget;
		conn_process(c);
	}
	if (!c->dead)
		conn_flush(c);
}

static int
conn_io(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct conn *c = arg;

	(void)s;
	(void)fd;
	if (revents & EPOLLOUT)
		conn_flush(c);
	if (!c->dead && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		conn_read(c);
	/* Lines held back by backpressure go once the output drained. */
	if (!c->dead) {
		conn_process(c);
		conn_flush(c);
	}
	return 0;
}

struct conn *
conn_new(sd_event *loop, int fd, uid_t uid, pid_t pid, struct ctx_error *err)
{
	struct conn *c;
	int r;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		ctx_error_nomem(err);
		return NULL;
	}
	c->fd = fd;
	c->uid = uid;
	c->pid = pid;
	c->id = next_id++;
	proto_reader_init(&c->in, PROTO_REQUEST_MAX);
	if ((r = sd_event_add_io(loop, &c->io, fd, EPOLLIN, conn_io, c)) < 0) {
		ctx_error_sys(err, -r, "sd_event_add_io");
		close(fd);
		free(c);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&conns, c, entry);
	nconns++;
	log_debug("client %u: connected (pid %ld)", c->id, (long)pid);
	return c;
}

void
conn_shutdown(void)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&conns)) != NULL) {
		if (!c->dead && c->len > c->off)
			(void)!send(c->fd, c->out + c->off, c->len - c->off,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
		conn_free(c);
	}
	reaper = sd_event_source_disable_unref(reaper);
}

bool
conn_hello_done(const struct conn *c)
{
	return c->hello;
}

void
conn_set_hello(struct conn *c)
{
	c->hello = true;
}

int
conn_subscribe(struct conn *c, const char *root, struct ctx_error *err)
{
	char **v;
	size_t i;

	if (root == NULL) {
		c->sub_all = true;
		return 0;
	}
	for (i = 0; i < c->nsubs; i++)
		if (strcmp(c->subs[i], root) == 0)
			return 0;
	if (c->nsubs >= 1024)
		return ctx_error_set(err, CTX_ERR_USAGE,
		    "too many subscriptions (at most 1024; subscribe to all)");
	if ((v = realloc(c->subs, (c->nsubs + 1) * sizeof(*v))) == NULL)
		return ctx_error_nomem(err);
	c->subs = v;
	if ((v[c->nsubs] = strdup(root)) == NULL)
		return ctx_error_nomem(err);
	c->nsubs++;
	return 0;
}

unsigned
conn_id(const struct conn *c)
{
	return c->id;
}

sd_event *
conn_loop(const struct conn *c)
{
	return sd_event_source_get_event(c->io);
}

size_t
conn_count(void)
{
	return nconns;
}
