// SPDX-License-Identifier: GPL-2.0
/*
 * The record parser: whole TLS records, assembled from the TCP stream.
 *
 * Bytes are taken off the TCP receive queue with tcp_read_sock() as they
 * arrive, but never past the end of the record being assembled: first the
 * five header bytes, then, once the header has been checked, exactly the
 * length it announces, into a buffer of that size. Because every byte is
 * copied out of TCP, TCP is free to collapse, coalesce or free its skbs,
 * and a record larger than a tiny SO_RCVBUF still completes (each copy
 * frees receive space). The next record stays in TCP until a reader has
 * taken the complete one, which keeps the TCP window as the flow control.
 *
 * The parser runs in two places: from sk_data_ready in softirq (only when
 * no task owns the socket; otherwise the owner will run it), and from the
 * reader, under the socket lock. Both paths are thus serialised by the
 * socket lock machinery.
 */
#include <linux/bitmap.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/tcp.h>

#include "tls.h"

/* Where ktls_parser_copyin() puts what it takes, and what it notes. */
struct ktls_parser_dst {
	u8 *buf;
	struct ktls_rx_sw *rx;		/* device RX: note decrypted bytes */
};

/*
 * Device RX: note whether the NIC decrypted the record's bytes from
 * rx->have + @off on (@n of them), as the skb they came in says.
 */
static void ktls_parser_note(struct ktls_rx_sw *rx, struct sk_buff *skb,
			     u32 off, u32 n)
{
	if (!ktls_skb_decrypted(skb)) {
		rx->dev_seen |= KTLS_RX_DEV_CIPHER;
		return;
	}
	rx->dev_seen |= KTLS_RX_DEV_PLAIN;
	bitmap_set(rx->dev_map, rx->have + off, n);
}

/* tcp_read_sock() actor: append up to desc->count bytes at arg.data. */
static int ktls_parser_copyin(read_descriptor_t *desc, struct sk_buff *skb,
			      unsigned int offset, size_t len)
{
	struct ktls_parser_dst *dst = desc->arg.data;
	size_t n = min(len, desc->count);

	if (skb_copy_bits(skb, offset, dst->buf + desc->written, n)) {
		desc->error = -EFAULT;
		return 0;
	}
	if (dst->rx)
		ktls_parser_note(dst->rx, skb, desc->written, n);
	desc->written += n;
	desc->count -= n;
	return n;
}

/*
 * tcp_read_sock() never reads past TCP's urgent mark, and only a
 * recv(MSG_OOB) the record layer does not offer would move it: a peer
 * that sent urgent data would stall the stream for good.
 */
static bool ktls_parser_at_urgent_mark(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return (READ_ONCE(tp->urg_data) & TCP_URG_VALID) &&
	       READ_ONCE(tp->urg_seq) == READ_ONCE(tp->copied_seq);
}

/*
 * Move at most @want bytes from the TCP queue to @dst. Return: bytes
 * moved, or a negative errno; -EBADMSG when urgent data blocks the
 * stream (TLS records never carry any), which stalls the parser.
 */
static int ktls_parser_copy(struct sock *sk, struct ktls_context *kctx,
			    u8 *buf, u32 want)
{
	struct ktls_parser_dst dst = {
		.buf = buf,
		.rx = ktls_rx_dev_noted(kctx) ? &kctx->rx_sw : NULL,
	};
	read_descriptor_t desc = { .arg.data = &dst, .count = want };
	int rc;

	if (!want)
		return 0;
	rc = tcp_read_sock(sk, &desc, ktls_parser_copyin);
	if (desc.error)
		return desc.error;
	if (rc < 0)
		return rc;
	/* tcp_inq() stops at the mark too: it cannot tell this apart. */
	if (!desc.written && ktls_parser_at_urgent_mark(sk))
		return -EBADMSG;
	return desc.written;
}

