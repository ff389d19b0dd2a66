// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the record format (record.c): header, AAD, AEAD IV,
 * sequence advance and wrap, received-header validation and the TLS 1.3
 * padding scan. Expected bytes are spelled out from the RFCs' definitions,
 * never computed with the functions under test.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <net/tls_prot.h>

#include "tls.h"

/* Layout of a connection, as ktls_prot_info_fill() makes it. */
static void layout(struct tls_prot_info *prot, u16 version, u16 cipher)
{
	struct tls_crypto_info info = { .version = version,
					.cipher_type = cipher };

	memset(prot, 0, sizeof(*prot));
	ktls_prot_info_fill(prot, &info, ktls_cipher_desc_get(cipher));
}

static const u8 seq_7[8] = { 0, 0, 0, 0, 0, 0, 0, 7 };
/* salt 0xa0..0xa3 then IV 0xb0..0xb7 (ChaCha: IV 0xa0..0xab) */
static const u8 salt_iv[12] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xb0, 0xb1,
				0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7 };
static const u8 wire_nonce[8] = { 0xc0, 0xc1, 0xc2, 0xc3,
				  0xc4, 0xc5, 0xc6, 0xc7 };

struct header_case {
	const char *desc;
	u16 version, cipher;
	u8 type;
	u32 plain_len;
	u8 want[13];	/* header and, for TLS 1.2 AEADs, explicit nonce */
	u8 want_len;
};

static const struct header_case header_cases[] = {
	{ "tls12-gcm-data", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128, 23, 100,
	  /* 100 + 8 nonce + 16 tag = 124 */
	  { 23, 3, 3, 0, 124, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7 },
	  13 },
	{ "tls12-chacha-alert", TLS_1_2_VERSION, TLS_CIPHER_CHACHA20_POLY1305,
	  21, 2, { 21, 3, 3, 0, 18 }, 5 },
	{ "tls13-gcm-handshake", TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 22,
	  300, /* outer type data; 300 + 1 type + 16 tag = 317 */
	  { 23, 3, 3, 0x01, 0x3d }, 5 },
	{ "tls13-ccm-max", TLS_1_3_VERSION, TLS_CIPHER_AES_CCM_128, 23, 16383,
	  /* 16383 + 1 + 16 = 16400 = 0x4010 */
	  { 23, 3, 3, 0x40, 0x10 }, 5 },
};

KUNIT_ARRAY_PARAM_DESC(header, header_cases, desc);

static void header_matches_rfc(struct kunit *test)
{
	const struct header_case *c = test->param_value;
	struct tls_prot_info prot;
	u8 buf[16];

	/* Arrange */
	layout(&prot, c->version, c->cipher);
	memset(buf, 0x55, sizeof(buf));

	/* Act */
	ktls_record_fill_header(&prot, buf, c->type, c->plain_len, wire_nonce);

	/* Assert */
	KUNIT_EXPECT_EQ(test, prot.prepend_size, c->want_len);
	KUNIT_EXPECT_MEMEQ(test, buf, c->want, c->want_len);
	KUNIT_EXPECT_EQ(test, buf[c->want_len], 0x55); /* nothing beyond */
	KUNIT_EXPECT_EQ(test, ktls_record_wire_len(&prot, c->plain_len),
			5 + ((u32)c->want[3] << 8 | c->want[4]));
}

struct aad_case {
	const char *desc;
	u16 version, cipher;
	u8 type;
	u32 plain_len;
	u8 want[13];
	u8 want_len;
};

static const struct aad_case aad_cases[] = {
	/* RFC 5246: seq_num || type || version || length */
	{ "tls12-gcm", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_256, 23, 0x1234,
	  { 0, 0, 0, 0, 0, 0, 0, 7, 23, 3, 3, 0x12, 0x34 }, 13 },
	{ "tls12-chacha-handshake", TLS_1_2_VERSION,
	  TLS_CIPHER_CHACHA20_POLY1305, 22, 5,
	  { 0, 0, 0, 0, 0, 0, 0, 7, 22, 3, 3, 0, 5 }, 13 },
	/* RFC 8446: the header as sent, length incl. type byte and tag */
	{ "tls13-gcm", TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 21, 2,
	  { 23, 3, 3, 0, 19 }, 5 },
};

KUNIT_ARRAY_PARAM_DESC(aad, aad_cases, desc);

static void aad_matches_rfc(struct kunit *test)
{
	const struct aad_case *c = test->param_value;
	struct tls_prot_info prot;
	u8 aad[TLS_MAX_AAD_SIZE];

	/* Arrange */
	layout(&prot, c->version, c->cipher);

	/* Act */
	ktls_record_fill_aad(&prot, aad, c->type, c->plain_len, seq_7);

	/* Assert */
	KUNIT_EXPECT_EQ(test, prot.aad_size, c->want_len);
	KUNIT_EXPECT_MEMEQ(test, aad, c->want, c->want_len);
}

