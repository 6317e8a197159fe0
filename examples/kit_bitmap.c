// SPDX-License-Identifier: MIT
/*
 * kit_bitmap.c - the bitmap file of the cache and cow filters
 * (kit_bitmap.h has the contract).
 *
 * Three arrays of 64-bit words, one bit per block:
 *   present  (memory)  valid data in the data file, this run included;
 *   pending  (memory)  set since the last sync, not yet in the file;
 *   disk     (mmap of the bitmap file, MAP_SHARED) durable bits.
 * kit_bitmap_set() ORs into present and pending; kit_bitmap_sync() takes
 * pending word by word (atomic exchange), fdatasync()s the data file and
 * only then ORs what it took into disk and msync()s it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kit.h"
#include "kit_bitmap.h"

#define BM_MAGIC "BUSEBMP1"
#define BM_VERSION 1u

struct bm_header {
	char magic[8];
	uint32_t version;
	uint32_t block_size;
	uint64_t size;
	uint64_t nblocks;
	char kind[16];
	uint32_t ident_len;
	char ident[KIT_BITMAP_HDR_SIZE - 52];
};

_Static_assert(sizeof(struct bm_header) == KIT_BITMAP_HDR_SIZE,
	       "header is 4 KiB");

struct kit_bitmap {
	int fd;
	int data_fd;
	uint64_t nblocks;
	size_t nwords;
	uint64_t *present;
	uint64_t *pending;
	uint64_t *disk; /* mmap of the file from KIT_BITMAP_HDR_SIZE */
	size_t map_len;
	uint64_t count;		   /* bits in present; __atomic */
	pthread_mutex_t sync_lock; /* one sync at a time */
};

static void bm_header_fill(struct bm_header *h, const char *kind,
			   uint32_t block_size, uint64_t size, uint64_t nblocks,
			   const char *ident)
{
	size_t n = strlen(ident);

	memset(h, 0, sizeof(*h));
	memcpy(h->magic, BM_MAGIC, sizeof(h->magic));
	h->version = BM_VERSION;
	h->block_size = block_size;
	h->size = size;
	h->nblocks = nblocks;
	snprintf(h->kind, sizeof(h->kind), "%s", kind);
	if (n >= sizeof(h->ident))
		n = sizeof(h->ident) - 1;
	h->ident_len = (uint32_t)n;
	memcpy(h->ident, ident, n);
}

static int bm_not_a_bitmap(const char *who, const char *path)
{
	kit_err(who, "%s is not a buse bitmap file (version %u)", path,
		BM_VERSION);
	return -1;
}

/* *h is a bitmap header of this version and of kind; 0 or -1 (message). */
static int bm_header_kind(const char *who, const char *path,
			  const struct bm_header *h, const char *kind)
{
	if (memcmp(h->magic, BM_MAGIC, sizeof(h->magic)) ||
	    h->version != BM_VERSION || h->ident_len >= sizeof(h->ident))
		return bm_not_a_bitmap(who, path);
	if (strncmp(h->kind, kind, sizeof(h->kind))) {
		kit_err(who, "%s is a %.16s bitmap, not a %.16s one", path,
			h->kind, kind);
		return -1;
	}
	return 0;
}

/* The existing header *old against the wanted *want; 0 or -1 (message). */
static int bm_header_check(const char *who, const char *path,
			   const struct bm_header *old,
			   const struct bm_header *want)
{
	if (bm_header_kind(who, path, old, want->kind))
		return -1;
	if (old->ident_len != want->ident_len ||
	    memcmp(old->ident, want->ident, old->ident_len) ||
	    old->size != want->size || old->block_size != want->block_size ||
	    old->nblocks != want->nblocks) {
		kit_err(who,
			"%s records %.*s (%" PRIu64 " bytes, blocks of %u); "
			"this run serves %.*s (%" PRIu64
			" bytes, blocks of %u): refusing to serve stale data "
			"(remove the bitmap and its data file to start afresh)",
			path, (int)old->ident_len, old->ident, old->size,
			old->block_size, (int)want->ident_len, want->ident,
			want->size, want->block_size);
		return -1;
	}
	return 0;
}

