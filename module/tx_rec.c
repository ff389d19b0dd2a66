// SPDX-License-Identifier: GPL-2.0
/*
 * Memory of one TX record: pieces carved from the socket's page fragment
 * (sk_page_frag(): the task's for sockets of user processes, the
 * socket's own otherwise), as TCP carves its own buffers, and charged to
 * the socket; laid out as the record goes on the wire, with the views the
 * crypto API (scatterlist) and TCP (bio_vec) take of them.
 *
 * A fragment page is usually a 32 KiB compound page shared by the records
 * of many sends: one allocation (and one zeroing, with init_on_alloc)
 * serves about two full records or thirty 1 KiB ones, where a page per
 * record used to be taken. A chunk holds one reference to its page; TCP
 * takes its own. Only the bytes a record has carved are ever written
 * through it, and every byte of its wire length is written before it is
 * sent (header, payload, TLS 1.3 type, tag), so what else the page held
 * never reaches the wire. The pages are always our own: neither user
 * memory nor page cache pages reached through splice are ever written
 * (CVE-2024-0646 class).
 */
#include <linux/bvec.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "tls.h"
#include "tx.h"

/*
 * The least a carve asks the fragment for, when the record needs at
 * least that much: a fragment with fewer bytes left is replaced rather
 * than cut into slivers, and a record's first chunk always holds its
 * header and explicit nonce in one piece (ktls_tx_rec_byte()).
 */
#define KTLS_TX_CARVE_MIN	256

struct ktls_tx_rec *ktls_tx_rec_new(struct sock *sk, u8 type)
{
	struct ktls_tx_rec *rec;

	rec = kzalloc(sizeof(*rec), sk->sk_allocation);
	if (rec)
		rec->type = type;
	return rec;
}

/*
 * Let go of the spliced pages @rec references: in software once sealed
 * (the cipher has read them), on a device when the record is freed (TCP
 * and the records list have taken their own references by then).
 */
void ktls_tx_rec_put_refs(struct ktls_tx_rec *rec)
{
	while (rec->nrefs)
		put_page(rec->refs[--rec->nrefs].page);
	rec->user_refs = false;
}

/* Whether @pf goes on right where @rec's last chunk ends. */
static bool ktls_tx_rec_continues(const struct ktls_tx_rec *rec,
				  const struct page_frag *pf)
{
	const struct ktls_tx_chunk *c;

	if (!rec->nchunks)
		return false;
	c = &rec->chunks[rec->nchunks - 1];
	return c->page == pf->page && c->off + c->len == pf->offset;
}

/*
 * Carve up to @need bytes from the socket's page fragment onto the end
 * of @rec: the last chunk grows while the fragment goes on where it ends
 * (always, unless something else of the same task carved in between),
 * else a chunk is added. Socket lock held: it guards sk->sk_frag; the
 * task's fragment is only ever used by its own task.
 * Return: 0, -ENOMEM, or -ENOSPC when @rec has no chunk left for it.
 */
static int ktls_tx_rec_carve(struct sock *sk, struct ktls_tx_rec *rec,
			     u32 need)
{
	struct page_frag *pf = sk_page_frag(sk);
	bool grow = ktls_tx_rec_continues(rec, pf) && pf->offset < pf->size;
	struct ktls_tx_chunk *c;
	u32 len;

	if (!grow && rec->nchunks == KTLS_TX_REC_CHUNKS)
		return -ENOSPC;
	if (!grow && !skb_page_frag_refill(min_t(u32, need, KTLS_TX_CARVE_MIN),
					   pf, sk->sk_allocation | __GFP_NOWARN))
		return -ENOMEM;
	len = min_t(u32, need, pf->size - pf->offset);
	if (!sk_wmem_schedule(sk, len))
		return -ENOMEM;
	c = &rec->chunks[grow ? rec->nchunks - 1 : rec->nchunks++];
	if (!grow) {
		get_page(pf->page);
		*c = (struct ktls_tx_chunk){ .page = pf->page, .off = pf->offset };
	}
	c->len += len;
	pf->offset += len;
	sk_mem_charge(sk, len);
	rec->cap += len;
	return 0;
}

/*
 * Give back the memory of @rec (its chunks and their charge), leaving it
 * empty: when freed, or when it holds no payload yet and failed attempts
 * to fill it carved chunks around other carves of the task.
 */
