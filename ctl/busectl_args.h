/* SPDX-License-Identifier: MIT */
/*
 * busectl_args.h - the pure parts of busectl: command-line parsing and
 * validation, and formatting of devices (text and JSON).  Nothing here
 * touches /dev/busectl, so the unit tests link these files directly.
 */
#ifndef BUSECTL_ARGS_H
#define BUSECTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/buse.h>

/* Exit codes. */
#define BUSECTL_EXIT_OK		0
#define BUSECTL_EXIT_FAIL	1	/* the operation failed */
#define BUSECTL_EXIT_USAGE	2	/* bad command line */

enum busectl_cmd {
	BUSECTL_CMD_NONE = 0,	/* "busectl --help" / "busectl help" */
	BUSECTL_CMD_ADD,
	BUSECTL_CMD_REMOVE,
	BUSECTL_CMD_LIST,
	BUSECTL_CMD_INFO,
	BUSECTL_CMD_VERSION,
};

struct busectl_args {
	enum busectl_cmd cmd;
	bool help;		/* print the usage of cmd, and exit 0 */
	bool json;		/* list, info, version: --json */
	bool force;		/* remove: --force */
	uint32_t index;		/* remove, info */
	struct buse_dev_info info; /* add: ready for bdus_ctl_add() */
};

/*
 * Parse a whole command line (argv[0] is the program name).  Returns 0
 * and fills *out, or -1 with a one-line message (without a "busectl: "
 * prefix or a newline) in err.  When the user asked for help, returns 0
 * with out->help set and out->cmd the command whose help was asked for
 * (BUSECTL_CMD_NONE: the general help).
 */
int busectl_parse(int argc, char **argv, struct busectl_args *out,
		  char *err, size_t errlen);

/*
 * Parse and validate the arguments of "add" (argv[0] is "add").  Returns
 * 0 and fills *out (index is BUSE_INDEX_ANY when no N was given, fields
 * not given are 0: the driver's default; physical_block_size defaults to
 * the logical block size when only that was given), 1 when --help was
 * given, or -1 with a message in err.
 */
int busectl_parse_add(int argc, char **argv, struct buse_dev_info *out,
		      char *err, size_t errlen);

/* Parse a device index "0".."65535": 0 or -1. */
int busectl_parse_index(const char *s, uint32_t *out);

/* Usage text for cmd (BUSECTL_CMD_NONE: the general one). */
const char *busectl_usage(enum busectl_cmd cmd);

/* Name of a command ("add"), or NULL. */
const char *busectl_cmd_name(enum busectl_cmd cmd);

/*
 * Human-readable size for tables: "0", "512B" (below 1K), "4K", "256M",
 * "2048T" (exact when the size is a multiple of the largest unit not above
 * it), else one decimal, rounded: "1.5G", "1.0G" for 1G + 512.  Returns buf.
 */
char *busectl_format_size(uint64_t size, char *buf, size_t len);

/* "idle", "running", "removing" or "unknown". */
const char *busectl_state_name(uint32_t state);

/*
 * Comma-separated op names of an ops bitmask: "read,write,flush,fua";
 * "-" when 0.  Returns buf.
 */
char *busectl_format_ops(uint32_t ops, char *buf, size_t len);

/*
 * Comma-separated names of BUSE_DEV_F_* flags: "read_only,rotational";
 * "-" when none.  Returns buf.
 */
char *busectl_format_dev_flags(uint32_t flags, char *buf, size_t len);

/* Output of "info N" ("key: value" lines) and "info N --json". */
void busectl_print_info(FILE *f, const struct buse_dev_info *info);
void busectl_print_info_json(FILE *f, const struct buse_dev_info *info,
			     const char *indent);

/* Output of "list": a header and one row per device. */
void busectl_print_list_header(FILE *f);
void busectl_print_list_row(FILE *f, const struct buse_dev_info *info);

/* Output of "version" and "version --json". */
void busectl_print_version(FILE *f, const struct buse_version *v);
void busectl_print_version_json(FILE *f, const struct buse_version *v);

#endif /* BUSECTL_ARGS_H */
