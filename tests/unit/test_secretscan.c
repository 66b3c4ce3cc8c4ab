/*
 * The content rules: for each, a true positive and near-miss decoys, the
 * exact redacted preview (never the value) and the line.  Tokens are
 * assembled at run time (prefix + body) so that no secret scanner run over
 * this repository mistakes the fixtures for leaked keys.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secretscan.h"

static struct secretscan *S;
static struct secretscan_ctx *C;

static int
setup(void **state)
{
	(void)state;
	S = secretscan_new(NULL);
	C = S != NULL ? secretscan_ctx_new(S) : NULL;
	return C == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	secretscan_ctx_free(C);
	secretscan_free(S);
	return 0;
}

/* 40 mixed-case alphanumerics, deterministic */
static const char body[] = "q7Xv2Lm9Rt4Kp8Zw3Nc6Hy1Bf5Dj0Gs7Qa2We9Ru4";

static struct secretscan_result
scan(const char *text, uint32_t gates)
{
	struct secretscan_result r;

	secretscan_buffer(C, text, strlen(text), gates, &r);
	return r;
}

/* The one rule that must hit text, with this preview, on this line. */
static void
expect_hit(const char *text, enum secretscan_rule rule, const char *preview,
    unsigned line)
{
	struct secretscan_result r = scan(text, 0);

	assert_int_equal(r.hits, 1u << rule);
	assert_string_equal(r.preview[rule], preview);
	assert_int_equal(r.line[rule], line);
	/* the preview never holds the secret part */
	assert_null(strstr(r.preview[rule], "q7Xv2Lm9"));
}

static void
expect_none(const char *text)
{
	struct secretscan_result r = scan(text, 0);

	if (r.hits != 0)
		fail_msg("unexpected hit %#x in: %s", r.hits, text);
}

static char *
mk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
mk(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	assert_true(vasprintf(&s, fmt, ap) >= 0);
	va_end(ap);
	return s;
}

static void
test_private_key(void **state)
{
	char *t = mk("x\n-----BEGIN %s PRIVATE KEY-----\n%s%s\n-----END RSA "
	    "PRIVATE KEY-----\n", "RSA", body, body);

	(void)state;
	expect_hit(t, SS_PRIVATE_KEY,
	    "-----BEGIN RSA PRIVATE KEY-----\xe2\x80\xa6", 2);
	free(t);
	t = mk("-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n", body);
	expect_hit(t, SS_PRIVATE_KEY,
	    "-----BEGIN OPENSSH PRIVATE KEY-----\xe2\x80\xa6", 1);
	free(t);
	/* decoys: a public key, a certificate, code that names the header */
	t = mk("-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n", body);
	expect_none(t);
	free(t);
	t = mk("-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n", body);
	expect_none(t);
	free(t);
	expect_none("if line == \"-----BEGIN RSA PRIVATE KEY-----\": return\n");
}

static void
test_aws(void **state)
{
	char *t = mk("aws_access_key_id=AK%sQ7XV2LM9RT4KP8ZW\n", "IA");

	(void)state;
	expect_hit(t, SS_AWS, "AKIA\xe2\x80\xa6(20 chars)", 1);
	free(t);
	t = mk("id: AS%sQ7XV2LM9RT4KP8ZW3\n", "IA");
	expect_none(t);		/* 21 characters: not a key id */
	free(t);
	/* AWS's documentation key and anything ending in EXAMPLE */
	expect_none("aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n");
	expect_none("key AKIAI44QH8DHBEXAMPLE here\n");
}

