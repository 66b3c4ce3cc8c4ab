/*
 * ctxctl check (see check.h): context -> Dockerfile use (dfuse.c) ->
 * hazards (hazard.c) -> allow list -> report.  The exit status is the
 * contract of a pre-build hook: 0 clean, 1 a finding at or above
 * --fail-on, 2 the check itself failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "dfuse.h"
#include "hazard.h"
#include "hazrules.h"
#include "manifest.h"
#include "proto.h"
#include "readfile.h"
#include "secretscan.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define DEAD_PATHS_MAX 1000	/* paths listed in dead_weight.paths */


/* The Dockerfile as the engine finds it: -f against the cwd, else
 * <root>/Dockerfile, else <root>/dockerfile. */
static int
read_dockerfile(const struct context_options *o, const char *root,
    char **text, size_t *len, char **path, struct ctx_error *err)
{
	char buf[PATH_MAX * 2];

	if (o->dockerfile != NULL)
		snprintf(buf, sizeof(buf), "%s", o->dockerfile);
	else {
		snprintf(buf, sizeof(buf), "%s/Dockerfile", root);
		if (access(buf, F_OK) < 0) {
			snprintf(buf, sizeof(buf), "%s/dockerfile", root);
			if (access(buf, F_OK) < 0)
				snprintf(buf, sizeof(buf), "%s/Dockerfile", root);
		}
	}
	if ((*path = realpath(buf, NULL)) == NULL)
		return ctx_error_sys(err, errno, "Dockerfile %s", buf);
	if (readfile_at(AT_FDCWD, *path, text, len) < 0) {
		ctx_error_sys(err, errno, "read %s", *path);
		free(*path);
		*path = NULL;
		return -1;
	}
	return 0;
}

static int
entry_cmp(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;
	size_t n = a->path_len < b->path_len ? a->path_len : b->path_len;
	int c = memcmp(a->path, b->path, n);

	if (c != 0)
		return c;
	return a->path_len < b->path_len ? -1 : a->path_len > b->path_len;
}

/*
 * Dead weight: entries sent that no instruction uses, listed by their
 * topmost unused ancestor (a directory no source reaches is one path).
 * The files docker reads itself (the Dockerfile, .dockerignore, the
 * classic builder's injected copies) are not dead weight.
 */
static json_t *
dead_weight(const struct entry_list *l, const struct dfuse *u,
    const char *dfrel)
{
	json_t *paths = json_array(), *o;
	size_t i, n = 0, plen;
	uint64_t bytes = 0;
	const char *slash;
	char *esc;

	for (i = 0; u != NULL && paths != NULL && i < l->n; i++) {
		const struct entry *e = &l->v[i];
		if (u->use[i] != 0 || (e->flags & ENTRY_INLINE) ||
		    strcmp(e->path, ".dockerignore") == 0 ||
		    (dfrel != NULL && strcmp(e->path, dfrel) == 0))
			continue;
		n++;
		bytes += e->size;
		/* the parent (which sorts before) is unused too: already listed */
		if ((slash = strrchr(e->path, '/')) != NULL) {
			struct entry key;
			const struct entry *p;
			plen = (size_t)(slash - e->path);
			key.path = strndup(e->path, plen);
			key.path_len = plen;
			p = key.path == NULL ? NULL : bsearch(&key, l->v, l->n,
			    sizeof(*l->v), entry_cmp);
			free(key.path);
			if (p != NULL && u->use[p - l->v] == 0)
				continue;
		}
		if (json_array_size(paths) >= DEAD_PATHS_MAX ||
		    (esc = malloc(4 * e->path_len + 1)) == NULL)
			continue;
		esc[manifest_escape(esc, e->path, e->path_len)] = '\0';
		json_array_append_new(paths, proto_str_json(esc));
		free(esc);
	}
	o = json_pack("{s:I,s:I,s:o}", "entries", (json_int_t)n, "bytes",
	    (json_int_t)bytes, "paths", paths ? paths : json_array());
	return o;
}

int
check_compute(const struct check_options *opt, struct check_report *r,
    struct ctx_error *err)
{
	struct context_options co;
	struct hazard_options ho;
	struct hazard_prescan *pre = NULL;
	struct hazard_allow allow;
	struct buildplan_options bo;
	struct dfuse *use = &r->use;
	char *df = NULL, *dfpath = NULL;
	const char *dfrel = NULL;
	size_t i, dflen, rootlen;
	int rootfd = -1, rc = -1;

