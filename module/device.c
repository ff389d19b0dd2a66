// SPDX-License-Identifier: GPL-2.0
/*
 * The device layer: offload contexts of sockets whose records a NIC
 * encrypts or decrypts, their registry and lifetime, and what NIC drivers
 * call (the tls_device API of <net/tls.h>). The exported symbols and
 * their CRCs are those of the in-tree tls.ko, so that drivers built
 * against it (bonding, nfp, cxgb4, mlx5...) load against this module
 * instead.
 *
 * Lifetime. Once a socket is offloaded, a driver may look at its context
 * (tls_get_ctx(skb->sk)) for as long as one of its skbs is in flight, so
 * the context lives until the socket's destructor, not its close: close
 * leaves icsk_ulp_data in place, and tls_device_sk_destruct() -- which
 * runs once no skb of the socket is left -- has a work item tell the
 * driver (tls_dev_del, which may sleep) and free it. Each such context
 * holds a reference on this module, so our destructor's code stays. RX is
 * the exception: the driver lets go of it at close (ktls_dev_detach_rx()),
 * as upstream, since nothing it does on receive needs the socket after.
 * kctx->dev_dirs says which directions the driver still holds. A TLS 1.3
 * RX rekey gives RX back too (keyupdate.c): it goes on in software.
 *
 * Devices going down. The notifier detaches every context from a device
 * on NETDEV_DOWN (which unregistering passes through): ctx->netdev is
 * cleared, in-flight transmits are waited for (synchronize_net()), the
 * driver is told and its reference dropped, so unregistering never waits
 * for us. Such a socket goes on with records sealed for a device that is
 * gone: tls_validate_xmit_skb() encrypts them in software on the way out.
 * ktls_dev_mutex orders attach, detach and destruction: a context is on
 * ktls_dev_list from its first attach until its destructor's work item.
 *
 * Lock order: the socket lock, then ktls_dev_mutex (attach, TX resync,
 * RX detach at close or rekey); rtnl, then ktls_dev_mutex (the
 * notifier). Nothing under ktls_dev_mutex takes a socket lock or rtnl.
 * ktls_dev_sk_lock is innermost and irq-safe (the destructor may run in
 * softirq).
 */
#include <linux/netdevice.h>
#include <net/dst.h>
#include <net/tcp.h>

/*
 * genksyms folds into a symbol's CRC the definition of every struct the
 * exporting unit can see. Upstream's unit for these three symbols also
 * sees what <linux/tracepoint.h> defines; without it our CRCs differ and
 * modversions refuses every driver. scripts/abi-check compares the CRCs
 * with the kernel's Module.symvers at every build.
 */
#include <linux/tracepoint.h>

#include "ktls_offload.h"
#include "tls.h"

/*
 * Where a search of @ctx's records must start when the retransmit hint
 * does not help: the oldest record, or NULL when @seq is outside the list.
 * A start marker (a record of length 0, first in the list) stands for
 * everything sent before offload began, so it matches any earlier @seq.
 */
static struct tls_record_info *
ktls_dev_oldest_rec(struct tls_offload_context_tx *ctx, u32 seq)
{
	struct tls_record_info *first, *last;

	first = list_first_entry_or_null(&ctx->records_list,
					 struct tls_record_info, list);
	if (!first || tls_record_is_start_marker(first))
		return first;
	last = list_last_entry(&ctx->records_list, struct tls_record_info,
			       list);
	if (!between(seq, tls_record_start_seq(first), last->end_seq))
		return NULL;
	return first;
}

/*
 * The record holding TCP sequence @seq and, in *@p_record_sn, its TLS
 * sequence number: the first record on the list is number
 * @unacked_record_sn, and each key's records are numbered from its
 * marker on (device_tx_keys.c). The driver holds @context->lock, which keeps ACKed
 * records from being freed under us. A lookup remembers the furthest record
 * found, since a driver retransmits forward from there.
 */
