/*
 * The protocol's commands (see cmd.h and man/ctxd.8): parse the request,
 * look the command up in one table, run its handler, queue one response.
 * Handlers either fill the ok response or fail with a stable code; none
 * trusts the types of what the client sent.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "conn.h"
#include "hazrules.h"
#include "log.h"
#include "proto.h"
#include "registry.h"

/* Build arguments per request; the 64 KiB line bounds them anyway. */
#define CMD_BUILD_ARGS_MAX 1024

struct cmd_call {
	struct conn *c;
	const json_t *req;
	json_t *resp;			/* the ok response, handlers add to it */
	const char *code;		/* on failure: PROTO_E_* */
	char msg[1100];
};

/* The project selector of watch, unwatch, status, ls, manifest, hash,
 * check. */
struct cmd_project {
	struct project_options opt;
	char *root, *dockerfile, *target;
	char **args;
	size_t nargs;
};

static int
cmd_fail(struct cmd_call *call, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
cmd_fail(struct cmd_call *call, const char *code, const char *fmt, ...)
{
	va_list ap;

	call->code = code;
	va_start(ap, fmt);
	vsnprintf(call->msg, sizeof(call->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int
cmd_set(struct cmd_call *call, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(call->resp, key, v) < 0)
		return cmd_fail(call, PROTO_E_INTERNAL, "out of memory");
	return 0;
}

static void
cmd_project_free(struct cmd_project *cp)
{
	size_t i;

	free(cp->root);
	free(cp->dockerfile);
	free(cp->target);
	for (i = 0; i < cp->nargs; i++)
		free(cp->args[i]);
	free(cp->args);
}

/* An optional escaped string field: absent or null leaves *out NULL. */
static int
cmd_str_field(struct cmd_call *call, const char *key, bool required,
    char **out)
{
	const json_t *v = json_object_get(call->req, key);
	struct ctx_error err;

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (required)
			return cmd_fail(call, PROTO_E_BAD_ARGUMENT,
			    "missing field \"%s\"", key);
		return 0;
	}
	if (proto_json_str(v, out, &err) < 0)
		return cmd_fail(call, PROTO_E_BAD_ARGUMENT, "field \"%s\": %s",
		    key, err.msg);
	return 0;
}

static int
cmd_project_parse(struct cmd_call *call, struct cmd_project *cp)
{
	const json_t *v, *a;
	struct ctx_error err;
	size_t i;
	int b;

	memset(cp, 0, sizeof(*cp));
	if (cmd_str_field(call, "root", true, &cp->root) < 0 ||
	    cmd_str_field(call, "dockerfile", false, &cp->dockerfile) < 0 ||
	    cmd_str_field(call, "target", false, &cp->target) < 0)
		return -1;
	if (cp->root[0] != '/')
		return cmd_fail(call, PROTO_E_BAD_ARGUMENT,
		    "field \"root\" must be an absolute path");
	if (cp->dockerfile != NULL && cp->dockerfile[0] != '/')
		return cmd_fail(call, PROTO_E_BAD_ARGUMENT,
		    "field \"dockerfile\" must be an absolute path");
	cp->opt.builder = BUILDER_BUILDKIT;
	if ((v = json_object_get(call->req, "builder")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_string(v) ||
		    (b = context_builder_parse(json_string_value(v))) < 0)
			return cmd_fail(call, PROTO_E_BAD_ARGUMENT,
			    "field \"builder\" must be \"buildkit\" or \"classic\"");
		cp->opt.builder = (enum builder)b;
	}
	if ((v = json_object_get(call->req, "build_args")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_array(v) || json_array_size(v) > CMD_BUILD_ARGS_MAX)
			return cmd_fail(call, PROTO_E_BAD_ARGUMENT,
			    "field \"build_args\" must be an array of at most "
			    "%d \"NAME=VALUE\" strings", CMD_BUILD_ARGS_MAX);
		if ((cp->args = calloc(json_array_size(v) + 1,
		    sizeof(char *))) == NULL)
			return cmd_fail(call, PROTO_E_INTERNAL, "out of memory");
		json_array_foreach(v, i, a) {
			if (proto_json_str(a, &cp->args[i], &err) < 0)
				return cmd_fail(call, PROTO_E_BAD_ARGUMENT,
				    "build_args[%zu]: %s", i, err.msg);
			cp->nargs++;
			if (strchr(cp->args[i], '=') == NULL)
				return cmd_fail(call, PROTO_E_BAD_ARGUMENT,
				    "build_args[%zu] is not NAME=VALUE", i);
		}
	}
	cp->opt.root = cp->root;
	cp->opt.dockerfile = cp->dockerfile;
	cp->opt.target = cp->target;
	cp->opt.build_args = (const char *const *)cp->args;
	cp->opt.nbuild_args = cp->nargs;
	return 0;
}

/* The watched project the request names, or a no-such-project failure. */
static struct project *
cmd_find(struct cmd_call *call, struct cmd_project *cp)
{
	struct project *p;

	if (cmd_project_parse(call, cp) < 0)
		return NULL;
	if ((p = registry_find(&cp->opt)) == NULL)
		cmd_fail(call, PROTO_E_NO_SUCH_PROJECT,
		    "%s is not watched with these options (send \"watch\")",
		    cp->root);
	return p;
}

static int
cmd_hello(struct cmd_call *call)
{
	const json_t *v = json_object_get(call->req, "version");
	int major;

	if (!json_is_string(v) ||
	    (major = proto_version_major(json_string_value(v))) < 0)
		return cmd_fail(call, PROTO_E_BAD_ARGUMENT,
		    "field \"version\" must be \"MAJOR.MINOR\"");
	if (major != CTXD_PROTO_MAJOR)
		return cmd_fail(call, PROTO_E_VERSION_MISMATCH,
		    "protocol version %s is not supported: this ctxd speaks %s "
		    "(restart ctxd from the same release as the client)",
		    json_string_value(v), CTXD_PROTO_VERSION);
	conn_set_hello(call->c);
	if (cmd_set(call, "version", json_string(CTXD_PROTO_VERSION)) < 0 ||
	    cmd_set(call, "server", json_string("ctxd " CTXD_VERSION)) < 0 ||
	    cmd_set(call, "pid", json_integer(getpid())) < 0)
		return -1;
	return 0;
}

static const char *
cmd_errcode(int ctxcode)
{
	switch (ctxcode) {
	case CTX_ERR_NOMEM:
		return PROTO_E_INTERNAL;
	case CTX_ERR_USAGE:
		return PROTO_E_BAD_ARGUMENT;
	default:
		return PROTO_E_CONTEXT_REFUSED;
	}
}

static int
cmd_watch(struct cmd_call *call)
{
	struct cmd_project cp;
	struct ctx_error err;
	struct project *p;
	int created = 0, rc = -1;

	if (cmd_project_parse(call, &cp) < 0)
		goto out;
	if ((p = registry_watch(&cp.opt, &created, &err)) == NULL) {
		cmd_fail(call, cmd_errcode(err.code), "%s", err.msg);
		goto out;
	}
	if (cmd_set(call, "created", json_boolean(created)) < 0 ||
	    cmd_set(call, "status", project_status(p)) < 0)
		goto out;
	rc = 0;
out:
	cmd_project_free(&cp);
	return rc;
}

static int
cmd_unwatch(struct cmd_call *call)
{
	struct cmd_project cp;
	struct project *p;

	if ((p = cmd_find(call, &cp)) != NULL)
		registry_remove(p);
	cmd_project_free(&cp);
	return p != NULL ? 0 : -1;
}

static int
cmd_list(struct cmd_call *call)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < registry_count(); i++)
		if (json_array_append_new(a, project_status(registry_at(i))) < 0) {
			json_decref(a);
			a = NULL;
		}
	return cmd_set(call, "projects", a);
}