struct iv_case {
	const char *desc;
	u16 version, cipher;
	u8 want[KTLS_AEAD_IV_MAX];
	u8 want_len;
};

static const struct iv_case iv_cases[] = {
	/* RFC 5288: salt || explicit nonce from the record */
	{ "tls12-gcm-explicit", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128,
	  { 0xa0, 0xa1, 0xa2, 0xa3, 0xc0, 0xc1, 0xc2, 0xc3,
	    0xc4, 0xc5, 0xc6, 0xc7 }, 12 },
	/* RFC 8446 5.3: static IV xor padded sequence number */
	{ "tls13-gcm-xor", TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256,
	  { 0xa0, 0xa1, 0xa2, 0xa3, 0xb0, 0xb1, 0xb2, 0xb3,
	    0xb4, 0xb5, 0xb6, 0xb7 ^ 7 }, 12 },
	/* RFC 7905: ChaCha xors in TLS 1.2 as well */
	{ "tls12-chacha-xor", TLS_1_2_VERSION, TLS_CIPHER_CHACHA20_POLY1305,
	  { 0xa0, 0xa1, 0xa2, 0xa3, 0xb0, 0xb1, 0xb2, 0xb3,
	    0xb4, 0xb5, 0xb6, 0xb7 ^ 7 }, 12 },
	/* CCM: flags byte L' = 2, nonce, zero counter (CVE-2022-49094) */
	{ "tls12-ccm-explicit", TLS_1_2_VERSION, TLS_CIPHER_AES_CCM_128,
	  { 2, 0xa0, 0xa1, 0xa2, 0xa3, 0xc0, 0xc1, 0xc2, 0xc3,
	    0xc4, 0xc5, 0xc6, 0xc7, 0, 0, 0 }, 16 },
	{ "tls13-ccm-xor", TLS_1_3_VERSION, TLS_CIPHER_AES_CCM_128,
	  { 2, 0xa0, 0xa1, 0xa2, 0xa3, 0xb0, 0xb1, 0xb2, 0xb3,
	    0xb4, 0xb5, 0xb6, 0xb7 ^ 7, 0, 0, 0 }, 16 },
};

KUNIT_ARRAY_PARAM_DESC(iv, iv_cases, desc);

static void iv_matches_rfc(struct kunit *test)
{
	const struct iv_case *c = test->param_value;
	struct tls_prot_info prot;
	u8 iv[KTLS_AEAD_IV_MAX + 1];

	/* Arrange */
	layout(&prot, c->version, c->cipher);
	memset(iv, 0x55, sizeof(iv));

	/* Act */
	ktls_record_fill_iv(&prot, iv, salt_iv, seq_7, wire_nonce);

	/* Assert */
	KUNIT_EXPECT_MEMEQ(test, iv, c->want, c->want_len);
	KUNIT_EXPECT_EQ(test, iv[c->want_len], 0x55);
}

static void advance_carries_seq_and_explicit_iv(struct kunit *test)
{
	static const u8 seq_after[8] = { 0, 0, 0, 0, 0, 0, 1, 0 };
	static const u8 iv_after[8] = { 0, 0, 0, 0, 0, 1, 0, 0 };
	struct tls_prot_info prot;
	struct cipher_context cc = {};

	/* Arrange: sequence 0xff, IV 0xffff */
	layout(&prot, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128);
	cc.rec_seq[7] = 0xff;
	cc.iv[4 + 6] = 0xff;
	cc.iv[4 + 7] = 0xff;

	/* Act */
	KUNIT_ASSERT_EQ(test, ktls_record_advance(&prot, &cc), 0);

	/* Assert */
	KUNIT_EXPECT_MEMEQ(test, cc.rec_seq, seq_after, 8);
	KUNIT_EXPECT_MEMEQ(test, cc.iv + 4, iv_after, 8);
}

static void advance_xor_suite_keeps_iv(struct kunit *test)
{
	struct tls_prot_info prot;
	struct cipher_context cc = {};
	u8 iv_before[sizeof(cc.iv)];

	/* Arrange */
	layout(&prot, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128);
	memcpy(cc.iv, salt_iv, sizeof(salt_iv));
	memcpy(iv_before, cc.iv, sizeof(cc.iv));

	/* Act */
	KUNIT_ASSERT_EQ(test, ktls_record_advance(&prot, &cc), 0);

	/* Assert */
	KUNIT_EXPECT_EQ(test, cc.rec_seq[7], 1);
	KUNIT_EXPECT_MEMEQ(test, cc.iv, iv_before, sizeof(cc.iv));
}

