// SPDX-License-Identifier: MIT
/*
 * test_busectl_parse.c - busectl's command line (ctl/busectl_parse.c):
 * "busectl add" options, whole command lines, usage texts.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "busectl_test.h"

/* ------------------------------------------------------------------------
 * busectl add
 */

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
	for (size_t i = 0; i < sizeof(info.reserved) / sizeof(info.reserved[0]);
	     i++)
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
			 "--depth", "64", "--max-io", "1M", "--read-only",
			 NULL),
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
			 "3", "--depth=1", NULL),
		     0, "%s", err);
	cr_expect_eq(info.index, 3);
	cr_expect_eq(info.size, 256 * MiB);
	cr_expect_eq(info.nr_queues, 2);
	cr_expect_eq(info.queue_depth, 1);
	/* the last of a repeated option wins */
	cr_assert_eq(add(&info, err, sizeof(err), "--size", "1M", "--size",
			 "2M", NULL),
		     0, "%s", err);
	cr_expect_eq(info.size, 2 * MiB);
	/* "--" ends the options */
	cr_assert_eq(
		add(&info, err, sizeof(err), "--size", "1M", "--", "9", NULL),
		0, "%s", err);
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
	cr_assert_eq(add(&info, err, sizeof(err), "--size", "1E", "--max-io",
			 "256KiB", NULL),
		     0, "%s", err);
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
			 "2048", NULL),
		     0, "%s", err);
	cr_expect_eq(info.logical_block_size, 2048);
	cr_expect_eq(info.physical_block_size, 2048);
	/* only physical: logical stays the default (512) */
	cr_assert_eq(add(&info, err, sizeof(err), "--physical-block-size",
			 "4096", NULL),
		     0, "%s", err);
	cr_expect_eq(info.logical_block_size, 0);
	cr_expect_eq(info.physical_block_size, 4096);
}

Test(busectl_add, limits_accepted)
{
	struct buse_dev_info info;
	char err[256];

	cr_assert_eq(add(&info, err, sizeof(err), "--queues", "64", "--depth",
			 "1024", "--max-io", "1M", NULL),
		     0, "%s", err);
	cr_expect_eq(info.nr_queues, 64);
	cr_expect_eq(info.queue_depth, 1024);
	/* 1024 * 1M == BUSE_MAX_QUEUE_BUFFERS exactly */
	cr_assert_eq(add(&info, err, sizeof(err), "--max-io", "4M", "--depth",
			 "256", NULL),
		     0, "%s", err);
	cr_expect_eq(info.max_io, 4 * MiB);
	cr_assert_eq(add(&info, err, sizeof(err), "--max-io", "4096", NULL), 0,
		     "%s", err);
	cr_expect_eq(info.max_io, 4096);
	cr_assert_eq(add(&info, err, sizeof(err), "--logical-block-size", "512",
			 "--physical-block-size", "1024", NULL),
		     0, "%s", err);
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
	cr_expect_eq(add(&info, err, sizeof(err), "--bogus", "--help", NULL),
		     1);
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
	ADD_FAILS("not a multiple of the logical block size (512)", "--size",
		  "1000");
	ADD_FAILS("not a multiple of the logical block size (4096)", "--size",
		  "6K", "--logical-block-size", "4K");
	ADD_FAILS("'1.5K' (1536 bytes)", "--size", "1.5K",
		  "--logical-block-size", "1024");
	/* BUSE_MAX_SIZE (1 EiB) is the driver's limit: a usage error. */
	ADD_FAILS("invalid size '2E' (--size): at most 1152921504606846976",
		  "--size", "2E");
}

Test(busectl_add, bad_block_sizes)
{
	ADD_FAILS("invalid logical block size '1000'", "--logical-block-size",
		  "1000");
	ADD_FAILS("power of two between 512 and 4096", "--logical-block-size",
		  "256");
	ADD_FAILS("invalid logical block size '8K'", "--logical-block-size",
		  "8K");
	ADD_FAILS("invalid logical block size '0'", "--logical-block-size",
		  "0");
	ADD_FAILS("invalid physical block size '3072'", "--physical-block-size",
		  "3072");
	ADD_FAILS("invalid physical block size 'x'", "--physical-block-size",
		  "x");
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
	ADD_FAILS("unknown option '--siz'", "--siz", "1G"); /* no prefixes */
}

