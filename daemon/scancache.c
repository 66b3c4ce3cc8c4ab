/*
 * The content scanner's verdicts by file digest (see scancache.h): a
 * compact table in memory, saved to a checksummed file and loaded by the
 * next daemon, so that a restart reads no file again to scan it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "scancache.h"
#include "readfile.h"
#include "statefile.h"

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

_Static_assert(sizeof(struct scancache_slot) == 20, "a slot is 20 bytes");
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

/* Frees the table and the full results; the seed, the rule set and the
 * generation stay. */
static void
cache_drop(struct scancache *c)
{
	free(c->tab);
	free(c->off);
	free(c->arena);
	c->tab = NULL;
	c->off = NULL;
	c->arena = NULL;
	c->cap = c->n = c->nfull = c->offcap = 0;
	c->alen = c->acap = 0;
}

void
scancache_init(struct scancache *c, const unsigned char fingerprint[32])
{
	memset(c, 0, sizeof(*c));
	memcpy(c->fingerprint, fingerprint, sizeof(c->fingerprint));
	if (getrandom(&c->seed, sizeof(c->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(c->seed))
		c->seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)c;
}

void
scancache_free(struct scancache *c)
{
	cache_drop(c);
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
slot_find(const struct scancache_slot *tab, uint32_t cap, uint64_t seed,
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
cache_rehash(struct scancache *c, uint64_t seed, uint32_t cap)
{
	struct scancache_slot *tab = calloc(cap, sizeof(*tab));
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
full_add(struct scancache *c, const struct secretscan_result *r)
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
scancache_lookup(const struct scancache *c, const unsigned char d[32],
    uint32_t gates, struct secretscan_result *out)
{
	uint32_t meta;

	if (c->n == 0 || gates > SLOT_GATES)
		return false;
	meta = c->tab[slot_find(c->tab, c->cap, c->seed, d, gates)].meta;
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
scancache_store(struct scancache *c, const unsigned char d[32],
    uint32_t gates, const struct secretscan_result *r)
{
	uint32_t i, meta = SLOT_USED | gates << SLOT_ASKED_SHIFT;
	int64_t idx;

	/* Not a key the slot can hold, or not a result secretscan_buffer()
	 * gives: never cached (a miss, never a wrong answer). */
	if (gates > SLOT_GATES || r->gates > SLOT_GATES ||
	    r->hits >> SS_NRULES != 0)
		return;
	if (c->n > 0 && (c->tab[slot_find(c->tab, c->cap, c->seed, d,
	    gates)].meta & SLOT_USED))
		return;
	/* Bounded: a daemon watching many trees starts over rather than
	 * grow. */
	if (c->n >= SECRETSCAN_CACHE_MAX) {
		cache_drop(c);
		c->generation++;
	}
	if ((c->tab == NULL || (size_t)(c->n + 1) * 4 > (size_t)c->cap * 3) &&
	    cache_rehash(c, c->seed, cache_slots((size_t)c->n + 1)) == -1)
		return;		/* out of memory: not cached */
	/* The common result, no hit, fits the slot. */
	if (r->hits == 0)
		meta |= r->gates | (r->binary ? SLOT_BINARY : 0);
	else if ((idx = full_add(c, r)) != -1)
		meta |= SLOT_FULL | (uint32_t)idx;
	else
		return;		/* out of memory: not cached */
	i = slot_find(c->tab, c->cap, c->seed, d, gates);
	memcpy(c->tab[i].key, d, 16);
	c->tab[i].meta = meta;
	c->n++;
	c->generation++;
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
scancache_path(char **out)
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
scf_parse(struct scancache *c, uint64_t seed, const unsigned char *body,
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
scf_check_header(const struct scancache *live, const unsigned char *hdr,
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
	if (memcmp(hdr + 16, live->fingerprint, 32) != 0)
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
 * Loads the open file fd into c (empty), for live's rule set and seed.  0:
 * loaded; 1: refused, why says why; -1: out of memory.
 */
static int
scf_load_fd(const struct scancache *live, struct scancache *c, int fd,
    char *why, size_t whylen)
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
	if ((got = readfile_full(fd, hdr, sizeof(hdr))) < 0)
		return refuse(why, whylen, "%s", strerror(errno));
	if (memcmp(hdr, scf_magic, (size_t)got < sizeof(scf_magic) ?
	    (size_t)got : sizeof(scf_magic)) != 0)
		return refuse(why, whylen, "not a ctxd scan cache");
	if ((size_t)got < sizeof(hdr))
		return refuse(why, whylen, "truncated header (%zd bytes)", got);
	if (scf_check_header(live, hdr, st.st_size, why, whylen) != 0)
		return 1;
	/* One read of the rest: its size is bounded by the header's counts,
	 * which the file's size has just matched. */
	blen = (size_t)st.st_size - SCF_HDR_SIZE;
	if ((body = malloc(blen + 1)) == NULL)
		return -1;
	if ((got = readfile_full(fd, body, blen)) < 0)
		refuse(why, whylen, "%s", strerror(errno));
	else if ((size_t)got != blen)
		refuse(why, whylen, "truncated while being read");
	else if (scf_sum(hdr, body, blen, sum) == -1)
		refuse(why, whylen, "SHA-256 unavailable");
	else if (memcmp(sum, hdr + SCF_SUM_OFF, sizeof(sum)) != 0)
		refuse(why, whylen, "checksum mismatch");
	else
		rc = scf_parse(c, live->seed, body, get32(hdr + 48),
		    get32(hdr + 52), (size_t)get64(hdr + 56), why, whylen);
	free(body);
	return rc;
}

/* Opens and loads path into c: 0 loaded or no file, 1 refused, -1 no memory. */
static int
scf_load(const struct scancache *live, struct scancache *c, const char *path,
    char *why, size_t whylen)
{
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	/* No file is the first run, not something to warn about. */
	if (fd == -1)
		return errno == ENOENT ? 0 : refuse(why, whylen, "%s",
		    strerror(errno));
	rc = scf_load_fd(live, c, fd, why, whylen);
	close(fd);
	return rc;
}

int
scancache_load(struct scancache *live, const char *path, char **warn,
    struct ctx_error *err)
{
	struct scancache c = { 0 };
	char why[256], *def = NULL;
	int rc;

	if (warn != NULL)
		*warn = NULL;
	if (path == NULL && scancache_path(&def) == -1)
		return ctx_error_nomem(err);
	if (path == NULL && def == NULL)
		rc = refuse(why, sizeof(why), "scan cache disabled: no state "
		    "directory (XDG_STATE_HOME and HOME unset or relative, "
		    "no passwd entry)");
	else
		rc = scf_load(live, &c, path != NULL ? path : def, why,
		    sizeof(why));
	if (rc == 0 && c.tab != NULL) {
		c.seed = live->seed;
		c.generation = live->generation + 1;
		memcpy(c.fingerprint, live->fingerprint, sizeof(c.fingerprint));
		cache_drop(live);
		*live = c;
	} else
		cache_drop(&c);
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
scf_records(const struct scancache *c, unsigned char *buf, EVP_MD_CTX *md,
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
scf_write_fd(const struct scancache *c, int fd, const char *tmp,
    struct ctx_error *err)
{
	unsigned char hdr[SCF_HDR_SIZE] = { 0 }, *buf;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = -1;

	memcpy(hdr, scf_magic, sizeof(scf_magic));
	put32(hdr + 8, SCF_VERSION);
	put32(hdr + 12, SCF_REC_SIZE);
	memcpy(hdr + 16, c->fingerprint, 32);
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

static int
scf_write(int fd, const char *tmp, void *arg, struct ctx_error *err)
{
	return scf_write_fd(arg, fd, tmp, err);
}

int
scancache_save(const struct scancache *c, const char *path,
    struct ctx_error *err)
{
	char *def = NULL;
	int rc;

	if (path == NULL && scancache_path(&def) == -1)
		return ctx_error_nomem(err);
	if (path == NULL && def == NULL)
		return ctx_error_sys(err, ENOENT, "scan cache: no state "
		    "directory (XDG_STATE_HOME and HOME unset or relative)");
	rc = statefile_replace(path != NULL ? path : def, scf_write,
	    (void *)(uintptr_t)c, err);
	free(def);
	return rc;
}
