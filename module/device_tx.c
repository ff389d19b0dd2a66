// SPDX-License-Identifier: GPL-2.0
/*
 * The device TX configuration: a NIC encrypts. Records are framed as in
 * software (tx.c) and sealed by writing the header and explicit nonce and
 * leaving room for the tag; TCP carries them as plaintext marked
 * "decrypted" (MSG_SENDPAGE_DECRYPTED: TCP never merges them with other
 * bytes), and the driver encrypts each segment on its way out.
 *
 * A driver rebuilding a segment (retransmission, out of order) needs the
 * whole record the segment belongs to: every sealed record is kept, with
 * references on its pages, on the offload context's records list, keyed
 * by the TCP sequence number just past it, until TCP says the peer has it
 * (ktls_dev_tx_clean_acked()). The list and its hint change only under
 * off->lock, which drivers take around tls_get_record().
 *
 * AES-GCM only, TLS 1.2 as upstream and TLS 1.3 for devices that opted
 * in (ktls_offload.h); anything else, or any failure to set offload up,
 * leaves the socket in software, silently.
 */
#include <crypto/aead.h>
#include <linux/netdevice.h>
#include <net/inet_connection_sock.h>
#include <linux/unaligned.h>
#include <net/tcp.h>

#include "tls.h"
#include "tx.h"

/* Where TCP's stream will be once it has everything queued so far. */
static u32 ktls_dev_tx_next_seq(struct sock *sk, struct ktls_context *kctx)
{
	return tcp_sk(sk)->write_seq + ktls_tx_queued_bytes(&kctx->txsw);
}

/*
 * A records-list entry has MAX_SKB_FRAGS frags: a record whose wire view
 * (its chunks interleaved with the spliced pages it references) takes
 * more has its last references copied in, into the room its chunks keep
 * for them, until it fits. With every reference copied it is one piece
 * per chunk, which always fits.
 */
static void ktls_dev_tx_fit_frags(struct ktls_tx_rec *rec)
{
	BUILD_BUG_ON(KTLS_TX_REC_CHUNKS > MAX_SKB_FRAGS);
	while (rec->nrefs && ktls_tx_rec_wire_pieces(rec) > MAX_SKB_FRAGS)
		ktls_tx_rec_unref_last(rec);
}

/*
 * A records-list entry for the sealed @rec, in wire order: header,
 * payload (copied, or the spliced pages it references), TLS 1.3 type,
 * tag. The entry holds a reference on every page it names, its own,
 * until the peer has acked the record or the socket is destroyed
 * (ktls_dev_rec_destroy()): the driver and the software fallback read
 * the record from it for as long as TCP may retransmit any of it, well
 * after @rec itself, and its references, are gone.
 */
static struct tls_record_info *ktls_dev_tx_rec_info(struct ktls_tx_rec *rec,
						    gfp_t gfp)
{
	u32 off = 0, left = rec->wire_len;
	struct tls_record_info *info;
	struct ktls_tx_piece p;
	int i = 0;

	info = kzalloc(sizeof(*info), gfp);
	if (!info)
		return NULL;
	while (ktls_tx_rec_wire_piece(rec, &off, &left, &p)) {
		get_page(p.page);
		skb_frag_fill_page_desc(&info->frags[i++], p.page, p.off, p.len);
	}
	info->num_frags = i;
	info->len = rec->wire_len;
	return info;
}

/*
 * The driver lost track of the stream and asked where a record starts:
 * tell it about this one, starting at @seq. Until it accepts, it is
 * asked again at every record.
 */
static void ktls_dev_tx_resync(struct sock *sk, struct tls_context *ctx,
			       u32 seq)
{
	if (!test_bit(TLS_TX_SYNC_SCHED, &ctx->flags))
		return;
	tcp_write_collapse_fence(sk);
	if (!ktls_dev_resync_tx(sk, ctx, seq))
		clear_bit_unlock(TLS_TX_SYNC_SCHED, &ctx->flags);
}

