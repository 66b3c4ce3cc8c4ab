/*
 * ctxctl: the command-line client.  ls, manifest, hash and check are
 * answered by ctxd (started on demand) or, with --no-daemon, computed in
 * this process through the same engine library the daemon links, so the
 * two print the same bytes; status, watch and shutdown need the daemon;
 * suggest and fix compute in this process.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "client.h"
#include "context.h"
#include "hazrules.h"
#include "manifest.h"
#include "proto.h"
#include "sockpath.h"
#include "suggestcmd.h"

#define EXIT_REFUSED 1	/* the context cannot be computed, or a daemon error */
#define EXIT_USAGE 2

struct cli {
	struct context_options ctx;
	const char **build_args;
	size_t nbuild_args;
	int no_daemon;
	int json;
	struct check_options check;
	bool check_opts;	/* --format or --fail-on given */
	bool large_opt;		/* --large given */
	bool builder_given;	/* --builder given (suggest, fix: one builder) */
	const char *socket;
};

static const char usage_text[] =
"usage: ctxctl [OPTIONS] COMMAND [DIR]\n"
"\n"
"Tells exactly which files `docker build` would send as the build context\n"
"of DIR (default: the current directory).\n"
"\n"
"Commands:\n"
"  ls         list the context, one entry a line, as docker's tar names it\n"
"             (directories end in '/'; bytes 0x00-0x1f, 0x7f and '\\' as \\xHH;\n"
"             sorted as LC_ALL=C sort sorts)\n"
"  manifest   print the ctx-v1 manifest: '<type> <perm> <size> <digest> <path>'\n"
"  hash       print the context hash, sha256:<hex> of the manifest\n"
"  check      report hazards in the context (secrets, virtualenvs, .git,\n"
"             caches, large and git-ignored files) and dead weight; exit 0\n"
"             clean, 1 a finding at or above --fail-on, 2 an error\n"
"  suggest    print, as a unified diff against each ignore file, the few\n"
"             lines that remove every hazard and all dead weight without\n"
"             removing anything the Dockerfile uses, proven by recomputing\n"
"             the context; exit 0 nothing to suggest, 1 a suggestion, 2 error\n"
"  fix        append those lines to the ignore files (each previous file\n"
"             kept as FILE.bak); exit 0 done, 2 error\n"
"  status     the daemon's view of DIR: state, entries, bytes, hash, findings\n"
"  watch      print the daemon's events for DIR until interrupted\n"
"  shutdown   stop the daemon\n"
"\n"
"ls, manifest, hash and check ask the daemon ctxd, starting it when none\n"
"runs, and register DIR with it; --no-daemon computes them in this process\n"
"instead, with the same output and exit status.  suggest and fix compute in\n"
"this process either way, and analyse both builders unless --builder names\n"
"one.\n"
"\n"
"Options:\n"
"  -f, --file DOCKERFILE    the Dockerfile, relative to the current directory\n"
"                           (default: DIR/Dockerfile)\n"
"      --builder NAME       buildkit (default, what Docker 23+ uses) or classic;\n"
"                           without it, DOCKER_BUILDKIT=0 in the environment\n"
"                           selects classic, as it does for docker build\n"
"      --target STAGE       BuildKit: the stage to build (default: the last)\n"
"      --build-arg K=V      BuildKit: a build argument (repeatable)\n"
"      --no-daemon          compute in this process, never talk to or start\n"
"                           the daemon (ls, manifest, hash and check only)\n"
"      --format FMT         check: text (default), json or sarif (2.1.0)\n"
"      --fail-on LEVEL      check: critical, high (default), medium or low\n"
"      --large SIZE         check: files over SIZE bytes (K, M, G suffixes)\n"
"                           are `large` (default 50M)\n"
"      --json               status and watch: JSON, one object a line\n"
"      --socket PATH        the daemon's socket (default: $CTXD_SOCKET, else\n"
"                           $XDG_RUNTIME_DIR/ctxd/ctxd.sock, else\n"
"                           /tmp/ctxd-$UID/ctxd.sock)\n"
"  -h, --help               this help; `ctxctl COMMAND --help` for one command\n"
"  -V, --version            the version\n"
"\n"
"Exit status: 0 success; 1 the context cannot be computed (docker would\n"
"refuse it, a bad pattern, a missing or invalid Dockerfile, an I/O error)\n"
"or the daemon cannot be reached or started, with one line on stderr\n"
"saying why; 2 usage error.\n";

