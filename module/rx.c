// SPDX-License-Identifier: GPL-2.0
/*
 * The software RX data path: recvmsg, splice_read, read_sock and poll of a
 * socket with RX keys. Records come whole from the parser (parser.c).
 * When a record fits whole in the reader's buffer and its type is known
 * beforehand, recvmsg decrypts it straight into that buffer (rx_zc.c; a
 * TLS 1.2 kernel reader's records decrypt in place and are copied to
 * their place, several in flight at once). Otherwise it is decrypted in
 * kernel memory (rx_crypto.c) and queued as plaintext on rx_sw.plain,
 * from where reads copy it out; it leaves the queue only when all of it
 * was read, so partial reads, MSG_PEEK and EFAULT lose nothing.
 *
 * Concurrent readers (recvmsg, splice_read, read_sock) are ordered by
 * rx_sw.reader (owner.c): one at a time, from its first look at the
 * records to its return, across every wait. A reader that sleeps keeps
 * pointers into rx_sw.plain (the last record it peeked); nothing but the
 * owner reads or frees those records, so they stay valid. While it
 * sleeps, only the parser (softirq, the release_sock() backlog, or its
 * retry work after an allocation failure) and setsockopt (a new RX key,
 * TLS_RX_EXPECT_NO_PAD: parser state, the transform, a flag; never
 * rx_sw.plain) run on the RX state.
 */
#include <asm/ioctls.h>
#include <linux/bitmap.h>
#include <linux/net.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/sockios.h>
#include <linux/splice.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/tls_prot.h>

#include "tls.h"

/* One recvmsg call: what it may and must still read. */
struct ktls_rx_call {
	size_t len;
	size_t copied;
	int target;			/* SO_RCVLOWAT / MSG_WAITALL */
	long timeo;
	int flags;
	int type;			/* of the first record read; -1 none */
	bool zc;			/* whole records may skip the copy path */
	struct ktls_rx_batch batch;	/* TLS 1.2 records in flight */
};

void ktls_rx_init(struct ktls_context *kctx)
{
	struct ktls_rx_sw *rx = &kctx->rx_sw;

	ktls_owner_init(&rx->reader);
	INIT_LIST_HEAD(&rx->plain);
	INIT_WORK(&rx->retry_work, ktls_parser_retry_work);
}

/*
 * Free the records not on rx_sw.plain (ktls_rx_stop() emptied it while
 * the socket could still be uncharged). The socket is gone or stopped.
 */
void ktls_rx_release(struct ktls_context *kctx)
{
	struct ktls_rx_sw *rx = &kctx->rx_sw;

	WARN_ON_ONCE(!list_empty(&rx->plain));
	kfree_sensitive(rx->cur);
	rx->cur = NULL;
	rx->have = 0;
	ktls_rx_spare_trim(rx);
	bitmap_free(rx->dev_map);
	rx->dev_map = NULL;
	ktls_dev_rx_old_free(rx);
	ktls_rx_request_drop(rx);
}

/*
 * The copy path's AEAD request, made with the first record and kept: a
 * decryption runs whole under the socket lock, waiting for the engine
 * (ktls_rx_decrypt_into()), so the socket has one at a time. Zero-copy
 * has its own per record, as a TLS 1.2 batch keeps several in flight.
 */
static struct aead_request *ktls_rx_request(struct ktls_context *kctx)
{
	struct ktls_rx_sw *rx = &kctx->rx_sw;

	if (!rx->req)
		rx->req = aead_request_alloc(kctx->rx_aead, GFP_KERNEL);
	return rx->req;
}

/*
 * Made for the transform of its time: a rekey drops it (the new one may
 * need more), under the socket lock, so no decryption is using it. What
 * was learnt of the old transform goes with it.
 */
void ktls_rx_request_drop(struct ktls_rx_sw *rx)
{
	aead_request_free(rx->req);
	rx->req = NULL;
	rx->answers_later = false;
}

static u32 ktls_rx_rec_size(const struct ktls_rx_rec *rec)
{
	return sizeof(*rec) + rec->cap;
}

static void ktls_rx_plain_add(struct ktls_rx_sw *rx, struct ktls_rx_rec *rec)
{
	rx->plain_mem += ktls_rx_rec_size(rec);
	list_add_tail(&rec->list, &rx->plain);
}

/*
 * Decrypted records that stay on rx_sw.plain beyond the read that made
 * them (left by a partial read or a peek, or held while the reader
 * sleeps) are charged to the socket's protocol and memory cgroup
 * accounting, as TCP charges the skbs of its receive queue; a record
 * read whole in the same call is never charged, which spares every read
 * a charge and a reclaim. They are not added to sk_rmem_alloc: TCP would
 * shrink its window for them and, having no read of its own to announce
 * the window again when we free them, leave the peer to its zero-window
 * probes. The amount is bounded instead by ktls_rx_plain_full().
 */