static void
test_tokens(void **state)
{
	static const struct {
		const char *prefix, *rest;
		enum secretscan_rule rule;
		const char *preview;
	} tp[] = {
		{ "gh", "p_q7Xv2Lm9Rt4Kp8Zw3Nc6Hy1Bf5Dj0Gs7Qa2W", SS_GITHUB,
		    "ghp_\xe2\x80\xa6(40 chars)" },
		{ "gl", "pat-q7Xv2Lm9Rt4Kp8Zw3Nc6", SS_GITLAB,
		    "glpat-\xe2\x80\xa6(26 chars)" },
		{ "xo", "xb-1234567890-q7Xv2Lm9Rt4Kp8Zw", SS_SLACK,
		    "xoxb-\xe2\x80\xa6(32 chars)" },
		{ "sk", "_live_q7Xv2Lm9Rt4Kp8Zw3Nc6Hy1", SS_STRIPE,
		    "sk_live_\xe2\x80\xa6(31 chars)" },
		{ "np", "m_q7Xv2Lm9Rt4Kp8Zw3Nc6Hy1Bf5Dj0Gs7Qa2W", SS_NPM,
		    "npm_\xe2\x80\xa6(40 chars)" },
		{ "pypi-AgEIcHlwaS5vcmc", "q7Xv2Lm9Rt4Kp8Zw3Nc6Hy1Bf5Dj0Gs7Qa2We9Ru4q7Xv2Lm9Rt4Kp",
		    SS_PYPI, "pypi-\xe2\x80\xa6(74 chars)" },
		{ "AI", "zaSyq7Xv2Lm9Rt4Kp8Zw3Nc6Hy1Bf5Dj0Gs7Q", SS_GOOGLE,
		    "AIza\xe2\x80\xa6(39 chars)" },
		{ "sk-ant-", "api03-q7Xv2Lm9Rt4Kp8Zw3Nc6Hy1Bf5Dj0Gs7Qa2We9Ru4", SS_ANTHROPIC,
		    "sk-ant-\xe2\x80\xa6(54 chars)" },
		{ "sk-", "proj-q7Xv2Lm9Rt4Kp8Zw3Nc6Hy1Bf5Dj0Gs7Qa2", SS_OPENAI,
		    "sk-\xe2\x80\xa6(43 chars)" },
		{ "eyJhbGciOiJIUzI1NiJ9", ".eyJzdWIiOiIxMjM0NTY3ODkwIn0.q7Xv2Lm9Rt4Kp8Zw3Nc6Hy1",
		    SS_JWT, "eyJ\xe2\x80\xa6(72 chars)" },
		{ "postgres://shop:", "q7Xv2Lm9Rt4Kp8Zw@db.internal:5432/app",
		    SS_URLCRED, "postgres://shop:\xe2\x80\xa6(16 chars)@" },
		{ "mongodb+srv://app:", "q7Xv2Lm9Rt@cluster0.x.mongodb.net/db",
		    SS_URLCRED, "mongodb+srv://app:\xe2\x80\xa6(10 chars)@" },
		{ "redis://:", "q7Xv2Lm9Rt4K@cache:6379/0", SS_URLCRED,
		    "redis://:\xe2\x80\xa6(12 chars)@" },
		{ "https://hooks.slack.com/", "services/T0A1B2C3D/B4E5F6G7H/q7Xv2Lm9Rt4Kp8Zw3Nc6Hy1B",
		    SS_SLACK_WEBHOOK, "https://\xe2\x80\xa6(77 chars)" },
	};
	static const char *const decoys[] = {
		"ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",	/* no entropy */
		"ghp_short123",
		"glpat-",
		"xoxb-not-a-token",
		"sk_test_q7Xv2Lm9Rt4Kp8Zw3Nc6Hy1",		/* a test key */
		"npm_install_script",
		"AIzaShort",
		"task-runner sk-learn sk-",
		"eyJhbGciOiJIUzI1NiJ9",			/* a header alone */
		"my-sk-q7Xv2Lm9Rt4Kp8Zw3Nc6Hy1Bf5Dj0Gs7Qa2",	/* inside a word */
		/* a URL's words: no key is one case only */
		"https://example.com/news/sk-hynix-announces-hbm4-memory-for-ai-accelerators",
		/* URLs without a password worth the name */
		"postgres://postgres:postgres@db:5432/app",	/* the dev default */
		"postgres://user:password@localhost/db",
		"https://me:${GIT_TOKEN}@github.com/x/y.git",
		"mongodb+srv://app:<password>@cluster0.mongodb.net",
		"redis://:@localhost:6379",
		"amqp://guest:guest@rabbit:5672",
		"http://example.com:8080/path?q=a:b@c",
		"see https://user:pass@host for the form",
		"mailto:me@example.com",
		"https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
	};
	size_t i;
	char *t;

	(void)state;
	for (i = 0; i < sizeof(tp) / sizeof(tp[0]); i++) {
		t = mk("line one\nTOKEN_VALUE %s%s end\n", tp[i].prefix, tp[i].rest);
		expect_hit(t, tp[i].rule, tp[i].preview, 2);
		free(t);
	}
	for (i = 0; i < sizeof(decoys) / sizeof(decoys[0]); i++)
		expect_none(decoys[i]);
}