static const char *const command_help[][2] = {
	{"ls", "usage: ctxctl ls [-f DOCKERFILE] [--builder classic|buildkit] "
	    "[--target STAGE] [--build-arg K=V] [--no-daemon] [DIR]\n"
	    "Lists the entries docker would send, one a line, as docker's tar "
	    "names them\n(directories end in '/'), escaped (0x00-0x1f, 0x7f and "
	    "'\\' as \\xHH), sorted by bytes.\n"},
	{"manifest", "usage: ctxctl manifest [-f DOCKERFILE] [--builder "
	    "classic|buildkit] [--target STAGE] [--build-arg K=V] [--no-daemon] "
	    "[DIR]\nPrints the ctx-v1 manifest: one '<type> <perm> <size> "
	    "<digest> <path>' record\nper entry, sorted by path bytes.\n"},
	{"hash", "usage: ctxctl hash [-f DOCKERFILE] [--builder "
	    "classic|buildkit] [--target STAGE] [--build-arg K=V] [--no-daemon] "
	    "[DIR]\nPrints sha256:<hex>, the SHA-256 of the manifest "
	    "(`ctxctl manifest | sha256sum`).\n"},
	{"check", "usage: ctxctl check [--format text|json|sarif] [--fail-on "
	    "critical|high|medium|low]\n    [--large SIZE] [-f DOCKERFILE] "
	    "[--builder classic|buildkit] [--target STAGE]\n    [--build-arg K=V] "
	    "[--no-daemon] [DIR]\n"
	    "Reports the hazards in what docker would send: secrets (by name and "
	    "content,\nnever printed: a redacted preview), virtualenvs, .git/.hg/"
	    ".svn, __pycache__,\nnode_modules, tool caches, editor junk and core "
	    "dumps, large files, files git\nignores; whether a COPY/ADD puts each "
	    "into an image layer (a secret that is\nin_image is critical); and the "
	    "dead weight no instruction uses.  Accept a\nfinding with `# ctxd:allow "
	    "RULE PATH` in .dockerignore or `RULE PATH` in\n.ctxdignore.  The daemon "
	    "answers (started when none runs, DIR registered),\nfrom what it keeps "
	    "up to date; --no-daemon computes the same report in this\nprocess.  "
	    "Exit 0 when nothing at or above --fail-on (default high) is found,\n"
	    "1 when something is, 2 on error (the daemon unreachable too).\n"},
	{"suggest", "usage: ctxctl suggest [--large SIZE] [-f DOCKERFILE] "
	    "[--builder classic|buildkit]\n    [--target STAGE] [--build-arg K=V] "
	    "[--no-daemon] [DIR]\n"
	    "Prints the ignore-file lines that remove every hazard check "
	    "reports and all\ndead weight, as a unified diff against each "
	    "file that needs lines (`patch -p1`\napplies it): .dockerignore, "
	    "and NAME.dockerignore when BuildKit reads that\ninstead, each "
	    "with the lines proven for the builders that read it.  Anchored\n"
	    "exact paths (`/path`), `**/name` for a name found at several "
	    "places, `/dir/*.ext`\nor `**/*.ext` for unused files of one "
	    "extension when that matches nothing\nkept; no `!` exception, one "
	    "`# ctxd: ...` comment per block.  Nothing a\n"
	    "source names, no other used entry, neither the Dockerfile nor "
	    ".dockerignore\nis excluded; a hazard the Dockerfile names is kept "
	    "and told on stderr.  Both\nbuilders are analysed unless --builder "
	    "names one, and the lines are proven by\nrecomputing the context "
	    "with them.  No line can be dropped without a hazard\nor dead "
	    "weight coming back.  Exit 0 when there is nothing to suggest, 1 "
	    "when a\nsuggestion is printed, 2 on error.\n"},
	{"fix", "usage: ctxctl fix [--large SIZE] [-f DOCKERFILE] "
	    "[--builder classic|buildkit]\n    [--target STAGE] [--build-arg K=V] "
	    "[--no-daemon] [DIR]\n"
	    "Appends what suggest prints to each ignore file, keeping its lines "
	    "and comments:\neach previous file is kept as FILE.bak (which the "
	    "lines exclude too), the\nnew one written to a temporary file and "
	    "renamed over it (each file on its own:\nif the second write fails, "
	    "the first is already changed).  Exit 0 when done or\nwhen there is "
	    "nothing to fix, 2 on error.\n"},
	{"status", "usage: ctxctl status [--json] [-f DOCKERFILE] [--builder "
	    "classic|buildkit] [--target STAGE] [--build-arg K=V] [DIR]\n"
	    "Prints the daemon's view of DIR (registering it first): state, "
	    "entries, bytes,\nhash, findings, watches, last change; --json: one "
	    "JSON object, whose\n\"analysis\" is \"pending\" while the findings "
	    "are still those of the context\nbefore the last change (for some "
	    "tens of milliseconds; `check` waits for\nthem).\n"},
	{"watch", "usage: ctxctl watch [--json] [-f DOCKERFILE] [--builder "
	    "classic|buildkit] [--target STAGE] [--build-arg K=V] [DIR]\n"
	    "Registers DIR with the daemon and prints its events (context, "
	    "hazard, resync,\nerror) until interrupted; --json: one JSON object "
	    "a line.\n"},
	{"shutdown", "usage: ctxctl shutdown\nStops the daemon (an error when "
	    "none runs).\n"},
};

