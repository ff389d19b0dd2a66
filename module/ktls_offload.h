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
struct tls_offload_context_tx;
struct tls_record_info;

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
 *   place and checks the tag; a segment holding a record's tag is marked
 *   decrypted only if the tag checked out (as for TLS 1.2, segments before
 *   it may be marked as they pass: the core trusts a record's plaintext
 *   only if all of it came marked). The core finds the content type and
 *   strips the padding itself.
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
 * KTLS_DEV_CAP_REKEY (with KTLS_DEV_CAP_TLS13): offload goes on across a
 * KeyUpdate. A new key goes to a direction only if the device declared
 * this when it took the socket and still declares it, and the direction's
 * NETIF_F_HW_TLS_* feature is still on. The crypto_info given to
 * tls_dev_add() is valid during the call only.
 *
 * - TX: the core calls tls_dev_add(TX) again on the socket the driver
 *   already encrypts for, with the new key's crypto_info and, as start
 *   sequence, the TCP sequence number where the first record under the
 *   new key starts (the driver tells it from a first add by the state it
 *   already holds for the socket). It runs in process context (it may
 *   sleep) while segments under older keys are encrypted on other CPUs:
 *   the driver locks its own key list, across finding a record's key
 *   number and using the key. Keys are numbered as they come: 0 for the
 *   first tls_dev_add(TX), then 1, 2...
 *   - A record keeps its key for every (re)transmission:
 *     ktls_dev_tx_rec_key() tells which, for a record tls_get_record()
 *     returned. Never compare sequence numbers with a key's start to find
 *     out: the stream wraps every 4 GiB.
 *   - tls_get_record() numbers records within their key: the first record
 *     under the new key is the crypto_info's rec_seq (0 after a
 *     KeyUpdate).
 *   - No segment carries records under two keys; a segment the driver
 *     cannot encrypt goes to tls_encrypt_skb(), as always.
 *   - Keys numbered below ktls_dev_tx_oldest_key() cover no record the
 *     peer lacks: the driver may forget them once no descriptor of its
 *     own still uses them (no event says so: look when a new key comes).
 *     A segment whose record tls_get_record() does not find, or whose key
 *     it forgot, is a retransmission of acknowledged data: drop it, never
 *     send it as it is.
 *   - tls_dev_resync(TX) names a record under the newest key.
 *   - The core gives a socket at most 8 keys at a time; past that, and if
 *     tls_dev_add() fails, TX goes on in software as described above for
 *     a device without this bit, and the driver keeps every key it had
 *     until tls_dev_del(TX), which frees them all.
 * - RX: at a new RX key the core calls tls_dev_del(RX), as at close;
 *   once that returns, the old context decrypts no segment that arrives
 *   later. Later the core calls tls_dev_add(RX) again with the new key, a
 *   crypto_info whose rec_seq is the number of the record at the start
 *   sequence number, and as start a record boundary past anything the old
 *   context can have seen (the right edge of the largest receive window
 *   offered, plus 64 KiB). The offload context, driver_state included,
 *   is zeroed before: the resync type (and async state) is set again in
 *   tls_dev_add(). No segment that starts before the start may be marked
 *   decrypted. The driver may be past the start by then: it finds the
 *   stream again as after losing it (resync). If tls_dev_add() fails, RX
 *   stays in software for good.
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

/*
 * KTLS_DEV_CAP_REKEY, TX: the number of the key @rec is under (0 for the
 * first key), and the oldest key a record the peer lacks may be under.
 * @off is tls_offload_ctx_tx() of the socket, off->lock held; @rec was
 * returned by tls_get_record() under that lock.
 */
u32 ktls_dev_tx_rec_key(struct tls_offload_context_tx *off,
			struct tls_record_info *rec);
u32 ktls_dev_tx_oldest_key(struct tls_offload_context_tx *off);

#endif /* _KTLS_OFFLOAD_H */
