// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency stress of one kTLS socket pair (issue 11). Several threads
 * run a seeded sequence of random operations on both ends of one TCP
 * connection that has TLS_TX and TLS_RX on each side: reads, peeks (also
 * with MSG_WAITALL), splice into a pipe, poll and epoll, send, send with
 * MSG_MORE, sendfile, TLS 1.3 KeyUpdate followed by the rekey of both
 * sides, refused rekeys, getsockopt of the keys, the record size and
 * no-pad options, and readers that stall so that senders block. Then both
 * streams end (shutdown(SHUT_WR), or a flush and close) and are drained.
 *
 * What is checked:
 * - every byte: each direction carries a fixed pseudo-random stream (byte
 *   i is stream[i % STREAM_PERIOD]). Senders hold a mutex around each
 *   send so that the stream order is defined; consuming readers hold
 *   another and check the bytes at their position; a peek must show the
 *   stream at a read position that existed during the call;
 * - KeyUpdate records arrive exactly where they were sent, and reads
 *   fail with EKEYEXPIRED only while one is unanswered;
 * - at the end, every byte send() accepted arrives before EOF;
 * - a watchdog thread samples each thread's state in /proc: no call
 *   sleeps uninterruptibly for long other than for the socket lock, none
 *   outlives its timeout by far (a reader that spins instead of sleeping
 *   never uses its timeout up: a MSG_PEEK|MSG_WAITALL for more than was
 *   sent shows it), and nothing hangs (the watchdog then ends the test
 *   with what each thread was doing).
 *
 * The seed fixes the operations, their sizes and flags; the interleaving
 * of the threads is up to the scheduler, so a seed reproduces the work,
 * not the exact schedule. Usage: stress [-s SEED] [-n OPS] [-t THREADS]
 * [-x OP]... [harness filters], or STRESS_SEED, STRESS_OPS, STRESS_THREADS
 * (see -h and Documentation/testing.rst).
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/sockios.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <time.h>

#include "ctrl_util.h"
#include "kselftest_harness.h"

#define TLS_HS		22		/* handshake content type */
#define TLS_DATA	23		/* application_data */

#define MAX_THREADS	32
#define MAX_IO		(64 * 1024)	/* largest single send or read */
/* Prime-ish: no record or buffer size divides it, a shift never matches. */
#define STREAM_PERIOD	((4 << 20) + 4093)
#define STREAM_LEN	(STREAM_PERIOD + MAX_IO)
#define IDLE_MAX	(2 << 20)	/* what a peek past the end may take */
#define MAX_KU		4096		/* KeyUpdates per direction */
#define MAX_REPORTS	8		/* failures printed in full */
#define MAX_SOFT_REPORTS 4		/* and of those that let the run go on */

#define MS		1000000LL	/* in ns */
#define RCV_TIMEO_MS	250		/* SO_RCVTIMEO of both ends */
#define SND_TIMEO_MS	500		/* SO_SNDTIMEO of both ends */
#define STALL_MAX_MS	400		/* a reader holding up its direction */
#define D_LIMIT_MS	200		/* uninterruptible sleep that fails */
/*
 * A call this long is overdue even under TCG and KASAN, where one large
 * send or read may take seconds: it fails and gets a signal.
 */
#define CALL_LIMIT_MS	10000
#define HANG_LIMIT_MS	30000		/* a call still not back: hung */
#define IDLE_LIMIT_MS	30000		/* no operation ended for this long */
#define DRAIN_LIMIT_MS	20000		/* no data and no EOF at the end */
#define WATCH_MS	20		/* watchdog sampling period */

#define DEFAULT_OPS	1000
#define DEFAULT_THREADS	4

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define ADD(x, v)	__atomic_add_fetch(&(x), (v), __ATOMIC_SEQ_CST)

/* KeyUpdate, length 1, update_not_requested (RFC 8446 4.6.3) */
static const unsigned char keyupdate[] = { 24, 0, 0, 1, 0 };

struct stress_cfg {
	unsigned long long seed;
	long ops;
	int threads;
	unsigned int skip;		/* operation kinds left out (-x) */
	pid_t harness;			/* the process that runs the tests */
};

static struct stress_cfg cfg = {
	.ops = DEFAULT_OPS,
	.threads = DEFAULT_THREADS,
};

/* One direction of the connection: tx_fd sends, rx_fd reads. */
struct dir {
	int idx;			/* 0: A->B, 1: B->A */
	const char *name;
	int tx_fd, rx_fd;
	unsigned char *stream;		/* STREAM_LEN bytes */
	int file;			/* the same bytes, for sendfile */
	unsigned char *idle_buf;	/* IDLE_MAX bytes, under tx_lock */

	/* Sender side: changed under tx_lock, read atomically outside. */
	pthread_mutex_t tx_lock;
	unsigned long long tx_pos;	/* bytes accepted by send */
	unsigned long long tx_open;	/* of those, sent with MSG_MORE last */
	int tx_gen;			/* TX key generation */
	int ku_count;			/* KeyUpdates sent or being sent */
	unsigned long long ku_off[MAX_KU]; /* stream offset of each */

	/* Consuming reads: changed under rx_lock, read atomically outside. */
	pthread_mutex_t rx_lock;
	unsigned long long rx_pos;	/* bytes read and checked */
	unsigned long long rx_limit;	/* rx_pos + length of a read under way */
	int rx_gen;			/* KeyUpdates read: RX key generation */
	unsigned int ku_have;		/* bytes of the next one read so far */
	int rx_busy;			/* a consuming read is under way */
	int eof;
};

enum op_kind {
	OP_RECV, OP_PEEK, OP_PEEK_WAITALL, OP_PEEK_IDLE, OP_SPLICE,
	OP_POLL, OP_EPOLL, OP_SEND, OP_SEND_MORE, OP_SENDFILE, OP_REKEY,
	OP_BAD_REKEY, OP_GETSOCKOPT, OP_STALL, OP_EMPTY_SEND, OP_NO_PAD,
	OP_MAX_PAYLOAD, OP_INQ, NR_OPS
};

struct run;

/* A thread, and the call it is in for the watchdog. */
struct worker {
	struct run *run;
	int idx;
	pid_t tid;
	pthread_t thread;
	unsigned long long rng;
	long ops;
	enum op_kind kind;		/* operation under way, for counters */
	struct dir *drain;		/* drainer: the direction it reads */
	unsigned char *buf;		/* MAX_IO bytes */
	int pipe[2];
	const char *op;			/* the call under way */
	long long call_start;		/* ns; 0 outside a call */

	/* The watchdog's view of the call under way. */
	long long seen_call;		/* its call_start */
	long long seen_at;		/* when first seen */
	long seen_cpu_ms;		/* the thread's CPU time then */
	long long d_start;		/* in D (not for the socket lock) since */
	bool kicked;			/* overdue: failed and signalled */
};

/* Workers, then two drainers, then the main thread's own slot. */
#define NR_WORKERS	(MAX_THREADS + 3)

struct run {
	unsigned short version;
	int bufsize;			/* SO_SNDBUF and SO_RCVBUF */
	int fd[2];
	int epfd;
	struct dir dir[2];
	int draining;			/* EOF is expected from now on */
	int stop;			/* a check failed: everyone stops */
	int failures;
	int soft_failures;		/* failed, but the streams are intact */
	long ops_done;
	int nworkers;			/* threads running operations */
	struct worker w[NR_WORKERS];
	pthread_t watchdog;
	int watch_stop;
	pthread_mutex_t log_lock;
	long calls[NR_OPS], bytes[NR_OPS], again[NR_OPS];
	long long call_ns[NR_OPS];	/* time spent in system calls */
	long refused_tx, refused_rx;	/* refused rekeys */
	long long max_d_ns;		/* longest D streak seen in a call */
	const char *max_d_op;
	const char *ending;
};

static long long clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* splitmix64: small, good enough, and the same everywhere. */
static unsigned long long rnd_next(unsigned long long *s)
{
	unsigned long long z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int rnd_below(unsigned long long *s, unsigned int n)
{
	return n ? rnd_next(s) % n : 0;
}

/* Sizes that land on every kind of record boundary: tiny to many records. */
static size_t rnd_size(unsigned long long *s)
{
	static const unsigned int top[] = { 16, 1024, 20000, MAX_IO };

	return 1 + rnd_below(s, top[rnd_below(s, ARRAY_SIZE(top))]);
}

static void __printf(2, 3) say(struct run *r, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&r->log_lock);
	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	va_end(ap);
	pthread_mutex_unlock(&r->log_lock);
}

