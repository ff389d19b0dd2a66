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
#   newest    Debian's stock image of the newest linux-source-7.* it has
#             (sid/experimental, scripts/newest-image)
# The stock ones come with a module tree; the built one has what the tests
# need built in. scripts/check runs them in this order. One more is there
# for runs by hand: newest-built, the newest source built with our config
# fragments (scripts/build-kernel --flavour newest), which has SM4 and ARIA.
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
	newest)
		dir=$("$(dirname "${BASH_SOURCE[0]}")/newest-image" --print-dir) ||
			die "cannot locate the newest kernel"
		[ -f "$dir/stamp" ] || die "newest kernel not fetched yet: run scripts/newest-image"
		KRELEASE=$(sed -n 's/^release //p' "$dir/stamp")
		KIMAGE=$(sed -n 's/^image //p' "$dir/stamp")
		KMODTREE=$(sed -n 's/^modtree //p' "$dir/stamp")
		if [ -z "$KRELEASE" ] || [ ! -d "$KMODTREE" ]; then
			die "$dir/stamp is incomplete: remove $dir and run scripts/newest-image"
		fi
		KBUILD=$dir/build
		;;
	debug|newest-built)
		dir=$(built_kernel_dir "${1%-built}")
		KTREE=$dir/build
		KIMAGE=$KTREE/arch/x86/boot/bzImage
		KRELEASE=$(cat "$KTREE/include/config/kernel.release")
		KBUILD=$KTREE
		;;
	*) die "unknown kernel '$1' (one of: $TEST_KERNELS newest-built)" ;;
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

# The URI of the machine's Debian (bookworm) source: a deb822 paragraph
# whose Suites: include bookworm, else the first one-line "deb" entry.
mirror_uri() {
	local f uri=
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk '
			function flush() {
				if (!found && deb && enabled && bookworm && uri != "") found = uri
				deb = 0; enabled = 1; bookworm = 0; uri = ""
			}
			BEGIN { enabled = 1 }
			/^[[:space:]]*#/ { next }
			/^[[:space:]]*$/ { flush(); next }
			{
				key = tolower($1)
				if (key == "types:") for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1
				if (key == "enabled:" && tolower($2) == "no") enabled = 0
				if (key == "suites:") for (i = 2; i <= NF; i++) if ($i == "bookworm") bookworm = 1
				if (key == "uris:") uri = $2
			}
			END { flush(); print found }' "$f")
		[ -z "$uri" ] || break
	done
	if [ -z "$uri" ]; then
		uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) while ($i !~ /\]$/ && i < NF) i++
				if ($i ~ /^\[/ || $i ~ /\]$/) i++
				print $i; exit
			}')
	fi
	[ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list{,.d/}"
	echo "${uri%/}"
}

# next_apt_setup DIR: a throw-away apt configuration in DIR (emptied) for
# Debian's sid and experimental suites on the mirror this machine's apt
# already uses, signed by the Debian archive keyring, with its own lists,
# package cache and dpkg status so the machine's apt state is untouched.
# The rest of the machine's apt configuration (a proxy, say) still applies.
# Sets next_apt_opts, the options every apt-get/apt-cache call needs.
next_apt_setup() {
	local dir=$1 uri keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	uri=$(mirror_uri)
	[ -r "$keyring" ] || die "$keyring missing (apt-get install debian-archive-keyring)"
	rm -rf "$dir"
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/download"
	: > "$dir/status"
	cat > "$dir/sources.list" <<EOF
deb [signed-by=$keyring] $uri sid main
deb [signed-by=$keyring] $uri experimental main
EOF
	next_apt_opts=(
		-o Dir::Etc::SourceList="$dir/sources.list"
		-o Dir::Etc::SourceParts=/dev/null
		-o Dir::Etc::Preferences=/dev/null
		-o Dir::Etc::PreferencesParts=/dev/null
		-o Dir::State::Lists="$dir/lists"
		-o Dir::State::status="$dir/status"
		-o Dir::Cache="$dir/cache"
		-o Acquire::Languages=none
		-o APT::Sandbox::User="$(id -un)"
	)
}

# next_apt_versions PKG: every version of PKG the configuration of
# next_apt_setup offers, one per line.
next_apt_versions() {
	apt-cache "${next_apt_opts[@]}" madison "$1" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | sort -u
}

# next_apt_update DIR: apt-get update of the configuration next_apt_setup
# made in DIR; the log stays in DIR/update.log.
next_apt_update() {
	progress "apt-get update: sid and experimental from the mirror of this machine's apt sources"
	apt-get "${next_apt_opts[@]}" -q update > "$1/update.log" 2>&1 ||
		{ cat "$1/update.log" >&2; die "apt-get update failed"; }
}

# stock_module_cache MODTREE RELEASE: the guest's share of a stock module
# tree (scripts/guest-modules: a fixed set of directories plus their
# dependency closure, decompressed once because busybox insmod cannot read
# .ko.xz, never the in-tree net/tls), made once under out/modules; prints
# its directory.
stock_module_cache() {
	local modtree=$1 release=$2 scripts cache sum
	scripts=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	# Keyed on the script that picks the set and on the tree it comes
	# from (the newest image keeps its release name across uploads).
	sum=$({ cat "$scripts/guest-modules"; echo "$modtree"; } | sha1sum | cut -c1-8)
	cache=$(dirname "$scripts")/out/modules/$release-$sum
	if [ ! -f "$cache/.complete" ]; then
		progress "unpacking the Debian module set into $cache"
		# Filled beside it and renamed: a failed or concurrent unpack
		# never leaves a cache that looks complete. (Callers run this
		# in $(...), where set -e does not reach: hence the returns.)
		local tmp
		mkdir -p "$(dirname "$cache")" || return 1
		tmp=$(mktemp -d "$cache.XXXXXX") || return 1
		if ! "$scripts/guest-modules" "$modtree" "$tmp" >&2; then
			rm -rf "$tmp"
			return 1
		fi
		touch "$tmp/.complete"
		if [ -f "$cache/.complete" ]; then
			rm -rf "$tmp"	# another run made it meanwhile
		else
			rm -rf "$cache"
			mv "$tmp" "$cache" 2>/dev/null || rm -rf "$tmp"
		fi
		[ -f "$cache/.complete" ] || return 1
	fi
	echo "$cache"
}
