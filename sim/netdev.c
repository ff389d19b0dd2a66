// SPDX-License-Identifier: GPL-2.0
/*
 * The netdev pair of ktls_sim: rtnl_link_ops to create and delete pairs,
 * transmit (through the offload engine and the wire faults) into the
 * peer's queue, and a NAPI poll that receives from it.
 *
 *   ip link add sa type ktls_sim            (the peer gets a ksimN name)
 *   ip link set ksim0 netns B name sb
 *
 * A program can name both ends at once with KTLS_SIM_INFO_PEER (the same
 * layout as veth's VETH_INFO_PEER: an ifinfomsg and IFLA_* attributes).
 */
#include <linux/etherdevice.h>
#include <linux/idr.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/tcp.h>
#include <net/rtnetlink.h>

#include "sim.h"
#include "../compat/ktls_rtnl.h"

enum {
	KTLS_SIM_INFO_UNSPEC,
	KTLS_SIM_INFO_PEER,
	__KTLS_SIM_INFO_MAX
};

#define KTLS_SIM_INFO_MAX (__KTLS_SIM_INFO_MAX - 1)

/* A peer that stops polling must not make us queue without bound. */
#define KSIM_RXQ_MAX	4096

/* Checksums are offloaded because TLS TX offload requires it (the stack
 * must not checksum the plaintext) and TLS RX offload requires RXCSUM. No
 * TSO: the stack hands us MSS-sized segments, so the wire faults act on
 * the packets a real NIC would send.
 */
#define KSIM_FEATURES	(NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_RXCSUM | \
			 NETIF_F_HW_TLS_TX | NETIF_F_HW_TLS_RX)

static DEFINE_IDA(ksim_ida);
static struct rtnl_link_ops ksim_link_ops;

struct ksim_priv *ksim_priv_of(struct net_device *dev)
{
	return netdev_priv(dev);
}

/* Queue @skb for the peer's NAPI poll. */
static void ksim_deliver(struct net_device *peer, struct sk_buff *skb)
{
	struct ksim_priv *pp = netdev_priv(peer);

	/* What crosses the wire is a copy: a clone still shares its pages
	 * and frag list with the sender's retransmit queue, and GRO on the
	 * receiving side takes the frags out of the skb it merges. Nothing on
	 * the wire holds on to the sending socket either.
	 */
	skb = skb_unshare(skb, GFP_ATOMIC);
	if (!skb) {
		dev_core_stats_rx_dropped_inc(peer);
		return;
	}
	skb_orphan(skb);
	if (__dev_forward_skb(peer, skb) != NET_RX_SUCCESS)
		return;
	if (skb_queue_len(&pp->rxq) >= KSIM_RXQ_MAX) {
		dev_core_stats_rx_dropped_inc(peer);
		kfree_skb(skb);
		return;
	}
	skb_queue_tail(&pp->rxq, skb);
	napi_schedule(&pp->napi);
}

/* A TCP segment that carries payload: the packets the wire faults hit. */
static bool ksim_tcp_payload(const struct sk_buff *skb, u32 *off)
{
	u8 proto;

	if (!skb_transport_header_was_set(skb))
		return false;
	if (skb->protocol == htons(ETH_P_IP))
		proto = ip_hdr(skb)->protocol;
	else if (skb->protocol == htons(ETH_P_IPV6))
		proto = ipv6_hdr(skb)->nexthdr;
	else
		return false;
	if (proto != IPPROTO_TCP)
		return false;
	*off = skb_transport_offset(skb) + tcp_hdrlen(skb);
	return skb->len > *off;
}

/* Flip one payload byte, in a private copy of the data. */
static void ksim_corrupt(struct ksim_priv *priv, struct sk_buff *skb, u32 off)
{
	u32 at = off + (skb->len - off) / 2;
	u8 byte;

	if (skb_ensure_writable(skb, at + 1) ||
	    skb_copy_bits(skb, at, &byte, 1))
		return;
	byte ^= 0x5a;
	if (!skb_store_bits(skb, at, &byte, 1))
		ksim_stat_inc(priv, KSIM_WIRE_CORRUPTED);
}

/*
 * The wire: apply the fault knobs, then deliver. A segment held back by
 * reorder_every goes out right after the next segment.
 */
