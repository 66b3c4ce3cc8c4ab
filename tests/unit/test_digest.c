/*
 * digest.c: file contents hashed on a thread pool, compared with OpenSSL's
 * one-shot SHA-256 of the same bytes; symbolic links never followed in any
 * component (with openat2 and with the fallback walk), hard links read once,
 * unreadable files per builder, and the error of the smallest index; the
 * pool that hashes during a walk gives the same answers.
 *
 * digest.c is included rather than linked so that the test can switch off
 * openat2 and drive the component walk older kernels get.
 */
#include "../../daemon/digest.c"

#include <ftw.h>
#include <grp.h>
#include <stdio.h>
#include <sys/wait.h>

#include "testutil.h"

static char tmpdir[64];
static int rootfd = -1;
static int have_openat2;	/* what digest_init() found */

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
	strcpy(tmpdir, "/tmp/ctxd-test-digest.XXXXXX");
	if (mkdtemp(tmpdir) == NULL || chmod(tmpdir, 0755) == -1)
		return -1;
	rootfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	pthread_once(&digest_once, digest_init);
	have_openat2 = digest_have_openat2;
	return rootfd >= 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	close(rootfd);
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	digest_have_openat2 = have_openat2;
	return 0;
}

static void
put(const char *path, const void *data, size_t n, mode_t mode)
{
	int fd = openat(rootfd, path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
sha(const void *p, size_t n, unsigned char out[32])
{
	assert_int_equal(EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL), 1);
}

static struct entry *
add_file(struct entry_list *l, const char *path, bool inode)
{
	struct ctx_error err;
	struct entry *e = entry_list_add(l, path, strlen(path), &err);
	struct stat st;

	assert_non_null(e);
	e->type = ENTRY_FILE;
	e->perm = 0644;
	if (inode && fstatat(rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		e->dev = st.st_dev;
		e->ino = st.st_ino;
		e->size = (uint64_t)st.st_size;
	}
	return e;
}

static void
expect_digest(const struct entry *e, const void *p, size_t n)
{
	unsigned char want[32];

	sha(p, n, want);
	assert_true(e->flags & ENTRY_DIGESTED);
	assert_int_equal(e->size, n);
	assert_memory_equal(e->digest, want, 32);
}

static struct ctx_error err_last;

/* Files the pool's threads have read, after digest_pool_finish(). */
static size_t
pool_read(const struct digest_pool *p)
{
	const struct digest_queue *q[2] = { &p->big, &p->small };
	const struct digest_chunk *c;
	size_t i, k, n = 0;

	for (i = 0; i < 2; i++)
		for (c = q[i]->head; c != NULL; c = c->next)
			for (k = 0; k < c->n; k++)
				n += c->job[k].state == DIGEST_JOB_DONE;
	return n;
}

/*
 * As a walker does: appends the files named (NULL-terminated) to l one at a
 * time, submitting each as it is added, so the array reallocs between
 * submissions; then finishes the pool.  Returns what digest_pool_finish()
 * does, its error in err_last.
 */
static int
pool_digest(struct entry_list *l, const struct digest_options *base,
    unsigned threads, ...)
{
	struct digest_options opt = { .threads = threads };
	struct digest_pool *p;
	const char *path;
	struct entry *e;
	va_list ap;
	int rc;

	if (base != NULL)
		opt.unreadable_empty = base->unreadable_empty;
	entry_list_init(l);
	p = digest_pool_start(rootfd, &opt, &err_last);
	assert_non_null(p);
	va_start(ap, threads);
	while ((path = va_arg(ap, const char *)) != NULL) {
		e = add_file(l, path, true);
		digest_pool_submit(p, l->n - 1, e);
	}
	va_end(ap);
	rc = digest_pool_finish(p, l, &err_last);
	digest_pool_free(p);
	return rc;
}

struct progress {
	int calls;
	size_t done, total;
	uint64_t bytes;
};

static void
on_progress(void *arg, size_t done, size_t total, uint64_t bytes)
{
	struct progress *p = arg;

	p->calls++;
	p->done = done;
	p->total = total;
	p->bytes = bytes;
}

static void
fill(unsigned char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)((i * 131 + seed * 7 + (i >> 9)) & 0xff);
}

/* Small, empty and multi-buffer files; any stale size is replaced. */
static void
test_files(void **state)
{
	static unsigned char big[DIGEST_BUFSIZE * 2 + 77];
	struct digest_options opt = { .threads = 1 };
	struct entry_list l;
	struct ctx_error err;
	unsigned t;

	(void)state;
	fill(big, sizeof(big), 1);
	assert_int_equal(mkdirat(rootfd, "sub", 0755), 0);
	put("hello", "hello\n", 6, 0644);
	put("sub/empty", "", 0, 0644);
	put("sub/big", big, sizeof(big), 0600);
	put("ro", "x", 1, 0444);
	for (t = 0; t <= 3; t++) {
		entry_list_init(&l);
		add_file(&l, "hello", false)->size = 999;
		add_file(&l, "sub/empty", true);
		add_file(&l, "sub/big", true);
		add_file(&l, "ro", true);
		opt.threads = t;
		assert_int_equal(digest_entries(&l, rootfd, &opt, &err), 0);
		expect_digest(&l.v[0], "hello\n", 6);
		expect_digest(&l.v[1], "", 0);
		expect_digest(&l.v[2], big, sizeof(big));
		expect_digest(&l.v[3], "x", 1);
		assert_false(l.v[1].flags & ENTRY_EMPTY);
		entry_list_free(&l);
	}
}

/* Inline and empty entries never touch the file system. */
static void
test_inline_and_empty(void **state)
{
	struct entry_list l;
	struct ctx_error err;
	struct entry *e;

	(void)state;
	entry_list_init(&l);
	e = add_file(&l, "no-such-file", false);
	e->flags |= ENTRY_INLINE;
	e->content = (unsigned char *)strdup(".dockerignore\n.dockerfile.0123\n");
	e->content_len = strlen((char *)e->content);
	e = add_file(&l, "no-such-either", false);
	e->flags |= ENTRY_EMPTY;
	e->size = 4096;
	/* already digested: left alone */
	e = add_file(&l, "no-such-third", false);
	e->flags |= ENTRY_DIGESTED;
	e->size = 3;
	memset(e->digest, 0xab, 32);
	assert_int_equal(digest_entries(&l, rootfd, NULL, &err), 0);
	expect_digest(&l.v[0], ".dockerignore\n.dockerfile.0123\n", 31);
	expect_digest(&l.v[1], "", 0);
	assert_true(l.v[1].flags & ENTRY_EMPTY);
	assert_int_equal(l.v[2].size, 3);
	assert_int_equal(l.v[2].digest[31], 0xab);
	entry_list_free(&l);
}

/* Three links to one inode are read once; dev/ino 0 is never merged. */
static void
test_hardlinks(void **state)
{
	struct progress p = { 0 };
	struct digest_options opt = { .threads = 4, .progress = on_progress,
	    .progress_arg = &p };
	struct entry_list l;
	struct ctx_error err;
	size_t i;

	(void)state;
	put("x", "shared\n", 7, 0644);
	assert_int_equal(linkat(rootfd, "x", rootfd, "y", 0), 0);
	assert_int_equal(linkat(rootfd, "x", rootfd, "z", 0), 0);
	put("w", "other\n", 6, 0644);
	put("v", "third\n", 6, 0644);
	entry_list_init(&l);
	add_file(&l, "w", true);
	add_file(&l, "x", true);
	add_file(&l, "y", true);
	add_file(&l, "z", true);
	add_file(&l, "v", false);	/* dev = ino = 0 */
	add_file(&l, "x", false);	/* the same inode, but unknown */
	assert_int_equal(digest_entries(&l, rootfd, &opt, &err), 0);
	assert_int_equal(p.total, 4);	/* w, x, v and the inode-less x */
	assert_int_equal(p.done, 4);
	assert_int_equal(p.bytes, 6 + 7 + 6 + 7);
	assert_true(p.calls >= 1);
	expect_digest(&l.v[0], "other\n", 6);
	for (i = 1; i <= 3; i++)
		expect_digest(&l.v[i], "shared\n", 7);
	expect_digest(&l.v[4], "third\n", 6);
	expect_digest(&l.v[5], "shared\n", 7);
	entry_list_free(&l);
}

/* Every entry must fail, and none may be digested. */
static void
expect_refused(const char *path)
{
	struct entry_list l;
	struct ctx_error err;

	entry_list_init(&l);
	add_file(&l, path, false);
	err.msg[0] = '\0';
	assert_int_equal(digest_entries(&l, rootfd, NULL, &err), -1);
	assert_false(l.v[0].flags & ENTRY_DIGESTED);
	assert_int_equal(strncmp(err.msg, path, strlen(path)), 0);
	entry_list_free(&l);
}

/*
 * A symbolic link in any component is refused, not followed: "etc" points
 * to /etc, so "etc/passwd" would read the host's password file; "in" points
 * inside the root and is refused all the same (docker sends the link, not
 * what it points to); a final link and ".." are refused too.
 */
static void
test_no_symlinks(void **state)
{
	int pass;

	(void)state;
	assert_int_equal(mkdirat(rootfd, "sub", 0755), 0);
	put("sub/file", "data\n", 5, 0644);
	assert_int_equal(symlinkat("/etc", rootfd, "etc"), 0);
	assert_int_equal(symlinkat("sub", rootfd, "in"), 0);
	assert_int_equal(symlinkat("sub/file", rootfd, "last"), 0);
	assert_int_equal(symlinkat("/etc/passwd", rootfd, "sub/abs"), 0);
	for (pass = 0; pass < 2; pass++) {
		/* pass 1: as on a kernel without openat2 */
		digest_have_openat2 = pass == 0 ? have_openat2 : 0;
		expect_refused("etc/passwd");
		expect_refused("in/file");
		expect_refused("last");
		expect_refused("sub/abs");
		expect_refused("../etc/passwd");
		expect_refused("missing/file");
		expect_refused("/etc/passwd");
	}
}

/* The openat2 path and the component walk read the same bytes. */
static void
test_fallback_reads(void **state)
{
	struct entry_list l;
	struct ctx_error err;

	(void)state;
	assert_int_equal(mkdirat(rootfd, "a", 0755), 0);
	assert_int_equal(mkdirat(rootfd, "a/b", 0755), 0);
	put("a/b/c", "deep\n", 5, 0644);
	digest_have_openat2 = 0;
	entry_list_init(&l);
	add_file(&l, "a/b/c", true);
	assert_int_equal(digest_entries(&l, rootfd, NULL, &err), 0);
	expect_digest(&l.v[0], "deep\n", 5);
	entry_list_free(&l);
}

static void
test_missing_and_fifo(void **state)
{
	struct entry_list l;
	struct ctx_error err;

	(void)state;
	assert_int_equal(mkfifoat(rootfd, "pipe", 0644), 0);
	entry_list_init(&l);
	add_file(&l, "gone", false);
	assert_int_equal(digest_entries(&l, rootfd, NULL, &err), -1);
	assert_string_equal(err.msg, "gone: No such file or directory");
	assert_int_equal(err.code, CTX_ERR_SYS);
	assert_int_equal(err.sys_errno, ENOENT);
	entry_list_free(&l);

	/* A file replaced by a FIFO: opened without blocking, refused. */
	add_file(&l, "pipe", false);
	assert_int_equal(digest_entries(&l, rootfd, NULL, &err), -1);
	assert_string_equal(err.msg, "pipe: no longer a regular file");
	entry_list_free(&l);

	/* A NUL would make the kernel open "sub" instead: refused. */
	assert_int_equal(mkdirat(rootfd, "sub", 0755), 0);
	put("sub/f", "x", 1, 0644);
	assert_non_null(entry_list_add(&l, "sub/f\0x", 7, &err));
	l.v[0].type = ENTRY_FILE;
	assert_int_equal(digest_entries(&l, rootfd, NULL, &err), -1);
	assert_string_equal(err.msg, "sub/f\\x00x: Invalid argument");
	entry_list_free(&l);

	/* A control byte in the path is escaped in the message. */
	add_file(&l, "new\nline", false);
	assert_int_equal(digest_entries(&l, rootfd, NULL, &err), -1);
	assert_string_equal(err.msg,
	    "new\\x0aline: No such file or directory");
	entry_list_free(&l);
}

/*
 * With several failures the error of the smallest index is reported,
 * whatever the thread timing and although big files are read first.
 */
static void
test_first_error_wins(void **state)
{
	struct digest_options opt = { .threads = 4 };
	struct entry_list l;
	struct ctx_error err;
	char path[32];
	int i, round;

	(void)state;
	for (i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "f%03d", i);
		if (i != 17 && i != 150 && i != 299 && i != 200)
			put(path, path, 4, 0644);
	}
	for (round = 0; round < 20; round++) {
		entry_list_init(&l);
		for (i = 0; i < 300; i++) {
			snprintf(path, sizeof(path), "f%03d", i);
			add_file(&l, path, true);
		}
		l.v[200].size = 8 << 20;	/* "big": read first, fails */
		opt.threads = 1 + (unsigned)round % 4;
		assert_int_equal(digest_entries(&l, rootfd, &opt, &err), -1);
		assert_string_equal(err.msg,
		    "f017: No such file or directory");
		for (i = 0; i < 17; i++)
			expect_digest(&l.v[i], l.v[i].path, 4);
		entry_list_free(&l);
	}
}

