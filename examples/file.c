// SPDX-License-Identifier: MIT
/*
 * file - a buse block device backed by a file or a block device, served
 * asynchronously through io_uring.
 *
 * Every request is turned into an io_uring operation on IMAGE (a regular
 * file or a block device) and answered with bdus_complete() when its
 * completion arrives, so each hardware queue keeps as many requests in
 * flight as the device's queue depth (hundreds with several queues):
 *
 *   READ / WRITE   IORING_OP_READ / IORING_OP_WRITE straight from/to the
 *                  request's buffer (no copy).  A WRITE with FUA carries
 *                  RWF_DSYNC.  O_DIRECT is used when the image accepts it
 *                  with the device's logical block size (the buffers are
 *                  page-aligned); otherwise, e.g. on tmpfs, buffered I/O.
 *   FLUSH          IORING_OP_FSYNC with IORING_FSYNC_DATASYNC (fdatasync).
 *   DISCARD        regular file: fallocate(PUNCH_HOLE | KEEP_SIZE) through
 *                  io_uring (a file system without hole punching makes it a
 *                  no-op, which a discard may be); block device: the
 *                  BLKDISCARD ioctl, on the queue's thread (io_uring has no
 *                  discard for block devices before Linux 6.12).
 *   WRITE_ZEROES   fallocate through io_uring: ZERO_RANGE | KEEP_SIZE with
 *                  BUSE_IO_F_NOUNMAP (the range stays allocated), else
 *                  PUNCH_HOLE | KEEP_SIZE (it may be deallocated).  On a
 *                  block device the kernel implements these exactly as the
 *                  BLKZEROOUT ioctl (ZERO_RANGE) and as a zero-out that may
 *                  unmap (PUNCH_HOLE), but asynchronously.  Modes the image
 *                  does not support (tmpfs has no ZERO_RANGE) fall back to
 *                  punch + allocate, then to writing zeroes.
 *   SECURE_ERASE   block device only: the BLKSECDISCARD ioctl, on the
 *                  queue's thread.  Not advertised for a regular file.
 * The engine advertises flush and FUA, so the device has a volatile write
 * cache (/sys/block/buseN/queue/write_cache: "write back").
 *
 * Threads: libbdus calls the callbacks of hardware queue q on q's own
 * thread, concurrently with the other queues.  Each queue therefore has
 * its own io_uring (created in open()), whose submission side is used by
 * q's thread (and, for the next step of a multi-step request, by q's
 * reaper), and a reaper thread that waits for its completions and calls
 * bdus_complete().
 *
 * Build (from the top of the tree; needs liburing, e.g. liburing-dev):
 *     make examples
 * Run (as root; buse.ko loaded):
 *     truncate -s 1G /var/tmp/disk.img
 *     examples/file --create /var/tmp/disk.img     # creates /dev/buseN of
 *                                                  # the image's size, prints
 *                                                  # its path, removes it on
 *                                                  # exit
 *     examples/file --create --size 2G new.img     # creates (or extends)
 *                                                  # new.img to 2G first
 *     N=$(busectl add --size 1G) && examples/file /var/tmp/disk.img $N
 *                                                  # serves an existing device
 *     examples/file --verbose /dev/sdb 3           # device 3 from a disk
 *                                                  # (opened exclusively)
 *     examples/file --help
 * Stop it with Ctrl-C (SIGINT) or SIGTERM, or remove the device
 * (busectl remove N): it then exits with status 0, after every request it
 * accepted has been answered.
 *
 * Once the device is served the program prints its path (/dev/buseN) on
 * stdout, in both modes, so a script can wait for that line.
 *
 * The command line and the serving logic every server shares are
 * libbdus' (bdus_cli.h, bdus_main(3)); this file has the engine, the image handling and the
 * -B and -v options.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <liburing.h>
#include <linux/fs.h>

#include <bdus.h>
#include <bdus_cli.h>
#include <bdus_ctl.h>

static const char *prog = "file";

/* Bytes of zeroes written at a time when nothing better zeroes a range. */
#define ZERO_CHUNK (1u << 20)

