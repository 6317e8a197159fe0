// SPDX-License-Identifier: MIT
/*
 * test_cache.c - the kit's cache filter (examples/cache.c, with
 * examples/kit_bitmap.c), set up as buse-cache sets it up
 * (kit_cache.parse(), .setup(), .teardown()) over an in-memory inner
 * engine and served by the queue code of ring.c from a ring in plain
 * memory (memring.h).
 * The inner engine answers at once or later (the test completes its
 * requests with bdus_complete()).  The cache and bitmap files live in a
 * fresh directory per test.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi.h"
#include "bdus.h"
#include "ring.h"
#include "memring.h"

/*
 * cache.c is compiled into this file (its statics are the test's to see);
 * kit_bitmap.c and kit_err() (memring.c) are linked in once.
 * The examples define _GNU_SOURCE themselves (the build does too).
 */
#undef _GNU_SOURCE
#include "../../examples/cache.c"

#define DEPTH 4
#define MAX_IO 16384u /* 4 cache blocks: the most one fetch takes */
#define BS 4096u      /* the cache block size of the tests */
#define DISK_SIZE (10 * BS + 1536)     /* 11 blocks, the last one partial */
#define DISK_ROOM (DISK_SIZE + 4 * BS) /* <= MEMDISK_SIZE */

/* The ring: one queue of DEPTH tags, serving the stack cache_up() made. */
static struct memring rg;

/* The inner engine: a RAM disk that records its calls. */
static struct memdisk in;

static const struct storage_engine ram = {
	.name = "ram",
	.flags = BDUS_ENGINE_F_FUA,
	.read = memdisk_read,
	.write = memdisk_write,
	.flush = memdisk_flush,
};

/* The last request the inner engine got. */
static const struct bdus_req *inner_req(void)
{
	return memdisk_last_req(&in);
}

static void expect_call(unsigned int i, uint32_t op, uint64_t off, uint32_t len)
{
	cr_assert_lt(i, in.ncalls, "no inner call %u", i);
	cr_expect_eq(in.calls[i].op, op, "call %u: op %u", i, in.calls[i].op);
	cr_expect_eq(in.calls[i].offset, off, "call %u: offset %llu", i,
		     (unsigned long long)in.calls[i].offset);
	cr_expect_eq(in.calls[i].len, len, "call %u: len %u", i,
		     in.calls[i].len);
}

static unsigned char pattern(uint64_t i)
{
	return (unsigned char)(i * 7 + i / BS * 13 + 1);
}

/* ------------------------------------------------------------------------
 * The cache, as buse-cache sets it up
 */

static struct {
	char dir[64];
	char cache[128], bitmap[128];
	void *ctx; /* kit_cache's */
	struct kit_source inner, src;
	bool set_up;
	/* start()'s options, for restart(). */
	const char *bs;
	bool wt;
} fx;

static void fx_init(void)
{
	uint64_t i;

	memset(&in, 0, sizeof(in));
	in.dev = &rg.dev;
	memset(&fx, 0, sizeof(fx));
	kit_errmsg[0] = 0;
	for (i = 0; i < DISK_ROOM; i++)
		in.disk[i] = pattern(i);
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/test_cache.XXXXXX");
	cr_assert_not_null(mkdtemp(fx.dir));
	snprintf(fx.cache, sizeof(fx.cache), "%s/d.cache", fx.dir);
	snprintf(fx.bitmap, sizeof(fx.bitmap), "%s/d.bmp", fx.dir);
	fx.inner = (struct kit_source){ .size = DISK_SIZE,
					.engine = &ram,
					.ctx = &in };
	snprintf(fx.inner.ident, sizeof(fx.inner.ident), "ram one");
}

/* The value of kit_cache's option --name. */
static int opt_val(const char *name)
{
	const struct option *o;

	for (o = kit_cache.longopts; o->name; o++)
		if (!strcmp(o->name, name))
			return o->val;
	cr_assert_fail("no option --%s", name);
	return -1;
}

static int set_opt_valid(const char *name, const char *arg, const char **valid)
{
	*valid = NULL;
	return kit_cache.parse(fx.ctx, opt_val(name), arg, valid);
}

static int set_opt(const char *name, const char *arg)
{
	const char *valid;

	return set_opt_valid(name, arg, &valid);
}

/* A fresh ctx with --cache and --bitmap. */
static void cache_new(void)
{
	fx.ctx = calloc(1, kit_cache.ctx_size);
	cr_assert_not_null(fx.ctx);
	cr_assert_eq(set_opt("cache", fx.cache), 0);
	cr_assert_eq(set_opt("bitmap", fx.bitmap), 0);
}

