// SPDX-License-Identifier: MIT
/*
 * busectl_args.c - command-line parsing, validation and output formatting
 * for busectl.  No system calls (output goes to a FILE given by the
 * caller), so unit tests link this file directly.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bdus_ctl.h"
#include "busectl_args.h"

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

static const char usage_add[] =
	"Usage: busectl add [N] [options]\n"
	"\n"
	"Create a buse device.  With N, device N (0..65535); without N, the\n"
	"first free index.  The index is printed on stdout.\n"
	"\n"
	"SIZE is a number of bytes with an optional suffix: K, M, G, T, P, E\n"
	"(or KiB .. EiB) are powers of 1024 (1K = 1024), KB, MB, GB, TB, PB, EB\n"
	"powers of 1000 (1KB = 1000).\n"
	"\n"
	"Options:\n"
	"  --size SIZE                 capacity in bytes, a multiple of the logical\n"
	"                              block size (default 0: the first server to\n"
	"                              attach sets it)\n"
	"  --logical-block-size B      512, 1024, 2048 or 4096 (default 512)\n"
	"  --physical-block-size B     power of two >= the logical block size,\n"
	"                              <= 4096 (default: the logical block size)\n"
	"  --queues Q                  hardware queues, 1..64 (default: one per\n"
	"                              online CPU, fewer if their buffers of\n"
	"                              depth x max-io each would exceed 1/16 of\n"
	"                              RAM).  Each costs depth x max-io bytes of\n"
	"                              memory once a server attaches, and a\n"
	"                              server thread (which libbdus spins for up\n"
	"                              to its polling window after each batch:\n"
	"                              CPU time only while I/O keeps coming)\n"
	"  --poll-queues P             polled queues for io_uring IOPOLL and\n"
	"                              RWF_HIPRI I/O, 0..64 (default 0: such I/O\n"
	"                              uses the queues above).  The submitting\n"
	"                              thread spins until its request is done\n"
	"                              (a CPU per polling submitter, and the\n"
	"                              server thread spins while they poll), for\n"
	"                              the lowest latency\n"
	"  --depth D                   requests per queue, 1..1024 (default 128)\n"
	"  --max-io SIZE               largest request, a multiple of 4096 in\n"
	"                              4K..4M (default 256K)\n"
	"  --read-only                 create a read-only device\n"
	"  --rotational                advertise a rotational disk (default:\n"
	"                              non-rotational)\n"
	"  --no-write-cache            never advertise a volatile write cache\n"
	"  --no-partscan               do not scan the device for partitions\n"
	"\n"
	"I/O hints and limits (omitted: the driver's default):\n"
	"  --io-min SIZE               minimum efficient I/O size, a multiple of\n"
	"                              the logical block size up to 1G (default:\n"
	"                              the physical block size)\n"
	"  --io-opt SIZE               optimal I/O size, a multiple of the logical\n"
	"                              block size up to 1G (default 0: none)\n"
	"  --max-discard SIZE          largest DISCARD, a multiple of the logical\n"
	"                              block size below 4G: at most 4G - 512, or\n"
	"                              4G - 4096 with 4K blocks (default: the\n"
	"                              maximum)\n"
	"  --max-write-zeroes SIZE     largest WRITE_ZEROES, as --max-discard\n"
	"  --discard-granularity SIZE  a power of two from the logical block size\n"
	"                              to 1G (default: the logical block size)\n"
	"\n"
	"Failures and ownership:\n"
	"  --timeout SECONDS           fail a request the server has not answered\n"
	"                              in SECONDS, 0..86400 (default 0: never)\n"
	"  --recoverable               when the server goes away, I/O waits for\n"
	"                              the next one instead of failing\n"
	"  --recovery-timeout SECONDS  with --recoverable: fail the waiting I/O\n"
	"                              after SECONDS without a server, 0..86400\n"
	"                              (default 0: wait forever)\n"
	"  --owner USER[:GROUP]        let USER, or the members of GROUP, serve,\n"
	"                              inspect and remove the device; names or\n"
	"                              numeric ids (digits only).  Only they and\n"
	"                              root may open it, and its partition table\n"
	"                              is not scanned, unless --partscan\n"
	"  --partscan                  with --owner: scan the owner's partition\n"
	"                              table anyway (root's tools will parse it)\n"
	"  --serial NAME               a stable name: /dev/disk/by-id/buse-NAME\n"
	"                              (udev rule); up to 15 of A-Z a-z 0-9 _ . : -\n"
	"\n"
	"  -h, --help                  show this help\n";

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

static const char usage_info[] =
	"Usage: busectl info N [--json]\n"
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
	case BUSECTL_CMD_ADD:		return usage_add;
	case BUSECTL_CMD_REMOVE:	return usage_remove;
	case BUSECTL_CMD_LIST:		return usage_list;
	case BUSECTL_CMD_INFO:		return usage_info;
	case BUSECTL_CMD_VERSION:	return usage_version;
	case BUSECTL_CMD_NONE:
	default:			return usage_general;
	}
}

static const char *const cmd_names[] = {
	[BUSECTL_CMD_ADD]	= "add",
	[BUSECTL_CMD_REMOVE]	= "remove",
	[BUSECTL_CMD_LIST]	= "list",
	[BUSECTL_CMD_INFO]	= "info",
	[BUSECTL_CMD_VERSION]	= "version",
};

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

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
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

enum opt_id {
	OPT_POSITIONAL = 0,
	OPT_HELP,
	OPT_JSON,
	OPT_SIZE,
	OPT_LBS,
	OPT_PBS,
	OPT_QUEUES,
	OPT_POLL_QUEUES,
	OPT_DEPTH,
	OPT_MAX_IO,
	OPT_READ_ONLY,
	OPT_ROTATIONAL,
	OPT_NO_WRITE_CACHE,
	OPT_NO_PARTSCAN,
	OPT_PARTSCAN,
	OPT_SERIAL,
	OPT_IO_MIN,
	OPT_IO_OPT,
	OPT_MAX_DISCARD,
	OPT_MAX_WRITE_ZEROES,
	OPT_DISCARD_GRANULARITY,
	OPT_TIMEOUT,
	OPT_RECOVERABLE,
	OPT_RECOVERY_TIMEOUT,
	OPT_OWNER,
	OPT_FORCE,
};

struct opt_spec {
	const char *name;	/* without the leading "--" */
	int has_arg;
	enum opt_id id;
};

