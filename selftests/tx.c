// SPDX-License-Identifier: GPL-2.0
/*
 * Software TX data path, checked against an independent implementation:
 * the peer is a plain TCP socket, and every record it reads is decrypted
 * here with OpenSSL's libcrypto (EVP AEAD), so framing, nonces, AAD and
 * sequence numbers are proven without our RX path. For every cipher x
 * version: record boundaries (MSG_MORE, MSG_EOR, TLS_SET_RECORD_TYPE,
 * TLS_TX_MAX_PAYLOAD_LEN), sequence start and exhaustion, sendfile of a
 * file larger than the socket buffer (page cache checked unchanged),
 * splice from a pipe, non-blocking and timed-out sends, close and
 * shutdown with data queued. Suites the kernel lacks are skipped.
 */
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#include "cryptd_util.h"
#include "ctrl_util.h"
#include "kselftest_harness.h"

#define REC_MAX		16384
#define HDR_LEN		5
#define TAG_LEN		16
#define BODY_MAX	(REC_MAX + 256)

/* Layout of the uapi crypto_info: header, iv, key, salt, rec_seq. */
struct suite {
	unsigned short cipher;
	int iv, key, salt;
	const char *evp;
	bool ccm;
};

static const struct suite suites[] = {
	{ TLS_CIPHER_AES_GCM_128, 8, 16, 4, "AES-128-GCM", false },
	{ TLS_CIPHER_AES_GCM_256, 8, 32, 4, "AES-256-GCM", false },
	{ TLS_CIPHER_AES_CCM_128, 8, 16, 4, "AES-128-CCM", true },
	{ TLS_CIPHER_CHACHA20_POLY1305, 12, 32, 0, "ChaCha20-Poly1305", false },
	{ TLS_CIPHER_SM4_GCM, 8, 16, 4, "SM4-GCM", false },
	{ TLS_CIPHER_SM4_CCM, 8, 16, 4, "SM4-CCM", true },
	{ TLS_CIPHER_ARIA_GCM_128, 8, 16, 4, "ARIA-128-GCM", false },
	{ TLS_CIPHER_ARIA_GCM_256, 8, 32, 4, "ARIA-256-GCM", false },
};

/* The receiving side: keys and the sequence number it expects next. */
struct peer {
	const struct suite *s;
	unsigned short version;
	unsigned char key[32], salt_iv[12];
	unsigned long long seq;
	const EVP_CIPHER *evp;
};

struct rec {
	unsigned char type;
	int len;
	unsigned char data[BODY_MAX];
};

static const struct suite *suite_of(unsigned short cipher)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(suites); i++)
		if (suites[i].cipher == cipher)
			return &suites[i];
	return NULL;
}

static void peer_init(struct peer *p, const union ctrl_crypto *c)
{
	const struct suite *s = suite_of(c->info.cipher_type);
	const unsigned char *b = c->bytes + sizeof(c->info);
	int i;

	p->s = s;
	p->version = c->info.version;
	memcpy(p->key, b + s->iv, s->key);
	memcpy(p->salt_iv, b + s->iv + s->key, s->salt);
	memcpy(p->salt_iv + s->salt, b, s->iv);
	p->seq = 0;
	for (i = 0; i < 8; i++)
		p->seq = p->seq << 8 | b[s->iv + s->key + s->salt + i];
	p->evp = EVP_get_cipherbyname(s->evp);
}

static int read_full(int fd, void *buf, int len)
{
	int done = 0, n;

	while (done < len) {
		n = recv(fd, (char *)buf + done, len - done, 0);
		if (n <= 0)
			return done ? -1 : n;
		done += n;
	}
	return done;
}

static bool explicit_nonce(const struct peer *p)
{
	return p->version == TLS_1_2_VERSION &&
	       p->s->cipher != TLS_CIPHER_CHACHA20_POLY1305;
}

/* Nonce and AAD of the next record, from the header and the body. */
static int peer_nonce_aad(const struct peer *p, const unsigned char *hdr,
			  const unsigned char *body, int ctlen,
			  unsigned char *nonce, unsigned char *aad)
{
	int i;

	memcpy(nonce, p->salt_iv, 12);
	if (explicit_nonce(p)) {
		memcpy(nonce + 4, body, 8);
	} else {
		for (i = 0; i < 8; i++)
			nonce[4 + i] ^= p->seq >> (56 - 8 * i);
	}
	if (p->version == TLS_1_3_VERSION) {
		memcpy(aad, hdr, HDR_LEN);
		return HDR_LEN;
	}
	for (i = 0; i < 8; i++)
		aad[i] = p->seq >> (56 - 8 * i);
	aad[8] = hdr[0];
	aad[9] = hdr[1];
	aad[10] = hdr[2];
	aad[11] = ctlen >> 8;
	aad[12] = ctlen;
	return 13;
}

static int aead_open(const struct peer *p, const unsigned char *nonce,
		     const unsigned char *aad, int aadlen,
		     const unsigned char *ct, int ctlen,
		     const unsigned char *tag, unsigned char *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int ok, n;

	ok = ctx && EVP_DecryptInit_ex(ctx, p->evp, NULL, NULL, NULL) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN,
				 (void *)tag) &&
	     EVP_DecryptInit_ex(ctx, NULL, NULL, p->key, nonce);
	if (ok && p->s->ccm)
		ok = EVP_DecryptUpdate(ctx, NULL, &n, NULL, ctlen);
	ok = ok && EVP_DecryptUpdate(ctx, NULL, &n, aad, aadlen) &&
	     EVP_DecryptUpdate(ctx, out, &n, ct, ctlen) > 0;
	if (ok && !p->s->ccm)
		ok = EVP_DecryptFinal_ex(ctx, out + n, &n) > 0;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

/*
 * Read and authenticate one record. Returns 1 with @r filled, 0 on a
 * clean EOF before any byte, -1 on anything malformed or unauthentic.
 */
