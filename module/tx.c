// SPDX-License-Identifier: GPL-2.0
/*
 * TX framing: application bytes (sendmsg, and splice/sendfile through it)
 * are cut into TLS records, copied into memory carved for the record
 * (tx_rec.c; spliced pages kept by reference where the seal reads them,
 * or where a device sends them with TLS_TX_ZEROCOPY_RO),
 * sealed by the socket's TX configuration (kctx->tx_ops: software
 * encryption, tx_sw.c) and handed to TCP (tx_push.c). The end of the
 * stream (shutdown, close) is in tx_end.c.
 *
 * A socket has at most one open record (taking plaintext) and a short
 * queue of sealed records TCP has not taken in full yet. sendmsg,
 * splice_eof, shutdown and a TX rekey touch them as the TX owner
 * (ktls_tx_lock(): one at a time, held across their waits for memory,
 * waited for interruptibly and within SO_SNDTIMEO); the worker only while
 * nobody owns TX; close when nobody else can, after the worker is
 * disabled.
 */
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/tls_prot.h>

#include "tls.h"
#include "tx.h"

#define KTLS_TX_MSG_FLAGS	(MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL | \
				 MSG_CMSG_COMPAT | MSG_SPLICE_PAGES | \
				 MSG_EOR | MSG_SENDPAGE_NOPOLICY)

/*
 * The record takes the current sequence number: never the last one (the
 * connection fails instead, ktls_record_seq_last()), so that no nonce is
 * used twice under one key.
 */
static int ktls_tx_seal(struct sock *sk, struct ktls_context *kctx,
			struct ktls_tx_rec *rec, bool defer)
{
	struct tls_prot_info *prot = &kctx->base.prot_info;
	int rc;

	if (ktls_record_seq_last(prot, &kctx->base.tx)) {
		kctx->txsw.err = -EBADMSG;
		return -EBADMSG;
	}
	rc = kctx->tx_ops->seal(sk, kctx, rec, defer);
	if (rc)
		return rc;
	/*
	 * Cannot fail: the check above left this record a successor. Were
	 * it ever reached, the error keeps the next seal from reusing the
	 * nonce.
	 */
	if (WARN_ON_ONCE(ktls_record_advance(prot, &kctx->base.tx)))
		kctx->txsw.err = -EBADMSG;
	return 0;
}

/*
 * Seal the open record (kctx->tx_ops) and queue it for TCP; with @defer
 * it may still be in flight (ktls_tx_settle()). An empty record is simply
 * dropped (CVE-2023-52767 class). Without memory the record stays open;
 * if sealing failed otherwise it is freed, never sent, and its bytes are
 * counted in tx->dropped.
 */
int ktls_tx_close_open(struct sock *sk, struct ktls_context *kctx,
		       long *timeo, bool defer)
{
	struct tls_prot_info *prot = &kctx->base.prot_info;
	struct ktls_tx_rec *rec = kctx->txsw.open;
	struct ktls_tx *tx = &kctx->txsw;
	int rc;

	if (!rec)
		return 0;
	if (tx->err)
		return tx->err;
	if (rec->plain_len) {
		rc = ktls_tx_reserve_wait(sk, kctx, rec,
					  ktls_record_wire_len(prot,
							       rec->plain_len),
					  timeo);
		if (rc)
			return rc;
		rc = ktls_tx_seal(sk, kctx, rec, defer);
		if (rc == -ENOMEM)
			return rc;
		/* TX may change key or configuration before TCP has it all. */
		rec->push_flags = kctx->tx_ops->push_flags;
		rec->key_gen = tx->key_gen;
	} else {
		rc = -ENODATA;
	}
	tx->open = NULL;
	if (rc) {
		if (rc != -ENODATA)
			tx->dropped += rec->plain_len;
		ktls_tx_rec_free(sk, rec);
		return rc == -ENODATA ? 0 : rc;
	}
	list_add_tail(&rec->list, &tx->queue);
	WRITE_ONCE(tx->queued, true);
	return 0;
}