static void ktls_rx_charge_plain(struct sock *sk, struct ktls_rx_sw *rx)
{
	struct ktls_rx_rec *rec;
	int size, delta;

	if (!sk_has_account(sk))
		return;
	list_for_each_entry(rec, &rx->plain, list) {
		if (rec->charged)
			continue;
		size = ktls_rx_rec_size(rec);
		delta = size - sk->sk_forward_alloc;
		/* Over the limits a record stays uncharged: it is decrypted. */
		if (delta > 0 && !__sk_mem_schedule(sk, delta, SK_MEM_RECV))
			return;
		sk_mem_charge(sk, size);
		rec->charged = size;
	}
}

/* All of @rec was read. */
static void ktls_rx_free_rec(struct ktls_rx_sw *rx, struct ktls_rx_rec *rec)
{
	list_del(&rec->list);
	rx->plain_mem -= ktls_rx_rec_size(rec);
	if (rec->charged)
		sk_mem_uncharge(rx->sk, rec->charged);
	ktls_rx_rec_free(rx, rec, true);
}

/*
 * Whether a reader may decrypt another record while @plain holds some.
 * One record always may be: a reader must never wait for a record that
 * sits complete in the parser. Beyond that, peeked records (the only ones
 * that pile up) are held to SO_RCVBUF, as TCP holds its queue: a peek
 * with a huge (aliased) buffer cannot make the socket hold unbounded
 * kernel memory, and waits as a TCP peek past the buffer would.
 */
static bool ktls_rx_plain_full(const struct sock *sk,
			       const struct ktls_rx_sw *rx)
{
	return !list_empty(&rx->plain) &&
	       rx->plain_mem >= (u32)READ_ONCE(sk->sk_rcvbuf);
}

/*
 * End of a read: pull the next record in now so that poll sees it, and
 * drop the spare record buffer if nothing more is on its way.
 */
static void ktls_rx_read_done(struct sock *sk, struct ktls_context *kctx)
{
	struct ktls_rx_sw *rx = &kctx->rx_sw;
	bool had = ktls_parser_has_record(rx);

	/* The flag must not outlive the TCP reader it is about. */
	WRITE_ONCE(rx->tcp_reader, ktls_parser_tcp_reader(sk));
	ktls_rx_charge_plain(sk, rx);
	ktls_parser_advance(sk, kctx, GFP_KERNEL);
	ktls_rx_spare_trim(rx);
	ktls_rx_update_ready(rx);
	/*
	 * A record completed by this parse had no wake-up (data_ready came
	 * while the parser still held the last one): announce it, as
	 * upstream does on its reader's way out, or an edge-triggered
	 * poller would never hear of it.
	 */
	if (!had && rx->parsed)
		rx->saved_data_ready(sk);
}

/* The current record cannot be decrypted: nothing of it may be read. */
static int ktls_rx_fail_cur(struct sock *sk, struct ktls_context *kctx,
			    int err)
{
	kfree_sensitive(ktls_parser_take(&kctx->rx_sw));
	if (err == -EBADMSG)
		ktls_stat_inc(sock_net(sk), KTLS_STAT_DECRYPT_ERROR);
	ktls_rx_abort(sk, kctx, err);
	return err;
}

/*
 * Turn the complete current record into plaintext: the one dispatch
 * point between configurations. A NIC may have decrypted it already
 * (device_rx.c); otherwise it is decrypted here. -ENOMEM before the
 * record is touched leaves it for a retry; any other error -- one of
 * the engine included, which may have left the record half decrypted in
 * place -- fails the connection.
 */
static int ktls_rx_open_cur(struct sock *sk, struct ktls_context *kctx)
{
	struct ktls_rx_rec *rec = kctx->rx_sw.cur;
	struct aead_request *req;
	int rc;

	if (ktls_rx_dev_noted(kctx)) {
		rc = ktls_dev_rx_record(sk, kctx, rec);
		if (rc == -ENOMEM)
			return rc;
		if (rc)
			goto done;
	}
	req = ktls_rx_request(kctx);
	if (!req)
		return -ENOMEM;
	rc = ktls_rx_decrypt(kctx, rec, req);
	ktls_aead_request_wipe(req);
done:
	if (rc > 0)
		rc = ktls_rx_accept_plain(kctx, rec);
	return rc ? ktls_rx_fail_cur(sk, kctx, rc) : 0;
}

/*
 * Decrypt the complete current record and queue its plaintext. An empty
 * data record carries nothing to read and is dropped here rather than
 * queued, so no reader ever stalls on it.
 */
