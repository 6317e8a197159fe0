// SPDX-License-Identifier: MIT
/*
 * test_dispatch.c - libbdus request dispatch (libbdus/src/ring.c) without
 * the kernel.
 *
 * A fake ring area in plain memory has the driver's geometry (header,
 * submission ring at sq_off, completion ring at cq_off, buffers at
 * data_off); the test plays the kernel: it writes descriptors and
 * store-releases sq_tail, runs bdus_queue_process(), then reads the
 * completions back.  The queue has no fd, so no ioctl is ever made,
 * except by the tests of bdus_queue_run() and the queue loop: their
 * BUSE_IOC_RUN goes to the fake kernel (fake_kernel.h), which hands it to
 * this file's emulation (fake_run(), script_run()).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abi.h"
#include "sys.h"
#include "fake_kernel.h"
#include "bdus.h"
#include "ring.h"

#define MAX_CALLS 256

/* ------------------------------------------------------------------------
 * A recording engine
 */

struct call {
	uint32_t op;
	uint64_t offset;
	uint32_t len;
	void *buf; /* as passed to the callback */
	uint32_t flags;
	uint32_t queue, tag;
	const struct bdus_req *req;
	uint32_t cq_tail_seen;	  /* shared cq_tail during the call */
	unsigned char first_byte; /* WRITE: buf[0] */
};

struct rec {
	struct call calls[MAX_CALLS];
	unsigned int ncalls;
	int ret[BUSE_OP_NR];  /* what each op's callback returns */
	bool fill_reads;      /* READ: fill buf with (offset >> 9) & 0xff */
	bool complete_inside; /* call bdus_complete(req, 0) in the callback */
	const struct bdus_req *async_reqs[MAX_CALLS];
	unsigned int nasync;
	const struct bdus_req *cancelled[MAX_CALLS];
	unsigned int ncancelled;
};

static struct rec rec;

/* The fake kernel: the ring area and its own indices. */
struct fake {
	struct buse_attach a;
	unsigned char *area;
	struct buse_ring_hdr *hdr;
	struct buse_io_desc *sq;
	struct buse_io_cqe *cq;
	unsigned char *data;
	uint32_t sq_tail;   /* kernel's private copy */
	uint32_t cq_head;   /* kernel's private copy */
	uint16_t seq[1024]; /* per tag: seq of its latest issue */
	/* The emulated BUSE_IOC_RUN (fake_run()): what it consumed. */
	struct buse_io_cqe klog[256];
	unsigned int nklog;
	unsigned int runs;
	uint32_t last_run_flags;
	struct bdus_dev dev;
	struct bdus_queue q;
	bool q_init;
};

static struct fake fk;
/* buse_attach.flags the next fake_setup_full() grants. */
static uint32_t fk_attach_flags;

static int record(uint32_t op, void *buf, uint64_t offset, uint32_t len,
		  const struct bdus_req *req)
{
	struct call *c;
	int r = rec.ret[op];

	cr_assert_lt(rec.ncalls, MAX_CALLS);
	c = &rec.calls[rec.ncalls++];
	c->op = op;
	c->offset = offset;
	c->len = len;
	c->buf = buf;
	c->flags = req->flags;
	c->queue = req->queue;
	c->tag = req->tag;
	c->req = req;
	c->cq_tail_seen = __atomic_load_n(&fk.hdr->cq_tail, __ATOMIC_ACQUIRE);
	if (op == BUSE_OP_WRITE && buf)
		c->first_byte = *(unsigned char *)buf;
	/* The request mirrors the arguments. */
	cr_assert_eq(req->op, op);
	cr_assert_eq(req->offset, offset);
	cr_assert_eq(req->len, len);
	cr_assert_eq(req->dev, &fk.dev);
	if (op == BUSE_OP_READ && rec.fill_reads)
		memset(buf, (int)((offset >> 9) & 0xff), len);
	if (rec.complete_inside) {
		cr_assert_eq(bdus_complete(req, 0), 0);
		r = BDUS_ASYNC;
	}
	if (r == BDUS_ASYNC)
		rec.async_reqs[rec.nasync++] = req;
	return r;
}

static int e_read(void *ctx, void *buf, uint64_t off, uint32_t len,
		  const struct bdus_req *req)
{
	cr_assert_eq(ctx, &rec);
	return record(BUSE_OP_READ, buf, off, len, req);
}

static int e_write(void *ctx, const void *buf, uint64_t off, uint32_t len,
		   const struct bdus_req *req)
{
	cr_assert_eq(ctx, &rec);
	return record(BUSE_OP_WRITE, (void *)(uintptr_t)buf, off, len, req);
}

static int e_flush(void *ctx, const struct bdus_req *req)
{
	(void)ctx;
	return record(BUSE_OP_FLUSH, NULL, req->offset, req->len, req);
}

static int e_discard(void *ctx, uint64_t off, uint32_t len,
		     const struct bdus_req *req)
{
	(void)ctx;
	return record(BUSE_OP_DISCARD, NULL, off, len, req);
}

static int e_write_zeroes(void *ctx, uint64_t off, uint32_t len,
			  const struct bdus_req *req)
{
	(void)ctx;
	return record(BUSE_OP_WRITE_ZEROES, NULL, off, len, req);
}

static int e_secure_erase(void *ctx, uint64_t off, uint32_t len,
			  const struct bdus_req *req)
{
	(void)ctx;
	return record(BUSE_OP_SECURE_ERASE, NULL, off, len, req);
}

static void e_cancel(void *ctx, const struct bdus_req *req)
{
	cr_assert_eq(ctx, &rec);
	cr_assert_lt(rec.ncancelled, MAX_CALLS);
	rec.cancelled[rec.ncancelled++] = req;
}

static const struct storage_engine full_engine = {
	.name = "full",
	.read = e_read,
	.write = e_write,
	.flush = e_flush,
	.discard = e_discard,
	.write_zeroes = e_write_zeroes,
	.secure_erase = e_secure_erase,
	.cancel = e_cancel,
};

static const struct storage_engine rw_engine = {
	.name = "rw",
	.read = e_read,
	.write = e_write,
};

/* ------------------------------------------------------------------------
 * The fake kernel
 */

