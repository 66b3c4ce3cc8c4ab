#!/usr/bin/env python3
"""ctxctl suggest / fix on generated trees (driven by suggest.sh).

Each tree (seeded) holds hazards of several classes at several depths, dead
weight, an optional .dockerignore, and a Dockerfile that copies a subset
(sometimes `COPY . .`, sometimes a wildcard, sometimes naming a hazard).
For each: suggest's diff applies with `patch -p1` and gives fix's file;
after fix, under both builders, no finding is left but those suggest kept
(each one a path the Dockerfile names), no dead weight is left, every used
entry outside a hazard is still sent; suggest then has nothing to say; and
every added line (but the backup's) is needed: without it a hazard or dead
weight comes back under some builder.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

CTXCTL = os.environ.get("CTXCTL", "build/ctxctl").split()
BUILDERS = ("buildkit", "classic")
passed = failed = 0


def ctl(*args, cwd=None):
    return subprocess.run(CTXCTL + list(args), cwd=cwd, capture_output=True,
                          text=True)


def check(d, builder):
    r = ctl("check", "--format", "json", "--no-daemon", "--builder", builder,
            "--fail-on", "low", d)
    if r.returncode not in (0, 1):
        raise RuntimeError("check %s: %s" % (builder, r.stderr))
    return json.loads(r.stdout)


def listing(d, builder):
    r = ctl("ls", "--no-daemon", "--builder", builder, d)
    if r.returncode != 0:
        raise RuntimeError("ls: " + r.stderr)
    return {p.rstrip("/") for p in r.stdout.splitlines()}


def under(p, tops):
    return any(p == t or p.startswith(t + "/") for t in tops)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(data)


def gen(root, rng):
    """A tree; returns the set of paths the Dockerfile names."""
    dirs = [""]
    for _ in range(rng.randint(3, 7)):
        parent = rng.choice(dirs)
        name = rng.choice(["src", "lib", "pkg", "docs", "app", "util", "web"])
        d = (parent + "/" + name).lstrip("/")
        if d.count("/") < 3 and d not in dirs:
            dirs.append(d)
    files = []
    for d in dirs:
        for _ in range(rng.randint(1, 3)):
            f = (d + "/" + rng.choice(["a.py", "b.txt", "README.md",
                                        "c.json", "main.go"])).lstrip("/")
            if f not in files:
                write(os.path.join(root, f), "data %s\n" % f)
                files.append(f)
    hazards = []
    for _ in range(rng.randint(2, 6)):
        d = rng.choice(dirs)
        kind = rng.choice(["env", "pycache", "git", "venv", "node", "ds",
                           "npmrc", "pytest"])
        j = lambda *p: "/".join(x for x in (d,) + p if x)
        if kind == "env":
            write(os.path.join(root, j(".env")), "SECRET=1\n")
            hazards.append(j(".env"))
        elif kind == "pycache":
            write(os.path.join(root, j("__pycache__", "m.cpython-312.pyc")), "c")
        elif kind == "git":
            write(os.path.join(root, j(".git", "HEAD")), "ref: refs/heads/main\n")
        elif kind == "venv":
            write(os.path.join(root, j(".venv", "pyvenv.cfg")), "home = /usr\n")
        elif kind == "node":
            write(os.path.join(root, j("node_modules", "x", "i.js")), "1")
        elif kind == "ds":
            write(os.path.join(root, j(".DS_Store")), "d")
        elif kind == "npmrc":
            write(os.path.join(root, j(".npmrc")),
                  "//registry.npmjs.org/:_authToken=abc\n")
        else:
            write(os.path.join(root, j(".pytest_cache", "v")), "c")
    named = set()
    copies = []
    style = rng.random()
    if style < 0.2:
        copies.append("COPY . /app/")
    else:
        for _ in range(rng.randint(1, 3)):
            pick = rng.random()
            if pick < 0.4 and len(dirs) > 1:
                d = rng.choice(dirs[1:])
                copies.append("COPY %s /app/%s/" % (d, d))
                named.add(d)
            elif pick < 0.6:
                copies.append("COPY *.py /app/")
                named.update(f for f in files if "/" not in f and f.endswith(".py"))
                if not any("/" not in f and f.endswith(".py") for f in files):
                    write(os.path.join(root, "top.py"), "x\n")
                    named.add("top.py")
            else:
                f = rng.choice(files)
                copies.append("COPY %s /app/%s" % (f, f))
                named.add(f)
        if hazards and rng.random() < 0.3:
            h = rng.choice(hazards)          # a hazard the Dockerfile names
            copies.append("COPY %s /secrets/%s" % (h, h))
            named.add(h)
    write(os.path.join(root, "Dockerfile"),
          "FROM alpine\n" + "\n".join(copies) + "\n")
    if rng.random() < 0.5:
        write(os.path.join(root, ".dockerignore"),
              "# mine\n*.log\n" + ("" if rng.random() < 0.5 else "tmp"))
    if rng.random() < 0.5:
        write(os.path.join(root, "build.log"), "log\n")
    return named


def ok(name):
    global passed
    passed += 1
    print("ok " + name)


def bad(name, *why):
    global failed
    failed += 1
    print("FAIL " + name)
    for w in why:
        print("  " + str(w)[:2000])


def left_over(d, kept):
    """Findings and dead weight under each builder that suggest did not
    keep: [(builder, what)]."""
    out = []
    for b in BUILDERS:
        c = check(d, b)
        for f in c["findings"]:
            if not any(k == f["path"] or k.startswith(f["path"] + "/")
                       for k in kept):
                out.append((b, "finding %s %s" % (f["rule"], f["path"])))
        for p in c["dead_weight"]["paths"]:
            if not under(p, kept):
                out.append((b, "dead weight " + p))
    return out


def one(seed, work):
    name = "tree-%02d" % seed
    rng = random.Random(seed)
    root = os.path.join(work, name)
    os.makedirs(root)
    named = gen(root, rng)
    before = {b: check(root, b) for b in BUILDERS}
    sent = {b: listing(root, b) for b in BUILDERS}
    s = ctl("suggest", "--no-daemon", root)
    if s.returncode not in (0, 1):
        return bad(name, "suggest exit %d" % s.returncode, s.stderr)
    kept = [ln.split()[2] for ln in s.stderr.splitlines()
            if ln.startswith("ctxctl: kept ")]
    for k in kept:
        if not any(under(k, [n]) or under(n, [k]) for n in named):
            return bad(name, "kept %s, which the Dockerfile does not name" % k,
                       s.stderr)
    dirty = any(before[b]["findings"] or before[b]["dead_weight"]["entries"]
                for b in BUILDERS)
    if s.returncode == 0:
        if left_over(root, kept):
            return bad(name, "nothing suggested, yet", left_over(root, kept))
        return ok(name + " (clean)") if not dirty else ok(name + " (all kept)")
    # the diff applies and gives what fix writes
    copy = root + ".patched"
    shutil.copytree(root, copy, symlinks=True)
    p = subprocess.run(["patch", "-s", "-p1", "-d", copy], input=s.stdout,
                       capture_output=True, text=True)
    di = os.path.join(root, ".dockerignore")
    old = open(di).read() if os.path.exists(di) else None
    f = ctl("fix", "--no-daemon", root)
    if f.returncode != 0:
        return bad(name, "fix exit %d" % f.returncode, f.stderr)
    with open(os.path.join(root, ".dockerignore")) as fh:
        written = fh.read()
    with open(os.path.join(copy, ".dockerignore")) as fh:
        patched = fh.read()
    if p.returncode != 0 or written != patched:
        return bad(name, "the diff does not give fix's file", p.stderr, s.stdout,
                   written)
    bak = os.path.join(root, ".dockerignore.bak")
    if old is None and os.path.exists(bak):
        return bad(name, "a backup of no file")
    if old is not None:
        with open(bak) as fh:
            if fh.read() != old:
                return bad(name, "the backup is not the previous file")
    left = left_over(root, kept)
    if left:
        return bad(name, "still sent after fix", left, written)
    # nothing used is lost: every entry sent and not dead weight before,
    # outside a hazard finding, is still sent (each builder)
    for b in BUILDERS:
        dead = before[b]["dead_weight"]["paths"]
        hz = [x["path"] for x in before[b]["findings"]]
        used = {e for e in sent[b] if not under(e, dead) and not under(e, hz)}
        used |= {e for e in sent[b] if e in named}
        after = listing(root, b)
        lost = sorted(used - after)
        if lost:
            return bad(name, "%s: used entries lost" % b, lost, written)
    again = ctl("suggest", "--no-daemon", root)
    if again.returncode != 0:
        return bad(name, "suggest after fix exit %d" % again.returncode,
                   again.stdout)
    # minimality: each line is needed
    lines = written.split("\n")
    added = [ln for ln in s.stdout.splitlines()
             if ln.startswith("+") and not ln.startswith("+++")]
    removed = {ln[1:] for ln in s.stdout.splitlines()
               if ln.startswith("-") and not ln.startswith("---")}
    added = [ln[1:] for ln in added
             if ln[1:] and not ln[1:].startswith("#") and
             ln[1:] not in removed and ln[1:] != "/.dockerignore.bak"]
    for ln in added:
        i = len(lines) - 1 - lines[::-1].index(ln)
        with open(os.path.join(root, ".dockerignore"), "w") as fh:
            fh.write("\n".join(lines[:i] + lines[i + 1:]))
        back = left_over(root, kept)
        with open(os.path.join(root, ".dockerignore"), "w") as fh:
            fh.write(written)
        if not back:
            return bad(name, "line %r can be dropped" % ln, written)
    ok("%s (%d lines, %d with **, %d kept)" % (
        name, len(added), sum(ln.startswith("**/") for ln in added), len(kept)))


def main():
    n = int(os.environ.get("SUGGEST_TREES", "24"))
    work = tempfile.mkdtemp(prefix="ctxd-suggest.")
    try:
        for seed in range(n):
            try:
                one(seed, work)
            except Exception as e:  # a crash is a failure, not the end
                bad("tree-%02d" % seed, repr(e))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
