/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compatibility helpers that need the kernel's own types, so cannot live
 * in module/compat.h (force-included ahead of every kernel header). This
 * header comes after the kernel's: module/tls.h and sim/sim.h include it.
 * Each block is decided by a probe in Kbuild; Documentation/compat.rst
 * lists them.
 */
#ifndef _KTLS_COMPAT_LATE_H
#define _KTLS_COMPAT_LATE_H

#include <linux/mm.h>
#include <linux/skbuff.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/tls.h>

/*
 * tcp_write_collapse_fence() (6.9): mark TCP's last skb end-of-record so
 * that nothing sent later merges into it. Older kernels have the eor bit
 * but no helper. Probe: KTLS_NO_TCP_WRITE_COLLAPSE_FENCE.
 */
#ifdef KTLS_NO_TCP_WRITE_COLLAPSE_FENCE
static inline void tcp_write_collapse_fence(struct sock *sk)
{
	struct sk_buff *last = tcp_write_queue_tail(sk);

	if (!last)
		last = tcp_rtx_queue_tail(sk);
	if (last)
		TCP_SKB_CB(last)->eor = 1;
}
#endif

/*
 * skb_frag_fill_page_desc() (6.5) sets a fragment's page, offset and
 * size at once; older kernels have one setter for each. Probe:
 * KTLS_NO_SKB_FRAG_FILL_PAGE_DESC.
 */
#ifdef KTLS_NO_SKB_FRAG_FILL_PAGE_DESC
static inline void skb_frag_fill_page_desc(skb_frag_t *frag,
					   struct page *page,
					   int off, int size)
{
	__skb_frag_set_page(frag, page);
	skb_frag_off_set(frag, off);
	skb_frag_size_set(frag, size);
}
#endif

/* The data of a crypto completion (see ktls_crypto_cb_arg_t, compat.h). */
static inline void *ktls_crypto_cb_data(ktls_crypto_cb_arg_t arg)
{
#ifdef KTLS_CRYPTO_CB_ASYNC_REQ
	return arg->data;
#else
	return arg;
#endif
}

/* Store an int ioctl answer (see ktls_ioctl_arg_t, compat.h). */
static inline int ktls_ioctl_put_int(ktls_ioctl_arg_t arg, int val)
{
#ifdef KTLS_PROTO_IOCTL_USER_ARG
	return put_user(val, (int __user *)arg);
#else
	*arg = val;
	return 0;
#endif
}

/*
 * Pages of a user-backed iov_iter that RX decrypts into. From 6.3 on they
 * are pinned with iov_iter_extract_pages() and unpinned after; before,
 * iov_iter_get_pages2() takes a plain reference, dropped with put_page()
 * once the page is dirtied. Callers pass user-backed iterators only.
 * Probe: KTLS_NO_IOV_ITER_EXTRACT_PAGES.
 */
static inline ssize_t ktls_user_pages_get(struct iov_iter *iter,
					  struct page ***pages,
					  size_t maxsize,
					  unsigned int maxpages,
					  size_t *off)
{
#ifdef KTLS_NO_IOV_ITER_EXTRACT_PAGES
	return iov_iter_get_pages2(iter, *pages, maxsize, maxpages, off);
#else
	return iov_iter_extract_pages(iter, pages, maxsize, maxpages, 0, off);
#endif
}

static inline void ktls_user_pages_put_dirty(struct page **pages,
					     unsigned long npages)
{
#ifdef KTLS_NO_IOV_ITER_EXTRACT_PAGES
	unsigned long i;

	for (i = 0; i < npages; i++) {
		set_page_dirty_lock(pages[i]);
		put_page(pages[i]);
	}
#else
	unpin_user_pages_dirty_lock(pages, npages, true);
#endif
}

