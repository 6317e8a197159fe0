/* SPDX-License-Identifier: MIT */
/*
 * bdus.h - serve a buse block device from userspace.
 *
 * A storage engine fills a struct storage_engine with callbacks and calls
 * bdus_serve() (for an existing device) or bdus_create_and_serve() (creates
 * the device, serves it, removes it).  The library attaches to
 * /dev/busecN, maps the request rings of every hardware queue and runs one
 * thread per hardware queue that calls the engine for each request:
 *
 *	static int my_read(void *ctx, void *buf, uint64_t off, uint32_t len,
 *			   const struct bdus_req *req) { ...; return 0; }
 *	static int my_write(void *ctx, const void *buf, uint64_t off,
 *			    uint32_t len, const struct bdus_req *req) { ... }
 *
 *	static const struct storage_engine engine = {
 *		.name = "mine", .read = my_read, .write = my_write,
 *	};
 *	int err = bdus_serve(index, &engine, my_ctx, NULL);
 *
 * bdus_serve() returns when SIGINT or SIGTERM arrives, when bdus_stop() is
 * called, or when the device is removed (busectl remove), in all three cases
 * with 0 after every request the engine accepted has been answered.
 *
 * Errors are returned as negative errno values, never through errno.
 *
 * The control functions (create, remove, list devices; parse sizes) are in
 * bdus_ctl.h, which is part of the same library; the standard command
 * line of a server (bdus_main()) in bdus_cli.h.
 *
 * ABI.  The functions that take a struct storage_engine or struct
 * bdus_opts are inline wrappers that pass the sizes of those structs, as
 * this header defines them, to the exported *_sized() functions.  A
 * program built against this header keeps working with later versions of
 * libbdus.so.0, whose structs may have grown: the fields it does not know
 * are zero (callbacks absent, options off).  The library refuses
 * (-EINVAL, with a message on stderr) a struct larger than its own whose
 * unknown fields are not zero: the program needs a newer library.
 */
#ifndef BDUS_H
#define BDUS_H

#include <stddef.h>
#include <stdint.h>

#include <linux/buse.h>

/* Marks the symbols exported by libbdus.so (built with -fvisibility=hidden). */
#ifndef BDUS_API
#define BDUS_API __attribute__((visibility("default")))
#endif

#define BDUS_VERSION_MAJOR 0
#define BDUS_VERSION_MINOR 2
#define BDUS_VERSION_PATCH 0
/* The version as one number: MAJOR * 10000 + MINOR * 100 + PATCH. */
#define BDUS_VERSION (BDUS_VERSION_MAJOR * 10000 + \
		      BDUS_VERSION_MINOR * 100 + BDUS_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Devices and requests
 */

/*
 * The device being served, as the driver set it up at attach time.  Handed
 * to the engine's open()/close() hooks, to bdus_opts.on_ready() and in
 * every request (req->dev).  Read-only for the engine; valid from open()
 * until bdus_serve() returns.
 */
struct bdus_dev {
	uint32_t index;			/* N in /dev/buseN */
	uint32_t flags;			/* the device's BUSE_DEV_F_* flags */
	uint64_t size;			/* capacity in bytes */
	uint32_t logical_block_size;	/* power of two, >= 512 */
	uint32_t physical_block_size;
	uint32_t nr_queues;		/* hardware queues = serving threads,
					   the polled ones included */
	uint32_t queue_depth;		/* requests in flight per queue, max */
	uint32_t max_io;		/* max bytes of one READ/WRITE */
	uint32_t ops;			/* BUSE_OP_BIT()s (+ BUSE_OPS_FUA) the
					   driver accepted */
	char block_path[32];		/* "/dev/buseN" */
	char server_path[32];		/* "/dev/busecN" */
	/*
	 * The last nr_poll_queues of the nr_queues are polled queues: they
	 * carry only I/O its submitter polls for (io_uring IOPOLL).
	 */
	uint32_t nr_poll_queues;
};