static int ktls_rx_decrypt_cur(struct sock *sk, struct ktls_context *kctx)
{
	struct ktls_rx_sw *rx = &kctx->rx_sw;
	struct ktls_rx_rec *rec;
	int rc;

	rc = ktls_rx_open_cur(sk, kctx);
	if (rc)
		return rc;
	rec = ktls_parser_take(rx);
	if (rec->type == TLS_RECORD_TYPE_DATA && rec->off == rec->end) {
		ktls_rx_rec_free(rx, rec, true);
		rx->empty_data++;
		return 0;
	}
	ktls_rx_plain_add(rx, rec);
	ktls_ku_rx_record(sk, kctx, rec);	/* KeyUpdate hook */
	ktls_rx_dev_rejoin_check(sk, kctx);
	return 0;
}

/**
 * ktls_rx_next() - the decrypted record after @prev, decrypting if needed
 * @sk: the socket, locked
 * @kctx: its context
 * @prev: a record on rx_sw.plain, or NULL for the first one
 *
 * Return: a record, NULL when none is complete yet (or none may be
 * decrypted yet: ktls_rx_plain_full()), or an ERR_PTR.
 */
static struct ktls_rx_rec *ktls_rx_next(struct sock *sk,
					struct ktls_context *kctx,
					struct ktls_rx_rec *prev)
{
	struct ktls_rx_sw *rx = &kctx->rx_sw;
	struct list_head *pos = prev ? &prev->list : &rx->plain;
	int rc;

	/* For prev == NULL, pos is the list head: "last" means empty. */
	while (list_is_last(pos, &rx->plain)) {
		if (rx->err)
			return ERR_PTR(rx->err);
		/* KeyUpdate hook: nothing is decrypted until the new key. */
		if (ktls_ku_rx_paused(rx))
			return ERR_PTR(-EKEYEXPIRED);
		if (ktls_rx_plain_full(sk, rx))
			return NULL;
		rc = ktls_parser_advance(sk, kctx, GFP_KERNEL);
		if (rc <= 0)
			return rc ? ERR_PTR(rc) : NULL;
		rc = ktls_rx_decrypt_cur(sk, kctx);
		if (rc)
			return ERR_PTR(rc);
	}
	return list_entry(pos->next, struct ktls_rx_rec, list);
}

/*
 * Bytes the parser left in TCP for a TCP reader (ktls_parser_tcp_reader())
 * that a reader of ours may take now, by running the parser itself.
 */
static bool ktls_rx_left_to_tcp(struct sock *sk, const struct ktls_rx_sw *rx)
{
	return READ_ONCE(rx->tcp_reader) && !rx->stalled && tcp_inq(sk) &&
	       !ktls_rx_plain_full(sk, rx);
}

/*
 * Whether anything changed that a waiting reader has not seen. The reader
 * owns rx_sw.plain, so only the parser can bring news: a record to
 * decrypt, if the reader may decrypt one -- never "plain is not empty",
 * which a peeking reader has already read through.
 */
static bool ktls_rx_news(struct sock *sk, const struct ktls_rx_sw *rx)
{
	if (ktls_rx_left_to_tcp(sk, rx))
		return true;
	return (READ_ONCE(rx->parsed) && !ktls_rx_plain_full(sk, rx)) ||
	       READ_ONCE(sk->sk_err) ||
	       (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN);
}

/*
 * Sleep until there is news (ktls_rx_news()), the time is up or a signal
 * comes. Return: 0 to look again, 1 at EOF, or a negative errno.
 * A read that has bytes for the caller returns them, not the error: then
 * sk_err stays for the next read, which would otherwise see a clean EOF
 * or wait for data that will never be parsed (as upstream, 6.12.117).
 */
static int ktls_rx_wait(struct sock *sk, struct ktls_rx_sw *rx,
			struct ktls_rx_call *call)
{
	DEFINE_WAIT_FUNC(wait, ktls_woken_wake);
	long *timeo = &call->timeo;
	/* Once: getsockopt(SO_ERROR) takes it without the socket lock. */
	int err = READ_ONCE(sk->sk_err);

	/* Records read since the last update must not keep us awake. */
	ktls_rx_update_ready(rx);
	if (err && call->copied)
		return -err;
	if (err)
		return sock_error(sk);
	if (sk->sk_shutdown & RCV_SHUTDOWN || sock_flag(sk, SOCK_DONE))
		return 1;
	if (!*timeo)
		return -EAGAIN;
	if (signal_pending(current))
		return sock_intr_errno(*timeo);