static const struct opt_spec add_opts[] = {
	{ "size",		 1, OPT_SIZE },
	{ "logical-block-size",	 1, OPT_LBS },
	{ "physical-block-size", 1, OPT_PBS },
	{ "queues",		 1, OPT_QUEUES },
	{ "poll-queues",	 1, OPT_POLL_QUEUES },
	{ "depth",		 1, OPT_DEPTH },
	{ "max-io",		 1, OPT_MAX_IO },
	{ "read-only",		 0, OPT_READ_ONLY },
	{ "rotational",		 0, OPT_ROTATIONAL },
	{ "no-write-cache",	 0, OPT_NO_WRITE_CACHE },
	{ "no-partscan",	 0, OPT_NO_PARTSCAN },
	{ "partscan",		 0, OPT_PARTSCAN },
	{ "serial",		 1, OPT_SERIAL },
	{ "io-min",		 1, OPT_IO_MIN },
	{ "io-opt",		 1, OPT_IO_OPT },
	{ "max-discard",	 1, OPT_MAX_DISCARD },
	{ "max-write-zeroes",	 1, OPT_MAX_WRITE_ZEROES },
	{ "discard-granularity", 1, OPT_DISCARD_GRANULARITY },
	{ "timeout",		 1, OPT_TIMEOUT },
	{ "recoverable",	 0, OPT_RECOVERABLE },
	{ "recovery-timeout",	 1, OPT_RECOVERY_TIMEOUT },
	{ "owner",		 1, OPT_OWNER },
	{ "help",		 0, OPT_HELP },
	{ NULL, 0, 0 },
};

static const struct opt_spec json_opts[] = {
	{ "json",		 0, OPT_JSON },
	{ "help",		 0, OPT_HELP },
	{ NULL, 0, 0 },
};

static const struct opt_spec remove_opts[] = {
	{ "force",		 0, OPT_FORCE },
	{ "help",		 0, OPT_HELP },
	{ NULL, 0, 0 },
};

/* One option or positional argument, as returned by next_arg(). */
struct arg {
	enum opt_id id;		/* OPT_POSITIONAL: a positional */
	const char *name;	/* option as typed (without "=value") */
	const char *value;	/* option's value, or the positional */
};

struct arg_iter {
	int argc;
	char **argv;
	int i;
	int no_more_opts;	/* after "--" */
	const char *cmd;
	const struct opt_spec *opts;
	char namebuf[64];
};

/* 1 and *a filled, 0 at the end, -1 on error (message in err). */
static int next_arg(struct arg_iter *it, struct arg *a, char *err,
		    size_t errlen)
{
	const struct opt_spec *o;
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
	if (strcmp(s, "-h") == 0) {
		a->id = OPT_HELP;
		a->name = s;
		return 1;
	}
	if (s[1] != '-')
		return fail(err, errlen,
			    "%s: unknown option '%s' (try 'busectl %s --help')",
			    it->cmd, s, it->cmd);

	eq = strchr(s, '=');
	nlen = eq ? (size_t)(eq - s) : strlen(s);
	if (nlen >= sizeof(it->namebuf))
		nlen = sizeof(it->namebuf) - 1;
	memcpy(it->namebuf, s, nlen);
	it->namebuf[nlen] = '\0';
	a->name = it->namebuf;

	for (o = it->opts; o->name; o++)
		if (strcmp(o->name, it->namebuf + 2) == 0)
			break;
	if (!o->name)
		return fail(err, errlen,
			    "%s: unknown option '%s' (try 'busectl %s --help')",
			    it->cmd, it->namebuf, it->cmd);
	a->id = o->id;
	if (!o->has_arg) {
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
				    "%s: option '%s' requires a value",
				    it->cmd, it->namebuf);
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
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
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
			    "bytes", cmd, what, s, opt);
	if (ret < 0)
		return fail(err, errlen,
			    "%s: invalid %s '%s' (%s): expected a number of "
			    "bytes with an optional suffix K, M, G, T, P, E "
			    "(or KiB .. EiB: powers of 1024) or KB .. EB "
			    "(powers of 1000), e.g. 256M",
			    cmd, what, s, opt);
	return 0;
}