/*
 * Seal for the device: header and explicit nonce (TLS 1.2) or inner
 * content type (TLS 1.3) as in software, a zeroed tag for the NIC to
 * fill (never stale memory on the wire), then the record goes on the
 * list before TCP can send any of it. -ENOMEM leaves @rec open, with
 * the same bytes.
 *
 * Spliced pages @rec references (TLS_TX_ZEROCOPY_RO) stay referenced:
 * nothing here reads them. @rec keeps its references until it is freed,
 * once TCP has taken all of it (tx_push.c): TCP then holds its own on
 * what it sends and may retransmit, and the records-list entry its own.
 * Nothing is ever left in flight here: @defer does not apply.
 */
static int ktls_dev_tx_seal(struct sock *sk, struct ktls_context *kctx,
			    struct ktls_tx_rec *rec, bool defer)
{
	struct tls_offload_context_tx *off = tls_offload_ctx_tx(&kctx->base);
	struct tls_prot_info *prot = &kctx->base.prot_info;
	struct cipher_context *cc = &kctx->base.tx;
	struct tls_record_info *info;
	unsigned long flags;

	rec->wire_len = ktls_record_wire_len(prot, rec->plain_len);
	ktls_dev_tx_fit_frags(rec);
	info = ktls_dev_tx_rec_info(rec, sk->sk_allocation);
	if (!info) {
		rec->wire_len = 0;
		return -ENOMEM;
	}
	ktls_tx_rec_frame(prot, rec, cc->iv + prot->salt_size);
	ktls_tx_rec_zero(rec, prot->prepend_size + rec->plain_len +
			 prot->tail_size, prot->tag_size);
	info->end_seq = ktls_dev_tx_next_seq(sk, kctx) + info->len;
	ktls_dev_tx_resync(sk, &kctx->base, info->end_seq - info->len);

	spin_lock_irqsave(&off->lock, flags);
	list_add_tail_rcu(&info->list, &off->records_list);
	spin_unlock_irqrestore(&off->lock, flags);
	return 0;
}

/*
 * TCP: the peer has everything before @acked_seq. Softirq, socket locked.
 * The records go, and the first one left is numbered as tls_get_record()
 * numbers it (a key marker restarts the numbering).
 */
static void ktls_dev_tx_clean_acked(struct sock *sk, u32 acked_seq)
{
	struct tls_context *ctx = tls_get_ctx(sk);
	struct tls_offload_context_tx *off = tls_offload_ctx_tx(ctx);
	struct tls_record_info *rec, *tmp;
	unsigned long flags;
	u64 sn;

	spin_lock_irqsave(&off->lock, flags);
	rec = off->retransmit_hint;
	if (rec && !before(acked_seq, rec->end_seq))
		off->retransmit_hint = NULL;
	sn = off->unacked_record_sn;
	list_for_each_entry_safe(rec, tmp, &off->records_list, list) {
		sn = ktls_dev_rec_sn(rec, sn);
		if (before(acked_seq, rec->end_seq))
			break;
		ktls_dev_rec_acked(ktls_ctx(ctx), rec);
		list_del_rcu(&rec->list);
		ktls_dev_rec_destroy(rec);
		sn++;
	}
	off->unacked_record_sn = sn;
	spin_unlock_irqrestore(&off->lock, flags);
}

static int ktls_dev_tx_setup(struct sock *sk, struct ktls_context *kctx)
{
	return 0;
}

/* Records stay with the offload context until the socket's destructor. */
static void ktls_dev_tx_teardown(struct sock *sk, struct ktls_context *kctx)
{
}

static const struct ktls_tx_ops ktls_tx_dev_ops = {
	.conf		= TLS_HW,
	.setup		= ktls_dev_tx_setup,
	.seal		= ktls_dev_tx_seal,
	.teardown	= ktls_dev_tx_teardown,
	.push_flags	= MSG_SENDPAGE_DECRYPTED,
	.sends_refs	= true,
};

