// SPDX-License-Identifier: GPL-2.0
/*
 * Software TX. Application bytes are copied into pages allocated for one
 * TLS record, encrypted there and handed to TCP by reference
 * (MSG_SPLICE_PAGES). The pages are always our own: neither user memory
 * nor page cache pages reached through splice are ever written
 * (CVE-2024-0646 class).
 *
 * A socket has at most one open record (taking plaintext) and a short
 * queue of encrypted records TCP has not taken in full yet. sendmsg,
 * splice_eof, shutdown and a TX rekey touch them as the TX owner
 * (ktls_tx_lock(): one at a time, held across their waits for memory,
 * waited for interruptibly and within SO_SNDTIMEO); the worker only while
 * nobody owns TX; close when nobody else can, after the worker is
 * disabled.
 *
 * A byte send() accepted reaches TCP before our FIN: what TCP could not
 * take yet stays queued, and shutdown(SHUT_WR) and close hand all of it to
 * TCP before TCP's own shutdown (ktls_tx_flush_all()), unless the
 * connection failed, SO_LINGER 0 resets it, or memory pressure beyond
 * TCP's limits outlasts the caller's time (shutdown then fails and sends
 * no FIN; close drops it).
 *
 * Encryption waits for the AEAD to finish, also when the transform is
 * asynchronous (cryptd): a request never outlives the call that made it,
 * so no completion can race close.
 */
#include <crypto/aead.h>
#include <linux/bvec.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/tls_prot.h>

#include "tls.h"

#define KTLS_TX_TAG_MAX		16
/* The longest record on the wire, with any cipher and version. */
#define KTLS_TX_REC_MAX		(TLS_HEADER_SIZE + TLS_MAX_IV_SIZE + \
				 TLS_MAX_PAYLOAD_SIZE + 1 + KTLS_TX_TAG_MAX)
#define KTLS_TX_REC_PAGES	DIV_ROUND_UP(KTLS_TX_REC_MAX, PAGE_SIZE)

#define KTLS_TX_MSG_FLAGS	(MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL | \
				 MSG_CMSG_COMPAT | MSG_SPLICE_PAGES | \
				 MSG_EOR | MSG_SENDPAGE_NOPOLICY)

/*
 * One record, laid out as it goes on the wire over @pages: header (and
 * TLS 1.2 explicit nonce), payload, TLS 1.3 content type, tag.
 */
struct ktls_tx_rec {
	struct list_head list;
	struct page *pages[KTLS_TX_REC_PAGES];
	u32 npages;		/* allocated and charged to the socket */
	u32 plain_len;		/* payload bytes copied in */
	u32 wire_len;		/* length once encrypted, else 0 */
	u32 sent;		/* bytes TCP has taken */
	u8 type;		/* content type */
};

static struct ktls_tx_rec *ktls_tx_rec_new(struct sock *sk, u8 type)
{
	struct ktls_tx_rec *rec;

	rec = kzalloc(sizeof(*rec), sk->sk_allocation);
	if (rec)
		rec->type = type;
	return rec;
}

/* TCP holds its own references to whatever it took. */
static void ktls_tx_rec_free(struct sock *sk, struct ktls_tx_rec *rec)
{
	u32 i;

	for (i = 0; i < rec->npages; i++)
		put_page(rec->pages[i]);
	sk_mem_uncharge(sk, rec->npages * PAGE_SIZE);
	kfree(rec);
}

/* Give @rec pages for its first @len bytes, charged to the socket. */
static int ktls_tx_rec_reserve(struct sock *sk, struct ktls_tx_rec *rec,
			       u32 len)
{
	u32 need = DIV_ROUND_UP(len, PAGE_SIZE);
	struct page *page;

	if (WARN_ON_ONCE(need > KTLS_TX_REC_PAGES))
		return -EINVAL;
	while (rec->npages < need) {
		if (!sk_wmem_schedule(sk, PAGE_SIZE))
			return -ENOMEM;
		page = alloc_page(sk->sk_allocation | __GFP_NOWARN);
		if (!page)
			return -ENOMEM;
		sk_mem_charge(sk, PAGE_SIZE);
		rec->pages[rec->npages++] = page;
	}
	return 0;
}

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
static int ktls_tx_check(struct sock *sk, struct ktls_context *kctx)
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
static int ktls_tx_wait(struct sock *sk, struct ktls_context *kctx,
			long *timeo, bool flushing)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	long nap, left;
	int rc;

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

static int ktls_tx_wait_room(struct sock *sk, struct ktls_context *kctx,
			     long *timeo)
{
	return ktls_tx_wait(sk, kctx, timeo, false);
}

