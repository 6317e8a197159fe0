// SPDX-License-Identifier: MIT
/*
 * cpulist.c - parse CPU lists ("0, 1, 2", "0-3,8-11") and read them from
 * sysfs; the affinity of the calling thread.  See cpulist.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpulist.h"

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

/* A decimal number at *s (no sign); advances *s.  0, -EINVAL or -ERANGE. */
static int parse_cpu(const char **s, unsigned int *out)
{
	const char *p = *s;
	unsigned long v = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		/* Stop growing early: no overflow however many digits. */
		if (v >= BDUS_CPULIST_MAX_CPU)
			v = BDUS_CPULIST_MAX_CPU;
	}
	*s = p;
	if (v >= BDUS_CPULIST_MAX_CPU)
		return -ERANGE;
	*out = (unsigned int)v;
	return 0;
}

int bdus_parse_cpu_list(const char *s, cpu_set_t *set, size_t setsize)
{
	size_t nbits = setsize * 8;
	unsigned int a, b, cpu;
	int ret;

	CPU_ZERO_S(setsize, set);
	s = skip_blanks(s);
	if (!*s)
		return 0; /* an empty list */
	for (;;) {
		ret = parse_cpu(&s, &a);
		if (ret)
			return ret;
		s = skip_blanks(s);
		b = a;
		if (*s == '-') {
			s = skip_blanks(s + 1);
			ret = parse_cpu(&s, &b);
			if (ret)
				return ret;
			if (b < a)
				return -EINVAL;
			s = skip_blanks(s);
		}
		if (b >= nbits)
			return -ERANGE;
		for (cpu = a; cpu <= b; cpu++)
			CPU_SET_S(cpu, setsize, set);
		if (!*s)
			break;
		if (*s != ',')
			return -EINVAL;
		s = skip_blanks(s + 1); /* an item must follow */
	}
	return CPU_COUNT_S(setsize, set);
}

int bdus_read_cpu_list(const char *path, cpu_set_t *set, size_t setsize)
{
	size_t len = 0;
	ssize_t n;
	char *buf;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* One more byte than allowed: tells "exactly full" from "longer". */
	buf = malloc(BDUS_CPULIST_MAX_LEN + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		n = read(fd, buf + len, BDUS_CPULIST_MAX_LEN + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len > BDUS_CPULIST_MAX_LEN)
			break;
	}
	if (n < 0)
		ret = -errno;
	else if (len > BDUS_CPULIST_MAX_LEN)
		ret = -EFBIG;
	else if (memchr(buf, '\0', len))
		ret = -EINVAL;
	else {
		buf[len] = '\0';
		ret = bdus_parse_cpu_list(buf, set, setsize);
	}
	free(buf);
	close(fd);
	return ret;
}

cpu_set_t *bdus_get_affinity(size_t *setsize)
{
	size_t ncpus;
	int err;

	for (ncpus = 1024; ncpus <= BDUS_CPULIST_MAX_CPU; ncpus *= 2) {
		size_t size = CPU_ALLOC_SIZE(ncpus);
		cpu_set_t *set = CPU_ALLOC(ncpus);

		if (!set)
			return NULL;
		if (!sched_getaffinity(0, size, set)) {
			*setsize = size;
			return set;
		}
		err = errno;
		CPU_FREE(set);
		if (err != EINVAL) {
			errno = err;
			return NULL;
		}
	}
	errno = EINVAL;
	return NULL;
}

int bdus_queue_cpu_plan(cpu_set_t *set, const cpu_set_t *allowed,
			size_t setsize, bool near)
{
	CPU_AND_S(setsize, set, set, allowed);
	if (CPU_COUNT_S(setsize, set) == 1 && !near)
		CPU_XOR_S(setsize, set, set, allowed); /* the other CPUs */
	return CPU_COUNT_S(setsize, set);
}
