// SPDX-License-Identifier: MIT
/*
 * test_ctl.c - the control API (libbdus/src/ctl.c) against the fake
 * kernel (fake_kernel.h), which libbdus reaches through sys.h: the control
 * path points at /dev/null and ioctl() is fake_kernel_ioctl().  Criterion
 * runs every test in its own process, so nothing leaks between tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "bdus_ctl.h"
#include "ctl_internal.h"
#include "sys.h"
#include "fake_kernel.h"

/* Whether the ADD request the kernel got had its out-only, padding and
 * reserved fields zeroed. */
static int add_input_clean(void)
{
	const struct buse_dev_info *d = &fake_kernel.last_in.info;

	return d->state == 0 && d->server_pid == 0 && d->ops == 0 &&
	       d->__pad1 == 0 && d->__pad2 == 0 &&
	       fake_kernel_zero(d->reserved, sizeof(d->reserved));
}

static int rm_reserved_zero(void)
{
	return fake_kernel_zero(fake_kernel.last_in.rm.reserved,
				sizeof(fake_kernel.last_in.rm.reserved));
}

/* Adds n devices with the next even indexes (0, 2, 4...). */
static void add_even_devices(uint32_t n)
{
	while (n--)
		cr_assert_not_null(fake_kernel_add(
			(uint32_t)fake_kernel.nr_devs * 2, 1 << 20));
}

/* LIST: devices that others add between two LISTs. */
static uint32_t list_grow_by;
static unsigned int list_calls;

static int list_then_grow(int fd, unsigned long req, void *arg, void *ctx)
{
	int ret = fake_kernel_builtin(fd, req, arg);

	(void)ctx;
	cr_assert_geq(fd, 0);
	list_calls++;
	add_even_devices(list_grow_by);
	return ret;
}

static void use_fake(void)
{
	fake_kernel_install();
	fake_kernel_on(BUSE_CTL_LIST, list_then_grow, NULL);
}

static void fake_fini(void)
{
	fake_kernel_reset();
}

TestSuite(ctl, .init = use_fake, .fini = fake_fini);

/* ------------------------------------------------------------------------
 * Tests
 */

/* Without fake_kernel_install(), the real device and ioctl(2) are used. */
Test(ctl_defaults, real_device_and_ioctl)
{
	cr_expect_str_eq(bdus__ctl_path, BUSE_CTL_DEVICE);
	cr_expect_not_null((void *)bdus__ioctl);
	cr_expect_neq((void *)bdus__ioctl, (void *)fake_kernel_ioctl);
}

Test(ctl, version)
{
	struct buse_version v;

	memset(&v, 0xff, sizeof(v));
	cr_assert_eq(bdus_ctl_version(&v), 0);
	cr_expect_eq(fake_kernel.last_req, BUSE_CTL_VERSION);
	cr_expect(fake_kernel_zero(&fake_kernel.last_in.version,
				   sizeof(fake_kernel.last_in.version)),
		  "request not zeroed");
	cr_expect_eq(v.abi_version, BUSE_ABI_VERSION);
	cr_expect_eq(v.max_queues, 2);
	cr_expect_eq(v.features, BUSE_FEAT_ALL);
	cr_expect_eq(v.reserved[0], 0);
	cr_expect_eq(bdus_ctl_version(NULL), -EINVAL);
}

