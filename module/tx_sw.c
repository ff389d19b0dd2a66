// SPDX-License-Identifier: GPL-2.0
/*
 * The software TX configuration: a record is sealed by encrypting it in
 * place with the socket's AEAD, or, where its payload is still in the
 * pages it was spliced from or in the sender's memory (a record sealed
 * within its send(), tx_rec.c), out of place from those into the
 * record's own pages (those pages are only read).
 *
 * With a synchronous transform each record is encrypted before the next
 * is built. An asynchronous one (cryptd, a crypto engine) answers later:
 * once it has done so (answers_later; x86's AES-GCM is flagged async but
 * answers at once in process context, and never gets here), a full
 * record with more of the same call to come is left with the engine (in
 * flight, up to KTLS_TX_FLIGHT records) while the call builds the next,
 * as upstream keeps several records with such an engine. The
 * call itself settles them -- waits for every answer -- before anything
 * drops the socket lock, pushes records to TCP or gives TX up
 * (ktls_tx_settle()), so an answer never reaches a socket, a key, a
 * record or sender pages that could have gone meanwhile (the async
 * completion racing close class). The sequence number is taken when a
 * record goes in flight; if an answer is a failure, every record of the
 * flight and every one after it are dropped unsent and TX fails, so no
 * nonce is used again and send() counts only what precedes them.
 */
#include <crypto/aead.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "tls.h"
#include "tx.h"

/* One record in flight: everything the engine reads until it answers. */
struct ktls_tx_flight {
	struct ktls_tx_rec *rec;
	struct aead_request *req;
	unsigned int reqsize;		/* what @req was sized for */
	struct crypto_wait wait;
	int rc;				/* of crypto_aead_encrypt() */
	u8 aad[TLS_MAX_AAD_SIZE];
	u8 iv[KTLS_AEAD_IV_MAX];
	struct scatterlist src[KTLS_TX_SRC_SG];
	struct scatterlist dst[KTLS_TX_REC_CHUNKS + 1];
};

/*
 * Frame @rec under the current sequence number, fill @aad and @iv, and
 * point @dst (AAD, then the record's own pages) and, when @rec has
 * payload still in place, @src (AAD, then plaintext where it lies) at
 * it. Return: the bytes to encrypt.
 */
static u32 ktls_tx_crypt_lists(struct ktls_context *kctx,
			       struct ktls_tx_rec *rec, u8 *aad, u8 *iv,
			       struct scatterlist *src, struct scatterlist *dst)
{
	struct tls_prot_info *prot = &kctx->base.prot_info;
	struct cipher_context *cc = &kctx->base.tx;
	u32 cryptlen = rec->plain_len + prot->tail_size;
	u8 *nonce = cc->iv + prot->salt_size;
	int n;

	ktls_tx_rec_frame(prot, rec, nonce);
	ktls_record_fill_aad(prot, aad, rec->type, rec->plain_len,
			     cc->rec_seq);
	ktls_record_fill_iv(prot, iv, cc->iv, cc->rec_seq, nonce);

	sg_init_table(dst, KTLS_TX_REC_CHUNKS + 1);
	sg_set_buf(&dst[0], aad, prot->aad_size);
	n = ktls_tx_rec_to_sg(rec, &dst[1], prot->prepend_size,
			      cryptlen + prot->tag_size);
	sg_mark_end(&dst[n]);
	if (!rec->nrefs)
		return cryptlen;
	/* Both lists start with the same AAD, as the AEAD wants it. */
	sg_init_table(src, KTLS_TX_SRC_SG);
	sg_set_buf(&src[0], aad, prot->aad_size);
	n = ktls_tx_rec_to_src_sg(rec, &src[1], prot->prepend_size, cryptlen);
	sg_mark_end(&src[n]);
	return cryptlen;
}

static void ktls_tx_req_set(struct ktls_context *kctx,
			    struct aead_request *req, struct ktls_tx_rec *rec,
			    struct scatterlist *src, struct scatterlist *dst,
			    u32 cryptlen, u8 *iv, struct crypto_wait *wait)
{
	aead_request_set_tfm(req, kctx->tx_aead);
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				  CRYPTO_TFM_REQ_MAY_SLEEP,
				  crypto_req_done, wait);
	aead_request_set_ad(req, kctx->base.prot_info.aad_size);
	aead_request_set_crypt(req, rec->nrefs ? src : dst, dst, cryptlen, iv);
}

/* Encrypt @rec and wait for it, even if the transform is async. */
static int ktls_tx_encrypt_now(struct ktls_context *kctx,
			       struct ktls_tx_rec *rec)
{
	struct scatterlist src[KTLS_TX_SRC_SG], dst[KTLS_TX_REC_CHUNKS + 1];
	struct aead_request *req = kctx->txsw.req;
	DECLARE_CRYPTO_WAIT(wait);
	u32 cryptlen;
	int rc;

	cryptlen = ktls_tx_crypt_lists(kctx, rec, kctx->txsw.aad,
				       kctx->txsw.iv, src, dst);
	ktls_tx_req_set(kctx, req, rec, src, dst, cryptlen, kctx->txsw.iv,
			&wait);
	rc = crypto_aead_encrypt(req);
	if (ktls_aead_answers_later(rc))
		kctx->txsw.answers_later = true;
	rc = crypto_wait_req(rc, &wait);
	ktls_aead_request_wipe(req);
	if (!rc)
		ktls_tx_rec_put_refs(rec);
	return rc;
}

