// SPDX-License-Identifier: MIT
/*
 * cache - a filter that keeps the blocks its inner engine served in a
 * local sparse file, with an on-disk bitmap of which blocks are there.
 *
 * The first read of a block goes to the engine below (an http URL, an NBD
 * export, an image file); the block (--block-size, 64 KiB by default) is
 * stored in the cache file and later reads come from there.  Both files
 * are kept: the next run with the same files and the same inner engine
 * reads from the cache at once.  The bitmap file's header records the
 * inner engine's identity (URL, size, ETag...), block size and size: a
 * mismatch is refused with a message, never served stale.  Crash-safe:
 * a block's bit reaches the bitmap file only after the cache file was
 * made durable with its data (every second, at FLUSH and at exit).
 *
 * Modes: read-only (default; the device is read-only) and
 * --write-through (writes go to the engine below, and into the cached
 * blocks; discards and write-zeroes are not offered, since the cache
 * could not follow them).  --offline serves an existing cache without
 * the engine below, which is named but neither set up nor contacted (no
 * network): the size and identity come from the bitmap's header, whose
 * engine must be of the kind named; reads of blocks not cached fail with
 * EIO.  The device is read-only.
 *
 * Build (from the top of the tree):
 *     make examples
 * Run (as root; buse.ko loaded):
 *     examples/cache --cache /var/tmp/d.cache --bitmap /var/tmp/d.bmp \
 *             --create -- http https://example.org/disk.img
 *     examples/cache --cache C --bitmap B --write-through 3 \
 *             -- nbd nbd://server/export
 *     examples/cache --help
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bdus.h>
#include <bdus_cli.h>

#include "kit.h"
#include "kit_bitmap.h"

#define CACHE_DEF_BLOCK (64u * 1024)
#define CACHE_MAX_FETCH (256u * 1024) /* bytes fetched below at once */

/* The request of one (queue, tag), across its steps. */
struct cache_op {
	char *buf; /* the request's */
	uint64_t off;
	uint32_t len;
	bool write;
	uint64_t pos; /* READ: bytes before pos are in buf */
	/* The fetch below in progress. */
	uint64_t fstart;
	uint32_t flen;
	uint32_t *gens; /* the blocks' generations when it started */
	char *bounce;
};

struct cache {
	/* Options. */
	const char *cache_path, *bitmap_path;
	uint32_t bs;
	bool write_through;
	bool offline;
	/* --offline: what the bitmap records, served in place of below. */
	struct kit_source recorded;
	/* Set up. */
	const struct kit_source *inner;
	int fd;
	struct kit_bitmap *bm;
	uint64_t size;	   /* the engine below's */
	uint64_t dev_size; /* the device's: fetches end there */
	struct storage_engine stack;
	void *stack_ctx;
	/*
	 * gen[b] counts the writes that reached block b; a fetch stores a
	 * block only if its generation did not move meanwhile (it may have
	 * read what a write replaced).  lock protects gen, and orders
	 * storing fetched blocks against writes into cached ones.
	 */
	pthread_mutex_t lock;
	uint32_t *gen;
	/* From open() to close(). */
	struct cache_op *ops; /* [nr_queues * depth] */
	uint32_t depth, nops, fetch_max;
	char *bounce_area;
	size_t bounce_len;
	pthread_t flusher;
	bool flusher_started;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	bool stop;
	bool dirty; /* __atomic: bits set since the last sync */
	bool warned_store;
	/* Statistics; __atomic. */
	uint64_t hit_bytes, fetched_bytes;
};

enum {
	CACHE_OPT_CACHE = 680,
	CACHE_OPT_BITMAP,
	CACHE_OPT_BLOCK_SIZE,
	CACHE_OPT_WRITE_THROUGH,
	CACHE_OPT_OFFLINE,
};

static const struct option cache_opts[] = {
	{ "cache", required_argument, NULL, CACHE_OPT_CACHE },
	{ "bitmap", required_argument, NULL, CACHE_OPT_BITMAP },
	{ "block-size", required_argument, NULL, CACHE_OPT_BLOCK_SIZE },
	{ "write-through", no_argument, NULL, CACHE_OPT_WRITE_THROUGH },
	{ "offline", no_argument, NULL, CACHE_OPT_OFFLINE },
	{ NULL, 0, NULL, 0 },
};

