/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The record cryptography of ktls_sim, kept apart from the packet walking
 * so that the TLS version changes only this part. TLS 1.2: an 8-byte
 * explicit nonce follows the header, the AAD is the record number and the
 * header with the plaintext length. TLS 1.3: no explicit nonce, the nonce
 * is the static IV XORed with the record number and the AAD is the header.
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
#define KSIM_AAD_SIZE		13	/* the larger one, TLS 1.2's */
/* Largest record the emulated hardware accepts: TLS 1.2 allows 2^14 + 2048
 * bytes of ciphertext after the header (TLS 1.3 2^14 + 256).
 */
#define KSIM_MAX_RECORD		(TLS_HEADER_SIZE + TLS_MAX_PAYLOAD_SIZE + 2048)

/* What tls_dev_add() gave us, in the form the record code needs. */
struct ksim_key {
	u16 version;
	u16 cipher_type;
	unsigned int key_len;
	u8 key[32];
	u8 salt[KSIM_SALT_SIZE];
	u8 iv[KSIM_EXPLICIT_IV_SIZE];	/* TLS 1.3: the rest of the static IV */
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
unsigned int ksim_max_record(const struct ksim_key *k);
bool ksim_outer_type_ok(const struct ksim_key *k, u8 type);
void ksim_record_nonce(const struct ksim_key *k, const u8 *rec, u64 rcd_sn,
		       u8 *nonce);

int ksim_aead_init(struct ksim_aead *a, const struct ksim_key *k, gfp_t gfp);
void ksim_aead_free(struct ksim_aead *a);
int ksim_seal_record(struct ksim_aead *a, const struct ksim_key *k,
		     u8 *rec, unsigned int len, u64 rcd_sn);
int ksim_open_record(struct ksim_aead *a, const struct ksim_key *k,
		     u8 *rec, unsigned int len, u64 rcd_sn);

struct crypto_sync_skcipher *ksim_ctr_alloc(const struct ksim_key *k);
int ksim_ctr_decrypt(struct crypto_sync_skcipher *ctr, const u8 *nonce,
		     unsigned int data_off, u8 *buf, unsigned int len);

#endif /* _KTLS_SIM_CRYPTO_H */