static int
cmd_status(struct cmd_call *call)
{
	struct cmd_project cp;
	struct project *p;
	int rc = -1;

	if ((p = cmd_find(call, &cp)) != NULL)
		rc = cmd_set(call, "status", project_status(p));
	cmd_project_free(&cp);
	return rc;
}

/* The failure of a getter: not ready yet, or a context docker refuses. */
static int
cmd_project_error(struct cmd_call *call, struct project *p,
    const struct ctx_error *err)
{
	if (project_state(p) == PROJECT_SCANNING)
		return cmd_fail(call, PROTO_E_NOT_READY, "%s", err->msg);
	return cmd_fail(call, cmd_errcode(err->code), "%s", err->msg);
}

/* What docker would log about the context, for the client to print as
 * ctxctl --no-daemon does. */
static int
cmd_warnings(struct cmd_call *call, struct project *p)
{
	json_t *st = project_status(p), *w;
	int rc;

	w = json_object_get(st, "warnings");
	rc = cmd_set(call, "warnings", w ? json_incref(w) : json_array());
	json_decref(st);
	return rc;
}

/* ls and manifest: the text exactly as ctxctl --no-daemon prints it. */
static int
cmd_text(struct cmd_call *call, int (*get)(struct project *,
    struct manifest_buf *, struct ctx_error *))
{
	struct cmd_project cp;
	struct manifest_buf out;
	struct ctx_error err;
	struct project *p;
	int rc = -1;

