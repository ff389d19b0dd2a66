// SPDX-License-Identifier: GPL-2.0
/*
 * ktls-bench: throughput, CPU cost and memory of TLS record processing,
 * run inside the test guest over loopback.
 *
 * Implementations (--impls):
 *   ours    our module, attached under a benchmark-only ULP name (--ours-ulp)
 *   intree  the kernel's own tls.ko (ULP "tls", --intree-ulp)
 *   user    OpenSSL libssl in userspace, kTLS off
 *   tcp     plain TCP, no TLS
 *   aead    raw kernel AEAD through AF_ALG: the ceiling (tx and rx rows)
 *
 * With --null-cipher 1 the guest has bench/null_aead.c loaded: "gcm(aes)"
 * and the others copy and append a tag of zeros. The records of the rx
 * workload are then built the same way, a check first proves that both
 * kernel modules really use it (the wire carries the plaintext, records
 * with zero tags decrypt to it), and only ours, intree and tcp run: OpenSSL
 * and AF_ALG would measure nothing of kTLS.
 *
 * Workloads (--workloads):
 *   tx        send() of SIZE-byte writes; the peer drains raw ciphertext
 *   sendfile  sendfile() of a tmpfs file larger than the socket buffers
 *   rx        a raw TCP sender writes pre-built records of SIZE bytes of
 *             plaintext; the measured side decrypts into 64 KiB recv() buffers
 *   mem       slab bytes per idle socket with TX and RX keys (kernel kTLS)
 *   mem-busy  memory per busy connection: TX and RX keys, data queued both
 *             ways that nobody reads (kernel kTLS, and tcp as the baseline)
 *
 * With --conns LIST (e.g. 1,16,256), tx, sendfile and rx run over that many
 * connections at once, driven by one thread per online CPU, and mem-busy
 * over that many connections; their rows carry "conns". Without it, every
 * row is as before: one connection, no "conns" field.
 *
 * Every measurement prints one line "@@R {json}" on stdout; progress goes
 * to stderr. The implementations are interleaved: round r starts the list
 * at its r-th entry, so no implementation always runs first or last.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_alg.h>
#include <linux/tls.h>
#include <linux/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "../selftests/cryptd_util.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif
#ifndef SOL_ALG
#define SOL_ALG 279
#endif
/* As in the kernel and kselftest.h: printf-style arguments, checked. */
#ifndef __printf
#define __printf(a, b) __attribute__((format(printf, a, b)))
#endif

enum impl { IMPL_OURS, IMPL_INTREE, IMPL_USER, IMPL_TCP, IMPL_AEAD, IMPL_NUM };
static const char *const impl_names[IMPL_NUM] = {
	"ours", "intree", "user", "tcp", "aead" };

enum workload { WL_TX, WL_SENDFILE, WL_RX, WL_MEM, WL_MEM_BUSY, WL_NUM };
static const char *const wl_names[WL_NUM] = {
	"tx", "sendfile", "rx", "mem", "mem-busy" };

enum cipher { C_AES128, C_CHACHA, C_NUM };
static const char *const cipher_names[C_NUM] = { "aes128gcm", "chacha20poly1305" };

#define RECV_BUF	(64 * 1024)
#define MAX_REC		(16 * 1024)
#define FILE_SIZE	(16u << 20)
#define MAX_CONNS	8		/* entries of --conns */
/* mem-busy without --conns: enough sockets that page noise averages out. */
#define BUSY_DEFAULT_CONNS	256

static struct {
	int impls[IMPL_NUM], nimpls;
	int wls[WL_NUM], nwls;
	int ciphers[C_NUM], nciphers;
	int versions[2], nversions;	/* 12, 13 */
	size_t sizes[8]; int nsizes;
	int rounds;
	size_t bytes;			/* plaintext bytes per measurement */
	int mem_sockets;
	int conns[MAX_CONNS], nconns;	/* --conns; none: one, as always */
	const char *ours_ulp, *intree_ulp, *file;
	int perf_ctl;			/* perf record --control fifo, or -1 */
	int rx_no_pad;			/* TLS_RX_EXPECT_NO_PAD on TLS 1.3 RX */
	int null_cipher;		/* the kernel AEADs are ktls_null_aead */
	int cryptd;			/* gcm(aes) is cryptd's: asynchronous */
} opt;

/* The userspace TLS contexts (ssl_init), one per side. */
static SSL_CTX *ssl_srv, *ssl_cli;

static void __printf(1, 2) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ktls-bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Busy CPU seconds of the whole guest (all CPUs, user+sys+irq+softirq). */
static double guest_busy(void)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
			 &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		die("cannot read /proc/stat");
	fclose(f);
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) /
		sysconf(_SC_CLK_TCK);
}

/* CPU seconds of the calling thread: the measured side. */
static double thread_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* ---- result reporting ---- */

struct result {
	int ok;
	char note[160];
	size_t bytes;
	double secs, busy, side;
	double mem_per_sock;	/* slab objects */
	/*
	 * MemFree drop: catches allocations outside slab (large kmalloc,
	 * percpu) but misses what per-CPU page lists absorb; JSON only.
	 */
	double pages_per_sock;
	int conns;		/* connections at once; 0: the one-connection rows */
	/* mem-busy: bytes queued per connection, sent and fed to the socket */
	double queued_tx, queued_rx;
};

static void __printf(2, 3) na(struct result *r, const char *fmt, ...)
{
	va_list ap;

	r->ok = 0;
	va_start(ap, fmt);
	vsnprintf(r->note, sizeof(r->note), fmt, ap);
	va_end(ap);
}

static void report(int wl, int impl, int cipher, int ver, size_t size,
		   int round, const struct result *r)
{
	double gb = r->bytes / 1e9;

	printf("@@R {\"workload\":\"%s\",\"impl\":\"%s\",\"cipher\":\"%s\",",
	       wl_names[wl], impl_names[impl], cipher_names[cipher]);
	printf("\"version\":\"1.%d\",\"size\":%zu,\"round\":%d,\"status\":\"%s\",",
	       ver % 10, size, round, r->ok ? "ok" : "n/a");
	printf("\"crypto\":\"%s\",",
	       opt.null_cipher ? "null" : opt.cryptd ? "cryptd" : "real");
	printf("\"note\":\"%s\"", r->note);
	if (r->conns)
		printf(",\"conns\":%d", r->conns);
	if (r->ok && (wl == WL_MEM || wl == WL_MEM_BUSY)) {
		printf(",\"bytes_per_socket\":%.0f,\"memfree_bytes_per_socket\":%.0f",
		       r->mem_per_sock, r->pages_per_sock);
		if (wl == WL_MEM_BUSY)
			printf(",\"queued_tx_bytes\":%.0f,\"queued_rx_bytes\":%.0f",
			       r->queued_tx, r->queued_rx);
	} else if (r->ok) {
		printf(",\"bytes\":%zu,\"secs\":%.4f,\"mbps\":%.2f,",
		       r->bytes, r->secs, r->bytes / r->secs / 1e6);
		printf("\"cpu_s_per_gb\":%.3f,\"side_cpu_s_per_gb\":%.3f",
		       r->busy / gb, r->side / gb);
	}
	printf("}\n");
	fflush(stdout);
	/* Progress: as for one connection, with " xN" for --conns rows. */
	fprintf(stderr, "[ktls-bench] r%d %-8s %-16s 1.%d ", round, wl_names[wl],
		cipher_names[cipher], ver % 10);
	if (wl == WL_MEM || wl == WL_MEM_BUSY)
		fprintf(stderr, "%5s ", "-");
	else
		fprintf(stderr, "%5zu ", size);
	if (r->conns)
		fprintf(stderr, "x%-3d ", r->conns);
	fprintf(stderr, "%-6s ", impl_names[impl]);
	if (!r->ok)
		fprintf(stderr, "n/a (%s)\n", r->note);
	else if (wl == WL_MEM || wl == WL_MEM_BUSY)
		fprintf(stderr, "%8.0f B/socket slab objects, %.0f B MemFree\n",
			r->mem_per_sock, r->pages_per_sock);
	else
		fprintf(stderr, "%8.2f MB/s %7.2f cpu-s/GB\n",
			r->bytes / r->secs / 1e6, r->busy / gb);
}

/* ---- sockets ---- */

static int listener(struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int one = 1, l;

	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0)
		die("socket: %s", strerror(errno));
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (struct sockaddr *)addr, sizeof(*addr)) ||
	    listen(l, 4096) ||
	    getsockname(l, (struct sockaddr *)addr, &len))
		die("listen: %s", strerror(errno));
	return l;
}

