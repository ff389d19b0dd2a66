// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/tls_stat: upstream's 17 counters in upstream's format, the
 * software counters following key installation and close, and isolation
 * between network namespaces.
 */
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "ctrl_util.h"
#include "kselftest_harness.h"

static int set_keys(int fd, int opt, unsigned short cipher)
{
	union ctrl_crypto c;
	int len = ctrl_crypto_fill(&c, TLS_1_2_VERSION, cipher, 9);

	return setsockopt(fd, SOL_TLS, opt, &c, len);
}

/* Counter deltas between two reads. */
static long delta(const unsigned long *a, const unsigned long *b, int i)
{
	return (long)(b[i] - a[i]);
}

TEST(format_is_upstreams)
{
	unsigned long v[CTRL_NUM_STATS];

	/* ctrl_read_stats checks names, order, padding and the tab. */
	ASSERT_EQ(ctrl_read_stats(v), CTRL_NUM_STATS);
}

TEST(sw_counters_follow_keys)
{
	unsigned long a[CTRL_NUM_STATS], b[CTRL_NUM_STATS];
	int c, s, i;

	ASSERT_EQ(ctrl_read_stats(a), CTRL_NUM_STATS);
	ASSERT_EQ(ctrl_tcp_pair(AF_INET, &c, &s), 0);
	ASSERT_EQ(ctrl_attach(c), 0);
	ASSERT_EQ(ctrl_attach(s), 0);

	/* Attach alone counts nothing. */
	ASSERT_EQ(ctrl_read_stats(b), CTRL_NUM_STATS);
	for (i = 0; i < CTRL_NUM_STATS; i++)
		EXPECT_EQ(delta(a, b, i), 0);

	ASSERT_EQ(set_keys(c, TLS_TX, TLS_CIPHER_AES_GCM_128), 0);
	ASSERT_EQ(set_keys(c, TLS_RX, TLS_CIPHER_AES_GCM_128), 0);
	ASSERT_EQ(set_keys(s, TLS_RX, TLS_CIPHER_AES_GCM_256), 0);
	ASSERT_EQ(ctrl_read_stats(b), CTRL_NUM_STATS);
	EXPECT_EQ(delta(a, b, CTRL_CURR_TX_SW), 1);
	EXPECT_EQ(delta(a, b, CTRL_TX_SW), 1);
	EXPECT_EQ(delta(a, b, CTRL_CURR_RX_SW), 2);
	EXPECT_EQ(delta(a, b, CTRL_RX_SW), 2);
	EXPECT_EQ(delta(a, b, CTRL_CURR_TX_DEV), 0);
	EXPECT_EQ(delta(a, b, CTRL_CURR_RX_DEV), 0);

	close(c);
	close(s);
	/* TlsCurr* drop back; the totals stay. */
	ASSERT_EQ(ctrl_read_stats(b), CTRL_NUM_STATS);
	EXPECT_EQ(delta(a, b, CTRL_CURR_TX_SW), 0);
	EXPECT_EQ(delta(a, b, CTRL_CURR_RX_SW), 0);
	EXPECT_EQ(delta(a, b, CTRL_TX_SW), 1);
	EXPECT_EQ(delta(a, b, CTRL_RX_SW), 2);
}

/* Refused key installs, and ones the crypto API cannot serve, count nothing. */
TEST(failed_keys_count_nothing)
{
	unsigned long a[CTRL_NUM_STATS], b[CTRL_NUM_STATS];
	union ctrl_crypto bad;
	int c, s, i, len, rc;
	bool have_sm4;

	ASSERT_EQ(ctrl_tcp_pair(AF_INET, &c, &s), 0);
	ASSERT_EQ(ctrl_attach(c), 0);
	ASSERT_EQ(ctrl_read_stats(a), CTRL_NUM_STATS);
	len = ctrl_crypto_fill(&bad, TLS_1_3_VERSION, TLS_CIPHER_ARIA_GCM_128, 1);
	EXPECT_EQ(setsockopt(c, SOL_TLS, TLS_TX, &bad, len), -1);
	EXPECT_EQ(setsockopt(c, SOL_TLS, TLS_RX, &bad, len - 1), -1);
	rc = set_keys(c, TLS_TX, TLS_CIPHER_SM4_CCM);
	have_sm4 = rc == 0;
	if (!have_sm4)
		EXPECT_EQ(errno, ENOENT);

	ASSERT_EQ(ctrl_read_stats(b), CTRL_NUM_STATS);
	for (i = 0; i < CTRL_NUM_STATS; i++) {
		bool moved = have_sm4 && (i == CTRL_TX_SW || i == CTRL_CURR_TX_SW);

		EXPECT_EQ(delta(a, b, i), moved ? 1 : 0);
	}
	close(c);
	close(s);
}

static int lo_up(void)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int rc;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (!rc) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return rc;
}

/* One TLS TX socket in the caller's netns, left open; returns 0 on success. */
static int keyed_socket(int *c, int *s)
{
	if (ctrl_tcp_pair(AF_INET, c, s) || ctrl_attach(*c))
		return -1;
	return set_keys(*c, TLS_TX, TLS_CIPHER_AES_GCM_128);
}

/*
 * Child in its own netns: starts from zero, does not see the parent's
 * socket, and its own socket is not seen by the parent.
 */
static int netns_child(int to_parent, int from_parent)
{
	unsigned long v[CTRL_NUM_STATS];
	char go;
	int c, s, i;

	if (unshare(CLONE_NEWNET) || lo_up())
		return 10;
	if (ctrl_read_stats(v) != CTRL_NUM_STATS)
		return 11;
	for (i = 0; i < CTRL_NUM_STATS; i++)
		if (v[i])
			return 12;
	if (write(to_parent, "r", 1) != 1 || read(from_parent, &go, 1) != 1)
		return 13;
	/* The parent has installed keys by now. */
	if (ctrl_read_stats(v) != CTRL_NUM_STATS || v[CTRL_TX_SW])
		return 14;
	if (keyed_socket(&c, &s))
		return 15;
	if (ctrl_read_stats(v) != CTRL_NUM_STATS || v[CTRL_TX_SW] != 1 ||
	    v[CTRL_CURR_TX_SW] != 1)
		return 16;
	close(c);
	close(s);
	return 0;
}

TEST(netns_isolation)
{
	unsigned long a[CTRL_NUM_STATS], b[CTRL_NUM_STATS];
	int up[2], down[2], status, c, s;
	pid_t pid;
	char r;

	ASSERT_EQ(pipe(up), 0);
	ASSERT_EQ(pipe(down), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(netns_child(up[1], down[0]));

	ASSERT_EQ(read(up[0], &r, 1), 1);
	ASSERT_EQ(ctrl_read_stats(a), CTRL_NUM_STATS);
	ASSERT_EQ(keyed_socket(&c, &s), 0);
	ASSERT_EQ(write(down[1], "g", 1), 1);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);

	/* Only our own socket moved our counters. */
	ASSERT_EQ(ctrl_read_stats(b), CTRL_NUM_STATS);
	EXPECT_EQ(delta(a, b, CTRL_TX_SW), 1);
	EXPECT_EQ(delta(a, b, CTRL_CURR_TX_SW), 1);
	close(c);
	close(s);
}

TEST_HARNESS_MAIN
