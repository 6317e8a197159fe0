// SPDX-License-Identifier: MIT
/*
 * fake_driver.c - an LD_PRELOAD shim that simulates /dev/busectl, so that
 * test_busectl.c can run the real busectl binary through its success
 * paths (add, remove, info, list, version) without the kernel module.
 *
 * open("/dev/busectl") returns an fd on /dev/null that the shim remembers;
 * ioctl() on that fd answers like the driver.  State does not persist
 * between processes; it is set up from the environment:
 *
 *   FAKE_BUSE_DEVICES   comma-separated existing indexes, e.g. "0,3".
 *                       Device 0 (if present) is running with server pid
 *                       1234 and ops read,write,flush; the others are idle
 *                       with no server.  Every device has size 256M.
 *   FAKE_BUSE_OPEN_ERRNO   open() fails with this errno (e.g. 13).
 *   FAKE_BUSE_IOCTL_ERRNO  every ioctl fails with this errno.
 *   FAKE_BUSE_BUSY      an index whose block device is open: REMOVE
 *                       without BUSE_REMOVE_F_FORCE fails with EBUSY.
 *   FAKE_BUSE_RECOVERING   an index that is recoverable and waiting for
 *                       a server (BUSE_STATE_RECOVERING, recovery timeout
 *                       60 s, owned by 1000 without a group).
 *   FAKE_BUSE_ADD_DUMP  a file to which ADD writes the structure it was
 *                       given, as "field=value" lines, so that a test can
 *                       check what busectl passed to the driver.
 *
 * ADD echoes every in/out field, with the driver's defaults for 0.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <linux/buse.h>

#define MAX_FAKE 64

static int fake_fd = -1;
static uint32_t devs[MAX_FAKE];
static size_t nr_devs;

static int env_int(const char *name)
{
	const char *s = getenv(name);

	return s ? atoi(s) : 0;
}

static void load_devices(void)
{
	const char *s = getenv("FAKE_BUSE_DEVICES");
	char *end;

	nr_devs = 0;
	while (s && *s && nr_devs < MAX_FAKE) {
		devs[nr_devs++] = (uint32_t)strtoul(s, &end, 10);
		s = *end == ',' ? end + 1 : end;
		if (end == s && *s)
			break;
	}
}

static int dev_exists(uint32_t index)
{
	for (size_t i = 0; i < nr_devs; i++)
		if (devs[i] == index)
			return 1;
	return 0;
}

static void fill_info(struct buse_dev_info *d, uint32_t index)
{
	memset(d, 0, sizeof(*d));
	d->index = index;
	d->size = 256u << 20;
	d->logical_block_size = 512;
	d->physical_block_size = 512;
	d->nr_queues = 1;
	d->queue_depth = 128;
	d->max_io = 256u << 10;
	if (index == 0) {
		d->state = BUSE_STATE_RUNNING;
		d->server_pid = 1234;
		d->ops = BUSE_OPS_REQUIRED | BUSE_OP_BIT(BUSE_OP_FLUSH);
	}
	if (getenv("FAKE_BUSE_RECOVERING") &&
	    (uint32_t)env_int("FAKE_BUSE_RECOVERING") == index) {
		d->state = BUSE_STATE_RECOVERING;
		d->flags = BUSE_DEV_F_RECOVERABLE | BUSE_DEV_F_OWNER;
		d->recovery_timeout = 60;
		d->owner_uid = 1000;
		d->owner_gid = BUSE_NO_GROUP;
	}
}

/* FAKE_BUSE_ADD_DUMP: the ADD request as received. */
static void dump_add(const struct buse_dev_info *d)
{
	const char *path = getenv("FAKE_BUSE_ADD_DUMP");
	FILE *f;

	if (!path || !(f = fopen(path, "w")))
		return;
	fprintf(f, "index=%" PRIu32 "\n", d->index);
	fprintf(f, "flags=0x%" PRIx32 "\n", d->flags);
	fprintf(f, "size=%" PRIu64 "\n", (uint64_t)d->size);
	fprintf(f, "logical_block_size=%" PRIu32 "\n", d->logical_block_size);
	fprintf(f, "physical_block_size=%" PRIu32 "\n", d->physical_block_size);
	fprintf(f, "nr_queues=%" PRIu32 "\n", d->nr_queues);
	fprintf(f, "queue_depth=%" PRIu32 "\n", d->queue_depth);
	fprintf(f, "max_io=%" PRIu32 "\n", d->max_io);
	fprintf(f, "io_min=%" PRIu32 "\n", d->io_min);
	fprintf(f, "io_opt=%" PRIu32 "\n", d->io_opt);
	fprintf(f, "max_discard=%" PRIu32 "\n", d->max_discard);
	fprintf(f, "max_write_zeroes=%" PRIu32 "\n", d->max_write_zeroes);
	fprintf(f, "discard_granularity=%" PRIu32 "\n", d->discard_granularity);
	fprintf(f, "timeout=%" PRIu32 "\n", d->timeout);
	fprintf(f, "recovery_timeout=%" PRIu32 "\n", d->recovery_timeout);
	fprintf(f, "owner_uid=%" PRIu32 "\n", d->owner_uid);
	fprintf(f, "owner_gid=%" PRIu32 "\n", d->owner_gid);
	fprintf(f, "out_and_reserved_zero=%d\n",
		d->state == 0 && d->server_pid == 0 &&
		d->ops == 0 && d->__pad1 == 0 && d->__pad2 == 0 &&
		d->reserved[0] == 0);
	fclose(f);
}

