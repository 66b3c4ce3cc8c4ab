/*
 * Go's encoding/csv Reader.Read of one record, as BuildKit reads a
 * `RUN --mount=type=...,source=...` value.
 *
 * Ownership: on success *fields and each of its *nfields strings are
 * malloc'ed and the caller's (free() each, then the array).
 */
#ifndef CTXD_GOCSV_H
#define CTXD_GOCSV_H

#include <stddef.h>

/* The fields of the record s; -1 (and *fields NULL) when csv refuses it (a
 * bare or unbalanced quote, an empty record) or allocation failed. */
int	gocsv_read_record(const char *s, char ***fields, size_t *nfields);

#endif
