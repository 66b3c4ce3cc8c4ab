/*
 * Content scanning for secrets (see secretscan.h).  A file is searched
 * once, 16 bytes at a time (SSE2), for the few bytes every rule needs (`A`
 * of AKIA/AIza, `J` of eyJ, the `_` or `-` of ghp_, glpat-, sk-,
 * -----BEGIN, and the `=` or `:` of an assignment); only where the literal around such a byte fits a
 * rule is that rule's JIT-compiled pattern run, anchored there.  One
 * combined PCRE2 pattern was 4x too slow (84 MB/s on the bench tree's
 * text): its start-of-match filter cannot skip the common letters the
 * prefixes begin with.  Every match is then vetted by its rule
 * (documentation keys, placeholders, entropy) before it counts.  The
 * results are cached by digest (scancache.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "readfile.h"
#include "scancache.h"
#include "secretscan.h"

/*
 * The rules, in enum secretscan_rule order.  prefix is how many bytes of a
 * match the preview may show: the fixed, public part of the token format
 * (`AKIA`, `ghp_`), never any of the secret part.
 */
static const struct {
	const char *id, *re;
	unsigned prefix;
} rules[SS_NRULES] = {
	[SS_PRIVATE_KEY] = { "secret-private-key",
	    "-----BEGIN[ ](?:[A-Z0-9]+[ ])*PRIVATE[ ]KEY(?:[ ]BLOCK)?-----"
	    "(?s:.{0,300}?)[A-Za-z0-9+/]{40}", 0 },
	[SS_AWS] = { "secret-aws-access-key",
	    "(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])", 4 },
	[SS_GITHUB] = { "secret-github-token",
	    "(?<![A-Za-z0-9_])(?:gh[opsur]_[A-Za-z0-9]{36,255}|"
	    "github_pat_[A-Za-z0-9_]{60,255})(?![A-Za-z0-9_])", 4 },
	[SS_GITLAB] = { "secret-gitlab-token",
	    "(?<![A-Za-z0-9_])glpat-[A-Za-z0-9_-]{20,64}(?![A-Za-z0-9_-])", 6 },
	[SS_SLACK] = { "secret-slack-token",
	    "(?<![A-Za-z0-9])xox[abpr]-[0-9]{6,}-[0-9A-Za-z-]{8,255}", 5 },
	[SS_STRIPE] = { "secret-stripe-key",
	    "(?<![A-Za-z0-9_])[rs]k_live_[0-9A-Za-z]{20,255}", 8 },
	[SS_NPM] = { "secret-npm-token",
	    "(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])", 4 },
	[SS_PYPI] = { "secret-pypi-token",
	    "(?<![A-Za-z0-9_])pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}", 5 },
	[SS_GOOGLE] = { "secret-google-api-key",
	    "(?<![A-Za-z0-9_])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])", 4 },
	[SS_ANTHROPIC] = { "secret-anthropic-key",
	    "(?<![A-Za-z0-9_-])sk-ant-[a-z]{3,8}[0-9]{2}-[A-Za-z0-9_-]{40,255}", 7 },
	[SS_OPENAI] = { "secret-openai-key",
	    "(?<![A-Za-z0-9_-])sk-(?!ant-)(?:(?:proj|svcacct|admin)-)?"
	    "[A-Za-z0-9_-]{32,255}(?![A-Za-z0-9_-])", 3 },
	[SS_JWT] = { "secret-jwt",
	    "(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\."
	    "[A-Za-z0-9_-]{16,}", 3 },
	/* matched in C: generic_at() */
	[SS_GENERIC] = { "secret-generic-assignment", NULL, 0 },
	[SS_SLACK_WEBHOOK] = { "secret-slack-webhook",
	    "https://hooks\\.slack\\.com/(?:services|workflows)/"
	    "T[A-Z0-9]{6,12}/[AB][A-Z0-9]{6,12}/[A-Za-z0-9]{20,32}", 8 },
	/* from the scheme; the password is vetted in C: url_at() */
	[SS_URLCRED] = { "secret-url-password",
	    "[A-Za-z][A-Za-z0-9+.-]{0,30}://[^:/?#@\\s'\"<>]{0,128}:"
	    "[^@/?#\\s'\"<>]{1,128}@[A-Za-z0-9_.\\[-]", 0 },
};