/* Report a failed check, the first few of each kind. */
static void __printf(3, 0) report(struct worker *w, bool soft, const char *fmt,
				  va_list ap)
{
	struct run *r = w->run;
	char msg[512];
	long n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = soft ? ADD(r->soft_failures, 1) : ADD(r->failures, 1);
	if (n <= (soft ? MAX_SOFT_REPORTS : MAX_REPORTS))
		say(r, "FAIL: thread %d, seed %llu: %s", w->idx, cfg.seed, msg);
}

/* Record a failed check and stop every thread at its next operation. */
static void __printf(2, 3) fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	STORE(w->run->stop, 1);
	va_start(ap, fmt);
	report(w, false, fmt, ap);
	va_end(ap);
}

/*
 * A failed check that leaves the streams intact (a call that slept
 * uninterruptibly or ran far too long): the run goes on, so that one run
 * also finds what comes later, the end of the streams in particular.
 */
static void __printf(2, 3) fail_soft(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(w, true, fmt, ap);
	va_end(ap);
}

/* The stream of one direction, repeated past its period for one I/O. */
static unsigned char *stream_new(unsigned long long seed)
{
	unsigned char *s = malloc(STREAM_LEN);
	unsigned long long v;
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i < STREAM_PERIOD; i += sizeof(v)) {
		v = rnd_next(&seed);
		memcpy(s + i, &v, sizeof(v));
	}
	memcpy(s + STREAM_PERIOD, s, MAX_IO);
	return s;
}

/* A memfd (a /tmp file where there is none) holding @s, for sendfile. */
static int stream_file(const unsigned char *s)
{
	size_t done = 0;
	ssize_t n;
	int fd;

	fd = memfd_create("stress-stream", 0);
	if (fd < 0)
		fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	while (fd >= 0 && done < STREAM_LEN) {
		n = pwrite(fd, s + done, STREAM_LEN - done, done);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += n;
	}
	return fd;
}

static const unsigned char *stream_at(const struct dir *d,
				      unsigned long long pos)
{
	return d->stream + pos % STREAM_PERIOD;
}

/* Whether @buf is the stream at @pos; @n may exceed MAX_IO. */
static bool stream_is(const struct dir *d, unsigned long long pos,
		      const unsigned char *buf, size_t n)
{
	size_t part;

	while (n) {
		part = STREAM_PERIOD - pos % STREAM_PERIOD;
		part = part < n ? part : n;
		if (memcmp(buf, stream_at(d, pos), part))
			return false;
		buf += part;
		pos += part;
		n -= part;
	}
	return true;
}

/* Whether @buf is the stream at some position in lo..hi. */
static bool stream_find(const struct dir *d, const unsigned char *buf,
			size_t n, unsigned long long lo, unsigned long long hi)
{
	unsigned long long p;

	for (p = lo; p <= hi; p++)
		if (stream_is(d, p, buf, n))
			return true;
	return false;
}

static int check_bytes(struct worker *w, struct dir *d, const char *what,
		       unsigned long long pos, size_t n)
{
	const unsigned char *want = stream_at(d, pos);
	size_t i;

	if (!memcmp(w->buf, want, n))
		return 0;
	for (i = 0; w->buf[i] == want[i]; i++)
		;
	fail(w, "%s %s: byte %llu is 0x%02x, want 0x%02x (read of %zu at %llu)",
	     what, d->name, pos + i, w->buf[i], want[i], n, pos);
	return -1;
}

/* Key of generation @gen of direction @dir: distinct for each. */
static int key_fill(union ctrl_crypto *c, unsigned short version, int dir,
		    int gen)
{
	int len = ctrl_crypto_fill(c, version, TLS_CIPHER_AES_GCM_128,
				   (unsigned char)(0x40 + dir));

	memcpy(c->aes_gcm_128.key, &gen, sizeof(gen));
	return len;
}

static int key_set(int fd, int opt, unsigned short version, int dir, int gen)
{
	union ctrl_crypto c;
	int len = key_fill(&c, version, dir, gen);

	return setsockopt(fd, SOL_TLS, opt, &c, len);
}

/* The generation whose key @got holds; -1 if it is no key of @dir. */
static int key_gen_of(const union ctrl_crypto *got, unsigned short version,
		      int dir)
{
	const struct tls12_crypto_info_aes_gcm_128 *g = &got->aes_gcm_128;
	union ctrl_crypto want;
	int gen;

	memcpy(&gen, g->key, sizeof(gen));
	key_fill(&want, version, dir, gen);
	if (g->info.version != version ||
	    g->info.cipher_type != TLS_CIPHER_AES_GCM_128 ||
	    memcmp(g->key, want.aes_gcm_128.key, sizeof(g->key)) ||
	    memcmp(g->salt, want.aes_gcm_128.salt, sizeof(g->salt)))
		return -1;
	return gen;
}

/* A system call starts: the watchdog watches it until call_end(). */
static void call_begin(struct worker *w, const char *op)
{
	STORE(w->op, op);
	STORE(w->call_start, clock_ns(CLOCK_MONOTONIC));
}

static void call_end(struct worker *w)
{
	long long start = w->call_start;

	STORE(w->call_start, 0);
	ADD(w->run->call_ns[w->kind], clock_ns(CLOCK_MONOTONIC) - start);
}

/*
 * A call gave up waiting: EAGAIN for MSG_DONTWAIT or a timeout, EINTR
 * for the watchdog's signal to a call it found overdue.
 */
static bool wait_ended(int err)
{
	return err == EAGAIN || err == EINTR;
}

/* Result of one read. */
struct rx_result {
	unsigned char *buf;		/* where it went */
	ssize_t n;
	int err;
	int type;			/* from the cmsg; -1 without one */
};

/* @len bytes of @buf as one to three iovecs. */
static int split_iov(struct worker *w, struct iovec *iov, unsigned char *buf,
		     size_t len)
{
	int n = 1 + rnd_below(&w->rng, 3), i;
	size_t off = 0, part;

	for (i = 0; i < n; i++) {
		part = len - off;
		if (i < n - 1)
			part = rnd_below(&w->rng, part + 1);
		iov[i].iov_base = buf + off;
		iov[i].iov_len = part;
		off += part;
	}
	return n;
}

/* recvmsg into the worker's buffer, or @res->buf if one is set. */
static void rx_call(struct worker *w, int fd, size_t len, int flags,
		    bool cmsg, struct rx_result *res)
{
	char cbuf[CMSG_SPACE(1)] = {};
	struct iovec iov[3];
	struct msghdr msg = { .msg_iov = iov };
	struct cmsghdr *cm;

	if (!res->buf)
		res->buf = w->buf;
	msg.msg_iovlen = split_iov(w, iov, res->buf, len);
	if (cmsg) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
	}
	res->n = recvmsg(fd, &msg, flags);
	res->err = res->n < 0 ? errno : 0;
	res->type = -1;
	cm = cmsg && res->n >= 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (cm && cm->cmsg_level == SOL_TLS &&
	    cm->cmsg_type == TLS_GET_RECORD_TYPE)
		res->type = *CMSG_DATA(cm);
}

/* Whether the next KeyUpdate not yet read was sent at @pos. */
static bool ku_due_at(struct dir *d, unsigned long long pos)
{
	int k = LOAD(d->rx_gen);

	return k < LOAD(d->ku_count) && LOAD(d->ku_off[k]) == pos;
}

/* A consuming read of up to @len bytes starts; peeks may see up to there. */
static void rx_begin(struct dir *d, size_t len)
{
	STORE(d->rx_limit, d->rx_pos + len);
	STORE(d->rx_busy, 1);
}

static void rx_end(struct dir *d)
{
	STORE(d->rx_limit, d->rx_pos);
	STORE(d->rx_busy, 0);
}

