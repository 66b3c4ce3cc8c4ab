/*
 * ctxctl check (see check.h): the report (analysis.c, in this process or
 * from the daemon) -> text, JSON or SARIF -> exit status.  The exit status
 * is the contract of a pre-build hook: 0 clean, 1 a finding at or above
 * --fail-on, 2 the check itself failed.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "check.h"
#include "hazard.h"
#include "hazrules.h"
#include "proto.h"
#include "secretscan.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

/* The context with the content scan in its hashing pass, then analysed. */
static int
compute(const struct check_options *opt, struct secretscan *scan,
    struct check_report *r, struct analysis *a, struct ctx_error *err)
{
	struct context_options co;
	struct analysis_input in;
	struct hazard_prescan *pre;
	int rc;

	/* The content rules scan each file in the pass that hashes it
	 * (hazard_prescan_*): the analysis then finds every result in the
	 * scanner's cache instead of reading the files a second time. */
	if ((pre = hazard_prescan_new(scan)) == NULL)
		return ctx_error_nomem(err);
	co = *opt->ctx;
	co.scan = hazard_prescan_hook(pre);
	rc = context_build(&co, &r->c, err);
	hazard_prescan_free(pre);
	if (rc < 0)
		return -1;
	memset(&in, 0, sizeof(in));
	in.entries = &r->c.entries;
	in.root = r->c.root;
	in.rootfd = -1;
	in.dockerfile = opt->ctx->dockerfile;
	in.builder = opt->ctx->builder;
	in.target = opt->ctx->target;
	in.build_args = opt->ctx->build_args;
	in.nbuild_args = opt->ctx->nbuild_args;
	in.large_bytes = opt->large_bytes;
	in.scan = scan;
	in.threads = (unsigned)(opt->ctx->threads > 0 ? opt->ctx->threads : 0);
	in.warn = opt->ctx->warn;
	in.warn_arg = opt->ctx->warn_arg;
	if (analysis_run(&in, a, err) < 0) {
		context_free(&r->c);
		return -1;
	}
	return 0;
}

int
check_compute(const struct check_options *opt, struct check_report *r,
    struct ctx_error *err)
{
	struct secretscan *scan;
	struct analysis a;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((scan = secretscan_new(err)) == NULL)
		return -1;
	rc = compute(opt, scan, r, &a, err);
	secretscan_free(scan);
	if (rc < 0)
		return -1;
	if ((r->report = analysis_report(&a,
	    (enum hazard_severity)opt->fail_on)) == NULL) {
		analysis_free(&a);
		context_free(&r->c);
		return ctx_error_nomem(err);
	}
	/* The analysis's parts move into the report suggest.c reads. */
	memcpy(r->hash, a.hash, sizeof(r->hash));
	r->bytes = a.bytes;
	r->findings = a.findings;
	r->allowed = a.allowed;
	r->dead = a.dead;
	r->analysed = a.analysed;
	r->use = a.use;
	r->dfrel = a.dfrel;
	free(a.root);
	return 0;
}

/* ---- the report's fields, checked once so printing cannot fail ---- */

static const char *
str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static json_int_t
int_of(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static int
severity_of(const json_t *f)
{
	return hazard_severity_parse(str_of(f, "severity"));
}

static bool
has(const json_t *o, const char *const *keys, bool (*is)(const json_t *))
{
	for (; *keys != NULL; keys++)
		if (!is(json_object_get(o, *keys)))
			return false;
	return true;
}

static bool
is_string(const json_t *v)
{
	return json_is_string(v);
}

static bool
is_count(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0;
}

static bool
finding_valid(const json_t *f)
{
	static const char *const strs[] = {"class", "rule", "severity", "path",
	    "fix", NULL};
	static const char *const counts[] = {"entries", "bytes", NULL};
	const json_t *pv = json_object_get(f, "preview");
	const json_t *line = json_object_get(f, "line");

	return json_is_object(f) && has(f, strs, is_string) &&
	    has(f, counts, is_count) && json_is_boolean(json_object_get(f,
	    "in_image")) && severity_of(f) >= 0 &&
	    (pv == NULL || json_is_string(pv)) &&
	    (line == NULL || is_count(line));
}

static bool
report_valid(const json_t *r)
{
	static const char *const strs[] = {"root", "hash", NULL};
	static const char *const counts[] = {"entries", "bytes", NULL};
	const json_t *f, *dw = json_object_get(r, "dead_weight");
	size_t i;

	if (!json_is_object(r) || !has(r, strs, is_string) ||
	    !has(r, counts, is_count) ||
	    !json_is_array(json_object_get(r, "findings")) ||
	    !json_is_array(json_object_get(r, "allowed")) ||
	    !json_is_object(dw) || !has(dw, counts, is_count))
		return false;
	json_array_foreach(json_object_get(r, "findings"), i, f)
		if (!finding_valid(f))
			return false;
	return true;
}

/* ---- SARIF ---- */

static const char *
sarif_level(int sev)
{
	return sev >= SEV_HIGH ? "error" : sev == SEV_MEDIUM ? "warning" : "note";
}

/* A context path as a relative URI reference (RFC 3986 path characters). */
static json_t *
uri_of(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(path), i, k = 0;
	char *u = malloc(3 * n + 1);
	json_t *s;

	if (u == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)path[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~/!$&'()*+,;=:@", ch)) {
			u[k++] = (char)ch;
		} else {
			u[k++] = '%';
			u[k++] = hex[ch >> 4];
			u[k++] = hex[ch & 15];
		}
	}
	u[k] = '\0';
	s = json_string(u);
	free(u);
	return s;
}