/* The gates' patterns, in bit order; NULL for a check done in C. */
static const char *const gate_re[SG_NGATES] = {
	/* not ${NPM_TOKEN}: npm reads the token from the environment */
	"(?m)^[ \\t]*(?:\\S*:)?(?:_authToken|_auth|_password)[ \\t]*=[ \\t]*"
	    "(?!\\$\\{)\\S",
	"(?m)^[ \\t]*password[ \\t]*[=:][ \\t]*\\S",
	"(?:^|\\s)password\\s+\\S",
	"[A-Za-z][A-Za-z0-9+.-]*://[^:/\\s@]+:[^@\\s]+@",
	"(?m)^[^#\\s][^:\\n]*:[^:\\n]*:[^:\\n]*:[^:\\n]*:[^\\n]+",
	"(?m)^[^#:\\s][^:\\n]*:\\S{2,}",
	"\"auths\"\\s*:\\s*\\{\\s*\"[^\"]+\"\\s*:\\s*\\{[^{}]*"
	    "\"(?:auth|identitytoken)\"\\s*:\\s*\"[^\"]+\"",
	"(?ms)\\A(?=.*^kind:[ \\t]*[\"']?Config\\b)"
	    "(?=.*^[ \\t-]*(?:token|client-key-data|client-key|password):[ \\t]*\\S)",
	"(?s)\\A(?=.*\"type\"\\s*:\\s*\"service_account\")(?=.*\"private_key\"\\s*:)",
	NULL,
};

struct secretscan {
	pcre2_code *re[SS_NRULES];	/* each rule, matched anchored */
	pcre2_code *gate[SG_NGATES];
	struct scancache cache;		/* keyed by fingerprint() of the rules */
};

struct secretscan_ctx {
	const struct secretscan *s;
	pcre2_match_data *md;
	char *buf;			/* SECRETSCAN_MAX_BYTES */
};

const char *
secretscan_rule_id(enum secretscan_rule r)
{
	return (unsigned)r < SS_NRULES ? rules[r].id : "secret";
}

static pcre2_code *
compile(const char *re, struct ctx_error *err)
{
	PCRE2_SIZE off;
	int ec;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
	    PCRE2_NO_UTF_CHECK, &ec, &off, NULL);

	if (c == NULL) {
		PCRE2_UCHAR msg[128];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		ctx_error_set(err, CTX_ERR_PATTERN,
		    "secretscan: pattern error at %zu: %s", (size_t)off, msg);
		return NULL;
	}
	/* No JIT (an unsupported CPU, a W^X policy) is slower, not wrong. */
	(void)pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
	return c;
}

/*
 * Bump when the vetting done in C changes what a file yields (generic_at,
 * placeholder, token_ok, elf_core, the trigger bytes, the preview text):
 * it is part of the fingerprint, so that cache files written by the older
 * code are ignored rather than trusted.
 */
#define SECRETSCAN_LOGIC 3

/*
 * The rule set's fingerprint, which keys the cache file: SHA-256 of every
 * pattern's source, the limits that change results, the logic revision
 * and the PCRE2 version (a new PCRE2 may match differently).
 */
static int
fingerprint(unsigned char out[32], struct ctx_error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char lim[160];
	PCRE2_UCHAR ver[64] = "";
	size_t i;
	int ok;

	(void)pcre2_config(PCRE2_CONFIG_VERSION, ver);
	snprintf(lim, sizeof(lim), "ctxd secretscan logic %d max %u probe %u "
	    "preview %u rules %d gates %d pcre2 %s", SECRETSCAN_LOGIC,
	    SECRETSCAN_MAX_BYTES, SECRETSCAN_PROBE, SECRETSCAN_PREVIEW,
	    SS_NRULES, SG_NGATES, (const char *)ver);
	ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(md, lim, strlen(lim) + 1);
	/* Each string with its NUL, so that no two sets run together; a
	 * check done in C counts as the string "\1". */
	for (i = 0; ok && i < SS_NRULES; i++) {
		snprintf(lim, sizeof(lim), "%s %u", rules[i].id,
		    rules[i].prefix);
		ok = EVP_DigestUpdate(md, lim, strlen(lim) + 1) &&
		    EVP_DigestUpdate(md, rules[i].re ? rules[i].re : "\1",
		    strlen(rules[i].re ? rules[i].re : "\1") + 1);
	}
	for (i = 0; ok && i < SG_NGATES; i++)
		ok = EVP_DigestUpdate(md, gate_re[i] ? gate_re[i] : "\1",
		    strlen(gate_re[i] ? gate_re[i] : "\1") + 1);
	ok = ok && EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
	return ok ? 0 : ctx_error_set(err, CTX_ERR_SYS,
	    "secretscan: SHA-256 unavailable");
}