static void rx_data(struct worker *w, struct dir *d, size_t n,
		    const char *what)
{
	unsigned long long pos = d->rx_pos;
	int k = d->rx_gen;

	/* Data never comes from past a KeyUpdate not yet read. */
	if (k < LOAD(d->ku_count) && LOAD(d->ku_off[k]) < pos + n) {
		fail(w, "%s %s: read %zu bytes at %llu, over KeyUpdate %d at %llu",
		     what, d->name, n, pos, k, LOAD(d->ku_off[k]));
		return;
	}
	if (check_bytes(w, d, what, pos, n))
		return;
	STORE(d->rx_pos, pos + n);
	ADD(w->run->bytes[w->kind], n);
}

/* After a KeyUpdate, reads fail until the new key is in. */
static bool rx_paused(struct worker *w, struct dir *d)
{
	struct rx_result res = {};

	call_begin(w, "recv after a KeyUpdate");
	rx_call(w, d->rx_fd, 64, MSG_DONTWAIT, true, &res);
	call_end(w);
	if (res.n < 0 && res.err == EKEYEXPIRED)
		return true;
	fail(w, "%s: a read after KeyUpdate %d returned %zd (%s), not EKEYEXPIRED",
	     d->name, d->rx_gen, res.n, res.n < 0 ? strerror(res.err) : "data");
	return false;
}

/*
 * Install key generation @gen of @d for @opt (TLS_TX on its sender,
 * TLS_RX on its receiver). Returns false, the run failed, if refused.
 */
static bool install_key(struct worker *w, struct dir *d, int opt, int gen)
{
	bool tx = opt == TLS_TX;
	int rc, err;

	call_begin(w, tx ? "setsockopt(TLS_TX)" : "setsockopt(TLS_RX)");
	rc = key_set(tx ? d->tx_fd : d->rx_fd, opt, w->run->version, d->idx,
		     gen);
	err = errno;
	call_end(w);
	if (rc)
		fail(w, "%s: %s key %d refused: %s", d->name, tx ? "TX" : "RX",
		     gen, strerror(err));
	return !rc;
}

/*
 * (Part of) a KeyUpdate was read -- a short read takes a record in parts.
 * Check where it came; once whole, install the next RX key.
 */
static void rx_keyupdate(struct worker *w, struct dir *d, size_t n,
			 const char *what)
{
	int k = d->rx_gen;

	if (!ku_due_at(d, d->rx_pos)) {
		fail(w, "%s %s: a handshake record at byte %llu, no KeyUpdate sent there",
		     what, d->name, d->rx_pos);
		return;
	}
	if (d->ku_have + n > sizeof(keyupdate) ||
	    memcmp(w->buf, keyupdate + d->ku_have, n)) {
		fail(w, "%s %s: %zu bytes at %u of a KeyUpdate record differ",
		     what, d->name, n, d->ku_have);
		return;
	}
	d->ku_have += n;
	if (d->ku_have < sizeof(keyupdate))
		return;
	d->ku_have = 0;
	if (rnd_below(&w->rng, 2) && !rx_paused(w, d))
		return;
	if (install_key(w, d, TLS_RX, k + 1))
		STORE(d->rx_gen, k + 1);
}

static void rx_eof(struct worker *w, struct dir *d, const char *what)
{
	if (!LOAD(w->run->draining)) {
		fail(w, "%s %s: EOF in the middle of the run", what, d->name);
		return;
	}
	STORE(d->eof, 1);
}

/*
 * A failed consuming read. @ku_err is what this kind of read answers when
 * the next record is a KeyUpdate it cannot take. A consuming read that
 * answered a KeyUpdate installs the next key before it lets go of
 * rx_lock, so another one never sees RX paused.
 */
static void rx_error(struct worker *w, struct dir *d, int err, int ku_err,
		     const char *what)
{
	if (wait_ended(err)) {
		ADD(w->run->again[w->kind], 1);
		return;
	}
	if (err == ku_err && ku_due_at(d, d->rx_pos))
		return;
	if (err == EKEYEXPIRED)
		fail(w, "%s %s: EKEYEXPIRED at byte %llu, no KeyUpdate pending",
		     what, d->name, d->rx_pos);
	else
		fail(w, "%s %s: %s at byte %llu of %llu sent", what, d->name,
		     strerror(err), d->rx_pos, LOAD(d->tx_pos));
}

/* Account for a consuming read, rx_lock held. */
static void rx_account(struct worker *w, struct dir *d,
		       const struct rx_result *res, int ku_err,
		       const char *what)
{
	if (res->n > 0 && res->type == TLS_HS)
		rx_keyupdate(w, d, res->n, what);
	else if (res->n > 0 && (res->type < 0 || res->type == TLS_DATA))
		rx_data(w, d, res->n, what);
	else if (res->n > 0)
		fail(w, "%s %s: record type %d", what, d->name, res->type);
	else if (res->n == 0)
		rx_eof(w, d, what);
	else
		rx_error(w, d, res->err, ku_err, what);
}

/*
 * One consuming recvmsg, rx_lock held. Without a cmsg buffer a KeyUpdate
 * cannot be read: EIO.
 */
static void consume_recv(struct worker *w, struct dir *d, size_t len,
			 int flags, bool cmsg)
{
	const char *what = cmsg ? "recvmsg" : "recv";
	struct rx_result res = {};

	rx_begin(d, len);
	call_begin(w, what);
	rx_call(w, d->rx_fd, len, flags, cmsg, &res);
	call_end(w);
	rx_account(w, d, &res, cmsg ? 0 : EIO, what);
	rx_end(d);
}

static int pick_rx_flags(struct worker *w)
{
	static const int flags[] = { MSG_DONTWAIT, 0, MSG_WAITALL };

	return flags[rnd_below(&w->rng, ARRAY_SIZE(flags))];
}

static void op_peek(struct worker *w, struct dir *d);

/*
 * The consuming-read side of @d, for one operation. A thread holding it
 * waits for data or stalls on purpose: peek meanwhile, rather than queue
 * up behind it.
 */
static bool rx_take(struct worker *w, struct dir *d)
{
	if (!pthread_mutex_trylock(&d->rx_lock))
		return true;
	w->kind = OP_PEEK;
	op_peek(w, d);
	return false;
}

static void op_recv(struct worker *w, struct dir *d)
{
	size_t len = rnd_size(&w->rng);
	int flags = pick_rx_flags(w);
	bool cmsg = rnd_below(&w->rng, 4);

	if (!rx_take(w, d))
		return;
	if (!d->eof)
		consume_recv(w, d, len, flags, cmsg);
	pthread_mutex_unlock(&d->rx_lock);
}

/*
 * The send side of @d, for one operation. A thread holding it is likely
 * blocked until this direction is read: read it, rather than queue up.
 */
static bool tx_take(struct worker *w, struct dir *d)
{
	if (!pthread_mutex_trylock(&d->tx_lock))
		return true;
	w->kind = OP_RECV;
	op_recv(w, d);
	return false;
}

/* Read exactly @n bytes that splice put in the pipe. */
static int pipe_take(struct worker *w, size_t n)
{
	size_t done = 0;
	ssize_t got;

	while (done < n) {
		got = read(w->pipe[0], w->buf + done, n - done);
		if (got <= 0)
			return -1;
		done += got;
	}
	return 0;
}

/* splice of one record's data at most; EINVAL before a KeyUpdate. */
static void op_splice(struct worker *w, struct dir *d)
{
	size_t len = rnd_size(&w->rng);
	int flags = rnd_below(&w->rng, 2) ? SPLICE_F_NONBLOCK : 0;
	struct rx_result res = { .type = -1 };

	if (!rx_take(w, d))
		return;
	if (d->eof)
		goto out;
	rx_begin(d, len);
	call_begin(w, "splice");
	res.n = splice(d->rx_fd, NULL, w->pipe[1], NULL, len, flags);
	res.err = res.n < 0 ? errno : 0;
	call_end(w);
	if (res.n > 0 && pipe_take(w, res.n))
		fail(w, "splice %s: the pipe lost data", d->name);
	else
		rx_account(w, d, &res, EINVAL, "splice");
	rx_end(d);
out:
	pthread_mutex_unlock(&d->rx_lock);
}

/*
 * A peek can find RX paused only while a consuming read that took a
 * KeyUpdate has not installed the next key yet: one did during the call
 * (the generation moved), or one is still at it.
 */
