/*
 * The persistent caches of the daemon (see statecache.h).  The digest
 * cache is loaded when a walk meets files the tree has no digest for (the
 * first scan, a reset, a directory newly entered), given the digests read
 * meanwhile, saved and dropped; a project going away gives it every digest
 * it holds, the last one with the cache pruned to them.  The scan cache is
 * loaded with the first project and saved when the first scan or the last
 * project has made new verdicts, so that a restart reads no file again to
 * scan it.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "hashcache.h"
#include "log.h"
#include "secretscan.h"
#include "statecache.h"

/* Files stamped this close to now are not put in the persistent cache: a
 * file modified again within the clock's tick keeps its stamp. */
#define RACY_NS (20 * 1000 * 1000)

static struct hashcache *digests;
static int projects;
static uint64_t scan_saved_gen;
static bool scan_loaded;

static struct hashcache *
digests_load(void)
{
	char *warn = NULL;

	if (digests == NULL) {
		digests = hashcache_open(NULL, &warn, NULL);
		if (warn != NULL)
			log_warnx("hash cache: %s", warn);
		free(warn);
	}
	return digests;
}

static void
digests_unload(bool prune)
{
	struct ctx_error err;

	if (digests == NULL)
		return;
	if (hashcache_save(digests, prune, &err) < 0)
		log_warnx("hash cache: %s", err.msg);
	hashcache_free(digests);
	digests = NULL;
}

static void
key_of(const struct tree *t, const struct tree_node *n,
    struct hashcache_key *k)
{
	k->dev = tree_node_dev(t, n);
	k->ino = n->ino;
	k->size = n->size;
	k->mtime_ns = n->mtime_ns;
	k->ctime_ns = n->ctime_ns;
}

static void
scan_load(void)
{
	struct secretscan *s = secretscan_shared();
	struct ctx_error err;
	char *warn = NULL;

	if (scan_loaded || s == NULL)
		return;
	scan_loaded = true;
	if (secretscan_cache_load(s, NULL, &warn, &err) < 0)
		log_warnx("scan cache: %s", err.msg);
	if (warn != NULL)
		log_warnx("%s", warn);
	free(warn);
	scan_saved_gen = secretscan_cache_generation(s);
}

void
statecache_scan_save(void)
{
	struct secretscan *s = secretscan_shared();
	struct ctx_error err;

	if (!scan_loaded || s == NULL ||
	    secretscan_cache_generation(s) == scan_saved_gen)
		return;
	if (secretscan_cache_save(s, NULL, &err) < 0)
		log_warnx("scan cache: %s", err.msg);
	else
		scan_saved_gen = secretscan_cache_generation(s);
}

void
statecache_join(void)
{
	projects++;
	scan_load();
}

void
statecache_leave(const struct tree *t)
{
	projects--;
	statecache_put_tree(t);
	digests_unload(projects == 0);
	if (projects == 0)
		statecache_scan_save();
}

bool
statecache_get(const struct tree *t, struct tree_node *n)
{
	struct hashcache_key key;

	if (digests_load() == NULL)
		return false;
	key_of(t, n, &key);
	return hashcache_get(digests, &key, n->digest);
}

void
statecache_put(const struct tree *t, const struct tree_node *n,
    int64_t now_ns)
{
	struct hashcache_key key;

	if (digests == NULL || n->mtime_ns >= now_ns - RACY_NS ||
	    n->ctime_ns >= now_ns - RACY_NS)
		return;
	key_of(t, n, &key);
	(void)hashcache_put(digests, &key, n->digest, NULL);
}

void
statecache_put_tree(const struct tree *t)
{
	uint32_t i;

	if (digests_load() == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		const struct tree_node *n = &t->v[i];
		struct hashcache_key key;

		if (!n->used || !n->digest_ok || !S_ISREG(n->mode))
			continue;
		key_of(t, n, &key);
		(void)hashcache_put(digests, &key, n->digest, NULL);
	}
}

void
statecache_done(void)
{
	digests_unload(false);
}
