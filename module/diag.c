// SPDX-License-Identifier: GPL-2.0
/*
 * sock_diag: the ULP part of INET_DIAG_ULP_INFO, what `ss -ti` prints on
 * its tcp-ulp-tls line. Called under RCU without the socket lock.
 */
#include <linux/inet_diag.h>
#include <net/inet_connection_sock.h>
#include <net/netlink.h>

#include "tls.h"

/* One lockless read of everything reported, taken under RCU. */
struct ktls_diag_info {
	u16 version;
	u16 cipher_type;
	u16 tx_conf;
	u16 rx_conf;
	u16 tx_max_payload;
	bool zc_ro_tx;
	bool rx_no_pad;
};

/*
 * Only the configurations this module sets. TLS_HW_RECORD (the TOE
 * drivers' mode, gone from <net/tls.h> after 6.12) is never ours.
 */
static const u16 ktls_conf_uapi[TLS_NUM_CONFIG] = {
	[TLS_BASE]	= TLS_CONF_BASE,
	[TLS_SW]	= TLS_CONF_SW,
	[TLS_HW]	= TLS_CONF_HW,
};

/*
 * setsockopt may change these while we read them (the record size limit
 * and the no-pad flag also back and forth): each is read once, so a report
 * racing with it may mix values from before and after, each a value the
 * socket really had.
 */
static void ktls_diag_read(const struct ktls_context *kctx,
			   struct ktls_diag_info *info)
{
	const struct tls_context *ctx = &kctx->base;
	u8 tx_conf, rx_conf;
	bool zc;

	/* Bitfields cannot be READ_ONCE'd; racing with setsockopt is fine. */
	tx_conf = data_race((u8)ctx->tx_conf);
	/* Same as tx_conf. */
	rx_conf = data_race((u8)ctx->rx_conf);

	info->version = READ_ONCE(ctx->prot_info.version);
	info->cipher_type = READ_ONCE(ctx->prot_info.cipher_type);
	info->tx_conf = ktls_conf_uapi[tx_conf];
	info->rx_conf = ktls_conf_uapi[rx_conf];
	info->tx_max_payload = READ_ONCE(kctx->tx_max_payload);
	/* Same as tx_conf. */
	zc = data_race((bool)ctx->zerocopy_sendfile);
	/* As upstream: zero-copy sendfile is only reported for offload. */
	info->zc_ro_tx = tx_conf == TLS_HW && zc;
	/* Same as tx_conf. */
	info->rx_no_pad = data_race((bool)ctx->rx_no_pad);
}

static int ktls_diag_put(struct sk_buff *skb, const struct ktls_diag_info *info)
{
	if (info->version &&
	    nla_put_u16(skb, TLS_INFO_VERSION, info->version))
		return -EMSGSIZE;
	if (info->cipher_type &&
	    nla_put_u16(skb, TLS_INFO_CIPHER, info->cipher_type))
		return -EMSGSIZE;
	if (nla_put_u16(skb, TLS_INFO_TXCONF, info->tx_conf) ||
	    nla_put_u16(skb, TLS_INFO_RXCONF, info->rx_conf))
		return -EMSGSIZE;
	if (info->zc_ro_tx && nla_put_flag(skb, TLS_INFO_ZC_RO_TX))
		return -EMSGSIZE;
	if (info->rx_no_pad && nla_put_flag(skb, TLS_INFO_RX_NO_PAD))
		return -EMSGSIZE;
	if (nla_put_u16(skb, TLS_INFO_TX_MAX_PAYLOAD_LEN, info->tx_max_payload))
		return -EMSGSIZE;
	return 0;
}

int ktls_diag_get_info(KTLS_ULP_INFO_PARAMS(struct sock *sk,
					    struct sk_buff *skb))
{
	struct ktls_diag_info info;
	struct tls_context *ctx;
	struct nlattr *nest;
	int err;

	nest = nla_nest_start_noflag(skb, INET_ULP_INFO_TLS);
	if (!nest)
		return -EMSGSIZE;

	rcu_read_lock();
	ctx = rcu_dereference(inet_csk(sk)->icsk_ulp_data);
	if (ctx)
		ktls_diag_read(ktls_ctx(ctx), &info);
	rcu_read_unlock();

	/* Already closed: the ULP name alone is reported. */
	if (!ctx) {
		nla_nest_cancel(skb, nest);
		return 0;
	}
	err = ktls_diag_put(skb, &info);
	if (err) {
		nla_nest_cancel(skb, nest);
		return err;
	}
	nla_nest_end(skb, nest);
	return 0;
}

size_t ktls_diag_get_info_size(KTLS_ULP_INFO_PARAMS(const struct sock *sk))
{
	return nla_total_size(0) +		/* INET_ULP_INFO_TLS */
	       nla_total_size(sizeof(u16)) +	/* TLS_INFO_VERSION */
	       nla_total_size(sizeof(u16)) +	/* TLS_INFO_CIPHER */
	       nla_total_size(sizeof(u16)) +	/* TLS_INFO_TXCONF */
	       nla_total_size(sizeof(u16)) +	/* TLS_INFO_RXCONF */
	       nla_total_size(0) +		/* TLS_INFO_ZC_RO_TX */
	       nla_total_size(0) +		/* TLS_INFO_RX_NO_PAD */
	       nla_total_size(sizeof(u16));	/* TLS_INFO_TX_MAX_PAYLOAD_LEN */
}
