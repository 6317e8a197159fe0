// SPDX-License-Identifier: MIT
/*
 * recorder - a buse engine for the integration suite: serves a device from
 * memory, with examples/ramdisk's engine, and appends one line per request
 * to a log file, so that a case can check which requests the block layer
 * sent:
 *
 *     OP OFFSET LEN FLAGS
 *
 *   OP      READ, WRITE, FLUSH, DISCARD, WRITE_ZEROES or SECURE_ERASE
 *   OFFSET  bytes (0 for FLUSH)
 *   LEN     bytes (0 for FLUSH)
 *   FLAGS   the BUSE_IO_F_* names joined with ',' (FUA, PREFLUSH, NOUNMAP,
 *           SYNC, META, RAHEAD, FAILFAST_DEV, FAILFAST_TRANSPORT,
 *           FAILFAST_DRIVER, IDLE), or '-'
 *
 * e.g. "WRITE 1048576 4096 FUA,SYNC,IDLE".  With --log-queue a fifth field
 * names the hardware queue that carried the request: "q0", "q1", ...  Each
 * line is written with one write(2) on an O_APPEND descriptor before the
 * request is answered, so the log is complete (and lines are whole) as
 * soon as the I/O returns.
 *
 * It is a logging filter (bdus_filter_compose(3)) over the RAM-disk engine
 * (examples/ramdisk_engine.c): each of its callbacks writes the request's
 * line, then passes the request down with bdus_next(3).
 *
 * The engine's optional operations can be left out, to see what the block
 * layer does without them: --no-flush (the device is write-through: no
 * FLUSH, no FUA), --no-fua (flush but no FUA: the block layer emulates FUA
 * with a FLUSH after the write), --no-discard, --no-write-zeroes (the block
 * layer writes zeroes itself): the filter hides them (bdus_filter.hide_ops)
 * though the RAM disk has them.  --secure-erase adds one the RAM disk lacks:
 * the filter's own secure_erase, which has the RAM disk write zeroes there.
 *
 * Build: make -C tests/integration   (build/integration/recorder)
 * Run:   N=$(busectl add --size 64M) && recorder /tmp/log $N
 *        recorder --help
 * Prints /dev/buseN once serving; stops with exit status 0 on SIGINT,
 * SIGTERM or when the device is removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bdus.h>
#include <bdus_ctl.h>

#include "../../examples/ramdisk_engine.h"

static const char *prog = "recorder";

/* The filter's ctx. */
struct recorder {
	int log_fd;
	bool log_queue; /* --log-queue */
};

static const char *const op_names[BUSE_OP_NR] = {
	[BUSE_OP_READ] = "READ",
	[BUSE_OP_WRITE] = "WRITE",
	[BUSE_OP_FLUSH] = "FLUSH",
	[BUSE_OP_DISCARD] = "DISCARD",
	[BUSE_OP_WRITE_ZEROES] = "WRITE_ZEROES",
	[BUSE_OP_SECURE_ERASE] = "SECURE_ERASE",
};

static const struct {
	uint32_t bit;
	const char *name;
} flag_names[] = {
	{ BUSE_IO_F_FUA, "FUA" },
	{ BUSE_IO_F_PREFLUSH, "PREFLUSH" },
	{ BUSE_IO_F_NOUNMAP, "NOUNMAP" },
	{ BUSE_IO_F_SYNC, "SYNC" },
	{ BUSE_IO_F_META, "META" },
	{ BUSE_IO_F_RAHEAD, "RAHEAD" },
	{ BUSE_IO_F_FAILFAST_DEV, "FAILFAST_DEV" },
	{ BUSE_IO_F_FAILFAST_TRANSPORT, "FAILFAST_TRANSPORT" },
	{ BUSE_IO_F_FAILFAST_DRIVER, "FAILFAST_DRIVER" },
	{ BUSE_IO_F_IDLE, "IDLE" },
};

/* Appends the request's line to the log (one write: lines stay whole). */
static void record(struct recorder *r, const struct bdus_req *req)
{
	char line[256];
	size_t i, n;
	int len;
	bool any = false;

	len = snprintf(line, sizeof(line), "%s %" PRIu64 " %" PRIu32 " ",
		       req->op < BUSE_OP_NR ? op_names[req->op] : "?",
		       req->offset, req->len);
	n = (size_t)len;
	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		if (!(req->flags & flag_names[i].bit))
			continue;
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s",
				      any ? "," : "", flag_names[i].name);
		any = true;
	}
	if (!any)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "-");
	if (r->log_queue)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " q%" PRIu32,
				      req->queue);
	n += (size_t)snprintf(line + n, sizeof(line) - n, "\n");
	if (write(r->log_fd, line, n) != (ssize_t)n)
		fprintf(stderr, "%s: writing the log: %s\n", prog,
			strerror(errno));
}

/*
 * The filter's callbacks: the request's line, then the request goes down
 * to the RAM disk as it is (bdus_next() returns the RAM disk's result).
 */
static int rec_read(void *ctx, void *buf, uint64_t offset, uint32_t len,
		    const struct bdus_req *req)
{
	record(ctx, req);
	return bdus_next(req, BUSE_OP_READ, buf, offset, len);
}

static int rec_write(void *ctx, const void *buf, uint64_t offset, uint32_t len,
		     const struct bdus_req *req)
{
	record(ctx, req);
	return bdus_next(req, BUSE_OP_WRITE, (void *)buf, offset, len);
}

static int rec_flush(void *ctx, const struct bdus_req *req)
{
	record(ctx, req);
	return bdus_next(req, BUSE_OP_FLUSH, NULL, 0, 0);
}