static int cache_parse(void *ctx, int opt, const char *arg, const char **valid)
{
	struct cache *c = ctx;
	uint32_t v;
	int ret;

	switch (opt) {
	case CACHE_OPT_CACHE:
		c->cache_path = arg;
		return 0;
	case CACHE_OPT_BITMAP:
		c->bitmap_path = arg;
		return 0;
	case CACHE_OPT_WRITE_THROUGH:
		c->write_through = true;
		return 0;
	case CACHE_OPT_OFFLINE:
		c->offline = true;
		return 0;
	case CACHE_OPT_BLOCK_SIZE:
		ret = bdus_parse_size32(arg, &v);
		if (ret)
			return ret;
		if (v < 512 || v > 16u << 20 || (v & (v - 1))) {
			*valid = "a power of two from 512 to 16M";
			return -EINVAL;
		}
		c->bs = v;
		return 0;
	}
	return -EINVAL;
}

static struct cache_op *cache_op_of(struct cache *c, const struct bdus_req *r)
{
	if (!c->ops || r->queue >= c->nops / c->depth || r->tag >= c->depth)
		return NULL;
	return &c->ops[(size_t)r->queue * c->depth + r->tag];
}

/* ------------------------------------------------------------------------
 * Reading: from the cache file, or fetched below and stored
 */

