// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the cipher descriptor table and crypto_info validation.
 * Expected values are written out here from the uapi definitions of each
 * suite rather than computed with the table's own macros, so that a wrong
 * row fails.
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "tls.h"

struct cipher_row_case {
	const char *desc;
	u16 type;
	const char *aead_name;
	u16 key, iv, salt, rec_seq, info_size;
	u16 key_offset, salt_offset, rec_seq_offset;
	bool tls13;
	u8 nonce_style;
};

static const struct cipher_row_case cipher_row_cases[] = {
	{ "aes-gcm-128", TLS_CIPHER_AES_GCM_128, "gcm(aes)",
	  16, 8, 4, 8, 40, 12, 28, 32, true, KTLS_NONCE_EXPLICIT },
	{ "aes-gcm-256", TLS_CIPHER_AES_GCM_256, "gcm(aes)",
	  32, 8, 4, 8, 56, 12, 44, 48, true, KTLS_NONCE_EXPLICIT },
	{ "aes-ccm-128", TLS_CIPHER_AES_CCM_128, "ccm(aes)",
	  16, 8, 4, 8, 40, 12, 28, 32, true, KTLS_NONCE_EXPLICIT },
	{ "chacha20-poly1305", TLS_CIPHER_CHACHA20_POLY1305,
	  "rfc7539(chacha20,poly1305)",
	  32, 12, 0, 8, 56, 16, 48, 48, true, KTLS_NONCE_XOR },
	{ "sm4-gcm", TLS_CIPHER_SM4_GCM, "gcm(sm4)",
	  16, 8, 4, 8, 40, 12, 28, 32, true, KTLS_NONCE_EXPLICIT },
	{ "sm4-ccm", TLS_CIPHER_SM4_CCM, "ccm(sm4)",
	  16, 8, 4, 8, 40, 12, 28, 32, true, KTLS_NONCE_EXPLICIT },
	{ "aria-gcm-128", TLS_CIPHER_ARIA_GCM_128, "gcm(aria)",
	  16, 8, 4, 8, 40, 12, 28, 32, false, KTLS_NONCE_EXPLICIT },
	{ "aria-gcm-256", TLS_CIPHER_ARIA_GCM_256, "gcm(aria)",
	  32, 8, 4, 8, 56, 12, 44, 48, false, KTLS_NONCE_EXPLICIT },
};

KUNIT_ARRAY_PARAM_DESC(cipher_row, cipher_row_cases, desc);

static void cipher_row_matches_uapi(struct kunit *test)
{
	const struct cipher_row_case *c = test->param_value;
	const struct ktls_cipher_desc *d;

	/* Act */
	d = ktls_cipher_desc_get(c->type);

	/* Assert */
	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_EXPECT_STREQ(test, d->aead_name, c->aead_name);
	KUNIT_EXPECT_EQ(test, d->key, c->key);
	KUNIT_EXPECT_EQ(test, d->iv, c->iv);
	KUNIT_EXPECT_EQ(test, d->salt, c->salt);
	KUNIT_EXPECT_EQ(test, d->tag, 16);
	KUNIT_EXPECT_EQ(test, d->rec_seq, c->rec_seq);
	KUNIT_EXPECT_EQ(test, d->info_size, c->info_size);
	KUNIT_EXPECT_EQ(test, d->iv_offset, 4);
	KUNIT_EXPECT_EQ(test, d->key_offset, c->key_offset);
	KUNIT_EXPECT_EQ(test, d->salt_offset, c->salt_offset);
	KUNIT_EXPECT_EQ(test, d->rec_seq_offset, c->rec_seq_offset);
	KUNIT_EXPECT_TRUE(test, d->tls12);
	KUNIT_EXPECT_EQ(test, (bool)d->tls13, c->tls13);
	KUNIT_EXPECT_EQ(test, d->nonce_style, c->nonce_style);
	/* CCM alone reads the plaintext twice (MAC, then CTR). */
	KUNIT_EXPECT_EQ(test, ktls_cipher_reads_text_twice(c->type),
			!strncmp(c->aead_name, "ccm(", 4));
}

