#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of scripts/install-check: in each module tree a user's install
# or uninstall produced (the in-tree kernel/net/tls/tls.ko.xz always on
# disk), which tls.ko modprobe loads. After an install: ours (its version,
# taint O), on its own and when the in-tree drivers that link against it
# (bonding, nfp, cxgb4) pull it in; after the uninstall:
# the in-tree one again (no version, no taint O). The guest boots with the
# make-install tree; the others come from /ktls/trees and are mounted over
# /lib/modules/<release>, which for modprobe is what a reboot into the new
# tree is. modprobe tls and modinfo are kmod's, as on a user's machine.
# Prints TAP and a summary line.
case "${1:-}" in
-h|--help|'')
	echo "Usage: run-install.sh VERSION   (inside the test guest only, see scripts/install-check)"
	exit 0 ;;
esac
# The guest's /init writes /etc/ktls-cmd; a host has none.
[ -f /etc/ktls-cmd ] || { echo "run-install: not in the test guest" >&2; exit 2; }
version=$1
release=$(uname -r)
mods=/lib/modules/$release
[ -d "/host$mods" ] || { echo "run-install: no /host$mods (needs --hostfs)" >&2; exit 2; }

# shellcheck source=selftests/tap.sh # beside this script in the payload
. /ktls/bin/tap.sh
check() {
	desc=$1
	shift
	"$@"
	result $? "$desc"
}

# use_tree NAME: make NAME the module tree of /lib/modules/<release>, for
# the guest and for kmod in the host's chroot. The boot tree is
# make-install.
use_tree() {
	umount "/host$mods" 2>/dev/null
	umount "$mods" 2>/dev/null
	[ "$1" = make-install ] || mount --bind "/ktls/trees/$1$mods" "$mods"
	mount --bind "$mods" "/host$mods"
	echo "# tree $1: $(cd "$mods" && find kernel/net/tls updates -name 'tls.ko*' 2>/dev/null | tr '\n' ' ')"
}

# What a user types is kmod's modprobe and modinfo: the host's, by their
# path (busybox's chroot runs its own applet for a bare name). Each call
# reads kmod and its libraries over 9p, about a second and a half under
# TCG, so the drivers are loaded and everything unloaded with busybox's
# modprobe and rmmod, which read the same modules.dep.
kmod_modprobe() { hostrun /sbin/modprobe "$@"; }
info=
# read_modinfo: kmod's modinfo of the tls.ko modprobe would load.
read_modinfo() { info=$(hostrun /sbin/modinfo tls); }
info_field() { echo "$info" | sed -n "s/^$1: *//p"; }
loaded_version() { cat /sys/module/tls/version 2>/dev/null; }
tainted_out_of_tree() { grep -q O /sys/module/tls/taint; }
not() { ! "$@"; }
# path_is GLOB: the file modinfo found matches GLOB.
path_is() {
	# shellcheck disable=SC2254 # GLOB is a pattern
	case "$(info_field filename)" in $1) return 0 ;; esac
	echo "# modinfo: $(info_field filename)"
	return 1
}
equals() { [ "$1" = "$2" ] || { echo "# '$1' != '$2'"; return 1; }; }
unloaded() { rmmod "$@" && [ ! -d /sys/module/tls ]; }

# In-tree drivers that link against tls.ko: they must load against ours.
drivers="bonding nfp cxgb4"

# check_ours TREE DIR: after an install, modprobe finds ours in DIR.
check_ours() {
	use_tree "$1"
	read_modinfo
	check "$1: modinfo tls: $2/tls.ko*" path_is "*$mods/$2/tls.ko*"
	check "$1: modinfo tls: version $version" equals "$(info_field version)" "$version"
	check "$1: modprobe tls" kmod_modprobe tls
	check "$1: /sys/module/tls/version is $version" equals "$(loaded_version)" "$version"
	check "$1: taint O (out of tree)" tainted_out_of_tree
	check "$1: rmmod tls" unloaded tls
	for m in $drivers; do
		check "$1: modprobe $m" modprobe "$m"
	done
	check "$1: the tls they pulled in is ours" equals "$(loaded_version)" "$version"
	# shellcheck disable=SC2086 # a list of modules
	check "$1: rmmod $drivers tls" unloaded $drivers tls
}

# check_intree TREE: after the uninstall, modprobe finds the in-tree one.
check_intree() {
	use_tree "$1"
	read_modinfo
	check "$1: modinfo tls: kernel/net/tls/tls.ko*" path_is "*$mods/kernel/net/tls/tls.ko*"
	check "$1: modinfo tls: no version" equals "$(info_field version)" ""
	check "$1: modprobe tls" kmod_modprobe tls
	check "$1: /sys/module/tls/version is absent" not test -e /sys/module/tls/version
	check "$1: not tainted O" not tainted_out_of_tree
	check "$1: rmmod tls" unloaded tls
}

echo "TAP version 13"
echo "1..35"
check_ours make-install updates
check_intree make-uninstall
check_ours dkms-install updates/dkms
check_intree dkms-remove
if dmesg | grep -E 'Unknown symbol|disagrees about version'; then
	result 1 "no symbol errors in the kernel log"
else
	result 0 "no symbol errors in the kernel log"
fi
echo "install: $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ] && [ "$n" = 35 ]
