// SPDX-License-Identifier: MIT
/*
 * test_serve_opts.c - libbdus serving options that can be checked without
 * the kernel: the cpu_list parser used to pin queue threads
 * (libbdus/src/cpulist.c), the adaptive polling window (bdus_poll_next()
 * in ring.c), bdus_opts validation and layout, and the I/O flusher setup
 * of bdus_serve() (restored on return; one warning when not permitted).
 *
 * Every bdus_serve() call here fails before or at the open of
 * /dev/busecN (no such device on the host), and none asks for
 * BDUS_OPT_MLOCK with valid options, so nothing is ever locked.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bdus.h"
#include "cpulist.h"
#include "ring.h"
#include "serve.h"
#include "sys.h"
#include "fake_kernel.h"

#ifndef PR_SET_IO_FLUSHER
#define PR_SET_IO_FLUSHER 57
#define PR_GET_IO_FLUSHER 58
#endif

/* ------------------------------------------------------------------------
 * cpu_list parsing
 */

#define SET_CPUS 256

static cpu_set_t *set;
static size_t setsize;

static void set_init(void)
{
	set = CPU_ALLOC(SET_CPUS);
	cr_assert_not_null(set);
	setsize = CPU_ALLOC_SIZE(SET_CPUS);
}

static void set_fini(void)
{
	CPU_FREE(set);
	set = NULL;
}

/* s parses to exactly the CPUs listed in want[] (terminated by -1). */
static void expect_cpus(const char *s, const int *want)
{
	int n = 0, i;

	while (want[n] >= 0)
		n++;
	cr_assert_eq(bdus_parse_cpu_list(s, set, setsize), n, "'%s': count", s);
	for (i = 0; i < n; i++)
		cr_expect(CPU_ISSET_S((size_t)want[i], setsize, set),
			  "'%s': CPU %d missing", s, want[i]);
	cr_expect_eq(CPU_COUNT_S(setsize, set), n, "'%s'", s);
}

TestSuite(cpulist, .init = set_init, .fini = set_fini);

Test(cpulist, blk_mq_format)
{
	expect_cpus("0, 1\n", (const int[]){ 0, 1, -1 });
	expect_cpus("3\n", (const int[]){ 3, -1 });
	expect_cpus("0, 2, 4, 6", (const int[]){ 0, 2, 4, 6, -1 });
	expect_cpus("5", (const int[]){ 5, -1 });
}

Test(cpulist, range_format)
{
	expect_cpus("0-3\n", (const int[]){ 0, 1, 2, 3, -1 });
	expect_cpus("0-1,8-9", (const int[]){ 0, 1, 8, 9, -1 });
	expect_cpus("7-7", (const int[]){ 7, -1 });
	expect_cpus("0,2-3,5", (const int[]){ 0, 2, 3, 5, -1 });
	expect_cpus("255", (const int[]){ 255, -1 });
	expect_cpus("250-255",
		    (const int[]){ 250, 251, 252, 253, 254, 255, -1 });
}

Test(cpulist, blanks_and_duplicates)
{
	expect_cpus("  1 ,\t2 , 3  \n\n", (const int[]){ 1, 2, 3, -1 });
	expect_cpus("1 - 3", (const int[]){ 1, 2, 3, -1 });
	expect_cpus("1,1,0-2", (const int[]){ 0, 1, 2, -1 });
	expect_cpus("007", (const int[]){ 7, -1 });
	expect_cpus("\r\n4\r\n", (const int[]){ 4, -1 });
}

Test(cpulist, empty_list)
{
	expect_cpus("", (const int[]){ -1 });
	expect_cpus("\n", (const int[]){ -1 });
	expect_cpus("   ", (const int[]){ -1 });
}

Test(cpulist, previous_contents_cleared)
{
	CPU_SET_S(100, setsize, set);
	expect_cpus("1", (const int[]){ 1, -1 });
	CPU_SET_S(100, setsize, set);
	expect_cpus("", (const int[]){ -1 });
}

