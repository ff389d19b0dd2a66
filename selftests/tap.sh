# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# TAP for the guest scripts that check one thing at a time (run-apps.sh,
# run-install.sh, run-dropin.sh). Sourced from /ktls/bin, not run.
# result STATUS DESCRIPTION prints the next "ok"/"not ok" line (STATUS 0
# is ok) and counts the failures in $failed, for the script's summary.
n=0
failed=0
result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