static int check_block_size(const char *what, const char *opt, const char *s,
			    uint64_t v, char *err, size_t errlen)
{
	if (!is_pow2(v) || v < BUSE_MIN_BLOCK_SIZE || v > BUSE_MAX_BLOCK_SIZE)
		return fail(err, errlen,
			    "add: invalid %s '%s' (%s): must be a power of two "
			    "between %u and %u",
			    what, s, opt, BUSE_MIN_BLOCK_SIZE,
			    BUSE_MAX_BLOCK_SIZE);
	return 0;
}

static int parse_seconds(const char *what, const char *opt, const char *s,
			 const char *zero, uint32_t *out, char *err,
			 size_t errlen)
{
	uint64_t v;

	if (parse_uint(s, BUSE_MAX_TIMEOUT, &v) < 0)
		return fail(err, errlen,
			    "add: invalid %s '%s' (%s): must be a whole number "
			    "of seconds between 0 and %u (0: %s)",
			    what, s, opt, BUSE_MAX_TIMEOUT, zero);
	*out = (uint32_t)v;
	return 0;
}

/*
 * One size option whose limits depend on the logical block size, checked
 * once every option is known.  arg is NULL when it was not given.
 */
struct size_param {
	const char *arg;	/* the value as typed */
	uint64_t v;
};