/* Stderr to /dev/null (setup() and teardown() report statistics). */
static int quiet(void)
{
	int saved = dup(2), fd = open("/dev/null", O_WRONLY);

	cr_assert(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	return saved;
}

static void unquiet(int saved)
{
	dup2(saved, 2);
	close(saved);
}

/* setup() over fx.inner: 0 or -1. */
static int cache_up(void)
{
	int saved = quiet(), ret;

	memset(&fx.src, 0, sizeof(fx.src));
	kit_errmsg[0] = 0;
	ret = kit_cache.setup(fx.ctx, NULL, &fx.inner, &fx.src);
	unquiet(saved);
	if (ret)
		return -1;
	fx.set_up = true;
	if (fx.inner.size) /* 0: --offline's placeholder */
		cr_assert_eq(fx.src.size, fx.inner.size);
	cr_assert_not_null(fx.src.engine);
	return 0;
}

/* Serves fx.src on the ring; open()'s result. */
static int serve(void)
{
	return memring_start(&rg, fx.src.engine, fx.src.ctx, fx.src.size, DEPTH,
			     MAX_IO, 512);
}

/* Stops serving, tears down, frees the ctx (as kit_main() does). */
static void cache_down(void)
{
	int saved;

	memring_stop(&rg);
	if (fx.set_up) {
		saved = quiet();
		kit_cache.teardown(fx.ctx);
		unquiet(saved);
	}
	fx.set_up = false;
	free(fx.ctx);
	fx.ctx = NULL;
}

/* The cache over the RAM disk (block size bs, NULL: default), served. */
static void start(const char *bs, bool write_through)
{
	fx.bs = bs;
	fx.wt = write_through;
	cache_new();
	if (bs)
		cr_assert_eq(set_opt("block-size", bs), 0);
	if (write_through)
		cr_assert_eq(set_opt("write-through", NULL), 0);
	cr_assert_eq(cache_up(), 0, "setup failed: %s", kit_errmsg);
	cr_assert_eq(fx.src.read_only, !write_through);
	cr_assert_eq(serve(), 0, "open failed: %s", kit_errmsg);
}

/* The next run of buse-cache, with the same files and options. */
static void restart(void)
{
	cache_down();
	start(fx.bs, fx.wt);
}

static void fx_fini(void)
{
	struct dirent *e;
	DIR *d;

	cache_down();
	if (!fx.dir[0] || !(d = opendir(fx.dir)))
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(fx.dir);
}

TestSuite(cache, .init = fx_init, .fini = fx_fini);

/* ------------------------------------------------------------------------
 * Helpers
 */

/*
 * Reads [off, off + len) with tag, completing (successfully) what the
 * inner engine holds until the read is answered; its result.
 */
static int32_t do_read(uint16_t tag, uint64_t off, uint32_t len)
{
	unsigned int n;

	memset(memring_buf(&rg, tag), 0xee, len);
	memring_submit(&rg, tag, BUSE_OP_READ, off, len);
	for (n = 0; memring_no_completion(&rg); n++) {
		cr_assert_lt(n, 16, "the read is not answered");
		cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	}
	return memring_result(&rg, tag);
}

/* Writes len bytes of byte at off with tag (and completes it); result. */
static int32_t do_write(uint16_t tag, uint64_t off, uint32_t len, int byte)
{
	memset(memring_buf(&rg, tag), byte, len);
	memring_submit(&rg, tag, BUSE_OP_WRITE, off, len);
	if (memring_no_completion(&rg))
		cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	return memring_result(&rg, tag);
}

/* tag's buffer holds what the RAM disk holds at [off, off + len). */
static void check(uint16_t tag, uint64_t off, uint32_t len)
{
	const unsigned char *b = memring_buf(&rg, tag);
	uint32_t i;

	for (i = 0; i < len; i++)
		cr_assert_eq(b[i], in.disk[off + i],
			     "byte %llu: 0x%02x, the disk has 0x%02x",
			     (unsigned long long)(off + i), b[i],
			     in.disk[off + i]);
}

/* A whole file, for comparing before and after. */
struct file_copy {
	char *data;
	size_t len;
};

static void file_copy(const char *path, struct file_copy *f)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(fstat(fd, &st), 0);
	f->len = (size_t)st.st_size;
	f->data = malloc(f->len + 1);
	cr_assert_not_null(f->data);
	cr_assert_eq(pread(fd, f->data, f->len, 0), (ssize_t)f->len);
	close(fd);
}

