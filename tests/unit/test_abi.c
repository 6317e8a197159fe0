// SPDX-License-Identifier: MIT
/*
 * test_abi.c - the versioned engine ABI (libbdus/src/abi.c): the struct
 * sizes bdus.h's inline wrappers pass, and the version calls.
 *
 * An engine built against an older, smaller struct storage_engine is
 * simulated by passing a truncated size: the callbacks past it must be
 * absent (NULL, not advertised) whatever the bytes that follow in memory.
 * A struct larger than the library's is accepted only with a zero tail.
 * bdus_serve_sized() calls that pass the checks fail at the open of
 * /dev/busecN (no such device on the host), with -ENOENT.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "abi.h"
#include "bdus.h"
#include "ring.h"

static int e_read(void *ctx, void *buf, uint64_t off, uint32_t len,
		  const struct bdus_req *req)
{
	(void)ctx, (void)buf, (void)off, (void)len, (void)req;
	return 0;
}

static int e_write(void *ctx, const void *buf, uint64_t off, uint32_t len,
		   const struct bdus_req *req)
{
	(void)ctx, (void)buf, (void)off, (void)len, (void)req;
	return 0;
}

static int e_flush(void *ctx, const struct bdus_req *req)
{
	(void)ctx, (void)req;
	return 0;
}

static int e_range(void *ctx, uint64_t off, uint32_t len,
		   const struct bdus_req *req)
{
	(void)ctx, (void)off, (void)len, (void)req;
	return 0;
}

static void e_cancel(void *ctx, const struct bdus_req *req)
{
	(void)ctx, (void)req;
}

static const struct storage_engine full = {
	.name = "abi",
	.flags = BDUS_ENGINE_F_FUA,
	.read = e_read,
	.write = e_write,
	.flush = e_flush,
	.discard = e_range,
	.write_zeroes = e_range,
	.secure_erase = e_range,
	.cancel = e_cancel,
};

/* No such device on the host: -ENOENT once the arguments are accepted. */
#define NO_DEVICE BUSE_MAX_INDEX

/* A struct of the caller's, larger than the library's: a future bdus.h. */
struct bigger_engine {
	struct storage_engine e;
	void (*future_callback)(void *ctx);
};

struct bigger_opts {
	struct bdus_opts o;
	uint64_t future_field;
};

/* ------------------------------------------------------------------------
 * Version
 */

Test(version, call_matches_macros)
{
	char want[32];

	cr_assert_eq(BDUS_VERSION, BDUS_VERSION_MAJOR * 10000 +
					   BDUS_VERSION_MINOR * 100 +
					   BDUS_VERSION_PATCH);
	cr_assert_eq(bdus_version(), BDUS_VERSION);
	snprintf(want, sizeof(want), "%d.%d.%d", BDUS_VERSION_MAJOR,
		 BDUS_VERSION_MINOR, BDUS_VERSION_PATCH);
	cr_assert_str_eq(bdus_version_string(), want);
	/* The sized entry points are new in 0.2. */
	cr_assert_geq(bdus_version(), 200);
}

/* ------------------------------------------------------------------------
 * Struct sizes
 */

/* The 0.1 layouts are the smallest accepted: the structs as 0.1 had them. */
Test(abi, first_layouts)
{
	cr_assert_eq(BDUS_ENGINE_SIZE_0_1, sizeof(struct storage_engine));
	cr_assert_eq(BDUS_OPTS_SIZE_0_1, sizeof(struct bdus_opts));
	cr_assert_eq(offsetof(struct storage_engine, cancel),
		     BDUS_ENGINE_SIZE_0_1 - sizeof(void (*)(void)));
}

/*
 * An engine of an older, smaller layout (here: one that ended after
 * write): whatever follows its last field in memory, the library's copy
 * has the later callbacks NULL, so they are not advertised.
 */
Test(abi, smaller_engine_misses_later_callbacks)
{
	size_t small = bdus_offsetofend(struct storage_engine, write);
	struct storage_engine own;

	memset(&own, 0xa5, sizeof(own));
	cr_assert_eq(bdus_struct_import(&own, sizeof(own), &full, small, small,
					"test", "storage_engine"),
		     0);
	cr_assert_eq(own.read, e_read);
	cr_assert_eq(own.write, e_write);
	cr_assert_eq(own.flags, BDUS_ENGINE_F_FUA);
	cr_assert_null(own.flush);
	cr_assert_null(own.discard);
	cr_assert_null(own.write_zeroes);
	cr_assert_null(own.secure_erase);
	cr_assert_null(own.cancel);
	cr_assert_eq(bdus_engine_check(&own), 0);
	/* Only READ and WRITE; no FUA without a flush callback. */
	cr_assert_eq(bdus_engine_ops(&own), BUSE_OPS_REQUIRED);

	/* Cut inside the optional callbacks: those before the cut stay. */
	small = bdus_offsetofend(struct storage_engine, discard);
	cr_assert_eq(bdus_struct_import(&own, sizeof(own), &full, small, small,
					"test", "storage_engine"),
		     0);
	cr_assert_eq(own.discard, e_range);
	cr_assert_null(own.write_zeroes);
	cr_assert_eq(bdus_engine_ops(&own),
		     BUSE_OPS_REQUIRED | BUSE_OPS_FUA |
			     BUSE_OP_BIT(BUSE_OP_FLUSH) |
			     BUSE_OP_BIT(BUSE_OP_DISCARD));
}

