// SPDX-License-Identifier: GPL-2.0
/*
 * ktls-fuzz: a coverage-guided fuzzer of tls.ko through the socket API.
 * Programs (prog.h) of up to 32 calls over loopback TCP sockets, a
 * listener, a pipe and a file, run by two racing threads.
 *
 *   ktls-fuzz fuzz -o DIR [-c SEEDDIR] [-d SECONDS] [-n EXECS] [-s SEED]
 *                  [-t TOTAL] [-q]
 *     The seeds run first (each once), then the loop, for SECONDS from the
 *     start or EXECS programs after the seeds: generate or mutate a
 *     program, run it in a fresh child
 *     with KCOV on each thread, keep it as DIR/corpus/<hash>.prog when it
 *     reached tls.ko code not seen before. A kernel splat in /dev/kmsg, a
 *     signal, a run past the watchdog or an unkillable child is a finding:
 *     DIR/findings/<hash>.prog, .txt (what was seen) and .min.prog.
 *     Progress every 10 s; at the end DIR/coverage.txt (offsets from
 *     tls.ko's .text) and a summary. TOTAL, the number of coverage points
 *     of tls.ko (counted on the host), only makes the lines say "N of
 *     TOTAL". Without KCOV it fuzzes blind from generation and the seeds
 *     and says "coverage unavailable". Exits 1 if anything was found.
 *   ktls-fuzz replay [-v] FILE|DIR...
 *     Runs each program once with the same checks, prints KTAP, exits 1
 *     on any "not ok". What the calls return does not matter. -v prints
 *     every call's result.
 *   ktls-fuzz print FILE...
 *     Parses and prints, to check the format.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "corpus.h"
#include "finding.h"
#include "kmsg.h"

#define PROGRESS_S	10
#define KMEMLEAK_S	120	/* a scan takes 10-15 s under TCG */
#define MAX_SIGS	64
#define GEN_PCT		20

struct fuzz_opts {
	const char *out, *seeds;
	long secs, execs, total;
	uint64_t seed;
	int quiet;
};

struct fuzzer {
	struct fuzz_opts o;
	struct exec_env env;
	struct checker ck;
	struct corpus corpus, seeds;
	struct cover_set cover;
	struct rng rng;
	char corpus_dir[4096], findings_dir[4096];
	char sigs[MAX_SIGS][192];
	int nsigs;
	long execs, seed_execs, findings, start, last_progress, last_leak_scan;
};

static void usage(FILE *f)
{
	fputs("Usage: ktls-fuzz fuzz -o DIR [-c SEEDDIR] [-d SECONDS] [-n EXECS] [-s SEED]\n"
	      "                      [-t TOTAL] [-q]\n"
	      "       ktls-fuzz replay [-v] FILE|DIR...\n"
	      "       ktls-fuzz print FILE...\n"
	      "fuzz: coverage-guided (KCOV) fuzzing of tls.ko, corpus in DIR/corpus,\n"
	      "  findings in DIR/findings, coverage in DIR/coverage.txt; -d/-n stop\n"
	      "  after SECONDS/EXECS (EXECS after the seeds; default 60 s),\n"
	      "  -t TOTAL coverage points of tls.ko,\n"
	      "  -q no progress lines. Exit 1 if anything was found.\n"
	      "replay: each program once, KTAP; exit 1 on a finding.\n"
	      "print: parse and print programs (format: tools/fuzz/prog.h).\n", f);
}

