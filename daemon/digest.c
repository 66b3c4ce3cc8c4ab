/*
 * SHA-256 of the regular files of an entry list, on a pool of threads that
 * pull work by an atomic index (digest_entries()) or, while a walk is still
 * finding the files, from a queue the walk fills (digest_pool_*).  Each file
 * is opened below the root with no symbolic link followed in any component
 * and streamed through a per-thread buffer; an inode reached by several hard
 * links is read once.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "digest.h"
#include "fsview.h"
#include "manifest.h"
#include "worker.h"

/*
 * 256 KiB: large enough that a big file costs few read(2) calls, small
 * enough to stay in L2 while SHA-256 walks it.  read(2) rather than mmap(2):
 * a file truncated by an editor while it is mapped would raise SIGBUS in
 * the daemon, and with a warm page cache the copy is ~10% of the hash cost.
 */
#define DIGEST_BUFSIZE (256 * 1024)
/* Files at least this big are hashed first (digest_entries()) or as soon
 * as a thread is free (the pool), so no thread is left alone with a large
 * file at the end while the others sit idle. */
#define DIGEST_BIG (1024 * 1024)
#define DIGEST_MAX_THREADS 256
#define DIGEST_PROGRESS_NS 100000000LL

static const unsigned char digest_empty[DIGEST_SIZE] = {
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
	0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
	0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
	0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};

/*
 * Process-wide state set up once: the SHA-256 implementation fetched once
 * (OpenSSL 3 otherwise looks EVP_sha256() up again, under a lock, on every
 * EVP_DigestInit_ex) and whether openat2(2) can be used.  Both live until
 * exit.
 */
static pthread_once_t digest_once = PTHREAD_ONCE_INIT;
static const EVP_MD *digest_md;
static int digest_have_openat2;

struct digest_alias {
	size_t entry, leader;	/* entry indices: entry has leader's inode */
};

struct digest_job {
	struct entry_list *l;
	int rootfd;
	bool unreadable_empty;
	const size_t *work;	/* entry indices to read, big files first */
	size_t nwork;
	atomic_size_t next;	/* next index into work */
	atomic_size_t fail_min;	/* smallest failed entry index, or SIZE_MAX */
	atomic_size_t files_done;
	atomic_uint_fast64_t bytes_done;
	const struct digest_options *opt;
};

struct digest_worker {
	struct digest_job *job;		/* digest_entries() */
	struct digest_pool *pool;	/* or the pool's */
	struct worker_thread th;
	bool progress;		/* the calling thread: reports progress */
	EVP_MD_CTX *ctx;
	unsigned char *buf;
	/* The content reader (digest_options.scan), when it has state for
	 * this thread: its prefix buffer and its state. */
	const struct digest_scan *scan;
	unsigned char *scanbuf;
	void *scan_state;
	size_t fail_idx;	/* entry index of err, or SIZE_MAX */
	struct ctx_error err;
};

static void
digest_init(void)
{
	struct open_how how;
	int fd;

#if OPENSSL_VERSION_MAJOR >= 3
	digest_md = EVP_MD_fetch(NULL, "SHA256", NULL);
#endif
	if (digest_md == NULL)
		digest_md = EVP_sha256();

	/*
	 * Probe openat2 once: ENOSYS on kernels before 5.6, and EPERM under
	 * seccomp profiles that predate it (Docker's default denies unknown
	 * system calls with EPERM), which a per-file call could not tell from
	 * a permission error.
	 */
	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_NO_SYMLINKS;
	fd = (int)syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));
	if (fd >= 0) {
		close(fd);
		digest_have_openat2 = 1;
	}
}

int
digest_bytes(const void *p, size_t n, unsigned char out[DIGEST_SIZE],
    struct ctx_error *err)
{
	pthread_once(&digest_once, digest_init);
	if (EVP_Digest(p, n, out, NULL, digest_md, NULL) != 1)
		return ctx_error_set(err, CTX_ERR_NOMEM, "SHA-256 failed");
	return 0;
}

void
digest_hex(const unsigned char d[DIGEST_SIZE], char out[DIGEST_HEX_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < DIGEST_SIZE; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 0xf];
	}
	out[2 * DIGEST_SIZE] = '\0';
}

/*
 * For kernels without openat2: the directory part is opened the way
 * fsview_open_beneath() opens it (every component O_NOFOLLOW, ".." refused),
 * then the file itself with O_NOFOLLOW, so a symbolic link anywhere fails
 * instead of being followed.
 */
