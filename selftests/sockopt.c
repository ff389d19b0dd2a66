// SPDX-License-Identifier: GPL-2.0
/*
 * SOL_TLS socket options, for every cipher x TLS version: TLS_TX/TLS_RX
 * set and get with every malformed argument, TLS_TX_ZEROCOPY_RO,
 * TLS_RX_EXPECT_NO_PAD, TLS_TX_MAX_PAYLOAD_LEN, unknown options, the
 * pass-through of other levels, and TLS_TX while a TCP send() sleeps.
 * Suites the kernel's crypto API lacks are skipped (ENOENT from TLS_TX).
 */
#include <pthread.h>

#include "ctrl_util.h"
#include "kselftest_harness.h"

FIXTURE(keys)
{
	int fd, peer;
	int len;
	union ctrl_crypto tx, rx;
};

FIXTURE_VARIANT(keys)
{
	unsigned short version;
	unsigned short cipher;
	int family;
	bool refused;	/* no such suite for this version: EINVAL */
};

#define KTLS_VARIANT_FIXTURE keys
#define KTLS_VARIANT_OWN_STRUCT
#define KTLS_VARIANTS_NO_IPV6
#include "variants.h"

/*
 * Suites the kernel has but TLS 1.3 does not define (no ARIA): only here,
 * where the refusal itself is tested. Listed between the table's IPv4 and
 * IPv6 rows, where they have always been.
 */
FIXTURE_VARIANT_ADD(keys, 13_aria_gcm)
{
	.version = TLS_1_3_VERSION,
	.cipher = TLS_CIPHER_ARIA_GCM_128,
	.family = AF_INET,
	.refused = true,
};

FIXTURE_VARIANT_ADD(keys, 13_aria_gcm_256)
{
	.version = TLS_1_3_VERSION,
	.cipher = TLS_CIPHER_ARIA_GCM_256,
	.family = AF_INET,
	.refused = true,
};

#define KTLS_VARIANT_FIXTURE keys
#define KTLS_VARIANT_OWN_STRUCT
#define KTLS_VARIANTS_NO_IPV4
#include "variants.h"

FIXTURE_SETUP(keys)
{
	ASSERT_EQ(ctrl_tcp_pair(variant->family, &self->fd, &self->peer), 0);
	ASSERT_EQ(ctrl_attach(self->fd), 0);
	self->len = ctrl_crypto_fill(&self->tx, variant->version,
				     variant->cipher, 1);
	ctrl_crypto_fill(&self->rx, variant->version, variant->cipher, 101);
}

FIXTURE_TEARDOWN(keys)
{
	close(self->fd);
	close(self->peer);
}

/* Set TLS_TX/RX: 0 or -errno (-ENOENT: the kernel lacks the cipher). */
static int try_keys(int fd, int opt, const union ctrl_crypto *c, int len)
{
	return setsockopt(fd, SOL_TLS, opt, c, len) ? -errno : 0;
}

static int get_len(int fd, int opt, void *buf, socklen_t len)
{
	return getsockopt(fd, SOL_TLS, opt, buf, &len);
}

TEST_F(keys, refused_suite_is_einval)
{
	if (!variant->refused)
		SKIP(return, "suite exists for this version");
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_TX, &self->tx, self->len), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_RX, &self->rx, self->len), -1);
	EXPECT_EQ(errno, EINVAL);
}

TEST_F(keys, tx_get_returns_what_was_set)
{
	union ctrl_crypto out;
	int rc;

	if (variant->refused)
		SKIP(return, "no such suite");
	rc = try_keys(self->fd, TLS_TX, &self->tx, self->len);
	if (rc == -ENOENT)
		SKIP(return, "kernel crypto lacks cipher %u", variant->cipher);
	ASSERT_EQ(rc, 0);
	memset(&out, 0xa5, sizeof(out));
	EXPECT_EQ(get_len(self->fd, TLS_TX, &out, self->len), 0);
	EXPECT_EQ(memcmp(&out, &self->tx, self->len), 0);
	/* The other direction is still unset. */
	EXPECT_EQ(get_len(self->fd, TLS_RX, &out, self->len), -1);
	EXPECT_EQ(errno, EBUSY);
}

