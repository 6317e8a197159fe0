/* SPDX-License-Identifier: MIT */
/*
 * bdus_ctl.h - the buse control API (part of libbdus).
 *
 * These functions manage buse devices through the control device
 * /dev/busectl (BUSE_CTL_DEVICE): create, remove, inspect and enumerate
 * them, and query the driver's version and limits.  They do not serve a
 * device; that is the job of the rest of libbdus (bdus.h).
 *
 * Every call opens /dev/busectl (O_RDWR | O_CLOEXEC), issues one or a few
 * ioctls and closes it again, so the functions are stateless and
 * thread-safe.  Creating devices requires CAP_SYS_ADMIN; a device's
 * owner (BUSE_DEV_F_OWNER) may see its info and remove it without
 * (buse(7), PERMISSIONS).
 *
 * Errors are returned as negative errno values (never via errno).  The
 * codes common to every call are:
 *
 *   -ENOENT   /dev/busectl does not exist, or exists but has no driver
 *             behind it (open gave ENXIO/ENODEV): buse.ko is not loaded.
 *             A call never returns -ENOENT for any other reason (an ENOENT
 *             from an ioctl is reported as -ENODEV).
 *   -EACCES,
 *   -EPERM    not allowed to open /dev/busectl or to do the operation
 *             (not root, nor the device's owner).
 *   -ENOTTY   the driver does not know the request (ABI mismatch).
 *   -EFAULT, -ENOMEM, -EINTR, ...   as returned by the kernel.
 *
 * bdus_strerror_ctl() turns any of them into a message for a human.
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

/*
 * bdus_ctl_version - BUSE_CTL_VERSION: the driver's ABI version, feature
 * bits and limits (which may be lower than the BUSE_MAX_* constants, e.g.
 * max_queues is capped at the number of CPUs).
 *
 * Returns 0 and fills *v, or a negative errno (see above).
 */
BDUS_API int bdus_ctl_version(struct buse_version *v);

/*
 * bdus_ctl_add - BUSE_CTL_ADD: create a device.
 *
 * In: info->index (an index 0..BUSE_MAX_INDEX, or BUSE_INDEX_ANY for the
 * first free one), flags (BUSE_DEV_F_*), size (bytes, a multiple of the
 * logical block size; 0: the first server to attach sets it), and every
 * other in/out field of struct buse_dev_info (logical_block_size,
 * physical_block_size, nr_queues, queue_depth, max_io, io_min, io_opt,
 * max_discard, max_write_zeroes, discard_granularity, timeout,
 * recovery_timeout, owner_uid, owner_gid): 0 selects the driver's default.
 * The library zeroes the output-only (state, server_pid, ops), padding and
 * reserved fields before calling the kernel, so a caller that starts from
 * a zeroed structure, or from one returned by bdus_ctl_info(), is fine.
 * Out: on success, *info is overwritten with the device as the driver set
 * it up (in particular info->index is the index chosen).
 *
 * Errors: -EEXIST (that index is in use), -EINVAL (a parameter is out of
 * range or inconsistent), -ENOSPC (BUSE_INDEX_ANY and no free index), -ENOMEM,
 * plus the common ones.  *info is unchanged on error.
 */
BDUS_API int bdus_ctl_add(struct buse_dev_info *info);

/*
 * bdus_ctl_remove - BUSE_CTL_REMOVE without flags: remove device `index`
 * unless its block device is open (mounted, say).  An attached server sees
 * ENODEV from BUSE_IOC_RUN and should exit.
 *
 * Errors: -ENODEV (no such device, or already being removed), -EBUSY (the
 * block device is open), -EINVAL (index out of range), plus the common
 * ones.
 */
BDUS_API int bdus_ctl_remove(uint32_t index);

/*
 * bdus_ctl_remove_flags - the same with BUSE_REMOVE_F_* flags:
 * BUSE_REMOVE_F_FORCE removes the device even if it is open; its pending
 * and new I/O fails.  -EINVAL for unknown flags.
 */
BDUS_API int bdus_ctl_remove_flags(uint32_t index, uint32_t flags);

/*
 * bdus_ctl_info - BUSE_CTL_INFO: the parameters and state of device
 * `index`.
 *
 * Returns 0 and fills *info, or a negative errno: -ENODEV (no such device),
 * -EINVAL (index out of range), plus the common ones.  *info is unchanged
 * on error.
 */
BDUS_API int bdus_ctl_info(uint32_t index, struct buse_dev_info *info);

/*
 * bdus_ctl_list - BUSE_CTL_LIST: the indexes of all existing devices, in
 * ascending order.
 *
 * On success returns 0, *indexes points to a malloc()ed array of *count
 * entries (never NULL, even when *count is 0) that the caller must free().
 * Devices created while the call runs are handled: if the kernel reports
 * more devices than the buffer holds, the call grows the buffer and asks
 * again.  The list is a snapshot: a device may disappear right after.
 *
 * Errors: -ENOMEM, -EAGAIN (the number of devices kept growing faster than
 * the buffer, after many retries), plus the common ones.  On error
 * *indexes and *count are unchanged.
 */
BDUS_API int bdus_ctl_list(uint32_t **indexes, size_t *count);

/*
 * bdus_parse_size - parse a size in bytes.
 *
 * Syntax: DIGITS [ "." DIGITS ] [ UNIT [ "iB" | "B" ] ] | DIGITS "B"
 *   The suffixes are read as util-linux reads them (mkswap, losetup,
 *   fallocate): UNIT is K, M, G, T, P or E (the letter in either case).
 *   Alone or with "iB" it is a power of 1024 ("1K" == "1KiB" == "1k" ==
 *   1024, "1G" == 2^30, "1E" == 2^60); with "B" (or "b") a power of 1000
 *   ("1KB" == 1000, "10GB" == 10^10, "1EB" == 10^18).  The "i" is
 *   lower-case only ("1KIB" is -EINVAL).  A bare number, or one followed
 *   by a lone "B", is bytes ("512B" == "512").
 *   A fraction is accepted when the result is a whole number of bytes:
 *   "1.5G" == 1610612736, "0.5K" == 512, "1.5KB" == 1500, but "1.3K"
 *   and "1.5" are -EINVAL.
 *   Numbers are decimal (a leading 0 does not mean octal).
 *   No sign, no whitespace anywhere, no hexadecimal.
 *
 * Returns 0 and sets *out, -EINVAL for an empty, malformed, negative or
 * fractional-byte string, -ERANGE if the value does not fit in 64 bits.
 * *out is unchanged on error.
 */
BDUS_API int bdus_parse_size(const char *s, uint64_t *out);

/*
 * bdus_strerror_ctl - a message for an error returned by a bdus_ctl_*
 * call.  err may be negative (-ENOENT) or positive (ENOENT).  The string
 * is static; it is meant to follow "what failed: ", e.g.
 *   fprintf(stderr, "add: %s\n", bdus_strerror_ctl(ret));
 * Codes without a control-specific meaning get strerror()'s text.
 */
BDUS_API const char *bdus_strerror_ctl(int err);

#ifdef __cplusplus
}
#endif

#endif /* BDUS_CTL_H */
