// SPDX-License-Identifier: MIT
/*
 * cli.c - the standard command line of a server: bdus_main() and the
 * bdus_cli_*() functions.  See bdus_cli.h.
 *
 * The public functions import the caller's structs into the library's
 * layouts (abi.h) and call the static functions below, which work on
 * those copies only.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "bdus.h"
#include "bdus_cli.h"
#include "bdus_ctl.h"

/* Long-only options. */
enum {
	OPT_POLL_US = 256,
	OPT_MLOCK,
	OPT_NO_PIN,
	OPT_PIN_NEAR,
	OPT_POLL_QUEUES
};

/* The shared options, in the order of the help. */
static const struct {
	struct option opt;
	const char *shortopt; /* for getopt's string; NULL: long only */
	unsigned int needs;   /* the BDUS_CLI_* flag that enables it, or 0 */
	bool create_only;
} shared[] = {
	{ { "size", required_argument, NULL, 's' }, "s:", 0, false },
	{ { "create", no_argument, NULL, 'c' }, "c", 0, false },
	{ { "queues", required_argument, NULL, 'q' }, "q:", 0, true },
	{ { "poll-queues", required_argument, NULL, OPT_POLL_QUEUES },
	  NULL,
	  0,
	  true },
	{ { "depth", required_argument, NULL, 'd' }, "d:", 0, true },
	{ { "max-io", required_argument, NULL, 'm' }, "m:", 0, true },
	{ { "logical-block-size", required_argument, NULL, 'b' },
	  "b:",
	  0,
	  true },
	{ { "physical-block-size", required_argument, NULL, 'p' },
	  "p:",
	  BDUS_CLI_PBS,
	  true },
	{ { "read-only", no_argument, NULL, 'r' },
	  "r",
	  BDUS_CLI_READ_ONLY,
	  true },
	{ { "timeout", required_argument, NULL, 't' },
	  "t:",
	  BDUS_CLI_TIMEOUT,
	  true },
	{ { "poll-us", required_argument, NULL, OPT_POLL_US }, NULL, 0, false },
	{ { "mlock", no_argument, NULL, OPT_MLOCK }, NULL, 0, false },
	{ { "no-pin", no_argument, NULL, OPT_NO_PIN }, NULL, 0, false },
	{ { "pin-near", no_argument, NULL, OPT_PIN_NEAR }, NULL, 0, false },
	{ { "help", no_argument, NULL, 'h' }, "h", 0, false },
};

#define NSHARED (sizeof(shared) / sizeof(shared[0]))

/* What a size option expects (bdus_parse_size()). */
#define SIZE_SYNTAX                                                     \
	"expected a number of bytes with an optional suffix "           \
	"K, M, G, T, P, E (or KiB .. EiB: powers of 1024) or KB .. EB " \
	"(powers of 1000), e.g. 256M"

/* Whether s accepts shared option i. */
static bool accepts(const struct bdus_cli_spec *s, size_t i)
{
	return (s->flags & shared[i].needs) == shared[i].needs;
}

int bdus_parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno || v > UINT32_MAX)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