/* Many files on many threads give the one-thread answer. */
static void
test_threads_agree(void **state)
{
	static unsigned char buf[70000];
	struct digest_options one = { .threads = 1 }, many = { .threads = 7 };
	struct entry_list a, b;
	struct ctx_error err;
	char path[32];
	size_t i;

	(void)state;
	fill(buf, sizeof(buf), 3);
	for (i = 0; i < 1500; i++) {
		snprintf(path, sizeof(path), "m%04zu", i);
		put(path, buf + i % 100, (i * 7919) % 60000, 0644);
	}
	entry_list_init(&a);
	entry_list_init(&b);
	for (i = 0; i < 1500; i++) {
		snprintf(path, sizeof(path), "m%04zu", i);
		add_file(&a, path, true);
		add_file(&b, path, true);
	}
	assert_int_equal(digest_entries(&a, rootfd, &one, &err), 0);
	assert_int_equal(digest_entries(&b, rootfd, &many, &err), 0);
	for (i = 0; i < 1500; i++) {
		assert_int_equal(a.v[i].size, b.v[i].size);
		assert_memory_equal(a.v[i].digest, b.v[i].digest, 32);
	}
	expect_digest(&a.v[7], buf + 7, (7 * 7919) % 60000);
	entry_list_free(&a);
	entry_list_free(&b);
}

