/* SPDX-License-Identifier: MIT */
/*
 * bdus_ctl.h - the buse control API (part of libbdus).
 *
 * Create, remove, inspect and list buse devices through /dev/busectl, and
 * query the driver's version and limits; parse sizes.  Stateless and
 * thread-safe; errors are negative errno values.
 *
 * The contract is in the man pages: bdus_ctl(3) (overview, common errors)
 * and one page per function.
 */
#ifndef BDUS_CTL_H
#define BDUS_CTL_H

#include <stddef.h>
#include <stdint.h>

#include <linux/buse.h>

#ifndef BDUS_API
#define BDUS_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The driver's ABI version, features and limits; bdus_ctl_version(3). */
BDUS_API int bdus_ctl_version(struct buse_version *v);

/* Create a device; *info in and out.  bdus_ctl_add(3). */
BDUS_API int bdus_ctl_add(struct buse_dev_info *info);

/* Remove device index unless it is open; bdus_ctl_remove(3). */
BDUS_API int bdus_ctl_remove(uint32_t index);

/* The same with BUSE_REMOVE_F_* flags; bdus_ctl_remove(3). */
BDUS_API int bdus_ctl_remove_flags(uint32_t index, uint32_t flags);

/* The parameters and state of device index; bdus_ctl_info(3). */
BDUS_API int bdus_ctl_info(uint32_t index, struct buse_dev_info *info);

/* The indexes of all devices, malloc()ed, ascending; bdus_ctl_list(3). */
BDUS_API int bdus_ctl_list(uint32_t **indexes, size_t *count);

/* Parse a size in bytes ("512", "1.5G", "10GB"); bdus_parse_size(3). */
BDUS_API int bdus_parse_size(const char *s, uint64_t *out);

/* A static message for a bdus_ctl_* error (-E or E); bdus_strerror_ctl(3). */
BDUS_API const char *bdus_strerror_ctl(int err);

#ifdef __cplusplus
}
#endif

#endif /* BDUS_CTL_H */