static int peer_read(struct peer *p, int fd, struct rec *r)
{
	unsigned char hdr[HDR_LEN], nonce[12], aad[13];
	static unsigned char body[BODY_MAX];
	int len, ctlen, off, aadlen, n;

	n = read_full(fd, hdr, HDR_LEN);
	if (n <= 0)
		return n;
	len = hdr[3] << 8 | hdr[4];
	if (hdr[1] != 3 || hdr[2] != 3 || len > BODY_MAX)
		return -1;
	if (read_full(fd, body, len) != len)
		return -1;
	off = explicit_nonce(p) ? 8 : 0;
	ctlen = len - off - TAG_LEN;
	if (ctlen < 0)
		return -1;
	aadlen = peer_nonce_aad(p, hdr, body, ctlen, nonce, aad);
	if (aead_open(p, nonce, aad, aadlen, body + off, ctlen,
		      body + off + ctlen, r->data))
		return -1;
	p->seq++;
	r->type = hdr[0];
	r->len = ctlen;
	if (p->version == TLS_1_3_VERSION) {
		/* We never pad: the inner type is the last byte. */
		if (hdr[0] != 23 || !ctlen)
			return -1;
		r->type = r->data[--r->len];
	}
	return 1;
}

FIXTURE(tx)
{
	int fd, peer;
	struct peer p;
	union ctrl_crypto keys;
	int keys_len;
	struct rec r;
	unsigned char buf[4 * REC_MAX];
};

#define KTLS_VARIANT_FIXTURE tx
#include "variants.h"

static void fill_pattern(unsigned char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		buf[i] = seed >> 16;
	}
}

FIXTURE_SETUP(tx)
{
	struct timeval tv = { .tv_sec = 10 };
	int rc;

	ASSERT_EQ(ctrl_tcp_pair(variant->family, &self->fd, &self->peer), 0);
	ASSERT_EQ(setsockopt(self->peer, SOL_SOCKET, SO_RCVTIMEO, &tv,
			     sizeof(tv)), 0);
	ASSERT_EQ(ctrl_attach(self->fd), 0);
	self->keys_len = ctrl_crypto_fill(&self->keys, variant->version,
					  variant->cipher, 7);
	rc = setsockopt(self->fd, SOL_TLS, TLS_TX, &self->keys,
			self->keys_len);
	if (rc && errno == ENOENT)
		SKIP(return, "kernel crypto lacks cipher %u", variant->cipher);
	ASSERT_EQ(rc, 0);
	peer_init(&self->p, &self->keys);
	if (!self->p.evp)
		SKIP(return, "libcrypto lacks %s", self->p.s->evp);
	fill_pattern(self->buf, sizeof(self->buf), variant->cipher);
}

FIXTURE_TEARDOWN(tx)
{
	close(self->fd);
	close(self->peer);
}

/* The next record must be of @type and carry exactly @data[0..len). */
#define EXPECT_RECORD(type_, data_, len_)				\
	do {								\
		int __len = (len_);					\
									\
		ASSERT_EQ(peer_read(&self->p, self->peer, &self->r), 1); \
		EXPECT_EQ(self->r.type, (type_));			\
		ASSERT_EQ(self->r.len, __len);				\
		EXPECT_EQ(memcmp(self->r.data, (data_), __len), 0);	\
	} while (0)

/* Nothing (more) is on the wire right now. */
static bool wire_idle(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 200) == 0;
}

TEST_F(tx, one_record)
{
	ASSERT_EQ(send(self->fd, self->buf, 100, 0), 100);
	EXPECT_RECORD(23, self->buf, 100);
	EXPECT_TRUE(wire_idle(self->peer));
}

/* Records are cut at 16384 bytes and the sequence advances by one each. */
TEST_F(tx, large_send_cut)
{
	int len = 3 * REC_MAX + 100;

	ASSERT_EQ(send(self->fd, self->buf, len, 0), len);
	EXPECT_RECORD(23, self->buf, REC_MAX);
	EXPECT_RECORD(23, self->buf + REC_MAX, REC_MAX);
	EXPECT_RECORD(23, self->buf + 2 * REC_MAX, REC_MAX);
	EXPECT_RECORD(23, self->buf + 3 * REC_MAX, 100);
	EXPECT_TRUE(wire_idle(self->peer));
}

TEST_F(tx, many_small_records)
{
	int i;

	for (i = 0; i < 50; i++)
		ASSERT_EQ(send(self->fd, self->buf + i, 1 + i, 0), 1 + i);
	for (i = 0; i < 50; i++)
		EXPECT_RECORD(23, self->buf + i, 1 + i);
}

TEST_F(tx, msg_more_merges)
{
	ASSERT_EQ(send(self->fd, self->buf, 10, MSG_MORE), 10);
	ASSERT_EQ(send(self->fd, self->buf + 10, 20, MSG_MORE), 20);
	EXPECT_TRUE(wire_idle(self->peer));
	ASSERT_EQ(send(self->fd, self->buf + 30, 30, 0), 30);
	EXPECT_RECORD(23, self->buf, 60);
	EXPECT_TRUE(wire_idle(self->peer));
}

/* A MSG_MORE record still closes when full. */
TEST_F(tx, msg_more_full_record)
{
	ASSERT_EQ(send(self->fd, self->buf, REC_MAX + 10, MSG_MORE),
		  REC_MAX + 10);
	EXPECT_RECORD(23, self->buf, REC_MAX);
	EXPECT_TRUE(wire_idle(self->peer));
	ASSERT_EQ(send(self->fd, self->buf, 0, 0), 0);
	EXPECT_RECORD(23, self->buf + REC_MAX, 10);
}

/*
 * A record that the sender's bytes fill is encrypted straight from the
 * sender's memory. When the call cannot seal it after all (here it faults
 * on an unmapped page, with MSG_MORE, so the record stays open), the
 * bytes it took are copied before send() returns: what the buffer holds
 * afterwards never reaches the wire.
 */
