/* SPDX-License-Identifier: MIT */
/*
 * bdus_cli.h - the standard command line of a buse server (part of libbdus).
 *
 * The device and server options every server takes, its own options
 * through a callback, --help, the arguments N or IMAGE N, and serving with
 * the shared messages and exit statuses (0 served, 1 failure, 2 usage):
 *
 *	int main(int argc, char **argv)
 *	{
 *		return bdus_main(argc, argv, &my_engine, &spec, &my_ctx);
 *	}
 *
 * The contract is in the man pages: bdus_main(3) (the command line, exit
 * statuses) and bdus_cli_parse(3) (the structs and the other functions).
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
#define BDUS_CLI_PBS (1u << 0)	     /* -p, --physical-block-size */
#define BDUS_CLI_READ_ONLY (1u << 1) /* -r, --read-only */
#define BDUS_CLI_TIMEOUT (1u << 2)   /* -t, --timeout SECONDS */
/* Arguments IMAGE N, or --create IMAGE (no --size needed). */
#define BDUS_CLI_IMAGE (1u << 3)
/* The engine keeps the data in memory (for the help of --mlock). */
#define BDUS_CLI_IN_MEMORY (1u << 4)
/* --create needs no --size: the engine knows the size (a URL, a filter). */
#define BDUS_CLI_ENGINE_SIZE (1u << 5)

/* The first struct option.val free for the program's long-only options. */
#define BDUS_CLI_OPT_FIRST 512

struct bdus_cli_spec;

/* What bdus_cli_parse() found on the command line.  Filled by it only. */
struct bdus_cli {
	const struct bdus_cli_spec *spec; /* as given to the parse */
	bool create;			  /* --create */
	bool have_size;			  /* --size given */
	bool read_only;			  /* --read-only */
	bool mlock;			  /* --mlock */
	bool no_pin;			  /* --no-pin */
	bool pin_near;			  /* --pin-near */
	uint64_t size;			  /* --size, never 0 when given */
	/* Create-only device options; 0 if not given: the driver's default. */
	uint32_t queues, poll_queues, depth, max_io, lbs, pbs, timeout;
	/* --poll-us N: N (at most BDUS_MAX_POLL_US), or no_poll for 0. */
	uint32_t poll_us;
	bool no_poll;
	uint32_t index;	   /* N, when not --create */
	const char *image; /* IMAGE, with BDUS_CLI_IMAGE */
	/* The spec's, for the serving functions. */
	const char *prog;
	unsigned int flags;
	void (*served)(void *ctx);
};

/* A program's command line: set up once, constant. */
struct bdus_cli_spec {
	const char *prog;   /* the program's name, prefixes messages */
	unsigned int flags; /* BDUS_CLI_* */

	/* Prints the whole help on f, for --help. */
	void (*usage)(FILE *f, const struct bdus_cli_spec *s);

	/* Replacements for the shared help texts, or NULL. */
	const char *help_size, *help_read_only;
	/* The program's own option lines, printed before --help; or NULL. */
	const char *help_extra;

	/* The program's own getopt_long() options, or NULL. */
	const char *shortopts;
	const struct option *longopts;

	/* Parses one of the program's own options into ctx; 0 or -errno. */
	int (*parse)(void *ctx, int opt, const char *arg, const char **valid);

	/* Called with ctx when serving returns (a summary, say); or NULL. */
	void (*served)(void *ctx);

	/* With BDUS_CLI_IMAGE: the argument's name in messages ("URL");
	   NULL: "IMAGE".  (libbdus 0.2.0 and later; may be left out.) */
	const char *arg_name;
};

/* Parse a decimal number; bdus_cli_parse(3), "Numbers". */
BDUS_API int bdus_parse_u32(const char *s, uint32_t *out);

/* Parse a size that fits in 32 bits; bdus_cli_parse(3), "Numbers". */
BDUS_API int bdus_parse_size32(const char *s, uint32_t *out);

/* Parse argc/argv per spec into *cli; bdus_cli_parse(3), "Parsing". */
BDUS_API bool bdus_cli_parse_sized(const struct bdus_cli_spec *spec,
				   size_t spec_size, void *ctx, int argc,
				   char **argv, struct bdus_cli *cli,
				   size_t cli_size, int *status);

static inline bool bdus_cli_parse(const struct bdus_cli_spec *spec, void *ctx,
				  int argc, char **argv, struct bdus_cli *cli,
				  int *status)
{
	return bdus_cli_parse_sized(spec, sizeof(*spec), ctx, argc, argv, cli,
				    sizeof(*cli), status);
}

/* Print the help of the shared options; bdus_cli_parse(3). */
BDUS_API void bdus_cli_usage_sized(FILE *f, const struct bdus_cli_spec *spec,
				   size_t spec_size);

static inline void bdus_cli_usage(FILE *f, const struct bdus_cli_spec *spec)
{
	bdus_cli_usage_sized(f, spec, sizeof(*spec));
}

/* The bdus_opts for serving *cli; bdus_cli_parse(3), "Serving". */
BDUS_API int bdus_cli_opts_sized(const struct bdus_cli *cli, size_t cli_size,
				 uint32_t flags, struct bdus_opts *opts,
				 size_t opts_size);

static inline int bdus_cli_opts(const struct bdus_cli *cli, uint32_t flags,
				struct bdus_opts *opts)
{
	return bdus_cli_opts_sized(cli, sizeof(*cli), flags, opts,
				   sizeof(*opts));
}

/* The buse_dev_info for creating the device; bdus_cli_parse(3). */
BDUS_API int bdus_cli_dev_info_sized(const struct bdus_cli *cli,
				     size_t cli_size,
				     struct buse_dev_info *info);

static inline int bdus_cli_dev_info(const struct bdus_cli *cli,
				    struct buse_dev_info *info)
{
	return bdus_cli_dev_info_sized(cli, sizeof(*cli), info);
}

/* Serve (or create and serve) the device of *cli; bdus_cli_parse(3). */
BDUS_API int bdus_cli_serve_sized(const struct bdus_cli *cli, size_t cli_size,
				  const struct storage_engine *engine,
				  size_t engine_size, void *ctx,
				  uint32_t flags);

static inline int bdus_cli_serve(const struct bdus_cli *cli,
				 const struct storage_engine *engine, void *ctx,
				 uint32_t flags)
{
	return bdus_cli_serve_sized(cli, sizeof(*cli), engine, sizeof(*engine),
				    ctx, flags);
}

/* bdus_create_and_serve() with messages; exit status; bdus_cli_parse(3). */
BDUS_API int bdus_cli_create_and_serve_sized(
	const struct bdus_cli *cli, size_t cli_size, struct buse_dev_info *info,
	const struct storage_engine *engine, size_t engine_size, void *ctx,
	const struct bdus_opts *opts, size_t opts_size);

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

/* bdus_serve() with messages; exit status; bdus_cli_parse(3). */
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

/* The whole main() of a server; returns its exit status.  bdus_main(3). */
BDUS_API int bdus_main_sized(int argc, char **argv,
			     const struct storage_engine *engine,
			     size_t engine_size,
			     const struct bdus_cli_spec *spec, size_t spec_size,
			     void *ctx);

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
