/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private definitions shared by the files of the kTLS module. The public
 * layout (struct tls_context and friends) comes from <net/tls.h>; what this
 * module adds lives here, in structures that embed the public ones.
 */
#ifndef _KTLS_TLS_H
#define _KTLS_TLS_H

#include <linux/completion.h>
#include <linux/skmsg.h>
#include <linux/sockptr.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/tls.h>

#include "../compat/ktls_late.h"

struct pipe_inode_info;

/* ---- cipher descriptor table (cipher.c) ---- */

/*
 * How the per-record nonce is formed. TLS 1.2 AES/SM4/ARIA suites carry an
 * explicit 8-byte nonce in every record; ChaCha20-Poly1305 (and every suite
 * under TLS 1.3) XORs the record sequence into a fixed IV instead, so the
 * record carries no nonce.
 */
enum ktls_nonce_style {
	KTLS_NONCE_EXPLICIT,
	KTLS_NONCE_XOR,
};

struct ktls_cipher_desc {
	const char *aead_name;		/* crypto API algorithm name */
	u16 key;			/* sizes in bytes */
	u16 iv;
	u16 salt;
	u16 tag;
	u16 rec_seq;
	u16 iv_offset;			/* offsets inside the uapi struct */
	u16 key_offset;
	u16 salt_offset;
	u16 rec_seq_offset;
	u16 info_size;			/* sizeof the uapi crypto_info struct */
	u8 nonce_style;			/* enum ktls_nonce_style */
	/*
	 * CCM's AEAD IV is 16 bytes: a flags byte (L' = 15 - 12 - 1 for a
	 * 12-byte nonce), the nonce, then the counter. Non-zero here means
	 * "write this byte, then the nonce"; GCM and ChaCha take the bare
	 * 12-byte nonce.
	 */
	u8 aead_iv_lead;
	u8 tls12:1;			/* allowed with TLS 1.2 */
	u8 tls13:1;			/* allowed with TLS 1.3 */
	u8 offloadable:1;		/* NIC offload could take it */
};

const struct ktls_cipher_desc *ktls_cipher_desc_get(u16 cipher_type);
bool ktls_cipher_reads_text_twice(u16 cipher_type);
int ktls_crypto_info_check(const struct tls_crypto_info *info,
			   unsigned int optlen,
			   const struct tls_crypto_info *other);
void ktls_prot_info_fill(struct tls_prot_info *prot,
			 const struct tls_crypto_info *info,
			 const struct ktls_cipher_desc *desc);

static inline u8 *ktls_info_field(const struct tls_crypto_info *info,
				  u16 offset)
{
	return (u8 *)info + offset;
}

/* ---- exclusive owner of a socket direction (owner.c) ---- */

/*
 * Held by one reader (RX) or one sender (TX) from its first look at the
 * direction's state to its return, across every wait that drops the
 * socket lock. Changed only under the socket lock.
 */
struct ktls_owner {
	bool held;
	wait_queue_head_t wq;		/* callers waiting for @held to clear */
};

int ktls_woken_wake(struct wait_queue_entry *entry, unsigned int mode,
		    int sync, void *key);
int ktls_tx_woken_wake(struct wait_queue_entry *entry, unsigned int mode,
		       int sync, void *key);
void ktls_owner_init(struct ktls_owner *o);
int ktls_owner_acquire(struct sock *sk, struct ktls_owner *o, long *timeo);
void ktls_owner_release(struct ktls_owner *o);

/* ---- the record format (record.c) ---- */

/* Largest AEAD IV the crypto API takes for our suites: CCM's 16 bytes. */
#define KTLS_AEAD_IV_MAX	16

u32 ktls_record_wire_len(const struct tls_prot_info *prot, u32 plain_len);
void ktls_record_fill_header(const struct tls_prot_info *prot, u8 *buf,
			     u8 content_type, u32 plain_len,
			     const u8 *explicit_nonce);
void ktls_record_fill_aad(const struct tls_prot_info *prot, u8 *aad,
			  u8 content_type, u32 plain_len, const u8 *rec_seq);
void ktls_record_fill_iv(const struct tls_prot_info *prot, u8 *aead_iv,
			 const u8 *salt_iv, const u8 *rec_seq,
			 const u8 *explicit_nonce);
