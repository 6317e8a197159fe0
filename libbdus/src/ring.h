/* SPDX-License-Identifier: MIT */
/*
 * ring.h - per-queue ring processing of libbdus (internal).
 *
 * A struct bdus_queue wraps one hardware queue's ring area (mapped from
 * /dev/busecN, or plain memory in the unit tests) and the engine serving
 * it.  bdus_queue_process() consumes every pending submission descriptor,
 * calls the engine and writes the completions; it never calls the kernel
 * unless the queue has an fd (fd >= 0), so it can be tested without the
 * driver.
 *
 * Not part of the public API; hidden in libbdus.so (-fvisibility=hidden)
 * but linkable from libbdus.a by the unit tests.
 */
#ifndef BDUS_RING_H
#define BDUS_RING_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/buse.h>

#include "bdus.h"

/* The layout the rings are built on (also pinned by the driver). */
_Static_assert(sizeof(struct buse_io_desc) == 32, "buse_io_desc size");
_Static_assert(sizeof(struct buse_io_cqe) == 8, "buse_io_cqe size");
_Static_assert(sizeof(struct buse_ring_hdr) == 256, "buse_ring_hdr size");
_Static_assert(sizeof(struct buse_attach) == 128, "buse_attach size");
_Static_assert(sizeof(struct buse_run) == 40, "buse_run size");

#define bdus_container_of(ptr, type, member) \
	((type *)(void *)((char *)(uintptr_t)(ptr)-offsetof(type, member)))

/*
 * bdus_slot.state: the status in the low 16 bits, the seq of the issue
 * the slot holds in the high 16 bits, so that one compare-and-swap checks
 * both (a CANCEL or completion for an older issue never matches).
 */
enum {
	BDUS_SLOT_IDLE = 0,	 /* not with the engine */
	BDUS_SLOT_BUSY = 1,	 /* with the engine, not completed */
	BDUS_SLOT_CANCELLED = 2, /* with the engine, but the kernel gave
					   up on it: its completion is dropped */
};
#define BDUS_SLOT_WORD(status, seq) ((uint32_t)(status) | (uint32_t)(seq) << 16)
#define BDUS_SLOT_STATUS(word) ((word)&0xffffu)
#define BDUS_SLOT_SEQ(word) ((uint16_t)((word) >> 16))

struct bdus_queue;

/*
 * What a struct bdus_req handed to an engine is part of, for
 * bdus_complete(): a queue's slot (here) or a filter's frame (filter.c).
 * Both begin with the req and this kind, as struct bdus_req_head does.
 */
#define BDUS_REQ_SLOT 0x746f6c73u  /* "slot" */
#define BDUS_REQ_FRAME 0x6d617266u /* "fram" */
struct bdus_req_head {
	struct bdus_req req;
	uint32_t kind; /* BDUS_REQ_* */
};

/* The kind of what embeds req (a struct bdus_req_head). */
uint32_t bdus_req_kind(const struct bdus_req *req);

/* One per tag: the request handed to the engine. */
struct bdus_slot {
	struct bdus_req req;
	uint32_t kind; /* BDUS_REQ_SLOT */
	struct bdus_queue *q;
	/*
	 * BDUS_SLOT_WORD().  Whoever moves it from BUSY/CANCELLED to IDLE
	 * (the queue thread for a synchronous result, bdus_complete() for an
	 * asynchronous one) owns the completion: at most one cqe per issue.
	 */
	uint32_t state;
};

_Static_assert(offsetof(struct bdus_slot, kind) ==
		       offsetof(struct bdus_req_head, kind),
	       "bdus_slot begins as bdus_req_head");

struct bdus_queue {
	/* Geometry, validated by bdus_queue_init(). */
	uint32_t index; /* hardware queue number */
	uint32_t depth;
	uint32_t max_io;
	uint32_t lbs; /* logical block size */
	uint32_t sq_entries;
	uint32_t cq_entries;
	uint64_t size; /* device size in bytes */
	bool read_only;
	/*
	 * A polled queue (HCTX_TYPE_POLL): the submitters that poll it end
	 * its completions, so the loop never hands them over while it
	 * spins.
	 */
	bool polled;

	/* The ring area. */
	void *area;
	size_t map_size;
	struct buse_ring_hdr *hdr;
	const struct buse_io_desc *sq;
	struct buse_io_cqe *cq;
	unsigned char *data;