/* A connected loopback pair: fd[0] connected, fd[1] accepted. */
static void tcp_pair_on(int l, const struct sockaddr_in *addr, int fd[2])
{
	fd[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (fd[0] < 0 || connect(fd[0], (const struct sockaddr *)addr, sizeof(*addr)))
		die("connect: %s", strerror(errno));
	fd[1] = accept(l, NULL, NULL);
	if (fd[1] < 0)
		die("accept: %s", strerror(errno));
}

static void tcp_pair(int fd[2])
{
	struct sockaddr_in addr;
	int l = listener(&addr);

	tcp_pair_on(l, &addr, fd);
	close(l);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* ---- kernel TLS keys (fixed, the same for every run) ---- */

union crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 aes;
	struct tls12_crypto_info_chacha20_poly1305 chacha;
};

static const unsigned char key_bytes[32] = {
	0x1f, 0x2e, 0x3d, 0x4c, 0x5b, 0x6a, 0x79, 0x88, 0x97, 0xa6, 0xb5,
	0xc4, 0xd3, 0xe2, 0xf1, 0x00, 0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a,
	0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0 };
static const unsigned char iv_bytes[12] = {
	0xca, 0xfe, 0xba, 0xbe, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x23, 0x45, 0x67 };

static size_t crypto_info_fill(union crypto_info *ci, int cipher, int ver)
{
	memset(ci, 0, sizeof(*ci));
	ci->info.version = ver == 12 ? TLS_1_2_VERSION : TLS_1_3_VERSION;
	if (cipher == C_AES128) {
		ci->info.cipher_type = TLS_CIPHER_AES_GCM_128;
		memcpy(ci->aes.salt, iv_bytes, 4);
		memcpy(ci->aes.iv, iv_bytes + 4, 8);
		memcpy(ci->aes.key, key_bytes, 16);
		return sizeof(ci->aes);
	}
	ci->info.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
	memcpy(ci->chacha.iv, iv_bytes, 12);
	memcpy(ci->chacha.key, key_bytes, 32);
	return sizeof(ci->chacha);
}

/* Attach a kTLS ULP and set keys; returns 0 or a note in *r. */
static int ktls_setup(int fd, const char *ulp, int cipher, int ver,
		      int tx, int rx, struct result *r)
{
	union crypto_info ci;
	size_t len = crypto_info_fill(&ci, cipher, ver);

	if (setsockopt(fd, SOL_TCP, TCP_ULP, ulp, strlen(ulp))) {
		na(r, "TCP_ULP %s: %s", ulp, strerror(errno));
		return -1;
	}
	if (tx && setsockopt(fd, SOL_TLS, TLS_TX, &ci, len)) {
		na(r, "TLS_TX: %s", strerror(errno));
		return -1;
	}
	if (rx && setsockopt(fd, SOL_TLS, TLS_RX, &ci, len)) {
		na(r, "TLS_RX: %s", strerror(errno));
		return -1;
	}
	/* Lets both modules decrypt TLS 1.3 records into the recv buffer. */
	if (rx && ver == 13 && opt.rx_no_pad &&
	    setsockopt(fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &opt.rx_no_pad,
		       sizeof(opt.rx_no_pad))) {
		na(r, "TLS_RX_EXPECT_NO_PAD: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- pre-built TLS records with libcrypto ---- */

static const EVP_CIPHER *evp_cipher(int cipher)
{
	return cipher == C_AES128 ? EVP_aes_128_gcm() : EVP_chacha20_poly1305();
}

/*
 * Seal @inner bytes of @plain into @out, the tag after them. Under the
 * null cipher (bench/null_aead.c) that is a copy and a tag of zeros.
 */
static void seal_record(EVP_CIPHER_CTX *ctx, int cipher, const unsigned char *nonce,
			const unsigned char *aad, int aadlen,
			const unsigned char *plain, size_t inner, unsigned char *out)
{
	int n;

	if (opt.null_cipher) {
		memcpy(out, plain, inner);
		memset(out + inner, 0, 16);
		return;
	}
	if (!EVP_EncryptInit_ex(ctx, evp_cipher(cipher), NULL, key_bytes, nonce) ||
	    !EVP_EncryptUpdate(ctx, NULL, &n, aad, aadlen) ||
	    !EVP_EncryptUpdate(ctx, out, &n, plain, (int)inner) ||
	    !EVP_EncryptFinal_ex(ctx, out + n, &n) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out + inner))
		die("EVP encryption failed");
}

/*
 * Encrypt @total bytes of plaintext into records of @size bytes, exactly as
 * a TLS peer with our fixed keys would, sequence numbers from 0. Record i's
 * plaintext is the bytes 0, 1, 2, ... (mod 256).
 */
static unsigned char *build_records(int cipher, int ver, size_t size,
				    size_t total, size_t *outlen)
{
	int explicit = ver == 12 && cipher == C_AES128;
	size_t nrec = (total + size - 1) / size;
	size_t max = nrec * (5 + 8 + size + 1 + 16);
	unsigned char *out = malloc(max), *p = out, *plain = malloc(size + 1);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	__u64 seq;

	if (!out || !plain || !ctx)
		die("out of memory");
	for (size_t i = 0; i < size; i++)
		plain[i] = (unsigned char)i;
	for (seq = 0; total; seq++) {
		size_t plen = total < size ? total : size;
		size_t inner = plen + (ver == 13);
		size_t rlen = (explicit ? 8 : 0) + inner + 16;
		unsigned char nonce[12], aad[13], seqbe[8];

		for (int b = 0; b < 8; b++)
			seqbe[b] = (unsigned char)(seq >> (56 - 8 * b));
		memcpy(nonce, iv_bytes, 12);
		if (explicit)
			memcpy(nonce + 4, seqbe, 8);	/* explicit = seq */
		else
			for (int b = 0; b < 8; b++)
				nonce[4 + b] ^= seqbe[b];
		p[0] = 23;
		p[1] = 3;
		p[2] = 3;
		p[3] = (unsigned char)(rlen >> 8);
		p[4] = (unsigned char)rlen;
		if (ver == 13) {
			memcpy(aad, p, 5);
		} else {
			memcpy(aad, seqbe, 8);
			aad[8] = 23;
			aad[9] = 3;
			aad[10] = 3;
			aad[11] = (unsigned char)(plen >> 8);
			aad[12] = (unsigned char)plen;
		}
		p += 5;
		if (explicit) {
			memcpy(p, seqbe, 8);
			p += 8;
		}
		plain[plen] = 23;	/* TLS 1.3 inner content type */
		seal_record(ctx, cipher, nonce, aad, ver == 13 ? 5 : 13,
			    plain, inner, p);
		plain[plen] = (unsigned char)plen;
		p += inner + 16;
		total -= plen;
	}
	EVP_CIPHER_CTX_free(ctx);
	free(plain);
	*outlen = p - out;
	return out;
}

/* ---- OpenSSL userspace TLS ---- */

static void ssl_init(void)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = X509_new();

	if (!pkey || !x)
		die("cannot make a key");
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 365);
	X509_set_pubkey(x, pkey);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"ktls-bench", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	if (!X509_sign(x, pkey, EVP_sha256()))
		die("cannot sign the certificate");
	ssl_srv = SSL_CTX_new(TLS_server_method());
	ssl_cli = SSL_CTX_new(TLS_client_method());
	if (!ssl_srv || !ssl_cli || !SSL_CTX_use_certificate(ssl_srv, x) ||
	    !SSL_CTX_use_PrivateKey(ssl_srv, pkey))
		die("SSL_CTX setup failed");
	SSL_CTX_set_num_tickets(ssl_srv, 0);
	SSL_CTX_set_verify(ssl_cli, SSL_VERIFY_NONE, NULL);
	/* kTLS off is the default; say so anyway. */
	SSL_CTX_clear_options(ssl_srv, SSL_OP_ENABLE_KTLS);
	SSL_CTX_clear_options(ssl_cli, SSL_OP_ENABLE_KTLS);
	X509_free(x);
	EVP_PKEY_free(pkey);
}

static void *ssl_accept_thread(void *arg)
{
	return (void *)(long)SSL_accept(arg);
}

/* Handshake over a loopback pair: client on fd[0], server on fd[1]. */
static int ssl_pair(int fd[2], int cipher, int ver, SSL **cli, SSL **srv,
		    struct result *r)
{
	const char *suite12 = cipher == C_AES128 ?
		"ECDHE-ECDSA-AES128-GCM-SHA256" : "ECDHE-ECDSA-CHACHA20-POLY1305";
	const char *suite13 = cipher == C_AES128 ?
		"TLS_AES_128_GCM_SHA256" : "TLS_CHACHA20_POLY1305_SHA256";
	int v = ver == 12 ? TLS1_2_VERSION : TLS1_3_VERSION;
	pthread_t t;
	void *sret;
	int cret;

	*cli = SSL_new(ssl_cli);
	*srv = SSL_new(ssl_srv);
	SSL_set_min_proto_version(*cli, v);
	SSL_set_max_proto_version(*cli, v);
	if (ver == 12)
		SSL_set_cipher_list(*cli, suite12);
	else
		SSL_set_ciphersuites(*cli, suite13);
	SSL_set_fd(*cli, fd[0]);
	SSL_set_fd(*srv, fd[1]);
	pthread_create(&t, NULL, ssl_accept_thread, *srv);
	cret = SSL_connect(*cli);
	pthread_join(t, &sret);
	if (cret != 1 || (long)sret != 1) {
		na(r, "OpenSSL handshake failed");
		ERR_print_errors_fp(stderr);
		return -1;
	}
	return 0;
}

/* ---- the two sides of a transfer ---- */

struct drain {
	int fd;
	size_t want;	/* stop after this many bytes (0: read to EOF) */
	SSL *ssl;	/* non-NULL: SSL_read instead of read */
	size_t got;
	int err;
};

static void *drain_thread(void *arg)
{
	struct drain *d = arg;
	char *buf = malloc(256 * 1024);

	for (;;) {
		ssize_t n = read(d->fd, buf, 256 * 1024);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			d->err = errno;
		if (n <= 0)
			break;
		d->got += n;
	}
	free(buf);
	return NULL;
}

struct feed {
	int fd;
	const unsigned char *buf;
	size_t len;
	int err;
};

static void *feed_thread(void *arg)
{
	struct feed *f = arg;

	if (write_all(f->fd, f->buf, f->len))
		f->err = errno;
	shutdown(f->fd, SHUT_WR);
	return NULL;
}

struct meter {
	double t, busy, side;
};

/* With --perf-ctl, perf samples only the measured part of each run. */
static void perf_ctl(const char *cmd)
{
	if (opt.perf_ctl >= 0 && write(opt.perf_ctl, cmd, strlen(cmd)) < 0)
		die("perf control fifo: %s", strerror(errno));
}

static void meter_start(struct meter *m)
{
	perf_ctl("enable\n");
	m->busy = guest_busy();
	m->side = thread_cpu();
	m->t = now();
}

static void meter_stop(struct meter *m, struct result *r, size_t bytes)
{
	r->secs = now() - m->t;
	r->busy = guest_busy() - m->busy;
	r->side = thread_cpu() - m->side;
	r->bytes = bytes;
	r->ok = 1;
	perf_ctl("disable\n");
}

static int file_fd(void)
{
	int fd = open(opt.file, O_RDONLY);

	if (fd < 0)
		die("open %s: %s", opt.file, strerror(errno));
	return fd;
}

/* TX: the measured side (this thread) sends; a thread drains raw bytes. */
static void run_tx(int impl, int cipher, int ver, size_t size, int sendf,
		   struct result *r)
{
	unsigned char *buf = calloc(1, MAX_REC > size ? MAX_REC : size);
	struct drain d = { 0 };
	SSL *cli = NULL, *srv = NULL;
	size_t sent = 0;
	struct meter m;
	int fd[2], ffd = -1;
	off_t off = 0;
	pthread_t t;

	tcp_pair(fd);
	if (impl == IMPL_OURS || impl == IMPL_INTREE) {
		if (ktls_setup(fd[0], impl == IMPL_OURS ? opt.ours_ulp :
			       opt.intree_ulp, cipher, ver, 1, 0, r))
			goto out;
	} else if (impl == IMPL_USER) {
		if (ssl_pair(fd, cipher, ver, &cli, &srv, r))
			goto out;
	}
	if (sendf)
		ffd = file_fd();
	d.fd = fd[1];
	pthread_create(&t, NULL, drain_thread, &d);
	meter_start(&m);
	while (sent < opt.bytes) {
		size_t chunk = opt.bytes - sent;
		ssize_t n;

		if (sendf && impl != IMPL_USER) {
			if (off >= FILE_SIZE)
				off = 0;
			if (chunk > FILE_SIZE - (size_t)off)
				chunk = FILE_SIZE - off;
			n = sendfile(fd[0], ffd, &off, chunk);
		} else if (sendf) {
			/* What a userspace TLS server does for a file. */
			if (off >= FILE_SIZE)
				off = 0;
			chunk = chunk < MAX_REC ? chunk : MAX_REC;
			n = pread(ffd, buf, chunk, off);
			if (n > 0) {
				off += n;
				n = SSL_write(cli, buf, (int)n);
			}
		} else {
			chunk = chunk < size ? chunk : size;
			if (impl == IMPL_USER)
				n = SSL_write(cli, buf, (int)chunk);
			else
				n = send(fd[0], buf, chunk, 0);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			na(r, "%s: %s", sendf ? "sendfile" : "send",
			   n < 0 ? strerror(errno) : "short");
			break;
		}
		sent += n;
	}
	shutdown(fd[0], SHUT_WR);
	if (sent >= opt.bytes) {
		pthread_join(t, NULL);
		meter_stop(&m, r, sent);
		if (d.got < sent)
			na(r, "peer got %zu bytes < %zu sent", d.got, sent);
	} else {
		close(fd[0]);
		fd[0] = -1;
		pthread_join(t, NULL);
	}
out:
	if (ffd >= 0)
		close(ffd);
	SSL_free(cli);
	SSL_free(srv);
	if (fd[0] >= 0)
		close(fd[0]);
	close(fd[1]);
	free(buf);
}

/* RX: a thread writes pre-built records; the measured side decrypts. */
static void run_rx(int impl, int cipher, int ver, size_t size, struct result *r)
{
	unsigned char *wire = NULL, *buf = malloc(RECV_BUF);
	struct feed f = { 0 };
	SSL *cli = NULL, *srv = NULL;
	size_t len = 0, got = 0;
	struct meter m;
	pthread_t t;
	int fd[2];

	tcp_pair(fd);
	if (impl == IMPL_OURS || impl == IMPL_INTREE) {
		if (ktls_setup(fd[1], impl == IMPL_OURS ? opt.ours_ulp :
			       opt.intree_ulp, cipher, ver, 0, 1, r))
			goto out;
		wire = build_records(cipher, ver, size, opt.bytes, &len);
	} else if (impl == IMPL_USER) {
		BIO *mem = BIO_new(BIO_s_mem());
		char *data;

		if (ssl_pair(fd, cipher, ver, &cli, &srv, r)) {
			BIO_free(mem);
			goto out;
		}
		/* The client's records, captured instead of sent. */
		SSL_set0_wbio(cli, mem);
		memset(buf, 0x5a, size);
		for (size_t done = 0; done < opt.bytes; done += size)
			if (SSL_write(cli, buf, (int)(opt.bytes - done < size ?
						       opt.bytes - done : size)) <= 0)
				die("SSL_write into memory failed");
		len = BIO_get_mem_data(mem, &data);
		wire = malloc(len);
		memcpy(wire, data, len);
	} else {
		wire = calloc(1, opt.bytes);
		len = opt.bytes;
	}
	f.fd = fd[0];
	f.buf = wire;
	f.len = len;
	meter_start(&m);
	pthread_create(&t, NULL, feed_thread, &f);
	while (got < opt.bytes) {
		ssize_t n;

		if (impl == IMPL_USER)
			n = SSL_read(srv, buf, RECV_BUF);
		else
			n = recv(fd[1], buf, RECV_BUF, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			na(r, "recv: %s", n < 0 ? strerror(errno) : "early EOF");
			break;
		}
		got += n;
	}
	if (got >= opt.bytes) {
		meter_stop(&m, r, got);
	} else {
		/*
		 * Unblock the feeder: closing with unread data resets the
		 * connection (SHUT_RD would not stop TCP from queueing).
		 */
		close(fd[1]);
		fd[1] = -1;
	}
	pthread_join(t, NULL);
out:
	SSL_free(cli);
	SSL_free(srv);
	close(fd[0]);
	if (fd[1] >= 0)
		close(fd[1]);
	free(wire);
	free(buf);
}

/*
 * The ceiling: the same AEAD over the same record sizes through AF_ALG,
 * one encryption (tx) or decryption (rx) per record, copy in and out
 * included (kTLS copies too).
 */
static void run_aead(int cipher, int ver, size_t size, int decrypt,
		     struct result *r)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "aead" };
	size_t aadlen = ver == 13 ? 5 : 13, inlen, outlen, done = 0;
	char cbuf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct af_alg_iv) + 12) +
		  CMSG_SPACE(sizeof(int))];
	unsigned char *in, *out;
	struct meter m;
	int tfm, op;

	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s",
		 cipher == C_AES128 ? "gcm(aes)" : "rfc7539(chacha20,poly1305)");
	tfm = socket(AF_ALG, SOCK_SEQPACKET, 0);
	if (tfm < 0) {
		na(r, "AF_ALG: %s", strerror(errno));
		return;
	}
	if (bind(tfm, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key_bytes,
		       cipher == C_AES128 ? 16 : 32) ||
	    setsockopt(tfm, SOL_ALG, ALG_SET_AEAD_AUTHSIZE, NULL, 16)) {
		na(r, "AF_ALG %s: %s", sa.salg_name, strerror(errno));
		close(tfm);
		return;
	}
	op = accept(tfm, NULL, NULL);
	if (op < 0) {
		na(r, "AF_ALG accept: %s", strerror(errno));
		close(tfm);
		return;
	}
	inlen = aadlen + size + (decrypt ? 16 : 0);
	outlen = aadlen + size + (decrypt ? 0 : 16);
	in = calloc(1, aadlen + size + 16);
	out = calloc(1, aadlen + size + 16);
	/* Decryption: pass -1 makes a valid ciphertext to decrypt. */
	meter_start(&m);
	for (int pass = decrypt ? -1 : 0; done < opt.bytes; pass++) {
		struct msghdr msg = { 0 };
		struct iovec iov;
		struct cmsghdr *c;
		struct af_alg_iv *aiv;
		int encrypt = !decrypt || pass < 0;
		size_t ilen = encrypt ? aadlen + size : inlen;
		size_t olen = encrypt ? aadlen + size + 16 : outlen;
		ssize_t n;

		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_ALG;
		c->cmsg_type = ALG_SET_OP;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		*(int *)CMSG_DATA(c) = encrypt ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
		c = CMSG_NXTHDR(&msg, c);
		c->cmsg_level = SOL_ALG;
		c->cmsg_type = ALG_SET_IV;
		c->cmsg_len = CMSG_LEN(sizeof(*aiv) + 12);
		aiv = (void *)CMSG_DATA(c);
		aiv->ivlen = 12;
		memcpy(aiv->iv, iv_bytes, 12);
		c = CMSG_NXTHDR(&msg, c);
		c->cmsg_level = SOL_ALG;
		c->cmsg_type = ALG_SET_AEAD_ASSOCLEN;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		*(int *)CMSG_DATA(c) = (int)aadlen;
		iov.iov_base = in;
		iov.iov_len = ilen;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if (sendmsg(op, &msg, 0) != (ssize_t)ilen) {
			na(r, "AF_ALG sendmsg: %s", strerror(errno));
			break;
		}
		n = read(op, out, olen);
		if (n != (ssize_t)olen) {
			na(r, "AF_ALG read: %s", n < 0 ? strerror(errno) : "short");
			break;
		}
		if (pass < 0) {
			/* Keep the ciphertext as the input of every decryption. */
			memcpy(in, out, olen);
			meter_start(&m);
			continue;
		}
		done += size;
	}
	if (done >= opt.bytes)
		meter_stop(&m, r, done);
	free(in);
	free(out);
	close(op);
	close(tfm);
}