/*
 * Record buffers above the largest kmalloc cache come from the page
 * allocator as whole power-of-two blocks (32 KiB for a full record),
 * which Debian's init_on_alloc zeroes at every allocation. While records
 * keep coming, one such buffer is kept and reused (rx->spare); a reader
 * that finds nothing more in flight lets it go (ktls_rx_spare_trim()), so
 * an idle socket holds none.
 */
static bool ktls_rx_rec_large(u32 cap)
{
	return sizeof(struct ktls_rx_rec) + cap > KMALLOC_MAX_CACHE_SIZE;
}

/* A record of @len bytes, the spare if it is big enough. */
static struct ktls_rx_rec *ktls_rx_rec_alloc(struct ktls_rx_sw *rx, u32 len,
					     gfp_t gfp)
{
	struct ktls_rx_rec *rec = rx->spare;
	size_t size;
	u32 cap;

	if (rec && rec->cap >= len) {
		rx->spare = NULL;
		cap = rec->cap;
	} else {
		/* All of a large block is ours to use: say so to KASAN. */
		size = kmalloc_size_roundup(struct_size(rec, buf, len));
		rec = kmalloc(size, gfp | __GFP_NOWARN);
		if (!rec)
			return NULL;
		cap = size - sizeof(*rec);
	}
	memset(rec, 0, sizeof(*rec));
	rec->cap = cap;
	INIT_LIST_HEAD(&rec->list);
	rec->len = len;
	return rec;
}

/**
 * ktls_rx_rec_free() - done with a record
 * @rx: the RX state it belongs to; caller owns the socket or is the parser
 * @rec: the record, on no list
 * @plaintext: @rec->buf held plaintext, which no later user may see
 */
void ktls_rx_rec_free(struct ktls_rx_sw *rx, struct ktls_rx_rec *rec,
		      bool plaintext)
{
	if (rx->spare || !ktls_rx_rec_large(rec->cap)) {
		kfree_sensitive(rec);
		return;
	}
	if (plaintext)
		memzero_explicit(rec->buf, rec->len);
	rx->spare = rec;
}

/* Nothing is being assembled: an idle socket keeps no spare buffer. */
void ktls_rx_spare_trim(struct ktls_rx_sw *rx)
{
	if (rx->cur)
		return;
	kfree_sensitive(rx->spare);
	rx->spare = NULL;
}

/*
 * The header is complete: trust its length only after record.c has
 * checked it, then allocate the whole record. On -ENOMEM the header stays
 * in rx->hdr and the next attempt starts from there.
 */
static int ktls_parser_start_record(struct ktls_context *kctx, gfp_t gfp)
{
	struct ktls_rx_sw *rx = &kctx->rx_sw;
	struct ktls_rx_rec *rec;
	int len;

	len = ktls_record_check_header(&kctx->base.prot_info, rx->hdr);
	if (len < 0)
		return len;
	rec = ktls_rx_rec_alloc(rx, len, gfp);
	if (!rec)
		return -ENOMEM;
	memcpy(rec->buf, rx->hdr, TLS_HEADER_SIZE);
	rx->cur = rec;
	return 0;
}

/*
 * A record begins: the device path may have a resync to answer with it,
 * or, after a rekey, a place to take RX back at. The header's five bytes
 * are the last TCP gave us.
 */
static void ktls_parser_new_rec(struct sock *sk, struct ktls_context *kctx)
{
	struct ktls_rx_sw *rx = &kctx->rx_sw;

	rx->cur_seq = tcp_sk(sk)->copied_seq - TLS_HEADER_SIZE;
	if (ktls_rx_offloaded(kctx))
		ktls_dev_rx_new_rec(sk, kctx, rx->cur_seq, rx->cur->len);
	else if (rx->dev_rejoin.state)
		ktls_dev_rx_rejoin_note(kctx, rx->cur_seq, rx->cur->len);
}

/*
 * The stream cannot be parsed any further (bad header, urgent data): stop
 * reading it and fail the connection through sk_err. As upstream, a reader
 * gets the error once (sock_error() clears it; a read that returns bytes
 * first leaves it for the next one), then finds no more data.
 * Records decrypted before the bad one are still delivered first.
 */