TEST_F(keys, rx_get_returns_what_was_set)
{
	union ctrl_crypto out;
	int rc;

	if (variant->refused)
		SKIP(return, "no such suite");
	rc = try_keys(self->fd, TLS_RX, &self->rx, self->len);
	if (rc == -ENOENT)
		SKIP(return, "kernel crypto lacks cipher %u", variant->cipher);
	ASSERT_EQ(rc, 0);
	memset(&out, 0xa5, sizeof(out));
	EXPECT_EQ(get_len(self->fd, TLS_RX, &out, self->len), 0);
	EXPECT_EQ(memcmp(&out, &self->rx, self->len), 0);
}

TEST_F(keys, get_short_and_long_buffers)
{
	union ctrl_crypto out = {};
	int rc;

	if (variant->refused)
		SKIP(return, "no such suite");
	rc = try_keys(self->fd, TLS_TX, &self->tx, self->len);
	if (rc == -ENOENT)
		SKIP(return, "kernel crypto lacks cipher %u", variant->cipher);
	ASSERT_EQ(rc, 0);
	/* Exactly the header: only the header is returned. */
	EXPECT_EQ(get_len(self->fd, TLS_TX, &out, sizeof(out.info)), 0);
	EXPECT_EQ(out.info.version, variant->version);
	EXPECT_EQ(out.info.cipher_type, variant->cipher);
	EXPECT_EQ(out.bytes[sizeof(out.info)], 0);
	EXPECT_EQ(get_len(self->fd, TLS_TX, &out, sizeof(out.info) - 1), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(get_len(self->fd, TLS_TX, &out, self->len - 1), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(get_len(self->fd, TLS_TX, &out, self->len + 1), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(get_len(self->fd, TLS_TX, NULL, self->len), -1);
	EXPECT_EQ(errno, EINVAL);
}

TEST_F(keys, get_before_set_is_ebusy)
{
	union ctrl_crypto out;

	EXPECT_EQ(get_len(self->fd, TLS_TX, &out, self->len), -1);
	EXPECT_EQ(errno, EBUSY);
	EXPECT_EQ(get_len(self->fd, TLS_RX, &out, self->len), -1);
	EXPECT_EQ(errno, EBUSY);
}

/* TLS 1.2 keys are set once; TLS 1.3 may rekey (issue 6, selftests/rekey). */
TEST_F(keys, second_set_is_ebusy)
{
	int want = variant->version == TLS_1_3_VERSION ? 0 : -1;
	int rc;

	if (variant->refused)
		SKIP(return, "no such suite");
	rc = try_keys(self->fd, TLS_TX, &self->tx, self->len);
	if (rc == -ENOENT)
		SKIP(return, "kernel crypto lacks cipher %u", variant->cipher);
	ASSERT_EQ(rc, 0);
	errno = 0;
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_TX, &self->tx, self->len), want);
	EXPECT_EQ(errno, want ? EBUSY : 0);
	ASSERT_EQ(setsockopt(self->fd, SOL_TLS, TLS_RX, &self->rx, self->len), 0);
	errno = 0;
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_RX, &self->rx, self->len), want);
	EXPECT_EQ(errno, want ? EBUSY : 0);
}