/* user_data of the NOP that stops a reaper, and of a cancelled SQE. */
#define UD_STOP ((uint64_t)1)
#define UD_IGNORE ((uint64_t)2)

/* ------------------------------------------------------------------------
 * The engine
 */

/* The step a request is at: what its SQE in flight does. */
enum step {
	ST_READ,
	ST_WRITE, /* also FUA writes: RWF_DSYNC */
	ST_FSYNC,
	ST_DISCARD,	  /* regular file: punch */
	ST_WZ_PUNCH,	  /* WRITE_ZEROES: punch (may unmap) */
	ST_WZ_ZERO,	  /* WRITE_ZEROES: zero range (stays allocated) */
	ST_WZ_PUNCH_KEEP, /* WRITE_ZEROES, NOUNMAP: punch, then ... */
	ST_WZ_ALLOC,	  /* ... allocate the hole again */
	ST_WZ_WRITE,	  /* WRITE_ZEROES: write zeroes, chunk by chunk */
};

struct fe_queue;

/* One per (queue, tag): the request the tag carries, and its progress. */
struct fe_op {
	struct fe_queue *q;
	const struct bdus_req *req;
	enum step step;
	uint32_t done; /* bytes transferred (READ/WRITE/WZ_WRITE) */
};

struct fe_queue {
	struct fe_image *img;
	struct io_uring ring;
	pthread_mutex_t sq_lock; /* the ring's submission side */
	pthread_t reaper;
	bool ring_ok, lock_ok, reaper_ok;
	struct fe_op *ops; /* [queue_depth], by tag */
};

struct fe_image {
	/* Set up by main(). */
	const char *path;
	int fd;
	bool is_blk;
	bool read_only;
	bool buffered; /* --buffered: never O_DIRECT */
	bool verbose;
	uint64_t size; /* the image's size in bytes */

	/* Set up by open(). */
	bool direct; /* O_DIRECT is on */
	uint32_t lbs;
	void *zeroes; /* ZERO_CHUNK zero bytes, page-aligned */
	uint32_t nr_queues;
	struct fe_queue *queues;

	/* fallocate modes found unsupported (set once, read by all threads) */
	int no_punch, no_zero_range, no_alloc;
};

static bool flag_get(const int *f)
{
	return __atomic_load_n(f, __ATOMIC_RELAXED);
}

static void flag_set(struct fe_image *img, int *f, const char *what)
{
	if (!__atomic_exchange_n(f, 1, __ATOMIC_RELAXED) && img->verbose)
		fprintf(stderr,
			"%s: %s: %s is not supported; using a fallback\n", prog,
			img->path, what);
}

/*
 * Prepares the SQE for op's current step.  The caller holds sq_lock.
 */
static void prep_step(struct fe_op *op, struct io_uring_sqe *sqe)
{
	const struct bdus_req *req = op->req;
	struct fe_image *img = op->q->img;
	int fd = img->fd;
	uint32_t n;

	switch (op->step) {
	case ST_READ:
		io_uring_prep_read(sqe, fd, (char *)req->buf + op->done,
				   req->len - op->done, req->offset + op->done);
		break;
	case ST_WRITE:
		io_uring_prep_write(sqe, fd, (char *)req->buf + op->done,
				    req->len - op->done,
				    req->offset + op->done);
		if (req->flags & BUSE_IO_F_FUA)
			sqe->rw_flags = RWF_DSYNC;
		break;
	case ST_FSYNC:
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		break;
	case ST_DISCARD:
	case ST_WZ_PUNCH:
	case ST_WZ_PUNCH_KEEP:
		io_uring_prep_fallocate(
			sqe, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			(off_t)req->offset, (off_t)req->len);
		break;
	case ST_WZ_ZERO:
		io_uring_prep_fallocate(
			sqe, fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
			(off_t)req->offset, (off_t)req->len);
		break;
	case ST_WZ_ALLOC:
		io_uring_prep_fallocate(sqe, fd, FALLOC_FL_KEEP_SIZE,
					(off_t)req->offset, (off_t)req->len);
		break;
	case ST_WZ_WRITE:
		n = req->len - op->done;
		if (n > ZERO_CHUNK)
			n = ZERO_CHUNK;
		io_uring_prep_write(sqe, fd, img->zeroes, n,
				    req->offset + op->done);
		break;
	}
	io_uring_sqe_set_data(sqe, op);
}

