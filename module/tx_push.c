// SPDX-License-Identifier: GPL-2.0
/*
 * Handing sealed records to TCP, shared by every TX configuration: in
 * order, by reference (MSG_SPLICE_PAGES) and never waiting inside TCP, so
 * that a shutdown can end a sender's wait (ktls_tx_wait()). What TCP
 * cannot take yet stays queued; the sk_write_space hook has the worker
 * push it once TCP has room.
 */
#include <linux/bvec.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "tls.h"
#include "tx.h"
#include "../compat/ktls_sendpage.h"

/*
 * The socket may never send another record: the sequence is exhausted or
 * the cipher failed. Reported like TCP reports errors, once the records
 * already encrypted are with TCP (a set sk_err stops TCP taking them).
 */
void ktls_tx_report(struct sock *sk, struct ktls_context *kctx)
{
	WRITE_ONCE(sk->sk_err, -kctx->txsw.err);
	sk_error_report(sk);
}

/*
 * TCP appends to its last skb without looking at how it is marked, so the
 * first record under a new key starts an skb of its own. After a rekey
 * took TX off a device, a software record would otherwise travel as
 * plaintext for the device (and the fallback, finding no such record,
 * would drop it for ever); on a device that keeps TX, no segment may
 * carry records under two keys (ktls_offload.h).
 */
static void ktls_tx_push_fence(struct sock *sk, struct ktls_tx *tx,
			       const struct ktls_tx_rec *rec)
{
	if (rec->sent || rec->key_gen == tx->pushed_gen)
		return;
	tcp_write_collapse_fence(sk);
	tx->pushed_gen = rec->key_gen;
}

/*
 * Hand TCP what it has not taken of @rec, without waiting: waits happen
 * in ktls_tx_wait_room(), which a shutdown can end. Return: 0 once TCP
 * has all of it, -EAGAIN when it has no room. A failed or shut down
 * socket is not asked at all: TCP would consume the pending error
 * (sock_error()) that the application is still to see.
 */
static int ktls_tx_push_rec(struct sock *sk, struct ktls_context *kctx,
			    struct ktls_tx_rec *rec)
{
	struct bio_vec bvec[KTLS_TX_WIRE_PIECES];
	struct msghdr msg = {
		.msg_flags = MSG_SPLICE_PAGES | MSG_NOSIGNAL | MSG_DONTWAIT |
			     rec->push_flags,
	};
	u32 left = rec->wire_len - rec->sent;
	int n, rc;

	if (READ_ONCE(sk->sk_err) ||
	    READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN)
		return -EPIPE;
	ktls_tx_push_fence(sk, &kctx->txsw, rec);
	n = ktls_tx_rec_to_bvec(rec, bvec, rec->sent, left);
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, bvec, n, left);
	while (left) {
		tcp_rate_check_app_limited(sk);
		rc = ktls_tcp_send_pages(sk, &msg, left);
		if (rc <= 0)
			return rc ? rc : -EAGAIN;
		rec->sent += rc;
		left -= rc;
	}
	return 0;
}

/*
 * Wait for the records the TX owner left in flight (tx_sw.c); called
 * before anything drops the socket lock, pushes or lets TX go. A failure
 * ends TX: every record of the flight and every one queued after them are
 * dropped unsent (their plaintext counted in tx->dropped, so send() does
 * not count it: none of the flight was given to TCP yet), so the peer
 * gets a prefix of what was sent, and no nonce is used again.
 */
int ktls_tx_settle(struct sock *sk, struct ktls_context *kctx)
{
	struct ktls_tx *tx = &kctx->txsw;
	struct ktls_tx_rec *first, *rec, *tmp;
	bool drop = false;

	if (!tx->nflight)
		return 0;
	first = kctx->tx_ops->settle(sk, kctx);
	if (!first)
		return 0;
	tx->err = -EBADMSG;
	list_for_each_entry_safe(rec, tmp, &tx->queue, list) {
		drop = drop || rec == first;
		if (!drop)
			continue;
		list_del(&rec->list);
		tx->dropped += rec->plain_len;
		ktls_tx_rec_free(sk, rec);
	}
	WRITE_ONCE(tx->queued, !list_empty(&tx->queue));
	return tx->err;
}

