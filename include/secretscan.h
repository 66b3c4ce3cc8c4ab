/*
 * Secrets by content: the token and key patterns of the hazard issue
 * (PEM private keys, cloud and SaaS tokens, JWTs, high-entropy
 * `password = value` assignments), plus the content checks that decide
 * whether a credentials file found by name really holds credentials
 * (the "gates": .npmrc with a token, a kubeconfig with a client key, an
 * ELF core dump, ...).  PCRE2 patterns, JIT-compiled once per scanner;
 * reading is bounded (SECRETSCAN_MAX_BYTES per file, binaries skipped
 * unless a gate asks for the bytes) and results are cached by file digest,
 * so a daemon never re-reads a file whose content it has scanned.  A
 * secret's value is never kept: a hit carries a redacted preview.
 *
 * The cache can be saved to a file and loaded by the next daemon, so a
 * restart re-reads no file whose content was scanned before.
 *
 * Ownership: secretscan_new() returns a scanner freed by secretscan_free();
 * secretscan_shared() returns a process-wide one that is never freed.
 * A scanner may match on several threads at once, each with its own
 * struct secretscan_ctx; the cache (lookup/store/load) needs the scanner
 * to itself, except that lookups and a save, which only read it, may run
 * together.
 */
#ifndef CTXD_SECRETSCAN_H
#define CTXD_SECRETSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define SECRETSCAN_MAX_BYTES (1u << 20)	/* bytes of a file scanned */
#define SECRETSCAN_PROBE 8192		/* a NUL in these bytes: binary */
#define SECRETSCAN_PREVIEW 64		/* bytes of a preview and its NUL */
#define SECRETSCAN_CACHE_MAX (1u << 20)	/* cached digests before a reset */

/* The content rules, in the order of their bits in secretscan_result.hits. */
enum secretscan_rule {
	SS_PRIVATE_KEY,		/* -----BEGIN ... PRIVATE KEY----- block */
	SS_AWS,			/* AKIA/ASIA access key id, not ...EXAMPLE */
	SS_GITHUB,		/* ghp_ gho_ ghs_ ghu_ ghr_ github_pat_ */
	SS_GITLAB,		/* glpat- */
	SS_SLACK,		/* xoxa- xoxb- xoxp- xoxr- */
	SS_STRIPE,		/* sk_live_ rk_live_ */
	SS_NPM,			/* npm_ */
	SS_PYPI,		/* pypi-AgEIcHlwaS5vcmc... */
	SS_GOOGLE,		/* AIza... */
	SS_ANTHROPIC,		/* sk-ant-... */
	SS_OPENAI,		/* sk-... / sk-proj-... */
	SS_JWT,			/* eyJ....eyJ....sig */
	SS_GENERIC,		/* password|secret|token|api_key = <high entropy> */
	SS_URLCRED,		/* scheme://user:password@host */
	SS_SLACK_WEBHOOK,	/* https://hooks.slack.com/services/T../B../... */
	SS_NRULES
};

/* The gates: content checks asked for by a file's name (bits of gates). */
enum secretscan_gate {
	SG_NPMRC = 1u << 0,		/* _authToken / _auth / _password */
	SG_PYPIRC = 1u << 1,		/* password = ... */
	SG_NETRC = 1u << 2,		/* password ... */
	SG_GITCRED = 1u << 3,		/* scheme://user:pass@host */
	SG_PGPASS = 1u << 4,		/* host:port:db:user:password */
	SG_HTPASSWD = 1u << 5,		/* user:hash */
	SG_DOCKERCFG = 1u << 6,		/* "auths" with an auth or identitytoken */
	SG_KUBECONFIG = 1u << 7,	/* kind: Config with a token or client key */
	SG_GCPSA = 1u << 8,		/* "type": "service_account" + private_key */
	SG_ELFCORE = 1u << 9,		/* an ELF core file (e_type ET_CORE) */
	SG_NGATES = 10
};

struct secretscan_result {
	uint32_t hits;		/* 1 << enum secretscan_rule */
	uint32_t gates;		/* the gates asked for that hold */
	bool binary;		/* skipped: a NUL in the first SECRETSCAN_PROBE bytes */
	uint32_t line[SS_NRULES];	/* 1-based line of the first hit of each rule */
	char preview[SS_NRULES][SECRETSCAN_PREVIEW];	/* redacted, UTF-8 */
};

