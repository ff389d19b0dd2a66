// SPDX-License-Identifier: GPL-2.0
/*
 * The offload engine of ktls_sim: the tlsdev_ops the tls core calls, the
 * encryption of transmitted segments and the decryption of received ones.
 *
 * TX holds no per-segment state: every segment is encrypted from the
 * record list the core keeps for retransmission (tls_get_record()), so a
 * segment in order, out of order or retransmitted takes the same path.
 * The last record encrypted is kept, as consecutive segments usually
 * belong to the same record. After a KeyUpdate (KTLS_DEV_CAP_REKEY) a
 * socket has several keys, numbered as the core numbers them: a record is
 * sealed with the key ktls_dev_tx_rec_key() names for it. Sequence numbers
 * wrap every 4 GiB, so they never pick or prune a key.
 *
 * RX follows the stream in TCP order, as hardware does: it parses record
 * headers, decrypts each segment's share of a record as it passes (CTR)
 * and checks the tag when the record ends. A segment is marked decrypted
 * only if every record byte in it was handled and every record ending in
 * it authenticated; anything else reaches the stack as it came off the
 * wire, and the core decrypts it in software.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/unaligned.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "crypto.h"
#include "ktls_offload.h"
#include "sim.h"

/*
 * One TX key. A socket starts with one; a KeyUpdate adds one
 * (KTLS_DEV_CAP_REKEY). @no is the core's number for it
 * (ktls_offload.h): 0 for the first tls_dev_add(TX), one more for each
 * one we accept after it -- a refused one the core does not count either.
 */
struct ksim_tx_key {
	struct list_head list;	/* in ksim_tx_ctx.keys, oldest first */
	u32 no;
	struct ksim_key key;
	struct ksim_aead aead;
};

/*
 * TX state of one offloaded socket, hung off the core's driver_state.
 * The keys are used, and taken off the list, under the lock only: a key
 * off the list is nobody's and may be freed.
 */
struct ksim_tx_ctx {
	spinlock_t lock;	/* protects everything below */
	struct list_head keys;	/* struct ksim_tx_key; never empty */
	bool rekey;		/* KeyUpdate declared when the socket came */
	u32 expected_seq;	/* next new byte; anything else is out of order */
	struct ksim_tx_key *cache_key;	/* non-NULL: rec holds the ciphertext */
	u32 cache_start;		/* of this record under this key */
	u32 cache_len;
	u64 cache_sn;
	u8 *rec;
};

enum ksim_rx_state {
	KSIM_RX_SYNCED,		/* decrypting: record boundaries and numbers known */
	KSIM_RX_SEARCH,		/* lost: scanning segments for a header */
	KSIM_RX_TRACK,		/* following a guessed header, waiting for the core */
	KSIM_RX_WAIT,		/* lost (core_nh): the core will name a record start */
	KSIM_RX_HINTED,		/* core_nh: it did, and the stream has not reached it */
};

/*
 * A guess the core never confirms (it had parsed that header before we
 * asked, e.g. we found it in a duplicate) is given up after this many
 * records, for the header at hand.
 */
#define KSIM_RX_TRACK_MAX	16

/* RX state of one offloaded socket: the "flow table entry" of the NIC. */
struct ksim_rx_flow {
	struct list_head list;	/* in ksim_priv.rx_flows, RCU */
	struct sock *sk;	/* valid until tls_dev_del(RX) returns */
	struct net *net;
	u16 family;
	__be16 lport, rport;
	struct in6_addr laddr, raddr;	/* IPv4 in the first word */
	struct ksim_key key;

	spinlock_t lock;	/* protects everything below */
	struct ksim_aead aead;
	struct crypto_sync_skcipher *ctr;
	enum ksim_rx_state state;
	u32 next_seq;		/* next TCP sequence number expected */
	u32 rec_start;		/* TCP sequence number of the current header */
	u32 rec_len;		/* whole record; 0 until its header is complete */
	bool rec_broken;	/* part of the record was lost: no tag check */
	u64 rcd_sn;
	u32 guess_seq;		/* KSIM_RX_TRACK: header we asked the core about */
	u32 guess_records;	/* records completed since that header */
	u8 *rec;		/* the current record's bytes as received */
	enum tls_offload_sync_type mode;	/* how we resync with the core */
	bool async_open;	/* DRIVER_REQ_ASYNC: a request is started... */
	bool async_ended;	/* ...and ended: the core may answer */
	u32 hint_seq;		/* KSIM_RX_HINTED: record start the core named */
	u64 hint_sn;		/* and its number */
	/* DRIVER_REQ_ASYNC: ours, the core logs headers in it until tls_dev_del */
	struct tls_offload_resync_async async;
};

/* The core reserves driver_state in its offload contexts: we keep a pointer. */
static void **ksim_state(struct tls_context *tctx, enum tls_offload_ctx_dir dir)
{
	return __tls_driver_ctx(tctx, dir);
}

/* ------------------------------------------------------------------ TX */

/* Numbered only once on the list: a key we fail to take has no number. */
static struct ksim_tx_key *ksim_tx_key_new(const struct ksim_key *key)
{
	struct ksim_tx_key *k;
	int err;

	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k)
		return ERR_PTR(-ENOMEM);
	k->key = *key;
	err = ksim_aead_init(&k->aead, key, GFP_KERNEL);
	if (err) {
		kfree_sensitive(k);
		return ERR_PTR(err);
	}
	return k;
}

/* kfree_sensitive(): the key material does not outlive the key. */
static void ksim_tx_key_free(struct ksim_tx_key *k)
{
	ksim_aead_free(&k->aead);
	kfree_sensitive(k);
}

