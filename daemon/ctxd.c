/*
 * ctxd: the daemon's main.  Always in the foreground (systemd style),
 * logging to stderr; one thread, one sd-event loop serving the socket, the
 * clients, the projects' watches and the signals: SIGTERM/SIGINT stop
 * cleanly (socket removed, projects freed, which flushes their caches),
 * SIGHUP reloads every project.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "conn.h"
#include "log.h"
#include "proto.h"
#include "registry.h"
#include "server.h"
#include "sockpath.h"

static const char usage_text[] =
"usage: ctxd [--socket PATH] [--idle-timeout SECONDS] [--max-projects N]\n"
"            [--foreground] [--verbose]\n"
"\n"
"The ctxd daemon: keeps the build context of the watched directories and\n"
"answers ctxctl over a Unix socket.  Runs in the foreground and logs to\n"
"standard error; ctxctl starts it on demand, or systemd through ctxd.socket.\n"
"\n"
"Options:\n"
"  -s, --socket PATH   listen on PATH (default: $CTXD_SOCKET, else\n"
"                      $XDG_RUNTIME_DIR/ctxd/ctxd.sock, else\n"
"                      /tmp/ctxd-$UID/ctxd.sock)\n"
"      --idle-timeout SECONDS\n"
"                      unwatch a project no client has asked about for this\n"
"                      long and nobody subscribes to (default 86400; 0: never)\n"
"      --max-projects N\n"
"                      watch at most N projects: a new one then replaces the\n"
"                      least recently used without a subscriber (default 4096)\n"
"      --foreground    accepted for compatibility: ctxd never forks\n"
"  -v, --verbose       log every client connection and request\n"
"  -h, --help          this help\n"
"  -V, --version       the version\n"
"\n"
"Signals: SIGTERM and SIGINT stop ctxd cleanly, SIGHUP re-reads every\n"
"project.  Exit status: 0 after a clean stop, 1 when ctxd cannot start\n"
"(another ctxd listens on the socket, an unsafe socket directory), 2 usage.\n";

static const struct option longopts[] = {
	{"socket", required_argument, NULL, 's'},
	{"foreground", no_argument, NULL, 'F'},
	{"idle-timeout", required_argument, NULL, 'I'},
	{"max-projects", required_argument, NULL, 'M'},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

/* A whole decimal number, at most max. */
static int
parse_count(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
ctxd_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *arg)
{
	(void)arg;
	if (si->ssi_signo == SIGHUP) {
		registry_reload();
		return 0;
	}
	log_info("%s: shutting down", strsignal((int)si->ssi_signo));
	sd_event_exit(sd_event_source_get_event(s), 0);
	return 0;
}

static void
ctxd_status(void)
{
	sd_notifyf(0, "STATUS=%zu project(s) watched", registry_count());
}

int
main(int argc, char **argv)
{
	char path[SOCKPATH_MAX];
	const char *given = NULL;
	struct ctx_error err;
	struct server *srv;
	sd_event *loop = NULL;
	sigset_t mask;
	bool verbose = false;
	uint64_t idle_sec = REGISTRY_IDLE_DEFAULT_SEC, max_projects = REGISTRY_MAX;
	int ch, r, i;
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};

	/* A long-running daemon's memory is its steady state: large blocks
	 * (a walk's entry list and paths) are mmap'ed and go back to the
	 * system when freed, at a threshold that does not creep up as glibc's
	 * dynamic one does; and the hashing threads share one arena rather
	 * than each keeping its own. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_ARENA_MAX, 1);
	while ((ch = getopt_long(argc, argv, "s:vhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			given = optarg;
			break;
		case 'F':
			break;
		case 'I':
			if (parse_count(optarg, 10ull * 366 * 24 * 3600, &idle_sec) < 0) {
				fprintf(stderr, "ctxd: --idle-timeout: '%s' is not a "
				    "number of seconds\nTry 'ctxd --help'.\n", optarg);
				return 2;
			}
			break;
		case 'M':
			if (parse_count(optarg, REGISTRY_MAX, &max_projects) < 0 ||
			    max_projects == 0) {
				fprintf(stderr, "ctxd: --max-projects: '%s' is not a "
				    "number from 1 to %d\nTry 'ctxd --help'.\n", optarg,
				    REGISTRY_MAX);
				return 2;
			}
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("ctxd %s (protocol %s)\n", CTXD_VERSION,
			    CTXD_PROTO_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'ctxd --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ctxd: unexpected argument '%s'\n"
		    "Try 'ctxd --help'.\n", argv[optind]);
		return 2;
	}
	log_init("ctxd", verbose);
	/* Every path we use is absolute: do not pin the cwd we were started in. */
	if (chdir("/") < 0)
		fatal("chdir /");
	if (sockpath_resolve(given, path, &err) < 0)
		fatalx("%s", err.msg);

	/* Signals arrive as loop events; a client that hangs up must not
	 * kill us (every send is MSG_NOSIGNAL too). */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	for (i = 0; i < 3; i++)
		sigaddset(&mask, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		fatal("sigprocmask");
	if ((r = sd_event_default(&loop)) < 0)
		fatalx("sd_event_default: %s", strerror(-r));
	for (i = 0; i < 3; i++)
		if ((r = sd_event_add_signal(loop, NULL, sigs[i], ctxd_signal,
		    NULL)) < 0)
			fatalx("sd_event_add_signal: %s", strerror(-r));
	if (conn_init(loop, &err) < 0)
		fatalx("%s", err.msg);
	registry_init(loop, idle_sec, (size_t)max_projects);
	if ((srv = server_open(loop, path, &err)) == NULL)
		fatalx("%s", err.msg);
	log_info("listening on %s%s (pid %ld, protocol %s)", server_path(srv),
	    server_activated(srv) ? " (from systemd)" : "", (long)getpid(),
	    CTXD_PROTO_VERSION);
	sd_notify(0, "READY=1");
	ctxd_status();

	r = sd_event_loop(loop);

	sd_notify(0, "STOPPING=1");
	conn_shutdown();
	server_close(srv);
	registry_free();
	sd_event_unref(loop);
	if (r < 0)
		fatalx("event loop: %s", strerror(-r));
	log_info("stopped");
	return 0;
}
