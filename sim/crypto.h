/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The record cryptography of ktls_sim, kept apart from the packet walking
 * so that another TLS version or cipher changes only this part: TLS 1.3
 * has a 5-byte prepend (no explicit nonce), its AAD is the record header
 * and its nonce is the static IV XORed with the record number.
 */
#ifndef _KTLS_SIM_CRYPTO_H
#define _KTLS_SIM_CRYPTO_H

#include <crypto/aead.h>
#include <crypto/skcipher.h>
#include <linux/scatterlist.h>
#include <net/tls.h>

#define KSIM_TAG_SIZE		16
#define KSIM_SALT_SIZE		4
#define KSIM_EXPLICIT_IV_SIZE	8
#define KSIM_NONCE_SIZE		(KSIM_SALT_SIZE + KSIM_EXPLICIT_IV_SIZE)
#define KSIM_AAD_SIZE		13
/* Largest record the emulated hardware accepts: TLS 1.2 allows 2^14 + 2048
 * bytes of ciphertext after the header.
 */
#define KSIM_MAX_RECORD		(TLS_HEADER_SIZE + TLS_MAX_PAYLOAD_SIZE + 2048)

/* What tls_dev_add() gave us, in the form the record code needs. */
struct ksim_key {
	u16 version;
	u16 cipher_type;
	unsigned int key_len;
	u8 key[32];
	u8 salt[KSIM_SALT_SIZE];
	u64 rec_seq;		/* number of the first offloaded record */
};

/* One AEAD with its request; used under the lock of its owner. */
struct ksim_aead {
	struct crypto_aead *tfm;
	struct aead_request *req;
	struct scatterlist sg[2];
	u8 aad[KSIM_AAD_SIZE];
	u8 nonce[KSIM_NONCE_SIZE];
};

int ksim_key_from_info(const struct tls_crypto_info *info, struct ksim_key *k);
unsigned int ksim_prepend_size(const struct ksim_key *k);

int ksim_aead_init(struct ksim_aead *a, const struct ksim_key *k, gfp_t gfp);
void ksim_aead_free(struct ksim_aead *a);
int ksim_seal_record(struct ksim_aead *a, const struct ksim_key *k,
		     u8 *rec, unsigned int len, u64 rcd_sn);
int ksim_open_record(struct ksim_aead *a, const struct ksim_key *k,
		     u8 *rec, unsigned int len, u64 rcd_sn);

struct crypto_sync_skcipher *ksim_ctr_alloc(const struct ksim_key *k);
int ksim_ctr_decrypt(struct crypto_sync_skcipher *ctr, const struct ksim_key *k,
		     const u8 *explicit_iv, unsigned int data_off,
		     u8 *buf, unsigned int len);

#endif /* _KTLS_SIM_CRYPTO_H */
