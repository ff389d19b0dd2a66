// SPDX-License-Identifier: GPL-2.0
/*
 * Software fallback of TX offload. A segment of an offloaded socket
 * carries plaintext records for the device holding the key. If it leaves
 * through another device (a reroute, or the device went down and
 * detached), or a driver cannot encrypt it, it is encrypted here, in the
 * transmit path, into a copy: the original's pages are the records kept
 * for retransmission and are never written.
 *
 * A segment may start and end anywhere in a record and span several: the
 * bytes it carries are taken from each record encrypted whole (a tag
 * covers its whole record), from the copy the records list keeps. A
 * segment that cannot be encrypted is dropped; TCP sends it again, and
 * plaintext never reaches the wire.
 *
 * This unit must not see <linux/tracepoint.h>: upstream's fallback unit
 * does not, and genksyms would fold its structs into these CRCs (see
 * device.c and scripts/abi-check).
 */
#include <crypto/aead.h>
#include <linux/scatterlist.h>
#include <net/ip6_checksum.h>
#include <net/tcp.h>

#include "tls.h"

/* One record in the clear, and what the AEAD needs around it. */
struct ktls_fb_rec {
	struct ktls_dev_tx_key *key;	/* it was sealed under (RCU) */
	u8 aad[TLS_MAX_AAD_SIZE];
	u8 iv[KTLS_AEAD_IV_MAX];
	u32 start;			/* TCP sequence of its first byte */
	u32 len;			/* on the wire */
	u64 sn;				/* record sequence number */
	u8 wire[];
};

/*
 * Copy @frag a page at a time: with TLS_TX_ZEROCOPY_RO it may be a
 * page-cache page, in highmem on 32-bit, or a compound page with its
 * offset past the first page.
 */
static void ktls_fb_copy_frag(u8 *to, const skb_frag_t *frag)
{
	unsigned long pfn = page_to_pfn(skb_frag_page(frag));
	u32 off = skb_frag_off(frag), left = skb_frag_size(frag), n;

	while (left) {
		n = min_t(u32, left, PAGE_SIZE - offset_in_page(off));
		memcpy_from_page(to, pfn_to_page(pfn + (off >> PAGE_SHIFT)),
				 offset_in_page(off), n);
		to += n;
		off += n;
		left -= n;
	}
}

/*
 * Copy the record holding @seq out of the records list, under the lock
 * drivers take too: once the lock is dropped TCP may free it (ACK). Its
 * key stays until the caller's RCU read-side section ends.
 */
static struct ktls_fb_rec *ktls_fb_rec_get(struct ktls_context *kctx,
					   struct tls_offload_context_tx *off,
					   u32 seq)
{
	struct tls_record_info *info;
	struct ktls_fb_rec *fb = NULL;
	unsigned long flags;
	u32 done = 0;
	u64 sn;
	int i;

	spin_lock_irqsave(&off->lock, flags);
	info = tls_get_record(off, seq, &sn);
	if (!info || tls_record_is_start_marker(info))
		goto out;
	fb = kmalloc(struct_size(fb, wire, info->len), GFP_ATOMIC);
	if (!fb)
		goto out;
	for (i = 0; i < info->num_frags; i++) {
		ktls_fb_copy_frag(fb->wire + done, &info->frags[i]);
		done += skb_frag_size(&info->frags[i]);
	}
	fb->start = tls_record_start_seq(info);
	fb->len = info->len;
	fb->sn = sn;
	fb->key = ktls_dev_tx_key_of(kctx, off, info);
out:
	spin_unlock_irqrestore(&off->lock, flags);
	return fb;
}

/* Encrypt @fb in place under its key, as the device would have. */
static int ktls_fb_rec_encrypt(struct tls_context *ctx, struct ktls_fb_rec *fb)
{
	struct tls_prot_info *prot = &ctx->prot_info;
	/* TLS 1.3: the inner content type is encrypted with the payload. */
	u32 plain = fb->len - prot->overhead_size;
	u32 cryptlen = plain + prot->tail_size;
	__be64 rec_seq = cpu_to_be64(fb->sn);
	struct aead_request *req;
	struct scatterlist sg[2];
	int rc;

	ktls_record_fill_aad(prot, fb->aad, fb->wire[0], plain, (u8 *)&rec_seq);
	ktls_record_fill_iv(prot, fb->iv, fb->key->iv,
			    (u8 *)&rec_seq, fb->wire + TLS_HEADER_SIZE);
	req = aead_request_alloc(fb->key->aead, GFP_ATOMIC);
	if (!req)
		return -ENOMEM;
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], fb->aad, prot->aad_size);
	sg_set_buf(&sg[1], fb->wire + prot->prepend_size,
		   cryptlen + prot->tag_size);
	aead_request_set_callback(req, 0, NULL, NULL);
	aead_request_set_ad(req, prot->aad_size);
	aead_request_set_crypt(req, sg, sg, cryptlen, fb->iv);
	/* A synchronous transform: it answers here. */
	rc = crypto_aead_encrypt(req);
	aead_request_free(req);
	return rc;
}

