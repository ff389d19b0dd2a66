#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# The Python side of ktls-sendfile's transfers (selftests/run-apps.sh):
# Python's ssl module, which uses OpenSSL, so OPENSSL_CONF's "Options =
# KTLS" switches kTLS on for it as for any OpenSSL application. The
# protocol is ktls-sendfile's: the server sends a file, the client reads
# --bytes of it and sends "sha256 HEX\n" back, the server compares.
# Python does not say whether libssl used kTLS; the test reads that from
# /proc/net/tls_stat.
import argparse
import hashlib
import socket
import ssl
import sys
import time

VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
# OP_ENABLE_KTLS (1 << 3) has a name in the ssl module from Python 3.12.
OP_ENABLE_KTLS = 1 << 3


def context(args, server):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    print(f"python {args.role}: SSL_OP_ENABLE_KTLS "
          f"{'set' if ctx.options & OP_ENABLE_KTLS else 'not set'} by OpenSSL's configuration")
    if args.version:
        ctx.minimum_version = ctx.maximum_version = VERSIONS[args.version]
    if args.cipher:
        ctx.set_ciphers(args.cipher)
    if server:
        ctx.load_cert_chain(args.cert, args.key)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def report(args, tls):
    version, cipher = tls.version(), tls.cipher()[0]
    print(f"python {args.role}: {version} {cipher}", flush=True)


def serve(args):
    ctx = context(args, True)
    with open(args.file, "rb") as f:
        data = f.read()
    digest = hashlib.sha256(data).hexdigest()
    lsock = socket.create_server(("127.0.0.1", args.port))
    print(f"python server: listening on 127.0.0.1:{args.port}", flush=True)
    conn, _ = lsock.accept()
    with ctx.wrap_socket(conn, server_side=True) as tls:
        report(args, tls)
        start = time.monotonic()
        tls.sendall(data)
        secs = time.monotonic() - start
        print(f"python server: sent {len(data)} bytes in {secs:.3f} s")
        print(f"python server: sha256 {digest}")
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = tls.recv(128)
            if not chunk:
                break
            reply += chunk
    if reply.decode() != f"sha256 {digest}\n":
        print(f"python server: the client's sha256 differs: {reply!r}")
        return 1
    print("python server: the client's sha256 matches the file's")
    return 0


def connect(port):
    for _ in range(100):
        try:
            return socket.create_connection(("127.0.0.1", port))
        except ConnectionRefusedError:
            time.sleep(0.1)
    raise SystemExit("python client: cannot connect")


def client(args):
    ctx = context(args, False)
    with ctx.wrap_socket(connect(args.port)) as tls:
        report(args, tls)
        digest = hashlib.sha256()
        got = 0
        start = time.monotonic()
        while got < args.bytes:
            chunk = tls.recv(min(65536, args.bytes - got))
            if not chunk:
                raise SystemExit("python client: the data ended early")
            digest.update(chunk)
            got += len(chunk)
        secs = time.monotonic() - start
        print(f"python client: received {got} bytes in {secs:.3f} s")
        print(f"python client: sha256 {digest.hexdigest()}", flush=True)
        tls.sendall(f"sha256 {digest.hexdigest()}\n".encode())
        try:
            while tls.recv(128):
                pass
        except (ssl.SSLError, ConnectionError):
            pass
    return 0


def main():
    p = argparse.ArgumentParser(description="Python ssl peer of ktls-sendfile")
    p.add_argument("role", choices=["server", "client"])
    p.add_argument("--port", type=int, default=4433)
    p.add_argument("--version", choices=sorted(VERSIONS))
    p.add_argument("--cipher", help="a TLS 1.2 cipher list (OpenSSL names)")
    p.add_argument("--file", help="server: the file to send")
    p.add_argument("--cert", help="server: PEM certificate")
    p.add_argument("--key", help="server: PEM key")
    p.add_argument("--bytes", type=int, help="client: how many bytes to read")
    args = p.parse_args()
    return serve(args) if args.role == "server" else client(args)


if __name__ == "__main__":
    sys.exit(main())
