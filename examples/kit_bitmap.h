/* SPDX-License-Identifier: MIT */
/*
 * kit_bitmap.h - which blocks of a local data file hold valid data, kept
 * in a bitmap file that survives the program (the cache and cow filters).
 *
 * The bitmap file starts with a 4 KiB header naming what the data file
 * holds (kind, block size, size, the inner engine's identity); a file
 * whose header differs is refused, never reused.  Bits only go up.
 * Crash safety: a bit reaches the bitmap file only after the data file
 * was made durable (fdatasync) with the block's data in it, so after a
 * crash every bit set names a block whose data is on disk; blocks whose
 * bit was lost are fetched (cache) or read from below (cow) again.
 */
#ifndef BUSE_KIT_BITMAP_H
#define BUSE_KIT_BITMAP_H

#include <stdbool.h>
#include <stdint.h>

/* The header's size: the bits start at this offset of the bitmap file. */
#define KIT_BITMAP_HDR_SIZE 4096u

struct kit_bitmap;

/*
 * Opens (or creates) the bitmap file path for the data file data_fd:
 * size bytes in blocks of block_size (a power of two), holding what
 * ident names; kind ("cache", "cow") is recorded too.  An existing file
 * must have the same header.  0, or -1 after a message prefixed who.
 */
int kit_bitmap_open(struct kit_bitmap **out, const char *who, const char *path,
		    const char *kind, uint32_t block_size, uint64_t size,
		    const char *ident, int data_fd);

/*
 * Reads the header of the existing bitmap file path, which must be of
 * kind: its block size, size and ident (NUL-terminated, cut to
 * ident_size).  For a run that serves what the file records without
 * the engine it came from (the cache's --offline).  0, or -1 after a
 * message prefixed who.
 */
int kit_bitmap_peek(const char *who, const char *path, const char *kind,
		    uint32_t *block_size, uint64_t *size, char *ident,
		    size_t ident_size);

/* Whether block b has valid data (written in this run or durable). */
bool kit_bitmap_test(const struct kit_bitmap *bm, uint64_t b);

/* Whether blocks [first, first + n) all have valid data. */
bool kit_bitmap_test_range(const struct kit_bitmap *bm, uint64_t first,
			   uint64_t n);

/*
 * Blocks [first, first + n) now hold valid data in the data file (the
 * write returned): they test present at once, and reach the bitmap file
 * at the next kit_bitmap_sync().
 */
void kit_bitmap_set(struct kit_bitmap *bm, uint64_t first, uint64_t n);

/*
 * Makes the data file durable (fdatasync), then the bits set before the
 * call (msync).  Thread-safe.  0 or -errno.
 */
int kit_bitmap_sync(struct kit_bitmap *bm);

/* Blocks with valid data, and all blocks. */
uint64_t kit_bitmap_count(const struct kit_bitmap *bm);
uint64_t kit_bitmap_blocks(const struct kit_bitmap *bm);

/* Syncs (messages on failure) and frees.  NULL is fine. */
void kit_bitmap_close(struct kit_bitmap *bm);

#endif /* BUSE_KIT_BITMAP_H */