static void file_unchanged(const char *path, struct file_copy *f)
{
	struct file_copy now;

	file_copy(path, &now);
	cr_assert_eq(now.len, f->len, "%s: %zu bytes, was %zu", path, now.len,
		     f->len);
	cr_assert(!memcmp(now.data, f->data, f->len), "%s changed", path);
	free(now.data);
}

/* Word w of the bitmap file's bits (after its 4 KiB header). */
static uint64_t bitmap_word(const char *path, unsigned int w)
{
	uint64_t v = 0;
	int fd = open(path, O_RDONLY);

	cr_assert_geq(fd, 0);
	cr_assert_eq(
		pread(fd, &v, sizeof(v), KIT_BITMAP_HDR_SIZE + (off_t)w * 8),
		(ssize_t)sizeof(v));
	close(fd);
	return v;
}

/* ------------------------------------------------------------------------
 * Reading
 */

Test(cache, miss_fetches_whole_blocks)
{
	start("4K", false);
	/* Inside one block: the whole block. */
	cr_assert_eq(do_read(0, BS + 512, 1024), 0);
	check(0, BS + 512, 1024);
	cr_assert_eq(in.ncalls, 1);
	expect_call(0, BUSE_OP_READ, BS, BS);
	/* Across a boundary: both blocks, in one call. */
	cr_assert_eq(do_read(1, 3 * BS - 512, 1024), 0);
	check(1, 3 * BS - 512, 1024);
	cr_assert_eq(in.ncalls, 2);
	expect_call(1, BUSE_OP_READ, 2 * BS, 2 * BS);
	/* The last block is short: the fetch ends with the device. */
	cr_assert_eq(do_read(2, DISK_SIZE - 512, 512), 0);
	check(2, DISK_SIZE - 512, 512);
	cr_assert_eq(in.ncalls, 3);
	expect_call(2, BUSE_OP_READ, 10 * BS, 1536);
	/* Five missing blocks: more than a fetch takes (max_io), so two. */
	cr_assert_eq(do_read(3, 4 * BS + 512, MAX_IO), 0);
	check(3, 4 * BS + 512, MAX_IO);
	cr_assert_eq(in.ncalls, 5);
	expect_call(3, BUSE_OP_READ, 4 * BS, 4 * BS);
	expect_call(4, BUSE_OP_READ, 8 * BS, BS);
}

Test(cache, hit_makes_no_inner_call)
{
	struct file_copy f;

	start("4K", false);
	cr_assert_eq(do_read(0, 0, 2 * BS), 0);
	cr_assert_eq(in.ncalls, 1);
	cr_assert_eq(do_read(1, 0, 2 * BS), 0);
	check(1, 0, 2 * BS);
	cr_assert_eq(do_read(2, BS + 1024, 512), 0);
	check(2, BS + 1024, 512);
	cr_assert_eq(do_read(3, DISK_SIZE - 1024, 1024), 0);
	cr_assert_eq(in.ncalls, 2);
	cr_assert_eq(do_read(3, DISK_SIZE - 1024, 1024), 0);
	check(3, DISK_SIZE - 1024, 1024);
	cr_assert_eq(in.ncalls, 2, "a hit reached the inner engine");
	/* The blocks are in the cache file, which has the device's size. */
	file_copy(fx.cache, &f);
	cr_assert_eq(f.len, DISK_SIZE);
	cr_assert(!memcmp(f.data, in.disk, 2 * BS));
	cr_assert(!memcmp(f.data + 10 * BS, in.disk + 10 * BS, 1536));
	free(f.data);
}

Test(cache, partly_cached_read_fetches_the_missing_blocks)
{
	start("4K", false);
	cr_assert_eq(do_read(0, BS + 512, 512), 0);
	in.ncalls = 0;
	/* Blocks 0 to 3, 1 cached: 0, then 2 and 3 in one call. */
	cr_assert_eq(do_read(1, 0, 4 * BS), 0);
	check(1, 0, 4 * BS);
	cr_assert_eq(in.ncalls, 2);
	expect_call(0, BUSE_OP_READ, 0, BS);
	expect_call(1, BUSE_OP_READ, 2 * BS, 2 * BS);
	/* Blocks 3 (cached) to 4: only 4. */
	cr_assert_eq(do_read(2, 3 * BS + 512, BS), 0);
	check(2, 3 * BS + 512, BS);
	cr_assert_eq(in.ncalls, 3);
	expect_call(2, BUSE_OP_READ, 4 * BS, BS);
}

