/*
 * The one error idiom of ctxd: functions return 0 or -1 and, on -1, fill a
 * caller-provided struct ctx_error with a code, the errno (if any) and one
 * human-readable line naming the offending file, line, pattern or path.
 * The struct is plain data: nothing to free.
 */
#ifndef CTXD_ERROR_H
#define CTXD_ERROR_H

enum ctx_errcode {
	CTX_OK = 0,
	CTX_ERR_SYS,		/* a system call failed; sys_errno says why */
	CTX_ERR_NOMEM,		/* allocation failed */
	CTX_ERR_PATTERN,	/* a .dockerignore pattern docker refuses */
	CTX_ERR_IGNOREFILE,	/* the ignore file cannot be read as docker reads it */
	CTX_ERR_DOCKERFILE,	/* Dockerfile missing, unreadable or unparsable */
	CTX_ERR_CONTEXT,	/* docker would refuse to send this context */
	CTX_ERR_USAGE,		/* bad arguments */
};

struct ctx_error {
	int code;		/* enum ctx_errcode */
	int sys_errno;		/* errno when code is CTX_ERR_SYS, else 0 */
	char msg[1024];		/* one line, no trailing newline */
};

/* Sets err (if not NULL) and returns -1, so callers can `return ctx_error_set(...)`. */
int ctx_error_set(struct ctx_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like ctx_error_set with CTX_ERR_SYS, appending ": strerror(errnum)". */
int ctx_error_sys(struct ctx_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Shorthand for an allocation failure. */
int ctx_error_nomem(struct ctx_error *err);

#endif
