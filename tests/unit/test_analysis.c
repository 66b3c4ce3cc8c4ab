/*
 * The analysis (analysis.c): on real trees built here, computed with
 * context_build() as ctxctl check computes them, the exact report object
 * (findings with in_image, the allow list applied, dead weight), the dead
 * weight's topmost-ancestor listing where sorting puts siblings between a
 * directory and its children, the diff that hazard events use, the
 * errors, a second run answered from the scanner's cache, and the
 * Dockerfile's use kept across content-only changes.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis.h"
#include "context.h"
#include "hazard.h"
#include "secretscan.h"

static char tmpl[64];

static void
mk(const char *path, const char *text)
{
	char full[256];
	const char *slash;
	int fd;

	for (slash = strchr(path, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		snprintf(full, sizeof(full), "%s/%.*s", tmpl,
		    (int)(slash - path), path);
		assert_true(mkdir(full, 0755) == 0 || errno == EEXIST);
	}
	if (text == NULL)
		return;
	snprintf(full, sizeof(full), "%s/%s", tmpl, path);
	fd = open(full, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void
tree_new(void)
{
	umask(022);	/* the manifest shows permissions */
	strcpy(tmpl, "/tmp/ctxd-analysis.XXXXXX");
	assert_non_null(mkdtemp(tmpl));
}

static void
tree_free(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	assert_int_equal(system(cmd), 0);
}

/* The context of the tree (classic: everything not ignored is sent) and
 * its analysis with scan; the return of analysis_run(). */
static int
analyse(struct context *c, struct secretscan *scan, struct analysis *a,
    struct ctx_error *err)
{
	struct context_options co;
	struct analysis_input in;

	memset(&co, 0, sizeof(co));
	co.dir = tmpl;
	co.builder = BUILDER_CLASSIC;
	co.threads = 1;
	assert_int_equal(context_build(&co, c, err), 0);
	memset(&in, 0, sizeof(in));
	in.entries = &c->entries;
	in.root = c->root;
	in.rootfd = -1;
	in.builder = BUILDER_CLASSIC;
	in.scan = scan;
	in.threads = 1;
	return analysis_run(&in, a, err);
}

/* One line per finding: "severity rule path entries bytes in_image". */
static char *
summary(const json_t *f)
{
	static char out[4096];
	size_t i, n = 0;
	const json_t *o;

	out[0] = '\0';
	json_array_foreach(f, i, o) {
		n += (size_t)snprintf(out + n, sizeof(out) - n,
		    "%s %s %s %lld %lld %s\n",
		    json_string_value(json_object_get(o, "severity")),
		    json_string_value(json_object_get(o, "rule")),
		    json_string_value(json_object_get(o, "path")),
		    json_integer_value(json_object_get(o, "entries")),
		    json_integer_value(json_object_get(o, "bytes")),
		    json_is_true(json_object_get(o, "in_image")) ? "image" : "-");
		assert_true(n < sizeof(out));
	}
	return out;
}

static char *
dump(const json_t *v)
{
	static char out[4096];
	char *s = json_dumps(v, JSON_COMPACT);

	assert_non_null(s);
	snprintf(out, sizeof(out), "%s", s);
	free(s);
	return out;
}

static void
test_report_exact(void **state)
{
	struct secretscan *scan = secretscan_new(NULL);
	char hash[MANIFEST_HASH_SIZE];
	struct ctx_error err;
	struct context c;
	struct analysis a;
	json_t *r;

	(void)state;
	assert_non_null(scan);
	tree_new();
	mk("Dockerfile", "FROM scratch\nCOPY app /app\n");
	mk(".dockerignore", "# ctxd:allow secret-dotenv .env\n");
	mk(".ctxdignore", "junk-* app/*\n");
	mk(".env", "A=1\n");				/* allowed */
	mk("app/main.py", "print(1)\n");
	mk("app/.env", "TOKEN=1\n");			/* copied: critical */
	mk("app/.DS_Store", "d");			/* allowed */
	mk("keys/id_rsa", "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n"
	    "-----END RSA PRIVATE KEY-----\n");		/* mounted: high */
	mk("docs/a.md", "a\n");
	mk("docs/sub/b.md", "bb\n");
	assert_int_equal(analyse(&c, scan, &a, &err), 0);
	assert_int_equal(manifest_hash(&c.entries, hash, &err), 0);
	assert_string_equal(a.hash, hash);
	assert_int_equal(a.entries, 14);
	assert_int_equal(a.bytes, 13 + 32 + 4 + 27 + 1 + 8 + 9 + 2 + 3 + 67);
	assert_string_equal(summary(a.findings),
	    "critical secret-dotenv app/.env 1 8 image\n"
	    "high secret-ssh-key keys/id_rsa 1 67 -\n");
	assert_string_equal(summary(a.allowed),
	    "high secret-dotenv .env 1 4 -\n"
	    "low junk-ds-store app/.DS_Store 1 1 image\n");
	/* docs is listed once for its four entries; the files docker
	 * reads itself are not dead weight */
	assert_string_equal(dump(a.dead), "{\"entries\":8,\"bytes\":89,"
	    "\"paths\":[\".ctxdignore\",\".env\",\"docs\",\"keys\"]}");
	assert_string_equal(a.dfrel, "Dockerfile");
	assert_true(a.analysed);
	/* the report: its keys in the order the output has them */
	r = analysis_report(&a, SEV_MEDIUM);
	assert_non_null(r);
	assert_true(json_object_get(r, "findings") == a.findings);
	json_object_set_new(r, "root", json_string("ROOT"));
	json_object_set_new(r, "hash", json_string("H"));
	json_object_set_new(r, "findings", json_integer(2));
	json_object_set_new(r, "allowed", json_integer(2));
	json_object_set_new(r, "dead_weight", json_integer(6));
	assert_string_equal(dump(r), "{\"root\":\"ROOT\",\"builder\":\"classic\","
	    "\"hash\":\"H\",\"entries\":14,\"bytes\":166,\"findings\":2,"
	    "\"dead_weight\":6,\"allowed\":2,\"fail_on\":\"medium\","
	    "\"dockerfile_analysis\":true}");
	json_decref(r);
	analysis_free(&a);
	analysis_free(&a);	/* emptied: a no-op */
	context_free(&c);
	secretscan_free(scan);
	tree_free();
}

