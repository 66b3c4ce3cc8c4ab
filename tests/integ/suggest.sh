#!/usr/bin/env bash
# ctxctl suggest and fix.  First hand-made trees with exact expected
# output: BuildKit's NAME.dockerignore next to the classic builder's
# .dockerignore (a diff per file, fix writing both with backups), and
# dead weight grouped by wildcard lines or not (a kept entry would match).
# Then at least 20 generated trees, both builders: the driver is
# suggest.py (what it asserts is said there).
set -u
top=$(cd -- "$(dirname -- "$0")/../.." && pwd)
export CTXCTL="${CTXCTL:-$top/build/ctxctl}"
work=$(mktemp -d "${TMPDIR:-/tmp}/sug-integ.XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

ok() { passed=$((passed + 1)); echo "ok $1"; }
bad() {
	failed=$((failed + 1)); echo "FAIL $1"
	shift; for w in "$@"; do printf '  %s\n' "$w"; done
}

# same NAME EXPECTED GOT: exact comparison, a diff shown on failure
same() {
	if [ "$2" == "$3" ]; then ok "$1"; else
		bad "$1" "$(diff <(printf '%s\n' "$2") <(printf '%s\n' "$3"))"
	fi
}

# put DIR PATH CONTENT: a file, its directories made
put() { mkdir -p "$(dirname "$1/$2")"; printf '%b' "$3" >"$1/$2"; }

# leftover DIR: "builder findings dead-weight-entries" for each builder
leftover() {
	local b
	for b in buildkit classic; do
		$CTXCTL check --no-daemon --builder "$b" --format json \
		    --fail-on low "$1" | python3 -c '
import json, sys
c = json.load(sys.stdin)
print(sys.argv[1], len(c["findings"]), c["dead_weight"]["entries"])' "$b"
	done
}

# --- BuildKit reads Dockerfile.dockerignore, classic .dockerignore -------
two_files() {
	local d=$work/$1
	put "$d" Dockerfile 'FROM alpine\nCOPY app /app\n'
	put "$d" app/m.py 'x\n'
	put "$d" app/__pycache__/m.pyc 'c'
	put "$d" .env 'SECRET=1\n'
	put "$d" docs/a.md 'a\n'
	put "$d" Dockerfile.dockerignore '# bk\n*.log\n'
	put "$d" .dockerignore '# mine\nbuild.log\n'
}

two_files t1
out=$($CTXCTL suggest --no-daemon "$work/t1" 2>"$work/t1.err"); rc=$?
same "two files: suggest exits 1" 1 "$rc"
same "two files: a diff per file" "--- a/Dockerfile.dockerignore
+++ b/Dockerfile.dockerignore
@@ -1,2 +1,8 @@
 # bk
 *.log
+
+# ctxd: hazard: pycache
+/app/__pycache__
+
+# ctxd: the backup ctxctl fix keeps
+/Dockerfile.dockerignore.bak
--- a/.dockerignore
+++ b/.dockerignore
@@ -1,2 +1,16 @@
 # mine
 build.log
+
+# ctxd: hazard: pycache
+/app/__pycache__
+
+# ctxd: hazard: secret
+/.env
+
+# ctxd: dead weight: no instruction uses these
+/Dockerfile.dockerignore
+/docs
+
+# ctxd: the backup ctxctl fix keeps
+/.dockerignore.bak
+/Dockerfile.dockerignore.bak" "$out"
same "two files: proven under both builders" "ctxctl: buildkit: 2 entries fewer, proven by recomputing the context
ctxctl: classic: 6 entries fewer, proven by recomputing the context" \
    "$(cat "$work/t1.err")"

# the diff applies with patch -p1 and gives what fix writes
cp -a "$work/t1" "$work/t1.patched"
printf '%s\n' "$out" | patch -s -p1 -d "$work/t1.patched" >/dev/null 2>&1
same "two files: patch applies" 0 $?
out=$($CTXCTL fix --no-daemon "$work/t1" 2>/dev/null); rc=$?
same "two files: fix exits 0" 0 "$rc"
same "two files: fix tells each file" \
    "$work/t1/Dockerfile.dockerignore: added 2 lines (the previous file is $work/t1/Dockerfile.dockerignore.bak)
$work/t1/.dockerignore: added 6 lines (the previous file is $work/t1/.dockerignore.bak)" "$out"
for f in Dockerfile.dockerignore .dockerignore; do
	cmp -s "$work/t1/$f" "$work/t1.patched/$f"
	same "two files: the diff gives fix's $f" 0 $?
done
same "two files: the backups are the previous files" \
    "# bk
*.log
# mine
build.log" "$(cat "$work/t1/Dockerfile.dockerignore.bak" "$work/t1/.dockerignore.bak")"
same "two files: nothing left under either builder" "buildkit 0 0
classic 0 0" "$(leftover "$work/t1")"
same "two files: nothing used lost" "app/
app/m.py" "$($CTXCTL ls --no-daemon --builder buildkit "$work/t1")"
$CTXCTL suggest --no-daemon "$work/t1" >/dev/null 2>&1
same "two files: suggest after fix exits 0" 0 $?

# --builder classic: only the file the classic builder reads
two_files t2
out=$($CTXCTL suggest --no-daemon --builder classic "$work/t2" 2>/dev/null)
same "two files, --builder classic: .dockerignore only" \
    "$(printf '%s\n' "$out" | grep '^+++')" "+++ b/.dockerignore"

# only BuildKit's file needs lines: the classic builder would then send
# Dockerfile.dockerignore.bak, so .dockerignore excludes the backups too
t=$work/t3
put "$t" Dockerfile 'FROM alpine\nCOPY app /app\n'
put "$t" app/m.py 'x\n'
put "$t" app/__pycache__/m.pyc 'c'
put "$t" Dockerfile.dockerignore '# bk\n'
put "$t" .dockerignore '**/__pycache__\nDockerfile.dockerignore\n'
out=$($CTXCTL suggest --no-daemon "$t" 2>/dev/null)
same "backup only: the classic file excludes the backups" \
    "--- a/Dockerfile.dockerignore
+++ b/Dockerfile.dockerignore
@@ -1,1 +1,7 @@
 # bk
+
+# ctxd: hazard: pycache
+/app/__pycache__
+
+# ctxd: the backup ctxctl fix keeps
+/Dockerfile.dockerignore.bak
--- a/.dockerignore
+++ b/.dockerignore
@@ -1,2 +1,6 @@
 **/__pycache__
 Dockerfile.dockerignore
+
+# ctxd: the backup ctxctl fix keeps
+/.dockerignore.bak
+/Dockerfile.dockerignore.bak" "$out"
$CTXCTL fix --no-daemon "$t" >/dev/null 2>&1
same "backup only: nothing left after fix" "buildkit 0 0
classic 0 0" "$(leftover "$t")"
$CTXCTL suggest --no-daemon "$t" >/dev/null 2>&1
same "backup only: suggest after fix exits 0" 0 $?

# --- dead weight grouped ------------------------------------------------
# lines only: the added lines of suggest's diff that are not comments
lines() {
	$CTXCTL suggest --no-daemon "$1" 2>/dev/null |
	    sed -n 's/^+\([^+#].*\)$/\1/p'
}

# app/README.md is copied: no `**/*.md`; each directory's .md share a line
t=$work/g1
put "$t" Dockerfile 'FROM alpine\nCOPY app /app\nCOPY docs/index.html /d/\n'
put "$t" app/m.py 'x\n'
put "$t" app/README.md 'r\n'
put "$t" docs/index.html 'i\n'
for f in docs/a.md docs/b.md docs/c.txt NOTES.md TODO.md; do put "$t" $f "$f\n"; done
same "grouped per directory" "/*.md
/docs/*.md
/docs/c.txt
/.dockerignore.bak" "$(lines "$t")"

# no kept .md anywhere: one line at any depth
t=$work/g2
put "$t" Dockerfile 'FROM alpine\nCOPY app /app\nCOPY docs/index.html /d/\n'
put "$t" app/m.py 'x\n'
put "$t" docs/index.html 'i\n'
for f in docs/a.md docs/b.md NOTES.md TODO.md; do put "$t" $f "$f\n"; done
same "grouped at any depth" "**/*.md
/.dockerignore.bak" "$(lines "$t")"
$CTXCTL fix --no-daemon "$t" >/dev/null 2>&1
same "grouped at any depth: nothing left after fix" "buildkit 0 0
classic 0 0" "$(leftover "$t")"
same "grouped at any depth: nothing used lost" "app/
app/m.py
docs/
docs/index.html" "$($CTXCTL ls --no-daemon --builder buildkit "$t")"

# docs/keep.md is named: no wildcard may take it
t=$work/g3
put "$t" Dockerfile 'FROM alpine\nCOPY docs/keep.md /d/\nCOPY web /w\n'
put "$t" docs/keep.md 'k\n'
put "$t" web/x.js 'x\n'
for f in docs/a.md docs/b.md web/y.md; do put "$t" $f "$f\n"; done
same "not grouped: a kept entry would match" "/docs/a.md
/docs/b.md
/.dockerignore.bak" "$(lines "$t")"

python3 "$top/tests/integ/suggest.py"
py=$?

# More generated trees, through suggest.py's checks: directories of
# siblings sharing extensions, some copied (so wildcard lines apply or must
# not), then the same with a Dockerfile.dockerignore for BuildKit, checked
# per file (the diff gives fix's files, nothing left, nothing used lost,
# every line needed).
PYTHONPATH="$top/tests/integ" python3 - "$work/gen" <<'PY'
import os, random, shutil, subprocess, sys
import suggest as S

def gen_group(root, rng):
    dirs = [""] + rng.sample(["docs", "src", "src/util", "web", "notes"],
                             rng.randint(2, 4))
    files = []
    for d in dirs:
        for _ in range(rng.randint(2, 6)):
            f = (d + "/" + rng.choice(["a", "b", "c", "guide", "readme"]) +
                 rng.choice([".md", ".md", ".txt", ".py", ".json"])).lstrip("/")
            if f not in files and not any(x.startswith(f + "/") for x in files):
                S.write(os.path.join(root, f), "data %s\n" % f)
                files.append(f)
    named, copies = set(), []
    for _ in range(rng.randint(1, 3)):
        pick = rng.random()
        if pick < 0.3:
            d = rng.choice(dirs[1:])
            copies.append("COPY %s /app/%s/" % (d, d))
            named.add(d)
        elif pick < 0.45:
            copies.append("COPY *.py /app/")
            py = [f for f in files if "/" not in f and f.endswith(".py")]
            if not py:
                S.write(os.path.join(root, "top.py"), "x\n")
                py = ["top.py"]
            named.update(py)
        else:
            f = rng.choice(files)
            copies.append("COPY %s /app/%s" % (f, f))
            named.add(f)
    if rng.random() < 0.4:
        d = rng.choice(dirs)
        S.write(os.path.join(root, d, ".env"), "SECRET=1\n")
    S.write(os.path.join(root, "Dockerfile"),
            "FROM alpine\n" + "\n".join(copies) + "\n")
    if rng.random() < 0.5:
        S.write(os.path.join(root, ".dockerignore"), "# mine\n*.log\n")
    return named

def read(p):
    return open(p).read() if os.path.exists(p) else None

def added(diff, label):
    """The pattern lines suggest adds to one file (backups left out)."""
    out, cur = [], None
    for ln in diff.splitlines():
        if ln.startswith("+++ "):
            cur = ln[6:]
        elif (ln.startswith("+") and cur == label and ln[1:] and
              not ln[1:].startswith("#") and not ln[1:].endswith(".bak")):
            out.append(ln[1:])
    return out

def one_two(seed, work):
    name = "two-%02d" % seed
    rng = random.Random(1000 + seed)
    root = os.path.join(work, name)
    os.makedirs(root)
    named = gen_group(root, rng)
    S.write(os.path.join(root, "Dockerfile.dockerignore"),
            "# bk\n" + rng.choice(["", "*.log\n", "docs/guide.md\n"]))
    files = ["Dockerfile.dockerignore", ".dockerignore"]
    sent = {b: S.listing(root, b) for b in S.BUILDERS}
    before = {b: S.check(root, b) for b in S.BUILDERS}
    s = S.ctl("suggest", "--no-daemon", root)
    if s.returncode not in (0, 1):
        return S.bad(name, "suggest exit %d" % s.returncode, s.stderr)
    kept = [ln.split()[2] for ln in s.stderr.splitlines()
            if ln.startswith("ctxctl: kept ")]
    if s.returncode == 0:
        return S.ok(name + " (clean)")
    copy = root + ".patched"
    shutil.copytree(root, copy, symlinks=True)
    p = subprocess.run(["patch", "-s", "-p1", "-d", copy], input=s.stdout,
                       capture_output=True, text=True)
    f = S.ctl("fix", "--no-daemon", root)
    if p.returncode != 0 or f.returncode != 0:
        return S.bad(name, "patch or fix failed", p.stderr, f.stderr)
    written = {x: read(os.path.join(root, x)) for x in files}
    if any(written[x] != read(os.path.join(copy, x)) for x in files):
        return S.bad(name, "the diff does not give fix's files", s.stdout)
    left = S.left_over(root, kept)
    if left:
        return S.bad(name, "still sent after fix", left, s.stdout)
    for b in S.BUILDERS:
        dead = before[b]["dead_weight"]["paths"]
        hz = [x["path"] for x in before[b]["findings"]]
        used = {e for e in sent[b] if not S.under(e, dead + hz) or e in named}
        lost = sorted(used - S.listing(root, b))
        if lost:
            return S.bad(name, "%s: used entries lost" % b, lost)
    if S.ctl("suggest", "--no-daemon", root).returncode != 0:
        return S.bad(name, "suggest after fix has more to say")
    nlines = 0
    for x in files:
        lines = written[x].split("\n")
        for ln in added(s.stdout, x):
            nlines += 1
            i = len(lines) - 1 - lines[::-1].index(ln)
            with open(os.path.join(root, x), "w") as fh:
                fh.write("\n".join(lines[:i] + lines[i + 1:]))
            back = S.left_over(root, kept)
            with open(os.path.join(root, x), "w") as fh:
                fh.write(written[x])
            if not back:
                return S.bad(name, "%s: line %r can be dropped" % (x, ln))
    S.ok("%s (%d lines in two files)" % (name, nlines))

work = sys.argv[1]
os.makedirs(work)
S.gen = gen_group
n = int(os.environ.get("SUGGEST_TREES", "24"))
for seed in range(n):
    for fn in (S.one, one_two):
        try:
            fn(seed, work)
        except Exception as e:  # a crash is a failure, not the end
            S.bad("%s-%02d" % (fn.__name__, seed), repr(e))
print("grouped and two-file trees: %d passed, %d failed" % (S.passed, S.failed))
sys.exit(1 if S.failed else 0)
PY
py2=$?
echo "suggest.sh: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$py" = 0 ] && [ "$py2" = 0 ]
