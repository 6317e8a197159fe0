// SPDX-License-Identifier: MIT
/*
 * buse_compat.c - buse_main(), the BUSE API (<buse.h>) on bdus_serve().
 *
 * BUSE (github.com/acozzette/BUSE) serves an NBD device from one thread:
 * each request calls a struct buse_operations callback, which returns 0
 * or a positive errno.  Here the same callbacks serve /dev/buseN:
 *
 *   read, write   engine read and write (a NULL one fails with EPERM, as
 *                 in BUSE);
 *   flush         engine flush (NULL: write-through, no flush is sent);
 *   trim          engine discard (NULL: discard succeeds, as in BUSE);
 *   disc          engine close: once, when serving ends (BUSE calls it on
 *                 NBD_CMD_DISC, the disconnect that ends serving).
 *
 * The callbacks run on libbdus' queue threads, one at a time (a mutex),
 * since BUSE programs expect no concurrency.  The contract: buse_main(3).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdus.h"
#include "bdus_ctl.h"
#include "buse.h"
#include "buse_compat_internal.h"

int buse_compat_parse_path(const char *path, uint32_t *index)
{
	static const char prefix[] = "/dev/buse";
	const char *p;
	uint32_t n = 0;

	if (!path || strncmp(path, prefix, sizeof(prefix) - 1))
		return -EINVAL;
	p = path + sizeof(prefix) - 1;
	if (*p == 'c')
		p++;
	/* Digits only, "0" or no leading zero ("/dev/buse03" is no node). */
	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1]))
		return -EINVAL;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		n = n * 10 + (uint32_t)(*p - '0');
		if (n > BUSE_MAX_INDEX)
			return -EINVAL;
	}
	*index = n;
	return 0;
}

int buse_compat_size(const struct buse_operations *bop, uint64_t *size,
		     const char **why)
{
	uint64_t bytes = bop->size;

	if (bop->blksize &&
	    (bop->blksize < 512 || (bop->blksize & (bop->blksize - 1)))) {
		*why = "blksize is not a power of two of at least 512";
		return -EINVAL;
	}
	if (bop->size_blocks) {
		if (!bop->blksize) {
			*why = "size_blocks is set without blksize";
			return -EINVAL;
		}
		if (bop->size_blocks > UINT64_MAX / bop->blksize) {
			*why = "blksize * size_blocks overflows";
			return -EINVAL;
		}
		bytes = bop->size_blocks * bop->blksize;
		if (bop->size && bop->size != bytes) {
			*why = "size differs from blksize * size_blocks";
			return -EINVAL;
		}
	}
	*size = bytes;
	return 0;
}

int buse_compat_result(int ret)
{
	if (ret > 0 && ret <= BUSE_MAX_ERRNO)
		return -ret;
	if (ret < 0 && ret >= -BUSE_MAX_ERRNO)
		return ret;
	return ret ? -EIO : 0;
}

/* BUSE's blksize is the device's block size: a device created with
 * another one would send requests the program does not expect. */
static int compat_open(void *ctx, const struct bdus_dev *dev)
{
	struct buse_compat *c = ctx;

	if (c->bop->blksize && c->bop->blksize != dev->logical_block_size) {
		fprintf(stderr,
			"buse_main: %s has logical block size %u, "
			"buse_operations.blksize is %u (busectl add %u "
			"--logical-block-size %u)\n",
			dev->block_path, dev->logical_block_size,
			c->bop->blksize, dev->index, c->bop->blksize);
		c->refused = 1;
		return -EINVAL;
	}
	return 0;
}

static void compat_close(void *ctx, const struct bdus_dev *dev)
{
	struct buse_compat *c = ctx;

	(void)dev;
	if (c->bop->disc)
		c->bop->disc(c->userdata);
}

