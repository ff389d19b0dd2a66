/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A gcm(aes) engine for KUnit suites, registered above every other
 * (engine_kunit.c): a real synchronous gcm(aes) does the work, and when
 * armed for an operation the engine answers it later, from a delayed work
 * item, or with a failure on command. User space can make neither happen
 * on purpose, so only a test in the kernel covers these paths.
 */
#ifndef _KTLS_ENGINE_KUNIT_H
#define _KTLS_ENGINE_KUNIT_H

#include <linux/types.h>

/* Operations to answer later (ktls_kunit_engine_arm()). */
#define KTLS_KUNIT_ENCRYPT	BIT(0)
#define KTLS_KUNIT_DECRYPT	BIT(1)

/* Each armed answer comes this much later. */
#define KTLS_KUNIT_ENGINE_DELAY_MS	200

struct kunit_suite;

/* A suite's suite_init and suite_exit: the engine is its for the run. */
int ktls_kunit_engine_suite_init(struct kunit_suite *suite);
void ktls_kunit_engine_suite_exit(struct kunit_suite *suite);
void ktls_kunit_engine_arm(unsigned int ops, int fail_at, int late);
void ktls_kunit_engine_disarm(void);
int ktls_kunit_engine_most(void);
bool ktls_kunit_engine_idle(void);

#endif /* _KTLS_ENGINE_KUNIT_H */
