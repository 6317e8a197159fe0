// SPDX-License-Identifier: MIT
/*
 * test_buse_compat.c - buse_main() and the BUSE API of <buse.h>
 * (libbdus/src/buse_compat.c): the device path it accepts, the size it
 * attaches with, and the storage_engine that calls a struct
 * buse_operations (arguments, userdata, results, the missing callbacks,
 * disc at close, the blksize check at open).  Nothing is served (no
 * device on the host): buse_main() is run only where it fails early.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdus.h"
#include "buse.h"
#include "buse_compat_internal.h"
#include "units.h"

/* ------------------------------------------------------------------------
 * The device path
 */

static uint32_t index_of(const char *path)
{
	uint32_t index = UINT32_MAX;

	cr_assert_eq(buse_compat_parse_path(path, &index), 0, "%s refused",
		     path);
	return index;
}

Test(buse_path, block_and_server_nodes)
{
	cr_assert_eq(index_of("/dev/buse0"), 0);
	cr_assert_eq(index_of("/dev/buse3"), 3);
	cr_assert_eq(index_of("/dev/buse10"), 10);
	cr_assert_eq(index_of("/dev/busec3"), 3);
	cr_assert_eq(index_of("/dev/busec0"), 0);
	cr_assert_eq(index_of("/dev/buse65535"), BUSE_MAX_INDEX);
}

Test(buse_path, bad_paths_refused)
{
	static const char *const bad[] = {
		"",
		"/dev/buse",
		"/dev/busec",
		"/dev/nbd0",
		"/dev/buse-1",
		"/dev/buse+1",
		"/dev/buse03",
		"/dev/busec00",
		"/dev/buse3p1",
		"/dev/buse 3",
		"/dev/buse3 ",
		"/dev/buse0x3",
		"buse3",
		"/dev//buse3",
		"dev/buse3",
		"/dev/busecc3",
		"/dev/buse65536",
		"/dev/buse4294967299",
		"/dev/buses3",
		"/dev/buse3/",
	};
	uint32_t index = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(buse_compat_parse_path(bad[i], &index), -EINVAL,
			     "'%s' accepted", bad[i]);
	cr_assert_eq(buse_compat_parse_path(NULL, &index), -EINVAL);
	cr_assert_eq(index, 42, "index written on failure");
}

/* ------------------------------------------------------------------------
 * The size
 */

static uint64_t size_of(struct buse_operations bop)
{
	uint64_t size = 12345;
	const char *why = NULL;

	cr_assert_eq(buse_compat_size(&bop, &size, &why), 0, "refused: %s",
		     why ? why : "(no reason)");
	return size;
}

static const char *refusal(struct buse_operations bop)
{
	uint64_t size = 12345;
	const char *why = NULL;

	cr_assert_eq(buse_compat_size(&bop, &size, &why), -EINVAL);
	cr_assert_not_null(why);
	cr_assert_eq(size, 12345, "size written on failure");
	return why;
}

Test(buse_size, size_alone)
{
	cr_assert_eq(size_of((struct buse_operations){ .size = 128 * MiB }),
		     128 * MiB);
}

Test(buse_size, none_keeps_the_device_size)
{
	cr_assert_eq(size_of((struct buse_operations){ 0 }), 0);
}

Test(buse_size, blksize_times_size_blocks)
{
	cr_assert_eq(size_of((struct buse_operations){ .blksize = 4096,
						       .size_blocks = 1000 }),
		     4096000);
	cr_assert_eq(size_of((struct buse_operations){ .blksize = 512,
						       .size_blocks = 1 }),
		     512);
}

Test(buse_size, blksize_with_size)
{
	/* blksize alone is the block size: size is still size. */
	cr_assert_eq(size_of((struct buse_operations){ .size = 1 * GiB,
						       .blksize = 4096 }),
		     1 * GiB);
}

Test(buse_size, both_agreeing)
{
	cr_assert_eq(size_of((struct buse_operations){ .size = 4 * MiB,
						       .blksize = 1024,
						       .size_blocks = 4096 }),
		     4 * MiB);
}