/* The number the next record sealed under the current TX key gets. */
static u64 ktls_dev_tx_sn(struct ktls_context *kctx)
{
	return get_unaligned_be64(kctx->base.tx.rec_seq);
}

/*
 * A fresh offload context: the start marker stands for everything TCP
 * was given before offload, and is numbered one below the first record,
 * as drivers expect. The software fallback gets its copy of the key.
 */
static struct tls_offload_context_tx *
ktls_dev_tx_ctx_new(struct sock *sk, struct ktls_context *kctx)
{
	u32 start = tcp_sk(sk)->write_seq;
	struct tls_offload_context_tx *off;
	struct tls_record_info *marker;
	struct ktls_dev_tx_key *key;

	key = ktls_dev_tx_key_new(kctx);
	if (IS_ERR(key))
		return NULL;
	off = kzalloc(KTLS_OFFLOAD_CTX_TX_SIZE, GFP_KERNEL);
	marker = ktls_dev_epoch_new(start, ktls_dev_tx_sn(kctx), key, true);
	if (!off || !marker) {
		ktls_dev_tx_key_free(key);
		kfree(marker);
		kfree(off);
		return NULL;
	}
	ktls_dev_tx_key_add(kctx, key);
	kctx->dev_tx_head_key = key;
	/* Ours (ktls_offload.h); upstream sets it too. */
	off->ctx = &kctx->base;
	spin_lock_init(&off->lock);
	INIT_LIST_HEAD(&off->records_list);
	sg_init_table(off->sg_tx_data, ARRAY_SIZE(off->sg_tx_data));
	list_add_tail(&marker->list, &off->records_list);
	off->unacked_record_sn = ktls_dev_tx_sn(kctx) - 1;
	return off;
}

/*
 * Hand TX to @dev. From the store-release of sk_validate_xmit_skb on,
 * drivers see the socket as offloaded.
 */
static int ktls_dev_tx_start(struct sock *sk, struct ktls_context *kctx,
			     struct net_device *dev)
{
	struct tls_offload_context_tx *off;
	int rc;

	off = ktls_dev_tx_ctx_new(sk, kctx);
	if (!off)
		return -ENOMEM;
	/* Drivers find their state through priv_ctx_tx in tls_dev_add. */
	kctx->base.priv_ctx_tx = off;
	/* No skb may mix bytes sent before offload with records after. */
	tcp_write_collapse_fence(sk);
	clean_acked_data_enable(ktls_clean_acked_sk(sk),
				ktls_dev_tx_clean_acked);
	rc = ktls_dev_attach(sk, &kctx->base, dev, TLS_OFFLOAD_CTX_DIR_TX);
	if (rc) {
		clean_acked_data_disable(ktls_clean_acked_sk(sk));
		kctx->base.priv_ctx_tx = NULL;
		ktls_dev_tx_ctx_destroy(kctx, off);
		return rc;
	}
	ktls_dev_own(sk, &kctx->base);
	/* Pairs with the load-acquire in tls_is_skb_tx_device_offloaded(). */
	smp_store_release(&sk->sk_validate_xmit_skb, tls_validate_xmit_skb);
	return 0;
}

/**
 * ktls_dev_tx_ops() - the device configuration, if @sk can have it
 * @sk: the socket, locked, TX keys just installed
 * @kctx: its context
 *
 * Return: the device ops with offload running, or NULL to stay in
 * software (no route, no capable device, a cipher or version it cannot
 * do, the device down, its driver refusing, no memory).
 */
const struct ktls_tx_ops *ktls_dev_tx_ops(struct sock *sk,
					  struct ktls_context *kctx)
{
	struct net_device *dev;
	int rc;

	dev = ktls_dev_for_offload(sk, true);
	if (!dev)
		return NULL;
	rc = ktls_dev_tx_start(sk, kctx, dev);
	dev_put(dev);
	return rc ? NULL : &ktls_tx_dev_ops;
}