/*
 * Push what is queued unless @rc (what came before) is an error, and
 * report a TX that failed. Bytes left queued are not an error.
 */
static int ktls_tx_push_report(struct sock *sk, struct ktls_context *kctx,
			       int flags, long *timeo, int rc)
{
	if (!rc)
		rc = ktls_tx_push_wait(sk, kctx, flags, timeo);
	else if (kctx->txsw.nflight)
		ktls_tx_push(sk, kctx);	/* what was sealed before it goes */
	if (kctx->txsw.err)
		ktls_tx_report(sk, kctx);
	return rc == -EAGAIN ? 0 : rc;
}

/*
 * Close the open record and push, unless (@defer) it went in flight and
 * the flight has room for the next: it is pushed with those after it.
 * Bytes left queued are not an error.
 */
static int ktls_tx_close_push_defer(struct sock *sk, struct ktls_context *kctx,
				    int flags, long *timeo, bool defer)
{
	u8 before = kctx->txsw.nflight;
	int rc;

	rc = ktls_tx_close_open(sk, kctx, timeo, defer);
	if (!rc && kctx->txsw.nflight > before &&
	    kctx->txsw.nflight < KTLS_TX_FLIGHT)
		return 0;
	return ktls_tx_push_report(sk, kctx, flags, timeo, rc);
}

int ktls_tx_close_push(struct sock *sk, struct ktls_context *kctx,
		       int flags, long *timeo)
{
	return ktls_tx_close_push_defer(sk, kctx, flags, timeo, false);
}

/* First send: what the configuration needs, and the sk_write_space hook. */
static int ktls_tx_setup(struct sock *sk, struct ktls_context *kctx)
{
	int rc;

	if (kctx->txsw.started)
		return 0;
	rc = kctx->tx_ops->setup(sk, kctx);
	if (rc)
		return rc;
	ktls_tx_push_start(sk, kctx);
	kctx->txsw.started = true;
	return 0;
}

/*
 * TX keys are set: choose the configuration that seals records. This is
 * the one dispatch point between configurations: a device that can
 * encrypt for this socket first, software otherwise.
 */
void ktls_tx_configure(struct sock *sk, struct ktls_context *kctx)
{
	kctx->tx_ops = ktls_dev_tx_ops(sk, kctx) ?: &ktls_tx_sw_ops;
	kctx->base.tx_conf = kctx->tx_ops->conf;
}

/*
 * TLS_SET_RECORD_TYPE: the content type of this call's bytes. Such a
 * record never stays open, so MSG_MORE is refused with it. Like upstream,
 * control messages without it are refused too.
 */
static int ktls_tx_cmsg_type(struct msghdr *msg, u8 *type)
{
	struct cmsghdr *cmsg;
	int rc = -EINVAL;

	for_each_cmsghdr(cmsg, msg) {
		if (!CMSG_OK(msg, cmsg))
			return -EINVAL;
		if (cmsg->cmsg_level != SOL_TLS)
			continue;
		if (cmsg->cmsg_type != TLS_SET_RECORD_TYPE ||
		    cmsg->cmsg_len < CMSG_LEN(sizeof(*type)) ||
		    (msg->msg_flags & MSG_MORE))
			return -EINVAL;
		*type = *(u8 *)CMSG_DATA(cmsg);
		rc = 0;
	}
	return rc;
}

/*
 * Make sure there is an open record of @type. Before a new one starts,
 * the encrypted ones must have gone to TCP: what a socket holds beyond
 * TCP's send buffer stays bounded to about two records, and the records
 * of one call in flight (KTLS_TX_FLIGHT), which are pushed together.
 */
static int ktls_tx_open_rec(struct sock *sk, struct ktls_context *kctx,
			    u8 type, int flags, long *timeo)
{
	struct ktls_tx *tx = &kctx->txsw;
	int rc;

	if (tx->open)
		return 0;
	rc = tx->nflight ? 0 : ktls_tx_push_wait(sk, kctx, flags, timeo);
	if (rc)
		return rc;
	tx->open = ktls_tx_rec_new(sk, type);
	return tx->open ? 0 : -ENOMEM;
}

