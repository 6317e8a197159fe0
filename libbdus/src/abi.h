/* SPDX-License-Identifier: MIT */
/*
 * abi.h - the caller's view of the public structs (internal).
 *
 * The public entry points that take a struct storage_engine or struct
 * bdus_opts also take the size of that struct as the caller's bdus.h
 * defined it (bdus.h's inline wrappers pass sizeof).  The library works on
 * a zeroed copy of its own layout: the caller's first min(given, own)
 * bytes, so that fields the caller's header did not have yet are zero
 * (callbacks absent, options off).
 */
#ifndef BDUS_ABI_H
#define BDUS_ABI_H

#include <stddef.h>

#include "bdus.h"

/* Offset of the end of member m of type t. */
#define bdus_offsetofend(t, m) (offsetof(t, m) + sizeof(((t *)0)->m))

/* The first published layouts (libbdus 0.1): the smallest accepted. */
#define BDUS_ENGINE_SIZE_0_1 bdus_offsetofend(struct storage_engine, cancel)
#define BDUS_OPTS_SIZE_0_1 bdus_offsetofend(struct bdus_opts, reserved)
/* struct bdus_filter came with libbdus 0.2. */
#define BDUS_FILTER_SIZE_0_2 bdus_offsetofend(struct bdus_filter, __pad0)

/*
 * Copies the caller's struct `given` (given_size bytes) into `own`
 * (own_size bytes, the library's layout): own is zeroed, then gets the
 * first min(given_size, own_size) bytes.  given == NULL leaves own zeroed.
 * -EINVAL, with a message on stderr naming func and what (the struct), if
 * given_size < min_size (older than any published layout), or if it is
 * larger than own_size and a byte past own_size is not zero (fields this
 * library does not know were set).  Else 0.
 */
int bdus_struct_import(void *own, size_t own_size, const void *given,
		       size_t given_size, size_t min_size, const char *func,
		       const char *what);

/*
 * The other way: the library's struct `own` (own_size bytes) into the
 * caller's `given` (given_size bytes): given is zeroed, then gets the
 * first min(given_size, own_size) bytes.  -EINVAL, with a message, if
 * given_size < min_size (given untouched).  Else 0.
 */
int bdus_struct_export(void *given, size_t given_size, const void *own,
		       size_t own_size, size_t min_size, const char *func,
		       const char *what);

/*
 * The same for a struct storage_engine / struct bdus_opts of the caller,
 * with the first published layouts as minima.  A NULL given is accepted
 * (own zeroed); the callers decide what NULL means.
 */
int bdus_engine_import(struct storage_engine *own, const void *given,
		       size_t given_size, const char *func);
int bdus_opts_import(struct bdus_opts *own, const void *given,
		     size_t given_size, const char *func);

#endif /* BDUS_ABI_H */