static int ksim_tx_add(struct ksim_priv *priv, struct sock *sk,
		       const struct ksim_key *key, u32 start_seq)
{
	struct ksim_tx_ctx *ctx;
	struct ksim_tx_key *k;
	int err;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->rec = kmalloc(KSIM_MAX_RECORD, GFP_KERNEL);
	if (!ctx->rec) {
		err = -ENOMEM;
		goto free_ctx;
	}
	k = ksim_tx_key_new(key);
	if (IS_ERR(k)) {
		err = PTR_ERR(k);
		goto free_rec;
	}
	k->no = 0;
	spin_lock_init(&ctx->lock);
	INIT_LIST_HEAD(&ctx->keys);
	list_add_tail(&k->list, &ctx->keys);
	/* What the core was told then is what it holds us to (ktls_offload.h). */
	ctx->rekey = key->version == TLS_1_3_VERSION &&
		     READ_ONCE(priv->knobs.rekey);
	ctx->expected_seq = start_seq;
	*ksim_state(tls_get_ctx(sk), TLS_OFFLOAD_CTX_DIR_TX) = ctx;
	ksim_stat_inc(priv, KSIM_TX_TLS_CTX);
	return 0;
free_rec:
	kfree(ctx->rec);
free_ctx:
	kfree(ctx);
	return err;
}

/*
 * Forget the keys the core says cover no record the peer lacks: those
 * numbered below ktls_dev_tx_oldest_key(). The list is in number order,
 * so the first key still needed ends the walk; the newest always stays,
 * the list is never empty. Under ctx->lock (then the core's lock, in the
 * transmit path's order); the keys go to @gone, to be freed once it is
 * released.
 */
static void ksim_tx_prune(struct ksim_tx_ctx *ctx,
			  struct tls_offload_context_tx *octx,
			  struct list_head *gone)
{
	struct ksim_tx_key *k, *next;
	unsigned long flags;
	u32 oldest;

	spin_lock_irqsave(&octx->lock, flags);
	oldest = ktls_dev_tx_oldest_key(octx);
	spin_unlock_irqrestore(&octx->lock, flags);
	list_for_each_entry_safe(k, next, &ctx->keys, list) {
		if (k->no >= oldest || list_is_last(&k->list, &ctx->keys))
			break;
		list_move_tail(&k->list, gone);
	}
}

/*
 * Under ctx->lock: take @k as the newest key, numbered one past the
 * newest we have, as the core numbers the key it just gave us. A
 * KeyUpdate keeps the cipher suite: a key of another one is refused, and
 * then has no number, on our side as on the core's.
 */
static bool ksim_tx_key_append(struct ksim_tx_ctx *ctx, struct ksim_tx_key *k)
{
	struct ksim_tx_key *last;

	last = list_last_entry(&ctx->keys, struct ksim_tx_key, list);
	if (k->key.version != last->key.version ||
	    k->key.cipher_type != last->key.cipher_type)
		return false;
	k->no = last->no + 1;
	list_add_tail(&k->list, &ctx->keys);
	return true;
}

/*
 * KeyUpdate (KTLS_DEV_CAP_REKEY, ksim_declared()): tls_dev_add(TX) again,
 * the records the core puts on its list from now on are under @key.
 * Process context, socket locked; segments of the socket may be
 * encrypted meanwhile on any CPU, so the list changes under ctx->lock and
 * keys leaving it are freed after. On failure every key stays: TX goes on
 * in software, and our keys still serve the records they were given.
 */
static int ksim_tx_rekey(struct ksim_priv *priv, struct sock *sk,
			 struct ksim_tx_ctx *ctx, const struct ksim_key *key)
{
	struct ksim_tx_key *k, *tmp;
	LIST_HEAD(gone);
	bool ok;

	k = ksim_tx_key_new(key);
	if (IS_ERR(k))
		return PTR_ERR(k);
	spin_lock_bh(&ctx->lock);
	ok = ksim_tx_key_append(ctx, k);
	if (ok) {
		ksim_tx_prune(ctx, tls_offload_ctx_tx(tls_get_ctx(sk)), &gone);
		/* The cached key may be gone, and its memory reused. */
		ctx->cache_key = NULL;
	}
	spin_unlock_bh(&ctx->lock);
	if (!ok) {
		ksim_tx_key_free(k);
		ksim_stat_inc(priv, KSIM_TLS_ADD_UNSUPPORTED);
		return -EINVAL;
	}
	list_for_each_entry_safe(k, tmp, &gone, list)
		ksim_tx_key_free(k);
	ksim_stat_inc(priv, KSIM_TX_TLS_REKEY);
	return 0;
}

/* A socket's first TX key, or a new one after a KeyUpdate. */
static int ksim_tx_add_key(struct ksim_priv *priv, struct sock *sk,
			   const struct ksim_key *key, u32 start_seq)
{
	struct ksim_tx_ctx *ctx = *ksim_state(tls_get_ctx(sk),
					      TLS_OFFLOAD_CTX_DIR_TX);

	/* The start sequence number only matters to the first key. */
	if (ctx)
		return ksim_tx_rekey(priv, sk, ctx, key);
	return ksim_tx_add(priv, sk, key, start_seq);
}

/*
 * Called at socket destruction (no segment of it can be in flight) or by
 * the core's NETDEV_DOWN handling after it has switched the socket to the
 * software fallback and waited for in-flight transmits (synchronize_net).
 */
static void ksim_tx_del(struct ksim_priv *priv, struct tls_context *tctx)
{
	void **state = ksim_state(tctx, TLS_OFFLOAD_CTX_DIR_TX);
	struct ksim_tx_ctx *ctx = *state;
	struct ksim_tx_key *k, *tmp;

	*state = NULL;
	if (!ctx)
		return;
	list_for_each_entry_safe(k, tmp, &ctx->keys, list)
		ksim_tx_key_free(k);
	kfree_sensitive(ctx->rec);
	kfree_sensitive(ctx);
	ksim_stat_inc(priv, KSIM_TX_TLS_DEL);
}

/* Copy a record's bytes out of the core's pages (under its lock). */
static void ksim_copy_record(u8 *dst, const struct tls_record_info *rec)
{
	int i;

	for (i = 0; i < rec->num_frags; i++) {
		const skb_frag_t *frag = &rec->frags[i];
		unsigned int off = skb_frag_off(frag);
		unsigned int left = skb_frag_size(frag);

		while (left) {
			struct page *page = skb_frag_page(frag) + off / PAGE_SIZE;
			unsigned int poff = off % PAGE_SIZE;
			unsigned int n = min_t(unsigned int, left, PAGE_SIZE - poff);

			memcpy_from_page(dst, page, poff, n);
			dst += n;
			off += n;
			left -= n;
		}
	}
}