Test(ctl, add_sends_only_input_fields)
{
	const struct buse_dev_info *in = &fake_kernel.last_in.info;
	struct buse_dev_info d;

	add_even_devices(3);	     /* 0, 2, 4: 1 is the first free */
	memset(&d, 0x5a, sizeof(d)); /* garbage everywhere */
	d.index = BUSE_INDEX_ANY;
	d.flags = BUSE_DEV_F_READ_ONLY | BUSE_DEV_F_OWNER;
	d.size = 1 << 20;
	d.logical_block_size = 4096;
	d.physical_block_size = 0;
	d.nr_queues = 2;
	d.queue_depth = 0;
	d.max_io = 1 << 20;
	d.nr_poll_queues = 1;
	d.io_min = 8192;
	d.io_opt = 65536;
	d.max_discard = 1 << 20;
	d.max_write_zeroes = 2 << 20;
	d.discard_granularity = 4096;
	d.timeout = 30;
	d.recovery_timeout = 60;
	d.owner_uid = 1000;
	d.owner_gid = 100;
	memset(d.serial, 0, sizeof(d.serial));
	memcpy(d.serial, "disk-1", 6);
	cr_assert_eq(bdus_ctl_add(&d), 0);
	cr_expect_eq(fake_kernel.last_req, BUSE_CTL_ADD);
	cr_expect(add_input_clean(), "out-only/padding/reserved not zeroed");
	/* every in/out field reaches the driver as given */
	cr_expect_eq(in->index, BUSE_INDEX_ANY);
	cr_expect_eq(in->flags, BUSE_DEV_F_READ_ONLY | BUSE_DEV_F_OWNER);
	cr_expect_eq(in->size, 1 << 20);
	cr_expect_eq(in->logical_block_size, 4096);
	cr_expect_eq(in->physical_block_size, 0);
	cr_expect_eq(in->nr_queues, 2);
	cr_expect_eq(in->queue_depth, 0);
	cr_expect_eq(in->max_io, 1 << 20);
	cr_expect_eq(in->nr_poll_queues, 1);
	cr_expect_eq(in->io_min, 8192);
	cr_expect_eq(in->io_opt, 65536);
	cr_expect_eq(in->max_discard, 1 << 20);
	cr_expect_eq(in->max_write_zeroes, 2 << 20);
	cr_expect_eq(in->discard_granularity, 4096);
	cr_expect_eq(in->timeout, 30);
	cr_expect_eq(in->recovery_timeout, 60);
	cr_expect_eq(in->owner_uid, 1000);
	cr_expect_eq(in->owner_gid, 100);
	cr_expect_arr_eq(in->serial, d.serial, sizeof(d.serial));
	/* the result is copied back whole */
	cr_expect_eq(d.index, 1);
	cr_expect_eq(d.physical_block_size, 4096);
	cr_expect_eq(d.queue_depth, BUSE_DEF_DEPTH);
	cr_expect_arr_eq(d.serial, "disk-1", 7);
	cr_expect_eq(d.state, BUSE_STATE_IDLE);
	cr_expect_eq(d.server_pid, 0);
	cr_expect_eq(d.__pad2, 0);
	cr_expect_eq(d.reserved[0], 0);
	cr_expect_eq(bdus_ctl_add(NULL), -EINVAL);
}

Test(ctl, add_error_leaves_info_alone)
{
	struct buse_dev_info d, before;

	memset(&d, 0, sizeof(d));
	d.index = 1;
	before = d;
	fake_kernel.ioctl_errno = EEXIST;
	cr_expect_eq(bdus_ctl_add(&d), -EEXIST);
	cr_expect_eq(memcmp(&d, &before, sizeof(d)), 0);
	fake_kernel.ioctl_errno = EINVAL;
	cr_expect_eq(bdus_ctl_add(&d), -EINVAL);
	fake_kernel.ioctl_errno = EPERM;
	cr_expect_eq(bdus_ctl_add(&d), -EPERM);
}

