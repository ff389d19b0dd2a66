// SPDX-License-Identifier: GPL-2.0
/*
 * The calls, as the executor runs them. Each takes its socket from the
 * slot when it starts, so that two threads race on the same descriptor
 * as applications do. Nothing may block for long: every socket has
 * SO_RCVTIMEO/SO_SNDTIMEO of EXEC_SOCK_TIMEO_MS (and a program cannot set
 * them to more), the pipe is non-blocking, and sleeps, polls and linger
 * are clamped. Lengths are clamped to the thread's buffer so that the
 * kernel is given only memory the executor owns.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include "exec.h"
#include "names.h"

#ifndef SOL_TLS
#define SOL_TLS		282
#endif
#ifndef TCP_ULP
#define TCP_ULP		31
#endif
#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY	60
#endif
#define TLS_SET_RECORD_TYPE	1
#define OPT_BUF		256

static long long clamp(long long v, long long lo, long long hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static long long result(long long ret)
{
	return ret < 0 ? -errno : ret;
}

static int sock_timeouts(int fd)
{
	struct timeval tv = { 0, EXEC_SOCK_TIMEO_MS * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return -1;
	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int new_socket(int fam)
{
	int fd = socket(fam, SOCK_STREAM, 0);

	if (fd >= 0)
		sock_timeouts(fd);
	return fd;
}

/* Puts @fd into slot @s, closing what was there. */
static void slot_set(struct exec_state *st, int s, int fd)
{
	int old = st->slot[s];

	st->slot[s] = fd;
	if (old >= 0 && old != fd)
		close(old);
}

static socklen_t loopback(struct sockaddr_storage *ss, int fam)
{
	memset(ss, 0, sizeof(*ss));
	if (fam == AF_INET6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_loopback;
		return sizeof(*a6);
	}
	((struct sockaddr_in *)ss)->sin_family = AF_INET;
	((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof(struct sockaddr_in);
}

/* A listening socket on loopback; its address in @ss. */
static int listen_on(int fam, struct sockaddr_storage *ss, socklen_t *len)
{
	int fd = new_socket(fam);

	*len = loopback(ss, fam);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)ss, *len) || listen(fd, 8) ||
	    getsockname(fd, (struct sockaddr *)ss, len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static long long do_pair(struct exec_state *st, const struct call *c)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd = listen_on(c->arg[2], &ss, &len), cfd, afd;

	if (lfd < 0)
		return lfd;
	cfd = new_socket(c->arg[2]);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&ss, len)) {
		afd = -errno;
		goto out;
	}
	afd = accept(lfd, NULL, NULL);
	if (afd < 0) {
		afd = -errno;
		goto out;
	}
	sock_timeouts(afd);
	slot_set(st, c->arg[0], cfd);
	slot_set(st, c->arg[1], afd);
	close(lfd);
	return 0;
out:
	if (cfd >= 0)
		close(cfd);
	close(lfd);
	return afd;
}

static long long do_listen(struct exec_state *st, const struct call *c)
{
	int fd = listen_on(c->arg[0], &st->laddr, &st->laddr_len);

	if (fd < 0)
		return fd;
	st->lfam = c->arg[0];
	slot_set(st, SLOT_LISTENER, fd);
	return 0;
}

static long long do_connect(struct exec_state *st, const struct call *c)
{
	int fd = new_socket(st->lfam);

	if (fd < 0)
		return -errno;
	slot_set(st, c->arg[0], fd);
	return result(connect(fd, (struct sockaddr *)&st->laddr, st->laddr_len));
}

static long long do_accept(struct exec_state *st, const struct call *c)
{
	int fd = accept(st->slot[SLOT_LISTENER], NULL, NULL);

	if (fd < 0)
		return -errno;
	sock_timeouts(fd);
	slot_set(st, c->arg[0], fd);
	return 0;
}

static long long do_ulp(int fd, const struct call *c)
{
	static const char * const names[] = { "tls", "tlsx", "" };
	const char *name = names[clamp(c->arg[1], 0, 2)];

	return result(setsockopt(fd, IPPROTO_TCP, TCP_ULP, name, strlen(name) + !!*name));
}

struct cipher_shape {
	int cipher, iv, key, salt;
};

