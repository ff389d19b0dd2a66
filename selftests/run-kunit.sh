#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side: load tls.ko and tls_kunit.ko (its suites run at load time) and
# print every suite's KTAP results from debugfs.
cd /ktls || exit 2
[ -f tls_kunit.ko ] || { echo "run-kunit: tls_kunit.ko missing (kernel without KUnit?)"; exit 2; }
modprobe tls || exit 2
insmod tls_kunit.ko || exit 2
found=0
for r in /sys/kernel/debug/kunit/*/results; do
	[ -f "$r" ] || continue
	found=1
	cat "$r"
done
[ "$found" = 1 ] || { echo "run-kunit: no KUnit results in debugfs"; exit 2; }
rmmod tls_kunit && rmmod tls
