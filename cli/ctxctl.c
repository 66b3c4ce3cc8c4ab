/*
 * ctxctl: the command-line client.  Until the daemon exists every command
 * computes the context in-process (the --no-daemon path), through the same
 * engine library the daemon will use.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "context.h"
#include "manifest.h"

#define EXIT_REFUSED 1	/* the context cannot be computed (docker would refuse) */
#define EXIT_USAGE 2

struct cli {
	struct context_options ctx;
	const char **build_args;
	size_t nbuild_args;
	int no_daemon;
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
"\n"
"Options:\n"
"  -f, --file DOCKERFILE    the Dockerfile, relative to the current directory\n"
"                           (default: DIR/Dockerfile)\n"
"      --builder NAME       buildkit (default, what Docker 23+ uses) or classic;\n"
"                           without it, DOCKER_BUILDKIT=0 in the environment\n"
"                           selects classic, as it does for docker build\n"
"      --target STAGE       BuildKit: the stage to build (default: the last)\n"
"      --build-arg K=V      BuildKit: a build argument (repeatable)\n"
"      --no-daemon          compute in this process, never start the daemon\n"
"                           (every command works this way for now)\n"
"  -h, --help               this help; `ctxctl COMMAND --help` for one command\n"
"  -V, --version            the version\n"
"\n"
"Exit status: 0 success; 1 the context cannot be computed (docker would\n"
"refuse it, a bad pattern, a missing or invalid Dockerfile, an I/O error),\n"
"with one line on stderr saying why; 2 usage error.\n";

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

static const struct option longopts[] = {
	{"file", required_argument, NULL, 'f'},
	{"builder", required_argument, NULL, 'b'},
	{"target", required_argument, NULL, 't'},
	{"build-arg", required_argument, NULL, 'a'},
	{"no-daemon", no_argument, NULL, 'n'},
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
	rc = parse_args(argc, argv, &cli, &cmd);
	if (rc < 0)
		rc = run_command(cmd, &cli);
	free(cli.build_args);
	return rc;
}