/* ---- --null-cipher: proof that both kernel modules use the null AEAD ---- */

#define CHECK_BYTES	40000

/* Read @fd to EOF (or @max bytes) into @buf; returns the count or -1. */
static ssize_t read_to_eof(int fd, unsigned char *buf, size_t max)
{
	size_t got = 0;

	while (got < max) {
		ssize_t n = recv(fd, buf + got, max - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!n)
			break;
		got += n;
	}
	return got;
}

/*
 * Take the plaintext out of null-sealed records @wire: header, explicit
 * nonce (TLS 1.2 AES-GCM), text, TLS 1.3 content type, 16 zero bytes of
 * tag. Returns the plaintext length, or -1 if a record is not like that.
 */
static ssize_t null_records_open(int cipher, int ver, const unsigned char *wire,
				 size_t len, unsigned char *plain)
{
	size_t explicit = ver == 12 && cipher == C_AES128 ? 8 : 0;
	size_t tail = ver == 13;	/* the inner content type */
	static const unsigned char zeros[16];
	size_t pos = 0, out = 0;

	while (pos + 5 <= len) {
		size_t rlen = (size_t)wire[pos + 3] << 8 | wire[pos + 4];
		const unsigned char *body = wire + pos + 5;
		size_t text = rlen - explicit - 16 - tail;

		if (wire[pos] != 23 || rlen < explicit + 16 + tail ||
		    pos + 5 + rlen > len || memcmp(body + rlen - 16, zeros, 16) ||
		    (ver == 13 && body[explicit + text] != 23))
			return -1;
		memcpy(plain + out, body + explicit, text);
		out += text;
		pos += 5 + rlen;
	}
	return pos == len ? (ssize_t)out : -1;
}

