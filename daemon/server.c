/*
 * The listening socket (see server.h).  The order at start-up matters:
 * check the directory, then ask whether a daemon answers on the path (a
 * live one: refuse to start; a dead one's socket: remove it), then bind
 * under umask 0177 so the socket is 0600 from its first instant, never
 * chmod'ed after the fact.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "conn.h"
#include "log.h"
#include "proto.h"
#include "server.h"
#include "sockpath.h"

/* Connections accepted per wakeup, then the loop serves the others. */
#define SERVER_ACCEPT_BURST 64

struct server {
	int fd;
	bool activated;			/* from systemd: not ours to unlink */
	char path[SOCKPATH_MAX];
	dev_t dev;			/* the socket file we made */
	ino_t ino;
	sd_event_source *io;
};

/* Refuses a peer of another uid with one line saying why. */
static void
server_refuse(int fd, uid_t uid, pid_t pid)
{
	char msg[128], *line;
	json_t *resp;
	size_t len;

	log_warnx("refused a connection from uid %ju (pid %ld): not our uid",
	    (uintmax_t)uid, (long)pid);
	snprintf(msg, sizeof(msg), "connection from uid %ju refused: this ctxd "
	    "serves uid %ju only", (uintmax_t)uid, (uintmax_t)getuid());
	if ((resp = proto_fail(NULL, PROTO_E_PERMISSION_DENIED, msg)) != NULL &&
	    (line = proto_encode(resp, &len)) != NULL) {
		(void)!send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		free(line);
	}
	json_decref(resp);
	close(fd);
}

static int
server_accept(sd_event_source *src, int lfd, uint32_t revents, void *arg)
{
	struct ctx_error err;
	struct ucred cred;
	socklen_t len;
	int fd, i;

	(void)src;
	(void)revents;
	(void)arg;
	for (i = 0; i < SERVER_ACCEPT_BURST; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				log_warn("accept");
			else if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("accept");
			break;
		}
		len = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			log_warn("SO_PEERCRED");
			close(fd);
			continue;
		}
		if (cred.uid != getuid()) {
			server_refuse(fd, cred.uid, cred.pid);
			continue;
		}
		if (conn_new(sd_event_source_get_event(src), fd, cred.uid,
		    cred.pid, &err) == NULL)
			log_warnx("client: %s", err.msg);
	}
	return 0;
}

/* 1: a daemon answers on path; 0: nothing there or a dead socket (removed);
 * -1 with err: something else is in the way. */
static int
server_probe(const char *path, struct ctx_error *err)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return ctx_error_sys(err, errno, "%s", path);
	}
	if (!S_ISSOCK(st.st_mode))
		return ctx_error_set(err, CTX_ERR_USAGE,
		    "%s exists and is not a socket: not touching it", path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return ctx_error_sys(err, errno, "socket");
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0)
		return 1;
	if (errno != ECONNREFUSED)
		return ctx_error_sys(err, errno, "connect %s", path);
	log_info("removing stale socket %s (no daemon answers on it)", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return ctx_error_sys(err, errno, "unlink %s", path);
	return 0;
}

static int
server_bind(struct server *s, struct ctx_error *err)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t mask;
	int rc;

	if (sockpath_prepare_dir(s->path, err) < 0)
		return -1;
	if ((rc = server_probe(s->path, err)) < 0)
		return -1;
	if (rc == 1)
		return ctx_error_set(err, CTX_ERR_USAGE,
		    "another ctxd is already listening on %s", s->path);
	if ((s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return ctx_error_sys(err, errno, "socket");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s->path);
	mask = umask(0177);
	rc = bind(s->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(mask);
	if (rc < 0) {
		if (errno == EADDRINUSE)
			return ctx_error_set(err, CTX_ERR_USAGE,
			    "another ctxd is already listening on %s", s->path);
		return ctx_error_sys(err, errno, "bind %s", s->path);
	}
	if (stat(s->path, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	if (listen(s->fd, SOMAXCONN) < 0)
		return ctx_error_sys(err, errno, "listen %s", s->path);
	return 0;
}

struct server *
server_open(sd_event *loop, const char *path, struct ctx_error *err)
{
	struct server *s;
	int n, r, fl;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		ctx_error_nomem(err);
		return NULL;
	}
	s->fd = -1;
	snprintf(s->path, sizeof(s->path), "%s", path);
	if ((n = sd_listen_fds(1)) < 0) {
		ctx_error_sys(err, -n, "sd_listen_fds");
		goto fail;
	}
	if (n > 1) {
		ctx_error_set(err, CTX_ERR_USAGE,
		    "systemd passed %d sockets, ctxd takes one", n);
		goto fail;
	}
	if (n == 1) {
		if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL,
		    0) <= 0) {
			ctx_error_set(err, CTX_ERR_USAGE, "the socket systemd "
			    "passed is not a listening AF_UNIX stream socket");
			goto fail;
		}
		s->fd = SD_LISTEN_FDS_START;
		s->activated = true;
		fl = fcntl(s->fd, F_GETFL);
		if (fl < 0 || fcntl(s->fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
		    fcntl(s->fd, F_SETFD, FD_CLOEXEC) < 0) {
			ctx_error_sys(err, errno, "fcntl");
			goto fail;
		}
	} else if (server_bind(s, err) < 0)
		goto fail;
	if ((r = sd_event_add_io(loop, &s->io, s->fd, EPOLLIN, server_accept,
	    s)) < 0) {
		ctx_error_sys(err, -r, "sd_event_add_io");
		goto fail;
	}
	return s;
fail:
	/* A socket we bound but cannot serve is not left behind. */
	if (!s->activated && s->ino != 0)
		unlink(s->path);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return NULL;
}

void
server_close(struct server *s)
{
	struct stat st;

	if (s == NULL)
		return;
	sd_event_source_disable_unref(s->io);
	/* Remove the socket only if it is still the one we made: a daemon
	 * that replaced ours keeps its own. */
	if (!s->activated && stat(s->path, &st) == 0 && st.st_dev == s->dev &&
	    st.st_ino == s->ino)
		unlink(s->path);
	close(s->fd);
	free(s);
}

bool
server_activated(const struct server *s)
{
	return s->activated;
}

const char *
server_path(const struct server *s)
{
	return s->path;
}
