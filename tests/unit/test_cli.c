// SPDX-License-Identifier: MIT
/*
 * test_cli.c - libbdus' standard command line (libbdus/src/cli.c,
 * bdus_cli.h): what bdus_cli_parse() makes of a command line, its
 * messages and exit statuses, the help, the program's own options, the
 * bdus_opts and buse_dev_info it leads to, and the refusal of struct
 * sizes it does not know.  Nothing is served (no device on the host).
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bdus.h"
#include "bdus_cli.h"

/* ------------------------------------------------------------------------
 * A program with one own option (-x N, --extra N) and one long-only flag
 */

struct own {
	uint32_t extra;
	int flag;
	int served;
};

enum { OPT_FLAG = BDUS_CLI_OPT_FIRST };

static int own_parse(void *ctx, int opt, const char *arg, const char **valid)
{
	struct own *o = ctx;

	switch (opt) {
	case 'x':
		*valid = "an even number";
		if (bdus_parse_u32(arg, &o->extra) || o->extra % 2)
			return -EINVAL;
		return 0;
	case OPT_FLAG:
		o->flag = 1;
		return 0;
	default:
		return -EINVAL;
	}
}

static void own_usage(FILE *f, const struct bdus_cli_spec *s)
{
	fprintf(f, "Usage: %s N\n\n", s->prog);
	bdus_cli_usage(f, s);
}

static const struct option own_options[] = {
	{ "extra", required_argument, NULL, 'x' },
	{ "flag", no_argument, NULL, OPT_FLAG },
	{ NULL, 0, NULL, 0 },
};

static const struct bdus_cli_spec spec = {
	.prog = "prog",
	.flags = BDUS_CLI_PBS | BDUS_CLI_TIMEOUT,
	.usage = own_usage,
	.help_extra = "  -x, --extra N            an even number\n",
	.shortopts = "x:",
	.longopts = own_options,
	.parse = own_parse,
};

static const struct bdus_cli_spec image_spec = {
	.prog = "img",
	.flags = BDUS_CLI_IMAGE | BDUS_CLI_READ_ONLY,
	.usage = own_usage,
};

static struct own own;
static struct bdus_cli cli;
static int status;

/* Parses the NULL-terminated arguments after argv[0] with spec s. */
static bool parse(const struct bdus_cli_spec *s, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)s->prog;
	va_start(ap, s);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	memset(&own, 0, sizeof(own));
	status = -1;
	return bdus_cli_parse(s, &own, argc, argv, &cli, &status);
}

/* ------------------------------------------------------------------------
 * Accepted command lines
 */

Test(cli, serve_index)
{
	cr_assert(parse(&spec, "7", NULL));
	cr_assert_eq(cli.index, 7);
	cr_assert_not(cli.create);
	cr_assert_not(cli.have_size);
	cr_assert_eq(cli.spec, &spec);
	cr_assert_str_eq(cli.prog, "prog");
	cr_assert_eq(cli.flags, spec.flags);
	cr_assert_eq(status, -1, "status is set only when not going on");
}

Test(cli, create_with_every_device_option)
{
	struct buse_dev_info info;

	cr_assert(parse(&spec, "--create", "-s", "1M", "-q", "2",
			"--poll-queues", "1", "--depth", "16", "-m", "64K",
			"-b", "4096", "--physical-block-size", "8K", "-t", "30",
			NULL));
	cr_assert(cli.create);
	cr_assert(cli.have_size);
	cr_assert_eq(cli.size, 1 << 20);
	cr_assert_eq(bdus_cli_dev_info(&cli, &info), 0);
	cr_assert_eq(info.index, BUSE_INDEX_ANY);
	cr_assert_eq(info.size, 1 << 20);
	cr_assert_eq(info.nr_queues, 2);
	cr_assert_eq(info.nr_poll_queues, 1);
	cr_assert_eq(info.queue_depth, 16);
	cr_assert_eq(info.max_io, 65536);
	cr_assert_eq(info.logical_block_size, 4096);
	cr_assert_eq(info.physical_block_size, 8192);
	cr_assert_eq(info.timeout, 30);
	cr_assert_eq(info.flags, 0);
}

Test(cli, server_options_to_bdus_opts)
{
	struct bdus_opts o;

	cr_assert(parse(&spec, "--mlock", "--no-pin", "--poll-us", "50", "3",
			NULL));
	cr_assert_eq(bdus_cli_opts(&cli, BDUS_OPT_QUIET, &o), 0);
	cr_assert_eq(o.flags,
		     BDUS_OPT_QUIET | BDUS_OPT_MLOCK | BDUS_OPT_NO_PIN);
	cr_assert_eq(o.poll_us, 50);
	cr_assert_eq(o.size, 0);
	cr_assert_not_null(o.on_ready);

	cr_assert(parse(&spec, "--pin-near", "--poll-us", "0", "3", NULL));
	cr_assert_eq(bdus_cli_opts(&cli, 0, &o), 0);
	cr_assert_eq(o.flags, BDUS_OPT_PIN_NEAR | BDUS_OPT_NO_POLL);
	cr_assert_eq(o.poll_us, 0);
}

