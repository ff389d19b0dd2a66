// SPDX-License-Identifier: GPL-2.0
/*
 * The proto and proto_ops tables a TLS socket runs on. There is one set per
 * address family, copied from the first socket of that family to attach
 * and then overridden where TLS must see the call. Each set is indexed by
 * the TX and RX configuration (TLS_BASE or TLS_SW).
 */
#include <linux/mutex.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>

#include "tls.h"
#include "../compat/ktls_sendpage.h"

enum {
	KTLS_FAMILY_V4,
	KTLS_FAMILY_V6,
	KTLS_NUM_FAMILIES,
};

/* Configurations this module builds tables for: TLS_BASE and TLS_SW. */
#define KTLS_NUM_CONF	2
static_assert(TLS_BASE == 0 && TLS_SW == 1);

struct ktls_family {
	const struct proto *base;	/* NULL until the tables are built */
	const struct proto_ops *base_ops;
	struct proto prot[KTLS_NUM_CONF][KTLS_NUM_CONF];
	/*
	 * proto_ops copies: written once through .rw when the tables are
	 * built, then handed to sockets only as .ro.
	 */
	union { const struct proto_ops ro; struct proto_ops rw; }
		ops[KTLS_NUM_CONF][KTLS_NUM_CONF];
};

static struct ktls_family ktls_families[KTLS_NUM_FAMILIES];
static DEFINE_MUTEX(ktls_family_mutex);

static struct ktls_family *ktls_family_of(const struct sock *sk)
{
	if (sk->sk_family == AF_INET6)
		return &ktls_families[KTLS_FAMILY_V6];
	return &ktls_families[KTLS_FAMILY_V4];
}

/*
 * Turning a TLS socket back into an unconnected one would reset TCP under
 * the record layer (CVE-2025-37756 class), so connect(AF_UNSPEC) is refused.
 */
static int ktls_disconnect(struct sock *sk, int flags)
{
	return -EOPNOTSUPP;
}

/*
 * The table slot of a configuration: a device direction runs the same
 * record layer as software (only sealing differs, see tx.h).
 */
static int ktls_conf_slot(u8 conf)
{
	return conf == TLS_BASE ? TLS_BASE : TLS_SW;
}

static void ktls_build_prot(struct proto prot[][KTLS_NUM_CONF],
			    const struct proto *base)
{
	int tx, rx;

	for (tx = 0; tx < KTLS_NUM_CONF; tx++) {
		for (rx = 0; rx < KTLS_NUM_CONF; rx++) {
			struct proto *p = &prot[tx][rx];

			*p = *base;
			p->setsockopt = ktls_setsockopt;
			p->getsockopt = ktls_getsockopt;
			p->close = ktls_sk_close;
			p->disconnect = ktls_disconnect;
			if (tx == TLS_SW) {
				p->sendmsg = ktls_tx_sendmsg;
				p->splice_eof = ktls_tx_splice_eof;
				ktls_compat_tx_proto(p);
			}
			if (rx == TLS_SW) {
				p->recvmsg = ktls_rx_recvmsg;
				p->ioctl = ktls_rx_ioctl;
			}
		}
	}
}

/* Everything accepted goes out before the FIN: see ktls_tx_shutdown(). */
static int ktls_shutdown(struct socket *sock, int how)
{
	const struct ktls_family *fam = ktls_family_of(sock->sk);

	return ktls_tx_shutdown(sock, how, fam->base_ops->shutdown);
}

/* Readable only with a whole record: see ktls_rx_poll_mask(). */
static __poll_t ktls_poll(struct file *file, struct socket *sock,
			  struct poll_table_struct *wait)
{
	const struct ktls_family *fam = ktls_family_of(sock->sk);

	return ktls_rx_poll_mask(sock->sk, fam->base_ops->poll(file, sock, wait));
}

/*
 * splice and read_sock read the TCP queue directly, bypassing recvmsg;
 * poll would report record fragments as readable; TCP's shutdown would
 * send its FIN ahead of records the record layer still holds.
 */
