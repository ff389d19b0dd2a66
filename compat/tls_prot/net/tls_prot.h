/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stand-in for <net/tls_prot.h> on kernels that do not have it (before
 * 6.6). Kbuild puts this directory on the include path only when the
 * kernel's own header is absent. Older kernels spell the record type of
 * application data in <net/tls.h>, so that header comes first and only
 * what it lacks is defined here. The values are the TLS content types
 * of RFC 8446, section 5.1.
 */
#ifndef _KTLS_COMPAT_TLS_PROT_H
#define _KTLS_COMPAT_TLS_PROT_H

#include <net/tls.h>

#ifndef TLS_RECORD_TYPE_HANDSHAKE
#define TLS_RECORD_TYPE_HANDSHAKE	22
#endif
#ifndef TLS_RECORD_TYPE_DATA
#define TLS_RECORD_TYPE_DATA		23
#endif

#endif /* _KTLS_COMPAT_TLS_PROT_H */
