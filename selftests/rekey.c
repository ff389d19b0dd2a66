// SPDX-License-Identifier: GPL-2.0
/*
 * TLS 1.3 KeyUpdate (issue 6): rekey of both directions many times with
 * data in flight, the RX pause after a KeyUpdate (recv, MSG_PEEK, splice,
 * poll), a record left open by MSG_MORE keeps the old key, refused
 * rekeys, and the rekey counters of /proc/net/tls_stat.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#include <openssl/evp.h>

#include "ctrl_util.h"
#include "kselftest_harness.h"

#define TLS_HS 22		/* handshake content type */
/* Indexes in /proc/net/tls_stat (upstream's order, see ctrl_util.h). */
enum {
	RX_REKEY_OK = 12, RX_REKEY_ERR, TX_REKEY_OK, TX_REKEY_ERR,
	RX_REKEY_RECEIVED,
};

/* KeyUpdate, length 1, update_not_requested (RFC 8446 4.6.3) */
static const char keyupdate[] = { 24, 0, 0, 1, 0 };

static int set_key(int fd, int opt, unsigned short version,
		   unsigned short cipher, int gen)
{
	union ctrl_crypto c;
	int len = ctrl_crypto_fill(&c, version, cipher, (unsigned char)gen);

	return setsockopt(fd, SOL_TLS, opt, &c, len);
}

static long stat_delta(const unsigned long *a, int i)
{
	unsigned long b[CTRL_NUM_STATS];

	if (ctrl_read_stats(b) != CTRL_NUM_STATS)
		return -1000;
	return (long)(b[i] - a[i]);
}

FIXTURE(rekey)
{
	int fd, cfd;		/* each sends to the other */
	unsigned long stats[CTRL_NUM_STATS];
};

FIXTURE_VARIANT(rekey)
{
	unsigned short cipher;
};

FIXTURE_VARIANT_ADD(rekey, aes_gcm) { .cipher = TLS_CIPHER_AES_GCM_128 };
FIXTURE_VARIANT_ADD(rekey, chacha) { .cipher = TLS_CIPHER_CHACHA20_POLY1305 };
FIXTURE_VARIANT_ADD(rekey, aes_ccm) { .cipher = TLS_CIPHER_AES_CCM_128 };

FIXTURE_SETUP(rekey)
{
	unsigned short v = TLS_1_3_VERSION, c = variant->cipher;

	ASSERT_EQ(ctrl_tcp_pair(AF_INET, &self->fd, &self->cfd), 0);
	ASSERT_EQ(ctrl_attach(self->fd), 0);
	ASSERT_EQ(ctrl_attach(self->cfd), 0);
	ASSERT_EQ(set_key(self->fd, TLS_TX, v, c, 0), 0);
	ASSERT_EQ(set_key(self->cfd, TLS_RX, v, c, 0), 0);
	ASSERT_EQ(set_key(self->cfd, TLS_TX, v, c, 100), 0);
	ASSERT_EQ(set_key(self->fd, TLS_RX, v, c, 100), 0);
	ASSERT_EQ(ctrl_read_stats(self->stats), CTRL_NUM_STATS);
}

FIXTURE_TEARDOWN(rekey)
{
	close(self->fd);
	close(self->cfd);
}

/* Sender side of one KeyUpdate: announce under key @gen, switch to @gen+1. */
static int tx_keyupdate(int fd, unsigned short cipher, int gen)
{
	if (ctrl_send_type(fd, keyupdate, sizeof(keyupdate), TLS_HS, 0) !=
	    sizeof(keyupdate))
		return -1;
	return set_key(fd, TLS_TX, TLS_1_3_VERSION, cipher, gen + 1);
}