/*
 * The pool, fed while the list grows, gives digest_entries()'s answer on
 * any number of threads, with big files (their own queue) among small ones
 * and an entry the walk added without submitting it.
 */
static void
test_pool_agrees(void **state)
{
	static unsigned char buf[(3 << 20) + 5];
	struct digest_options one = { .threads = 1 };
	struct digest_pool *p;
	struct entry_list a, b;
	struct ctx_error err;
	char path[32];
	size_t i, n;
	unsigned t;

	(void)state;
	fill(buf, sizeof(buf), 5);
	for (i = 0; i < 600; i++) {
		snprintf(path, sizeof(path), "p%04zu", i);
		n = i % 97 == 5 ? sizeof(buf) - i : (i * 7919) % 60000;
		put(path, buf + i % 100, n, 0644);
	}
	entry_list_init(&a);
	for (i = 0; i < 600; i++) {
		snprintf(path, sizeof(path), "p%04zu", i);
		add_file(&a, path, true);
	}
	assert_int_equal(digest_entries(&a, rootfd, &one, &err), 0);
	for (t = 0; t <= 4; t++) {
		struct digest_options opt = { .threads = t };

		entry_list_init(&b);
		p = digest_pool_start(rootfd, &opt, &err);
		assert_non_null(p);
		for (i = 0; i < 600; i++) {
			snprintf(path, sizeof(path), "p%04zu", i);
			add_file(&b, path, true);
			if (i != 33)
				digest_pool_submit(p, b.n - 1, &b.v[b.n - 1]);
		}
		assert_int_equal(digest_pool_finish(p, &b, &err), 0);
		assert_int_equal(pool_read(p), 599);
		digest_pool_free(p);
		for (i = 0; i < 600; i++) {
			assert_true(b.v[i].flags & ENTRY_DIGESTED);
			assert_int_equal(a.v[i].size, b.v[i].size);
			assert_memory_equal(a.v[i].digest, b.v[i].digest, 32);
		}
		entry_list_free(&b);
	}
	expect_digest(&a.v[5], buf + 5, sizeof(buf) - 5);
	entry_list_free(&a);
}

