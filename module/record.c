// SPDX-License-Identifier: GPL-2.0
/*
 * The TLS record format: the header, the explicit nonce of TLS 1.2 suites,
 * the AEAD IV and additional data, record sequence numbers and the TLS 1.3
 * inner content type. Everything here is a pure function of its arguments
 * so that TX and RX share one definition of the wire format and KUnit can
 * check it byte by byte.
 */
#include <linux/string.h>
#include <linux/unaligned.h>
#include <kunit/visibility.h>
#include <net/tls_prot.h>

#include "tls.h"

/* Every suite's AEAD nonce is 12 bytes (RFC 5288, 7905, 8446). */
#define KTLS_NONCE_SIZE		12

/*
 * TLS 1.2 suites other than ChaCha20-Poly1305 put an explicit nonce
 * between the header and the ciphertext; prot_info records that as a
 * prepend longer than the header.
 */
static bool ktls_has_explicit_nonce(const struct tls_prot_info *prot)
{
	return prot->prepend_size > TLS_HEADER_SIZE;
}

/* Bytes on the wire for a record carrying @plain_len bytes of payload. */
u32 ktls_record_wire_len(const struct tls_prot_info *prot, u32 plain_len)
{
	return plain_len + prot->overhead_size;
}
EXPORT_SYMBOL_IF_KUNIT(ktls_record_wire_len);

/*
 * The 5-byte header. Both versions send the legacy version 3.3; TLS 1.3
 * hides the real content type inside the encrypted payload and labels
 * every record application data.
 */
static void ktls_write_header(const struct tls_prot_info *prot, u8 *buf,
			      u8 content_type, u32 plain_len)
{
	u32 len = ktls_record_wire_len(prot, plain_len) - TLS_HEADER_SIZE;

	buf[0] = prot->version == TLS_1_3_VERSION ? TLS_RECORD_TYPE_DATA :
						    content_type;
	buf[1] = TLS_1_2_VERSION_MAJOR;
	buf[2] = TLS_1_2_VERSION_MINOR;
	put_unaligned_be16(len, buf + 3);
}

/**
 * ktls_record_fill_header() - write a record's header and explicit nonce
 * @prot: record layout of the connection
 * @buf: prot->prepend_size bytes
 * @content_type: TLS content type of the payload
 * @plain_len: payload bytes, without the TLS 1.3 content type byte
 * @explicit_nonce: nonce to put on the wire (explicit-nonce suites only)
 */
void ktls_record_fill_header(const struct tls_prot_info *prot, u8 *buf,
			     u8 content_type, u32 plain_len,
			     const u8 *explicit_nonce)
{
	ktls_write_header(prot, buf, content_type, plain_len);
	if (ktls_has_explicit_nonce(prot))
		memcpy(buf + TLS_HEADER_SIZE, explicit_nonce,
		       prot->prepend_size - TLS_HEADER_SIZE);
}
EXPORT_SYMBOL_IF_KUNIT(ktls_record_fill_header);

/**
 * ktls_record_fill_aad() - additional authenticated data of a record
 * @prot: record layout of the connection
 * @aad: prot->aad_size bytes
 * @content_type: TLS content type of the payload
 * @plain_len: payload bytes, without the TLS 1.3 content type byte
 * @rec_seq: the record's sequence number (big endian)
 *
 * TLS 1.2 authenticates sequence number, type, version and plaintext
 * length (RFC 5246 6.2.3.3); TLS 1.3 authenticates the record header
 * exactly as sent (RFC 8446 5.2).
 */
void ktls_record_fill_aad(const struct tls_prot_info *prot, u8 *aad,
			  u8 content_type, u32 plain_len, const u8 *rec_seq)
{
	if (prot->version == TLS_1_3_VERSION) {
		ktls_write_header(prot, aad, content_type, plain_len);
		return;
	}
	memcpy(aad, rec_seq, prot->rec_seq_size);
	aad[8] = content_type;
	aad[9] = TLS_1_2_VERSION_MAJOR;
	aad[10] = TLS_1_2_VERSION_MINOR;
	put_unaligned_be16(plain_len, aad + 11);
}
EXPORT_SYMBOL_IF_KUNIT(ktls_record_fill_aad);

/**
 * ktls_record_fill_iv() - the AEAD IV for one record
 * @prot: record layout of the connection
 * @aead_iv: crypto_aead_ivsize() bytes, at most KTLS_AEAD_IV_MAX
 * @salt_iv: the connection's salt followed by its IV (cipher_context.iv)
 * @rec_seq: the record's sequence number (big endian)
 * @explicit_nonce: the record's explicit nonce (explicit-nonce suites)
 *
 * Explicit-nonce suites use salt || explicit nonce (RFC 5288). TLS 1.3
 * and ChaCha20-Poly1305 XOR the sequence number, left-padded to 12 bytes,
 * into the static IV (RFC 8446 5.3, RFC 7905), so no nonce travels.
 */
