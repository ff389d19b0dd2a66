// SPDX-License-Identifier: GPL-2.0
/*
 * What the kernel says about an execution. Each /dev/kmsg read returns
 * one record, "prio,seq,usec,flags;text\n" plus continuation lines; a
 * reader that fell behind gets EPIPE once and goes on from the oldest
 * record kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmsg.h"
#include "prog.h"

struct splat {
	const char *needle, *also, *label;
};

/*
 * The lines scripts/splat-check treats as splats, as far as they matter
 * here; the specific ones first, since lockdep's titles start with
 * "WARNING:" and KASAN's with "BUG:".
 */
static const struct splat splats[] = {
	{ "possible circular locking", NULL, "lockdep-circular" },
	{ "possible recursive locking", NULL, "lockdep-recursive" },
	{ "inconsistent lock state", NULL, "lockdep-inconsistent" },
	{ "KASAN:", NULL, "KASAN" },
	{ "UBSAN:", NULL, "UBSAN" },
	{ "unreferenced object", NULL, "kmemleak" },
	{ "list_add corruption", NULL, "list-corruption" },
	{ "list_del corruption", NULL, "list-corruption" },
	{ "INFO: task ", "blocked", "hung-task" },
	{ "BUG:", NULL, "BUG" },
	{ "WARNING:", NULL, "WARNING" },
	{ "Oops", NULL, "Oops" },
	{ "general protection", NULL, "GPF" },
};

int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

static const char *classify(const char *text)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(splats); i++)
		if (strstr(text, splats[i].needle) &&
		    (!splats[i].also || strstr(text, splats[i].also)))
			return splats[i].label;
	return NULL;
}

/* Copies what fits of @text and a newline after what @dst holds. */
static void append(char *dst, size_t len, const char *text)
{
	size_t have = strlen(dst), n = strlen(text);

	if (have + 2 > len)
		return;
	if (n > len - have - 2)
		n = len - have - 2;
	memcpy(dst + have, text, n);
	dst[have + n] = '\n';
	dst[have + n + 1] = 0;
}

const char *kmsg_check(int fd, char *log, size_t len, char *title, size_t tlen)
{
	const char *found = NULL, *label;
	char rec[8192], *text, *nl;
	ssize_t n;

	log[0] = 0;
	title[0] = 0;
	while (fd >= 0) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		nl = strchr(text, '\n');
		if (nl)
			*nl = 0;
		append(log, len, text);
		label = classify(text);
		if (label && !found) {
			found = label;
			title[0] = 0;
			append(title, tlen, text);
			title[strcspn(title, "\n")] = 0;
		}
	}
	return found;
}

void kmsg_skip(int fd)
{
	char rec[8192];
	ssize_t n;

	do {
		n = read(fd, rec, sizeof(rec));
	} while (fd >= 0 && (n > 0 || (n < 0 && errno == EPIPE)));
}

#define KMEMLEAK "/sys/kernel/debug/kmemleak"

static int kmemleak_cmd(const char *cmd)
{
	int fd = open(KMEMLEAK, O_WRONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = write(fd, cmd, strlen(cmd)) < 0 ? -1 : 0;
	close(fd);
	return ret;
}

/*
 * Leaks of other code (boot-time objects) are not ours to report. The
 * list is read to its end (a leak of ours may come after 64 KB of
 * others) and never cleared: "clear" would hide every leak listed from
 * the guest's final scan too, also a leak tls.ko caused of an object
 * allocated elsewhere (a socket, an skb), whose trace does not name it.
 */
const char *kmemleak_check(char *log, size_t len)
{
	size_t have = 0, cap = 0;
	char *all = NULL, *bigger;
	const char *found = NULL;
	ssize_t n = 1;
	int fd;

	log[0] = 0;
	if (kmemleak_cmd("scan"))
		return NULL;
	fd = open(KMEMLEAK, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	while (n > 0) {
		if (cap - have < 65536) {
			bigger = realloc(all, cap + 65536 + 1);
			if (!bigger)
				break;
			all = bigger;
			cap += 65536;
		}
		n = read(fd, all + have, cap - have);
		if (n > 0)
			have += n;
	}
	close(fd);
	if (!all)
		return NULL;
	all[have] = 0;
	if (strstr(all, "unreferenced object") && strstr(all, "[tls]"))
		found = "kmemleak";
	snprintf(log, len, "%s", all);
	free(all);
	return found;
}