/*
 * Payload bytes the open record still takes: up to the payload limit, or
 * once it ran out of chunks, up to the memory it has.
 */
static u32 ktls_tx_room(struct ktls_context *kctx)
{
	const struct tls_prot_info *prot = &kctx->base.prot_info;
	const struct ktls_tx_rec *rec = kctx->txsw.open;
	u32 max = READ_ONCE(kctx->tx_max_payload);
	u32 len = rec->plain_len;

	if (rec->full)
		max = min(max, rec->cap - prot->overhead_size);
	return len < max ? max - len : 0;
}

/*
 * Memory for the open record's whole wire length with @len more bytes:
 * so sealing it never needs more. A record that ran out of chunks (its
 * carves met other sockets' in the task's fragment) ends at the memory
 * it has. One without payload yet (earlier attempts failed) gives its
 * memory back and starts over, which always fits.
 */
static int ktls_tx_fill_reserve(struct sock *sk, struct ktls_context *kctx,
				u32 len, long *timeo)
{
	struct ktls_tx_rec *rec = kctx->txsw.open;
	u32 wire = ktls_record_wire_len(&kctx->base.prot_info,
					rec->plain_len + len);
	int rc;

	rc = ktls_tx_reserve_wait(sk, kctx, rec, wire, timeo);
	if (rc == -ENOSPC && !rec->plain_len) {
		ktls_tx_rec_release(sk, rec);
		rc = ktls_tx_reserve_wait(sk, kctx, rec, wire, timeo);
	}
	if (rc != -ENOSPC)
		return rc;
	if (WARN_ON_ONCE(!rec->plain_len))
		return -ENOMEM;
	rec->full = true;
	return 0;
}

/*
 * Whether the configuration's seal reads payload where it lies
 * (ktls_tx_rec->refs), and the cipher reads it only once: bytes another
 * thread changes meanwhile are then encrypted as read, under a tag that
 * covers them as read.
 */
static bool ktls_tx_seal_reads_refs(const struct ktls_context *kctx)
{
	return kctx->tx_ops->seals_refs &&
	       !ktls_cipher_reads_text_twice(kctx->base.crypto_send.info.cipher_type);
}

/*
 * Spliced pages (sendfile, splice) are left where they are: until the
 * record is sealed, if the seal reads them there; until it is freed, if
 * TCP and the device take them by reference and the application promised
 * not to change them meanwhile (TLS_TX_ZEROCOPY_RO: the NIC reads them at
 * transmit, and again for a retransmission).
 */
static bool ktls_tx_splices_refs(const struct ktls_context *kctx,
				 const struct msghdr *msg)
{
	if (!(msg->msg_flags & MSG_SPLICE_PAGES) ||
	    !iov_iter_is_bvec(&msg->msg_iter))
		return false;
	if (kctx->tx_ops->sends_refs)
		return kctx->base.zerocopy_sendfile;
	return ktls_tx_seal_reads_refs(kctx);
}

/* Without MSG_MORE, or of another type than data, a call ends its record. */
static bool ktls_tx_call_ends_rec(const struct msghdr *msg, u8 type)
{
	return !(msg->msg_flags & MSG_MORE) || type != TLS_RECORD_TYPE_DATA;
}

/*
 * The sender's own memory is read in place too (saving a copy, as
 * upstream does) where the record is sealed within this call: @len bytes
 * fill it, or are the call's last and the call ends it. A call that
 * leaves it open after all copies them before it returns
 * (ktls_tx_rec_unpin()).
 */
static bool ktls_tx_pins_user(struct ktls_context *kctx,
			      struct msghdr *msg, size_t len)
{
	const struct ktls_tx_rec *rec = kctx->txsw.open;

	return user_backed_iter(&msg->msg_iter) &&
	       ktls_tx_seal_reads_refs(kctx) &&
	       (len == ktls_tx_room(kctx) ||
		(len == msg_data_left(msg) &&
		 ktls_tx_call_ends_rec(msg, rec->type)));
}

