#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of scripts/bench (busybox sh, cwd /ktls): load the AEADs and
# AF_ALG up front so that no module load falls inside a measurement, load
# the in-tree tls.ko and the benchmark-only copy of ours (ktls_bench.ko,
# ULP "ktlsb"), describe the guest, then run ktls-bench with our arguments.
# With "--null only|both" first (scripts/bench --null-cipher), the null AEAD
# (ktls_null_aead.ko) is loaded before ktls-bench runs with --null-cipher 1;
# "both" runs ktls-bench with the real ciphers first, in the same boot.

null=
if [ "${1:-}" = --null ]; then
	null=$2
	shift 2
fi

for m in algif_aead aesni_intel gcm chacha20poly1305 chacha_x86_64 poly1305_x86_64; do
	modprobe "$m" 2>/dev/null
done
insmod /ktls/tls-intree.ko || echo "bench: the in-tree tls.ko did not load"
if [ -f /ktls/ktls_bench.ko ]; then
	insmod /ktls/ktls_bench.ko || echo "bench: ktls_bench.ko did not load"
fi

model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)
ncpu=$(grep -c '^processor' /proc/cpuinfo)
flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' |
	grep -x -e aes -e pclmulqdq -e avx -e avx2 -e vaes -e vpclmulqdq -e avx512f | tr '\n' ' ')
echo "@@CPU$model | $ncpu vCPU | $flags"
echo "@@KERNEL $(uname -r)"
# The driver the crypto API picks for each of the two AEADs: the highest
# priority of those registered under the name. Prints "TAG name driver prio".
picked_drivers() {
	awk -v tag="$1" '/^name/ { n = $3 } /^driver/ { d = $3 }
	     /^priority/ && (n == "gcm(aes)" || n == "rfc7539(chacha20,poly1305)") &&
	     (!(n in best) || $3 + 0 > best[n]) { best[n] = $3 + 0; drv[n] = d }
	     END { for (n in drv) print tag " " n " " drv[n] " " best[n] }' /proc/crypto
}

# The null AEAD goes in with the crypto self-tests off for the moment:
# testmgr would hold it to the real gcm(aes) vectors, fail it and WARN.
# Everything else is loaded already, so nothing else registers untested.
# null_tested: the three null drivers are marked tested in /proc/crypto.
null_tested() {
	awk '/^driver/ { d = $3 }
	     /^selftest/ && d ~ /-ktls-null$/ && $3 == "passed" { n++ }
	     END { exit n < 3 }' /proc/crypto
}

load_null() {
	notests=/sys/module/cryptomgr/parameters/notests
	echo 1 > "$notests" || return 1
	insmod /ktls/ktls_null_aead.ko
	rc=$?
	# Newer kernels (7.x) test a new algorithm in the background after
	# registering it: self-tests stay off until each driver is done.
	tries=0
	while [ "$rc" = 0 ] && ! null_tested && [ "$tries" -lt 30 ]; do
		sleep 1
		tries=$((tries + 1))
	done
	echo 0 > "$notests"
	[ "$rc" = 0 ] || { echo "bench: ktls_null_aead.ko did not load"; return 1; }
	picked_drivers @@CRYPTO-NULL
	if ! picked_drivers - | grep -q ' gcm(aes) gcm(aes)-ktls-null '; then
		echo "bench: gcm(aes) does not resolve to the null AEAD"
		return 1
	fi
}

picked_drivers @@CRYPTO
echo "bench: modules loaded: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"

# --profile SPEC...: a flat kernel+user profile (perf from the host, over
# --hostfs) of each impl:workload:size[:version[:conns]] instead of the
# benchmark (conns: that many connections at once, as --conns). perf.data
# goes to /mnt (= /ktls): hostrun may give each call a fresh /tmp. After
# "--null only", of the null cipher. "--profile --children SPEC...": with
# call graphs, each function's inclusive share (itself and what it calls);
# "--mb N" after them: N MB per profile (default 8).
if [ "${1:-}" = --profile ]; then
	shift
	graph=
	report="--sort dso,sym"
	if [ "${1:-}" = --children ]; then
		shift
		graph=-g
		report="--children --sort sym -g none"
	fi
	pmb=8
	if [ "${1:-}" = --mb ]; then
		pmb=$2
		shift 2
	fi
	nullarg=0
	if [ -n "$null" ]; then
		load_null || exit 1
		nullarg=1
	fi
	mkfifo /ktls/perf.ctl
	for spec in "$@"; do
		impl=${spec%%:*}
		rest=${spec#*:}
		wl=${rest%%:*}
		rest=${rest#*:}
		size=${rest%%:*}
		# Optional: the TLS version (default 1.3), then the number of
		# connections at once (default: the one-connection run).
		ver=1.3
		connarg=
		if [ "$rest" != "$size" ]; then
			rest=${rest#*:}
			ver=${rest%%:*}
			[ "$rest" = "$ver" ] || connarg="--conns ${rest#*:}"
		fi
		# Sampling starts disabled; ktls-bench enables it around the
		# measured part only (not the set-up, not building records).
		# shellcheck disable=SC2086 # $graph, $connarg: nothing or words
		hostrun perf record -q -D -1 --control fifo:/mnt/perf.ctl \
			-e cpu-clock $graph -a -o /mnt/perf.data -- \
			/mnt/bin/ktls-bench --impls "$impl" --workloads "$wl" \
			--sizes "$size" --versions "$ver" --rounds 1 --mb "$pmb" --null-cipher "$nullarg" \
			$connarg \
			--perf-ctl /mnt/perf.ctl > /dev/null
		echo "@@PROFILE $spec"
		# shellcheck disable=SC2086 # $report: several words
		hostrun perf report -q -i /mnt/perf.data --stdio $report \
			--percent-limit 0.3 2>/dev/null | grep -v '^$' | sed 's/^/@@P /'
	done
	exit 0
fi

[ -n "$null" ] || exec ktls-bench "$@"
if [ "$null" = both ]; then
	ktls-bench "$@" || exit 1
fi
load_null || exit 1
exec ktls-bench "$@" --null-cipher 1
