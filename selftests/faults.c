// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures (pitfall classes 2 and 4): failslab and
 * fail_page_alloc are armed for allocations made with our module on the
 * call stack (the stack-trace filter, set to tls.ko's text), in process
 * context and in the softirq parser alike. Whatever fails, a key set
 * either works or leaves nothing behind, and a TLS stream either delivers
 * exactly the bytes that were sent, in order, or an exact prefix of them
 * when a side ended (ENOMEM, or EBADMSG when the TX cipher failed); never
 * a wrong byte, a lost one in the middle, a hang or another errno. KASAN, lockdep and
 * kmemleak (scanned when the guest command ends) watch the kernel side.
 *
 * Needs CONFIG_FAULT_INJECTION_DEBUG_FS and the stack-trace filter: the
 * debug kernel has them, stock Debian does not (SKIP).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctrl_util.h"
#include "kselftest_harness.h"

#define FAULT_DIR	"/sys/kernel/debug"
#define FAULT_BUDGET	1000000L	/* "times": counts down per failure */
#define STREAM_BYTES	(192 * 1024)
#define RETRY_LIMIT	500		/* consecutive transient errors */
#define STREAM_ATTEMPTS	5		/* streams that drew no failure */

/* Write @val to @dir/@knob; 0 or -1. */
static int knob_set(const char *dir, const char *knob, const char *val)
{
	char path[256];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s/%s", FAULT_DIR, dir, knob);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

static long knob_get(const char *dir, const char *knob)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s/%s", FAULT_DIR, dir, knob);
	return ctrl_read_long(path);
}

/* tls.ko's text: [.text, .text + the module's size) bounds it. */
static int module_text(unsigned long *start, unsigned long *end)
{
	unsigned long size = 0;
	char line[256], name[64];
	FILE *f;

	f = fopen("/sys/module/tls/sections/.text", "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lx", start) != 1)
		*start = 0;
	fclose(f);
	f = fopen("/proc/modules", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lu", name, &size) == 2 &&
		    !strcmp(name, "tls"))
			break;
	fclose(f);
	*end = *start + size;
	return *start && size ? 0 : -1;
}

/* Arm @dir (failslab or fail_page_alloc) for our module's stacks. */
static int fault_arm(const char *dir, int percent)
{
	unsigned long start, end;
	char buf[64];

	if (module_text(&start, &end))
		return -1;
	snprintf(buf, sizeof(buf), "%lu", start);
	if (knob_set(dir, "require-start", buf))
		return -1;
	snprintf(buf, sizeof(buf), "%lu", end);
	knob_set(dir, "require-end", buf);
	knob_set(dir, "stacktrace-depth", "32");
	knob_set(dir, "task-filter", "N");
	knob_set(dir, "ignore-gfp-wait", "N");
	knob_set(dir, "verbose", "0");
	knob_set(dir, "space", "0");
	/*
	 * fail_page_alloc only fails order >= 1 by default; our record pages
	 * are order 0, and the few order-3 socket fragments of a stream were
	 * too few to be hit every time. (failslab has no such knob.)
	 */
	knob_set(dir, "min-order", "0");
	knob_set(dir, "interval", "1");
	snprintf(buf, sizeof(buf), "%ld", FAULT_BUDGET);
	knob_set(dir, "times", buf);
	snprintf(buf, sizeof(buf), "%d", percent);
	return knob_set(dir, "probability", buf);
}

/* Disarm @dir; returns how many failures it injected. */
static long fault_disarm(const char *dir)
{
	knob_set(dir, "probability", "0");
	return FAULT_BUDGET - knob_get(dir, "times");
}

/* The stream's byte at @off: not periodic, so a lost or doubled chunk shows. */
static unsigned char pattern(size_t off)
{
	return (unsigned char)((off * 2654435761u) >> 13);
}

static bool transient(int err)
{
	return err == ENOMEM || err == ENOBUFS || err == EAGAIN || err == EINTR;
}

