// SPDX-License-Identifier: GPL-2.0
/*
 * ktls-sendfile: send a file over a real TLS connection with OpenSSL,
 * kTLS switched on the way an unmodified application gets it.
 *
 *   ktls-sendfile server -f FILE [options]   listen, handshake, send FILE
 *   ktls-sendfile client [options]           connect, handshake, receive
 *   ktls-sendfile mkcert CERT KEY            a self-signed P-256 pair (PEM)
 *
 * The program never calls setsockopt(TCP_ULP) itself: libssl does, after
 * the handshake, when SSL_OP_ENABLE_KTLS is set on the context. By default
 * that option comes from OpenSSL's configuration file (OPENSSL_CONF, a
 * system_default section with "Options = KTLS"); --ktls code sets it in
 * code instead, --ktls off clears it (a peer whose TLS is all userspace).
 *
 * The server sends the file with SSL_sendfile() (sendfile() on the kTLS
 * socket) when libssl has kTLS on for sending, with SSL_write() otherwise.
 * The client reads with SSL_read() (kTLS RX when on) and hashes what it
 * got. With -n BYTES it then sends "sha256 HEX\n" back, which the server
 * compares with the file's hash, so both directions carry data. Each side
 * prints the negotiated version and cipher, what BIO_get_ktls_send() and
 * BIO_get_ktls_recv() say, the bytes, the time and the throughput, and
 * exits 0 only if everything worked.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define BUF_SIZE	(64 * 1024)
#define HASH_HEX	(2 * 32 + 1)
#define CONNECT_TRIES	100	/* 10 s: the server may still be starting */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum ktls_mode { KTLS_CONFIG, KTLS_CODE, KTLS_OFF };

struct opts {
	const char *role;
	const char *host;
	int port;
	int version;		/* TLS1_2_VERSION, TLS1_3_VERSION or 0: any */
	const char *cipher;	/* a short name of ciphers[], or NULL */
	const char *file;	/* server: what to send */
	const char *cert, *key;	/* server: PEM files instead of a new pair */
	long long expect;	/* client: bytes to read, then reply; -1: to EOF */
	const char *request;	/* client: an HTTP request to send first */
	enum ktls_mode ktls;
	int no_reply;		/* server: the client will not send a hash back */
	int hold;		/* server: seconds to keep the connection open */
};

/* The ciphers kTLS has that OpenSSL 3.0 may hand to it, by TLS version. */
static const struct cipher_name {
	const char *name;
	const char *tls12;	/* SSL_CTX_set_cipher_list() name (ECDSA cert) */
	const char *tls13;	/* SSL_CTX_set_ciphersuites() name */
} ciphers[] = {
	{ "aes128gcm", "ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256" },
	{ "aes256gcm", "ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_AES_256_GCM_SHA384" },
	{ "chacha", "ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_CHACHA20_POLY1305_SHA256" },
	{ "aes128ccm", "ECDHE-ECDSA-AES128-CCM", "TLS_AES_128_CCM_SHA256" },
};

static const char *role = "ktls-sendfile";

static void fail(const char *what)
{
	fprintf(stderr, "%s: %s\n", role, what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ktls-sendfile server -f FILE [options]\n"
		"       ktls-sendfile client [options]\n"
		"       ktls-sendfile mkcert CERT KEY\n"
		"Options:\n"
		"  -H, --host ADDR     IPv4 address (default 127.0.0.1)\n"
		"  -p, --port PORT     TCP port (default 4433)\n"
		"  -v, --version V     1.2 or 1.3 (default: whatever is negotiated)\n"
		"  -c, --cipher NAME   aes128gcm, aes256gcm, chacha or aes128ccm\n"
		"  -k, --ktls MODE     config: as OPENSSL_CONF says (default),\n"
		"                      code: set SSL_OP_ENABLE_KTLS, off: clear it\n"
		"  -f, --file FILE     server: the file to send\n"
		"      --cert F --key F  server: a PEM pair (default: a new P-256 pair)\n"
		"      --no-reply      server: the client sends no hash back\n"
		"      --hold SEC      server: keep the connection open SEC s after it\n"
		"  -n, --bytes N       client: read N bytes, then send their hash back\n"
		"                      (default: read to the end, send nothing)\n"
		"  -r, --request PATH  client: send \"GET /PATH HTTP/1.0\" first and\n"
		"                      drop the response header (openssl s_server -WWW)\n");
}