static uint32_t roundup_pow2(uint32_t x)
{
	uint32_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

/* The driver's layout (buse_server_alloc_rings()). */
static void fake_geometry(struct buse_attach *a, uint32_t depth,
			  uint32_t max_io, uint32_t lbs, uint64_t size)
{
	uint32_t entries = roundup_pow2(depth); /* cq; sq has twice */

	memset(a, 0, sizeof(*a));
	a->size = size;
	a->ops = BUSE_OPS_ALL;
	a->index = 7;
	a->nr_queues = 2;
	a->queue_depth = depth;
	a->max_io = max_io;
	a->logical_block_size = lbs;
	a->physical_block_size = lbs;
	a->sq_entries = 2 * entries; /* requests + CANCEL notices */
	a->cq_entries = entries;
	a->sq_off = sizeof(struct buse_ring_hdr);
	a->cq_off = a->sq_off + 2 * entries * sizeof(struct buse_io_desc);
	a->data_off =
		(a->cq_off + entries * sizeof(struct buse_io_cqe) + 4095) &
		~4095ull;
	a->map_size = a->data_off + (uint64_t)depth * max_io;
}

/*
 * Builds the area; indices start at `start` (all four, as after many
 * requests).  Queue 1 of 2, so that req->queue is checked for real.
 */
static void fake_setup_full(uint32_t depth, uint32_t max_io, uint32_t lbs,
			    uint64_t size, uint32_t dev_flags, uint32_t start,
			    const struct storage_engine *e)
{
	memset(&rec, 0, sizeof(rec));
	memset(&fk, 0, sizeof(fk));
	fake_geometry(&fk.a, depth, max_io, lbs, size);
	fk.a.dev_flags = dev_flags;
	fk.a.flags = fk_attach_flags;
	fk.area = aligned_alloc(4096, fk.a.map_size);
	cr_assert_not_null(fk.area);
	memset(fk.area, 0, fk.a.map_size);
	fk.hdr = (struct buse_ring_hdr *)fk.area;
	fk.sq = (struct buse_io_desc *)(fk.area + fk.a.sq_off);
	fk.cq = (struct buse_io_cqe *)(fk.area + fk.a.cq_off);
	fk.data = fk.area + fk.a.data_off;
	fk.hdr->sq_head = fk.hdr->sq_tail = start;
	fk.hdr->cq_head = fk.hdr->cq_tail = start;
	fk.sq_tail = fk.cq_head = start;

	memset(&fk.dev, 0, sizeof(fk.dev));
	fk.dev.index = fk.a.index;
	fk.dev.size = size;
	fk.dev.logical_block_size = lbs;
	fk.dev.queue_depth = depth;
	fk.dev.max_io = max_io;
	fk.dev.nr_queues = fk.a.nr_queues;
	cr_assert_eq(
		bdus_queue_init(&fk.q, 1, fk.area, &fk.a, &fk.dev, e, &rec, -1),
		0);
	fk.q_init = true;
}

static void fake_setup(const struct storage_engine *e)
{
	/* depth 4, 64 KiB buffers, 512-byte blocks, 1 MiB device */
	fake_setup_full(4, 65536, 512, 1 << 20, 0, 0, e);
}

static void fake_teardown(void)
{
	if (fk.q_init)
		bdus_queue_fini(&fk.q);
	fk.q_init = false;
	free(fk.area);
	fk.area = NULL;
}

static void *buf_of(uint16_t tag)
{
	return fk.data + (size_t)tag * fk.a.max_io;
}

/* Writes one descriptor at the kernel's tail (not yet published). */
static void put_desc_seq(uint16_t tag, uint16_t seq, uint8_t op, uint32_t flags,
			 uint64_t sector, uint32_t len)
{
	struct buse_io_desc *d = &fk.sq[fk.sq_tail & (fk.a.sq_entries - 1)];

	memset(d, 0, sizeof(*d));
	d->tag = tag;
	d->seq = seq;
	d->op = op;
	d->flags = flags;
	d->sector = sector;
	d->len = len;
	fk.sq_tail++;
}

/* A new issue of tag, with the next seq (as the driver numbers them). */
static uint16_t put_desc(uint16_t tag, uint8_t op, uint32_t flags,
			 uint64_t sector, uint32_t len)
{
	uint16_t seq = ++fk.seq[tag & 1023];

	put_desc_seq(tag, seq, op, flags, sector, len);
	return seq;
}

static void publish(void)
{
	__atomic_store_n(&fk.hdr->sq_tail, fk.sq_tail, __ATOMIC_RELEASE);
}

static uint16_t post(uint16_t tag, uint8_t op, uint32_t flags, uint64_t sector,
		     uint32_t len)
{
	uint16_t seq = put_desc(tag, op, flags, sector, len);

	publish();
	return seq;
}

/* The driver's notice that it gave up on (tag, seq). */
static void post_cancel(uint16_t tag, uint16_t seq)
{
	put_desc_seq(tag, seq, BUSE_OP_CANCEL, 0, 0, 0);
	publish();
}

/* Consumes up to max completions, like BUSE_IOC_RUN.  Returns the count. */
static unsigned int reap(struct buse_io_cqe *out, unsigned int max)
{
	uint32_t tail = __atomic_load_n(&fk.hdr->cq_tail, __ATOMIC_ACQUIRE);
	unsigned int n = 0;

	cr_assert_leq(tail - fk.cq_head, fk.a.cq_entries);
	while (fk.cq_head != tail) {
		cr_assert_lt(n, max, "more completions than expected");
		out[n++] = fk.cq[fk.cq_head & (fk.a.cq_entries - 1)];
		fk.cq_head++;
	}
	__atomic_store_n(&fk.hdr->cq_head, fk.cq_head, __ATOMIC_RELEASE);
	return n;
}

/* The server fd of the queue talking to the fake kernel: never opened. */
#define FAKE_QUEUE_FD 1000

/* BUSE_IOC_RUN as the queue calls it, without sleeping: consumes all. */
static int fake_run(int fd, unsigned long req, void *arg, void *ctx)
{
	struct buse_run *run = arg;

	(void)ctx;
	cr_assert_eq(req, BUSE_IOC_RUN);
	cr_assert_eq(fd, FAKE_QUEUE_FD);
	cr_assert_eq(run->queue, fk.q.index);
	fk.runs++;
	fk.last_run_flags = run->flags;
	run->completed =
		reap(fk.klog + fk.nklog,
		     (unsigned int)(sizeof(fk.klog) / sizeof(fk.klog[0])) -
			     fk.nklog);
	fk.nklog += run->completed;
	return 0;
}

/*
 * Lets the queue call fn() as it would call the kernel: fk.q gets a server
 * fd, and its BUSE_IOC_RUN reaches fn() through the fake kernel.
 */
static void attach_run(fake_kernel_fn fn)
{
	fake_kernel_install();
	fake_kernel_on(BUSE_IOC_RUN, fn, NULL);
	fk.q.fd = FAKE_QUEUE_FD;
}

static void attach_fake_kernel(void)
{
	attach_run(fake_run);
}

static void expect_cqe_seq(const struct buse_io_cqe *c, uint16_t tag,
			   uint16_t seq, int32_t res)
{
	cr_expect_eq(c->tag, tag, "tag %u, expected %u", c->tag, tag);
	cr_expect_eq(c->seq, seq, "tag %u: seq %u, expected %u", c->tag, c->seq,
		     seq);
	cr_expect_eq(c->result, res, "tag %u: result %d, expected %d", c->tag,
		     c->result, res);
}

/* A completion of tag's latest issue. */
static void expect_cqe(const struct buse_io_cqe *c, uint16_t tag, int32_t res)
{
	expect_cqe_seq(c, tag, fk.seq[tag & 1023], res);
}

/* ------------------------------------------------------------------------
 * Basic dispatch
 */

TestSuite(dispatch, .fini = fake_teardown);

Test(dispatch, empty_ring)
{
	struct buse_io_cqe c[1];

	fake_setup(&full_engine);
	cr_assert_eq(bdus_queue_process(&fk.q), 0);
	cr_assert_eq(rec.ncalls, 0);
	cr_assert_eq(reap(c, 1), 0);
}

Test(dispatch, read_and_write)
{
	struct buse_io_cqe c[4];

	fake_setup(&full_engine);
	rec.fill_reads = true;
	memset(buf_of(1), 0xab, 512); /* WRITE data, in place before publish */
	put_desc(0, BUSE_OP_READ, BUSE_IO_F_SYNC, 8, 4096);
	put_desc(1, BUSE_OP_WRITE, BUSE_IO_F_FUA | BUSE_IO_F_SYNC, 16, 512);
	publish();

	cr_assert_eq(bdus_queue_process(&fk.q), 2);
	cr_assert_eq(rec.ncalls, 2);

	cr_expect_eq(rec.calls[0].op, BUSE_OP_READ);
	cr_expect_eq(rec.calls[0].offset, 8 * 512);
	cr_expect_eq(rec.calls[0].len, 4096);
	cr_expect_eq(rec.calls[0].buf, buf_of(0));
	cr_expect_eq(rec.calls[0].flags, BUSE_IO_F_SYNC);
	cr_expect_eq(rec.calls[0].queue, 1);
	cr_expect_eq(rec.calls[0].tag, 0);
	cr_expect_eq(((unsigned char *)buf_of(0))[4095], 8);

	cr_expect_eq(rec.calls[1].op, BUSE_OP_WRITE);
	cr_expect_eq(rec.calls[1].offset, 16 * 512);
	cr_expect_eq(rec.calls[1].len, 512);
	cr_expect_eq(rec.calls[1].buf, buf_of(1));
	cr_expect_eq(rec.calls[1].flags, BUSE_IO_F_FUA | BUSE_IO_F_SYNC);
	cr_expect_eq(rec.calls[1].tag, 1);
	cr_expect_eq(rec.calls[1].first_byte, 0xab);

	/* Both completions, in order; indices advanced. */
	cr_assert_eq(fk.hdr->cq_tail, 2);
	cr_assert_eq(fk.hdr->sq_head, 2);
	cr_assert_eq(reap(c, 4), 2);
	expect_cqe(&c[0], 0, 0);
	expect_cqe(&c[1], 1, 0);

	/* Nothing new: nothing happens. */
	cr_assert_eq(bdus_queue_process(&fk.q), 0);
	cr_assert_eq(rec.ncalls, 2);
}

Test(dispatch, batch_published_once)
{
	struct buse_io_cqe c[4];
	unsigned int i;

	fake_setup(&full_engine);
	for (i = 0; i < 4; i++)
		put_desc((uint16_t)i, BUSE_OP_READ, 0, i, 512);
	publish();
	cr_assert_eq(bdus_queue_process(&fk.q), 4);
	/* cq_tail moves once, after the whole batch. */
	for (i = 0; i < 4; i++)
		cr_expect_eq(rec.calls[i].cq_tail_seen, 0);
	cr_assert_eq(reap(c, 4), 4);
	for (i = 0; i < 4; i++)
		expect_cqe(&c[i], (uint16_t)i, 0);
}

Test(dispatch, optional_ops_called)
{
	struct buse_io_cqe c[4];

	fake_setup(&full_engine);
	/* The driver sends blk_rq_pos() for a flush: ignored. */
	put_desc(0, BUSE_OP_FLUSH, BUSE_IO_F_PREFLUSH, UINT64_MAX, 0);
	put_desc(1, BUSE_OP_DISCARD, 0, 2, 1024);
	put_desc(2, BUSE_OP_WRITE_ZEROES, BUSE_IO_F_NOUNMAP, 4, 512 * 1024);
	put_desc(3, BUSE_OP_SECURE_ERASE, 0, 2046, 1024);
	publish();
	cr_assert_eq(bdus_queue_process(&fk.q), 4);
	cr_assert_eq(rec.ncalls, 4);

	cr_expect_eq(rec.calls[0].op, BUSE_OP_FLUSH);
	cr_expect_eq(rec.calls[0].offset, 0);
	cr_expect_eq(rec.calls[0].len, 0);
	cr_expect_null(rec.calls[0].req->buf);
	cr_expect_eq(rec.calls[0].flags, BUSE_IO_F_PREFLUSH);

	cr_expect_eq(rec.calls[1].op, BUSE_OP_DISCARD);
	cr_expect_eq(rec.calls[1].offset, 1024);
	cr_expect_eq(rec.calls[1].len, 1024);
	cr_expect_null(rec.calls[1].req->buf);

	/* Longer than max_io: fine for a no-data op. */
	cr_expect_eq(rec.calls[2].op, BUSE_OP_WRITE_ZEROES);
	cr_expect_eq(rec.calls[2].offset, 2048);
	cr_expect_eq(rec.calls[2].len, 512 * 1024);
	cr_expect_eq(rec.calls[2].flags, BUSE_IO_F_NOUNMAP);

	/* Ends exactly at the device's end. */
	cr_expect_eq(rec.calls[3].op, BUSE_OP_SECURE_ERASE);
	cr_expect_eq(rec.calls[3].offset, (1 << 20) - 1024);

	cr_assert_eq(reap(c, 4), 4);
	for (unsigned int i = 0; i < 4; i++)
		expect_cqe(&c[i], (uint16_t)i, 0);
}

Test(dispatch, missing_optional_ops_eopnotsupp)
{
	struct buse_io_cqe c[4];

	fake_setup(&rw_engine);
	put_desc(3, BUSE_OP_FLUSH, 0, 0, 0);
	put_desc(2, BUSE_OP_DISCARD, 0, 0, 512);
	put_desc(1, BUSE_OP_WRITE_ZEROES, 0, 0, 512);
	put_desc(0, BUSE_OP_SECURE_ERASE, 0, 0, 512);
	publish();
	cr_assert_eq(bdus_queue_process(&fk.q), 4);
	cr_assert_eq(rec.ncalls, 0);
	cr_assert_eq(reap(c, 4), 4);
	expect_cqe(&c[0], 3, -EOPNOTSUPP);
	expect_cqe(&c[1], 2, -EOPNOTSUPP);
	expect_cqe(&c[2], 1, -EOPNOTSUPP);
	expect_cqe(&c[3], 0, -EOPNOTSUPP);
}

/* ------------------------------------------------------------------------
 * Validation
 */

Test(dispatch, invalid_descriptors_eio)
{
	struct buse_io_cqe c[16];
	unsigned int i, n;

	/* depth 16, max_io 8 KiB, 4 KiB blocks, 1 MiB device */
	fake_setup_full(16, 8192, 4096, 1 << 20, 0, 0, &full_engine);
	put_desc(0, BUSE_OP_NR, 0, 0, 4096);	     /* unknown op */
	put_desc(1, 200, 0, 0, 4096);		     /* unknown op */
	put_desc(2, BUSE_OP_READ, 0, 0, 12288);	     /* > max_io */
	put_desc(3, BUSE_OP_WRITE, 0, 0, 12288);     /* > max_io */
	put_desc(4, BUSE_OP_READ, 0, 2040, 8192);    /* ends past size */
	put_desc(5, BUSE_OP_DISCARD, 0, 2048, 4096); /* starts at size */
	put_desc(6, BUSE_OP_READ, 0, 1, 4096);	     /* unaligned offset */
	put_desc(7, BUSE_OP_WRITE, 0, 0, 512);	     /* unaligned length */
	put_desc(8, BUSE_OP_READ, 0, 0, 0);	     /* empty */
	put_desc(9, BUSE_OP_DISCARD, 0, 0, 0);	     /* empty */
	put_desc(10, BUSE_OP_READ, 0, UINT64_MAX / 8, 4096); /* overflows */
	put_desc(11, BUSE_OP_WRITE_ZEROES, 0, 8, UINT32_MAX & ~4095u);
	put_desc(12, BUSE_OP_READ, 0, 2040, 4096); /* valid: last block */
	publish();

	n = (unsigned int)bdus_queue_process(&fk.q);
	cr_assert_eq(n, 13);
	/* Only the valid one reached the engine. */
	cr_assert_eq(rec.ncalls, 1);
	cr_expect_eq(rec.calls[0].tag, 12);
	cr_expect_eq(rec.calls[0].offset, (1 << 20) - 4096);
	cr_assert_eq(reap(c, 16), 13);
	for (i = 0; i < 12; i++)
		expect_cqe(&c[i], (uint16_t)i, -EIO);
	expect_cqe(&c[12], 12, 0);
}

Test(dispatch, range_edges)
{
	struct buse_io_cqe c[8];

	/* depth 8, 512-byte blocks, 1 MiB = 2048 sectors, max_io 64 KiB */
	fake_setup_full(8, 65536, 512, 1 << 20, 0, 0, &full_engine);
	put_desc(0, BUSE_OP_READ, 0, 2047, 512);       /* last block: ok */
	put_desc(1, BUSE_OP_READ, 0, 2047, 1024);      /* one block over */
	put_desc(2, BUSE_OP_WRITE, 0, 2048, 512);      /* just past the end */
	put_desc(3, BUSE_OP_WRITE, 0, 0, 65536);       /* max_io: ok */
	put_desc(4, BUSE_OP_WRITE, 0, 0, 65536 + 512); /* max_io + 1 block */
	put_desc(5, BUSE_OP_DISCARD, 0, 0, 1 << 20);   /* whole device: ok */
	put_desc(6, BUSE_OP_DISCARD, 0, 1, 1 << 20);   /* one block over */
	publish();
	cr_assert_eq(bdus_queue_process(&fk.q), 7);
	cr_assert_eq(rec.ncalls, 3);
	cr_assert_eq(reap(c, 8), 7);
	expect_cqe(&c[0], 0, 0);
	expect_cqe(&c[1], 1, -EIO);
	expect_cqe(&c[2], 2, -EIO);
	expect_cqe(&c[3], 3, 0);
	expect_cqe(&c[4], 4, -EIO);
	expect_cqe(&c[5], 5, 0);
	expect_cqe(&c[6], 6, -EIO);
}

Test(dispatch, tag_out_of_range_eio)
{
	struct buse_io_cqe c[4];

	fake_setup(&full_engine);
	put_desc(4, BUSE_OP_READ, 0, 0, 512); /* depth is 4 */
	put_desc(0xffff, BUSE_OP_READ, 0, 0, 512);
	put_desc(0, BUSE_OP_READ, 0, 0, 512);
	publish();
	cr_assert_eq(bdus_queue_process(&fk.q), 3);
	cr_assert_eq(rec.ncalls, 1);
	cr_assert_eq(reap(c, 4), 3);
	expect_cqe(&c[0], 4, -EIO);
	expect_cqe(&c[1], 0xffff, -EIO);
	expect_cqe(&c[2], 0, 0);
}

Test(dispatch, read_only_device)
{
	struct buse_io_cqe c[4];

	fake_setup_full(4, 65536, 512, 1 << 20, BUSE_DEV_F_READ_ONLY, 0,
			&full_engine);
	put_desc(0, BUSE_OP_WRITE, 0, 0, 512);
	put_desc(1, BUSE_OP_DISCARD, 0, 0, 512);
	put_desc(2, BUSE_OP_READ, 0, 0, 512);
	put_desc(3, BUSE_OP_FLUSH, 0, 0, 0);
	publish();
	cr_assert_eq(bdus_queue_process(&fk.q), 4);
	cr_assert_eq(rec.ncalls, 2);
	cr_expect_eq(rec.calls[0].op, BUSE_OP_READ);
	cr_expect_eq(rec.calls[1].op, BUSE_OP_FLUSH);
	cr_assert_eq(reap(c, 4), 4);
	expect_cqe(&c[0], 0, -EIO);
	expect_cqe(&c[1], 1, -EIO);
	expect_cqe(&c[2], 2, 0);
	expect_cqe(&c[3], 3, 0);
}

Test(dispatch, more_descriptors_than_ring_eproto)
{
	/* depth 4: 8 SQ entries; 9 pending means slots were overwritten. */
	fake_setup(&full_engine);
	for (unsigned int i = 0; i < 9; i++)
		put_desc((uint16_t)(i % 4), BUSE_OP_READ, 0, 0, 512);
	publish();
	cr_assert_eq(bdus_queue_process(&fk.q), -EPROTO);
	cr_assert_eq(rec.ncalls, 0);
}

Test(dispatch, full_completion_ring_eproto)
{
	/* The kernel "never consumed": cq_head lags by cq_entries. */
	fake_setup(&full_engine);
	bdus_queue_fini(&fk.q);
	fk.hdr->cq_tail = 4;
	cr_assert_eq(bdus_queue_init(&fk.q, 1, fk.area, &fk.a, &fk.dev,
				     &full_engine, &rec, -1),
		     0);
	post(0, BUSE_OP_READ, 0, 0, 512);
	cr_assert_eq(bdus_queue_process(&fk.q), -EPROTO);
	/* Nothing was overwritten. */
	cr_assert_eq(fk.hdr->cq_tail, 4);
}

Test(dispatch, batch_larger_than_completion_ring)
{
	unsigned int i;

	/* 8 answers for a 4-entry CQ: pushed in two rounds, the kernel
	 * consuming in between (BUSE_IOC_RUN NOWAIT). */
	fake_setup(&full_engine);
	attach_fake_kernel();
	for (i = 0; i < 4; i++)
		put_desc((uint16_t)i, BUSE_OP_READ, 0, i, 512);
	for (i = 0; i < 4; i++)
		put_desc((uint16_t)(100 + i), BUSE_OP_READ, 0, 0, 512);
	publish();
	cr_assert_eq(bdus_queue_process(&fk.q), 8);
	cr_assert_eq(fk.runs, 1);
	cr_assert_eq(fk.last_run_flags, BUSE_RUN_F_NOWAIT);
	cr_assert_eq(fk.nklog, 4);
	cr_assert_eq(reap(fk.klog + 4, 4), 4);
	for (i = 0; i < 4; i++) {
		expect_cqe(&fk.klog[i], (uint16_t)i, 0);
		expect_cqe(&fk.klog[4 + i], (uint16_t)(100 + i), -EIO);
	}
}

/* ------------------------------------------------------------------------
 * Index wrap-around
 */

Test(dispatch, wraparound)
{
	struct buse_io_cqe c[4];
	uint32_t start = UINT32_MAX - 1;
	unsigned int round, i;

	fake_setup_full(4, 65536, 512, 1 << 20, 0, start, &full_engine);
	/* Several batches across the 2^32 wrap, 3 then 4 then 4 ... */
	for (round = 0; round < 5; round++) {
		unsigned int n = round == 0 ? 3 : 4;

		rec.ncalls = 0;
		for (i = 0; i < n; i++)
			put_desc((uint16_t)i, BUSE_OP_WRITE, 0, round * 8 + i,
				 512);
		publish();
		cr_assert_eq(bdus_queue_process(&fk.q), (int)n);
		cr_assert_eq(rec.ncalls, n);
		for (i = 0; i < n; i++) {
			cr_expect_eq(rec.calls[i].tag, i);
			cr_expect_eq(rec.calls[i].offset,
				     (uint64_t)(round * 8 + i) * 512);
		}
		cr_assert_eq(fk.hdr->sq_head, fk.sq_tail);
		cr_assert_eq(fk.hdr->cq_tail, fk.sq_tail);
		cr_assert_eq(reap(c, 4), n);
		for (i = 0; i < n; i++)
			expect_cqe(&c[i], (uint16_t)i, 0);
	}
	/* 3 + 4 * 4 = 19 descriptors after UINT32_MAX - 1. */
	cr_assert_eq(fk.hdr->sq_head, start + 19);
	cr_assert_eq(fk.hdr->sq_head, 17);
}

Test(dispatch, wraparound_single_batch)
{
	struct buse_io_cqe c[4];

	/* The batch itself straddles 2^32. */
	fake_setup_full(4, 65536, 512, 1 << 20, 0, UINT32_MAX - 1, &rw_engine);
	for (unsigned int i = 0; i < 4; i++)
		put_desc((uint16_t)(3 - i), BUSE_OP_READ, 0, i, 512);
	publish();
	cr_assert_eq(fk.sq_tail, 2);
	cr_assert_eq(bdus_queue_process(&fk.q), 4);
	cr_assert_eq(rec.ncalls, 4);
	for (unsigned int i = 0; i < 4; i++) {
		cr_expect_eq(rec.calls[i].tag, 3 - i);
		cr_expect_eq(rec.calls[i].offset, i * 512);
	}
	cr_assert_eq(fk.hdr->sq_head, 2);
	cr_assert_eq(fk.hdr->cq_tail, 2);
	cr_assert_eq(reap(c, 4), 4);
	for (unsigned int i = 0; i < 4; i++)
		expect_cqe(&c[i], (uint16_t)(3 - i), 0);
}

/* ------------------------------------------------------------------------
 * Results
 */

struct result_case {
	uint8_t op;
	uint32_t len;
	int ret;
	int32_t expected;
};

Test(dispatch, results)
{
	static const struct result_case cases[] = {
		{ BUSE_OP_READ, 4096, -ENOSPC, -ENOSPC },
		{ BUSE_OP_READ, 4096, -ETIMEDOUT, -ETIMEDOUT },
		{ BUSE_OP_WRITE, 4096, -EOPNOTSUPP, -EOPNOTSUPP },
		{ BUSE_OP_FLUSH, 0, -EIO, -EIO },
		{ BUSE_OP_DISCARD, 4096, -ENOLINK, -ENOLINK },
		/* Any errno passes; the kernel maps unknown ones to EIO. */
		{ BUSE_OP_WRITE, 4096, -EPERM, -EPERM },
		{ BUSE_OP_WRITE, 4096, -4095, -4095 },
		{ BUSE_OP_WRITE, 4096, -4096, -EIO },
		{ BUSE_OP_WRITE, 4096, -100000, -EIO },
		/* The full length is success. */
		{ BUSE_OP_READ, 4096, 4096, 0 },
		{ BUSE_OP_DISCARD, 4096, 4096, 0 },
		/* Partial READ/WRITE: whole blocks only. */
		{ BUSE_OP_READ, 4096, 512, 512 },
		{ BUSE_OP_WRITE, 4096, 3584, 3584 },
		{ BUSE_OP_READ, 4096, 100, -EIO },
		{ BUSE_OP_READ, 4096, 8192, -EIO },
		{ BUSE_OP_DISCARD, 4096, 512, -EIO },
		{ BUSE_OP_FLUSH, 0, 1, -EIO },
		{ BUSE_OP_WRITE, 4096, INT32_MAX - 1, -EIO },
	};
	struct buse_io_cqe c[1];
	unsigned int i;

	fake_setup(&full_engine);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct result_case *rc = &cases[i];

		memset(rec.ret, 0, sizeof(rec.ret));
		rec.ret[rc->op] = rc->ret;
		post(2, rc->op, 0, 0, rc->len);
		cr_assert_eq(bdus_queue_process(&fk.q), 1);
		cr_assert_eq(reap(c, 1), 1);
		cr_expect_eq(c[0].result, rc->expected,
			     "case %u: op %u returned %d: cqe %d, expected %d",
			     i, rc->op, rc->ret, c[0].result, rc->expected);
	}
}

