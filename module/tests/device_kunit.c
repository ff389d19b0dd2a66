// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for tls_get_record() (device.c), the lookup a NIC driver
 * makes to rebuild a segment it must (re)transmit: which record holds a
 * TCP sequence number, that record's TLS sequence number (within its key,
 * after a KeyUpdate on a device that keeps TX), and how the retransmit
 * hint moves; and for the key the software fallback takes for a record
 * (device_tx_keys.c).
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "tls.h"

#define MAX_RECS	6
#define NONE		(-1)
#define NO_SN		U64_MAX		/* a marker: first_sn - 1 wraps here */

/*
 * One entry of the records list: a record, or (len 0) the marker of a key
 * whose records follow, numbered from @sn + 1. @start: the marker stands
 * for the bytes before offload. @key: which of the test's keys a marker
 * is for.
 */
struct rec_span {
	u32 end_seq;
	int len;
	u64 sn;
	bool start;
	int key;
};

/* The records list of a socket, oldest first. */
struct rec_layout {
	struct rec_span recs[MAX_RECS];
	int nrecs;
	int head_key;			/* key of records before any marker */
};

/* A start marker at 1000, then records [1000, 1100) and [1100, 1300). */
static const struct rec_layout marked = {
	.recs = { { 1000, 0, 4, true }, { 1100, 100, 5 }, { 1300, 200, 6 } },
	.nrecs = 3,
};

/* Records [1000, 1100) and [1100, 1300), no marker. */
static const struct rec_layout unmarked = {
	.recs = { { 1100, 100, 9 }, { 1300, 200, 10 } }, .nrecs = 2,
	.head_key = 2,
};

/* A marker just before the TCP sequence wraps, records across the wrap. */
static const struct rec_layout wrapping = {
	.recs = { { 0xffffff00, 0, 70, true }, { 0x40, 0x140, 71 },
		  { 0x100, 0xc0, 72 } },
	.nrecs = 3,
};

/* Two records under the first key, a KeyUpdate at 1300, two under the next. */
static const struct rec_layout rekeyed = {
	.recs = { { 1000, 0, 4, true, 0 }, { 1100, 100, 5 }, { 1300, 200, 6 },
		  { 1300, 0, NO_SN, false, 1 }, { 1400, 100, 0 },
		  { 1500, 100, 1 } },
	.nrecs = 6,
};

/* The peer has everything before the KeyUpdate at 1300. */
static const struct rec_layout rekey_at_head = {
	.recs = { { 1300, 0, NO_SN, false, 1 }, { 1400, 100, 0 } },
	.nrecs = 2,
};

/* Two KeyUpdates with no record between them. */
static const struct rec_layout rekeyed_twice = {
	.recs = { { 1100, 100, 7 }, { 1100, 0, 9, false, 1 },
		  { 1100, 0, NO_SN, false, 2 }, { 1200, 100, 0 } },
	.nrecs = 4,
};

static const struct rec_layout empty = { .nrecs = 0 };

struct get_record_case {
	const char *desc;
	const struct rec_layout *list;
	int hint;			/* index set as retransmit hint, or NONE */
	u32 seq;
	int want;			/* index expected, or NONE */
	int want_hint;			/* hint afterwards, or NONE */
	int want_key;			/* the fallback's key for @want */
};

static const struct get_record_case get_record_cases[] = {
	{ .desc = "before-offload-gets-marker", .list = &marked, .hint = NONE,
	  .seq = 500, .want = 0, .want_hint = 0 },
	{ .desc = "middle-of-record", .list = &marked, .hint = NONE,
	  .seq = 1150, .want = 2, .want_hint = 2 },
	{ .desc = "first-byte-of-record", .list = &marked, .hint = NONE,
	  .seq = 1100, .want = 2, .want_hint = 2 },
	{ .desc = "last-byte-of-list", .list = &unmarked, .hint = NONE,
	  .seq = 1299, .want = 1, .want_hint = 1, .want_key = 2 },
	{ .desc = "past-last-record", .list = &unmarked, .hint = NONE,
	  .seq = 1300, .want = NONE, .want_hint = NONE },
	{ .desc = "before-oldest-unmarked", .list = &unmarked, .hint = NONE,
	  .seq = 999, .want = NONE, .want_hint = NONE },
	{ .desc = "empty-list", .list = &empty, .hint = NONE,
	  .seq = 1, .want = NONE, .want_hint = NONE },
	{ .desc = "forward-from-hint", .list = &marked, .hint = 1,
	  .seq = 1200, .want = 2, .want_hint = 2 },
	{ .desc = "behind-hint-restarts-keeps-hint", .list = &marked, .hint = 2,
	  .seq = 1050, .want = 1, .want_hint = 2 },
	{ .desc = "sequence-wraps", .list = &wrapping, .hint = NONE,
	  .seq = 0x10, .want = 1, .want_hint = 1 },
	{ .desc = "old-key-record", .list = &rekeyed, .hint = NONE,
	  .seq = 1299, .want = 2, .want_hint = 2, .want_key = 0 },
	{ .desc = "new-key-numbered-from-its-first", .list = &rekeyed,
	  .hint = NONE, .seq = 1450, .want = 5, .want_hint = 5, .want_key = 1 },
	{ .desc = "hint-across-key-marker", .list = &rekeyed, .hint = 1,
	  .seq = 1300, .want = 4, .want_hint = 4, .want_key = 1 },
	{ .desc = "key-marker-at-head-not-given", .list = &rekey_at_head,
	  .hint = NONE, .seq = 1299, .want = NONE, .want_hint = NONE },
	{ .desc = "key-marker-at-head-then-record", .list = &rekey_at_head,
	  .hint = NONE, .seq = 1300, .want = 1, .want_hint = 1, .want_key = 1 },
	{ .desc = "two-markers-last-wins", .list = &rekeyed_twice, .hint = NONE,
	  .seq = 1100, .want = 3, .want_hint = 3, .want_key = 2 },
};

