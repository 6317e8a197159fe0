// SPDX-License-Identifier: MIT
/*
 * ramdisk - a buse block device kept in memory.
 *
 * The device's contents live in an anonymous private mapping of the
 * device's size (MAP_NORESERVE: memory is used only for blocks written;
 * discarded ranges are given back).  Everything is lost when the program
 * stops.
 *
 * Build (from the top of the tree):
 *     make examples
 * Run (as root; buse.ko loaded):
 *     examples/ramdisk --create --size 1G          # creates /dev/buseN,
 *                                                  # prints its path,
 *                                                  # removes it on exit
 *     N=$(busectl add --size 1G) && examples/ramdisk $N
 *                                                  # serves an existing device
 *     examples/ramdisk --size 1G 3                 # device 3, created without
 *                                                  # a size, gets 1G
 *     examples/ramdisk --help
 * Stop it with Ctrl-C (SIGINT) or SIGTERM, or remove the device
 * (busectl remove N): it then exits with status 0.
 *
 * Once the device is served the program prints its path (/dev/buseN) on
 * stdout, in both modes, so a script can wait for that line.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bdus.h>
#include <bdus_ctl.h>

static const char *prog = "ramdisk";

/* ------------------------------------------------------------------------
 * The engine
 */

struct ramdisk {
	unsigned char *mem;
	uint64_t size;
	size_t page;
};

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

static const struct storage_engine ramdisk_engine = {
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

/* ------------------------------------------------------------------------
 * Command line
 */

struct cli {
	bool create;
	bool have_size;
	bool read_only;
	bool mlock;
	bool no_pin;
	uint64_t size;
	uint32_t queues, depth, max_io, lbs, pbs;
	uint32_t index;
	uint32_t poll_us;
};

/* Long-only options. */
enum { OPT_POLL_US = 256, OPT_MLOCK, OPT_NO_PIN };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [--size SIZE] N\n"
		"       %s --create --size SIZE [OPTIONS]\n"
		"\n"
		"Serve buse device N (/dev/buseN) from memory, or create a device,\n"
		"serve it and remove it on exit.  Prints /dev/buseN once serving.\n"
		"Stops on SIGINT/SIGTERM or when the device is removed.\n"
		"\n"
		"  -s, --size SIZE          capacity (e.g. 256M, 1G); when serving N,\n"
		"                           used only if the device has no size\n"
		"  -c, --create             create a new device (first free index)\n"
		"  -q, --queues Q           hardware queues (with --create)\n"
		"  -d, --depth D            requests in flight per queue (with --create)\n"
		"  -m, --max-io SIZE        largest request (with --create)\n"
		"  -b, --logical-block-size SIZE   (with --create)\n"
		"  -p, --physical-block-size SIZE  (with --create)\n"
		"  -r, --read-only          create a read-only device (with --create)\n"
		"      --poll-us N          after each batch, poll up to N microseconds\n"
		"                           for the next request before sleeping\n"
		"                           (adaptive; 0, the default: never poll)\n"
		"      --mlock              lock the server's memory (mlockall): it then\n"
		"                           never waits for paging, e.g. when swap or\n"
		"                           its own binary lives on the device; the\n"
		"                           whole device's memory is then allocated\n"
		"                           (and locked) at start\n"
		"      --no-pin             do not pin queue thread q to the CPUs that\n"
		"                           submit to hardware queue q\n"
		"  -h, --help               show this help\n"
		"\n"
		"SIZE takes K, M, G, T suffixes (powers of 1024).  Options left out\n"
		"get the driver's defaults.\n",
		prog, prog);
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno || v > UINT32_MAX)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

static int parse_size32(const char *s, uint32_t *out)
{
	uint64_t v;
	int ret = bdus_parse_size(s, &v);

	if (ret)
		return ret;
	if (v > UINT32_MAX)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

/* 0, or an exit status (2: bad usage; 0 after --help) with *done set. */
static int parse_cli(int argc, char **argv, struct cli *c, bool *done)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "create", no_argument, NULL, 'c' },
		{ "queues", required_argument, NULL, 'q' },
		{ "depth", required_argument, NULL, 'd' },
		{ "max-io", required_argument, NULL, 'm' },
		{ "logical-block-size", required_argument, NULL, 'b' },
		{ "physical-block-size", required_argument, NULL, 'p' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "poll-us", required_argument, NULL, OPT_POLL_US },
		{ "mlock", no_argument, NULL, OPT_MLOCK },
		{ "no-pin", no_argument, NULL, OPT_NO_PIN },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool create_only = false;
	int opt, ret;

	memset(c, 0, sizeof(*c));
	*done = false;
	while ((opt = getopt_long(argc, argv, "s:cq:d:m:b:p:rh", longopts,
				  NULL)) != -1) {
		ret = 0;
		switch (opt) {
		case 's':
			ret = bdus_parse_size(optarg, &c->size);
			if (!ret && !c->size)
				ret = -EDOM;
			c->have_size = true;
			break;
		case 'c':
			c->create = true;
			break;
		case 'q':
			ret = parse_u32(optarg, &c->queues);
			create_only = true;
			break;
		case 'd':
			ret = parse_u32(optarg, &c->depth);
			create_only = true;
			break;
		case 'm':
			ret = parse_size32(optarg, &c->max_io);
			create_only = true;
			break;
		case 'b':
			ret = parse_size32(optarg, &c->lbs);
			create_only = true;
			break;
		case 'p':
			ret = parse_size32(optarg, &c->pbs);
			create_only = true;
			break;
		case 'r':
			c->read_only = true;
			create_only = true;
			break;
		case OPT_POLL_US:
			ret = parse_u32(optarg, &c->poll_us);
			if (!ret && c->poll_us > BDUS_MAX_POLL_US)
				ret = -ERANGE;
			break;
		case OPT_MLOCK:
			c->mlock = true;
			break;
		case OPT_NO_PIN:
			c->no_pin = true;
			break;
		case 'h':
			usage(stdout);
			*done = true;
			return 0;
		default:
			fprintf(stderr, "Try '%s --help'.\n", prog);
			*done = true;
			return 2;
		}
		if (ret) {
			const struct option *o = longopts;

			while (o->val != opt)
				o++;
			fprintf(stderr, "%s: invalid value for --%s: '%s' (%s)\n",
				prog, o->name, optarg,
				ret == -ERANGE ? "too large" :
				ret == -EDOM ? "must not be 0" :
				"not a valid number");
			goto bad;
		}
	}

	if (c->create) {
		if (optind != argc) {
			fprintf(stderr, "%s: --create takes no device index\n",
				prog);
			goto bad;
		}
		if (!c->have_size) {
			fprintf(stderr, "%s: --create needs --size\n", prog);
			goto bad;
		}
		return 0;
	}
	if (create_only) {
		fprintf(stderr, "%s: --queues, --depth, --max-io, "
			"--logical-block-size, --physical-block-size and "
			"--read-only need --create\n", prog);
		goto bad;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "%s: %s\n", prog, optind == argc ?
			"missing device index N (or --create)" :
			"too many arguments");
		goto bad;
	}
	if (parse_u32(argv[optind], &c->index) || c->index > BUSE_MAX_INDEX) {
		fprintf(stderr, "%s: invalid device index '%s' (0..%u)\n", prog,
			argv[optind], BUSE_MAX_INDEX);
		goto bad;
	}
	return 0;