struct tls_record_info *tls_get_record(struct tls_offload_context_tx *context,
				       u32 seq, u64 *p_record_sn)
{
	struct tls_record_info *rec = context->retransmit_hint;
	u64 sn = context->hint_record_sn;

	if (!rec || before(seq, tls_record_start_seq(rec))) {
		rec = ktls_dev_oldest_rec(context, seq);
		if (!rec)
			return NULL;
		sn = context->unacked_record_sn;
	}
	/* The sender appends to the list with list_add_tail_rcu(). */
	rcu_read_lock();
	list_for_each_entry_from_rcu(rec, &context->records_list, list) {
		/* A key's marker starts its records' numbering (rekey). */
		sn = ktls_dev_rec_sn(rec, sn);
		if (before(seq, rec->end_seq))
			break;
		sn++;
	}
	rcu_read_unlock();
	if (list_entry_is_head(rec, &context->records_list, list) ||
	    !ktls_dev_rec_for_driver(rec))
		return NULL;
	if (!context->retransmit_hint ||
	    after(rec->end_seq, context->retransmit_hint->end_seq)) {
		context->retransmit_hint = rec;
		context->hint_record_sn = sn;
	}
	*p_record_sn = sn;
	return rec;
}
EXPORT_SYMBOL(tls_get_record);

/*
 * A driver lost track of the TX stream (@got_seq arrived where it expected
 * @exp_seq): the next push tells it where the next record starts. Only
 * the flag is set here, from the driver's xmit path.
 */
void tls_offload_tx_resync_request(struct sock *sk, u32 got_seq, u32 exp_seq)
{
	set_bit(TLS_TX_SYNC_SCHED, &tls_get_ctx(sk)->flags);
}
EXPORT_SYMBOL_GPL(tls_offload_tx_resync_request);

static DEFINE_MUTEX(ktls_dev_mutex);
static LIST_HEAD(ktls_dev_list);		/* under ktls_dev_mutex */
/*
 * ctx->sk of an offloaded context is cleared by the socket's destructor,
 * which may run in softirq: the lock keeps it valid for a device going
 * down that must change one of its hooks.
 */
static DEFINE_SPINLOCK(ktls_dev_sk_lock);
static struct workqueue_struct *ktls_dev_wq;

/* For what must wait for a grace period, then may sleep. */
void ktls_dev_queue_rcu_work(struct rcu_work *work)
{
	queue_rcu_work(ktls_dev_wq, work);
}

/* Free a record and drop its references on the record's pages. */
void ktls_dev_rec_destroy(struct tls_record_info *rec)
{
	int i;

	for (i = 0; i < rec->num_frags; i++)
		put_page(skb_frag_page(&rec->frags[i]));
	kfree(rec);
}

static void ktls_dev_recs_destroy(struct tls_offload_context_tx *off)
{
	struct tls_record_info *rec, *tmp;

	list_for_each_entry_safe(rec, tmp, &off->records_list, list) {
		list_del(&rec->list);
		ktls_dev_rec_destroy(rec);
	}
	off->retransmit_hint = NULL;
}

/*
 * The device a connected socket's packets leave through: the lowest
 * device under bonding or vlan, held. NULL without a route.
 */
static struct net_device *ktls_dev_of_sock(struct sock *sk)
{
	struct net_device *dev = NULL;
	struct dst_entry *dst;

	rcu_read_lock();
	dst = __sk_dst_get(sk);
	if (dst && dst->dev) {
		dev = netdev_sk_get_lowest_dev(dst->dev, sk);
		dev_hold(dev);
	}
	rcu_read_unlock();
	return dev;
}

/*
 * Offload needs AES-GCM, and TLS 1.2 as upstream, or TLS 1.3 on a device
 * whose driver opted in (ktls_offload.h): in-tree drivers assume 1.2.
 */
static bool ktls_dev_supported(const struct tls_crypto_info *info,
			       const struct net_device *dev)
{
	const struct ktls_cipher_desc *desc;

	desc = ktls_cipher_desc_get(info->cipher_type);
	if (!desc || !desc->offloadable)
		return false;
	return info->version == TLS_1_2_VERSION ||
	       (info->version == TLS_1_3_VERSION &&
		(ktls_dev_caps(dev) & KTLS_DEV_CAP_TLS13));
}

/**
 * ktls_dev_for_offload() - the device that may take a direction of @sk
 * @sk: the socket, locked, that direction's keys just installed
 * @tx: the direction
 *
 * Return: the device the socket's route leads to, held, if it offers
 * that direction (feature bit on, tlsdev_ops) for keys of this suite and
 * version; else NULL, and the direction stays in software.
 */
struct net_device *ktls_dev_for_offload(struct sock *sk, bool tx)
{
	netdev_features_t want = tx ? NETIF_F_HW_TLS_TX : NETIF_F_HW_TLS_RX;
	struct tls_context *ctx = tls_get_ctx(sk);
	struct net_device *dev;