static const struct cipher_shape shapes[] = {
	{ 51, 8, 16, 4 }, { 52, 8, 32, 4 }, { 53, 8, 16, 4 }, { 54, 12, 32, 0 },
	{ 55, 8, 16, 4 }, { 56, 8, 16, 4 }, { 57, 8, 16, 4 }, { 58, 8, 32, 4 },
};

/* Unknown ciphers get the shape of AES-GCM-128, the smallest. */
static const struct cipher_shape *shape_of(int cipher)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(shapes); i++)
		if (shapes[i].cipher == cipher)
			return &shapes[i];
	return &shapes[0];
}

static void fill_key(unsigned char *p, int len, int key, int what)
{
	int i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(key * 61 + what * 17 + i * 7 + 1);
}

static void fill_seq(unsigned char *p, int seq)
{
	static const unsigned long long seqs[] = {
		0, 1, 1ULL << 48, ~0ULL - 1,
	};
	unsigned long long v = seqs[clamp(seq, 0, 3)];
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

/*
 * The uapi layout of every cipher: version, cipher, iv, key, salt,
 * rec_seq. Both ends derive it from the key index alone, so a TX and an
 * RX set with the same arguments match.
 */
static int build_crypto(unsigned char *b, const struct call *c)
{
	const struct cipher_shape *s = shape_of(c->arg[3]);
	unsigned short ver = c->arg[2], cipher = c->arg[3];
	int key = clamp(c->arg[4], 0, 255), off = 4;

	memset(b, 0, OPT_BUF);
	memcpy(b, &ver, 2);
	memcpy(b + 2, &cipher, 2);
	fill_key(b + off, s->iv, key, 1);
	off += s->iv;
	fill_key(b + off, s->key, key, 2);
	off += s->key;
	fill_key(b + off, s->salt, key, 3);
	off += s->salt;
	fill_seq(b + off, c->arg[5]);
	return off + 8;
}

static long long do_tls_set(int fd, const struct call *c)
{
	unsigned char b[OPT_BUF];
	int len = build_crypto(b, c) + c->arg[6];

	len = clamp(len, -1, OPT_BUF);
	return result(setsockopt(fd, SOL_TLS, c->arg[1], b, len));
}

static long long do_tls_get(int fd, const struct call *c)
{
	unsigned char b[OPT_BUF];
	socklen_t len = clamp(c->arg[2], -1, OPT_BUF);
	long long ret = result(getsockopt(fd, SOL_TLS, c->arg[1], b, &len));

	return ret ? ret : (long long)len;
}

static long long do_tls_opt(int fd, const struct call *c)
{
	unsigned char b[OPT_BUF] = { 0 };
	int val = c->arg[2];

	memcpy(b, &val, sizeof(val));
	return result(setsockopt(fd, SOL_TLS, c->arg[1], b, clamp(c->arg[3], -1, OPT_BUF)));
}

static long long set_timeo(int fd, int opt, long long ms)
{
	struct timeval tv = { 0, clamp(ms, 1, 300) * 1000 };

	return result(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)));
}

static long long set_int(int fd, int level, int opt, int val)
{
	return result(setsockopt(fd, level, opt, &val, sizeof(val)));
}

/* Timeouts stay short and lingering at most a second (EXEC_WATCHDOG_MS). */
static long long do_sockopt(int fd, const struct call *c)
{
	struct linger lin = { c->arg[2] != 0, c->arg[2] & 1 };
	int val = c->arg[2];

	switch (c->arg[1]) {
	case SO_OPT_RCVLOWAT:
		return set_int(fd, SOL_SOCKET, SO_RCVLOWAT, val);
	case SO_OPT_SNDBUF:
		return set_int(fd, SOL_SOCKET, SO_SNDBUF, val);
	case SO_OPT_RCVBUF:
		return set_int(fd, SOL_SOCKET, SO_RCVBUF, val);
	case SO_OPT_RCVTIMEO:
		return set_timeo(fd, SO_RCVTIMEO, val);
	case SO_OPT_SNDTIMEO:
		return set_timeo(fd, SO_SNDTIMEO, val);
	case SO_OPT_LINGER:
		return result(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin)));
	case SO_OPT_NODELAY:
		return set_int(fd, IPPROTO_TCP, TCP_NODELAY, val);
	case SO_OPT_CORK:
		return set_int(fd, IPPROTO_TCP, TCP_CORK, val);
	case SO_OPT_ZEROCOPY:
		return set_int(fd, SOL_SOCKET, SO_ZEROCOPY, val);
	case SO_OPT_OOBINLINE:
		return set_int(fd, SOL_SOCKET, SO_OOBINLINE, val);
	}
	return -EINVAL;
}

