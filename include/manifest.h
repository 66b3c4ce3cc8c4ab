/*
 * The text forms of a context (../shared/spec/context-hash.md, ctx-v1): the
 * manifest (one record per entry), its SHA-256, the context hash, and the
 * listing `ctxctl ls` prints (docker's tar names, escaped and sorted).
 */
#ifndef CTXD_MANIFEST_H
#define CTXD_MANIFEST_H

#include <stddef.h>

#include "entry.h"
#include "error.h"

/* "sha256:" + 64 hex digits + NUL */
#define MANIFEST_HASH_SIZE 72

/*
 * A growable byte buffer.  data is owned by the buffer and released by
 * manifest_buf_free(); it is not NUL-terminated.  A zeroed struct is an
 * empty buffer.
 */
struct manifest_buf {
	char *data;
	size_t len, cap;
};

void manifest_buf_init(struct manifest_buf *b);
void manifest_buf_free(struct manifest_buf *b);

/*
 * Appends the manifest of l to b: one record per entry, in the order of l
 * (sort it first with entry_list_sort()).  Every ENTRY_FILE must be
 * digested (digest_entries()).  Returns 0, or -1 (err filled, b holds a
 * prefix of the text) on an entry that cannot be printed or on no memory.
 */
int manifest_write(struct manifest_buf *b, const struct entry_list *l,
    struct ctx_error *err);

/*
 * Writes the context hash of l ("sha256:<hex>" of its manifest text, as
 * manifest_write() would make it) into out, streaming the text through a
 * small buffer instead of holding all of it.  Returns 0 or -1 (err filled).
 */
int manifest_hash(const struct entry_list *l, char out[MANIFEST_HASH_SIZE],
    struct ctx_error *err);

/*
 * manifest_hash() an entry at a time, for a caller that makes its entries
 * one by one (the daemon, from its references into the tree): new, add
 * each entry in manifest order, end (the hash into out), free.  Each
 * returns -1 (err filled) on an entry that cannot be printed or on no
 * memory.  Ownership: manifest_hasher_free() releases the hasher.
 */
struct manifest_hasher;
struct manifest_hasher *manifest_hasher_new(struct ctx_error *err);
int manifest_hasher_add(struct manifest_hasher *h, const struct entry *e,
    struct ctx_error *err);
int manifest_hasher_end(struct manifest_hasher *h, char out[MANIFEST_HASH_SIZE],
    struct ctx_error *err);
void manifest_hasher_free(struct manifest_hasher *h);
/* A copy of h that goes on from the records added so far (a midstate, to
 * resume from after a change further on); NULL (err filled) on no memory. */
struct manifest_hasher *manifest_hasher_dup(struct manifest_hasher *h,
    struct ctx_error *err);

/* Writes "sha256:<hex>" of text[0..len) into out.  Returns 0 or -1. */
int manifest_text_hash(const char *text, size_t len,
    char out[MANIFEST_HASH_SIZE], struct ctx_error *err);

/*
 * Appends the listing of l to b: each entry's name as docker's tar names it
 * (a directory ends in '/'), escaped as in the manifest, one per line,
 * sorted by the bytes of the escaped line (LC_ALL=C sort), whatever the
 * order of l.  Returns 0 or -1 (err filled).
 */
int listing_write(struct manifest_buf *b, const struct entry_list *l,
    struct ctx_error *err);

/*
 * Writes src[0..len) escaped as the manifest's path field is (bytes
 * 0x00-0x1f, 0x7f and '\' as \xHH, lowercase) into dst, which must have
 * room for 4 * len bytes; returns the bytes written.  No NUL is added.
 */
size_t manifest_escape(char *dst, const char *src, size_t len);

#endif
