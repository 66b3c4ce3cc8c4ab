/*
 * ctxbench: the timing helper of bench/daemon.  C, not python: python3
 * adds tens of microseconds to every socket round trip (bench/daemon
 * measures how many), which would hide a 20 µs protocol round trip and
 * distort a 2 ms write-to-hash latency.  It speaks the ctxd protocol
 * itself (newline-delimited JSON, include/proto.h) without a JSON
 * library: it only looks for a few fixed keys in the daemon's compact
 * output.  Times are CLOCK_MONOTONIC, printed in microseconds.
 *
 *   ctxbench latency SOCK ROOT BUILDER FILE RUNS PID [WATCH_CMD...]
 *	Writes FILE (a small file in ROOT's context) RUNS times, alternating
 *	two contents of the same size (its own bytes and a variant), and
 *	times each write until a raw socket subscriber holds the hash the
 *	daemon gives for that content, and, with WATCH_CMD (e.g. ctxctl
 *	watch --json ...), until that process prints it.  The two hashes are
 *	learnt first (write, settle, ask "hash").  FILE ends with its own
 *	bytes and modification time again.  PID is ctxd's: /proc/PID/io and
 *	/proc/PID/stat are read around the timed writes.
 *   ctxbench rtt SOCK ROOT BUILDER RUNS
 *	"status" round trips on one open connection (after hello).
 *   ctxbench rttpar SOCK ROOT BUILDER CLIENTS RUNS
 *	CLIENTS connections (one thread each) doing RUNS status round trips
 *	at once; every response must be ok and ready.
 *   ctxbench spawn RUNS CMD...
 *	Runs CMD RUNS times (stdout to /dev/null), timing each from
 *	posix_spawn to waitpid; any failure aborts.
 *   ctxbench parallel CLIENTS OUTDIR CMD...
 *	Starts CLIENTS copies of CMD at once (released together through a
 *	pipe), stdout to OUTDIR/N.out; prints the failures, the wall time
 *	and each client's time from the release to its exit.
 *   ctxbench idle SOCK
 *	hello and "list" on SOCK: the daemon has served one client.
 *   ctxbench floor DIRLIST RUNS
 *	The system calls a restart cannot avoid, with nothing between them:
 *	for each directory of DIRLIST (absolute paths, one a line: the
 *	directories ctxd watches), inotify_add_watch, open, getdents64 until
 *	the end, an fstatat of every name, close; on a fresh inotify
 *	descriptor each run.  What any restart that checks every file again
 *	spends at least.
 *   ctxbench ready CTXD SOCK ROOT BUILDER
 *	Starts CTXD --socket SOCK (own session, stderr to SOCK.log), then
 *	times from the spawn until "status" says ready with a hash: hello,
 *	watch, subscribe, and status again after each event; then until the
 *	analysis (the findings) is no longer pending.  ctxd keeps running;
 *	its pid, rchar and read_bytes at the hash are printed.
 *
 * Each sample is printed as "sample NAME USEC"; summaries as "NAME k=v...".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define HASH_LEN 71		/* "sha256:" + 64 hex */

/* The file latency writes, put back as it was on any exit. */
static struct {
	const char *path;
	const char *data;
	size_t len;
	struct timespec times[2];
} restore;

