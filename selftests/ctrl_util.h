/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the control-plane selftests (lifecycle, sockopt, stats,
 * diag): loopback TCP pairs for either family, attaching the ULP, building
 * crypto_info structs for every suite, reading /proc/net/tls_stat.
 */
#ifndef _KTLS_CTRL_UTIL_H
#define _KTLS_CTRL_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif
/* Newer than the uapi headers of the build host. */
#ifndef TLS_TX_MAX_PAYLOAD_LEN
#define TLS_TX_MAX_PAYLOAD_LEN 5
#endif
#define CTRL_TLS_INFO_TX_MAX_PAYLOAD_LEN 7

/* Every cipher's crypto_info fits in this. */
union ctrl_crypto {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 aes_gcm_128;
	struct tls12_crypto_info_aes_gcm_256 aes_gcm_256;
	struct tls12_crypto_info_aes_ccm_128 aes_ccm_128;
	struct tls12_crypto_info_chacha20_poly1305 chacha20_poly1305;
	struct tls12_crypto_info_sm4_gcm sm4_gcm;
	struct tls12_crypto_info_sm4_ccm sm4_ccm;
	struct tls12_crypto_info_aria_gcm_128 aria_gcm_128;
	struct tls12_crypto_info_aria_gcm_256 aria_gcm_256;
	unsigned char bytes[64];
};

/* Size of the uapi struct of @cipher; 0 if unknown. Written out, not taken
 * from the module, so that a wrong size in the module fails a test.
 */
static inline int ctrl_crypto_size(unsigned short cipher)
{
	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128:
	case TLS_CIPHER_AES_CCM_128:
	case TLS_CIPHER_SM4_GCM:
	case TLS_CIPHER_SM4_CCM:
	case TLS_CIPHER_ARIA_GCM_128:
		return 40;
	case TLS_CIPHER_AES_GCM_256:
	case TLS_CIPHER_CHACHA20_POLY1305:
	case TLS_CIPHER_ARIA_GCM_256:
		return 56;
	}
	return 0;
}

/* A crypto_info whose every byte after the header is distinct (seeded). */
static inline int ctrl_crypto_fill(union ctrl_crypto *c, unsigned short version,
				   unsigned short cipher, unsigned char seed)
{
	int i, len = ctrl_crypto_size(cipher);

	memset(c, 0, sizeof(*c));
	c->info.version = version;
	c->info.cipher_type = cipher;
	for (i = sizeof(c->info); i < len; i++)
		c->bytes[i] = (unsigned char)(seed + i);
	return len ? len : (int)sizeof(*c);
}

static inline int ctrl_attach(int fd)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls"));
}

/* A connected loopback pair of @family; returns 0 and fills fds, or -1. */
static inline int ctrl_tcp_pair(int family, int *client, int *server)
{
	struct sockaddr_storage ss = {};
	socklen_t len = sizeof(ss);
	int lfd;

	if (family == AF_INET6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_loopback;
		len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;

		a4->sin_family = AF_INET;
		a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a4);
	}
	lfd = socket(family, SOCK_STREAM, 0);
	if (lfd < 0)
		return -1;
	if (bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, 8) ||
	    getsockname(lfd, (struct sockaddr *)&ss, &len))
		goto fail;
	*client = socket(family, SOCK_STREAM, 0);
	if (*client < 0)
		goto fail;
	if (connect(*client, (struct sockaddr *)&ss, len))
		goto fail_client;
	*server = accept(lfd, NULL, NULL);
	if (*server < 0)
		goto fail_client;
	close(lfd);
	return 0;
fail_client:
	close(*client);
fail:
	close(lfd);
	return -1;
}

/* Monotonic time in ms, for tests that bound how long a call takes. */
#ifndef TLS_SET_RECORD_TYPE
#define TLS_SET_RECORD_TYPE	1
#endif
#ifndef TLS_GET_RECORD_TYPE
#define TLS_GET_RECORD_TYPE	2
#endif