/*
 * One request.  The library owns it (one per queue and tag, preallocated);
 * the engine may read it, and keep the pointer until the request is
 * completed (the callback returned a result, or bdus_complete() was called
 * for it).  The callbacks also get offset, len and buf as arguments; they
 * are repeated here for engines that queue requests.
 */
struct bdus_req {
	const struct bdus_dev *dev;
	uint64_t offset;	/* bytes; 0 for FLUSH */
	uint32_t len;		/* bytes; 0 for FLUSH */
	uint32_t op;		/* enum buse_op */
	uint32_t flags;		/* BUSE_IO_F_*: the block layer's request flags */
	uint32_t queue;		/* hardware queue, 0 .. dev->nr_queues - 1 */
	uint32_t tag;		/* 0 .. dev->queue_depth - 1; unique among the
				   requests of one queue in flight at a time */
	uint32_t __pad0;
	void *buf;		/* data buffer for READ/WRITE, NULL otherwise */
};

/*
 * Returned by a request callback: the engine keeps the request and will
 * answer it later with bdus_complete().  Larger than any request length, so
 * it cannot be mistaken for a byte count.
 */
#define BDUS_ASYNC 0x7fffffff

/* storage_engine.flags */
/*
 * The engine honours BUSE_IO_F_FUA on WRITE (the data is durable when the
 * write completes).  Only meaningful with a flush callback: a device
 * without one is write-through and never sees FUA.  With a flush callback
 * but without this flag, the block layer emulates FUA by sending a FLUSH
 * after the write.
 */
#define BDUS_ENGINE_F_FUA (1u << 0)

/*
 * The engine.
 *
 * Common rules for the request callbacks (read .. secure_erase):
 *
 * Threads and concurrency.  Each hardware queue has its own thread, created
 *   by the library, and every callback for a request of queue q runs on
 *   q's thread (req->queue == q).  Callbacks for one queue never overlap;
 *   callbacks for different queues do, so an engine serving a device with
 *   nr_queues > 1 must be thread-safe.  A slow callback delays the other
 *   requests of its queue: engines that wait (network, disk) should return
 *   BDUS_ASYNC and complete later.  The threads block every signal.
 *
 * Ranges (the library checks them; a request that breaks them is answered
 *   with -EIO and never reaches the engine):
 *   - offset and len are multiples of dev->logical_block_size;
 *   - 0 < len and offset + len <= dev->size (except FLUSH: offset = len = 0);
 *   - len <= dev->max_io for READ and WRITE (DISCARD, WRITE_ZEROES and
 *     SECURE_ERASE can be much longer: up to 4 GiB - 512);
 *   - WRITE, DISCARD, WRITE_ZEROES and SECURE_ERASE never reach the engine
 *     of a read-only device (BUSE_DEV_F_READ_ONLY).
 *
 * Buffers.  buf is the tag's slot in memory shared with the kernel: 4096-
 *   byte aligned, len bytes long (dev->max_io bytes are addressable).  For
 *   READ the engine fills it; for WRITE it holds the data.  It is valid
 *   until the request is completed, and must not be touched afterwards (the
 *   kernel reuses it for the next request on that tag).
 *
 * Timeouts.  A device created with a timeout (buse_dev_info.timeout) fails
 *   requests the engine holds for longer with ETIMEDOUT.  The engine's
 *   eventual result for such a request is discarded; see cancel().
 *
 * Return values:
 *   0          success.
 *   -errno     failure.  -EIO, -ENOSPC, -EOPNOTSUPP, -ETIMEDOUT, -ENOLINK,
 *              -EILSEQ, -ENODATA and -EBADE reach the application as
 *              themselves, anything else (also -ENOMEM and -EAGAIN, which
 *              mean "retry" inside the block layer) as EIO.
 *   n > 0      READ/WRITE only: the first n bytes were transferred and the
 *              rest failed (EIO); n must be a multiple of the logical block
 *              size and < len.  n == len means success.
 *   BDUS_ASYNC the engine answers later with bdus_complete(); until then
 *              req, buf and the tag stay reserved (see also cancel()).
 *   Any other value (positive non-multiple, > len, < -4095) is answered
 *   as -EIO.
 *
 * An engine that needs the request's flags (BUSE_IO_F_FUA, _NOUNMAP, ...)
 * or its queue/tag reads them from req.
 */