static int fake_open(const char *path)
{
	int (*real_open)(const char *, int, ...) =
		(int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	int err = env_int("FAKE_BUSE_OPEN_ERRNO");

	(void)path;
	if (err) {
		errno = err;
		return -1;
	}
	load_devices();
	fake_fd = real_open("/dev/null", O_RDWR | O_CLOEXEC);
	return fake_fd;
}

int open(const char *path, int flags, ...)
{
	int (*real_open)(const char *, int, ...);
	mode_t mode = 0;
	va_list ap;

	if (strcmp(path, BUSE_CTL_DEVICE) == 0)
		return fake_open(path);
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	int (*real_open)(const char *, int, ...);
	mode_t mode = 0;
	va_list ap;

	if (strcmp(path, BUSE_CTL_DEVICE) == 0)
		return fake_open(path);
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open64");
	return real_open(path, flags, mode);
}

static int fake_ioctl(unsigned long req, void *arg)
{
	int err = env_int("FAKE_BUSE_IOCTL_ERRNO");

	if (err) {
		errno = err;
		return -1;
	}
	if (req == BUSE_CTL_VERSION) {
		struct buse_version *v = arg;

		memset(v, 0, sizeof(*v));
		v->abi_version = BUSE_ABI_VERSION;
		v->features = BUSE_FEAT_ALL;
		v->max_queues = 2;
		v->max_depth = BUSE_MAX_DEPTH;
		v->max_io = BUSE_MAX_MAX_IO;
		v->max_index = BUSE_MAX_INDEX;
		return 0;
	}
	if (req == BUSE_CTL_ADD) {
		struct buse_dev_info *d = arg, in = *d;
		uint32_t index = in.index, max_nodata;

		dump_add(&in);
		if (index == BUSE_INDEX_ANY)
			for (index = 0; dev_exists(index); index++)
				;
		else if (dev_exists(index))
			return errno = EEXIST, -1;
		if (in.nr_queues > 2)
			return errno = EINVAL, -1;	/* "2 CPUs" */
		fill_info(d, index);
		d->size = in.size;
		d->flags = in.flags;
		if (in.logical_block_size)
			d->logical_block_size = in.logical_block_size;
		d->physical_block_size = in.physical_block_size ?
			in.physical_block_size : d->logical_block_size;
		if (in.nr_queues)
			d->nr_queues = in.nr_queues;
		if (in.queue_depth)
			d->queue_depth = in.queue_depth;
		if (in.max_io)
			d->max_io = in.max_io;
		max_nodata = 0xfffffe00u & ~(d->logical_block_size - 1);
		d->io_min = in.io_min ? in.io_min : d->physical_block_size;
		d->io_opt = in.io_opt;
		d->max_discard = in.max_discard ? in.max_discard : max_nodata;
		d->max_write_zeroes = in.max_write_zeroes ?
			in.max_write_zeroes : max_nodata;
		d->discard_granularity = in.discard_granularity ?
			in.discard_granularity : d->logical_block_size;
		d->timeout = in.timeout;
		d->recovery_timeout = in.recovery_timeout;
		d->owner_uid = (in.flags & BUSE_DEV_F_OWNER) ? in.owner_uid : 0;
		d->owner_gid = (in.flags & BUSE_DEV_F_OWNER) ? in.owner_gid : 0;
		d->state = BUSE_STATE_IDLE;
		d->server_pid = 0;
		d->ops = 0;
		return 0;
	}
	if (req == BUSE_CTL_REMOVE) {
		struct buse_ctl_remove *r = arg;
		const char *busy = getenv("FAKE_BUSE_BUSY");

		if (r->flags & ~BUSE_REMOVE_F_ALL)
			return errno = EINVAL, -1;
		if (!dev_exists(r->index))
			return errno = ENODEV, -1;
		if (busy && (uint32_t)atoi(busy) == r->index &&
		    !(r->flags & BUSE_REMOVE_F_FORCE))
			return errno = EBUSY, -1;
		return 0;
	}
	if (req == BUSE_CTL_INFO) {
		struct buse_dev_info *d = arg;

		if (!dev_exists(d->index))
			return errno = ENODEV, -1;
		fill_info(d, d->index);
		return 0;
	}
	if (req == BUSE_CTL_LIST) {
		struct buse_ctl_list *l = arg;
		uint32_t *out = (uint32_t *)(uintptr_t)l->indexes;

		for (size_t i = 0; i < nr_devs && i < l->count; i++)
			out[i] = devs[i];
		l->nr_devices = (uint32_t)nr_devs;
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

int ioctl(int fd, unsigned long req, ...)
{
	int (*real_ioctl)(int, unsigned long, ...);
	void *arg;
	va_list ap;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd >= 0 && fd == fake_fd)
		return fake_ioctl(req, arg);
	real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	return real_ioctl(fd, req, arg);
}