static const struct cipher_name *cipher_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ciphers); i++)
		if (!strcmp(ciphers[i].name, name))
			return &ciphers[i];
	fprintf(stderr, "%s: unknown cipher %s\n", role, name);
	exit(2);
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "version", required_argument, NULL, 'v' },
		{ "cipher", required_argument, NULL, 'c' },
		{ "ktls", required_argument, NULL, 'k' },
		{ "file", required_argument, NULL, 'f' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ "no-reply", no_argument, NULL, 'N' },
		{ "hold", required_argument, NULL, 'o' },
		{ "bytes", required_argument, NULL, 'n' },
		{ "request", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	*o = (struct opts){ .host = "127.0.0.1", .port = 4433, .expect = -1 };
	while ((c = getopt_long(argc, argv, "H:p:v:c:k:f:n:r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			o->host = optarg;
			break;
		case 'p':
			o->port = atoi(optarg);
			break;
		case 'v':
			o->version = !strcmp(optarg, "1.2") ? TLS1_2_VERSION :
				     !strcmp(optarg, "1.3") ? TLS1_3_VERSION : -1;
			break;
		case 'c':
			o->cipher = cipher_by_name(optarg)->name;
			break;
		case 'k':
			o->ktls = !strcmp(optarg, "code") ? KTLS_CODE :
				  !strcmp(optarg, "off") ? KTLS_OFF :
				  !strcmp(optarg, "config") ? KTLS_CONFIG : -1;
			break;
		case 'f':
			o->file = optarg;
			break;
		case 'C':
			o->cert = optarg;
			break;
		case 'K':
			o->key = optarg;
			break;
		case 'N':
			o->no_reply = 1;
			break;
		case 'o':
			o->hold = atoi(optarg);
			break;
		case 'n':
			o->expect = atoll(optarg);
			break;
		case 'r':
			o->request = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc - 1 || o->version < 0 || (int)o->ktls < 0) {
		usage(stderr);
		exit(2);
	}
	o->role = argv[optind];
	if (strcmp(o->role, "server") && strcmp(o->role, "client")) {
		usage(stderr);
		exit(2);
	}
	if (!strcmp(o->role, "server") && !o->file)
		fail("the server needs -f FILE");
}

/* A self-signed P-256 certificate, valid for a day either side of now. */
static void make_cert(X509 **cert, EVP_PKEY **key)
{
	*key = EVP_EC_gen("P-256");
	*cert = X509_new();
	if (!*key || !*cert)
		fail("cannot make a key");
	ASN1_INTEGER_set(X509_get_serialNumber(*cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(*cert), -86400);
	X509_gmtime_adj(X509_getm_notAfter(*cert), 86400);
	X509_set_pubkey(*cert, *key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(*cert), "CN", MBSTRING_ASC,
				   (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(*cert, X509_get_subject_name(*cert));
	if (!X509_sign(*cert, *key, EVP_sha256()))
		fail("cannot sign the certificate");
}

static int mkcert(const char *cert_path, const char *key_path)
{
	FILE *cf = fopen(cert_path, "w"), *kf = fopen(key_path, "w");
	EVP_PKEY *key;
	X509 *cert;

	if (!cf || !kf)
		fail("cannot create the PEM files");
	make_cert(&cert, &key);
	if (!PEM_write_X509(cf, cert) ||
	    !PEM_write_PrivateKey(kf, key, NULL, NULL, 0, NULL, NULL))
		fail("cannot write the PEM files");
	fclose(cf);
	fclose(kf);
	return 0;
}

/*
 * The context: SSL_CTX_new() applies the configuration file's
 * system_default section (OPENSSL_CONF), where "Options = KTLS" sets
 * SSL_OP_ENABLE_KTLS; --ktls code/off overrides it here.
 */
static SSL_CTX *make_ctx(const struct opts *o, int server)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	const struct cipher_name *c;

	if (!ctx)
		fail("SSL_CTX_new failed");
	printf("%s: SSL_OP_ENABLE_KTLS %s by OpenSSL's configuration\n", role,
	       SSL_CTX_get_options(ctx) & SSL_OP_ENABLE_KTLS ? "set" : "not set");
	if (o->ktls == KTLS_CODE)
		SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS);
	else if (o->ktls == KTLS_OFF)
		SSL_CTX_clear_options(ctx, SSL_OP_ENABLE_KTLS);
	if (o->version && (!SSL_CTX_set_min_proto_version(ctx, o->version) ||
			   !SSL_CTX_set_max_proto_version(ctx, o->version)))
		fail("cannot set the TLS version");
	if (o->cipher) {
		c = cipher_by_name(o->cipher);
		if (!SSL_CTX_set_cipher_list(ctx, c->tls12) ||
		    !SSL_CTX_set_ciphersuites(ctx, c->tls13))
			fail("cannot set the cipher");
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return ctx;
}

static void load_cert(SSL_CTX *ctx, const struct opts *o)
{
	EVP_PKEY *key;
	X509 *cert;

	if (o->cert || o->key) {
		if (!SSL_CTX_use_certificate_file(ctx, o->cert, SSL_FILETYPE_PEM) ||
		    !SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM))
			fail("cannot load the certificate");
		return;
	}
	make_cert(&cert, &key);
	if (!SSL_CTX_use_certificate(ctx, cert) || !SSL_CTX_use_PrivateKey(ctx, key))
		fail("cannot use the certificate");
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void addr_of(const struct opts *o, struct sockaddr_in *a)
{
	*a = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(o->port) };
	if (inet_pton(AF_INET, o->host, &a->sin_addr) != 1)
		fail("bad address");
}

static int accept_one(const struct opts *o)
{
	struct sockaddr_in a;
	int one = 1, lfd, fd;

	addr_of(o, &a);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1))
		fail("cannot listen");
	printf("%s: listening on %s:%d\n", role, o->host, o->port);
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		fail("accept failed");
	close(lfd);
	return fd;
}

static int connect_retrying(const struct opts *o)
{
	struct sockaddr_in a;
	int i, fd;

	addr_of(o, &a);
	for (i = 0; i < CONNECT_TRIES; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			fail("socket failed");
		if (!connect(fd, (struct sockaddr *)&a, sizeof(a)))
			return fd;
		close(fd);
		if (errno != ECONNREFUSED)
			break;
		usleep(100000);
	}
	fail("cannot connect");
	return -1;
}

/* What the user wants to know once the handshake is done. */
static void report_session(SSL *ssl)
{
	printf("%s: %s %s\n", role, SSL_get_version(ssl), SSL_get_cipher_name(ssl));
	printf("%s: kTLS send %s, recv %s\n", role,
	       BIO_get_ktls_send(SSL_get_wbio(ssl)) ? "on" : "off",
	       BIO_get_ktls_recv(SSL_get_rbio(ssl)) ? "on" : "off");
}

static void report_transfer(const char *verb, long long bytes, double secs, const char *how)
{
	printf("%s: %s %lld bytes in %.3f s, %.1f MiB/s (%s)\n", role, verb, bytes,
	       secs, secs > 0 ? bytes / secs / (1 << 20) : 0.0, how);
}

static void hex_digest(EVP_MD_CTX *md, char hex[HASH_HEX])
{
	unsigned char d[32];
	unsigned int i, n = 0;

	EVP_DigestFinal_ex(md, d, &n);
	for (i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", d[i]);
}

static void hash_file(const char *path, char hex[HASH_HEX], long long *size)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	static char buf[BUF_SIZE];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f || !md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		fail("cannot read the file");
	*size = 0;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		EVP_DigestUpdate(md, buf, n);
		*size += n;
	}
	fclose(f);
	hex_digest(md, hex);
	EVP_MD_CTX_free(md);
}

