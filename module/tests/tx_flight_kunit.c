// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit test of TX records in flight on an asynchronous engine (tx_sw.c,
 * Documentation/tx.rst, "Asynchronous transforms"), with the suites' own
 * gcm(aes) engine (engine_kunit.h) answering encryptions later, or
 * failing one on command.
 *
 * One blocking send() of six records (TLS_TX_MAX_PAYLOAD_LEN keeps them
 * small) over a loopback pair: several records must be with the engine
 * at once, and when the third fails, send() counts only what precedes
 * the flight, and the peer gets exactly that.
 */
#include <kunit/test.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/tls.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "engine_kunit.h"
#include "pair_kunit.h"

#define FLIGHT_RECS		6
#define FLIGHT_LIMIT		4096	/* TLS_TX_MAX_PAYLOAD_LEN: data bytes */

struct flight_case {
	const char *desc;
	u16 version;
	int fail_at;		/* the nth encryption fails; 0: none */
	int counted;		/* records send() counts */
};

/*
 * The first record is waited for (the engine has not answered later
 * yet); the next four go in flight together; the sixth ends the call.
 */
static const struct flight_case flight_cases[] = {
	{ .desc = "tls12-all-answer", .version = TLS_1_2_VERSION,
	  .fail_at = 0, .counted = FLIGHT_RECS },
	{ .desc = "tls13-all-answer", .version = TLS_1_3_VERSION,
	  .fail_at = 0, .counted = FLIGHT_RECS },
	{ .desc = "tls12-third-fails", .version = TLS_1_2_VERSION,
	  .fail_at = 3, .counted = 1 },
	{ .desc = "tls13-third-fails", .version = TLS_1_3_VERSION,
	  .fail_at = 3, .counted = 1 },
};

KUNIT_ARRAY_PARAM_DESC(flight, flight_cases, desc);

/* Nothing more is readable now. */
static int flight_recv_more(struct socket *sock, u8 *buf)
{
	struct kvec iov = { .iov_base = buf, .iov_len = 1 };
	struct msghdr msg = {};

	return kernel_recvmsg(sock, &msg, &iov, 1, 1, MSG_DONTWAIT);
}

static void records_in_flight(struct kunit *test)
{
	const struct flight_case c = *(const struct flight_case *)test->param_value;
	const size_t total = FLIGHT_RECS * FLIGHT_LIMIT;
	const size_t counted = c.counted * FLIGHT_LIMIT;
	struct ktls_kunit_pair kp = {};
	u8 *buf, *got;
	int rc, sent;
	size_t i;

	/* Arrange */
	buf = kunit_kmalloc(test, total, GFP_KERNEL);
	got = kunit_kzalloc(test, total, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, got);
	for (i = 0; i < total; i++)
		buf[i] = (u8)(i * 13 + 5);
	rc = ktls_kunit_pair_open_limited(&kp, c.version, FLIGHT_LIMIT);
	KUNIT_ASSERT_EQ_MSG(test, rc, 0, "socket pair with tls, small records");
	ktls_kunit_engine_arm(KTLS_KUNIT_ENCRYPT, c.fail_at, 0);

	/* Act */
	sent = ktls_kunit_send(kp.tx, buf, total);
	rc = ktls_kunit_recv_all(kp.rx, got, counted);
	ktls_kunit_engine_disarm();
	if (rc == (int)counted)
		rc = flight_recv_more(kp.rx, got + counted);
	ktls_kunit_pair_release(&kp);

	/* Assert */
	KUNIT_EXPECT_EQ(test, sent, (int)counted);
	KUNIT_EXPECT_EQ_MSG(test, rc, -EAGAIN, "more than was counted");
	KUNIT_EXPECT_EQ(test, memcmp(got, buf, counted), 0);
	KUNIT_EXPECT_GE_MSG(test, ktls_kunit_engine_most(), 2,
			    "records with the engine at once");
	KUNIT_EXPECT_TRUE(test, ktls_kunit_engine_idle());
}

static struct kunit_case ktls_tx_flight_test_cases[] = {
	KUNIT_CASE_PARAM_ATTR(records_in_flight, flight_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite ktls_tx_flight_test_suite = {
	.name = "ktls_tx_flight",
	.suite_init = ktls_kunit_engine_suite_init,
	.suite_exit = ktls_kunit_engine_suite_exit,
	.test_cases = ktls_tx_flight_test_cases,
};

kunit_test_suite(ktls_tx_flight_test_suite);
