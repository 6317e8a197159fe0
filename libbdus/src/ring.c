// SPDX-License-Identifier: MIT
/*
 * ring.c - per-queue ring processing: descriptors in, engine calls,
 * completions out.  No kernel calls except BUSE_IOC_RUN when the queue has
 * an fd, so the unit tests drive it with rings in plain memory.
 *
 * Memory ordering (see uapi/linux/buse.h):
 *   - sq_tail is load-acquired before reading the descriptors (and, for a
 *     WRITE, the data buffer) it publishes;
 *   - the completion entries (and, for a READ, the data buffer) are written
 *     before cq_tail is store-released;
 *   - sq_head is store-released once the batch's descriptors are consumed.
 * The private copies sq_head and cq_tail are the truth; the shared header
 * is only written (sq_head, cq_tail) or read (sq_tail, cq_head).
 *
 * Issues and cancellation: every descriptor carries (tag, seq) and its
 * completion echoes both.  When a request times out the kernel fails it,
 * posts a BUSE_OP_CANCEL notice for (tag, seq) when the ring has room, and
 * issues the tag again (seq + 1) only once the engine gave the buffer
 * back.  A slot whose issue was cancelled stays with the engine until
 * bdus_complete(), whose completion of the cancelled issue is that
 * give-back (the kernel discards its result).  A new issue of the tag
 * while the engine holds it (a kernel without give-backs) is answered
 * -ETIMEDOUT, since its buffer is still the engine's.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filter.h"
#include "ring.h"
#include "sys.h"

/* Keeps the compiler from re-reading a descriptor after it was copied. */
#define compiler_barrier() __asm__ __volatile__("" ::: "memory")

/* One round of a busy-wait loop. */
#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#else
#define cpu_relax() sched_yield()
#endif

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* [a, a + alen) and [b, b + blen) intersect.  No overflow: callers checked
 * both ranges lie within map_size. */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

uint32_t bdus_engine_ops(const struct storage_engine *e)
{
	uint32_t ops = BUSE_OPS_REQUIRED;

	if (e->flush)
		ops |= BUSE_OP_BIT(BUSE_OP_FLUSH);
	if (e->discard)
		ops |= BUSE_OP_BIT(BUSE_OP_DISCARD);
	if (e->write_zeroes)
		ops |= BUSE_OP_BIT(BUSE_OP_WRITE_ZEROES);
	if (e->secure_erase)
		ops |= BUSE_OP_BIT(BUSE_OP_SECURE_ERASE);
	/* FUA only means something on a device with a write cache. */
	if ((e->flags & BDUS_ENGINE_F_FUA) && e->flush)
		ops |= BUSE_OPS_FUA;
	return ops;
}

int bdus_engine_check(const struct storage_engine *e)
{
	if (!e || !e->read || !e->write || (e->flags & ~BDUS_ENGINE_F_FUA))
		return -EINVAL;
	return 0;
}

