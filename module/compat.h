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
