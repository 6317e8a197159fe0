/* SPDX-License-Identifier: MIT */
/*
 * serve.h - internals of serve.c that the unit tests call (hidden in
 * libbdus.so, linkable from libbdus.a).  Not part of the public API.
 */
#ifndef BDUS_SERVE_H
#define BDUS_SERVE_H

#include <stdint.h>

/*
 * Reports that a serving thread of the device at block_path could not be
 * made an I/O flusher (err: -errno of PR_SET_IO_FLUSHER): one line on
 * stderr, only the first time in the process, and never with
 * BDUS_OPT_QUIET in opt_flags or for err == 0.
 */
void bdus_warn_io_flusher(const char *block_path, uint32_t opt_flags, int err);

#endif /* BDUS_SERVE_H */