static void
warn_stderr(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "ctxctl: warning: %s\n", msg);
}

static int
usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "ctxctl: %s '%s'\nTry 'ctxctl --help'.\n", what, arg);
	return EXIT_USAGE;
}

static int
write_all(const char *data, size_t len)
{
	if (len > 0 && fwrite(data, 1, len, stdout) != len)
		return -1;
	return fflush(stdout);
}

static int
run_command(const char *cmd, struct cli *cli)
{
	struct context c;
	struct ctx_error err = {0, 0, ""};
	struct manifest_buf out;
	char hash[MANIFEST_HASH_SIZE];
	int rc;

	/* BuildKit's listing is names only: no file needs reading (one it
	 * cannot read is sent empty, and listed all the same).  The classic
	 * builder refuses a context with an unreadable file its pre-check
	 * let through (re-included by a `!`): only reading tells. */
	cli->ctx.no_digest = strcmp(cmd, "ls") == 0 &&
	    cli->ctx.builder == BUILDER_BUILDKIT;
	if (context_build(&cli->ctx, &c, &err) < 0) {
		fprintf(stderr, "ctxctl: %s\n", err.msg);
		return EXIT_REFUSED;
	}
	manifest_buf_init(&out);
	if (strcmp(cmd, "ls") == 0) {
		rc = listing_write(&out, &c.entries, &err);
	} else if (strcmp(cmd, "manifest") == 0) {
		rc = manifest_write(&out, &c.entries, &err);
	} else {
		rc = manifest_hash(&c.entries, hash, &err);
		if (rc == 0) {
			out.data = hash;
			out.len = strlen(hash);
			hash[out.len++] = '\n';
		}
	}
	if (rc == 0 && write_all(out.data, out.len) < 0) {
		perror("ctxctl: write");
		rc = -1;
	} else if (rc < 0) {
		fprintf(stderr, "ctxctl: %s\n", err.msg);
	}
	if (out.data != hash)
		manifest_buf_free(&out);
	context_free(&c);
	return rc < 0 ? EXIT_REFUSED : 0;
}