int bdus_attach_check(const struct buse_attach *a)
{
	uint64_t sq_len, cq_len, data_len,
		hdr_len = sizeof(struct buse_ring_hdr);

	/* Up to BUSE_MAX_QUEUES of each kind, the polled ones last. */
	if (a->nr_queues < 1 || a->nr_queues > 2 * BUSE_MAX_QUEUES ||
	    a->nr_poll_queues >= a->nr_queues ||
	    a->nr_queues - a->nr_poll_queues > BUSE_MAX_QUEUES)
		return -EPROTO;
	/* Tags are 16-bit. */
	if (a->queue_depth < 1 || a->queue_depth > BUSE_MAX_DEPTH ||
	    a->queue_depth > 65536)
		return -EPROTO;
	if (!is_pow2(a->logical_block_size) ||
	    a->logical_block_size < BUSE_MIN_BLOCK_SIZE ||
	    a->logical_block_size > BUSE_MAX_BLOCK_SIZE)
		return -EPROTO;
	/* A multiple of the page size: every tag's buffer is page-aligned. */
	if (a->max_io < BUSE_MIN_MAX_IO || a->max_io > BUSE_MAX_MAX_IO ||
	    a->max_io % 4096 || a->max_io % a->logical_block_size)
		return -EPROTO;
	if (!a->size || a->size % a->logical_block_size)
		return -EPROTO;
	if (a->flags & ~BUSE_ATTACH_F_ALL)
		return -EPROTO;
	if ((a->ops & BUSE_OPS_REQUIRED) != BUSE_OPS_REQUIRED)
		return -EPROTO;
	if (!is_pow2(a->sq_entries) || a->sq_entries < a->queue_depth ||
	    a->sq_entries > 65536 || !is_pow2(a->cq_entries) ||
	    a->cq_entries < a->queue_depth || a->cq_entries > 65536)
		return -EPROTO;
	if (a->map_size > SIZE_MAX || a->map_size < hdr_len)
		return -EPROTO;

	sq_len = (uint64_t)a->sq_entries * sizeof(struct buse_io_desc);
	cq_len = (uint64_t)a->cq_entries * sizeof(struct buse_io_cqe);
	data_len = (uint64_t)a->queue_depth * a->max_io;
	if (a->sq_off % _Alignof(struct buse_io_desc) ||
	    a->cq_off % _Alignof(struct buse_io_cqe) || a->data_off % 4096)
		return -EPROTO;
	if (a->sq_off > a->map_size || sq_len > a->map_size - a->sq_off ||
	    a->cq_off > a->map_size || cq_len > a->map_size - a->cq_off ||
	    a->data_off > a->map_size || data_len > a->map_size - a->data_off)
		return -EPROTO;
	if (overlaps(0, hdr_len, a->sq_off, sq_len) ||
	    overlaps(0, hdr_len, a->cq_off, cq_len) ||
	    overlaps(0, hdr_len, a->data_off, data_len) ||
	    overlaps(a->sq_off, sq_len, a->cq_off, cq_len) ||
	    overlaps(a->sq_off, sq_len, a->data_off, data_len) ||
	    overlaps(a->cq_off, cq_len, a->data_off, data_len))
		return -EPROTO;
	return 0;
}

int bdus_queue_init(struct bdus_queue *q, uint32_t qidx, void *area,
		    const struct buse_attach *a, const struct bdus_dev *dev,
		    const struct storage_engine *e, void *ctx, int fd)
{
	unsigned char *base = area;
	uint32_t t;
	int ret;

	memset(q, 0, sizeof(*q));
	ret = bdus_attach_check(a);
	if (ret)
		return ret;
	if (qidx >= a->nr_queues)
		return -EPROTO;

	q->index = qidx;
	q->depth = a->queue_depth;
	q->max_io = a->max_io;
	q->lbs = a->logical_block_size;
	q->sq_entries = a->sq_entries;
	q->cq_entries = a->cq_entries;
	q->size = a->size;
	q->read_only = a->dev_flags & BUSE_DEV_F_READ_ONLY;
	q->polled = qidx >= a->nr_queues - a->nr_poll_queues;
	q->area = area;
	q->map_size = (size_t)a->map_size;
	q->hdr = area;
	q->sq = (const struct buse_io_desc *)(base + a->sq_off);
	q->cq = (struct buse_io_cqe *)(base + a->cq_off);
	q->data = base + a->data_off;
	/* Zero after a fresh attach; whatever they are, continue from them. */
	q->sq_head = __atomic_load_n(&q->hdr->sq_head, __ATOMIC_RELAXED);
	q->cq_tail = __atomic_load_n(&q->hdr->cq_tail, __ATOMIC_RELAXED);
	q->engine = e;
	q->ctx = ctx;
	q->fd = fd;

	q->slots = calloc(q->depth, sizeof(*q->slots));
	q->pending = calloc(q->sq_entries, sizeof(*q->pending));
	if (!q->slots || !q->pending)
		goto nomem;
	for (t = 0; t < q->depth; t++) {
		struct bdus_slot *s = &q->slots[t];

		s->kind = BDUS_REQ_SLOT;
		s->q = q;
		s->state = BDUS_SLOT_WORD(BDUS_SLOT_IDLE, 0);
		s->req.dev = dev;
		s->req.queue = qidx;
		s->req.tag = t;
	}
	if (pthread_mutex_init(&q->cq_lock, NULL))
		goto nomem;
	if (pthread_cond_init(&q->idle_cond, NULL)) {
		pthread_mutex_destroy(&q->cq_lock);
		goto nomem;
	}
	q->locks_init = true;
	return 0;

nomem:
	free(q->slots);
	free(q->pending);
	q->slots = NULL;
	q->pending = NULL;
	return -ENOMEM;
}

