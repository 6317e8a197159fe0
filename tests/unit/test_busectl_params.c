// SPDX-License-Identifier: MIT
/*
 * test_busectl_params.c - "busectl add" options for the device parameters
 * beyond the geometry (ctl/busectl_parse.c): I/O hints and limits, flags,
 * timeouts, recovery and ownership.  Good values, every bad value with
 * its message, and the combinations that are checked.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "busectl_test.h"

/* 4G - 512 and 4G - 4096: the largest DISCARD / WRITE_ZEROES. */
#define MAX_NODATA_512 4294966784u
#define MAX_NODATA_4K 4294963200u

/* An add command line that must succeed; leaves the result in info_. */
#define ADD_OK(...)                                                           \
	do {                                                                  \
		char e_[256];                                                 \
		int r_ = add(&info_, e_, sizeof(e_), __VA_ARGS__, NULL);      \
		cr_assert_eq(r_, 0, "add " #__VA_ARGS__ ": %d '%s'", r_, e_); \
	} while (0)

/* ------------------------------------------------------------------------
 * Defaults and flags
 */

Test(busectl_params, defaults_are_zero)
{
	struct buse_dev_info info_;

	ADD_OK("--size", "1G");
	cr_expect_eq(info_.flags, 0);
	cr_expect_eq(info_.io_min, 0);
	cr_expect_eq(info_.io_opt, 0);
	cr_expect_eq(info_.max_discard, 0);
	cr_expect_eq(info_.max_write_zeroes, 0);
	cr_expect_eq(info_.discard_granularity, 0);
	cr_expect_eq(info_.timeout, 0);
	cr_expect_eq(info_.recovery_timeout, 0);
	cr_expect_eq(info_.owner_uid, 0);
	cr_expect_eq(info_.owner_gid, 0);
	cr_expect_eq(info_.__pad2, 0);
	cr_expect_not(last_owner.set);
	cr_expect_not(last_owner.has_group);
}

Test(busectl_params, flags)
{
	struct buse_dev_info info_;

	ADD_OK("--rotational");
	cr_expect_eq(info_.flags, BUSE_DEV_F_ROTATIONAL);
	ADD_OK("--no-write-cache");
	cr_expect_eq(info_.flags, BUSE_DEV_F_NO_WRITE_CACHE);
	ADD_OK("--no-partscan");
	cr_expect_eq(info_.flags, BUSE_DEV_F_NO_PARTSCAN);
	ADD_OK("--recoverable");
	cr_expect_eq(info_.flags, BUSE_DEV_F_RECOVERABLE);
	cr_expect_eq(info_.recovery_timeout, 0);
	ADD_OK("--owner", "0", "--partscan");
	cr_expect_eq(info_.flags, BUSE_DEV_F_OWNER | BUSE_DEV_F_PARTSCAN);
	ADD_OK("--read-only", "--rotational", "--no-write-cache",
	       "--no-partscan", "--recoverable", "--owner", "0", "--partscan");
	cr_expect_eq(info_.flags, BUSE_DEV_F_ALL);
	/* repeating a flag is harmless */
	ADD_OK("--rotational", "--rotational");
	cr_expect_eq(info_.flags, BUSE_DEV_F_ROTATIONAL);
}

Test(busectl_params, serial)
{
	struct buse_dev_info info_;
	static const uint8_t none[16];
	uint8_t want[16] = "data.01-A_b:9";

	ADD_OK("--size", "1M");
	cr_expect_arr_eq(info_.serial, none, sizeof(none),
			 "no --serial: zeros");
	ADD_OK("--serial", "data.01-A_b:9");
	cr_expect_arr_eq(info_.serial, want, sizeof(want));
	ADD_OK("--serial", "abcdefghijklmno"); /* 15: the most */
	cr_expect_eq(info_.serial[14], 'o');
	cr_expect_eq(info_.serial[15], 0);
	ADD_FAILS("invalid serial 'abcdefghijklmnop' (--serial)", "--serial",
		  "abcdefghijklmnop");
	ADD_FAILS("invalid serial '' (--serial)", "--serial", "");
	ADD_FAILS("invalid serial 'a b' (--serial)", "--serial", "a b");
	ADD_FAILS("invalid serial 'a/b' (--serial)", "--serial", "a/b");
	ADD_FAILS("invalid serial '\"x\"' (--serial)", "--serial", "\"x\"");
}

Test(busectl_params, flags_take_no_value)
{
	ADD_FAILS("option '--rotational' takes no value", "--rotational=1");
	ADD_FAILS("option '--no-write-cache' takes no value",
		  "--no-write-cache=yes");
	ADD_FAILS("option '--no-partscan' takes no value", "--no-partscan=");
	ADD_FAILS("option '--recoverable' takes no value", "--recoverable=0");
	/* no abbreviations or negations */
	ADD_FAILS("unknown option '--rotate'", "--rotate");
	ADD_FAILS("unknown option '--write-cache'", "--write-cache");
	ADD_FAILS("unknown option '--no-rotational'", "--no-rotational");
}

Test(busectl_params, options_require_values)
{
	static const char *const opts[] = {
		"--io-min",
		"--io-opt",
		"--max-discard",
		"--max-write-zeroes",
		"--discard-granularity",
		"--timeout",
		"--recovery-timeout",
		"--owner",
	};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "option '%s' requires a value",
			 opts[i]);
		ADD_FAILS(want, opts[i]);
		ADD_FAILS(want, "--recoverable", opts[i]);
	}
}

