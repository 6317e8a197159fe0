/* SPDX-License-Identifier: MIT */
/*
 * memring.h - a ring in plain memory for the unit tests of engines.
 *
 * One queue of a few tags, served by the queue code of ring.c with no
 * kernel (the queue has no fd), as in test_dispatch.c: the test plays the
 * kernel.  It writes a descriptor and store-releases sq_tail
 * (memring_submit()), which runs bdus_queue_process(), and reads the
 * completion the kernel would get (memring_result()).  The engine served
 * is any struct storage_engine and its ctx: a plain one, or the stack
 * bdus_filter_compose() made of a filter and the engine below it.
 *
 * Completions are read one of two ways, not both in one test:
 *
 *   - in order: memring_result() takes the next completion, which must be
 *     the tag's; memring_no_completion() says there is none yet
 *     (test_filter.c, test_cache.c);
 *   - in any order, from other threads too: memring_done() reads every
 *     completion off the ring and keeps them by tag until
 *     memring_wait_result() takes the tag's, waiting for it (test_cow.c).
 *
 * Failures are Criterion assertions of the calling test.
 *
 * Below the ring: memdisk, a recording RAM disk for filters to sit on, and
 * the kit's kit_err() for the tests that compile the kit's filters.
 */
#ifndef MEMRING_H
#define MEMRING_H

#include <stdbool.h>
#include <stdint.h>

#include "abi.h"
#include "bdus.h"
#include "ring.h"

#define MEMRING_MAX_DEPTH 16

struct memring {
	struct buse_attach a;
	unsigned char *area;
	struct bdus_dev dev;
	struct bdus_queue q;
	bool q_init;
	uint32_t sq_tail, cq_head;
	uint16_t seq[MEMRING_MAX_DEPTH]; /* each tag's last issue */
	/* Completions memring_done() read, until memring_wait_result(). */
	bool got[MEMRING_MAX_DEPTH];
	int32_t res[MEMRING_MAX_DEPTH];
	/* The engine served (a copy: the queue calls this one). */
	struct storage_engine eng;
	void *ctx;
	bool opened; /* open() succeeded: memring_stop() calls close() */
};

/*
 * Serves eng/ctx on a device of size bytes, one queue of depth tags
 * (<= MEMRING_MAX_DEPTH) of max_io bytes each, logical (and physical)
 * block size lbs; opens the engine as bdus_serve() does before serving.
 * open()'s result; memring_stop() undoes it either way.
 */
int memring_start(struct memring *r, const struct storage_engine *eng,
		  void *ctx, uint64_t size, uint32_t depth, uint32_t max_io,
		  uint32_t lbs);

/*
 * Closes the engine if it was opened, frees the ring and zeroes *r (also
 * one never started); the engine's ctx stays the caller's.
 */
void memring_stop(struct memring *r);

/* The data buffer of tag (max_io bytes). */
unsigned char *memring_buf(struct memring *r, uint16_t tag);

/* Writes a descriptor and publishes it (sq_tail); does not run the queue. */
void memring_post(struct memring *r, uint16_t tag, uint16_t seq, uint8_t op,
		  uint32_t flags, uint64_t off, uint32_t len);

/* Runs bdus_queue_process(): it must take exactly n descriptors. */
void memring_run(struct memring *r, int n);

/* Posts the next issue of tag (a new seq) and runs the queue. */
void memring_submit_flags(struct memring *r, uint16_t tag, uint8_t op,
			  uint64_t off, uint32_t len, uint32_t flags);

/* memring_submit_flags() without flags. */
void memring_submit(struct memring *r, uint16_t tag, uint8_t op, uint64_t off,
		    uint32_t len);

/* Posts a CANCEL of tag's last issue and runs the queue. */
void memring_cancel(struct memring *r, uint16_t tag);

/* The next completion's result, which must be tag's; fails if none. */
int32_t memring_result(struct memring *r, uint16_t tag);

/* Whether the ring holds no completion not read yet. */
bool memring_no_completion(struct memring *r);

/* Reads every completion off the ring; whether tag's is among those kept. */
bool memring_done(struct memring *r, uint16_t tag);

/* Takes tag's result, waiting up to 10 s for threads to complete it. */
int32_t memring_wait_result(struct memring *r, uint16_t tag);

/*
 * memdisk: a RAM disk engine that records its calls, for a filter under
 * test to sit on (test_filter.c, test_cache.c).  Its callbacks take the
 * struct memdisk as ctx; a test builds its storage_engine from the ones it
 * wants to offer.  Zeroing the struct (memset) resets it.  Runs on the
 * caller's thread; not for engines that call it from threads of their own.
 */
#define MEMDISK_SIZE (1u << 20)
#define MEMDISK_MAX_CALLS 64
#define MEMDISK_MAX_CANCELS 8

struct memdisk_call {
	uint32_t op;
	uint64_t offset;
	uint32_t len;
	void *buf;
	uint32_t flags; /* req->flags */
	const struct bdus_req *req;
};

struct memdisk {
	unsigned char disk[MEMDISK_SIZE];
	/* Every request must name this device (when set). */
	const struct bdus_dev *dev;
	struct memdisk_call calls[MEMDISK_MAX_CALLS];
	unsigned int ncalls;
	/*
	 * Per op: < 0, returned instead of doing the op; > 0 (a byte count,
	 * BDUS_ASYNC), returned after doing it; 0, the default answer.
	 */
	int ret[BUSE_OP_NR];
	bool async;  /* the default answer is BDUS_ASYNC (the test completes) */
	bool counts; /* the default answer to a success is len, not 0 */
	const struct bdus_req *cancelled[MEMDISK_MAX_CANCELS];
	unsigned int ncancelled;
};

int memdisk_read(void *ctx, void *buf, uint64_t off, uint32_t len,
		 const struct bdus_req *req);
int memdisk_write(void *ctx, const void *buf, uint64_t off, uint32_t len,
		  const struct bdus_req *req);
int memdisk_flush(void *ctx, const struct bdus_req *req);
int memdisk_discard(void *ctx, uint64_t off, uint32_t len,
		    const struct bdus_req *req);
void memdisk_cancel(void *ctx, const struct bdus_req *req);

/* The request of the last call; fails if there was none. */
const struct bdus_req *memdisk_last_req(const struct memdisk *m);

/*
 * kit_err() of examples/kit.c for the tests of the kit's filters: keeps
 * the last message ("buse-NAME: ...") in kit_errmsg.
 */
extern char kit_errmsg[2048];

#endif