void bdus_queue_fini(struct bdus_queue *q)
{
	if (q->locks_init) {
		pthread_cond_destroy(&q->idle_cond);
		pthread_mutex_destroy(&q->cq_lock);
		q->locks_init = false;
	}
	free(q->slots);
	free(q->pending);
	q->slots = NULL;
	q->pending = NULL;
}

/*
 * Whether a BUSE_IOC_RUN that returned ret went through, its out fields
 * filled in: success, or EINVAL with rejected completions (the good ones
 * were consumed and the kernel dropped the others: a late answer to a
 * request that timed out meanwhile, or our -EIO answer to a descriptor
 * with a tag out of range).
 */
static bool run_went_through(int ret, const struct buse_run *run)
{
	return !ret || (ret == -EINVAL && run->rejected);
}

int bdus_queue_run(struct bdus_queue *q, uint32_t flags, struct buse_run *out)
{
	struct buse_run run;
	int ret;

	do {
		memset(&run, 0, sizeof(run));
		run.queue = q->index;
		run.flags = flags;
		ret = bdus__ioctl(q->fd, BUSE_IOC_RUN, &run);
	} while (ret < 0 && errno == EINTR);
	ret = ret < 0 ? -errno : 0;
	if (out)
		*out = run;
	return ret;
}

/* ------------------------------------------------------------------------
 * Completions
 */

/*
 * The cqe result for an engine's return value r (bdus(3), "Return values"): 0, a valid
 * -errno, or a valid partial byte count; anything else becomes -EIO so the
 * kernel never sees a completion it would reject.
 */
static int32_t req_result(const struct bdus_queue *q,
			  const struct bdus_req *req, int r)
{
	if (!buse_result_valid(req->op, req->len, q->lbs, r))
		return -EIO;
	return (uint32_t)r == req->len ? 0 : r;
}

/* Free entries in the completion ring.  Under cq_lock. */
static uint32_t cq_room(struct bdus_queue *q)
{
	uint32_t used = q->cq_tail -
			__atomic_load_n(&q->hdr->cq_head, __ATOMIC_ACQUIRE);

	/* A cq_head ahead of cq_tail (used > entries) is no room either. */
	return used <= q->cq_entries ? q->cq_entries - used : 0;
}

/*
 * Appends n completions, publishing them with a store-release of cq_tail
 * (once, if they fit).  Under cq_lock.  0, or -EPROTO if the kernel does
 * not free room.
 */
static int cq_push(struct bdus_queue *q, const struct buse_io_cqe *cqes,
		   uint32_t n)
{
	while (n) {
		uint32_t i, room = cq_room(q);

		if (!room) {
			/*
			 * Every BUSE_IOC_RUN consumes the whole ring, and at
			 * most depth completions are outstanding unless
			 * requests timed out (late completions of cancelled
			 * issues): have the kernel consume, then go on.
			 */
			if (q->fd >= 0)
				bdus_queue_run(q, BUSE_RUN_F_NOWAIT, NULL);
			room = cq_room(q);
			if (!room)
				return -EPROTO;
		}
		if (room > n)
			room = n;
		for (i = 0; i < room; i++)
			q->cq[(q->cq_tail + i) & (q->cq_entries - 1)] = cqes[i];
		q->cq_tail += room;
		/* The entries (and READ data) before the index. */
		__atomic_store_n(&q->hdr->cq_tail, q->cq_tail,
				 __ATOMIC_RELEASE);
		cqes += room;
		n -= room;
	}
	return 0;
}

uint32_t bdus_req_kind(const struct bdus_req *req)
{
	uint32_t kind;

	/* Bytes, not a struct bdus_req_head lvalue: no aliasing question. */
	memcpy(&kind, (const char *)req + offsetof(struct bdus_req_head, kind),
	       sizeof(kind));
	return kind;
}

