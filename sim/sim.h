/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktls_sim: an emulated NIC with kTLS offload (NETIF_F_HW_TLS_TX/RX).
 *
 * Devices come in pairs, like veth: what one end transmits the other end
 * receives through its NAPI poll. On the way through, the transmitting end
 * encrypts the plaintext records of offloaded sockets and the receiving end
 * decrypts records of sockets that asked for RX offload, with the keys the
 * tls core handed to tls_dev_add(), as a TLS offload NIC would.
 */
#ifndef _KTLS_SIM_H
#define _KTLS_SIM_H

#include <linux/atomic.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <net/tls.h>

#include "../compat/ktls_late.h"

#define KSIM_DRV_NAME	"ktls_sim"

/* Counters, in the order ethtool -S lists them (names in ethtool.c). */
enum ksim_stat {
	KSIM_TX_TLS_ENCRYPTED_PACKETS,
	KSIM_TX_TLS_ENCRYPTED_BYTES,
	KSIM_TX_TLS_CTX,
	KSIM_TX_TLS_DEL,
	KSIM_TX_TLS_REKEY,
	KSIM_TX_TLS_OOO,
	KSIM_TX_TLS_SKIP_NO_SYNC_DATA,
	KSIM_TX_TLS_DROP_NO_SYNC_DATA,
	KSIM_TX_TLS_DROP_ERR,
	KSIM_TX_TLS_FALLBACK,
	KSIM_TX_TLS_AFTER_DEL,
	KSIM_RX_TLS_DECRYPTED_PACKETS,
	KSIM_RX_TLS_DECRYPTED_BYTES,
	KSIM_RX_TLS_CTX,
	KSIM_RX_TLS_DEL,
	KSIM_RX_TLS_RESYNC_REQ_PKT,
	KSIM_RX_TLS_RESYNC_RES_OK,
	KSIM_RX_TLS_RESYNC_RES_SKIP,
	KSIM_RX_TLS_RESYNC_REQ_START,
	KSIM_RX_TLS_RESYNC_REQ_END,
	KSIM_RX_TLS_RESYNC_REQ_SKIP,
	KSIM_RX_TLS_ERR,
	KSIM_RX_TLS_AUTH_FAIL,
	KSIM_RX_TLS_SKIPPED,
	KSIM_TLS_ADD_REFUSED,
	KSIM_TLS_ADD_UNSUPPORTED,
	KSIM_WIRE_DROPPED,
	KSIM_WIRE_DUPLICATED,
	KSIM_WIRE_CORRUPTED,
	KSIM_WIRE_REORDERED,
	KSIM_NUM_STATS
};

/*
 * Fault injection, set through debugfs. The *_every knobs act on every
 * Nth TCP segment with payload (0 = off), counted per device, so that a
 * test gets the same faults on every run.
 */
struct ksim_knobs {
	u32 drop_every;		/* lose the segment on the wire */
	bool hold_tx;		/* lose payload segments before encryption */
	u32 duplicate_every;	/* deliver it twice */
	u32 corrupt_every;	/* flip one payload byte after encryption */
	u32 reorder_every;	/* deliver it after the next segment */
	u32 rx_skip_every;	/* receiver: leave it encrypted (mixed records) */
	bool refuse_add;	/* tls_dev_add() fails: software (TX after a rekey too) */
	bool tx_fallback;	/* hand offloaded segments to tls_encrypt_skb() */
	bool trust_hook;	/* as mlx5/nfp: take the socket hook's word alone */
	u32 rx_resync;		/* RX resync mode of new flows (tls_offload_sync_type) */
	bool tls13;		/* TLS 1.3 declared to the core: ksim_caps_set() */
	bool rekey;		/* with tls13, KeyUpdate on TX declared too */
};

struct ksim_priv {
	struct net_device *dev;
	struct net_device __rcu *peer;
	u32 id;			/* unique per module load, names debugfs */

	struct napi_struct napi;
	struct sk_buff_head rxq;	/* filled by the peer's ndo_start_xmit */

	spinlock_t held_lock;		/* protects held */
	struct sk_buff *held;		/* segment delayed by reorder_every */

	struct ksim_knobs knobs;
	atomic_t wire_seen;		/* segments counted for the *_every knobs */
	atomic_t rx_seen;		/* same, for rx_skip_every */

	spinlock_t flows_lock;		/* writers of rx_flows */
	struct list_head rx_flows;	/* RCU list of struct ksim_rx_flow */

	struct dentry *debugfs;
	struct work_struct unplug_work;
	atomic64_t stats[KSIM_NUM_STATS];
};

static inline void ksim_stat_add(struct ksim_priv *priv, enum ksim_stat s,
				 u64 n)
{
	atomic64_add(n, &priv->stats[s]);
}

static inline void ksim_stat_inc(struct ksim_priv *priv, enum ksim_stat s)
{
	atomic64_inc(&priv->stats[s]);
}

/* A knob set to @every fires on events n = every, 2 * every, ... */
static inline bool ksim_every(u32 n, u32 every)
{
	return every && n % every == 0;
}

/* netdev.c */
struct ksim_priv *ksim_priv_of(struct net_device *dev);

/* tls.c: the tlsdev_ops and the per-segment TX and RX work */
extern const struct tlsdev_ops ksim_tlsdev_ops;
struct sk_buff *ksim_tls_tx(struct ksim_priv *priv, struct sk_buff *skb);
void ksim_tls_rx(struct ksim_priv *priv, struct sk_buff *skb);
int ksim_caps_set(struct ksim_priv *priv, bool tls13, bool rekey);

/* ethtool.c */
extern const struct ethtool_ops ksim_ethtool_ops;

/* debugfs.c */
int ksim_debugfs_init(void);
void ksim_debugfs_exit(void);
void ksim_debugfs_add(struct ksim_priv *priv);
void ksim_debugfs_del(struct ksim_priv *priv);

#endif /* _KTLS_SIM_H */