/*
 * What the walk changes after a submission wins: an entry made inline
 * (the classic .dockerignore) or empty (BuildKit's link pass) does not take
 * the pool's digest; a link whose leader became inline still gets the
 * file's; two links are queued once; entries swapped after submission are
 * hashed by their own path.
 */
static void
test_pool_changed_after_submit(void **state)
{
	struct digest_pool *p;
	struct entry_list l;
	struct ctx_error err;
	struct entry *e, tmp;
	size_t i;

	(void)state;
	put("a", "aaa\n", 4, 0644);
	put("inl", "on disk\n", 8, 0644);
	put("emp", "not sent\n", 9, 0644);
	put("x", "shared\n", 7, 0644);
	assert_int_equal(linkat(rootfd, "x", rootfd, "y", 0), 0);
	put("s1", "one\n", 4, 0644);
	put("s2", "two!\n", 5, 0644);
	entry_list_init(&l);
	p = digest_pool_start(rootfd, NULL, &err);
	assert_non_null(p);
	for (i = 0; i < 7; i++) {
		static const char *const names[] = { "a", "inl", "emp", "x",
		    "y", "s1", "s2" };

		e = add_file(&l, names[i], true);
		digest_pool_submit(p, l.n - 1, e);
	}
	assert_int_equal(p->nalias, 1);		/* y: x's inode */
	e = &l.v[1];
	e->flags |= ENTRY_INLINE;
	e->content = (unsigned char *)strdup("inline\n");
	e->content_len = 7;
	l.v[2].flags |= ENTRY_EMPTY;
	l.v[3].flags |= ENTRY_INLINE;
	l.v[3].content = (unsigned char *)strdup("x inline\n");
	l.v[3].content_len = 9;
	tmp = l.v[5];
	l.v[5] = l.v[6];
	l.v[6] = tmp;
	assert_int_equal(digest_pool_finish(p, &l, &err), 0);
	assert_int_equal(pool_read(p), 6);	/* y shares x's read */
	/* once only */
	assert_int_equal(digest_pool_finish(p, &l, &err), -1);
	digest_pool_free(p);
	expect_digest(&l.v[0], "aaa\n", 4);
	expect_digest(&l.v[1], "inline\n", 7);
	expect_digest(&l.v[2], "", 0);
	assert_true(l.v[2].flags & ENTRY_EMPTY);
	expect_digest(&l.v[3], "x inline\n", 9);
	expect_digest(&l.v[4], "shared\n", 7);
	expect_digest(&l.v[5], "two!\n", 5);
	expect_digest(&l.v[6], "one\n", 4);
	entry_list_free(&l);
}

