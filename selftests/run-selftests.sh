#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side: load tls.ko and run each of our kselftest programs (every
# executable in /ktls/bin except upstream's, the runners, the ktls-* tools
# and device, which needs ktls_sim.ko: scripts/check runs it on its own).
# Then the socket-API fuzzer's corpus and a short run of it (with every
# program only). Each program
# prints its own TAP; a marker line "@@PROG <name> <status> <seconds>"
# follows it (the time shows where a slow kernel spends the run).
# Usage: run-selftests.sh [PROGRAM...]   (default: all)
# KTLS_SELFTEST_ARGS: harness filters given to every program (e.g. -V
# VARIANT to leave a variant out; a name a program lacks changes nothing).
cd /ktls/bin || exit 2
modprobe tls || { echo "run-selftests: cannot load tls.ko"; exit 2; }
progs=$*
KTLS_SELFTEST_ARGS=${KTLS_SELFTEST_ARGS:-}
if [ -z "$progs" ]; then
	for f in *; do
		case "$f" in upstream-tls|upstream-tls-*|device|ktls-*|*.sh) continue ;; esac
		[ -x "$f" ] && progs="$progs $f"
	done
fi

# fuzz_smoke: a short fixed-seed run of the socket-API fuzzer from its
# corpus, so that a regression in the fuzzer itself (or a finding) shows
# in every run; as KTAP with the harness's totals line, which the host
# counts.
fuzz_smoke() {
	echo "TAP version 13"
	echo "1..1"
	if ./ktls-fuzz fuzz -q -o /tmp/fuzz-smoke -c /ktls/fuzz-corpus -n 50 -d 45 -s 1; then
		echo "ok 1 ktls-fuzz.smoke"
		echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"
		return 0
	fi
	cat /tmp/fuzz-smoke/findings/*.txt 2>/dev/null
	echo "not ok 1 ktls-fuzz.smoke"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	return 1
}

# run_prog NAME COMMAND...: one program's TAP, then its marker line.
run_prog() {
	name=$1
	shift
	echo "# === $name ==="
	t0=$(date +%s)
	"$@" 2>&1
	st=$?
	echo "@@PROG $name $st $(($(date +%s) - t0))"
	[ "$st" = 0 ] || rc=1
}

rc=0
for p in $progs; do
	# shellcheck disable=SC2086 # filter words
	run_prog "$p" ./"$p" $KTLS_SELFTEST_ARGS
done
# With every program: the socket-API fuzzer's committed corpus replayed
# (each program a test; the reproducers of what it found are in it) and
# its short run (tools/fuzz/).
if [ -z "$*" ] && [ -x ktls-fuzz ]; then
	run_prog fuzz-replay ./ktls-fuzz replay /ktls/fuzz-corpus
	run_prog fuzz-smoke fuzz_smoke
fi
exit $rc