/* The module's TX puts the plaintext on the wire, with zero tags. */
static const char *null_check_tx(int impl, int cipher, int ver)
{
	unsigned char *plain = malloc(CHECK_BYTES), *wire = malloc(2 * CHECK_BYTES);
	unsigned char *opened = malloc(2 * CHECK_BYTES);
	const char *err = NULL;
	struct feed f = { 0 };
	struct result r = { 0 };
	ssize_t n, m;
	pthread_t t;
	int fd[2];

	for (size_t i = 0; i < CHECK_BYTES; i++)
		plain[i] = (unsigned char)(i * 7 + i / 251);
	tcp_pair(fd);
	if (ktls_setup(fd[0], impl == IMPL_OURS ? opt.ours_ulp : opt.intree_ulp,
		       cipher, ver, 1, 0, &r)) {
		err = "kTLS TX setup failed";
		goto out;
	}
	f = (struct feed){ .fd = fd[0], .buf = plain, .len = CHECK_BYTES };
	pthread_create(&t, NULL, feed_thread, &f);
	n = read_to_eof(fd[1], wire, 2 * CHECK_BYTES);
	pthread_join(t, NULL);
	m = n < 0 ? -1 : null_records_open(cipher, ver, wire, n, opened);
	if (f.err || m != CHECK_BYTES || memcmp(opened, plain, CHECK_BYTES))
		err = "the wire is not the plaintext in null records";
out:
	close(fd[0]);
	close(fd[1]);
	free(plain);
	free(wire);
	free(opened);
	return err;
}

/* Null records built here decrypt to their plaintext in the module's RX. */
static const char *null_check_rx(int impl, int cipher, int ver)
{
	unsigned char *got = malloc(CHECK_BYTES + 1), *wire = NULL;
	const char *err = NULL;
	struct feed f = { 0 };
	struct result r = { 0 };
	size_t len;
	ssize_t n;
	pthread_t t;
	int fd[2];

	tcp_pair(fd);
	if (ktls_setup(fd[1], impl == IMPL_OURS ? opt.ours_ulp : opt.intree_ulp,
		       cipher, ver, 0, 1, &r)) {
		err = "kTLS RX setup failed";
		goto out;
	}
	wire = build_records(cipher, ver, MAX_REC, CHECK_BYTES, &len);
	f = (struct feed){ .fd = fd[0], .buf = wire, .len = len };
	pthread_create(&t, NULL, feed_thread, &f);
	n = read_to_eof(fd[1], got, CHECK_BYTES + 1);
	pthread_join(t, NULL);
	if (n != CHECK_BYTES)
		err = "recv did not return the records' plaintext length";
	for (size_t i = 0; !err && i < CHECK_BYTES; i++)
		if (got[i] != (unsigned char)(i % MAX_REC))
			err = "recv returned other bytes than the records' plaintext";
out:
	close(fd[0]);
	close(fd[1]);
	free(got);
	free(wire);
	return err;
}

static void null_check_one(int impl, int cipher, int ver)
{
	const char *tx = null_check_tx(impl, cipher, ver);
	const char *rx = null_check_rx(impl, cipher, ver);

	printf("@@CHECK null %s %s 1.%d tx %s rx %s\n", impl_names[impl],
	       cipher_names[cipher], ver % 10, tx ? "FAIL" : "ok",
	       rx ? "FAIL" : "ok");
	fflush(stdout);
	if (tx || rx)
		die("null cipher check, %s %s 1.%d: %s", impl_names[impl],
		    cipher_names[cipher], ver % 10, tx ? tx : rx);
}