Test(ctl, remove)
{
	cr_assert_not_null(fake_kernel_add(42, 1 << 20));
	cr_assert_not_null(fake_kernel_add(43, 1 << 20));
	fake_kernel_find(43)->opened = true;
	cr_assert_eq(bdus_ctl_remove(42), 0);
	cr_expect_null(fake_kernel_find(42));
	cr_expect_eq(fake_kernel.last_req, BUSE_CTL_REMOVE);
	cr_expect_eq(fake_kernel.last_in.rm.index, 42);
	cr_expect_eq(fake_kernel.last_in.rm.flags, 0);
	cr_expect(rm_reserved_zero());
	cr_expect_eq(bdus_ctl_remove(43), -EBUSY, "43 is open");
	cr_assert_eq(bdus_ctl_remove_flags(43, BUSE_REMOVE_F_FORCE), 0);
	cr_expect_eq(fake_kernel.last_in.rm.index, 43);
	cr_expect_eq(fake_kernel.last_in.rm.flags, BUSE_REMOVE_F_FORCE);
	cr_expect(rm_reserved_zero());
	cr_expect_null(fake_kernel_find(43));
	fake_kernel.ioctl_errno = ENODEV;
	cr_expect_eq(bdus_ctl_remove(43), -ENODEV);
	fake_kernel.ioctl_errno = EBUSY;
	cr_expect_eq(bdus_ctl_remove(43), -EBUSY);
	cr_expect_eq(bdus_ctl_remove_flags(43, 0), -EBUSY);
}

Test(ctl, info)
{
	const struct buse_dev_info *in = &fake_kernel.last_in.info;
	struct buse_dev_info d;

	cr_assert_not_null(fake_kernel_add(9, 1 << 20));
	memset(&d, 0x77, sizeof(d));
	cr_assert_eq(bdus_ctl_info(9, &d), 0);
	cr_expect_eq(fake_kernel.last_req, BUSE_CTL_INFO);
	cr_expect(fake_kernel_zero((const char *)in + sizeof(in->index),
				   sizeof(*in) - sizeof(in->index)),
		  "INFO request must hold only the index");
	cr_expect_eq(in->index, 9);
	cr_expect_eq(d.index, 9);
	cr_expect_eq(d.size, 1 << 20);
	cr_expect_eq(d.nr_queues, fake_kernel.max_queues, "one per CPU");
	cr_expect_eq(bdus_ctl_info(8, &d), -ENODEV);
	cr_expect_eq(bdus_ctl_info(9, NULL), -EINVAL);
}

/* -ENOENT means "no control device" only: an ENOENT from the driver is
 * reported as -ENODEV, so the "module not loaded" message never lies. */
Test(ctl, driver_enoent_becomes_enodev)
{
	struct buse_dev_info d;
	uint32_t *idx = NULL;
	size_t n = 0;

	fake_kernel.ioctl_errno = ENOENT;
	cr_expect_eq(bdus_ctl_info(3, &d), -ENODEV);
	cr_expect_eq(bdus_ctl_remove(3), -ENODEV);
	cr_expect_eq(bdus_ctl_list(&idx, &n), -ENODEV);
	cr_expect_null(idx);
}

Test(ctl, missing_control_device)
{
	struct buse_version v;
	struct buse_dev_info d;
	uint32_t *idx = NULL;
	size_t n = 0;

	bdus__ctl_path = "/nonexistent/busectl";
	memset(&d, 0, sizeof(d));
	cr_expect_eq(bdus_ctl_version(&v), -ENOENT);
	cr_expect_eq(bdus_ctl_add(&d), -ENOENT);
	cr_expect_eq(bdus_ctl_remove(0), -ENOENT);
	cr_expect_eq(bdus_ctl_info(0, &d), -ENOENT);
	cr_expect_eq(bdus_ctl_list(&idx, &n), -ENOENT);
	cr_expect_null(idx);
	cr_expect_eq(fake_kernel.calls, 0, "ioctl called without a device");
}

Test(ctl, permission_denied)
{
	char path[] = "/tmp/bdus-ctl-test-XXXXXX";
	struct buse_version v;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	chmod(path, 0);
	bdus__ctl_path = path;
	if (geteuid() == 0) {
		unlink(path);
		cr_skip_test("root ignores file permissions");
	}
	cr_expect_eq(bdus_ctl_version(&v), -EACCES);
	unlink(path);
}

Test(ctl, list_simple)
{
	uint32_t *idx = NULL;
	size_t n = 99;

	add_even_devices(3);
	cr_assert_eq(bdus_ctl_list(&idx, &n), 0);
	cr_expect_eq(fake_kernel.last_in.list.nr_devices, 0);
	cr_expect(fake_kernel_zero(fake_kernel.last_in.list.reserved,
				   sizeof(fake_kernel.last_in.list.reserved)));
	cr_assert_eq(n, 3);
	cr_assert_not_null(idx);
	cr_expect_eq(idx[0], 0);
	cr_expect_eq(idx[1], 2);
	cr_expect_eq(idx[2], 4);
	cr_expect_eq(list_calls, 1);
	free(idx);
}

