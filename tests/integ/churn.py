#!/usr/bin/env python3
"""Random file-system churn under a running ctxd, for tests/integ/churn.sh.

churn.py --ctxctl CMD --work DIR --seed N --builder classic|buildkit
         --variant all|narrow|subdir|outside [--ops N] [--check-every N]

Makes DIR/ctx (the context) and DIR/outside (where renames come from and go
to), registers the context with the daemon (ctxctl status), applies --ops
random operations (files, directories, renames in/out/within, symlinks,
deletes, .dockerignore and Dockerfile edits, atomic saves, bursts), and
every --check-every operations and at the end waits for the daemon to
settle and compares its manifest with `ctxctl manifest --no-daemon`, byte
for byte.  Every operation is logged to DIR/ops.log.  Exit 0 when every
check matched; 1 with a diff on the first mismatch.

The variants: all (buildkit: COPY . /app), narrow (buildkit: COPY of a few
random sources, changed by the Dockerfile edits), subdir (-f
docker/Dockerfile inside the context, with its own
docker/Dockerfile.dockerignore at times), outside (-f a Dockerfile outside
the context).  classic ignores COPY but the Dockerfile is still sent.
"""
import argparse
import difflib
import os
import random
import shutil
import stat
import subprocess
import sys
import time

DIRS = ["a", "b", "src", "node_modules", "build", "cache", "sub", "tmp",
        ".git", "venv", "keep", "d e", "caf\u00e9"]
FILES = ["x.txt", "y.log", "z.bak", "main.py", "keep", "important.txt",
         ".env", "README", "data.bin", "a b.txt", "caf\u00e9.txt",
         "back\\slash", "notes.md", "x.txt~"]
PATTERNS = ["node_modules", "**/node_modules", "*.log", "**/*.bak", "build",
            "build/", "!build/keep", "!node_modules/keep", "!**/important.txt",
            ".git", "venv", "*/cache", "tmp/**", "!tmp/keep", "sub/*",
            "!sub/main.py", "a/b", "**/.env", "README", "!README", "cache",
            "**/tmp", "!a/**/keep", "src/*.txt", "!src/x.txt", "keep",
            "d e", "caf\u00e9*", "*.md", "**/x.txt~", "a", "!a/x.txt"]
# Rare, because they exclude nearly everything.
WIDE_PATTERNS = ["*", "!src", "!src/**", "**"]
MODES = [0o644, 0o600, 0o755, 0o444, 0o640, 0o700, 0o664, 0o400]
DMODES = [0o755, 0o700, 0o750, 0o775, 0o555]