static void
restore_file(void)
{
	int fd;

	if (restore.path == NULL)
		return;
	if ((fd = open(restore.path, O_WRONLY | O_TRUNC | O_CLOEXEC)) >= 0) {
		if (write(fd, restore.data, restore.len) != (ssize_t)restore.len)
			fprintf(stderr, "ctxbench: could not restore %s\n",
			    restore.path);
		close(fd);
	}
	(void)utimensat(AT_FDCWD, restore.path, restore.times,
	    AT_SYMLINK_NOFOLLOW);
	restore.path = NULL;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	restore_file();

	fputs("ctxbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void
sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Prints "NAME n=.. median=.. min=.. p90=.. max=.." (sorts v). */
static void
summary(const char *name, double *v, size_t n)
{
	double med;

	if (n == 0) {
		printf("%s n=0\n", name);
		return;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	printf("%s n=%zu median=%.1f min=%.1f p90=%.1f max=%.1f\n", name, n, med,
	    v[0], v[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1], v[n - 1]);
}

/* ---- a line-framed connection ---- */

struct lconn {
	int fd;
	char *buf;
	size_t start, len, cap;
	long next_id;
};

static int
sock_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		die("socket path too long: %s", path);
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void
lconn_init(struct lconn *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->cap = 1 << 16;
	if ((c->buf = malloc(c->cap)) == NULL)
		die("out of memory");
	c->next_id = 1;
}

static void
lconn_free(struct lconn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
}

/* The next complete line already buffered (NUL-terminated, newline
 * dropped), or NULL. */
static char *
lconn_buffered(struct lconn *c)
{
	char *nl, *line;

	if (c->start == c->len)
		return NULL;
	nl = memchr(c->buf + c->start, '\n', c->len - c->start);
	if (nl == NULL)
		return NULL;
	*nl = '\0';
	line = c->buf + c->start;
	c->start = (size_t)(nl - c->buf) + 1;
	return line;
}

/* Reads once (blocking unless the fd is not); 0 at EOF, -1 EAGAIN. */
static ssize_t
lconn_fill(struct lconn *c)
{
	ssize_t n;

	if (c->start > 0) {
		memmove(c->buf, c->buf + c->start, c->len - c->start);
		c->len -= c->start;
		c->start = 0;
	}
	if (c->cap - c->len < 4096) {
		c->cap *= 2;
		if ((c->buf = realloc(c->buf, c->cap)) == NULL)
			die("out of memory");
	}
	do
		n = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return -1;
	if (n < 0)
		die("read: %s", strerror(errno));
	c->len += (size_t)n;
	return n;
}

/* The next line, blocking. */
static char *
lconn_line(struct lconn *c)
{
	char *line;

	while ((line = lconn_buffered(c)) == NULL)
		if (lconn_fill(c) == 0)
			die("the daemon closed the connection");
	return line;
}

static void
send_all(int fd, const char *s, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, s, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("send: %s", strerror(errno));
		s += n;
		len -= (size_t)n;
	}
}

/* Sends {"id":N,"cmd":CMD<rest>} and returns the response line (events
 * before it are skipped). */
static char *
lconn_call(struct lconn *c, const char *cmd, const char *rest)
{
	char req[8192], idkey[48], *line;
	long id = c->next_id++;
	int n;

	n = snprintf(req, sizeof(req), "{\"id\":%ld,\"cmd\":\"%s\"%s}\n", id, cmd,
	    rest);
	if (n < 0 || (size_t)n >= sizeof(req))
		die("request too long");
	send_all(c->fd, req, (size_t)n);
	snprintf(idkey, sizeof(idkey), "\"id\":%ld,", id);
	for (;;) {
		line = lconn_line(c);
		if (strstr(line, idkey) != NULL)
			return line;
		if (strstr(line, "\"event\":") == NULL)
			die("unexpected line: %.300s", line);
	}
}

static bool
resp_ok(const char *line)
{
	return strstr(line, "\"ok\":true") != NULL;
}

/* Copies the "hash":"sha256:..." of line into out; false if none. */
static bool
line_hash(const char *line, char out[HASH_LEN + 1])
{
	const char *p = strstr(line, "\"hash\":\"sha256:");

	if (p == NULL)
		return false;
	p += 8;
	if (strlen(p) < HASH_LEN)
		return false;
	memcpy(out, p, HASH_LEN);
	out[HASH_LEN] = '\0';
	return true;
}

static struct lconn *
connect_hello(const char *sock)
{
	struct lconn *c = malloc(sizeof(*c));
	char *line;
	int fd;

	if (c == NULL)
		die("out of memory");
	if ((fd = sock_connect(sock)) < 0)
		die("connect %s: %s", sock, strerror(errno));
	lconn_init(c, fd);
	line = lconn_call(c, "hello", ",\"version\":\"1.0\",\"client\":\"ctxbench\"");
	if (!resp_ok(line))
		die("hello refused: %s", line);
	return c;
}

/* ,"root":"ROOT","builder":"BUILDER" (ROOT: no escaping needed). */
static void
selector(char *out, size_t size, const char *root, const char *builder)
{
	const unsigned char *p;

	for (p = (const unsigned char *)root; *p; p++)
		if (*p < 0x20 || *p == '"' || *p == '\\' || *p >= 0x7f)
			die("root %s needs escaping: use a plain path", root);
	if ((size_t)snprintf(out, size, ",\"root\":\"%s\",\"builder\":\"%s\"",
	    root, builder) >= size)
		die("root too long");
}

/* ---- /proc ---- */

struct proc_io {
	unsigned long long rchar, read_bytes, syscr;
	unsigned long long cpu_ticks;	/* utime + stime */
};

static void
proc_io(pid_t pid, struct proc_io *io)
{
	char path[64], line[256], buf[4096], *p;
	FILE *f;
	int i;

	memset(io, 0, sizeof(*io));
	snprintf(path, sizeof(path), "/proc/%ld/io", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		sscanf(line, "rchar: %llu", &io->rchar);
		sscanf(line, "read_bytes: %llu", &io->read_bytes);
		sscanf(line, "syscr: %llu", &io->syscr);
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	if (fgets(buf, sizeof(buf), f) == NULL)
		die("%s: empty", path);
	fclose(f);
	/* Fields after the command name: state is field 3, utime 14, stime 15. */
	if ((p = strrchr(buf, ')')) == NULL)
		die("%s: unexpected", path);
	p += 2;
	for (i = 3; i < 14 && p != NULL; i++)
		if ((p = strchr(p, ' ')) != NULL)
			p++;
	if (p != NULL) {
		unsigned long long u = 0, s = 0;
		sscanf(p, "%llu %llu", &u, &s);
		io->cpu_ticks = u + s;
	}
}

/* ---- latency ---- */

static void
write_content(const char *file, const char *data, size_t len)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		die("open %s: %s", file, strerror(errno));
	if (pwrite(fd, data, len, 0) != (ssize_t)len)
		die("write %s: %s", file, strerror(errno));
	if (close(fd) < 0)
		die("close %s: %s", file, strerror(errno));
}

/* Reads what is available on c without blocking; returns true when a
 * line holding want (a hash) was seen; counts every event line. */
static bool
scan_lines(struct lconn *c, const char *want, int *events)
{
	char *line, h[HASH_LEN + 1];
	bool seen = false;

	for (;;) {
		while ((line = lconn_buffered(c)) != NULL) {
			if (strstr(line, "\"event\":") == NULL)
				continue;
			(*events)++;
			if (want != NULL && line_hash(line, h) && strcmp(h, want) == 0)
				seen = true;
		}
		if (lconn_fill(c) <= 0)
			return seen;
	}
}

static void
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		die("fcntl: %s", strerror(errno));
}

/* Drops whatever arrived on the subscribers, after a pause. */
static void
settle(struct lconn **subs, int nsubs, long pause_us)
{
	int i, ev = 0;

	sleep_us(pause_us);
	for (i = 0; i < nsubs; i++)
		(void)scan_lines(subs[i], NULL, &ev);
}

/* Waits until every subscriber has seen want; t[i] gets the time. */
static void
wait_hash(struct lconn **subs, int nsubs, const char *want, double *t,
    int *events)
{
	struct pollfd pfd[2];
	bool done[2] = {false, false};
	int i, left = nsubs;
	double deadline = now_us() + 10e6;

	while (left > 0) {
		for (i = 0; i < nsubs; i++) {
			pfd[i].fd = subs[i]->fd;
			pfd[i].events = done[i] ? 0 : POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, (nfds_t)nsubs, 1000) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (i = 0; i < nsubs; i++) {
			if (done[i] || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (scan_lines(subs[i], want, &events[i])) {
				t[i] = now_us();
				done[i] = true;
				left--;
			}
		}
		if (left > 0 && now_us() > deadline)
			die("no event with %s within 10 s", want);
	}
}

static pid_t
spawn_pipe(char **argv, int *outfd)
{
	posix_spawn_file_actions_t fa;
	int p[2], rc;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	if ((rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ)) != 0)
		die("spawn %s: %s", argv[0], strerror(rc));
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	*outfd = p[0];
	return pid;
}

static int
cmd_latency(int argc, char **argv)
{
	const char *sock, *root, *builder, *file;
	char sel[4096], rest[4200], *line, hash[2][HASH_LEN + 1], cur[HASH_LEN + 1];
	char *content[2];
	struct lconn *req, *raw, cli, *subs[2];
	struct proc_io io0, io1;
	struct timespec times[2];
	struct stat st;
	double *lat[2], t[2], t0;
	int runs, i, k, nsubs = 1, events[2] = {0, 0}, fd;
	pid_t pid, watcher = -1;
	size_t size;

	if (argc < 7)
		die("usage: latency SOCK ROOT BUILDER FILE RUNS PID [WATCH_CMD...]");
	sock = argv[1];
	root = argv[2];
	builder = argv[3];
	file = argv[4];
	runs = atoi(argv[5]);
	pid = (pid_t)atol(argv[6]);
	if (runs < 1)
		die("RUNS must be positive");
	selector(sel, sizeof(sel), root, builder);

	/* The file's own bytes and time, restored at the end. */
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
		die("%s: %s", file, strerror(errno));
	size = (size_t)st.st_size;
	if (size < 8 || size > 65536)
		die("%s: pick a small file (8 bytes to 64 KiB), not %zu bytes",
		    file, size);
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	content[0] = malloc(size);
	content[1] = malloc(size);
	if (content[0] == NULL || content[1] == NULL)
		die("out of memory");
	if (read(fd, content[0], size) != (ssize_t)size)
		die("read %s: short", file);
	close(fd);
	restore.path = file;
	restore.data = content[0];
	restore.len = size;
	restore.times[0] = times[0];
	restore.times[1] = times[1];
	/* The variant: same size, first bytes replaced. */
	memcpy(content[1], content[0], size);
	memcpy(content[1], "#ctxbench", 8);
	if (memcmp(content[0], content[1], size) == 0)
		content[1][0] ^= 1;

	req = connect_hello(sock);
	line = lconn_call(req, "status", sel);
	if (!resp_ok(line) || strstr(line, "\"state\":\"ready\"") == NULL ||
	    !line_hash(line, cur))
		die("the project is not watched and ready: %s", line);
	raw = connect_hello(sock);
	snprintf(rest, sizeof(rest), ",\"root\":\"%s\"", root);
	line = lconn_call(raw, "subscribe", rest);
	if (!resp_ok(line))
		die("subscribe refused: %s", line);
	set_nonblock(raw->fd);
	subs[0] = raw;
	if (argc > 7) {
		watcher = spawn_pipe(argv + 7, &fd);
		lconn_init(&cli, fd);
		set_nonblock(fd);
		subs[nsubs++] = &cli;
	}

	/*
	 * Learn the hash of each content: write it, let the daemon settle
	 * (and the watcher subscribe: it must see this event), ask "hash".
	 * The first write waits for the event on every subscriber, which
	 * proves the watcher is subscribed before anything is timed.
	 */
	for (k = 1, i = 0; k >= 0; k--) {
		double deadline = now_us() + 10e6;
		int got[2] = {0, 0}, j;

		write_content(file, content[k], size);
		/* Until the watcher has subscribed, its process may miss a
		 * write: write again, alternating, until both see one. */
		while (k == 1 && (got[0] == 0 || got[nsubs - 1] == 0)) {
			if (now_us() > deadline)
				die("a subscriber saw no event within 10 s");
			sleep_us(200000);
			for (j = 0; j < nsubs; j++)
				(void)scan_lines(subs[j], NULL, &got[j]);
			if (got[0] == 0 || got[nsubs - 1] == 0)
				write_content(file, content[++i % 2 ? 0 : 1], size);
		}
		if (k == 1 && i % 2 == 1)	/* content[0] was the last */
			write_content(file, content[1], size);
		settle(subs, nsubs, 300000);
		line = lconn_call(req, "hash", sel);
		if (!resp_ok(line) || !line_hash(line, hash[k]))
			die("hash failed: %s", line);
	}
	if (strcmp(hash[0], cur) != 0)
		die("the file's own bytes give %s, not the starting %s", hash[0], cur);
	if (strcmp(hash[0], hash[1]) == 0)
		die("both contents give the same hash: is %s in the context?", file);
	settle(subs, nsubs, 100000);

	lat[0] = calloc((size_t)runs, sizeof(double));
	lat[1] = calloc((size_t)runs, sizeof(double));
	if (lat[0] == NULL || lat[1] == NULL)
		die("out of memory");
	events[0] = events[1] = 0;
	proc_io(pid, &io0);
	for (i = 0; i < runs; i++) {
		k = i % 2 == 0;		/* variant first, own bytes last */
		t0 = now_us();
		write_content(file, content[k], size);
		wait_hash(subs, nsubs, hash[k], t, events);
		lat[0][i] = t[0] - t0;
		printf("sample raw %.1f\n", lat[0][i]);
		if (nsubs > 1) {
			lat[1][i] = t[1] - t0;
			printf("sample watch %.1f\n", lat[1][i]);
		}
		/* The IN_CLOSE_WRITE after the write, and any late event,
		 * land before the next write. */
		settle(subs, nsubs, 20000);
	}
	proc_io(pid, &io1);
	if (runs % 2 == 1) {
		write_content(file, content[0], size);
		settle(subs, nsubs, 100000);
	}
	restore_file();
	summary("latency_raw", lat[0], (size_t)runs);
	if (nsubs > 1)
		summary("latency_watch", lat[1], (size_t)runs);
	printf("latency_io writes=%d rchar=%llu read_bytes=%llu syscr=%llu "
	    "cpu_ticks=%llu clk_tck=%ld events_raw=%d events_watch=%d "
	    "file_bytes=%zu hash0=%s hash1=%s\n", runs, io1.rchar - io0.rchar,
	    io1.read_bytes - io0.read_bytes, io1.syscr - io0.syscr,
	    io1.cpu_ticks - io0.cpu_ticks, sysconf(_SC_CLK_TCK), events[0],
	    events[1], size, hash[0], hash[1]);
	if (watcher > 0) {
		kill(watcher, SIGTERM);
		waitpid(watcher, NULL, 0);
		lconn_free(&cli);
	}
	lconn_free(raw);
	lconn_free(req);
	free(raw);
	free(req);
	free(lat[0]);
	free(lat[1]);
	free(content[0]);
	free(content[1]);
	return 0;
}

/* ---- status round trips ---- */

static int
cmd_rtt(int argc, char **argv)
{
	char sel[4096], *line;
	struct lconn *c;
	double *v, t0;
	int runs, i;

	if (argc != 5)
		die("usage: rtt SOCK ROOT BUILDER RUNS");
	selector(sel, sizeof(sel), argv[2], argv[3]);
	runs = atoi(argv[4]);
	if (runs < 1 || (v = calloc((size_t)runs, sizeof(*v))) == NULL)
		die("bad RUNS");
	c = connect_hello(argv[1]);
	/* Warm-up: the first requests page code in. */
	for (i = 0; i < 100; i++)
		(void)lconn_call(c, "status", sel);
	for (i = 0; i < runs; i++) {
		t0 = now_us();
		line = lconn_call(c, "status", sel);
		v[i] = now_us() - t0;
		if (!resp_ok(line) || strstr(line, "\"state\":\"ready\"") == NULL)
			die("status not ok and ready: %.300s", line);
	}
	printf("rtt_bytes %zu\n", strlen(line));
	summary("rtt", v, (size_t)runs);
	lconn_free(c);
	free(c);
	free(v);
	return 0;
}

struct par_arg {
	const char *sock, *sel;
	int runs, errors;
	double *v;
	pthread_barrier_t *bar;
};

static void *
par_client(void *arg)
{
	struct par_arg *a = arg;
	struct lconn *c = connect_hello(a->sock);
	char *line;
	double t0;
	int i;

	pthread_barrier_wait(a->bar);
	for (i = 0; i < a->runs; i++) {
		t0 = now_us();
		line = lconn_call(c, "status", a->sel);
		a->v[i] = now_us() - t0;
		if (!resp_ok(line) || strstr(line, "\"state\":\"ready\"") == NULL)
			a->errors++;
	}
	lconn_free(c);
	free(c);
	return NULL;
}

static int
cmd_rttpar(int argc, char **argv)
{
	char sel[4096];
	pthread_barrier_t bar;
	struct par_arg *a;
	pthread_t *tid;
	double *all, t0, wall;
	int clients, runs, i, errors = 0;

	if (argc != 6)
		die("usage: rttpar SOCK ROOT BUILDER CLIENTS RUNS");
	selector(sel, sizeof(sel), argv[2], argv[3]);
	clients = atoi(argv[4]);
	runs = atoi(argv[5]);
	if (clients < 1 || runs < 1)
		die("bad CLIENTS or RUNS");
	a = calloc((size_t)clients, sizeof(*a));
	tid = calloc((size_t)clients, sizeof(*tid));
	all = calloc((size_t)clients * (size_t)runs, sizeof(*all));
	if (a == NULL || tid == NULL || all == NULL)
		die("out of memory");
	pthread_barrier_init(&bar, NULL, (unsigned)clients + 1);
	for (i = 0; i < clients; i++) {
		a[i].sock = argv[1];
		a[i].sel = sel;
		a[i].runs = runs;
		a[i].v = all + (size_t)i * (size_t)runs;
		a[i].bar = &bar;
		if (pthread_create(&tid[i], NULL, par_client, &a[i]) != 0)
			die("pthread_create");
	}
	pthread_barrier_wait(&bar);
	t0 = now_us();
	for (i = 0; i < clients; i++) {
		pthread_join(tid[i], NULL);
		errors += a[i].errors;
	}
	wall = now_us() - t0;
	printf("rttpar clients=%d runs=%d errors=%d wall_us=%.0f\n", clients, runs,
	    errors, wall);
	summary("rttpar", all, (size_t)clients * (size_t)runs);
	free(a);
	free(tid);
	free(all);
	return errors != 0;
}

/* ---- whole processes ---- */

static pid_t
spawn_out(char **argv, const char *out)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out,
	    O_WRONLY | O_CREAT | O_TRUNC, 0644);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		die("spawn %s: %s", argv[0], strerror(rc));
	return pid;
}