/* ------------------------------------------------------------------------
 * --io-min, --io-opt
 */

Test(busectl_params, io_min_good)
{
	struct buse_dev_info info_;

	ADD_OK("--io-min", "4K");
	cr_expect_eq(info_.io_min, 4096);
	ADD_OK("--io-min", "512");
	cr_expect_eq(info_.io_min, 512);
	ADD_OK("--io-min=1536"); /* a multiple, not a power of 2 */
	cr_expect_eq(info_.io_min, 1536);
	ADD_OK("--io-min", "1G");
	cr_expect_eq(info_.io_min, GiB);
	ADD_OK("--io-min", "8K", "--logical-block-size", "4K");
	cr_expect_eq(info_.io_min, 8192);
	/* the last one wins */
	ADD_OK("--io-min", "1M", "--io-min", "64K");
	cr_expect_eq(info_.io_min, 64 * KiB);
}

Test(busectl_params, io_min_bad)
{
	ADD_FAILS("invalid minimum I/O size '1000' (--io-min): must be a "
		  "multiple of the logical block size (512) between 512 and "
		  "1073741824 (1G)",
		  "--io-min", "1000");
	ADD_FAILS("invalid minimum I/O size '0' (--io-min)", "--io-min", "0");
	ADD_FAILS("invalid minimum I/O size '2G' (--io-min)", "--io-min", "2G");
	ADD_FAILS("invalid minimum I/O size '1048577K'", "--io-min",
		  "1048577K"); /* 1G + 1K */
	/* checked against the logical block size, wherever it is given */
	ADD_FAILS("invalid minimum I/O size '1K' (--io-min): must be a "
		  "multiple of the logical block size (4096) between 4096",
		  "--io-min", "1K", "--logical-block-size", "4K");
	ADD_FAILS("logical block size (4096)", "--logical-block-size", "4096",
		  "--io-min", "6K");
	/* syntax */
	ADD_FAILS("invalid minimum I/O size 'x' (--io-min): expected a number",
		  "--io-min", "x");
	ADD_FAILS("invalid minimum I/O size '-4K'", "--io-min=-4K");
	ADD_FAILS("minimum I/O size '99999999999T' (--io-min) is too large",
		  "--io-min", "99999999999T");
	ADD_FAILS("invalid minimum I/O size '8Z'", "--io-min", "8Z");
	ADD_FAILS("invalid minimum I/O size '8E' (--io-min): must be a "
		  "multiple",
		  "--io-min", "8E");
}

Test(busectl_params, io_opt_good)
{
	struct buse_dev_info info_;

	ADD_OK("--io-opt", "1M");
	cr_expect_eq(info_.io_opt, MiB);
	ADD_OK("--io-opt", "0"); /* explicit "none" */
	cr_expect_eq(info_.io_opt, 0);
	ADD_OK("--io-opt", "1G");
	cr_expect_eq(info_.io_opt, GiB);
	ADD_OK("--io-opt", "12K", "--logical-block-size", "4K");
	cr_expect_eq(info_.io_opt, 12 * KiB);
	ADD_OK("--io-min", "4K", "--io-opt", "128K");
	cr_expect_eq(info_.io_min, 4096);
	cr_expect_eq(info_.io_opt, 128 * KiB);
}