TEST_F(tx, msg_more_fault_keeps_sent_bytes)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *map;

	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(map, MAP_FAILED);
	memcpy(map, self->buf + 100, pg);
	ASSERT_EQ(mprotect(map + pg, pg, PROT_NONE), 0);

	ASSERT_EQ(send(self->fd, self->buf, 100, MSG_MORE), 100);
	ASSERT_EQ(send(self->fd, map, REC_MAX, MSG_MORE), pg);
	memset(map, 0xaa, pg);
	EXPECT_TRUE(wire_idle(self->peer));
	ASSERT_EQ(send(self->fd, self->buf + 100 + pg, 1, 0), 1);
	EXPECT_RECORD(23, self->buf, 100 + pg + 1);
	munmap(map, 2 * pg);
}

/*
 * Records take their memory from the task's page fragment, which every
 * socket of the task shares. Two sockets taking turns with MSG_MORE each
 * find the other's bytes where their own record ended, so every send
 * adds a piece to the record; one out of pieces ends early, and none of
 * the bytes is lost or reordered. Several records prove the early end.
 */
TEST_F(tx, msg_more_records_share_task_memory)
{
	int other, other_peer, n = 0, got = 0, i;
	struct timeval tv = { .tv_sec = 10 };
	union ctrl_crypto keys;
	struct peer p2;
	int keys_len;

	ASSERT_EQ(ctrl_tcp_pair(variant->family, &other, &other_peer), 0);
	ASSERT_EQ(setsockopt(other_peer, SOL_SOCKET, SO_RCVTIMEO, &tv,
			     sizeof(tv)), 0);
	ASSERT_EQ(ctrl_attach(other), 0);
	keys_len = ctrl_crypto_fill(&keys, variant->version, variant->cipher,
				    8);
	ASSERT_EQ(setsockopt(other, SOL_TLS, TLS_TX, &keys, keys_len), 0);
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(send(self->fd, self->buf + 10 * i, 10, MSG_MORE), 10);
		ASSERT_EQ(send(other, self->buf, 10, MSG_MORE), 10);
	}
	ASSERT_EQ(send(self->fd, self->buf, 0, 0), 0);
	while (got < 400) {
		ASSERT_EQ(peer_read(&self->p, self->peer, &self->r), 1);
		ASSERT_LE(got + self->r.len, 400);
		EXPECT_EQ(memcmp(self->r.data, self->buf + got, self->r.len), 0);
		got += self->r.len;
		n++;
	}
	EXPECT_GT(n, 1);
	EXPECT_TRUE(wire_idle(self->peer));

	/* The other socket's stream is whole too. */
	ASSERT_EQ(send(other, self->buf, 0, 0), 0);
	peer_init(&p2, &keys);
	for (got = 0; got < 400; got += self->r.len) {
		ASSERT_EQ(peer_read(&p2, other_peer, &self->r), 1);
		ASSERT_LE(got + self->r.len, 400);
		for (i = 0; i < self->r.len; i++)
			ASSERT_EQ(self->r.data[i], self->buf[(got + i) % 10]);
	}
	close(other);
	close(other_peer);
}

/*
 * A send with MSG_MORE that fails (a bad buffer) leaves its record open
 * and empty, with the memory it took for the bytes it could not copy.
 * Many such, each longer than the last, with another socket of the task
 * taking memory from the same fragment in between, must not leave that
 * record unable to take data: the next good send goes through, whole.
 */
TEST_F(tx, failed_msg_more_between_other_sends)
{
	int other, other_peer, i;

	ASSERT_EQ(ctrl_tcp_pair(variant->family, &other, &other_peer), 0);
	for (i = 0; i < 40; i++) {
		EXPECT_EQ(send(self->fd, (void *)8, 100 * (i + 1), MSG_MORE),
			  -1);
		EXPECT_EQ(errno, EFAULT);
		ASSERT_EQ(send(other, "x", 1, 0), 1);
	}
	ASSERT_EQ(send(self->fd, self->buf, 100, MSG_MORE), 100);
	ASSERT_EQ(send(self->fd, self->buf + 100, 10, 0), 10);
	EXPECT_RECORD(23, self->buf, 110);
	EXPECT_TRUE(wire_idle(self->peer));
	close(other);
	close(other_peer);
}