/* ------------------------------------------------------------------------
 * Asynchronous completion
 */

Test(dispatch, async_complete)
{
	struct buse_io_cqe c[4];
	const struct bdus_req *r0, *r2;

	fake_setup(&full_engine);
	rec.ret[BUSE_OP_READ] = BDUS_ASYNC;
	rec.fill_reads = true;
	put_desc(0, BUSE_OP_READ, 0, 4, 512);
	put_desc(1, BUSE_OP_WRITE, 0, 0, 512); /* synchronous */
	put_desc(2, BUSE_OP_READ, 0, 6, 1024);
	publish();
	cr_assert_eq(bdus_queue_process(&fk.q), 3);
	cr_assert_eq(rec.nasync, 2);
	r0 = rec.async_reqs[0];
	r2 = rec.async_reqs[1];
	cr_assert_eq(r0->tag, 0);
	cr_assert_eq(r2->tag, 2);
	cr_assert_eq(r2->buf, buf_of(2));
	cr_assert_eq(r2->offset, 6 * 512);
	cr_assert_eq(r2->len, 1024);
	cr_assert_eq(r2->queue, 1);

	/* Only the synchronous write is completed; the SQ is consumed. */
	cr_assert_eq(fk.hdr->sq_head, 3);
	cr_assert_eq(reap(c, 4), 1);
	expect_cqe(&c[0], 1, 0);

	/* Completed out of order, with an errno. */
	cr_assert_eq(bdus_complete(r2, -ENODATA), 0);
	cr_assert_eq(reap(c, 4), 1);
	expect_cqe(&c[0], 2, -ENODATA);
	cr_assert_eq(bdus_complete(r0, 0), 0);
	cr_assert_eq(reap(c, 4), 1);
	expect_cqe(&c[0], 0, 0);

	/* Twice is refused, and so is NULL. */
	cr_assert_eq(bdus_complete(r0, 0), -EINVAL);
	cr_assert_eq(bdus_complete(NULL, 0), -EINVAL);
	cr_assert_eq(reap(c, 4), 0);

	/* The tags can be issued again. */
	rec.ret[BUSE_OP_READ] = 0;
	post(0, BUSE_OP_READ, 0, 0, 512);
	post(2, BUSE_OP_READ, 0, 0, 512);
	cr_assert_eq(bdus_queue_process(&fk.q), 2);
	cr_assert_eq(reap(c, 4), 2);
	expect_cqe(&c[0], 0, 0);
	expect_cqe(&c[1], 2, 0);

	bdus_queue_wait_async(&fk.q); /* nothing outstanding: returns */
}