static void
test_generic(void **state)
{
	static const char *const hits[][2] = {
		{ "DB_PASSWORD=Xk29vLq8Rz4", "DB_PASSWORD=\xe2\x80\xa6(11 chars)" },
		{ "  \"api_key\": \"a8F3kLm2Qz9Xw4\",", "api_key=\xe2\x80\xa6(14 chars)" },
		{ "token := \"Tq8Lm3Xz9Vb2Nw\"", "token=\xe2\x80\xa6(14 chars)" },
		{ "client_secret: 7hG2kLp9QxZ4vM", "client_secret=\xe2\x80\xa6(14 chars)" },
		/* camelCase names end in a keyword too */
		{ "const c = { secretAccessKey: 'Xk29vLq8Rz4abc' };",
		    "secretAccessKey=\xe2\x80\xa6(14 chars)" },
		{ "  dbPassword: 'Xk29vLq8Rz4',", "dbPassword=\xe2\x80\xa6(11 chars)" },
		{ "refreshToken = \"Xk29vLq8Rz4\"", "refreshToken=\xe2\x80\xa6(11 chars)" },
		/* a quoted value may hold $ % ( ): Django's keys do */
		{ "SECRET_KEY = 'django-insecure-q$b%c(d)Xk29vLq8Rz4'",
		    "SECRET_KEY=\xe2\x80\xa6(35 chars)" },
		{ "db_password: \"k7$Hq9!xZp2@Lm4#abcd\"",
		    "db_password=\xe2\x80\xa6(20 chars)" },
		{ "SECRET_KEY = 'django-insecure-dw2lq97tuaj6&9uk-*82s@*rfh$%()'",
		    "SECRET_KEY=\xe2\x80\xa6(46 chars)" },
		{ "private_key = 'Jx8f2LkQ9mZpW3vR7tY1'", "private_key=\xe2\x80\xa6(20 chars)" },
	};
	static const char *const decoys[] = {
		"password = changeme",
		"password = ${PASSWORD}",
		"token: <your-token>",
		"api_key = os.environ['API_KEY']",
		"secret = get_secret(name)",
		"password: \"{{ vault_password }}\"",
		"PASSWORD=example12345",
		"password = aaaaaaaa11",			/* no entropy */
		"if password == Xk29vLq8Rz4:",		/* a comparison */
		"mypassword=Xk29vLq8Rz4",		/* not the keyword */
		"password_file=/run/secrets/Xk29vLq8Rz4",
		"token = abc",				/* too short */
		"mypassword=Xk29vLq8Rz4x",		/* lower case: one word */
		/* references to a value kept elsewhere */
		"access_key = aws_iam_access_key.s3_uploader.id",
		"access_key = settings.S3_ACCESS_KEY",
		"api_key: process.env.API_KEY_V2",
		"secret_key = config.secret_key2",
		/* templates, quoted or not */
		"password: \"${DB_PASSWORD_2}\"",
		"password = \"$DB_PASSWORD_2\"",
		"secret = \"%(secret_2)s\"",
		"password = \"<your-password-2>\"",
		"token = \"{token_2}\"",
		"token = \"#{ENV['TOKEN_2']}\"",
		"password = \"<%= ENV['PASSWORD_2'] %>\"",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hits) / sizeof(hits[0]); i++)
		expect_hit(hits[i][0], SS_GENERIC, hits[i][1], 1);
	for (i = 0; i < sizeof(decoys) / sizeof(decoys[0]); i++)
		expect_none(decoys[i]);
}

