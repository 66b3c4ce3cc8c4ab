/*
 * hashcache.c: lookups that hit only on the whole key, forget, the exact
 * bytes of the file, save and reload, the racy-timestamp rule at its exact
 * boundary, damaged files refused with a warning, prune, modes 0600/0700,
 * the default path, and the time to save and load 100k records.
 *
 * hashcache.c is included rather than linked so that the test can pin the
 * write time and granularity (hashcache_save_at) instead of sleeping.
 */
#include "../../daemon/hashcache.c"

#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <sys/stat.h>

#include "testutil.h"

#define T0 1700000000123456789LL	/* a pinned write time */
#define G0 4000000LL			/* a pinned granularity: 4 ms */
#define OLD (T0 - 3600 * HASHCACHE_NS)

static char tmpdir[64];
static char path[128];
static char notnull[] = "not reset";

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
	strcpy(tmpdir, "/tmp/ctxd-test-hashcache.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/hashcache", tmpdir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static struct hashcache_key
key(uint64_t i)
{
	struct hashcache_key k = {
		.dev = 0x801 + (i % 3), .ino = 1000 + i, .size = 10 * i,
		.mtime_ns = OLD + (int64_t)i, .ctime_ns = OLD + 2 * (int64_t)i,
	};

	return k;
}

static void
dig(uint64_t i, unsigned char d[32])
{
	int j;

	for (j = 0; j < 32; j++)
		d[j] = (unsigned char)(i * 31 + (uint64_t)j);
}

static struct hashcache *
open_ok(const char *p, char **warn)
{
	struct ctx_error err;
	struct hashcache *c = hashcache_open(p, warn, &err);

	assert_non_null(c);
	return c;
}

static void
assert_hit(const struct hashcache *c, uint64_t i)
{
	struct hashcache_key k = key(i);
	unsigned char d[32], want[32];

	assert_true(hashcache_get(c, &k, d));
	dig(i, want);
	assert_memory_equal(d, want, 32);
}

static void
assert_miss(const struct hashcache *c, uint64_t i)
{
	struct hashcache_key k = key(i);
	unsigned char d[32];

	assert_false(hashcache_get(c, &k, d));
}

static void
put_ok(struct hashcache *c, uint64_t i)
{
	struct hashcache_key k = key(i);
	struct ctx_error err;
	unsigned char d[32];

	dig(i, d);
	assert_int_equal(hashcache_put(c, &k, d, &err), 0);
}

static void
save_at_ok(struct hashcache *c, bool prune, int64_t now, int64_t gran)
{
	struct ctx_error err;

	if (hashcache_save_at(c, prune, now, gran, &err) != 0)
		fail_msg("%s", err.msg);
}

static void
write_bytes(const char *p, const void *data, size_t n)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
}

static unsigned char *
read_bytes(const char *p, size_t *n)
{
	struct stat st;
	unsigned char *b;
	int fd = open(p, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	b = malloc((size_t)st.st_size + 1);
	assert_non_null(b);
	assert_int_equal(read(fd, b, (size_t)st.st_size), st.st_size);
	close(fd);
	*n = (size_t)st.st_size;
	return b;
}

/* Rewrites the checksum of a file image, as a consistent foreign file has. */
static void
fix_sum(unsigned char *b, size_t n)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	assert_non_null(md);
	assert_true(EVP_DigestInit_ex(md, EVP_sha256(), NULL));
	assert_true(EVP_DigestUpdate(md, b, 40));
	assert_true(EVP_DigestUpdate(md, b + 72, n - 72));
	assert_true(EVP_DigestFinal_ex(md, b + 40, NULL));
	EVP_MD_CTX_free(md);
}

/* A cache of records 0..n-1 saved at T0 with granularity G0. */
static void
make_file(uint64_t n)
{
	struct hashcache *c = open_ok(path, NULL);
	uint64_t i;

	for (i = 0; i < n; i++)
		put_ok(c, i);
	save_at_ok(c, false, T0, G0);
	hashcache_free(c);
}

