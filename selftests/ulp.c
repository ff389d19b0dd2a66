// SPDX-License-Identifier: GPL-2.0
/*
 * Attaching the "tls" upper-layer protocol to TCP sockets: which socket
 * states accept it and which errors the others get.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

static int attach_tls(int fd)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls"));
}

FIXTURE(tcp_pair)
{
	int listener, client, server;
};

/* A connected loopback pair; the listener stays open for the test's use. */
FIXTURE_SETUP(tcp_pair)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	self->listener = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_GE(self->listener, 0);
	ASSERT_EQ(bind(self->listener, (struct sockaddr *)&addr, len), 0);
	ASSERT_EQ(listen(self->listener, 4), 0);
	ASSERT_EQ(getsockname(self->listener, (struct sockaddr *)&addr, &len), 0);
	self->client = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_GE(self->client, 0);
	ASSERT_EQ(connect(self->client, (struct sockaddr *)&addr, len), 0);
	self->server = accept(self->listener, NULL, NULL);
	ASSERT_GE(self->server, 0);
}

FIXTURE_TEARDOWN(tcp_pair)
{
	close(self->server);
	close(self->client);
	close(self->listener);
}

TEST_F(tcp_pair, attach_established)
{
	char name[16] = "";
	socklen_t len = sizeof(name);

	ASSERT_EQ(attach_tls(self->client), 0);
	ASSERT_EQ(getsockopt(self->client, IPPROTO_TCP, TCP_ULP, name, &len), 0);
	EXPECT_STREQ(name, "tls");
}

TEST_F(tcp_pair, attach_twice_is_eexist)
{
	ASSERT_EQ(attach_tls(self->client), 0);
	EXPECT_EQ(attach_tls(self->client), -1);
	EXPECT_EQ(errno, EEXIST);
}

/* Without keys the ULP must pass bytes through untouched, both ways. */
TEST_F(tcp_pair, attach_then_plain_traffic)
{
	char buf[8] = {};

	ASSERT_EQ(attach_tls(self->client), 0);
	ASSERT_EQ(attach_tls(self->server), 0);
	EXPECT_EQ(send(self->client, "ping", 5, 0), 5);
	EXPECT_EQ(recv(self->server, buf, sizeof(buf), 0), 5);
	EXPECT_STREQ(buf, "ping");
}

TEST(attach_unconnected_is_enotconn)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(attach_tls(fd), -1);
	EXPECT_EQ(errno, ENOTCONN);
	close(fd);
}

TEST(attach_listener_refused)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ASSERT_EQ(listen(fd, 1), 0);
	EXPECT_EQ(attach_tls(fd), -1);
	EXPECT_TRUE(errno == ENOTCONN || errno == EINVAL);
	close(fd);
}

TEST(attach_udp_refused)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(attach_tls(fd), -1);
	close(fd);
}

TEST_HARNESS_MAIN
