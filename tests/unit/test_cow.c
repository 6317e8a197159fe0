// SPDX-License-Identifier: MIT
/*
 * test_cow.c - the kit's cow filter (examples/cow.c, with
 * examples/kit_bitmap.c), composed over an in-memory inner engine and
 * served by the queue code of ring.c from a ring in plain memory
 * (memring.h).  The inner engine answers synchronously, later (the test
 * completes its requests in the order it likes), or from threads of its
 * own.  The overlay and bitmap files live in a fresh directory per test.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "abi.h"
#include "bdus.h"
#include "ring.h"
#include "memring.h"

/*
 * cow.c is compiled into this file (its statics are the test's to see);
 * kit_bitmap.c and kit_err() (memring.c) are linked in once.
 * The examples define _GNU_SOURCE themselves (the build does too).
 */
#undef _GNU_SOURCE
#include "../../examples/cow.c"

#define DEPTH 4
#define MAX_IO 32768u
#define DEV_SIZE (256u * 1024)
#define BLK 4096u /* the default cow block */

/*
 * The ring: one queue of DEPTH tags, serving the stack cow_up() made; its
 * completions are taken in any order (memring_wait_result()).
 */
static struct memring rg;

/* ------------------------------------------------------------------------
 * The inner engine: a read-only RAM disk with a known pattern
 */

enum { SYNC, MANUAL, THREADS };

static struct {
	unsigned char disk[DEV_SIZE];
	int mode;
	pthread_mutex_t lock;
	/* READs asked, and (MANUAL) those not answered yet. */
	unsigned int nreads;
	uint64_t read_off[256];
	uint32_t read_len[256];
	const struct bdus_req *pending[16];
	unsigned int npending;
	int ret; /* != 0: every READ answers this */
	bool opened;
} in = { .lock = PTHREAD_MUTEX_INITIALIZER };

static unsigned char pattern(uint64_t i)
{
	return (unsigned char)((i * 131 + (i >> 12)) % 251 + 1); /* never 0 */
}

static void *complete_later(void *req)
{
	struct timespec ts = { 0, (long)(rand() % 300) * 1000 };

	nanosleep(&ts, NULL);
	/* Not cr_assert(): this is not the test's thread. */
	if (bdus_complete(req, 0))
		abort();
	return NULL;
}

static int i_read(void *ctx, void *buf, uint64_t off, uint32_t len,
		  const struct bdus_req *req)
{
	pthread_t t;
	int ret;

	cr_assert_eq(ctx, &in);
	cr_assert_eq(req->op, BUSE_OP_READ);
	cr_assert_eq(req->offset, off);
	cr_assert_eq(req->len, len);
	cr_assert_eq(req->buf, buf);
	cr_assert_eq(off % 512, 0);
	cr_assert_eq(len % 512, 0);
	cr_assert_leq(len, MAX_IO);
	cr_assert_leq(off + len, rg.dev.size);
	pthread_mutex_lock(&in.lock);
	if (in.nreads < 256) {
		in.read_off[in.nreads] = off;
		in.read_len[in.nreads] = len;
	}
	in.nreads++;
	pthread_mutex_unlock(&in.lock);
	if (in.ret)
		return in.ret;
	memcpy(buf, in.disk + off, len);
	switch (in.mode) {
	case MANUAL:
		pthread_mutex_lock(&in.lock);
		cr_assert_lt(in.npending, 16);
		in.pending[in.npending++] = req;
		pthread_mutex_unlock(&in.lock);
		return BDUS_ASYNC;
	case THREADS:
		ret = pthread_create(&t, NULL, complete_later,
				     (void *)(uintptr_t)req);
		cr_assert_eq(ret, 0);
		pthread_detach(t);
		return BDUS_ASYNC;
	default:
		return 0;
	}
}

static int i_write(void *ctx, const void *buf, uint64_t off, uint32_t len,
		   const struct bdus_req *req)
{
	(void)ctx, (void)buf, (void)off, (void)len, (void)req;
	cr_assert_fail("the engine below was written");
	return -EIO;
}

