// SPDX-License-Identifier: GPL-2.0
/*
 * TLS offload over the emulated NIC pair of ktls_sim (sim/). Each test
 * makes two network namespaces, a pair sa (10.77.0.1, namespace A) - sb
 * (10.77.0.2, namespace B), and a TCP connection from A to B. The client
 * sends with TLS_TX, the server reads with TLS_RX; the variant says which
 * of the two is offloaded (the other end's offload feature is turned off
 * with ethtool), and the TLS version (1.2, or 1.3, which the devices
 * declare to the core: knob tls13). Every test checks the counters that
 * prove which path ran (/proc/net/tls_stat of each namespace, ethtool -S
 * of each end),
 * wire_capture decrypts what crossed the wire with OpenSSL, and reroute
 * sends an offloaded socket's segments out through a veth pair instead.
 * The resync_* tests lose segments under each RX resync mode the device
 * can choose (knob rx_resync), rmmod_live unloads ktls_sim under offloaded
 * sockets and loads it again. control_records sends records of every
 * content type; tls13_not_opted_in and sw_only_suites check that what a
 * device did not declare stays in software. The sendfile_* tests check
 * TLS_TX_ZEROCOPY_RO: spliced page cache pages go to the NIC by reference,
 * so a file changed while TCP still holds its segments goes out changed.
 *
 * Needs ktls_sim.ko and a tls.ko with the device hook loaded; skips
 * otherwise.
 */
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <openssl/evp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>

#include "ctrl_util.h"
#include "diag_util.h"
#include "kselftest_harness.h"

#define SIM_PORT	4433
#define SIM_DEBUGFS	"/sys/kernel/debug/ktls_sim"
/* Where the test guest has it (scripts/build-payload), for rmmod_live. */
#define SIM_KO		"/ktls/ktls_sim.ko"
#define KTLS_SIM_INFO_PEER 1

/* ------------------------------------------------------------ netlink */

struct nl_req {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	char attrs[512];
};

static struct rtattr *nl_put(struct nlmsghdr *nh, int type, const void *data,
			     int len)
{
	struct rtattr *rta = (void *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
	return rta;
}

static void nl_nest_end(struct nlmsghdr *nh, struct rtattr *nest)
{
	nest->rta_len = (char *)nh + nh->nlmsg_len - (char *)nest;
}

/* Send one request in the caller's netns; 0 or -errno from the ack. */
static int nl_call(struct nlmsghdr *nh)
{
	char buf[4096];
	struct nlmsgerr *e;
	int fd, n, err = -EIO;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	nh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (send(fd, nh, nh->nlmsg_len, 0) == (ssize_t)nh->nlmsg_len) {
		n = recv(fd, buf, sizeof(buf), 0);
		e = NLMSG_DATA((struct nlmsghdr *)buf);
		if (n >= (int)NLMSG_LENGTH(sizeof(*e)) &&
		    ((struct nlmsghdr *)buf)->nlmsg_type == NLMSG_ERROR)
			err = e->error;
	}
	close(fd);
	return err;
}

/*
 * ip link add @a type @kind peer name @b netns @ns_b: ktls_sim's
 * KTLS_SIM_INFO_PEER has the layout and number of veth's VETH_INFO_PEER.
 */
static int pair_add(const char *kind, const char *a, const char *b, int ns_b)
{
	struct rtattr *info, *data, *peer;
	struct ifinfomsg pifi = {};
	struct nl_req req = {};
	/* The whole request: GCC would bound the attributes by req.nh. */
	struct nlmsghdr *nh = (void *)&req;

	nh->nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
	nh->nlmsg_type = RTM_NEWLINK;
	nh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	nl_put(nh, IFLA_IFNAME, a, strlen(a) + 1);
	info = nl_put(nh, IFLA_LINKINFO, NULL, 0);
	nl_put(nh, IFLA_INFO_KIND, kind, strlen(kind) + 1);
	data = nl_put(nh, IFLA_INFO_DATA, NULL, 0);
	peer = nl_put(nh, KTLS_SIM_INFO_PEER, &pifi, sizeof(pifi));
	nl_put(nh, IFLA_IFNAME, b, strlen(b) + 1);
	nl_put(nh, IFLA_NET_NS_FD, &ns_b, sizeof(ns_b));
	nl_nest_end(nh, peer);
	nl_nest_end(nh, data);
	nl_nest_end(nh, info);
	return nl_call(nh);
}

/* ip route add @dst/32 via @gw dev @dev */
static int route_add(const char *dst, const char *gw, const char *dev)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		char attrs[128];
	} req = {};
	struct in_addr d, g;
	int oif = if_nametoindex(dev);

	if (!oif || inet_pton(AF_INET, dst, &d) != 1 ||
	    inet_pton(AF_INET, gw, &g) != 1)
		return -EINVAL;
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.rt));
	req.nh.nlmsg_type = RTM_NEWROUTE;
	req.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	req.rt.rtm_family = AF_INET;
	req.rt.rtm_dst_len = 32;
	req.rt.rtm_table = RT_TABLE_MAIN;
	req.rt.rtm_protocol = RTPROT_BOOT;
	req.rt.rtm_scope = RT_SCOPE_UNIVERSE;
	req.rt.rtm_type = RTN_UNICAST;
	nl_put(&req.nh, RTA_DST, &d, sizeof(d));
	nl_put(&req.nh, RTA_GATEWAY, &g, sizeof(g));
	nl_put(&req.nh, RTA_OIF, &oif, sizeof(oif));
	return nl_call(&req.nh);
}

static int link_del(const char *name)
{
	struct nl_req req = {};

	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
	req.nh.nlmsg_type = RTM_DELLINK;
	nl_put(&req.nh, IFLA_IFNAME, name, strlen(name) + 1);
	return nl_call(&req.nh);
}

/* ------------------------------------------------------ ioctl helpers */

static int if_ioctl(unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, req, ifr);
	close(fd);
	return ret;
}

static int if_up(const char *name, const char *addr)
{
	struct ifreq ifr = {};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (addr) {
		sin->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &sin->sin_addr);
		if (if_ioctl(SIOCSIFADDR, &ifr))
			return -1;
	}
	if (if_ioctl(SIOCGIFFLAGS, &ifr))
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return if_ioctl(SIOCSIFFLAGS, &ifr);
}

/* ip addr add @addr/24 dev @name; ip link set @name up */
static int if_up24(const char *name, const char *addr)
{
	struct ifreq ifr = {};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	/* Alone, SIOCSIFADDR gives 10/8, the prefix route sa has already. */
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin->sin_addr);
	if (if_ioctl(SIOCSIFADDR, &ifr))
		return -1;
	inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
	if (if_ioctl(SIOCSIFNETMASK, &ifr))
		return -1;
	return if_up(name, NULL);
}

/* TX packets of @name in this namespace (/proc/net/dev); -1 if absent. */
static long long dev_tx_packets(const char *name)
{
	FILE *f = fopen("/proc/net/dev", "r");
	unsigned long long v[10];
	char line[512], *p;
	long long ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = strchr(line, ':');
		if (!p)
			continue;
		*p = 0;
		if (strcmp(line + strspn(line, " "), name))
			continue;
		/* rx: bytes packets errs drop fifo frame compressed multicast */
		if (sscanf(p + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			   &v[7], &v[8], &v[9]) == 10)
			ret = v[9];
		break;
	}
	fclose(f);
	return ret;
}

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -1;
	close(fd);
	return ret;
}

static int ethtool(const char *name, void *cmd)
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_data = cmd;
	return if_ioctl(SIOCETHTOOL, &ifr);
}

/* The strings of string set @set, ETH_GSTRING_LEN each; NULL on error. */
static struct ethtool_gstrings *eth_strings(const char *name, int set)
{
	struct {
		struct ethtool_sset_info hdr;
		__u32 len;
	} info = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << set } };
	struct ethtool_gstrings *s;

	if (ethtool(name, &info) || !info.hdr.sset_mask)
		return NULL;
	s = calloc(1, sizeof(*s) + info.len * ETH_GSTRING_LEN);
	if (!s)
		return NULL;
	s->cmd = ETHTOOL_GSTRINGS;
	s->string_set = set;
	s->len = info.len;
	if (ethtool(name, s)) {
		free(s);
		return NULL;
	}
	return s;
}

static int eth_index(struct ethtool_gstrings *s, const char *str)
{
	__u32 i;

	for (i = 0; s && i < s->len; i++)
		if (!strncmp((char *)s->data + i * ETH_GSTRING_LEN, str,
			     ETH_GSTRING_LEN))
			return i;
	return -1;
}

/* ethtool -S @name | grep @stat; -1 if absent. */
static long long eth_stat(const char *name, const char *stat)
{
	struct ethtool_gstrings *s = eth_strings(name, ETH_SS_STATS);
	struct ethtool_stats *st;
	long long val = -1;
	int i = eth_index(s, stat);

	if (i < 0)
		goto out;
	st = calloc(1, sizeof(*st) + s->len * sizeof(__u64));
	if (!st)
		goto out;
	st->cmd = ETHTOOL_GSTATS;
	st->n_stats = s->len;
	if (!ethtool(name, st))
		val = st->data[i];
	free(st);
out:
	free(s);
	return val;
}

/* ethtool -K @name @feature on|off; then whether it is active. */
static int eth_feature(const char *name, const char *feature, int on)
{
	struct ethtool_gstrings *s = eth_strings(name, ETH_SS_FEATURES);
	int i = eth_index(s, feature), blocks, ret = -1;
	struct ethtool_sfeatures *sf;
	struct ethtool_gfeatures *gf;

	if (i < 0)
		goto out;
	blocks = (s->len + 31) / 32;
	sf = calloc(1, sizeof(*sf) + blocks * sizeof(sf->features[0]));
	gf = calloc(1, sizeof(*gf) + blocks * sizeof(gf->features[0]));
	if (!sf || !gf)
		goto free;
	if (on >= 0) {
		sf->cmd = ETHTOOL_SFEATURES;
		sf->size = blocks;
		sf->features[i / 32].valid = 1U << (i % 32);
		sf->features[i / 32].requested = on ? 1U << (i % 32) : 0;
		if (ethtool(name, sf) < 0)
			goto free;
	}
	gf->cmd = ETHTOOL_GFEATURES;
	gf->size = blocks;
	if (!ethtool(name, gf))
		ret = !!(gf->features[i / 32].active & (1U << (i % 32)));
free:
	free(sf);
	free(gf);
out:
	free(s);
	return ret;
}

/* ---------------------------------------------------- tls_stat by name */

static long tls_counter(const char *counter)
{
	FILE *f = fopen("/proc/net/tls_stat", "r");
	char key[64];
	long val;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &val) == 2) {
		if (!strcmp(key, counter)) {
			fclose(f);
			return val;
		}
	}
	fclose(f);
	return -1;
}

/* -------------------------------------------------------------- knobs */

