// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile-peer fuzzer for the RX record stream. Each iteration, from a
 * seed, a raw TCP peer (records sealed with libcrypto, rx_peer.h) sends a
 * random run of valid data and control records, and with some probability
 * one hostile item (bad lengths, version, outer type, a flipped bit, a
 * truncated record, an all-zero TLS 1.3 plaintext, a KeyUpdate out of
 * place, urgent data) followed by more records, cut into TCP segments at
 * random points. The receiver, a kTLS RX socket, reads it through every
 * read path with random sizes. It must get exactly the plaintext of the
 * valid prefix (data in order, control records with their type), then
 * the error documented for the hostile item (Documentation/rx.rst) or EOF,
 * and never another byte, and never hang.
 *
 * Usage: peer_fuzz [-s SEED] [-n ITERS] [-d SECONDS] [-i ITER]
 *                  [-v VARIANT]... [-V VARIANT]...
 * A mismatch prints the line that replays it (-s SEED -i ITER -v VARIANT).
 * Prints KTAP: one test per row of variants.h.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <linux/sockios.h>

#include "kselftest.h"
#include "rx_peer.h"

#define REC_ALERT	21
#define REC_HANDSHAKE	22
#define REC_DATA	23
#define MAX_PLAIN	16384

/* ---- the variant table, without the harness ---- */

#define MAX_VARIANTS	32

struct pf_variant {
	unsigned short version;
	unsigned short cipher;
	int family;
};

struct pf_row {
	const char *name;
	const struct pf_variant *v;
	int selected, skip, iters, fails;
	const char *why;
};

static struct pf_row rows[MAX_VARIANTS];
static int nrows;

static void pf_register(const char *name, const struct pf_variant *v)
{
	if (nrows < MAX_VARIANTS)
		rows[nrows++] = (struct pf_row){ .name = name, .v = v };
}