/*
 * Every keyword, in any case, at every offset around the 16-byte blocks
 * the trigger search reads (and in the tail it reads byte by byte), with
 * each operator; a token likewise.
 */
static void
test_generic_keys_and_offsets(void **state)
{
	static const char *const keys[] = { "password", "passwd", "secret",
	    "secret_key", "secret-key", "secretkey", "token", "auth_token",
	    "authtoken", "access_token", "accesstoken", "api_key", "api-key",
	    "apikey", "access_key", "access-key", "accesskey", "client_secret",
	    "client-secret", "private_key", "private-key", "privatekey",
	    "AccountKey", "account_key",
	    "DB_PASSWORD", "Api_Key", "X.TOKEN" };
	static const char *const ops[] = { "=", " = ", ": ", " := ", "\": \"" };
	char text[160], pv[64], key[40];
	struct secretscan_result r;
	size_t k, o, pad, n, i;

	(void)state;
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		for (o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
			for (pad = 0; pad < 40; pad += (k + o) % 3 + 1) {
				/* the key once as given, once upper-cased */
				snprintf(key, sizeof(key), "%s", keys[k]);
				if (pad % 2)
					for (i = 0; key[i] != '\0'; i++)
						if (key[i] >= 'a' && key[i] <= 'z')
							key[i] = (char)(key[i] - 32);
				n = (size_t)snprintf(text, sizeof(text),
				    "%*s%s%sXk29vLq8Rz4\n", (int)pad, "", key,
				    ops[o]);
				secretscan_buffer(C, text, n, 0, &r);
				if (r.hits != 1u << SS_GENERIC)
					fail_msg("no hit in: %s", text);
				snprintf(pv, sizeof(pv), "%s=\xe2\x80\xa6(11 chars)",
				    key);
				assert_string_equal(r.preview[SS_GENERIC], pv);
			}
		}
	}
	for (pad = 0; pad < 40; pad++) {
		char *t = mk("%*sx = \"AK%s\"\n", (int)pad, "",
		    "IAQ7XV2LM9RT4KP8ZW");
		secretscan_buffer(C, t, strlen(t), 0, &r);
		assert_int_equal(r.hits, 1u << SS_AWS);
		free(t);
	}
}

static void
test_gates(void **state)
{
	static const struct {
		uint32_t gate;
		const char *yes, *no;
	} g[] = {
		{ SG_NPMRC, "//registry.npmjs.org/:_authToken=abc123\n",
		    "registry=https://registry.npmjs.org/\n" },
		/* npm's own advice: the token from the environment */
		{ SG_NPMRC, "//registry.npmjs.org/:_authToken=abc123\n",
		    "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n" },
		{ SG_PYPIRC, "[pypi]\nusername = __token__\npassword = abc\n",
		    "[distutils]\nindex-servers = pypi\n" },
		{ SG_NETRC, "machine example.com login me password hunter2\n",
		    "machine example.com login me\n" },
		{ SG_GITCRED, "https://me:abc123@github.com\n", "https://github.com\n" },
		{ SG_PGPASS, "db:5432:app:me:hunter2\n", "# host:port:db:user:pw\n" },
		{ SG_HTPASSWD, "admin:$apr1$abc$def\n", "# no users yet\n" },
		{ SG_DOCKERCFG, "{\"auths\":{\"ghcr.io\":{\"auth\":\"bWU6cHc=\"}}}",
		    "{\"auths\":{},\"credsStore\":\"desktop\"}" },
		{ SG_KUBECONFIG, "apiVersion: v1\nkind: Config\nusers:\n- name: a\n"
		    "  user:\n    token: abc\n", "apiVersion: v1\nkind: Config\n"
		    "users:\n- name: a\n  user:\n    exec:\n      command: aws\n" },
		{ SG_GCPSA, "{\"type\": \"service_account\", \"private_key\": \"x\"}",
		    "{\"type\": \"authorized_user\"}" },
	};
	struct secretscan_result r;
	static const char core[20] = "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x04\0";
	static const char exe[20] = "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		assert_int_equal(scan(g[i].yes, g[i].gate).gates, g[i].gate);
		assert_int_equal(scan(g[i].no, g[i].gate).gates, 0);
		/* a gate not asked for is not checked */
		assert_int_equal(scan(g[i].yes, 0).gates, 0);
	}
	secretscan_buffer(C, core, sizeof(core), SG_ELFCORE, &r);
	assert_int_equal(r.gates, SG_ELFCORE);
	assert_true(r.binary);
	secretscan_buffer(C, exe, sizeof(exe), SG_ELFCORE, &r);
	assert_int_equal(r.gates, 0);
}

