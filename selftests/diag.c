// SPDX-License-Identifier: GPL-2.0
/*
 * sock_diag: the INET_DIAG_ULP_INFO a SOCK_DIAG_BY_FAMILY query returns for
 * a TLS socket (what `ss -ti` prints as tcp-ulp-tls), parsed from netlink
 * directly (diag_util.h) so that the test does not depend on ss.
 */
#include "ctrl_util.h"
#include "diag_util.h"
#include "kselftest_harness.h"

FIXTURE(diag)
{
	int fd, peer;
	struct ulp_report r;
};

FIXTURE_VARIANT(diag)
{
	int family;
};

FIXTURE_VARIANT_ADD(diag, ipv4)
{
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(diag, ipv6)
{
	.family = AF_INET6,
};

FIXTURE_SETUP(diag)
{
	if (geteuid())
		SKIP(return, "ULP info needs CAP_NET_ADMIN");
	ASSERT_EQ(ctrl_tcp_pair(variant->family, &self->fd, &self->peer), 0);
}

FIXTURE_TEARDOWN(diag)
{
	close(self->fd);
	close(self->peer);
}

static int set_keys(int fd, int opt)
{
	union ctrl_crypto c;
	int len = ctrl_crypto_fill(&c, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256, 5);

	return setsockopt(fd, SOL_TLS, opt, &c, len);
}

TEST_F(diag, plain_socket_has_no_ulp_info)
{
	ASSERT_EQ(diag_query(self->fd, variant->family, &self->r), 0);
	EXPECT_FALSE(self->r.has_ulp);
}

TEST_F(diag, attached_without_keys)
{
	struct ulp_report *r = &self->r;

	ASSERT_EQ(ctrl_attach(self->fd), 0);
	ASSERT_EQ(diag_query(self->fd, variant->family, r), 0);
	ASSERT_TRUE(r->has_ulp);
	EXPECT_STREQ(r->name, "tls");
	ASSERT_TRUE(r->has_tls);
	EXPECT_FALSE(r->present[TLS_INFO_VERSION]);
	EXPECT_FALSE(r->present[TLS_INFO_CIPHER]);
	EXPECT_EQ(r->u16v[TLS_INFO_TXCONF], TLS_CONF_BASE);
	EXPECT_EQ(r->u16v[TLS_INFO_RXCONF], TLS_CONF_BASE);
	EXPECT_FALSE(r->present[TLS_INFO_ZC_RO_TX]);
	EXPECT_FALSE(r->present[TLS_INFO_RX_NO_PAD]);
	ASSERT_TRUE(r->present[CTRL_TLS_INFO_TX_MAX_PAYLOAD_LEN]);
	EXPECT_EQ(r->u16v[CTRL_TLS_INFO_TX_MAX_PAYLOAD_LEN], 16384);
}

TEST_F(diag, keys_and_options_reported)
{
	struct ulp_report *r = &self->r;
	unsigned short max = 4000;
	unsigned int one = 1;

	ASSERT_EQ(ctrl_attach(self->fd), 0);
	ASSERT_EQ(set_keys(self->fd, TLS_TX), 0);
	ASSERT_EQ(diag_query(self->fd, variant->family, r), 0);
	EXPECT_EQ(r->u16v[TLS_INFO_VERSION], TLS_1_3_VERSION);
	EXPECT_EQ(r->u16v[TLS_INFO_CIPHER], TLS_CIPHER_AES_GCM_256);
	EXPECT_EQ(r->u16v[TLS_INFO_TXCONF], TLS_CONF_SW);
	EXPECT_EQ(r->u16v[TLS_INFO_RXCONF], TLS_CONF_BASE);

	ASSERT_EQ(set_keys(self->fd, TLS_RX), 0);
	ASSERT_EQ(setsockopt(self->fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &one,
			     sizeof(one)), 0);
	ASSERT_EQ(setsockopt(self->fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, &one,
			     sizeof(one)), 0);
	ASSERT_EQ(setsockopt(self->fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, &max,
			     sizeof(max)), 0);
	ASSERT_EQ(diag_query(self->fd, variant->family, r), 0);
	EXPECT_EQ(r->u16v[TLS_INFO_RXCONF], TLS_CONF_SW);
	EXPECT_TRUE(r->present[TLS_INFO_RX_NO_PAD]);
	/* As upstream, zero-copy sendfile is reported for device offload only. */
	EXPECT_FALSE(r->present[TLS_INFO_ZC_RO_TX]);
	EXPECT_EQ(r->u16v[CTRL_TLS_INFO_TX_MAX_PAYLOAD_LEN], 4000);
}

/*
 * What users look at: Debian's `ss -tni` (iproute2, run from the host's
 * root through hostrun when the guest was booted with scripts/vm
 * --hostfs) prints a tcp-ulp-tls line with this socket's settings.
 */
TEST_F(diag, ss_prints_ulp_line)
{
	char line[1024];
	int seen = 0;
	FILE *p;

	if (access("/bin/hostrun", X_OK) || access("/host/usr/bin/ss", X_OK))
		SKIP(return, "no host iproute2 in the guest (scripts/vm --hostfs)");
	ASSERT_EQ(ctrl_attach(self->fd), 0);
	ASSERT_EQ(set_keys(self->fd, TLS_TX), 0);
	ASSERT_EQ(set_keys(self->fd, TLS_RX), 0);
	p = popen("hostrun /usr/bin/ss -tni 2>&1", "r");
	ASSERT_NE(p, NULL);
	while (fgets(line, sizeof(line), p)) {
		if (!strstr(line, "tcp-ulp-tls"))
			continue;
		seen++;
		EXPECT_NE(strstr(line, " version: 1.3"), NULL);
		EXPECT_NE(strstr(line, " cipher: aes-gcm-256"), NULL);
		EXPECT_NE(strstr(line, " rxconf: sw"), NULL);
		EXPECT_NE(strstr(line, " txconf: sw"), NULL);
	}
	EXPECT_EQ(pclose(p), 0);
	/* Only our end of the pair has the ULP. */
	EXPECT_EQ(seen, 1);
}

TEST_HARNESS_MAIN