bool ktls_record_seq_last(const struct tls_prot_info *prot,
			  const struct cipher_context *cc);
int ktls_record_advance(const struct tls_prot_info *prot,
			struct cipher_context *cc);
int ktls_record_check_header(const struct tls_prot_info *prot, const u8 *hdr);
int ktls_record_inner_type(const u8 *chunk, u32 len, u32 *pad);

/* ---- software RX state (parser.c, rx.c, rx_crypto.c) ---- */

/*
 * One received record, in memory this module owns: never a pointer into
 * an skb of the TCP queue, which TCP may collapse or free under us.
 * Until it is decrypted only @len and @buf mean anything; afterwards the
 * plaintext not yet read is buf[off..end) and @type is its content type.
 */
struct ktls_rx_rec {
	struct list_head list;
	u32 cap;			/* bytes @buf can hold */
	u32 charged;			/* socket memory charged, on rx_sw.plain */
	u32 len;			/* on the wire, header included */
	u32 off;
	u32 end;
	u8 type;
	/* AEAD inputs live here, not on the stack: scatterlists need them. */
	u8 aad[TLS_MAX_AAD_SIZE];
	u8 iv[KTLS_AEAD_IV_MAX];
	u8 buf[];			/* the record as received */
};

/*
 * Where the handshake message stream stands at a record boundary, so
 * that a KeyUpdate is found wherever it starts (keyupdate.c).
 */
struct ktls_hs_scan {
	u32 left;			/* body bytes of a message still to come */
	u8 have;			/* bytes of a message header seen */
	u8 hdr[4];
};

struct ktls_dev_rx_old;

/*
 * Device RX between a rekey and the device taking the new key
 * (KTLS_DEV_CAP_REKEY, device_rx.c). Parser and readers, socket locked.
 */
struct ktls_dev_rx_rejoin {
	u8 state;		/* enum ktls_dev_rejoin */
	u32 edge;		/* the old key's flow saw nothing from here on */
	u32 seq;		/* DUE: where the device takes over, a record start */
	u64 sn;			/* DUE: that record's number */
};

enum ktls_dev_rejoin {
	KTLS_DEV_REJOIN_NONE,
	KTLS_DEV_REJOIN_WAIT,	/* for a record ending at or past @edge */
	KTLS_DEV_REJOIN_DUE,	/* the next reader hands RX over at @seq */
};

/*
 * RX state. Changed only by the socket lock owner or by the parser in
 * softirq while nobody owns the socket, so the two never race; poll looks
 * at @ready alone, a sleeping reader at @parsed. @plain and the records on
 * it belong to the reader owning @reader: nobody else reads or frees them
 * while that reader sleeps.
 */
struct ktls_rx_sw {
	struct ktls_owner reader;	/* one reader at a time, across waits */
	struct list_head plain;		/* decrypted records, oldest first */
	u32 plain_mem;			/* memory of @plain's records */
	struct ktls_rx_rec *cur;	/* record being assembled, or NULL */
	struct ktls_rx_rec *spare;	/* a large buffer kept for reuse */
	struct aead_request *req;	/* copy path's, from the first record */
	bool answers_later;		/* the transform answered async once */
	u8 hdr[TLS_HEADER_SIZE];	/* header, while @cur is not there */
	u32 have;			/* bytes of the record received */
	int err;			/* sticky: authentication failed */
	u32 empty_data;			/* empty data records dropped (reader) */
	bool stalled;			/* bad stream: read nothing more */
	bool ready;			/* a record, an error: wake readers */
	bool parsed;			/* the parser holds a record to decrypt */
	bool started;			/* our data_ready is installed */
	bool tcp_reader;		/* ktls_parser_tcp_reader(), last seen */
	u8 dev_seen;			/* device RX: what came of @cur (parser) */
	u32 cur_seq;			/* TCP sequence of @cur's header (parser) */
	struct ktls_dev_rx_rejoin dev_rejoin;	/* device RX after a rekey */
	/* Device RX, also once a rekey took RX back: @cur's bytes it decrypted */
	unsigned long *dev_map;
	struct ktls_dev_rx_old *dev_old;	/* the device's key, after a rekey */
	u8 ku_state;			/* enum ktls_ku_state (keyupdate.c) */
	struct ktls_hs_scan hs;		/* handshake stream, TLS 1.3 */
	void (*saved_data_ready)(struct sock *sk);
	struct work_struct retry_work;	/* parser retry after ENOMEM */
	struct sock *sk;
};

