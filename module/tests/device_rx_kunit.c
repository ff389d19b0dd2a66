// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for two pieces of device RX (device_rx.c): the async resync
 * handshake a driver runs with the core (which header it is answered
 * with, and that header's record number), and the restoring of bytes a
 * NIC decrypted in a record that must be authenticated in software.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/module.h>

#include "tls.h"

#define MAX_LOGGED	4

struct async_case {
	const char *desc;
	bool started;			/* the driver opened a span */
	u32 start, span;
	u32 logged[MAX_LOGGED];		/* headers parsed while it is open */
	int nlogged;
	bool ended;			/* the driver named a header */
	u32 end;
	u32 now;			/* the header parsed after that */
	bool want;
	u32 want_seq;
	s64 want_back;
};

static const struct async_case async_cases[] = {
	{ .desc = "answers-with-a-logged-header", .started = true,
	  .start = 1000, .span = 3000, .logged = { 1000, 1500, 2600 },
	  .nlogged = 3, .ended = true, .end = 1500, .now = 3100,
	  .want = true, .want_seq = 1500, .want_back = 2 },
	{ .desc = "answers-with-the-current-header", .started = true,
	  .start = 1000, .span = 3000, .logged = { 1000 }, .nlogged = 1,
	  .ended = true, .end = 3100, .now = 3100,
	  .want = true, .want_seq = 3100, .want_back = 0 },
	{ .desc = "unknown-header-waits", .started = true,
	  .start = 1000, .span = 3000, .logged = { 1000 }, .nlogged = 1,
	  .ended = true, .end = 5000, .now = 3100, .want = false },
	{ .desc = "header-before-span-is-not-noted", .started = true,
	  .start = 2000, .span = 3000, .logged = { 1000, 2500 }, .nlogged = 2,
	  .ended = true, .end = 1000, .now = 3000, .want = false },
	{ .desc = "header-past-span-counts-but-is-not-noted", .started = true,
	  .start = 1000, .span = 100, .logged = { 1000, 2000 }, .nlogged = 2,
	  .ended = true, .end = 1000, .now = 3000,
	  .want = true, .want_seq = 1000, .want_back = 2 },
	{ .desc = "span-still-open", .started = true, .start = 1000,
	  .span = 3000, .logged = { 1000 }, .nlogged = 1, .now = 2000,
	  .want = false },
	{ .desc = "no-request", .now = 1000, .want = false },
};

KUNIT_ARRAY_PARAM_DESC(async, async_cases, desc);

static void async_step_answers(struct kunit *test)
{
	const struct async_case *c = test->param_value;
	struct tls_offload_resync_async *as;
	u32 seq = c->now;
	s64 back = -1;
	bool got;
	int i;

	/* Arrange: the driver's span and the headers parsed inside it */
	as = kunit_kzalloc(test, sizeof(*as), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, as);
	if (c->started)
		tls_offload_rx_resync_async_request_start(as, htonl(c->start),
							  c->span);
	for (i = 0; i < c->nlogged; i++) {
		u32 hdr = c->logged[i];

		KUNIT_ASSERT_FALSE(test,
				   ktls_dev_rx_async_step(as, &hdr, &back));
	}
	if (c->ended)
		tls_offload_rx_resync_async_request_end(as, htonl(c->end));

	/* Act */
	got = ktls_dev_rx_async_step(as, &seq, &back);

	/* Assert */
	KUNIT_EXPECT_EQ(test, got, c->want);
	if (!c->want)
		return;
	KUNIT_EXPECT_EQ(test, seq, c->want_seq);
	KUNIT_EXPECT_EQ(test, back, c->want_back);
	KUNIT_EXPECT_EQ(test, atomic64_read(&as->req), 0);
}

#define REC_LEN		64
#define DATA_START	13		/* header + explicit nonce */
#define DATA_END	48		/* before the tag */

struct restore_case {
	const char *desc;
	u32 from[3], to[3];		/* byte ranges the NIC decrypted */
	int nranges;
};

static const struct restore_case restore_cases[] = {
	{ .desc = "nothing-decrypted", .nranges = 0 },
	{ .desc = "all-data", .from = { DATA_START }, .to = { DATA_END },
	  .nranges = 1 },
	{ .desc = "whole-record-header-and-tag-untouched", .from = { 0 },
	  .to = { REC_LEN }, .nranges = 1 },
	{ .desc = "three-ranges", .from = { 13, 20, 40 }, .to = { 15, 31, 41 },
	  .nranges = 3 },
	{ .desc = "one-byte-at-each-end", .from = { 13, 47 },
	  .to = { 14, 48 }, .nranges = 2 },
};

KUNIT_ARRAY_PARAM_DESC(restore, restore_cases, desc);

static bool restore_case_covers(const struct restore_case *c, u32 i)
{
	int r;

	for (r = 0; r < c->nranges; r++)
		if (i >= c->from[r] && i < c->to[r])
			return true;
	return false;
}

static void restore_puts_back_decrypted_bytes(struct kunit *test)
{
	const struct restore_case *c = test->param_value;
	struct ktls_rx_rec *rec;
	unsigned long *map;
	u8 ct[REC_LEN];
	int r;
	u32 i;

	/* Arrange: the record reads 0xaa, its re-encryption i ^ 0x55 */
	rec = kunit_kzalloc(test, struct_size(rec, buf, REC_LEN), GFP_KERNEL);
	map = kunit_kcalloc(test, BITS_TO_LONGS(REC_LEN), sizeof(long),
			    GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rec);
	KUNIT_ASSERT_NOT_NULL(test, map);
	memset(rec->buf, 0xaa, REC_LEN);
	for (i = 0; i < REC_LEN; i++)
		ct[i] = (i + DATA_START) ^ 0x55;
	for (r = 0; r < c->nranges; r++)
		bitmap_set(map, c->from[r], c->to[r] - c->from[r]);

	/* Act */
	ktls_dev_rx_restore(rec, map, ct, DATA_START, DATA_END);

	/* Assert: data bytes the NIC decrypted are back, nothing else moved */
	for (i = 0; i < REC_LEN; i++) {
		bool back = i >= DATA_START && i < DATA_END &&
			    restore_case_covers(c, i);

		KUNIT_EXPECT_EQ_MSG(test, rec->buf[i],
				    back ? (u8)(i ^ 0x55) : 0xaa, "byte %u", i);
	}
}

static struct kunit_case device_rx_cases[] = {
	KUNIT_CASE_PARAM(async_step_answers, async_gen_params),
	KUNIT_CASE_PARAM(restore_puts_back_decrypted_bytes,
			 restore_gen_params),
	{}
};

static struct kunit_suite device_rx_suite = {
	.name = "ktls_device_rx",
	.test_cases = device_rx_cases,
};

kunit_test_suite(device_rx_suite);
