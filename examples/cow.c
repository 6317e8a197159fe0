// SPDX-License-Identifier: MIT
/*
 * cow - a copy-on-write overlay over another engine (the kit's "cow"
 * filter, kit.h): a read-only image (a file, a URL, an NBD export) used
 * read-write, the changes kept in local files across runs, or thrown away.
 *
 * The engine below is only ever read.  Every block written goes to the
 * overlay, a sparse local file of the device's size, and a bitmap file
 * (kit_bitmap.h) records which blocks of the overlay are valid: a READ
 * takes those from the overlay and the others from below.  The unit is
 * the cow block (--block-size, 4 KiB by default): a write that covers a
 * block only in part first copies the whole block up from below (a fill),
 * then writes its own bytes.  DISCARD and WRITE_ZEROES zero the range in
 * the overlay (holes where they can), so it reads as zeroes.  FLUSH and
 * FUA make the overlay durable, then the bitmap; nothing is passed down.
 *
 * --temporary instead keeps both files unlinked in $TMPDIR (or /var/tmp):
 * the changes vanish when the program stops.  Otherwise remove the two
 * files to throw the changes away, or keep them to see the changes again
 * over the same engine (the bitmap records the engine's identity, and is
 * refused over another one).
 *
 * Build (from the top of the tree):
 *     make examples
 * Run (as root; buse.ko loaded):
 *     examples/cow --overlay /var/tmp/o.img --bitmap /var/tmp/o.bmp \
 *             --create -- file base.img
 *     examples/cow --temporary --create \
 *             -- http https://example.org/disk.img
 *     examples/cow --help
 *
 * How the requests run (one state machine per queue and tag, struct
 * cow_io): the callback does what it can with the local files and calls
 * bdus_next() for what only the engine below has (a run of absent blocks
 * of a READ, the fill of a partial block); when that returns BDUS_ASYNC
 * (an http or nbd engine answers from a thread of its own) the callback
 * returns BDUS_ASYNC and the filter's complete hook, cow_complete(),
 * takes the machine on from there, on the answering thread.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bdus.h>
#include <bdus_cli.h>

#include "kit.h"
#include "kit_bitmap.h"

#define COW_DEF_BLOCK 4096u
#define COW_MIN_BLOCK 512u
#define COW_MAX_BLOCK (1u << 20)
#define COW_STRIPES 64 /* bits of a uint64_t: see cow_absent_stripes() */

/* struct option.val of the long-only options. */
enum {
	COW_OPT_OVERLAY = 640,
	COW_OPT_BITMAP,
	COW_OPT_TEMPORARY,
	COW_OPT_BLOCK_SIZE,
};

/* cow_io.op */
enum {
	COW_READ,
	COW_WRITE,
	COW_ZERO, /* DISCARD and WRITE_ZEROES */
};

/*
 * A request in progress, one per (queue, tag).  Only one party touches it
 * at a time: the callback until bdus_next() returns BDUS_ASYNC, then the
 * complete hook (which may call bdus_next() again, and so on).
 */
struct cow_io {
	const struct bdus_req *req;
	uint32_t op;  /* COW_* */
	uint64_t off; /* the request's range */
	uint64_t end;
	/* READ: the first byte not served yet. */
	uint64_t pos;
	/* WRITE, ZERO: the partially covered blocks to fill first. */
	uint64_t fill[2];
	unsigned int nfill, fi; /* fill[fi] is the current one */
	bool filling;		/* fill[fi] is being read from below */
	uint64_t fill_pos;	/* its next byte to read, */
	uint64_t fill_end;	/* and its end */
	unsigned char *bounce;	/* a block, page-aligned; on first fill */
	/* The bdus_next() READ asked of the engine below. */
	void *nbuf;
	uint64_t noff;
	uint32_t nlen;
};

struct cow {
	/* Options. */
	const char *overlay_path;
	const char *bitmap_path;
	bool temporary;
	uint32_t block_size; /* 0 until setup(): COW_DEF_BLOCK */