struct secretscan *
secretscan_new(struct ctx_error *err)
{
	struct secretscan *s = calloc(1, sizeof(*s));
	unsigned char fp[32];
	size_t i;

	if (s == NULL) {
		ctx_error_nomem(err);
		return NULL;
	}
	for (i = 0; i < SS_NRULES; i++)
		if (rules[i].re != NULL &&
		    (s->re[i] = compile(rules[i].re, err)) == NULL)
			goto fail;
	for (i = 0; i < SG_NGATES; i++)
		if (gate_re[i] != NULL && (s->gate[i] = compile(gate_re[i], err)) == NULL)
			goto fail;
	if (fingerprint(fp, err) == -1)
		goto fail;
	scancache_init(&s->cache, fp);
	return s;
fail:
	secretscan_free(s);
	return NULL;
}

void
secretscan_free(struct secretscan *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < SS_NRULES; i++)
		pcre2_code_free(s->re[i]);
	for (i = 0; i < SG_NGATES; i++)
		pcre2_code_free(s->gate[i]);
	scancache_free(&s->cache);
	free(s);
}

static pthread_once_t shared_once = PTHREAD_ONCE_INIT;
static struct secretscan *shared;

static void
shared_init(void)
{
	shared = secretscan_new(NULL);
}

struct secretscan *
secretscan_shared(void)
{
	pthread_once(&shared_once, shared_init);
	return shared;
}

struct secretscan_ctx *
secretscan_ctx_new(const struct secretscan *s)
{
	struct secretscan_ctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->s = s;
	c->md = pcre2_match_data_create(2, NULL);
	c->buf = malloc(SECRETSCAN_MAX_BYTES);
	if (c->md == NULL || c->buf == NULL) {
		secretscan_ctx_free(c);
		return NULL;
	}
	return c;
}

void
secretscan_ctx_free(struct secretscan_ctx *c)
{
	if (c == NULL)
		return;
	pcre2_match_data_free(c->md);
	free(c->buf);
	free(c);
}

double
secretscan_entropy(const char *p, size_t n)
{
	size_t count[256] = {0}, i;
	double h = 0;

	for (i = 0; i < n; i++)
		count[(unsigned char)p[i]]++;
	for (i = 0; i < 256; i++) {
		if (count[i] > 0) {
			double f = (double)count[i] / (double)n;
			h -= f * log2(f);
		}
	}
	return h;
}

/* Substrings that mark a value as a placeholder, not a secret. */
static bool
is_alnum(int ch)
{
	return (ch >= '0' && ch <= '9') || ((ch | 32) >= 'a' && (ch | 32) <= 'z');
}

static bool
is_ident(int ch)
{
	return is_alnum(ch) || ch == '_' || ch == '-' || ch == '.';
}

static bool
is_letter(int ch)
{
	return ch == '_' || ((ch | 32) >= 'a' && (ch | 32) <= 'z');
}

/* At v[i]: %(name)s, Python's named format. */
static bool
named_format(const char *v, size_t n, size_t i)
{
	size_t j = i + 2;

	if (j >= n || !is_letter((unsigned char)v[j]))
		return false;
	while (j < n && (is_alnum((unsigned char)v[j]) || v[j] == '_'))
		j++;
	return j + 1 < n && v[j] == ')' && is_letter((unsigned char)v[j + 1]);
}

/*
 * A shell, template or format expansion: ${X}, $X, $(cmd), {{ x }}, {x},
 * <x>, <%= x %>, %(x)s, %X%, #{x}, [x].  Only those shapes: a generated
 * secret may hold $ % ( ) anywhere (Django's keys do).
 */
static bool
expansion(const char *v, size_t n)
{
	static const char wraps[][2] = { { '<', '>' }, { '{', '}' },
	    { '[', ']' }, { '%', '%' } };
	size_t i, k;

	if (n == 0)
		return false;
	for (i = 0; i + 1 < n; i++) {
		char a = v[i], b = v[i + 1];

		if ((a == '{' && b == '{') || (a == '<' && b == '%') ||
		    (a == '#' && b == '{') || (a == '$' && b == '{' &&
		    i + 2 < n && is_letter((unsigned char)v[i + 2])) ||
		    (a == '$' && b == '(' && i + 2 < n &&
		    is_letter((unsigned char)v[i + 2])) ||
		    (a == '%' && b == '(' && named_format(v, n, i)))
			return true;
	}
	for (k = 0; k < sizeof(wraps) / sizeof(wraps[0]); k++)
		if (v[0] == wraps[k][0] && v[n - 1] == wraps[k][1])
			return true;
	return v[0] == '$' && n > 1 && is_letter((unsigned char)v[1]);
}

