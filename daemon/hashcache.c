/*
 * The persistent file-digest cache (see hashcache.h): an open-addressing
 * table from (dev, ino) to the full stat key and SHA-256 of a file, and its
 * on-disk form, a checksummed little-endian file that is saved atomically
 * and loaded with every length checked against the file size first.
 *
 * File format, version 1 (every integer little-endian, whatever the host):
 *
 *   off  size  field
 *     0     8  magic "\x89CTXDHC\n" (the high byte and the newline, as
 *              in PNG, catch 7-bit and newline-translating copies)
 *     8     4  version, 1
 *    12     4  record size, 72
 *    16     8  write time: CLOCK_REALTIME ns, read when the save began
 *    24     8  timestamp granularity, ns (the racy rule, below)
 *    32     8  record count n, at most HASHCACHE_MAX_RECORDS
 *    40    32  SHA-256 of bytes 0..39 followed by all the records
 *    72  72*n  records: dev u64, ino u64, size u64, mtime ns i64,
 *              ctime ns i64, SHA-256 of the file's contents (32 bytes)
 *
 * The file size must be exactly 72 + 72 * count; anything else (truncated,
 * trailing bytes, another version, a wrong checksum) makes the whole file
 * ignored, with a warning.  SHA-256 rather than a CRC: with SHA-NI it runs
 * at ~1.7 GB/s, so 100k records (7.2 MB) cost ~4 ms of a save or a load,
 * not enough to be worth a second checksum implementation.
 *
 * The racy-timestamp rule: the kernel stamps mtime and ctime from the
 * coarse clock (one tick, 1-10 ms), so a file written again in the same
 * tick as the save keeps its times while its contents change.  A record
 * is therefore reloaded only if both its times are older than (write
 * time - granularity), the granularity being the coarse clock's resolution
 * at save time, at least 1 ms.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "hashcache.h"
#include "readfile.h"
#include "statefile.h"

#define HASHCACHE_VERSION	1
#define HASHCACHE_HDR_SIZE	72
#define HASHCACHE_REC_SIZE	72
#define HASHCACHE_SUM_OFF	40
/*
 * 4 Mi records: a 302 MB file and ~350 MB of memory, far more files than a
 * build context docker would agree to send.  A count above it is garbage,
 * refused before anything is allocated; it also keeps indices in 32 bits.
 */
#define HASHCACHE_MAX_RECORDS	(1u << 22)
/* Records encoded or decoded per read(2)/write(2): 72 KiB. */
#define HASHCACHE_CHUNK		1024
#define HASHCACHE_MIN_GRAN_NS	1000000LL
#define HASHCACHE_MAX_GRAN_NS	60000000000LL
#define HASHCACHE_NS		1000000000LL

static const unsigned char hashcache_magic[8] = {
	0x89, 'C', 'T', 'X', 'D', 'H', 'C', '\n',
};

struct hashcache_rec {
	struct hashcache_key key;
	unsigned char digest[32];
	/*
	 * Got or put since open; prune keeps only these.  Atomic because
	 * hashcache_get() takes a const cache and may be called from several
	 * digest threads at once: setting the flag is its only write.
	 */
	atomic_bool used;
};

struct hashcache {
	char *path;			/* NULL: no state directory found */
	struct hashcache_rec *recs;	/* dense, in no particular order */
	size_t n, cap;
	/*
	 * Linear probing, at most half full.  A slot is 0 (empty) or the
	 * index into recs + 1 in its low half and the high half of the key's
	 * hash in its high half: indices rather than records keep the table
	 * small and let save and prune walk the dense array, and the hash
	 * bits let a probe skip other keys without touching their records
	 * (that cache miss was 40% of a load).
	 */
	uint64_t *slots;
	size_t mask;			/* number of slots - 1 */
	/* Random per cache, so a crafted file cannot make every key collide. */
	uint64_t seed;
	/*
	 * Records put, forgotten or pruned since the file was loaded or last
	 * saved (or a file there was refused): a clean cache is not written
	 * again, so a restart whose digests all came from the file, or a
	 * save with nothing new, costs no write and no fsync.
	 */
	bool dirty;
};

