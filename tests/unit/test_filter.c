// SPDX-License-Identifier: MIT
/*
 * test_filter.c - filters (libbdus/src/filter.c): a filter composed over an
 * inner engine with bdus_filter_compose(), served by the queue code of
 * ring.c from a ring in plain memory (memring.h).
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
#include "memring.h"

#define DEPTH 4
#define MAX_IO 8192u
#define DEV_SIZE (1u << 20)
#define SHIFT 4096u /* the shifting filter's offset */

/* The ring: one queue of DEPTH tags, serving what ring_start() composed. */
static struct memring rg;

/* ------------------------------------------------------------------------
 * The inner engine: a RAM disk that records its calls
 */

static struct memdisk in;

/* Open and close order of every layer: "Io " (inner open), "Fc "... */
static char evlog[64];

static void log_event(const char *what)
{
	strcat(evlog, what);
}

/* A fresh inner engine and log. */
static void in_reset(void)
{
	memset(&in, 0, sizeof(in));
	in.dev = &rg.dev;
	evlog[0] = 0;
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
	.read = memdisk_read,
	.write = memdisk_write,
	.flush = memdisk_flush,
	.discard = memdisk_discard,
	.cancel = memdisk_cancel,
};

static const struct storage_engine inner_rw = {
	.read = memdisk_read,
	.write = memdisk_write,
	.cancel = memdisk_cancel,
};

