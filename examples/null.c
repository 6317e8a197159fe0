// SPDX-License-Identifier: MIT
/*
 * null - a buse block device that stores nothing (like /dev/null + zero).
 *
 * Writes are dropped, reads return zeroes, flush/discard/write_zeroes do
 * nothing.  It measures the cost of buse and libbdus themselves: this is
 * the engine the benchmarks use.
 *
 * Build (from the top of the tree):
 *     make examples
 * Run (as root; buse.ko loaded):
 *     examples/null --create --size 1G             # creates /dev/buseN,
 *                                                  # prints its path,
 *                                                  # removes it on exit
 *     N=$(busectl add --size 1G) && examples/null $N
 *                                                  # serves an existing device
 *     examples/null --size 1G 3                    # device 3, created without
 *                                                  # a size, gets 1G
 *     examples/null --help
 * Stop it with Ctrl-C (SIGINT) or SIGTERM, or remove the device
 * (busectl remove N): it then exits with status 0.
 *
 * Once the device is served the program prints its path (/dev/buseN) on
 * stdout, in both modes, so a script can wait for that line.
 *
 * The command line and the serving logic every server shares are
 * libbdus' (bdus_cli.h, bdus_main(3)); this file has the engine.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bdus.h>
#include <bdus_cli.h>

/* ------------------------------------------------------------------------
 * The engine
 */

/*
 * Reads must return zeroes, but zeroing every read buffer would cost a
 * memset per request.  A tag's buffer only gets non-zero bytes from a
 * WRITE on that tag (the kernel copies the data in), so each (queue, tag)
 * remembers how many leading bytes may be non-zero and a READ clears only
 * those.  Only the queue's own thread touches its entries: no locking.
 */
struct null_dev {
	uint32_t depth;
	uint32_t *dirty; /* [nr_queues * depth]: bytes to clear */
};

static int null_open(void *ctx, const struct bdus_dev *dev)
{
	struct null_dev *nd = ctx;
	size_t i, n = (size_t)dev->nr_queues * dev->queue_depth;

	nd->depth = dev->queue_depth;
	nd->dirty = malloc(n * sizeof(*nd->dirty));
	if (!nd->dirty)
		return -ENOMEM;
	/* Unknown contents at first (e.g. left by a previous server). */
	for (i = 0; i < n; i++)
		nd->dirty[i] = dev->max_io;
	return 0;
}

static void null_close(void *ctx, const struct bdus_dev *dev)
{
	struct null_dev *nd = ctx;

	(void)dev;
	free(nd->dirty);
	nd->dirty = NULL;
}

static uint32_t *null_dirty(struct null_dev *nd, const struct bdus_req *req)
{
	return &nd->dirty[(size_t)req->queue * nd->depth + req->tag];
}

static int null_read(void *ctx, void *buf, uint64_t offset, uint32_t len,
		     const struct bdus_req *req)
{
	uint32_t *dirty = null_dirty(ctx, req);

	(void)offset;
	(void)len;
	if (*dirty) {
		memset(buf, 0, *dirty);
		*dirty = 0;
	}
	return 0;
}

static int null_write(void *ctx, const void *buf, uint64_t offset, uint32_t len,
		      const struct bdus_req *req)
{
	uint32_t *dirty = null_dirty(ctx, req);

	(void)buf;
	(void)offset;
	if (len > *dirty)
		*dirty = len;
	return 0;
}

static int null_flush(void *ctx, const struct bdus_req *req)
{
	(void)ctx;
	(void)req;
	return 0;
}

static int null_range(void *ctx, uint64_t offset, uint32_t len,
		      const struct bdus_req *req)
{
	(void)ctx;
	(void)offset;
	(void)len;
	(void)req;
	return 0;
}

static const struct storage_engine null_engine = {
	.name = "null",
	.flags = BDUS_ENGINE_F_FUA,
	.open = null_open,
	.close = null_close,
	.read = null_read,
	.write = null_write,
	.flush = null_flush,
	.discard = null_range,
	.write_zeroes = null_range,
};

/* ------------------------------------------------------------------------
 * Command line (the shared part is libbdus' bdus_cli.h)
 */

static void usage(FILE *f, const struct bdus_cli_spec *s)
{
	fprintf(f,
		"Usage: %s [--size SIZE] N\n"
		"       %s --create --size SIZE [OPTIONS]\n"
		"\n"
		"Serve buse device N (/dev/buseN) with no storage (writes dropped,\n"
		"reads return zeroes), or create a device,\n"
		"serve it and remove it on exit.  Prints /dev/buseN once serving.\n"
		"Stops on SIGINT/SIGTERM or when the device is removed.\n"
		"\n",
		s->prog, s->prog);
	bdus_cli_usage(f, s);
}

static const struct bdus_cli_spec spec = {
	.prog = "null",
	.flags = BDUS_CLI_PBS | BDUS_CLI_READ_ONLY,
	.usage = usage,
};

int main(int argc, char **argv)
{
	struct null_dev nd = { 0 };

	return bdus_main(argc, argv, &null_engine, &spec, &nd);
}
