/* SPDX-License-Identifier: MIT */
/*
 * bdus.h - serve a buse block device from userspace.
 *
 * A storage engine fills a struct storage_engine with callbacks and calls
 * bdus_serve() (existing device) or bdus_create_and_serve() (creates,
 * serves, removes).  One library thread per hardware queue calls the
 * engine for each request.  Errors are negative errno values.
 * Control functions are in bdus_ctl.h, the standard server command line
 * in bdus_cli.h.
 *
 * The contract is in the man pages, not here: bdus(3) (structs, callback
 * rules, options, memory, threads and signals, ABI), bdus_serve(3),
 * bdus_create_and_serve(3), bdus_complete(3), bdus_stop(3),
 * bdus_filter_compose(3), bdus_next(3), bdus_version(3); bdus_ctl(3) and
 * bdus_main(3) for the other headers.
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
#define BDUS_VERSION                                             \
	(BDUS_VERSION_MAJOR * 10000 + BDUS_VERSION_MINOR * 100 + \
	 BDUS_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Devices and requests
 */

/* The device being served; read-only.  bdus(3), "struct bdus_dev". */
struct bdus_dev {
	uint32_t index;		     /* N in /dev/buseN */
	uint32_t flags;		     /* the device's BUSE_DEV_F_* flags */
	uint64_t size;		     /* capacity in bytes */
	uint32_t logical_block_size; /* power of two, >= 512 */
	uint32_t physical_block_size;
	uint32_t nr_queues;	 /* hardware queues = serving threads,
					   the polled ones included */
	uint32_t queue_depth;	 /* requests in flight per queue, max */
	uint32_t max_io;	 /* max bytes of one READ/WRITE */
	uint32_t ops;		 /* BUSE_OP_BIT()s (+ BUSE_OPS_FUA) the
					   driver accepted */
	char block_path[32];	 /* "/dev/buseN" */
	char server_path[32];	 /* "/dev/busecN" */
	uint32_t nr_poll_queues; /* polled: the last of nr_queues */
};

/* One request, owned by the library.  bdus(3), "struct bdus_req". */
struct bdus_req {
	const struct bdus_dev *dev;
	uint64_t offset; /* bytes; 0 for FLUSH */
	uint32_t len;	 /* bytes; 0 for FLUSH */
	uint32_t op;	 /* enum buse_op */
	uint32_t flags;	 /* BUSE_IO_F_*: the block layer's flags */
	uint32_t queue;	 /* hardware queue, 0 .. dev->nr_queues - 1 */
	uint32_t tag;	 /* 0 .. dev->queue_depth - 1; unique among the
				   requests of one queue in flight at a time */
	uint32_t __pad0;
	void *buf; /* data buffer for READ/WRITE, NULL otherwise */
};

/* Callback result: answered later with bdus_complete(3). */
#define BDUS_ASYNC 0x7fffffff

/* storage_engine.flags; bdus(3), "Fields and callbacks". */
/* The engine honours BUSE_IO_F_FUA on WRITE (needs a flush callback). */
#define BDUS_ENGINE_F_FUA (1u << 0)

/*
 * The engine.  The rules every request callback follows (threads, ranges,
 * buffers, timeouts, return values) are in bdus(3), "THE ENGINE"; each
 * field's in "Fields and callbacks".
 */
struct storage_engine {
	const char *name; /* for messages; may be NULL */

	uint32_t flags; /* BDUS_ENGINE_F_* */

	/* Optional: called once before any request; an error aborts. */
	int (*open)(void *ctx, const struct bdus_dev *dev);

	/* Optional: called once after the last request, if open() succeeded. */
	void (*close)(void *ctx, const struct bdus_dev *dev);

	/* Required: read len bytes at offset into buf. */
	int (*read)(void *ctx, void *buf, uint64_t offset, uint32_t len,
		    const struct bdus_req *req);

	/* Required: write len bytes of buf at offset. */
	int (*write)(void *ctx, const void *buf, uint64_t offset, uint32_t len,
		     const struct bdus_req *req);

	/* Optional: make completed writes durable; NULL: write-through. */
	int (*flush)(void *ctx, const struct bdus_req *req);

	/* Optional: the range may be deallocated. */
	int (*discard)(void *ctx, uint64_t offset, uint32_t len,
		       const struct bdus_req *req);

	/* Optional: make the range read as zeroes (BUSE_IO_F_NOUNMAP). */
	int (*write_zeroes)(void *ctx, uint64_t offset, uint32_t len,
			    const struct bdus_req *req);

	/* Optional: erase the range beyond recovery. */
	int (*secure_erase)(void *ctx, uint64_t offset, uint32_t len,
			    const struct bdus_req *req);

	/* Optional: a BDUS_ASYNC request timed out; must still complete it */
	void (*cancel)(void *ctx, const struct bdus_req *req);
};

/* ------------------------------------------------------------------------
 * Serving
 */