	/* Private index copies: shared memory is only written, not trusted. */
	uint32_t sq_head; /* queue thread only */
	uint32_t cq_tail; /* under cq_lock */

	const struct storage_engine *engine;
	void *ctx;

	/* /dev/busecN for BUSE_IOC_RUN from bdus_complete(); -1: none. */
	int fd;

	struct bdus_slot *slots; /* [depth] */
	/* Synchronous completions of the current batch (queue thread only). */
	struct buse_io_cqe *pending; /* [sq_entries] */
	uint32_t npending;

	/* Serialises the completion ring's producers. */
	pthread_mutex_t cq_lock;
	/* Signalled when async_inflight drops to 0 while draining. */
	pthread_cond_t idle_cond;
	/*
	 * BDUS_ASYNC requests not completed yet (__atomic; may dip to -1 for
	 * a moment when bdus_complete() runs before the callback returned).
	 * Decremented, and draining read, under cq_lock.
	 */
	int async_inflight;
	bool draining; /* under cq_lock */
	bool locks_init;

	/*
	 * Polling after a batch (bdus_opts.poll_us; see bdus_queue_loop()):
	 * the longest spin in microseconds (0: never poll) and the current
	 * one, adapted by bdus_poll_next().  Queue thread only.
	 */
	uint32_t poll_us;
	uint32_t poll_window;
	uint64_t poll_hits;   /* batches found without sleeping */
	uint64_t poll_misses; /* spins that found nothing */
	/* Completions the last bdus_queue_process() published itself. */
	uint32_t batch_cqes;

	/*
	 * The queue thread is in (or entering) a BUSE_IOC_RUN that sleeps,
	 * or has left its loop: bdus_complete() must then hand its
	 * completion over itself.  Set and read with sequentially
	 * consistent atomics (see bdus_complete()).
	 */
	int sleeping;

	/* Set by whoever stops the queue (serve.c); read by the loop. */
	int stopping; /* __atomic */
	/* Set by bdus_queue_loop() when it returns. */
	int err;      /* thread's fatal error, -errno */
	bool removed; /* thread saw ENODEV */

	/* Used by serve.c only. */
	void *server;
	pthread_t thread;
	bool thread_started;
	cpu_set_t *cpus;  /* CPU_ALLOC()ed; NULL: do not pin */
	size_t cpus_size; /* bytes, for the CPU_*_S() macros */
};

/*
 * The ops to advertise at attach for engine e: READ and WRITE, one bit per
 * optional callback, BUSE_OPS_FUA if BDUS_ENGINE_F_FUA and flush is set.
 */
uint32_t bdus_engine_ops(const struct storage_engine *e);

/*
 * Calls e's callback for req->op with req's offset, len and buf (ctx as
 * its ctx): its result, or -EOPNOTSUPP for a callback e lacks.
 */
int bdus_engine_call(const struct storage_engine *e, void *ctx,
		     const struct bdus_req *req);

/* 0 if e can be served (non-NULL, read and write set), else -EINVAL. */
int bdus_engine_check(const struct storage_engine *e);

/*
 * Checks the geometry the driver returned at attach (queues, depth, sizes,
 * ring offsets inside map_size and not overlapping, entries powers of two
 * >= depth).  0 or -EPROTO.
 */
int bdus_attach_check(const struct buse_attach *a);

/*
 * Sets up q for ring area `area` (a->map_size bytes) of hardware queue
 * qidx, serving requests with engine e / ctx; dev is what req->dev points
 * to.  fd: the server fd for BUSE_IOC_RUN, or -1 (no kernel: tests).  The
 * indices start from the values in the area's header.  Calls
 * bdus_attach_check(); 0, -EPROTO or -ENOMEM.  On error q needs no
 * bdus_queue_fini().
 */
int bdus_queue_init(struct bdus_queue *q, uint32_t qidx, void *area,
		    const struct buse_attach *a, const struct bdus_dev *dev,
		    const struct storage_engine *e, void *ctx, int fd);

/* Frees what bdus_queue_init() allocated (not the area). */
void bdus_queue_fini(struct bdus_queue *q);

/*
 * Processes every descriptor between the private sq_head and sq_tail:
 * validates it, calls the engine (or answers -EIO / -EOPNOTSUPP /
 * -ETIMEDOUT itself), handles BUSE_OP_CANCEL notices, writes the
 * synchronous completions to the completion ring (one store-release of
 * cq_tail per batch, unless the ring is too small for the batch), then
 * store-releases sq_head.
 * Returns the number of descriptors consumed, or -EPROTO if the kernel
 * broke the protocol (more descriptors than sq_entries, completion ring
 * never consumed).
 */