static void ktls_build_ops(struct ktls_family *fam,
			   const struct proto_ops *base)
{
	int tx, rx;

	for (tx = 0; tx < KTLS_NUM_CONF; tx++) {
		for (rx = 0; rx < KTLS_NUM_CONF; rx++) {
			fam->ops[tx][rx].rw = *base;
			if (tx == TLS_SW) {
				fam->ops[tx][rx].rw.shutdown = ktls_shutdown;
				ktls_compat_tx_ops(&fam->ops[tx][rx].rw);
			}
			if (rx != TLS_SW)
				continue;
			fam->ops[tx][rx].rw.splice_read = ktls_rx_splice_read;
			fam->ops[tx][rx].rw.read_sock = ktls_rx_read_sock;
			fam->ops[tx][rx].rw.poll = ktls_poll;
		}
	}
}

/*
 * Copy the tables from @sk. Under sk_callback_lock so that a concurrent
 * sockmap insertion cannot make us copy its proto instead of TCP's.
 */
static int ktls_family_build(struct ktls_family *fam, struct sock *sk)
{
	int rc = -EINVAL;

	write_lock_bh(&sk->sk_callback_lock);
	if (!ktls_sk_has_psock(sk)) {
		fam->base_ops = sk->sk_socket->ops;
		ktls_build_prot(fam->prot, sk->sk_prot);
		ktls_build_ops(fam, fam->base_ops);
		/* Tables complete before ktls_proto_prepare() sees @base. */
		smp_store_release(&fam->base, sk->sk_prot);
		rc = 0;
	}
	write_unlock_bh(&sk->sk_callback_lock);
	return rc;
}

/**
 * ktls_proto_prepare() - make sure @sk's family has its tables
 * @sk: socket about to attach, locked; may sleep
 *
 * Tables are built once and never rewritten, because live sockets point
 * into them. IPv6 tables appear when the first IPv6 socket attaches.
 *
 * Return: 0, or -EINVAL if @sk cannot serve as the template.
 */
int ktls_proto_prepare(struct sock *sk)
{
	struct ktls_family *fam = ktls_family_of(sk);
	int rc = 0;

	/* Pairs with the store-release in ktls_family_build(). */
	if (smp_load_acquire(&fam->base))
		return 0;

	mutex_lock(&ktls_family_mutex);
	if (!fam->base)
		rc = ktls_family_build(fam, sk);
	mutex_unlock(&ktls_family_mutex);
	return rc;
}

/**
 * ktls_proto_update() - point @sk at the tables for its configuration
 * @sk: the socket
 * @ctx: its context, fully set up
 *
 * The store-release orders everything written to @ctx (and icsk_ulp_data)
 * before the new sk_prot; ktls_sk_ctx() pairs with it (CVE-2024-36489
 * class).
 */
void ktls_proto_update(struct sock *sk, struct tls_context *ctx)
{
	struct ktls_family *fam = ktls_family_of(sk);
	int tx = ktls_conf_slot(ctx->tx_conf), rx = ktls_conf_slot(ctx->rx_conf);

	/* Pairs with smp_rmb() in ktls_sk_ctx(). */
	smp_store_release(&sk->sk_prot, &fam->prot[tx][rx]);
	WRITE_ONCE(sk->sk_socket->ops, &fam->ops[tx][rx].ro);
}

/**
 * ktls_proto_attach() - publish @kctx and switch @sk to our tables
 * @sk: the socket, locked
 * @kctx: its new context
 *
 * Only a socket still running the proto the tables were copied from is
 * accepted: anything else (a sockmap proto in particular) would be lost
 * behind our copy.
 *
 * Return: 0 or -EINVAL.
 */
int ktls_proto_attach(struct sock *sk, struct ktls_context *kctx)
{
	struct ktls_family *fam = ktls_family_of(sk);
	int rc = -EINVAL;

	write_lock_bh(&sk->sk_callback_lock);
	if (!ktls_sk_has_psock(sk) && sk->sk_prot == fam->base &&
	    sk->sk_socket->ops == fam->base_ops) {
		kctx->base.sk_proto = sk->sk_prot;
		rcu_assign_pointer(inet_csk(sk)->icsk_ulp_data, &kctx->base);
		ktls_proto_update(sk, &kctx->base);
		rc = 0;
	}
	write_unlock_bh(&sk->sk_callback_lock);
	return rc;
}