static int i_flush(void *ctx, const struct bdus_req *req)
{
	(void)ctx, (void)req;
	cr_assert_fail("a flush was passed down");
	return -EIO;
}

static int i_range(void *ctx, uint64_t off, uint32_t len,
		   const struct bdus_req *req)
{
	(void)ctx, (void)off, (void)len;
	cr_assert_fail("op %u was passed down", req->op);
	return -EIO;
}

static int i_open(void *ctx, const struct bdus_dev *dev)
{
	(void)ctx, (void)dev;
	in.opened = true;
	return 0;
}

static const struct storage_engine inner = {
	.name = "ram",
	.flags = BDUS_ENGINE_F_FUA,
	.open = i_open,
	.read = i_read,
	.write = i_write,
	.flush = i_flush,
	.discard = i_range,
	.write_zeroes = i_range,
	.secure_erase = i_range,
};

/* Answers the pending READ i (MANUAL) with result. */
static void answer(unsigned int i, int result)
{
	const struct bdus_req *req;

	pthread_mutex_lock(&in.lock);
	cr_assert_lt(i, in.npending);
	req = in.pending[i];
	memmove(&in.pending[i], &in.pending[i + 1],
		(in.npending - i - 1) * sizeof(in.pending[0]));
	in.npending--;
	pthread_mutex_unlock(&in.lock);
	cr_assert_eq(bdus_complete(req, result), 0);
}

/* Answers every pending READ, oldest first, until none is left. */
static void answer_all(void)
{
	while (in.npending)
		answer(0, 0);
}

/* ------------------------------------------------------------------------
 * The cow filter over it
 */

static struct {
	char dir[64];
	char overlay[128];
	char bitmap[128];
	struct cow *c;
	struct kit_source below, src;
	unsigned char model[DEV_SIZE]; /* what the device should hold */
} fx;

static void fx_init(void)
{
	uint64_t i;

	memset(&fx, 0, sizeof(fx));
	in.mode = SYNC;
	in.nreads = in.npending = 0;
	in.ret = 0;
	for (i = 0; i < DEV_SIZE; i++)
		in.disk[i] = pattern(i);
	memcpy(fx.model, in.disk, DEV_SIZE);
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/test_cow.XXXXXX");
	cr_assert_not_null(mkdtemp(fx.dir));
	snprintf(fx.overlay, sizeof(fx.overlay), "%s/o.img", fx.dir);
	snprintf(fx.bitmap, sizeof(fx.bitmap), "%s/o.bmp", fx.dir);
	srand((unsigned int)time(NULL));
}

/* Options as on the command line (NULL-terminated), then setup(). */
static int cow_up_ident(const char *ident, ...)
{
	char *argv[16] = { (char *)"cow" };
	const char *valid;
	va_list ap;
	int argc = 1, opt;

	va_start(ap, ident);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	fx.c = calloc(1, kit_cow.ctx_size);
	cr_assert_not_null(fx.c);
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:", kit_cow.longopts, NULL)) !=
	       -1) {
		cr_assert(opt != '?' && opt != ':', "bad option");
		valid = NULL;
		if (kit_cow.parse(fx.c, opt, optarg, &valid)) {
			free(fx.c);
			fx.c = NULL;
			return -2;
		}
	}
	fx.below = (struct kit_source){ .size = DEV_SIZE,
					.read_only = true,
					.engine = &inner,
					.ctx = &in };
	snprintf(fx.below.ident, sizeof(fx.below.ident), "%s", ident);
	memset(&fx.src, 0, sizeof(fx.src));
	if (kit_cow.setup(fx.c, NULL, &fx.below, &fx.src)) {
		free(fx.c);
		fx.c = NULL;
		return -1;
	}
	return 0;
}

#define cow_up(...) cow_up_ident("ram test", __VA_ARGS__, (char *)NULL)
#define FILES "--overlay", fx.overlay, "--bitmap", fx.bitmap

/* Serves fx.src on a device of dev_size, lbs; open()'s result. */
static int serve(uint64_t dev_size, uint32_t lbs)
{
	return memring_start(&rg, fx.src.engine, fx.src.ctx, dev_size, DEPTH,
			     MAX_IO, lbs);
}