Test(dispatch, async_result_rules)
{
	struct buse_io_cqe c[1];

	fake_setup(&full_engine);
	rec.ret[BUSE_OP_WRITE] = BDUS_ASYNC;
	post(1, BUSE_OP_WRITE, 0, 0, 4096);
	cr_assert_eq(bdus_queue_process(&fk.q), 1);
	/* BDUS_ASYNC is not a result. */
	cr_assert_eq(bdus_complete(rec.async_reqs[0], BDUS_ASYNC), 0);
	cr_assert_eq(reap(c, 1), 1);
	expect_cqe(&c[0], 1, -EIO);

	post(1, BUSE_OP_WRITE, 0, 0, 4096);
	cr_assert_eq(bdus_queue_process(&fk.q), 1);
	cr_assert_eq(bdus_complete(rec.async_reqs[1], 2048), 0);
	cr_assert_eq(reap(c, 1), 1);
	expect_cqe(&c[0], 1, 2048);
}

Test(dispatch, async_complete_hands_over_to_kernel)
{
	fake_setup(&full_engine);
	attach_fake_kernel();
	rec.ret[BUSE_OP_WRITE] = BDUS_ASYNC;
	post(2, BUSE_OP_WRITE, 0, 0, 512);
	post(3, BUSE_OP_WRITE, 0, 0, 512);
	cr_assert_eq(bdus_queue_process(&fk.q), 2);
	cr_assert_eq(fk.runs, 0);
	/*
	 * The queue thread is awake: the completion is published but not
	 * handed over (coalesced), and the loop sees it owed.
	 */
	cr_assert_eq(bdus_complete(rec.async_reqs[0], -ENOSPC), 0);
	cr_assert_eq(fk.runs, 0);
	cr_assert_eq(fk.nklog, 0);
	cr_assert_eq(bdus_queue_spin(&fk.q, 0), BDUS_SPIN_COMPLETIONS);
	/*
	 * Asleep in BUSE_IOC_RUN: one NOWAIT RUN (no KICK) hands over
	 * everything published.
	 */
	fk.q.sleeping = 1;
	cr_assert_eq(bdus_complete(rec.async_reqs[1], 0), 0);
	cr_assert_eq(fk.runs, 1);
	cr_assert_eq(fk.last_run_flags, BUSE_RUN_F_NOWAIT);
	cr_assert_eq(fk.nklog, 2);
	expect_cqe(&fk.klog[0], 2, -ENOSPC);
	expect_cqe(&fk.klog[1], 3, 0);
	cr_assert_eq(bdus_queue_spin(&fk.q, 0), BDUS_SPIN_EMPTY);
}

