# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers shared by the project's scripts. Sourced, not executed.

# The Debian kernel this project targets first.
KVER=${KVER:-6.12.117+deb12-amd64}
# Debian package version of that kernel's image, headers and source: the
# source package must match the image we boot.
KPKG_VERSION=${KPKG_VERSION:-6.12.117-1~deb12u1}
export KVER KPKG_VERSION

progress() {
	printf '[%s] %s\n' "$(basename "$0")" "$*" >&2
}

die() {
	progress "error: $*"
	exit 2
}

# Directory of the cached debug kernel; fails if it has not been built.
debug_kernel_dir() {
	local dir
	dir=$("$(dirname "${BASH_SOURCE[0]}")/build-debug-kernel" --print-dir) ||
		die "cannot locate the debug kernel"
	[ -f "$dir/build/arch/x86/boot/bzImage" ] ||
		die "debug kernel not built yet: run 'make debug-kernel'"
	echo "$dir"
}
