/* SPDX-License-Identifier: MIT */
/*
 * bdus_cli.h - the standard command line of a buse server.
 *
 * A server program (a storage engine plus main()) gets the device options
 * every server takes (--size, --create, --queues, --poll-queues, --depth,
 * --max-io, --logical-block-size, optionally --physical-block-size,
 * --read-only and --timeout), the server options (--poll-us, --mlock,
 * --no-pin, --pin-near) and --help, plus its own options through a
 * callback; the positional arguments N (serve /dev/buseN), or IMAGE N and
 * --create IMAGE; the help of the shared options; and the serving, with
 * the messages and exit statuses every server shares: 0 served and
 * stopped, 1 a runtime failure (a message on stderr), 2 a usage error.
 * Once the device is served, its path (/dev/buseN) is printed on stdout,
 * so that a script can wait for that line.
 *
 * The simplest main():
 *
 *	static const struct bdus_cli_spec spec = {
 *		.prog = "mine", .usage = my_usage,
 *	};
 *
 *	int main(int argc, char **argv)
 *	{
 *		return bdus_main(argc, argv, &my_engine, &spec, &my_ctx);
 *	}
 *
 * bdus_main() is bdus_cli_parse() followed by bdus_cli_serve(); a program
 * that must do something in between (start threads, open an image) calls
 * those, or the lower-level bdus_cli_opts(), bdus_cli_dev_info(),
 * bdus_cli_serve_index() and bdus_cli_create_and_serve().
 *
 * ABI: the functions taking these structs are inline wrappers that pass
 * their sizes to exported *_sized() functions, as in bdus.h.
 */
#ifndef BDUS_CLI_H
#define BDUS_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <bdus.h>
#include <bdus_ctl.h>