/*
 * The kept key numbered @no. Newest first: most segments are new data.
 * NULL: we forgot it, the peer has every record under it.
 */
static struct ksim_tx_key *ksim_tx_key_no(struct ksim_tx_ctx *ctx, u32 no)
{
	struct ksim_tx_key *k;

	list_for_each_entry_reverse(k, &ctx->keys, list)
		if (k->no == no)
			return k;
	return NULL;
}

/* One record of the stream as tls_get_record() describes it. */
struct ksim_tx_rec {
	u32 start;
	u32 len;
	u64 sn;			/* its number under its key */
	struct ksim_tx_key *key;
};

/* What ksim_tx_fetch() found. */
enum ksim_tx_found {
	KSIM_TX_CIPHER,		/* ctx->rec holds the record's ciphertext */
	KSIM_TX_PLAIN,		/* not TLS data: sent as it is */
	KSIM_TX_COPIED,		/* ctx->rec holds its plaintext */
};

static bool ksim_tx_cached(const struct ksim_tx_ctx *ctx,
			   const struct ksim_tx_rec *r)
{
	return ctx->cache_key == r->key && ctx->cache_start == r->start &&
	       ctx->cache_len == r->len && ctx->cache_sn == r->sn;
}

/*
 * Find the record holding @seq and its key, and copy its bytes unless
 * they are cached. Under the core's lock, which keeps its pages. Data
 * before the start of offload is not TLS: *r then spans it, up to the
 * first record.
 */
static int ksim_tx_fetch(struct ksim_priv *priv, struct ksim_tx_ctx *ctx,
			 struct tls_offload_context_tx *octx, u32 seq,
			 struct ksim_tx_rec *r)
{
	struct tls_record_info *rec;

	rec = tls_get_record(octx, seq, &r->sn);
	if (!rec)
		goto no_sync;
	if (tls_record_is_start_marker(rec)) {
		r->start = seq;
		r->len = rec->end_seq - seq;
		ksim_stat_inc(priv, KSIM_TX_TLS_SKIP_NO_SYNC_DATA);
		return KSIM_TX_PLAIN;
	}
	r->start = tls_record_start_seq(rec);
	r->len = rec->len;
	/* Asked under the lock tls_get_record() ran under: @rec is valid. */
	r->key = ksim_tx_key_no(ctx, ktls_dev_tx_rec_key(octx, rec));
	/* A key is forgotten once the peer has all of it: acked data. */
	if (!r->key)
		goto no_sync;
	if (ksim_tx_cached(ctx, r))
		return KSIM_TX_CIPHER;
	if (rec->len > KSIM_MAX_RECORD) {
		ksim_stat_inc(priv, KSIM_TX_TLS_DROP_ERR);
		return -EMSGSIZE;
	}
	ksim_copy_record(ctx->rec, rec);
	return KSIM_TX_COPIED;
no_sync:
	ksim_stat_inc(priv, KSIM_TX_TLS_DROP_NO_SYNC_DATA);
	return -ENOENT;
}

/*
 * Describe in *@r the record containing @seq and make ctx->rec hold its
 * ciphertext (KSIM_TX_CIPHER), or say it is not TLS data (KSIM_TX_PLAIN).
 * Under ctx->lock.
 */
static int ksim_tx_record(struct ksim_priv *priv, struct ksim_tx_ctx *ctx,
			  struct tls_context *tctx, u32 seq,
			  struct ksim_tx_rec *r)
{
	struct tls_offload_context_tx *octx = tls_offload_ctx_tx(tctx);
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&octx->lock, flags);
	ret = ksim_tx_fetch(priv, ctx, octx, seq, r);
	spin_unlock_irqrestore(&octx->lock, flags);
	if (ret != KSIM_TX_COPIED)
		return ret;

	ctx->cache_key = NULL;
	ret = ksim_seal_record(&r->key->aead, &r->key->key, ctx->rec, r->len,
			       r->sn);
	if (ret) {
		ksim_stat_inc(priv, KSIM_TX_TLS_DROP_ERR);
		return ret;
	}
	ctx->cache_key = r->key;
	ctx->cache_start = r->start;
	ctx->cache_len = r->len;
	ctx->cache_sn = r->sn;
	return KSIM_TX_CIPHER;
}

/*
 * Replace the plaintext payload @buf (TCP sequence @seq) by ciphertext,
 * record by record, each with its own key. Under ctx->lock.
 */
static int ksim_tx_encrypt(struct ksim_priv *priv, struct ksim_tx_ctx *ctx,
			   struct tls_context *tctx, u32 seq, u8 *buf, u32 len)
{
	u32 pos = seq, end = seq + len;

	while (before(pos, end)) {
		struct ksim_tx_rec r;
		u32 to;
		int ret;

		ret = ksim_tx_record(priv, ctx, tctx, pos, &r);
		if (ret < 0)
			return ret;
		to = before(r.start + r.len, end) ? r.start + r.len : end;
		if (ret == KSIM_TX_CIPHER)
			memcpy(buf + (pos - seq), ctx->rec + (pos - r.start),
			       to - pos);
		pos = to;
	}
	return 0;
}

/*
 * Transmit side of the NIC: returns the segment to put on the wire (a new
 * one when the payload had to be encrypted) or NULL when it was dropped.
 * The core's pages are never written: they still hold the plaintext it
 * needs for retransmissions.
 */
struct sk_buff *ksim_tls_tx(struct ksim_priv *priv, struct sk_buff *skb)
{
	struct tls_context *tctx;
	struct ksim_tx_ctx *ctx;
	struct sk_buff *nskb;
	u32 hdrlen, len, seq;
	int err;

