// SPDX-License-Identifier: GPL-2.0
/*
 * The software TX configuration: a record is sealed by encrypting it in
 * place with the socket's AEAD, or, where its payload is still in the
 * pages it was spliced from or in the sender's memory (a record sealed
 * within its send(), tx_rec.c), out of place from those into the
 * record's own pages (those pages are only read). Encryption waits for the
 * AEAD to finish, also when the transform is asynchronous (cryptd): a
 * request never outlives the call that made it, so no completion can race
 * close.
 */
#include <crypto/aead.h>
#include <linux/scatterlist.h>
#include <net/sock.h>

#include "tls.h"
#include "tx.h"

/* Run the AEAD from @src to @dst and wait for it, even if it is async. */
static int ktls_tx_aead_run(struct ktls_context *kctx, struct scatterlist *src,
			    struct scatterlist *dst, u32 cryptlen)
{
	struct aead_request *req = kctx->txsw.req;
	DECLARE_CRYPTO_WAIT(wait);
	int rc;

	aead_request_set_tfm(req, kctx->tx_aead);
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				  CRYPTO_TFM_REQ_MAY_SLEEP,
				  crypto_req_done, &wait);
	aead_request_set_ad(req, kctx->base.prot_info.aad_size);
	aead_request_set_crypt(req, src, dst, cryptlen, kctx->txsw.iv);
	rc = crypto_wait_req(crypto_aead_encrypt(req), &wait);
	ktls_aead_request_wipe(req);
	return rc;
}

/*
 * Out of place: the plaintext from the spliced pages and the record's own
 * (what was copied, the TLS 1.3 type), into the record's own pages @dst.
 * Both lists start with the same AAD buffer, as the AEAD wants it on
 * both sides.
 */
static int ktls_tx_encrypt_refs(struct ktls_context *kctx,
				struct ktls_tx_rec *rec,
				struct scatterlist *dst, u32 cryptlen)
{
	struct tls_prot_info *prot = &kctx->base.prot_info;
	struct scatterlist src[KTLS_TX_SRC_SG];
	int n;

	sg_init_table(src, ARRAY_SIZE(src));
	sg_set_buf(&src[0], kctx->txsw.aad, prot->aad_size);
	n = ktls_tx_rec_to_src_sg(rec, &src[1], prot->prepend_size, cryptlen);
	sg_mark_end(&src[n]);
	return ktls_tx_aead_run(kctx, src, dst, cryptlen);
}

/*
 * Frame and encrypt @rec (pages already cover its wire length) with the
 * current sequence number; ktls_tx_seal() then moves the sequence on. A
 * record that could not be encrypted is never sent, and no later one.
 */
static int ktls_tx_encrypt(struct sock *sk, struct ktls_context *kctx,
			   struct ktls_tx_rec *rec)
{
	struct tls_prot_info *prot = &kctx->base.prot_info;
	struct scatterlist sg[KTLS_TX_REC_CHUNKS + 1];
	struct cipher_context *cc = &kctx->base.tx;
	u32 cryptlen = rec->plain_len + prot->tail_size;
	u8 *nonce = cc->iv + prot->salt_size;
	int n, rc;

	ktls_tx_rec_frame(prot, rec, nonce);
	ktls_record_fill_aad(prot, kctx->txsw.aad, rec->type, rec->plain_len,
			     cc->rec_seq);
	ktls_record_fill_iv(prot, kctx->txsw.iv, cc->iv, cc->rec_seq, nonce);

	sg_init_table(sg, ARRAY_SIZE(sg));
	sg_set_buf(&sg[0], kctx->txsw.aad, prot->aad_size);
	n = ktls_tx_rec_to_sg(rec, &sg[1], prot->prepend_size,
			      cryptlen + prot->tag_size);
	sg_mark_end(&sg[n]);

	rc = rec->nrefs ? ktls_tx_encrypt_refs(kctx, rec, sg, cryptlen) :
			  ktls_tx_aead_run(kctx, sg, sg, cryptlen);
	if (rc) {
		kctx->txsw.err = -EBADMSG;
		return rc;
	}
	ktls_tx_rec_put_refs(rec);
	rec->wire_len = ktls_record_wire_len(prot, rec->plain_len);
	return 0;
}

/* One AEAD request per socket: one encryption at a time, as TX owner. */
static int ktls_tx_sw_setup(struct sock *sk, struct ktls_context *kctx)
{
	kctx->txsw.req = aead_request_alloc(kctx->tx_aead, sk->sk_allocation);
	return kctx->txsw.req ? 0 : -ENOMEM;
}

static void ktls_tx_sw_teardown(struct sock *sk, struct ktls_context *kctx)
{
	aead_request_free(kctx->txsw.req);
	kctx->txsw.req = NULL;
}

const struct ktls_tx_ops ktls_tx_sw_ops = {
	.conf		= TLS_SW,
	.setup		= ktls_tx_sw_setup,
	.seal		= ktls_tx_encrypt,
	.teardown	= ktls_tx_sw_teardown,
	.seals_refs	= true,
};
