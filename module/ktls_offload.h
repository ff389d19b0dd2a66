/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a NIC driver may declare to this module beyond upstream's
 * tls_device contract (<net/tls.h>, tlsdev_ops). The in-kernel structures
 * are untouched: a driver that never calls these functions is treated as
 * upstream treats every driver, and is handed TLS 1.2 AES-GCM contexts
 * only (nfp, cxgb4 and mlx5 assume TLS 1.2 and must never see anything
 * else). Documentation/device.rst, "Driver contract", is the reference.
 */
#ifndef _KTLS_OFFLOAD_H
#define _KTLS_OFFLOAD_H

#include <linux/bits.h>
#include <linux/types.h>

struct net_device;

/*
 * KTLS_DEV_CAP_TLS13: tls_dev_add() may be given a TLS 1.3 AES-GCM
 * context (crypto_info->version == TLS_1_3_VERSION). For such a context:
 *
 * - The nonce of record n is the 12-byte IV (salt || iv of the
 *   crypto_info) XOR n as a big-endian 64-bit number in its last eight
 *   bytes; the record has no explicit nonce on the wire.
 * - The additional data is the record's 5-byte header, whose type is 23
 *   (application_data) and whose length is that of the whole record after
 *   the header.
 * - TX: the plaintext record the core hands over is the header, the inner
 *   plaintext, one byte of inner content type (alert, handshake and
 *   application data alike) and 16 zero bytes for the tag. The driver
 *   encrypts inner plaintext and content type and writes the tag.
 * - RX: the driver decrypts inner plaintext, content type and padding in
 *   place, checks the tag, and marks the skb decrypted only if it checked
 *   out; the core finds the content type and strips the padding itself.
 *
 * - KeyUpdate, without KTLS_DEV_CAP_REKEY (or when the driver refuses the
 *   new key): a new TX key leaves TX in software from the next record.
 *   The driver keeps its key for the records it was given (and is told
 *   tls_dev_del(TX) at the socket's destructor, as always); the records
 *   after them come as ciphertext in skbs not marked decrypted, which it
 *   must pass on unchanged -- skb->decrypted, not only the socket's hook,
 *   says whether a segment is the device's to encrypt. A new RX key takes
 *   RX back at once: tls_dev_del(RX), as at close.
 *
 * Everything else (records list, resync, start sequence numbers) is as for
 * TLS 1.2.
 */
#define KTLS_DEV_CAP_TLS13	BIT(0)

/*
 * KTLS_DEV_CAP_REKEY (with KTLS_DEV_CAP_TLS13): TX stays on the device
 * across a KeyUpdate. The core calls tls_dev_add(TX) again on the socket
 * the driver already encrypts for, with the new key's crypto_info and, as
 * start sequence, the TCP sequence number where the first record under
 * the new key starts.
 *
 * - From that sequence number on, segments are encrypted with the new key;
 *   segments before it keep the key they had, retransmissions included.
 *   No segment carries records under two keys.
 * - tls_get_record() numbers records within their key: the first record
 *   under the new key is the crypto_info's rec_seq (0 after a KeyUpdate).
 * - The driver may forget a key once the peer has every record under it,
 *   that is once tls_get_record() finds no record at the sequence number
 *   just before the next key's start. A segment no kept key covers is a
 *   retransmission of acknowledged data: it may be dropped.
 * - If tls_dev_add() fails, the driver keeps every key it had, and TX goes
 *   on in software as described above for a device without this bit.
 *
 * RX: a new RX key still takes RX back, as above.
 */
#define KTLS_DEV_CAP_REKEY	BIT(1)

#define KTLS_DEV_CAPS_ALL	(KTLS_DEV_CAP_TLS13 | KTLS_DEV_CAP_REKEY)

/**
 * ktls_dev_caps_set() - declare what @dev offers beyond TLS 1.2
 * @dev: a registered device with tlsdev_ops
 * @caps: KTLS_DEV_CAP_* bits; 0 takes every declaration back
 *
 * Sockets offloaded from then on see @caps; sockets already offloaded
 * keep what they were given. The declaration ends with the device's
 * unregistration (or ktls_dev_caps_set(@dev, 0)), so a driver need not
 * undo it. May sleep.
 *
 * Return: 0, -EINVAL for an unknown bit, KTLS_DEV_CAP_REKEY without
 * KTLS_DEV_CAP_TLS13, a device without tlsdev_ops or
 * not registered (call it after register_netdevice()), -ENOMEM.
 */
int ktls_dev_caps_set(struct net_device *dev, u32 caps);

/* The KTLS_DEV_CAP_* bits @dev declared; 0 if none. */
u32 ktls_dev_caps(const struct net_device *dev);

#endif /* _KTLS_OFFLOAD_H */
