// SPDX-License-Identifier: GPL-2.0
/*
 * Installing and dropping the keys of one direction: the AEAD transform,
 * the copy of the user's crypto_info, and the salt/IV/sequence state the
 * record layer works from.
 */
#include <crypto/aead.h>
#include <linux/string.h>

#include "tls.h"

/*
 * A keyed transform for @info, or an ERR_PTR (e.g. -ENOENT, no such alg).
 * @mask CRYPTO_ALG_ASYNC asks for a synchronous one.
 */
struct crypto_aead *ktls_aead_create(const struct tls_crypto_info *info,
				     u32 mask)
{
	const struct ktls_cipher_desc *desc;
	struct crypto_aead *aead;
	int rc;

	desc = ktls_cipher_desc_get(info->cipher_type);
	if (!desc)
		return ERR_PTR(-EINVAL);
	aead = crypto_alloc_aead(desc->aead_name, 0, mask);
	if (IS_ERR(aead))
		return aead;

	rc = crypto_aead_setkey(aead, ktls_info_field(info, desc->key_offset),
				desc->key);
	if (!rc)
		rc = crypto_aead_setauthsize(aead, desc->tag);
	if (rc) {
		crypto_free_aead(aead);
		return ERR_PTR(rc);
	}
	return aead;
}

/*
 * A request kept from record to record holds the last one's working
 * state (its GHASH, Poly1305's one-time key): wipe it once the engine
 * has answered, as freeing it with kfree_sensitive() would.
 */
void ktls_aead_request_wipe(struct aead_request *req)
{
	memzero_explicit(req->__ctx,
			 crypto_aead_reqsize(crypto_aead_reqtfm(req)));
}

/* The nonce base is salt || IV, as both TLS 1.2 and 1.3 build it. */
static void ktls_cipher_state_load(struct cipher_context *cctx,
				   const struct tls_crypto_info *info,
				   const struct ktls_cipher_desc *desc)
{
	memcpy(cctx->iv, ktls_info_field(info, desc->salt_offset), desc->salt);
	memcpy(cctx->iv + desc->salt, ktls_info_field(info, desc->iv_offset),
	       desc->iv);
	memcpy(cctx->rec_seq, ktls_info_field(info, desc->rec_seq_offset),
	       desc->rec_seq);
}

/**
 * ktls_keys_install() - key one direction of a socket
 * @sk: the socket, locked
 * @kctx: its context
 * @keys: crypto_info already accepted by ktls_crypto_info_check()
 * @tx: direction
 *
 * The transform is created first; the context is only written once nothing
 * can fail any more, so a failure leaves the socket as it was.
 *
 * Return: 0 or the crypto API's error.
 */
int ktls_keys_install(struct sock *sk, struct ktls_context *kctx,
		      const union tls_crypto_context *keys, bool tx)
{
	const struct ktls_cipher_desc *desc;
	struct tls_context *ctx = &kctx->base;
	struct crypto_aead *aead;

	desc = ktls_cipher_desc_get(keys->info.cipher_type);
	if (WARN_ON_ONCE(!desc))
		return -EINVAL;

	aead = ktls_aead_create(&keys->info, 0);
	if (IS_ERR(aead))
		return PTR_ERR(aead);

	ktls_cipher_state_load(ktls_dir_cipher(ctx, tx), &keys->info, desc);
	*ktls_dir_keys(ctx, tx) = *keys;
	ktls_prot_info_fill(&ctx->prot_info, &keys->info, desc);
	if (tx)
		kctx->tx_aead = aead;
	else
		kctx->rx_aead = aead;
	return 0;
}

/*
 * Drop both directions' keys. crypto_free_aead() wipes the transform's
 * own copy; the copies kept in the context are wiped here.
 */
void ktls_keys_release(struct ktls_context *kctx)
{
	struct tls_context *ctx = &kctx->base;

	crypto_free_aead(kctx->tx_aead);
	crypto_free_aead(kctx->rx_aead);
	kctx->tx_aead = NULL;
	kctx->rx_aead = NULL;
	memzero_explicit(&ctx->crypto_send, sizeof(ctx->crypto_send));
	memzero_explicit(&ctx->crypto_recv, sizeof(ctx->crypto_recv));
	memzero_explicit(&ctx->tx, sizeof(ctx->tx));
	memzero_explicit(&ctx->rx, sizeof(ctx->rx));
}
