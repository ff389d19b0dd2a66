// SPDX-License-Identifier: GPL-2.0
/*
 * ktls-demo: show the tls module at work on a loopback TCP connection.
 *
 * Steps: attach the "tls" ULP to both ends, install TLS 1.2 AES-GCM-128
 * keys (TX on the client, RX on the server), send a message through the
 * kernel's record layer, and print /proc/net/tls_stat before and after.
 * Each step reports what the module did; a step the module cannot do yet
 * is reported with its errno and the later steps are skipped. The exit
 * status is that of the first failing step (0 if all worked), except that
 * "not supported" answers after a successful attach exit 0 with a notice.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tls.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef TCP_ULP
#define TCP_ULP 31
#endif
#ifndef SOL_TLS
#define SOL_TLS 282
#endif

static void show_stats(const char *when)
{
	char line[128];
	FILE *f = fopen("/proc/net/tls_stat", "r");

	printf("--- /proc/net/tls_stat %s ---\n", when);
	if (!f) {
		printf("(not available: %s)\n", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f))
		fputs(line, stdout);
	fclose(f);
}

static int tcp_pair(int *client, int *server)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	int lfd;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, len) ||
	    listen(lfd, 1) || getsockname(lfd, (struct sockaddr *)&addr, &len))
		return -1;
	*client = socket(AF_INET, SOCK_STREAM, 0);
	if (*client < 0 || connect(*client, (struct sockaddr *)&addr, len))
		return -1;
	*server = accept(lfd, NULL, NULL);
	close(lfd);
	return *server < 0 ? -1 : 0;
}

/* Report one step; returns 0 if it worked. */
static int step(const char *what, int ret)
{
	if (ret >= 0) {
		printf("[ok]   %s\n", what);
		return 0;
	}
	printf("[%s] %s: %s\n", errno == ENOPROTOOPT || errno == EOPNOTSUPP ?
	       "n/a " : "FAIL", what, strerror(errno));
	return -1;
}

static int keys_and_traffic(int client, int server)
{
	struct tls12_crypto_info_aes_gcm_128 ci = {
		.info.version = TLS_1_2_VERSION,
		.info.cipher_type = TLS_CIPHER_AES_GCM_128,
	};
	static const char msg[] = "hello from kernel TLS";
	char buf[64] = "";

	memset(ci.key, 0x42, sizeof(ci.key));
	memset(ci.salt, 0x24, sizeof(ci.salt));
	if (step("client: setsockopt(SOL_TLS, TLS_TX, AES-GCM-128)",
		 setsockopt(client, SOL_TLS, TLS_TX, &ci, sizeof(ci))) ||
	    step("server: setsockopt(SOL_TLS, TLS_RX, AES-GCM-128)",
		 setsockopt(server, SOL_TLS, TLS_RX, &ci, sizeof(ci))))
		return -1;
	if (step("client: send() through the TLS record layer",
		 send(client, msg, sizeof(msg), 0)) ||
	    step("server: recv() decrypted by the kernel",
		 recv(server, buf, sizeof(buf), 0)))
		return -1;
	printf("       received: \"%s\"\n", buf);
	return strcmp(buf, msg) ? -1 : 0;
}

int main(void)
{
	int client = -1, server = -1, ret;

	show_stats("before");
	if (step("loopback TCP connection", tcp_pair(&client, &server)) ||
	    step("client: setsockopt(TCP_ULP, \"tls\")",
		 setsockopt(client, IPPROTO_TCP, TCP_ULP, "tls", 4)) ||
	    step("server: setsockopt(TCP_ULP, \"tls\")",
		 setsockopt(server, IPPROTO_TCP, TCP_ULP, "tls", 4)))
		return 1;
	ret = keys_and_traffic(client, server);
	if (ret && (errno == ENOPROTOOPT || errno == EOPNOTSUPP)) {
		printf("notice: this build of the module does not do that step yet\n");
		ret = 0;
	}
	show_stats("after");
	close(client);
	close(server);
	return ret ? 1 : 0;
}
