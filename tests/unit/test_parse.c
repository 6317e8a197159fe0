// SPDX-License-Identifier: MIT
/*
 * test_parse.c - bdus_parse_size() and busectl's argument parsing and
 * output formatting (ctl/busectl_args.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "bdus_ctl.h"
#include "busectl_parse.h"
#include "busectl_print.h"

/* ------------------------------------------------------------------------
 * bdus_parse_size
 */

struct size_case {
	const char *s;
	int ret;
	uint64_t val;
};

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define TiB (1ull << 40)
#define PiB (1ull << 50)
#define EiB (1ull << 60)
#define KB 1000ull
#define MB 1000000ull
#define GB 1000000000ull
#define TB 1000000000000ull
#define PB 1000000000000000ull
#define EB 1000000000000000000ull

static void check_sizes(const struct size_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 0xdeadbeefull;
		int ret = bdus_parse_size(c[i].s, &v);

		cr_expect_eq(ret, c[i].ret, "parse_size(\"%s\") = %d, expected %d",
			     c[i].s, ret, c[i].ret);
		if (c[i].ret == 0)
			cr_expect_eq(v, c[i].val,
				     "parse_size(\"%s\") = %llu, expected %llu",
				     c[i].s, (unsigned long long)v,
				     (unsigned long long)c[i].val);
		else
			cr_expect_eq(v, 0xdeadbeefull,
				     "parse_size(\"%s\") wrote *out on error",
				     c[i].s);
	}
}

#define CHECK(cases) check_sizes(cases, sizeof(cases) / sizeof(cases[0]))

Test(parse_size, plain_numbers)
{
	static const struct size_case c[] = {
		{ "0", 0, 0 },
		{ "1", 0, 1 },
		{ "512", 0, 512 },
		{ "4096", 0, 4096 },
		{ "0100", 0, 100 },		/* decimal, not octal */
		{ "000", 0, 0 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "512B", 0, 512 },
		{ "512b", 0, 512 },
	};
	CHECK(c);
}

/* A bare letter and "iB" are powers of 1024, as util-linux reads them. */
Test(parse_size, binary_suffixes)
{
	static const struct size_case c[] = {
		{ "1K", 0, KiB },
		{ "4K", 0, 4 * KiB },
		{ "256M", 0, 256 * MiB },
		{ "1G", 0, GiB },
		{ "2T", 0, 2 * TiB },
		{ "3P", 0, 3 * PiB },
		{ "1E", 0, EiB },
		{ "0K", 0, 0 },
		{ "1KiB", 0, KiB },
		{ "3MiB", 0, 3 * MiB },
		{ "5GiB", 0, 5 * GiB },
		{ "7TiB", 0, 7 * TiB },
		{ "2PiB", 0, 2 * PiB },
		{ "15EiB", 0, 15 * EiB },
		{ "16383T", 0, 16383 * TiB },
	};
	CHECK(c);
}

/* "B" after the letter: powers of 1000 ("10GB" used to be 10 GiB). */
Test(parse_size, decimal_suffixes)
{
	static const struct size_case c[] = {
		{ "1KB", 0, KB },
		{ "4KB", 0, 4 * KB },
		{ "3MB", 0, 3 * MB },
		{ "10GB", 0, 10 * GB },
		{ "7TB", 0, 7 * TB },
		{ "2PB", 0, 2 * PB },
		{ "18EB", 0, 18 * EB },
		{ "0GB", 0, 0 },
		{ "1.5KB", 0, 1500 },
		{ "0.001KB", 0, 1 },
		{ "2.5GB", 0, 2500 * MB },
		{ "0.0001KB", -EINVAL, 0 },	/* a tenth of a byte */
	};
	CHECK(c);
}

/*
 * As util-linux: the letter in either case, "B" or "b", but the "i" of
 * "iB" lower-case only.
 */
Test(parse_size, case_insensitive)
{
	static const struct size_case c[] = {
		{ "1k", 0, KiB },
		{ "1m", 0, MiB },
		{ "1g", 0, GiB },
		{ "1t", 0, TiB },
		{ "1p", 0, PiB },
		{ "1e", 0, EiB },
		{ "1kib", 0, KiB },
		{ "1kiB", 0, KiB },
		{ "1Kib", 0, KiB },
		{ "1kb", 0, KB },
		{ "1kB", 0, KB },
		{ "1Mb", 0, MB },
		{ "1gb", 0, GB },
		{ "1KIB", -EINVAL, 0 },
		{ "1gIb", -EINVAL, 0 },
		{ "1KIb", -EINVAL, 0 },
	};
	CHECK(c);
}

Test(parse_size, fractions)
{
	static const struct size_case c[] = {
		{ "1.5G", 0, GiB + GiB / 2 },
		{ "0.5K", 0, 512 },
		{ "0.25M", 0, 256 * KiB },
		{ "1.0", 0, 1 },
		{ "2.000K", 0, 2048 },
		{ "1.50G", 0, GiB + GiB / 2 },
		{ "0.001953125K", 0, 2 },	/* 2/1024 exactly */
		{ "1.3K", -EINVAL, 0 },		/* 1331.2 bytes */
		{ "1.5", -EINVAL, 0 },		/* half a byte */
		{ "0.1T", -EINVAL, 0 },		/* not whole */
		{ "1.", -EINVAL, 0 },
		{ ".5G", -EINVAL, 0 },
		{ "1..5G", -EINVAL, 0 },
		{ "1.5.5G", -EINVAL, 0 },
		{ "0.0000000000000000000000000001G", -EINVAL, 0 },
	};
	CHECK(c);
}

