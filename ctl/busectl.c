// SPDX-License-Identifier: MIT
/*
 * busectl - administer buse devices through /dev/busectl.
 *
 *   busectl add [N] [--size SIZE] [--logical-block-size B]
 *               [--physical-block-size B] [--queues Q] [--depth D]
 *               [--max-io SIZE] [--read-only] [--rotational]
 *               [--no-write-cache] [--no-partscan] [--io-min SIZE]
 *               [--io-opt SIZE] [--max-discard SIZE]
 *               [--max-write-zeroes SIZE] [--discard-granularity SIZE]
 *               [--timeout SECONDS] [--recoverable]
 *               [--recovery-timeout SECONDS] [--owner USER[:GROUP]]
 *   busectl remove N [--force]
 *   busectl list [--json]
 *   busectl info N [--json]
 *   busectl version [--json]
 *   busectl help [command] | --help | <command> --help
 *
 * Exit status: 0 success, 1 the operation failed, 2 bad usage.  Errors go
 * to stderr as "busectl: ...".  Parsing lives in busectl_parse.c and
 * output in busectl_print.c (both unit-tested); this file only talks to
 * the driver and looks up the names given to --owner.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bdus_ctl.h"
#include "busectl_parse.h"
#include "busectl_print.h"

/* Report a failed control call: "busectl: <what>: <message>". */
static int ctl_fail(const char *what, int err)
{
	fprintf(stderr, "busectl: %s: %s\n", what, bdus_strerror_ctl(err));
	return BUSECTL_EXIT_FAIL;
}

/* Buffer size for getpwnam_r/getgrnam_r, doubled on ERANGE up to 1M. */
static size_t lookup_bufsize(int name)
{
	long n = sysconf(name);

	return n > 0 && n < (1 << 20) ? (size_t)n : 16384;
}

/*
 * Looks @name up with getpwnam_r() (@group false) or getgrnam_r(), growing
 * the buffer on ERANGE.  0 and *id set, 1 if there is no such name, or a
 * negative errno.
 */
static int lookup_name(const char *name, bool group, uint32_t *id)
{
	size_t len = lookup_bufsize(group ? _SC_GETGR_R_SIZE_MAX
					  : _SC_GETPW_R_SIZE_MAX);
	struct passwd pw, *pres;
	struct group gr, *gres;
	bool found;
	char *buf;
	int ret;

	for (;;) {
		buf = malloc(len);
		if (!buf)
			return -ENOMEM;
		pres = NULL;
		gres = NULL;
		ret = group ? getgrnam_r(name, &gr, buf, len, &gres)
			    : getpwnam_r(name, &pw, buf, len, &pres);
		if (ret != ERANGE || len >= (1 << 20))
			break;
		free(buf);
		len *= 2;
	}
	found = group ? gres != NULL : pres != NULL;
	if (found)
		*id = group ? (uint32_t)gr.gr_gid : (uint32_t)pw.pw_uid;
	free(buf);
	if (found)
		return 0;
	/* "not found" is 0 or, from some NSS modules, one of these */
	if (ret == 0 || ret == ENOENT || ret == ESRCH || ret == EBADF ||
	    ret == EPERM)
		return 1;
	return -ret;
}

/* busectl_lookup_fn for users and groups: 0, 1 (no such name) or -errno. */
static int lookup_user(const char *name, uint32_t *id)
{
	return lookup_name(name, false, id);
}

static int lookup_group(const char *name, uint32_t *id)
{
	return lookup_name(name, true, id);
}

static int cmd_add(struct busectl_args *a)
{
	struct buse_dev_info info = a->info;
	struct buse_version v;
	char what[32], err[512];
	int ret;

	/* Names given to --owner: resolved before asking the driver. */
	ret = busectl_owner_apply(&a->owner, &info, lookup_user, lookup_group,
				  err, sizeof(err));
	if (ret) {
		fprintf(stderr, "busectl: %s\n", err);
		return ret;
	}

	if (info.index == BUSE_INDEX_ANY)
		snprintf(what, sizeof(what), "add");
	else
		snprintf(what, sizeof(what), "add %" PRIu32, info.index);

	ret = bdus_ctl_add(&info);
	if (ret == -EINVAL && bdus_ctl_version(&v) == 0) {
		/* Locally valid but refused: most likely a driver limit. */
		fprintf(stderr,
			"busectl: %s: %s (driver limits: queues 1..%" PRIu32
			", depth 1..%" PRIu32 ", max-io up to %" PRIu32
			", block sizes up to the page size%s)\n",
			what, bdus_strerror_ctl(ret), v.max_queues, v.max_depth,
			v.max_io,
			(info.flags & BUSE_DEV_F_OWNER)
				? "; the owner's ids must be mapped in busectl's user "
				  "namespace"
				: "");
		return BUSECTL_EXIT_FAIL;
	}
	if (ret < 0)
		return ctl_fail(what, ret);
	printf("%" PRIu32 "\n", info.index);
	return BUSECTL_EXIT_OK;
}

