// SPDX-License-Identifier: GPL-2.0
/*
 * setsockopt/getsockopt at SOL_TLS. Every other level goes to the proto
 * the socket had before TLS attached, unchanged. All SOL_TLS work runs under
 * the socket lock (getsockopt too: CVE-2023-28466 class).
 */
#include <linux/uaccess.h>
#include <net/sock.h>

#include "tls.h"

/*
 * A direction has its keys: account for it and move the socket to the
 * tables that route its traffic through the record layer. The TX and RX
 * data paths hook their per-direction set-up in here.
 */
static void ktls_dir_enable(struct sock *sk, struct ktls_context *kctx,
			    bool tx)
{
	struct tls_context *ctx = &kctx->base;

	if (tx) {
		ktls_tx_configure(sk, kctx);
	} else {
		ktls_rx_configure(sk, kctx);
		ktls_ku_rx_start(kctx);		/* KeyUpdate hook */
		ktls_rx_start(sk, kctx);
	}
	ktls_stat_conf_start(sock_net(sk), tx,
			     tx ? ctx->tx_conf : ctx->rx_conf);
	ktls_proto_update(sk, ctx);
}

/* TLS_TX / TLS_RX: validate, then install; on any error nothing changed. */
static int ktls_set_crypto(struct sock *sk, struct ktls_context *kctx,
			   sockptr_t optval, unsigned int optlen, bool tx)
{
	struct tls_context *ctx = &kctx->base;
	union tls_crypto_context keys = {};
	int rc;

	if (ktls_sk_has_psock(sk))
		return -EINVAL;
	if (sockptr_is_null(optval) || optlen < sizeof(keys.info))
		return -EINVAL;
	/* Keys set already: only a TLS 1.3 KeyUpdate may replace them. */
	if (TLS_CRYPTO_INFO_READY(&ktls_dir_keys(ctx, tx)->info))
		return ktls_rekey(sk, kctx, optval, optlen, tx);
	/*
	 * A send() asleep in TCP's own sendmsg (counted in sk_write_pending)
	 * would send the rest of its buffer in clear after our first record
	 * once it wakes up: no TX keys until it is done.
	 */
	if (tx && READ_ONCE(sk->sk_write_pending))
		return -EBUSY;
	if (copy_from_sockptr(&keys.info, optval, sizeof(keys.info)))
		return -EFAULT;

	rc = ktls_crypto_info_check(&keys.info, optlen,
				    &ktls_dir_keys(ctx, !tx)->info);
	if (!rc && copy_from_sockptr(&keys, optval, optlen))
		rc = -EFAULT;
	if (!rc)
		rc = ktls_keys_install(sk, kctx, &keys, tx);
	if (!rc)
		ktls_dir_enable(sk, kctx, tx);
	memzero_explicit(&keys, sizeof(keys));
	return rc;
}

static int ktls_set_tx_zerocopy(struct tls_context *ctx, sockptr_t optval,
				unsigned int optlen)
{
	unsigned int value;

	if (sockptr_is_null(optval) || optlen != sizeof(value))
		return -EINVAL;
	if (copy_from_sockptr(&value, optval, sizeof(value)))
		return -EFAULT;
	if (value > 1)
		return -EINVAL;
	ctx->zerocopy_sendfile = value;
	return 0;
}

/*
 * The peer's promise steers only records left to software: one a NIC
 * decrypted takes the copy path (rx.c, ktls_rx_zc_ciphertext()), so the
 * option is taken on an offloaded RX direction too, as upstream does.
 */
static bool ktls_rx_no_pad_conf(const struct tls_context *ctx)
{
	return ctx->rx_conf == TLS_SW || ctx->rx_conf == TLS_HW;
}

