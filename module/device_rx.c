// SPDX-License-Identifier: GPL-2.0
/*
 * The device RX configuration: a NIC decrypts. Records are parsed and
 * read exactly as in software (parser.c, rx.c); the NIC only changes what
 * their bytes are. A NIC decrypts the segments of a record as they pass
 * and marks each one it authenticated "decrypted" (skb->decrypted); the
 * parser notes, byte for byte, which bytes of the current record came in
 * such segments (rx_sw.dev_seen, rx_sw.dev_map). At decryption time:
 *
 *  - all of the record came decrypted: the plaintext is in place and the
 *    NIC checked the tag; only framing and type remain to check;
 *  - none of it did: the software path authenticates and decrypts it;
 *  - some did (the NIC lost or found the stream inside the record, or
 *    the device went down): the decrypted bytes are turned back into
 *    ciphertext, and the whole record goes the software way. Nothing the
 *    NIC produced is shown unless the tag covering it was checked.
 *
 * A NIC that lost track of the stream is told where a record starts, in
 * one of the three ways upstream defines (tls_offload_rx_resync_set_type):
 * it asks about a header it guessed (driver request, answered when the
 * parser reaches that header), the core volunteers where the next record
 * starts after records keep arriving encrypted (next hint), or it asks
 * about a span and the core remembers the headers inside it (async).
 *
 * Locking: everything here runs where the parser runs -- under the socket
 * lock, or in softirq while nobody owns the socket -- except the driver's
 * resync_req/resync_async words, which it writes from its NAPI poll with
 * atomics. The driver is called under rcu_read_lock() and must not sleep.
 */
#include <crypto/aead.h>
#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/netdevice.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <net/tcp.h>

#include "tls.h"

/* Largest record the parser accepts, header and all, with room to spare. */
#define KTLS_DEV_RX_MAP_BITS	(TLS_HEADER_SIZE + TLS_MAX_PAYLOAD_SIZE + 512)

/*
 * The key a device had when a rekey took RX back (keyupdate.c). The NIC
 * may already have run records sent under the new key through the old
 * one (a peer sends right behind its KeyUpdate): where it marked bytes
 * decrypted, only this key turns them back into what was sent.
 */
struct ktls_dev_rx_old {
	struct crypto_aead *aead;
	u8 iv[TLS_MAX_IV_SIZE + TLS_MAX_SALT_SIZE];	/* salt, IV */
	u64 sn;			/* the number it gives the next record */
	bool ends;		/* the device took RX back with a new key: */
	u32 end;		/* records from here on are its new flow's */
};

/*
 * A segment may start inside the receive window and end past it; none a
 * NIC sees is longer than this (GRO comes after it).
 */
#define KTLS_DEV_RX_EDGE_SLACK	SZ_64K

/* The record number of the record being parsed, plus @delta. */
static u64 ktls_dev_rx_sn(const struct tls_context *ctx, s64 delta)
{
	return get_unaligned_be64(ctx->rx.rec_seq) + delta;
}

/* Tell the driver that record number @sn starts at TCP sequence @seq. */
static void ktls_dev_rx_resync(struct sock *sk, struct tls_context *ctx,
			       u32 seq, u64 sn)
{
	u8 rcd_sn[TLS_MAX_REC_SEQ_SIZE];
	struct net_device *dev;

	put_unaligned_be64(sn, rcd_sn);
	rcu_read_lock();
	dev = rcu_dereference(ctx->netdev);
	if (dev)
		dev->tlsdev_ops->tls_dev_resync(dev, sk, seq, rcd_sn,
						TLS_OFFLOAD_CTX_DIR_RX);
	rcu_read_unlock();
	ktls_stat_inc(sock_net(sk), KTLS_STAT_RX_DEVICE_RESYNC);
}

/*
 * Driver request: the driver asked about the header whose last byte is at
 * the sequence number it gave. Answer once, if that header is this one.
 */
static bool ktls_dev_rx_req_due(struct tls_offload_context_rx *off, u32 seq)
{
	s64 req = atomic64_read(&off->resync_req);

	return req && (u32)(req >> 32) == seq &&
	       atomic64_try_cmpxchg(&off->resync_req, &req, 0);
}

/*
 * Async request, first stage (RESYNC_REQ_ASYNC set): the driver is still
 * looking at a span of the stream; note the headers found in it, and how
 * many records started since the span did.
 */