Test(cache, bitmap_persists_across_runs)
{
	start("4K", false);
	cr_assert_eq(do_read(0, 512, 3 * BS), 0); /* blocks 0 to 3 */
	cr_assert_eq(do_read(1, 10 * BS, 1536), 0);
	cr_assert_eq(in.ncalls, 2);
	restart();
	in.ncalls = 0;
	cr_assert_eq(do_read(0, 0, 4 * BS), 0);
	check(0, 0, 4 * BS);
	cr_assert_eq(do_read(1, 10 * BS, 1536), 0);
	check(1, 10 * BS, 1536);
	cr_assert_eq(in.ncalls, 0, "cached blocks fetched again");
	cr_assert_eq(do_read(2, 5 * BS, 512), 0);
	check(2, 5 * BS, 512);
	cr_assert_eq(in.ncalls, 1);
	expect_call(0, BUSE_OP_READ, 5 * BS, BS);
}

/* Setting up over what the files do not record fails: -1, untouched. */
static void refused(struct file_copy *c, struct file_copy *b)
{
	cr_assert_eq(cache_up(), -1);
	cr_assert_not_null(strstr(kit_errmsg, "refusing to serve stale data"),
			   "message: %s", kit_errmsg);
	fx.set_up = false;
	free(fx.ctx);
	fx.ctx = NULL;
	file_unchanged(fx.cache, c);
	file_unchanged(fx.bitmap, b);
}

Test(cache, another_inner_engine_is_refused)
{
	struct file_copy c, b;

	start("4K", false);
	cr_assert_eq(do_read(0, 0, 2 * BS), 0);
	cache_down();
	file_copy(fx.cache, &c);
	file_copy(fx.bitmap, &b);

	/* Another identity. */
	snprintf(fx.inner.ident, sizeof(fx.inner.ident), "ram two");
	cache_new();
	refused(&c, &b);
	snprintf(fx.inner.ident, sizeof(fx.inner.ident), "ram one");
	/* Another size (larger: the cache file would grow). */
	fx.inner.size = DISK_SIZE + BS;
	cache_new();
	refused(&c, &b);
	fx.inner.size = DISK_SIZE - BS;
	cache_new();
	refused(&c, &b);
	fx.inner.size = DISK_SIZE;
	/* Another block size. */
	cache_new();
	cr_assert_eq(set_opt("block-size", "8K"), 0);
	refused(&c, &b);

	/* The same engine again: accepted, its blocks still cached. */
	start("4K", false);
	in.ncalls = 0;
	cr_assert_eq(do_read(0, 0, 2 * BS), 0);
	check(0, 0, 2 * BS);
	cr_assert_eq(in.ncalls, 0);
	free(c.data);
	free(b.data);
}

Test(cache, bitmap_of_another_kind_is_refused)
{
	struct kit_bitmap *bm;
	int fd = open(fx.cache, O_RDWR | O_CREAT, 0644);

	cr_assert_geq(fd, 0);
	cr_assert_eq(kit_bitmap_open(&bm, "test", fx.bitmap, "cow", BS,
				     DISK_SIZE, fx.inner.ident, fd),
		     0);
	kit_bitmap_close(bm);
	close(fd);
	cache_new();
	cr_assert_eq(cache_up(), -1);
	cr_assert_not_null(strstr(kit_errmsg, "cow bitmap"), "message: %s",
			   kit_errmsg);
}

Test(cache, bitmap_in_use_is_refused)
{
	int fd;

	/* A first run holds the files... */
	start("4K", false);
	cr_assert_eq(do_read(0, 0, BS), 0);
	/* ...a second one on the same bitmap is refused, and leaves it. */
	{
		struct kit_source first_src = fx.src;
		void *first = fx.ctx;

		cache_new();
		cr_assert_eq(cache_up(), -1);
		cr_expect_not_null(
			strstr(kit_errmsg, "in use by another program"),
			"message: %s", kit_errmsg);
		free(fx.ctx);
		fx.ctx = first;
		fx.src = first_src;
	}
	/* Another process's lock is seen the same way. */
	cache_down();
	fd = open(fx.bitmap, O_RDWR);
	cr_assert_geq(fd, 0);
	cr_assert_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	cache_new();
	cr_assert_eq(cache_up(), -1);
	cr_expect_not_null(strstr(kit_errmsg, "in use by another program"),
			   "message: %s", kit_errmsg);
	close(fd);
	/* Once free, the files serve what the first run cached. */
	restart();
	in.ncalls = 0;
	cr_assert_eq(do_read(0, 0, BS), 0);
	cr_expect_eq(in.ncalls, 0, "a cached block was fetched again");
}

