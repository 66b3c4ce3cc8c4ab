/*
 * The client end of the ctxd socket (see client.h): connecting, starting
 * the daemon on demand, and blocking request/response exchanges.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "proto.h"
#include "sockpath.h"

/* How long a started daemon has to answer. */
#define CLIENT_START_TIMEOUT_MS 10000

struct client {
	int fd;
	json_int_t next_id;
	struct proto_reader in;
	json_t *events;			/* pushed while waiting for a response */
};

/* A connected socket on path, or -1 with errno. */
static int
client_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static bool
no_daemon_errno(int e)
{
	return e == ENOENT || e == ECONNREFUSED;
}

/*
 * The daemon to run: $CTXD (a command line, split at blanks), else ctxd
 * next to this ctxctl, else ctxd from PATH.  argv gets at most 30 words,
 * then --socket path.
 */
static void
client_daemon_argv(const char *path, char **argv, char *buf, size_t bufsz,
    char *self, size_t selfsz)
{
	const char *env = getenv("CTXD");
	char *p, *save = NULL;
	ssize_t n;
	int i = 0;

	if (env != NULL && *env != '\0') {
		snprintf(buf, bufsz, "%s", env);
		for (p = strtok_r(buf, " \t", &save); p != NULL && i < 30;
		    p = strtok_r(NULL, " \t", &save))
			argv[i++] = p;
	}
	if (i == 0) {
		argv[i++] = (char *)(uintptr_t)"ctxd";
		n = readlink("/proc/self/exe", self, selfsz - 1);
		if (n > 0 && (size_t)n < selfsz - 6) {
			self[n] = '\0';
			if ((p = strrchr(self, '/')) != NULL) {
				snprintf(p + 1, selfsz - (size_t)(p + 1 - self),
				    "ctxd");
				if (access(self, X_OK) == 0)
					argv[0] = self;
			}
		}
	}
	argv[i++] = (char *)(uintptr_t)"--socket";
	argv[i++] = (char *)(uintptr_t)path;
	argv[i] = NULL;
}

/*
 * Starts ctxd in its own session, stdio on /dev/null (a daemon holding our
 * stdout would keep $(ctxctl ...) waiting), and waits until path answers.
 * Returns the connected fd or -1 with err.
 */