static void add_pending(struct bdus_queue *q, uint16_t tag, uint16_t seq,
			int32_t result)
{
	/* A batch has at most sq_entries descriptors: no overflow. */
	struct buse_io_cqe *c = &q->pending[q->npending++];

	c->tag = tag;
	c->seq = seq;
	c->result = result;
}

static int flush_pending(struct bdus_queue *q)
{
	int ret;

	if (!q->npending)
		return 0;
	pthread_mutex_lock(&q->cq_lock);
	ret = cq_push(q, q->pending, q->npending);
	pthread_mutex_unlock(&q->cq_lock);
	q->npending = 0;
	return ret;
}

int bdus_complete(const struct bdus_req *req, int result)
{
	struct bdus_slot *slot;
	struct bdus_queue *q;
	struct buse_io_cqe cqe;
	uint32_t old;
	int32_t res;
	int ret = 0;

	if (!req)
		return -EINVAL;
	/* A filter's request: the filter stack answers it (filter.c). */
	if (bdus_req_kind(req) == BDUS_REQ_FRAME)
		return bdus_frame_complete(req, result);
	slot = bdus_container_of(req, struct bdus_slot, req);
	q = slot->q;
	/* req is stable while the slot is not idle: read it first. */
	res = req_result(q, req, result);
	old = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
	do {
		if (BDUS_SLOT_STATUS(old) == BDUS_SLOT_IDLE)
			return -EINVAL;
	} while (!__atomic_compare_exchange_n(
		&slot->state, &old,
		BDUS_SLOT_WORD(BDUS_SLOT_IDLE, BDUS_SLOT_SEQ(old)), false,
		__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));

	/*
	 * Also for a cancelled issue: the kernel has failed it already, and
	 * takes this completion as the give-back of its buffer (it holds the
	 * tag's next request until then).
	 */
	cqe.tag = (uint16_t)slot->req.tag;
	cqe.seq = BDUS_SLOT_SEQ(old);
	cqe.result = res;

	pthread_mutex_lock(&q->cq_lock);
	ret = cq_push(q, &cqe, 1);
	pthread_mutex_unlock(&q->cq_lock);

	/*
	 * Completions are coalesced: the queue thread hands over everything
	 * published when its submission ring runs empty, and the kernel
	 * takes them too when the application submits more (or polls).
	 * Only a queue thread asleep in BUSE_IOC_RUN hands over nothing, so
	 * then do it here.  NOWAIT, not KICK: the queue thread need not
	 * wake, and a KICK would leave a wake-up token behind.  The fence
	 * pairs with the one in loop_sleep(): either its RUN sees this
	 * completion, or this sees it sleeping.  Errors are the queue
	 * thread's business (it sees ENODEV too).
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!ret && q->fd >= 0 &&
	    __atomic_load_n(&q->sleeping, __ATOMIC_SEQ_CST))
		bdus_queue_run(q, BUSE_RUN_F_NOWAIT, NULL);

	/*
	 * Last touch of q, under the lock: once async_inflight reaches 0 the
	 * stopping queue thread may tear everything down.
	 */
	pthread_mutex_lock(&q->cq_lock);
	if (__atomic_sub_fetch(&q->async_inflight, 1, __ATOMIC_SEQ_CST) <= 0 &&
	    q->draining)
		pthread_cond_broadcast(&q->idle_cond);
	pthread_mutex_unlock(&q->cq_lock);
	return ret;
}

void bdus_queue_wait_async(struct bdus_queue *q)
{
	pthread_mutex_lock(&q->cq_lock);
	q->draining = true;
	while (__atomic_load_n(&q->async_inflight, __ATOMIC_SEQ_CST) > 0)
		pthread_cond_wait(&q->idle_cond, &q->cq_lock);
	pthread_mutex_unlock(&q->cq_lock);
}

/* ------------------------------------------------------------------------
 * Submissions
 */

static bool is_data_op(uint32_t op)
{
	return op == BUSE_OP_READ || op == BUSE_OP_WRITE;
}

/*
 * Checks a descriptor whose tag is valid; sets *offset.  0, or -EIO for a
 * request the engine must not see (the guarantees of bdus(3), "Ranges").
 */
