/*
 * File contents to SHA-256: fills entry.digest and entry.size of every
 * regular file of an entry list, reading the files on all cores without ever
 * following a symbolic link, and hashing each inode once; after the walk
 * (digest_entries()) or while it runs (digest_pool_*).
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

/*
 * An optional reader of the files' content, fed by the reading threads in
 * the same pass that hashes them, so that a caller who wants to look at
 * the bytes (the hazard engine's content scan) does not open and read each
 * file a second time.  For each file it wants, the thread reads the first
 * prefix bytes into a buffer of its own (hashing them as they come) and,
 * once the file is hashed, hands those bytes and the digest to file().
 *
 * want() says whether a file is wanted and gives a tag passed on to file();
 * it is called on the owner's thread (pool submissions) or on a reading
 * thread (digest_entries()), so it must be a pure function of the entry.
 * thread_start() and thread_end() make and retire the per-thread state;
 * both are called on the thread that owns the pool or called
 * digest_entries() (thread_end() after the reading threads have ended, so
 * it may merge the thread's results into shared state without a lock).
 * thread_start() may return NULL: that thread then reads without calling
 * file().  file() runs on a reading thread with that thread's state only.
 * A file that fails to read, or is not read (an alias of an inode already
 * read, an unreadable file made empty), is never handed to file(): the
 * consumer must cope with files it was not told about.  The struct and
 * arg are borrowed until the pool is freed or digest_entries() returns.
 */
struct digest_scan {
	size_t prefix;		/* bytes of each file's start wanted, > 0 */
	bool (*want)(void *arg, const struct entry *e, uint32_t *tag);
	void *(*thread_start)(void *arg);
	void (*file)(void *arg, void *state, uint32_t tag,
	    const unsigned char digest[DIGEST_SIZE], const unsigned char *buf,
	    size_t n);
	void (*thread_end)(void *arg, void *state);
	void *arg;
};

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
	const struct digest_scan *scan;	/* optional: see above */
	/*
	 * Optional, pools only: asked on the owner's thread for each file
	 * submitted; true when it has set the entry's digest and size itself
	 * (and ENTRY_DIGESTED) from what it already knows, so the file is not
	 * read (the daemon's tree and digest cache).
	 */
	bool (*known)(void *arg, struct entry *e);
	void *known_arg;
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

/*
 * A pool that hashes files while a walk is still finding them, so that the
 * walk and the reading overlap.  The walker submits each entry as it appends
 * it; threads read and hash the regular files at once; digest_pool_finish()
 * then gives the entries exactly what digest_entries() would give the final
 * list (it calls digest_entries() for whatever the pool did not settle), so
 * the list may still change after a submission: an entry that became inline
 * or empty simply does not take the pool's result.
 *
 * Ownership: the caller owns the pool and frees it with digest_pool_free(),
 * finished or not (an unfinished pool drops its queued work).  rootfd is
 * borrowed and must stay open until then.  The pool copies what it needs
 * of a submitted entry.  Submissions and digest_pool_finish() come from one
 * thread, the owner's; the pool reports no progress.
 */
struct digest_pool;

/* Starts opt->threads hashing threads (0: online CPUs).  opt may be NULL;
 * opt->progress is not used.  Returns NULL (err filled) when out of
 * memory. */
struct digest_pool *digest_pool_start(int rootfd,
    const struct digest_options *opt, struct ctx_error *err);

/*
 * Queues e, entry idx of the list later given to digest_pool_finish(), if
 * it is a file to read (ENTRY_FILE, not inline, empty or digested); another
 * name of an inode already queued is only noted.  Entries must come in
 * increasing idx.  Never fails: out of memory, this entry and the later
 * ones are left to digest_pool_finish().  p may be NULL (no-op).
 */
void digest_pool_submit(struct digest_pool *p, size_t idx, struct entry *e);

/*
 * Waits for the queued files to be read, puts each digest into
 * its entry of l if that entry still has the submitted path and is still a
 * file to read, then runs digest_entries() on l.  Returns what it returns.
 * Once per pool; l must be the list the indices of the submissions refer
 * to, not reordered since.
 */
int digest_pool_finish(struct digest_pool *p, struct entry_list *l,
    struct ctx_error *err);

/* Stops the threads and frees p; NULL is a no-op. */
void digest_pool_free(struct digest_pool *p);

/* SHA-256 of p[0..n) into out.  Returns 0, or -1 (err filled). */
int digest_bytes(const void *p, size_t n, unsigned char out[DIGEST_SIZE],
    struct ctx_error *err);

/* Writes the 64 lowercase hex digits of d and a NUL into out. */
void digest_hex(const unsigned char d[DIGEST_SIZE], char out[DIGEST_HEX_SIZE]);

#endif