static size_t buf_len(long long len)
{
	return clamp(len, 0, EXEC_BUF_LEN);
}

static void add_cmsg(struct msghdr *m, size_t *used, int level, int len,
		     const void *data, int dlen)
{
	struct cmsghdr *cm = (struct cmsghdr *)((char *)m->msg_control + *used);

	cm->cmsg_level = level;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = len;
	memcpy(CMSG_DATA(cm), data, dlen);
	*used += CMSG_SPACE(dlen);
}

/* The control message of @mode; some are malformed on purpose. */
static void build_cmsg(struct msghdr *m, int mode, int type)
{
	unsigned char t = type, t2 = type + 1;
	size_t used = 0;

	switch (mode) {
	case CM_NONE:
		m->msg_control = NULL; return;
	case CM_TYPE:
		add_cmsg(m, &used, SOL_TLS, CMSG_LEN(1), &t, 1);
		break;
	case CM_SHORT:
		add_cmsg(m, &used, SOL_TLS, CMSG_LEN(0), &t, 1);
		break;
	case CM_LONG:
		add_cmsg(m, &used, SOL_TLS, CMSG_LEN(1) + 64, &t, 1);
		break;
	case CM_LEVEL:
		add_cmsg(m, &used, IPPROTO_TCP, CMSG_LEN(1), &t, 1);
		break;
	case CM_TWO:
		add_cmsg(m, &used, SOL_TLS, CMSG_LEN(1), &t, 1);
		add_cmsg(m, &used, SOL_TLS, CMSG_LEN(1), &t2, 1);
		break;
	case CM_WIDE:
		add_cmsg(m, &used, SOL_TLS, CMSG_LEN(4), &type, 4);
		break;
	}
	m->msg_controllen = used;
}

static long long send_typed(int fd, void *data, size_t len, int type, int mode, int flags)
{
	union {
		struct cmsghdr align;
		unsigned char b[128];
	} cbuf = { 0 };
	struct iovec iov = { data, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.b };

	build_cmsg(&m, mode, type);
	return result(sendmsg(fd, &m, flags));
}

/* A TLS 1.3 KeyUpdate handshake message: type 24, length 1, the request. */
static long long do_keyupdate(int fd, const struct call *c)
{
	unsigned char msg[5] = { 0x18, 0, 0, 1, (unsigned char)c->arg[1] };

	return send_typed(fd, msg, sizeof(msg), 22, CM_TYPE, 0);
}

static long long do_sendfile(struct exec_state *st, int fd, const struct call *c)
{
	off_t off = c->arg[2];

	return result(sendfile(fd, st->file_fd, &off, buf_len(c->arg[1])));
}

static long long do_pipe_fill(struct exec_state *st, char *buf, const struct call *c)
{
	struct iovec iov = { buf, buf_len(c->arg[1]) };
	loff_t off = 0;

	switch (c->arg[0]) {
	case PIPE_WRITE:
		return result(write(st->pipe_wr[c->thread], buf, iov.iov_len));
	case PIPE_FILE:
		return result(splice(st->file_fd, &off, st->pipe_wr[c->thread], NULL, iov.iov_len,
				     SPLICE_F_NONBLOCK));
	case PIPE_VMSPLICE:
		return result(vmsplice(st->pipe_wr[c->thread], &iov, 1, SPLICE_F_NONBLOCK));
	}
	return -EINVAL;
}

static long long do_pipe_drain(struct exec_state *st, char *buf, int t)
{
	long long total = 0;
	ssize_t n;
	int i;

	for (i = 0; i < 64; i++) {
		n = read(st->pipe_rd[t], buf, EXEC_BUF_LEN);
		if (n <= 0)
			break;
		total += n;
	}
	return total;
}