/* Receiver side: read the KeyUpdate, check the pause, install @gen+1. */
static int rx_keyupdate(int fd, unsigned short cipher, int gen)
{
	char buf[64];
	int type;

	if (ctrl_recv_type(fd, buf, sizeof(buf), 0, &type) != sizeof(keyupdate) ||
	    type != TLS_HS || memcmp(buf, keyupdate, sizeof(keyupdate)))
		return -1;
	if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) != -1 ||
	    errno != EKEYEXPIRED)
		return -2;
	return set_key(fd, TLS_RX, TLS_1_3_VERSION, cipher, gen + 1);
}

static void fill(char *buf, int len, int round)
{
	int i;

	for (i = 0; i < len; i++)
		buf[i] = (char)(round * 31 + i);
}

#define ROUNDS 16
#define CHUNK 3000

/* All rounds are sent before anything is read: data in flight. */
static char out[CHUNK], in[CHUNK];

TEST_F(rekey, many_rekeys_with_data_in_flight)
{
	int r;

	for (r = 0; r < ROUNDS; r++) {
		fill(out, CHUNK, r);
		ASSERT_EQ(send(self->fd, out, CHUNK, 0), CHUNK);
		ASSERT_EQ(tx_keyupdate(self->fd, variant->cipher, r), 0);
	}
	fill(out, CHUNK, ROUNDS);
	ASSERT_EQ(send(self->fd, out, CHUNK, 0), CHUNK);

	for (r = 0; r <= ROUNDS; r++) {
		fill(out, CHUNK, r);
		ASSERT_EQ(recv(self->cfd, in, CHUNK, MSG_WAITALL), CHUNK);
		ASSERT_EQ(memcmp(in, out, CHUNK), 0);
		if (r < ROUNDS)
			ASSERT_EQ(rx_keyupdate(self->cfd, variant->cipher, r),
				  0);
	}
	EXPECT_EQ(stat_delta(self->stats, TX_REKEY_OK), ROUNDS);
	EXPECT_EQ(stat_delta(self->stats, RX_REKEY_OK), ROUNDS);
	EXPECT_EQ(stat_delta(self->stats, RX_REKEY_RECEIVED), ROUNDS);
	EXPECT_EQ(stat_delta(self->stats, TX_REKEY_ERR), 0);
	EXPECT_EQ(stat_delta(self->stats, RX_REKEY_ERR), 0);
}

/* Both peers update their sending keys at the same time. */
TEST_F(rekey, both_directions)
{
	char buf[16];
	int r;

	for (r = 0; r < 4; r++) {
		ASSERT_EQ(tx_keyupdate(self->fd, variant->cipher, r), 0);
		ASSERT_EQ(tx_keyupdate(self->cfd, variant->cipher, 100 + r), 0);
		ASSERT_EQ(send(self->fd, "ping", 5, 0), 5);
		ASSERT_EQ(send(self->cfd, "pong", 5, 0), 5);
		ASSERT_EQ(rx_keyupdate(self->cfd, variant->cipher, r), 0);
		ASSERT_EQ(rx_keyupdate(self->fd, variant->cipher, 100 + r), 0);
		ASSERT_EQ(recv(self->cfd, buf, sizeof(buf), 0), 5);
		EXPECT_STREQ(buf, "ping");
		ASSERT_EQ(recv(self->fd, buf, sizeof(buf), 0), 5);
		EXPECT_STREQ(buf, "pong");
	}
}