/* Each malformed set must leave the direction unset and settable. */
TEST_F(keys, malformed_set_leaves_nothing)
{
	union ctrl_crypto bad = self->tx, out;
	int fd = self->fd;
	int rc;

	if (variant->refused)
		SKIP(return, "no such suite");
	EXPECT_EQ(setsockopt(fd, SOL_TLS, TLS_TX, NULL, self->len), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(setsockopt(fd, SOL_TLS, TLS_TX, &bad, 0), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(setsockopt(fd, SOL_TLS, TLS_TX, &bad, sizeof(bad.info) - 1), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(setsockopt(fd, SOL_TLS, TLS_TX, &bad, self->len - 1), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(setsockopt(fd, SOL_TLS, TLS_TX, &bad, self->len + 1), -1);
	EXPECT_EQ(errno, EINVAL);
	bad.info.version = 0x0302;	/* TLS 1.1 */
	EXPECT_EQ(setsockopt(fd, SOL_TLS, TLS_TX, &bad, self->len), -1);
	EXPECT_EQ(errno, EINVAL);
	bad.info.version = variant->version;
	bad.info.cipher_type = 59;
	EXPECT_EQ(setsockopt(fd, SOL_TLS, TLS_TX, &bad, self->len), -1);
	EXPECT_EQ(errno, EINVAL);

	EXPECT_EQ(get_len(fd, TLS_TX, &out, self->len), -1);
	EXPECT_EQ(errno, EBUSY);
	rc = try_keys(self->fd, TLS_TX, &self->tx, self->len);
	if (rc == -ENOENT)
		SKIP(return, "kernel crypto lacks cipher %u", variant->cipher);
	ASSERT_EQ(rc, 0);
}

/* A suite the kernel's crypto API lacks fails whole: nothing is left set. */
TEST_F(keys, missing_algorithm_leaves_nothing)
{
	union ctrl_crypto out;

	if (variant->refused)
		SKIP(return, "no such suite");
	if (!setsockopt(self->fd, SOL_TLS, TLS_TX, &self->tx, self->len))
		SKIP(return, "kernel has cipher %u", variant->cipher);
	ASSERT_EQ(errno, ENOENT);
	EXPECT_EQ(get_len(self->fd, TLS_TX, &out, self->len), -1);
	EXPECT_EQ(errno, EBUSY);
	/* Not EBUSY: the failed attempt did not count as a first set. */
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_TX, &self->tx, self->len), -1);
	EXPECT_EQ(errno, ENOENT);
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_RX, &self->rx, self->len), -1);
	EXPECT_EQ(errno, ENOENT);
}

/* Both directions of a connection run one version and one suite. */
TEST_F(keys, rx_must_match_tx)
{
	union ctrl_crypto other;
	unsigned short other_cipher;
	int len;
	int rc;

	if (variant->refused)
		SKIP(return, "no such suite");
	rc = try_keys(self->fd, TLS_TX, &self->tx, self->len);
	if (rc == -ENOENT)
		SKIP(return, "kernel crypto lacks cipher %u", variant->cipher);
	ASSERT_EQ(rc, 0);

	other = self->rx;
	other.info.version = variant->version == TLS_1_2_VERSION ?
			     TLS_1_3_VERSION : TLS_1_2_VERSION;
	if (variant->cipher != TLS_CIPHER_ARIA_GCM_128 &&
	    variant->cipher != TLS_CIPHER_ARIA_GCM_256) {
		EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_RX, &other,
				     self->len), -1);
		EXPECT_EQ(errno, EINVAL);
	}
	other_cipher = variant->cipher == TLS_CIPHER_AES_GCM_128 ?
		       TLS_CIPHER_AES_CCM_128 : TLS_CIPHER_AES_GCM_128;
	len = ctrl_crypto_fill(&other, variant->version, other_cipher, 7);
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_RX, &other, len), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_RX, &self->rx, self->len), 0);
}

TEST_F(keys, zerocopy_ro)
{
	unsigned int val = 1;
	socklen_t len = sizeof(val);

	/* Settable before TX keys, as upstream. */
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, &val,
			     sizeof(val)), 0);
	val = 0;
	EXPECT_EQ(getsockopt(self->fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, &val, &len), 0);
	EXPECT_EQ(val, 1U);
	val = 2;
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, &val,
			     sizeof(val)), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, &val, 2), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, NULL, 4), -1);
	EXPECT_EQ(errno, EINVAL);
	len = 8;
	EXPECT_EQ(getsockopt(self->fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, &val, &len), -1);
	EXPECT_EQ(errno, EINVAL);
}