/*
 * The error of the smallest index, whatever the threads did first: the big
 * failing file is queued ahead of the others, and an entry whose failure no
 * longer counts (made inline after the walk) passes the error on.
 */
static void
test_pool_first_error_wins(void **state)
{
	struct digest_pool *p;
	struct entry_list l;
	struct ctx_error err;
	struct entry *e;
	char path[32];
	int i, round;

	(void)state;
	for (i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "f%03d", i);
		if (i != 17 && i != 150 && i != 299 && i != 200)
			put(path, path, 4, 0644);
	}
	for (round = 0; round < 16; round++) {
		struct digest_options opt = { .threads = 1 + round % 4 };

		entry_list_init(&l);
		p = digest_pool_start(rootfd, &opt, &err);
		assert_non_null(p);
		for (i = 0; i < 300; i++) {
			snprintf(path, sizeof(path), "f%03d", i);
			e = add_file(&l, path, true);
			if (i == 200)
				e->size = 8 << 20;
			digest_pool_submit(p, l.n - 1, e);
		}
		if (round >= 8) {
			l.v[17].flags |= ENTRY_INLINE;
			l.v[17].content = (unsigned char *)strdup("in");
			l.v[17].content_len = 2;
		}
		assert_int_equal(digest_pool_finish(p, &l, &err), -1);
		digest_pool_free(p);
		assert_string_equal(err.msg, round >= 8 ?
		    "f150: No such file or directory" :
		    "f017: No such file or directory");
		for (i = 0; i < 17; i++)
			expect_digest(&l.v[i], l.v[i].path, 4);
		entry_list_free(&l);
	}
}