struct storage_engine {
	/* For messages; may be NULL. */
	const char *name;

	/* BDUS_ENGINE_F_*. */
	uint32_t flags;

	/*
	 * Optional.  Called once, on the thread that called bdus_serve(),
	 * after the device is attached (dev holds the final size and
	 * geometry) and before any request callback.  Returning a negative
	 * errno aborts bdus_serve(), which returns that value (a positive
	 * value counts as -EINVAL); close() is then not called.
	 */
	int (*open)(void *ctx, const struct bdus_dev *dev);

	/*
	 * Optional.  Called once, on the thread that called bdus_serve(),
	 * after every request callback has returned and every BDUS_ASYNC
	 * request has been completed, before the device is detached.  Only if
	 * open() (when set) succeeded.
	 */
	void (*close)(void *ctx, const struct bdus_dev *dev);

	/*
	 * Required.  Read len bytes at offset into buf.  Always called:
	 * READ is always advertised.
	 */
	int (*read)(void *ctx, void *buf, uint64_t offset, uint32_t len,
		    const struct bdus_req *req);

	/*
	 * Required.  Write len bytes of buf at offset.  With
	 * BDUS_ENGINE_F_FUA, a request with BUSE_IO_F_FUA in req->flags must
	 * be durable before it completes.
	 */
	int (*write)(void *ctx, const void *buf, uint64_t offset, uint32_t len,
		     const struct bdus_req *req);

	/*
	 * Optional.  Make every write completed so far durable.  When set,
	 * the device is presented as having a volatile write cache; when
	 * NULL, as write-through (no flushes are ever sent, so writes must be
	 * durable when they complete, if durability matters at all).  A
	 * device created with BUSE_DEV_F_NO_WRITE_CACHE is write-through
	 * whatever the engine: neither FLUSH nor FUA reaches it.
	 */
	int (*flush)(void *ctx, const struct bdus_req *req);

	/*
	 * Optional.  The range's contents are no longer needed: the engine
	 * may deallocate it; reads of it may afterwards return anything.
	 * NULL: discard is not advertised (BLKDISCARD fails with EOPNOTSUPP).
	 */
	int (*discard)(void *ctx, uint64_t offset, uint32_t len,
		       const struct bdus_req *req);

	/*
	 * Optional.  Make the range read as zeroes.  With BUSE_IO_F_NOUNMAP
	 * in req->flags the range must stay allocated; without it, it may be
	 * deallocated.  NULL: write_zeroes is not advertised and the block
	 * layer does the job itself, by writing buffers of zeroes with WRITE
	 * (so it still works, only slower).
	 */
	int (*write_zeroes)(void *ctx, uint64_t offset, uint32_t len,
			    const struct bdus_req *req);

	/*
	 * Optional.  Erase the range so that its former contents cannot be
	 * recovered.  NULL: not advertised (BLKSECDISCARD fails).
	 */
	int (*secure_erase)(void *ctx, uint64_t offset, uint32_t len,
			    const struct bdus_req *req);

	/*
	 * Optional.  The kernel gave up on a request the engine holds after
	 * returning BDUS_ASYNC: it timed out (buse_dev_info.timeout) and
	 * has already failed with ETIMEDOUT.  The engine should abandon the
	 * work if it can, and must still call bdus_complete(req, ...) to
	 * give req and its buffer back (the result is then discarded).
	 * Until it does, the kernel posts nothing on the same tag (the
	 * buffer is still in use): a request that gets the tag waits, and
	 * fails with ETIMEDOUT after the device's timeout.
	 * Called on the queue's thread, at most once per request, possibly
	 * while another thread of the engine is calling bdus_complete() for
	 * it.  Without this hook nothing tells the engine; the rest holds.
	 */
	void (*cancel)(void *ctx, const struct bdus_req *req);
};

