#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side: load tls.ko and run each of our kselftest programs (every
# executable in /ktls/bin except upstream's, the runners, the ktls-* tools
# and device, which needs ktls_sim.ko: scripts/check runs it on its own).
# Each program
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
rc=0
for p in $progs; do
	echo "# === $p ==="
	t0=$(date +%s)
	# shellcheck disable=SC2086 # filter words
	./"$p" $KTLS_SELFTEST_ARGS 2>&1
	st=$?
	echo "@@PROG $p $st $(($(date +%s) - t0))"
	[ "$st" = 0 ] || rc=1
done
exit $rc
