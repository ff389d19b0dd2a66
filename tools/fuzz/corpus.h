/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The corpus in memory and on disk (DIR/<16-hex-hash>.prog), and the
 * program files named on a command line (files, or directories of .prog).
 */
#ifndef KTLS_FUZZ_CORPUS_H
#define KTLS_FUZZ_CORPUS_H

#include "gen.h"
#include "prog.h"

struct corpus {
	struct prog *progs;
	int n, cap;
};

int corpus_add(struct corpus *c, const struct prog *p);
/* A program of the corpus, the newer ones a little more often; NULL if empty. */
const struct prog *corpus_pick(const struct corpus *c, struct rng *r);
/* Writes @p as DIR/<hash>.prog (its name into @path); 0 on success. */
int corpus_save(const struct prog *p, const char *dir, char *path, size_t len);

/*
 * Expands @args (files, and directories whose *.prog files are taken in
 * name order) into a NULL-terminated array of paths; NULL on error.
 */
char **prog_paths(char **args, int nargs, int *count);
void prog_paths_free(char **paths);

#endif /* KTLS_FUZZ_CORPUS_H */
