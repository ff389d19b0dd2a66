// SPDX-License-Identifier: GPL-2.0
/*
 * The call descriptors (names and arguments of every call) and the text
 * format of a program: parse, print, load, save, hash. The format is
 * described in prog.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <fcntl.h>

#include "prog.h"
#include "names.h"

#define ARG_SLOT(n)		{ n, A_SLOT, NULL, 0, 0 }
#define ARG_ENUM(n, t)		{ n, A_ENUM, t, 0, 0 }
#define ARG_KENUM(n, t)		{ n, A_ENUM, t, 0, 1 }
#define ARG_FLAGS(n, t)		{ n, A_FLAGS, t, 0, 1 }
#define ARG_INT(n, c)		{ n, A_INT, NULL, c, 1 }

static const struct name_val fams[] = {
	{ "v4", AF_INET }, { "v6", AF_INET6 }, { NULL, 0 } };
static const struct name_val ulps[] = {
	{ "tls", ULP_TLS }, { "tlsx", ULP_TLSX }, { "empty", ULP_EMPTY },
	{ NULL, 0 } };
static const struct name_val dirs[] = {
	{ "tx", 1 }, { "rx", 2 }, { NULL, 0 } };
static const struct name_val versions[] = {
	{ "v12", 0x0303 }, { "v13", 0x0304 }, { "v11", 0x0302 },
	{ "v0", 0 }, { "vbad", 0xffff }, { NULL, 0 } };
const struct name_val fuzz_ciphers[] = {
	{ "aes_gcm_128", 51 }, { "aes_gcm_256", 52 }, { "aes_ccm_128", 53 },
	{ "chacha20_poly1305", 54 }, { "sm4_gcm", 55 }, { "sm4_ccm", 56 },
	{ "aria_gcm_128", 57 }, { "aria_gcm_256", 58 }, { "c0", 0 },
	{ "c50", 50 }, { "c59", 59 }, { "cbad", 0xffff }, { NULL, 0 } };
static const struct name_val seqs[] = {
	{ "seq0", SEQ_ZERO }, { "seq1", SEQ_ONE }, { "seqhigh", SEQ_HIGH },
	{ "seqwrap", SEQ_WRAP }, { NULL, 0 } };
static const struct name_val tlsopts[] = {
	{ "tx", 1 }, { "rx", 2 }, { "zc_ro", 3 }, { "no_pad", 4 },
	{ "max_payload", 5 }, { "o0", 0 }, { "o6", 6 }, { NULL, 0 } };
static const struct name_val sockopts[] = {
	{ "rcvlowat", SO_OPT_RCVLOWAT }, { "sndbuf", SO_OPT_SNDBUF },
	{ "rcvbuf", SO_OPT_RCVBUF }, { "rcvtimeo", SO_OPT_RCVTIMEO },
	{ "sndtimeo", SO_OPT_SNDTIMEO }, { "linger", SO_OPT_LINGER },
	{ "nodelay", SO_OPT_NODELAY }, { "cork", SO_OPT_CORK },
	{ "zerocopy", SO_OPT_ZEROCOPY }, { "oobinline", SO_OPT_OOBINLINE },
	{ NULL, 0 } };
static const struct name_val send_flags[] = {
	{ "more", MSG_MORE }, { "eor", MSG_EOR }, { "dontwait", MSG_DONTWAIT },
	{ "oob", MSG_OOB }, { "splice_pages", 0x8000000 },
	{ "nosignal", MSG_NOSIGNAL }, { "zerocopy", 0x4000000 },
	{ NULL, 0 } };
static const struct name_val cmsg_modes[] = {
	{ "none", CM_NONE }, { "type", CM_TYPE }, { "short", CM_SHORT },
	{ "long", CM_LONG }, { "level", CM_LEVEL }, { "two", CM_TWO },
	{ "wide", CM_WIDE }, { NULL, 0 } };
static const struct name_val pipe_srcs[] = {
	{ "write", PIPE_WRITE }, { "file", PIPE_FILE },
	{ "vmsplice", PIPE_VMSPLICE }, { NULL, 0 } };
static const struct name_val splice_flags[] = {
	{ "move", 1 }, { "nonblock", 2 }, { "more", 4 }, { "gift", 8 },
	{ NULL, 0 } };
static const struct name_val recv_flags[] = {
	{ "peek", MSG_PEEK }, { "waitall", MSG_WAITALL },
	{ "trunc", MSG_TRUNC }, { "dontwait", MSG_DONTWAIT },
	{ "oob", MSG_OOB }, { "errqueue", MSG_ERRQUEUE }, { NULL, 0 } };
static const struct name_val poll_events[] = {
	{ "in", POLLIN }, { "out", POLLOUT }, { "pri", POLLPRI },
	{ "rdhup", POLLRDHUP }, { NULL, 0 } };
static const struct name_val epoll_ops[] = {
	{ "add", EPOLL_CTL_ADD }, { "mod", EPOLL_CTL_MOD },
	{ "del", EPOLL_CTL_DEL }, { NULL, 0 } };
static const struct name_val epoll_events[] = {
	{ "in", EPOLLIN }, { "out", EPOLLOUT }, { "pri", EPOLLPRI },
	{ "rdhup", EPOLLRDHUP }, { "et", EPOLLET }, { "oneshot", EPOLLONESHOT },
	{ NULL, 0 } };
static const struct name_val ioctls[] = {
	{ "inq", IOC_INQ }, { "outq", IOC_OUTQ }, { "outqnsd", IOC_OUTQNSD },
	{ "fionbio", IOC_FIONBIO }, { "atmark", IOC_ATMARK }, { NULL, 0 } };
static const struct name_val hows[] = {
	{ "rd", SHUT_RD }, { "wr", SHUT_WR }, { "rdwr", SHUT_RDWR },
	{ NULL, 0 } };

const struct call_desc call_descs[C_NKINDS] = {
	[C_PAIR] = { "pair", 3, { ARG_SLOT("a"), ARG_SLOT("b"),
				  ARG_ENUM("fam", fams) } },
	[C_SOCKET] = { "socket", 2, { ARG_SLOT("s"), ARG_ENUM("fam", fams) } },
	[C_LISTEN] = { "listen", 1, { ARG_ENUM("fam", fams) } },
	[C_CONNECT] = { "connect", 1, { ARG_SLOT("s") } },
	[C_ACCEPT] = { "accept", 1, { ARG_SLOT("s") } },
	[C_ULP] = { "ulp", 2, { ARG_SLOT("s"), ARG_ENUM("name", ulps) } },
	[C_TLS_SET] = { "tls_set", 7, { ARG_SLOT("s"), ARG_ENUM("dir", dirs),
		ARG_ENUM("ver", versions), ARG_ENUM("cipher", fuzz_ciphers),
		ARG_INT("key", I_KEY), ARG_ENUM("seq", seqs),
		ARG_INT("optlen", I_OPTLEN) } },
	[C_TLS_GET] = { "tls_get", 3, { ARG_SLOT("s"), ARG_ENUM("opt", tlsopts),
					ARG_INT("len", I_RAWLEN) } },
	[C_TLS_OPT] = { "tls_opt", 4, { ARG_SLOT("s"), ARG_ENUM("opt", tlsopts),
		ARG_INT("val", I_VAL), ARG_INT("optlen", I_RAWLEN) } },
	[C_SOCKOPT] = { "sockopt", 3, { ARG_SLOT("s"),
		ARG_ENUM("opt", sockopts), ARG_INT("val", I_VAL) } },
	[C_SEND] = { "send", 3, { ARG_SLOT("s"), ARG_INT("len", I_LEN),
				  ARG_FLAGS("flags", send_flags) } },
	[C_SENDMSG] = { "sendmsg", 5, { ARG_SLOT("s"), ARG_INT("len", I_LEN),
		ARG_INT("type", I_RECTYPE), ARG_KENUM("cmsg", cmsg_modes),
		ARG_FLAGS("flags", send_flags) } },
	[C_KEYUPDATE] = { "keyupdate", 2, { ARG_SLOT("s"),
					    ARG_INT("req", I_COUNT) } },
	[C_SENDFILE] = { "sendfile", 3, { ARG_SLOT("s"), ARG_INT("len", I_LEN),
					  ARG_INT("off", I_OFFSET) } },
	[C_PIPE_FILL] = { "pipe_fill", 2, { ARG_KENUM("src", pipe_srcs),
					    ARG_INT("len", I_LEN) } },
	[C_SPLICE_IN] = { "splice_in", 3, { ARG_SLOT("s"), ARG_INT("len", I_LEN),
		ARG_FLAGS("flags", splice_flags) } },
	[C_SPLICE_OUT] = { "splice_out", 3, { ARG_SLOT("s"),
		ARG_INT("len", I_LEN), ARG_FLAGS("flags", splice_flags) } },
	[C_PIPE_DRAIN] = { "pipe_drain", 0, { } },
	[C_RECV] = { "recv", 3, { ARG_SLOT("s"), ARG_INT("len", I_LEN),
				  ARG_FLAGS("flags", recv_flags) } },
	[C_RECVMSG] = { "recvmsg", 4, { ARG_SLOT("s"), ARG_INT("len", I_LEN),
		ARG_FLAGS("flags", recv_flags), ARG_INT("cbuf", I_RAWLEN) } },
	[C_READV] = { "readv", 3, { ARG_SLOT("s"), ARG_INT("len", I_LEN),
				    ARG_INT("n", I_COUNT) } },
	[C_POLL] = { "poll", 3, { ARG_SLOT("s"),
		ARG_FLAGS("events", poll_events), ARG_INT("ms", I_MS) } },
	[C_EPOLL] = { "epoll", 4, { ARG_SLOT("s"), ARG_ENUM("op", epoll_ops),
		ARG_FLAGS("events", epoll_events), ARG_INT("ms", I_MS) } },
	[C_IOCTL] = { "ioctl", 3, { ARG_SLOT("s"), ARG_ENUM("req", ioctls),
				    ARG_INT("val", I_COUNT) } },
	[C_SHUTDOWN] = { "shutdown", 2, { ARG_SLOT("s"),
					  ARG_ENUM("how", hows) } },
	[C_CLOSE] = { "close", 1, { ARG_SLOT("s") } },
	[C_DISCONNECT] = { "disconnect", 1, { ARG_SLOT("s") } },
	[C_FORK] = { "fork", 1, { ARG_INT("n", I_COUNT) } },
	[C_FCNTL] = { "fcntl", 2, { ARG_SLOT("s"),
				    ARG_INT("nonblock", I_COUNT) } },
	[C_SLEEP] = { "sleep", 1, { ARG_INT("ms", I_MS) } },
	[C_DIAG] = { "diag", 1, { ARG_ENUM("fam", fams) } },
	[C_STAT] = { "stat", 0, { } },
};

/* ---- printing ---- */