static int cmd_remove(struct busectl_args *a)
{
	char what[32];
	int ret;

	snprintf(what, sizeof(what), "remove %" PRIu32, a->index);
	ret = bdus_ctl_remove_flags(a->index,
				    a->force ? BUSE_REMOVE_F_FORCE : 0);
	if (ret == -EBUSY && !a->force) {
		fprintf(stderr,
			"busectl: %s: %s; 'busectl remove --force %" PRIu32
			"' removes it anyway, failing its I/O\n",
			what, bdus_strerror_ctl(ret), a->index);
		return BUSECTL_EXIT_FAIL;
	}
	if (ret < 0)
		return ctl_fail(what, ret);
	return BUSECTL_EXIT_OK;
}

static int cmd_info(struct busectl_args *a)
{
	struct buse_dev_info info;
	char what[32];
	int ret;

	snprintf(what, sizeof(what), "info %" PRIu32, a->index);
	ret = bdus_ctl_info(a->index, &info);
	if (ret < 0)
		return ctl_fail(what, ret);
	if (a->json) {
		busectl_print_info_json(stdout, &info, "");
		putchar('\n');
	} else {
		busectl_print_info(stdout, &info);
	}
	return BUSECTL_EXIT_OK;
}

static int cmd_list(struct busectl_args *a)
{
	struct buse_dev_info info;
	uint32_t *indexes;
	size_t count, i, shown = 0;
	int ret, status = BUSECTL_EXIT_OK;
	char what[32];

	ret = bdus_ctl_list(&indexes, &count);
	if (ret < 0)
		return ctl_fail("list", ret);
	if (a->json)
		printf("[");
	else
		busectl_print_list_header(stdout);
	for (i = 0; i < count; i++) {
		ret = bdus_ctl_info(indexes[i], &info);
		if (ret == -ENODEV)
			continue; /* removed since the list was taken */
		if (ret == -EACCES || ret == -EPERM) {
			/* Another user's device: it exists, no details. */
			if (a->json) {
				printf("%s\n", shown ? "," : "");
				busectl_print_list_hidden_json(
					stdout, indexes[i], "  ");
			} else {
				busectl_print_list_hidden_row(stdout,
							      indexes[i]);
			}
			shown++;
			continue;
		}
		if (ret < 0) {
			snprintf(what, sizeof(what), "list: info %" PRIu32,
				 indexes[i]);
			status = ctl_fail(what, ret);
			continue;
		}
		if (a->json) {
			printf("%s\n", shown ? "," : "");
			busectl_print_info_json(stdout, &info, "  ");
		} else {
			busectl_print_list_row(stdout, &info);
		}
		shown++;
	}
	if (a->json)
		printf("%s]\n", shown ? "\n" : "");
	free(indexes);
	return status;
}

static int cmd_version(struct busectl_args *a)
{
	struct buse_version v;
	int ret;

	ret = bdus_ctl_version(&v);
	if (ret < 0)
		return ctl_fail("version", ret);
	if (a->json)
		busectl_print_version_json(stdout, &v);
	else
		busectl_print_version(stdout, &v);
	if (v.abi_version != BUSE_ABI_VERSION)
		fprintf(stderr,
			"busectl: warning: the driver's ABI version is %" PRIu32
			", busectl was built for %d\n",
			v.abi_version, BUSE_ABI_VERSION);
	return BUSECTL_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct busectl_args a;
	char err[512];
	int status;

	if (busectl_parse(argc, argv, &a, err, sizeof(err)) < 0) {
		fprintf(stderr, "busectl: %s\n", err);
		return BUSECTL_EXIT_USAGE;
	}
	if (a.help) {
		fputs(busectl_usage(a.cmd), stdout);
		return fflush(stdout) == 0 ? BUSECTL_EXIT_OK
					   : BUSECTL_EXIT_FAIL;
	}

	switch (a.cmd) {
	case BUSECTL_CMD_ADD:
		status = cmd_add(&a);
		break;
	case BUSECTL_CMD_REMOVE:
		status = cmd_remove(&a);
		break;
	case BUSECTL_CMD_INFO:
		status = cmd_info(&a);
		break;
	case BUSECTL_CMD_LIST:
		status = cmd_list(&a);
		break;
	case BUSECTL_CMD_VERSION:
		status = cmd_version(&a);
		break;
	case BUSECTL_CMD_NONE:
	default:
		fputs(busectl_usage(BUSECTL_CMD_NONE), stderr);
		return BUSECTL_EXIT_USAGE;
	}

	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("busectl: write error");
		return BUSECTL_EXIT_FAIL;
	}
	return status;
}