/* A pool dropped before its end (the walk failed) stops and frees all;
 * a NULL pool takes submissions and frees as a no-op. */
static void
test_pool_abandoned(void **state)
{
	struct digest_options opt = { .threads = 3 };
	struct digest_pool *p;
	struct entry_list l;
	struct ctx_error err;
	char path[32];
	size_t i;

	(void)state;
	for (i = 0; i < 700; i++) {
		snprintf(path, sizeof(path), "q%03zu", i);
		put(path, path, 4, 0644);
	}
	entry_list_init(&l);
	p = digest_pool_start(rootfd, &opt, &err);
	assert_non_null(p);
	for (i = 0; i < 700; i++) {
		snprintf(path, sizeof(path), "q%03zu", i);
		add_file(&l, path, true);
		digest_pool_submit(p, i, &l.v[i]);
	}
	digest_pool_free(p);
	digest_pool_submit(NULL, 0, &l.v[0]);
	digest_pool_free(NULL);
	entry_list_free(&l);
}

/* 20 MB with holes streams through the buffer and matches the one-shot. */
static void
test_large_sparse(void **state)
{
	const size_t size = (20u << 20) + 4097;
	const off_t at[] = { 0, (5 << 20) + 3, (off_t)size - 100 };
	unsigned char *want, chunk[65536];
	struct entry_list l;
	struct ctx_error err;
	size_t i, n;
	int fd;

	(void)state;
	want = calloc(1, size);
	assert_non_null(want);
	fd = openat(rootfd, "sparse", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		n = size - (size_t)at[i] < sizeof(chunk) ?
		    size - (size_t)at[i] : sizeof(chunk);
		fill(chunk, n, (unsigned)i + 9);
		assert_int_equal(pwrite(fd, chunk, n, at[i]), (ssize_t)n);
		memcpy(want + at[i], chunk, n);
	}
	close(fd);
	entry_list_init(&l);
	add_file(&l, "sparse", true);
	assert_int_equal(digest_entries(&l, rootfd, NULL, &err), 0);
	expect_digest(&l.v[0], want, size);
	entry_list_free(&l);
	free(want);
}

