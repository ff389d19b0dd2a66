// SPDX-License-Identifier: GPL-2.0
/*
 * The executor: each program runs in a fresh child (its own process
 * group, so that the processes its fork calls make die with it) with one
 * thread per program thread. The threads open their own KCOV descriptor
 * (KCOV is per task), meet at a barrier so that their calls overlap, run
 * their calls in order and leave their tls.ko PCs in shared memory. The
 * fuzzer waits on a pidfd with a watchdog: past it the group gets
 * SIGKILL, and a child that even then does not end is stuck in the
 * kernel (a hang finding).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"

#define HIGH_FD		100
#define FORK_MAX_CALLS	4
#define REAP_MS		10000

struct thread_ctx {
	struct exec_env *env;
	struct exec_state *st;
	const struct prog *prog;
	pthread_barrier_t *start;
	int id;
};

/* The executor's own descriptors go above any a program's sockets get. */
static int move_high(int fd)
{
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD);

	close(fd);
	return hi;
}

/* A file of distinct bytes for sendfile and splice, made once. */
static int make_file(void)
{
	char path[] = "/tmp/ktls-fuzz-XXXXXX", block[4096];
	int fd = mkstemp(path), i;

	if (fd < 0)
		return -1;
	unlink(path);
	for (i = 0; i < (int)sizeof(block); i++)
		block[i] = (char)(i * 31 + 7);
	for (i = 0; i < EXEC_FILE_LEN / (int)sizeof(block); i++)
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
			return -1;
	return move_high(fd);
}

/*
 * The threads' data buffers, filled here once rather than in every
 * executor: the child gets them copy-on-write, and under TCG filling a
 * megabyte costs more than most programs.
 */