	ktls_rx_charge_plain(sk, rx);
	add_wait_queue(sk_sleep(sk), &wait);
	sk_set_bit(SOCKWQ_ASYNC_WAITDATA, sk);
	sk_wait_event(sk, timeo, ktls_rx_news(sk, rx), &wait);
	sk_clear_bit(SOCKWQ_ASYNC_WAITDATA, sk);
	remove_wait_queue(sk_sleep(sk), &wait);
	return 0;
}

/*
 * Return the next record to read from, waiting if needed and allowed.
 * NULL means EOF, or enough was read already (@call->target).
 */
static struct ktls_rx_rec *ktls_rx_wait_next(struct sock *sk,
					     struct ktls_context *kctx,
					     struct ktls_rx_rec *prev,
					     struct ktls_rx_call *call)
{
	struct ktls_rx_rec *rec;
	int rc;

	for (;;) {
		rec = ktls_rx_next(sk, kctx, prev);
		if (rec)
			return rec;
		if (call->copied >= call->target)
			return NULL;
		rc = ktls_rx_wait(sk, &kctx->rx_sw, call);
		if (rc)
			return rc < 0 ? ERR_PTR(rc) : NULL;
	}
}

/*
 * Records of different types never mix in one read, and a non-data record
 * is always read alone. The first record's type goes to the caller in a
 * TLS_GET_RECORD_TYPE cmsg; for a non-data record that cmsg is mandatory
 * (EIO otherwise, the record stays). Return: 0 to read @rec, 1 to stop
 * before it, or -EIO.
 */
static int ktls_rx_check_type(struct msghdr *msg, struct ktls_rx_call *call,
			      const struct ktls_rx_rec *rec)
{
	u8 type = rec->type;
	int rc;

	if (call->type >= 0)
		return rec->type != call->type ||
		       rec->type != TLS_RECORD_TYPE_DATA;

	rc = put_cmsg(msg, SOL_TLS, TLS_GET_RECORD_TYPE, sizeof(type), &type);
	if (rec->type != TLS_RECORD_TYPE_DATA &&
	    (rc || msg->msg_flags & MSG_CTRUNC))
		return -EIO;
	call->type = rec->type;
	return 0;
}

/*
 * Empty data records never reach rx_sw.plain (an empty record on a list
 * of plaintext is an upstream CVE class: readers stall or spin on it).
 * Still, one dropped while this read looked for its first record was
 * read by it, as upstream reads it: the read is of data from there on
 * (its cmsg says so even if it then returns EAGAIN), and a control
 * record after it waits for the next read.
 */
static void ktls_rx_read_empty(struct msghdr *msg, struct ktls_rx_call *call,
			       u32 empty_before, u32 empty_now)
{
	u8 type = TLS_RECORD_TYPE_DATA;

	if (call->type >= 0 || empty_before == empty_now)
		return;
	put_cmsg(msg, SOL_TLS, TLS_GET_RECORD_TYPE, sizeof(type), &type);
	call->type = type;
}

/* Copy from @rec; consume unless peeking. Bytes copied or -EFAULT. */
static int ktls_rx_copy_rec(struct ktls_rx_sw *rx, struct msghdr *msg,
			    struct ktls_rx_call *call, struct ktls_rx_rec *rec)
{
	size_t n = min_t(size_t, rec->end - rec->off, call->len - call->copied);

	if (copy_to_iter(rec->buf + rec->off, n, &msg->msg_iter) != n)
		return -EFAULT;
	call->copied += n;
	if (call->flags & MSG_PEEK)
		return n;
	rec->off += n;
	if (rec->off == rec->end)
		ktls_rx_free_rec(rx, rec);
	return n;
}

/*
 * A kernel reader's buffer (sunrpc, under NFS): kernel memory that a
 * copy can never fault on, not pinned as user memory is.
 */
static bool ktls_rx_kernel_iter(const struct iov_iter *iter)
{
	return iov_iter_rw(iter) == READ &&
	       (iov_iter_is_kvec(iter) || iov_iter_is_bvec(iter));
}

/*
 * Whether this read may take whole records ahead of the copy path: a read
 * that consumes, and a type that is known before decryption -- from the
 * header in TLS 1.2, from the peer's promise of no padding
 * (TLS_RX_EXPECT_NO_PAD) in TLS 1.3. Records decrypt straight into user
 * memory (we can pin it); a TLS 1.2 batch also takes a kernel reader's
 * (rx_zc.c).
 */
static bool ktls_rx_zc_allowed(const struct ktls_context *kctx,
			       const struct msghdr *msg, int flags)
{
	const struct iov_iter *iter = &msg->msg_iter;

	if (flags & MSG_PEEK)
		return false;
	if (kctx->base.prot_info.version == TLS_1_2_VERSION)
		return user_backed_iter(iter) || ktls_rx_kernel_iter(iter);
	return kctx->base.rx_no_pad && user_backed_iter(iter);
}

