// SPDX-License-Identifier: MIT
/*
 * test_busectl.c - run the built ctl/busectl (BUSECTL_BIN, set by the
 * Makefile) and check exit codes and messages that need no driver: help,
 * usage errors (exit 2), and "module not loaded" (exit 1) on a host
 * without /dev/busectl.  With fake_kernel_preload.c preloaded (a simulated
 * /dev/busectl), also the success paths and the driver's errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <linux/buse.h>

#if !defined(BUSECTL_BIN) || !defined(FAKE_KERNEL_SO)
#error "BUSECTL_BIN and FAKE_KERNEL_SO must be defined by the Makefile"
#endif

extern char **environ;

struct result {
	int status; /* exit code; 128 + signal if killed */
	char out[16384];
	char err[16384];
};

static void slurp(int fd, char *buf, size_t len)
{
	ssize_t n;
	size_t off = 0;

	lseek(fd, 0, SEEK_SET);
	while (off + 1 < len && (n = read(fd, buf + off, len - 1 - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
	close(fd);
}

static int tmpfd(void)
{
	char path[] = "/tmp/busectl-test-XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
	unlink(path);
	return fd;
}

/*
 * Run busectl with argv[] and the environment plus `extra` (NULL or a
 * NULL-terminated list of "NAME=value").
 */
static void run_argv(struct result *r, char **argv, const char *const *extra)
{
	char *envp[256];
	int n = 0, outfd, errfd, st;
	posix_spawn_file_actions_t fa;
	pid_t pid;

	cr_assert_eq(access(BUSECTL_BIN, X_OK), 0,
		     "%s not built (make -C ctl): %s", BUSECTL_BIN,
		     strerror(errno));
	for (char **e = environ; *e && n < 200; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11) != 0 &&
		    strncmp(*e, "FAKE_BUSE_", 10) != 0)
			envp[n++] = *e;
	for (; extra && *extra && n < 255; extra++)
		envp[n++] = (char *)*extra;
	envp[n] = NULL;

	outfd = tmpfd();
	errfd = tmpfd();
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outfd, 1);
	posix_spawn_file_actions_adddup2(&fa, errfd, 2);
	cr_assert_eq(posix_spawn(&pid, BUSECTL_BIN, &fa, NULL, argv, envp), 0);
	posix_spawn_file_actions_destroy(&fa);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	slurp(outfd, r->out, sizeof(r->out));
	slurp(errfd, r->err, sizeof(r->err));
}

static void run_va(struct result *r, const char *const *extra, va_list ap)
{
	char *argv[64];
	const char *s;
	int argc = 0;

	argv[argc++] = (char *)BUSECTL_BIN;
	while ((s = va_arg(ap, const char *))) {
		cr_assert_lt(argc, 63, "too many arguments for run_va()");
		argv[argc++] = (char *)s;
	}
	argv[argc] = NULL;
	run_argv(r, argv, extra);
}

/* Run busectl with the given arguments (NULL-terminated). */
static void run(struct result *r, ...)
{
	va_list ap;

	va_start(ap, r);
	run_va(r, NULL, ap);
	va_end(ap);
}

/* The same with the fake driver preloaded; devices: "0,3" (see
 * fake_kernel_preload.c), extra: one more "NAME=value" or NULL. */
static void run_fake(struct result *r, const char *devices, const char *extra,
		     ...)
{
	char devs[128];
	const char *env[4] = { "LD_PRELOAD=" FAKE_KERNEL_SO, devs, extra,
			       NULL };
	va_list ap;

	cr_assert_eq(access(FAKE_KERNEL_SO, R_OK), 0, "%s not built",
		     FAKE_KERNEL_SO);
	snprintf(devs, sizeof(devs), "FAKE_BUSE_DEVICES=%s", devices);
	va_start(ap, extra);
	run_va(r, env, ap);
	va_end(ap);
}

#define RUN(r, ...) run(r, __VA_ARGS__, NULL)
#define FAKE(r, devs, extra, ...) run_fake(r, devs, extra, __VA_ARGS__, NULL)

/* A usage error: exit 2, nothing on stdout, "busectl: ...want..." on
 * stderr. */
#define USAGE_ERROR(want, ...)                                              \
	do {                                                                \
		struct result *r_ = malloc(sizeof(*r_));                    \
		cr_assert_not_null(r_);                                     \
		RUN(r_, __VA_ARGS__);                                       \
		cr_expect_eq(r_->status, 2, #__VA_ARGS__ ": exit %d (%s)",  \
			     r_->status, r_->err);                          \
		cr_expect_str_empty(r_->out, #__VA_ARGS__ ": stdout '%s'",  \
				    r_->out);                               \
		cr_expect_eq(strncmp(r_->err, "busectl: ", 9), 0,           \
			     #__VA_ARGS__ ": stderr '%s'", r_->err);        \
		cr_expect(strstr(r_->err, want) != NULL,                    \
			  #__VA_ARGS__ ": stderr '%s' lacks '%s'", r_->err, \
			  want);                                            \
		free(r_);                                                   \
	} while (0)

static struct result *new_result(void)
{
	struct result *r = calloc(1, sizeof(*r));

	cr_assert_not_null(r);
	return r;
}

Test(busectl_cli, help)
{
	struct result *r = new_result();

	RUN(r, "--help");
	cr_expect_eq(r->status, 0, "stderr: %s", r->err);
	cr_expect(strstr(r->out, "Usage: busectl <command>"), "%s", r->out);
	for (const char *const *c =
		     (const char *const[]){ "add [N]", "remove N", "list",
					    "info N", "version", NULL };
	     *c; c++)
		cr_expect(strstr(r->out, *c), "help lacks '%s'", *c);
	cr_expect_str_empty(r->err);

	RUN(r, "-h");
	cr_expect_eq(r->status, 0);
	cr_expect(strstr(r->out, "Usage: busectl <command>"));

	RUN(r, "help");
	cr_expect_eq(r->status, 0);
	cr_expect(strstr(r->out, "Usage: busectl <command>"));
	free(r);
}

Test(busectl_cli, command_help)
{
	struct result *r = new_result();
	static const char *const opts[] = {
		"--size",
		"--logical-block-size",
		"--physical-block-size",
		"--queues",
		"--depth",
		"--max-io",
		"--read-only",
		"--rotational",
		"--no-write-cache",
		"--no-partscan",
		"--io-min",
		"--io-opt",
		"--max-discard",
		"--max-write-zeroes",
		"--discard-granularity",
		"--timeout",
		"--recoverable",
		"--recovery-timeout",
		"--owner USER[:GROUP]",
		NULL,
	};

	RUN(r, "add", "--help");
	cr_expect_eq(r->status, 0);
	cr_expect(strstr(r->out, "Usage: busectl add [N] [options]"), "%s",
		  r->out);
	for (const char *const *o = opts; *o; o++)
		cr_expect(strstr(r->out, *o), "add help lacks %s", *o);

	RUN(r, "help", "add");
	cr_expect_eq(r->status, 0);
	cr_expect(strstr(r->out, "Usage: busectl add"));

	RUN(r, "remove", "--help");
	cr_expect_eq(r->status, 0);
	cr_expect(strstr(r->out, "Usage: busectl remove N [--force]"));

	RUN(r, "list", "-h");
	cr_expect_eq(r->status, 0);
	cr_expect(strstr(r->out, "Usage: busectl list [--json]"));

	RUN(r, "info", "--help");
	cr_expect_eq(r->status, 0);
	cr_expect(strstr(r->out, "Usage: busectl info N [--json]"));

	RUN(r, "version", "--help");
	cr_expect_eq(r->status, 0);
	cr_expect(strstr(r->out, "Usage: busectl version"));
	/* help needs no driver: works even with bad arguments around it */
	RUN(r, "add", "--size", "junk", "--help");
	cr_expect_eq(r->status, 0);
	free(r);
}

Test(busectl_cli, usage_errors)
{
	USAGE_ERROR("unknown command 'frob'", "frob");
	USAGE_ERROR("unknown option '--frob'", "--frob");
	USAGE_ERROR("help: unknown command 'nope'", "help", "nope");
	USAGE_ERROR("remove: missing device index", "remove");
	USAGE_ERROR("info: missing device index", "info");
	USAGE_ERROR("remove: invalid device index 'abc'", "remove", "abc");
	USAGE_ERROR("info: invalid device index '65536'", "info", "65536");
	USAGE_ERROR("list: unexpected argument 'x'", "list", "x");
	USAGE_ERROR("list: unknown option '--all'", "list", "--all");
	USAGE_ERROR("version: unexpected argument '1'", "version", "1");
}

Test(busectl_cli, no_arguments)
{
	struct result *r = new_result();

	run(r, NULL);
	cr_expect_eq(r->status, 2);
	cr_expect(strstr(r->err, "busectl: missing command"), "%s", r->err);
	cr_expect_str_empty(r->out);
	free(r);
}

/* Bad parameters are caught before the driver is asked. */
Test(busectl_cli, add_usage_errors)
{
	USAGE_ERROR("add: unknown option '--bogus'", "add", "--bogus");
	USAGE_ERROR("add: invalid device index '70000'", "add", "70000");
	USAGE_ERROR("add: invalid device index '-1'", "add", "-1");
	USAGE_ERROR("add: unexpected argument '2'", "add", "1", "2");
	USAGE_ERROR("add: option '--size' requires a value", "add", "--size");
	USAGE_ERROR("add: invalid size '12Q'", "add", "--size", "12Q");
	USAGE_ERROR("add: invalid size '-1G'", "add", "--size=-1G");
	USAGE_ERROR("too large", "add", "--size", "99999999999999T");
	USAGE_ERROR("not a multiple of the logical block size (512)", "add",
		    "--size", "1000");
	USAGE_ERROR("invalid logical block size '1000'", "add",
		    "--logical-block-size", "1000");
	USAGE_ERROR("invalid logical block size '8192'", "add",
		    "--logical-block-size", "8192");
	USAGE_ERROR("must not be smaller than the logical block size", "add",
		    "--logical-block-size", "4K", "--physical-block-size",
		    "1K");
	USAGE_ERROR("invalid number of queues '0'", "add", "--queues", "0");
	USAGE_ERROR("invalid number of queues '65'", "add", "--queues", "65");
	USAGE_ERROR("invalid queue depth '2000'", "add", "--depth", "2000");
	USAGE_ERROR("invalid max I/O size '1000'", "add", "--max-io", "1000");
	USAGE_ERROR("invalid max I/O size '8M'", "add", "--max-io", "8M");
	USAGE_ERROR("option '--read-only' takes no value", "add",
		    "--read-only=1");
}

/* The device parameters: checked locally too, exit 2, nothing run. */
Test(busectl_cli, add_param_usage_errors)
{
	USAGE_ERROR("add: invalid minimum I/O size '1000' (--io-min): must be "
		    "a multiple of the logical block size (512)",
		    "add", "--io-min", "1000");
	USAGE_ERROR("add: invalid optimal I/O size '2G' (--io-opt)", "add",
		    "--io-opt", "2G");
	USAGE_ERROR("add: invalid max discard size '4G' (--max-discard): must "
		    "be a multiple of the logical block size (512) between 512 "
		    "and 4294966784 (4G - 512)",
		    "add", "--max-discard", "4G");
	USAGE_ERROR("add: invalid max write-zeroes size '1K' "
		    "(--max-write-zeroes): must be a multiple of the logical "
		    "block size (4096)",
		    "add", "--logical-block-size", "4K", "--max-write-zeroes",
		    "1K");
	USAGE_ERROR("add: invalid discard granularity '3K'", "add",
		    "--discard-granularity", "3K");
	USAGE_ERROR("add: invalid timeout '86401' (--timeout)", "add",
		    "--timeout", "86401");
	USAGE_ERROR("add: invalid recovery timeout '-1'", "add",
		    "--recoverable", "--recovery-timeout=-1");
	USAGE_ERROR("add: --recovery-timeout requires --recoverable", "add",
		    "--recovery-timeout", "60");
	USAGE_ERROR("add: option '--rotational' takes no value", "add",
		    "--rotational=yes");
	USAGE_ERROR("add: invalid owner 'a:b:c' (--owner)", "add", "--owner",
		    "a:b:c");
	USAGE_ERROR("add: invalid owner 'alice:' (--owner): the group after "
		    "':' is missing",
		    "add", "--owner", "alice:");
	USAGE_ERROR("add: option '--owner' requires a value", "add", "--owner");
	/* names are looked up before the driver is asked */
	USAGE_ERROR("add: unknown user 'no-such-user-buse' (--owner)", "add",
		    "--owner", "no-such-user-buse");
	USAGE_ERROR("add: unknown group 'no-such-group-buse' (--owner)", "add",
		    "--owner", "0:no-such-group-buse");
}

/* Without the driver every operation fails with exit 1 and the hint. */
Test(busectl_cli, module_not_loaded)
{
	static const char *const cmds[][4] = {
		{ "add", NULL },
		{ "add", "1", NULL },
		{ "add", "2", "--size", "256M" },
		{ "remove", "1", NULL },
		{ "info", "1", NULL },
		{ "list", NULL },
		{ "list", "--json", NULL },
		{ "version", NULL },
	};
	struct result *r;

	if (access(BUSE_CTL_DEVICE, F_OK) == 0)
		cr_skip_test(BUSE_CTL_DEVICE " exists on this host");
	r = new_result();
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const char *const *c = cmds[i];

		run(r, c[0], c[1], c[2], c[3], NULL);
		cr_expect_eq(r->status, 1, "%s %s: exit %d", c[0],
			     c[1] ? c[1] : "", r->status);
		cr_expect(strstr(r->err, "buse module not loaded "
					 "(/dev/busectl missing): insmod "
					 "driver/buse.ko"),
			  "%s: stderr '%s'", c[0], r->err);
		cr_expect_eq(strncmp(r->err, "busectl: ", 9), 0, "%s", r->err);
		cr_expect_str_empty(r->out, "%s: stdout '%s'", c[0], r->out);
	}
	free(r);
}

/* ------------------------------------------------------------------------
 * Against the simulated driver (fake_kernel_preload.c)
 */

Test(busectl_fake, add_prints_the_index)
{
	struct result *r = new_result();

	FAKE(r, "0,1", NULL, "add");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_expect_str_eq(r->out, "2\n", "first free index");
	cr_expect_str_empty(r->err);

	FAKE(r, "", NULL, "add", "--size", "1G", "--queues", "2");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_expect_str_eq(r->out, "0\n");

	FAKE(r, "0", NULL, "add", "7", "--size", "256M", "--read-only");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_expect_str_eq(r->out, "7\n");
	free(r);
}

Test(busectl_fake, add_errors)
{
	struct result *r = new_result();

	FAKE(r, "0,1", NULL, "add", "1");
	cr_expect_eq(r->status, 1);
	cr_expect_str_eq(r->err,
			 "busectl: add 1: device index already in use\n");
	cr_expect_str_empty(r->out);

	/* refused by the driver: its limits are shown */
	FAKE(r, "", NULL, "add", "--queues", "4");
	cr_expect_eq(r->status, 1);
	cr_expect(strstr(r->err, "busectl: add: invalid argument (driver "
				 "limits: queues 1..2, depth 1..1024"),
		  "%s", r->err);
	free(r);
}

Test(busectl_fake, remove)
{
	struct result *r = new_result();

	FAKE(r, "3", NULL, "remove", "3");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_expect_str_empty(r->out);
	cr_expect_str_empty(r->err);

	FAKE(r, "3", NULL, "remove", "4");
	cr_expect_eq(r->status, 1);
	cr_expect_str_eq(r->err, "busectl: remove 4: no such device\n");

	/* open (mounted): refused, with a hint; --force removes it */
	FAKE(r, "3", "FAKE_BUSE_BUSY=3", "remove", "3");
	cr_expect_eq(r->status, 1);
	cr_expect_str_eq(r->err, "busectl: remove 3: device busy (open or "
				 "mounted); 'busectl remove --force 3' removes "
				 "it anyway, failing its I/O\n");
	cr_expect_str_empty(r->out);
	FAKE(r, "3", "FAKE_BUSE_BUSY=3", "remove", "3", "--force");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_expect_str_empty(r->err);
	free(r);
}

Test(busectl_fake, info)
{
	struct result *r = new_result();

	FAKE(r, "0,3", NULL, "info", "0");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_expect_str_eq(r->out, "index: 0\n"
				 "path: /dev/buse0\n"
				 "char_path: /dev/busec0\n"
				 "size: 268435456\n"
				 "size_human: 256M\n"
				 "state: running\n"
				 "server_pid: 1234\n"
				 "nr_queues: 2\n"
				 "nr_poll_queues: 0\n"
				 "queue_depth: 128\n"
				 "max_io: 262144\n"
				 "logical_block_size: 512\n"
				 "physical_block_size: 512\n"
				 "read_only: false\n"
				 "ops: read,write,flush\n"
				 "flags: -\n"
				 "io_min: 512\n"
				 "io_opt: 0\n"
				 "discard_granularity: 512\n"
				 "max_discard: 4294966784\n"
				 "max_write_zeroes: 4294966784\n"
				 "timeout: 0\n"
				 "recovery_timeout: 0\n"
				 "owner: -\n"
				 "serial: -\n");

	FAKE(r, "0,3", NULL, "info", "3", "--json");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_expect_str_eq(r->out, "{\n"
				 "  \"index\": 3,\n"
				 "  \"path\": \"/dev/buse3\",\n"
				 "  \"char_path\": \"/dev/busec3\",\n"
				 "  \"size\": 268435456,\n"
				 "  \"state\": \"idle\",\n"
				 "  \"server_pid\": 0,\n"
				 "  \"nr_queues\": 2,\n"
				 "  \"nr_poll_queues\": 0,\n"
				 "  \"queue_depth\": 128,\n"
				 "  \"max_io\": 262144,\n"
				 "  \"logical_block_size\": 512,\n"
				 "  \"physical_block_size\": 512,\n"
				 "  \"read_only\": false,\n"
				 "  \"ops\": 0,\n"
				 "  \"op_names\": [],\n"
				 "  \"flags\": 0,\n"
				 "  \"flag_names\": [],\n"
				 "  \"io_min\": 512,\n"
				 "  \"io_opt\": 0,\n"
				 "  \"discard_granularity\": 512,\n"
				 "  \"max_discard\": 4294966784,\n"
				 "  \"max_write_zeroes\": 4294966784,\n"
				 "  \"timeout\": 0,\n"
				 "  \"recovery_timeout\": 0,\n"
				 "  \"serial\": null,\n"
				 "  \"owner_uid\": null,\n"
				 "  \"owner_gid\": null\n"
				 "}\n");

	FAKE(r, "0,3", NULL, "info", "9");
	cr_expect_eq(r->status, 1);
	cr_expect_str_eq(r->err, "busectl: info 9: no such device\n");
	cr_expect_str_empty(r->out);
	free(r);
}

Test(busectl_fake, list)
{
	struct result *r = new_result();

	FAKE(r, "0,3", NULL, "list");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_expect_str_eq(
		r->out,
		"INDEX      SIZE STATE           PID QUEUES  DEPTH   LBS\n"
		"0          256M running        1234      2    128   512\n"
		"3          256M idle              -      2    128   512\n");

	FAKE(r, "", NULL, "list");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_expect_str_eq(
		r->out,
		"INDEX      SIZE STATE           PID QUEUES  DEPTH   LBS\n");

	FAKE(r, "", NULL, "list", "--json");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_expect_str_eq(r->out, "[]\n");

	FAKE(r, "0,3", NULL, "list", "--json");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_expect_eq(strncmp(r->out, "[\n  {\n    \"index\": 0,\n", 22), 0,
		     "%s", r->out);
	cr_expect(strstr(r->out, "\n  },\n  {\n    \"index\": 3,\n"), "%s",
		  r->out);
	cr_expect(strstr(r->out, "\"owner_gid\": null\n  }\n]\n"), "%s",
		  r->out);
	cr_expect(strstr(r->out, "\"server_pid\": 1234,"), "%s", r->out);
	free(r);
}

Test(busectl_fake, version)
{
	struct result *r = new_result();

	FAKE(r, "", NULL, "version");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_expect(strstr(r->out, "abi_version: 1\n"), "%s", r->out);
	cr_expect(strstr(r->out, "features: 0x3 (ring,size_by_server)\n"), "%s",
		  r->out);
	cr_expect(strstr(r->out, "max_queues: 2\n"), "%s", r->out);
	cr_expect_str_empty(r->err);

	FAKE(r, "", NULL, "version", "--json");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_expect(strstr(r->out, "\"abi_version\": 1,\n"), "%s", r->out);
	cr_expect(
		strstr(r->out,
		       "\"feature_names\": [\"ring\", \"size_by_server\"],\n"),
		"%s", r->out);
	free(r);
}

Test(busectl_fake, permission_and_abi_errors)
{
	struct result *r = new_result();

	FAKE(r, "", "FAKE_BUSE_OPEN_ERRNO=13", "list"); /* EACCES */
	cr_expect_eq(r->status, 1);
	cr_expect_str_eq(
		r->err,
		"busectl: list: permission denied (run as root, or as the device's owner)\n");

	FAKE(r, "", "FAKE_BUSE_IOCTL_ERRNO=1", "add", "1"); /* EPERM */
	cr_expect_eq(r->status, 1);
	cr_expect_str_eq(
		r->err,
		"busectl: add 1: permission denied (run as root, or as the device's owner)\n");
	cr_expect_str_empty(r->out);

	/* a stale node without the driver: same as no node */
	FAKE(r, "", "FAKE_BUSE_OPEN_ERRNO=6", "version"); /* ENXIO */
	cr_expect_eq(r->status, 1);
	cr_expect(strstr(r->err, "buse module not loaded"), "%s", r->err);

	FAKE(r, "", "FAKE_BUSE_IOCTL_ERRNO=25", "info", "1"); /* ENOTTY */
	cr_expect_eq(r->status, 1);
	cr_expect(strstr(r->err, "ABI mismatch"), "%s", r->err);

	FAKE(r, "", "FAKE_BUSE_IOCTL_ERRNO=16", "remove", "1"); /* EBUSY */
	cr_expect_eq(r->status, 1);
	cr_expect_str_eq(r->err, "busectl: remove 1: device busy (open or "
				 "mounted); 'busectl remove --force 1' removes "
				 "it anyway, failing its I/O\n");
	free(r);
}

/* ------------------------------------------------------------------------
 * The device parameters reach BUSE_CTL_ADD (FAKE_BUSE_ADD_DUMP)
 */

struct dump {
	char path[64];
	char env[96];
	char text[4096];
};

static struct dump *new_dump(void)
{
	struct dump *d = calloc(1, sizeof(*d));
	int fd;

	cr_assert_not_null(d);
	snprintf(d->path, sizeof(d->path), "/tmp/busectl-dump-XXXXXX");
	fd = mkstemp(d->path);
	cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
	close(fd);
	unlink(d->path); /* the fake creates it: absent = no ADD */
	snprintf(d->env, sizeof(d->env), "FAKE_BUSE_ADD_DUMP=%s", d->path);
	return d;
}

/* Read the dump: 0, or -1 if ADD was never called. */
static int read_dump(struct dump *d)
{
	int fd = open(d->path, O_RDONLY);

	d->text[0] = '\0';
	if (fd < 0)
		return -1;
	slurp(fd, d->text, sizeof(d->text));
	unlink(d->path);
	return 0;
}

#define DUMP_HAS(d, line)                               \
	cr_expect(strstr((d)->text, line "\n") != NULL, \
		  "ADD request lacks '%s':\n%s", line, (d)->text)

Test(busectl_fake, add_passes_every_parameter)
{
	struct result *r = new_result();
	struct dump *d = new_dump();

	FAKE(r, "0", d->env, "add", "5", "--size", "1G", "--logical-block-size",
	     "4K", "--queues", "2", "--depth", "64", "--max-io", "1M",
	     "--io-min", "8K", "--io-opt", "1M", "--max-discard", "64M",
	     "--max-write-zeroes", "4294963200", "--discard-granularity", "64K",
	     "--rotational", "--no-write-cache", "--no-partscan", "--timeout",
	     "30", "--recoverable", "--recovery-timeout", "120", "--owner",
	     "1000:100");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_expect_str_eq(r->out, "5\n");
	cr_expect_str_empty(r->err);
	cr_assert_eq(read_dump(d), 0, "ADD was not called");
	DUMP_HAS(d, "index=5");
	DUMP_HAS(d, "flags=0x3e"); /* all but READ_ONLY */
	DUMP_HAS(d, "size=1073741824");
	DUMP_HAS(d, "logical_block_size=4096");
	DUMP_HAS(d, "physical_block_size=4096");
	DUMP_HAS(d, "nr_queues=2");
	DUMP_HAS(d, "queue_depth=64");
	DUMP_HAS(d, "max_io=1048576");
	DUMP_HAS(d, "io_min=8192");
	DUMP_HAS(d, "io_opt=1048576");
	DUMP_HAS(d, "max_discard=67108864");
	DUMP_HAS(d, "max_write_zeroes=4294963200");
	DUMP_HAS(d, "discard_granularity=65536");
	DUMP_HAS(d, "timeout=30");
	DUMP_HAS(d, "recovery_timeout=120");
	DUMP_HAS(d, "owner_uid=1000");
	DUMP_HAS(d, "owner_gid=100");
	DUMP_HAS(d, "out_and_reserved_zero=1");
	free(d);
	free(r);
}

Test(busectl_fake, add_defaults_send_zeros)
{
	struct result *r = new_result();
	struct dump *d = new_dump();

	FAKE(r, "", d->env, "add");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_expect_str_eq(r->out, "0\n");
	cr_assert_eq(read_dump(d), 0, "ADD was not called");
	DUMP_HAS(d, "index=4294967295");
	DUMP_HAS(d, "flags=0x0");
	DUMP_HAS(d, "io_min=0");
	DUMP_HAS(d, "io_opt=0");
	DUMP_HAS(d, "max_discard=0");
	DUMP_HAS(d, "max_write_zeroes=0");
	DUMP_HAS(d, "discard_granularity=0");
	DUMP_HAS(d, "timeout=0");
	DUMP_HAS(d, "recovery_timeout=0");
	DUMP_HAS(d, "owner_uid=0");
	DUMP_HAS(d, "owner_gid=0");
	DUMP_HAS(d, "out_and_reserved_zero=1");
	free(d);
	free(r);
}

Test(busectl_fake, add_owner_without_group)
{
	struct result *r = new_result();
	struct dump *d = new_dump();

	FAKE(r, "", d->env, "add", "--owner", "1234");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_assert_eq(read_dump(d), 0, "ADD was not called");
	DUMP_HAS(d, "flags=0x20");
	DUMP_HAS(d, "owner_uid=1234");
	DUMP_HAS(d, "owner_gid=4294967295"); /* BUSE_NO_GROUP */
	free(d);
	free(r);
}

/* Names are resolved with the system's databases (root is everywhere). */
Test(busectl_fake, add_owner_names)
{
	struct result *r;
	struct dump *d;
	struct passwd *pw = getpwnam("root");
	struct group *gr = getgrgid(0);
	char want[80], group[64];

	if (!pw || !gr)
		cr_skip_test("no user 'root' or group 0 on this host");
	snprintf(group, sizeof(group), "%s", gr->gr_name);
	r = new_result();
	d = new_dump();
	FAKE(r, "", d->env, "add", "--owner", "root");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_assert_eq(read_dump(d), 0, "ADD was not called");
	DUMP_HAS(d, "flags=0x20");
	DUMP_HAS(d, "owner_uid=0");
	DUMP_HAS(d, "owner_gid=4294967295");

	snprintf(want, sizeof(want), "root:%s", group);
	FAKE(r, "", d->env, "add", "--owner", want, "--read-only");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_assert_eq(read_dump(d), 0, "ADD was not called");
	DUMP_HAS(d, "flags=0x21");
	DUMP_HAS(d, "owner_uid=0");
	DUMP_HAS(d, "owner_gid=0");
	free(d);
	free(r);
}

/* Bad parameters and unknown names never reach the driver. */
Test(busectl_fake, add_refused_locally)
{
	static const char *const cmds[][4] = {
		{ "--owner", "no-such-user-buse", NULL },
		{ "--owner", "root:no-such-group-buse", NULL },
		{ "--recovery-timeout", "5", NULL },
		{ "--io-min", "100", NULL },
		{ "--discard-granularity", "1000", NULL },
		{ "--timeout", "1d", NULL },
	};
	struct result *r = new_result();
	struct dump *d = new_dump();

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const char *const *c = cmds[i];

		FAKE(r, "", d->env, "add", c[0], c[1]);
		cr_expect_eq(r->status, 2, "add %s %s: exit %d (%s)", c[0],
			     c[1], r->status, r->err);
		cr_expect_str_empty(r->out);
		cr_expect_eq(strncmp(r->err, "busectl: add: ", 14), 0, "%s",
			     r->err);
		cr_expect_neq(read_dump(d), 0, "add %s %s reached the driver",
			      c[0], c[1]);
	}
	free(d);
	free(r);
}