static json_t *
sarif_rules(void)
{
	json_t *rules = json_array();
	const struct hazard_rule *h;
	size_t i;

	for (i = 0; i < hazard_nrules; i++) {
		h = &hazard_rules[i];
		json_array_append_new(rules, json_pack(
		    "{s:s,s:{s:s},s:{s:s},s:{s:s},s:{s:s,s:s}}",
		    "id", h->id,
		    "shortDescription", "text", h->cls,
		    "help", "text", h->fix,
		    "defaultConfiguration", "level", sarif_level((int)h->severity),
		    "properties", "class", h->cls,
		    "severity", hazard_severity_name(h->severity)));
	}
	return rules;
}

static json_t *
sarif_result(const json_t *f)
{
	const char *rule = str_of(f, "rule"), *path = str_of(f, "path");
	const char *pv = json_string_value(json_object_get(f, "preview"));
	char msg[1024];
	json_t *loc;
	size_t k;
	int sev = severity_of(f);

	for (k = 0; k < hazard_nrules; k++)
		if (strcmp(hazard_rules[k].id, rule) == 0)
			break;
	snprintf(msg, sizeof(msg), "%s %s: %s (%" JSON_INTEGER_FORMAT
	    " entries, %" JSON_INTEGER_FORMAT " bytes%s%s%s) sent in the "
	    "build context. Fix: %s", str_of(f, "class"), rule, path,
	    int_of(f, "entries"), int_of(f, "bytes"),
	    json_is_true(json_object_get(f, "in_image")) ?
	    ", copied into an image layer" : "", pv ? ", " : "", pv ? pv : "",
	    str_of(f, "fix"));
	loc = json_pack("{s:{s:{s:o,s:s}}}", "physicalLocation",
	    "artifactLocation", "uri", uri_of(path), "uriBaseId",
	    "CONTEXTROOT");
	if (loc != NULL && json_object_get(f, "line") != NULL)
		json_object_set_new(json_object_get(loc, "physicalLocation"),
		    "region", json_pack("{s:O}", "startLine",
		    json_object_get(f, "line")));
	return json_pack("{s:s,s:I,s:s,s:{s:s},s:[o],s:{s:s,s:O,s:O,s:O}}",
	    "ruleId", rule, "ruleIndex", (json_int_t)k,
	    "level", sarif_level(sev), "message", "text", msg,
	    "locations", loc,
	    "properties", "severity", hazard_severity_name(
	    (enum hazard_severity)sev), "entries", json_object_get(f,
	    "entries"), "bytes", json_object_get(f, "bytes"),
	    "in_image", json_object_get(f, "in_image"));
}

static json_t *
report_sarif(const json_t *report)
{
	json_t *results = json_array();
	const json_t *f;
	char rooturi[PATH_MAX + 16], *root;
	size_t i;

	json_array_foreach(json_object_get(report, "findings"), i, f)
		json_array_append_new(results, sarif_result(f));
	/* the root travels escaped (proto.h); the URI wants its bytes */
	if (proto_json_str(json_object_get(report, "root"), &root, NULL) < 0) {
		json_decref(results);
		return NULL;
	}
	snprintf(rooturi, sizeof(rooturi), "file://%s/", root);
	free(root);
	return json_pack("{s:s,s:s,s:[{s:{s:{s:s,s:s,s:s,s:o}},s:{s:{s:o}},s:o}]}",
	    "$schema", SARIF_SCHEMA, "version", "2.1.0", "runs",
	    "tool", "driver", "name", "ctxctl", "version", CTXD_VERSION,
	    "informationUri", "https://github.com/ctxd/ctxd", "rules",
	    sarif_rules(), "originalUriBaseIds", "CONTEXTROOT", "uri",
	    uri_of(rooturi), "results", results);
}

