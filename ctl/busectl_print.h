/* SPDX-License-Identifier: MIT */
/*
 * busectl_print.h - busectl's output: devices and the driver's version as
 * text ("key: value" lines, list rows) and as JSON.  Each device field and
 * each version field is described once, in a table that both the text and
 * the JSON printers walk.  Nothing here touches /dev/busectl, so the unit
 * tests link busectl_print.c directly.
 */
#ifndef BUSECTL_PRINT_H
#define BUSECTL_PRINT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/buse.h>

/*
 * offsetof(type, m) in a constant expression that fails to build (an
 * array of negative size) unless member m is size bytes: for tables that
 * read or write members through their offsets.
 */
#define BUSECTL_MEMBER_OFF(type, m, size) \
	(offsetof(type, m) +              \
	 0 * sizeof(char[sizeof(((type *)0)->m) == (size) ? 1 : -1]))

/*
 * Human-readable size for tables: "0", "512B" (below 1K), "4K", "256M",
 * "2048T" (exact when the size is a multiple of the largest unit not above
 * it), else one decimal, rounded: "1.5G", "1.0G" for 1G + 512.  Returns buf.
 */
char *busectl_format_size(uint64_t size, char *buf, size_t len);

/* "idle", "running", "removing", "recovering" or "unknown". */
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

/*
 * Write the len bytes at s (or fewer: up to a NUL) as a JSON string, with
 * its quotes: '"' and '\' escaped with a backslash, control characters
 * and DEL as \u00XX, each byte that is not part of valid UTF-8 as \ufffd.
 */
void busectl_json_string(FILE *f, const char *s, size_t len);

/* Output of "info N" ("key: value" lines) and "info N --json". */
void busectl_print_info(FILE *f, const struct buse_dev_info *info);
void busectl_print_info_json(FILE *f, const struct buse_dev_info *info,
			     const char *indent);

/* Output of "list": a header and one row per device. */
void busectl_print_list_header(FILE *f);
void busectl_print_list_row(FILE *f, const struct buse_dev_info *info);
/*
 * A row (text) or an object (JSON, without a newline) for a device that
 * exists but whose details the caller may not see (INFO answered EACCES
 * or EPERM: another user's device).
 */
void busectl_print_list_hidden_row(FILE *f, uint32_t index);
void busectl_print_list_hidden_json(FILE *f, uint32_t index,
				    const char *indent);

/* Output of "version" and "version --json". */
void busectl_print_version(FILE *f, const struct buse_version *v);
void busectl_print_version_json(FILE *f, const struct buse_version *v);

#endif /* BUSECTL_PRINT_H */