Test(busectl_params, io_opt_bad)
{
	ADD_FAILS("invalid optimal I/O size '1000' (--io-opt): must be a "
		  "multiple of the logical block size (512) up to 1073741824 "
		  "(1G)",
		  "--io-opt", "1000");
	ADD_FAILS("invalid optimal I/O size '2G'", "--io-opt", "2G");
	ADD_FAILS("invalid optimal I/O size '2K' (--io-opt): must be a "
		  "multiple of the logical block size (4096)",
		  "--io-opt", "2K", "--logical-block-size", "4096");
	ADD_FAILS("invalid optimal I/O size 'lots'", "--io-opt", "lots");
	ADD_FAILS("invalid optimal I/O size ''", "--io-opt", "");
}

/* ------------------------------------------------------------------------
 * --max-discard, --max-write-zeroes
 */

Test(busectl_params, max_discard_good)
{
	struct buse_dev_info info_;

	ADD_OK("--max-discard", "512");
	cr_expect_eq(info_.max_discard, 512);
	ADD_OK("--max-discard", "1M");
	cr_expect_eq(info_.max_discard, MiB);
	ADD_OK("--max-discard", "3G");
	cr_expect_eq(info_.max_discard, 3 * GiB);
	ADD_OK("--max-discard", "4294966784"); /* 4G - 512 */
	cr_expect_eq(info_.max_discard, MAX_NODATA_512);
	ADD_OK("--max-discard", "4294963200", "--logical-block-size", "4K");
	cr_expect_eq(info_.max_discard, MAX_NODATA_4K);
	ADD_OK("--max-discard", "1.5K");
	cr_expect_eq(info_.max_discard, 1536);
}

Test(busectl_params, max_discard_bad)
{
	ADD_FAILS("invalid max discard size '4G' (--max-discard): must be a "
		  "multiple of the logical block size (512) between 512 and "
		  "4294966784 (4G - 512)",
		  "--max-discard", "4G");
	ADD_FAILS("invalid max discard size '0' (--max-discard)",
		  "--max-discard", "0");
	ADD_FAILS("invalid max discard size '1000'", "--max-discard", "1000");
	ADD_FAILS("invalid max discard size '1T'", "--max-discard", "1T");
	/* 4G - 512 is not a multiple of 4096: the maximum is 4G - 4096 */
	ADD_FAILS("invalid max discard size '4294966784' (--max-discard): "
		  "must be a multiple of the logical block size (4096) between "
		  "4096 and 4294963200 (4G - 4096)",
		  "--max-discard", "4294966784", "--logical-block-size", "4K");
	ADD_FAILS("logical block size (2048) between 2048 and 4294965248 "
		  "(4G - 2048)",
		  "--logical-block-size", "2K", "--max-discard", "1K");
	ADD_FAILS("invalid max discard size 'all'", "--max-discard", "all");
	ADD_FAILS("max discard size '99999999999T' (--max-discard) is too "
		  "large",
		  "--max-discard", "99999999999T");
}

Test(busectl_params, max_write_zeroes_good)
{
	struct buse_dev_info info_;

	ADD_OK("--max-write-zeroes", "512");
	cr_expect_eq(info_.max_write_zeroes, 512);
	ADD_OK("--max-write-zeroes", "64M");
	cr_expect_eq(info_.max_write_zeroes, 64 * MiB);
	ADD_OK("--max-write-zeroes=4294966784");
	cr_expect_eq(info_.max_write_zeroes, MAX_NODATA_512);
	ADD_OK("--max-write-zeroes", "4294963200", "--logical-block-size",
	       "4096");
	cr_expect_eq(info_.max_write_zeroes, MAX_NODATA_4K);
	/* independent of --max-discard */
	ADD_OK("--max-discard", "1M", "--max-write-zeroes", "2M");
	cr_expect_eq(info_.max_discard, MiB);
	cr_expect_eq(info_.max_write_zeroes, 2 * MiB);
}

Test(busectl_params, max_write_zeroes_bad)
{
	ADD_FAILS("invalid max write-zeroes size '4G' (--max-write-zeroes): "
		  "must be a multiple of the logical block size (512) between "
		  "512 and 4294966784 (4G - 512)",
		  "--max-write-zeroes", "4G");
	ADD_FAILS("invalid max write-zeroes size '0'", "--max-write-zeroes",
		  "0");
	ADD_FAILS("invalid max write-zeroes size '700'", "--max-write-zeroes",
		  "700");
	ADD_FAILS("invalid max write-zeroes size '4294966784' "
		  "(--max-write-zeroes): must be a multiple of the logical "
		  "block size (4096)",
		  "--logical-block-size", "4096", "--max-write-zeroes",
		  "4294966784");
	ADD_FAILS("invalid max write-zeroes size '1,5M'", "--max-write-zeroes",
		  "1,5M");
}

/* ------------------------------------------------------------------------
 * --discard-granularity
 */

