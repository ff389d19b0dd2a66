// SPDX-License-Identifier: GPL-2.0
/*
 * What a NIC driver calls on a socket whose TX records it encrypts (the
 * tls_device API of <net/tls.h>). The symbols and their CRCs are those of
 * the in-tree tls.ko, so that drivers built against it (bonding, nfp,
 * cxgb4, mlx5...) load against this module instead.
 *
 * No socket is offloaded by this module yet: nothing installs
 * tls_device_sk_destruct or fills a struct tls_offload_context_tx, so
 * these are reached only by a driver's own tests of the contract. They
 * keep that contract all the same.
 */

/*
 * genksyms folds into a symbol's CRC the definition of every struct the
 * exporting unit can see. Upstream's unit for these three symbols also
 * sees what <linux/tracepoint.h> defines; without it our CRCs differ and
 * modversions refuses every driver. scripts/abi-check compares the CRCs
 * with the kernel's Module.symvers at every build.
 */
#include <linux/tracepoint.h>

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
 * @unacked_record_sn. The driver holds @context->lock, which keeps ACKed
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
		if (before(seq, rec->end_seq))
			break;
		sn++;
	}
	rcu_read_unlock();
	if (list_entry_is_head(rec, &context->records_list, list))
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

/*
 * sk_destruct of an offloaded socket: drivers compare sk->sk_destruct with
 * this function to learn that a socket is offloaded, so it must be this
 * symbol and no other. It runs the destructor it replaced.
 */
void tls_device_sk_destruct(struct sock *sk)
{
	struct tls_context *ctx = tls_get_ctx(sk);

	if (ctx->sk_destruct)
		ctx->sk_destruct(sk);
}
EXPORT_SYMBOL_GPL(tls_device_sk_destruct);