/*
 * The data of @rec (if data it is) fits in what the read still takes, and
 * in its buffer: a copy into kernel memory must never fall short.
 */
static bool ktls_rx_zc_fits(const struct tls_prot_info *prot,
			    const struct ktls_rx_rec *rec,
			    const struct ktls_rx_call *call,
			    const struct msghdr *msg)
{
	u32 len = rec->len - prot->overhead_size;

	if (prot->version == TLS_1_2_VERSION &&
	    rec->buf[0] != TLS_RECORD_TYPE_DATA)
		return false;
	return len && len <= call->len - call->copied &&
	       len <= iov_iter_count(&msg->msg_iter);
}

/*
 * A kernel reader's record is copied either way: it joins the batch only
 * where the engine answers later, as the batch costs state per record
 * (x86's AES-GCM is flagged asynchronous but answers at once).
 */
static bool ktls_rx_zc_worth(const struct ktls_rx_sw *rx,
			     const struct msghdr *msg)
{
	return user_backed_iter(&msg->msg_iter) || rx->answers_later;
}

/*
 * Wait for the records of the read still being decrypted into its buffer.
 * Those from the first that failed on are taken back from the read (the
 * buffer is wiped there), and the connection fails with that error.
 */
static int ktls_rx_settle(struct sock *sk, struct ktls_context *kctx,
			  struct msghdr *msg, struct ktls_rx_call *call)
{
	u32 unread;
	int rc;

	rc = ktls_rx_batch_finish(kctx, &call->batch, &unread);
	if (!rc)
		return 0;
	iov_iter_revert(&msg->msg_iter, unread);
	call->copied -= unread;
	if (rc == -EBADMSG)
		ktls_stat_inc(sock_net(sk), KTLS_STAT_DECRYPT_ERROR);
	ktls_rx_abort(sk, kctx, rc);
	return rc;
}

/*
 * TLS 1.2: make room in the read's batch, settling it when full -- or
 * failing: there is no use decrypting more. An error here has failed the
 * connection already.
 */
static int ktls_rx_zc_room(struct sock *sk, struct ktls_context *kctx,
			   struct msghdr *msg, struct ktls_rx_call *call)
{
	if (call->batch.count < KTLS_RX_BATCH_MAX &&
	    !READ_ONCE(call->batch.failed))
		return 0;
	return ktls_rx_settle(sk, kctx, msg, call);
}

/*
 * Zero-copy decrypts ciphertext: a record a NIC decrypted (all of it) is
 * plaintext already and takes the copy path, which finds out again.
 */
static bool ktls_rx_zc_ciphertext(struct sock *sk, struct ktls_context *kctx)
{
	return !ktls_rx_dev_noted(kctx) ||
	       !ktls_dev_rx_record(sk, kctx, kctx->rx_sw.cur);
}

/*
 * Read the next record by decrypting it into the reader's buffer (for a
 * TLS 1.2 batch: starting to), when it is complete, next in line and fits
 * whole. Return: bytes read (the record is gone), 0 when the copy path is
 * to take it (or there is none yet: the copy path finds that out too), or
 * a final error.
 */
static int ktls_rx_zc_read(struct sock *sk, struct ktls_context *kctx,
			   struct msghdr *msg, struct ktls_rx_call *call)
{
	struct ktls_rx_sw *rx = &kctx->rx_sw;
	u8 type = TLS_RECORD_TYPE_DATA;
	u32 n;
	int rc;

	if (!list_empty(&rx->plain) || rx->err || ktls_ku_rx_paused(rx) ||
	    ktls_parser_advance(sk, kctx, GFP_KERNEL) <= 0 ||
	    !ktls_rx_zc_fits(&kctx->base.prot_info, rx->cur, call, msg) ||
	    !ktls_rx_zc_worth(rx, msg) || !ktls_rx_zc_ciphertext(sk, kctx))
		return 0;
	if (kctx->base.prot_info.version == TLS_1_2_VERSION) {
		rc = ktls_rx_zc_room(sk, kctx, msg, call);
		if (rc)
			return rc;
		rc = ktls_rx_batch_submit(kctx, &call->batch, &msg->msg_iter,
					  &n);
	} else {
		rc = ktls_rx_zc_decrypt(sk, kctx, rx->cur, &msg->msg_iter, &n);
		/* Ciphertext only, the plaintext is the reader's. */
		if (!rc)
			ktls_rx_rec_free(rx, ktls_parser_take(rx), false);
	}
	if (rc == KTLS_RX_ZC_DECLINED)
		return 0;
	if (rc)
		return ktls_rx_fail_cur(sk, kctx, rc);
	if (call->type < 0) {
		put_cmsg(msg, SOL_TLS, TLS_GET_RECORD_TYPE, sizeof(type), &type);
		call->type = type;
	}
	iov_iter_advance(&msg->msg_iter, n);
	call->copied += n;
	ktls_rx_dev_rejoin_check(sk, kctx);
	return n;
}