/* cow_up() and serve it on a device of dev_size (lbs 512). */
static void start_sized(uint64_t dev_size)
{
	cr_assert_eq(fx.src.size, DEV_SIZE);
	cr_assert(!fx.src.read_only);
	cr_assert_eq(serve(dev_size, 512), 0);
	cr_assert(in.opened);
}

static void start(void)
{
	start_sized(DEV_SIZE);
}

static void stop(void)
{
	if (!fx.c)
		return;
	if (rg.opened)
		bdus_queue_wait_async(&rg.q);
	memring_stop(&rg);
	kit_cow.teardown(fx.c);
	free(fx.c);
	fx.c = NULL;
}

static void fini(void)
{
	char cmd[128];

	stop();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx.dir);
	if (fx.dir[0] && system(cmd))
		cr_log_warn("cannot remove %s", fx.dir);
}

/* Writes len bytes of fill_byte (or of the model, fill_byte < 0) at off. */
static int32_t do_write(uint16_t tag, uint64_t off, uint32_t len, int byte)
{
	if (byte >= 0)
		memset(fx.model + off, byte, len);
	memcpy(memring_buf(&rg, tag), fx.model + off, len);
	memring_submit(&rg, tag, BUSE_OP_WRITE, off, len);
	return memring_wait_result(&rg, tag);
}

/* Reads [off, off + len) and compares it with the model. */
static void check(uint16_t tag, uint64_t off, uint32_t len)
{
	uint32_t i;

	memset(memring_buf(&rg, tag), 0, len);
	memring_submit(&rg, tag, BUSE_OP_READ, off, len);
	if (in.mode == MANUAL)
		answer_all();
	cr_assert_eq(memring_wait_result(&rg, tag), 0);
	for (i = 0; i < len; i++)
		if (memring_buf(&rg, tag)[i] != fx.model[off + i])
			cr_assert_fail("byte %llu: %u, expected %u",
				       (unsigned long long)(off + i),
				       memring_buf(&rg, tag)[i],
				       fx.model[off + i]);
}

/* Checks the whole device, in reads of MAX_IO. */
static void check_all(void)
{
	uint64_t off;

	for (off = 0; off < rg.dev.size; off += MAX_IO)
		check(0, off,
		      (uint32_t)(rg.dev.size - off < MAX_IO ? rg.dev.size - off
							    : MAX_IO));
}

TestSuite(cow, .init = fx_init, .fini = fini);

/* ------------------------------------------------------------------------
 * Tests
 */

Test(cow, unwritten_reads_the_engine_below)
{
	cr_assert_eq(cow_up(FILES), 0);
	start();
	check(1, 1024, 8192);
	/* One run, one READ below, straight into the request's buffer. */
	cr_expect_eq(in.nreads, 1);
	cr_expect_eq(in.read_off[0], 1024);
	cr_expect_eq(in.read_len[0], 8192);
	/* Secure erase would reach the engine below: not advertised. */
	cr_expect_eq(rg.dev.ops & BUSE_OP_BIT(BUSE_OP_SECURE_ERASE), 0);
	cr_expect(rg.dev.ops & BUSE_OP_BIT(BUSE_OP_FLUSH));
	cr_expect(rg.dev.ops & BUSE_OPS_FUA);
	cr_expect(rg.dev.ops & BUSE_OP_BIT(BUSE_OP_DISCARD));
	cr_expect(rg.dev.ops & BUSE_OP_BIT(BUSE_OP_WRITE_ZEROES));
}

Test(cow, whole_block_writes_read_back)
{
	cr_assert_eq(cow_up(FILES), 0);
	start();
	cr_assert_eq(do_write(0, 2 * BLK, 2 * BLK, 0x5a), 0);
	/* Whole blocks: nothing to copy up. */
	cr_expect_eq(in.nreads, 0);
	check(1, 0, 5 * BLK);
	/* Runs: below, overlay, below. */
	cr_expect_eq(in.nreads, 2);
	cr_expect_eq(in.read_off[0], 0);
	cr_expect_eq(in.read_len[0], 2 * BLK);
	cr_expect_eq(in.read_off[1], 4 * BLK);
	cr_expect_eq(in.read_len[1], BLK);
}

