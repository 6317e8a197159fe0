/* SPDX-License-Identifier: MIT */
/* units.h - size units for the unit tests: KiB .. EiB and KB .. EB. */
#ifndef TESTS_UNIT_UNITS_H
#define TESTS_UNIT_UNITS_H

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define TiB (1ull << 40)
#define PiB (1ull << 50)
#define EiB (1ull << 60)
#define KB 1000ull
#define MB 1000000ull
#define GB 1000000000ull
#define TB 1000000000000ull
#define PB 1000000000000000ull
#define EB 1000000000000000000ull

#endif /* TESTS_UNIT_UNITS_H */
