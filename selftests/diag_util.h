/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sock_diag for the selftests (diag, device): the INET_DIAG_ULP_INFO that
 * a SOCK_DIAG_BY_FAMILY query returns for a TLS socket (what `ss -ti`
 * prints as tcp-ulp-tls), parsed from netlink directly so that the tests
 * do not depend on ss. The query is answered in the caller's namespace.
 */
#ifndef _KTLS_DIAG_UTIL_H
#define _KTLS_DIAG_UTIL_H

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tls.h>
#include <stdbool.h>

#include "ctrl_util.h"

#define DIAG_MAX_ATTR 16

struct ulp_report {
	bool has_ulp;			/* INET_DIAG_ULP_INFO present */
	char name[16];			/* INET_ULP_INFO_NAME */
	bool has_tls;			/* INET_ULP_INFO_TLS present */
	bool present[DIAG_MAX_ATTR];	/* TLS_INFO_* seen */
	unsigned short u16v[DIAG_MAX_ATTR];
};

static inline void diag_parse_tls(struct rtattr *nest, struct ulp_report *r)
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

static inline void diag_parse_ulp(struct rtattr *nest, struct ulp_report *r)
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
			diag_parse_tls(a, r);
		}
	}
}

/* Fill the request's socket id from @fd's two ends. */
static inline int diag_fill_id(int fd, int family, struct inet_diag_sockid *id)
{
	struct sockaddr_storage l, p;
	socklen_t ll = sizeof(l), pl = sizeof(p);

	if (getsockname(fd, (void *)&l, &ll) || getpeername(fd, (void *)&p, &pl))
		return -1;
	if (family == AF_INET6) {
		struct sockaddr_in6 *l6 = (void *)&l, *p6 = (void *)&p;

		/* Copied: already in network order (__be16 to sparse). */
		memcpy(&id->idiag_sport, &l6->sin6_port, 2);
		memcpy(&id->idiag_dport, &p6->sin6_port, 2);
		memcpy(id->idiag_src, &l6->sin6_addr, 16);
		memcpy(id->idiag_dst, &p6->sin6_addr, 16);
	} else {
		struct sockaddr_in *l4 = (void *)&l, *p4 = (void *)&p;

		memcpy(&id->idiag_sport, &l4->sin_port, 2);
		memcpy(&id->idiag_dport, &p4->sin_port, 2);
		memcpy(id->idiag_src, &l4->sin_addr, 4);
		memcpy(id->idiag_dst, &p4->sin_addr, 4);
	}
	id->idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	id->idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	return 0;
}

/* Ask sock_diag about @fd; 0 and @r filled, or -errno. */
static inline int diag_query(int fd, int family, struct ulp_report *r)
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
	if (diag_fill_id(fd, family, &msg.req.id))
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
			diag_parse_ulp(a, r);
	return 0;
err:
	n = -errno;
	close(nl);
	return n;
}

#endif /* _KTLS_DIAG_UTIL_H */