static void
hashcache_put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
hashcache_get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void
hashcache_put32(unsigned char *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t
hashcache_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

#define HASHCACHE_IDX(s)	((uint32_t)(s) - 1)
#define HASHCACHE_SLOT(h, idx) \
	(((h) & 0xffffffff00000000ULL) | ((idx) + 1))

static uint64_t
hashcache_hash(const struct hashcache *c, uint64_t dev, uint64_t ino)
{
	/* MurmurHash3's finaliser: every input bit reaches every output bit,
	 * so sequential inode numbers spread over the whole table. */
	uint64_t h = (ino ^ c->seed) + dev * 0x9e3779b97f4a7c15ULL;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* The slot holding dev+ino (whose hash is h), or the empty slot where it
 * would go. */
static size_t
hashcache_find(const struct hashcache *c, uint64_t h, uint64_t dev,
    uint64_t ino)
{
	size_t i = (size_t)h & c->mask;
	const struct hashcache_key *k;
	uint64_t s;

	while ((s = c->slots[i]) != 0) {
		if ((s ^ h) >> 32 == 0) {
			k = &c->recs[HASHCACHE_IDX(s)].key;
			if (k->ino == ino && k->dev == dev)
				return i;
		}
		i = (i + 1) & c->mask;
	}
	return i;
}

static void
hashcache_reindex(struct hashcache *c)
{
	const struct hashcache_key *k;
	uint64_t h;
	size_t i;

	memset(c->slots, 0, (c->mask + 1) * sizeof(*c->slots));
	for (i = 0; i < c->n; i++) {
		k = &c->recs[i].key;
		h = hashcache_hash(c, k->dev, k->ino);
		c->slots[hashcache_find(c, h, k->dev, k->ino)] =
		    HASHCACHE_SLOT(h, i);
	}
}

/* Room for want records (want <= HASHCACHE_MAX_RECORDS). */
static int
hashcache_reserve(struct hashcache *c, size_t want, struct ctx_error *err)
{
	struct hashcache_rec *recs;
	uint64_t *slots;
	size_t cap, nslots;

	if (want > c->cap) {
		for (cap = c->cap ? c->cap : 64; cap < want; cap *= 2)
			;
		if (cap > HASHCACHE_MAX_RECORDS)
			cap = HASHCACHE_MAX_RECORDS;
		recs = reallocarray(c->recs, cap, sizeof(*recs));
		if (recs == NULL)
			return ctx_error_nomem(err);
		c->recs = recs;
		c->cap = cap;
	}
	if (c->slots != NULL && want <= (c->mask + 1) / 2)
		return 0;
	for (nslots = 16; nslots / 2 < want; nslots *= 2)
		;
	if ((slots = calloc(nslots, sizeof(*slots))) == NULL)
		return ctx_error_nomem(err);
	free(c->slots);
	c->slots = slots;
	c->mask = nslots - 1;
	hashcache_reindex(c);
	return 0;
}

static void
hashcache_rec_move(struct hashcache_rec *dst, const struct hashcache_rec *src)
{
	dst->key = src->key;
	memcpy(dst->digest, src->digest, sizeof(dst->digest));
	atomic_store_explicit(&dst->used,
	    atomic_load_explicit(&src->used, memory_order_relaxed),
	    memory_order_relaxed);
}

/* Adds or replaces; room must have been reserved. */
static void
hashcache_insert(struct hashcache *c, const struct hashcache_key *key,
    const unsigned char digest[32], bool used)
{
	uint64_t h = hashcache_hash(c, key->dev, key->ino);
	size_t i = hashcache_find(c, h, key->dev, key->ino);
	struct hashcache_rec *r;

	if (c->slots[i] == 0) {
		c->slots[i] = HASHCACHE_SLOT(h, c->n);
		r = &c->recs[c->n++];
	} else
		r = &c->recs[HASHCACHE_IDX(c->slots[i])];
	r->key = *key;
	memcpy(r->digest, digest, sizeof(r->digest));
	atomic_store_explicit(&r->used, used, memory_order_relaxed);
}

/*
 * Empties slot i by backward-shift deletion: later entries of the same
 * probe run move up into the hole, so lookups need no tombstones and a
 * long-running daemon's table never silts up.
 */
static void
hashcache_unslot(struct hashcache *c, size_t i)
{
	const struct hashcache_key *k;
	size_t j = i, home;

	for (;;) {
		j = (j + 1) & c->mask;
		if (c->slots[j] == 0)
			break;
		k = &c->recs[HASHCACHE_IDX(c->slots[j])].key;
		home = (size_t)hashcache_hash(c, k->dev, k->ino) & c->mask;
		/* The entry at j may fill the hole unless its home lies
		 * cyclically in (i, j]: then it would become unreachable. */
		if (((j - home) & c->mask) >= ((j - i) & c->mask)) {
			c->slots[i] = c->slots[j];
			i = j;
		}
	}
	c->slots[i] = 0;
}

/*
 * Loads the open file fd into the empty cache c.  0: loaded; 1: refused,
 * why says why (c may then hold part of the file: the caller empties it);
 * -1: out of memory.
 */
static int
hashcache_load_fd(struct hashcache *c, int fd, char *why, size_t whylen,
    struct ctx_error *err)
{
	unsigned char hdr[HASHCACHE_HDR_SIZE], sum[32], *buf = NULL, *p;
	struct hashcache_key k;
	EVP_MD_CTX *md = NULL;
	struct stat st;
	uint64_t count, left, i, n;
	int64_t wtime, gran, cutoff;
	uint32_t version, recsize;
	ssize_t got;
	int rc = 1;

	if (fstat(fd, &st) == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		return 1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		return 1;
	}
	if ((got = readfile_full(fd, hdr, sizeof(hdr))) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return 1;
	}
	if (memcmp(hdr, hashcache_magic, (size_t)got <
	    sizeof(hashcache_magic) ? (size_t)got : sizeof(hashcache_magic))) {
		snprintf(why, whylen, "not a ctxd hash cache");
		return 1;
	}
	if ((size_t)got < sizeof(hdr)) {
		snprintf(why, whylen, "truncated header (%zd bytes)", got);
		return 1;
	}
	/* The version first: another version may lay out the rest otherwise. */
	version = hashcache_get32(hdr + 8);
	recsize = hashcache_get32(hdr + 12);
	wtime = (int64_t)hashcache_get64(hdr + 16);
	gran = (int64_t)hashcache_get64(hdr + 24);
	count = hashcache_get64(hdr + 32);
	if (version != HASHCACHE_VERSION) {
		snprintf(why, whylen, "version %u, this ctxd reads version %d",
		    version, HASHCACHE_VERSION);
		return 1;
	}
	if (recsize != HASHCACHE_REC_SIZE) {
		snprintf(why, whylen, "record size %u, expected %d", recsize,
		    HASHCACHE_REC_SIZE);
		return 1;
	}
	if (count > HASHCACHE_MAX_RECORDS) {
		snprintf(why, whylen, "%ju records, more than the limit of %u",
		    (uintmax_t)count, HASHCACHE_MAX_RECORDS);
		return 1;
	}
	if ((uint64_t)st.st_size != HASHCACHE_HDR_SIZE +
	    count * HASHCACHE_REC_SIZE) {
		snprintf(why, whylen, "%jd bytes, but %ju records need %ju",
		    (intmax_t)st.st_size, (uintmax_t)count, (uintmax_t)(
		    HASHCACHE_HDR_SIZE + count * HASHCACHE_REC_SIZE));
		return 1;
	}
	/* Bounds that also keep wtime - gran from overflowing. */
	if (wtime < 0 || gran < HASHCACHE_MIN_GRAN_NS ||
	    gran > HASHCACHE_MAX_GRAN_NS) {
		snprintf(why, whylen, "implausible write time %jd or "
		    "granularity %jd ns", (intmax_t)wtime, (intmax_t)gran);
		return 1;
	}
	cutoff = wtime - gran;

	if (hashcache_reserve(c, (size_t)count, err) == -1)
		return -1;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    (buf = malloc(HASHCACHE_CHUNK * HASHCACHE_REC_SIZE)) == NULL) {
		rc = ctx_error_nomem(err);
		goto out;
	}
	if (!EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(md, hdr, HASHCACHE_SUM_OFF)) {
		snprintf(why, whylen, "SHA-256 unavailable");
		goto out;
	}
	for (left = count; left > 0; left -= n) {
		n = left < HASHCACHE_CHUNK ? left : HASHCACHE_CHUNK;
		got = readfile_full(fd, buf, n * HASHCACHE_REC_SIZE);
		if (got < 0) {
			snprintf(why, whylen, "%s", strerror(errno));
			goto out;
		}
		if ((size_t)got != n * HASHCACHE_REC_SIZE) {
			snprintf(why, whylen, "truncated while being read");
			goto out;
		}
		if (!EVP_DigestUpdate(md, buf, (size_t)got)) {
			snprintf(why, whylen, "SHA-256 failed");
			goto out;
		}
		/* Inserted before the checksum is known: on a mismatch the
		 * caller empties the cache again. */
		for (i = 0, p = buf; i < n; i++, p += HASHCACHE_REC_SIZE) {
			k.dev = hashcache_get64(p);
			k.ino = hashcache_get64(p + 8);
			k.size = hashcache_get64(p + 16);
			k.mtime_ns = (int64_t)hashcache_get64(p + 24);
			k.ctime_ns = (int64_t)hashcache_get64(p + 32);
			/*
			 * The racy-timestamp rule.  The kernel stamps files
			 * from the coarse clock, so a write up to one tick
			 * after the save could leave mtime and ctime as they
			 * were and the digest stale.  Only a record both of
			 * whose times are older than (write time - tick) is
			 * sure to have been stamped in an earlier tick.
			 */
			if (k.mtime_ns >= cutoff || k.ctime_ns >= cutoff)
				continue;
			hashcache_insert(c, &k, p + 40, false);
		}
	}
	if (!EVP_DigestFinal_ex(md, sum, NULL)) {
		snprintf(why, whylen, "SHA-256 failed");
		goto out;
	}
	if (memcmp(sum, hdr + HASHCACHE_SUM_OFF, sizeof(sum)) != 0) {
		snprintf(why, whylen, "checksum mismatch");
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}

struct hashcache *
hashcache_open(const char *path, char **warn, struct ctx_error *err)
{
	struct hashcache *c;
	char why[256];
	int fd, rc = 0;

	if (warn != NULL)
		*warn = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		ctx_error_nomem(err);
		return NULL;
	}
	if (getrandom(&c->seed, sizeof(c->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(c->seed))
		c->seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)c;
	if (hashcache_reserve(c, 0, err) == -1)
		goto fail;
	if (path != NULL)
		c->path = strdup(path);
	else if (statefile_path("hashcache", &c->path) == -1)
		goto nomem;
	if (path != NULL && c->path == NULL)
		goto nomem;

	if (c->path == NULL) {
		snprintf(why, sizeof(why), "hash cache disabled: no state "
		    "directory (XDG_STATE_HOME and HOME unset or relative, "
		    "no passwd entry)");
		rc = 1;
	} else if ((fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1) {
		/* No file is the first run, not something to warn about. */
		if (errno != ENOENT) {
			snprintf(why, sizeof(why), "%s", strerror(errno));
			rc = 1;
		}
	} else {
		rc = hashcache_load_fd(c, fd, why, sizeof(why), err);
		close(fd);
		if (rc == -1)
			goto fail;
	}
	if (rc == 1) {
		/* Also gives back what a refused file's count reserved. */
		free(c->recs);
		free(c->slots);
		c->recs = NULL;
		c->slots = NULL;
		c->n = c->cap = 0;
		if (hashcache_reserve(c, 0, err) == -1)
			goto fail;
		c->dirty = true;	/* the next save replaces the bad file */
		if (warn != NULL) {
			if (c->path == NULL)
				*warn = strdup(why);
			else if (asprintf(warn, "hash cache %s ignored: %s",
			    c->path, why) < 0)
				*warn = NULL;
			if (*warn == NULL)
				goto nomem;
		}
	}
	return c;
nomem:
	ctx_error_nomem(err);
fail:
	hashcache_free(c);
	return NULL;
}

void
hashcache_free(struct hashcache *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->recs);
	free(c->slots);
	free(c);
}

bool
hashcache_get(const struct hashcache *c, const struct hashcache_key *key,
    unsigned char digest[32])
{
	struct hashcache_rec *r;
	uint64_t s;

	if (c == NULL || c->n == 0)
		return false;
	s = c->slots[hashcache_find(c, hashcache_hash(c, key->dev, key->ino),
	    key->dev, key->ino)];
	if (s == 0)
		return false;
	r = &c->recs[HASHCACHE_IDX(s)];
	if (r->key.size != key->size || r->key.mtime_ns != key->mtime_ns ||
	    r->key.ctime_ns != key->ctime_ns)
		return false;
	memcpy(digest, r->digest, sizeof(r->digest));
	/* Load first: threads hitting the same record need not all write. */
	if (!atomic_load_explicit(&r->used, memory_order_relaxed))
		atomic_store_explicit(&r->used, true, memory_order_relaxed);
	return true;
}

int
hashcache_put(struct hashcache *c, const struct hashcache_key *key,
    const unsigned char digest[32], struct ctx_error *err)
{
	if (c->slots[hashcache_find(c, hashcache_hash(c, key->dev, key->ino),
	    key->dev, key->ino)] == 0) {
		if (c->n >= HASHCACHE_MAX_RECORDS)
			return ctx_error_set(err, CTX_ERR_NOMEM,
			    "hash cache full (%u records)",
			    HASHCACHE_MAX_RECORDS);
		if (hashcache_reserve(c, c->n + 1, err) == -1)
			return -1;
	}
	hashcache_insert(c, key, digest, true);
	c->dirty = true;
	return 0;
}

void
hashcache_forget(struct hashcache *c, uint64_t dev, uint64_t ino)
{
	const struct hashcache_key *k;
	size_t i, last, hole;
	uint64_t s;

	if (c == NULL || c->n == 0)
		return;
	i = hashcache_find(c, hashcache_hash(c, dev, ino), dev, ino);
	if ((s = c->slots[i]) == 0)
		return;
	hashcache_unslot(c, i);
	/* Keep recs dense: the last record moves into the hole. */
	last = c->n - 1;
	hole = HASHCACHE_IDX(s);
	if (hole != last) {
		k = &c->recs[last].key;
		i = hashcache_find(c, hashcache_hash(c, k->dev, k->ino),
		    k->dev, k->ino);
		c->slots[i] = HASHCACHE_SLOT(c->slots[i], hole);
		hashcache_rec_move(&c->recs[hole], &c->recs[last]);
	}
	c->n--;
	c->dirty = true;
}

size_t
hashcache_count(const struct hashcache *c)
{
	return c == NULL ? 0 : c->n;
}

/* Drops, from memory as well as from the file to come, what was not used. */
static void
hashcache_prune(struct hashcache *c)
{
	size_t i, kept = 0;

	for (i = 0; i < c->n; i++) {
		if (!atomic_load_explicit(&c->recs[i].used,
		    memory_order_relaxed))
			continue;
		if (kept != i)
			hashcache_rec_move(&c->recs[kept], &c->recs[i]);
		kept++;
	}
	if (kept != c->n) {
		c->n = kept;
		hashcache_reindex(c);
		c->dirty = true;
	}
}

static int
hashcache_write_full(int fd, const unsigned char *p, size_t n, off_t off)
{
	ssize_t put;

	while (n > 0) {
		put = pwrite(fd, p, n, off);
		if (put < 0 && errno == EINTR)
			continue;
		if (put < 0)
			return -1;
		p += put;
		n -= (size_t)put;
		off += put;
	}
	return 0;
}

static int
hashcache_write_fd(struct hashcache *c, int fd, int64_t now_ns,
    int64_t gran_ns, struct ctx_error *err)
{
	unsigned char hdr[HASHCACHE_HDR_SIZE], *buf, *p;
	const struct hashcache_rec *r;
	off_t off = HASHCACHE_HDR_SIZE;
	EVP_MD_CTX *md;
	size_t i, j, n;
	int rc = -1;

	memcpy(hdr, hashcache_magic, sizeof(hashcache_magic));
	hashcache_put32(hdr + 8, HASHCACHE_VERSION);
	hashcache_put32(hdr + 12, HASHCACHE_REC_SIZE);
	hashcache_put64(hdr + 16, (uint64_t)now_ns);
	hashcache_put64(hdr + 24, (uint64_t)gran_ns);
	hashcache_put64(hdr + 32, c->n);
	buf = malloc(HASHCACHE_CHUNK * HASHCACHE_REC_SIZE);
	md = EVP_MD_CTX_new();
	if (buf == NULL || md == NULL) {
		ctx_error_nomem(err);
		goto out;
	}
	if (!EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(md, hdr, HASHCACHE_SUM_OFF)) {
		ctx_error_set(err, CTX_ERR_SYS, "%s: SHA-256 failed", c->path);
		goto out;
	}
	/* Records first, then the header with the checksum they give. */
	for (i = 0; i < c->n; i += n) {
		n = c->n - i < HASHCACHE_CHUNK ? c->n - i : HASHCACHE_CHUNK;
		for (j = 0, p = buf; j < n; j++, p += HASHCACHE_REC_SIZE) {
			r = &c->recs[i + j];
			hashcache_put64(p, r->key.dev);
			hashcache_put64(p + 8, r->key.ino);
			hashcache_put64(p + 16, r->key.size);
			hashcache_put64(p + 24, (uint64_t)r->key.mtime_ns);
			hashcache_put64(p + 32, (uint64_t)r->key.ctime_ns);
			memcpy(p + 40, r->digest, sizeof(r->digest));
		}
		if (!EVP_DigestUpdate(md, buf, n * HASHCACHE_REC_SIZE)) {
			ctx_error_set(err, CTX_ERR_SYS, "%s: SHA-256 failed",
			    c->path);
			goto out;
		}
		if (hashcache_write_full(fd, buf, n * HASHCACHE_REC_SIZE,
		    off) == -1) {
			ctx_error_sys(err, errno, "%s", c->path);
			goto out;
		}
		off += (off_t)(n * HASHCACHE_REC_SIZE);
	}
	if (!EVP_DigestFinal_ex(md, hdr + HASHCACHE_SUM_OFF, NULL)) {
		ctx_error_set(err, CTX_ERR_SYS, "%s: SHA-256 failed", c->path);
		goto out;
	}
	if (hashcache_write_full(fd, hdr, sizeof(hdr), 0) == -1) {
		ctx_error_sys(err, errno, "%s", c->path);
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}

struct save_args {
	struct hashcache *c;
	int64_t now_ns, gran_ns;
};

static int
save_write(int fd, const char *tmp, void *arg, struct ctx_error *err)
{
	struct save_args *a = arg;

	(void)tmp;
	return hashcache_write_fd(a->c, fd, a->now_ns, a->gran_ns, err);
}

/*
 * hashcache_save() with the clock given: now_ns is the write time recorded
 * in the file, gran_ns the granularity (the tests pin both).
 */
static int
hashcache_save_at(struct hashcache *c, bool prune, int64_t now_ns,
    int64_t gran_ns, struct ctx_error *err)
{
	struct save_args a = { c, now_ns, gran_ns };

	if (c->path == NULL)
		return ctx_error_sys(err, ENOENT, "hash cache: no state "
		    "directory (XDG_STATE_HOME and HOME unset)");
	if (prune)
		hashcache_prune(c);
	if (!c->dirty)
		return 0;	/* the file holds what memory holds */
	if (statefile_replace(c->path, save_write, &a, err) == -1)
		return -1;
	c->dirty = false;
	return 0;
}

int
hashcache_save(struct hashcache *c, bool prune, struct ctx_error *err)
{
	struct timespec now, res;
	int64_t gran = HASHCACHE_MIN_GRAN_NS;

	/*
	 * The write time is taken before writing: a smaller write time
	 * distrusts more records on reload, never fewer.  The granularity
	 * is the coarse clock's tick (a jiffy, 1 to 10 ms), because that is
	 * the clock the kernel stamps mtime and ctime from; at least 1 ms
	 * in case a kernel reports something finer than it stamps.
	 */
	clock_gettime(CLOCK_REALTIME, &now);
	if (clock_getres(CLOCK_REALTIME_COARSE, &res) == 0 &&
	    res.tv_sec < 60 && res.tv_sec * HASHCACHE_NS + res.tv_nsec > gran)
		gran = res.tv_sec * HASHCACHE_NS + res.tv_nsec;
	return hashcache_save_at(c, prune, now.tv_sec * HASHCACHE_NS +
	    now.tv_nsec, gran, err);
}
