// SPDX-License-Identifier: MIT
/*
 * busectl_parse.c - busectl's command line: parsing, validation and the
 * usage texts.  The options of "busectl add" are one table (add_opts):
 * its entries drive the parsing, the checks made once every option is
 * known, and the help.  No system calls, so unit tests link this file
 * directly.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bdus_ctl.h"
#include "busectl_parse.h"
#include "busectl_print.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------
 * Usage
 */

static const char usage_general[] =
	"Usage: busectl <command> [arguments]\n"
	"\n"
	"Manage buse block devices (/dev/buseN) through " BUSE_CTL_DEVICE ".\n"
	"\n"
	"Commands:\n"
	"  add [N] [options]   create a device (index N, or the first free one)\n"
	"  remove N [--force]  remove device N\n"
	"  list [--json]       list the devices\n"
	"  info N [--json]     show device N\n"
	"  version [--json]    show the driver's ABI version, features and limits\n"
	"  help [command]      show this help, or a command's\n"
	"\n"
	"Run 'busectl <command> --help' for a command's options.\n"
	"Exit status: 0 success, 1 the operation failed, 2 bad usage.\n";

static const char *add_usage(void);

static const char usage_remove[] =
	"Usage: busectl remove N [--force]\n"
	"\n"
	"Remove device N.  Its server, if any, is told to exit.  Refused while\n"
	"the block device is open (mounted, say), unless --force.\n"
	"  --force     remove it even if open: its pending and new I/O fails\n";

static const char usage_list[] =
	"Usage: busectl list [--json]\n"
	"\n"
	"List the devices: index, size, state (idle, running, removing,\n"
	"recovering), server pid ('-' when none), queues, queue depth, logical\n"
	"block size.\n"
	"  --json      print a JSON array of objects, one per device\n";

static const char usage_info[] = "Usage: busectl info N [--json]\n"
				 "\n"
				 "Show device N as 'key: value' lines.\n"
				 "  --json      print a JSON object instead\n";

static const char usage_version[] =
	"Usage: busectl version [--json]\n"
	"\n"
	"Show the driver's ABI version, features and limits.\n"
	"  --json      print a JSON object instead\n";

const char *busectl_usage(enum busectl_cmd cmd)
{
	switch (cmd) {
	case BUSECTL_CMD_ADD:
		return add_usage();
	case BUSECTL_CMD_REMOVE:
		return usage_remove;
	case BUSECTL_CMD_LIST:
		return usage_list;
	case BUSECTL_CMD_INFO:
		return usage_info;
	case BUSECTL_CMD_VERSION:
		return usage_version;
	case BUSECTL_CMD_NONE:
	default:
		return usage_general;
	}
}

/* clang-format off */
static const char *const cmd_names[] = {
	[BUSECTL_CMD_ADD]	= "add",
	[BUSECTL_CMD_REMOVE]	= "remove",
	[BUSECTL_CMD_LIST]	= "list",
	[BUSECTL_CMD_INFO]	= "info",
	[BUSECTL_CMD_VERSION]	= "version",
};
/* clang-format on */

const char *busectl_cmd_name(enum busectl_cmd cmd)
{
	if ((unsigned)cmd >= sizeof(cmd_names) / sizeof(cmd_names[0]))
		return NULL;
	return cmd_names[cmd];
}

static enum busectl_cmd cmd_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++)
		if (cmd_names[i] && strcmp(cmd_names[i], name) == 0)
			return (enum busectl_cmd)i;
	return BUSECTL_CMD_NONE;
}

/* ------------------------------------------------------------------------
 * Parsing helpers
 */

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen,
						      const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Decimal digits only, no sign, no suffix, <= max: 0 or -1. */
static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

