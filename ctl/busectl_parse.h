/* SPDX-License-Identifier: MIT */
/*
 * busectl_parse.h - busectl's command line: parsing, validation and the
 * usage texts.  "busectl add" is driven by one table of options, from
 * which its help is generated too.  Nothing here touches /dev/busectl, so
 * the unit tests link busectl_parse.c directly.
 */
#ifndef BUSECTL_PARSE_H
#define BUSECTL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/buse.h>

/* Exit codes. */
#define BUSECTL_EXIT_OK 0
#define BUSECTL_EXIT_FAIL 1  /* the operation failed */
#define BUSECTL_EXIT_USAGE 2 /* bad command line */

enum busectl_cmd {
	BUSECTL_CMD_NONE = 0, /* "busectl --help" / "busectl help" */
	BUSECTL_CMD_ADD,
	BUSECTL_CMD_REMOVE,
	BUSECTL_CMD_LIST,
	BUSECTL_CMD_INFO,
	BUSECTL_CMD_VERSION,
};

/* Longest user or group name accepted by --owner (LOGIN_NAME_MAX). */
#define BUSECTL_NAME_MAX 256

/* Largest uid or gid --owner accepts. */
#define BUSECTL_MAX_ID 0xfffffffeu /* uid/gid; -1 is invalid */

/*
 * "--owner USER[:GROUP]" split up.  A part made only of digits is a
 * numeric id, anything else a name that busectl resolves (getpwnam_r,
 * getgrnam_r) before calling the driver: see busectl_owner_apply().
 */
struct busectl_owner {
	bool set;		      /* --owner was given */
	bool has_group;		      /* ":GROUP" was given */
	char user[BUSECTL_NAME_MAX];  /* a name, or "" when numeric */
	char group[BUSECTL_NAME_MAX]; /* a name, or "" when numeric/none */
	uint32_t uid;		      /* when user is "" */
	uint32_t gid;		      /* when has_group and group is "" */
};

struct busectl_args {
	enum busectl_cmd cmd;
	bool help;		    /* print the usage of cmd, and exit 0 */
	bool json;		    /* list, info, version: --json */
	bool force;		    /* remove: --force */
	uint32_t index;		    /* remove, info */
	struct buse_dev_info info;  /* add: ready for bdus_ctl_add() once the
				      owner's names are resolved */
	struct busectl_owner owner; /* add: --owner */
};

/*
 * Parse a whole command line (argv[0] is the program name).  Returns 0
 * and fills *out, or -1 with a one-line message (without a "busectl: "
 * prefix or a newline) in err.  When the user asked for help, returns 0
 * with out->help set and out->cmd the command whose help was asked for
 * (BUSECTL_CMD_NONE: the general help).
 */
int busectl_parse(int argc, char **argv, struct busectl_args *out, char *err,
		  size_t errlen);

/*
 * Parse and validate the arguments of "add" (argv[0] is "add").  Returns
 * 0 and fills *out (index is BUSE_INDEX_ANY when no N was given, fields
 * not given are 0: the driver's default; physical_block_size defaults to
 * the logical block size when only that was given), 1 when --help was
 * given, or -1 with a message in err.
 *
 * *owner (not NULL) gets the parsed --owner (owner->set false without
 * one); --owner also sets BUSE_DEV_F_OWNER in out->flags, numeric ids go
 * to out->owner_uid and out->owner_gid (BUSE_NO_GROUP without a group) at
 * once, names are left in *owner for busectl_owner_apply().  The sizes
 * whose limits depend on the logical block size (--io-min, --io-opt,
 * --max-discard, --max-write-zeroes, --discard-granularity) are checked
 * once every option is known, against the logical block size in effect.
 */
int busectl_parse_add(int argc, char **argv, struct buse_dev_info *out,
		      struct busectl_owner *owner, char *err, size_t errlen);

/*
 * Parse "USER[:GROUP]" (the value of --owner; opt is the option's name
 * for messages).  Returns 0 and fills *out, or -1 with a message ("add:
 * invalid owner ...") in err.
 */
int busectl_parse_owner(const char *s, const char *opt,
			struct busectl_owner *out, char *err, size_t errlen);

/*
 * Name-to-id lookups for busectl_owner_apply(): 0 and *id set, 1 when
 * there is no such name, or a negative errno when the lookup failed.
 */
typedef int (*busectl_lookup_fn)(const char *name, uint32_t *id);

/*
 * Resolve the names of *owner with the given lookups and store the ids
 * in info (owner_uid, owner_gid: BUSE_NO_GROUP without a group).  Nothing
 * to do unless owner->set.  Returns 0; BUSECTL_EXIT_USAGE for an unknown
 * user or group, BUSECTL_EXIT_FAIL when a lookup failed; with a message
 * ("add: unknown user 'bob' (--owner)") in err.
 */
int busectl_owner_apply(const struct busectl_owner *owner,
			struct buse_dev_info *info, busectl_lookup_fn user,
			busectl_lookup_fn group, char *err, size_t errlen);

/* Parse a device index "0".."BUSE_MAX_INDEX": 0 or -1. */
int busectl_parse_index(const char *s, uint32_t *out);

/* Usage text for cmd (BUSECTL_CMD_NONE: the general one). */
const char *busectl_usage(enum busectl_cmd cmd);

/* Name of a command ("add"), or NULL. */
const char *busectl_cmd_name(enum busectl_cmd cmd);

#endif /* BUSECTL_PARSE_H */
