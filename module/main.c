// SPDX-License-Identifier: GPL-2.0
/*
 * kTLS module entry points: the "tls" TCP upper-layer protocol and module
 * init/exit.
 */
#include <linux/module.h>
#include <net/tcp.h>

#include "tls.h"

/*
 * The ULP name. scripts/bench builds a benchmark-only copy of this module
 * (ktls_bench.ko, -DKTLS_ULP_NAME=\"ktlsb\") that loads next to the
 * in-tree tls.ko; normal builds never define it.
 */
#ifndef KTLS_ULP_NAME
#define KTLS_ULP_NAME "tls"
#endif

/*
 * Attaching the ULP only makes sense on a connected stream: the record
 * sequence numbers handed to us later are tied to one TCP connection, and
 * a listener would hand its context to every child (CVE-2023-0461 class).
 * Without a .clone op the TCP core refuses listen() on a ULP socket and
 * refuses to attach to a listener, so no child ever inherits ours.
 */
static int ktls_ulp_init(struct sock *sk)
{
	struct ktls_context *kctx;
	int rc;

	if (sk->sk_state != TCP_ESTABLISHED)
		return -ENOTCONN;

	rc = ktls_proto_prepare(sk);
	if (rc)
		return rc;

	kctx = ktls_ctx_create(sk);
	if (!kctx)
		return -ENOMEM;

	rc = ktls_proto_attach(sk, kctx);
	if (rc)
		ktls_ctx_free(kctx);
	return rc;
}

/*
 * sockmap restoring the proto it saved. It never inserts a ULP socket
 * (sk_psock_init() refuses them) and we never attach to a sockmap socket,
 * so this only keeps the saved proto right should that ever change.
 */
static void ktls_ulp_update(struct sock *sk, struct proto *p,
			    void (*write_space)(struct sock *sk))
{
	struct tls_context *ctx = tls_get_ctx(sk);

	/* Once TX has wrapped sk_write_space, the saved one is replaced. */
	if (ctx && ctx->sk_write_space)
		ctx->sk_write_space = write_space;
	else
		sk->sk_write_space = write_space;
	if (ctx)
		ctx->sk_proto = p;
	else
		WRITE_ONCE(sk->sk_prot, p);
}

/*
 * .owner makes the TCP core take a module reference for every socket the
 * ULP is attached to and drop it when the socket is destroyed, so the
 * module cannot be unloaded under a live TLS socket.
 */
static struct tcp_ulp_ops ktls_ulp_ops __read_mostly = {
	.name		= KTLS_ULP_NAME,
	.owner		= THIS_MODULE,
	.init		= ktls_ulp_init,
	.update		= ktls_ulp_update,
	.get_info	= ktls_diag_get_info,
	.get_info_size	= ktls_diag_get_info_size,
};

static int __init ktls_module_init(void)
{
	int rc;

	rc = ktls_stats_register();
	if (rc)
		return rc;
	rc = ktls_dev_init();
	if (rc)
		goto out_stats;
	rc = tcp_register_ulp(&ktls_ulp_ops);
	if (rc)
		goto out_dev;
	return 0;
out_dev:
	ktls_dev_exit();
out_stats:
	ktls_stats_unregister();
	return rc;
}

static void __exit ktls_module_exit(void)
{
	tcp_unregister_ulp(&ktls_ulp_ops);
	ktls_dev_exit();
	ktls_stats_unregister();
}

module_init(ktls_module_init);
module_exit(ktls_module_exit);

MODULE_DESCRIPTION("Transport Layer Security support (out-of-tree kTLS)");
MODULE_LICENSE("GPL");
MODULE_ALIAS_TCP_ULP(KTLS_ULP_NAME);
#ifdef KTLS_VERSION
MODULE_VERSION(KTLS_VERSION);
#endif
