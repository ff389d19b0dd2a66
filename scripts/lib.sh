# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers shared by the project's scripts. Sourced, not executed.

# The Debian kernel this project targets first.
KVER=${KVER:-6.12.117+deb12-amd64}
# Debian package version of that kernel's image, headers and source: the
# source package must match the image we boot.
KPKG_VERSION=${KPKG_VERSION:-6.12.117-1~deb12u1}
# Debian 12's stock kernel (6.1), the oldest of the kernel matrix, and its
# package version (image and headers; linux-source-6.1 has the same).
KVER61=${KVER61:-6.1.0-57-amd64}
KPKG61_VERSION=${KPKG61_VERSION:-6.1.192-3}
export KVER KPKG_VERSION KVER61 KPKG61_VERSION

# The test kernels, by the names every script takes (--kernel NAME):
#   debian    Debian's stock $KVER, the primary target
#   debian61  Debian 12's stock $KVER61
#   debug     6.12 with KASAN, lockdep, kmemleak, UBSAN, KUnit (built)
#   newest    the newest linux-source-7.* Debian has (built)
# The stock ones come with a module tree; the built ones have what the
# tests need built in. scripts/check runs them in this order.
TEST_KERNELS="debian debian61 newest debug"

# kernel_vars NAME: set KIMAGE (what QEMU boots), KRELEASE, KMODTREE (the
# stock /lib/modules tree, empty for built kernels), KBUILD (where
# out-of-tree modules are built against) and KTREE (the built kernel's
# object tree, empty for stock ones). Dies if the kernel is not there.
# shellcheck disable=SC2034 # the variables are this function's result
kernel_vars() {
	local dir
	KMODTREE=''
	KTREE=''
	case "$1" in
	debian|debian61)
		[ "$1" = debian ] && KRELEASE=$KVER || KRELEASE=$KVER61
		KIMAGE=/boot/vmlinuz-$KRELEASE
		KMODTREE=/lib/modules/$KRELEASE
		KBUILD=/usr/src/linux-headers-$KRELEASE
		;;
	debug|newest)
		dir=$(built_kernel_dir "$1")
		KTREE=$dir/build
		KIMAGE=$KTREE/arch/x86/boot/bzImage
		KRELEASE=$(cat "$KTREE/include/config/kernel.release")
		KBUILD=$KTREE
		;;
	*) die "unknown kernel '$1' (one of: $TEST_KERNELS)" ;;
	esac
	[ -r "$KIMAGE" ] || die "kernel image $KIMAGE missing (scripts/deps)"
}

progress() {
	printf '[%s] %s\n' "$(basename "$0")" "$*" >&2
}

die() {
	progress "error: $*"
	exit 2
}

# Cache directory of a built kernel (debug or newest); fails if it has not
# been built.
built_kernel_dir() {
	local dir
	dir=$("$(dirname "${BASH_SOURCE[0]}")/build-kernel" --flavour "$1" --print-dir) ||
		die "cannot locate the $1 kernel"
	[ -f "$dir/build/arch/x86/boot/bzImage" ] ||
		die "$1 kernel not built yet: run 'scripts/build-kernel --flavour $1'"
	echo "$dir"
}
