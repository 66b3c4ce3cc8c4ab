#!/usr/bin/env bash
# The daemon's watching, case by case: which directories are watched, renames,
# atomic saves, one-file changes reaching a subscriber, the root going away,
# and (as root) an inotify queue overflow and the watch limit (ENOSPC).
# Each case has its own daemon on a private socket, state and runtime
# directory.  Prints "ok NAME", "FAIL NAME" (with why) or "skip NAME (why)",
# then "N passed, M failed"; exits 1 when M > 0.  Run by `make check-integ`.
set -u
top=$(cd -- "$(dirname -- "$0")/../.." && pwd)
read -r -a ctxctl <<<"${CTXCTL:-$top/build/ctxctl}"
read -r -a ctxd <<<"${CTXD:-$(dirname -- "${ctxctl[-1]}")/ctxd}"
export LC_ALL=C
umask 022

work=$(mktemp -d -t ctxd-watch.XXXXXX) || exit 1
chmod 0700 "$work"
pids=()
sysctl_restore=()	# "FILE VALUE" pairs, restored on any exit
restore_sysctls() {
	local s
	for s in "${sysctl_restore[@]}"; do echo "${s#* }" >"${s%% *}"; done
	sysctl_restore=()
}
cleanup() {
	local p
	restore_sysctls
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	chmod -R u+rwx "$work" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pass=0 fail=0 n=0
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; shift; printf '  %s\n' "$@"; }
skip() { echo "skip $1 ($2)"; }