/*
 * --offline over an engine of kind below (as kit_setup() hands it: only
 * a name), with block size bs (NULL: the recorded one); cache_up().
 */
static int offline_up(const char *below, const char *bs, bool wt)
{
	struct kit_source real = fx.inner;
	int ret;

	cache_down();
	cache_new();
	cr_assert_eq(set_opt("offline", NULL), 0);
	if (bs)
		cr_assert_eq(set_opt("block-size", bs), 0);
	if (wt)
		cr_assert_eq(set_opt("write-through", NULL), 0);
	memset(&fx.inner, 0, sizeof(fx.inner));
	snprintf(fx.inner.ident, sizeof(fx.inner.ident), "%s", below);
	ret = cache_up();
	fx.inner = real;
	return ret;
}

Test(cache, offline_serves_the_cached_blocks)
{
	start("4K", false);
	cr_assert_eq(do_read(0, 0, 4 * BS), 0);
	cr_assert_eq(do_read(1, 4 * BS, 4 * BS), 0);
	cr_assert_eq(do_read(2, 8 * BS, 2 * BS + 1536), 0);
	/* The engine below is not there: size and identity recorded. */
	cr_assert_eq(offline_up("ram", NULL, false), 0, "%s", kit_errmsg);
	cr_expect_eq(fx.src.size, DISK_SIZE);
	cr_expect(fx.src.read_only);
	cr_expect_str_eq(fx.src.ident, "ram one");
	cr_assert_eq(serve(), 0, "open failed: %s", kit_errmsg);
	in.ncalls = 0;
	cr_assert_eq(do_read(0, 0, 4 * BS), 0);
	check(0, 0, 4 * BS);
	cr_assert_eq(do_read(1, 4 * BS + 512, 4 * BS), 0);
	check(1, 4 * BS + 512, 4 * BS);
	cr_assert_eq(do_read(2, 8 * BS, 2 * BS + 1536), 0);
	check(2, 8 * BS, 2 * BS + 1536);
	cr_expect_eq(in.ncalls, 0, "the engine below was called");
	/* Read-only. */
	memring_submit(&rg, 3, BUSE_OP_WRITE, 0, 512);
	cr_expect_lt(memring_result(&rg, 3), 0);
}

Test(cache, offline_fails_blocks_not_cached)
{
	start("4K", false);
	cr_assert_eq(do_read(0, 0, BS), 0); /* block 0 only */
	cr_assert_eq(offline_up("ram", NULL, false), 0, "%s", kit_errmsg);
	cr_assert_eq(serve(), 0, "open failed: %s", kit_errmsg);
	in.ncalls = 0;
	cr_assert_eq(do_read(0, 0, BS), 0);
	check(0, 0, BS);
	memring_submit(&rg, 1, BUSE_OP_READ, 3 * BS, BS);
	cr_expect_eq(memring_result(&rg, 1), -EIO);
	/* Partly cached: the whole read fails. */
	memring_submit(&rg, 2, BUSE_OP_READ, 0, 2 * BS);
	cr_expect_eq(memring_result(&rg, 2), -EIO);
	cr_expect_eq(in.ncalls, 0, "the engine below was called");
}

Test(cache, offline_refusals)
{
	start("4K", false);
	cr_assert_eq(do_read(0, 0, BS), 0);
	/* Another kind of engine than the bitmap records. */
	cr_assert_eq(offline_up("nbd", NULL, false), -1);
	cr_expect_not_null(strstr(kit_errmsg, "not what a nbd engine serves"),
			   "message: %s", kit_errmsg);
	/* A name that only starts the recorded one. */
	cr_assert_eq(offline_up("ra", NULL, false), -1);
	/* Another block size. */
	cr_assert_eq(offline_up("ram", "8K", false), -1);
	cr_expect_not_null(strstr(kit_errmsg, "refusing to serve stale data"),
			   "message: %s", kit_errmsg);
	/* Writable. */
	cr_assert_eq(offline_up("ram", NULL, true), -1);
	cr_expect_not_null(strstr(kit_errmsg, "--write-through"), "message: %s",
			   kit_errmsg);
	/* No cache file, no bitmap file: nothing is created. */
	cache_down();
	cr_assert_eq(unlink(fx.cache), 0);
	cr_assert_eq(offline_up("ram", NULL, false), -1);
	cr_expect_not_null(strstr(kit_errmsg, "cannot open"), "message: %s",
			   kit_errmsg);
	cr_expect_neq(access(fx.cache, F_OK), 0, "the cache file was created");
	cr_assert_eq(unlink(fx.bitmap), 0);
	cr_assert_eq(offline_up("ram", NULL, false), -1);
	cr_expect_neq(access(fx.bitmap, F_OK), 0, "the bitmap was created");
	/* The recorded one, with its own block size: served. */
	cache_down();
	start("4K", false);
	cr_assert_eq(offline_up("ram", "4K", false), 0, "%s", kit_errmsg);
}