/* As above, waiting for memory (SO_SNDTIMEO, signals, shutdown). */
static int ktls_tx_reserve_wait(struct sock *sk, struct ktls_context *kctx,
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

static u8 *ktls_tx_rec_byte(struct ktls_tx_rec *rec, u32 off)
{
	return (u8 *)page_address(rec->pages[off / PAGE_SIZE]) +
	       off % PAGE_SIZE;
}

/* Point @sg at bytes [@off, @off + @len) of @rec; returns entries used. */
static int ktls_tx_rec_to_sg(struct ktls_tx_rec *rec, struct scatterlist *sg,
			     u32 off, u32 len)
{
	int n = 0;

	while (len) {
		u32 poff = off % PAGE_SIZE;
		u32 seg = min_t(u32, len, PAGE_SIZE - poff);

		sg_set_page(&sg[n++], rec->pages[off / PAGE_SIZE], seg, poff);
		off += seg;
		len -= seg;
	}
	return n;
}

/* The same range as bio_vecs, for TCP. */
static int ktls_tx_rec_to_bvec(struct ktls_tx_rec *rec, struct bio_vec *bv,
			       u32 off, u32 len)
{
	int n = 0;

	while (len) {
		u32 poff = off % PAGE_SIZE;
		u32 seg = min_t(u32, len, PAGE_SIZE - poff);

		bvec_set_page(&bv[n++], rec->pages[off / PAGE_SIZE], seg, poff);
		off += seg;
		len -= seg;
	}
	return n;
}

/* Copy up to @len bytes from @from to offset @off of @rec. */
static size_t ktls_tx_rec_copy_in(struct ktls_tx_rec *rec, u32 off,
				  struct iov_iter *from, size_t len)
{
	size_t done = 0;

	while (done < len) {
		u32 poff = (off + done) % PAGE_SIZE;
		size_t seg = min_t(size_t, len - done, PAGE_SIZE - poff);
		size_t n;

		n = copy_page_from_iter(rec->pages[(off + done) / PAGE_SIZE],
					poff, seg, from);
		done += n;
		if (n < seg)
			break;
	}
	return done;
}

/*
 * The socket may never send another record: the sequence is exhausted or
 * the cipher failed. Reported like TCP reports errors, once the records
 * already encrypted are with TCP (a set sk_err stops TCP taking them).
 */
static void ktls_tx_report(struct sock *sk, struct ktls_context *kctx)
{
	WRITE_ONCE(sk->sk_err, -kctx->txsw.err);
	sk_error_report(sk);
}

/* Run the AEAD over @sg in place and wait for it, even if it is async. */
static int ktls_tx_aead_run(struct ktls_context *kctx, struct scatterlist *sg,
			    u32 cryptlen)
{
	struct aead_request *req = kctx->txsw.req;
	DECLARE_CRYPTO_WAIT(wait);

	aead_request_set_tfm(req, kctx->tx_aead);
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				  CRYPTO_TFM_REQ_MAY_SLEEP,
				  crypto_req_done, &wait);
	aead_request_set_ad(req, kctx->base.prot_info.aad_size);
	aead_request_set_crypt(req, sg, sg, cryptlen, kctx->txsw.iv);
	return crypto_wait_req(crypto_aead_encrypt(req), &wait);
}

/*
 * Frame and encrypt @rec (pages already cover its wire length) with the
 * current sequence number, then move the sequence on. A record that could
 * not be encrypted is never sent; if the sequence cannot move on, this
 * record still goes out but no later one can.
 */
static int ktls_tx_encrypt(struct sock *sk, struct ktls_context *kctx,
			   struct ktls_tx_rec *rec)
{
	struct tls_prot_info *prot = &kctx->base.prot_info;
	struct scatterlist sg[KTLS_TX_REC_PAGES + 1];
	struct cipher_context *cc = &kctx->base.tx;
	u32 cryptlen = rec->plain_len + prot->tail_size;
	u8 *nonce = cc->iv + prot->salt_size;
	int n, rc;

	ktls_record_fill_header(prot, ktls_tx_rec_byte(rec, 0), rec->type,
				rec->plain_len, nonce);
	if (prot->tail_size)
		*ktls_tx_rec_byte(rec, prot->prepend_size + rec->plain_len) =
			rec->type;
	ktls_record_fill_aad(prot, kctx->txsw.aad, rec->type, rec->plain_len,
			     cc->rec_seq);
	ktls_record_fill_iv(prot, kctx->txsw.iv, cc->iv, cc->rec_seq, nonce);

	sg_init_table(sg, ARRAY_SIZE(sg));
	sg_set_buf(&sg[0], kctx->txsw.aad, prot->aad_size);
	n = ktls_tx_rec_to_sg(rec, &sg[1], prot->prepend_size,
			      cryptlen + prot->tag_size);
	sg_mark_end(&sg[n]);