static bool pause_possible(struct dir *d, int gen0)
{
	int gen1 = LOAD(d->rx_gen);

	return gen1 > gen0 || (LOAD(d->rx_busy) && LOAD(d->ku_count) > gen1);
}

/*
 * Whether @buf is part of a KeyUpdate record: a short read takes a part,
 * and a peek after it starts where that read stopped.
 */
static bool is_keyupdate_part(const unsigned char *buf, size_t n)
{
	size_t off;

	for (off = 0; off + n <= sizeof(keyupdate); off++)
		if (!memcmp(buf, keyupdate + off, n))
			return true;
	return false;
}

static void peek_keyupdate(struct worker *w, struct dir *d,
			   const struct rx_result *res, unsigned long long lo,
			   unsigned long long hi, int gen0, const char *what)
{
	int k, count = LOAD(d->ku_count);
	size_t n = res->n;

	if (!is_keyupdate_part(res->buf, n)) {
		fail(w, "%s %s: a handshake record of %zu bytes, not a KeyUpdate",
		     what, d->name, n);
		return;
	}
	for (k = gen0; k < count; k++)
		if (LOAD(d->ku_off[k]) >= lo && LOAD(d->ku_off[k]) <= hi)
			return;
	fail(w, "%s %s: a KeyUpdate where none was sent (bytes %llu..%llu)",
	     what, d->name, lo, hi);
}

/*
 * Check a peek made while consuming reads went on: its bytes are the
 * stream at some position between the read position before the call
 * (@lo) and the end of any read under way after it.
 */
static void peek_check(struct worker *w, struct dir *d,
		       const struct rx_result *res, unsigned long long lo,
		       int gen0, const char *what)
{
	unsigned long long hi = LOAD(d->rx_limit);

	if (res->n > 0 && res->type == TLS_HS)
		peek_keyupdate(w, d, res, lo, hi, gen0, what);
	else if (res->n > 0 && res->type != TLS_DATA && res->type >= 0)
		fail(w, "%s %s: record type %d", what, d->name, res->type);
	else if (res->n > 0 && !stream_find(d, res->buf, res->n, lo, hi))
		fail(w, "%s %s: %zd bytes that are the stream nowhere in %llu..%llu",
		     what, d->name, res->n, lo, hi);
	else if (res->n > 0)
		ADD(w->run->bytes[w->kind], res->n);
	else if (res->n == 0)
		fail(w, "%s %s: EOF in the middle of the run", what, d->name);
	else if (wait_ended(res->err))
		ADD(w->run->again[w->kind], 1);
	else if (res->err != EKEYEXPIRED || !pause_possible(d, gen0))
		fail(w, "%s %s: %s near byte %llu", what, d->name,
		     strerror(res->err), lo);
}

/* A peek, not serialized with the consuming reads on purpose. */
static void peek(struct worker *w, struct dir *d, int flags, const char *what)
{
	size_t len = rnd_size(&w->rng);
	unsigned long long lo = LOAD(d->rx_pos);
	int gen0 = LOAD(d->rx_gen);
	struct rx_result res = {};

	call_begin(w, what);
	rx_call(w, d->rx_fd, len, MSG_PEEK | flags, true, &res);
	call_end(w);
	peek_check(w, d, &res, lo, gen0, what);
}

static void op_peek(struct worker *w, struct dir *d)
{
	peek(w, d, rnd_below(&w->rng, 2) ? MSG_DONTWAIT : 0, "recv(MSG_PEEK)");
}

static void op_peek_waitall(struct worker *w, struct dir *d)
{
	peek(w, d, MSG_WAITALL, "recv(MSG_PEEK|MSG_WAITALL)");
}

/*
 * MSG_PEEK|MSG_WAITALL for more than was ever sent, with the senders of
 * this direction held off: nothing can complete it, so it waits out its
 * SO_RCVTIMEO and returns what there is. (A reader that spins instead of
 * sleeping never uses up its timeout: the watchdog finds it overdue.)
 */
static void op_peek_idle(struct worker *w, struct dir *d)
{
	const char *what = "recv(MSG_PEEK|MSG_WAITALL) past the end";
	struct rx_result res = {};
	unsigned long long lo, unread;
	size_t len;
	int gen0;

	if (!tx_take(w, d))
		return;
	lo = LOAD(d->rx_pos);
	gen0 = LOAD(d->rx_gen);
	unread = d->tx_pos - lo;
	len = unread + 1 + rnd_below(&w->rng, 1000);
	if (len > IDLE_MAX)
		goto out;
	res.buf = d->idle_buf;
	call_begin(w, what);
	rx_call(w, d->rx_fd, len, MSG_PEEK | MSG_WAITALL, true, &res);
	call_end(w);
	/* A KeyUpdate not yet consumed is returned alone, and is not data. */
	if (res.n > (ssize_t)unread && res.type != TLS_HS)
		fail(w, "%s %s: %zd bytes, at most %llu unread", what,
		     d->name, res.n, unread);
	else
		peek_check(w, d, &res, lo, gen0, what);
out:
	pthread_mutex_unlock(&d->tx_lock);
}

/* Account for a send of the stream, tx_lock held. */
static void tx_account(struct worker *w, struct dir *d, ssize_t n, int err,
		       bool more)
{
	if (n < 0 && wait_ended(err)) {
		ADD(w->run->again[w->kind], 1);
		return;
	}
	if (n <= 0) {
		fail(w, "%s on %s: %s", w->op, d->name,
		     n ? strerror(err) : "0 bytes");
		return;
	}
	STORE(d->tx_pos, d->tx_pos + n);
	d->tx_open = more ? d->tx_open + n : 0;
	ADD(w->run->bytes[w->kind], n);
}

static void send_data(struct worker *w, struct dir *d, size_t len, int flags)
{
	ssize_t n;
	int err;

	call_begin(w, flags & MSG_MORE ? "send(MSG_MORE)" : "send");
	n = send(d->tx_fd, stream_at(d, d->tx_pos), len, flags | MSG_NOSIGNAL);
	err = errno;
	call_end(w);
	tx_account(w, d, n, err, flags & MSG_MORE);
}

static void op_send(struct worker *w, struct dir *d)
{
	size_t len = rnd_size(&w->rng);
	int flags = rnd_below(&w->rng, 2) ? MSG_DONTWAIT : 0;

	if (!tx_take(w, d))
		return;
	send_data(w, d, len, flags);
	pthread_mutex_unlock(&d->tx_lock);
}

static void op_send_more(struct worker *w, struct dir *d)
{
	size_t len = rnd_size(&w->rng);
	int flags = rnd_below(&w->rng, 2) ? MSG_DONTWAIT : 0;

	if (!tx_take(w, d))
		return;
	send_data(w, d, len, flags | MSG_MORE);
	pthread_mutex_unlock(&d->tx_lock);
}

/* sendfile of the stream's own bytes; it ends with splice_eof. */
static void op_sendfile(struct worker *w, struct dir *d)
{
	size_t len = rnd_size(&w->rng);
	off_t off;
	ssize_t n;
	int err;

	if (!tx_take(w, d))
		return;
	off = d->tx_pos % STREAM_PERIOD;
	call_begin(w, "sendfile");
	n = sendfile(d->tx_fd, d->file, &off, len);
	err = errno;
	call_end(w);
	tx_account(w, d, n, err, false);
	pthread_mutex_unlock(&d->tx_lock);
}

/*
 * Send KeyUpdate @k under the current key, then switch to the next one,
 * tx_lock held. It is announced to the readers before it is sent, at the
 * position it takes in the stream, and withdrawn if the send took nothing.
 */
static void tx_keyupdate(struct worker *w, struct dir *d, int k)
{
	ssize_t n;
	int err;

	STORE(d->ku_off[k], d->tx_pos);
	STORE(d->ku_count, k + 1);
	call_begin(w, "send(KeyUpdate)");
	n = ctrl_send_type(d->tx_fd, keyupdate, sizeof(keyupdate), TLS_HS,
			   MSG_NOSIGNAL);
	err = errno;
	call_end(w);
	if (n < 0 && wait_ended(err)) {
		STORE(d->ku_count, k);
		ADD(w->run->again[w->kind], 1);
		return;
	}
	if (n != sizeof(keyupdate)) {
		fail(w, "KeyUpdate on %s: %zd (%s)", d->name, n, strerror(err));
		return;
	}
	if (!install_key(w, d, TLS_TX, k + 1))
		return;
	STORE(d->tx_gen, k + 1);
	d->tx_open = 0;
}