Test(dispatch, polled_queue_leaves_completions_to_submitters)
{
	fake_setup(&full_engine);
	attach_fake_kernel();
	fk.q.polled = true;
	rec.ret[BUSE_OP_WRITE] = BDUS_ASYNC;
	post(2, BUSE_OP_WRITE, 0, 0, 512);
	cr_assert_eq(bdus_queue_process(&fk.q), 1);
	cr_assert_eq(bdus_complete(rec.async_reqs[0], 0), 0);
	/* Nothing owed: the polling submitter takes it. */
	cr_assert_eq(bdus_queue_spin(&fk.q, 0), BDUS_SPIN_EMPTY);
	cr_assert_eq(fk.runs, 0);
}

/* ------------------------------------------------------------------------
 * Sequence numbers and cancellation (request timeouts)
 */

Test(dispatch, seq_echoed)
{
	struct buse_io_cqe c[4];

	fake_setup(&full_engine);
	put_desc_seq(0, 0xfffe, BUSE_OP_READ, 0, 0, 512);
	put_desc_seq(1, 0xffff, BUSE_OP_WRITE, 0, 0, 512);
	put_desc_seq(2, 0, BUSE_OP_FLUSH, 0, 0, 0);
	put_desc_seq(9, 77, BUSE_OP_READ, 0, 0, 512); /* bad tag */
	publish();
	cr_assert_eq(bdus_queue_process(&fk.q), 4);
	cr_assert_eq(reap(c, 4), 4);
	expect_cqe_seq(&c[0], 0, 0xfffe, 0);
	expect_cqe_seq(&c[1], 1, 0xffff, 0);
	expect_cqe_seq(&c[2], 2, 0, 0);
	expect_cqe_seq(&c[3], 9, 77, -EIO);
}

Test(dispatch, cancel_async_request)
{
	struct buse_io_cqe c[2];
	uint16_t seq;

	fake_setup(&full_engine);
	rec.ret[BUSE_OP_READ] = BDUS_ASYNC;
	seq = post(1, BUSE_OP_READ, 0, 0, 512);
	cr_assert_eq(bdus_queue_process(&fk.q), 1);
	cr_assert_eq(rec.nasync, 1);

	/* Timed out: the engine is told, once. */
	post_cancel(1, seq);
	cr_assert_eq(bdus_queue_process(&fk.q), 1);
	cr_assert_eq(rec.ncancelled, 1);
	cr_assert_eq(rec.cancelled[0], rec.async_reqs[0]);
	post_cancel(1, seq);
	cr_assert_eq(bdus_queue_process(&fk.q), 1);
	cr_assert_eq(rec.ncancelled, 1);

	/* The engine's late completion releases it and gives the buffer
	 * back to the kernel: the cancelled issue's (tag, seq) is sent. */
	cr_assert_eq(bdus_complete(rec.async_reqs[0], 0), 0);
	cr_assert_eq(reap(c, 2), 1);
	expect_cqe_seq(&c[0], 1, seq, 0);
	cr_assert_eq(bdus_complete(rec.async_reqs[0], 0), -EINVAL);
	cr_assert_eq(__atomic_load_n(&fk.q.async_inflight, __ATOMIC_SEQ_CST),
		     0);

	/* The tag works again. */
	rec.ret[BUSE_OP_READ] = 0;
	post(1, BUSE_OP_READ, 0, 0, 512);
	cr_assert_eq(bdus_queue_process(&fk.q), 1);
	cr_assert_eq(reap(c, 2), 1);
	expect_cqe(&c[0], 1, 0);
}

Test(dispatch, cancel_ignored_when_not_outstanding)
{
	struct buse_io_cqe c[4];
	uint16_t seq;

	fake_setup(&full_engine);
	rec.ret[BUSE_OP_READ] = BDUS_ASYNC;
	seq = post(0, BUSE_OP_READ, 0, 0, 512);
	post(1, BUSE_OP_WRITE, 0, 0, 512); /* synchronous */
	cr_assert_eq(bdus_queue_process(&fk.q), 2);
	cr_assert_eq(reap(c, 4), 1);

	post_cancel(0, (uint16_t)(seq - 1)); /* an older issue */
	post_cancel(1, fk.seq[1]);	     /* already answered */
	post_cancel(3, 1);		     /* never issued */
	post_cancel(200, 1);		     /* no such tag */
	cr_assert_eq(bdus_queue_process(&fk.q), 4);
	cr_assert_eq(rec.ncancelled, 0);
	cr_assert_eq(reap(c, 4), 0);

	/* Tag 0 was not cancelled: its completion goes out. */
	cr_assert_eq(bdus_complete(rec.async_reqs[0], 0), 0);
	cr_assert_eq(reap(c, 4), 1);
	expect_cqe_seq(&c[0], 0, seq, 0);
}

Test(dispatch, reissue_while_engine_holds_tag)
{
	struct buse_io_cqe c[4];
	uint16_t seq1, seq2, seq3;

	fake_setup(&full_engine);
	rec.ret[BUSE_OP_WRITE] = BDUS_ASYNC;
	seq1 = post(3, BUSE_OP_WRITE, 0, 0, 512);
	cr_assert_eq(bdus_queue_process(&fk.q), 1);

	/* Timed out, CANCEL lost (no room), tag issued again. */
	seq2 = post(3, BUSE_OP_READ, 0, 0, 512);
	cr_assert_eq(bdus_queue_process(&fk.q), 1);
	/* The new issue cannot have the buffer: refused, engine told. */
	cr_assert_eq(rec.ncalls, 1);
	cr_assert_eq(rec.ncancelled, 1);
	cr_assert_eq(reap(c, 4), 1);
	expect_cqe_seq(&c[0], 3, seq2, -ETIMEDOUT);

	/* The same again, with the CANCEL this time. */
	post_cancel(3, seq2);
	seq3 = post(3, BUSE_OP_READ, 0, 0, 512);
	cr_assert_eq(bdus_queue_process(&fk.q), 2);
	cr_assert_eq(rec.ncancelled, 1);
	cr_assert_eq(reap(c, 4), 1);
	expect_cqe_seq(&c[0], 3, seq3, -ETIMEDOUT);

	/* The engine lets go of issue 1: given back, tag usable again. */
	cr_assert_eq(bdus_complete(rec.async_reqs[0], 0), 0);
	cr_assert_eq(reap(c, 4), 1);
	expect_cqe_seq(&c[0], 3, seq1, 0);
	rec.ret[BUSE_OP_READ] = 0;
	post(3, BUSE_OP_READ, 0, 0, 512);
	cr_assert_eq(bdus_queue_process(&fk.q), 1);
	cr_assert_eq(rec.ncalls, 2);
	cr_assert_eq(reap(c, 4), 1);
	expect_cqe(&c[0], 3, 0);
}

Test(dispatch, duplicate_descriptor_ignored)
{
	struct buse_io_cqe c[4];
	uint16_t seq;

	fake_setup(&full_engine);
	rec.ret[BUSE_OP_READ] = BDUS_ASYNC;
	seq = post(2, BUSE_OP_READ, 0, 0, 512);
	put_desc_seq(2, seq, BUSE_OP_READ, 0, 0, 512);
	publish();
	cr_assert_eq(bdus_queue_process(&fk.q), 2);
	cr_assert_eq(rec.ncalls, 1);
	cr_assert_eq(rec.ncancelled, 0);
	cr_assert_eq(reap(c, 4), 0);
	cr_assert_eq(bdus_complete(rec.async_reqs[0], 0), 0);
	cr_assert_eq(reap(c, 4), 1);
	expect_cqe_seq(&c[0], 2, seq, 0);
}

Test(dispatch, sync_request_cancelled_before_seen)
{
	struct buse_io_cqe c[4];
	uint16_t seq1, seq2;

	/* The queue thread was busy past the timeout: the request, its
	 * CANCEL and the tag's next issue are all in one batch. */
	fake_setup(&full_engine);
	seq1 = put_desc(0, BUSE_OP_WRITE, 0, 0, 512);
	put_desc_seq(0, seq1, BUSE_OP_CANCEL, 0, 0, 0);
	seq2 = put_desc(0, BUSE_OP_READ, 0, 8, 512);
	publish();
	cr_assert_eq(bdus_queue_process(&fk.q), 3);
	/* Both served (the first answer is stale and will be rejected
	 * harmlessly by the kernel). */
	cr_assert_eq(rec.ncalls, 2);
	cr_assert_eq(rec.ncancelled, 0);
	cr_assert_eq(reap(c, 4), 2);
	expect_cqe_seq(&c[0], 0, seq1, 0);
	expect_cqe_seq(&c[1], 0, seq2, 0);
}