void ktls_tx_rec_release(struct sock *sk, struct ktls_tx_rec *rec)
{
	while (rec->nchunks)
		put_page(rec->chunks[--rec->nchunks].page);
	sk_mem_uncharge(sk, rec->cap);
	rec->cap = 0;
	rec->full = false;
}

/* TCP holds its own references to whatever it took. */
void ktls_tx_rec_free(struct sock *sk, struct ktls_tx_rec *rec)
{
	ktls_tx_rec_put_refs(rec);
	ktls_tx_rec_release(sk, rec);
	kfree(rec);
}

/*
 * Give @rec memory for its first @len bytes. On -ENOMEM or -ENOSPC it
 * keeps what it had and what was carved so far (rec->cap).
 */
int ktls_tx_rec_reserve(struct sock *sk, struct ktls_tx_rec *rec,
			u32 len)
{
	int rc;

	/*
	 * A record's first reserve always fits: its first chunk takes at
	 * least KTLS_TX_CARVE_MIN bytes and every later one a fresh page,
	 * none of which the task can carve from meanwhile.
	 */
	BUILD_BUG_ON(1 + DIV_ROUND_UP(KTLS_TX_REC_MAX - KTLS_TX_CARVE_MIN,
				      PAGE_SIZE) > KTLS_TX_REC_CHUNKS);
	if (WARN_ON_ONCE(len > KTLS_TX_REC_MAX))
		return -EINVAL;
	while (rec->cap < len) {
		rc = ktls_tx_rec_carve(sk, rec, len - rec->cap);
		if (rc)
			return rc;
	}
	return 0;
}

/* The chunk holding byte @*off of @rec; @*off becomes the offset in it. */
static const struct ktls_tx_chunk *
ktls_tx_rec_chunk(const struct ktls_tx_rec *rec, u32 *off)
{
	const struct ktls_tx_chunk *c = rec->chunks;

	while (*off >= c->len) {
		*off -= c->len;
		c++;
	}
	return c;
}

/* Record pages are never highmem: page_address() covers a whole chunk. */
u8 *ktls_tx_rec_byte(struct ktls_tx_rec *rec, u32 off)
{
	const struct ktls_tx_chunk *c = ktls_tx_rec_chunk(rec, &off);

	return (u8 *)page_address(c->page) + c->off + off;
}

/**
 * ktls_tx_rec_piece() - the next piece of a byte range of @rec in one chunk
 * @rec: the record
 * @off: start of what is left of the range; moved past the piece
 * @len: length of what is left; reduced by the piece
 * @p: the piece: a (compound) page, with an offset that may lie past its
 *     first PAGE_SIZE, as in TCP's own fragments
 *
 * Return: false once the range is used up.
 */
bool ktls_tx_rec_piece(const struct ktls_tx_rec *rec, u32 *off, u32 *len,
		       struct ktls_tx_piece *p)
{
	const struct ktls_tx_chunk *c;
	u32 in = *off;