/*
 * Queues op's current step on its queue's ring.  Called by the queue's
 * thread (new requests) and its reaper (next steps).  0 or -errno; on an
 * error nothing stays queued for op.
 */
static int submit_step(struct fe_op *op)
{
	struct fe_queue *q = op->q;
	struct io_uring_sqe *sqe;
	int ret;

	pthread_mutex_lock(&q->sq_lock);
	sqe = io_uring_get_sqe(&q->ring);
	if (!sqe) {
		/* Cannot happen: every SQE is submitted right away. */
		io_uring_submit(&q->ring);
		sqe = io_uring_get_sqe(&q->ring);
		if (!sqe) {
			pthread_mutex_unlock(&q->sq_lock);
			return -EBUSY;
		}
	}
	prep_step(op, sqe);
	for (;;) {
		ret = io_uring_submit(&q->ring);
		if (ret >= 0 ||
		    (ret != -EINTR && ret != -EAGAIN && ret != -EBUSY))
			break;
		/* Out of kernel memory for a moment (or interrupted): retry. */
		usleep(1000);
	}
	if (ret < 0) {
		/*
		 * The SQE stays in the ring and a later submit would send it:
		 * make it a NOP whose completion the reaper ignores.
		 */
		io_uring_prep_nop(sqe);
		io_uring_sqe_set_data64(sqe, UD_IGNORE);
	}
	pthread_mutex_unlock(&q->sq_lock);
	return ret < 0 ? ret : 0;
}

/* Answers op: a request's last word. */
static void finish(struct fe_op *op, int result)
{
	const struct bdus_req *req = op->req;

	op->req = NULL;
	bdus_complete(req, result);
}

/* Continues op with its current step; answers it if that cannot be sent. */
static void next_step(struct fe_op *op)
{
	int ret = submit_step(op);

	if (ret)
		finish(op, ret);
}

/* A READ/WRITE that moved only op->done bytes, then failed with err. */
static int partial(const struct fe_op *op, int err)
{
	uint32_t lbs = op->q->img->lbs;
	uint32_t ok = op->done / lbs * lbs;

	if (op->req->op != BUSE_OP_READ && op->req->op != BUSE_OP_WRITE)
		return err;
	return ok ? (int)ok : err;
}

/*
 * The first WRITE_ZEROES step that the image may support: the flags say
 * what failed before.  Every failure sets a flag, and writing zeroes always
 * works, so this walks a finite chain.
 */
static enum step wz_first_step(struct fe_image *img, const struct bdus_req *req)
{
	bool nounmap = req->flags & BUSE_IO_F_NOUNMAP;

	if (!nounmap && !flag_get(&img->no_punch))
		return ST_WZ_PUNCH;
	if (!flag_get(&img->no_zero_range))
		return ST_WZ_ZERO;
	if (nounmap && !img->is_blk && !flag_get(&img->no_punch) &&
	    !flag_get(&img->no_alloc))
		return ST_WZ_PUNCH_KEEP;
	return ST_WZ_WRITE;
}