/* Opening p gives an empty cache and a warning containing what. */
static void
assert_refused(const char *p, const char *what)
{
	char *warn = NULL;
	struct hashcache *c = open_ok(p, &warn);

	assert_int_equal(hashcache_count(c), 0);
	assert_miss(c, 0);
	assert_non_null(warn);
	if (strstr(warn, what) == NULL)
		fail_msg("warning \"%s\" lacks \"%s\"", warn, what);
	free(warn);
	/* and the cache still works and can replace the bad file */
	put_ok(c, 7);
	assert_hit(c, 7);
	hashcache_free(c);
}

static void
test_put_get_miss(void **state)
{
	struct hashcache *c = open_ok(path, NULL);
	struct hashcache_key k = key(5), m;
	struct ctx_error err;
	unsigned char d[32], d2[32];

	(void)state;
	assert_int_equal(hashcache_count(c), 0);
	assert_miss(c, 5);
	put_ok(c, 5);
	assert_int_equal(hashcache_count(c), 1);
	assert_hit(c, 5);

	/* any field of the key changed: a miss */
	m = k, m.dev++;
	assert_false(hashcache_get(c, &m, d));
	m = k, m.ino++;
	assert_false(hashcache_get(c, &m, d));
	m = k, m.size++;
	assert_false(hashcache_get(c, &m, d));
	m = k, m.mtime_ns++;
	assert_false(hashcache_get(c, &m, d));
	m = k, m.ctime_ns--;
	assert_false(hashcache_get(c, &m, d));
	assert_hit(c, 5);

	/* the same dev+ino again replaces the record */
	m = k, m.size = 77, m.mtime_ns = OLD + 99;
	dig(99, d2);
	assert_int_equal(hashcache_put(c, &m, d2, &err), 0);
	assert_int_equal(hashcache_count(c), 1);
	assert_false(hashcache_get(c, &k, d));
	assert_true(hashcache_get(c, &m, d));
	assert_memory_equal(d, d2, 32);
	hashcache_free(c);
	hashcache_free(NULL);
}

static void
test_forget(void **state)
{
	struct hashcache *c = open_ok(path, NULL);
	uint64_t i;

	(void)state;
	hashcache_forget(c, 1, 2);		/* empty: no-op */
	for (i = 0; i < 10000; i++)
		put_ok(c, i);
	assert_int_equal(hashcache_count(c), 10000);
	hashcache_forget(c, 0x999, 1000);	/* unknown: no-op */
	assert_int_equal(hashcache_count(c), 10000);
	/* every third, so deletions hit probe runs and the dense array's
	 * middle and end */
	for (i = 0; i < 10000; i += 3)
		hashcache_forget(c, key(i).dev, key(i).ino);
	assert_int_equal(hashcache_count(c), 10000 - 3334);
	for (i = 0; i < 10000; i++) {
		if (i % 3 == 0)
			assert_miss(c, i);
		else
			assert_hit(c, i);
	}
	hashcache_forget(c, key(9998).dev, key(9998).ino);
	assert_miss(c, 9998);
	assert_int_equal(hashcache_count(c), 10000 - 3335);
	/* forgotten then put again */
	put_ok(c, 0);
	assert_hit(c, 0);
	hashcache_free(c);
}