static int
cmd_spawn(int argc, char **argv)
{
	double *v, t0;
	int runs, i, status;
	pid_t pid;

	if (argc < 3)
		die("usage: spawn RUNS CMD...");
	runs = atoi(argv[1]);
	if (runs < 1 || (v = calloc((size_t)runs, sizeof(*v))) == NULL)
		die("bad RUNS");
	for (i = -5; i < runs; i++) {	/* 5 warm-up runs */
		t0 = now_us();
		pid = spawn_out(argv + 2, "/dev/null");
		if (waitpid(pid, &status, 0) < 0)
			die("waitpid: %s", strerror(errno));
		if (i >= 0)
			v[i] = now_us() - t0;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die("%s failed (status %d)", argv[2], status);
	}
	summary("spawn", v, (size_t)runs);
	free(v);
	return 0;
}

static int
cmd_parallel(int argc, char **argv)
{
	char out[4096];
	int clients, i, gate[2], failed = 0, status;
	double t0, *v, wall = 0;
	pid_t *pids, pid;

	if (argc < 4)
		die("usage: parallel CLIENTS OUTDIR CMD...");
	clients = atoi(argv[1]);
	if (clients < 1 || (pids = calloc((size_t)clients, sizeof(*pids))) == NULL ||
	    (v = calloc((size_t)clients, sizeof(*v))) == NULL)
		die("bad CLIENTS");
	if (pipe2(gate, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	for (i = 0; i < clients; i++) {
		snprintf(out, sizeof(out), "%s/%d.out", argv[2], i);
		if ((pids[i] = fork()) < 0)
			die("fork: %s", strerror(errno));
		if (pids[i] == 0) {
			char c;
			int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			    0644);
			if (fd < 0 || dup2(fd, 1) < 0)
				_exit(126);
			close(gate[1]);
			/* Everyone waits here until the parent closes the gate. */
			while (read(gate[0], &c, 1) < 0 && errno == EINTR)
				;
			execv(argv[3], argv + 3);
			_exit(127);
		}
	}
	close(gate[0]);
	sleep_us(100000);	/* all forked and waiting */
	t0 = now_us();
	close(gate[1]);
	for (i = 0; i < clients; i++) {
		if ((pid = wait(&status)) < 0)
			die("wait: %s", strerror(errno));
		v[i] = now_us() - t0;
		wall = v[i];
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			failed++;
			fprintf(stderr, "ctxbench: client pid %ld: status %d\n",
			    (long)pid, status);
		}
	}
	printf("parallel clients=%d failed=%d wall_us=%.0f\n", clients, failed,
	    wall);
	summary("parallel", v, (size_t)clients);
	free(pids);
	free(v);
	return failed != 0;
}

