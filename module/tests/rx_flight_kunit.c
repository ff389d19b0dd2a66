// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit test of a kernel reader's TLS 1.2 records decrypted together on
 * an asynchronous engine (rx_zc.c, Documentation/rx.rst, "Records in
 * flight"), with the suites' own gcm(aes) engine (engine_kunit.h)
 * answering decryptions later, or failing one on command. A kernel
 * reader (sunrpc: a kvec or bio_vec buffer) cannot have records
 * decrypted into pinned user pages; its records decrypt in place and
 * are copied to their place once answered.
 *
 * Six records (TLS_TX_MAX_PAYLOAD_LEN keeps them small) are read by one
 * MSG_WAITALL recvmsg. The first record tells the module that the engine
 * answers later; then TLS 1.2 must have several with the engine at once.
 * In every version, when the third fails, the read returns the first
 * two, nothing of the others reaches the buffer, and the next read
 * returns the error; the same when the second fails after the later
 * ones were answered (and copied) at once. A read that ends inside the
 * last record gets the rest of it by the copy path, and the next read
 * what is left. TLS 1.3 decrypts one
 * record at a time (its type is known only after decryption), as
 * upstream does.
 */
#include <kunit/test.h>
#include <linux/bvec.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tls.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "engine_kunit.h"
#include "pair_kunit.h"

#define RXF_RECS		6
#define RXF_LIMIT		4096	/* TLS_TX_MAX_PAYLOAD_LEN: data bytes */
#define RXF_TOTAL		(RXF_RECS * RXF_LIMIT)
/* Pages a bio_vec reader's buffer spans, at any offset. */
#define RXF_BVECS		(RXF_TOTAL / PAGE_SIZE + 1)

struct rxf_case {
	const char *desc;
	u16 version;
	bool bvec;		/* a bio_vec buffer, else a kvec */
	int fail_at;		/* the nth decryption fails; 0: none */
	int late;		/* decryptions answered later; 0: all */
	int short_by;		/* the read ends this much before the end */
	int counted;		/* records the read returns (the last short) */
	bool together;		/* several records with the engine at once */
};

static const struct rxf_case rxf_cases[] = {
	{ .desc = "tls12-kvec", .version = TLS_1_2_VERSION,
	  .counted = RXF_RECS, .together = true },
	{ .desc = "tls12-bvec", .version = TLS_1_2_VERSION, .bvec = true,
	  .counted = RXF_RECS, .together = true },
	{ .desc = "tls12-kvec-third-fails", .version = TLS_1_2_VERSION,
	  .fail_at = 3, .counted = 2, .together = true },
	{ .desc = "tls12-bvec-third-fails", .version = TLS_1_2_VERSION,
	  .bvec = true, .fail_at = 3, .counted = 2, .together = true },
	{ .desc = "tls12-kvec-second-fails-rest-at-once",
	  .version = TLS_1_2_VERSION, .fail_at = 2, .late = 2, .counted = 1 },
	{ .desc = "tls12-kvec-ends-in-last", .version = TLS_1_2_VERSION,
	  .short_by = 100, .counted = RXF_RECS, .together = true },
	{ .desc = "tls13-kvec", .version = TLS_1_3_VERSION,
	  .counted = RXF_RECS },
	{ .desc = "tls13-kvec-third-fails", .version = TLS_1_3_VERSION,
	  .fail_at = 3, .counted = 2 },
};

KUNIT_ARRAY_PARAM_DESC(rxf, rxf_cases, desc);

/* One read of @len bytes into @buf, seen as a bio_vec or a kvec. */
static int rxf_recv(struct socket *sock, u8 *buf, size_t len, bool bvec,
		    int flags)
{
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	struct bio_vec bv[RXF_BVECS];
	struct msghdr msg = {};
	size_t done, n;
	int i;

	if (!bvec)
		return kernel_recvmsg(sock, &msg, &iov, 1, len, flags);
	for (i = 0, done = 0; done < len; i++, done += n) {
		n = min_t(size_t, len - done,
			  PAGE_SIZE - offset_in_page(buf + done));
		bvec_set_virt(&bv[i], buf + done, n);
	}
	iov_iter_bvec(&msg.msg_iter, ITER_DEST, bv, i, len);
	return sock_recvmsg(sock, &msg, flags);
}

static void records_decrypted_together(struct kunit *test)
{
	const struct rxf_case c = *(const struct rxf_case *)test->param_value;
	const size_t counted = c.counted * RXF_LIMIT - c.short_by;
	struct ktls_kunit_pair kp = {};
	int rc, sent, next = 0;
	u8 *buf, *got;
	size_t i, have;

	/* Arrange: the records wait at the reader, the engine armed. */
	buf = kunit_kmalloc(test, RXF_TOTAL, GFP_KERNEL);
	got = kunit_kzalloc(test, RXF_TOTAL, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, got);
	for (i = 0; i < RXF_TOTAL; i++)
		buf[i] = (u8)(i * 7 + 3);
	rc = ktls_kunit_pair_open_limited(&kp, c.version, RXF_LIMIT);
	KUNIT_ASSERT_EQ_MSG(test, rc, 0, "socket pair with tls, small records");
	sent = ktls_kunit_send(kp.tx, buf, RXF_TOTAL);
	if (sent != RXF_TOTAL) {
		ktls_kunit_pair_release(&kp);
		KUNIT_FAIL_AND_ABORT(test, "sending the records: %d", sent);
	}
	ktls_kunit_engine_arm(KTLS_KUNIT_DECRYPT, c.fail_at, c.late);

	/* Act */
	rc = rxf_recv(kp.rx, got, RXF_TOTAL - c.short_by, c.bvec,
		      MSG_WAITALL);
	if (c.fail_at)
		next = rxf_recv(kp.rx, got + counted, 1, c.bvec, MSG_DONTWAIT);
	else if (c.short_by)
		next = rxf_recv(kp.rx, got + counted, c.short_by, c.bvec,
				MSG_WAITALL);
	ktls_kunit_engine_disarm();
	ktls_kunit_pair_release(&kp);

	/* Assert */
	KUNIT_EXPECT_EQ(test, rc, (int)counted);
	have = counted + max(next, 0);
	KUNIT_EXPECT_EQ(test, memcmp(got, buf, have), 0);
	KUNIT_EXPECT_NULL_MSG(test, memchr_inv(got + have, 0, RXF_TOTAL - have),
			      "bytes of records that were not read");
	if (c.fail_at)
		KUNIT_EXPECT_EQ(test, next, -EIO);
	if (c.short_by)
		KUNIT_EXPECT_EQ(test, next, c.short_by);
	if (c.together)
		KUNIT_EXPECT_GE_MSG(test, ktls_kunit_engine_most(), 2,
				    "records with the engine at once");
	KUNIT_EXPECT_TRUE(test, ktls_kunit_engine_idle());
}

static struct kunit_case ktls_rx_flight_test_cases[] = {
	KUNIT_CASE_PARAM_ATTR(records_decrypted_together, rxf_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite ktls_rx_flight_test_suite = {
	.name = "ktls_rx_flight",
	.suite_init = ktls_kunit_engine_suite_init,
	.suite_exit = ktls_kunit_engine_suite_exit,
	.test_cases = ktls_rx_flight_test_cases,
};

kunit_test_suite(ktls_rx_flight_test_suite);