Test(busectl_fake, recovering_state)
{
	struct result *r = new_result();

	FAKE(r, "0,3", "FAKE_BUSE_RECOVERING=3", "info", "3");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_expect(strstr(r->out, "state: recovering\n"), "%s", r->out);
	cr_expect(strstr(r->out, "flags: recoverable,owner\n"), "%s", r->out);
	cr_expect(strstr(r->out, "recovery_timeout: 60\n"), "%s", r->out);
	cr_expect(strstr(r->out, "owner: 1000\n"), "%s", r->out);

	FAKE(r, "0,3", "FAKE_BUSE_RECOVERING=3", "info", "3", "--json");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_expect(strstr(r->out, "\"state\": \"recovering\",\n"), "%s", r->out);
	cr_expect(
		strstr(r->out, "\"owner_uid\": 1000,\n  \"owner_gid\": null\n"),
		"%s", r->out);

	FAKE(r, "0,3", "FAKE_BUSE_RECOVERING=3", "list");
	cr_expect_eq(r->status, 0, "%s", r->err);
	cr_expect_str_eq(
		r->out,
		"INDEX      SIZE STATE           PID QUEUES  DEPTH   LBS\n"
		"0          256M running        1234      2    128   512\n"
		"3          256M recovering        -      2    128   512\n");
	free(r);
}