/* TLS 1.3 RX only; a longer optlen is accepted if the rest is zero. */
static int ktls_set_rx_no_pad(struct tls_context *ctx, sockptr_t optval,
			      unsigned int optlen)
{
	u32 value;
	int rc;

	if (ctx->prot_info.version != TLS_1_3_VERSION ||
	    sockptr_is_null(optval) || optlen < sizeof(value))
		return -EINVAL;
	if (copy_from_sockptr(&value, optval, sizeof(value)))
		return -EFAULT;
	if (value > 1)
		return -EINVAL;
	rc = check_zeroed_sockptr(optval, sizeof(value), optlen - sizeof(value));
	if (rc < 1)
		return rc ? rc : -EINVAL;
	if (!ktls_rx_no_pad_conf(ctx))
		return -EINVAL;
	ctx->rx_no_pad = value;
	return 0;
}

/*
 * RFC 8449 record size limit, as plaintext bytes per record. Under TLS 1.3
 * the inner content type byte counts toward the peer's limit, so the
 * smallest legal value is one lower.
 */
static int ktls_set_tx_max_payload(struct ktls_context *kctx,
				   sockptr_t optval, unsigned int optlen)
{
	u16 version = kctx->base.prot_info.version;
	u16 value, min;

	if (ktls_tx_record_open(kctx))
		return -EBUSY;
	if (sockptr_is_null(optval) || optlen != sizeof(value))
		return -EINVAL;
	if (copy_from_sockptr(&value, optval, sizeof(value)))
		return -EFAULT;

	min = KTLS_MIN_RECORD_SIZE_LIMIT;
	if (version == TLS_1_3_VERSION)
		min--;
	if (value < min || value > TLS_MAX_PAYLOAD_SIZE)
		return -EINVAL;
	WRITE_ONCE(kctx->tx_max_payload, value);
	return 0;
}

static int ktls_set(struct sock *sk, struct ktls_context *kctx, int optname,
		    sockptr_t optval, unsigned int optlen)
{
	switch (optname) {
	case TLS_TX:
	case TLS_RX:
		return ktls_set_crypto(sk, kctx, optval, optlen,
				       optname == TLS_TX);
	case TLS_TX_ZEROCOPY_RO:
		return ktls_set_tx_zerocopy(&kctx->base, optval, optlen);
	case TLS_RX_EXPECT_NO_PAD:
		return ktls_set_rx_no_pad(&kctx->base, optval, optlen);
	case TLS_TX_MAX_PAYLOAD_LEN:
		return ktls_set_tx_max_payload(kctx, optval, optlen);
	default:
		return -ENOPROTOOPT;
	}
}

/*
 * Whether TLS_TX would be refused whatever TX is doing: TLS 1.2 keys set
 * already (EBUSY), a TLS 1.3 rekey to another version or cipher (EINVAL).
 * Such a call must not first wait for TX behind a sender blocked on the
 * peer, only to come back with EAGAIN.
 */
static bool ktls_tx_keys_refused(struct ktls_context *kctx, sockptr_t optval,
				 unsigned int optlen)
{
	const struct tls_crypto_info *cur = &kctx->base.crypto_send.info;
	struct tls_crypto_info next;

	if (!TLS_CRYPTO_INFO_READY(cur))
		return false;
	if (sockptr_is_null(optval) || optlen < sizeof(next) ||
	    copy_from_sockptr(&next, optval, sizeof(next)))
		return true;
	return ktls_rekey_check(cur, &next) != 0;
}

int ktls_setsockopt(struct sock *sk, int level, int optname,
		    sockptr_t optval, unsigned int optlen)
{
	struct ktls_context *kctx = ktls_sk_ctx(sk);
	long timeo;
	int rc;

	if (level != SOL_TLS)
		return kctx->base.sk_proto->setsockopt(sk, level, optname,
						       optval, optlen);

	lock_sock(sk);
	/* Refused without touching TX (and counted) in ktls_rekey(). */
	if (optname != TLS_TX || ktls_tx_keys_refused(kctx, optval, optlen)) {
		rc = ktls_set(sk, kctx, optname, optval, optlen);
		goto out;
	}
	/*
	 * KeyUpdate hook: a TX key changes between records, as the TX
	 * owner, after a sender asleep with a half-filled record is done;
	 * waiting for it is interruptible and honours SO_SNDTIMEO.
	 */
	timeo = sock_sndtimeo(sk, false);
	rc = ktls_tx_lock(sk, kctx, &timeo);
	if (!rc) {
		rc = ktls_set(sk, kctx, optname, optval, optlen);
		ktls_tx_unlock(sk, kctx);
	}
out:
	release_sock(sk);
	return rc;
}