static long now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int make_dir(const char *path)
{
	if (mkdir(path, 0755) && errno != EEXIST) {
		fprintf(stderr, "ktls-fuzz: mkdir %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- fuzz ---- */

static int known_sig(struct fuzzer *fz, const char *sig)
{
	int i;

	for (i = 0; i < fz->nsigs; i++)
		if (!strcmp(fz->sigs[i], sig))
			return 1;
	if (fz->nsigs < MAX_SIGS)
		snprintf(fz->sigs[fz->nsigs++], sizeof(fz->sigs[0]), "%s", sig);
	return 0;
}

/* Adds the run's PCs to the set; returns how many were new. */
static int add_coverage(struct fuzzer *fz)
{
	struct exec_shared *shm = fz->env.shm;
	unsigned int i;
	int t, fresh = 0;

	for (t = 0; t < PROG_THREADS; t++)
		for (i = 0; shm->kcov_ok[t] && i < shm->npcs[t]; i++)
			fresh += cover_add(&fz->cover, shm->pcs[t][i]);
	return fresh;
}

static void progress(struct fuzzer *fz, const char *what)
{
	long secs = now_s() - fz->start;

	printf("# %s: %ld s, %ld execs (%ld/s), corpus %d, ", what, secs, fz->execs,
	       secs ? fz->execs / secs : fz->execs, fz->corpus.n);
	if (!fz->env.use_kcov)
		printf("coverage unavailable");
	else if (fz->o.total)
		printf("coverage %zu of %ld blocks of tls.ko", fz->cover.count, fz->o.total);
	else
		printf("coverage %zu blocks", fz->cover.count);
	printf(", findings %ld\n", fz->findings);
	fflush(stdout);
	fz->last_progress = now_s();
}

static void on_finding(struct fuzzer *fz, const struct prog *p, const struct finding *f,
		       const struct exec_result *res)
{
	fz->findings++;
	if (known_sig(fz, f->sig)) {
		printf("# finding %s again: %s\n", f->kind, f->sig);
		return;
	}
	finding_save(&fz->ck, fz->findings_dir, p, f, res);
}

/* Without coverage, a program is kept only if it is a seed. */
static void run_one(struct fuzzer *fz, const struct prog *p)
{
	struct exec_result res;
	struct finding f;
	char path[4096];

	fz->execs++;
	if (run_checked(&fz->ck, p, &res, &f)) {
		on_finding(fz, p, &f, &res);
		return;
	}
	if (fz->env.use_kcov && add_coverage(fz) > 0) {
		corpus_add(&fz->corpus, p);
		corpus_save(p, fz->corpus_dir, path, sizeof(path));
	}
}

static void next_prog(struct fuzzer *fz, struct prog *p)
{
	const struct corpus *from = fz->env.use_kcov ? &fz->corpus : &fz->seeds;
	const struct prog *base = corpus_pick(from, &fz->rng);

	if (!base || rng_chance(&fz->rng, GEN_PCT)) {
		gen_prog(&fz->rng, p);
		return;
	}
	*p = *base;
	gen_mutate(&fz->rng, p, corpus_pick(from, &fz->rng));
}

static void load_seeds(struct fuzzer *fz)
{
	char *dir = (char *)fz->o.seeds, err[256], **paths;
	struct prog p;
	int i, n;

	paths = dir ? prog_paths(&dir, 1, &n) : NULL;
	for (i = 0; paths && i < n; i++) {
		if (prog_load(&p, paths[i], err, sizeof(err))) {
			fprintf(stderr, "ktls-fuzz: %s\n", err);
			continue;
		}
		corpus_add(&fz->seeds, &p);
		run_one(fz, &p);
	}
	prog_paths_free(paths);
	fz->seed_execs = fz->execs;
}

static void leak_scan(struct fuzzer *fz, const struct prog *last)
{
	struct exec_result res = { EXEC_OK, 0, 0 };
	struct finding f = { "kmemleak", "kmemleak: unreferenced object of tls.ko", "" };

	fz->last_leak_scan = now_s();
	if (!kmemleak_check(fz->ck.log, sizeof(fz->ck.log)))
		return;
	snprintf(f.sig, sizeof(f.sig), "kmemleak:scan");
	fz->findings++;
	if (!known_sig(fz, f.sig))
		finding_save(&fz->ck, fz->findings_dir, last, &f, &res);
}

static int fuzz_setup(struct fuzzer *fz)
{
	snprintf(fz->corpus_dir, sizeof(fz->corpus_dir), "%s/corpus", fz->o.out);
	snprintf(fz->findings_dir, sizeof(fz->findings_dir), "%s/findings", fz->o.out);
	if (make_dir(fz->o.out) || make_dir(fz->corpus_dir) || make_dir(fz->findings_dir))
		return -1;
	if (exec_init(&fz->env, 1)) {
		fprintf(stderr, "ktls-fuzz: cannot set up the executor\n");
		return -1;
	}
	fz->ck.env = &fz->env;
	fz->ck.kmsg_fd = kmsg_open();
	rng_seed(&fz->rng, fz->o.seed);
	if (fz->env.use_kcov)
		printf("# fuzz: KCOV on, tls.ko .text at 0x%llx, seed %llu\n",
		       (unsigned long long)fz->env.range.text, (unsigned long long)fz->o.seed);
	else
		printf("# fuzz: coverage unavailable (no KCOV or no tls.ko): %s, seed %llu\n",
		       "blind fuzzing", (unsigned long long)fz->o.seed);
	if (fz->ck.kmsg_fd < 0)
		printf("# fuzz: /dev/kmsg unavailable: kernel splats are not seen\n");
	fz->start = now_s();
	fz->last_progress = fz->start;
	fz->last_leak_scan = fz->start;
	return 0;
}

/* -n counts the programs after the seeds, which always all run. */
static int fuzz_done(struct fuzzer *fz)
{
	if (fz->o.execs && fz->execs - fz->seed_execs >= fz->o.execs)
		return 1;
	return fz->o.secs && now_s() - fz->start >= fz->o.secs;
}

static int fuzz_finish(struct fuzzer *fz)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/coverage.txt", fz->o.out);
	if (fz->env.use_kcov && cover_write(&fz->cover, path))
		fprintf(stderr, "ktls-fuzz: cannot write %s\n", path);
	progress(fz, "fuzz done");
	return fz->findings ? 1 : 0;
}

static int fuzz_main(struct fuzz_opts *o)
{
	static struct fuzzer fz;
	struct prog p;

	fz.o = *o;
	if (fuzz_setup(&fz))
		return 2;
	load_seeds(&fz);
	while (!fuzz_done(&fz)) {
		next_prog(&fz, &p);
		run_one(&fz, &p);
		if (now_s() - fz.last_leak_scan >= KMEMLEAK_S)
			leak_scan(&fz, &p);
		if (!fz.o.quiet && now_s() - fz.last_progress >= PROGRESS_S)
			progress(&fz, "fuzz");
	}
	return fuzz_finish(&fz);
}

static int fuzz_cmd(int argc, char **argv)
{
	struct fuzz_opts o = { .secs = 60, .seed = (uint64_t)time(NULL) };
	int c;

	while ((c = getopt(argc, argv, "o:c:d:n:s:t:qh")) != -1) {
		switch (c) {
		case 'o':
			o.out = optarg;
			break;
		case 'c':
			o.seeds = optarg;
			break;
		case 'd':
			o.secs = atol(optarg);
			break;
		case 'n':
			o.execs = atol(optarg);
			break;
		case 's':
			o.seed = strtoull(optarg, NULL, 0);
			break;
		case 't':
			o.total = atol(optarg);
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!o.out || optind != argc) {
		usage(stderr);
		return 2;
	}
	return fuzz_main(&o);
}

/* ---- replay and print ---- */

static void print_results(const struct exec_shared *shm, const struct prog *p)
{
	int i;

	for (i = 0; i < p->ncalls; i++) {
		if (shm->ret[i] == EXEC_CALL_UNRUN)
			printf("#   %2d %s: not run\n", i, call_descs[p->calls[i].kind].name);
		else
			printf("#   %2d %s: %lld\n", i, call_descs[p->calls[i].kind].name,
			       shm->ret[i]);
	}
}

static int replay_one(struct checker *ck, const char *path, int n, int verbose)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct exec_result res;
	struct finding f;
	struct prog p;
	char err[256];

	if (prog_load(&p, path, err, sizeof(err))) {
		printf("not ok %d %s # parse: %s\n", n, base, err);
		return 1;
	}
	if (run_checked(ck, &p, &res, &f)) {
		printf("not ok %d %s # %s: %s\n", n, base, f.kind, f.title);
		return 1;
	}
	if (verbose)
		print_results(ck->env->shm, &p);
	printf("ok %d %s # %ld ms\n", n, base, res.ms);
	return 0;
}

static int replay_cmd(int argc, char **argv)
{
	static struct exec_env env;
	static struct checker ck;
	int verbose = argc > 1 && !strcmp(argv[1], "-v"), first = 1 + verbose;
	int i, n, bad = 0;
	char **paths = prog_paths(argv + first, argc - first, &n);

	if (!paths || !n) {
		usage(stderr);
		return 2;
	}
	if (exec_init(&env, 0))
		return 2;
	ck.env = &env;
	ck.kmsg_fd = kmsg_open();
	printf("TAP version 13\n1..%d\n", n);
	for (i = 0; i < n; i++) {
		bad += replay_one(&ck, paths[i], i + 1, verbose);
		fflush(stdout);
	}
	printf("# replay: %d programs, %d not ok\n", n, bad);
	/* The kselftest harness's totals line, which scripts/check counts. */
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
	       n - bad, bad);
	prog_paths_free(paths);
	return bad ? 1 : 0;
}

static int print_cmd(int argc, char **argv)
{
	char err[256], text[PROG_TEXT_MAX];
	struct prog p;
	int i, bad = 0;

	for (i = 1; i < argc; i++) {
		if (prog_load(&p, argv[i], err, sizeof(err))) {
			fprintf(stderr, "ktls-fuzz: %s: %s\n", argv[i], err);
			bad = 1;
			continue;
		}
		prog_print(&p, text, sizeof(text));
		fputs(text, stdout);
	}
	return bad;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "fuzz"))
		return fuzz_cmd(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "replay"))
		return replay_cmd(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "print"))
		return print_cmd(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