/* ---- --cryptd: both modules' gcm(aes) made asynchronous ---- */

static char cryptd_driver[128];

/* Back below every other gcm(aes), whatever way the run ends. */
static void cryptd_lower(void)
{
	cryptd_nl(CRYPTO_MSG_UPDATEALG, cryptd_driver, CRYPTD_PRIO_BOTTOM);
}

/* A TX key set through @impl takes a reference on the cryptd instance. */
static void cryptd_check(int impl)
{
	long before = cryptd_proc_field(cryptd_driver, "refcnt"), after;
	struct result r = { 0 };
	int fd[2];

	tcp_pair(fd);
	if (ktls_setup(fd[0], impl == IMPL_OURS ? opt.ours_ulp : opt.intree_ulp,
		       C_AES128, 13, 1, 0, &r))
		die("cryptd check, %s: %s", impl_names[impl], r.note);
	after = cryptd_proc_field(cryptd_driver, "refcnt");
	close(fd[0]);
	close(fd[1]);
	printf("@@CHECK cryptd %s %s\n", impl_names[impl],
	       after > before ? "ok" : "FAIL");
	fflush(stdout);
	if (after <= before)
		die("cryptd check: %s does not encrypt through %s",
		    impl_names[impl], cryptd_driver);
}

/* Raise cryptd(gcm(aes)) above every other gcm(aes); check both modules. */
static void cryptd_setup(void)
{
	int rc;

	for (int k = 0; k < opt.nciphers; k++)
		if (opt.ciphers[k] != C_AES128)
			die("--cryptd covers aes128gcm only");
	rc = cryptd_gcm_instantiate(cryptd_driver, sizeof(cryptd_driver));
	if (rc)
		die("cannot instantiate %s: %s", CRYPTD_GCM, strerror(-rc));
	rc = cryptd_nl(CRYPTO_MSG_UPDATEALG, cryptd_driver, CRYPTD_PRIO_TOP);
	if (rc)
		die("cannot raise %s: %s", cryptd_driver, strerror(-rc));
	atexit(cryptd_lower);
	for (int k = 0; k < opt.nimpls; k++)
		if (opt.impls[k] == IMPL_OURS || opt.impls[k] == IMPL_INTREE)
			cryptd_check(opt.impls[k]);
}

/* Every kernel module, cipher and version of the run, before any number. */
static void null_check(void)
{
	for (int k = 0; k < opt.nimpls; k++) {
		if (opt.impls[k] != IMPL_OURS && opt.impls[k] != IMPL_INTREE)
			continue;
		for (int c = 0; c < opt.nciphers; c++)
			for (int v = 0; v < opt.nversions; v++)
				null_check_one(opt.impls[k], opt.ciphers[c],
					       opt.versions[v]);
	}
	fprintf(stderr, "[ktls-bench] null cipher in use: %s\n",
		"kTLS TX writes the plaintext, RX reads it back");
}

/* ---- memory per idle kTLS socket ---- */

static long meminfo_kb(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("cannot read /proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':')
			v = strtol(line + strlen(key) + 1, NULL, 10);
	fclose(f);
	return v;
}

/*
 * Bytes in live slab objects: the sum of active_objs x objsize over
 * /proc/slabinfo. Unlike the Slab line of /proc/meminfo it does not miss
 * objects that land in slab pages already there (freed by an earlier round).
 */
static double slab_bytes(void)
{
	unsigned long active, num, size;
	double sum = 0;
	char line[512], name[128];
	FILE *f;

	/* Let the sockets of the previous measurement finish closing (RCU). */
	sync();
	usleep(1000000);
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		die("cannot read /proc/slabinfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %lu %lu %lu", name, &active, &num, &size) == 4)
			sum += (double)active * size;
	fclose(f);
	return sum;
}

/* TX and RX keys on the first end of each of @n pairs; how many got them. */
static int mem_keys(int impl, int cipher, int ver, int n, int (*fds)[2],
		    struct result *r)
{
	const char *ulp = impl == IMPL_OURS ? opt.ours_ulp : opt.intree_ulp;
	int i;

	for (i = 0; i < n; i++)
		if (ktls_setup(fds[i][0], ulp, cipher, ver, 1, 1, r))
			break;
	return i;
}

/* The memory workloads' figures: slab bytes and MemFree KB for @n. */
static void mem_per_sock(struct result *r, int n, double slab, long free_kb)
{
	r->ok = 1;
	r->mem_per_sock = slab / n;
	r->pages_per_sock = free_kb * 1024.0 / n;
}

static void close_pairs(int (*fds)[2], int n)
{
	int i;

	for (i = 0; i < n; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
	free(fds);
}

static void run_mem(int impl, int cipher, int ver, struct result *r)
{
	int n = opt.mem_sockets, (*fds)[2] = calloc(n, sizeof(*fds)), i;
	struct sockaddr_in addr;
	double before, after;
	long free_before, free_after;
	int l = listener(&addr);

	if (impl != IMPL_OURS && impl != IMPL_INTREE) {
		na(r, "kernel kTLS only");
		close(l);
		free(fds);
		return;
	}
	for (i = 0; i < n; i++)
		tcp_pair_on(l, &addr, fds[i]);
	close(l);
	before = slab_bytes();
	free_before = meminfo_kb("MemFree");
	i = mem_keys(impl, cipher, ver, n, fds, r);
	after = slab_bytes();
	free_after = meminfo_kb("MemFree");
	if (i == n)
		mem_per_sock(r, n, after - before, free_before - free_after);
	close_pairs(fds, n);
}

/* ---- many connections at once (--conns) ---- */

/*
 * N connections in one measurement: one measured thread per online CPU (at
 * most N), each driving a contiguous share of the connections with poll()
 * on non-blocking sockets, as an event-driven server does; and as many peer
 * threads, each draining (tx, sendfile) or feeding (rx) the same share. One
 * connection is then one measured thread and one peer, as in run_tx().
 */
#define SCALE_STALL_S	10	/* no byte moved on any connection: give up */

struct sconn {
	int fd;
	int done;
	size_t left;	/* plaintext still to send or receive */
	size_t pos;	/* file or record offset; bytes drained */
};

/* What every thread of one measurement shares, read-only once started. */
struct sshared {
	int sendf;
	size_t size;			/* bytes per send() */
	int ffd;			/* sendfile: the file */
	const unsigned char *buf;	/* send(): zeros; feeders: the records */
	size_t len;			/* feeders: length of the records */
	pthread_barrier_t start;
};

struct sside;
/* Move what the socket takes now: 1 finished, 0 would block, -1 error. */
typedef int (*sstep_fn)(struct sside *s, struct sconn *c);

/* One thread and its share of connections, on one side of them. */
struct sside {
	struct sshared *sh;
	struct sconn *c;
	int n;
	short events;		/* POLLIN or POLLOUT */
	sstep_fn step;
	unsigned char *rbuf;
	size_t rlen;
	size_t moved;		/* bytes moved: progress, for the stall check */
	double cpu;		/* this thread's CPU seconds over the run */
	const char *err;	/* what failed, or NULL */
	int err_no;
};

static int would_block(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK;
}

static int sstep_fail(struct sside *s, const char *what, int err)
{
	s->err = what;
	s->err_no = err;
	return -1;
}

/* One send() or sendfile() of the connection's next chunk. */
static ssize_t sconn_send_once(const struct sshared *sh, struct sconn *c)
{
	size_t chunk = c->left < sh->size ? c->left : sh->size;
	off_t off;

	if (!sh->sendf)
		return send(c->fd, sh->buf, chunk, 0);
	/* The file, looped; sconn.pos is the offset in it. */
	if (c->pos >= FILE_SIZE)
		c->pos = 0;
	chunk = c->left < FILE_SIZE - c->pos ? c->left : FILE_SIZE - c->pos;
	off = c->pos;
	return sendfile(c->fd, sh->ffd, &off, chunk);
}

/* tx, sendfile: the measured side sends its share, then ends the stream. */
static int sstep_send(struct sside *s, struct sconn *c)
{
	while (c->left) {
		ssize_t n = sconn_send_once(s->sh, c);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && would_block())
			return 0;
		if (n <= 0)
			return sstep_fail(s, s->sh->sendf ? "sendfile" : "send",
					  n < 0 ? errno : EPIPE);
		c->left -= n;
		c->pos += n;
		s->moved += n;
	}
	shutdown(c->fd, SHUT_WR);
	return 1;
}

