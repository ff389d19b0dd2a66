// SPDX-License-Identifier: GPL-2.0
/*
 * Zero-copy RX: a whole record decrypted straight into the reader's
 * buffer, whose pages stay pinned until the read has the engine's answer
 * (one record for TLS 1.3, a batch of records for TLS 1.2, below). A TLS
 * 1.2 batch also takes the records of a kernel reader (its buffer is
 * kernel memory, which is not pinned) on an engine that answers later:
 * those are decrypted in place in their record buffer and copied to their
 * place in the reader's buffer once the engine has answered.
 *
 * Into the reader's pages the AEAD runs out of place, so the ciphertext
 * stays intact in the record: when the plaintext turns out not to belong
 * in this buffer (a TLS 1.3 record that is padded or not data, although
 * the peer promised TLS_RX_EXPECT_NO_PAD) the record is decrypted again,
 * under the same sequence number, by the copy path. Whatever landed in
 * the reader's buffer and may not stay there -- a record that failed
 * authentication, a retried one, a copied record after a failed one --
 * is wiped before the reader's call returns, so no unauthenticated or
 * foreign byte is left behind.
 */
#include <crypto/aead.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/tls_prot.h>

#include "tls.h"

/*
 * Pages of the reader's buffer one record may span: a full record's data
 * (16 KiB) over any alignment takes five; the rest lets an iovec of a few
 * segments qualify. Beyond it the copy path is used.
 */
#define KTLS_RX_ZC_PAGES	16

/*
 * One zero-copy decryption; the AEAD request follows it in memory. The
 * TLS 1.3 inner type byte goes to @tail, not to the reader: it is not
 * data, and the reader's buffer need only hold the data.
 */
struct ktls_rx_zc {
	struct list_head list;		/* batch->ops, while in a batch */
	struct ktls_rx_batch *batch;
	struct ktls_rx_rec *rec;	/* the batch's until the engine is done */
	int err;			/* the engine's answer */
	u32 data_len;
	struct scatterlist src[2];	/* AAD, ciphertext and tag */
	struct page *pages[KTLS_RX_ZC_PAGES];
	/* AAD, pages, tail */
	struct scatterlist sg[KTLS_RX_ZC_PAGES + 2];
	unsigned int npages;
	unsigned int nents;
	u32 len;				/* bytes of the buffer in @sg */
	u8 tail;
	bool copy;			/* in place in @rec, then copied to @dst */
	bool copied;
	struct iov_iter dst;		/* copy: its place in the reader's buffer */
};

static struct aead_request *ktls_rx_zc_req(struct ktls_rx_zc *zc)
{
	return PTR_ALIGN((void *)(zc + 1), CRYPTO_MINALIGN);
}

static struct ktls_rx_zc *ktls_rx_zc_alloc(struct crypto_aead *tfm)
{
	struct ktls_rx_zc *zc;

	zc = kmalloc(sizeof(*zc) + CRYPTO_MINALIGN +
		     sizeof(struct aead_request) + crypto_aead_reqsize(tfm),
		     GFP_KERNEL | __GFP_NOWARN);
	if (!zc)
		return NULL;
	zc->npages = 0;
	zc->nents = 1;
	zc->len = 0;
	zc->rec = NULL;
	zc->copy = false;
	zc->copied = false;
	aead_request_set_tfm(ktls_rx_zc_req(zc), tfm);
	return zc;
}

/* Describe the pages just pinned, @n bytes from offset @off of the first. */
static void ktls_rx_zc_add(struct ktls_rx_zc *zc, size_t off, ssize_t n)
{
	while (n > 0) {
		size_t chunk = min_t(size_t, n, PAGE_SIZE - off);

		sg_set_page(&zc->sg[zc->nents++], zc->pages[zc->npages++],
			    chunk, off);
		zc->len += chunk;
		n -= chunk;
		off = 0;
	}
}

/*
 * Pin the first @len bytes of @iter (a copy: the reader's own iterator
 * moves only by what is finally read), for writing. Return: 0, -E2BIG
 * when they span more pages than we take, or the error of pinning
 * (-EFAULT for memory the reader may not write).
 */
static int ktls_rx_zc_pin(struct ktls_rx_zc *zc, struct iov_iter *iter,
			  u32 len)
{
	struct page **pages;
	size_t off;
	ssize_t n;

	while (zc->len < len) {
		if (zc->npages == KTLS_RX_ZC_PAGES)
			return -E2BIG;
		pages = zc->pages + zc->npages;
		n = ktls_user_pages_get(iter, &pages, len - zc->len,
					KTLS_RX_ZC_PAGES - zc->npages, &off);
		if (n <= 0)
			return n ?: -EFAULT;
		ktls_rx_zc_add(zc, off, n);
	}
	return 0;
}