	rc = ktls_tx_aead_run(kctx, sg, cryptlen);
	if (rc) {
		kctx->txsw.err = -EBADMSG;
		return rc;
	}
	rec->wire_len = ktls_record_wire_len(prot, rec->plain_len);
	if (ktls_record_advance(prot, cc))
		kctx->txsw.err = -EBADMSG;
	return 0;
}

/*
 * Encrypt the open record and queue it for TCP. An empty record is simply
 * dropped (CVE-2023-52767 class). On error the record stays open, except
 * when the cipher failed: then it is freed, never sent.
 */
static int ktls_tx_close_open(struct sock *sk, struct ktls_context *kctx,
			      long *timeo)
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
		rc = ktls_tx_encrypt(sk, kctx, rec);
	} else {
		rc = -ENODATA;
	}
	tx->open = NULL;
	if (rc) {
		ktls_tx_rec_free(sk, rec);
		return rc == -ENODATA ? 0 : rc;
	}
	list_add_tail(&rec->list, &tx->queue);
	WRITE_ONCE(tx->queued, true);
	return 0;
}

/*
 * Hand TCP what it has not taken of @rec, without waiting: waits happen
 * in ktls_tx_wait_room(), which a shutdown can end. Return: 0 once TCP
 * has all of it, -EAGAIN when it has no room. A failed or shut down
 * socket is not asked at all: TCP would consume the pending error
 * (sock_error()) that the application is still to see.
 */
static int ktls_tx_push_rec(struct sock *sk, struct ktls_tx_rec *rec)
{
	struct bio_vec bvec[KTLS_TX_REC_PAGES];
	struct msghdr msg = {
		.msg_flags = MSG_SPLICE_PAGES | MSG_NOSIGNAL | MSG_DONTWAIT,
	};
	u32 left = rec->wire_len - rec->sent;
	int n, rc;

	if (READ_ONCE(sk->sk_err) ||
	    READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN)
		return -EPIPE;
	n = ktls_tx_rec_to_bvec(rec, bvec, rec->sent, left);
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, bvec, n, left);
	while (left) {
		tcp_rate_check_app_limited(sk);
		rc = tcp_sendmsg_locked(sk, &msg, left);
		if (rc <= 0)
			return rc ? rc : -EAGAIN;
		rec->sent += rc;
		left -= rc;
	}
	return 0;
}

/*
 * Push queued records in order, as far as TCP takes them now; the rest
 * stays queued, and the sk_write_space hook schedules the worker once
 * TCP has room again.
 */
static int ktls_tx_push(struct sock *sk, struct ktls_context *kctx)
{
	struct ktls_tx *tx = &kctx->txsw;
	struct ktls_tx_rec *rec, *tmp;
	int rc = 0;

	list_for_each_entry_safe(rec, tmp, &tx->queue, list) {
		rc = ktls_tx_push_rec(sk, rec);
		if (rc)
			break;
		list_del(&rec->list);
		ktls_tx_rec_free(sk, rec);
	}
	WRITE_ONCE(tx->queued, !list_empty(&tx->queue));
	return rc;
}