/* Reaper: the completion of op's current step, with result res. */
static void step_done(struct fe_op *op, int res)
{
	struct fe_image *img = op->q->img;

	switch (op->step) {
	case ST_READ:
	case ST_WRITE:
	case ST_WZ_WRITE:
		if (res == -EAGAIN || res == -EINTR) {
			next_step(op);
			return;
		}
		if (res <= 0) {
			/* 0: end of file, the image shrank under us. */
			finish(op, partial(op, res < 0 ? res : -EIO));
			return;
		}
		op->done += (uint32_t)res;
		if (op->done < op->req->len) {
			next_step(op); /* short transfer: the rest */
			return;
		}
		finish(op, 0);
		return;
	case ST_FSYNC:
		finish(op, res);
		return;
	case ST_DISCARD:
		/* Nothing discarded is a valid discard. */
		if (res == -EOPNOTSUPP) {
			flag_set(img, &img->no_punch, "hole punching");
			res = 0;
		}
		finish(op, res);
		return;
	case ST_WZ_PUNCH:
	case ST_WZ_ZERO:
		if (res != -EOPNOTSUPP) {
			finish(op, res);
			return;
		}
		if (op->step == ST_WZ_PUNCH)
			flag_set(img, &img->no_punch, "hole punching");
		else
			flag_set(img, &img->no_zero_range,
				 "fallocate(FALLOC_FL_ZERO_RANGE)");
		op->step = wz_first_step(img, op->req);
		next_step(op);
		return;
	case ST_WZ_PUNCH_KEEP:
		if (res == -EOPNOTSUPP) {
			flag_set(img, &img->no_punch, "hole punching");
			op->step = ST_WZ_WRITE;
		} else if (res < 0) {
			finish(op, res);
			return;
		} else {
			op->step = ST_WZ_ALLOC;
		}
		next_step(op);
		return;
	case ST_WZ_ALLOC:
		if (res != -EOPNOTSUPP) {
			finish(op, res);
			return;
		}
		flag_set(img, &img->no_alloc, "fallocate() (preallocation)");
		op->step = ST_WZ_WRITE; /* writing allocates */
		next_step(op);
		return;
	}
}

static void *reaper_main(void *arg)
{
	struct fe_queue *q = arg;
	bool stop = false, warned = false;

	while (!stop) {
		struct io_uring_cqe *cqe;
		unsigned int head, n = 0;
		int ret;

		ret = io_uring_wait_cqe(&q->ring, &cqe);
		if (ret < 0) {
			if (ret != -EINTR && ret != -EAGAIN && !warned) {
				fprintf(stderr,
					"%s: waiting for io_uring "
					"completions: %s (retrying)\n",
					prog, strerror(-ret));
				warned = true;
			}
			if (ret != -EINTR)
				usleep(10000);
			continue;
		}
		io_uring_for_each_cqe(&q->ring, head, cqe)
		{
			uint64_t ud = io_uring_cqe_get_data64(cqe);

			n++;
			if (ud == UD_STOP)
				stop = true;
			else if (ud != UD_IGNORE)
				step_done(io_uring_cqe_get_data(cqe), cqe->res);
		}
		io_uring_cq_advance(&q->ring, n);
	}
	return NULL;
}

/* Starts a request: its first step goes to the ring. */
static int start(struct fe_image *img, const struct bdus_req *req,
		 enum step step)
{
	struct fe_queue *q = &img->queues[req->queue];
	struct fe_op *op = &q->ops[req->tag];
	int ret;

	op->req = req;
	op->step = step;
	op->done = 0;
	ret = submit_step(op);
	if (ret) {
		op->req = NULL;
		return ret;
	}
	return BDUS_ASYNC;
}

static int fe_read(void *ctx, void *buf, uint64_t offset, uint32_t len,
		   const struct bdus_req *req)
{
	(void)buf, (void)offset, (void)len;
	return start(ctx, req, ST_READ);
}

static int fe_write(void *ctx, const void *buf, uint64_t offset, uint32_t len,
		    const struct bdus_req *req)
{
	(void)buf, (void)offset, (void)len;
	return start(ctx, req, ST_WRITE);
}

static int fe_flush(void *ctx, const struct bdus_req *req)
{
	return start(ctx, req, ST_FSYNC);
}

static int fe_discard(void *ctx, uint64_t offset, uint32_t len,
		      const struct bdus_req *req)
{
	struct fe_image *img = ctx;

	if (img->is_blk) {
		/* Synchronous: io_uring cannot discard a block device. */
		uint64_t range[2] = { offset, len };

		if (ioctl(img->fd, BLKDISCARD, range) == 0)
			return 0;
		/* The disk below cannot discard: nothing done is fine. */
		return errno == EOPNOTSUPP ? 0 : -errno;
	}
	if (flag_get(&img->no_punch))
		return 0;
	return start(img, req, ST_DISCARD);
}

static int fe_write_zeroes(void *ctx, uint64_t offset, uint32_t len,
			   const struct bdus_req *req)
{
	(void)offset, (void)len;
	return start(ctx, req, wz_first_step(ctx, req));
}