/* Copy (or reference) as much of @msg as the open record takes. */
static int ktls_tx_fill(struct sock *sk, struct ktls_context *kctx,
			struct msghdr *msg, long *timeo, size_t *copied)
{
	struct tls_prot_info *prot = &kctx->base.prot_info;
	struct ktls_tx_rec *rec = kctx->txsw.open;
	u32 off = prot->prepend_size + rec->plain_len;
	size_t len, done;
	int rc;

	len = min_t(size_t, msg_data_left(msg), ktls_tx_room(kctx));
	rc = ktls_tx_fill_reserve(sk, kctx, len, timeo);
	if (rc)
		return rc;
	/*
	 * The limit may have shrunk while the wait dropped the socket lock,
	 * or the record ran out of chunks.
	 */
	len = min_t(size_t, len, ktls_tx_room(kctx));
	if (ktls_tx_splices_refs(kctx, msg))
		done = ktls_tx_rec_splice_in(rec, off, &msg->msg_iter, len);
	else if (ktls_tx_pins_user(kctx, msg, len))
		done = ktls_tx_rec_pin_in(rec, off, &msg->msg_iter, len);
	else
		done = ktls_tx_rec_copy_in(rec, off, &msg->msg_iter, len);
	rec->plain_len += done;
	*copied += done;
	return done < len ? -EFAULT : 0;
}

/*
 * Cut @msg into records of @type; full ones are encrypted and pushed.
 * @timeo is what is left of the call's SO_SNDTIMEO, shared by its waits.
 */
static int ktls_tx_copy_loop(struct sock *sk, struct ktls_context *kctx,
			     struct msghdr *msg, u8 type, size_t *copied,
			     long *timeo)
{
	int flags = msg->msg_flags & MSG_DONTWAIT;
	int rc = 0, rc2 = 0;

	while (!rc && msg_data_left(msg)) {
		rc = ktls_tx_check(sk, kctx);
		if (!rc)
			rc = ktls_tx_open_rec(sk, kctx, type, flags, timeo);
		if (!rc)
			rc = ktls_tx_fill(sk, kctx, msg, timeo, copied);
		/* More of the call to come: the record may stay in flight. */
		if (!rc && !ktls_tx_room(kctx))
			rc = ktls_tx_close_push_defer(sk, kctx, flags, timeo,
						      msg_data_left(msg));
	}
	/*
	 * Without MSG_MORE the record ends here, even after an error, and
	 * what is queued is pushed (a zero-length send() included). Records
	 * still in flight are settled and pushed before the call returns.
	 */
	if (ktls_tx_call_ends_rec(msg, type))
		rc2 = ktls_tx_close_push(sk, kctx, flags, timeo);
	else if (kctx->txsw.nflight)
		rc2 = ktls_tx_push_report(sk, kctx, flags, timeo, 0);
	return rc ? rc : rc2;
}

/*
 * The end of a send() that accepted @copied bytes: nothing stays in
 * flight, a TX that failed in this call (maybe within a wait) is
 * reported, and the count returned leaves out what will never be sent.
 */
static size_t ktls_tx_call_end(struct sock *sk, struct ktls_context *kctx,
			       int err_before, size_t copied)
{
	struct ktls_tx *tx = &kctx->txsw;

	/* The caller's buffer is its own again once this returns. */
	ktls_tx_rec_unpin(tx->open);
	ktls_tx_settle(sk, kctx);
	if (tx->err && !err_before)
		ktls_tx_report(sk, kctx);
	/* A failed TX never sends the open record either. */
	if (tx->err && tx->open)
		tx->dropped += tx->open->plain_len;
	/*
	 * Records that could not be sealed are gone, and so is what this
	 * call put in them: those bytes are not counted as sent, as
	 * upstream does not count them.
	 */
	return copied - min_t(size_t, copied, tx->dropped);
}

static int ktls_tx_sendmsg_locked(struct sock *sk, struct ktls_context *kctx,
				  struct msghdr *msg, long *timeo)
{
	struct ktls_tx *tx = &kctx->txsw;
	u8 type = TLS_RECORD_TYPE_DATA;
	size_t copied = 0;
	int rc, err_before;

