#!/usr/bin/env bash
# ctxctl check through the daemon: for trees of every kind (secrets that
# COPY . . bakes in, a secret only under RUN --mount, allow-listed findings,
# dead weight; both builders, -f, --target, --build-arg, --large,
# --fail-on) the daemon's output equals --no-daemon's byte for byte in all
# three formats (stdout and stderr), with the same exit status; the
# daemon's check, status findings and hazard events follow edits (a .env
# added, allowed by a .ctxdignore the context excludes, the allow line
# edited in place, the .env removed, the Dockerfile no longer copying it);
# errors exit 2; the protocol's check refuses hostile fields.
set -u
umask 022
top=$(cd -- "$(dirname -- "$0")/../.." && pwd)
read -r -a ctxctl <<<"${CTXCTL:-$top/build/ctxctl}"
pc() { python3 "$top/tests/integ/pc.py" "$@"; }
work=$(mktemp -d -t ctxd-checkd.XXXXXX)
mkdir -m 0700 "$work/rt"
export CTXD_SOCKET=$work/rt/ctxd.sock
wpids=()
cleanup() {
	local p
	for p in "${wpids[@]}"; do kill "$p" 2>/dev/null; done
	"${ctxctl[@]}" shutdown >/dev/null 2>&1
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; shift; printf '  %s\n' "$@"; }

# same NAME WANT_STATUS ARGS...: `check ARGS` through the daemon and with
# --no-daemon, in each format: identical stdout and stderr, both exiting
# WANT_STATUS.  Leaves the daemon's text output in $work/d.text.
same() {
	local name=$1 want=$2 f rc1 rc2
	shift 2
	for f in text json sarif; do
		"${ctxctl[@]}" check --format "$f" "$@" >"$work/d.$f" 2>"$work/d.err"; rc1=$?
		"${ctxctl[@]}" check --no-daemon --format "$f" "$@" >"$work/l.$f" 2>"$work/l.err"; rc2=$?
		if [ "$rc1" = "$want" ] && [ "$rc2" = "$want" ] &&
		   { [ "$want" = 2 ] || [ -s "$work/l.$f" ]; } &&
		   cmp -s "$work/d.$f" "$work/l.$f" && cmp -s "$work/d.err" "$work/l.err"; then
			ok "$name-$f"
		else
			bad "$name-$f" "status daemon $rc1, --no-daemon $rc2 (want $want)" \
				"$(diff "$work/d.$f" "$work/l.$f" | head -c 800)" \
				"stderr: $(cat "$work/d.err") | $(cat "$work/l.err")"
		fi
	done
}