static void ktls_parser_stall(struct sock *sk, struct ktls_context *kctx,
			      int err)
{
	kctx->rx_sw.stalled = true;
	WRITE_ONCE(sk->sk_err, -err);
	/* sk_err visible before the wake-up that makes readers look. */
	smp_wmb();
	sk_error_report(sk);
}

/**
 * ktls_parser_advance() - take what TCP has of the current record
 * @sk: the socket; owned by the caller, or bh-locked and not owned
 * @kctx: its context
 * @gfp: allocation mode for the record buffer
 *
 * A bad header stalls the parser and fails the connection with its
 * error in sk_err (ktls_parser_stall()).
 *
 * Return: 1 when a whole record is ready for ktls_parser_take(), 0 when
 * more bytes are needed (or never will be: stalled), the sticky
 * authentication error, -ENOMEM (try again later) or -ENOTCONN.
 */
int ktls_parser_advance(struct sock *sk, struct ktls_context *kctx, gfp_t gfp)
{
	struct ktls_rx_sw *rx = &kctx->rx_sw;
	int n;

	if (rx->err)
		return rx->err;
	if (rx->stalled)
		return 0;
	if (!rx->cur) {
		n = ktls_parser_copy(sk, kctx, rx->hdr + rx->have,
				     TLS_HEADER_SIZE - rx->have);
		if (n < 0)
			goto fail;
		rx->have += n;
		if (rx->have < TLS_HEADER_SIZE)
			return 0;
		n = ktls_parser_start_record(kctx, gfp);
		if (n == -ENOMEM)
			return n;
		if (n < 0)
			goto fail;
		ktls_parser_new_rec(sk, kctx);
	}
	n = ktls_parser_copy(sk, kctx, rx->cur->buf + rx->have,
			     rx->cur->len - rx->have);
	if (n < 0)
		goto fail;
	rx->have += n;
	return rx->have == rx->cur->len;

fail:
	/* Nothing but a listening socket makes TCP refuse: keep that. */
	if (n == -ENOTCONN)
		return n;
	ktls_parser_stall(sk, kctx, n);
	return 0;
}

/* Hand the complete current record to the caller; the parser starts anew. */
struct ktls_rx_rec *ktls_parser_take(struct ktls_rx_sw *rx)
{
	struct ktls_rx_rec *rec = rx->cur;

	if (rx->dev_map)
		bitmap_clear(rx->dev_map, 0, rec->len);
	rx->dev_seen = 0;
	rx->cur = NULL;
	rx->have = 0;
	return rec;
}

/**
 * ktls_rx_abort() - fail the connection for good
 * @sk: the socket
 * @kctx: its context
 * @err: negative errno every later read returns
 *
 * The error is also put in sk_err so that poll reports EPOLLERR and the
 * TX side sees a dead connection, as upstream does.
 */
void ktls_rx_abort(struct sock *sk, struct ktls_context *kctx, int err)
{
	struct ktls_rx_sw *rx = &kctx->rx_sw;

	if (rx->err)
		return;
	rx->err = err;
	ktls_rx_update_ready(rx);
	WRITE_ONCE(sk->sk_err, -err);
	/* sk_err visible before the wake-up that makes readers look. */
	smp_wmb();
	sk_error_report(sk);
}

/*
 * Poll looks at @ready and sleeping readers at @parsed without the lock;
 * keep them in step. While RX waits for a new key, a complete record
 * cannot be decrypted: it is neither (KeyUpdate hook).
 */
void ktls_rx_update_ready(struct ktls_rx_sw *rx)
{
	bool parsed = ktls_parser_has_record(rx) && !ktls_ku_rx_paused(rx);

	WRITE_ONCE(rx->parsed, parsed);
	WRITE_ONCE(rx->ready, rx->err || !list_empty(&rx->plain) || parsed);
}

