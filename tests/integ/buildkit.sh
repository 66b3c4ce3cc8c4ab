#!/usr/bin/env bash
# BuildKit-mode integration tests: one case (or a few) per rule of
# ../shared/spec/buildkit-context.md (bk-v1), each built from that rule's
# example in a private temp dir.  Every expected listing, manifest and exit
# status below was derived from the spec by hand, not copied from ctxctl.
# Prints "ok NAME" or "FAIL NAME" and a diff per case, then "N passed, M
# failed"; exits 1 when M > 0.  Run by `make check-integ` with CTXCTL set.
set -u
top=$(cd -- "$(dirname -- "$0")/../.." && pwd)
CTXCTL=${CTXCTL:-$top/build/ctxctl}
umask 022
export LC_ALL=C

E3B0=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
tmp=$(mktemp -d -t ctxd-integ-bk.XXXXXX) || exit 1
# Some cases leave mode-000 directories behind: make them removable first.
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"
pass=0 fail=0 n=0
name= d= want_status=0 cmd_user=

# ---------------------------------------------------------------- helpers

# begin NAME: a fresh, empty directory $d (the usual context) for one case.
begin() {
	name=$1
	n=$((n + 1))
	d=$tmp/c$n
	mkdir -m 0755 "$d"
	: >"$tmp/c$n.want"
	want_status=0
	cmd_user=
}

# mkf PATH [CONTENT]: a file in $d (printf %b escapes), parents created.
mkf() {
	mkdir -p -- "$(dirname -- "$d/$1")"
	printf '%b' "${2-}" >"$d/$1"
}

