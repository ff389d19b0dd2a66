// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the TLS 1.3 KeyUpdate state machine (keyupdate.c):
 * every state and event, scenarios made of several events, KeyUpdate
 * detection, and which rekey arguments are accepted.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <net/tls_prot.h>

#include "tls.h"

/* ---- single transitions: every state x every event ---- */

struct step_case {
	const char *desc;
	u8 from;
	enum ktls_ku_event ev;
	int want_rc;
	u8 want_state;
	bool want_decrypt;	/* after the step */
};

static const struct step_case step_cases[] = {
	{ "nokey-key-set", KTLS_KU_NOKEY, KTLS_KU_EV_KEY_SET,
	  0, KTLS_KU_RUNNING, true },
	{ "nokey-keyupdate-refused", KTLS_KU_NOKEY, KTLS_KU_EV_KEYUPDATE,
	  -EINVAL, KTLS_KU_NOKEY, true },
	/* A rekey with no pending KeyUpdate is allowed, as upstream. */
	{ "running-key-set", KTLS_KU_RUNNING, KTLS_KU_EV_KEY_SET,
	  0, KTLS_KU_RUNNING, true },
	{ "running-keyupdate-pauses", KTLS_KU_RUNNING, KTLS_KU_EV_KEYUPDATE,
	  0, KTLS_KU_PAUSED, false },
	{ "paused-key-set-resumes", KTLS_KU_PAUSED, KTLS_KU_EV_KEY_SET,
	  0, KTLS_KU_RUNNING, true },
	/* A second KeyUpdate before the first is answered. */
	{ "paused-keyupdate-refused", KTLS_KU_PAUSED, KTLS_KU_EV_KEYUPDATE,
	  -EINVAL, KTLS_KU_PAUSED, false },
	{ "running-unknown-event", KTLS_KU_RUNNING, (enum ktls_ku_event)7,
	  -EINVAL, KTLS_KU_RUNNING, true },
};

KUNIT_ARRAY_PARAM_DESC(step, step_cases, desc);

static void transition_follows_table(struct kunit *test)
{
	const struct step_case *c = test->param_value;
	u8 state = c->from;
	int rc;

	/* Act */
	rc = ktls_ku_transition(&state, c->ev);

	/* Assert */
	KUNIT_EXPECT_EQ(test, rc, c->want_rc);
	KUNIT_EXPECT_EQ(test, state, c->want_state);
	KUNIT_EXPECT_EQ(test, ktls_ku_may_decrypt(state), c->want_decrypt);
}

/* ---- scenarios: sequences of events from a fresh socket ---- */

#define MAX_EVENTS 6

struct scenario_case {
	const char *desc;
	enum ktls_ku_event ev[MAX_EVENTS];
	int n;
	u8 want_state;
	int want_failures;
};

static const struct scenario_case scenario_cases[] = {
	{ "first-key", { KTLS_KU_EV_KEY_SET }, 1, KTLS_KU_RUNNING, 0 },
	/*
	 * A reader sleeps with RUNNING; the record that wakes it is a
	 * KeyUpdate, decrypted by that reader: its next look finds PAUSED.
	 */
	{ "keyupdate-while-reader-sleeps",
	  { KTLS_KU_EV_KEY_SET, KTLS_KU_EV_KEYUPDATE }, 2, KTLS_KU_PAUSED, 0 },
	{ "keyupdate-answered",
	  { KTLS_KU_EV_KEY_SET, KTLS_KU_EV_KEYUPDATE, KTLS_KU_EV_KEY_SET },
	  3, KTLS_KU_RUNNING, 0 },
	{ "second-keyupdate-before-answer",
	  { KTLS_KU_EV_KEY_SET, KTLS_KU_EV_KEYUPDATE, KTLS_KU_EV_KEYUPDATE },
	  3, KTLS_KU_PAUSED, 1 },
	{ "many-rekeys-in-a-row",
	  { KTLS_KU_EV_KEY_SET, KTLS_KU_EV_KEYUPDATE, KTLS_KU_EV_KEY_SET,
	    KTLS_KU_EV_KEYUPDATE, KTLS_KU_EV_KEY_SET, KTLS_KU_EV_KEY_SET },
	  6, KTLS_KU_RUNNING, 0 },
};

KUNIT_ARRAY_PARAM_DESC(scenario, scenario_cases, desc);

static void scenario_ends_in_state(struct kunit *test)
{
	const struct scenario_case *c = test->param_value;
	u8 state = KTLS_KU_NOKEY;
	int i, failures = 0;

	/* Act */
	for (i = 0; i < c->n; i++)
		if (ktls_ku_transition(&state, c->ev[i]))
			failures++;

	/* Assert */
	KUNIT_EXPECT_EQ(test, state, c->want_state);
	KUNIT_EXPECT_EQ(test, failures, c->want_failures);
}