/*
 * A rekey the module must refuse: another cipher under TLS 1.3 (EINVAL),
 * any under TLS 1.2 (EBUSY). Not serialized with the senders on purpose:
 * a TX one waits for the module's TX lock behind a blocked sender.
 */
static void op_bad_rekey(struct worker *w, struct dir *d)
{
	bool tls13 = w->run->version == TLS_1_3_VERSION;
	bool tx = rnd_below(&w->rng, 2);
	union ctrl_crypto c;
	int len, rc, err;

	len = ctrl_crypto_fill(&c, w->run->version,
			       tls13 ? TLS_CIPHER_AES_GCM_256 :
				       TLS_CIPHER_AES_GCM_128, 0x5a);
	call_begin(w, tx ? "refused setsockopt(TLS_TX)" :
			   "refused setsockopt(TLS_RX)");
	rc = setsockopt(tx ? d->tx_fd : d->rx_fd, SOL_TLS, tx ? TLS_TX : TLS_RX,
			&c, len);
	err = errno;
	call_end(w);
	if (rc != -1 || err != (tls13 ? EINVAL : EBUSY))
		fail(w, "%s on %s: %d (%s)", w->op, d->name, rc,
		     rc ? strerror(err) : "accepted");
	else
		ADD(*(tx ? &w->run->refused_tx : &w->run->refused_rx), 1);
}

static void op_rekey(struct worker *w, struct dir *d)
{
	if (w->run->version != TLS_1_3_VERSION) {
		op_bad_rekey(w, d);
		return;
	}
	if (!tx_take(w, d))
		return;
	if (d->ku_count < MAX_KU)
		tx_keyupdate(w, d, d->ku_count);
	pthread_mutex_unlock(&d->tx_lock);
}

/*
 * getsockopt returns the key of a generation that was current during the
 * call; one being installed may be one ahead of our count.
 */
static void op_getsockopt(struct worker *w, struct dir *d)
{
	bool tx = rnd_below(&w->rng, 2);
	int *gen = tx ? &d->tx_gen : &d->rx_gen;
	socklen_t len = sizeof(struct tls12_crypto_info_aes_gcm_128);
	int g0 = LOAD(*gen), g1, got, rc, err;
	union ctrl_crypto c = {};

	call_begin(w, tx ? "getsockopt(TLS_TX)" : "getsockopt(TLS_RX)");
	rc = getsockopt(tx ? d->tx_fd : d->rx_fd, SOL_TLS, tx ? TLS_TX : TLS_RX,
			&c, &len);
	err = errno;
	call_end(w);
	g1 = LOAD(*gen);
	if (rc) {
		fail(w, "%s on %s: %s", w->op, d->name, strerror(err));
		return;
	}
	got = key_gen_of(&c, w->run->version, d->idx);
	if (len != sizeof(struct tls12_crypto_info_aes_gcm_128) || got < g0 ||
	    got > g1 + 1)
		fail(w, "%s on %s: length %u, key generation %d, want %d..%d",
		     w->op, d->name, len, got, g0, g1 + 1);
}

/* Readiness only; an error or hangup cannot happen before the end. */
static void op_poll(struct worker *w, struct dir *d)
{
	struct pollfd p = { .fd = d->rx_fd };
	int n;

	p.events = rnd_below(&w->rng, 2) ? POLLIN : POLLIN | POLLOUT;
	call_begin(w, "poll");
	n = poll(&p, 1, rnd_below(&w->rng, 30));
	call_end(w);
	if (n < 0 && wait_ended(errno))
		return;
	if (n < 0 || p.revents & (POLLERR | POLLHUP | POLLNVAL))
		fail(w, "poll %s: %d, revents 0x%x", d->name, n, p.revents);
}

static void op_epoll(struct worker *w, struct dir *d)
{
	struct epoll_event ev[2];
	int n, i;

	call_begin(w, "epoll_wait");
	n = epoll_wait(w->run->epfd, ev, 2, rnd_below(&w->rng, 30));
	call_end(w);
	for (i = 0; i < n; i++)
		if (ev[i].events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP))
			fail(w, "epoll_wait: events 0x%x", ev[i].events);
	if (n < 0 && !wait_ended(errno))
		fail(w, "epoll_wait: %s", strerror(errno));
}

/* A reader that holds up its direction, so that senders block. */
static void op_stall(struct worker *w, struct dir *d)
{
	unsigned int ms = 50 + rnd_below(&w->rng, STALL_MAX_MS);

	if (pthread_mutex_trylock(&d->rx_lock))
		return;
	usleep(ms * 1000);
	pthread_mutex_unlock(&d->rx_lock);
}

/*
 * An empty send only ends an open record: the stream does not change, so
 * it needs no tx_lock, and it meets the other senders in the module.
 */
static void op_empty_send(struct worker *w, struct dir *d)
{
	ssize_t n;
	int err;

	call_begin(w, "empty send");
	n = send(d->tx_fd, "", 0, MSG_DONTWAIT | MSG_NOSIGNAL);
	err = errno;
	call_end(w);
	if (n && (n != -1 || !wait_ended(err)))
		fail(w, "empty send on %s: %zd (%s)", d->name, n, strerror(err));
}

/* TLS_RX_EXPECT_NO_PAD on and off: TLS 1.3 only. */
static void op_no_pad(struct worker *w, struct dir *d)
{
	bool tls13 = w->run->version == TLS_1_3_VERSION;
	unsigned int on = rnd_below(&w->rng, 2);
	int rc, err;

	call_begin(w, "setsockopt(TLS_RX_EXPECT_NO_PAD)");
	rc = setsockopt(d->rx_fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &on,
			sizeof(on));
	err = errno;
	call_end(w);
	if (tls13 && rc)
		fail(w, "%s on %s: %s", w->op, d->name, strerror(err));
	if (!tls13 && (rc != -1 || err != EINVAL))
		fail(w, "%s on %s under TLS 1.2: %d, want EINVAL", w->op,
		     d->name, rc);
}

/* The record size limit, refused with EBUSY while a record is open. */
static void op_max_payload(struct worker *w, struct dir *d)
{
	unsigned short v = 16384;
	int rc, err;

	if (rnd_below(&w->rng, 2))
		v = 1000 + rnd_below(&w->rng, 16384 - 1000);
	call_begin(w, "setsockopt(TLS_TX_MAX_PAYLOAD_LEN)");
	rc = setsockopt(d->tx_fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, &v,
			sizeof(v));
	err = errno;
	call_end(w);
	if (rc && err != EBUSY)
		fail(w, "%s %u on %s: %s", w->op, v, d->name, strerror(err));
}

static void op_inq(struct worker *w, struct dir *d)
{
	int v = -1, rc;

	call_begin(w, "ioctl(SIOCINQ)");
	rc = ioctl(d->rx_fd, SIOCINQ, &v);
	call_end(w);
	if (rc || v < 0)
		fail(w, "SIOCINQ on %s: %d, %d", d->name, rc, v);
}

struct op_desc {
	const char *name;
	unsigned int weight;
	void (*fn)(struct worker *w, struct dir *d);
};

