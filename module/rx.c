// SPDX-License-Identifier: GPL-2.0
/*
 * RX data path entry points. The record parser is not written yet; until it
 * is, a socket with RX keys refuses to read rather than hand the caller
 * undecrypted record bytes as if they were data.
 */
#include <linux/net.h>

#include "tls.h"

int ktls_rx_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		    int flags, int *addr_len)
{
	return -EOPNOTSUPP;
}

ssize_t ktls_rx_splice_read(struct socket *sock, loff_t *ppos,
			    struct pipe_inode_info *pipe, size_t len,
			    unsigned int flags)
{
	return -EOPNOTSUPP;
}

int ktls_rx_read_sock(struct sock *sk, read_descriptor_t *desc,
		      sk_read_actor_t read_actor)
{
	return -EOPNOTSUPP;
}
