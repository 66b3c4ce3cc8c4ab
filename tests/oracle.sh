#!/usr/bin/env bash
# Differential test against the real docker CLI (classic builder): the public
# corpus of ../shared/oracle/cases/make-cases (every hand-written case and
# CTXD_ORACLE_COUNT random ones, default 320) through ../shared/oracle/diffcheck.
# Needs the docker client (no engine) and python3.
set -euo pipefail
top=$(cd -- "$(dirname -- "$0")/.." && pwd)
shared=${CTXD_SHARED:-$top/../shared}
ctxctl=${CTXCTL:-$top/build/ctxctl}
count=${CTXD_ORACLE_COUNT:-320}
seed=${CTXD_ORACLE_SEED:-1}

command -v docker >/dev/null || { echo "oracle: docker CLI not found" >&2; exit 1; }
work=$(mktemp -d -t ctxd-oracle.XXXXXX)
trap 'rm -rf "$work"' EXIT
# diffcheck runs the "user nobody" cases as uid 65534: give it a copy of the
# binary that user can reach.
chmod 0755 "$work"
install -m 0755 "$ctxctl" "$work/ctxctl"
"$shared/oracle/cases/make-cases" "$work/cases" --seed "$seed" --count "$count" >/dev/null
"$shared/oracle/diffcheck" -j "$(nproc)" --ctxctl "$work/ctxctl --no-daemon --builder classic" "$work/cases"
