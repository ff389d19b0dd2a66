/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A connected loopback TCP pair with the tls ULP on both ends, for the
 * KUnit suites that need real sockets (pair_kunit.c).
 */
#ifndef _KTLS_PAIR_KUNIT_H
#define _KTLS_PAIR_KUNIT_H

#include <linux/types.h>

struct socket;

/* Guests are QEMU TCG with KASAN: generous, but never a hang. */
#define KTLS_KUNIT_SOCK_TIMEO	(30 * HZ)

struct ktls_kunit_pair {
	struct socket *lsn, *tx, *rx;
};

int ktls_kunit_pair_open(struct ktls_kunit_pair *kp, u16 version);
int ktls_kunit_pair_open_limited(struct ktls_kunit_pair *kp, u16 version,
				 u16 limit);
void ktls_kunit_pair_release(struct ktls_kunit_pair *kp);
int ktls_kunit_send(struct socket *sock, const u8 *buf, size_t len);
int ktls_kunit_recv_all(struct socket *sock, u8 *buf, size_t len);
int ktls_kunit_setsockopt(struct socket *sock, int level, int name,
			  const void *val, unsigned int len);

#endif /* _KTLS_PAIR_KUNIT_H */