	memset(r, 0, sizeof(*r));
	memset(&allow, 0, sizeof(allow));
	memset(&ho, 0, sizeof(ho));
	/* The content rules scan each file in the pass that hashes it
	 * (hazard_prescan_*): hazard_run() then finds every result in the
	 * scanner's cache instead of reading the files a second time. */
	if ((ho.scan = secretscan_new(err)) == NULL)
		return -1;
	if ((pre = hazard_prescan_new(ho.scan)) == NULL) {
		secretscan_free(ho.scan);
		return ctx_error_nomem(err);
	}
	co = *opt->ctx;
	co.scan = hazard_prescan_hook(pre);
	rc = context_build(&co, &r->c, err);
	hazard_prescan_free(pre);
	if (rc < 0) {
		secretscan_free(ho.scan);
		return -1;
	}
	rc = -1;
	if (manifest_hash(&r->c.entries, r->hash, err) < 0)
		goto out;
	for (i = 0; i < r->c.entries.n; i++)
		r->bytes += r->c.entries.v[i].size;
	if ((rootfd = open(r->c.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		ctx_error_sys(err, errno, "open %s", r->c.root);
		goto out;
	}
	if (read_dockerfile(opt->ctx, r->c.root, &df, &dflen, &dfpath, err) < 0)
		goto out;
	rootlen = strlen(r->c.root);
	if (strncmp(dfpath, r->c.root, rootlen) == 0 && dfpath[rootlen] == '/') {
		dfrel = dfpath + rootlen + 1;
		if ((r->dfrel = strdup(dfrel)) == NULL) {
			ctx_error_nomem(err);
			goto out;
		}
	}
	memset(&bo, 0, sizeof(bo));
	bo.target = opt->ctx->target;
	bo.build_args = opt->ctx->build_args;
	bo.nbuild_args = opt->ctx->nbuild_args;
	if (dfuse_analyze(df, dflen, dfrel != NULL ? dfrel : dfpath, &bo,
	    &r->c.entries, use, err) < 0)
		goto out;
	r->analysed = true;
	ho.rootfd = rootfd;
	ho.root = r->c.root;
	ho.large_bytes = opt->large_bytes;
	ho.use = use->use;
	ho.warn = opt->ctx->warn;
	ho.warn_arg = opt->ctx->warn_arg;
	ho.threads = (unsigned)(opt->ctx->threads > 0 ? opt->ctx->threads : 0);
	r->findings = hazard_run(&r->c.entries, &ho, err);
	if (r->findings == NULL || hazard_allow_load(rootfd, &allow, err) < 0)
		goto out;
	if ((r->allowed = hazard_allow_apply(&allow, r->findings)) == NULL ||
	    (r->dead = dead_weight(&r->c.entries, use, dfrel)) == NULL) {
		ctx_error_nomem(err);
		goto out;
	}
	rc = 0;
out:
	secretscan_free(ho.scan);
	hazard_allow_free(&allow);
	free(df);
	free(dfpath);
	if (rootfd >= 0)
		close(rootfd);
	if (rc < 0)
		check_report_free(r);
	return rc;
}

static int
severity_of(const json_t *f)
{
	const char *s = json_string_value(json_object_get(f, "severity"));

	return s != NULL ? hazard_severity_parse(s) : -1;
}

static json_t *
report_json(const struct check_options *opt, const struct check_report *r)
{
	return json_pack("{s:o,s:s,s:s,s:I,s:I,s:O,s:O,s:O,s:s,s:b}",
	    "root", proto_str_json(r->c.root),
	    "builder", opt->ctx->builder == BUILDER_CLASSIC ? "classic" : "buildkit",
	    "hash", r->hash,
	    "entries", (json_int_t)r->c.entries.n,
	    "bytes", (json_int_t)r->bytes,
	    "findings", r->findings,
	    "dead_weight", r->dead,
	    "allowed", r->allowed,
	    "fail_on", hazard_severity_name((enum hazard_severity)opt->fail_on),
	    "dockerfile_analysis", r->analysed);
}

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
report_sarif(const struct check_report *r)
{
	json_t *rules = json_array(), *results = json_array(), *f, *res, *loc;
	const struct hazard_rule *h;
	char msg[1024], rooturi[PATH_MAX + 16];
	size_t i, k;
	int sev;

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
	json_array_foreach(r->findings, i, f) {
		const char *rule = json_string_value(json_object_get(f, "rule"));
		const char *path = json_string_value(json_object_get(f, "path"));
		const char *pv = json_string_value(json_object_get(f, "preview"));
		sev = severity_of(f);
		for (k = 0; k < hazard_nrules; k++)
			if (strcmp(hazard_rules[k].id, rule) == 0)
				break;
		snprintf(msg, sizeof(msg), "%s %s: %s (%" JSON_INTEGER_FORMAT
		    " entries, %" JSON_INTEGER_FORMAT " bytes%s%s%s) sent in the "
		    "build context. Fix: %s", json_string_value(json_object_get(f,
		    "class")), rule, path, json_integer_value(json_object_get(f,
		    "entries")), json_integer_value(json_object_get(f, "bytes")),
		    json_is_true(json_object_get(f, "in_image")) ?
		    ", copied into an image layer" : "", pv ? ", " : "", pv ? pv : "",
		    json_string_value(json_object_get(f, "fix")));
		loc = json_pack("{s:{s:{s:o,s:s}}}", "physicalLocation",
		    "artifactLocation", "uri", uri_of(path), "uriBaseId",
		    "CONTEXTROOT");
		if (loc != NULL && json_object_get(f, "line") != NULL)
			json_object_set_new(json_object_get(loc, "physicalLocation"),
			    "region", json_pack("{s:O}", "startLine",
			    json_object_get(f, "line")));
		res = json_pack("{s:s,s:I,s:s,s:{s:s},s:[o],s:{s:s,s:O,s:O,s:O}}",
		    "ruleId", rule, "ruleIndex", (json_int_t)k,
		    "level", sarif_level(sev), "message", "text", msg,
		    "locations", loc,
		    "properties", "severity", hazard_severity_name(
		    (enum hazard_severity)sev), "entries", json_object_get(f,
		    "entries"), "bytes", json_object_get(f, "bytes"),
		    "in_image", json_object_get(f, "in_image"));
		json_array_append_new(results, res);
	}
	snprintf(rooturi, sizeof(rooturi), "file://%s/", r->c.root);
	return json_pack("{s:s,s:s,s:[{s:{s:{s:s,s:s,s:s,s:o}},s:{s:{s:o}},s:o}]}",
	    "$schema", SARIF_SCHEMA, "version", "2.1.0", "runs",
	    "tool", "driver", "name", "ctxctl", "version", CTXD_VERSION,
	    "informationUri", "https://github.com/ctxd/ctxd", "rules", rules,
	    "originalUriBaseIds", "CONTEXTROOT", "uri", uri_of(rooturi),
	    "results", results);
}

static void
report_text(const struct check_options *opt, const struct check_report *r)
{
	const json_t *f, *dw = r->dead;
	size_t i, count[4] = {0};
	int sev;

	json_array_foreach(r->findings, i, f) {
		const char *pv = json_string_value(json_object_get(f, "preview"));
		sev = severity_of(f);
		if (sev >= 0)
			count[sev]++;
		printf("%-8s %-26s %s: %" JSON_INTEGER_FORMAT " entries, %"
		    JSON_INTEGER_FORMAT " bytes%s%s%s; fix: %s\n",
		    json_string_value(json_object_get(f, "severity")),
		    json_string_value(json_object_get(f, "rule")),
		    json_string_value(json_object_get(f, "path")),
		    json_integer_value(json_object_get(f, "entries")),
		    json_integer_value(json_object_get(f, "bytes")),
		    json_is_true(json_object_get(f, "in_image")) ? ", in image" : "",
		    pv ? ", " : "", pv ? pv : "",
		    json_string_value(json_object_get(f, "fix")));
	}
	printf("%zu findings (%zu critical, %zu high, %zu medium, %zu low), "
	    "%zu allowed, failing at %s; dead weight: %" JSON_INTEGER_FORMAT
	    " entries, %" JSON_INTEGER_FORMAT " bytes; context: %zu entries, "
	    "%llu bytes, %s\n", json_array_size(r->findings), count[3], count[2],
	    count[1], count[0], json_array_size(r->allowed),
	    hazard_severity_name((enum hazard_severity)opt->fail_on),
	    json_integer_value(json_object_get(dw, "entries")),
	    json_integer_value(json_object_get(dw, "bytes")),
	    r->c.entries.n, (unsigned long long)r->bytes, r->hash);
}

int
check_run(const struct check_options *opt)
{
	struct ctx_error err = {0, 0, ""};
	struct check_report r;
	json_t *out = NULL;
	const json_t *f;
	size_t i;
	int rc = CHECK_EXIT_CLEAN;

	if (check_compute(opt, &r, &err) < 0) {
		fprintf(stderr, "ctxctl: %s\n", err.msg);
		rc = CHECK_EXIT_ERROR;
		goto out;
	}
	json_array_foreach(r.findings, i, f)
		if (severity_of(f) >= opt->fail_on)
			rc = CHECK_EXIT_FOUND;
	if (opt->format == CHECK_TEXT) {
		report_text(opt, &r);
	} else {
		out = opt->format == CHECK_JSON ? report_json(opt, &r) :
		    report_sarif(&r);
		if (out == NULL || json_dumpf(out, stdout, JSON_COMPACT) < 0) {
			fprintf(stderr, "ctxctl: out of memory\n");
			rc = CHECK_EXIT_ERROR;
			goto out;
		}
		putchar('\n');
	}
	if (fflush(stdout) != 0) {
		perror("ctxctl: write");
		rc = CHECK_EXIT_ERROR;
	}
out:
	json_decref(out);
	check_report_free(&r);
	return rc;
}

void
check_report_free(struct check_report *r)
{
	if (r == NULL)
		return;
	json_decref(r->findings);
	json_decref(r->allowed);
	json_decref(r->dead);
	dfuse_free(&r->use);
	free(r->dfrel);
	context_free(&r->c);
	memset(r, 0, sizeof(*r));
}
