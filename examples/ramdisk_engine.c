// SPDX-License-Identifier: MIT
/*
 * ramdisk_engine.c - the RAM-disk engine (see ramdisk_engine.h): served
 * as it is by examples/ramdisk, and the inner engine of the filters
 * examples/faulty and tests/integration/recorder.c.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ramdisk_engine.h"

/* The device's size is known only once attached: allocate here. */
static int rd_open(void *ctx, const struct bdus_dev *dev)
{
	struct ramdisk *rd = ctx;
	void *mem;

	if (dev->size > SIZE_MAX)
		return -ENOMEM;
	mem = mmap(NULL, (size_t)dev->size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return -errno;
	rd->mem = mem;
	rd->size = dev->size;
	rd->page = (size_t)sysconf(_SC_PAGESIZE);
	return 0;
}

static void rd_close(void *ctx, const struct bdus_dev *dev)
{
	struct ramdisk *rd = ctx;

	(void)dev;
	munmap(rd->mem, (size_t)rd->size);
	rd->mem = NULL;
}

/*
 * The library guarantees offset + len <= size and, for READ/WRITE,
 * len <= max_io: no checks needed.  Requests of different queues run
 * concurrently; they touch disjoint bytes unless the block layer sends
 * overlapping I/O, whose result is undefined on any disk.
 */
static int rd_read(void *ctx, void *buf, uint64_t offset, uint32_t len,
		   const struct bdus_req *req)
{
	struct ramdisk *rd = ctx;

	(void)req;
	memcpy(buf, rd->mem + offset, len);
	return 0;
}

static int rd_write(void *ctx, const void *buf, uint64_t offset, uint32_t len,
		    const struct bdus_req *req)
{
	struct ramdisk *rd = ctx;

	(void)req;
	memcpy(rd->mem + offset, buf, len);
	return 0;
}

/* Memory has no cache to flush; advertising flush (+FUA) is harmless. */
static int rd_flush(void *ctx, const struct bdus_req *req)
{
	(void)ctx;
	(void)req;
	return 0;
}

/*
 * Zero [offset, offset + len) and give whole pages back to the kernel:
 * MADV_DONTNEED on a private anonymous mapping makes them read as zeroes.
 */
static void rd_zero_and_free(struct ramdisk *rd, uint64_t offset, uint64_t len)
{
	uint64_t end = offset + len;
	uint64_t pstart = (offset + rd->page - 1) / rd->page * rd->page;
	uint64_t pend = end / rd->page * rd->page;

	if (pstart >= pend) {
		memset(rd->mem + offset, 0, (size_t)len);
		return;
	}
	memset(rd->mem + offset, 0, (size_t)(pstart - offset));
	if (madvise(rd->mem + pstart, (size_t)(pend - pstart), MADV_DONTNEED))
		memset(rd->mem + pstart, 0, (size_t)(pend - pstart));
	memset(rd->mem + pend, 0, (size_t)(end - pend));
}

static int rd_discard(void *ctx, uint64_t offset, uint32_t len,
		      const struct bdus_req *req)
{
	(void)req;
	rd_zero_and_free(ctx, offset, len);
	return 0;
}

static int rd_write_zeroes(void *ctx, uint64_t offset, uint32_t len,
			   const struct bdus_req *req)
{
	struct ramdisk *rd = ctx;

	/* NOUNMAP: the range must stay allocated. */
	if (req->flags & BUSE_IO_F_NOUNMAP)
		memset(rd->mem + offset, 0, len);
	else
		rd_zero_and_free(rd, offset, len);
	return 0;
}

const struct storage_engine ramdisk_engine = {
	.name = "ramdisk",
	.flags = BDUS_ENGINE_F_FUA,
	.open = rd_open,
	.close = rd_close,
	.read = rd_read,
	.write = rd_write,
	.flush = rd_flush,
	.discard = rd_discard,
	.write_zeroes = rd_write_zeroes,
};
