// SPDX-License-Identifier: GPL-2.0
/*
 * A connected loopback TCP pair with the tls ULP on both ends and the
 * same AES-GCM-128 keys as TX on one end and RX on the other, for KUnit
 * suites that drive the module through real sockets.
 */
#include <linux/in.h>
#include <linux/net.h>
#include <linux/tls.h>
#include <linux/uio.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "pair_kunit.h"

/*
 * Reset rather than close gracefully: the sockets are then destroyed in
 * sock_release() itself, which puts their hold on tls.ko, instead of
 * after a FIN exchange in softirq that a prompt rmmod tls could beat.
 */
static void ktls_kunit_sock_release(struct socket *sock)
{
	if (!sock)
		return;
	sock_no_linger(sock->sk);
	sock_release(sock);
}

void ktls_kunit_pair_release(struct ktls_kunit_pair *kp)
{
	ktls_kunit_sock_release(kp->rx);
	ktls_kunit_sock_release(kp->tx);
	ktls_kunit_sock_release(kp->lsn);
	*kp = (struct ktls_kunit_pair){};
}

int ktls_kunit_setsockopt(struct socket *sock, int level, int name,
			  const void *val, unsigned int len)
{
	return READ_ONCE(sock->ops)->setsockopt(sock, level, name,
						KERNEL_SOCKPTR((void *)val),
						len);
}

static int ktls_kunit_connect(struct ktls_kunit_pair *kp)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int rc;

	rc = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			      &kp->lsn);
	if (rc)
		return rc;
	rc = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			      &kp->tx);
	if (rc)
		return rc;
	/* Port 0: the kernel picks a free one, read back below. */
	rc = kernel_bind(kp->lsn, (struct sockaddr *)&addr, sizeof(addr));
	if (rc)
		return rc;
	rc = kernel_listen(kp->lsn, 1);
	if (rc)
		return rc;
	rc = kernel_getsockname(kp->lsn, (struct sockaddr *)&addr);
	if (rc < 0)
		return rc;
	rc = kernel_connect(kp->tx, (struct sockaddr *)&addr, sizeof(addr), 0);
	if (rc)
		return rc;
	return kernel_accept(kp->lsn, &kp->rx, 0);
}

static int ktls_kunit_set_keys(struct ktls_kunit_pair *kp, u16 version)
{
	struct tls12_crypto_info_aes_gcm_128 ci = {
		.info.version = version,
		.info.cipher_type = TLS_CIPHER_AES_GCM_128,
	};
	int rc;

	memset(ci.key, 0x11, sizeof(ci.key));
	memset(ci.iv, 0x22, sizeof(ci.iv));
	memset(ci.salt, 0x33, sizeof(ci.salt));
	rc = ktls_kunit_setsockopt(kp->tx, SOL_TCP, TCP_ULP, "tls", 3);
	if (rc)
		return rc;
	rc = ktls_kunit_setsockopt(kp->rx, SOL_TCP, TCP_ULP, "tls", 3);
	if (rc)
		return rc;
	rc = ktls_kunit_setsockopt(kp->tx, SOL_TLS, TLS_TX, &ci, sizeof(ci));
	if (rc)
		return rc;
	return ktls_kunit_setsockopt(kp->rx, SOL_TLS, TLS_RX, &ci, sizeof(ci));
}

/* Connected, keyed, with timeouts; on failure nothing is left open. */
int ktls_kunit_pair_open(struct ktls_kunit_pair *kp, u16 version)
{
	int rc;

	rc = ktls_kunit_connect(kp);
	if (!rc)
		rc = ktls_kunit_set_keys(kp, version);
	if (rc) {
		ktls_kunit_pair_release(kp);
		return rc;
	}
	kp->tx->sk->sk_sndtimeo = KTLS_KUNIT_SOCK_TIMEO;
	kp->rx->sk->sk_rcvtimeo = KTLS_KUNIT_SOCK_TIMEO;
	return 0;
}

/*
 * As ktls_kunit_pair_open(), the sender's records holding at most @limit
 * data bytes (TLS_TX_MAX_PAYLOAD_LEN): many records from little data.
 */
int ktls_kunit_pair_open_limited(struct ktls_kunit_pair *kp, u16 version,
				 u16 limit)
{
	int rc;

	rc = ktls_kunit_pair_open(kp, version);
	if (rc)
		return rc;
	rc = ktls_kunit_setsockopt(kp->tx, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN,
				   &limit, sizeof(limit));
	if (rc)
		ktls_kunit_pair_release(kp);
	return rc;
}

/* One blocking send of @len bytes from kernel memory; what it returned. */
int ktls_kunit_send(struct socket *sock, const u8 *buf, size_t len)
{
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {};

	return kernel_sendmsg(sock, &msg, &iov, 1, len);
}

/* Read exactly @len bytes; the count, or the error or -ENODATA at EOF. */
int ktls_kunit_recv_all(struct socket *sock, u8 *buf, size_t len)
{
	size_t got = 0;
	int rc;

	while (got < len) {
		struct kvec iov = { .iov_base = buf + got,
				    .iov_len = len - got };
		struct msghdr msg = {};

		rc = kernel_recvmsg(sock, &msg, &iov, 1, len - got, 0);
		if (rc <= 0)
			return rc ? rc : -ENODATA;
		got += rc;
	}
	return got;
}