Test(busectl_params, discard_granularity_good)
{
	struct buse_dev_info info_;

	ADD_OK("--discard-granularity", "512");
	cr_expect_eq(info_.discard_granularity, 512);
	ADD_OK("--discard-granularity", "4K");
	cr_expect_eq(info_.discard_granularity, 4096);
	ADD_OK("--discard-granularity", "1G");
	cr_expect_eq(info_.discard_granularity, GiB);
	ADD_OK("--discard-granularity", "64K", "--logical-block-size", "4K");
	cr_expect_eq(info_.discard_granularity, 64 * KiB);
	ADD_OK("--discard-granularity", "4K", "--logical-block-size", "4K");
	cr_expect_eq(info_.discard_granularity, 4096);
}

Test(busectl_params, discard_granularity_bad)
{
	ADD_FAILS("invalid discard granularity '3K' (--discard-granularity): "
		  "must be a power of two between the logical block size (512) "
		  "and 1073741824 (1G)",
		  "--discard-granularity", "3K");
	ADD_FAILS("invalid discard granularity '0'", "--discard-granularity",
		  "0");
	ADD_FAILS("invalid discard granularity '256'", "--discard-granularity",
		  "256");
	ADD_FAILS("invalid discard granularity '2G'", "--discard-granularity",
		  "2G");
	ADD_FAILS(
		"invalid discard granularity '2K' (--discard-granularity): "
		"must be a power of two between the logical block size (4096)",
		"--discard-granularity", "2K", "--logical-block-size", "4K");
	ADD_FAILS("invalid discard granularity 'x' (--discard-granularity): "
		  "expected a number",
		  "--discard-granularity", "x");
}

/* ------------------------------------------------------------------------
 * --timeout, --recoverable, --recovery-timeout
 */

Test(busectl_params, timeout_good)
{
	struct buse_dev_info info_;

	ADD_OK("--timeout", "30");
	cr_expect_eq(info_.timeout, 30);
	cr_expect_eq(info_.flags, 0);
	ADD_OK("--timeout", "0");
	cr_expect_eq(info_.timeout, 0);
	ADD_OK("--timeout=86400");
	cr_expect_eq(info_.timeout, 86400);
	ADD_OK("--timeout", "007");
	cr_expect_eq(info_.timeout, 7);
}

Test(busectl_params, timeout_bad)
{
	ADD_FAILS("invalid timeout '86401' (--timeout): must be a whole number "
		  "of seconds between 0 and 86400 (0: no limit)",
		  "--timeout", "86401");
	ADD_FAILS("invalid timeout '-1' (--timeout)", "--timeout", "-1");
	ADD_FAILS("invalid timeout '-1' (--timeout)", "--timeout=-1");
	ADD_FAILS("invalid timeout '30s'", "--timeout", "30s");
	ADD_FAILS("invalid timeout '1.5'", "--timeout", "1.5");
	ADD_FAILS("invalid timeout ''", "--timeout", "");
	ADD_FAILS("invalid timeout '+5'", "--timeout", "+5");
	ADD_FAILS("invalid timeout '99999999999999999999999'", "--timeout",
		  "99999999999999999999999");
}

Test(busectl_params, recovery_good)
{
	struct buse_dev_info info_;

	ADD_OK("--recoverable", "--recovery-timeout", "60");
	cr_expect_eq(info_.flags, BUSE_DEV_F_RECOVERABLE);
	cr_expect_eq(info_.recovery_timeout, 60);
	ADD_OK("--recoverable", "--recovery-timeout", "0");
	cr_expect_eq(info_.recovery_timeout, 0);
	ADD_OK("--recoverable", "--recovery-timeout=86400");
	cr_expect_eq(info_.recovery_timeout, 86400);
	/* order does not matter */
	ADD_OK("--recovery-timeout", "5", "--size", "1M", "--recoverable");
	cr_expect_eq(info_.flags, BUSE_DEV_F_RECOVERABLE);
	cr_expect_eq(info_.recovery_timeout, 5);
	/* independent of --timeout */
	ADD_OK("--recoverable", "--timeout", "10", "--recovery-timeout", "300");
	cr_expect_eq(info_.timeout, 10);
	cr_expect_eq(info_.recovery_timeout, 300);
}

