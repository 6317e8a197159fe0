// SPDX-License-Identifier: MIT
/*
 * test_filter.c - filters (libbdus/src/filter.c): a filter composed over an
 * inner engine with bdus_filter_compose(), served by the queue code of
 * ring.c from a ring in plain memory (one queue, no kernel), as in
 * test_dispatch.c: the test writes a descriptor, runs
 * bdus_queue_process() and reads the completion the kernel would get.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "bdus.h"
#include "ring.h"

#define DEPTH 4
#define MAX_IO 8192u
#define DEV_SIZE (1u << 20)
#define SHIFT 4096u /* the shifting filter's offset */

/* ------------------------------------------------------------------------
 * The ring: one queue of DEPTH tags in plain memory
 */

static struct {
	struct buse_attach a;
	unsigned char *area;
	struct bdus_dev dev;
	struct bdus_queue q;
	bool q_init;
	uint32_t sq_tail, cq_head;
	uint16_t seq[DEPTH];
	/* The composed engine. */
	struct storage_engine eng;
	void *ctx;
	bool opened;
} rg;

static void ring_start(const struct bdus_filter *f)
{
	struct buse_attach *a = &rg.a;

	memset(&rg, 0, sizeof(rg));
	cr_assert_eq(bdus_filter_compose(f, &rg.eng, &rg.ctx), 0);
	a->size = DEV_SIZE;
	a->ops = BUSE_OPS_ALL;
	a->nr_queues = 1;
	a->queue_depth = DEPTH;
	a->max_io = MAX_IO;
	a->logical_block_size = a->physical_block_size = 512;
	a->sq_entries = 2 * DEPTH;
	a->cq_entries = DEPTH;
	a->sq_off = sizeof(struct buse_ring_hdr);
	a->cq_off = a->sq_off + a->sq_entries * sizeof(struct buse_io_desc);
	a->data_off = 4096;
	a->map_size = a->data_off + (uint64_t)DEPTH * MAX_IO;
	rg.area = aligned_alloc(4096, a->map_size);
	cr_assert_not_null(rg.area);
	memset(rg.area, 0, a->map_size);
	rg.dev.size = DEV_SIZE;
	rg.dev.nr_queues = 1;
	rg.dev.queue_depth = DEPTH;
	rg.dev.max_io = MAX_IO;
	rg.dev.logical_block_size = rg.dev.physical_block_size = 512;
	rg.dev.ops = bdus_engine_ops(&rg.eng);
	cr_assert_eq(bdus_engine_check(&rg.eng), 0);
	cr_assert_eq(bdus_queue_init(&rg.q, 0, rg.area, a, &rg.dev, &rg.eng,
				     rg.ctx, -1),
		     0);
	rg.q_init = true;
	/* As bdus_serve() does before serving. */
	cr_assert_eq(rg.eng.open(rg.ctx, &rg.dev), 0);
	rg.opened = true;
}

static void ring_stop(void)
{
	if (rg.opened)
		rg.eng.close(rg.ctx, &rg.dev);
	if (rg.q_init)
		bdus_queue_fini(&rg.q);
	bdus_filter_free(rg.ctx);
	free(rg.area);
	memset(&rg, 0, sizeof(rg));
}

static void *tag_buf(uint16_t tag)
{
	return rg.area + rg.a.data_off + (size_t)tag * MAX_IO;
}

/* Posts one descriptor and has the queue process it. */
static void post_desc(uint16_t tag, uint16_t seq, uint8_t op, uint64_t off,
		      uint32_t len)
{
	struct buse_ring_hdr *hdr = (struct buse_ring_hdr *)rg.area;
	struct buse_io_desc *sq =
		(struct buse_io_desc *)(rg.area + rg.a.sq_off);
	struct buse_io_desc *d = &sq[rg.sq_tail++ & (rg.a.sq_entries - 1)];

	memset(d, 0, sizeof(*d));
	*d = (struct buse_io_desc){
		.tag = tag, .seq = seq, .op = op, .sector = off >> 9, .len = len
	};
	__atomic_store_n(&hdr->sq_tail, rg.sq_tail, __ATOMIC_RELEASE);
	cr_assert_eq(bdus_queue_process(&rg.q), 1);
}

static void submit(uint16_t tag, uint8_t op, uint64_t off, uint32_t len)
{
	post_desc(tag, ++rg.seq[tag], op, off, len);
}