struct outcome {
	size_t bytes;	/* sent (sender) or received in order (receiver) */
	int err;	/* 0, or the errno that ended the stream */
	bool fin_dropped;	/* sender: TCP dropped its FIN, see below */
	bool readable;		/* receiver: gave up with data readable */
	int unread;		/* receiver: SIOCINQ when it gave up */
};

/*
 * After shutdown(SHUT_WR): did TCP drop the FIN? tcp_send_fin() takes a
 * GFP_ATOMIC skb and, if that fails, sends nothing and says nothing; our
 * shutdown hook is on the stack then, so the filter may fail it. The mark
 * is FIN_WAIT1 with nothing unsent or unacked (SIOCOUTQ counts a queued
 * FIN's sequence byte until its ACK, which moves the socket to FIN_WAIT2),
 * and it lasts. A shutdown that never reached TCP leaves ESTABLISHED: not
 * a drop. Seen twice, a tick apart, since the state and the queue are read
 * outside the socket lock (an ACK may land in between); at most 5 s.
 */
static bool fin_dropped(int fd)
{
	socklen_t len = sizeof(struct tcp_info);
	struct tcp_info ti;
	int i, queued, seen = 0;

	for (i = 0; i < 50; i++) {
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) ||
		    ioctl(fd, SIOCOUTQ, &queued))
			return false;
		if (ti.tcpi_state != TCP_FIN_WAIT1)
			return false;
		seen = queued ? 0 : seen + 1;
		if (seen == 2)
			return true;
		usleep(100000);
	}
	return false;
}

/* Send STREAM_BYTES in writes of varying size, retrying transient errors. */
static void send_stream(int fd, struct outcome *o)
{
	static unsigned char buf[STREAM_BYTES];
	int n, retries = 0;
	size_t i, len;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i);
	o->bytes = 0;
	o->err = 0;
	while (o->bytes < sizeof(buf)) {
		len = 1 + (o->bytes * 7919) % 20000;
		if (len > sizeof(buf) - o->bytes)
			len = sizeof(buf) - o->bytes;
		n = send(fd, buf + o->bytes, len, MSG_NOSIGNAL);
		if (n > 0) {
			o->bytes += n;
			retries = 0;
		} else if (n < 0 && transient(errno) &&
			   ++retries < RETRY_LIMIT) {
			usleep(2000);
		} else {
			o->err = n < 0 ? errno : EPIPE;
			return;
		}
	}
}

/*
 * Receive until EOF, checking every byte; a wrong one ends the stream with
 * EILSEQ, which no kernel path returns.
 */
static void recv_stream(int fd, struct outcome *o)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned char buf[16384];
	int n, i, retries = 0;

	o->bytes = 0;
	o->err = 0;
	o->readable = false;
	o->unread = 0;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0)
			return;
		if (n < 0) {
			if (errno == EAGAIN) {	/* SO_RCVTIMEO: a stall */
				o->err = ETIMEDOUT;
				o->readable = poll(&pfd, 1, 0) > 0;
				if (ioctl(fd, SIOCINQ, &o->unread))
					o->unread = -1;
				return;
			}
			if (transient(errno) && ++retries < RETRY_LIMIT) {
				usleep(2000);
				continue;
			}
			o->err = errno;
			return;
		}
		retries = 0;
		for (i = 0; i < n; i++, o->bytes++) {
			if (buf[i] != pattern(o->bytes)) {
				o->err = EILSEQ;
				return;
			}
		}
	}
}

FIXTURE(faults)
{
	int tx, rx;
};

FIXTURE_VARIANT(faults)
{
	const char *dir;
	unsigned short version;
	int percent;
	bool setup_allocs;	/* key setup allocates from this allocator */
};

FIXTURE_VARIANT_ADD(faults, slab_13)
{
	.dir = "failslab",
	.version = TLS_1_3_VERSION,
	.percent = 3,
	.setup_allocs = true,
};

FIXTURE_VARIANT_ADD(faults, slab_12)
{
	.dir = "failslab",
	.version = TLS_1_2_VERSION,
	.percent = 3,
	.setup_allocs = true,
};

FIXTURE_VARIANT_ADD(faults, page_13)
{
	.dir = "fail_page_alloc",
	.version = TLS_1_3_VERSION,
	.percent = 5,	/* a stream makes hundreds of order-0 allocations */
};