	if (!tls_is_skb_tx_device_offloaded(skb))
		return skb;
	tctx = tls_get_ctx(skb->sk);
	if (READ_ONCE(priv->knobs.trust_hook)) {
		struct net_device *owner = rcu_access_pointer(tctx->netdev);

		/*
		 * As mlx5: the hook says the segment is ours unless it names
		 * another device (a NULL netdev is taken as a race with the
		 * device going down). A socket whose context tls_dev_del
		 * released must not come here any more (the core switched
		 * its hook): count it.
		 */
		if (owner && owner != priv->dev)
			return skb;
		if (!*ksim_state(tctx, TLS_OFFLOAD_CTX_DIR_TX)) {
			ksim_stat_inc(priv, KSIM_TX_TLS_AFTER_DEL);
			kfree_skb(skb);
			return NULL;
		}
	} else if (!skb->decrypted ||
		   rcu_access_pointer(tctx->netdev) != priv->dev) {
		/* Another device's socket: the core encrypted it in software. */
		return skb;
	}
	if (READ_ONCE(priv->knobs.tx_fallback)) {
		ksim_stat_inc(priv, KSIM_TX_TLS_FALLBACK);
		return tls_encrypt_skb(skb);
	}
	ctx = *ksim_state(tctx, TLS_OFFLOAD_CTX_DIR_TX);
	hdrlen = skb_tcp_all_headers(skb);
	len = skb->len - hdrlen;
	if (!ctx || !len)
		return skb;
	seq = ntohl(tcp_hdr(skb)->seq);

	nskb = skb_copy(skb, GFP_ATOMIC);
	if (!nskb) {
		ksim_stat_inc(priv, KSIM_TX_TLS_DROP_ERR);
		kfree_skb(skb);
		return NULL;
	}
	spin_lock(&ctx->lock);
	if (seq != ctx->expected_seq)
		ksim_stat_inc(priv, KSIM_TX_TLS_OOO);
	/*
	 * A retransmission: read the record again from the core's list, as
	 * a NIC rebuilding its state for it does. With TLS_TX_ZEROCOPY_RO
	 * the list names the sender's page cache, which may have changed.
	 */
	if (before(seq, ctx->expected_seq))
		ctx->cache_key = NULL;
	err = ksim_tx_encrypt(priv, ctx, tctx, seq, nskb->data + hdrlen, len);
	if (!err && after(seq + len, ctx->expected_seq))
		ctx->expected_seq = seq + len;
	spin_unlock(&ctx->lock);
	consume_skb(skb);
	if (err) {
		kfree_skb(nskb);
		return NULL;
	}
	/* What leaves the NIC is ciphertext. */
	nskb->decrypted = 0;
	ksim_stat_inc(priv, KSIM_TX_TLS_ENCRYPTED_PACKETS);
	ksim_stat_add(priv, KSIM_TX_TLS_ENCRYPTED_BYTES, len);
	return nskb;
}

/* ------------------------------------------------------------------ RX */

/*
 * The resync mode is the device's choice (knob rx_resync, as a driver's
 * capability would be), told to the core before the first segment. In
 * DRIVER_REQ_ASYNC the core keeps its log in memory the driver provides.
 */
static int ksim_rx_mode(struct ksim_priv *priv, struct sock *sk,
			struct ksim_rx_flow *f)
{
	u32 mode = READ_ONCE(priv->knobs.rx_resync);

	switch (mode) {
	case TLS_OFFLOAD_SYNC_TYPE_DRIVER_REQ:
	case TLS_OFFLOAD_SYNC_TYPE_CORE_NEXT_HINT:
		break;
	case TLS_OFFLOAD_SYNC_TYPE_DRIVER_REQ_ASYNC:
		tls_offload_ctx_rx(tls_get_ctx(sk))->resync_async = &f->async;
		break;
	default:
		return -EINVAL;
	}
	f->mode = mode;
	tls_offload_rx_resync_set_type(sk, mode);
	return 0;
}

static int ksim_rx_add(struct ksim_priv *priv, struct sock *sk,
		       const struct ksim_key *key, u32 start_seq)
{
	struct ksim_rx_flow *f;
	int err;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->rec = kmalloc(KSIM_MAX_RECORD, GFP_KERNEL);
	if (!f->rec) {
		err = -ENOMEM;
		goto free_flow;
	}
	f->key = *key;
	err = ksim_aead_init(&f->aead, key, GFP_KERNEL);
	if (err)
		goto free_rec;
	f->ctr = ksim_ctr_alloc(key);
	if (IS_ERR(f->ctr)) {
		err = PTR_ERR(f->ctr);
		goto free_aead;
	}
	err = ksim_rx_mode(priv, sk, f);
	if (err)
		goto free_ctr;
	spin_lock_init(&f->lock);
	f->sk = sk;
	f->net = sock_net(sk);
	f->family = sk->sk_family;
	f->lport = inet_sk(sk)->inet_sport;
	f->rport = inet_sk(sk)->inet_dport;
	if (f->family == AF_INET) {
		f->laddr.s6_addr32[0] = inet_sk(sk)->inet_saddr;
		f->raddr.s6_addr32[0] = inet_sk(sk)->inet_daddr;
	} else {
#if IS_ENABLED(CONFIG_IPV6)
		f->laddr = sk->sk_v6_rcv_saddr;
		f->raddr = sk->sk_v6_daddr;
#endif
	}
	/* The core hands over at copied_seq, on a record boundary. */
	f->state = KSIM_RX_SYNCED;
	f->next_seq = start_seq;
	f->rec_start = start_seq;
	f->rcd_sn = key->rec_seq;

	*ksim_state(tls_get_ctx(sk), TLS_OFFLOAD_CTX_DIR_RX) = f;
	spin_lock_bh(&priv->flows_lock);
	list_add_tail_rcu(&f->list, &priv->rx_flows);
	spin_unlock_bh(&priv->flows_lock);
	ksim_stat_inc(priv, KSIM_RX_TLS_CTX);
	return 0;
free_ctr:
	crypto_free_sync_skcipher(f->ctr);
free_aead:
	ksim_aead_free(&f->aead);
free_rec:
	kfree(f->rec);
free_flow:
	kfree(f);
	return err;
}

