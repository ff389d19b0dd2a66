#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side: unload tls.ko, allowing a few seconds for sockets closed just
# before to be destroyed (an offloaded socket's context, and its reference
# on the module, go with the socket's destructor). Fails if it stays.
case "${1:-}" in
-h|--help)
	echo "Usage: unload-tls.sh   (inside the test guest only)"
	exit 0 ;;
esac
[ -f /etc/ktls-cmd ] || { echo "unload-tls: not in the test guest" >&2; exit 2; }
i=0
while [ $i -lt 20 ]; do
	rmmod tls 2>/dev/null && exit 0
	sleep 0.5
	i=$((i + 1))
done
echo "unload-tls: tls.ko still in use after 10 s: $(cat /sys/module/tls/refcnt 2>/dev/null) references"
exit 1