/*
 * Read (part of) the next record into @msg, waiting for one if the read
 * needs more. Return: 1 to go on, 0 when the read is over, or an error.
 */
static int ktls_rx_read_one(struct sock *sk, struct ktls_context *kctx,
			    struct msghdr *msg, struct ktls_rx_call *call,
			    struct ktls_rx_rec **prev)
{
	u32 empty = kctx->rx_sw.empty_data;
	struct ktls_rx_rec *rec;
	int rc;

	if (call->zc) {
		rc = ktls_rx_zc_read(sk, kctx, msg, call);
		if (rc)
			return rc < 0 ? rc : 1;
		/* Anything else comes after the records in flight. */
		rc = ktls_rx_settle(sk, kctx, msg, call);
		if (rc)
			return rc;
	}
	rec = ktls_rx_next(sk, kctx, *prev);
	ktls_rx_read_empty(msg, call, empty, kctx->rx_sw.empty_data);
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	if (!rec) {
		if (call->copied >= call->target)
			return 0;
		/* Look again after the wait: the record may go zero-copy. */
		rc = ktls_rx_wait(sk, &kctx->rx_sw, call);
		return rc ? min(rc, 0) : 1;
	}
	rc = ktls_rx_check_type(msg, call, rec);
	if (rc)
		return min(rc, 0);
	rc = ktls_rx_copy_rec(&kctx->rx_sw, msg, call, rec);
	if (rc < 0)
		return rc;
	if (call->type != TLS_RECORD_TYPE_DATA)
		return 0;
	if (call->flags & MSG_PEEK)
		*prev = rec;
	return 1;
}

static int ktls_rx_read_records(struct sock *sk, struct ktls_context *kctx,
				struct msghdr *msg, struct ktls_rx_call *call)
{
	struct ktls_rx_rec *prev = NULL;
	int rc = 0;

	call->zc = ktls_rx_zc_allowed(kctx, msg, call->flags);
	ktls_rx_batch_init(&call->batch);
	while (call->copied < call->len) {
		rc = ktls_rx_read_one(sk, kctx, msg, call, &prev);
		if (rc <= 0)
			break;
	}
	rc = ktls_rx_settle(sk, kctx, msg, call) ?: rc;
	return call->copied ? call->copied : min(rc, 0);
}

int ktls_rx_recvmsg(KTLS_RECVMSG_PARAMS(struct sock *sk, struct msghdr *msg,
					size_t len, int flags))
{
	struct ktls_context *kctx = ktls_sk_ctx(sk);
	struct ktls_rx_call call = {
		.len = len,
		.flags = flags,
		.type = -1,
	};
	int rc;

	if (unlikely(flags & MSG_ERRQUEUE))
		return sock_recv_errqueue(sk, msg, len, SOL_IP, IP_RECVERR);

	lock_sock(sk);
	call.timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	rc = ktls_owner_acquire(sk, &kctx->rx_sw.reader, &call.timeo);
	if (!rc) {
		call.target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
		rc = ktls_rx_read_records(sk, kctx, msg, &call);
		ktls_rx_read_done(sk, kctx);
		ktls_owner_release(&kctx->rx_sw.reader);
	}
	release_sock(sk);
	return rc;
}

/*
 * An skb holding a copy of the unread plaintext of @rec, at most @len
 * bytes, in page fragments so that splice can reference the pages.
 */
static struct sk_buff *ktls_rx_rec_skb(struct ktls_rx_rec *rec, size_t len)
{
	size_t n = min_t(size_t, rec->end - rec->off, len);
	struct sk_buff *skb;
	int err;

	skb = alloc_skb_with_frags(0, n, 0, &err, GFP_KERNEL);
	if (!skb)
		return ERR_PTR(err);
	/* The fragments are attached but not yet counted as data. */
	skb->len = n;
	skb->data_len = n;
	if (skb_store_bits(skb, 0, rec->buf + rec->off, n)) {
		kfree_skb(skb);
		return ERR_PTR(-EFAULT);
	}
	return skb;
}

/* Consume @n bytes of the first record, which must be @rec. */
static void ktls_rx_consume(struct ktls_rx_sw *rx, struct ktls_rx_rec *rec,
			    size_t n)
{
	rec->off += n;
	if (rec->off == rec->end)
		ktls_rx_free_rec(rx, rec);
}