/* ------------------------------------------------------------------------
 * Writing
 */

Test(cache, write_through_updates_cached_blocks)
{
	struct file_copy f;

	start("4K", true);
	cr_assert_eq(do_read(0, 2 * BS, BS), 0);
	in.ncalls = 0;
	cr_assert_eq(do_write(1, 2 * BS + 512, 1024, 0x5a), 0);
	cr_assert_eq(in.ncalls, 1);
	expect_call(0, BUSE_OP_WRITE, 2 * BS + 512, 1024);
	cr_assert_eq(in.disk[2 * BS + 512], 0x5a);
	/* Read back from the cache: the new data, no inner read. */
	cr_assert_eq(do_read(2, 2 * BS, BS), 0);
	check(2, 2 * BS, BS);
	cr_assert_eq(memring_buf(&rg, 2)[512 + 1023], 0x5a);
	cr_assert_eq(in.ncalls, 1);
	file_copy(fx.cache, &f);
	cr_assert_eq((unsigned char)f.data[2 * BS + 512], 0x5a);
	free(f.data);

	/* Across cached block 2 and uncached block 3: 3 is fetched. */
	cr_assert_eq(do_write(1, 3 * BS - 512, 1024, 0x6b), 0);
	cr_assert_eq(in.ncalls, 2);
	cr_assert_eq(do_read(2, 2 * BS, 2 * BS), 0);
	check(2, 2 * BS, 2 * BS);
	cr_assert_eq(in.ncalls, 3);
	expect_call(2, BUSE_OP_READ, 3 * BS, BS);

	/* FLUSH reaches the engine below, and makes the bits durable. */
	memring_submit(&rg, 3, BUSE_OP_FLUSH, 0, 0);
	cr_assert_eq(memring_result(&rg, 3), 0);
	cr_assert_eq(in.ncalls, 4);
	expect_call(3, BUSE_OP_FLUSH, 0, 0);
	cr_assert_eq(bitmap_word(fx.bitmap, 0), 0xc);
}

Test(cache, read_only_refuses_writes)
{
	start("4K", false);
	cr_assert_eq(do_read(0, 0, BS), 0);
	in.ncalls = 0;
	cr_assert_eq(do_write(1, 0, 512, 0x11), -EROFS);
	cr_assert_eq(in.ncalls, 0);
	cr_assert_eq(do_read(2, 0, BS), 0);
	check(2, 0, BS);
	cr_assert_eq(in.disk[0], pattern(0));
	cr_assert_eq(in.ncalls, 0);
}

Test(cache, write_through_needs_a_writable_engine)
{
	fx.inner.read_only = true;
	cache_new();
	cr_assert_eq(set_opt("write-through", NULL), 0);
	cr_assert_eq(cache_up(), -1);
	cr_assert_not_null(strstr(kit_errmsg, "read-only"), "message: %s",
			   kit_errmsg);
	free(fx.ctx);
	fx.ctx = NULL;
}

/* ------------------------------------------------------------------------
 * An inner engine that answers later
 */

Test(cache, async_misses_complete_through_the_hook)
{
	start("4K", false);
	in.async = true;
	memset(memring_buf(&rg, 0), 0xee, BS);
	memring_submit(&rg, 0, BUSE_OP_READ, BS + 512, BS);
	cr_assert(memring_no_completion(&rg));
	cr_assert_eq(in.ncalls, 1);
	expect_call(0, BUSE_OP_READ, BS, 2 * BS);
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_assert_eq(memring_result(&rg, 0), 0);
	check(0, BS + 512, BS);

	/* Blocks 3 to 5, 4 cached: the second fetch from the hook. */
	cr_assert_eq(do_read(1, 4 * BS + 1024, 512), 0);
	in.ncalls = 0;
	memset(memring_buf(&rg, 2), 0xee, 3 * BS);
	memring_submit(&rg, 2, BUSE_OP_READ, 3 * BS, 3 * BS);
	cr_assert_eq(in.ncalls, 1);
	expect_call(0, BUSE_OP_READ, 3 * BS, BS);
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_assert(memring_no_completion(&rg));
	cr_assert_eq(in.ncalls, 2);
	expect_call(1, BUSE_OP_READ, 5 * BS, BS);
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_assert_eq(memring_result(&rg, 2), 0);
	check(2, 3 * BS, 3 * BS);
	cr_assert_eq(rg.q.async_inflight, 0);

	/* All cached now. */
	cr_assert_eq(do_read(3, BS, 4 * BS), 0);
	check(3, BS, 4 * BS);
	cr_assert_eq(in.ncalls, 2);
}