/* ---- per-socket context (context.c) ---- */

/* RFC 8449: the smallest record size limit a peer may announce. */
#define KTLS_MIN_RECORD_SIZE_LIMIT	64

/* ---- software TX state (tx.c) ---- */

struct ktls_tx_rec;
struct ktls_tx_ops;
struct ktls_tx_flight;

/*
 * TX record layer of one socket. @open and @queue change only under the
 * socket lock, by the caller owning @owner (held across its waits for
 * memory), by the worker while nobody owns it, or in close once the
 * worker is disabled; @queued is also read by the sk_write_space hook, in
 * softirq. (base.tx_lock is not used: a mutex cannot honour SO_SNDTIMEO.)
 * Records in flight (@nflight) exist only while one owner holds the
 * socket lock without a break: ktls_tx_settle() runs before any wait,
 * push or unlock, so no engine answers into a socket nobody holds.
 */
struct ktls_tx {
	struct ktls_owner owner;	/* one sender, rekey or flush at a time */
	struct ktls_tx_rec *open;	/* record taking plaintext, or NULL */
	struct list_head queue;		/* encrypted records, oldest first */
	struct delayed_work work;	/* pushes @queue when TCP has room */
	struct aead_request *req;	/* software: one encryption at a time */
	/* software, asynchronous transforms: records in flight (tx_sw.c) */
	struct ktls_tx_flight *flight;	/* KTLS_TX_FLIGHT slots, or NULL */
	u8 nflight;			/* slots in use, oldest first */
	bool answers_later;		/* the transform answered async once */
	u32 dropped;			/* plaintext of records dropped unsent */
	u8 aad[TLS_MAX_AAD_SIZE];	/* heap memory: crypto may DMA it */
	u8 iv[KTLS_AEAD_IV_MAX];
	bool started;			/* set up by the first send */
	bool queued;			/* @queue not empty */
	bool work_missed;		/* TCP made room while TX was owned */
	bool shutting;			/* a shutdown waits for TX: let go */
	int push_flags;			/* MSG_DONTWAIT of the last sender */
	u32 key_gen;			/* one more at each TX key (rekey) */
	u32 pushed_gen;			/* key_gen of the last record to TCP */
	int err;			/* sticky: no record may be sent */
};

/*
 * Everything this module keeps per socket. @base is what <net/tls.h>
 * inline helpers and drivers see through icsk_ulp_data; the rest is ours.
 */
struct ktls_context {
	struct tls_context base;
	struct ktls_cipher_store cipher_store[2]; /* tx, rx (compat.h) */
	struct crypto_aead *tx_aead;	/* set with the TX keys */
	const struct ktls_tx_ops *tx_ops; /* set with the TX keys (tx.c) */
	struct crypto_aead *rx_aead;	/* set with the RX keys */
	u16 tx_max_payload;		/* TLS_TX_MAX_PAYLOAD_LEN */
	struct ktls_tx txsw;		/* software TX records */
	/* device.c, under ktls_dev_mutex: */
	bool dev_listed;		/* on the device list, holding netdev */
	bool dev_release_due;		/* the device is going down */
	u8 dev_dirs;			/* BIT(dir): the driver holds state */
	u8 dev_rekey;			/* BIT(dir): the device takes new keys */
	/* The device's TX keys, for the fallback (device_tx_keys.c): */
	struct list_head dev_tx_keys;	/* socket lock */
	u8 dev_tx_nkeys;		/* on dev_tx_keys */
	u32 dev_tx_gen;			/* of the newest key */
	struct ktls_dev_tx_key *dev_tx_head_key;	/* off->lock */
	struct work_struct dev_destruct_work;
	struct ktls_rx_sw rx_sw;	/* software RX, once TLS_RX is set */
};

static inline struct ktls_context *ktls_ctx(struct tls_context *ctx)
{
	return container_of(ctx, struct ktls_context, base);
}

/*
 * Context of a socket running one of our proto tables. The table was
 * published with a store-release after the context was set up; the read
 * barrier pairs with it so that a caller who found our ops through
 * sk->sk_prot also sees the context and its saved proto.
 */
