/* The error struct filler shared by every module (see error.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

int
ctx_error_set(struct ctx_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->code = code;
	err->sys_errno = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
ctx_error_sys(struct ctx_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (err == NULL)
		return -1;
	err->code = CTX_ERR_SYS;
	err->sys_errno = errnum;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(errnum));
	return -1;
}

int
ctx_error_nomem(struct ctx_error *err)
{
	return ctx_error_set(err, CTX_ERR_NOMEM, "out of memory");
}