static void ktls_dev_rx_async_log(struct tls_offload_resync_async *as,
				  s64 req, u32 seq)
{
	u32 start = req >> 32, end = start + ((req >> 16) & 0xffff);

	if (before(seq, start))
		return;
	if (!after(seq, end) && as->loglen < TLS_DEVICE_RESYNC_ASYNC_LOGMAX)
		as->log[as->loglen++] = seq;
	as->rcd_delta++;
}

/**
 * ktls_dev_rx_async_step() - an async resync request meets a header
 * @as: the driver's async state
 * @seq: TCP sequence number of the header being parsed; on true, where
 *	the record to answer with starts
 * @back: on true, how many records before the one being parsed that is
 *
 * While the span is open the header is noted. Once the driver named the
 * header it settled on, that is one noted earlier or this one.
 *
 * Return: true to answer now.
 */
bool ktls_dev_rx_async_step(struct tls_offload_resync_async *as, u32 *seq,
			    s64 *back)
{
	s64 req = atomic64_read(&as->req);
	u32 want = req >> 32;
	u16 i;

	if (!req)
		return false;
	if (req & RESYNC_REQ_ASYNC) {
		/*
		 * A span that never ends would wrap the count: give up on
		 * it, unless the driver just made a new request.
		 */
		if (as->rcd_delta == U16_MAX)
			atomic64_try_cmpxchg(&as->req, &req, 0);
		else
			ktls_dev_rx_async_log(as, req, *seq);
		return false;
	}
	*back = 0;
	for (i = 0; i < as->loglen && as->log[i] != want; i++)
		;
	if (i < as->loglen)
		*back = as->rcd_delta - i;
	/* Only this header can be the one from now on. */
	as->loglen = 0;
	as->rcd_delta = 0;
	if (!*back && want != *seq)
		return false;
	*seq = want;
	return atomic64_try_cmpxchg(&as->req, &req, 0);
}
EXPORT_SYMBOL_IF_KUNIT(ktls_dev_rx_async_step);

/*
 * Next hint, delivered at a header: ktls_dev_rx_nh_failed() decided the
 * NIC needs the start of the record after this one, unless that one is
 * already in TCP's queue (the NIC is past it): then wait for a later one.
 */
static bool ktls_dev_rx_nh_due(struct sock *sk,
			       struct tls_offload_context_rx *off, u32 len)
{
	if (!off->resync_nh_do_now || tcp_inq(sk) > len - TLS_HEADER_SIZE)
		return false;
	off->resync_nh_do_now = 0;
	return true;
}

/*
 * Whether the header at *@seq of a record of @len bytes is where to
 * answer the NIC, in the resync mode its driver chose; if so, *@seq and
 * *@back (records before the one being parsed) say what to answer.
 */
static bool ktls_dev_rx_resync_due(struct sock *sk,
				   struct tls_offload_context_rx *off,
				   u32 *seq, u32 len, s64 *back)
{
	switch (off->resync_type) {
	case TLS_OFFLOAD_SYNC_TYPE_DRIVER_REQ:
		/* The driver names the header's last byte. */
		*seq += TLS_HEADER_SIZE - 1;
		return ktls_dev_rx_req_due(off, *seq);
	case TLS_OFFLOAD_SYNC_TYPE_CORE_NEXT_HINT:
		if (!ktls_dev_rx_nh_due(sk, off, len))
			return false;
		*seq += len;
		*back = -1;
		return true;
	case TLS_OFFLOAD_SYNC_TYPE_DRIVER_REQ_ASYNC:
		return off->resync_async &&
		       ktls_dev_rx_async_step(off->resync_async, seq, back);
	}
	return false;
}

/**
 * ktls_dev_rx_new_rec() - the parser found a record header
 * @sk: the socket
 * @kctx: its context, RX offloaded
 * @seq: TCP sequence number of the header's first byte
 * @len: the whole record's length
 *
 * The record being parsed is number kctx->base.rx.rec_seq: those before
 * it are decrypted already. Answers a pending resync, if this header is
 * the one to answer with.
 */
