#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side (scripts/vm --hostfs): real TLS libraries over our module.
# Debian's OpenSSL 3.0, with kTLS switched on only by its configuration
# file (OPENSSL_CONF, "Options = KTLS" in system_default), completes real
# handshakes on loopback and moves a file: ktls-sendfile (our program on
# libssl) as server and client, openssl s_server/s_client, and Python's
# ssl module, for every cipher and TLS version OpenSSL 3.0 hands to the
# kernel; then our module against a peer whose TLS is all in userspace.
# Each case checks the data end to end (sha256 on both sides), what
# libssl says (BIO_get_ktls_send/recv) where the program can ask, and
# that /proc/net/tls_stat's TlsTxSw/TlsRxSw moved by exactly the kTLS
# directions expected, TlsDecryptError did not, and TlsCurrTxSw/
# TlsCurrRxSw came back once the sockets closed. Prints TAP.
#
# Everything runs in the host's root (hostrun) so that Debian's openssl
# and python3 find their libraries; our files are under /mnt/apps there
# (/ktls/apps in the guest).
usage() {
	cat <<USAGE
Usage: run-apps.sh [--bytes N] [--options OPTS]   (in the test guest, --hostfs)
  --bytes N       size of the file each case sends (default 1048576)
  --options OPTS  the system_default Options of the OpenSSL configuration
                  the cases run with (default KTLS; '' shows every case
                  failing when OpenSSL leaves kTLS off)
USAGE
}
bytes=1048576
options=KTLS
while [ $# -gt 0 ]; do
	case "$1" in
	--bytes) bytes=$2; shift 2 ;;
	--options) options=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
# The guest's /init writes /etc/ktls-cmd; a host has none.
[ -f /etc/ktls-cmd ] || { echo "run-apps: not in the test guest" >&2; exit 2; }
[ -d /host/usr ] || { echo "run-apps: needs scripts/vm --hostfs" >&2; exit 2; }
modprobe tls || { echo "run-apps: cannot load tls.ko"; exit 2; }

work=/ktls/apps		# the same directory as /mnt/apps under hostrun
mnt=/mnt/apps
prog=/mnt/bin/ktls-sendfile
peer=/mnt/bin/ktls-peer.py
mkdir -p "$work"
printf '%s\n' 'openssl_conf = openssl_init' '[openssl_init]' 'ssl_conf = ssl_module' \
	'[ssl_module]' 'system_default = ktls_system' '[ktls_system]' \
	"Options = $options" > "$work/ktls.cnf"
export OPENSSL_CONF=$mnt/ktls.cnf
head -c "$bytes" /dev/urandom > "$work/data"
sum=$(sha256sum "$work/data" | cut -d' ' -f1)
hostrun "$prog" mkcert "$mnt/cert.pem" "$mnt/key.pem" || exit 2

skipped=0
port=4500
# shellcheck source=selftests/tap.sh # beside this script in the payload
. /ktls/bin/tap.sh

stat_of() {
	awk -v n="$1" '$1 == n { print $2 }' "$2"
}

# delta NAME: how much counter NAME moved between before and after.
delta() {
	echo $(($(stat_of "$1" "$work/after") - $(stat_of "$1" "$work/before")))
}

