// SPDX-License-Identifier: MIT
/*
 * memring.c - a ring in plain memory for the unit tests of engines
 * (memring.h).
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memring.h"
#include "../../examples/kit.h"

int memring_start(struct memring *r, const struct storage_engine *eng,
		  void *ctx, uint64_t size, uint32_t depth, uint32_t max_io,
		  uint32_t lbs)
{
	struct buse_attach *a = &r->a;
	int ret;

	memset(r, 0, sizeof(*r));
	r->eng = *eng;
	r->ctx = ctx;
	cr_assert_leq(depth, MEMRING_MAX_DEPTH);
	a->size = size;
	a->ops = BUSE_OPS_ALL;
	a->nr_queues = 1;
	a->queue_depth = depth;
	a->max_io = max_io;
	a->logical_block_size = a->physical_block_size = lbs;
	a->sq_entries = 2 * depth;
	a->cq_entries = depth;
	a->sq_off = sizeof(struct buse_ring_hdr);
	a->cq_off = a->sq_off + a->sq_entries * sizeof(struct buse_io_desc);
	a->data_off = 4096;
	a->map_size = a->data_off + (uint64_t)depth * max_io;
	r->area = aligned_alloc(4096, a->map_size);
	cr_assert_not_null(r->area);
	memset(r->area, 0, a->map_size);
	r->dev.size = size;
	r->dev.nr_queues = 1;
	r->dev.queue_depth = depth;
	r->dev.max_io = max_io;
	r->dev.logical_block_size = r->dev.physical_block_size = lbs;
	r->dev.ops = bdus_engine_ops(&r->eng);
	cr_assert_eq(bdus_engine_check(&r->eng), 0);
	cr_assert_eq(bdus_queue_init(&r->q, 0, r->area, a, &r->dev, &r->eng,
				     r->ctx, -1),
		     0);
	r->q_init = true;
	/* As bdus_serve() does before serving. */
	ret = r->eng.open ? r->eng.open(r->ctx, &r->dev) : 0;
	r->opened = ret == 0;
	return ret;
}

void memring_stop(struct memring *r)
{
	if (r->opened && r->eng.close)
		r->eng.close(r->ctx, &r->dev);
	if (r->q_init)
		bdus_queue_fini(&r->q);
	free(r->area);
	memset(r, 0, sizeof(*r));
}

unsigned char *memring_buf(struct memring *r, uint16_t tag)
{
	return r->area + r->a.data_off + (size_t)tag * r->a.max_io;
}

void memring_post(struct memring *r, uint16_t tag, uint16_t seq, uint8_t op,
		  uint32_t flags, uint64_t off, uint32_t len)
{
	struct buse_ring_hdr *hdr = (struct buse_ring_hdr *)r->area;
	struct buse_io_desc *sq =
		(struct buse_io_desc *)(r->area + r->a.sq_off);
	struct buse_io_desc *d = &sq[r->sq_tail++ & (r->a.sq_entries - 1)];

	memset(d, 0, sizeof(*d));
	*d = (struct buse_io_desc){ .tag = tag,
				    .seq = seq,
				    .op = op,
				    .flags = flags,
				    .sector = off >> 9,
				    .len = len };
	__atomic_store_n(&hdr->sq_tail, r->sq_tail, __ATOMIC_RELEASE);
}

void memring_run(struct memring *r, int n)
{
	cr_assert_eq(bdus_queue_process(&r->q), n);
}

void memring_submit_flags(struct memring *r, uint16_t tag, uint8_t op,
			  uint64_t off, uint32_t len, uint32_t flags)
{
	cr_assert_lt(tag, r->a.queue_depth);
	cr_assert(!r->got[tag], "tag %u's last result was not taken", tag);
	memring_post(r, tag, ++r->seq[tag], op, flags, off, len);
	memring_run(r, 1);
}

void memring_submit(struct memring *r, uint16_t tag, uint8_t op, uint64_t off,
		    uint32_t len)
{
	memring_submit_flags(r, tag, op, off, len, 0);
}

void memring_cancel(struct memring *r, uint16_t tag)
{
	memring_post(r, tag, r->seq[tag], BUSE_OP_CANCEL, 0, 0, 0);
	memring_run(r, 1);
}

int32_t memring_result(struct memring *r, uint16_t tag)
{
	struct buse_ring_hdr *hdr = (struct buse_ring_hdr *)r->area;
	struct buse_io_cqe *cq = (struct buse_io_cqe *)(r->area + r->a.cq_off);
	struct buse_io_cqe c;

	cr_assert_neq(__atomic_load_n(&hdr->cq_tail, __ATOMIC_ACQUIRE),
		      r->cq_head, "no completion for tag %u", tag);
	c = cq[r->cq_head++ & (r->a.cq_entries - 1)];
	__atomic_store_n(&hdr->cq_head, r->cq_head, __ATOMIC_RELEASE);
	cr_assert_eq(c.tag, tag);
	cr_assert_eq(c.seq, r->seq[tag]);
	return c.result;
}