static int
digest_open_walk(int rootfd, const char *path, int flags)
{
	char dir[PATH_MAX];
	const char *base = strrchr(path, '/');
	size_t n;
	int dfd, fd, e;

	if (base == NULL)
		return strcmp(path, "..") == 0 ? (errno = EXDEV, -1) :
		    openat(rootfd, path, flags | O_NOFOLLOW);
	if ((n = (size_t)(base - path)) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	base++;
	if (n == 0 || strcmp(base, "..") == 0) {
		errno = n == 0 ? ENOENT : EXDEV;
		return -1;
	}
	if ((dfd = fsview_open_beneath(rootfd, dir, O_PATH)) < 0)
		return -1;
	fd = openat(dfd, base, flags | O_NOFOLLOW);
	e = errno;
	close(dfd);
	errno = e;
	return fd;
}

static int
digest_open(int rootfd, const char *path)
{
	const int flags = O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
	struct open_how how;
	int fd, tries;

	if (!digest_have_openat2)
		return digest_open_walk(rootfd, path, flags);
	memset(&how, 0, sizeof(how));
	how.flags = flags;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
	    RESOLVE_NO_MAGICLINKS;
	/* EAGAIN: a concurrent rename raced the lookup; the kernel asks us
	 * to try again rather than risk escaping the root. */
	for (tries = 0;; tries++) {
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN || tries == 8)
			return fd;
	}
}

/* A path, escaped and cut to fit, for an error message. */
static void
digest_msgpath(const char *p, size_t len, char *out, size_t outsz)
{
	size_t n = len;

	if (n > (outsz - 1) / 4)
		n = (outsz - 1) / 4;
	out[manifest_escape(out, p, n)] = '\0';
}

static void
digest_set_empty(struct entry *e)
{
	memcpy(e->digest, digest_empty, DIGEST_SIZE);
	e->size = 0;
	e->flags |= ENTRY_EMPTY | ENTRY_DIGESTED;
}

/*
 * Reads the file at path (path_len bytes) below rootfd and hashes it into
 * out; *sizep is the bytes hashed.  *emptyp is set when the file may not be
 * opened and unreadable_empty makes it an empty file.  With tag non-NULL
 * the file's first w->scan->prefix bytes are read into w->scanbuf (in
 * DIGEST_BUFSIZE pieces, each hashed while it is in cache) and handed to
 * the content reader with the digest.  Returns 0 or -1 (err filled).
 * Shared by digest_entries() and the pool, which is why it takes a path
 * and not an entry.
 */
static int
digest_read(struct digest_worker *w, int rootfd, bool unreadable_empty,
    const char *p, size_t path_len, const uint32_t *tag,
    unsigned char out[DIGEST_SIZE], uint64_t *sizep, bool *emptyp,
    struct ctx_error *err)
{
	char path[512];
	struct stat st;
	uint64_t total = 0;
	size_t prefix = 0, want;
	unsigned char *dst;
	ssize_t n;
	int fd, eno;

	*emptyp = false;
	/* A NUL inside the path would make the kernel open a prefix of it;
	 * no file name holds one, so such an entry is not from a walk. */
	if (memchr(p, '\0', path_len) != NULL) {
		digest_msgpath(p, path_len, path, sizeof(path));
		return ctx_error_sys(err, EINVAL, "%s", path);
	}
	fd = digest_open(rootfd, p);
	if (fd < 0) {
		eno = errno;
		/* Docker's rule for a file it may not read (Go's
		 * os.IsPermission: EACCES or EPERM): BuildKit sends it
		 * empty, the classic builder's ValidateContextDirectory
		 * refuses the context with this message. */
		if (eno == EACCES || eno == EPERM) {
			if (unreadable_empty) {
				memcpy(out, digest_empty, DIGEST_SIZE);
				*sizep = 0;
				*emptyp = true;
				return 0;
			}
			digest_msgpath(p, path_len, path, sizeof(path));
			return ctx_error_set(err, CTX_ERR_CONTEXT,
			    "no permission to read from '%s'", path);
		}
		digest_msgpath(p, path_len, path, sizeof(path));
		return ctx_error_sys(err, eno, "%s", path);
	}
	if (fstat(fd, &st) == -1) {
		eno = errno;
		close(fd);
		digest_msgpath(p, path_len, path, sizeof(path));
		return ctx_error_sys(err, eno, "%s", path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		digest_msgpath(p, path_len, path, sizeof(path));
		return ctx_error_set(err, CTX_ERR_CONTEXT,
		    "%s: no longer a regular file", path);
	}
	if (EVP_DigestInit_ex(w->ctx, digest_md, NULL) != 1) {
		close(fd);
		return ctx_error_set(err, CTX_ERR_NOMEM, "SHA-256 failed");
	}
	if (tag != NULL && w->scan_state != NULL)
		prefix = w->scan->prefix;
	for (;;) {
		dst = w->buf;
		want = DIGEST_BUFSIZE;
		if (total < prefix) {
			dst = w->scanbuf + total;
			if (want > prefix - total)
				want = prefix - (size_t)total;
		}
		n = read(fd, dst, want);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			eno = errno;
			close(fd);
			digest_msgpath(p, path_len, path, sizeof(path));
			return ctx_error_sys(err, eno, "%s", path);
		}
		EVP_DigestUpdate(w->ctx, dst, (size_t)n);
		total += (uint64_t)n;
		/* A short read of a regular file is its end at that moment;
		 * once fstat's size is reached, trust it rather than pay
		 * one more read(2) per file (most files fit one buffer).
		 * A file growing meanwhile is caught by the next scan. */
		if ((size_t)n < want && total >= (uint64_t)st.st_size)
			break;
	}
	close(fd);
	if (EVP_DigestFinal_ex(w->ctx, out, NULL) != 1)
		return ctx_error_set(err, CTX_ERR_NOMEM, "SHA-256 failed");
	*sizep = total;
	if (prefix > 0)
		w->scan->file(w->scan->arg, w->scan_state, *tag, out, w->scanbuf,
		    total < prefix ? (size_t)total : prefix);
	return 0;
}