/* Our pages were written through the kernel mapping: dirty them. */
static void ktls_rx_zc_release(struct ktls_rx_zc *zc)
{
	ktls_user_pages_put_dirty(zc->pages, zc->npages);
	kfree_sensitive(zc);
}

/*
 * TLS 1.3 under TLS_RX_EXPECT_NO_PAD: the last byte must be the data
 * type. Anything else goes back to the copy path, counted as upstream
 * does: every retry, and a padded record as a broken promise.
 */
static int ktls_rx_zc_check_tail(struct sock *sk,
				 const struct tls_prot_info *prot,
				 const struct ktls_rx_zc *zc)
{
	if (!prot->tail_size || zc->tail == TLS_RECORD_TYPE_DATA)
		return 0;
	if (!zc->tail)
		ktls_stat_inc(sock_net(sk), KTLS_STAT_RX_NO_PAD_VIOLATION);
	ktls_stat_inc(sock_net(sk), KTLS_STAT_DECRYPT_RETRY);
	return KTLS_RX_ZC_DECLINED;
}

/* The AAD, @len bytes of the reader's buffer, then the TLS 1.3 tail. */
static int ktls_rx_zc_map(struct ktls_rx_zc *zc, struct ktls_rx_rec *rec,
			  const struct tls_prot_info *prot,
			  struct iov_iter *iter, u32 len)
{
	int rc;

	sg_init_table(zc->sg, ARRAY_SIZE(zc->sg));
	sg_set_buf(&zc->sg[0], rec->aad, prot->aad_size);
	rc = ktls_rx_zc_pin(zc, iter, len);
	if (rc)
		return rc;
	if (prot->tail_size)
		sg_set_buf(&zc->sg[zc->nents++], &zc->tail, prot->tail_size);
	sg_mark_end(&zc->sg[zc->nents - 1]);
	return 0;
}

/*
 * Set up the decryption of @rec's data into the first bytes of @iter (a
 * copy is advanced), or NULL when the copy path must serve it: no memory,
 * or pages that cannot be pinned.
 */
static struct ktls_rx_zc *ktls_rx_zc_start(struct ktls_context *kctx,
					   struct ktls_rx_rec *rec,
					   const struct iov_iter *iter)
{
	const struct tls_prot_info *prot = &kctx->base.prot_info;
	struct iov_iter it = *iter;
	struct ktls_rx_zc *zc;

	zc = ktls_rx_zc_alloc(kctx->rx_aead);
	if (!zc)
		return NULL;
	zc->data_len = rec->len - prot->overhead_size;
	if (ktls_rx_zc_map(zc, rec, prot, &it, zc->data_len)) {
		ktls_rx_zc_release(zc);
		return NULL;
	}
	return zc;
}

/**
 * ktls_rx_zc_decrypt() - decrypt the current record into the reader's buffer
 * @sk: the socket, locked
 * @kctx: its context
 * @rec: the complete current record, still the parser's; its data
 *	(the plaintext but for the TLS 1.3 type byte) fits in @iter and,
 *	for TLS 1.2, its header says data
 * @iter: the reader's buffer, user memory; not advanced
 * @data_len: set to the number of data bytes now at the start of @iter
 *
 * Return: 0 (the sequence number has moved on; the record may go), a
 * final error as ktls_rx_decrypt() (the reader's pages are wiped), or
 * KTLS_RX_ZC_DECLINED: nothing happened that the copy path cannot redo
 * -- no memory, pages that cannot be pinned, an engine failure other than
 * authentication, or a TLS 1.3 record that is not plain data.
 */