/* During the pause every way of reading fails; poll says not readable. */
TEST_F(rekey, pause_blocks_every_read)
{
	struct pollfd pfd = { .fd = self->cfd, .events = POLLIN };
	char buf[64];
	int p[2], type;

	ASSERT_EQ(tx_keyupdate(self->fd, variant->cipher, 0), 0);
	ASSERT_EQ(send(self->fd, "after", 6, 0), 6);
	ASSERT_EQ(ctrl_recv_type(self->cfd, buf, sizeof(buf), 0, &type),
		  (int)sizeof(keyupdate));
	ASSERT_EQ(type, TLS_HS);
	usleep(100000);	/* let the record under the new key arrive */

	EXPECT_EQ(poll(&pfd, 1, 0), 0);
	EXPECT_EQ(recv(self->cfd, buf, sizeof(buf), 0), -1);
	EXPECT_EQ(errno, EKEYEXPIRED);
	EXPECT_EQ(recv(self->cfd, buf, sizeof(buf), MSG_PEEK), -1);
	EXPECT_EQ(errno, EKEYEXPIRED);
	ASSERT_EQ(pipe(p), 0);
	EXPECT_EQ(splice(self->cfd, NULL, p[1], NULL, 64, SPLICE_F_NONBLOCK),
		  -1);
	EXPECT_EQ(errno, EKEYEXPIRED);

	ASSERT_EQ(set_key(self->cfd, TLS_RX, TLS_1_3_VERSION,
			  variant->cipher, 1), 0);
	EXPECT_EQ(poll(&pfd, 1, 1000), 1);
	EXPECT_EQ(recv(self->cfd, buf, sizeof(buf), 0), 6);
	EXPECT_STREQ(buf, "after");
	close(p[0]);
	close(p[1]);
}

/* Bytes held back by MSG_MORE were given under the old key. */
TEST_F(rekey, open_record_keeps_old_key)
{
	char buf[16];

	ASSERT_EQ(send(self->fd, "old", 3, MSG_MORE), 3);
	ASSERT_EQ(set_key(self->fd, TLS_TX, TLS_1_3_VERSION,
			  variant->cipher, 1), 0);
	ASSERT_EQ(send(self->fd, "new", 4, 0), 4);

	/* Exactly the first record, then the receiver switches. */
	ASSERT_EQ(recv(self->cfd, buf, 3, MSG_WAITALL), 3);
	EXPECT_EQ(memcmp(buf, "old", 3), 0);
	ASSERT_EQ(set_key(self->cfd, TLS_RX, TLS_1_3_VERSION,
			  variant->cipher, 1), 0);
	ASSERT_EQ(recv(self->cfd, buf, sizeof(buf), 0), 4);
	EXPECT_STREQ(buf, "new");
}