static int compat_read(void *ctx, void *buf, uint64_t offset, uint32_t len,
		       const struct bdus_req *req)
{
	struct buse_compat *c = ctx;
	int ret;

	(void)req;
	if (!c->bop->read)
		return -EPERM;
	pthread_mutex_lock(&c->lock);
	ret = c->bop->read(buf, len, offset, c->userdata);
	pthread_mutex_unlock(&c->lock);
	return buse_compat_result(ret);
}

static int compat_write(void *ctx, const void *buf, uint64_t offset,
			uint32_t len, const struct bdus_req *req)
{
	struct buse_compat *c = ctx;
	int ret;

	(void)req;
	if (!c->bop->write)
		return -EPERM;
	pthread_mutex_lock(&c->lock);
	ret = c->bop->write(buf, len, offset, c->userdata);
	pthread_mutex_unlock(&c->lock);
	return buse_compat_result(ret);
}

static int compat_flush(void *ctx, const struct bdus_req *req)
{
	struct buse_compat *c = ctx;
	int ret;

	(void)req;
	pthread_mutex_lock(&c->lock);
	ret = c->bop->flush(c->userdata);
	pthread_mutex_unlock(&c->lock);
	return buse_compat_result(ret);
}

static int compat_discard(void *ctx, uint64_t offset, uint32_t len,
			  const struct bdus_req *req)
{
	struct buse_compat *c = ctx;
	int ret;

	(void)req;
	if (!c->bop->trim)
		return 0;
	pthread_mutex_lock(&c->lock);
	ret = c->bop->trim(offset, len, c->userdata);
	pthread_mutex_unlock(&c->lock);
	return buse_compat_result(ret);
}

void buse_compat_engine(struct storage_engine *engine,
			const struct buse_operations *bop)
{
	*engine = (struct storage_engine){
		.name = "buse_main",
		.open = compat_open,
		.close = compat_close,
		.read = compat_read,
		.write = compat_write,
		.flush = bop->flush ? compat_flush : NULL,
		.discard = compat_discard,
	};
}

/* A message for an error of bdus_serve() as buse_main() calls it. */
static const char *compat_strerror(int err)
{
	switch (-err) {
	case ENOENT:
		return "no such device (busectl add N first; is buse.ko "
		       "loaded?)";
	case EBUSY:
		return "the device already has a server";
	case EINVAL:
		return "the driver refused to attach (the device has another "
		       "size, or none and buse_operations gives none)";
	default:
		return bdus_strerror_ctl(err);
	}
}

int buse_main(const char *dev_file, const struct buse_operations *bop,
	      void *userdata)
{
	struct buse_compat c = { .bop = bop, .userdata = userdata };
	struct storage_engine engine;
	struct bdus_opts opts = { 0 };
	const char *why = NULL;
	uint32_t index;
	int ret;

	if (!bop) {
		fprintf(stderr, "buse_main: no buse_operations\n");
		return EXIT_FAILURE;
	}
	if (buse_compat_parse_path(dev_file, &index)) {
		fprintf(stderr,
			"buse_main: '%s' is not a buse device: expected "
			"/dev/buseN (or /dev/busecN), N in 0..%u\n",
			dev_file ? dev_file : "(null)", BUSE_MAX_INDEX);
		return EXIT_FAILURE;
	}
	if (buse_compat_size(bop, &opts.size, &why)) {
		fprintf(stderr, "buse_main: buse_operations: %s\n", why);
		return EXIT_FAILURE;
	}
	ret = pthread_mutex_init(&c.lock, NULL);
	if (ret) {
		fprintf(stderr, "buse_main: %s\n", strerror(ret));
		return EXIT_FAILURE;
	}
	buse_compat_engine(&engine, bop);
	ret = bdus_serve(index, &engine, &c, &opts);
	pthread_mutex_destroy(&c.lock);
	if (ret && !c.refused)
		fprintf(stderr, "buse_main: %s: %s\n", dev_file,
			compat_strerror(ret));
	return ret ? EXIT_FAILURE : EXIT_SUCCESS;
}
