// SPDX-License-Identifier: MIT
/*
 * parse.c - bdus_parse_size().  See bdus_ctl.h for the syntax: the
 * suffixes are read as util-linux reads them (lib/strutils.c,
 * ul_parse_size()): K, M, G, T, P, E and KiB .. EiB are powers of 1024,
 * KB .. EB powers of 1000.
 */
#include <errno.h>
#include <stdint.h>

#include "bdus_ctl.h"

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char to_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* The power of the unit named by c (k = 1, m = 2, ... e = 6), or -1. */
static int unit_power(char c)
{
	static const char units[] = "kmgtpe";
	int i;

	for (i = 0; units[i]; i++)
		if (to_lower(c) == units[i])
			return i + 1;
	return -1;
}

int bdus_parse_size(const char *s, uint64_t *out)
{
	const char *p, *int_start, *int_end, *frac_start = NULL,
					     *frac_end = NULL;
	uint64_t mult = 1, value = 0, frac = 0;
	unsigned base = 1024;
	int power = 0, i;

	if (!s || !out)
		return -EINVAL;

	/* Syntax first, so that junk is -EINVAL even if the number is huge. */
	p = int_start = s;
	while (is_digit(*p))
		p++;
	int_end = p;
	if (int_end == int_start)
		return -EINVAL; /* empty, sign, space, '.5', junk */
	if (*p == '.') {
		frac_start = ++p;
		while (is_digit(*p))
			p++;
		frac_end = p;
		if (frac_end == frac_start)
			return -EINVAL; /* "1." */
	}
	if (*p) {
		power = unit_power(*p);
		if (power > 0) {
			/* As util-linux: "iB" with a lower-case i, B or b. */
			p++;
			if (p[0] == 'i' && to_lower(p[1]) == 'b')
				p += 2; /* KiB: 1024 */
			else if (to_lower(p[0]) == 'b') {
				base = 1000; /* KB: 1000 */
				p++;
			}
		} else if (to_lower(*p) == 'b') {
			power = 0; /* "512B": bytes */
			p++;
		} else {
			return -EINVAL;
		}
		if (*p)
			return -EINVAL; /* trailing junk */
	}
	/* base^power <= 1024^6 = 2^60: fits. */
	for (i = 0; i < power; i++)
		mult *= base;

	/* Integer part. */
	for (p = int_start; p < int_end; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (value > (UINT64_MAX - d) / 10)
			return -ERANGE;
		value = value * 10 + d;
	}
	if (value > UINT64_MAX / mult)
		return -ERANGE;
	value *= mult;

	/*
	 * Fractional part, exactly: frac = 0.d1 d2 .. dn * mult.  Going from
	 * the last digit to the first, x_i = (d_i * mult + x_{i+1}) / 10 is
	 * 0.d_i .. dn * mult.  If the total is a whole number so is every
	 * x_i (x_{i+1} = 10 * x_i - d_i * mult), so a remainder at any step
	 * means the size is not a whole number of bytes.  x_i < mult <= 2^60,
	 * so d_i * mult + x_{i+1} < 10 * 2^60 < 2^64: no overflow.
	 */
	if (frac_start) {
		for (p = frac_end; p > frac_start; p--) {
			uint64_t t = (uint64_t)(p[-1] - '0') * mult + frac;

			if (t % 10)
				return -EINVAL;
			frac = t / 10;
		}
		if (value > UINT64_MAX - frac)
			return -ERANGE;
		value += frac;
	}

	*out = value;
	return 0;
}