/* Refused rekeys change nothing and count as errors. */
TEST_F(rekey, refused_keeps_old_key)
{
	unsigned short other = variant->cipher == TLS_CIPHER_AES_GCM_256 ?
			       TLS_CIPHER_AES_GCM_128 : TLS_CIPHER_AES_GCM_256;
	char buf[16];

	EXPECT_EQ(set_key(self->fd, TLS_TX, TLS_1_2_VERSION,
			  variant->cipher, 1), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(set_key(self->fd, TLS_TX, TLS_1_3_VERSION, other, 1), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(set_key(self->cfd, TLS_RX, TLS_1_3_VERSION, other, 1), -1);
	EXPECT_EQ(errno, EINVAL);

	ASSERT_EQ(send(self->fd, "same", 5, 0), 5);
	ASSERT_EQ(recv(self->cfd, buf, sizeof(buf), 0), 5);
	EXPECT_STREQ(buf, "same");
	EXPECT_EQ(stat_delta(self->stats, TX_REKEY_ERR), 2);
	EXPECT_EQ(stat_delta(self->stats, RX_REKEY_ERR), 1);
	EXPECT_EQ(stat_delta(self->stats, TX_REKEY_OK), 0);
}

/* getsockopt shows the new key and the restarted sequence. */
TEST_F(rekey, getsockopt_shows_new_key)
{
	union ctrl_crypto want, got;
	socklen_t len;
	int wlen;

	wlen = ctrl_crypto_fill(&want, TLS_1_3_VERSION, variant->cipher, 7);
	ASSERT_EQ(send(self->fd, "x", 1, 0), 1);
	ASSERT_EQ(setsockopt(self->fd, SOL_TLS, TLS_TX, &want, wlen), 0);
	len = wlen;
	ASSERT_EQ(getsockopt(self->fd, SOL_TLS, TLS_TX, &got, &len), 0);
	ASSERT_EQ((int)len, wlen);
	EXPECT_EQ(memcmp(&got, &want, wlen), 0);
}

/*
 * A reader asleep in recv when the KeyUpdate arrives gets the KeyUpdate;
 * its next blocking read fails at once instead of sleeping.
 */
static void *read_keyupdate_then_block(void *arg)
{
	int fd = *(int *)arg, type;
	char buf[64];
	long rc = 0;

	if (ctrl_recv_type(fd, buf, sizeof(buf), 0, &type) != sizeof(keyupdate) ||
	    type != TLS_HS)
		rc = 1;
	else if (recv(fd, buf, sizeof(buf), 0) != -1 || errno != EKEYEXPIRED)
		rc = 2;
	return (void *)rc;
}

TEST_F(rekey, keyupdate_wakes_sleeping_reader)
{
	pthread_t t;
	void *rc;

	ASSERT_EQ(pthread_create(&t, NULL, read_keyupdate_then_block,
				 &self->cfd), 0);
	usleep(100000);	/* the reader is asleep */
	ASSERT_EQ(tx_keyupdate(self->fd, variant->cipher, 0), 0);
	ASSERT_EQ(send(self->fd, "later", 6, 0), 6);
	ASSERT_EQ(pthread_join(t, &rc), 0);
	EXPECT_EQ((long)rc, 0);
}

/* A blocking send of 1 MiB into a peer that is not reading (yet). */
static void *send_big(void *arg)
{
	static char big[1 << 20];

	return (void *)(long)send(*(int *)arg, big, sizeof(big), 0);
}

/* The safety net of the test below: read everything after 3 s. */
static void *drain_later(void *arg)
{
	struct timeval tv = { .tv_sec = 1 };
	int fd = *(int *)arg;
	char buf[16384];

	sleep(3);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	return NULL;
}

/*
 * A TX rekey behind a sender asleep on a zero window waits for it, but
 * interruptibly (a signal ends the wait with EINTR) and within
 * SO_SNDTIMEO (EAGAIN) -- never in D state for as long as the peer likes.
 * The sender is only released (by reading) after both checks.
 */
TEST_F(rekey, tx_rekey_behind_blocked_sender_interruptible)
{
	struct sigaction sa = { .sa_handler = ctrl_on_signal };
	struct timeval tv = { .tv_usec = 200000 };
	sigset_t alrm, old;
	pthread_t ts, td;
	int sndbuf = 16384;
	long start;
	void *sent;

	ASSERT_EQ(setsockopt(self->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
			     sizeof(sndbuf)), 0);
	ASSERT_EQ(sigaction(SIGALRM, &sa, NULL), 0);
	/* The alarm is for this thread only: the others block it. */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, &old);
	ASSERT_EQ(pthread_create(&ts, NULL, send_big, &self->fd), 0);
	ASSERT_EQ(pthread_create(&td, NULL, drain_later, &self->cfd), 0);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	usleep(300000);	/* the sender is asleep, owning TX */

	alarm(1);
	start = ctrl_now_ms();
	EXPECT_EQ(set_key(self->fd, TLS_TX, TLS_1_3_VERSION,
			  variant->cipher, 1), -1);
	EXPECT_EQ(errno, EINTR);
	EXPECT_LT(ctrl_now_ms() - start, 2000);
	alarm(0);

	ASSERT_EQ(setsockopt(self->fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
			     sizeof(tv)), 0);
	start = ctrl_now_ms();
	EXPECT_EQ(set_key(self->fd, TLS_TX, TLS_1_3_VERSION,
			  variant->cipher, 1), -1);
	EXPECT_EQ(errno, EAGAIN);
	EXPECT_LT(ctrl_now_ms() - start, 1000);

	/* A rekey refused anyway (another cipher) does not wait for TX. */
	EXPECT_EQ(set_key(self->fd, TLS_TX, TLS_1_3_VERSION,
			  variant->cipher == TLS_CIPHER_AES_GCM_128 ?
			  TLS_CIPHER_AES_GCM_256 : TLS_CIPHER_AES_GCM_128, 1), -1);
	EXPECT_EQ(errno, EINVAL);

	/* Its later pushes honour the SO_SNDTIMEO set above: maybe short. */
	ASSERT_EQ(pthread_join(ts, &sent), 0);
	EXPECT_GT((long)sent, 0);
	ASSERT_EQ(pthread_join(td, NULL), 0);
}

struct race {
	int fd;
	int stop;		/* set by the sender, atomically */
	long bytes;
};

/* Sender: records left open by MSG_MORE, closed by the next call. */
static void *send_loop(void *arg)
{
	struct race *r = arg;
	char buf[700] = {};
	long rc = 0;
	int i;

	/* 1000 sends: ~8 s on the KASAN kernel under TCG (3000 took 23 s). */
	for (i = 0; i < 1000 && !rc; i++) {
		if (send(r->fd, buf, sizeof(buf), i % 3 ? MSG_MORE : 0) < 0)
			rc = 1;
		else
			r->bytes += sizeof(buf);
	}
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	return (void *)rc;
}

/* Drain the plain TCP peer so that senders never stall. */
static void *drain_loop(void *arg)
{
	struct race *r = arg;
	char buf[16384];

	while (recv(r->fd, buf, sizeof(buf), 0) > 0)
		;
	return NULL;
}

/* TX rekeys racing a sender (for lockdep and KASAN in the debug guest). */
TEST(tx_rekey_races_sender)
{
	struct race snd = {}, drn = {};
	pthread_t ts, td;
	void *rc;
	int gen;

	ASSERT_EQ(ctrl_tcp_pair(AF_INET, &snd.fd, &drn.fd), 0);
	ASSERT_EQ(ctrl_attach(snd.fd), 0);
	ASSERT_EQ(set_key(snd.fd, TLS_TX, TLS_1_3_VERSION,
			  TLS_CIPHER_AES_GCM_128, 0), 0);
	ASSERT_EQ(pthread_create(&td, NULL, drain_loop, &drn), 0);
	ASSERT_EQ(pthread_create(&ts, NULL, send_loop, &snd), 0);
	for (gen = 1; !__atomic_load_n(&snd.stop, __ATOMIC_ACQUIRE) &&
	     gen < 100000; gen++)
		ASSERT_EQ(set_key(snd.fd, TLS_TX, TLS_1_3_VERSION,
				  TLS_CIPHER_AES_GCM_128, gen), 0);
	ASSERT_EQ(pthread_join(ts, &rc), 0);
	EXPECT_EQ((long)rc, 0);
	EXPECT_GT(gen, 1);
	close(snd.fd);
	ASSERT_EQ(pthread_join(td, NULL), 0);
	close(drn.fd);
}

/*
 * An independent TLS 1.3 record writer (OpenSSL's AES-128-GCM, RFC 8446
 * 5.2/5.3): the peer of the kernel's RX side is plain TCP.
 */
struct peer_keys {
	unsigned char key[16], nonce[12];
	unsigned long long seq;
};

static void peer_keys_load(struct peer_keys *k, int gen)
{
	union ctrl_crypto c;
	struct tls12_crypto_info_aes_gcm_128 *g = &c.aes_gcm_128;
	int i;

	ctrl_crypto_fill(&c, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128,
			 (unsigned char)gen);
	memcpy(k->key, g->key, 16);
	memcpy(k->nonce, g->salt, 4);
	memcpy(k->nonce + 4, g->iv, 8);
	k->seq = 0;
	for (i = 0; i < 8; i++)
		k->seq = k->seq << 8 | g->rec_seq[i];
}

/* Encrypt one record of @type and send it; 0 or -1. */
static int peer_send(int fd, struct peer_keys *k, unsigned char type,
		     const void *data, int len)
{
	unsigned char rec[5 + 256 + 1 + 16], nonce[12];
	int clen = len + 1, outl, i, rc = -1;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	memcpy(nonce, k->nonce, 12);
	for (i = 0; i < 8; i++)
		nonce[4 + i] ^= (unsigned char)(k->seq >> (56 - 8 * i));
	rec[0] = 23;
	rec[1] = 3;
	rec[2] = 3;
	rec[3] = (clen + 16) >> 8;
	rec[4] = (clen + 16) & 0xff;
	memcpy(rec + 5, data, len);
	rec[5 + len] = type;
	if (ctx && len <= 256 &&
	    EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, k->key, nonce) &&
	    EVP_EncryptUpdate(ctx, NULL, &outl, rec, 5) &&
	    EVP_EncryptUpdate(ctx, rec + 5, &outl, rec + 5, clen) &&
	    EVP_EncryptFinal_ex(ctx, rec + 5 + clen, &outl) &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16,
				rec + 5 + clen) &&
	    send(fd, rec, 5 + clen + 16, 0) == 5 + clen + 16)
		rc = 0;
	EVP_CIPHER_CTX_free(ctx);
	k->seq++;
	return rc;
}