static inline struct ktls_context *ktls_sk_ctx(const struct sock *sk)
{
	/* Pairs with smp_store_release() in ktls_proto_update(). */
	smp_rmb();
	return ktls_ctx(tls_get_ctx(sk));
}

/* Keys of one direction, as the user handed them in. */
static inline union tls_crypto_context *
ktls_dir_keys(struct tls_context *ctx, bool tx)
{
	return tx ? &ctx->crypto_send : &ctx->crypto_recv;
}

static inline struct cipher_context *ktls_dir_cipher(struct tls_context *ctx,
						     bool tx)
{
	return tx ? &ctx->tx : &ctx->rx;
}

/*
 * sockmap and TLS exclude each other: a psock reshapes messages under the
 * record layer (pitfall class 5).
 */
static inline bool ktls_sk_has_psock(const struct sock *sk)
{
	bool ret;

	rcu_read_lock();
	ret = !!sk_psock(sk);
	rcu_read_unlock();
	return ret;
}

struct ktls_context *ktls_ctx_create(struct sock *sk);
void ktls_ctx_free(struct ktls_context *kctx);
void ktls_sk_close(struct sock *sk, long timeout);

/* ---- keys of one direction (keys.c) ---- */

int ktls_keys_install(struct sock *sk, struct ktls_context *kctx,
		      const union tls_crypto_context *keys, bool tx);
void ktls_keys_release(struct ktls_context *kctx);
struct crypto_aead *ktls_aead_create(const struct tls_crypto_info *info,
				     u32 mask);
void ktls_aead_request_wipe(struct aead_request *req);

/*
 * An AEAD call's return says its answer comes later, through the
 * request's callback: -EINPROGRESS, or -EBUSY with MAY_BACKLOG (queued).
 */
static inline bool ktls_aead_answers_later(int rc)
{
	return rc == -EINPROGRESS || rc == -EBUSY;
}

/* ---- the device layer: offload contexts and the driver API (device.c) ---- */

struct net_device *ktls_dev_for_offload(struct sock *sk, bool tx);
int ktls_dev_attach(struct sock *sk, struct tls_context *ctx,
		    struct net_device *dev, enum tls_offload_ctx_dir dir);
int ktls_dev_attach_key(struct sock *sk, struct tls_context *ctx,
			enum tls_offload_ctx_dir dir,
			struct tls_crypto_info *info, u32 start);
void ktls_dev_own(struct sock *sk, struct tls_context *ctx);
void ktls_dev_detach_rx(struct tls_context *ctx);
bool ktls_dev_rekey_rx(struct tls_context *ctx);
void ktls_dev_tx_ctx_destroy(struct ktls_context *kctx,
			     struct tls_offload_context_tx *off);
/* device_tx.c: a rekey of an offloaded TX */
int ktls_dev_tx_rekey(struct sock *sk, struct ktls_context *kctx);
int ktls_dev_resync_tx(struct sock *sk, struct tls_context *ctx, u32 seq);
void ktls_dev_rec_destroy(struct tls_record_info *rec);
void ktls_dev_queue_rcu_work(struct rcu_work *work);
int ktls_dev_init(void);
void ktls_dev_exit(void);

/* the keys of an offloaded TX (device_tx_keys.c) */

/* One TX key a device has, as the software fallback encrypts with it. */
struct ktls_dev_tx_key {
	struct list_head node;		/* kctx->dev_tx_keys, oldest first */
	struct rcu_work free_work;	/* once pruned */
	struct crypto_aead *aead;	/* synchronous: the transmit path */
	u8 iv[TLS_MAX_IV_SIZE + TLS_MAX_SALT_SIZE];	/* salt, IV */
	u32 gen;			/* 0, then one more at each rekey */
};

/* Keys a device may hold for one socket's TX: beyond, TX goes to software. */
#define KTLS_DEV_TX_KEYS_MAX	8

struct tls_record_info *ktls_dev_epoch_new(u32 seq, u64 first_sn,
					   struct ktls_dev_tx_key *key,
					   bool offload_start);