static int desc_check(const struct bdus_queue *q, const struct buse_io_desc *d,
		      uint64_t *offset)
{
	uint64_t off;

	if (d->op >= BUSE_OP_NR)
		return -EIO;
	if (d->op == BUSE_OP_FLUSH) {
		/* No range: sector and len are ignored. */
		*offset = 0;
		return 0;
	}
	if (q->read_only && d->op != BUSE_OP_READ)
		return -EIO;
	if (d->sector > UINT64_MAX >> 9)
		return -EIO;
	off = d->sector << 9;
	if (!d->len || (off | d->len) & (q->lbs - 1))
		return -EIO;
	if (is_data_op(d->op) && d->len > q->max_io)
		return -EIO;
	if (off > q->size || d->len > q->size - off)
		return -EIO;
	*offset = off;
	return 0;
}

int bdus_engine_call(const struct storage_engine *e, void *ctx,
		     const struct bdus_req *req)
{
	switch (req->op) {
	case BUSE_OP_READ:
		return e->read ? e->read(ctx, req->buf, req->offset, req->len,
					 req)
			       : -EOPNOTSUPP;
	case BUSE_OP_WRITE:
		return e->write ? e->write(ctx, req->buf, req->offset, req->len,
					   req)
				: -EOPNOTSUPP;
	case BUSE_OP_FLUSH:
		return e->flush ? e->flush(ctx, req) : -EOPNOTSUPP;
	case BUSE_OP_DISCARD:
		return e->discard ? e->discard(ctx, req->offset, req->len, req)
				  : -EOPNOTSUPP;
	case BUSE_OP_WRITE_ZEROES:
		return e->write_zeroes ? e->write_zeroes(ctx, req->offset,
							 req->len, req)
				       : -EOPNOTSUPP;
	case BUSE_OP_SECURE_ERASE:
		return e->secure_erase ? e->secure_erase(ctx, req->offset,
							 req->len, req)
				       : -EOPNOTSUPP;
	default:
		return -EIO; /* not reached: desc_check(), bdus_next() */
	}
}

/*
 * The kernel gave up on issue `seq` of slot's tag.  If the engine still
 * holds that issue, mark it so that its completion is dropped and tell
 * the engine.  Queue thread only.
 */