static const char *
command_usage(const char *cmd)
{
	size_t i;

	for (i = 0; i < sizeof(command_help) / sizeof(command_help[0]); i++)
		if (strcmp(cmd, command_help[i][0]) == 0)
			return command_help[i][1];
	return NULL;
}

/* The commands --no-daemon computes in this process. */
static int
local_command(const char *cmd)
{
	return strcmp(cmd, "ls") == 0 || strcmp(cmd, "manifest") == 0 ||
	    strcmp(cmd, "hash") == 0 || strcmp(cmd, "check") == 0 ||
	    strcmp(cmd, "suggest") == 0 || strcmp(cmd, "fix") == 0;
}

/* The daemon path. */

static int
daemon_fail(const char *msg)
{
	fprintf(stderr, "ctxctl: %s\n", msg);
	return EXIT_REFUSED;
}

static int
daemon_fail_resp(const json_t *resp)
{
	fprintf(stderr, "ctxctl: %s\n", client_error_message(resp));
	return EXIT_REFUSED;
}

static int
set_bytes(json_t *o, const char *key, const char *s)
{
	return json_object_set_new(o, key, proto_str_json(s));
}

/*
 * The project selector the daemon keys projects by: root as the engine
 * resolves it (absolute, symlinks resolved), -f made absolute against our
 * cwd as docker takes it, the builder, target and build arguments.
 */
static json_t *
daemon_selector(const char *cmd, const struct cli *cli)
{
	char *root, *df = NULL, cwd[PATH_MAX];
	json_t *sel, *args;
	size_t i;

	if ((root = realpath(cli->ctx.dir, NULL)) == NULL) {
		fprintf(stderr, "ctxctl: unable to prepare context: path \"%s\" "
		    "not found: %s\n", cli->ctx.dir, strerror(errno));
		return NULL;
	}
	if (cli->ctx.dockerfile != NULL && cli->ctx.dockerfile[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL ||
		    asprintf(&df, "%s/%s", cwd, cli->ctx.dockerfile) < 0) {
			perror("ctxctl: getcwd");
			free(root);
			return NULL;
		}
	} else if (cli->ctx.dockerfile != NULL)
		df = strdup(cli->ctx.dockerfile);
	sel = json_pack("{s:s,s:s}", "cmd", cmd, "builder",
	    cli->ctx.builder == BUILDER_CLASSIC ? "classic" : "buildkit");
	args = json_array();
	if (sel == NULL || args == NULL || set_bytes(sel, "root", root) < 0 ||
	    (df != NULL && set_bytes(sel, "dockerfile", df) < 0) ||
	    (cli->ctx.target != NULL &&
	    set_bytes(sel, "target", cli->ctx.target) < 0))
		goto nomem;
	for (i = 0; i < cli->nbuild_args; i++)
		if (json_array_append_new(args,
		    proto_str_json(cli->build_args[i])) < 0)
			goto nomem;
	if (json_object_set(sel, "build_args", args) < 0)
		goto nomem;
	json_decref(args);
	free(root);
	free(df);
	return sel;
nomem:
	fprintf(stderr, "ctxctl: out of memory\n");
	json_decref(args);
	json_decref(sel);
	free(root);
	free(df);
	return NULL;
}

/* docker's warnings about the context, as --no-daemon prints them. */
static void
print_warnings(const json_t *resp)
{
	const json_t *w;
	struct ctx_error err;
	size_t i;
	char *s;

	json_array_foreach(json_object_get(resp, "warnings"), i, w) {
		if (proto_json_str(w, &s, &err) == 0) {
			warn_stderr(NULL, s);
			free(s);
		}
	}
}

static bool
resp_ok(const json_t *resp)
{
	return json_is_true(json_object_get(resp, "ok"));
}

/*
 * Asks cmd about the project of sel; while the daemon is still scanning
 * (not-ready), subscribes to the root and asks again after each of its
 * events.  *resp is the final response, ok or not.
 */
