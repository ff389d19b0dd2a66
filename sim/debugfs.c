// SPDX-License-Identifier: GPL-2.0
/*
 * The knobs of ktls_sim, one directory per device:
 * /sys/kernel/debug/ktls_sim/<name at creation>/ (or <name>-<id> when a
 * device of that name exists in another namespace). "id" tells which
 * device a directory is for (ethtool -i shows bus-info ktls_sim:<id>).
 * Documentation/device.rst lists them; most are plain debugfs numbers and
 * bools, read by the datapath as they are. tls13 and rekey (what the
 * device declares to the core: TLS 1.3, KeyUpdate on TX) are files of
 * their own, as writing them tells the core.
 */
#include <linux/debugfs.h>
#include <linux/kstrtox.h>
#include <linux/netdevice.h>
#include <linux/sched/signal.h>
#include <linux/workqueue.h>
#include <net/rtnetlink.h>

#include "sim.h"

static struct dentry *ksim_root;

/* Unplug: remove the pair as hot-unplugging the NIC would, sockets or not.
 * It runs from a work item because the write that asks for it holds the
 * debugfs file that unregistering removes.
 */
static void ksim_unplug_work(struct work_struct *work)
{
	struct ksim_priv *priv = container_of(work, struct ksim_priv,
					      unplug_work);
	struct net_device *dev = priv->dev;
	LIST_HEAD(list);

	rtnl_lock();
	if (dev->reg_state == NETREG_REGISTERED) {
		dev->rtnl_link_ops->dellink(dev, &list);
		unregister_netdevice_many(&list);
	}
	/* Before rtnl_unlock(), which waits for the last reference to it. */
	dev_put(dev);
	rtnl_unlock();
}

static ssize_t ksim_unplug_write(struct file *file, const char __user *buf,
				 size_t count, loff_t *ppos)
{
	struct ksim_priv *priv = file->private_data;

	dev_hold(priv->dev);
	if (!schedule_work(&priv->unplug_work))
		dev_put(priv->dev);
	return count;
}

static const struct file_operations ksim_unplug_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = ksim_unplug_write,
	.llseek = noop_llseek,
};

static ssize_t ksim_bool_read(char __user *buf, size_t count, loff_t *ppos,
			      bool on)
{
	char val[2] = { on ? 'Y' : 'N', '\n' };

	return simple_read_from_buffer(buf, count, ppos, val, sizeof(val));
}

static ssize_t ksim_tls13_read(struct file *file, char __user *buf,
			       size_t count, loff_t *ppos)
{
	struct ksim_priv *priv = file->private_data;

	return ksim_bool_read(buf, count, ppos, READ_ONCE(priv->knobs.tls13));
}

static ssize_t ksim_rekey_read(struct file *file, char __user *buf,
			       size_t count, loff_t *ppos)
{
	struct ksim_priv *priv = file->private_data;

	return ksim_bool_read(buf, count, ppos, READ_ONCE(priv->knobs.rekey));
}

/*
 * tls13 and rekey: bools as debugfs has them, but writing one declares to
 * the core anew what the pair of them says. Unregistering the device
 * holds RTNL while it removes these files, which waits for writers: never
 * wait for RTNL here.
 */
static ssize_t ksim_caps_write(struct file *file, const char __user *buf,
			       size_t count, bool is_rekey)
{
	struct ksim_priv *priv = file->private_data;
	struct ksim_knobs *k = &priv->knobs;
	bool on;
	int err;

	err = kstrtobool_from_user(buf, count, &on);
	if (err)
		return err;
	if (!rtnl_trylock())
		return restart_syscall();
	err = -ENODEV;
	if (priv->dev->reg_state == NETREG_REGISTERED)
		err = ksim_caps_set(priv, is_rekey ? k->tls13 : on,
				    is_rekey ? on : k->rekey);
	rtnl_unlock();
	return err ?: count;
}

static ssize_t ksim_tls13_write(struct file *file, const char __user *buf,
				size_t count, loff_t *ppos)
{
	return ksim_caps_write(file, buf, count, false);
}

static ssize_t ksim_rekey_write(struct file *file, const char __user *buf,
				size_t count, loff_t *ppos)
{
	return ksim_caps_write(file, buf, count, true);
}

static const struct file_operations ksim_tls13_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = ksim_tls13_read,
	.write = ksim_tls13_write,
	.llseek = default_llseek,
};

static const struct file_operations ksim_rekey_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = ksim_rekey_read,
	.write = ksim_rekey_write,
	.llseek = default_llseek,
};

void ksim_debugfs_add(struct ksim_priv *priv)
{
	struct ksim_knobs *k = &priv->knobs;
	char name[IFNAMSIZ + 12];
	struct dentry *d;

	INIT_WORK(&priv->unplug_work, ksim_unplug_work);
	d = debugfs_lookup(priv->dev->name, ksim_root);
	if (d) {
		dput(d);
		snprintf(name, sizeof(name), "%s-%u", priv->dev->name, priv->id);
	} else {
		strscpy(name, priv->dev->name, sizeof(name));
	}
	d = debugfs_create_dir(name, ksim_root);
	priv->debugfs = d;
	debugfs_create_u32("id", 0444, d, &priv->id);
	debugfs_create_u32("drop_every", 0600, d, &k->drop_every);
	debugfs_create_u32("duplicate_every", 0600, d, &k->duplicate_every);
	debugfs_create_u32("corrupt_every", 0600, d, &k->corrupt_every);
	debugfs_create_u32("reorder_every", 0600, d, &k->reorder_every);
	debugfs_create_u32("rx_skip_every", 0600, d, &k->rx_skip_every);
	debugfs_create_bool("refuse_add", 0600, d, &k->refuse_add);
	debugfs_create_bool("tx_fallback", 0600, d, &k->tx_fallback);
	debugfs_create_bool("hold_tx", 0600, d, &k->hold_tx);
	debugfs_create_bool("trust_hook", 0600, d, &k->trust_hook);
	debugfs_create_u32("rx_resync", 0600, d, &k->rx_resync);
	debugfs_create_file("tls13", 0600, d, priv, &ksim_tls13_fops);
	debugfs_create_file("rekey", 0600, d, priv, &ksim_rekey_fops);
	debugfs_create_file("unplug", 0200, d, priv, &ksim_unplug_fops);
}

void ksim_debugfs_del(struct ksim_priv *priv)
{
	debugfs_remove_recursive(priv->debugfs);
	priv->debugfs = NULL;
}

int ksim_debugfs_init(void)
{
	ksim_root = debugfs_create_dir(KSIM_DRV_NAME, NULL);
	return 0;
}

void ksim_debugfs_exit(void)
{
	debugfs_remove_recursive(ksim_root);
}