static bool
placeholder(const char *v, size_t n)
{
	static const char *const words[] = { "example", "changeme", "change_me",
	    "change-me", "your", "placeholder", "dummy", "redacted", "xxxx",
	    "****", "sample", "todo", "fixme", "secret", "password", "token",
	    "insert", "replace", "none", "null", "undefined", "test" };
	char low[201];
	size_t i;

	if (n > 200)
		n = 200;
	if (expansion(v, n))
		return true;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];
		low[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
	}
	low[n] = '\0';
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(low, words[i]) != NULL)
			return true;
	return false;
}

/*
 * A generic assignment counts when its value looks generated: 8 or more
 * bytes, letters and digits, no template syntax, no placeholder word, and
 * at least 3 bits of Shannon entropy per byte (`changeme` has 2.75,
 * `hunter22` 2.75, `S3cr3tP4ss` 3.12, a 20-byte random token ~4.2).
 */
/*
 * An unquoted value that names where the secret is kept rather than
 * holding it: code (a call, an index, an expansion) or a dotted reference
 * (process.env.KEY, aws_iam_access_key.x.id, settings.S3_ACCESS_KEY).
 * One dot alone is a reference only from a usual holder or to a CONSTANT:
 * an .ini or .properties value is unquoted too.
 */
static bool
reference(const char *v, size_t n)
{
	static const char *const holders[] = { "settings", "config", "conf",
	    "cfg", "env", "os", "process", "self", "this", "var", "vars",
	    "local", "locals", "data", "module", "secrets", "params", "args",
	    "props", "options", "opts", "app", "ctx", "context" };
	size_t i, k, dots = 0, first = n;
	bool upper = true;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (strchr("${}<>()[]%", ch) != NULL)
			return true;
		if (ch == '.') {
			if (i == 0 || i + 1 == n || v[i - 1] == '.' ||
			    (v[i + 1] >= '0' && v[i + 1] <= '9'))
				return false;
			dots++;
			first = first < i ? first : i;
			upper = true;
		} else if (!is_alnum(ch) && ch != '_')
			return false;
		else if (ch >= 'a' && ch <= 'z')
			upper = false;
	}
	if (dots == 0 || (v[0] >= '0' && v[0] <= '9'))
		return false;
	if (dots >= 2 || upper)
		return true;
	for (k = 0; k < sizeof(holders) / sizeof(holders[0]); k++)
		if (strlen(holders[k]) == first &&
		    strncmp(v, holders[k], first) == 0)
			return true;
	return false;
}

static bool
generic_ok(const char *v, size_t n, bool quoted)
{
	bool digit = false, alpha = false;
	size_t i;

	if (!quoted && reference(v, n))
		return false;

	for (i = 0; i < n; i++) {
		if (v[i] >= '0' && v[i] <= '9')
			digit = true;
		else if ((v[i] | 32) >= 'a' && (v[i] | 32) <= 'z')
			alpha = true;
	}
	return n >= 8 && digit && alpha && !placeholder(v, n) &&
	    secretscan_entropy(v, n) >= 3.0;
}

/* A token must not be a run of one character or a sequence like xxxx. */
/* Upper and lower case letters and a digit, all three. */
static bool
mixed(const char *v, size_t n)
{
	bool up = false, low = false, digit = false;
	size_t i;

	for (i = 0; i < n; i++) {
		up = up || (v[i] >= 'A' && v[i] <= 'Z');
		low = low || (v[i] >= 'a' && v[i] <= 'z');
		digit = digit || (v[i] >= '0' && v[i] <= '9');
	}
	return up && low && digit;
}

static bool
token_ok(const char *v, size_t n)
{
	return secretscan_entropy(v, n) >= 2.5;
}

static uint32_t
line_of(const char *buf, size_t off)
{
	uint32_t line = 1;
	const char *p = buf, *end = buf + off;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		line++;
		p++;
	}
	return line;
}

/* "AKIA…(20 chars)": the public prefix and the length, never the value. */
static void
preview(char *out, const char *m, size_t n, unsigned prefix)
{
	snprintf(out, SECRETSCAN_PREVIEW, "%.*s\xe2\x80\xa6(%zu chars)",
	    (int)prefix, m, n);
}

static void
hit(struct secretscan_result *out, enum secretscan_rule r, const char *buf,
    size_t off, const char *pv)
{
	out->hits |= 1u << r;
	out->line[r] = line_of(buf, off);
	snprintf(out->preview[r], SECRETSCAN_PREVIEW, "%s", pv);
}