void ktls_dev_rx_new_rec(struct sock *sk, struct ktls_context *kctx,
			 u32 seq, u32 len)
{
	struct tls_context *ctx = &kctx->base;
	struct tls_offload_context_rx *off = tls_offload_ctx_rx(ctx);
	s64 back = 0;

	/*
	 * The async state is the driver's memory, freed by tls_dev_del: the
	 * down path marks the context degraded, then waits for RCU readers
	 * (a reader under the socket lock too), then calls it.
	 */
	rcu_read_lock();
	if (!test_bit(TLS_RX_DEV_DEGRADED, &ctx->flags) &&
	    ktls_dev_rx_resync_due(sk, off, &seq, len, &back))
		ktls_dev_rx_resync(sk, ctx, seq, ktls_dev_rx_sn(ctx, -back));
	rcu_read_unlock();
}

/*
 * Next hint: a record came wholly encrypted. After a few in a row (more
 * each time a hint did not help), tell the NIC where the next record
 * starts: now, if it has not reached it yet, else at the next header.
 */
static void ktls_dev_rx_nh_failed(struct sock *sk, struct tls_context *ctx)
{
	struct tls_offload_context_rx *off = tls_offload_ctx_rx(ctx);

	if (off->resync_type != TLS_OFFLOAD_SYNC_TYPE_CORE_NEXT_HINT ||
	    off->resync_nh_do_now || test_bit(TLS_RX_DEV_DEGRADED, &ctx->flags))
		return;
	if (off->resync_nh_reset) {
		off->resync_nh_reset = 0;
		off->resync_nh.decrypted_failed = 1;
		off->resync_nh.decrypted_tgt = TLS_DEVICE_RESYNC_NH_START_IVAL;
		return;
	}
	if (++off->resync_nh.decrypted_failed <= off->resync_nh.decrypted_tgt)
		return;
	if (off->resync_nh.decrypted_tgt < TLS_DEVICE_RESYNC_NH_MAX_IVAL)
		off->resync_nh.decrypted_tgt *= 2;
	else
		off->resync_nh.decrypted_tgt += TLS_DEVICE_RESYNC_NH_MAX_IVAL;
	/* The parser took this record whole: copied_seq is the next one's. */
	if (tcp_inq(sk))
		off->resync_nh_do_now = 1;
	else
		ktls_dev_rx_resync(sk, ctx, tcp_sk(sk)->copied_seq,
				   ktls_dev_rx_sn(ctx, 1));
}

/**
 * ktls_dev_rx_restore() - put back what was sent where the NIC decrypted
 * @rec: the record
 * @map: a bit per byte of @rec, set where the NIC decrypted it
 * @ct: the record's bytes from @start on, encrypted again
 * @start: first data byte of @rec
 * @end: end of its data (the tag is never restored)
 */
void ktls_dev_rx_restore(struct ktls_rx_rec *rec, const unsigned long *map,
			 const u8 *ct, u32 start, u32 end)
{
	unsigned long s, e;

	for (s = find_next_bit(map, end, start); s < end;
	     s = find_next_bit(map, end, e)) {
		e = find_next_zero_bit(map, end, s);
		memcpy(rec->buf + s, ct + (s - start), e - s);
	}
}
EXPORT_SYMBOL_IF_KUNIT(ktls_dev_rx_restore);

/* The nonce the NIC used for @rec under its old key (TLS 1.3: no explicit one). */
static void ktls_dev_rx_old_iv(const struct tls_prot_info *prot,
			       struct ktls_rx_rec *rec,
			       const struct ktls_dev_rx_old *old)
{
	u8 sn[8];

	put_unaligned_be64(old->sn, sn);
	ktls_record_fill_iv(prot, rec->iv, old->iv, sn,
			    rec->buf + TLS_HEADER_SIZE);
}

/*
 * Some of @rec came decrypted, some not. GCM is a stream cipher: sealing
 * the record's data again with its own nonce turns each byte the NIC
 * decrypted back into the byte that was sent (and the others into
 * garbage, which is not used). The tag is then checked by the software
 * path over the record as it was sent. After a rekey (@old) the NIC's
 * key and nonce were the old ones.
 */