/* ---- restart ---- */

static int
cmd_ready(int argc, char **argv)
{
	const char *ctxd, *sock;
	char sel[4096], rest[4200], logpath[4200], *line, h[HASH_LEN + 1];
	char *dargv[4];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct proc_io io;
	struct lconn c;
	double t0, t_conn, t, t_found;
	int fd, rc, events = 0;
	pid_t pid;

	if (argc != 5)
		die("usage: ready CTXD SOCK ROOT BUILDER");
	ctxd = argv[1];
	sock = argv[2];
	selector(sel, sizeof(sel), argv[3], argv[4]);
	snprintf(logpath, sizeof(logpath), "%s.log", sock);
	dargv[0] = (char *)(uintptr_t)ctxd;
	dargv[1] = (char *)(uintptr_t)"--socket";
	dargv[2] = (char *)(uintptr_t)sock;
	dargv[3] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, logpath,
	    O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);

	t0 = now_us();
	if ((rc = posix_spawn(&pid, ctxd, &fa, &attr, dargv, environ)) != 0)
		die("spawn %s: %s", ctxd, strerror(rc));
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	while ((fd = sock_connect(sock)) < 0) {
		if (errno != ENOENT && errno != ECONNREFUSED)
			die("connect %s: %s", sock, strerror(errno));
		if (waitpid(pid, &rc, WNOHANG) == pid)
			die("%s exited (see %s)", ctxd, logpath);
		if (now_us() - t0 > 10e6)
			die("%s did not listen within 10 s", ctxd);
		sleep_us(200);
	}
	t_conn = now_us() - t0;
	lconn_init(&c, fd);
	line = lconn_call(&c, "hello", ",\"version\":\"1.0\"");
	if (!resp_ok(line))
		die("hello: %s", line);
	line = lconn_call(&c, "watch", sel);
	if (!resp_ok(line))
		die("watch: %s", line);
	snprintf(rest, sizeof(rest), ",\"root\":\"%s\"", argv[3]);
	line = lconn_call(&c, "subscribe", rest);
	if (!resp_ok(line))
		die("subscribe: %s", line);
	for (;;) {
		line = lconn_call(&c, "status", sel);
		if (!resp_ok(line))
			die("status: %s", line);
		if (strstr(line, "\"state\":\"ready\"") != NULL && line_hash(line, h))
			break;
		if (strstr(line, "\"state\":\"scanning\"") == NULL)
			die("status neither scanning nor ready: %.300s", line);
		/* Wait for the next event, then ask again. */
		while (strstr(lconn_line(&c), "\"event\":") == NULL)
			;
		events++;
	}
	t = now_us() - t0;
	proc_io(pid, &io);
	/* Then the analysis (findings), which follows the hash. */
	for (;;) {
		line = lconn_call(&c, "status", sel);
		if (!resp_ok(line))
			die("status: %s", line);
		if (strstr(line, "\"analysis\":\"pending\"") == NULL)
			break;
		sleep_us(500);	/* no event marks its end when nothing is found */
	}
	t_found = now_us() - t0;
	printf("ready usec=%.0f listen_usec=%.0f findings_usec=%.0f pid=%ld "
	    "rchar=%llu read_bytes=%llu cpu_ticks=%llu waits=%d hash=%s\n", t,
	    t_conn, t_found, (long)pid, io.rchar, io.read_bytes, io.cpu_ticks,
	    events, h);
	lconn_free(&c);
	return 0;
}