/* Block devices only (not in the regular file's engine). */
static int fe_secure_erase(void *ctx, uint64_t offset, uint32_t len,
			   const struct bdus_req *req)
{
	struct fe_image *img = ctx;
	uint64_t range[2] = { offset, len };

	(void)req;
	return ioctl(img->fd, BLKSECDISCARD, range) ? -errno : 0;
}

/*
 * O_DIRECT if the image takes it: the file system supports it (tmpfs
 * does not before Linux 6.6) and the device's blocks are aligned enough
 * for the image (a 4K-sector disk refuses 512-byte I/O).  The request
 * buffers are page-aligned, which satisfies any memory alignment.
 */
static void setup_direct(struct fe_image *img)
{
	int fl = fcntl(img->fd, F_GETFL);
	uint64_t probe_off;
	void *buf;
	ssize_t n;

	img->direct = false;
	if (img->buffered) {
		if (img->verbose)
			fprintf(stderr, "%s: %s: buffered I/O (--buffered)\n",
				prog, img->path);
		return;
	}
	if (fl < 0 || fcntl(img->fd, F_SETFL, fl | O_DIRECT) < 0) {
		if (img->verbose)
			fprintf(stderr,
				"%s: %s: O_DIRECT not supported (%s); "
				"using buffered I/O\n",
				prog, img->path, strerror(errno));
		return;
	}
	/* Read one block at an offset that is a multiple of it only. */
	probe_off = img->size >= 2ull * img->lbs ? img->lbs : 0;
	if (posix_memalign(&buf, 4096, img->lbs)) {
		fcntl(img->fd, F_SETFL, fl);
		return;
	}
	n = pread(img->fd, buf, img->lbs, (off_t)probe_off);
	free(buf);
	if (n < 0) {
		int err = errno;

		fcntl(img->fd, F_SETFL, fl);
		if (img->verbose)
			fprintf(stderr,
				"%s: %s: O_DIRECT refuses %u-byte "
				"blocks (%s); using buffered I/O\n",
				prog, img->path, img->lbs, strerror(err));
		return;
	}
	img->direct = true;
	if (img->verbose)
		fprintf(stderr, "%s: %s: O_DIRECT\n", prog, img->path);
}

static void fe_close(void *ctx, const struct bdus_dev *dev);

static int fe_open(void *ctx, const struct bdus_dev *dev)
{
	struct fe_image *img = ctx;
	sigset_t all, old;
	uint32_t i, t;
	int ret = 0;

	img->lbs = dev->logical_block_size;
	if (img->size < dev->size) {
		/* main() checked; the device may have changed since. */
		fprintf(stderr,
			"%s: %s (%" PRIu64 " bytes) is smaller than "
			"%s (%" PRIu64 " bytes)\n",
			prog, img->path, img->size, dev->block_path, dev->size);
		return -EINVAL;
	}
	setup_direct(img);
	if (posix_memalign(&img->zeroes, 4096, ZERO_CHUNK)) {
		img->zeroes = NULL;
		return -ENOMEM;
	}
	memset(img->zeroes, 0, ZERO_CHUNK);

	img->queues = calloc(dev->nr_queues, sizeof(*img->queues));
	if (!img->queues)
		return -ENOMEM;
	img->nr_queues = dev->nr_queues;

	/* The reapers take no signal: SIGINT/SIGTERM are for libbdus. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < dev->nr_queues && !ret; i++) {
		struct fe_queue *q = &img->queues[i];

		q->img = img;
		q->ops = calloc(dev->queue_depth, sizeof(*q->ops));
		if (!q->ops) {
			ret = -ENOMEM;
			break;
		}
		for (t = 0; t < dev->queue_depth; t++)
			q->ops[t].q = q;
		ret = -pthread_mutex_init(&q->sq_lock, NULL);
		if (ret)
			break;
		q->lock_ok = true;
		/*
		 * At most queue_depth requests in flight, each with one SQE
		 * at a time, each submitted at once: the SQ never fills and
		 * the CQ (twice as large) never overflows.  No
		 * IORING_SETUP_COOP_TASKRUN: completions that need the
		 * submitting thread must interrupt its sleep in libbdus.
		 */
		ret = io_uring_queue_init(dev->queue_depth, &q->ring, 0);
		if (ret) {
			fprintf(stderr, "%s: cannot set up io_uring: %s\n",
				prog, strerror(-ret));
			break;
		}
		q->ring_ok = true;
		ret = -pthread_create(&q->reaper, NULL, reaper_main, q);
		if (ret)
			break;
		q->reaper_ok = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		fe_close(img, dev);
		return ret;
	}
	if (img->verbose)
		fprintf(stderr,
			"%s: serving %s from %s (%s, %s I/O), %u "
			"queue(s) of %u requests\n",
			prog, dev->block_path, img->path,
			img->is_blk ? "block device" : "regular file",
			img->direct ? "direct" : "buffered", dev->nr_queues,
			dev->queue_depth);
	return 0;
}