/* The peer of tx and sendfile: raw bytes to EOF. */
static int sstep_drain(struct sside *s, struct sconn *c)
{
	for (;;) {
		ssize_t n = read(c->fd, s->rbuf, s->rlen);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && would_block())
			return 0;
		if (n < 0)
			return sstep_fail(s, "read", errno);
		if (!n)
			return 1;
		c->pos += n;
		s->moved += n;
	}
}

/* rx: the measured side reads its share of plaintext. */
static int sstep_recv(struct sside *s, struct sconn *c)
{
	while (c->left) {
		ssize_t n = recv(c->fd, s->rbuf, s->rlen, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && would_block())
			return 0;
		if (n <= 0)
			return sstep_fail(s, n < 0 ? "recv" : "recv: early EOF",
					  n < 0 ? errno : 0);
		c->left -= (size_t)n < c->left ? (size_t)n : c->left;
		c->pos += n;
		s->moved += n;
	}
	return 1;
}

/* The peer of rx: the records, then the end of the stream. */
static int sstep_feed(struct sside *s, struct sconn *c)
{
	while (c->pos < s->sh->len) {
		ssize_t n = write(c->fd, s->sh->buf + c->pos, s->sh->len - c->pos);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && would_block())
			return 0;
		if (n <= 0)
			return sstep_fail(s, "write", n < 0 ? errno : EPIPE);
		c->pos += n;
		s->moved += n;
	}
	shutdown(c->fd, SHUT_WR);
	return 1;
}

/*
 * After an error: reset this side's unfinished connections, so that their
 * peers stop at once instead of waiting for the stall timeout.
 */
static void sside_abort(struct sside *s)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	for (int i = 0; i < s->n; i++) {
		if (s->c[i].done)
			continue;
		setsockopt(s->c[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(s->c[i].fd);
		s->c[i].fd = -1;
		s->c[i].done = 1;
	}
}

/* The unfinished connections into @pfd; returns how many. */
static int sside_pollset(const struct sside *s, struct pollfd *pfd, int *idx)
{
	int np = 0;

	for (int i = 0; i < s->n; i++) {
		if (s->c[i].done)
			continue;
		pfd[np].fd = s->c[i].fd;
		pfd[np].events = s->events;
		pfd[np].revents = 0;
		idx[np++] = i;
	}
	return np;
}

/* Step every connection poll() reports ready; -1 on an error. */
static int sside_service(struct sside *s, const struct pollfd *pfd,
			 const int *idx, int np)
{
	for (int j = 0; j < np; j++) {
		struct sconn *c = &s->c[idx[j]];
		int rc;

		if (!pfd[j].revents)
			continue;
		rc = s->step(s, c);
		if (rc < 0)
			return -1;
		c->done = rc;
	}
	return 0;
}

static void *sside_thread(void *arg)
{
	struct sside *s = arg;
	struct pollfd *pfd = calloc(s->n, sizeof(*pfd));
	int *idx = calloc(s->n, sizeof(*idx)), np;
	double cpu0, last;
	size_t moved = 0;

	if (!pfd || !idx)
		die("out of memory");
	pthread_barrier_wait(&s->sh->start);
	cpu0 = thread_cpu();
	last = now();
	while ((np = sside_pollset(s, pfd, idx)) > 0) {
		int ready = poll(pfd, np, 1000);

		if (ready < 0 && errno != EINTR) {
			sstep_fail(s, "poll", errno);
			break;
		}
		if (ready > 0 && sside_service(s, pfd, idx, np))
			break;
		if (s->moved != moved) {
			moved = s->moved;
			last = now();
		} else if (now() - last > SCALE_STALL_S) {
			sstep_fail(s, "stalled", ETIMEDOUT);
			break;
		}
	}
	if (s->err)
		sside_abort(s);
	s->cpu = thread_cpu() - cpu0;
	free(pfd);
	free(idx);
	return NULL;
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		die("O_NONBLOCK: %s", strerror(errno));
}

/*
 * @n loopback pairs; @meas gets the measured ends (connected for tx, as in
 * run_tx(); accepted for rx, as in run_rx()), with kTLS keys for the kernel
 * implementations, @peer the other ends. Every fd is non-blocking.
 */
static int scale_connect(int impl, int cipher, int ver, int rx, int n,
			 struct sconn *meas, struct sconn *peer, struct result *r)
{
	struct sockaddr_in addr;
	int l = listener(&addr), fd[2], rc = 0;

	for (int i = 0; i < n; i++) {
		tcp_pair_on(l, &addr, fd);
		meas[i].fd = fd[rx];
		peer[i].fd = fd[!rx];
		set_nonblock(fd[0]);
		set_nonblock(fd[1]);
		if ((impl == IMPL_OURS || impl == IMPL_INTREE) &&
		    ktls_setup(meas[i].fd, impl == IMPL_OURS ? opt.ours_ulp :
			       opt.intree_ulp, cipher, ver, !rx, rx, r)) {
			rc = -1;
			break;
		}
	}
	close(l);
	return rc;
}

/* Threads [0, nthr) are the measured side, [nthr, 2 nthr) the peers. */
static void scale_sides(int wl, struct sshared *sh, int n, int nthr,
			struct sconn *meas, struct sconn *peer, struct sside *side)
{
	for (int k = 0; k < nthr; k++) {
		int lo = k * n / nthr, hi = (k + 1) * n / nthr;
		struct sside *m = &side[k], *p = &side[nthr + k];

		*m = (struct sside){ .sh = sh, .c = meas + lo, .n = hi - lo };
		*p = (struct sside){ .sh = sh, .c = peer + lo, .n = hi - lo };
		if (wl == WL_RX) {
			m->events = POLLIN;
			m->step = sstep_recv;
			m->rlen = RECV_BUF;
			p->events = POLLOUT;
			p->step = sstep_feed;
		} else {
			m->events = POLLOUT;
			m->step = sstep_send;
			p->events = POLLIN;
			p->step = sstep_drain;
			p->rlen = 256 * 1024;
		}
		for (int j = 0; j < 2; j++) {
			struct sside *s = j ? p : m;

			s->rbuf = s->rlen ? malloc(s->rlen) : NULL;
			if (s->rlen && !s->rbuf)
				die("out of memory");
		}
	}
}

/* Start every thread at once; wall clock until the last one is done. */
static void scale_measure(struct sshared *sh, struct sside *side, int nthr,
			  size_t bytes, struct result *r)
{
	pthread_t *t = calloc(2 * nthr, sizeof(*t));
	struct meter m;
	double cpu = 0;

	if (!t)
		die("out of memory");
	pthread_barrier_init(&sh->start, NULL, 2 * nthr + 1);
	for (int k = 0; k < 2 * nthr; k++)
		if (pthread_create(&t[k], NULL, sside_thread, &side[k]))
			die("pthread_create failed");
	meter_start(&m);
	pthread_barrier_wait(&sh->start);
	for (int k = 0; k < 2 * nthr; k++)
		pthread_join(t[k], NULL);
	meter_stop(&m, r, bytes);
	for (int k = 0; k < nthr; k++)
		cpu += side[k].cpu;
	/* The measured side: its threads together, as one thread for N = 1. */
	r->side = cpu;
	pthread_barrier_destroy(&sh->start);
	free(t);
}

/* The first error of any thread, or a peer that got less than was sent. */
static void scale_check(int wl, const struct sside *side, int nthr,
			const struct sconn *peer, int n, size_t bytes,
			struct result *r)
{
	size_t got = 0;

	for (int k = 0; k < 2 * nthr; k++) {
		if (side[k].err) {
			na(r, "%s %s%s%s", k < nthr ? "measured" : "peer",
			   side[k].err, side[k].err_no ? ": " : "",
			   side[k].err_no ? strerror(side[k].err_no) : "");
			return;
		}
	}
	if (wl == WL_RX)
		return;
	for (int i = 0; i < n; i++)
		got += peer[i].pos;
	if (got < bytes)
		na(r, "peers got %zu bytes < %zu sent", got, bytes);
}

/* The bytes the measured side sends or the peers feed, one copy for all. */
static unsigned char *scale_payload(int wl, int impl, int cipher, int ver,
				    size_t size, size_t share, size_t *len)
{
	if (wl != WL_RX) {
		*len = 0;
		return calloc(1, MAX_REC > size ? MAX_REC : size);
	}
	if (impl == IMPL_TCP) {
		*len = share;
		return calloc(1, share);
	}
	/* Same keys and sequence numbers on every connection: same records. */
	return build_records(cipher, ver, size, share, len);
}

static void run_scale(int wl, int impl, int cipher, int ver, size_t size,
		      int n, struct result *r)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int nthr = ncpu < 1 ? 1 : ncpu < n ? (int)ncpu : n;
	size_t share = opt.bytes / n, bytes = share * n;
	struct sconn *meas = calloc(n, sizeof(*meas)), *peer = calloc(n, sizeof(*peer));
	struct sside *side = calloc(2 * nthr, sizeof(*side));
	struct sshared sh = { .sendf = wl == WL_SENDFILE, .size = size, .ffd = -1 };
	unsigned char *payload = NULL;

	if (!meas || !peer || !side)
		die("out of memory");
	for (int i = 0; i < n; i++) {
		meas[i].fd = -1;
		peer[i].fd = -1;
		meas[i].left = share;
	}
	if (!share) {
		na(r, "--mb too small for %d connections", n);
		goto out;
	}
	if (scale_connect(impl, cipher, ver, wl == WL_RX, n, meas, peer, r))
		goto out;
	payload = scale_payload(wl, impl, cipher, ver, size, share, &sh.len);
	if (!payload)
		die("out of memory");
	sh.buf = payload;
	if (sh.sendf)
		sh.ffd = file_fd();
	scale_sides(wl, &sh, n, nthr, meas, peer, side);
	scale_measure(&sh, side, nthr, bytes, r);
	scale_check(wl, side, nthr, peer, n, bytes, r);
out:
	for (int k = 0; k < 2 * nthr; k++)
		free(side[k].rbuf);
	for (int i = 0; i < n; i++) {
		if (meas[i].fd >= 0)
			close(meas[i].fd);
		if (peer[i].fd >= 0)
			close(peer[i].fd);
	}
	if (sh.ffd >= 0)
		close(sh.ffd);
	free(payload);
	free(side);
	free(meas);
	free(peer);
}

