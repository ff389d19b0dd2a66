// SPDX-License-Identifier: GPL-2.0
/*
 * ktls_null_aead: a zero-cost AEAD for the benchmark only (scripts/bench
 * --null-cipher), never built by the project's Kbuild nor installed.
 *
 * Under QEMU TCG the AES and carry-less multiply instructions are emulated
 * and dominate every kTLS measurement. This module registers synchronous
 * AEADs under the names both kTLS modules allocate ("gcm(aes)", "ccm(aes)",
 * "rfc7539(chacha20,poly1305)") with a priority above any real driver, so
 * that sockets keyed after it is loaded get it: "encryption" copies the
 * plaintext to the destination and appends a tag of zeros, "decryption"
 * copies back and refuses any other tag with -EBADMSG. What is left of a
 * kTLS measurement is the framework's own cost: framing, buffers, copies,
 * the socket path. Both ends must use this cipher (kernel to kernel, or
 * records built the same way by ktls-bench --null-cipher).
 */
#include <crypto/aes.h>
#include <crypto/internal/aead.h>
#include <crypto/scatterwalk.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/string.h>

#define NULL_AEAD_PRIORITY	10000
#define NULL_AEAD_TAG_MAX	16
#define NULL_AEAD_GCM_IV	12
#define NULL_AEAD_CCM_IV	16
#define NULL_AEAD_CHACHA_KEY	32

/* A position in a scatterlist: the entry and the offset into it. */
struct null_walk {
	struct scatterlist *sg;
	unsigned int off;
};

/* Step over entries (and empty ones) until @skip bytes in. */
static void null_walk_advance(struct null_walk *w, unsigned int skip)
{
	w->off += skip;
	while (w->sg && w->off >= w->sg->length) {
		w->off -= w->sg->length;
		w->sg = sg_next(w->sg);
	}
}

/* Bytes from the position to the end of its entry and of its page. */
static unsigned int null_walk_span(const struct null_walk *w)
{
	unsigned int in_page = offset_in_page(w->sg->offset + w->off);

	return min(w->sg->length - w->off, (unsigned int)PAGE_SIZE - in_page);
}

/* By pfn: nth_page() is gone from newer kernels (7.3 has none). */
static struct page *null_walk_page(const struct null_walk *w)
{
	return pfn_to_page(page_to_pfn(sg_page(w->sg)) +
			   ((w->sg->offset + w->off) >> PAGE_SHIFT));
}

static unsigned int null_walk_offset(const struct null_walk *w)
{
	return offset_in_page(w->sg->offset + w->off);
}

/*
 * Copy one piece that lies within one page on both sides. Each page is
 * mapped only for this copy and unmapped in reverse order, as
 * kmap_local_page() requires. The same bytes on both sides (in place, even
 * through two lists) are left alone.
 */
static void null_copy_piece(struct null_walk *d, struct null_walk *s,
			    unsigned int len)
{
	u8 *src = kmap_local_page(null_walk_page(s));
	u8 *dst = kmap_local_page(null_walk_page(d));

	if (dst + null_walk_offset(d) != src + null_walk_offset(s))
		memcpy(dst + null_walk_offset(d), src + null_walk_offset(s), len);
	kunmap_local(dst);
	kunmap_local(src);
}

/*
 * Copy @len bytes from @src to @dst, both @skip bytes in: what a real AEAD
 * writes to the destination, so a kTLS module that encrypts or decrypts
 * out of place finds its data where it expects it.
 */
static int null_copy(struct scatterlist *dst, struct scatterlist *src,
		     unsigned int skip, unsigned int len)
{
	struct null_walk d = { .sg = dst }, s = { .sg = src };

	null_walk_advance(&d, skip);
	null_walk_advance(&s, skip);
	while (len) {
		unsigned int n;

		if (!d.sg || !s.sg)
			return -EINVAL;
		n = min3(len, null_walk_span(&d), null_walk_span(&s));
		null_copy_piece(&d, &s, n);
		null_walk_advance(&d, n);
		null_walk_advance(&s, n);
		len -= n;
	}
	return 0;
}

