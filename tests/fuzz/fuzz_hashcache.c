/*
 * libFuzzer target for the hash cache loader: any file must load or be
 * refused with a warning, never crash, leak or hit undefined behaviour,
 * and the cache must then answer lookups and take changes.  The input's
 * checksum field is recomputed first, so that the fuzzer reaches the
 * header checks and the records rather than stopping at a SHA-256 it
 * cannot forge.  `make fuzz` builds it (with every engine source) and runs
 * it; by hand:
 *   clang -std=c11 -D_GNU_SOURCE -Iinclude -g -O1 \
 *       -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_hashcache.c \
 *       daemon/hashcache.c daemon/error.c -lcrypto -o build/fuzz_hashcache
 *   ./build/fuzz_hashcache -max_total_time=60
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "hashcache.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct hashcache *c;
	struct hashcache_key k;
	struct ctx_error err;
	unsigned char *b, d[32];
	char *warn;
	size_t off, i;

	if (fd == -1) {
		/* A memory file: no disk traffic per run. */
		if ((fd = memfd_create("fuzz_hashcache", 0)) == -1)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if ((b = malloc(size + 1)) == NULL)
		return 0;
	memcpy(b, data, size);
	if (size >= 72) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
		    !EVP_DigestUpdate(md, b, 40) ||
		    !EVP_DigestUpdate(md, b + 72, size - 72) ||
		    !EVP_DigestFinal_ex(md, b + 40, NULL))
			abort();
		EVP_MD_CTX_free(md);
	}
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, b, size, 0) != (ssize_t)size)
		abort();

	if ((c = hashcache_open(path, &warn, &err)) == NULL)
		abort();
	if (warn != NULL && hashcache_count(c) != 0)
		abort();	/* a refused file left records */
	/* the records of the input as keys: looked up, forgotten, put */
	for (off = 72, i = 0; off + 72 <= size; off += 72, i++) {
		k.dev = get64(b + off);
		k.ino = get64(b + off + 8);
		k.size = get64(b + off + 16);
		k.mtime_ns = (int64_t)get64(b + off + 24);
		k.ctime_ns = (int64_t)get64(b + off + 32);
		(void)hashcache_get(c, &k, d);
		if (i % 3 == 1)
			hashcache_forget(c, k.dev, k.ino);
		else if (i % 3 == 2 && hashcache_put(c, &k, b + off + 40,
		    &err) == 0 && !hashcache_get(c, &k, d))
			abort();	/* what was put is found */
	}
	(void)hashcache_count(c);
	hashcache_free(c);
	free(warn);
	free(b);
	return 0;
}
