/* SPDX-License-Identifier: MIT */
/*
 * filter.h - filter stacks (internal): what ring.c needs of filter.c.
 */
#ifndef BDUS_FILTER_H
#define BDUS_FILTER_H

#include "bdus.h"

/*
 * bdus_complete() of a request a filter stack handed out (its kind is
 * BDUS_REQ_FRAME): the filter's own request goes up to the layer above,
 * the inner engine's through the filter's complete hook.
 */
int bdus_frame_complete(const struct bdus_req *req, int result);

#endif /* BDUS_FILTER_H */
