/*
 * The hazard engine: exact findings on small sorted entry lists (names
 * only), and on a real directory holding every class, read through
 * hazard_run() with the content rules, the Dockerfile's use and the allow
 * list.
 */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfuse.h"
#include "digest.h"
#include "hazard.h"
#include "hazrules.h"
#include "secretscan.h"

static void
add(struct entry_list *l, const char *path, char type, uint64_t size)
{
	struct entry *e = entry_list_add(l, path, strlen(path), NULL);

	assert_non_null(e);
	e->type = type;
	e->size = size;
}

static char *
scan(struct entry_list *l)
{
	json_t *f;
	char *s;

	entry_list_sort(l);
	f = hazard_scan(l);
	assert_non_null(f);
	s = json_dumps(f, JSON_COMPACT);
	json_decref(f);
	return s;
}

static void
test_grouped_directories(void **state)
{
	struct entry_list l;
	char *got;

	(void)state;
	entry_list_init(&l);
	add(&l, ".git", 'd', 0);
	add(&l, ".git/HEAD", 'f', 23);
	add(&l, ".git/objects", 'd', 0);
	add(&l, ".git/objects/ab", 'f', 100);
	add(&l, ".git-blame-ignore", 'f', 5);	/* sorts inside .git's run */
	add(&l, "src", 'd', 0);
	add(&l, "src/__pycache__", 'd', 0);
	add(&l, "src/__pycache__/a.cpython-312.pyc", 'f', 7);
	add(&l, "src/app.py", 'f', 3);
	add(&l, "venv", 'd', 0);		/* not a virtualenv: no pyvenv.cfg */
	add(&l, "venv/notes.txt", 'f', 1);
	add(&l, "env2", 'd', 0);
	add(&l, "env2/pyvenv.cfg", 'f', 10);
	add(&l, "env2/bin", 'd', 0);
	add(&l, "env2/bin/python", 'l', 0);
	got = scan(&l);
	assert_string_equal(got,
	    "[{\"class\":\"vcs\",\"rule\":\"vcs-git\",\"severity\":\"high\","
	    "\"path\":\".git\",\"entries\":4,\"bytes\":123,\"in_image\":false,"
	    "\"fix\":\"add `.git` (and `**/.git`) to .dockerignore\"},"
	    "{\"class\":\"venv\",\"rule\":\"venv-python\",\"severity\":\"high\","
	    "\"path\":\"env2\",\"entries\":4,\"bytes\":10,\"in_image\":false,"
	    "\"fix\":\"add the virtualenv directory to .dockerignore and install "
	    "dependencies in the image\"},"
	    "{\"class\":\"pycache\",\"rule\":\"pycache\",\"severity\":\"low\","
	    "\"path\":\"src/__pycache__\",\"entries\":2,\"bytes\":7,"
	    "\"in_image\":false,\"fix\":\"add `**/__pycache__` and "
	    "`**/*.py[co]` to .dockerignore\"}]");
	free(got);
	entry_list_free(&l);
}

static void
test_dotenv_and_decoys(void **state)
{
	struct entry_list l;
	char *got;

	(void)state;
	entry_list_init(&l);
	add(&l, ".env", 'f', 12);
	add(&l, ".env.example", 'f', 12);
	add(&l, ".env.production", 'f', 9);
	add(&l, ".envrc", 'f', 1);
	add(&l, "cfg", 'd', 0);
	add(&l, "cfg/.env.sample", 'f', 1);
	add(&l, "cfg/.env.local", 'f', 4);
	add(&l, "dotenv.py", 'f', 1);
	got = scan(&l);
	assert_string_equal(got,
	    "[{\"class\":\"secret\",\"rule\":\"secret-dotenv\",\"severity\":\"high\","
	    "\"path\":\".env\",\"entries\":1,\"bytes\":12,\"in_image\":false,"
	    "\"fix\":\"add `.env` and `.env.*` (keeping `!.env.example`) to "
	    ".dockerignore\"},"
	    "{\"class\":\"secret\",\"rule\":\"secret-dotenv\",\"severity\":\"high\","
	    "\"path\":\".env.production\",\"entries\":1,\"bytes\":9,\"in_image\":false,"
	    "\"fix\":\"add `.env` and `.env.*` (keeping `!.env.example`) to "
	    ".dockerignore\"},"
	    "{\"class\":\"secret\",\"rule\":\"secret-dotenv\",\"severity\":\"high\","
	    "\"path\":\"cfg/.env.local\",\"entries\":1,\"bytes\":4,\"in_image\":false,"
	    "\"fix\":\"add `.env` and `.env.*` (keeping `!.env.example`) to "
	    ".dockerignore\"}]");
	free(got);
	entry_list_free(&l);
}

/* ---- a directory on disk ---- */