/* ------------------------------------------------------------------------
 * Serving
 */

/* bdus_opts.flags */
/*
 * Do not handle SIGINT/SIGTERM.  Use it when the application handles
 * signals itself, or runs several servers in one process; stop with
 * bdus_stop().
 */
#define BDUS_OPT_NO_SIGNALS	(1u << 0)
/*
 * Do not ask for a partition rescan of /dev/buseN once serving (not asked
 * either for a device created with BUSE_DEV_F_NO_PARTSCAN).
 */
#define BDUS_OPT_NO_PARTSCAN	(1u << 1)
/*
 * Lock all of the process's memory, present and future: mlockall(
 * MCL_CURRENT | MCL_FUTURE), before anything else is done (for
 * bdus_create_and_serve(), before the device is created).
 *
 * Why: a server whose pages can be paged out must bring them back to make
 * progress, and that may take the device it serves.  Its swapped-out pages
 * when swap lives on /dev/buseN (or on a filesystem on it); its program,
 * libraries and other file-backed pages when they live on a filesystem on
 * /dev/buseN (a root filesystem served by buse, say).  A request then
 * waits for the server, which waits for a page, which waits for the
 * request: deadlock.  Locked pages are never paged out (and serving takes
 * no major page faults, which also helps latency).  Use it whenever the
 * system may page, swap or load code through the device being served.
 * See also "Memory" below.
 *
 * Cost: every mapping of the process is faulted in and stays resident, and
 * (MCL_FUTURE) so is every mapping made later, in full, when it is made:
 * the queue threads' stacks (RLIMIT_STACK each, 8 MiB by default, unless
 * pthread_setattr_default_np() sets a smaller default), an engine's
 * buffers, and its large sparse mappings (a MAP_NORESERVE area of the
 * device's size is allocated entirely).  The ring areas are kernel memory,
 * never paged out in any case.  Without CAP_IPC_LOCK, RLIMIT_MEMLOCK
 * bounds the process's whole address space (mlockall fails with -ENOMEM)
 * and later mappings beyond it fail (e.g. pthread_create() with -EAGAIN):
 * in practice this needs CAP_IPC_LOCK.  The lock is not undone when
 * bdus_serve() returns (other servers in the process may rely on it);
 * call munlockall() if it must be.
 */
#define BDUS_OPT_MLOCK		(1u << 2)
/*
 * Do not pin the queue threads to CPUs.  By default the thread of hardware
 * queue q runs only on the CPUs blk-mq maps to q, read from
 * /sys/block/buseN/mq/q/cpu_list when the threads start and intersected
 * with the affinity of the thread calling bdus_serve() (so taskset(1) and
 * cgroup placement are respected): requests of queue q are submitted on
 * those CPUs, and with several queues each thread keeps to its own CPUs
 * instead of following the scheduler around.  When that leaves a single
 * CPU (one CPU per hardware queue), the thread runs on the other allowed
 * CPUs instead (unless BDUS_OPT_PIN_NEAR): on the very CPU that submits to
 * its queue it would only run in turns with the submitter, next to it the
 * two run at the same time (measurements: docs/performance.md).  Nothing
 * is pinned (and nothing fails) if the file is missing (no sysfs) or
 * malformed, or if no CPU is left.  With one queue the list holds every
 * CPU and pinning changes nothing.  Set this flag when the engine places
 * its threads itself, or when the CPUs submitting
 * I/O should not also run the server (a polling thread, see poll_us,
 * competes with the applications running on its CPUs).  Queue threads are
 * named "bdus-q" and their queue number (ps -L, top -H).
 */
