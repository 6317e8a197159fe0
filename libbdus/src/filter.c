// SPDX-License-Identifier: MIT
/*
 * filter.c - filters: an engine stacked over another (bdus(3), "FILTERS").
 *
 * bdus_filter_compose() makes of a filter and its inner engine one
 * engine (a "stack"), which the library serves like any other or which
 * is the inner engine of a further filter.  For each (queue, tag) the
 * stack has two frames, requests of its own:
 *   - frame 0, the filter's request: a copy of the request from above
 *     (the queue's slot, or a frame of an outer stack), handed to the
 *     filter's callback; bdus_complete() of it answers the request above;
 *   - frame 1, the inner engine's request, made by bdus_next() with the
 *     filter's arguments; bdus_complete() of it goes through the filter's
 *     complete hook, whose result answers frame 0.
 * A request whose op the filter has no callback for goes down as it is:
 * the inner engine gets (and answers) the request from above.
 * bdus_complete() tells frames from slots by the kind that follows the
 * struct bdus_req in both (ring.h, struct bdus_req_head).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "filter.h"
#include "ring.h"

/* frame.state; __atomic.  Whoever moves it to IDLE answers the frame. */
enum {
	FRAME_IDLE = 0,
	FRAME_BUSY = 1,
	FRAME_CANCELLED = 2, /* busy, and its cancel was passed on */
};

/* frame.path of frame 0: who has the tag's current request. */
enum {
	PATH_NONE = 0,
	PATH_FILTER = 1, /* the filter's callback (frame 0) */
	PATH_INNER = 2,	 /* the inner engine, the request from above */
};

struct stack;

struct frame {
	struct bdus_req req;
	uint32_t kind; /* BDUS_REQ_FRAME */
	uint32_t state;
	uint32_t level; /* 0: the filter's request, 1: the inner engine's */
	uint32_t path;	/* frame 0: PATH_*; __atomic */
	struct stack *st;
	const struct bdus_req *up; /* frame 0: the request from above */
};

_Static_assert(offsetof(struct frame, kind) ==
		       offsetof(struct bdus_req_head, kind),
	       "frame begins as bdus_req_head");

struct stack {
	struct storage_engine fe; /* the filter's callbacks */
	struct storage_engine ie; /* the inner engine's */
	void *fctx;
	void *ictx;
	int (*complete)(void *ctx, const struct bdus_req *req, int result);
	uint32_t hide_ops;
	/* From open() to close(). */
	uint32_t nr_queues;
	uint32_t depth;
	struct frame *frames; /* [nr_queues][depth][2] */
};

static bool has_op(const struct storage_engine *e, uint32_t op)
{
	switch (op) {
	case BUSE_OP_READ:
		return e->read;
	case BUSE_OP_WRITE:
		return e->write;
	case BUSE_OP_FLUSH:
		return e->flush;
	case BUSE_OP_DISCARD:
		return e->discard;
	case BUSE_OP_WRITE_ZEROES:
		return e->write_zeroes;
	case BUSE_OP_SECURE_ERASE:
		return e->secure_erase;
	default:
		return false;
	}
}

static bool is_data_op(uint32_t op)
{
	return op == BUSE_OP_READ || op == BUSE_OP_WRITE;
}

/* Frame 0 of the request from above, or NULL (not from this device). */
static struct frame *frame_of(struct stack *st, const struct bdus_req *up)
{
	if (!st->frames || up->queue >= st->nr_queues || up->tag >= st->depth)
		return NULL;
	return &st->frames[((size_t)up->queue * st->depth + up->tag) * 2];
}

/*
 * A callback result for a frame that was BUSY when it was called: r, or
 * BDUS_ASYNC if the frame was answered with bdus_complete() meanwhile
 * (the answer is on its way up already).
 */
static int frame_returned(struct frame *f, int r)
{
	if (r == BDUS_ASYNC)
		return r;
	if (__atomic_exchange_n(&f->state, FRAME_IDLE, __ATOMIC_ACQ_REL) ==
	    FRAME_IDLE)
		return BDUS_ASYNC;
	return r;
}

/* Every request callback of the stack: req mirrors the arguments. */
static int stack_call(void *ctx, const struct bdus_req *up)
{
	struct stack *st = ctx;
	struct frame *f = frame_of(st, up);

	if (!f)
		return -EIO;
	if (!has_op(&st->fe, up->op)) {
		__atomic_store_n(&f->path, PATH_INNER, __ATOMIC_RELEASE);
		return bdus_engine_call(&st->ie, st->ictx, up);
	}
	f->req = *up;
	f->up = up;
	__atomic_store_n(&f->path, PATH_FILTER, __ATOMIC_RELAXED);
	/* Release: the frame's fields before other threads see it busy. */
	__atomic_store_n(&f->state, FRAME_BUSY, __ATOMIC_RELEASE);
	return frame_returned(f, bdus_engine_call(&st->fe, st->fctx, &f->req));
}