/* The checks of test_unreadable, run where a permission bit bites. */
static int
unreadable_checks(void)
{
	struct digest_options bk = { .unreadable_empty = true };
	struct entry_list l;
	struct ctx_error err;
	int bad = 0;

	entry_list_init(&l);
	add_file(&l, "secret", false);
	add_file(&l, "closed/inside", false);
	if (digest_entries(&l, rootfd, NULL, &err) != -1 ||
	    strcmp(err.msg, "no permission to read from 'secret'") != 0 ||
	    err.code != CTX_ERR_CONTEXT)
		bad |= 1;
	entry_list_free(&l);

	add_file(&l, "closed/inside", false);
	if (digest_entries(&l, rootfd, NULL, &err) != -1 ||
	    strcmp(err.msg, "no permission to read from 'closed/inside'") != 0)
		bad |= 2;
	entry_list_free(&l);

	add_file(&l, "secret", false)->size = 7;
	add_file(&l, "closed/inside", false);
	if (digest_entries(&l, rootfd, &bk, &err) != 0 ||
	    l.v[0].size != 0 || l.v[1].size != 0 ||
	    memcmp(l.v[0].digest, digest_empty, 32) != 0 ||
	    !(l.v[0].flags & ENTRY_EMPTY) || !(l.v[1].flags & ENTRY_EMPTY) ||
	    !(l.v[0].flags & ENTRY_DIGESTED))
		bad |= 4;
	entry_list_free(&l);

	/* The same through the pool. */
	if (pool_digest(&l, NULL, 2, "secret", "closed/inside", NULL) != -1 ||
	    strcmp(err_last.msg, "no permission to read from 'secret'") != 0)
		bad |= 8;
	entry_list_free(&l);
	if (pool_digest(&l, &bk, 2, "secret", "closed/inside", NULL) != 0 ||
	    l.v[0].size != 0 || l.v[1].size != 0 ||
	    memcmp(l.v[1].digest, digest_empty, 32) != 0 ||
	    !(l.v[0].flags & ENTRY_EMPTY) || !(l.v[1].flags & ENTRY_EMPTY) ||
	    !(l.v[1].flags & ENTRY_DIGESTED))
		bad |= 16;
	entry_list_free(&l);
	return bad;
}

/*
 * A file we may not open: the classic builder refuses the context with
 * docker's message, BuildKit sends it empty.  Root reads mode 000 files,
 * so as root the checks run in a child that drops to uid/gid 65534.
 */
static void
test_unreadable(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	put("secret", "secret\n", 7, 0000);
	assert_int_equal(mkdirat(rootfd, "closed", 0755), 0);
	put("closed/inside", "in\n", 3, 0644);
	assert_int_equal(fchmodat(rootfd, "closed", 0700, 0), 0);
	if (geteuid() != 0) {
		assert_int_equal(unreadable_checks(), 0);
		goto out;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) == -1 || setgid(65534) == -1 ||
		    setuid(65534) == -1)
			_exit(100);
		_exit(unreadable_checks());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 100)
		skip();	/* cannot drop privileges here */
	assert_int_equal(WEXITSTATUS(status), 0);
out:
	assert_int_equal(fchmodat(rootfd, "closed", 0755, 0), 0);
}

/* ---- the content reader (digest_options.scan) ---- */

struct seen_file {
	uint32_t tag;
	size_t n;
	unsigned char digest[32], prefix_sha[32];
};

struct seen {
	pthread_t owner;
	pthread_mutex_t lock;
	int started, ended, bad_thread;
	struct seen_file v[16];
	size_t n;
};

static bool
scan_want(void *arg, const struct entry *e, uint32_t *tag)
{
	(void)arg;
	if (strncmp(e->path, "skip", 4) == 0)
		return false;
	*tag = (uint32_t)e->path_len;
	return true;
}

static void *
scan_start(void *arg)
{
	struct seen *s = arg;

	if (!pthread_equal(pthread_self(), s->owner))
		s->bad_thread++;
	s->started++;
	return s;
}

static void
scan_file(void *arg, void *state, uint32_t tag, const unsigned char digest[32],
    const unsigned char *buf, size_t n)
{
	struct seen *s = arg;

	assert_ptr_equal(state, s);
	pthread_mutex_lock(&s->lock);
	if (s->n < 16) {
		s->v[s->n].tag = tag;
		s->v[s->n].n = n;
		memcpy(s->v[s->n].digest, digest, 32);
		sha(buf, n, s->v[s->n].prefix_sha);
	}
	s->n++;
	pthread_mutex_unlock(&s->lock);
}

static void
scan_end(void *arg, void *state)
{
	struct seen *s = arg;

	(void)state;
	if (!pthread_equal(pthread_self(), s->owner))
		s->bad_thread++;
	s->ended++;
}

