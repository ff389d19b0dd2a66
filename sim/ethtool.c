// SPDX-License-Identifier: GPL-2.0
/*
 * ethtool for ktls_sim: driver info and the offload counters (ethtool -S),
 * named as Documentation/networking/tls-offload.rst names them where it
 * has a name; the rest say what the emulator did.
 */
#include <linux/ethtool.h>
#include <linux/netdevice.h>

#include "sim.h"

static const char ksim_stat_names[KSIM_NUM_STATS][ETH_GSTRING_LEN] = {
	[KSIM_TX_TLS_ENCRYPTED_PACKETS]	= "tx_tls_encrypted_packets",
	[KSIM_TX_TLS_ENCRYPTED_BYTES]	= "tx_tls_encrypted_bytes",
	[KSIM_TX_TLS_CTX]		= "tx_tls_ctx",
	[KSIM_TX_TLS_DEL]		= "tx_tls_del",
	[KSIM_TX_TLS_REKEY]		= "tx_tls_rekey",
	[KSIM_TX_TLS_OOO]		= "tx_tls_ooo",
	[KSIM_TX_TLS_SKIP_NO_SYNC_DATA]	= "tx_tls_skip_no_sync_data",
	[KSIM_TX_TLS_DROP_NO_SYNC_DATA]	= "tx_tls_drop_no_sync_data",
	[KSIM_TX_TLS_DROP_ERR]		= "tx_tls_drop_err",
	[KSIM_TX_TLS_FALLBACK]		= "tx_tls_fallback",
	[KSIM_TX_TLS_AFTER_DEL]		= "tx_tls_after_del",
	[KSIM_RX_TLS_DECRYPTED_PACKETS]	= "rx_tls_decrypted_packets",
	[KSIM_RX_TLS_DECRYPTED_BYTES]	= "rx_tls_decrypted_bytes",
	[KSIM_RX_TLS_CTX]		= "rx_tls_ctx",
	[KSIM_RX_TLS_DEL]		= "rx_tls_del",
	[KSIM_RX_TLS_RESYNC_REQ_PKT]	= "rx_tls_resync_req_pkt",
	[KSIM_RX_TLS_RESYNC_RES_OK]	= "rx_tls_resync_res_ok",
	[KSIM_RX_TLS_RESYNC_RES_SKIP]	= "rx_tls_resync_res_skip",
	[KSIM_RX_TLS_RESYNC_REQ_START]	= "rx_tls_resync_req_start",
	[KSIM_RX_TLS_RESYNC_REQ_END]	= "rx_tls_resync_req_end",
	[KSIM_RX_TLS_RESYNC_REQ_SKIP]	= "rx_tls_resync_req_skip",
	[KSIM_RX_TLS_ERR]		= "rx_tls_err",
	[KSIM_RX_TLS_AUTH_FAIL]		= "rx_tls_auth_fail",
	[KSIM_RX_TLS_SKIPPED]		= "rx_tls_skipped",
	[KSIM_TLS_ADD_REFUSED]		= "tls_add_refused",
	[KSIM_TLS_ADD_UNSUPPORTED]	= "tls_add_unsupported",
	[KSIM_WIRE_DROPPED]		= "wire_dropped",
	[KSIM_WIRE_DUPLICATED]		= "wire_duplicated",
	[KSIM_WIRE_CORRUPTED]		= "wire_corrupted",
	[KSIM_WIRE_REORDERED]		= "wire_reordered",
};

static void ksim_get_drvinfo(struct net_device *dev,
			     struct ethtool_drvinfo *info)
{
	struct ksim_priv *priv = netdev_priv(dev);

	strscpy(info->driver, KSIM_DRV_NAME, sizeof(info->driver));
	snprintf(info->bus_info, sizeof(info->bus_info), "ktls_sim:%u",
		 priv->id);
}

static int ksim_get_sset_count(struct net_device *dev, int sset)
{
	return sset == ETH_SS_STATS ? KSIM_NUM_STATS : -EOPNOTSUPP;
}

static void ksim_get_strings(struct net_device *dev, u32 sset, u8 *buf)
{
	if (sset == ETH_SS_STATS)
		memcpy(buf, ksim_stat_names, sizeof(ksim_stat_names));
}

static void ksim_get_ethtool_stats(struct net_device *dev,
				   struct ethtool_stats *stats, u64 *data)
{
	struct ksim_priv *priv = netdev_priv(dev);
	int i;

	for (i = 0; i < KSIM_NUM_STATS; i++)
		data[i] = atomic64_read(&priv->stats[i]);
}

const struct ethtool_ops ksim_ethtool_ops = {
	.get_drvinfo		= ksim_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_sset_count		= ksim_get_sset_count,
	.get_strings		= ksim_get_strings,
	.get_ethtool_stats	= ksim_get_ethtool_stats,
};