u64 ktls_dev_rec_sn(struct tls_record_info *rec, u64 sn);
bool ktls_dev_rec_for_driver(struct tls_record_info *rec);
void ktls_dev_rec_acked(struct ktls_context *kctx, struct tls_record_info *rec);
struct ktls_dev_tx_key *ktls_dev_tx_key_of(struct ktls_context *kctx,
					   struct tls_offload_context_tx *off,
					   struct tls_record_info *rec);
struct ktls_dev_tx_key *ktls_dev_tx_key_new(struct ktls_context *kctx);
void ktls_dev_tx_key_add(struct ktls_context *kctx, struct ktls_dev_tx_key *key);
void ktls_dev_tx_key_free(struct ktls_dev_tx_key *key);
void ktls_dev_tx_keys_prune(struct ktls_context *kctx,
			    struct tls_offload_context_tx *off);
void ktls_dev_tx_keys_free(struct ktls_context *kctx);

/* what drivers declared (device_caps.c; the API is in ktls_offload.h) */
void ktls_dev_caps_forget(const struct net_device *dev);
void ktls_dev_caps_exit(void);

/* device RX (device_rx.c) */

/* ktls_rx_sw.dev_seen: how the bytes of the current record came in. */
enum {
	KTLS_RX_DEV_PLAIN = BIT(0),	/* some decrypted by the NIC */
	KTLS_RX_DEV_CIPHER = BIT(1),	/* some as sent */
	KTLS_RX_DEV_CHECKED = BIT(2),	/* ktls_dev_rx_record() decided */
};

int ktls_dev_rx_start(struct sock *sk, struct ktls_context *kctx);
void ktls_dev_rx_new_rec(struct sock *sk, struct ktls_context *kctx,
			 u32 seq, u32 len);
int ktls_dev_rx_record(struct sock *sk, struct ktls_context *kctx,
		       struct ktls_rx_rec *rec);
struct ktls_dev_rx_old *ktls_dev_rx_old_save(struct ktls_context *kctx);
void ktls_dev_rx_leave(struct sock *sk, struct ktls_context *kctx,
		       struct ktls_dev_rx_old *old);
void ktls_dev_rx_old_free(struct ktls_rx_sw *rx);
void ktls_dev_rx_new_key(struct ktls_context *kctx);
void ktls_dev_rx_rejoin_note(struct ktls_context *kctx, u32 seq, u32 len);
void ktls_dev_rx_rejoin(struct sock *sk, struct ktls_context *kctx);

bool ktls_dev_rx_async_step(struct tls_offload_resync_async *as, u32 *seq,
			    s64 *back);
void ktls_dev_rx_restore(struct ktls_rx_rec *rec, const unsigned long *map,
			 const u8 *ct, u32 start, u32 end);

/*
 * A device decrypts or decrypted RX: bytes it marked decrypted may still
 * come (after a rekey, under its old key), so the parser notes them.
 */
static inline bool ktls_rx_dev_noted(const struct ktls_context *kctx)
{
	return kctx->rx_sw.dev_map;
}

static inline bool ktls_rx_offloaded(const struct ktls_context *kctx)
{
	return kctx->base.rx_conf == TLS_HW;
}

/* software fallback (device_fallback.c) */
struct sk_buff *ktls_validate_xmit_skb_sw(struct sock *sk,
					  struct net_device *dev,
					  struct sk_buff *skb);

/* ---- proto tables (proto.c) ---- */

int ktls_proto_prepare(struct sock *sk);
int ktls_proto_attach(struct sock *sk, struct ktls_context *kctx);
void ktls_proto_update(struct sock *sk, struct tls_context *ctx);

/* ---- SOL_TLS options (sockopt.c) ---- */

int ktls_setsockopt(struct sock *sk, int level, int optname,
		    sockptr_t optval, unsigned int optlen);
int ktls_getsockopt(struct sock *sk, int level, int optname,
		    char __user *optval, int __user *optlen);

/* ---- data path hooks (tx.c, rx.c) ---- */

int ktls_tx_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);
void ktls_tx_splice_eof(struct socket *sock);
int ktls_tx_shutdown(struct socket *sock, int how,
		     int (*tcp_shutdown)(struct socket *sock, int how));