/* The exact bytes of a one-record file. */
static void
test_format(void **state)
{
	static const unsigned char want_hdr[40] = {
		0x89, 'C', 'T', 'X', 'D', 'H', 'C', '\n',
		1, 0, 0, 0,  72, 0, 0, 0,
		0x15, 0xcd, 0x85, 0x3d, 0xfe, 0x9c, 0x97, 0x17,	/* T0 */
		0x00, 0x09, 0x3d, 0x00, 0, 0, 0, 0,	/* G0 */
		1, 0, 0, 0, 0, 0, 0, 0,			/* count */
	};
	struct hashcache *c = open_ok(path, NULL);
	struct hashcache_key k = {
		0x0102030405060708ULL, 0x1112131415161718ULL,
		0x2122232425262728ULL, -2, 0x3132333435363738LL,
	};
	unsigned char d[32], *b, sum[32];
	struct stat st;
	size_t n;

	(void)state;
	dig(1, d);
	assert_int_equal(hashcache_put(c, &k, d, NULL), 0);
	save_at_ok(c, false, T0, G0);
	hashcache_free(c);

	b = read_bytes(path, &n);
	assert_int_equal(n, 144);
	assert_memory_equal(b, want_hdr, 40);
	assert_memory_equal(b + 72, "\x08\x07\x06\x05\x04\x03\x02\x01"
	    "\x18\x17\x16\x15\x14\x13\x12\x11"
	    "\x28\x27\x26\x25\x24\x23\x22\x21"
	    "\xfe\xff\xff\xff\xff\xff\xff\xff"
	    "\x38\x37\x36\x35\x34\x33\x32\x31", 40);
	assert_memory_equal(b + 112, d, 32);
	memcpy(sum, b + 40, 32);
	fix_sum(b, n);
	assert_memory_equal(sum, b + 40, 32);
	free(b);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void
test_roundtrip(void **state)
{
	struct hashcache *c;
	char *warn = notnull;
	uint64_t i;

	(void)state;
	make_file(1000);
	c = open_ok(path, &warn);
	assert_null(warn);
	assert_int_equal(hashcache_count(c), 1000);
	for (i = 0; i < 1000; i++)
		assert_hit(c, i);
	assert_miss(c, 1000);
	/* saved again by the public call, and reloaded */
	hashcache_forget(c, key(3).dev, key(3).ino);
	assert_int_equal(hashcache_save(c, false, NULL), 0);
	hashcache_free(c);
	c = open_ok(path, &warn);
	assert_null(warn);
	assert_int_equal(hashcache_count(c), 999);
	assert_miss(c, 3);
	assert_hit(c, 4);
	hashcache_free(c);

	/* an empty cache round-trips too */
	c = open_ok(path, NULL);
	for (i = 0; i < 1000; i++)
		hashcache_forget(c, key(i).dev, key(i).ino);
	save_at_ok(c, false, T0, G0);
	hashcache_free(c);
	c = open_ok(path, &warn);
	assert_null(warn);
	assert_int_equal(hashcache_count(c), 0);
	hashcache_free(c);
}

/* A file that does not exist is the first run: no warning. */
static void
test_missing(void **state)
{
	char *warn = notnull;
	struct hashcache *c = open_ok(path, &warn);

	(void)state;
	assert_null(warn);
	assert_int_equal(hashcache_count(c), 0);
	hashcache_free(c);
}

/*
 * The racy rule at its boundary: saved at T0 with granularity G0, a record
 * is kept only when both times are < T0 - G0.
 */
static void
test_racy(void **state)
{
	static const struct {
		int64_t mtime, ctime;
		bool kept;
	} cases[] = {
		{ T0 - G0 - 1, T0 - G0 - 1, true },
		{ OLD, OLD, true },
		{ T0 - G0, OLD, false },		/* mtime in the tick */
		{ OLD, T0 - G0, false },		/* ctime in the tick */
		{ T0 - 1, T0 - 1, false },
		{ T0, T0, false },
		{ T0 + HASHCACHE_NS, OLD, false },	/* in the future */
		{ INT64_MIN, INT64_MIN, true },
		{ INT64_MAX, OLD, false },
	};
	const size_t ncases = sizeof(cases) / sizeof(cases[0]);
	struct hashcache *c = open_ok(path, NULL);
	struct hashcache_key k;
	unsigned char d[32], got[32];
	size_t i, kept = 0;

	(void)state;
	for (i = 0; i < ncases; i++) {
		k = key(i);
		k.mtime_ns = cases[i].mtime;
		k.ctime_ns = cases[i].ctime;
		dig(i, d);
		assert_int_equal(hashcache_put(c, &k, d, NULL), 0);
		kept += cases[i].kept;
	}
	save_at_ok(c, false, T0, G0);
	/* the rule applies on reload only: memory still trusts them all */
	assert_int_equal(hashcache_count(c), ncases);
	hashcache_free(c);

	c = open_ok(path, NULL);
	assert_int_equal(hashcache_count(c), kept);
	for (i = 0; i < ncases; i++) {
		k = key(i);
		k.mtime_ns = cases[i].mtime;
		k.ctime_ns = cases[i].ctime;
		dig(i, d);
		assert_int_equal(hashcache_get(c, &k, got), cases[i].kept);
		if (cases[i].kept)
			assert_memory_equal(got, d, 32);
	}
	hashcache_free(c);
}

/* The same through hashcache_save(): the real clock and granularity. */
static void
test_racy_clock(void **state)
{
	struct hashcache *c = open_ok(path, NULL);
	struct timespec before, after, res;
	struct hashcache_key k0 = key(0), k1 = key(1);
	unsigned char d[32], *b;
	int64_t now, wtime, gran, want_gran;
	size_t n;

	(void)state;
	clock_gettime(CLOCK_REALTIME, &before);
	now = before.tv_sec * HASHCACHE_NS + before.tv_nsec;
	k0.mtime_ns = now - 10 * HASHCACHE_NS;		/* kept */
	k0.ctime_ns = now - 10 * HASHCACHE_NS;
	k1.mtime_ns = now - 10 * HASHCACHE_NS;
	k1.ctime_ns = now + 10 * HASHCACHE_NS;		/* dropped */
	dig(0, d);
	assert_int_equal(hashcache_put(c, &k0, d, NULL), 0);
	assert_int_equal(hashcache_put(c, &k1, d, NULL), 0);
	assert_int_equal(hashcache_save(c, false, NULL), 0);
	clock_gettime(CLOCK_REALTIME, &after);
	hashcache_free(c);

	b = read_bytes(path, &n);
	wtime = (int64_t)hashcache_get64(b + 16);
	gran = (int64_t)hashcache_get64(b + 24);
	free(b);
	assert_true(wtime >= now);
	assert_true(wtime <= after.tv_sec * HASHCACHE_NS + after.tv_nsec);
	assert_int_equal(clock_getres(CLOCK_REALTIME_COARSE, &res), 0);
	want_gran = res.tv_sec * HASHCACHE_NS + res.tv_nsec;
	if (want_gran < HASHCACHE_MIN_GRAN_NS)
		want_gran = HASHCACHE_MIN_GRAN_NS;
	assert_int_equal(gran, want_gran);

	c = open_ok(path, NULL);
	assert_int_equal(hashcache_count(c), 1);
	assert_true(hashcache_get(c, &k0, d));
	assert_false(hashcache_get(c, &k1, d));
	hashcache_free(c);
}

static void
test_damaged(void **state)
{
	unsigned char *good, *b;
	size_t n, cut;
	char garbage[1000];
	size_t i;

	(void)state;
	make_file(3);
	good = read_bytes(path, &n);
	assert_int_equal(n, 72 + 3 * 72);
	b = malloc(n + 1);
	assert_non_null(b);

	/* one bit flipped anywhere: in the header, a record, the sum */
	for (i = 0; i < n; i += (i < 72 ? 1 : 7)) {
		memcpy(b, good, n);
		b[i] ^= 0x10;
		write_bytes(path, b, n);
		if (i < 8)
			assert_refused(path, "not a ctxd hash cache");
		else if (i < 12)
			assert_refused(path, "version");
		else if (i < 16)
			assert_refused(path, "record size");
		else if (i >= 32 && i < 40)
			assert_refused(path, "records");
		else if (i >= 28 && i < 32)
			/* a granularity over 60 s */
			assert_refused(path, "implausible");
		else
			assert_refused(path, "checksum mismatch");
	}

	/* truncated anywhere */
	for (cut = 0; cut < n; cut += (cut < 80 ? 1 : 13)) {
		write_bytes(path, good, cut);
		if (cut < 72)
			assert_refused(path, "truncated header");
		else
			assert_refused(path, "need");
	}
	/* a byte too many */
	memcpy(b, good, n);
	b[n] = 0;
	write_bytes(path, b, n + 1);
	assert_refused(path, "need");

	/* garbage */
	for (i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)(i * 7 + 3);
	write_bytes(path, garbage, sizeof(garbage));
	assert_refused(path, "not a ctxd hash cache");

	/* a foreign version, its checksum consistent */
	memcpy(b, good, n);
	b[8] = 2;
	fix_sum(b, n);
	write_bytes(path, b, n);
	assert_refused(path, "version 2, this ctxd reads version 1");

	/* an absurd count, never allocated */
	memcpy(b, good, n);
	hashcache_put64(b + 32, UINT64_MAX / 72 + 2);
	fix_sum(b, n);
	write_bytes(path, b, n);
	assert_refused(path, "more than the limit");
	hashcache_put64(b + 32, HASHCACHE_MAX_RECORDS);
	fix_sum(b, n);
	write_bytes(path, b, n);
	assert_refused(path, "records need 301989960");

	/* a consistent file with a granularity below 1 ms */
	memcpy(b, good, n);
	hashcache_put64(b + 24, 999999);
	fix_sum(b, n);
	write_bytes(path, b, n);
	assert_refused(path, "implausible");

	/* a directory, a FIFO (must not block) */
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_refused(path, "not a regular file");
	rmdir(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_refused(path, "not a regular file");
	unlink(path);

	/* a corrupt file is replaced by the next save */
	write_bytes(path, garbage, sizeof(garbage));
	{
		struct hashcache *c = open_ok(path, NULL);

		put_ok(c, 1);
		save_at_ok(c, false, T0, G0);
		hashcache_free(c);
		c = open_ok(path, NULL);
		assert_int_equal(hashcache_count(c), 1);
		assert_hit(c, 1);
		hashcache_free(c);
	}
	free(b);
	free(good);
}

/* Duplicate dev+ino in a consistent file: the later record wins. */
static void
test_duplicates(void **state)
{
	unsigned char *b;
	struct hashcache *c;
	size_t n;

	(void)state;
	make_file(2);
	b = read_bytes(path, &n);
	/* record 1 given record 0's dev and ino */
	memcpy(b + 72 + 72, b + 72, 16);
	fix_sum(b, n);
	write_bytes(path, b, n);
	free(b);
	c = open_ok(path, NULL);
	assert_int_equal(hashcache_count(c), 1);
	assert_miss(c, 0);
	hashcache_free(c);
}

static void
test_prune(void **state)
{
	struct hashcache *c;
	struct hashcache_key k;
	unsigned char d[32];
	uint64_t i;

	(void)state;
	make_file(10);
	c = open_ok(path, NULL);
	assert_hit(c, 2);			/* used by a hit */
	put_ok(c, 5);				/* used by a put */
	put_ok(c, 20);				/* new */
	k = key(7);
	k.size++;
	assert_false(hashcache_get(c, &k, d));	/* a miss: not a use */
	/* without prune, nothing is dropped */
	save_at_ok(c, false, T0, G0);
	assert_int_equal(hashcache_count(c), 11);
	save_at_ok(c, true, T0, G0);
	assert_int_equal(hashcache_count(c), 3);
	/* dropped from memory too, and the index still right */
	assert_hit(c, 2);
	assert_hit(c, 5);
	assert_hit(c, 20);
	assert_miss(c, 7);
	hashcache_free(c);

	c = open_ok(path, NULL);
	assert_int_equal(hashcache_count(c), 3);
	for (i = 0; i < 21; i++) {
		if (i == 2 || i == 5 || i == 20)
			assert_hit(c, i);
		else
			assert_miss(c, i);
	}
	/* the hits above used them again */
	save_at_ok(c, true, T0, G0);
	assert_int_equal(hashcache_count(c), 3);
	hashcache_free(c);

	/* loaded records are unused until touched: prune empties */
	c = open_ok(path, NULL);
	assert_int_equal(hashcache_count(c), 3);
	save_at_ok(c, true, T0, G0);
	assert_int_equal(hashcache_count(c), 0);
	hashcache_free(c);
	c = open_ok(path, NULL);
	assert_int_equal(hashcache_count(c), 0);
	hashcache_free(c);
}

static void *
get_all(void *arg)
{
	const struct hashcache *c = arg;
	struct hashcache_key k;
	unsigned char d[32];
	uint64_t i;
	size_t hits = 0;

	for (i = 0; i < 2000; i++) {
		k = key(i);
		hits += hashcache_get(c, &k, d);
	}
	return (void *)(uintptr_t)hits;
}

/* Gets from several threads at once (run under -fsanitize=thread too). */
static void
test_concurrent_get(void **state)
{
	struct hashcache *c;
	pthread_t t[4];
	void *hits;
	size_t i;

	(void)state;
	make_file(1000);
	c = open_ok(path, NULL);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, get_all, c), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &hits), 0);
		assert_int_equal((uintptr_t)hits, 1000);
	}
	/* all of them marked used: prune keeps them */
	save_at_ok(c, true, T0, G0);
	assert_int_equal(hashcache_count(c), 1000);
	hashcache_free(c);
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
	char p[256], q[256];
	struct hashcache *c;
	DIR *d;
	struct dirent *de;
	mode_t old;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		snprintf(p, sizeof(p), "%s/m%zu/a/b/hashcache", tmpdir, i);
		old = umask(masks[i]);
		c = open_ok(p, NULL);
		put_ok(c, 1);
		save_at_ok(c, false, T0, G0);
		umask(old);
		hashcache_free(c);
		assert_int_equal(mode_of(p), 0600);
		snprintf(q, sizeof(q), "%s/m%zu/a/b", tmpdir, i);
		assert_int_equal(mode_of(q), 0700);
		snprintf(q, sizeof(q), "%s/m%zu/a", tmpdir, i);
		assert_int_equal(mode_of(q), 0700);
		snprintf(q, sizeof(q), "%s/m%zu", tmpdir, i);
		assert_int_equal(mode_of(q), 0700);
	}

	/* an existing 0644 file is replaced by a 0600 one, existing
	 * directories keep their mode, and no temporary file is left */
	assert_int_equal(chmod(tmpdir, 0755), 0);
	write_bytes(path, "x", 1);
	assert_int_equal(chmod(path, 0644), 0);
	c = open_ok(path, NULL);
	put_ok(c, 1);
	assert_int_equal(hashcache_save(c, false, NULL), 0);
	hashcache_free(c);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(mode_of(tmpdir), 0755);
	assert_non_null(d = opendir(tmpdir));
	while ((de = readdir(d)) != NULL)
		assert_true(de->d_name[0] != 'h' ||
		    strcmp(de->d_name, "hashcache") == 0);
	closedir(d);

	/* a component that is a file: an error naming it, nothing left */
	snprintf(p, sizeof(p), "%s/hashcache/x/hashcache", tmpdir);
	c = open_ok(p, NULL);
	{
		struct ctx_error err;

		assert_int_equal(hashcache_save(c, false, &err), -1);
		assert_int_equal(err.code, CTX_ERR_SYS);
		assert_int_equal(err.sys_errno, ENOTDIR);
	}
	hashcache_free(c);
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
	char want[256], p[256];
	struct passwd *pw;
	struct hashcache *c;

	(void)state;
	xdg = xdg != NULL ? strdup(xdg) : NULL;
	home = home != NULL ? strdup(home) : NULL;

	snprintf(p, sizeof(p), "%s/state", tmpdir);
	setenv("XDG_STATE_HOME", p, 1);
	c = open_ok(NULL, NULL);
	snprintf(want, sizeof(want), "%s/state/ctxd/hashcache", tmpdir);
	assert_string_equal(c->path, want);
	put_ok(c, 1);
	assert_int_equal(hashcache_save(c, false, NULL), 0);
	hashcache_free(c);
	assert_int_equal(mode_of(want), 0600);
	snprintf(p, sizeof(p), "%s/state/ctxd", tmpdir);
	assert_int_equal(mode_of(p), 0700);
	snprintf(p, sizeof(p), "%s/state", tmpdir);
	assert_int_equal(mode_of(p), 0700);
	c = open_ok(NULL, NULL);
	assert_int_equal(hashcache_count(c), 1);
	hashcache_free(c);

	/* empty or relative XDG_STATE_HOME: ignored, as the spec says */
	setenv("HOME", "/nonexistent-home", 1);
	setenv("XDG_STATE_HOME", "", 1);
	c = open_ok(NULL, NULL);
	assert_string_equal(c->path,
	    "/nonexistent-home/.local/state/ctxd/hashcache");
	hashcache_free(c);
	setenv("XDG_STATE_HOME", "relative/state", 1);
	c = open_ok(NULL, NULL);
	assert_string_equal(c->path,
	    "/nonexistent-home/.local/state/ctxd/hashcache");
	hashcache_free(c);

	/* no HOME: the passwd entry */
	unsetenv("XDG_STATE_HOME");
	unsetenv("HOME");
	pw = getpwuid(getuid());
	c = open_ok(NULL, NULL);
	if (pw != NULL && pw->pw_dir[0] == '/') {
		snprintf(want, sizeof(want), "%s/.local/state/ctxd/hashcache",
		    pw->pw_dir);
		assert_string_equal(c->path, want);
	}
	hashcache_free(c);

	setenv_or_unset("XDG_STATE_HOME", xdg);
	setenv_or_unset("HOME", home);
	free(xdg);
	free(home);
}

