// SPDX-License-Identifier: MIT
/*
 * ramdisk - a buse block device kept in memory.
 *
 * The device's contents live in an anonymous private mapping of the
 * device's size (MAP_NORESERVE: memory is used only for blocks written;
 * discarded ranges are given back).  Everything is lost when the program
 * stops.
 *
 * Build (from the top of the tree):
 *     make examples
 * Run (as root; buse.ko loaded):
 *     examples/ramdisk --create --size 1G          # creates /dev/buseN,
 *                                                  # prints its path,
 *                                                  # removes it on exit
 *     N=$(busectl add --size 1G) && examples/ramdisk $N
 *                                                  # serves an existing device
 *     examples/ramdisk --size 1G 3                 # device 3, created without
 *                                                  # a size, gets 1G
 *     examples/ramdisk --help
 * Stop it with Ctrl-C (SIGINT) or SIGTERM, or remove the device
 * (busectl remove N): it then exits with status 0.
 *
 * Once the device is served the program prints its path (/dev/buseN) on
 * stdout, in both modes, so a script can wait for that line.
 *
 * The command line and the serving logic every server shares are
 * libbdus' (bdus_cli.h, bdus_main(3)); the engine is ramdisk_engine.c
 * (shared with faulty, a fault filter over it); this file has main().
 */
#include <stdio.h>

#include <bdus.h>
#include <bdus_cli.h>

#include "ramdisk_engine.h"

/* ------------------------------------------------------------------------
 * Command line (the shared part is libbdus' bdus_cli.h)
 */

static void usage(FILE *f, const struct bdus_cli_spec *s)
{
	fprintf(f,
		"Usage: %s [--size SIZE] N\n"
		"       %s --create --size SIZE [OPTIONS]\n"
		"\n"
		"Serve buse device N (/dev/buseN) from memory, or create a device,\n"
		"serve it and remove it on exit.  Prints /dev/buseN once serving.\n"
		"Stops on SIGINT/SIGTERM or when the device is removed.\n"
		"\n",
		s->prog, s->prog);
	bdus_cli_usage(f, s);
}

static const struct bdus_cli_spec spec = {
	.prog = "ramdisk",
	.flags = BDUS_CLI_PBS | BDUS_CLI_READ_ONLY | BDUS_CLI_IN_MEMORY,
	.usage = usage,
};

int main(int argc, char **argv)
{
	struct ramdisk rd = { 0 };

	return bdus_main(argc, argv, &ramdisk_engine, &spec, &rd);
}
