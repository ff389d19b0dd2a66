// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit test for a kernel sender (nvme-tcp and the like) that splices one
 * bio_vec spanning several order-0 pages into kTLS TX (tx_rec.c): every
 * page must be pinned by the open record, not only the first, since the
 * sender may free its pages as soon as sock_sendmsg() returns. User space
 * cannot build such a bio_vec, so only a test in the kernel covers it.
 *
 * Over a loopback TCP pair with the tls ULP on both ends: splice the
 * bio_vec with MSG_MORE (the record stays open, holding its references),
 * drop the sender's references, seal the record with a small copied tail,
 * and read the plaintext back on the other end.
 */
#include <kunit/test.h>
#include <linux/in.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/tls.h>
#include <linux/uio.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "pair_kunit.h"

#define SPLICE_ORDER	1		/* two order-0 pages after split_page() */
#define SPLICE_PAGES	BIT(SPLICE_ORDER)
#define SPLICE_OFF	100		/* start inside the first page */
#define SPLICE_LEN	(PAGE_SIZE - SPLICE_OFF + 2000)	/* into the second */
#define TAIL_LEN	16
#define SCRIBBLE_PAGES	4

struct splice_case {
	const char *desc;
	u16 version;
};

static const struct splice_case splice_cases[] = {
	{ .desc = "tls12-aes-gcm-128", .version = TLS_1_2_VERSION },
	{ .desc = "tls13-aes-gcm-128", .version = TLS_1_3_VERSION },
};

KUNIT_ARRAY_PARAM_DESC(splice, splice_cases, desc);

static u8 splice_byte(size_t i)
{
	return (u8)(i * 7 + 3);
}

/*
 * Order-0 pages that are each their own folio, physically contiguous,
 * as a kernel sender's multi-page bio_vec has them.
 */
static struct page *splice_alloc_pages(void)
{
	struct page *pages = alloc_pages(GFP_KERNEL, SPLICE_ORDER);
	int i;

	if (!pages)
		return NULL;
	split_page(pages, SPLICE_ORDER);
	for (i = 0; i < SPLICE_PAGES; i++)
		memset(page_address(pages + i), 0, PAGE_SIZE);
	for (i = 0; i < SPLICE_LEN; i++)
		((u8 *)page_address(pages))[SPLICE_OFF + i] = splice_byte(i);
	return pages;
}

static int splice_send_bvec(struct socket *sock, struct page *pages)
{
	struct bio_vec bv;
	struct msghdr msg = { .msg_flags = MSG_SPLICE_PAGES | MSG_MORE };

	bvec_set_page(&bv, pages, SPLICE_LEN, SPLICE_OFF);
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, &bv, 1, SPLICE_LEN);
	return sock_sendmsg(sock, &msg);
}

/*
 * Take freed pages back and overwrite them: the page allocator hands out
 * the last freed first, so a page the record failed to pin very likely
 * holds other bytes by the time the record is sealed. KASAN does not see
 * the cipher's assembly read it; a data mismatch shows it then.
 */
static void splice_scribble(struct page **held)
{
	int i;

	for (i = 0; i < SCRIBBLE_PAGES; i++) {
		held[i] = alloc_page(GFP_KERNEL);
		if (held[i])
			memset(page_address(held[i]), 0xa5, PAGE_SIZE);
	}
}

static void splice_unscribble(struct page **held)
{
	int i;

	for (i = 0; i < SCRIBBLE_PAGES; i++)
		if (held[i])
			__free_page(held[i]);
}

static void spliced_pages_pinned_until_sealed(struct kunit *test)
{
	const struct splice_case *c = test->param_value;
	const size_t total = SPLICE_LEN + TAIL_LEN;
	struct page *scribble[SCRIBBLE_PAGES] = {};
	struct ktls_kunit_pair sp = {};
	struct page *pages;
	u8 *tail, *got;
	size_t i;
	int rc, refs[SPLICE_PAGES];

	/* Arrange */
	got = kunit_kzalloc(test, total, GFP_KERNEL);
	tail = kunit_kzalloc(test, TAIL_LEN, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, got);
	KUNIT_ASSERT_NOT_NULL(test, tail);
	for (i = 0; i < TAIL_LEN; i++)
		tail[i] = splice_byte(SPLICE_LEN + i);
	rc = ktls_kunit_pair_open(&sp, c->version);
	if (rc)
		KUNIT_FAIL_AND_ABORT(test, "socket pair with tls: %d", rc);
	pages = splice_alloc_pages();
	if (!pages) {
		ktls_kunit_pair_release(&sp);
		KUNIT_FAIL_AND_ABORT(test, "no order-%d block", SPLICE_ORDER);
	}

	/* Act: splice, let the sender free its pages, then seal */
	rc = splice_send_bvec(sp.tx, pages);
	for (i = 0; i < SPLICE_PAGES; i++)
		refs[i] = page_ref_count(pages + i);
	for (i = 0; i < SPLICE_PAGES; i++)
		put_page(pages + i);
	splice_scribble(scribble);
	KUNIT_EXPECT_EQ(test, rc, (int)SPLICE_LEN);
	KUNIT_EXPECT_EQ(test, ktls_kunit_send(sp.tx, tail, TAIL_LEN), TAIL_LEN);
	KUNIT_EXPECT_EQ(test, ktls_kunit_recv_all(sp.rx, got, total), (int)total);
	splice_unscribble(scribble);
	ktls_kunit_pair_release(&sp);

	/* Assert: each page had the record's reference besides ours */
	for (i = 0; i < SPLICE_PAGES; i++)
		KUNIT_EXPECT_EQ_MSG(test, refs[i], 2, "page %zu", i);
	for (i = 0; i < total; i++)
		if (got[i] != splice_byte(i))
			break;
	KUNIT_EXPECT_EQ_MSG(test, i, total, "first wrong byte");
}

static struct kunit_case ktls_splice_test_cases[] = {
	KUNIT_CASE_PARAM(spliced_pages_pinned_until_sealed, splice_gen_params),
	{}
};

static struct kunit_suite ktls_splice_test_suite = {
	.name = "ktls_splice",
	.test_cases = ktls_splice_test_cases,
};

kunit_test_suite(ktls_splice_test_suite);