# want LINE...: the exact expected stdout, one argument a line.
want() {
	if [ $# -gt 0 ]; then printf '%s\n' "$@" >"$tmp/c$n.want"; else : >"$tmp/c$n.want"; fi
}

# frec PERM PATH: the ctx-v1 record of regular file $d/PATH (size and
# SHA-256 of its bytes), with the permission bits the case gave it.
frec() {
	local size sum
	size=$(wc -c <"$d/$2")
	sum=$(sha256sum <"$d/$2")
	printf 'f %s %d %s %s\n' "$1" "$size" "${sum%% *}" "$2"
}

# run COMMAND ARGS...: ctxctl COMMAND --no-daemon ARGS in $d, or in $2 of
# "in DIR COMMAND ARGS..."; as uid 65534 when $cmd_user is set.
run() {
	local where=$d
	if [ "$1" = in ]; then where=$2; shift 2; fi
	local c=$1; shift
	if [ -n "$cmd_user" ]; then
		(cd "$where" && setpriv --reuid=65534 --regid=65534 --clear-groups \
		    "$nobody_ctxctl" "$c" --no-daemon "$@") >"$tmp/c$n.got" 2>"$tmp/c$n.err"
	else
		(cd "$where" && "$CTXCTL" "$c" --no-daemon "$@") >"$tmp/c$n.got" 2>"$tmp/c$n.err"
	fi
	echo $? >"$tmp/c$n.rc"
	verdict
}

verdict() {
	local rc
	rc=$(cat "$tmp/c$n.rc")
	if [ "$rc" = "$want_status" ] && cmp -s "$tmp/c$n.want" "$tmp/c$n.got"; then
		echo "ok $name"
		pass=$((pass + 1))
		return
	fi
	echo "FAIL $name"
	[ "$rc" = "$want_status" ] || echo "  exit status $rc, expected $want_status"
	diff -u --label expected --label got "$tmp/c$n.want" "$tmp/c$n.got" | sed 's/^/  /'
	sed 's/^/  stderr: /' "$tmp/c$n.err"
	fail=$((fail + 1))
}

skip() {
	echo "skip $name: $1"
}

# Rules 8.1 and 8.2 need a user that permissions apply to.
nobody_ctxctl=
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	install -m 0755 "$CTXCTL" "$tmp/ctxctl" &&
	    setpriv --reuid=65534 --regid=65534 --clear-groups "$tmp/ctxctl" --version \
	    >/dev/null 2>&1 && nobody_ctxctl=$tmp/ctxctl
fi
as_nobody() {
	[ -n "$nobody_ctxctl" ] || return 1
	cmd_user=65534
}

DF_COPY_ALL='FROM alpine\nCOPY . .\n'

# ---------------------------------------------------------------- 1. transfers

begin rule-1.1-context-is-transfer-3
mkf Dockerfile 'FROM alpine\nCOPY app /app\n'
mkf .dockerignore '*.md\n'
mkf app/main.py 'print("hi")\n'
mkf secrets/key 'k\n'
want app/ app/main.py
run ls

# ---------------------------------------------------------------- 2. ignore file

begin rule-2.1-per-dockerfile-ignore-file-first
mkf build/api.Dockerfile "$DF_COPY_ALL"
mkf build/api.Dockerfile.dockerignore '*\n!api\n'
mkf .dockerignore 'node_modules\n'
mkf api/x.js
mkf api/node_modules/z.js
mkf node_modules/m.js
mkf web/y.js
# `*` excludes every top-level name, `!api` re-includes api (and, through
# the parent results, everything below it); node_modules is not a pattern.
want api/ api/node_modules/ api/node_modules/z.js api/x.js
run ls -f build/api.Dockerfile .

begin rule-2.1-root-dockerignore-without-per-dockerfile-file
mkf build/api.Dockerfile "$DF_COPY_ALL"
mkf .dockerignore 'node_modules\n'
mkf api/x.js
mkf node_modules/m.js
want .dockerignore api/ api/x.js build/ build/api.Dockerfile
run ls -f build/api.Dockerfile .

begin rule-2.1-directory-ignore-file-is-absent
mkf Dockerfile "$DF_COPY_ALL"
mkf Dockerfile.dockerignore/f
mkf .dockerignore '*.log\n'
mkf a.log
mkf b.txt
mkf sub/.dockerignore '*\n'
mkf sub/c.txt
want .dockerignore Dockerfile Dockerfile.dockerignore/ Dockerfile.dockerignore/f \
    b.txt sub/ sub/.dockerignore sub/c.txt
run ls

begin rule-2.1-ignore-file-symlink-followed-inside-its-dir
mkf Dockerfile "$DF_COPY_ALL"
mkf ign/bk '*.log\n'
ln -s /ign/bk "$d/.dockerignore"
mkf a.log
# the absolute target is taken relative to the context, not the host root
want .dockerignore Dockerfile ign/ ign/bk
run ls

begin rule-2.1-dockerfile-symlink-followed-inside-its-dir
mkf df/real 'FROM alpine\nCOPY a /\n'
ln -s /df/real "$d/Dockerfile"
mkf a
mkf b
want a
run ls

begin rule-2.2-lowercase-dockerfile-and-its-ignore-file
mkf dockerfile "$DF_COPY_ALL"
mkf dockerfile.dockerignore '*.tmp\n'
mkf .dockerignore '*.txt\n'
mkf a.tmp
mkf b.txt
want .dockerignore b.txt dockerfile dockerfile.dockerignore
run ls

begin rule-2.2-lowercase-name-selects-lowercase-ignore-file
mkf dockerfile "$DF_COPY_ALL"
mkf Dockerfile.dockerignore 'a\n'
mkf .dockerignore 'b\n'
mkf a
mkf b
want .dockerignore Dockerfile.dockerignore a dockerfile
run ls

begin rule-2.2-lowercase-fallback-with-f
mkf sub/dockerfile "$DF_COPY_ALL"
mkf sub/dockerfile.dockerignore 'sub\n'
mkf a
want a
run ls -f sub/Dockerfile .

begin rule-2.2-f-relative-to-cwd
mkdir "$d/ctx"
mkf df/app.Dockerfile "$DF_COPY_ALL"
mkf df/app.Dockerfile.dockerignore 'secret\n'
mkf ctx/secret 's\n'
mkf ctx/keep 'k\n'
# A decoy at the same path below the context: it must not be the one read.
mkf ctx/df/app.Dockerfile 'FROM alpine\nCOPY keep /\n'
mkf ctx/df/app.Dockerfile.dockerignore 'keep\n'
want df/ df/app.Dockerfile df/app.Dockerfile.dockerignore keep
run ls -f df/app.Dockerfile ctx

begin rule-2.3-empty-ignore-file-builtin-frontend
mkf Dockerfile "$DF_COPY_ALL"
mkf Dockerfile.dockerignore
mkf .dockerignore '*.log\n'
mkf a.log
want .dockerignore Dockerfile Dockerfile.dockerignore a.log
run ls

begin rule-2.3-empty-ignore-file-syntax-line-external-frontend
mkf Dockerfile "# syntax=docker/dockerfile:1\n$DF_COPY_ALL"
mkf Dockerfile.dockerignore
mkf .dockerignore '*.log\n'
mkf a.log
want .dockerignore Dockerfile Dockerfile.dockerignore
run ls

begin rule-2.3-empty-ignore-file-indented-syntax-line-builtin
mkf Dockerfile "  # syntax=docker/dockerfile:1\n$DF_COPY_ALL"
mkf Dockerfile.dockerignore
mkf .dockerignore '*.log\n'
mkf a.log
want .dockerignore Dockerfile Dockerfile.dockerignore a.log
run ls

begin rule-2.3-shebang-then-syntax-line-external-frontend
mkf Dockerfile "#!/usr/bin/env x\n# syntax=docker/dockerfile:1\n$DF_COPY_ALL"
mkf Dockerfile.dockerignore
mkf .dockerignore '*.log\n'
mkf a.log
want .dockerignore Dockerfile Dockerfile.dockerignore
run ls

begin rule-2.3-buildkit-syntax-build-arg-external-frontend
mkf Dockerfile "$DF_COPY_ALL"
mkf Dockerfile.dockerignore
mkf .dockerignore '*.log\n'
mkf a.log
want .dockerignore Dockerfile Dockerfile.dockerignore
run ls --build-arg BUILDKIT_SYNTAX=docker/dockerfile:1

begin rule-2.3-empty-buildkit-syntax-build-arg-fails
mkf Dockerfile "$DF_COPY_ALL"
want_status=1
run ls --build-arg BUILDKIT_SYNTAX=

begin rule-2.4-trim-and-clean
mkf Dockerfile "$DF_COPY_ALL"
mkf .dockerignore '  /docs/  \n#c\n !./a/../b \n'
mkf docs/x
mkf '#c'
mkf b
mkf c
# patterns `docs`, `!b`: `#c` is a comment, not a pattern
want '#c' .dockerignore Dockerfile b c
run ls

begin rule-2.4-trim-and-clean-exception-is-b
mkf Dockerfile "$DF_COPY_ALL"
mkf .dockerignore '*\n  /docs/  \n#c\n !./a/../b \n'
mkf docs/x
mkf b
mkf c
want b
run ls

begin rule-2.4-unicode-space-trimmed-not-0x1c
mkf Dockerfile "$DF_COPY_ALL"
mkf .dockerignore '\xc2\xa0x.tmp\xc2\xa0\r\n\x1cy.tmp\n'
mkf x.tmp
mkf y.tmp
want .dockerignore Dockerfile y.tmp
run ls

begin rule-2.4-line-of-65535-bytes-is-fine
mkf Dockerfile "$DF_COPY_ALL"
{ printf 'x%.0s' $(seq 65534); printf '\r\n'; } >"$d/.dockerignore"
mkf a
want .dockerignore Dockerfile a
run ls

begin rule-2.4-line-over-65535-bytes-fails
mkf Dockerfile 'FROM alpine\nRUN true\n'
{ printf 'x%.0s' $(seq 65535); printf '\r\n'; } >"$d/.dockerignore"
want_status=1
run ls

for p in 'a[' '!' '[a-]' '[]' 'x\' 'x*['; do
	begin "rule-2.5-bad-pattern-fails-without-copy-$p"
	mkf Dockerfile 'FROM alpine\nRUN true\n'
	printf '%s\n' "$p" >"$d/.dockerignore"
	want_status=1
	run ls
done

begin rule-2.5-regexp-error-not-evaluated-without-copy
mkf Dockerfile 'FROM alpine\nRUN true\n'
printf '%s\n' 'a\k' >"$d/.dockerignore"
run ls

begin rule-2.5-exception-never-evaluated-never-fails
mkf Dockerfile "$DF_COPY_ALL"
printf '%s\n' '!a\k' >"$d/.dockerignore"
mkf a
want .dockerignore Dockerfile a
run ls

begin rule-5.2-regexp-error-fails-the-walk
mkf Dockerfile "$DF_COPY_ALL"
printf '%s\n' 'a\k' >"$d/.dockerignore"
mkf a
want_status=1
run ls

# ---------------------------------------------------------------- 3. matching

begin 'rule-3.1-star-dot-go'
mkf Dockerfile "$DF_COPY_ALL"
mkf .dockerignore '*.go\n'
mkf a.go
mkf src/a.go
want .dockerignore Dockerfile src/ src/a.go
run ls

begin 'rule-3.1-doublestar-slash-star-dot-go'
mkf Dockerfile "$DF_COPY_ALL"
mkf .dockerignore '**/*.go\n'
mkf a.go
mkf src/a.go
want .dockerignore Dockerfile src/
run ls

begin 'rule-3.1-docs-doublestar-prefix'
mkf Dockerfile "$DF_COPY_ALL"
mkf .dockerignore 'docs/**\n'
mkf docs/x
mkf docs/sub/y
mkf docsx
want .dockerignore Dockerfile docs/ docsx
run ls

begin 'rule-3.1-bar-is-alternation'
mkf Dockerfile "$DF_COPY_ALL"
mkf .dockerignore '[ab]|tmp\n'
mkf a
mkf abc
mkf bdir/f
mkf c
mkf src/mytmp
mkf src/other
mkf tmpx
want .dockerignore Dockerfile c src/ src/other tmpx
run ls

begin 'rule-3.1-braces-alone-exact'
mkf Dockerfile "$DF_COPY_ALL"
mkf .dockerignore 'a{2}\n'
mkf 'a{2}'
mkf aa
want .dockerignore Dockerfile aa
run ls

begin 'rule-3.1-braces-repeat-in-regexp'
mkf Dockerfile "$DF_COPY_ALL"
mkf .dockerignore 'a{2}*\n'
mkf a
mkf aa
mkf aaxyz
mkf ab
mkf 'a{2}'
want .dockerignore Dockerfile a ab 'a{2}'
run ls

begin rule-3.2-exception-under-excluded-dir
mkf Dockerfile "$DF_COPY_ALL"
mkf .dockerignore 'docs\n!docs/README.md\n'
mkf docs/README.md
mkf docs/x.md
want .dockerignore Dockerfile docs/ docs/README.md
run ls

# ---------------------------------------------------------------- 4. FollowPaths

begin rule-4.1-add-url-only-empty-context
mkf Dockerfile 'FROM alpine\nRUN apk add curl\nADD https://x/y.tgz /\n'
mkf app/x
run ls

begin rule-4.1-add-url-only-empty-hash
mkf Dockerfile 'FROM alpine\nRUN apk add curl\nADD https://x/y.tgz /\n'
want "sha256:$E3B0"
run hash

begin rule-4.1-copy-heredoc-only-empty
mkf Dockerfile 'FROM alpine\nCOPY <<EOF /x\nhi\nEOF\n'
mkf app/x
run ls

begin rule-4.1-cache-mount-only-empty
mkf Dockerfile 'FROM alpine\nRUN --mount=type=cache,target=/c true\n'
mkf app/x
run ls

begin rule-4.2-copy-dir-and-wildcard-sources
mkf Dockerfile 'FROM alpine\nCOPY src/ pkg/*.json /app/\n'
mkf src/a.c
mkf src/sub/b.c
mkf pkg/a.json
mkf pkg/b.txt
mkf pkg/sub/c.json
mkf other
want pkg/ pkg/a.json src/ src/a.c src/sub/ src/sub/b.c
run ls

begin rule-4.2-bind-mount-whole-context
mkf Dockerfile 'FROM alpine\nRUN --mount=type=bind,target=/x make\n'
mkf a
mkf d/b
want Dockerfile a d/ d/b
run ls

begin rule-4.2-tmpfs-mount-quirk-whole-context
mkf Dockerfile 'FROM alpine\nRUN --mount=type=tmpfs,target=/tmp true\nCOPY app /app\n'
mkf app/x
mkf other
want Dockerfile app/ app/x other
run ls

begin rule-4.2-sources-cleaned-rooted
mkf Dockerfile 'FROM alpine\nCOPY ./a/ ../x /dst/\n'
mkf a/f
mkf x
mkf y
want a/ a/f x
run ls

begin rule-4.2-copy-parents-pivot-cleaned
mkf Dockerfile 'FROM alpine\nCOPY --parents ./src/./a/b.txt /dst/\n'
mkf src/a/b.txt
mkf src/a/c.txt
want src/ src/a/ src/a/b.txt
run ls

begin rule-4.2-bind-mount-source
mkf Dockerfile 'FROM alpine\nRUN --mount=type=bind,source=lib,target=/l make\n'
mkf lib/x
mkf other
want lib/ lib/x
run ls

begin rule-4.1-bind-mount-from-stage-not-context
mkf Dockerfile 'FROM alpine AS b\nRUN true\nFROM alpine\nRUN --mount=type=bind,src=lib,target=/l,from=b make\n'
mkf lib/x
run ls

begin rule-4.3-env-in-source
mkf Dockerfile 'FROM alpine\nENV D=web\nCOPY $D /x\n'
mkf web/i
mkf api/i
want web/ web/i
run ls

# Stage names are lower-cased: `AS Builder` is named by `FROM builder`.
begin rule-4.4-stage-names-lower-cased
mkf Dockerfile 'FROM alpine AS Builder\nCOPY b /\nFROM builder\nCOPY a /\n'
mkf a
mkf b
mkf c
want a b
run ls

begin rule-4.3-arg-default
mkf Dockerfile 'FROM alpine\nARG APP=web\nCOPY ${APP}/ /srv/\n'
mkf web/i.html
mkf api/x
want web/ web/i.html
run ls

begin rule-4.3-build-arg-overrides-default
mkf Dockerfile 'FROM alpine\nARG APP=web\nCOPY ${APP}/ /srv/\n'
mkf web/i.html
mkf api/x
want api/ api/x
run ls --build-arg APP=api

begin rule-4.3-global-arg-not-visible-in-stage
mkf Dockerfile 'ARG V=1\nFROM alpine\nCOPY v$V.txt /\n'
mkf v.txt
mkf v1.txt
want v.txt
run ls

begin rule-4.3-quotes-do-not-protect-spaces
mkf Dockerfile 'FROM alpine\nCOPY "a b" /\n'
mkf 'a b'
want_status=1
run ls

begin rule-4.4-unreachable-stage-contributes-nothing
mkf Dockerfile 'FROM alpine AS secrets\nCOPY .env /\nFROM alpine\nCOPY app /app\n'
mkf .env
mkf app/x
want app/ app/x
run ls

begin rule-4.4-tmpfs-from-stage-not-in-graph
mkf Dockerfile 'FROM alpine AS helper\nCOPY helper.txt /\nFROM alpine\nRUN --mount=type=tmpfs,target=/t,from=helper true\n'
mkf helper.txt
mkf app/x
run ls

begin rule-4.4-tmpfs-from-stage-reachable-adds-paths
mkf Dockerfile 'FROM alpine AS helper\nCOPY helper.txt /\nFROM alpine\nRUN --mount=type=tmpfs,target=/t,from=helper true\nCOPY app /app\n'
mkf helper.txt
mkf app/x
mkf other
want app/ app/x helper.txt
run ls

begin rule-4.4-target-case-insensitive
mkf Dockerfile 'FROM alpine AS a\nCOPY a.txt /\nFROM alpine AS b\nCOPY b.txt /\n'
mkf a.txt
mkf b.txt
want a.txt
run ls --target A

begin rule-4.5-onbuild-of-base-stage
mkf Dockerfile 'FROM alpine AS base\nONBUILD COPY conf /conf\nFROM base\n'
mkf conf/c
mkf x
want conf/ conf/c
run ls

begin rule-4.6-heredoc-body-not-an-instruction
mkf Dockerfile 'FROM alpine\nRUN <<EOF\nCOPY secrets /\nEOF\n'
mkf secrets/k
run ls

begin rule-4.6-heredoc-body-then-real-copy
mkf Dockerfile 'FROM alpine\nRUN <<EOF\nCOPY secrets /\nEOF\nCOPY app /app\n'
mkf secrets/k
mkf app/x
want app/ app/x
run ls

# ---------------------------------------------------------------- 5. the walk

begin rule-5.1-wildcard-exception-descends
mkf Dockerfile "$DF_COPY_ALL"
mkf .dockerignore 'vendor\n!**/*.go\n'
mkf vendor/a.go
mkf vendor/b.txt
mkf vendor/sub/c.go
mkf main.go
want .dockerignore Dockerfile main.go vendor/ vendor/a.go vendor/sub/ vendor/sub/c.go
run ls

begin rule-5.3-parent-of-reincluded-file-sent-with-own-mode
mkf Dockerfile "$DF_COPY_ALL"
mkf .dockerignore 'docs\n!docs/README.md\n'
mkf docs/README.md 'read me\n'
mkf docs/other.md 'other\n'
chmod 0750 "$d/docs"
want "$(frec 0644 .dockerignore)" "$(frec 0644 Dockerfile)" \
    "d 0750 0 - docs" "$(frec 0644 docs/README.md)"
run manifest

# ---------------------------------------------------------------- 6. include patterns

begin rule-6.1-symlinked-source-sends-link-and-target
mkf Dockerfile 'FROM alpine\nCOPY link /x\n'
ln -s real "$d/link"
mkf real/a
mkf real/sub/b
mkf other
want link real/ real/a real/sub/ real/sub/b
run ls

begin rule-6.1-symlinked-dir-in-path
mkf Dockerfile 'FROM alpine\nCOPY cfg/app.conf /\n'
ln -s conf "$d/cfg"
mkf conf/app.conf 'x=1\n'
mkf conf/other.conf
want cfg conf/ conf/app.conf
run ls

begin rule-6.1-symlinked-dir-in-path-manifest
mkf Dockerfile 'FROM alpine\nCOPY cfg/app.conf /\n'
ln -s conf "$d/cfg"
mkf conf/app.conf 'x=1\n'
# l record: digest of the target string "conf"
want "l 0777 0 $(printf conf | sha256sum | cut -d' ' -f1) cfg" \
    "d 0755 0 - conf" "$(frec 0644 conf/app.conf)"
run manifest

begin rule-6.1-absolute-target-relative-to-root
mkf Dockerfile 'FROM alpine\nCOPY abs/app.conf /\n'
ln -s /conf "$d/abs"
mkf conf/app.conf
mkf conf/other.conf
want abs conf/ conf/app.conf
run ls

begin rule-6.1-link-to-dot-whole-context
mkf Dockerfile 'FROM alpine\nCOPY here /x\n'
ln -s . "$d/here"
mkf app/x
mkf other
want Dockerfile app/ app/x here other
run ls

begin rule-6.1-link-to-dotdot-whole-context
mkf Dockerfile 'FROM alpine\nCOPY up /x\n'
ln -s .. "$d/up"
mkf app/x
want Dockerfile app/ app/x up
run ls

begin rule-6.1-source-white-space-trimmed
mkf Dockerfile 'FROM alpine\nCOPY ["app ", "/x"]\n'
mkf app/x
mkf other
want app/ app/x
run ls

begin rule-6.1-bang-source-never-matches
mkf Dockerfile 'FROM alpine\nCOPY !x /d\n'
mkf '!x'
mkf x
run ls

begin rule-6.1-symlink-chain
mkf Dockerfile 'FROM alpine\nCOPY l1/f /d\n'
ln -s l2 "$d/l1"
ln -s real "$d/l2"
mkf real/f
mkf real/g
want l1 l2 real/ real/f
run ls

begin rule-6.1-symlink-cycle-ends
mkf Dockerfile 'FROM alpine\nCOPY a/x /d\n'
ln -s b "$d/a"
ln -s a "$d/b"
want a b
run ls

begin rule-6.1-dotdot-target-cannot-leave-root
mkf Dockerfile 'FROM alpine\nCOPY sub/l/f /d\n'
mkdir "$d/sub"
ln -s ../../../x "$d/sub/l"
mkf x/f
mkf x/g
want sub/ sub/l x/ x/f
run ls

begin rule-6.1-bad-wildcard-source-fails-compilation
mkf Dockerfile 'FROM alpine\nCOPY a[ /d\n'
mkf 'a['
want_status=1
run ls

begin rule-6.2-wildcard-symlink-quirk
mkf Dockerfile 'FROM alpine\nCOPY packages/*/package.json /\n'
mkf packages/a/package.json
mkf packages/a/index.js
mkf packages/b/package.json
mkf packages/b/src/x.js
ln -s ../libs/shared "$d/packages/shared"
mkf libs/shared/package.json
mkf libs/shared/lib.js
mkf libs/other/package.json
# I = libs/shared/package.json, packages/*
want libs/ libs/shared/ libs/shared/package.json packages/ packages/a/ \
    packages/a/index.js packages/a/package.json packages/b/ \
    packages/b/package.json packages/b/src/ packages/b/src/x.js packages/shared
run ls

begin rule-6.2-no-symlink-no-quirk
mkf Dockerfile 'FROM alpine\nCOPY packages/*/package.json /\n'
mkf packages/a/package.json
mkf packages/a/index.js
mkf packages/b/package.json
mkf packages/b/src/x.js
mkf libs/shared/package.json
want packages/ packages/a/ packages/a/package.json packages/b/ packages/b/package.json
run ls

# ---------------------------------------------------------------- 7. entries

begin rule-7.1-modes-sent-as-they-are
mkf Dockerfile "$DF_COPY_ALL"
mkf suid 'x\n'
chmod 4755 "$d/suid"
mkdir "$d/tmp"
chmod 1777 "$d/tmp"
want "$(frec 0644 Dockerfile)" "$(frec 4755 suid)" "d 1777 0 - tmp"
run manifest

# Walk order is depth first with each directory sorted by name: n/k comes
# before n.b although the manifest sorts n.b first.  n/k is empty (rule
# 7.3), so n.b, linked to it, is empty too.
begin rule-7.1-hard-link-first-in-walk-order
mkf Dockerfile "$DF_COPY_ALL"
mkf .dockerignore 'n\n!n/k\n**/n\n'
mkf n/k 'keep\n'
ln "$d/n/k" "$d/n.b"
want "$(frec 0644 .dockerignore)" "$(frec 0644 Dockerfile)" "d 0755 0 - n" \
    "f 0644 0 $E3B0 n.b" "f 0644 0 $E3B0 n/k"
run manifest

begin rule-7.2-listing-escapes-names
mkf Dockerfile "$DF_COPY_ALL"
mkf 'a\b'
mkf $'tab\there'
want 'Dockerfile' 'a\x5cb' 'tab\x09here'
run ls

begin rule-7.1-socket-sent-as-empty-file
if python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' \
    "$d/run.sock" 2>/dev/null; then
	chmod 0755 "$d/run.sock"
	mkf Dockerfile "$DF_COPY_ALL"
	want "$(frec 0644 Dockerfile)" "f 0755 0 $E3B0 run.sock"
	run manifest
else
	skip "cannot create a unix socket with python3"
fi

begin rule-7.2-fifo-perm-is-mode-and-0777
mkf Dockerfile "$DF_COPY_ALL"
mkfifo "$d/fifo"
chmod 1754 "$d/fifo"
want "$(frec 0644 Dockerfile)" "p 0754 0 - fifo"
run manifest

begin rule-7.1-char-device-major-minor
if mknod "$d/null" c 1 3 2>/dev/null; then
	chmod 0666 "$d/null"
	mkf Dockerfile "$DF_COPY_ALL"
	want "$(frec 0644 Dockerfile)" "c 0666 0 1:3 null"
	run manifest
else
	skip "cannot create a device node here"
fi

begin rule-7.1-hard-links-are-regular-files
mkf Dockerfile "$DF_COPY_ALL"
mkf a 'hello\n'
ln "$d/a" "$d/b"
want "$(frec 0644 Dockerfile)" "$(frec 0644 a)" "$(frec 0644 b)"
run manifest

# The first sent path of the inode is node_modules/keep.js, which arrives
# empty (rule 7.3); z.js is linked to it in the daemon and is empty too.
begin rule-7.1-hard-link-shares-first-paths-empty-content
mkf Dockerfile 'FROM alpine\nCOPY . /app\n'
mkf .dockerignore 'node_modules\n!node_modules/keep.js\n**/node_modules\n'
mkf node_modules/keep.js 'keep\n'
ln "$d/node_modules/keep.js" "$d/z.js"
want "$(frec 0644 .dockerignore)" "$(frec 0644 Dockerfile)" "d 0755 0 - node_modules" \
    "f 0644 0 $E3B0 node_modules/keep.js" "f 0644 0 $E3B0 z.js"
run manifest

# Here the first sent path is a.js, whole: keep.js gets its content.
begin rule-7.1-hard-link-shares-first-paths-full-content
mkf Dockerfile 'FROM alpine\nCOPY . /app\n'
mkf .dockerignore 'node_modules\n!node_modules/keep.js\n**/node_modules\n'
mkf node_modules/keep.js 'keep\n'
ln "$d/node_modules/keep.js" "$d/a.js"
want "$(frec 0644 .dockerignore)" "$(frec 0644 Dockerfile)" "$(frec 0644 a.js)" \
    "d 0755 0 - node_modules" \
    "$(frec 0644 node_modules/keep.js)"
run manifest

begin rule-7.3-open-check-keep-js-arrives-empty
mkf Dockerfile 'FROM alpine\nCOPY . /app\n'
mkf .dockerignore 'node_modules\n!node_modules/keep.js\n**/node_modules\n'
mkf node_modules/keep.js 'keep\n'
mkf node_modules/other.js 'other\n'
mkf main.js 'main\n'
want "$(frec 0644 .dockerignore)" "$(frec 0644 Dockerfile)" "$(frec 0644 main.js)" \
    "d 0755 0 - node_modules" \
    "f 0644 0 $E3B0 node_modules/keep.js"
run manifest

# ---------------------------------------------------------------- 8. errors

unreadable_tree() {
	mkf Dockerfile "$DF_COPY_ALL"
	mkf a.go
	mkf secret/x.go
	chmod 000 "$d/secret"
}

begin rule-8.1-unreadable-dir-pruned-is-fine
if as_nobody; then
	unreadable_tree
	mkf .dockerignore 'secret\n'
	want .dockerignore Dockerfile a.go
	run ls
else
	skip "needs root and setpriv to run as uid 65534"
fi

begin rule-8.1-unreadable-excluded-dir-descended-fails
if as_nobody; then
	unreadable_tree
	mkf .dockerignore 'secret\n!**/*.go\n'
	want_status=1
	run ls
else
	skip "needs root and setpriv to run as uid 65534"
fi

begin rule-8.1-unreadable-dir-not-excluded-fails
if as_nobody; then
	unreadable_tree
	want_status=1
	run ls
else
	skip "needs root and setpriv to run as uid 65534"
fi

begin rule-8.1-unreadable-dir-pruned-by-include-is-fine
if as_nobody; then
	unreadable_tree
	mkf Dockerfile 'FROM alpine\nCOPY a.go /\n'
	want a.go
	run ls
else
	skip "needs root and setpriv to run as uid 65534"
fi

begin rule-8.1-unsearchable-dir-in-followpath-fails
if as_nobody; then
	unreadable_tree
	mkf Dockerfile 'FROM alpine\nCOPY secret/x.go /\n'
	want_status=1
	run ls
else
	skip "needs root and setpriv to run as uid 65534"
fi

begin rule-8.1-prefix-only-exception-prunes-unreadable-dir
if as_nobody; then
	unreadable_tree
	mkf .dockerignore 'secret\n!foo/**\n'
	want .dockerignore Dockerfile a.go
	run ls
else
	skip "needs root and setpriv to run as uid 65534"
fi

begin rule-8.1-caret-exception-descends-unreadable-dir-fails
if as_nobody; then
	unreadable_tree
	mkf .dockerignore 'secret\n!foo^\n'
	want_status=1
	run ls
else
	skip "needs root and setpriv to run as uid 65534"
fi

begin rule-8.1-exception-below-dir-descends-unreadable-dir-fails
if as_nobody; then
	unreadable_tree
	mkf .dockerignore 'secret\n!secret/x.go\n'
	want_status=1
	run ls
else
	skip "needs root and setpriv to run as uid 65534"
fi

begin rule-8.1-wildcard-include-descends-unreadable-dir-fails
if as_nobody; then
	unreadable_tree
	mkf Dockerfile 'FROM alpine\nCOPY *.go /\n'
	want_status=1
	run ls
else
	skip "needs root and setpriv to run as uid 65534"
fi

begin rule-8.1-trailing-doublestar-include-prunes-unreadable-dir
if as_nobody; then
	unreadable_tree
	mkf Dockerfile 'FROM alpine\nCOPY foo/** /\n'
	mkf foo/a/b
	want foo/ foo/a/ foo/a/b
	run ls
else
	skip "needs root and setpriv to run as uid 65534"
fi

begin rule-8.1-unreadable-root-reads-as-empty
if as_nobody; then
	mkf df/Dockerfile "$DF_COPY_ALL"
	mkf ctx/a
	chmod 0311 "$d/ctx"
	run in "$d" ls -f df/Dockerfile ctx
else
	skip "needs root and setpriv to run as uid 65534"
fi

begin rule-8.2-unreadable-file-arrives-empty
if as_nobody; then
	mkf Dockerfile "$DF_COPY_ALL"
	mkf secret.txt 'secret\n'
	chmod 0 "$d/secret.txt"
	want "$(frec 0644 Dockerfile)" "f 0000 0 $E3B0 secret.txt"
	run manifest
else
	skip "needs root and setpriv to run as uid 65534"
fi

begin rule-8.2-unreadable-dockerignore-no-patterns
if as_nobody; then
	mkf Dockerfile "$DF_COPY_ALL"
	mkf .dockerignore 'a.log\n'
	mkf a.log
	chmod 0 "$d/.dockerignore"
	want .dockerignore Dockerfile a.log
	run ls
else
	skip "needs root and setpriv to run as uid 65534"
fi

begin rule-2.3-unreadable-ignore-file-arrives-empty-builtin
if as_nobody; then
	mkf Dockerfile "$DF_COPY_ALL"
	mkf Dockerfile.dockerignore 'a.log\n'
	chmod 0 "$d/Dockerfile.dockerignore"
	mkf .dockerignore 'b.log\n'
	mkf a.log
	mkf b.log
	want .dockerignore Dockerfile Dockerfile.dockerignore a.log b.log
	run ls
else
	skip "needs root and setpriv to run as uid 65534"
fi

begin rule-2.3-unreadable-ignore-file-arrives-empty-external
if as_nobody; then
	mkf Dockerfile "# syntax=docker/dockerfile:1\n$DF_COPY_ALL"
	mkf Dockerfile.dockerignore 'a.log\n'
	chmod 0 "$d/Dockerfile.dockerignore"
	mkf .dockerignore 'b.log\n'
	mkf a.log
	mkf b.log
	want .dockerignore Dockerfile Dockerfile.dockerignore a.log
	run ls
else
	skip "needs root and setpriv to run as uid 65534"
fi

begin rule-8.3-unknown-instruction-fails
mkf Dockerfile 'FROM alpine\nFOO bar\nCOPY . .\n'
want_status=1
run ls

begin rule-8.3-copy-from-later-stage-fails
mkf Dockerfile 'FROM alpine AS a\nCOPY --from=b /x /x\nCOPY . .\nFROM alpine AS b\nRUN true\n'
want_status=1
run ls --target a

begin rule-8.3-unknown-target-fails
mkf Dockerfile "$DF_COPY_ALL"
want_status=1
run ls --target nosuchstage

begin rule-8.3-copy-from-with-dollar-fails
mkf Dockerfile 'FROM alpine AS a\nFROM alpine\nARG S=a\nCOPY --from=$S /x /x\n'
want_status=1
run ls

begin rule-8.3-copy-of-url-fails
mkf Dockerfile 'FROM alpine\nCOPY https://example.com/x /x\n'
want_status=1
run ls

# ---------------------------------------------------------------- 9. vs classic

begin sec-9-dockerfile-and-dockerignore-excluded-not-sent
mkf Dockerfile "$DF_COPY_ALL"
mkf .dockerignore 'Dockerfile\n.dockerignore\n'
mkf a
want a
run ls

begin sec-9-dockerfile-outside-context-never-injected
mkf df/Dockerfile "$DF_COPY_ALL"
mkf ctx/a
want a
run in "$d" ls -f df/Dockerfile ctx

begin sec-9-dockerfile-not-sent-unless-copied
mkf Dockerfile 'FROM alpine\nCOPY a /\n'
mkf .dockerignore 'b\n'
mkf a
mkf b
want a
run ls

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