# subscribed OUT DIR: waits until the `watch --json` writing OUT gets
# events, writing DIR/app/ping.txt (a new hash each time) until it does.
subscribed() {
	local i
	for i in $(seq 100); do
		printf '%s' "$i" >"$2/app/ping.txt"
		"${ctxctl[@]}" hash "$2" >/dev/null 2>&1
		grep -q '"event":"context"' "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# lines NAME WANT: the finding lines of $work/d.text (the summary's hash cut)
lines() {
	local got
	got=$(sed 's/; context: \([0-9]*\) entries, \([0-9]*\) bytes, sha256:.*/; context: \1 entries, \2 bytes/' "$work/d.text")
	if [ "$got" = "$2" ]; then ok "$1"; else bad "$1" "got:" "$got" "want:" "$2"; fi
}

# fixtures that look like keys are assembled, so that this file is not one
aws="AK""IAQ7XV2LM9RT4KP8ZW"
pem="-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
-----END OPENSSH PRIVATE KEY-----"
fix_env='add `.env` and `.env.*` (keeping `!.env.example`) to .dockerignore'
fix_key='remove the key from the context (add `**/id_*` and `!**/id_*.pub` to .dockerignore); use `RUN --mount=type=ssh` to reach git hosts'

# --- 1: COPY . . in a build stage bakes every secret into a layer
t=$work/copyall
mkdir -p "$t/app" "$t/.git" "$t/node_modules/x" "$t/src"
printf 'FROM alpine AS base\nCOPY . /src\nFROM scratch\nCOPY --from=base /src/app /app\n' >"$t/Dockerfile"
printf 'A=1\n' >"$t/.env"
printf '%s\n' "$pem" >"$t/id_ed25519"
printf 'print(1)\n' >"$t/app/main.py"
printf 'ref: refs/heads/main\n' >"$t/.git/HEAD"
printf '1' >"$t/node_modules/x/i.js"
printf 'KEY = "%s"\n' "$aws" >"$t/src/settings.py"
head -c 2048 /dev/zero >"$t/big.dat"
for b in buildkit classic; do
	same "copyall-$b" 1 --builder "$b" "$t"
	same "copyall-$b-large" 1 --builder "$b" --large 1K "$t"
	same "copyall-$b-fail-on-critical" 1 --builder "$b" --fail-on critical "$t"
done
same copyall-fail-on-low 1 --fail-on low --large 1K "$t"
lines copyall-findings-large "critical secret-dotenv              .env: 1 entries, 4 bytes, in image; fix: $fix_env
high     vcs-git                    .git: 2 entries, 21 bytes, in image; fix: add \`.git\` (and \`**/.git\`) to .dockerignore
medium   large-file                 big.dat: 1 entries, 2048 bytes, in image; fix: add the file to .dockerignore, or fetch it in the build (ADD URL, a bind mount, a named context)
critical secret-ssh-key             id_ed25519: 1 entries, 141 bytes, in image; fix: $fix_key
medium   deps-node-modules          node_modules: 3 entries, 1 bytes, in image; fix: add \`**/node_modules\` to .dockerignore and run \`npm ci\` in the image
critical secret-aws-access-key      src/settings.py: 1 entries, 29 bytes, in image, AKIA…(20 chars); fix: rotate the key and remove it from the file (or add the file to .dockerignore); use \`RUN --mount=type=secret\`
6 findings (3 critical, 1 high, 2 medium, 0 low), 0 allowed, failing at low; dead weight: 0 entries, 0 bytes; context: 13 entries, 2329 bytes"
same copyall-default 1 "$t"
lines copyall-findings "critical secret-dotenv              .env: 1 entries, 4 bytes, in image; fix: $fix_env
high     vcs-git                    .git: 2 entries, 21 bytes, in image; fix: add \`.git\` (and \`**/.git\`) to .dockerignore
critical secret-ssh-key             id_ed25519: 1 entries, 141 bytes, in image; fix: $fix_key
medium   deps-node-modules          node_modules: 3 entries, 1 bytes, in image; fix: add \`**/node_modules\` to .dockerignore and run \`npm ci\` in the image
critical secret-aws-access-key      src/settings.py: 1 entries, 29 bytes, in image, AKIA…(20 chars); fix: rotate the key and remove it from the file (or add the file to .dockerignore); use \`RUN --mount=type=secret\`
5 findings (3 critical, 1 high, 1 medium, 0 low), 0 allowed, failing at high; dead weight: 0 entries, 0 bytes; context: 13 entries, 2329 bytes"

# --- 2: a secret only under RUN --mount: used, but in no layer (high)
t=$work/mount
mkdir -p "$t/app" "$t/secrets"
printf 'FROM scratch\nCOPY app /app\nRUN --mount=type=bind,source=secrets,target=/s true\n' >"$t/Dockerfile"
printf 'x\n' >"$t/app/x.py"
printf 'TOKEN=1\n' >"$t/secrets/.env"
printf '%s\n' "$pem" >"$t/secrets/id_rsa"
for b in buildkit classic; do
	same "mount-$b" 1 --builder "$b" "$t"
	same "mount-$b-fail-on-critical" 0 --builder "$b" --fail-on critical "$t"
done
lines mount-findings "high     secret-dotenv              secrets/.env: 1 entries, 8 bytes; fix: $fix_env
high     secret-ssh-key             secrets/id_rsa: 1 entries, 141 bytes; fix: $fix_key
2 findings (0 critical, 2 high, 0 medium, 0 low), 0 allowed, failing at critical; dead weight: 0 entries, 0 bytes; context: 6 entries, 230 bytes"

# --- 3: allow-listed findings (.dockerignore comment, .ctxdignore lines)
t=$work/allow
mkdir -p "$t/app"
printf 'FROM scratch\nCOPY . /\n' >"$t/Dockerfile"
printf '# ctxd:allow secret-dotenv .env\n' >"$t/.dockerignore"
printf '# on purpose\njunk-* *\n' >"$t/.ctxdignore"
printf 'A=1\n' >"$t/.env"
printf 'B=1\n' >"$t/app/.env"
printf 'd' >"$t/app/.DS_Store"
printf 'x\n' >"$t/app/a.py"
for b in buildkit classic; do
	same "allow-$b" 1 --builder "$b" "$t"
done
lines allow-findings "critical secret-dotenv              app/.env: 1 entries, 4 bytes, in image; fix: $fix_env
1 findings (1 critical, 0 high, 0 medium, 0 low), 2 allowed, failing at high; dead weight: 0 entries, 0 bytes; context: 8 entries, 87 bytes"
printf 'secret-dotenv app/*\n' >>"$t/.ctxdignore"
same allow-all 0 "$t"

# --- 4: dead weight (the classic builder sends what nothing uses)
t=$work/dead
mkdir -p "$t/app" "$t/docs/api" "$t/tests" "$t/a-b"
printf 'FROM scratch\nCOPY app/main.py /\n' >"$t/Dockerfile"
printf 'print(1)\n' >"$t/app/main.py"
printf 'u\n' >"$t/app/util.py"
printf 'doc\n' >"$t/docs/index.md"
printf 'api\n' >"$t/docs/api/x.md"
printf 't\n' >"$t/tests/test_a.py"
printf 'ab' >"$t/a-b/c"
printf 'z' >"$t/app.cfg"
for b in buildkit classic; do
	same "dead-$b" 0 --builder "$b" "$t"
done
"${ctxctl[@]}" check --format json --builder classic "$t" >"$work/d.json"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); w=d["dead_weight"]
assert w == {"entries": 10, "bytes": 15, "paths": ["a-b", "app.cfg", "app/util.py", "docs", "tests"]}, w' "$work/d.json"
then ok dead-weight-exact; else bad dead-weight-exact "$(cat "$work/d.json")"; fi

# --- 5: -f, --target and --build-arg
t=$work/stages
mkdir -p "$t/docker" "$t/app"
printf 'FROM scratch AS dev\nCOPY . /\nFROM scratch AS prod\nARG SRC=app\nCOPY $SRC /app\n' >"$t/docker/app.Dockerfile"
printf 'A=1\n' >"$t/.env"
printf 'x\n' >"$t/app/x.py"
cd "$t" || exit 2
for b in buildkit classic; do
	same "stages-$b-dev" 1 --builder "$b" -f docker/app.Dockerfile --target dev .
	same "stages-$b-prod" "$([ $b = classic ] && echo 1 || echo 0)" --builder "$b" -f docker/app.Dockerfile --target prod .
	same "stages-$b-prod-arg" 1 --builder "$b" -f docker/app.Dockerfile --target prod --build-arg SRC=. .
done
same stages-absolute-f 1 -f "$t/docker/app.Dockerfile" --target dev "$t"
cd "$work" || exit 2

# --- 6: errors exit 2, with --no-daemon's message
t=$work/broken
mkdir -p "$t"
printf 'FROM scratch\nCOPY . /\n' >"$t/Dockerfile"
printf 'x\n' >"$t/.ctxdignore"
same bad-ctxdignore 2 "$t"
if grep -q '.ctxdignore:1: expected `RULE PATH`' "$work/d.err"; then ok bad-ctxdignore-message
else bad bad-ctxdignore-message "$(cat "$work/d.err")"; fi
same missing-dir 2 "$work/nope"
mkdir -p "$work/nodf" && printf 'x' >"$work/nodf/a"
same no-dockerfile 2 --builder classic "$work/nodf"
printf 'FROM scratch\nCOPY --exclude=[ . /\n' >"$work/nodf/Dockerfile"
same bad-exclude 2 "$work/nodf"
CTXD=/nonexistent/ctxd CTXD_SOCKET=$work/rt/none.sock "${ctxctl[@]}" check "$t" >/dev/null 2>"$work/err"; rc=$?
if [ $rc = 2 ] && grep -q 'exited with status 127' "$work/err"; then ok daemon-unreachable-exit-2
else bad daemon-unreachable-exit-2 "status $rc" "$(cat "$work/err")"; fi

# --- 7: the daemon follows edits: check, status findings, hazard events
t=$work/live
mkdir -p "$t/app"
printf 'FROM scratch\nCOPY . /\n' >"$t/Dockerfile"
printf '.ctxdignore\n' >"$t/.dockerignore"		# never sent, still read
printf 'x\n' >"$t/app/x.py"
"${ctxctl[@]}" check "$t" >/dev/null
"${ctxctl[@]}" watch --json "$t" >"$work/watch.out" 2>&1 &
wpids+=($!)
subscribed "$work/watch.out" "$t" || bad live-subscribed "$(cat "$work/watch.out")"

# step NAME WANT_STATUS WANT_FINDINGS WANT_ALLOWED: the daemon's check and
# status now, against --no-daemon; findings and allowed as "rule:path:severity:in_image"
step() {
	local name=$1 want=$2 wf=$3 wa=$4 rc1 rc2 out
	"${ctxctl[@]}" check --format json "$t" >"$work/d.json"; rc1=$?
	"${ctxctl[@]}" check --no-daemon --format json "$t" >"$work/l.json"; rc2=$?
	"${ctxctl[@]}" status --json "$t" >"$work/s.json"
	if out=$(python3 - "$work" "$wf" "$wa" <<'EOF'
import json, sys
w, wf, wa = sys.argv[1:]
d = json.load(open(w + "/d.json")); l = json.load(open(w + "/l.json")); s = json.load(open(w + "/s.json"))
fmt = lambda a: " ".join("%s:%s:%s:%s" % (f["rule"], f["path"], f["severity"], str(f["in_image"]).lower()) for f in a)
assert d == l, ("daemon", d, "no-daemon", l)
assert s["findings"] == d["findings"], ("status", s["findings"])
assert fmt(d["findings"]) == wf, ("findings", fmt(d["findings"]))
assert fmt(d["allowed"]) == wa, ("allowed", fmt(d["allowed"]))
EOF
	) && [ "$rc1" = "$want" ] && [ "$rc2" = "$want" ]; then ok "$name"
	else bad "$name" "status $rc1/$rc2 (want $want)" "$out"; fi
}
step live-clean 0 "" ""
printf 'A=1\n' >"$t/.env"
step live-env-added 1 "secret-dotenv:.env:critical:true" ""
printf 'secret-dotenv .env\n' >"$t/.ctxdignore"
step live-allowed-by-new-ctxdignore 0 "" "secret-dotenv:.env:critical:true"
# Edited in place (no create, no rename): a content change of a file that
# is no context entry.
printf 'secret-dotenv other\n' >"$t/.ctxdignore"
step live-ctxdignore-edited 1 "secret-dotenv:.env:critical:true" ""
printf 'secret-dotenv .env\n' >"$t/.ctxdignore"
step live-ctxdignore-edited-back 0 "" "secret-dotenv:.env:critical:true"
printf '# ctxd:allow secret-dotenv nothing\n.ctxdignore\n' >"$t/.dockerignore"
rm "$t/.ctxdignore"
step live-allow-removed 1 "secret-dotenv:.env:critical:true" ""
printf 'FROM scratch\nCOPY app /app\n' >"$t/Dockerfile"
step live-not-copied-buildkit 0 "" ""
rm "$t/.env"
printf 'B=1\n' >"$t/app/.env"
step live-env-moved-into-app 1 "secret-dotenv:app/.env:critical:true" ""
rm "$t/app/.env"
step live-env-removed 0 "" ""
# The subscriber saw each change as hazard events (added, removed).
for i in $(seq 100); do [ "$(grep -c '"event":"hazard"' "$work/watch.out")" -ge 8 ] && break; sleep 0.05; done
if out=$(python3 - "$work/watch.out" <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
hz = [(" ".join(f["path"] for f in e["added"]), " ".join(f["path"] for f in e["removed"]))
      for e in ev if e["event"] == "hazard"]
want = [(".env", ""), ("", ".env"), (".env", ""), ("", ".env"), (".env", ""), ("", ".env"),
        ("app/.env", ""), ("", "app/.env")]
assert hz == want, hz
assert all(f["in_image"] is True for e in ev if e["event"] == "hazard" for f in e["added"])
EOF
); then ok live-hazard-events; else bad live-hazard-events "$out"; fi

# A secret a COPY stops baking in (classic: still sent) changes severity:
# one event removes it as critical and adds it as high.
t=$work/flip
mkdir -p "$t/app"
printf 'FROM scratch\nCOPY . /\n' >"$t/Dockerfile"
printf 'A=1\n' >"$t/.env"
"${ctxctl[@]}" check --builder classic "$t" >/dev/null
"${ctxctl[@]}" watch --json --builder classic "$t" >"$work/flip.out" 2>&1 &
wpids+=($!)
for i in $(seq 100); do
	printf '%s' "$i" >"$t/app/ping.txt"
	"${ctxctl[@]}" hash --builder classic "$t" >/dev/null 2>&1
	grep -q '"event":"context"' "$work/flip.out" && break
	sleep 0.05
done
printf 'FROM scratch\nCOPY app /app\n' >"$t/Dockerfile"
same flip-not-in-image 1 --builder classic "$t"
for i in $(seq 100); do grep -q '"event":"hazard"' "$work/flip.out" && break; sleep 0.05; done
if out=$(python3 - "$work/flip.out" <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
hz = [e for e in ev if e["event"] == "hazard"]
assert len(hz) == 1, hz
a, r = hz[0]["added"], hz[0]["removed"]
assert [(f["path"], f["severity"], f["in_image"]) for f in a] == [(".env", "high", False)], a
assert [(f["path"], f["severity"], f["in_image"]) for f in r] == [(".env", "critical", True)], r
EOF
); then ok flip-hazard-event; else bad flip-hazard-event "$out"; fi

# --- 8: the protocol's check: fields, hostile types, stable codes
t=$work/copyall
root=$(realpath "$t")
sel="\"root\":\"$root\",\"builder\":\"classic\""
"${ctxctl[@]}" check --builder classic "$t" >/dev/null
out=$(printf '%s\n' "{\"id\":1,\"cmd\":\"check\",$sel}" \
	"{\"id\":2,\"cmd\":\"check\",$sel,\"fail_on\":\"low\",\"large_bytes\":1024}" \
	"{\"id\":3,\"cmd\":\"check\",$sel,\"fail_on\":5}" \
	"{\"id\":4,\"cmd\":\"check\",$sel,\"fail_on\":\"severe\"}" \
	"{\"id\":5,\"cmd\":\"check\",$sel,\"large_bytes\":\"1K\"}" \
	"{\"id\":6,\"cmd\":\"check\",$sel,\"large_bytes\":-1}" \
	"{\"id\":7,\"cmd\":\"check\",$sel,\"large_bytes\":0}" \
	"{\"id\":8,\"cmd\":\"check\",\"root\":\"$root\",\"builder\":\"buildkit\",\"target\":\"nope\"}" \
	"{\"id\":9,\"cmd\":\"check\",\"root\":7}" \
	"{\"id\":10,\"cmd\":\"check\",$sel,\"fail_on\":null,\"large_bytes\":null}" | pc "$CTXD_SOCKET" req)
line() { sed -n "$1p" <<<"$out"; }
if python3 - "$out" <<'EOF'
import json, sys
r = [json.loads(l) for l in sys.argv[1].splitlines()]
a, b = r[0]["report"], r[1]["report"]
assert r[0]["ok"] and a["fail_on"] == "high" and r[0]["warnings"] == [], r[0]
assert b["fail_on"] == "low" and [f["path"] for f in b["findings"] if f["rule"] == "large-file"] == ["big.dat"], b
assert not [f for f in a["findings"] if f["rule"] == "large-file"]
assert r[9]["ok"] and r[9]["report"] == a, r[9]
EOF
then ok proto-check-fields; else bad proto-check-fields "$(line 1 | head -c 300)"; fi
for i in 3 4 5 6 7 9; do
	if grep -q '"code":"bad-argument"' <<<"$(line $i)"; then ok "proto-check-hostile-$i"
	else bad "proto-check-hostile-$i" "$(line $i)"; fi
done
grep -q '"code":"no-such-project"' <<<"$(line 8)" && ok proto-check-unwatched || bad proto-check-unwatched "$(line 8)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
