/*
 * Short-lived helper threads (the hashing and scanning pools) on stacks
 * mapped for them and unmapped when they are joined, so that a daemon
 * that ran them once keeps none of their memory.  A thread takes no
 * signals: the daemon handles its own in its main thread.
 */
#ifndef CTXD_WORKER_H
#define CTXD_WORKER_H

#include <pthread.h>
#include <stdbool.h>

struct worker_thread {
	pthread_t tid;
	void *stack;		/* mapped by worker_start(), or NULL */
	bool started;
};

/* Runs fn(arg) on a new thread.  false when no thread could be made (the
 * caller then does the work itself). */
bool worker_start(struct worker_thread *t, void *(*fn)(void *), void *arg);
/* Waits for the thread, if it was started, and frees its stack. */
void worker_join(struct worker_thread *t);

/*
 * Runs fn(arg) on a new thread and waits for it (on the calling thread when
 * none can be made).  For work that frees many small blocks: glibc keeps
 * some of each size a thread frees in that thread's cache, where
 * malloc_trim() cannot reach them and each keeps its page resident; a
 * thread's cache goes back to the heap when the thread ends.
 */
void worker_call(void *(*fn)(void *), void *arg);

#endif