int busectl_parse_index(const char *s, uint32_t *out)
{
	uint64_t v;

	if (!s || parse_uint(s, BUSE_MAX_INDEX, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* ------------------------------------------------------------------------
 * Option tables
 */

enum opt_kind {
	K_HELP,	 /* -h, --help */
	K_JSON,	 /* list, info, version: --json */
	K_FORCE, /* remove: --force */
	/* add: */
	K_FLAG,	      /* sets flag in flags */
	K_COUNT,      /* an integer in [min, max], a __u32 member */
	K_SIZE,	      /* a size, a __u64 member */
	K_BLOCK_SIZE, /* a power of two, BUSE_{MIN,MAX}_BLOCK_SIZE */
	K_MAX_IO,     /* a multiple of BUSE_MIN_MAX_IO up to BUSE_MAX_MAX_IO */
	K_SECONDS,    /* 0..BUSE_MAX_TIMEOUT, a __u32 member */
	K_LBS_MULTIPLE, /* a multiple of the logical block size in [min, max] */
	K_LBS_POW2,	/* a power of two in [min, max] */
	K_OWNER,	/* USER[:GROUP] */
	K_SERIAL,	/* 1..BUSE_SERIAL_MAX of [A-Za-z0-9_.:-] */
};

/*
 * Bounds of K_LBS_* that depend on the logical block size in effect, which
 * is known once every option is: these two stand for it and for
 * BUSE_MAX_NODATA_BYTES() of it.
 */
#define LIM_LBS UINT64_MAX
#define LIM_NODATA (UINT64_MAX - 1)

/* A value that the help text of an option shows: see render_help(). */
struct help_arg {
	enum { H_END = 0, H_NUM, H_SIZE, H_POW2_LIST } how;
	uint64_t v, v2; /* H_POW2_LIST: from v to v2 */
};

#define H_NUM(x)              \
	{                     \
		H_NUM, (x), 0 \
	}
#define H_SIZE(x)              \
	{                      \
		H_SIZE, (x), 0 \
	}
#define H_POW2_LIST(lo, hi)             \
	{                               \
		H_POW2_LIST, (lo), (hi) \
	}

/* 4G minus the longest request without data: what is left of a __u32. */
#define NODATA_GAP(lbs) (((uint64_t)1 << 32) - BUSE_MAX_NODATA_BYTES(lbs))

/* The first members of an option, designated (the others default to 0). */
#define OPT(n, s, m, k) \
	.name = (n), .short_name = (s), .metavar = (m), .kind = (k)

#define DEV_OFF32(m) BUSECTL_MEMBER_OFF(struct buse_dev_info, m, 4)
#define DEV_OFF64(m) BUSECTL_MEMBER_OFF(struct buse_dev_info, m, 8)

struct opt_spec {
	const char *name;    /* without the leading "--" */
	char short_name;     /* "-x", or 0 */
	const char *metavar; /* the value in the help ("SIZE"); NULL: none */
	enum opt_kind kind;
	const char *what;    /* the value in messages: "queue depth" */
	size_t off;	     /* its member of struct buse_dev_info */
	uint32_t flag;	     /* K_FLAG: BUSE_DEV_F_* */
	uint64_t min, max;   /* K_COUNT, K_LBS_*: the range; K_SIZE: max */
	const char *zero;    /* K_SECONDS: what 0 means */
	const char *section; /* help: a heading before it ("": a blank line) */
	/*
	 * Help: lines after the first are indented under it; each "{}"
	 * stands for the next of args.
	 */
	const char *help;
	struct help_arg args[4];
};

/* "busectl add": the order of the help. */
enum add_opt_id {
	A_SIZE,
	A_LBS,
	A_PBS,
	A_QUEUES,
	A_POLL_QUEUES,
	A_DEPTH,
	A_MAX_IO,
	A_READ_ONLY,
	A_ROTATIONAL,
	A_NO_WRITE_CACHE,
	A_NO_PARTSCAN,
	A_IO_MIN,
	A_IO_OPT,
	A_MAX_DISCARD,
	A_MAX_WRITE_ZEROES,
	A_DISCARD_GRANULARITY,
	A_TIMEOUT,
	A_RECOVERABLE,
	A_RECOVERY_TIMEOUT,
	A_OWNER,
	A_PARTSCAN,
	A_SERIAL,
	A_HELP,
	NR_ADD_OPTS
};

static const struct opt_spec add_opts[NR_ADD_OPTS + 1] = {
	[A_SIZE] = {
		OPT("size", 0, "SIZE", K_SIZE), .what = "size",
		.off = DEV_OFF64(size), .max = BUSE_MAX_SIZE,
		.help = "capacity in bytes, a multiple of the logical\n"
			"block size (default 0: the first server to\n"
			"attach sets it)",
	},
	[A_LBS] = {
		OPT("logical-block-size", 0, "B", K_BLOCK_SIZE),
		.what = "logical block size",
		.off = DEV_OFF32(logical_block_size),
		.help = "{} (default {})",
		.args = { H_POW2_LIST(BUSE_MIN_BLOCK_SIZE, BUSE_MAX_BLOCK_SIZE),
			  H_NUM(BUSE_DEF_BLOCK_SIZE) },
	},
	[A_PBS] = {
		OPT("physical-block-size", 0, "B", K_BLOCK_SIZE),
		.what = "physical block size",
		.off = DEV_OFF32(physical_block_size),
		.help = "power of two >= the logical block size,\n"
			"<= {} (default: the logical block size)",
		.args = { H_NUM(BUSE_MAX_BLOCK_SIZE) },
	},
	[A_QUEUES] = {
		OPT("queues", 0, "Q", K_COUNT), .what = "number of queues",
		.off = DEV_OFF32(nr_queues), .min = 1, .max = BUSE_MAX_QUEUES,
		.help = "hardware queues, {}..{} (default: one per\n"
			"online CPU, fewer if their buffers of\n"
			"depth x max-io each would exceed 1/16 of\n"
			"RAM).  Each costs depth x max-io bytes of\n"
			"memory once a server attaches, and a\n"
			"server thread (which libbdus spins for up\n"
			"to its polling window after each batch:\n"
			"CPU time only while I/O keeps coming)",
		.args = { H_NUM(1), H_NUM(BUSE_MAX_QUEUES) },
	},
	[A_POLL_QUEUES] = {
		OPT("poll-queues", 0, "P", K_COUNT),
		.what = "number of poll queues",
		.off = DEV_OFF32(nr_poll_queues), .min = 0,
		.max = BUSE_MAX_QUEUES,
		.help = "polled queues for io_uring IOPOLL and\n"
			"RWF_HIPRI I/O, {}..{} (default 0: such I/O\n"
			"uses the queues above).  The submitting\n"
			"thread spins until its request is done\n"
			"(a CPU per polling submitter, and the\n"
			"server thread spins while they poll), for\n"
			"the lowest latency",
		.args = { H_NUM(0), H_NUM(BUSE_MAX_QUEUES) },
	},
	[A_DEPTH] = {
		OPT("depth", 0, "D", K_COUNT), .what = "queue depth",
		.off = DEV_OFF32(queue_depth), .min = 1, .max = BUSE_MAX_DEPTH,
		.help = "requests per queue, {}..{} (default {})",
		.args = { H_NUM(1), H_NUM(BUSE_MAX_DEPTH),
			  H_NUM(BUSE_DEF_DEPTH) },
	},
	[A_MAX_IO] = {
		OPT("max-io", 0, "SIZE", K_MAX_IO), .what = "max I/O size",
		.off = DEV_OFF32(max_io),
		.help = "largest request, a multiple of {} in\n"
			"{}..{} (default {})",
		.args = { H_NUM(BUSE_MIN_MAX_IO), H_SIZE(BUSE_MIN_MAX_IO),
			  H_SIZE(BUSE_MAX_MAX_IO), H_SIZE(BUSE_DEF_MAX_IO) },
	},
	[A_READ_ONLY] = {
		OPT("read-only", 0, NULL, K_FLAG), .flag = BUSE_DEV_F_READ_ONLY,
		.help = "create a read-only device",
	},
	[A_ROTATIONAL] = {
		OPT("rotational", 0, NULL, K_FLAG),
		.flag = BUSE_DEV_F_ROTATIONAL,
		.help = "advertise a rotational disk (default:\n"
			"non-rotational)",
	},
	[A_NO_WRITE_CACHE] = {
		OPT("no-write-cache", 0, NULL, K_FLAG),
		.flag = BUSE_DEV_F_NO_WRITE_CACHE,
		.help = "never advertise a volatile write cache",
	},
	[A_NO_PARTSCAN] = {
		OPT("no-partscan", 0, NULL, K_FLAG),
		.flag = BUSE_DEV_F_NO_PARTSCAN,
		.help = "do not scan the device for partitions",
	},
	[A_IO_MIN] = {
		OPT("io-min", 0, "SIZE", K_LBS_MULTIPLE),
		.what = "minimum I/O size",
		.off = DEV_OFF32(io_min), .min = LIM_LBS,
		.max = BUSE_MAX_IO_HINT,
		.section = "I/O hints and limits (omitted: the driver's "
			   "default):",
		.help = "minimum efficient I/O size, a multiple of\n"
			"the logical block size up to {} (default:\n"
			"the physical block size)",
		.args = { H_SIZE(BUSE_MAX_IO_HINT) },
	},
	[A_IO_OPT] = {
		OPT("io-opt", 0, "SIZE", K_LBS_MULTIPLE),
		.what = "optimal I/O size",
		.off = DEV_OFF32(io_opt), .min = 0, .max = BUSE_MAX_IO_HINT,
		.help = "optimal I/O size, a multiple of the logical\n"
			"block size up to {} (default 0: none)",
		.args = { H_SIZE(BUSE_MAX_IO_HINT) },
	},
	[A_MAX_DISCARD] = {
		OPT("max-discard", 0, "SIZE", K_LBS_MULTIPLE),
		.what = "max discard size",
		.off = DEV_OFF32(max_discard), .min = LIM_LBS,
		.max = LIM_NODATA,
		.help = "largest DISCARD, a multiple of the logical\n"
			"block size below 4G: at most 4G - {}, or\n"
			"4G - {} with {} blocks (default: the\n"
			"maximum)",
		.args = { H_NUM(NODATA_GAP(BUSE_MIN_BLOCK_SIZE)),
			  H_NUM(NODATA_GAP(BUSE_MAX_BLOCK_SIZE)),
			  H_SIZE(BUSE_MAX_BLOCK_SIZE) },
	},
	[A_MAX_WRITE_ZEROES] = {
		OPT("max-write-zeroes", 0, "SIZE", K_LBS_MULTIPLE),
		.what = "max write-zeroes size",
		.off = DEV_OFF32(max_write_zeroes),
		.min = LIM_LBS, .max = LIM_NODATA,
		.help = "largest WRITE_ZEROES, as --max-discard",
	},
	[A_DISCARD_GRANULARITY] = {
		OPT("discard-granularity", 0, "SIZE", K_LBS_POW2),
		.what = "discard granularity",
		.off = DEV_OFF32(discard_granularity),
		.min = LIM_LBS, .max = BUSE_MAX_IO_HINT,
		.help = "a power of two from the logical block size\n"
			"to {} (default: the logical block size)",
		.args = { H_SIZE(BUSE_MAX_IO_HINT) },
	},
	[A_TIMEOUT] = {
		OPT("timeout", 0, "SECONDS", K_SECONDS), .what = "timeout",
		.off = DEV_OFF32(timeout), .zero = "no limit",
		.section = "Failures and ownership:",
		.help = "fail a request the server has not answered\n"
			"in SECONDS, 0..{} (default 0: never)",
		.args = { H_NUM(BUSE_MAX_TIMEOUT) },
	},
	[A_RECOVERABLE] = {
		OPT("recoverable", 0, NULL, K_FLAG),
		.flag = BUSE_DEV_F_RECOVERABLE,
		.help = "when the server goes away, I/O waits for\n"
			"the next one instead of failing",
	},
	[A_RECOVERY_TIMEOUT] = {
		OPT("recovery-timeout", 0, "SECONDS", K_SECONDS),
		.what = "recovery timeout", .off = DEV_OFF32(recovery_timeout),
		.zero = "wait forever",
		.help = "with --recoverable: fail the waiting I/O\n"
			"after SECONDS without a server, 0..{}\n"
			"(default 0: wait forever)",
		.args = { H_NUM(BUSE_MAX_TIMEOUT) },
	},
	[A_OWNER] = {
		OPT("owner", 0, "USER[:GROUP]", K_OWNER),
		.help = "let USER, or the members of GROUP, serve,\n"
			"inspect and remove the device; names or\n"
			"numeric ids (digits only).  Only they and\n"
			"root may open it, and its partition table\n"
			"is not scanned, unless --partscan",
	},
	[A_PARTSCAN] = {
		OPT("partscan", 0, NULL, K_FLAG), .flag = BUSE_DEV_F_PARTSCAN,
		.help = "with --owner: scan the owner's partition\n"
			"table anyway (root's tools will parse it)",
	},
	[A_SERIAL] = {
		OPT("serial", 0, "NAME", K_SERIAL), .what = "serial",
		.help = "a stable name: /dev/disk/by-id/buse-NAME\n"
			"(udev rule); up to {} of A-Z a-z 0-9 _ . : -",
		.args = { H_NUM(BUSE_SERIAL_MAX) },
	},
	[A_HELP] = {
		OPT("help", 'h', NULL, K_HELP), .section = "",
		.help = "show this help",
	},
	[NR_ADD_OPTS] = { NULL },
};

static const struct opt_spec json_opts[] = {
	{ OPT("json", 0, NULL, K_JSON) },
	{ OPT("help", 'h', NULL, K_HELP) },
	{ NULL },
};

static const struct opt_spec remove_opts[] = {
	{ OPT("force", 0, NULL, K_FORCE) },
	{ OPT("help", 'h', NULL, K_HELP) },
	{ NULL },
};

/* ------------------------------------------------------------------------
 * The help of "busectl add", from add_opts
 */

static const char add_usage_head[] =
	"Usage: busectl add [N] [options]\n"
	"\n"
	"Create a buse device.  With N, device N (0..{}); without N, the\n"
	"first free index.  The index is printed on stdout.\n"
	"\n"
	"SIZE is a number of bytes with an optional suffix: K, M, G, T, P, E\n"
	"(or KiB .. EiB) are powers of 1024 (1K = 1024), KB, MB, GB, TB, PB, EB\n"
	"powers of 1000 (1KB = 1000).\n"
	"\n"
	"Options:\n";

/* Where the help of an option starts. */
#define HELP_COLUMN 30

struct sbuf {
	char *buf;
	size_t len, size; /* len < size: buf is always a string */
};

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *sb,
							    const char *fmt,
							    ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, sb->size - sb->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->len += (size_t)n < sb->size - sb->len
				   ? (size_t)n
				   : sb->size - sb->len - 1;
}

static void render_arg(struct sbuf *sb, const struct help_arg *a)
{
	char buf[32];
	uint64_t v;

	switch (a->how) {
	case H_NUM:
		sb_printf(sb, "%" PRIu64, a->v);
		break;
	case H_SIZE:
		sb_printf(sb, "%s",
			  busectl_format_size(a->v, buf, sizeof(buf)));
		break;
	case H_POW2_LIST: /* "512, 1024, 2048 or 4096" */
		for (v = a->v; v <= a->v2; v *= 2)
			sb_printf(sb, "%s%" PRIu64,
				  v == a->v    ? ""
				  : v == a->v2 ? " or "
					       : ", ",
				  v);
		break;
	case H_END:
		break;
	}
}

/* text, with each "{}" replaced by the next of args, and each line break
 * followed by indent spaces. */
static void render_help(struct sbuf *sb, const char *text,
			const struct help_arg *args, size_t nr_args, int indent)
{
	size_t i = 0;

	for (; *text; text++) {
		if (text[0] == '{' && text[1] == '}' && i < nr_args) {
			render_arg(sb, &args[i++]);
			text++;
		} else if (*text == '\n') {
			sb_printf(sb, "\n%*s", indent, "");
		} else {
			sb_printf(sb, "%c", *text);
		}
	}
}

static const char *add_usage(void)
{
	static char buf[8192];
	static const struct help_arg max_index = H_NUM(BUSE_MAX_INDEX);
	struct sbuf sb = { buf, 0, sizeof(buf) };
	const struct opt_spec *o;
	char label[64];

	if (buf[0])
		return buf;
	render_help(&sb, add_usage_head, &max_index, 1, 0);
	for (o = add_opts; o->name; o++) {
		if (o->section)
			sb_printf(&sb, "\n%s%s", o->section,
				  o->section[0] ? "\n" : "");
		if (o->short_name)
			snprintf(label, sizeof(label), "-%c, --%s",
				 o->short_name, o->name);
		else
			snprintf(label, sizeof(label), "--%s%s%s", o->name,
				 o->metavar ? " " : "",
				 o->metavar ? o->metavar : "");
		sb_printf(&sb, "  %-*s", HELP_COLUMN - 2, label);
		render_help(&sb, o->help, o->args, ARRAY_SIZE(o->args),
			    HELP_COLUMN);
		sb_printf(&sb, "\n");
	}
	return buf;
}

/* ------------------------------------------------------------------------
 * Options and positionals
 */

/* One option or positional argument, as returned by next_arg(). */
struct arg {
	const struct opt_spec *opt; /* NULL: a positional */
	const char *name;	    /* option as typed (without "=value") */
	const char *value;	    /* option's value, or the positional */
};

struct arg_iter {
	int argc;
	char **argv;
	int i;
	int no_more_opts; /* after "--" */
	const char *cmd;
	const struct opt_spec *opts;
	char namebuf[64];
};

/* The option of opts called "--name", or "-c" when name is NULL. */
static const struct opt_spec *find_opt(const struct opt_spec *opts,
				       const char *name, char c)
{
	for (; opts->name; opts++)
		if (name ? strcmp(opts->name, name) == 0
			 : c && opts->short_name == c)
			return opts;
	return NULL;
}

/* 1 and *a filled, 0 at the end, -1 on error (message in err). */
static int next_arg(struct arg_iter *it, struct arg *a, char *err,
		    size_t errlen)
{
	const char *s, *eq;
	size_t nlen;

	for (;;) {
		if (it->i >= it->argc)
			return 0;
		s = it->argv[it->i++];
		if (!it->no_more_opts && strcmp(s, "--") == 0) {
			it->no_more_opts = 1;
			continue;
		}
		break;
	}
	memset(a, 0, sizeof(*a));
	/* Positional: "-" followed by a digit too, so "-1" is a bad index. */
	if (it->no_more_opts || s[0] != '-' || s[1] == '\0' ||
	    (s[1] >= '0' && s[1] <= '9')) {
		a->value = s;
		return 1;
	}
	if (s[1] != '-') { /* "-x": a short option, without a value */
		a->opt = s[2] ? NULL : find_opt(it->opts, NULL, s[1]);
		a->name = s;
		if (!a->opt)
			return fail(err, errlen,
				    "%s: unknown option '%s' (try 'busectl %s "
				    "--help')",
				    it->cmd, s, it->cmd);
		return 1;
	}

	eq = strchr(s, '=');
	nlen = eq ? (size_t)(eq - s) : strlen(s);
	if (nlen >= sizeof(it->namebuf))
		nlen = sizeof(it->namebuf) - 1;
	memcpy(it->namebuf, s, nlen);
	it->namebuf[nlen] = '\0';
	a->name = it->namebuf;

	a->opt = find_opt(it->opts, it->namebuf + 2, 0);
	if (!a->opt)
		return fail(err, errlen,
			    "%s: unknown option '%s' (try 'busectl %s --help')",
			    it->cmd, it->namebuf, it->cmd);
	if (!a->opt->metavar) {
		if (eq)
			return fail(err, errlen,
				    "%s: option '%s' takes no value", it->cmd,
				    it->namebuf);
		return 1;
	}
	if (eq) {
		a->value = eq + 1;
	} else {
		if (it->i >= it->argc)
			return fail(err, errlen,
				    "%s: option '%s' requires a value", it->cmd,
				    it->namebuf);
		a->value = it->argv[it->i++];
	}
	return 1;
}

/* Is -h/--help among the options?  (Help wins over any other error.) */
static int wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

static int parse_size_opt(const char *cmd, const char *what, const char *opt,
			  const char *s, uint64_t *out, char *err,
			  size_t errlen)
{
	int ret = bdus_parse_size(s, out);

	if (ret == -ERANGE)
		return fail(err, errlen,
			    "%s: %s '%s' (%s) is too large: more than 2^64 - 1 "
			    "bytes",
			    cmd, what, s, opt);
	if (ret < 0)
		return fail(err, errlen,
			    "%s: invalid %s '%s' (%s): expected a number of "
			    "bytes with an optional suffix K, M, G, T, P, E "
			    "(or KiB .. EiB: powers of 1024) or KB .. EB "
			    "(powers of 1000), e.g. 256M",
			    cmd, what, s, opt);
	return 0;
}
/* ------------------------------------------------------------------------
 * --owner USER[:GROUP]
 */

/* One half of USER[:GROUP]: a numeric id or a name. */
static int parse_owner_part(const char *whole, const char *opt,
			    const char *kind, const char *s, size_t len,
			    char *name, uint32_t *id, char *err, size_t errlen)
{
	char buf[BUSECTL_NAME_MAX];
	uint64_t v;
	size_t i;

	if (len >= sizeof(buf))
		return fail(err, errlen,
			    "add: invalid owner '%s' (%s): the %s name is "
			    "longer than %d characters",
			    whole, opt, kind, BUSECTL_NAME_MAX - 1);
	memcpy(buf, s, len);
	buf[len] = '\0';
	for (i = 0; i < len; i++)
		if (buf[i] < '0' || buf[i] > '9')
			break;
	if (i < len) { /* a name */
		memcpy(name, buf, len + 1);
		*id = 0;
		return 0;
	}
	if (parse_uint(buf, BUSECTL_MAX_ID, &v) < 0)
		return fail(err, errlen,
			    "add: invalid owner '%s' (%s): %s id %s is out of "
			    "range (0..%u)",
			    whole, opt, kind, buf, BUSECTL_MAX_ID);
	name[0] = '\0';
	*id = (uint32_t)v;
	return 0;
}

int busectl_parse_owner(const char *s, const char *opt,
			struct busectl_owner *out, char *err, size_t errlen)
{
	struct busectl_owner o;
	const char *colon;
	size_t ulen;

	memset(&o, 0, sizeof(o));
	if (!s || !*s)
		return fail(err, errlen,
			    "add: invalid owner '%s' (%s): expected "
			    "USER[:GROUP], each a name or a numeric id",
			    s ? s : "", opt);
	colon = strchr(s, ':');
	ulen = colon ? (size_t)(colon - s) : strlen(s);
	if (!ulen)
		return fail(err, errlen,
			    "add: invalid owner '%s' (%s): the user before ':' "
			    "is missing",
			    s, opt);
	if (colon && strchr(colon + 1, ':'))
		return fail(err, errlen,
			    "add: invalid owner '%s' (%s): expected "
			    "USER[:GROUP], with one ':' at most",
			    s, opt);
	if (colon && !colon[1])
		return fail(err, errlen,
			    "add: invalid owner '%s' (%s): the group after ':' "
			    "is missing",
			    s, opt);
	if (parse_owner_part(s, opt, "user", s, ulen, o.user, &o.uid, err,
			     errlen) < 0)
		return -1;
	if (colon) {
		o.has_group = true;
		if (parse_owner_part(s, opt, "group", colon + 1,
				     strlen(colon + 1), o.group, &o.gid, err,
				     errlen) < 0)
			return -1;
	}
	o.set = true;
	*out = o;
	return 0;
}

/*
 * The id of name (kind "user" or "group") into *id: 0, or an exit status
 * with a message.
 */
static int lookup_id(busectl_lookup_fn lookup, const char *kind,
		     const char *name, uint32_t *id, char *err, size_t errlen)
{
	int ret = lookup(name, id);

	if (ret > 0) {
		fail(err, errlen, "add: unknown %s '%s' (--owner)", kind, name);
		return BUSECTL_EXIT_USAGE;
	}
	if (ret < 0) {
		fail(err, errlen, "add: cannot look up %s '%s' (--owner): %s",
		     kind, name, strerror(-ret));
		return BUSECTL_EXIT_FAIL;
	}
	return 0;
}

/* The ids of *o, looking its names up. */
int busectl_owner_apply(const struct busectl_owner *o,
			struct buse_dev_info *info, busectl_lookup_fn user,
			busectl_lookup_fn group, char *err, size_t errlen)
{
	uint32_t uid = o->uid, gid = o->has_group ? o->gid : BUSE_NO_GROUP;
	int ret;

	if (!o->set)
		return 0;
	if (o->user[0]) {
		ret = lookup_id(user, "user", o->user, &uid, err, errlen);
		if (ret)
			return ret;
	}
	if (o->has_group && o->group[0]) {
		ret = lookup_id(group, "group", o->group, &gid, err, errlen);
		if (ret)
			return ret;
	}
	/* (uid_t)-1 and (gid_t)-1 are not ids; the latter is BUSE_NO_GROUP */
	if (uid > BUSECTL_MAX_ID || (o->has_group && gid > BUSECTL_MAX_ID)) {
		fail(err, errlen,
		     "add: invalid owner (--owner): id out of "
		     "range (0..%u)",
		     BUSECTL_MAX_ID);
		return BUSECTL_EXIT_USAGE;
	}
	info->flags |= BUSE_DEV_F_OWNER;
	info->owner_uid = uid;
	info->owner_gid = gid;
	return 0;
}

/* ------------------------------------------------------------------------
 * add
 */

/* "busectl add" being parsed. */
struct add_state {
	struct buse_dev_info info;
	struct busectl_owner owner;
	const char *index_arg;		/* N as typed, or NULL */
	const char *given[NR_ADD_OPTS]; /* each option's value as typed
					   ("" for a flag), or NULL */
	uint64_t size[NR_ADD_OPTS];	/* K_LBS_*: the size, checked later */
};

static void set_u32(struct buse_dev_info *info, size_t off, uint64_t v)
{
	uint32_t x = (uint32_t)v;

	memcpy((char *)info + off, &x, sizeof(x));
}

static void set_u64(struct buse_dev_info *info, size_t off, uint64_t v)
{
	memcpy((char *)info + off, &v, sizeof(v));
}

static int parse_count(const struct opt_spec *o, const struct arg *a,
		       uint64_t *v, char *err, size_t errlen)
{
	if (parse_uint(a->value, o->max, v) < 0 || *v < o->min)
		return fail(err, errlen,
			    "add: invalid %s '%s' (%s): must be an integer "
			    "between %" PRIu64 " and %" PRIu64,
			    o->what, a->value, a->name, o->min, o->max);
	return 0;
}

static int check_block_size(const struct opt_spec *o, const struct arg *a,
			    uint64_t v, char *err, size_t errlen)
{
	if (!is_pow2(v) || v < BUSE_MIN_BLOCK_SIZE || v > BUSE_MAX_BLOCK_SIZE)
		return fail(err, errlen,
			    "add: invalid %s '%s' (%s): must be a power of two "
			    "between %u and %u",
			    o->what, a->value, a->name, BUSE_MIN_BLOCK_SIZE,
			    BUSE_MAX_BLOCK_SIZE);
	return 0;
}

static int check_max_io(const struct opt_spec *o, const struct arg *a,
			uint64_t v, char *err, size_t errlen)
{
	char lo[32], hi[32];

	if (v % BUSE_MIN_MAX_IO == 0 && v >= BUSE_MIN_MAX_IO &&
	    v <= BUSE_MAX_MAX_IO)
		return 0;
	return fail(err, errlen,
		    "add: invalid %s '%s' (%s): must be a multiple of %u "
		    "between %u (%s) and %u (%s)",
		    o->what, a->value, a->name, BUSE_MIN_MAX_IO,
		    BUSE_MIN_MAX_IO,
		    busectl_format_size(BUSE_MIN_MAX_IO, lo, sizeof(lo)),
		    BUSE_MAX_MAX_IO,
		    busectl_format_size(BUSE_MAX_MAX_IO, hi, sizeof(hi)));
}

static int parse_seconds(const struct opt_spec *o, const struct arg *a,
			 uint64_t *v, char *err, size_t errlen)
{
	if (parse_uint(a->value, BUSE_MAX_TIMEOUT, v) < 0)
		return fail(err, errlen,
			    "add: invalid %s '%s' (%s): must be a whole number "
			    "of seconds between 0 and %u (0: %s)",
			    o->what, a->value, a->name, BUSE_MAX_TIMEOUT,
			    o->zero);
	return 0;
}

static int parse_serial(const struct arg *a, struct buse_dev_info *info,
			char *err, size_t errlen)
{
	size_t i, len = strlen(a->value);

	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)a->value[i]) &&
		    !strchr("_.:-", a->value[i]))
			break;
	if (!len || len > BUSE_SERIAL_MAX || i < len)
		return fail(err, errlen,
			    "add: invalid serial '%s' (--serial): 1 to %d "
			    "characters of A-Z a-z 0-9 _ . : -",
			    a->value, BUSE_SERIAL_MAX);
	memset(info->serial, 0, sizeof(info->serial));
	memcpy(info->serial, a->value, len);
	return 0;
}