/* Every request is answered (libbdus waited): stop the reapers. */
static void fe_close(void *ctx, const struct bdus_dev *dev)
{
	struct fe_image *img = ctx;
	uint32_t i;

	(void)dev;
	for (i = 0; i < img->nr_queues; i++) {
		struct fe_queue *q = &img->queues[i];

		if (q->reaper_ok) {
			struct io_uring_sqe *sqe;
			int ret = -EBUSY;

			pthread_mutex_lock(&q->sq_lock);
			sqe = io_uring_get_sqe(&q->ring);
			if (sqe) {
				io_uring_prep_nop(sqe);
				io_uring_sqe_set_data64(sqe, UD_STOP);
				ret = io_uring_submit(&q->ring);
			}
			pthread_mutex_unlock(&q->sq_lock);
			if (ret >= 0)
				pthread_join(q->reaper, NULL);
			else /* cannot happen; leave it, we are exiting */
				fprintf(stderr,
					"%s: cannot stop a reaper: %s\n", prog,
					strerror(-ret));
		}
		if (q->ring_ok)
			io_uring_queue_exit(&q->ring);
		if (q->lock_ok)
			pthread_mutex_destroy(&q->sq_lock);
		free(q->ops);
	}
	free(img->queues);
	img->queues = NULL;
	img->nr_queues = 0;
	free(img->zeroes);
	img->zeroes = NULL;
}

static const struct storage_engine file_engine = {
	.name = "file",
	.flags = BDUS_ENGINE_F_FUA,
	.open = fe_open,
	.close = fe_close,
	.read = fe_read,
	.write = fe_write,
	.flush = fe_flush,
	.discard = fe_discard,
	.write_zeroes = fe_write_zeroes,
};

/* A block device can also securely erase. */
static const struct storage_engine blkdev_engine = {
	.name = "file",
	.flags = BDUS_ENGINE_F_FUA,
	.open = fe_open,
	.close = fe_close,
	.read = fe_read,
	.write = fe_write,
	.flush = fe_flush,
	.discard = fe_discard,
	.write_zeroes = fe_write_zeroes,
	.secure_erase = fe_secure_erase,
};

/* ------------------------------------------------------------------------
 * Command line (the shared part is libbdus' bdus_cli.h)
 */

static void usage(FILE *f, const struct bdus_cli_spec *s)
{
	fprintf(f,
		"Usage: %s [OPTIONS] IMAGE N\n"
		"       %s --create [--size SIZE] [OPTIONS] IMAGE\n"
		"\n"
		"Serve buse device N (/dev/buseN) from IMAGE, a regular file or a\n"
		"block device, through io_uring; or create a device of IMAGE's size\n"
		"(or SIZE), serve it and remove it on exit.  Prints /dev/buseN once\n"
		"serving.  Stops on SIGINT/SIGTERM or when the device is removed.\n"
		"\n",
		s->prog, s->prog);
	bdus_cli_usage(f, s);
	fprintf(f, "A block device IMAGE is opened exclusively (it must not be "
		   "mounted).\n");
}

/* -B and -v (bdus_cli_spec.parse) into the struct fe_image ctx. */
static int parse_image_option(void *ctx, int opt, const char *arg,
			      const char **valid)
{
	struct fe_image *img = ctx;

	(void)arg;
	(void)valid;
	if (opt == 'B')
		img->buffered = true;
	else if (opt == 'v')
		img->verbose = true;
	else
		return -EINVAL;
	return 0;
}