struct out {
	char *buf;
	size_t len, pos;
};

static void out_str(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->pos + n >= o->len)
		n = o->pos + 1 < o->len ? o->len - o->pos - 1 : 0;
	memcpy(o->buf + o->pos, s, n);
	o->pos += n;
	o->buf[o->pos] = 0;
}

/* @v after @prefix, in decimal or (for flags without a name) hex. */
static void out_num(struct out *o, const char *prefix, long long v, int hex)
{
	char num[48];

	if (hex)
		snprintf(num, sizeof(num), "%s0x%llx", prefix, v);
	else
		snprintf(num, sizeof(num), "%s%lld", prefix, v);
	out_str(o, num);
}

const char *name_of(const struct name_val *t, long long val)
{
	for (; t->name; t++)
		if (t->val == val)
			return t->name;
	return NULL;
}

/* Flags the table has no name for are printed as one hex number. */
static void print_flags(struct out *o, const struct name_val *t, long long val)
{
	const char *sep = "";

	if (!val) {
		out_str(o, "0");
		return;
	}
	for (; t->name; t++) {
		if ((val & t->val) == t->val && t->val) {
			out_str(o, sep);
			out_str(o, t->name);
			val &= ~t->val;
			sep = "|";
		}
	}
	if (val) {
		out_str(o, sep);
		out_num(o, "", val, 1);
	}
}

