// SPDX-License-Identifier: GPL-2.0
/*
 * When a TX caller may go on, and how it waits: for the TX owner (one
 * sender, rekey or flush at a time, held across its waits), for room in
 * TCP and for memory. Every wait drops the socket lock; what it protects
 * is said at struct ktls_tx.
 */
#include <linux/random.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "tls.h"
#include "tx.h"

/* Whether no record can be sent any more: an error, or after shutdown. */
static int ktls_tx_dead(struct sock *sk, struct ktls_context *kctx)
{
	if (kctx->txsw.err)
		return kctx->txsw.err;
	if (READ_ONCE(sk->sk_err))
		return -READ_ONCE(sk->sk_err);
	if (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN)
		return -EPIPE;
	return 0;
}

/*
 * Whether a sender may go on. A shutdown() waiting for TX (tx->shutting)
 * counts as the end: the owner lets go at once, keeping what it accepted
 * for the shutdown to flush.
 */
int ktls_tx_check(struct sock *sk, struct ktls_context *kctx)
{
	return ktls_tx_dead(sk, kctx) ?:
	       (READ_ONCE(kctx->txsw.shutting) ? -EPIPE : 0);
}

/* Why a wait of ktls_tx_wait() must end: @flushing is a shutdown/close. */
static int ktls_tx_halt(struct sock *sk, struct ktls_context *kctx,
			bool flushing)
{
	return flushing ? ktls_tx_dead(sk, kctx) : ktls_tx_check(sk, kctx);
}

/*
 * Sleep until TCP has room, as sk_stream_wait_memory() does -- including
 * its short random sleep when TCP's count has room but memory was refused
 * (pressure: no event says when it is back) -- but, for a sender, also
 * ending when a shutdown() waits for TX, so that the owner never keeps it
 * asleep behind a peer that does not read. The flush of a shutdown or
 * close (@flushing) waits on regardless. @timeo is consumed. Return: 0 to
 * try again, or a negative errno (-EAGAIN when the time is up).
 */
int ktls_tx_wait(struct sock *sk, struct ktls_context *kctx,
		 long *timeo, bool flushing)
{
	DEFINE_WAIT_FUNC(wait, ktls_tx_woken_wake);
	long nap, left;
	int rc;

	/*
	 * The lock is about to be dropped: nothing may stay in flight. What
	 * was, goes to TCP as far as it has room (ktls_tx_push() settles
	 * first), so that no counted record waits on a wake-up that TCP,
	 * idle, would never send.
	 */
	if (kctx->txsw.nflight)
		ktls_tx_push(sk, kctx);
	rc = ktls_tx_halt(sk, kctx, flushing);
	if (rc)
		return rc;
	set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
	if (!*timeo)
		return -EAGAIN;
	if (signal_pending(current))
		return sock_intr_errno(*timeo);
	add_wait_queue(sk_sleep(sk), &wait);
	sk->sk_write_pending++;
	if (sk_stream_memory_free(sk)) {
		nap = min_t(long, *timeo, get_random_u32_below(HZ / 5) + 2);
		left = nap;
		sk_wait_event(sk, &left, ktls_tx_halt(sk, kctx, flushing),
			      &wait);
		if (*timeo != MAX_SCHEDULE_TIMEOUT)
			*timeo -= nap - left;
	} else {
		sk_wait_event(sk, timeo,
			      ktls_tx_halt(sk, kctx, flushing) ||
			      sk_stream_memory_free(sk), &wait);
	}
	sk->sk_write_pending--;
	remove_wait_queue(sk_sleep(sk), &wait);
	return ktls_tx_halt(sk, kctx, flushing);
}

int ktls_tx_wait_room(struct sock *sk, struct ktls_context *kctx,
		      long *timeo)
{
	return ktls_tx_wait(sk, kctx, timeo, false);
}

/* As above, waiting for memory (SO_SNDTIMEO, signals, shutdown). */
int ktls_tx_reserve_wait(struct sock *sk, struct ktls_context *kctx,
			 struct ktls_tx_rec *rec, u32 len, long *timeo)
{
	int rc;

	while ((rc = ktls_tx_rec_reserve(sk, rec, len)) == -ENOMEM) {
		rc = ktls_tx_wait_room(sk, kctx, timeo);
		if (rc)
			break;
	}
	return rc;
}

/**
 * ktls_tx_lock() - become the TX owner
 * @sk: the socket, locked; unlocked while waiting
 * @kctx: its context
 * @timeo: how long the caller may wait (SO_SNDTIMEO, 0 for MSG_DONTWAIT)
 *
 * Return: 0, -EAGAIN when another caller kept TX past @timeo, or the
 * signal errno.
 */
int ktls_tx_lock(struct sock *sk, struct ktls_context *kctx, long *timeo)
{
	return ktls_owner_acquire(sk, &kctx->txsw.owner, timeo);
}

/*
 * Give TX up (socket lock held). If TCP made room while TX was owned
 * (ktls_tx_write_space(), or the worker stood aside), records still
 * queued go to the worker; what the owner pushed itself needs nothing.
 */
void ktls_tx_unlock(struct sock *sk, struct ktls_context *kctx)
{
	struct ktls_tx *tx = &kctx->txsw;

	/* Every owner settles its own records: this is a safety net. */
	if (WARN_ON_ONCE(tx->nflight))
		ktls_tx_settle(sk, kctx);
	ktls_owner_release(&tx->owner);
	if (tx->work_missed) {
		tx->work_missed = false;
		if (tx->queued)
			schedule_delayed_work(&tx->work, 0);
	}
}

/*
 * Wake every task asleep on the socket: a sender owning TX must notice a
 * shutdown that waits for it (ktls_tx_wait_room()).
 */
void ktls_tx_wake_all(struct sock *sk)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_all(&wq->wait);
	rcu_read_unlock();
}