Test(cpulist, malformed)
{
	static const char *const bad[] = {
		",",	"1,",  ",1",	"1,,2", "1, ,2", "-",	"-1",  "1-",
		"1--2", "3-1", "1-2-3", "a",	"1a",	 "1 2", "0x1", "+1",
		"1.5",	"1;2", "1,\n",	"1-\n", "0-3,",	 " , ",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(bdus_parse_cpu_list(bad[i], set, setsize), -EINVAL,
			     "'%s' accepted", bad[i]);
}

Test(cpulist, out_of_range)
{
	cr_expect_eq(bdus_parse_cpu_list("256", set, setsize), -ERANGE);
	cr_expect_eq(bdus_parse_cpu_list("0,256", set, setsize), -ERANGE);
	cr_expect_eq(bdus_parse_cpu_list("250-300", set, setsize), -ERANGE);
	cr_expect_eq(bdus_parse_cpu_list("65536", set, setsize), -ERANGE);
	/* Huge numbers neither overflow nor wrap around to small ones. */
	cr_expect_eq(bdus_parse_cpu_list("18446744073709551617", set, setsize),
		     -ERANGE);
	cr_expect_eq(bdus_parse_cpu_list("4294967296", set, setsize), -ERANGE);
	cr_expect_eq(
		bdus_parse_cpu_list("0-99999999999999999999", set, setsize),
		-ERANGE);
}

Test(cpulist, small_set)
{
	size_t small = CPU_ALLOC_SIZE(64); /* 8 bytes: CPUs 0-63 */

	cr_expect_eq(bdus_parse_cpu_list("63", set, small), 1);
	cr_expect_eq(bdus_parse_cpu_list("64", set, small), -ERANGE);
	cr_expect_eq(bdus_parse_cpu_list("0-64", set, small), -ERANGE);
}

/* ------------------------------------------------------------------------
 * Reading cpu_list files
 */

static char tmp_path[64];

static void write_tmp(const void *data, size_t len)
{
	int fd;

	strcpy(tmp_path, "/tmp/bdus-cpulist-XXXXXX");
	fd = mkstemp(tmp_path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void file_fini(void)
{
	if (tmp_path[0])
		unlink(tmp_path);
	tmp_path[0] = '\0';
	set_fini();
}

TestSuite(cpulist_file, .init = set_init, .fini = file_fini);

Test(cpulist_file, reads_and_parses)
{
	write_tmp("0, 1, 3\n", 8);
	cr_assert_eq(bdus_read_cpu_list(tmp_path, set, setsize), 3);
	cr_expect(CPU_ISSET_S(3, setsize, set));
}

Test(cpulist_file, missing_file)
{
	cr_assert_eq(
		bdus_read_cpu_list("/nonexistent/bdus/cpu_list", set, setsize),
		-ENOENT);
}

Test(cpulist_file, malformed_and_empty)
{
	write_tmp("0, x\n", 5);
	cr_assert_eq(bdus_read_cpu_list(tmp_path, set, setsize), -EINVAL);
	unlink(tmp_path);
	write_tmp("", 0);
	cr_assert_eq(bdus_read_cpu_list(tmp_path, set, setsize), 0);
	unlink(tmp_path);
	write_tmp("1\0"
		  "2",
		  3); /* an embedded NUL */
	cr_assert_eq(bdus_read_cpu_list(tmp_path, set, setsize), -EINVAL);
}

Test(cpulist_file, longest_accepted_longer_refused)
{
	char *big = malloc(BDUS_CPULIST_MAX_LEN + 1);

	cr_assert_not_null(big);
	/* "1" then blanks: exactly the limit parses... */
	memset(big, ' ', BDUS_CPULIST_MAX_LEN + 1);
	big[0] = '1';
	write_tmp(big, BDUS_CPULIST_MAX_LEN);
	cr_assert_eq(bdus_read_cpu_list(tmp_path, set, setsize), 1);
	unlink(tmp_path);
	/* ... one byte more does not. */
	write_tmp(big, BDUS_CPULIST_MAX_LEN + 1);
	cr_assert_eq(bdus_read_cpu_list(tmp_path, set, setsize), -EFBIG);
	free(big);
}

Test(cpulist_file, affinity_of_the_caller)
{
	size_t size = 0;
	cpu_set_t *aff = bdus_get_affinity(&size);
	cpu_set_t mine;

	cr_assert_not_null(aff);
	cr_assert_geq(size, sizeof(unsigned long));
	cr_assert_eq(sched_getaffinity(0, sizeof(mine), &mine), 0);
	cr_expect_eq(CPU_COUNT_S(size, aff), CPU_COUNT(&mine));
	cr_expect_geq(CPU_COUNT_S(size, aff), 1);
	CPU_FREE(aff);
}

TestSuite(cpu_plan, .init = set_init, .fini = set_fini);

/* A CPU list as a set of its own (free with CPU_FREE()). */
static cpu_set_t *list_set(const char *list)
{
	cpu_set_t *s = CPU_ALLOC(SET_CPUS);

	cr_assert_not_null(s);
	cr_assert_geq(bdus_parse_cpu_list(list, s, setsize), 0);
	return s;
}

/*
 * A queue mapped to the CPUs in queue, a server allowed those in allowed:
 * the plan, near or not, is exactly want ("": do not pin).
 */
static void expect_plan(const char *queue, const char *allowed, bool near,
			const char *want)
{
	cpu_set_t *a = list_set(allowed), *w = list_set(want);
	int n = bdus_parse_cpu_list(queue, set, setsize);

	cr_assert_gt(n, 0);
	cr_assert_eq(n, CPU_COUNT_S(setsize, set));
	cr_expect_eq(bdus_queue_cpu_plan(set, a, setsize, near),
		     CPU_COUNT_S(setsize, w));
	cr_expect(CPU_EQUAL_S(setsize, set, w),
		  "queue {%s}, allowed {%s}, %s: expected {%s}", queue, allowed,
		  near ? "near" : "default", want);
	CPU_FREE(w);
	CPU_FREE(a);
}

Test(cpu_plan, one_cpu_goes_to_the_others)
{
	expect_plan("2", "0-3", false, "0,1,3");
}

Test(cpu_plan, near_keeps_the_one_cpu)
{
	expect_plan("2", "0-3", true, "2");
}

Test(cpu_plan, several_cpus_stay_either_way)
{
	expect_plan("4-5", "0-7", false, "4,5");
	expect_plan("4-5", "0-7", true, "4,5");
}

Test(cpu_plan, the_allowed_cpus_bound_both)
{
	/* taskset -c 1,3: queue CPUs 2-3 leave 3, whose others are 1. */
	expect_plan("2-3", "1,3", false, "1");
	expect_plan("2-3", "1,3", true, "3");
	/* No queue CPU allowed: nothing to pin to. */
	expect_plan("0,2", "1,3", false, "");
}

Test(cpu_plan, one_allowed_cpu_has_no_others)
{
	/* taskset -c 0 on the queue's own CPU: the others are none. */
	expect_plan("0", "0", false, "");
	expect_plan("0", "0", true, "0");
}

/* ------------------------------------------------------------------------
 * The adaptive polling window
 */

Test(poll_window, off)
{
	cr_expect_eq(bdus_poll_next(0, 0, false, 0), 0);
	cr_expect_eq(bdus_poll_next(0, 0, true, 0), 0);
	cr_expect_eq(bdus_poll_next(0, 50, true, 0), 0);
}

Test(poll_window, doubles_on_hit_up_to_max)
{
	cr_expect_eq(bdus_poll_next(100, 1, true, 0), 2);
	cr_expect_eq(bdus_poll_next(100, 25, true, 0), 50);
	cr_expect_eq(bdus_poll_next(100, 50, true, 0), 100);
	cr_expect_eq(bdus_poll_next(100, 60, true, 0), 100);
	cr_expect_eq(bdus_poll_next(100, 100, true, 0), 100);
	/* A window above the maximum is clamped first. */
	cr_expect_eq(bdus_poll_next(100, 500, true, 0), 100);
	cr_expect_eq(
		bdus_poll_next(BDUS_MAX_POLL_US, BDUS_MAX_POLL_US, true, 0),
		BDUS_MAX_POLL_US);
}

Test(poll_window, halves_on_miss_down_to_zero)
{
	uint32_t w = 100, n = 0;

	while (w) {
		w = bdus_poll_next(100, w, false, 0);
		n++;
		cr_assert_leq(n, 10);
	}
	/* 100 50 25 12 6 3 1 0 */
	cr_expect_eq(n, 7);
	cr_expect_eq(bdus_poll_next(100, 1, false, 0), 0);
	cr_expect_eq(bdus_poll_next(100, 500, false, 0), 50);
}

Test(poll_window, reopens_after_a_short_sleep)
{
	/* Window closed: the time slept decides. */
	cr_expect_eq(bdus_poll_next(100, 0, false, 0), 100);
	cr_expect_eq(bdus_poll_next(100, 0, false, 100 * 1000), 100);
	/* The sleep counted the wake-up a spin does not pay. */
	cr_expect_eq(BDUS_POLL_REOPEN, 4);
	cr_expect_eq(bdus_poll_next(100, 0, false, 400 * 1000), 100);
	cr_expect_eq(bdus_poll_next(100, 0, false, 400 * 1000 + 1), 0);
	cr_expect_eq(bdus_poll_next(100, 0, false, 5ull * 1000 * 1000 * 1000),
		     0);
	cr_expect_eq(bdus_poll_next(100, 0, false, UINT64_MAX), 0);
	/* found is meaningless without a window. */
	cr_expect_eq(bdus_poll_next(100, 0, true, UINT64_MAX), 0);
}

Test(poll_window, idle_queue_stops_spinning)
{
	uint32_t w = 50, spins = 0;
	unsigned int i;

	/* Batches 10 ms apart: after a few misses, never spin again. */
	for (i = 0; i < 100; i++) {
		if (w) {
			spins++;
			w = bdus_poll_next(50, w, false, 0);
		} else {
			w = bdus_poll_next(50, 0, false, 10 * 1000 * 1000);
		}
	}
	cr_expect_eq(w, 0);
	cr_expect_eq(spins, 6); /* 50 25 12 6 3 1 */
}

/* ------------------------------------------------------------------------
 * Options
 */

/* The ABI: poll_us took the place of a padding field. */
_Static_assert(offsetof(struct bdus_opts, flags) == 8, "flags");
_Static_assert(offsetof(struct bdus_opts, poll_us) == 12, "poll_us");
_Static_assert(offsetof(struct bdus_opts, on_ready) == 16, "on_ready");
_Static_assert(sizeof(struct bdus_opts) == 64, "bdus_opts size");

static int e_read(void *ctx, void *buf, uint64_t off, uint32_t len,
		  const struct bdus_req *req)
{
	(void)ctx;
	(void)buf;
	(void)off;
	(void)len;
	(void)req;
	return 0;
}

static int e_write(void *ctx, const void *buf, uint64_t off, uint32_t len,
		   const struct bdus_req *req)
{
	(void)ctx;
	(void)buf;
	(void)off;
	(void)len;
	(void)req;
	return 0;
}

static const struct storage_engine engine = {
	.name = "opts",
	.read = e_read,
	.write = e_write,
};

/* No such device on the host: -ENOENT once the options are accepted. */
#define NO_DEVICE BUSE_MAX_INDEX

static int serve(const struct bdus_opts *o)
{
	return bdus_serve(NO_DEVICE, &engine, NULL, o);
}

static unsigned long locked_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long kib = 0;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %lu kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

Test(serve_opts, flag_values)
{
	cr_expect_eq(BDUS_OPT_ALL, 0x7fu);
	cr_expect_eq(BDUS_OPT_ALL & BDUS_OPT_NO_POLL, BDUS_OPT_NO_POLL);
	cr_expect_eq(BDUS_OPT_ALL & BDUS_OPT_PIN_NEAR, BDUS_OPT_PIN_NEAR);
	cr_expect_eq(BDUS_OPT_ALL & BDUS_OPT_MLOCK, BDUS_OPT_MLOCK);
	cr_expect_eq(BDUS_OPT_ALL & BDUS_OPT_NO_PIN, BDUS_OPT_NO_PIN);
	cr_expect_eq(BDUS_OPT_ALL & BDUS_OPT_QUIET, BDUS_OPT_QUIET);
}

Test(serve_opts, valid_options_accepted)
{
	struct bdus_opts o = {
		.flags = BDUS_OPT_NO_SIGNALS | BDUS_OPT_NO_PARTSCAN |
			 BDUS_OPT_NO_PIN | BDUS_OPT_QUIET,
		.poll_us = BDUS_MAX_POLL_US,
	};

	cr_assert_eq(serve(&o), -ENOENT);
	o.flags ^= BDUS_OPT_NO_PIN | BDUS_OPT_PIN_NEAR;
	cr_assert_eq(serve(&o), -ENOENT);
	o.poll_us = 0;
	cr_assert_eq(serve(&o), -ENOENT);
	o.poll_us = 1;
	o.flags = BDUS_OPT_NO_SIGNALS | BDUS_OPT_QUIET;
	cr_assert_eq(serve(&o), -ENOENT);
}

Test(serve_opts, no_poll_accepted)
{
	struct bdus_opts o = { .flags = BDUS_OPT_NO_POLL | BDUS_OPT_QUIET };

	cr_expect_eq(serve(&o), -ENOENT);
	o.flags |= BDUS_OPT_NO_PIN;
	cr_expect_eq(serve(&o), -ENOENT);
}

/* What the queue threads get: the default window unless told otherwise. */
Test(serve_opts, poll_window)
{
	struct bdus_opts o = { .flags = BDUS_OPT_QUIET };

	cr_expect_eq(BDUS_DEFAULT_POLL_US, 200u);
	cr_expect_eq(bdus_opts_poll_us(NULL), BDUS_DEFAULT_POLL_US);
	cr_expect_eq(bdus_opts_poll_us(&o), BDUS_DEFAULT_POLL_US);
	o.poll_us = 1;
	cr_expect_eq(bdus_opts_poll_us(&o), 1u);
	o.poll_us = BDUS_MAX_POLL_US;
	cr_expect_eq(bdus_opts_poll_us(&o), BDUS_MAX_POLL_US);
	o.poll_us = 0;
	o.flags |= BDUS_OPT_NO_POLL;
	cr_expect_eq(bdus_opts_poll_us(&o), 0u);
}

Test(serve_opts, bad_options_rejected)
{
	struct bdus_opts o = { .flags = BDUS_OPT_QUIET };
	struct buse_dev_info info = { .index = BUSE_INDEX_ANY };

	o.poll_us = BDUS_MAX_POLL_US + 1;
	cr_expect_eq(serve(&o), -EINVAL);
	cr_expect_eq(bdus_create_and_serve(&info, &engine, NULL, &o), -EINVAL);
	o.poll_us = UINT32_MAX;
	cr_expect_eq(serve(&o), -EINVAL);
	o.poll_us = 0;
	o.flags = BDUS_OPT_ALL + 1;
	cr_expect_eq(serve(&o), -EINVAL);
	/* Two contrary placements. */
	o.flags = BDUS_OPT_NO_PIN | BDUS_OPT_PIN_NEAR | BDUS_OPT_QUIET;
	cr_expect_eq(serve(&o), -EINVAL);
	cr_expect_eq(bdus_create_and_serve(&info, &engine, NULL, &o), -EINVAL);
	/* A polling window and no polling. */
	o.flags = BDUS_OPT_NO_POLL | BDUS_OPT_QUIET;
	o.poll_us = 1;
	cr_expect_eq(serve(&o), -EINVAL);
	cr_expect_eq(bdus_create_and_serve(&info, &engine, NULL, &o), -EINVAL);
	o.poll_us = 0;
	o.flags = 1u << 31;
	cr_expect_eq(serve(&o), -EINVAL);
	cr_expect_eq(bdus_create_and_serve(&info, &engine, NULL, &o), -EINVAL);
	cr_expect_eq(info.index, BUSE_INDEX_ANY);
}

Test(serve_opts, bad_options_lock_nothing)
{
	struct bdus_opts o = {
		.flags = BDUS_OPT_MLOCK | BDUS_OPT_QUIET,
		.poll_us = BDUS_MAX_POLL_US + 1,
	};
	struct buse_dev_info info = { .index = BUSE_INDEX_ANY };

	cr_assert_eq(locked_kib(), 0);
	cr_expect_eq(serve(&o), -EINVAL);
	o.poll_us = 0;
	o.reserved[0] = 1;
	cr_expect_eq(serve(&o), -EINVAL);
	cr_expect_eq(bdus_create_and_serve(&info, &engine, NULL, &o), -EINVAL);
	o.reserved[0] = 0;
	cr_expect_eq(bdus_serve(NO_DEVICE, NULL, NULL, &o), -EINVAL);
	cr_expect_eq(bdus_serve(NO_DEVICE + 1, &engine, NULL, &o), -EINVAL);
	/* Validation comes before mlockall(). */
	cr_expect_eq(locked_kib(), 0);
}

/* ------------------------------------------------------------------------
 * I/O flusher
 */

static int get_flusher(void)
{
	return prctl(PR_GET_IO_FLUSHER, 0, 0, 0, 0);
}

Test(io_flusher, caller_setting_restored)
{
	struct bdus_opts o = { .flags = BDUS_OPT_NO_SIGNALS | BDUS_OPT_QUIET };
	int before = get_flusher();

	if (before < 0)
		cr_skip_test("PR_GET_IO_FLUSHER: %s (not root, or Linux < 5.6)",
			     strerror(errno));
	cr_assert_eq(prctl(PR_SET_IO_FLUSHER, 0, 0, 0, 0), 0);
	cr_assert_eq(serve(&o), -ENOENT);
	cr_expect_eq(get_flusher(), 0, "left set after bdus_serve()");
	/* Already set: stays set. */
	cr_assert_eq(prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0), 0);
	cr_assert_eq(serve(&o), -ENOENT);
	cr_expect_eq(get_flusher(), 1, "cleared by bdus_serve()");
	prctl(PR_SET_IO_FLUSHER, before, 0, 0, 0);
}

/* Drops CAP_SYS_RESOURCE from the effective set: PR_SET_IO_FLUSHER fails. */
static void drop_cap_sys_resource(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	unsigned int word = CAP_SYS_RESOURCE / 32;
	uint32_t bit = 1u << (CAP_SYS_RESOURCE % 32);

	memset(data, 0, sizeof(data));
	cr_assert_eq(syscall(SYS_capget, &hdr, data), 0);
	data[word].effective &= ~bit;
	cr_assert_eq(syscall(SYS_capset, &hdr, data), 0);
}

/* Runs fn(arg) with stderr captured into out. */
static void capture_stderr(void (*fn)(void *), void *arg, char *out,
			   size_t outlen)
{
	FILE *tmp = tmpfile();
	size_t n;
	int saved;

	cr_assert_not_null(tmp);
	fflush(stderr);
	saved = dup(2);
	cr_assert_geq(saved, 0);
	cr_assert_eq(dup2(fileno(tmp), 2), 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, outlen - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static void serve_no_device(void *arg)
{
	cr_assert_eq(serve(arg), -ENOENT);
}

struct warn_args {
	uint32_t flags;
	int err;
};

static void warn(void *arg)
{
	const struct warn_args *w = arg;

	bdus_warn_io_flusher("/dev/buse3", w->flags, w->err);
}

static unsigned int count_lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * Without CAP_SYS_RESOURCE: serving goes on; the warning waits for the
 * attach (so a server that cannot even open its device prints only its
 * error).  Criterion runs each test in its own process: the once-per-
 * process warning is fresh here.
 */
Test(io_flusher, not_permitted_no_warning_before_attach)
{
	struct bdus_opts o = { .flags = BDUS_OPT_NO_SIGNALS };
	char out[1024];

	drop_cap_sys_resource();
	if (prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0) == 0 || errno != EPERM)
		cr_skip_test("PR_SET_IO_FLUSHER does not fail with EPERM here");
	capture_stderr(serve_no_device, &o, out, sizeof(out));
	cr_expect_str_empty(out);
}

Test(io_flusher, warning_once_per_process)
{
	struct warn_args w = { .flags = BDUS_OPT_QUIET, .err = -EPERM };
	char out[1024];

	/* Quiet: nothing, and the one warning is still to come. */
	capture_stderr(warn, &w, out, sizeof(out));
	cr_expect_str_empty(out);
	/* No error: nothing. */
	w.flags = 0;
	w.err = 0;
	capture_stderr(warn, &w, out, sizeof(out));
	cr_expect_str_empty(out);

	w.err = -EPERM;
	capture_stderr(warn, &w, out, sizeof(out));
	cr_expect_eq(count_lines(out), 1, "stderr: '%s'", out);
	cr_expect_eq(strncmp(out, "libbdus: /dev/buse3: ", 21), 0, "'%s'", out);
	cr_expect_not_null(strstr(out, "PR_SET_IO_FLUSHER"), "'%s'", out);
	cr_expect_not_null(strstr(out, strerror(EPERM)), "'%s'", out);
	cr_expect_not_null(strstr(out, "CAP_SYS_RESOURCE"), "'%s'", out);

	/* Once per process, whatever the error. */
	capture_stderr(warn, &w, out, sizeof(out));
	cr_expect_str_empty(out);
	w.err = -EINVAL;
	capture_stderr(warn, &w, out, sizeof(out));
	cr_expect_str_empty(out);
}

Test(io_flusher, warning_other_errors)
{
	struct warn_args w = { .flags = 0, .err = -EINVAL };
	char out[1024];

	/* An old kernel: no capability hint. */
	capture_stderr(warn, &w, out, sizeof(out));
	cr_expect_eq(count_lines(out), 1, "stderr: '%s'", out);
	cr_expect_not_null(strstr(out, strerror(EINVAL)), "'%s'", out);
	cr_expect_null(strstr(out, "CAP_SYS_RESOURCE"), "'%s'", out);
}

/*
 * bdus_serve() reads BUSE_CTL_VERSION before it opens /dev/busecN: a
 * driver of another ABI, or one without the features the server needs,
 * is refused with a clear errno (NO_DEVICE does not exist: -ENOENT means
 * the check passed).
 */
struct version_edit {
	__u32 abi_delta;
	__u64 clear; /* feature bits the "driver" lacks */
};

static int edited_version(int fd, unsigned long req, void *arg, void *ctx)
{
	const struct version_edit *e = ctx;
	struct buse_version *v = arg;
	int ret = fake_kernel_builtin(fd, req, arg);

	v->abi_version += e->abi_delta;
	v->features &= ~e->clear;
	return ret;
}

static int serve_with_driver(struct version_edit e, uint64_t size)
{
	struct bdus_opts o = { .flags = BDUS_OPT_QUIET | BDUS_OPT_NO_SIGNALS,
			       .size = size };

	fake_kernel_install();
	fake_kernel_on(BUSE_CTL_VERSION, edited_version, &e);
	return serve(&o);
}

Test(serve_opts, driver_features_read)
{
	cr_expect_eq(serve_with_driver((struct version_edit){ 0 }, 0), -ENOENT);
	cr_expect_eq(serve_with_driver((struct version_edit){ 0 }, 1 << 20),
		     -ENOENT);
	cr_expect_eq(
		serve_with_driver((struct version_edit){ .abi_delta = 1 }, 0),
		-EPROTO);
	cr_expect_eq(
		serve_with_driver(
			(struct version_edit){ .clear = BUSE_FEAT_RING }, 0),
		-EPROTO);
	/* The size is the server's to give only with SIZE_BY_SERVER. */
	cr_expect_eq(serve_with_driver(
			     (struct version_edit){
				     .clear = BUSE_FEAT_SIZE_BY_SERVER },
			     0),
		     -ENOENT);
	cr_expect_eq(serve_with_driver(
			     (struct version_edit){
				     .clear = BUSE_FEAT_SIZE_BY_SERVER },
			     1 << 20),
		     -EOPNOTSUPP);
}