	dev = ktls_dev_of_sock(sk);
	if (dev && (!(dev->features & want) || !dev->tlsdev_ops ||
		    !ktls_dev_supported(&ktls_dir_keys(ctx, tx)->info, dev))) {
		dev_put(dev);
		dev = NULL;
	}
	return dev;
}

/* Where the driver's view of direction @dir starts in the TCP stream. */
static u32 ktls_dev_start_seq(struct sock *sk, enum tls_offload_ctx_dir dir)
{
	return dir == TLS_OFFLOAD_CTX_DIR_TX ? tcp_sk(sk)->write_seq :
					       tcp_sk(sk)->copied_seq;
}

/* Register @ctx and have it hold @dev, at its first direction offloaded. */
static void ktls_dev_enlist(struct ktls_context *kctx, struct net_device *dev)
{
	lockdep_assert_held(&ktls_dev_mutex);
	if (kctx->dev_listed)
		return;
	__module_get(THIS_MODULE);
	dev_hold(dev);
	rcu_assign_pointer(kctx->base.netdev, dev);
	list_add_tail(&kctx->base.list, &ktls_dev_list);
	kctx->dev_listed = true;
}

/**
 * ktls_dev_attach() - hand one direction of @ctx to @dev
 * @sk: the socket, locked
 * @ctx: its context; priv_ctx_tx/rx of @dir is set already
 * @dev: the device, held by the caller
 * @dir: the direction
 *
 * Both directions of a socket go through one device, as upstream: a
 * second direction whose route leads elsewhere (or whose first device
 * went down) stays in software.
 *
 * Return: 0 with @ctx registered and holding @dev (and this module), or
 * a negative errno: the device is down or not the socket's other one,
 * or its driver refused.
 */
int ktls_dev_attach(struct sock *sk, struct tls_context *ctx,
		    struct net_device *dev, enum tls_offload_ctx_dir dir)
{
	struct ktls_context *kctx = ktls_ctx(ctx);
	bool tx = dir == TLS_OFFLOAD_CTX_DIR_TX;
	int rc = -ENODEV;

	mutex_lock(&ktls_dev_mutex);
	if (!(dev->flags & IFF_UP) || dev->reg_state != NETREG_REGISTERED)
		goto out;
	rc = -EOPNOTSUPP;
	if (kctx->dev_listed && rcu_access_pointer(ctx->netdev) != dev)
		goto out;
	rc = dev->tlsdev_ops->tls_dev_add(dev, sk, dir,
					  &ktls_dir_keys(ctx, tx)->info,
					  ktls_dev_start_seq(sk, dir));
	if (rc)
		goto out;
	kctx->dev_dirs |= BIT(dir);
	/* What the driver was told when it took the socket holds for it. */
	if (ktls_dev_caps(dev) & KTLS_DEV_CAP_REKEY)
		kctx->dev_rekey |= BIT(dir);
	ktls_dev_enlist(kctx, dev);
out:
	mutex_unlock(&ktls_dev_mutex);
	return rc;
}

/* Drop the device of @ctx once the driver holds no direction of it. */
static void ktls_dev_put_unused(struct ktls_context *kctx,
				struct net_device *dev)
{
	lockdep_assert_held(&ktls_dev_mutex);
	if (!dev || kctx->dev_dirs)
		return;
	RCU_INIT_POINTER(kctx->base.netdev, NULL);
	dev_put(dev);
}

/*
 * Whether @dev may be given a new key for @dir of @kctx: it declared
 * KeyUpdate when it took the socket and still does, and still offers the
 * direction (a driver may tear down what offload needs when it is turned
 * off).
 */
static bool ktls_dev_takes_key(const struct ktls_context *kctx,
			       const struct net_device *dev,
			       enum tls_offload_ctx_dir dir)
{
	netdev_features_t want = dir == TLS_OFFLOAD_CTX_DIR_TX ?
				 NETIF_F_HW_TLS_TX : NETIF_F_HW_TLS_RX;

	return (kctx->dev_rekey & BIT(dir)) && (dev->features & want) &&
	       (ktls_dev_caps(dev) & KTLS_DEV_CAP_REKEY);
}