static const struct op_desc ops[NR_OPS] = {
	[OP_RECV]	 = { "recv",		16, op_recv },
	[OP_PEEK]	 = { "peek",		 5, op_peek },
	[OP_PEEK_WAITALL] = { "peek_waitall",	 4, op_peek_waitall },
	[OP_PEEK_IDLE]	 = { "peek_idle",	 1, op_peek_idle },
	[OP_SPLICE]	 = { "splice",		 5, op_splice },
	[OP_POLL]	 = { "poll",		 3, op_poll },
	[OP_EPOLL]	 = { "epoll",		 3, op_epoll },
	[OP_SEND]	 = { "send",		12, op_send },
	[OP_SEND_MORE]	 = { "send_more",	 5, op_send_more },
	[OP_SENDFILE]	 = { "sendfile",	 5, op_sendfile },
	[OP_REKEY]	 = { "rekey",		 3, op_rekey },
	[OP_BAD_REKEY]	 = { "bad_rekey",	 3, op_bad_rekey },
	[OP_GETSOCKOPT]	 = { "getsockopt",	 3, op_getsockopt },
	[OP_STALL]	 = { "stall",		 2, op_stall },
	[OP_EMPTY_SEND]	 = { "empty_send",	 2, op_empty_send },
	[OP_NO_PAD]	 = { "no_pad",		 1, op_no_pad },
	[OP_MAX_PAYLOAD] = { "max_payload",	 2, op_max_payload },
	[OP_INQ]	 = { "inq",		 2, op_inq },
};

static unsigned int op_weight(int kind)
{
	return cfg.skip & 1u << kind ? 0 : ops[kind].weight;
}

static enum op_kind pick_op(struct worker *w)
{
	unsigned int total = 0, x;
	int i;

	for (i = 0; i < NR_OPS; i++)
		total += op_weight(i);
	x = rnd_below(&w->rng, total);
	for (i = 0; x >= op_weight(i); i++)
		x -= op_weight(i);
	return i;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	long i;

	STORE(w->tid, gettid());
	for (i = 0; i < w->ops && !LOAD(r->stop); i++) {
		w->kind = pick_op(w);
		ops[w->kind].fn(w, &r->dir[rnd_below(&w->rng, 2)]);
		ADD(r->calls[w->kind], 1);
		ADD(r->ops_done, 1);
	}
	return NULL;
}

/* State letter and CPU time of thread @tid, from /proc. */
static int task_stat(pid_t tid, char *state, long *cpu_ms)
{
	char path[64], line[512], *p = NULL;
	unsigned long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f))
		p = strrchr(line, ')');
	fclose(f);
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 state, &ut, &st) != 3)
		return -1;
	*cpu_ms = (ut + st) * 1000 / sysconf(_SC_CLK_TCK);
	return 0;
}

/* Where thread @tid sleeps in the kernel: a function name, or "0". */
static void task_wchan(pid_t tid, char *name, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", tid);
	name[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(name, len, f))
		name[0] = '\0';
	fclose(f);
}

/* What every thread in a call is doing, then end the test. */
static void __printf(2, 3) watchdog_fire(struct run *r, const char *fmt, ...)
{
	char why[256], state;
	long cpu_ms;
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	say(r, "FAIL: watchdog, seed %llu: %s", cfg.seed, why);
	for (i = 0; i < NR_WORKERS; i++) {
		struct worker *w = &r->w[i];
		long long start = LOAD(w->call_start);

		if (!LOAD(w->tid) || task_stat(LOAD(w->tid), &state, &cpu_ms))
			continue;	/* never started, or done */
		if (start)
			say(r, "thread %d: %s for %lld ms, state %c, %ld ms CPU in all",
			    i, LOAD(w->op),
			    (clock_ns(CLOCK_MONOTONIC) - start) / MS, state,
			    cpu_ms);
		else
			say(r, "thread %d: between calls after %s, state %c",
			    i, LOAD(w->op) ?: "none", state);
	}
	/*
	 * A thread stuck in the kernel keeps this process from ever exiting,
	 * and the harness waits for it until its alarm, the test's timeout:
	 * set that alarm off now, so the other tests still run and the
	 * totals print.
	 */
	kill(cfg.harness, SIGALRM);
	_exit(KSFT_FAIL);
}

static void note_d_state(struct run *r, long long ns, const char *op)
{
	pthread_mutex_lock(&r->log_lock);
	if (ns > r->max_d_ns) {
		r->max_d_ns = ns;
		r->max_d_op = op;
	}
	pthread_mutex_unlock(&r->log_lock);
}

/*
 * A socket call waits uninterruptibly (D) only for the socket lock, whose
 * owner runs -- it may be encrypting a large send, which takes long under
 * TCG and KASAN. Any other wait on another thread's progress must be
 * interruptible: a call seen in D elsewhere for D_LIMIT_MS waits on
 * something held by a thread that sleeps (a lock of a blocked sender).
 * (wchan reads "0" when the thread was woken since its state was read:
 * such a sample tells nothing.)
 */
static void watch_d_state(struct run *r, struct worker *w, char state,
			  long long now)
{
	char wchan[64] = "";

	if (state == 'D')
		task_wchan(LOAD(w->tid), wchan, sizeof(wchan));
	if (state == 'D' && (!wchan[0] || !strcmp(wchan, "0")))
		return;
	if (state != 'D' || strstr(wchan, "lock_sock")) {
		w->d_start = 0;
		return;
	}
	if (!w->d_start)
		w->d_start = now;
	if (w->d_start > now)	/* reported already */
		return;
	note_d_state(r, now - w->d_start, LOAD(w->op));
	if (now - w->d_start >= D_LIMIT_MS * MS) {
		fail_soft(w, "%s on thread %d: uninterruptible sleep for %lld ms in %s",
			  LOAD(w->op), w->idx, (now - w->d_start) / MS, wchan);
		w->d_start = LLONG_MAX;
	}
}

/*
 * Every call waits at most its SO_RCVTIMEO or SO_SNDTIMEO, plus its work.
 * One that is overdue fails, with what the thread did meanwhile (R with
 * all of the CPU: it spins), and gets a signal to get it out of there.
 */
static void watch_overdue(struct run *r, struct worker *w, char state,
			  long cpu_ms, long long now)
{
	long long age = now - w->seen_call;
	long long watched = (now - w->seen_at) / MS;

	if (age > HANG_LIMIT_MS * MS)
		watchdog_fire(r, "thread %d in %s for %lld s", w->idx,
			      LOAD(w->op), age / 1000 / MS);
	if (age < CALL_LIMIT_MS * MS || w->kicked)
		return;
	/* Timeouts are under a second: this one waits without end. */
	fail_soft(w, "%s on thread %d still runs after %lld s: state %c, %lld%% of a CPU",
		  LOAD(w->op), w->idx, age / 1000 / MS, state,
		  watched ? (cpu_ms - w->seen_cpu_ms) * 100 / watched : 0);
	w->kicked = true;
	pthread_kill(w->thread, SIGUSR1);
}

static void watch_worker(struct run *r, struct worker *w, long long now)
{
	long long start = LOAD(w->call_start);
	char state;
	long cpu_ms;

	if (!start || task_stat(LOAD(w->tid), &state, &cpu_ms))
		return;
	if (w->seen_call != start) {
		w->seen_call = start;
		w->seen_at = now;
		w->seen_cpu_ms = cpu_ms;
		w->d_start = 0;
		w->kicked = false;
	}
	watch_d_state(r, w, state, now);
	watch_overdue(r, w, state, cpu_ms, now);
}

static void *watchdog_main(void *arg)
{
	struct run *r = arg;
	long long now, idle_since = clock_ns(CLOCK_MONOTONIC);
	long done = -1;
	int i;

	while (!LOAD(r->watch_stop)) {
		usleep(WATCH_MS * 1000);
		now = clock_ns(CLOCK_MONOTONIC);
		for (i = 0; i < NR_WORKERS; i++)
			watch_worker(r, &r->w[i], now);
		if (LOAD(r->ops_done) != done) {
			done = LOAD(r->ops_done);
			idle_since = now;
		} else if (now - idle_since > IDLE_LIMIT_MS * MS) {
			watchdog_fire(r, "no operation ended for %d s",
				      IDLE_LIMIT_MS / 1000);
		}
	}
	return NULL;
}

/* Buffers small enough that senders block while readers stall. */
static int sock_setup(int fd, int bufsize)
{
	struct timeval rcv = { 0, RCV_TIMEO_MS * 1000 };
	struct timeval snd = { SND_TIMEO_MS / 1000,
			       SND_TIMEO_MS % 1000 * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rcv, sizeof(rcv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof(snd)))
		return -1;
	return ctrl_attach(fd);
}