/* Partial writes in every mode of the engine below. */
static void partial_writes(int mode)
{
	cr_assert_eq(cow_up(FILES), 0);
	start();
	in.mode = mode;
	memset(fx.model + BLK + 1024, 0x11, 512);
	memcpy(memring_buf(&rg, 0), fx.model + BLK + 1024, 512);
	memring_submit(&rg, 0, BUSE_OP_WRITE, BLK + 1024, 512);
	if (mode == MANUAL) {
		cr_assert(!memring_done(&rg, 0));
		cr_assert_eq(in.npending, 1);
		answer(0, 0);
	}
	cr_assert_eq(memring_wait_result(&rg, 0), 0);
	/* The block was copied up whole. */
	cr_expect_eq(in.nreads, 1);
	cr_expect_eq(in.read_off[0], BLK);
	cr_expect_eq(in.read_len[0], BLK);

	/* A head and a tail block, and a whole one between. */
	memset(fx.model + 10 * BLK + 2048, 0x22, 2 * BLK);
	memcpy(memring_buf(&rg, 1), fx.model + 10 * BLK + 2048, 2 * BLK);
	memring_submit(&rg, 1, BUSE_OP_WRITE, 10 * BLK + 2048, 2 * BLK);
	if (mode == MANUAL) {
		cr_assert_eq(in.npending, 1);
		answer(0, 0);
		cr_assert(!memring_done(&rg, 1));
		cr_assert_eq(in.npending, 1);
		answer(0, 0);
	}
	cr_assert_eq(memring_wait_result(&rg, 1), 0);
	cr_expect_eq(in.nreads, 3);
	cr_expect_eq(in.read_off[1], 10 * BLK);
	cr_expect_eq(in.read_off[2], 12 * BLK);

	/* Into blocks present already: no copy. */
	in.nreads = 0;
	cr_assert_eq(do_write(2, BLK + 3072, 1024, 0x33), 0);
	cr_expect_eq(in.nreads, 0);
	check_all();
}

Test(cow, partial_writes_merge)
{
	partial_writes(SYNC);
}

Test(cow, partial_writes_merge_async)
{
	partial_writes(MANUAL);
}

Test(cow, partial_writes_merge_threads)
{
	partial_writes(THREADS);
}

/* Reads alternating runs, each answered later. */
Test(cow, read_runs_async)
{
	cr_assert_eq(cow_up(FILES), 0);
	start();
	cr_assert_eq(do_write(0, BLK, BLK, 0x44), 0);
	cr_assert_eq(do_write(0, 3 * BLK, BLK, 0x45), 0);
	in.mode = MANUAL;
	memring_submit(&rg, 2, BUSE_OP_READ, 512, 5 * BLK - 512);
	cr_assert_eq(in.npending, 1);
	answer(0, 0);
	cr_assert(!memring_done(&rg, 2));
	answer(0, 0);
	cr_assert(!memring_done(&rg, 2));
	answer(0, 0);
	cr_assert_eq(memring_wait_result(&rg, 2), 0);
	cr_assert_eq(in.nreads, 3);
	cr_expect_eq(in.read_off[0], 512);
	cr_expect_eq(in.read_len[0], BLK - 512);
	cr_expect_eq(in.read_off[2], 4 * BLK);
	cr_expect_eq(memcmp(memring_buf(&rg, 2), fx.model + 512, 5 * BLK - 512),
		     0);
}