FIXTURE_SETUP(faults)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s/require-start", FAULT_DIR,
		 variant->dir);
	if (access(path, W_OK))
		SKIP(return, "no %s with a stack-trace filter (debug kernel only)",
		     variant->dir);
	ASSERT_EQ(ctrl_tcp_pair(AF_INET, &self->tx, &self->rx), 0);
}

FIXTURE_TEARDOWN(faults)
{
	fault_disarm(variant->dir);
	close(self->tx);
	close(self->rx);
}

static int set_keys(int fd, int opt, unsigned short version)
{
	union ctrl_crypto c;
	int len = ctrl_crypto_fill(&c, version, TLS_CIPHER_AES_GCM_128, 5);

	return setsockopt(fd, SOL_TLS, opt, &c, len) ? -errno : 0;
}

/* Attach @fd and set its @opt keys unless done already; 0 or -errno. */
static int setup_step(int fd, int opt, unsigned short version)
{
	struct tls12_crypto_info_aes_gcm_128 cur;
	socklen_t len = sizeof(cur);

	if (ctrl_attach(fd) && errno != EEXIST)
		return -errno;
	if (!getsockopt(fd, SOL_TLS, opt, &cur, &len))
		return 0;	/* keyed before */
	return set_keys(fd, opt, version);
}

/*
 * Attach and key setup under failures: each step either works or fails
 * (ENOMEM, or ENOENT from the crypto API) leaving nothing half-installed,
 * so repeating it once the failures stop works and the pair then carries
 * TLS as usual.
 */
TEST_F(faults, setup_fails_cleanly)
{
	int i, rc, fails = 0;
	char buf[8];

	if (!variant->setup_allocs)
		SKIP(return, "attach and key setup allocate no pages");
	for (i = 0; i < 40; i++) {
		if (i) {
			ctrl_close_now(self->tx);
			ctrl_close_now(self->rx);
			ASSERT_EQ(ctrl_tcp_pair(AF_INET, &self->tx, &self->rx), 0);
		}
		ASSERT_EQ(fault_arm(variant->dir, 30), 0);
		rc = setup_step(self->tx, TLS_TX, variant->version);
		if (!rc)
			rc = setup_step(self->rx, TLS_RX, variant->version);
		fault_disarm(variant->dir);
		if (rc) {
			/*
			 * The crypto API answers a lookup whose cryptomgr
			 * probe could not be allocated with ENOENT.
			 */
			EXPECT_TRUE(rc == -ENOMEM || rc == -ENOENT);
			fails++;
		}
		ASSERT_EQ(setup_step(self->tx, TLS_TX, variant->version), 0);
		ASSERT_EQ(setup_step(self->rx, TLS_RX, variant->version), 0);
		ASSERT_EQ(send(self->tx, "record", 6, 0), 6);
		ASSERT_EQ(recv(self->rx, buf, sizeof(buf), 0), 6);
		EXPECT_EQ(memcmp(buf, "record", 6), 0);
	}
	TH_LOG("%d of 40 setups hit an injected failure", fails);
	EXPECT_GT(fails, 0);
}

struct stream_run {
	struct outcome snd, rcv;
	long injected;
};

/*
 * One stream from @tx to @rx under @percent failures of allocator @dir,
 * the sender in a child. Closes @tx; 0, or -1 if it could not be set up.
 */
