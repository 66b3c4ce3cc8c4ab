#!/usr/bin/env bash
# ctxd and ctxctl's daemon path: protocol, commands, socket security,
# auto-start, hostile input, slow subscribers, signals, socket activation.
# Every test uses a private socket in its own runtime directory.
set -u
top=$(cd -- "$(dirname -- "$0")/../.." && pwd)
# CTXCTL and CTXD may be command lines, e.g. "valgrind -q build/ctxd".
read -r -a ctxctl <<<"${CTXCTL:-$top/build/ctxctl}"
read -r -a ctxd <<<"${CTXD:-$top/build/ctxd}"
export CTXD="${ctxd[*]}"
pc() { python3 "$top/tests/integ/pc.py" "$@"; }
work=$(mktemp -d -t ctxd-daemon.XXXXXX)
pids=() socks=()
cleanup() {
	local s p
	for s in "${socks[@]}"; do "${ctxctl[@]}" --socket "$s" shutdown >/dev/null 2>&1; done
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	chmod -R u+rwx "$work" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; shift; printf '  %s\n' "$@"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name" "$*"; fi; }

# newsock: a fresh runtime dir; sets s to the socket path in it.
n=0
newsock() {
	n=$((n + 1))
	mkdir -m 0700 "$work/rt$n"
	s=$work/rt$n/ctxd.sock
	socks+=("$s")
}
# start SOCK LOG: ctxd in the background, waits for the socket; sets dpid.
start() {
	local i
	"${ctxd[@]}" --socket "$1" 2>"$2" &
	dpid=$!
	pids+=("$dpid")
	for i in $(seq 200); do
		[ -S "$1" ] && [ "$(pc "$1" probe 2>/dev/null)" = ok ] && return 0
		sleep 0.05
	done
	echo "ctxd did not start on $1: $(cat "$2")" >&2
	return 1
}
stopd() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
has() { grep -qF -- "$2" <<<"$1"; }

# A project with names that need escaping and bytes that are not UTF-8.
proj=$work/proj
mkdir -p "$proj/app" "$proj/.git"
printf 'FROM scratch\nCOPY app /app\nCOPY *.txt /\n' >"$proj/Dockerfile"
printf 'x\n' >"$proj/app/main.py"
printf 'n\n' >"$proj/$(printf 'new\nline').txt"
printf 'b\n' >"$proj/back\\slash.txt"
printf 'u\n' >"$proj/$(printf 'bad\xffutf8').txt"
printf 'c\n' >"$proj/caf$(printf '\xc3\xa9').txt"
printf 'g\n' >"$proj/.git/HEAD"

# --- version and help
out=$("${ctxd[@]}" --version); check ctxd-version has "$out" "ctxd $(sed -n 's/^VERSION *:= *//p' "$top/Makefile")"
out=$("${ctxd[@]}" --help); check ctxd-help has "$out" "--socket PATH"
"${ctxd[@]}" --bogus >/dev/null 2>&1; check ctxd-bad-option test $? = 2

# --- hello and the version check
newsock; start "$s" "$work/log1" || exit 1
out=$(printf '{"id":1,"cmd":"hello","version":"1.0","client":"t"}\n' | pc "$s" raw)
check hello-ok has "$out" '"ok":true,"pid":'
check hello-version has "$out" '"version":"1.0"'
out=$(printf '{"id":1,"cmd":"hello","version":"2.0"}\n{"id":2,"cmd":"list"}\n' | pc "$s" raw)
check hello-major-mismatch has "$out" '"code":"version-mismatch"'
check hello-required-after-mismatch has "$out" '{"error":{"code":"hello-required"'
out=$(printf '{"id":1,"cmd":"hello","version":"1.7"}\n' | pc "$s" raw)
check hello-newer-minor-ok has "$out" '"ok":true'

# --- each command
root=$(realpath "$proj")
# Registered and scanned first (ctxctl waits out "not-ready"), so the raw
# requests below meet a ready project.
want_hash=$("${ctxctl[@]}" --socket "$s" hash --builder classic "$proj")
sel="\"root\":\"$root\",\"builder\":\"classic\""
out=$(printf '%s\n' "{\"id\":1,\"cmd\":\"watch\",$sel}" "{\"id\":2,\"cmd\":\"watch\",$sel}" \
	'{"id":3,"cmd":"list"}' "{\"id\":4,\"cmd\":\"status\",$sel}" \
	"{\"id\":5,\"cmd\":\"hash\",$sel}" "{\"id\":6,\"cmd\":\"ls\",$sel}" \
	"{\"id\":7,\"cmd\":\"manifest\",$sel}" '{"id":8,"cmd":"subscribe"}' \
	"{\"id\":9,\"cmd\":\"subscribe\",\"root\":\"$root\"}" \
	"{\"id\":10,\"cmd\":\"unwatch\",$sel}" "{\"id\":11,\"cmd\":\"status\",$sel}" \
	"{\"id\":12,\"cmd\":\"hash\",\"root\":\"$root\"}" | pc "$s" req)
line() { sed -n "$1p" <<<"$out"; }
check cmd-watch-reuses has "$(line 1)" '"created":false,"id":1,"ok":true'
check cmd-watch-reuses-again has "$(line 2)" '"created":false,"id":2,"ok":true'
check cmd-list has "$(line 3)" "\"projects\":[{"
for f in root builder state entries bytes hash findings watches last_change; do
	has "$(line 4)" "\"$f\":" || bad "cmd-status-field-$f" "$(line 4)"
done
check cmd-status-ready has "$(line 4)" '"state":"ready"'
check want-hash-is-no-daemon-hash test "$want_hash" = "$("${ctxctl[@]}" hash --no-daemon --builder classic "$proj")"
check cmd-hash has "$(line 5)" "\"hash\":\"$want_hash\""
check cmd-ls-base64-for-invalid-utf8 has "$(line 6)" '"text_base64":'
check cmd-manifest has "$(line 7)" '"ok":true'
check cmd-subscribe-all has "$(line 8)" '"id":8,"ok":true'
check cmd-subscribe-root has "$(line 9)" '"id":9,"ok":true'
check cmd-unwatch has "$(line 10)" '"id":10,"ok":true'
check cmd-status-after-unwatch has "$(line 11)" '"code":"no-such-project"'
check cmd-key-includes-builder has "$(line 12)" '"code":"no-such-project"'
# Escaped paths round-trip: the root named with \xHH escapes.
esc=$work/$(printf 'es\x01c\\ap\xffe')
mkdir -p "$esc"; printf 'FROM scratch\n' >"$esc/Dockerfile"
eroot="$work/es\\\\x01c\\\\x5cap\\\\xffe"
out=$(printf '%s\n' "{\"id\":1,\"cmd\":\"watch\",\"root\":\"$eroot\",\"builder\":\"classic\"}" | pc "$s" req)
check escaped-root-roundtrip has "$out" "\"root\":\"$eroot\""
check cmd-watch-creates has "$out" '"created":true'
out=$(printf '%s\n' '{"id":1,"cmd":"watch","root":"/a\\x4"}' | pc "$s" req)
check escaped-root-malformed has "$out" '"code":"bad-argument"'

# --- ctxctl through the daemon: identical bytes to --no-daemon
export CTXD_SOCKET=$s
for b in classic buildkit; do
	for c in ls manifest hash; do
		"${ctxctl[@]}" "$c" --builder "$b" "$proj" >"$work/d.out" 2>"$work/d.err"; rc1=$?
		"${ctxctl[@]}" "$c" --no-daemon --builder "$b" "$proj" >"$work/l.out" 2>&1; rc2=$?
		if [ $rc1 = 0 ] && [ $rc2 = 0 ] && cmp -s "$work/d.out" "$work/l.out" && [ -s "$work/l.out" ]; then
			ok "identical-$c-$b"
		else bad "identical-$c-$b" "rc $rc1/$rc2" "$(cat "$work/d.err")"; fi
	done
done
"${ctxctl[@]}" ls -f "$proj/Dockerfile" --target '' --build-arg A=1 "$proj" >"$work/d.out" 2>&1; rc=$?
check ctxctl-options-through-daemon test $rc = 0
# The daemon sees changes (the interim project recomputes; the watcher will too).
printf 'more\n' >"$proj/app/new.py"
"${ctxctl[@]}" manifest "$proj" >"$work/d.out"; "${ctxctl[@]}" manifest --no-daemon "$proj" >"$work/l.out"
check identical-after-change cmp -s "$work/d.out" "$work/l.out"
rm "$proj/app/new.py"
out=$("${ctxctl[@]}" status "$proj"); check ctxctl-status-human has "$out" "state:       ready"
out=$("${ctxctl[@]}" status --json "$proj")
check ctxctl-status-json python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert all(k in d for k in "root builder state entries bytes hash findings watches last_change".split()), d' "$out"
# status findings are check's: in_image from the Dockerfile, allow list applied
out=$("${ctxctl[@]}" status --json --builder classic "$proj")
check status-findings-in-image python3 -c 'import json,sys; f=json.loads(sys.argv[1])["findings"]
assert [(x["rule"], x["path"], x["severity"], x["in_image"]) for x in f] == [("vcs-git", ".git", "high", False)], f' "$out"
hz=$work/hz; mkdir -p "$hz/app"
printf 'FROM scratch\nCOPY . /\n' >"$hz/Dockerfile"; printf 'A=1\n' >"$hz/.env"; printf 'B=1\n' >"$hz/app/.env"
printf 'secret-dotenv app/*\n' >"$hz/.ctxdignore"
"${ctxctl[@]}" check --format json "$hz" >"$work/check.json"	# waits for the first scan
out=$("${ctxctl[@]}" status --json "$hz")
check status-findings-are-check-findings python3 -c 'import json,sys; f=json.loads(sys.argv[1])["findings"]
assert [(x["rule"], x["path"], x["severity"], x["in_image"]) for x in f] == [("secret-dotenv", ".env", "critical", True)], f
assert f == json.load(open(sys.argv[2]))["findings"]' "$out" "$work/check.json"
"${ctxctl[@]}" status --no-daemon "$proj" >/dev/null 2>&1; check status-no-daemon-is-usage test $? = 2
"${ctxctl[@]}" watch --no-daemon "$proj" >/dev/null 2>&1; check watch-no-daemon-is-usage test $? = 2
"${ctxctl[@]}" hash "$work/nonexistent" >/dev/null 2>"$work/err"; rc=$?
check missing-dir-through-daemon test $rc = 1 -a "$(grep -c 'not found' "$work/err")" = 1
mkdir -p "$work/badpat"; printf 'FROM scratch\n' >"$work/badpat/Dockerfile"; printf '[\n' >"$work/badpat/.dockerignore"
"${ctxctl[@]}" ls "$work/badpat" >"$work/out" 2>"$work/err"; rc=$?
check refused-context-exit-1 test $rc = 1 -a ! -s "$work/out"
check refused-context-message grep -q '.dockerignore:1' "$work/err"

# --- watch streams events; SIGHUP reloads
"${ctxctl[@]}" watch --json --builder classic "$proj" >"$work/watch.out" 2>&1 &
wpid=$!; pids+=("$wpid")
sleep 0.5; kill -HUP "$dpid"
for i in $(seq 100); do grep -q '"event":"context"' "$work/watch.out" && break; sleep 0.05; done
check watch-json-context-event-on-sighup grep -q "\"event\":\"context\".*\"hash\":\"$want_hash\"" "$work/watch.out"
printf 'w\n' >"$proj/app/w.py"; "${ctxctl[@]}" hash --builder classic "$proj" >/dev/null
for i in $(seq 100); do [ "$(grep -c '"event":"context"' "$work/watch.out")" -ge 2 ] && break; sleep 0.05; done
check watch-sees-change test "$(grep -c '"event":"context"' "$work/watch.out")" -ge 2
rm "$proj/app/w.py"
kill "$wpid"; wait "$wpid" 2>/dev/null
grep -q 'reloading' "$work/log1"; check sighup-logged test $? = 0

# --- hostile input: stable codes, and the daemon still answers
out=$(printf '%s\n' '@LONG:71680' 'not json' '[1,2]' '{"id":3,"cmd":"frobnicate"}' \
	'{"id":4,"cmd":"status","root":5}' '{"id":"x","cmd":"list"}' '{"id":6}' \
	'{"id":7,"cmd":"watch"}' '{"id":8,"cmd":"watch","root":"relative"}' \
	'{"id":9,"cmd":"watch","root":"/x","builder":"docker"}' \
	'{"id":10,"cmd":"watch","root":"/x","build_args":[1]}' \
	'{"id":11,"cmd":"hello","version":7}' '{"id":12,"cmd":"list","id":13}' \
	'{"id":14,"cmd":"list"}' | pc "$s" req)
check hostile-line-too-long has "$(line 1)" '"code":"line-too-long"'
check hostile-bad-json has "$(line 2)" '"code":"bad-json"'
check hostile-not-object has "$(line 3)" '"code":"bad-json"'
check hostile-unknown-command has "$(line 4)" '"code":"unknown-command"'
check hostile-wrong-type has "$(line 5)" '"code":"bad-argument"'
check hostile-id-type has "$(line 6)" '"code":"bad-argument"'
check hostile-no-cmd has "$(line 7)" '"code":"bad-argument"'
check hostile-missing-root has "$(line 8)" '"code":"bad-argument"'
check hostile-relative-root has "$(line 9)" '"code":"bad-argument"'
check hostile-bad-builder has "$(line 10)" '"code":"bad-argument"'
check hostile-bad-build-args has "$(line 11)" '"code":"bad-argument"'
check hostile-version-type has "$(line 12)" '"code":"bad-argument"'
check hostile-duplicate-key has "$(line 13)" '"code":"bad-json"'
check hostile-then-answers has "$(line 14)" '"id":14,"ok":true'
# A long line split across writes, without a newline, then closed.
head -c 200000 /dev/zero | tr '\0' x | python3 -c "
import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect('$s'); s.sendall(sys.stdin.buffer.read()); s.close()"
out=$(printf '{"id":1,"cmd":"list"}\n' | pc "$s" req); check hostile-unterminated-then-answers has "$out" '"ok":true'
check hostile-daemon-alive kill -0 "$dpid"

# --- 50 clients in parallel
for i in $(seq 50); do "${ctxctl[@]}" hash --builder classic "$proj" >"$work/par.$i" 2>&1 & done; wait_ok=1
for i in $(seq 50); do wait -n 2>/dev/null; done
for i in $(seq 50); do [ "$(cat "$work/par.$i")" = "$want_hash" ] || { wait_ok=0; echo "  par.$i: $(cat "$work/par.$i")"; }; done
check fifty-parallel-clients test $wait_ok = 1

# --- a slow subscriber is dropped, the daemon goes on
rm -f "$work/go"
pc "$s" slow "$work/go" >"$work/slow.out" 2>&1 &
spid=$!
for i in $(seq 100); do grep -q subscribed "$work/slow.out" && break; sleep 0.05; done
# Roots of 15 components of 255 bytes 0x01: each byte escapes to \x01, which
# JSON writes as 5 bytes, so every event of these projects is about 19 KB.
python3 - "$s" "$work/many" <<'EOF'
import json, os, socket, sys
sock, base = sys.argv[1:]
s = socket.socket(socket.AF_UNIX); s.connect(sock); f = s.makefile("rb")
def call(m):
    s.sendall(json.dumps(m).encode() + b"\n")
    while True:
        r = json.loads(f.readline())
        if "id" in r: return r
call({"id": 0, "cmd": "hello", "version": "1.0"})
comp = "\\x01" * 255
roots = []
for i in range(80):
    raw = os.path.join(base.encode(), str(i).encode(), *([b"\x01" * 255] * 15))
    os.makedirs(raw)
    open(os.path.join(raw, b"Dockerfile"), "w").write("FROM scratch\n")
    roots.append(base + "/" + str(i) + ("/" + comp) * 15)
    r = call({"id": i + 1, "cmd": "watch", "root": roots[-1], "builder": "classic"})
    assert r["ok"], r
    # hash scans a project not scanned yet: its ~19 KB context event is
    # queued before the answer, whatever the load (an unwatch first would
    # leave fewer events than the bound, and the subscriber undropped).
    r = call({"id": 200 + i, "cmd": "hash", "root": roots[-1], "builder": "classic"})
    assert r["ok"], r["error"]
for i, root in enumerate(roots):
    call({"id": 100 + i, "cmd": "unwatch", "root": root, "builder": "classic"})
EOF
touch "$work/go"; wait "$spid"
check slow-subscriber-dropped-log grep -q 'dropped: over' "$work/log1"
check slow-subscriber-sees-eof grep -q '^eof' "$work/slow.out"
out=$(printf '{"id":1,"cmd":"list"}\n' | pc "$s" req 2>/dev/null | head -c 100); check slow-subscriber-daemon-alive has "$out" '"ok":true'

# --- SIGTERM: clean stop, socket removed
stopd "$dpid"; rc=$?
check sigterm-exit-0 test $rc = 0
check sigterm-removes-socket test ! -e "$s"
check sigterm-logged grep -q 'shutting down' "$work/log1"
unset CTXD_SOCKET

# --- socket and directory modes; unsafe directory refused
newsock; rm -rf "$(dirname "$s")"
start "$s" "$work/log2" || exit 1
check socket-mode-0600 test "$(stat -c %a "$s")" = 600
check socket-dir-mode-0700 test "$(stat -c %a "$(dirname "$s")")" = 700
# --- a second daemon on a live socket refuses to start
"${ctxd[@]}" --socket "$s" 2>"$work/err"; rc=$?
check second-daemon-refused test $rc = 1
check second-daemon-message grep -q 'another ctxd is already listening' "$work/err"
# --- peer uid: another user cannot reach the socket, and is refused if it can
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	pyc=/usr/bin/python3
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups $pyc -c "
import socket
try:
    socket.socket(socket.AF_UNIX).connect('$s'); print('connected')
except PermissionError: print('EACCES')" 2>&1)
	check peer-uid-blocked-by-modes test "$out" = EACCES
	chmod 0755 "$work" "$(dirname "$s")"; chmod 0666 "$s"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups $pyc -c "
import socket
s = socket.socket(socket.AF_UNIX); s.connect('$s')
f = s.makefile('rb'); print(f.readline().decode().strip()); print('EOF' if not f.readline() else 'more')" 2>&1)
	chmod 0700 "$work" "$(dirname "$s")"; chmod 0600 "$s"
	check peer-uid-refused has "$out" '"code":"permission-denied"'
	check peer-uid-closed has "$out" 'EOF'
	check peer-uid-logged grep -q 'refused a connection from uid 65534' "$work/log2"
else
	echo "skip peer-uid (needs root and setpriv)"
fi
stopd "$dpid"
# An unsafe directory: group/other access, or not ours.
mkdir -m 0755 "$work/open"
"${ctxd[@]}" --socket "$work/open/ctxd.sock" 2>"$work/err"; rc=$?
check unsafe-dir-refused test $rc = 1 -a ! -e "$work/open/ctxd.sock"
check unsafe-dir-message grep -q 'must be 0700' "$work/err"
ln -s "$work/rt1" "$work/link"
"${ctxd[@]}" --socket "$work/link/ctxd.sock" 2>"$work/err"; rc=$?
check symlink-dir-refused test $rc = 1

# --- a stale socket (its daemon killed) is replaced
newsock; start "$s" "$work/log3" || exit 1
kill -KILL "$dpid"; wait "$dpid" 2>/dev/null
check stale-socket-left test -S "$s"
start "$s" "$work/log4" || exit 1
check stale-socket-replaced grep -q 'removing stale socket' "$work/log4"
out=$("${ctxctl[@]}" --socket "$s" hash --builder classic "$proj"); check stale-then-answers test "$out" = "$want_hash"
# ctxctl shutdown stops it and the socket goes.
"${ctxctl[@]}" --socket "$s" shutdown; rc=$?
wait "$dpid" 2>/dev/null
check ctxctl-shutdown test $rc = 0 -a ! -e "$s"
"${ctxctl[@]}" --socket "$s" shutdown 2>"$work/err"; rc=$?
check shutdown-without-daemon test $rc = 1 -a "$(grep -c 'no ctxd running' "$work/err")" = 1
# Something that is not a socket is never removed.
touch "$s"; "${ctxd[@]}" --socket "$s" 2>"$work/err"; rc=$?
check not-a-socket-kept test $rc = 1 -a -f "$s"
rm -f "$s"

# --- auto-start: parallel clients, one daemon (the lock), CTXD_SOCKET honoured
newsock
for i in $(seq 10); do CTXD_SOCKET=$s "${ctxctl[@]}" hash --builder classic "$proj" >"$work/auto.$i" 2>&1 & done
for i in $(seq 10); do wait -n 2>/dev/null; done
all=1; for i in $(seq 10); do [ "$(cat "$work/auto.$i")" = "$want_hash" ] || { all=0; cat "$work/auto.$i"; }; done
check autostart-parallel-clients test $all = 1
check autostart-one-daemon test "$(pgrep -fc -- "--socket $s\$")" = 1
check autostart-lock-file test -f "$s.lock"
CTXD_SOCKET=$s "${ctxctl[@]}" shutdown; check autostart-shutdown test $? = 0
for i in $(seq 100); do [ -e "$s" ] || break; sleep 0.05; done
# The daemon is found next to ctxctl without CTXD (when both are files).
if [ -x "${ctxctl[0]}" ] && [ "${#ctxctl[@]}" = 1 ]; then
	out=$(env -u CTXD CTXD_SOCKET=$s PATH=/usr/bin:/bin "${ctxctl[@]}" hash --builder classic "$proj"); rc=$?
	check autostart-next-to-ctxctl test $rc = 0 -a "$out" = "$want_hash"
	CTXD_SOCKET=$s "${ctxctl[@]}" shutdown
fi
out=$(CTXD=/nonexistent/ctxd CTXD_SOCKET=$s "${ctxctl[@]}" hash "$proj" 2>&1); rc=$?
check autostart-failure-is-clear test $rc = 1 -a "$(grep -c 'exited with status 127' <<<"$out")" = 1

# --- socket activation (systemd-socket-activate) and sd_notify
if command -v systemd-socket-activate >/dev/null; then
	newsock
	pc "$work/notify" notify >"$work/notify.out" 2>&1 &
	npid=$!; pids+=("$npid")
	for i in $(seq 100); do grep -q listening "$work/notify.out" && break; sleep 0.05; done
	systemd-socket-activate -E NOTIFY_SOCKET="$work/notify" -l "$s" "${ctxd[@]}" 2>"$work/log5" &
	apid=$!; pids+=("$apid")
	for i in $(seq 100); do [ -S "$s" ] && break; sleep 0.05; done
	out=$("${ctxctl[@]}" --socket "$s" hash --builder classic "$proj" 2>&1)
	check socket-activation-answers test "$out" = "$want_hash"
	for i in $(seq 100); do grep -q 'from systemd' "$work/log5" && break; sleep 0.05; done
	check socket-activation-uses-fd grep -q 'from systemd' "$work/log5"
	stopd "$apid"; wait "$npid" 2>/dev/null
	check sd-notify-ready grep -qx 'READY=1' "$work/notify.out"
	check sd-notify-status grep -q '^STATUS=' "$work/notify.out"
	check sd-notify-stopping grep -qx 'STOPPING=1' "$work/notify.out"
else
	echo "skip socket-activation (no systemd-socket-activate)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
