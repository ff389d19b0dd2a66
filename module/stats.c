// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/tls_stat: counters per network namespace, per CPU. The kernel's
 * own net->mib.tls_statistics is sized for the counters of the kernel it
 * was built with, so this module keeps its own storage in net_generic.
 */
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "tls.h"

/* Renamed in the benchmark-only build (see KTLS_ULP_NAME in main.c). */
#ifndef KTLS_STAT_PROC_NAME
#define KTLS_STAT_PROC_NAME "tls_stat"
#endif

struct ktls_mib {
	unsigned long mibs[KTLS_STAT_NUM];
};

struct ktls_net {
	struct ktls_mib __percpu *mib;
};

static unsigned int ktls_net_id __read_mostly;

/* Upstream's names, in upstream's order. */
static const char * const ktls_stat_names[] = {
	[KTLS_STAT_CURR_TX_SW]		= "TlsCurrTxSw",
	[KTLS_STAT_CURR_RX_SW]		= "TlsCurrRxSw",
	[KTLS_STAT_CURR_TX_DEVICE]	= "TlsCurrTxDevice",
	[KTLS_STAT_CURR_RX_DEVICE]	= "TlsCurrRxDevice",
	[KTLS_STAT_TX_SW]		= "TlsTxSw",
	[KTLS_STAT_RX_SW]		= "TlsRxSw",
	[KTLS_STAT_TX_DEVICE]		= "TlsTxDevice",
	[KTLS_STAT_RX_DEVICE]		= "TlsRxDevice",
	[KTLS_STAT_DECRYPT_ERROR]	= "TlsDecryptError",
	[KTLS_STAT_RX_DEVICE_RESYNC]	= "TlsRxDeviceResync",
	[KTLS_STAT_DECRYPT_RETRY]	= "TlsDecryptRetry",
	[KTLS_STAT_RX_NO_PAD_VIOLATION]	= "TlsRxNoPadViolation",
	[KTLS_STAT_RX_REKEY_OK]		= "TlsRxRekeyOk",
	[KTLS_STAT_RX_REKEY_ERROR]	= "TlsRxRekeyError",
	[KTLS_STAT_TX_REKEY_OK]		= "TlsTxRekeyOk",
	[KTLS_STAT_TX_REKEY_ERROR]	= "TlsTxRekeyError",
	[KTLS_STAT_RX_REKEY_RECEIVED]	= "TlsRxRekeyReceived",
};

static_assert(ARRAY_SIZE(ktls_stat_names) == KTLS_STAT_NUM);

static struct ktls_mib __percpu *ktls_net_mib(struct net *net)
{
	struct ktls_net *tn = net_generic(net, ktls_net_id);

	return tn->mib;
}

void ktls_stat_inc(struct net *net, enum ktls_stat item)
{
	this_cpu_inc(ktls_net_mib(net)->mibs[item]);
}

/* The TlsCurr* gauge of a direction running configuration @conf. */
enum ktls_stat ktls_stat_curr(bool tx, u8 conf)
{
	if (conf == TLS_HW)
		return tx ? KTLS_STAT_CURR_TX_DEVICE : KTLS_STAT_CURR_RX_DEVICE;
	return tx ? KTLS_STAT_CURR_TX_SW : KTLS_STAT_CURR_RX_SW;
}

/* Gauges (TlsCurr*) go down on another CPU than they went up: the sum wraps back. */
void ktls_stat_dec(struct net *net, enum ktls_stat item)
{
	this_cpu_dec(ktls_net_mib(net)->mibs[item]);
}

/*
 * A direction of a socket got its keys: TlsTxSw/TlsRxSw or
 * TlsTxDevice/TlsRxDevice, and the matching TlsCurr* gauge, say which
 * configuration runs it.
 */
void ktls_stat_conf_start(struct net *net, bool tx, u8 conf)
{
	static const enum ktls_stat total[2][2] = {
		{ KTLS_STAT_RX_SW, KTLS_STAT_RX_DEVICE },
		{ KTLS_STAT_TX_SW, KTLS_STAT_TX_DEVICE },
	};
	bool hw = conf == TLS_HW;

	ktls_stat_inc(net, total[tx][hw]);
	ktls_stat_inc(net, ktls_stat_curr(tx, conf));
}

/*
 * A rekey moved a direction off its device, or back onto it: it counts
 * as @conf now.
 */
void ktls_stat_conf_move(struct net *net, bool tx, u8 conf)
{
	ktls_stat_dec(net, ktls_stat_curr(tx, conf == TLS_HW ? TLS_SW : TLS_HW));
	ktls_stat_conf_start(net, tx, conf);
}

static unsigned long ktls_stat_sum(struct ktls_mib __percpu *mib,
				   enum ktls_stat item)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(mib, cpu)->mibs[item]);
	return sum;
}

/* Same text as upstream: the name padded to 32 columns, a tab, the value. */
static int ktls_stat_show(struct seq_file *seq, void *v)
{
	struct ktls_mib __percpu *mib = ktls_net_mib(seq->private);
	int item;

	for (item = 0; item < KTLS_STAT_NUM; item++)
		seq_printf(seq, "%-32s\t%lu\n", ktls_stat_names[item],
			   ktls_stat_sum(mib, item));
	return 0;
}

static int __net_init ktls_net_init(struct net *net)
{
	struct ktls_net *tn = net_generic(net, ktls_net_id);

	tn->mib = alloc_percpu(struct ktls_mib);
	if (!tn->mib)
		return -ENOMEM;

	if (IS_ENABLED(CONFIG_PROC_FS) &&
	    !proc_create_net_single(KTLS_STAT_PROC_NAME, 0444, net->proc_net,
				    ktls_stat_show, NULL)) {
		free_percpu(tn->mib);
		return -ENOMEM;
	}
	return 0;
}

static void __net_exit ktls_net_exit(struct net *net)
{
	struct ktls_net *tn = net_generic(net, ktls_net_id);

	remove_proc_entry(KTLS_STAT_PROC_NAME, net->proc_net);
	free_percpu(tn->mib);
}

static struct pernet_operations ktls_net_ops = {
	.init	= ktls_net_init,
	.exit	= ktls_net_exit,
	.id	= &ktls_net_id,
	.size	= sizeof(struct ktls_net),
};

int ktls_stats_register(void)
{
	return register_pernet_subsys(&ktls_net_ops);
}

void ktls_stats_unregister(void)
{
	unregister_pernet_subsys(&ktls_net_ops);
}
