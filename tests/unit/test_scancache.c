/*
 * secretscan.c's cache: the 20-byte slot and the table's exact size, the
 * keys (16-byte prefix and gates asked), results with and without hits
 * identical after a save and a load into a fresh scanner, the exact file
 * layout, damaged, foreign-version and other-rule-set files refused with
 * a warning (the cache unchanged), modes 0600/0700, the default path, the
 * bound SECRETSCAN_CACHE_MAX, and 100k records.
 *
 * secretscan.c is included rather than linked so that the test can see
 * the slot and the table.
 */
#include "../../daemon/secretscan.c"
#include "../../daemon/scancache.c"

#include <dirent.h>
#include <ftw.h>
#include <pwd.h>
#include <sys/stat.h>

#include "testutil.h"

static char tmpdir[64];
static char path[128];
static struct secretscan *S;
static struct secretscan_ctx *C;

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int
setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/ss-test-scancache.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/scancache", tmpdir);
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
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* A digest-like key: splitmix64 of i, so prefixes spread like SHA-256's. */
static void
dig(uint64_t i, unsigned char d[32])
{
	uint64_t z;
	int j;

	for (j = 0; j < 4; j++) {
		z = i * 4 + (uint64_t)j + 0x9e3779b97f4a7c15ULL;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		memcpy(d + 8 * j, &z, 8);
	}
}

static struct secretscan_result
scan(const char *text, size_t len, uint32_t gates)
{
	struct secretscan_result r;

	secretscan_buffer(C, text, len, gates, &r);
	return r;
}

static void
assert_same(const struct secretscan_result *a,
    const struct secretscan_result *b)
{
	assert_int_equal(a->hits, b->hits);
	assert_int_equal(a->gates, b->gates);
	assert_int_equal(a->binary, b->binary);
	assert_memory_equal(a->line, b->line, sizeof(a->line));
	assert_memory_equal(a->preview, b->preview, sizeof(a->preview));
}

/* The fixtures: one result of each kind, with the gates they were asked. */
#define NFIX 7
static struct secretscan_result fix[NFIX];
static const uint32_t fix_gates[NFIX] = {
	0, 0, 0, SG_NPMRC, SG_NPMRC | SG_NETRC, 0, SG_ELFCORE,
};

static void
make_fixtures(void)
{
	static const char body[] = "q7Xv2Lm9Rt4Kp8Zw3Nc6Hy1Bf5Dj0Gs7Qa2We9Ru4";
	static const char npmrc[] = "//registry.npmjs.org/:_authToken=abc\n";
	unsigned char core[64] = { 0x7f, 'E', 'L', 'F', 2, 1 };
	char t[512];
	int n;

	/* three rules on lines 1, 2 and 4 (tokens assembled at run time) */
	n = snprintf(t, sizeof(t), "DB_PASSWORD=Xk29vLq8Rz4\nid=AK%s\n\n"
	    "-----BEGIN RSA PRIVATE KEY-----\n%s%s\n", "IAQ7XV2LM9RT4KP8ZW",
	    body, body);
	fix[0] = scan(t, (size_t)n, fix_gates[0]);
	assert_int_equal(fix[0].hits, 1u << SS_GENERIC | 1u << SS_AWS |
	    1u << SS_PRIVATE_KEY);
	assert_int_equal(fix[0].line[SS_PRIVATE_KEY], 4);
	fix[1] = scan("nothing here\n", 13, fix_gates[1]);
	fix[2] = scan("\0\1\2", 3, fix_gates[2]);
	assert_true(fix[2].binary);
	fix[3] = scan(npmrc, sizeof(npmrc) - 1, fix_gates[3]);
	assert_int_equal(fix[3].gates, SG_NPMRC);
	assert_int_equal(fix[3].hits, 0);
	n = snprintf(t, sizeof(t), "%s token=%s\n", npmrc, body);
	fix[4] = scan(t, (size_t)n, fix_gates[4]);
	assert_int_equal(fix[4].gates, SG_NPMRC);
	assert_int_equal(fix[4].hits, 1u << SS_GENERIC);
	n = snprintf(t, sizeof(t), "k=AK%s\n", "IAQ7XV2LM9RT4KP8ZW");
	fix[5] = scan(t, (size_t)n, fix_gates[5]);
	assert_int_equal(fix[5].hits, 1u << SS_AWS);
	core[16] = 4;		/* ET_CORE, little-endian */
	fix[6] = scan((const char *)core, sizeof(core), fix_gates[6]);
	assert_true(fix[6].binary);
	assert_int_equal(fix[6].gates, SG_ELFCORE);
}