/*
 * The next free flight slot, with a request sized for the current
 * transform (a rekey may bring a larger one), or NULL: the transform has
 * not answered later yet, all slots are taken, or there is no memory for
 * one (the record is then encrypted at once). The slots (about 6 KiB)
 * stay with the socket until close.
 */
static struct ktls_tx_flight *ktls_tx_flight_slot(struct sock *sk,
						  struct ktls_context *kctx)
{
	unsigned int size = crypto_aead_reqsize(kctx->tx_aead);
	struct ktls_tx *tx = &kctx->txsw;
	struct ktls_tx_flight *f;

	if (!tx->answers_later || tx->nflight == KTLS_TX_FLIGHT)
		return NULL;
	if (!tx->flight)
		tx->flight = kcalloc(KTLS_TX_FLIGHT, sizeof(*tx->flight),
				     sk->sk_allocation | __GFP_ACCOUNT |
				     __GFP_NOWARN);
	if (!tx->flight)
		return NULL;
	f = &tx->flight[tx->nflight];
	if (f->req && f->reqsize >= size)
		return f;
	aead_request_free(f->req);
	f->req = aead_request_alloc(kctx->tx_aead,
				    sk->sk_allocation | __GFP_NOWARN);
	f->reqsize = f->req ? size : 0;
	return f->req ? f : NULL;
}

/*
 * Hand @rec to the engine in slot @f and go on. Whatever the engine
 * answers, now or later, ktls_tx_sw_settle() collects it.
 */
static void ktls_tx_encrypt_later(struct ktls_context *kctx,
				  struct ktls_tx_flight *f,
				  struct ktls_tx_rec *rec)
{
	u32 cryptlen;

	cryptlen = ktls_tx_crypt_lists(kctx, rec, f->aad, f->iv, f->src,
				       f->dst);
	crypto_init_wait(&f->wait);
	ktls_tx_req_set(kctx, f->req, rec, f->src, f->dst, cryptlen, f->iv,
			&f->wait);
	f->rec = rec;
	f->rc = crypto_aead_encrypt(f->req);
	kctx->txsw.nflight++;
}

/*
 * Seal @rec: encrypted now, or with @defer on an asynchronous transform
 * left in flight. A record that could not be encrypted is never sent, and
 * no later one.
 */
static int ktls_tx_encrypt(struct sock *sk, struct ktls_context *kctx,
			   struct ktls_tx_rec *rec, bool defer)
{
	struct ktls_tx_flight *f = defer ? ktls_tx_flight_slot(sk, kctx) : NULL;
	int rc = 0;

	if (f)
		ktls_tx_encrypt_later(kctx, f, rec);
	else
		rc = ktls_tx_encrypt_now(kctx, rec);
	if (rc) {
		kctx->txsw.err = -EBADMSG;
		return rc;
	}
	rec->wire_len = ktls_record_wire_len(&kctx->base.prot_info,
					     rec->plain_len);
	return 0;
}

/*
 * Wait for each record in flight, oldest first (uninterruptibly: the
 * engine holds our memory until it answers), and let go of the pages it
 * read. Return: NULL, or if any encryption failed the flight's first
 * record (all of the flight is then dropped: see ktls_tx_settle()).
 */
static struct ktls_tx_rec *ktls_tx_sw_settle(struct sock *sk,
					     struct ktls_context *kctx)
{
	struct ktls_tx *tx = &kctx->txsw;
	struct ktls_tx_rec *first = tx->flight[0].rec;
	struct ktls_tx_flight *f;
	bool failed = false;
	u8 i;

	for (i = 0; i < tx->nflight; i++) {
		f = &tx->flight[i];
		if (crypto_wait_req(f->rc, &f->wait))
			failed = true;
		ktls_aead_request_wipe(f->req);
		memzero_explicit(f->iv, sizeof(f->iv));
		ktls_tx_rec_put_refs(f->rec);
		f->rec = NULL;
	}
	tx->nflight = 0;
	return failed ? first : NULL;
}

/* One AEAD request per socket: one encryption at a time, as TX owner. */
static int ktls_tx_sw_setup(struct sock *sk, struct ktls_context *kctx)
{
	kctx->txsw.req = aead_request_alloc(kctx->tx_aead, sk->sk_allocation);
	return kctx->txsw.req ? 0 : -ENOMEM;
}

static void ktls_tx_sw_teardown(struct sock *sk, struct ktls_context *kctx)
{
	struct ktls_tx *tx = &kctx->txsw;
	int i;

	WARN_ON_ONCE(tx->nflight);
	for (i = 0; tx->flight && i < KTLS_TX_FLIGHT; i++)
		aead_request_free(tx->flight[i].req);
	kfree_sensitive(tx->flight);
	tx->flight = NULL;
	aead_request_free(tx->req);
	tx->req = NULL;
}

const struct ktls_tx_ops ktls_tx_sw_ops = {
	.conf		= TLS_SW,
	.setup		= ktls_tx_sw_setup,
	.seal		= ktls_tx_encrypt,
	.settle		= ktls_tx_sw_settle,
	.teardown	= ktls_tx_sw_teardown,
	.seals_refs	= true,
};
