/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel reports: new /dev/kmsg records after each execution, matched
 * against the splat patterns, and kmemleak's leaks of tls.ko objects.
 */
#ifndef KTLS_FUZZ_KMSG_H
#define KTLS_FUZZ_KMSG_H

#include <stddef.h>

/* /dev/kmsg, non-blocking, positioned at its end; -1 if unavailable. */
int kmsg_open(void);
/*
 * Reads every record since the last call, appending their text to @log
 * (always NUL-terminated). Returns the label of the first splat seen
 * (e.g. "WARNING") with its line in @title, or NULL.
 */
const char *kmsg_check(int fd, char *log, size_t len, char *title, size_t tlen);
/* Drops what is pending, e.g. after a run whose reports are not wanted. */
void kmsg_skip(int fd);
/*
 * Asks kmemleak for a scan and reports leaks whose trace names tls.ko;
 * returns "kmemleak" with the report (what fits) in @log, or NULL (also
 * when the kernel has no kmemleak). The list is left as it is, so a leak
 * is reported again at every scan and by the guest's final one.
 */
const char *kmemleak_check(char *log, size_t len);

#endif /* KTLS_FUZZ_KMSG_H */
