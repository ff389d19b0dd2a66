// SPDX-License-Identifier: GPL-2.0
/*
 * TLS 1.3 KeyUpdate (RFC 8446 4.6.3): replacing the keys of a running
 * direction, and the receive-side pause between a peer's KeyUpdate and
 * the new RX key.
 *
 * RX keys move through three named states:
 *
 *   NOKEY   --key set-->   RUNNING   (first TLS_RX)
 *   RUNNING --key set-->   RUNNING   (rekey without a pending KeyUpdate)
 *   RUNNING --KeyUpdate--> PAUSED    (a KeyUpdate was decrypted)
 *   PAUSED  --key set-->   RUNNING   (the application installed the new key)
 *
 * Everything the peer sends after its KeyUpdate is encrypted under a key
 * we do not have yet, so while PAUSED no record is decrypted: reads fail
 * with EKEYEXPIRED, and a complete record waiting in the parser does not
 * make the socket readable. Records decrypted before the pause (the
 * KeyUpdate itself, data peeked before it) stay readable. A second
 * KeyUpdate cannot be seen while PAUSED because it is under the new key;
 * the transition is refused rather than silently taken.
 *
 * The state changes only under the socket lock (setsockopt, and readers
 * that decrypt); the softirq parser and poll only read it, and they see
 * the result through rx_sw.ready, recomputed under the same lock.
 *
 * TX has no pause: the application sends its KeyUpdate with the old key,
 * then installs the new one. A record still open at that moment was
 * filled before the switch, so it is closed and encrypted under the old
 * key first.
 */
#include <crypto/aead.h>
#include <kunit/visibility.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <net/sock.h>
#include <net/tls_prot.h>

#include "tls.h"

/* RFC 8446 4: HandshakeType key_update */
#define KTLS_HANDSHAKE_KEYUPDATE	24

/**
 * ktls_ku_transition() - apply @ev to an RX key state
 * @state: enum ktls_ku_state, updated on success
 * @ev: what happened
 *
 * Return: 0, or -EINVAL for a transition the state machine does not have
 * (then @state is unchanged).
 */
int ktls_ku_transition(u8 *state, enum ktls_ku_event ev)
{
	u8 next;

	switch (ev) {
	case KTLS_KU_EV_KEY_SET:
		/* From any state: a fresh key ends a pause. */
		next = KTLS_KU_RUNNING;
		break;
	case KTLS_KU_EV_KEYUPDATE:
		/* Only a record decrypted with a live key can say this. */
		if (*state != KTLS_KU_RUNNING)
			return -EINVAL;
		next = KTLS_KU_PAUSED;
		break;
	default:
		return -EINVAL;
	}
	WRITE_ONCE(*state, next);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ktls_ku_transition);

/* Whether a record may be decrypted in @state. */
bool ktls_ku_may_decrypt(u8 state)
{
	return state != KTLS_KU_PAUSED;
}
EXPORT_SYMBOL_IF_KUNIT(ktls_ku_may_decrypt);

/**
 * ktls_ku_scan() - follow the handshake messages of one record
 * @scan: where the message stream stood before this record; updated
 * @plain: the record's plaintext (content type handshake)
 * @len: its length
 *
 * Handshake messages (type, 24-bit length, body) may share a record or
 * span several, so a KeyUpdate need not be the record's first byte: it
 * may follow a NewSessionTicket in the same record (RFC 8446 5.1). Every
 * message start is looked at; a KeyUpdate must end its record, and what
 * follows it is under the next key whatever the peer put in this record,
 * so finding one is enough.
 *
 * Return: whether a KeyUpdate message starts in this record.
 */
bool ktls_ku_scan(struct ktls_hs_scan *scan, const u8 *plain, u32 len)
{
	bool keyupdate = false;
	u32 n;

	while (len) {
		if (scan->left) {
			n = min(scan->left, len);
			scan->left -= n;
			plain += n;
			len -= n;
			continue;
		}
		if (!scan->have && *plain == KTLS_HANDSHAKE_KEYUPDATE)
			keyupdate = true;
		scan->hdr[scan->have++] = *plain++;
		len--;
		if (scan->have < sizeof(scan->hdr))
			continue;
		scan->left = get_unaligned_be24(scan->hdr + 1);
		scan->have = 0;
	}
	return keyupdate;
}
EXPORT_SYMBOL_IF_KUNIT(ktls_ku_scan);

