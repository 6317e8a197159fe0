// SPDX-License-Identifier: MIT
/*
 * abi.c - the library's version, and the caller's struct sizes (abi.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "abi.h"
#include "bdus.h"

#define BDUS_STR_(x) #x
#define BDUS_STR(x) BDUS_STR_(x)

int bdus_version(void)
{
	return BDUS_VERSION;
}

const char *bdus_version_string(void)
{
	return BDUS_STR(BDUS_VERSION_MAJOR) "." BDUS_STR(
		BDUS_VERSION_MINOR) "." BDUS_STR(BDUS_VERSION_PATCH);
}

/* given_size >= min_size, else -EINVAL and a message. */
static int size_check(size_t given_size, size_t min_size, const char *func,
		      const char *what)
{
	if (given_size >= min_size)
		return 0;
	fprintf(stderr,
		"libbdus: %s: struct %s of %zu bytes, smaller than "
		"its first layout (%zu bytes)\n",
		func, what, given_size, min_size);
	return -EINVAL;
}

int bdus_struct_import(void *own, size_t own_size, const void *given,
		       size_t given_size, size_t min_size, const char *func,
		       const char *what)
{
	const unsigned char *tail;
	size_t i;

	memset(own, 0, own_size);
	if (!given)
		return 0;
	if (size_check(given_size, min_size, func, what))
		return -EINVAL;
	tail = (const unsigned char *)given + own_size;
	for (i = own_size; i < given_size; i++, tail++) {
		if (*tail) {
			fprintf(stderr,
				"libbdus: %s: struct %s of %zu bytes "
				"sets fields past the %zu bytes libbdus %s "
				"knows (built against a newer bdus.h?)\n",
				func, what, given_size, own_size,
				bdus_version_string());
			return -EINVAL;
		}
	}
	memcpy(own, given, given_size < own_size ? given_size : own_size);
	return 0;
}

int bdus_struct_export(void *given, size_t given_size, const void *own,
		       size_t own_size, size_t min_size, const char *func,
		       const char *what)
{
	if (size_check(given_size, min_size, func, what))
		return -EINVAL;
	memset(given, 0, given_size);
	memcpy(given, own, given_size < own_size ? given_size : own_size);
	return 0;
}

int bdus_engine_import(struct storage_engine *own, const void *given,
		       size_t given_size, const char *func)
{
	return bdus_struct_import(own, sizeof(*own), given, given_size,
				  BDUS_ENGINE_SIZE_0_1, func, "storage_engine");
}

int bdus_opts_import(struct bdus_opts *own, const void *given,
		     size_t given_size, const char *func)
{
	return bdus_struct_import(own, sizeof(*own), given, given_size,
				  BDUS_OPTS_SIZE_0_1, func, "bdus_opts");
}