static const struct option image_options[] = {
	{ "buffered", no_argument, NULL, 'B' },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

static const struct bdus_cli_spec spec = {
	.prog = "file",
	.flags = BDUS_CLI_PBS | BDUS_CLI_READ_ONLY | BDUS_CLI_IMAGE,
	.usage = usage,
	.help_size =
		"the device's capacity (e.g. 256M, 1G): a\n"
		"                           regular-file IMAGE is created if missing and\n"
		"                           extended (sparse) if shorter; when serving N,\n"
		"                           used only if the device has no size.\n"
		"                           Default: IMAGE's size (rounded down to whole\n"
		"                           blocks)\n",
	.help_read_only =
		"create a read-only device and open IMAGE\n"
		"                           read-only (with --create)\n",
	.help_extra =
		"  -B, --buffered           never use O_DIRECT (default: O_DIRECT when\n"
		"                           IMAGE supports it with the device's blocks)\n"
		"  -v, --verbose            say on stderr how IMAGE is accessed\n",
	.shortopts = "Bv",
	.longopts = image_options,
	.parse = parse_image_option,
};

/*
 * Opens IMAGE into img (fd, is_blk, size).  A regular file is created if
 * missing and extended to grow_to bytes if shorter, when grow_to is not 0.
 * A block device is reopened exclusively.  0, or 1 after a message.
 */
static int open_image(struct fe_image *img, uint64_t grow_to)
{
	int flags = (img->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct stat st;
	int fd;

	fd = open(img->path, flags);
	if (fd < 0 && errno == ENOENT && grow_to && !img->read_only)
		fd = open(img->path, flags | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		int err = errno;

		fprintf(stderr, "%s: cannot open %s%s: %s\n", prog, img->path,
			img->read_only ? "" : " for writing", strerror(err));
		if (err == ENOENT)
			fprintf(stderr, "%s: (--size SIZE creates it)\n", prog);
		else if ((err == EACCES || err == EROFS) && !img->read_only)
			fprintf(stderr,
				"%s: (a read-only image needs a "
				"read-only device: --create --read-only, or "
				"busectl add --read-only)\n",
				prog);
		return 1;
	}
	if (fstat(fd, &st) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, img->path,
			strerror(errno));
		close(fd);
		return 1;
	}
	if (S_ISBLK(st.st_mode)) {
		uint64_t size;

		/* Exclusively: nothing else may use (mount) it meanwhile. */
		close(fd);
		fd = open(img->path, flags | O_EXCL);
		if (fd < 0) {
			fprintf(stderr,
				"%s: cannot open %s exclusively: %s%s\n", prog,
				img->path, strerror(errno),
				errno == EBUSY ? " (mounted or in use?)" : "");
			return 1;
		}
		if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
			fprintf(stderr, "%s: %s: BLKGETSIZE64: %s\n", prog,
				img->path, strerror(errno));
			close(fd);
			return 1;
		}
		img->is_blk = true;
		img->size = size;
		if (grow_to > size) {
			fprintf(stderr,
				"%s: %s is a block device of %" PRIu64
				" bytes, smaller than --size (%" PRIu64 ")\n",
				prog, img->path, size, grow_to);
			close(fd);
			return 1;
		}
	} else if (S_ISREG(st.st_mode)) {
		img->is_blk = false;
		img->size = (uint64_t)st.st_size;
		if (grow_to > img->size) {
			if (img->read_only) {
				fprintf(stderr,
					"%s: %s is shorter than --size "
					"and opened read-only\n",
					prog, img->path);
				close(fd);
				return 1;
			}
			if (ftruncate(fd, (off_t)grow_to) < 0) {
				fprintf(stderr,
					"%s: cannot extend %s to %" PRIu64
					" bytes: %s\n",
					prog, img->path, grow_to,
					strerror(errno));
				close(fd);
				return 1;
			}
			if (img->verbose)
				fprintf(stderr,
					"%s: %s extended to %" PRIu64
					" bytes\n",
					prog, img->path, grow_to);
			img->size = grow_to;
		}
	} else {
		fprintf(stderr,
			"%s: %s is neither a regular file nor a block "
			"device\n",
			prog, img->path);
		close(fd);
		return 1;
	}
	img->fd = fd;
	return 0;
}