/**
 * ktls_dev_attach_key() - give the device of @ctx a new key for @dir
 * @sk: the socket, locked
 * @ctx: its context, @dir offloaded (TX) or waiting to be again (RX)
 * @dir: the direction
 * @info: the new key; its rec_seq is the number of the record at @start
 * @start: TCP sequence number of the first record under the new key
 *
 * For a device that keeps offloading across a KeyUpdate (ktls_offload.h,
 * KTLS_DEV_CAP_REKEY, declared when it took @dir): the driver holds on to
 * its earlier TX keys.
 *
 * Return: 0, or a negative errno: the device went down or never declared
 * it, or its driver refused; it still has every key it had. Then the
 * device is let go of if the driver holds nothing for @ctx any more.
 */
int ktls_dev_attach_key(struct sock *sk, struct tls_context *ctx,
			enum tls_offload_ctx_dir dir,
			struct tls_crypto_info *info, u32 start)
{
	struct net_device *dev;
	int rc = -ENODEV;

	mutex_lock(&ktls_dev_mutex);
	dev = rcu_dereference_protected(ctx->netdev,
					lockdep_is_held(&ktls_dev_mutex));
	if (!dev || !(dev->flags & IFF_UP) ||
	    dev->reg_state != NETREG_REGISTERED)
		goto out;
	/* TX: a key on top of those the driver holds, never a first one. */
	if (dir == TLS_OFFLOAD_CTX_DIR_TX &&
	    !(ktls_ctx(ctx)->dev_dirs & BIT(dir)))
		goto out;
	rc = -EOPNOTSUPP;
	if (ktls_dev_takes_key(ktls_ctx(ctx), dev, dir))
		rc = dev->tlsdev_ops->tls_dev_add(dev, sk, dir, info, start);
	if (!rc)
		ktls_ctx(ctx)->dev_dirs |= BIT(dir);
	else
		ktls_dev_put_unused(ktls_ctx(ctx), dev);
out:
	mutex_unlock(&ktls_dev_mutex);
	return rc;
}

/* Tell the driver the directions of @ctx it holds are done with. */
static void ktls_dev_del_dirs(struct ktls_context *kctx,
			      struct net_device *dev, unsigned int dirs)
{
	enum tls_offload_ctx_dir dir;

	for (dir = TLS_OFFLOAD_CTX_DIR_RX; dir <= TLS_OFFLOAD_CTX_DIR_TX; dir++)
		if (dirs & kctx->dev_dirs & BIT(dir))
			dev->tlsdev_ops->tls_dev_del(dev, &kctx->base, dir);
	kctx->dev_dirs &= ~dirs;
}

/* Tell the driver @ctx is done with, and drop the device. */
static void ktls_dev_release_netdev(struct tls_context *ctx,
				    struct net_device *dev)
{
	ktls_dev_del_dirs(ktls_ctx(ctx), dev, ~0U);
	dev_put(dev);
}

/*
 * Free a TX offload context: its records (the markers included), their
 * pages and the fallback's keys. Nothing reads them any more.
 */
void ktls_dev_tx_ctx_destroy(struct ktls_context *kctx,
			     struct tls_offload_context_tx *off)
{
	ktls_dev_recs_destroy(off);
	ktls_dev_tx_keys_free(kctx);
	kfree(off);
}

/*
 * The last of an offloaded context, after the socket's destructor: the
 * driver lets go of what it still holds (unless the device went down
 * first), then the memory. The module reference goes last;
 * destroy_workqueue() in module exit waits for this function to return.
 */
static void ktls_dev_destruct_work(struct work_struct *work)
{
	struct ktls_context *kctx = container_of(work, struct ktls_context,
						 dev_destruct_work);
	struct tls_context *ctx = &kctx->base;
	struct net_device *dev;

	mutex_lock(&ktls_dev_mutex);
	list_del(&ctx->list);
	dev = rcu_dereference_protected(ctx->netdev,
					lockdep_is_held(&ktls_dev_mutex));
	RCU_INIT_POINTER(ctx->netdev, NULL);
	if (dev)
		ktls_dev_release_netdev(ctx, dev);
	mutex_unlock(&ktls_dev_mutex);
	/* Also after a rekey took a direction back to software. */
	if (ctx->priv_ctx_tx)
		ktls_dev_tx_ctx_destroy(kctx, tls_offload_ctx_tx(ctx));
	kfree(ctx->priv_ctx_rx);
	ktls_ctx_free(kctx);
	module_put(THIS_MODULE);
}

/*
 * sk_destruct of an offloaded socket: drivers compare sk->sk_destruct with
 * this function to learn that a socket is offloaded, so it must be this
 * symbol and no other. It runs the destructor it replaced; no skb of the
 * socket is left, so nothing reads the records any more. It may run in
 * softirq: what may sleep is left to the work item.
 */
