// SPDX-License-Identifier: GPL-2.0
/*
 * AES-GCM on whole TLS records (TX, and the RX authentication check) and
 * AES-CTR on slices of a record (RX decryption of one segment's bytes
 * before the rest of the record has arrived), through the kernel crypto
 * API. Only synchronous implementations are asked for: the data path runs
 * in softirq context and cannot wait for an async engine.
 */
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <net/tls_prot.h>

#include "crypto.h"

int ksim_key_from_info(const struct tls_crypto_info *info, struct ksim_key *k)
{
	const struct tls12_crypto_info_aes_gcm_128 *g128;
	const struct tls12_crypto_info_aes_gcm_256 *g256;

	memset(k, 0, sizeof(*k));
	if (info->version != TLS_1_2_VERSION &&
	    info->version != TLS_1_3_VERSION)
		return -EOPNOTSUPP;
	k->version = info->version;
	k->cipher_type = info->cipher_type;
	switch (info->cipher_type) {
	case TLS_CIPHER_AES_GCM_128:
		g128 = container_of(info, struct tls12_crypto_info_aes_gcm_128, info);
		k->key_len = TLS_CIPHER_AES_GCM_128_KEY_SIZE;
		memcpy(k->key, g128->key, k->key_len);
		memcpy(k->salt, g128->salt, KSIM_SALT_SIZE);
		memcpy(k->iv, g128->iv, KSIM_EXPLICIT_IV_SIZE);
		k->rec_seq = get_unaligned_be64(g128->rec_seq);
		return 0;
	case TLS_CIPHER_AES_GCM_256:
		g256 = container_of(info, struct tls12_crypto_info_aes_gcm_256, info);
		k->key_len = TLS_CIPHER_AES_GCM_256_KEY_SIZE;
		memcpy(k->key, g256->key, k->key_len);
		memcpy(k->salt, g256->salt, KSIM_SALT_SIZE);
		memcpy(k->iv, g256->iv, KSIM_EXPLICIT_IV_SIZE);
		k->rec_seq = get_unaligned_be64(g256->rec_seq);
		return 0;
	}
	return -EOPNOTSUPP;
}

static bool ksim_is_tls13(const struct ksim_key *k)
{
	return k->version == TLS_1_3_VERSION;
}

/* Bytes between the start of a record and its first payload byte. */
unsigned int ksim_prepend_size(const struct ksim_key *k)
{
	return TLS_HEADER_SIZE + (ksim_is_tls13(k) ? 0 : KSIM_EXPLICIT_IV_SIZE);
}

/* Largest record of the version, header included (RFC 5246 6.2.3, 8446 5.2). */
unsigned int ksim_max_record(const struct ksim_key *k)
{
	return TLS_HEADER_SIZE + TLS_MAX_PAYLOAD_SIZE +
	       (ksim_is_tls13(k) ? 256 : 2048);
}

/*
 * Can a header of the version carry outer content type @type? TLS 1.2:
 * change_cipher_spec (20) to heartbeat (24). TLS 1.3 hides the real type
 * inside the ciphertext: every protected record says application_data.
 */
bool ksim_outer_type_ok(const struct ksim_key *k, u8 type)
{
	if (ksim_is_tls13(k))
		return type == TLS_RECORD_TYPE_DATA;
	return type >= 20 && type <= 24;
}

/*
 * The 12-byte nonce of record number @rcd_sn at @rec. TLS 1.2: the salt
 * and the explicit nonce the sender wrote after the header. TLS 1.3: the
 * salt and static IV, with the record number XORed into the last 8 bytes.
 */
void ksim_record_nonce(const struct ksim_key *k, const u8 *rec, u64 rcd_sn,
		       u8 *nonce)
{
	memcpy(nonce, k->salt, KSIM_SALT_SIZE);
	if (!ksim_is_tls13(k)) {
		memcpy(nonce + KSIM_SALT_SIZE, rec + TLS_HEADER_SIZE,
		       KSIM_EXPLICIT_IV_SIZE);
		return;
	}
	put_unaligned_be64(get_unaligned_be64(k->iv) ^ rcd_sn,
			   nonce + KSIM_SALT_SIZE);
}

int ksim_aead_init(struct ksim_aead *a, const struct ksim_key *k, gfp_t gfp)
{
	int err;

	a->tfm = crypto_alloc_aead("gcm(aes)", 0, CRYPTO_ALG_ASYNC);
	if (IS_ERR(a->tfm)) {
		err = PTR_ERR(a->tfm);
		a->tfm = NULL;
		return err;
	}
	err = crypto_aead_setkey(a->tfm, k->key, k->key_len);
	if (!err)
		err = crypto_aead_setauthsize(a->tfm, KSIM_TAG_SIZE);
	if (err)
		goto free_tfm;
	a->req = aead_request_alloc(a->tfm, gfp);
	if (!a->req) {
		err = -ENOMEM;
		goto free_tfm;
	}
	return 0;
free_tfm:
	crypto_free_aead(a->tfm);
	a->tfm = NULL;
	return err;
}

void ksim_aead_free(struct ksim_aead *a)
{
	aead_request_free(a->req);
	crypto_free_aead(a->tfm);
	a->req = NULL;
	a->tfm = NULL;
}