static int
daemon_ask(struct client *c, const json_t *sel, const char *cmd,
    json_t **resp)
{
	struct ctx_error err;
	json_t *req, *ev;
	bool subscribed = false;

	for (;;) {
		if ((req = json_deep_copy(sel)) == NULL ||
		    json_object_set_new(req, "cmd", json_string(cmd)) < 0) {
			json_decref(req);
			return daemon_fail("out of memory");
		}
		if (client_call(c, req, resp, &err) < 0) {
			json_decref(req);
			return daemon_fail(err.msg);
		}
		json_decref(req);
		if (resp_ok(*resp) ||
		    strcmp(client_error_code(*resp), PROTO_E_NOT_READY) != 0)
			return 0;
		json_decref(*resp);
		*resp = NULL;
		if (!subscribed) {
			req = json_pack("{s:s,s:O}", "cmd", "subscribe", "root",
			    json_object_get(sel, "root"));
			if (req == NULL || client_call(c, req, resp, &err) < 0) {
				json_decref(req);
				return daemon_fail(req ? err.msg : "out of memory");
			}
			json_decref(req);
			json_decref(*resp);
			*resp = NULL;
			subscribed = true;
			continue;
		}
		if (client_event(c, &ev, &err) < 0)
			return daemon_fail(err.msg);
		json_decref(ev);
	}
}

static void
print_json_line(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT);

	if (s != NULL)
		printf("%s\n", s);
	free(s);
}

