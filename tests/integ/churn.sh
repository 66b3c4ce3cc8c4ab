#!/usr/bin/env bash
# The churn test of issue 3: random operations on a tree the daemon watches
# (tests/integ/churn.py does them), and after each pause and at the end the
# daemon's manifest must equal a fresh `ctxctl manifest --no-daemon`, byte
# for byte.  Both builders, several Dockerfile shapes, several seeds; each
# run has its own daemon on a private socket, state and runtime directory.
# Prints "ok NAME" or "FAIL NAME" (with the diff, the seed and the tail of
# the operation log), then "N passed, M failed"; exits 1 when M > 0.
# CHURN_OPS (default 2000) and CHURN_SEEDS (default "1 2 3") tune it.
set -u
top=$(cd -- "$(dirname -- "$0")/../.." && pwd)
read -r -a ctxctl <<<"${CTXCTL:-$top/build/ctxctl}"
# The daemon next to ctxctl unless CTXD names one (a command line).
read -r -a ctxd <<<"${CTXD:-$(dirname -- "${ctxctl[-1]}")/ctxd}"
ops=${CHURN_OPS:-2000}
seeds=${CHURN_SEEDS:-1 2 3}
export LC_ALL=C

work=$(mktemp -d -t ctxd-churn.XXXXXX) || exit 1
chmod 0700 "$work"
dpid=
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	chmod -R u+rwx "$work" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0 n=0

# run NAME BUILDER VARIANT SEED [EXTRA]
run() {
	local name=$1 builder=$2 variant=$3 seed=$4 rt w rc t0 i
	shift 4
	n=$((n + 1))
	w=$work/r$n
	rt=$w/rt
	mkdir -p -m 0700 "$w" "$rt" "$w/state"
	export CTXD_SOCKET=$rt/ctxd.sock XDG_RUNTIME_DIR=$rt XDG_STATE_HOME=$w/state
	"${ctxd[@]}" --socket "$CTXD_SOCKET" 2>"$w/ctxd.log" &
	dpid=$!
	for i in $(seq 100); do [ -S "$CTXD_SOCKET" ] && break; sleep 0.05; done
	t0=$SECONDS
	python3 "$top/tests/integ/churn.py" --ctxctl "${ctxctl[*]}" --work "$w" \
	    --seed "$seed" --builder "$builder" --variant "$variant" \
	    --ops "$ops" "$@" >"$w/out" 2>&1
	rc=$?
	if ! kill -0 "$dpid" 2>/dev/null; then
		rc=1
		echo "ctxd died" >>"$w/out"
	fi
	"${ctxctl[@]}" shutdown >/dev/null 2>&1
	for i in $(seq 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.05; done
	kill "$dpid" 2>/dev/null
	wait "$dpid"
	[ $? = 0 ] || { rc=1; echo "ctxd exited with an error" >>"$w/out"; }
	dpid=
	# Sanitizer reports, or anything else alarming, in the daemon's log.
	if grep -q 'ERROR: \|runtime error\|LeakSanitizer' "$w/ctxd.log"; then
		rc=1
		echo "ctxd log:" >>"$w/out"
		head -60 "$w/ctxd.log" >>"$w/out"
	fi
	if [ $rc = 0 ]; then
		pass=$((pass + 1))
		echo "ok $name ($((SECONDS - t0)) s; $(tail -1 "$w/out"))"
		grep '^note:' "$w/out" | cut -c1-300 | sed 's/^/  /'
	else
		fail=$((fail + 1))
		echo "FAIL $name (seed $seed)"
		sed 's/^/  /' "$w/out"
		echo "  last operations:"
		tail -15 "$w/ops.log" | sed 's/^/    /'
	fi
}

for seed in $seeds; do
	run "churn-classic-seed$seed" classic all "$seed"
	run "churn-buildkit-all-seed$seed" buildkit all "$seed"
	run "churn-buildkit-narrow-seed$seed" buildkit narrow "$seed"
done
# The Dockerfile elsewhere: in a subdirectory with its own ignore file,
# and outside the context.
run "churn-buildkit-subdir-seed11" buildkit subdir 11
run "churn-classic-subdir-seed12" classic subdir 12
run "churn-buildkit-outside-seed13" buildkit outside 13
run "churn-classic-outside-seed14" classic outside 14

echo "$pass passed, $fail failed"
[ $fail = 0 ]
