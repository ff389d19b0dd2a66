/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An independent TLS record writer for the RX selftests: records are
 * sealed in userspace with OpenSSL's libcrypto EVP AEAD API and sent over
 * a raw TCP socket, so RX is checked without our TX path. The record
 * format follows RFC 5246 / 5288 / 7905 / 8446 directly.
 */
#ifndef _KTLS_RX_PEER_H
#define _KTLS_RX_PEER_H

#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>

#include "ctrl_util.h"

#define PEER_TAG	16
#define PEER_MAX_REC	(5 + 8 + 16384 + 256 + PEER_TAG)

struct peer {
	EVP_CIPHER *evp;
	unsigned short version;
	unsigned char key[32];
	int key_len;
	unsigned char salt_iv[12];	/* salt || iv: the 12-byte nonce base */
	int salt_len;			/* 4, or 0 for ChaCha20 */
	unsigned char seq[8];
	int ccm;
};

static const char *peer_evp_name(unsigned short cipher)
{
	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128: return "AES-128-GCM";
	case TLS_CIPHER_AES_GCM_256: return "AES-256-GCM";
	case TLS_CIPHER_AES_CCM_128: return "AES-128-CCM";
	case TLS_CIPHER_CHACHA20_POLY1305: return "ChaCha20-Poly1305";
	case TLS_CIPHER_SM4_GCM: return "SM4-GCM";
	case TLS_CIPHER_SM4_CCM: return "SM4-CCM";
	case TLS_CIPHER_ARIA_GCM_128: return "ARIA-128-GCM";
	case TLS_CIPHER_ARIA_GCM_256: return "ARIA-256-GCM";
	}
	return NULL;
}

/*
 * Take key, salt, IV and sequence number from the crypto_info handed to
 * the kernel. Every layout is iv, key, salt, rec_seq after the header
 * (uapi/linux/tls.h); only the sizes differ.
 */
static int peer_init(struct peer *p, const union ctrl_crypto *c)
{
	unsigned short cipher = c->info.cipher_type;
	const unsigned char *b = c->bytes + sizeof(c->info);
	int iv_len = 8;

	memset(p, 0, sizeof(*p));
	p->version = c->info.version;
	p->key_len = 16;
	p->salt_len = 4;
	if (cipher == TLS_CIPHER_AES_GCM_256 || cipher == TLS_CIPHER_ARIA_GCM_256)
		p->key_len = 32;
	if (cipher == TLS_CIPHER_CHACHA20_POLY1305) {
		p->key_len = 32;
		p->salt_len = 0;
		iv_len = 12;
	}
	p->ccm = cipher == TLS_CIPHER_AES_CCM_128 || cipher == TLS_CIPHER_SM4_CCM;
	memcpy(p->key, b + iv_len, p->key_len);
	memcpy(p->salt_iv, b + iv_len + p->key_len, p->salt_len);
	memcpy(p->salt_iv + p->salt_len, b, iv_len);
	memcpy(p->seq, b + iv_len + p->key_len + p->salt_len, 8);
	p->evp = EVP_CIPHER_fetch(NULL, peer_evp_name(cipher), NULL);
	return p->evp ? 0 : -1;
}

static void peer_free(struct peer *p)
{
	EVP_CIPHER_free(p->evp);
	p->evp = NULL;
}

static int peer_explicit(const struct peer *p)
{
	return p->version == TLS_1_2_VERSION && p->salt_len;
}

static void peer_nonce(const struct peer *p, unsigned char nonce[12])
{
	int i;

	memcpy(nonce, p->salt_iv, 12);
	if (peer_explicit(p)) {
		memcpy(nonce + 4, p->seq, 8);	/* our choice of explicit nonce */
		return;
	}
	for (i = 0; i < 8; i++)
		nonce[4 + i] ^= p->seq[i];
}

static void peer_seq_inc(struct peer *p)
{
	int i = 8;

	while (i-- && !++p->seq[i])
		;
}

/*
 * Seal @len bytes of @in into @out, the tag after them. CCM takes the
 * message length before the AAD. An empty CCM message still needs its
 * data update: OpenSSL 3.0's CCM provider computes the tag only in an
 * update that has both an input and an output buffer (a NULL input is
 * taken as EVP_EncryptFinal(), a NULL output as the AAD or the length),
 * and refuses EVP_CTRL_AEAD_GET_TAG without one. So the update is made
 * with non-NULL pointers and length 0. GCM and ChaCha20-Poly1305 need no
 * update for an empty message and get none.
 */
static int peer_aead(const struct peer *p, const unsigned char *nonce,
		     const unsigned char *aad, int aad_len,
		     const unsigned char *in, int len, unsigned char *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	static const unsigned char none[1];
	int n, ok;

	ok = ctx && EVP_EncryptInit_ex(ctx, p->evp, NULL, NULL, NULL) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL);
	if (ok && p->ccm)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, PEER_TAG,
					 NULL);
	ok = ok && EVP_EncryptInit_ex(ctx, NULL, NULL, p->key, nonce);
	if (ok && p->ccm)
		ok = EVP_EncryptUpdate(ctx, NULL, &n, NULL, len);
	ok = ok && EVP_EncryptUpdate(ctx, NULL, &n, aad, aad_len) &&
	     ((len == 0 && !p->ccm) ||
	      EVP_EncryptUpdate(ctx, out, &n, in ? in : none, len)) &&
	     EVP_EncryptFinal_ex(ctx, out + len, &n) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, PEER_TAG,
				 out + len);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

/*
 * Seal one record of @type carrying @len bytes into @out (PEER_MAX_REC).
 * TLS 1.3 adds the inner type and @pad zero bytes. Returns its length.
 */
static int peer_seal_pad(struct peer *p, unsigned char type,
			 const void *data, int len, int pad, unsigned char *out)
{
	int hdr = peer_explicit(p) ? 13 : 5, inner = len, wire;
	unsigned char nonce[12], aad[13], *plain;

	plain = calloc(1, len + 1 + pad + 1);
	memcpy(plain, data, len);
	if (p->version == TLS_1_3_VERSION) {
		plain[len] = type;
		inner = len + 1 + pad;
	}
	wire = inner + PEER_TAG + hdr - 5;
	out[0] = p->version == TLS_1_3_VERSION ? 23 : type;
	out[1] = 3;
	out[2] = 3;
	out[3] = wire >> 8;
	out[4] = wire & 0xff;
	peer_nonce(p, nonce);
	if (peer_explicit(p))
		memcpy(out + 5, nonce + 4, 8);
	if (p->version == TLS_1_3_VERSION) {
		memcpy(aad, out, 5);
	} else {
		memcpy(aad, p->seq, 8);
		aad[8] = type;
		aad[9] = 3;
		aad[10] = 3;
		aad[11] = len >> 8;
		aad[12] = len & 0xff;
	}
	if (peer_aead(p, nonce, aad, p->version == TLS_1_3_VERSION ? 5 : 13,
		      plain, inner, out + hdr))
		wire = -1;
	free(plain);
	peer_seq_inc(p);
	return wire < 0 ? -1 : wire + 5;
}

static int peer_seal(struct peer *p, unsigned char type, const void *data,
		     int len, unsigned char *out)
{
	return peer_seal_pad(p, type, data, len, 0, out);
}

/* send() all of @len bytes. */
static int send_all(int fd, const void *buf, size_t len)
{
	const char *b = buf;

	while (len) {
		ssize_t n = send(fd, b, len, 0);

		if (n <= 0)
			return -1;
		b += n;
		len -= n;
	}
	return 0;
}

#endif /* _KTLS_RX_PEER_H */
