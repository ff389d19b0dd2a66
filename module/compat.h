/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version compatibility for the out-of-tree kTLS module.
 *
 * This header is force-included (see Kbuild) into every translation unit.
 * It is the only place where differences between kernel versions may be
 * expressed; .c files use the names defined here and never test
 * LINUX_VERSION_CODE themselves. Where possible a difference is detected by
 * probing for the feature (a macro the newer kernel defines) rather than by
 * comparing version numbers.
 */
#ifndef _KTLS_COMPAT_H
#define _KTLS_COMPAT_H

#include <linux/version.h>
#include <linux/kconfig.h>
#include <uapi/linux/tls.h>

/*
 * TLS_TX_MAX_PAYLOAD_LEN (RFC 8449 record size limit) and its sock_diag
 * attribute appeared after 6.12. The numbers are upstream's ABI. The
 * attribute is the last member of an enum, so it cannot be probed with
 * #ifdef; TLS_TX_MAX_PAYLOAD_LEN arrived in the same change, so its
 * absence tells us the attribute is missing too.
 */
#ifndef TLS_TX_MAX_PAYLOAD_LEN
#define TLS_TX_MAX_PAYLOAD_LEN		5
#define TLS_INFO_TX_MAX_PAYLOAD_LEN	7
#endif

/*
 * Kernels before 6.6 size struct cipher_context's IV and salt per cipher
 * and name no maximum. Ours are the largest of any suite we accept (the
 * 16-byte CCM/GCM IV and 4-byte salt). Probe: KTLS_NO_TLS_MAX_IV_SIZE.
 */
#ifdef KTLS_NO_TLS_MAX_IV_SIZE
#define TLS_MAX_IV_SIZE			16
#define TLS_MAX_SALT_SIZE		4
#endif

/*
 * struct proto's ioctl takes the argument in kernel memory (int *) from
 * 6.6 on; before, it takes the user pointer as an unsigned long and each
 * protocol copies its answer out itself. ktls_ioctl_arg_t is the type of
 * that argument, ktls_ioctl_put_int() stores an int answer through it.
 * Probe: KTLS_PROTO_IOCTL_USER_ARG (sock.h has no "int *karg" ioctl).
 */
#ifdef KTLS_PROTO_IOCTL_USER_ARG
typedef unsigned long ktls_ioctl_arg_t;
#define ktls_ioctl_put_int(arg, val)	put_user(val, (int __user *)(arg))
#else
typedef int *ktls_ioctl_arg_t;
#define ktls_ioctl_put_int(arg, val)	(*(arg) = (val), 0)
#endif

/*
 * tcp_write_collapse_fence() (6.9): mark TCP's last skb end-of-record so
 * that what is sent next never merges into it. Older kernels have the
 * eor bit but no helper. Probe: KTLS_NO_TCP_WRITE_COLLAPSE_FENCE.
 */
#ifdef KTLS_NO_TCP_WRITE_COLLAPSE_FENCE
#define tcp_write_collapse_fence(sk)					\
	do {								\
		struct sk_buff *__last = tcp_write_queue_tail(sk);	\
									\
		if (!__last)						\
			__last = tcp_rtx_queue_tail(sk);		\
		if (__last)						\
			TCP_SKB_CB(__last)->eor = 1;			\
	} while (0)
#endif

/*
 * skb_frag_fill_page_desc() (6.5) sets a fragment's page, offset and
 * size at once; older kernels have the three setters only. Probe:
 * KTLS_NO_SKB_FRAG_FILL_PAGE_DESC.
 */
#ifdef KTLS_NO_SKB_FRAG_FILL_PAGE_DESC
#define skb_frag_fill_page_desc(frag, pg, off, size)			\
	do {								\
		__skb_frag_set_page(frag, pg);				\
		skb_frag_off_set(frag, off);				\
		skb_frag_size_set(frag, size);				\
	} while (0)
#endif

/*
 * A crypto completion callback gets its request's data pointer from 6.3
 * on; before, it gets the struct crypto_async_request and reads ->data.
 * Callbacks take a ktls_crypto_cb_arg_t and read their data with
 * ktls_crypto_cb_data(). Probe: KTLS_CRYPTO_CB_ASYNC_REQ.
 */
#ifdef KTLS_CRYPTO_CB_ASYNC_REQ
struct crypto_async_request;
typedef struct crypto_async_request *ktls_crypto_cb_arg_t;
#define ktls_crypto_cb_data(arg)	((arg)->data)
#else
typedef void *ktls_crypto_cb_arg_t;
#define ktls_crypto_cb_data(arg)	(arg)
#endif

/*
 * Pages of a user-backed iov_iter that RX decrypts into. From 6.3 on
 * they are pinned with iov_iter_extract_pages() and unpinned after;
 * before, iov_iter_get_pages2() takes a plain page reference, which is
 * dropped with put_page() once the page is dirtied. Callers only pass
 * user-backed iterators. Probe: KTLS_NO_IOV_ITER_EXTRACT_PAGES.
 */
#ifdef KTLS_NO_IOV_ITER_EXTRACT_PAGES
#define ktls_user_pages_get(iter, pagesp, maxsize, maxpages, offp)	\
	iov_iter_get_pages2(iter, *(pagesp), maxsize, maxpages, offp)
#define ktls_user_pages_put_dirty(pages, npages)			\
	do {								\
		unsigned long __i;					\
									\
		for (__i = 0; __i < (npages); __i++) {			\
			set_page_dirty_lock((pages)[__i]);		\
			put_page((pages)[__i]);				\
		}							\
	} while (0)