/* Overwrite @len bytes at @payload, TCP sequence @seq, with ciphertext. */
static int ktls_fb_fill(struct sock *sk, u8 *payload, u32 seq, u32 len)
{
	struct tls_context *ctx = tls_get_ctx(sk);
	struct tls_offload_context_tx *off = tls_offload_ctx_tx(ctx);
	u32 end = seq + len;
	int rc = 0;

	while (!rc && before(seq, end)) {
		struct ktls_fb_rec *fb;
		u32 stop;

		/* The record's key, after a rekey (device_tx_keys.c). */
		rcu_read_lock();
		fb = ktls_fb_rec_get(ktls_ctx(ctx), off, seq);
		rc = fb ? ktls_fb_rec_encrypt(ctx, fb) : -ENOENT;
		rcu_read_unlock();
		if (!fb)
			return rc;
		stop = before(end, fb->start + fb->len) ? end :
							  fb->start + fb->len;
		if (!rc)
			memcpy(payload, fb->wire + (seq - fb->start), stop - seq);
		payload += stop - seq;
		seq = stop;
		kfree_sensitive(fb);
	}
	return rc;
}

/*
 * @nskb replaces @skb on the wire: it takes over the socket's write
 * memory accounting (the destructor, TCP's included, releases truesize).
 */
static void ktls_fb_take_owner(struct sk_buff *nskb, struct sk_buff *skb)
{
	struct sock *sk = skb->sk;
	int delta = nskb->truesize - skb->truesize;

	nskb->sk = sk;
	nskb->destructor = skb->destructor;
	skb->sk = NULL;
	skb->destructor = NULL;
	if (delta > 0)
		refcount_add(delta, &sk->sk_wmem_alloc);
	else if (delta < 0)
		WARN_ON_ONCE(refcount_sub_and_test(-delta, &sk->sk_wmem_alloc));
}

/*
 * The payload changed: if the TCP checksum was already computed (a device
 * above us without checksum offload resolved it), have it computed again
 * from the pseudo-header, as for any segment TCP sends.
 */
static void ktls_fb_csum_again(struct sk_buff *nskb)
{
	u32 len = nskb->len - skb_transport_offset(nskb);
	struct tcphdr *th = tcp_hdr(nskb);

	if (nskb->ip_summed == CHECKSUM_PARTIAL)
		return;
	nskb->ip_summed = CHECKSUM_PARTIAL;
	nskb->csum_start = skb_transport_header(nskb) - nskb->head;
	nskb->csum_offset = offsetof(struct tcphdr, check);
	if (ip_hdr(nskb)->version == 6)
		th->check = ~tcp_v6_check(len, &ipv6_hdr(nskb)->saddr,
					  &ipv6_hdr(nskb)->daddr, 0);
	else
		th->check = ~tcp_v4_check(len, ip_hdr(nskb)->saddr,
					  ip_hdr(nskb)->daddr, 0);
}

/* The ciphertext copy of @skb (consumed), or NULL: dropped. */
static struct sk_buff *ktls_fallback_encrypt(struct sk_buff *skb)
{
	u32 hdr = skb_transport_offset(skb) + tcp_hdrlen(skb);
	u32 len = skb->len - hdr;
	struct sk_buff *nskb;

	/* Bytes from before offload, or no payload: nothing to encrypt. */
	if (!ktls_skb_decrypted(skb) || !len)
		return skb;
	nskb = skb_copy(skb, GFP_ATOMIC);
	if (!nskb || ktls_fb_fill(skb->sk, nskb->data + hdr,
				  ntohl(tcp_hdr(skb)->seq), len)) {
		kfree_skb(nskb);
		kfree_skb(skb);
		return NULL;
	}
	ktls_skb_clear_decrypted(nskb);
	ktls_fb_csum_again(nskb);
	ktls_fb_take_owner(nskb, skb);
	consume_skb(skb);
	return nskb;
}

/*
 * sk_validate_xmit_skb of an offloaded TX socket: drivers and bonding
 * compare the hook with this function to learn that a segment carries
 * plaintext for the device, so it must be this symbol and no other. A
 * bond passes the segment on to a slave, which validates it again.
 */
struct sk_buff *tls_validate_xmit_skb(struct sock *sk, struct net_device *dev,
				      struct sk_buff *skb)
{
	if (dev == rcu_access_pointer(tls_get_ctx(sk)->netdev) ||
	    netif_is_bond_master(dev))
		return skb;
	return ktls_fallback_encrypt(skb);
}
EXPORT_SYMBOL_GPL(tls_validate_xmit_skb);

/*
 * The hook once the device went down (device.c): every segment is
 * encrypted here, and drivers no longer take the socket for offloaded.
 */
struct sk_buff *ktls_validate_xmit_skb_sw(struct sock *sk,
					  struct net_device *dev,
					  struct sk_buff *skb)
{
	return ktls_fallback_encrypt(skb);
}

/* For a driver that cannot encrypt this segment itself. */
struct sk_buff *tls_encrypt_skb(struct sk_buff *skb)
{
	return ktls_fallback_encrypt(skb);
}
EXPORT_SYMBOL_GPL(tls_encrypt_skb);
