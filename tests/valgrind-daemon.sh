#!/usr/bin/env bash
# A short ctxd session under valgrind (make valgrind): every command, hostile
# input, a subscriber, SIGHUP and SIGTERM; fails on any valgrind error or
# definite leak in the daemon (valgrind's exit status 9).
set -u
top=$(cd -- "$(dirname -- "$0")/.." && pwd)
b=${B:-build}
work=$(mktemp -d -t ctxd-vg.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -m 0700 "$work/rt"
export CTXD_SOCKET=$work/rt/ctxd.sock
mkdir -p "$work/p/app"
printf 'FROM scratch\nCOPY app /app\n' >"$work/p/Dockerfile"
printf 'x\n' >"$work/p/app/a"
valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
	--suppressions="$top/tests/valgrind.supp" "$top/$b/ctxd" 2>"$work/log" &
pid=$!
for i in $(seq 200); do [ -S "$CTXD_SOCKET" ] && break; sleep 0.05; done
for c in ls manifest hash status; do
	"$top/$b/ctxctl" "$c" --builder classic "$work/p" >/dev/null
done
"$top/$b/ctxctl" hash "$work/p" >/dev/null
timeout 5 "$top/$b/ctxctl" watch --json "$work/p" >"$work/watch" &
printf '%s\n' '@LONG:71680' 'bad' '{"id":2,"cmd":"status","root":1}' '{"id":3,"cmd":"list"}' \
	"{\"id\":4,\"cmd\":\"unwatch\",\"root\":\"$work/p\",\"builder\":\"classic\"}" |
	python3 "$top/tests/integ/pc.py" "$CTXD_SOCKET" req >/dev/null
sleep 1
kill -HUP "$pid"
printf 'y\n' >"$work/p/app/b"
sleep 2
kill -TERM "$pid"; wait "$pid"; rc=$?
wait
cat "$work/log"
# valgrind 3.19 does not know openat2(2) (ENOSYS), so the engine's answers
# may be errors here; what this session checks is the daemon's memory.
grep -q '"event":"context"' "$work/watch" || echo "note: no context event (engine errors under valgrind?)"
echo "valgrind ctxd session: exit $rc"
exit $rc