/*
 * Run the parser and wake readers (through the socket's original
 * data_ready) only when there is something for them: poll must not report
 * a readable socket for half a record.
 */
static void ktls_parser_run(struct sock *sk, struct ktls_context *kctx,
			    gfp_t gfp)
{
	struct ktls_rx_sw *rx = &kctx->rx_sw;

	/* Only softirq retries from a work item; a sleeping caller reports. */
	if (ktls_parser_advance(sk, kctx, gfp) == -ENOMEM &&
	    !gfpflags_allow_blocking(gfp))
		schedule_work(&rx->retry_work);
	ktls_rx_update_ready(rx);
	if (READ_ONCE(rx->ready))
		rx->saved_data_ready(sk);
}

/**
 * ktls_parser_tcp_reader() - whether a task still reads the TCP stream
 * @sk: the socket
 *
 * A task that entered TCP's own recvmsg or splice_read before TLS_RX
 * replaced them may sleep there for more bytes, in sk_wait_data(), which
 * waits with woken_wake_function(). Upstream leaves bytes in TCP's queue
 * until its reader takes them, so such a task gets them (as TCP bytes:
 * the TLS stream then fails on what follows, which upstream's data_steal
 * selftest checks). Taking them from under it would keep it asleep for
 * good. TCP's senders wait with woken_wake_function() too, but count in
 * sk_write_pending (sk_stream_wait_memory(), sk_stream_wait_connect());
 * so do ours, waiting with ktls_tx_woken_wake(). The count is stable
 * here: a sender changes it only while it owns the socket.
 *
 * Return: true while such a task sleeps on the socket.
 */
bool ktls_parser_tcp_reader(struct sock *sk)
{
	int tcp_waits = 0, our_senders = 0;
	struct wait_queue_entry *entry;
	struct socket_wq *wq;
	unsigned long flags;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	/*
	 * No barrier: the task we look for went to sleep before TLS_RX was
	 * set, under the socket lock that setsockopt took since.
	 */
	if (wq && waitqueue_active(&wq->wait)) {
		spin_lock_irqsave(&wq->wait.lock, flags);
		list_for_each_entry(entry, &wq->wait.head, entry) {
			tcp_waits += entry->func == woken_wake_function;
			our_senders += entry->func == ktls_tx_woken_wake;
		}
		spin_unlock_irqrestore(&wq->wait.lock, flags);
	}
	rcu_read_unlock();
	return tcp_waits > READ_ONCE(sk->sk_write_pending) - our_senders;
}

/**
 * ktls_parser_data_ready() - sk_data_ready of a socket with RX keys
 * @sk: the socket
 *
 * When a task owns the socket it is either reading (and runs the parser
 * itself) or about to release the lock, which processes the backlog and
 * calls us again in its own context; in both cases the state is
 * consistent, so running here is safe. Allocation must not sleep here.
 * While a task still reads TCP's stream, the bytes stay there for it and
 * everyone is woken: that task, and our readers, which then run the
 * parser themselves (ktls_rx_news()).
 */
void ktls_parser_data_ready(struct sock *sk)
{
	struct ktls_context *kctx = ktls_sk_ctx(sk);
	struct ktls_rx_sw *rx = &kctx->rx_sw;

	WRITE_ONCE(rx->tcp_reader, ktls_parser_tcp_reader(sk));
	if (rx->tcp_reader)
		rx->saved_data_ready(sk);
	else
		ktls_parser_run(sk, kctx, GFP_ATOMIC);
}

/* The parser could not allocate in softirq: retry where it may sleep. */
void ktls_parser_retry_work(struct work_struct *work)
{
	struct ktls_rx_sw *rx = container_of(work, struct ktls_rx_sw,
					     retry_work);
	struct ktls_context *kctx = container_of(rx, struct ktls_context,
						 rx_sw);
	struct sock *sk = rx->sk;

	lock_sock(sk);
	if (rx->started)
		ktls_parser_run(sk, kctx, GFP_KERNEL);
	release_sock(sk);
}
