/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private definitions shared by the files of the kTLS module. The public
 * layout (struct tls_context and friends) comes from <net/tls.h>; what this
 * module adds lives here, in structures that embed the public ones.
 */
#ifndef _KTLS_TLS_H
#define _KTLS_TLS_H

#include <net/tls.h>

#endif /* _KTLS_TLS_H */