static void ksim_wire(struct ksim_priv *priv, struct net_device *peer,
		      struct sk_buff *skb)
{
	struct ksim_knobs *k = &priv->knobs;
	struct sk_buff *held = NULL, *dup;
	u32 off, n;

	if (ksim_tcp_payload(skb, &off)) {
		n = atomic_inc_return(&priv->wire_seen);
		if (ksim_every(n, READ_ONCE(k->drop_every))) {
			ksim_stat_inc(priv, KSIM_WIRE_DROPPED);
			consume_skb(skb);
			return;
		}
		if (ksim_every(n, READ_ONCE(k->corrupt_every)))
			ksim_corrupt(priv, skb, off);
		if (ksim_every(n, READ_ONCE(k->duplicate_every))) {
			dup = skb_copy(skb, GFP_ATOMIC);
			if (dup) {
				ksim_stat_inc(priv, KSIM_WIRE_DUPLICATED);
				ksim_deliver(peer, dup);
			}
		}
		if (ksim_every(n, READ_ONCE(k->reorder_every))) {
			spin_lock(&priv->held_lock);
			swap(priv->held, skb);
			spin_unlock(&priv->held_lock);
			ksim_stat_inc(priv, KSIM_WIRE_REORDERED);
			if (!skb)
				return;
		}
	}
	spin_lock(&priv->held_lock);
	swap(priv->held, held);
	spin_unlock(&priv->held_lock);
	ksim_deliver(peer, skb);
	if (held)
		ksim_deliver(peer, held);
}

/*
 * Knob hold_tx: payload segments are lost before the offload engine sees
 * them, as if the host's queue dropped them. TCP keeps them and sends
 * them again; the NIC reads their records then for the first time.
 */
static bool ksim_hold(struct ksim_priv *priv, struct sk_buff *skb)
{
	u32 off;

	if (!READ_ONCE(priv->knobs.hold_tx) || !ksim_tcp_payload(skb, &off))
		return false;
	dev_core_stats_tx_dropped_inc(priv->dev);
	kfree_skb(skb);
	return true;
}

static netdev_tx_t ksim_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct ksim_priv *priv = netdev_priv(dev);
	struct net_device *peer;
	unsigned int len = skb->len;

	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	if (unlikely(!peer || !netif_running(peer))) {
		kfree_skb(skb);
		dev_core_stats_tx_dropped_inc(dev);
		goto out;
	}
	if (ksim_hold(priv, skb))
		goto out;
	skb = ksim_tls_tx(priv, skb);
	if (!skb) {
		dev_core_stats_tx_dropped_inc(dev);
		goto out;
	}
	dev_sw_netstats_tx_add(dev, 1, len);
	ksim_wire(priv, peer, skb);
out:
	rcu_read_unlock();
	return NETDEV_TX_OK;
}

static int ksim_poll(struct napi_struct *napi, int budget)
{
	struct ksim_priv *priv = container_of(napi, struct ksim_priv, napi);
	struct sk_buff *skb;
	int done = 0;

	while (done < budget && (skb = skb_dequeue(&priv->rxq))) {
		ksim_tls_rx(priv, skb);
		dev_sw_netstats_rx_add(priv->dev, skb->len);
		napi_gro_receive(napi, skb);
		done++;
	}
	if (done < budget && napi_complete_done(napi, done) &&
	    !skb_queue_empty_lockless(&priv->rxq))
		napi_schedule(napi);
	return done;
}

static void ksim_drop_queued(struct ksim_priv *priv)
{
	struct sk_buff *held;

	skb_queue_purge(&priv->rxq);
	spin_lock_bh(&priv->held_lock);
	held = priv->held;
	priv->held = NULL;
	spin_unlock_bh(&priv->held_lock);
	kfree_skb(held);
}

static int ksim_open(struct net_device *dev)
{
	struct ksim_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	napi_enable(&priv->napi);
	if (peer && netif_running(peer)) {
		netif_carrier_on(dev);
		netif_carrier_on(peer);
	}
	return 0;
}

static int ksim_stop(struct net_device *dev)
{
	struct ksim_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	netif_carrier_off(dev);
	if (peer)
		netif_carrier_off(peer);
	napi_disable(&priv->napi);
	ksim_drop_queued(priv);
	return 0;
}

