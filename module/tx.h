/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the TX files only: the record in memory (tx_rec.c), waiting
 * (tx_wait.c), pushing to TCP (tx_push.c), framing (tx.c), the end of the
 * stream (tx_end.c) and the configurations that seal records (tx_sw.c).
 */
#ifndef _KTLS_TX_H
#define _KTLS_TX_H

#include <linux/types.h>

struct bio_vec;
struct iov_iter;
struct scatterlist;

#define KTLS_TX_TAG_MAX		16
/* The longest record on the wire, with any cipher and version. */
#define KTLS_TX_REC_MAX		(TLS_HEADER_SIZE + TLS_MAX_IV_SIZE + \
				 TLS_MAX_PAYLOAD_SIZE + 1 + KTLS_TX_TAG_MAX)
#define KTLS_TX_REC_PAGES	DIV_ROUND_UP(KTLS_TX_REC_MAX, PAGE_SIZE)

/*
 * One record, laid out as it goes on the wire over @pages: header (and
 * TLS 1.2 explicit nonce), payload, TLS 1.3 content type, tag.
 */
struct ktls_tx_rec {
	struct list_head list;
	struct page *pages[KTLS_TX_REC_PAGES];
	u32 npages;		/* allocated and charged to the socket */
	u32 plain_len;		/* payload bytes copied in */
	u32 wire_len;		/* length once sealed, else 0 */
	u32 sent;		/* bytes TCP has taken */
	int push_flags;		/* of the configuration that sealed it */
	u32 key_gen;		/* ktls_tx.key_gen it was sealed under */
	u8 type;		/* content type */
};

/*
 * What differs between TX configurations: how a record is sealed and how
 * TCP carries it. One table per configuration, chosen when the TX keys
 * are set (ktls_tx_configure()); framing, queueing and pushing are shared.
 */
struct ktls_tx_ops {
	u8 conf;		/* TLS_SW or TLS_HW, for tx_conf */
	/* First send: what sealing needs (socket lock held). */
	int (*setup)(struct sock *sk, struct ktls_context *kctx);
	/*
	 * Make the full record @rec (pages covering its wire length) ready
	 * for TCP under the current sequence number and set @rec->wire_len
	 * (the caller moves the sequence on). -ENOMEM: nothing done, @rec
	 * stays open; on any other error @rec is never sent.
	 */
	int (*seal)(struct sock *sk, struct ktls_context *kctx,
		    struct ktls_tx_rec *rec);
	/* Close: free what @setup made (socket lock held). */
	void (*teardown)(struct sock *sk, struct ktls_context *kctx);
	int push_flags;		/* added to every push of its records to TCP */
};

extern const struct ktls_tx_ops ktls_tx_sw_ops;
/* device_tx.c: the device configuration, or NULL to stay in software */
const struct ktls_tx_ops *ktls_dev_tx_ops(struct sock *sk,
					  struct ktls_context *kctx);

/* tx_rec.c */
/* A piece of a record's byte range that lies in one of its pages. */
struct ktls_tx_piece {
	struct page *page;
	u32 off;
	u32 len;
};

struct ktls_tx_rec *ktls_tx_rec_new(struct sock *sk, u8 type);
void ktls_tx_rec_free(struct sock *sk, struct ktls_tx_rec *rec);
int ktls_tx_rec_reserve(struct sock *sk, struct ktls_tx_rec *rec, u32 len);
u8 *ktls_tx_rec_byte(struct ktls_tx_rec *rec, u32 off);
bool ktls_tx_rec_piece(const struct ktls_tx_rec *rec, u32 *off, u32 *len,
		       struct ktls_tx_piece *p);
int ktls_tx_rec_to_sg(struct ktls_tx_rec *rec, struct scatterlist *sg,
		      u32 off, u32 len);
int ktls_tx_rec_to_bvec(struct ktls_tx_rec *rec, struct bio_vec *bv,
			u32 off, u32 len);
size_t ktls_tx_rec_copy_in(struct ktls_tx_rec *rec, u32 off,
			   struct iov_iter *from, size_t len);
void ktls_tx_rec_zero(struct ktls_tx_rec *rec, u32 off, u32 len);
void ktls_tx_rec_frame(const struct tls_prot_info *prot,
		       struct ktls_tx_rec *rec, const u8 *nonce);

/* tx_wait.c */
int ktls_tx_check(struct sock *sk, struct ktls_context *kctx);
int ktls_tx_wait(struct sock *sk, struct ktls_context *kctx, long *timeo,
		 bool flushing);
int ktls_tx_wait_room(struct sock *sk, struct ktls_context *kctx,
		      long *timeo);
int ktls_tx_reserve_wait(struct sock *sk, struct ktls_context *kctx,
			 struct ktls_tx_rec *rec, u32 len, long *timeo);
void ktls_tx_wake_all(struct sock *sk);

/* tx_push.c */
void ktls_tx_report(struct sock *sk, struct ktls_context *kctx);
u32 ktls_tx_queued_bytes(const struct ktls_tx *tx);
int ktls_tx_push(struct sock *sk, struct ktls_context *kctx);
int ktls_tx_push_wait(struct sock *sk, struct ktls_context *kctx,
		      int flags, long *timeo);
void ktls_tx_push_start(struct sock *sk, struct ktls_context *kctx);
void ktls_tx_push_stop(struct sock *sk, struct ktls_context *kctx);
void ktls_tx_work(struct work_struct *work);

/* tx.c */
int ktls_tx_close_open(struct sock *sk, struct ktls_context *kctx,
		       long *timeo);
int ktls_tx_close_push(struct sock *sk, struct ktls_context *kctx,
		       int flags, long *timeo);

#endif /* _KTLS_TX_H */