bool memring_no_completion(struct memring *r)
{
	struct buse_ring_hdr *hdr = (struct buse_ring_hdr *)r->area;

	return __atomic_load_n(&hdr->cq_tail, __ATOMIC_ACQUIRE) == r->cq_head;
}

bool memring_done(struct memring *r, uint16_t tag)
{
	struct buse_ring_hdr *hdr = (struct buse_ring_hdr *)r->area;
	struct buse_io_cqe *cq = (struct buse_io_cqe *)(r->area + r->a.cq_off);
	struct buse_io_cqe c;

	while (!memring_no_completion(r)) {
		c = cq[r->cq_head++ & (r->a.cq_entries - 1)];
		__atomic_store_n(&hdr->cq_head, r->cq_head, __ATOMIC_RELEASE);
		cr_assert_lt(c.tag, r->a.queue_depth);
		cr_assert_eq(c.seq, r->seq[c.tag]);
		cr_assert(!r->got[c.tag], "two completions for tag %u", c.tag);
		r->got[c.tag] = true;
		r->res[c.tag] = c.result;
	}
	return r->got[tag];
}

int32_t memring_wait_result(struct memring *r, uint16_t tag)
{
	int i;

	for (i = 0; i < 100000 && !memring_done(r, tag); i++)
		usleep(100);
	cr_assert(r->got[tag], "no completion for tag %u", tag);
	r->got[tag] = false;
	return r->res[tag];
}

/* ------------------------------------------------------------------------
 * memdisk
 */

static int memdisk_do(struct memdisk *m, uint32_t op, void *buf, uint64_t off,
		      uint32_t len, const struct bdus_req *req)
{
	cr_assert_lt(m->ncalls, MEMDISK_MAX_CALLS);
	m->calls[m->ncalls++] = (struct memdisk_call){
		.op = op,
		.offset = off,
		.len = len,
		.buf = buf,
		.flags = req->flags,
		.req = req,
	};
	/* Every engine's request mirrors its arguments. */
	cr_assert_eq(req->op, op);
	cr_assert_eq(req->offset, off);
	cr_assert_eq(req->len, len);
	cr_assert_eq(req->buf, buf);
	if (m->dev)
		cr_assert_eq(req->dev, m->dev);
	cr_assert_leq(off + len, MEMDISK_SIZE);
	if (m->ret[op] < 0)
		return m->ret[op];
	if (op == BUSE_OP_READ)
		memcpy(buf, m->disk + off, len);
	else if (op == BUSE_OP_WRITE)
		memcpy(m->disk + off, buf, len);
	if (m->ret[op] > 0)
		return m->ret[op];
	if (m->async)
		return BDUS_ASYNC;
	return m->counts ? (int)len : 0;
}

int memdisk_read(void *ctx, void *buf, uint64_t off, uint32_t len,
		 const struct bdus_req *req)
{
	return memdisk_do(ctx, BUSE_OP_READ, buf, off, len, req);
}

int memdisk_write(void *ctx, const void *buf, uint64_t off, uint32_t len,
		  const struct bdus_req *req)
{
	return memdisk_do(ctx, BUSE_OP_WRITE, (void *)(uintptr_t)buf, off, len,
			  req);
}

int memdisk_flush(void *ctx, const struct bdus_req *req)
{
	return memdisk_do(ctx, BUSE_OP_FLUSH, NULL, 0, 0, req);
}

int memdisk_discard(void *ctx, uint64_t off, uint32_t len,
		    const struct bdus_req *req)
{
	return memdisk_do(ctx, BUSE_OP_DISCARD, NULL, off, len, req);
}

void memdisk_cancel(void *ctx, const struct bdus_req *req)
{
	struct memdisk *m = ctx;

	cr_assert_lt(m->ncancelled, MEMDISK_MAX_CANCELS);
	m->cancelled[m->ncancelled++] = req;
}

const struct bdus_req *memdisk_last_req(const struct memdisk *m)
{
	cr_assert_gt(m->ncalls, 0);
	return m->calls[m->ncalls - 1].req;
}

/* ------------------------------------------------------------------------
 * kit_err()
 */

char kit_errmsg[2048];

void kit_err(const char *name, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(kit_errmsg, sizeof(kit_errmsg), "buse-%s: ", name);
	va_start(ap, fmt);
	vsnprintf(kit_errmsg + n, sizeof(kit_errmsg) - (size_t)n, fmt, ap);
	va_end(ap);
}