static void print_arg(struct out *o, const struct arg_desc *d, long long v)
{
	const char *name;

	out_str(o, " ");
	if (d->keyed) {
		out_str(o, d->name);
		out_str(o, "=");
	}
	switch (d->type) {
	case A_SLOT:
		if (v == SLOT_LISTENER)
			out_str(o, "l");
		else
			out_num(o, "s", v, 0);
		break;
	case A_ENUM:
		name = name_of(d->names, v);
		if (name)
			out_str(o, name);
		else
			out_num(o, "", v, 0);
		break;
	case A_FLAGS:
		print_flags(o, d->names, v);
		break;
	case A_INT:
		out_num(o, "", v, 0);
		break;
	}
}

size_t prog_print(const struct prog *p, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	int i, j;

	buf[0] = 0;
	out_str(&o, p->header);
	for (i = 0; i < p->ncalls; i++) {
		const struct call *c = &p->calls[i];
		const struct call_desc *d = &call_descs[c->kind];

		out_num(&o, "t", c->thread, 0);
		out_str(&o, " ");
		out_str(&o, d->name);
		for (j = 0; j < d->nargs; j++)
			print_arg(&o, &d->args[j], c->arg[j]);
		out_str(&o, "\n");
	}
	return o.pos;
}

/* ---- parsing ---- */

static int lookup(const struct name_val *t, const char *s, long long *v)
{
	for (; t->name; t++) {
		if (!strcmp(t->name, s)) {
			*v = t->val;
			return 0;
		}
	}
	return -1;
}

static int parse_number(const char *s, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 0);
	return (errno || end == s || *end) ? -1 : 0;
}