/* Several writes into one block, their copies answered in any order. */
Test(cow, concurrent_partial_writes_keep_each_other)
{
	cr_assert_eq(cow_up(FILES), 0);
	start();
	in.mode = MANUAL;
	memset(fx.model, 0xa1, 512);
	memset(fx.model + 512, 0xb2, 512);
	memset(fx.model + BLK - 512, 0xc3, 512);
	memcpy(memring_buf(&rg, 0), fx.model, 512);
	memcpy(memring_buf(&rg, 1), fx.model + 512, 512);
	memcpy(memring_buf(&rg, 2), fx.model + BLK - 512, 512);
	memring_submit(&rg, 0, BUSE_OP_WRITE, 0, 512);
	memring_submit(&rg, 1, BUSE_OP_WRITE, 512, 512);
	memring_submit(&rg, 2, BUSE_OP_WRITE, BLK - 512, 512);
	cr_assert_eq(in.npending, 3);
	answer(2, 0);
	cr_assert_eq(memring_wait_result(&rg, 2), 0);
	answer(0, 0);
	cr_assert_eq(memring_wait_result(&rg, 0), 0);
	answer(0, 0);
	cr_assert_eq(memring_wait_result(&rg, 1), 0);
	in.mode = SYNC;
	check(3, 0, 2 * BLK);
}

/* A whole-block write lands while a partial one copies the block up. */
Test(cow, copy_up_never_undoes_a_write)
{
	cr_assert_eq(cow_up(FILES), 0);
	start();
	in.mode = MANUAL;
	memset(memring_buf(&rg, 0), 0xa1, 512);
	memring_submit(&rg, 0, BUSE_OP_WRITE, BLK, 512);
	cr_assert_eq(in.npending, 1);
	in.mode = SYNC;
	cr_assert_eq(do_write(1, BLK, BLK, 0x77), 0);
	memset(fx.model + BLK, 0xa1, 512);
	answer(0, 0);
	cr_assert_eq(memring_wait_result(&rg, 0), 0);
	check(2, 0, 3 * BLK);
}

/*
 * Sector-disjoint writes at once into two fresh blocks, answered from
 * other threads: every write's bytes must survive the others' copy-ups.
 */
Test(cow, random_concurrent_writes_threads)
{
	int run, round, t, u;

	for (run = 0; run < 6; run++) {
		cr_assert_eq(cow_up(FILES), 0);
		start();
		in.mode = THREADS;
		for (round = 0; round < 32; round++) {
			uint64_t base = 2 * BLK * (uint64_t)round, sec[DEPTH];
			uint32_t len[DEPTH];

			for (t = 0; t < DEPTH; t++) {
			again:
				/* 1..4 sectors in the round's 16. */
				len[t] = 512u * (1 + (unsigned int)rand() % 4);
				sec[t] = (uint64_t)(rand() % (16 - 3));
				for (u = 0; u < t; u++)
					if (sec[t] < sec[u] + len[u] / 512 &&
					    sec[u] < sec[t] + len[t] / 512)
						goto again;
				memset(fx.model + base + sec[t] * 512,
				       (round * DEPTH + t) % 250 + 1, len[t]);
				memcpy(memring_buf(&rg, (uint16_t)t),
				       fx.model + base + sec[t] * 512, len[t]);
				memring_submit(&rg, (uint16_t)t, BUSE_OP_WRITE,
					       base + sec[t] * 512, len[t]);
			}
			for (t = 0; t < DEPTH; t++)
				cr_assert_eq(
					memring_wait_result(&rg, (uint16_t)t),
					0);
			check(0, base, 2 * BLK);
		}
		check_all();
		stop();
		cr_assert_eq(unlink(fx.overlay), 0);
		cr_assert_eq(unlink(fx.bitmap), 0);
		memcpy(fx.model, in.disk, DEV_SIZE);
	}
}

Test(cow, zeroes_and_discard)
{
	cr_assert_eq(cow_up(FILES), 0);
	start();
	/* Partial head and tail: copied up, then zeroed. */
	memset(fx.model + 1024, 0, BLK + 1024);
	memring_submit(&rg, 0, BUSE_OP_WRITE_ZEROES, 1024, BLK + 1024);
	cr_assert_eq(memring_wait_result(&rg, 0), 0);
	cr_expect_eq(in.nreads, 2);
	/* Kept allocated. */
	memset(fx.model + 4 * BLK, 0, BLK + 512);
	memring_submit_flags(&rg, 1, BUSE_OP_WRITE_ZEROES, 4 * BLK, BLK + 512,
			     BUSE_IO_F_NOUNMAP);
	cr_assert_eq(memring_wait_result(&rg, 1), 0);
	/* Whole blocks: holes, nothing read below; much longer than max_io. */
	in.nreads = 0;
	memset(fx.model + 8 * BLK, 0, 40 * BLK);
	memring_submit(&rg, 2, BUSE_OP_DISCARD, 8 * BLK, 40 * BLK);
	cr_assert_eq(memring_wait_result(&rg, 2), 0);
	cr_expect_eq(in.nreads, 0);
	/* Written again after the zeroing. */
	cr_assert_eq(do_write(3, 9 * BLK + 512, 512, 0x99), 0);
	cr_expect_eq(in.nreads, 0);
	check_all();
}