static int stack_read(void *ctx, void *buf, uint64_t offset, uint32_t len,
		      const struct bdus_req *req)
{
	(void)buf, (void)offset, (void)len;
	return stack_call(ctx, req);
}

static int stack_write(void *ctx, const void *buf, uint64_t offset,
		       uint32_t len, const struct bdus_req *req)
{
	(void)buf, (void)offset, (void)len;
	return stack_call(ctx, req);
}

static int stack_flush(void *ctx, const struct bdus_req *req)
{
	return stack_call(ctx, req);
}

/* DISCARD, WRITE_ZEROES and SECURE_ERASE. */
static int stack_range(void *ctx, uint64_t offset, uint32_t len,
		       const struct bdus_req *req)
{
	(void)offset, (void)len;
	return stack_call(ctx, req);
}

static void stack_cancel(void *ctx, const struct bdus_req *up)
{
	struct stack *st = ctx;
	struct frame *f = frame_of(st, up);

	if (!f)
		return;
	if (__atomic_load_n(&f->path, __ATOMIC_ACQUIRE) == PATH_INNER) {
		if (st->ie.cancel)
			st->ie.cancel(st->ictx, up);
		return;
	}
	if (__atomic_load_n(&f->state, __ATOMIC_ACQUIRE) == FRAME_IDLE)
		return;
	if (st->fe.cancel)
		st->fe.cancel(st->fctx, &f->req);
	else
		bdus_next_cancel(&f->req);
}

static int stack_open(void *ctx, const struct bdus_dev *dev)
{
	struct stack *st = ctx;
	size_t i, n = (size_t)dev->nr_queues * dev->queue_depth * 2;
	int ret;

	st->frames = calloc(n ? n : 1, sizeof(*st->frames));
	if (!st->frames)
		return -ENOMEM;
	st->nr_queues = dev->nr_queues;
	st->depth = dev->queue_depth;
	for (i = 0; i < n; i++) {
		st->frames[i].kind = BDUS_REQ_FRAME;
		st->frames[i].level = i & 1;
		st->frames[i].st = st;
	}
	/* Inner first: the filter may use it from its open(). */
	ret = st->ie.open ? st->ie.open(st->ictx, dev) : 0;
	if (!ret && st->fe.open) {
		ret = st->fe.open(st->fctx, dev);
		if (ret && st->ie.close)
			st->ie.close(st->ictx, dev);
	}
	if (ret) {
		free(st->frames);
		st->frames = NULL;
	}
	return ret;
}

static void stack_close(void *ctx, const struct bdus_dev *dev)
{
	struct stack *st = ctx;

	if (st->fe.close)
		st->fe.close(st->fctx, dev);
	if (st->ie.close)
		st->ie.close(st->ictx, dev);
	free(st->frames);
	st->frames = NULL;
}

/* Whether the stack advertises op: the filter or the inner engine has it. */
static bool stack_has(const struct stack *st, uint32_t op)
{
	return (has_op(&st->fe, op) || has_op(&st->ie, op)) &&
	       !(st->hide_ops & BUSE_OP_BIT(op));
}

int bdus_filter_compose_sized(const struct bdus_filter *filter,
			      size_t filter_size, size_t engine_size,
			      struct storage_engine *engine, void **ctx)
{
	static const char func[] = "bdus_filter_compose";
	const uint32_t hideable = BUSE_OPS_ALL & ~BUSE_OPS_REQUIRED;
	struct storage_engine out;
	struct bdus_filter f;
	struct stack *st;
	int ret;

	if (!filter || !engine || !ctx ||
	    bdus_struct_import(&f, sizeof(f), filter, filter_size,
			       BDUS_FILTER_SIZE_0_2, func, "bdus_filter") ||
	    !f.engine || !f.inner || (f.hide_ops & ~hideable))
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	if (bdus_engine_import(&st->fe, f.engine, engine_size, func) ||
	    bdus_engine_import(&st->ie, f.inner, engine_size, func) ||
	    (st->fe.flags & ~BDUS_ENGINE_F_FUA) || bdus_engine_check(&st->ie)) {
		free(st);
		return -EINVAL;
	}
	st->fctx = f.ctx;
	st->ictx = f.inner_ctx;
	st->complete = f.complete;
	st->hide_ops = f.hide_ops;