/* DISCARD and WRITE_ZEROES: the RAM disk leaves zeroes. */
static int rec_range(void *ctx, uint64_t offset, uint32_t len,
		     const struct bdus_req *req)
{
	record(ctx, req);
	return bdus_next(req, req->op, NULL, offset, len);
}

/*
 * SECURE_ERASE (--secure-erase), which the RAM disk does not have: it
 * writes zeroes there instead (WRITE_ZEROES, which may unmap: the RAM
 * disk gives the pages back).
 */
static int rec_secure_erase(void *ctx, uint64_t offset, uint32_t len,
			    const struct bdus_req *req)
{
	record(ctx, req);
	return bdus_next(req, BUSE_OP_WRITE_ZEROES, NULL, offset, len);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTIONS] LOG N\n"
		"\n"
		"Serve buse device N from memory and append one line per request\n"
		"to LOG: \"OP OFFSET LEN FLAGS\".  Prints /dev/buseN once serving.\n"
		"\n"
		"  -s, --size SIZE      capacity, for a device created without one\n"
		"      --no-flush       no flush callback (write-through device)\n"
		"      --no-fua         flush, but not BDUS_ENGINE_F_FUA\n"
		"      --no-discard     no discard callback\n"
		"      --no-write-zeroes  no write_zeroes callback\n"
		"      --secure-erase   add a secure_erase callback\n"
		"      --log-queue      add the hardware queue (\"q0\"...) to each line\n"
		"  -h, --help           show this help\n",
		prog);
}

static void on_ready(const struct bdus_dev *dev, void *arg)
{
	(void)arg;
	printf("%s\n", dev->block_path);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	enum { NO_FLUSH = 256, NO_FUA, NO_DISCARD, NO_WZ, SECURE, LOG_QUEUE };
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "no-flush", no_argument, NULL, NO_FLUSH },
		{ "no-fua", no_argument, NULL, NO_FUA },
		{ "no-discard", no_argument, NULL, NO_DISCARD },
		{ "no-write-zeroes", no_argument, NULL, NO_WZ },
		{ "secure-erase", no_argument, NULL, SECURE },
		{ "log-queue", no_argument, NULL, LOG_QUEUE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/*
	 * The filter has every callback; it writes, so the stack's FUA flag
	 * is this one (the RAM disk has FUA).  An op left out is hidden.
	 */
	struct storage_engine engine = {
		.name = "recorder",
		.flags = BDUS_ENGINE_F_FUA,
		.read = rec_read,
		.write = rec_write,
		.flush = rec_flush,
		.discard = rec_range,
		.write_zeroes = rec_range,
	};
	struct bdus_opts opts = { .on_ready = on_ready };
	struct recorder r = { .log_fd = -1 };
	struct ramdisk rd = { 0 };
	struct bdus_filter filter = {
		.engine = &engine,
		.ctx = &r,
		.inner = &ramdisk_engine,
		.inner_ctx = &rd,
	};
	struct storage_engine stack;
	void *stack_ctx;
	unsigned long index;
	char *end;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "s:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (bdus_parse_size(optarg, &opts.size) || !opts.size) {
				fprintf(stderr, "%s: invalid --size '%s'\n",
					prog, optarg);
				return 2;
			}
			break;
		case NO_FLUSH:
			filter.hide_ops |= BUSE_OP_BIT(BUSE_OP_FLUSH);
			break;
		case NO_FUA:
			engine.flags &= ~BDUS_ENGINE_F_FUA;
			break;
		case NO_DISCARD:
			filter.hide_ops |= BUSE_OP_BIT(BUSE_OP_DISCARD);
			break;
		case NO_WZ:
			filter.hide_ops |= BUSE_OP_BIT(BUSE_OP_WRITE_ZEROES);
			break;
		case SECURE:
			engine.secure_erase = rec_secure_erase;
			break;
		case LOG_QUEUE:
			r.log_queue = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try '%s --help'.\n", prog);
			return 2;
		}
	}
	if (optind + 2 != argc) {
		fprintf(stderr, "%s: expected LOG and N\nTry '%s --help'.\n",
			prog, prog);
		return 2;
	}
	errno = 0;
	index = strtoul(argv[optind + 1], &end, 10);
	if (*end || !*argv[optind + 1] || errno || index > BUSE_MAX_INDEX) {
		fprintf(stderr, "%s: invalid device index '%s'\n", prog,
			argv[optind + 1]);
		return 2;
	}
	/* Without a flush there is no FUA either (libbdus drops it). */
	if (filter.hide_ops & BUSE_OP_BIT(BUSE_OP_FLUSH))
		engine.flags &= ~BDUS_ENGINE_F_FUA;

	r.log_fd = open(argv[optind], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			0644);
	if (r.log_fd < 0) {
		fprintf(stderr, "%s: cannot open %s: %s\n", prog, argv[optind],
			strerror(errno));
		return 1;
	}
	/* A device with a size keeps it; --size is for one without. */
	if (opts.size) {
		struct buse_dev_info info;

		if (bdus_ctl_info((uint32_t)index, &info) == 0 && info.size)
			opts.size = 0;
	}
	ret = bdus_filter_compose(&filter, &stack, &stack_ctx);
	if (ret) {
		fprintf(stderr, "%s: cannot stack the filter: %s\n", prog,
			strerror(-ret));
		close(r.log_fd);
		return 1;
	}
	ret = bdus_serve((uint32_t)index, &stack, stack_ctx, &opts);
	bdus_filter_free(stack_ctx);
	close(r.log_fd);
	if (ret) {
		fprintf(stderr, "%s: cannot serve /dev/buse%lu: %s\n", prog,
			index, strerror(-ret));
		return 1;
	}
	return 0;
}
