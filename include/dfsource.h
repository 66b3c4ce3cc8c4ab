/*
 * What a Dockerfile source names, by its text alone (see dfsource.c).
 * Pure functions of their argument.
 */
#ifndef CTXD_DFSOURCE_H
#define CTXD_DFSOURCE_H

#include <stdbool.h>

/* http:// or https:// */
bool dfsource_is_http(const char *s);
/* A git repository as dfgitutil.ParseGitRef sees one (rule 4.1). */
bool dfsource_is_git(const char *s);
/* NULL when s is a valid image reference, else why not. */
const char *dfsource_ref_check(const char *s);

#endif
