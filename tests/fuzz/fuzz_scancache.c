/*
 * libFuzzer target for the scan cache loader (secretscan_cache_load): any
 * file must load or be refused with a warning, never crash, leak or hit
 * undefined behaviour; a refused file leaves the cache as it was; a loaded
 * one answers lookups only with results secretscan_buffer() could give
 * (known rules and gates, previews NUL-terminated) and takes new stores.
 * The input's fingerprint and checksum fields are overwritten with the
 * right ones first, so that the fuzzer reaches the records and the full
 * results rather than stopping at a SHA-256 it cannot forge.  `make fuzz`
 * builds it (with every engine source) and runs it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "secretscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An empty cache file as s saves it: its fingerprint is the one the
 * inputs get, and loading it empties the scanner's cache between runs
 * (a new scanner per run would spend its time compiling patterns). */
static void
empty_file(const struct secretscan *s, unsigned char hdr[96])
{
	char dir[] = "/tmp/fuzz_scancache.XXXXXX", path[64];
	FILE *f;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/scancache", dir);
	if (secretscan_cache_save(s, path, NULL) != 0 ||
	    (f = fopen(path, "rb")) == NULL)
		abort();
	if (fread(hdr, 1, 96, f) != 96 || fgetc(f) != EOF)
		abort();
	fclose(f);
	unlink(path);
	rmdir(dir);
}

/* A memory file holding b[0..n): no disk traffic per run. */
static int
mem_file(const unsigned char *b, size_t n, char path[64])
{
	int fd = memfd_create("fuzz_scancache", 0);

	if (fd == -1 || pwrite(fd, b, n, 0) != (ssize_t)n)
		abort();
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}

static void
fix_sum(unsigned char *b, size_t size)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(md, b, 64) ||
	    !EVP_DigestUpdate(md, b + 96, size - 96) ||
	    !EVP_DigestFinal_ex(md, b + 64, NULL))
		abort();
	EVP_MD_CTX_free(md);
}

/* What a lookup gives must be what a scan could have given. */
static void
check_result(const struct secretscan_result *r)
{
	unsigned k;

	if (r->hits >> SS_NRULES != 0 || r->gates >> SG_NGATES != 0)
		abort();
	for (k = 0; k < SS_NRULES; k++)
		if (memchr(r->preview[k], '\0', SECRETSCAN_PREVIEW) == NULL ||
		    (!(r->hits & (1u << k)) && (r->line[k] != 0 ||
		    r->preview[k][0] != '\0')))
			abort();
}

/* Each 20-byte record of the input as a key (its gates asked are bits
 * 21-30 of its meta word): looked up, then a store. */
static void
exercise(struct secretscan *s, const unsigned char *b, size_t size)
{
	struct secretscan_result r, stored = { 0 };
	unsigned char d[32] = { 0 };
	uint32_t meta, asked;
	size_t off;
	bool was;

	for (off = 96; off + 20 <= size; off += 20) {
		memcpy(d, b + off, 16);
		meta = (uint32_t)b[off + 16] | (uint32_t)b[off + 17] << 8 |
		    (uint32_t)b[off + 18] << 16 | (uint32_t)b[off + 19] << 24;
		asked = meta >> 21 & 0x3ff;
		if (secretscan_lookup(s, d, asked, &r))
			check_result(&r);
		d[0] ^= 0x5a;
		stored.gates = asked & SG_NPMRC;
		was = secretscan_lookup(s, d, asked, &r);
		secretscan_store(s, d, asked, &stored);
		if (!secretscan_lookup(s, d, asked, &r) ||
		    (!was && (r.hits != 0 || r.gates != stored.gates)))
			abort();	/* what was stored is found */
		check_result(&r);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct secretscan *s;
	static unsigned char empty[96];
	static char path[64], empty_path[64];
	static int fd = -1;
	static const unsigned char mark[32] = { 0xa5, 0x5a };
	struct secretscan_result r = { 0 };
	unsigned char *b;
	char *warn;

	if (s == NULL) {
		if ((s = secretscan_new(NULL)) == NULL)
			abort();
		empty_file(s, empty);
		(void)mem_file(empty, sizeof(empty), empty_path);
		fd = mem_file(empty, 0, path);
	}
	if ((b = malloc(size + 1)) == NULL)
		return 0;
	memcpy(b, data, size);
	if (size >= 96) {
		memcpy(b + 16, empty + 16, 32);
		fix_sum(b, size);
	}
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, b, size, 0) != (ssize_t)size)
		abort();

	/* one result cached, then the input loaded over it */
	if (secretscan_cache_load(s, empty_path, &warn, NULL) != 0 ||
	    warn != NULL || secretscan_cached(s) != 0)
		abort();
	secretscan_store(s, mark, 0, &r);
	if (secretscan_cache_load(s, path, &warn, NULL) != 0)
		abort();
	if (warn != NULL && (secretscan_cached(s) != 1 ||
	    !secretscan_lookup(s, mark, 0, &r)))
		abort();	/* a refused file changed the cache */
	exercise(s, b, size);
	free(warn);
	free(b);
	return 0;
}