/*
 * After tls_dev_del(RX) the core may free the socket's offload context:
 * wait until no NAPI poll can still be using the flow (it calls the
 * core's resync helpers on f->sk) before freeing it.
 */
static void ksim_rx_del(struct ksim_priv *priv, struct tls_context *tctx)
{
	void **state = ksim_state(tctx, TLS_OFFLOAD_CTX_DIR_RX);
	struct ksim_rx_flow *f = *state;

	*state = NULL;
	if (!f)
		return;
	spin_lock_bh(&priv->flows_lock);
	list_del_rcu(&f->list);
	spin_unlock_bh(&priv->flows_lock);
	synchronize_net();

	crypto_free_sync_skcipher(f->ctr);
	ksim_aead_free(&f->aead);
	kfree_sensitive(f->rec);
	kfree_sensitive(f);
	ksim_stat_inc(priv, KSIM_RX_TLS_DEL);
}

/* Addresses and payload of a received TCP segment (offsets from data). */
struct ksim_seg {
	u16 family;
	__be16 sport, dport;
	struct in6_addr saddr, daddr;
	u32 seq;
	u32 off;
	u32 len;
};

static bool ksim_parse_v4(struct sk_buff *skb, struct ksim_seg *s, u32 *thoff,
			  u32 *tot)
{
	const struct iphdr *iph;

	if (!pskb_may_pull(skb, sizeof(*iph)))
		return false;
	iph = (const struct iphdr *)skb->data;
	if (iph->protocol != IPPROTO_TCP || ip_is_fragment(iph))
		return false;
	s->family = AF_INET;
	s->saddr.s6_addr32[0] = iph->saddr;
	s->daddr.s6_addr32[0] = iph->daddr;
	*thoff = iph->ihl * 4;
	*tot = ntohs(iph->tot_len);
	return true;
}

static bool ksim_parse_v6(struct sk_buff *skb, struct ksim_seg *s, u32 *thoff,
			  u32 *tot)
{
	const struct ipv6hdr *ip6;

	if (!pskb_may_pull(skb, sizeof(*ip6)))
		return false;
	ip6 = (const struct ipv6hdr *)skb->data;
	if (ip6->nexthdr != IPPROTO_TCP)
		return false;
	s->family = AF_INET6;
	s->saddr = ip6->saddr;
	s->daddr = ip6->daddr;
	*thoff = sizeof(*ip6);
	*tot = sizeof(*ip6) + ntohs(ip6->payload_len);
	return true;
}

/* Called with skb->data at the network header (after eth_type_trans). */
static bool ksim_parse_seg(struct sk_buff *skb, struct ksim_seg *s)
{
	const struct tcphdr *th;
	u32 thoff, tot;
	bool ok;

	memset(s, 0, sizeof(*s));
	if (skb->protocol == htons(ETH_P_IP))
		ok = ksim_parse_v4(skb, s, &thoff, &tot);
	else if (skb->protocol == htons(ETH_P_IPV6))
		ok = ksim_parse_v6(skb, s, &thoff, &tot);
	else
		ok = false;
	if (!ok || !pskb_may_pull(skb, thoff + sizeof(*th)))
		return false;
	th = (const struct tcphdr *)(skb->data + thoff);
	if (!pskb_may_pull(skb, thoff + th->doff * 4))
		return false;
	th = (const struct tcphdr *)(skb->data + thoff);
	s->sport = th->source;
	s->dport = th->dest;
	s->seq = ntohl(th->seq);
	s->off = thoff + th->doff * 4;
	if (tot > skb->len || tot < s->off)
		return false;
	s->len = tot - s->off;
	return true;
}

static struct ksim_rx_flow *ksim_flow_find(struct ksim_priv *priv,
					   const struct ksim_seg *s)
{
	struct net *net = dev_net(priv->dev);
	struct ksim_rx_flow *f;

	list_for_each_entry_rcu(f, &priv->rx_flows, list) {
		if (f->net == net && f->family == s->family &&
		    f->lport == s->dport && f->rport == s->sport &&
		    ipv6_addr_equal(&f->laddr, &s->daddr) &&
		    ipv6_addr_equal(&f->raddr, &s->saddr))
			return f;
	}
	return NULL;
}

/*
 * Does @h look like the header of a record of the flow's version we could
 * process? TLS 1.3 records say version 1.2 on the wire too.
 */
static bool ksim_header_ok(const struct ksim_rx_flow *f, const u8 *h)
{
	u16 len = get_unaligned_be16(h + 3);

	return ksim_outer_type_ok(&f->key, h[0]) &&
	       h[1] == TLS_1_2_VERSION_MAJOR && h[2] == TLS_1_2_VERSION_MINOR &&
	       len >= ksim_prepend_size(&f->key) - TLS_HEADER_SIZE + KSIM_TAG_SIZE &&
	       len <= ksim_max_record(&f->key) - TLS_HEADER_SIZE;
}

/* An async request we no longer stand by is withdrawn: the core stops logging. */
static void ksim_rx_async_drop(struct ksim_priv *priv, struct ksim_rx_flow *f)
{
	if (!f->async_open)
		return;
	tls_offload_rx_resync_async_request_cancel(&f->async);
	f->async_open = false;
	ksim_stat_inc(priv, KSIM_RX_TLS_RESYNC_REQ_SKIP);
}

/* Record boundaries lost: search (driver_req, async) or wait for the core. */
static void ksim_rx_lose(struct ksim_priv *priv, struct ksim_rx_flow *f)
{
	ksim_rx_async_drop(priv, f);
	if (f->mode == TLS_OFFLOAD_SYNC_TYPE_CORE_NEXT_HINT)
		f->state = KSIM_RX_WAIT;
	else
		f->state = KSIM_RX_SEARCH;
	f->rec_len = 0;
}