/*
 * "a" < "a.txt" < "a/b": a directory's children need not follow it, so
 * the dead weight finds an unused parent without assuming they do.
 */
static void
test_dead_weight_ancestors(void **state)
{
	struct secretscan *scan = secretscan_new(NULL);
	struct ctx_error err;
	struct context c;
	struct analysis a;

	(void)state;
	tree_new();
	mk("Dockerfile", "FROM scratch\nCOPY a.txt b/c/used /\n");
	mk(".dockerignore", "Dockerfile\n");	/* classic sends it anyway */
	mk("a/b/c", "1");
	mk("a/d", "22");
	mk("a.txt", "333");
	mk("a-z/e", "4444");
	mk("b/c/used", "5");
	mk("b/c/unused", "66");
	mk("b/x/y/z", "7");
	mk("b/x.y", "8");
	assert_int_equal(analyse(&c, scan, &a, &err), 0);
	assert_string_equal(dump(a.dead), "{\"entries\":11,\"bytes\":11,"
	    "\"paths\":[\"a\",\"a-z\",\"b/c/unused\",\"b/x\",\"b/x.y\"]}");
	analysis_free(&a);
	context_free(&c);
	secretscan_free(scan);
	tree_free();
}

static json_t *
finding(const char *rule, const char *path, const char *sev, bool image,
    int bytes)
{
	json_t *f = json_pack("{s:s,s:s,s:s,s:s,s:i,s:i,s:b}", "class", "x",
	    "rule", rule, "severity", sev, "path", path, "entries", 1,
	    "bytes", bytes, "in_image", image);

	assert_non_null(f);
	return f;
}

static void
test_diff(void **state)
{
	json_t *a = json_array(), *b = json_array(), *d;

	(void)state;
	json_array_append_new(a, finding("secret-dotenv", ".env", "high", false, 4));
	json_array_append_new(a, finding("vcs-git", ".git", "high", false, 10));
	json_array_append_new(a, finding("secret-dotenv", "app/.env", "high",
	    false, 3));
	/* grown: the same finding; copied into a layer now: a new one */
	json_array_append_new(b, finding("vcs-git", ".git", "high", false, 99));
	json_array_append_new(b, finding("secret-dotenv", "app/.env", "critical",
	    true, 3));
	d = analysis_diff(a, b);
	assert_string_equal(summary(d), "high secret-dotenv .env 1 4 -\n"
	    "high secret-dotenv app/.env 1 3 -\n");
	json_decref(d);
	d = analysis_diff(b, a);
	assert_string_equal(summary(d), "critical secret-dotenv app/.env 1 3 image\n");
	json_decref(d);
	d = analysis_diff(a, a);
	assert_int_equal(json_array_size(d), 0);
	json_decref(d);
	json_decref(a);
	json_decref(b);
}