int ktls_rx_zc_decrypt(struct sock *sk, struct ktls_context *kctx,
		       struct ktls_rx_rec *rec, const struct iov_iter *iter,
		       u32 *data_len)
{
	const struct tls_prot_info *prot = &kctx->base.prot_info;
	struct ktls_rx_zc *zc;
	int rc;

	zc = ktls_rx_zc_start(kctx, rec, iter);
	if (!zc)
		return KTLS_RX_ZC_DECLINED;
	rc = ktls_rx_decrypt_into(kctx, rec, ktls_rx_zc_req(zc), zc->sg);
	/* Out of place, the ciphertext is intact: the copy path may retry. */
	if (rc && rc != -EBADMSG)
		rc = KTLS_RX_ZC_DECLINED;
	if (!rc)
		rc = ktls_rx_zc_check_tail(sk, prot, zc);
	if (!rc)
		rc = ktls_record_advance(prot, &kctx->base.rx);
	if (rc)
		sg_zero_buffer(zc->sg, zc->nents, zc->len, prot->aad_size);
	else
		*data_len = zc->data_len;
	ktls_rx_zc_release(zc);
	return rc;
}

/*
 * TLS 1.2 data records of one read that fit whole in its buffer are
 * submitted without waiting, so that an asynchronous engine (cryptd, an
 * accelerator) works on several at once, as upstream allows for TLS 1.2;
 * a synchronous engine simply answers at once. Each one's place in the
 * reader's buffer is known at submission (the header gives the length),
 * so the read moves on past it. For user memory the record decrypts into
 * those pages; for a kernel reader's buffer (kvec, bvec: a copy into it
 * cannot fault, so a record once decrypted is never lost) it decrypts in
 * place and is copied there when answered. The reader settles the batch
 * -- waits for every answer -- before it does anything else with the
 * socket and before it returns, so no engine ever writes to a record or a
 * buffer whose read has ended (pitfall class 2). TLS 1.3 zero-copy stays
 * synchronous: its type check may send the record back to the copy path.
 */

void ktls_rx_batch_init(struct ktls_rx_batch *b)
{
	INIT_LIST_HEAD(&b->ops);
	b->count = 0;
	b->failed = false;
	atomic_set(&b->pending, 1);
	init_completion(&b->done);
}

/* The engine's answer, in any context: touch nothing but the batch. */
static void ktls_rx_zc_finish(struct ktls_rx_zc *zc, int err)
{
	struct ktls_rx_batch *b = zc->batch;

	/* A backlogged request has started: its answer comes later. */
	if (err == -EINPROGRESS)
		return;
	zc->err = err;
	if (err)
		WRITE_ONCE(b->failed, true);
	if (atomic_dec_and_test(&b->pending))
		complete(&b->done);
}

static void ktls_rx_zc_done(ktls_crypto_cb_arg_t arg, int err)
{
	ktls_rx_zc_finish(ktls_crypto_cb_data(arg), err);
}

/*
 * Answered: a copied record's data goes to its place in the reader's
 * buffer if it is to be read (@keep), and the record is freed (the next
 * one may reuse its buffer). A copied record held plaintext, or
 * unauthenticated text on failure. Return: 0, or -EFAULT if the copy fell
 * short, which kernel memory never does.
 */
static int ktls_rx_zc_put_rec(struct ktls_context *kctx,
			      struct ktls_rx_zc *zc, bool keep)
{
	struct ktls_rx_rec *rec = zc->rec;
	struct iov_iter dst = zc->dst;
	size_t n = zc->data_len;

	if (zc->copy && keep) {
		zc->copied = true;
		n = copy_to_iter(rec->buf + kctx->base.prot_info.prepend_size,
				 zc->data_len, &dst);
	}
	ktls_rx_rec_free(&kctx->rx_sw, rec, zc->copy);
	zc->rec = NULL;
	return WARN_ON_ONCE(n != zc->data_len) ? -EFAULT : 0;
}

/* Commit @zc to the batch: the record is its, the sequence number used. */
static int ktls_rx_zc_commit(struct ktls_context *kctx,
			     struct ktls_rx_batch *b, struct ktls_rx_zc *zc)
{
	const struct tls_prot_info *prot = &kctx->base.prot_info;
	struct aead_request *req = ktls_rx_zc_req(zc);
	int rc;

	rc = ktls_record_advance(prot, &kctx->base.rx);
	if (rc)
		return rc;
	zc->batch = b;
	zc->err = 0;
	zc->rec = ktls_parser_take(&kctx->rx_sw);
	list_add_tail(&zc->list, &b->ops);
	b->count++;
	atomic_inc(&b->pending);
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				       CRYPTO_TFM_REQ_MAY_SLEEP,
				  ktls_rx_zc_done, zc);
	rc = crypto_aead_decrypt(req);
	if (ktls_aead_answers_later(rc)) {
		kctx->rx_sw.answers_later = true;
		return 0;
	}
	ktls_rx_zc_finish(zc, rc);
	/* Not after a failure: those bytes are taken back from the read. */
	if (ktls_rx_zc_put_rec(kctx, zc, !rc && !READ_ONCE(b->failed))) {
		zc->err = -EFAULT;
		WRITE_ONCE(b->failed, true);
	}
	return 0;
}