int bdus_parse_size32(const char *s, uint32_t *out)
{
	uint64_t v;
	int ret = bdus_parse_size(s, &v);

	if (ret)
		return ret;
	if (v > UINT32_MAX)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

/*
 * Parses shared option opt (with optarg arg) into c: 0, -EINVAL, -ERANGE
 * or -EDOM.
 */
static int parse_shared(struct bdus_cli *c, int opt, const char *arg)
{
	int ret;

	switch (opt) {
	case 's':
		ret = bdus_parse_size(arg, &c->size);
		if (!ret && !c->size)
			ret = -EDOM;
		c->have_size = true;
		return ret;
	case 'c':
		c->create = true;
		return 0;
	case 'q':
		return bdus_parse_u32(arg, &c->queues);
	case OPT_POLL_QUEUES:
		return bdus_parse_u32(arg, &c->poll_queues);
	case 'd':
		return bdus_parse_u32(arg, &c->depth);
	case 'm':
		return bdus_parse_size32(arg, &c->max_io);
	case 'b':
		return bdus_parse_size32(arg, &c->lbs);
	case 'p':
		return bdus_parse_size32(arg, &c->pbs);
	case 'r':
		c->read_only = true;
		return 0;
	case 't':
		return bdus_parse_u32(arg, &c->timeout);
	case OPT_POLL_US:
		ret = bdus_parse_u32(arg, &c->poll_us);
		if (!ret && c->poll_us > BDUS_MAX_POLL_US)
			ret = -ERANGE;
		c->no_poll = !ret && !c->poll_us;
		return ret;
	case OPT_MLOCK:
		c->mlock = true;
		return 0;
	case OPT_NO_PIN:
		c->no_pin = true;
		return 0;
	case OPT_PIN_NEAR:
		c->pin_near = true;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * "--queues, --depth, ... and --read-only need --create": the create-only
 * options s accepts.
 */
static void print_create_only(const struct bdus_cli_spec *s)
{
	size_t i, n = 0, k = 0;

	for (i = 0; i < NSHARED; i++)
		n += shared[i].create_only && accepts(s, i);
	fprintf(stderr, "%s: ", s->prog);
	for (i = 0; i < NSHARED; i++) {
		if (!shared[i].create_only || !accepts(s, i))
			continue;
		k++;
		fprintf(stderr, "--%s%s", shared[i].opt.name,
			k == n	     ? ""
			: k + 1 == n ? " and "
				     : ", ");
	}
	fprintf(stderr, " need --create\n");
}

/* The positional arguments argv[optind..argc): 0, or -1 after a message. */
static int parse_args(const struct bdus_cli_spec *s, struct bdus_cli *c,
		      int argc, char **argv)
{
	bool image = s->flags & BDUS_CLI_IMAGE;
	const char *an = s->arg_name ? s->arg_name : "IMAGE";
	int n = argc - optind;
	const char *index;

	if (c->no_pin && c->pin_near) {
		fprintf(stderr,
			"%s: --no-pin and --pin-near contradict each "
			"other\n",
			s->prog);
		return -1;
	}
	if (c->create) {
		if (image && n != 1) {
			if (n)
				fprintf(stderr,
					"%s: --create takes %s only, no device "
					"index\n",
					s->prog, an);
			else
				fprintf(stderr, "%s: missing %s\n", s->prog,
					an);
			return -1;
		}
		if (image) {
			c->image = argv[optind];
			return 0;
		}
		if (n) {
			fprintf(stderr, "%s: --create takes no device index\n",
				s->prog);
			return -1;
		}
		if (!c->have_size && !(s->flags & BDUS_CLI_ENGINE_SIZE)) {
			fprintf(stderr, "%s: --create needs --size\n", s->prog);
			return -1;
		}
		return 0;
	}
	if (n != (image ? 2 : 1)) {
		if (n > (image ? 2 : 1))
			fprintf(stderr, "%s: too many arguments\n", s->prog);
		else if (image)
			fprintf(stderr,
				"%s: missing %s and device index N (or "
				"--create %s)\n",
				s->prog, an, an);
		else
			fprintf(stderr,
				"%s: missing device index N (or --create)\n",
				s->prog);
		return -1;
	}
	if (image)
		c->image = argv[optind];
	index = argv[argc - 1];
	if (bdus_parse_u32(index, &c->index) || c->index > BUSE_MAX_INDEX) {
		fprintf(stderr, "%s: invalid device index '%s' (0..%u)\n",
			s->prog, index, BUSE_MAX_INDEX);
		return -1;
	}
	return 0;
}

/* The index in shared[] of option opt, if s accepts it; else -1. */
static int shared_index(const struct bdus_cli_spec *s, int opt)
{
	size_t i;

	for (i = 0; i < NSHARED; i++)
		if (shared[i].opt.val == opt)
			return accepts(s, i) ? (int)i : -1;
	return -1;
}

/*
 * "invalid value for --NAME: 'ARG' (WHY)" for option opt, refused with
 * err (-EINVAL, -ERANGE, -EDOM); valid says what -EINVAL expected, or NULL.
 */
static void print_invalid(const struct bdus_cli_spec *s,
			  const struct option *longopts, int opt, int err,
			  const char *valid)
{
	const struct option *o = longopts;

	while (o->name && o->val != opt)
		o++;
	if (o->name)
		fprintf(stderr, "%s: invalid value for --%s", s->prog, o->name);
	else
		fprintf(stderr, "%s: invalid value for -%c", s->prog, opt);
	fprintf(stderr, ": '%s' (%s)\n", optarg ? optarg : "",
		err == -ERANGE && opt == 's'
			? "too large: more than 2^64 - 1 bytes"
		: err == -ERANGE ? "too large"
		: err == -EDOM	 ? "must not be 0"
		: valid		 ? valid
				 : "not a valid number");
}

/*
 * The long options: the example's own first, then the shared ones s
 * accepts, and a zeroed entry; followed in the same malloc()ed block by
 * the matching getopt string, whose address goes to *shortopts.  NULL if
 * out of memory.
 */
static struct option *build_options(const struct bdus_cli_spec *s,
				    char **shortopts)
{
	const char *own = s->shortopts ? s->shortopts : "";
	const struct option *o;
	struct option *all;
	size_t i, n = 0, room = strlen(own) + 1;
	char *p;

	for (o = s->longopts; o && o->name; o++)
		n++;
	for (i = 0; i < NSHARED; i++)
		room += shared[i].shortopt ? strlen(shared[i].shortopt) : 0;
	all = calloc(1, (n + NSHARED + 1) * sizeof(*all) + room);
	if (!all)
		return NULL;
	if (n)
		memcpy(all, s->longopts, n * sizeof(*all));
	p = *shortopts = (char *)(all + n + NSHARED + 1);
	p = stpcpy(p, own);
	for (i = 0; i < NSHARED; i++) {
		if (!accepts(s, i))
			continue;
		all[n++] = shared[i].opt;
		if (shared[i].shortopt)
			p = stpcpy(p, shared[i].shortopt);
	}
	return all;
}

/*
 * bdus_cli_parse() on the library's copy s of the caller's spec (given:
 * the caller's, handed to s->usage() and kept in c->spec).
 */
static bool cli_parse(const struct bdus_cli_spec *s,
		      const struct bdus_cli_spec *given, void *ctx, int argc,
		      char **argv, struct bdus_cli *c, int *status)
{
	struct option *longopts;
	char *shortopts;
	bool create_only = false;
	int opt, ret;

	memset(c, 0, sizeof(*c));
	c->spec = given;
	c->prog = s->prog;
	c->flags = s->flags;
	c->served = s->served;
	longopts = build_options(s, &shortopts);
	if (!longopts) {
		fprintf(stderr, "%s: out of memory\n", s->prog);
		*status = 1;
		return false;
	}
	optind = 0; /* a fresh scan, even after an earlier one */
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	       -1) {
		const char *valid = NULL;
		int i = shared_index(s, opt);

		if (opt == 'h') {
			free(longopts);
			s->usage(stdout, given);
			*status = 0;
			return false;
		}
		if (opt == '?')
			goto bad; /* getopt said why */
		if (i >= 0) {
			ret = parse_shared(c, opt, optarg);
			create_only |= shared[i].create_only;
			if (opt == 's' || opt == 'm' || opt == 'b' ||
			    opt == 'p')
				valid = SIZE_SYNTAX;
		} else {
			ret = s->parse ? s->parse(ctx, opt, optarg, &valid)
				       : -EINVAL;
		}
		if (ret) {
			print_invalid(s, longopts, opt, ret, valid);
			goto bad;
		}
	}
	free(longopts);
	longopts = NULL;
	if (!c->create && create_only) {
		print_create_only(s);
		goto bad;
	}
	if (parse_args(s, c, argc, argv))
		goto bad;
	return true;
bad:
	free(longopts);
	fprintf(stderr, "Try '%s --help'.\n", s->prog);
	*status = 2;
	return false;
}

static void cli_usage(FILE *f, const struct bdus_cli_spec *s)
{
	fprintf(f, "  -s, --size SIZE          %s",
		s->help_size
			? s->help_size
			: "capacity (e.g. 256M, 1G); when serving N,\n"
			  "                           used only if the device has no size\n");
	fprintf(f,
		"  -c, --create             create a new device (first free index)\n"
		"  -q, --queues Q           hardware queues (with --create; default:\n"
		"                           one per CPU, see busectl add --help)\n"
		"      --poll-queues P      polled queues for io_uring IOPOLL I/O\n"
		"                           (with --create; default 0)\n"
		"  -d, --depth D            requests in flight per queue (with --create)\n"
		"  -m, --max-io SIZE        largest request (with --create)\n"
		"  -b, --logical-block-size SIZE   (with --create)\n");
	if (s->flags & BDUS_CLI_PBS)
		fprintf(f,
			"  -p, --physical-block-size SIZE  (with --create)\n");
	if (s->flags & BDUS_CLI_READ_ONLY)
		fprintf(f, "  -r, --read-only          %s",
			s->help_read_only
				? s->help_read_only
				: "create a read-only device (with --create)\n");
	if (s->flags & BDUS_CLI_TIMEOUT)
		fprintf(f,
			"  -t, --timeout SECONDS    the kernel fails requests unanswered for\n"
			"                           SECONDS (with --create; default: never)\n");
	fprintf(f,
		"      --poll-us N          after each batch, poll up to N microseconds\n"
		"                           for the next request before sleeping\n"
		"                           (adaptive; default %u; 0: never poll)\n",
		BDUS_DEFAULT_POLL_US);
	fprintf(f,
		"      --mlock              lock the server's memory (mlockall): it then\n"
		"                           never waits for paging, e.g. when swap or\n"
		"                           its own binary lives on the device%s\n",
		s->flags & BDUS_CLI_IN_MEMORY
			? "; the\n"
			  "                           whole device's memory is then allocated\n"
			  "                           (and locked) at start"
			: "");
	fprintf(f,
		"      --no-pin             do not pin queue thread q to the CPUs that\n"
		"                           submit to hardware queue q\n"
		"      --pin-near           pin queue thread q to the CPUs that submit\n"
		"                           to queue q even if that is one CPU (not to\n"
		"                           the others), SCHED_BATCH: for loads that\n"
		"                           submit from every CPU\n"
		"%s"
		"  -h, --help               show this help\n"
		"\n"
		"SIZE is a number of bytes with an optional suffix: K, M, G, T, P, E\n"
		"(or KiB .. EiB) are powers of 1024 (1K = 1024), KB, MB, GB, TB, PB,\n"
		"EB powers of 1000 (1KB = 1000).  Options left out get the driver's\n"
		"defaults.\n",
		s->help_extra ? s->help_extra : "");
}

/*
 * A message for an error of bdus_serve() or bdus_create_and_serve(): the
 * serving-specific ones here, the rest from bdus_strerror_ctl().
 */
static const char *serve_strerror(const struct bdus_cli *c, int err)
{
	/* --mlock: mlockall() fails first, or locked mappings later. */
	if (c->mlock && err == -EPERM)
		return "permission denied (run as root; --mlock needs "
		       "CAP_IPC_LOCK or a non-zero RLIMIT_MEMLOCK)";
	if (c->mlock && (err == -ENOMEM || err == -EAGAIN))
		return "cannot lock the memory (--mlock needs CAP_IPC_LOCK or "
		       "a large enough RLIMIT_MEMLOCK, and that much memory)";
	switch (-err) {
	case ENOENT:
		return "no such device (or buse.ko is not loaded)";
	case ENODEV:
		return "no such device, or it is being removed";
	case EBUSY:
		return "the device already has a server";
	case EINVAL:
		if (c->flags & BDUS_CLI_IMAGE)
			return "the driver refused to attach (size mismatch?), "
			       "or the image is too small";
		return "the driver refused to attach (does the device have a "
		       "size? if not, pass --size)";
	case EPROTO:
		return "protocol error talking to the buse driver (driver and "
		       "library versions differ?)";
	default:
		/* EACCES, EPERM, ENOMEM, ...: as for the control functions. */
		return bdus_strerror_ctl(err);
	}
}

static void on_ready(const struct bdus_dev *dev, void *arg)
{
	(void)arg;
	printf("%s\n", dev->block_path);
	fflush(stdout);
}

static struct bdus_opts cli_opts(const struct bdus_cli *c, uint32_t flags)
{
	struct bdus_opts opts = {
		.flags = flags,
		.poll_us = c->poll_us,
		.on_ready = on_ready,
	};

	if (c->mlock)
		opts.flags |= BDUS_OPT_MLOCK;
	if (c->no_pin)
		opts.flags |= BDUS_OPT_NO_PIN;
	if (c->pin_near)
		opts.flags |= BDUS_OPT_PIN_NEAR;
	if (c->no_poll)
		opts.flags |= BDUS_OPT_NO_POLL;
	return opts;
}

static struct buse_dev_info cli_dev_info(const struct bdus_cli *c)
{
	struct buse_dev_info info = {
		.index = BUSE_INDEX_ANY,
		.flags = c->read_only ? BUSE_DEV_F_READ_ONLY : 0,
		.size = c->size,
		.logical_block_size = c->lbs,
		.physical_block_size = c->pbs,
		.nr_queues = c->queues,
		.nr_poll_queues = c->poll_queues,
		.queue_depth = c->depth,
		.max_io = c->max_io,
		.timeout = c->timeout,
	};

	return info;
}

/* engine and opts are the library's copies: sized calls of this header. */
static int cli_create_and_serve(const struct bdus_cli *c,
				struct buse_dev_info *info,
				const struct storage_engine *engine, void *ctx,
				const struct bdus_opts *opts)
{
	int ret = bdus_create_and_serve(info, engine, ctx, opts);

	if (c->served)
		c->served(ctx);
	if (ret && info->index == BUSE_INDEX_ANY) {
		/* bdus_ctl_add() leaves info alone when it fails. */
		fprintf(stderr, "%s: cannot create the device: %s\n", c->prog,
			bdus_strerror_ctl(ret));
		return 1;
	}
	if (ret) {
		fprintf(stderr,
			"%s: serving " BUSE_BLOCK_DEVICE_FMT " failed: %s\n",
			c->prog, info->index, serve_strerror(c, ret));
		return 1;
	}
	return 0;
}

static int cli_serve_index(const struct bdus_cli *c,
			   const struct storage_engine *engine, void *ctx,
			   const struct bdus_opts *opts)
{
	int ret = bdus_serve(c->index, engine, ctx, opts);

	if (c->served)
		c->served(ctx);
	if (ret) {
		fprintf(stderr,
			"%s: cannot serve " BUSE_BLOCK_DEVICE_FMT ": %s\n",
			c->prog, c->index, serve_strerror(c, ret));
		return 1;
	}
	return 0;
}

static int cli_serve(const struct bdus_cli *c,
		     const struct storage_engine *engine, void *ctx,
		     uint32_t flags)
{
	struct bdus_opts opts = cli_opts(c, flags);
	struct buse_dev_info info;
	int ret;

	if (c->create) {
		info = cli_dev_info(c);
		return cli_create_and_serve(c, &info, engine, ctx, &opts);
	}

	/* The device's own size wins; --size is for a device without one. */
	if (c->have_size) {
		ret = bdus_ctl_info(c->index, &info);
		if (ret == -ENODEV) {
			fprintf(stderr, "%s: no device %u\n", c->prog,
				c->index);
			return 1;
		}
		if (ret == 0 && info.size && info.size != c->size)
			fprintf(stderr,
				"%s: device %u already has a size "
				"(%" PRIu64 " bytes); --size ignored\n",
				c->prog, c->index, (uint64_t)info.size);
		/* If we cannot ask (not allowed), let the attach decide. */
		opts.size = ret == 0 && info.size ? 0 : c->size;
	}
	return cli_serve_index(c, engine, ctx, &opts);
}

/* ------------------------------------------------------------------------
 * The exported functions: the caller's structs in the library's layouts
 */

/* The first layouts of the structs of bdus_cli.h (libbdus 0.2). */
#define CLI_SIZE_0_2 bdus_offsetofend(struct bdus_cli, served)
#define SPEC_SIZE_0_2 bdus_offsetofend(struct bdus_cli_spec, served)

static int spec_import(struct bdus_cli_spec *own, const void *given,
		       size_t given_size, const char *func)
{
	return bdus_struct_import(own, sizeof(*own), given, given_size,
				  SPEC_SIZE_0_2, func, "bdus_cli_spec");
}

static int cli_import(struct bdus_cli *own, const void *given,
		      size_t given_size, const char *func)
{
	return bdus_struct_import(own, sizeof(*own), given, given_size,
				  CLI_SIZE_0_2, func, "bdus_cli");
}

/*
 * The caller's cli, engine and opts (opts may be NULL) imported for func:
 * 0, or 1 (main()'s exit status) after a message.
 */
static int serve_import(const char *func, struct bdus_cli *c,
			const struct bdus_cli *cli, size_t cli_size,
			struct storage_engine *e,
			const struct storage_engine *engine, size_t engine_size,
			struct bdus_opts *o, const struct bdus_opts *opts,
			size_t opts_size)
{
	if (!cli || !engine || cli_import(c, cli, cli_size, func) ||
	    bdus_engine_import(e, engine, engine_size, func) ||
	    (o && bdus_opts_import(o, opts, opts_size, func)))
		return 1;
	return 0;
}

bool bdus_cli_parse_sized(const struct bdus_cli_spec *spec, size_t spec_size,
			  void *ctx, int argc, char **argv,
			  struct bdus_cli *cli, size_t cli_size, int *status)
{
	const char *func = "bdus_cli_parse";
	struct bdus_cli_spec s;
	struct bdus_cli c;
	bool go_on;

	/* Zeroes *cli, or says why its size is refused. */
	memset(&c, 0, sizeof(c));
	if (!spec || !cli || spec_import(&s, spec, spec_size, func) ||
	    bdus_struct_export(cli, cli_size, &c, sizeof(c), CLI_SIZE_0_2, func,
			       "bdus_cli") ||
	    !s.prog || !s.usage) {
		*status = 1;
		return false;
	}
	go_on = cli_parse(&s, spec, ctx, argc, argv, &c, status);
	bdus_struct_export(cli, cli_size, &c, sizeof(c), CLI_SIZE_0_2, func,
			   "bdus_cli");
	return go_on;
}

void bdus_cli_usage_sized(FILE *f, const struct bdus_cli_spec *spec,
			  size_t spec_size)
{
	struct bdus_cli_spec s;

	if (spec && !spec_import(&s, spec, spec_size, "bdus_cli_usage"))
		cli_usage(f, &s);
}

int bdus_cli_opts_sized(const struct bdus_cli *cli, size_t cli_size,
			uint32_t flags, struct bdus_opts *opts,
			size_t opts_size)
{
	const char *func = "bdus_cli_opts";
	struct bdus_opts o;
	struct bdus_cli c;

	if (!cli || !opts || cli_import(&c, cli, cli_size, func))
		return -EINVAL;
	o = cli_opts(&c, flags);
	return bdus_struct_export(opts, opts_size, &o, sizeof(o),
				  BDUS_OPTS_SIZE_0_1, func, "bdus_opts");
}

int bdus_cli_dev_info_sized(const struct bdus_cli *cli, size_t cli_size,
			    struct buse_dev_info *info)
{
	struct bdus_cli c;

	if (!cli || !info || cli_import(&c, cli, cli_size, "bdus_cli_dev_info"))
		return -EINVAL;
	*info = cli_dev_info(&c);
	return 0;
}

int bdus_cli_create_and_serve_sized(const struct bdus_cli *cli, size_t cli_size,
				    struct buse_dev_info *info,
				    const struct storage_engine *engine,
				    size_t engine_size, void *ctx,
				    const struct bdus_opts *opts,
				    size_t opts_size)
{
	struct storage_engine e;
	struct bdus_opts o;
	struct bdus_cli c;

	if (!info ||
	    serve_import("bdus_cli_create_and_serve", &c, cli, cli_size, &e,
			 engine, engine_size, &o, opts, opts_size))
		return 1;
	return cli_create_and_serve(&c, info, &e, ctx, opts ? &o : NULL);
}

int bdus_cli_serve_index_sized(const struct bdus_cli *cli, size_t cli_size,
			       const struct storage_engine *engine,
			       size_t engine_size, void *ctx,
			       const struct bdus_opts *opts, size_t opts_size)
{
	struct storage_engine e;
	struct bdus_opts o;
	struct bdus_cli c;

	if (serve_import("bdus_cli_serve_index", &c, cli, cli_size, &e, engine,
			 engine_size, &o, opts, opts_size))
		return 1;
	return cli_serve_index(&c, &e, ctx, opts ? &o : NULL);
}

int bdus_cli_serve_sized(const struct bdus_cli *cli, size_t cli_size,
			 const struct storage_engine *engine,
			 size_t engine_size, void *ctx, uint32_t flags)
{
	struct storage_engine e;
	struct bdus_cli c;

	if (serve_import("bdus_cli_serve", &c, cli, cli_size, &e, engine,
			 engine_size, NULL, NULL, 0))
		return 1;
	return cli_serve(&c, &e, ctx, flags);
}

int bdus_main_sized(int argc, char **argv, const struct storage_engine *engine,
		    size_t engine_size, const struct bdus_cli_spec *spec,
		    size_t spec_size, void *ctx)
{
	struct bdus_cli c;
	int status;

	if (!bdus_cli_parse_sized(spec, spec_size, ctx, argc, argv, &c,
				  sizeof(c), &status))
		return status;
	return bdus_cli_serve_sized(&c, sizeof(c), engine, engine_size, ctx, 0);
}