Test(abi, null_struct_is_zeroed)
{
	struct bdus_opts own;

	memset(&own, 0xff, sizeof(own));
	cr_assert_eq(bdus_opts_import(&own, NULL, 0, "test"), 0);
	cr_assert_eq(own.flags, 0);
	cr_assert_null(own.on_ready);
}

Test(abi, engine_of_the_first_layout_served)
{
	cr_assert_eq(bdus_serve_sized(NO_DEVICE, &full, BDUS_ENGINE_SIZE_0_1,
				      NULL, NULL, 0),
		     -ENOENT);
	/* The wrapper passes this header's sizes. */
	cr_assert_eq(bdus_serve(NO_DEVICE, &full, NULL, NULL), -ENOENT);
}

Test(abi, smaller_than_first_layout_refused, .init = cr_redirect_stderr)
{
	struct bdus_opts o = { 0 };
	struct buse_dev_info info = { .index = BUSE_INDEX_ANY };
	char want[512];

	cr_assert_eq(bdus_serve_sized(NO_DEVICE, &full,
				      BDUS_ENGINE_SIZE_0_1 - 8, NULL, NULL, 0),
		     -EINVAL);
	cr_assert_eq(bdus_serve_sized(NO_DEVICE, &full, sizeof(full), NULL, &o,
				      sizeof(o) - 8),
		     -EINVAL);
	/* Refused before anything is created. */
	cr_assert_eq(
		bdus_create_and_serve_sized(&info, &full, 8, NULL, NULL, 0),
		-EINVAL);
	cr_assert_eq(info.index, BUSE_INDEX_ANY);
	fflush(stderr);
	snprintf(want, sizeof(want),
		 "libbdus: bdus_serve: struct storage_engine of %zu bytes, "
		 "smaller than its first layout (%zu bytes)\n"
		 "libbdus: bdus_serve: struct bdus_opts of %zu bytes, smaller "
		 "than its first layout (%zu bytes)\n"
		 "libbdus: bdus_create_and_serve: struct storage_engine of 8 "
		 "bytes, smaller than its first layout (%zu bytes)\n",
		 BDUS_ENGINE_SIZE_0_1 - 8, BDUS_ENGINE_SIZE_0_1, sizeof(o) - 8,
		 BDUS_OPTS_SIZE_0_1, BDUS_ENGINE_SIZE_0_1);
	cr_assert_stderr_eq_str(want);
}

Test(abi, larger_with_zero_tail_accepted)
{
	struct bigger_engine be = { .e = full };
	struct bigger_opts bo = { .o = { .flags = BDUS_OPT_QUIET } };

	cr_assert_eq(bdus_serve_sized(NO_DEVICE, &be.e, sizeof(be), NULL, &bo.o,
				      sizeof(bo)),
		     -ENOENT);
}

Test(abi, larger_with_garbage_tail_refused, .init = cr_redirect_stderr)
{
	struct bigger_engine be = { .e = full, .future_callback = NULL };
	struct bigger_opts bo = { .future_field = 1 };
	char want[512];

	memset(&be.future_callback, 0x01, sizeof(be.future_callback));
	cr_assert_eq(
		bdus_serve_sized(NO_DEVICE, &be.e, sizeof(be), NULL, NULL, 0),
		-EINVAL);
	cr_assert_eq(bdus_serve_sized(NO_DEVICE, &full, sizeof(full), NULL,
				      &bo.o, sizeof(bo)),
		     -EINVAL);
	fflush(stderr);
	snprintf(want, sizeof(want),
		 "libbdus: bdus_serve: struct storage_engine of %zu bytes sets "
		 "fields past the %zu bytes libbdus %s knows (built against a "
		 "newer bdus.h?)\n"
		 "libbdus: bdus_serve: struct bdus_opts of %zu bytes sets "
		 "fields past the %zu bytes libbdus %s knows (built against a "
		 "newer bdus.h?)\n",
		 sizeof(be), sizeof(full), bdus_version_string(), sizeof(bo),
		 sizeof(struct bdus_opts), bdus_version_string());
	cr_assert_stderr_eq_str(want);
}