	/* From setup() to teardown(). */
	unsigned int shift; /* log2(block_size) */
	uint64_t size;	    /* the engine below's */
	int fd;		    /* the overlay */
	struct kit_bitmap *bm;
	/*
	 * Held while writing the overlay over blocks that are not present
	 * yet, up to setting their bits: see "Concurrency" below.
	 */
	pthread_mutex_t stripe[COW_STRIPES];
	bool stripes_init;
	struct storage_engine stack_engine;
	void *stack_ctx;

	/* From open() to close(). */
	uint64_t dev_size;
	uint32_t chunk; /* the longest READ below: max_io, whole blocks */
	uint32_t nr_queues;
	uint32_t depth;
	struct cow_io *ios; /* [nr_queues][depth] */
};

/*
 * Concurrency.  Requests of different tags run at once (other queues'
 * threads, and the complete hooks of async requests), and the block layer
 * may send two writes into one cow block at the same time (two 512-byte
 * writes into one 4 KiB block).  A fill must then never overwrite what
 * the other write put there.  The rules:
 *
 *   - A fill reads the block from below without any lock (that may take
 *     long, and BDUS_ASYNC), into its own bounce buffer; then, holding
 *     the block's stripe mutex, writes it to the overlay and sets the
 *     block's bit only if the bit is still clear.  Once set, a bit stays
 *     set, and no fill touches the block again.
 *   - Every other overlay write to a block whose bit is clear (a write
 *     or a zeroing that covers the block whole) holds the block's stripe
 *     mutex from the write to the setting of the bit, so no fill can
 *     land in between and undo it.
 *   - A write into a block whose bit is set needs no lock: fills leave
 *     it alone, and disjoint bytes of a file can be written at once.
 *   - A partial block's own bytes are written after its fill (or after
 *     finding its bit set), so they always land over the copied block.
 *
 * So the two 512-byte writes each read the block from below; the first
 * to finish copies it up, the second finds the bit set and drops its
 * copy; each then writes its own 512 bytes.  No mutex is held across the
 * wait for the engine below, nor while calling it; one that is held
 * covers a pwrite() and a few bits, and mutexes are taken in ascending
 * stripe order (a whole-block write may need several), so none waits for
 * another in a cycle.  A READ takes no lock: it sees a bit set only after
 * the block's data is in the overlay (and reads racing writes of the same
 * bytes may see either, as on any disk).
 */

/* ------------------------------------------------------------------------
 * Blocks and the overlay file
 */

static uint64_t cow_block_start(const struct cow *c, uint64_t b)
{
	return b << c->shift;
}

/*
 * The end of block b on the device (the last one may be short).  A device
 * shorter than the engine below (whole logical blocks of it) copies up
 * only its own part of the last block: a later run over a longer device
 * would read zeroes past this one's end in that block.
 */
static uint64_t cow_block_end(const struct cow *c, uint64_t b)
{
	uint64_t e = (b + 1) << c->shift;

	return e < c->dev_size ? e : c->dev_size;
}

/* Whether [off, end) covers block b only in part. */
static bool cow_partial(const struct cow *c, uint64_t b, uint64_t off,
			uint64_t end)
{
	return off > cow_block_start(c, b) || end < cow_block_end(c, b);
}