Test(cli, own_options)
{
	cr_assert(parse(&spec, "-x", "4", "--flag", "1", NULL));
	cr_assert_eq(own.extra, 4);
	cr_assert_eq(own.flag, 1);
	cr_assert(parse(&spec, "--extra=6", "1", NULL));
	cr_assert_eq(own.extra, 6);
}

Test(cli, image_arguments)
{
	struct buse_dev_info info;

	cr_assert(parse(&image_spec, "disk.img", "2", NULL));
	cr_assert_str_eq(cli.image, "disk.img");
	cr_assert_eq(cli.index, 2);
	/* --create IMAGE needs no --size: the image has one. */
	cr_assert(parse(&image_spec, "--create", "-r", "disk.img", NULL));
	cr_assert(cli.create);
	cr_assert_str_eq(cli.image, "disk.img");
	cr_assert_eq(bdus_cli_dev_info(&cli, &info), 0);
	cr_assert_eq(info.flags, BUSE_DEV_F_READ_ONLY);
	cr_assert_eq(info.size, 0);
}

/* ------------------------------------------------------------------------
 * Help and usage errors: exit statuses 0 and 2, messages
 */

Test(cli, help_on_stdout_status_0, .init = cr_redirect_stdout)
{
	cr_assert_not(parse(&spec, "--help", NULL));
	cr_assert_eq(status, 0);
	fflush(stdout);
	cr_assert_stdout_neq_str("");
}

/* The help lists what the spec accepts, and only that. */
Test(cli, help_text)
{
	char buf[8192] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	cr_assert_not_null(f);
	bdus_cli_usage(f, &spec);
	fclose(f);
	cr_expect(strstr(buf, "  -s, --size SIZE          capacity"));
	cr_expect(strstr(buf, "--physical-block-size SIZE"));
	cr_expect(strstr(buf, "--timeout SECONDS"));
	cr_expect(strstr(buf, "--poll-queues P"));
	cr_expect(strstr(buf, "--pin-near"));
	cr_expect(strstr(buf, "  -x, --extra N            an even number\n"
			      "  -h, --help               show this help\n"));
	cr_expect_null(strstr(buf, "--read-only"));
	cr_expect_null(strstr(buf, "the\n                           whole "
				   "device's memory"));
}

/* One usage error: status 2, the message and the hint on stderr. */
#define USAGE_ERROR(name, want, ...)                                  \
	Test(cli_usage, name, .init = cr_redirect_stderr)             \
	{                                                             \
		cr_assert_not(parse(__VA_ARGS__, NULL));              \
		cr_assert_eq(status, 2);                              \
		fflush(stderr);                                       \
		cr_assert_stderr_eq_str(want "Try 'prog --help'.\n"); \
	}

USAGE_ERROR(missing_index, "prog: missing device index N (or --create)\n",
	    &spec)
USAGE_ERROR(too_many, "prog: too many arguments\n", &spec, "1", "2")
USAGE_ERROR(bad_index, "prog: invalid device index '70000' (0..65535)\n", &spec,
	    "70000")
USAGE_ERROR(create_takes_no_index, "prog: --create takes no device index\n",
	    &spec, "--create", "-s", "1M", "1")
USAGE_ERROR(create_needs_size, "prog: --create needs --size\n", &spec,
	    "--create")
USAGE_ERROR(create_only,
	    "prog: --queues, --poll-queues, --depth, --max-io, "
	    "--logical-block-size, --physical-block-size and --timeout "
	    "need --create\n",
	    &spec, "-q", "2", "1")
USAGE_ERROR(zero_size,
	    "prog: invalid value for --size: '0' (must not be "
	    "0)\n",
	    &spec, "--size", "0", "1")
USAGE_ERROR(bad_number,
	    "prog: invalid value for --depth: 'x' (not a valid "
	    "number)\n",
	    &spec, "--create", "-s", "1M", "-d", "x")
USAGE_ERROR(poll_us_too_large,
	    "prog: invalid value for --poll-us: "
	    "'1000001' (too large)\n",
	    &spec, "--poll-us", "1000001", "1")
USAGE_ERROR(own_option_valid_text,
	    "prog: invalid value for --extra: '3' "
	    "(an even number)\n",
	    &spec, "-x", "3", "1")
USAGE_ERROR(pin_contradiction,
	    "prog: --no-pin and --pin-near contradict "
	    "each other\n",
	    &spec, "--no-pin", "--pin-near", "1")

/* Options the spec does not enable are unknown. */
Test(cli_usage, disabled_option_unknown, .init = cr_redirect_stderr)
{
	cr_assert_not(parse(&spec, "--read-only", "1", NULL));
	cr_assert_eq(status, 2);
}

Test(cli_usage, image_missing, .init = cr_redirect_stderr)
{
	char *argv[] = { "img", "--create", NULL };

	cr_assert_not(
		bdus_cli_parse(&image_spec, NULL, 2, argv, &cli, &status));
	cr_assert_eq(status, 2);
	fflush(stderr);
	cr_assert_stderr_eq_str("img: missing IMAGE\nTry 'img --help'.\n");
}

