// SPDX-License-Identifier: MIT
/*
 * test_cpulist.c - libbdus/src/cpulist.c: the parser of blk-mq's
 * mq/N/cpu_list files, reading them, and the plan of which CPUs a queue
 * thread is pinned to.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpulist.h"

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
