// SPDX-License-Identifier: MIT
/*
 * test_busectl_print.c - busectl's output (ctl/busectl_print.c): sizes,
 * names, "info" and "list" as text and JSON, "version", JSON strings.
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
		{ 2 * GiB - 512, "2.0G" }, /* rounds up */
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
	cr_expect_str_eq(
		busectl_format_ops(BUSE_OPS_REQUIRED, buf, sizeof(buf)),
		"read,write");
	cr_expect_str_eq(busectl_format_ops(BUSE_OPS_REQUIRED |
						    BUSE_OP_BIT(BUSE_OP_FLUSH),
					    buf, sizeof(buf)),
			 "read,write,flush");
	cr_expect_str_eq(
		busectl_format_ops(BUSE_OPS_ALL | BUSE_OPS_FUA, buf,
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
						  sizeof(buf)),
			 "read_only");
	cr_expect_str_eq(
		busectl_format_dev_flags(BUSE_DEV_F_ALL, buf, sizeof(buf)),
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

Test(busectl_format, info_text)
{
	struct buse_dev_info d = sample_dev();
	char *s = NULL;

	CAPTURE(s, busectl_print_info(f_, &d));
	cr_expect_str_eq(s, "index: 3\n"
			    "path: /dev/buse3\n"
			    "char_path: /dev/busec3\n"
			    "size: 268435456\n"
			    "size_human: 256M\n"
			    "state: running\n"
			    "server_pid: 4242\n"
			    "nr_queues: 2\n"
			    "nr_poll_queues: 0\n"
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
	cr_expect_str_eq(
		s,
		"{\n"
		"  \"index\": 3,\n"
		"  \"path\": \"/dev/buse3\",\n"
		"  \"char_path\": \"/dev/busec3\",\n"
		"  \"size\": 268435456,\n"
		"  \"state\": \"running\",\n"
		"  \"server_pid\": 4242,\n"
		"  \"nr_queues\": 2,\n"
		"  \"nr_poll_queues\": 0,\n"
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
	cr_expect_str_eq(
		s, "INDEX      SIZE STATE           PID QUEUES  DEPTH   LBS\n");
	free(s);
	CAPTURE(s, busectl_print_list_row(f_, &d));
	cr_expect_str_eq(
		s, "3          256M running        4242      2    128   512\n");
	free(s);
	d.server_pid = 0;
	d.state = BUSE_STATE_IDLE;
	d.size = 0;
	CAPTURE(s, busectl_print_list_row(f_, &d));
	cr_expect_str_eq(
		s, "3             0 idle              -      2    128   512\n");
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
	cr_expect(
		strstr(s, "\"feature_names\": [\"ring\", \"0x10000000000\"],"),
		"%s", s);
	cr_expect(strstr(s, "\"max_index\": 65535,\n"), "%s", s);
	free(s);
	v.features = 0;
	CAPTURE(s, busectl_print_version(f_, &v));
	cr_expect(strstr(s, "features: 0x0 (-)\n"), "%s", s);
	free(s);
}

/* ------------------------------------------------------------------------
 * JSON strings
 */

/* busectl_json_string() of len bytes at s, as a malloc'ed string. */
static char *json_of(const char *s, size_t len)
{
	char *out = NULL;

	CAPTURE(out, busectl_json_string(f_, s, len));
	return out;
}

#define JSON_IS(in, len, want)                                 \
	do {                                                   \
		char *j_ = json_of(in, len);                   \
		cr_expect_str_eq(j_, want, "json of %s", #in); \
		free(j_);                                      \
	} while (0)

Test(busectl_json, plain_text_as_is)
{
	JSON_IS("", 0, "\"\"");
	JSON_IS("abc:1.2-3_x", 11, "\"abc:1.2-3_x\"");
	JSON_IS("with space/slash", 16, "\"with space/slash\"");
}

Test(busectl_json, quotes_and_backslash)
{
	JSON_IS("a\"b", 3, "\"a\\\"b\"");
	JSON_IS("a\\b", 3, "\"a\\\\b\"");
	JSON_IS("\"\\\"", 3, "\"\\\"\\\\\\\"\"");
}

Test(busectl_json, control_characters)
{
	JSON_IS("a\nb", 3, "\"a\\u000ab\"");
	JSON_IS("\t\r\b\f", 4, "\"\\u0009\\u000d\\u0008\\u000c\"");
	JSON_IS("\x01\x1f", 2, "\"\\u0001\\u001f\"");
	JSON_IS("\x1b[31m", 5, "\"\\u001b[31m\"");
	JSON_IS("\x7f", 1, "\"\\u007f\"");
}

Test(busectl_json, utf8)
{
	/* valid: 2, 3 and 4 bytes */
	JSON_IS("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"");
	JSON_IS("\xe2\x82\xac", 3, "\"\xe2\x82\xac\"");
	JSON_IS("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"");
	/* invalid: each byte that is not part of a sequence */
	JSON_IS("\x80", 1, "\"\\ufffd\"");
	JSON_IS("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");		 /* overlong */
	JSON_IS("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
	JSON_IS("\xf4\x90\x80\x80", 4,
		"\"\\ufffd\\ufffd\\ufffd\\ufffd\"");	/* > U+10FFFF */
	JSON_IS("a\xe2\x82", 3, "\"a\\ufffd\\ufffd\""); /* cut short */
	JSON_IS("\xff"
		"a",
		2, "\"\\ufffda\"");
}

Test(busectl_json, length_and_nul)
{
	JSON_IS("abcdef", 3, "\"abc\""); /* no more than len bytes */
	JSON_IS("ab\0cd", 5, "\"ab\"");	 /* nor past a NUL */
	/* a sequence cut by len is invalid, not read beyond it */
	JSON_IS("\xc3\xa9", 1, "\"\\ufffd\"");
}

/*
 * The serial comes from the driver: whatever it holds, info --json stays
 * valid JSON.  All 16 bytes, no NUL: read no further (ASan would say).
 */
Test(busectl_json, hostile_serial)
{
	struct buse_dev_info d = sample_dev();
	char *s = NULL;

	memcpy(d.serial,
	       "q\"b\\s\n\x01\xff"
	       "0123456",
	       16);
	CAPTURE(s, busectl_print_info_json(f_, &d, ""));
	cr_expect(strstr(s, "  \"serial\": \"q\\\"b\\\\s\\u000a\\u0001"
			    "\\ufffd0123456\",\n"),
		  "%s", s);
	free(s);

	CAPTURE(s, busectl_print_info(f_, &d));
	cr_expect(strstr(s, "\nserial: q\"b\\s\n\x01\xff"
			    "0123456\n"),
		  "%s", s);
	free(s);
}

Test(busectl_json, version_feature_names)
{
	struct buse_version v;
	char *s = NULL;

	memset(&v, 0, sizeof(v));
	v.features = BUSE_FEAT_RING | (1ull << 40);
	CAPTURE(s, busectl_print_version_json(f_, &v));
	cr_expect(
		strstr(s,
		       "  \"features\": 1099511627777,\n"
		       "  \"feature_names\": [\"ring\", \"0x10000000000\"],\n"),
		"%s", s);
	free(s);
	CAPTURE(s, busectl_print_version(f_, &v));
	cr_expect(strstr(s, "features: 0x10000000001 (ring,0x10000000000)\n"),
		  "%s", s);
	free(s);
}