Test(dispatch, complete_before_returning_async)
{
	struct buse_io_cqe c[4];

	fake_setup(&full_engine);
	rec.complete_inside = true; /* bdus_complete(), then BDUS_ASYNC */
	post(0, BUSE_OP_READ, 0, 0, 512);
	post(1, BUSE_OP_FLUSH, 0, 0, 0);
	cr_assert_eq(bdus_queue_process(&fk.q), 2);
	cr_assert_eq(reap(c, 4), 2);
	expect_cqe(&c[0], 0, 0);
	expect_cqe(&c[1], 1, 0);
	cr_assert_eq(__atomic_load_n(&fk.q.async_inflight, __ATOMIC_SEQ_CST),
		     0);
	bdus_queue_wait_async(&fk.q); /* must not hang */
}

/* An engine that answers asynchronously from another thread. */
struct worker {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	const struct bdus_req *queue[64];
	unsigned int head, tail;
	bool quit;
	unsigned long done;
	unsigned long errors; /* bdus_complete() failures (no asserts off
				   the test's thread) */
};

static struct worker wk = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

static int w_submit(const struct bdus_req *req)
{
	pthread_mutex_lock(&wk.lock);
	wk.queue[wk.tail++ % 64] = req;
	pthread_cond_signal(&wk.cond);
	pthread_mutex_unlock(&wk.lock);
	return BDUS_ASYNC;
}

static int w_read(void *ctx, void *buf, uint64_t off, uint32_t len,
		  const struct bdus_req *req)
{
	(void)ctx;
	(void)buf;
	(void)off;
	(void)len;
	return w_submit(req);
}

static int w_write(void *ctx, const void *buf, uint64_t off, uint32_t len,
		   const struct bdus_req *req)
{
	(void)ctx;
	(void)buf;
	(void)off;
	(void)len;
	return w_submit(req);
}

static void *w_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&wk.lock);
	for (;;) {
		while (wk.head == wk.tail && !wk.quit)
			pthread_cond_wait(&wk.cond, &wk.lock);
		if (wk.head == wk.tail)
			break;
		const struct bdus_req *req = wk.queue[wk.head++ % 64];

		pthread_mutex_unlock(&wk.lock);
		if (req->op == BUSE_OP_READ)
			memset(req->buf, (int)(req->tag + 1), req->len);
		int r = bdus_complete(req, 0);

		pthread_mutex_lock(&wk.lock);
		wk.done++;
		if (r)
			wk.errors++;
	}
	pthread_mutex_unlock(&wk.lock);
	return NULL;
}

static const struct storage_engine async_engine = {
	.name = "async",
	.read = w_read,
	.write = w_write,
};

Test(dispatch, async_from_another_thread, .timeout = 30)
{
	struct buse_io_cqe c[8];
	bool busy[8] = { false };
	uint8_t op[8] = { 0 };
	unsigned int issued = 0, completed = 0, i, n;
	pthread_t th;

	fake_setup_full(8, 4096, 512, 1 << 20, 0, UINT32_MAX - 100,
			&async_engine);
	cr_assert_eq(pthread_create(&th, NULL, w_main, NULL), 0);

	/* The fake kernel keeps every tag busy for 2000 requests. */
	while (completed < 2000) {
		for (i = 0; i < 8 && issued < 2000; i++) {
			if (busy[i])
				continue;
			op[i] = issued % 3 ? BUSE_OP_READ : BUSE_OP_WRITE;
			put_desc((uint16_t)i, op[i], 0, issued % 2048, 512);
			busy[i] = true;
			issued++;
		}
		publish();
		cr_assert_geq(bdus_queue_process(&fk.q), 0);
		n = reap(c, 8);
		for (i = 0; i < n; i++) {
			cr_assert_lt(c[i].tag, 8);
			cr_assert(busy[c[i].tag], "tag %u completed twice",
				  c[i].tag);
			cr_assert_eq(c[i].result, 0);
			/* READ data is visible with the completion. */
			if (op[c[i].tag] == BUSE_OP_READ) {
				unsigned char *b = buf_of(c[i].tag);

				cr_assert_eq(b[0], c[i].tag + 1);
				cr_assert_eq(b[511], c[i].tag + 1);
				memset(b, 0, 512);
			}
			busy[c[i].tag] = false;
			completed++;
		}
	}
	bdus_queue_wait_async(&fk.q);

	pthread_mutex_lock(&wk.lock);
	wk.quit = true;
	pthread_cond_signal(&wk.cond);
	pthread_mutex_unlock(&wk.lock);
	pthread_join(th, NULL);
	cr_assert_eq(wk.done, 2000);
	cr_assert_eq(wk.errors, 0);
	cr_assert_eq(reap(c, 8), 0);
}

/* bdus_queue_wait_async() waits for a completion that comes later. */
static int late_ret = -1;

static void *late_complete(void *arg)
{
	const struct bdus_req *req = arg;
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	late_ret = bdus_complete(req, 0);
	return NULL;
}

Test(dispatch, wait_async_waits, .timeout = 30)
{
	struct buse_io_cqe c[1];
	pthread_t th;

	fake_setup(&full_engine);
	rec.ret[BUSE_OP_WRITE] = BDUS_ASYNC;
	post(0, BUSE_OP_WRITE, 0, 0, 512);
	cr_assert_eq(bdus_queue_process(&fk.q), 1);
	cr_assert_eq(pthread_create(&th, NULL, late_complete,
				    (void *)(uintptr_t)rec.async_reqs[0]),
		     0);
	bdus_queue_wait_async(&fk.q);
	/* The completion is in the ring once the wait is over. */
	cr_assert_eq(reap(c, 1), 1);
	expect_cqe(&c[0], 0, 0);
	pthread_join(th, NULL);
	cr_assert_eq(late_ret, 0);
}

/* ------------------------------------------------------------------------
 * Batching: one batch is everything available, published once
 */

/*
 * WRITE data is in the tag's buffer when its descriptor is visible: the
 * engine gets it without any BUSE_IOC_RUN first.
 */
Test(dispatch, write_data_needs_no_run)
{
	fake_setup(&full_engine);
	attach_fake_kernel();
	memset(buf_of(1), 0x5a, 512);
	post(1, BUSE_OP_WRITE, 0, 16, 512);
	cr_assert_eq(bdus_queue_process(&fk.q), 1);
	cr_assert_eq(fk.runs, 0);
	cr_assert_eq(rec.ncalls, 1);
	cr_expect_eq(rec.calls[0].first_byte, 0x5a);
}

Test(dispatch, whole_ring_in_one_batch)
{
	struct buse_io_cqe c[8];
	unsigned int i;

	/* depth 8: sq_entries 16; 8 requests and 8 CANCEL notices. */
	fake_setup_full(8, 4096, 512, 1 << 20, 0, UINT32_MAX - 3, &full_engine);
	rec.ret[BUSE_OP_WRITE] = BDUS_ASYNC;
	for (i = 0; i < 8; i++)
		put_desc((uint16_t)i, BUSE_OP_WRITE, 0, i, 512);
	cr_assert_eq(bdus_queue_process(&fk.q), 0); /* not published yet */
	publish();
	cr_assert_eq(bdus_queue_process(&fk.q), 8);
	for (i = 0; i < 8; i++)
		cr_assert_eq(bdus_complete(rec.async_reqs[i], 0), 0);
	/* The full ring: 8 READs on top of 8 CANCELs for nothing. */
	rec.ret[BUSE_OP_WRITE] = 0;
	cr_assert_eq(reap(c, 8), 8);
	for (i = 0; i < 8; i++)
		put_desc_seq((uint16_t)i, fk.seq[i], BUSE_OP_CANCEL, 0, 0, 0);
	for (i = 0; i < 8; i++)
		put_desc((uint16_t)i, BUSE_OP_READ, 0, i, 512);
	publish();
	cr_assert_eq(bdus_queue_process(&fk.q), 16);
	cr_assert_eq(rec.ncalls, 16);
	for (i = 8; i < 16; i++)
		cr_expect_eq(rec.calls[i].cq_tail_seen, fk.cq_head);
	cr_assert_eq(reap(c, 8), 8);
	for (i = 0; i < 8; i++)
		expect_cqe(&c[i], (uint16_t)i, 0);
	cr_assert_eq(rec.ncancelled, 0);
}

/* ------------------------------------------------------------------------
 * The queue loop (bdus_queue_loop) with a scripted kernel
 */

/*
 * The emulated BUSE_IOC_RUN: consumes the completions, records the call,
 * and delivers the next batch (on a waiting RUN, or also on a NOWAIT one
 * with post_on_nowait).  A waiting RUN with nothing left to deliver plays
 * the library's stop: it sets q->stopping, as a KICK would wake the thread.
 */
struct script {
	unsigned int batches; /* batches to deliver */
	unsigned int size;    /* READs per batch (tags 0..size-1) */
	unsigned int posted;
	bool post_on_nowait;
	unsigned int fail_at; /* this RUN fails with fail_errno */
	int fail_errno;
	uint32_t fail_rejected;
	unsigned int nruns; /* __atomic: read by a stopper thread */
	uint32_t flags[64];
	unsigned int reaped[64];
};

static struct script sc;

static void script_post_batch(void)
{
	unsigned int i;

	/* Tags continue from batch to batch (depth 4). */
	for (i = 0; i < sc.size; i++)
		put_desc((uint16_t)((sc.posted * sc.size + i) % 4),
			 BUSE_OP_READ, 0, sc.posted * 8 + i, 512);
	publish();
	sc.posted++;
}