Test(parse_size, junk)
{
	static const struct size_case c[] = {
		{ "", -EINVAL, 0 },
		{ "K", -EINVAL, 0 },
		{ "B", -EINVAL, 0 },
		{ "abc", -EINVAL, 0 },
		{ "12Q", -EINVAL, 0 },
		{ "1KK", -EINVAL, 0 },
		{ "1KBB", -EINVAL, 0 },
		{ "1iB", -EINVAL, 0 },
		{ "1Ki", -EINVAL, 0 },
		{ "1Z", -EINVAL, 0 },		/* beyond E: not supported */
		{ "1Y", -EINVAL, 0 },
		{ "1ZiB", -EINVAL, 0 },
		{ "1EiBB", -EINVAL, 0 },
		{ "1KiBs", -EINVAL, 0 },
		{ "1iKB", -EINVAL, 0 },
		{ "1BK", -EINVAL, 0 },
		{ "0x1000", -EINVAL, 0 },
		{ "1e3", -EINVAL, 0 },
		{ "4096x", -EINVAL, 0 },
		{ "1,5G", -EINVAL, 0 },
		{ "99999999999999999999999x", -EINVAL, 0 }, /* junk wins */
	};
	CHECK(c);
}

Test(parse_size, signs_and_whitespace)
{
	static const struct size_case c[] = {
		{ "-1", -EINVAL, 0 },
		{ "-0", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ "-1G", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 },
		{ "1 G", -EINVAL, 0 },
		{ "\t4096", -EINVAL, 0 },
		{ "4096\n", -EINVAL, 0 },
		{ " ", -EINVAL, 0 },
	};
	CHECK(c);
}

Test(parse_size, overflow)
{
	static const struct size_case c[] = {
		{ "18446744073709551616", -ERANGE, 0 },	/* 2^64 */
		{ "99999999999999999999999", -ERANGE, 0 },
		{ "16777216T", -ERANGE, 0 },		/* 2^64 */
		{ "16777215T", 0, 16777215ull * TiB },
		{ "17179869184G", -ERANGE, 0 },		/* 2^64 */
		{ "17179869183G", 0, 17179869183ull * GiB },
		{ "18014398509481984K", -ERANGE, 0 },	/* 2^64 */
		/* (2^24 - 1) T + (1 - 2^-40) T == 2^64 - 1 */
		{ "16777215.9999999999990905052982270717620849609375T", 0,
		  UINT64_MAX },
		{ "16777216.5T", -ERANGE, 0 },
		{ "16777215.5T", 0, 16777215ull * TiB + TiB / 2 },
		{ "16E", -ERANGE, 0 },			/* 2^64 */
		{ "16EiB", -ERANGE, 0 },
		{ "15E", 0, 15 * EiB },
		{ "15.9375E", 0, 15 * EiB + 15 * EiB / 16 },
		{ "16383P", 0, 16383 * PiB },
		{ "16384P", -ERANGE, 0 },		/* 2^64 */
		{ "18446744073709551615B", 0, UINT64_MAX },
		{ "18446744073709551616B", -ERANGE, 0 },
		/* decimal: 2^64 - 1 = 18446744073709551615 */
		{ "18EB", 0, 18 * EB },
		{ "19EB", -ERANGE, 0 },
		{ "18.446744073709551615EB", 0, UINT64_MAX },
		{ "18.446744073709551616EB", -ERANGE, 0 },
		{ "18446744073709551.615KB", 0, UINT64_MAX },
		{ "18446744073709552KB", -ERANGE, 0 },
		{ "18446744074GB", -ERANGE, 0 },
		{ "18446744073GB", 0, 18446744073ull * GB },
	};
	CHECK(c);
}

Test(parse_size, null_args)
{
	uint64_t v;

	cr_expect_eq(bdus_parse_size(NULL, &v), -EINVAL);
	cr_expect_eq(bdus_parse_size("1", NULL), -EINVAL);
}

/* ------------------------------------------------------------------------
 * busectl add
 */

static int add(struct buse_dev_info *info, char *err, size_t errlen, ...)
{
	struct busectl_owner owner;
	char *argv[32];
	int argc = 0;
	va_list ap;
	const char *s;

	argv[argc++] = (char *)"add";
	va_start(ap, errlen);
	while ((s = va_arg(ap, const char *)) && argc < 31)
		argv[argc++] = (char *)s;
	va_end(ap);
	argv[argc] = NULL;
	memset(info, 0xa5, sizeof(*info));
	memset(&owner, 0xa5, sizeof(owner));
	err[0] = '\0';
	return busectl_parse_add(argc, argv, info, &owner, err, errlen);
}