int ktls_tx_lock(struct sock *sk, struct ktls_context *kctx, long *timeo);
void ktls_tx_unlock(struct sock *sk, struct ktls_context *kctx);
bool ktls_tx_record_open(const struct ktls_context *kctx);
int ktls_tx_flush_open(struct sock *sk, struct ktls_context *kctx);
void ktls_tx_configure(struct sock *sk, struct ktls_context *kctx);
void ktls_tx_init(struct ktls_context *kctx);
void ktls_tx_stop(struct ktls_context *kctx);
void ktls_tx_release(struct sock *sk, struct ktls_context *kctx,
		     long *timeout);
int ktls_rx_recvmsg(KTLS_RECVMSG_PARAMS(struct sock *sk, struct msghdr *msg,
					size_t len, int flags));
ssize_t ktls_rx_splice_read(struct socket *sock, loff_t *ppos,
			    struct pipe_inode_info *pipe, size_t len,
			    unsigned int flags);
int ktls_rx_read_sock(struct sock *sk, read_descriptor_t *desc,
		      sk_read_actor_t read_actor);
void ktls_rx_configure(struct sock *sk, struct ktls_context *kctx);
void ktls_rx_init(struct ktls_context *kctx);
void ktls_rx_start(struct sock *sk, struct ktls_context *kctx);
void ktls_rx_stop(struct sock *sk, struct ktls_context *kctx);
void ktls_rx_release(struct ktls_context *kctx);
void ktls_rx_request_drop(struct ktls_rx_sw *rx);
__poll_t ktls_rx_poll_mask(struct sock *sk, __poll_t mask);
int ktls_rx_ioctl(struct sock *sk, int cmd, ktls_ioctl_arg_t arg);

/* record parser (parser.c) */
int ktls_parser_advance(struct sock *sk, struct ktls_context *kctx,
			gfp_t gfp);
struct ktls_rx_rec *ktls_parser_take(struct ktls_rx_sw *rx);

/* The parser holds a whole record, waiting to be taken. */
static inline bool ktls_parser_has_record(const struct ktls_rx_sw *rx)
{
	return rx->cur && rx->have == rx->cur->len;
}

void ktls_rx_rec_free(struct ktls_rx_sw *rx, struct ktls_rx_rec *rec,
		      bool plaintext);
void ktls_rx_spare_trim(struct ktls_rx_sw *rx);
bool ktls_parser_tcp_reader(struct sock *sk);
void ktls_parser_data_ready(struct sock *sk);
void ktls_parser_retry_work(struct work_struct *work);
void ktls_rx_abort(struct sock *sk, struct ktls_context *kctx, int err);
void ktls_rx_update_ready(struct ktls_rx_sw *rx);

/* record decryption (rx_crypto.c, rx_zc.c) */
void ktls_rx_fill_aead(struct ktls_context *kctx, struct ktls_rx_rec *rec);
bool ktls_rx_outer_type_ok(const struct tls_prot_info *prot,
			   const struct ktls_rx_rec *rec);
int ktls_rx_aead_setup(struct ktls_context *kctx, struct ktls_rx_rec *rec,
		       struct aead_request *req, struct scatterlist *src,
		       struct scatterlist *dst);
int ktls_rx_decrypt_into(struct ktls_context *kctx, struct ktls_rx_rec *rec,
			 struct aead_request *req, struct scatterlist *dst);
int ktls_rx_decrypt(struct ktls_context *kctx, struct ktls_rx_rec *rec,
		    struct aead_request *req);
int ktls_rx_accept_plain(struct ktls_context *kctx, struct ktls_rx_rec *rec);

/*
 * TLS 1.2 decryptions of one read, into its buffer or (a kernel reader's)
 * in place then copied there, in flight together; all are answered
 * before the read goes on with anything else (rx_zc.c).
 */
struct ktls_rx_batch {
	struct list_head ops;		/* oldest first */
	unsigned int count;
	bool failed;			/* an answer was an error */
	atomic_t pending;		/* answers due, +1 for the reader */
	struct completion done;
};

/* Records in flight for one read at most: bounds what a slow engine holds. */
#define KTLS_RX_BATCH_MAX	16

void ktls_rx_batch_init(struct ktls_rx_batch *b);
int ktls_rx_batch_submit(struct ktls_context *kctx, struct ktls_rx_batch *b,
			 const struct iov_iter *iter, u32 *data_len);