/* One option of "add", as its kind says; 0 or -1. */
static int add_option(struct add_state *st, const struct arg *a, char *err,
		      size_t errlen)
{
	const struct opt_spec *o = a->opt;
	size_t id = (size_t)(o - add_opts);
	uint64_t v = 0;

	switch (o->kind) {
	case K_FLAG:
		st->info.flags |= o->flag;
		break;
	case K_COUNT:
		if (parse_count(o, a, &v, err, errlen) < 0)
			return -1;
		set_u32(&st->info, o->off, v);
		break;
	case K_SECONDS:
		if (parse_seconds(o, a, &v, err, errlen) < 0)
			return -1;
		set_u32(&st->info, o->off, v);
		break;
	case K_SIZE:
		if (parse_size_opt("add", o->what, a->name, a->value, &v, err,
				   errlen) < 0)
			return -1;
		if (v > o->max) {
			char hi[32];

			return fail(
				err, errlen,
				"add: invalid %s '%s' (%s): at most %llu "
				"(%s)",
				o->what, a->value, a->name,
				(unsigned long long)o->max,
				busectl_format_size(o->max, hi, sizeof(hi)));
		}
		set_u64(&st->info, o->off, v);
		break;
	case K_BLOCK_SIZE:
	case K_MAX_IO:
		if (parse_size_opt("add", o->what, a->name, a->value, &v, err,
				   errlen) < 0)
			return -1;
		if (o->kind == K_BLOCK_SIZE
			    ? check_block_size(o, a, v, err, errlen) < 0
			    : check_max_io(o, a, v, err, errlen) < 0)
			return -1;
		set_u32(&st->info, o->off, v);
		break;
	case K_LBS_MULTIPLE:
	case K_LBS_POW2: /* the range depends on the block size: later */
		if (parse_size_opt("add", o->what, a->name, a->value, &v, err,
				   errlen) < 0)
			return -1;
		st->size[id] = v;
		break;
	case K_OWNER:
		if (busectl_parse_owner(a->value, a->name, &st->owner, err,
					errlen) < 0)
			return -1;
		break;
	case K_SERIAL:
		if (parse_serial(a, &st->info, err, errlen) < 0)
			return -1;
		break;
	default:
		return fail(err, errlen, "add: unexpected option '%s'",
			    a->name);
	}
	st->given[id] = a->value ? a->value : "";
	return 0;
}