#define BDUS_OPT_NO_PIN		(1u << 3)
/*
 * Print nothing.  The library writes to stderr only to warn, in one line
 * and once per process, that the serving threads could not be made I/O
 * flushers (see "Memory" below).  (A struct refused for its size, see
 * "ABI" above, is reported all the same: the options are not read yet.)
 */
#define BDUS_OPT_QUIET		(1u << 4)
/*
 * Pin the thread of hardware queue q to the CPUs blk-mq maps to q even when
 * that is one CPU, the one submitting to q, and run it with SCHED_BATCH so
 * that a request does not preempt the submitter: the submitter queues what
 * it has and the thread serves the batch when the submitter waits.  Pays
 * when every CPU submits I/O (each CPU then serves its own requests, with
 * no cross-CPU wake-ups), costs when one CPU does (the other CPUs stay
 * idle); docs/performance.md has measurements.  Measure your workload both
 * ways.  Both placements are best effort (a failing sched_setaffinity(2)
 * or sched_setscheduler(2) leaves the thread as it was).  bdus_serve()
 * fails with -EINVAL if BDUS_OPT_NO_PIN is set too.
 */
#define BDUS_OPT_PIN_NEAR	(1u << 5)
/*
 * Never poll: a queue thread sleeps after every batch until the next
 * request wakes it (see bdus_opts.poll_us).  Uses no CPU beyond the work
 * itself, at the cost of a sleep and a wake-up per batch.  bdus_serve()
 * fails with -EINVAL if poll_us is set too.
 */
#define BDUS_OPT_NO_POLL	(1u << 6)
#define BDUS_OPT_ALL		(BDUS_OPT_NO_SIGNALS | BDUS_OPT_NO_PARTSCAN | \
				 BDUS_OPT_MLOCK | BDUS_OPT_NO_PIN | \
				 BDUS_OPT_QUIET | BDUS_OPT_PIN_NEAR | \
				 BDUS_OPT_NO_POLL)

/*
 * bdus_opts.poll_us when it is 0 (and BDUS_OPT_NO_POLL is not set):
 * 200 microseconds, the window the kernel's own idle polling uses by
 * default (KVM's halt_poll_ns, the guest haltpoll cpuidle driver).
 */
#define BDUS_DEFAULT_POLL_US	200u
/* Largest bdus_opts.poll_us: one second. */
#define BDUS_MAX_POLL_US	1000000u

/*
 * Memory.  Whatever the options, every thread that serves - the queue
 * threads, and the thread that called bdus_serve() for the duration of
 * the call (it calls open(), close() and triggers the partition rescan) -
 * is made an I/O flusher with prctl(PR_SET_IO_FLUSHER, 1).
 *
 * Why: when memory is short the kernel reclaims it, among other ways, by
 * writing dirty page-cache pages back to their devices - possibly to
 * /dev/buseN - and the task that needs memory waits for that writeback.
 * When that task is the server itself (a malloc() in the engine, a page
 * fault in a callback, an allocation inside one of its system calls), it
 * waits for a write that only it can serve: deadlock.  An I/O flusher
 * never starts or waits for I/O to reclaim memory for its own allocations
 * (they are GFP_NOIO), and is not throttled for other devices' dirty
 * pages.  prctl(2) asks this of every process in the block I/O path that
 * allocates memory while handling I/O; the kernel's loop driver runs its
 * workers the same way.
 *
 * The flag is inherited by the threads (and processes) a flusher creates:
 * threads the engine starts from open() have it; an engine that does I/O
 * from threads created elsewhere should set it there too.  The calling
 * thread's previous setting is restored when bdus_serve() returns.
 *
 * It needs CAP_SYS_RESOURCE (and Linux 5.6).  Without it the device is
 * served all the same - only the protection is missing - and one line on
 * stderr says so, once per process, unless BDUS_OPT_QUIET.
 * BDUS_OPT_MLOCK is the complementary protection: no flag keeps a server
 * whose own pages were paged out from needing the device to get them back.
 */

