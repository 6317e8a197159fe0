// SPDX-License-Identifier: MIT
/*
 * test_parse_size.c - bdus_parse_size(): sizes with util-linux suffixes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "bdus_ctl.h"
#include "units.h"

/* ------------------------------------------------------------------------
 * bdus_parse_size
 */

struct size_case {
	const char *s;
	int ret;
	uint64_t val;
};

static void check_sizes(const struct size_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 0xdeadbeefull;
		int ret = bdus_parse_size(c[i].s, &v);

		cr_expect_eq(ret, c[i].ret,
			     "parse_size(\"%s\") = %d, expected %d", c[i].s,
			     ret, c[i].ret);
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
	/* clang-format off */
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
	/* clang-format on */
	CHECK(c);
}

/* A bare letter and "iB" are powers of 1024, as util-linux reads them. */
Test(parse_size, binary_suffixes)
{
	/* clang-format off */
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
	/* clang-format on */
	CHECK(c);
}

/* "B" after the letter: powers of 1000 ("10GB" used to be 10 GiB). */
Test(parse_size, decimal_suffixes)
{
	/* clang-format off */
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
	/* clang-format on */
	CHECK(c);
}

/*
 * As util-linux: the letter in either case, "B" or "b", but the "i" of
 * "iB" lower-case only.
 */
Test(parse_size, case_insensitive)
{
	/* clang-format off */
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
	/* clang-format on */
	CHECK(c);
}

Test(parse_size, fractions)
{
	/* clang-format off */
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
	/* clang-format on */
	CHECK(c);
}

Test(parse_size, junk)
{
	/* clang-format off */
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
	/* clang-format on */
	CHECK(c);
}

Test(parse_size, signs_and_whitespace)
{
	/* clang-format off */
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
	/* clang-format on */
	CHECK(c);
}

Test(parse_size, overflow)
{
	/* clang-format off */
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
	/* clang-format on */
	CHECK(c);
}

Test(parse_size, null_args)
{
	uint64_t v;

	cr_expect_eq(bdus_parse_size(NULL, &v), -EINVAL);
	cr_expect_eq(bdus_parse_size("1", NULL), -EINVAL);
}
