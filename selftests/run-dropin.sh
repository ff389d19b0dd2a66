#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side, in a guest booted with scripts/vm --installed (the in-tree
# tls.ko in place and ours in updates/dkms/, as after a user's install):
# the in-tree drivers that link against tls.ko load, and the tls.ko they
# pulled in is ours. Prints TAP and a summary line.
case "${1:-}" in
-h|--help)
	echo "Usage: run-dropin.sh   (inside the test guest only, see scripts/vm --installed)"
	exit 0 ;;
esac
# The guest's /init writes /etc/ktls-cmd; a host has none.
[ -f /etc/ktls-cmd ] || { echo "run-dropin: not in the test guest" >&2; exit 2; }

# shellcheck source=selftests/tap.sh # beside this script in the payload
. /ktls/bin/tap.sh

# The one loaded is ours: an out-of-tree module taints the kernel with O.
tls_is_ours() {
	grep -q O /sys/module/tls/taint 2>/dev/null
}

echo "TAP version 13"
echo "1..5"
for m in bonding nfp cxgb4; do
	modprobe "$m" 2>&1
	result $? "modprobe $m"
done
tls_is_ours
result $? "the tls.ko the drivers use is ours"
if dmesg | grep -E 'Unknown symbol|disagrees about version'; then
	result 1 "no symbol errors in the kernel log"
else
	result 0 "no symbol errors in the kernel log"
fi
echo "dropin: $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