void tls_device_sk_destruct(struct sock *sk)
{
	struct tls_context *ctx = tls_get_ctx(sk);
	unsigned long flags;

	spin_lock_irqsave(&ktls_dev_sk_lock, flags);
	ctx->sk = NULL;
	spin_unlock_irqrestore(&ktls_dev_sk_lock, flags);
	ctx->sk_destruct(sk);
	if (ctx->priv_ctx_tx)
		clean_acked_data_disable(ktls_clean_acked_sk(sk));
	queue_work(ktls_dev_wq, &ktls_ctx(ctx)->dev_destruct_work);
}
EXPORT_SYMBOL_GPL(tls_device_sk_destruct);

/*
 * The driver asked to be told where a record starts: @seq, for the record
 * numbered ctx->tx.rec_seq. Under ktls_dev_mutex, as the driver may sleep
 * and the device may be going down. Return: 0 once the driver took it.
 */
int ktls_dev_resync_tx(struct sock *sk, struct tls_context *ctx, u32 seq)
{
	struct net_device *dev;
	int rc = -ENODEV;

	mutex_lock(&ktls_dev_mutex);
	dev = rcu_dereference_protected(ctx->netdev,
					lockdep_is_held(&ktls_dev_mutex));
	/* A TX-only driver need not have it (only RX offload requires it). */
	if (dev && dev->tlsdev_ops->tls_dev_resync)
		rc = dev->tlsdev_ops->tls_dev_resync(dev, sk, seq,
						     ctx->tx.rec_seq,
						     TLS_OFFLOAD_CTX_DIR_TX);
	mutex_unlock(&ktls_dev_mutex);
	return rc;
}

/*
 * A direction of @ctx is offloaded: from now on the socket's destructor
 * frees the context (once for both directions).
 */
void ktls_dev_own(struct sock *sk, struct tls_context *ctx)
{
	if (sk->sk_destruct == tls_device_sk_destruct)
		return;
	INIT_WORK(&ktls_ctx(ctx)->dev_destruct_work, ktls_dev_destruct_work);
	ctx->sk_destruct = sk->sk_destruct;
	/* Pairs with the load-acquire in tls_is_sk_rx_device_offloaded(). */
	smp_store_release(&sk->sk_destruct, tls_device_sk_destruct);
}

/* tls_dev_del(RX), and the device goes unless @rekey keeps it. */
static bool ktls_dev_del_rx(struct tls_context *ctx, bool rekey)
{
	struct ktls_context *kctx = ktls_ctx(ctx);
	struct net_device *dev;
	bool keep;

	mutex_lock(&ktls_dev_mutex);
	dev = rcu_dereference_protected(ctx->netdev,
					lockdep_is_held(&ktls_dev_mutex));
	keep = rekey && dev &&
	       (kctx->dev_rekey & BIT(TLS_OFFLOAD_CTX_DIR_RX));
	if (dev)
		ktls_dev_del_dirs(kctx, dev, BIT(TLS_OFFLOAD_CTX_DIR_RX));
	if (!keep)
		ktls_dev_put_unused(kctx, dev);
	mutex_unlock(&ktls_dev_mutex);
	return keep;
}

/**
 * ktls_dev_detach_rx() - the driver lets go of @ctx's RX
 * @ctx: the context; its socket is locked and no record is being
 *	decrypted: at close (the parser stopped) or at a rekey
 *
 * As upstream, RX is given back at close, not at the destructor: the
 * driver stops looking at the socket's packets now. The device stays
 * held while TX still uses it. (TX has no counterpart: a segment the
 * hook passed may wait in a qdisc for as long as the device lives, so
 * the driver keeps TX state until the destructor or the device going
 * down, which resets the qdiscs first.)
 */
void ktls_dev_detach_rx(struct tls_context *ctx)
{
	ktls_dev_del_rx(ctx, false);
}

/**
 * ktls_dev_rekey_rx() - the driver lets go of @ctx's RX, for a new key
 * @ctx: as for ktls_dev_detach_rx()
 *
 * A device that takes new keys (KTLS_DEV_CAP_REKEY) stays held, for
 * ktls_dev_attach_key() to give RX back to it; it goes at close, with the
 * destructor, or when it goes down, if that never happens.
 *
 * Return: whether the device stays held for that.
 */
bool ktls_dev_rekey_rx(struct tls_context *ctx)
{
	return ktls_dev_del_rx(ctx, true);
}