/* arg_name names the argument in messages; ENGINE_SIZE: no --size. */
static const struct bdus_cli_spec url_spec = {
	.prog = "web",
	.flags = BDUS_CLI_IMAGE,
	.usage = own_usage,
	.arg_name = "URL",
};

static const struct bdus_cli_spec filter_spec = {
	.prog = "filt",
	.flags = BDUS_CLI_ENGINE_SIZE,
	.usage = own_usage,
};

Test(cli_usage, arg_name_missing, .init = cr_redirect_stderr)
{
	char *argv[] = { "web", "--create", NULL };

	cr_assert_not(bdus_cli_parse(&url_spec, NULL, 2, argv, &cli, &status));
	cr_assert_eq(status, 2);
	fflush(stderr);
	cr_assert_stderr_eq_str("web: missing URL\nTry 'web --help'.\n");
}

Test(cli_usage, arg_name_missing_index, .init = cr_redirect_stderr)
{
	char *argv[] = { "web", "http://x/y", NULL };

	cr_assert_not(bdus_cli_parse(&url_spec, NULL, 2, argv, &cli, &status));
	cr_assert_eq(status, 2);
	fflush(stderr);
	cr_assert_stderr_eq_str("web: missing URL and device index N (or "
				"--create URL)\nTry 'web --help'.\n");
}

Test(cli, engine_size_create_without_size)
{
	char *argv[] = { "filt", "--create", NULL };

	cr_assert(bdus_cli_parse(&filter_spec, NULL, 2, argv, &cli, &status));
	cr_assert(cli.create);
	cr_assert_not(cli.have_size);
}

/* ------------------------------------------------------------------------
 * Number parsing helpers
 */

Test(cli, parse_u32)
{
	uint32_t v = 7;

	cr_assert_eq(bdus_parse_u32("4294967295", &v), 0);
	cr_assert_eq(v, UINT32_MAX);
	cr_assert_eq(bdus_parse_u32("4294967296", &v), -ERANGE);
	cr_assert_eq(bdus_parse_u32("", &v), -EINVAL);
	cr_assert_eq(bdus_parse_u32("-1", &v), -EINVAL);
	cr_assert_eq(bdus_parse_u32(" 1", &v), -EINVAL);
	cr_assert_eq(bdus_parse_u32("1x", &v), -EINVAL);
	cr_assert_eq(v, UINT32_MAX, "unchanged on error");
	cr_assert_eq(bdus_parse_size32("64K", &v), 0);
	cr_assert_eq(v, 65536);
	cr_assert_eq(bdus_parse_size32("4G", &v), -ERANGE);
	cr_assert_eq(bdus_parse_size32("4Q", &v), -EINVAL);
}

/* ------------------------------------------------------------------------
 * Struct sizes
 */

Test(cli_abi, smaller_cli_refused_status_1, .init = cr_redirect_stderr)
{
	char *argv[] = { "prog", "1", NULL };

	cr_assert_not(bdus_cli_parse_sized(&spec, sizeof(spec), NULL, 2, argv,
					   &cli, sizeof(cli) - 8, &status));
	cr_assert_eq(status, 1);
	fflush(stderr);
	cr_assert_stderr_neq_str("");
}

Test(cli_abi, larger_spec_garbage_tail_refused, .init = cr_redirect_stderr)
{
	struct {
		struct bdus_cli_spec s;
		long future;
	} big = { .s = spec, .future = 1 };
	char *argv[] = { "prog", "1", NULL };

	cr_assert_not(bdus_cli_parse_sized(&big.s, sizeof(big), NULL, 2, argv,
					   &cli, sizeof(cli), &status));
	cr_assert_eq(status, 1);
	big.future = 0;
	cr_assert(bdus_cli_parse_sized(&big.s, sizeof(big), &own, 2, argv, &cli,
				       sizeof(cli), &status));
	cr_assert_eq(cli.index, 1);
}

/* A larger bdus_cli of the caller's: the tail the library does not know
 * is zeroed, not left as it was. */
Test(cli_abi, larger_cli_tail_zeroed)
{
	struct {
		struct bdus_cli c;
		long future;
	} big;
	char *argv[] = { "prog", "5", NULL };

	memset(&big, 0xff, sizeof(big));
	cr_assert(bdus_cli_parse_sized(&spec, sizeof(spec), &own, 2, argv,
				       &big.c, sizeof(big), &status));
	cr_assert_eq(big.c.index, 5);
	cr_assert_eq(big.future, 0);
}

/* bdus_main(): usage errors come back as its exit status. */
Test(cli_main, usage_error_is_status_2, .init = cr_redirect_stderr)
{
	static const struct storage_engine e = { .name = "none" };
	char *argv[] = { "prog", NULL };

	cr_assert_eq(bdus_main(1, argv, &e, &spec, &own), 2);
}
