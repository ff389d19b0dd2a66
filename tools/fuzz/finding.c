// SPDX-License-Identifier: GPL-2.0
/*
 * A run is a finding when the kernel printed a splat during it (kmsg),
 * or the executor died of a signal nobody sent, outlived the watchdog,
 * or could not be reaped at all. Messages the kernel prints late (after
 * the executor is gone) land on the next program; minimising then finds
 * nothing to remove and keeps the program whole, and the original stays
 * next to the minimised one in any case (a WARN_ONCE fires once a boot).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "finding.h"
#include "kmsg.h"

#define MIN_TRIES	3
#define MIN_BUDGET_S	90

/* kind:function for "... func+0x1a/0x40 ...", else the line without digits. */
static void signature(struct finding *f)
{
	const char *plus = strstr(f->title, "+0x"), *start = plus;
	size_t n = strlen(f->kind), i;

	snprintf(f->sig, sizeof(f->sig), "%s:", f->kind);
	if (plus) {
		while (start > f->title && !isspace((unsigned char)start[-1]))
			start--;
		if ((size_t)(plus - start) > sizeof(f->sig) - n - 2)
			plus = start + sizeof(f->sig) - n - 2;
		memcpy(f->sig + n + 1, start, plus - start);
		f->sig[n + 1 + (plus - start)] = 0;
		return;
	}
	for (i = 0; f->title[i] && n + 2 < sizeof(f->sig); i++)
		if (!isdigit((unsigned char)f->title[i]))
			f->sig[++n] = f->title[i];
	f->sig[n + 1] = 0;
}

static int classify_exit(const struct exec_result *res, struct finding *f)
{
	switch (res->status) {
	case EXEC_OK:
		return 0;
	case EXEC_SIGNAL:
		snprintf(f->kind, sizeof(f->kind), "signal-%d", res->sig);
		snprintf(f->title, sizeof(f->title), "executor killed by signal %d (%s)",
			 res->sig, strsignal(res->sig));
		break;
	case EXEC_TIMEOUT:
		snprintf(f->kind, sizeof(f->kind), "timeout");
		snprintf(f->title, sizeof(f->title), "executor still running after %d ms",
			 EXEC_WATCHDOG_MS);
		break;
	case EXEC_HANG:
		snprintf(f->kind, sizeof(f->kind), "hang");
		snprintf(f->title, sizeof(f->title),
			 "executor not reaped 10 s after SIGKILL: stuck in the kernel");
		break;
	case EXEC_ERROR:
		snprintf(f->kind, sizeof(f->kind), "executor-error");
		snprintf(f->title, sizeof(f->title),
			 "executor failed to set up (fork, pipe, threads)");
		break;
	}
	return 1;
}

int run_checked(struct checker *ck, const struct prog *p, struct exec_result *res,
		struct finding *f)
{
	const char *label;

	memset(f, 0, sizeof(*f));
	exec_run(ck->env, p, res);
	label = kmsg_check(ck->kmsg_fd, ck->log, sizeof(ck->log), f->title, sizeof(f->title));
	if (label)
		snprintf(f->kind, sizeof(f->kind), "%s", label);
	else if (!classify_exit(res, f))
		return 0;
	signature(f);
	return 1;
}

static int reproduces(struct checker *ck, const struct prog *p, const char *kind, int tries)
{
	struct exec_result res;
	struct finding f;

	while (tries--)
		if (run_checked(ck, p, &res, &f) && !strcmp(f.kind, kind))
			return 1;
	return 0;
}

/* One call at a time from the end, within a time budget. */
static void minimise(struct checker *ck, struct prog *p, const char *kind)
{
	int tries = strcmp(kind, "timeout") ? MIN_TRIES : 1, i;
	time_t end = time(NULL) + MIN_BUDGET_S;
	struct prog cand;

	if (!strcmp(kind, "hang"))
		return;
	for (i = p->ncalls - 1; i >= 0 && p->ncalls > 1 && time(NULL) < end; i--) {
		cand = *p;
		memmove(&cand.calls[i], &cand.calls[i + 1],
			(cand.ncalls - i - 1) * sizeof(cand.calls[0]));
		cand.ncalls--;
		if (reproduces(ck, &cand, kind, tries))
			*p = cand;
	}
}

static void write_report(const char *path, const struct finding *f,
			 const struct exec_result *res, const char *log)
{
	FILE *out = fopen(path, "w");

	if (!out)
		return;
	fprintf(out, "kind: %s\nsignature: %s\nfirst: %s\nrun: %ld ms, status %d\n",
		f->kind, f->sig, f->title, res->ms, res->status);
	fprintf(out, "--- kernel messages during the run ---\n%s", log);
	fclose(out);
}

void finding_save(struct checker *ck, const char *dir, const struct prog *p,
		  const struct finding *f, const struct exec_result *res)
{
	char path[4096];
	unsigned long long h = prog_hash(p);
	struct prog min = *p;

	snprintf(path, sizeof(path), "%s/%016llx.prog", dir, h);
	prog_save(p, path);
	snprintf(path, sizeof(path), "%s/%016llx.txt", dir, h);
	write_report(path, f, res, ck->log);
	printf("# finding %s: %s (%s/%016llx.prog)\n", f->kind, f->title, dir, h);
	fflush(stdout);
	minimise(ck, &min, f->kind);
	snprintf(min.header, sizeof(min.header), "# minimised from %016llx: %s\n",
		 h, f->sig);
	snprintf(path, sizeof(path), "%s/%016llx.min.prog", dir, h);
	prog_save(&min, path);
	printf("# finding %s minimised to %d of %d calls\n", f->kind, min.ncalls, p->ncalls);
}
