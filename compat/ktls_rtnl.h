/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtnl_link_ops->newlink (ktls_sim, sim/netdev.c).
 *
 * After 6.12 (in 7.3) it is given the device, a struct
 * rtnl_newlink_params holding the namespaces and the attributes, and the
 * extack; before, the namespace and the attributes one by one. The sim's
 * callback is written with the older arguments: KTLS_RTNL_NEWLINK(fn) is
 * the callback to register for it, and KTLS_RTNL_NEWLINK_DEFINE(fn)
 * defines it where the kernel wants the packed form. Probe:
 * KTLS_RTNL_NEWLINK_PARAMS (see Kbuild and Documentation/compat.rst).
 *
 * The older namespace argument is the link namespace the request named
 * (IFLA_LINK_NETNSID), else the requester's: the params' link namespace,
 * which falls back the same way.
 */
#ifndef _KTLS_COMPAT_RTNL_H
#define _KTLS_COMPAT_RTNL_H

#include <net/rtnetlink.h>

#ifdef KTLS_RTNL_NEWLINK_PARAMS

#define KTLS_RTNL_NEWLINK(fn)		fn##_params
#define KTLS_RTNL_NEWLINK_DEFINE(fn)					\
static int fn##_params(struct net_device *dev,				\
		       struct rtnl_newlink_params *params,		\
		       struct netlink_ext_ack *extack)			\
{									\
	return fn(rtnl_newlink_link_net(params), dev, params->tb,	\
		  params->data, extack);				\
}

#else

#define KTLS_RTNL_NEWLINK(fn)		fn
/* The callback already has the kernel's type: nothing to define. */
#define KTLS_RTNL_NEWLINK_DEFINE(...)

#endif /* KTLS_RTNL_NEWLINK_PARAMS */

#endif /* _KTLS_COMPAT_RTNL_H */
