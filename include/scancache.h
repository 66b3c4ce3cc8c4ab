/*
 * The content scanner's verdicts (struct secretscan_result) by the SHA-256
 * of the file's content, and the file they persist in across restarts
 * ($XDG_STATE_HOME/ctxd/scancache).  A file written by another rule set is
 * ignored (the fingerprint of the rules is in its header).
 *
 * The cache keeps a result in a 20-byte slot when it holds no hit (nearly
 * every file): the first 16 bytes of the content's SHA-256 and a word of
 * bits.  A result with a hit is encoded into a byte arena (the file's
 * encoding) and its slot holds its index.  200 bytes per file before: a
 * 56-byte entry in a power-of-two table at most half full, and 896 bytes
 * per hit.
 *
 * Ownership: a struct scancache owns its table and arena
 * (scancache_free()).  Not thread-safe: lookups may run at once, a store
 * or a load excludes everything else (secretscan.h says who calls them).
 */
#ifndef CTXD_SCANCACHE_H
#define CTXD_SCANCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "secretscan.h"

struct scancache_slot {
	unsigned char key[16];	/* the digest's first 16 bytes */
	uint32_t meta;		/* SLOT_* of scancache.c */
};

struct scancache {
	struct scancache_slot *tab;	/* linear probing, at most 3/4 full */
	uint32_t cap, n;	/* slots; slots used */
	uint32_t *off;		/* off[i]: where full result i starts */
	uint32_t nfull, offcap;
	unsigned char *arena;	/* the full results, encoded */
	size_t alen, acap;
	/* Random per cache, so a crafted cache file cannot make every key
	 * land in one probe run. */
	uint64_t seed;
	uint64_t generation;	/* bumped by every change */
	unsigned char fingerprint[32];	/* of the rule set */
};

/* An empty cache for the rule set of this fingerprint. */
void scancache_init(struct scancache *c, const unsigned char fingerprint[32]);
void scancache_free(struct scancache *c);

/* As secretscan_lookup() and secretscan_store(). */
bool scancache_lookup(const struct scancache *c, const unsigned char d[32],
    uint32_t gates, struct secretscan_result *out);
void scancache_store(struct scancache *c, const unsigned char d[32],
    uint32_t gates, const struct secretscan_result *r);

/* As secretscan_cache_path(), secretscan_cache_load() and
 * secretscan_cache_save(). */
int scancache_path(char **out);
int scancache_load(struct scancache *c, const char *path, char **warn,
    struct ctx_error *err);
int scancache_save(const struct scancache *c, const char *path,
    struct ctx_error *err);

#endif
