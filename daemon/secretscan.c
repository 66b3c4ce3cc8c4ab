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
 * results are cached by digest in a compact table that is saved to a
 * file and loaded by the next daemon (the last two sections).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "secretscan.h"
#include "statefile.h"

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
};

/* The gates' patterns, in bit order; NULL for a check done in C. */
static const char *const gate_re[SG_NGATES] = {
	"(?m)^[ \\t]*(?:\\S*:)?(?:_authToken|_auth|_password)[ \\t]*=[ \\t]*\\S",
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

/*
 * The cache keeps a result in a 20-byte slot when it holds no hit (nearly
 * every file): the first 16 bytes of the content's SHA-256 and a word of
 * bits (SLOT_* below).  A result with a hit is encoded into a byte arena
 * (the file's encoding, see the file format further down) and its slot
 * holds its index.  200 bytes per file before: a 56-byte entry in a
 * power-of-two table at most half full, and 896 bytes per hit.
 */
struct slot {
	unsigned char key[16];	/* the digest's first 16 bytes */
	uint32_t meta;		/* SLOT_* */
};

struct cache {
	struct slot *tab;	/* linear probing, at most 3/4 full */
	uint32_t cap, n;	/* slots; slots used */
	uint32_t *off;		/* off[i]: where full result i starts */
	uint32_t nfull, offcap;
	unsigned char *arena;	/* the full results, encoded */
	size_t alen, acap;
};

struct secretscan {
	pcre2_code *re[SS_NRULES];	/* each rule, matched anchored */
	pcre2_code *gate[SG_NGATES];
	struct cache c;
	/* Random per scanner, so a crafted cache file cannot make every key
	 * land in one probe run. */
	uint64_t seed;
	uint64_t generation;		/* secretscan_cache_generation() */
	unsigned char fingerprint[32];	/* of the rule set: fingerprint() */
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
#define SECRETSCAN_LOGIC 1

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
	if (fingerprint(s->fingerprint, err) == -1)
		goto fail;
	if (getrandom(&s->seed, sizeof(s->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(s->seed))
		s->seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)s;
	return s;
fail:
	secretscan_free(s);
	return NULL;
}

static void
cache_free(struct cache *c)
{
	free(c->tab);
	free(c->off);
	free(c->arena);
	memset(c, 0, sizeof(*c));
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
	cache_free(&s->c);
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
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];
		/* shell, template and format expansions: ${X}, {{ x }}, <x>, %(x)s */
		if (strchr("${}<>()[]%", ch) != NULL)
			return true;
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
static bool
generic_ok(const char *v, size_t n)
{
	bool digit = false, alpha = false;
	size_t i;

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
	if (!token_ok(m + rules[r].prefix, n - rules[r].prefix))
		return;
	preview(pv, m, n, rules[r].prefix);
	hit(out, r, buf, ov[0], pv);
}

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
	    K("client_secret"), K("client-secret") };
#undef K
	char pv[SECRETSCAN_PREVIEW], low[24];
	size_t b = at, e, k, klen, nlen, vs, ve;
	int c1, c2, c3;

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
		if (same(low, keys[k].s, klen) &&
		    (klen == nlen || !is_alnum((unsigned char)buf[e - klen - 1])))
			break;
	}
	if (k == sizeof(keys) / sizeof(keys[0]))
		return;
	vs = at + 1;
	if (buf[at] == ':' && vs < len && buf[vs] == '=')
		vs++;
	while (vs < len && (buf[vs] == ' ' || buf[vs] == '\t'))
		vs++;
	if (vs < len && (buf[vs] == '"' || buf[vs] == '\''))
		vs++;
	for (ve = vs; ve < len && ve - vs <= 200 && !value_end[(unsigned char)buf[ve]];
	    ve++)
		;
	if (ve - vs > 200 || !generic_ok(buf + vs, ve - vs))
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
	ssize_t got;

	while (*n < want) {
		got = read(fd, buf + *n, want - *n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		if (got == 0)
			break;
		*n += (size_t)got;
	}
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

/* ---- the cache ---- */

/*
 * A slot's meta word: bit 31 set when the slot is used; bits 21-30 the
 * gates asked for (part of the key); bit 20 set when the result is a full
 * one, whose index in the arena is then bits 0-19; else bit 10 the binary
 * flag and bits 0-9 the gates that held (the whole result: no hit).
 *
 * The key is 16 bytes of the SHA-256 digest, not 32.  An accidental
 * collision of 128-bit prefixes among n files has probability ~n^2/2^129
 * (10^-27 for a million files); a deliberate one costs ~2^64 SHA-256
 * evaluations and needs both files' contents chosen by the attacker, who
 * could hide a token from the rules far more cheaply.
 */
#define SLOT_USED	(1u << 31)
#define SLOT_ASKED_SHIFT 21
#define SLOT_ASKED	(0x3ffu << SLOT_ASKED_SHIFT)
#define SLOT_FULL	(1u << 20)
#define SLOT_INDEX	(SLOT_FULL - 1)
#define SLOT_BINARY	(1u << 10)
#define SLOT_GATES	0x3ffu
/* The smallest table, and the one a reset starts over with. */
#define CACHE_MIN_SLOTS	1024
/* A full result: hits, gates, binary, then per hit a line, a length and
 * the preview without its NUL. */
#define FULL_MIN	9
#define FULL_MAX	(FULL_MIN + SS_NRULES * (5 + SECRETSCAN_PREVIEW - 1))

_Static_assert(sizeof(struct slot) == 20, "a slot is 20 bytes");
_Static_assert(SG_NGATES == 10, "the gates fit SLOT_GATES and SLOT_ASKED");
_Static_assert(SECRETSCAN_CACHE_MAX <= SLOT_INDEX + 1,
    "every full result's index fits SLOT_INDEX");
_Static_assert(SS_NRULES <= 32 && SECRETSCAN_PREVIEW <= 256,
    "hits fit 32 bits, a preview's length one byte");

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* The home slot of a key: a seeded MurmurHash3 finaliser, then Lemire's
 * fastrange, so the table size need not be a power of two. */
static uint32_t
slot_home(uint64_t seed, const unsigned char key[16], uint32_t asked,
    uint32_t cap)
{
	uint64_t h;

	memcpy(&h, key, sizeof(h));
	h = (h ^ seed) + (uint64_t)asked * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (uint32_t)(((h >> 32) * cap) >> 32);
}

/* The slot holding key+asked, or the empty slot where it would go (there
 * always is one: the table is at most 3/4 full). */
static uint32_t
slot_find(const struct slot *tab, uint32_t cap, uint64_t seed,
    const unsigned char key[16], uint32_t asked)
{
	uint32_t i = slot_home(seed, key, asked, cap);
	uint32_t want = SLOT_USED | asked << SLOT_ASKED_SHIFT;

	while (tab[i].meta & SLOT_USED) {
		if ((tab[i].meta & (SLOT_USED | SLOT_ASKED)) == want &&
		    memcmp(tab[i].key, key, 16) == 0)
			break;
		if (++i == cap)
			i = 0;
	}
	return i;
}

/* Slots for n results: 3/5 full, so that growing by a quarter keeps the
 * table between 3/5 and 3/4 full (27 to 34 bytes per result). */
static uint32_t
cache_slots(size_t n)
{
	size_t cap = n + n * 2 / 3 + 1;

	return (uint32_t)(cap < CACHE_MIN_SLOTS ? CACHE_MIN_SLOTS : cap);
}

/* A table of cap slots holding c's entries; -1 when out of memory. */
static int
cache_rehash(struct cache *c, uint64_t seed, uint32_t cap)
{
	struct slot *tab = calloc(cap, sizeof(*tab));
	uint32_t i;

	if (tab == NULL)
		return -1;
	for (i = 0; i < c->cap; i++)
		if (c->tab[i].meta & SLOT_USED)
			tab[slot_find(tab, cap, seed, c->tab[i].key,
			    (c->tab[i].meta & SLOT_ASKED) >>
			    SLOT_ASKED_SHIFT)] = c->tab[i];
	free(c->tab);
	c->tab = tab;
	c->cap = cap;
	return 0;
}

static size_t
full_size(const struct secretscan_result *r)
{
	size_t n = FULL_MIN;
	unsigned k;

	for (k = 0; k < SS_NRULES; k++)
		if (r->hits & (1u << k))
			n += 5 + strnlen(r->preview[k], SECRETSCAN_PREVIEW - 1);
	return n;
}

static void
full_encode(const struct secretscan_result *r, unsigned char *p)
{
	size_t len;
	unsigned k;

	put32(p, r->hits);
	put32(p + 4, r->gates);
	p[8] = r->binary;
	p += FULL_MIN;
	for (k = 0; k < SS_NRULES; k++) {
		if (!(r->hits & (1u << k)))
			continue;
		len = strnlen(r->preview[k], SECRETSCAN_PREVIEW - 1);
		put32(p, r->line[k]);
		p[4] = (unsigned char)len;
		memcpy(p + 5, r->preview[k], len);
		p += 5 + len;
	}
}

/* Decodes a full result that full_check() accepted or full_encode() wrote. */
static void
full_decode(const unsigned char *p, struct secretscan_result *out)
{
	unsigned k;

	memset(out, 0, sizeof(*out));
	out->hits = get32(p);
	out->gates = get32(p + 4);
	out->binary = p[8] != 0;
	p += FULL_MIN;
	for (k = 0; k < SS_NRULES; k++) {
		if (!(out->hits & (1u << k)))
			continue;
		out->line[k] = get32(p);
		memcpy(out->preview[k], p + 5, p[4]);
		p += 5 + p[4];
	}
}

/*
 * The length of the well-formed full result at p[0..left), or 0.  Only
 * what secretscan_store() keeps is well formed: a hit, known rules and
 * gates (the callers index tables by these bits).
 */
static size_t
full_check(const unsigned char *p, size_t left)
{
	size_t pos = FULL_MIN, len;
	uint32_t hits;
	unsigned k;

	if (left < FULL_MIN || p[8] > 1)
		return 0;
	hits = get32(p);
	if (hits == 0 || hits >> SS_NRULES != 0 || get32(p + 4) > SLOT_GATES)
		return 0;
	for (k = 0; k < SS_NRULES; k++) {
		if (!(hits & (1u << k)))
			continue;
		if (left - pos < 5)
			return 0;
		len = p[pos + 4];
		if (len >= SECRETSCAN_PREVIEW || left - pos - 5 < len ||
		    memchr(p + pos + 5, '\0', len) != NULL)
			return 0;
		pos += 5 + len;
	}
	return pos;
}

/* Appends r to the arena; its index, or -1 when out of memory. */
static int64_t
full_add(struct cache *c, const struct secretscan_result *r)
{
	size_t need = full_size(r), cap;
	void *p;

	if (c->nfull == c->offcap) {
		cap = c->offcap ? 2 * (size_t)c->offcap : 64;
		if ((p = reallocarray(c->off, cap, sizeof(*c->off))) == NULL)
			return -1;
		c->off = p;
		c->offcap = (uint32_t)cap;
	}
	/* Offsets are 32 bits: 4 GiB of results (never reached: the cap on
	 * results bounds the arena to ~940 MB). */
	if (c->alen + need > UINT32_MAX)
		return -1;
	if (c->alen + need > c->acap) {
		for (cap = c->acap ? c->acap : 4096; cap < c->alen + need;)
			cap *= 2;
		if ((p = realloc(c->arena, cap)) == NULL)
			return -1;
		c->arena = p;
		c->acap = cap;
	}
	c->off[c->nfull] = (uint32_t)c->alen;
	full_encode(r, c->arena + c->alen);
	c->alen += need;
	return c->nfull++;
}

bool
secretscan_lookup(const struct secretscan *s, const unsigned char d[32],
    uint32_t gates, struct secretscan_result *out)
{
	const struct cache *c = &s->c;
	uint32_t meta;

	if (c->n == 0 || gates > SLOT_GATES)
		return false;
	meta = c->tab[slot_find(c->tab, c->cap, s->seed, d, gates)].meta;
	if (!(meta & SLOT_USED))
		return false;
	if (meta & SLOT_FULL) {
		full_decode(c->arena + c->off[meta & SLOT_INDEX], out);
	} else {
		memset(out, 0, sizeof(*out));
		out->gates = meta & SLOT_GATES;
		out->binary = (meta & SLOT_BINARY) != 0;
	}
	return true;
}

void
secretscan_store(struct secretscan *s, const unsigned char d[32],
    uint32_t gates, const struct secretscan_result *r)
{
	struct cache *c = &s->c;
	uint32_t i, meta = SLOT_USED | gates << SLOT_ASKED_SHIFT;
	int64_t idx;

	/* Not a key the slot can hold, or not a result secretscan_buffer()
	 * gives: never cached (a miss, never a wrong answer). */
	if (gates > SLOT_GATES || r->gates > SLOT_GATES ||
	    r->hits >> SS_NRULES != 0)
		return;
	if (c->n > 0 && (c->tab[slot_find(c->tab, c->cap, s->seed, d,
	    gates)].meta & SLOT_USED))
		return;
	/* Bounded: a daemon watching many trees starts over rather than
	 * grow. */
	if (c->n >= SECRETSCAN_CACHE_MAX) {
		cache_free(c);
		s->generation++;
	}
	if ((c->tab == NULL || (size_t)(c->n + 1) * 4 > (size_t)c->cap * 3) &&
	    cache_rehash(c, s->seed, cache_slots((size_t)c->n + 1)) == -1)
		return;		/* out of memory: not cached */
	/* The common result, no hit, fits the slot. */
	if (r->hits == 0)
		meta |= r->gates | (r->binary ? SLOT_BINARY : 0);
	else if ((idx = full_add(c, r)) != -1)
		meta |= SLOT_FULL | (uint32_t)idx;
	else
		return;		/* out of memory: not cached */
	i = slot_find(c->tab, c->cap, s->seed, d, gates);
	memcpy(c->tab[i].key, d, 16);
	c->tab[i].meta = meta;
	c->n++;
	s->generation++;
}

size_t
secretscan_cached(const struct secretscan *s)
{
	return s->c.n;
}

uint64_t
secretscan_cache_generation(const struct secretscan *s)
{
	return s->generation;
}

/* ---- the cache file ---- */

/*
 * File format, version 1 (every integer little-endian, whatever the host):
 *
 *   off  size  field
 *     0     8  magic "\x89CTXDSC\n" (as in PNG: the high byte and the
 *              newline catch 7-bit and newline-translating copies)
 *     8     4  version, 1
 *    12     4  record size, 20
 *    16    32  the rule set's fingerprint (fingerprint())
 *    48     4  record count n, at most SECRETSCAN_CACHE_MAX
 *    52     4  full result count f, at most n
 *    56     8  full results' bytes a, between 9f and FULL_MAX * f
 *    64    32  SHA-256 of bytes 0..63 followed by everything after 96
 *    96  20*n  records: 16 bytes of digest, the slot's meta word (with
 *              SLOT_USED set; a full result's index below f)
 *     .     a  full results, in index order: hits u32, gates u32, binary
 *              u8, then for each hit (ascending rule): line u32, preview
 *              length u8 (< SECRETSCAN_PREVIEW), preview (no NUL)
 *
 * The file size must be exactly 96 + 20n + a.  Anything else (truncated,
 * trailing bytes, another version or rule set, a wrong checksum, a
 * malformed or duplicate record) makes the whole file ignored.  SHA-256
 * rather than a CRC, as in hashcache.c: at ~1.7 GB/s with SHA-NI, 100k
 * records (2 MB) cost ~1 ms of a load.
 */
#define SCF_VERSION	1
#define SCF_HDR_SIZE	96
#define SCF_REC_SIZE	20
#define SCF_SUM_OFF	64
/* Records encoded per write(2): 80 KiB. */
#define SCF_CHUNK	4096

static const unsigned char scf_magic[8] = {
	0x89, 'C', 'T', 'X', 'D', 'S', 'C', '\n',
};

int
secretscan_cache_path(char **out)
{
	return statefile_path("scancache", out);
}

static int
write_full(int fd, const unsigned char *p, size_t n)
{
	ssize_t put;

	while (n > 0) {
		put = write(fd, p, n);
		if (put < 0 && errno == EINTR)
			continue;
		if (put < 0)
			return -1;
		p += put;
		n -= (size_t)put;
	}
	return 0;
}

/* SHA-256 of the header's first SCF_SUM_OFF bytes, then the body. */
static int
scf_sum(const unsigned char *hdr, const unsigned char *body, size_t blen,
    unsigned char out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(md, hdr, SCF_SUM_OFF) &&
	    EVP_DigestUpdate(md, body, blen) &&
	    EVP_DigestFinal_ex(md, out, NULL);

	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

static int
refuse(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fills why; 1, the loaders' "refused". */
static int
refuse(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return 1;
}

/*
 * Fills c from a checksummed body: the f full results (a bytes) after the
 * n records.  0, or 1 with why filled (c then holds part of the file: the
 * caller frees it), or -1 when out of memory.
 */
static int
scf_parse(struct cache *c, uint64_t seed, const unsigned char *body,
    uint32_t n, uint32_t f, size_t a, char *why, size_t whylen)
{
	const unsigned char *p;
	size_t pos = 0, len;
	uint32_t i, j, meta;

	c->cap = cache_slots(n);
	c->tab = calloc(c->cap, sizeof(*c->tab));
	c->off = malloc(((size_t)f + 1) * sizeof(*c->off));
	c->arena = malloc(a + 1);
	if (c->tab == NULL || c->off == NULL || c->arena == NULL)
		return -1;
	c->offcap = f;
	c->acap = a;
	memcpy(c->arena, body + (size_t)n * SCF_REC_SIZE, a);
	for (; c->nfull < f; c->nfull++, pos += len) {
		if ((len = full_check(c->arena + pos, a - pos)) == 0)
			return refuse(why, whylen, "full result %u malformed",
			    c->nfull);
		c->off[c->nfull] = (uint32_t)pos;
	}
	if (pos != a)
		return refuse(why, whylen, "%zu bytes after the full results",
		    a - pos);
	c->alen = a;
	for (i = 0, p = body; i < n; i++, p += SCF_REC_SIZE) {
		meta = get32(p + 16);
		if (!(meta & SLOT_USED) || ((meta & SLOT_FULL) ?
		    (meta & SLOT_INDEX) >= f : (meta & SLOT_INDEX &
		    ~(SLOT_BINARY | SLOT_GATES)) != 0))
			return refuse(why, whylen, "record %u malformed", i);
		j = slot_find(c->tab, c->cap, seed, p,
		    (meta & SLOT_ASKED) >> SLOT_ASKED_SHIFT);
		if (c->tab[j].meta & SLOT_USED)
			return refuse(why, whylen, "record %u is a duplicate",
			    i);
		memcpy(c->tab[j].key, p, 16);
		c->tab[j].meta = meta;
		c->n++;
	}
	return 0;
}

/* The header's counts, checked against each other and the file's size. */
static int
scf_check_header(const struct secretscan *s, const unsigned char *hdr,
    off_t size, char *why, size_t whylen)
{
	uint32_t version = get32(hdr + 8), recsize = get32(hdr + 12);
	uint32_t n = get32(hdr + 48), f = get32(hdr + 52);
	uint64_t a = get64(hdr + 56), want;

	/* The version first: another version may lay out the rest otherwise. */
	if (version != SCF_VERSION)
		return refuse(why, whylen, "version %u, this ctxd reads "
		    "version %d", version, SCF_VERSION);
	if (recsize != SCF_REC_SIZE)
		return refuse(why, whylen, "record size %u, expected %d",
		    recsize, SCF_REC_SIZE);
	if (memcmp(hdr + 16, s->fingerprint, 32) != 0)
		return refuse(why, whylen, "written by another rule set");
	if (n > SECRETSCAN_CACHE_MAX || f > n)
		return refuse(why, whylen, "%u records, %u full results: "
		    "over the limit of %u", n, f, SECRETSCAN_CACHE_MAX);
	if (a < (uint64_t)f * FULL_MIN || a > (uint64_t)f * FULL_MAX)
		return refuse(why, whylen, "%ju bytes cannot hold %u full "
		    "results", (uintmax_t)a, f);
	want = SCF_HDR_SIZE + (uint64_t)n * SCF_REC_SIZE + a;
	if (size < 0 || (uint64_t)size != want)
		return refuse(why, whylen, "%jd bytes, but the header needs "
		    "%ju", (intmax_t)size, (uintmax_t)want);
	return 0;
}

/*
 * Loads the open file fd into c (empty).  0: loaded; 1: refused, why says
 * why; -1: out of memory.
 */
static int
scf_load_fd(const struct secretscan *s, struct cache *c, int fd, char *why,
    size_t whylen)
{
	unsigned char hdr[SCF_HDR_SIZE], sum[32], *body = NULL;
	struct stat st;
	size_t blen;
	ssize_t got;
	int rc = 1;

	if (fstat(fd, &st) == -1)
		return refuse(why, whylen, "%s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return refuse(why, whylen, "not a regular file");
	if ((got = statefile_read_full(fd, hdr, sizeof(hdr))) < 0)
		return refuse(why, whylen, "%s", strerror(errno));
	if (memcmp(hdr, scf_magic, (size_t)got < sizeof(scf_magic) ?
	    (size_t)got : sizeof(scf_magic)) != 0)
		return refuse(why, whylen, "not a ctxd scan cache");
	if ((size_t)got < sizeof(hdr))
		return refuse(why, whylen, "truncated header (%zd bytes)", got);
	if (scf_check_header(s, hdr, st.st_size, why, whylen) != 0)
		return 1;
	/* One read of the rest: its size is bounded by the header's counts,
	 * which the file's size has just matched. */
	blen = (size_t)st.st_size - SCF_HDR_SIZE;
	if ((body = malloc(blen + 1)) == NULL)
		return -1;
	if ((got = statefile_read_full(fd, body, blen)) < 0)
		refuse(why, whylen, "%s", strerror(errno));
	else if ((size_t)got != blen)
		refuse(why, whylen, "truncated while being read");
	else if (scf_sum(hdr, body, blen, sum) == -1)
		refuse(why, whylen, "SHA-256 unavailable");
	else if (memcmp(sum, hdr + SCF_SUM_OFF, sizeof(sum)) != 0)
		refuse(why, whylen, "checksum mismatch");
	else
		rc = scf_parse(c, s->seed, body, get32(hdr + 48),
		    get32(hdr + 52), (size_t)get64(hdr + 56), why, whylen);
	free(body);
	return rc;
}

/* Opens and loads path into c: 0 loaded or no file, 1 refused, -1 no memory. */
static int
scf_load(const struct secretscan *s, struct cache *c, const char *path,
    char *why, size_t whylen)
{
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	/* No file is the first run, not something to warn about. */
	if (fd == -1)
		return errno == ENOENT ? 0 : refuse(why, whylen, "%s",
		    strerror(errno));
	rc = scf_load_fd(s, c, fd, why, whylen);
	close(fd);
	return rc;
}

int
secretscan_cache_load(struct secretscan *s, const char *path, char **warn,
    struct ctx_error *err)
{
	struct cache c = { 0 };
	char why[256], *def = NULL;
	int rc;

	if (warn != NULL)
		*warn = NULL;
	if (path == NULL && secretscan_cache_path(&def) == -1)
		return ctx_error_nomem(err);
	if (path == NULL && def == NULL)
		rc = refuse(why, sizeof(why), "scan cache disabled: no state "
		    "directory (XDG_STATE_HOME and HOME unset or relative, "
		    "no passwd entry)");
	else
		rc = scf_load(s, &c, path != NULL ? path : def, why,
		    sizeof(why));
	if (rc == 0 && c.tab != NULL) {
		cache_free(&s->c);
		s->c = c;
		s->generation++;
	} else
		cache_free(&c);
	if (rc == 1 && warn != NULL) {
		if (path == NULL && def == NULL)
			*warn = strdup(why);
		else if (asprintf(warn, "scan cache %s ignored: %s",
		    path != NULL ? path : def, why) < 0)
			*warn = NULL;
		if (*warn == NULL)
			rc = -1;
	}
	free(def);
	return rc == -1 ? ctx_error_nomem(err) : 0;
}

/* k encoded records of buf into md, or else to fd. */
static int
scf_flush(const unsigned char *buf, size_t k, EVP_MD_CTX *md, int fd)
{
	if (md != NULL)
		return EVP_DigestUpdate(md, buf, k * SCF_REC_SIZE) ? 0 : -1;
	return write_full(fd, buf, k * SCF_REC_SIZE);
}

/* The records of c, SCF_CHUNK at a time, into md, or else to fd. */
static int
scf_records(const struct cache *c, unsigned char *buf, EVP_MD_CTX *md,
    int fd)
{
	uint32_t i;
	size_t k = 0;

	for (i = 0; i < c->cap; i++) {
		if (!(c->tab[i].meta & SLOT_USED))
			continue;
		memcpy(buf + k * SCF_REC_SIZE, c->tab[i].key, 16);
		put32(buf + k * SCF_REC_SIZE + 16, c->tab[i].meta);
		if (++k == SCF_CHUNK) {
			if (scf_flush(buf, k, md, fd) == -1)
				return -1;
			k = 0;
		}
	}
	return k > 0 ? scf_flush(buf, k, md, fd) : 0;
}

/* Header, records and full results: the records are encoded twice (for
 * the checksum, then for the write) rather than held all at once. */
static int
scf_write_fd(const struct secretscan *s, int fd, const char *tmp,
    struct ctx_error *err)
{
	const struct cache *c = &s->c;
	unsigned char hdr[SCF_HDR_SIZE] = { 0 }, *buf;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = -1;

	memcpy(hdr, scf_magic, sizeof(scf_magic));
	put32(hdr + 8, SCF_VERSION);
	put32(hdr + 12, SCF_REC_SIZE);
	memcpy(hdr + 16, s->fingerprint, 32);
	put32(hdr + 48, c->n);
	put32(hdr + 52, c->nfull);
	put64(hdr + 56, c->alen);
	if ((buf = malloc(SCF_CHUNK * SCF_REC_SIZE)) == NULL || md == NULL) {
		ctx_error_nomem(err);
		goto out;
	}
	if (!EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(md, hdr, SCF_SUM_OFF) ||
	    scf_records(c, buf, md, -1) == -1 ||
	    (c->alen > 0 && !EVP_DigestUpdate(md, c->arena, c->alen)) ||
	    !EVP_DigestFinal_ex(md, hdr + SCF_SUM_OFF, NULL)) {
		ctx_error_set(err, CTX_ERR_SYS, "%s: SHA-256 failed", tmp);
		goto out;
	}
	if (write_full(fd, hdr, sizeof(hdr)) == -1 ||
	    scf_records(c, buf, NULL, fd) == -1 ||
	    (c->alen > 0 && write_full(fd, c->arena, c->alen) == -1)) {
		ctx_error_sys(err, errno, "%s", tmp);
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}

/* The directory of path synced, so that the rename is durable. */
static int
scf_sync_dir(const char *path, struct ctx_error *err)
{
	char *dir = strdup(path), *slash;
	int dfd, rc = -1;

	if (dir == NULL)
		return ctx_error_nomem(err);
	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		ctx_error_sys(err, errno, "%s", dir);
	/* EINVAL: a file system that cannot sync directories. */
	else if (fsync(dfd) == -1 && errno != EINVAL)
		ctx_error_sys(err, errno, "fsync %s", dir);
	else
		rc = 0;
	if (dfd != -1)
		close(dfd);
	free(dir);
	return rc;
}

/* A new file written, synced and closed; fd closed whatever happens. */
static int
scf_write_tmp(const struct secretscan *s, int fd, const char *tmp,
    struct ctx_error *err)
{
	int rc = -1;

	/* mkostemp's 0600 is subject to the umask; make it exact. */
	if (fchmod(fd, 0600) == -1)
		ctx_error_sys(err, errno, "%s", tmp);
	else if (scf_write_fd(s, fd, tmp, err) == -1)
		;	/* err filled */
	else if (fsync(fd) == -1)
		ctx_error_sys(err, errno, "fsync %s", tmp);
	else
		rc = 0;
	if (close(fd) == -1 && rc == 0)
		rc = ctx_error_sys(err, errno, "close %s", tmp);
	return rc;
}

static int
scf_save(const struct secretscan *s, const char *path, struct ctx_error *err)
{
	char *tmp;
	int fd, rc = -1;

	/* The temporary file in the same directory, so rename(2) is atomic. */
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return ctx_error_nomem(err);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1 && errno == ENOENT) {
		if (statefile_mkdirs(path, err) == -1)
			goto out;
		/* A failed mkostemp(3) may have filled in the X's. */
		memcpy(tmp + strlen(tmp) - 6, "XXXXXX", 6);
		fd = mkostemp(tmp, O_CLOEXEC);
	}
	if (fd == -1) {
		ctx_error_sys(err, errno, "%s", tmp);
		goto out;
	}
	if (scf_write_tmp(s, fd, tmp, err) == -1 ||
	    (rename(tmp, path) == -1 &&
	    ctx_error_sys(err, errno, "rename %s", path) == -1)) {
		unlink(tmp);
		goto out;
	}
	rc = scf_sync_dir(path, err);
out:
	free(tmp);
	return rc;
}

int
secretscan_cache_save(const struct secretscan *s, const char *path,
    struct ctx_error *err)
{
	char *def = NULL;
	int rc;

	if (path == NULL && secretscan_cache_path(&def) == -1)
		return ctx_error_nomem(err);
	if (path == NULL && def == NULL)
		return ctx_error_sys(err, ENOENT, "scan cache: no state "
		    "directory (XDG_STATE_HOME and HOME unset or relative)");
	rc = scf_save(s, path != NULL ? path : def, err);
	free(def);
	return rc;
}