static int ksim_init(struct net_device *dev)
{
	struct ksim_priv *priv = netdev_priv(dev);
	int id;

	id = ida_alloc(&ksim_ida, GFP_KERNEL);
	if (id < 0)
		return id;
	priv->id = id;
	priv->dev = dev;
	skb_queue_head_init(&priv->rxq);
	spin_lock_init(&priv->held_lock);
	spin_lock_init(&priv->flows_lock);
	INIT_LIST_HEAD(&priv->rx_flows);
	netif_napi_add(dev, &priv->napi, ksim_poll);
	ksim_debugfs_add(priv);
	return 0;
}

/*
 * The tls core has released every offload context of this device by now
 * (its NETDEV_DOWN handler calls tls_dev_del for each), so only queued
 * packets are left.
 */
static void ksim_uninit(struct net_device *dev)
{
	struct ksim_priv *priv = netdev_priv(dev);

	WARN_ON_ONCE(!list_empty(&priv->rx_flows));
	ksim_debugfs_del(priv);
	netif_napi_del(&priv->napi);
	ksim_drop_queued(priv);
	ida_free(&ksim_ida, priv->id);
}

static int ksim_get_iflink(const struct net_device *dev)
{
	struct ksim_priv *priv = netdev_priv(dev);
	struct net_device *peer;
	int iflink;

	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	iflink = peer ? READ_ONCE(peer->ifindex) : 0;
	rcu_read_unlock();
	return iflink;
}

static const struct net_device_ops ksim_netdev_ops = {
	.ndo_init		= ksim_init,
	.ndo_uninit		= ksim_uninit,
	.ndo_open		= ksim_open,
	.ndo_stop		= ksim_stop,
	.ndo_start_xmit		= ksim_xmit,
	.ndo_get_stats64	= dev_get_tstats64,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_get_iflink		= ksim_get_iflink,
	.ndo_features_check	= passthru_features_check,
};

static void ksim_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	dev->priv_flags |= IFF_NO_QUEUE | IFF_LIVE_ADDR_CHANGE;
	dev->netdev_ops = &ksim_netdev_ops;
	dev->ethtool_ops = &ksim_ethtool_ops;
	dev->tlsdev_ops = &ksim_tlsdev_ops;
	dev->rtnl_link_ops = &ksim_link_ops;
	dev->needs_free_netdev = true;
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_MAX_MTU;
	dev->hw_features = KSIM_FEATURES;
	dev->features |= KSIM_FEATURES;
}

static int ksim_validate(struct nlattr *tb[], struct nlattr *data[],
			 struct netlink_ext_ack *extack)
{
	if (tb[IFLA_ADDRESS]) {
		if (nla_len(tb[IFLA_ADDRESS]) != ETH_ALEN ||
		    !is_valid_ether_addr(nla_data(tb[IFLA_ADDRESS])))
			return -EADDRNOTAVAIL;
	}
	return 0;
}

/* Create and register the peer described by @ifm/@tbp (may be NULL). */
static struct net_device *ksim_new_peer(struct net *src_net,
					struct ifinfomsg *ifm,
					struct nlattr **tbp,
					struct netlink_ext_ack *extack)
{
	unsigned char assign = NET_NAME_ENUM;
	char name[IFNAMSIZ] = "ksim%d";
	struct net_device *peer;
	struct net *net;
	int err;

	if (ifm && tbp[IFLA_IFNAME]) {
		nla_strscpy(name, tbp[IFLA_IFNAME], IFNAMSIZ);
		assign = NET_NAME_USER;
	}
	net = rtnl_link_get_net(src_net, tbp);
	if (IS_ERR(net))
		return ERR_CAST(net);
	peer = rtnl_create_link(net, name, assign, &ksim_link_ops, tbp, extack);
	if (IS_ERR(peer))
		goto put_net;
	if (!ifm || !tbp[IFLA_ADDRESS])
		eth_hw_addr_random(peer);
	err = register_netdevice(peer);
	if (err) {
		free_netdev(peer);
		peer = ERR_PTR(err);
		goto put_net;
	}
	netif_carrier_off(peer);
	err = rtnl_configure_link(peer, ifm, 0, NULL);
	if (!err)
		err = ksim_caps_set(netdev_priv(peer), true, true);
	if (err) {
		unregister_netdevice(peer);
		peer = ERR_PTR(err);
	}
put_net:
	put_net(net);
	return peer;
}