	if (!*len)
		return false;
	c = ktls_tx_rec_chunk(rec, &in);
	p->page = c->page;
	p->off = c->off + in;
	p->len = min_t(u32, *len, c->len - in);
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

/**
 * ktls_tx_rec_wire_piece() - the next piece of a byte range of @rec, in
 * record order
 * @rec: the record
 * @off: start of what is left of the range; moved past the piece
 * @len: length of what is left; reduced by the piece
 * @p: the piece: in a referenced page where @rec still references the
 *     bytes (spliced pages, the sender's memory before the seal; spliced
 *     pages on a device with TLS_TX_ZEROCOPY_RO), else in one of its
 *     chunks
 *
 * Return: false once the range is used up.
 */
bool ktls_tx_rec_wire_piece(const struct ktls_tx_rec *rec, u32 *off,
			    u32 *len, struct ktls_tx_piece *p)
{
	u32 i, span = *len, in;

	if (!*len)
		return false;
	for (i = 0; i < rec->nrefs; i++) {
		const struct ktls_tx_ref *r = &rec->refs[i];

		if (*off < r->at) {
			span = min(span, r->at - *off);
			break;
		}
		if (*off >= r->at + r->len)
			continue;
		in = *off - r->at;
		*p = (struct ktls_tx_piece){ .page = r->page, .off = r->off + in,
					     .len = min(*len, r->len - in) };
		*off += p->len;
		*len -= p->len;
		return true;
	}
	ktls_tx_rec_piece(rec, off, &span, p);
	*len -= p->len;
	return true;
}

/* How many pieces bytes [0, @rec->wire_len) of the sealed @rec take. */
u32 ktls_tx_rec_wire_pieces(const struct ktls_tx_rec *rec)
{
	u32 off = 0, len = rec->wire_len, n = 0;
	struct ktls_tx_piece p;

	while (ktls_tx_rec_wire_piece(rec, &off, &len, &p))
		n++;
	return n;
}

/* The same range as bio_vecs in wire order, for TCP. */
int ktls_tx_rec_to_bvec(struct ktls_tx_rec *rec, struct bio_vec *bv,
			u32 off, u32 len)
{
	struct ktls_tx_piece p;
	int n = 0;

	BUILD_BUG_ON(KTLS_TX_REC_CHUNKS + 2 * KTLS_TX_REC_REFS >
		     KTLS_TX_WIRE_PIECES);
	while (ktls_tx_rec_wire_piece(rec, &off, &len, &p))
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
		n = copy_from_iter((u8 *)page_address(p.page) + p.off, p.len,
				   from);
		done += n;
		if (n < p.len)
			break;
	}
	return done;
}

/* Whether a spliced piece goes on where @rec's last reference ends. */
static bool ktls_tx_ref_continues(const struct ktls_tx_rec *rec,
				  const struct ktls_tx_ref *piece)
{
	const struct ktls_tx_ref *r;

	if (!rec->nrefs)
		return false;
	r = &rec->refs[rec->nrefs - 1];
	return r->page == piece->page && r->off + r->len == piece->off &&
	       r->at + r->len == piece->at;
}

/*
 * The next piece of the spliced pages @from, at most @max bytes, within
 * one folio: a kernel sender's bio_vec may span several order-0 pages,
 * and one reference pins only its own folio (TCP too takes one per
 * page). @p gets the folio's head page and the offset in the folio.
 * Return: the page the piece starts in.
 */
static struct page *ktls_tx_splice_piece(const struct iov_iter *from,
					 u32 max, struct ktls_tx_ref *p)
{
	const struct bio_vec *bv = from->bvec;
	size_t boff = bv->bv_offset + from->iov_offset;
	struct page *page = bv->bv_page + (boff >> PAGE_SHIFT);
	struct folio *folio = page_folio(page);

	p->page = &folio->page;
	p->off = folio_page_idx(folio, page) * PAGE_SIZE +
		 offset_in_page(boff);
	p->len = min_t(size_t, bv->bv_len - from->iov_offset,
		       min_t(size_t, max, folio_size(folio) - p->off));
	return page;
}

/*
 * Take up to @len bytes of the spliced pages @from (a bio_vec iterator)
 * as bytes [@off, @off + @len) of @rec by reference rather than copying
 * them: in software the cipher reads them from there and writes the
 * record's own pages (tx_sw.c); on a device TCP and the records list
 * send them from there (device_tx.c). Either way the page cache is only
 * ever read. Once @rec has no
 * slot left, or for a page TCP would not take by reference either
 * (sendpage_ok()), the rest is copied.
 * Return: bytes taken.
 */
size_t ktls_tx_rec_splice_in(struct ktls_tx_rec *rec, u32 off,
			     struct iov_iter *from, size_t len)
{
	struct ktls_tx_ref p;
	size_t done = 0;
	struct page *page;

	while (done < len) {
		page = ktls_tx_splice_piece(from, len - done, &p);
		p.at = off + done;
		if (!p.len)
			break;
		if (ktls_tx_ref_continues(rec, &p)) {
			rec->refs[rec->nrefs - 1].len += p.len;
		} else if (rec->nrefs < KTLS_TX_REC_REFS && sendpage_ok(page)) {
			get_page(p.page);
			rec->refs[rec->nrefs++] = p;
		} else {
			break;
		}
		iov_iter_advance(from, p.len);
		done += p.len;
	}
	return done + ktls_tx_rec_copy_in(rec, off + done, from, len - done);
}

