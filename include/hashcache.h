/*
 * The daemon's persistent file-digest cache: SHA-256 digests keyed by
 * (dev, inode, size, mtime ns, ctime ns), kept in memory while the daemon
 * runs and saved under $XDG_STATE_HOME/ctxd/ so that a restart does not
 * re-read unchanged files.  Safe against racy timestamps: a record whose
 * file was modified within the timestamp granularity of the moment the
 * cache was written is not trusted after a reload (the file could have
 * changed again in the same tick).
 *
 * Ownership: hashcache_open() returns a cache freed by hashcache_free()
 * (which does not save: call hashcache_save()).
 */
#ifndef CTXD_HASHCACHE_H
#define CTXD_HASHCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "error.h"

struct hashcache;

struct hashcache_key {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
};

/*
 * Opens the cache file at path (NULL: $XDG_STATE_HOME/ctxd/hashcache, else
 * ~/.local/state/ctxd/hashcache), loading it if it exists.  A missing,
 * truncated, corrupt or foreign-version file gives an empty cache (and a
 * warning in *warn if warn is not NULL), never an error; -1 only when out
 * of memory.  *warn is malloc'ed (the caller frees it) or NULL: a missing
 * file is a first run, not worth a warning.
 */
struct hashcache *hashcache_open(const char *path, char **warn,
    struct ctx_error *err);
void hashcache_free(struct hashcache *c);

/*
 * The digest for key, if known and trusted; true when found.  May run on
 * several threads at once (it only marks the record used, atomically);
 * put, forget and save need the cache to themselves.
 */
bool hashcache_get(const struct hashcache *c, const struct hashcache_key *key,
    unsigned char digest[32]);
/* Records a digest (replacing any older one for the same dev+ino). */
int hashcache_put(struct hashcache *c, const struct hashcache_key *key,
    const unsigned char digest[32], struct ctx_error *err);
/* Drops the record of dev+ino (the file is gone). */
void hashcache_forget(struct hashcache *c, uint64_t dev, uint64_t ino);

size_t hashcache_count(const struct hashcache *c);

/*
 * Writes the cache atomically (temp file + fsync + rename, mode 0600,
 * directory created 0700).  Records not touched (get/put) since open are
 * dropped, from memory too, when prune is true, so the file does not grow
 * forever.  A cache with nothing put, forgotten or pruned since it was
 * loaded or last saved is not written again (0: the file already holds it).
 */
int hashcache_save(struct hashcache *c, bool prune, struct ctx_error *err);

#endif