/**
 * ktls_rekey_check() - may @next replace the installed keys @cur?
 * @cur: keys of the direction now
 * @next: keys the user passed
 *
 * Return: 0; -EBUSY when the connection cannot rekey at all (TLS 1.2,
 * as before); -EINVAL when @next changes version or cipher.
 */
int ktls_rekey_check(const struct tls_crypto_info *cur,
		     const struct tls_crypto_info *next)
{
	if (cur->version != TLS_1_3_VERSION)
		return -EBUSY;
	if (next->version != cur->version ||
	    next->cipher_type != cur->cipher_type)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ktls_rekey_check);

/*
 * An RX key was installed: reads go on, and the handshake stream starts
 * at a message boundary (messages never span a key change, RFC 8446 5.1).
 */
void ktls_ku_rx_start(struct ktls_context *kctx)
{
	ktls_ku_transition(&kctx->rx_sw.ku_state, KTLS_KU_EV_KEY_SET);
	memset(&kctx->rx_sw.hs, 0, sizeof(kctx->rx_sw.hs));
}

/* Whether RX waits for a new key: nothing more may be decrypted. */
bool ktls_ku_rx_paused(const struct ktls_rx_sw *rx)
{
	return !ktls_ku_may_decrypt(READ_ONCE(rx->ku_state));
}

/**
 * ktls_ku_rx_record() - look at a record just decrypted
 * @sk: the socket, locked
 * @kctx: its context
 * @rec: the record, plaintext in buf[off..end)
 *
 * A KeyUpdate pauses RX right behind its record: the record stays
 * readable, what follows waits for the new key. TLS 1.2 has no KeyUpdate
 * (a handshake message of type 24 there is not one) and can never take a
 * new key, so it is never paused.
 */
void ktls_ku_rx_record(struct sock *sk, struct ktls_context *kctx,
		       const struct ktls_rx_rec *rec)
{
	if (kctx->base.prot_info.version != TLS_1_3_VERSION ||
	    rec->type != TLS_RECORD_TYPE_HANDSHAKE)
		return;
	if (!ktls_ku_scan(&kctx->rx_sw.hs, rec->buf + rec->off,
			  rec->end - rec->off))
		return;
	if (WARN_ON_ONCE(ktls_ku_transition(&kctx->rx_sw.ku_state,
					    KTLS_KU_EV_KEYUPDATE)))
		return;
	ktls_stat_inc(sock_net(sk), KTLS_STAT_RX_REKEY_RECEIVED);
}

/*
 * Swap in the new RX key and resume. A record the parser already holds
 * was sent under the new key: decryption picks it up on the next read,
 * and whoever sleeps in poll or read is woken to do so. A device lets go
 * of RX, which goes on in software; the old key stays with RX for what
 * the device already did with it (device_rx.c).
 */
static int ktls_rekey_rx(struct sock *sk, struct ktls_context *kctx,
			 const union tls_crypto_context *keys)
{
	struct crypto_aead *old = kctx->rx_aead;
	struct ktls_rx_sw *rx = &kctx->rx_sw;
	struct ktls_dev_rx_old *dev_old = NULL;
	int rc;

	if (ktls_rx_offloaded(kctx)) {
		dev_old = ktls_dev_rx_old_save(kctx);
		if (!dev_old)
			return -ENOMEM;
	}
	rc = ktls_keys_install(sk, kctx, keys, false);
	if (rc) {
		kfree_sensitive(dev_old);
		return rc;
	}
	if (dev_old) {
		ktls_dev_rx_leave(sk, kctx, dev_old);
	} else {
		crypto_free_aead(old);
		ktls_dev_rx_new_key(kctx);
	}
	ktls_rx_request_drop(rx);
	ktls_ku_rx_start(kctx);

	ktls_parser_advance(sk, kctx, GFP_KERNEL);
	ktls_rx_update_ready(rx);
	if (rx->ready && rx->started)
		rx->saved_data_ready(sk);
	return 0;
}

/*
 * The TX request was sized for the old transform. The same algorithm
 * name normally gives the same implementation and size; if not, a larger
 * request is needed, and failing to get one leaves no key to send with.
 */