/*
 * The AAD of the record at @rec whose payload (TLS 1.3: with its content
 * type and padding) is @plain bytes; returns its size. TLS 1.2: record
 * number, then the header with the plaintext length. TLS 1.3: the header
 * as it is on the wire.
 */
static unsigned int ksim_record_aad(u8 *aad, const struct ksim_key *k,
				    const u8 *rec, unsigned int plain,
				    u64 rcd_sn)
{
	if (ksim_is_tls13(k)) {
		memcpy(aad, rec, TLS_HEADER_SIZE);
		return TLS_HEADER_SIZE;
	}
	put_unaligned_be64(rcd_sn, aad);
	memcpy(aad + 8, rec, 3);
	put_unaligned_be16(plain, aad + 11);
	return KSIM_AAD_SIZE;
}

/*
 * Set up @a for the record at @rec (header, explicit nonce if any,
 * payload, tag) of @len bytes; returns the payload length.
 */
static int ksim_aead_prepare(struct ksim_aead *a, const struct ksim_key *k,
			     u8 *rec, unsigned int len, u64 rcd_sn)
{
	unsigned int prepend = ksim_prepend_size(k);
	unsigned int plain, aad_len;

	if (len < prepend + KSIM_TAG_SIZE || len > ksim_max_record(k) ||
	    get_unaligned_be16(rec + 3) != len - TLS_HEADER_SIZE)
		return -EMSGSIZE;
	plain = len - prepend - KSIM_TAG_SIZE;
	ksim_record_nonce(k, rec, rcd_sn, a->nonce);
	aad_len = ksim_record_aad(a->aad, k, rec, plain, rcd_sn);

	sg_init_table(a->sg, 2);
	sg_set_buf(&a->sg[0], a->aad, aad_len);
	sg_set_buf(&a->sg[1], rec + prepend, plain + KSIM_TAG_SIZE);
	aead_request_set_tfm(a->req, a->tfm);
	aead_request_set_callback(a->req, 0, NULL, NULL);
	aead_request_set_ad(a->req, aad_len);
	return plain;
}

/* Encrypt the payload of a plaintext record in place and write its tag. */
int ksim_seal_record(struct ksim_aead *a, const struct ksim_key *k,
		     u8 *rec, unsigned int len, u64 rcd_sn)
{
	int plain = ksim_aead_prepare(a, k, rec, len, rcd_sn);

	if (plain < 0)
		return plain;
	aead_request_set_crypt(a->req, a->sg, a->sg, plain, a->nonce);
	return crypto_aead_encrypt(a->req);
}

/* Authenticate (and decrypt in place) a ciphertext record: 0 or -EBADMSG. */
int ksim_open_record(struct ksim_aead *a, const struct ksim_key *k,
		     u8 *rec, unsigned int len, u64 rcd_sn)
{
	int plain = ksim_aead_prepare(a, k, rec, len, rcd_sn);

	if (plain < 0)
		return plain;
	aead_request_set_crypt(a->req, a->sg, a->sg, plain + KSIM_TAG_SIZE,
			       a->nonce);
	return crypto_aead_decrypt(a->req);
}

struct crypto_sync_skcipher *ksim_ctr_alloc(const struct ksim_key *k)
{
	struct crypto_sync_skcipher *ctr;
	int err;

	ctr = crypto_alloc_sync_skcipher("ctr(aes)", 0, 0);
	if (IS_ERR(ctr))
		return ctr;
	err = crypto_sync_skcipher_setkey(ctr, k->key, k->key_len);
	if (err) {
		crypto_free_sync_skcipher(ctr);
		return ERR_PTR(err);
	}
	return ctr;
}

/*
 * GCM encrypts payload block i with counter i + 2 (J0 = nonce || 1 is kept
 * for the tag), so any slice of a record's payload can be decrypted on its
 * own, given the record's @nonce: start at the block holding @data_off and
 * drop the bytes before it.
 * This is what lets the receiver decrypt each segment as it passes.
 */
int ksim_ctr_decrypt(struct crypto_sync_skcipher *ctr, const u8 *nonce,
		     unsigned int data_off, u8 *buf, unsigned int len)
{
	SYNC_SKCIPHER_REQUEST_ON_STACK(req, ctr);
	unsigned int lead = data_off % 16;
	struct scatterlist sg;
	u8 iv[16];
	u8 *tmp;
	int err;

	tmp = kzalloc(lead + len, GFP_ATOMIC);
	if (!tmp)
		return -ENOMEM;
	memcpy(tmp + lead, buf, len);
	memcpy(iv, nonce, KSIM_NONCE_SIZE);
	put_unaligned_be32(data_off / 16 + 2, iv + KSIM_NONCE_SIZE);

	sg_init_one(&sg, tmp, lead + len);
	skcipher_request_set_sync_tfm(req, ctr);
	skcipher_request_set_callback(req, 0, NULL, NULL);
	skcipher_request_set_crypt(req, &sg, &sg, lead + len, iv);
	err = crypto_skcipher_decrypt(req);
	skcipher_request_zero(req);
	if (!err)
		memcpy(buf, tmp + lead, len);
	kfree(tmp);
	return err;
}
