// SPDX-License-Identifier: GPL-2.0
/*
 * Life of the per-socket context: created when the ULP attaches, torn down
 * when the socket is closed.
 */
#include <linux/slab.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>

#include "tls.h"

struct ktls_context *ktls_ctx_create(struct sock *sk)
{
	struct ktls_context *kctx;

	kctx = kzalloc(sizeof(*kctx), GFP_KERNEL);
	if (!kctx)
		return NULL;

	/* base.tx_lock stays unused: TX is owned through txsw.owner. */
	kctx->base.sk = sk;
	ktls_cipher_store_bind(&kctx->base.tx, &kctx->cipher_store[0]);
	ktls_cipher_store_bind(&kctx->base.rx, &kctx->cipher_store[1]);
	kctx->base.tx_conf = TLS_BASE;
	kctx->base.rx_conf = TLS_BASE;
	kctx->tx_max_payload = TLS_MAX_PAYLOAD_SIZE;
	INIT_LIST_HEAD(&kctx->dev_tx_keys);
	ktls_tx_init(kctx);
	ktls_rx_init(kctx);
	return kctx;
}

/*
 * Free a context. It may still be read by sock_diag under RCU, hence the
 * grace period; the keys are wiped at once.
 */
void ktls_ctx_free(struct ktls_context *kctx)
{
	ktls_rx_release(kctx);
	ktls_keys_release(kctx);
	kfree_rcu(kctx, base.rcu);
}

/* Account for the directions that stop running on this socket. */
static void ktls_ctx_stats_close(struct sock *sk, struct tls_context *ctx)
{
	if (ctx->tx_conf != TLS_BASE)
		ktls_stat_dec(sock_net(sk), ktls_stat_curr(true, ctx->tx_conf));
	if (ctx->rx_conf != TLS_BASE)
		ktls_stat_dec(sock_net(sk), ktls_stat_curr(false, ctx->rx_conf));
}

/*
 * Give the socket back to TCP: the original proto and, unless a device
 * still needs the context (@keep), no ULP data. Done under
 * sk_callback_lock, which sockmap also takes when it looks at sk_prot.
 */
static void ktls_ctx_detach(struct sock *sk, struct tls_context *ctx,
			    bool keep)
{
	write_lock_bh(&sk->sk_callback_lock);
	if (!keep)
		rcu_assign_pointer(inet_csk(sk)->icsk_ulp_data, NULL);
	WRITE_ONCE(sk->sk_prot, ctx->sk_proto);
	write_unlock_bh(&sk->sk_callback_lock);
}

/**
 * ktls_sk_close() - proto->close of every TLS socket
 * @sk: the socket
 * @timeout: linger time, passed on to TCP
 *
 * The TX and RX data paths add their flush and release steps here, under
 * the socket lock, before the socket is handed back to TCP: TX hands TCP
 * everything send() accepted (per SO_LINGER), RX gives back the memory
 * of records nobody read.
 */
void ktls_sk_close(struct sock *sk, long timeout)
{
	struct ktls_context *kctx = ktls_sk_ctx(sk);
	struct tls_context *ctx = &kctx->base;
	struct proto *orig = ctx->sk_proto;
	/*
	 * Once a direction was offloaded (ktls_dev_own()), drivers may look
	 * at the context until the socket's destructor, which frees it.
	 */
	bool keep = sk->sk_destruct == tls_device_sk_destruct;

	/* Before the socket lock: the TX worker takes it. */
	ktls_tx_stop(kctx);
	lock_sock(sk);
	ktls_tx_release(sk, kctx, &timeout);
	ktls_rx_stop(sk, kctx);
	ktls_ctx_stats_close(sk, ctx);
	ktls_ctx_detach(sk, ctx, keep);
	release_sock(sk);
	/* Not under the socket lock: the work item takes it. */
	cancel_work_sync(&kctx->rx_sw.retry_work);

	/* An offloaded context may be gone once TCP's close returns. */
	orig->close(sk, timeout);
	if (!keep)
		ktls_ctx_free(kctx);
}