Test(busectl_params, recovery_bad)
{
	ADD_FAILS("add: --recovery-timeout requires --recoverable",
		  "--recovery-timeout", "60");
	ADD_FAILS("--recovery-timeout requires --recoverable",
		  "--recovery-timeout", "0");
	ADD_FAILS("--recovery-timeout requires --recoverable", "--timeout", "5",
		  "--recovery-timeout", "5", "--read-only");
	ADD_FAILS("invalid recovery timeout '86401' (--recovery-timeout): "
		  "must be a whole number of seconds between 0 and 86400 (0: "
		  "wait forever)",
		  "--recoverable", "--recovery-timeout", "86401");
	ADD_FAILS("invalid recovery timeout '1m'", "--recoverable",
		  "--recovery-timeout", "1m");
	ADD_FAILS("invalid recovery timeout '-5'", "--recoverable",
		  "--recovery-timeout=-5");
	/* a bad value is reported before the missing --recoverable */
	ADD_FAILS("invalid recovery timeout 'x'", "--recovery-timeout", "x");
}

/* ------------------------------------------------------------------------
 * --owner
 */

Test(busectl_params, owner_numeric)
{
	struct buse_dev_info info_;

	ADD_OK("--owner", "1000");
	cr_expect_eq(info_.flags, BUSE_DEV_F_OWNER);
	cr_expect_eq(info_.owner_uid, 1000);
	cr_expect_eq(info_.owner_gid, BUSE_NO_GROUP);
	cr_expect(last_owner.set);
	cr_expect_not(last_owner.has_group);
	cr_expect_str_empty(last_owner.user);

	ADD_OK("--owner", "1000:100", "--read-only");
	cr_expect_eq(info_.flags, BUSE_DEV_F_OWNER | BUSE_DEV_F_READ_ONLY);
	cr_expect_eq(info_.owner_uid, 1000);
	cr_expect_eq(info_.owner_gid, 100);
	cr_expect(last_owner.has_group);
	cr_expect_str_empty(last_owner.group);

	ADD_OK("--owner=0:0");
	cr_expect_eq(info_.owner_uid, 0);
	cr_expect_eq(info_.owner_gid, 0);
	ADD_OK("--owner", "4294967294:4294967294");
	cr_expect_eq(info_.owner_uid, 4294967294u);
	cr_expect_eq(info_.owner_gid, 4294967294u);
	/* the last one wins */
	ADD_OK("--owner", "1:2", "--owner", "3");
	cr_expect_eq(info_.owner_uid, 3);
	cr_expect_eq(info_.owner_gid, BUSE_NO_GROUP);
}

Test(busectl_params, owner_names_left_for_lookup)
{
	struct buse_dev_info info_;

	ADD_OK("--owner", "alice");
	cr_expect_eq(info_.flags, BUSE_DEV_F_OWNER);
	cr_expect(last_owner.set);
	cr_expect_str_eq(last_owner.user, "alice");
	cr_expect_not(last_owner.has_group);
	cr_expect_eq(info_.owner_gid, BUSE_NO_GROUP);

	ADD_OK("--owner", "alice:staff");
	cr_expect_str_eq(last_owner.user, "alice");
	cr_expect(last_owner.has_group);
	cr_expect_str_eq(last_owner.group, "staff");

	ADD_OK("--owner", "1000:staff");
	cr_expect_str_empty(last_owner.user);
	cr_expect_eq(info_.owner_uid, 1000);
	cr_expect_str_eq(last_owner.group, "staff");

	ADD_OK("--owner", "alice:100");
	cr_expect_str_eq(last_owner.user, "alice");
	cr_expect_str_empty(last_owner.group);
	cr_expect_eq(info_.owner_gid, 100);

	/* a name with digits is a name */
	ADD_OK("--owner", "user1:2admins");
	cr_expect_str_eq(last_owner.user, "user1");
	cr_expect_str_eq(last_owner.group, "2admins");
	ADD_OK("--owner", "svc.buse-1_x$");
	cr_expect_str_eq(last_owner.user, "svc.buse-1_x$");
}

