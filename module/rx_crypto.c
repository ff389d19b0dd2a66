// SPDX-License-Identifier: GPL-2.0
/*
 * Authenticating and decrypting one received record with the kernel AEAD
 * API: in place for the copy path, or into the reader's pages (rx_zc.c).
 * The record layout (AAD, IV, header checks, TLS 1.3 inner type) comes
 * from record.c, shared with TX.
 */
#include <crypto/aead.h>
#include <linux/scatterlist.h>
#include <net/tls_prot.h>

#include "tls.h"

/* @rec's AAD and AEAD IV, for the current record number. */
void ktls_rx_fill_aead(struct ktls_context *kctx, struct ktls_rx_rec *rec)
{
	const struct tls_prot_info *prot = &kctx->base.prot_info;
	struct cipher_context *cc = &kctx->base.rx;

	ktls_record_fill_aad(prot, rec->aad, rec->buf[0],
			     rec->len - prot->overhead_size, cc->rec_seq);
	ktls_record_fill_iv(prot, rec->iv, cc->iv, cc->rec_seq,
			    rec->buf + TLS_HEADER_SIZE);
}

/*
 * TLS 1.3 authenticates the header as sent, but record.c builds the AAD
 * with the only outer type 1.3 allows: a record with another one would
 * fail authentication, and must fail the same way whoever decrypted it.
 */
bool ktls_rx_outer_type_ok(const struct tls_prot_info *prot,
			   const struct ktls_rx_rec *rec)
{
	return prot->version != TLS_1_3_VERSION ||
	       rec->buf[0] == TLS_RECORD_TYPE_DATA;
}

/**
 * ktls_rx_aead_setup() - point an AEAD request at a record
 * @kctx: context with RX keys
 * @rec: the record as received (complete, ktls_parser_take() or not)
 * @req: a request for kctx->rx_aead
 * @src: two scatterlist entries, living as long as the request
 * @dst: where the plaintext goes after prot->aad_size bytes of room for
 *	the AAD, or NULL to decrypt in place
 *
 * Fills the record's AAD and IV for the current sequence number, which
 * does not move: the caller advances it once it keeps (or commits to)
 * the result.
 *
 * Return: 0, or -EBADMSG for a TLS 1.3 record whose outer type is not
 * application data.
 */
int ktls_rx_aead_setup(struct ktls_context *kctx, struct ktls_rx_rec *rec,
		       struct aead_request *req, struct scatterlist *src,
		       struct scatterlist *dst)
{
	const struct tls_prot_info *prot = &kctx->base.prot_info;
	u32 clen = rec->len - prot->prepend_size;

	if (!ktls_rx_outer_type_ok(prot, rec))
		return -EBADMSG;
	ktls_rx_fill_aead(kctx, rec);
	sg_init_table(src, 2);
	sg_set_buf(&src[0], rec->aad, prot->aad_size);
	sg_set_buf(&src[1], rec->buf + prot->prepend_size, clen);
	aead_request_set_crypt(req, src, dst ?: src, clen, rec->iv);
	aead_request_set_ad(req, prot->aad_size);
	return 0;
}

/**
 * ktls_rx_decrypt_into() - authenticate and decrypt a record, waiting
 * @kctx: context with RX keys
 * @rec: the record as received
 * @req: a request for kctx->rx_aead
 * @dst: as for ktls_rx_aead_setup()
 *
 * An asynchronous transform is waited for, so neither the record nor
 * @dst can be freed or read while the engine still writes it (pitfall
 * class 2). The sequence number does not move.
 *
 * Return: 0, -EBADMSG (authentication) or another error of the engine.
 */
int ktls_rx_decrypt_into(struct ktls_context *kctx, struct ktls_rx_rec *rec,
			 struct aead_request *req, struct scatterlist *dst)
{
	struct scatterlist src[2];
	DECLARE_CRYPTO_WAIT(wait);
	int rc;

	rc = ktls_rx_aead_setup(kctx, rec, req, src, dst);
	if (rc)
		return rc;
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				       CRYPTO_TFM_REQ_MAY_SLEEP,
				  crypto_req_done, &wait);
	rc = crypto_aead_decrypt(req);
	if (ktls_aead_answers_later(rc))
		kctx->rx_sw.answers_later = true;
	return crypto_wait_req(rc, &wait);
}

/*
 * Where the plaintext is and what it is. TLS 1.2 says so in the header;
 * TLS 1.3 hides the type before the zero padding at the end, and a
 * record of nothing but zeros is malformed (RFC 8446 5.4).
 */
static int ktls_rx_locate_plaintext(const struct tls_prot_info *prot,
				    struct ktls_rx_rec *rec)
{
	u32 pad;
	int type;

	rec->off = prot->prepend_size;
	rec->end = rec->len - prot->tag_size;
	if (prot->version != TLS_1_3_VERSION) {
		rec->type = rec->buf[0];
		return 0;
	}
	type = ktls_record_inner_type(rec->buf + rec->off,
				      rec->end - rec->off, &pad);
	if (!type)
		return -EBADMSG;
	rec->type = type;
	rec->end -= pad + 1;
	return 0;
}

/**
 * ktls_rx_decrypt() - authenticate and decrypt a whole record in place
 * @kctx: context with RX keys
 * @rec: the record as received (ktls_parser_take())
 * @req: a request for kctx->rx_aead, allocated by the caller before the
 *	record is touched
 *
 * Caller holds the socket lock. On success the record sequence number has
 * moved on and rec->type/off/end describe the plaintext; on failure
 * nothing of the record may be shown to anyone.
 *
 * Return: 0, -EBADMSG (authentication, malformed padding, sequence
 * exhausted) or another error of the crypto engine. Every error is final:
 * decryption runs in place, so an engine that fails half-way (e.g. an
 * allocation inside its scatterlist walk) may have left the record half
 * plaintext, and it cannot be tried again.
 */
int ktls_rx_decrypt(struct ktls_context *kctx, struct ktls_rx_rec *rec,
		    struct aead_request *req)
{
	int rc;

	rc = ktls_rx_decrypt_into(kctx, rec, req, NULL);
	if (rc)
		return rc;
	return ktls_rx_accept_plain(kctx, rec);
}

/**
 * ktls_rx_accept_plain() - @rec holds authenticated plaintext: take it
 * @kctx: context with RX keys
 * @rec: the record, decrypted in place (by us or by the NIC)
 *
 * Return: 0 with the record number moved on and rec->type/off/end set,
 * or -EBADMSG (sequence exhausted, malformed TLS 1.3 padding).
 */
int ktls_rx_accept_plain(struct ktls_context *kctx, struct ktls_rx_rec *rec)
{
	const struct tls_prot_info *prot = &kctx->base.prot_info;
	int rc;

	rc = ktls_record_advance(prot, &kctx->base.rx);
	if (rc)
		return rc;
	return ktls_rx_locate_plaintext(prot, rec);
}