/*
 * A detached socket's segments are plaintext records for no device: from
 * now on every one is encrypted in software on its way out, and drivers
 * (and bonding) no longer see the socket as offloaded -- they would look
 * for driver state that tls_dev_del is about to free.
 */
static void ktls_dev_tx_to_software(struct tls_context *ctx)
{
	unsigned long flags;

	spin_lock_irqsave(&ktls_dev_sk_lock, flags);
	if (ctx->sk)
		/* Pairs with tls_is_skb_tx_device_offloaded()'s acquire. */
		smp_store_release(&ctx->sk->sk_validate_xmit_skb,
				  ktls_validate_xmit_skb_sw);
	spin_unlock_irqrestore(&ktls_dev_sk_lock, flags);
}

/*
 * @dev goes down: detach every context from it. Once the hook is the
 * software one, ctx->netdev is NULL and in-flight transmits are over, no
 * segment of these sockets reaches the driver, and it may forget them.
 * A pending TX resync request died with the device.
 */
static void ktls_dev_down(struct net_device *dev)
{
	struct tls_context *ctx;
	bool found = false;

	mutex_lock(&ktls_dev_mutex);
	list_for_each_entry(ctx, &ktls_dev_list, list) {
		if (rcu_access_pointer(ctx->netdev) != dev)
			continue;
		if (ktls_ctx(ctx)->dev_dirs & BIT(TLS_OFFLOAD_CTX_DIR_TX))
			ktls_dev_tx_to_software(ctx);
		RCU_INIT_POINTER(ctx->netdev, NULL);
		set_bit(TLS_RX_DEV_DEGRADED, &ctx->flags);
		clear_bit(TLS_TX_SYNC_SCHED, &ctx->flags);
		ktls_ctx(ctx)->dev_release_due = true;
		found = true;
	}
	if (found)
		synchronize_net();
	list_for_each_entry(ctx, &ktls_dev_list, list) {
		if (!ktls_ctx(ctx)->dev_release_due)
			continue;
		ktls_ctx(ctx)->dev_release_due = false;
		ktls_dev_release_netdev(ctx, dev);
	}
	mutex_unlock(&ktls_dev_mutex);
}

/* A device that says it offloads TLS must give the operations for it. */
static int ktls_dev_check_ops(struct net_device *dev)
{
	const struct tlsdev_ops *ops = dev->tlsdev_ops;

	if (netif_is_bond_master(dev))
		return NOTIFY_DONE;
	if (!ops || !ops->tls_dev_add || !ops->tls_dev_del)
		return NOTIFY_BAD;
	if ((dev->features & NETIF_F_HW_TLS_RX) && !ops->tls_dev_resync)
		return NOTIFY_BAD;
	return NOTIFY_DONE;
}

static int ktls_dev_event(struct notifier_block *nb, unsigned long event,
			  void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	/* Whatever the driver cleared before: drop what it declared. */
	if (event == NETDEV_UNREGISTER)
		ktls_dev_caps_forget(dev);
	if (!dev->tlsdev_ops &&
	    !(dev->features & (NETIF_F_HW_TLS_TX | NETIF_F_HW_TLS_RX)))
		return NOTIFY_DONE;
	switch (event) {
	case NETDEV_REGISTER:
	case NETDEV_FEAT_CHANGE:
		return ktls_dev_check_ops(dev);
	case NETDEV_DOWN:
		ktls_dev_down(dev);
		return NOTIFY_DONE;
	}
	return NOTIFY_DONE;
}

static struct notifier_block ktls_dev_notifier = {
	.notifier_call = ktls_dev_event,
};

int ktls_dev_init(void)
{
	int rc;

	ktls_dev_wq = alloc_workqueue("ktls_dev", KTLS_WQ_PERCPU, 0);
	if (!ktls_dev_wq)
		return -ENOMEM;
	rc = register_netdevice_notifier(&ktls_dev_notifier);
	if (rc)
		destroy_workqueue(ktls_dev_wq);
	return rc;
}

/*
 * Module exit: every offloaded context held a module reference, so all
 * have been queued for destruction; wait for the last work item to return.
 */
void ktls_dev_exit(void)
{
	unregister_netdevice_notifier(&ktls_dev_notifier);
	ktls_dev_caps_exit();
	/* Work queued from RCU callbacks is queued by now. */
	rcu_barrier();
	destroy_workqueue(ktls_dev_wq);
	clean_acked_data_flush();
}