int ktls_rx_batch_finish(struct ktls_context *kctx, struct ktls_rx_batch *b,
			 u32 *unread);

/* ktls_rx_zc_decrypt(): the record must take the copy path instead. */
#define KTLS_RX_ZC_DECLINED	1

int ktls_rx_zc_decrypt(struct sock *sk, struct ktls_context *kctx,
		       struct ktls_rx_rec *rec, const struct iov_iter *iter,
		       u32 *data_len);

/* ---- TLS 1.3 KeyUpdate (keyupdate.c) ---- */

/* RX key states; see keyupdate.c for the transitions. */
enum ktls_ku_state {
	KTLS_KU_NOKEY,			/* no RX key yet */
	KTLS_KU_RUNNING,		/* records are decrypted */
	KTLS_KU_PAUSED,			/* KeyUpdate read: wait for a new key */
};

enum ktls_ku_event {
	KTLS_KU_EV_KEY_SET,		/* TLS_RX installed a key */
	KTLS_KU_EV_KEYUPDATE,		/* a KeyUpdate was decrypted */
};

int ktls_ku_transition(u8 *state, enum ktls_ku_event ev);
bool ktls_ku_may_decrypt(u8 state);
bool ktls_ku_scan(struct ktls_hs_scan *scan, const u8 *plain, u32 len);
int ktls_rekey_check(const struct tls_crypto_info *cur,
		     const struct tls_crypto_info *next);
void ktls_ku_rx_start(struct ktls_context *kctx);
bool ktls_ku_rx_paused(const struct ktls_rx_sw *rx);

/* A record was read: RX may go back to its device now (device_rx.c). */
static inline void ktls_rx_dev_rejoin_check(struct sock *sk,
					    struct ktls_context *kctx)
{
	if (kctx->rx_sw.dev_rejoin.state == KTLS_DEV_REJOIN_DUE &&
	    !ktls_ku_rx_paused(&kctx->rx_sw))
		ktls_dev_rx_rejoin(sk, kctx);
}

void ktls_ku_rx_record(struct sock *sk, struct ktls_context *kctx,
		       const struct ktls_rx_rec *rec);
int ktls_rekey(struct sock *sk, struct ktls_context *kctx, sockptr_t optval,
	       unsigned int optlen, bool tx);

/* ---- /proc/net/tls_stat (stats.c) ---- */

/* Same names and order as upstream's /proc/net/tls_stat. */
enum ktls_stat {
	KTLS_STAT_CURR_TX_SW,
	KTLS_STAT_CURR_RX_SW,
	KTLS_STAT_CURR_TX_DEVICE,
	KTLS_STAT_CURR_RX_DEVICE,
	KTLS_STAT_TX_SW,
	KTLS_STAT_RX_SW,
	KTLS_STAT_TX_DEVICE,
	KTLS_STAT_RX_DEVICE,
	KTLS_STAT_DECRYPT_ERROR,
	KTLS_STAT_RX_DEVICE_RESYNC,
	KTLS_STAT_DECRYPT_RETRY,
	KTLS_STAT_RX_NO_PAD_VIOLATION,
	KTLS_STAT_RX_REKEY_OK,
	KTLS_STAT_RX_REKEY_ERROR,
	KTLS_STAT_TX_REKEY_OK,
	KTLS_STAT_TX_REKEY_ERROR,
	KTLS_STAT_RX_REKEY_RECEIVED,
	KTLS_STAT_NUM,
};

void ktls_stat_inc(struct net *net, enum ktls_stat item);
void ktls_stat_dec(struct net *net, enum ktls_stat item);
enum ktls_stat ktls_stat_curr(bool tx, u8 conf);
void ktls_stat_conf_start(struct net *net, bool tx, u8 conf);
void ktls_stat_conf_move(struct net *net, bool tx, u8 conf);
int ktls_stats_register(void);
void ktls_stats_unregister(void);

/* ---- sock_diag (diag.c) ---- */

int ktls_diag_get_info(KTLS_ULP_INFO_PARAMS(struct sock *sk,
					    struct sk_buff *skb));
size_t ktls_diag_get_info_size(KTLS_ULP_INFO_PARAMS(const struct sock *sk));

#endif /* _KTLS_TLS_H */