/*
 * The device's size when it is taken from the image: whole blocks.  0 and a
 * message if there is not even one.
 */
static uint64_t image_blocks(const struct fe_image *img, uint32_t lbs)
{
	uint64_t size = img->size / lbs * lbs;

	if (!size)
		fprintf(stderr,
			"%s: %s (%" PRIu64 " bytes) is smaller than one "
			"%u-byte block%s\n",
			prog, img->path, img->size, lbs,
			img->is_blk ? "" : " (--size SIZE extends it)");
	else if (size != img->size && img->verbose)
		fprintf(stderr,
			"%s: %s: the last %" PRIu64 " bytes (less than "
			"a block) are not served\n",
			prog, img->path, img->size - size);
	return size;
}

/* Serves the existing device c->index from img: main()'s exit status. */
static int serve_existing(const struct bdus_cli *c, struct fe_image *img)
{
	struct bdus_opts opts;
	struct buse_dev_info info;
	uint64_t dev_size = 0, size;
	uint32_t lbs = BUSE_DEF_BLOCK_SIZE;
	bool use_size = c->have_size;
	int ret;

	if (bdus_cli_opts(c, 0, &opts))
		return 1;
	ret = bdus_ctl_info(c->index, &info);
	if (ret == -ENODEV || ret == -ENOENT) {
		fprintf(stderr, "%s: no device %u%s\n", prog, c->index,
			ret == -ENOENT ? " (buse.ko is not loaded)" : "");
		return 1;
	}
	/* If we may not ask (not the owner), the attach decides. */
	if (ret == 0) {
		dev_size = info.size;
		lbs = info.logical_block_size;
		img->read_only = info.flags & BUSE_DEV_F_READ_ONLY;
		if (dev_size && use_size) {
			if (c->size != dev_size)
				fprintf(stderr,
					"%s: device %u already has a "
					"size (%" PRIu64 " bytes); --size "
					"ignored\n",
					prog, c->index, dev_size);
			use_size = false;
		}
	}
	if (open_image(img, use_size ? c->size : 0))
		return 1;
	size = dev_size	  ? dev_size
	       : use_size ? c->size
			  : image_blocks(img, lbs);
	if (!size)
		return 1;
	if (img->size < size) {
		fprintf(stderr,
			"%s: %s (%" PRIu64 " bytes) is smaller than "
			"device %u (%" PRIu64 " bytes)%s\n",
			prog, img->path, img->size, c->index, size,
			img->is_blk ? "" : "; extend it (truncate -s) first");
		return 1;
	}
	opts.size = dev_size ? 0 : size;
	return bdus_cli_serve_index(
		c, img->is_blk ? &blkdev_engine : &file_engine, img, &opts);
}

/*
 * Creates a device of IMAGE's size (or --size), serves it from img and
 * removes it: main()'s exit status.
 */
static int create_and_serve(const struct bdus_cli *c, struct fe_image *img)
{
	struct bdus_opts opts;
	struct buse_dev_info info;
	uint32_t lbs = c->lbs ? c->lbs : BUSE_DEF_BLOCK_SIZE;

	if (bdus_cli_opts(c, 0, &opts) || bdus_cli_dev_info(c, &info))
		return 1;
	img->read_only = c->read_only;
	if (open_image(img, c->have_size ? c->size : 0))
		return 1;
	info.size = c->have_size ? c->size : image_blocks(img, lbs);
	if (!info.size)
		return 1;
	return bdus_cli_create_and_serve(
		c, &info, img->is_blk ? &blkdev_engine : &file_engine, img,
		&opts);
}

int main(int argc, char **argv)
{
	struct fe_image img = { .fd = -1 };
	struct bdus_cli c;
	int ret;

	if (!bdus_cli_parse(&spec, &img, argc, argv, &c, &ret))
		return ret;
	img.path = c.image;
	ret = c.create ? create_and_serve(&c, &img) : serve_existing(&c, &img);
	if (img.fd >= 0)
		close(img.fd);
	return ret;
}