/* The debugfs directory of device @name (see sim/debugfs.c). */
static int knob_path(const char *name, const char *knob, char *path, size_t n)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	const char *id;

	if (ethtool(name, &info))
		return -1;
	id = strchr(info.bus_info, ':');
	if (!id)
		return -1;
	snprintf(path, n, SIM_DEBUGFS "/%s-%s", name, id + 1);
	if (!access(path, F_OK)) {
		snprintf(path, n, SIM_DEBUGFS "/%s-%s/%s", name, id + 1, knob);
		return 0;
	}
	snprintf(path, n, SIM_DEBUGFS "/%s/%s", name, knob);
	return 0;
}

static int knob_set(const char *name, const char *knob, const char *val)
{
	char path[256];

	if (knob_path(name, knob, path, sizeof(path)))
		return -1;
	return write_str(path, val);
}

/* ------------------------------------------------------------ data */

static void pattern(unsigned char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 8));
}

static int send_all(int fd, const void *buf, size_t len, int flags)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, (const char *)buf + done, len - done, flags);

		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

/* Read exactly @len bytes; -errno of a failing recv. */
static int recv_all(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = recv(fd, (char *)buf + done, len - done, 0);

		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		done += n;
	}
	return 0;
}

/* --------------------------------------------------------------- fixture */

FIXTURE(sim)
{
	int orig, ns_a, ns_b;
	int c, s;
	union ctrl_crypto key;
	int key_len;
	bool skip;
	bool reload;	/* ktls_sim.ko was unloaded: load it again */
};

FIXTURE_VARIANT(sim)
{
	unsigned short version;
	unsigned short cipher;
	bool tx_dev;	/* client TX offloaded through sa */
	bool rx_dev;	/* server RX offloaded through sb */
};

FIXTURE_VARIANT_ADD(sim, gcm128_txdev)
{
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_AES_GCM_128,
	.tx_dev = true,
};

FIXTURE_VARIANT_ADD(sim, gcm256_txdev)
{
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_AES_GCM_256,
	.tx_dev = true,
};

FIXTURE_VARIANT_ADD(sim, gcm128_rxdev)
{
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_AES_GCM_128,
	.rx_dev = true,
};

FIXTURE_VARIANT_ADD(sim, gcm256_rxdev)
{
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_AES_GCM_256,
	.rx_dev = true,
};

FIXTURE_VARIANT_ADD(sim, gcm128_both)
{
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_AES_GCM_128,
	.tx_dev = true, .rx_dev = true,
};

FIXTURE_VARIANT_ADD(sim, gcm256_both)
{
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_AES_GCM_256,
	.tx_dev = true, .rx_dev = true,
};

/* TLS 1.3: the devices declared it (knob tls13, on by default). */
FIXTURE_VARIANT_ADD(sim, tls13_gcm128_txdev)
{
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_AES_GCM_128,
	.tx_dev = true,
};

FIXTURE_VARIANT_ADD(sim, tls13_gcm256_txdev)
{
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_AES_GCM_256,
	.tx_dev = true,
};

FIXTURE_VARIANT_ADD(sim, tls13_gcm128_rxdev)
{
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_AES_GCM_128,
	.rx_dev = true,
};

FIXTURE_VARIANT_ADD(sim, tls13_gcm256_rxdev)
{
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_AES_GCM_256,
	.rx_dev = true,
};

FIXTURE_VARIANT_ADD(sim, tls13_gcm128_both)
{
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_AES_GCM_128,
	.tx_dev = true, .rx_dev = true,
};

FIXTURE_VARIANT_ADD(sim, tls13_gcm256_both)
{
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_AES_GCM_256,
	.tx_dev = true, .rx_dev = true,
};

static void in_ns(int fd)
{
	if (setns(fd, CLONE_NEWNET))
		abort();
}

static int new_ns(int orig)
{
	int fd;

	if (unshare(CLONE_NEWNET))
		return -1;
	fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	in_ns(orig);
	return fd;
}

/* Connect A -> B over the pair; the listener lives in B. */
static int sim_connect(int ns_a, int ns_b, int *c, int *s)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(SIM_PORT) };
	int one = 1, lfd;

	inet_pton(AF_INET, "10.77.0.2", &sin.sin_addr);
	in_ns(ns_b);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(lfd, 1))
		return -1;
	in_ns(ns_a);
	*c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*c < 0 || connect(*c, (struct sockaddr *)&sin, sizeof(sin)))
		return -1;
	*s = accept(lfd, NULL, NULL);
	close(lfd);
	return *s < 0 ? -1 : 0;
}

/*
 * The pair sa - sb with the offload features the variant asks for, and a
 * connection over it with the ULP on both ends (no keys yet).
 */