/* The last request the inner engine got. */
static const struct bdus_req *inner_req(void)
{
	return memdisk_last_req(&in);
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

/* Composes f and serves it. */
static void ring_start(const struct bdus_filter *f)
{
	struct storage_engine e;
	void *ctx;

	cr_assert_eq(bdus_filter_compose(f, &e, &ctx), 0);
	cr_assert_eq(memring_start(&rg, &e, ctx, DEV_SIZE, DEPTH, MAX_IO, 512),
		     0);
}

static void ring_stop(void)
{
	void *ctx = rg.ctx;

	memring_stop(&rg);
	bdus_filter_free(ctx);
}

static void start(const struct storage_engine *fe,
		  const struct storage_engine *ie)
{
	struct bdus_filter f = filter_over(fe, ie);

	in_reset();
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
	memset(memring_buf(&rg, 1), 0x5a, 1024);
	memring_submit(&rg, 1, BUSE_OP_WRITE, 8192, 1024);
	cr_assert_eq(memring_result(&rg, 1), 0);
	memring_submit(&rg, 2, BUSE_OP_FLUSH, 0, 0);
	cr_assert_eq(memring_result(&rg, 2), 0);
	cr_assert_eq(in.ncalls, 2);
	/* The inner engine got the queue's own request, unchanged. */
	cr_expect_eq(in.calls[0].req, &rg.q.slots[1].req);
	cr_expect_eq(in.calls[0].offset, 8192);
	cr_expect_eq(in.calls[0].buf, memring_buf(&rg, 1));
	cr_expect_eq(in.disk[8192 + 1023], 0x5a);
	cr_expect_eq(in.calls[1].op, BUSE_OP_FLUSH);
	cr_expect_eq(fl.calls, 0);
}

Test(filter, arguments_rewritten)
{
	start(&shift_filter, &inner);
	memset(memring_buf(&rg, 0), 0x11, 512);
	memring_submit(&rg, 0, BUSE_OP_WRITE, 0, 512);
	cr_assert_eq(memring_result(&rg, 0), 0);
	cr_assert_eq(fl.calls, 1);
	cr_assert_eq(in.ncalls, 1);
	cr_expect_eq(in.calls[0].offset, SHIFT);
	cr_expect_eq(in.disk[SHIFT], 0x11);
	cr_expect_eq(in.disk[0], 0);
	/* The filter's own request is not the queue's, nor the inner one. */
	cr_expect_neq(fl.req, &rg.q.slots[0].req);
	cr_expect_neq(in.calls[0].req, fl.req);
	cr_expect_eq(fl.req->offset, 0);

	memset(memring_buf(&rg, 3), 0, 512);
	memring_submit(&rg, 3, BUSE_OP_READ, 0, 512);
	cr_assert_eq(memring_result(&rg, 3), 0);
	cr_expect_eq(memring_buf(&rg, 3)[511], 0x11);
	cr_expect_eq(in.calls[1].offset, SHIFT);
}

Test(filter, short_circuit_answers)
{
	start(&shift_filter, &inner);
	fl.fail_writes = true;
	memring_submit(&rg, 0, BUSE_OP_WRITE, 0, 512);
	cr_assert_eq(memring_result(&rg, 0), -EROFS);
	cr_assert_eq(in.ncalls, 0);

	memset(fl.cache, 0x77, 512);
	fl.cached = true;
	memring_submit(&rg, 1, BUSE_OP_READ, 0, 512);
	cr_assert_eq(memring_result(&rg, 1), 0);
	cr_assert_eq(in.ncalls, 0, "a cache hit reached the inner engine");
	cr_expect_eq(memring_buf(&rg, 1)[0], 0x77);
}

Test(filter, sync_error_propagates)
{
	start(&shift_filter, &inner);
	in.ret[BUSE_OP_READ] = -ENOSPC;
	memring_submit(&rg, 2, BUSE_OP_READ, 512, 512);
	cr_assert_eq(fl.next_ret, -ENOSPC);
	cr_assert_eq(memring_result(&rg, 2), -ENOSPC);
	/* Synchronous answers do not go through the complete hook. */
	cr_expect_eq(fl.completes, 0);
}

Test(filter, async_inner_goes_through_hook)
{
	start(&shift_filter, &inner);
	memset(in.disk + SHIFT, 0x42, 512);
	in.async = true;
	memring_submit(&rg, 1, BUSE_OP_READ, 0, 512);
	cr_assert_eq(fl.next_ret, BDUS_ASYNC);
	cr_assert(memring_no_completion(&rg));
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_assert_eq(fl.completes, 1);
	cr_assert_eq(memring_result(&rg, 1), 0);
	/* The hook filled the cache from the inner engine's read. */
	cr_assert(fl.cached);
	cr_expect_eq(fl.cache[0], 0x42);
	/* A second completion of the same request is refused. */
	cr_expect_eq(bdus_complete(inner_req(), 0), -EINVAL);

	/* Now a hit, answered without the inner engine. */
	memring_submit(&rg, 1, BUSE_OP_READ, 0, 512);
	cr_assert_eq(memring_result(&rg, 1), 0);
	cr_expect_eq(in.ncalls, 1);
}

Test(filter, async_result_transformed)
{
	start(&shift_filter, &inner);
	in.async = true;
	fl.to_eio = true;
	memring_submit(&rg, 0, BUSE_OP_WRITE, 1024, 512);
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_expect_eq(fl.last_inner, 0);
	cr_assert_eq(memring_result(&rg, 0), -EIO);

	/* An inner error reaches the hook, and the kernel, as it is. */
	memring_submit(&rg, 0, BUSE_OP_WRITE, 1024, 512);
	cr_assert_eq(bdus_complete(inner_req(), -ENOSPC), 0);
	cr_expect_eq(fl.last_inner, -ENOSPC);
	cr_assert_eq(memring_result(&rg, 0), -ENOSPC);
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
	memring_submit(&rg, 2, BUSE_OP_READ, 512, 512);
	cr_assert_eq(pthread_create(&t, NULL, complete_thread,
				    (void *)(uintptr_t)inner_req()),
		     0);
	cr_assert_eq(pthread_join(t, &ret), 0);
	cr_assert_eq((intptr_t)ret, 0);
	cr_assert_eq(fl.completes, 1);
	cr_assert_eq(memring_result(&rg, 2), -EIO);
	cr_assert_eq(rg.q.async_inflight, 0);
}

/* BDUS_ASYNC is no answer: -EIO, as for bdus_complete() on a slot. */
Test(filter, async_as_result_is_eio)
{
	const struct storage_engine no_hook_filter = shift_filter;
	struct bdus_filter f = filter_over(&no_hook_filter, &inner);

	in_reset();
	memset(&fl, 0, sizeof(fl));
	f.complete = NULL;
	ring_start(&f);
	in.async = true;
	memring_submit(&rg, 1, BUSE_OP_READ, 0, 512);
	cr_assert_eq(bdus_complete(inner_req(), BDUS_ASYNC), 0);
	cr_assert_eq(memring_result(&rg, 1), -EIO);
}

Test(filter, hook_may_answer_later)
{
	start(&shift_filter, &inner);
	in.async = true;
	fl.hold = true;
	memring_submit(&rg, 2, BUSE_OP_READ, 0, 512);
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_assert(memring_no_completion(&rg));
	/* The filter answers its own request itself. */
	cr_assert_eq(bdus_complete(fl.req, -EAGAIN), 0);
	cr_assert_eq(memring_result(&rg, 2), -EAGAIN);
	cr_expect_eq(bdus_complete(fl.req, 0), -EINVAL);
}

Test(filter, async_completed_inside_the_callback)
{
	start(&shift_filter, &inner);
	in.ret[BUSE_OP_READ] = BDUS_ASYNC;
	fl.to_eio = true;
	memring_submit(&rg, 0, BUSE_OP_READ, 0, 512);
	cr_assert(memring_no_completion(&rg));
	/* From another thread in real life; the hook still runs once. */
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_assert_eq(fl.completes, 1);
	cr_assert_eq(memring_result(&rg, 0), -EIO);
	cr_assert_eq(rg.q.async_inflight, 0);
}

Test(filter, unsupported_ops_not_advertised)
{
	struct bdus_filter f;
	struct storage_engine e;
	void *ctx;

	in_reset();
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
	memring_submit(&rg, 0, BUSE_OP_DISCARD, 0, 512);
	cr_assert_eq(memring_result(&rg, 0), -EOPNOTSUPP);
	cr_assert_eq(in.ncalls, 0);
}

Test(filter, open_close_order)
{
	start(&shift_filter, &inner);
	cr_assert_str_eq(evlog, "Io Fo ");
	rg.eng.close(rg.ctx, &rg.dev);
	rg.opened = false;
	cr_assert_str_eq(evlog, "Io Fo Fc Ic ");
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

	in_reset();
	cr_assert_eq(bdus_filter_compose(&f, &e, &ctx), 0);
	rg.dev.nr_queues = 1;
	rg.dev.queue_depth = DEPTH;
	cr_expect_eq(e.open(ctx, &rg.dev), -ENXIO);
	cr_expect_str_eq(evlog, "Io Fx Ic ");
	bdus_filter_free(ctx);
}

Test(filter, cancel_reaches_the_inner_engine)
{
	const struct bdus_req *ireq;

	start(&shift_filter, &inner);
	in.async = true;
	memring_submit(&rg, 3, BUSE_OP_READ, 0, 512);
	ireq = inner_req();
	memring_cancel(&rg, 3);
	cr_assert_eq(fl.cancelled, fl.req, "the filter's cancel not called");
	cr_assert_eq(in.ncancelled, 1);
	cr_assert_eq(in.cancelled[0], ireq);
	/* Passed on once only. */
	bdus_next_cancel(fl.req);
	cr_assert_eq(in.ncancelled, 1);
	/* The late completion is the give-back. */
	cr_assert_eq(bdus_complete(ireq, -ECANCELED), 0);
	cr_assert_eq(memring_result(&rg, 3), -ECANCELED);
	cr_assert_eq(rg.q.async_inflight, 0);
}

Test(filter, cancel_passes_through)
{
	start(&empty_filter, &inner);
	in.async = true;
	memring_submit(&rg, 1, BUSE_OP_WRITE, 0, 512);
	memring_cancel(&rg, 1);
	cr_assert_eq(in.ncancelled, 1);
	cr_assert_eq(in.cancelled[0], &rg.q.slots[1].req);
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_assert_eq(memring_result(&rg, 1), 0);
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
	memring_submit(&rg, 0, BUSE_OP_READ, 0, 512);
	memring_cancel(&rg, 0);
	cr_assert_eq(in.ncancelled, 1);
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_assert_eq(memring_result(&rg, 0), 0);
}

Test(filter, next_checks_its_arguments)
{
	static unsigned char buf[512];

	start(&shift_filter, &inner_rw);
	in.async = true;
	memring_submit(&rg, 0, BUSE_OP_READ, 0, 512);
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
	cr_assert_eq(memring_result(&rg, 0), 0);
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

	in_reset();
	cr_assert_eq(bdus_filter_compose(&lower, &mid, &mid_ctx), 0);
	upper = filter_over(&shift_filter, &mid);
	upper.inner_ctx = mid_ctx;
	ring_start(&upper);
	memset(&fl, 0, sizeof(fl));
	in.async = true;
	fl.to_eio = true;
	memset(memring_buf(&rg, 2), 0x33, 512);
	memring_submit(&rg, 2, BUSE_OP_WRITE, 512, 512);
	cr_assert_eq(in.ncalls, 1);
	cr_expect_eq(in.calls[0].offset, 512 + SHIFT);
	cr_assert(memring_no_completion(&rg));
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_assert_eq(memring_result(&rg, 2), -EIO);
	cr_expect_eq(evlog[0], 'I'); /* inner opened first */
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