Test(busectl_params, owner_bad)
{
	char longname[300];

	ADD_FAILS("invalid owner '' (--owner): expected USER[:GROUP], each a "
		  "name or a numeric id",
		  "--owner", "");
	ADD_FAILS("invalid owner ':100' (--owner): the user before ':' is "
		  "missing",
		  "--owner", ":100");
	ADD_FAILS("invalid owner ':' (--owner): the user", "--owner", ":");
	ADD_FAILS("invalid owner 'alice:' (--owner): the group after ':' is "
		  "missing",
		  "--owner", "alice:");
	ADD_FAILS("invalid owner 'a:b:c' (--owner): expected USER[:GROUP], "
		  "with one ':' at most",
		  "--owner", "a:b:c");
	ADD_FAILS("invalid owner '4294967295' (--owner): user id 4294967295 "
		  "is out of range (0..4294967294)",
		  "--owner", "4294967295");
	ADD_FAILS("invalid owner '1:4294967295' (--owner): group id "
		  "4294967295 is out of range",
		  "--owner", "1:4294967295");
	ADD_FAILS("user id 99999999999999999999 is out of range", "--owner",
		  "99999999999999999999");
	memset(longname, 'u', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ADD_FAILS("the user name is longer than 255 characters", "--owner",
		  longname);
	longname[0] = 'g';
	longname[1] = ':';
	ADD_FAILS("the group name is longer than 255 characters", "--owner",
		  longname);
}

Test(busectl_params, parse_owner_direct)
{
	struct busectl_owner o;
	char err[256];

	memset(&o, 0x5a, sizeof(o));
	cr_assert_eq(
		busectl_parse_owner("12:34", "--owner", &o, err, sizeof(err)),
		0, "%s", err);
	cr_expect(o.set);
	cr_expect(o.has_group);
	cr_expect_eq(o.uid, 12);
	cr_expect_eq(o.gid, 34);
	cr_expect_str_empty(o.user);
	cr_expect_str_empty(o.group);

	cr_assert_eq(
		busectl_parse_owner("bob", "--owner", &o, err, sizeof(err)), 0,
		"%s", err);
	cr_expect_str_eq(o.user, "bob");
	cr_expect_not(o.has_group);
	cr_expect_str_empty(o.group);
	cr_expect_eq(o.gid, 0);

	/* *out untouched on error */
	memset(&o, 0x5a, sizeof(o));
	cr_expect_eq(
		busectl_parse_owner("a::b", "--owner", &o, err, sizeof(err)),
		-1);
	cr_expect(strstr(err, "one ':' at most"), "%s", err);
	cr_expect_eq(o.uid, 0x5a5a5a5au);
	cr_expect_eq(busectl_parse_owner(NULL, "--owner", &o, err, sizeof(err)),
		     -1);
	/* a tiny buffer: truncated, terminated */
	cr_expect_eq(busectl_parse_owner("", "--owner", &o, err, 8), -1);
	cr_expect_str_eq(err, "add: in");
}

/* Fake lookups for busectl_owner_apply(). */
static unsigned lookups;

static int fake_user(const char *name, uint32_t *id)
{
	lookups++;
	if (strcmp(name, "alice") == 0)
		return *id = 1000, 0;
	if (strcmp(name, "broken") == 0)
		return -EIO;
	if (strcmp(name, "minus1") == 0)
		return *id = 0xffffffffu, 0;
	return 1;
}

static int fake_group(const char *name, uint32_t *id)
{
	lookups++;
	if (strcmp(name, "staff") == 0)
		return *id = 50, 0;
	if (strcmp(name, "broken") == 0)
		return -ENOMEM;
	return 1;
}

/* Parse an add line with --owner VALUE, then resolve: the exit code. */
static int apply(const char *value, struct buse_dev_info *info, char *err,
		 size_t errlen)
{
	struct busectl_args a;
	char *argv[] = { (char *)"busectl", (char *)"add", (char *)"--owner",
			 (char *)value, NULL };

	cr_assert_eq(busectl_parse(4, argv, &a, err, errlen), 0, "%s", err);
	*info = a.info;
	lookups = 0;
	err[0] = '\0';
	return busectl_owner_apply(&a.owner, info, fake_user, fake_group, err,
				   errlen);
}

Test(busectl_params, owner_apply)
{
	struct buse_dev_info info;
	char err[256];

	cr_expect_eq(apply("alice", &info, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(info.flags, BUSE_DEV_F_OWNER);
	cr_expect_eq(info.owner_uid, 1000);
	cr_expect_eq(info.owner_gid, BUSE_NO_GROUP);
	cr_expect_eq(lookups, 1);

	cr_expect_eq(apply("alice:staff", &info, err, sizeof(err)), 0, "%s",
		     err);
	cr_expect_eq(info.owner_uid, 1000);
	cr_expect_eq(info.owner_gid, 50);
	cr_expect_eq(lookups, 2);

	cr_expect_eq(apply("7:staff", &info, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(info.owner_uid, 7);
	cr_expect_eq(info.owner_gid, 50);
	cr_expect_eq(lookups, 1);

	cr_expect_eq(apply("alice:9", &info, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(info.owner_uid, 1000);
	cr_expect_eq(info.owner_gid, 9);

	/* numeric ids need no lookup */
	cr_expect_eq(apply("5:6", &info, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(info.owner_uid, 5);
	cr_expect_eq(info.owner_gid, 6);
	cr_expect_eq(lookups, 0);
}

Test(busectl_params, owner_apply_errors)
{
	struct buse_dev_info info;
	char err[256];

	cr_expect_eq(apply("bob", &info, err, sizeof(err)), BUSECTL_EXIT_USAGE);
	cr_expect_str_eq(err, "add: unknown user 'bob' (--owner)");
	cr_expect_eq(apply("alice:wheel", &info, err, sizeof(err)),
		     BUSECTL_EXIT_USAGE);
	cr_expect_str_eq(err, "add: unknown group 'wheel' (--owner)");
	cr_expect_eq(apply("broken", &info, err, sizeof(err)),
		     BUSECTL_EXIT_FAIL);
	cr_expect(strstr(err, "add: cannot look up user 'broken' (--owner): "),
		  "%s", err);
	cr_expect(strstr(err, strerror(EIO)), "%s", err);
	cr_expect_eq(apply("1:broken", &info, err, sizeof(err)),
		     BUSECTL_EXIT_FAIL);
	cr_expect(strstr(err, "add: cannot look up group 'broken' (--owner): "),
		  "%s", err);
	/* a name that maps to (uid_t)-1 is no id */
	cr_expect_eq(apply("minus1", &info, err, sizeof(err)),
		     BUSECTL_EXIT_USAGE);
	cr_expect(strstr(err, "out of range"), "%s", err);
}

Test(busectl_params, owner_apply_without_owner)
{
	struct busectl_owner o;
	struct buse_dev_info info;
	char err[64] = "";

	memset(&o, 0, sizeof(o));
	memset(&info, 0, sizeof(info));
	info.flags = BUSE_DEV_F_READ_ONLY;
	lookups = 0;
	cr_expect_eq(busectl_owner_apply(&o, &info, fake_user, fake_group, err,
					 sizeof(err)),
		     0);
	cr_expect_eq(info.flags, BUSE_DEV_F_READ_ONLY);
	cr_expect_eq(info.owner_uid, 0);
	cr_expect_eq(info.owner_gid, 0);
	cr_expect_eq(lookups, 0);
	cr_expect_str_empty(err);
}

/* ------------------------------------------------------------------------
 * Everything at once, the whole command line, and the help
 */

Test(busectl_params, all_together)
{
	struct buse_dev_info info_;

	ADD_OK("3", "--size", "1G", "--logical-block-size", "4K", "--io-min",
	       "8K", "--io-opt", "1M", "--max-discard", "64M",
	       "--max-write-zeroes", "32M", "--discard-granularity", "64K",
	       "--rotational", "--no-write-cache", "--no-partscan", "--timeout",
	       "30", "--recoverable", "--recovery-timeout", "120", "--owner",
	       "1000:100");
	cr_expect_eq(info_.index, 3);
	cr_expect_eq(info_.size, GiB);
	cr_expect_eq(info_.logical_block_size, 4096);
	cr_expect_eq(info_.physical_block_size, 4096);
	cr_expect_eq(info_.io_min, 8 * KiB);
	cr_expect_eq(info_.io_opt, MiB);
	cr_expect_eq(info_.max_discard, 64 * MiB);
	cr_expect_eq(info_.max_write_zeroes, 32 * MiB);
	cr_expect_eq(info_.discard_granularity, 64 * KiB);
	cr_expect_eq(info_.flags,
		     BUSE_DEV_F_ROTATIONAL | BUSE_DEV_F_NO_WRITE_CACHE |
			     BUSE_DEV_F_NO_PARTSCAN | BUSE_DEV_F_RECOVERABLE |
			     BUSE_DEV_F_OWNER);
	cr_expect_eq(info_.timeout, 30);
	cr_expect_eq(info_.recovery_timeout, 120);
	cr_expect_eq(info_.owner_uid, 1000);
	cr_expect_eq(info_.owner_gid, 100);
	/* still nothing in the output-only, padding and reserved fields */
	cr_expect_eq(info_.state, 0);
	cr_expect_eq(info_.server_pid, 0);
	cr_expect_eq(info_.ops, 0);
	cr_expect_eq(info_.nr_poll_queues, 0);
	cr_expect_eq(info_.__pad1, 0);
	cr_expect_eq(info_.__pad2, 0);
	cr_expect_eq(info_.reserved[0], 0);
	cr_expect_eq(info_.serial[0], 0);
}

Test(busectl_params, whole_command_line)
{
	struct busectl_args a;
	char err[256];
	char *argv[] = { (char *)"busectl",	  (char *)"add",
			 (char *)"--owner",	  (char *)"alice:staff",
			 (char *)"--timeout",	  (char *)"9",
			 (char *)"--no-partscan", NULL };
	char *bad[] = { (char *)"busectl", (char *)"add",
			(char *)"--recovery-timeout", (char *)"1", NULL };

	cr_assert_eq(busectl_parse(7, argv, &a, err, sizeof(err)), 0, "%s",
		     err);
	cr_expect_eq(a.cmd, BUSECTL_CMD_ADD);
	cr_expect(a.owner.set);
	cr_expect_str_eq(a.owner.user, "alice");
	cr_expect_str_eq(a.owner.group, "staff");
	cr_expect_eq(a.info.timeout, 9);
	cr_expect_eq(a.info.flags, BUSE_DEV_F_NO_PARTSCAN | BUSE_DEV_F_OWNER);

	cr_expect_eq(busectl_parse(4, bad, &a, err, sizeof(err)), -1);
	cr_expect(strstr(err, "--recovery-timeout requires --recoverable"),
		  "%s", err);

	/* other commands know none of these */
	char *info[] = { (char *)"busectl",   (char *)"info", (char *)"1",
			 (char *)"--timeout", (char *)"5",    NULL };
	cr_expect_eq(busectl_parse(5, info, &a, err, sizeof(err)), -1);
	cr_expect(strstr(err, "info: unknown option '--timeout'"), "%s", err);
}

Test(busectl_params, help_lists_every_option)
{
	static const char *const opts[] = {
		"--io-min SIZE",
		"--io-opt SIZE",
		"--max-discard SIZE",
		"--max-write-zeroes SIZE",
		"--discard-granularity SIZE",
		"--rotational",
		"--no-write-cache",
		"--no-partscan",
		"--timeout SECONDS",
		"--recoverable",
		"--recovery-timeout SECONDS",
		"--owner USER[:GROUP]",
		NULL,
	};
	const char *u = busectl_usage(BUSECTL_CMD_ADD);
	const char *line;

	for (const char *const *o = opts; *o; o++)
		cr_expect(strstr(u, *o), "add usage lacks '%s'", *o);
	/* 80 columns at most */
	for (line = u; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		cr_expect_leq(len, 79, "long usage line: '%.*s'", (int)len,
			      line);
		line += len + (nl ? 1 : 0);
	}
	cr_expect(strstr(busectl_usage(BUSECTL_CMD_LIST), "recovering"));
}

/* ------------------------------------------------------------------------
 * Output of the new state and fields
 */

Test(busectl_params, recovering_and_owner_output)
{
	struct buse_dev_info d;
	char *s = NULL;

	memset(&d, 0, sizeof(d));
	d.index = 2;
	d.logical_block_size = 512;
	d.nr_queues = 1;
	d.queue_depth = 8;
	d.state = BUSE_STATE_RECOVERING;
	d.flags = BUSE_DEV_F_RECOVERABLE | BUSE_DEV_F_OWNER;
	d.recovery_timeout = 90;
	d.timeout = 15;
	d.owner_uid = 1000;
	d.owner_gid = BUSE_NO_GROUP;

	cr_expect_str_eq(busectl_state_name(BUSE_STATE_RECOVERING),
			 "recovering");
	CAPTURE(s, busectl_print_info(f_, &d));
	cr_expect(strstr(s, "state: recovering\n"), "%s", s);
	cr_expect(strstr(s, "flags: recoverable,owner\n"), "%s", s);
	cr_expect(strstr(s, "timeout: 15\nrecovery_timeout: 90\n"), "%s", s);
	cr_expect(strstr(s, "owner: 1000\n"), "no group: '%s'", s);
	free(s);

	CAPTURE(s, busectl_print_info_json(f_, &d, ""));
	cr_expect(strstr(s, "\"state\": \"recovering\",\n"), "%s", s);
	cr_expect(strstr(s, "\"flag_names\": [\"recoverable\", \"owner\"],\n"),
		  "%s", s);
	cr_expect(strstr(s, "\"owner_uid\": 1000,\n  \"owner_gid\": null\n}"),
		  "%s", s);
	free(s);

	CAPTURE(s, busectl_print_list_row(f_, &d));
	cr_expect_str_eq(
		s, "2             0 recovering        -      1      8   512\n");
	free(s);

	d.owner_gid = 0;
	CAPTURE(s, busectl_print_info(f_, &d));
	cr_expect(strstr(s, "owner: 1000:0\n"), "%s", s);
	free(s);
}