Test(ctl, list_empty)
{
	uint32_t *idx = NULL;
	size_t n = 99;

	cr_assert_eq(bdus_ctl_list(&idx, &n), 0);
	cr_expect_eq(n, 0);
	cr_expect_not_null(idx, "the array is never NULL on success");
	free(idx);
}

Test(ctl, list_grows_when_devices_appear)
{
	uint32_t *idx = NULL;
	size_t n = 0;

	/* more than the first buffer, and 10 more appear after each call */
	add_even_devices(100);
	list_grow_by = 10;
	cr_assert_eq(bdus_ctl_list(&idx, &n), 0);
	cr_expect_geq(list_calls, 2);
	cr_assert_geq(n, 100);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(idx[i], i * 2, "idx[%zu] = %u", i, idx[i]);
	free(idx);
}

Test(ctl, list_gives_up_when_growth_never_stops)
{
	uint32_t *idx = NULL;
	size_t n = 7;

	add_even_devices(100);
	list_grow_by = 1000; /* always outruns the buffer (cap = nr + 16) */
	cr_expect_eq(bdus_ctl_list(&idx, &n), -EAGAIN);
	cr_expect_eq(list_calls, BDUS_CTL_LIST_MAX_TRIES);
	cr_expect_null(idx);
	cr_expect_eq(n, 7);
}

Test(ctl, list_args)
{
	uint32_t *idx;
	size_t n;

	cr_expect_eq(bdus_ctl_list(NULL, &n), -EINVAL);
	cr_expect_eq(bdus_ctl_list(&idx, NULL), -EINVAL);
}

Test(ctl, fd_not_leaked)
{
	struct buse_version v;
	int before, after;

	before = dup(0);
	close(before);
	for (int i = 0; i < 50; i++) {
		bdus_ctl_version(&v);
		fake_kernel.ioctl_errno = i % 2 ? EINVAL : 0;
	}
	after = dup(0);
	close(after);
	cr_expect_eq(before, after, "file descriptors leaked");
}

Test(ctl, strerror_messages)
{
	cr_expect_str_eq(bdus_strerror_ctl(-ENOENT),
			 "buse module not loaded (/dev/busectl missing): "
			 "insmod driver/buse.ko");
	cr_expect_str_eq(bdus_strerror_ctl(ENOENT), bdus_strerror_ctl(-ENOENT));
	cr_expect_str_eq(
		bdus_strerror_ctl(-EACCES),
		"permission denied (run as root, or as the device's owner)");
	cr_expect_str_eq(
		bdus_strerror_ctl(-EPERM),
		"permission denied (run as root, or as the device's owner)");
	cr_expect_str_eq(bdus_strerror_ctl(-EEXIST),
			 "device index already in use");
	cr_expect_str_eq(bdus_strerror_ctl(-ENODEV), "no such device");
	cr_expect_str_eq(bdus_strerror_ctl(-ENXIO), "no such device");
	cr_expect_str_eq(bdus_strerror_ctl(-EINVAL), "invalid argument");
	cr_expect_str_eq(bdus_strerror_ctl(-EBUSY),
			 "device busy (open or mounted)");
	cr_expect_str_eq(bdus_strerror_ctl(-ENOSPC), "no free device index");
	cr_expect(strstr(bdus_strerror_ctl(-ENOTTY), "ABI mismatch"));
	/* anything else: strerror's text, never NULL or empty */
	cr_expect_str_eq(bdus_strerror_ctl(-EFAULT), strerror(EFAULT));
	cr_expect_not_null(bdus_strerror_ctl(-123456));
	cr_expect_neq(bdus_strerror_ctl(-123456)[0], '\0');
}