Test(cow, flush_and_fua_make_bits_durable)
{
	unsigned char bits;
	int fd;

	cr_assert_eq(cow_up(FILES), 0);
	start();
	fd = open(fx.bitmap, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(do_write(0, 0, BLK, 0x10), 0);
	/* Not durable yet. */
	cr_assert_eq(pread(fd, &bits, 1, 4096), 1);
	cr_expect_eq(bits, 0);
	memset(fx.model + 3 * BLK, 0x13, BLK);
	memcpy(memring_buf(&rg, 1), fx.model + 3 * BLK, BLK);
	memring_submit_flags(&rg, 1, BUSE_OP_WRITE, 3 * BLK, BLK,
			     BUSE_IO_F_FUA);
	cr_assert_eq(memring_wait_result(&rg, 1), 0);
	/* The FUA write synced both blocks' bits into the file. */
	cr_assert_eq(pread(fd, &bits, 1, 4096), 1);
	cr_expect_eq(bits, 0x09);
	cr_assert_eq(do_write(2, BLK, BLK, 0x11), 0);
	memring_submit(&rg, 3, BUSE_OP_FLUSH, 0, 0);
	cr_assert_eq(memring_wait_result(&rg, 3), 0);
	cr_assert_eq(pread(fd, &bits, 1, 4096), 1);
	cr_expect_eq(bits, 0x0b);
	close(fd);
}

Test(cow, reopen_keeps_the_changes)
{
	cr_assert_eq(cow_up(FILES), 0);
	start();
	cr_assert_eq(do_write(0, BLK + 512, 1024, 0x61), 0);
	cr_assert_eq(do_write(0, 20 * BLK, 3 * BLK, 0x62), 0);
	stop();
	in.nreads = 0;
	cr_assert_eq(cow_up(FILES), 0);
	start();
	check_all();
	/* And writes on. */
	cr_assert_eq(do_write(0, 2 * BLK, 512, 0x63), 0);
	check(0, 0, 4 * BLK);
}

Test(cow, another_engine_below_is_refused)
{
	cr_assert_eq(cow_up(FILES), 0);
	start();
	cr_assert_eq(do_write(0, 0, BLK, 0x61), 0);
	stop();
	cr_assert_eq(cow_up_ident("ram other", FILES, (char *)NULL), -1);
	cr_expect(strstr(kit_errmsg, "refusing"), "%s", kit_errmsg);
	/* The files are left as they were: the same engine still works. */
	cr_assert_eq(cow_up(FILES), 0);
	start();
	check(0, 0, 2 * BLK);
}

Test(cow, bitmap_without_its_overlay_is_refused)
{
	cr_assert_eq(cow_up(FILES), 0);
	start();
	cr_assert_eq(do_write(0, 0, BLK, 0x61), 0);
	stop();
	cr_assert_eq(unlink(fx.overlay), 0);
	cr_assert_eq(cow_up(FILES), -1);
	cr_expect(strstr(kit_errmsg, "not its overlay"), "%s", kit_errmsg);
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

Test(cow, temporary_leaves_no_files)
{
	cr_assert_eq(setenv("TMPDIR", fx.dir, 1), 0);
	cr_assert_eq(cow_up("--temporary"), 0);
	cr_expect_eq(entries(fx.dir), 0);
	cr_expect(strstr(fx.src.ident, "temporary"), "%s", fx.src.ident);
	start();
	cr_assert_eq(do_write(0, 512, 512, 0x71), 0);
	memring_submit(&rg, 1, BUSE_OP_FLUSH, 0, 0);
	cr_assert_eq(memring_wait_result(&rg, 1), 0);
	check_all();
	cr_expect_eq(entries(fx.dir), 0);
	stop();
	cr_expect_eq(entries(fx.dir), 0);
	/* A new run starts afresh. */
	memcpy(fx.model, in.disk, DEV_SIZE);
	cr_assert_eq(cow_up("--temporary"), 0);
	start();
	check(0, 0, BLK);
}

Test(cow, options_checked)
{
	cr_assert_eq(cow_up("--overlay", fx.overlay), -1);
	cr_expect(strstr(kit_errmsg, "--temporary"), "%s", kit_errmsg);
	cr_assert_eq(cow_up(FILES, "--temporary"), -1);
	cr_assert_eq(cow_up("--block-size", "1000", "--temporary"), -2);
	cr_assert_eq(cow_up("--block-size", "256", "--temporary"), -2);
	cr_assert_eq(cow_up("--block-size", "2M", "--temporary"), -2);
	cr_expect_eq(entries(fx.dir), 0);
}

Test(cow, block_smaller_than_the_logical_block_fails_open)
{
	cr_assert_eq(cow_up(FILES, "--block-size", "1K"), 0);
	cr_assert_eq(serve(DEV_SIZE, 4096), -EINVAL);
	cr_expect(strstr(kit_errmsg, "--block-size"), "%s", kit_errmsg);
}

/* A cow block larger than max_io is copied up in several READs. */
Test(cow, large_blocks_copied_in_pieces)
{
	cr_assert_eq(cow_up(FILES, "--block-size", "64K"), 0);
	start();
	in.mode = THREADS;
	cr_assert_eq(do_write(0, 70 * 1024, 512, 0x81), 0);
	cr_expect_eq(in.nreads, 2);
	cr_expect_eq(in.read_off[0], 64 * 1024);
	cr_expect_eq(in.read_len[0], MAX_IO);
	cr_expect_eq(in.read_off[1], 64 * 1024 + MAX_IO);
	check_all();
}

/* The device ends inside a cow block: the block is as long as the device. */
Test(cow, short_last_block)
{
	uint64_t size = DEV_SIZE - 1024;

	cr_assert_eq(cow_up(FILES), 0);
	start_sized(size);
	cr_assert_eq(do_write(0, size - 1024, 512, 0x91), 0);
	cr_expect_eq(in.nreads, 1);
	cr_expect_eq(in.read_off[0], DEV_SIZE - BLK);
	cr_expect_eq(in.read_len[0], BLK - 1024);
	cr_assert_eq(do_write(1, size - (BLK - 1024), BLK - 1024, 0x92), 0);
	check_all();
}

Test(cow, errors_below)
{
	cr_assert_eq(cow_up(FILES), 0);
	start();
	/* A failed copy-up fails the write, and leaves the block absent. */
	in.ret = -ENOLINK;
	memset(memring_buf(&rg, 0), 0xee, 512);
	memring_submit(&rg, 0, BUSE_OP_WRITE, 512, 512);
	cr_assert_eq(memring_wait_result(&rg, 0), -ENOLINK);
	in.ret = 0;
	check(0, 0, BLK);
	/* A short READ: what came before it, and its own part. */
	cr_assert_eq(do_write(0, BLK, BLK, 0x12), 0);
	in.ret = 1024;
	memring_submit(&rg, 1, BUSE_OP_READ, 0, 3 * BLK);
	cr_assert_eq(memring_wait_result(&rg, 1), 1024);
	memring_submit(&rg, 1, BUSE_OP_READ, BLK, 2 * BLK);
	cr_assert_eq(memring_wait_result(&rg, 1), BLK + 1024);
	/* Answered later, an error is the request's. */
	in.ret = 0;
	in.mode = MANUAL;
	memring_submit(&rg, 2, BUSE_OP_READ, 2 * BLK, BLK);
	answer(0, -EIO);
	cr_assert_eq(memring_wait_result(&rg, 2), -EIO);
}