/*
 * Options of bdus_serve() and bdus_create_and_serve().  A NULL pointer is
 * the same as all zeroes.  Initialise with = { .field = ... } so that
 * unused and reserved fields are zero.
 */
struct bdus_opts {
	/*
	 * Size in bytes to give the device at attach time; 0 keeps the
	 * device's size.  A device created without a size needs one; a device
	 * with a size accepts only that same size (else -EINVAL).
	 */
	uint64_t size;

	/* BDUS_OPT_*; unknown bits give -EINVAL. */
	uint32_t flags;

	/*
	 * Adaptive polling: the longest busy-wait, in microseconds, of a
	 * queue thread for the next request before it sleeps.  0 means
	 * BDUS_DEFAULT_POLL_US (200); BDUS_OPT_NO_POLL turns polling off.  At
	 * most BDUS_MAX_POLL_US (else -EINVAL).
	 *
	 * Without polling a queue thread, after each batch of requests, hands
	 * the completions to the kernel and sleeps in the same system call
	 * until the next request arrives: one system call per batch, but also
	 * a sleep and a wake-up (scheduler work, a context switch, a
	 * cross-CPU interrupt: a few microseconds on bare metal, tens in a
	 * VM) when requests follow each other closely.  With polling the
	 * thread hands the completions over without sleeping, then spins
	 * (reading the ring's index, with a CPU pause instruction) up to the
	 * current window for the next request; only if none comes does it
	 * sleep as before.
	 *
	 * The window adapts: it doubles (up to poll_us) each time polling
	 * finds a request, and halves each time it does not; at 0 the thread
	 * sleeps after every batch as without polling, until a sleep of at
	 * most 4 * poll_us shows that spinning would likely have found that
	 * request (the sleep counts the thread's own wake-up, which a spin
	 * does not pay), which reopens the window to poll_us.  So an idle
	 * device costs no CPU; one whose requests come further apart than
	 * 4 * poll_us costs none beyond the work after a few requests; one
	 * whose requests come a little closer gets a spin (about
	 * 2 * poll_us) every few requests; a busy one is served without
	 * sleeps, and its queue thread then occupies a CPU for as long as the
	 * requests keep coming.
	 *
	 * That is the trade (docs/performance.md measures both ways).  Set BDUS_OPT_NO_POLL when CPU time matters more than latency, or
	 * when the CPUs serving the device are needed by the applications
	 * that submit to it (a spinning thread competes with them; see
	 * BDUS_OPT_NO_PIN).
	 * bdus_stop() and signals are seen at once while spinning, device
	 * removal when the spin ends (within poll_us).
	 */
	uint32_t poll_us;

	/*
	 * Optional.  Called once on the thread that called bdus_serve(),
	 * when the device is served: all queue threads run and the partition
	 * rescan (unless BDUS_OPT_NO_PARTSCAN) is done.  Typically prints
	 * dev->block_path.  dev stays valid until bdus_serve() returns (it
	 * can be passed to bdus_stop()).
	 */
	void (*on_ready)(const struct bdus_dev *dev, void *arg);
	void *arg;

	uint64_t reserved[4];	/* must be zero */
};