static int ktls_rekey_tx_request(struct ktls_context *kctx,
				 unsigned int old_reqsize)
{
	struct ktls_tx *tx = &kctx->txsw;
	struct aead_request *req;

	if (!tx->req || crypto_aead_reqsize(kctx->tx_aead) <= old_reqsize)
		return 0;
	req = aead_request_alloc(kctx->tx_aead, GFP_KERNEL);
	if (!req) {
		tx->err = -ENOMEM;
		return -ENOMEM;
	}
	aead_request_free(tx->req);
	tx->req = req;
	return 0;
}

/*
 * Swap in the new TX key. The caller owns TX, so no sender is
 * between records: the open record (bytes given before this call) is
 * encrypted under the old key before the switch. A device keeps the key
 * it has for the records it was given, and takes the new one for the
 * records after them, or TX goes on in software (device_tx.c).
 */
static int ktls_rekey_tx(struct sock *sk, struct ktls_context *kctx,
			 const union tls_crypto_context *keys)
{
	struct crypto_aead *old = kctx->tx_aead;
	unsigned int old_reqsize;
	int rc;

	WARN_ON_ONCE(!kctx->txsw.owner.held);
	rc = ktls_tx_flush_open(sk, kctx);
	if (rc)
		return rc;
	old_reqsize = crypto_aead_reqsize(old);
	rc = ktls_keys_install(sk, kctx, keys, true);
	if (rc)
		return rc;
	crypto_free_aead(old);
	kctx->txsw.key_gen++;
	/* The new transform shows again whether it answers later. */
	kctx->txsw.answers_later = false;
	if (kctx->base.tx_conf == TLS_HW)
		return ktls_dev_tx_rekey(sk, kctx);
	return ktls_rekey_tx_request(kctx, old_reqsize);
}

/* Validate and install; nothing changes unless this returns 0. */
static int ktls_rekey_apply(struct sock *sk, struct ktls_context *kctx,
			    union tls_crypto_context *keys, sockptr_t optval,
			    unsigned int optlen, bool tx)
{
	struct tls_context *ctx = &kctx->base;
	int rc;

	rc = ktls_rekey_check(&ktls_dir_keys(ctx, tx)->info, &keys->info);
	if (!rc)
		rc = ktls_crypto_info_check(&keys->info, optlen,
					    &ktls_dir_keys(ctx, tx)->info);
	if (rc)
		return rc;
	if (copy_from_sockptr(keys, optval, optlen))
		return -EFAULT;
	return tx ? ktls_rekey_tx(sk, kctx, keys) :
		    ktls_rekey_rx(sk, kctx, keys);
}

/**
 * ktls_rekey() - TLS_TX / TLS_RX on a direction that has keys already
 * @sk: the socket, locked (and TX owned, for TX)
 * @kctx: its context
 * @optval: the user's crypto_info
 * @optlen: its length
 * @tx: direction
 *
 * Return: 0 or a negative errno; on error the old keys stay in use
 * (except when TX could not get a request for the new transform, which
 * fails the TX side for good).
 */
int ktls_rekey(struct sock *sk, struct ktls_context *kctx, sockptr_t optval,
	       unsigned int optlen, bool tx)
{
	union tls_crypto_context keys = {};
	int rc;

	/* TLS 1.2 cannot rekey; counted as a failed rekey, as upstream. */
	if (ktls_dir_keys(&kctx->base, tx)->info.version != TLS_1_3_VERSION)
		rc = -EBUSY;
	else if (copy_from_sockptr(&keys.info, optval, sizeof(keys.info)))
		rc = -EFAULT;
	else
		rc = ktls_rekey_apply(sk, kctx, &keys, optval, optlen, tx);
	memzero_explicit(&keys, sizeof(keys));

	if (tx)
		ktls_stat_inc(sock_net(sk), rc ? KTLS_STAT_TX_REKEY_ERROR :
						 KTLS_STAT_TX_REKEY_OK);
	else
		ktls_stat_inc(sock_net(sk), rc ? KTLS_STAT_RX_REKEY_ERROR :
						 KTLS_STAT_RX_REKEY_OK);
	return rc;
}
