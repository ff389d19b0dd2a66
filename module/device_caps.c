// SPDX-License-Identifier: GPL-2.0
/*
 * What drivers declared beyond upstream's tls_device contract
 * (ktls_offload.h): a short list of devices and their KTLS_DEV_CAP_*
 * bits. Offload consults it when a socket's keys are set; nothing in the
 * datapath does.
 *
 * An entry goes with its device's unregistration (device.c's notifier),
 * so a later device at the same address starts with none. Only a
 * registered device may declare, checked under the list's lock; the
 * notifier runs after unregistering marked the device, and takes the same
 * lock, so an entry is never added behind its removal. A move to another
 * namespace passes through NETDEV_UNREGISTER with the device still
 * registered: its entry stays.
 */
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "ktls_offload.h"
#include "tls.h"

struct ktls_dev_caps_entry {
	struct list_head list;
	const struct net_device *dev;
	u32 caps;
};

static DEFINE_SPINLOCK(ktls_dev_caps_lock);
static LIST_HEAD(ktls_dev_caps_list);	/* under ktls_dev_caps_lock */

static struct ktls_dev_caps_entry *
ktls_dev_caps_find(const struct net_device *dev)
{
	struct ktls_dev_caps_entry *e;

	lockdep_assert_held(&ktls_dev_caps_lock);
	list_for_each_entry(e, &ktls_dev_caps_list, list)
		if (e->dev == dev)
			return e;
	return NULL;
}

/* Drop @dev's entry, if any. */
static void ktls_dev_caps_drop(const struct net_device *dev)
{
	struct ktls_dev_caps_entry *e;

	spin_lock_bh(&ktls_dev_caps_lock);
	e = ktls_dev_caps_find(dev);
	if (e)
		list_del(&e->list);
	spin_unlock_bh(&ktls_dev_caps_lock);
	kfree(e);
}

/* NETDEV_UNREGISTER: forget @dev, unless it only changes namespace. */
void ktls_dev_caps_forget(const struct net_device *dev)
{
	if (READ_ONCE(dev->reg_state) != NETREG_REGISTERED)
		ktls_dev_caps_drop(dev);
}

/* Under the lock: record @caps for @dev in @e, or in @fresh if it has none. */
static int ktls_dev_caps_store(struct net_device *dev, u32 caps,
			       struct ktls_dev_caps_entry **fresh)
{
	struct ktls_dev_caps_entry *e = ktls_dev_caps_find(dev);

	if (READ_ONCE(dev->reg_state) != NETREG_REGISTERED)
		return -EINVAL;
	if (e) {
		e->caps = caps;
		return 0;
	}
	(*fresh)->dev = dev;
	(*fresh)->caps = caps;
	list_add(&(*fresh)->list, &ktls_dev_caps_list);
	*fresh = NULL;
	return 0;
}

int ktls_dev_caps_set(struct net_device *dev, u32 caps)
{
	struct ktls_dev_caps_entry *fresh;
	int rc;

	if ((caps & ~KTLS_DEV_CAPS_ALL) || !dev->tlsdev_ops)
		return -EINVAL;
	/* KeyUpdate exists in TLS 1.3 only. */
	if ((caps & KTLS_DEV_CAP_REKEY) && !(caps & KTLS_DEV_CAP_TLS13))
		return -EINVAL;
	if (!caps) {
		ktls_dev_caps_drop(dev);
		return 0;
	}
	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL);
	if (!fresh)
		return -ENOMEM;
	spin_lock_bh(&ktls_dev_caps_lock);
	rc = ktls_dev_caps_store(dev, caps, &fresh);
	spin_unlock_bh(&ktls_dev_caps_lock);
	kfree(fresh);
	return rc;
}
EXPORT_SYMBOL_GPL(ktls_dev_caps_set);

u32 ktls_dev_caps(const struct net_device *dev)
{
	struct ktls_dev_caps_entry *e;
	u32 caps;

	spin_lock_bh(&ktls_dev_caps_lock);
	e = ktls_dev_caps_find(dev);
	caps = e ? e->caps : 0;
	spin_unlock_bh(&ktls_dev_caps_lock);
	return caps;
}
EXPORT_SYMBOL_GPL(ktls_dev_caps);

/* Module exit: drivers using these symbols are gone, their entries not. */
void ktls_dev_caps_exit(void)
{
	struct ktls_dev_caps_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &ktls_dev_caps_list, list)
		kfree(e);
}