static int cow_pread(struct cow *c, void *buf, uint64_t len, uint64_t off)
{
	ssize_t n;

	while (len) {
		n = pread(c->fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {
			/* Past the end of the overlay: never written. */
			memset(buf, 0, len);
			return 0;
		}
		buf = (char *)buf + n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int cow_pwrite(struct cow *c, const void *buf, uint64_t len,
		      uint64_t off)
{
	ssize_t n;

	while (len) {
		n = pwrite(c->fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		buf = (const char *)buf + n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/*
 * Makes [off, off + len) of the overlay read as zeroes: a hole, or with
 * keep (WRITE_ZEROES with BUSE_IO_F_NOUNMAP) zeroes that stay allocated;
 * written zeroes if the file system has neither.
 */
static int cow_zero(struct cow *c, uint64_t off, uint64_t len, bool keep)
{
	static char zeroes[65536]; /* .bss; never written */
	int mode = FALLOC_FL_KEEP_SIZE |
		   (keep ? FALLOC_FL_ZERO_RANGE : FALLOC_FL_PUNCH_HOLE);
	uint64_t n;
	int ret;

	if (!fallocate(c->fd, mode, (off_t)off, (off_t)len))
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOSYS)
		return -errno;
	while (len) {
		n = len < sizeof(zeroes) ? len : sizeof(zeroes);
		ret = cow_pwrite(c, zeroes, n, off);
		if (ret)
			return ret;
		off += n;
		len -= n;
	}
	return 0;
}

/* The stripes of the blocks of [first, last] whose bit is clear. */
static uint64_t cow_absent_stripes(const struct cow *c, uint64_t first,
				   uint64_t last)
{
	uint64_t b, mask = 0;

	for (b = first; b <= last && mask != UINT64_MAX; b++)
		if (!kit_bitmap_test(c->bm, b))
			mask |= 1ull << (b % COW_STRIPES);
	return mask;
}

/* Ascending, so that no two requests wait for each other. */
static void cow_lock(struct cow *c, uint64_t mask)
{
	unsigned int i;

	for (i = 0; i < COW_STRIPES; i++)
		if (mask & (1ull << i))
			pthread_mutex_lock(&c->stripe[i]);
}

static void cow_unlock(struct cow *c, uint64_t mask)
{
	unsigned int i;

	for (i = COW_STRIPES; i-- > 0;)
		if (mask & (1ull << i))
			pthread_mutex_unlock(&c->stripe[i]);
}

/* The block read from below (len bytes) into the overlay, if still absent. */
static int cow_fill_commit(struct cow *c, uint64_t b, const void *data,
			   uint64_t len)
{
	uint64_t mask = 1ull << (b % COW_STRIPES);
	int ret = 0;

	cow_lock(c, mask);
	if (!kit_bitmap_test(c->bm, b)) {
		ret = cow_pwrite(c, data, len, cow_block_start(c, b));
		if (!ret)
			kit_bitmap_set(c->bm, b, 1);
	}
	cow_unlock(c, mask);
	return ret;
}

/* ------------------------------------------------------------------------
 * The state machine of a request
 */

/*
 * A READ's next step: serves runs of present blocks from the overlay
 * until it meets a run of absent ones, which it sets up as io->n* (false),
 * or the end (true, *res is the result).
 */
static bool cow_read_step(struct cow *c, struct cow_io *io, int *res)
{
	char *buf = io->req->buf;
	uint64_t b, e;
	bool here;
	int ret;

	while (io->pos < io->end) {
		b = io->pos >> c->shift;
		here = kit_bitmap_test(c->bm, b);
		/* The longest run of blocks alike (bounded by the request). */
		do {
			e = (b + 1) << c->shift;
			b++;
		} while (e < io->end && kit_bitmap_test(c->bm, b) == here);
		if (e > io->end)
			e = io->end;
		if (!here) {
			io->nbuf = buf + (io->pos - io->off);
			io->noff = io->pos;
			io->nlen = (uint32_t)(e - io->pos);
			return false;
		}
		ret = cow_pread(c, buf + (io->pos - io->off), e - io->pos,
				io->pos);
		if (ret) {
			*res = ret;
			return true;
		}
		io->pos = e;
	}
	*res = 0;
	return true;
}

/* The request's own data (or zeroes) into the overlay, once filled. */
static int cow_write_data(struct cow *c, struct cow_io *io)
{
	const struct bdus_req *req = io->req;
	uint64_t first = io->off >> c->shift;
	uint64_t last = (io->end - 1) >> c->shift;
	uint64_t mask = cow_absent_stripes(c, first, last);
	int ret;

	cow_lock(c, mask);
	if (io->op == COW_WRITE)
		ret = cow_pwrite(c, req->buf, io->end - io->off, io->off);
	else
		ret = cow_zero(c, io->off, io->end - io->off,
			       req->op == BUSE_OP_WRITE_ZEROES &&
				       (req->flags & BUSE_IO_F_NOUNMAP));
	if (!ret)
		kit_bitmap_set(c->bm, first, last - first + 1);
	cow_unlock(c, mask);
	if (!ret && (req->flags & BUSE_IO_F_FUA) && !c->temporary)
		ret = kit_bitmap_sync(c->bm);
	return ret;
}

/*
 * A WRITE's or a zeroing's next step: fills its partial blocks one by
 * one, each in reads of at most c->chunk bytes set up as io->n* (false),
 * then writes its data (true, *res is the result).
 */
static bool cow_write_step(struct cow *c, struct cow_io *io, int *res)
{
	uint64_t b, start, len;
	int ret;

	while (io->fi < io->nfill) {
		b = io->fill[io->fi];
		start = cow_block_start(c, b);
		if (!io->filling) {
			/* Filled meanwhile by another request? */
			if (kit_bitmap_test(c->bm, b)) {
				io->fi++;
				continue;
			}
			io->filling = true;
			io->fill_pos = start;
			io->fill_end = cow_block_end(c, b);
		}
		if (io->fill_pos < io->fill_end) {
			len = io->fill_end - io->fill_pos;
			io->nbuf = io->bounce + (io->fill_pos - start);
			io->noff = io->fill_pos;
			io->nlen = (uint32_t)(len < c->chunk ? len : c->chunk);
			return false;
		}
		io->filling = false;
		io->fi++;
		ret = cow_fill_commit(c, b, io->bounce, io->fill_end - start);
		if (ret) {
			*res = ret;
			return true;
		}
	}
	*res = cow_write_data(c, io);
	return true;
}

/*
 * The engine below answered the READ io->n* with r: false to go on, or
 * true with *res the request's result.
 */
static bool cow_answered(struct cow_io *io, int r, int *res)
{
	if (r == 0 || r == (int)io->nlen) {
		if (io->op == COW_READ)
			io->pos += io->nlen;
		else
			io->fill_pos += io->nlen;
		return false;
	}
	if (r > 0 && r < (int)io->nlen && io->op == COW_READ) {
		/* Partial: what came before, and r bytes of this run. */
		*res = (int)(io->noff - io->off) + r;
		return true;
	}
	/* A fill needs the whole block. */
	*res = r < 0 ? r : -EIO;
	return true;
}

/* Runs io until it is done (its result) or waits below (BDUS_ASYNC). */
static int cow_run(struct cow *c, struct cow_io *io)
{
	int r, res;

	for (;;) {
		if (io->op == COW_READ ? cow_read_step(c, io, &res)
				       : cow_write_step(c, io, &res))
			return res;
		r = bdus_next(io->req, BUSE_OP_READ, io->nbuf, io->noff,
			      io->nlen);
		/* The hook may be running already: io is not ours anymore. */
		if (r == BDUS_ASYNC)
			return BDUS_ASYNC;
		if (cow_answered(io, r, &res))
			return res;
	}
}

static struct cow_io *cow_io_of(struct cow *c, const struct bdus_req *req)
{
	if (!c->ios || req->queue >= c->nr_queues || req->tag >= c->depth)
		return NULL;
	return &c->ios[(size_t)req->queue * c->depth + req->tag];
}

/* The filter's complete hook: the engine below answered asynchronously. */
static int cow_complete(void *ctx, const struct bdus_req *req, int result)
{
	struct cow *c = ctx;
	struct cow_io *io = cow_io_of(c, req);
	int res;

	if (!io)
		return -EIO;
	if (cow_answered(io, result, &res))
		return res;
	return cow_run(c, io);
}

static int cow_start(struct cow *c, const struct bdus_req *req, uint32_t op,
		     uint64_t off, uint32_t len)
{
	struct cow_io *io = cow_io_of(c, req);
	uint64_t hb, tb;
	void *p;

	if (!io)
		return -EIO;
	io->req = req;
	io->op = op;
	io->off = off;
	io->end = off + len;
	io->pos = off;
	io->nfill = 0;
	io->fi = 0;
	io->filling = false;
	if (op == COW_READ)
		return cow_run(c, io);
	hb = off >> c->shift;
	tb = (io->end - 1) >> c->shift;
	if (cow_partial(c, hb, off, io->end) && !kit_bitmap_test(c->bm, hb))
		io->fill[io->nfill++] = hb;
	if (tb != hb && cow_partial(c, tb, off, io->end) &&
	    !kit_bitmap_test(c->bm, tb))
		io->fill[io->nfill++] = tb;
	if (io->nfill && !io->bounce) {
		/* Aligned: the engine below may read with O_DIRECT. */
		if (posix_memalign(&p, 4096, c->block_size))
			return -ENOMEM;
		io->bounce = p;
	}
	return cow_run(c, io);
}

/* ------------------------------------------------------------------------
 * The filter's callbacks
 */

static int cow_read(void *ctx, void *buf, uint64_t off, uint32_t len,
		    const struct bdus_req *req)
{
	(void)buf;
	return cow_start(ctx, req, COW_READ, off, len);
}

static int cow_write(void *ctx, const void *buf, uint64_t off, uint32_t len,
		     const struct bdus_req *req)
{
	(void)buf;
	return cow_start(ctx, req, COW_WRITE, off, len);
}

static int cow_zeroes(void *ctx, uint64_t off, uint32_t len,
		      const struct bdus_req *req)
{
	return cow_start(ctx, req, COW_ZERO, off, len);
}

/* The engine below is never written: nothing to pass down. */
static int cow_flush(void *ctx, const struct bdus_req *req)
{
	struct cow *c = ctx;

	(void)req;
	/* Temporary files do not outlive the program: nothing to keep. */
	return c->temporary ? 0 : kit_bitmap_sync(c->bm);
}

static int cow_open(void *ctx, const struct bdus_dev *dev)
{
	struct cow *c = ctx;
	uint32_t lbs = dev->logical_block_size;
	size_t n = (size_t)dev->nr_queues * dev->queue_depth;

	if (lbs > c->block_size) {
		kit_err("cow",
			"the device's logical block size %u is larger than "
			"the cow block size %u (--block-size)",
			lbs, c->block_size);
		return -EINVAL;
	}
	if (dev->size > c->size) {
		kit_err("cow",
			"the device has %" PRIu64
			" bytes, the engine below only %" PRIu64,
			dev->size, c->size);
		return -EINVAL;
	}
	c->ios = calloc(n ? n : 1, sizeof(*c->ios));
	if (!c->ios)
		return -ENOMEM;
	c->dev_size = dev->size;
	c->chunk = dev->max_io / lbs * lbs;
	if (!c->chunk)
		c->chunk = lbs;
	c->nr_queues = dev->nr_queues;
	c->depth = dev->queue_depth;
	return 0;
}

static void cow_close(void *ctx, const struct bdus_dev *dev)
{
	struct cow *c = ctx;
	size_t i;

	for (i = 0; c->ios && i < (size_t)dev->nr_queues * dev->queue_depth;
	     i++)
		free(c->ios[i].bounce);
	free(c->ios);
	c->ios = NULL;
}

/*
 * No cancel: the stack passes it down (bdus_next_cancel()); the late
 * answer still comes to cow_complete().  Secure erase is hidden (it
 * would reach the engine below).
 */
static const struct storage_engine cow_engine = {
	.name = "cow",
	.flags = BDUS_ENGINE_F_FUA,
	.open = cow_open,
	.close = cow_close,
	.read = cow_read,
	.write = cow_write,
	.flush = cow_flush,
	.discard = cow_zeroes,
	.write_zeroes = cow_zeroes,
};

/* ------------------------------------------------------------------------
 * Setting up
 */

static const struct option cow_opts[] = {
	{ "overlay", required_argument, NULL, COW_OPT_OVERLAY },
	{ "bitmap", required_argument, NULL, COW_OPT_BITMAP },
	{ "temporary", no_argument, NULL, COW_OPT_TEMPORARY },
	{ "block-size", required_argument, NULL, COW_OPT_BLOCK_SIZE },
	{ NULL, 0, NULL, 0 },
};

static int cow_parse(void *ctx, int opt, const char *arg, const char **valid)
{
	struct cow *c = ctx;
	uint32_t v;
	int ret;

	switch (opt) {
	case COW_OPT_OVERLAY:
		c->overlay_path = arg;
		return 0;
	case COW_OPT_BITMAP:
		c->bitmap_path = arg;
		return 0;
	case COW_OPT_TEMPORARY:
		c->temporary = true;
		return 0;
	case COW_OPT_BLOCK_SIZE:
		*valid = "a power of two from 512 to 1M";
		ret = bdus_parse_size32(arg, &v);
		if (ret)
			return ret;
		if (v < COW_MIN_BLOCK || v > COW_MAX_BLOCK || (v & (v - 1)))
			return -EINVAL;
		c->block_size = v;
		return 0;
	default:
		return -EINVAL;
	}
}

static const char *cow_tmpdir(void)
{
	const char *d = getenv("TMPDIR");

	return d && *d ? d : "/var/tmp";
}

/* An unlinked overlay in dir, or -1 (errno set). */
static int cow_tmp_overlay(const char *dir)
{
	char path[PATH_MAX];
	int fd;

	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR))
		return fd;
	/* No O_TMPFILE there: a named file, unlinked at once. */
	if (snprintf(path, sizeof(path), "%s/buse-cow-XXXXXX", dir) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	return fd;
}

/* Opens the overlay (and locks it); 0 or -1 after a message. */
static int cow_open_overlay(struct cow *c, bool *was_empty)
{
	const char *path = c->temporary ? cow_tmpdir() : c->overlay_path;
	struct stat st;

	if (c->temporary)
		c->fd = cow_tmp_overlay(path);
	else
		c->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (c->fd < 0) {
		kit_err("cow", "cannot %s %s: %s",
			c->temporary ? "create an overlay in" : "open", path,
			strerror(errno));
		return -1;
	}
	if (flock(c->fd, LOCK_EX | LOCK_NB)) {
		kit_err("cow", "%s: %s", path,
			errno == EWOULDBLOCK ? "in use by another program"
					     : strerror(errno));
		return -1;
	}
	if (fstat(c->fd, &st)) {
		kit_err("cow", "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		kit_err("cow", "%s is not a regular file", path);
		return -1;
	}
	*was_empty = st.st_size == 0;
	/* Sparse: only the blocks written take room. */
	if ((uint64_t)st.st_size < c->size &&
	    ftruncate(c->fd, (off_t)c->size)) {
		kit_err("cow", "cannot extend %s to %" PRIu64 " bytes: %s",
			path, c->size, strerror(errno));
		return -1;
	}
	return 0;
}

/* Opens the bitmap (unlinked with --temporary); 0 or -1 after a message. */
static int cow_open_bitmap(struct cow *c, const char *ident)
{
	char path[PATH_MAX];
	int fd, ret;

	if (!c->temporary)
		return kit_bitmap_open(&c->bm, "cow", c->bitmap_path, "cow",
				       c->block_size, c->size, ident, c->fd);
	/* kit_bitmap_open() wants a name: a fresh one, unlinked at once. */
	if (snprintf(path, sizeof(path), "%s/buse-cow-bmp-XXXXXX",
		     cow_tmpdir()) >= (int)sizeof(path)) {
		kit_err("cow", "%s: %s", cow_tmpdir(), strerror(ENAMETOOLONG));
		return -1;
	}
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		kit_err("cow", "cannot create a bitmap in %s: %s", cow_tmpdir(),
			strerror(errno));
		return -1;
	}
	ret = kit_bitmap_open(&c->bm, "cow", path, "cow", c->block_size,
			      c->size, ident, c->fd);
	unlink(path);
	close(fd);
	return ret;
}

static void cow_cleanup(struct cow *c)
{
	int i;

	bdus_filter_free(c->stack_ctx);
	c->stack_ctx = NULL;
	/* Thrown away: nothing for the last sync to write. */
	if (c->temporary && c->fd >= 0)
		(void)!ftruncate(c->fd, 0);
	kit_bitmap_close(c->bm);
	c->bm = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->stripes_init)
		for (i = 0; i < COW_STRIPES; i++)
			pthread_mutex_destroy(&c->stripe[i]);
	c->stripes_init = false;
}

static int cow_setup(void *ctx, const char *arg, const struct kit_source *in,
		     struct kit_source *src)
{
	struct cow *c = ctx;
	bool was_empty = false;
	struct stat st;
	size_t n, m;
	int i, ret;

	(void)arg;
	c->fd = -1;
	if (!in) {
		kit_err("cow", "needs an engine below it: -- ENGINE ...");
		return -1;
	}
	if (c->temporary ? c->overlay_path || c->bitmap_path
			 : !c->overlay_path || !c->bitmap_path) {
		kit_err("cow", "give --overlay FILE and --bitmap FILE, or "
			       "--temporary (not both)");
		return -1;
	}
	if (!c->block_size)
		c->block_size = COW_DEF_BLOCK;
	c->shift = (unsigned int)__builtin_ctz(c->block_size);
	c->size = in->size;
	for (i = 0; i < COW_STRIPES; i++)
		pthread_mutex_init(&c->stripe[i], NULL);
	c->stripes_init = true;

	if (cow_open_overlay(c, &was_empty) || cow_open_bitmap(c, in->ident))
		goto fail;
	/* A bitmap with blocks over an empty overlay is another's. */
	if (was_empty && kit_bitmap_count(c->bm)) {
		kit_err("cow",
			"%s records %" PRIu64
			" blocks written but the overlay %s is empty: not "
			"its overlay (remove both to start afresh)",
			c->bitmap_path, kit_bitmap_count(c->bm),
			c->overlay_path);
		goto fail;
	}
	ret = bdus_filter_compose(
		&(struct bdus_filter){
			.engine = &cow_engine,
			.ctx = c,
			.inner = in->engine,
			.inner_ctx = in->ctx,
			.complete = cow_complete,
			.hide_ops = BUSE_OP_BIT(BUSE_OP_SECURE_ERASE),
		},
		&c->stack_engine, &c->stack_ctx);
	if (ret) {
		kit_err("cow", "cannot stack over %s: %s", in->ident,
			strerror(-ret));
		goto fail;
	}
	/*
	 * What this serves: the engine below as the overlay changed it.  A
	 * temporary overlay is new every run (a cache above must not keep
	 * its blocks), a kept one is the file (device, inode).
	 */
	if (c->temporary || fstat(c->fd, &st))
		snprintf(src->ident, sizeof(src->ident),
			 "cow temporary pid=%ld time=%lld over ",
			 (long)getpid(), (long long)time(NULL));
	else
		snprintf(src->ident, sizeof(src->ident),
			 "cow overlay dev=%ju ino=%ju over ",
			 (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	/* A long identity is cut: still as good a key. */
	n = strlen(src->ident);
	m = strnlen(in->ident, sizeof(in->ident));
	if (m > sizeof(src->ident) - 1 - n)
		m = sizeof(src->ident) - 1 - n;
	memcpy(src->ident + n, in->ident, m);
	src->ident[n + m] = '\0';
	src->size = in->size;
	src->read_only = false;
	src->engine = &c->stack_engine;
	src->ctx = c->stack_ctx;
	return 0;

fail:
	cow_cleanup(c);
	return -1;
}

static void cow_teardown(void *ctx)
{
	cow_cleanup(ctx);
}

const struct kit_engine kit_cow = {
	.name = "cow",
	.arg_name = NULL,
	.summary = "a copy-on-write overlay in local files over the engine "
		   "below",
	.help = "      --overlay FILE       (cow) the blocks written, in a "
		"sparse file\n"
		"      --bitmap FILE        (cow) which blocks the overlay "
		"holds\n"
		"      --temporary          (cow) both unlinked in $TMPDIR "
		"or /var/tmp: the\n"
		"                           changes are dropped at exit\n"
		"      --block-size SIZE    (cow) the copy-on-write unit, a "
		"power of two from\n"
		"                           512 to 1M (default 4K)\n",
	.longopts = cow_opts,
	.ctx_size = sizeof(struct cow),
	.parse = cow_parse,
	.setup = cow_setup,
	.teardown = cow_teardown,
};