/* Reads the file of e and hashes it.  Returns 0 or -1 (err filled). */
static int
digest_file(struct digest_worker *w, struct entry *e, struct ctx_error *err)
{
	struct digest_job *job = w->job;
	uint64_t size;
	uint32_t tag;
	bool empty, scan;

	scan = w->scan_state != NULL && w->scan->want(w->scan->arg, e, &tag);
	if (digest_read(w, job->rootfd, job->unreadable_empty, e->path,
	    e->path_len, scan ? &tag : NULL, e->digest, &size, &empty,
	    err) == -1)
		return -1;
	if (empty) {
		digest_set_empty(e);
		return 0;
	}
	e->size = size;
	e->flags |= ENTRY_DIGESTED;
	atomic_fetch_add_explicit(&job->bytes_done, size,
	    memory_order_relaxed);
	return 0;
}

static long long
digest_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
digest_report(struct digest_job *job)
{
	job->opt->progress(job->opt->progress_arg,
	    atomic_load_explicit(&job->files_done, memory_order_relaxed),
	    job->nwork,
	    atomic_load_explicit(&job->bytes_done, memory_order_relaxed));
}

/* Lowers job->fail_min to idx unless it is already lower. */
static void
digest_fail_at(struct digest_job *job, size_t idx)
{
	size_t cur = atomic_load(&job->fail_min);

	while (idx < cur &&
	    !atomic_compare_exchange_weak(&job->fail_min, &cur, idx))
		;
}

static void *
digest_work(void *arg)
{
	struct digest_worker *w = arg;
	struct digest_job *job = w->job;
	struct ctx_error e;
	long long last = 0;
	size_t k, idx;

	if (w->progress)
		last = digest_now_ns();
	for (;;) {
		k = atomic_fetch_add_explicit(&job->next, 1,
		    memory_order_relaxed);
		if (k >= job->nwork)
			break;
		idx = job->work[k];
		/* Past a failure only entries of smaller index still
		 * matter: they decide which error is reported. */
		if (idx > atomic_load_explicit(&job->fail_min,
		    memory_order_relaxed))
			continue;
		if (digest_file(w, &job->l->v[idx], &e) == -1) {
			if (idx < w->fail_idx) {
				w->fail_idx = idx;
				w->err = e;
				digest_fail_at(job, idx);
			}
			continue;
		}
		atomic_fetch_add_explicit(&job->files_done, 1,
		    memory_order_relaxed);
		if (w->progress) {
			long long now = digest_now_ns();

			if (now - last >= DIGEST_PROGRESS_NS) {
				last = now;
				digest_report(job);
			}
		}
	}
	return NULL;
}

static int
digest_worker_init(struct digest_worker *w, struct digest_job *job,
    const struct digest_scan *scan, struct ctx_error *err)
{
	memset(w, 0, sizeof(*w));
	w->job = job;
	w->fail_idx = SIZE_MAX;
	w->ctx = EVP_MD_CTX_new();
	w->buf = malloc(DIGEST_BUFSIZE);
	if (w->ctx == NULL || w->buf == NULL) {
		EVP_MD_CTX_free(w->ctx);
		free(w->buf);
		w->ctx = NULL;
		w->buf = NULL;
		return ctx_error_nomem(err);
	}
	/* Without memory for the content reader this thread only hashes:
	 * the reader copes with files it was not handed. */
	if (scan != NULL && scan->prefix > 0 &&
	    (w->scanbuf = malloc(scan->prefix)) != NULL) {
		w->scan = scan;
		if ((w->scan_state = scan->thread_start(scan->arg)) == NULL) {
			free(w->scanbuf);
			w->scanbuf = NULL;
		}
	}
	return 0;
}

/* On the owner's thread, after the worker's thread (if any) has ended. */
static void
digest_worker_fini(struct digest_worker *w)
{
	if (w->scan_state != NULL)
		w->scan->thread_end(w->scan->arg, w->scan_state);
	w->scan_state = NULL;
	free(w->scanbuf);
	w->scanbuf = NULL;
	EVP_MD_CTX_free(w->ctx);
	free(w->buf);
}

struct digest_slot {
	dev_t dev;
	ino_t ino;
	size_t idx;		/* SIZE_MAX: free */
};

static size_t
digest_slot_hash(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ULL ^
	    (uint64_t)dev * 0xc2b2ae3d27d4eb4fULL;

	return (size_t)(h ^ (h >> 29));
}

static int
digest_cmp_big(const void *a, const void *b, void *arg)
{
	const struct entry *v = arg;
	uint64_t x = v[*(const size_t *)a].size, y = v[*(const size_t *)b].size;

	return (x < y) - (x > y);
}