static void cipher_unknown_types_have_no_row(struct kunit *test)
{
	static const u16 unknown[] = { 0, 1, 50, 59, 0x7fff, 0xffff };
	int i;

	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		KUNIT_EXPECT_NULL(test, ktls_cipher_desc_get(unknown[i]));
		KUNIT_EXPECT_FALSE(test, ktls_cipher_reads_text_twice(unknown[i]));
	}
}

struct check_case {
	const char *desc;
	u16 version, cipher;
	unsigned int optlen;
	u16 other_version, other_cipher;	/* cipher 0: other unset */
	int expected;
};

#define V12 TLS_1_2_VERSION
#define V13 TLS_1_3_VERSION

static const struct check_case check_cases[] = {
	{ "gcm128 1.2 ok", V12, TLS_CIPHER_AES_GCM_128, 40, 0, 0, 0 },
	{ "gcm128 1.3 ok", V13, TLS_CIPHER_AES_GCM_128, 40, 0, 0, 0 },
	{ "gcm256 1.3 ok", V13, TLS_CIPHER_AES_GCM_256, 56, 0, 0, 0 },
	{ "ccm128 1.2 ok", V12, TLS_CIPHER_AES_CCM_128, 40, 0, 0, 0 },
	{ "chacha 1.3 ok", V13, TLS_CIPHER_CHACHA20_POLY1305, 56, 0, 0, 0 },
	{ "sm4 gcm 1.3 ok", V13, TLS_CIPHER_SM4_GCM, 40, 0, 0, 0 },
	{ "sm4 ccm 1.2 ok", V12, TLS_CIPHER_SM4_CCM, 40, 0, 0, 0 },
	{ "aria128 1.2 ok", V12, TLS_CIPHER_ARIA_GCM_128, 40, 0, 0, 0 },
	{ "aria256 1.2 ok", V12, TLS_CIPHER_ARIA_GCM_256, 56, 0, 0, 0 },
	{ "aria128 1.3 refused", V13, TLS_CIPHER_ARIA_GCM_128, 40, 0, 0,
	  -EINVAL },
	{ "aria256 1.3 refused", V13, TLS_CIPHER_ARIA_GCM_256, 56, 0, 0,
	  -EINVAL },
	{ "tls 1.1 refused", 0x0302, TLS_CIPHER_AES_GCM_128, 40, 0, 0,
	  -EINVAL },
	{ "tls 1.4 refused", 0x0305, TLS_CIPHER_AES_GCM_128, 40, 0, 0,
	  -EINVAL },
	{ "version 0 refused", 0, TLS_CIPHER_AES_GCM_128, 40, 0, 0, -EINVAL },
	{ "cipher 0 refused", V12, 0, 40, 0, 0, -EINVAL },
	{ "cipher 50 refused", V12, 50, 40, 0, 0, -EINVAL },
	{ "cipher 59 refused", V12, 59, 56, 0, 0, -EINVAL },
	{ "optlen one short", V12, TLS_CIPHER_AES_GCM_128, 39, 0, 0,
	  -EINVAL },
	{ "optlen one long", V12, TLS_CIPHER_AES_GCM_128, 41, 0, 0, -EINVAL },
	{ "optlen of another suite", V12, TLS_CIPHER_AES_GCM_128, 56, 0, 0,
	  -EINVAL },
	{ "optlen header only", V12, TLS_CIPHER_AES_GCM_128, 4, 0, 0,
	  -EINVAL },
	{ "optlen below header", V12, TLS_CIPHER_AES_GCM_128, 3, 0, 0,
	  -EINVAL },
	{ "optlen 0", V12, TLS_CIPHER_AES_GCM_128, 0, 0, 0, -EINVAL },
	{ "same as other dir", V13, TLS_CIPHER_AES_GCM_256, 56,
	  V13, TLS_CIPHER_AES_GCM_256, 0 },
	{ "version differs from other dir", V12, TLS_CIPHER_AES_GCM_256, 56,
	  V13, TLS_CIPHER_AES_GCM_256, -EINVAL },
	{ "cipher differs from other dir", V13, TLS_CIPHER_AES_GCM_128, 40,
	  V13, TLS_CIPHER_AES_GCM_256, -EINVAL },
};

KUNIT_ARRAY_PARAM_DESC(check, check_cases, desc);