static int ktls_dev_rx_reencrypt(struct ktls_context *kctx,
				 struct ktls_rx_rec *rec,
				 const struct ktls_dev_rx_old *old)
{
	const struct tls_prot_info *prot = &kctx->base.prot_info;
	u32 start = prot->prepend_size, end = rec->len - prot->tag_size;
	struct aead_request *req;
	struct scatterlist sg[2];
	DECLARE_CRYPTO_WAIT(wait);
	u8 *ct;
	int rc;

	ct = kmalloc(end - start + prot->tag_size, GFP_KERNEL);
	req = aead_request_alloc(old ? old->aead : kctx->rx_aead, GFP_KERNEL);
	rc = -ENOMEM;
	if (!ct || !req)
		goto out;
	memcpy(ct, rec->buf + start, end - start);
	ktls_rx_fill_aead(kctx, rec);
	if (old)
		ktls_dev_rx_old_iv(prot, rec, old);
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], rec->aad, prot->aad_size);
	sg_set_buf(&sg[1], ct, end - start + prot->tag_size);
	aead_request_set_crypt(req, sg, sg, end - start, rec->iv);
	aead_request_set_ad(req, prot->aad_size);
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				       CRYPTO_TFM_REQ_MAY_SLEEP,
				  crypto_req_done, &wait);
	rc = crypto_wait_req(crypto_aead_encrypt(req), &wait);
	if (!rc)
		ktls_dev_rx_restore(rec, kctx->rx_sw.dev_map, ct, start, end);
out:
	aead_request_free(req);
	kfree_sensitive(ct);
	return rc;
}

/*
 * A record the NIC decrypted whole is plaintext in place, if its outer
 * type is one its tag could have covered (TLS 1.3: application data).
 */
static int ktls_dev_rx_verdict(struct ktls_context *kctx,
			       const struct ktls_rx_rec *rec)
{
	if (kctx->rx_sw.dev_seen != (KTLS_RX_DEV_PLAIN | KTLS_RX_DEV_CHECKED))
		return 0;
	return ktls_rx_outer_type_ok(&kctx->base.prot_info, rec) ? 1 : -EBADMSG;
}

/*
 * After a rekey: whatever the NIC decrypted was under the old key, so it
 * is never taken as plaintext, even when all of a record came decrypted
 * (it was sent under the old key; software would refuse it too). Each
 * record counts in the old key's numbering, as the NIC numbered it.
 */
static int ktls_dev_rx_record_old(struct ktls_context *kctx,
				  struct ktls_rx_rec *rec)
{
	struct ktls_rx_sw *rx = &kctx->rx_sw;
	int rc;

	if (rx->dev_seen & KTLS_RX_DEV_PLAIN) {
		rc = ktls_dev_rx_reencrypt(kctx, rec, rx->dev_old);
		if (rc)
			return rc;
	}
	rx->dev_old->sn++;
	rx->dev_seen = KTLS_RX_DEV_CIPHER | KTLS_RX_DEV_CHECKED;
	return 0;
}

/* Offload state as a fresh tls_dev_add() expects it: the driver's went. */
static void ktls_dev_rx_off_reset(struct tls_offload_context_rx *off)
{
	memset(off, 0, KTLS_OFFLOAD_CTX_RX_SIZE);
	off->resync_nh_reset = 1;
}

/**
 * ktls_dev_rx_rejoin() - give RX back to its device, under the new key
 * @sk: the socket, locked by a reader
 * @kctx: its context, ktls_dev_rx_rejoin_note() having found where, and
 *	the record before that point decrypted: had it been a KeyUpdate, RX
 *	would be paused, and the key about to change
 *
 * One attempt: if the device went down or its driver refuses, RX stays in
 * software for good. The records before the hand-over keep the old key
 * for what the old flow marked.
 */
void ktls_dev_rx_rejoin(struct sock *sk, struct ktls_context *kctx)
{
	const struct ktls_cipher_desc *desc;
	struct ktls_rx_sw *rx = &kctx->rx_sw;
	struct ktls_dev_rx_rejoin *rj = &rx->dev_rejoin;
	union tls_crypto_context keys;
	int rc;

	rj->state = KTLS_DEV_REJOIN_NONE;
	ktls_dev_rx_off_reset(tls_offload_ctx_rx(&kctx->base));
	keys = kctx->base.crypto_recv;
	desc = ktls_cipher_desc_get(keys.info.cipher_type);
	put_unaligned_be64(rj->sn, ktls_info_field(&keys.info,
						   desc->rec_seq_offset));
	rc = ktls_dev_attach_key(sk, &kctx->base, TLS_OFFLOAD_CTX_DIR_RX,
				 &keys.info, rj->seq);
	memzero_explicit(&keys, sizeof(keys));
	if (rc)
		return;
	if (rx->dev_old) {
		rx->dev_old->end = rj->seq;
		rx->dev_old->ends = true;
	}
	kctx->base.rx_conf = TLS_HW;
	ktls_stat_conf_move(sock_net(sk), false, TLS_HW);
}