/*
 * Chooses what the threads read: every undigested file that is neither
 * inline nor empty, one entry per inode (the smallest index, so that its
 * error is the one reported), big files first.  The other links of an inode
 * go to *aliases.  Inline and empty entries are hashed here and now.
 */
static int
digest_plan(struct entry_list *l, size_t **workp, size_t *nworkp,
    struct digest_alias **aliasp, size_t *naliasp, struct ctx_error *err)
{
	struct digest_slot *tab = NULL;
	struct digest_alias *alias = NULL;
	size_t *work, nwork = 0, nbig = 0, nalias = 0, calias = 0;
	size_t i, j, mask = 0, nslots, nread = 0;

	*workp = NULL;
	*aliasp = NULL;
	*nworkp = *naliasp = 0;
	/* Sized by the files to read, not by the list: after a pool
	 * (digest_pool_finish()) usually none are left. */
	for (i = 0; i < l->n; i++)
		if (l->v[i].type == ENTRY_FILE && !(l->v[i].flags &
		    (ENTRY_DIGESTED | ENTRY_INLINE | ENTRY_EMPTY)))
			nread++;
	work = malloc((nread ? nread : 1) * sizeof(*work));
	if (work == NULL)
		return ctx_error_nomem(err);
	for (nslots = 16; nslots < 2 * nread; nslots *= 2)
		;
	tab = malloc(nslots * sizeof(*tab));
	if (tab == NULL) {
		free(work);
		return ctx_error_nomem(err);
	}
	mask = nslots - 1;
	for (j = 0; j < nslots; j++)
		tab[j].idx = SIZE_MAX;

	for (i = 0; i < l->n; i++) {
		struct entry *e = &l->v[i];

		if (e->type != ENTRY_FILE || (e->flags & ENTRY_DIGESTED))
			continue;
		if (e->flags & ENTRY_INLINE) {
			if (digest_bytes(e->content, e->content_len,
			    e->digest, err) == -1)
				goto fail;
			e->size = e->content_len;
			e->flags |= ENTRY_DIGESTED;
			continue;
		}
		if (e->flags & ENTRY_EMPTY) {
			digest_set_empty(e);
			continue;
		}
		if (e->dev != 0 && e->ino != 0) {
			for (j = digest_slot_hash(e->dev, e->ino) & mask;
			    tab[j].idx != SIZE_MAX; j = (j + 1) & mask)
				if (tab[j].dev == e->dev && tab[j].ino == e->ino)
					break;
			if (tab[j].idx != SIZE_MAX) {
				if (nalias == calias) {
					size_t c = calias ? 2 * calias : 64;
					struct digest_alias *a = realloc(alias,
					    c * sizeof(*a));

					if (a == NULL) {
						ctx_error_nomem(err);
						goto fail;
					}
					alias = a;
					calias = c;
				}
				alias[nalias].entry = i;
				alias[nalias++].leader = tab[j].idx;
				continue;
			}
			tab[j].dev = e->dev;
			tab[j].ino = e->ino;
			tab[j].idx = i;
		}
		work[nwork++] = i;
	}
	free(tab);
	tab = NULL;

	/* Big files to the front, largest first; the rest keep index
	 * order, which keeps the reads of one directory together. */
	for (i = 0; i < nwork; i++)
		if (l->v[work[i]].size >= DIGEST_BIG)
			nbig++;
	if (nbig > 0 && nbig < nwork) {
		size_t *tmp = malloc(nwork * sizeof(*tmp));
		size_t b = 0, s = nbig;

		if (tmp == NULL) {
			ctx_error_nomem(err);
			goto fail;
		}
		for (i = 0; i < nwork; i++)
			tmp[l->v[work[i]].size >= DIGEST_BIG ? b++ : s++] =
			    work[i];
		free(work);
		work = tmp;
	}
	if (nbig > 1)
		qsort_r(work, nbig, sizeof(*work), digest_cmp_big, l->v);
	*workp = work;
	*nworkp = nwork;
	*aliasp = alias;
	*naliasp = nalias;
	return 0;
fail:
	free(tab);
	free(work);
	free(alias);
	return -1;
}