/* An add command line that must fail with a message containing `want`. */
#define ADD_FAILS(want, ...)                                                  \
	do {                                                                  \
		struct buse_dev_info i_;                                      \
		char e_[256];                                                 \
		int r_ = add(&i_, e_, sizeof(e_), __VA_ARGS__, NULL);         \
		cr_expect_eq(r_, -1, "add " #__VA_ARGS__ ": %d", r_);         \
		cr_expect(strstr(e_, want) != NULL,                           \
			  "add " #__VA_ARGS__ ": message '%s' lacks '%s'",    \
			  e_, want);                                          \
		cr_expect_eq(strncmp(e_, "add: ", 5), 0,                      \
			     "message '%s' lacks 'add: '", e_);               \
		cr_expect_null(strchr(e_, '\n'), "newline in '%s'", e_);      \
	} while (0)

Test(busectl_add, no_arguments)
{
	struct buse_dev_info info;
	char err[256];

	cr_assert_eq(add(&info, err, sizeof(err), NULL), 0, "%s", err);
	cr_expect_eq(info.index, BUSE_INDEX_ANY);
	cr_expect_eq(info.size, 0);
	cr_expect_eq(info.flags, 0);
	cr_expect_eq(info.logical_block_size, 0);
	cr_expect_eq(info.physical_block_size, 0);
	cr_expect_eq(info.nr_queues, 0);
	cr_expect_eq(info.queue_depth, 0);
	cr_expect_eq(info.max_io, 0);
	/* everything else zeroed too, not left as garbage */
	cr_expect_eq(info.state, 0);
	cr_expect_eq(info.server_pid, 0);
	cr_expect_eq(info.ops, 0);
	cr_expect_eq(info.timeout, 0);
	cr_expect_eq(info.owner_uid, 0);
	for (size_t i = 0; i < sizeof(info.reserved) / sizeof(info.reserved[0]); i++)
		cr_expect_eq(info.reserved[i], 0, "reserved[%zu]", i);
}

Test(busectl_add, index_only)
{
	struct buse_dev_info info;
	char err[256];

	cr_assert_eq(add(&info, err, sizeof(err), "1", NULL), 0, "%s", err);
	cr_expect_eq(info.index, 1);
	cr_expect_eq(info.size, 0);
	cr_assert_eq(add(&info, err, sizeof(err), "0", NULL), 0, "%s", err);
	cr_expect_eq(info.index, 0);
	cr_assert_eq(add(&info, err, sizeof(err), "65535", NULL), 0, "%s", err);
	cr_expect_eq(info.index, 65535);
}

Test(busectl_add, all_options)
{
	struct buse_dev_info info;
	char err[256];

	cr_assert_eq(add(&info, err, sizeof(err), "7", "--size", "1G",
			 "--logical-block-size", "4096",
			 "--physical-block-size", "4K", "--queues", "4",
			 "--depth", "64", "--max-io", "1M", "--read-only", NULL),
		     0, "%s", err);
	cr_expect_eq(info.index, 7);
	cr_expect_eq(info.size, GiB);
	cr_expect_eq(info.logical_block_size, 4096);
	cr_expect_eq(info.physical_block_size, 4096);
	cr_expect_eq(info.nr_queues, 4);
	cr_expect_eq(info.queue_depth, 64);
	cr_expect_eq(info.max_io, MiB);
	cr_expect_eq(info.flags, BUSE_DEV_F_READ_ONLY);
}

Test(busectl_add, equals_form_and_order)
{
	struct buse_dev_info info;
	char err[256];

	cr_assert_eq(add(&info, err, sizeof(err), "--size=256M", "--queues=2",
			 "3", "--depth=1", NULL), 0, "%s", err);
	cr_expect_eq(info.index, 3);
	cr_expect_eq(info.size, 256 * MiB);
	cr_expect_eq(info.nr_queues, 2);
	cr_expect_eq(info.queue_depth, 1);
	/* the last of a repeated option wins */
	cr_assert_eq(add(&info, err, sizeof(err), "--size", "1M", "--size",
			 "2M", NULL), 0, "%s", err);
	cr_expect_eq(info.size, 2 * MiB);
	/* "--" ends the options */
	cr_assert_eq(add(&info, err, sizeof(err), "--size", "1M", "--", "9",
			 NULL), 0, "%s", err);
	cr_expect_eq(info.index, 9);
}

/* util-linux's suffixes: GB is 10^9, G and GiB are 2^30. */
Test(busectl_add, decimal_and_binary_sizes)
{
	struct buse_dev_info info;
	char err[256];

	cr_assert_eq(add(&info, err, sizeof(err), "--size", "10GB", NULL), 0,
		     "%s", err);
	cr_expect_eq(info.size, 10 * GB);
	cr_assert_eq(add(&info, err, sizeof(err), "--size", "10GiB", NULL), 0,
		     "%s", err);
	cr_expect_eq(info.size, 10 * GiB);
	cr_assert_eq(add(&info, err, sizeof(err), "--size", "10g", NULL), 0,
		     "%s", err);
	cr_expect_eq(info.size, 10 * GiB);
	cr_assert_eq(add(&info, err, sizeof(err), "--size", "2TB", NULL), 0,
		     "%s", err);
	cr_expect_eq(info.size, 2 * TB);
	cr_assert_eq(add(&info, err, sizeof(err), "--size", "1P", NULL), 0,
		     "%s", err);
	cr_expect_eq(info.size, PiB);
	cr_assert_eq(add(&info, err, sizeof(err), "--size", "1E",
			 "--max-io", "256KiB", NULL), 0, "%s", err);
	cr_expect_eq(info.size, EiB);
	cr_expect_eq(info.max_io, 256 * KiB);
	/* 4KB is 4000: not a block size */
	ADD_FAILS("invalid logical block size '4KB'", "--logical-block-size",
		  "4KB");
	ADD_FAILS("invalid max I/O size '256KB'", "--max-io", "256KB");
}

Test(busectl_add, physical_defaults_to_logical)
{
	struct buse_dev_info info;
	char err[256];

	cr_assert_eq(add(&info, err, sizeof(err), "--logical-block-size",
			 "2048", NULL), 0, "%s", err);
	cr_expect_eq(info.logical_block_size, 2048);
	cr_expect_eq(info.physical_block_size, 2048);
	/* only physical: logical stays the default (512) */
	cr_assert_eq(add(&info, err, sizeof(err), "--physical-block-size",
			 "4096", NULL), 0, "%s", err);
	cr_expect_eq(info.logical_block_size, 0);
	cr_expect_eq(info.physical_block_size, 4096);
}

Test(busectl_add, limits_accepted)
{
	struct buse_dev_info info;
	char err[256];

	cr_assert_eq(add(&info, err, sizeof(err), "--queues", "64", "--depth",
			 "1024", "--max-io", "1M", NULL), 0, "%s", err);
	cr_expect_eq(info.nr_queues, 64);
	cr_expect_eq(info.queue_depth, 1024);
	/* 1024 * 1M == BUSE_MAX_QUEUE_BUFFERS exactly */
	cr_assert_eq(add(&info, err, sizeof(err), "--max-io", "4M", "--depth",
			 "256", NULL), 0, "%s", err);
	cr_expect_eq(info.max_io, 4 * MiB);
	cr_assert_eq(add(&info, err, sizeof(err), "--max-io", "4096", NULL), 0,
		     "%s", err);
	cr_expect_eq(info.max_io, 4096);
	cr_assert_eq(add(&info, err, sizeof(err), "--logical-block-size", "512",
			 "--physical-block-size", "1024", NULL), 0, "%s", err);
	cr_assert_eq(add(&info, err, sizeof(err), "--size", "1.5K", NULL), 0,
		     "%s", err);
	cr_expect_eq(info.size, 1536);
}

Test(busectl_add, help)
{
	struct buse_dev_info info;
	char err[256];

	cr_expect_eq(add(&info, err, sizeof(err), "--help", NULL), 1);
	cr_expect_eq(add(&info, err, sizeof(err), "-h", NULL), 1);
	/* help wins over other errors */
	cr_expect_eq(add(&info, err, sizeof(err), "--bogus", "--help", NULL), 1);
}

Test(busectl_add, bad_index)
{
	ADD_FAILS("invalid device index '65536'", "65536");
	ADD_FAILS("invalid device index 'abc'", "abc");
	ADD_FAILS("invalid device index '-1'", "-1");
	ADD_FAILS("invalid device index '1K'", "1K");
	ADD_FAILS("between 0 and 65535", "4294967295");
	ADD_FAILS("invalid device index ''", "");
	ADD_FAILS("unexpected argument '2'", "1", "2");
}

Test(busectl_add, bad_size)
{
	ADD_FAILS("invalid size '12Q'", "--size", "12Q");
	ADD_FAILS("invalid size ''", "--size", "");
	ADD_FAILS("invalid size '-1G'", "--size", "-1G");
	ADD_FAILS("invalid size '-1G'", "--size=-1G");
	ADD_FAILS("optional suffix K, M, G, T, P, E", "--size", "lots");
	ADD_FAILS("KB .. EB (powers of 1000)", "--size", "1KIB");
	ADD_FAILS("invalid size '1Z'", "--size", "1Z");
	ADD_FAILS("too large: more than 2^64 - 1 bytes", "--size",
		  "99999999999T");
	ADD_FAILS("size '16E' (--size) is too large", "--size", "16E");
	ADD_FAILS("size '19EB' (--size) is too large", "--size", "19EB");
	ADD_FAILS("not a multiple of the logical block size (512)",
		  "--size", "1000");
	ADD_FAILS("not a multiple of the logical block size (4096)",
		  "--size", "6K", "--logical-block-size", "4K");
	ADD_FAILS("'1.5K' (1536 bytes)", "--size", "1.5K",
		  "--logical-block-size", "1024");
}

Test(busectl_add, bad_block_sizes)
{
	ADD_FAILS("invalid logical block size '1000'", "--logical-block-size",
		  "1000");
	ADD_FAILS("power of two between 512 and 4096", "--logical-block-size",
		  "256");
	ADD_FAILS("invalid logical block size '8K'", "--logical-block-size",
		  "8K");
	ADD_FAILS("invalid logical block size '0'", "--logical-block-size", "0");
	ADD_FAILS("invalid physical block size '3072'",
		  "--physical-block-size", "3072");
	ADD_FAILS("invalid physical block size 'x'",
		  "--physical-block-size", "x");
	ADD_FAILS("physical block size (512) must not be smaller than the "
		  "logical block size (4096)",
		  "--logical-block-size", "4096", "--physical-block-size",
		  "512");
	/* physical smaller than the default logical is impossible: >= 512 */
}

Test(busectl_add, bad_queues_depth_max_io)
{
	ADD_FAILS("invalid number of queues '0'", "--queues", "0");
	ADD_FAILS("invalid number of queues '65'", "--queues", "65");
	ADD_FAILS("between 1 and 64", "--queues", "-1");
	ADD_FAILS("invalid number of queues '2K'", "--queues", "2K");
	ADD_FAILS("invalid queue depth '0'", "--depth", "0");
	ADD_FAILS("invalid queue depth '1025'", "--depth", "1025");
	ADD_FAILS("between 1 and 1024", "--depth", "99999999999999999999999");
	ADD_FAILS("invalid max I/O size '5000'", "--max-io", "5000");
	ADD_FAILS("multiple of 4096", "--max-io", "2048");
	ADD_FAILS("invalid max I/O size '8M'", "--max-io", "8M");
	ADD_FAILS("invalid max I/O size '0'", "--max-io", "0");
	ADD_FAILS("buffers per queue", "--depth", "1024", "--max-io", "4M");
	ADD_FAILS("buffers per queue", "--depth", "1024", "--max-io", "2M");
	/* default max-io (256K) * 1024 = 256M: fine; default depth 128 * 4M
	 * = 512M: fine; 8192 * 256K would be too but depth caps at 1024 */
}

Test(busectl_add, bad_options)
{
	ADD_FAILS("unknown option '--bogus'", "--bogus");
	ADD_FAILS("try 'busectl add --help'", "--bogus");
	ADD_FAILS("unknown option '-s'", "-s", "1G");
	ADD_FAILS("unknown option '--json'", "--json");
	ADD_FAILS("option '--size' requires a value", "--size");
	ADD_FAILS("option '--max-io' requires a value", "1", "--max-io");
	ADD_FAILS("option '--read-only' takes no value", "--read-only=yes");
	ADD_FAILS("unknown option '--siz'", "--siz", "1G");	/* no prefixes */
}

/* ------------------------------------------------------------------------
 * busectl: whole command lines
 */

static int parse(struct busectl_args *a, char *err, size_t errlen, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	const char *s;

	argv[argc++] = (char *)"busectl";
	va_start(ap, errlen);
	while ((s = va_arg(ap, const char *)) && argc < 31)
		argv[argc++] = (char *)s;
	va_end(ap);
	argv[argc] = NULL;
	return busectl_parse(argc, argv, a, err, errlen);
}

#define PARSE_OK(a, ...)                                                      \
	do {                                                                  \
		char e_[256];                                                 \
		int r_ = parse(a, e_, sizeof(e_), __VA_ARGS__, NULL);         \
		cr_assert_eq(r_, 0, #__VA_ARGS__ ": %s", e_);                 \
	} while (0)

#define PARSE_FAILS(want, ...)                                                \
	do {                                                                  \
		struct busectl_args a_;                                       \
		char e_[256];                                                 \
		int r_ = parse(&a_, e_, sizeof(e_), __VA_ARGS__, NULL);       \
		cr_expect_eq(r_, -1, #__VA_ARGS__ ": %d", r_);                \
		cr_expect(strstr(e_, want) != NULL,                           \
			  #__VA_ARGS__ ": message '%s' lacks '%s'", e_,       \
			  want);                                              \
	} while (0)

Test(busectl_parse, commands)
{
	struct busectl_args a;

	PARSE_OK(&a, "list");
	cr_expect_eq(a.cmd, BUSECTL_CMD_LIST);
	cr_expect_not(a.json);
	cr_expect_not(a.help);
	PARSE_OK(&a, "list", "--json");
	cr_expect_eq(a.cmd, BUSECTL_CMD_LIST);
	cr_expect(a.json);
	PARSE_OK(&a, "info", "12");
	cr_expect_eq(a.cmd, BUSECTL_CMD_INFO);
	cr_expect_eq(a.index, 12);
	cr_expect_not(a.json);
	PARSE_OK(&a, "info", "--json", "3");
	cr_expect_eq(a.index, 3);
	cr_expect(a.json);
	PARSE_OK(&a, "remove", "65535");
	cr_expect_eq(a.cmd, BUSECTL_CMD_REMOVE);
	cr_expect_eq(a.index, 65535);
	cr_expect_not(a.force);
	PARSE_OK(&a, "remove", "--force", "2");
	cr_expect_eq(a.index, 2);
	cr_expect(a.force);
	PARSE_OK(&a, "version");
	cr_expect_eq(a.cmd, BUSECTL_CMD_VERSION);
	PARSE_OK(&a, "version", "--json");
	cr_expect(a.json);
	PARSE_OK(&a, "add", "5", "--size", "1G");
	cr_expect_eq(a.cmd, BUSECTL_CMD_ADD);
	cr_expect_eq(a.index, 5);
	cr_expect_eq(a.info.index, 5);
	cr_expect_eq(a.info.size, GiB);
	PARSE_OK(&a, "add");
	cr_expect_eq(a.info.index, BUSE_INDEX_ANY);
}

Test(busectl_parse, help)
{
	struct busectl_args a;

	PARSE_OK(&a, "--help");
	cr_expect(a.help);
	cr_expect_eq(a.cmd, BUSECTL_CMD_NONE);
	PARSE_OK(&a, "-h");
	cr_expect(a.help);
	PARSE_OK(&a, "help");
	cr_expect(a.help);
	cr_expect_eq(a.cmd, BUSECTL_CMD_NONE);
	PARSE_OK(&a, "help", "add");
	cr_expect(a.help);
	cr_expect_eq(a.cmd, BUSECTL_CMD_ADD);
	PARSE_OK(&a, "remove", "--help");
	cr_expect(a.help);
	cr_expect_eq(a.cmd, BUSECTL_CMD_REMOVE);
	PARSE_OK(&a, "info", "-h");
	cr_expect(a.help);
	cr_expect_eq(a.cmd, BUSECTL_CMD_INFO);
	PARSE_OK(&a, "add", "--size", "junk", "--help");
	cr_expect(a.help);
	cr_expect_eq(a.cmd, BUSECTL_CMD_ADD);
	/* every command has its own usage, naming it */
	for (int c = BUSECTL_CMD_ADD; c <= BUSECTL_CMD_VERSION; c++) {
		char want[64];

		snprintf(want, sizeof(want), "Usage: busectl %s",
			 busectl_cmd_name((enum busectl_cmd)c));
		cr_expect(strstr(busectl_usage((enum busectl_cmd)c), want),
			  "usage of %d lacks '%s'", c, want);
	}
	cr_expect(strstr(busectl_usage(BUSECTL_CMD_NONE), "Commands:"));
}

Test(busectl_parse, errors)
{
	PARSE_FAILS("missing command", NULL);
	PARSE_FAILS("unknown command 'frob'", "frob");
	PARSE_FAILS("unknown option '--frob'", "--frob");
	PARSE_FAILS("help: unknown command 'nope'", "help", "nope");
	PARSE_FAILS("remove: missing device index", "remove");
	PARSE_FAILS("info: missing device index", "info", "--json");
	PARSE_FAILS("remove: invalid device index 'x'", "remove", "x");
	PARSE_FAILS("info: invalid device index '70000'", "info", "70000");
	PARSE_FAILS("remove: unexpected argument '2'", "remove", "1", "2");
	PARSE_FAILS("remove: unknown option '--json'", "remove", "1", "--json");
	PARSE_FAILS("list: unexpected argument '1'", "list", "1");
	PARSE_FAILS("list: unknown option '--all'", "list", "--all");
	PARSE_FAILS("info: unknown option '--force'", "info", "1", "--force");
	PARSE_FAILS("remove: option '--force' takes no value", "remove", "1",
		    "--force=yes");
	PARSE_FAILS("version: unexpected argument 'x'", "version", "x");
	PARSE_FAILS("info: option '--json' takes no value", "info", "1",
		    "--json=1");
	PARSE_FAILS("add: invalid size", "add", "--size", "x");
}

Test(busectl_parse, index)
{
	uint32_t v = 42;

	cr_expect_eq(busectl_parse_index("0", &v), 0);
	cr_expect_eq(v, 0);
	cr_expect_eq(busectl_parse_index("65535", &v), 0);
	cr_expect_eq(v, 65535);
	cr_expect_eq(busectl_parse_index("007", &v), 0);
	cr_expect_eq(v, 7);
	v = 42;
	cr_expect_eq(busectl_parse_index("65536", &v), -1);
	cr_expect_eq(busectl_parse_index("", &v), -1);
	cr_expect_eq(busectl_parse_index("+1", &v), -1);
	cr_expect_eq(busectl_parse_index("1 ", &v), -1);
	cr_expect_eq(busectl_parse_index("0x10", &v), -1);
	cr_expect_eq(busectl_parse_index("99999999999999999999999", &v), -1);
	cr_expect_eq(busectl_parse_index(NULL, &v), -1);
	cr_expect_eq(v, 42);
}

/* ------------------------------------------------------------------------
 * Formatting
 */

Test(busectl_format, size)
{
	static const struct {
		uint64_t v;
		const char *s;
	} c[] = {
		{ 0, "0" },
		{ 512, "512B" },
		{ 1023, "1023B" },
		{ KiB, "1K" },
		{ 4 * KiB, "4K" },
		{ 1536, "1.5K" },
		{ 256 * MiB, "256M" },
		{ 1536 * MiB, "1.5G" },
		{ GiB, "1G" },
		{ GiB + 512, "1.0G" },
		{ 2 * GiB - 512, "2.0G" },	/* rounds up */
		{ 1023 * MiB, "1023M" },
		{ TiB, "1T" },
		{ 2048 * TiB, "2048T" },
		{ UINT64_MAX, "16777216.0T" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		cr_expect_str_eq(busectl_format_size(c[i].v, buf, sizeof(buf)),
				 c[i].s, "%llu", (unsigned long long)c[i].v);
	/* truncation is safe */
	cr_expect_str_eq(busectl_format_size(256 * MiB, buf, 3), "25");
}

Test(busectl_format, state_and_ops)
{
	char buf[128];

	cr_expect_str_eq(busectl_state_name(BUSE_STATE_IDLE), "idle");
	cr_expect_str_eq(busectl_state_name(BUSE_STATE_RUNNING), "running");
	cr_expect_str_eq(busectl_state_name(BUSE_STATE_REMOVING), "removing");
	cr_expect_str_eq(busectl_state_name(BUSE_STATE_RECOVERING),
			 "recovering");
	cr_expect_str_eq(busectl_state_name(77), "unknown");

	cr_expect_str_eq(busectl_format_ops(0, buf, sizeof(buf)), "-");
	cr_expect_str_eq(busectl_format_ops(BUSE_OPS_REQUIRED, buf, sizeof(buf)),
			 "read,write");
	cr_expect_str_eq(busectl_format_ops(BUSE_OPS_REQUIRED |
					    BUSE_OP_BIT(BUSE_OP_FLUSH),
					    buf, sizeof(buf)),
			 "read,write,flush");
	cr_expect_str_eq(busectl_format_ops(BUSE_OPS_ALL | BUSE_OPS_FUA, buf,
					    sizeof(buf)),
			 "read,write,flush,discard,write_zeroes,secure_erase,fua");
	/* unknown bits are not printed */
	cr_expect_str_eq(busectl_format_ops(1u << 20, buf, sizeof(buf)), "-");
	/* truncation is safe: cut like snprintf, always terminated */
	memset(buf, 'x', sizeof(buf));
	cr_expect_str_eq(busectl_format_ops(BUSE_OPS_ALL, buf, 8), "read,wr");
	cr_expect_eq(buf[8], 'x', "wrote past the given length");
}

Test(busectl_format, dev_flags)
{
	char buf[128];

	cr_expect_str_eq(busectl_format_dev_flags(0, buf, sizeof(buf)), "-");
	cr_expect_str_eq(busectl_format_dev_flags(BUSE_DEV_F_READ_ONLY, buf,
						  sizeof(buf)), "read_only");
	cr_expect_str_eq(busectl_format_dev_flags(BUSE_DEV_F_ALL, buf,
						  sizeof(buf)),
			 "read_only,rotational,no_write_cache,no_partscan,"
			 "recoverable,owner,partscan");
	cr_expect_str_eq(busectl_format_dev_flags(1u << 30, buf, sizeof(buf)),
			 "-");
}

static struct buse_dev_info sample_dev(void)
{
	struct buse_dev_info d;

	memset(&d, 0, sizeof(d));
	d.index = 3;
	d.size = 256 * MiB;
	d.logical_block_size = 512;
	d.physical_block_size = 4096;
	d.nr_queues = 2;
	d.queue_depth = 128;
	d.max_io = 256 * 1024;
	d.state = BUSE_STATE_RUNNING;
	d.server_pid = 4242;
	d.ops = BUSE_OPS_REQUIRED | BUSE_OP_BIT(BUSE_OP_FLUSH);
	d.flags = BUSE_DEV_F_READ_ONLY | BUSE_DEV_F_ROTATIONAL |
		  BUSE_DEV_F_OWNER;
	d.io_min = 4096;
	d.discard_granularity = 512;
	d.max_discard = 1 << 20;
	d.max_write_zeroes = 2 << 20;
	d.timeout = 30;
	d.owner_uid = 1000;
	d.owner_gid = 100;
	memcpy(d.serial, "disk-3", 6);
	return d;
}

/* Run a printer into a string (caller frees). */
#define CAPTURE(out, call)                                                    \
	do {                                                                  \
		size_t len_;                                                  \
		FILE *f_ = open_memstream(&(out), &len_);                     \
		cr_assert_not_null(f_);                                       \
		call;                                                         \
		fclose(f_);                                                   \
	} while (0)

Test(busectl_format, info_text)
{
	struct buse_dev_info d = sample_dev();
	char *s = NULL;

	CAPTURE(s, busectl_print_info(f_, &d));
	cr_expect_str_eq(s,
			 "index: 3\n"
			 "path: /dev/buse3\n"
			 "char_path: /dev/busec3\n"
			 "size: 268435456\n"
			 "size_human: 256M\n"
			 "state: running\n"
			 "server_pid: 4242\n"
			 "nr_queues: 2\n" "nr_poll_queues: 0\n"
			 "queue_depth: 128\n"
			 "max_io: 262144\n"
			 "logical_block_size: 512\n"
			 "physical_block_size: 4096\n"
			 "read_only: true\n"
			 "ops: read,write,flush\n"
			 "flags: read_only,rotational,owner\n"
			 "io_min: 4096\n"
			 "io_opt: 0\n"
			 "discard_granularity: 512\n"
			 "max_discard: 1048576\n"
			 "max_write_zeroes: 2097152\n"
			 "timeout: 30\n"
			 "recovery_timeout: 0\n"
			 "owner: 1000:100\n"
			 "serial: disk-3\n");
	free(s);

	d.server_pid = 0;
	d.state = BUSE_STATE_IDLE;
	d.ops = 0;
	d.flags = 0;
	CAPTURE(s, busectl_print_info(f_, &d));
	cr_expect(strstr(s, "server_pid: -\n"), "%s", s);
	cr_expect(strstr(s, "state: idle\n"), "%s", s);
	cr_expect(strstr(s, "read_only: false\n"), "%s", s);
	cr_expect(strstr(s, "ops: -\n"), "%s", s);
	cr_expect(strstr(s, "flags: -\n"), "%s", s);
	cr_expect(strstr(s, "owner: -\n"), "%s", s);
	free(s);

	memset(d.serial, 0, sizeof(d.serial));
	CAPTURE(s, busectl_print_info(f_, &d));
	cr_expect(strstr(s, "serial: -\n"), "%s", s);
	free(s);

	d.state = 9;
	CAPTURE(s, busectl_print_info(f_, &d));
	cr_expect(strstr(s, "state: unknown(9)\n"), "%s", s);
	free(s);
}

Test(busectl_format, info_json)
{
	struct buse_dev_info d = sample_dev();
	char *s = NULL;

	CAPTURE(s, busectl_print_info_json(f_, &d, ""));
	cr_expect_str_eq(s,
			 "{\n"
			 "  \"index\": 3,\n"
			 "  \"path\": \"/dev/buse3\",\n"
			 "  \"char_path\": \"/dev/busec3\",\n"
			 "  \"size\": 268435456,\n"
			 "  \"state\": \"running\",\n"
			 "  \"server_pid\": 4242,\n"
			 "  \"nr_queues\": 2,\n" "  \"nr_poll_queues\": 0,\n"
			 "  \"queue_depth\": 128,\n"
			 "  \"max_io\": 262144,\n"
			 "  \"logical_block_size\": 512,\n"
			 "  \"physical_block_size\": 4096,\n"
			 "  \"read_only\": true,\n"
			 "  \"ops\": 7,\n"
			 "  \"op_names\": [\"read\", \"write\", \"flush\"],\n"
			 "  \"flags\": 35,\n"
			 "  \"flag_names\": [\"read_only\", \"rotational\", \"owner\"],\n"
			 "  \"io_min\": 4096,\n"
			 "  \"io_opt\": 0,\n"
			 "  \"discard_granularity\": 512,\n"
			 "  \"max_discard\": 1048576,\n"
			 "  \"max_write_zeroes\": 2097152,\n"
			 "  \"timeout\": 30,\n"
			 "  \"recovery_timeout\": 0,\n"
			 "  \"serial\": \"disk-3\",\n"
			 "  \"owner_uid\": 1000,\n"
			 "  \"owner_gid\": 100\n"
			 "}");
	free(s);

	d.server_pid = 0;
	d.ops = 0;
	d.flags = 0;
	CAPTURE(s, busectl_print_info_json(f_, &d, "  "));
	cr_expect(strstr(s, "  {\n    \"index\": 3,\n"), "%s", s);
	cr_expect(strstr(s, "\"server_pid\": 0,"), "%s", s);
	cr_expect(strstr(s, "\"read_only\": false,"), "%s", s);
	cr_expect(strstr(s, "\"op_names\": [],\n"), "%s", s);
	cr_expect(strstr(s, "\"flag_names\": [],\n"), "%s", s);
	cr_expect(strstr(s, "\"owner_gid\": null\n  }"), "%s", s);
	free(s);
}

Test(busectl_format, list_rows)
{
	struct buse_dev_info d = sample_dev();
	char *s = NULL;

	CAPTURE(s, busectl_print_list_header(f_));
	cr_expect_str_eq(s, "INDEX      SIZE STATE           PID QUEUES  DEPTH   LBS\n");
	free(s);
	CAPTURE(s, busectl_print_list_row(f_, &d));
	cr_expect_str_eq(s, "3          256M running        4242      2    128   512\n");
	free(s);
	d.server_pid = 0;
	d.state = BUSE_STATE_IDLE;
	d.size = 0;
	CAPTURE(s, busectl_print_list_row(f_, &d));
	cr_expect_str_eq(s, "3             0 idle              -      2    128   512\n");
	free(s);
}

Test(busectl_format, version)
{
	struct buse_version v;
	char *s = NULL;

	memset(&v, 0, sizeof(v));
	v.abi_version = 1;
	v.features = BUSE_FEAT_ALL;
	v.max_queues = 2;
	v.max_depth = 1024;
	v.max_io = 4 << 20;
	v.max_index = 65535;
	CAPTURE(s, busectl_print_version(f_, &v));
	cr_expect(strstr(s, "abi_version: 1\n"), "%s", s);
	cr_expect(strstr(s, "features: 0x3 (ring,size_by_server)\n"), "%s", s);
	cr_expect(strstr(s, "max_queues: 2\n"), "%s", s);
	cr_expect(strstr(s, "max_io: 4194304\n"), "%s", s);
	free(s);

	v.features = 1ull << 40 | BUSE_FEAT_RING;
	CAPTURE(s, busectl_print_version_json(f_, &v));
	cr_expect(strstr(s, "\"features\": 1099511627777,\n"), "%s", s);
	cr_expect(strstr(s, "\"feature_names\": [\"ring\", \"0x10000000000\"],"),
		  "%s", s);
	cr_expect(strstr(s, "\"max_index\": 65535,\n"), "%s", s);
	free(s);
	v.features = 0;
	CAPTURE(s, busectl_print_version(f_, &v));
	cr_expect(strstr(s, "features: 0x0 (-)\n"), "%s", s);
	free(s);
}