/* bdus_opts.flags; bdus(3), "Flags". */
/* Do not handle SIGINT/SIGTERM; stop with bdus_stop(). */
#define BDUS_OPT_NO_SIGNALS (1u << 0)
/* No partition rescan of /dev/buseN once serving. */
#define BDUS_OPT_NO_PARTSCAN (1u << 1)
/* mlockall(MCL_CURRENT | MCL_FUTURE) first; see bdus(3) for why and cost. */
#define BDUS_OPT_MLOCK (1u << 2)
/* Do not pin queue threads to their queue's CPUs. */
#define BDUS_OPT_NO_PIN (1u << 3)
/* No warnings on stderr. */
#define BDUS_OPT_QUIET (1u << 4)
/* Pin to the submitting CPU itself, SCHED_BATCH; not with NO_PIN. */
#define BDUS_OPT_PIN_NEAR (1u << 5)
/* Never poll (see bdus_opts.poll_us); not with poll_us set. */
#define BDUS_OPT_NO_POLL (1u << 6)
#define BDUS_OPT_ALL                                                   \
	(BDUS_OPT_NO_SIGNALS | BDUS_OPT_NO_PARTSCAN | BDUS_OPT_MLOCK | \
	 BDUS_OPT_NO_PIN | BDUS_OPT_QUIET | BDUS_OPT_PIN_NEAR |        \
	 BDUS_OPT_NO_POLL)

/* bdus_opts.poll_us when it is 0 and BDUS_OPT_NO_POLL is not set. */
#define BDUS_DEFAULT_POLL_US 200u
/* Largest bdus_opts.poll_us: one second. */
#define BDUS_MAX_POLL_US 1000000u

/*
 * Every serving thread is made an I/O flusher (PR_SET_IO_FLUSHER);
 * bdus(3), "MEMORY".  Threads and signals: bdus(3), "THREADS AND SIGNALS".
 */

/*
 * Options of bdus_serve(); NULL means all zeroes.  Initialise with
 * = { .field = ... }.  bdus(3), "OPTIONS".
 */
struct bdus_opts {
	uint64_t size; /* bytes at attach; 0: the device's own */

	uint32_t flags; /* BDUS_OPT_*; unknown bits: -EINVAL */

	uint32_t poll_us; /* longest busy-wait for a request, in us;
				   0: BDUS_DEFAULT_POLL_US */

	/* Optional: called once when the device is served. */
	void (*on_ready)(const struct bdus_dev *dev, void *arg);
	void *arg;

	uint64_t reserved[4]; /* must be zero */
};

/* Serve device index until stopped; bdus_serve(3). */
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

/* Create a device, serve it, remove it; bdus_create_and_serve(3). */
BDUS_API int bdus_create_and_serve_sized(struct buse_dev_info *info,
					 const struct storage_engine *engine,
					 size_t engine_size, void *ctx,
					 const struct bdus_opts *opts,
					 size_t opts_size);

static inline int bdus_create_and_serve(struct buse_dev_info *info,
					const struct storage_engine *engine,
					void *ctx, const struct bdus_opts *opts)
{
	return bdus_create_and_serve_sized(info, engine, sizeof(*engine), ctx,
					   opts, sizeof(*opts));
}

/* Answer a request whose callback returned BDUS_ASYNC; bdus_complete(3). */
BDUS_API int bdus_complete(const struct bdus_req *req, int result);

/* Ask the bdus_serve() serving dev to stop; bdus_stop(3). */
BDUS_API void bdus_stop(const struct bdus_dev *dev);

/* ------------------------------------------------------------------------
 * Filters: an engine stacked over another one; bdus(3), "FILTERS".
 */

/*
 * A filter and the engine below it.  Initialise with = { .field = ... };
 * bdus_filter_compose() makes of it one engine to serve (or to filter).
 */
struct bdus_filter {
	/* The filter's callbacks; a NULL one passes the request down. */
	const struct storage_engine *engine;
	void *ctx; /* the filter's: its callbacks' ctx */

	/* The engine below (plain or composed), served with inner_ctx. */
	const struct storage_engine *inner;
	void *inner_ctx;

	/*
	 * Optional: the inner engine answered a bdus_next() of req, which
	 * returned BDUS_ASYNC, with result.  Returns req's own result (or
	 * BDUS_ASYNC: the filter calls bdus_complete(req, ...) later).
	 * NULL: result is req's result.
	 */
	int (*complete)(void *ctx, const struct bdus_req *req, int result);

	/* BUSE_OP_BIT()s not to advertise though the inner engine has them. */
	uint32_t hide_ops;
	uint32_t __pad0;
};

/* Compose a filter over its inner engine; bdus_filter_compose(3). */
BDUS_API int bdus_filter_compose_sized(const struct bdus_filter *filter,
				       size_t filter_size, size_t engine_size,
				       struct storage_engine *engine,
				       void **ctx);

static inline int bdus_filter_compose(const struct bdus_filter *filter,
				      struct storage_engine *engine, void **ctx)
{
	return bdus_filter_compose_sized(filter, sizeof(*filter),
					 sizeof(*engine), engine, ctx);
}

/* Free what bdus_filter_compose() allocated; bdus_filter_free(3). */
BDUS_API void bdus_filter_free(void *ctx);

/* From a filter's callback: call the inner engine; bdus_next(3). */
BDUS_API int bdus_next(const struct bdus_req *req, uint32_t op, void *buf,
		       uint64_t offset, uint32_t len);

/* From a filter's cancel callback: pass it down; bdus_next_cancel(3). */
BDUS_API void bdus_next_cancel(const struct bdus_req *req);

/* ------------------------------------------------------------------------
 * Version
 */

/* The running library's version, as BDUS_VERSION; bdus_version(3). */
BDUS_API int bdus_version(void);

/* The same as "MAJOR.MINOR.PATCH" (static storage). */
BDUS_API const char *bdus_version_string(void);

#ifdef __cplusplus
}
#endif

#endif /* BDUS_H */
