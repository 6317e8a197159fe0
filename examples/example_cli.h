/* SPDX-License-Identifier: MIT */
/*
 * example_cli - the command line shared by the example engines (null,
 * ramdisk, faulty, file), linked into each of them.
 *
 * It parses the device options every example takes (--size, --create,
 * --queues, --depth, --max-io, --logical-block-size, optionally
 * --physical-block-size, --read-only and --timeout), the server options
 * (--poll-us, --mlock, --no-pin) and --help, plus the example's own options
 * through a callback; checks the positional arguments (N, or IMAGE N and
 * --create IMAGE); prints the help of the shared options; and creates or
 * serves the device with the messages and exit statuses every example
 * shares: 0 served and stopped, 1 a runtime failure, 2 a usage error.
 * Once the device is served, the example prints its path (/dev/buseN) on
 * stdout, so a script can wait for that line.
 *
 * A typical main():
 *
 *	struct ex_cli c;
 *	int status;
 *
 *	if (!ex_cli_parse(&spec, &my_ctx, argc, argv, &c, &status))
 *		return status;
 *	return ex_cli_serve(&c, &my_engine, &my_ctx, 0);
 */
#ifndef EXAMPLE_CLI_H
#define EXAMPLE_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <bdus.h>
#include <bdus_ctl.h>

/* ex_cli_spec.flags: optional shared options, help and arguments. */
#define EX_CLI_PBS	 (1u << 0)	/* -p, --physical-block-size */
#define EX_CLI_READ_ONLY (1u << 1)	/* -r, --read-only */
#define EX_CLI_TIMEOUT	 (1u << 2)	/* -t, --timeout SECONDS */
/*
 * The positional arguments are IMAGE N, or IMAGE alone with --create, and
 * --create does not need --size (the image has one).  Without this flag:
 * N, or nothing with --create, which then needs --size.
 */
#define EX_CLI_IMAGE	 (1u << 3)
/*
 * The engine keeps the device's data in memory, mapped at open(): the help
 * of --mlock says that all of it is then allocated (and locked) at start.
 */
#define EX_CLI_IN_MEMORY (1u << 4)

/*
 * Values from this one up are free for the example's long-only options
 * (struct option.val); the shared ones use values below it.
 */
#define EX_CLI_OPT_FIRST 512

struct ex_cli_spec;

/* What ex_cli_parse() found on the command line. */
struct ex_cli {
	const struct ex_cli_spec *spec;
	bool create;		/* --create */
	bool have_size;		/* --size given */
	bool read_only;		/* --read-only */
	bool mlock;		/* --mlock */
	bool no_pin;		/* --no-pin */
	bool pin_near;		/* --pin-near */
	uint64_t size;		/* --size, never 0 when given */
	/* Create-only device options; 0 if not given: the driver's default. */
	uint32_t queues, poll_queues, depth, max_io, lbs, pbs, timeout;
	/* --poll-us N: N (at most BDUS_MAX_POLL_US), or no_poll for 0. */
	uint32_t poll_us;
	bool no_poll;
	uint32_t index;		/* N, when not --create */
	const char *image;	/* IMAGE, with EX_CLI_IMAGE */
};

/* An example's command line: set up once, constant. */
struct ex_cli_spec {
	const char *prog;	/* the program's name, prefixes messages */
	unsigned int flags;	/* EX_CLI_* */

	/*
	 * Prints the whole help on f, for --help (on stdout); it typically
	 * prints the synopsis and a description, then calls
	 * ex_cli_usage_options(f, s).
	 */
	void (*usage)(FILE *f, const struct ex_cli_spec *s);

	/*
	 * Help texts replacing the shared ones of --size and --read-only
	 * (NULL: the shared text).  Each is the description column: it ends
	 * with "\n", and its continuation lines are indented by 27 spaces.
	 */
	const char *help_size, *help_read_only;
	/* The example's own option lines, printed before --help; or NULL. */
	const char *help_extra;

	/*
	 * The example's own options, or NULL: getopt short options (e.g.
	 * "e:v") and a long option table ending with a zeroed entry.  A
	 * long-only option takes a val from EX_CLI_OPT_FIRST up.  They are
	 * tried before the shared ones, which must not be repeated.
	 */
	const char *shortopts;
	const struct option *longopts;

	/*
	 * Parses the example's option opt (its short letter, or its long
	 * option's val) with argument arg (NULL if it takes none) into ctx,
	 * as given to ex_cli_parse().  Returns 0, or -EINVAL (malformed),
	 * -ERANGE (too large) or -EDOM (0 where 0 is not allowed): the
	 * command line is then refused with "invalid value for --NAME",
	 * followed by "not a valid number", or by *valid if the callback
	 * set it (e.g. "fail, delay or drop"), for -EINVAL.  Needed when
	 * there are own options.
	 */
	int (*parse)(void *ctx, int opt, const char *arg, const char **valid);