static int script_run(int fd, unsigned long req, void *arg, void *ctx)
{
	struct buse_run *run = arg;
	struct bdus_queue *q = &fk.q;
	unsigned int n = __atomic_load_n(&sc.nruns, __ATOMIC_RELAXED);
	bool nowait = run->flags & BUSE_RUN_F_NOWAIT;

	(void)ctx;
	cr_assert_eq(req, BUSE_IOC_RUN);
	cr_assert_eq(fd, FAKE_QUEUE_FD);
	cr_assert_eq(run->queue, q->index);
	cr_assert_lt(n, 64);
	sc.flags[n] = run->flags;
	run->completed =
		reap(fk.klog + fk.nklog,
		     (unsigned int)(sizeof(fk.klog) / sizeof(fk.klog[0])) -
			     fk.nklog);
	fk.nklog += run->completed;
	sc.reaped[n] = run->completed;
	__atomic_store_n(&sc.nruns, n + 1, __ATOMIC_RELEASE);
	if (sc.fail_errno && n == sc.fail_at) {
		run->rejected = sc.fail_rejected;
		errno = sc.fail_errno;
		return -1;
	}
	if (sc.posted < sc.batches && (!nowait || sc.post_on_nowait))
		script_post_batch();
	else if (!nowait)
		__atomic_store_n(&q->stopping, 1, __ATOMIC_RELEASE);
	run->pending = fk.sq_tail -
		       __atomic_load_n(&fk.hdr->sq_head, __ATOMIC_ACQUIRE);
	return 0;
}

static void script_setup(unsigned int batches, unsigned int size,
			 uint32_t poll_us, bool post_on_nowait)
{
	fake_setup(&full_engine);
	memset(&sc, 0, sizeof(sc));
	sc.batches = batches;
	sc.size = size;
	sc.post_on_nowait = post_on_nowait;
	attach_run(script_run);
	fk.q.poll_us = poll_us;
}

static void expect_all_answered(unsigned int n)
{
	unsigned int i;

	cr_assert_eq(rec.ncalls, n);
	cr_assert_eq(fk.nklog, n);
	for (i = 0; i < n; i++)
		cr_expect_eq(fk.klog[i].result, 0);
}

static double elapsed_s(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

TestSuite(queue_loop, .fini = fake_teardown);

Test(queue_loop, no_polling_one_ioctl_per_batch)
{
	unsigned int i;

	script_setup(5, 3, 0, false);
	bdus_queue_loop(&fk.q);
	cr_assert_eq(fk.q.err, 0);
	cr_assert(!fk.q.removed);
	expect_all_answered(15);
	/* One waiting RUN per batch (plus the one that stopped). */
	cr_assert_eq(sc.nruns, 6);
	for (i = 0; i < 6; i++)
		cr_expect_eq(sc.flags[i], 0, "run %u flags %#x", i,
			     sc.flags[i]);
	/* Each RUN handed the whole previous batch over. */
	cr_expect_eq(sc.reaped[0], 0);
	for (i = 1; i < 6; i++)
		cr_expect_eq(sc.reaped[i], 3, "run %u", i);
	cr_expect_eq(fk.q.poll_hits, 0);
	cr_expect_eq(fk.q.poll_misses, 0);
	cr_expect_eq(fk.q.poll_window, 0);
}

Test(queue_loop, polling_hits_take_one_nowait_run_per_batch, .timeout = 30)
{
	unsigned int i;

	script_setup(5, 3, 50000, true);
	bdus_queue_loop(&fk.q);
	cr_assert_eq(fk.q.err, 0);
	cr_assert(!fk.q.removed);
	expect_all_answered(15);
	/*
	 * 0: waiting RUN (window 0), returns at once: opens the window.
	 * 1-4: NOWAIT, the next batch is pending: hits.
	 * 5: NOWAIT, nothing: spin 50 ms, miss (window halved).
	 * 6: waiting RUN: stopped.
	 */
	cr_assert_eq(sc.nruns, 7);
	cr_expect_eq(sc.flags[0], 0);
	for (i = 1; i <= 5; i++)
		cr_expect_eq(sc.flags[i], BUSE_RUN_F_NOWAIT, "run %u flags %#x",
			     i, sc.flags[i]);
	cr_expect_eq(sc.flags[6], 0);
	for (i = 1; i <= 5; i++)
		cr_expect_eq(sc.reaped[i], 3, "run %u", i);
	cr_expect_eq(sc.reaped[6], 0);
	cr_expect_eq(fk.q.poll_hits, 4);
	cr_expect_eq(fk.q.poll_misses, 1);
	cr_expect_eq(fk.q.poll_window, 25000);
}

Test(queue_loop, polling_no_nowait_run_without_completions, .timeout = 30)
{
	unsigned int i, nruns;

	/* All asynchronous: the batches publish no completion themselves. */
	script_setup(2, 2, 20000, true);
	rec.ret[BUSE_OP_READ] = BDUS_ASYNC;
	bdus_queue_loop(&fk.q);
	cr_assert_eq(fk.q.err, 0);
	cr_assert_eq(rec.ncalls, 4);
	nruns = sc.nruns;
	/* Only waiting RUNs: wait (b1), spin, wait (b2), spin, wait (stop). */
	cr_assert_eq(nruns, 3);
	for (i = 0; i < nruns; i++)
		cr_expect_eq(sc.flags[i], 0, "run %u flags %#x", i,
			     sc.flags[i]);
	cr_expect_eq(fk.q.poll_misses, 2);
	for (i = 0; i < 4; i++)
		cr_assert_eq(bdus_complete(rec.async_reqs[i], 0), 0);
	expect_all_answered(4);
}

static void *stop_when_spinning(void *arg)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	(void)arg;
	/* Run 1 is the NOWAIT one after the first batch: then it spins. */
	while (__atomic_load_n(&sc.nruns, __ATOMIC_ACQUIRE) < 2)
		nanosleep(&ts, NULL);
	nanosleep(&ts, NULL);
	__atomic_store_n(&fk.q.stopping, 1, __ATOMIC_RELEASE);
	return NULL;
}