/*
 * Push queued records in order, as far as TCP takes them now; the rest
 * stays queued, and the sk_write_space hook schedules the worker once
 * TCP has room again.
 */
int ktls_tx_push(struct sock *sk, struct ktls_context *kctx)
{
	struct ktls_tx *tx = &kctx->txsw;
	struct ktls_tx_rec *rec, *tmp;
	int err, rc = 0;

	/* A failure in the flight drops it and what follows. */
	err = ktls_tx_settle(sk, kctx);
	if (err)
		return err;
	list_for_each_entry_safe(rec, tmp, &tx->queue, list) {
		rc = ktls_tx_push_rec(sk, kctx, rec);
		if (rc)
			break;
		list_del(&rec->list);
		ktls_tx_rec_free(sk, rec);
	}
	WRITE_ONCE(tx->queued, !list_empty(&tx->queue));
	return rc;
}

/* Push, waiting for room unless @flags has MSG_DONTWAIT. */
int ktls_tx_push_wait(struct sock *sk, struct ktls_context *kctx,
		      int flags, long *timeo)
{
	int rc;

	while ((rc = ktls_tx_push(sk, kctx)) == -EAGAIN &&
	       !(flags & MSG_DONTWAIT)) {
		rc = ktls_tx_wait_room(sk, kctx, timeo);
		if (rc)
			break;
	}
	return rc;
}

/*
 * TCP has room again. While a caller owns TX it pushes the queue itself
 * (one asleep in ktls_tx_wait() is woken by the base callback), and
 * ktls_tx_unlock() runs the worker for what it leaves: the worker now
 * would only find TX owned and run again then, taking the socket lock
 * from the sender twice per wait for room. TCP calls this either from
 * softirq while no task owns the socket lock, or under that lock (its
 * backlog, a setsockopt); the owner flag and work_missed change only
 * under it, so neither moves while this looks at them.
 */
static void ktls_tx_write_space(struct sock *sk)
{
	struct ktls_context *kctx = ktls_ctx(tls_get_ctx(sk));
	struct ktls_tx *tx = &kctx->txsw;

	/* After a shutdown nothing can go: close frees what is left. */
	if (READ_ONCE(tx->queued) &&
	    !(READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN)) {
		if (READ_ONCE(tx->owner.held))
			WRITE_ONCE(tx->work_missed, true);
		else
			schedule_delayed_work(&tx->work, 0);
	}
	kctx->base.sk_write_space(sk);
}

/*
 * Push what sendmsg left queued, once TCP has room. While a caller owns
 * TX (asleep, its records in hand) the worker stands aside; the owner
 * runs it again when it lets go (ktls_tx_unlock()).
 */
void ktls_tx_work(struct work_struct *work)
{
	struct ktls_tx *tx = container_of(to_delayed_work(work),
					  struct ktls_tx, work);
	struct ktls_context *kctx = container_of(tx, struct ktls_context, txsw);
	struct sock *sk = kctx->base.sk;

	lock_sock(sk);
	if (tx->owner.held)
		tx->work_missed = true;
	else
		ktls_tx_push(sk, kctx);
	release_sock(sk);
}

/* First send: TCP's write space news schedules the worker. */
void ktls_tx_push_start(struct sock *sk, struct ktls_context *kctx)
{
	write_lock_bh(&sk->sk_callback_lock);
	kctx->base.sk_write_space = sk->sk_write_space;
	sk->sk_write_space = ktls_tx_write_space;
	write_unlock_bh(&sk->sk_callback_lock);
}

/* Close, once the worker is disabled. */
void ktls_tx_push_stop(struct sock *sk, struct ktls_context *kctx)
{
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_write_space = kctx->base.sk_write_space;
	write_unlock_bh(&sk->sk_callback_lock);
}

/* Bytes of sealed records TCP has not taken yet. */
u32 ktls_tx_queued_bytes(const struct ktls_tx *tx)
{
	const struct ktls_tx_rec *rec;
	u32 bytes = 0;

	list_for_each_entry(rec, &tx->queue, list)
		bytes += rec->wire_len - rec->sent;
	return bytes;
}