static void sim_open(struct __test_metadata *_metadata,
		     struct _test_data_sim *self,
		     const struct _fixture_variant_sim *variant)
{
	struct timeval tv = { .tv_sec = 10 };

	in_ns(self->ns_a);
	ASSERT_EQ(pair_add("ktls_sim", "sa", "sb", self->ns_b), 0);
	ASSERT_EQ(if_up("lo", NULL), 0);
	ASSERT_EQ(if_up("sa", "10.77.0.1"), 0);
	ASSERT_EQ(eth_feature("sa", "tls-hw-tx-offload", variant->tx_dev),
		  variant->tx_dev);
	in_ns(self->ns_b);
	ASSERT_EQ(if_up("lo", NULL), 0);
	ASSERT_EQ(if_up("sb", "10.77.0.2"), 0);
	ASSERT_EQ(eth_feature("sb", "tls-hw-rx-offload", variant->rx_dev),
		  variant->rx_dev);

	ASSERT_EQ(sim_connect(self->ns_a, self->ns_b, &self->c, &self->s), 0);
	setsockopt(self->s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	self->key_len = ctrl_crypto_fill(&self->key, variant->version,
					 variant->cipher, 0x31);
	ASSERT_EQ(ctrl_attach(self->c), 0);
	ASSERT_EQ(ctrl_attach(self->s), 0);
	in_ns(self->ns_a);
}

FIXTURE_SETUP(sim)
{
	self->c = -1;
	self->s = -1;
	if (access(SIM_DEBUGFS, F_OK)) {
		self->skip = true;
		SKIP(return, "ktls_sim.ko is not loaded");
	}
	self->orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(self->orig, 0);
	self->ns_a = new_ns(self->orig);
	self->ns_b = new_ns(self->orig);
	ASSERT_GE(self->ns_a, 0);
	ASSERT_GE(self->ns_b, 0);
	sim_open(_metadata, self, variant);
}

static int sim_load(void)
{
	int fd = open(SIM_KO, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = syscall(__NR_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

/*
 * Sockets are closed with a reset (ctrl_close_now(), SO_LINGER 0): gone at
 * once. A graceful close would leave them orphaned, retrying their FIN for
 * minutes once the pair is deleted, and holding tls.ko (scripts/check
 * unloads it after).
 */
FIXTURE_TEARDOWN(sim)
{
	if (self->skip)
		return;
	if (self->c >= 0)
		ctrl_close_now(self->c);
	if (self->s >= 0)
		ctrl_close_now(self->s);
	in_ns(self->ns_a);
	link_del("sa");
	link_del("va");
	/* The cases after this one need the module. */
	if (self->reload && sim_load())
		TH_LOG("loading %s again failed: %s", SIM_KO, strerror(errno));
	in_ns(self->orig);
	close(self->ns_a);
	close(self->ns_b);
	close(self->orig);
}

/* Install the keys: client TX (namespace A), server RX (namespace B). */
static int sim_keys(struct _test_data_sim *self)
{
	if (setsockopt(self->c, SOL_TLS, TLS_TX, &self->key, self->key_len) ||
	    setsockopt(self->s, SOL_TLS, TLS_RX, &self->key, self->key_len))
		return -1;
	return 0;
}

/* Send @len bytes of pattern @seed and check the server reads them back. */
static int sim_roundtrip(struct _test_data_sim *self, size_t len, unsigned int seed,
			 int flags)
{
	unsigned char *out = malloc(len), *in = malloc(len);
	int ret = -1;

	if (!out || !in)
		goto out;
	pattern(out, len, seed);
	/* With MSG_MORE, the last byte goes without it to close the record. */
	if (flags & MSG_MORE && len > 1) {
		if (send_all(self->c, out, len - 1, flags) ||
		    send_all(self->c, out + len - 1, 1, 0))
			goto out;
	} else if (send_all(self->c, out, len, 0)) {
		goto out;
	}
	ret = recv_all(self->s, in, len);
	if (!ret && memcmp(in, out, len))
		ret = -EILSEQ;
out:
	free(out);
	free(in);
	return ret;
}

/* The counters that say which path each direction took. */
static void check_paths(struct __test_metadata *_metadata,
			struct _test_data_sim *self,
			const struct _fixture_variant_sim *variant)
{
	in_ns(self->ns_a);
	EXPECT_EQ(tls_counter("TlsTxDevice"), variant->tx_dev);
	EXPECT_EQ(tls_counter("TlsCurrTxDevice"), variant->tx_dev);
	EXPECT_EQ(tls_counter("TlsTxSw"), !variant->tx_dev);
	EXPECT_EQ(eth_stat("sa", "tx_tls_ctx"), variant->tx_dev);
	EXPECT_EQ(eth_stat("sa", "tx_tls_encrypted_packets") > 0,
		  variant->tx_dev);
	EXPECT_EQ(eth_stat("sa", "tx_tls_drop_err"), 0);
	in_ns(self->ns_b);
	EXPECT_EQ(tls_counter("TlsRxDevice"), variant->rx_dev);
	EXPECT_EQ(tls_counter("TlsRxSw"), !variant->rx_dev);
	EXPECT_EQ(tls_counter("TlsDecryptError"), 0);
	EXPECT_EQ(eth_stat("sb", "rx_tls_ctx"), variant->rx_dev);
	EXPECT_EQ(eth_stat("sb", "rx_tls_auth_fail"), 0);
	EXPECT_EQ(eth_stat("sb", "rx_tls_decrypted_packets") > 0,
		  variant->rx_dev);
	in_ns(self->ns_a);
}

TEST_F(sim, sizes)
{
	static const size_t sizes[] = { 1, 2, 13, 100, 1000, 1448, 4096,
					16383, 16384, 16385, 40000, 65536 };
	unsigned int i;

	ASSERT_EQ(sim_keys(self), 0);
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		ASSERT_EQ(sim_roundtrip(self, sizes[i], i, 0), 0)
			TH_LOG("size %zu", sizes[i]);
	check_paths(_metadata, self, variant);
}

TEST_F(sim, msg_more)
{
	unsigned int i;

	ASSERT_EQ(sim_keys(self), 0);
	for (i = 0; i < 20; i++)
		ASSERT_EQ(sim_roundtrip(self, 100 + i * 997, i, MSG_MORE), 0);
	check_paths(_metadata, self, variant);
}

/* Software on the sender's side of the wire: nothing is offloaded. */
TEST_F(sim, refuse_add)
{
	in_ns(self->ns_a);
	ASSERT_EQ(knob_set("sa", "refuse_add", "Y"), 0);
	in_ns(self->ns_b);
	ASSERT_EQ(knob_set("sb", "refuse_add", "Y"), 0);
	ASSERT_EQ(sim_keys(self), 0);
	ASSERT_EQ(sim_roundtrip(self, 30000, 1, 0), 0);
	in_ns(self->ns_a);
	EXPECT_EQ(tls_counter("TlsTxDevice"), 0);
	EXPECT_EQ(tls_counter("TlsTxSw"), 1);
	EXPECT_EQ(eth_stat("sa", "tls_add_refused"), variant->tx_dev);
	in_ns(self->ns_b);
	EXPECT_EQ(tls_counter("TlsRxDevice"), 0);
	EXPECT_EQ(tls_counter("TlsRxSw"), 1);
	EXPECT_EQ(eth_stat("sb", "tls_add_refused"), variant->rx_dev);
}

/*
 * Lost, reordered and duplicated segments: the data still arrives intact,
 * and once the faults stop the receiving NIC decrypts again.
 */
static void wire_faults(struct __test_metadata *_metadata,
			struct _test_data_sim *self,
			const struct _fixture_variant_sim *variant,
			const char *knob, const char *val, const char *counter)
{
	long long dec;
	unsigned int i;

	in_ns(self->ns_a);
	ASSERT_EQ(knob_set("sa", knob, val), 0);
	ASSERT_EQ(sim_keys(self), 0);
	for (i = 0; i < 6; i++)
		ASSERT_EQ(sim_roundtrip(self, 20000 + i * 3000, i, 0), 0);
	in_ns(self->ns_a);
	ASSERT_EQ(knob_set("sa", knob, "0"), 0);
	in_ns(self->ns_b);
	dec = eth_stat("sb", "rx_tls_decrypted_packets");
	for (i = 0; i < 3; i++)
		ASSERT_EQ(sim_roundtrip(self, 20000, 9 + i, 0), 0);
	in_ns(self->ns_b);
	if (variant->rx_dev)
		EXPECT_GT(eth_stat("sb", "rx_tls_decrypted_packets"), dec)
			TH_LOG("RX offload did not resume after the faults");
	in_ns(self->ns_a);
	EXPECT_GT(eth_stat("sa", counter), 0);
	check_paths(_metadata, self, variant);
}

/*
 * The receiving NIC lost track of the records and found it again with the
 * core's help: the core called tls_dev_resync(RX) (TlsRxDeviceResync) and
 * the device took the answer.
 */
static void check_resynced(struct __test_metadata *_metadata,
			   struct _test_data_sim *self,
			   const struct _fixture_variant_sim *variant)
{
	if (!variant->rx_dev)
		return;
	in_ns(self->ns_b);
	EXPECT_GT(tls_counter("TlsRxDeviceResync"), 0);
	EXPECT_GT(eth_stat("sb", "rx_tls_resync_res_ok"), 0);
	in_ns(self->ns_a);
}

TEST_F(sim, drop)
{
	wire_faults(_metadata, self, variant, "drop_every", "7", "wire_dropped");
	check_resynced(_metadata, self, variant);
	in_ns(self->ns_a);
	/* Retransmissions are encrypted again from the record list. */
	if (variant->tx_dev)
		EXPECT_GT(eth_stat("sa", "tx_tls_ooo"), 0);
}

TEST_F(sim, reorder)
{
	wire_faults(_metadata, self, variant, "reorder_every", "5",
		    "wire_reordered");
	check_resynced(_metadata, self, variant);
}

TEST_F(sim, duplicate)
{
	wire_faults(_metadata, self, variant, "duplicate_every", "4",
		    "wire_duplicated");
}

/* A corrupted record fails authentication: never wrong plaintext. */
TEST_F(sim, corrupt)
{
	size_t len = 16000;
	unsigned char *out = malloc(len), *in = malloc(len);
	int ret;

	ASSERT_TRUE(out && in);
	in_ns(self->ns_a);
	ASSERT_EQ(knob_set("sa", "corrupt_every", "3"), 0);
	ASSERT_EQ(sim_keys(self), 0);
	pattern(out, len, 5);
	ASSERT_EQ(send_all(self->c, out, len, 0), 0);
	ret = recv(self->s, in, len, MSG_WAITALL);
	EXPECT_EQ(ret, -1);
	EXPECT_EQ(errno, EBADMSG);
	in_ns(self->ns_a);
	EXPECT_GT(eth_stat("sa", "wire_corrupted"), 0);
	in_ns(self->ns_b);
	EXPECT_EQ(tls_counter("TlsDecryptError"), 1);
	if (variant->rx_dev)
		EXPECT_GT(eth_stat("sb", "rx_tls_auth_fail"), 0);
	free(out);
	free(in);
}

/* Some segments left encrypted by the receiving NIC: mixed records. */
TEST_F(sim, rx_mixed)
{
	unsigned int i;

	if (!variant->rx_dev)
		SKIP(return, "RX is not offloaded in this variant");
	in_ns(self->ns_b);
	ASSERT_EQ(knob_set("sb", "rx_skip_every", "3"), 0);
	ASSERT_EQ(sim_keys(self), 0);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(sim_roundtrip(self, 30000, i, 0), 0);
	in_ns(self->ns_b);
	EXPECT_GT(eth_stat("sb", "rx_tls_skipped"), 0);
	check_paths(_metadata, self, variant);
}

/* The core's software fallback, called by the driver (tls_encrypt_skb). */
TEST_F(sim, tx_fallback)
{
	if (!variant->tx_dev)
		SKIP(return, "TX is not offloaded in this variant");
	in_ns(self->ns_a);
	ASSERT_EQ(knob_set("sa", "tx_fallback", "Y"), 0);
	ASSERT_EQ(sim_keys(self), 0);
	ASSERT_EQ(sim_roundtrip(self, 50000, 3, 0), 0);
	in_ns(self->ns_a);
	EXPECT_GT(eth_stat("sa", "tx_tls_fallback"), 0);
	EXPECT_EQ(eth_stat("sa", "tx_tls_encrypted_packets"), 0);
	EXPECT_EQ(tls_counter("TlsTxDevice"), 1);
}

/* ------------------------------------------------- sendfile zero-copy */

/* Write @len bytes of pattern @seed at the start of file @fd. */
static int file_fill(int fd, size_t len, unsigned int seed)
{
	unsigned char *buf = malloc(len);
	int ret = -1;

	if (buf) {
		pattern(buf, len, seed);
		ret = pwrite(fd, buf, len, 0) == (ssize_t)len ? 0 : -1;
	}
	free(buf);
	return ret;
}

/* A memfd (page cache) of @len bytes of pattern @seed, or -1. */
static int zc_file(size_t len, unsigned int seed)
{
	int fd = memfd_create("ktls-zc", MFD_CLOEXEC);

	if (fd >= 0 && file_fill(fd, len, seed)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int sendfile_all(int sock, int fd, size_t len)
{
	off_t off = 0;

	while ((size_t)off < len)
		if (sendfile(sock, fd, &off, len - off) <= 0)
			return -1;
	return 0;
}

/* Read @len bytes; return which of patterns 1 and 2 they are, or -errno. */
static int recv_which(int fd, size_t len)
{
	unsigned char *in = malloc(len), *want = malloc(len);
	int ret = -ENOMEM, seed;

	if (in && want)
		ret = recv_all(fd, in, len);
	for (seed = 1; !ret && seed <= 2; seed++) {
		pattern(want, len, seed);
		if (!memcmp(in, want, len))
			ret = seed;
	}
	free(in);
	free(want);
	return ret ? ret : -EILSEQ;
}

static int set_zc_ro(int fd, unsigned int on)
{
	return setsockopt(fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, &on, sizeof(on));
}

/* Byte-exact sendfile of @len bytes of pattern 1, with TLS_TX_ZEROCOPY_RO. */
static int zc_roundtrip(struct _test_data_sim *self, size_t len)
{
	int fd = zc_file(len, 1), ret = -1;

	in_ns(self->ns_a);
	if (fd >= 0 && !set_zc_ro(self->c, 1) &&
	    !sendfile_all(self->c, fd, len))
		ret = recv_which(self->s, len) == 1 ? 0 : -1;
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * TLS_TX_ZEROCOPY_RO as documented: the file is overwritten while TCP
 * still holds every segment of its sendfile. sa loses every payload
 * segment before its engine sees it (knob hold_tx) from before sendfile
 * until after the overwrite, so the NIC (or the fallback) first reads the
 * records, from the records list, when TCP sends them again: the file's
 * new bytes (pattern 2) if the list references the page cache, the old
 * ones (1) if it holds a copy. (Lost after encryption instead, drop_every,
 * a record's first segments would go out old and its later ones new: the
 * mixed record the option's promise is there to rule out.) A large send
 * buffer keeps sendfile from waiting for ACKs.
 * @reroute: reroute_add() was called; the route changes before the wire
 * is mended, so the retransmissions leave through va (the fallback).
 * Return: the pattern the peer read, or a negative error.
 */
static int held_sendfile(struct _test_data_sim *self, size_t len,
			 unsigned int zc, bool reroute)
{
	int fd = zc_file(len, 1), big = 4 << 20, ret = -1;

	in_ns(self->ns_a);
	if (fd < 0 || set_zc_ro(self->c, zc) ||
	    setsockopt(self->c, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big)) ||
	    knob_set("sa", "hold_tx", "Y"))
		goto out;
	ret = sendfile_all(self->c, fd, len);
	if (!ret)
		ret = file_fill(fd, len, 2);
	if (!ret && reroute)
		ret = route_add("10.77.0.2", "10.78.0.2", "va");
	if (knob_set("sa", "hold_tx", "N"))
		ret = -1;
	if (!ret)
		ret = recv_which(self->s, len);
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Five records and a part, by reference, checked byte for byte. */
#define ZC_LEN	(5 * 16384 + 1234)

/*
 * sendfile with TLS_TX_ZEROCOPY_RO on an offloaded socket: the records
 * interleave their own header, type and tag with the page cache pages
 * they reference. Byte-exact first; then held and overwritten, which only
 * a sender that did not copy the file turns into the new bytes.
 */
TEST_F(sim, sendfile_zc)
{
	if (!variant->tx_dev)
		SKIP(return, "TX is not offloaded in this variant");
	ASSERT_EQ(sim_keys(self), 0);
	ASSERT_EQ(zc_roundtrip(self, ZC_LEN), 0);
	ASSERT_EQ(zc_roundtrip(self, 100), 0);
	EXPECT_EQ(held_sendfile(self, ZC_LEN, 1, false), 2);
	check_paths(_metadata, self, variant);
}

/*
 * The read-only promise, both ways on one socket: a record's worth held
 * by TCP while the file changes goes out as it was without the option
 * (copied at sendfile) and as it is now with it (read at transmit).
 */
TEST_F(sim, sendfile_ro)
{
	if (!variant->tx_dev)
		SKIP(return, "TX is not offloaded in this variant");
	ASSERT_EQ(sim_keys(self), 0);
	EXPECT_EQ(held_sendfile(self, 16384, 0, false), 1);
	EXPECT_EQ(held_sendfile(self, 16384, 1, false), 2);
	check_paths(_metadata, self, variant);
}

/* The driver's software fallback encrypts records that reference pages. */
TEST_F(sim, sendfile_zc_fallback)
{
	if (!variant->tx_dev)
		SKIP(return, "TX is not offloaded in this variant");
	in_ns(self->ns_a);
	ASSERT_EQ(knob_set("sa", "tx_fallback", "Y"), 0);
	ASSERT_EQ(sim_keys(self), 0);
	ASSERT_EQ(zc_roundtrip(self, ZC_LEN), 0);
	EXPECT_EQ(held_sendfile(self, ZC_LEN, 1, false), 2);
	in_ns(self->ns_a);
	EXPECT_GT(eth_stat("sa", "tx_tls_fallback"), 0);
	EXPECT_EQ(eth_stat("sa", "tx_tls_encrypted_packets"), 0);
	in_ns(self->ns_b);
	EXPECT_EQ(tls_counter("TlsDecryptError"), 0);
}

static int if_down(const char *name)
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (if_ioctl(SIOCGIFFLAGS, &ifr))
		return -1;
	ifr.ifr_flags &= ~IFF_UP;
	return if_ioctl(SIOCSIFFLAGS, &ifr);
}

/*
 * The NIC goes down and up under a live offloaded socket. The core
 * releases the device's context (tls_dev_del) and from then on encrypts
 * every segment in software, and must stop presenting the socket as
 * offloaded: a driver that takes the socket hook's word alone, as mlx5
 * does (knob trust_hook), would otherwise look for the state it freed.
 */
TEST_F(sim, down_up)
{
	static const size_t sizes[] = { 1, 1000, 16384, 40000 };
	long long enc;
	unsigned int i;

	if (!variant->tx_dev)
		SKIP(return, "TX offload is off in this variant");
	ASSERT_EQ(sim_keys(self), 0);
	ASSERT_EQ(sim_roundtrip(self, 30000, 1, 0), 0);
	in_ns(self->ns_a);
	ASSERT_EQ(knob_set("sa", "trust_hook", "1"), 0);
	ASSERT_EQ(if_down("sa"), 0);
	ASSERT_EQ(if_up("sa", NULL), 0);
	EXPECT_EQ(eth_stat("sa", "tx_tls_del"), 1);
	enc = eth_stat("sa", "tx_tls_encrypted_packets");
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		ASSERT_EQ(sim_roundtrip(self, sizes[i], 10 + i, i % 2 ? MSG_MORE : 0), 0)
			TH_LOG("size %zu", sizes[i]);
	in_ns(self->ns_a);
	EXPECT_EQ(eth_stat("sa", "tx_tls_after_del"), 0);
	EXPECT_EQ(eth_stat("sa", "tx_tls_encrypted_packets"), enc);
	EXPECT_EQ(tls_counter("TlsCurrTxDevice"), 1);
	in_ns(self->ns_b);
	EXPECT_EQ(tls_counter("TlsDecryptError"), 0);
	in_ns(self->ns_a);
}

/*
 * A second path A - B: the veth pair va (10.78.0.1, A) - vb (10.78.0.2, B),
 * and B's route back to 10.77.0.1 through it, so that the ACKs take it too.
 * The caller reroutes A (10.77.0.2 via 10.78.0.2 dev va) when it chooses.
 */
static void reroute_add(struct __test_metadata *_metadata,
			struct _test_data_sim *self)
{
	static const char * const rpf[] = {
		"/proc/sys/net/ipv4/conf/all/rp_filter",
		"/proc/sys/net/ipv4/conf/default/rp_filter",
	};
	int err, i;

	/*
	 * Until both ends are rerouted, segments come in on one pair while
	 * the replies go out through the other: no reverse path filter.
	 */
	for (i = 0; i < 2; i++) {
		in_ns(i ? self->ns_b : self->ns_a);
		ASSERT_EQ(write_str(rpf[0], "0"), 0);
		ASSERT_EQ(write_str(rpf[1], "0"), 0);
	}
	in_ns(self->ns_a);
	err = pair_add("veth", "va", "vb", self->ns_b);
	if (err == -EOPNOTSUPP) {
		/* No module autoload in this guest: load it by hand. */
		if (system("modprobe veth"))
			TH_LOG("modprobe veth failed");
		err = pair_add("veth", "va", "vb", self->ns_b);
	}
	ASSERT_EQ(err, 0);
	ASSERT_EQ(if_up24("va", "10.78.0.1"), 0);
	in_ns(self->ns_b);
	ASSERT_EQ(if_up24("vb", "10.78.0.2"), 0);
	ASSERT_EQ(route_add("10.77.0.1", "10.78.0.1", "vb"), 0);
	in_ns(self->ns_a);
}

/*
 * Reroute: an offloaded socket whose segments leave through a device that
 * does not hold its key (veth, no TLS offload at all). tls_validate_xmit_skb
 * must encrypt each of them in software on its way out, from any offset in
 * a record, retransmissions of segments the NIC had sent included. Were the
 * fallback missing, plaintext records would reach B's software RX, fail
 * authentication (EBADMSG, TlsDecryptError) and the roundtrips fail; were
 * the segments still leaving through sa, its counters would grow.
 */
TEST_F(sim, reroute)
{
	static const size_t sizes[] = { 1, 1000, 16384, 40000, 65536 };
	static unsigned char out[20000], in[20000];
	socklen_t tl = sizeof(struct tcp_info);
	long long enc, va_tx;
	struct tcp_info ti;
	unsigned int i;

	if (!variant->tx_dev)
		SKIP(return, "TX is not offloaded in this variant");
	ASSERT_EQ(sim_keys(self), 0);
	ASSERT_EQ(sim_roundtrip(self, 30000, 1, 0), 0);
	in_ns(self->ns_a);
	ASSERT_EQ(tls_counter("TlsTxDevice"), 1);
	enc = eth_stat("sa", "tx_tls_encrypted_packets");
	ASSERT_GT(enc, 0);

	reroute_add(_metadata, self);

	/*
	 * Segments that sa encrypts and loses, then the reroute: only their
	 * retransmissions through va can bring the data to B.
	 */
	in_ns(self->ns_a);
	ASSERT_EQ(knob_set("sa", "drop_every", "1"), 0);
	pattern(out, sizeof(out), 2);
	ASSERT_EQ(send_all(self->c, out, sizeof(out), 0), 0);
	ASSERT_EQ(route_add("10.77.0.2", "10.78.0.2", "va"), 0);
	ASSERT_EQ(knob_set("sa", "drop_every", "0"), 0);
	EXPECT_GT(eth_stat("sa", "wire_dropped"), 0);
	EXPECT_GT(eth_stat("sa", "tx_tls_encrypted_packets"), enc);
	enc = eth_stat("sa", "tx_tls_encrypted_packets");
	va_tx = dev_tx_packets("va");
	ASSERT_GE(va_tx, 0);
	ASSERT_EQ(recv_all(self->s, in, sizeof(in)), 0);
	ASSERT_EQ(memcmp(in, out, sizeof(out)), 0);

	/* New data through va, at every offset sizes and MSG_MORE give. */
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		ASSERT_EQ(sim_roundtrip(self, sizes[i], 10 + i, 0), 0)
			TH_LOG("size %zu", sizes[i]);
	for (i = 0; i < 10; i++)
		ASSERT_EQ(sim_roundtrip(self, 100 + i * 997, 20 + i, MSG_MORE), 0)
			TH_LOG("MSG_MORE %u", 100 + i * 997);

	in_ns(self->ns_a);
	ASSERT_EQ(getsockopt(self->c, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
	EXPECT_GT(ti.tcpi_total_retrans, 0U);
	EXPECT_EQ(eth_stat("sa", "tx_tls_encrypted_packets"), enc);
	EXPECT_EQ(eth_stat("sa", "tx_tls_drop_err"), 0);
	EXPECT_GT(dev_tx_packets("va"), va_tx);
	EXPECT_EQ(tls_counter("TlsTxDevice"), 1);
	EXPECT_EQ(tls_counter("TlsCurrTxDevice"), 1);
	in_ns(self->ns_b);
	EXPECT_EQ(tls_counter("TlsDecryptError"), 0);
}

/*
 * Reroute with referenced records: segments of a held sendfile that sa
 * lost are retransmitted through va, encrypted by tls_validate_xmit_skb's
 * fallback from the records list, which still names the page cache.
 */
TEST_F(sim, sendfile_zc_reroute)
{
	long long enc;

	if (!variant->tx_dev)
		SKIP(return, "TX is not offloaded in this variant");
	ASSERT_EQ(sim_keys(self), 0);
	ASSERT_EQ(zc_roundtrip(self, ZC_LEN), 0);
	reroute_add(_metadata, self);
	in_ns(self->ns_a);
	enc = eth_stat("sa", "tx_tls_encrypted_packets");
	EXPECT_EQ(held_sendfile(self, ZC_LEN, 1, true), 2);
	ASSERT_EQ(zc_roundtrip(self, ZC_LEN), 0);
	in_ns(self->ns_a);
	EXPECT_GT(dev_tx_packets("va"), 0);
	EXPECT_GE(eth_stat("sa", "tx_tls_encrypted_packets"), enc);
	EXPECT_EQ(tls_counter("TlsCurrTxDevice"), 1);
	in_ns(self->ns_b);
	EXPECT_EQ(tls_counter("TlsDecryptError"), 0);
}

/*
 * Hot-unplug of the NIC under live offloaded sockets: the core releases
 * the device contexts (tls_dev_del) and the sockets go on in software;
 * sending and closing must neither hang nor touch freed driver state.
 */
TEST_F(sim, unplug_live)
{
	int i;

	ASSERT_EQ(sim_keys(self), 0);
	ASSERT_EQ(sim_roundtrip(self, 30000, 1, 0), 0);
	in_ns(self->ns_a);
	ASSERT_EQ(knob_set("sa", "unplug", "1"), 0);
	for (i = 0; i < 200 && if_nametoindex("sa"); i++)
		usleep(50000);
	ASSERT_EQ(if_nametoindex("sa"), 0);
	EXPECT_EQ(send(self->c, "after", 5, 0), 5);
	/* No route left: a graceful close would keep retrying its FIN. */
	ctrl_close_now(self->c);
	ctrl_close_now(self->s);
	self->c = -1;
	self->s = -1;
}

/*
 * Segments lost with the receiving NIC in RX resync mode @mode (sb's knob
 * rx_resync, read when the key is installed): 60000-byte rounds (four
 * records) lose every 5th segment, some holding a header, so the device
 * loses the record boundaries; the data must arrive intact, the device
 * and the core must resync, and once the losses stop the device must
 * decrypt again.
 */
static void resync_mode(struct __test_metadata *_metadata,
			struct _test_data_sim *self,
			const struct _fixture_variant_sim *variant,
			const char *mode)
{
	long long dec;
	unsigned int i;

	in_ns(self->ns_b);
	ASSERT_EQ(knob_set("sb", "rx_resync", mode), 0);
	ASSERT_EQ(sim_keys(self), 0);
	ASSERT_EQ(sim_roundtrip(self, 60000, 0, 0), 0);
	in_ns(self->ns_a);
	ASSERT_EQ(knob_set("sa", "drop_every", "5"), 0);
	for (i = 0; i < 6; i++)
		ASSERT_EQ(sim_roundtrip(self, 60000, 1 + i, 0), 0);
	in_ns(self->ns_a);
	ASSERT_EQ(knob_set("sa", "drop_every", "0"), 0);
	EXPECT_GT(eth_stat("sa", "wire_dropped"), 0);
	in_ns(self->ns_b);
	dec = eth_stat("sb", "rx_tls_decrypted_packets");
	for (i = 0; i < 6; i++)
		ASSERT_EQ(sim_roundtrip(self, 60000, 10 + i, 0), 0);
	in_ns(self->ns_b);
	EXPECT_GT(eth_stat("sb", "rx_tls_decrypted_packets"), dec)
		TH_LOG("RX offload did not resume after the losses");
	EXPECT_EQ(eth_stat("sb", "rx_tls_err"), 0);
	check_resynced(_metadata, self, variant);
	check_paths(_metadata, self, variant);
}

/* The device asks (header + 4), the core answers when it parses it. */
TEST_F_TIMEOUT(sim, resync_driver_req, 120)
{
	if (!variant->rx_dev)
		SKIP(return, "RX is not offloaded in this variant");
	resync_mode(_metadata, self, variant, "0");
	in_ns(self->ns_b);
	EXPECT_GT(eth_stat("sb", "rx_tls_resync_req_pkt"), 0);
	EXPECT_EQ(eth_stat("sb", "rx_tls_resync_req_start"), 0);
}

/*
 * The device never asks: the core counts records that came undecrypted
 * and names the start of a record to come (tls_dev_resync at its first
 * byte) with its number; the device resumes there.
 */
TEST_F_TIMEOUT(sim, resync_core_nh, 120)
{
	if (!variant->rx_dev)
		SKIP(return, "RX is not offloaded in this variant");
	resync_mode(_metadata, self, variant, "1");
	in_ns(self->ns_b);
	EXPECT_EQ(eth_stat("sb", "rx_tls_resync_req_pkt"), 0);
	EXPECT_EQ(eth_stat("sb", "rx_tls_resync_req_start"), 0);
}

/*
 * As mlx5: a candidate header starts an async request (the core logs the
 * headers it parses from there), the next header of the chain ends it
 * with the candidate's sequence number, and the core answers with that
 * record's number, counted back over the records logged since.
 */
TEST_F_TIMEOUT(sim, resync_async, 120)
{
	if (!variant->rx_dev)
		SKIP(return, "RX is not offloaded in this variant");
	resync_mode(_metadata, self, variant, "2");
	in_ns(self->ns_b);
	EXPECT_GT(eth_stat("sb", "rx_tls_resync_req_start"), 0);
	EXPECT_GT(eth_stat("sb", "rx_tls_resync_req_end"), 0);
}

/* sock_diag reports hw for each offloaded direction, sw for the others. */
TEST_F(sim, diag_conf)
{
	struct ulp_report r;

	ASSERT_EQ(sim_keys(self), 0);
	in_ns(self->ns_a);
	ASSERT_EQ(diag_query(self->c, AF_INET, &r), 0);
	ASSERT_TRUE(r.has_tls);
	EXPECT_EQ(r.u16v[TLS_INFO_TXCONF],
		  variant->tx_dev ? TLS_CONF_HW : TLS_CONF_SW);
	EXPECT_EQ(r.u16v[TLS_INFO_RXCONF], TLS_CONF_BASE);
	in_ns(self->ns_b);
	ASSERT_EQ(diag_query(self->s, AF_INET, &r), 0);
	ASSERT_TRUE(r.has_tls);
	EXPECT_EQ(r.u16v[TLS_INFO_RXCONF],
		  variant->rx_dev ? TLS_CONF_HW : TLS_CONF_SW);
	EXPECT_EQ(r.u16v[TLS_INFO_TXCONF], TLS_CONF_BASE);
	in_ns(self->ns_a);
}

/*
 * TLS_RX_EXPECT_NO_PAD on the server's RX, offloaded or not: TLS 1.3 takes
 * it (records the NIC decrypted go the copy path, the rest may be
 * decrypted into the reader's buffer) and the data still reads back;
 * TLS 1.2 refuses it, offloaded or not.
 */
TEST_F(sim, rx_expect_no_pad)
{
	unsigned int one = 1, val = 0;
	socklen_t len = sizeof(val);
	int rc;

	ASSERT_EQ(sim_keys(self), 0);
	rc = setsockopt(self->s, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &one,
			sizeof(one));
	if (variant->version == TLS_1_2_VERSION) {
		EXPECT_EQ(rc, -1);
		EXPECT_EQ(errno, EINVAL);
	} else {
		ASSERT_EQ(rc, 0) TH_LOG("set: %s", strerror(errno));
		ASSERT_EQ(getsockopt(self->s, SOL_TLS, TLS_RX_EXPECT_NO_PAD,
				     &val, &len), 0);
		EXPECT_EQ(val, 1);
	}
	ASSERT_EQ(sim_roundtrip(self, 40000, 7, 0), 0);
	check_paths(_metadata, self, variant);
}

/* Send @len bytes of pattern @seed on @from, read them back on @to. */
static int sim_xfer(int from, int to, size_t len, unsigned int seed)
{
	unsigned char *out = malloc(len), *in = malloc(len);
	int ret = -ENOMEM;

	if (out && in) {
		pattern(out, len, seed);
		ret = send_all(from, out, len, 0) ? -errno : recv_all(to, in, len);
		if (!ret && memcmp(in, out, len))
			ret = -EILSEQ;
	}
	free(out);
	free(in);
	return ret;
}

/* Wait up to 5 s for the peer to have acked everything sent on @fd. */
static int wait_acked(int fd)
{
	int i, outq = -1;

	for (i = 0; i < 100; i++) {
		if (ioctl(fd, SIOCOUTQ, &outq) || !outq)
			break;
		usleep(50000);
	}
	return outq;
}

/*
 * rmmod ktls_sim under live sockets offloaded in both directions on both
 * ends (the reverse keys go through sb's TX and sa's RX offload, on in
 * every variant): unregistering its devices makes the core release every
 * context, and the sockets go on in software. Records the NICs received
 * (and decrypted) before the unload must still read back intact; sending,
 * receiving and closing afterwards must neither hang nor crash. Then the
 * module loads again and offloads a new connection.
 */
TEST_F_TIMEOUT(sim, rmmod_live, 60)
{
	union ctrl_crypto back;
	unsigned char *out = malloc(30000), *in = malloc(30000);
	char buf[16];
	int back_len;

	ASSERT_TRUE(out && in);
	if (access(SIM_KO, R_OK))
		SKIP(return, "no %s to load it again", SIM_KO);
	back_len = ctrl_crypto_fill(&back, variant->version, variant->cipher,
				    0x32);
	ASSERT_EQ(sim_keys(self), 0);
	ASSERT_EQ(setsockopt(self->s, SOL_TLS, TLS_TX, &back, back_len), 0);
	ASSERT_EQ(setsockopt(self->c, SOL_TLS, TLS_RX, &back, back_len), 0);
	ASSERT_EQ(sim_xfer(self->c, self->s, 30000, 1), 0);
	ASSERT_EQ(sim_xfer(self->s, self->c, 30000, 2), 0);

	/* In flight both ways, received but not read, at the unload. */
	pattern(out, 30000, 3);
	ASSERT_EQ(send_all(self->c, out, 30000, 0), 0);
	ASSERT_EQ(send_all(self->s, out, 30000, 0), 0);
	ASSERT_EQ(wait_acked(self->c), 0);
	ASSERT_EQ(wait_acked(self->s), 0);
	ASSERT_EQ(syscall(__NR_delete_module, "ktls_sim", O_NONBLOCK), 0)
		TH_LOG("rmmod ktls_sim: %s", strerror(errno));
	self->reload = true;
	in_ns(self->ns_a);
	EXPECT_EQ(if_nametoindex("sa"), 0U);

	ASSERT_EQ(recv_all(self->s, in, 30000), 0);
	EXPECT_EQ(memcmp(in, out, 30000), 0);
	ASSERT_EQ(recv_all(self->c, in, 30000), 0);
	EXPECT_EQ(memcmp(in, out, 30000), 0);
	/* No device, no route: queued, never delivered. */
	EXPECT_EQ(send(self->c, "after", 5, 0), 5);
	EXPECT_EQ(send(self->s, "after", 5, 0), 5);
	EXPECT_EQ(recv(self->s, buf, sizeof(buf), MSG_DONTWAIT), -1);
	EXPECT_EQ(errno, EAGAIN);
	ctrl_close_now(self->c);
	ctrl_close_now(self->s);
	self->c = -1;
	self->s = -1;

	ASSERT_EQ(sim_load(), 0);
	self->reload = false;
	sim_open(_metadata, self, variant);
	ASSERT_EQ(sim_keys(self), 0);
	ASSERT_EQ(sim_roundtrip(self, 30000, 4, 0), 0);
	in_ns(self->ns_a);
	EXPECT_EQ(eth_stat("sa", "tx_tls_ctx"), variant->tx_dev);
	in_ns(self->ns_b);
	EXPECT_EQ(eth_stat("sb", "rx_tls_ctx"), variant->rx_dev);
	EXPECT_EQ(eth_stat("sb", "rx_tls_decrypted_packets") > 0,
		  variant->rx_dev);
	in_ns(self->ns_a);
	free(out);
	free(in);
}

/* Knob tls13 of both ends: whether they declare TLS 1.3 to the core. */
static int sim_tls13_knob(struct _test_data_sim *self, const char *val)
{
	int ret;

	in_ns(self->ns_a);
	ret = knob_set("sa", "tls13", val);
	in_ns(self->ns_b);
	ret = ret ?: knob_set("sb", "tls13", val);
	in_ns(self->ns_a);
	return ret;
}

/* A new connection in place of the fixture's: ULP on, keys not installed. */
static void sim_reconnect(struct __test_metadata *_metadata,
			  struct _test_data_sim *self, unsigned short version,
			  unsigned short cipher, unsigned char seed)
{
	struct timeval tv = { .tv_sec = 10 };

	ctrl_close_now(self->c);
	ctrl_close_now(self->s);
	ASSERT_EQ(sim_connect(self->ns_a, self->ns_b, &self->c, &self->s), 0);
	setsockopt(self->s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ASSERT_EQ(ctrl_attach(self->c), 0);
	ASSERT_EQ(ctrl_attach(self->s), 0);
	self->key_len = ctrl_crypto_fill(&self->key, version, cipher, seed);
}

/*
 * How many sockets of each end went to the device and to software, and
 * that the devices refused none: the core offers them only what they
 * declared.
 */
static void check_split(struct __test_metadata *_metadata,
			struct _test_data_sim *self,
			int tx_dev, int tx_sw, int rx_dev, int rx_sw)
{
	in_ns(self->ns_a);
	EXPECT_EQ(tls_counter("TlsTxDevice"), tx_dev);
	EXPECT_EQ(tls_counter("TlsTxSw"), tx_sw);
	EXPECT_EQ(eth_stat("sa", "tx_tls_ctx"), tx_dev);
	EXPECT_EQ(eth_stat("sa", "tls_add_unsupported"), 0);
	in_ns(self->ns_b);
	EXPECT_EQ(tls_counter("TlsRxDevice"), rx_dev);
	EXPECT_EQ(tls_counter("TlsRxSw"), rx_sw);
	EXPECT_EQ(eth_stat("sb", "rx_tls_ctx"), rx_dev);
	EXPECT_EQ(eth_stat("sb", "tls_add_unsupported"), 0);
	EXPECT_EQ(tls_counter("TlsDecryptError"), 0);
	in_ns(self->ns_a);
}

/*
 * What NICs are not given stays in software, even on an offload-capable
 * device: TLS 1.3 on devices that took their declaration back (knob
 * tls13), ciphers other than AES-GCM on any.
 */
TEST_F(sim, sw_only_suites)
{
	static const struct {
		unsigned short version, cipher;
	} suites[] = {
		{ TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128 },
		{ TLS_1_2_VERSION, TLS_CIPHER_AES_CCM_128 },
		{ TLS_1_2_VERSION, TLS_CIPHER_CHACHA20_POLY1305 },
	};
	int n = ARRAY_SIZE(suites);
	unsigned int i;

	ASSERT_EQ(sim_tls13_knob(self, "0"), 0);
	for (i = 0; i < ARRAY_SIZE(suites); i++) {
		sim_reconnect(_metadata, self, suites[i].version,
			      suites[i].cipher, 0x40 + i);
		ASSERT_EQ(sim_keys(self), 0);
		ASSERT_EQ(sim_roundtrip(self, 20000, i, 0), 0)
			TH_LOG("suite %u", i);
	}
	check_split(_metadata, self, 0, n, 0, n);
}

/*
 * Devices that took TLS 1.3 back (knob tls13 off on both ends) are not
 * offered a TLS 1.3 socket: both directions stay in software, and the
 * data goes through. Declared again, a new connection is offloaded as
 * the variant says.
 */
TEST_F(sim, tls13_not_opted_in)
{
	int tx = variant->tx_dev, rx = variant->rx_dev;

	ASSERT_EQ(sim_tls13_knob(self, "0"), 0);
	sim_reconnect(_metadata, self, TLS_1_3_VERSION, variant->cipher, 0x50);
	ASSERT_EQ(sim_keys(self), 0);
	ASSERT_EQ(sim_roundtrip(self, 30000, 1, 0), 0);
	check_split(_metadata, self, 0, 1, 0, 1);

	ASSERT_EQ(sim_tls13_knob(self, "1"), 0);
	sim_reconnect(_metadata, self, TLS_1_3_VERSION, variant->cipher, 0x51);
	ASSERT_EQ(sim_keys(self), 0);
	ASSERT_EQ(sim_roundtrip(self, 30000, 2, 0), 0);
	check_split(_metadata, self, tx, 1 + !tx, rx, 1 + !rx);
	in_ns(self->ns_b);
	EXPECT_EQ(eth_stat("sb", "rx_tls_decrypted_packets") > 0, rx);
	in_ns(self->ns_a);
	EXPECT_EQ(eth_stat("sa", "tx_tls_encrypted_packets") > 0, tx);
}

/* --------------------------------------------------------- wire capture */

struct stream {
	unsigned char *buf;	/* the client's byte stream, from its first data byte */
	size_t cap;
	size_t len;
	__u32 start;
	bool started;
};

/*
 * Place the payload of each captured client->server segment at its offset.
 * The capture starts before the first data byte is sent, so the lowest
 * sequence number seen is where the TLS stream starts.
 */
static int capture_drain(int pfd, struct stream *st)
{
	static unsigned char pkt[70000];
	ssize_t n;

	while ((n = recv(pfd, pkt, sizeof(pkt), MSG_DONTWAIT)) > 0) {
		struct iphdr *ip = (struct iphdr *)pkt;
		size_t hl, plen, off;
		struct tcphdr *th;
		__u32 seq;

		if (n < (ssize_t)sizeof(*ip) || ip->protocol != IPPROTO_TCP)
			continue;
		th = (struct tcphdr *)(pkt + ip->ihl * 4);
		hl = ip->ihl * 4 + th->doff * 4;
		if (ntohs(th->dest) != SIM_PORT || ntohs(ip->tot_len) <= hl)
			continue;
		plen = ntohs(ip->tot_len) - hl;
		seq = ntohl(th->seq);
		if (!st->started) {
			st->start = seq;
			st->started = true;
		}
		/* Anything before the start would be a bug of this test. */
		if ((__s32)(seq - st->start) < 0)
			return -1;
		off = seq - st->start;
		if (off + plen > st->cap)
			return -1;
		memcpy(st->buf + off, pkt + hl, plen);
		if (off + plen > st->len)
			st->len = off + plen;
	}
	return 0;
}

/* AES-GCM key material of @c (both sizes: iv, key, salt, rec_seq). */
struct gcm_key {
	const EVP_CIPHER *cipher;
	const unsigned char *key, *salt, *iv, *rec_seq;
	bool tls13;
	size_t prepend;		/* header and explicit nonce */
};

static void gcm_key_of(const union ctrl_crypto *c, struct gcm_key *g)
{
	const struct tls12_crypto_info_aes_gcm_256 *k256 = &c->aes_gcm_256;
	const struct tls12_crypto_info_aes_gcm_128 *k128 = &c->aes_gcm_128;
	bool is256 = c->info.cipher_type == TLS_CIPHER_AES_GCM_256;

	g->cipher = is256 ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
	g->key = is256 ? k256->key : k128->key;
	g->salt = is256 ? k256->salt : k128->salt;
	g->iv = is256 ? k256->iv : k128->iv;
	g->rec_seq = is256 ? k256->rec_seq : k128->rec_seq;
	g->tls13 = c->info.version == TLS_1_3_VERSION;
	g->prepend = g->tls13 ? 5 : 13;
}

static __u64 be64_at(const unsigned char *p)
{
	__u64 v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Nonce and AAD of record @sn, whose header (and TLS 1.2 explicit nonce)
 * is at @rec and whose ciphertext without tag is @clen bytes; returns the
 * AAD size. Written from RFC 5246 6.2.3.3 and RFC 8446 5.2-5.3, not from
 * the module or the emulator.
 */
static int rec_nonce_aad(const struct gcm_key *g, const unsigned char *rec,
			 __u64 sn, size_t clen, unsigned char *iv,
			 unsigned char *aad)
{
	int i;

	memcpy(iv, g->salt, 4);
	if (g->tls13) {
		for (i = 0; i < 8; i++)
			iv[4 + i] = g->iv[i] ^ (unsigned char)(sn >> (56 - 8 * i));
		memcpy(aad, rec, 5);
		return 5;
	}
	memcpy(iv + 4, rec + 5, 8);
	for (i = 0; i < 8; i++)
		aad[i] = sn >> (56 - 8 * i);
	memcpy(aad + 8, rec, 3);
	aad[11] = clen >> 8;
	aad[12] = clen;
	return 13;
}

/*
 * Authenticate and decrypt record @sn at @w (@len bytes after the header)
 * into @plain. Returns its content length and type, or -1. TLS 1.3: the
 * type is the last non-zero byte of the plaintext, zeros after it padding.
 */
static long open_one(const struct gcm_key *g, const unsigned char *w,
		     size_t len, __u64 sn, unsigned char *plain, int *type)
{
	size_t clen = len + 5 - g->prepend - 16;
	unsigned char iv[12], aad[13];
	EVP_CIPHER_CTX *ctx;
	int n, ok, alen;

	if (len + 5 < g->prepend + 16)
		return -1;
	alen = rec_nonce_aad(g, w, sn, clen, iv, aad);
	ctx = EVP_CIPHER_CTX_new();
	ok = ctx && EVP_DecryptInit_ex(ctx, g->cipher, NULL, g->key, iv) &&
	     EVP_DecryptUpdate(ctx, NULL, &n, aad, alen) &&
	     EVP_DecryptUpdate(ctx, plain, &n, w + g->prepend, clen) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16,
				 (void *)(w + g->prepend + clen)) &&
	     EVP_DecryptFinal_ex(ctx, plain + n, &n);
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		return -1;
	*type = w[0];
	if (!g->tls13)
		return clen;
	while (clen && !plain[clen - 1])
		clen--;
	if (!clen)
		return -1;
	*type = plain[--clen];
	return clen;
}

/*
 * Decrypt a captured stream: under @keys[0] first, under the next key
 * after each record that carries a KeyUpdate message (TLS 1.3). Data
 * records go to @plain; returns its length, or -1 if any record does not
 * open under the key it must be under, or is of another type. Independent
 * of the module: the key schedule is the test's own list.
 */
static long open_stream(const union ctrl_crypto *keys, int nkeys,
			const unsigned char *w, size_t wlen,
			unsigned char *plain)
{
	static unsigned char rec[16384 + 256];
	size_t pos = 0, out = 0;
	struct gcm_key g;
	int gen = 0, type;
	__u64 sn;
	long n;

	gcm_key_of(&keys[0], &g);
	sn = be64_at(g.rec_seq);
	while (pos + 5 <= wlen) {
		size_t len = w[pos + 3] << 8 | w[pos + 4];

		/* TLS 1.3 records say type 23 and version 1.2 outside too. */
		if (w[pos] != 23 || w[pos + 1] != 3 || w[pos + 2] != 3 ||
		    len > sizeof(rec) || pos + 5 + len > wlen)
			return -1;
		n = open_one(&g, w + pos, len, sn++, rec, &type);
		if (n < 0)
			return -1;
		pos += 5 + len;
		if (type == 23) {
			memcpy(plain + out, rec, n);
			out += n;
			continue;
		}
		if (type != 22 || rec[0] != 24 || ++gen >= nkeys)
			return -1;
		gcm_key_of(&keys[gen], &g);
		sn = be64_at(g.rec_seq);
	}
	return pos == wlen ? (long)out : -1;
}

/* A capture socket on sb: it sees the segments as they come off the wire. */
static int capture_open(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int pfd, rcvbuf = 1 << 22;

	pfd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (pfd < 0)
		return -1;
	setsockopt(pfd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	sll.sll_ifindex = if_nametoindex("sb");
	if (bind(pfd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(pfd);
		return -1;
	}
	return pfd;
}

/* What crossed the wire decrypts with OpenSSL to what was sent. */
TEST_F(sim, wire_capture)
{
	static const size_t sizes[] = { 1, 100, 5000, 16384, 20000 };
	size_t total = 0, wire, i, off = 0;
	unsigned char *sent, *got, *plain;
	struct stream st = {};
	int pfd;

	if (variant->rx_dev)
		SKIP(return, "the receiving NIC would show plaintext");
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		total += sizes[i];
	wire = total + (total / 16384 + 5) * 29 + 64;
	sent = malloc(total);
	got = malloc(total);
	plain = malloc(wire);
	st.cap = wire;
	st.buf = calloc(1, wire);
	ASSERT_TRUE(sent && got && plain && st.buf);

	in_ns(self->ns_b);
	pfd = capture_open();
	ASSERT_GE(pfd, 0);
	ASSERT_EQ(sim_keys(self), 0);
	pattern(sent, total, 77);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		ASSERT_EQ(send_all(self->c, sent + off, sizes[i], 0), 0);
		off += sizes[i];
	}
	ASSERT_EQ(recv_all(self->s, got, total), 0);
	ASSERT_EQ(memcmp(got, sent, total), 0);

	ASSERT_EQ(capture_drain(pfd, &st), 0);
	ASSERT_EQ(open_stream(&self->key, 1, st.buf, st.len, plain), (long)total);
	ASSERT_EQ(memcmp(plain, sent, total), 0);
	in_ns(self->ns_a);
	if (variant->tx_dev)
		EXPECT_GT(eth_stat("sa", "tx_tls_encrypted_packets"), 0);
	close(pfd);
	free(sent);
	free(got);
	free(plain);
	free(st.buf);
}

/*
 * Seal @plen bytes of content type @type as record @sn into @w; returns
 * the record's size or -1. The TLS 1.2 explicit nonce is the record
 * number, as many stacks choose it.
 */
static long seal_one(const struct gcm_key *g, unsigned char type,
		     const void *plain, size_t plen, __u64 sn, unsigned char *w)
{
	size_t clen = plen + g->tls13, len = g->prepend - 5 + clen + 16;
	unsigned char iv[12], aad[13], *c = w + g->prepend;
	EVP_CIPHER_CTX *ctx;
	int i, n, ok, alen;

	w[0] = g->tls13 ? 23 : type;
	w[1] = 3;
	w[2] = 3;
	w[3] = len >> 8;
	w[4] = len;
	for (i = 0; i < 8 && !g->tls13; i++)
		w[5 + i] = sn >> (56 - 8 * i);
	if (plen)
		memcpy(c, plain, plen);
	if (g->tls13)
		c[plen] = type;
	alen = rec_nonce_aad(g, w, sn, clen, iv, aad);
	ctx = EVP_CIPHER_CTX_new();
	ok = ctx && EVP_EncryptInit_ex(ctx, g->cipher, NULL, g->key, iv) &&
	     EVP_EncryptUpdate(ctx, NULL, &n, aad, alen) &&
	     EVP_EncryptUpdate(ctx, c, &n, c, clen) &&
	     EVP_EncryptFinal_ex(ctx, c + n, &n) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, c + clen);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? (long)(5 + len) : -1;
}

/* One sendmsg() of all @len bytes as type @type; 0 or -1. */
static int send_typed(int fd, const void *data, size_t len, unsigned char type)
{
	return ctrl_send_type(fd, data, len, type, 0) == (ssize_t)len ? 0 : -1;
}

/* Read exactly @len bytes, all from records of content type @type. */
static int recv_typed(int fd, unsigned char *buf, size_t len, unsigned char type)
{
	size_t done = 0;
	ssize_t n;
	int got;

	while (done < len) {
		n = ctrl_recv_type(fd, buf + done, len - done, 0, &got);
		if (n <= 0 || got != type)
			return -1;
		done += n;
	}
	return 0;
}

/*
 * The client sends an empty data record of its own (this module never
 * sends one), as record number rec_seq, then installs its key one record
 * further on. The server's key goes first, so that its NIC (RX offload)
 * sees the record.
 */
static int sim_keys_after_empty(struct _test_data_sim *self)
{
	union ctrl_crypto tx = self->key;
	unsigned char rec[64], *tx_seq;
	struct gcm_key g;
	__u64 sn;
	long n;
	int i;

	if (setsockopt(self->s, SOL_TLS, TLS_RX, &self->key, self->key_len))
		return -1;
	gcm_key_of(&self->key, &g);
	sn = be64_at(g.rec_seq);
	n = seal_one(&g, 23, NULL, 0, sn, rec);
	if (n < 0 || send_all(self->c, rec, n, 0))
		return -1;
	tx_seq = tx.info.cipher_type == TLS_CIPHER_AES_GCM_256 ?
		 tx.aes_gcm_256.rec_seq : tx.aes_gcm_128.rec_seq;
	for (i = 0; i < 8; i++)
		tx_seq[i] = (sn + 1) >> (56 - 8 * i);
	return setsockopt(self->c, SOL_TLS, TLS_TX, &tx, self->key_len);
}

/*
 * Records of every content type through the device: alert and handshake
 * records (TLS_SET_RECORD_TYPE) among data records, each read back with
 * its type (TLS_GET_RECORD_TYPE). TLS 1.3 hides the type inside the
 * ciphertext, which the NICs must encrypt and decrypt with the data.
 * Empty sends make no record; an empty data record (sim_keys_after_empty)
 * is read past.
 */
TEST_F(sim, control_records)
{
	static const struct {
		unsigned char type;
		size_t len;
	} recs[] = {
		{ 23, 1000 }, { 21, 2 }, { 22, 300 }, { 23, 1 },
		{ 22, 16384 }, { 21, 2 }, { 23, 20000 },
	};
	static unsigned char out[20000], in[20000];
	unsigned int i;

	ASSERT_EQ(sim_keys_after_empty(self), 0);
	EXPECT_EQ(send(self->c, out, 0, 0), 0);
	EXPECT_EQ(send(self->c, out, 0, MSG_EOR), 0);
	for (i = 0; i < ARRAY_SIZE(recs); i++) {
		pattern(out, recs[i].len, i);
		if (recs[i].type == 23) {
			ASSERT_EQ(send_all(self->c, out, recs[i].len, 0), 0);
		} else {
			ASSERT_EQ(send_typed(self->c, out, recs[i].len,
					     recs[i].type), 0);
		}
		ASSERT_EQ(recv_typed(self->s, in, recs[i].len, recs[i].type), 0)
			TH_LOG("record %u", i);
		ASSERT_EQ(memcmp(in, out, recs[i].len), 0);
	}
	check_paths(_metadata, self, variant);
}

/* ------------------------------------------------------ KeyUpdate (1.3) */

/* KeyUpdate, length 1, update_not_requested (RFC 8446 4.6.3) */
static const unsigned char keyupdate_msg[] = { 24, 0, 0, 1, 0 };

/*
 * One KeyUpdate from client to server with data on both sides of it: a
 * chunk under the old key, the KeyUpdate, the client's new key and a
 * chunk under it -- all sent before the server reads anything, so
 * new-key records reach the server's NIC while it still has the old key.
 * The server must pause after the KeyUpdate, then read everything intact
 * under its new key.
 */
static int rekey_round(struct _test_data_sim *self,
		       const struct _fixture_variant_sim *variant, int gen,
		       size_t len)
{
	static unsigned char out[2][30000], in[30000];
	union ctrl_crypto k;
	unsigned char ku[sizeof(keyupdate_msg)];
	int i, klen;

	klen = ctrl_crypto_fill(&k, variant->version, variant->cipher,
				0x70 + gen);
	for (i = 0; i < 2; i++)
		pattern(out[i], len, 2 * gen + i);
	if (send_all(self->c, out[0], len, 0) ||
	    send_typed(self->c, keyupdate_msg, sizeof(ku), 22) ||
	    setsockopt(self->c, SOL_TLS, TLS_TX, &k, klen) ||
	    send_all(self->c, out[1], len, 0))
		return -1;
	if (recv_all(self->s, in, len) || memcmp(in, out[0], len))
		return -2;
	if (recv_typed(self->s, ku, sizeof(ku), 22) ||
	    memcmp(ku, keyupdate_msg, sizeof(ku)))
		return -3;
	if (recv(self->s, in, 1, MSG_DONTWAIT) != -1 || errno != EKEYEXPIRED)
		return -4;
	if (setsockopt(self->s, SOL_TLS, TLS_RX, &k, klen))
		return -5;
	if (recv_all(self->s, in, len) || memcmp(in, out[1], len))
		return -6;
	return 0;
}

/* What rekey_many() sets up and expects. */
struct rekey_opts {
	const char *knob, *val;	/* set on sa before offload, 0 at the end */
	bool refuse;		/* both drivers refuse every key after the first */
	bool undeclared;	/* both devices declare TLS 1.3 but not KeyUpdate */
	bool kept;		/* offload goes on across the KeyUpdates */
};

#define REKEY_ROUNDS 8
/* After the KeyUpdates: enough to take the receiver past its NIC's edge. */
#define REKEY_TAIL_CHUNKS 64
#define REKEY_TAIL_CHUNK 16384

/*
 * The receiver, after the KeyUpdates. RX goes to software at a KeyUpdate
 * and, on a device that takes new keys, back to the device once the
 * stream is past what it saw under the old key -- which may happen
 * between two KeyUpdates, as data flows: each move is counted, and RX
 * ends on the device.
 */
static void check_rx_rekeyed(struct __test_metadata *_metadata,
			     const struct _fixture_variant_sim *variant,
			     bool rx_back)
{
	long long dev = tls_counter("TlsRxDevice"), sw = tls_counter("TlsRxSw");

	EXPECT_EQ(tls_counter("TlsCurrRxDevice"), rx_back);
	EXPECT_EQ(tls_counter("TlsCurrRxSw"), !rx_back);
	EXPECT_EQ(tls_counter("TlsDecryptError"), 0);
	if (rx_back) {
		EXPECT_GE(sw, 1);
		EXPECT_EQ(dev, sw + 1);
	} else {
		EXPECT_EQ(dev, variant->rx_dev);
		EXPECT_EQ(sw, 1);
	}
	/* Every RX context the NIC was given, it was told to drop but one. */
	EXPECT_EQ(eth_stat("sb", "rx_tls_ctx"), dev);
	EXPECT_EQ(eth_stat("sb", "rx_tls_del"), dev - rx_back);
}

/*
 * After the KeyUpdates each direction says where it is: the gauges,
 * sock_diag and the devices' counters. With @o->kept, TX stayed on the
 * device, which was given every new key, and RX went to software at the
 * first new key, then back to the device once the stream was past what
 * the NIC saw under the old key. Otherwise both are in software; the
 * sender's NIC keeps TX state for the records it was given until the
 * socket goes, the receiver's let go of RX at once.
 */
static void check_rekeyed(struct __test_metadata *_metadata,
			  struct _test_data_sim *self,
			  const struct _fixture_variant_sim *variant,
			  const struct rekey_opts *o)
{
	bool tx_kept = o->kept && variant->tx_dev;
	bool rx_back = o->kept && variant->rx_dev;
	struct ulp_report r;

	in_ns(self->ns_a);
	EXPECT_EQ(tls_counter("TlsTxDevice"), variant->tx_dev);
	EXPECT_EQ(tls_counter("TlsCurrTxDevice"), tx_kept);
	EXPECT_EQ(tls_counter("TlsTxSw"), !tx_kept);
	EXPECT_EQ(tls_counter("TlsCurrTxSw"), !tx_kept);
	EXPECT_EQ(eth_stat("sa", "tx_tls_rekey"), tx_kept ? REKEY_ROUNDS : 0);
	EXPECT_EQ(eth_stat("sa", "tx_tls_del"), 0);
	EXPECT_EQ(eth_stat("sa", "tx_tls_drop_err"), 0);
	ASSERT_EQ(diag_query(self->c, AF_INET, &r), 0);
	EXPECT_EQ(r.u16v[TLS_INFO_TXCONF], tx_kept ? TLS_CONF_HW : TLS_CONF_SW);
	in_ns(self->ns_b);
	check_rx_rekeyed(_metadata, variant, rx_back);
	ASSERT_EQ(diag_query(self->s, AF_INET, &r), 0);
	EXPECT_EQ(r.u16v[TLS_INFO_RXCONF], rx_back ? TLS_CONF_HW : TLS_CONF_SW);
	in_ns(self->ns_a);
}

/* Both devices: @knob to @val. */
static int knob_set_both(struct _test_data_sim *self, const char *knob,
			 const char *val)
{
	int rc;

	in_ns(self->ns_a);
	rc = knob_set("sa", knob, val);
	in_ns(self->ns_b);
	rc = rc ?: knob_set("sb", knob, val);
	in_ns(self->ns_a);
	return rc;
}

/*
 * The stream after the KeyUpdates, in chunks the receiver reads as they
 * come: where its NIC takes RX back (or is refused), and data it decrypts
 * under the last key if it does.
 */
static void rekey_tail(struct __test_metadata *_metadata,
		       struct _test_data_sim *self,
		       const struct _fixture_variant_sim *variant,
		       const struct rekey_opts *o)
{
	long long before;
	int i;

	in_ns(self->ns_b);
	before = eth_stat("sb", "rx_tls_decrypted_packets");
	in_ns(self->ns_a);
	for (i = 0; i < REKEY_TAIL_CHUNKS; i++)
		ASSERT_EQ(sim_roundtrip(self, REKEY_TAIL_CHUNK, 100 + i, 0), 0)
			TH_LOG("chunk %d", i);
	in_ns(self->ns_b);
	if (o->kept && variant->rx_dev)
		EXPECT_GT(eth_stat("sb", "rx_tls_decrypted_packets"), before);
	if (o->refuse && variant->rx_dev)
		EXPECT_EQ(eth_stat("sb", "tls_add_refused"), 1);
	in_ns(self->ns_a);
	if (o->refuse && variant->tx_dev)
		EXPECT_EQ(eth_stat("sa", "tls_add_refused"), 1);
}

/* Many KeyUpdates over an offloaded connection, as @o says. */
static void rekey_many(struct __test_metadata *_metadata,
		       struct _test_data_sim *self,
		       const struct _fixture_variant_sim *variant,
		       const struct rekey_opts *o)
{
	int gen, rc;

	if (variant->version != TLS_1_3_VERSION)
		SKIP(return, "TLS 1.2 has no KeyUpdate");
	if (o->undeclared)
		ASSERT_EQ(knob_set_both(self, "rekey", "N"), 0);
	in_ns(self->ns_a);
	if (o->knob)
		ASSERT_EQ(knob_set("sa", o->knob, o->val), 0);
	ASSERT_EQ(sim_keys(self), 0);
	if (o->refuse)
		ASSERT_EQ(knob_set_both(self, "refuse_add", "Y"), 0);
	ASSERT_EQ(sim_roundtrip(self, 20000, 1, 0), 0);
	for (gen = 0; gen < REKEY_ROUNDS; gen++) {
		rc = rekey_round(self, variant, gen, 7000 + gen * 3000);
		ASSERT_EQ(rc, 0)
			TH_LOG("KeyUpdate %d failed at step %d", gen, -rc);
	}
	in_ns(self->ns_a);
	if (o->knob)
		ASSERT_EQ(knob_set("sa", o->knob, "0"), 0);
	ASSERT_EQ(sim_roundtrip(self, 30000, 2, 0), 0);
	rekey_tail(_metadata, self, variant, o);
	check_rekeyed(_metadata, self, variant, o);
}

/*
 * KeyUpdates over a clean wire: the sender's device takes each new TX key
 * at the record after the KeyUpdate, the receiver's gives RX back at the
 * new key and takes it again further on, and nothing is lost or misread.
 */
TEST_F_TIMEOUT(sim, rekey, 180)
{
	rekey_many(_metadata, self, variant,
		   &(struct rekey_opts){ .kept = true });
}

/*
 * With segments lost: old-key records are retransmitted after the switch,
 * and the device still encrypts them with the old key, among new-key ones.
 */
TEST_F_TIMEOUT(sim, rekey_drop, 180)
{
	rekey_many(_metadata, self, variant,
		   &(struct rekey_opts){ .knob = "drop_every", .val = "5",
					 .kept = true });
	in_ns(self->ns_a);
	if (variant->version == TLS_1_3_VERSION)
		EXPECT_GT(eth_stat("sa", "wire_dropped"), 0);
}

TEST_F_TIMEOUT(sim, rekey_reorder, 180)
{
	rekey_many(_metadata, self, variant,
		   &(struct rekey_opts){ .knob = "reorder_every", .val = "4",
					 .kept = true });
}

/*
 * Every offloaded segment through the core's fallback: each record must
 * be encrypted with the key and IV it was sealed for, old or new.
 */
TEST_F_TIMEOUT(sim, rekey_fallback, 180)
{
	if (!variant->tx_dev)
		SKIP(return, "TX is not offloaded in this variant");
	rekey_many(_metadata, self, variant,
		   &(struct rekey_opts){ .knob = "tx_fallback", .val = "Y",
					 .kept = true });
	in_ns(self->ns_a);
	if (variant->version == TLS_1_3_VERSION)
		EXPECT_GT(eth_stat("sa", "tx_tls_fallback"), 0);
}

/*
 * Both drivers refuse the first new key: TX goes on in software from the
 * record after the KeyUpdate, RX stays there, and the connection with
 * them.
 */
TEST_F_TIMEOUT(sim, rekey_refused, 180)
{
	rekey_many(_metadata, self, variant,
		   &(struct rekey_opts){ .refuse = true });
}

/*
 * Devices that did not declare KeyUpdate: to software, as refused, and
 * the core never offers them a new key.
 */
TEST_F_TIMEOUT(sim, rekey_undeclared, 180)
{
	rekey_many(_metadata, self, variant,
		   &(struct rekey_opts){ .undeclared = true });
	in_ns(self->ns_a);
	EXPECT_EQ(eth_stat("sa", "tls_add_unsupported"), 0);
	EXPECT_EQ(eth_stat("sa", "tx_tls_rekey"), 0);
}

/*
 * KeyUpdates seen on the wire: records before each KeyUpdate open under
 * the old key, those after it under the new one -- all encrypted by the
 * device, which took every new key -- every one with its own key's
 * numbering: decrypted by OpenSSL from a capture on the receiving end,
 * with the key list of the test.
 */
TEST_F_TIMEOUT(sim, wire_capture_rekey, 120)
{
	static const size_t lens[] = { 5000, 20000, 1, 17000 };
	union ctrl_crypto keys[ARRAY_SIZE(lens) + 1];
	size_t total = 0, wire, off = 0, g;
	unsigned char *want, *plain;
	struct stream st = {};
	int pfd;

	if (variant->version != TLS_1_3_VERSION)
		SKIP(return, "TLS 1.2 has no KeyUpdate");
	if (variant->rx_dev)
		SKIP(return, "the receiving NIC would show plaintext");
	for (g = 0; g < ARRAY_SIZE(lens); g++)
		total += 2 * lens[g];
	wire = total + (total / 16384 + 4 * ARRAY_SIZE(lens)) * 40 + 64;
	want = malloc(total);
	plain = malloc(wire);
	st.cap = wire;
	st.buf = calloc(1, wire);
	ASSERT_TRUE(want && plain && st.buf);
	/* rekey_round()'s data and keys: generation g + 1 after KeyUpdate g. */
	keys[0] = self->key;
	for (g = 0; g < ARRAY_SIZE(lens); g++) {
		pattern(want + off, lens[g], 2 * g);
		pattern(want + off + lens[g], lens[g], 2 * g + 1);
		off += 2 * lens[g];
		ctrl_crypto_fill(&keys[g + 1], variant->version,
				 variant->cipher, 0x70 + g);
	}

	in_ns(self->ns_b);
	pfd = capture_open();
	ASSERT_GE(pfd, 0);
	ASSERT_EQ(sim_keys(self), 0);
	for (g = 0; g < ARRAY_SIZE(lens); g++)
		ASSERT_EQ(rekey_round(self, variant, g, lens[g]), 0)
			TH_LOG("KeyUpdate %zu", g);

	ASSERT_EQ(capture_drain(pfd, &st), 0);
	ASSERT_EQ(open_stream(keys, ARRAY_SIZE(keys), st.buf, st.len, plain),
		  (long)total);
	ASSERT_EQ(memcmp(plain, want, total), 0);
	in_ns(self->ns_a);
	if (variant->tx_dev)
		EXPECT_GT(eth_stat("sa", "tx_tls_encrypted_packets"), 0);
	EXPECT_EQ(eth_stat("sa", "tx_tls_rekey"),
		  variant->tx_dev ? (long long)ARRAY_SIZE(lens) : 0);
	close(pfd);
	free(want);
	free(plain);
	free(st.buf);
}

TEST_HARNESS_MAIN
