/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fuzz program: up to PROG_MAX_CALLS socket-API calls over a few
 * resources, each run by one of two threads.
 *
 * Resources: socket slots s0..s3, the listener l (slot 4), one pipe and
 * one small file (both implicit). Every call names its thread (t0, t1):
 * the threads start together and each runs its own calls in order.
 *
 * Text format, one call a line, stable and exact (print(parse(x)) == x):
 *
 *   # optional comment lines, only at the top
 *   t0 pair s0 s1 v4
 *   t0 ulp s0 tls
 *   t0 tls_set s0 tx v13 aes_gcm_128 key=2 seq0 optlen=0
 *   t1 recv s1 len=16384 flags=peek|waitall
 *
 * A line is "t<thread> <call>" then the call's arguments in the order of
 * its descriptor (prog.c): a slot as s0..s3 or l, a named value by its
 * name (a few as arg=name), flags as flags=names joined by '|' (or
 * flags=0), an integer as name=value (decimal, may be negative).
 * Anything else fails the parse.
 */
#ifndef KTLS_FUZZ_PROG_H
#define KTLS_FUZZ_PROG_H

#include <stddef.h>
#include <stdint.h>

#define PROG_MAX_CALLS	32
#define CALL_MAX_ARGS	7
#define PROG_THREADS	2
#define PROG_SLOTS	5	/* s0..s3 and the listener */
#define SLOT_LISTENER	4
#define PROG_HEADER_MAX	256
#define PROG_TEXT_MAX	(PROG_HEADER_MAX + PROG_MAX_CALLS * 128)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum call_kind {
	C_PAIR, C_SOCKET, C_LISTEN, C_CONNECT, C_ACCEPT, C_ULP,
	C_TLS_SET, C_TLS_GET, C_TLS_OPT, C_SOCKOPT,
	C_SEND, C_SENDMSG, C_KEYUPDATE, C_SENDFILE, C_PIPE_FILL,
	C_SPLICE_IN, C_SPLICE_OUT, C_PIPE_DRAIN, C_RECV, C_RECVMSG,
	C_READV, C_POLL, C_EPOLL, C_IOCTL, C_SHUTDOWN, C_CLOSE,
	C_DISCONNECT, C_FORK, C_FCNTL, C_SLEEP, C_DIAG, C_STAT,
	C_NKINDS
};

enum arg_type { A_SLOT, A_ENUM, A_FLAGS, A_INT };

/* How the generator picks an integer argument. */
enum int_class {
	I_LEN,		/* byte counts: 0, 1, record and page boundaries */
	I_OPTLEN,	/* a delta from the right optlen */
	I_RAWLEN,	/* an absolute optlen */
	I_MS,		/* a short time */
	I_VAL,		/* an option value */
	I_KEY,		/* key material index, 0..3 */
	I_COUNT,	/* a small count */
	I_OFFSET,	/* a file offset */
	I_RECTYPE,	/* a TLS record content type */
};

struct name_val {
	const char *name;
	long long val;
};

struct arg_desc {
	const char *name;
	enum arg_type type;
	const struct name_val *names;	/* A_ENUM, A_FLAGS; ends with NULL */
	enum int_class cls;		/* A_INT */
	int keyed;			/* printed as name=value */
};

struct call_desc {
	const char *name;
	int nargs;
	struct arg_desc args[CALL_MAX_ARGS];
};

struct call {
	unsigned char kind;
	unsigned char thread;
	long long arg[CALL_MAX_ARGS];
};

struct prog {
	char header[PROG_HEADER_MAX];
	int ncalls;
	struct call calls[PROG_MAX_CALLS];
};

extern const struct call_desc call_descs[C_NKINDS];

/* Parses @text; returns 0, or -1 with a message in @err. */
int prog_parse(struct prog *p, const char *text, char *err, size_t errlen);
/* Prints @p into @buf; returns the length. */
size_t prog_print(const struct prog *p, char *buf, size_t len);
int prog_load(struct prog *p, const char *path, char *err, size_t errlen);
int prog_save(const struct prog *p, const char *path);
/* A 64-bit hash of the printed calls (not the header). */
uint64_t prog_hash(const struct prog *p);

#endif /* KTLS_FUZZ_PROG_H */