/* sendmsg() of @len bytes as records of content type @type. */
static inline ssize_t ctrl_send_type(int fd, const void *buf, size_t len,
				     unsigned char type, int flags)
{
	char cbuf[CMSG_SPACE(sizeof(type))] = {};
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_TLS;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(sizeof(type));
	*CMSG_DATA(cm) = type;
	return sendmsg(fd, &msg, flags);
}

/* recvmsg() into @buf; *@type gets the records' content type, or -1. */
static inline ssize_t ctrl_recv_type(int fd, void *buf, size_t len,
				     int flags, int *type)
{
	char cbuf[CMSG_SPACE(sizeof(unsigned char))] = {};
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	ssize_t n;

	*type = -1;
	n = recvmsg(fd, &msg, flags);
	cm = CMSG_FIRSTHDR(&msg);
	if (n >= 0 && cm && cm->cmsg_level == SOL_TLS &&
	    cm->cmsg_type == TLS_GET_RECORD_TYPE)
		*type = *CMSG_DATA(cm);
	return n;
}

static inline long ctrl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A handler that does nothing: the signal is there to interrupt a call. */
static inline void ctrl_on_signal(int sig)
{
}

/* Close with an RST so that the socket is destroyed at once. */
/* The number a file (sysfs, debugfs) starts with, or -1. */
static inline long ctrl_read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long val = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

static inline void ctrl_close_now(int fd)
{
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
	close(fd);
}

#define CTRL_NUM_STATS 17

/* Upstream's names and order. */
static const char * const ctrl_stat_names[CTRL_NUM_STATS] = {
	"TlsCurrTxSw", "TlsCurrRxSw", "TlsCurrTxDevice", "TlsCurrRxDevice",
	"TlsTxSw", "TlsRxSw", "TlsTxDevice", "TlsRxDevice",
	"TlsDecryptError", "TlsRxDeviceResync", "TlsDecryptRetry",
	"TlsRxNoPadViolation", "TlsRxRekeyOk", "TlsRxRekeyError",
	"TlsTxRekeyOk", "TlsTxRekeyError", "TlsRxRekeyReceived",
};

enum {
	CTRL_CURR_TX_SW, CTRL_CURR_RX_SW, CTRL_CURR_TX_DEV, CTRL_CURR_RX_DEV,
	CTRL_TX_SW, CTRL_RX_SW, CTRL_TX_DEV, CTRL_RX_DEV,
	CTRL_DECRYPT_ERROR, CTRL_RX_DEV_RESYNC, CTRL_DECRYPT_RETRY,
	CTRL_RX_NO_PAD_VIOLATION,
};

/*
 * Read /proc/net/tls_stat of the calling task's netns into @val, checking
 * names, order and the exact line format. Returns the number of lines
 * read, or -1 when a line is malformed or a name is out of place.
 */
static inline int ctrl_read_stats(unsigned long val[CTRL_NUM_STATS])
{
	char line[128], name[64];
	FILE *f = fopen("/proc/net/tls_stat", "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t');
		int namelen;

		if (n >= CTRL_NUM_STATS || !tab || tab - line != 32)
			goto bad;
		if (sscanf(line, "%63s", name) != 1 ||
		    strcmp(name, ctrl_stat_names[n]))
			goto bad;
		namelen = strlen(name);
		if (strspn(line + namelen, " ") != (size_t)(32 - namelen))
			goto bad;
		if (sscanf(tab + 1, "%lu", &val[n]) != 1)
			goto bad;
		n++;
	}
	fclose(f);
	return n;
bad:
	fclose(f);
	return -1;
}

/*
 * A thread for a send() of CTRL_TCP_SEND_LEN zero bytes in one call, to
 * leave asleep in the kernel's sendmsg while the peer does not read.
 */
struct ctrl_sender {
	int fd;
	ssize_t sent;
};

#define CTRL_TCP_SEND_LEN (4 << 20)

static inline void *ctrl_send_big(void *arg)
{
	struct ctrl_sender *s = arg;
	char *buf = calloc(1, CTRL_TCP_SEND_LEN);

	s->sent = send(s->fd, buf, CTRL_TCP_SEND_LEN, 0);
	free(buf);
	return NULL;
}

#endif /* _KTLS_CTRL_UTIL_H */