/* ---- memory per busy connection ---- */

/* Per direction and connection: eight 16 KiB records, beyond the window. */
#define BUSY_BYTES	(128 * 1024)

/* Write @len bytes of @buf to non-blocking @fd until it would block. */
static size_t write_until_full(int fd, const unsigned char *buf, size_t len,
			       size_t chunk)
{
	size_t done = 0;

	while (done < len) {
		size_t c = len - done < chunk ? len - done : chunk;
		ssize_t n = send(fd, buf + done, c, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += n;
	}
	return done;
}

/*
 * Queue traffic both ways that nobody reads: the peer writes records to
 * the measured end (its RX), the measured end sends plaintext (its TX),
 * each until the socket would block or BUSY_BYTES. Returns 0 or -1.
 */
static int busy_fill(int impl, int cipher, int ver, int n, int (*fds)[2],
		     struct result *r)
{
	unsigned char *plain = calloc(1, BUSY_BYTES), *wire = plain;
	size_t len = BUSY_BYTES, tx = 0, rx = 0;

	if (!plain)
		die("out of memory");
	if (impl != IMPL_TCP)
		wire = build_records(cipher, ver, MAX_REC, BUSY_BYTES, &len);
	for (int i = 0; i < n; i++) {
		set_nonblock(fds[i][0]);
		set_nonblock(fds[i][1]);
		rx += write_until_full(fds[i][1], wire, len, len);
		tx += write_until_full(fds[i][0], plain, BUSY_BYTES, MAX_REC);
	}
	if (wire != plain)
		free(wire);
	free(plain);
	r->queued_tx = (double)tx / n;
	r->queued_rx = (double)rx / n;
	if (!tx || !rx) {
		na(r, "nothing queued (%zu bytes sent, %zu fed)", tx, rx);
		return -1;
	}
	return 0;
}

/*
 * As run_mem(), with traffic in flight: @n connections, TX and RX keys on
 * one end (kernel kTLS; tcp without keys, the baseline), data queued both
 * ways (busy_fill()). Two figures per connection, both ends together:
 * live slab objects (slab_bytes(), exact for what lives in slab but blind
 * to pages: skb page frags, record pages) and the MemFree drop (sees those
 * pages too, slab included, but not what the per-CPU page lists absorb,
 * a few hundred KB per CPU: meaningful with many connections only).
 */
static void run_mem_busy(int impl, int cipher, int ver, int n, struct result *r)
{
	int (*fds)[2] = calloc(n, sizeof(*fds)), i;
	struct sockaddr_in addr;
	double before, after;
	long free_before, free_after;
	int l = listener(&addr);

	if (!fds)
		die("out of memory");
	for (i = 0; i < n; i++)
		tcp_pair_on(l, &addr, fds[i]);
	close(l);
	before = slab_bytes();
	free_before = meminfo_kb("MemFree");
	i = impl == IMPL_TCP ? n : mem_keys(impl, cipher, ver, n, fds, r);
	if (i == n && !busy_fill(impl, cipher, ver, n, fds, r)) {
		after = slab_bytes();
		free_after = meminfo_kb("MemFree");
		mem_per_sock(r, n, after - before, free_before - free_after);
	}
	close_pairs(fds, n);
}

/* ---- driver ---- */

/* Rows that are not measured at all (not even as n/a). */
static int row_skipped(int wl, int impl, int conns)
{
	int kernel = impl == IMPL_OURS || impl == IMPL_INTREE;

	/* The ceiling has no file, memory or many-connection row. */
	if (impl == IMPL_AEAD && (conns || (wl != WL_TX && wl != WL_RX)))
		return 1;
	/* Memory is kernel kTLS only; busy memory has tcp as its baseline. */
	return (wl == WL_MEM && !kernel) ||
	       (wl == WL_MEM_BUSY && !kernel && impl != IMPL_TCP);
}

/* @conns: connections at once (--conns rows), 0 for the one-connection rows. */
static void run_one(int wl, int impl, int cipher, int ver, size_t size,
		    int conns, int round)
{
	struct result r = { .conns = conns };
	size_t bytes = opt.bytes;

	if (row_skipped(wl, impl, conns))
		return;
	/* OpenSSL cannot speak the null cipher; AF_ALG would time a copy. */
	if (opt.null_cipher && (impl == IMPL_USER || impl == IMPL_AEAD)) {
		na(&r, "not with the null cipher");
		report(wl, impl, cipher, ver, size, round, &r);
		return;
	}
	/* cryptd only changes what the kernel modules encrypt with. */
	if (opt.cryptd && impl != IMPL_OURS && impl != IMPL_INTREE) {
		na(&r, "kernel modules only with cryptd");
		report(wl, impl, cipher, ver, size, round, &r);
		return;
	}
	/* OpenSSL's non-blocking I/O is not written here (yet). */
	if (conns && impl == IMPL_USER) {
		na(&r, "one connection only");
		report(wl, impl, cipher, ver, size, round, &r);
		return;
	}
	/*
	 * Plain TCP is about ten times faster: give it more bytes so that its
	 * CPU time is well above the 10 ms resolution of /proc/stat.
	 */
	if (impl == IMPL_TCP)
		opt.bytes *= 8;
	if (impl == IMPL_AEAD)
		run_aead(cipher, ver, size, wl == WL_RX, &r);
	else if (wl == WL_MEM_BUSY)
		run_mem_busy(impl, cipher, ver, conns, &r);
	else if (conns)
		run_scale(wl, impl, cipher, ver, size, conns, &r);
	else if (wl == WL_TX || wl == WL_SENDFILE)
		run_tx(impl, cipher, ver, size, wl == WL_SENDFILE, &r);
	else if (wl == WL_RX)
		run_rx(impl, cipher, ver, size, &r);
	else
		run_mem(impl, cipher, ver, &r);
	opt.bytes = bytes;
	report(wl, impl, cipher, ver, size, round, &r);
}

static int lookup(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	if (names == cipher_names && !strcmp(s, "aes128"))
		return C_AES128;
	if (names == cipher_names && !strcmp(s, "chacha"))
		return C_CHACHA;
	die("unknown name '%s'", s);
	return -1;
}

static int parse_list(const char *arg, const char *const *names, int n, int *out)
{
	char *s = strdup(arg), *save = NULL, *tok;
	int k = 0;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		out[k++] = lookup(names, n, tok);
	free(s);
	return k;
}

static void usage(void)
{
	printf("Usage: ktls-bench [options]\n"
	       "  --impls LIST       ours,intree,user,tcp,aead\n"
	       "  --workloads LIST   tx,sendfile,rx,mem,mem-busy\n"
	       "  --ciphers LIST     aes128gcm,chacha20poly1305\n"
	       "  --versions LIST    1.3,1.2\n"
	       "  --sizes LIST       write/record sizes in bytes (1024,4096,16384)\n"
	       "  --rounds N         interleaved rounds (3)\n"
	       "  --mb N             MB of plaintext per measurement (16)\n"
	       "  --mem-sockets N    sockets for the memory figure (1000)\n"
	       "  --conns LIST       tx, sendfile, rx over that many connections at\n"
	       "                     once, a thread per CPU; mem-busy over that many\n"
	       "                     (default: one connection; mem-busy 256)\n"
	       "  --ours-ulp NAME    ULP name of our module (ktlsb)\n"
	       "  --intree-ulp NAME  ULP name of the in-tree module (tls)\n"
	       "  --file PATH        tmpfs file for sendfile (/tmp/ktls-bench.dat)\n"
	       "  --perf-ctl FIFO    perf record --control fifo: sample measurements only\n"
	       "  --rx-no-pad 0|1    set TLS_RX_EXPECT_NO_PAD on TLS 1.3 receivers (0)\n"
	       "  --null-cipher 0|1  the kernel AEADs are bench/null_aead.c's: null records,\n"
	       "                     a check that both modules use it, user and aead n/a (0)\n"
	       "  --cryptd 0|1       gcm(aes) of both modules through cryptd (asynchronous),\n"
	       "                     checked per module; aes128gcm only, kernel rows only (0)\n");
}

/* The connection counts of a workload's rows; 0 is the one-connection row. */
static int conns_list(int wl, int *out)
{
	if (wl == WL_MEM) {
		out[0] = 0;
		return 1;
	}
	if (!opt.nconns) {
		out[0] = wl == WL_MEM_BUSY ? BUSY_DEFAULT_CONNS : 0;
		return 1;
	}
	memcpy(out, opt.conns, opt.nconns * sizeof(*out));
	return opt.nconns;
}

/* Every implementation, in an order that rotates with the round. */
static void run_impls(int round, int wl, int cipher, int ver, int s)
{
	/* sendfile and the memory rows do not depend on the write size. */
	int sizeless = wl == WL_SENDFILE || wl == WL_MEM || wl == WL_MEM_BUSY;
	int conns[MAX_CONNS], nconns = conns_list(wl, conns);

	if (sizeless && s)
		return;
	for (int c = 0; c < nconns; c++) {
		for (int k = 0; k < opt.nimpls; k++) {
			int impl = opt.impls[(k + round - 1) % opt.nimpls];

			run_one(wl, impl, cipher, ver, sizeless ? 0 : opt.sizes[s],
				conns[c], round);
		}
	}
}

/* --conns: a comma-separated list of connection counts. */
static void parse_conns(const char *arg)
{
	char *s = strdup(arg), *save = NULL, *tok;

	opt.nconns = 0;
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long n = strtol(tok, NULL, 10);

		if (opt.nconns == MAX_CONNS || n < 1 || n > 4096)
			die("--conns: %s (at most %d counts of 1..4096)", tok, MAX_CONNS);
		opt.conns[opt.nconns++] = (int)n;
	}
	free(s);
}