static int ksim_newlink(struct net *src_net, struct net_device *dev,
			struct nlattr *tb[], struct nlattr *data[],
			struct netlink_ext_ack *extack)
{
	struct nlattr *peer_tb[IFLA_MAX + 1], **tbp = tb;
	struct ifinfomsg *ifm = NULL;
	struct ksim_priv *priv;
	struct net_device *peer;
	int err;

	if (data && data[KTLS_SIM_INFO_PEER]) {
		ifm = nla_data(data[KTLS_SIM_INFO_PEER]);
		err = rtnl_nla_parse_ifinfomsg(peer_tb, data[KTLS_SIM_INFO_PEER],
					       extack);
		if (err < 0)
			return err;
		err = ksim_validate(peer_tb, NULL, extack);
		if (err < 0)
			return err;
		tbp = peer_tb;
	}
	peer = ksim_new_peer(src_net, ifm, tbp, extack);
	if (IS_ERR(peer))
		return PTR_ERR(peer);

	if (!tb[IFLA_ADDRESS])
		eth_hw_addr_random(dev);
	if (tb[IFLA_IFNAME])
		nla_strscpy(dev->name, tb[IFLA_IFNAME], IFNAMSIZ);
	else
		strscpy(dev->name, "ksim%d", IFNAMSIZ);
	err = register_netdevice(dev);
	if (err) {
		unregister_netdevice(peer);
		return err;
	}
	err = ksim_caps_set(netdev_priv(dev), true, true);
	if (err) {
		unregister_netdevice(dev);
		unregister_netdevice(peer);
		return err;
	}
	netif_carrier_off(dev);

	priv = netdev_priv(dev);
	rcu_assign_pointer(priv->peer, peer);
	priv = netdev_priv(peer);
	rcu_assign_pointer(priv->peer, dev);
	return 0;
}

KTLS_RTNL_NEWLINK_DEFINE(ksim_newlink)

/* Deleting either end deletes the pair, as for veth. */
static void ksim_dellink(struct net_device *dev, struct list_head *head)
{
	struct ksim_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	RCU_INIT_POINTER(priv->peer, NULL);
	unregister_netdevice_queue(dev, head);
	if (peer) {
		priv = netdev_priv(peer);
		RCU_INIT_POINTER(priv->peer, NULL);
		unregister_netdevice_queue(peer, head);
	}
}

static struct net *ksim_get_link_net(const struct net_device *dev)
{
	struct ksim_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	return peer ? dev_net(peer) : dev_net(dev);
}

static const struct nla_policy ksim_policy[KTLS_SIM_INFO_MAX + 1] = {
	[KTLS_SIM_INFO_PEER] = { .len = sizeof(struct ifinfomsg) },
};

static struct rtnl_link_ops ksim_link_ops = {
	.kind		= KSIM_DRV_NAME,
	.priv_size	= sizeof(struct ksim_priv),
	.setup		= ksim_setup,
	.validate	= ksim_validate,
	.newlink	= KTLS_RTNL_NEWLINK(ksim_newlink),
	.dellink	= ksim_dellink,
	.policy		= ksim_policy,
	.maxtype	= KTLS_SIM_INFO_MAX,
	.get_link_net	= ksim_get_link_net,
};

static int __init ksim_module_init(void)
{
	int err;

	err = ksim_debugfs_init();
	if (err)
		return err;
	err = rtnl_link_register(&ksim_link_ops);
	if (err)
		ksim_debugfs_exit();
	return err;
}

static void __exit ksim_module_exit(void)
{
	/* Unregisters every pair: the tls core moves their sockets to software. */
	rtnl_link_unregister(&ksim_link_ops);
	ksim_debugfs_exit();
}

module_init(ksim_module_init);
module_exit(ksim_module_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Emulated NIC pair with kTLS offload, for testing tls_device");
MODULE_ALIAS_RTNL_LINK(KSIM_DRV_NAME);
