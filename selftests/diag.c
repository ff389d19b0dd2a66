// SPDX-License-Identifier: GPL-2.0
/*
 * sock_diag: the INET_DIAG_ULP_INFO a SOCK_DIAG_BY_FAMILY query returns for
 * a TLS socket (what `ss -ti` prints as tcp-ulp-tls), parsed from netlink
 * directly so that the test does not depend on ss.
 */
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>

#include "ctrl_util.h"
#include "kselftest_harness.h"

#define DIAG_MAX_ATTR 16

struct ulp_report {
	bool has_ulp;			/* INET_DIAG_ULP_INFO present */
	char name[16];			/* INET_ULP_INFO_NAME */
	bool has_tls;			/* INET_ULP_INFO_TLS present */
	bool present[DIAG_MAX_ATTR];	/* TLS_INFO_* seen */
	unsigned short u16v[DIAG_MAX_ATTR];
};

static void parse_tls(struct rtattr *nest, struct ulp_report *r)
{
	int len = RTA_PAYLOAD(nest);
	struct rtattr *a;

	for (a = RTA_DATA(nest); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		int type = a->rta_type & NLA_TYPE_MASK;

		if (type >= DIAG_MAX_ATTR)
			continue;
		r->present[type] = true;
		if (RTA_PAYLOAD(a) == sizeof(unsigned short))
			memcpy(&r->u16v[type], RTA_DATA(a), 2);
	}
}

static void parse_ulp(struct rtattr *nest, struct ulp_report *r)
{
	int len = RTA_PAYLOAD(nest);
	struct rtattr *a;

	r->has_ulp = true;
	for (a = RTA_DATA(nest); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if ((a->rta_type & NLA_TYPE_MASK) == INET_ULP_INFO_NAME)
			snprintf(r->name, sizeof(r->name), "%s",
				 (char *)RTA_DATA(a));
		if ((a->rta_type & NLA_TYPE_MASK) == INET_ULP_INFO_TLS) {
			r->has_tls = true;
			parse_tls(a, r);
		}
	}
}

/* Fill the request's socket id from @fd's two ends. */
static int fill_id(int fd, int family, struct inet_diag_sockid *id)
{
	struct sockaddr_storage l, p;
	socklen_t ll = sizeof(l), pl = sizeof(p);

	if (getsockname(fd, (void *)&l, &ll) || getpeername(fd, (void *)&p, &pl))
		return -1;
	if (family == AF_INET6) {
		struct sockaddr_in6 *l6 = (void *)&l, *p6 = (void *)&p;

		id->idiag_sport = l6->sin6_port;
		id->idiag_dport = p6->sin6_port;
		memcpy(id->idiag_src, &l6->sin6_addr, 16);
		memcpy(id->idiag_dst, &p6->sin6_addr, 16);
	} else {
		struct sockaddr_in *l4 = (void *)&l, *p4 = (void *)&p;

		id->idiag_sport = l4->sin_port;
		id->idiag_dport = p4->sin_port;
		id->idiag_src[0] = l4->sin_addr.s_addr;
		id->idiag_dst[0] = p4->sin_addr.s_addr;
	}
	id->idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	id->idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	return 0;
}

/* Ask sock_diag about @fd; 0 and @r filled, or -errno. */
static int query(int fd, int family, struct ulp_report *r)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh.nlmsg_len = sizeof(msg),
		.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY,
		.nlh.nlmsg_flags = NLM_F_REQUEST,
		.req.sdiag_family = family,
		.req.sdiag_protocol = IPPROTO_TCP,
		.req.idiag_ext = 1 << (INET_DIAG_INFO - 1),
		.req.idiag_states = ~0U,
	};
	static char buf[16384];
	struct inet_diag_msg *dm;
	struct nlmsghdr *nlh;
	struct rtattr *a;
	int nl, n, len;

	memset(r, 0, sizeof(*r));
	if (fill_id(fd, family, &msg.req.id))
		return -errno;
	nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return -errno;
	if (send(nl, &msg, sizeof(msg), 0) != sizeof(msg))
		goto err;
	n = recv(nl, buf, sizeof(buf), 0);
	if (n < 0)
		goto err;
	close(nl);
	nlh = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(nlh, n))
		return -EBADMSG;
	if (nlh->nlmsg_type == NLMSG_ERROR)
		return ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
	dm = NLMSG_DATA(nlh);
	len = nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*dm));
	for (a = (struct rtattr *)(dm + 1); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if ((a->rta_type & NLA_TYPE_MASK) == INET_DIAG_ULP_INFO)
			parse_ulp(a, r);
	return 0;
err:
	n = -errno;
	close(nl);
	return n;
}

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
	ASSERT_EQ(query(self->fd, variant->family, &self->r), 0);
	EXPECT_FALSE(self->r.has_ulp);
}

TEST_F(diag, attached_without_keys)
{
	struct ulp_report *r = &self->r;

	ASSERT_EQ(ctrl_attach(self->fd), 0);
	ASSERT_EQ(query(self->fd, variant->family, r), 0);
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
	ASSERT_EQ(query(self->fd, variant->family, r), 0);
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
	ASSERT_EQ(query(self->fd, variant->family, r), 0);
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