/* ------------------------------------------------------------------------
 * busectl: whole command lines
 */

static int parse(struct busectl_args *a, char *err, size_t errlen, ...)
{
	char *argv[TEST_MAX_ARGS];
	va_list ap;
	int argc;

	va_start(ap, errlen);
	argc = make_argv(argv, "busectl", ap);
	va_end(ap);
	return busectl_parse(argc, argv, a, err, errlen);
}

#define PARSE_OK(a, ...)                                              \
	do {                                                          \
		char e_[256];                                         \
		int r_ = parse(a, e_, sizeof(e_), __VA_ARGS__, NULL); \
		cr_assert_eq(r_, 0, #__VA_ARGS__ ": %s", e_);         \
	} while (0)

#define PARSE_FAILS(want, ...)                                                 \
	do {                                                                   \
		struct busectl_args a_;                                        \
		char e_[256];                                                  \
		int r_ = parse(&a_, e_, sizeof(e_), __VA_ARGS__, NULL);        \
		cr_expect_eq(r_, -1, #__VA_ARGS__ ": %d", r_);                 \
		cr_expect(strstr(e_, want) != NULL,                            \
			  #__VA_ARGS__ ": message '%s' lacks '%s'", e_, want); \
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
 * The help of "add" and the parser come from one table
 */

/*
 * Every "--option" that the help of add lists is one that add accepts:
 * given without its value, it is missing a value or it is accepted, but
 * never unknown.
 */
Test(busectl_add, help_lists_the_accepted_options)
{
	const char *u = busectl_usage(BUSECTL_CMD_ADD), *p;
	struct buse_dev_info info;
	char opt[64], err[256];
	size_t n, count = 0;

	for (p = strstr(u, "\n  --"); p; p = strstr(p, "\n  --")) {
		p += 3;
		n = strcspn(p, " \n");
		cr_assert_lt(n, sizeof(opt));
		memcpy(opt, p, n);
		opt[n] = '\0';
		add(&info, err, sizeof(err), opt, NULL);
		cr_expect_null(strstr(err, "unknown option"), "%s: %s", opt,
			       err);
		count++;
	}
	cr_expect_geq(count, 22, "%zu options in the help", count);
}

/* The ranges in the help are the ones of uapi/linux/buse.h. */
Test(busectl_add, help_shows_the_uapi_limits)
{
	const char *u = busectl_usage(BUSECTL_CMD_ADD);
	char want[64];

	snprintf(want, sizeof(want), "hardware queues, 1..%u ",
		 BUSE_MAX_QUEUES);
	cr_expect(strstr(u, want), "no '%s' in:\n%s", want, u);
	snprintf(want, sizeof(want), "requests per queue, 1..%u (default %u)",
		 BUSE_MAX_DEPTH, BUSE_DEF_DEPTH);
	cr_expect(strstr(u, want), "no '%s' in:\n%s", want, u);
	snprintf(want, sizeof(want), "in SECONDS, 0..%u (default 0: never)",
		 BUSE_MAX_TIMEOUT);
	cr_expect(strstr(u, want), "no '%s' in:\n%s", want, u);
	snprintf(want, sizeof(want), "%u, 1024, 2048 or %u (default %u)",
		 BUSE_MIN_BLOCK_SIZE, BUSE_MAX_BLOCK_SIZE, BUSE_DEF_BLOCK_SIZE);
	cr_expect(strstr(u, want), "no '%s' in:\n%s", want, u);
	snprintf(want, sizeof(want), "up to %u of A-Z", BUSE_SERIAL_MAX);
	cr_expect(strstr(u, want), "no '%s' in:\n%s", want, u);
	snprintf(want, sizeof(want), "device N (0..%u)", BUSE_MAX_INDEX);
	cr_expect(strstr(u, want), "no '%s' in:\n%s", want, u);
}
