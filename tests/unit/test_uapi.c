// SPDX-License-Identifier: MIT
/*
 * test_uapi.c - pin the layout of uapi/linux/buse.h.
 *
 * The expected sizes and offsets below are computed by hand from the
 * header.  Every structure is built so that its layout is the same on
 * 32-bit and 64-bit ABIs (every __u64 at a multiple of 8, every size a
 * multiple of 8): a failure here means the kernel<->userspace ABI changed,
 * which needs BUSE_ABI_VERSION bumped and the driver's BUILD_BUG_ONs
 * updated in the same commit.
 */
#include <errno.h>
#include <limits.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <linux/buse.h>

#define member_size(type, m) sizeof(((type *)0)->m)

/* offset and size of one member */
#define assert_field(type, m, off, size)                                \
	do {                                                            \
		cr_expect_eq(offsetof(type, m), (size_t)(off),          \
			     #type "." #m ": offset %zu, expected %zu", \
			     offsetof(type, m), (size_t)(off));         \
		cr_expect_eq(member_size(type, m), (size_t)(size),      \
			     #type "." #m ": size %zu, expected %zu",   \
			     member_size(type, m), (size_t)(size));     \
	} while (0)

/* A 64-bit member: also naturally aligned. */
#define assert_field64(type, m, off)                                 \
	do {                                                         \
		assert_field(type, m, off, 8);                       \
		cr_expect_eq(offsetof(type, m) % 8, 0,               \
			     #type "." #m " is not 8-byte aligned"); \
	} while (0)

#define assert_struct(type, size)                                     \
	do {                                                          \
		cr_expect_eq(sizeof(type), (size_t)(size),            \
			     "sizeof(" #type ") = %zu, expected %zu", \
			     sizeof(type), (size_t)(size));           \
	} while (0)

Test(uapi, io_desc)
{
	assert_struct(struct buse_io_desc, 32);
	assert_field(struct buse_io_desc, tag, 0, 2);
	assert_field(struct buse_io_desc, seq, 2, 2);
	assert_field(struct buse_io_desc, op, 4, 1);
	assert_field(struct buse_io_desc, desc_flags, 5, 1);
	assert_field(struct buse_io_desc, __pad0, 6, 2);
	assert_field64(struct buse_io_desc, sector, 8);
	assert_field(struct buse_io_desc, len, 16, 4);
	assert_field(struct buse_io_desc, flags, 20, 4);
	assert_field64(struct buse_io_desc, reserved, 24);
	/* 32 divides a cache line: descriptors never straddle one. */
	cr_expect_eq(64 % sizeof(struct buse_io_desc), 0);
}

Test(uapi, io_cqe)
{
	assert_struct(struct buse_io_cqe, 8);
	assert_field(struct buse_io_cqe, tag, 0, 2);
	assert_field(struct buse_io_cqe, seq, 2, 2);
	assert_field(struct buse_io_cqe, result, 4, 4);
	/* seq is echoed from the descriptor: same width */
	cr_expect_eq(member_size(struct buse_io_cqe, seq),
		     member_size(struct buse_io_desc, seq));
	cr_expect_eq(member_size(struct buse_io_cqe, tag),
		     member_size(struct buse_io_desc, tag));
	/* result is signed: negative errnos */
	struct buse_io_cqe c = { .result = -5 };
	cr_expect_lt(c.result, 0);
}

Test(uapi, ring_hdr)
{
	assert_struct(struct buse_ring_hdr, 256);
	assert_field(struct buse_ring_hdr, sq_head, 0, 4);
	assert_field(struct buse_ring_hdr, sq_tail, 64, 4);
	assert_field(struct buse_ring_hdr, cq_head, 128, 4);
	assert_field(struct buse_ring_hdr, cq_tail, 192, 4);
	assert_field(struct buse_ring_hdr, __pad0, 4, 60);
	assert_field(struct buse_ring_hdr, __pad1, 68, 60);
	assert_field(struct buse_ring_hdr, __pad2, 132, 60);
	assert_field(struct buse_ring_hdr, __pad3, 196, 60);
	/* Each index alone in its 64-byte cache line. */
	cr_expect_neq(offsetof(struct buse_ring_hdr, sq_head) / 64,
		      offsetof(struct buse_ring_hdr, sq_tail) / 64);
	cr_expect_neq(offsetof(struct buse_ring_hdr, cq_head) / 64,
		      offsetof(struct buse_ring_hdr, cq_tail) / 64);
	/* The indices are __u32, read and written as single words. */
	cr_expect_eq(alignof(struct buse_ring_hdr) % 4, 0);
}

Test(uapi, version)
{
	assert_struct(struct buse_version, 64);
	assert_field(struct buse_version, abi_version, 0, 4);
	assert_field(struct buse_version, max_queues, 4, 4);
	assert_field64(struct buse_version, features, 8);
	assert_field(struct buse_version, max_depth, 16, 4);
	assert_field(struct buse_version, max_io, 20, 4);
	assert_field(struct buse_version, max_index, 24, 4);
	assert_field(struct buse_version, __pad0, 28, 4);
	assert_field(struct buse_version, reserved, 32, 32);
	cr_expect_eq(offsetof(struct buse_version, reserved) % 8, 0);
}

Test(uapi, dev_info)
{
	assert_struct(struct buse_dev_info, 120);
	assert_field(struct buse_dev_info, index, 0, 4);
	assert_field(struct buse_dev_info, flags, 4, 4);
	assert_field64(struct buse_dev_info, size, 8);
	assert_field(struct buse_dev_info, logical_block_size, 16, 4);
	assert_field(struct buse_dev_info, physical_block_size, 20, 4);
	assert_field(struct buse_dev_info, nr_queues, 24, 4);
	assert_field(struct buse_dev_info, queue_depth, 28, 4);
	assert_field(struct buse_dev_info, max_io, 32, 4);
	assert_field(struct buse_dev_info, nr_poll_queues, 36, 4);
	assert_field(struct buse_dev_info, state, 40, 4);
	assert_field(struct buse_dev_info, server_pid, 44, 4);
	assert_field(struct buse_dev_info, ops, 48, 4);
	assert_field(struct buse_dev_info, __pad1, 52, 4);
	assert_field(struct buse_dev_info, io_min, 56, 4);
	assert_field(struct buse_dev_info, io_opt, 60, 4);
	assert_field(struct buse_dev_info, max_discard, 64, 4);
	assert_field(struct buse_dev_info, max_write_zeroes, 68, 4);
	assert_field(struct buse_dev_info, discard_granularity, 72, 4);
	assert_field(struct buse_dev_info, timeout, 76, 4);
	assert_field(struct buse_dev_info, recovery_timeout, 80, 4);
	assert_field(struct buse_dev_info, owner_uid, 84, 4);
	assert_field(struct buse_dev_info, owner_gid, 88, 4);
	assert_field(struct buse_dev_info, __pad2, 92, 4);
	assert_field(struct buse_dev_info, serial, 96, 16);
	assert_field(struct buse_dev_info, reserved, 112, 8);
	cr_expect_eq(offsetof(struct buse_dev_info, reserved) % 8, 0);
	/* server_pid is signed (pid_t), the rest unsigned */
	struct buse_dev_info d = { .server_pid = -1 };
	cr_expect_lt(d.server_pid, 0);
}

Test(uapi, ctl_remove)
{
	assert_struct(struct buse_ctl_remove, 24);
	assert_field(struct buse_ctl_remove, index, 0, 4);
	assert_field(struct buse_ctl_remove, flags, 4, 4);
	assert_field(struct buse_ctl_remove, reserved, 8, 16);
	cr_expect_eq(offsetof(struct buse_ctl_remove, reserved) % 8, 0);
}

Test(uapi, ctl_list)
{
	assert_struct(struct buse_ctl_list, 32);
	assert_field64(struct buse_ctl_list, indexes, 0);
	assert_field(struct buse_ctl_list, count, 8, 4);
	assert_field(struct buse_ctl_list, nr_devices, 12, 4);
	assert_field(struct buse_ctl_list, reserved, 16, 16);
	/* A user pointer fits in the __u64 on every ABI. */
	cr_expect_geq(member_size(struct buse_ctl_list, indexes),
		      sizeof(void *));
}

Test(uapi, attach)
{
	assert_struct(struct buse_attach, 128);
	assert_field64(struct buse_attach, size, 0);
	assert_field(struct buse_attach, ops, 8, 4);
	assert_field(struct buse_attach, flags, 12, 4);
	assert_field(struct buse_attach, index, 16, 4);
	assert_field(struct buse_attach, nr_queues, 20, 4);
	assert_field(struct buse_attach, queue_depth, 24, 4);
	assert_field(struct buse_attach, max_io, 28, 4);
	assert_field(struct buse_attach, logical_block_size, 32, 4);
	assert_field(struct buse_attach, physical_block_size, 36, 4);
	assert_field(struct buse_attach, sq_entries, 40, 4);
	assert_field(struct buse_attach, cq_entries, 44, 4);
	assert_field(struct buse_attach, sq_off, 48, 4);
	assert_field(struct buse_attach, cq_off, 52, 4);
	assert_field64(struct buse_attach, data_off, 56);
	assert_field64(struct buse_attach, map_size, 64);
	assert_field(struct buse_attach, dev_flags, 72, 4);
	assert_field(struct buse_attach, nr_poll_queues, 76, 4);
	assert_field(struct buse_attach, reserved, 80, 48);
	cr_expect_eq(offsetof(struct buse_attach, reserved) % 8, 0);
}

Test(uapi, run)
{
	assert_struct(struct buse_run, 40);
	assert_field(struct buse_run, queue, 0, 4);
	assert_field(struct buse_run, flags, 4, 4);
	assert_field(struct buse_run, completed, 8, 4);
	assert_field(struct buse_run, pending, 12, 4);
	assert_field(struct buse_run, rejected, 16, 4);
	assert_field(struct buse_run, __pad0, 20, 4);
	assert_field(struct buse_run, reserved, 24, 16);
	cr_expect_eq(offsetof(struct buse_run, reserved) % 8, 0);
}

/* Every structure passed by ioctl or shared in a ring: size % 8 == 0 so
 * that arrays and 32-bit compat callers see the same layout. */
Test(uapi, sizes_multiple_of_8)
{
	cr_expect_eq(sizeof(struct buse_io_desc) % 8, 0);
	cr_expect_eq(sizeof(struct buse_io_cqe) % 8, 0);
	cr_expect_eq(sizeof(struct buse_ring_hdr) % 64, 0);
	cr_expect_eq(sizeof(struct buse_version) % 8, 0);
	cr_expect_eq(sizeof(struct buse_dev_info) % 8, 0);
	cr_expect_eq(sizeof(struct buse_ctl_remove) % 8, 0);
	cr_expect_eq(sizeof(struct buse_ctl_list) % 8, 0);
	cr_expect_eq(sizeof(struct buse_attach) % 8, 0);
	cr_expect_eq(sizeof(struct buse_run) % 8, 0);
}

/* ------------------------------------------------------------------------
 * ioctl numbers
 */

#define assert_ioctl(req, nr, type)                                   \
	do {                                                          \
		cr_expect_eq(_IOC_DIR(req), _IOC_READ | _IOC_WRITE,   \
			     #req " is not _IOWR");                   \
		cr_expect_eq(_IOC_TYPE(req), BUSE_IOCTL_MAGIC,        \
			     #req ": magic %#x", _IOC_TYPE(req));     \
		cr_expect_eq(_IOC_NR(req), (nr), #req ": nr %#x",     \
			     _IOC_NR(req));                           \
		cr_expect_eq(_IOC_SIZE(req), sizeof(type),            \
			     #req ": size %u, sizeof(" #type ") %zu", \
			     _IOC_SIZE(req), sizeof(type));           \
	} while (0)

Test(uapi, ioctl_numbers)
{
	cr_expect_eq(BUSE_IOCTL_MAGIC, 0xbe);
	assert_ioctl(BUSE_CTL_VERSION, 0x00, struct buse_version);
	assert_ioctl(BUSE_CTL_ADD, 0x01, struct buse_dev_info);
	assert_ioctl(BUSE_CTL_REMOVE, 0x02, struct buse_ctl_remove);
	assert_ioctl(BUSE_CTL_INFO, 0x03, struct buse_dev_info);
	assert_ioctl(BUSE_CTL_LIST, 0x04, struct buse_ctl_list);
	assert_ioctl(BUSE_IOC_ATTACH, 0x40, struct buse_attach);
	assert_ioctl(BUSE_IOC_RUN, 0x41, struct buse_run);
}

Test(uapi, ioctl_numbers_distinct)
{
	const unsigned long reqs[] = {
		BUSE_CTL_VERSION, BUSE_CTL_ADD,	 BUSE_CTL_REMOVE,
		BUSE_CTL_INFO,	  BUSE_CTL_LIST, BUSE_IOC_ATTACH,
		BUSE_IOC_RUN,
	};
	size_t n = sizeof(reqs) / sizeof(reqs[0]);

	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			cr_expect_neq(reqs[i], reqs[j], "ioctl %zu == %zu", i,
				      j);
}

/* The raw numbers on the asm-generic ioctl encoding (x86, arm, riscv). */
Test(uapi, ioctl_raw_values)
{
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || \
	defined(__arm__) || defined(__riscv)
	cr_expect_eq((unsigned long)BUSE_CTL_VERSION, 0xc040be00ul);
	cr_expect_eq((unsigned long)BUSE_CTL_ADD, 0xc078be01ul);
	cr_expect_eq((unsigned long)BUSE_CTL_REMOVE, 0xc018be02ul);
	cr_expect_eq((unsigned long)BUSE_CTL_INFO, 0xc078be03ul);
	cr_expect_eq((unsigned long)BUSE_CTL_LIST, 0xc020be04ul);
	cr_expect_eq((unsigned long)BUSE_IOC_ATTACH, 0xc080be40ul);
	cr_expect_eq((unsigned long)BUSE_IOC_RUN, 0xc028be41ul);
#else
	cr_skip_test("ioctl encoding differs on this architecture");
#endif
}

/* ------------------------------------------------------------------------
 * Constants
 */

Test(uapi, mmap_offset)
{
	cr_expect_eq(BUSE_QUEUE_MMAP_OFFSET(0), 0);
	cr_expect_eq(BUSE_QUEUE_MMAP_OFFSET(1), 1ull << 40);
	cr_expect_eq(BUSE_QUEUE_MMAP_OFFSET(3), 3ull << 40);
	/* 64-bit even when q is an int: no truncation to 32 bits */
	cr_expect_eq(sizeof(BUSE_QUEUE_MMAP_OFFSET(0)), 8);
	int q = BUSE_MAX_QUEUES - 1;
	cr_expect_gt(BUSE_QUEUE_MMAP_OFFSET(q), (uint64_t)UINT32_MAX);
	cr_expect_eq(BUSE_QUEUE_MMAP_OFFSET(q) >> BUSE_QUEUE_MMAP_SHIFT,
		     (uint64_t)q);
	/* queue q's area is found again from its offset */
	for (unsigned i = 0; i < BUSE_MAX_QUEUES; i++)
		cr_expect_eq(BUSE_QUEUE_MMAP_OFFSET(i) >> BUSE_QUEUE_MMAP_SHIFT,
			     i);
	/* page aligned, and every queue's offset fits in a (signed) off_t */
	cr_expect_eq(BUSE_QUEUE_MMAP_OFFSET(1) % 65536, 0);
	cr_expect_lt(BUSE_QUEUE_MMAP_OFFSET(BUSE_MAX_QUEUES),
		     (uint64_t)INT64_MAX);
	/* room for a queue's whole mapping between two offsets */
	cr_expect_gt(BUSE_QUEUE_MMAP_OFFSET(1),
		     (uint64_t)BUSE_MAX_QUEUE_BUFFERS + (1u << 20));
}

Test(uapi, op_bits)
{
	cr_expect_eq(BUSE_OP_READ, 0);
	cr_expect_eq(BUSE_OP_WRITE, 1);
	cr_expect_eq(BUSE_OP_FLUSH, 2);
	cr_expect_eq(BUSE_OP_DISCARD, 3);
	cr_expect_eq(BUSE_OP_WRITE_ZEROES, 4);
	cr_expect_eq(BUSE_OP_SECURE_ERASE, 5);
	cr_expect_eq(BUSE_OP_NR, 6);
	/* CANCEL is a notification, not an op: no ops bit, fits in __u8 */
	cr_expect_eq(BUSE_OP_CANCEL, 0x80);
	cr_expect_geq(BUSE_OP_CANCEL, BUSE_OP_NR);
	cr_expect_lt(BUSE_OP_CANCEL, 256);
	cr_expect_eq(BUSE_OP_BIT(BUSE_OP_READ), 0x1u);
	cr_expect_eq(BUSE_OP_BIT(BUSE_OP_FLUSH), 0x4u);
	cr_expect_eq(BUSE_OPS_REQUIRED, 0x3u);
	cr_expect_eq(BUSE_OPS_ALL, 0x3fu);
	for (int op = 0; op < BUSE_OP_NR; op++)
		cr_expect(BUSE_OPS_ALL & BUSE_OP_BIT(op), "op %d not in ALL",
			  op);
	cr_expect_eq(BUSE_OPS_ALL & BUSE_OP_BIT(BUSE_OP_NR), 0);
	/* FUA pseudo-op does not collide with any op */
	cr_expect_eq(BUSE_OPS_FUA & BUSE_OPS_ALL, 0);
	cr_expect_eq(BUSE_OPS_FUA, 1u << 16);
	/* op fits in buse_io_desc.op (__u8) */
	cr_expect_lt(BUSE_OP_NR,
		     1u << (8 * member_size(struct buse_io_desc, op)));
}

Test(uapi, io_flags)
{
	const uint32_t f[] = {
		BUSE_IO_F_FUA,
		BUSE_IO_F_PREFLUSH,
		BUSE_IO_F_NOUNMAP,
		BUSE_IO_F_SYNC,
		BUSE_IO_F_META,
		BUSE_IO_F_RAHEAD,
		BUSE_IO_F_FAILFAST_DEV,
		BUSE_IO_F_FAILFAST_TRANSPORT,
		BUSE_IO_F_FAILFAST_DRIVER,
		BUSE_IO_F_IDLE,
	};
	uint32_t seen = 0;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		cr_expect_eq(f[i] & (f[i] - 1), 0, "flag %zu not one bit", i);
		cr_expect_eq(seen & f[i], 0, "flag %zu reused", i);
		seen |= f[i];
	}
	cr_expect_eq(seen, 0x3ffu);
}

Test(uapi, other_flags)
{
	const uint32_t devf[] = {
		BUSE_DEV_F_READ_ONLY,	   BUSE_DEV_F_ROTATIONAL,
		BUSE_DEV_F_NO_WRITE_CACHE, BUSE_DEV_F_NO_PARTSCAN,
		BUSE_DEV_F_RECOVERABLE,	   BUSE_DEV_F_OWNER,
		BUSE_DEV_F_PARTSCAN,
	};
	uint32_t seen = 0;

	for (size_t i = 0; i < sizeof(devf) / sizeof(devf[0]); i++) {
		cr_expect_eq(devf[i] & (devf[i] - 1), 0, "dev flag %zu", i);
		cr_expect_eq(seen & devf[i], 0, "dev flag %zu reused", i);
		seen |= devf[i];
	}
	cr_expect_eq(BUSE_DEV_F_READ_ONLY, 1u);
	cr_expect_eq(BUSE_DEV_F_ALL, seen, "BUSE_DEV_F_ALL misses a flag");
	cr_expect_eq(BUSE_REMOVE_F_FORCE, 1u);
	cr_expect_eq(BUSE_REMOVE_F_ALL, BUSE_REMOVE_F_FORCE);
	cr_expect_eq(BUSE_FEAT_RING, 1ull);
	cr_expect_eq(BUSE_FEAT_SIZE_BY_SERVER, 2ull);
	cr_expect_eq(BUSE_FEAT_ALL, 3ull);
	cr_expect_eq(BUSE_RUN_F_NOWAIT, 1u);
	cr_expect_eq(BUSE_RUN_F_KICK, 2u);
	cr_expect_eq(BUSE_RUN_F_ALL, 3u);
	cr_expect_eq(BUSE_STATE_IDLE, 0);
	cr_expect_eq(BUSE_STATE_RUNNING, 1);
	cr_expect_eq(BUSE_STATE_REMOVING, 2);
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static uint64_t pow2_ceil(uint64_t v)
{
	uint64_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/*
 * The limits, by the relations the ABI, the driver and the servers rely
 * on, not by their values: a limit may change, these must keep holding.
 */
Test(uapi, limits_consistent)
{
	struct buse_dev_info info = { .index = BUSE_INDEX_ANY };

	/* 0 is what a zeroed struct buse_version holds: no driver's version */
	cr_expect_geq(BUSE_ABI_VERSION, 1);
	/* BUSE_INDEX_ANY is no index, and survives the __u32 index field */
	cr_expect_gt(BUSE_INDEX_ANY, BUSE_MAX_INDEX);
	cr_expect_eq(info.index, BUSE_INDEX_ANY);
	/* a tag (0..depth-1) fits in the __u16 of desc and cqe (driver
	 * BUILD_BUG_ON: BUSE_MAX_DEPTH <= U16_MAX + 1) */
	cr_expect_leq(BUSE_MAX_DEPTH - 1, UINT16_MAX);
	cr_expect(BUSE_DEF_DEPTH >= 1 && BUSE_DEF_DEPTH <= BUSE_MAX_DEPTH);
	/* the deepest queue's rings (sq_entries >= 2 * depth, cq_entries >=
	 * depth, powers of two) lie within reach of the __u32 sq_off/cq_off */
	cr_expect_leq(sizeof(struct buse_ring_hdr) +
			      pow2_ceil(2 * (uint64_t)BUSE_MAX_DEPTH) *
				      sizeof(struct buse_io_desc) +
			      pow2_ceil(BUSE_MAX_DEPTH) *
				      sizeof(struct buse_io_cqe),
		      (uint64_t)UINT32_MAX);

	/* block sizes: powers of two, whole 512-byte sectors (desc.sector),
	 * at most the smallest page (driver BUILD_BUG_ON against PAGE_SIZE:
	 * a block buffer never straddles a page of the rings) */
	cr_expect(is_pow2(BUSE_MIN_BLOCK_SIZE) && is_pow2(BUSE_MAX_BLOCK_SIZE));
	cr_expect_eq(BUSE_MIN_BLOCK_SIZE % 512, 0);
	cr_expect_leq(BUSE_MIN_BLOCK_SIZE, BUSE_MAX_BLOCK_SIZE);
	cr_expect_leq(BUSE_MAX_BLOCK_SIZE, 4096);
	cr_expect(is_pow2(BUSE_DEF_BLOCK_SIZE) &&
		  BUSE_DEF_BLOCK_SIZE >= BUSE_MIN_BLOCK_SIZE &&
		  BUSE_DEF_BLOCK_SIZE <= BUSE_MAX_BLOCK_SIZE);

	/* max_io: whole pages and whole blocks of any size; a whole request
	 * fits desc.len (__u32) and its byte count cqe.result (__s32); one
	 * buffer of the largest size fits a queue's buffer budget */
	cr_expect_eq(BUSE_MIN_MAX_IO % 4096, 0);
	cr_expect_eq(BUSE_MIN_MAX_IO % BUSE_MAX_BLOCK_SIZE, 0);
	cr_expect_leq(BUSE_MIN_MAX_IO, BUSE_MAX_MAX_IO);
	cr_expect_eq(BUSE_MAX_MAX_IO % BUSE_MIN_MAX_IO, 0);
	cr_expect_leq((uint64_t)BUSE_MAX_MAX_IO, INT32_MAX);
	cr_expect_leq((uint64_t)BUSE_MAX_MAX_IO, BUSE_MAX_QUEUE_BUFFERS);
	cr_expect(BUSE_DEF_MAX_IO >= BUSE_MIN_MAX_IO &&
		  BUSE_DEF_MAX_IO <= BUSE_MAX_MAX_IO);
	cr_expect_eq(BUSE_DEF_MAX_IO % BUSE_MIN_MAX_IO, 0);
	cr_expect_leq((uint64_t)BUSE_DEF_DEPTH * BUSE_DEF_MAX_IO,
		      BUSE_MAX_QUEUE_BUFFERS);

	/* requests without data: the largest multiple of the block size
	 * that fits desc.len, and never less than a data request */
	for (uint32_t lbs = BUSE_MIN_BLOCK_SIZE; lbs <= BUSE_MAX_BLOCK_SIZE;
	     lbs <<= 1) {
		uint64_t nodata = BUSE_MAX_NODATA_BYTES(lbs);

		cr_expect_eq(nodata % lbs, 0, "lbs %u", lbs);
		cr_expect_gt(nodata + lbs, (uint64_t)UINT32_MAX, "lbs %u", lbs);
		cr_expect_geq(nodata, BUSE_MAX_MAX_IO, "lbs %u", lbs);
	}

	/* the size: whole blocks of any size, byte offsets fit loff_t */
	cr_expect_eq(BUSE_MAX_SIZE % BUSE_MAX_BLOCK_SIZE, 0);
	cr_expect_leq(BUSE_MAX_SIZE, (uint64_t)INT64_MAX);
	/* timeouts: in jiffies (HZ <= 1000) they fit the block layer's
	 * unsigned int; the hints fit their __u32 fields */
	cr_expect_leq((uint64_t)BUSE_MAX_TIMEOUT * 1000, UINT32_MAX);
	cr_expect_leq((uint64_t)BUSE_MAX_IO_HINT, UINT32_MAX);
	/* the errnos the uapi passes through are errnos to it */
	const int passed[] = { EIO,	ENOSPC, EOPNOTSUPP, ETIMEDOUT,
			       ENOLINK, EILSEQ, ENODATA,    EBADE };
	for (size_t i = 0; i < sizeof(passed) / sizeof(passed[0]); i++)
		cr_expect_leq(passed[i], BUSE_MAX_ERRNO, "errno %d", passed[i]);
	/* serial: BUSE_SERIAL_MAX characters and a NUL (driver BUILD_BUG_ON) */
	cr_expect_eq(member_size(struct buse_dev_info, serial),
		     BUSE_SERIAL_MAX + 1);
}

Test(uapi, device_paths)
{
	char buf[64];

	cr_expect_str_eq(BUSE_CTL_DEVICE, "/dev/busectl");
	snprintf(buf, sizeof(buf), BUSE_BLOCK_DEVICE_FMT, 7u);
	cr_expect_str_eq(buf, "/dev/buse7");
	snprintf(buf, sizeof(buf), BUSE_CHAR_DEVICE_FMT, 12u);
	cr_expect_str_eq(buf, "/dev/busec12");
	/* the longest name fits a small path buffer */
	cr_expect_lt(snprintf(buf, sizeof(buf), BUSE_CHAR_DEVICE_FMT,
			      BUSE_MAX_INDEX),
		     32);
}
