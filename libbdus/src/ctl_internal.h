/* SPDX-License-Identifier: MIT */
/*
 * ctl_internal.h - internals of the control API (libbdus/src/ctl.c) that
 * the unit tests check.  Not part of the public API.  The device path and
 * the ioctl the control calls use are in sys.h.
 */
#ifndef BDUS_CTL_INTERNAL_H
#define BDUS_CTL_INTERNAL_H

/* Most BUSE_CTL_LIST attempts bdus_ctl_list() makes before -EAGAIN. */
#define BDUS_CTL_LIST_MAX_TRIES 16

#endif /* BDUS_CTL_INTERNAL_H */