/* Move data of @rec into @pipe. Bytes moved or negative errno. */
static ssize_t ktls_rx_splice_rec(struct sock *sk, struct ktls_rx_rec *rec,
				  struct pipe_inode_info *pipe, size_t len,
				  unsigned int flags)
{
	struct sk_buff *skb;
	ssize_t rc;

	if (rec->type != TLS_RECORD_TYPE_DATA)
		return -EINVAL;
	skb = ktls_rx_rec_skb(rec, len);
	if (IS_ERR(skb))
		return PTR_ERR(skb);
	rc = skb_splice_bits(skb, sk, 0, pipe, skb->len, flags);
	consume_skb(skb);
	if (rc > 0)
		ktls_rx_consume(&ktls_sk_ctx(sk)->rx_sw, rec, rc);
	return rc;
}

/*
 * splice from the socket to a pipe: the data of one record at most, as
 * upstream; a non-data record is refused with EINVAL and stays.
 */
ssize_t ktls_rx_splice_read(struct socket *sock, loff_t *ppos,
			    struct pipe_inode_info *pipe, size_t len,
			    unsigned int flags)
{
	struct ktls_context *kctx = ktls_sk_ctx(sock->sk);
	struct ktls_rx_call call = { .len = len, .target = 1 };
	struct sock *sk = sock->sk;
	struct ktls_rx_rec *rec;
	ssize_t rc;

	lock_sock(sk);
	call.timeo = sock_rcvtimeo(sk, flags & SPLICE_F_NONBLOCK);
	rc = ktls_owner_acquire(sk, &kctx->rx_sw.reader, &call.timeo);
	if (rc)
		goto out;
	rec = ktls_rx_wait_next(sk, kctx, NULL, &call);
	if (IS_ERR_OR_NULL(rec))
		rc = PTR_ERR_OR_ZERO(rec);
	else
		rc = ktls_rx_splice_rec(sk, rec, pipe, len, flags);
	ktls_rx_read_done(sk, kctx);
	ktls_owner_release(&kctx->rx_sw.reader);
out:
	release_sock(sk);
	return rc;
}

/* Feed one record's unread data to @read_actor. Bytes it took, or error. */
static int ktls_rx_feed_rec(struct ktls_rx_sw *rx, read_descriptor_t *desc,
			    sk_read_actor_t read_actor, struct ktls_rx_rec *rec)
{
	struct sk_buff *skb;
	int used;

	skb = ktls_rx_rec_skb(rec, rec->end - rec->off);
	if (IS_ERR(skb))
		return PTR_ERR(skb);
	used = read_actor(desc, skb, 0, skb->len);
	consume_skb(skb);
	if (used > 0)
		ktls_rx_consume(rx, rec,
				min_t(size_t, used, rec->end - rec->off));
	return used;
}

/*
 * read_sock for in-kernel readers: data records already complete, without
 * waiting; stops before a non-data record (EINVAL if it comes first).
 * Like tcp_read_sock() the caller holds the socket lock, in process
 * context (nvme-tcp does so): decryption may sleep. A reader asleep in
 * recvmsg owns the records: then there is nothing to read (-EAGAIN).
 */
int ktls_rx_read_sock(struct sock *sk, read_descriptor_t *desc,
		      sk_read_actor_t read_actor)
{
	struct ktls_context *kctx = ktls_sk_ctx(sk);
	struct ktls_rx_rec *rec;
	int copied = 0, rc = 0;
	long nowait = 0;

	sock_owned_by_me(sk);
	rc = ktls_owner_acquire(sk, &kctx->rx_sw.reader, &nowait);
	if (rc)
		return rc;
	while (desc->count) {
		rec = ktls_rx_next(sk, kctx, NULL);
		if (IS_ERR_OR_NULL(rec)) {
			rc = PTR_ERR_OR_ZERO(rec);
			break;
		}
		if (rec->type != TLS_RECORD_TYPE_DATA) {
			rc = -EINVAL;
			break;
		}
		rc = ktls_rx_feed_rec(&kctx->rx_sw, desc, read_actor, rec);
		if (rc <= 0)
			break;
		copied += rc;
	}
	ktls_rx_read_done(sk, kctx);
	ktls_owner_release(&kctx->rx_sw.reader);
	return copied ? copied : rc;
}

/**
 * ktls_rx_ioctl() - ioctl of a socket with RX keys
 * @sk: the socket
 * @cmd: the request
 * @arg: its argument (see ktls_ioctl_arg_t in compat.h)
 *
 * SIOCINQ counts, as upstream's does, the bytes received and not yet
 * decrypted: TCP's queue plus what the parser already took out of it for
 * the record being assembled. Records decrypted but not read are not
 * counted (upstream does not count them either). Anything else is TCP's.
 *
 * Return: 0 or a negative errno.
 */
