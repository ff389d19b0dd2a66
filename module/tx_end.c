// SPDX-License-Identifier: GPL-2.0
/*
 * The end of the TX stream. A byte send() accepted reaches TCP before our
 * FIN: what TCP could not take yet stays queued, and shutdown(SHUT_WR)
 * and close hand all of it to TCP before TCP's own shutdown
 * (ktls_tx_flush_all()), unless the connection failed, SO_LINGER 0 resets
 * it, or memory pressure beyond TCP's limits outlasts the caller's time
 * (shutdown then fails and sends no FIN; close drops it).
 */
#include <linux/sizes.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "tls.h"
#include "tx.h"

/*
 * What the record layer still holds beyond TCP, in bytes on the wire (an
 * open record counted at its largest).
 */
static u32 ktls_tx_held(const struct ktls_tx *tx)
{
	return (tx->open ? KTLS_TX_REC_MAX : 0) + ktls_tx_queued_bytes(tx);
}

/*
 * shutdown(SHUT_WR) or close, as the TX owner: no byte can follow, so
 * close the open record and make TCP take everything queued now instead
 * of leaving it behind the FIN: past SO_SNDBUF -- at most what
 * ktls_tx_held() counts, a record or two, the way TCP queues its FIN
 * regardless -- and past TCP_NOTSENT_LOWAT (which would refuse it just
 * the same). Both are put back at once; the socket lock is held
 * throughout and nothing here sleeps, so only TCP's own code in this call
 * sees them (and tcp_poll() on another CPU may see a spurious EPOLLOUT).
 * Memory pressure beyond TCP's limits can still refuse: -EAGAIN.
 * Return: 0 once everything went, else an error.
 */
static int ktls_tx_flush_all(struct sock *sk, struct ktls_context *kctx)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct ktls_tx *tx = &kctx->txsw;
	u32 lowat = tp->notsent_lowat;
	int sndbuf = sk->sk_sndbuf;
	long nowait = 0;
	int raised, rc;
	u64 room;

	if (!tx->open && list_empty(&tx->queue))
		return 0;
	room = (u64)sk->sk_wmem_queued + 2 * ktls_tx_held(tx) + SZ_64K;
	raised = max_t(u64, sndbuf, min_t(u64, room, INT_MAX));
	WRITE_ONCE(sk->sk_sndbuf, raised);
	WRITE_ONCE(tp->notsent_lowat, UINT_MAX);
	rc = ktls_tx_close_open(sk, kctx, &nowait, false);
	if (!rc)
		rc = ktls_tx_push(sk, kctx);
	WRITE_ONCE(tp->notsent_lowat, lowat);
	/* TCP may have moderated it meanwhile: then its lower word holds. */
	WRITE_ONCE(sk->sk_sndbuf, sk->sk_sndbuf == raised ? sndbuf :
				  min(sk->sk_sndbuf, sndbuf));
	if (tx->err)
		ktls_tx_report(sk, kctx);
	return rc;
}

/* As above, waiting within @timeo while memory pressure refuses. */
static int ktls_tx_flush_wait(struct sock *sk, struct ktls_context *kctx,
			      long *timeo)
{
	int rc;

	while ((rc = ktls_tx_flush_all(sk, kctx)) == -EAGAIN) {
		rc = ktls_tx_wait(sk, kctx, timeo, true);
		if (rc)
			break;
	}
	return rc;
}

/*
 * Own TX for a shutdown. A sender asleep on a full send buffer owns it,
 * maybe for as long as the peer does not read: tx->shutting makes it let
 * go at once (its send returns what it accepted, or EPIPE), and any new
 * sender fails the same way, so this wait is short.
 */
static int ktls_tx_lock_for_shutdown(struct sock *sk,
				     struct ktls_context *kctx)
{
	long timeo = MAX_SCHEDULE_TIMEOUT;
	int rc;

	WRITE_ONCE(kctx->txsw.shutting, true);
	ktls_tx_wake_all(sk);
	rc = ktls_tx_lock(sk, kctx, &timeo);
	/* Owned (or given up): senders now wait for us, or may go on. */
	WRITE_ONCE(kctx->txsw.shutting, false);
	return rc;
}

/**
 * ktls_tx_shutdown() - proto_ops->shutdown of a socket with TX keys
 * @sock: the socket
 * @how: SHUT_RD, SHUT_WR or SHUT_RDWR
 * @tcp_shutdown: the shutdown of the ops we replaced
 *
 * TCP queues its FIN behind what it holds, but not behind what the record
 * layer holds: so everything accepted goes to TCP first, and TX stays
 * owned until TCP's shutdown is done, so that no sender slips a record in
 * behind the FIN (it fails with EPIPE). The flush can only be refused by
 * memory pressure beyond TCP's limits; it is waited for within
 * SO_SNDTIMEO, and if it still fails (or a signal comes) nothing is shut
 * down and the error is returned: a FIN ahead of accepted data would lose
 * it silently. On a failed connection the bytes cannot go anyway, and
 * TCP's shutdown runs as usual.
 *
 * Return: 0 or a negative errno.
 */
int ktls_tx_shutdown(struct socket *sock, int how,
		     int (*tcp_shutdown)(struct socket *sock, int how))
{
	struct ktls_context *kctx = ktls_sk_ctx(sock->sk);
	struct sock *sk = sock->sk;
	long timeo;
	int rc;

	if (how != SHUT_WR && how != SHUT_RDWR)
		return tcp_shutdown(sock, how);
	lock_sock(sk);
	rc = ktls_tx_lock_for_shutdown(sk, kctx);
	if (rc)
		goto out;
	timeo = sock_sndtimeo(sk, false);
	rc = ktls_tx_flush_wait(sk, kctx, &timeo);
	/* Time or a signal may help; a dead connection never will. */
	if (rc == -EAGAIN || rc == -EINTR || rc == -ERESTARTSYS) {
		ktls_tx_unlock(sk, kctx);
		goto out;
	}
	release_sock(sk);
	rc = tcp_shutdown(sock, how);
	lock_sock(sk);
	ktls_tx_unlock(sk, kctx);
out:
	release_sock(sk);
	return rc;
}

/*
 * Close, under the socket lock; @timeout is the SO_LINGER time (0 without
 * it), and what it leaves goes on to TCP's close. Everything accepted is
 * handed to TCP -- a record left open by MSG_MORE too, as TCP sends
 * corked data -- unless SO_LINGER with a zero time asks for a reset.
 * Only memory pressure beyond TCP's limits can refuse it; that is waited
 * for up to the linger time, and what is still refused then is dropped
 * (without SO_LINGER there is no time to wait: close never blocks).
 */
void ktls_tx_release(struct sock *sk, struct ktls_context *kctx,
		     long *timeout)
{
	struct ktls_tx *tx = &kctx->txsw;
	struct ktls_tx_rec *rec, *tmp;

	if (!tx->started)
		return;
	if (!sock_flag(sk, SOCK_LINGER) || sk->sk_lingertime)
		ktls_tx_flush_wait(sk, kctx, timeout);
	list_for_each_entry_safe(rec, tmp, &tx->queue, list) {
		list_del(&rec->list);
		ktls_tx_rec_free(sk, rec);
	}
	if (tx->open)
		ktls_tx_rec_free(sk, tx->open);
	tx->open = NULL;

	ktls_tx_push_stop(sk, kctx);
	kctx->tx_ops->teardown(sk, kctx);
	tx->started = false;
}