/*
 * Ask the core whether a record starts at @hseq. DRIVER_REQ names header
 * + 4, and the core answers when it parses that header. DRIVER_REQ_ASYNC
 * first has the core log the headers it parses in [hseq, hseq + span]
 * (they may be parsed before we are sure), and names hseq when the next
 * header has confirmed it (ksim_rx_tracked_header).
 */
static void ksim_rx_ask(struct ksim_priv *priv, struct ksim_rx_flow *f,
			u32 hseq, u32 span)
{
	f->guess_seq = hseq;
	f->guess_records = 0;
	if (f->mode == TLS_OFFLOAD_SYNC_TYPE_DRIVER_REQ_ASYNC) {
		ksim_rx_async_drop(priv, f);
		ktls_resync_async_start(&f->async, f->sk, htonl(hseq),
					min_t(u32, span, U16_MAX));
		f->async_open = true;
		f->async_ended = false;
		ksim_stat_inc(priv, KSIM_RX_TLS_RESYNC_REQ_START);
	} else {
		tls_offload_rx_resync_request(f->sk,
					      htonl(hseq + TLS_HEADER_SIZE - 1));
	}
	ksim_stat_inc(priv, KSIM_RX_TLS_RESYNC_REQ_PKT);
}

/* TRACK: the chain of records from the guess led to another header. */
static void ksim_rx_tracked_header(struct ksim_priv *priv,
				   struct ksim_rx_flow *f)
{
	if (!f->guess_records)
		return;
	if (f->async_open && !f->async_ended) {
		ktls_resync_async_end(&f->async, f->sk, htonl(f->guess_seq));
		f->async_ended = true;
		ksim_stat_inc(priv, KSIM_RX_TLS_RESYNC_REQ_END);
	} else if (f->guess_records >= KSIM_RX_TRACK_MAX) {
		ksim_rx_ask(priv, f, f->rec_start, 0);
	}
}

/* The current record is complete: check its tag, move to the next one. */
static void ksim_rx_record_end(struct ksim_priv *priv, struct ksim_rx_flow *f,
			       bool *ok)
{
	if (f->state == KSIM_RX_TRACK) {
		f->guess_records++;
	} else if (!f->rec_broken &&
		   ksim_open_record(&f->aead, &f->key, f->rec, f->rec_len,
				    f->rcd_sn)) {
		ksim_stat_inc(priv, KSIM_RX_TLS_AUTH_FAIL);
		*ok = false;
	}
	f->rcd_sn++;
	f->rec_start += f->rec_len;
	f->rec_len = 0;
	f->rec_broken = false;
}

/*
 * Decrypt, in the segment's copy @p, the payload bytes of [pos, pos + n)
 * (TLS 1.3: inner content type and padding too; the core finds them).
 * The explicit nonce of TLS 1.2 is in f->rec by now: it precedes them.
 */
static bool ksim_rx_decrypt(struct ksim_rx_flow *f, u8 *p, u32 pos, u32 n)
{
	u32 prepend = ksim_prepend_size(&f->key);
	u32 ds = max(pos, prepend);
	u32 de = min(pos + n, f->rec_len - KSIM_TAG_SIZE);
	u8 nonce[KSIM_NONCE_SIZE];

	if (ds >= de)
		return true;
	ksim_record_nonce(&f->key, f->rec, f->rcd_sn, nonce);
	return !ksim_ctr_decrypt(f->ctr, nonce, ds - prepend, p + (ds - pos),
				 de - ds);
}

/* Consume up to @n bytes of the current record; returns how many. */
static u32 ksim_rx_record_bytes(struct ksim_priv *priv, struct ksim_rx_flow *f,
				u8 *p, u32 n, bool *ok)
{
	u32 pos = f->next_seq - f->rec_start;
	u32 take;

	if (!f->rec_len) {
		take = min(n, TLS_HEADER_SIZE - pos);
		memcpy(f->rec + pos, p, take);
		f->next_seq += take;
		if (pos + take < TLS_HEADER_SIZE)
			return take;
		if (!ksim_header_ok(f, f->rec)) {
			if (f->state == KSIM_RX_SYNCED)
				ksim_stat_inc(priv, KSIM_RX_TLS_ERR);
			ksim_rx_lose(priv, f);
			*ok = false;
			return take;
		}
		f->rec_len = TLS_HEADER_SIZE + get_unaligned_be16(f->rec + 3);
		if (f->state == KSIM_RX_TRACK)
			ksim_rx_tracked_header(priv, f);
		return take;
	}
	take = min(n, f->rec_len - pos);
	/* Bytes are kept while tracking too: a confirmed guess can then
	 * authenticate the record it started in.
	 */
	if (!f->rec_broken)
		memcpy(f->rec + pos, p, take);
	if (f->state != KSIM_RX_SYNCED || f->rec_broken)
		*ok = false;
	else if (*ok && !ksim_rx_decrypt(f, p, pos, take))
		*ok = false;
	f->next_seq += take;
	if (pos + take == f->rec_len)
		ksim_rx_record_end(priv, f, ok);
	return take;
}

/*
 * Lost: look for something shaped like a header that lies wholly in this
 * segment, and ask the core whether a record starts there. Until it
 * answers (tls_dev_resync), follow the records from there and count them.
 * The async log covers the rest of the segment, as mlx5 has it cover the
 * packet the hardware flagged.
 */
static u32 ksim_rx_search(struct ksim_priv *priv, struct ksim_rx_flow *f,
			  u32 seq, const u8 *p, u32 n)
{
	u32 i;

	for (i = 0; i + TLS_HEADER_SIZE <= n; i++) {
		if (!ksim_header_ok(f, p + i))
			continue;
		f->state = KSIM_RX_TRACK;
		f->rec_start = seq + i;
		f->rec_len = 0;
		f->rec_broken = false;
		f->next_seq = seq + i;
		ksim_rx_ask(priv, f, seq + i, n - i);
		return i;
	}
	return n;
}

/*
 * A segment that does not start where the stream stands. If the gap ends
 * inside the current record, whose length is known, the boundary of the
 * next record is not lost: skip to it, giving up on this record only
 * (also while tracking a guess, whose records are counted).
 */
