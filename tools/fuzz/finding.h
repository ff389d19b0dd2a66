/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Findings: running a program with the kernel's reports checked, saving
 * what was seen, and minimising the program while the finding stays.
 */
#ifndef KTLS_FUZZ_FINDING_H
#define KTLS_FUZZ_FINDING_H

#include "exec.h"

#define FINDING_LOG_MAX	(64 << 10)

struct finding {
	char kind[64];		/* a splat label, signal-N, timeout, hang */
	char title[256];	/* the kmsg line, or what the watchdog saw */
	char sig[192];		/* kind and function: equal for repeats */
};

struct checker {
	struct exec_env *env;
	int kmsg_fd;
	char log[FINDING_LOG_MAX];	/* the kernel's lines of the last run */
};

/* Runs @p once; 1 and @f filled if it made a finding. */
int run_checked(struct checker *ck, const struct prog *p, struct exec_result *res,
		struct finding *f);
/*
 * Writes DIR/<hash>.prog and <hash>.txt, then <hash>.min.prog, the
 * program with every call removed whose removal keeps the finding.
 */
void finding_save(struct checker *ck, const char *dir, const struct prog *p,
		  const struct finding *f, const struct exec_result *res);

#endif /* KTLS_FUZZ_FINDING_H */