static int64_t
elapsed_ns(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * HASHCACHE_NS + b.tv_nsec - a->tv_nsec;
}

/*
 * 100k records saved (with fsync) and loaded.  Printed for the record;
 * the bound asserted is loose enough for valgrind and sanitizers and
 * catches only a complexity mistake (the target is well under 50 ms).
 */
static void
test_perf(void **state)
{
	struct hashcache *c = open_ok(path, NULL);
	struct timespec t;
	int64_t put_ns, save_ns, load_ns;
	uint64_t i;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t);
	for (i = 0; i < 100000; i++)
		put_ok(c, i);
	put_ns = elapsed_ns(&t);
	clock_gettime(CLOCK_MONOTONIC, &t);
	save_at_ok(c, false, T0, G0);
	save_ns = elapsed_ns(&t);
	hashcache_free(c);
	clock_gettime(CLOCK_MONOTONIC, &t);
	c = open_ok(path, NULL);
	load_ns = elapsed_ns(&t);
	assert_int_equal(hashcache_count(c), 100000);
	assert_hit(c, 0);
	assert_hit(c, 99999);
	hashcache_free(c);
	printf("hashcache 100k records: put %.1f ms, save %.1f ms, "
	    "load %.1f ms\n", put_ns / 1e6, save_ns / 1e6, load_ns / 1e6);
	assert_true(save_ns < 5 * HASHCACHE_NS);
	assert_true(load_ns < 5 * HASHCACHE_NS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get_miss, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_racy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_racy_clock, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_damaged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_get, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_path, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_perf, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