static void cancel_issue(struct bdus_queue *q, struct bdus_slot *slot,
			 uint16_t seq)
{
	uint32_t busy = BDUS_SLOT_WORD(BDUS_SLOT_BUSY, seq);

	/* Fails if already completed (or cancelled): nothing to do. */
	if (!__atomic_compare_exchange_n(
		    &slot->state, &busy,
		    BDUS_SLOT_WORD(BDUS_SLOT_CANCELLED, seq), false,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	if (q->engine->cancel)
		q->engine->cancel(q->ctx, &slot->req);
}

/* One descriptor (a request or a CANCEL notice). */
static void dispatch(struct bdus_queue *q, const struct buse_io_desc *d)
{
	struct bdus_slot *slot;
	struct bdus_req *req;
	uint64_t offset;
	uint32_t old;
	int r;

	if (d->op == BUSE_OP_CANCEL) {
		if (d->tag < q->depth)
			cancel_issue(q, &q->slots[d->tag], d->seq);
		return;
	}
	if (d->tag >= q->depth) {
		/* No buffer to give; answer so the kernel sees the problem. */
		add_pending(q, d->tag, d->seq, -EIO);
		return;
	}
	slot = &q->slots[d->tag];
	/*
	 * Normally idle: the kernel reissues a tag only after consuming its
	 * completion, which came after the IDLE store (acquire chain through
	 * the rings).  Not idle: an earlier issue timed out and the engine
	 * still holds it (its CANCEL may have been dropped for lack of room,
	 * or be right before this descriptor).  Its buffer is busy, so this
	 * issue cannot be served.  The same seq again is a duplicate of the
	 * issue the engine holds: ignored.
	 */
	old = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
	if (BDUS_SLOT_STATUS(old) != BDUS_SLOT_IDLE) {
		if (BDUS_SLOT_SEQ(old) == d->seq)
			return;
		cancel_issue(q, slot, BDUS_SLOT_SEQ(old));
		add_pending(q, d->tag, d->seq, -ETIMEDOUT);
		return;
	}
	r = desc_check(q, d, &offset);
	if (r) {
		add_pending(q, d->tag, d->seq, r);
		return;
	}

	req = &slot->req;
	req->offset = offset;
	req->len = d->op == BUSE_OP_FLUSH ? 0 : d->len;
	req->op = d->op;
	req->flags = d->flags;
	req->buf = is_data_op(d->op) ? q->data + (size_t)d->tag * q->max_io
				     : NULL;
	/* Release: req's fields before the engine's threads see it busy. */
	__atomic_store_n(&slot->state, BDUS_SLOT_WORD(BDUS_SLOT_BUSY, d->seq),
			 __ATOMIC_RELEASE);

	r = bdus_engine_call(q->engine, q->ctx, req);

	if (r == BDUS_ASYNC) {
		__atomic_add_fetch(&q->async_inflight, 1, __ATOMIC_SEQ_CST);
		return;
	}
	old = __atomic_exchange_n(&slot->state,
				  BDUS_SLOT_WORD(BDUS_SLOT_IDLE, d->seq),
				  __ATOMIC_ACQ_REL);
	if (BDUS_SLOT_STATUS(old) == BDUS_SLOT_BUSY) {
		add_pending(q, d->tag, d->seq, req_result(q, req, r));
	} else {
		/*
		 * The engine called bdus_complete() and then returned a
		 * result instead of BDUS_ASYNC: the completion is done;
		 * balance the decrement bdus_complete() made.
		 */
		__atomic_add_fetch(&q->async_inflight, 1, __ATOMIC_SEQ_CST);
	}
}

int bdus_queue_process(struct bdus_queue *q)
{
	uint32_t head = q->sq_head;
	/* The descriptors (and WRITE data) up to tail are visible after this. */
	uint32_t tail = __atomic_load_n(&q->hdr->sq_tail, __ATOMIC_ACQUIRE);
	uint32_t n = tail - head; /* free-running: wraps correctly */
	int ret;

	q->batch_cqes = 0;
	if (!n)
		return 0;
	/* More than the ring holds: slots were overwritten before we read
	 * them. */
	if (n > q->sq_entries)
		return -EPROTO;
	for (; head != tail; head++) {
		struct buse_io_desc d;

		memcpy(&d, &q->sq[head & (q->sq_entries - 1)], sizeof(d));
		compiler_barrier();
		dispatch(q, &d);
	}
	q->sq_head = head;
	q->batch_cqes = q->npending;
	ret = flush_pending(q);
	/* The kernel sleeps in RUN while sq_head == sq_tail, and posts
	 * CANCEL notices only while the ring has room past sq_head. */
	__atomic_store_n(&q->hdr->sq_head, head, __ATOMIC_RELEASE);
	return ret < 0 ? ret : (int)n;
}

/* ------------------------------------------------------------------------
 * The queue loop and polling
 */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Completions published that the kernel has not consumed: the queue thread
 * hands them over once its submission ring is empty (a polled queue's
 * submitters take them themselves).
 */
static bool cq_owed(const struct bdus_queue *q)
{
	return !q->polled &&
	       __atomic_load_n(&q->hdr->cq_tail, __ATOMIC_RELAXED) !=
		       __atomic_load_n(&q->hdr->cq_head, __ATOMIC_RELAXED);
}

static bool sq_empty(const struct bdus_queue *q)
{
	return __atomic_load_n(&q->hdr->sq_tail, __ATOMIC_ACQUIRE) ==
	       q->sq_head;
}

int bdus_queue_spin(struct bdus_queue *q, uint32_t window_us)
{
	uint64_t deadline = 0, now;
	uint64_t i;

	for (i = 0;; i++) {
		/* Acquire: bdus_queue_process() re-reads it anyway. */
		if (__atomic_load_n(&q->hdr->sq_tail, __ATOMIC_ACQUIRE) !=
		    q->sq_head)
			return BDUS_SPIN_WORK;
		if (__atomic_load_n(&q->stopping, __ATOMIC_ACQUIRE))
			return BDUS_SPIN_STOP;
		/* Completions of async requests came in: hand them over. */
		if (cq_owed(q))
			return BDUS_SPIN_COMPLETIONS;
		/* The clock (vDSO, no system call) every 8 rounds. */
		if (!(i & 7)) {
			now = now_ns();
			if (!i)
				deadline = now + (uint64_t)window_us * 1000u;
			if (now >= deadline)
				return BDUS_SPIN_EMPTY;
		}
		cpu_relax();
	}
}

uint32_t bdus_poll_next(uint32_t poll_us, uint32_t window, bool found,
			uint64_t waited_ns)
{
	if (!poll_us)
		return 0;
	if (window > poll_us)
		window = poll_us;
	if (window) {
		if (found)
			return window > poll_us / 2 ? poll_us : window * 2;
		return window / 2;
	}
	/* The sleep includes the thread's own wake-up, which spinning saves. */
	return waited_ns <= (uint64_t)poll_us * 1000u * BDUS_POLL_REOPEN
		       ? poll_us
		       : 0;
}

/*
 * BUSE_IOC_RUN for the loop: 0 to go on, or 1 to leave it, with
 * q->removed or q->err set.  A RUN that may sleep says so first (see
 * bdus_complete()).
 */
static int loop_run(struct bdus_queue *q, uint32_t flags, struct buse_run *run)
{
	int ret;

	if (!(flags & (BUSE_RUN_F_NOWAIT | BUSE_RUN_F_KICK))) {
		__atomic_store_n(&q->sleeping, 1, __ATOMIC_SEQ_CST);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
	ret = bdus_queue_run(q, flags, run);
	__atomic_store_n(&q->sleeping, 0, __ATOMIC_RELAXED);

	if (ret == -ENODEV) {
		q->removed = true; /* device removed */
		return 1;
	}
	if (!run_went_through(ret, run)) {
		q->err = ret;
		return 1;
	}
	return 0;
}

void bdus_queue_loop(struct bdus_queue *q)
{
	struct buse_run run;
	uint64_t t0;
	int ret;

	q->poll_window = 0;
	for (;;) {
		if (__atomic_load_n(&q->stopping, __ATOMIC_ACQUIRE))
			break;
		if (q->poll_window) {
			bool found;

			/*
			 * More requests came meanwhile: serve them, and leave
			 * the completions published so far to the kernel's
			 * submitters (or the hand-over when the ring runs
			 * empty).  Else hand them over now, then look for the
			 * next batch without sleeping.
			 */
			run.pending = 0;
			ret = BDUS_SPIN_EMPTY;
			if (!sq_empty(q))
				ret = BDUS_SPIN_WORK;
			else if (cq_owed(q) &&
				 loop_run(q, BUSE_RUN_F_NOWAIT, &run))
				break;
			if (ret != BDUS_SPIN_WORK && run.pending)
				ret = BDUS_SPIN_WORK;
			while (ret != BDUS_SPIN_WORK) {
				ret = bdus_queue_spin(q, q->poll_window);
				if (ret != BDUS_SPIN_COMPLETIONS)
					break;
				if (loop_run(q, BUSE_RUN_F_NOWAIT, &run))
					goto out;
				if (run.pending)
					ret = BDUS_SPIN_WORK;
			}
			if (ret == BDUS_SPIN_STOP)
				break;
			found = ret == BDUS_SPIN_WORK;
			if (found)
				q->poll_hits++;
			else
				q->poll_misses++;
			q->poll_window = bdus_poll_next(
				q->poll_us, q->poll_window, found, 0);
			/* Nothing came: sleep (a KICK or removal wakes it). */
			if (!found && loop_run(q, 0, &run))
				break;
		} else if (q->poll_us) {
			/* Not spinning now: time the wait to know whether to. */
			t0 = now_ns();
			if (loop_run(q, 0, &run))
				break;
			q->poll_window = bdus_poll_next(q->poll_us, 0, false,
							now_ns() - t0);
		} else {
			/*
			 * Consumes the completions written so far and sleeps
			 * until descriptors are pending or a KICK arrives.
			 */
			if (loop_run(q, 0, &run))
				break;
		}
		if (__atomic_load_n(&q->stopping, __ATOMIC_ACQUIRE))
			break;
		ret = bdus_queue_process(q);
		if (ret < 0) {
			q->err = ret;
			break;
		}
	}
out:
	/* No hand-over from this thread any more: bdus_complete() does it. */
	__atomic_store_n(&q->sleeping, 1, __ATOMIC_SEQ_CST);
}