static void crypto_info_check_errno(struct kunit *test)
{
	const struct check_case *c = test->param_value;
	struct tls_crypto_info info, other;
	int rc;

	/* Arrange */
	info.version = c->version;
	info.cipher_type = c->cipher;
	other.version = c->other_version;
	other.cipher_type = c->other_cipher;

	/* Act */
	rc = ktls_crypto_info_check(&info, c->optlen, &other);

	/* Assert */
	KUNIT_EXPECT_EQ(test, rc, c->expected);
}

struct prot_case {
	const char *desc;
	u16 version, cipher;
	u16 prepend, overhead, aad, tail, iv, salt;
};

static const struct prot_case prot_cases[] = {
	/* 5-byte header + 8-byte explicit nonce; 16-byte tag. */
	{ "gcm128 1.2", V12, TLS_CIPHER_AES_GCM_128, 13, 29, 13, 0, 8, 4 },
	{ "ccm128 1.2", V12, TLS_CIPHER_AES_CCM_128, 13, 29, 13, 0, 8, 4 },
	{ "aria256 1.2", V12, TLS_CIPHER_ARIA_GCM_256, 13, 29, 13, 0, 8, 4 },
	/* ChaCha20 never sends a nonce. */
	{ "chacha 1.2", V12, TLS_CIPHER_CHACHA20_POLY1305, 5, 21, 13, 0, 12, 0 },
	/* TLS 1.3: no nonce, 5-byte AAD, one content type byte at the end. */
	{ "gcm128 1.3", V13, TLS_CIPHER_AES_GCM_128, 5, 22, 5, 1, 8, 4 },
	{ "gcm256 1.3", V13, TLS_CIPHER_AES_GCM_256, 5, 22, 5, 1, 8, 4 },
	{ "chacha 1.3", V13, TLS_CIPHER_CHACHA20_POLY1305, 5, 22, 5, 1, 12, 0 },
	{ "sm4 ccm 1.3", V13, TLS_CIPHER_SM4_CCM, 5, 22, 5, 1, 8, 4 },
};

KUNIT_ARRAY_PARAM_DESC(prot, prot_cases, desc);

static void prot_info_layout(struct kunit *test)
{
	const struct prot_case *c = test->param_value;
	struct tls_crypto_info info = {
		.version = c->version,
		.cipher_type = c->cipher,
	};
	struct tls_prot_info prot = {};

	/* Arrange */
	const struct ktls_cipher_desc *d = ktls_cipher_desc_get(c->cipher);

	KUNIT_ASSERT_NOT_NULL(test, d);

	/* Act */
	ktls_prot_info_fill(&prot, &info, d);

	/* Assert */
	KUNIT_EXPECT_EQ(test, prot.version, c->version);
	KUNIT_EXPECT_EQ(test, prot.cipher_type, c->cipher);
	KUNIT_EXPECT_EQ(test, prot.prepend_size, c->prepend);
	KUNIT_EXPECT_EQ(test, prot.tag_size, 16);
	KUNIT_EXPECT_EQ(test, prot.overhead_size, c->overhead);
	KUNIT_EXPECT_EQ(test, prot.aad_size, c->aad);
	KUNIT_EXPECT_EQ(test, prot.tail_size, c->tail);
	KUNIT_EXPECT_EQ(test, prot.iv_size, c->iv);
	KUNIT_EXPECT_EQ(test, prot.salt_size, c->salt);
	KUNIT_EXPECT_EQ(test, prot.rec_seq_size, 8);
}

static struct kunit_case ktls_cipher_test_cases[] = {
	KUNIT_CASE_PARAM(cipher_row_matches_uapi, cipher_row_gen_params),
	KUNIT_CASE(cipher_unknown_types_have_no_row),
	KUNIT_CASE_PARAM(crypto_info_check_errno, check_gen_params),
	KUNIT_CASE_PARAM(prot_info_layout, prot_gen_params),
	{}
};

static struct kunit_suite ktls_cipher_test_suite = {
	.name = "ktls_cipher",
	.test_cases = ktls_cipher_test_cases,
};

kunit_test_suite(ktls_cipher_test_suite);

MODULE_DESCRIPTION("KUnit tests for the kTLS cipher table");
MODULE_LICENSE("GPL");
KTLS_IMPORT_KUNIT_NS();