static void
test_binary_and_cap(void **state)
{
	char *buf = calloc(1, SECRETSCAN_MAX_BYTES + 100);
	struct secretscan_result r;
	char *t = mk("AK%sQ7XV2LM9RT4KP8ZW", "IA");

	(void)state;
	assert_non_null(buf);
	/* a NUL in the probe: binary, not scanned */
	memcpy(buf + 100, t, strlen(t));
	secretscan_buffer(C, buf, 200, 0, &r);
	assert_true(r.binary);
	assert_int_equal(r.hits, 0);
	/* text, but the key lies past the cap */
	memset(buf, 'a', SECRETSCAN_MAX_BYTES + 100);
	memcpy(buf + SECRETSCAN_MAX_BYTES + 10, t, strlen(t));
	secretscan_buffer(C, buf, SECRETSCAN_MAX_BYTES + 100, 0, &r);
	assert_int_equal(r.hits, 0);
	memcpy(buf + SECRETSCAN_MAX_BYTES - 40, t, strlen(t));
	secretscan_buffer(C, buf, SECRETSCAN_MAX_BYTES + 100, 0, &r);
	assert_int_equal(r.hits, 0);	/* glued to the a's: not a whole word */
	buf[SECRETSCAN_MAX_BYTES - 41] = ' ';
	buf[SECRETSCAN_MAX_BYTES - 20] = ' ';
	secretscan_buffer(C, buf, SECRETSCAN_MAX_BYTES + 100, 0, &r);
	assert_int_equal(r.hits, 1u << SS_AWS);
	free(buf);
	free(t);
}

static void
test_cache(void **state)
{
	unsigned char d1[32], d2[32];
	struct secretscan_result r, got;

	(void)state;
	memset(d1, 1, sizeof(d1));
	memset(d2, 2, sizeof(d2));
	r = scan("DB_PASSWORD=Xk29vLq8Rz4\n", 0);
	assert_false(secretscan_lookup(S, d1, 0, &got));
	secretscan_store(S, d1, 0, &r);
	assert_true(secretscan_lookup(S, d1, 0, &got));
	assert_int_equal(got.hits, 1u << SS_GENERIC);
	assert_string_equal(got.preview[SS_GENERIC],
	    "DB_PASSWORD=\xe2\x80\xa6(11 chars)");
	/* the gates asked for are part of the key */
	assert_false(secretscan_lookup(S, d1, SG_NPMRC, &got));
	r = scan("nothing here", 0);
	secretscan_store(S, d2, 0, &r);
	assert_true(secretscan_lookup(S, d2, 0, &got));
	assert_int_equal(got.hits, 0);
	assert_int_equal(secretscan_cached(S), 2);
}

static void
test_entropy(void **state)
{
	(void)state;
	assert_true(secretscan_entropy("aaaa", 4) == 0.0);
	assert_true(secretscan_entropy("abcd", 4) == 2.0);
	assert_string_equal(secretscan_rule_id(SS_AWS), "secret-aws-access-key");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_private_key),
		cmocka_unit_test(test_aws),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_generic),
		cmocka_unit_test(test_generic_keys_and_offsets),
		cmocka_unit_test(test_gates),
		cmocka_unit_test(test_binary_and_cap),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_entropy),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
