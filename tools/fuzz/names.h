/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Values of the named arguments that are the fuzzer's own choices rather
 * than kernel constants; prog.c names them, exec.c and calls.c act on them.
 */
#ifndef KTLS_FUZZ_NAMES_H
#define KTLS_FUZZ_NAMES_H

#include "prog.h"

enum { ULP_TLS, ULP_TLSX, ULP_EMPTY };

enum { SEQ_ZERO, SEQ_ONE, SEQ_HIGH, SEQ_WRAP };

enum {
	SO_OPT_RCVLOWAT, SO_OPT_SNDBUF, SO_OPT_RCVBUF, SO_OPT_RCVTIMEO,
	SO_OPT_SNDTIMEO, SO_OPT_LINGER, SO_OPT_NODELAY, SO_OPT_CORK,
	SO_OPT_ZEROCOPY, SO_OPT_OOBINLINE,
};

enum { CM_NONE, CM_TYPE, CM_SHORT, CM_LONG, CM_LEVEL, CM_TWO, CM_WIDE };

enum { PIPE_WRITE, PIPE_FILE, PIPE_VMSPLICE };

enum { IOC_INQ, IOC_OUTQ, IOC_OUTQNSD, IOC_FIONBIO, IOC_ATMARK };

/* The cipher table, also read by the generator. */
extern const struct name_val fuzz_ciphers[];

/* The name @val has in @t, or NULL. */
const char *name_of(const struct name_val *t, long long val);

#endif /* KTLS_FUZZ_NAMES_H */