static int add_index(struct add_state *st, const char *s, char *err,
		     size_t errlen)
{
	if (st->index_arg)
		return fail(err, errlen,
			    "add: unexpected argument '%s' (the index is "
			    "already '%s')",
			    s, st->index_arg);
	st->index_arg = s;
	if (busectl_parse_index(s, &st->info.index) < 0)
		return fail(err, errlen,
			    "add: invalid device index '%s': must be an "
			    "integer between 0 and %u",
			    s, BUSE_MAX_INDEX);
	return 0;
}

/* min or max of a K_LBS_* option, for the logical block size lbs. */
static uint64_t lbs_limit(uint64_t lim, uint64_t lbs)
{
	return lim == LIM_LBS	   ? lbs
	       : lim == LIM_NODATA ? BUSE_MAX_NODATA_BYTES(lbs)
				   : lim;
}

/* A K_LBS_* option, if given, against the logical block size lbs. */
static int check_lbs_size(const struct add_state *st, enum add_opt_id id,
			  uint64_t lbs, char *err, size_t errlen)
{
	const struct opt_spec *o = &add_opts[id];
	uint64_t v = st->size[id], min = lbs_limit(o->min, lbs),
		 max = lbs_limit(o->max, lbs);
	char maxname[32], human[32];

	if (!st->given[id])
		return 0;
	if (o->kind == K_LBS_POW2 ? is_pow2(v) && v >= min && v <= max
				  : v % lbs == 0 && v >= min && v <= max)
		return 0;
	if (o->max == LIM_NODATA)
		snprintf(maxname, sizeof(maxname), " (4G - %" PRIu64 ")",
			 NODATA_GAP(lbs));
	else
		snprintf(maxname, sizeof(maxname), " (%s)",
			 busectl_format_size(max, human, sizeof(human)));
	if (o->kind == K_LBS_POW2)
		return fail(err, errlen,
			    "add: invalid %s '%s' (--%s): must be a power of "
			    "two between the logical block size (%" PRIu64
			    ") and %" PRIu64 "%s",
			    o->what, st->given[id], o->name, lbs, max, maxname);
	if (min)
		return fail(
			err, errlen,
			"add: invalid %s '%s' (--%s): must be a multiple of "
			"the logical block size (%" PRIu64 ") between %" PRIu64
			" and %" PRIu64 "%s",
			o->what, st->given[id], o->name, lbs, min, max,
			maxname);
	return fail(err, errlen,
		    "add: invalid %s '%s' (--%s): must be a multiple of the "
		    "logical block size (%" PRIu64 ") up to %" PRIu64 "%s",
		    o->what, st->given[id], o->name, lbs, max, maxname);
}

