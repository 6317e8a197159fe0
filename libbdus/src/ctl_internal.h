/* SPDX-License-Identifier: MIT */
/*
 * ctl_internal.h - test hooks of the control API (libbdus/src/ctl.c).
 *
 * Not part of the public API and not exported from libbdus.so (hidden
 * visibility).  Unit tests link libbdus.a (or the sources) and may point
 * the control calls at another file and replace ioctl() to simulate the
 * driver.  Production code never touches these.
 */
#ifndef BDUS_CTL_INTERNAL_H
#define BDUS_CTL_INTERNAL_H

#define BDUS_HIDDEN __attribute__((visibility("hidden")))

/* Path opened by every bdus_ctl_* call.  Default: BUSE_CTL_DEVICE. */
extern BDUS_HIDDEN const char *bdus_ctl__path;

/*
 * ioctl() used by every bdus_ctl_* call: returns >= 0 on success, or -1
 * with errno set, like ioctl(2).  Default: ioctl(2) itself.
 */
typedef int (*bdus_ctl__ioctl_fn)(int fd, unsigned long request, void *arg);
extern BDUS_HIDDEN bdus_ctl__ioctl_fn bdus_ctl__ioctl;

/* Most BUSE_CTL_LIST attempts bdus_ctl_list() makes before -EAGAIN. */
#define BDUS_CTL_LIST_MAX_TRIES 16

#endif /* BDUS_CTL_INTERNAL_H */
