// SPDX-License-Identifier: GPL-2.0
/*
 * Generation and mutation. Arguments are drawn mostly from small tables
 * of values where kTLS has edges (record size 2^14 and its neighbours,
 * page sizes, 0, 1, -1, huge), sometimes uniformly, so that both the
 * boundaries and the ordinary paths are hit. New programs usually start
 * with a connected pair whose two ends get matching keys, since without
 * that nothing past the control plane runs.
 */
#include <string.h>

#include "gen.h"
#include "names.h"

void rng_seed(struct rng *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

unsigned int rng_below(struct rng *r, unsigned int n)
{
	return n ? (unsigned int)(rng_next(r) % n) : 0;
}

int rng_chance(struct rng *r, int pct)
{
	return (int)rng_below(r, 100) < pct;
}

static const long long lens[] = {
	0, 1, 2, 5, 13, 64, 255, 256, 1000, 4095, 4096, 4097, 8192, 16383,
	16384, 16385, 16640, 16641, 32768, 65535, 65536, 65537, 100000,
	262144, 1048576,
};

static const long long optlens[] = { 0, 0, 0, 0, -1, 1, -4, 4, -40, 8, 16, -100 };

static const long long rawlens[] = {
	0, 1, 2, 3, 4, 8, 16, 17, 24, 32, 39, 40, 41, 55, 56, 57, 64, 128, -1,
};

static const long long msecs[] = { 0, 1, 2, 5, 10, 20, 50 };

static const long long vals[] = {
	0, 1, -1, 2, 13, 31, 63, 64, 100, 4096, 16383, 16384, 16385, 65536,
	2147483647LL, -2147483647LL - 1, 1 << 30,
};

static const long long counts[] = { 0, 1, 1, 2, 2, 3, 4, 8 };

static const long long offsets[] = {
	0, 0, 1, 4095, 4096, 65535, 200000, 262143, 262144, 1LL << 40,
};

static const long long rectypes[] = { 23, 23, 22, 22, 21, 20, 24, 0, 255, 1 };

static long long pick(struct rng *r, const long long *t, size_t n)
{
	return t[rng_below(r, n)];
}

static long long gen_int(struct rng *r, enum int_class cls)
{
	switch (cls) {
	case I_LEN:
		if (rng_chance(r, 80))
			return pick(r, lens, ARRAY_SIZE(lens));
		return rng_below(r, 70000);
	case I_OPTLEN:
		return pick(r, optlens, ARRAY_SIZE(optlens));
	case I_RAWLEN:
		if (rng_chance(r, 90))
			return pick(r, rawlens, ARRAY_SIZE(rawlens));
		return rng_below(r, 257);
	case I_MS:
		return pick(r, msecs, ARRAY_SIZE(msecs));
	case I_VAL:
		if (rng_chance(r, 85))
			return pick(r, vals, ARRAY_SIZE(vals));
		return (int)rng_next(r);
	case I_KEY:
		return rng_below(r, 4);
	case I_COUNT:
		return pick(r, counts, ARRAY_SIZE(counts));
	case I_OFFSET:
		if (rng_chance(r, 90))
			return pick(r, offsets, ARRAY_SIZE(offsets));
		return rng_below(r, 300000);
	case I_RECTYPE:
		if (rng_chance(r, 90))
			return pick(r, rectypes, ARRAY_SIZE(rectypes));
		return rng_below(r, 256);
	}
	return 0;
}

static int table_len(const struct name_val *t)
{
	int n = 0;

	while (t[n].name)
		n++;
	return n;
}

static long long gen_flags(struct rng *r, const struct name_val *t)
{
	long long v = 0;
	int i, n = table_len(t);

	if (rng_chance(r, 40))
		return 0;
	for (i = 0; i < n; i++)
		if (rng_chance(r, 20))
			v |= t[i].val;
	return v;
}

static long long gen_arg(struct rng *r, const struct arg_desc *d)
{
	switch (d->type) {
	case A_SLOT:
		return rng_chance(r, 8) ? SLOT_LISTENER : rng_below(r, 4);
	case A_ENUM:
		return d->names[rng_below(r, table_len(d->names))].val;
	case A_FLAGS:
		return gen_flags(r, d->names);
	case A_INT:
		return gen_int(r, d->cls);
	}
	return 0;
}

/* Relative weights: the data path is where most of the code is. */
static const unsigned char kind_weight[C_NKINDS] = {
	[C_PAIR] = 3, [C_SOCKET] = 1, [C_LISTEN] = 2, [C_CONNECT] = 2,
	[C_ACCEPT] = 2, [C_ULP] = 4, [C_TLS_SET] = 6, [C_TLS_GET] = 3,
	[C_TLS_OPT] = 3, [C_SOCKOPT] = 3, [C_SEND] = 8, [C_SENDMSG] = 6,
	[C_KEYUPDATE] = 3, [C_SENDFILE] = 4, [C_PIPE_FILL] = 3,
	[C_SPLICE_IN] = 3, [C_SPLICE_OUT] = 4, [C_PIPE_DRAIN] = 1,
	[C_RECV] = 9, [C_RECVMSG] = 6, [C_READV] = 3, [C_POLL] = 2,
	[C_EPOLL] = 2, [C_IOCTL] = 2, [C_SHUTDOWN] = 2, [C_CLOSE] = 2,
	[C_DISCONNECT] = 1, [C_FORK] = 1, [C_FCNTL] = 1, [C_SLEEP] = 2,
	[C_DIAG] = 2, [C_STAT] = 1,
};

static int gen_kind(struct rng *r)
{
	unsigned int total = 0, x;
	int k;

	for (k = 0; k < C_NKINDS; k++)
		total += kind_weight[k];
	x = rng_below(r, total);
	for (k = 0; x >= kind_weight[k]; k++)
		x -= kind_weight[k];
	return k;
}

static void gen_call(struct rng *r, struct call *c)
{
	const struct call_desc *d;
	int j;

	memset(c, 0, sizeof(*c));
	c->kind = gen_kind(r);
	c->thread = rng_chance(r, 30);
	d = &call_descs[c->kind];
	for (j = 0; j < d->nargs; j++)
		c->arg[j] = gen_arg(r, &d->args[j]);
}

static void add_call(struct prog *p, int thread, int kind, long long a0,
		     long long a1, long long a2)
{
	struct call *c;

	if (p->ncalls >= PROG_MAX_CALLS)
		return;
	c = &p->calls[p->ncalls++];
	memset(c, 0, sizeof(*c));
	c->thread = thread;
	c->kind = kind;
	c->arg[0] = a0;
	c->arg[1] = a1;
	c->arg[2] = a2;
}

/* TLS_TX on @tx and TLS_RX on @rx with the same cipher, version and key. */
static void add_keys(struct prog *p, struct rng *r, int tx, int rx)
{
	long long ver = rng_chance(r, 50) ? 0x0303 : 0x0304;
	long long cipher = fuzz_ciphers[rng_below(r, 8)].val;
	long long key = rng_below(r, 4);
	int i;

	for (i = 0; i < 2 && p->ncalls < PROG_MAX_CALLS; i++) {
		add_call(p, 0, C_TLS_SET, i ? rx : tx, i ? 2 : 1, ver);
		p->calls[p->ncalls - 1].arg[3] = cipher;
		p->calls[p->ncalls - 1].arg[4] = key;
		p->calls[p->ncalls - 1].arg[5] = rng_chance(r, 90) ? SEQ_ZERO : SEQ_HIGH;
	}
}

/* A connected pair s0/s1 with the ULP and usually keys both ways. */
static void gen_skeleton(struct rng *r, struct prog *p)
{
	add_call(p, 0, C_PAIR, 0, 1, rng_chance(r, 70) ? 2 /* AF_INET */ : 10);
	add_call(p, 0, C_ULP, 0, ULP_TLS, 0);
	add_call(p, 0, C_ULP, 1, ULP_TLS, 0);
	if (rng_chance(r, 90))
		add_keys(p, r, 0, 1);
	if (rng_chance(r, 40))
		add_keys(p, r, 1, 0);
}

void gen_prog(struct rng *r, struct prog *p)
{
	int n, i;

	memset(p, 0, sizeof(*p));
	if (rng_chance(r, 85))
		gen_skeleton(r, p);
	if (rng_chance(r, 30))
		add_call(p, 1, C_SLEEP, pick(r, msecs, ARRAY_SIZE(msecs)), 0, 0);
	n = 2 + rng_below(r, 14);
	for (i = 0; i < n && p->ncalls < PROG_MAX_CALLS; i++)
		gen_call(r, &p->calls[p->ncalls++]);
}

static void remove_call(struct prog *p, int i)
{
	memmove(&p->calls[i], &p->calls[i + 1], (p->ncalls - i - 1) * sizeof(p->calls[0]));
	p->ncalls--;
}

static void insert_call(struct prog *p, int i, const struct call *c)
{
	if (p->ncalls >= PROG_MAX_CALLS)
		return;
	memmove(&p->calls[i + 1], &p->calls[i], (p->ncalls - i) * sizeof(p->calls[0]));
	p->calls[i] = *c;
	p->ncalls++;
}

/* Small steps from an integer's value as well as fresh values. */
static void mutate_arg(struct rng *r, struct call *c)
{
	const struct call_desc *d = &call_descs[c->kind];
	const struct arg_desc *a;
	int j;

	if (!d->nargs) {
		c->thread ^= 1;
		return;
	}
	j = rng_below(r, d->nargs);
	a = &d->args[j];
	if (a->type == A_INT && rng_chance(r, 30))
		c->arg[j] += rng_chance(r, 50) ? 1 : -1;
	else
		c->arg[j] = gen_arg(r, a);
}

static void splice_progs(struct rng *r, struct prog *p, const struct prog *o)
{
	int cut = rng_below(r, p->ncalls + 1);
	int from = rng_below(r, o->ncalls + 1);

	p->ncalls = cut;
	while (from < o->ncalls && p->ncalls < PROG_MAX_CALLS)
		p->calls[p->ncalls++] = o->calls[from++];
}

static void mutate_once(struct rng *r, struct prog *p, const struct prog *other)
{
	struct call c;
	int i = p->ncalls ? rng_below(r, p->ncalls) : 0;

	switch (rng_below(r, 8)) {
	case 0:
	case 1:
		gen_call(r, &c);
		insert_call(p, rng_below(r, p->ncalls + 1), &c);
		break;
	case 2:
		if (p->ncalls > 1)
			remove_call(p, i);
		break;
	case 3:
		if (p->ncalls)
			insert_call(p, i, &p->calls[i]);
		break;
	case 4:
	case 5:
		if (p->ncalls)
			mutate_arg(r, &p->calls[i]);
		break;
	case 6:
		if (other && other->ncalls)
			splice_progs(r, p, other);
		break;
	case 7:
		if (p->ncalls)
			p->calls[i].thread ^= 1;
		break;
	}
}

void gen_mutate(struct rng *r, struct prog *p, const struct prog *other)
{
	int n = 1 + rng_below(r, 3);

	p->header[0] = 0;
	while (n--)
		mutate_once(r, p, other);
	if (!p->ncalls)
		gen_prog(r, p);
}
