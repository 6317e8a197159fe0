// SPDX-License-Identifier: MIT
/*
 * test_ctl.c - the control API (libbdus/src/ctl.c) against a simulated
 * driver: the control path points at /dev/null and ioctl() is replaced
 * through the hooks of ctl_internal.h.  Criterion runs every test in its
 * own process, so the hooks do not leak between tests.
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

/* ------------------------------------------------------------------------
 * The fake driver
 */

static struct {
	unsigned calls;
	unsigned long last_req;
	int fail_errno;		/* != 0: every ioctl fails with it */
	/* LIST */
	uint32_t nr_devices;	/* reported total */
	uint32_t grow_by;	/* devices appearing after each LIST */
	unsigned list_calls;
	/* what the request looked like on entry */
	int input_clean;	/* out-only, padding, reserved were zero */
	struct buse_dev_info in_info;
	struct buse_ctl_remove in_rm;
} fake;

static int all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return 0;
	return 1;
}

static int fake_ioctl(int fd, unsigned long req, void *arg)
{
	fake.calls++;
	fake.last_req = req;
	cr_assert_geq(fd, 0);
	if (fake.fail_errno) {
		errno = fake.fail_errno;
		return -1;
	}
	if (req == BUSE_CTL_VERSION) {
		struct buse_version *v = arg;

		fake.input_clean = all_zero(v, sizeof(*v));
		v->abi_version = BUSE_ABI_VERSION;
		v->features = BUSE_FEAT_ALL;
		v->max_queues = 2;
		v->max_depth = BUSE_MAX_DEPTH;
		v->max_io = BUSE_MAX_MAX_IO;
		v->max_index = BUSE_MAX_INDEX;
		return 0;
	}
	if (req == BUSE_CTL_ADD || req == BUSE_CTL_INFO) {
		struct buse_dev_info *d = arg;

		fake.in_info = *d;
		fake.input_clean = d->state == 0 &&
				   d->server_pid == 0 && d->ops == 0 &&
				   d->__pad1 == 0 && d->__pad2 == 0 &&
				   all_zero(d->reserved, sizeof(d->reserved));
		if (req == BUSE_CTL_INFO)	/* all but the index */
			fake.input_clean =
				all_zero((char *)d + sizeof(d->index),
					 sizeof(*d) - sizeof(d->index));
		if (d->index == BUSE_INDEX_ANY)
			d->index = 5;
		if (!d->logical_block_size)
			d->logical_block_size = 512;
		if (!d->physical_block_size)
			d->physical_block_size = d->logical_block_size;
		if (!d->nr_queues)
			d->nr_queues = 1;
		if (!d->queue_depth)
			d->queue_depth = 128;
		if (!d->max_io)
			d->max_io = 256 << 10;
		d->state = BUSE_STATE_IDLE;
		return 0;
	}
	if (req == BUSE_CTL_REMOVE) {
		fake.in_rm = *(struct buse_ctl_remove *)arg;
		return 0;
	}
	if (req == BUSE_CTL_LIST) {
		struct buse_ctl_list *l = arg;
		uint32_t *out = (uint32_t *)(uintptr_t)l->indexes;

		fake.list_calls++;
		fake.input_clean = l->nr_devices == 0 &&
				   all_zero(l->reserved, sizeof(l->reserved));
		for (uint32_t i = 0; i < fake.nr_devices && i < l->count; i++)
			out[i] = i * 2;	/* even indexes exist */
		l->nr_devices = fake.nr_devices;
		fake.nr_devices += fake.grow_by;
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

static void use_fake(void)
{
	memset(&fake, 0, sizeof(fake));
	bdus_ctl__path = "/dev/null";
	bdus_ctl__ioctl = fake_ioctl;
}

TestSuite(ctl, .init = use_fake);

/* ------------------------------------------------------------------------
 * Tests
 */

/* Without the test hooks touched, the real device and ioctl(2) are used. */
Test(ctl_defaults, real_device_and_ioctl)
{
	cr_expect_str_eq(bdus_ctl__path, BUSE_CTL_DEVICE);
	cr_expect_not_null((void *)bdus_ctl__ioctl);
	cr_expect_neq((void *)bdus_ctl__ioctl, (void *)fake_ioctl);
}

Test(ctl, version)
{
	struct buse_version v;

	memset(&v, 0xff, sizeof(v));
	cr_assert_eq(bdus_ctl_version(&v), 0);
	cr_expect_eq(fake.last_req, BUSE_CTL_VERSION);
	cr_expect(fake.input_clean, "request not zeroed");
	cr_expect_eq(v.abi_version, BUSE_ABI_VERSION);
	cr_expect_eq(v.max_queues, 2);
	cr_expect_eq(v.features, BUSE_FEAT_ALL);
	cr_expect_eq(v.reserved[0], 0);
	cr_expect_eq(bdus_ctl_version(NULL), -EINVAL);
}

Test(ctl, add_sends_only_input_fields)
{
	struct buse_dev_info d;

	memset(&d, 0x5a, sizeof(d));	/* garbage everywhere */
	d.index = BUSE_INDEX_ANY;
	d.flags = BUSE_DEV_F_READ_ONLY | BUSE_DEV_F_OWNER;
	d.size = 1 << 20;
	d.logical_block_size = 4096;
	d.physical_block_size = 0;
	d.nr_queues = 2;
	d.queue_depth = 0;
	d.max_io = 1 << 20;
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
	cr_expect_eq(fake.last_req, BUSE_CTL_ADD);
	cr_expect(fake.input_clean, "out-only/padding/reserved not zeroed");
	/* every in/out field reaches the driver as given */
	cr_expect_eq(fake.in_info.index, BUSE_INDEX_ANY);
	cr_expect_eq(fake.in_info.flags, BUSE_DEV_F_READ_ONLY | BUSE_DEV_F_OWNER);
	cr_expect_eq(fake.in_info.size, 1 << 20);
	cr_expect_eq(fake.in_info.logical_block_size, 4096);
	cr_expect_eq(fake.in_info.physical_block_size, 0);
	cr_expect_eq(fake.in_info.nr_queues, 2);
	cr_expect_eq(fake.in_info.queue_depth, 0);
	cr_expect_eq(fake.in_info.max_io, 1 << 20);
	cr_expect_eq(fake.in_info.io_min, 8192);
	cr_expect_eq(fake.in_info.io_opt, 65536);
	cr_expect_eq(fake.in_info.max_discard, 1 << 20);
	cr_expect_eq(fake.in_info.max_write_zeroes, 2 << 20);
	cr_expect_eq(fake.in_info.discard_granularity, 4096);
	cr_expect_eq(fake.in_info.timeout, 30);
	cr_expect_eq(fake.in_info.recovery_timeout, 60);
	cr_expect_eq(fake.in_info.owner_uid, 1000);
	cr_expect_eq(fake.in_info.owner_gid, 100);
	cr_expect_arr_eq(fake.in_info.serial, d.serial, sizeof(d.serial));
	/* the result is copied back whole */
	cr_expect_eq(d.index, 5);
	cr_expect_eq(d.physical_block_size, 4096);
	cr_expect_eq(d.queue_depth, 128);
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
	fake.fail_errno = EEXIST;
	cr_expect_eq(bdus_ctl_add(&d), -EEXIST);
	cr_expect_eq(memcmp(&d, &before, sizeof(d)), 0);
	fake.fail_errno = EINVAL;
	cr_expect_eq(bdus_ctl_add(&d), -EINVAL);
	fake.fail_errno = EPERM;
	cr_expect_eq(bdus_ctl_add(&d), -EPERM);
}

Test(ctl, remove)
{
	cr_assert_eq(bdus_ctl_remove(42), 0);
	cr_expect_eq(fake.last_req, BUSE_CTL_REMOVE);
	cr_expect_eq(fake.in_rm.index, 42);
	cr_expect_eq(fake.in_rm.flags, 0);
	cr_expect(all_zero(fake.in_rm.reserved, sizeof(fake.in_rm.reserved)));
	cr_assert_eq(bdus_ctl_remove_flags(43, BUSE_REMOVE_F_FORCE), 0);
	cr_expect_eq(fake.in_rm.index, 43);
	cr_expect_eq(fake.in_rm.flags, BUSE_REMOVE_F_FORCE);
	cr_expect(all_zero(fake.in_rm.reserved, sizeof(fake.in_rm.reserved)));
	fake.fail_errno = ENODEV;
	cr_expect_eq(bdus_ctl_remove(43), -ENODEV);
	fake.fail_errno = EBUSY;
	cr_expect_eq(bdus_ctl_remove(43), -EBUSY);
	cr_expect_eq(bdus_ctl_remove_flags(43, 0), -EBUSY);
}

Test(ctl, info)
{
	struct buse_dev_info d;

	memset(&d, 0x77, sizeof(d));
	cr_assert_eq(bdus_ctl_info(9, &d), 0);
	cr_expect_eq(fake.last_req, BUSE_CTL_INFO);
	cr_expect(fake.input_clean, "INFO request must hold only the index");
	cr_expect_eq(fake.in_info.index, 9);
	cr_expect_eq(d.index, 9);
	cr_expect_eq(d.nr_queues, 1);
	cr_expect_eq(bdus_ctl_info(9, NULL), -EINVAL);
}

/* -ENOENT means "no control device" only: an ENOENT from the driver is
 * reported as -ENODEV, so the "module not loaded" message never lies. */
Test(ctl, driver_enoent_becomes_enodev)
{
	struct buse_dev_info d;
	uint32_t *idx = NULL;
	size_t n = 0;

	fake.fail_errno = ENOENT;
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

	bdus_ctl__path = "/nonexistent/busectl";
	memset(&d, 0, sizeof(d));
	cr_expect_eq(bdus_ctl_version(&v), -ENOENT);
	cr_expect_eq(bdus_ctl_add(&d), -ENOENT);
	cr_expect_eq(bdus_ctl_remove(0), -ENOENT);
	cr_expect_eq(bdus_ctl_info(0, &d), -ENOENT);
	cr_expect_eq(bdus_ctl_list(&idx, &n), -ENOENT);
	cr_expect_null(idx);
	cr_expect_eq(fake.calls, 0, "ioctl called without a device");
}

Test(ctl, permission_denied)
{
	char path[] = "/tmp/bdus-ctl-test-XXXXXX";
	struct buse_version v;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	chmod(path, 0);
	bdus_ctl__path = path;
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

	fake.nr_devices = 3;
	cr_assert_eq(bdus_ctl_list(&idx, &n), 0);
	cr_expect(fake.input_clean);
	cr_assert_eq(n, 3);
	cr_assert_not_null(idx);
	cr_expect_eq(idx[0], 0);
	cr_expect_eq(idx[1], 2);
	cr_expect_eq(idx[2], 4);
	cr_expect_eq(fake.list_calls, 1);
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
	fake.nr_devices = 100;
	fake.grow_by = 10;
	cr_assert_eq(bdus_ctl_list(&idx, &n), 0);
	cr_expect_geq(fake.list_calls, 2);
	cr_assert_geq(n, 100);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(idx[i], i * 2, "idx[%zu] = %u", i, idx[i]);
	free(idx);
}

Test(ctl, list_gives_up_when_growth_never_stops)
{
	uint32_t *idx = NULL;
	size_t n = 7;

	fake.nr_devices = 100;
	fake.grow_by = 1000;	/* always outruns the buffer (cap = nr + 16) */
	cr_expect_eq(bdus_ctl_list(&idx, &n), -EAGAIN);
	cr_expect_eq(fake.list_calls, BDUS_CTL_LIST_MAX_TRIES);
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
		fake.fail_errno = i % 2 ? EINVAL : 0;
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
	cr_expect_str_eq(bdus_strerror_ctl(-EACCES),
			 "permission denied (run as root, or as the device's owner)");
	cr_expect_str_eq(bdus_strerror_ctl(-EPERM),
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