/* The next completion's result for tag; fails if there is none. */
static int32_t result_of(uint16_t tag)
{
	struct buse_ring_hdr *hdr = (struct buse_ring_hdr *)rg.area;
	struct buse_io_cqe *cq = (struct buse_io_cqe *)(rg.area + rg.a.cq_off);
	struct buse_io_cqe c;

	cr_assert_neq(__atomic_load_n(&hdr->cq_tail, __ATOMIC_ACQUIRE),
		      rg.cq_head, "no completion for tag %u", tag);
	c = cq[rg.cq_head++ & (rg.a.cq_entries - 1)];
	__atomic_store_n(&hdr->cq_head, rg.cq_head, __ATOMIC_RELEASE);
	cr_assert_eq(c.tag, tag);
	cr_assert_eq(c.seq, rg.seq[tag]);
	return c.result;
}

static bool no_completion(void)
{
	struct buse_ring_hdr *hdr = (struct buse_ring_hdr *)rg.area;

	return __atomic_load_n(&hdr->cq_tail, __ATOMIC_ACQUIRE) == rg.cq_head;
}

/* ------------------------------------------------------------------------
 * The inner engine: a RAM disk that records its calls
 */

struct icall {
	uint32_t op;
	uint64_t offset;
	uint32_t len;
	void *buf;
	uint32_t flags;
	const struct bdus_req *req;
};

static struct {
	unsigned char disk[DEV_SIZE];
	struct icall calls[64];
	unsigned int ncalls;
	int ret[BUSE_OP_NR]; /* != 0: returned instead of doing the op */
	bool async;	     /* return BDUS_ASYNC (the test completes) */
	const struct bdus_req *cancelled[8];
	unsigned int ncancelled;
	char log[64]; /* open/close order: "o", "c" per layer */
} in;

static int inner_do(uint32_t op, void *buf, uint64_t off, uint32_t len,
		    const struct bdus_req *req)
{
	struct icall *c = &in.calls[in.ncalls++];

	cr_assert_lt(in.ncalls, 64);
	*c = (struct icall){ op, off, len, buf, req->flags, req };
	/* Every engine's request mirrors its arguments. */
	cr_assert_eq(req->op, op);
	cr_assert_eq(req->offset, off);
	cr_assert_eq(req->len, len);
	cr_assert_eq(req->buf, buf);
	cr_assert_eq(req->dev, &rg.dev);
	if (in.ret[op])
		return in.ret[op];
	if (op == BUSE_OP_READ)
		memcpy(buf, in.disk + off, len);
	else if (op == BUSE_OP_WRITE)
		memcpy(in.disk + off, buf, len);
	return in.async ? BDUS_ASYNC : 0;
}

static int i_read(void *ctx, void *buf, uint64_t off, uint32_t len,
		  const struct bdus_req *req)
{
	cr_assert_eq(ctx, &in);
	return inner_do(BUSE_OP_READ, buf, off, len, req);
}

static int i_write(void *ctx, const void *buf, uint64_t off, uint32_t len,
		   const struct bdus_req *req)
{
	cr_assert_eq(ctx, &in);
	return inner_do(BUSE_OP_WRITE, (void *)(uintptr_t)buf, off, len, req);
}

static int i_flush(void *ctx, const struct bdus_req *req)
{
	cr_assert_eq(ctx, &in);
	return inner_do(BUSE_OP_FLUSH, NULL, 0, 0, req);
}

static int i_discard(void *ctx, uint64_t off, uint32_t len,
		     const struct bdus_req *req)
{
	cr_assert_eq(ctx, &in);
	return inner_do(BUSE_OP_DISCARD, NULL, off, len, req);
}

static void i_cancel(void *ctx, const struct bdus_req *req)
{
	cr_assert_eq(ctx, &in);
	in.cancelled[in.ncancelled++] = req;
}

static void log_event(const char *what)
{
	strcat(in.log, what);
}

static int i_open(void *ctx, const struct bdus_dev *dev)
{
	(void)ctx, (void)dev;
	log_event("Io ");
	return 0;
}

static void i_close(void *ctx, const struct bdus_dev *dev)
{
	(void)ctx, (void)dev;
	log_event("Ic ");
}