/* All of [off, off + len) of the cache file: 0 or -errno. */
static int cache_io(struct cache *c, bool wr, char *buf, uint64_t off,
		    uint64_t len)
{
	ssize_t n;

	while (len) {
		n = wr ? pwrite(c->fd, buf, len, (off_t)off)
		       : pread(c->fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int cache_pread(struct cache *c, char *buf, uint64_t off, uint64_t len)
{
	return cache_io(c, false, buf, off, len);
}

static int cache_pwrite(struct cache *c, const char *buf, uint64_t off,
			uint64_t len)
{
	return cache_io(c, true, (char *)buf, off, len);
}

/* Store the fetched blocks whose generation did not move; under lock. */
static void cache_store(struct cache *c, struct cache_op *op)
{
	uint64_t b0 = op->fstart / c->bs, nb = (op->flen + c->bs - 1) / c->bs;
	uint64_t i, j, start, end;
	int ret;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < nb; i = j) {
		if (c->gen[b0 + i] != op->gens[i] ||
		    kit_bitmap_test(c->bm, b0 + i)) {
			j = i + 1;
			continue;
		}
		for (j = i + 1; j < nb && c->gen[b0 + j] == op->gens[j] &&
				!kit_bitmap_test(c->bm, b0 + j);
		     j++)
			;
		start = (b0 + i) * c->bs;
		end = (b0 + j) * c->bs;
		if (end > op->fstart + op->flen)
			end = op->fstart + op->flen;
		ret = cache_pwrite(c, op->bounce + (start - op->fstart), start,
				   end - start);
		if (ret) {
			if (!c->warned_store)
				kit_err("cache",
					"cannot store in %s: %s (serving "
					"from below)",
					c->cache_path, strerror(-ret));
			c->warned_store = true;
			continue;
		}
		kit_bitmap_set(c->bm, b0 + i, j - i);
		__atomic_store_n(&c->dirty, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&c->lock);
}

/* The fetch of op answered with result: copy, store, move on. */
static int cache_fetched(struct cache *c, struct cache_op *op, int result)
{
	uint64_t end = op->off + op->len, fend = op->fstart + op->flen;
	uint64_t to = fend < end ? fend : end;

	/* A count of flen is success; a partial one fails the read. */
	if (result > 0)
		result = (uint32_t)result == op->flen ? 0 : -EIO;
	if (result)
		return result;
	memcpy(op->buf + (op->pos - op->off),
	       op->bounce + (op->pos - op->fstart), to - op->pos);
	__atomic_fetch_add(&c->fetched_bytes, to - op->pos, __ATOMIC_RELAXED);
	cache_store(c, op);
	op->pos = to;
	return 0;
}

/* Serve op's READ from pos on: 0, -errno, or BDUS_ASYNC (fetching). */
static int cache_step(struct cache *c, struct cache_op *op,
		      const struct bdus_req *req)
{
	uint64_t end = op->off + op->len, b, e, last, run_end;
	uint32_t i;
	int ret;

	while (op->pos < end) {
		b = op->pos / c->bs;
		last = (end - 1) / c->bs;
		if (kit_bitmap_test(c->bm, b)) {
			for (e = b + 1; e <= last && kit_bitmap_test(c->bm, e);
			     e++)
				;
			run_end = e * c->bs < end ? e * c->bs : end;
			ret = cache_pread(c, op->buf + (op->pos - op->off),
					  op->pos, run_end - op->pos);
			if (ret)
				return ret;
			__atomic_fetch_add(&c->hit_bytes, run_end - op->pos,
					   __ATOMIC_RELAXED);
			op->pos = run_end;
			continue;
		}
		/* Fetch whole blocks b..e-1 that are missing. */
		for (e = b + 1; e <= last && !kit_bitmap_test(c->bm, e) &&
				(e - b + 1) * c->bs <= c->fetch_max;
		     e++)
			;
		op->fstart = b * c->bs;
		op->flen = (uint32_t)((e - b) * c->bs);
		if (op->fstart + op->flen > c->dev_size)
			op->flen = (uint32_t)(c->dev_size - op->fstart);
		pthread_mutex_lock(&c->lock);
		for (i = 0; i < e - b; i++)
			op->gens[i] = c->gen[b + i];
		pthread_mutex_unlock(&c->lock);
		ret = bdus_next(req, BUSE_OP_READ, op->bounce, op->fstart,
				op->flen);
		if (ret == BDUS_ASYNC)
			return BDUS_ASYNC;
		ret = cache_fetched(c, op, ret);
		if (ret)
			return ret;
	}
	return 0;
}

static int cache_read(void *ctx, void *buf, uint64_t off, uint32_t len,
		      const struct bdus_req *req)
{
	struct cache *c = ctx;
	struct cache_op *op = cache_op_of(c, req);

	if (!op)
		return -EIO;
	op->buf = buf;
	op->off = off;
	op->len = len;
	op->pos = off;
	op->write = false;
	return cache_step(c, op, req);
}

/* ------------------------------------------------------------------------
 * Writing through
 */

/* A write of [off, off + len) reached the engine below: follow it. */
static int cache_written(struct cache *c, const char *buf, uint64_t off,
			 uint32_t len, uint32_t flags)
{
	uint64_t b, first = off / c->bs, last = (off + len - 1) / c->bs;
	uint64_t s, e;
	int ret = 0, r;

	pthread_mutex_lock(&c->lock);
	for (b = first; b <= last; b++) {
		c->gen[b]++;
		if (!kit_bitmap_test(c->bm, b))
			continue;
		s = b * c->bs > off ? b * c->bs : off;
		e = (b + 1) * c->bs < off + len ? (b + 1) * c->bs : off + len;
		r = cache_pwrite(c, buf + (s - off), s, e - s);
		/* The cached block would be stale: the write fails. */
		if (r && !ret)
			ret = r;
	}
	pthread_mutex_unlock(&c->lock);
	if (!ret && (flags & BUSE_IO_F_FUA) && fdatasync(c->fd))
		ret = -errno;
	return ret;
}

/*
 * The engine below answered op's WRITE with result: the cached blocks
 * follow what it wrote (all of it for 0 or len, the first result bytes
 * for a partial count).  The request's result.
 */
static int cache_wrote(struct cache *c, const struct cache_op *op, int result,
		       uint32_t flags)
{
	uint32_t done = op->len;
	int ret;

	if (result < 0 || (uint32_t)result > op->len)
		return result;
	if (result > 0 && (uint32_t)result < op->len)
		done = (uint32_t)result;
	ret = cache_written(c, op->buf, op->off, done, flags);
	return ret ? ret : (done < op->len ? result : 0);
}

static int cache_write(void *ctx, const void *buf, uint64_t off, uint32_t len,
		       const struct bdus_req *req)
{
	struct cache *c = ctx;
	struct cache_op *op = cache_op_of(c, req);
	int ret;

	if (!c->write_through)
		return -EROFS;
	if (!op)
		return -EIO;
	op->buf = (char *)buf;
	op->off = off;
	op->len = len;
	op->write = true;
	ret = bdus_next(req, BUSE_OP_WRITE, (void *)buf, off, len);
	if (ret == BDUS_ASYNC)
		return ret;
	return cache_wrote(c, op, ret, req->flags);
}

static int cache_flush(void *ctx, const struct bdus_req *req)
{
	struct cache *c = ctx;
	int ret = kit_bitmap_sync(c->bm);

	if (ret)
		return ret;
	ret = bdus_next(req, BUSE_OP_FLUSH, NULL, 0, 0);
	return ret == -EOPNOTSUPP ? 0 : ret;
}

/* bdus_next() of req answered later with result. */
static int cache_complete(void *ctx, const struct bdus_req *req, int result)
{
	struct cache *c = ctx;
	struct cache_op *op = cache_op_of(c, req);
	int ret;

	if (!op)
		return -EIO;
	if (req->op == BUSE_OP_FLUSH)
		return result;
	if (op->write)
		return cache_wrote(c, op, result, req->flags);
	ret = cache_fetched(c, op, result);
	return ret ? ret : cache_step(c, op, req);
}

/* ------------------------------------------------------------------------
 * Open, close, the flusher
 */

static void *cache_flusher(void *arg)
{
	struct cache *c = arg;
	struct timespec ts;
	int ret;

	pthread_mutex_lock(&c->stop_lock);
	while (!c->stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&c->stop_cond, &c->stop_lock, &ts);
		if (c->stop ||
		    !__atomic_exchange_n(&c->dirty, false, __ATOMIC_ACQ_REL))
			continue;
		pthread_mutex_unlock(&c->stop_lock);
		ret = kit_bitmap_sync(c->bm);
		if (ret) {
			kit_err("cache", "cannot sync %s: %s", c->cache_path,
				strerror(-ret));
			__atomic_store_n(&c->dirty, true, __ATOMIC_RELEASE);
		}
		pthread_mutex_lock(&c->stop_lock);
	}
	pthread_mutex_unlock(&c->stop_lock);
	return NULL;
}

static void cache_close(void *ctx, const struct bdus_dev *dev);

static int cache_open(void *ctx, const struct bdus_dev *dev)
{
	struct cache *c = ctx;
	uint32_t i, per, nblk;
	void *area;
	int ret;

	if (c->bs < dev->logical_block_size) {
		kit_err("cache",
			"--block-size %u is below the device's "
			"logical block size %u",
			c->bs, dev->logical_block_size);
		return -EINVAL;
	}
	if (c->bs > dev->max_io) {
		kit_err("cache",
			"--block-size %u is above the device's max_io "
			"%u",
			c->bs, dev->max_io);
		return -EINVAL;
	}
	per = dev->max_io < CACHE_MAX_FETCH ? dev->max_io : CACHE_MAX_FETCH;
	per = per / c->bs * c->bs;
	if (per < c->bs)
		per = c->bs;
	c->fetch_max = per;
	c->dev_size = dev->size;
	nblk = per / c->bs;
	c->depth = dev->queue_depth;
	c->nops = dev->nr_queues * dev->queue_depth;
	c->ops = calloc(c->nops, sizeof(*c->ops));
	if (!c->ops)
		return -ENOMEM;
	/* Address space only: pages are used as fetches touch them. */
	c->bounce_len = (size_t)c->nops * per;
	area = mmap(NULL, c->bounce_len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED) {
		ret = -errno;
		goto fail;
	}
	c->bounce_area = area;
	for (i = 0; i < c->nops; i++) {
		c->ops[i].bounce = c->bounce_area + (size_t)i * per;
		c->ops[i].gens = calloc(nblk, sizeof(uint32_t));
		if (!c->ops[i].gens) {
			ret = -ENOMEM;
			goto fail;
		}
	}
	c->stop = false;
	pthread_mutex_init(&c->stop_lock, NULL);
	pthread_cond_init(&c->stop_cond, NULL);
	ret = pthread_create(&c->flusher, NULL, cache_flusher, c);
	if (ret) {
		ret = -ret;
		goto fail;
	}
	c->flusher_started = true;
	return 0;
fail:
	cache_close(c, dev);
	return ret;
}

static void cache_close(void *ctx, const struct bdus_dev *dev)
{
	struct cache *c = ctx;
	uint32_t i;

	(void)dev;
	if (c->flusher_started) {
		pthread_mutex_lock(&c->stop_lock);
		c->stop = true;
		pthread_cond_signal(&c->stop_cond);
		pthread_mutex_unlock(&c->stop_lock);
		pthread_join(c->flusher, NULL);
		c->flusher_started = false;
	}
	for (i = 0; c->ops && i < c->nops; i++)
		free(c->ops[i].gens);
	free(c->ops);
	c->ops = NULL;
	if (c->bounce_area)
		munmap(c->bounce_area, c->bounce_len);
	c->bounce_area = NULL;
	if (kit_bitmap_sync(c->bm))
		kit_err("cache", "cannot make %s durable", c->cache_path);
}

static const struct storage_engine cache_ro_engine = {
	.name = "cache",
	.open = cache_open,
	.close = cache_close,
	.read = cache_read,
	.write = cache_write,
};

static const struct storage_engine cache_wt_engine = {
	.name = "cache",
	.flags = BDUS_ENGINE_F_FUA,
	.open = cache_open,
	.close = cache_close,
	.read = cache_read,
	.write = cache_write,
	.flush = cache_flush,
};

/* ------------------------------------------------------------------------
 * Setting up
 */

/* --offline: the engine below, which is not there. */
static int cache_absent_read(void *ctx, void *buf, uint64_t off, uint32_t len,
			     const struct bdus_req *req)
{
	(void)ctx, (void)buf, (void)off, (void)len, (void)req;
	return -EIO;
}

/* Never called: the device is read-only. */
static int cache_absent_write(void *ctx, const void *buf, uint64_t off,
			      uint32_t len, const struct bdus_req *req)
{
	(void)ctx, (void)buf, (void)off, (void)len, (void)req;
	return -EROFS;
}

static const struct storage_engine cache_absent_engine = {
	.name = "offline",
	.read = cache_absent_read,
	.write = cache_absent_write,
};

/*
 * --offline: c->recorded from the bitmap's header, which must record an
 * engine of the kind named below ("http", "nbd"...).  0 or -1 (message).
 */
static int cache_recorded(struct cache *c, const char *below)
{
	struct kit_source *r = &c->recorded;
	size_t n = strlen(below);
	uint32_t bs;

	if (kit_bitmap_peek("cache", c->bitmap_path, "cache", &bs, &r->size,
			    r->ident, sizeof(r->ident)))
		return -1;
	if (strncmp(r->ident, below, n) || r->ident[n] != ' ') {
		kit_err("cache",
			"%s records %s, not what a %s engine serves: "
			"refusing to serve it as such",
			c->bitmap_path, r->ident, below);
		return -1;
	}
	if (!r->size) {
		kit_err("cache", "%s records an empty engine", c->bitmap_path);
		return -1;
	}
	/* Another --block-size is refused by the bitmap, with a message. */
	if (!c->bs)
		c->bs = bs;
	r->read_only = true;
	r->engine = &cache_absent_engine;
	r->ctx = c;
	return 0;
}

static int cache_setup(void *ctx, const char *arg,
		       const struct kit_source *inner, struct kit_source *src)
{
	struct cache *c = ctx;
	struct bdus_filter f;
	struct stat st;
	int ret;

	(void)arg;
	c->fd = -1;
	if (!c->cache_path || !c->bitmap_path) {
		kit_err("cache", "needs --cache FILE and --bitmap FILE");
		return -1;
	}
	if (c->offline) {
		if (c->write_through) {
			kit_err("cache", "--offline serves read-only: no "
					 "--write-through");
			return -1;
		}
		if (cache_recorded(c, inner->ident))
			return -1;
		inner = &c->recorded;
	}
	if (c->write_through && inner->read_only) {
		kit_err("cache", "--write-through over a read-only engine (%s)",
			inner->ident);
		return -1;
	}
	if (!c->bs)
		c->bs = CACHE_DEF_BLOCK;
	c->inner = inner;
	c->size = inner->size;
	c->fd = open(c->cache_path,
		     O_RDWR | O_CLOEXEC | (c->offline ? 0 : O_CREAT), 0644);
	if (c->fd < 0) {
		kit_err("cache", "cannot open %s: %s", c->cache_path,
			strerror(errno));
		return -1;
	}
	if (fstat(c->fd, &st) || !S_ISREG(st.st_mode)) {
		kit_err("cache", "%s is not a regular file", c->cache_path);
		return -1;
	}
	if (kit_bitmap_open(&c->bm, "cache", c->bitmap_path, "cache", c->bs,
			    c->size, inner->ident, c->fd))
		return -1;
	/*
	 * Sparse: only fetched blocks take space.  Once the bitmap was
	 * accepted: a refused run leaves the files as they were.
	 */
	if ((uint64_t)st.st_size < c->size &&
	    ftruncate(c->fd, (off_t)c->size)) {
		kit_err("cache", "cannot size %s: %s", c->cache_path,
			strerror(errno));
		return -1;
	}
	c->gen = calloc(kit_bitmap_blocks(c->bm) + 1, sizeof(*c->gen));
	if (!c->gen) {
		kit_err("cache", "out of memory");
		return -1;
	}
	pthread_mutex_init(&c->lock, NULL);
	f = (struct bdus_filter){
		.engine = c->write_through ? &cache_wt_engine
					   : &cache_ro_engine,
		.ctx = c,
		.inner = inner->engine,
		.inner_ctx = inner->ctx,
		.complete = cache_complete,
		/* The cache could not follow them. */
		.hide_ops =
			c->write_through
				? BUSE_OP_BIT(BUSE_OP_DISCARD) |
					  BUSE_OP_BIT(BUSE_OP_WRITE_ZEROES) |
					  BUSE_OP_BIT(BUSE_OP_SECURE_ERASE)
				: 0,
	};
	ret = bdus_filter_compose(&f, &c->stack, &c->stack_ctx);
	if (ret) {
		kit_err("cache", "cannot stack over %s: %s", inner->ident,
			strerror(-ret));
		return -1;
	}
	src->size = c->size;
	src->read_only = !c->write_through;
	/* A cache serves the bytes below it: the same identity. */
	memcpy(src->ident, inner->ident, sizeof(src->ident));
	src->engine = &c->stack;
	src->ctx = c->stack_ctx;
	fprintf(stderr,
		"buse-cache: %s holds %" PRIu64 " of %" PRIu64
		" blocks of %u bytes\n",
		c->cache_path, kit_bitmap_count(c->bm),
		kit_bitmap_blocks(c->bm), c->bs);
	if (c->offline)
		fprintf(stderr, "buse-cache: offline: serving %s%s\n",
			inner->ident,
			kit_bitmap_count(c->bm) < kit_bitmap_blocks(c->bm)
				? "; reads of the blocks not cached fail (EIO)"
				: "");
	return 0;
}

static void cache_teardown(void *ctx)
{
	struct cache *c = ctx;

	if (c->bm)
		fprintf(stderr,
			"buse-cache: %" PRIu64
			" bytes read from the cache, %" PRIu64
			" fetched below; %" PRIu64 " of %" PRIu64
			" blocks cached\n",
			c->hit_bytes, c->fetched_bytes, kit_bitmap_count(c->bm),
			kit_bitmap_blocks(c->bm));
	bdus_filter_free(c->stack_ctx);
	c->stack_ctx = NULL;
	kit_bitmap_close(c->bm);
	c->bm = NULL;
	if (c->gen)
		pthread_mutex_destroy(&c->lock);
	free(c->gen);
	c->gen = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static bool cache_is_offline(void *ctx)
{
	return ((struct cache *)ctx)->offline;
}

const struct kit_engine kit_cache = {
	.name = "cache",
	.summary = "keeps the blocks of the engine below in a local file",
	.help = "      --cache FILE         (cache) the cached blocks (sparse; "
		"kept)\n"
		"      --bitmap FILE        (cache) which blocks FILE holds, and "
		"of what\n"
		"      --block-size SIZE    (cache) bytes fetched and cached as "
		"one block\n"
		"                           (default 64K)\n"
		"      --write-through      (cache) writable: writes go below and "
		"into the\n"
		"                           cached blocks (default: read-only)\n"
		"      --offline            (cache) serve the cache without the "
		"engine below\n"
		"                           (not contacted); blocks not cached "
		"fail\n",
	.longopts = cache_opts,
	.ctx_size = sizeof(struct cache),
	.parse = cache_parse,
	.offline = cache_is_offline,
	.setup = cache_setup,
	.teardown = cache_teardown,
};