/* variants.h declares its rows with the harness's macro. */
#define FIXTURE_VARIANT_ADD(f, name)					\
	static const struct pf_variant f##_##name;			\
	static void __attribute__((constructor)) f##_reg_##name(void)	\
	{ pf_register(#name, &f##_##name); }				\
	static const struct pf_variant f##_##name =
#define KTLS_VARIANT_FIXTURE peer_fuzz
#define KTLS_VARIANT_OWN_STRUCT
#include "variants.h"

/* ---- seeded randomness: splitmix64, one stream per purpose ---- */

struct rng {
	unsigned long long s;
};

static unsigned long long mix64(unsigned long long z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned long long rnd(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

static unsigned int below(struct rng *r, unsigned int n)
{
	return n ? rnd(r) % n : 0;
}

static int chance(struct rng *r, int pct)
{
	return (int)below(r, 100) < pct;
}

/* The stream @what of iteration @iter of @seed. */
static void rng_init(struct rng *r, unsigned long long seed, unsigned long long iter, int what)
{
	r->s = mix64(seed ^ mix64(iter * 4 + what + 1));
}

/* Lengths biased to the edges: 0, 1, tiny, medium, up to @max. */
static int pick_len(struct rng *r, int max)
{
	unsigned int k = below(r, 10);

	if (k == 0)
		return 0;
	if (k == 1)
		return max < 1 ? max : 1;
	if (k <= 4)
		return below(r, (max < 64 ? max : 64) + 1);
	if (k <= 7)
		return below(r, (max < 2000 ? max : 2000) + 1);
	if (k == 8)
		return max;
	return below(r, max + 1);
}

static void fill_random(struct rng *r, unsigned char *b, int len)
{
	int i;

	for (i = 0; i < len; i++)
		b[i] = rnd(r) >> 24;
}

/* ---- what the receiver must see ---- */

/*
 * Outcomes allowed at the end of the stream, a mask. END_STALL: the error
 * stalls the parser and is reported once through sk_err (rx.rst, Errors),
 * rather than staying in rx_sw.err for every read.
 */
enum {
	END_EOF = 1, END_EBADMSG = 2, END_EMSGSIZE = 4, END_EINVAL = 8,
	END_STALL = 16,
};

enum ev_kind { EV_DATA, EV_CTRL, EV_END };

struct ev {
	enum ev_kind kind;
	unsigned char type;
	int ku;			/* a TLS 1.3 KeyUpdate: the receiver rekeys */
	int len;
	unsigned char *buf;
	int end;		/* EV_END: END_* mask */
	const char *what;	/* EV_END: the hostile item */
};

#define MAX_EVS 64

/* One iteration: the peer's bytes and what the receiver must read. */
struct script {
	const struct pf_row *row;
	unsigned short version, cipher;
	unsigned char keyseed;
	struct peer p;
	int gen;			/* the peer's key generation */
	unsigned char *wire;
	int wlen, wcap;
	int oob_at;			/* send this byte with MSG_OOB, or -1 */
	struct ev ev[MAX_EVS];
	int nev;
	int records;
	int hostile;
	int small_rcvbuf;
};

static int key_fill(union ctrl_crypto *c, const struct script *s, int gen)
{
	return ctrl_crypto_fill(c, s->version, s->cipher,
				(unsigned char)(s->keyseed + gen));
}

static int script_rekey_peer(struct script *s)
{
	union ctrl_crypto c;

	peer_free(&s->p);
	key_fill(&c, s, ++s->gen);
	return peer_init(&s->p, &c);
}

static unsigned char *wire_room(struct script *s, int len)
{
	if (s->wlen + len > s->wcap) {
		s->wcap = (s->wlen + len) * 2;
		s->wire = realloc(s->wire, s->wcap);
	}
	return s->wire + s->wlen;
}

/* Seal a record onto the wire; returns its offset. */
static int wire_seal(struct script *s, unsigned char type, const void *data,
		     int len, int pad)
{
	int off = s->wlen, n;

	if (pad)
		n = peer_seal_pad(&s->p, type, data, len, pad,
				  wire_room(s, PEER_MAX_REC));
	else
		n = peer_seal(&s->p, type, data, len, wire_room(s, PEER_MAX_REC));
	if (n < 0) {
		fprintf(stderr, "peer_seal failed\n");
		exit(2);
	}
	s->wlen += n;
	s->records++;
	return off;
}

static void wire_bytes(struct script *s, const void *b, int len)
{
	memcpy(wire_room(s, len), b, len);
	s->wlen += len;
}

static struct ev *ev_add(struct script *s, enum ev_kind kind)
{
	struct ev *e = &s->ev[s->nev++];

	memset(e, 0, sizeof(*e));
	e->kind = kind;
	return e;
}

static int tls13(const struct script *s)
{
	return s->version == TLS_1_3_VERSION;
}

/* The cipher's own bytes in a record: explicit nonce, tag, inner type. */
static int overhead(const struct script *s)
{
	return (peer_explicit(&s->p) ? 8 : 0) + PEER_TAG + (tls13(s) ? 1 : 0);
}

/* A sealed record the receiver must read; @pad only for TLS 1.3. */
static void add_valid(struct script *s, struct rng *r, unsigned char type,
		      unsigned char *data, int len, int ku, int emit)
{
	int pad = 0;

	if (tls13(s) && chance(r, 20))
		pad = below(r, MAX_PLAIN - len + 1 < 300 ? MAX_PLAIN - len + 1 : 300);
	wire_seal(s, type, data, len, pad);
	if (emit) {
		struct ev *e = ev_add(s, type == REC_DATA ? EV_DATA : EV_CTRL);

		e->type = type;
		e->len = len;
		e->ku = ku;
		e->buf = malloc(len + 1);
		memcpy(e->buf, data, len);
	}
}

/* Handshake messages (type, 24-bit length, body) that are not KeyUpdate. */
static int handshake_msgs(struct rng *r, unsigned char *b)
{
	static const unsigned char types[] = { 2, 4, 8, 11, 15, 20 };
	int n = 0, k = 1 + below(r, 3), blen;

	while (k--) {
		blen = below(r, 200);
		b[n] = types[below(r, sizeof(types))];
		b[n + 1] = 0;
		b[n + 2] = blen >> 8;
		b[n + 3] = blen & 0xff;
		fill_random(r, b + n + 4, blen);
		n += 4 + blen;
	}
	return n;
}

static int keyupdate_msg(struct rng *r, unsigned char *b)
{
	b[0] = 24;
	b[1] = 0;
	b[2] = 0;
	b[3] = 1;
	b[4] = below(r, 2);
	return 5;
}

/* One valid item: data, alert, handshake, or (TLS 1.3) a KeyUpdate. */
static void add_random_valid(struct script *s, struct rng *r,
			     unsigned char *tmp, int emit)
{
	int k = below(r, 100), len;

	if (k < 65) {
		len = pick_len(r, MAX_PLAIN);
		fill_random(r, tmp, len);
		if (len >= 5 && chance(r, 5))
			keyupdate_msg(r, tmp);	/* looks like one: data */
		add_valid(s, r, REC_DATA, tmp, len, 0, emit);
	} else if (k < 75) {
		len = chance(r, 10) ? 0 : 2;
		fill_random(r, tmp, len);
		add_valid(s, r, REC_ALERT, tmp, len, 0, emit);
	} else if (k < 88 || !emit) {
		len = handshake_msgs(r, tmp);
		add_valid(s, r, REC_HANDSHAKE, tmp, len, 0, emit);
	} else {
		/* A KeyUpdate, maybe behind other messages (RFC 8446 5.1). */
		len = chance(r, 30) ? handshake_msgs(r, tmp) : 0;
		len += keyupdate_msg(r, tmp + len);
		add_valid(s, r, REC_HANDSHAKE, tmp, len, tls13(s), emit);
		/* TLS 1.2 has no KeyUpdate: only a 1.3 peer switches keys. */
		if (tls13(s) && script_rekey_peer(s))
			exit(2);
	}
}

static void end_with(struct script *s, int mask, const char *what)
{
	struct ev *e = ev_add(s, EV_END);

	e->end = mask;
	e->what = what;
}

/* A record header of @len announced bytes, then some garbage. */
static void bad_header(struct script *s, struct rng *r, int len)
{
	unsigned char h[5 + 64] = { REC_DATA, 3, 3, len >> 8, len & 0xff };
	int extra = below(r, 64);

	fill_random(r, h + 5, extra);
	wire_bytes(s, h, 5 + extra);
}

/* A record with one bit flipped: which error depends on where. */
static void bit_flip(struct script *s, struct rng *r, unsigned char *tmp)
{
	int len = pick_len(r, MAX_PLAIN), off, n, pos, was, now;

	fill_random(r, tmp, len);
	off = wire_seal(s, REC_DATA, tmp, len, 0);
	n = s->wlen - off;
	pos = below(r, n);
	was = (s->wire[off + 3] << 8) | s->wire[off + 4];
	s->wire[off + pos] ^= 1 << below(r, 8);
	now = (s->wire[off + 3] << 8) | s->wire[off + 4];
	if (pos == 1 || pos == 2)
		end_with(s, END_EINVAL | END_STALL, "bit flip in version");
	else if (pos != 3 && pos != 4)
		end_with(s, END_EBADMSG, pos ? "bit flip in record" :
			 "bit flip in type");
	else if (now > MAX_PLAIN + overhead(s))
		end_with(s, END_EMSGSIZE | END_STALL, "bit flip: length too long");
	else if (now < overhead(s))
		end_with(s, END_EBADMSG | END_STALL, "bit flip: length under overhead");
	else if (now < was)
		end_with(s, END_EBADMSG, "bit flip: length shorter");
	else	/* it takes bytes that follow, or waits for them until EOF */
		end_with(s, END_EBADMSG | END_EOF, "bit flip: length longer");
}

/* One hostile item; returns 1 when nothing may follow it on the wire. */
static int add_hostile(struct script *s, struct rng *r, unsigned char *tmp)
{
	int ov = overhead(s), len, off, n, cut;

	switch (below(r, 12)) {
	case 0:
		bad_header(s, r, 0);
		end_with(s, END_EBADMSG | END_STALL, "length 0");
		break;
	case 1:
		bad_header(s, r, ov - 1);
		end_with(s, END_EBADMSG | END_STALL, "length just under overhead");
		break;
	case 2:
		bad_header(s, r, MAX_PLAIN + ov + 1);
		end_with(s, END_EMSGSIZE | END_STALL, "length one over maximum");
		break;
	case 3:
		bad_header(s, r, 0xffff);
		end_with(s, END_EMSGSIZE | END_STALL, "length 0xffff");
		break;
	case 4:
		len = pick_len(r, 100);
		fill_random(r, tmp, len);
		off = wire_seal(s, REC_DATA, tmp, len, 0);
		s->wire[off + 1 + below(r, 2)] ^= 1 + below(r, 255);
		end_with(s, END_EINVAL | END_STALL, "wrong version");
		break;
	case 5:
		len = pick_len(r, 100);
		fill_random(r, tmp, len);
		off = wire_seal(s, REC_DATA, tmp, len, 0);
		s->wire[off] ^= 1 + below(r, 255);
		end_with(s, END_EBADMSG, "wrong outer type");
		break;
	case 6:
	case 7:
		bit_flip(s, r, tmp);
		break;
	case 8:
		len = pick_len(r, MAX_PLAIN);
		fill_random(r, tmp, len);
		off = wire_seal(s, REC_DATA, tmp, len, 0);
		n = s->wlen - off;
		s->wlen = off + 1 + below(r, n - 1);
		end_with(s, END_EOF, "truncated record, then close");
		return 1;
	case 9:
		if (!tls13(s)) {	/* no inner type: a bad tag instead */
			bit_flip(s, r, tmp);
			break;
		}
		len = below(r, 50);
		memset(tmp, 0, len);
		wire_seal(s, 0, tmp, len, below(r, 100));
		end_with(s, END_EBADMSG, "all-zero TLS 1.3 plaintext");
		break;
	case 10:
		/*
		 * TLS 1.3: a KeyUpdate, then records still under the old key:
		 * the receiver, rekeyed, cannot authenticate them. TLS 1.2:
		 * a KeyUpdate message is only handshake: a bad tag after it.
		 */
		len = keyupdate_msg(r, tmp);
		add_valid(s, r, REC_HANDSHAKE, tmp, len, tls13(s), 1);
		if (!tls13(s)) {
			bit_flip(s, r, tmp);
			break;
		}
		if (chance(r, 50))
			wire_seal(s, REC_HANDSHAKE, tmp, keyupdate_msg(r, tmp), 0);
		else
			wire_seal(s, REC_DATA, tmp, pick_len(r, 500), 0);
		end_with(s, END_EBADMSG, "KeyUpdate twice without a rekey");
		break;
	default:
		/* Urgent data at a record boundary or inside a record. */
		len = pick_len(r, MAX_PLAIN);
		fill_random(r, tmp, len);
		off = wire_seal(s, REC_DATA, tmp, len, 0);
		n = s->wlen - off;
		cut = chance(r, 50) ? 0 : below(r, n);
		wire_room(s, 1);
		memmove(s->wire + off + cut + 1, s->wire + off + cut, n - cut);
		s->oob_at = off + cut;
		s->wire[s->oob_at] = '!';
		s->wlen++;
		end_with(s, END_EBADMSG | END_STALL, "urgent data");
		break;
	}
	return 0;
}

/* Build iteration @iter's stream into @s (s->row, keys already set). */
static void script_build(struct script *s, struct rng *r)
{
	unsigned char *tmp = calloc(1, MAX_PLAIN + 64);
	int i, n = 1 + below(r, chance(r, 20) ? 24 : 8);

	s->oob_at = -1;
	for (i = 0; i < n; i++)
		add_random_valid(s, r, tmp, 1);
	s->hostile = chance(r, 60);
	if (s->hostile && !add_hostile(s, r, tmp)) {
		/*
		 * Records after the hostile item, never to be read. Few: after
		 * a stall they wait in TCP, and a small SO_RCVBUF full of them
		 * would block the peer before its close.
		 */
		n = s->small_rcvbuf ? 0 : below(r, 3);
		for (i = 0; i < n; i++)
			add_random_valid(s, r, tmp, 0);
	} else if (s->ev[s->nev - 1].kind != EV_END) {
		end_with(s, END_EOF, "clean close");
	}
	free(tmp);
}

static void script_free(struct script *s)
{
	int i;

	for (i = 0; i < s->nev; i++)
		free(s->ev[i].buf);
	free(s->wire);
	peer_free(&s->p);
}

/* ---- the peer: the wire in random segments, then a clean close ---- */

struct sender {
	int fd;
	const struct script *s;
	struct rng r;
};

/* Segment sizes: a few bytes, about a packet, many records at once. */
static const unsigned int seg_max[4] = { 10, 600, 40000, 40000 };

static void *sender_run(void *arg)
{
	struct sender *t = arg;
	const struct script *s = t->s;
	int off = 0, cut, end;

	while (off < s->wlen) {
		end = s->oob_at >= off ? s->oob_at : s->wlen;
		if (off == s->oob_at) {
			if (send(t->fd, s->wire + off, 1, MSG_OOB) != 1)
				return NULL;
			off++;
			continue;
		}
		cut = 1 + below(&t->r, seg_max[below(&t->r, 4)]);
		if (cut > end - off)
			cut = end - off;
		if (send_all(t->fd, s->wire + off, cut))	/* SIGPIPE ignored */
			return NULL;
		off += cut;
		if (chance(&t->r, 5))
			usleep(below(&t->r, 3000));
	}
	shutdown(t->fd, SHUT_WR);
	return NULL;
}

/* ---- the receiver ---- */

enum path {
	P_RECV, P_RECV_WAITALL, P_RECV_POLL, P_RECVMSG_CMSG, P_RECVMSG_BARE,
	P_READV, P_SPLICE, P_NPATHS
};

static const char * const path_names[P_NPATHS] = {
	"recv", "recv(MSG_WAITALL)", "poll+recv(MSG_DONTWAIT)",
	"recvmsg+cmsg", "recvmsg", "readv", "splice",
};

#define RBUF		(70000 + 8 * 64)
#define CANARY		0xa5
#define RECV_TIMEO_S	10
#define ITER_TIMEOUT_S	90

struct rread {
	enum path path;
	int peek, size;
	ssize_t n;
	int err, type;
};

struct rx {
	int fd, pipe[2];
	const struct script *s;
	struct rng r;
	int ci, co;		/* next event, offset in it */
	int paused;		/* KeyUpdate read, next key not yet set */
	int gen;
	unsigned char *buf, *got;
	char why[256];
	char where[128];	/* the read that failed */
};

/* The iteration running, for the alarm's message; -x. */
static unsigned long long g_seed;
static long g_iter;
static const char *g_row;
static int g_trace;

/* Counters for the progress lines and the summary. */
static struct {
	long iters, records, reads, bytes, rekeys, hostile;
	long eof, ebadmsg, emsgsize, einval, ekeyexpired, eio, eagain;
} tot;

static int __printf(2, 3) fail(struct rx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->why, sizeof(x->why), fmt, ap);
	va_end(ap);
	return -1;
}

static int read_splice(struct rx *x, struct rread *rd)
{
	ssize_t n = splice(x->fd, NULL, x->pipe[1], NULL, rd->size, 0);
	ssize_t got = 0, m;

	if (n < 0)
		return -1;
	while (got < n) {
		m = read(x->pipe[0], x->got + got, n - got);
		if (m <= 0)
			return -1;
		got += m;
	}
	return n;
}

/* Up to 8 iovecs with gaps between them that must stay untouched. */
static int read_scattered(struct rx *x, struct rread *rd, unsigned char *gaps)
{
	struct iovec iov[8];
	int niov = 1 + below(&x->r, 8), left = rd->size, i, at = 0, n, k;
	ssize_t ret;

	for (i = 0; i < niov; i++) {
		n = i == niov - 1 ? left : (int)below(&x->r, left + 1);
		at += below(&x->r, 64);
		iov[i] = (struct iovec){ .iov_base = x->buf + at, .iov_len = n };
		at += n;
		left -= n;
	}
	memset(x->buf, CANARY, at + 64);
	ret = readv(x->fd, iov, niov);
	for (i = 0, k = 0; i < niov; i++) {
		n = iov[i].iov_len;
		memcpy(x->got + k, iov[i].iov_base, n);
		k += n;
	}
	/* Gaps: everything between the iovecs and after the last one. */
	*gaps = CANARY;
	for (i = 0, k = 0; i < at + 64; i++) {
		unsigned char *p = x->buf + i;
		int inside = 0, j;

		for (j = 0; j < niov; j++)
			if (p >= (unsigned char *)iov[j].iov_base &&
			    p < (unsigned char *)iov[j].iov_base + iov[j].iov_len)
				inside = 1;
		if (!inside && *p != CANARY)
			*gaps = *p;
	}
	return ret;
}

static ssize_t read_msg(struct rx *x, struct rread *rd, int flags, int cmsg)
{
	char cbuf[CMSG_SPACE(sizeof(unsigned char))] = {};
	struct iovec iov = { .iov_base = x->buf, .iov_len = rd->size };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	if (cmsg) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
	}
	n = recvmsg(x->fd, &msg, flags);
	cm = cmsg ? CMSG_FIRSTHDR(&msg) : NULL;
	if (cm && cm->cmsg_level == SOL_TLS &&
	    cm->cmsg_type == TLS_GET_RECORD_TYPE)
		rd->type = *CMSG_DATA(cm);
	return n;
}

/* Do one read of @rd->path; the bytes land in x->got. */
static int do_read(struct rx *x, struct rread *rd)
{
	int peek = rd->peek ? MSG_PEEK : 0, i;
	unsigned char gaps = CANARY;
	struct pollfd pfd = { .fd = x->fd, .events = POLLIN };
	ssize_t n;

	rd->type = -1;
	memset(x->buf, CANARY, rd->size);
	switch (rd->path) {
	case P_RECV:
		n = recv(x->fd, x->buf, rd->size, peek);
		break;
	case P_RECV_WAITALL:
		n = recv(x->fd, x->buf, rd->size, MSG_WAITALL);
		break;
	case P_RECV_POLL:
		/* Not readable for that long: ETIMEDOUT, for check_stop(). */
		if (!x->paused && poll(&pfd, 1, RECV_TIMEO_S * 1000) != 1) {
			errno = ETIMEDOUT;
			n = -1;
			break;
		}
		n = recv(x->fd, x->buf, rd->size, MSG_DONTWAIT | peek);
		break;
	case P_RECVMSG_CMSG:
		n = read_msg(x, rd, peek, 1);
		break;
	case P_RECVMSG_BARE:
		n = read_msg(x, rd, peek, 0);
		break;
	case P_READV:
		n = read_scattered(x, rd, &gaps);
		break;
	default:
		n = read_splice(x, rd);
		break;
	}
	rd->n = n;
	rd->err = n < 0 ? errno : 0;
	if (gaps != CANARY)
		return fail(x, "readv wrote 0x%02x between its iovecs", gaps);
	if (rd->path == P_READV || rd->path == P_SPLICE)
		return 0;
	if (n > 0)
		memcpy(x->got, x->buf, n);
	/* Past the data only zeros (a wiped zero-copy record) may appear. */
	for (i = n > 0 ? n : 0; i < rd->size; i++)
		if (x->buf[i] != CANARY && x->buf[i])
			return fail(x, "byte 0x%02x written at %d past the %zd read",
				    x->buf[i], i, n);
	return 0;
}

/* Skip empty data records; returns how many. */
static int skip_empty(const struct rx *x, int *ci)
{
	int n = 0;

	*ci = x->ci;
	while (x->co == 0 && x->s->ev[*ci].kind == EV_DATA && !x->s->ev[*ci].len) {
		(*ci)++;
		n++;
	}
	return n;
}

static int set_rx_key(struct rx *x, int gen)
{
	union ctrl_crypto c;
	int len = key_fill(&c, x->s, gen);

	return setsockopt(x->fd, SOL_TLS, TLS_RX, &c, len);
}

/* A control record's bytes, read with its cmsg, never beyond it. */
static int check_ctrl_bytes(struct rx *x, struct rread *rd, int ci)
{
	const struct ev *e = &x->s->ev[ci];
	int co = x->co;

	if (rd->n > e->len - co)
		return fail(x, "%zd bytes read from a control record of %d",
			    rd->n, e->len - co);
	if (memcmp(x->got, e->buf + co, rd->n))
		return fail(x, "wrong bytes in control record %d", ci);
	if (rd->peek)
		return 0;
	x->ci = ci;
	x->co = co + rd->n;
	if (x->co == e->len) {
		x->paused = e->ku;
		x->ci++;
		x->co = 0;
	}
	return 0;
}

/* Data bytes: the next ones of the data records, up to a control record. */
static int check_data_bytes(struct rx *x, struct rread *rd, int ci)
{
	int co = x->co, k = 0, take;
	const struct ev *e;

	while (k < rd->n) {
		e = &x->s->ev[ci];
		if (e->kind != EV_DATA)
			return fail(x, "%zd bytes read, only %d of them expected%s",
				    rd->n, k, e->kind == EV_END ? " (then the end)" :
				    " (then a control record)");
		take = e->len - co;
		if (take > rd->n - k)
			take = rd->n - k;
		if (memcmp(x->got + k, e->buf + co, take))
			return fail(x, "wrong bytes at %d of the read (event %d)",
				    k, ci);
		k += take;
		co += take;
		if (co == e->len) {
			ci++;
			co = 0;
		}
	}
	if (!rd->peek) {
		x->ci = ci;
		x->co = co;
	}
	return 0;
}

/* n > 0 bytes read: they must be the next ones of one record type. */
static int check_bytes(struct rx *x, struct rread *rd, int cmsg)
{
	const struct ev *e;
	int ci;

	skip_empty(x, &ci);
	e = &x->s->ev[ci];
	if (x->paused)
		return fail(x, "%zd bytes read while paused for KeyUpdate", rd->n);
	if (e->kind == EV_END)
		return fail(x, "%zd bytes read past the valid prefix (%s)",
			    rd->n, e->what);
	if (e->kind == EV_CTRL && !cmsg)
		return fail(x, "control record read without a cmsg buffer");
	if (cmsg && rd->type != e->type)
		return fail(x, "record type %d, expected %d", rd->type, e->type);
	if (!rd->peek)
		tot.bytes += rd->n;
	if (e->kind == EV_CTRL)
		return check_ctrl_bytes(x, rd, ci);
	return check_data_bytes(x, rd, ci);
}

static int end_errno_ok(const struct ev *e, int err)
{
	return (err == EBADMSG && (e->end & END_EBADMSG)) ||
	       (err == EMSGSIZE && (e->end & END_EMSGSIZE)) ||
	       (err == EINVAL && (e->end & END_EINVAL));
}

static void count_err(int err)
{
	tot.eof += !err;
	tot.ebadmsg += err == EBADMSG;
	tot.emsgsize += err == EMSGSIZE;
	tot.einval += err == EINVAL;
	tot.ekeyexpired += err == EKEYEXPIRED;
	tot.eio += err == EIO;
	tot.eagain += err == EAGAIN;
}

/* A read returned 0 or failed: is that what the stream allows here? */
static int check_stop(struct rx *x, struct rread *rd, int cmsg, int *done)
{
	int ci, empties = skip_empty(x, &ci);
	const struct ev *e = &x->s->ev[ci];

	count_err(rd->err);
	if (rd->n == 0) {
		if (x->paused)	/* keyupdate.rst: every read, EOF too */
			return fail(x, "EOF while paused for KeyUpdate");
		if (e->kind == EV_END && (e->end & END_EOF)) {
			*done = 1;
			return 0;
		}
		if (e->kind == EV_CTRL && !e->len && cmsg && x->co == 0 &&
		    rd->type == e->type) {
			if (!rd->peek)
				x->ci = ci + 1;
			return 0;
		}
		/*
		 * rx.rst: a read that dropped empty data records and then
		 * meets a control record returns 0; so it does when it meets
		 * the end of the valid prefix, where the next read must then
		 * get the error.
		 */
		if (empties && e->kind != EV_DATA) {
			if (!rd->peek)
				x->ci = ci;
			return 0;
		}
		return fail(x, "EOF before the end of the valid prefix");
	}
	if (rd->err == EAGAIN && rd->path == P_RECV_POLL && !x->paused)
		return 0;
	if (x->paused && e->kind == EV_END && end_errno_ok(e, rd->err)) {
		/* The bad header right after the KeyUpdate needs no key. */
		*done = 1;
		return 0;
	}
	if (x->paused) {
		if (rd->err != EKEYEXPIRED)
			return fail(x, "%s while paused for KeyUpdate",
				    strerror(rd->err));
		x->paused = 0;
		tot.rekeys++;
		if (set_rx_key(x, ++x->gen))
			return fail(x, "rekey: %s", strerror(errno));
		return 0;
	}
	/* A control record, or the rest of one, and no cmsg buffer. */
	if (e->kind == EV_CTRL && !cmsg &&
	    rd->err == (rd->path == P_SPLICE ? EINVAL : EIO))
		return 0;
	if (e->kind == EV_END && end_errno_ok(e, rd->err)) {
		*done = 1;
		return 0;
	}
	return fail(x, "%s (%s)", strerror(rd->err),
		    e->kind == EV_END ? e->what :
		    e->kind == EV_CTRL ? "at a control record" : "in data");
}

/* Read sizes: one byte, a few, up to a record, several records. */
static const unsigned int read_max[10] = {
	1, 16, 16, 2000, 2000, 2000, 70000, 70000, 70000, 70000,
};

static void pick_read(struct rx *x, struct rread *rd)
{
	memset(rd, 0, sizeof(*rd));
	/* recvmsg with a cmsg buffer twice as often: it reads all records. */
	rd->path = below(&x->r, P_NPATHS + 1);
	if (rd->path == P_NPATHS)
		rd->path = P_RECVMSG_CMSG;
	rd->size = 1 + below(&x->r, read_max[below(&x->r, 10)]);
	if (rd->path == P_SPLICE && rd->size > 65536)
		rd->size = 65536;
	if ((rd->path == P_RECV || rd->path == P_RECV_POLL ||
	     rd->path == P_RECVMSG_CMSG || rd->path == P_RECVMSG_BARE) &&
	    chance(&x->r, 25))
		rd->peek = 1;
}

/* SIOCINQ never counts more than the peer sent. */
static int check_inq(struct rx *x)
{
	int inq = -1;

	if (ioctl(x->fd, SIOCINQ, &inq))
		return fail(x, "SIOCINQ: %s", strerror(errno));
	if (inq < 0 || inq > x->s->wlen)
		return fail(x, "SIOCINQ %d, the peer sent %d", inq, x->s->wlen);
	return 0;
}

/*
 * One read past the end (rx.rst, Errors): EOF stays EOF; a stall error
 * is reported once, then no data: EOF, or the read's timeout when the
 * peer's close is still behind the bytes the stalled parser left (seen
 * after urgent data: -s 5 -i 4311 -v 12_aes_ccm); an error kept in
 * rx_sw.err comes again. Never a byte. While paused for a KeyUpdate every
 * read is EKEYEXPIRED instead: nothing to check there.
 */
static int check_after_end(struct rx *x, const struct rread *last)
{
	struct rread rd = { .path = P_RECVMSG_CMSG, .size = 4096 };
	const struct ev *e;
	int ci, want;

	if (x->paused)
		return 0;
	skip_empty(x, &ci);
	e = &x->s->ev[ci];
	want = last->n == 0 || (e->end & END_STALL) ? 0 : last->err;
	if (do_read(x, &rd))
		return -1;
	tot.reads++;
	if (rd.n > 0)
		return fail(x, "%zd bytes after the end (%s)", rd.n, e->what);
	if (rd.n == 0 ? !want : rd.err == want)
		return 0;
	if ((e->end & END_STALL) && rd.n < 0 && rd.err == EAGAIN)
		return 0;
	return fail(x, "after the end (%s): %s, want %s", e->what,
		    rd.n ? strerror(rd.err) : "EOF",
		    want ? strerror(want) : "EOF");
}

/* Read until the end of the stream; 0 when it was as expected. */
static int receive_all(struct rx *x)
{
	struct rread rd;
	int done = 0, cmsg;

	while (!done) {
		if (chance(&x->r, 5) && check_inq(x))
			return -1;
		/* A TLS library that saw the KeyUpdate sets the key at once. */
		if (x->paused && chance(&x->r, 50)) {
			x->paused = 0;
			tot.rekeys++;
			if (set_rx_key(x, ++x->gen))
				return fail(x, "rekey: %s", strerror(errno));
		}
		pick_read(x, &rd);
		if (do_read(x, &rd))
			return -1;
		tot.reads++;
		if (g_trace)
			printf("# read %s%s of %d: %zd %s type %d\n",
			       path_names[rd.path], rd.peek ? " MSG_PEEK" : "",
			       rd.size, rd.n, rd.n < 0 ? strerror(rd.err) : "",
			       rd.type);
		cmsg = rd.path == P_RECVMSG_CMSG;
		if (rd.n > 0 ? check_bytes(x, &rd, cmsg) :
			       check_stop(x, &rd, cmsg, &done)) {
			snprintf(x->where, sizeof(x->where),
				 "%s%s of %d, event %d/%d offset %d",
				 path_names[rd.path], rd.peek ? " MSG_PEEK" : "",
				 rd.size, x->ci, x->s->nev, x->co);
			return -1;
		}
	}
	if (check_after_end(x, &rd)) {
		snprintf(x->where, sizeof(x->where), "the read after the end");
		return -1;
	}
	return 0;
}

/* ---- one iteration ---- */

static void on_alarm(int sig)
{
	char msg[256];
	int n;

	n = snprintf(msg, sizeof(msg),
		     "# HANG: iteration did not end in %d s\n"
		     "# replay: peer_fuzz -s %llu -i %ld -v %s\n"
		     "Bail out! hang\n", ITER_TIMEOUT_S,
		     g_seed, g_iter, g_row);
	if (write(1, msg, n) < 0)
		_exit(1);
	_exit(1);
}

static int setup_keys(struct script *s, struct rx *x, struct rng *r)
{
	union ctrl_crypto c;
	int one = 1;

	key_fill(&c, s, 0);
	if (peer_init(&s->p, &c))
		return -1;
	s->small_rcvbuf = chance(r, 10);
	if (s->small_rcvbuf) {
		int rcvbuf = 2048 + below(r, 32768);

		setsockopt(x->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	}
	if (tls13(s) && chance(r, 30))
		setsockopt(x->fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &one, sizeof(one));
	return 0;
}

static int set_first_key(struct rx *x)
{
	return set_rx_key(x, 0);
}

/* -x: the events of the iteration, for a replay. */
static void trace_script(const struct script *s)
{
	static const char * const kinds[] = { "data", "control", "end" };
	const struct ev *e;
	int i;

	printf("# %d wire bytes, urgent at %d\n", s->wlen, s->oob_at);
	for (i = 0; i < s->nev; i++) {
		e = &s->ev[i];
		printf("# event %d: %s type %d len %d%s%s\n", i, kinds[e->kind],
		       e->type, e->len, e->ku ? " KeyUpdate" : "",
		       e->what ? e->what : "");
	}
}

/* Returns 0 as expected, 1 mismatch (reported), -1 setup error. */
static int run_iteration(struct pf_row *row, unsigned long long seed, long iter,
			 unsigned char *buf, unsigned char *got)
{
	struct script s = { .row = row };
	struct rx x = { .s = &s, .buf = buf, .got = got, .fd = -1 };
	struct sender t = { .s = &s };
	struct timeval tv = { .tv_sec = RECV_TIMEO_S };
	struct rng r;
	int one = 1, early, rc = -1;
	pthread_t thr;

	rng_init(&r, seed, iter, 1);
	rng_init(&t.r, seed, iter, 2);
	rng_init(&x.r, seed, iter, 3);
	s.version = row->v->version;
	s.cipher = row->v->cipher;
	s.keyseed = below(&r, 256);
	g_iter = iter;
	g_row = row->name;
	if (ctrl_tcp_pair(row->v->family, &x.fd, &t.fd) || ctrl_attach(x.fd) ||
	    pipe(x.pipe))
		return -1;
	setsockopt(t.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(x.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	fcntl(x.pipe[0], F_SETPIPE_SZ, 1 << 17);
	fcntl(x.pipe[1], F_SETPIPE_SZ, 1 << 17);
	if (setup_keys(&s, &x, &r))
		goto out;
	script_build(&s, &r);
	if (g_trace)
		trace_script(&s);
	tot.records += s.records;
	tot.hostile += s.hostile;
	alarm(ITER_TIMEOUT_S);
	/* Sometimes records are queued before the key is set. */
	early = chance(&r, 10);
	if (!early && set_first_key(&x))
		goto out_alarm;
	if (pthread_create(&thr, NULL, sender_run, &t))
		goto out_alarm;
	if (early) {
		usleep(below(&r, 5000));
		if (set_first_key(&x)) {
			fail(&x, "TLS_RX: %s", strerror(errno));
			rc = 1;
		}
	}
	if (rc != 1)
		rc = receive_all(&x) ? 1 : 0;
	close(x.fd);
	x.fd = -1;
	pthread_join(thr, NULL);
	if (rc) {
		printf("# MISMATCH %s iteration %ld: %s [%s]\n", row->name, iter,
		       x.why, x.where);
		printf("# replay: peer_fuzz -s %llu -i %ld -v %s\n",
		       seed, iter, row->name);
	}
out_alarm:
	alarm(0);
out:
	if (x.fd >= 0)
		close(x.fd);
	close(t.fd);
	close(x.pipe[0]);
	close(x.pipe[1]);
	script_free(&s);
	return rc;
}

/* ---- rows, options, progress ---- */

/* Can the kernel and libcrypto both do this row's cipher? */
static void probe_row(struct pf_row *row)
{
	union ctrl_crypto c;
	struct peer p;
	int a, b, len;

	if (ctrl_tcp_pair(row->v->family, &a, &b)) {
		row->skip = 1;
		row->why = "no loopback socket pair";
		return;
	}
	len = ctrl_crypto_fill(&c, row->v->version, row->v->cipher, 1);
	if (ctrl_attach(a)) {
		row->skip = 1;
		row->why = "no tls ULP";
	} else if (setsockopt(a, SOL_TLS, TLS_RX, &c, len)) {
		row->skip = 1;
		row->why = "kernel crypto lacks the cipher";
	} else if (peer_init(&p, &c)) {
		row->skip = 1;
		row->why = "libcrypto lacks the cipher";
	} else {
		peer_free(&p);
	}
	close(a);
	close(b);
}

struct opts {
	unsigned long long seed;
	long iters, only_iter;
	double secs;
	int max_fails;
};

static void usage(void)
{
	printf("Usage: peer_fuzz [-s SEED] [-n ITERS] [-d SECONDS] [-i ITER]\n"
	       "                 [-v VARIANT]... [-V VARIANT]...\n"
	       "  -s SEED     seed of the run (default 1)\n"
	       "  -n ITERS    iterations (default 1000; 0: no limit)\n"
	       "  -d SECONDS  stop after this long (default 15; 0: no limit)\n"
	       "  -i ITER     run only iteration ITER of SEED (replay)\n"
	       "  -v/-V NAME  only / not this row of variants.h\n"
	       "  -x 1        trace the events and every read (with -i)\n"
	       "  -f/-t/-T X  kselftest harness filters: ignored\n"
	       "Each iteration runs on a row of variants.h chosen by the seed.\n");
}

static void bad_usage(void)
{
	usage();
	exit(2);
}

static void select_row(const char *name, int on)
{
	int i;

	for (i = 0; i < nrows; i++)
		if (!strcmp(rows[i].name, name))
			rows[i].selected = on;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int i, only = 0;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-v"))
			only = 1;
	for (i = 0; i < nrows; i++)
		rows[i].selected = !only;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage();
			exit(0);
		}
		if (!v || a[0] != '-' || strlen(a) != 2)
			bad_usage();
		i++;
		if (a[1] == 's')
			o->seed = strtoull(v, NULL, 0);
		else if (a[1] == 'n')
			o->iters = strtol(v, NULL, 0);
		else if (a[1] == 'd')
			o->secs = strtod(v, NULL);
		else if (a[1] == 'i')
			o->only_iter = strtol(v, NULL, 0);
		else if (a[1] == 'x')
			g_trace = atoi(v);
		else if (a[1] == 'v' || a[1] == 'V')
			select_row(v, a[1] == 'v');
		else if (!strchr("ftT", a[1]))
			bad_usage();
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_counts(const char *label, double secs)
{
	printf("# %s: %.0f s, %ld iterations (%.1f/s), %ld records, %ld hostile\n",
	       label, secs, tot.iters, secs > 0 ? tot.iters / secs : 0.0,
	       tot.records, tot.hostile);
	printf("# %s: %ld reads, %ld bytes, %ld rekeys; EOF %ld, EBADMSG %ld\n",
	       label, tot.reads, tot.bytes, tot.rekeys, tot.eof, tot.ebadmsg);
	printf("# %s: EMSGSIZE %ld, EINVAL %ld, EKEYEXPIRED %ld, EIO %ld, EAGAIN %ld\n",
	       label, tot.emsgsize, tot.einval, tot.ekeyexpired, tot.eio,
	       tot.eagain);
	fflush(stdout);
}

/* The selected rows that run, in table order. */
static int runnable(struct pf_row **run)
{
	int i, n = 0;

	for (i = 0; i < nrows; i++)
		if (rows[i].selected && !rows[i].skip)
			run[n++] = &rows[i];
	return n;
}

static int run_all(const struct opts *o, struct pf_row **run, int nrun)
{
	unsigned char *buf = malloc(RBUF), *got = malloc(RBUF);
	double start = now_s(), last = start;
	long iter = o->only_iter >= 0 ? o->only_iter : 0;
	int fails = 0, rc;
	struct pf_row *row;
	struct rng pick;

	for (;; iter++) {
		if (o->only_iter >= 0 ? iter > o->only_iter :
		    (o->iters && iter >= o->iters) ||
		    (o->secs > 0 && now_s() - start >= o->secs))
			break;
		rng_init(&pick, o->seed, iter, 0);
		row = run[below(&pick, nrun)];

		rc = run_iteration(row, o->seed, iter, buf, got);
		if (rc < 0) {
			printf("# setup failed in %s iteration %ld: %s\n",
			       row->name, iter, strerror(errno));
			row->fails++;
		}
		row->iters++;
		tot.iters++;
		if (rc) {
			row->fails++;
			if (++fails >= o->max_fails) {
				printf("# stopping after %d mismatches\n", fails);
				break;
			}
		}
		if (now_s() - last >= 5) {
			last = now_s();
			print_counts("progress", last - start);
		}
	}
	print_counts("summary", now_s() - start);
	free(buf);
	free(got);
	return fails;
}

int main(int argc, char **argv)
{
	struct opts o = { .seed = 1, .iters = 1000, .secs = 15, .only_iter = -1,
			  .max_fails = 5 };
	struct pf_row *run[MAX_VARIANTS];
	int i, nrun, ntest = 0, n = 0, pass = 0, failed = 0, skipped = 0;

	parse_opts(argc, argv, &o);
	g_seed = o.seed;
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < nrows; i++) {
		if (!rows[i].selected)
			continue;
		probe_row(&rows[i]);
		ntest++;
	}
	printf("TAP version 13\n1..%d\n", ntest);
	printf("# peer_fuzz: seed %llu, %ld iterations, %.0f s at most\n",
	       o.seed, o.iters, o.secs);
	nrun = runnable(run);
	if (nrun)
		run_all(&o, run, nrun);
	for (i = 0; i < nrows; i++) {
		struct pf_row *row = &rows[i];

		if (!row->selected)
			continue;
		n++;
		if (row->skip) {
			printf("ok %d peer_fuzz.%s # SKIP %s\n", n, row->name, row->why);
			skipped++;
		} else if (row->fails) {
			printf("not ok %d peer_fuzz.%s # %d of %d iterations failed\n",
			       n, row->name, row->fails, row->iters);
			failed++;
		} else {
			printf("ok %d peer_fuzz.%s # %d iterations\n", n,
			       row->name, row->iters);
			pass++;
		}
	}
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0\n",
	       pass, failed, skipped);
	return failed ? 1 : 0;
}
