// SPDX-License-Identifier: GPL-2.0
/*
 * The keys of an offloaded TX direction. A device that declared
 * KTLS_DEV_CAP_REKEY (ktls_offload.h) keeps TX across a KeyUpdate: each
 * key covers the records after it on the records list up to the next
 * key's, and a record keeps its key for every retransmission.
 *
 * A key has a marker on the records list, a record of length 0 where its
 * first record starts (the first marker is the start marker upstream
 * has). Markers tell tls_get_record() to number records within their key,
 * and the software fallback which key a record is under: the key of the
 * last marker before it on the list or, if none is left (TCP freed it
 * with the records the peer has), kctx->dev_tx_head_key. Sequence numbers
 * are never compared with a key's start: the stream wraps every 4 GiB.
 *
 * Lifetimes: markers are freed with the records, under off->lock, which
 * also covers dev_tx_head_key. The keys are on kctx->dev_tx_keys, oldest
 * first, added and pruned under the socket lock: the keys before the head
 * key cover nothing the peer lacks. The fallback uses a key after
 * dropping off->lock, in the transmit path (BH off, an RCU read-side
 * section): a pruned key is freed after a grace period, by a work item.
 */
#include <crypto/aead.h>
#include <kunit/visibility.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/tcp.h>

#include "ktls_offload.h"
#include "tls.h"

/* A zero-length entry of the records list: where a key's records start. */
struct ktls_dev_epoch {
	struct tls_record_info rec;	/* first: freed as a record */
	struct ktls_dev_tx_key *key;	/* of the records after it */
	u64 first_sn;			/* number of the key's first record */
	bool offload_start;		/* stands for the bytes before offload */
};

static struct ktls_dev_epoch *ktls_dev_epoch(struct tls_record_info *r)
{
	return container_of(r, struct ktls_dev_epoch, rec);
}

/**
 * ktls_dev_epoch_new() - a marker for a key whose records start at @seq
 * @seq: TCP sequence number of the key's first record
 * @first_sn: that record's number
 * @key: the key, or NULL (KUnit)
 * @offload_start: the first key: the marker also stands for what TCP was
 *	given before offload
 *
 * Return: the marker, to go on the records list, or NULL.
 */
struct tls_record_info *ktls_dev_epoch_new(u32 seq, u64 first_sn,
					   struct ktls_dev_tx_key *key,
					   bool offload_start)
{
	struct ktls_dev_epoch *ep = kzalloc(sizeof(*ep), GFP_KERNEL);

	if (!ep)
		return NULL;
	ep->rec.end_seq = seq;
	ep->key = key;
	ep->first_sn = first_sn;
	ep->offload_start = offload_start;
	return &ep->rec;
}
EXPORT_SYMBOL_IF_KUNIT(ktls_dev_epoch_new);

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

/*
 * TCP frees @rec, the peer has it (off->lock held): past a marker, the
 * records at the head of the list are under the marker's key.
 */
void ktls_dev_rec_acked(struct ktls_context *kctx, struct tls_record_info *rec)
{
	if (tls_record_is_start_marker(rec))
		kctx->dev_tx_head_key = ktls_dev_epoch(rec)->key;
}

/**
 * ktls_dev_tx_key_of() - the key @rec was sealed under
 * @kctx: the context
 * @off: its offload context, off->lock held
 * @rec: a record on the records list
 *
 * Return: the key; it stays valid until the caller's RCU read-side
 * section ends.
 */
struct ktls_dev_tx_key *ktls_dev_tx_key_of(struct ktls_context *kctx,
					   struct tls_offload_context_tx *off,
					   struct tls_record_info *rec)
{
	struct ktls_dev_tx_key *key = kctx->dev_tx_head_key;
	struct tls_record_info *r;

	list_for_each_entry(r, &off->records_list, list) {
		if (r == rec)
			break;
		if (tls_record_is_start_marker(r))
			key = ktls_dev_epoch(r)->key;
	}
	return key;
}
EXPORT_SYMBOL_IF_KUNIT(ktls_dev_tx_key_of);

