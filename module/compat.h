/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version compatibility for the out-of-tree kTLS module.
 *
 * This header is force-included (see Kbuild) into every translation unit.
 * It is the only place where differences between kernel versions may be
 * expressed; .c files use the names defined here and never test
 * LINUX_VERSION_CODE themselves. Where possible a difference is detected by
 * probing for the feature (a macro the newer kernel defines) rather than by
 * comparing version numbers.
 */
#ifndef _KTLS_COMPAT_H
#define _KTLS_COMPAT_H

#include <linux/version.h>
#include <linux/kconfig.h>

#endif /* _KTLS_COMPAT_H */
