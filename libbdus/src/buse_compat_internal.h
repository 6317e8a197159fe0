/* SPDX-License-Identifier: MIT */
/*
 * buse_compat_internal.h - the parts of buse_compat.c (buse_main(), the
 * BUSE API of <buse.h>) that the unit tests reach: the device path, the
 * size, the result translation and the storage_engine that calls a
 * struct buse_operations.
 */
#ifndef BDUS_BUSE_COMPAT_INTERNAL_H
#define BDUS_BUSE_COMPAT_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "bdus.h"
#include "buse.h"

/* The engine's ctx: what buse_main() was given, and the lock that keeps
 * the BUSE callbacks from overlapping (BUSE calls them one at a time). */
struct buse_compat {
	const struct buse_operations *bop;
	void *userdata;
	pthread_mutex_t lock;
	int refused; /* open() refused the device, and said why */
};

/*
 * The index N of "/dev/buseN" or "/dev/busecN" (decimal, no sign, no
 * leading zero, at most BUSE_MAX_INDEX).  0, or -EINVAL for anything else.
 */
int buse_compat_parse_path(const char *path, uint32_t *index);

/*
 * The size to attach with, in bytes, from bop->size or bop->blksize *
 * bop->size_blocks (0: all three unset, the device's own size).  0, or
 * -EINVAL with *why saying what is wrong.
 */
int buse_compat_size(const struct buse_operations *bop, uint64_t *size,
		     const char **why);

/* A BUSE callback's result as a storage_engine result: 0 stays 0, a
 * positive or negative errno becomes -errno, anything else -EIO. */
int buse_compat_result(int ret);

/* The engine that serves c (its ctx) by calling c->bop. */
void buse_compat_engine(struct storage_engine *engine,
			const struct buse_operations *bop);

#endif /* BDUS_BUSE_COMPAT_INTERNAL_H */