void ktls_record_fill_iv(const struct tls_prot_info *prot, u8 *aead_iv,
			 const u8 *salt_iv, const u8 *rec_seq,
			 const u8 *explicit_nonce)
{
	const struct ktls_cipher_desc *desc;
	u8 *nonce = aead_iv;
	int i;

	desc = ktls_cipher_desc_get(prot->cipher_type);
	if (desc && desc->aead_iv_lead) {
		memset(aead_iv, 0, KTLS_AEAD_IV_MAX);
		aead_iv[0] = desc->aead_iv_lead;
		nonce++;
	}
	if (ktls_has_explicit_nonce(prot)) {
		memcpy(nonce, salt_iv, prot->salt_size);
		memcpy(nonce + prot->salt_size, explicit_nonce, prot->iv_size);
		return;
	}
	memcpy(nonce, salt_iv, KTLS_NONCE_SIZE);
	for (i = 0; i < prot->rec_seq_size; i++)
		nonce[KTLS_NONCE_SIZE - prot->rec_seq_size + i] ^= rec_seq[i];
}
EXPORT_SYMBOL_IF_KUNIT(ktls_record_fill_iv);

/* Add one to a big-endian number of @len bytes, wrapping silently. */
static void ktls_be_increment(u8 *num, unsigned int len)
{
	while (len--) {
		if (++num[len])
			break;
	}
}

/**
 * ktls_record_seq_last() - whether a direction is at its last sequence number
 * @prot: record layout of the connection
 * @cc: the direction's IV and sequence number
 *
 * A sequence number never wraps, and past this one it would. TX refuses
 * to seal a record here at all, as upstream does (its selftest checks
 * that send() fails with EBADMSG); RX reads it and fails at the next.
 *
 * Return: true at 2^64 - 1.
 */
bool ktls_record_seq_last(const struct tls_prot_info *prot,
			  const struct cipher_context *cc)
{
	return !memchr_inv(cc->rec_seq, 0xff, prot->rec_seq_size);
}
EXPORT_SYMBOL_IF_KUNIT(ktls_record_seq_last);

/**
 * ktls_record_advance() - move a direction on to its next record
 * @prot: record layout of the connection
 * @cc: the direction's IV and sequence number
 *
 * The sequence number goes up by one; explicit-nonce suites advance the
 * nonce they send along with it. A sequence number that would wrap to zero
 * would repeat a nonce under the same key, so that is refused and nothing
 * changes: the caller must fail the connection.
 *
 * Return: 0, or -EBADMSG when the sequence space is exhausted.
 */
int ktls_record_advance(const struct tls_prot_info *prot,
			struct cipher_context *cc)
{
	if (ktls_record_seq_last(prot, cc))
		return -EBADMSG;
	ktls_be_increment(cc->rec_seq, prot->rec_seq_size);
	if (ktls_has_explicit_nonce(prot))
		ktls_be_increment(cc->iv + prot->salt_size, prot->iv_size);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ktls_record_advance);

/**
 * ktls_record_check_header() - validate a received record header
 * @prot: record layout of the connection
 * @hdr: TLS_HEADER_SIZE bytes as received
 *
 * Nothing of a record is trusted before this says yes: the length decides
 * how much the parser waits for and allocates.
 *
 * Return: the whole record's length including the header; -EMSGSIZE for
 * more than the version and cipher allow, -EBADMSG for less than the
 * cipher's own overhead, else -EINVAL for a version other than 3.3.
 */
int ktls_record_check_header(const struct tls_prot_info *prot, const u8 *hdr)
{
	u32 cipher_overhead = prot->overhead_size - TLS_HEADER_SIZE;
	u32 len = get_unaligned_be16(hdr + 3);

	/*
	 * Length first: a stream that is not TLS at all (garbage, or the
	 * peer speaking plaintext) is reported as an oversized record, which
	 * is what applications see from upstream too.
	 */
	if (len > TLS_MAX_PAYLOAD_SIZE + cipher_overhead)
		return -EMSGSIZE;
	if (len < cipher_overhead)
		return -EBADMSG;
	if (hdr[1] != TLS_1_2_VERSION_MAJOR || hdr[2] != TLS_1_2_VERSION_MINOR)
		return -EINVAL;
	return len + TLS_HEADER_SIZE;
}
EXPORT_SYMBOL_IF_KUNIT(ktls_record_check_header);

/**
 * ktls_record_inner_type() - find a TLS 1.3 record's real content type
 * @chunk: the last @len bytes of (the not yet scanned part of) a
 *         decrypted TLS 1.3 payload
 * @len: bytes in @chunk
 * @pad: set to the number of zero padding bytes at the end of @chunk
 *
 * A TLS 1.3 plaintext is content, one content-type byte, then any number
 * of zero bytes (RFC 8446 5.4). Callers holding the plaintext in pieces
 * scan them from the last one back while this returns 0.
 *
 * Return: the content type, or 0 if @chunk is all padding.
 */
int ktls_record_inner_type(const u8 *chunk, u32 len, u32 *pad)
{
	u32 i = len;

	while (i && !chunk[i - 1])
		i--;
	*pad = len - i;
	return i ? chunk[i - 1] : 0;
}
EXPORT_SYMBOL_IF_KUNIT(ktls_record_inner_type);
