/*
 * The daemon's one log vocabulary (OpenBSD ntpd style), to stderr:
 * log_warn() appends strerror(errno), log_warnx() does not; fatal() and
 * fatalx() are for start-up and broken invariants only, never for what a
 * client sent.  Under systemd (JOURNAL_STREAM set) lines carry sd-daemon(3)
 * priority prefixes instead of the program name.
 */
#ifndef CTXD_LOG_H
#define CTXD_LOG_H

#include <stdbool.h>

void log_init(const char *progname, bool verbose);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
