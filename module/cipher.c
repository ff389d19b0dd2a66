// SPDX-License-Identifier: GPL-2.0
/*
 * The cipher descriptor table: one row per TLS_CIPHER_* value, holding
 * everything the rest of the module needs to know about a suite. Code
 * elsewhere looks sizes and names up here instead of switching on the
 * cipher type, so adding a suite means adding a row.
 */
#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <kunit/visibility.h>

#include "tls.h"

#define KTLS_CIPHER_MIN		TLS_CIPHER_AES_GCM_128
#define KTLS_CIPHER_MAX		TLS_CIPHER_ARIA_GCM_256

/* CCM flags byte for a 12-byte nonce: L' = 15 - 12 - 1 (RFC 3610). */
#define KTLS_CCM_IV_LEAD	2

/*
 * Compile-time proof that a row's constants agree with the uapi struct they
 * describe and fit the fixed-size buffers of struct tls_context.
 */
#define KTLS_CIPHER_CHECK(c, type)					\
	static_assert(sizeof_field(struct type, key) == c##_KEY_SIZE &&	\
		      sizeof_field(struct type, iv) == c##_IV_SIZE &&	\
		      sizeof_field(struct type, salt) == c##_SALT_SIZE &&	\
		      sizeof_field(struct type, rec_seq) ==		\
			c##_REC_SEQ_SIZE &&				\
		      offsetof(struct type, info) == 0 &&		\
		      (c##_TAG_SIZE) == TLS_TAG_SIZE &&			\
		      sizeof_field(struct type, iv) <= TLS_MAX_IV_SIZE &&	\
		      sizeof_field(struct type, salt) <= TLS_MAX_SALT_SIZE && \
		      sizeof_field(struct type, rec_seq) <=		\
			TLS_MAX_REC_SEQ_SIZE &&				\
		      sizeof(struct type) <= sizeof(union tls_crypto_context))

#define KTLS_CIPHER(c, type, name, style, lead, v12, v13, offl)	\
	[(c) - KTLS_CIPHER_MIN] = {					\
		.aead_name	= name,					\
		.key		= c##_KEY_SIZE,				\
		.iv		= c##_IV_SIZE,				\
		.salt		= c##_SALT_SIZE,			\
		.tag		= c##_TAG_SIZE,				\
		.rec_seq	= c##_REC_SEQ_SIZE,			\
		.iv_offset	= offsetof(struct type, iv),		\
		.key_offset	= offsetof(struct type, key),		\
		.salt_offset	= offsetof(struct type, salt),		\
		.rec_seq_offset	= offsetof(struct type, rec_seq),	\
		.info_size	= sizeof(struct type),			\
		.nonce_style	= style,				\
		.aead_iv_lead	= lead,					\
		.tls12		= v12,					\
		.tls13		= v13,					\
		.offloadable	= offl,					\
	}

static const struct ktls_cipher_desc ktls_ciphers[] = {
	KTLS_CIPHER(TLS_CIPHER_AES_GCM_128, tls12_crypto_info_aes_gcm_128,
		    "gcm(aes)", KTLS_NONCE_EXPLICIT, 0, 1, 1, 1),
	KTLS_CIPHER(TLS_CIPHER_AES_GCM_256, tls12_crypto_info_aes_gcm_256,
		    "gcm(aes)", KTLS_NONCE_EXPLICIT, 0, 1, 1, 1),
	KTLS_CIPHER(TLS_CIPHER_AES_CCM_128, tls12_crypto_info_aes_ccm_128,
		    "ccm(aes)", KTLS_NONCE_EXPLICIT, KTLS_CCM_IV_LEAD, 1, 1, 0),
	KTLS_CIPHER(TLS_CIPHER_CHACHA20_POLY1305,
		    tls12_crypto_info_chacha20_poly1305,
		    "rfc7539(chacha20,poly1305)", KTLS_NONCE_XOR, 0, 1, 1, 0),
	KTLS_CIPHER(TLS_CIPHER_SM4_GCM, tls12_crypto_info_sm4_gcm,
		    "gcm(sm4)", KTLS_NONCE_EXPLICIT, 0, 1, 1, 0),
	KTLS_CIPHER(TLS_CIPHER_SM4_CCM, tls12_crypto_info_sm4_ccm,
		    "ccm(sm4)", KTLS_NONCE_EXPLICIT, KTLS_CCM_IV_LEAD, 1, 1, 0),
	/* RFC 6209 defines ARIA suites for TLS 1.2 only. */
	KTLS_CIPHER(TLS_CIPHER_ARIA_GCM_128, tls12_crypto_info_aria_gcm_128,
		    "gcm(aria)", KTLS_NONCE_EXPLICIT, 0, 1, 0, 0),
	KTLS_CIPHER(TLS_CIPHER_ARIA_GCM_256, tls12_crypto_info_aria_gcm_256,
		    "gcm(aria)", KTLS_NONCE_EXPLICIT, 0, 1, 0, 0),
};

static_assert(ARRAY_SIZE(ktls_ciphers) ==
	      KTLS_CIPHER_MAX - KTLS_CIPHER_MIN + 1);
KTLS_CIPHER_CHECK(TLS_CIPHER_AES_GCM_128, tls12_crypto_info_aes_gcm_128);
KTLS_CIPHER_CHECK(TLS_CIPHER_AES_GCM_256, tls12_crypto_info_aes_gcm_256);
KTLS_CIPHER_CHECK(TLS_CIPHER_AES_CCM_128, tls12_crypto_info_aes_ccm_128);
KTLS_CIPHER_CHECK(TLS_CIPHER_CHACHA20_POLY1305,
		  tls12_crypto_info_chacha20_poly1305);
KTLS_CIPHER_CHECK(TLS_CIPHER_SM4_GCM, tls12_crypto_info_sm4_gcm);
KTLS_CIPHER_CHECK(TLS_CIPHER_SM4_CCM, tls12_crypto_info_sm4_ccm);
KTLS_CIPHER_CHECK(TLS_CIPHER_ARIA_GCM_128, tls12_crypto_info_aria_gcm_128);
KTLS_CIPHER_CHECK(TLS_CIPHER_ARIA_GCM_256, tls12_crypto_info_aria_gcm_256);

/* The salt and the per-record IV are kept back to back in cipher_context. */
static_assert(TLS_MAX_SALT_SIZE + TLS_MAX_IV_SIZE <= KTLS_CIPHER_IV_SPACE);

/* Row for @cipher_type, or NULL for a value no suite has. */
const struct ktls_cipher_desc *ktls_cipher_desc_get(u16 cipher_type)
{
	if (cipher_type < KTLS_CIPHER_MIN || cipher_type > KTLS_CIPHER_MAX)
		return NULL;
	return &ktls_ciphers[cipher_type - KTLS_CIPHER_MIN];
}
EXPORT_SYMBOL_IF_KUNIT(ktls_cipher_desc_get);

/*
 * CCM (the suites with an IV lead byte) authenticates the plaintext and
 * then encrypts it, reading it twice. Text that may change in between
 * (spliced pages) is copied first for it, or the tag could fail to match
 * what was encrypted and the peer would drop the connection.
 */
bool ktls_cipher_reads_text_twice(u16 cipher_type)
{
	const struct ktls_cipher_desc *desc = ktls_cipher_desc_get(cipher_type);

	return desc && desc->aead_iv_lead;
}
EXPORT_SYMBOL_IF_KUNIT(ktls_cipher_reads_text_twice);

static bool ktls_version_allowed(const struct ktls_cipher_desc *desc,
				 u16 version)
{
	if (version == TLS_1_2_VERSION)
		return desc->tls12;
	if (version == TLS_1_3_VERSION)
		return desc->tls13;
	return false;
}

/**
 * ktls_crypto_info_check() - may these keys be installed?
 * @info: header of the crypto_info the user passed
 * @optlen: length the user passed for the whole struct
 * @other: crypto_info of the other direction (cipher_type 0 if unset)
 *
 * Pure function of its arguments, so that KUnit can cover it.
 *
 * Return: 0 or -EINVAL.
 */
int ktls_crypto_info_check(const struct tls_crypto_info *info,
			   unsigned int optlen,
			   const struct tls_crypto_info *other)
{
	const struct ktls_cipher_desc *desc;

	if (optlen < sizeof(*info))
		return -EINVAL;
	desc = ktls_cipher_desc_get(info->cipher_type);
	if (!desc || !ktls_version_allowed(desc, info->version))
		return -EINVAL;
	/* Both directions of one connection run the same suite. */
	if (TLS_CRYPTO_INFO_READY(other) &&
	    (other->version != info->version ||
	     other->cipher_type != info->cipher_type))
		return -EINVAL;
	if (optlen != desc->info_size)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ktls_crypto_info_check);

/**
 * ktls_prot_info_fill() - record layout for a validated crypto_info
 * @prot: filled in
 * @info: crypto_info accepted by ktls_crypto_info_check()
 * @desc: its row in the table
 *
 * TLS 1.3 records carry no explicit nonce, authenticate only the 5-byte
 * header and end with the inner content type byte. TLS 1.2 records may
 * carry an explicit nonce and authenticate a 13-byte pseudo-header.
 */
void ktls_prot_info_fill(struct tls_prot_info *prot,
			 const struct tls_crypto_info *info,
			 const struct ktls_cipher_desc *desc)
{
	bool tls13 = info->version == TLS_1_3_VERSION;
	u16 nonce = 0;

	if (!tls13 && desc->nonce_style == KTLS_NONCE_EXPLICIT)
		nonce = desc->iv;

	prot->version = info->version;
	prot->cipher_type = info->cipher_type;
	prot->aad_size = tls13 ? TLS_HEADER_SIZE : TLS_AAD_SPACE_SIZE;
	prot->tail_size = tls13 ? 1 : 0;
	prot->prepend_size = TLS_HEADER_SIZE + nonce;
	prot->tag_size = desc->tag;
	prot->overhead_size = prot->prepend_size + prot->tag_size +
			      prot->tail_size;
	prot->iv_size = desc->iv;
	prot->salt_size = desc->salt;
	prot->rec_seq_size = desc->rec_seq;
}
EXPORT_SYMBOL_IF_KUNIT(ktls_prot_info_fill);
