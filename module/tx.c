// SPDX-License-Identifier: GPL-2.0
/*
 * TX data path entry points. The record layer is not written yet; until it
 * is, a socket with TX keys refuses to send. Passing the bytes to TCP would
 * put plaintext on the wire after the application asked for encryption.
 */
#include "tls.h"

/* proto->sendmsg of sockets with TX keys; also reached by splice/sendfile. */
int ktls_tx_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	return -EOPNOTSUPP;
}

/*
 * Whether a partly filled record is waiting for more data. Options that
 * change how records are cut (TLS_TX_MAX_PAYLOAD_LEN) must not change it
 * under an open record. Nothing is ever buffered yet.
 */
bool ktls_tx_record_open(const struct ktls_context *kctx)
{
	return false;
}