int
digest_entries(struct entry_list *l, int rootfd,
    const struct digest_options *opt, struct ctx_error *err)
{
	static const struct digest_options defaults;
	struct digest_job job;
	struct digest_worker *w = NULL;
	struct digest_alias *alias = NULL;
	size_t *work = NULL, nwork, nalias, i, best;
	unsigned nthreads, started;
	long ncpu;
	int rc = -1;

	if (opt == NULL)
		opt = &defaults;
	pthread_once(&digest_once, digest_init);
	if (digest_plan(l, &work, &nwork, &alias, &nalias, err) == -1)
		return -1;
	if (nwork == 0) {
		/* nothing to read, hence no aliases either */
		free(work);
		free(alias);
		if (opt->progress != NULL)
			opt->progress(opt->progress_arg, 0, 0, 0);
		return 0;
	}

	nthreads = opt->threads;
	if (nthreads == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	if (nthreads > DIGEST_MAX_THREADS)
		nthreads = DIGEST_MAX_THREADS;
	if (nthreads > nwork)
		nthreads = (unsigned)nwork;

	memset(&job, 0, sizeof(job));
	job.l = l;
	job.rootfd = rootfd;
	job.unreadable_empty = opt->unreadable_empty;
	job.work = work;
	job.nwork = nwork;
	job.opt = opt;
	atomic_init(&job.next, 0);
	atomic_init(&job.fail_min, SIZE_MAX);
	atomic_init(&job.files_done, 0);
	atomic_init(&job.bytes_done, 0);

	w = calloc(nthreads, sizeof(*w));
	if (w == NULL) {
		ctx_error_nomem(err);
		goto out;
	}
	for (started = 0; started < nthreads; started++)
		if (digest_worker_init(&w[started], &job, opt->scan,
		    err) == -1)
			break;
	if (started == 0)
		goto out;
	nthreads = started;	/* fewer buffers, fewer threads */
	w[0].progress = opt->progress != NULL;

	for (i = 1; i < nthreads; i++)
		worker_start(&w[i].th, digest_work, &w[i]);
	/* A thread that could not start just leaves its share to the
	 * others; the calling thread always works. */
	digest_work(&w[0]);
	for (i = 1; i < nthreads; i++)
		worker_join(&w[i].th);
	if (opt->progress != NULL)
		digest_report(&job);

	for (i = 0; i < nalias; i++) {
		const struct entry *src = &l->v[alias[i].leader];
		struct entry *dst = &l->v[alias[i].entry];

		if (!(src->flags & ENTRY_DIGESTED))
			continue;
		memcpy(dst->digest, src->digest, DIGEST_SIZE);
		dst->size = src->size;
		dst->flags |= ENTRY_DIGESTED | (src->flags & ENTRY_EMPTY);
	}

	best = 0;
	for (i = 1; i < nthreads; i++)
		if (w[i].fail_idx < w[best].fail_idx)
			best = i;
	if (w[best].fail_idx != SIZE_MAX) {
		if (err != NULL)
			*err = w[best].err;
		goto out;
	}
	rc = 0;
out:
	if (w != NULL) {
		for (i = 0; i < nthreads; i++)
			digest_worker_fini(&w[i]);
		free(w);
	}
	free(work);
	free(alias);
	return rc;
}

/*
 * The pool: the walk (one thread) submits each regular file as it appends
 * it; threads hash from two FIFO queues, big files first, so that a big file
 * found late still starts as soon as a thread is free (SHA-256 cannot split
 * one file between threads).  Jobs live in chunks that never move, because
 * the entry array reallocs while the walk grows it, and each job has its own
 * copy of the path.  The pool decides nothing for good: digest_pool_finish()
 * applies a result only to an entry that is still a file to read, and hands
 * everything else to digest_entries(), so the answer is by construction the
 * one digest_entries() gives for the final list.
 *
 * The chunks, the path blocks and the inode table are mapped with mmap(2),
 * not malloc'ed: they live only while the walk runs, and in the heap they
 * would sit between the tree's allocations that outlive the walk, whose
 * pages then stay resident when the walk's memory is freed (1.7 MB of
 * chunks and paths on the bench's M tree left ~80 kB resident).
 */
#define DIGEST_CHUNK 256		/* jobs per chunk */
#define DIGEST_ARENA (64 * 1024)	/* bytes per block of path copies */

enum {
	DIGEST_JOB_PENDING,	/* not read, or skipped past a failure */
	DIGEST_JOB_DONE,
	DIGEST_JOB_EMPTY,	/* refused, and unreadable_empty: empty */
	DIGEST_JOB_FAILED,	/* left to digest_entries() for its message */
};

struct digest_pool_job {
	size_t idx;		/* entry index */
	const char *path;	/* NUL-terminated, in the pool's arena */
	size_t path_len;
	dev_t dev;
	ino_t ino;
	uint64_t size;		/* st_size at submission, then bytes hashed */
	unsigned char digest[DIGEST_SIZE];
	unsigned char state;	/* DIGEST_JOB_*; read by the owner after join */
	bool scan;		/* hand the content to the reader, with: */
	uint32_t scan_tag;
};

struct digest_chunk {
	struct digest_chunk *next;
	size_t n;		/* jobs published; under the pool's lock */
	struct digest_pool_job job[DIGEST_CHUNK];
};

struct digest_queue {
	struct digest_chunk *head, *tail;
	struct digest_chunk *take;	/* next job: take->job[pos] */
	size_t pos;
};

struct digest_arena {
	struct digest_arena *next;
	size_t used, size;
	char buf[];
};

struct digest_pool_slot {
	dev_t dev;
	ino_t ino;
	struct digest_pool_job *job;	/* NULL: free */
};

struct digest_pool_alias {
	size_t idx;			/* entry index ... */
	const struct digest_pool_job *leader;	/* ... with leader's inode */
};

struct digest_pool {
	int rootfd;
	bool unreadable_empty;
	unsigned threads;		/* for the fallback digest_entries() */
	const struct digest_scan *scan;	/* the content reader, or NULL */
	bool (*known)(void *arg, struct entry *e);	/* or NULL */
	void *known_arg;

	/* Shared with the threads: */
	pthread_mutex_t lock;
	pthread_cond_t more;		/* a job was queued, or the end */
	struct digest_queue big, small;	/* under lock */
	unsigned nwaiting;		/* threads asleep on more */
	bool closed;			/* no more jobs: drain and exit */
	bool cancelled;			/* exit now */
	atomic_size_t fail_min;		/* smallest failed entry index */

	/* The owner's thread only: */
	struct digest_worker *w;	/* the threads */
	unsigned nw;
	bool finished, broken;		/* broken: a submission ran out of memory */
	struct digest_arena *arena;
	struct digest_pool_slot *tab;	/* inodes seen, open addressing */
	size_t tabmask, tabused;
	struct digest_pool_alias *alias;
	size_t nalias, calias;
};

/* Anonymous pages straight from the kernel, zeroed, or NULL. */
static void *
digest_map(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static struct digest_pool_job *
digest_queue_pop(struct digest_queue *q)
{
	if (q->take == NULL)
		return NULL;
	if (q->pos == DIGEST_CHUNK && q->take->next != NULL) {
		q->take = q->take->next;
		q->pos = 0;
	}
	if (q->pos == q->take->n)
		return NULL;
	return &q->take->job[q->pos++];
}

/* Takes the next job, big files first, sleeping while the queues are empty
 * and the pool open; NULL once there is no more work. */
static struct digest_pool_job *
digest_pool_take(struct digest_pool *p)
{
	struct digest_pool_job *j = NULL;

	pthread_mutex_lock(&p->lock);
	while (!p->cancelled) {
		if ((j = digest_queue_pop(&p->big)) != NULL ||
		    (j = digest_queue_pop(&p->small)) != NULL)
			break;
		if (p->closed)
			break;
		p->nwaiting++;
		pthread_cond_wait(&p->more, &p->lock);
		p->nwaiting--;
	}
	pthread_mutex_unlock(&p->lock);
	return j;
}

static void *
digest_pool_thread(void *arg)
{
	struct digest_worker *w = arg;
	struct digest_pool *p = w->pool;
	struct digest_pool_job *j;
	struct ctx_error e;
	size_t cur;
	bool empty;

	while ((j = digest_pool_take(p)) != NULL) {
		/* Past a failure only smaller indices decide the error;
		 * what is skipped here digest_entries() reads if needed. */
		if (j->idx > atomic_load_explicit(&p->fail_min,
		    memory_order_relaxed))
			continue;
		if (digest_read(w, p->rootfd, p->unreadable_empty, j->path,
		    j->path_len, j->scan ? &j->scan_tag : NULL, j->digest,
		    &j->size, &empty, &e) == 0) {
			j->state = empty ? DIGEST_JOB_EMPTY : DIGEST_JOB_DONE;
			continue;
		}
		j->state = DIGEST_JOB_FAILED;
		cur = atomic_load(&p->fail_min);
		while (j->idx < cur &&
		    !atomic_compare_exchange_weak(&p->fail_min, &cur, j->idx))
			;
	}
	return NULL;
}

struct digest_pool *
digest_pool_start(int rootfd, const struct digest_options *opt,
    struct ctx_error *err)
{
	struct digest_pool *p;
	unsigned nthreads, i;
	long ncpu;

	pthread_once(&digest_once, digest_init);
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		ctx_error_nomem(err);
		return NULL;
	}
	p->rootfd = rootfd;
	p->unreadable_empty = opt != NULL && opt->unreadable_empty;
	if (opt != NULL) {
		p->known = opt->known;
		p->known_arg = opt->known_arg;
	}
	nthreads = opt != NULL ? opt->threads : 0;
	if (nthreads == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	if (nthreads > DIGEST_MAX_THREADS)
		nthreads = DIGEST_MAX_THREADS;
	p->threads = nthreads;
	p->scan = opt != NULL ? opt->scan : NULL;
	atomic_init(&p->fail_min, SIZE_MAX);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->more, NULL);
	/*
	 * nthreads threads hash while the owner walks, one more than the
	 * cores during the walk.  Measured on 2 cores against nthreads - 1
	 * threads and the owner joining them after the walk: the same on
	 * the M and L bench trees, 12% faster on S (28 MB, a 6 ms walk),
	 * where perf stat saw 1.7 cores busy instead of 1.4 for the same
	 * CPU time.
	 */
	if ((p->w = calloc(nthreads, sizeof(*p->w))) == NULL) {
		ctx_error_nomem(err);
		digest_pool_free(p);
		return NULL;
	}
	for (i = 0; i < nthreads; i++) {
		if (digest_worker_init(&p->w[i], NULL, p->scan, err) == -1) {
			digest_pool_free(p);
			return NULL;
		}
		p->w[i].pool = p;
		p->nw++;
	}
	for (i = 0; i < p->nw; i++)
		worker_start(&p->w[i].th, digest_pool_thread, &p->w[i]);
	/* A thread that could not start leaves its share to the others,
	 * and with none, digest_pool_finish() reads everything itself. */
	return p;
}

/* Ends the threads: after the queued work (finish) or at once (free). */
static void
digest_pool_stop(struct digest_pool *p, bool cancel)
{
	unsigned i;

	pthread_mutex_lock(&p->lock);
	p->closed = true;
	p->cancelled = p->cancelled || cancel;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nw; i++)
		worker_join(&p->w[i].th);
}