/* A multiple of lbs in [min, max]: 0, or -1 with a message. */
static int check_multiple(const struct size_param *p, const char *what,
			  const char *optname, uint64_t lbs, uint64_t min,
			  uint64_t max, const char *maxname, char *err,
			  size_t errlen)
{
	if (!p->arg)
		return 0;
	if (p->v % lbs == 0 && p->v >= min && p->v <= max)
		return 0;
	if (min)
		return fail(err, errlen,
			    "add: invalid %s '%s' (%s): must be a multiple of "
			    "the logical block size (%" PRIu64 ") between %"
			    PRIu64 " and %" PRIu64 "%s",
			    what, p->arg, optname, lbs, min, max, maxname);
	return fail(err, errlen,
		    "add: invalid %s '%s' (%s): must be a multiple of the "
		    "logical block size (%" PRIu64 ") up to %" PRIu64 "%s",
		    what, p->arg, optname, lbs, max, maxname);
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
	if (i < len) {		/* a name */
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
		ret = user(o->user, &uid);
		if (ret > 0) {
			fail(err, errlen, "add: unknown user '%s' (--owner)",
			     o->user);
			return BUSECTL_EXIT_USAGE;
		}
		if (ret < 0) {
			fail(err, errlen,
			     "add: cannot look up user '%s' (--owner): %s",
			     o->user, strerror(-ret));
			return BUSECTL_EXIT_FAIL;
		}
	}
	if (o->has_group && o->group[0]) {
		ret = group(o->group, &gid);
		if (ret > 0) {
			fail(err, errlen, "add: unknown group '%s' (--owner)",
			     o->group);
			return BUSECTL_EXIT_USAGE;
		}
		if (ret < 0) {
			fail(err, errlen,
			     "add: cannot look up group '%s' (--owner): %s",
			     o->group, strerror(-ret));
			return BUSECTL_EXIT_FAIL;
		}
	}
	/* (uid_t)-1 and (gid_t)-1 are not ids; the latter is BUSE_NO_GROUP */
	if (uid > BUSECTL_MAX_ID || (o->has_group && gid > BUSECTL_MAX_ID)) {
		fail(err, errlen, "add: invalid owner (--owner): id out of "
		     "range (0..%u)", BUSECTL_MAX_ID);
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

int busectl_parse_add(int argc, char **argv, struct buse_dev_info *out,
		      struct busectl_owner *owner, char *err, size_t errlen)
{
	struct arg_iter it = {
		.argc = argc, .argv = argv, .i = 1, .cmd = "add",
		.opts = add_opts,
	};
	struct buse_dev_info info;
	struct busectl_owner own;
	struct size_param io_min = { 0 }, io_opt = { 0 }, max_discard = { 0 },
			  max_wz = { 0 }, gran = { 0 };
	const char *index_arg = NULL, *size_arg = NULL;
	bool recovery_timeout_set = false;
	char nodata_name[32];
	uint64_t v, lbs, depth, max_io, max_nodata;
	struct arg a;
	int ret;

	if (wants_help(argc, argv))
		return 1;

	memset(&info, 0, sizeof(info));
	memset(&own, 0, sizeof(own));
	info.index = BUSE_INDEX_ANY;

	while ((ret = next_arg(&it, &a, err, errlen)) > 0) {
		switch (a.id) {
		case OPT_POSITIONAL:
			if (index_arg)
				return fail(err, errlen,
					    "add: unexpected argument '%s' "
					    "(the index is already '%s')",
					    a.value, index_arg);
			index_arg = a.value;
			if (busectl_parse_index(a.value, &info.index) < 0)
				return fail(err, errlen,
					    "add: invalid device index '%s': "
					    "must be an integer between 0 and %u",
					    a.value, BUSE_MAX_INDEX);
			break;
		case OPT_SIZE:
			if (parse_size_opt("add", "size", a.name, a.value, &v,
					   err, errlen) < 0)
				return -1;
			size_arg = a.value;
			info.size = v;
			break;
		case OPT_LBS:
			if (parse_size_opt("add", "logical block size", a.name,
					   a.value, &v, err, errlen) < 0 ||
			    check_block_size("logical block size", a.name,
					     a.value, v, err, errlen) < 0)
				return -1;
			info.logical_block_size = (uint32_t)v;
			break;
		case OPT_PBS:
			if (parse_size_opt("add", "physical block size", a.name,
					   a.value, &v, err, errlen) < 0 ||
			    check_block_size("physical block size", a.name,
					     a.value, v, err, errlen) < 0)
				return -1;
			info.physical_block_size = (uint32_t)v;
			break;
		case OPT_QUEUES:
			if (parse_uint(a.value, BUSE_MAX_QUEUES, &v) < 0 || !v)
				return fail(err, errlen,
					    "add: invalid number of queues '%s' "
					    "(%s): must be an integer between 1 "
					    "and %u",
					    a.value, a.name, BUSE_MAX_QUEUES);
			info.nr_queues = (uint32_t)v;
			break;
		case OPT_POLL_QUEUES:
			if (parse_uint(a.value, BUSE_MAX_QUEUES, &v) < 0)
				return fail(err, errlen,
					    "add: invalid number of poll queues "
					    "'%s' (%s): must be an integer between "
					    "0 and %u",
					    a.value, a.name, BUSE_MAX_QUEUES);
			info.nr_poll_queues = (uint32_t)v;
			break;
		case OPT_DEPTH:
			if (parse_uint(a.value, BUSE_MAX_DEPTH, &v) < 0 || !v)
				return fail(err, errlen,
					    "add: invalid queue depth '%s' (%s): "
					    "must be an integer between 1 and %u",
					    a.value, a.name, BUSE_MAX_DEPTH);
			info.queue_depth = (uint32_t)v;
			break;
		case OPT_MAX_IO:
			if (parse_size_opt("add", "max I/O size", a.name,
					   a.value, &v, err, errlen) < 0)
				return -1;
			if (v % 4096 || v < BUSE_MIN_MAX_IO ||
			    v > BUSE_MAX_MAX_IO)
				return fail(err, errlen,
					    "add: invalid max I/O size '%s' (%s): "
					    "must be a multiple of 4096 between "
					    "%u (4K) and %u (4M)",
					    a.value, a.name, BUSE_MIN_MAX_IO,
					    BUSE_MAX_MAX_IO);
			info.max_io = (uint32_t)v;
			break;
		case OPT_IO_MIN:
		case OPT_IO_OPT:
		case OPT_MAX_DISCARD:
		case OPT_MAX_WRITE_ZEROES:
		case OPT_DISCARD_GRANULARITY: {
			/* Ranges depend on the logical block size: later. */
			static const char *const what[] = {
				[OPT_IO_MIN] = "minimum I/O size",
				[OPT_IO_OPT] = "optimal I/O size",
				[OPT_MAX_DISCARD] = "max discard size",
				[OPT_MAX_WRITE_ZEROES] = "max write-zeroes size",
				[OPT_DISCARD_GRANULARITY] = "discard granularity",
			};
			struct size_param *p =
				a.id == OPT_IO_MIN ? &io_min :
				a.id == OPT_IO_OPT ? &io_opt :
				a.id == OPT_MAX_DISCARD ? &max_discard :
				a.id == OPT_MAX_WRITE_ZEROES ? &max_wz : &gran;

			if (parse_size_opt("add", what[a.id], a.name, a.value,
					   &v, err, errlen) < 0)
				return -1;
			p->arg = a.value;
			p->v = v;
			break;
		}
		case OPT_TIMEOUT:
			if (parse_seconds("timeout", a.name, a.value,
					  "no limit", &info.timeout, err,
					  errlen) < 0)
				return -1;
			break;
		case OPT_RECOVERY_TIMEOUT:
			if (parse_seconds("recovery timeout", a.name, a.value,
					  "wait forever",
					  &info.recovery_timeout, err,
					  errlen) < 0)
				return -1;
			recovery_timeout_set = true;
			break;
		case OPT_OWNER:
			if (busectl_parse_owner(a.value, a.name, &own, err,
						errlen) < 0)
				return -1;
			break;
		case OPT_READ_ONLY:
			info.flags |= BUSE_DEV_F_READ_ONLY;
			break;
		case OPT_ROTATIONAL:
			info.flags |= BUSE_DEV_F_ROTATIONAL;
			break;
		case OPT_NO_WRITE_CACHE:
			info.flags |= BUSE_DEV_F_NO_WRITE_CACHE;
			break;
		case OPT_NO_PARTSCAN:
			info.flags |= BUSE_DEV_F_NO_PARTSCAN;
			break;
		case OPT_PARTSCAN:
			info.flags |= BUSE_DEV_F_PARTSCAN;
			break;
		case OPT_SERIAL: {
			size_t i, len = strlen(a.value);

			for (i = 0; i < len; i++)
				if (!isalnum((unsigned char)a.value[i]) &&
				    !strchr("_.:-", a.value[i]))
					break;
			if (!len || len > BUSE_SERIAL_MAX || i < len)
				return fail(err, errlen,
					    "add: invalid serial '%s' (--serial): "
					    "1 to %d characters of A-Z a-z 0-9 "
					    "_ . : -", a.value, BUSE_SERIAL_MAX);
			memset(info.serial, 0, sizeof(info.serial));
			memcpy(info.serial, a.value, len);
			break;
		}
		case OPT_RECOVERABLE:
			info.flags |= BUSE_DEV_F_RECOVERABLE;
			break;
		default:
			return fail(err, errlen, "add: unexpected option '%s'",
				    a.name);
		}
	}
	if (ret < 0)
		return -1;

	/* Cross-checks, with the driver's defaults for what was not given. */
	lbs = info.logical_block_size ? info.logical_block_size
				      : BUSE_DEF_BLOCK_SIZE;
	if (!info.physical_block_size && info.logical_block_size)
		info.physical_block_size = info.logical_block_size;
	if (info.physical_block_size && info.physical_block_size < lbs)
		return fail(err, errlen,
			    "add: physical block size (%u) must not be smaller "
			    "than the logical block size (%" PRIu64 ")",
			    info.physical_block_size, lbs);
	if (info.size % lbs)
		return fail(err, errlen,
			    "add: size '%s' (%" PRIu64 " bytes) is not a "
			    "multiple of the logical block size (%" PRIu64 ")",
			    size_arg, (uint64_t)info.size, lbs);
	depth = info.queue_depth ? info.queue_depth : BUSE_DEF_DEPTH;
	max_io = info.max_io ? info.max_io : BUSE_DEF_MAX_IO;
	if (depth * max_io > BUSE_MAX_QUEUE_BUFFERS)
		return fail(err, errlen,
			    "add: queue depth (%" PRIu64 ") x max I/O size (%"
			    PRIu64 ") = %" PRIu64 " bytes of buffers per "
			    "queue, more than the limit of %llu (1G)",
			    depth, max_io, depth * max_io,
			    BUSE_MAX_QUEUE_BUFFERS);

	/*
	 * A request without data carries its length in a __u32: 4G - 512,
	 * rounded down to the logical block size.
	 */
	max_nodata = BUSE_MAX_NODATA_BYTES(lbs);
	snprintf(nodata_name, sizeof(nodata_name), " (4G - %" PRIu64 ")",
		 ((uint64_t)1 << 32) - max_nodata);
	if (check_multiple(&io_min, "minimum I/O size", "--io-min", lbs, lbs,
			   BUSE_MAX_IO_HINT, " (1G)", err, errlen) < 0 ||
	    check_multiple(&io_opt, "optimal I/O size", "--io-opt", lbs, 0,
			   BUSE_MAX_IO_HINT, " (1G)", err, errlen) < 0 ||
	    check_multiple(&max_discard, "max discard size", "--max-discard",
			   lbs, lbs, max_nodata, nodata_name, err, errlen) < 0 ||
	    check_multiple(&max_wz, "max write-zeroes size",
			   "--max-write-zeroes", lbs, lbs, max_nodata,
			   nodata_name, err, errlen) < 0)
		return -1;
	if (gran.arg && (!is_pow2(gran.v) || gran.v < lbs ||
			 gran.v > BUSE_MAX_IO_HINT))
		return fail(err, errlen,
			    "add: invalid discard granularity '%s' "
			    "(--discard-granularity): must be a power of two "
			    "between the logical block size (%" PRIu64 ") and "
			    "%u (1G)",
			    gran.arg, lbs, BUSE_MAX_IO_HINT);
	info.io_min = (uint32_t)io_min.v;
	info.io_opt = (uint32_t)io_opt.v;
	info.max_discard = (uint32_t)max_discard.v;
	info.max_write_zeroes = (uint32_t)max_wz.v;
	info.discard_granularity = (uint32_t)gran.v;

	if (recovery_timeout_set && !(info.flags & BUSE_DEV_F_RECOVERABLE))
		return fail(err, errlen,
			    "add: --recovery-timeout requires --recoverable "
			    "(without it, I/O fails at once when the server "
			    "goes away)");

	if (own.set) {
		/* Numeric ids now; names are resolved by the caller. */
		info.flags |= BUSE_DEV_F_OWNER;
		info.owner_uid = own.user[0] ? 0 : own.uid;
		info.owner_gid = !own.has_group ? BUSE_NO_GROUP :
				 own.group[0] ? 0 : own.gid;
	}

	*out = info;
	*owner = own;
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
		.argc = argc, .argv = argv, .i = 1, .cmd = name,
		.opts = cmd == BUSECTL_CMD_REMOVE ? remove_opts : json_opts,
	};
	const char *index_arg = NULL;
	struct arg a;
	int ret;

	while ((ret = next_arg(&it, &a, err, errlen)) > 0) {
		switch (a.id) {
		case OPT_POSITIONAL:
			if (!want_index || index_arg)
				return fail(err, errlen,
					    "%s: unexpected argument '%s'",
					    name, a.value);
			index_arg = a.value;
			if (busectl_parse_index(a.value, &out->index) < 0)
				return fail(err, errlen,
					    "%s: invalid device index '%s': "
					    "must be an integer between 0 and %u",
					    name, a.value, BUSE_MAX_INDEX);
			break;
		case OPT_JSON:
			out->json = true;
			break;
		case OPT_FORCE:
			out->force = true;
			break;
		default:
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

int busectl_parse(int argc, char **argv, struct busectl_args *out,
		  char *err, size_t errlen)
{
	const char *c;
	enum busectl_cmd cmd;
	int ret;

	memset(out, 0, sizeof(*out));
	out->index = BUSE_INDEX_ANY;
	if (err && errlen)
		err[0] = '\0';

	if (argc < 2)
		return fail(err, errlen, "missing command (try 'busectl --help')");
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

/* ------------------------------------------------------------------------
 * Formatting
 */

char *busectl_format_size(uint64_t size, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	uint64_t unit = 1024, whole, rem, tenths;
	int u = 0;

	if (size == 0) {
		snprintf(buf, len, "0");
		return buf;
	}
	if (size < 1024) {
		snprintf(buf, len, "%" PRIu64 "B", size);
		return buf;
	}
	while (u < 3 && size >= unit * 1024) {
		unit *= 1024;
		u++;
	}
	whole = size / unit;
	rem = size % unit;
	if (rem == 0) {
		snprintf(buf, len, "%" PRIu64 "%c", whole, units[u]);
		return buf;
	}
	tenths = (rem * 10 + unit / 2) / unit;	/* rem < 2^40: no overflow */
	if (tenths == 10) {
		whole++;
		tenths = 0;
	}
	snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%c", whole, tenths,
		 units[u]);
	return buf;
}

const char *busectl_state_name(uint32_t state)
{
	switch (state) {
	case BUSE_STATE_IDLE:		return "idle";
	case BUSE_STATE_RUNNING:	return "running";
	case BUSE_STATE_REMOVING:	return "removing";
	case BUSE_STATE_RECOVERING:	return "recovering";
	default:			return "unknown";
	}
}

static const char *const op_names[BUSE_OP_NR] = {
	[BUSE_OP_READ]		= "read",
	[BUSE_OP_WRITE]		= "write",
	[BUSE_OP_FLUSH]		= "flush",
	[BUSE_OP_DISCARD]	= "discard",
	[BUSE_OP_WRITE_ZEROES]	= "write_zeroes",
	[BUSE_OP_SECURE_ERASE]	= "secure_erase",
};

/* Append ",word" (or "word" at the start) to buf, truncating safely. */
static void append_word(char *buf, size_t len, const char *word)
{
	size_t n = strlen(buf);

	if (n + 1 >= len)
		return;
	snprintf(buf + n, len - n, "%s%s", n ? "," : "", word);
}

char *busectl_format_ops(uint32_t ops, char *buf, size_t len)
{
	int op;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (op = 0; op < BUSE_OP_NR; op++)
		if (ops & BUSE_OP_BIT(op))
			append_word(buf, len, op_names[op]);
	if (ops & BUSE_OPS_FUA)
		append_word(buf, len, "fua");
	if (!buf[0])
		snprintf(buf, len, "-");
	return buf;
}

static const struct {
	uint32_t bit;
	const char *name;
} dev_flag_names[] = {
	{ BUSE_DEV_F_READ_ONLY, "read_only" },
	{ BUSE_DEV_F_ROTATIONAL, "rotational" },
	{ BUSE_DEV_F_NO_WRITE_CACHE, "no_write_cache" },
	{ BUSE_DEV_F_NO_PARTSCAN, "no_partscan" },
	{ BUSE_DEV_F_RECOVERABLE, "recoverable" },
	{ BUSE_DEV_F_OWNER, "owner" },
	{ BUSE_DEV_F_PARTSCAN, "partscan" },
};

#define NR_DEV_FLAGS (sizeof(dev_flag_names) / sizeof(dev_flag_names[0]))

char *busectl_format_dev_flags(uint32_t flags, char *buf, size_t len)
{
	size_t i;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < NR_DEV_FLAGS; i++)
		if (flags & dev_flag_names[i].bit)
			append_word(buf, len, dev_flag_names[i].name);
	if (!buf[0])
		snprintf(buf, len, "-");
	return buf;
}

static const char *state_str(uint32_t state, char *buf, size_t len)
{
	const char *s = busectl_state_name(state);

	if (strcmp(s, "unknown") == 0) {
		snprintf(buf, len, "unknown(%" PRIu32 ")", state);
		return buf;
	}
	return s;
}

void busectl_print_info(FILE *f, const struct buse_dev_info *d)
{
	char size[32], ops[128], st[32], flags[128];

	fprintf(f, "index: %" PRIu32 "\n", d->index);
	fprintf(f, "path: " BUSE_BLOCK_DEVICE_FMT "\n", d->index);
	fprintf(f, "char_path: " BUSE_CHAR_DEVICE_FMT "\n", d->index);
	fprintf(f, "size: %" PRIu64 "\n", (uint64_t)d->size);
	fprintf(f, "size_human: %s\n",
		busectl_format_size(d->size, size, sizeof(size)));
	fprintf(f, "state: %s\n", state_str(d->state, st, sizeof(st)));
	if (d->server_pid > 0)
		fprintf(f, "server_pid: %" PRId32 "\n", d->server_pid);
	else
		fprintf(f, "server_pid: -\n");
	fprintf(f, "nr_queues: %" PRIu32 "\n", d->nr_queues);
	fprintf(f, "nr_poll_queues: %" PRIu32 "\n", d->nr_poll_queues);
	fprintf(f, "queue_depth: %" PRIu32 "\n", d->queue_depth);
	fprintf(f, "max_io: %" PRIu32 "\n", d->max_io);
	fprintf(f, "logical_block_size: %" PRIu32 "\n", d->logical_block_size);
	fprintf(f, "physical_block_size: %" PRIu32 "\n",
		d->physical_block_size);
	fprintf(f, "read_only: %s\n",
		(d->flags & BUSE_DEV_F_READ_ONLY) ? "true" : "false");
	fprintf(f, "ops: %s\n", busectl_format_ops(d->ops, ops, sizeof(ops)));
	fprintf(f, "flags: %s\n",
		busectl_format_dev_flags(d->flags, flags, sizeof(flags)));
	fprintf(f, "io_min: %" PRIu32 "\n", d->io_min);
	fprintf(f, "io_opt: %" PRIu32 "\n", d->io_opt);
	fprintf(f, "discard_granularity: %" PRIu32 "\n",
		d->discard_granularity);
	fprintf(f, "max_discard: %" PRIu32 "\n", d->max_discard);
	fprintf(f, "max_write_zeroes: %" PRIu32 "\n", d->max_write_zeroes);
	fprintf(f, "timeout: %" PRIu32 "\n", d->timeout);
	fprintf(f, "recovery_timeout: %" PRIu32 "\n", d->recovery_timeout);
	if (!(d->flags & BUSE_DEV_F_OWNER))
		fprintf(f, "owner: -\n");
	else if (d->owner_gid == BUSE_NO_GROUP)	/* USER, no group */
		fprintf(f, "owner: %" PRIu32 "\n", d->owner_uid);
	else
		fprintf(f, "owner: %" PRIu32 ":%" PRIu32 "\n", d->owner_uid,
			d->owner_gid);
	fprintf(f, "serial: %.*s\n", (int)sizeof(d->serial),
		d->serial[0] ? (const char *)d->serial : "-");
}

void busectl_print_info_json(FILE *f, const struct buse_dev_info *d,
			     const char *in)
{
	char st[32];
	int op, first = 1;
	size_t i;

	if (!in)
		in = "";
	fprintf(f, "%s{\n", in);
	fprintf(f, "%s  \"index\": %" PRIu32 ",\n", in, d->index);
	fprintf(f, "%s  \"path\": \"" BUSE_BLOCK_DEVICE_FMT "\",\n", in,
		d->index);
	fprintf(f, "%s  \"char_path\": \"" BUSE_CHAR_DEVICE_FMT "\",\n", in,
		d->index);
	fprintf(f, "%s  \"size\": %" PRIu64 ",\n", in, (uint64_t)d->size);
	fprintf(f, "%s  \"state\": \"%s\",\n", in,
		state_str(d->state, st, sizeof(st)));
	fprintf(f, "%s  \"server_pid\": %" PRId32 ",\n", in,
		d->server_pid > 0 ? d->server_pid : 0);
	fprintf(f, "%s  \"nr_queues\": %" PRIu32 ",\n", in, d->nr_queues);
	fprintf(f, "%s  \"nr_poll_queues\": %" PRIu32 ",\n", in,
		d->nr_poll_queues);
	fprintf(f, "%s  \"queue_depth\": %" PRIu32 ",\n", in, d->queue_depth);
	fprintf(f, "%s  \"max_io\": %" PRIu32 ",\n", in, d->max_io);
	fprintf(f, "%s  \"logical_block_size\": %" PRIu32 ",\n", in,
		d->logical_block_size);
	fprintf(f, "%s  \"physical_block_size\": %" PRIu32 ",\n", in,
		d->physical_block_size);
	fprintf(f, "%s  \"read_only\": %s,\n", in,
		(d->flags & BUSE_DEV_F_READ_ONLY) ? "true" : "false");
	fprintf(f, "%s  \"ops\": %" PRIu32 ",\n", in, d->ops);
	fprintf(f, "%s  \"op_names\": [", in);
	for (op = 0; op < BUSE_OP_NR; op++) {
		if (d->ops & BUSE_OP_BIT(op)) {
			fprintf(f, "%s\"%s\"", first ? "" : ", ", op_names[op]);
			first = 0;
		}
	}
	if (d->ops & BUSE_OPS_FUA)
		fprintf(f, "%s\"fua\"", first ? "" : ", ");
	fprintf(f, "],\n");
	fprintf(f, "%s  \"flags\": %" PRIu32 ",\n", in, d->flags);
	fprintf(f, "%s  \"flag_names\": [", in);
	for (i = 0, first = 1; i < NR_DEV_FLAGS; i++) {
		if (d->flags & dev_flag_names[i].bit) {
			fprintf(f, "%s\"%s\"", first ? "" : ", ",
				dev_flag_names[i].name);
			first = 0;
		}
	}
	fprintf(f, "],\n");
	fprintf(f, "%s  \"io_min\": %" PRIu32 ",\n", in, d->io_min);
	fprintf(f, "%s  \"io_opt\": %" PRIu32 ",\n", in, d->io_opt);
	fprintf(f, "%s  \"discard_granularity\": %" PRIu32 ",\n", in,
		d->discard_granularity);
	fprintf(f, "%s  \"max_discard\": %" PRIu32 ",\n", in, d->max_discard);
	fprintf(f, "%s  \"max_write_zeroes\": %" PRIu32 ",\n", in,
		d->max_write_zeroes);
	fprintf(f, "%s  \"timeout\": %" PRIu32 ",\n", in, d->timeout);
	fprintf(f, "%s  \"recovery_timeout\": %" PRIu32 ",\n", in,
		d->recovery_timeout);
	/* The driver lets only [A-Za-z0-9_.:-] through: nothing to escape. */
	if (d->serial[0])
		fprintf(f, "%s  \"serial\": \"%.*s\",\n", in,
			(int)sizeof(d->serial), (const char *)d->serial);
	else
		fprintf(f, "%s  \"serial\": null,\n", in);
	if ((d->flags & BUSE_DEV_F_OWNER) && d->owner_gid == BUSE_NO_GROUP)
		fprintf(f, "%s  \"owner_uid\": %" PRIu32 ",\n"
			   "%s  \"owner_gid\": null\n",
			in, d->owner_uid, in);
	else if (d->flags & BUSE_DEV_F_OWNER)
		fprintf(f, "%s  \"owner_uid\": %" PRIu32 ",\n"
			   "%s  \"owner_gid\": %" PRIu32 "\n",
			in, d->owner_uid, in, d->owner_gid);
	else
		fprintf(f, "%s  \"owner_uid\": null,\n"
			   "%s  \"owner_gid\": null\n", in, in);
	fprintf(f, "%s}", in);
}

void busectl_print_list_header(FILE *f)
{
	fprintf(f, "%-6s %8s %-10s %8s %6s %6s %5s\n", "INDEX", "SIZE", "STATE",
		"PID", "QUEUES", "DEPTH", "LBS");
}

void busectl_print_list_row(FILE *f, const struct buse_dev_info *d)
{
	char size[32], pid[16], st[32];

	if (d->server_pid > 0)
		snprintf(pid, sizeof(pid), "%" PRId32, d->server_pid);
	else
		snprintf(pid, sizeof(pid), "-");
	fprintf(f, "%-6" PRIu32 " %8s %-10s %8s %6" PRIu32 " %6" PRIu32
		   " %5" PRIu32 "\n",
		d->index, busectl_format_size(d->size, size, sizeof(size)),
		state_str(d->state, st, sizeof(st)), pid, d->nr_queues,
		d->queue_depth, d->logical_block_size);
}

void busectl_print_list_hidden_row(FILE *f, uint32_t index)
{
	fprintf(f, "%-6" PRIu32 " %8s %-10s %8s %6s %6s %5s\n", index, "-",
		"(other's)", "-", "-", "-", "-");
}

static void format_features(uint64_t feat, char *buf, size_t len)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} names[] = {
		{ BUSE_FEAT_RING, "ring" },
		{ BUSE_FEAT_SIZE_BY_SERVER, "size_by_server" },
	};
	char unknown[32];
	uint64_t known = 0;
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		known |= names[i].bit;
		if (feat & names[i].bit)
			append_word(buf, len, names[i].name);
	}
	if (feat & ~known) {
		snprintf(unknown, sizeof(unknown), "0x%" PRIx64, feat & ~known);
		append_word(buf, len, unknown);
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

void busectl_print_version(FILE *f, const struct buse_version *v)
{
	char feat[128];

	format_features(v->features, feat, sizeof(feat));
	fprintf(f, "abi_version: %" PRIu32 "\n", v->abi_version);
	fprintf(f, "busectl_abi_version: %d\n", BUSE_ABI_VERSION);
	fprintf(f, "features: 0x%" PRIx64 " (%s)\n", (uint64_t)v->features,
		feat);
	fprintf(f, "max_index: %" PRIu32 "\n", v->max_index);
	fprintf(f, "max_queues: %" PRIu32 "\n", v->max_queues);
	fprintf(f, "max_depth: %" PRIu32 "\n", v->max_depth);
	fprintf(f, "max_io: %" PRIu32 "\n", v->max_io);
}

void busectl_print_version_json(FILE *f, const struct buse_version *v)
{
	char feat[128];
	char *p, *tok;
	int first = 1;

	format_features(v->features, feat, sizeof(feat));
	fprintf(f, "{\n");
	fprintf(f, "  \"abi_version\": %" PRIu32 ",\n", v->abi_version);
	fprintf(f, "  \"busectl_abi_version\": %d,\n", BUSE_ABI_VERSION);
	fprintf(f, "  \"features\": %" PRIu64 ",\n", (uint64_t)v->features);
	fprintf(f, "  \"feature_names\": [");
	if (strcmp(feat, "-") != 0) {
		for (tok = strtok_r(feat, ",", &p); tok;
		     tok = strtok_r(NULL, ",", &p)) {
			fprintf(f, "%s\"%s\"", first ? "" : ", ", tok);
			first = 0;
		}
	}
	fprintf(f, "],\n");
	fprintf(f, "  \"max_index\": %" PRIu32 ",\n", v->max_index);
	fprintf(f, "  \"max_queues\": %" PRIu32 ",\n", v->max_queues);
	fprintf(f, "  \"max_depth\": %" PRIu32 ",\n", v->max_depth);
	fprintf(f, "  \"max_io\": %" PRIu32 "\n", v->max_io);
	fprintf(f, "}\n");
}
