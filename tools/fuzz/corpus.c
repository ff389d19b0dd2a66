// SPDX-License-Identifier: GPL-2.0
/*
 * The corpus: programs that reached tls.ko code no earlier program did,
 * kept in memory for mutation and saved under their hash so that the
 * same program is one file however often it is found.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "corpus.h"

int corpus_add(struct corpus *c, const struct prog *p)
{
	struct prog *bigger;

	if (c->n == c->cap) {
		bigger = realloc(c->progs, (c->cap ? c->cap * 2 : 64) * sizeof(*bigger));
		if (!bigger)
			return -1;
		c->progs = bigger;
		c->cap = c->cap ? c->cap * 2 : 64;
	}
	c->progs[c->n++] = *p;
	return 0;
}

const struct prog *corpus_pick(const struct corpus *c, struct rng *r)
{
	int i;

	if (!c->n)
		return NULL;
	i = rng_below(r, c->n);
	if (rng_chance(r, 30))
		i = c->n - 1 - rng_below(r, c->n < 16 ? c->n : 16);
	return &c->progs[i];
}

int corpus_save(const struct prog *p, const char *dir, char *path, size_t len)
{
	snprintf(path, len, "%s/%016llx.prog", dir, (unsigned long long)prog_hash(p));
	return prog_save(p, path);
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

static int push(char ***v, int *n, const char *path)
{
	char **bigger = realloc(*v, (*n + 2) * sizeof(char *));

	if (!bigger)
		return -1;
	*v = bigger;
	bigger[*n] = strdup(path);
	if (!bigger[*n])
		return -1;
	bigger[++*n] = NULL;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

static int push_dir(char ***v, int *n, const char *dir)
{
	struct dirent **ents;
	char path[4096];
	int i, k = scandir(dir, &ents, NULL, alphasort), ret = 0;

	if (k < 0)
		return -1;
	for (i = 0; i < k; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		if (!ret && has_suffix(ents[i]->d_name, ".prog"))
			ret = push(v, n, path);
		free(ents[i]);
	}
	free(ents);
	return ret;
}

/* A file as it is, a directory as its .prog files. */
static int push_arg(char ***v, int *n, const char *arg)
{
	struct stat sb;

	if (stat(arg, &sb))
		return -1;
	return S_ISDIR(sb.st_mode) ? push_dir(v, n, arg) : push(v, n, arg);
}

char **prog_paths(char **args, int nargs, int *count)
{
	char **v = calloc(1, sizeof(char *));
	int i, n = 0, start;

	for (i = 0; v && i < nargs; i++) {
		start = n;
		if (push_arg(&v, &n, args[i])) {
			fprintf(stderr, "ktls-fuzz: cannot read %s\n", args[i]);
			prog_paths_free(v);
			return NULL;
		}
		qsort(v + start, n - start, sizeof(char *), cmp_str);
	}
	*count = n;
	return v;
}

void prog_paths_free(char **paths)
{
	char **p;

	for (p = paths; p && *p; p++)
		free(*p);
	free(paths);
}
