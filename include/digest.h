/*
 * File contents to SHA-256: fills entry.digest and entry.size of every
 * regular file of an entry list, reading the files on all cores without ever
 * following a symbolic link, and hashing each inode once.
 */
#ifndef CTXD_DIGEST_H
#define CTXD_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "error.h"

#define DIGEST_SIZE 32		/* bytes of a SHA-256 digest */
#define DIGEST_HEX_SIZE 65	/* its lowercase hex form and the NUL */

/*
 * Called now and then (at most every 100 ms, and once at the end) from the
 * thread that called digest_entries(), never from another thread, with the
 * files and bytes hashed so far out of the files to hash.
 */
typedef void digest_progress_fn(void *arg, size_t files_done,
    size_t files_total, uint64_t bytes_done);

struct digest_options {
	unsigned threads;	/* hashing threads; 0 = online CPUs */
	/*
	 * BuildKit sends a file it cannot open for lack of permission as an
	 * empty file; the classic builder refuses the whole context
	 * ("no permission to read from ..."). True selects BuildKit's rule.
	 */
	bool unreadable_empty;
	digest_progress_fn *progress;	/* optional */
	void *progress_arg;
};

/*
 * For every ENTRY_FILE of l without ENTRY_DIGESTED: hashes entry.content
 * (ENTRY_INLINE), nothing (ENTRY_EMPTY) or the file at entry.path below
 * rootfd, sets entry.size to the bytes hashed and entry.digest, and sets
 * ENTRY_DIGESTED.  No component of entry.path is followed if it is a
 * symbolic link (the open fails instead), and the file must still be a
 * regular file.  Entries sharing a non-zero (dev, ino) are read once.
 * opt may be NULL (all defaults).  rootfd is borrowed.
 *
 * Returns 0, or -1 with err describing the failing entry of the smallest
 * index; the entries that were hashed keep ENTRY_DIGESTED either way.
 */
int digest_entries(struct entry_list *l, int rootfd,
    const struct digest_options *opt, struct ctx_error *err);

/* SHA-256 of p[0..n) into out.  Returns 0, or -1 (err filled). */
int digest_bytes(const void *p, size_t n, unsigned char out[DIGEST_SIZE],
    struct ctx_error *err);

/* Writes the 64 lowercase hex digits of d and a NUL into out. */
void digest_hex(const unsigned char d[DIGEST_SIZE], char out[DIGEST_HEX_SIZE]);

#endif