static int stream_once(int tx, int rx, const char *dir, int percent,
		       unsigned short version, struct stream_run *r)
{
	struct timeval tv = { .tv_sec = 20 };
	int p[2], status, rc = -1;
	pid_t pid;

	if (ctrl_attach(tx) || ctrl_attach(rx) ||
	    set_keys(tx, TLS_TX, version) || set_keys(rx, TLS_RX, version) ||
	    setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) || pipe(p))
		goto out;
	if (fault_arm(dir, percent))
		goto out_pipe;
	pid = fork();
	if (pid < 0)
		goto out_pipe;
	if (!pid) {
		close(rx);
		send_stream(tx, &r->snd);
		/*
		 * FIN through TCP's own shutdown: close() runs tcp_close()
		 * under our release, where the filter may fail the FIN's
		 * GFP_ATOMIC skb, and 6.12's tcp_send_fin() then sends no
		 * FIN at all (a TCP property, not ours): the reader would
		 * wait for ever.
		 */
		shutdown(tx, SHUT_WR);
		r->snd.fin_dropped = fin_dropped(tx);
		close(tx);
		_exit(write(p[1], &r->snd, sizeof(r->snd)) == sizeof(r->snd) ? 0 : 1);
	}
	close(tx);
	tx = -1;
	recv_stream(rx, &r->rcv);
	r->injected = fault_disarm(dir);
	if (waitpid(pid, &status, 0) == pid && status == 0 &&
	    read(p[0], &r->snd, sizeof(r->snd)) == (ssize_t)sizeof(r->snd))
		rc = 0;
out_pipe:
	close(p[0]);
	close(p[1]);
out:
	if (tx >= 0)
		close(tx);
	return rc;
}

/*
 * A stream of varying writes with failures on both ends: the receiver
 * gets exactly what the sender was told it sent, in order, unless one
 * side ended. An AEAD engine that fails (aesni's GCM may allocate while
 * walking the scatterlist) ends TX with EBADMSG, as upstream, and RX with
 * that engine's ENOMEM (upstream: EBADMSG): the record was being
 * transformed in place, so it can be neither trusted nor retried. Then
 * the receiver still only ever sees an exact prefix of the stream.
 *
 * A whole stream draws about five failures, so now and then (e^-5) it
 * draws none and proves nothing: then it runs again on a new pair, up to
 * STREAM_ATTEMPTS times.
 */
TEST_F_TIMEOUT(faults, stream_is_exact_or_enomem, 600)
{
	struct stream_run r = { 0 };
	int attempt;

	for (attempt = 0; attempt < STREAM_ATTEMPTS; attempt++) {
		if (attempt) {
			TH_LOG("no failure drawn; again on a new pair");
			close(self->rx);
			ASSERT_EQ(ctrl_tcp_pair(AF_INET, &self->tx, &self->rx), 0);
		}
		ASSERT_EQ(stream_once(self->tx, self->rx, variant->dir,
				      variant->percent, variant->version, &r), 0);
		self->tx = -1;
		if (r.injected)
			break;
	}

	TH_LOG("%ld failures injected; sent %zu (errno %d), received %zu (errno %d)",
	       r.injected, r.snd.bytes, r.snd.err, r.rcv.bytes, r.rcv.err);
	if (r.rcv.err == ETIMEDOUT)
		TH_LOG("receiver gave up: readable %d, %d bytes unread; sender's FIN dropped %d",
		       r.rcv.readable, r.rcv.unread, r.snd.fin_dropped);
	EXPECT_GT(r.injected, 0);
	EXPECT_TRUE(r.snd.err == 0 || r.snd.err == ENOMEM || r.snd.err == EBADMSG ||
		    r.snd.err == EPIPE || r.snd.err == ECONNRESET);
	/*
	 * No end of the stream because TCP dropped the FIN (fin_dropped()):
	 * TCP's, not a loss of ours; the byte counts are still checked. Our
	 * receiver has everything then (the sender's TCP saw it all acked),
	 * so nothing may be stuck there: nothing readable, and nothing
	 * unread at all unless the sender failed (its last record may have
	 * gone out in part).
	 */
	if (r.rcv.err == ETIMEDOUT && r.snd.fin_dropped && !r.rcv.readable &&
	    (r.snd.err || !r.rcv.unread)) {
		TH_LOG("TCP dropped the sender's FIN under an injected failure");
		r.rcv.err = 0;
	}
	EXPECT_TRUE(r.rcv.err == 0 || r.rcv.err == ENOMEM);
	EXPECT_LE(r.rcv.bytes, r.snd.bytes);
	if (!r.snd.err && !r.rcv.err)
		EXPECT_EQ(r.rcv.bytes, (size_t)STREAM_BYTES);
}

TEST_HARNESS_MAIN