/* Without kTLS TX, SSL_sendfile() refuses: the same bytes by SSL_write(). */
static long long send_by_write(SSL *ssl, int fd)
{
	static char buf[BUF_SIZE];
	long long total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (SSL_write(ssl, buf, n) != n)
			fail("SSL_write failed");
		total += n;
	}
	return total;
}

static long long send_by_sendfile(SSL *ssl, int fd, long long size)
{
	long long total = 0;
	ossl_ssize_t n;

	while (total < size) {
		n = SSL_sendfile(ssl, fd, total, size - total, 0);
		if (n <= 0)
			fail("SSL_sendfile failed");
		total += n;
	}
	return total;
}

static void send_file(SSL *ssl, const struct opts *o, long long size)
{
	int ktls_tx = BIO_get_ktls_send(SSL_get_wbio(ssl));
	int fd = open(o->file, O_RDONLY);
	long long sent;
	double t;

	if (fd < 0)
		fail("cannot open the file");
	t = now();
	sent = ktls_tx ? send_by_sendfile(ssl, fd, size) : send_by_write(ssl, fd);
	t = now() - t;
	close(fd);
	report_transfer("sent", sent, t, ktls_tx ? "SSL_sendfile" : "SSL_write, no kTLS TX");
	if (sent != size)
		fail("the file changed while it was sent");
}