/*
 * The crypto_info with the IV and record sequence as they are now. A
 * buffer of exactly the header's size gets only the header.
 */
static int ktls_get_crypto(struct tls_context *ctx, char __user *optval,
			   int __user *optlen, bool tx)
{
	const union tls_crypto_context *keys = ktls_dir_keys(ctx, tx);
	struct cipher_context *cctx = ktls_dir_cipher(ctx, tx);
	const struct ktls_cipher_desc *desc;
	union tls_crypto_context out;
	int len, rc = 0;

	if (get_user(len, optlen))
		return -EFAULT;
	if (!optval || len < (int)sizeof(keys->info))
		return -EINVAL;
	if (!TLS_CRYPTO_INFO_READY(&keys->info))
		return -EBUSY;
	if (len == sizeof(keys->info))
		return copy_to_user(optval, &keys->info, len) ? -EFAULT : 0;

	desc = ktls_cipher_desc_get(keys->info.cipher_type);
	if (!desc || len != desc->info_size)
		return -EINVAL;

	out = *keys;
	memcpy(ktls_info_field(&out.info, desc->iv_offset),
	       cctx->iv + desc->salt, desc->iv);
	memcpy(ktls_info_field(&out.info, desc->rec_seq_offset),
	       cctx->rec_seq, desc->rec_seq);
	if (copy_to_user(optval, &out, desc->info_size))
		rc = -EFAULT;
	memzero_explicit(&out, sizeof(out));
	return rc;
}

static int ktls_get_tx_zerocopy(struct tls_context *ctx, char __user *optval,
				int __user *optlen)
{
	unsigned int value = ctx->zerocopy_sendfile;
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len != sizeof(value))
		return -EINVAL;
	return copy_to_user(optval, &value, sizeof(value)) ? -EFAULT : 0;
}

static int ktls_get_rx_no_pad(struct tls_context *ctx, char __user *optval,
			      int __user *optlen)
{
	int value = ctx->rx_no_pad;
	int len;

	if (ctx->prot_info.version != TLS_1_3_VERSION)
		return -EINVAL;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < (int)sizeof(value) || !ktls_rx_no_pad_conf(ctx))
		return -EINVAL;
	if (put_user(sizeof(value), optlen))
		return -EFAULT;
	return copy_to_user(optval, &value, sizeof(value)) ? -EFAULT : 0;
}

static int ktls_get_tx_max_payload(struct ktls_context *kctx,
				   char __user *optval, int __user *optlen)
{
	u16 value = kctx->tx_max_payload;
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < (int)sizeof(value))
		return -EINVAL;
	if (put_user(sizeof(value), optlen))
		return -EFAULT;
	return copy_to_user(optval, &value, sizeof(value)) ? -EFAULT : 0;
}

static int ktls_get(struct ktls_context *kctx, int optname,
		    char __user *optval, int __user *optlen)
{
	switch (optname) {
	case TLS_TX:
	case TLS_RX:
		return ktls_get_crypto(&kctx->base, optval, optlen,
				       optname == TLS_TX);
	case TLS_TX_ZEROCOPY_RO:
		return ktls_get_tx_zerocopy(&kctx->base, optval, optlen);
	case TLS_RX_EXPECT_NO_PAD:
		return ktls_get_rx_no_pad(&kctx->base, optval, optlen);
	case TLS_TX_MAX_PAYLOAD_LEN:
		return ktls_get_tx_max_payload(kctx, optval, optlen);
	default:
		return -ENOPROTOOPT;
	}
}

int ktls_getsockopt(struct sock *sk, int level, int optname,
		    char __user *optval, int __user *optlen)
{
	struct ktls_context *kctx = ktls_sk_ctx(sk);
	int rc;

	if (level != SOL_TLS)
		return kctx->base.sk_proto->getsockopt(sk, level, optname,
						       optval, optlen);

	lock_sock(sk);
	rc = ktls_get(kctx, optname, optval, optlen);
	release_sock(sk);
	return rc;
}
