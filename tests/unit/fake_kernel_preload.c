// SPDX-License-Identifier: MIT
/*
 * fake_kernel_preload.c - an LD_PRELOAD shim that puts the fake kernel
 * (fake_kernel.c) behind /dev/busectl, so that test_busectl.c can run the
 * real busectl binary through its success paths (add, remove, info, list,
 * version) without the kernel module.
 *
 * open("/dev/busectl") returns an fd on /dev/null that the shim remembers;
 * ioctl() on that fd is fake_kernel_ioctl().  State does not persist
 * between processes; it is set up from the environment:
 *
 *   FAKE_BUSE_DEVICES   comma-separated existing indexes, e.g. "0,3", each
 *                       added with size 256M and the driver's defaults.
 *                       Device 0 (if present) is running with server pid
 *                       1234 and ops read,write,flush; the others are idle
 *                       with no server.
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
#include <unistd.h>

#include "fake_kernel.h"

static int fake_fd = -1;

/* The index in environment variable name, or -1 if unset. */
static long env_index(const char *name)
{
	const char *s = getenv(name);

	return s ? atol(s) : -1;
}

/* FAKE_BUSE_ADD_DUMP: the ADD request as received. */
static int dump_add(int fd, unsigned long req, void *arg, void *ctx)
{
	const struct buse_dev_info *d = arg;
	FILE *f = fopen(ctx, "w");

	if (f) {
		fprintf(f, "index=%" PRIu32 "\n", d->index);
		fprintf(f, "flags=0x%" PRIx32 "\n", d->flags);
		fprintf(f, "size=%" PRIu64 "\n", (uint64_t)d->size);
		fprintf(f, "logical_block_size=%" PRIu32 "\n",
			d->logical_block_size);
		fprintf(f, "physical_block_size=%" PRIu32 "\n",
			d->physical_block_size);
		fprintf(f, "nr_queues=%" PRIu32 "\n", d->nr_queues);
		fprintf(f, "queue_depth=%" PRIu32 "\n", d->queue_depth);
		fprintf(f, "max_io=%" PRIu32 "\n", d->max_io);
		fprintf(f, "io_min=%" PRIu32 "\n", d->io_min);
		fprintf(f, "io_opt=%" PRIu32 "\n", d->io_opt);
		fprintf(f, "max_discard=%" PRIu32 "\n", d->max_discard);
		fprintf(f, "max_write_zeroes=%" PRIu32 "\n",
			d->max_write_zeroes);
		fprintf(f, "discard_granularity=%" PRIu32 "\n",
			d->discard_granularity);
		fprintf(f, "timeout=%" PRIu32 "\n", d->timeout);
		fprintf(f, "recovery_timeout=%" PRIu32 "\n",
			d->recovery_timeout);
		fprintf(f, "owner_uid=%" PRIu32 "\n", d->owner_uid);
		fprintf(f, "owner_gid=%" PRIu32 "\n", d->owner_gid);
		fprintf(f, "out_and_reserved_zero=%d\n",
			d->state == 0 && d->server_pid == 0 && d->ops == 0 &&
				d->__pad1 == 0 && d->__pad2 == 0 &&
				d->reserved[0] == 0);
		fclose(f);
	}
	return fake_kernel_builtin(fd, req, arg);
}

/* The fake kernel the environment describes. */
static void setup_kernel(void)
{
	const char *s = getenv("FAKE_BUSE_DEVICES");
	struct fake_dev *dev;
	char *end;

	fake_kernel_reset();
	while (s && *s) {
		dev = fake_kernel_add((uint32_t)strtoul(s, &end, 10),
				      256u << 20);
		if (dev && dev->info.index == 0) {
			dev->info.state = BUSE_STATE_RUNNING;
			dev->info.server_pid = 1234;
			dev->info.ops = BUSE_OPS_REQUIRED |
					BUSE_OP_BIT(BUSE_OP_FLUSH);
		}
		if (end == s)
			break;
		s = *end == ',' ? end + 1 : end;
	}
	if ((dev = fake_kernel_find((uint32_t)env_index("FAKE_BUSE_BUSY"))))
		dev->opened = true;
	if ((dev = fake_kernel_find(
		     (uint32_t)env_index("FAKE_BUSE_RECOVERING")))) {
		dev->info.state = BUSE_STATE_RECOVERING;
		dev->info.flags = BUSE_DEV_F_RECOVERABLE | BUSE_DEV_F_OWNER;
		dev->info.recovery_timeout = 60;
		dev->info.owner_uid = 1000;
		dev->info.owner_gid = BUSE_NO_GROUP;
	}
	fake_kernel.ioctl_errno = (int)env_index("FAKE_BUSE_IOCTL_ERRNO");
	if (fake_kernel.ioctl_errno < 0)
		fake_kernel.ioctl_errno = 0;
	if (getenv("FAKE_BUSE_ADD_DUMP"))
		fake_kernel_on(BUSE_CTL_ADD, dump_add,
			       getenv("FAKE_BUSE_ADD_DUMP"));
}

/* open(2) through the next definition (libc's) of name. */
static int real_open(const char *name, const char *path, int flags, va_list ap)
{
	int (*next)(const char *, int, ...) =
		(int (*)(const char *, int, ...))dlsym(RTLD_NEXT, name);
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE))
		mode = (mode_t)va_arg(ap, int);
	return next(path, flags, mode);
}

static int fake_open(const char *name, const char *path, int flags, va_list ap)
{
	long err = env_index("FAKE_BUSE_OPEN_ERRNO");

	if (strcmp(path, BUSE_CTL_DEVICE) != 0)
		return real_open(name, path, flags, ap);
	if (err > 0) {
		errno = (int)err;
		return -1;
	}
	if (fake_fd < 0) /* once: what busectl adds, it then finds */
		setup_kernel();
	else
		close(fake_fd);
	fake_fd = real_open(name, "/dev/null", O_RDWR | O_CLOEXEC, ap);
	return fake_fd;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	int ret;

	va_start(ap, flags);
	ret = fake_open("open", path, flags, ap);
	va_end(ap);
	return ret;
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	int ret;

	va_start(ap, flags);
	ret = fake_open("open64", path, flags, ap);
	va_end(ap);
	return ret;
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
		return fake_kernel_ioctl(fd, req, arg);
	real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT,
							     "ioctl");
	return real_ioctl(fd, req, arg);
}
