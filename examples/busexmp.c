// SPDX-License-Identifier: MIT
/*
 * busexmp - a RAM disk written against the BUSE API (<buse.h>), as a
 * program for BUSE (github.com/acozzette/BUSE) is written: it fills a
 * struct buse_operations and calls buse_main() with the device's path.
 * libbdus serves that path, /dev/buseN, instead of BUSE's /dev/nbdN.
 *
 * Build (from the top of the tree):
 *     make examples
 * or, against the installed library:
 *     cc -o busexmp busexmp.c $(pkg-config --cflags --libs bdus)
 * Run (as root; buse.ko loaded; the device made beforehand):
 *     busectl add 3 && examples/busexmp 128M /dev/buse3
 *     examples/busexmp --verbose 128M /dev/buse3   # each request on stderr
 *     examples/busexmp --help
 * Stop it with Ctrl-C (SIGINT) or SIGTERM, or remove the device: it
 * then exits with status 0.  The contract: buse_main(3).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <buse.h>

static void *data;

static int xmp_read(void *buf, u_int32_t len, u_int64_t offset, void *userdata)
{
	if (*(int *)userdata)
		fprintf(stderr, "R - %llu, %u\n", (unsigned long long)offset,
			len);
	memcpy(buf, (char *)data + offset, len);
	return 0;
}

static int xmp_write(const void *buf, u_int32_t len, u_int64_t offset,
		     void *userdata)
{
	if (*(int *)userdata)
		fprintf(stderr, "W - %llu, %u\n", (unsigned long long)offset,
			len);
	memcpy((char *)data + offset, buf, len);
	return 0;
}

static void xmp_disc(void *userdata)
{
	if (*(int *)userdata)
		fprintf(stderr, "Received a disconnect request.\n");
}

static int xmp_flush(void *userdata)
{
	if (*(int *)userdata)
		fprintf(stderr, "Received a flush request.\n");
	return 0;
}

static int xmp_trim(u_int64_t from, u_int32_t len, void *userdata)
{
	if (*(int *)userdata)
		fprintf(stderr, "T - %llu, %u\n", (unsigned long long)from,
			len);
	return 0;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [-v] SIZE DEVICE\n"
		"BUSE virtual block device that stores its content in "
		"memory.\n\n"
		"  SIZE    bytes, with an optional suffix K, M or G (powers "
		"of 1024)\n"
		"  DEVICE  the buse device to serve, /dev/buseN (made with "
		"busectl add N)\n\n"
		"  -v, --verbose  print each request on stderr\n"
		"  -h, --help     show this help\n",
		prog);
}

/* SIZE: a number with an optional K, M or G (BUSE's busexmp syntax). */
static int parse_size(const char *s, u_int64_t *size)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 0);
	switch (*end) {
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (*end || !v)
		return -1;
	*size = v;
	return 0;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static int verbose;
	u_int64_t size;
	int opt;

	while ((opt = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
		switch (opt) {
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (argc - optind != 2) {
		usage(stderr, argv[0]);
		return 2;
	}
	if (parse_size(argv[optind], &size)) {
		fprintf(stderr, "%s: SIZE must be a number (K, M, G): '%s'\n",
			argv[0], argv[optind]);
		return 2;
	}

	struct buse_operations aop = {
		.read = xmp_read,
		.write = xmp_write,
		.disc = xmp_disc,
		.flush = xmp_flush,
		.trim = xmp_trim,
		.size = size,
	};

	data = calloc(1, aop.size);
	if (!data) {
		fprintf(stderr, "%s: failed to alloc space for data\n",
			argv[0]);
		return 1;
	}

	return buse_main(argv[optind + 1], &aop, &verbose);
}
