/*
 * Prints an entry list as the ctx-v1 manifest, hashes it into the context
 * hash, and prints the `ctxctl ls` listing (../shared/spec/context-hash.md).
 * Written for 100k+ entries: records are formatted by hand into a buffer
 * reserved once per record, never through printf.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <openssl/evp.h>

#include "digest.h"
#include "manifest.h"

/* The longest record apart from its path: "f 0000 <20 digits> <64 hex> \n". */
#define MANIFEST_RECORD_FIXED 96
/* manifest_hash() hashes the text in pieces of about this size. */
#define MANIFEST_CHUNK (128 * 1024)

static const char manifest_hex2[513] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
	"606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	"c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
	"e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

void
manifest_buf_init(struct manifest_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void
manifest_buf_free(struct manifest_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	manifest_buf_init(b);
}

/* Makes room for more bytes after b->len. */
static int
manifest_buf_reserve(struct manifest_buf *b, size_t more,
    struct ctx_error *err)
{
	size_t cap;
	char *p;

	if (more <= b->cap - b->len)
		return 0;
	if (more > SIZE_MAX / 2 - b->len)
		return ctx_error_nomem(err);
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < more)
		cap *= 2;
	p = realloc(b->data, cap);
	if (p == NULL)
		return ctx_error_nomem(err);
	b->data = p;
	b->cap = cap;
	return 0;
}

static inline int
manifest_must_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '\\';
}

size_t
manifest_escape(char *dst, const char *src, size_t len)
{
	char *d = dst;
	size_t i, start = 0;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)src[i];
		if (!manifest_must_escape(c))
			continue;
		memcpy(d, src + start, i - start);
		d += i - start;
		*d++ = '\\';
		*d++ = 'x';
		*d++ = manifest_hex2[2 * c];
		*d++ = manifest_hex2[2 * c + 1];
		start = i + 1;
	}
	memcpy(d, src + start, len - start);
	d += len - start;
	return (size_t)(d - dst);
}

static char *
manifest_put_u64(char *d, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*d++ = tmp[--n];
	return d;
}

static char *
manifest_put_hex(char *d, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		memcpy(d, &manifest_hex2[2 * p[i]], 2);
		d += 2;
	}
	return d;
}

/* A message naming e, for an entry that cannot be printed. */
static int
manifest_bad_entry(const struct entry *e, const char *why,
    struct ctx_error *err)
{
	char path[512];
	size_t n = e->path_len < (sizeof(path) - 1) / 4 ? e->path_len :
	    (sizeof(path) - 1) / 4;

	path[manifest_escape(path, e->path, n)] = '\0';
	return ctx_error_set(err, CTX_ERR_CONTEXT, "%s: %s", path, why);
}

/*
 * Appends the record of e to b, which must have room for
 * MANIFEST_RECORD_FIXED + 4 * e->path_len bytes.
 */
static int
manifest_record(struct manifest_buf *b, const struct entry *e,
    struct ctx_error *err)
{
	unsigned char ld[DIGEST_SIZE];
	char *d = b->data + b->len;
	uint32_t perm = e->perm & 07777;

	switch (e->type) {
	case ENTRY_FILE:
		if (!(e->flags & ENTRY_DIGESTED))
			return manifest_bad_entry(e, "file not digested", err);
		break;
	case ENTRY_LINK:
		if (e->link == NULL)
			return manifest_bad_entry(e, "link without target",
			    err);
		if (digest_bytes(e->link, strlen(e->link), ld, err) == -1)
			return -1;
		break;
	case ENTRY_DIR:
	case ENTRY_FIFO:
	case ENTRY_CHR:
	case ENTRY_BLK:
		break;
	default:
		return manifest_bad_entry(e, "unknown entry type", err);
	}

	*d++ = e->type;
	*d++ = ' ';
	*d++ = (char)('0' + (perm >> 9));
	*d++ = (char)('0' + ((perm >> 6) & 7));
	*d++ = (char)('0' + ((perm >> 3) & 7));
	*d++ = (char)('0' + (perm & 7));
	*d++ = ' ';
	d = manifest_put_u64(d, e->type == ENTRY_FILE ? e->size : 0);
	*d++ = ' ';
	switch (e->type) {
	case ENTRY_FILE:
		d = manifest_put_hex(d, e->digest, DIGEST_SIZE);
		break;
	case ENTRY_LINK:
		d = manifest_put_hex(d, ld, DIGEST_SIZE);
		break;
	case ENTRY_CHR:
	case ENTRY_BLK:
		d = manifest_put_u64(d, major(e->rdev));
		*d++ = ':';
		d = manifest_put_u64(d, minor(e->rdev));
		break;
	default:
		*d++ = '-';
		break;
	}
	*d++ = ' ';
	d += manifest_escape(d, e->path, e->path_len);
	*d++ = '\n';
	b->len = (size_t)(d - b->data);
	return 0;
}

