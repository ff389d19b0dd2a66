// SPDX-License-Identifier: GPL-2.0
/*
 * Life of a TLS socket: attach on IPv4, IPv6 and v4-mapped sockets, the
 * state machine after attach (disconnect, listen), keyed directions that
 * refuse to carry plaintext, sockmap exclusion, close paths, module
 * reference counting and unload, and concurrent option calls during attach.
 */
#include <fcntl.h>
#include <linux/bpf.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "ctrl_util.h"
#include "kselftest_harness.h"

FIXTURE(pair)
{
	int client, server;
};

FIXTURE_VARIANT(pair)
{
	int family;
};

FIXTURE_VARIANT_ADD(pair, ipv4)
{
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(pair, ipv6)
{
	.family = AF_INET6,
};

FIXTURE_SETUP(pair)
{
	ASSERT_EQ(ctrl_tcp_pair(variant->family, &self->client, &self->server), 0);
}

FIXTURE_TEARDOWN(pair)
{
	close(self->client);
	close(self->server);
}

static int set_keys(int fd, int opt)
{
	union ctrl_crypto c;
	int len = ctrl_crypto_fill(&c, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 3);

	return setsockopt(fd, SOL_TLS, opt, &c, len);
}

/* Whether @fd has bytes to read within @ms milliseconds. */
static int readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms);
}

TEST_F(pair, attach_both_ends)
{
	char name[16] = "";
	socklen_t len = sizeof(name);

	ASSERT_EQ(ctrl_attach(self->client), 0);
	ASSERT_EQ(ctrl_attach(self->server), 0);
	ASSERT_EQ(getsockopt(self->server, IPPROTO_TCP, TCP_ULP, name, &len), 0);
	EXPECT_STREQ(name, "tls");
	EXPECT_EQ(ctrl_attach(self->server), -1);
	EXPECT_EQ(errno, EEXIST);
}

/* connect(AF_UNSPEC) must not reset TCP under the record layer. */
TEST_F(pair, disconnect_is_eopnotsupp)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };
	socklen_t len = sizeof(struct tls12_crypto_info_aes_gcm_128);
	union ctrl_crypto c;

	ASSERT_EQ(ctrl_attach(self->client), 0);
	ASSERT_EQ(set_keys(self->client, TLS_TX), 0);
	EXPECT_EQ(connect(self->client, &sa, sizeof(sa)), -1);
	EXPECT_EQ(errno, EOPNOTSUPP);
	/* Still a TLS socket with its keys (and its ULP). */
	EXPECT_EQ(getsockopt(self->client, SOL_TLS, TLS_TX, &c, &len), 0);
	EXPECT_EQ(c.info.version, TLS_1_3_VERSION);
	EXPECT_EQ(c.info.cipher_type, TLS_CIPHER_AES_GCM_128);
}

/* A ULP socket can never become a listener (CVE-2023-0461 class). */
TEST_F(pair, listen_after_attach_fails)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	ASSERT_EQ(ctrl_attach(self->client), 0);
	EXPECT_EQ(listen(self->client, 1), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(connect(self->client, &sa, sizeof(sa)), -1);
	EXPECT_EQ(listen(self->client, 1), -1);
	EXPECT_EQ(errno, EINVAL);
}

/*
 * No plaintext leak: with TX keys, every way of writing puts only TLS
 * records on the wire (selftests/tx.c decrypts them; here only the
 * framing and the absence of the plaintext are checked).
 */
TEST_F(pair, keyed_tx_sends_no_plaintext)
{
	char buf[16] = "secret", wire[4096];
	struct iovec iov = { .iov_base = buf, .iov_len = 6 };
	int fd, n, got = 0;

	ASSERT_EQ(ctrl_attach(self->client), 0);
	ASSERT_EQ(set_keys(self->client, TLS_TX), 0);
	EXPECT_EQ(send(self->client, buf, 6, 0), 6);
	EXPECT_EQ(write(self->client, buf, 6), 6);
	EXPECT_EQ(writev(self->client, &iov, 1), 6);
	EXPECT_EQ(send(self->client, buf, 6, MSG_MORE), 6);
	EXPECT_EQ(send(self->client, buf, 0, 0), 0);
	fd = open("/proc/self/exe", O_RDONLY);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(sendfile(self->client, fd, NULL, 64), 64);
	close(fd);
	while (readable(self->server, 200) > 0 && got < (int)sizeof(wire)) {
		n = recv(self->server, wire + got, sizeof(wire) - got, 0);
		if (n <= 0)
			break;
		got += n;
	}
	ASSERT_GT(got, 5);
	EXPECT_EQ(wire[0], 0x17);
	EXPECT_EQ(wire[1], 0x03);
	EXPECT_EQ(wire[2], 0x03);
	EXPECT_EQ(memmem(wire, got, "secret", 6), NULL);
}

