/* SPDX-License-Identifier: MIT */
/*
 * busectl_test.h - helpers shared by the tests of busectl's pure parts
 * (test_busectl_parse.c, test_busectl_params.c, test_busectl_print.c).
 */
#ifndef TESTS_UNIT_BUSECTL_TEST_H
#define TESTS_UNIT_BUSECTL_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "busectl_parse.h"
#include "busectl_print.h"
#include "units.h"

/* The --owner that the last add() parsed. */
static struct busectl_owner last_owner __attribute__((unused));

#define TEST_MAX_ARGS 40

/*
 * argv (TEST_MAX_ARGS entries) from argv0 and the arguments of ap up to
 * a NULL; returns argc.
 */
static inline int make_argv(char **argv, const char *argv0, va_list ap)
{
	int argc = 0;
	const char *s;

	argv[argc++] = (char *)argv0;
	while ((s = va_arg(ap, const char *))) {
		cr_assert_lt(argc, TEST_MAX_ARGS - 1, "too many arguments");
		argv[argc++] = (char *)s;
	}
	argv[argc] = NULL;
	return argc;
}

/*
 * busectl_parse_add() of "add" and the arguments up to a NULL; info and
 * last_owner are filled with garbage first, so that what it leaves unset
 * shows.
 */
static inline int add(struct buse_dev_info *info, char *err, size_t errlen, ...)
{
	char *argv[TEST_MAX_ARGS];
	va_list ap;
	int argc;

	va_start(ap, errlen);
	argc = make_argv(argv, "add", ap);
	va_end(ap);
	memset(info, 0xa5, sizeof(*info));
	memset(&last_owner, 0xa5, sizeof(last_owner));
	err[0] = '\0';
	return busectl_parse_add(argc, argv, info, &last_owner, err, errlen);
}

/* An add command line that must fail with a message containing `want`. */
#define ADD_FAILS(want, ...)                                                   \
	do {                                                                   \
		struct buse_dev_info i_;                                       \
		char e_[512];                                                  \
		int r_ = add(&i_, e_, sizeof(e_), __VA_ARGS__, NULL);          \
		cr_expect_eq(r_, -1, "add " #__VA_ARGS__ ": %d", r_);          \
		cr_expect(strstr(e_, want) != NULL,                            \
			  "add " #__VA_ARGS__ ": message '%s' lacks '%s'", e_, \
			  want);                                               \
		cr_expect_eq(strncmp(e_, "add: ", 5), 0,                       \
			     "message '%s' lacks 'add: '", e_);                \
		cr_expect_null(strchr(e_, '\n'), "newline in '%s'", e_);       \
	} while (0)

/* Run a printer into a string (caller frees); the printer writes to f_. */
#define CAPTURE(out, call)                                \
	do {                                              \
		size_t len_;                              \
		FILE *f_ = open_memstream(&(out), &len_); \
		cr_assert_not_null(f_);                   \
		call;                                     \
		fclose(f_);                               \
	} while (0)

#endif /* TESTS_UNIT_BUSECTL_TEST_H */
