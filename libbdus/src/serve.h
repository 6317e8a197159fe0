/* SPDX-License-Identifier: MIT */
/*
 * serve.h - internals of serve.c that the unit tests call (hidden in
 * libbdus.so, linkable from libbdus.a).  Not part of the public API.
 */
#ifndef BDUS_SERVE_H
#define BDUS_SERVE_H

#include <stdint.h>

struct bdus_opts;

/*
 * The polling window the queue threads use for opts (NULL: defaults):
 * 0 with BDUS_OPT_NO_POLL, else opts->poll_us, or BDUS_DEFAULT_POLL_US
 * when that is 0.  opts are valid (checked before).
 */
uint32_t bdus_opts_poll_us(const struct bdus_opts *opts);

/*
 * Reports that a serving thread of the device at block_path could not be
 * made an I/O flusher (err: -errno of PR_SET_IO_FLUSHER): one line on
 * stderr, only the first time in the process, and never with
 * BDUS_OPT_QUIET in opt_flags or for err == 0.
 */
void bdus_warn_io_flusher(const char *block_path, uint32_t opt_flags, int err);

#endif /* BDUS_SERVE_H */
