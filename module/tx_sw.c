// SPDX-License-Identifier: GPL-2.0
/*
 * The software TX configuration: a record is sealed by encrypting it in
 * place with the socket's AEAD. Encryption waits for the AEAD to finish,
 * also when the transform is asynchronous (cryptd): a request never
 * outlives the call that made it, so no completion can race close.
 */
#include <crypto/aead.h>
#include <linux/scatterlist.h>
#include <net/sock.h>

#include "tls.h"
#include "tx.h"

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
 * current sequence number; ktls_tx_seal() then moves the sequence on. A
 * record that could not be encrypted is never sent, and no later one.
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

	ktls_tx_rec_frame(prot, rec, nonce);
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
};