# fresh NAME: a private daemon and an empty project directory $d; sets
# CTXD_SOCKET and friends, $w (the case's directory) and $dpid.
fresh() {
	local i
	n=$((n + 1))
	w=$work/c$n
	d=$w/proj
	mkdir -p -m 0700 "$w/rt" "$w/state"
	mkdir -p "$d"
	export CTXD_SOCKET=$w/rt/ctxd.sock XDG_RUNTIME_DIR=$w/rt XDG_STATE_HOME=$w/state
	"${ctxd[@]}" --socket "$CTXD_SOCKET" 2>"$w/ctxd.log" &
	dpid=$!
	pids+=("$dpid")
	for i in $(seq 100); do [ -S "$CTXD_SOCKET" ] && return 0; sleep 0.05; done
	echo "ctxd did not start: $(cat "$w/ctxd.log")" >&2
	return 1
}
# stop: the case's daemon, and a check that it went cleanly (sanitizers).
stop() {
	local i
	"${ctxctl[@]}" shutdown >/dev/null 2>&1
	for i in $(seq 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.05; done
	kill "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
	if grep -q 'ERROR: \|runtime error\|LeakSanitizer' "$w/ctxd.log"; then
		bad "daemon-clean-$n" "$(head -30 "$w/ctxd.log")"
	fi
}
c() { "${ctxctl[@]}" "$@"; }
# field JSON NAME: a top-level scalar of a JSON object.
field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print(json.dumps(v) if isinstance(v,(dict,list)) else v)' "$1" "$2"; }
# until SECONDS CMD...: retries CMD every 50 ms until it succeeds.
until_ok() {
	local end=$((SECONDS + $1)); shift
	while ! "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.05
	done
}
# same_hash OPTS... DIR: the daemon's hash is --no-daemon's.
same_hash() { [ "$(c hash "$@" 2>&1)" = "$(c hash --no-daemon "$@" 2>&1)" ]; }
watches() { field "$(c status --json "$@")" watches; }
not_scanning() { [ "$(field "$(c status --json "$@")" state)" != scanning ]; }
watches_are() { local want=$1; shift; [ "$(watches "$@")" = "$want" ]; }
# subscribe OUT OPTS... DIR: `ctxctl watch --json` in the background.
subscribe() {
	local out=$1; shift
	c watch --json "$@" >"$out" 2>&1 &
	pids+=("$!")
	spid=$!
	sleep 0.2
}
has_event() { grep -q "\"event\":\"$2\"" "$1" && { [ -z "${3-}" ] || grep "\"event\":\"$2\"" "$1" | grep -qF -- "$3"; }; }

# ---- excluded directories that no `!` reaches are not watched
for b in classic buildkit; do
	fresh
	mkdir -p "$d/a/b" "$d/node_modules" "$d/.git/objects"
	printf 'FROM scratch\nCOPY . /app\n' >"$d/Dockerfile"
	printf 'node_modules\n.git\n' >"$d/.dockerignore"
	echo k >"$d/node_modules/keep"
	echo x >"$d/node_modules/x.js"
	echo h >"$d/.git/HEAD"
	echo m >"$d/a/b/main.py"
	# root, a, a/b
	if until_ok 5 watches_are 3 --builder $b "$d"; then ok "watches-exact-$b"
	else bad "watches-exact-$b" "watches $(watches --builder $b "$d"), want 3"; fi
	printf 'node_modules\n.git\n!node_modules/keep\n' >"$d/.dockerignore"
	if until_ok 5 watches_are 4 --builder $b "$d" && same_hash --builder $b "$d"; then
		ok "watches-exception-adds-$b"
	else
		bad "watches-exception-adds-$b" "watches $(watches --builder $b "$d"), want 4"
	fi
	# The re-included file is seen through the new watch.
	echo changed >"$d/node_modules/keep"
	if until_ok 5 same_hash --builder $b "$d"; then ok "watches-exception-content-$b"
	else bad "watches-exception-content-$b" "hash differs from --no-daemon"; fi
	printf 'node_modules\n.git\n' >"$d/.dockerignore"
	if until_ok 5 watches_are 3 --builder $b "$d"; then ok "watches-exception-removed-$b"
	else bad "watches-exception-removed-$b" "watches $(watches --builder $b "$d"), want 3"; fi
	stop
done

# ---- a renamed directory stays tracked
fresh
mkdir -p "$d/src/deep" "$d/lib"
printf 'FROM scratch\nCOPY . /app\n' >"$d/Dockerfile"
echo 1 >"$d/src/deep/a.txt"
c status "$d" >/dev/null
mv "$d/src" "$d/src2"
echo 2 >"$d/src2/deep/b.txt"
echo 3 >>"$d/src2/deep/a.txt"
if until_ok 5 same_hash "$d"; then ok dir-rename-within; else bad dir-rename-within "$(diff <(c manifest "$d") <(c manifest --no-daemon "$d"))"; fi
mv "$d/src2/deep" "$d/lib/deeper"
echo 4 >"$d/lib/deeper/c.txt"
if until_ok 5 same_hash "$d"; then ok dir-rename-into-subdir; else bad dir-rename-into-subdir "$(diff <(c manifest "$d") <(c manifest --no-daemon "$d"))"; fi
# out of the tree and back under another name
mv "$d/lib" "$w/lib-out"
echo 5 >"$w/lib-out/deeper/d.txt"
mv "$w/lib-out" "$d/lib-back"
echo 6 >"$d/lib-back/deeper/e.txt"
if until_ok 5 same_hash "$d"; then ok dir-rename-out-and-back; else bad dir-rename-out-and-back "$(diff <(c manifest "$d") <(c manifest --no-daemon "$d"))"; fi
# swap two directories in one go
mkdir -p "$d/x" "$d/y"; echo x >"$d/x/f"; echo y >"$d/y/f"
until_ok 5 same_hash "$d"
mv "$d/x" "$d/t"; mv "$d/y" "$d/x"; mv "$d/t" "$d/y"; echo new >"$d/x/g"
if until_ok 5 same_hash "$d"; then ok dir-swap; else bad dir-swap "$(diff <(c manifest "$d") <(c manifest --no-daemon "$d"))"; fi
stop

# ---- atomic save (temp + rename over), and vim's backup dance
fresh
mkdir -p "$d/app"
printf 'FROM scratch\nCOPY app /app\n' >"$d/Dockerfile"
echo old >"$d/app/main.py"
c status "$d" >/dev/null
echo new >"$d/app/.main.py.swp"
mv "$d/app/.main.py.swp" "$d/app/main.py"
want=$(printf 'new\n' | sha256sum | cut -d' ' -f1)
if until_ok 5 same_hash "$d" && c manifest "$d" | grep -q "$want app/main.py"; then ok atomic-save
else bad atomic-save "$(c manifest "$d")"; fi
mv "$d/app/main.py" "$d/app/main.py~"; echo newer >"$d/app/main.py"; rm "$d/app/main.py~"
if until_ok 5 same_hash "$d"; then ok atomic-save-backup; else bad atomic-save-backup "$(c manifest "$d")"; fi
stop

# ---- one file's content: new hash, and a subscriber hears it
fresh
mkdir -p "$d/app"
printf 'FROM scratch\nCOPY app /app\n' >"$d/Dockerfile"
for i in $(seq 50); do echo "$i" >"$d/app/f$i"; done
before=$(c hash "$d")
subscribe "$w/events" "$d"
echo changed >>"$d/app/f7"
want=$(c hash --no-daemon "$d")
if [ "$want" != "$before" ] && until_ok 5 same_hash "$d"; then ok content-change-hash
else bad content-change-hash "before $before, want $want, daemon $(c hash "$d")"; fi
if until_ok 5 has_event "$w/events" context "\"hash\":\"$want\""; then ok content-change-event
else bad content-change-event "$(cat "$w/events")"; fi
# The content path, not a walk: `.dockerignore` untouched, no error event.
if ! has_event "$w/events" error && ! has_event "$w/events" resync; then ok content-change-no-noise
else bad content-change-no-noise "$(cat "$w/events")"; fi
# A Dockerfile edit is a rule change: COPY app -> COPY . also sends the rest.
echo top >"$d/top.txt"
printf 'FROM scratch\nCOPY . /app\n' >"$d/Dockerfile"
if until_ok 5 same_hash "$d" && c ls "$d" | grep -qx top.txt; then ok dockerfile-edit
else bad dockerfile-edit "$(c ls "$d")"; fi
stop

# ---- the rules' files wherever they are: what the walk does not enter
fresh
mkdir -p "$d/a" "$d/b" "$d/docker" "$d/n/dd"
echo a >"$d/a/f"; echo b >"$d/b/f"; echo t >"$d/n/dd/target"
printf 'docker\n' >"$d/.dockerignore"
printf 'FROM scratch\nRUN true\n' >"$d/docker/Dockerfile"
df=$d/docker/Dockerfile
# No COPY: the walk enters nothing, the root's watch must still be there.
c status -f "$df" "$d" >/dev/null
printf 'FROM scratch\nCOPY a /a\n' >"$df"
if until_ok 5 same_hash -f "$df" "$d" && c ls -f "$df" "$d" | grep -qx a/f; then ok dockerfile-in-excluded-dir
else bad dockerfile-in-excluded-dir "$(c ls -f "$df" "$d")"; fi
printf 'a\n' >"$d/docker/Dockerfile.dockerignore"
printf 'FROM scratch\nCOPY . /app\n' >"$df"
if until_ok 5 same_hash -f "$df" "$d" && ! c ls -f "$df" "$d" | grep -q '^a/'; then ok dockerfile-own-ignore-file
else bad dockerfile-own-ignore-file "$(c ls -f "$df" "$d")"; fi
echo 'b' >"$d/docker/Dockerfile.dockerignore"
if until_ok 5 same_hash -f "$df" "$d"; then ok dockerfile-own-ignore-edit
else bad dockerfile-own-ignore-edit "$(c ls -f "$df" "$d")"; fi
stop
fresh
mkdir -p "$d/a" "$d/b" "$d/docker" "$d/n/dd"
echo a >"$d/a/f"; echo b >"$d/b/f"; echo t >"$d/n/dd/target"
printf 'FROM scratch\nCOPY a /a\n' >"$d/docker/app.Dockerfile"
ln -s docker/app.Dockerfile "$d/Dockerfile"
printf 'docker\n' >"$d/.dockerignore"
c status "$d" >/dev/null
printf 'FROM scratch\nCOPY b /b\n' >"$d/docker/app.Dockerfile"
if until_ok 5 same_hash "$d" && c ls "$d" | grep -qx b/f; then ok dockerfile-symlink-target-edit
else bad dockerfile-symlink-target-edit "$(c ls "$d")"; fi
mkdir -p "$d/cfg"; printf 'docker\n' >"$d/cfg/ignore"
rm "$d/.dockerignore"; ln -s cfg/ignore "$d/.dockerignore"
printf 'FROM scratch\nCOPY . /app\n' >"$d/docker/app.Dockerfile"
until_ok 5 same_hash "$d"
printf 'docker\nb\n' >"$d/cfg/ignore"
if until_ok 5 same_hash "$d" && ! c ls "$d" | grep -q '^b/'; then ok dockerignore-symlink-target-edit
else bad dockerignore-symlink-target-edit "$(c ls "$d")"; fi
# BuildKit follows a COPY source that is a symlink: its target is watched.
mkdir -p "$d/l"; ln -s ../n/dd/target "$d/l/link"
printf 'FROM scratch\nCOPY l/link /x\n' >"$d/docker/app.Dockerfile"
if until_ok 5 same_hash "$d" && c ls "$d" | grep -qx n/dd/target; then ok copy-symlink-followed
else bad copy-symlink-followed "$(c ls "$d")"; fi
echo changed >"$d/n/dd/target"
if until_ok 5 same_hash "$d"; then ok copy-symlink-target-edit
else bad copy-symlink-target-edit "$(c manifest "$d")"; fi
stop

# ---- a directory's path reused within one batch of events
fresh
mkdir -p "$d/p" "$d/q"
printf 'FROM scratch\nCOPY . /app\n' >"$d/Dockerfile"
echo 1 >"$d/p/one"; echo 2 >"$d/q/two"
c status "$d" >/dev/null
until_ok 5 same_hash "$d"
kill -STOP "$dpid"
# Events for p's children, then p moved away and q put at its path: when
# the daemon reads "p/new", p is q.
echo new >"$d/p/new"; mkfifo "$d/p/fifo"; chmod 600 "$d/p/one"
mv "$d/p" "$d/r"; mv "$d/q" "$d/p"
kill -CONT "$dpid"
if until_ok 5 same_hash "$d"; then ok dir-path-reused-in-batch
else bad dir-path-reused-in-batch "$(diff <(c manifest "$d") <(c manifest --no-daemon "$d"))"; fi
stop

# ---- the root deleted, or moved away: state gone and an error event
for how in deleted moved; do
	fresh
	printf 'FROM scratch\nCOPY . /app\n' >"$d/Dockerfile"
	echo x >"$d/x"
	root=$(cd "$d" && pwd -P)
	subscribe "$w/events" "$d"
	if [ $how = deleted ]; then rm -rf "$d"; else mv "$d" "$w/elsewhere"; fi
	# rmdir of a root the daemon holds open sends no inotify event: the
	# daemon notices on its next event or 2 s poll.
	if until_ok 5 has_event "$w/events" error "deleted or moved"; then ok "root-$how-error-event"
	else bad "root-$how-error-event" "$(cat "$w/events")"; fi
	list=$(printf '{"id":1,"cmd":"list"}\n' | python3 "$top/tests/integ/pc.py" "$CTXD_SOCKET" req)
	state=$(python3 -c 'import json,sys
for p in json.loads(sys.argv[1])["projects"]:
    if p["root"] == sys.argv[2]: print(p["state"])' "$list" "$root")
	if [ "$state" = gone ]; then ok "root-$how-state-gone"
	else bad "root-$how-state-gone" "$list"; fi
	# The daemon still answers.
	mkdir -p "$w/other"; printf 'FROM scratch\n' >"$w/other/Dockerfile"
	if same_hash "$w/other"; then ok "root-$how-daemon-lives"; else bad "root-$how-daemon-lives" "no answer"; fi
	stop
done

# ---- as root: an inotify queue overflow, then a resync and a right hash
qfile=/proc/sys/fs/inotify/max_queued_events
if [ "$(id -u)" != 0 ] || ! [ -w $qfile ]; then
	skip overflow-resync "needs root to lower $qfile"
else
	fresh
	mkdir -p "$d/src"
	printf 'FROM scratch\nCOPY . /app\n' >"$d/Dockerfile"
	old=$(cat $qfile)
	sysctl_restore+=("$qfile $old")
	# The limit is read when an inotify instance is made: only while this
	# project registers (each project has its own instance).
	echo 16 >$qfile
	c status "$d" >/dev/null
	restore_sysctls
	subscribe "$w/events" "$d"
	# 600 events while the daemon is stopped: the queue of 16 overflows
	# whatever the scheduling.
	kill -STOP "$dpid"
	python3 -c '
import os, sys
d = sys.argv[1]
for i in range(200):
    with open(os.path.join(d, "src", "f%d" % i), "w") as f:
        f.write(str(i))
' "$d"
	kill -CONT "$dpid"
	if until_ok 10 has_event "$w/events" resync; then ok overflow-resync-event
	else bad overflow-resync-event "$(cat "$w/events")"; fi
	if until_ok 10 same_hash "$d"; then ok overflow-final-hash
	else bad overflow-final-hash "$(diff <(c manifest "$d") <(c manifest --no-daemon "$d") | head)"; fi
	# And watching still works after the reset.
	echo more >>"$d/src/f3"
	if until_ok 5 same_hash "$d"; then ok overflow-watching-after
	else bad overflow-watching-after "hash differs"; fi
	[ "$(cat $qfile)" = "$old" ] && ok overflow-sysctl-restored || bad overflow-sysctl-restored "$(cat $qfile) != $old"
	stop
fi

# ---- the watch limit (ENOSPC): a warning naming the sysctl, and polling
# fs.inotify.max_user_watches is one count per user for the whole machine,
# and the /proc/*/fdinfo sum of watches undercounts it (marks of closed
# instances are released later: measured 4 listed against 8 charged), so
# lowering it cannot be made safe for the user's other programs.  The same
# limit exists per user namespace (user.max_inotify_watches, checked at
# every level): the daemon runs in a private one where it alone is limited.
fresh_userns() {
	local i
	n=$((n + 1))
	w=$work/c$n
	d=$w/proj
	mkdir -p -m 0700 "$w/rt" "$w/state"
	mkdir -p "$d"
	export CTXD_SOCKET=$w/rt/ctxd.sock XDG_RUNTIME_DIR=$w/rt XDG_STATE_HOME=$w/state
	unshare --user --map-root-user sh -c \
	    'echo "$1" >/proc/sys/user/max_inotify_watches && shift && exec "$@"' \
	    sh "$1" "${ctxd[@]}" --socket "$CTXD_SOCKET" 2>"$w/ctxd.log" &
	dpid=$!
	pids+=("$dpid")
	for i in $(seq 100); do [ -S "$CTXD_SOCKET" ] && return 0; sleep 0.05; done
	return 1
}
if ! unshare --user --map-root-user true 2>/dev/null; then
	skip enospc-warning "no user namespaces here (unshare --user failed)"
else
	# The root and 3 more: the other 9 directories are polled.
	fresh_userns 4
	for i in $(seq 12); do mkdir -p "$d/d$i"; echo "$i" >"$d/d$i/f"; done
	printf 'FROM scratch\nCOPY . /app\n' >"$d/Dockerfile"
	until_ok 5 not_scanning "$d"
	st=$(c status --json "$d")
	warn=$(field "$st" watch_warning)
	if grep -q max_user_watches <<<"$warn" && grep -q '"unwatched": 9' <<<"$warn" &&
	    [ "$(field "$st" watches)" = 4 ]; then
		ok enospc-warning
	else
		bad enospc-warning "status: $st" "$(cat "$w/ctxd.log")"
	fi
	if same_hash "$d"; then ok enospc-first-hash; else bad enospc-first-hash "$(c hash "$d")"; fi
	# Changes in every directory, watched or polled, are seen within the
	# 2 s poll.
	t0=$(date +%s%N)
	for i in $(seq 12); do echo "more $i" >>"$d/d$i/f"; echo new >"$d/d$i/g"; done
	mkdir "$d/d5/sub"; echo s >"$d/d5/sub/s"; rm "$d/d9/f"
	if until_ok 5 same_hash "$d"; then
		ok "enospc-polled-changes ($((($(date +%s%N) - t0) / 1000000)) ms)"
	else
		bad enospc-polled-changes "$(diff <(c manifest "$d") <(c manifest --no-daemon "$d") | head)"
	fi
	# A content-only change in a polled directory, nothing else.
	sleep 0.3
	t0=$(date +%s%N)
	echo again >>"$d/d12/f"
	if until_ok 5 same_hash "$d"; then
		ok "enospc-polled-content ($((($(date +%s%N) - t0) / 1000000)) ms)"
	else
		bad enospc-polled-content "$(diff <(c manifest "$d") <(c manifest --no-daemon "$d") | head)"
	fi
	stop
fi

# ---- one inotify instance for every project ---------------------------------
# More projects on one daemon than the inotify instances a user may have
# (fs.inotify.max_user_instances, 128 by default): they share one instance,
# and each still sees its own changes.
fresh
limit=$(cat /proc/sys/fs/inotify/max_user_instances 2>/dev/null || echo 128)
np=$((limit < 288 ? limit + 12 : 300))
for i in $(seq "$np"); do
	mkdir -p "$w/many/p$i/src"; echo "v $i" >"$w/many/p$i/src/f"
	printf 'FROM scratch\nCOPY src /src\n' >"$w/many/p$i/Dockerfile"
done
nready=0
for i in $(seq "$np"); do
	c status --json "$w/many/p$i" >/dev/null && c hash "$w/many/p$i" >/dev/null && nready=$((nready + 1))
done
if [ "$nready" = "$np" ]; then
	ok "shared-inotify-$np-projects (max_user_instances $limit)"
else
	bad shared-inotify-projects "$nready of $np ready" "$(tail -3 "$w/ctxd.log")"
fi
echo changed >"$w/many/p7/src/f"
echo changed >"$w/many/p$np/src/f"
if until_ok 5 same_hash "$w/many/p7" && until_ok 5 same_hash "$w/many/p$np" &&
    same_hash "$w/many/p8"; then
	ok shared-inotify-changes-seen
else
	bad shared-inotify-changes-seen "$(c hash "$w/many/p7")" "$(c hash --no-daemon "$w/many/p7")"
fi
stop
# Two projects over the same directory share its kernel watches: both see
# a change, and after one is unwatched the other still does.
fresh
mkdir -p "$d/src" && echo a >"$d/src/a" && printf 'FROM scratch\nCOPY src /src\n' >"$d/Dockerfile"
c hash --builder classic "$d" >/dev/null && c hash --builder buildkit "$d" >/dev/null
echo b >"$d/src/a"
if until_ok 5 same_hash --builder classic "$d" && until_ok 5 same_hash --builder buildkit "$d"; then
	ok shared-watch-both-see
else
	bad shared-watch-both-see "$(c hash --builder classic "$d")"
fi
python3 - "$CTXD_SOCKET" "$d" <<'PY' >/dev/null
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rb")
for i, req in enumerate([{"cmd": "hello", "version": "1.0"},
                         {"cmd": "unwatch", "root": sys.argv[2], "builder": "classic"}]):
    req["id"] = i; s.sendall(json.dumps(req).encode() + b"\n"); print(f.readline())
PY
echo c >"$d/src/a"; mkdir "$d/src/new"; echo n >"$d/src/new/n"
if until_ok 5 same_hash --builder buildkit "$d" &&
    [ "$(watches --builder buildkit "$d")" = "$(grep -c '^inotify wd:' "/proc/$dpid/fdinfo/$(find "/proc/$dpid/fd" -lname 'anon_inode:inotify' -printf '%f\n' | head -1)")" ]; then
	ok shared-watch-survives-unwatch
else
	bad shared-watch-survives-unwatch "$(c status --json --builder buildkit "$d")"
fi
stop

# ---- a one-file change reads that file, not the tree ------------------------
# 40 files of 256 KiB (10 MiB) and one of 1 MiB in the context; after the
# first scan and its analysis, the 1 MiB file is rewritten: until the new
# hash and findings are there, ctxd reads (rchar: every read(2), sockets
# and inotify included) the file for its digest and for the content scan,
# the rules files, and nothing of the other 10 MiB.
fresh
mkdir -p "$d/data"
for i in $(seq 40); do head -c 262144 /dev/urandom >"$d/data/f$i.bin"; done
head -c 1048576 /dev/urandom >"$d/big.bin"
printf 'FROM scratch\nCOPY . /\n' >"$d/Dockerfile"
analysed() { c status --json --builder classic "$d" | grep -q '"analysis":"done"'; }
c hash --builder classic "$d" >/dev/null && until_ok 5 analysed
r0=$(awk '/^rchar/ { print $2 }' "/proc/$dpid/io")
h0=$(c hash --builder classic "$d")
head -c 1048576 /dev/urandom >"$d/big.new" && cat "$d/big.new" >"$d/big.bin"
changed() { [ "$(c hash --builder classic "$d")" != "$h0" ]; }
until_ok 5 changed && until_ok 5 analysed
r1=$(awk '/^rchar/ { print $2 }' "/proc/$dpid/io")
read_bytes=$((r1 - r0))
if [ "$read_bytes" -ge 1048576 ] && [ "$read_bytes" -lt $((3 * 1048576)) ] &&
    same_hash --builder classic "$d"; then
	ok "one-file-change-reads-that-file ($read_bytes B read for a 1 MiB file in 11 MiB)"
else
	bad one-file-change-reads-that-file "ctxd read $read_bytes B" "$(tail -3 "$w/ctxd.log")"
fi
stop

# ---- unused projects go away --------------------------------------------------
# --idle-timeout 1: a project nobody asks about is unwatched within about a
# second and a tenth; one with a subscriber stays; asking again brings the
# first back.
fresh
stop
mkdir -p "$d/a" "$d/b"
for x in a b; do printf 'FROM scratch\nCOPY . /\n' >"$d/$x/Dockerfile"; done
"${ctxd[@]}" --socket "$CTXD_SOCKET" --idle-timeout 1 2>"$w/ctxd.log" &
dpid=$!
pids+=("$dpid")
until_ok 5 test -S "$CTXD_SOCKET"
c hash "$d/a" >/dev/null && c hash "$d/b" >/dev/null
subscribe "$w/ev.b" "$d/b"
listed() { python3 - "$CTXD_SOCKET" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rb")
for i, req in enumerate([{"cmd": "hello", "version": "1.0"}, {"cmd": "list"}]):
    req["id"] = i; s.sendall(json.dumps(req).encode() + b"\n"); r = json.loads(f.readline())
print(" ".join(sorted(p["root"].rsplit("/", 1)[-1] for p in r["projects"])))
PY
}
sleep 1.6
got=$(listed)
if [ "$got" = b ] && grep -q "unused for 1 s" "$w/ctxd.log"; then
	ok idle-project-unwatched
else
	bad idle-project-unwatched "listed: $got" "$(tail -5 "$w/ctxd.log")"
fi
if same_hash "$d/a" && [ "$(listed)" = "a b" ]; then
	ok idle-project-comes-back
else
	bad idle-project-comes-back "listed: $(listed)"
fi
stop

# ---- at --max-projects, the least recently used project goes ---------------
# --max-projects 2: a, b, then c is asked for after b was asked for again,
# so a goes; with a subscriber on b (and c), a new d is refused.
fresh
stop
for x in a b c d; do mkdir -p "$d/$x"; printf 'FROM scratch\nCOPY . /\n' >"$d/$x/Dockerfile"; done
"${ctxd[@]}" --socket "$CTXD_SOCKET" --max-projects 2 2>"$w/ctxd.log" &
dpid=$!
pids+=("$dpid")
until_ok 5 test -S "$CTXD_SOCKET"
c hash "$d/a" >/dev/null && c hash "$d/b" >/dev/null && c hash "$d/b" >/dev/null &&
    c hash "$d/c" >/dev/null
got=$(listed)
if [ "$got" = "b c" ] && grep -q "$d/a: least recently used of 2 projects" "$w/ctxd.log"; then
	ok lru-project-evicted
else
	bad lru-project-evicted "listed: $got" "$(tail -3 "$w/ctxd.log")"
fi
subscribe "$w/ev.b" "$d/b"
subscribe "$w/ev.c" "$d/c"
err=$(c hash "$d/d" 2>&1); rc=$?
if [ $rc = 1 ] && [ "$err" = "ctxctl: too many projects watched (2, each with a subscriber): unwatch some" ] &&
    [ "$(listed)" = "b c" ]; then
	ok lru-refused-when-all-subscribed
else
	bad lru-refused-when-all-subscribed "rc $rc: $err" "listed: $(listed)"
fi
stop

# ---- bad options are refused --------------------------------------------------
for opt in "--idle-timeout x" "--idle-timeout -1" "--max-projects 0" "--max-projects 4097"; do
	# shellcheck disable=SC2086
	err=$("${ctxd[@]}" --socket "$work/never.sock" $opt 2>&1 >/dev/null); rc=$?
	if [ $rc = 2 ] && grep -q "^ctxd: ${opt%% *}: '${opt#* }' is not a number" <<<"$err" &&
	    [ ! -e "$work/never.sock" ]; then
		ok "bad-option ${opt// /=}"
	else
		bad "bad-option ${opt// /=}" "rc $rc: $err"
	fi
done

# ---- the manifest hash resumes from midstates -------------------------------
# 1,600 files (midstates every 512 entries): a change near the start, in
# the middle and at the end, each time the daemon's hash is --no-daemon's.
fresh
for i in $(seq -w 1600); do echo "f $i" >"$d/f$i"; done
printf 'FROM scratch\nCOPY . /\n' >"$d/Dockerfile"
c hash --builder classic "$d" >/dev/null
for i in 0005 0800 1600 0520 1024; do
	h0=$(c hash --builder classic "$d")
	echo "changed $i" >>"$d/f$i"
	changed() { [ "$(c hash --builder classic "$d")" != "$h0" ]; }
	if until_ok 5 changed && same_hash --builder classic "$d"; then
		ok "midstate-resume-f$i"
	else
		bad "midstate-resume-f$i" "$(c hash --builder classic "$d")" "$(c hash --no-daemon --builder classic "$d")"
	fi
done
stop

echo "$pass passed, $fail failed"
[ $fail = 0 ]
