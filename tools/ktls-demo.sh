#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of 'make demo' (scripts/demo, a guest booted with --hostfs):
# our tls.ko under a real TLS library. ktls-sendfile, a small program on
# Debian's OpenSSL 3.0, does real handshakes on loopback with kTLS
# switched on by OpenSSL's configuration file alone, sends a file with
# SSL_sendfile() and gets its hash back; for each connection the demo
# shows the version and cipher, kTLS on each direction, the throughput,
# the connection in 'ss -tin' while it is open and the /proc/net/tls_stat
# counters that moved.
case "${1:-}" in
-h|--help)
	echo "Usage: ktls-demo.sh [MIB]   (in the test guest booted with --hostfs; default 4 MiB)"
	exit 0 ;;
esac
[ -f /etc/ktls-cmd ] || { echo "ktls-demo: not in the test guest" >&2; exit 2; }
mib=${1:-4}
work=/ktls/apps		# /mnt/apps in the host's root, where hostrun runs
mnt=/mnt/apps
prog=/mnt/bin/ktls-sendfile
port=4433

echo "== kernel $(uname -r); in-tree tls.ko present: $(find /lib/modules -path '*net/tls*' | wc -l) files"
modprobe tls || exit 1
echo "== loaded: $(lsmod | grep '^tls ')"
echo "== $(modinfo -F description /ktls/tls.ko 2>/dev/null || echo tls.ko)"
mkdir -p "$work"
printf '%s\n' 'openssl_conf = openssl_init' '[openssl_init]' 'ssl_conf = ssl_module' \
	'[ssl_module]' 'system_default = ktls_system' '[ktls_system]' 'Options = KTLS' \
	> "$work/ktls.cnf"
export OPENSSL_CONF=$mnt/ktls.cnf
echo "== $(hostrun openssl version); kTLS is switched on only by OPENSSL_CONF=$OPENSSL_CONF:"
sed 's/^/     /' "$work/ktls.cnf"
head -c $((mib << 20)) /dev/urandom > "$work/data"
echo "== the file: $mib MiB, sha256 $(sha256sum "$work/data" | cut -d' ' -f1)"

# The counters that moved between two snapshots of /proc/net/tls_stat.
moved() {
	awk 'NR == FNR { was[$1] = $2; next }
	     $2 != was[$1] { printf "     %-28s %+d (now %d)\n", $1, $2 - was[$1], $2 }' "$1" "$2"
}

# How much TlsTxSw (connections whose TX the kernel took) moved.
tx_sw_moved() {
	awk 'NR == FNR { if ($1 == "TlsTxSw") was = $2; next }
	     $1 == "TlsTxSw" { print $2 - was }' "$1" "$2"
}

wait_for() {
	i=0
	while [ $i -lt 600 ] && ! grep -Eq "$2" "$1"; do
		sleep 0.1
		i=$((i + 1))
	done
}

# transfer TITLE ARGS...: one connection; the server holds it open for a
# moment after the client's hash came back, which is when ss looks.
transfer() {
	title=$1
	shift
	port=$((port + 1))
	echo
	echo "=== $title"
	cat /proc/net/tls_stat > "$work/before"
	hostrun timeout 60 "$prog" server -p "$port" -f "$mnt/data" --hold 2 "$@" \
		> "$work/server.log" 2>&1 &
	spid=$!
	hostrun timeout 60 "$prog" client -p "$port" -n $((mib << 20)) "$@" \
		> "$work/client.log" 2>&1 &
	cpid=$!
	wait_for "$work/server.log" "client's sha256"
	echo "--- ss -tin, the connection's two ends (server port $port):"
	hostrun ss -tin "( sport = :$port or dport = :$port )" | sed 's/^/     /'
	cat /proc/net/tls_stat > "$work/open"
	wait "$cpid"
	crc=$?
	wait "$spid"
	src=$?
	grep -v -e listening -e 'SSL_OP_ENABLE_KTLS' "$work/server.log" | sed 's/^/  /'
	grep -v -e 'SSL_OP_ENABLE_KTLS' "$work/client.log" | sed 's/^/  /'
	echo "--- /proc/net/tls_stat, what moved while the connection was open:"
	moved "$work/before" "$work/open"
	if [ "$src" != 0 ] || [ "$crc" != 0 ]; then
		echo "=== FAILED (server $src, client $crc)"
		rc=1
	fi
	# Both ends sent through the kernel, or the demo showed nothing.
	if ! grep -q "kTLS send on" "$work/server.log" ||
	   ! grep -q "kTLS send on" "$work/client.log" ||
	   [ "$(tx_sw_moved "$work/before" "$work/open")" -lt 2 ]; then
		echo "=== FAILED: OpenSSL did not hand both ends' sending to the kernel"
		rc=1
	fi
}

rc=0
transfer "TLS 1.2, AES-128-GCM: kTLS both directions on both ends" -v 1.2 -c aes128gcm
transfer "TLS 1.2, ChaCha20-Poly1305" -v 1.2 -c chacha
transfer "TLS 1.3, AES-256-GCM (OpenSSL 3.0 hands only TX to the kernel in 1.3)" \
	-v 1.3 -c aes256gcm
sleep 1
cat /proc/net/tls_stat > "$work/after"
echo
echo "=== /proc/net/tls_stat after the three connections closed:"
sed 's/^/     /' "$work/after"
rmmod tls && echo "== unloaded cleanly"
[ "$rc" = 0 ] && echo "== demo: ok" || echo "== demo: FAILED"
exit $rc