Test(queue_loop, stop_seen_while_spinning, .timeout = 30)
{
	struct timespec t0;
	pthread_t th;

	/* A one-second window: the stop must not wait for it to run out. */
	script_setup(1, 2, BDUS_MAX_POLL_US, false);
	cr_assert_eq(pthread_create(&th, NULL, stop_when_spinning, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bdus_queue_loop(&fk.q);
	pthread_join(th, NULL);
	cr_expect_lt(elapsed_s(&t0), 0.5, "took %.3f s", elapsed_s(&t0));
	cr_assert_eq(fk.q.err, 0);
	cr_assert(!fk.q.removed);
	expect_all_answered(2);
	cr_assert_eq(sc.nruns, 2);
	cr_expect_eq(sc.flags[1], BUSE_RUN_F_NOWAIT);
	/* Stopped, neither a hit nor a miss. */
	cr_expect_eq(fk.q.poll_hits, 0);
	cr_expect_eq(fk.q.poll_misses, 0);
}

Test(queue_loop, removal_seen_while_polling, .timeout = 30)
{
	script_setup(3, 2, 50000, true);
	sc.fail_at = 2; /* the second NOWAIT RUN */
	sc.fail_errno = ENODEV;
	bdus_queue_loop(&fk.q);
	cr_assert(fk.q.removed);
	cr_assert_eq(fk.q.err, 0);
	cr_assert_eq(sc.nruns, 3);
	cr_expect_eq(sc.flags[2], BUSE_RUN_F_NOWAIT);
	/* Both batches delivered were answered and handed over. */
	expect_all_answered(4);
}

Test(queue_loop, removal_seen_in_waiting_run)
{
	script_setup(3, 2, 0, false);
	sc.fail_at = 1;
	sc.fail_errno = ENODEV;
	bdus_queue_loop(&fk.q);
	cr_assert(fk.q.removed);
	cr_assert_eq(fk.q.err, 0);
	cr_assert_eq(sc.nruns, 2);
}

Test(queue_loop, rejected_completions_not_fatal)
{
	script_setup(3, 2, 0, false);
	sc.fail_at = 1;
	sc.fail_errno = EINVAL;
	sc.fail_rejected = 1;
	bdus_queue_loop(&fk.q);
	cr_assert_eq(fk.q.err, 0);
	cr_assert(!fk.q.removed);
	expect_all_answered(6);
}

Test(queue_loop, run_error_fatal)
{
	script_setup(3, 2, 0, false);
	sc.fail_at = 1;
	sc.fail_errno = EINVAL; /* no rejected completions: fatal */
	bdus_queue_loop(&fk.q);
	cr_assert_eq(fk.q.err, -EINVAL);
	cr_assert_eq(sc.nruns, 2);

	fake_teardown();
	script_setup(3, 2, 1000, true);
	sc.fail_at = 1;
	sc.fail_errno = EIO;
	bdus_queue_loop(&fk.q);
	cr_assert_eq(fk.q.err, -EIO);
}

Test(queue_loop, stopped_before_start)
{
	script_setup(3, 2, 1000, true);
	fk.q.stopping = 1;
	bdus_queue_loop(&fk.q);
	cr_assert_eq(sc.nruns, 0);
	cr_assert_eq(fk.q.err, 0);
}

/* bdus_queue_spin() on its own. */
Test(queue_loop, spin_results, .timeout = 30)
{
	struct timespec t0;

	fake_setup(&full_engine);
	/* Nothing: the window runs out (a 0 window checks once). */
	cr_assert_eq(bdus_queue_spin(&fk.q, 0), BDUS_SPIN_EMPTY);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(bdus_queue_spin(&fk.q, 3000), BDUS_SPIN_EMPTY);
	cr_expect_geq(elapsed_s(&t0), 0.003);
	/* Published descriptors are found, even with a 0 window. */
	post(0, BUSE_OP_READ, 0, 0, 512);
	cr_assert_eq(bdus_queue_spin(&fk.q, 0), BDUS_SPIN_WORK);
	cr_assert_eq(bdus_queue_spin(&fk.q, 1000), BDUS_SPIN_WORK);
	cr_assert_eq(bdus_queue_process(&fk.q), 1);
	/* Its completion is published, not consumed: to be handed over. */
	cr_assert_eq(bdus_queue_spin(&fk.q, 0), BDUS_SPIN_COMPLETIONS);
	cr_assert_eq(reap(fk.klog, 4), 1);
	cr_assert_eq(bdus_queue_spin(&fk.q, 0), BDUS_SPIN_EMPTY);
	/* Written but not published: nothing yet. */
	put_desc(1, BUSE_OP_READ, 0, 0, 512);
	cr_assert_eq(bdus_queue_spin(&fk.q, 100), BDUS_SPIN_EMPTY);
	publish();
	cr_assert_eq(bdus_queue_spin(&fk.q, 100), BDUS_SPIN_WORK);
	cr_assert_eq(bdus_queue_process(&fk.q), 1);
	/* Stopping. */
	fk.q.stopping = 1;
	cr_assert_eq(bdus_queue_spin(&fk.q, 1000000), BDUS_SPIN_STOP);
}

static void *publish_later(void *arg)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	(void)arg;
	nanosleep(&ts, NULL);
	publish();
	return NULL;
}

Test(queue_loop, spin_sees_publication_from_another_thread, .timeout = 30)
{
	struct timespec t0;
	pthread_t th;

	fake_setup(&full_engine);
	put_desc(0, BUSE_OP_WRITE, 0, 0, 512);
	cr_assert_eq(pthread_create(&th, NULL, publish_later, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(bdus_queue_spin(&fk.q, 10 * 1000 * 1000), BDUS_SPIN_WORK);
	cr_expect_lt(elapsed_s(&t0), 5.0);
	pthread_join(th, NULL);
	cr_assert_eq(bdus_queue_process(&fk.q), 1);
	cr_assert_eq(rec.ncalls, 1);
}

/* ------------------------------------------------------------------------
 * Ops advertised, engine and geometry checks
 */

Test(dispatch_engine, ops_from_callbacks)
{
	struct storage_engine e = { .read = e_read, .write = e_write };

	cr_assert_eq(bdus_engine_ops(&e), BUSE_OPS_REQUIRED);
	e.flags = BDUS_ENGINE_F_FUA; /* FUA without flush: meaningless */
	cr_assert_eq(bdus_engine_ops(&e), BUSE_OPS_REQUIRED);
	e.flush = e_flush;
	cr_assert_eq(bdus_engine_ops(&e), BUSE_OPS_REQUIRED |
						  BUSE_OP_BIT(BUSE_OP_FLUSH) |
						  BUSE_OPS_FUA);
	e.flags = 0;
	cr_assert_eq(bdus_engine_ops(&e),
		     BUSE_OPS_REQUIRED | BUSE_OP_BIT(BUSE_OP_FLUSH));
	e.flush = NULL;
	e.discard = e_discard;
	cr_assert_eq(bdus_engine_ops(&e),
		     BUSE_OPS_REQUIRED | BUSE_OP_BIT(BUSE_OP_DISCARD));
	e.discard = NULL;
	e.write_zeroes = e_write_zeroes;
	cr_assert_eq(bdus_engine_ops(&e),
		     BUSE_OPS_REQUIRED | BUSE_OP_BIT(BUSE_OP_WRITE_ZEROES));
	e.write_zeroes = NULL;
	e.secure_erase = e_secure_erase;
	cr_assert_eq(bdus_engine_ops(&e),
		     BUSE_OPS_REQUIRED | BUSE_OP_BIT(BUSE_OP_SECURE_ERASE));
	cr_assert_eq(bdus_engine_ops(&full_engine), BUSE_OPS_ALL);
}

Test(dispatch_engine, check)
{
	struct storage_engine e = { .read = e_read, .write = e_write };

	cr_assert_eq(bdus_engine_check(&e), 0);
	cr_assert_eq(bdus_engine_check(NULL), -EINVAL);
	e.flags = 1u << 5;
	cr_assert_eq(bdus_engine_check(&e), -EINVAL);
	e.flags = 0;
	e.read = NULL;
	cr_assert_eq(bdus_engine_check(&e), -EINVAL);
	e.read = e_read;
	e.write = NULL;
	cr_assert_eq(bdus_engine_check(&e), -EINVAL);
}

Test(dispatch_engine, serve_rejects_bad_arguments)
{
	struct storage_engine e = { .read = e_read };
	struct bdus_opts o = { .flags = 1u << 20 };

	/* All rejected before touching any device. */
	cr_assert_eq(bdus_serve(0, NULL, NULL, NULL), -EINVAL);
	cr_assert_eq(bdus_serve(0, &e, NULL, NULL), -EINVAL);
	cr_assert_eq(bdus_serve(0, &rw_engine, NULL, &o), -EINVAL);
	o.flags = 0;
	o.reserved[3] = 1;
	cr_assert_eq(bdus_serve(0, &rw_engine, NULL, &o), -EINVAL);
	cr_assert_eq(bdus_serve(BUSE_MAX_INDEX + 1, &rw_engine, NULL, NULL),
		     -EINVAL);
	cr_assert_eq(bdus_create_and_serve(NULL, &rw_engine, NULL, NULL),
		     -EINVAL);
}

Test(dispatch_geometry, driver_layout_accepted)
{
	struct buse_attach a;
	uint32_t depth;

	for (depth = 1; depth <= BUSE_MAX_DEPTH; depth = depth * 3 + 1) {
		fake_geometry(&a, depth, 4096, 512, 1 << 20);
		cr_assert_eq(bdus_attach_check(&a), 0, "depth %u", depth);
	}
	fake_geometry(&a, BUSE_MAX_DEPTH, BUSE_MAX_MAX_IO, 4096, 1ull << 40);
	cr_assert_eq(bdus_attach_check(&a), 0);
}

Test(dispatch_geometry, bad_layouts_rejected)
{
	struct buse_attach a, good;

	fake_geometry(&good, 16, 65536, 512, 1 << 20);
	cr_assert_eq(bdus_attach_check(&good), 0);

#define BAD(stmt)                                                          \
	do {                                                               \
		a = good;                                                  \
		stmt;                                                      \
		cr_expect_eq(bdus_attach_check(&a), -EPROTO, "%s", #stmt); \
	} while (0)
	BAD(a.nr_queues = 0);
	BAD(a.nr_queues = BUSE_MAX_QUEUES + 1);
	BAD(a.queue_depth = 0);
	BAD(a.queue_depth = BUSE_MAX_DEPTH + 1);
	BAD(a.logical_block_size = 0);
	BAD(a.logical_block_size = 768);
	BAD(a.logical_block_size = 256);
	BAD(a.max_io = 1000);
	BAD(a.max_io = 4096 + 512); /* buffers not page-aligned */
	BAD(a.max_io = 2048);
	BAD(a.max_io = 0);
	BAD(a.max_io = BUSE_MAX_MAX_IO * 2);
	BAD(a.size = 0);
	BAD(a.size = 1000);
	BAD(a.ops = 0);
	BAD(a.sq_entries = 8);	/* < depth */
	BAD(a.sq_entries = 24); /* not a power of two */
	BAD(a.cq_entries = 0);
	BAD(a.sq_off = 0);		  /* overlaps the header */
	BAD(a.sq_off = 260);		  /* misaligned */
	BAD(a.cq_off = a.sq_off + 32);	  /* overlaps the SQ */
	BAD(a.data_off = 4096 + 1);	  /* misaligned */
	BAD(a.data_off = 0);		  /* overlaps everything */
	BAD(a.map_size = a.map_size - 1); /* buffers past the end */
	BAD(a.map_size = 100);
	BAD(a.data_off = UINT64_MAX & ~4095ull);
	BAD(a.cq_off = UINT32_MAX & ~7u);
	BAD(a.flags = ~BUSE_ATTACH_F_ALL); /* a flag we never asked for */
#undef BAD
}

/* ------------------------------------------------------------------------
 * An engine built against a smaller struct storage_engine (abi.h)
 */

/*
 * full_engine as a program whose bdus.h ended the struct after write
 * would pass it: its optional callbacks are absent, the requests for them
 * answered -EOPNOTSUPP, and nothing is called.
 */
Test(dispatch, smaller_engine_struct_callbacks_absent)
{
	static struct storage_engine own;
	size_t small = bdus_offsetofend(struct storage_engine, write);
	struct buse_io_cqe c[3];

	cr_assert_eq(bdus_struct_import(&own, sizeof(own), &full_engine, small,
					small, "test", "storage_engine"),
		     0);
	fake_setup(&own);
	put_desc(2, BUSE_OP_FLUSH, 0, 0, 0);
	put_desc(1, BUSE_OP_DISCARD, 0, 0, 512);
	put_desc(0, BUSE_OP_WRITE, 0, 0, 512);
	publish();
	cr_assert_eq(bdus_queue_process(&fk.q), 3);
	cr_assert_eq(rec.ncalls, 1);
	cr_assert_eq(rec.calls[0].op, BUSE_OP_WRITE);
	cr_assert_eq(reap(c, 3), 3);
	expect_cqe(&c[0], 2, -EOPNOTSUPP);
	expect_cqe(&c[1], 1, -EOPNOTSUPP);
	expect_cqe(&c[2], 0, 0);
}