/* ---- the system-call floor of a restart ---- */

static void
floor_dir(int in, const char *path, char *buf, size_t size)
{
	struct stat st;
	ssize_t n, off;
	int fd;

	if (inotify_add_watch(in, path, IN_MODIFY | IN_ATTRIB | IN_CREATE |
	    IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF |
	    IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW) < 0)
		die("inotify_add_watch %s: %s", path, strerror(errno));
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die("open %s: %s", path, strerror(errno));
	while ((n = getdents64(fd, buf, size)) > 0) {
		for (off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			off += d->d_reclen;
			if (strcmp(d->d_name, ".") != 0 &&
			    strcmp(d->d_name, "..") != 0)
				(void)fstatat(fd, d->d_name, &st,
				    AT_SYMLINK_NOFOLLOW);
		}
	}
	close(fd);
}

static int
cmd_floor(int argc, char **argv)
{
	char line[8192], **dirs = NULL;
	static char buf[65536];
	size_t n = 0, i;
	double *v, t0;
	int runs, r, in;
	FILE *f;

	if (argc != 3 || (runs = atoi(argv[2])) < 1)
		die("usage: floor DIRLIST RUNS");
	if ((f = fopen(argv[1], "r")) == NULL)
		die("%s: %s", argv[1], strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((dirs = realloc(dirs, (n + 1) * sizeof(*dirs))) == NULL ||
		    (dirs[n++] = strdup(line)) == NULL)
			die("out of memory");
	}
	fclose(f);
	if ((v = calloc((size_t)runs, sizeof(*v))) == NULL)
		die("out of memory");
	for (r = 0; r < runs; r++) {
		t0 = now_us();
		if ((in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0)
			die("inotify_init1: %s", strerror(errno));
		for (i = 0; i < n; i++)
			floor_dir(in, dirs[i], buf, sizeof(buf));
		close(in);
		v[r] = now_us() - t0;
	}
	summary("floor", v, (size_t)runs);
	for (i = 0; i < n; i++)
		free(dirs[i]);
	free(dirs);
	free(v);
	return 0;
}

/* ---- an idle daemon ---- */

static int
cmd_idle(int argc, char **argv)
{
	struct lconn *c;
	char *line;

	if (argc != 2)
		die("usage: idle SOCK");
	c = connect_hello(argv[1]);
	line = lconn_call(c, "list", "");
	if (!resp_ok(line))
		die("list: %s", line);
	printf("idle %s\n", line);
	lconn_free(c);
	free(c);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: ctxbench latency|rtt|rttpar|spawn|parallel|idle|ready|floor ...");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[1], "latency") == 0)
		return cmd_latency(argc - 1, argv + 1);
	if (strcmp(argv[1], "rtt") == 0)
		return cmd_rtt(argc - 1, argv + 1);
	if (strcmp(argv[1], "rttpar") == 0)
		return cmd_rttpar(argc - 1, argv + 1);
	if (strcmp(argv[1], "spawn") == 0)
		return cmd_spawn(argc - 1, argv + 1);
	if (strcmp(argv[1], "parallel") == 0)
		return cmd_parallel(argc - 1, argv + 1);
	if (strcmp(argv[1], "ready") == 0)
		return cmd_ready(argc - 1, argv + 1);
	if (strcmp(argv[1], "idle") == 0)
		return cmd_idle(argc - 1, argv + 1);
	if (strcmp(argv[1], "floor") == 0)
		return cmd_floor(argc - 1, argv + 1);
	die("unknown mode %s", argv[1]);
}