static int dir_setup(struct run *r, int i, unsigned long long seed)
{
	struct dir *d = &r->dir[i];

	d->idx = i;
	d->name = i ? "B->A" : "A->B";
	d->tx_fd = r->fd[i];
	d->rx_fd = r->fd[!i];
	pthread_mutex_init(&d->tx_lock, NULL);
	pthread_mutex_init(&d->rx_lock, NULL);
	d->stream = stream_new(seed);
	d->file = d->stream ? stream_file(d->stream) : -1;
	d->idle_buf = malloc(IDLE_MAX);
	if (d->file < 0 || !d->idle_buf)
		return -1;
	if (key_set(d->tx_fd, TLS_TX, r->version, i, 0) ||
	    key_set(d->rx_fd, TLS_RX, r->version, i, 0))
		return -1;
	return 0;
}

static int worker_setup(struct run *r, int i)
{
	struct worker *w = &r->w[i];

	w->run = r;
	w->idx = i;
	w->rng = cfg.seed * 1000003 + i;
	w->buf = malloc(MAX_IO);
	if (!w->buf || pipe(w->pipe))
		return -1;
	return 0;
}

static int epoll_setup(struct run *r)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	int i;

	r->epfd = epoll_create1(0);
	for (i = 0; i < 2 && r->epfd >= 0; i++)
		if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->fd[i], &ev))
			return -1;
	return r->epfd < 0 ? -1 : 0;
}

static void run_free(struct run *r)
{
	int i;

	for (i = 0; i < NR_WORKERS; i++) {
		free(r->w[i].buf);
		if (r->w[i].buf) {
			close(r->w[i].pipe[0]);
			close(r->w[i].pipe[1]);
		}
	}
	for (i = 0; i < 2; i++) {
		free(r->dir[i].stream);
		free(r->dir[i].idle_buf);
		if (r->dir[i].file >= 0)
			close(r->dir[i].file);
		if (r->fd[i] >= 0)
			close(r->fd[i]);
	}
	if (r->epfd >= 0)
		close(r->epfd);
	free(r);
}

static struct run *run_new(unsigned short version)
{
	static const int bufsizes[] = { 32768, 65536, 262144 };
	unsigned long long seed = cfg.seed;
	struct run *r = calloc(1, sizeof(*r));
	int i, bufsize, rc = 0;

	if (!r)
		return NULL;
	r->version = version;
	for (i = 0; i < 2; i++) {
		r->fd[i] = -1;
		r->dir[i].file = -1;
	}
	r->epfd = -1;
	pthread_mutex_init(&r->log_lock, NULL);
	bufsize = bufsizes[rnd_below(&seed, ARRAY_SIZE(bufsizes))];
	r->bufsize = bufsize;
	if (ctrl_tcp_pair(AF_INET, &r->fd[0], &r->fd[1]) ||
	    sock_setup(r->fd[0], bufsize) || sock_setup(r->fd[1], bufsize))
		rc = -1;
	for (i = 0; i < 2 && !rc; i++)
		rc = dir_setup(r, i, rnd_next(&seed));
	for (i = 0; i < NR_WORKERS && !rc; i++)
		rc = worker_setup(r, i);
	if (!rc)
		rc = epoll_setup(r);
	if (rc) {
		run_free(r);
		return NULL;
	}
	return r;
}

static void start_thread(struct worker *w, void *(*fn)(void *))
{
	if (pthread_create(&w->thread, NULL, fn, w))
		fail(w, "pthread_create: %s", strerror(errno));
}

/* The random operations, all threads at once. */
static void run_workers(struct run *r)
{
	int i;

	r->nworkers = cfg.threads;
	for (i = 0; i < r->nworkers; i++) {
		r->w[i].ops = cfg.ops / r->nworkers +
			      (i < cfg.ops % r->nworkers);
		start_thread(&r->w[i], worker_main);
	}
	for (i = 0; i < r->nworkers; i++)
		pthread_join(r->w[i].thread, NULL);
}

/* Read one direction to EOF, as the application would after shutdown. */
static void *drainer_main(void *arg)
{
	struct worker *w = arg;
	struct dir *d = w->drain;
	long long now, last = clock_ns(CLOCK_MONOTONIC);
	unsigned long long progress, seen = 0;

	STORE(w->tid, gettid());
	w->kind = OP_RECV;
	while (!LOAD(d->eof) && !LOAD(w->run->stop)) {
		pthread_mutex_lock(&d->rx_lock);
		consume_recv(w, d, rnd_size(&w->rng),
			     rnd_below(&w->rng, 2) ? MSG_WAITALL : 0, true);
		/* Bytes and KeyUpdates read: both only grow. */
		progress = d->rx_pos + d->rx_gen;
		pthread_mutex_unlock(&d->rx_lock);
		ADD(w->run->ops_done, 1);
		now = clock_ns(CLOCK_MONOTONIC);
		if (progress != seen) {
			seen = progress;
			last = now;
		} else if (now - last > DRAIN_LIMIT_MS * MS) {
			fail(w, "%s: no data, no EOF for %d s at byte %llu of %llu",
			     d->name, DRAIN_LIMIT_MS / 1000, d->rx_pos,
			     LOAD(d->tx_pos));
		}
	}
	return NULL;
}

/* A last send without MSG_MORE, so that no record is left open. */
static void flush_send(struct worker *w, struct dir *d)
{
	long long end = clock_ns(CLOCK_MONOTONIC) + DRAIN_LIMIT_MS * MS;
	unsigned long long pos = d->tx_pos;

	w->kind = OP_SEND;
	while (d->tx_pos == pos && !LOAD(w->run->stop)) {
		send_data(w, d, 1 + rnd_below(&w->rng, 100), 0);
		if (clock_ns(CLOCK_MONOTONIC) > end)
			fail(w, "%s: the last send took nothing for %d s",
			     d->name, DRAIN_LIMIT_MS / 1000);
	}
}

static void end_shutdown(struct worker *w, int end)
{
	struct run *r = w->run;

	call_begin(w, "shutdown(SHUT_WR)");
	if (shutdown(r->fd[end], SHUT_WR))
		fail(w, "shutdown of end %c: %s", 'A' + end, strerror(errno));
	call_end(w);
}

/*
 * End @end with close(), after a flush and once it has read its input to
 * EOF (closing with unread input would reset the connection).
 */
static void end_close(struct worker *w, int end, struct worker *input)
{
	struct run *r = w->run;

	flush_send(w, &r->dir[end]);
	pthread_join(input->thread, NULL);
	input->thread = 0;
	call_begin(w, "close");
	close(r->fd[end]);
	r->fd[end] = -1;
	call_end(w);
}

static void check_totals(struct worker *w, struct dir *d)
{
	unsigned long long sent = d->tx_pos, got = d->rx_pos;

	if (LOAD(w->run->stop))
		return;
	/* Say whether an open MSG_MORE record could explain a loss. */
	if (got != sent)
		fail(w, "%s: %llu bytes sent, %llu arrived before EOF (%llu last with MSG_MORE)",
		     d->name, sent, got, d->tx_open);
	if (d->rx_gen != d->ku_count)
		fail(w, "%s: %d KeyUpdates sent, %d arrived", d->name,
		     d->ku_count, d->rx_gen);
}

/*
 * The graceful end: both streams end while drainers read them, one end
 * with shutdown(SHUT_WR) and the other with it too or with close().
 * Every byte accepted by send() must arrive before EOF.
 */
static void run_finish(struct run *r)
{
	struct worker *self = &r->w[NR_WORKERS - 1];
	struct worker *drain = &r->w[MAX_THREADS];
	int i, closer = rnd_below(&self->rng, 3) - 1;

	STORE(self->tid, gettid());
	self->thread = pthread_self();
	STORE(r->draining, 1);
	r->ending = closer < 0 ? "shutdown, shutdown" :
		    closer ? "shutdown, close" : "close, shutdown";
	for (i = 0; i < 2; i++) {
		drain[i].drain = &r->dir[i];
		start_thread(&drain[i], drainer_main);
	}
	for (i = 0; i < 2; i++)
		if (i != closer)
			end_shutdown(self, i);
	/* The closer reads direction !closer; its drainer is that one. */
	if (closer >= 0)
		end_close(self, closer, &drain[!closer]);
	for (i = 0; i < 2; i++)
		if (drain[i].thread)
			pthread_join(drain[i].thread, NULL);
	for (i = 0; i < 2; i++)
		check_totals(self, &r->dir[i]);
}