static int make_buffers(struct exec_env *e)
{
	int t, i;

	for (t = 0; t < PROG_THREADS; t++) {
		e->buf[t] = mmap(NULL, EXEC_BUF_LEN + 8192, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (e->buf[t] == MAP_FAILED)
			return -1;
		for (i = 0; i < EXEC_BUF_LEN; i++)
			e->buf[t][i] = (char)(i * 13 + t);
	}
	return 0;
}

int exec_init(struct exec_env *e, int want_kcov)
{
	struct kcov_thread k;

	memset(e, 0, sizeof(*e));
	e->watchdog_ms = EXEC_WATCHDOG_MS;
	e->shm = mmap(NULL, sizeof(*e->shm), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (e->shm == MAP_FAILED)
		return -1;
	e->file_fd = make_file();
	if (e->file_fd < 0 || make_buffers(e))
		return -1;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (want_kcov && !kcov_module_range(&e->range) && !kcov_open(&k)) {
		kcov_close(&k);
		e->use_kcov = 1;
	}
	return 0;
}

static int setup_state(struct exec_state *st, const struct exec_env *e)
{
	int p[2], i, t;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < PROG_SLOTS; i++)
		st->slot[i] = -1;
	st->lfam = AF_INET;
	st->file_fd = e->file_fd;
	for (t = 0; t < PROG_THREADS; t++) {
		if (pipe2(p, O_NONBLOCK))
			return -1;
		st->pipe_rd[t] = move_high(p[0]);
		st->pipe_wr[t] = move_high(p[1]);
		if (st->pipe_rd[t] < 0 || st->pipe_wr[t] < 0)
			return -1;
	}
	st->epoll_fd = move_high(epoll_create1(0));
	return st->epoll_fd < 0 ? -1 : 0;
}

/* The next call of thread @t from @i on, or ncalls. */
static int next_call(const struct prog *p, int t, int i)
{
	while (i < p->ncalls && p->calls[i].thread != t)
		i++;
	return i;
}

/*
 * The forked child's own pipe for its thread: sharing the parent's, one
 * could fill or empty it between the other's FIONREAD and splice, and
 * that splice would then wait on the pipe with no timeout (a false
 * timeout finding).
 */
static void own_pipe(struct exec_state *st, int t)
{
	int p[2];

	if (pipe2(p, O_NONBLOCK))
		return;
	close(st->pipe_rd[t]);
	close(st->pipe_wr[t]);
	st->pipe_rd[t] = move_high(p[0]);
	st->pipe_wr[t] = move_high(p[1]);
}

/* A fork call: the child runs the thread's next few calls and exits. */
static int run_fork(struct thread_ctx *tc, char *buf, int i)
{
	const struct prog *p = tc->prog;
	int n = p->calls[i].arg[0], j = i;
	pid_t pid;

	if (n < 0 || n > FORK_MAX_CALLS)
		n = n < 0 ? 0 : FORK_MAX_CALLS;
	pid = fork();
	if (!pid)
		own_pipe(tc->st, tc->id);
	tc->env->shm->ret[i] = pid < 0 ? -errno : pid;
	while (n-- && (j = next_call(p, tc->id, j + 1)) < p->ncalls) {
		if (!pid)
			call_run(tc->st, buf, &p->calls[j]);
	}
	if (!pid)
		_exit(0);
	return j;
}

static void run_calls(struct thread_ctx *tc, char *buf)
{
	const struct prog *p = tc->prog;
	int i;

	for (i = next_call(p, tc->id, 0); i < p->ncalls; i = next_call(p, tc->id, i + 1)) {
		if (p->calls[i].kind == C_FORK)
			i = run_fork(tc, buf, i);
		else
			tc->env->shm->ret[i] = call_run(tc->st, buf, &p->calls[i]);
	}
}

static void *thread_main(void *arg)
{
	struct thread_ctx *tc = arg;
	struct exec_shared *shm = tc->env->shm;
	struct kcov_thread k = { -1, MAP_FAILED };
	int cov = tc->env->use_kcov && !kcov_open(&k);

	pthread_barrier_wait(tc->start);
	cov = cov && !kcov_enable(&k);
	run_calls(tc, tc->env->buf[tc->id]);
	if (cov) {
		shm->npcs[tc->id] = kcov_collect(&k, &tc->env->range, shm->pcs[tc->id],
						 EXEC_MAX_PCS);
		shm->kcov_ok[tc->id] = 1;
	}
	kcov_close(&k);
	return NULL;
}

/* Thread 0 always runs (it collects nothing else); thread 1 if it has calls. */
static int threads_used(const struct prog *p)
{
	return next_call(p, 1, 0) < p->ncalls ? 2 : 1;
}

static void child_main(struct exec_env *e, const struct prog *p)
{
	struct thread_ctx tc[PROG_THREADS];
	pthread_t th[PROG_THREADS];
	pthread_barrier_t start;
	struct exec_state st;
	int t, n = threads_used(p);

	setpgid(0, 0);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (setup_state(&st, e))
		_exit(2);
	pthread_barrier_init(&start, NULL, n);
	for (t = 0; t < n; t++) {
		tc[t] = (struct thread_ctx){ e, &st, p, &start, t };
		if (pthread_create(&th[t], NULL, thread_main, &tc[t]))
			_exit(2);
	}
	for (t = 0; t < n; t++)
		pthread_join(th[t], NULL);
	_exit(0);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to @ms for @pid to end; 1 if it did. */
static int wait_exit(int pidfd, pid_t pid, int ms)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	long end = now_ms() + ms;
	siginfo_t si;

	if (pidfd >= 0)
		return poll(&pfd, 1, ms) > 0;
	do {
		si.si_pid = 0;
		if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid)
			return 1;
		usleep(1000);
	} while (now_ms() < end);
	return 0;
}

/* Collects what is left of earlier programs' forked processes. */
static void reap_orphans(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void watch(struct exec_env *e, pid_t pid, struct exec_result *res)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), status = 0;

	if (!wait_exit(pidfd, pid, e->watchdog_ms)) {
		res->status = EXEC_TIMEOUT;
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		if (!wait_exit(pidfd, pid, REAP_MS)) {
			res->status = EXEC_HANG;
			goto out;
		}
	}
	waitpid(pid, &status, 0);
	kill(-pid, SIGKILL);
	if (res->status == EXEC_OK && WIFSIGNALED(status)) {
		res->status = EXEC_SIGNAL;
		res->sig = WTERMSIG(status);
	}
	if (res->status == EXEC_OK && WIFEXITED(status) && WEXITSTATUS(status))
		res->status = EXEC_ERROR;
out:
	if (pidfd >= 0)
		close(pidfd);
	reap_orphans();
}

void exec_run(struct exec_env *e, const struct prog *p, struct exec_result *res)
{
	long start = now_ms();
	pid_t pid;
	int i;

	memset(res, 0, sizeof(*res));
	memset(e->shm, 0, offsetof(struct exec_shared, pcs));
	for (i = 0; i < PROG_MAX_CALLS; i++)
		e->shm->ret[i] = EXEC_CALL_UNRUN;
	pid = fork();
	if (pid < 0) {
		res->status = EXEC_ERROR;
		return;
	}
	if (!pid)
		child_main(e, p);
	watch(e, pid, res);
	res->ms = now_ms() - start;
}
