/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Random programs: a seeded generator (splitmix64), new programs biased
 * towards a working kTLS pair, and mutations of corpus programs.
 */
#ifndef KTLS_FUZZ_GEN_H
#define KTLS_FUZZ_GEN_H

#include "prog.h"

struct rng {
	uint64_t s;
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* A number in [0, n). */
unsigned int rng_below(struct rng *r, unsigned int n);
/* True with probability @pct percent. */
int rng_chance(struct rng *r, int pct);

void gen_prog(struct rng *r, struct prog *p);
/* Mutates @p in place; @other (may be NULL) is a second program to splice. */
void gen_mutate(struct rng *r, struct prog *p, const struct prog *other);

#endif /* KTLS_FUZZ_GEN_H */
