// SPDX-License-Identifier: MIT
/*
 * sys.c - libbdus' one way to the kernel; see sys.h.
 */
#include <sys/ioctl.h>

#include <linux/buse.h>

#include "sys.h"

static int sys_ioctl(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg);
}

BDUS_HIDDEN bdus_ioctl_fn bdus__ioctl = sys_ioctl;
BDUS_HIDDEN const char *bdus__ctl_path = BUSE_CTL_DEVICE;