int ktls_rx_ioctl(struct sock *sk, int cmd, ktls_ioctl_arg_t arg)
{
	struct ktls_context *kctx = ktls_sk_ctx(sk);
	bool slow;
	int inq;

	if (cmd != SIOCINQ)
		return kctx->base.sk_proto->ioctl(sk, cmd, arg);
	if (sk->sk_state == TCP_LISTEN)
		return -EINVAL;
	/* Softirq is off: the parser cannot move bytes between the two. */
	slow = lock_sock_fast(sk);
	inq = tcp_inq(sk) + kctx->rx_sw.have;
	unlock_sock_fast(sk, slow);
	return ktls_ioctl_put_int(arg, inq);
}

/**
 * ktls_rx_poll_mask() - RX readiness of a TLS socket
 * @sk: the socket
 * @mask: what TCP's poll reported
 *
 * Readable means a whole record (or an error, or EOF), never a record's
 * first bytes: a reader woken for half a record would block. EOF and
 * non-established states keep TCP's answer, as upstream.
 *
 * Return: @mask, with EPOLLIN set exactly when a record is ready.
 */
__poll_t ktls_rx_poll_mask(struct sock *sk, __poll_t mask)
{
	struct ktls_context *kctx = ktls_sk_ctx(sk);

	if (inet_sk_state_load(sk) != TCP_ESTABLISHED ||
	    READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN)
		return mask;
	/*
	 * The parser moves records out of TCP, so TCP cannot tell -- but
	 * for the bytes it left there for a TCP reader, which our readers
	 * take when they come.
	 */
	if (READ_ONCE(kctx->rx_sw.ready) ||
	    ktls_rx_left_to_tcp(sk, &kctx->rx_sw))
		mask |= EPOLLIN | EPOLLRDNORM;
	else
		mask &= ~(EPOLLIN | EPOLLRDNORM);
	return mask;
}

/*
 * RX keys are set: a device that can decrypt for this socket first,
 * software otherwise. Records go through the same parser and reads
 * either way; ktls_rx_open_cur() is where the two differ.
 */
void ktls_rx_configure(struct sock *sk, struct ktls_context *kctx)
{
	kctx->base.rx_conf = ktls_dev_rx_start(sk, kctx) ? TLS_SW : TLS_HW;
}

/**
 * ktls_rx_start() - begin receiving records (TLS_RX was set)
 * @sk: the socket, locked
 * @kctx: its context, keys installed
 *
 * Bytes already queued in TCP are the first record's: parse them now and
 * wake anyone already polling.
 */
void ktls_rx_start(struct sock *sk, struct ktls_context *kctx)
{
	struct ktls_rx_sw *rx = &kctx->rx_sw;

	rx->sk = sk;
	write_lock_bh(&sk->sk_callback_lock);
	rx->saved_data_ready = sk->sk_data_ready;
	WRITE_ONCE(sk->sk_data_ready, ktls_parser_data_ready);
	rx->started = true;
	write_unlock_bh(&sk->sk_callback_lock);

	/* Bytes a TCP reader is still waiting for are its own. */
	WRITE_ONCE(rx->tcp_reader, ktls_parser_tcp_reader(sk));
	if (!rx->tcp_reader)
		ktls_parser_advance(sk, kctx, GFP_KERNEL);
	ktls_rx_update_ready(rx);
	if (rx->ready)
		rx->saved_data_ready(sk);
}

/**
 * ktls_rx_stop() - give sk_data_ready back (close)
 * @sk: the socket, locked
 * @kctx: its context
 *
 * Softirq cannot be in our data_ready while we own the socket, and the
 * retry work checks @started under the lock; the caller cancels the work
 * after releasing the lock. Records not read are freed here, while their
 * memory can still be given back to the socket.
 */
void ktls_rx_stop(struct sock *sk, struct ktls_context *kctx)
{
	struct ktls_rx_sw *rx = &kctx->rx_sw;
	struct ktls_rx_rec *rec, *tmp;

	if (!rx->started)
		return;
	write_lock_bh(&sk->sk_callback_lock);
	WRITE_ONCE(sk->sk_data_ready, rx->saved_data_ready);
	rx->started = false;
	write_unlock_bh(&sk->sk_callback_lock);

	list_for_each_entry_safe(rec, tmp, &rx->plain, list)
		ktls_rx_free_rec(rx, rec);
	/* The NIC stops looking at our packets: nothing is parsed now. */
	if (ktls_rx_offloaded(kctx) || rx->dev_rejoin.state)
		ktls_dev_detach_rx(&kctx->base);
}