/**
 * ktls_dev_rx_record() - what the NIC did with the complete current record
 * @sk: the socket, locked by a reader
 * @kctx: its context, RX offloaded
 * @rec: the record (rx_sw.cur)
 *
 * Decided once per record; asking again gives the same answer.
 *
 * Return: 1 when the NIC decrypted and authenticated all of it (the
 * plaintext is in place), 0 when it holds ciphertext only (as sent, or
 * made so again here), or an error of the re-encryption (-ENOMEM: try
 * again; the record is unchanged).
 */
int ktls_dev_rx_record(struct sock *sk, struct ktls_context *kctx,
		       struct ktls_rx_rec *rec)
{
	struct tls_offload_context_rx *off = tls_offload_ctx_rx(&kctx->base);
	struct ktls_rx_sw *rx = &kctx->rx_sw;
	u8 seen = rx->dev_seen;
	int rc;

	if (seen & KTLS_RX_DEV_CHECKED)
		return ktls_dev_rx_verdict(kctx, rec);
	if (rx->dev_old && rx->dev_old->ends &&
	    !before(rx->cur_seq, rx->dev_old->end))
		ktls_dev_rx_old_free(rx);
	if (rx->dev_old)
		return ktls_dev_rx_record_old(kctx, rec);
	if (seen == KTLS_RX_DEV_PLAIN) {
		off->resync_nh_reset = 1;
	} else if (seen & KTLS_RX_DEV_PLAIN) {
		off->resync_nh_reset = 1;
		rc = ktls_dev_rx_reencrypt(kctx, rec, NULL);
		if (rc)
			return rc;
		seen = KTLS_RX_DEV_CIPHER;
	} else {
		ktls_dev_rx_nh_failed(sk, &kctx->base);
	}
	rx->dev_seen = seen | KTLS_RX_DEV_CHECKED;
	return ktls_dev_rx_verdict(kctx, rec);
}

/* Give RX of @kctx to @dev: the driver decrypts from copied_seq on. */
static int ktls_dev_rx_attach(struct sock *sk, struct ktls_context *kctx,
			      struct net_device *dev)
{
	struct tls_offload_context_rx *off;
	unsigned long *map;
	int rc = -ENOMEM;

	off = kzalloc(KTLS_OFFLOAD_CTX_RX_SIZE, GFP_KERNEL);
	map = bitmap_zalloc(KTLS_DEV_RX_MAP_BITS, GFP_KERNEL);
	if (!off || !map)
		goto fail;
	/* The next-hint counters start at the first encrypted record. */
	off->resync_nh_reset = 1;
	/* Drivers find it (resync type, driver_state) in tls_dev_add. */
	kctx->base.priv_ctx_rx = off;
	rc = ktls_dev_attach(sk, &kctx->base, dev, TLS_OFFLOAD_CTX_DIR_RX);
	if (rc) {
		kctx->base.priv_ctx_rx = NULL;
		goto fail;
	}
	kctx->rx_sw.dev_map = map;
	ktls_dev_own(sk, &kctx->base);
	return 0;
fail:
	bitmap_free(map);
	kfree(off);
	return rc;
}

/**
 * ktls_dev_rx_start() - offload RX of @sk, if it can be
 * @sk: the socket, locked, RX keys just installed, parser not started
 * @kctx: its context
 *
 * Return: 0 with RX offloaded, or an errno to stay in software (no
 * route, no capable device, a suite it cannot do, the device down or not
 * the one TX uses, its driver refusing, no memory).
 */
int ktls_dev_rx_start(struct sock *sk, struct ktls_context *kctx)
{
	struct net_device *dev;
	int rc;

	dev = ktls_dev_for_offload(sk, false);
	if (!dev)
		return -EOPNOTSUPP;
	rc = ktls_dev_rx_attach(sk, kctx, dev);
	dev_put(dev);
	return rc;
}

/**
 * ktls_dev_rx_old_save() - what RX will need of the device's key
 * @kctx: context, RX offloaded, its RX key about to be replaced
 *
 * Return: the device's key, IV and next record number, or NULL (no memory).
 */