TEST_F(tx, msg_eor)
{
	ASSERT_EQ(send(self->fd, self->buf, 10, MSG_EOR), 10);
	EXPECT_RECORD(23, self->buf, 10);
	EXPECT_EQ(send(self->fd, self->buf, 10, MSG_EOR | MSG_MORE), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_TRUE(wire_idle(self->peer));
}

TEST_F(tx, zero_length)
{
	ASSERT_EQ(send(self->fd, self->buf, 0, 0), 0);
	EXPECT_TRUE(wire_idle(self->peer));
	ASSERT_EQ(send(self->fd, self->buf, 7, MSG_MORE), 7);
	ASSERT_EQ(send(self->fd, self->buf, 0, MSG_MORE), 0);
	EXPECT_TRUE(wire_idle(self->peer));
	ASSERT_EQ(send(self->fd, self->buf, 0, 0), 0);
	EXPECT_RECORD(23, self->buf, 7);
}

/* A control record closes the pending data record and is never merged. */
TEST_F(tx, record_type_cmsg)
{
	ASSERT_EQ(send(self->fd, self->buf, 5, MSG_MORE), 5);
	ASSERT_EQ(ctrl_send_type(self->fd, self->buf + 5, 2, 21, 0), 2);
	ASSERT_EQ(ctrl_send_type(self->fd, self->buf + 7, 3, 22, 0), 3);
	ASSERT_EQ(send(self->fd, self->buf + 10, 4, 0), 4);
	EXPECT_RECORD(23, self->buf, 5);
	EXPECT_RECORD(21, self->buf + 5, 2);
	EXPECT_RECORD(22, self->buf + 7, 3);
	EXPECT_RECORD(23, self->buf + 10, 4);

	EXPECT_EQ(ctrl_send_type(self->fd, self->buf, 2, 21, MSG_MORE), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_TRUE(wire_idle(self->peer));
}

/* A control record longer than a record is cut, all of its type. */
TEST_F(tx, record_type_long)
{
	ASSERT_EQ(ctrl_send_type(self->fd, self->buf, REC_MAX + 1, 22, 0),
		  REC_MAX + 1);
	EXPECT_RECORD(22, self->buf, REC_MAX);
	EXPECT_RECORD(22, self->buf + REC_MAX, 1);
}

TEST_F(tx, max_payload_len)
{
	unsigned short lim = 100;

	ASSERT_EQ(setsockopt(self->fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, &lim,
			     sizeof(lim)), 0);
	ASSERT_EQ(send(self->fd, self->buf, 250, 0), 250);
	EXPECT_RECORD(23, self->buf, 100);
	EXPECT_RECORD(23, self->buf + 100, 100);
	EXPECT_RECORD(23, self->buf + 200, 50);

	/* No change under an open record. */
	ASSERT_EQ(send(self->fd, self->buf, 30, MSG_MORE), 30);
	lim = 200;
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, &lim,
			     sizeof(lim)), -1);
	EXPECT_EQ(errno, EBUSY);
	ASSERT_EQ(send(self->fd, self->buf + 30, 90, 0), 90);
	EXPECT_RECORD(23, self->buf, 100);
	EXPECT_RECORD(23, self->buf + 100, 20);
	EXPECT_EQ(setsockopt(self->fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, &lim,
			     sizeof(lim)), 0);
}

/*
 * The last sequence number that is ever used is 2^64 - 2: as upstream,
 * a record that would take 2^64 - 1 is refused (EBADMSG, nothing sent),
 * and the socket is dead from then on.
 */
TEST_F(tx, sequence_exhausted)
{
	struct timeval tv = { .tv_sec = 10 };
	union ctrl_crypto keys;
	unsigned char *seq;
	int fd, peer;

	ASSERT_EQ(ctrl_tcp_pair(variant->family, &fd, &peer), 0);
	ASSERT_EQ(setsockopt(peer, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)),
		  0);
	ASSERT_EQ(ctrl_attach(fd), 0);
	keys = self->keys;
	seq = keys.bytes + sizeof(keys.info) + self->p.s->iv + self->p.s->key +
	      self->p.s->salt;
	memset(seq, 0xff, 8);
	seq[7] = 0xfe;
	ASSERT_EQ(setsockopt(fd, SOL_TLS, TLS_TX, &keys, self->keys_len), 0);
	peer_init(&self->p, &keys);
	EXPECT_EQ(self->p.seq, ~0ULL - 1);

	ASSERT_EQ(send(fd, self->buf, 10, 0), 10);
	close(self->peer);
	self->peer = peer;
	EXPECT_RECORD(23, self->buf, 10);
	EXPECT_EQ(send(fd, self->buf, 10, MSG_NOSIGNAL), -1);
	EXPECT_EQ(errno, EBADMSG);
	EXPECT_EQ(send(fd, self->buf, 10, MSG_NOSIGNAL), -1);
	EXPECT_EQ(errno, EBADMSG);
	EXPECT_TRUE(wire_idle(self->peer));
	close(fd);
}

/*
 * Read data records until EOF or until @want bytes came, appending their
 * payload to @out. Returns the bytes read or -1 on a bad record.
 */
static long drain(struct peer *p, int fd, unsigned char *out, long max,
		  long want, struct rec *r)
{
	long total = 0;
	int rc;

	while (total < want && (rc = peer_read(p, fd, r)) == 1) {
		if (r->type != 23 || total + r->len > max)
			return -1;
		memcpy(out + total, r->data, r->len);
		total += r->len;
	}
	return total < want && rc ? -1 : total;
}

#define FILE_LEN	(3 * 1024 * 1024 + 12345)