static char tmpl[] = "/tmp/ctxd-hazard.XXXXXX";
static int rootfd = -1;

static void
put(struct entry_list *l, const char *path, const char *content, size_t len)
{
	char full[512];
	int fd;

	snprintf(full, sizeof(full), "%s/%s", tmpl, path);
	if (content == NULL) {
		assert_int_equal(mkdir(full, 0755), 0);
		add(l, path, 'd', 0);
		return;
	}
	fd = open(full, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
	add(l, path, 'f', len);
}

static void
puts_(struct entry_list *l, const char *path, const char *content)
{
	put(l, path, content, strlen(content));
}

static char *
aws_key(void)
{
	char *s;

	/* assembled so the fixture is not itself a leaked-looking key */
	assert_true(asprintf(&s, "key = \"AK%sQ7XV2LM9RT4KP8ZW\"\n", "IA") > 0);
	return s;
}

static void
build_tree(struct entry_list *l)
{
	static const char core[20] = "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x04\0";
	char *key = aws_key(), pem[256], big[300];

	strcpy(tmpl, "/tmp/ctxd-hazard.XXXXXX");
	assert_non_null(mkdtemp(tmpl));
	snprintf(pem, sizeof(pem), "-----BEGIN %s KEY-----\n%s\n-----END\n",
	    "EC PRIVATE", "MHcCAQEEIBq7Xv2Lm9Rt4Kp8Zw3Nc6Hy1Bf5Dj0Gs7Qa2We9Ru4oAoGCCqGSM49");
	puts_(l, ".env", "A=1\n");
	puts_(l, ".env.example", "A=\n");
	put(l, ".git", NULL, 0);
	puts_(l, ".git/HEAD", "ref: x\n");
	puts_(l, ".DS_Store", "x");
	put(l, ".aws", NULL, 0);
	puts_(l, ".aws/credentials", "[default]\n");
	puts_(l, ".npmrc", "registry=https://r.example/\n");	/* no token */
	put(l, ".tox", NULL, 0);
	puts_(l, ".tox/log", "xx");
	puts_(l, "Dockerfile", "FROM scratch\nCOPY app /app\n");
	put(l, "app", NULL, 0);
	puts_(l, "app/.npmrc", "//r/:_authToken=abc\n");
	puts_(l, "app/cert.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	puts_(l, "app/main.py", key);
	puts_(l, "app/main.py.swp", "s");
	puts_(l, "app/old.pyc", "c");
	puts_(l, "app/server.key", pem);
	put(l, "conda", NULL, 0);
	put(l, "conda/conda-meta", NULL, 0);
	put(l, "core", core, sizeof(core));
	puts_(l, "core.txt", "not a core dump");
	puts_(l, "id_ed25519", pem);
	puts_(l, "id_ed25519.pub", "ssh-ed25519 AAAA me");
	puts_(l, "deploy.ppk", "PuTTY-User-Key-File-3: ssh-ed25519\n");
	puts_(l, "admin.conf", "apiVersion: v1\nkind: Config\nusers:\n- name: a\n"
	    "  user:\n    client-key-data: LS0tLS1\n");
	puts_(l, "nginx-admin.conf", "server { listen 80; }\n");	/* a decoy */
	puts_(l, "docker-auth.json", "{\"auths\":{\"ghcr.io\":{\"auth\":\"bWU6cHc=\"}}}");
	puts_(l, "package.json", "{\"name\": \"app\"}");	/* a decoy */
	memset(big, 'x', sizeof(big));
	put(l, "big.bin", big, sizeof(big));
	put(l, "node_modules", NULL, 0);
	puts_(l, "node_modules/x.js", "1");
	puts_(l, "prod.tfvars", "a = 1\n");
	puts_(l, "sa.json", "{\"type\": \"service_account\", \"private_key\": \"k\"}");
	put(l, "venv", NULL, 0);			/* a decoy: no markers */
	puts_(l, "venv/notes.txt", "hi");
	put(l, "v2", NULL, 0);
	put(l, "v2/bin", NULL, 0);
	puts_(l, "v2/bin/activate", "# venv");
	put(l, "v2/lib", NULL, 0);
	put(l, "v2/lib/python3.12", NULL, 0);
	put(l, "v2/lib/python3.12/site-packages", NULL, 0);
	entry_list_sort(l);
	free(key);
	rootfd = open(tmpl, O_RDONLY | O_DIRECTORY);
	assert_true(rootfd >= 0);
}

static void
rm_tree(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	assert_int_equal(system(cmd), 0);
	close(rootfd);
}

/* One line per finding: "severity rule path entries bytes in_image [preview line]". */
static char *
summary(const json_t *f)
{
	size_t i, cap = 8192, n = 0;
	char *out = malloc(cap);
	const json_t *o;

	assert_non_null(out);
	out[0] = '\0';
	json_array_foreach(f, i, o) {
		n += (size_t)snprintf(out + n, cap - n, "%s %s %s %lld %lld %s%s%s%s\n",
		    json_string_value(json_object_get(o, "severity")),
		    json_string_value(json_object_get(o, "rule")),
		    json_string_value(json_object_get(o, "path")),
		    json_integer_value(json_object_get(o, "entries")),
		    json_integer_value(json_object_get(o, "bytes")),
		    json_is_true(json_object_get(o, "in_image")) ? "image" : "-",
		    json_object_get(o, "preview") ? " " : "",
		    json_object_get(o, "preview") ?
		    json_string_value(json_object_get(o, "preview")) : "",
		    json_object_get(o, "line") ? " L" : "");
		assert_true(n < cap);
	}
	return out;
}

static void
test_every_class(void **state)
{
	struct entry_list l;
	struct hazard_options opt;
	uint8_t *use;
	json_t *f;
	char *got;
	size_t i;

	(void)state;
	entry_list_init(&l);
	build_tree(&l);
	/* COPY app /app: app and everything below it is in a layer */
	use = calloc(l.n, 1);
	assert_non_null(use);
	for (i = 0; i < l.n; i++)
		if (strncmp(l.v[i].path, "app", 3) == 0 &&
		    (l.v[i].path[3] == '\0' || l.v[i].path[3] == '/'))
			use[i] = DFUSE_LAYER;
	memset(&opt, 0, sizeof(opt));
	opt.rootfd = rootfd;
	opt.large_bytes = 200;
	opt.use = use;
	opt.scan = secretscan_new(NULL);
	opt.threads = 1;
	assert_non_null(opt.scan);
	f = hazard_run(&l, &opt, NULL);
	assert_non_null(f);
	got = summary(f);
	assert_string_equal(got,
	    "low junk-ds-store .DS_Store 1 1 -\n"
	    "high secret-aws-credentials .aws/credentials 1 10 -\n"
	    "high secret-dotenv .env 1 4 -\n"
	    "high vcs-git .git 2 7 -\n"
	    "low cache-tool .tox 2 2 -\n"
	    "high secret-kubeconfig admin.conf 1 82 -\n"
	    "critical secret-npmrc app/.npmrc 1 20 image\n"
	    "critical secret-aws-access-key app/main.py 1 29 image "
	    "AKIA\xe2\x80\xa6(20 chars) L\n"
	    "low junk-editor-swap app/main.py.swp 1 1 image\n"
	    "low pycache-bytecode app/old.pyc 1 1 image\n"
	    "critical secret-private-key app/server.key 1 104 image "
	    "-----BEGIN EC PRIVATE KEY-----\xe2\x80\xa6 L\n"
	    "medium large-file big.bin 1 300 -\n"
	    "high venv-python conda 2 0 -\n"
	    "low junk-core-dump core 1 20 -\n"
	    "high secret-ssh-key deploy.ppk 1 35 -\n"
	    "high secret-docker-config docker-auth.json 1 41 -\n"
	    "high secret-ssh-key id_ed25519 1 104 -\n"
	    "medium deps-node-modules node_modules 2 1 -\n"
	    "high secret-terraform-state prod.tfvars 1 6 -\n"
	    "high secret-gcp-service-account sa.json 1 47 -\n"
	    "high venv-python v2 6 6 -\n");
	/* the same with names only: no gated or content rules */
	free(got);
	json_decref(f);
	f = hazard_scan(&l);
	got = summary(f);
	assert_null(strstr(got, "secret-npmrc"));
	assert_null(strstr(got, "secret-aws-access-key"));
	assert_non_null(strstr(got, "secret-ssh-key"));
	/* the cache answers a second run (digested entries) */
	for (i = 0; i < l.n; i++)
		if (l.v[i].type == 'f') {
			memset(l.v[i].digest, (int)i, 32);
			l.v[i].flags |= ENTRY_DIGESTED;
		}
	json_decref(f);
	f = hazard_run(&l, &opt, NULL);
	json_decref(f);
	assert_true(secretscan_cached(opt.scan) > 0);
	{
		char *again;
		size_t before = secretscan_cached(opt.scan);
		f = hazard_run(&l, &opt, NULL);
		again = summary(f);
		json_decref(f);
		assert_int_equal(secretscan_cached(opt.scan), before);
		free(again);
	}
	free(got);
	free(use);
	secretscan_free(opt.scan);
	rm_tree();
	entry_list_free(&l);
}

static void
write_at(const char *name, const char *text)
{
	int fd = openat(rootfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void
test_allow(void **state)
{
	struct hazard_allow a;
	struct ctx_error err;
	json_t *f, *allowed;
	char *s;

	(void)state;
	strcpy(tmpl, "/tmp/ctxd-hazard.XXXXXX");
	assert_non_null(mkdtemp(tmpl));
	rootfd = open(tmpl, O_RDONLY | O_DIRECTORY);
	write_at(".dockerignore", "# ctxd:allow secret-dotenv .env\n# a comment\n"
	    "node_modules\n");
	write_at(".ctxdignore", "# accepted\nvcs-* .git/\n\n");
	assert_int_equal(hazard_allow_load(rootfd, &a, &err), 0);
	assert_int_equal(a.n, 2);
	f = json_loads("[{\"rule\":\"secret-dotenv\",\"path\":\".env\"},"
	    "{\"rule\":\"secret-dotenv\",\"path\":\"sub/.env\"},"
	    "{\"rule\":\"vcs-git\",\"path\":\".git\"}]", 0, NULL);
	allowed = hazard_allow_apply(&a, f);
	s = json_dumps(f, JSON_COMPACT);
	assert_string_equal(s, "[{\"rule\":\"secret-dotenv\",\"path\":\"sub/.env\"}]");
	free(s);
	assert_int_equal(json_array_size(allowed), 2);
	json_decref(f);
	json_decref(allowed);
	hazard_allow_free(&a);
	/* a malformed .ctxdignore line is an error naming the line */
	write_at(".ctxdignore", "ok .git\njustone\n");
	assert_int_equal(hazard_allow_load(rootfd, &a, &err), -1);
	assert_string_equal(err.msg, ".ctxdignore:2: expected `RULE PATH`");
	rm_tree();
}

/*
 * The content scan in the hashing pass (hazard_prescan_*): the findings
 * are those of hazard_run() reading the files itself, and hazard_run()
 * then reads nothing (the files are changed after hashing: the findings
 * still come from the bytes that were hashed, and nothing new is cached).
 */
static void
test_prescan(void **state)
{
	struct entry_list l;
	struct hazard_options opt;
	struct digest_options dopt;
	struct hazard_prescan *pre;
	struct ctx_error err;
	json_t *f;
	char *want, *got;
	size_t cached, i;
	unsigned t;

	(void)state;
	for (t = 1; t <= 3; t += 2) {
		entry_list_init(&l);
		build_tree(&l);
		memset(&opt, 0, sizeof(opt));
		opt.rootfd = rootfd;
		opt.large_bytes = 200;
		opt.threads = 1;
		/* what hazard_run() finds reading the files itself */
		opt.scan = secretscan_new(NULL);
		assert_non_null(opt.scan);
		f = hazard_run(&l, &opt, NULL);
		assert_non_null(f);
		want = summary(f);
		json_decref(f);
		secretscan_free(opt.scan);
		for (i = 0; i < l.n; i++)
			l.v[i].flags &= ~ENTRY_DIGESTED;

		opt.scan = secretscan_new(NULL);
		assert_non_null(opt.scan);
		pre = hazard_prescan_new(opt.scan);
		assert_non_null(pre);
		memset(&dopt, 0, sizeof(dopt));
		dopt.threads = t;
		dopt.scan = hazard_prescan_hook(pre);
		assert_int_equal(digest_entries(&l, rootfd, &dopt, &err), 0);
		hazard_prescan_free(pre);
		cached = secretscan_cached(opt.scan);
		assert_true(cached > 0);
		write_at("app/main.py", "print('nothing here')\n");
		write_at("app/.npmrc", "registry=https://r.example/\n");
		f = hazard_run(&l, &opt, NULL);
		assert_non_null(f);
		got = summary(f);
		json_decref(f);
		assert_string_equal(got, want);
		assert_int_equal(secretscan_cached(opt.scan), cached);
		free(want);
		free(got);
		secretscan_free(opt.scan);
		rm_tree();
		entry_list_free(&l);
	}
}

static void
test_rule_table(void **state)
{
	size_t i, j;

	(void)state;
	/* ids are unique; every content rule has a row */
	for (i = 0; i < hazard_nrules; i++)
		for (j = i + 1; j < hazard_nrules; j++)
			assert_string_not_equal(hazard_rules[i].id, hazard_rules[j].id);
	for (i = 0; i < SS_NRULES; i++) {
		assert_non_null(hazard_rule_content((int)i));
		assert_string_equal(hazard_rule_content((int)i)->id,
		    secretscan_rule_id((enum secretscan_rule)i));
	}
	assert_int_equal(hazard_severity_parse("critical"), SEV_CRITICAL);
	assert_int_equal(hazard_severity_parse("bogus"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grouped_directories),
		cmocka_unit_test(test_dotenv_and_decoys),
		cmocka_unit_test(test_every_class),
		cmocka_unit_test(test_allow),
		cmocka_unit_test(test_prescan),
		cmocka_unit_test(test_rule_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