struct ktls_dev_rx_old *ktls_dev_rx_old_save(struct ktls_context *kctx)
{
	struct ktls_dev_rx_old *old = kzalloc(sizeof(*old), GFP_KERNEL);

	if (!old)
		return NULL;
	old->aead = kctx->rx_aead;
	memcpy(old->iv, kctx->base.rx.iv, sizeof(old->iv));
	old->sn = ktls_dev_rx_sn(&kctx->base, 0);
	return old;
}

/*
 * Past anything the flow of the old key can have seen, once the driver
 * forgot it and the receive path ran a grace period: a peer keeping to
 * TCP never sends beyond the right edge of the window we offered, and,
 * as long as windows are not shrunk (tcp_shrink_window, off by default),
 * no edge offered so far lies beyond the larger of the current one and
 * rcv_nxt plus the window clamp.
 */
static u32 ktls_dev_rx_edge(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	/* No window offered is larger than the header can say. */
	u32 most = min_t(u32, tp->window_clamp,
			 U16_MAX << tp->rx_opt.rcv_wscale);
	u32 wnd = tp->rcv_wup + tp->rcv_wnd;
	u32 clamp = tp->rcv_nxt + most;

	return (after(clamp, wnd) ? clamp : wnd) + KTLS_DEV_RX_EDGE_SLACK;
}

/**
 * ktls_dev_rx_leave() - RX of @sk goes on in software (a new key)
 * @sk: the socket, locked
 * @kctx: its context, RX offloaded, the new key installed
 * @old: from ktls_dev_rx_old_save(), now RX's
 *
 * The driver forgets the flow; bytes it decrypted before it did are
 * still noted by the parser and restored with @old. An old key kept from
 * an earlier rekey covered records before this KeyUpdate only: it goes.
 * A device that takes new keys is given RX back at the first record
 * boundary the old flow cannot have reached (ktls_dev_rx_rejoin()).
 */
void ktls_dev_rx_leave(struct sock *sk, struct ktls_context *kctx,
		       struct ktls_dev_rx_old *old)
{
	struct ktls_rx_sw *rx = &kctx->rx_sw;

	ktls_dev_rx_old_free(rx);
	rx->dev_old = old;
	if (ktls_dev_rekey_rx(&kctx->base)) {
		/* A NAPI poll may still run the old flow: let it finish. */
		synchronize_net();
		rx->dev_rejoin.edge = ktls_dev_rx_edge(sk);
		rx->dev_rejoin.state = KTLS_DEV_REJOIN_WAIT;
	}
	kctx->base.rx_conf = TLS_SW;
	ktls_stat_conf_move(sock_net(sk), false, TLS_SW);
}

/*
 * A new RX key while RX waits for its device: a record start noted under
 * the previous key has that key's numbering, and the record before it may
 * be the KeyUpdate. Wait for a header under this key.
 */
void ktls_dev_rx_new_key(struct ktls_context *kctx)
{
	struct ktls_dev_rx_rejoin *rj = &kctx->rx_sw.dev_rejoin;

	if (rj->state == KTLS_DEV_REJOIN_DUE)
		rj->state = KTLS_DEV_REJOIN_WAIT;
}

/**
 * ktls_dev_rx_rejoin_note() - the parser found a header, RX in software
 * @kctx: the context
 * @seq: TCP sequence number of the header's first byte
 * @len: the whole record's length
 *
 * The record after this one starts at a boundary the device may take: if
 * it starts at or past the edge, the next reader hands RX over there.
 */
void ktls_dev_rx_rejoin_note(struct ktls_context *kctx, u32 seq, u32 len)
{
	struct ktls_dev_rx_rejoin *rj = &kctx->rx_sw.dev_rejoin;

	if (rj->state != KTLS_DEV_REJOIN_WAIT || before(seq + len, rj->edge))
		return;
	rj->seq = seq + len;
	rj->sn = ktls_dev_rx_sn(&kctx->base, 1);
	rj->state = KTLS_DEV_REJOIN_DUE;
}

void ktls_dev_rx_old_free(struct ktls_rx_sw *rx)
{
	if (!rx->dev_old)
		return;
	crypto_free_aead(rx->dev_old->aead);
	kfree_sensitive(rx->dev_old);
	rx->dev_old = NULL;
}