/*
 * bdus_serve - serve the existing device `index` until told to stop.
 *
 * Locks the process's memory (BDUS_OPT_MLOCK), makes the calling thread an
 * I/O flusher (see "Memory" above), opens /dev/busecN, attaches
 * (BUSE_IOC_ATTACH) advertising the operations
 * the engine implements (READ, WRITE, and FLUSH, DISCARD, WRITE_ZEROES,
 * SECURE_ERASE for each non-NULL callback; FUA with BDUS_ENGINE_F_FUA and
 * a flush callback), maps every queue's ring, calls engine->open(), starts
 * one thread per hardware queue (each an I/O flusher, pinned to its
 * queue's CPUs unless BDUS_OPT_NO_PIN), triggers a best-effort partition rescan
 * of /dev/buseN (BLKRRPART, errors ignored; this issues reads, served by
 * the engine), calls opts->on_ready(),
 * then serves until:
 *   - SIGINT or SIGTERM is received (unless BDUS_OPT_NO_SIGNALS),
 *   - bdus_stop() is called,
 *   - the device is removed (BUSE_IOC_RUN reports ENODEV),
 * all of which return 0, or until an error.
 *
 * Stopping: each queue thread answers the requests already in its ring,
 * waits until the engine has completed every BDUS_ASYNC request, hands the
 * completions to the kernel and exits; then engine->close() is called, the
 * rings are unmapped and /dev/busecN closed, which detaches: requests
 * arriving from then on fail with EIO until a server attaches again.
 *
 * Signals: unless BDUS_OPT_NO_SIGNALS, SIGINT and SIGTERM are blocked in
 * the calling thread for the duration of the call and read with a signalfd
 * (the previous signal mask is restored on return; signals received while
 * stopping are consumed).  For this to work every other thread of the
 * process must block them too (threads created by the engine from open()
 * inherit the mask; the library's own threads block all signals).
 *
 * bdus_serve() is an inline wrapper: bdus_serve_sized() also takes
 * engine_size and opts_size, the sizes of *engine and *opts in the
 * caller's build (see "ABI" at the top).
 *
 * Returns 0, or a negative errno:
 *   -EINVAL   engine_size or opts_size smaller than the first layout
 *             (libbdus 0.1), or larger than this library's with non-zero
 *             bytes past it (a message on stderr says which);
 *             engine or engine->read/write is NULL, unknown bits in
 *             engine->flags, index > BUSE_MAX_INDEX, bad opts (unknown
 *             flags, BDUS_OPT_NO_PIN with BDUS_OPT_PIN_NEAR, poll_us >
 *             BDUS_MAX_POLL_US, poll_us with BDUS_OPT_NO_POLL,
 *             reserved not zero), or
 *             the attach was refused (size missing or different from the
 *             device's);
 *   -ENOMEM, -EPERM  BDUS_OPT_MLOCK: mlockall(2) failed, before anything
 *             else was done and with nothing locked: without CAP_IPC_LOCK,
 *             the address space exceeds RLIMIT_MEMLOCK (-ENOMEM) or that
 *             limit is 0 (-EPERM);
 *   -ENOENT   /dev/busecN does not exist (no such device, or buse.ko is
 *             not loaded);
 *   -EACCES, -EPERM  not allowed to open /dev/busecN;
 *   -EBUSY    another server has the device;
 *   -ENODEV   the device is being removed (at open or attach time);
 *   -ENOMEM   out of memory (library or kernel);
 *   -EPROTO   the driver broke the protocol: inconsistent geometry at
 *             attach, more pending descriptors than the submission ring
 *             holds, or a completion ring it never consumes (the library
 *             stops serving);
 *   the error of engine->open();
 *   any other errno of open(2), mmap(2), signalfd(2), eventfd(2),
 *   pthread_create(3) or BUSE_IOC_RUN (e.g. -ENXIO, -EFAULT).
 */
BDUS_API int bdus_serve_sized(uint32_t index,
			      const struct storage_engine *engine,
			      size_t engine_size, void *ctx,
			      const struct bdus_opts *opts, size_t opts_size);

static inline int bdus_serve(uint32_t index,
			     const struct storage_engine *engine, void *ctx,
			     const struct bdus_opts *opts)
{
	return bdus_serve_sized(index, engine, sizeof(*engine), ctx, opts,
				sizeof(*opts));
}