static bool ksim_rx_gap(struct ksim_priv *priv, struct ksim_rx_flow *f,
			u32 seq)
{
	bool ok = true;

	if ((f->state != KSIM_RX_SYNCED && f->state != KSIM_RX_TRACK) ||
	    !f->rec_len || after(seq, f->rec_start + f->rec_len))
		return false;
	f->next_seq = seq;
	f->rec_broken = true;
	if (seq == f->rec_start + f->rec_len)
		ksim_rx_record_end(priv, f, &ok);
	return true;
}

/*
 * core_nh: the core named a record start. Resume there when the segment
 * holding it comes; a later segment coming first means it was lost, and
 * the core will name another one.
 */
static void ksim_rx_at_hint(struct ksim_priv *priv, struct ksim_rx_flow *f,
			    u32 seq, u32 len)
{
	if (!after(seq + len, f->hint_seq))
		return;
	if (after(seq, f->hint_seq)) {
		f->state = KSIM_RX_WAIT;
		ksim_stat_inc(priv, KSIM_RX_TLS_RESYNC_RES_SKIP);
		return;
	}
	f->state = KSIM_RX_SYNCED;
	f->next_seq = f->hint_seq;
	f->rec_start = f->hint_seq;
	f->rec_len = 0;
	f->rec_broken = false;
	f->rcd_sn = f->hint_sn;
	ksim_stat_inc(priv, KSIM_RX_TLS_RESYNC_RES_OK);
}

/* Walk the payload @p of a segment through the flow; *ok: may be marked. */
static void ksim_rx_walk(struct ksim_priv *priv, struct ksim_rx_flow *f,
			 u32 seq, u8 *p, u32 len, bool *ok)
{
	u32 off = 0;

	*ok = true;
	if (f->state == KSIM_RX_HINTED)
		ksim_rx_at_hint(priv, f, seq, len);
	if (f->state == KSIM_RX_WAIT || f->state == KSIM_RX_HINTED) {
		*ok = false;
		goto out;
	}
	if (f->state != KSIM_RX_SEARCH) {
		if (!after(seq + len, f->next_seq)) {
			/* A retransmission of what already passed. */
			*ok = false;
			return;
		}
		if (before(seq, f->next_seq)) {
			off = f->next_seq - seq;
			*ok = false;
		} else if (after(seq, f->next_seq) && !ksim_rx_gap(priv, f, seq)) {
			ksim_rx_lose(priv, f);
		}
	}
	while (off < len) {
		if (f->state == KSIM_RX_WAIT) {
			*ok = false;
			break;
		}
		if (f->state == KSIM_RX_SEARCH) {
			*ok = false;
			off += ksim_rx_search(priv, f, seq + off, p + off, len - off);
			continue;
		}
		off += ksim_rx_record_bytes(priv, f, p + off, len - off, ok);
	}
out:
	/* The furthest byte seen: a core_nh hint before it comes too late. */
	if (after(seq + len, f->next_seq))
		f->next_seq = seq + len;
}

/* Receive side of the NIC, from the NAPI poll, before GRO. */
void ksim_tls_rx(struct ksim_priv *priv, struct sk_buff *skb)
{
	struct ksim_rx_flow *f;
	struct ksim_seg s;
	bool ok = false;
	u8 *p;

	if (list_empty(&priv->rx_flows) ||
	    !(priv->dev->features & NETIF_F_HW_TLS_RX) ||
	    !ksim_parse_seg(skb, &s) || !s.len)
		return;
	rcu_read_lock();
	f = ksim_flow_find(priv, &s);
	if (!f)
		goto out;
	p = kmalloc(s.len, GFP_ATOMIC);
	if (!p || skb_copy_bits(skb, s.off, p, s.len)) {
		ksim_stat_inc(priv, KSIM_RX_TLS_ERR);
		goto free;
	}
	spin_lock(&f->lock);
	ksim_rx_walk(priv, f, s.seq, p, s.len, &ok);
	spin_unlock(&f->lock);

	if (ok && ksim_every(atomic_inc_return(&priv->rx_seen),
			     READ_ONCE(priv->knobs.rx_skip_every))) {
		ksim_stat_inc(priv, KSIM_RX_TLS_SKIPPED);
		ok = false;
	}
	if (!ok)
		goto free;
	/* The segment may share pages with its sender: write a private copy. */
	if (skb_ensure_writable(skb, skb->len) ||
	    skb_store_bits(skb, s.off, p, s.len)) {
		ksim_stat_inc(priv, KSIM_RX_TLS_ERR);
		goto free;
	}
	skb->decrypted = 1;
	ksim_stat_inc(priv, KSIM_RX_TLS_DECRYPTED_PACKETS);
	ksim_stat_add(priv, KSIM_RX_TLS_DECRYPTED_BYTES, s.len);
free:
	kfree(p);
out:
	rcu_read_unlock();
}

/*
 * The core confirms the header we asked about. A DRIVER_REQ answer
 * carries the sequence number we asked with (header + 4), an async one
 * the header's; rcd_sn is that record's number.
 */
static void ksim_rx_answer(struct ksim_priv *priv, struct ksim_rx_flow *f,
			   u32 seq, u64 sn)
{
	if (f->mode == TLS_OFFLOAD_SYNC_TYPE_DRIVER_REQ)
		seq -= TLS_HEADER_SIZE - 1;
	if (f->state != KSIM_RX_TRACK || seq != f->guess_seq) {
		ksim_stat_inc(priv, KSIM_RX_TLS_RESYNC_RES_SKIP);
		return;
	}
	f->rcd_sn = sn + f->guess_records;
	f->state = KSIM_RX_SYNCED;
	f->async_open = false;
	ksim_stat_inc(priv, KSIM_RX_TLS_RESYNC_RES_OK);
}

/*
 * core_nh: after records reached it undecrypted, the core names where a
 * record starts (normally one that has not reached us yet) and its
 * number. One we have passed is of no use: its bytes are gone.
 */