Test(buse_size, conflicts_refused)
{
	cr_assert(
		strstr(refusal((struct buse_operations){ .size = 4 * MiB,
							 .blksize = 1024,
							 .size_blocks = 4097 }),
		       "differs"));
	cr_assert(strstr(refusal((struct buse_operations){ .size_blocks = 8 }),
			 "without blksize"));
	cr_assert(strstr(refusal((struct buse_operations){
				 .blksize = 4096,
				 .size_blocks = UINT64_MAX / 4096 + 1 }),
			 "overflows"));
}

Test(buse_size, bad_blksize_refused)
{
	static const uint32_t bad[] = { 1, 256, 511, 1000, 4097, 0x80000001u };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect(strstr(refusal((struct buse_operations){
					 .blksize = bad[i], .size_blocks = 1 }),
				 "power of two"),
			  "blksize %u", bad[i]);
}

/* ------------------------------------------------------------------------
 * Results
 */

Test(buse_result, translation)
{
	cr_assert_eq(buse_compat_result(0), 0);
	/* BUSE's convention: a positive errno. */
	cr_assert_eq(buse_compat_result(EIO), -EIO);
	cr_assert_eq(buse_compat_result(ENOSPC), -ENOSPC);
	cr_assert_eq(buse_compat_result(EPERM), -EPERM);
	cr_assert_eq(buse_compat_result(BUSE_MAX_ERRNO), -BUSE_MAX_ERRNO);
	/* A negative errno means the same. */
	cr_assert_eq(buse_compat_result(-ENOSPC), -ENOSPC);
	cr_assert_eq(buse_compat_result(-BUSE_MAX_ERRNO), -BUSE_MAX_ERRNO);
	/* Never a byte count: BUSE has no partial transfers. */
	cr_assert_eq(buse_compat_result(4096), -EIO);
	cr_assert_eq(buse_compat_result(BUSE_MAX_ERRNO + 1), -EIO);
	cr_assert_eq(buse_compat_result(-BUSE_MAX_ERRNO - 1), -EIO);
	cr_assert_eq(buse_compat_result(INT_MAX), -EIO);
	cr_assert_eq(buse_compat_result(INT_MIN), -EIO);
	cr_assert_eq(buse_compat_result(BDUS_ASYNC), -EIO);
}

/* ------------------------------------------------------------------------
 * The engine: what the BUSE callbacks receive and what comes back
 */

struct seen {
	int calls;
	char op; /* 'R', 'W', 'F', 'T', 'D' */
	const void *buf;
	u_int32_t len;
	u_int64_t offset;
	void *userdata;
	int ret; /* what the callback returns */
};

static struct seen seen;

/* Records one call; returns what the callback is to return. */
static int note(char op, const void *buf, u_int32_t len, u_int64_t offset,
		void *userdata)
{
	seen.calls++;
	seen.op = op;
	seen.buf = buf;
	seen.len = len;
	seen.offset = offset;
	seen.userdata = userdata;
	return seen.ret;
}

static int b_read(void *buf, u_int32_t len, u_int64_t offset, void *userdata)
{
	memset(buf, 0xab, len);
	return note('R', buf, len, offset, userdata);
}

static int b_write(const void *buf, u_int32_t len, u_int64_t offset,
		   void *userdata)
{
	return note('W', buf, len, offset, userdata);
}

static int b_flush(void *userdata)
{
	return note('F', NULL, 0, 0, userdata);
}

static int b_trim(u_int64_t from, u_int32_t len, void *userdata)
{
	return note('T', NULL, len, from, userdata);
}

static void b_disc(void *userdata)
{
	note('D', NULL, 0, 0, userdata);
}

static const struct buse_operations all_ops = {
	.read = b_read,
	.write = b_write,
	.disc = b_disc,
	.flush = b_flush,
	.trim = b_trim,
	.size = 64 * MiB,
};