/**
 * ktls_dev_tx_key_new() - the fallback's copy of the TX key just installed
 * @kctx: the context, socket locked, its TX keys those of the new key
 *
 * Return: the key, for ktls_dev_tx_key_add() or ktls_dev_tx_key_free(),
 * or an ERR_PTR().
 */
struct ktls_dev_tx_key *ktls_dev_tx_key_new(struct ktls_context *kctx)
{
	struct ktls_dev_tx_key *key;
	struct crypto_aead *aead;

	key = kzalloc(sizeof(*key), GFP_KERNEL_ACCOUNT);
	if (!key)
		return ERR_PTR(-ENOMEM);
	aead = ktls_aead_create(&kctx->base.crypto_send.info,
				CRYPTO_ALG_ASYNC);
	if (IS_ERR(aead)) {
		kfree(key);
		return ERR_CAST(aead);
	}
	key->aead = aead;
	memcpy(key->iv, kctx->base.tx.iv, sizeof(key->iv));
	return key;
}

/*
 * @key is the socket's until the destructor or ktls_dev_tx_keys_prune(),
 * the driver's key number ktls_dev_tx_rec_key() gives for its records.
 */
void ktls_dev_tx_key_add(struct ktls_context *kctx, struct ktls_dev_tx_key *key)
{
	if (!list_empty(&kctx->dev_tx_keys))
		kctx->dev_tx_gen++;
	key->gen = kctx->dev_tx_gen;
	list_add_tail(&key->node, &kctx->dev_tx_keys);
	kctx->dev_tx_nkeys++;
}

/* ktls_offload.h: for drivers, under off->lock. */
u32 ktls_dev_tx_rec_key(struct tls_offload_context_tx *off,
			struct tls_record_info *rec)
{
	struct ktls_context *kctx = ktls_ctx(off->ctx);

	return ktls_dev_tx_key_of(kctx, off, rec)->gen;
}
EXPORT_SYMBOL_GPL(ktls_dev_tx_rec_key);

u32 ktls_dev_tx_oldest_key(struct tls_offload_context_tx *off)
{
	return ktls_ctx(off->ctx)->dev_tx_head_key->gen;
}
EXPORT_SYMBOL_GPL(ktls_dev_tx_oldest_key);

/* A key no reader can find any more. */
void ktls_dev_tx_key_free(struct ktls_dev_tx_key *key)
{
	crypto_free_aead(key->aead);
	kfree_sensitive(key);
}

static void ktls_dev_tx_key_free_work(struct work_struct *work)
{
	ktls_dev_tx_key_free(container_of(to_rcu_work(work),
					  struct ktls_dev_tx_key, free_work));
}

/*
 * Let go of the keys before the head key: the peer has every record under
 * them. A fallback that found one before TCP moved the head on may still
 * use it: each is freed after a grace period. Socket locked.
 */
void ktls_dev_tx_keys_prune(struct ktls_context *kctx,
			    struct tls_offload_context_tx *off)
{
	struct ktls_dev_tx_key *key, *next, *head;
	unsigned long flags;

	spin_lock_irqsave(&off->lock, flags);
	head = kctx->dev_tx_head_key;
	spin_unlock_irqrestore(&off->lock, flags);
	list_for_each_entry_safe(key, next, &kctx->dev_tx_keys, node) {
		if (key == head)
			break;
		list_del(&key->node);
		kctx->dev_tx_nkeys--;
		INIT_RCU_WORK(&key->free_work, ktls_dev_tx_key_free_work);
		ktls_dev_queue_rcu_work(&key->free_work);
	}
}

/* Every key, once nothing transmits for the socket any more. */
void ktls_dev_tx_keys_free(struct ktls_context *kctx)
{
	struct ktls_dev_tx_key *key, *next;

	list_for_each_entry_safe(key, next, &kctx->dev_tx_keys, node) {
		list_del(&key->node);
		ktls_dev_tx_key_free(key);
	}
	kctx->dev_tx_nkeys = 0;
	kctx->dev_tx_gen = 0;
	kctx->dev_tx_head_key = NULL;
}