static int
client_spawn(const char *path, struct ctx_error *err)
{
	char *argv[34], buf[1024], self[PATH_MAX];
	struct timespec ts = {0, 10 * 1000 * 1000};
	int fd, status, waited, devnull;
	pid_t pid;

	client_daemon_argv(path, argv, buf, sizeof(buf), self, sizeof(self));
	if ((pid = fork()) < 0)
		return ctx_error_sys(err, errno, "fork");
	if (pid == 0) {
		setsid();
		if ((devnull = open("/dev/null", O_RDWR)) >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
			if (devnull > 2)
				close(devnull);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	for (waited = 0; waited < CLIENT_START_TIMEOUT_MS; waited += 10) {
		if ((fd = client_connect(path)) >= 0)
			return fd;
		if (!no_daemon_errno(errno))
			return ctx_error_sys(err, errno, "connect %s", path);
		if (waitpid(pid, &status, WNOHANG) == pid)
			return ctx_error_set(err, CTX_ERR_SYS, "%s exited with "
			    "status %d before answering on %s (run '%s --socket "
			    "%s' to see why)", argv[0], WIFEXITED(status) ?
			    WEXITSTATUS(status) : 128 + WTERMSIG(status), path,
			    argv[0], path);
		nanosleep(&ts, NULL);
	}
	return ctx_error_set(err, CTX_ERR_SYS,
	    "%s did not answer on %s within %d s", argv[0], path,
	    CLIENT_START_TIMEOUT_MS / 1000);
}

/* tmux's client_connect: connect, else lock, retry, else start. */
static int
client_connect_or_start(const char *path, bool start, struct ctx_error *err)
{
	char lock[SOCKPATH_MAX + 8];
	int fd, lockfd;

	if ((fd = client_connect(path)) >= 0)
		return fd;
	if (!start || !no_daemon_errno(errno))
		return ctx_error_sys(err, errno, "cannot connect to ctxd on %s",
		    path);
	if (sockpath_prepare_dir(path, err) < 0)
		return -1;
	sockpath_lock(path, lock);
	if ((lockfd = open(lock, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return ctx_error_sys(err, errno, "%s", lock);
	/* Whoever holds the lock is starting the daemon: wait for it. */
	while (flock(lockfd, LOCK_EX) < 0)
		if (errno != EINTR) {
			ctx_error_sys(err, errno, "flock %s", lock);
			close(lockfd);
			return -1;
		}
	if ((fd = client_connect(path)) < 0) {
		if (no_daemon_errno(errno))
			fd = client_spawn(path, err);
		else
			ctx_error_sys(err, errno, "connect %s", path);
	}
	close(lockfd);
	return fd;
}

static int
client_send(struct client *c, const json_t *msg, struct ctx_error *err)
{
	size_t len, off = 0;
	ssize_t n;
	char *line;

	if ((line = proto_encode(msg, &len)) == NULL)
		return ctx_error_nomem(err);
	while (off < len) {
		n = send(c->fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(line);
			return ctx_error_sys(err, errno, "send to ctxd");
		}
		off += (size_t)n;
	}
	free(line);
	return 0;
}

/* The next message from the daemon (new reference). */
static int
client_recv(struct client *c, json_t **msg, struct ctx_error *err)
{
	json_error_t jerr;
	enum proto_read r;
	size_t avail, len;
	char *p, *line;
	ssize_t n;

	for (;;) {
		while ((r = proto_reader_next(&c->in, &line, &len)) != PROTO_MORE) {
			if (r == PROTO_TOO_LONG)
				return ctx_error_set(err, CTX_ERR_SYS,
				    "ctxd sent a line over %lu bytes",
				    PROTO_RESPONSE_MAX);
			if (len == 0)
				continue;
			*msg = json_loadb(line, len, 0, &jerr);
			if (*msg == NULL || !json_is_object(*msg)) {
				json_decref(*msg);
				return ctx_error_set(err, CTX_ERR_SYS,
				    "ctxd sent bad JSON: %s", jerr.text);
			}
			return 0;
		}
		if ((p = proto_reader_space(&c->in, &avail, err)) == NULL)
			return -1;
		n = read(c->fd, p, avail);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ctx_error_sys(err, errno, "read from ctxd");
		if (n == 0)
			return ctx_error_set(err, CTX_ERR_SYS,
			    "ctxd closed the connection");
		proto_reader_commit(&c->in, (size_t)n);
	}
}

int
client_call(struct client *c, json_t *req, json_t **resp,
    struct ctx_error *err)
{
	json_int_t id = c->next_id++;
	json_t *msg, *v;

	if (json_object_set_new(req, "id", json_integer(id)) < 0)
		return ctx_error_nomem(err);
	if (client_send(c, req, err) < 0)
		return -1;
	for (;;) {
		if (client_recv(c, &msg, err) < 0)
			return -1;
		if (json_object_get(msg, "event") != NULL) {
			json_array_append_new(c->events, msg);
			continue;
		}
		v = json_object_get(msg, "id");
		if (json_is_integer(v) && json_integer_value(v) == id) {
			*resp = msg;
			return 0;
		}
		/* An answer to no request of ours: the daemon refusing us. */
		if (json_is_null(v) || v == NULL) {
			*resp = msg;
			return 0;
		}
		json_decref(msg);
	}
}

int
client_event(struct client *c, json_t **event, struct ctx_error *err)
{
	json_t *msg;

	if (json_array_size(c->events) > 0) {
		*event = json_incref(json_array_get(c->events, 0));
		json_array_remove(c->events, 0);
		return 0;
	}
	for (;;) {
		if (client_recv(c, &msg, err) < 0)
			return -1;
		if (json_object_get(msg, "event") != NULL) {
			*event = msg;
			return 0;
		}
		json_decref(msg);
	}
}

const char *
client_error_code(const json_t *resp)
{
	const char *s = json_string_value(json_object_get(
	    json_object_get(resp, "error"), "code"));

	return s != NULL ? s : "";
}

const char *
client_error_message(const json_t *resp)
{
	/* Messages carry escaped path bytes (proto.h): print what
	 * --no-daemon prints.  One client thread: a static buffer is fine. */
	static char buf[4096];
	const json_t *v = json_object_get(json_object_get(resp, "error"),
	    "message");
	const char *s = json_string_value(v);
	char *raw = NULL;

	if (s == NULL)
		return "";
	if (proto_json_str(v, &raw, NULL) < 0)
		return s;
	snprintf(buf, sizeof(buf), "%s", raw);
	free(raw);
	return buf;
}

static int
client_hello(struct client *c, struct ctx_error *err)
{
	json_t *req, *resp = NULL;
	const char *v;
	int rc = -1;

	req = json_pack("{s:s,s:s,s:s}", "cmd", "hello", "version",
	    CTXD_PROTO_VERSION, "client", "ctxctl " CTXD_VERSION);
	if (req == NULL)
		return ctx_error_nomem(err);
	if (client_call(c, req, &resp, err) < 0)
		goto out;
	if (!json_is_true(json_object_get(resp, "ok"))) {
		ctx_error_set(err, CTX_ERR_SYS, "ctxd: %s (%s)",
		    client_error_message(resp), client_error_code(resp));
		goto out;
	}
	v = json_string_value(json_object_get(resp, "version"));
	if (proto_version_major(v) != CTXD_PROTO_MAJOR) {
		ctx_error_set(err, CTX_ERR_SYS, "ctxd speaks protocol %s, this "
		    "ctxctl %s: restart the daemon (ctxctl shutdown)",
		    v ? v : "?", CTXD_PROTO_VERSION);
		goto out;
	}
	rc = 0;
out:
	json_decref(req);
	json_decref(resp);
	return rc;
}

struct client *
client_open(const char *path, bool start, struct ctx_error *err)
{
	struct client *c;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	if ((fd = client_connect_or_start(path, start, err)) < 0)
		return NULL;
	/* A socket served by another user is not our daemon. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    cred.uid != getuid()) {
		ctx_error_set(err, CTX_ERR_USAGE, "%s is not served by our uid: "
		    "refusing to talk to it", path);
		close(fd);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->events = json_array()) == NULL) {
		free(c);
		close(fd);
		ctx_error_nomem(err);
		return NULL;
	}
	c->fd = fd;
	c->next_id = 1;
	proto_reader_init(&c->in, PROTO_RESPONSE_MAX);
	if (client_hello(c, err) < 0) {
		client_free(c);
		return NULL;
	}
	return c;
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	proto_reader_free(&c->in);
	json_decref(c->events);
	free(c);
}
