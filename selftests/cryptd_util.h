/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Forcing the asynchronous AEAD paths: a cryptd instance of gcm(aes) is
 * registered through NETLINK_CRYPTO (CONFIG_CRYPTO_USER) and raised above
 * every synchronous gcm(aes), so the next key set gets a transform whose
 * encrypt/decrypt return -EINPROGRESS. Tests lower it again afterwards.
 */
#ifndef KTLS_SELFTEST_CRYPTD_UTIL_H
#define KTLS_SELFTEST_CRYPTD_UTIL_H

#include <errno.h>
#include <linux/cryptouser.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CRYPTD_GCM		"cryptd(gcm(aes))"
#define CRYPTD_PRIO_TOP		10000
#define CRYPTD_PRIO_BOTTOM	1

/* One NETLINK_CRYPTO request about gcm(aes) @driver; the kernel's errno. */
static inline int cryptd_nl(int type, const char *driver, unsigned int prio)
{
	struct {
		struct nlmsghdr nh;
		struct crypto_user_alg alg;
		struct nlattr na;
		unsigned int prio;
	} req = {};
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack;
	int fd, rc = -1;

	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_CRYPTO);
	if (fd < 0)
		return -errno;
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	snprintf(req.alg.cru_driver_name, sizeof(req.alg.cru_driver_name),
		 "%.63s", driver);
	snprintf(req.alg.cru_name, sizeof(req.alg.cru_name), "gcm(aes)");
	req.alg.cru_type = 3;		/* CRYPTO_ALG_TYPE_AEAD */
	req.alg.cru_mask = 0xf;		/* CRYPTO_ALG_TYPE_MASK */
	req.na.nla_len = NLA_HDRLEN + sizeof(req.prio);
	req.na.nla_type = CRYPTOCFGA_PRIORITY_VAL;
	req.prio = prio;
	if (send(fd, &req, sizeof(req), 0) == sizeof(req) &&
	    recv(fd, &ack, sizeof(ack), 0) >= (int)sizeof(ack))
		rc = ack.err.error;
	close(fd);
	return rc;
}

/* The value of @field for driver @driver in /proc/crypto, or -1. */
static inline long cryptd_proc_field(const char *driver, const char *field)
{
	FILE *f = fopen("/proc/crypto", "r");
	char line[256], want[160];
	bool in = false;
	long val = -1;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "driver       : %s\n", driver);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "driver", 6))
			in = !strcmp(line, want);
		else if (in && !strncmp(line, field, strlen(field)))
			val = atol(strchr(line, ':') + 1);
	}
	fclose(f);
	return val;
}

/* The driver name of the cryptd instance of gcm(aes), from /proc/crypto. */
static inline int cryptd_gcm_driver(char *out, size_t len)
{
	FILE *f = fopen("/proc/crypto", "r");
	char line[256], name[128] = "";
	int rc = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "name : %127s", name) == 1)
			continue;
		if (!strcmp(name, "gcm(aes)") &&
		    !strncmp(line, "driver       : cryptd(", 22)) {
			snprintf(out, len, "%.100s", line + 15);
			out[strcspn(out, "\n")] = 0;
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

/*
 * Instantiate cryptd(gcm(aes)) (retrying while the algorithm's self-test
 * runs: EAGAIN) and put its driver name in @driver. Returns 0, or the
 * errno that makes the caller SKIP (no crypto_user, no cryptd).
 */
static inline int cryptd_gcm_instantiate(char *driver, size_t len)
{
	int i, rc = -EAGAIN;

	for (i = 0; i < 50 && rc == -EAGAIN; i++) {
		rc = cryptd_nl(CRYPTO_MSG_NEWALG, CRYPTD_GCM, 0);
		if (rc == -EAGAIN)
			usleep(100000);
	}
	if (rc && rc != -EEXIST)
		return rc;
	return cryptd_gcm_driver(driver, len) ? -ENOENT : 0;
}

#endif /* KTLS_SELFTEST_CRYPTD_UTIL_H */
