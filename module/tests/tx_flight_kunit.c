// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit test of TX records in flight on an asynchronous engine (tx_sw.c,
 * Documentation/tx.rst, "Asynchronous transforms"). The suite registers
 * an engine of its own for gcm(aes), above every other: a real
 * synchronous gcm(aes) does the work, and the answer comes later from a
 * delayed work item, or a failure on command. User space cannot make an
 * engine fail, so only a test in the kernel covers the failure path.
 *
 * One blocking send() of six records (TLS_TX_MAX_PAYLOAD_LEN keeps them
 * small) over a loopback pair: several records must be with the engine
 * at once, and when the third fails, send() counts only what precedes
 * the flight, and the peer gets exactly that.
 */
#include <crypto/internal/aead.h>
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/tls.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <net/sock.h>

#include "pair_kunit.h"

#define FLIGHT_RECS		6
#define FLIGHT_LIMIT		4096	/* TLS_TX_MAX_PAYLOAD_LEN: data bytes */
#define FLIGHT_DELAY_MS		200	/* each answer comes this much later */
#define FLIGHT_PRIO		10000	/* above every other gcm(aes) */

/* The engine's state: one test at a time. */
static struct {
	bool armed;		/* answer later; else at once (testmgr) */
	int fail_at;		/* the nth armed encryption fails; 0: none */
	atomic_t submitted;	/* armed encryptions */
	atomic_t outstanding;	/* armed encryptions not answered yet */
	atomic_t most;		/* the most outstanding at once */
	atomic_t tfms;		/* transforms alive */
} engine;

struct engine_ctx {
	struct crypto_aead *child;	/* a synchronous gcm(aes) */
};

struct engine_req {
	struct delayed_work work;
	struct aead_request *req;
	int err;
	struct aead_request sub;	/* last: the child's context follows */
};

static int engine_setkey(struct crypto_aead *tfm, const u8 *key,
			 unsigned int len)
{
	struct engine_ctx *ctx = crypto_aead_ctx(tfm);

	return crypto_aead_setkey(ctx->child, key, len);
}

static int engine_setauthsize(struct crypto_aead *tfm, unsigned int size)
{
	struct engine_ctx *ctx = crypto_aead_ctx(tfm);

	return crypto_aead_setauthsize(ctx->child, size);
}

/* The child's request for the same operation as @req. */
static struct aead_request *engine_sub(struct aead_request *req)
{
	struct engine_ctx *ctx = crypto_aead_ctx(crypto_aead_reqtfm(req));
	struct engine_req *r = aead_request_ctx(req);

	aead_request_set_tfm(&r->sub, ctx->child);
	aead_request_set_callback(&r->sub, 0, NULL, NULL);
	aead_request_set_crypt(&r->sub, req->src, req->dst, req->cryptlen,
			       req->iv);
	aead_request_set_ad(&r->sub, req->assoclen);
	return &r->sub;
}

static void engine_answer(struct work_struct *work)
{
	struct engine_req *r = container_of(to_delayed_work(work),
					    struct engine_req, work);

	atomic_dec(&engine.outstanding);
	aead_request_complete(r->req, r->err);
}

/* Encrypt at once; armed, say so only later (or fail, on command). */
static int engine_encrypt(struct aead_request *req)
{
	struct engine_req *r = aead_request_ctx(req);
	int rc = crypto_aead_encrypt(engine_sub(req));
	int n;

	if (!READ_ONCE(engine.armed))
		return rc;
	n = atomic_inc_return(&engine.outstanding);
	if (n > atomic_read(&engine.most))
		atomic_set(&engine.most, n);
	r->req = req;
	r->err = atomic_inc_return(&engine.submitted) == engine.fail_at ?
		 -EIO : rc;
	INIT_DELAYED_WORK(&r->work, engine_answer);
	schedule_delayed_work(&r->work, msecs_to_jiffies(FLIGHT_DELAY_MS));
	return -EINPROGRESS;
}

static int engine_decrypt(struct aead_request *req)
{
	return crypto_aead_decrypt(engine_sub(req));
}