static void run_report(struct run *r, long long ns)
{
	char line[1024] = "";
	FILE *f = fmemopen(line, sizeof(line), "w");
	int i;

	say(r, "%ld operations in %lld.%03lld s, socket buffers %d, ending: %s",
	    r->ops_done, ns / 1000 / MS, ns / MS % 1000, r->bufsize,
	    r->ending ?: "not reached");
	for (i = 0; i < 2; i++)
		say(r, "%s: %llu bytes, %d KeyUpdates", r->dir[i].name,
		    r->dir[i].rx_pos, r->dir[i].rx_gen);
	/* A memory stream stops at the end of @line, with its NUL kept. */
	for (i = 0; f && i < NR_OPS; i++)
		fprintf(f, " %s %ld/%ld/%ld/%lld", ops[i].name, r->calls[i],
			r->again[i], r->bytes[i], r->call_ns[i] / MS);
	if (f)
		fclose(f);
	say(r, "operations/EAGAIN/bytes/ms in calls:%s", line);
	say(r, "longest uninterruptible sleep, not for the socket lock: %lld ms (%s)",
	    r->max_d_ns / MS, r->max_d_op ?: "none");
}

enum { RX_REKEY_OK = 12, RX_REKEY_ERR, TX_REKEY_OK, TX_REKEY_ERR };

/* What it takes to run this again: the seed first. */
static void print_params(unsigned short version)
{
	char skipped[256] = "";
	int i, n = 0;

	for (i = 0; i < NR_OPS; i++)
		if (cfg.skip & 1u << i)
			n += snprintf(skipped + n, sizeof(skipped) - n, " -x %s",
				      ops[i].name);
	ksft_print_msg("seed %llu\n", cfg.seed);
	ksft_print_msg("%s, %d threads, %ld operations%s\n",
		       version == TLS_1_3_VERSION ? "TLS 1.3" : "TLS 1.2",
		       cfg.threads, cfg.ops, skipped);
}

FIXTURE(stress)
{
	struct run *run;
	unsigned long stats[CTRL_NUM_STATS];
	int nstats;			/* fewer without the rekey counters */
};

FIXTURE_VARIANT(stress)
{
	unsigned short version;
};

/* TLS 1.3: KeyUpdates and rekeys among the operations. */
FIXTURE_VARIANT_ADD(stress, tls13) { .version = TLS_1_3_VERSION };
/* TLS 1.2: every rekey is refused. */
FIXTURE_VARIANT_ADD(stress, tls12) { .version = TLS_1_2_VERSION };

/* The watchdog's signal only has to end a system call: no SA_RESTART. */
static void on_kick(int sig)
{
}

FIXTURE_SETUP(stress)
{
	struct sigaction kick = { .sa_handler = on_kick };

	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(sigaction(SIGUSR1, &kick, NULL), 0);
	print_params(variant->version);
	/* The in-tree module (a reference, with -x rekey) has 12 counters. */
	self->nstats = ctrl_read_stats(self->stats);
	ASSERT_GT(self->nstats, CTRL_DECRYPT_ERROR);
	self->run = run_new(variant->version);
	ASSERT_NE(self->run, NULL);
	ASSERT_EQ(pthread_create(&self->run->watchdog, NULL, watchdog_main,
				 self->run), 0);
}

FIXTURE_TEARDOWN(stress)
{
	if (!self->run)
		return;
	STORE(self->run->watch_stop, 1);
	pthread_join(self->run->watchdog, NULL);
	run_free(self->run);
}

static long stat_delta(const unsigned long *before, int i)
{
	unsigned long now[CTRL_NUM_STATS];

	if (ctrl_read_stats(now) <= i)
		return -1;
	return now[i] - before[i];
}

TEST_F_TIMEOUT(stress, random_ops, 7200)
{
	struct run *r = self->run;
	long long start = clock_ns(CLOCK_MONOTONIC);
	struct dir *d = r->dir;

	run_workers(r);
	if (!LOAD(r->stop))
		run_finish(r);
	run_report(r, clock_ns(CLOCK_MONOTONIC) - start);
	ASSERT_EQ(LOAD(r->failures), 0);
	ASSERT_EQ(LOAD(r->soft_failures), 0);
	EXPECT_EQ(stat_delta(self->stats, CTRL_DECRYPT_ERROR), 0);
	if (self->nstats < CTRL_NUM_STATS)
		return;
	EXPECT_EQ(stat_delta(self->stats, TX_REKEY_OK),
		  d[0].tx_gen + d[1].tx_gen);
	EXPECT_EQ(stat_delta(self->stats, RX_REKEY_OK),
		  d[0].rx_gen + d[1].rx_gen);
	EXPECT_EQ(stat_delta(self->stats, TX_REKEY_ERR), r->refused_tx);
	EXPECT_EQ(stat_delta(self->stats, RX_REKEY_ERR), r->refused_rx);
}

static void usage(const char *prog)
{
	int i;

	fprintf(stderr,
		"Usage: %s [-s SEED] [-n OPS] [-t THREADS] [-x OP] [-l] [-f|-F|-v|-V|-T|-r NAME]\n"
		"  -s SEED     seed of the operations (default: random, printed)\n"
		"  -n OPS      operations per test (default %d)\n"
		"  -t THREADS  threads on the socket pair (default %d, at most %d)\n"
		"  -x OP       leave out one kind of operation (repeatable), of:\n"
		"             ",
		prog, DEFAULT_OPS, DEFAULT_THREADS, MAX_THREADS);
	for (i = 0; i < NR_OPS; i++)
		fprintf(stderr, " %s", ops[i].name);
	fprintf(stderr, "\n"
		"  Environment: STRESS_SEED, STRESS_OPS, STRESS_THREADS.\n"
		"  -l and -f/-F/-v/-V/-T/-r are the kselftest harness filters\n"
		"  (its -t is our thread count).\n");
}

static void cfg_from_env(void)
{
	const char *s;

	s = getenv("STRESS_SEED");
	cfg.seed = s ? strtoull(s, NULL, 0) :
		   (unsigned long long)(clock_ns(CLOCK_REALTIME) ^ getpid()) %
		   1000000000;
	s = getenv("STRESS_OPS");
	if (s)
		cfg.ops = strtol(s, NULL, 0);
	s = getenv("STRESS_THREADS");
	if (s)
		cfg.threads = strtol(s, NULL, 0);
}

/* Leave out the operations named @name; -1 if there is none such. */
static int skip_op(const char *name)
{
	int i;

	for (i = 0; i < NR_OPS; i++) {
		if (!strcmp(name, ops[i].name)) {
			cfg.skip |= 1u << i;
			return 0;
		}
	}
	return -1;
}

/* Our options; the harness gets the rest (its -t is taken by threads). */
int main(int argc, char **argv)
{
	static char flags[64][3];
	char *hargv[130] = { argv[0] };
	int hargc = 1, opt, nflags = 0;

	cfg_from_env();
	while ((opt = getopt(argc, argv, "s:n:t:x:hlF:f:V:v:T:r:")) != -1) {
		if (opt == 'x' && !skip_op(optarg)) {
			continue;
		} else if (opt == 's') {
			cfg.seed = strtoull(optarg, NULL, 0);
		} else if (opt == 'n') {
			cfg.ops = strtol(optarg, NULL, 0);
		} else if (opt == 't') {
			cfg.threads = strtol(optarg, NULL, 0);
		} else if (opt == 'l' || (opt != 'h' && opt != '?' &&
					  opt != 'x' && nflags < 64)) {
			snprintf(flags[nflags], sizeof(flags[0]), "-%c", opt);
			hargv[hargc++] = flags[nflags++];
			if (opt != 'l')
				hargv[hargc++] = optarg;
		} else {
			usage(argv[0]);
			return opt == 'h' ? 0 : KSFT_FAIL;
		}
	}
	if (cfg.threads < 1 || cfg.threads > MAX_THREADS || cfg.ops < 1 ||
	    cfg.skip == (1u << NR_OPS) - 1) {
		usage(argv[0]);
		return KSFT_FAIL;
	}
	optind = 1;
	cfg.harness = getpid();
	return test_harness_run(hargc, hargv);
}
