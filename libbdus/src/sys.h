/* SPDX-License-Identifier: MIT */
/*
 * sys.h - libbdus' one way to the kernel (internal).
 *
 * Every request libbdus makes of the driver goes through bdus__ioctl(),
 * and the control API opens bdus__ctl_path: the control ioctls (ctl.c),
 * BUSE_IOC_ATTACH (serve.c) and BUSE_IOC_RUN (ring.c).  By default they
 * are ioctl(2) and BUSE_CTL_DEVICE.  The unit tests link libbdus.a (or
 * the sources) and point them at a simulated driver
 * (tests/unit/fake_kernel.h); production code never changes them.
 *
 * Not part of the public API and not exported from libbdus.so (hidden
 * visibility; libbdus.map lists only the public functions).
 */
#ifndef BDUS_SYS_H
#define BDUS_SYS_H

#define BDUS_HIDDEN __attribute__((visibility("hidden")))

/*
 * ioctl(2) on fd: returns >= 0 on success, or -1 with errno set.
 * Default: ioctl(2) itself.
 */
typedef int (*bdus_ioctl_fn)(int fd, unsigned long request, void *arg);
extern BDUS_HIDDEN bdus_ioctl_fn bdus__ioctl;

/* The control device every bdus_ctl_* call opens.  Default: BUSE_CTL_DEVICE. */
extern BDUS_HIDDEN const char *bdus__ctl_path;

#endif /* BDUS_SYS_H */
