#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of scripts/bench (busybox sh, cwd /ktls): load the AEADs and
# AF_ALG up front so that no module load falls inside a measurement, load
# the in-tree tls.ko and the benchmark-only copy of ours (ktls_bench.ko,
# ULP "ktlsb"), describe the guest, then run ktls-bench with our arguments.

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
# The drivers the crypto API picked for the two AEADs (highest priority).
awk '/^name/ { n = $3 } /^driver/ { d = $3 }
     /^priority/ && (n == "gcm(aes)" || n == "rfc7539(chacha20,poly1305)") {
	     print "@@CRYPTO " n " " d " " $3 }' /proc/crypto
echo "bench: modules loaded: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"

# --profile SPEC...: a flat kernel+user profile (perf from the host, over
# --hostfs) of each impl:workload:size[:version] instead of the benchmark. perf.data
# goes to /mnt (= /ktls): hostrun may give each call a fresh /tmp.
if [ "${1:-}" = --profile ]; then
	shift
	mkfifo /ktls/perf.ctl
	for spec in "$@"; do
		impl=${spec%%:*}
		rest=${spec#*:}
		wl=${rest%%:*}
		rest=${rest#*:}
		size=${rest%%:*}
		# An optional fourth field picks the TLS version (default 1.3).
		ver=1.3
		[ "$rest" = "$size" ] || ver=${rest#*:}
		# Sampling starts disabled; ktls-bench enables it around the
		# measured part only (not the set-up, not building records).
		hostrun perf record -q -D -1 --control fifo:/mnt/perf.ctl \
			-e cpu-clock -a -o /mnt/perf.data -- \
			/mnt/bin/ktls-bench --impls "$impl" --workloads "$wl" \
			--sizes "$size" --versions "$ver" --rounds 1 --mb 8 --perf-ctl /mnt/perf.ctl > /dev/null
		echo "@@PROFILE $spec"
		hostrun perf report -q -i /mnt/perf.data --stdio --sort dso,sym \
			--percent-limit 0.3 2>/dev/null | grep -v '^$' | sed 's/^/@@P /'
	done
	exit 0
fi

exec ktls-bench "$@"