static const struct storage_engine inner = {
	.name = "inner",
	.flags = BDUS_ENGINE_F_FUA,
	.open = i_open,
	.close = i_close,
	.read = i_read,
	.write = i_write,
	.flush = i_flush,
	.discard = i_discard,
	.cancel = i_cancel,
};

static const struct storage_engine inner_rw = {
	.read = i_read,
	.write = i_write,
	.cancel = i_cancel,
};

/* The last request the inner engine got. */
static const struct bdus_req *inner_req(void)
{
	cr_assert_gt(in.ncalls, 0);
	return in.calls[in.ncalls - 1].req;
}

/* ------------------------------------------------------------------------
 * Filters
 */

static struct {
	unsigned int calls;
	unsigned int completes;	    /* complete hook calls */
	int last_inner;		    /* the result the hook saw */
	int next_ret;		    /* what the last bdus_next() returned */
	bool fail_writes;	    /* short-circuit: every write -EROFS */
	bool to_eio;		    /* the hook turns success into -EIO */
	bool hold;		    /* the hook returns BDUS_ASYNC */
	const struct bdus_req *req; /* the last request a callback got */
	const struct bdus_req *cancelled;
	/* A one-block read cache at offset 0. */
	unsigned char cache[512];
	bool cached;
} fl;

/* Shifts every data request by SHIFT (a partition-like filter). */
static int f_read(void *ctx, void *buf, uint64_t off, uint32_t len,
		  const struct bdus_req *req)
{
	cr_assert_eq(ctx, &fl);
	fl.calls++;
	fl.req = req;
	if (off == 0 && len == 512 && fl.cached) {
		memcpy(buf, fl.cache, 512);
		return 0; /* a cache hit: the inner engine is not called */
	}
	fl.next_ret = bdus_next(req, BUSE_OP_READ, buf, off + SHIFT, len);
	return fl.next_ret;
}

static int f_write(void *ctx, const void *buf, uint64_t off, uint32_t len,
		   const struct bdus_req *req)
{
	cr_assert_eq(ctx, &fl);
	fl.calls++;
	fl.req = req;
	if (fl.fail_writes)
		return -EROFS;
	fl.cached = false;
	fl.next_ret = bdus_next(req, BUSE_OP_WRITE, (void *)(uintptr_t)buf,
				off + SHIFT, len);
	return fl.next_ret;
}

static void f_cancel(void *ctx, const struct bdus_req *req)
{
	cr_assert_eq(ctx, &fl);
	fl.cancelled = req;
	bdus_next_cancel(req);
}

/* Fills the cache from a completed read; maybe fails successes. */
static int f_complete(void *ctx, const struct bdus_req *req, int result)
{
	cr_assert_eq(ctx, &fl);
	fl.completes++;
	fl.last_inner = result;
	if (req->op == BUSE_OP_READ && !result && req->offset == 0 &&
	    req->len == 512) {
		memcpy(fl.cache, req->buf, 512);
		fl.cached = true;
	}
	if (fl.hold)
		return BDUS_ASYNC;
	if (fl.to_eio && result == 0)
		return -EIO;
	return result;
}

static int f_open(void *ctx, const struct bdus_dev *dev)
{
	(void)ctx, (void)dev;
	log_event("Fo ");
	return 0;
}

static void f_close(void *ctx, const struct bdus_dev *dev)
{
	(void)ctx, (void)dev;
	log_event("Fc ");
}

static const struct storage_engine shift_filter = {
	.name = "shift",
	.open = f_open,
	.close = f_close,
	.read = f_read,
	.write = f_write,
	.cancel = f_cancel,
};

static const struct storage_engine empty_filter = { .name = "empty" };

static struct bdus_filter filter_over(const struct storage_engine *fe,
				      const struct storage_engine *ie)
{
	return (struct bdus_filter){ .engine = fe,
				     .ctx = &fl,
				     .inner = ie,
				     .inner_ctx = &in,
				     .complete = f_complete };
}

static void start(const struct storage_engine *fe,
		  const struct storage_engine *ie)
{
	struct bdus_filter f = filter_over(fe, ie);

	memset(&in, 0, sizeof(in));
	memset(&fl, 0, sizeof(fl));
	ring_start(&f);
}

TestSuite(filter, .fini = ring_stop);

/* ------------------------------------------------------------------------
 * Tests
 */