#else
#define ktls_user_pages_get(iter, pagesp, maxsize, maxpages, offp)	\
	iov_iter_extract_pages(iter, pagesp, maxsize, maxpages, 0, offp)
#define ktls_user_pages_put_dirty(pages, npages)			\
	unpin_user_pages_dirty_lock(pages, npages, true)
#endif

/*
 * struct cipher_context holds the salt||IV and the record sequence number
 * in arrays from 6.6 on; before, it holds pointers to buffers the TLS
 * module provides. KTLS_CIPHER_STORE(name) declares, in our context, the
 * storage for both directions where the kernel needs it (nothing
 * otherwise); ktls_cipher_store_bind() points the kernel's pointers at it
 * when the context is created. KTLS_CIPHER_IV_SPACE is the room for
 * salt||IV either way. Probe: KTLS_CIPHER_CONTEXT_PTRS ("char *iv;").
 */
#ifdef KTLS_CIPHER_CONTEXT_PTRS
struct ktls_cipher_store {
	char iv[TLS_MAX_IV_SIZE + TLS_MAX_SALT_SIZE];
	char rec_seq[8];	/* TLS_MAX_REC_SEQ_SIZE */
};
#define KTLS_CIPHER_STORE(name)		struct ktls_cipher_store name[2];
#define ktls_cipher_store_bind(cc, st)					\
	do {								\
		(cc)->iv = (st)->iv;					\
		(cc)->rec_seq = (st)->rec_seq;				\
	} while (0)
#define KTLS_CIPHER_IV_SPACE	sizeof_field(struct ktls_cipher_store, iv)
#else
#define KTLS_CIPHER_STORE(name)
#define ktls_cipher_store_bind(cc, st)	do { } while (0)
#define KTLS_CIPHER_IV_SPACE	sizeof_field(struct cipher_context, iv)
#endif

/*
 * tls_is_skb_tx_device_offloaded() (6.7) asks of an skb what the older
 * tls_is_sk_tx_device_offloaded() asks of its socket, which may be NULL.
 * Probe: KTLS_NO_TLS_IS_SKB_TX_DEVICE_OFFLOADED.
 */
#ifdef KTLS_NO_TLS_IS_SKB_TX_DEVICE_OFFLOADED
#define tls_is_skb_tx_device_offloaded(skb)				\
	((skb)->sk && tls_is_sk_tx_device_offloaded((skb)->sk))
#endif

/*
 * A driver's asynchronous RX resync request names its
 * tls_offload_resync_async from 6.7 on; before, it names the socket and
 * the core finds the same structure through the offload context. The
 * driver passes both; the kernel's helper takes the one it wants.
 * Probe: KTLS_RESYNC_ASYNC_BY_SK.
 */
#ifdef KTLS_RESYNC_ASYNC_BY_SK
#define ktls_resync_async_start(as, sk, seq, len)			\
	tls_offload_rx_resync_async_request_start(sk, seq, len)
#define ktls_resync_async_end(as, sk, seq)				\
	tls_offload_rx_resync_async_request_end(sk, seq)
#else
#define ktls_resync_async_start(as, sk, seq, len)			\
	tls_offload_rx_resync_async_request_start(as, seq, len)
#define ktls_resync_async_end(as, sk, seq)				\
	tls_offload_rx_resync_async_request_end(as, seq)
#endif

/*
 * disable_delayed_work_sync() (6.10) cancels a work item and makes later
 * attempts to queue it no-ops. We only disable a work item for good (on
 * close, before its context is freed), so before 6.10 the same effect is
 * had by keeping its PENDING bit: queue_delayed_work() finds it set and
 * does nothing. The bit is taken only while the item is idle; an item
 * queued again meanwhile is cancelled again, one that started running
 * meanwhile is waited for. Probe: KTLS_NO_DISABLE_WORK.
 */
#ifdef KTLS_NO_DISABLE_WORK
#define disable_delayed_work_sync(dw)					\
	({								\
		bool __was = false;					\
									\
		do {							\
			__was |= cancel_delayed_work_sync(dw);		\
		} while (test_and_set_bit(WORK_STRUCT_PENDING_BIT,	\
					  work_data_bits(&(dw)->work)));\
		flush_work(&(dw)->work);				\
		__was;							\
	})
#endif

/*
 * MODULE_IMPORT_NS() takes a bare identifier up to 6.12 and a string
 * literal from 6.13 on. Both expand to this modinfo entry, which is
 * spelled the same everywhere.
 */
#define KTLS_IMPORT_KUNIT_NS() MODULE_INFO(import_ns, "EXPORTED_FOR_KUNIT_TESTING")

/*
 * Whether an skb carries plaintext for a device to encrypt: the field
 * exists under CONFIG_SKB_DECRYPTED from 6.10 on, under CONFIG_TLS_DEVICE
 * before (with no Kconfig symbol of its own to probe).
 */
#if defined(CONFIG_SKB_DECRYPTED) || defined(CONFIG_TLS_DEVICE)
#define ktls_skb_decrypted(skb)		((skb)->decrypted)
#define ktls_skb_clear_decrypted(skb)	((skb)->decrypted = 0)
#else
#define ktls_skb_decrypted(skb)		((void)(skb), false)
#define ktls_skb_clear_decrypted(skb)	((void)(skb))
#endif

#endif /* _KTLS_COMPAT_H */
