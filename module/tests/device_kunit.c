// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for tls_get_record() (device.c), the lookup a NIC driver
 * makes to rebuild a segment it must (re)transmit: which record holds a
 * TCP sequence number, that record's TLS sequence number, and how the
 * retransmit hint moves.
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "tls.h"

#define MAX_RECS	4
#define NONE		(-1)

struct rec_span {
	u32 end_seq;
	int len;			/* 0: the start marker */
};

/* The records list of a socket, oldest first. */
struct rec_layout {
	struct rec_span recs[MAX_RECS];
	int nrecs;
	u64 unacked_sn;			/* number of the first list entry */
};

/* A start marker at 1000, then records [1000, 1100) and [1100, 1300). */
static const struct rec_layout marked = {
	.recs = { { 1000, 0 }, { 1100, 100 }, { 1300, 200 } },
	.nrecs = 3, .unacked_sn = 4,
};

/* Records [1000, 1100) and [1100, 1300), no marker. */
static const struct rec_layout unmarked = {
	.recs = { { 1100, 100 }, { 1300, 200 } }, .nrecs = 2, .unacked_sn = 9,
};

/* A marker just before the TCP sequence wraps, records across the wrap. */
static const struct rec_layout wrapping = {
	.recs = { { 0xffffff00, 0 }, { 0x40, 0x140 }, { 0x100, 0xc0 } },
	.nrecs = 3, .unacked_sn = 70,
};

static const struct rec_layout empty = { .nrecs = 0 };

struct get_record_case {
	const char *desc;
	const struct rec_layout *list;
	int hint;			/* index set as retransmit hint, or NONE */
	u32 seq;
	int want;			/* index expected, or NONE */
	u64 want_sn;
	int want_hint;			/* hint afterwards, or NONE */
};

static const struct get_record_case get_record_cases[] = {
	{ .desc = "before-offload-gets-marker", .list = &marked, .hint = NONE,
	  .seq = 500, .want = 0, .want_sn = 4, .want_hint = 0 },
	{ .desc = "middle-of-record", .list = &marked, .hint = NONE,
	  .seq = 1150, .want = 2, .want_sn = 6, .want_hint = 2 },
	{ .desc = "first-byte-of-record", .list = &marked, .hint = NONE,
	  .seq = 1100, .want = 2, .want_sn = 6, .want_hint = 2 },
	{ .desc = "last-byte-of-list", .list = &unmarked, .hint = NONE,
	  .seq = 1299, .want = 1, .want_sn = 10, .want_hint = 1 },
	{ .desc = "past-last-record", .list = &unmarked, .hint = NONE,
	  .seq = 1300, .want = NONE, .want_hint = NONE },
	{ .desc = "before-oldest-unmarked", .list = &unmarked, .hint = NONE,
	  .seq = 999, .want = NONE, .want_hint = NONE },
	{ .desc = "empty-list", .list = &empty, .hint = NONE,
	  .seq = 1, .want = NONE, .want_hint = NONE },
	{ .desc = "forward-from-hint", .list = &marked, .hint = 1,
	  .seq = 1200, .want = 2, .want_sn = 6, .want_hint = 2 },
	{ .desc = "behind-hint-restarts-keeps-hint", .list = &marked, .hint = 2,
	  .seq = 1050, .want = 1, .want_sn = 5, .want_hint = 2 },
	{ .desc = "sequence-wraps", .list = &wrapping, .hint = NONE,
	  .seq = 0x10, .want = 1, .want_sn = 71, .want_hint = 1 },
};

KUNIT_ARRAY_PARAM_DESC(get_record, get_record_cases, desc);

static void lay_out_records(struct kunit *test,
			    struct tls_offload_context_tx *ctx,
			    const struct get_record_case *c,
			    struct tls_record_info **recs)
{
	const struct rec_layout *l = c->list;
	int i;

	INIT_LIST_HEAD(&ctx->records_list);
	ctx->unacked_record_sn = l->unacked_sn;
	for (i = 0; i < l->nrecs; i++) {
		recs[i] = kunit_kzalloc(test, sizeof(*recs[i]), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, recs[i]);
		recs[i]->end_seq = l->recs[i].end_seq;
		recs[i]->len = l->recs[i].len;
		list_add_tail(&recs[i]->list, &ctx->records_list);
	}
	if (c->hint != NONE) {
		ctx->retransmit_hint = recs[c->hint];
		ctx->hint_record_sn = l->unacked_sn + c->hint;
	}
}

static void get_record_finds_holder(struct kunit *test)
{
	const struct get_record_case *c = test->param_value;
	struct tls_record_info *recs[MAX_RECS], *got;
	struct tls_offload_context_tx *ctx;
	u64 sn = U64_MAX;

	/* Arrange */
	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	lay_out_records(test, ctx, c, recs);

	/* Act */
	got = tls_get_record(ctx, c->seq, &sn);

	/* Assert */
	KUNIT_EXPECT_PTR_EQ(test, got, c->want == NONE ? NULL : recs[c->want]);
	if (c->want != NONE)
		KUNIT_EXPECT_EQ(test, sn, c->want_sn);
	else
		KUNIT_EXPECT_EQ(test, sn, U64_MAX);	/* left alone */
	KUNIT_EXPECT_PTR_EQ(test, ctx->retransmit_hint,
			    c->want_hint == NONE ? NULL : recs[c->want_hint]);
	if (c->want_hint != NONE)
		KUNIT_EXPECT_EQ(test, ctx->hint_record_sn,
				c->list->unacked_sn + c->want_hint);
}

static struct kunit_case device_cases[] = {
	KUNIT_CASE_PARAM(get_record_finds_holder, get_record_gen_params),
	{}
};

static struct kunit_suite device_suite = {
	.name = "ktls_device",
	.test_cases = device_cases,
};

kunit_test_suite(device_suite);