Test(cache, inner_read_error_reaches_the_request)
{
	start("4K", false);
	in.ret[BUSE_OP_READ] = -ENOSPC;
	cr_assert_eq(do_read(0, 0, 512), -ENOSPC);
	in.ret[BUSE_OP_READ] = 0;
	/* Nothing was cached: fetched again. */
	in.ncalls = 0;
	cr_assert_eq(do_read(0, 0, 512), 0);
	check(0, 0, 512);
	cr_assert_eq(in.ncalls, 1);

	/* Later, on the second fetch of a read (block 2 cached). */
	in.async = true;
	cr_assert_eq(do_read(1, 2 * BS, 512), 0);
	in.ncalls = 0;
	memring_submit(&rg, 2, BUSE_OP_READ, BS, 3 * BS);
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_assert_eq(in.ncalls, 2);
	expect_call(1, BUSE_OP_READ, 3 * BS, BS);
	cr_assert_eq(bdus_complete(inner_req(), -EIO), 0);
	cr_assert_eq(memring_result(&rg, 2), -EIO);
	/* Block 1 was stored, block 3 was not. */
	in.ncalls = 0;
	cr_assert_eq(do_read(3, BS, BS), 0);
	cr_assert_eq(in.ncalls, 0);
	cr_assert_eq(do_read(3, 3 * BS, BS), 0);
	check(3, 3 * BS, BS);
	cr_assert_eq(in.ncalls, 1);
}

/* A write reaches block 4 while its fetch is in flight. */
Test(cache, write_during_fetch_is_not_undone)
{
	const struct bdus_req *fetch;

	start("4K", true);
	in.async = true;
	memring_submit(&rg, 0, BUSE_OP_READ, 4 * BS, BS);
	fetch = inner_req(); /* it has the old data */
	memset(memring_buf(&rg, 1), 0x77, 512);
	memring_submit(&rg, 1, BUSE_OP_WRITE, 4 * BS + 1024, 512);
	cr_assert_eq(in.ncalls, 2);
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_assert_eq(memring_result(&rg, 1), 0);
	cr_assert_eq(bdus_complete(fetch, 0), 0);
	cr_assert_eq(memring_result(&rg, 0), 0);
	/* Not stored stale: the next read has the write (fetched again). */
	cr_assert_eq(do_read(2, 4 * BS, BS), 0);
	check(2, 4 * BS, BS);
	cr_assert_eq(memring_buf(&rg, 2)[1024], 0x77);
	cr_assert_eq(do_read(2, 4 * BS, BS), 0);
	check(2, 4 * BS, BS);

	/* The fetch answered first, the write later: the write follows. */
	in.ncalls = 0;
	memring_submit(&rg, 0, BUSE_OP_READ, 6 * BS, BS);
	fetch = inner_req();
	memset(memring_buf(&rg, 1), 0x78, 512);
	memring_submit(&rg, 1, BUSE_OP_WRITE, 6 * BS + 2048, 512);
	cr_assert_eq(bdus_complete(fetch, 0), 0);
	cr_assert_eq(memring_result(&rg, 0), 0);
	cr_assert_eq(bdus_complete(inner_req(), 0), 0);
	cr_assert_eq(memring_result(&rg, 1), 0);
	cr_assert_eq(do_read(2, 6 * BS, BS), 0);
	check(2, 6 * BS, BS);
	cr_assert_eq(memring_buf(&rg, 2)[2048], 0x78);
	cr_assert_eq(in.ncalls, 2, "a cached block fetched again");
}

