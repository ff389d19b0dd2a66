// SPDX-License-Identifier: GPL-2.0
/*
 * kTLS module entry points: registration of the "tls" TCP upper-layer
 * protocol.
 */
#include <linux/module.h>
#include <net/tcp.h>

#include "tls.h"

/*
 * Attaching the ULP only makes sense on a connected stream: the record
 * sequence numbers handed to us later are tied to one TCP connection.
 */
static int tls_ulp_init(struct sock *sk)
{
	if (sk->sk_state != TCP_ESTABLISHED)
		return -ENOTCONN;
	return 0;
}

static struct tcp_ulp_ops tls_ulp_ops __read_mostly = {
	.name	= "tls",
	.owner	= THIS_MODULE,
	.init	= tls_ulp_init,
};

static int __init tls_module_init(void)
{
	tcp_register_ulp(&tls_ulp_ops);
	return 0;
}

static void __exit tls_module_exit(void)
{
	tcp_unregister_ulp(&tls_ulp_ops);
}

module_init(tls_module_init);
module_exit(tls_module_exit);

MODULE_DESCRIPTION("Transport Layer Security support (out-of-tree kTLS)");
MODULE_LICENSE("GPL");
MODULE_ALIAS_TCP_ULP("tls");