/*
 * TX of @sk goes on in software from the next record (a rekey the device
 * cannot follow). @sk locked, TX owned, no record open; @kctx has TX
 * offloaded and the new key installed.
 *
 * Records already sealed for the device keep their key, and the device
 * keeps it for them: those TCP has not taken yet still go out marked
 * decrypted (each record carries its push flags), and the device (or the
 * fallback, with the key and IV it was given) encrypts every segment of
 * them, retransmissions included. The hook stays: a segment the hook let
 * through before may still sit in a qdisc, and the device must still
 * find its key then. Records from now on are encrypted here and leave as
 * ciphertext (tx_push.c fences them off from the device's), which a
 * driver that opted into TLS 1.3 passes on unchanged (ktls_offload.h).
 * The driver lets go at the socket's destructor, as for any offload.
 *
 * Return: 0, or -ENOMEM when software sealing could not be set up: as
 * for any rekey that cannot get its request, TX then fails for good.
 */
static int ktls_dev_tx_leave(struct sock *sk, struct ktls_context *kctx)
{
	int rc = 0;

	kctx->tx_ops->teardown(sk, kctx);
	kctx->tx_ops = &ktls_tx_sw_ops;
	kctx->base.tx_conf = TLS_SW;
	ktls_stat_conf_move(sock_net(sk), true, TLS_SW);
	if (kctx->txsw.started)
		rc = kctx->tx_ops->setup(sk, kctx);
	if (rc)
		kctx->txsw.err = rc;
	return rc;
}

/*
 * The device takes the new key from the next record on (KTLS_DEV_CAP_
 * REKEY, declared when it took the socket): the fallback gets its copy,
 * and the records list a marker there before any record under it is
 * sealed. Keys the peer has every record of are let go first; a socket
 * still holding the most a device may hold goes on in software.
 */
static int ktls_dev_tx_new_key(struct sock *sk, struct ktls_context *kctx)
{
	struct tls_offload_context_tx *off = tls_offload_ctx_tx(&kctx->base);
	u32 start = ktls_dev_tx_next_seq(sk, kctx);
	struct tls_record_info *marker;
	struct ktls_dev_tx_key *key;
	unsigned long flags;
	int rc;

	if (!(kctx->dev_rekey & BIT(TLS_OFFLOAD_CTX_DIR_TX)))
		return -EOPNOTSUPP;
	ktls_dev_tx_keys_prune(kctx, off);
	if (kctx->dev_tx_nkeys >= KTLS_DEV_TX_KEYS_MAX)
		return -EBUSY;
	key = ktls_dev_tx_key_new(kctx);
	if (IS_ERR(key))
		return PTR_ERR(key);
	marker = ktls_dev_epoch_new(start, ktls_dev_tx_sn(kctx), key, false);
	rc = marker ? ktls_dev_attach_key(sk, &kctx->base,
					  TLS_OFFLOAD_CTX_DIR_TX,
					  &kctx->base.crypto_send.info, start) :
		      -ENOMEM;
	if (rc) {
		kfree(marker);
		ktls_dev_tx_key_free(key);
		return rc;
	}
	ktls_dev_tx_key_add(kctx, key);
	spin_lock_irqsave(&off->lock, flags);
	list_add_tail_rcu(&marker->list, &off->records_list);
	spin_unlock_irqrestore(&off->lock, flags);
	return 0;
}

/**
 * ktls_dev_tx_rekey() - a new TX key on an offloaded socket
 * @sk: the socket, locked, TX owned, no record open
 * @kctx: its context, TX offloaded, the new key installed
 *
 * A device that declared it keeps TX, under the new key from the next
 * record; otherwise, or if its driver refuses the key, TX goes on in
 * software (the gauges and sock_diag say so).
 *
 * Return: 0, or -ENOMEM when software sealing could not be set up.
 */
int ktls_dev_tx_rekey(struct sock *sk, struct ktls_context *kctx)
{
	if (!ktls_dev_tx_new_key(sk, kctx))
		return 0;
	return ktls_dev_tx_leave(sk, kctx);
}