/* The kernel receives from a userspace TLS 1.3 stack that rekeys. */
TEST(interop_userspace_peer_keyupdate)
{
	struct peer_keys k;
	char buf[64];
	int fd, cfd, r;

	ASSERT_EQ(ctrl_tcp_pair(AF_INET, &fd, &cfd), 0);
	ASSERT_EQ(ctrl_attach(cfd), 0);
	ASSERT_EQ(set_key(cfd, TLS_RX, TLS_1_3_VERSION,
			  TLS_CIPHER_AES_GCM_128, 0), 0);
	peer_keys_load(&k, 0);
	for (r = 0; r < 3; r++) {
		ASSERT_EQ(peer_send(fd, &k, 23, "hello", 6), 0);
		ASSERT_EQ(peer_send(fd, &k, TLS_HS, keyupdate,
				    sizeof(keyupdate)), 0);
		peer_keys_load(&k, r + 1);
		ASSERT_EQ(peer_send(fd, &k, 23, "world", 6), 0);

		ASSERT_EQ(recv(cfd, buf, sizeof(buf), 0), 6);
		EXPECT_STREQ(buf, "hello");
		ASSERT_EQ(rx_keyupdate(cfd, TLS_CIPHER_AES_GCM_128, r), 0);
		ASSERT_EQ(recv(cfd, buf, sizeof(buf), 0), 6);
		EXPECT_STREQ(buf, "world");
	}
	close(fd);
	close(cfd);
}

