// SPDX-License-Identifier: GPL-2.0
/*
 * KCOV for the executor's threads and the coverage set of the fuzzer.
 * Only tls.ko is instrumented on the debug kernel (KCOV_INSTRUMENT in our
 * Kbuild, nothing of the kernel's own), so every PC is ours; the range
 * check still keeps out anything else a differently built kernel adds.
 * The ioctl numbers are the uapi's (include/uapi/linux/kcov.h), written
 * out because the build host's headers need not have them.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kcov.h"

#define FUZZ_KCOV_INIT_TRACE	_IOR('c', 1, unsigned long)
#define FUZZ_KCOV_ENABLE	_IO('c', 100)
#define FUZZ_KCOV_DISABLE	_IO('c', 101)
#define FUZZ_KCOV_TRACE_PC	0
#define HIGH_FD			100	/* above any socket a program makes */

/* tls's line of /proc/modules; its address is 0 when hidden (kptr_restrict). */
static int module_line(uint64_t *base, uint64_t *size)
{
	char line[512], name[64];
	unsigned long long sz, addr;
	FILE *f = fopen("/proc/modules", "r");
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %llu %*s %*s %*s %llx", name, &sz, &addr) == 3 &&
		    !strcmp(name, "tls")) {
			*base = addr;
			*size = sz;
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

int kcov_module_range(struct kcov_range *r)
{
	unsigned long long text = 0;
	uint64_t base, size;
	FILE *f;

	if (module_line(&base, &size))
		return -1;
	f = fopen("/sys/module/tls/sections/.text", "r");
	if (f) {
		if (fscanf(f, "%llx", &text) != 1)
			text = 0;
		fclose(f);
	}
	r->text = text ? text : base;
	r->lo = base < r->text ? base : r->text;
	r->hi = base ? base + size : UINT64_MAX;
	return 0;
}

int kcov_open(struct kcov_thread *k)
{
	int fd = open("/sys/kernel/debug/kcov", O_RDWR);

	k->fd = -1;
	k->area = MAP_FAILED;
	if (fd < 0)
		return -1;
	k->fd = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD);
	close(fd);
	if (k->fd < 0 || ioctl(k->fd, FUZZ_KCOV_INIT_TRACE, KCOV_WORDS))
		goto fail;
	k->area = mmap(NULL, KCOV_WORDS * sizeof(uint64_t), PROT_READ | PROT_WRITE,
		       MAP_SHARED, k->fd, 0);
	if (k->area == MAP_FAILED)
		goto fail;
	return 0;
fail:
	kcov_close(k);
	return -1;
}

int kcov_enable(struct kcov_thread *k)
{
	if (ioctl(k->fd, FUZZ_KCOV_ENABLE, FUZZ_KCOV_TRACE_PC))
		return -1;
	__atomic_store_n(&k->area[0], 0, __ATOMIC_RELAXED);
	return 0;
}

size_t kcov_collect(struct kcov_thread *k, const struct kcov_range *r,
		    uint64_t *out, size_t max)
{
	uint64_t i, n = __atomic_load_n(&k->area[0], __ATOMIC_RELAXED);
	size_t got = 0;

	ioctl(k->fd, FUZZ_KCOV_DISABLE, 0);
	if (n > KCOV_WORDS - 1)
		n = KCOV_WORDS - 1;
	for (i = 1; i <= n && got < max; i++) {
		uint64_t pc = k->area[i];

		if (pc >= r->lo && pc < r->hi)
			out[got++] = pc - r->text;
	}
	return got;
}

void kcov_close(struct kcov_thread *k)
{
	if (k->area != MAP_FAILED)
		munmap(k->area, KCOV_WORDS * sizeof(uint64_t));
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	k->area = MAP_FAILED;
}

/* ---- the set of offsets ---- */

static size_t cover_pos(const struct cover_set *s, uint64_t key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & (s->cap - 1);
}

static void cover_insert(struct cover_set *s, uint64_t key)
{
	size_t i = cover_pos(s, key);

	while (s->slot[i] && s->slot[i] != key)
		i = (i + 1) & (s->cap - 1);
	if (!s->slot[i]) {
		s->slot[i] = key;
		s->count++;
	}
}

/* Doubles the table (or makes the first) when it is half full. */
static int cover_grow(struct cover_set *s)
{
	struct cover_set big = { calloc(s->cap ? s->cap * 2 : 4096, sizeof(uint64_t)),
				 s->cap ? s->cap * 2 : 4096, 0 };
	size_t i;

	if (!big.slot)
		return -1;
	for (i = 0; i < s->cap; i++)
		if (s->slot[i])
			cover_insert(&big, s->slot[i]);
	free(s->slot);
	*s = big;
	return 0;
}

int cover_has(const struct cover_set *s, uint64_t off)
{
	size_t i;

	if (!s->cap)
		return 0;
	for (i = cover_pos(s, off + 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == off + 1)
			return 1;
	return 0;
}

int cover_add(struct cover_set *s, uint64_t off)
{
	if (cover_has(s, off))
		return 0;
	if ((s->count + 1) * 2 > s->cap && cover_grow(s))
		return 0;
	cover_insert(s, off + 1);
	return 1;
}

/* Signed: the few offsets below .text come first. */
static int cmp_offset(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int cover_write(const struct cover_set *s, const char *path)
{
	uint64_t *all = malloc((s->count + 1) * sizeof(uint64_t));
	size_t i, n = 0;
	FILE *f;
	int ret;

	if (!all)
		return -1;
	for (i = 0; i < s->cap; i++)
		if (s->slot[i])
			all[n++] = s->slot[i] - 1;
	qsort(all, n, sizeof(uint64_t), cmp_offset);
	f = fopen(path, "w");
	ret = f ? 0 : -1;
	for (i = 0; f && i < n; i++) {
		if ((int64_t)all[i] < 0)
			fprintf(f, "-0x%llx\n", -(unsigned long long)all[i]);
		else
			fprintf(f, "0x%llx\n", (unsigned long long)all[i]);
	}
	if (f && fclose(f))
		ret = -1;
	free(all);
	return ret;
}