/* A scalar as text: strings as they are, the rest as JSON. */
static void
print_field(const char *label, const json_t *v)
{
	char *s;

	if (v == NULL)
		return;
	if (json_is_string(v)) {
		printf("%-12s %s\n", label, json_string_value(v));
		return;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	printf("%-12s %s\n", label, s ? s : "?");
	free(s);
}

static void
print_status(const json_t *st, int json)
{
	const json_t *f;

	if (json) {
		print_json_line(st);
		return;
	}
	print_field("root:", json_object_get(st, "root"));
	print_field("builder:", json_object_get(st, "builder"));
	print_field("state:", json_object_get(st, "state"));
	if (json_object_get(st, "error") != NULL)
		print_field("error:", json_object_get(st, "error"));
	print_field("entries:", json_object_get(st, "entries"));
	print_field("bytes:", json_object_get(st, "bytes"));
	print_field("hash:", json_object_get(st, "hash"));
	f = json_object_get(st, "findings");
	if (json_is_array(f))
		printf("%-12s %zu\n", "findings:", json_array_size(f));
	print_field("watches:", json_object_get(st, "watches"));
	print_field("last change:", json_object_get(st, "last_change"));
}

static void
print_event(const json_t *ev, int json)
{
	const char *name = json_string_value(json_object_get(ev, "event"));
	const char *root = json_string_value(json_object_get(ev, "root"));
	char when[16];
	time_t now = time(NULL);
	struct tm tm;
	json_t *rest;

	if (json) {
		print_json_line(ev);
		fflush(stdout);
		return;
	}
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	printf("%s %s %s", when, name ? name : "?", root ? root : "-");
	if (name != NULL && strcmp(name, "context") == 0)
		printf(" %s (%" JSON_INTEGER_FORMAT " entries, %"
		    JSON_INTEGER_FORMAT " bytes)",
		    json_string_value(json_object_get(ev, "hash")),
		    json_integer_value(json_object_get(ev, "entries")),
		    json_integer_value(json_object_get(ev, "bytes")));
	else if (name != NULL && strcmp(name, "error") == 0)
		printf(": %s", client_error_message(ev));
	else if ((rest = json_deep_copy(ev)) != NULL) {
		json_object_del(rest, "event");
		json_object_del(rest, "root");
		printf(" ");
		fflush(stdout);
		json_dumpf(rest, stdout, JSON_COMPACT);
		json_decref(rest);
	}
	printf("\n");
	fflush(stdout);
}

/* Streams the events of the project until interrupted or disconnected. */
static int
daemon_watch(struct client *c, const json_t *sel, const json_t *status,
    int json)
{
	struct ctx_error err;
	json_t *req, *resp, *ev;

	req = json_pack("{s:s,s:O}", "cmd", "subscribe", "root",
	    json_object_get(sel, "root"));
	if (req == NULL || client_call(c, req, &resp, &err) < 0) {
		json_decref(req);
		return daemon_fail(req ? err.msg : "out of memory");
	}
	json_decref(req);
	if (!resp_ok(resp)) {
		daemon_fail_resp(resp);
		json_decref(resp);
		return EXIT_REFUSED;
	}
	json_decref(resp);
	if (!json) {
		printf("watching %s: %s, %s\n",
		    json_string_value(json_object_get(status, "root")),
		    json_string_value(json_object_get(status, "state")),
		    json_is_string(json_object_get(status, "hash")) ?
		    json_string_value(json_object_get(status, "hash")) : "no hash");
		fflush(stdout);
	}
	for (;;) {
		if (client_event(c, &ev, &err) < 0)
			return daemon_fail(err.msg);
		print_event(ev, json);
		json_decref(ev);
	}
}

static int
daemon_shutdown(const char *path)
{
	struct ctx_error err;
	struct client *c;
	json_t *req, *resp;
	int rc = EXIT_REFUSED;

	if ((c = client_open(path, false, &err)) == NULL) {
		if (err.code == CTX_ERR_SYS && (err.sys_errno == ENOENT ||
		    err.sys_errno == ECONNREFUSED))
			fprintf(stderr, "ctxctl: no ctxd running on %s\n", path);
		else
			fprintf(stderr, "ctxctl: %s\n", err.msg);
		return EXIT_REFUSED;
	}
	if ((req = json_pack("{s:s}", "cmd", "shutdown")) != NULL &&
	    client_call(c, req, &resp, &err) == 0) {
		rc = resp_ok(resp) ? 0 : daemon_fail_resp(resp);
		json_decref(resp);
	} else
		daemon_fail(req ? err.msg : "out of memory");
	json_decref(req);
	client_free(c);
	return rc;
}

/* check's request fields on top of the project selector. */
static int
check_fields(json_t *sel, const struct check_options *opt)
{
	if (json_object_set_new(sel, "fail_on", json_string(
	    hazard_severity_name((enum hazard_severity)opt->fail_on))) < 0)
		return -1;
	if (opt->large_bytes != 0 && json_object_set_new(sel, "large_bytes",
	    json_integer((json_int_t)opt->large_bytes)) < 0)
		return -1;
	return 0;
}

/* The answer of cmd (ok), printed as --no-daemon prints it; the status. */
static int
daemon_print(const char *cmd, struct cli *cli, const json_t *resp)
{
	char hash[MANIFEST_HASH_SIZE + 1];
	struct manifest_buf out;
	struct ctx_error err;
	int rc;

	print_warnings(resp);
	if (strcmp(cmd, "check") == 0)
		return check_print(&cli->check, json_object_get(resp, "report"));
	if (strcmp(cmd, "status") == 0) {
		print_status(json_object_get(resp, "status"), cli->json);
		return 0;
	}
	manifest_buf_init(&out);
	if (strcmp(cmd, "hash") == 0) {
		snprintf(hash, sizeof(hash), "%s\n", json_string_value(
		    json_object_get(resp, "hash")));
		rc = write_all(hash, strlen(hash));
	} else if (proto_text_get(resp, &out, &err) < 0) {
		manifest_buf_free(&out);
		return daemon_fail(err.msg);
	} else
		rc = write_all(out.data, out.len);
	if (rc < 0)
		perror("ctxctl: write");
	manifest_buf_free(&out);
	return rc < 0 ? EXIT_REFUSED : 0;
}

/*
 * Every command but --no-daemon ones: register DIR, then ask.  A failure
 * exits 1, but for check, whose 1 means "found": there it is 2.
 */
static int
daemon_command(const char *cmd, struct cli *cli)
{
	char path[SOCKPATH_MAX];
	struct ctx_error err;
	struct client *c;
	json_t *sel, *resp = NULL, *status;
	int fail = strcmp(cmd, "check") == 0 ? CHECK_EXIT_ERROR : EXIT_REFUSED;
	int rc = fail;

	if (sockpath_resolve(cli->socket, path, &err) < 0) {
		daemon_fail(err.msg);
		return fail;
	}
	if (strcmp(cmd, "shutdown") == 0)
		return daemon_shutdown(path);
	if ((sel = daemon_selector("watch", cli)) == NULL)
		return fail;
	if ((c = client_open(path, true, &err)) == NULL) {
		json_decref(sel);
		daemon_fail(err.msg);
		return fail;
	}
	if (client_call(c, sel, &resp, &err) < 0) {
		daemon_fail(err.msg);
		goto out;
	}
	if (!resp_ok(resp)) {
		daemon_fail_resp(resp);
		goto out;
	}
	json_object_del(sel, "id");
	if (strcmp(cmd, "watch") == 0) {
		status = json_incref(json_object_get(resp, "status"));
		rc = daemon_watch(c, sel, status, cli->json);
		json_decref(status);
		goto out;
	}
	json_decref(resp);
	resp = NULL;
	if (strcmp(cmd, "check") == 0 && check_fields(sel, &cli->check) < 0) {
		daemon_fail("out of memory");
		goto out;
	}
	if (daemon_ask(c, sel, cmd, &resp) != 0)
		goto out;
	if (!resp_ok(resp)) {
		daemon_fail_resp(resp);
		goto out;
	}
	rc = daemon_print(cmd, cli, resp);
out:
	json_decref(resp);
	json_decref(sel);
	client_free(c);
	return rc;
}

/* docker build's own switch: DOCKER_BUILDKIT=0 (or false) is the classic
 * builder.  --builder overrides it. */
static enum builder
default_builder(void)
{
	const char *v = getenv("DOCKER_BUILDKIT");

	if (v != NULL && (strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0))
		return BUILDER_CLASSIC;
	return BUILDER_BUILDKIT;
}

/* "123", "4K", "50M", "1G" (powers of 1024) into *out; -1 if malformed. */
static int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || errno != 0 || *s == '-')
		return -1;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift != 0)
		end++;
	if (*end != '\0' || v == 0 || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static const struct option longopts[] = {
	{"file", required_argument, NULL, 'f'},
	{"builder", required_argument, NULL, 'b'},
	{"target", required_argument, NULL, 't'},
	{"build-arg", required_argument, NULL, 'a'},
	{"no-daemon", no_argument, NULL, 'n'},
	{"json", no_argument, NULL, 'j'},
	{"socket", required_argument, NULL, 's'},
	{"format", required_argument, NULL, 'F'},
	{"fail-on", required_argument, NULL, 'O'},
	{"large", required_argument, NULL, 'L'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

/* Fills cli from argv; returns -1 to go on and run *cmd, else the status
 * to exit with (help, version, usage errors). */
static int
parse_args(int argc, char **argv, struct cli *cli, const char **cmd)
{
	int ch, help = 0, builder;

	while ((ch = getopt_long(argc, argv, "f:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			cli->ctx.dockerfile = optarg;
			break;
		case 'b':
			if ((builder = context_builder_parse(optarg)) < 0)
				return usage_error("unknown builder (classic or buildkit):", optarg);
			cli->ctx.builder = (enum builder)builder;
			cli->builder_given = true;
			break;
		case 't':
			cli->ctx.target = optarg;
			break;
		case 'a':
			if (strchr(optarg, '=') == NULL)
				return usage_error("--build-arg is not NAME=VALUE:", optarg);
			cli->build_args[cli->nbuild_args++] = optarg;
			break;
		case 'n':
			cli->no_daemon = 1;
			break;
		case 'j':
			cli->json = 1;
			break;
		case 's':
			cli->socket = optarg;
			break;
		case 'F':
			if (strcmp(optarg, "text") == 0)
				cli->check.format = CHECK_TEXT;
			else if (strcmp(optarg, "json") == 0)
				cli->check.format = CHECK_JSON;
			else if (strcmp(optarg, "sarif") == 0)
				cli->check.format = CHECK_SARIF;
			else
				return usage_error("unknown format (text, json or sarif):", optarg);
			cli->check_opts = true;
			break;
		case 'O':
			if ((cli->check.fail_on = hazard_severity_parse(optarg)) < 0)
				return usage_error("unknown level (critical, high, medium "
				    "or low):", optarg);
			cli->check_opts = true;
			break;
		case 'L':
			if (parse_size(optarg, &cli->check.large_bytes) < 0)
				return usage_error("bad size (bytes, or with K, M or G):",
				    optarg);
			cli->large_opt = true;
			break;
		case 'h':
			help = 1;
			break;
		case 'V':
			printf("ctxctl %s\n", CTXD_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'ctxctl --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage_text, help ? stdout : stderr);
		return help ? 0 : EXIT_USAGE;
	}
	*cmd = argv[optind++];
	if (command_usage(*cmd) == NULL)
		return usage_error("unknown command", *cmd);
	if (help) {
		fputs(command_usage(*cmd), stdout);
		return 0;
	}
	if (cli->no_daemon && !local_command(*cmd))
		return usage_error("--no-daemon does not apply to", *cmd);
	if (cli->check_opts && strcmp(*cmd, "check") != 0)
		return usage_error("--format and --fail-on apply to check, not",
		    *cmd);
	if (cli->large_opt && strcmp(*cmd, "check") != 0 &&
	    strcmp(*cmd, "suggest") != 0 && strcmp(*cmd, "fix") != 0)
		return usage_error("--large applies to check, suggest and fix, "
		    "not", *cmd);
	if (cli->json && strcmp(*cmd, "status") != 0 && strcmp(*cmd, "watch") != 0)
		return usage_error("--json applies to status and watch, not", *cmd);
	if (strcmp(*cmd, "shutdown") == 0 && optind < argc)
		return usage_error("shutdown takes no argument:", argv[optind]);
	if (argc - optind > 1)
		return usage_error("too many arguments (one DIR):", argv[optind + 1]);
	cli->ctx.dir = optind < argc ? argv[optind] : ".";
	cli->ctx.build_args = cli->build_args;
	cli->ctx.nbuild_args = cli->nbuild_args;
	cli->ctx.warn = warn_stderr;
	return -1;
}

int
main(int argc, char **argv)
{
	struct cli cli;
	const char *cmd = NULL;
	int rc;

	memset(&cli, 0, sizeof(cli));
	cli.ctx.builder = default_builder();
	cli.build_args = calloc((size_t)argc, sizeof(char *));
	if (cli.build_args == NULL) {
		perror("ctxctl");
		return EXIT_REFUSED;
	}
	cli.check.fail_on = SEV_HIGH;
	rc = parse_args(argc, argv, &cli, &cmd);
	cli.check.ctx = &cli.ctx;
	if (rc < 0 && strcmp(cmd, "check") == 0 && cli.no_daemon) {
		rc = check_run(&cli.check);
	} else if (rc < 0 && (strcmp(cmd, "suggest") == 0 ||
	    strcmp(cmd, "fix") == 0)) {
		struct suggest_options so;

		memset(&so, 0, sizeof(so));
		so.ctx = &cli.ctx;
		so.both = !cli.builder_given;
		so.apply = strcmp(cmd, "fix") == 0;
		so.large_bytes = cli.check.large_bytes;
		rc = suggest_run(&so);
	} else if (rc < 0 && cli.no_daemon)
		rc = run_command(cmd, &cli);
	else if (rc < 0)
		rc = daemon_command(cmd, &cli);
	free(cli.build_args);
	return rc;
}
