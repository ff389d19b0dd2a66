/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stand-in for <linux/unaligned.h> on kernels that still keep the
 * unaligned accessors in <asm/unaligned.h> (before 6.12). Kbuild puts
 * this directory on the include path only when the kernel lacks it.
 */
#ifndef _KTLS_COMPAT_UNALIGNED_H
#define _KTLS_COMPAT_UNALIGNED_H

#include <asm/unaligned.h>

#endif /* _KTLS_COMPAT_UNALIGNED_H */