bad:
	fprintf(stderr, "Try '%s --help'.\n", prog);
	*done = true;
	return 2;
}

/* A message for an error of bdus_serve(). */
static const char *serve_strerror(int err, bool mlock)
{
	/* --mlock: mlockall() fails first, or locked mappings later. */
	if (mlock && err == -EPERM)
		return "permission denied (run as root; --mlock needs "
		       "CAP_IPC_LOCK or a non-zero RLIMIT_MEMLOCK)";
	if (mlock && (err == -ENOMEM || err == -EAGAIN))
		return "cannot lock the memory (--mlock needs CAP_IPC_LOCK or "
		       "a large enough RLIMIT_MEMLOCK, and that much memory)";
	switch (-err) {
	case ENOENT:
		return "no such device (or buse.ko is not loaded)";
	case ENODEV:
		return "no such device, or it is being removed";
	case EBUSY:
		return "the device already has a server";
	case EACCES:
	case EPERM:
		return "permission denied (run as root)";
	case EINVAL:
		return "the driver refused to attach (does the device have a "
		       "size? if not, pass --size)";
	case EPROTO:
		return "protocol error talking to the buse driver (driver and "
		       "library versions differ?)";
	default:
		return strerror(-err);
	}
}

static void on_ready(const struct bdus_dev *dev, void *arg)
{
	(void)arg;
	printf("%s\n", dev->block_path);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct ramdisk rd = { 0 };
	struct bdus_opts opts = { .on_ready = on_ready };
	struct cli c;
	bool done;
	int ret;

	ret = parse_cli(argc, argv, &c, &done);
	if (done)
		return ret;
	opts.poll_us = c.poll_us;
	if (c.mlock)
		opts.flags |= BDUS_OPT_MLOCK;
	if (c.no_pin)
		opts.flags |= BDUS_OPT_NO_PIN;

	if (c.create) {
		struct buse_dev_info info = {
			.index = BUSE_INDEX_ANY,
			.flags = c.read_only ? BUSE_DEV_F_READ_ONLY : 0,
			.size = c.size,
			.logical_block_size = c.lbs,
			.physical_block_size = c.pbs,
			.nr_queues = c.queues,
			.queue_depth = c.depth,
			.max_io = c.max_io,
		};

		ret = bdus_create_and_serve(&info, &ramdisk_engine, &rd, &opts);
		if (ret && info.index == BUSE_INDEX_ANY) {
			/* bdus_ctl_add() leaves info alone when it fails. */
			fprintf(stderr, "%s: cannot create the device: %s\n",
				prog, bdus_strerror_ctl(ret));
			return 1;
		}
		if (ret) {
			fprintf(stderr, "%s: serving " BUSE_BLOCK_DEVICE_FMT
				" failed: %s\n", prog, info.index,
				serve_strerror(ret, c.mlock));
			return 1;
		}
		return 0;
	}

	/* The device's own size wins; --size is for a device without one. */
	if (c.have_size) {
		struct buse_dev_info info;

		ret = bdus_ctl_info(c.index, &info);
		if (ret == -ENODEV) {
			fprintf(stderr, "%s: no device %u\n", prog, c.index);
			return 1;
		}
		if (ret == 0 && info.size && info.size != c.size)
			fprintf(stderr, "%s: device %u already has a size "
				"(%" PRIu64 " bytes); --size ignored\n", prog,
				c.index, (uint64_t)info.size);
		/* If we cannot ask (not allowed), let the attach decide. */
		opts.size = ret == 0 && info.size ? 0 : c.size;
	}
	ret = bdus_serve(c.index, &ramdisk_engine, &rd, &opts);
	if (ret) {
		fprintf(stderr, "%s: cannot serve " BUSE_BLOCK_DEVICE_FMT ": %s\n",
			prog, c.index, serve_strerror(ret, c.mlock));
		return 1;
	}
	return 0;
}