static void
test_errors(void **state)
{
	struct secretscan *scan = secretscan_new(NULL);
	struct ctx_error err;
	struct context c;
	struct analysis a;

	(void)state;
	tree_new();
	/* A Dockerfile the classic builder refuses (a BuildKit-only flag):
	 * the report is made, without the Dockerfile's use. */
	mk("Dockerfile", "FROM scratch\nCOPY --exclude=*.md . /\n");
	mk(".ctxdignore", "\n# a comment\n");
	assert_int_equal(analyse(&c, scan, &a, &err), 0);
	assert_false(a.analysed);
	assert_null(a.use.use);
	assert_string_equal(dump(a.dead), "{\"entries\":0,\"bytes\":0,\"paths\":[]}");
	analysis_free(&a);
	context_free(&c);
	mk(".ctxdignore", "\n# a comment\nsecret-dotenv\n");
	mk("Dockerfile", "FROM scratch\nCOPY . /\n");
	assert_int_equal(analyse(&c, scan, &a, &err), -1);
	assert_string_equal(err.msg, ".ctxdignore:3: expected `RULE PATH`");
	assert_null(a.use.use);
	context_free(&c);
	secretscan_free(scan);
	tree_free();
}

/* The scanner's cache answers a second analysis: no new digest scanned. */
static void
test_cache(void **state)
{
	struct secretscan *scan = secretscan_new(NULL);
	struct ctx_error err;
	struct context c;
	struct analysis a;
	size_t cached;

	(void)state;
	tree_new();
	mk("Dockerfile", "FROM scratch\nCOPY . /\n");
	mk("src/settings.py", "KEY = \"AK" "IAQ7XV2LM9RT4KP8ZW\"\n");
	mk("src/db.py", "x = 1\n");
	assert_int_equal(analyse(&c, scan, &a, &err), 0);
	assert_string_equal(summary(a.findings), "critical secret-aws-access-key "
	    "src/settings.py 1 29 image\n");
	cached = secretscan_cached(scan);
	assert_true(cached >= 2);
	analysis_free(&a);
	context_free(&c);
	assert_int_equal(analyse(&c, scan, &a, &err), 0);
	assert_int_equal(secretscan_cached(scan), cached);
	analysis_free(&a);
	context_free(&c);
	secretscan_free(scan);
	tree_free();
}

/* analyse() with a cache. */
static int
analyse_cached(struct context *c, struct secretscan *scan,
    struct analysis_cache *cache, struct analysis *a)
{
	struct context_options co;
	struct analysis_input in;
	struct ctx_error err;

	memset(&co, 0, sizeof(co));
	co.dir = tmpl;
	co.builder = BUILDER_CLASSIC;
	co.threads = 1;
	assert_int_equal(context_build(&co, c, &err), 0);
	memset(&in, 0, sizeof(in));
	in.entries = &c->entries;
	in.root = c->root;
	in.rootfd = -1;
	in.builder = BUILDER_CLASSIC;
	in.scan = scan;
	in.threads = 1;
	in.cache = cache;
	return analysis_run(&in, a, &err);
}

/*
 * The use is kept across content changes, and matched again when a name
 * or the Dockerfile changes.  A use from the cache has no line array: that
 * tells a hit from a miss.
 */
static void
test_use_cache(void **state)
{
	struct secretscan *scan = secretscan_new(NULL);
	struct analysis_cache cache;
	struct context c;
	struct analysis a;

	(void)state;
	memset(&cache, 0, sizeof(cache));
	tree_new();
	mk("Dockerfile", "FROM scratch\nCOPY app /app\n");
	mk("app/.env", "A=1\n");
	mk(".env", "B=1\n");
	assert_int_equal(analyse_cached(&c, scan, &cache, &a), 0);
	assert_non_null(a.use.line);			/* matched */
	assert_string_equal(summary(a.findings), "high secret-dotenv .env 1 4 -\n"
	    "critical secret-dotenv app/.env 1 4 image\n");
	analysis_free(&a);
	context_free(&c);
	mk("app/.env", "A=12\n");			/* content only */
	assert_int_equal(analyse_cached(&c, scan, &cache, &a), 0);
	assert_null(a.use.line);			/* copied */
	assert_string_equal(summary(a.findings), "high secret-dotenv .env 1 4 -\n"
	    "critical secret-dotenv app/.env 1 5 image\n");
	analysis_free(&a);
	context_free(&c);
	mk("app/b", "b");				/* a new name */
	assert_int_equal(analyse_cached(&c, scan, &cache, &a), 0);
	assert_non_null(a.use.line);
	analysis_free(&a);
	context_free(&c);
	mk("Dockerfile", "FROM scratch\nCOPY . /\n");	/* a new Dockerfile */
	assert_int_equal(analyse_cached(&c, scan, &cache, &a), 0);
	assert_non_null(a.use.line);
	assert_string_equal(summary(a.findings), "critical secret-dotenv .env 1 4 image\n"
	    "critical secret-dotenv app/.env 1 5 image\n");
	analysis_free(&a);
	context_free(&c);
	assert_int_equal(analyse_cached(&c, scan, &cache, &a), 0);
	assert_null(a.use.line);
	analysis_free(&a);
	context_free(&c);
	analysis_cache_free(&cache);
	analysis_cache_free(&cache);	/* emptied: a no-op */
	secretscan_free(scan);
	tree_free();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_exact),
		cmocka_unit_test(test_dead_weight_ancestors),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_use_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
