#!/usr/bin/env bash
# ctxctl check: every hazard class in a tree built here, the exact JSON
# findings (--no-daemon), exit codes 0/1/2, SARIF 2.1.0 structure,
# allow-listing, and nothing reported that is not sent.  The git repository
# is written by hand (HEAD, config, objects, refs): libgit2 opens it, and the
# test needs no git binary.
set -u
top=$(cd -- "$(dirname -- "$0")/../.." && pwd)
read -r -a ctxctl <<<"${CTXCTL:-$top/build/ctxctl}"
work=$(mktemp -d -t ctxd-check.XXXXXX)
trap '"${ctxctl[@]}" --socket "$work/ctxd.sock" shutdown >/dev/null 2>&1; rm -rf "$work"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; shift; printf '  %s\n' "$@"; }

# expect_rc NAME WANT_STATUS CMD...: the exit status only
expect_rc() {
	local name=$1 want=$2 rc
	shift 2
	"$@" >"$work/stdout" 2>"$work/stderr"; rc=$?
	if [ "$rc" = "$want" ]; then ok "$name"
	else bad "$name" "status $rc (want $want)" "stdout: $(head -c 600 "$work/stdout")" \
		"stderr: $(cat "$work/stderr")"; fi
}

# pyjson NAME SCRIPT: runs SCRIPT with the JSON of $work/stdout as `d`
pyjson() {
	local name=$1 out
	if out=$(python3 -c "import json,sys
d=json.load(open('$work/stdout'))
$2" 2>&1); then ok "$name"; else bad "$name" "$out"; fi
}

t=$work/tree
mkdir -p "$t"/{app,src/__pycache__,keys,kube,.docker,.aws,.venv/lib,venv,node_modules/x,.pytest_cache,sub/.hg,sub/.svn,build,.git/objects,.git/refs/heads}
cd "$t" || exit 2
# fixtures that look like keys are assembled, so that this file is not one
aws="AK""IAQ7XV2LM9RT4KP8ZW"
pem_body="MIIEowIBAAKCAQEAq7Xv2Lm9Rt4Kp8Zw3Nc6Hy1Bf5Dj0Gs7Qa2We9Ru4abcd"
printf 'FROM scratch\nCOPY app /app\n' >Dockerfile
printf 'excluded.env\n' >.dockerignore
printf 'SECRET=1\n' >excluded.env			# not sent: never a finding
printf 'ref: refs/heads/main\n' >.git/HEAD
printf '[core]\n\trepositoryformatversion = 0\n\tbare = false\n' >.git/config
printf 'build/\nlocal.cfg\n' >.gitignore
printf 'o\n' >build/a.o
printf 'x\n' >local.cfg
printf 'print(1)\n' >app/main.py
printf 'TOKEN=1\n' >app/.env				# copied: critical
printf 'A=1\n' >.env
printf 'A=\n' >.env.example				# decoy
printf -- '-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----\n' "$pem_body" >id_rsa
printf -- '-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n' "$pem_body" >keys/server.pem
printf -- '-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n' "$pem_body" >keys/cert.pem
printf -- '-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n' "$pem_body" >keys/pub.pem
printf 'p12' >keys/store.p12
printf '//registry.npmjs.org/:_authToken=abc\n' >.npmrc
printf '{"auths":{"ghcr.io":{"auth":"bWU6cHc="}}}\n' >.docker/config.json
printf '[default]\naws_secret_access_key = x\n' >.aws/credentials
printf 'apiVersion: v1\nkind: Config\nusers:\n- name: a\n  user:\n    token: abc\n' >kube/kubeconfig
printf '{}\n' >terraform.tfstate
printf '{"type": "service_account", "private_key": "k"}\n' >sa.json
printf 'import os\nKEY = "%s"\n' "$aws" >src/settings.py
printf 'example: AKIAIOSFODNN7EXAMPLE\n' >src/aws.md		# decoy
printf 'password = changeme\n' >src/config.py			# decoy
printf 'DB_PASSWORD = "Xk29vLq8Rz4"\n' >src/db.py
printf 'home = /usr\n' >.venv/pyvenv.cfg
printf 'hi\n' >venv/notes.txt					# decoy: not a venv
printf 'c' >src/__pycache__/m.cpython-312.pyc
printf 'c' >old.pyc
printf '1' >node_modules/x/i.js
printf 'c' >.pytest_cache/v
printf 'h' >sub/.hg/store
printf 's' >sub/.svn/wc.db
printf 'd' >.DS_Store
printf 's' >src/.main.py.swp
printf 'n' >notes.txt~
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\004\000\076\000' >core
printf 'not a core' >core.1234					# decoy
head -c 2048 /dev/zero >big.dat

expect_rc findings-exit-1 1 "${ctxctl[@]}" check --no-daemon --builder classic --large 1K --format json .
pyjson exactly-one-json-object 'assert sorted(d) == sorted(["root","builder","hash","entries","bytes","findings","dead_weight","allowed","fail_on","dockerfile_analysis"]), sorted(d)
assert d["builder"] == "classic" and d["hash"].startswith("sha256:") and d["root"].endswith("/tree"), d["root"]
assert d["fail_on"] == "high" and d["entries"] == 61
assert all(sorted(f) in (sorted(["class","rule","severity","path","entries","bytes","in_image","fix"]), sorted(["class","rule","severity","path","entries","bytes","in_image","fix","preview","line"])) for f in d["findings"])'
pyjson exact-findings '
got = [[f["class"], f["rule"], f["severity"], f["path"], f["entries"], f["bytes"], f["in_image"]] + ([f["preview"], f["line"]] if "preview" in f else []) for f in d["findings"]]
want = [
 ["junk", "junk-ds-store", "low", ".DS_Store", 1, 1, False],
 ["secret", "secret-aws-credentials", "high", ".aws/credentials", 1, 36, False],
 ["secret", "secret-docker-config", "high", ".docker/config.json", 1, 42, False],
 ["secret", "secret-dotenv", "high", ".env", 1, 4, False],
 ["vcs", "vcs-git", "high", ".git", 6, 71, False],
 ["secret", "secret-npmrc", "high", ".npmrc", 1, 37, False],
 ["cache", "cache-tool", "low", ".pytest_cache", 2, 1, False],
 ["venv", "venv-python", "high", ".venv", 3, 12, False],
 ["secret", "secret-dotenv", "critical", "app/.env", 1, 8, True],
 ["large", "large-file", "medium", "big.dat", 1, 2048, False],
 ["gitignored", "gitignored", "medium", "build", 2, 2, False],
 ["junk", "junk-core-dump", "low", "core", 1, 20, False],
 ["secret", "secret-ssh-key", "high", "id_rsa", 1, 124, False],
 ["secret", "secret-private-key", "high", "keys/server.pem", 1, 116, False, "-----BEGIN PRIVATE KEY-----\u2026", 1],
 ["secret", "secret-keystore", "high", "keys/store.p12", 1, 3, False],
 ["secret", "secret-kubeconfig", "high", "kube/kubeconfig", 1, 68, False],
 ["gitignored", "gitignored", "medium", "local.cfg", 1, 2, False],
 ["deps", "deps-node-modules", "medium", "node_modules", 3, 1, False],
 ["junk", "junk-editor-swap", "low", "notes.txt~", 1, 1, False],
 ["pycache", "pycache-bytecode", "low", "old.pyc", 1, 1, False],
 ["secret", "secret-gcp-service-account", "high", "sa.json", 1, 48, False],
 ["junk", "junk-editor-swap", "low", "src/.main.py.swp", 1, 1, False],
 ["pycache", "pycache", "low", "src/__pycache__", 2, 1, False],
 ["secret", "secret-generic-assignment", "high", "src/db.py", 1, 28, False, "DB_PASSWORD=\u2026(11 chars)", 1],
 ["secret", "secret-aws-access-key", "high", "src/settings.py", 1, 39, False, "AKIA\u2026(20 chars)", 2],
 ["vcs", "vcs-hg", "high", "sub/.hg", 2, 1, False],
 ["vcs", "vcs-svn", "high", "sub/.svn", 2, 1, False],
 ["secret", "secret-terraform-state", "high", "terraform.tfstate", 1, 3, False],
]
if got != want:
    import difflib
    sys.exit("\n".join(difflib.unified_diff([repr(x) for x in want], [repr(x) for x in got], "want", "got", lineterm="")))
# a secret value never reaches the output
raw = open("'"$work/stdout"'").read()
assert "Q7XV2LM9RT4KP8ZW" not in raw and "Xk29vLq8Rz4" not in raw and "MIIEow" not in raw'
pyjson dead-weight 'w = d["dead_weight"]
assert "app" not in w["paths"] and "Dockerfile" not in w["paths"] and ".dockerignore" not in w["paths"], w
assert "src" in w["paths"] and "src/db.py" not in w["paths"], w["paths"]
assert w["entries"] == d["entries"] - 5, (w["entries"], d["entries"])
assert d["dockerfile_analysis"] is True'

# BuildKit sends only what COPY uses: the hazards outside app/ are not sent.
expect_rc buildkit-sends-only-app 1 "${ctxctl[@]}" check --no-daemon --builder buildkit --format json .
pyjson buildkit-findings 'assert [(f["rule"], f["path"], f["severity"]) for f in d["findings"]] == [("secret-dotenv", "app/.env", "critical")], d["findings"]'

# Levels: the text report, --fail-on, and the default (high).
expect_rc text-format 1 "${ctxctl[@]}" check --no-daemon --builder classic --large 1K .
if grep -q '^critical secret-dotenv  *app/.env: 1 entries, 8 bytes, in image; fix: ' "$work/stdout" &&
   tail -n 1 "$work/stdout" | grep -q '^28 findings (1 critical, 16 high, 4 medium, 7 low), 0 allowed, failing at high; dead weight: ' &&
   [ "$(wc -l <"$work/stdout")" = 29 ]; then ok text-lines
else bad text-lines "$(cat "$work/stdout")"; fi
expect_rc fail-on-critical 1 "${ctxctl[@]}" check --no-daemon --builder buildkit --fail-on critical .

c=$work/clean
mkdir -p "$c/app" && printf 'FROM scratch\nCOPY app /app\n' >"$c/Dockerfile" && printf 'x\n' >"$c/app/a"
expect_rc clean-exit-0 0 "${ctxctl[@]}" check --no-daemon "$c"
if grep -q '^0 findings' "$work/stdout"; then ok clean-summary; else bad clean-summary "$(cat "$work/stdout")"; fi
printf 'd' >"$c/app/.DS_Store"
expect_rc low-below-default-level 0 "${ctxctl[@]}" check --no-daemon "$c"
expect_rc low-at-fail-on-low 1 "${ctxctl[@]}" check --no-daemon --fail-on low "$c"
expect_rc medium-ignores-low 0 "${ctxctl[@]}" check --no-daemon --fail-on medium "$c"
# without --no-daemon the daemon answers, started on a private socket
# (tests/integ/checkd.sh compares the two byte for byte)
expect_rc daemon-default 0 "${ctxctl[@]}" check --socket "$work/ctxd.sock" "$c"
"${ctxctl[@]}" --socket "$work/ctxd.sock" shutdown >/dev/null 2>&1

# Errors are 2: no such directory, bad options, a broken Dockerfile.
expect_rc missing-dir-exit-2 2 "${ctxctl[@]}" check --no-daemon "$work/nope"
expect_rc bad-format-exit-2 2 "${ctxctl[@]}" check --no-daemon --format xml "$c"
expect_rc bad-level-exit-2 2 "${ctxctl[@]}" check --no-daemon --fail-on severe "$c"
expect_rc bad-size-exit-2 2 "${ctxctl[@]}" check --no-daemon --large 12Q "$c"
expect_rc format-only-for-check 2 "${ctxctl[@]}" ls --no-daemon --format json "$c"
mkdir -p "$work/nodf" && printf 'x' >"$work/nodf/a"
expect_rc no-dockerfile-exit-2 2 "${ctxctl[@]}" check --no-daemon --builder classic "$work/nodf"
printf 'x\n' >"$c/.ctxdignore"
expect_rc bad-ctxdignore-exit-2 2 "${ctxctl[@]}" check --no-daemon "$c"
if grep -q '.ctxdignore:1: expected `RULE PATH`' "$work/stderr"; then ok bad-ctxdignore-message
else bad bad-ctxdignore-message "$(cat "$work/stderr")"; fi
rm -f "$c/.ctxdignore"

# SARIF 2.1.0: the structure code-scanning dashboards read.
expect_rc sarif-exit-1 1 "${ctxctl[@]}" check --no-daemon --builder classic --large 1K --format sarif .
pyjson sarif-structure 'assert d["version"] == "2.1.0" and "sarif-2.1.0" in d["$schema"]
run = d["runs"][0]
rules = run["tool"]["driver"]["rules"]
ids = [r["id"] for r in rules]
assert run["tool"]["driver"]["name"] == "ctxctl" and len(ids) == len(set(ids))
assert all(r["shortDescription"]["text"] and r["help"]["text"] for r in rules)
assert len(run["results"]) == 28
for r in run["results"]:
    assert r["ruleId"] in ids and ids[r["ruleIndex"]] == r["ruleId"]
    assert r["level"] in ("error", "warning", "note")
    assert r["message"]["text"]
    loc = r["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] and not loc["artifactLocation"]["uri"].startswith("/")
    assert loc.get("region", {}).get("startLine", 1) >= 1
lv = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r["level"] for r in run["results"]}
assert lv["app/.env"] == "error" and lv["big.dat"] == "warning" and lv["core"] == "note", lv
assert run["originalUriBaseIds"]["CONTEXTROOT"]["uri"].startswith("file:///")'

# Allow-listing: a comment in .dockerignore, lines in .ctxdignore.
printf 'excluded.env\n# ctxd:allow secret-dotenv app/.env\n' >.dockerignore
printf '# accepted on purpose\nvcs-* sub/*\njunk-core-dump core\n' >.ctxdignore
expect_rc allow-exit-1 1 "${ctxctl[@]}" check --no-daemon --builder classic --large 1K --format json .
pyjson allow-moves-findings 'a = sorted((f["rule"], f["path"]) for f in d["allowed"])
assert a == [("junk-core-dump", "core"), ("secret-dotenv", "app/.env"), ("vcs-hg", "sub/.hg"), ("vcs-svn", "sub/.svn")], a
assert not any(f["path"] in ("app/.env", "core", "sub/.hg", "sub/.svn") for f in d["findings"])'
expect_rc allow-buildkit-clean 0 "${ctxctl[@]}" check --no-daemon --builder buildkit .

# Help names the command and its options.
out=$("${ctxctl[@]}" check --help); rc=$?
[ $rc = 0 ] && printf '%s' "$out" | grep -q '^usage: ctxctl check' && printf '%s' "$out" | grep -q -- '--fail-on' &&
	ok help-check || bad help-check "status $rc"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