/* A copy of path[0..len) in the arena, or NULL. */
static const char *
digest_pool_strdup(struct digest_pool *p, const char *path, size_t len)
{
	struct digest_arena *a = p->arena;
	char *s;

	if (a == NULL || a->size - a->used < len + 1) {
		size_t size = len + 1 > DIGEST_ARENA ? len + 1 : DIGEST_ARENA;

		if ((a = digest_map(sizeof(*a) + size)) == NULL)
			return NULL;
		a->next = p->arena;
		a->used = 0;
		a->size = size;
		p->arena = a;
	}
	s = a->buf + a->used;
	memcpy(s, path, len);
	s[len] = '\0';
	a->used += len + 1;
	return s;
}

/* The slot of (dev, ino): its job, or the free slot to claim for it. */
static struct digest_pool_slot *
digest_pool_slot(struct digest_pool *p, dev_t dev, ino_t ino)
{
	size_t j;

	for (j = digest_slot_hash(dev, ino) & p->tabmask; p->tab[j].job != NULL;
	    j = (j + 1) & p->tabmask)
		if (p->tab[j].dev == dev && p->tab[j].ino == ino)
			break;
	return &p->tab[j];
}

/* Keeps the inode table at most half full.  Returns 0 or -1. */
static int
digest_pool_grow(struct digest_pool *p)
{
	struct digest_pool_slot *old = p->tab, *s;
	size_t oldn = p->tab ? p->tabmask + 1 : 0, n, i;

	if (2 * (p->tabused + 1) <= oldn)
		return 0;
	n = oldn ? 2 * oldn : 1024;
	if ((p->tab = digest_map(n * sizeof(*p->tab))) == NULL) {
		p->tab = old;
		return -1;
	}
	p->tabmask = n - 1;
	for (i = 0; i < oldn; i++) {
		if (old[i].job == NULL)
			continue;
		s = digest_pool_slot(p, old[i].dev, old[i].ino);
		*s = old[i];
	}
	if (old != NULL)
		munmap(old, oldn * sizeof(*old));
	return 0;
}