TEST_F(keys, rx_expect_no_pad)
{
	unsigned int val = 1;
	unsigned long long wide = 1;
	socklen_t len = sizeof(val);
	int ival = -1;
	int rc;

	if (variant->refused)
		SKIP(return, "no such suite");
	/* RX not configured yet. */
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &val,
			     sizeof(val)), -1);
	EXPECT_EQ(errno, EINVAL);
	rc = try_keys(self->fd, TLS_RX, &self->rx, self->len);
	if (rc == -ENOENT)
		SKIP(return, "kernel crypto lacks cipher %u", variant->cipher);
	ASSERT_EQ(rc, 0);

	if (variant->version == TLS_1_2_VERSION) {
		EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD,
				     &val, sizeof(val)), -1);
		EXPECT_EQ(errno, EINVAL);
		EXPECT_EQ(getsockopt(self->fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD,
				     &ival, &len), -1);
		EXPECT_EQ(errno, EINVAL);
		return;
	}
	EXPECT_EQ(getsockopt(self->fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &ival, &len), 0);
	EXPECT_EQ(ival, 0);
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &val,
			     sizeof(val)), 0);
	EXPECT_EQ(getsockopt(self->fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &ival, &len), 0);
	EXPECT_EQ(ival, 1);
	EXPECT_EQ(len, sizeof(ival));
	/* A longer option is fine when the extra bytes are zero. */
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &wide,
			     sizeof(wide)), 0);
	wide |= 1ULL << 40;
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &wide,
			     sizeof(wide)), -1);
	EXPECT_EQ(errno, EINVAL);
	val = 2;
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &val,
			     sizeof(val)), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &val, 2), -1);
	EXPECT_EQ(errno, EINVAL);
	len = 2;
	EXPECT_EQ(getsockopt(self->fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &ival, &len), -1);
	EXPECT_EQ(errno, EINVAL);
}

static int set_max(int fd, unsigned short v)
{
	return setsockopt(fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, &v, sizeof(v));
}

static int get_max(int fd)
{
	unsigned short v = 0;
	socklen_t len = 4;

	if (getsockopt(fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, &v, &len))
		return -errno;
	return len == sizeof(v) ? v : -1000;
}