/* The client's "sha256 HEX\n" line, compared with the file's hash. */
static int check_reply(SSL *ssl, const char *hex)
{
	char line[128] = "", want[128];
	int n, got = 0;

	while (got < (int)sizeof(line) - 1 && !strchr(line, '\n')) {
		n = SSL_read(ssl, line + got, sizeof(line) - 1 - got);
		if (n <= 0)
			break;
		got += n;
		line[got] = 0;
	}
	snprintf(want, sizeof(want), "sha256 %s\n", hex);
	if (strcmp(line, want)) {
		printf("%s: the client's sha256 differs: %s\n", role, got ? line : "(none)");
		return 1;
	}
	printf("%s: the client's sha256 matches the file's\n", role);
	return 0;
}

static int run_server(const struct opts *o)
{
	SSL_CTX *ctx = make_ctx(o, 1);
	char hex[HASH_HEX];
	long long size;
	int fd, rc = 0;
	SSL *ssl;

	load_cert(ctx, o);
	hash_file(o->file, hex, &size);
	fd = accept_one(o);
	ssl = SSL_new(ctx);
	if (!ssl || !SSL_set_fd(ssl, fd) || SSL_accept(ssl) != 1)
		fail("handshake failed");
	report_session(ssl);
	send_file(ssl, o, size);
	printf("%s: sha256 %s\n", role, hex);
	if (!o->no_reply)
		rc = check_reply(ssl, hex);
	fflush(stdout);
	if (o->hold)
		sleep(o->hold);
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
	return rc;
}

/*
 * An HTTP response's header ends at the first "\r\n\r\n"; *matched
 * carries how much of it the previous buffer ended with. Returns the
 * offset of the body in buf, or n if it does not start in buf.
 */
static int skip_header(const char *buf, int n, int *matched)
{
	static const char end[] = "\r\n\r\n";
	int i;

	for (i = 0; i < n && *matched < 4; i++) {
		if (buf[i] == end[*matched])
			(*matched)++;
		else
			*matched = buf[i] == '\r';
	}
	return i;
}

static long long receive(SSL *ssl, const struct opts *o, EVP_MD_CTX *md)
{
	static char buf[BUF_SIZE];
	long long total = 0, want;
	int n, body, matched = o->request ? 0 : 4;

	for (;;) {
		want = sizeof(buf);
		if (o->expect >= 0 && o->expect - total < want)
			want = o->expect - total;
		if (!want)
			break;
		n = SSL_read(ssl, buf, want);
		if (n <= 0) {
			if (o->expect >= 0 || SSL_get_error(ssl, n) != SSL_ERROR_ZERO_RETURN)
				fail("SSL_read failed before the end of the data");
			break;
		}
		body = matched < 4 ? skip_header(buf, n, &matched) : 0;
		EVP_DigestUpdate(md, buf + body, n - body);
		total += n - body;
	}
	return total;
}

static void send_request(SSL *ssl, const char *path)
{
	char req[512];
	int n = snprintf(req, sizeof(req), "GET /%s HTTP/1.0\r\n\r\n", path);

	if (n >= (int)sizeof(req) || SSL_write(ssl, req, n) != n)
		fail("cannot send the request");
}

static int run_client(const struct opts *o)
{
	SSL_CTX *ctx = make_ctx(o, 0);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char hex[HASH_HEX], line[128];
	long long got;
	int fd, n;
	double t;
	SSL *ssl;

	fd = connect_retrying(o);
	ssl = SSL_new(ctx);
	if (!ssl || !md || !SSL_set_fd(ssl, fd) || SSL_connect(ssl) != 1)
		fail("handshake failed");
	report_session(ssl);
	if (o->request)
		send_request(ssl, o->request);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	t = now();
	got = receive(ssl, o, md);
	t = now() - t;
	hex_digest(md, hex);
	report_transfer("received", got, t, "SSL_read");
	printf("%s: sha256 %s\n", role, hex);
	fflush(stdout);
	if (o->expect >= 0) {
		n = snprintf(line, sizeof(line), "sha256 %s\n", hex);
		if (SSL_write(ssl, line, n) != n)
			fail("cannot send the hash back");
		/* Until the server's close_notify or its close. */
		while (SSL_read(ssl, line, sizeof(line)) > 0)
			;
	}
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
	EVP_MD_CTX_free(md);
	SSL_CTX_free(ctx);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;

	if (argc == 4 && !strcmp(argv[1], "mkcert"))
		return mkcert(argv[2], argv[3]);
	parse_args(argc, argv, &o);
	role = o.role;
	/* Loads OPENSSL_CONF (or the default file) before the first context. */
	if (!OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL))
		fail("OPENSSL_init_ssl failed");
	return !strcmp(role, "server") ? run_server(&o) : run_client(&o);
}