Test(filter, pass_through_without_callbacks)
{
	start(&empty_filter, &inner);
	memset(tag_buf(1), 0x5a, 1024);
	submit(1, BUSE_OP_WRITE, 8192, 1024);
	cr_assert_eq(result_of(1), 0);
	submit(2, BUSE_OP_FLUSH, 0, 0);
	cr_assert_eq(result_of(2), 0);
	cr_assert_eq(in.ncalls, 2);
	/* The inner engine got the queue's own request, unchanged. */
	cr_expect_eq(in.calls[0].req, &rg.q.slots[1].req);
	cr_expect_eq(in.calls[0].offset, 8192);
	cr_expect_eq(in.calls[0].buf, tag_buf(1));
	cr_expect_eq(in.disk[8192 + 1023], 0x5a);
	cr_expect_eq(in.calls[1].op, BUSE_OP_FLUSH);
	cr_expect_eq(fl.calls, 0);
}

Test(filter, arguments_rewritten)
{
	start(&shift_filter, &inner);
	memset(tag_buf(0), 0x11, 512);
	submit(0, BUSE_OP_WRITE, 0, 512);
	cr_assert_eq(result_of(0), 0);
	cr_assert_eq(fl.calls, 1);
	cr_assert_eq(in.ncalls, 1);
	cr_expect_eq(in.calls[0].offset, SHIFT);
	cr_expect_eq(in.disk[SHIFT], 0x11);
	cr_expect_eq(in.disk[0], 0);
	/* The filter's own request is not the queue's, nor the inner one. */
	cr_expect_neq(fl.req, &rg.q.slots[0].req);
	cr_expect_neq(in.calls[0].req, fl.req);
	cr_expect_eq(fl.req->offset, 0);

	memset(tag_buf(3), 0, 512);
	submit(3, BUSE_OP_READ, 0, 512);
	cr_assert_eq(result_of(3), 0);
	cr_expect_eq(((unsigned char *)tag_buf(3))[511], 0x11);
	cr_expect_eq(in.calls[1].offset, SHIFT);
}

Test(filter, short_circuit_answers)
{
	start(&shift_filter, &inner);
	fl.fail_writes = true;
	submit(0, BUSE_OP_WRITE, 0, 512);
	cr_assert_eq(result_of(0), -EROFS);
	cr_assert_eq(in.ncalls, 0);

	memset(fl.cache, 0x77, 512);
	fl.cached = true;
	submit(1, BUSE_OP_READ, 0, 512);
	cr_assert_eq(result_of(1), 0);
	cr_assert_eq(in.ncalls, 0, "a cache hit reached the inner engine");
	cr_expect_eq(((unsigned char *)tag_buf(1))[0], 0x77);
}

Test(filter, sync_error_propagates)
{
	start(&shift_filter, &inner);
	in.ret[BUSE_OP_READ] = -ENOSPC;
	submit(2, BUSE_OP_READ, 512, 512);
	cr_assert_eq(fl.next_ret, -ENOSPC);
	cr_assert_eq(result_of(2), -ENOSPC);
	/* Synchronous answers do not go through the complete hook. */
	cr_expect_eq(fl.completes, 0);
}

Test(filter, async_inner_goes_through_hook)
{
	start(&shift_filter, &inner);
	memset(in.disk + SHIFT, 0x42, 512);
	in.async = true;
	submit(1, BUSE_OP_READ, 0, 512);
	cr_assert_eq(fl.next_ret, BDUS_ASYNC);
	cr_assert(no_completion());
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_assert_eq(fl.completes, 1);
	cr_assert_eq(result_of(1), 0);
	/* The hook filled the cache from the inner engine's read. */
	cr_assert(fl.cached);
	cr_expect_eq(fl.cache[0], 0x42);
	/* A second completion of the same request is refused. */
	cr_expect_eq(bdus_complete(inner_req(), 0), -EINVAL);

	/* Now a hit, answered without the inner engine. */
	submit(1, BUSE_OP_READ, 0, 512);
	cr_assert_eq(result_of(1), 0);
	cr_expect_eq(in.ncalls, 1);
}

Test(filter, async_result_transformed)
{
	start(&shift_filter, &inner);
	in.async = true;
	fl.to_eio = true;
	submit(0, BUSE_OP_WRITE, 1024, 512);
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_expect_eq(fl.last_inner, 0);
	cr_assert_eq(result_of(0), -EIO);

	/* An inner error reaches the hook, and the kernel, as it is. */
	submit(0, BUSE_OP_WRITE, 1024, 512);
	cr_assert_eq(bdus_complete(inner_req(), -ENOSPC), 0);
	cr_expect_eq(fl.last_inner, -ENOSPC);
	cr_assert_eq(result_of(0), -ENOSPC);
}