/* Runs rule r anchored at buf[at]; vets and records what it matches. */
static void
try_rule(struct secretscan_ctx *c, enum secretscan_rule r, const char *buf,
    size_t len, size_t at, struct secretscan_result *out)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->md);
	char pv[SECRETSCAN_PREVIEW];
	const char *m, *end;
	size_t n;

	if ((out->hits & (1u << r)) || pcre2_match(c->s->re[r],
	    (PCRE2_SPTR)buf, len, at, PCRE2_ANCHORED | PCRE2_NO_UTF_CHECK,
	    c->md, NULL) < 0)
		return;
	m = buf + ov[0];
	n = ov[1] - ov[0];
	if (r == SS_PRIVATE_KEY) {
		/* the header line: the key type, not the key */
		end = memchr(m + 11, '-', n - 11);
		snprintf(pv, sizeof(pv), "%.*s-----\xe2\x80\xa6",
		    end != NULL ? (int)(end - m) : 10, m);
		hit(out, r, buf, ov[0], pv);
		return;
	}
	/* AWS's documentation keys: AKIAIOSFODNN7EXAMPLE and kin */
	if (r == SS_AWS && memcmp(m + n - 7, "EXAMPLE", 7) == 0)
		return;
	if (r == SS_SLACK_WEBHOOK) {
		/* the secret is the last part: not the documentation's X's */
		const char *slash = memrchr(m, '/', n);

		if (slash == NULL || !token_ok(slash + 1, (size_t)(m + n -
		    slash - 1)))
			return;
	} else if (!token_ok(m + rules[r].prefix, n - rules[r].prefix))
		return;
	/* sk- is also how words start (sk-hynix, sk-learn...): a key's body
	 * is random base62, never of one case or without a digit */
	if (r == SS_OPENAI && !mixed(m + rules[r].prefix, n - rules[r].prefix))
		return;
	preview(pv, m, n, rules[r].prefix);
	hit(out, r, buf, ov[0], pv);
}

/* Byte loops, not memcmp(): these run at every trigger byte, and a
 * library call costs more than the compare of a few bytes. */
static inline bool
same(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static inline bool
before(const char *buf, size_t i, const char *lit, size_t n)
{
	return i >= n && same(buf + i - n, lit, n);
}

static inline bool
after(const char *buf, size_t len, size_t i, const char *lit, size_t n)
{
	return i + n <= len && same(buf + i, lit, n);
}

static const unsigned char value_end[256] = {
	[' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1,
	['"'] = 1, ['\''] = 1, ['`'] = 1, [','] = 1, [';'] = 1,
};

static const unsigned char keyend[256] = {
	['d'] = 1, ['t'] = 1, ['n'] = 1, ['y'] = 1,
	['D'] = 1, ['T'] = 1, ['N'] = 1, ['Y'] = 1,
};

static inline int
lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

/*
 * `password = value`, `"api_key": "value"`, `token := value`: the name
 * before the operator at buf[at] ends in a keyword (whole, or after `_`,
 * `-` or `.`), and the value after it passes generic_ok().
 */
/*
 * A password in a URL (postgres://app:pw@db, https://me:pw@host/repo.git),
 * at the ':' of its "://": the scheme is found backwards, the pattern
 * checks the shape, and the password must look like one: not a
 * placeholder or an expansion (${DB_PASSWORD}), not the user's name again
 * (postgres:postgres, the dev defaults), six bytes or more.
 */
static void
url_at(struct secretscan_ctx *c, const char *buf, size_t len, size_t at,
    struct secretscan_result *out)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->md);
	char pv[SECRETSCAN_PREVIEW];
	size_t b = at, user, colon, pwlen, shown;
	const char *m;

	while (b > 0 && at - b < 31 && (is_alnum((unsigned char)buf[b - 1]) ||
	    buf[b - 1] == '+' || buf[b - 1] == '.' || buf[b - 1] == '-'))
		b--;
	if (b == at || (b > 0 && is_alnum((unsigned char)buf[b - 1])) ||
	    pcre2_match(c->s->re[SS_URLCRED], (PCRE2_SPTR)buf, len, b,
	    PCRE2_ANCHORED | PCRE2_NO_UTF_CHECK, c->md, NULL) < 0)
		return;
	m = buf + ov[0];
	user = at + 3 - ov[0];
	colon = user + strcspn(m + user, ":");
	pwlen = ov[1] - ov[0] - 3 - colon;	/* between ':' and '@' */
	if (pwlen < 6 || placeholder(m + colon + 1, pwlen) ||
	    (colon - user == pwlen && memcmp(m + user, m + colon + 1,
	    pwlen) == 0) || secretscan_entropy(m + colon + 1, pwlen) < 2.0)
		return;
	shown = colon > 40 ? 40 : colon;
	snprintf(pv, sizeof(pv), "%.*s:\xe2\x80\xa6(%zu chars)@", (int)shown, m,
	    pwlen);
	hit(out, SS_URLCRED, buf, ov[0], pv);
}