static int engine_init(struct crypto_aead *tfm)
{
	struct engine_ctx *ctx = crypto_aead_ctx(tfm);

	/* The mask asks for a synchronous one: never this engine. */
	ctx->child = crypto_alloc_aead("gcm(aes)", 0, CRYPTO_ALG_ASYNC);
	if (IS_ERR(ctx->child))
		return PTR_ERR(ctx->child);
	crypto_aead_set_reqsize(tfm, sizeof(struct engine_req) +
				     crypto_aead_reqsize(ctx->child));
	atomic_inc(&engine.tfms);
	return 0;
}

static void engine_exit(struct crypto_aead *tfm)
{
	struct engine_ctx *ctx = crypto_aead_ctx(tfm);

	crypto_free_aead(ctx->child);
	atomic_dec(&engine.tfms);
}

static struct aead_alg engine_alg = {
	.setkey		= engine_setkey,
	.setauthsize	= engine_setauthsize,
	.encrypt	= engine_encrypt,
	.decrypt	= engine_decrypt,
	.init		= engine_init,
	.exit		= engine_exit,
	.ivsize		= 12,
	.maxauthsize	= 16,
	.base = {
		.cra_name		= "gcm(aes)",
		.cra_driver_name	= "gcm-aes-ktls-kunit-engine",
		.cra_priority		= FLIGHT_PRIO,
		.cra_flags		= CRYPTO_ALG_ASYNC,
		.cra_blocksize		= 1,
		.cra_ctxsize		= sizeof(struct engine_ctx),
		.cra_module		= THIS_MODULE,
	},
};

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

static void engine_arm(int fail_at)
{
	atomic_set(&engine.submitted, 0);
	atomic_set(&engine.outstanding, 0);
	atomic_set(&engine.most, 0);
	engine.fail_at = fail_at;
	WRITE_ONCE(engine.armed, true);
}

/* Every transform gone (the sockets freed theirs), within a few seconds. */
static bool engine_idle(void)
{
	int i;

	for (i = 0; i < 50 && atomic_read(&engine.tfms); i++)
		msleep(100);
	return !atomic_read(&engine.tfms);
}

static int flight_send(struct socket *sock, const u8 *buf, size_t len)
{
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {};

	return kernel_sendmsg(sock, &msg, &iov, 1, len);
}

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
	u16 limit = FLIGHT_LIMIT;
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
	rc = ktls_kunit_pair_open(&kp, c.version);
	KUNIT_ASSERT_EQ_MSG(test, rc, 0, "socket pair with tls");
	rc = ktls_kunit_setsockopt(kp.tx, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN,
				   &limit, sizeof(limit));
	if (rc) {
		ktls_kunit_pair_release(&kp);
		KUNIT_FAIL_AND_ABORT(test, "TLS_TX_MAX_PAYLOAD_LEN: %d", rc);
	}
	engine_arm(c.fail_at);

	/* Act */
	sent = flight_send(kp.tx, buf, total);
	rc = ktls_kunit_recv_all(kp.rx, got, counted);
	WRITE_ONCE(engine.armed, false);
	if (rc == (int)counted)
		rc = flight_recv_more(kp.rx, got + counted);
	ktls_kunit_pair_release(&kp);

	/* Assert */
	KUNIT_EXPECT_EQ(test, sent, (int)counted);
	KUNIT_EXPECT_EQ_MSG(test, rc, -EAGAIN, "more than was counted");
	KUNIT_EXPECT_EQ(test, memcmp(got, buf, counted), 0);
	KUNIT_EXPECT_GE_MSG(test, atomic_read(&engine.most), 2,
			    "records with the engine at once");
	KUNIT_EXPECT_TRUE(test, engine_idle());
}

static int flight_suite_init(struct kunit_suite *suite)
{
	return crypto_register_aead(&engine_alg);
}

static void flight_suite_exit(struct kunit_suite *suite)
{
	/* Unregistering a live algorithm WARNs: wait for its transforms. */
	if (engine_idle())
		crypto_unregister_aead(&engine_alg);
	else
		pr_err("ktls_tx_flight: transforms still alive, engine left registered\n");
}

static struct kunit_case ktls_tx_flight_test_cases[] = {
	KUNIT_CASE_PARAM_ATTR(records_in_flight, flight_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite ktls_tx_flight_test_suite = {
	.name = "ktls_tx_flight",
	.suite_init = flight_suite_init,
	.suite_exit = flight_suite_exit,
	.test_cases = ktls_tx_flight_test_cases,
};

kunit_test_suite(ktls_tx_flight_test_suite);