static void ksim_rx_hint(struct ksim_priv *priv, struct ksim_rx_flow *f,
			 u32 seq, u64 sn)
{
	if ((f->state != KSIM_RX_WAIT && f->state != KSIM_RX_HINTED) ||
	    before(seq, f->next_seq)) {
		ksim_stat_inc(priv, KSIM_RX_TLS_RESYNC_RES_SKIP);
		return;
	}
	f->state = KSIM_RX_HINTED;
	f->hint_seq = seq;
	f->hint_sn = sn;
}

/*
 * From the core's receive path: softirq, or process context under
 * rcu_read_lock(). The flow stays until tls_dev_del(RX) has waited for
 * such callers (synchronize_net in ksim_rx_del).
 */
static void ksim_rx_resync(struct ksim_priv *priv, struct sock *sk, u32 seq,
			   const u8 *rcd_sn)
{
	struct ksim_rx_flow *f;
	u64 sn = get_unaligned_be64(rcd_sn);

	f = *ksim_state(tls_get_ctx(sk), TLS_OFFLOAD_CTX_DIR_RX);
	if (!f)
		return;
	spin_lock_bh(&f->lock);
	if (f->mode == TLS_OFFLOAD_SYNC_TYPE_CORE_NEXT_HINT)
		ksim_rx_hint(priv, f, seq, sn);
	else
		ksim_rx_answer(priv, f, seq, sn);
	spin_unlock_bh(&f->lock);
}

/* ---------------------------------------------------------- tlsdev_ops */

/*
 * TLS 1.2 is every driver's; TLS 1.3 is ours only while we have declared
 * it (ktls_offload.h). A TX key for a socket we encrypt for is a KeyUpdate:
 * ours if we declared it when the socket came (the core holds us to what
 * it was told then) or have since. A core that offers what we did not
 * declare is refused: it may not keep the contract we were promised.
 */
static bool ksim_declared(struct ksim_priv *priv, struct sock *sk,
			  enum tls_offload_ctx_dir dir, u16 version)
{
	struct ksim_knobs *k = &priv->knobs;
	struct ksim_tx_ctx *ctx = NULL;

	if (dir == TLS_OFFLOAD_CTX_DIR_TX)
		ctx = *ksim_state(tls_get_ctx(sk), dir);
	if (ctx)
		return version == TLS_1_3_VERSION &&
		       (ctx->rekey ||
			(READ_ONCE(k->tls13) && READ_ONCE(k->rekey)));
	return version == TLS_1_2_VERSION ||
	       (version == TLS_1_3_VERSION && READ_ONCE(k->tls13));
}

/*
 * Declare to the core what knobs tls13 and rekey say (KeyUpdate only with
 * TLS 1.3), or take it back. We take what we are about to declare before
 * the core may offer it, and still take what it offered before it heard
 * it was taken back, so a core keeping to the declaration is never
 * refused; if the core refuses the change, the old declaration and knobs
 * stand. RTNL held: the device stays registered, writers are serialized.
 */
int ksim_caps_set(struct ksim_priv *priv, bool tls13, bool rekey)
{
	struct ksim_knobs *k = &priv->knobs;
	bool old13 = k->tls13, old_rekey = k->rekey;
	u32 caps = 0;
	int err;

	ASSERT_RTNL();
	WRITE_ONCE(k->tls13, tls13 || old13);
	WRITE_ONCE(k->rekey, rekey || old_rekey);
	if (tls13)
		caps = KTLS_DEV_CAP_TLS13 | (rekey ? KTLS_DEV_CAP_REKEY : 0);
	err = ktls_dev_caps_set(priv->dev, caps);
	WRITE_ONCE(k->tls13, err ? old13 : tls13);
	WRITE_ONCE(k->rekey, err ? old_rekey : rekey);
	return err;
}

static int ksim_tls_dev_add(struct net_device *dev, struct sock *sk,
			    enum tls_offload_ctx_dir dir,
			    struct tls_crypto_info *info, u32 start_seq)
{
	struct ksim_priv *priv = ksim_priv_of(dev);
	struct ksim_key key;
	int err;

	if (READ_ONCE(priv->knobs.refuse_add)) {
		ksim_stat_inc(priv, KSIM_TLS_ADD_REFUSED);
		return -EOPNOTSUPP;
	}
	/* Before any key material is copied: nothing to wipe if refused. */
	if (!ksim_declared(priv, sk, dir, info->version))
		err = -EOPNOTSUPP;
	else
		err = ksim_key_from_info(info, &key);
	if (err) {
		ksim_stat_inc(priv, KSIM_TLS_ADD_UNSUPPORTED);
		return err;
	}
	if (dir == TLS_OFFLOAD_CTX_DIR_TX)
		err = ksim_tx_add_key(priv, sk, &key, start_seq);
	else
		err = ksim_rx_add(priv, sk, &key, start_seq);
	memzero_explicit(&key, sizeof(key));
	return err;
}

static void ksim_tls_dev_del(struct net_device *dev, struct tls_context *tctx,
			     enum tls_offload_ctx_dir dir)
{
	struct ksim_priv *priv = ksim_priv_of(dev);

	if (dir == TLS_OFFLOAD_CTX_DIR_TX)
		ksim_tx_del(priv, tctx);
	else
		ksim_rx_del(priv, tctx);
}

/*
 * TX needs no resync: segments are encrypted from the record list, never
 * from state carried over from earlier segments.
 */
static int ksim_tls_dev_resync(struct net_device *dev, struct sock *sk,
			       u32 seq, u8 *rcd_sn, enum tls_offload_ctx_dir dir)
{
	if (dir == TLS_OFFLOAD_CTX_DIR_RX)
		ksim_rx_resync(ksim_priv_of(dev), sk, seq, rcd_sn);
	return 0;
}

const struct tlsdev_ops ksim_tlsdev_ops = {
	.tls_dev_add = ksim_tls_dev_add,
	.tls_dev_del = ksim_tls_dev_del,
	.tls_dev_resync = ksim_tls_dev_resync,
};