# The current-socket counters drop when the sockets' last reference goes,
# a moment after close.
currs_back() {
	i=0
	while [ $i -lt 50 ]; do
		cat /proc/net/tls_stat > "$work/after"
		[ "$(delta TlsCurrTxSw)" = 0 ] && [ "$(delta TlsCurrRxSw)" = 0 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

wait_listening() {
	i=0
	while [ $i -lt 100 ]; do
		grep -Eq 'listening|^ACCEPT' "$work/server.log" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# check_log FILE LINE: LINE (e.g. "kTLS send on, recv on") is in FILE.
check_log() {
	[ -z "$2" ] || grep -q ": $2\$" "$1" || { echo "# $1 lacks \"$2\""; return 1; }
}

# run_case DESC TX RX SERVER CLIENT [SERVER_KTLS CLIENT_KTLS]: SERVER in
# the background, then CLIENT (shell commands, run in the host's root).
# Both must succeed and print "sha256 <the file's>"; TlsTxSw and TlsRxSw
# must move by TX and RX; where given, each ktls-sendfile side must report
# that kTLS state.
run_case() {
	desc=$1 tx=$2 rx=$3 server=$4 client=$5 ok=0
	cat /proc/net/tls_stat > "$work/before"
	: > "$work/server.log"
	hostrun timeout 60 sh -c "$server" > "$work/server.log" 2>&1 &
	spid=$!
	wait_listening || { echo "# the server did not start"; ok=1; }
	hostrun timeout 60 sh -c "$client" > "$work/client.log" 2>&1 || ok=1
	wait $spid || ok=1
	currs_back || { echo "# TlsCurrTxSw/TlsCurrRxSw did not come back"; ok=1; }
	for log in server client; do
		grep -q "sha256 $sum" "$work/$log.log" ||
			{ echo "# the $log did not get the file's sha256"; ok=1; }
	done
	check_log "$work/server.log" "${6:-}" || ok=1
	check_log "$work/client.log" "${7:-}" || ok=1
	if [ "$(delta TlsTxSw)" != "$tx" ] || [ "$(delta TlsRxSw)" != "$rx" ] ||
	   [ "$(delta TlsDecryptError)" != 0 ]; then
		echo "# tls_stat moved: TlsTxSw $(delta TlsTxSw), TlsRxSw $(delta TlsRxSw)," \
			"TlsDecryptError $(delta TlsDecryptError); expected $tx, $rx, 0"
		ok=1
	fi
	if [ "$ok" != 0 ]; then
		sed 's/^/# server: /' "$work/server.log"
		sed 's/^/# client: /' "$work/client.log"
	fi
	result "$ok" "$desc"
	port=$((port + 1))	# for the next case's commands
}

# What OpenSSL 3.0 hands to the kernel on one side of a connection with
# kTLS on (found by running it, see Documentation/testing.rst): TX in TLS
# 1.2 and 1.3, RX in TLS 1.2 only (3.0 never enables kTLS RX in TLS
# 1.3; openssl/openssl#17942 lifted that later). These give one
# side's sockets with kTLS TX, with kTLS RX, and what ktls-sendfile says.
tx_of() {
	echo 1
}
rx_of() {
	if [ "$1" = 1.2 ]; then echo 1; else echo 0; fi
}
line_of() {
	if [ "$1" = 1.2 ]; then echo "kTLS send on, recv on"; else echo "kTLS send on, recv off"; fi
}
off_line="kTLS send off, recv off"

# ours VERSION CIPHER: ktls-sendfile on both ends.
ours() {
	run_case "ktls-sendfile TLS $1 $2 both ends" $(($(tx_of "$1") * 2)) $(($(rx_of "$1") * 2)) \
		"$prog server -p $port -v $1 -c $2 -f $mnt/data" \
		"$prog client -p $port -v $1 -c $2 -n $bytes" \
		"$(line_of "$1")" "$(line_of "$1")"
}

# s_server serves the file (-WWW) with SSL_sendfile (-sendfile, which it
# refuses without kTLS TX); s_client receives from ktls-sendfile.
openssl_tools() {
	tx=$(($(tx_of "$1") * 2)) rx=$(($(rx_of "$1") * 2))
	run_case "openssl s_server -WWW -sendfile to ktls-sendfile, TLS $1" "$tx" "$rx" \
		"cd $mnt && openssl s_server -accept $port -naccept 1 -cert cert.pem \
			-key key.pem -tls${1%.*}_${1#*.} -WWW -sendfile < /dev/null &&
		 echo \"s_server: sha256 \$(sha256sum data)\"" \
		"$prog client -p $port -r data" "" "$(line_of "$1")"
	run_case "ktls-sendfile to openssl s_client, TLS $1" "$tx" "$rx" \
		"$prog server -p $port -v $1 -f $mnt/data --no-reply" \
		"openssl s_client -connect 127.0.0.1:$port -quiet < /dev/null \
			> $mnt/received 2> $mnt/s_client.err &&
		 echo \"s_client: sha256 \$(sha256sum $mnt/received)\"" \
		"$(line_of "$1")" ""
}

python_peer() {
	tx=$(($(tx_of "$1") * 2)) rx=$(($(rx_of "$1") * 2))
	run_case "python3 ssl server to ktls-sendfile, TLS $1" "$tx" "$rx" \
		"python3 $peer server --port $port --version $1 --file $mnt/data \
			--cert $mnt/cert.pem --key $mnt/key.pem" \
		"$prog client -p $port -v $1 -n $bytes" "" "$(line_of "$1")"
	run_case "ktls-sendfile to python3 ssl client, TLS $1" "$tx" "$rx" \
		"$prog server -p $port -v $1 -f $mnt/data" \
		"python3 $peer client --port $port --version $1 --bytes $bytes" \
		"$(line_of "$1")" ""
}

# Our module on one end only: the other runs libssl with kTLS off.
userspace_peer() {
	tx=$(tx_of "$1") rx=$(rx_of "$1")
	run_case "kTLS server to a userspace TLS client, TLS $1" "$tx" "$rx" \
		"$prog server -p $port -v $1 -f $mnt/data" \
		"$prog client -p $port -v $1 -n $bytes --ktls off" \
		"$(line_of "$1")" "$off_line"
	run_case "userspace TLS server to a kTLS client, TLS $1" "$tx" "$rx" \
		"$prog server -p $port -v $1 -f $mnt/data --ktls off" \
		"$prog client -p $port -v $1 -n $bytes" \
		"$off_line" "$(line_of "$1")"
}

echo "TAP version 13"
echo "# OpenSSL $(hostrun openssl version), $(hostrun python3 --version), Options = $options"
echo "1..18"
for c in aes128gcm aes256gcm chacha aes128ccm; do
	ours 1.2 "$c"
done
for c in aes128gcm aes256gcm chacha; do
	ours 1.3 "$c"
done
n=$((n + 1)) skipped=$((skipped + 1))
echo "ok $n - ktls-sendfile TLS 1.3 aes128ccm # SKIP OpenSSL 3.0 keeps TLS 1.3 AES-128-CCM in userspace"
openssl_tools 1.2
openssl_tools 1.3
python_peer 1.2
python_peer 1.3
userspace_peer 1.2
echo "apps: $((n - failed - skipped)) passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