/*
 * bdus_create_and_serve - create a device, serve it, remove it.
 *
 * An inline wrapper of bdus_create_and_serve_sized(), which takes the
 * struct sizes as bdus_serve_sized() does.
 *
 * Creates the device described by *info with bdus_ctl_add() (see
 * bdus_ctl.h: info->index may be BUSE_INDEX_ANY; on success *info holds
 * the device as created, in particular its index), serves it like
 * bdus_serve() and removes it with bdus_ctl_remove() before returning,
 * whatever the outcome (a device already removed by someone else is not an
 * error).  The new device's path is known from opts->on_ready (dev->
 * block_path) or info->index.  With signal handling enabled, SIGINT and
 * SIGTERM are blocked (and act as stop requests) from before the device is
 * created until after it is removed.
 *
 * Returns 0, or a negative errno: the errors of bdus_ctl_add() (-ENOENT
 * when buse.ko is not loaded, -EACCES/-EPERM, -EEXIST, -EINVAL, -ENOSPC,
 * ...; see bdus_ctl.h; *info is then unchanged, so info->index is still
 * what the caller set), those of bdus_serve(), or the error of
 * bdus_ctl_remove() when serving succeeded but the removal failed: in
 * particular -EBUSY when /dev/buseN is still open (mounted, say), in which
 * case the device remains, without a server (the removal is not forced).
 * -EINVAL without creating anything for a NULL info or bad engine/opts,
 * and likewise the mlockall(2) error of BDUS_OPT_MLOCK.
 */
BDUS_API int bdus_create_and_serve_sized(struct buse_dev_info *info,
					 const struct storage_engine *engine,
					 size_t engine_size, void *ctx,
					 const struct bdus_opts *opts,
					 size_t opts_size);

static inline int bdus_create_and_serve(struct buse_dev_info *info,
					const struct storage_engine *engine,
					void *ctx,
					const struct bdus_opts *opts)
{
	return bdus_create_and_serve_sized(info, engine, sizeof(*engine), ctx,
					   opts, sizeof(*opts));
}

/*
 * bdus_complete - answer a request for which a callback returned
 * BDUS_ASYNC.
 *
 * result follows the callbacks' return rules (0, -errno, or a partial byte
 * count for READ/WRITE); BDUS_ASYNC or an invalid value is answered as
 * -EIO.  For READ, fill the buffer before calling.  Callable from any
 * thread, including from inside the callback before it returns BDUS_ASYNC,
 * but not from a signal handler.  Afterwards req and its buffer belong to
 * the library again.  The completion is pushed into the queue's completion
 * ring (serialised with the other producers of that queue) and handed to
 * the kernel at once (BUSE_IOC_RUN with BUSE_RUN_F_NOWAIT).  For a request
 * the kernel cancelled (see storage_engine.cancel) nothing is sent; req is
 * released all the same and 0 is returned.
 *
 * Returns 0, or:
 *   -EINVAL  req is NULL or is not a request awaiting completion (already
 *            completed, or its callback returned a result); nothing done.
 *   -EPROTO  the completion ring stays full: the driver does not consume
 *            completions (cannot happen with a correct driver); req is
 *            released but the request stays unanswered.
 * Passing a pointer the library did not give out is undefined behaviour,
 * and so is calling it after bdus_serve() returned (bdus_serve() does not
 * return while BDUS_ASYNC requests are outstanding).
 */
BDUS_API int bdus_complete(const struct bdus_req *req, int result);

/*
 * bdus_stop - ask the bdus_serve() call serving dev to stop (as SIGINT
 * would); it then returns 0.  Returns at once.  Callable from any thread,
 * from a callback and from a signal handler (async-signal-safe), any number
 * of times.  dev must be a pointer the library handed out (open(),
 * on_ready(), req->dev) and bdus_serve() must not have returned yet.
 */
BDUS_API void bdus_stop(const struct bdus_dev *dev);

/* ------------------------------------------------------------------------
 * Version
 */

/*
 * bdus_version - the version of the libbdus the program runs with, as
 * BDUS_VERSION is for the bdus.h it was built with: MAJOR * 10000 +
 * MINOR * 100 + PATCH.
 */
BDUS_API int bdus_version(void);

/* bdus_version_string - the same as "MAJOR.MINOR.PATCH" (static storage). */
BDUS_API const char *bdus_version_string(void);

#ifdef __cplusplus
}
#endif

#endif /* BDUS_H */