/*
 * Set up @rec's copy-and-decrypt for a kernel reader: the place of its
 * data in @iter is kept, the record decrypts in its own buffer.
 */
static struct ktls_rx_zc *ktls_rx_copy_start(struct ktls_context *kctx,
					     struct ktls_rx_rec *rec,
					     const struct iov_iter *iter)
{
	struct ktls_rx_zc *zc;

	zc = ktls_rx_zc_alloc(kctx->rx_aead);
	if (!zc)
		return NULL;
	zc->data_len = rec->len - kctx->base.prot_info.overhead_size;
	zc->copy = true;
	zc->dst = *iter;
	return zc;
}

/**
 * ktls_rx_batch_submit() - start decrypting the current record into the
 *	reader's buffer, without waiting (TLS 1.2 data records)
 * @kctx: the context; the socket is locked
 * @b: the read's batch, not full
 * @iter: the reader's buffer, user memory or ktls_rx_kernel_iter(); not
 *	advanced
 * @data_len: set to the bytes of @iter the record will fill
 *
 * Return: 0 (the record left the parser for @b, whose settling tells
 * whether it decrypted), KTLS_RX_ZC_DECLINED (nothing happened: no
 * memory, pages that cannot be pinned), or -EBADMSG when the sequence
 * number is exhausted (final).
 */
int ktls_rx_batch_submit(struct ktls_context *kctx, struct ktls_rx_batch *b,
			 const struct iov_iter *iter, u32 *data_len)
{
	struct ktls_rx_rec *rec = kctx->rx_sw.cur;
	struct ktls_rx_zc *zc;
	int rc;

	if (user_backed_iter(iter))
		zc = ktls_rx_zc_start(kctx, rec, iter);
	else
		zc = ktls_rx_copy_start(kctx, rec, iter);
	if (!zc)
		return KTLS_RX_ZC_DECLINED;
	rc = ktls_rx_aead_setup(kctx, rec, ktls_rx_zc_req(zc), zc->src,
				zc->copy ? NULL : zc->sg);
	if (rc) {
		ktls_rx_zc_release(zc);
		return KTLS_RX_ZC_DECLINED;
	}
	rc = ktls_rx_zc_commit(kctx, b, zc);
	if (rc) {
		ktls_rx_zc_release(zc);
		return rc;
	}
	*data_len = zc->data_len;
	return 0;
}

/* Whatever of @zc reached the reader's buffer may not stay there. */
static void ktls_rx_zc_wipe(const struct tls_prot_info *prot,
			    struct ktls_rx_zc *zc)
{
	struct iov_iter dst = zc->dst;

	if (!zc->copy)
		sg_zero_buffer(zc->sg, zc->nents, zc->len, prot->aad_size);
	else if (zc->copied)
		iov_iter_zero(zc->data_len, &dst);
}

/**
 * ktls_rx_batch_finish() - wait for every record of a batch and settle it
 * @kctx: the context; the socket is locked
 * @b: the batch; empty and ready for reuse afterwards
 * @unread: set to the bytes promised by the first record that failed and
 *	by every record after it: the reader must not count them
 *
 * What those records put in the reader's buffer is wiped: the first failed
 * authentication (its plaintext is unauthenticated), the later ones were
 * never read.
 *
 * Return: 0, or the error of the first failed record.
 */
int ktls_rx_batch_finish(struct ktls_context *kctx, struct ktls_rx_batch *b,
			 u32 *unread)
{
	const struct tls_prot_info *prot = &kctx->base.prot_info;
	struct ktls_rx_zc *zc, *tmp;
	int err = 0;

	*unread = 0;
	if (!atomic_dec_and_test(&b->pending))
		wait_for_completion(&b->done);
	list_for_each_entry_safe(zc, tmp, &b->ops, list) {
		if (zc->rec && ktls_rx_zc_put_rec(kctx, zc, !err && !zc->err))
			zc->err = -EFAULT;
		err = err ?: zc->err;
		if (err) {
			*unread += zc->data_len;
			ktls_rx_zc_wipe(prot, zc);
		}
		list_del(&zc->list);
		ktls_rx_zc_release(zc);
	}
	ktls_rx_batch_init(b);
	return err;
}
