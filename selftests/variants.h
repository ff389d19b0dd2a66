/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one variant table (cipher x TLS version x address family) of the
 * selftests that run once per suite (rx, tx, sockopt). Kept here rather
 * than copied into each file so that a suite added to the kernel is added
 * to every one of them at once, under the same variant name: the names
 * end up in fixture.variant.test and so in the expected-results files.
 *
 * Include it once per fixture, after FIXTURE(), with the fixture named:
 *
 *	#define KTLS_VARIANT_FIXTURE rx
 *	#include "variants.h"
 *
 * which declares FIXTURE_VARIANT(rx) { version, cipher, family } and adds
 * every row as a variant of rx. A fixture whose variant needs more fields
 * declares FIXTURE_VARIANT() itself, with at least those three, and
 * defines KTLS_VARIANT_OWN_STRUCT; the fields the table does not set are
 * zero. KTLS_VARIANTS_NO_IPV4 or KTLS_VARIANTS_NO_IPV6 leaves out one part
 * of the table, so that a fixture can list rows of its own between them.
 * All four settings are consumed (#undef) by the include.
 *
 * The rows are code rather than an X-macro list so that each macro here
 * stays a single FIXTURE_VARIANT_ADD() with the initializer after it, as
 * the harness has it, and checkpatch can read them.
 * No include guard around the rows: each inclusion is for one fixture.
 */
#ifndef _KTLS_VARIANTS_H
#define _KTLS_VARIANTS_H

#include <linux/tls.h>
#include <sys/socket.h>

/*
 * The harness pastes the fixture name (##), which would take the macro
 * KTLS_VARIANT_FIXTURE literally; one level more expands it first.
 */
#define KTLS_VARIANT_STRUCT(f)	FIXTURE_VARIANT(f)
#define KTLS_VARIANT_ADD(f, name)	FIXTURE_VARIANT_ADD(f, name)
/* One row, a variant of KTLS_VARIANT_FIXTURE. */
#define KTLS_VARIANT(name)	KTLS_VARIANT_ADD(KTLS_VARIANT_FIXTURE, name)

#endif /* _KTLS_VARIANTS_H */

#ifndef KTLS_VARIANT_FIXTURE
#error "variants.h: #define KTLS_VARIANT_FIXTURE to the fixture first"
#endif

#ifndef KTLS_VARIANT_OWN_STRUCT
KTLS_VARIANT_STRUCT(KTLS_VARIANT_FIXTURE)
{
	unsigned short version;
	unsigned short cipher;
	int family;
};
#endif

/*
 * Every suite the kernel has, for each TLS version that defines it, over
 * IPv4. ARIA exists for TLS 1.2 only (RFC 6209): the kernel refuses a
 * TLS 1.3 ARIA key, which only sockopt tests.
 */
#ifndef KTLS_VARIANTS_NO_IPV4
KTLS_VARIANT(12_aes_gcm)
{
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_AES_GCM_128, .family = AF_INET,
};

KTLS_VARIANT(13_aes_gcm)
{
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_AES_GCM_128, .family = AF_INET,
};

KTLS_VARIANT(12_aes_gcm_256)
{
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_AES_GCM_256, .family = AF_INET,
};

KTLS_VARIANT(13_aes_gcm_256)
{
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_AES_GCM_256, .family = AF_INET,
};

KTLS_VARIANT(12_aes_ccm)
{
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_AES_CCM_128, .family = AF_INET,
};

KTLS_VARIANT(13_aes_ccm)
{
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_AES_CCM_128, .family = AF_INET,
};

KTLS_VARIANT(12_chacha)
{
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_CHACHA20_POLY1305, .family = AF_INET,
};

KTLS_VARIANT(13_chacha)
{
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_CHACHA20_POLY1305, .family = AF_INET,
};

KTLS_VARIANT(12_sm4_gcm)
{
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_SM4_GCM, .family = AF_INET,
};

KTLS_VARIANT(13_sm4_gcm)
{
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_SM4_GCM, .family = AF_INET,
};

KTLS_VARIANT(12_sm4_ccm)
{
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_SM4_CCM, .family = AF_INET,
};

KTLS_VARIANT(13_sm4_ccm)
{
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_SM4_CCM, .family = AF_INET,
};

KTLS_VARIANT(12_aria_gcm)
{
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_ARIA_GCM_128, .family = AF_INET,
};

KTLS_VARIANT(12_aria_gcm_256)
{
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_ARIA_GCM_256, .family = AF_INET,
};
#endif

/*
 * IPv6: the family only changes the socket underneath, so one suite per
 * version is enough to cover it.
 */
#ifndef KTLS_VARIANTS_NO_IPV6
KTLS_VARIANT(12_aes_gcm_v6)
{
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_AES_GCM_128, .family = AF_INET6,
};

KTLS_VARIANT(13_chacha_v6)
{
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_CHACHA20_POLY1305, .family = AF_INET6,
};
#endif

#undef KTLS_VARIANT_FIXTURE
#undef KTLS_VARIANT_OWN_STRUCT
#undef KTLS_VARIANTS_NO_IPV4
#undef KTLS_VARIANTS_NO_IPV6
