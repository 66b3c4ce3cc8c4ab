/*
 * Go's unicode.IsLetter and unicode.IsDigit over a generated Unicode 14
 * table (unicode.IsSpace is gopath_is_space).
 * Ownership: nothing here allocates.
 */
#ifndef CTXD_GOUNICODE_H
#define CTXD_GOUNICODE_H

#include <stdbool.h>
#include <stdint.h>

/* unicode.IsLetter: general category L*. */
bool gounicode_is_letter(uint32_t r);

/* unicode.IsDigit: general category Nd. */
bool gounicode_is_digit(uint32_t r);

#endif