/*
 * splice() waits on a pipe by SPLICE_F_NONBLOCK or the socket's
 * O_NONBLOCK, never the pipe's, and no socket timeout ends that wait:
 * an empty pipe is spliced from without waiting...
 */
static long long do_splice_in(struct exec_state *st, int fd, const struct call *c)
{
	int flags = c->arg[2], queued = 0;

	if (ioctl(st->pipe_rd[c->thread], FIONREAD, &queued) || !queued)
		flags |= SPLICE_F_NONBLOCK;
	return result(splice(st->pipe_rd[c->thread], NULL, fd, NULL, buf_len(c->arg[1]), flags));
}

/* ...and a pipe with anything in it is emptied before a splice into it. */
static long long do_splice_out(struct exec_state *st, int fd, char *buf, const struct call *c)
{
	int queued = 0;

	if (ioctl(st->pipe_rd[c->thread], FIONREAD, &queued) || queued)
		do_pipe_drain(st, buf, c->thread);
	return result(splice(fd, NULL, st->pipe_wr[c->thread], NULL, buf_len(c->arg[1]),
			     c->arg[2]));
}

static long long do_recvmsg(int fd, char *buf, const struct call *c)
{
	union {
		struct cmsghdr align;
		unsigned char b[OPT_BUF];
	} cbuf;
	struct iovec iov = { buf, buf_len(c->arg[1]) };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.b,
		.msg_controllen = clamp(c->arg[3], 0, OPT_BUF),
	};

	return result(recvmsg(fd, &m, c->arg[2]));
}

/* Up to 16 pieces of the buffer with a gap after each. */
static long long do_readv(int fd, char *buf, const struct call *c)
{
	struct iovec iov[16];
	int i, n = clamp(c->arg[2], 0, 16);
	size_t len = buf_len(c->arg[1]), piece = n ? len / n : 0;

	for (i = 0; i < n; i++) {
		iov[i].iov_base = buf + i * (piece + 64);
		iov[i].iov_len = i == n - 1 ? len - piece * i : piece;
		if ((char *)iov[i].iov_base + iov[i].iov_len > buf + EXEC_BUF_LEN + 4096)
			iov[i].iov_len = 0;
	}
	return result(readv(fd, iov, n));
}

static long long do_poll(int fd, const struct call *c)
{
	struct pollfd p = { .fd = fd, .events = c->arg[1] };
	int ret = poll(&p, 1, clamp(c->arg[2], 0, 50));

	return ret > 0 ? p.revents : result(ret);
}

static long long do_epoll(struct exec_state *st, int fd, const struct call *c)
{
	struct epoll_event ev = { .events = c->arg[2] }, out[4];
	int ret = epoll_ctl(st->epoll_fd, c->arg[1], fd, &ev);

	if (ret)
		return -errno;
	return result(epoll_wait(st->epoll_fd, out, 4, clamp(c->arg[3], 0, 50)));
}

static long long do_ioctl(int fd, const struct call *c)
{
	static const unsigned long reqs[] = {
		SIOCINQ, SIOCOUTQ, SIOCOUTQNSD, FIONBIO, SIOCATMARK,
	};
	int val = c->arg[2];
	long long ret = ioctl(fd, reqs[clamp(c->arg[1], 0, 4)], &val);

	return ret ? result(ret) : val;
}

static long long do_close(struct exec_state *st, const struct call *c)
{
	int fd = st->slot[c->arg[0]];

	st->slot[c->arg[0]] = -1;
	return result(close(fd));
}

static long long do_disconnect(int fd)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	return result(connect(fd, &sa, sizeof(sa)));
}

static long long do_fcntl(int fd, const struct call *c)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	fl = c->arg[1] ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return result(fcntl(fd, F_SETFL, fl));
}

/*
 * A sock_diag dump of every TCP socket of @fam: for ours the kernel adds
 * the ULP's info (INET_DIAG_ULP_INFO, ktls_diag_get_info), while the
 * other thread may be changing the very socket.
 */
