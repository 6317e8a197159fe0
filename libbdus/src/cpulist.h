/* SPDX-License-Identifier: MIT */
/*
 * cpulist.h - CPU lists as sysfs prints them (internal).
 *
 * Used to pin queue thread q to the CPUs that blk-mq maps to hardware
 * queue q (/sys/block/buseN/mq/q/cpu_list).  Not part of the public API;
 * linkable from libbdus.a by the unit tests.
 */
#ifndef BDUS_CPULIST_H
#define BDUS_CPULIST_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CPU numbers at or above this are refused (the kernel's NR_CPUS is less). */
#define BDUS_CPULIST_MAX_CPU 65536u

/* Longest cpu_list file read (sysfs attributes are at most one page). */
#define BDUS_CPULIST_MAX_LEN 65536u

/*
 * Parses a CPU list into set (setsize bytes, as for CPU_ALLOC_SIZE()),
 * which it clears first.  Accepted: items separated by commas, each a CPU
 * number N or a range N-M (N <= M), with blanks (spaces, tabs, newlines)
 * allowed around numbers, commas and dashes and at both ends.  Both blk-mq's
 * "0, 1, 2" and the kernel's cpulist format "0-3,8-11" parse; so does an
 * empty (or blank) list, which sets nothing.  Decimal only, no sign.
 *
 * Returns the number of CPUs in the set (0 for an empty list), or:
 *   -EINVAL  malformed (empty item, trailing comma, N > M, junk, ...);
 *   -ERANGE  a CPU number >= BDUS_CPULIST_MAX_CPU or that does not fit
 *            in setsize.
 * On error the set's contents are unspecified.
 */
int bdus_parse_cpu_list(const char *s, cpu_set_t *set, size_t setsize);

/*
 * Reads the file at path (at most BDUS_CPULIST_MAX_LEN bytes) and parses
 * it with bdus_parse_cpu_list().  Returns what it returns, or -errno of
 * open(2)/read(2) (-ENOENT: no such file), or -EFBIG if the file is
 * longer.
 */
int bdus_read_cpu_list(const char *path, cpu_set_t *set, size_t setsize);

/*
 * The affinity mask of the calling thread, in a set allocated with
 * CPU_ALLOC() (free with CPU_FREE()) large enough for the kernel
 * (sched_getaffinity(2) is retried with larger sets while it fails with
 * EINVAL).  *setsize gets its size in bytes.  NULL on failure (errno set).
 */
cpu_set_t *bdus_get_affinity(size_t *setsize);

/*
 * Where a queue thread runs, given in set the CPUs blk-mq maps to its
 * queue: those of them in allowed (the server's own affinity); if that
 * leaves a single CPU and near is false, the other CPUs of allowed
 * instead (BDUS_OPT_PIN_NEAR in bdus(3)).  Rewrites set; returns the
 * number of CPUs left in it (0: do not pin).
 */
int bdus_queue_cpu_plan(cpu_set_t *set, const cpu_set_t *allowed,
			size_t setsize, bool near);

#endif /* BDUS_CPULIST_H */
