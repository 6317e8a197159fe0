// SPDX-License-Identifier: MIT
/*
 * fake_kernel.c - the simulated buse driver of the unit tests; see
 * fake_kernel.h.  Its control semantics follow driver/buse_dev.c and
 * driver/buse_main.c, its defaults come from the uapi header.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "fake_kernel.h"

struct fake_kernel fake_kernel;

void fake_kernel_reset(void)
{
	free(fake_kernel.devs);
	memset(&fake_kernel, 0, sizeof(fake_kernel));
	fake_kernel.max_queues = 2;
}

struct fake_dev *fake_kernel_find(uint32_t index)
{
	for (size_t i = 0; i < fake_kernel.nr_devs; i++)
		if (fake_kernel.devs[i].info.index == index)
			return &fake_kernel.devs[i];
	return NULL;
}

bool fake_kernel_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

static uint32_t or_default(uint32_t v, uint32_t def)
{
	return v ? v : def;
}

/* BUSE_CTL_ADD: the driver's defaults and the checks the tests rely on. */
static int ctl_add(struct buse_dev_info *d)
{
	struct fake_dev *dev;
	uint32_t lbs, max_nodata;

	if (!fake_kernel_zero(d->reserved, sizeof(d->reserved)) || d->__pad2)
		return errno = EINVAL, -1;
	if (d->index != BUSE_INDEX_ANY && d->index > BUSE_MAX_INDEX)
		return errno = EINVAL, -1;
	if (d->nr_queues > fake_kernel.max_queues ||
	    d->nr_poll_queues > fake_kernel.max_queues)
		return errno = EINVAL, -1;
	if (d->index == BUSE_INDEX_ANY) {
		for (d->index = 0; fake_kernel_find(d->index); d->index++)
			;
		if (d->index > BUSE_MAX_INDEX)
			return errno = ENOSPC, -1;
	} else if (fake_kernel_find(d->index)) {
		return errno = EEXIST, -1;
	}
	if (fake_kernel.nr_devs == fake_kernel.cap) {
		size_t cap = fake_kernel.cap ? 2 * fake_kernel.cap : 16;
		struct fake_dev *devs = realloc(fake_kernel.devs,
						cap * sizeof(*devs));

		if (!devs)
			return errno = ENOMEM, -1;
		fake_kernel.devs = devs;
		fake_kernel.cap = cap;
	}

	d->flags &= BUSE_DEV_F_ALL;
	if (!(d->flags & BUSE_DEV_F_OWNER)) {
		d->owner_uid = 0;
		d->owner_gid = 0;
	}
	d->logical_block_size = or_default(d->logical_block_size,
					   BUSE_DEF_BLOCK_SIZE);
	lbs = d->logical_block_size;
	d->physical_block_size = or_default(d->physical_block_size, lbs);
	max_nodata = BUSE_MAX_NODATA_BYTES(lbs);
	d->io_min = or_default(d->io_min, d->physical_block_size);
	d->max_discard = or_default(d->max_discard, max_nodata);
	d->max_write_zeroes = or_default(d->max_write_zeroes, max_nodata);
	d->discard_granularity = or_default(d->discard_granularity, lbs);
	d->queue_depth = or_default(d->queue_depth, BUSE_DEF_DEPTH);
	d->max_io = or_default(d->max_io, BUSE_DEF_MAX_IO);
	/* One queue per CPU. */
	d->nr_queues = or_default(d->nr_queues, fake_kernel.max_queues);
	d->state = BUSE_STATE_IDLE;
	d->server_pid = 0;
	d->ops = 0;
	d->__pad1 = 0;

	dev = &fake_kernel.devs[fake_kernel.nr_devs++];
	memset(dev, 0, sizeof(*dev));
	dev->info = *d;
	return 0;
}

struct fake_dev *fake_kernel_add(uint32_t index, uint64_t size)
{
	struct buse_dev_info d;

	memset(&d, 0, sizeof(d));
	d.index = index;
	d.size = size;
	return ctl_add(&d) ? NULL : fake_kernel_find(d.index);
}

static int ctl_remove(const struct buse_ctl_remove *r)
{
	struct fake_dev *dev = fake_kernel_find(r->index);
	size_t i;

	if (r->flags & ~BUSE_REMOVE_F_ALL)
		return errno = EINVAL, -1;
	if (!dev)
		return errno = ENODEV, -1;
	if (dev->opened && !(r->flags & BUSE_REMOVE_F_FORCE))
		return errno = EBUSY, -1;
	i = (size_t)(dev - fake_kernel.devs);
	memmove(dev, dev + 1, (fake_kernel.nr_devs - i - 1) * sizeof(*dev));
	fake_kernel.nr_devs--;
	return 0;
}

int fake_kernel_builtin(int fd, unsigned long req, void *arg)
{
	(void)fd;
	if (req == BUSE_CTL_VERSION) {
		struct buse_version *v = arg;

		memset(v, 0, sizeof(*v));
		v->abi_version = BUSE_ABI_VERSION;
		v->features = BUSE_FEAT_ALL;
		v->max_queues = fake_kernel.max_queues;
		v->max_depth = BUSE_MAX_DEPTH;
		v->max_io = BUSE_MAX_MAX_IO;
		v->max_index = BUSE_MAX_INDEX;
		return 0;
	}
	if (req == BUSE_CTL_ADD)
		return ctl_add(arg);
	if (req == BUSE_CTL_REMOVE)
		return ctl_remove(arg);
	if (req == BUSE_CTL_INFO) {
		struct buse_dev_info *d = arg;
		struct fake_dev *dev = fake_kernel_find(d->index);

		if (!dev)
			return errno = ENODEV, -1;
		*d = dev->info;
		return 0;
	}
	if (req == BUSE_CTL_LIST) {
		struct buse_ctl_list *l = arg;
		uint32_t *out = (uint32_t *)(uintptr_t)l->indexes;

		for (size_t i = 0; i < fake_kernel.nr_devs && i < l->count; i++)
			out[i] = fake_kernel.devs[i].info.index;
		l->nr_devices = (uint32_t)fake_kernel.nr_devs;
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

void fake_kernel_on(unsigned long req, fake_kernel_fn fn, void *ctx)
{
	size_t n = sizeof(fake_kernel.hooks) / sizeof(fake_kernel.hooks[0]);

	if (fake_kernel.nr_hooks < n)
		fake_kernel.hooks[fake_kernel.nr_hooks++] =
			(struct fake_kernel_hook){ req, fn, ctx };
}

int fake_kernel_ioctl(int fd, unsigned long req, void *arg)
{
	size_t len = _IOC_SIZE(req);

	fake_kernel.calls++;
	fake_kernel.last_req = req;
	memset(&fake_kernel.last_in, 0, sizeof(fake_kernel.last_in));
	if (arg && len <= sizeof(fake_kernel.last_in))
		memcpy(&fake_kernel.last_in, arg, len);
	if (fake_kernel.ioctl_errno) {
		errno = fake_kernel.ioctl_errno;
		return -1;
	}
	for (size_t i = 0; i < fake_kernel.nr_hooks; i++)
		if (fake_kernel.hooks[i].req == req)
			return fake_kernel.hooks[i].fn(
				fd, req, arg, fake_kernel.hooks[i].ctx);
	return fake_kernel_builtin(fd, req, arg);
}
