/* Helpers shared by the cmocka unit tests: cmocka's headers in the order it needs. */
#ifndef CTXD_TESTUTIL_H
#define CTXD_TESTUTIL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#endif