/* p starts a word of a camelCase name: dbPassword, secretAccessKey. */
static bool
camel_start(const char *p)
{
	return p[0] >= 'A' && p[0] <= 'Z' && ((p[-1] >= 'a' && p[-1] <= 'z') ||
	    (p[-1] >= '0' && p[-1] <= '9'));
}

static void
generic_at(const char *buf, size_t len, size_t at,
    struct secretscan_result *out)
{
#define K(s) { s, sizeof(s) - 1 }
	static const struct {
		const char *s;
		size_t n;
	} keys[] = { K("password"), K("passwd"), K("secret"),
	    K("secret_key"), K("secret-key"), K("secretkey"), K("token"),
	    K("auth_token"), K("authtoken"), K("access_token"),
	    K("accesstoken"), K("api_key"), K("api-key"), K("apikey"),
	    K("access_key"), K("access-key"), K("accesskey"),
	    K("client_secret"), K("client-secret"), K("private_key"),
	    K("private-key"), K("privatekey"), K("accountkey"),
	    K("account_key") };
#undef K
	char pv[SECRETSCAN_PREVIEW], low[24];
	size_t b = at, e, k, klen, nlen, vs, ve;
	int c1, c2, c3;
	bool quoted;

	if (buf[at] == ':' && at + 1 < len && (buf[at + 1] == ':'))
		return;
	if (buf[at] == '=' && ((at + 1 < len && buf[at + 1] == '=') ||
	    (at > 0 && (buf[at - 1] == '!' || buf[at - 1] == '<' ||
	    buf[at - 1] == '>' || buf[at - 1] == '='))))
		return;
	if (buf[at] == '=' && at > 0 && buf[at - 1] == ':')
		b--;			/* := */
	while (b > 0 && (buf[b - 1] == ' ' || buf[b - 1] == '\t'))
		b--;
	if (b > 0 && (buf[b - 1] == '"' || buf[b - 1] == '\''))
		b--;
	/* every keyword ends in d, t, n or y: most names stop here */
	if (b == 0 || !keyend[(unsigned char)buf[b - 1]])
		return;
	e = b;
	/* ... and in ord, swd, ret, key or ken (a name is 5 bytes or more) */
	if (e < 5)
		return;
	c1 = lower((unsigned char)buf[e - 3]);
	c2 = lower((unsigned char)buf[e - 2]);
	c3 = lower((unsigned char)buf[e - 1]);
	if (!((c1 == 'o' && c2 == 'r' && c3 == 'd') ||
	    (c1 == 's' && c2 == 'w' && c3 == 'd') ||
	    (c1 == 'r' && c2 == 'e' && c3 == 't') ||
	    (c1 == 'k' && c2 == 'e' && (c3 == 'y' || c3 == 'n'))))
		return;
	while (b > 0 && e - b < 64 && is_ident((unsigned char)buf[b - 1]))
		b--;
	nlen = e - b;
	if (nlen < 5)
		return;
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		klen = keys[k].n;
		if (klen > nlen || klen > sizeof(low))
			continue;
		for (size_t i = 0; i < klen; i++)
			low[i] = (char)lower((unsigned char)buf[e - klen + i]);
		if (same(low, keys[k].s, klen) && (klen == nlen ||
		    !is_alnum((unsigned char)buf[e - klen - 1]) ||
		    camel_start(buf + e - klen)))
			break;
	}
	if (k == sizeof(keys) / sizeof(keys[0]))
		return;
	vs = at + 1;
	if (buf[at] == ':' && vs < len && buf[vs] == '=')
		vs++;
	while (vs < len && (buf[vs] == ' ' || buf[vs] == '\t'))
		vs++;
	if ((quoted = vs < len && (buf[vs] == '"' || buf[vs] == '\'')))
		vs++;
	for (ve = vs; ve < len && ve - vs <= 200 && !value_end[(unsigned char)buf[ve]];
	    ve++)
		;
	if (ve - vs > 200 || !generic_ok(buf + vs, ve - vs, quoted))
		return;
	snprintf(pv, sizeof(pv), "%.*s=\xe2\x80\xa6(%zu chars)",
	    (int)(nlen > 32 ? 32 : nlen), buf + e - (nlen > 32 ? 32 : nlen),
	    ve - vs);
	hit(out, SS_GENERIC, buf, b, pv);
}

