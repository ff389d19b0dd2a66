// SPDX-License-Identifier: GPL-2.0
/*
 * Memory of one TX record: pages allocated for it alone and charged to
 * the socket, laid out as the record goes on the wire, and the views the
 * crypto API (scatterlist) and TCP (bio_vec) take of them. The pages are
 * always our own: neither user memory nor page cache pages reached
 * through splice are ever written (CVE-2024-0646 class).
 */
#include <linux/bvec.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "tls.h"
#include "tx.h"

struct ktls_tx_rec *ktls_tx_rec_new(struct sock *sk, u8 type)
{
	struct ktls_tx_rec *rec;

	rec = kzalloc(sizeof(*rec), sk->sk_allocation);
	if (rec)
		rec->type = type;
	return rec;
}

/* TCP holds its own references to whatever it took. */
void ktls_tx_rec_free(struct sock *sk, struct ktls_tx_rec *rec)
{
	u32 i;

	for (i = 0; i < rec->npages; i++)
		put_page(rec->pages[i]);
	sk_mem_uncharge(sk, rec->npages * PAGE_SIZE);
	kfree(rec);
}

/* Give @rec pages for its first @len bytes, charged to the socket. */
int ktls_tx_rec_reserve(struct sock *sk, struct ktls_tx_rec *rec,
			u32 len)
{
	u32 need = DIV_ROUND_UP(len, PAGE_SIZE);
	struct page *page;

	if (WARN_ON_ONCE(need > KTLS_TX_REC_PAGES))
		return -EINVAL;
	while (rec->npages < need) {
		if (!sk_wmem_schedule(sk, PAGE_SIZE))
			return -ENOMEM;
		page = alloc_page(sk->sk_allocation | __GFP_NOWARN);
		if (!page)
			return -ENOMEM;
		sk_mem_charge(sk, PAGE_SIZE);
		rec->pages[rec->npages++] = page;
	}
	return 0;
}

u8 *ktls_tx_rec_byte(struct ktls_tx_rec *rec, u32 off)
{
	return (u8 *)page_address(rec->pages[off / PAGE_SIZE]) +
	       off % PAGE_SIZE;
}

/**
 * ktls_tx_rec_piece() - the next piece of a byte range of @rec in one page
 * @rec: the record
 * @off: start of what is left of the range; moved past the piece
 * @len: length of what is left; reduced by the piece
 * @p: the piece
 *
 * Return: false once the range is used up.
 */
bool ktls_tx_rec_piece(const struct ktls_tx_rec *rec, u32 *off, u32 *len,
		       struct ktls_tx_piece *p)
{
	if (!*len)
		return false;
	p->page = rec->pages[*off / PAGE_SIZE];
	p->off = *off % PAGE_SIZE;
	p->len = min_t(u32, *len, PAGE_SIZE - p->off);
	*off += p->len;
	*len -= p->len;
	return true;
}

/* Point @sg at bytes [@off, @off + @len) of @rec; returns entries used. */
int ktls_tx_rec_to_sg(struct ktls_tx_rec *rec, struct scatterlist *sg,
		      u32 off, u32 len)
{
	struct ktls_tx_piece p;
	int n = 0;

	while (ktls_tx_rec_piece(rec, &off, &len, &p))
		sg_set_page(&sg[n++], p.page, p.len, p.off);
	return n;
}

/* The same range as bio_vecs, for TCP. */
int ktls_tx_rec_to_bvec(struct ktls_tx_rec *rec, struct bio_vec *bv,
			u32 off, u32 len)
{
	struct ktls_tx_piece p;
	int n = 0;

	while (ktls_tx_rec_piece(rec, &off, &len, &p))
		bvec_set_page(&bv[n++], p.page, p.len, p.off);
	return n;
}

/* Copy up to @len bytes from @from to offset @off of @rec. */
size_t ktls_tx_rec_copy_in(struct ktls_tx_rec *rec, u32 off,
			   struct iov_iter *from, size_t len)
{
	struct ktls_tx_piece p;
	u32 left = len;
	size_t done = 0;
	size_t n;

	while (ktls_tx_rec_piece(rec, &off, &left, &p)) {
		n = copy_page_from_iter(p.page, p.off, p.len, from);
		done += n;
		if (n < p.len)
			break;
	}
	return done;
}

/* Zero bytes [@off, @off + @len) of @rec: no stale memory on the wire. */
void ktls_tx_rec_zero(struct ktls_tx_rec *rec, u32 off, u32 len)
{
	struct ktls_tx_piece p;

	while (ktls_tx_rec_piece(rec, &off, &len, &p))
		memset((u8 *)page_address(p.page) + p.off, 0, p.len);
}

/*
 * Frame @rec around its payload as the wire has it: header and, for
 * explicit-nonce suites, @nonce in front; for TLS 1.3 the inner content
 * type behind (RFC 8446 5.2), which the cipher covers too.
 */
void ktls_tx_rec_frame(const struct tls_prot_info *prot,
		       struct ktls_tx_rec *rec, const u8 *nonce)
{
	ktls_record_fill_header(prot, ktls_tx_rec_byte(rec, 0), rec->type,
				rec->plain_len, nonce);
	if (prot->tail_size)
		*ktls_tx_rec_byte(rec, prot->prepend_size + rec->plain_len) =
			rec->type;
}
