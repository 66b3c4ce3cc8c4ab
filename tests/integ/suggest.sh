#!/usr/bin/env bash
# ctxctl suggest and fix on at least 20 generated trees, both builders:
# the driver is suggest.py (what it asserts is said there).
set -u
top=$(cd -- "$(dirname -- "$0")/../.." && pwd)
export CTXCTL="${CTXCTL:-$top/build/ctxctl}"
exec python3 "$top/tests/integ/suggest.py"