/* Receive and decrypt one record of at most 256 bytes; its length or -1. */
static int peer_recv(int fd, struct peer_keys *k, unsigned char *type,
		     void *data)
{
	unsigned char rec[5 + 256 + 1 + 16], nonce[12];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int clen, outl, i, rc = -1;

	if (!ctx || recv(fd, rec, 5, MSG_WAITALL) != 5)
		goto out;
	clen = (rec[3] << 8 | rec[4]) - 16;
	if (clen < 1 || clen > 257 ||
	    recv(fd, rec + 5, clen + 16, MSG_WAITALL) != clen + 16)
		goto out;
	memcpy(nonce, k->nonce, 12);
	for (i = 0; i < 8; i++)
		nonce[4 + i] ^= (unsigned char)(k->seq >> (56 - 8 * i));
	if (EVP_DecryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, k->key, nonce) &&
	    EVP_DecryptUpdate(ctx, NULL, &outl, rec, 5) &&
	    EVP_DecryptUpdate(ctx, rec + 5, &outl, rec + 5, clen) &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16,
				rec + 5 + clen) &&
	    EVP_DecryptFinal_ex(ctx, rec + 5 + clen, &outl)) {
		*type = rec[5 + clen - 1];	/* no padding from the kernel */
		memcpy(data, rec + 5, clen - 1);
		rc = clen - 1;
	}
	k->seq++;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* A userspace TLS 1.3 peer reads what the kernel sends across rekeys. */