/* The file of tag (its path length, unique here) was handed once, with
 * its first prefix bytes and the digest of all of it. */
static void
expect_seen(const struct seen *s, const char *path, const void *data,
    size_t n, size_t prefix)
{
	unsigned char whole[32], head[32];
	size_t i, found = 0;

	sha(data, n, whole);
	sha(data, n < prefix ? n : prefix, head);
	for (i = 0; i < s->n && i < 16; i++) {
		if (s->v[i].tag != strlen(path))
			continue;
		found++;
		assert_int_equal(s->v[i].n, n < prefix ? n : prefix);
		assert_memory_equal(s->v[i].digest, whole, 32);
		assert_memory_equal(s->v[i].prefix_sha, head, 32);
	}
	assert_int_equal(found, 1);
}

static void
test_scan_hook(void **state)
{
	static unsigned char big[DIGEST_BUFSIZE * 2 + 77];
	static const size_t prefixes[] = { 5, DIGEST_BUFSIZE + 100,
	    DIGEST_BUFSIZE * 4 };
	struct digest_scan hook = { 0, scan_want, scan_start, scan_file,
	    scan_end, NULL };
	struct digest_options opt = { .threads = 1 };
	struct digest_pool *p;
	struct entry_list l;
	struct ctx_error err;
	struct seen s;
	const char *names[] = { "hello.txt", "b/big", "b/link", "skip-me",
	    "b/empty", NULL };
	size_t k, i;
	unsigned t, pool;

	(void)state;
	fill(big, sizeof(big), 3);
	assert_int_equal(mkdirat(rootfd, "b", 0755), 0);
	put("hello.txt", "hello\n", 6, 0644);
	put("b/big", big, sizeof(big), 0644);
	assert_int_equal(linkat(rootfd, "b/big", rootfd, "b/link", 0), 0);
	put("skip-me", "not wanted", 10, 0644);
	put("b/empty", "", 0, 0644);
	for (k = 0; k < sizeof(prefixes) / sizeof(prefixes[0]); k++) {
		for (t = 1; t <= 3; t += 2) {
			for (pool = 0; pool <= 1; pool++) {
				memset(&s, 0, sizeof(s));
				s.owner = pthread_self();
				pthread_mutex_init(&s.lock, NULL);
				hook.prefix = prefixes[k];
				hook.arg = &s;
				opt.threads = t;
				opt.scan = &hook;
				entry_list_init(&l);
				if (pool) {
					p = digest_pool_start(rootfd, &opt, &err);
					assert_non_null(p);
				}
				for (i = 0; names[i] != NULL; i++) {
					struct entry *e = add_file(&l, names[i], true);
					if (pool)
						digest_pool_submit(p, i, e);
				}
				if (pool) {
					assert_int_equal(digest_pool_finish(p, &l,
					    &err), 0);
					digest_pool_free(p);
				} else {
					assert_int_equal(digest_entries(&l, rootfd,
					    &opt, &err), 0);
				}
				expect_digest(&l.v[0], "hello\n", 6);
				expect_digest(&l.v[1], big, sizeof(big));
				expect_digest(&l.v[2], big, sizeof(big));
				expect_digest(&l.v[3], "not wanted", 10);
				/* hello.txt, b/big (once: b/link is its alias), b/empty */
				assert_int_equal(s.n, 3);
				expect_seen(&s, "hello.txt", "hello\n", 6, prefixes[k]);
				expect_seen(&s, "b/big", big, sizeof(big),
				    prefixes[k]);
				expect_seen(&s, "b/empty", "", 0, prefixes[k]);
				assert_true(s.started >= 1);
				assert_int_equal(s.started, s.ended);
				assert_int_equal(s.bad_thread, 0);
				pthread_mutex_destroy(&s.lock);
				entry_list_free(&l);
			}
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inline_and_empty, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hardlinks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_no_symlinks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fallback_reads, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_fifo, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_first_error_wins, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_threads_agree, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pool_agrees, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pool_changed_after_submit,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_first_error_wins,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_abandoned, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_large_sparse, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