/*
 * With RX keys, plain bytes from the peer are never handed out as data:
 * "abcdef" read as a record header claims 0x6465 bytes, more than any
 * record may hold, so the connection fails with EMSGSIZE (the length is
 * judged before the version, as upstream), reported once; then nothing
 * more comes.
 */
TEST_F(pair, keyed_rx_refuses_to_read)
{
	char buf[16];
	int p[2];

	ASSERT_EQ(ctrl_attach(self->server), 0);
	ASSERT_EQ(set_keys(self->server, TLS_RX), 0);
	ASSERT_EQ(send(self->client, "abcdef", 6, 0), 6);
	EXPECT_EQ(recv(self->server, buf, sizeof(buf), 0), -1);
	EXPECT_EQ(errno, EMSGSIZE);
	EXPECT_EQ(recv(self->server, buf, sizeof(buf), MSG_DONTWAIT), -1);
	EXPECT_EQ(errno, EAGAIN);
	ASSERT_EQ(pipe(p), 0);
	EXPECT_EQ(splice(self->server, NULL, p[1], NULL, 6, SPLICE_F_NONBLOCK), -1);
	EXPECT_EQ(errno, EAGAIN);
	close(p[0]);
	close(p[1]);
	/* TX was not keyed: it still works in plain TCP. */
	EXPECT_EQ(send(self->server, "ok", 2, 0), 2);
	EXPECT_EQ(recv(self->client, buf, sizeof(buf), 0), 2);
}

/* Closing with unread data resets the connection through TCP's own path. */
TEST_F(pair, close_with_unread_data_and_keys)
{
	ASSERT_EQ(ctrl_attach(self->server), 0);
	ASSERT_EQ(set_keys(self->server, TLS_RX), 0);
	ASSERT_EQ(set_keys(self->server, TLS_TX), 0);
	ASSERT_EQ(send(self->client, "abcdef", 6, 0), 6);
	usleep(10000);
	close(self->server);
	self->server = socket(AF_INET, SOCK_STREAM, 0);
	/* The peer sees the reset. */
	EXPECT_EQ(readable(self->client, 1000), 1);
}

TEST(attach_v4_mapped_ipv6)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
	struct sockaddr_in l = { .sin_family = AF_INET };
	socklen_t len = sizeof(l);
	int lfd, c, s;

	l.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_EQ(bind(lfd, (struct sockaddr *)&l, len), 0);
	ASSERT_EQ(listen(lfd, 1), 0);
	ASSERT_EQ(getsockname(lfd, (struct sockaddr *)&l, &len), 0);
	a.sin6_port = l.sin_port;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &a.sin6_addr);
	c = socket(AF_INET6, SOCK_STREAM, 0);
	ASSERT_EQ(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	s = accept(lfd, NULL, NULL);
	ASSERT_GE(s, 0);
	EXPECT_EQ(ctrl_attach(c), 0);
	EXPECT_EQ(set_keys(c, TLS_TX), 0);
	close(s);
	close(c);
	close(lfd);
}

/* Children of a listener never carry a ULP. */
TEST(accepted_child_has_no_ulp)
{
	char name[16] = "x";
	socklen_t len = sizeof(name);
	int c, s;

	ASSERT_EQ(ctrl_tcp_pair(AF_INET, &c, &s), 0);
	ASSERT_EQ(ctrl_attach(c), 0);
	ASSERT_EQ(getsockopt(s, IPPROTO_TCP, TCP_ULP, name, &len), 0);
	EXPECT_EQ(len, 0U);
	close(c);
	close(s);
}

static int sockmap_create(void)
{
	union bpf_attr attr = {
		.map_type = BPF_MAP_TYPE_SOCKMAP,
		.key_size = 4,
		.value_size = 4,
		.max_entries = 2,
	};

	return syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
}

static int sockmap_add(int map, int fd)
{
	union bpf_attr attr = {};
	int key = 0;

	attr.map_fd = map;
	attr.key = (unsigned long)&key;
	attr.value = (unsigned long)&fd;
	return syscall(__NR_bpf, BPF_MAP_UPDATE_ELEM, &attr, sizeof(attr));
}

/* sockmap and TLS exclude each other, in either order (pitfall class 5). */
TEST(sockmap_excludes_tls)
{
	int map, c, s;

	map = sockmap_create();
	if (map < 0)
		SKIP(return, "no sockmap (bpf: %s)", strerror(errno));
	ASSERT_EQ(ctrl_tcp_pair(AF_INET, &c, &s), 0);

	ASSERT_EQ(sockmap_add(map, c), 0);
	EXPECT_EQ(ctrl_attach(c), -1);
	EXPECT_EQ(errno, EINVAL);

	ASSERT_EQ(ctrl_attach(s), 0);
	EXPECT_EQ(sockmap_add(map, s), -1);
	EXPECT_EQ(set_keys(s, TLS_TX), 0);
	close(c);
	close(s);
	close(map);
}

/* Option calls racing with attach and key setup, for KASAN/lockdep. */
struct racer {
	int fd;
	int stop;
	int bad;
};