/*
 * The checks that need every option: with the driver's defaults for what
 * was not given.  Fills in what follows from the options.
 */
static int add_cross_checks(struct add_state *st, char *err, size_t errlen)
{
	struct buse_dev_info *info = &st->info;
	uint64_t lbs, depth, max_io;
	char human[32];
	int id;

	lbs = info->logical_block_size ? info->logical_block_size
				       : BUSE_DEF_BLOCK_SIZE;
	if (!info->physical_block_size && info->logical_block_size)
		info->physical_block_size = info->logical_block_size;
	if (info->physical_block_size && info->physical_block_size < lbs)
		return fail(err, errlen,
			    "add: physical block size (%u) must not be smaller "
			    "than the logical block size (%" PRIu64 ")",
			    info->physical_block_size, lbs);
	if (info->size % lbs)
		return fail(err, errlen,
			    "add: size '%s' (%" PRIu64 " bytes) is not a "
			    "multiple of the logical block size (%" PRIu64 ")",
			    st->given[A_SIZE], (uint64_t)info->size, lbs);
	depth = info->queue_depth ? info->queue_depth : BUSE_DEF_DEPTH;
	max_io = info->max_io ? info->max_io : BUSE_DEF_MAX_IO;
	if (depth * max_io > BUSE_MAX_QUEUE_BUFFERS)
		return fail(err, errlen,
			    "add: queue depth (%" PRIu64
			    ") x max I/O size (%" PRIu64 ") = %" PRIu64
			    " bytes of buffers per "
			    "queue, more than the limit of %llu (%s)",
			    depth, max_io, depth * max_io,
			    BUSE_MAX_QUEUE_BUFFERS,
			    busectl_format_size(BUSE_MAX_QUEUE_BUFFERS, human,
						sizeof(human)));

	for (id = 0; id < NR_ADD_OPTS; id++) {
		if (add_opts[id].kind != K_LBS_MULTIPLE &&
		    add_opts[id].kind != K_LBS_POW2)
			continue;
		if (check_lbs_size(st, (enum add_opt_id)id, lbs, err, errlen) <
		    0)
			return -1;
		set_u32(info, add_opts[id].off, st->size[id]);
	}

	if (st->given[A_RECOVERY_TIMEOUT] &&
	    !(info->flags & BUSE_DEV_F_RECOVERABLE))
		return fail(err, errlen,
			    "add: --recovery-timeout requires --recoverable "
			    "(without it, I/O fails at once when the server "
			    "goes away)");

	if (st->owner.set) {
		/* Numeric ids now; names are resolved by the caller. */
		info->flags |= BUSE_DEV_F_OWNER;
		info->owner_uid = st->owner.user[0] ? 0 : st->owner.uid;
		info->owner_gid = !st->owner.has_group ? BUSE_NO_GROUP
				  : st->owner.group[0] ? 0
						       : st->owner.gid;
	}
	return 0;
}