static int cookie;

static struct buse_compat compat(const struct buse_operations *bop)
{
	struct buse_compat c = { .bop = bop, .userdata = &cookie };

	cr_assert_eq(pthread_mutex_init(&c.lock, NULL), 0);
	seen = (struct seen){ 0 };
	return c;
}

static const struct bdus_dev dev = {
	.index = 3,
	.size = 64 * MiB,
	.logical_block_size = 512,
	.block_path = "/dev/buse3",
	.server_path = "/dev/busec3",
};

static const struct bdus_req req = { .dev = &dev };

Test(buse_engine, read_gets_buf_len_offset_userdata)
{
	const struct buse_operations *bop = &all_ops;
	struct buse_compat c = compat(bop);
	struct storage_engine e;
	static char buf[8192];

	buse_compat_engine(&e, bop);
	cr_assert_not_null(e.read);
	cr_assert_eq(e.read(&c, buf, 3 * MiB + 512, 4096, &req), 0);
	cr_assert_eq(seen.calls, 1);
	cr_assert_eq(seen.op, 'R');
	cr_assert_eq(seen.buf, buf);
	cr_assert_eq(seen.len, 4096);
	cr_assert_eq(seen.offset, 3 * MiB + 512);
	cr_assert_eq(seen.userdata, &cookie);
	cr_assert_eq((unsigned char)buf[4095], 0xab);

	seen.ret = EIO;
	cr_assert_eq(e.read(&c, buf, 0, 512, &req), -EIO);
	/* Not byte counts in BUSE: errors, never a partial transfer. */
	seen.ret = 512;
	cr_assert_eq(e.read(&c, buf, 0, 1024, &req), -512);
	seen.ret = 4096;
	cr_assert_eq(e.read(&c, buf, 0, 8192, &req), -EIO);
	cr_assert_eq(seen.calls, 4);
}

Test(buse_engine, write_gets_buf_len_offset_userdata)
{
	const struct buse_operations *bop = &all_ops;
	struct buse_compat c = compat(bop);
	struct storage_engine e;
	static const char buf[1024];

	buse_compat_engine(&e, bop);
	cr_assert_eq(e.write(&c, buf, 64 * MiB - 1024, 1024, &req), 0);
	cr_assert_eq(seen.op, 'W');
	cr_assert_eq(seen.buf, buf);
	cr_assert_eq(seen.len, 1024);
	cr_assert_eq(seen.offset, 64 * MiB - 1024);
	cr_assert_eq(seen.userdata, &cookie);

	seen.ret = ENOSPC;
	cr_assert_eq(e.write(&c, buf, 0, 1024, &req), -ENOSPC);
	seen.ret = -EROFS;
	cr_assert_eq(e.write(&c, buf, 0, 1024, &req), -EROFS);
}

Test(buse_engine, flush_and_trim)
{
	const struct buse_operations *bop = &all_ops;
	struct buse_compat c = compat(bop);
	struct storage_engine e;

	buse_compat_engine(&e, bop);
	cr_assert_not_null(e.flush);
	cr_assert_not_null(e.discard);
	cr_assert_eq(e.flush(&c, &req), 0);
	cr_assert_eq(seen.op, 'F');
	cr_assert_eq(seen.userdata, &cookie);

	cr_assert_eq(e.discard(&c, 5 * GiB, 3 * MiB, &req), 0);
	cr_assert_eq(seen.op, 'T');
	cr_assert_eq(seen.offset, 5 * GiB, "trim's from");
	cr_assert_eq(seen.len, 3 * MiB);
	cr_assert_eq(seen.userdata, &cookie);

	seen.ret = EIO;
	cr_assert_eq(e.flush(&c, &req), -EIO);
	seen.ret = EOPNOTSUPP;
	cr_assert_eq(e.discard(&c, 0, 512, &req), -EOPNOTSUPP);
	cr_assert_eq(seen.calls, 4);
}