static void *complete_thread(void *req)
{
	return (void *)(intptr_t)bdus_complete(req, 0);
}

/* The inner engine answers from a thread of its own, as engines do. */
Test(filter, async_from_another_thread)
{
	pthread_t t;
	void *ret;

	start(&shift_filter, &inner);
	in.async = true;
	fl.to_eio = true;
	submit(2, BUSE_OP_READ, 512, 512);
	cr_assert_eq(pthread_create(&t, NULL, complete_thread,
				    (void *)(uintptr_t)inner_req()),
		     0);
	cr_assert_eq(pthread_join(t, &ret), 0);
	cr_assert_eq((intptr_t)ret, 0);
	cr_assert_eq(fl.completes, 1);
	cr_assert_eq(result_of(2), -EIO);
	cr_assert_eq(rg.q.async_inflight, 0);
}

/* BDUS_ASYNC is no answer: -EIO, as for bdus_complete() on a slot. */
Test(filter, async_as_result_is_eio)
{
	const struct storage_engine no_hook_filter = shift_filter;
	struct bdus_filter f = filter_over(&no_hook_filter, &inner);

	memset(&in, 0, sizeof(in));
	memset(&fl, 0, sizeof(fl));
	f.complete = NULL;
	ring_start(&f);
	in.async = true;
	submit(1, BUSE_OP_READ, 0, 512);
	cr_assert_eq(bdus_complete(inner_req(), BDUS_ASYNC), 0);
	cr_assert_eq(result_of(1), -EIO);
}

Test(filter, hook_may_answer_later)
{
	start(&shift_filter, &inner);
	in.async = true;
	fl.hold = true;
	submit(2, BUSE_OP_READ, 0, 512);
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_assert(no_completion());
	/* The filter answers its own request itself. */
	cr_assert_eq(bdus_complete(fl.req, -EAGAIN), 0);
	cr_assert_eq(result_of(2), -EAGAIN);
	cr_expect_eq(bdus_complete(fl.req, 0), -EINVAL);
}

Test(filter, async_completed_inside_the_callback)
{
	start(&shift_filter, &inner);
	in.ret[BUSE_OP_READ] = BDUS_ASYNC;
	fl.to_eio = true;
	submit(0, BUSE_OP_READ, 0, 512);
	cr_assert(no_completion());
	/* From another thread in real life; the hook still runs once. */
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_assert_eq(fl.completes, 1);
	cr_assert_eq(result_of(0), -EIO);
	cr_assert_eq(rg.q.async_inflight, 0);
}

Test(filter, unsupported_ops_not_advertised)
{
	struct bdus_filter f;
	struct storage_engine e;
	void *ctx;

	memset(&in, 0, sizeof(in));
	/* The filter has no flush, the inner one has: passed through. */
	f = filter_over(&shift_filter, &inner);
	cr_assert_eq(bdus_filter_compose(&f, &e, &ctx), 0);
	cr_expect_eq(bdus_engine_ops(&e), BUSE_OPS_REQUIRED |
						  BUSE_OP_BIT(BUSE_OP_FLUSH) |
						  BUSE_OP_BIT(BUSE_OP_DISCARD));
	cr_expect_str_eq(e.name, "shift");
	bdus_filter_free(ctx);

	/* Hidden: not advertised although the inner engine has it. */
	f.hide_ops = BUSE_OP_BIT(BUSE_OP_DISCARD);
	cr_assert_eq(bdus_filter_compose(&f, &e, &ctx), 0);
	cr_expect_null(e.discard);
	cr_expect_not_null(e.flush);
	bdus_filter_free(ctx);

	/* Neither has it: not advertised. */
	f = filter_over(&empty_filter, &inner_rw);
	cr_assert_eq(bdus_filter_compose(&f, &e, &ctx), 0);
	cr_expect_eq(bdus_engine_ops(&e), BUSE_OPS_REQUIRED);
	bdus_filter_free(ctx);

	/* FUA: the inner engine's unless the filter writes. */
	f = filter_over(&empty_filter, &inner);
	cr_assert_eq(bdus_filter_compose(&f, &e, &ctx), 0);
	cr_expect_eq(e.flags, BDUS_ENGINE_F_FUA);
	cr_expect_str_eq(e.name, "empty");
	bdus_filter_free(ctx);
	f = filter_over(&shift_filter, &inner);
	cr_assert_eq(bdus_filter_compose(&f, &e, &ctx), 0);
	cr_expect_eq(e.flags, 0);
	bdus_filter_free(ctx);
}