int busectl_parse_add(int argc, char **argv, struct buse_dev_info *out,
		      struct busectl_owner *owner, char *err, size_t errlen)
{
	struct arg_iter it = {
		.argc = argc,
		.argv = argv,
		.i = 1,
		.cmd = "add",
		.opts = add_opts,
	};
	struct add_state st;
	struct arg a;
	int ret;

	if (wants_help(argc, argv))
		return 1;

	memset(&st, 0, sizeof(st));
	st.info.index = BUSE_INDEX_ANY;
	while ((ret = next_arg(&it, &a, err, errlen)) > 0) {
		ret = a.opt ? add_option(&st, &a, err, errlen)
			    : add_index(&st, a.value, err, errlen);
		if (ret < 0)
			return -1;
	}
	if (ret < 0 || add_cross_checks(&st, err, errlen) < 0)
		return -1;
	*out = st.info;
	*owner = st.owner;
	return 0;
}

/* ------------------------------------------------------------------------
 * Whole command line
 */

/* Commands other than add: positional index (or none) and options. */
static int parse_simple(enum busectl_cmd cmd, int argc, char **argv,
			struct busectl_args *out, char *err, size_t errlen)
{
	const char *name = busectl_cmd_name(cmd);
	int want_index = cmd == BUSECTL_CMD_REMOVE || cmd == BUSECTL_CMD_INFO;
	struct arg_iter it = {
		.argc = argc,
		.argv = argv,
		.i = 1,
		.cmd = name,
		.opts = cmd == BUSECTL_CMD_REMOVE ? remove_opts : json_opts,
	};
	const char *index_arg = NULL;
	struct arg a;
	int ret;

