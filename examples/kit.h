/* SPDX-License-Identifier: MIT */
/*
 * kit.h - the engines installed as buse-<name> (http, nbd, cache, cow) and
 * how they stack.  Internal to examples/: not a libbdus API.
 *
 * A kit engine is either a source, which serves one argument (a URL, an
 * NBD URI, an image file), or a filter, which serves the engine named
 * after "--" on its command line through libbdus' filters
 * (bdus_filter_compose(3)):
 *
 *     buse-http [OPTIONS] URL N          buse-http --create [OPTIONS] URL
 *     buse-cache --cache FILE --bitmap FILE [OPTIONS] (N | --create) \
 *             -- http [HTTP-OPTIONS] URL
 *
 * Filters nest: "-- cow ... -- http URL" works the same way.  kit_main()
 * parses the whole line, sets the engines up innermost first (so a
 * filter knows its inner engine's size and identity), creates or attaches
 * the device with the size the stack reports and serves it.
 */
#ifndef BUSE_KIT_H
#define BUSE_KIT_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bdus.h>

/* What an engine set up serves: filled by kit_engine.setup(). */
struct kit_source {
	uint64_t size;	/* bytes the engine can serve */
	bool read_only; /* writes fail (the device must be read-only) */
	/*
	 * What the engine serves, as a cache or overlay header records it
	 * ("http https://host/x.img etag=... size=..."): two runs with the
	 * same identity serve the same bytes.
	 */
	char ident[1024];
	/* The engine to serve (or to filter) and its ctx. */
	const struct storage_engine *engine;
	void *ctx;
};

struct kit_engine {
	const char *name;     /* "http": the program is buse-http */
	const char *arg_name; /* "URL"; NULL for a filter */
	const char *summary;  /* one line: what it serves */
	const char *help;     /* its own option lines, or NULL */
	const char *shortopts;
	const struct option *longopts;
	size_t ctx_size; /* zeroed ctx handed to every callback */

	/* One of its options, as bdus_cli_spec.parse: 0 or -errno. */
	int (*parse)(void *ctx, int opt, const char *arg, const char **valid);

	/*
	 * Optional, for a filter: whether, as its options stand, it serves
	 * without the engines below it (the cache's --offline).  They are
	 * then parsed but neither set up nor contacted, and setup() gets an
	 * inner source with only an ident: the name of the engine below it
	 * ("http"), no engine and size 0.
	 */
	bool (*offline)(void *ctx);

	/*
	 * Checks the options and sets the engine up: a source opens arg, a
	 * filter is given its inner engine's source (set up already) and
	 * composes itself over it.  Fills *src.  0, or -1 after a message
	 * on stderr naming the engine.
	 */
	int (*setup)(void *ctx, const char *arg, const struct kit_source *inner,
		     struct kit_source *src);

	/* Undoes setup() (after serving, or when a later step failed). */
	void (*teardown)(void *ctx);
};

/* The engines, for names after "--". */
extern const struct kit_engine kit_http, kit_nbd, kit_cache, kit_cow, kit_file;

/* The whole main() of buse-<top->name>; returns the exit status. */
int kit_main(int argc, char **argv, const struct kit_engine *top);

/* "prog: " + message on stderr, for engines' messages. */
void kit_err(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* BUSE_KIT_H */