Test(filter, unsupported_op_answered_by_the_queue)
{
	start(&shift_filter, &inner_rw);
	submit(0, BUSE_OP_DISCARD, 0, 512);
	cr_assert_eq(result_of(0), -EOPNOTSUPP);
	cr_assert_eq(in.ncalls, 0);
}

Test(filter, open_close_order)
{
	start(&shift_filter, &inner);
	cr_assert_str_eq(in.log, "Io Fo ");
	rg.eng.close(rg.ctx, &rg.dev);
	rg.opened = false;
	cr_assert_str_eq(in.log, "Io Fo Fc Ic ");
}

static int f_open_fails(void *ctx, const struct bdus_dev *dev)
{
	(void)ctx, (void)dev;
	log_event("Fx ");
	return -ENXIO;
}

Test(filter, failed_open_closes_inner)
{
	static const struct storage_engine bad = {
		.open = f_open_fails,
		.close = f_close,
	};
	struct bdus_filter f = filter_over(&bad, &inner);
	struct storage_engine e;
	void *ctx;

	memset(&in, 0, sizeof(in));
	cr_assert_eq(bdus_filter_compose(&f, &e, &ctx), 0);
	rg.dev.nr_queues = 1;
	rg.dev.queue_depth = DEPTH;
	cr_expect_eq(e.open(ctx, &rg.dev), -ENXIO);
	cr_expect_str_eq(in.log, "Io Fx Ic ");
	bdus_filter_free(ctx);
}

Test(filter, cancel_reaches_the_inner_engine)
{
	const struct bdus_req *ireq;

	start(&shift_filter, &inner);
	in.async = true;
	submit(3, BUSE_OP_READ, 0, 512);
	ireq = inner_req();
	post_desc(3, rg.seq[3], BUSE_OP_CANCEL, 0, 0);
	cr_assert_eq(fl.cancelled, fl.req, "the filter's cancel not called");
	cr_assert_eq(in.ncancelled, 1);
	cr_assert_eq(in.cancelled[0], ireq);
	/* Passed on once only. */
	bdus_next_cancel(fl.req);
	cr_assert_eq(in.ncancelled, 1);
	/* The late completion is the give-back. */
	cr_assert_eq(bdus_complete(ireq, -ECANCELED), 0);
	cr_assert_eq(result_of(3), -ECANCELED);
	cr_assert_eq(rg.q.async_inflight, 0);
}

Test(filter, cancel_passes_through)
{
	start(&empty_filter, &inner);
	in.async = true;
	submit(1, BUSE_OP_WRITE, 0, 512);
	post_desc(1, rg.seq[1], BUSE_OP_CANCEL, 0, 0);
	cr_assert_eq(in.ncancelled, 1);
	cr_assert_eq(in.cancelled[0], &rg.q.slots[1].req);
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_assert_eq(result_of(1), 0);
}

/* A filter without cancel passes it down to a busy inner request. */
Test(filter, cancel_default_is_next_cancel)
{
	static const struct storage_engine no_cancel = {
		.read = f_read,
		.write = f_write,
	};

	start(&no_cancel, &inner);
	in.async = true;
	submit(0, BUSE_OP_READ, 0, 512);
	post_desc(0, rg.seq[0], BUSE_OP_CANCEL, 0, 0);
	cr_assert_eq(in.ncancelled, 1);
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_assert_eq(result_of(0), 0);
}