static void *race_options(void *arg)
{
	struct racer *r = arg;
	union ctrl_crypto c;
	socklen_t len;
	int one = 1;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		len = ctrl_crypto_size(TLS_CIPHER_AES_GCM_128);
		/* Before attach IPv4 says EOPNOTSUPP, IPv6 ENOPROTOOPT. */
		if (getsockopt(r->fd, SOL_TLS, TLS_TX, &c, &len) &&
		    errno != EBUSY && errno != ENOPROTOOPT &&
		    errno != EOPNOTSUPP)
			r->bad++;
		setsockopt(r->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return NULL;
}

TEST(options_race_attach)
{
	struct racer r = {};
	pthread_t t;
	int i, c, s;

	for (i = 0; i < 200; i++) {
		ASSERT_EQ(ctrl_tcp_pair(i & 1 ? AF_INET6 : AF_INET, &c, &s), 0);
		r.fd = c;
		__atomic_store_n(&r.stop, 0, __ATOMIC_RELEASE);
		ASSERT_EQ(pthread_create(&t, NULL, race_options, &r), 0);
		EXPECT_EQ(ctrl_attach(c), 0);
		EXPECT_EQ(set_keys(c, TLS_TX), 0);
		EXPECT_EQ(set_keys(c, TLS_RX), 0);
		__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
		pthread_join(t, NULL);
		ctrl_close_now(c);
		ctrl_close_now(s);
	}
	EXPECT_EQ(r.bad, 0);
}

static long module_refcnt(void)
{
	return ctrl_read_long("/sys/module/tls/refcnt");
}

/* Wait for lingering sockets of earlier tests to be destroyed. */
static long settled_refcnt(long want)
{
	long v = module_refcnt();
	int i;

	for (i = 0; i < 100 && v != want; i++) {
		usleep(50000);
		v = module_refcnt();
	}
	return v;
}

/* Each live TLS socket pins the module; the last close releases it. */
TEST(module_pinned_by_sockets)
{
	long base;
	int c, s;

	if (module_refcnt() < 0)
		SKIP(return, "tls is not a loadable module here");
	base = settled_refcnt(0);
	ASSERT_EQ(ctrl_tcp_pair(AF_INET, &c, &s), 0);
	ASSERT_EQ(ctrl_attach(c), 0);
	EXPECT_EQ(module_refcnt(), base + 1);
	ASSERT_EQ(ctrl_attach(s), 0);
	ASSERT_EQ(set_keys(s, TLS_TX), 0);
	EXPECT_EQ(module_refcnt(), base + 2);

	EXPECT_EQ(syscall(__NR_delete_module, "tls", O_NONBLOCK), -1);
	EXPECT_EQ(errno, EWOULDBLOCK);

	ctrl_close_now(c);
	ctrl_close_now(s);
	EXPECT_EQ(settled_refcnt(base), base);
}

/* The first word @f gives (a line of srcversion), "" if none. */
static void first_word(FILE *f, char *buf)
{
	if (!f || fscanf(f, "%63s", buf) != 1)
		buf[0] = '\0';
}

/*
 * Whether modprobe would load the tls.ko that is loaded now (same
 * srcversion). A user may have insmod'ed ours from anywhere: unloading it
 * would then bring the kernel's own back for every test after this one.
 */
static bool reload_finds_same_module(void)
{
	char loaded[64], found[64];
	FILE *f;

	f = fopen("/sys/module/tls/srcversion", "r");
	first_word(f, loaded);
	if (f)
		fclose(f);
	f = popen("modinfo -F srcversion tls 2>/dev/null", "r");
	first_word(f, found);
	if (f)
		pclose(f);
	return !strcmp(loaded, found);
}

/*
 * Unload after the last close, then load again; the tests that run after
 * this one use the reloaded module.
 */
TEST(unload_after_last_close)
{
	int c, s;

	if (module_refcnt() < 0)
		SKIP(return, "tls is not a loadable module here");
	if (!reload_finds_same_module())
		SKIP(return, "modprobe would load another tls.ko (install ours)");
	ASSERT_EQ(ctrl_tcp_pair(AF_INET, &c, &s), 0);
	ASSERT_EQ(ctrl_attach(c), 0);
	ASSERT_EQ(set_keys(c, TLS_RX), 0);
	ctrl_close_now(c);
	ctrl_close_now(s);
	ASSERT_EQ(settled_refcnt(0), 0);

	EXPECT_EQ(syscall(__NR_delete_module, "tls", O_NONBLOCK), 0);
	EXPECT_EQ(access("/sys/module/tls", F_OK), -1);
	/* The ULP core loads it again on demand (tcp-ulp-tls alias). */
	ASSERT_EQ(ctrl_tcp_pair(AF_INET, &c, &s), 0);
	if (ctrl_attach(c))
		ASSERT_EQ(system("modprobe tls"), 0);
	EXPECT_EQ(access("/sys/module/tls", F_OK), 0);
	close(c);
	close(s);
}

TEST_HARNESS_MAIN