/* Layout of both: associated data, then the text; the tag follows. */
static int null_encrypt(struct aead_request *req)
{
	static const u8 tag[NULL_AEAD_TAG_MAX];
	unsigned int authsize = crypto_aead_authsize(crypto_aead_reqtfm(req));
	int rc;

	rc = null_copy(req->dst, req->src, req->assoclen, req->cryptlen);
	if (rc)
		return rc;
	scatterwalk_map_and_copy((void *)tag, req->dst,
				 req->assoclen + req->cryptlen, authsize, 1);
	return 0;
}

/* A tag other than zeros means the peer used a real cipher: refuse it. */
static int null_decrypt(struct aead_request *req)
{
	unsigned int authsize = crypto_aead_authsize(crypto_aead_reqtfm(req));
	u8 tag[NULL_AEAD_TAG_MAX];
	unsigned int textlen;

	if (req->cryptlen < authsize)
		return -EINVAL;
	textlen = req->cryptlen - authsize;
	scatterwalk_map_and_copy(tag, req->src, req->assoclen + textlen,
				 authsize, 0);
	if (memchr_inv(tag, 0, authsize))
		return -EBADMSG;
	return null_copy(req->dst, req->src, req->assoclen, textlen);
}

/* The key is not used; only its length is checked, as AES would. */
static int null_setkey_aes(struct crypto_aead *tfm, const u8 *key,
			   unsigned int keylen)
{
	if (keylen != AES_KEYSIZE_128 && keylen != AES_KEYSIZE_192 &&
	    keylen != AES_KEYSIZE_256)
		return -EINVAL;
	return 0;
}

static int null_setkey_chacha(struct crypto_aead *tfm, const u8 *key,
			      unsigned int keylen)
{
	return keylen == NULL_AEAD_CHACHA_KEY ? 0 : -EINVAL;
}

/* GCM and CCM take tags of 4 to 16 bytes (GCM fewer sizes; close enough). */
static int null_setauthsize_aes(struct crypto_aead *tfm, unsigned int authsize)
{
	return authsize >= 4 && authsize <= NULL_AEAD_TAG_MAX ? 0 : -EINVAL;
}

/* RFC 7539 has one tag size. */
static int null_setauthsize_chacha(struct crypto_aead *tfm,
				   unsigned int authsize)
{
	return authsize == NULL_AEAD_TAG_MAX ? 0 : -EINVAL;
}

/*
 * No CRYPTO_ALG_ASYNC: every request completes in the call, the cheapest
 * path through both kTLS modules.
 */
#define NULL_AEAD(_name, _driver, _ivsize, _setkey, _setauthsize) {	\
	.setkey		= _setkey,					\
	.setauthsize	= _setauthsize,					\
	.encrypt	= null_encrypt,					\
	.decrypt	= null_decrypt,					\
	.ivsize		= _ivsize,					\
	.maxauthsize	= NULL_AEAD_TAG_MAX,				\
	.base = {							\
		.cra_name	 = _name,				\
		.cra_driver_name = _driver,				\
		.cra_priority	 = NULL_AEAD_PRIORITY,			\
		.cra_blocksize	 = 1,					\
		.cra_module	 = THIS_MODULE,				\
	},								\
}

static struct aead_alg null_aead_algs[] = {
	NULL_AEAD("gcm(aes)", "gcm(aes)-ktls-null", NULL_AEAD_GCM_IV,
		  null_setkey_aes, null_setauthsize_aes),
	NULL_AEAD("ccm(aes)", "ccm(aes)-ktls-null", NULL_AEAD_CCM_IV,
		  null_setkey_aes, null_setauthsize_aes),
	NULL_AEAD("rfc7539(chacha20,poly1305)",
		  "rfc7539(chacha20,poly1305)-ktls-null", NULL_AEAD_GCM_IV,
		  null_setkey_chacha, null_setauthsize_chacha),
};

static int __init null_aead_init(void)
{
	return crypto_register_aeads(null_aead_algs, ARRAY_SIZE(null_aead_algs));
}

static void __exit null_aead_exit(void)
{
	crypto_unregister_aeads(null_aead_algs, ARRAY_SIZE(null_aead_algs));
}

module_init(null_aead_init);
module_exit(null_aead_exit);
MODULE_DESCRIPTION("Zero-cost AEAD under real names, for the kTLS benchmark only");
MODULE_LICENSE("GPL");