Test(filter, next_checks_its_arguments)
{
	static unsigned char buf[512];

	start(&shift_filter, &inner_rw);
	in.async = true;
	submit(0, BUSE_OP_READ, 0, 512);
	/* Not a filter's request. */
	cr_expect_eq(bdus_next(&rg.q.slots[0].req, BUSE_OP_READ, buf, 0, 512),
		     -EINVAL);
	cr_expect_eq(bdus_next(NULL, BUSE_OP_READ, buf, 0, 512), -EINVAL);
	/* One at a time. */
	cr_expect_eq(bdus_next(fl.req, BUSE_OP_READ, buf, 0, 512), -EBUSY);
	/* Past the end, unaligned, too large, not the inner's. */
	cr_expect_eq(bdus_next(fl.req, BUSE_OP_READ, buf, DEV_SIZE, 512),
		     -EINVAL);
	cr_expect_eq(bdus_next(fl.req, BUSE_OP_READ, buf, 100, 512), -EINVAL);
	cr_expect_eq(bdus_next(fl.req, BUSE_OP_READ, buf, 0, 2 * MAX_IO),
		     -EINVAL);
	cr_expect_eq(bdus_next(fl.req, BUSE_OP_FLUSH, NULL, 0, 0), -EOPNOTSUPP);
	cr_expect_eq(bdus_next(fl.req, BUSE_OP_NR, NULL, 0, 512), -EINVAL);
	cr_assert_eq(in.ncalls, 1);
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_assert_eq(result_of(0), 0);
	/* Answered: no more next calls of it. */
	cr_expect_eq(bdus_next(fl.req, BUSE_OP_READ, buf, 0, 512), -EINVAL);
}

/* Two filters: the shift filter over an empty filter over the RAM disk. */
Test(filter, stacks_nest)
{
	struct bdus_filter lower = filter_over(&empty_filter, &inner);
	struct storage_engine mid;
	void *mid_ctx;
	struct bdus_filter upper;

	memset(&in, 0, sizeof(in));
	cr_assert_eq(bdus_filter_compose(&lower, &mid, &mid_ctx), 0);
	upper = filter_over(&shift_filter, &mid);
	upper.inner_ctx = mid_ctx;
	ring_start(&upper);
	memset(&fl, 0, sizeof(fl));
	in.async = true;
	fl.to_eio = true;
	memset(tag_buf(2), 0x33, 512);
	submit(2, BUSE_OP_WRITE, 512, 512);
	cr_assert_eq(in.ncalls, 1);
	cr_expect_eq(in.calls[0].offset, 512 + SHIFT);
	cr_assert(no_completion());
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_assert_eq(result_of(2), -EIO);
	cr_expect_eq(in.log[0], 'I'); /* inner opened first */
	ring_stop();
	bdus_filter_free(mid_ctx);
}

Test(filter, compose_checks_its_arguments)
{
	struct bdus_filter f;
	struct storage_engine e;
	struct {
		struct bdus_filter f;
		uint64_t extra;
	} big;
	void *ctx;

	f = filter_over(&shift_filter, &inner);
	cr_expect_eq(bdus_filter_compose(NULL, &e, &ctx), -EINVAL);
	cr_expect_eq(bdus_filter_compose(&f, NULL, &ctx), -EINVAL);
	cr_expect_eq(bdus_filter_compose(&f, &e, NULL), -EINVAL);
	f.hide_ops = BUSE_OP_BIT(BUSE_OP_READ);
	cr_expect_eq(bdus_filter_compose(&f, &e, &ctx), -EINVAL);
	f = filter_over(&shift_filter, &empty_filter); /* inner: no read */
	cr_expect_eq(bdus_filter_compose(&f, &e, &ctx), -EINVAL);
	f = filter_over(NULL, &inner);
	cr_expect_eq(bdus_filter_compose(&f, &e, &ctx), -EINVAL);

	/* Struct sizes: older than 0.2, newer with fields set, newer clean. */
	f = filter_over(&shift_filter, &inner);
	cr_expect_eq(bdus_filter_compose_sized(&f, BDUS_FILTER_SIZE_0_2 - 8,
					       sizeof(e), &e, &ctx),
		     -EINVAL);
	big.f = f;
	big.extra = 1;
	cr_expect_eq(bdus_filter_compose_sized(&big.f, sizeof(big), sizeof(e),
					       &e, &ctx),
		     -EINVAL);
	big.extra = 0;
	cr_assert_eq(bdus_filter_compose_sized(&big.f, sizeof(big), sizeof(e),
					       &e, &ctx),
		     0);
	bdus_filter_free(ctx);
	cr_expect_eq(bdus_filter_compose_sized(
			     &f, sizeof(f), BDUS_ENGINE_SIZE_0_1 - 8, &e, &ctx),
		     -EINVAL);
}