	memset(&out, 0, sizeof(out));
	out.name = st->fe.name ? st->fe.name : st->ie.name;
	/* FUA is the inner engine's business unless the filter writes. */
	out.flags = (st->fe.write || st->fe.flush ? st->fe.flags
						  : st->ie.flags) &
		    BDUS_ENGINE_F_FUA;
	out.open = stack_open;
	out.close = stack_close;
	out.read = stack_read;
	out.write = stack_write;
	out.flush = stack_has(st, BUSE_OP_FLUSH) ? stack_flush : NULL;
	out.discard = stack_has(st, BUSE_OP_DISCARD) ? stack_range : NULL;
	out.write_zeroes = stack_has(st, BUSE_OP_WRITE_ZEROES) ? stack_range
							       : NULL;
	out.secure_erase = stack_has(st, BUSE_OP_SECURE_ERASE) ? stack_range
							       : NULL;
	out.cancel = stack_cancel;
	ret = bdus_struct_export(engine, engine_size, &out, sizeof(out),
				 BDUS_ENGINE_SIZE_0_1, func, "storage_engine");
	if (ret) {
		free(st);
		return ret;
	}
	*ctx = st;
	return 0;
}

void bdus_filter_free(void *ctx)
{
	struct stack *st = ctx;

	if (st)
		free(st->frames);
	free(st);
}

/* The filter's request req, busy (its callback runs), or NULL. */
static struct frame *filter_frame(const struct bdus_req *req)
{
	struct frame *f;

	if (!req || bdus_req_kind(req) != BDUS_REQ_FRAME)
		return NULL;
	f = bdus_container_of(req, struct frame, req);
	if (f->level ||
	    __atomic_load_n(&f->state, __ATOMIC_ACQUIRE) == FRAME_IDLE)
		return NULL;
	return f;
}

/* The guarantees of bdus(3), "Ranges", for the inner engine. */
static int next_check(const struct bdus_dev *dev, uint32_t op, void *buf,
		      uint64_t offset, uint32_t len)
{
	if (op == BUSE_OP_FLUSH)
		return 0;
	if (!len || (offset | len) & (dev->logical_block_size - 1) ||
	    offset > dev->size || len > dev->size - offset)
		return -EINVAL;
	if (is_data_op(op) && (!buf || len > dev->max_io))
		return -EINVAL;
	return 0;
}

int bdus_next(const struct bdus_req *req, uint32_t op, void *buf,
	      uint64_t offset, uint32_t len)
{
	struct frame *f = filter_frame(req), *in;
	struct stack *st;
	int ret;

	if (!f || op >= BUSE_OP_NR)
		return -EINVAL;
	st = f->st;
	if (!has_op(&st->ie, op))
		return -EOPNOTSUPP;
	ret = next_check(req->dev, op, buf, offset, len);
	if (ret)
		return ret;
	in = f + 1;
	/* One bdus_next() of req at a time (callers serialise them). */
	if (__atomic_load_n(&in->state, __ATOMIC_ACQUIRE) != FRAME_IDLE)
		return -EBUSY;
	in->req = *req;
	in->req.op = op;
	in->req.offset = op == BUSE_OP_FLUSH ? 0 : offset;
	in->req.len = op == BUSE_OP_FLUSH ? 0 : len;
	in->req.buf = is_data_op(op) ? buf : NULL;
	/* The block layer's flags belong to the filter's op. */
	in->req.flags = op == req->op ? req->flags : 0;
	__atomic_store_n(&in->state, FRAME_BUSY, __ATOMIC_RELEASE);
	return frame_returned(in,
			      bdus_engine_call(&st->ie, st->ictx, &in->req));
}

void bdus_next_cancel(const struct bdus_req *req)
{
	struct frame *f = filter_frame(req), *in;
	uint32_t busy = FRAME_BUSY;

	if (!f)
		return;
	in = f + 1;
	/* Once per request, and only if the inner engine still has it. */
	if (__atomic_compare_exchange_n(&in->state, &busy, FRAME_CANCELLED,
					false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE) &&
	    f->st->ie.cancel)
		f->st->ie.cancel(f->st->ictx, &in->req);
}

int bdus_frame_complete(const struct bdus_req *req, int result)
{
	struct frame *f = bdus_container_of(req, struct frame, req), *top;
	struct stack *st = f->st;
	int r;

	if (__atomic_exchange_n(&f->state, FRAME_IDLE, __ATOMIC_ACQ_REL) ==
	    FRAME_IDLE)
		return -EINVAL;
	/* As bdus_complete(3) has it; a hook must not take it for "later". */
	if (result == BDUS_ASYNC)
		result = -EIO;
	if (!f->level)
		return bdus_complete(f->up, result);
	top = f - 1;
	r = st->complete ? st->complete(st->fctx, &top->req, result) : result;
	if (r == BDUS_ASYNC)
		return 0;
	return bdus_complete(&top->req, r);
}