static int parse_flags(const struct name_val *t, char *s, long long *v)
{
	char *save = NULL, *tok;
	long long one;

	*v = 0;
	if (!strcmp(s, "0"))
		return 0;
	for (tok = strtok_r(s, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
		if (lookup(t, tok, &one) && (strncmp(tok, "0x", 2) || parse_number(tok, &one)))
			return -1;
		*v |= one;
	}
	return 0;
}

static int parse_slot(const char *s, long long *v)
{
	if (!strcmp(s, "l")) {
		*v = SLOT_LISTENER;
		return 0;
	}
	if (s[0] != 's' || s[1] < '0' || s[1] > '3' || s[2])
		return -1;
	*v = s[1] - '0';
	return 0;
}

static int parse_arg(const struct arg_desc *d, char *tok, long long *v)
{
	size_t n = strlen(d->name);

	if (d->keyed) {
		if (strncmp(tok, d->name, n) || tok[n] != '=')
			return -1;
		tok += n + 1;
	}
	switch (d->type) {
	case A_SLOT:
		return parse_slot(tok, v);
	case A_ENUM:
		return lookup(d->names, tok, v) && parse_number(tok, v);
	case A_FLAGS:
		return parse_flags(d->names, tok, v);
	case A_INT:
		return parse_number(tok, v);
	}
	return -1;
}

static int find_kind(const char *name)
{
	int k;

	for (k = 0; k < C_NKINDS; k++)
		if (!strcmp(call_descs[k].name, name))
			return k;
	return -1;
}

/* Says what is wrong in @err; returns -1. */
static int parse_error(char *err, size_t errlen, const char *what, const char *name)
{
	snprintf(err, errlen, "%s%s", what, name);
	return -1;
}

static int parse_call(struct call *c, char *line, char *err, size_t errlen)
{
	char *save = NULL, *tok = strtok_r(line, " \t", &save);
	const struct call_desc *d;
	int k, j;

	if (!tok || tok[0] != 't' || tok[1] < '0' || tok[1] >= '0' + PROG_THREADS || tok[2])
		return parse_error(err, errlen, "no thread (t0/t1)", "");
	c->thread = tok[1] - '0';
	tok = strtok_r(NULL, " \t", &save);
	k = tok ? find_kind(tok) : -1;
	if (k < 0)
		return parse_error(err, errlen, "unknown call ", tok ? tok : "");
	c->kind = k;
	d = &call_descs[k];
	memset(c->arg, 0, sizeof(c->arg));
	for (j = 0; j < d->nargs; j++) {
		tok = strtok_r(NULL, " \t", &save);
		if (!tok || parse_arg(&d->args[j], tok, &c->arg[j]))
			return parse_error(err, errlen, "bad argument ", d->args[j].name);
	}
	if (strtok_r(NULL, " \t", &save))
		return parse_error(err, errlen, "too many arguments to ", d->name);
	return 0;
}

static void add_header(struct prog *p, const char *line)
{
	size_t have = strlen(p->header);

	snprintf(p->header + have, sizeof(p->header) - have, "%s\n", line);
}

int prog_parse(struct prog *p, const char *text, char *err, size_t errlen)
{
	char *copy = strdup(text), *save = NULL, *line;
	int lineno = 0, ret = 0;
	size_t n;

	memset(p, 0, sizeof(*p));
	if (!copy)
		return parse_error(err, errlen, "out of memory", "");
	for (line = strtok_r(copy, "\n", &save); line && !ret;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (line[0] == '#' && !p->ncalls) {
			add_header(p, line);
			continue;
		}
		if (p->ncalls == PROG_MAX_CALLS) {
			snprintf(err, errlen, "line %d: more than %d calls", lineno,
				 PROG_MAX_CALLS);
			ret = -1;
		} else if (parse_call(&p->calls[p->ncalls], line, err, errlen)) {
			n = strlen(err);
			snprintf(err + n, errlen - n, " (line %d)", lineno);
			ret = -1;
		} else {
			p->ncalls++;
		}
	}
	free(copy);
	return ret;
}

int prog_load(struct prog *p, const char *path, char *err, size_t errlen)
{
	char text[PROG_TEXT_MAX + 1];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return parse_error(err, errlen, "cannot open ", path);
	n = fread(text, 1, PROG_TEXT_MAX, f);
	fclose(f);
	text[n] = 0;
	return prog_parse(p, text, err, errlen);
}

int prog_save(const struct prog *p, const char *path)
{
	char text[PROG_TEXT_MAX];
	size_t n = prog_print(p, text, sizeof(text));
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -1;
	ret = fwrite(text, 1, n, f) == n ? 0 : -1;
	if (fclose(f))
		ret = -1;
	return ret;
}

/* FNV-1a over the calls' text, so that equal programs hash equal. */
uint64_t prog_hash(const struct prog *p)
{
	struct prog calls_only = *p;
	char text[PROG_TEXT_MAX];
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i, n;

	calls_only.header[0] = 0;
	n = prog_print(&calls_only, text, sizeof(text));
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)text[i]) * 0x100000001b3ULL;
	return h;
}
