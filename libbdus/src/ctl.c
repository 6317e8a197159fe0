// SPDX-License-Identifier: MIT
/*
 * ctl.c - the control API: BUSE_CTL_* ioctls on /dev/busectl.
 * See bdus_ctl.h for the contract of each function.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bdus_ctl.h"
#include "ctl_internal.h"
#include "sys.h"

/* Open the control device: an fd, or -errno (-ENOENT: no driver). */
static int ctl_open(void)
{
	int fd;

	do
		fd = open(bdus__ctl_path, O_RDWR | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd >= 0)
		return fd;
	/*
	 * ENXIO/ENODEV: a stale device node without a driver behind it.  For
	 * the caller that is the same as a missing node: buse is not loaded.
	 */
	if (errno == ENXIO || errno == ENODEV)
		return -ENOENT;
	return -errno;
}

/*
 * One ioctl on a fresh control fd: 0 or -errno.  -ENOENT is reserved for
 * "no control device", so an ENOENT from the driver becomes -ENODEV.
 */
static int ctl_ioctl(unsigned long request, void *arg)
{
	int fd, ret, err = 0;

	fd = ctl_open();
	if (fd < 0)
		return fd;
	ret = bdus__ioctl(fd, request, arg);
	if (ret < 0)
		err = errno ? errno : EIO;
	close(fd);
	if (err == ENOENT)
		err = ENODEV;
	return -err;
}

int bdus_ctl_version(struct buse_version *v)
{
	struct buse_version tmp;
	int ret;

	if (!v)
		return -EINVAL;
	memset(&tmp, 0, sizeof(tmp));
	ret = ctl_ioctl(BUSE_CTL_VERSION, &tmp);
	if (ret == 0)
		*v = tmp;
	return ret;
}

int bdus_ctl_add(struct buse_dev_info *info)
{
	struct buse_dev_info tmp;
	int ret;

	if (!info)
		return -EINVAL;
	/*
	 * Every in/out field as given; the out-only, padding and reserved
	 * fields must be 0 (the driver rejects anything else).
	 */
	tmp = *info;
	tmp.state = 0;
	tmp.server_pid = 0;
	tmp.ops = 0;
	tmp.__pad1 = 0;
	tmp.__pad2 = 0;
	memset(tmp.reserved, 0, sizeof(tmp.reserved));
	ret = ctl_ioctl(BUSE_CTL_ADD, &tmp);
	if (ret == 0)
		*info = tmp;
	return ret;
}

int bdus_ctl_remove_flags(uint32_t index, uint32_t flags)
{
	struct buse_ctl_remove rm;

	memset(&rm, 0, sizeof(rm));
	rm.index = index;
	rm.flags = flags;
	return ctl_ioctl(BUSE_CTL_REMOVE, &rm);
}

int bdus_ctl_remove(uint32_t index)
{
	return bdus_ctl_remove_flags(index, 0);
}

int bdus_ctl_info(uint32_t index, struct buse_dev_info *info)
{
	struct buse_dev_info tmp;
	int ret;

	if (!info)
		return -EINVAL;
	memset(&tmp, 0, sizeof(tmp));
	tmp.index = index;
	ret = ctl_ioctl(BUSE_CTL_INFO, &tmp);
	if (ret == 0)
		*info = tmp;
	return ret;
}

int bdus_ctl_list(uint32_t **indexes, size_t *count)
{
	struct buse_ctl_list req;
	uint32_t *buf = NULL, *nbuf;
	size_t cap = 16;
	int fd, tries, ret;

	if (!indexes || !count)
		return -EINVAL;
	fd = ctl_open();
	if (fd < 0)
		return fd;
	for (tries = 0; tries < BDUS_CTL_LIST_MAX_TRIES; tries++) {
		nbuf = realloc(buf, cap * sizeof(*buf));
		if (!nbuf) {
			ret = -ENOMEM;
			goto out;
		}
		buf = nbuf;
		memset(&req, 0, sizeof(req));
		req.indexes = (uintptr_t)buf;
		req.count = (uint32_t)cap;
		if (bdus__ioctl(fd, BUSE_CTL_LIST, &req) < 0) {
			ret = errno ? -errno : -EIO;
			if (ret == -ENOENT)
				ret = -ENODEV;
			goto out;
		}
		if (req.nr_devices <= cap) {
			*indexes = buf;
			*count = req.nr_devices;
			buf = NULL;
			ret = 0;
			goto out;
		}
		/* More devices than room (some were added meanwhile): grow. */
		cap = (size_t)req.nr_devices + 16;
	}
	ret = -EAGAIN;
out:
	free(buf);
	close(fd);
	return ret;
}

const char *bdus_strerror_ctl(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return "success";
	case ENOENT:
		return "buse module not loaded (" BUSE_CTL_DEVICE
		       " missing): insmod driver/buse.ko";
	case EACCES:
	case EPERM:
		return "permission denied (run as root, or as the device's owner)";
	case EEXIST:
		return "device index already in use";
	case ENODEV:
	case ENXIO:
		return "no such device";
	case EINVAL:
		return "invalid argument";
	case EBUSY:
		return "device busy (open or mounted)";
	case ENOSPC:
		return "no free device index";
	case ENOMEM:
		return "out of memory";
	case ENOTTY:
		return "request not supported by the buse driver "
		       "(driver and library ABI mismatch?)";
	case EAGAIN:
		return "device list kept changing, try again";
	default:
		return strerror(err);
	}
}