static int make_file(unsigned char *data, long len)
{
	char path[] = "/tmp/ktls-tx-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	if (write(fd, data, len) != len) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * sendfile of a file much larger than the socket buffer, from a child,
 * while the parent decrypts. The page cache must be left as it was.
 */
TEST_F(tx, sendfile_large)
{
	unsigned char *data = malloc(FILE_LEN), *got = malloc(FILE_LEN);
	int sndbuf = 65536, ffd, status;
	off_t off = 0;
	pid_t pid;

	ASSERT_TRUE(data && got);
	fill_pattern(data, FILE_LEN, 99);
	ffd = make_file(data, FILE_LEN);
	ASSERT_GE(ffd, 0);
	ASSERT_EQ(setsockopt(self->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
			     sizeof(sndbuf)), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		long left = FILE_LEN;

		while (left > 0) {
			ssize_t n = sendfile(self->fd, ffd, &off, left);

			if (n <= 0)
				_exit(1);
			left -= n;
		}
		_exit(0);
	}
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(drain(&self->p, self->peer, got, FILE_LEN, FILE_LEN + 1,
			&self->r), FILE_LEN);
	EXPECT_EQ(memcmp(got, data, FILE_LEN), 0);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_EQ(status, 0);
	EXPECT_EQ(pread(ffd, got, FILE_LEN, 0), FILE_LEN);
	EXPECT_EQ(memcmp(got, data, FILE_LEN), 0);
	close(ffd);
	free(data);
	free(got);
}

/* sendfile in one call: full records, then splice_eof closes the last. */
TEST_F(tx, sendfile_records)
{
	int len = 2 * REC_MAX + 777, ffd;
	off_t off = 0;

	ffd = make_file(self->buf, len);
	ASSERT_GE(ffd, 0);
	ASSERT_EQ(sendfile(self->fd, ffd, &off, len), len);
	EXPECT_RECORD(23, self->buf, REC_MAX);
	EXPECT_RECORD(23, self->buf + REC_MAX, REC_MAX);
	EXPECT_RECORD(23, self->buf + 2 * REC_MAX, 777);
	EXPECT_TRUE(wire_idle(self->peer));
	close(ffd);
}

TEST_F(tx, splice_from_pipe)
{
	int p[2], len = 40000;

	ASSERT_EQ(pipe(p), 0);
	ASSERT_EQ(fcntl(p[1], F_SETPIPE_SZ, 1 << 16), 1 << 16);
	ASSERT_EQ(write(p[1], self->buf, len), len);
	ASSERT_EQ(splice(p[0], NULL, self->fd, NULL, len, 0), len);
	EXPECT_RECORD(23, self->buf, REC_MAX);
	EXPECT_RECORD(23, self->buf + REC_MAX, REC_MAX);
	EXPECT_RECORD(23, self->buf + 2 * REC_MAX, len - 2 * REC_MAX);

	/* SPLICE_F_MORE keeps the record open until a send without it. */
	ASSERT_EQ(write(p[1], self->buf, 100), 100);
	ASSERT_EQ(splice(p[0], NULL, self->fd, NULL, 100, SPLICE_F_MORE),
		  100);
	EXPECT_TRUE(wire_idle(self->peer));
	ASSERT_EQ(send(self->fd, self->buf + 100, 5, 0), 5);
	EXPECT_RECORD(23, self->buf, 105);
	close(p[0]);
	close(p[1]);
}

/*
 * Spliced bytes stay in their pages until the record is sealed, between
 * bytes that were copied in: one record, every byte in its place.
 */
TEST_F(tx, splice_between_copied_bytes)
{
	int p[2];

	ASSERT_EQ(pipe(p), 0);
	ASSERT_EQ(fcntl(p[1], F_SETPIPE_SZ, 1 << 16), 1 << 16);
	ASSERT_EQ(send(self->fd, self->buf, 10, MSG_MORE), 10);
	ASSERT_EQ(write(p[1], self->buf + 10, 100), 100);
	ASSERT_EQ(splice(p[0], NULL, self->fd, NULL, 100, SPLICE_F_MORE),
		  100);
	ASSERT_EQ(send(self->fd, self->buf + 110, 7, MSG_MORE), 7);
	ASSERT_EQ(write(p[1], self->buf + 117, 5000), 5000);
	ASSERT_EQ(splice(p[0], NULL, self->fd, NULL, 5000, SPLICE_F_MORE),
		  5000);
	EXPECT_TRUE(wire_idle(self->peer));
	ASSERT_EQ(send(self->fd, self->buf + 5117, 5, 0), 5);
	EXPECT_RECORD(23, self->buf, 5122);
	EXPECT_TRUE(wire_idle(self->peer));
	close(p[0]);
	close(p[1]);
}

/*
 * More spliced pieces than a record keeps by reference (each vmspliced
 * from a page of its own, so none merges with the next): the rest is
 * copied, and the record still carries them all in order.
 */
TEST_F(tx, splice_many_pieces)
{
	long page = sysconf(_SC_PAGESIZE);
	struct iovec iov[24];
	unsigned char *src;
	int p[2], i;

	src = mmap(NULL, 24 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(src, MAP_FAILED);
	for (i = 0; i < 24; i++) {
		memcpy(src + i * page, self->buf + 100 * i, 100);
		iov[i].iov_base = src + i * page;
		iov[i].iov_len = 100;
	}
	ASSERT_EQ(pipe(p), 0);
	ASSERT_EQ(fcntl(p[1], F_SETPIPE_SZ, 1 << 17), 1 << 17);
	ASSERT_EQ(vmsplice(p[1], iov, 24, 0), 2400);
	ASSERT_EQ(splice(p[0], NULL, self->fd, NULL, 2400, 0), 2400);
	EXPECT_RECORD(23, self->buf, 2400);
	EXPECT_TRUE(wire_idle(self->peer));
	close(p[0]);
	close(p[1]);
	munmap(src, 24 * page);
}

/*
 * Non-blocking sends into a peer that does not read: EAGAIN eventually,
 * and every byte reported as sent arrives once, in order, once the peer
 * reads (the worker pushes what was queued).
 */
TEST_F(tx, nonblock_eagain_no_loss)
{
	static unsigned char got[8 << 20];
	int sndbuf = 32768;
	long sent = 0, n;

	ASSERT_EQ(setsockopt(self->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
			     sizeof(sndbuf)), 0);
	for (;;) {
		n = send(self->fd, self->buf + sent % REC_MAX, 3000,
			 MSG_DONTWAIT);
		if (n < 0)
			break;
		ASSERT_GT(n, 0);
		sent += n;
		ASSERT_LT(sent, (long)sizeof(got));
	}
	EXPECT_EQ(errno, EAGAIN);
	ASSERT_GT(sent, 0);
	/* What was accepted but not taken by TCP yet is pushed by the worker. */
	n = drain(&self->p, self->peer, got, sizeof(got), sent, &self->r);
	ASSERT_EQ(n, sent);
	EXPECT_TRUE(wire_idle(self->peer));
	for (n = 0; n < sent; n += 3000) {
		long chunk = sent - n < 3000 ? sent - n : 3000;

		ASSERT_EQ(memcmp(got + n, self->buf + n % REC_MAX, chunk), 0);
	}
}

/* SO_SNDTIMEO bounds a blocking send; what it accepted all arrives. */
TEST_F(tx, sndtimeo)
{
	static unsigned char big[4 << 20], got[4 << 20];
	struct timeval tv = { .tv_usec = 200000 };
	int sndbuf = 32768;
	long n, total;

	fill_pattern(big, sizeof(big), 5);
	ASSERT_EQ(setsockopt(self->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
			     sizeof(sndbuf)), 0);
	ASSERT_EQ(setsockopt(self->fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
			     sizeof(tv)), 0);
	n = send(self->fd, big, sizeof(big), 0);
	ASSERT_GT(n, 0);
	ASSERT_LT(n, (long)sizeof(big));
	total = drain(&self->p, self->peer, got, sizeof(got), n, &self->r);
	ASSERT_EQ(total, n);
	EXPECT_TRUE(wire_idle(self->peer));
	EXPECT_EQ(memcmp(got, big, n), 0);
}

/*
 * A peer with a zero window: a non-blocking sender's close() returns at
 * once (nothing waits on the peer, no lock held for long).
 */
TEST_F(tx, zero_window_close)
{
	long start;
	int sndbuf = 16384;

	ASSERT_EQ(setsockopt(self->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
			     sizeof(sndbuf)), 0);
	while (send(self->fd, self->buf, 5000, MSG_DONTWAIT) > 0)
		;
	ASSERT_EQ(errno, EAGAIN);
	start = ctrl_now_ms();
	close(self->fd);
	self->fd = -1;
	EXPECT_LT(ctrl_now_ms() - start, 1000);
}

/* A signal interrupts a blocked send like TCP: the bytes taken count. */
TEST_F(tx, signal_interrupts_send)
{
	static unsigned char big[4 << 20], got[4 << 20];
	struct sigaction sa = { .sa_handler = ctrl_on_signal };
	int sndbuf = 32768;
	long n;

	fill_pattern(big, sizeof(big), 11);
	ASSERT_EQ(sigaction(SIGALRM, &sa, NULL), 0);
	ASSERT_EQ(setsockopt(self->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
			     sizeof(sndbuf)), 0);
	alarm(1);
	n = send(self->fd, big, sizeof(big), 0);
	alarm(0);
	ASSERT_GT(n, 0);
	ASSERT_LT(n, (long)sizeof(big));
	EXPECT_EQ(drain(&self->p, self->peer, got, sizeof(got), n, &self->r),
		  n);
	EXPECT_EQ(memcmp(got, big, n), 0);
	EXPECT_TRUE(wire_idle(self->peer));
}

/*
 * Records closed before close() arrive, and so does the one left open by
 * MSG_MORE: TCP sends corked data on close too.
 */
TEST_F(tx, close_with_pending)
{
	ASSERT_EQ(send(self->fd, self->buf, 3 * REC_MAX, 0), 3 * REC_MAX);
	ASSERT_EQ(send(self->fd, self->buf, 10, MSG_MORE), 10);
	close(self->fd);
	self->fd = -1;
	EXPECT_RECORD(23, self->buf, REC_MAX);
	EXPECT_RECORD(23, self->buf + REC_MAX, REC_MAX);
	EXPECT_RECORD(23, self->buf + 2 * REC_MAX, REC_MAX);
	EXPECT_RECORD(23, self->buf, 10);
	EXPECT_EQ(peer_read(&self->p, self->peer, &self->r), 0);
}

TEST_F(tx, shutdown_wr)
{
	ASSERT_EQ(send(self->fd, self->buf, 1000, 0), 1000);
	ASSERT_EQ(shutdown(self->fd, SHUT_WR), 0);
	EXPECT_RECORD(23, self->buf, 1000);
	EXPECT_EQ(peer_read(&self->p, self->peer, &self->r), 0);
	EXPECT_EQ(send(self->fd, self->buf, 10, MSG_NOSIGNAL), -1);
	EXPECT_EQ(errno, EPIPE);
}

/* shutdown(SHUT_WR) ends an open MSG_MORE record before the FIN. */
TEST_F(tx, shutdown_sends_open_record)
{
	ASSERT_EQ(send(self->fd, self->buf, 10, MSG_MORE), 10);
	ASSERT_EQ(shutdown(self->fd, SHUT_WR), 0);
	EXPECT_RECORD(23, self->buf, 10);
	EXPECT_EQ(peer_read(&self->p, self->peer, &self->r), 0);
}

/* The stream the ending tests send: byte i is buf[i % STREAM_PERIOD]. */
#define STREAM_PERIOD	32768

static void make_periodic(unsigned char *buf)
{
	memcpy(buf + STREAM_PERIOD, buf, STREAM_PERIOD);
}

/*
 * Non-blocking sends of 1..20 KB into a peer that does not read, until
 * EAGAIN: part of what send() accepted is still with the record layer.
 */
static long send_until_eagain(int fd, const unsigned char *buf)
{
	unsigned int seed = 3;
	int sndbuf = 16384;
	long sent = 0, n;

	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	for (;;) {
		n = send(fd, buf + sent % STREAM_PERIOD,
			 1000 + rand_r(&seed) % 19000, MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? sent : -1;
		sent += n;
	}
}

/*
 * Read the stream to EOF. Return: how many bytes came before a clean EOF
 * and matched the stream, or -1 when the ending was not clean.
 */
static long stream_until_eof(struct peer *p, int fd, struct rec *r,
			     const unsigned char *buf)
{
	long n = 0;
	int rc, i;

	while ((rc = peer_read(p, fd, r)) == 1) {
		if (r->type != 23)
			return -1;
		for (i = 0; i < r->len; i++, n++)
			if (r->data[i] != buf[n % STREAM_PERIOD])
				return -1;
	}
	return rc ? -1 : n;
}

/* Everything a non-blocking sender was told was sent arrives: shutdown. */
TEST_F(tx, shutdown_after_eagain_loses_nothing)
{
	long sent;

	make_periodic(self->buf);
	sent = send_until_eagain(self->fd, self->buf);
	ASSERT_GT(sent, 0);
	ASSERT_EQ(shutdown(self->fd, SHUT_WR), 0);
	EXPECT_EQ(stream_until_eof(&self->p, self->peer, &self->r, self->buf),
		  sent);
}

/* The same ending with close(). */
TEST_F(tx, close_after_eagain_loses_nothing)
{
	long sent;

	make_periodic(self->buf);
	sent = send_until_eagain(self->fd, self->buf);
	ASSERT_GT(sent, 0);
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(stream_until_eof(&self->p, self->peer, &self->r, self->buf),
		  sent);
}

/* A blocking sender cut short by SO_SNDTIMEO, then close(). */
TEST_F(tx, close_after_sndtimeo_loses_nothing)
{
	struct timeval tv = { .tv_usec = 200000 };
	int sndbuf = 16384;
	long sent = 0, n;

	make_periodic(self->buf);
	ASSERT_EQ(setsockopt(self->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
			     sizeof(sndbuf)), 0);
	ASSERT_EQ(setsockopt(self->fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
			     sizeof(tv)), 0);
	do {
		n = send(self->fd, self->buf + sent % STREAM_PERIOD,
			 STREAM_PERIOD, 0);
		if (n > 0)
			sent += n;
	} while (n == STREAM_PERIOD);
	ASSERT_GT(sent, 0);
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(stream_until_eof(&self->p, self->peer, &self->r, self->buf),
		  sent);
}

struct blocked_send {
	int fd;
	const unsigned char *buf;
	long sent;		/* bytes accepted, or -errno */
};

/* One blocking send of the stream, far more than the buffers hold. */
static void *blocked_sender(void *arg)
{
	struct blocked_send *b = arg;
	long n = send(b->fd, b->buf, 3 * STREAM_PERIOD / 2, MSG_NOSIGNAL);
	long total = 0;

	while (n > 0) {
		total += n;
		n = send(b->fd, b->buf + total % STREAM_PERIOD,
			 3 * STREAM_PERIOD / 2, MSG_NOSIGNAL);
	}
	b->sent = total ? total : -errno;
	return NULL;
}

/*
 * shutdown(SHUT_WR) while another thread is asleep in send() on a peer
 * that does not read: shutdown returns at once (it does not wait for the
 * peer), the sender's send returns what it accepted (or EPIPE), and the
 * peer then gets all of that, and a clean EOF.
 */
TEST_F(tx, shutdown_ends_blocked_sender)
{
	struct blocked_send b = { .fd = self->fd, .buf = self->buf };
	int sndbuf = 16384;
	pthread_t thr;
	long start;

	make_periodic(self->buf);
	ASSERT_EQ(setsockopt(self->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
			     sizeof(sndbuf)), 0);
	ASSERT_EQ(pthread_create(&thr, NULL, blocked_sender, &b), 0);
	usleep(300000);
	start = ctrl_now_ms();
	ASSERT_EQ(shutdown(self->fd, SHUT_WR), 0);
	EXPECT_LT(ctrl_now_ms() - start, 1000);
	pthread_join(thr, NULL);
	ASSERT_GT(b.sent, 0);
	EXPECT_EQ(stream_until_eof(&self->p, self->peer, &self->r, self->buf),
		  b.sent);
}

/* SO_LINGER with a zero time resets: nothing is owed to the peer then. */
TEST_F(tx, linger_zero_close_resets)
{
	int rc;

	make_periodic(self->buf);
	ASSERT_GT(send_until_eagain(self->fd, self->buf), 0);
	ctrl_close_now(self->fd);
	self->fd = -1;
	while ((rc = peer_read(&self->p, self->peer, &self->r)) == 1)
		;
	EXPECT_EQ(rc, -1);
}

/* Unknown flags and bad control messages fail before anything is sent. */
TEST_F(tx, bad_flags_and_cmsg)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {};
	struct iovec iov = { .iov_base = self->buf, .iov_len = 10 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	EXPECT_EQ(send(self->fd, self->buf, 10, MSG_OOB), -1);
	EXPECT_EQ(errno, EOPNOTSUPP);
	cmsg->cmsg_level = SOL_TLS;
	cmsg->cmsg_type = 99;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	EXPECT_EQ(sendmsg(self->fd, &msg, 0), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_TRUE(wire_idle(self->peer));
	ASSERT_EQ(send(self->fd, self->buf, 10, 0), 10);
	EXPECT_RECORD(23, self->buf, 10);
}

/* Forced asynchronous AEAD (cryptd_util.h): TX through cryptd. */
FIXTURE(async)
{
	char driver[128];
	int fd, peer;
	struct peer p;
	union ctrl_crypto keys;
	struct rec r;
	unsigned char buf[4 * REC_MAX];
};

FIXTURE_VARIANT(async)
{
	unsigned short version;
};

FIXTURE_VARIANT_ADD(async, 12_aes_gcm)
{
	.version = TLS_1_2_VERSION,
};

FIXTURE_VARIANT_ADD(async, 13_aes_gcm)
{
	.version = TLS_1_3_VERSION,
};

FIXTURE_SETUP(async)
{
	struct timeval tv = { .tv_sec = 10 };
	int rc, len;
	long refs;

	rc = cryptd_gcm_instantiate(self->driver, sizeof(self->driver));
	if (rc)
		SKIP(return, "cannot instantiate %s: %d", CRYPTD_GCM, rc);
	ASSERT_EQ(cryptd_nl(CRYPTO_MSG_UPDATEALG, self->driver,
			    CRYPTD_PRIO_TOP), 0);
	ASSERT_EQ(cryptd_proc_field(self->driver, "priority"), CRYPTD_PRIO_TOP);
	refs = cryptd_proc_field(self->driver, "refcnt");

	ASSERT_EQ(ctrl_tcp_pair(AF_INET, &self->fd, &self->peer), 0);
	ASSERT_EQ(setsockopt(self->peer, SOL_SOCKET, SO_RCVTIMEO, &tv,
			     sizeof(tv)), 0);
	ASSERT_EQ(ctrl_attach(self->fd), 0);
	len = ctrl_crypto_fill(&self->keys, variant->version,
			       TLS_CIPHER_AES_GCM_128, 3);
	ASSERT_EQ(setsockopt(self->fd, SOL_TLS, TLS_TX, &self->keys, len), 0);
	/* Our transform is the cryptd one. */
	ASSERT_GT(cryptd_proc_field(self->driver, "refcnt"), refs);
	peer_init(&self->p, &self->keys);
	ASSERT_NE(self->p.evp, NULL);
	fill_pattern(self->buf, sizeof(self->buf), 77);
}

FIXTURE_TEARDOWN(async)
{
	close(self->fd);
	close(self->peer);
	/* Back below every other gcm(aes): later tests get a sync one. */
	if (self->driver[0])
		cryptd_nl(CRYPTO_MSG_UPDATEALG, self->driver,
			  CRYPTD_PRIO_BOTTOM);
}

TEST_F(async, records_in_order)
{
	int i;

	ASSERT_EQ(send(self->fd, self->buf, 3 * REC_MAX + 5, 0),
		  3 * REC_MAX + 5);
	for (i = 0; i < 20; i++)
		ASSERT_EQ(send(self->fd, self->buf + i, 100 + i, 0), 100 + i);
	EXPECT_RECORD(23, self->buf, REC_MAX);
	EXPECT_RECORD(23, self->buf + REC_MAX, REC_MAX);
	EXPECT_RECORD(23, self->buf + 2 * REC_MAX, REC_MAX);
	EXPECT_RECORD(23, self->buf + 3 * REC_MAX, 5);
	for (i = 0; i < 20; i++)
		EXPECT_RECORD(23, self->buf + i, 100 + i);
}

/* Close while a child is still sending through the async transform. */
TEST_F(async, close_during_traffic)
{
	unsigned char *got = malloc(FILE_LEN);
	int status;
	long n;
	pid_t pid;

	ASSERT_NE(got, NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		int i;

		close(self->peer);
		for (i = 0; i < 200; i++)
			if (send(self->fd, self->buf, 3 * REC_MAX,
				 MSG_NOSIGNAL) < 0)
				_exit(0);
		_exit(0);
	}
	close(self->fd);
	self->fd = -1;
	n = drain(&self->p, self->peer, got, FILE_LEN, 20 * REC_MAX,
		  &self->r);
	EXPECT_GE(n, 20 * REC_MAX);
	close(self->peer);
	self->peer = -1;
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_EQ(status, 0);
	free(got);
}

TEST_F(async, sendfile)
{
	int len = 5 * REC_MAX + 3, ffd;
	off_t off = 0;
	int i;

	ffd = make_file(self->buf, 4 * REC_MAX);
	ASSERT_GE(ffd, 0);
	ASSERT_EQ(sendfile(self->fd, ffd, &off, len), 4 * REC_MAX);
	for (i = 0; i < 4; i++)
		EXPECT_RECORD(23, self->buf + i * REC_MAX, REC_MAX);
	close(ffd);
}

/*
 * One send() of ten records: more than the four an asynchronous engine
 * gets at once from one call, so the flight fills, is settled and pushed
 * mid-call, and fills again.
 */
TEST_F(async, more_records_than_flight)
{
	long len = 9 * REC_MAX + 7;
	unsigned char *data = malloc(len);
	long i;

	ASSERT_NE(data, NULL);
	fill_pattern(data, len, 31);
	ASSERT_EQ(send(self->fd, data, len, 0), len);
	for (i = 0; i < 9; i++)
		EXPECT_RECORD(23, data + i * REC_MAX, REC_MAX);
	EXPECT_RECORD(23, data + 9 * REC_MAX, 7);
	free(data);
}

/*
 * MSG_MORE: the full records go out although the call leaves its last one
 * open; that one carries the next call's bytes too.
 */
TEST_F(async, msg_more_after_full_records)
{
	unsigned char tail[REC_MAX + 20];

	memcpy(tail, self->buf + 2 * REC_MAX, 10);
	memcpy(tail + 10, self->buf, 5);
	ASSERT_EQ(send(self->fd, self->buf, 2 * REC_MAX + 10, MSG_MORE),
		  2 * REC_MAX + 10);
	EXPECT_RECORD(23, self->buf, REC_MAX);
	EXPECT_RECORD(23, self->buf + REC_MAX, REC_MAX);
	EXPECT_TRUE(wire_idle(self->peer));
	ASSERT_EQ(send(self->fd, self->buf, 5, 0), 5);
	EXPECT_RECORD(23, tail, 15);
}

/*
 * Non-blocking sends of several records at a time until the socket is
 * full: every byte a send() counted reaches the peer, in order, and none
 * it did not count.
 */
TEST_F(async, dontwait_counts_what_is_sent)
{
	long cap = 64 * REC_MAX, sent = 0, n;
	unsigned char *data = malloc(cap), *got = malloc(cap);
	int sndbuf = 65536;

	ASSERT_NE(data, NULL);
	ASSERT_NE(got, NULL);
	fill_pattern(data, cap, 5);
	ASSERT_EQ(setsockopt(self->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
			     sizeof(sndbuf)), 0);
	while (sent < cap) {
		n = send(self->fd, data + sent,
			 cap - sent < 5 * REC_MAX ? cap - sent : 5 * REC_MAX,
			 MSG_DONTWAIT);
		if (n < 0) {
			ASSERT_EQ(errno, EAGAIN);
			break;
		}
		sent += n;
	}
	ASSERT_GT(sent, 0);
	shutdown(self->fd, SHUT_WR);
	EXPECT_EQ(drain(&self->p, self->peer, got, cap, cap, &self->r), sent);
	EXPECT_EQ(memcmp(got, data, sent), 0);
	free(data);
	free(got);
}

TEST_HARNESS_MAIN
