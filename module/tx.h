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
 * Chunks a record may take. One fresh reserve takes at most a partial
 * fragment and a page per 4 KiB (ktls_tx_rec_reserve()); the rest is for
 * MSG_MORE appends that found the task's fragment moved on by another
 * socket. A record whose chunks run out ends where its memory does
 * (->full), as upstream's ends when its scatterlist is full.
 */
#define KTLS_TX_REC_CHUNKS	16

/* Contiguous bytes of a (compound) page; the record holds one reference. */
struct ktls_tx_chunk {
	struct page *page;
	u32 off;
	u32 len;
};

/*
 * Payload bytes a record leaves in the pages they were spliced from
 * (sendfile, splice), or in the sender's own memory for a record sealed
 * within the call (ktls_tx_rec_pin_in()): in software until it is sealed
 * (the cipher reads them there); on a device with TLS_TX_ZEROCOPY_RO
 * spliced pages until it is freed (TCP and the records list send them
 * from there). A record of 16 KiB takes four or five.
 */
#define KTLS_TX_REC_REFS	6

/* Bytes [@at, @at + @len) of a record, at @off in @page (a reference). */
struct ktls_tx_ref {
	struct page *page;
	u32 off;
	u32 len;
	u32 at;
};

/*
 * The plaintext side of a record with @refs, for the cipher: its AAD, and
 * per reference the reference and at most one piece before it, plus what
 * chunk boundaries add, and the rest up to the tail.
 */
#define KTLS_TX_SRC_SG		(2 * KTLS_TX_REC_REFS + KTLS_TX_REC_CHUNKS + 1)

/*
 * Pieces of a sealed record's wire view (ktls_tx_rec_wire_piece()): its
 * chunks, and per reference the reference and the chunk piece it splits.
 */
#define KTLS_TX_WIRE_PIECES	(KTLS_TX_REC_CHUNKS + 2 * KTLS_TX_REC_REFS)

/*
 * One record, laid out as it goes on the wire over @chunks: header (and
 * TLS 1.2 explicit nonce), payload, TLS 1.3 content type, tag. Until it
 * is sealed (software) or freed (device, TLS_TX_ZEROCOPY_RO), payload
 * ranges in @refs are still in the spliced pages (the chunks hold room
 * for their bytes all the same).
 */
struct ktls_tx_rec {
	struct list_head list;
	struct ktls_tx_chunk chunks[KTLS_TX_REC_CHUNKS];
	u32 nchunks;
	u32 cap;		/* bytes carved and charged to the socket */
	bool full;		/* no chunk left: takes no more than @cap */
	struct ktls_tx_ref refs[KTLS_TX_REC_REFS];	/* ordered by @at */
	u32 nrefs;
	bool user_refs;		/* @refs hold the sender's memory: see pin_in */
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
	 * stays open; on any other error @rec is never sent. With @defer
	 * (more of the same call follows) the configuration may leave @rec
	 * in flight (ktls_tx.nflight): see @settle.
	 */
	int (*seal)(struct sock *sk, struct ktls_context *kctx,
		    struct ktls_tx_rec *rec, bool defer);
	/*
	 * Wait for every record left in flight, oldest first. Return NULL,
	 * or if any failed the first (oldest) record of the flight. Socket
	 * lock held throughout, as since those records were sealed. NULL
	 * op: nothing is ever in flight.
	 */
	struct ktls_tx_rec *(*settle)(struct sock *sk,
				      struct ktls_context *kctx);
	/* Close: free what @setup made (socket lock held). */
	void (*teardown)(struct sock *sk, struct ktls_context *kctx);
	int push_flags;		/* added to every push of its records to TCP */
	/*
	 * @seal reads spliced pages in place (ktls_tx_rec->refs): they are
	 * only ever read. Otherwise their bytes are copied into the record.
	 */
	bool seals_refs;
	/*
	 * TCP and @seal's records list take spliced pages by reference,
	 * with TLS_TX_ZEROCOPY_RO: the device encrypts them at transmit.
	 */
	bool sends_refs;
};

extern const struct ktls_tx_ops ktls_tx_sw_ops;
/* device_tx.c: the device configuration, or NULL to stay in software */
const struct ktls_tx_ops *ktls_dev_tx_ops(struct sock *sk,
					  struct ktls_context *kctx);

/* tx_rec.c */
/* A piece of a record's byte range that lies in one of its chunks. */
struct ktls_tx_piece {
	struct page *page;
	u32 off;
	u32 len;
};

struct ktls_tx_rec *ktls_tx_rec_new(struct sock *sk, u8 type);
void ktls_tx_rec_free(struct sock *sk, struct ktls_tx_rec *rec);
void ktls_tx_rec_release(struct sock *sk, struct ktls_tx_rec *rec);
int ktls_tx_rec_reserve(struct sock *sk, struct ktls_tx_rec *rec, u32 len);
u8 *ktls_tx_rec_byte(struct ktls_tx_rec *rec, u32 off);
bool ktls_tx_rec_piece(const struct ktls_tx_rec *rec, u32 *off, u32 *len,
		       struct ktls_tx_piece *p);
int ktls_tx_rec_to_sg(struct ktls_tx_rec *rec, struct scatterlist *sg,
		      u32 off, u32 len);
bool ktls_tx_rec_wire_piece(const struct ktls_tx_rec *rec, u32 *off,
			    u32 *len, struct ktls_tx_piece *p);
u32 ktls_tx_rec_wire_pieces(const struct ktls_tx_rec *rec);
int ktls_tx_rec_to_bvec(struct ktls_tx_rec *rec, struct bio_vec *bv,
			u32 off, u32 len);
size_t ktls_tx_rec_copy_in(struct ktls_tx_rec *rec, u32 off,
			   struct iov_iter *from, size_t len);
size_t ktls_tx_rec_splice_in(struct ktls_tx_rec *rec, u32 off,
			     struct iov_iter *from, size_t len);
size_t ktls_tx_rec_pin_in(struct ktls_tx_rec *rec, u32 off,
			  struct iov_iter *from, size_t len);
void ktls_tx_rec_unpin(struct ktls_tx_rec *rec);
void ktls_tx_rec_put_refs(struct ktls_tx_rec *rec);
void ktls_tx_rec_unref_last(struct ktls_tx_rec *rec);
int ktls_tx_rec_to_src_sg(struct ktls_tx_rec *rec, struct scatterlist *sg,
			  u32 off, u32 len);
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

/* Records an asynchronous engine may have from one call at once (tx_sw.c). */
#define KTLS_TX_FLIGHT		4

/* tx_push.c */
int ktls_tx_settle(struct sock *sk, struct ktls_context *kctx);
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
		       long *timeo, bool defer);
int ktls_tx_close_push(struct sock *sk, struct ktls_context *kctx,
		       int flags, long *timeo);

#endif /* _KTLS_TX_H */