/* Records that entry idx has the inode of leader.  Returns 0 or -1. */
static int
digest_pool_add_alias(struct digest_pool *p, size_t idx,
    const struct digest_pool_job *leader)
{
	if (p->nalias == p->calias) {
		size_t c = p->calias ? 2 * p->calias : 64;
		struct digest_pool_alias *a = realloc(p->alias, c * sizeof(*a));

		if (a == NULL)
			return -1;
		p->alias = a;
		p->calias = c;
	}
	p->alias[p->nalias].idx = idx;
	p->alias[p->nalias++].leader = leader;
	return 0;
}

/* The next free job of q, in a new chunk if needed (linked when
 * published), or NULL. */
static struct digest_pool_job *
digest_queue_slot(struct digest_queue *q, struct digest_chunk **fresh)
{
	*fresh = NULL;
	if (q->tail != NULL && q->tail->n < DIGEST_CHUNK)
		return &q->tail->job[q->tail->n];
	if ((*fresh = digest_map(sizeof(**fresh))) == NULL)
		return NULL;
	(*fresh)->next = NULL;
	(*fresh)->n = 0;
	return &(*fresh)->job[0];
}

void
digest_pool_submit(struct digest_pool *p, size_t idx, struct entry *e)
{
	struct digest_queue *q;
	struct digest_chunk *fresh;
	struct digest_pool_job *j;
	struct digest_pool_slot *s = NULL;

	if (p == NULL || p->finished || p->broken || e->type != ENTRY_FILE ||
	    (e->flags & (ENTRY_INLINE | ENTRY_EMPTY | ENTRY_DIGESTED)) ||
	    (p->known != NULL && p->known(p->known_arg, e)))
		return;
	if (e->dev != 0 && e->ino != 0) {
		if (digest_pool_grow(p) == -1)
			goto broken;
		s = digest_pool_slot(p, e->dev, e->ino);
		if (s->job != NULL) {
			/* Submissions come in index order: the leader
			 * has the smallest index, as in digest_plan(). */
			if (digest_pool_add_alias(p, idx, s->job) == -1)
				goto broken;
			return;
		}
	}
	q = e->size >= DIGEST_BIG ? &p->big : &p->small;
	if ((j = digest_queue_slot(q, &fresh)) == NULL)
		goto broken;
	if ((j->path = digest_pool_strdup(p, e->path, e->path_len)) == NULL) {
		if (fresh != NULL)
			munmap(fresh, sizeof(*fresh));
		goto broken;
	}
	j->idx = idx;
	j->path_len = e->path_len;
	j->dev = e->dev;
	j->ino = e->ino;
	j->size = e->size;
	j->state = DIGEST_JOB_PENDING;
	j->scan = p->scan != NULL && p->scan->want(p->scan->arg, e,
	    &j->scan_tag);
	if (s != NULL) {
		s->dev = e->dev;
		s->ino = e->ino;
		s->job = j;
		p->tabused++;
	}
	/* The job is written before the lock that publishes it. */
	pthread_mutex_lock(&p->lock);
	if (fresh != NULL) {
		if (q->tail != NULL)
			q->tail->next = fresh;
		else
			q->head = fresh;
		q->tail = fresh;
		if (q->take == NULL)
			q->take = fresh;
	}
	q->tail->n++;
	if (p->nwaiting > 0)
		pthread_cond_signal(&p->more);
	pthread_mutex_unlock(&p->lock);
	return;
broken:
	/* Out of memory: this file and every later one are left to
	 * digest_pool_finish()'s digest_entries(). */
	p->broken = true;
}

