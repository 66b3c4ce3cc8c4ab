/*
 * Helper threads on stacks of their own (see worker.h).  glibc keeps the
 * stacks of joined threads for reuse, up to 40 MB of them, and with them
 * every page the threads touched: 72 to 76 KiB per thread measured after
 * a scan of the bench tree, kept for good by a daemon that hashes a tree
 * once and then mostly waits.  A stack mapped here goes back to the
 * system at the join.
 *
 * The size: a hashing thread that also feeds the secret scanner reaches
 * 76 KiB below the top of its stack (glibc puts the thread's TLS blocks
 * there, and PCRE2's JIT matcher takes 32 KiB of the machine stack), 104
 * KiB under ASan, measured on the bench's M tree.  Only the pages a
 * thread touches become resident, so the size is generous.
 */
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "worker.h"

#define WORKER_STACK (1024 * 1024)

static size_t
worker_guard(void)
{
	long pg = sysconf(_SC_PAGESIZE);

	return pg > 0 ? (size_t)pg : 4096;
}

bool
worker_start(struct worker_thread *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr, *ap = NULL;
	size_t guard = worker_guard();
	sigset_t all, old;
	char *stack;

	t->stack = NULL;
	t->started = false;
	/* The lowest page is made inaccessible: an overflow faults there
	 * instead of writing below the stack.  Without the mapping the
	 * thread runs on a stack of glibc's (kept after the join): better
	 * than a thread less. */
	stack = mmap(NULL, guard + WORKER_STACK, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack != MAP_FAILED) {
		if (mprotect(stack, guard, PROT_NONE) == 0 &&
		    pthread_attr_init(&attr) == 0) {
			if (pthread_attr_setstack(&attr, stack + guard,
			    WORKER_STACK) == 0) {
				ap = &attr;
				t->stack = stack;
			} else
				pthread_attr_destroy(&attr);
		}
		if (ap == NULL)
			munmap(stack, guard + WORKER_STACK);
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	t->started = pthread_create(&t->tid, ap, fn, arg) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ap != NULL)
		pthread_attr_destroy(ap);
	if (!t->started && t->stack != NULL) {
		munmap(t->stack, guard + WORKER_STACK);
		t->stack = NULL;
	}
	return t->started;
}

void
worker_join(struct worker_thread *t)
{
	if (t->started)
		pthread_join(t->tid, NULL);
	t->started = false;
	if (t->stack != NULL)
		munmap(t->stack, worker_guard() + WORKER_STACK);
	t->stack = NULL;
}

void
worker_call(void *(*fn)(void *), void *arg)
{
	struct worker_thread t;

	if (worker_start(&t, fn, arg))
		worker_join(&t);
	else
		fn(arg);
}