	manifest_buf_init(&out);
	if ((p = cmd_find(call, &cp)) == NULL)
		goto out;
	if (get(p, &out, &err) < 0) {
		cmd_project_error(call, p, &err);
		goto out;
	}
	if (proto_text_set(call->resp, out.data ? out.data : "", out.len) < 0) {
		cmd_fail(call, PROTO_E_INTERNAL, "out of memory");
		goto out;
	}
	rc = cmd_warnings(call, p);
out:
	manifest_buf_free(&out);
	cmd_project_free(&cp);
	return rc;
}

static int
cmd_ls(struct cmd_call *call)
{
	return cmd_text(call, project_listing);
}

static int
cmd_manifest(struct cmd_call *call)
{
	return cmd_text(call, project_manifest);
}

static int
cmd_hash(struct cmd_call *call)
{
	char hash[MANIFEST_HASH_SIZE];
	struct cmd_project cp;
	struct ctx_error err;
	struct project *p;
	int rc = -1;

	if ((p = cmd_find(call, &cp)) != NULL) {
		if (project_hash(p, hash, &err) < 0)
			cmd_project_error(call, p, &err);
		else if ((rc = cmd_set(call, "hash", json_string(hash))) == 0)
			rc = cmd_warnings(call, p);
	}
	cmd_project_free(&cp);
	return rc;
}

/* check's own fields: fail_on (a level name, default high) and
 * large_bytes (a positive integer, default the engine's). */
static int
cmd_check_fields(struct cmd_call *call, int *fail_on, uint64_t *large)
{
	const json_t *v;

	*fail_on = SEV_HIGH;
	*large = 0;
	if ((v = json_object_get(call->req, "fail_on")) != NULL &&
	    !json_is_null(v) && (!json_is_string(v) ||
	    (*fail_on = hazard_severity_parse(json_string_value(v))) < 0))
		return cmd_fail(call, PROTO_E_BAD_ARGUMENT, "field \"fail_on\" "
		    "must be \"critical\", \"high\", \"medium\" or \"low\"");
	if ((v = json_object_get(call->req, "large_bytes")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) <= 0)
			return cmd_fail(call, PROTO_E_BAD_ARGUMENT, "field "
			    "\"large_bytes\" must be a positive integer");
		*large = (uint64_t)json_integer_value(v);
	}
	return 0;
}

