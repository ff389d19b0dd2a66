// SPDX-License-Identifier: GPL-2.0
/*
 * The keys of an offloaded TX direction. A device that declared
 * KTLS_DEV_CAP_REKEY (ktls_offload.h) keeps TX across a KeyUpdate: each
 * key covers the records from its start sequence number to the next
 * key's, and a record keeps its key for every retransmission.
 *
 * Two things follow a key:
 *
 *  - an epoch marker on the records list, a record of length 0 where the
 *    key's first record starts, so tls_get_record() numbers records
 *    within their key (the first marker is the start marker upstream
 *    has);
 *  - a ktls_dev_tx_key on kctx->dev_tx_keys, with the transform and IV
 *    the software fallback encrypts that key's records with.
 *
 * Lifetimes: markers are freed with the records, when TCP says the peer
 * has them (under off->lock). Keys are added and pruned under the socket
 * lock (at offload and at a rekey) and read by the fallback in the
 * transmit path under RCU (BH is off there): a pruned key is freed after
 * a grace period, and only once the peer has every record under it, so a
 * segment that still needs it can only be a retransmission of
 * acknowledged data, which the fallback drops.
 */
#include <crypto/aead.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <net/tcp.h>

#include "tls.h"

/* A zero-length entry of the records list: where a key's records start. */
struct ktls_dev_epoch {
	struct tls_record_info rec;	/* first: freed as a record */
	u64 first_sn;			/* number of the key's first record */
	bool offload_start;		/* stands for the bytes before offload */
};

struct ktls_dev_tx_key {
	struct list_head node;		/* kctx->dev_tx_keys, oldest first */
	u32 start;			/* TCP sequence of its first record */
	struct crypto_aead *aead;	/* synchronous: the transmit path */
	u8 iv[TLS_MAX_IV_SIZE + TLS_MAX_SALT_SIZE];	/* salt, IV */
};

static const struct ktls_dev_epoch *
ktls_dev_epoch(const struct tls_record_info *r)
{
	return container_of(r, const struct ktls_dev_epoch, rec);
}

/**
 * ktls_dev_epoch_new() - a marker for a key whose records start at @seq
 * @seq: TCP sequence number of the key's first record
 * @first_sn: that record's number
 * @offload_start: the first key: the marker also stands for what TCP was
 *	given before offload
 *
 * Return: the marker, to go on the records list, or NULL.
 */
struct tls_record_info *ktls_dev_epoch_new(u32 seq, u64 first_sn,
					   bool offload_start)
{
	struct ktls_dev_epoch *ep = kzalloc(sizeof(*ep), GFP_KERNEL);

	if (!ep)
		return NULL;
	ep->rec.end_seq = seq;
	ep->first_sn = first_sn;
	ep->offload_start = offload_start;
	return &ep->rec;
}

/*
 * The number of @rec, the entry after one numbered @sn: a marker is
 * numbered one below its key's first record, as the start marker is.
 */
u64 ktls_dev_rec_sn(struct tls_record_info *rec, u64 sn)
{
	return tls_record_is_start_marker(rec) ?
	       ktls_dev_epoch(rec)->first_sn - 1 : sn;
}

/*
 * Whether tls_get_record() may give @rec to a driver: a marker only if it
 * stands for the bytes before offload. A later one is at the head only
 * when every record before it was acknowledged.
 */
bool ktls_dev_rec_for_driver(struct tls_record_info *rec)
{
	return !tls_record_is_start_marker(rec) ||
	       ktls_dev_epoch(rec)->offload_start;
}

/**
 * ktls_dev_tx_key_new() - the fallback's copy of the TX key just installed
 * @kctx: the context, socket locked, its TX keys those of the new key
 * @start: TCP sequence number of the key's first record
 *
 * Return: the key, for ktls_dev_tx_key_publish() or ktls_dev_tx_key_free(),
 * or an ERR_PTR().
 */
struct ktls_dev_tx_key *ktls_dev_tx_key_new(struct ktls_context *kctx,
					    u32 start)
{
	struct ktls_dev_tx_key *key = kzalloc(sizeof(*key), GFP_KERNEL);
	struct crypto_aead *aead;

	if (!key)
		return ERR_PTR(-ENOMEM);
	aead = ktls_aead_create(&kctx->base.crypto_send.info,
				CRYPTO_ALG_ASYNC);
	if (IS_ERR(aead)) {
		kfree(key);
		return ERR_CAST(aead);
	}
	key->aead = aead;
	key->start = start;
	memcpy(key->iv, kctx->base.tx.iv, sizeof(key->iv));
	return key;
}

/* From now on the fallback encrypts records from @key's start with it. */
void ktls_dev_tx_key_publish(struct ktls_context *kctx,
			     struct ktls_dev_tx_key *key)
{
	list_add_tail_rcu(&key->node, &kctx->dev_tx_keys);
}

/* A key never published, or one no reader can find any more. */
void ktls_dev_tx_key_free(struct ktls_dev_tx_key *key)
{
	crypto_free_aead(key->aead);
	kfree_sensitive(key);
}

/**
 * ktls_dev_tx_key_of() - the key of the record starting at @seq
 * @kctx: the context; the caller is in an RCU read-side section
 * @seq: TCP sequence number of a record's first byte
 * @iv: set to the key's salt and IV
 *
 * Return: the fallback's transform for that key, valid until the section
 * ends, or NULL: no key kept covers @seq (the peer has that record).
 */
struct crypto_aead *ktls_dev_tx_key_of(struct ktls_context *kctx, u32 seq,
				       const u8 **iv)
{
	struct ktls_dev_tx_key *key, *found = NULL;

	list_for_each_entry_rcu(key, &kctx->dev_tx_keys, node) {
		if (before(seq, key->start))
			break;
		found = key;
	}
	if (!found)
		return NULL;
	*iv = found->iv;
	return found->aead;
}

/*
 * Free the keys the peer has every record of: those whose successor
 * starts at or before snd_una. The last key always stays. Socket locked
 * (TCP's ACK processing, which frees records, is held off).
 */
void ktls_dev_tx_keys_prune(struct sock *sk, struct ktls_context *kctx)
{
	u32 una = tcp_sk(sk)->snd_una;
	struct ktls_dev_tx_key *key, *next;
	LIST_HEAD(gone);

	list_for_each_entry_safe(key, next, &kctx->dev_tx_keys, node) {
		if (list_is_last(&key->node, &kctx->dev_tx_keys) ||
		    before(una, next->start))
			break;
		list_del_rcu(&key->node);
		list_add_tail(&key->node, &gone);
	}
	if (list_empty(&gone))
		return;
	/* The fallback may have found one just before. */
	synchronize_rcu();
	list_for_each_entry_safe(key, next, &gone, node)
		ktls_dev_tx_key_free(key);
}

/* Every key, once nothing transmits for the socket any more. */
void ktls_dev_tx_keys_free(struct ktls_context *kctx)
{
	struct ktls_dev_tx_key *key, *next;

	list_for_each_entry_safe(key, next, &kctx->dev_tx_keys, node) {
		list_del(&key->node);
		ktls_dev_tx_key_free(key);
	}
}