/*
 * Appends the records of l to b; with ctx, hashes and drops the text each
 * time it passes MANIFEST_CHUNK bytes (the caller hashes what remains).
 */
static int
manifest_emit_one(struct manifest_buf *b, const struct entry *e,
    EVP_MD_CTX *ctx, struct ctx_error *err)
{
	if (e->path_len > (SIZE_MAX - MANIFEST_RECORD_FIXED) / 4)
		return manifest_bad_entry(e, "path too long", err);
	if (manifest_buf_reserve(b, MANIFEST_RECORD_FIXED +
	    4 * e->path_len, err) == -1)
		return -1;
	if (manifest_record(b, e, err) == -1)
		return -1;
	if (ctx != NULL && b->len >= MANIFEST_CHUNK) {
		if (EVP_DigestUpdate(ctx, b->data, b->len) != 1)
			return ctx_error_set(err, CTX_ERR_NOMEM,
			    "SHA-256 failed");
		b->len = 0;
	}
	return 0;
}

static int
manifest_emit(struct manifest_buf *b, const struct entry_list *l,
    EVP_MD_CTX *ctx, struct ctx_error *err)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (manifest_emit_one(b, &l->v[i], ctx, err) == -1)
			return -1;
	return 0;
}

int
manifest_write(struct manifest_buf *b, const struct entry_list *l,
    struct ctx_error *err)
{
	return manifest_emit(b, l, NULL, err);
}

static void
manifest_format_hash(const unsigned char d[DIGEST_SIZE],
    char out[MANIFEST_HASH_SIZE])
{
	memcpy(out, "sha256:", 7);
	digest_hex(d, out + 7);
}

struct manifest_hasher {
	struct manifest_buf b;
	EVP_MD_CTX *ctx;
};

struct manifest_hasher *
manifest_hasher_new(struct ctx_error *err)
{
	struct manifest_hasher *h = calloc(1, sizeof(*h));

	if (h == NULL || (h->ctx = EVP_MD_CTX_new()) == NULL) {
		free(h);
		ctx_error_nomem(err);
		return NULL;
	}
	/* EVP_sha256() once per hash: not the per-file hot path. */
	if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		manifest_hasher_free(h);
		ctx_error_set(err, CTX_ERR_NOMEM, "SHA-256 failed");
		return NULL;
	}
	return h;
}

int
manifest_hasher_add(struct manifest_hasher *h, const struct entry *e,
    struct ctx_error *err)
{
	return manifest_emit_one(&h->b, e, h->ctx, err);
}

int
manifest_hasher_end(struct manifest_hasher *h, char out[MANIFEST_HASH_SIZE],
    struct ctx_error *err)
{
	unsigned char d[DIGEST_SIZE];

	if (EVP_DigestUpdate(h->ctx, h->b.data, h->b.len) != 1 ||
	    EVP_DigestFinal_ex(h->ctx, d, NULL) != 1)
		return ctx_error_set(err, CTX_ERR_NOMEM, "SHA-256 failed");
	manifest_format_hash(d, out);
	return 0;
}

struct manifest_hasher *
manifest_hasher_dup(struct manifest_hasher *h, struct ctx_error *err)
{
	struct manifest_hasher *d;

	/* The text waiting in the buffer goes into the state first: the copy
	 * is then the state alone. */
	if (h->b.len > 0) {
		if (EVP_DigestUpdate(h->ctx, h->b.data, h->b.len) != 1) {
			ctx_error_set(err, CTX_ERR_NOMEM, "SHA-256 failed");
			return NULL;
		}
		h->b.len = 0;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_MD_CTX_copy_ex(d->ctx, h->ctx) != 1) {
		manifest_hasher_free(d);
		ctx_error_nomem(err);
		return NULL;
	}
	return d;
}

void
manifest_hasher_free(struct manifest_hasher *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	manifest_buf_free(&h->b);
	free(h);
}

