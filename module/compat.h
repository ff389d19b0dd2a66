/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version compatibility for the out-of-tree kTLS module.
 *
 * This header is force-included (see Kbuild) into every translation unit.
 * It and the small headers of compat/ (helpers that need the kernel's own
 * types, included after the kernel's headers) are the only place where
 * differences between kernel versions may be expressed; .c files use the
 * names defined there and never test LINUX_VERSION_CODE themselves. A
 * difference is detected by a feature probe in Kbuild (-DKTLS_...: a
 * header, a name or a prototype the kernel's headers have) rather than by
 * comparing version numbers. Documentation/compat.rst lists them.
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
 * Types whose spelling differs (the helpers that use them are in
 * compat/ktls_late.h):
 *
 * struct proto's ioctl takes its argument in kernel memory (int *) from
 * 6.6 on; before, it takes the user pointer as an unsigned long. Probe:
 * KTLS_PROTO_IOCTL_USER_ARG (sock.h has no "int *karg" ioctl).
 *
 * A crypto completion callback gets its request's data pointer from 6.3
 * on; before, the struct crypto_async_request. Probe:
 * KTLS_CRYPTO_CB_ASYNC_REQ.
 */
#ifdef KTLS_PROTO_IOCTL_USER_ARG
#define ktls_ioctl_arg_t	unsigned long
#else
#define ktls_ioctl_arg_t	int *
#endif
#ifdef KTLS_CRYPTO_CB_ASYNC_REQ
struct crypto_async_request;
#define ktls_crypto_cb_arg_t	struct crypto_async_request *
#else
#define ktls_crypto_cb_arg_t	void *
#endif

/*
 * Callback parameters that some kernels pass and others do not. We never
 * use them: a callback's parameter list is wrapped in one of these
 * macros, which adds the parameter where the kernel passes it.
 *
 * tcp_ulp_ops get_info and get_info_size are told whether the asker has
 * CAP_NET_ADMIN after 6.12 (in 7.3). Everyone gets the same report, as
 * from upstream's tls, so the flag is ignored. Probe:
 * KTLS_ULP_INFO_NET_ADMIN.
 */
#ifdef KTLS_ULP_INFO_NET_ADMIN
#define KTLS_ULP_INFO_PARAMS(...)	__VA_ARGS__, bool net_admin
#else
#define KTLS_ULP_INFO_PARAMS(...)	__VA_ARGS__
#endif

/*
 * struct proto's recvmsg has no int *addr_len after 6.12 (in 7.3): TCP
 * has no address to return there. Probe: KTLS_RECVMSG_NO_ADDR_LEN.
 */
#ifdef KTLS_RECVMSG_NO_ADDR_LEN
#define KTLS_RECVMSG_PARAMS(...)	__VA_ARGS__
#else
#define KTLS_RECVMSG_PARAMS(...)	__VA_ARGS__, int *addr_len
#endif

/*
 * struct cipher_context holds the salt||IV and the record sequence number
 * in arrays from 6.6 on; before, it holds pointers to buffers the TLS
 * module provides. Our context embeds two struct ktls_cipher_store (tx,
 * rx) and ktls_cipher_store_bind() points the kernel's pointers at them;
 * on newer kernels the structure is empty and takes no room.
 * KTLS_CIPHER_IV_SPACE is the room for salt||IV either way. Probe:
 * KTLS_CIPHER_CONTEXT_PTRS ("char *iv;" in <net/tls.h>).
 */
#ifdef KTLS_CIPHER_CONTEXT_PTRS
struct ktls_cipher_store {
	char iv[TLS_MAX_IV_SIZE + TLS_MAX_SALT_SIZE];
	char rec_seq[8];	/* TLS_MAX_REC_SEQ_SIZE */
};

#define KTLS_CIPHER_IV_SPACE	sizeof_field(struct ktls_cipher_store, iv)
#else
struct ktls_cipher_store {
};

#define KTLS_CIPHER_IV_SPACE	sizeof_field(struct cipher_context, iv)
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

/*
 * The socket whose clean_acked_data hook a TX offload sets: the hook is
 * in struct tcp_sock after 6.12 (in 7.3), so clean_acked_data_enable()
 * and _disable() take that instead of the inet_connection_sock. Probe:
 * KTLS_CLEAN_ACKED_TCP_SOCK.
 */
#ifdef KTLS_CLEAN_ACKED_TCP_SOCK
#define ktls_clean_acked_sk(sk)		tcp_sk(sk)
#else
#define ktls_clean_acked_sk(sk)		inet_csk(sk)
#endif

/*
 * A per-CPU workqueue. After 6.12 (in 7.3) alloc_workqueue() wants
 * WQ_PERCPU or WQ_UNBOUND spelled out and warns, with a backtrace, when
 * given neither; before, no flag meant per-CPU. Debian's 6.12 already
 * defines WQ_PERCPU, unused, so the probe looks for the kernel acting on
 * it: BH workqueues, per-CPU by nature, must then pass it too, and
 * __WQ_BH_ALLOWS lists it. Probe: KTLS_WQ_PERCPU_REQUIRED.
 */
#ifdef KTLS_WQ_PERCPU_REQUIRED
#define KTLS_WQ_PERCPU			WQ_PERCPU
#else
#define KTLS_WQ_PERCPU			0
#endif

#endif /* _KTLS_COMPAT_H */