/* check: the report `ctxctl check --format json` prints. */
static int
cmd_check(struct cmd_call *call)
{
	struct cmd_project cp;
	struct ctx_error err;
	struct project *p = NULL;
	json_t *report, *warnings = NULL;
	uint64_t large;
	int fail_on, rc = -1;

	memset(&cp, 0, sizeof(cp));
	if (cmd_check_fields(call, &fail_on, &large) < 0 ||
	    (p = cmd_find(call, &cp)) == NULL)
		goto out;
	report = project_report(p, large, (enum hazard_severity)fail_on,
	    &warnings, &err);
	if (report == NULL) {
		cmd_project_error(call, p, &err);
		goto out;
	}
	if (cmd_set(call, "report", report) == 0)
		rc = cmd_set(call, "warnings", json_incref(warnings));
out:
	json_decref(warnings);
	cmd_project_free(&cp);
	return rc;
}

static int
cmd_subscribe(struct cmd_call *call)
{
	struct ctx_error err;
	char *root;
	int rc;

	if (cmd_str_field(call, "root", false, &root) < 0)
		return -1;
	rc = conn_subscribe(call->c, root, &err);
	free(root);
	if (rc < 0)
		return cmd_fail(call, cmd_errcode(err.code), "%s", err.msg);
	return 0;
}

static int
cmd_shutdown(struct cmd_call *call)
{
	log_info("shutdown requested by client %u", conn_id(call->c));
	sd_event_exit(conn_loop(call->c), 0);
	return 0;
}

static const struct cmd_entry {
	const char *name;
	int (*fn)(struct cmd_call *);
} cmd_table[] = {
	{"hello", cmd_hello},
	{"watch", cmd_watch},
	{"unwatch", cmd_unwatch},
	{"list", cmd_list},
	{"status", cmd_status},
	{"ls", cmd_ls},
	{"manifest", cmd_manifest},
	{"hash", cmd_hash},
	{"check", cmd_check},
	{"subscribe", cmd_subscribe},
	{"shutdown", cmd_shutdown},
};

static const struct cmd_entry *
cmd_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cmd_table) / sizeof(cmd_table[0]); i++)
		if (strcmp(cmd_table[i].name, name) == 0)
			return &cmd_table[i];
	return NULL;
}

static void
cmd_reply(struct conn *c, json_t *id, const char *code, const char *msg)
{
	json_t *resp = proto_fail(id, code, msg);

	if (resp != NULL)
		conn_respond(c, resp);
	json_decref(resp);
}

void
cmd_dispatch(struct conn *c, const char *line, size_t len)
{
	const struct cmd_entry *e;
	struct cmd_call call;
	json_error_t jerr;
	json_t *req, *id, *cmd;

	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (req == NULL || !json_is_object(req)) {
		cmd_reply(c, NULL, PROTO_E_BAD_JSON, req == NULL ? jerr.text :
		    "a request must be a JSON object");
		json_decref(req);
		return;
	}
	id = json_object_get(req, "id");
	cmd = json_object_get(req, "cmd");
	if (id != NULL && !json_is_integer(id)) {
		cmd_reply(c, NULL, PROTO_E_BAD_ARGUMENT,
		    "field \"id\" must be an integer");
	} else if (!json_is_string(cmd)) {
		cmd_reply(c, id, PROTO_E_BAD_ARGUMENT,
		    "field \"cmd\" must be a string");
	} else if ((e = cmd_lookup(json_string_value(cmd))) == NULL) {
		snprintf(call.msg, sizeof(call.msg), "unknown command \"%.64s\"",
		    json_string_value(cmd));
		cmd_reply(c, id, PROTO_E_UNKNOWN_COMMAND, call.msg);
	} else if (!conn_hello_done(c) && e->fn != cmd_hello) {
		cmd_reply(c, id, PROTO_E_HELLO_REQUIRED,
		    "send \"hello\" with the protocol version first");
	} else {
		memset(&call, 0, sizeof(call));
		call.c = c;
		call.req = req;
		if ((call.resp = proto_ok(id)) == NULL)
			cmd_reply(c, id, PROTO_E_INTERNAL, "out of memory");
		else if (e->fn(&call) == 0)
			conn_respond(c, call.resp);
		else
			cmd_reply(c, id, call.code, call.msg);
		json_decref(call.resp);
	}
	json_decref(req);
}