/* Point @cc's IV and rec_seq at @st where the kernel wants that (compat.h). */
static inline void ktls_cipher_store_bind(struct cipher_context *cc,
					  struct ktls_cipher_store *st)
{
#ifdef KTLS_CIPHER_CONTEXT_PTRS
	cc->iv = st->iv;
	cc->rec_seq = st->rec_seq;
#endif
}

/*
 * tls_is_skb_tx_device_offloaded() (6.7) asks of an skb what the older
 * tls_is_sk_tx_device_offloaded() asks of its socket, which may be NULL.
 * Probe: KTLS_NO_TLS_IS_SKB_TX_DEVICE_OFFLOADED.
 */
#ifdef KTLS_NO_TLS_IS_SKB_TX_DEVICE_OFFLOADED
static inline bool tls_is_skb_tx_device_offloaded(const struct sk_buff *skb)
{
	return skb->sk && tls_is_sk_tx_device_offloaded(skb->sk);
}
#endif

/*
 * A driver's asynchronous RX resync request names its
 * tls_offload_resync_async from 6.7 on; before, it names the socket and
 * the core finds the same structure through the offload context. The
 * driver passes both. Probe: KTLS_RESYNC_ASYNC_BY_SK.
 */
#ifdef CONFIG_TLS_DEVICE
static inline void
ktls_resync_async_start(struct tls_offload_resync_async *as, struct sock *sk,
			__be32 seq, u16 len)
{
#ifdef KTLS_RESYNC_ASYNC_BY_SK
	tls_offload_rx_resync_async_request_start(sk, seq, len);
#else
	tls_offload_rx_resync_async_request_start(as, seq, len);
#endif
}

static inline void
ktls_resync_async_end(struct tls_offload_resync_async *as, struct sock *sk,
		      __be32 seq)
{
#ifdef KTLS_RESYNC_ASYNC_BY_SK
	tls_offload_rx_resync_async_request_end(sk, seq);
#else
	tls_offload_rx_resync_async_request_end(as, seq);
#endif
}
#endif /* CONFIG_TLS_DEVICE */

/*
 * Before 6.7 the device offload contexts end in a flexible driver_state[]
 * that whoever allocates them must make room for (the kernel's size
 * macros say how much); later kernels have a fixed array in the struct
 * and no such macro. Driver state written with __tls_driver_ctx() lands
 * there either way.
 */
#ifdef TLS_OFFLOAD_CONTEXT_SIZE_TX
#define KTLS_OFFLOAD_CTX_TX_SIZE	TLS_OFFLOAD_CONTEXT_SIZE_TX
#define KTLS_OFFLOAD_CTX_RX_SIZE	TLS_OFFLOAD_CONTEXT_SIZE_RX
#else
#define KTLS_OFFLOAD_CTX_TX_SIZE	sizeof(struct tls_offload_context_tx)
#define KTLS_OFFLOAD_CTX_RX_SIZE	sizeof(struct tls_offload_context_rx)
#endif

/*
 * disable_delayed_work_sync() (6.10) cancels a work item and makes later
 * attempts to queue it no-ops. We only disable a work item for good (on
 * close, before its context is freed), so before 6.10 the same effect is
 * had by keeping its PENDING bit set: queueing finds it set and does
 * nothing. The bit is taken only while the item is idle: an item queued
 * again meanwhile is cancelled again, one that started running meanwhile
 * is waited for. Afterwards the item must never be cancelled, modified or
 * disabled again: with PENDING set and no queue behind it, a cancel would
 * retry for ever. Probe: KTLS_NO_DISABLE_WORK.
 */
#ifdef KTLS_NO_DISABLE_WORK
static inline bool disable_delayed_work_sync(struct delayed_work *dwork)
{
	bool was = false;

	do {
		was |= cancel_delayed_work_sync(dwork);
	} while (test_and_set_bit(WORK_STRUCT_PENDING_BIT,
				  work_data_bits(&dwork->work)));
	flush_work(&dwork->work);
	return was;
}
#endif

#endif /* _KTLS_COMPAT_LATE_H */
