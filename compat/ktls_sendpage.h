/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernels with the sendpage operations (before 6.5; probe
 * KTLS_HAVE_SENDPAGE, see Kbuild and Documentation/compat.rst).
 *
 * There TCP takes pages by reference only through do_tcp_sendpages(),
 * which is also the only path that marks an skb "decrypted" for a device
 * (MSG_SENDPAGE_DECRYPTED); tcp_sendmsg_locked() ignores MSG_SPLICE_PAGES
 * and copies. splice() and sendfile() reach a socket through
 * proto->sendpage, never through sendmsg with MSG_SPLICE_PAGES, and
 * proto_ops has in-kernel *_locked senders that would go straight to TCP.
 *
 * Included by the .c files that need it after "tls.h"; everything here
 * is empty on newer kernels.
 */
#ifndef _KTLS_COMPAT_SENDPAGE_H
#define _KTLS_COMPAT_SENDPAGE_H

#include <linux/bvec.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>

#ifdef KTLS_HAVE_SENDPAGE

/*
 * Hand TCP the pages of @msg's bio_vec iterator, up to @size bytes, as
 * tcp_sendmsg_locked() does with MSG_SPLICE_PAGES on newer kernels.
 * Return: bytes TCP took (the iterator advanced past them), or a
 * negative errno when it took none.
 */
static inline int ktls_tcp_send_pages(struct sock *sk, struct msghdr *msg,
				      size_t size)
{
	int flags = msg->msg_flags & ~MSG_SPLICE_PAGES;
	size_t done = 0;

	while (done < size && iov_iter_count(&msg->msg_iter)) {
		const struct bio_vec *bv = msg->msg_iter.bvec;
		size_t skip = msg->msg_iter.iov_offset;
		size_t len = min_t(size_t, bv->bv_len - skip, size - done);
		ssize_t rc;

		rc = do_tcp_sendpages(sk, bv->bv_page, bv->bv_offset + skip,
				      len, done + len < size ?
				      flags | MSG_SENDPAGE_NOTLAST : flags);
		if (rc <= 0)
			return done ? done : rc;
		iov_iter_advance(&msg->msg_iter, rc);
		done += rc;
		if (rc < len)
			break;
	}
	return done;
}

/*
 * proto->sendpage of a socket with TX keys: the page goes through our
 * sendmsg as one MSG_SPLICE_PAGES segment into the record being built,
 * as splice does on newer kernels.
 */
static inline int ktls_tx_sendpage(struct sock *sk, struct page *page,
				   int offset, size_t size, int flags)
{
	struct bio_vec bvec = {
		.bv_page = page,
		.bv_offset = offset,
		.bv_len = size,
	};
	struct msghdr msg = {
		.msg_flags = MSG_SPLICE_PAGES |
			     (flags & ~MSG_SENDPAGE_NOTLAST),
	};

	if (flags & MSG_SENDPAGE_NOTLAST)
		msg.msg_flags |= MSG_MORE;
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, &bvec, 1, size);
	return ktls_tx_sendmsg(sk, &msg, size);
}

#endif /* KTLS_HAVE_SENDPAGE */

#ifndef KTLS_HAVE_SENDPAGE
static inline int ktls_tcp_send_pages(struct sock *sk, struct msghdr *msg,
				      size_t size)
{
	return tcp_sendmsg_locked(sk, msg, size);
}
#endif

/* TX keys: splice/sendfile come to us. */
static inline void ktls_compat_tx_proto(struct proto *p)
{
#ifdef KTLS_HAVE_SENDPAGE
	p->sendpage = ktls_tx_sendpage;
#endif
}

/* TX keys: the in-kernel locked senders, which would bypass us, refuse. */
static inline void ktls_compat_tx_ops(struct proto_ops *const ops)
{
#ifdef KTLS_HAVE_SENDPAGE
	ops->sendpage_locked = NULL;
	ops->sendmsg_locked = NULL;
#endif
}

#endif /* _KTLS_COMPAT_SENDPAGE_H */