KUNIT_ARRAY_PARAM_DESC(get_record, get_record_cases, desc);

/* The records list and context of a socket offloaded as @c lays out. */
struct fixture {
	struct ktls_context *kctx;
	struct tls_offload_context_tx *off;
	struct tls_record_info *recs[MAX_RECS];
	struct ktls_dev_tx_key keys[3];
};

static void free_marker(void *rec)
{
	kfree(rec);
}

static struct tls_record_info *new_entry(struct kunit *test,
					 struct fixture *f,
					 const struct rec_span *r)
{
	struct tls_record_info *rec;

	if (r->len) {
		rec = kunit_kzalloc(test, sizeof(*rec), GFP_KERNEL);
	} else {
		rec = ktls_dev_epoch_new(r->end_seq, r->sn + 1,
					 &f->keys[r->key], r->start);
		if (rec && kunit_add_action_or_reset(test, free_marker, rec))
			rec = NULL;
	}
	KUNIT_ASSERT_NOT_NULL(test, rec);
	rec->end_seq = r->end_seq;
	rec->len = r->len;
	return rec;
}

static struct fixture *lay_out_records(struct kunit *test,
				       const struct get_record_case *c)
{
	const struct rec_layout *l = c->list;
	struct fixture *f;
	int i;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->kctx = kunit_kzalloc(test, sizeof(*f->kctx), GFP_KERNEL);
	f->off = kunit_kzalloc(test, sizeof(*f->off), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, f->kctx && f->off);
	f->kctx->dev_tx_head_key = &f->keys[l->head_key];
	INIT_LIST_HEAD(&f->off->records_list);
	f->off->unacked_record_sn = l->nrecs ? l->recs[0].sn : 0;
	for (i = 0; i < l->nrecs; i++) {
		f->recs[i] = new_entry(test, f, &l->recs[i]);
		list_add_tail(&f->recs[i]->list, &f->off->records_list);
	}
	if (c->hint != NONE) {
		f->off->retransmit_hint = f->recs[c->hint];
		f->off->hint_record_sn = l->recs[c->hint].sn;
	}
	return f;
}

static void get_record_finds_holder(struct kunit *test)
{
	const struct get_record_case *c = test->param_value;
	const struct rec_span *r = c->list->recs;
	struct tls_record_info *got;
	struct fixture *f;
	u64 sn = U64_MAX;

	/* Arrange */
	f = lay_out_records(test, c);

	/* Act */
	got = tls_get_record(f->off, c->seq, &sn);

	/* Assert */
	KUNIT_EXPECT_PTR_EQ(test, got, c->want == NONE ? NULL : f->recs[c->want]);
	if (c->want != NONE)
		KUNIT_EXPECT_EQ(test, sn, r[c->want].sn);
	else
		KUNIT_EXPECT_EQ(test, sn, U64_MAX);	/* left alone */
	KUNIT_EXPECT_PTR_EQ(test, f->off->retransmit_hint,
			    c->want_hint == NONE ? NULL : f->recs[c->want_hint]);
	if (c->want_hint != NONE)
		KUNIT_EXPECT_EQ(test, f->off->hint_record_sn,
				r[c->want_hint].sn);
}

/* The software fallback encrypts each record under the key it was sealed for. */
static void tx_key_of_finds_key(struct kunit *test)
{
	const struct get_record_case *c = test->param_value;
	struct ktls_dev_tx_key *key;
	struct fixture *f;

	if (c->want == NONE || !c->list->recs[c->want].len)
		kunit_skip(test, "no record to encrypt");
	/* Arrange */
	f = lay_out_records(test, c);

	/* Act */
	key = ktls_dev_tx_key_of(f->kctx, f->off, f->recs[c->want]);

	/* Assert */
	KUNIT_EXPECT_PTR_EQ(test, key, &f->keys[c->want_key]);
}

static struct kunit_case device_cases[] = {
	KUNIT_CASE_PARAM(get_record_finds_holder, get_record_gen_params),
	KUNIT_CASE_PARAM(tx_key_of_finds_key, get_record_gen_params),
	{}
};

static struct kunit_suite device_suite = {
	.name = "ktls_device",
	.test_cases = device_cases,
};

kunit_test_suite(device_suite);
