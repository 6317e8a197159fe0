/* SPDX-License-Identifier: MIT */
/*
 * ramdisk_engine.h - the RAM-disk engine of examples/ramdisk, also the
 * inner engine of examples/faulty (a fault filter over it) and of the
 * integration suite's recorder (a logging filter over it).  Internal to
 * the examples and tests: not a libbdus API.
 *
 * The device's contents live in an anonymous private mapping of the
 * device's size (MAP_NORESERVE: memory is used only for blocks written;
 * discarded ranges are given back), made by open() and unmapped by
 * close(): everything is lost when serving ends.  It has read, write,
 * flush (a no-op: memory has no cache), discard, write_zeroes (honouring
 * BUSE_IO_F_NOUNMAP) and BDUS_ENGINE_F_FUA; no secure_erase, no cancel
 * (it answers every request at once).
 */
#ifndef BUSE_RAMDISK_ENGINE_H
#define BUSE_RAMDISK_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include <bdus.h>

/*
 * The engine's ctx, one per device served.  Zero-initialise it
 * (struct ramdisk rd = { 0 };): open() fills it in, close() unmaps the
 * memory and sets mem back to NULL, so it may serve again afterwards.
 */
struct ramdisk {
	unsigned char *mem; /* the device's contents, from open() */
	uint64_t size;	    /* bytes mapped */
	size_t page;	    /* the page size, for giving pages back */
};

/* Serve with a struct ramdisk * as ctx. */
extern const struct storage_engine ramdisk_engine;

#endif /* BUSE_RAMDISK_ENGINE_H */