	while ((ret = next_arg(&it, &a, err, errlen)) > 0) {
		if (!a.opt) {
			if (!want_index || index_arg)
				return fail(err, errlen,
					    "%s: unexpected argument '%s'",
					    name, a.value);
			index_arg = a.value;
			if (busectl_parse_index(a.value, &out->index) < 0)
				return fail(
					err, errlen,
					"%s: invalid device index '%s': "
					"must be an integer between 0 and %u",
					name, a.value, BUSE_MAX_INDEX);
		} else if (a.opt->kind == K_JSON) {
			out->json = true;
		} else if (a.opt->kind == K_FORCE) {
			out->force = true;
		} else {
			return fail(err, errlen, "%s: unexpected option '%s'",
				    name, a.name);
		}
	}
	if (ret < 0)
		return -1;
	if (want_index && !index_arg)
		return fail(err, errlen, "%s: missing device index N", name);
	return 0;
}

int busectl_parse(int argc, char **argv, struct busectl_args *out, char *err,
		  size_t errlen)
{
	const char *c;
	enum busectl_cmd cmd;
	int ret;

	memset(out, 0, sizeof(*out));
	out->index = BUSE_INDEX_ANY;
	if (err && errlen)
		err[0] = '\0';

	if (argc < 2)
		return fail(err, errlen,
			    "missing command (try 'busectl --help')");
	c = argv[1];
	if (strcmp(c, "--help") == 0 || strcmp(c, "-h") == 0) {
		out->help = true;
		return 0;
	}
	if (strcmp(c, "help") == 0) {
		out->help = true;
		if (argc > 3)
			return fail(err, errlen,
				    "help: unexpected argument '%s'", argv[3]);
		if (argc == 3) {
			out->cmd = cmd_lookup(argv[2]);
			if (out->cmd == BUSECTL_CMD_NONE)
				return fail(err, errlen,
					    "help: unknown command '%s'",
					    argv[2]);
		}
		return 0;
	}
	if (c[0] == '-')
		return fail(err, errlen,
			    "unknown option '%s' (try 'busectl --help')", c);
	cmd = cmd_lookup(c);
	if (cmd == BUSECTL_CMD_NONE)
		return fail(err, errlen,
			    "unknown command '%s' (try 'busectl --help')", c);
	out->cmd = cmd;

	if (wants_help(argc - 1, argv + 1)) {
		out->help = true;
		return 0;
	}
	if (cmd == BUSECTL_CMD_ADD) {
		ret = busectl_parse_add(argc - 1, argv + 1, &out->info,
					&out->owner, err, errlen);
		if (ret < 0)
			return -1;
		out->index = out->info.index;
		return 0;
	}
	return parse_simple(cmd, argc - 1, argv + 1, out, err, errlen);
}