int bdus_queue_process(struct bdus_queue *q);

/*
 * Waits until every BDUS_ASYNC request of q has been completed.  Called by
 * the queue's thread once it stopped calling bdus_queue_process().
 */
void bdus_queue_wait_async(struct bdus_queue *q);

/* BUSE_IOC_RUN on q with flags, retrying EINTR: 0 or -errno. */
int bdus_queue_run(struct bdus_queue *q, uint32_t flags, struct buse_run *out);

/* bdus_queue_spin() results. */
enum {
	BDUS_SPIN_EMPTY = 0, /* the window elapsed, no descriptor came */
	BDUS_SPIN_WORK = 1,  /* descriptors are pending (sq_tail moved) */
	BDUS_SPIN_STOP = 2,  /* q->stopping was set */
	/*
	 * The submission ring is empty but completions (of requests an
	 * engine completed with bdus_complete()) wait for a hand-over; not
	 * on a polled queue, whose submitters take them.
	 */
	BDUS_SPIN_COMPLETIONS = 3,
};

/*
 * Busy-waits up to window_us microseconds for the kernel to publish
 * descriptors: load-acquires sq_tail and compares it with the private
 * sq_head, checks q->stopping, then executes a pause instruction (x86;
 * sched_yield() elsewhere), reading the clock every few rounds.  No system
 * call on x86.  Returns BDUS_SPIN_*; a window of 0 checks once.
 */
int bdus_queue_spin(struct bdus_queue *q, uint32_t window_us);

/*
 * The adaptive polling window (microseconds) after one wait, given the
 * maximum poll_us and the window used for that wait:
 *   - window > 0, found (the spin, or the RUN that preceded it, found
 *     descriptors): doubled, at most poll_us;
 *   - window > 0, not found (the spin ran out): halved, down to 0;
 *   - window == 0 (no spin: the thread slept in BUSE_IOC_RUN for
 *     waited_ns): poll_us if the wait was no longer than
 *     BDUS_POLL_REOPEN * poll_us, else 0.  The wait counts the thread's own
 *     wake-up (a cross-CPU interrupt, the scheduler: the longer part of it
 *     in a VM), which a spin does not pay: a batch that came a little
 *     after poll_us asleep may well come within poll_us to a spinning
 *     thread.  (In the test VM, fio at QD1 ran at 3-6k IOPS with the
 *     thread asleep between requests, 11-19k with it spinning 200 us.)
 * So a busy queue keeps polling, and one whose batches come further apart
 * than that stops spinning after a few batches (a spin of poll_us, then
 * half, and so on: about 2 * poll_us in all) and sleeps as it would
 * without polling.  0 when poll_us is 0.
 */
#define BDUS_POLL_REOPEN 4
uint32_t bdus_poll_next(uint32_t poll_us, uint32_t window, bool found,
			uint64_t waited_ns);

/*
 * The queue thread's main loop: hand completions to the kernel and wait
 * for descriptors (BUSE_IOC_RUN), process them (bdus_queue_process()),
 * until q->stopping is set, the device goes away or an error happens.
 * Without polling (q->poll_us == 0) each batch costs exactly one ioctl:
 * a waiting BUSE_IOC_RUN that hands over the previous batch's completions
 * and returns with the next batch.  With polling, while the window is
 * open, a batch is followed by a BUSE_IOC_RUN with BUSE_RUN_F_NOWAIT (the
 * completions go to the kernel at once) and a spin of up to poll_window
 * microseconds on sq_tail (bdus_queue_spin()); only if that finds nothing
 * does the thread call the waiting BUSE_IOC_RUN.  The NOWAIT call is left
 * out when the batch published no completion (all BDUS_ASYNC: those are
 * handed over by bdus_complete()).  The window starts at 0
 * and adapts after each batch (bdus_poll_next()).
 *
 * On return q->removed is set if the device was removed (ENODEV), q->err
 * holds a fatal error (-errno, -EPROTO), both are clear if q->stopping
 * was set.  EINVAL with rejected completions (a late answer to a timed-out
 * request) is not fatal.  Needs q->fd >= 0.
 */
void bdus_queue_loop(struct bdus_queue *q);

#endif /* BDUS_RING_H */