#ifdef __cplusplus
extern "C" {
#endif

/* bdus_cli_spec.flags: optional shared options, help and arguments. */
#define BDUS_CLI_PBS		(1u << 0)	/* -p, --physical-block-size */
#define BDUS_CLI_READ_ONLY	(1u << 1)	/* -r, --read-only */
#define BDUS_CLI_TIMEOUT	(1u << 2)	/* -t, --timeout SECONDS */
/*
 * The positional arguments are IMAGE N, or IMAGE alone with --create, and
 * --create does not need --size (the image has one).  Without this flag:
 * N, or nothing with --create, which then needs --size.
 */
#define BDUS_CLI_IMAGE		(1u << 3)
/*
 * The engine keeps the device's data in memory, mapped at open(): the help
 * of --mlock says that all of it is then allocated (and locked) at start.
 */
#define BDUS_CLI_IN_MEMORY	(1u << 4)

/*
 * Values from this one up are free for the program's long-only options
 * (struct option.val); the shared ones use values below it.
 */
#define BDUS_CLI_OPT_FIRST	512

struct bdus_cli_spec;

/* What bdus_cli_parse() found on the command line.  Filled by it only. */
struct bdus_cli {
	const struct bdus_cli_spec *spec;	/* as given to the parse */
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
	const char *image;	/* IMAGE, with BDUS_CLI_IMAGE */
	/* The spec's, for the serving functions. */
	const char *prog;
	unsigned int flags;
	void (*served)(void *ctx);
};

/* A program's command line: set up once, constant. */
struct bdus_cli_spec {
	const char *prog;	/* the program's name, prefixes messages */
	unsigned int flags;	/* BDUS_CLI_* */

	/*
	 * Prints the whole help on f, for --help (on stdout); it typically
	 * prints the synopsis and a description, then calls
	 * bdus_cli_usage(f, s).
	 */
	void (*usage)(FILE *f, const struct bdus_cli_spec *s);

	/*
	 * Help texts replacing the shared ones of --size and --read-only
	 * (NULL: the shared text).  Each is the description column: it ends
	 * with "\n", and its continuation lines are indented by 27 spaces.
	 */
	const char *help_size, *help_read_only;
	/* The program's own option lines, printed before --help; or NULL. */
	const char *help_extra;

	/*
	 * The program's own options, or NULL: getopt short options (e.g.
	 * "e:v") and a long option table ending with a zeroed entry.  A
	 * long-only option takes a val from BDUS_CLI_OPT_FIRST up.  They are
	 * tried before the shared ones, which must not be repeated.
	 */
	const char *shortopts;
	const struct option *longopts;

	/*
	 * Parses the program's option opt (its short letter, or its long
	 * option's val) with argument arg (NULL if it takes none) into ctx,
	 * as given to bdus_cli_parse().  Returns 0, or -EINVAL (malformed),
	 * -ERANGE (too large) or -EDOM (0 where 0 is not allowed): the
	 * command line is then refused with "invalid value for --NAME",
	 * followed by "not a valid number", or by *valid if the callback
	 * set it (e.g. "fail, delay or drop"), for -EINVAL.  Needed when
	 * there are own options.
	 */
	int (*parse)(void *ctx, int opt, const char *arg, const char **valid);

	/*
	 * Called with the engine's ctx as soon as bdus_serve() or
	 * bdus_create_and_serve() returns (in bdus_cli_serve() and friends),
	 * before any error message: e.g. to print a summary.  Or NULL.
	 */
	void (*served)(void *ctx);
};

/*
 * bdus_parse_u32 - parse a decimal number into *out.
 *
 * Returns 0; -EINVAL if s is not made of digits only (no sign, no space,
 * not empty); -ERANGE if the number does not fit in 32 bits.  *out is
 * unchanged on error.
 */
BDUS_API int bdus_parse_u32(const char *s, uint32_t *out);

/*
 * bdus_parse_size32 - parse a size (bdus_parse_size(): "4K", "1M", ...)
 * that must fit in 32 bits into *out.
 *
 * Returns 0, -EINVAL (malformed) or -ERANGE (too large).  *out is
 * unchanged on error.
 */
BDUS_API int bdus_parse_size32(const char *s, uint32_t *out);

/*
 * bdus_cli_parse - parse argc/argv per spec into *cli.
 *
 * The program's own options go to spec->parse() with ctx.  Checks what
 * the options and arguments need of each other: --create takes no device
 * index (with BDUS_CLI_IMAGE: IMAGE alone), and needs --size (unless
 * BDUS_CLI_IMAGE); the create-only options need --create; otherwise N
 * (with BDUS_CLI_IMAGE: IMAGE N) must be there, N in 0..BUSE_MAX_INDEX.
 *
 * Returns true when the program is to go on with *cli.  Returns false
 * when main() must return *status: 0 after --help (help printed on
 * stdout), 2 after a usage error (explained on stderr, with "Try 'PROG
 * --help'."), 1 if out of memory or if a struct size is refused.
 */
BDUS_API bool bdus_cli_parse_sized(const struct bdus_cli_spec *spec,
				   size_t spec_size, void *ctx, int argc,
				   char **argv, struct bdus_cli *cli,
				   size_t cli_size, int *status);

static inline bool bdus_cli_parse(const struct bdus_cli_spec *spec,
				  void *ctx, int argc, char **argv,
				  struct bdus_cli *cli, int *status)
{
	return bdus_cli_parse_sized(spec, sizeof(*spec), ctx, argc, argv, cli,
				    sizeof(*cli), status);
}

/*
 * bdus_cli_usage - print on f the help of the shared options spec
 * accepts, spec->help_extra, the line of --help, and a closing note on
 * SIZE values and defaults.
 */
BDUS_API void bdus_cli_usage_sized(FILE *f, const struct bdus_cli_spec *spec,
				   size_t spec_size);

static inline void bdus_cli_usage(FILE *f, const struct bdus_cli_spec *spec)
{
	bdus_cli_usage_sized(f, spec, sizeof(*spec));
}

/*
 * bdus_cli_opts - the bdus_opts for serving *cli, into *opts: flags plus
 * BDUS_OPT_MLOCK, BDUS_OPT_NO_PIN, BDUS_OPT_PIN_NEAR and BDUS_OPT_NO_POLL
 * as asked for, poll_us, and an on_ready() that prints the device's path
 * (/dev/buseN) on stdout and flushes it.  size is 0.  Returns 0, or
 * -EINVAL if a struct size is refused (see bdus.h, "ABI").
 */
BDUS_API int bdus_cli_opts_sized(const struct bdus_cli *cli, size_t cli_size,
				  uint32_t flags, struct bdus_opts *opts,
				  size_t opts_size);

static inline int bdus_cli_opts(const struct bdus_cli *cli, uint32_t flags,
				struct bdus_opts *opts)
{
	return bdus_cli_opts_sized(cli, sizeof(*cli), flags, opts, sizeof(*opts));
}

/*
 * bdus_cli_dev_info - the buse_dev_info for creating the device of *cli,
 * into *info: BUSE_INDEX_ANY, --read-only, --size (0 if not given) and the
 * other create-only options (0: the driver's default).  Returns 0, or
 * -EINVAL if the struct size is refused.
 */
BDUS_API int bdus_cli_dev_info_sized(const struct bdus_cli *cli,
				      size_t cli_size,
				      struct buse_dev_info *info);

static inline int bdus_cli_dev_info(const struct bdus_cli *cli,
				    struct buse_dev_info *info)
{
	return bdus_cli_dev_info_sized(cli, sizeof(*cli), info);
}

/*
 * bdus_cli_serve - serve the device of *cli with engine and ctx: with
 * --create, create the device (first free index), serve it and remove it
 * on exit; otherwise serve device N, where --size is used only if the
 * device has no size yet (a warning says when it is ignored).  flags
 * (BDUS_OPT_*) go to bdus_cli_opts().
 *
 * Returns main()'s exit status: 0 once served and stopped (signal, or
 * device removed), or 1 after a message on stderr.
 */
BDUS_API int bdus_cli_serve_sized(const struct bdus_cli *cli, size_t cli_size,
				  const struct storage_engine *engine,
				  size_t engine_size, void *ctx,
				  uint32_t flags);

static inline int bdus_cli_serve(const struct bdus_cli *cli,
				 const struct storage_engine *engine,
				 void *ctx, uint32_t flags)
{
	return bdus_cli_serve_sized(cli, sizeof(*cli), engine,
				    sizeof(*engine), ctx, flags);
}

/*
 * bdus_cli_create_and_serve - bdus_create_and_serve(info, engine, ctx,
 * opts), then cli->served(ctx) if set, then a message on stderr if it
 * failed ("cannot create the device", or "serving /dev/buseN failed").
 *
 * Returns main()'s exit status: 0 or 1.
 */
BDUS_API int bdus_cli_create_and_serve_sized(const struct bdus_cli *cli,
					     size_t cli_size,
					     struct buse_dev_info *info,
					     const struct storage_engine *engine,
					     size_t engine_size, void *ctx,
					     const struct bdus_opts *opts,
					     size_t opts_size);

static inline int bdus_cli_create_and_serve(const struct bdus_cli *cli,
					    struct buse_dev_info *info,
					    const struct storage_engine *engine,
					    void *ctx,
					    const struct bdus_opts *opts)
{
	return bdus_cli_create_and_serve_sized(cli, sizeof(*cli), info, engine,
					       sizeof(*engine), ctx, opts,
					       sizeof(*opts));
}

/*
 * bdus_cli_serve_index - bdus_serve(cli->index, engine, ctx, opts), then
 * cli->served(ctx) if set, then a message on stderr if it failed ("cannot
 * serve /dev/buseN").
 *
 * Returns main()'s exit status: 0 or 1.
 */
BDUS_API int bdus_cli_serve_index_sized(const struct bdus_cli *cli,
					size_t cli_size,
					const struct storage_engine *engine,
					size_t engine_size, void *ctx,
					const struct bdus_opts *opts,
					size_t opts_size);

static inline int bdus_cli_serve_index(const struct bdus_cli *cli,
				       const struct storage_engine *engine,
				       void *ctx, const struct bdus_opts *opts)
{
	return bdus_cli_serve_index_sized(cli, sizeof(*cli), engine,
					  sizeof(*engine), ctx, opts,
					  sizeof(*opts));
}

/*
 * bdus_main - the whole main() of a server: bdus_cli_parse(spec, ctx,
 * argc, argv, ...), then bdus_cli_serve(..., engine, ctx, 0).
 *
 * Returns main()'s exit status: 0, 1 or 2 (see above).
 */
BDUS_API int bdus_main_sized(int argc, char **argv,
			     const struct storage_engine *engine,
			     size_t engine_size,
			     const struct bdus_cli_spec *spec,
			     size_t spec_size, void *ctx);

static inline int bdus_main(int argc, char **argv,
			    const struct storage_engine *engine,
			    const struct bdus_cli_spec *spec, void *ctx)
{
	return bdus_main_sized(argc, argv, engine, sizeof(*engine), spec,
			       sizeof(*spec), ctx);
}

#ifdef __cplusplus
}
#endif

#endif /* BDUS_CLI_H */