/* Push, waiting for room unless @flags has MSG_DONTWAIT. */
static int ktls_tx_push_wait(struct sock *sk, struct ktls_context *kctx,
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

/* Close the open record and push. Bytes left queued are not an error. */
static int ktls_tx_close_push(struct sock *sk, struct ktls_context *kctx,
			      int flags, long *timeo)
{
	int rc;

	rc = ktls_tx_close_open(sk, kctx, timeo);
	if (!rc)
		rc = ktls_tx_push_wait(sk, kctx, flags, timeo);
	if (kctx->txsw.err)
		ktls_tx_report(sk, kctx);
	return rc == -EAGAIN ? 0 : rc;
}

/*
 * What the record layer still holds beyond TCP, in bytes on the wire (an
 * open record counted at its largest).
 */
static u32 ktls_tx_held(const struct ktls_tx *tx)
{
	const struct ktls_tx_rec *rec;
	u32 held = tx->open ? KTLS_TX_REC_MAX : 0;

	list_for_each_entry(rec, &tx->queue, list)
		held += rec->wire_len - rec->sent;
	return held;
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
	rc = ktls_tx_close_open(sk, kctx, &nowait);
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

static void ktls_tx_write_space(struct sock *sk)
{
	struct ktls_context *kctx = ktls_ctx(tls_get_ctx(sk));

	/* After a shutdown nothing can go: close frees what is left. */
	if (READ_ONCE(kctx->txsw.queued) &&
	    !(READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN))
		schedule_delayed_work(&kctx->txsw.work, 0);
	kctx->base.sk_write_space(sk);
}

/*
 * Push what sendmsg left queued, once TCP has room. While a caller owns
 * TX (asleep, its records in hand) the worker stands aside; the owner
 * runs it again when it lets go (ktls_tx_unlock()).
 */
static void ktls_tx_work(struct work_struct *work)
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

/* Give TX up (socket lock held); run the worker if it stood aside. */
void ktls_tx_unlock(struct sock *sk, struct ktls_context *kctx)
{
	struct ktls_tx *tx = &kctx->txsw;

	ktls_owner_release(&tx->owner);
	if (tx->work_missed) {
		tx->work_missed = false;
		schedule_delayed_work(&tx->work, 0);
	}
}

/* First send: the AEAD request and the sk_write_space hook. */
static int ktls_tx_setup(struct sock *sk, struct ktls_context *kctx)
{
	struct aead_request *req;

	if (kctx->txsw.req)
		return 0;
	req = aead_request_alloc(kctx->tx_aead, sk->sk_allocation);
	if (!req)
		return -ENOMEM;
	kctx->txsw.req = req;

	write_lock_bh(&sk->sk_callback_lock);
	kctx->base.sk_write_space = sk->sk_write_space;
	sk->sk_write_space = ktls_tx_write_space;
	write_unlock_bh(&sk->sk_callback_lock);
	return 0;
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
 * TCP's send buffer stays bounded to about two records.
 */
static int ktls_tx_open_rec(struct sock *sk, struct ktls_context *kctx,
			    u8 type, int flags, long *timeo)
{
	struct ktls_tx *tx = &kctx->txsw;
	int rc;

	if (tx->open)
		return 0;
	rc = ktls_tx_push_wait(sk, kctx, flags, timeo);
	if (rc)
		return rc;
	tx->open = ktls_tx_rec_new(sk, type);
	return tx->open ? 0 : -ENOMEM;
}

static u32 ktls_tx_room(struct ktls_context *kctx)
{
	u32 max = READ_ONCE(kctx->tx_max_payload);
	u32 len = kctx->txsw.open->plain_len;

	return len < max ? max - len : 0;
}

/* Copy as much of @msg as the open record takes. */
static int ktls_tx_fill(struct sock *sk, struct ktls_context *kctx,
			struct msghdr *msg, long *timeo, size_t *copied)
{
	struct tls_prot_info *prot = &kctx->base.prot_info;
	struct ktls_tx_rec *rec = kctx->txsw.open;
	u32 off = prot->prepend_size + rec->plain_len;
	size_t len, done;
	int rc;

	len = min_t(size_t, msg_data_left(msg), ktls_tx_room(kctx));
	rc = ktls_tx_reserve_wait(sk, kctx, rec, off + len, timeo);
	if (rc)
		return rc;
	/* The limit may have shrunk while the wait dropped the socket lock. */
	len = min_t(size_t, len, ktls_tx_room(kctx));
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
	int rc = 0;

	while (!rc && msg_data_left(msg)) {
		rc = ktls_tx_check(sk, kctx);
		if (!rc)
			rc = ktls_tx_open_rec(sk, kctx, type, flags, timeo);
		if (!rc)
			rc = ktls_tx_fill(sk, kctx, msg, timeo, copied);
		if (!rc && !ktls_tx_room(kctx))
			rc = ktls_tx_close_push(sk, kctx, flags, timeo);
	}
	/*
	 * Without MSG_MORE the record ends here, even after an error, and
	 * what is queued is pushed (a zero-length send() included).
	 */
	if (!(msg->msg_flags & MSG_MORE) || type != TLS_RECORD_TYPE_DATA) {
		int rc2 = ktls_tx_close_push(sk, kctx, flags, timeo);

		rc = rc ? rc : rc2;
	}
	return rc;
}

static int ktls_tx_sendmsg_locked(struct sock *sk, struct ktls_context *kctx,
				  struct msghdr *msg, long *timeo)
{
	struct ktls_tx *tx = &kctx->txsw;
	u8 type = TLS_RECORD_TYPE_DATA;
	size_t copied = 0;
	int rc;

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
	rc = ktls_tx_copy_loop(sk, kctx, msg, type, &copied, timeo);
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
 * Wake every task asleep on the socket: a sender owning TX must notice a
 * shutdown that waits for it (ktls_tx_wait_room()).
 */
static void ktls_tx_wake_all(struct sock *sk)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_all(&wq->wait);
	rcu_read_unlock();
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

	if (!tx->req)
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

	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_write_space = kctx->base.sk_write_space;
	write_unlock_bh(&sk->sk_callback_lock);
	aead_request_free(tx->req);
	tx->req = NULL;
}