/* ---- text ---- */

static void
report_text(const struct check_options *opt, const json_t *report)
{
	const json_t *f, *dw = json_object_get(report, "dead_weight");
	const json_t *findings = json_object_get(report, "findings");
	size_t i, count[4] = {0};

	json_array_foreach(findings, i, f) {
		const char *pv = json_string_value(json_object_get(f, "preview"));
		count[severity_of(f)]++;
		printf("%-8s %-26s %s: %" JSON_INTEGER_FORMAT " entries, %"
		    JSON_INTEGER_FORMAT " bytes%s%s%s; fix: %s\n",
		    str_of(f, "severity"), str_of(f, "rule"), str_of(f, "path"),
		    int_of(f, "entries"), int_of(f, "bytes"),
		    json_is_true(json_object_get(f, "in_image")) ? ", in image" : "",
		    pv ? ", " : "", pv ? pv : "", str_of(f, "fix"));
	}
	printf("%zu findings (%zu critical, %zu high, %zu medium, %zu low), "
	    "%zu allowed, failing at %s; dead weight: %" JSON_INTEGER_FORMAT
	    " entries, %" JSON_INTEGER_FORMAT " bytes; context: %"
	    JSON_INTEGER_FORMAT " entries, %" JSON_INTEGER_FORMAT " bytes, %s\n",
	    json_array_size(findings), count[3], count[2], count[1], count[0],
	    json_array_size(json_object_get(report, "allowed")),
	    hazard_severity_name((enum hazard_severity)opt->fail_on),
	    int_of(dw, "entries"), int_of(dw, "bytes"), int_of(report, "entries"),
	    int_of(report, "bytes"), str_of(report, "hash"));
}

/* One compact JSON line; -1 when it cannot be written whole. */
static int
print_json(const json_t *v)
{
	if (v == NULL || json_dumpf(v, stdout, JSON_COMPACT) < 0) {
		fprintf(stderr, "ctxctl: out of memory\n");
		return -1;
	}
	putchar('\n');
	return 0;
}

int
check_print(const struct check_options *opt, const json_t *report)
{
	const json_t *f;
	json_t *sarif;
	size_t i;
	int rc = CHECK_EXIT_CLEAN;

	if (!report_valid(report)) {
		fprintf(stderr, "ctxctl: malformed check report\n");
		return CHECK_EXIT_ERROR;
	}
	json_array_foreach(json_object_get(report, "findings"), i, f)
		if (severity_of(f) >= opt->fail_on)
			rc = CHECK_EXIT_FOUND;
	if (opt->format == CHECK_TEXT) {
		report_text(opt, report);
	} else if (opt->format == CHECK_JSON) {
		if (print_json(report) < 0)
			return CHECK_EXIT_ERROR;
	} else {
		sarif = report_sarif(report);
		if (print_json(sarif) < 0)
			rc = CHECK_EXIT_ERROR;
		json_decref(sarif);
		if (rc == CHECK_EXIT_ERROR)
			return rc;
	}
	if (fflush(stdout) != 0) {
		perror("ctxctl: write");
		rc = CHECK_EXIT_ERROR;
	}
	return rc;
}

int
check_run(const struct check_options *opt)
{
	struct ctx_error err = {0, 0, ""};
	struct check_report r;
	int rc;

	if (check_compute(opt, &r, &err) < 0) {
		fprintf(stderr, "ctxctl: %s\n", err.msg);
		return CHECK_EXIT_ERROR;
	}
	rc = check_print(opt, r.report);
	check_report_free(&r);
	return rc;
}

void
check_report_free(struct check_report *r)
{
	if (r == NULL)
		return;
	json_decref(r->report);
	json_decref(r->findings);
	json_decref(r->allowed);
	json_decref(r->dead);
	dfuse_free(&r->use);
	free(r->dfrel);
	context_free(&r->c);
	memset(r, 0, sizeof(*r));
}
