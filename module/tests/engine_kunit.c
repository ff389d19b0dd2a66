// SPDX-License-Identifier: GPL-2.0
/*
 * The KUnit suites' own gcm(aes) engine (engine_kunit.h). It is flagged
 * CRYPTO_ALG_ASYNC and does every operation at once with a synchronous
 * gcm(aes); armed for an operation, it returns -EINPROGRESS and gives
 * the answer 200 ms later (the first few armed ones only, if told so),
 * counting how many it holds at once, and the nth armed operation's
 * answer is -EIO. Unarmed, it answers at once (the crypto self-tests,
 * and a peer that must not be delayed).
 */
#include <crypto/internal/aead.h>
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/workqueue.h>

#include "engine_kunit.h"

#define ENGINE_PRIO		10000	/* above every other gcm(aes) */

/* The engine's state: one test at a time. */
static struct {
	unsigned int armed;	/* KTLS_KUNIT_* answered later */
	int fail_at;		/* the nth armed operation fails; 0: none */
	int late;		/* armed ones answered later; 0: all */
	atomic_t submitted;	/* armed operations */
	atomic_t outstanding;	/* armed operations not answered yet */
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

/* @rc is the child's answer: give it now, or later if armed for @op. */
static int engine_answer_later(struct aead_request *req, unsigned int op,
			       int rc)
{
	struct engine_req *r = aead_request_ctx(req);
	int n, most;

	if (!(READ_ONCE(engine.armed) & op))
		return rc;
	n = atomic_inc_return(&engine.submitted);
	if (n == engine.fail_at)
		rc = -EIO;
	if (engine.late && n > engine.late)
		return rc;
	n = atomic_inc_return(&engine.outstanding);
	most = atomic_read(&engine.most);
	while (n > most && !atomic_try_cmpxchg(&engine.most, &most, n))
		;
	r->req = req;
	r->err = rc;
	INIT_DELAYED_WORK(&r->work, engine_answer);
	schedule_delayed_work(&r->work,
			      msecs_to_jiffies(KTLS_KUNIT_ENGINE_DELAY_MS));
	return -EINPROGRESS;
}

static int engine_encrypt(struct aead_request *req)
{
	return engine_answer_later(req, KTLS_KUNIT_ENCRYPT,
				   crypto_aead_encrypt(engine_sub(req)));
}

static int engine_decrypt(struct aead_request *req)
{
	return engine_answer_later(req, KTLS_KUNIT_DECRYPT,
				   crypto_aead_decrypt(engine_sub(req)));
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
		.cra_priority		= ENGINE_PRIO,
		.cra_flags		= CRYPTO_ALG_ASYNC,
		.cra_blocksize		= 1,
		.cra_ctxsize		= sizeof(struct engine_ctx),
		.cra_module		= THIS_MODULE,
	},
};

int ktls_kunit_engine_suite_init(struct kunit_suite *suite)
{
	return crypto_register_aead(&engine_alg);
}

/* Unregistering a live algorithm WARNs: wait for its transforms. */
void ktls_kunit_engine_suite_exit(struct kunit_suite *suite)
{
	if (ktls_kunit_engine_idle())
		crypto_unregister_aead(&engine_alg);
	else
		pr_err("%s: transforms still alive, engine left registered\n",
		       suite->name);
}

/*
 * Answer @ops later from now on (the first @late of them; 0: all, the
 * rest at once); the @fail_at-th of them fails.
 */
void ktls_kunit_engine_arm(unsigned int ops, int fail_at, int late)
{
	atomic_set(&engine.submitted, 0);
	atomic_set(&engine.outstanding, 0);
	atomic_set(&engine.most, 0);
	engine.fail_at = fail_at;
	engine.late = late;
	WRITE_ONCE(engine.armed, ops);
}

void ktls_kunit_engine_disarm(void)
{
	WRITE_ONCE(engine.armed, 0);
}

/* The most armed operations the engine held at once since armed. */
int ktls_kunit_engine_most(void)
{
	return atomic_read(&engine.most);
}

/* Every transform gone (the sockets freed theirs), within a few seconds. */
bool ktls_kunit_engine_idle(void)
{
	int i;

	for (i = 0; i < 50 && atomic_read(&engine.tfms); i++)
		msleep(100);
	return !atomic_read(&engine.tfms);
}