static void
store_fixtures(struct secretscan *s)
{
	unsigned char d[32];
	int i;

	for (i = 0; i < NFIX; i++) {
		dig((uint64_t)i, d);
		secretscan_store(s, d, fix_gates[i], &fix[i]);
	}
}

static void
assert_fixtures(const struct secretscan *s)
{
	struct secretscan_result got;
	unsigned char d[32];
	int i;

	for (i = 0; i < NFIX; i++) {
		dig((uint64_t)i, d);
		assert_true(secretscan_lookup(s, d, fix_gates[i], &got));
		assert_same(&got, &fix[i]);
		/* the gates asked for are part of the key */
		assert_false(secretscan_lookup(s, d, fix_gates[i] ^ SG_PGPASS,
		    &got));
	}
	dig(NFIX, d);
	assert_false(secretscan_lookup(s, d, 0, &got));
}

static void
save_ok(const struct secretscan *s, const char *p)
{
	struct ctx_error err;

	if (secretscan_cache_save(s, p, &err) != 0)
		fail_msg("save: %s", err.msg);
}

/* Loads p into a fresh scanner; the warning (or NULL) in *warn. */
static struct secretscan *
load_new(const char *p, char **warn)
{
	struct secretscan *s = secretscan_new(NULL);
	struct ctx_error err;

	assert_non_null(s);
	if (secretscan_cache_load(s, p, warn, &err) != 0)
		fail_msg("load: %s", err.msg);
	return s;
}

static unsigned char *
read_bytes(const char *p, size_t *n)
{
	struct stat st;
	unsigned char *b;
	FILE *f = fopen(p, "rb");

	assert_non_null(f);
	assert_int_equal(fstat(fileno(f), &st), 0);
	*n = (size_t)st.st_size;
	b = malloc(*n + 64);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, *n, f), *n);
	fclose(f);
	return b;
}