/* The last sequence number may be used once; the wrap is refused. */
static void advance_refuses_wrap(struct kunit *test)
{
	struct tls_prot_info prot;
	struct cipher_context cc = {};
	u8 seq_before[8];

	/* Arrange */
	layout(&prot, TLS_1_3_VERSION, TLS_CIPHER_CHACHA20_POLY1305);
	memset(cc.rec_seq, 0xff, 8);
	memcpy(seq_before, cc.rec_seq, 8);

	/* Act + Assert */
	KUNIT_EXPECT_EQ(test, ktls_record_advance(&prot, &cc), -EBADMSG);
	KUNIT_EXPECT_MEMEQ(test, cc.rec_seq, seq_before, 8);
}

struct check_case {
	const char *desc;
	u16 version, cipher;
	u8 hdr[5];
	int want;
};

static const struct check_case check_cases[] = {
	{ "tls12-gcm-ok", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128,
	  { 23, 3, 3, 0, 124 }, 129 },
	/* 16384 + 8 + 16 = 16408 = 0x4018 */
	{ "tls12-gcm-max", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128,
	  { 23, 3, 3, 0x40, 0x18 }, 16413 },
	{ "tls12-gcm-max-plus-1", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128,
	  { 23, 3, 3, 0x40, 0x19 }, -EMSGSIZE },
	{ "tls12-gcm-empty", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128,
	  { 23, 3, 3, 0, 24 }, 29 },
	{ "tls12-gcm-short", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128,
	  { 23, 3, 3, 0, 23 }, -EBADMSG },
	{ "tls12-version-3.1", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128,
	  { 23, 3, 1, 0, 124 }, -EINVAL },
	{ "tls12-version-2.3", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128,
	  { 23, 2, 3, 0, 124 }, -EINVAL },
	/* TLS 1.3: 16384 + 1 + 16 = 16401 = 0x4011 */
	{ "tls13-max", TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128,
	  { 23, 3, 3, 0x40, 0x11 }, 16406 },
	{ "tls13-max-plus-1", TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128,
	  { 23, 3, 3, 0x40, 0x12 }, -EMSGSIZE },
	{ "tls13-tag-only", TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128,
	  { 23, 3, 3, 0, 16 }, -EBADMSG },
	{ "tls12-chacha-empty", TLS_1_2_VERSION, TLS_CIPHER_CHACHA20_POLY1305,
	  { 23, 3, 3, 0, 16 }, 21 },
	{ "tls12-length-65535", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_256,
	  { 23, 3, 3, 0xff, 0xff }, -EMSGSIZE },
	/* garbage: the length is judged before the version */
	{ "garbage-0x55", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128,
	  { 0x55, 0x55, 0x55, 0x55, 0x55 }, -EMSGSIZE },
	{ "short-and-bad-version", TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128,
	  { 23, 1, 1, 0, 3 }, -EBADMSG },
};

KUNIT_ARRAY_PARAM_DESC(check, check_cases, desc);

static void check_header_validates(struct kunit *test)
{
	const struct check_case *c = test->param_value;
	struct tls_prot_info prot;

	/* Arrange */
	layout(&prot, c->version, c->cipher);

	/* Act + Assert */
	KUNIT_EXPECT_EQ(test, ktls_record_check_header(&prot, c->hdr), c->want);
}

struct inner_case {
	const char *desc;
	u8 chunk[6];
	u32 len;
	int want_type;
	u32 want_pad;
};

static const struct inner_case inner_cases[] = {
	{ "no-padding", { 'h', 'i', 23 }, 3, 23, 0 },
	{ "padded", { 'h', 21, 0, 0, 0 }, 5, 21, 3 },
	{ "type-only", { 22 }, 1, 22, 0 },
	{ "all-padding", { 0, 0, 0, 0 }, 4, 0, 4 },
	{ "empty-chunk", { 0 }, 0, 0, 0 },
};

KUNIT_ARRAY_PARAM_DESC(inner, inner_cases, desc);

static void inner_type_skips_padding(struct kunit *test)
{
	const struct inner_case *c = test->param_value;
	u32 pad = 0xdead;
	int type;

	/* Act */
	type = ktls_record_inner_type(c->chunk, c->len, &pad);

	/* Assert */
	KUNIT_EXPECT_EQ(test, type, c->want_type);
	KUNIT_EXPECT_EQ(test, pad, c->want_pad);
}

static struct kunit_case ktls_record_test_cases[] = {
	KUNIT_CASE_PARAM(header_matches_rfc, header_gen_params),
	KUNIT_CASE_PARAM(aad_matches_rfc, aad_gen_params),
	KUNIT_CASE_PARAM(iv_matches_rfc, iv_gen_params),
	KUNIT_CASE(advance_carries_seq_and_explicit_iv),
	KUNIT_CASE(advance_xor_suite_keeps_iv),
	KUNIT_CASE(advance_refuses_wrap),
	KUNIT_CASE_PARAM(check_header_validates, check_gen_params),
	KUNIT_CASE_PARAM(inner_type_skips_padding, inner_gen_params),
	{}
};

static struct kunit_suite ktls_record_test_suite = {
	.name = "ktls_record",
	.test_cases = ktls_record_test_cases,
};

kunit_test_suite(ktls_record_test_suite);