/* Two descriptors per socket pair, for the most sockets any row opens. */
static void raise_nofile(void)
{
	rlim_t most = opt.mem_sockets;
	struct rlimit rl;

	if (most < BUSY_DEFAULT_CONNS)
		most = BUSY_DEFAULT_CONNS;
	for (int i = 0; i < opt.nconns; i++)
		if ((rlim_t)opt.conns[i] > most)
			most = opt.conns[i];
	rl.rlim_cur = 2 * most + 256;
	rl.rlim_max = rl.rlim_cur;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit NOFILE: %s", strerror(errno));
}

static void run_round(int round)
{
	for (int w = 0; w < opt.nwls; w++)
		for (int c = 0; c < opt.nciphers; c++)
			for (int v = 0; v < opt.nversions; v++)
				for (int s = 0; s < opt.nsizes; s++)
					run_impls(round, opt.wls[w], opt.ciphers[c],
						  opt.versions[v], s);
}

int main(int argc, char **argv)
{
	static const char *const ver_names[] = { "1.2", "1.3" };
	int vidx[2];

	opt.impls[0] = IMPL_OURS; opt.impls[1] = IMPL_INTREE;
	opt.impls[2] = IMPL_USER; opt.impls[3] = IMPL_TCP;
	opt.impls[4] = IMPL_AEAD; opt.nimpls = 5;
	opt.wls[0] = WL_TX; opt.wls[1] = WL_SENDFILE; opt.wls[2] = WL_RX;
	opt.wls[3] = WL_MEM; opt.nwls = 4;
	opt.ciphers[0] = C_AES128; opt.nciphers = 1;
	opt.versions[0] = 13; opt.nversions = 1;
	opt.sizes[0] = 1024; opt.sizes[1] = 4096; opt.sizes[2] = 16384;
	opt.nsizes = 3;
	opt.rounds = 3;
	opt.bytes = 16u << 20;
	opt.mem_sockets = 1000;
	opt.ours_ulp = "ktlsb";
	opt.intree_ulp = "tls";
	opt.file = "/tmp/ktls-bench.dat";
	opt.perf_ctl = -1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage();
			return 0;
		}
		if (!v)
			die("%s needs a value", a);
		i++;
		if (!strcmp(a, "--impls")) {
			opt.nimpls = parse_list(v, impl_names, IMPL_NUM, opt.impls);
		} else if (!strcmp(a, "--workloads")) {
			opt.nwls = parse_list(v, wl_names, WL_NUM, opt.wls);
		} else if (!strcmp(a, "--ciphers")) {
			opt.nciphers = parse_list(v, cipher_names, C_NUM, opt.ciphers);
		} else if (!strcmp(a, "--versions")) {
			opt.nversions = parse_list(v, ver_names, 2, vidx);
			for (int k = 0; k < opt.nversions; k++)
				opt.versions[k] = vidx[k] ? 13 : 12;
		} else if (!strcmp(a, "--sizes")) {
			char *s = strdup(v), *save = NULL, *tok;

			opt.nsizes = 0;
			for (tok = strtok_r(s, ",", &save); tok && opt.nsizes < 8;
			     tok = strtok_r(NULL, ",", &save)) {
				size_t sz = strtoul(tok, NULL, 0);

				if (!sz || sz > MAX_REC)
					die("size %s out of range (1..16384)", tok);
				opt.sizes[opt.nsizes++] = sz;
			}
			free(s);
		} else if (!strcmp(a, "--rounds")) {
			opt.rounds = atoi(v);
		} else if (!strcmp(a, "--mb")) {
			opt.bytes = strtoul(v, NULL, 0) << 20;
		} else if (!strcmp(a, "--conns")) {
			parse_conns(v);
		} else if (!strcmp(a, "--mem-sockets")) {
			opt.mem_sockets = atoi(v);
		} else if (!strcmp(a, "--ours-ulp")) {
			opt.ours_ulp = v;
		} else if (!strcmp(a, "--intree-ulp")) {
			opt.intree_ulp = v;
		} else if (!strcmp(a, "--file")) {
			opt.file = v;
		} else if (!strcmp(a, "--rx-no-pad")) {
			opt.rx_no_pad = !!atoi(v);
		} else if (!strcmp(a, "--null-cipher")) {
			opt.null_cipher = !!atoi(v);
		} else if (!strcmp(a, "--cryptd")) {
			opt.cryptd = !!atoi(v);
		} else if (!strcmp(a, "--perf-ctl")) {
			/* O_RDWR: do not block until perf opens its end. */
			opt.perf_ctl = open(v, O_RDWR);
			if (opt.perf_ctl < 0)
				die("open %s: %s", v, strerror(errno));
		} else {
			die("unknown option %s", a);
		}
	}
	if (opt.rounds < 1 || !opt.bytes || opt.mem_sockets < 1)
		die("bad --rounds, --mb or --mem-sockets");

	raise_nofile();
	/* The sendfile source: a tmpfs file larger than the socket buffers. */
	{
		int fd = open(opt.file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		char *blk = malloc(1 << 20);

		if (fd < 0 || !blk)
			die("cannot create %s: %s", opt.file, strerror(errno));
		for (unsigned int i = 0; i < FILE_SIZE >> 20; i++) {
			memset(blk, 'a' + i, 1 << 20);
			if (write_all(fd, blk, 1 << 20))
				die("write %s: %s", opt.file, strerror(errno));
		}
		close(fd);
		free(blk);
	}
	signal(SIGPIPE, SIG_IGN);
	ssl_init();
	if (opt.null_cipher)
		null_check();
	if (opt.cryptd)
		cryptd_setup();

	for (int round = 1; round <= opt.rounds; round++)
		run_round(round);
	unlink(opt.file);
	return 0;
}