static long long do_diag(char *buf, const struct call *c)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = { .nlmsg_len = sizeof(msg), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = c->arg[0], .sdiag_protocol = IPPROTO_TCP,
			 .idiag_ext = 0xff, .idiag_states = ~0U },
	};
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG), i;
	long long total = 0;
	ssize_t n = 0;

	if (fd < 0)
		return -errno;
	sock_timeouts(fd);
	if (send(fd, &msg, sizeof(msg), 0) < 0)
		total = -errno;
	for (i = 0; total >= 0 && i < 64; i++) {
		n = recv(fd, buf, 65536, 0);
		if (n <= 0 || ((struct nlmsghdr *)buf)->nlmsg_type == NLMSG_DONE)
			break;
		total += n;
	}
	close(fd);
	return total;
}

/* /proc/net/tls_stat, read while the other thread uses sockets. */
static long long do_stat(char *buf)
{
	int fd = open("/proc/net/tls_stat", O_RDONLY | O_CLOEXEC);
	long long n;

	if (fd < 0)
		return -errno;
	n = result(read(fd, buf, 4096));
	close(fd);
	return n;
}

/* Calls that need no socket, or make one. */
static long long run_resource_call(struct exec_state *st, char *buf, const struct call *c)
{
	switch (c->kind) {
	case C_PAIR:
		return do_pair(st, c);
	case C_SOCKET: {
		int fd = new_socket(c->arg[1]);

		if (fd < 0)
			return -errno;
		slot_set(st, c->arg[0], fd);
		return 0;
	}
	case C_LISTEN:
		return do_listen(st, c);
	case C_CONNECT:
		return do_connect(st, c);
	case C_ACCEPT:
		return do_accept(st, c);
	case C_PIPE_FILL:
		return do_pipe_fill(st, buf, c);
	case C_PIPE_DRAIN:
		return do_pipe_drain(st, buf, c->thread);
	case C_CLOSE:
		return do_close(st, c);
	case C_SLEEP:
		return result(usleep(clamp(c->arg[0], 0, 20) * 1000));
	case C_DIAG:
		return do_diag(buf, c);
	case C_STAT:
		return do_stat(buf);
	}
	return -EINVAL;
}

static long long run_data_call(struct exec_state *st, int fd, char *buf, const struct call *c)
{
	switch (c->kind) {
	case C_SEND:
		return result(send(fd, buf, buf_len(c->arg[1]), c->arg[2]));
	case C_SENDMSG:
		return send_typed(fd, buf, buf_len(c->arg[1]), c->arg[2], c->arg[3], c->arg[4]);
	case C_KEYUPDATE:
		return do_keyupdate(fd, c);
	case C_SENDFILE:
		return do_sendfile(st, fd, c);
	case C_SPLICE_IN:
		return do_splice_in(st, fd, c);
	case C_SPLICE_OUT:
		return do_splice_out(st, fd, buf, c);
	case C_RECV:
		return result(recv(fd, buf, buf_len(c->arg[1]), c->arg[2]));
	case C_RECVMSG:
		return do_recvmsg(fd, buf, c);
	case C_READV:
		return do_readv(fd, buf, c);
	}
	return -EINVAL;
}

long long call_run(struct exec_state *st, char *buf, const struct call *c)
{
	int fd = st->slot[clamp(c->arg[0], 0, PROG_SLOTS - 1)];

	switch (c->kind) {
	case C_ULP:
		return do_ulp(fd, c);
	case C_TLS_SET:
		return do_tls_set(fd, c);
	case C_TLS_GET:
		return do_tls_get(fd, c);
	case C_TLS_OPT:
		return do_tls_opt(fd, c);
	case C_SOCKOPT:
		return do_sockopt(fd, c);
	case C_POLL:
		return do_poll(fd, c);
	case C_EPOLL:
		return do_epoll(st, fd, c);
	case C_IOCTL:
		return do_ioctl(fd, c);
	case C_SHUTDOWN:
		return result(shutdown(fd, c->arg[1]));
	case C_DISCONNECT:
		return do_disconnect(fd);
	case C_FCNTL:
		return do_fcntl(fd, c);
	case C_SEND: case C_SENDMSG: case C_KEYUPDATE: case C_SENDFILE:
	case C_SPLICE_IN: case C_SPLICE_OUT: case C_RECV: case C_RECVMSG:
	case C_READV:
		return run_data_call(st, fd, buf, c);
	}
	return run_resource_call(st, buf, c);
}