TEST_F(keys, tx_max_payload_len)
{
	unsigned int wide = 1000;
	int min;
	int rc;

	if (variant->refused)
		SKIP(return, "no such suite");
	EXPECT_EQ(get_max(self->fd), 16384);
	/* Before keys no version is known: the TLS 1.2 floor applies. */
	EXPECT_EQ(set_max(self->fd, 63), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(set_max(self->fd, 64), 0);
	EXPECT_EQ(get_max(self->fd), 64);

	rc = try_keys(self->fd, TLS_TX, &self->tx, self->len);
	if (rc == -ENOENT)
		SKIP(return, "kernel crypto lacks cipher %u", variant->cipher);
	ASSERT_EQ(rc, 0);
	min = variant->version == TLS_1_3_VERSION ? 63 : 64;
	EXPECT_EQ(set_max(self->fd, min - 1), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(set_max(self->fd, min), 0);
	EXPECT_EQ(get_max(self->fd), min);
	EXPECT_EQ(set_max(self->fd, 16384), 0);
	EXPECT_EQ(get_max(self->fd), 16384);
	EXPECT_EQ(set_max(self->fd, 16385), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(set_max(self->fd, 0), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, &wide,
			     sizeof(wide)), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, NULL, 2), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(get_max(self->fd), 16384);
}

TEST_F(keys, tx_max_payload_len_short_get)
{
	unsigned short v;
	socklen_t len = 1;

	EXPECT_EQ(getsockopt(self->fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, &v, &len), -1);
	EXPECT_EQ(errno, EINVAL);
}

TEST_F(keys, unknown_optname_is_enoprotoopt)
{
	static const int names[] = { 0, 6, 7, 100 };
	int val = 0, i;
	socklen_t len = sizeof(val);

	for (i = 0; i < 4; i++) {
		EXPECT_EQ(setsockopt(self->fd, SOL_TLS, names[i], &val,
				     sizeof(val)), -1);
		EXPECT_EQ(errno, ENOPROTOOPT);
		EXPECT_EQ(getsockopt(self->fd, SOL_TLS, names[i], &val, &len), -1);
		EXPECT_EQ(errno, ENOPROTOOPT);
	}
}

/* Options of other levels reach TCP and the socket layer untouched. */
TEST_F(keys, other_levels_pass_through)
{
	int one = 1, val = 0;
	socklen_t len = sizeof(val);
	char ulp[16] = "";
	int rc;

	if (variant->refused)
		SKIP(return, "no such suite");
	rc = try_keys(self->fd, TLS_TX, &self->tx, self->len);
	if (rc == -ENOENT)
		SKIP(return, "kernel crypto lacks cipher %u", variant->cipher);
	ASSERT_EQ(rc, 0);
	EXPECT_EQ(setsockopt(self->fd, IPPROTO_TCP, TCP_NODELAY, &one,
			     sizeof(one)), 0);
	EXPECT_EQ(getsockopt(self->fd, IPPROTO_TCP, TCP_NODELAY, &val, &len), 0);
	EXPECT_EQ(val, 1);
	len = sizeof(ulp);
	EXPECT_EQ(getsockopt(self->fd, IPPROTO_TCP, TCP_ULP, ulp, &len), 0);
	EXPECT_STREQ(ulp, "tls");
	val = 0;
	len = sizeof(val);
	EXPECT_EQ(getsockopt(self->fd, SOL_SOCKET, SO_TYPE, &val, &len), 0);
	EXPECT_EQ(val, SOCK_STREAM);
	/* A TCP option TCP does not know keeps TCP's errno. */
	EXPECT_EQ(setsockopt(self->fd, IPPROTO_TCP, 9999, &one, sizeof(one)), -1);
	EXPECT_EQ(errno, ENOPROTOOPT);
}

/*
 * A send() still asleep in TCP's own sendmsg would send the rest of its
 * buffer in clear after the first record: TLS_TX is EBUSY until it is
 * done, then succeeds.
 */
TEST(tx_keys_wait_for_tcp_sender)
{
	struct ctrl_sender s = { .sent = -2 };
	int small = 4096, len, peer;
	char *sink = malloc(1 << 16);
	union ctrl_crypto c;
	long total = 0;
	ssize_t n;
	pthread_t t;

	ASSERT_EQ(ctrl_tcp_pair(AF_INET, &s.fd, &peer), 0);
	ASSERT_EQ(setsockopt(s.fd, SOL_SOCKET, SO_SNDBUF, &small,
			     sizeof(small)), 0);
	ASSERT_EQ(ctrl_attach(s.fd), 0);
	ASSERT_EQ(pthread_create(&t, NULL, ctrl_send_big, &s), 0);
	usleep(500000);	/* the peer does not read: the sender sleeps */
	len = ctrl_crypto_fill(&c, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128, 1);
	EXPECT_EQ(setsockopt(s.fd, SOL_TLS, TLS_TX, &c, len), -1);
	EXPECT_EQ(errno, EBUSY);
	while (total < CTRL_TCP_SEND_LEN &&
	       (n = recv(peer, sink, 1 << 16, 0)) > 0)
		total += n;
	ASSERT_EQ(pthread_join(t, NULL), 0);
	EXPECT_EQ(s.sent, CTRL_TCP_SEND_LEN);
	EXPECT_EQ(total, CTRL_TCP_SEND_LEN);
	EXPECT_EQ(setsockopt(s.fd, SOL_TLS, TLS_TX, &c, len), 0);
	free(sink);
	close(s.fd);
	close(peer);
}

/* SOL_TLS on a plain TCP socket is TCP's business, not ours. */
TEST(sol_tls_without_ulp)
{
	union ctrl_crypto c;
	int a, b, len;

	ASSERT_EQ(ctrl_tcp_pair(AF_INET, &a, &b), 0);
	len = ctrl_crypto_fill(&c, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128, 1);
	EXPECT_EQ(setsockopt(a, SOL_TLS, TLS_TX, &c, len), -1);
	EXPECT_EQ(errno, ENOPROTOOPT);
	close(a);
	close(b);
}

TEST_HARNESS_MAIN