class Churn:
    def __init__(self, args):
        self.a = args
        self.r = random.Random(args.seed)
        self.work = os.path.abspath(args.work)
        self.root = os.path.join(self.work, "ctx")
        self.out = os.path.join(self.work, "outside")
        self.log = open(os.path.join(self.work, "ops.log"), "w")
        self.nops = 0
        self.uniq = 0
        self.hardlinks = args.hardlinks
        self.stderr_noted = False
        self.dockerfile = None      # -f argument, or None
        if args.variant == "subdir":
            self.dockerfile = os.path.join(self.root, "docker", "Dockerfile")
        elif args.variant == "outside":
            self.dockerfile = os.path.join(self.out, "df", "Dockerfile")

    # ---- helpers

    def note(self, *what):
        self.log.write("%d %s\n" % (self.nops, " ".join(repr(w) for w in what)))

    def fresh(self, base):
        self.uniq += 1
        return "%s.%d" % (base, self.uniq)

    def content(self):
        k = self.r.random()
        if k < 0.1:
            return b""
        if k < 0.9:
            return self.r.randbytes(self.r.randint(1, 200))
        return self.r.randbytes(self.r.randint(1000, 70000))

    def scan(self):
        """Every path below root (relative), split into dirs and others."""
        dirs, files = [""], []
        for top, ds, fs in os.walk(self.root):
            rel = os.path.relpath(top, self.root)
            rel = "" if rel == "." else rel + "/"
            for d in ds:
                p = rel + d
                (files if os.path.islink(self.abs(p)) else dirs).append(p)
            for f in fs:
                files.append(rel + f)
        return dirs, files

    def abs(self, rel):
        return os.path.join(self.root, rel) if rel else self.root

    def pick_dir(self, dirs, depth=4):
        ok = [d for d in dirs if d.count("/") < depth]
        return self.r.choice(ok or [""])

    def protected(self, rel):
        """Paths the structure depends on: edited by their own operations."""
        return rel in ("Dockerfile", ".dockerignore", "docker",
                       "docker/Dockerfile", "docker/Dockerfile.dockerignore")

    def write(self, path, data):
        with open(path, "wb") as f:
            f.write(data)

    # ---- the initial tree

    def populate(self):
        os.makedirs(self.root)
        os.makedirs(self.out)
        for _ in range(self.r.randint(15, 30)):
            d = os.path.join(*[self.r.choice(DIRS)
                               for _ in range(self.r.randint(1, 3))])
            try:
                os.makedirs(self.abs(d), exist_ok=True)
            except OSError:
                continue        # a file named like one of the dirs
            for _ in range(self.r.randint(0, 4)):
                p = os.path.join(self.abs(d), self.r.choice(FILES))
                if not os.path.isdir(p):
                    self.write(p, self.content())
        self.write(self.abs(".dockerignore"), self.ignore_text())
        if self.a.variant == "subdir":
            os.makedirs(self.abs("docker"), exist_ok=True)
        if self.a.variant == "outside":
            os.makedirs(os.path.dirname(self.dockerfile), exist_ok=True)
        self.write(self.df_path(), self.df_text())

    def ignore_text(self):
        pats = self.r.sample(PATTERNS, self.r.randint(0, 6))
        if self.r.random() < 0.05:
            pats += self.r.sample(WIDE_PATTERNS, 2)
        return ("\n".join(pats) + "\n").encode()

    def df_path(self):
        return self.dockerfile or self.abs("Dockerfile")

    def copy_source(self):
        dirs, files = self.scan()
        k = self.r.random()
        if k < 0.15:
            return self.r.choice(["*.txt", "src/*.py", "*/x.txt", "a*", "?",
                                  "[ab]", "nosuch", "src/"])
        pool = [p for p in dirs + files if p and " " not in p]
        return self.r.choice(pool) if pool else "."

    def df_text(self):
        v = self.a.variant
        lines = ["FROM scratch"]
        if v == "all" or (v != "narrow" and self.r.random() < 0.5):
            lines.append("COPY . /app")
        for i in range(self.r.randint(1 if v == "narrow" else 0, 4)):
            k = self.r.random()
            src = self.copy_source()
            if k < 0.6:
                lines.append("COPY %s /dst%d" % (src, i))
            elif k < 0.75:
                lines.append("ADD %s /dst%d" % (src, i))
            elif k < 0.9:
                lines.append("RUN --mount=type=bind,source=%s,target=/m true"
                             % src)
            else:
                lines.append("RUN echo %d" % self.r.randint(0, 1000))
        return ("\n".join(lines) + "\n").encode()

    # ---- operations

    def op_create(self, dirs, files):
        d = self.pick_dir(dirs)
        p = os.path.join(d, self.r.choice(FILES + [self.fresh("f")]))
        if os.path.lexists(self.abs(p)) and not os.path.isfile(self.abs(p)):
            return
        self.note("create", p)
        self.write(self.abs(p), self.content())

    def regular(self, files):
        return [f for f in files if not self.protected(f) and
                os.path.isfile(self.abs(f)) and not os.path.islink(self.abs(f))]

    def op_write(self, dirs, files):
        fs = self.regular(files)
        if not fs:
            return
        p = self.r.choice(fs)
        self.note("write", p)
        mode = "ab" if self.r.random() < 0.5 else "r+b"
        with open(self.abs(p), mode) as f:
            f.write(self.r.randbytes(self.r.randint(1, 64)))

    def op_truncate(self, dirs, files):
        fs = self.regular(files)
        if not fs:
            return
        p = self.r.choice(fs)
        n = self.r.randint(0, 10)
        self.note("truncate", p, n)
        os.truncate(self.abs(p), n)

    def op_chmod(self, dirs, files):
        if self.r.random() < 0.3 and len(dirs) > 1:
            p = self.r.choice(dirs[1:])
            m = self.r.choice(DMODES)
        else:
            fs = self.regular(files)
            if not fs:
                return
            p = self.r.choice(fs)
            m = self.r.choice(MODES)
        self.note("chmod", p, oct(m))
        os.chmod(self.abs(p), m)

    def op_mkdir(self, dirs, files):
        d = self.pick_dir(dirs, 3)
        p = os.path.join(d, self.r.choice(DIRS + [self.fresh("d")]))
        if os.path.lexists(self.abs(p)):
            return
        self.note("mkdir", p)
        os.mkdir(self.abs(p))
        for _ in range(self.r.randint(0, 3)):
            self.write(os.path.join(self.abs(p), self.r.choice(FILES)),
                       self.content())

    def op_rename_file(self, dirs, files):
        fs = [f for f in files if not self.protected(f)]
        if not fs:
            return
        src = self.r.choice(fs)
        d = self.pick_dir(dirs)
        dst = os.path.join(d, self.r.choice(FILES + [self.fresh("r")]))
        if self.protected(dst) or dst == src or os.path.isdir(self.abs(dst)) \
                and not os.path.islink(self.abs(dst)):
            return
        self.note("rename-file", src, dst)
        os.rename(self.abs(src), self.abs(dst))

    def op_rename_dir(self, dirs, files):
        ds = [d for d in dirs[1:] if not self.protected(d)]
        if not ds:
            return
        src = self.r.choice(ds)
        d = self.pick_dir([x for x in dirs if x != src and
                           not x.startswith(src + "/")], 3)
        dst = os.path.join(d, self.r.choice(DIRS + [self.fresh("rd")]))
        if self.protected(dst) or os.path.lexists(self.abs(dst)) and (
                not os.path.isdir(self.abs(dst)) or os.listdir(self.abs(dst))):
            return
        self.note("rename-dir", src, dst)
        os.rename(self.abs(src), self.abs(dst))

    def op_move_in(self, dirs, files):
        name = self.fresh("in")
        src = os.path.join(self.out, name)
        if self.r.random() < 0.5:
            self.write(src, self.content())
        else:
            os.makedirs(os.path.join(src, self.r.choice(DIRS)))
            for _ in range(self.r.randint(1, 5)):
                self.write(os.path.join(src, self.r.choice(FILES)),
                           self.content())
        d = self.pick_dir(dirs)
        dst = os.path.join(d, self.r.choice(DIRS + FILES + [name]))
        if self.protected(dst) or os.path.lexists(self.abs(dst)):
            shutil.rmtree(src, ignore_errors=True)
            if os.path.lexists(src):
                os.unlink(src)
            return
        self.note("move-in", dst)
        os.rename(src, self.abs(dst))

    def op_move_out(self, dirs, files):
        cand = [p for p in dirs[1:] + files if not self.protected(p)]
        if not cand:
            return
        src = self.r.choice(cand)
        self.note("move-out", src)
        dst = os.path.join(self.out, self.fresh("out"))
        os.rename(self.abs(src), dst)
        # Sometimes change it while outside (must go unnoticed), then
        # drop it.
        if os.path.isfile(dst) and not os.path.islink(dst):
            self.write(dst, b"changed outside")
        if os.path.isdir(dst) and not os.path.islink(dst):
            shutil.rmtree(dst)
        else:
            os.unlink(dst)

    def op_symlink(self, dirs, files):
        d = self.pick_dir(dirs)
        p = os.path.join(d, self.r.choice(["link", "ln.txt", "dl", "node_modules",
                                           "build", self.fresh("l")]))
        if os.path.lexists(self.abs(p)):
            return
        k = self.r.random()
        if k < 0.3 and files:
            target = os.path.relpath(self.abs(self.r.choice(files)),
                                     os.path.dirname(self.abs(p)))
        elif k < 0.6 and len(dirs) > 1:
            target = os.path.relpath(self.abs(self.r.choice(dirs[1:])),
                                     os.path.dirname(self.abs(p)))
        elif k < 0.7:
            target = self.out
        elif k < 0.8:
            target = "/" + self.r.choice(dirs[1:] or ["a"])
        else:
            target = self.fresh("dangling")
        self.note("symlink", p, target)
        os.symlink(target, self.abs(p))

    def op_delete(self, dirs, files):
        fs = [f for f in files if not self.protected(f)]
        if not fs:
            return
        p = self.r.choice(fs)
        self.note("delete", p)
        os.unlink(self.abs(p))

    def op_rmtree(self, dirs, files):
        ds = [d for d in dirs[1:] if not self.protected(d)]
        if not ds:
            return
        p = self.r.choice(ds)
        self.note("rmtree", p)
        shutil.rmtree(self.abs(p))

    def ignore_path(self):
        if self.a.variant == "subdir" and self.r.random() < 0.4:
            return self.abs("docker/Dockerfile.dockerignore")
        if self.a.variant == "outside" and self.r.random() < 0.4:
            return self.dockerfile + ".dockerignore"
        return self.abs(".dockerignore")

    def op_ignore(self, dirs, files):
        path = self.ignore_path()
        try:
            with open(path, "rb") as f:
                lines = f.read().decode(errors="surrogateescape").splitlines()
        except FileNotFoundError:
            lines = []
        k = self.r.random()
        if k < 0.35:
            lines.append(self.r.choice(PATTERNS))
        elif k < 0.6 and lines:
            del lines[self.r.randrange(len(lines))]
        elif k < 0.7:
            lines = self.ignore_text().decode().splitlines()
        elif k < 0.75:
            lines.append(self.r.choice(WIDE_PATTERNS))
        elif k < 0.8 and os.path.exists(path):
            self.note("ignore-delete", path)
            os.unlink(path)
            return
        elif k < 0.82:
            lines.append("[")       # a bad pattern: the context errs
        else:
            lines.append("!" + self.r.choice(dirs + files or ["x"]))
        text = ("\n".join(lines) + "\n").encode(errors="surrogateescape")
        self.note("ignore", path, text)
        self.save(path, text, atomic=self.r.random() < 0.5)

    def op_dockerfile(self, dirs, files):
        path = self.df_path()
        if self.r.random() < 0.03 and os.path.exists(path):
            self.note("dockerfile-delete")
            os.unlink(path)
            return
        text = self.df_text()
        self.note("dockerfile", text)
        self.save(path, text, atomic=self.r.random() < 0.5)

    def save(self, path, data, atomic):
        if not atomic:
            self.write(path, data)
            return
        style = self.r.randrange(3)
        d, base = os.path.split(path)
        if style == 0:      # write temp, rename over (most editors)
            tmp = os.path.join(d, "." + base + ".swp")
            self.write(tmp, data)
            os.rename(tmp, path)
        elif style == 1:    # vim's backup: rename away, write new, delete
            bak = path + "~"
            if os.path.exists(path):
                os.rename(path, bak)
            self.write(path, data)
            if os.path.lexists(bak):
                os.unlink(bak)
        else:               # temp in the same dir with a random name
            tmp = os.path.join(d, self.fresh(".tmp"))
            self.write(tmp, data)
            os.chmod(tmp, 0o644)
            os.rename(tmp, path)

    def op_atomic(self, dirs, files):
        fs = self.regular(files)
        if not fs:
            return
        p = self.r.choice(fs)
        self.note("atomic-save", p)
        self.save(self.abs(p), self.content(), atomic=True)

    def op_burst(self, dirs, files):
        k = self.r.random()
        if k < 0.4:
            d = os.path.join(self.pick_dir(dirs, 2), self.fresh("burst"))
            self.note("burst-create", d)
            os.makedirs(self.abs(d))
            for i in range(self.r.randint(20, 120)):
                sub = self.abs(os.path.join(d, "s%d" % (i % 7)))
                os.makedirs(sub, exist_ok=True)
                self.write(os.path.join(sub, "f%d" % i), self.content())
        elif k < 0.7:
            fs = self.regular(files)
            self.note("burst-write", len(fs))
            for p in self.r.sample(fs, min(len(fs), 60)):
                self.write(self.abs(p), self.content())
        else:
            # a checkout: delete a directory and recreate it with changes
            ds = [d for d in dirs[1:] if not self.protected(d)]
            if not ds:
                return
            d = self.r.choice(ds)
            self.note("burst-checkout", d)
            keep = {}
            for top, _, fs in os.walk(self.abs(d)):
                for f in fs:
                    fp = os.path.join(top, f)
                    if os.path.isfile(fp) and not os.path.islink(fp):
                        keep[os.path.relpath(fp, self.abs(d))] = True
            shutil.rmtree(self.abs(d))
            for rel in keep:
                fp = os.path.join(self.abs(d), rel)
                os.makedirs(os.path.dirname(fp), exist_ok=True)
                self.write(fp, self.content())

    def op_retype(self, dirs, files):
        """A file becomes a directory of the same name, or the reverse."""
        if self.r.random() < 0.5:
            fs = self.regular(files)
            if not fs:
                return
            p = self.r.choice(fs)
            self.note("file-to-dir", p)
            os.unlink(self.abs(p))
            os.mkdir(self.abs(p))
            self.write(os.path.join(self.abs(p), "x.txt"), self.content())
        else:
            ds = [d for d in dirs[1:] if not self.protected(d)]
            if not ds:
                return
            p = self.r.choice(ds)
            self.note("dir-to-file", p)
            shutil.rmtree(self.abs(p))
            self.write(self.abs(p), self.content())

    def op_special(self, dirs, files):
        d = self.pick_dir(dirs)
        p = os.path.join(d, self.fresh("fifo"))
        self.note("mkfifo", p)
        os.mkfifo(self.abs(p))

    def op_config_link(self, dirs, files):
        """.dockerignore or the Dockerfile becomes a symlink to a file
        elsewhere in the tree (or back to a plain file); the other
        operations then edit the target through it."""
        path = self.r.choice([self.abs(".dockerignore"), self.df_path()])
        if os.path.islink(path):
            self.note("config-unlink", path)
            data = b""
            if os.path.exists(path):
                with open(path, "rb") as f:
                    data = f.read()
            os.unlink(path)
            self.write(path, data)
            return
        if not os.path.exists(path):
            return
        d = self.abs("cfg")
        os.makedirs(d, exist_ok=True)
        target = os.path.join(d, self.fresh(os.path.basename(path)))
        self.note("config-link", path, target)
        os.rename(path, target)
        os.symlink(os.path.relpath(target, os.path.dirname(path)), path)

    def op_hardlink(self, dirs, files):
        fs = self.regular(files)
        if not fs:
            return
        src = self.r.choice(fs)
        dst = os.path.join(self.pick_dir(dirs), self.fresh("hl"))
        self.note("hardlink", src, dst)
        os.link(self.abs(src), self.abs(dst))

    OPS = [
        ("create", 10), ("write", 10), ("truncate", 3), ("chmod", 5),
        ("mkdir", 6), ("rename_file", 5), ("rename_dir", 4),
        ("move_in", 3), ("move_out", 3), ("symlink", 4), ("delete", 6),
        ("rmtree", 2), ("ignore", 5), ("dockerfile", 3), ("atomic", 5),
        ("burst", 1), ("retype", 2), ("special", 1), ("config_link", 1),
    ]

    def step(self):
        dirs, files = self.scan()
        ops = list(self.OPS)
        if self.hardlinks:
            ops.append(("hardlink", 2))
        if len(dirs) + len(files) > 500:
            ops = [("rmtree", 10), ("delete", 10), ("move_out", 5)]
        names = [n for n, _ in ops]
        weights = [w for _, w in ops]
        name = self.r.choices(names, weights)[0]
        self.nops += 1
        try:
            getattr(self, "op_" + name)(dirs, files)
        except OSError as e:
            # A legitimate refusal (rename over a non-empty dir, ...).
            self.note("refused", name, str(e))

    # ---- the checks

    def ctxctl(self, *args, daemon=True):
        cmd = list(self.a.ctxctl) + list(args) + ["--builder", self.a.builder]
        if self.dockerfile:
            cmd += ["-f", self.dockerfile]
        if not daemon:
            cmd.append("--no-daemon")
        cmd.append(self.root)
        p = subprocess.run(cmd, capture_output=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def settle(self):
        """Waits until the daemon's hash is the same twice in a row
        (bounded); returns the seconds it took."""
        t0 = time.monotonic()
        prev = None
        while time.monotonic() - t0 < 15:
            cur = self.ctxctl("hash")
            if cur == prev:
                break
            prev = cur
            time.sleep(0.1)
        return time.monotonic() - t0

    def check(self, label):
        took = self.settle()
        d = self.ctxctl("manifest")
        n = self.ctxctl("manifest", daemon=False)
        if d[:2] == n[:2]:
            # The same output and status; the messages of a refused
            # context may differ in how they escape bytes: noted once.
            if d[2] != n[2] and not self.stderr_noted:
                self.stderr_noted = True
                print("note: at %s the error messages differ: daemon %r, "
                      "--no-daemon %r" % (label, d[2], n[2]))
            return True
        print("mismatch at %s (after %d operations, seed %d, settled in "
              "%.2fs)" % (label, self.nops, self.a.seed, took))
        print("daemon rc=%d stderr=%r; --no-daemon rc=%d stderr=%r"
              % (d[0], d[2], n[0], n[2]))
        diff = difflib.unified_diff(
            n[1].decode(errors="replace").splitlines(),
            d[1].decode(errors="replace").splitlines(),
            "--no-daemon", "daemon", lineterm="", n=1)
        print("\n".join(list(diff)[:60]))
        time.sleep(3)
        late = self.ctxctl("manifest")
        print("3 s later the daemon %s" % ("agrees" if late[:2] == n[:2] else
              "still differs"))
        return False

    def run(self):
        self.populate()
        rc, out, err = self.ctxctl("status")
        if rc not in (0, 1):
            print("status failed: %r" % err)
            return 1
        if not self.check("start"):
            return 1
        t0 = time.monotonic()
        while self.nops < self.a.ops:
            self.step()
            if self.nops % self.a.check_every == 0 and \
                    self.a.check_from <= self.nops < self.a.ops:
                if not self.check("op %d" % self.nops):
                    return 1
        t_ops = time.monotonic() - t0
        if not self.check("end"):
            return 1
        dirs, files = self.scan()
        print("seed %d: %d operations in %.1fs, final tree %d dirs %d others"
              % (self.a.seed, self.nops, t_ops, len(dirs), len(files)))
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctxctl", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--builder", choices=["classic", "buildkit"], required=True)
    ap.add_argument("--variant", default="all",
                    choices=["all", "narrow", "subdir", "outside"])
    ap.add_argument("--ops", type=int, default=2000)
    ap.add_argument("--check-every", type=int, default=250)
    ap.add_argument("--check-from", type=int, default=0,
                    help="no pause before this many operations")
    ap.add_argument("--hardlinks", action="store_true")
    a = ap.parse_args()
    a.ctxctl = a.ctxctl.split()
    os.umask(0o022)
    sys.exit(Churn(a).run())


if __name__ == "__main__":
    main()