/* Add the page range @p to @rec's references, merged where it goes on. */
static void ktls_tx_rec_add_ref(struct ktls_tx_rec *rec,
				const struct ktls_tx_ref *p)
{
	if (ktls_tx_ref_continues(rec, p)) {
		rec->refs[rec->nrefs - 1].len += p->len;
		put_page(p->page);
	} else {
		rec->refs[rec->nrefs++] = *p;
	}
}

/*
 * Take up to @len bytes of the sender's memory @from (a user-backed
 * iterator) as bytes [@off, @off + @len) of @rec by reference: the
 * cipher reads them in place, out of place into the record's own pages,
 * and never writes them (an AEAD that reads its text twice is not given
 * any, ktls_tx_pins_user()). Only for a record sealed before the call
 * returns: send() must not depend on the buffer afterwards, so a call
 * that leaves it open copies them first (ktls_tx_rec_unpin()). Once
 * @rec has no slot left, or pages cannot be had, the rest is copied.
 * Return: bytes taken.
 */
size_t ktls_tx_rec_pin_in(struct ktls_tx_rec *rec, u32 off,
			  struct iov_iter *from, size_t len)
{
	struct page *pages[KTLS_TX_REC_REFS];
	struct ktls_tx_ref p;
	size_t done = 0, start;
	ssize_t got;
	int i;

	while (done < len && rec->nrefs < KTLS_TX_REC_REFS) {
		got = iov_iter_get_pages2(from, pages, len - done,
					  KTLS_TX_REC_REFS - rec->nrefs, &start);
		if (got <= 0)
			break;
		rec->user_refs = true;
		for (i = 0; got; i++, start = 0) {
			p.page = pages[i];
			p.off = start;
			p.len = min_t(size_t, got, PAGE_SIZE - start);
			p.at = off + done;
			ktls_tx_rec_add_ref(rec, &p);
			done += p.len;
			got -= p.len;
		}
	}
	return done + ktls_tx_rec_copy_in(rec, off + done, from, len - done);
}

/*
 * The call that pinned the sender's memory into @rec returns with it
 * still open (sealing failed or must wait): copy the referenced bytes
 * into the record's own pages, which are reserved for them already.
 */
void ktls_tx_rec_unpin(struct ktls_tx_rec *rec)
{
	if (!rec || !rec->user_refs)
		return;
	while (rec->nrefs)
		ktls_tx_rec_unref_last(rec);
	rec->user_refs = false;
}

/*
 * Copy the bytes @rec's last reference holds into the room its chunks
 * keep for them (a record's memory always covers its wire length), and
 * let go of the spliced page. Only read from it, as ever.
 */
void ktls_tx_rec_unref_last(struct ktls_tx_rec *rec)
{
	struct ktls_tx_ref *r = &rec->refs[rec->nrefs - 1];
	struct iov_iter it;
	struct bio_vec bv;

	bvec_set_page(&bv, r->page, r->len, r->off);
	iov_iter_bvec(&it, ITER_SOURCE, &bv, 1, r->len);
	ktls_tx_rec_copy_in(rec, r->at, &it, r->len);
	put_page(r->page);
	rec->nrefs--;
}

/*
 * The plaintext of bytes [@off, @off + @len) of @rec for the cipher: the
 * referenced ranges from the spliced pages, the rest from the record's
 * own pages. The references are in order and inside the range:
 * ktls_tx_rec_splice_in() and ktls_tx_rec_pin_in() add them only at the
 * record's end. Returns entries used (at most KTLS_TX_SRC_SG - 1).
 *
 * The pieces from the record's own pages are the same bytes the
 * destination names at the same offsets: in place there, out of place
 * elsewhere. That suits ciphers that read each byte of text once, in
 * order, before writing it (GCM and ChaCha20-Poly1305 authenticate the
 * ciphertext); CCM, which reads the text twice, never gets references
 * (ktls_cipher_reads_text_twice()).
 */
int ktls_tx_rec_to_src_sg(struct ktls_tx_rec *rec, struct scatterlist *sg,
			  u32 off, u32 len)
{
	struct ktls_tx_piece p;
	int n = 0;

	BUILD_BUG_ON(KTLS_TX_SRC_SG < 1 + KTLS_TX_WIRE_PIECES);
	while (ktls_tx_rec_wire_piece(rec, &off, &len, &p))
		sg_set_page(&sg[n++], p.page, p.len, p.off);
	return n;
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