/* Entries that still want their file's content, and have none yet. */
static bool
digest_pool_wants(const struct entry *e)
{
	return e->type == ENTRY_FILE && !(e->flags & (ENTRY_INLINE |
	    ENTRY_EMPTY | ENTRY_DIGESTED));
}

static void
digest_pool_apply(struct entry *e, const struct digest_pool_job *j)
{
	memcpy(e->digest, j->digest, DIGEST_SIZE);
	e->size = j->size;
	e->flags |= ENTRY_DIGESTED;
	if (j->state == DIGEST_JOB_EMPTY)
		e->flags |= ENTRY_EMPTY;
}

static void
digest_pool_apply_queue(const struct digest_queue *q, struct entry_list *l)
{
	const struct digest_chunk *c;
	const struct digest_pool_job *j;
	struct entry *e;
	size_t k;

	for (c = q->head; c != NULL; c = c->next) {
		for (k = 0; k < c->n; k++) {
			j = &c->job[k];
			if ((j->state != DIGEST_JOB_DONE &&
			    j->state != DIGEST_JOB_EMPTY) || j->idx >= l->n)
				continue;
			e = &l->v[j->idx];
			/* The same entry, still a file to read (the
			 * classic builder makes .dockerignore inline after
			 * the walk, BuildKit's link pass may make a file
			 * empty). */
			if (!digest_pool_wants(e) || e->path_len != j->path_len ||
			    memcmp(e->path, j->path, j->path_len) != 0)
				continue;
			digest_pool_apply(e, j);
		}
	}
}

int
digest_pool_finish(struct digest_pool *p, struct entry_list *l,
    struct ctx_error *err)
{
	struct digest_options fo;
	const struct digest_pool_job *j;
	struct entry *e;
	size_t i;

	if (p->finished)
		return ctx_error_set(err, CTX_ERR_USAGE,
		    "digest pool already finished");
	p->finished = true;
	digest_pool_stop(p, false);
	digest_pool_apply_queue(&p->big, l);
	digest_pool_apply_queue(&p->small, l);
	/* A link shares its leader's content even when the leader's own
	 * entry no longer wants it: the inode was read all the same. */
	for (i = 0; i < p->nalias; i++) {
		j = p->alias[i].leader;
		if (p->alias[i].idx >= l->n || (j->state != DIGEST_JOB_DONE &&
		    j->state != DIGEST_JOB_EMPTY))
			continue;
		e = &l->v[p->alias[i].idx];
		if (digest_pool_wants(e) && e->dev == j->dev && e->ino == j->ino)
			digest_pool_apply(e, j);
	}
	/* Inline and empty entries, failures (for their messages and the
	 * smallest index) and whatever the pool never got. */
	memset(&fo, 0, sizeof(fo));
	fo.threads = p->threads;
	fo.unreadable_empty = p->unreadable_empty;
	fo.scan = p->scan;
	return digest_entries(l, p->rootfd, &fo, err);
}

static void
digest_queue_free(struct digest_queue *q)
{
	struct digest_chunk *c, *next;

	for (c = q->head; c != NULL; c = next) {
		next = c->next;
		munmap(c, sizeof(*c));
	}
}

void
digest_pool_free(struct digest_pool *p)
{
	struct digest_arena *a, *next;
	unsigned i;

	if (p == NULL)
		return;
	digest_pool_stop(p, true);
	for (i = 0; i < p->nw; i++)
		digest_worker_fini(&p->w[i]);
	free(p->w);
	digest_queue_free(&p->big);
	digest_queue_free(&p->small);
	for (a = p->arena; a != NULL; a = next) {
		next = a->next;
		munmap(a, sizeof(*a) + a->size);
	}
	if (p->tab != NULL)
		munmap(p->tab, (p->tabmask + 1) * sizeof(*p->tab));
	free(p->alias);
	pthread_cond_destroy(&p->more);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