int
manifest_hash(const struct entry_list *l, char out[MANIFEST_HASH_SIZE],
    struct ctx_error *err)
{
	struct manifest_hasher *h = manifest_hasher_new(err);
	int rc;

	if (h == NULL)
		return -1;
	rc = manifest_emit(&h->b, l, h->ctx, err) == -1 ? -1 :
	    manifest_hasher_end(h, out, err);
	manifest_hasher_free(h);
	return rc;
}

int
manifest_text_hash(const char *text, size_t len,
    char out[MANIFEST_HASH_SIZE], struct ctx_error *err)
{
	unsigned char d[DIGEST_SIZE];

	if (digest_bytes(text, len, d, err) == -1)
		return -1;
	manifest_format_hash(d, out);
	return 0;
}

struct listing_line {
	size_t off, len;	/* in the escaped text, without the newline */
};

static int
listing_cmp(const struct listing_line *x, const struct listing_line *y,
    const char *text)
{
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(text + x->off, text + y->off, n);

	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

/*
 * Sorts v[0..n) by listing_cmp.  A bottom-up merge of the ascending runs the
 * input already has: the entries usually come in manifest order, which the
 * listing order leaves only where a directory's '/' or an escape moves a
 * name, so there are few runs and few passes.  At worst O(n log n).
 */
static int
listing_sort(struct listing_line *v, size_t n, const char *text,
    struct ctx_error *err)
{
	struct listing_line *tmp, *src = v, *dst, *t;
	size_t *run, nrun = 0, nnew, i, k, lo, mid, hi, a, b;

	run = malloc((n + 1) * sizeof(*run));
	tmp = malloc(n * sizeof(*tmp));
	if (run == NULL || tmp == NULL) {
		free(run);
		free(tmp);
		return ctx_error_nomem(err);
	}
	run[nrun++] = 0;
	for (i = 1; i < n; i++)
		if (listing_cmp(&v[i - 1], &v[i], text) > 0)
			run[nrun++] = i;
	run[nrun] = n;	/* run k is [run[k], run[k + 1]) */
	dst = tmp;
	while (nrun > 1) {
		for (nnew = 0, k = 0; k < nrun; k += 2) {
			lo = run[k];
			mid = run[k + 1];
			hi = k + 2 <= nrun ? run[k + 2] : n;
			for (a = lo, b = mid, i = lo; i < hi; i++) {
				if (b == hi || (a < mid && listing_cmp(&src[a],
				    &src[b], text) <= 0))
					dst[i] = src[a++];
				else
					dst[i] = src[b++];
			}
			run[nnew++] = lo;
		}
		run[nnew] = n;
		nrun = nnew;
		t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	free(run);
	free(tmp);
	return 0;
}

int
listing_write(struct manifest_buf *b, const struct entry_list *l,
    struct ctx_error *err)
{
	struct manifest_buf text;
	struct listing_line *line;
	size_t i, need = 0, off;
	int rc = -1;

	if (l->n == 0)
		return 0;
	for (i = 0; i < l->n; i++) {
		if (l->v[i].path_len > SIZE_MAX / 8 - need)
			return ctx_error_nomem(err);
		need += 4 * l->v[i].path_len + 1;
	}
	manifest_buf_init(&text);
	line = malloc(l->n * sizeof(*line));
	if (line == NULL || manifest_buf_reserve(&text, need, err) == -1) {
		free(line);
		return line == NULL ? ctx_error_nomem(err) : -1;
	}

	/* Escape every name once, then sort references to the names: the
	 * escaped text is what `LC_ALL=C sort` compares. */
	for (i = 0; i < l->n; i++) {
		const struct entry *e = &l->v[i];

		off = text.len;
		text.len += manifest_escape(text.data + off, e->path,
		    e->path_len);
		if (e->type == ENTRY_DIR)
			text.data[text.len++] = '/';
		line[i].off = off;
		line[i].len = text.len - off;
	}
	if (listing_sort(line, l->n, text.data, err) == -1)
		goto out;

	if (manifest_buf_reserve(b, text.len + l->n, err) == -1)
		goto out;
	for (i = 0; i < l->n; i++) {
		memcpy(b->data + b->len, text.data + line[i].off, line[i].len);
		b->len += line[i].len;
		b->data[b->len++] = '\n';
	}
	rc = 0;
out:
	free(line);
	manifest_buf_free(&text);
	return rc;
}
