/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running one program: a fresh child process (the executor) with one
 * thread per program thread, under a watchdog; coverage and the calls'
 * results come back through memory shared with the fuzzer.
 */
#ifndef KTLS_FUZZ_EXEC_H
#define KTLS_FUZZ_EXEC_H

#include <sys/socket.h>

#include "kcov.h"
#include "prog.h"

#define EXEC_MAX_PCS		(128 * 1024)
#define EXEC_BUF_LEN		(1024 * 1024)
#define EXEC_FILE_LEN		(256 << 10)
#define EXEC_SOCK_TIMEO_MS	200
/*
 * A legal program can block for a while: 32 calls of one thread at up to
 * 300 ms each (set_timeo() caps what a program sets), a second of linger
 * per socket at exit, and KASAN under TCG on top. The watchdog leaves
 * twice that, so that only a stuck program reaches it.
 */
#define EXEC_WATCHDOG_MS	30000
#define EXEC_CALL_UNRUN		(-1000000)	/* ret[] of a call not reached */

/* Written by the executor, read by the fuzzer after the child is gone. */
struct exec_shared {
	int kcov_ok[PROG_THREADS];
	unsigned int npcs[PROG_THREADS];
	long long ret[PROG_MAX_CALLS];		/* result, or -errno */
	uint64_t pcs[PROG_THREADS][EXEC_MAX_PCS];
};

struct exec_env {
	struct exec_shared *shm;
	int use_kcov;
	struct kcov_range range;
	int file_fd;
	int watchdog_ms;
	char *buf[PROG_THREADS];	/* filled once; each child writes its copy */
};

enum exec_status {
	EXEC_OK,	/* exited, whatever the calls returned */
	EXEC_SIGNAL,	/* killed by a signal the fuzzer did not send */
	EXEC_TIMEOUT,	/* past the watchdog, reaped after SIGKILL */
	EXEC_HANG,	/* not even SIGKILL ended it: stuck in the kernel */
	EXEC_ERROR,	/* the fuzzer's own failure (fork) */
};

struct exec_result {
	enum exec_status status;
	int sig;
	long ms;
};

/* The executor's resources, shared by its threads. */
struct exec_state {
	int slot[PROG_SLOTS];	/* read once per call: threads race on them */
	int pipe_rd[PROG_THREADS], pipe_wr[PROG_THREADS];	/* one per thread */
	int epoll_fd, file_fd;
	struct sockaddr_storage laddr;
	socklen_t laddr_len;
	int lfam;
};

int exec_init(struct exec_env *e, int want_kcov);
void exec_run(struct exec_env *e, const struct prog *p, struct exec_result *res);

/* One call, in the executor (calls.c); returns its result or -errno. */
long long call_run(struct exec_state *st, char *buf, const struct call *c);

#endif /* KTLS_FUZZ_EXEC_H */