/* The trigger bytes: every rule's literal holds one of them. */
static const unsigned char trigger[256] = {
	['A'] = 1, ['J'] = 1, ['_'] = 1, ['-'] = 1, ['='] = 1, [':'] = 1,
};

/* What may stand right before an assignment's operator after its name. */
static const unsigned char opprev[256] = {
	[' '] = 1, ['\t'] = 1, ['"'] = 1, ['\''] = 1, [':'] = 1,
};

/* The rules whose literal holds the trigger byte buf[i]. */
static inline void
at_trigger(struct secretscan_ctx *c, const char *buf, size_t len, size_t i,
    struct secretscan_result *out)
{
	switch (buf[i]) {
	case 'A':
		if (after(buf, len, i, "AKIA", 4) || after(buf, len, i, "ASIA", 4))
			try_rule(c, SS_AWS, buf, len, i, out);
		else if (after(buf, len, i, "AIza", 4))
			try_rule(c, SS_GOOGLE, buf, len, i, out);
		break;
	case 'J':
		if (before(buf, i, "ey", 2))
			try_rule(c, SS_JWT, buf, len, i - 2, out);
		break;
	case '_':
		if (i >= 3 && buf[i - 3] == 'g' && buf[i - 2] == 'h' &&
		    (buf[i - 1] == 'o' || buf[i - 1] == 'p' || buf[i - 1] == 's' ||
		    buf[i - 1] == 'u' || buf[i - 1] == 'r'))
			try_rule(c, SS_GITHUB, buf, len, i - 3, out);
		else if (before(buf, i, "github", 6) &&
		    after(buf, len, i, "_pat_", 5))
			try_rule(c, SS_GITHUB, buf, len, i - 6, out);
		else if (before(buf, i, "npm", 3))
			try_rule(c, SS_NPM, buf, len, i - 3, out);
		else if ((before(buf, i, "sk", 2) || before(buf, i, "rk", 2)) &&
		    after(buf, len, i, "_live_", 6))
			try_rule(c, SS_STRIPE, buf, len, i - 2, out);
		break;
	case '-':
		if (before(buf, i, "glpat", 5))
			try_rule(c, SS_GITLAB, buf, len, i - 5, out);
		else if (before(buf, i, "xox", 3) == false && i >= 4 &&
		    before(buf, i - 1, "xox", 3))
			try_rule(c, SS_SLACK, buf, len, i - 4, out);
		else if (before(buf, i, "sk", 2) && after(buf, len, i, "-ant-", 5))
			try_rule(c, SS_ANTHROPIC, buf, len, i - 2, out);
		else if (before(buf, i, "sk", 2))
			try_rule(c, SS_OPENAI, buf, len, i - 2, out);
		else if (before(buf, i, "pypi", 4))
			try_rule(c, SS_PYPI, buf, len, i - 4, out);
		else if (after(buf, len, i, "-----BEGIN ", 11) &&
		    (i == 0 || buf[i - 1] != '-'))
			try_rule(c, SS_PRIVATE_KEY, buf, len, i, out);
		break;
	default:	/* '=' and ':' */
		if (buf[i] == ':' && after(buf, len, i, "://hooks.slack.com/", 19) &&
		    before(buf, i, "https", 5))
			try_rule(c, SS_SLACK_WEBHOOK, buf, len, i - 5, out);
		else if (buf[i] == ':' && after(buf, len, i, "://", 3) &&
		    !(out->hits & (1u << SS_URLCRED)))
			url_at(c, buf, len, i, out);
		/* inline the common rejection: every keyword ends in
		 * d, t, n or y, right before the operator or a space,
		 * quote or ':' (`:=`) before it */
		if (i > 0 && (keyend[(unsigned char)buf[i - 1]] ||
		    (i > 1 && opprev[(unsigned char)buf[i - 1]])) &&
		    !(out->hits & (1u << SS_GENERIC)))
			generic_at(buf, len, i, out);
		break;
	}
}