static int bm_load(struct kit_bitmap *bm, const char *who, const char *path,
		   const struct bm_header *want)
{
	struct bm_header old;
	struct stat st;
	off_t total = (off_t)KIT_BITMAP_HDR_SIZE + (off_t)(bm->nwords * 8);
	ssize_t n;

	if (fstat(bm->fd, &st)) {
		kit_err(who, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_size == 0) {
		/* New: header, zero bits, durable before any bit is set. */
		if (pwrite(bm->fd, want, sizeof(*want), 0) !=
			    (ssize_t)sizeof(*want) ||
		    ftruncate(bm->fd, total) || fsync(bm->fd)) {
			kit_err(who, "cannot write %s: %s", path,
				strerror(errno ? errno : EIO));
			return -1;
		}
		return 0;
	}
	n = pread(bm->fd, &old, sizeof(old), 0);
	if (n != (ssize_t)sizeof(old)) {
		kit_err(who, "%s is not a buse bitmap file (%s)", path,
			n < 0 ? strerror(errno) : "too short");
		return -1;
	}
	if (bm_header_check(who, path, &old, want))
		return -1;
	if (st.st_size != total) {
		kit_err(who, "%s has %lld bytes, expected %lld: damaged", path,
			(long long)st.st_size, (long long)total);
		return -1;
	}
	return 0;
}

int kit_bitmap_peek(const char *who, const char *path, const char *kind,
		    uint32_t *block_size, uint64_t *size, char *ident,
		    size_t ident_size)
{
	struct bm_header *h = calloc(1, sizeof(*h));
	int fd, ret = -1;
	ssize_t n;

	if (!h) {
		kit_err(who, "out of memory");
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		kit_err(who, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	n = pread(fd, h, sizeof(*h), 0);
	close(fd);
	if (n != (ssize_t)sizeof(*h)) {
		bm_not_a_bitmap(who, path);
		goto out;
	}
	if (bm_header_kind(who, path, h, kind))
		goto out;
	/* Nothing to compare it with: its geometry must hold together. */
	if (!h->block_size || (h->block_size & (h->block_size - 1)) ||
	    h->nblocks != (h->size + h->block_size - 1) / h->block_size) {
		bm_not_a_bitmap(who, path);
		goto out;
	}
	*block_size = h->block_size;
	*size = h->size;
	snprintf(ident, ident_size, "%.*s", (int)h->ident_len, h->ident);
	ret = 0;
out:
	free(h);
	return ret;
}

int kit_bitmap_open(struct kit_bitmap **out, const char *who, const char *path,
		    const char *kind, uint32_t block_size, uint64_t size,
		    const char *ident, int data_fd)
{
	struct kit_bitmap *bm;
	struct bm_header *want;
	size_t i;
	void *map;

	if (!block_size || (block_size & (block_size - 1))) {
		kit_err(who, "block size %u is not a power of two", block_size);
		return -1;
	}
	bm = calloc(1, sizeof(*bm));
	want = calloc(1, sizeof(*want));
	if (!bm || !want)
		goto fail_alloc;
	bm->fd = -1;
	bm->data_fd = data_fd;
	bm->nblocks = (size + block_size - 1) / block_size;
	bm->nwords = (size_t)((bm->nblocks + 63) / 64);
	bm->map_len = bm->nwords ? bm->nwords * 8 : 8;
	bm->present = calloc(bm->nwords + 1, 8);
	bm->pending = calloc(bm->nwords + 1, 8);
	if (!bm->present || !bm->pending)
		goto fail_alloc;
	pthread_mutex_init(&bm->sync_lock, NULL);
	bm_header_fill(want, kind, block_size, size, bm->nblocks, ident);

	bm->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (bm->fd < 0) {
		kit_err(who, "cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	if (flock(bm->fd, LOCK_EX | LOCK_NB)) {
		kit_err(who, "%s: %s", path,
			errno == EWOULDBLOCK ? "in use by another program"
					     : strerror(errno));
		goto fail;
	}
	if (bm_load(bm, who, path, want))
		goto fail;
	map = mmap(NULL, bm->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		   bm->fd, KIT_BITMAP_HDR_SIZE);
	if (map == MAP_FAILED) {
		kit_err(who, "cannot map %s: %s", path, strerror(errno));
		goto fail;
	}
	bm->disk = map;
	/* Bits past the last block are never set; ignore any that are. */
	if (bm->nblocks % 64)
		bm->disk[bm->nwords - 1] &= (1ull << (bm->nblocks % 64)) - 1;
	for (i = 0; i < bm->nwords; i++) {
		bm->present[i] = bm->disk[i];
		bm->count += (uint64_t)__builtin_popcountll(bm->disk[i]);
	}
	free(want);
	*out = bm;
	return 0;

fail_alloc:
	kit_err(who, "out of memory");
fail:
	if (bm) {
		if (bm->fd >= 0)
			close(bm->fd);
		free(bm->present);
		free(bm->pending);
	}
	free(bm);
	free(want);
	return -1;
}

bool kit_bitmap_test(const struct kit_bitmap *bm, uint64_t b)
{
	if (b >= bm->nblocks)
		return false;
	return __atomic_load_n(&bm->present[b / 64], __ATOMIC_ACQUIRE) &
	       (1ull << (b % 64));
}

bool kit_bitmap_test_range(const struct kit_bitmap *bm, uint64_t first,
			   uint64_t n)
{
	uint64_t b;

	for (b = first; b < first + n; b++)
		if (!kit_bitmap_test(bm, b))
			return false;
	return true;
}

void kit_bitmap_set(struct kit_bitmap *bm, uint64_t first, uint64_t n)
{
	uint64_t b, bit, old;

	for (b = first; b < first + n && b < bm->nblocks; b++) {
		bit = 1ull << (b % 64);
		__atomic_fetch_or(&bm->pending[b / 64], bit, __ATOMIC_RELEASE);
		old = __atomic_fetch_or(&bm->present[b / 64], bit,
					__ATOMIC_RELEASE);
		if (!(old & bit))
			__atomic_fetch_add(&bm->count, 1, __ATOMIC_RELAXED);
	}
}

int kit_bitmap_sync(struct kit_bitmap *bm)
{
	uint64_t *taken;
	size_t i, lo = SIZE_MAX, hi = 0;
	long page = sysconf(_SC_PAGESIZE);
	int ret = 0;

	pthread_mutex_lock(&bm->sync_lock);
	taken = calloc(bm->nwords + 1, 8);
	if (!taken) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < bm->nwords; i++) {
		taken[i] = __atomic_exchange_n(&bm->pending[i], 0,
					       __ATOMIC_ACQ_REL);
		if (taken[i]) {
			lo = lo == SIZE_MAX ? i : lo;
			hi = i + 1;
		}
	}
	/* The data of every bit taken was written before it was set. */
	if (fdatasync(bm->data_fd)) {
		ret = -errno;
		goto out_restore;
	}
	if (lo == SIZE_MAX)
		goto out_free;
	for (i = lo; i < hi; i++)
		bm->disk[i] |= taken[i];
	{
		/* msync wants a page-aligned start. */
		size_t start = lo * 8 / (size_t)page * (size_t)page;

		if (msync((char *)bm->disk + start, hi * 8 - start, MS_SYNC))
			ret = -errno;
	}
	goto out_free;

out_restore:
	/* Not durable: the bits wait for the next sync. */
	for (i = 0; i < bm->nwords; i++)
		if (taken[i])
			__atomic_fetch_or(&bm->pending[i], taken[i],
					  __ATOMIC_RELEASE);
out_free:
	free(taken);
out:
	pthread_mutex_unlock(&bm->sync_lock);
	return ret;
}

uint64_t kit_bitmap_count(const struct kit_bitmap *bm)
{
	return __atomic_load_n(&bm->count, __ATOMIC_RELAXED);
}

uint64_t kit_bitmap_blocks(const struct kit_bitmap *bm)
{
	return bm->nblocks;
}

void kit_bitmap_close(struct kit_bitmap *bm)
{
	int ret;

	if (!bm)
		return;
	ret = kit_bitmap_sync(bm);
	if (ret)
		kit_err("bitmap", "cannot make the last blocks durable: %s",
			strerror(-ret));
	munmap(bm->disk, bm->map_len);
	close(bm->fd);
	pthread_mutex_destroy(&bm->sync_lock);
	free(bm->present);
	free(bm->pending);
	free(bm);
}