TEST(interop_userspace_peer_reads_rekeyed_tx)
{
	unsigned char type;
	struct peer_keys k;
	char buf[300];
	int fd, cfd, r;

	ASSERT_EQ(ctrl_tcp_pair(AF_INET, &fd, &cfd), 0);
	ASSERT_EQ(ctrl_attach(fd), 0);
	ASSERT_EQ(set_key(fd, TLS_TX, TLS_1_3_VERSION,
			  TLS_CIPHER_AES_GCM_128, 0), 0);
	peer_keys_load(&k, 0);
	for (r = 0; r < 3; r++) {
		ASSERT_EQ(send(fd, "hello", 6, 0), 6);
		ASSERT_EQ(tx_keyupdate(fd, TLS_CIPHER_AES_GCM_128, r), 0);

		ASSERT_EQ(peer_recv(cfd, &k, &type, buf), 6);
		EXPECT_EQ(type, 23);
		EXPECT_STREQ(buf, "hello");
		ASSERT_EQ(peer_recv(cfd, &k, &type, buf),
			  (int)sizeof(keyupdate));
		EXPECT_EQ(type, TLS_HS);
		EXPECT_EQ(memcmp(buf, keyupdate, sizeof(keyupdate)), 0);
		peer_keys_load(&k, r + 1);
	}
	ASSERT_EQ(send(fd, "world", 6, 0), 6);
	ASSERT_EQ(peer_recv(cfd, &k, &type, buf), 6);
	EXPECT_STREQ(buf, "world");
	close(fd);
	close(cfd);
}

/*
 * TLS 1.2 keys cannot be replaced, as before; each attempt counts as a
 * failed rekey, as upstream counts it.
 */
TEST(tls12_refused)
{
	unsigned long stats[CTRL_NUM_STATS];
	int fd, cfd;

	ASSERT_EQ(ctrl_read_stats(stats), CTRL_NUM_STATS);
	ASSERT_EQ(ctrl_tcp_pair(AF_INET, &fd, &cfd), 0);
	ASSERT_EQ(ctrl_attach(fd), 0);
	ASSERT_EQ(set_key(fd, TLS_TX, TLS_1_2_VERSION,
			  TLS_CIPHER_AES_GCM_128, 0), 0);
	ASSERT_EQ(set_key(fd, TLS_RX, TLS_1_2_VERSION,
			  TLS_CIPHER_AES_GCM_128, 0), 0);
	EXPECT_EQ(set_key(fd, TLS_TX, TLS_1_2_VERSION,
			  TLS_CIPHER_AES_GCM_128, 1), -1);
	EXPECT_EQ(errno, EBUSY);
	EXPECT_EQ(set_key(fd, TLS_RX, TLS_1_2_VERSION,
			  TLS_CIPHER_AES_GCM_128, 1), -1);
	EXPECT_EQ(errno, EBUSY);
	EXPECT_EQ(set_key(fd, TLS_TX, TLS_1_3_VERSION,
			  TLS_CIPHER_AES_GCM_128, 1), -1);
	EXPECT_EQ(errno, EBUSY);
	EXPECT_EQ(stat_delta(stats, TX_REKEY_ERR), 2);
	EXPECT_EQ(stat_delta(stats, RX_REKEY_ERR), 1);
	EXPECT_EQ(stat_delta(stats, TX_REKEY_OK), 0);
	close(fd);
	close(cfd);
}

TEST_HARNESS_MAIN