Test(buse_engine, disc_at_close)
{
	const struct buse_operations *bop = &all_ops;
	struct buse_compat c = compat(bop);
	struct storage_engine e;

	buse_compat_engine(&e, bop);
	cr_assert_not_null(e.close);
	cr_assert_eq(e.open(&c, &dev), 0);
	cr_assert_eq(seen.calls, 0, "open calls no BUSE callback");
	e.close(&c, &dev);
	cr_assert_eq(seen.calls, 1);
	cr_assert_eq(seen.op, 'D');
	cr_assert_eq(seen.userdata, &cookie);
}

Test(buse_engine, missing_callbacks)
{
	const struct buse_operations none = { .size = 64 * MiB };
	struct buse_compat c = compat(&none);
	struct storage_engine e;
	char buf[512];

	buse_compat_engine(&e, &none);
	/* bdus_serve() needs read and write: BUSE answers EPERM. */
	cr_assert_not_null(e.read);
	cr_assert_not_null(e.write);
	cr_assert_eq(e.read(&c, buf, 0, 512, &req), -EPERM);
	cr_assert_eq(e.write(&c, buf, 0, 512, &req), -EPERM);
	/* No flush: write-through.  No trim: discard succeeds, as in BUSE. */
	cr_assert_null(e.flush);
	cr_assert_not_null(e.discard);
	cr_assert_eq(e.discard(&c, 0, 512, &req), 0);
	cr_assert_null(e.write_zeroes);
	cr_assert_null(e.secure_erase);
	cr_assert_eq(e.flags, 0);
	e.close(&c, &dev); /* no disc: nothing to call */
	cr_assert_eq(seen.calls, 0);
}

Test(buse_engine, blksize_must_match_the_device, .init = cr_redirect_stderr)
{
	struct buse_operations bop = all_ops;
	struct buse_compat c;
	struct storage_engine e;

	bop.size = 0;
	bop.blksize = 512;
	bop.size_blocks = 1024;
	c = compat(&bop);
	buse_compat_engine(&e, &bop);
	cr_assert_eq(e.open(&c, &dev), 0);
	cr_assert_eq(c.refused, 0);

	bop.blksize = 4096;
	cr_assert_eq(e.open(&c, &dev), -EINVAL);
	cr_assert_eq(c.refused, 1);
	fflush(stderr);
	cr_assert_stderr_eq_str(
		"buse_main: /dev/buse3 has logical block size 512, "
		"buse_operations.blksize is 4096 (busectl add 3 "
		"--logical-block-size 4096)\n");
}

/* ------------------------------------------------------------------------
 * buse_main() where it fails before serving
 */

Test(buse_main, bad_path, .init = cr_redirect_stderr)
{
	cr_assert_eq(buse_main("/dev/nbd0", &all_ops, NULL), 1);
	fflush(stderr);
	cr_assert_stderr_eq_str(
		"buse_main: '/dev/nbd0' is not a buse device: expected "
		"/dev/buseN (or /dev/busecN), N in 0..65535\n");
}

Test(buse_main, null_arguments, .init = cr_redirect_stderr)
{
	cr_assert_eq(buse_main(NULL, &all_ops, NULL), 1);
	cr_assert_eq(buse_main("/dev/buse1", NULL, NULL), 1);
	fflush(stderr);
	cr_assert_stderr_eq_str(
		"buse_main: '(null)' is not a buse device: expected "
		"/dev/buseN (or /dev/busecN), N in 0..65535\n"
		"buse_main: no buse_operations\n");
}

Test(buse_main, size_conflict, .init = cr_redirect_stderr)
{
	struct buse_operations bop = all_ops;

	bop.blksize = 4096;
	bop.size_blocks = 1;
	cr_assert_eq(buse_main("/dev/buse1", &bop, NULL), 1);
	cr_assert_eq(seen.calls, 0);
	fflush(stderr);
	cr_assert_stderr_eq_str("buse_main: buse_operations: size differs "
				"from blksize * size_blocks\n");
}