struct secretscan;
struct secretscan_ctx;

/* Compiles (and JIT-compiles, when available) every pattern.  Returns NULL
 * (err filled) on a pattern error, no memory or no SHA-256 (the rule set's
 * fingerprint). */
struct secretscan *secretscan_new(struct ctx_error *err);
void secretscan_free(struct secretscan *s);

/* One scanner for the whole process (compiled on first use, thread-safe),
 * or NULL if it cannot be built. */
struct secretscan *secretscan_shared(void);

/* Per-thread match state; NULL when out of memory.  Free with
 * secretscan_ctx_free() before the scanner. */
struct secretscan_ctx *secretscan_ctx_new(const struct secretscan *s);
void secretscan_ctx_free(struct secretscan_ctx *c);

/*
 * Scans buf[0..len) (at most SECRETSCAN_MAX_BYTES of it are looked at):
 * the content rules unless the buffer is binary, and the gates asked for.
 * Fills *out.  Never fails: a match error is no hit.
 */
void secretscan_buffer(struct secretscan_ctx *c, const char *buf, size_t len,
    uint32_t gates, struct secretscan_result *out);

/*
 * Reads (at most SECRETSCAN_MAX_BYTES of) the file at path below dirfd,
 * without following a symbolic link, and scans it.  Returns 0, or -1 with
 * errno set when it cannot be read.
 */
int secretscan_file(struct secretscan_ctx *c, int dirfd, const char *path,
    uint32_t gates, struct secretscan_result *out);

/*
 * The cache: the result for a content digest scanned with these gates.
 * Only gates of enum secretscan_gate (below 1 << SG_NGATES) are cached: a
 * store with other bits is dropped and their lookup misses.  A file with
 * no hit costs 27 to 34 bytes; one with hits about 50 bytes more.  The
 * first store of a key wins; beyond SECRETSCAN_CACHE_MAX results a store
 * empties the cache first.
 */
bool secretscan_lookup(const struct secretscan *s, const unsigned char d[32],
    uint32_t gates, struct secretscan_result *out);
void secretscan_store(struct secretscan *s, const unsigned char d[32],
    uint32_t gates, const struct secretscan_result *r);
size_t secretscan_cached(const struct secretscan *s);
/* Changes whenever the cache's contents do (store, reset, load): a caller
 * that saved at one generation need not save again until it changes. */
uint64_t secretscan_cache_generation(const struct secretscan *s);

/*
 * The default cache file: $XDG_STATE_HOME/ctxd/scancache, else
 * ~/.local/state/ctxd/scancache ($HOME, else the passwd entry).  0 with
 * *out malloc'ed (the caller frees it), or with *out NULL when there is
 * no absolute state directory; -1 when out of memory.
 */
int secretscan_cache_path(char **out);

/*
 * Writes the cache to path (NULL: the default) atomically: temporary file,
 * fsync, rename, directory fsync; the file 0600, missing directories
 * created 0700.  The file is keyed by a fingerprint of the rule set (the
 * patterns, the limits, the PCRE2 version).  -1 (err filled) on an I/O
 * error or when there is no state directory (ENOENT).
 */
int secretscan_cache_save(const struct secretscan *s, const char *path,
    struct ctx_error *err);

/*
 * Replaces the cache's contents with those of the file at path (NULL: the
 * default).  A missing file is a first run: 0, the cache unchanged, no
 * warning.  A file that cannot be trusted (truncated, corrupt, another
 * version, written by another rule set, not a regular file, unreadable)
 * is ignored: 0, the cache unchanged, and a warning in *warn.  -1 (err
 * filled) only when out of memory.  *warn, if warn is not NULL, is set to
 * NULL or to a malloc'ed line the caller frees.
 */
int secretscan_cache_load(struct secretscan *s, const char *path, char **warn,
    struct ctx_error *err);

/* The rule id of a content rule ("secret-aws-access-key", ...). */
const char *secretscan_rule_id(enum secretscan_rule r);

/* Shannon entropy of p[0..n) in bits per byte. */
double secretscan_entropy(const char *p, size_t n);

#endif