/* ---- which handshake records hold a KeyUpdate ---- */

/*
 * Up to three handshake records in a row, scanned with one state; @want
 * is the answer for the last one.
 */
struct scan_case {
	const char *desc;
	u8 rec[3][12];
	u32 len[3];
	int nrec;
	bool want;
};

static const struct scan_case scan_cases[] = {
	{ .desc = "keyupdate-alone", .rec = { { 24, 0, 0, 1, 0 } },
	  .len = { 5 }, .nrec = 1, .want = true },
	{ .desc = "other-message", .rec = { { 4, 0, 0, 1, 24 } },
	  .len = { 5 }, .nrec = 1, .want = false },
	{ .desc = "keyupdate-after-ticket",
	  .rec = { { 4, 0, 0, 2, 24, 24, 24, 0, 0, 1, 1 } },
	  .len = { 11 }, .nrec = 1, .want = true },
	{ .desc = "ticket-body-starts-24",
	  .rec = { { 4, 0, 0, 3 }, { 24, 0, 0 } },
	  .len = { 4, 3 }, .nrec = 2, .want = false },
	{ .desc = "keyupdate-after-split-ticket",
	  .rec = { { 4, 0 }, { 0, 1, 9, 24, 0, 0, 1, 0 } },
	  .len = { 2, 8 }, .nrec = 2, .want = true },
	{ .desc = "keyupdate-after-earlier-record",
	  .rec = { { 4, 0, 0, 0 }, { 24, 0, 0, 1, 1 } },
	  .len = { 4, 5 }, .nrec = 2, .want = true },
	{ .desc = "empty-record", .rec = { { 24 } }, .len = { 0 },
	  .nrec = 1, .want = false },
};

KUNIT_ARRAY_PARAM_DESC(scan, scan_cases, desc);

static void keyupdate_found_in_stream(struct kunit *test)
{
	const struct scan_case *c = test->param_value;
	struct ktls_hs_scan scan = {};
	bool got = false;
	int i;

	/* Act */
	for (i = 0; i < c->nrec; i++)
		got = ktls_ku_scan(&scan, c->rec[i], c->len[i]);

	/* Assert */
	KUNIT_EXPECT_EQ(test, got, c->want);
}

/* ---- rekey arguments ---- */

struct rekey_case {
	const char *desc;
	u16 cur_version, cur_cipher;
	u16 next_version, next_cipher;
	int want;
};

static const struct rekey_case rekey_cases[] = {
	{ "tls13-same", TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128,
	  TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 0 },
	{ "tls13-chacha-same", TLS_1_3_VERSION, TLS_CIPHER_CHACHA20_POLY1305,
	  TLS_1_3_VERSION, TLS_CIPHER_CHACHA20_POLY1305, 0 },
	{ "tls13-cipher-change", TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128,
	  TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256, -EINVAL },
	{ "tls13-to-tls12", TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128,
	  TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128, -EINVAL },
	{ "tls12-same-busy", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128,
	  TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128, -EBUSY },
	{ "tls12-to-tls13-busy", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128,
	  TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, -EBUSY },
	{ "tls13-bogus-cipher", TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128,
	  TLS_1_3_VERSION, 0xffff, -EINVAL },
};

KUNIT_ARRAY_PARAM_DESC(rekey, rekey_cases, desc);

static void rekey_arguments_checked(struct kunit *test)
{
	const struct rekey_case *c = test->param_value;
	struct tls_crypto_info cur = { .version = c->cur_version,
				       .cipher_type = c->cur_cipher };
	struct tls_crypto_info next = { .version = c->next_version,
					.cipher_type = c->next_cipher };

	/* Act, Assert */
	KUNIT_EXPECT_EQ(test, ktls_rekey_check(&cur, &next), c->want);
}

static struct kunit_case ktls_keyupdate_test_cases[] = {
	KUNIT_CASE_PARAM(transition_follows_table, step_gen_params),
	KUNIT_CASE_PARAM(scenario_ends_in_state, scenario_gen_params),
	KUNIT_CASE_PARAM(keyupdate_found_in_stream, scan_gen_params),
	KUNIT_CASE_PARAM(rekey_arguments_checked, rekey_gen_params),
	{}
};

static struct kunit_suite ktls_keyupdate_test_suite = {
	.name = "ktls_keyupdate",
	.test_cases = ktls_keyupdate_test_cases,
};

kunit_test_suite(ktls_keyupdate_test_suite);