	rc = ktls_tx_setup(sk, kctx);
	if (!rc && msg->msg_controllen)
		rc = ktls_tx_cmsg_type(msg, &type);
	if (rc)
		return rc;
	tx->push_flags = msg->msg_flags & MSG_DONTWAIT;

	/* A record of another type, or any with a cmsg, is never merged. */
	if (tx->open && (msg->msg_controllen || tx->open->type != type)) {
		rc = ktls_tx_close_push(sk, kctx, tx->push_flags, timeo);
		if (rc)
			return sk_stream_error(sk, msg->msg_flags, rc);
	}
	tx->dropped = 0;
	err_before = tx->err;
	rc = ktls_tx_copy_loop(sk, kctx, msg, type, &copied, timeo);
	copied = ktls_tx_call_end(sk, kctx, err_before, copied);
	if (copied)
		return copied;
	return rc ? sk_stream_error(sk, msg->msg_flags, rc) : 0;
}

/* proto->sendmsg of sockets with TX keys; also reached by splice/sendfile. */
int ktls_tx_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct ktls_context *kctx = ktls_sk_ctx(sk);
	long timeo;
	int rc;

	if (msg->msg_flags & ~KTLS_TX_MSG_FLAGS)
		return -EOPNOTSUPP;
	if ((msg->msg_flags & (MSG_MORE | MSG_EOR)) == (MSG_MORE | MSG_EOR))
		return -EINVAL;

	lock_sock(sk);
	timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	rc = ktls_tx_lock(sk, kctx, &timeo);
	if (!rc) {
		rc = ktls_tx_sendmsg_locked(sk, kctx, msg, &timeo);
		ktls_tx_unlock(sk, kctx);
	}
	release_sock(sk);
	return rc;
}

/*
 * A splice ended without SPLICE_F_MORE: the open record ends too. If TX
 * cannot be had in time the record stays open, to be closed by the next
 * send, shutdown or close.
 */
void ktls_tx_splice_eof(struct socket *sock)
{
	struct ktls_context *kctx = ktls_sk_ctx(sock->sk);
	struct sock *sk = sock->sk;
	long timeo;

	lock_sock(sk);
	timeo = sock_sndtimeo(sk, kctx->txsw.push_flags & MSG_DONTWAIT);
	if (!ktls_tx_lock(sk, kctx, &timeo)) {
		ktls_tx_close_push(sk, kctx, kctx->txsw.push_flags, &timeo);
		ktls_tx_unlock(sk, kctx);
	}
	release_sock(sk);
}

/*
 * Whether a partly filled record is waiting for more data. Options that
 * change how records are cut (TLS_TX_MAX_PAYLOAD_LEN) must not change it
 * under an open record.
 */
bool ktls_tx_record_open(const struct ktls_context *kctx)
{
	const struct ktls_tx_rec *rec = kctx->txsw.open;

	return rec && rec->plain_len;
}

/*
 * Key update (keyupdate.c), as the TX owner: the open record was filled
 * for the old key, so it is encrypted and queued before the key changes.
 */
int ktls_tx_flush_open(struct sock *sk, struct ktls_context *kctx)
{
	long nowait = 0;
	int rc;

	if (!kctx->txsw.open)
		return 0;
	rc = ktls_tx_close_push(sk, kctx, MSG_DONTWAIT, &nowait);
	/* No memory to close it now: the key may not change under it. */
	if (!rc && kctx->txsw.open)
		rc = -EAGAIN;
	return rc;
}

void ktls_tx_init(struct ktls_context *kctx)
{
	ktls_owner_init(&kctx->txsw.owner);
	INIT_LIST_HEAD(&kctx->txsw.queue);
	INIT_DELAYED_WORK(&kctx->txsw.work, ktls_tx_work);
}

/* Close, before the socket lock: the worker never runs again after this. */
void ktls_tx_stop(struct ktls_context *kctx)
{
	disable_delayed_work_sync(&kctx->txsw.work);
}