static void
write_bytes(const char *p, const void *b, size_t n)
{
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* Makes b's checksum consistent again, as a deliberate forger would. */
static void
fix_sum(unsigned char *b, size_t n)
{
	assert_int_equal(scf_sum(b, b + SCF_HDR_SIZE, n - SCF_HDR_SIZE,
	    b + SCF_SUM_OFF), 0);
}

/* The file at p is refused with a warning ending in why; a scanner that
 * held one result still holds it. */
static void
assert_refused(const char *p, const char *why)
{
	struct secretscan *s = secretscan_new(NULL);
	struct secretscan_result r = { 0 }, got;
	struct ctx_error err;
	unsigned char d[32];
	char *warn, want[512];

	assert_non_null(s);
	dig(1000, d);
	secretscan_store(s, d, 0, &r);
	assert_int_equal(secretscan_cache_load(s, p, &warn, &err), 0);
	assert_non_null(warn);
	snprintf(want, sizeof(want), "scan cache %s ignored: %s", p, why);
	assert_string_equal(warn, want);
	assert_int_equal(secretscan_cached(s), 1);
	assert_true(secretscan_lookup(s, d, 0, &got));
	free(warn);
	secretscan_free(s);
}

static void
test_slot(void **state)
{
	struct secretscan_result r = { 0 }, got;
	unsigned char d[32], e[32];
	uint64_t i;

	(void)state;
	assert_int_equal(sizeof(struct scancache_slot), 20);
	assert_int_equal(S->cache.cap, 0);
	for (i = 0; i < 14000; i++) {
		dig(i, d);
		r.gates = (uint32_t)i & SLOT_GATES;
		r.binary = i % 3 == 0;
		secretscan_store(S, d, (uint32_t)i % 7, &r);
	}
	/* 1024 slots, then a quarter more at 3/4 full: 18747 for 14000
	 * results, 26.8 bytes each, nothing else allocated */
	assert_int_equal(secretscan_cached(S), 14000);
	assert_int_equal(S->cache.cap, 18747);
	assert_null(S->cache.arena);
	assert_null(S->cache.off);
	for (i = 0; i < 14000; i++) {
		dig(i, d);
		assert_true(secretscan_lookup(S, d, (uint32_t)i % 7, &got));
		assert_int_equal(got.gates, (uint32_t)i & SLOT_GATES);
		assert_int_equal(got.binary, i % 3 == 0);
		assert_int_equal(got.hits, 0);
	}
	/* the key is the digest's first 16 bytes: the rest is not compared */
	dig(5, d);
	memcpy(e, d, 16);
	memset(e + 16, 0xee, 16);
	assert_true(secretscan_lookup(S, e, 5, &got));
	e[15] ^= 1;
	assert_false(secretscan_lookup(S, e, 5, &got));
}

static void
test_store_rules(void **state)
{
	struct secretscan_result r = { 0 }, got;
	unsigned char d[32];
	uint64_t g0;

	(void)state;
	make_fixtures();
	dig(1, d);
	g0 = secretscan_cache_generation(S);
	/* gates outside enum secretscan_gate: never cached */
	secretscan_store(S, d, 1u << SG_NGATES, &r);
	assert_false(secretscan_lookup(S, d, 1u << SG_NGATES, &got));
	r.gates = 1u << SG_NGATES;
	secretscan_store(S, d, 0, &r);
	r.gates = 0;
	r.hits = 1u << SS_NRULES;
	secretscan_store(S, d, 0, &r);
	assert_int_equal(secretscan_cached(S), 0);
	assert_int_equal(secretscan_cache_generation(S), g0);
	/* the first store of a key wins */
	secretscan_store(S, d, 0, &fix[0]);
	assert_int_equal(secretscan_cache_generation(S), g0 + 1);
	secretscan_store(S, d, 0, &fix[1]);
	assert_int_equal(secretscan_cache_generation(S), g0 + 1);
	assert_true(secretscan_lookup(S, d, 0, &got));
	assert_same(&got, &fix[0]);
	/* a result with hits: its encoding, exactly */
	assert_int_equal(S->cache.nfull, 1);
	assert_int_equal(S->cache.alen, 9 + (5 + strlen(fix[0].preview[0])) +
	    (5 + strlen(fix[0].preview[1])) + (5 + strlen(fix[0].preview[12])));
	assert_int_equal(S->cache.alen, full_size(&fix[0]));
	assert_int_equal(S->cache.alen, 9 + 5 + 34 + 5 + 17 + 5 + 25);
}

static void
test_roundtrip(void **state)
{
	struct secretscan *s;
	unsigned char *b;
	char *warn = NULL;
	size_t n, a;
	uint64_t g;

	(void)state;
	make_fixtures();
	store_fixtures(S);
	assert_fixtures(S);
	g = secretscan_cache_generation(S);
	save_ok(S, path);
	assert_int_equal(secretscan_cache_generation(S), g);

	/* the exact layout */
	b = read_bytes(path, &n);
	a = full_size(&fix[0]) + full_size(&fix[4]) + full_size(&fix[5]);
	assert_int_equal(n, 96 + 7 * 20 + a);
	assert_memory_equal(b, "\x89" "CTXDSC\n", 8);
	assert_int_equal(get32(b + 8), 1);
	assert_int_equal(get32(b + 12), 20);
	assert_memory_equal(b + 16, S->cache.fingerprint, 32);
	assert_int_equal(get32(b + 48), 7);
	assert_int_equal(get32(b + 52), 3);
	assert_int_equal(get64(b + 56), a);
	free(b);

	/* a fresh scanner (another seed, so other slots) answers the same */
	s = load_new(path, &warn);
	assert_null(warn);
	assert_int_equal(secretscan_cached(s), NFIX);
	assert_true(s->cache.seed != S->cache.seed);
	assert_fixtures(s);
	assert_int_equal(s->cache.nfull, 3);
	assert_int_equal(s->cache.alen, a);
	assert_true(secretscan_cache_generation(s) > 0);

	/* and takes more: the arena grows past what the file held */
	{
		unsigned char d[32];
		struct secretscan_result got;

		dig(100, d);
		secretscan_store(s, d, 0, &fix[5]);
		assert_true(secretscan_lookup(s, d, 0, &got));
		assert_same(&got, &fix[5]);
		assert_fixtures(s);
		save_ok(s, path);
	}
	secretscan_free(s);
	s = load_new(path, NULL);
	assert_int_equal(secretscan_cached(s), NFIX + 1);
	assert_fixtures(s);
	secretscan_free(s);

	/* an empty cache: a 96-byte file that loads as an empty cache,
	 * replacing what the scanner held */
	s = secretscan_new(NULL);
	save_ok(s, path);
	secretscan_free(s);
	b = read_bytes(path, &n);
	assert_int_equal(n, 96);
	free(b);
	assert_int_equal(secretscan_cache_load(S, path, &warn, NULL), 0);
	assert_null(warn);
	assert_int_equal(secretscan_cached(S), 0);
}

static void
test_missing(void **state)
{
	static char notnull[] = "not reset";
	char *warn = notnull;
	uint64_t g;

	(void)state;
	make_fixtures();
	store_fixtures(S);
	g = secretscan_cache_generation(S);
	assert_int_equal(secretscan_cache_load(S, path, &warn, NULL), 0);
	assert_null(warn);
	assert_int_equal(secretscan_cached(S), NFIX);
	assert_int_equal(secretscan_cache_generation(S), g);
	assert_int_equal(secretscan_cache_load(S, path, NULL, NULL), 0);
	assert_fixtures(S);
}

/* Why the fixtures' file b (n bytes) with a bit flipped in byte i is
 * refused. */
static void
expected_why(const unsigned char *b, size_t n, size_t i, char *why,
    size_t len)
{
	uint32_t recs = get32(b + 48), full = get32(b + 52);
	uint64_t a = get64(b + 56);

	if (i < 8)
		snprintf(why, len, "not a ctxd scan cache");
	else if (i < 12)
		snprintf(why, len, "version %u, this ctxd reads version 1",
		    get32(b + 8));
	else if (i < 16)
		snprintf(why, len, "record size %u, expected 20",
		    get32(b + 12));
	else if (i < 48)
		snprintf(why, len, "written by another rule set");
	else if (recs > SECRETSCAN_CACHE_MAX || full > recs)
		snprintf(why, len, "%u records, %u full results: over the "
		    "limit of 1048576", recs, full);
	else if (a < 9 * 3 || a > 893 * 3)
		snprintf(why, len, "%ju bytes cannot hold 3 full results",
		    (uintmax_t)a);
	else if (i < 64)
		snprintf(why, len, "%zu bytes, but the header needs %ju", n,
		    (uintmax_t)(96 + 20 * (uint64_t)recs + a));
	else
		snprintf(why, len, "checksum mismatch");
}

/* A good file of the fixtures, then each damage refused with its reason. */
static void
test_damaged(void **state)
{
	unsigned char *good, *b;
	size_t n, i, cut;
	char garbage[1000], why[128];

	(void)state;
	make_fixtures();
	store_fixtures(S);
	save_ok(S, path);
	good = read_bytes(path, &n);
	b = malloc(n + 1);
	assert_non_null(b);

	/* one bit flipped anywhere: in the header, a record, a result */
	for (i = 0; i < n; i++) {
		memcpy(b, good, n);
		b[i] ^= 0x10;
		write_bytes(path, b, n);
		expected_why(b, n, i, why, sizeof(why));
		assert_refused(path, why);
	}

	/* truncated anywhere, or a byte too many */
	for (cut = 0; cut < n; cut++) {
		write_bytes(path, good, cut);
		if (cut < 96) {
			snprintf(why, sizeof(why), "truncated header (%zu "
			    "bytes)", cut);
			assert_refused(path, why);
		} else {
			snprintf(why, sizeof(why), "%zu bytes, but the header "
			    "needs %zu", cut, n);
			assert_refused(path, why);
		}
	}
	memcpy(b, good, n);
	b[n] = 0;
	write_bytes(path, b, n + 1);
	snprintf(why, sizeof(why), "%zu bytes, but the header needs %zu",
	    n + 1, n);
	assert_refused(path, why);

	/* garbage, an empty file */
	for (i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)(i * 7 + 3);
	write_bytes(path, garbage, sizeof(garbage));
	assert_refused(path, "not a ctxd scan cache");
	write_bytes(path, garbage, 0);
	assert_refused(path, "truncated header (0 bytes)");

	/* a foreign version and another rule set, checksums consistent */
	memcpy(b, good, n);
	b[8] = 2;
	fix_sum(b, n);
	write_bytes(path, b, n);
	assert_refused(path, "version 2, this ctxd reads version 1");
	memcpy(b, good, n);
	b[40] ^= 1;
	fix_sum(b, n);
	write_bytes(path, b, n);
	assert_refused(path, "written by another rule set");

	/* absurd counts, never allocated */
	memcpy(b, good, n);
	put32(b + 48, SECRETSCAN_CACHE_MAX + 1);
	fix_sum(b, n);
	write_bytes(path, b, n);
	assert_refused(path, "1048577 records, 3 full results: over the "
	    "limit of 1048576");
	memcpy(b, good, n);
	put32(b + 52, 8);
	fix_sum(b, n);
	write_bytes(path, b, n);
	assert_refused(path, "7 records, 8 full results: over the limit of "
	    "1048576");
	put32(b + 52, 3);
	put64(b + 56, UINT64_MAX);
	fix_sum(b, n);
	write_bytes(path, b, n);
	assert_refused(path, "18446744073709551615 bytes cannot hold 3 full "
	    "results");
	put64(b + 56, 26);
	fix_sum(b, n);
	write_bytes(path, b, n);
	assert_refused(path, "26 bytes cannot hold 3 full results");

	/* a directory, a FIFO (must not block) */
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_refused(path, "not a regular file");
	rmdir(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_refused(path, "not a regular file");
	unlink(path);
	/* unreadable (root reads anything: then it loads) */
	write_bytes(path, good, n);
	assert_int_equal(chmod(path, 0), 0);
	if (geteuid() != 0)
		assert_refused(path, "Permission denied");
	unlink(path);

	/* a corrupt file is replaced by the next save */
	write_bytes(path, garbage, sizeof(garbage));
	save_ok(S, path);
	{
		struct secretscan *s = load_new(path, NULL);

		assert_fixtures(s);
		secretscan_free(s);
	}
	free(b);
	free(good);
}

/* The record at index i of the file b (n bytes) changed, the sum fixed. */
static void
forge_meta(unsigned char *b, size_t n, size_t i, uint32_t meta)
{
	put32(b + 96 + 20 * i + 16, meta);
	fix_sum(b, n);
	write_bytes(path, b, n);
}

/* Records and results that a consistent checksum does not make trusted. */
static void
test_forged(void **state)
{
	unsigned char *good, *b, *full;
	size_t n, i, recs;
	uint32_t meta;
	char why[64];

	(void)state;
	make_fixtures();
	store_fixtures(S);
	save_ok(S, path);
	good = read_bytes(path, &n);
	b = malloc(n + 1);
	assert_non_null(b);
	recs = 96 + 7 * 20;
	/* find a record without and one with a full result */
	for (i = 0; i < 7 && (get32(good + 96 + 20 * i + 16) & SLOT_FULL);)
		i++;
	assert_true(i < 7);
	meta = get32(good + 96 + 20 * i + 16);

	memcpy(b, good, n);
	forge_meta(b, n, i, meta & ~SLOT_USED);
	snprintf(why, sizeof(why), "record %zu malformed", i);
	assert_refused(path, why);
	memcpy(b, good, n);
	forge_meta(b, n, i, meta | 1u << 11);	/* a reserved bit */
	assert_refused(path, why);
	memcpy(b, good, n);
	forge_meta(b, n, i, (meta & ~SLOT_INDEX) | SLOT_FULL | 3);
	assert_refused(path, why);		/* index 3 of 3 */
	memcpy(b, good, n);
	forge_meta(b, n, i, (meta & ~SLOT_INDEX) | SLOT_FULL | 2);
	{
		/* index 2 of 3: well formed, that record now has hits */
		struct secretscan *s = load_new(path, NULL);

		assert_int_equal(secretscan_cached(s), 7);
		secretscan_free(s);
	}
	/* a duplicate: record 1 given record 0's key and meta */
	memcpy(b, good, n);
	memcpy(b + 96 + 20, b + 96, 20);
	fix_sum(b, n);
	write_bytes(path, b, n);
	assert_refused(path, "record 1 is a duplicate");

	/* the full results: each field out of range */
	full = b + recs;
	memcpy(b, good, n);
	full[8] = 2;				/* binary */
	fix_sum(b, n);
	write_bytes(path, b, n);
	assert_refused(path, "full result 0 malformed");
	memcpy(b, good, n);
	put32(full, 0);				/* no hit */
	fix_sum(b, n);
	write_bytes(path, b, n);
	assert_refused(path, "full result 0 malformed");
	memcpy(b, good, n);
	put32(full, get32(full) | 1u << SS_NRULES);	/* no such rule */
	fix_sum(b, n);
	write_bytes(path, b, n);
	assert_refused(path, "full result 0 malformed");
	memcpy(b, good, n);
	put32(full + 4, 1u << SG_NGATES);	/* no such gate */
	fix_sum(b, n);
	write_bytes(path, b, n);
	assert_refused(path, "full result 0 malformed");
	memcpy(b, good, n);
	full[9 + 4] = 200;			/* a preview past the end */
	fix_sum(b, n);
	write_bytes(path, b, n);
	assert_refused(path, "full result 0 malformed");
	memcpy(b, good, n);
	full[9 + 4] = 64;			/* a preview too long */
	fix_sum(b, n);
	write_bytes(path, b, n);
	assert_refused(path, "full result 0 malformed");
	memcpy(b, good, n);
	full[9 + 5] = '\0';			/* a NUL in a preview */
	fix_sum(b, n);
	write_bytes(path, b, n);
	assert_refused(path, "full result 0 malformed");
	/* a byte after the last result, counted in the header */
	memcpy(b, good, n);
	b[n] = 'x';
	put64(b + 56, get64(b + 56) + 1);
	fix_sum(b, n + 1);
	write_bytes(path, b, n + 1);
	assert_refused(path, "1 bytes after the full results");
	free(b);
	free(good);
}

static mode_t
mode_of(const char *p)
{
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	return st.st_mode & 07777;
}

/* Created directories 0700, the file 0600, whatever the umask. */
static void
test_modes(void **state)
{
	static const mode_t masks[] = { 0, 022, 0277 };
	struct ctx_error err;
	char p[256], q[256];
	struct dirent *de;
	mode_t old;
	DIR *d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		snprintf(p, sizeof(p), "%s/m%zu/a/scancache", tmpdir, i);
		old = umask(masks[i]);
		save_ok(S, p);
		umask(old);
		assert_int_equal(mode_of(p), 0600);
		snprintf(q, sizeof(q), "%s/m%zu/a", tmpdir, i);
		assert_int_equal(mode_of(q), 0700);
		snprintf(q, sizeof(q), "%s/m%zu", tmpdir, i);
		assert_int_equal(mode_of(q), 0700);
	}
	/* an existing 0644 file replaced by a 0600 one, no temporary left */
	write_bytes(path, "x", 1);
	assert_int_equal(chmod(path, 0644), 0);
	save_ok(S, path);
	assert_int_equal(mode_of(path), 0600);
	assert_non_null(d = opendir(tmpdir));
	while ((de = readdir(d)) != NULL)
		assert_true(strncmp(de->d_name, "scancache", 9) != 0 ||
		    strcmp(de->d_name, "scancache") == 0);
	closedir(d);
	/* a component that is a file: an error naming it */
	snprintf(p, sizeof(p), "%s/scancache/x/scancache", tmpdir);
	assert_int_equal(secretscan_cache_save(S, p, &err), -1);
	assert_int_equal(err.code, CTX_ERR_SYS);
	assert_int_equal(err.sys_errno, ENOTDIR);
}

static void
setenv_or_unset(const char *name, const char *value)
{
	if (value != NULL)
		setenv(name, value, 1);
	else
		unsetenv(name);
}

/* The default path: XDG_STATE_HOME, else $HOME, else the passwd entry. */
static void
test_default_path(void **state)
{
	char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char want[256], p[256], *got;
	struct secretscan *s;
	struct passwd *pw;

	(void)state;
	xdg = xdg != NULL ? strdup(xdg) : NULL;
	home = home != NULL ? strdup(home) : NULL;
	make_fixtures();
	store_fixtures(S);

	snprintf(p, sizeof(p), "%s/state", tmpdir);
	setenv("XDG_STATE_HOME", p, 1);
	assert_int_equal(secretscan_cache_path(&got), 0);
	snprintf(want, sizeof(want), "%s/state/ctxd/scancache", tmpdir);
	assert_string_equal(got, want);
	free(got);
	save_ok(S, NULL);
	assert_int_equal(mode_of(want), 0600);
	snprintf(p, sizeof(p), "%s/state/ctxd", tmpdir);
	assert_int_equal(mode_of(p), 0700);
	s = load_new(NULL, NULL);
	assert_fixtures(s);
	secretscan_free(s);

	/* empty or relative XDG_STATE_HOME: ignored, as the spec says */
	setenv("HOME", "/nonexistent-home", 1);
	setenv("XDG_STATE_HOME", "", 1);
	assert_int_equal(secretscan_cache_path(&got), 0);
	assert_string_equal(got,
	    "/nonexistent-home/.local/state/ctxd/scancache");
	free(got);
	setenv("XDG_STATE_HOME", "relative/state", 1);
	assert_int_equal(secretscan_cache_path(&got), 0);
	assert_string_equal(got,
	    "/nonexistent-home/.local/state/ctxd/scancache");
	free(got);

	/* no HOME: the passwd entry */
	unsetenv("XDG_STATE_HOME");
	unsetenv("HOME");
	pw = getpwuid(getuid());
	assert_int_equal(secretscan_cache_path(&got), 0);
	if (pw != NULL && pw->pw_dir[0] == '/') {
		snprintf(want, sizeof(want), "%s/.local/state/ctxd/scancache",
		    pw->pw_dir);
		assert_string_equal(got, want);
	}
	free(got);

	setenv_or_unset("XDG_STATE_HOME", xdg);
	setenv_or_unset("HOME", home);
	free(xdg);
	free(home);
}

/* SECRETSCAN_CACHE_MAX results, then the next store starts over. */
static void
test_bound(void **state)
{
	struct secretscan_result r = { 0 }, got;
	unsigned char d[32];
	uint64_t i;

	(void)state;
	make_fixtures();
	for (i = 0; i < SECRETSCAN_CACHE_MAX; i++) {
		dig(i, d);
		secretscan_store(S, d, 0, i % 1000 == 0 ? &fix[5] : &r);
	}
	assert_int_equal(secretscan_cached(S), SECRETSCAN_CACHE_MAX);
	assert_int_equal(S->cache.nfull, 1049);
	assert_int_equal(S->cache.cap, 1626651);	/* 31 bytes a result */
	dig(1048000, d);	/* the last full one */
	assert_true(secretscan_lookup(S, d, 0, &got));
	assert_same(&got, &fix[5]);
	/* a key already there: not a store, no reset */
	secretscan_store(S, d, 0, &r);
	assert_int_equal(secretscan_cached(S), SECRETSCAN_CACHE_MAX);
	dig(SECRETSCAN_CACHE_MAX, d);
	secretscan_store(S, d, 0, &fix[5]);
	assert_int_equal(secretscan_cached(S), 1);
	assert_int_equal(S->cache.nfull, 1);
	assert_int_equal(S->cache.cap, 1024);
	assert_true(secretscan_lookup(S, d, 0, &got));
	assert_same(&got, &fix[5]);
	dig(0, d);
	assert_false(secretscan_lookup(S, d, 0, &got));
}

static double
elapsed_ms(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 +
	    (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

/*
 * n results, one in 100 with hits, saved, loaded into a fresh scanner and
 * every one looked up.  Times printed for the record; the bound asserted
 * is loose enough for valgrind and sanitizers and catches only a
 * complexity mistake.
 */
static void
many(uint64_t n)
{
	struct secretscan_result r = { 0 }, got;
	struct secretscan *s;
	struct timespec t;
	unsigned char d[32];
	double save_ms, load_ms;
	uint64_t i;

	make_fixtures();
	for (i = 0; i < n; i++) {
		dig(i, d);
		r.gates = (uint32_t)(i % 11) & SG_NPMRC;
		secretscan_store(S, d, (uint32_t)(i % 11),
		    i % 100 == 7 ? &fix[i % 200 == 7 ? 0 : 4] : &r);
	}
	clock_gettime(CLOCK_MONOTONIC, &t);
	save_ok(S, path);
	save_ms = elapsed_ms(&t);
	assert_non_null(s = secretscan_new(NULL));
	clock_gettime(CLOCK_MONOTONIC, &t);
	assert_int_equal(secretscan_cache_load(s, path, NULL, NULL), 0);
	load_ms = elapsed_ms(&t);
	assert_int_equal(secretscan_cached(s), n);
	assert_int_equal(s->cache.nfull, n / 100);
	assert_int_equal(s->cache.cap, cache_slots(n));
	for (i = 0; i < n; i++) {
		dig(i, d);
		r.gates = (uint32_t)(i % 11) & SG_NPMRC;
		assert_true(secretscan_lookup(s, d, (uint32_t)(i % 11), &got));
		assert_same(&got, i % 100 == 7 ?
		    &fix[i % 200 == 7 ? 0 : 4] : &r);
		assert_false(secretscan_lookup(s, d, (uint32_t)(i % 11) + 11,
		    &got));
	}
	secretscan_free(s);
	printf("scancache %ju records: save %.2f ms, load %.2f ms, "
	    "%.1f bytes per record in memory\n", (uintmax_t)n, save_ms,
	    load_ms, (double)(cache_slots(n) * sizeof(struct scancache_slot)) /
	    (double)n);
	assert_true(load_ms < 5000);
}

static void
test_14k(void **state)
{
	(void)state;
	many(14000);
}

static void
test_100k(void **state)
{
	(void)state;
	many(100000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_rules, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_path, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_14k, setup, teardown),
		cmocka_unit_test_setup_teardown(test_100k, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
