// SPDX-License-Identifier: GPL-2.0
/*
 * Software fallback of TX offload: a segment of an offloaded socket that
 * leaves through a device other than the one holding its key, or that a
 * driver cannot encrypt, must be encrypted on the way out.
 *
 * No socket is offloaded by this module yet, so the stack never calls
 * these; a driver may. Until the fallback encrypts, such a segment is
 * dropped: TCP retransmits it, and plaintext never reaches the wire.
 *
 * This unit must not see <linux/tracepoint.h>: upstream's fallback unit
 * does not, and genksyms would fold its structs into these CRCs (see
 * device.c and scripts/abi-check).
 */
#include "tls.h"

static struct sk_buff *ktls_fallback_encrypt(struct sk_buff *skb)
{
	kfree_skb(skb);
	return NULL;
}

/*
 * sk_validate_xmit_skb of an offloaded TX socket: drivers and bonding
 * compare the hook with this function to learn that a segment carries
 * plaintext for the device, so it must be this symbol and no other.
 */
struct sk_buff *tls_validate_xmit_skb(struct sock *sk, struct net_device *dev,
				      struct sk_buff *skb)
{
	if (dev == rcu_access_pointer(tls_get_ctx(sk)->netdev) ||
	    netif_is_bond_master(dev))
		return skb;
	return ktls_fallback_encrypt(skb);
}
EXPORT_SYMBOL_GPL(tls_validate_xmit_skb);

/* For a driver that cannot encrypt this segment itself. */
struct sk_buff *tls_encrypt_skb(struct sk_buff *skb)
{
	return ktls_fallback_encrypt(skb);
}
EXPORT_SYMBOL_GPL(tls_encrypt_skb);
