/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Coverage: per-thread KCOV (KCOV_TRACE_PC) in the executor, tls.ko's
 * address range, and the set of module-relative offsets seen so far.
 */
#ifndef KTLS_FUZZ_KCOV_H
#define KTLS_FUZZ_KCOV_H

#include <stddef.h>
#include <stdint.h>

#define KCOV_WORDS	(128 * 1024)

struct kcov_range {
	uint64_t lo, hi;	/* the module's core allocation, /proc/modules */
	uint64_t text;		/* .text, the base of the offsets */
};

struct kcov_thread {
	int fd;
	uint64_t *area;
};

/*
 * tls.ko's range. Where /proc/modules hides the addresses, every PC is
 * taken (only our module is instrumented) with offsets from .text if
 * that is readable. -1 if tls.ko is not loaded.
 */
int kcov_module_range(struct kcov_range *r);
/* 0 if /sys/kernel/debug/kcov works; the fd is moved above the slots. */
int kcov_open(struct kcov_thread *k);
int kcov_enable(struct kcov_thread *k);
/* Disables and copies the PCs inside @r, as offsets, to @out; returns how many. */
size_t kcov_collect(struct kcov_thread *k, const struct kcov_range *r,
		    uint64_t *out, size_t max);
void kcov_close(struct kcov_thread *k);

struct cover_set {
	uint64_t *slot;		/* open addressing; 0 is empty, so offset + 1 is stored */
	size_t cap, count;
};

/* Adds @off; returns 1 if it was new. */
int cover_add(struct cover_set *s, uint64_t off);
int cover_has(const struct cover_set *s, uint64_t off);
/* Writes the offsets, sorted, one hex number a line (below .text: -0x...). */
int cover_write(const struct cover_set *s, const char *path);

#endif /* KTLS_FUZZ_KCOV_H */
