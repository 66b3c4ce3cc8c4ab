/*
 * libFuzzer target for the content scanner: the input is a file's bytes,
 * scanned with every gate asked for (so the gate patterns and the ELF check
 * see it too) and through the cache.  Beyond memory errors it checks the
 * scanner's promises: a preview is a NUL-terminated string of bounded
 * length, lines are within the input, a binary input has no hit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "secretscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct secretscan *s;
	static struct secretscan_ctx *c;
	struct secretscan_result r, again;
	unsigned char d[DIGEST_SIZE];
	size_t i, lines = 1;

	if (s == NULL && ((s = secretscan_new(NULL)) == NULL ||
	    (c = secretscan_ctx_new(s)) == NULL))
		abort();
	secretscan_buffer(c, (const char *)data, size, (1u << SG_NGATES) - 1, &r);
	for (i = 0; i < size && i < SECRETSCAN_MAX_BYTES; i++)
		lines += data[i] == '\n';
	if (r.binary && r.hits != 0)
		abort();
	for (i = 0; i < SS_NRULES; i++) {
		if (!(r.hits & (1u << i)))
			continue;
		if (memchr(r.preview[i], '\0', SECRETSCAN_PREVIEW) == NULL ||
		    r.line[i] < 1 || r.line[i] > lines)
			abort();
	}
	/* keyed by content, as the engine keys it */
	if (digest_bytes(data, size, d, NULL) < 0)
		abort();
	secretscan_store(s, d, 1, &r);
	if (!secretscan_lookup(s, d, 1, &again) || again.hits != r.hits)
		abort();
	return 0;
}