/* Successes answered as byte counts (bdus(3)): the whole of len. */
Test(cache, inner_answers_with_byte_counts)
{
	start("4K", true);
	in.counts = true;
	cr_assert_eq(do_read(0, BS, BS), 0);
	check(0, BS, BS);
	cr_assert_eq(do_read(0, 2 * BS + 512, 512), 0);
	check(0, 2 * BS + 512, 512);
	cr_assert_eq(do_write(1, BS + 1024, 1024, 0x3c), 0);
	in.ncalls = 0;
	cr_assert_eq(do_read(2, BS, BS), 0);
	check(2, BS, BS);
	cr_assert_eq(in.ncalls, 0);

	/* Partial: the cached block follows the part written. */
	in.counts = false;
	in.ret[BUSE_OP_WRITE] = 512;
	cr_assert_eq(do_write(1, BS + 2048, 1024, 0x4d), 512);
	cr_assert_eq(do_read(2, BS, BS), 0);
	cr_assert_eq(in.ncalls, 1);
	check(2, BS, 2048 + 512);
	/* A partial fetch fails the read; nothing is stored. */
	in.ret[BUSE_OP_READ] = 512;
	cr_assert_lt(do_read(3, 5 * BS, 1024), 0);
	in.ret[BUSE_OP_READ] = 0;
	cr_assert_eq(do_read(3, 5 * BS, 1024), 0);
	check(3, 5 * BS, 1024);
	cr_assert_eq(in.ncalls, 3);
}

/* ------------------------------------------------------------------------
 * Options
 */

Test(cache, block_size_validated)
{
	static const char *const bad[] = { "3000", "256", "6K", "32M", "0" };
	const char *valid;
	size_t i;

	fx.ctx = calloc(1, kit_cache.ctx_size);
	cr_assert_not_null(fx.ctx);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(set_opt_valid("block-size", bad[i], &valid),
			     -EINVAL, "--block-size %s", bad[i]);
		cr_expect_not_null(valid, "--block-size %s", bad[i]);
	}
	cr_expect_neq(set_opt("block-size", "x"), 0);
	cr_expect_eq(set_opt("block-size", "512"), 0);
	cr_expect_eq(set_opt("block-size", "16M"), 0);
	cr_expect_eq(set_opt("block-size", "8K"), 0);
	free(fx.ctx);
	fx.ctx = NULL;
}

Test(cache, block_size_above_max_io_fails_open)
{
	cache_new();
	cr_assert_eq(set_opt("block-size", "32K"), 0);
	cr_assert_eq(cache_up(), 0);
	cr_assert_eq(serve(), -EINVAL);
	cr_assert_not_null(strstr(kit_errmsg, "max_io"), "message: %s",
			   kit_errmsg);
}

/* ------------------------------------------------------------------------
 * kit_bitmap: crash safety
 */

Test(cache, bitmap_bits_reach_the_file_at_sync)
{
	struct kit_bitmap *bm;
	struct stat st;
	int fd = open(fx.cache, O_RDWR | O_CREAT, 0644);

	cr_assert_geq(fd, 0);
	cr_assert_eq(kit_bitmap_open(&bm, "test", fx.bitmap, "cache", BS,
				     200 * BS, "ident", fd),
		     0);
	cr_assert_eq(stat(fx.bitmap, &st), 0);
	cr_assert_eq(st.st_size, KIT_BITMAP_HDR_SIZE + 4 * 8);
	cr_assert_eq(kit_bitmap_blocks(bm), 200);
	kit_bitmap_set(bm, 3, 2);
	kit_bitmap_set(bm, 70, 1);
	/* Present at once... */
	cr_assert(kit_bitmap_test_range(bm, 3, 2));
	cr_assert(kit_bitmap_test(bm, 70));
	cr_assert(!kit_bitmap_test(bm, 5));
	cr_assert_eq(kit_bitmap_count(bm), 3);
	/* ...but not in the file before the data file was made durable. */
	cr_assert_eq(bitmap_word(fx.bitmap, 0), 0);
	cr_assert_eq(bitmap_word(fx.bitmap, 1), 0);
	cr_assert_eq(kit_bitmap_sync(bm), 0);
	cr_assert_eq(bitmap_word(fx.bitmap, 0), 3ull << 3);
	cr_assert_eq(bitmap_word(fx.bitmap, 1), 1ull << 6);
	/* A bit set after a sync waits for the next one. */
	kit_bitmap_set(bm, 199, 1);
	cr_assert_eq(bitmap_word(fx.bitmap, 3), 0);
	cr_assert_eq(kit_bitmap_sync(bm), 0);
	cr_assert_eq(bitmap_word(fx.bitmap, 3), 1ull << 7);
	kit_bitmap_close(bm);

	/* The next run finds them. */
	cr_assert_eq(kit_bitmap_open(&bm, "test", fx.bitmap, "cache", BS,
				     200 * BS, "ident", fd),
		     0);
	cr_assert(kit_bitmap_test_range(bm, 3, 2));
	cr_assert(kit_bitmap_test(bm, 70));
	cr_assert(kit_bitmap_test(bm, 199));
	cr_assert_eq(kit_bitmap_count(bm), 4);
	kit_bitmap_close(bm);
	close(fd);
}