	/*
	 * Called with the engine's ctx as soon as bdus_serve() or
	 * bdus_create_and_serve() returns (by ex_cli_serve() and friends),
	 * before any error message: e.g. to print a summary.  Or NULL.
	 */
	void (*served)(void *ctx);
};

/*
 * ex_parse_u32 - parse a decimal number into *out.
 *
 * Returns 0; -EINVAL if s is not made of digits only (no sign, no space,
 * not empty); -ERANGE if the number does not fit in 32 bits.  *out is
 * unchanged on error.
 */
int ex_parse_u32(const char *s, uint32_t *out);

/*
 * ex_parse_size32 - parse a size (bdus_parse_size(): "4K", "1M", ...) that
 * must fit in 32 bits into *out.
 *
 * Returns 0, -EINVAL (malformed) or -ERANGE (too large).  *out is
 * unchanged on error.
 */
int ex_parse_size32(const char *s, uint32_t *out);

/*
 * ex_cli_parse - parse argc/argv per s into *c.
 *
 * The example's own options go to s->parse() with ctx.  Checks what the
 * options and arguments need of each other: --create takes no device
 * index (with EX_CLI_IMAGE: IMAGE alone), and needs --size (unless
 * EX_CLI_IMAGE); the create-only options need --create; otherwise N (with
 * EX_CLI_IMAGE: IMAGE N) must be there, N in 0..BUSE_MAX_INDEX.
 *
 * Returns true when the example is to go on with *c.  Returns false when
 * main() must return *status: 0 after --help (help printed on stdout), 2
 * after a usage error (explained on stderr, with "Try 'PROG --help'.").
 */
bool ex_cli_parse(const struct ex_cli_spec *s, void *ctx, int argc,
		  char **argv, struct ex_cli *c, int *status);

/*
 * ex_cli_usage_options - print on f the help of the shared options s
 * accepts, s->help_extra, the line of --help, and a closing note on SIZE
 * values and defaults.
 */
void ex_cli_usage_options(FILE *f, const struct ex_cli_spec *s);

/*
 * ex_cli_opts - the bdus_opts for serving *c: flags plus BDUS_OPT_MLOCK,
 * BDUS_OPT_NO_PIN, BDUS_OPT_PIN_NEAR and BDUS_OPT_NO_POLL as asked for,
 * poll_us, and an on_ready() that prints the device's path (/dev/buseN) on
 * stdout and flushes it.  size is 0.
 */
struct bdus_opts ex_cli_opts(const struct ex_cli *c, uint32_t flags);

/*
 * ex_cli_dev_info - the buse_dev_info for creating the device of *c:
 * BUSE_INDEX_ANY, --read-only, --size (0 if not given) and the other
 * create-only options (0: the driver's default).
 */
struct buse_dev_info ex_cli_dev_info(const struct ex_cli *c);

/*
 * ex_cli_serve - serve the device of *c with engine and ctx, as the
 * examples that take N do: with --create, create the device (first free
 * index), serve it and remove it on exit; otherwise serve device N, where
 * --size is used only if the device has no size yet (a warning says when
 * it is ignored).  flags go to ex_cli_opts().
 *
 * Returns main()'s exit status: 0 once served and stopped (signal, or
 * device removed), or 1 after a message on stderr.
 */
int ex_cli_serve(const struct ex_cli *c, const struct storage_engine *engine,
		 void *ctx, uint32_t flags);

/*
 * ex_cli_create_and_serve - bdus_create_and_serve(info, engine, ctx, opts),
 * then s->served(ctx) if set, then a message on stderr if it failed
 * ("cannot create the device", or "serving /dev/buseN failed").
 *
 * Returns main()'s exit status: 0 or 1.
 */
int ex_cli_create_and_serve(const struct ex_cli *c,
			    struct buse_dev_info *info,
			    const struct storage_engine *engine, void *ctx,
			    const struct bdus_opts *opts);

/*
 * ex_cli_serve_index - bdus_serve(c->index, engine, ctx, opts), then
 * s->served(ctx) if set, then a message on stderr if it failed ("cannot
 * serve /dev/buseN").
 *
 * Returns main()'s exit status: 0 or 1.
 */
int ex_cli_serve_index(const struct ex_cli *c,
		       const struct storage_engine *engine, void *ctx,
		       const struct bdus_opts *opts);

#endif /* EXAMPLE_CLI_H */