static void
scan_rules(struct secretscan_ctx *c, const char *buf, size_t len,
    struct secretscan_result *out)
{
	size_t i = 0;

#if defined(__SSE2__)
	/* 16 bytes at a time to the next trigger byte (most are none):
	 * the triggers are still taken in order, one by one. */
	const __m128i tA = _mm_set1_epi8('A'), tJ = _mm_set1_epi8('J'),
	    tU = _mm_set1_epi8('_'), tD = _mm_set1_epi8('-'),
	    tE = _mm_set1_epi8('='), tC = _mm_set1_epi8(':');

	for (; i + 16 <= len; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(buf + i));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, tA),
		    _mm_cmpeq_epi8(v, tJ)), _mm_or_si128(_mm_cmpeq_epi8(v, tU),
		    _mm_cmpeq_epi8(v, tD))), _mm_or_si128(_mm_cmpeq_epi8(v, tE),
		    _mm_cmpeq_epi8(v, tC))));

		while (m != 0) {
			at_trigger(c, buf, len, i + (size_t)__builtin_ctz(m), out);
			m &= m - 1;
		}
	}
#endif
	for (; i < len; i++)
		if (trigger[(unsigned char)buf[i]])
			at_trigger(c, buf, len, i, out);
}

static bool
elf_core(const unsigned char *b, size_t len)
{
	unsigned type;

	if (len < 18 || memcmp(b, "\x7f" "ELF", 4) != 0)
		return false;
	type = b[5] == 2 ? (unsigned)(b[16] << 8 | b[17]) :
	    (unsigned)(b[17] << 8 | b[16]);
	return type == 4;	/* ET_CORE */
}

void
secretscan_buffer(struct secretscan_ctx *c, const char *buf, size_t len,
    uint32_t gates, struct secretscan_result *out)
{
	unsigned i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > SECRETSCAN_MAX_BYTES)
		len = SECRETSCAN_MAX_BYTES;
	if ((gates & SG_ELFCORE) && elf_core((const unsigned char *)buf, len))
		out->gates |= SG_ELFCORE;
	if (memchr(buf, '\0', len < SECRETSCAN_PROBE ? len : SECRETSCAN_PROBE)) {
		out->binary = true;
		return;
	}
	for (i = 0; i < SG_NGATES; i++) {
		if (!(gates & (1u << i)) || c->s->gate[i] == NULL)
			continue;
		rc = pcre2_match(c->s->gate[i], (PCRE2_SPTR)buf, len, 0,
		    PCRE2_NO_UTF_CHECK, c->md, NULL);
		if (rc >= 0)
			out->gates |= 1u << i;
	}
	scan_rules(c, buf, len, out);
}

/* Reads up to want bytes at buf + *n; -1 on a read error. */
static int
read_more(int fd, char *buf, size_t *n, size_t want)
{
	ssize_t got = *n < want ? readfile_full(fd, buf + *n, want - *n) : 0;

	if (got < 0)
		return -1;
	*n += (size_t)got;
	return 0;
}

int
secretscan_file(struct secretscan_ctx *c, int dirfd, const char *path,
    uint32_t gates, struct secretscan_result *out)
{
	int fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY | O_NONBLOCK);
	size_t n = 0;
	int saved;

	if (fd < 0)
		return -1;
	/* The probe first: a binary file is not read further (half the
	 * bytes of a typical context are images, archives and models). */
	if (read_more(fd, c->buf, &n, SECRETSCAN_PROBE) < 0 ||
	    (n == SECRETSCAN_PROBE && memchr(c->buf, '\0', n) == NULL &&
	    read_more(fd, c->buf, &n, SECRETSCAN_MAX_BYTES) < 0)) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	secretscan_buffer(c, c->buf, n, gates, out);
	return 0;
}

/* ---- the cache (scancache.c) ---- */

bool
secretscan_lookup(const struct secretscan *s, const unsigned char d[32],
    uint32_t gates, struct secretscan_result *out)
{
	return scancache_lookup(&s->cache, d, gates, out);
}

void
secretscan_store(struct secretscan *s, const unsigned char d[32],
    uint32_t gates, const struct secretscan_result *r)
{
	scancache_store(&s->cache, d, gates, r);
}

size_t
secretscan_cached(const struct secretscan *s)
{
	return s->cache.n;
}

uint64_t
secretscan_cache_generation(const struct secretscan *s)
{
	return s->cache.generation;
}

int
secretscan_cache_path(char **out)
{
	return scancache_path(out);
}

int
secretscan_cache_load(struct secretscan *s, const char *path, char **warn,
    struct ctx_error *err)
{
	return scancache_load(&s->cache, path, warn, err);
}

int
secretscan_cache_save(const struct secretscan *s, const char *path,
    struct ctx_error *err)
{
	return scancache_save(&s->cache, path, err);
}
