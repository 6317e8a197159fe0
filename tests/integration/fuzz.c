// SPDX-License-Identifier: MIT
/*
 * fuzz - random ioctls and mmaps against buse.ko's /dev/busectl and
 * /dev/busecN, for the integration case 50-fuzz.sh.
 *
 * Build:  make -C tests/integration      (-> build/integration/fuzz)
 * Run:    fuzz [--seed S] [--count N] [--max-seconds T] [--no-io] [--verbose]
 *
 * Reproducible: every choice comes from one PRNG seeded with S (printed
 * first; default 1), and depends otherwise only on the kernel's answers
 * (which, with the I/O child's timing, may vary a little from run to run).
 * It issues at least N (default 100000) ioctls and mmaps in total:
 *   - on /dev/busectl: random command numbers, the valid commands with
 *     random, half-valid or valid contents, with wrong sizes and
 *     directions, with bad pointers (NULL, 1, kernel and non-canonical
 *     addresses, a struct straddling an inaccessible page, a read-only
 *     page); reopened now and then;
 *   - on /dev/busecN (up to 4 open at once, each closed after 50 to 500
 *     operations, or 3 s): opens with odd flags, ATTACH with random sizes,
 *     ops, flags and reserved fields, RUN on random queues with random
 *     flags (a rare blocking RUN is cut short by a 5 ms timer), mmaps with
 *     wrong lengths (0, 1, a page, huge, +-1 page), offsets (queues that do
 *     not exist, unaligned, huge), protections (PROT_EXEC: EPERM, also by
 *     a later mprotect; read-only) and
 *     flags (MAP_PRIVATE), munmap (also before RUN, before close and after
 *     close), mremap, garbage written to the ring indices and completion
 *     entries, and completions of the requests really in flight with
 *     random results, tags and seqs.
 * As root it keeps four devices of its own at indexes 0..3 (re-created
 * when a random remove takes one), creates and removes a few more, and
 * forks a child that does direct I/O on two of them (indexes 0 and 2: not
 * recoverable, 2 s timeout, so no I/O waits for long) so that the rings
 * carry real requests.  Run as another user it uses the devices that
 * exist and expects ADD and anything on a device it does not own to fail
 * with EPERM or EACCES; at the end it removes the devices it owns (which
 * must work) and checks that removing any other device fails with EPERM.
 *
 * Every call must return success or a clean error.  Some answers are
 * known exactly (a bad pointer to a valid command: EFAULT; an unknown
 * command: ENOTTY; MAP_PRIVATE or a queue that does not exist: EINVAL);
 * the others must be in the command's set of errors.  Anything else is
 * printed as "UNEXPECTED: ..." and the exit status is 1.  The kernel log
 * is the runner's to check.  Exit status 0: all clean; 1: unexpected
 * results (or fewer than N calls in T seconds); 2: usage or setup error.
 * At the end it closes everything and removes every device it created.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/buse.h>

#include "rawring.h"

#define NFIX 4 /* fixture devices 0..3 */
#define MAX_SRV 4
#define MAX_MAPS 6
#define MAX_EXTRA 6	      /* devices beyond the fixtures */
#define MAP_BUDGET (8u << 20) /* attach only if depth * max_io fits */

static uint64_t rng;
static bool verbose, root;
static long page;
static int unexpected;

static struct {
	uint64_t total, ctl, srv, mmaps, mapped, opens, opened, attaches,
		attached, runs, cqes, added, removed, reopens, timers;
} st;

/* ------------------------------------------------------------------------
 * PRNG (splitmix64) and helpers
 */

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static bool chance(unsigned pct)
{
	return below(100) < pct;
}

static void randbytes(void *p, size_t n)
{
	unsigned char *c = p;

	while (n--)
		*c++ = (unsigned char)rnd();
}

/* An "interesting" 32-bit value. */
static uint32_t r32(void)
{
	static const uint32_t v[] = {
		0,     1,     2,	  3,	      4,	  7,
		8,     15,    16,	  63,	      64,	  65,
		127,   128,   511,	  512,	      513,	  1023,
		1024,  1025,  4095,	  4096,	      4097,	  8192,
		65535, 65536, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	};

	return chance(70) ? v[below(sizeof(v) / sizeof(v[0]))]
			  : (uint32_t)rnd();
}

static uint64_t r64(void)
{
	static const uint64_t v[] = {
		0,	    512,	4096,
		1 << 20,    16 << 20,	1ull << 32,
		1ull << 40, 1ull << 60, (1ull << 60) + 512,
		1ull << 63, UINT64_MAX, UINT64_MAX - 511,
	};

	return chance(60) ? v[below(sizeof(v) / sizeof(v[0]))] : rnd();
}

/* ------------------------------------------------------------------------
 * Checking results
 */

#define ERRS(...) ((const int[]){ __VA_ARGS__, 0 })
static const int *const ANY = NULL;

static bool in_set(const int *set, int err)
{
	if (set == ANY)
		return true;
	for (; *set; set++)
		if (*set == err)
			return true;
	return false;
}

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	va_list ap;

	unexpected++;
	if (unexpected > 100)
		return;
	va_start(ap, fmt);
	fputs("UNEXPECTED: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
}

/*
 * ret/err: a call's outcome.  exact >= 0: the only acceptable errno
 * (0: success).  Otherwise success (if ok_success) or an errno in set.
 */
static void check(const char *what, long ret, int err, int exact,
		  bool ok_success, const int *set)
{
	int got = ret < 0 ? err : 0;

	if (got == EINTR)
		return; /* our timer may interrupt anything */
	if (exact >= 0) {
		if (got != exact)
			report("%s: %s, expected %s", what,
			       got ? strerror(got) : "success",
			       exact ? strerror(exact) : "success");
		return;
	}
	if (!got ? ok_success : in_set(set, got))
		return;
	report("%s: %s", what,
	       got ? strerror(got) : "success (expected an error)");
}

/* ------------------------------------------------------------------------
 * Argument buffers: two read-write pages, a read-only page, a hole.
 */

static unsigned char *arena; /* [0, 2p) rw, [2p, 3p) ro, [3p, 4p) none */

static void arena_init(void)
{
	arena = mmap(NULL, 4 * (size_t)page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED) {
		perror("fuzz: mmap");
		exit(2);
	}
	mprotect(arena + 2 * page, (size_t)page, PROT_READ);
	mprotect(arena + 3 * page, (size_t)page, PROT_NONE);
}

/* A good buffer for size bytes (8-aligned, inside the rw pages). */
static void *good_buf(size_t size)
{
	size_t off = (size_t)below((uint32_t)(2 * page - size - 8) / 8) * 8;

	return arena + off;
}

/*
 * A bad pointer for a struct of size bytes: *kind says which; the call
 * must then fail with EFAULT (writable=false: a read-only page, on which
 * a command may succeed in part).
 */
static bool straddles; /* set by bad_ptr(): the struct's start is readable */

static void *bad_ptr(size_t size, bool *readonly)
{
	static const uintptr_t bad[] = {
		0,
		1,
		8,
		4095,
		0xffff888000000000ull,
		0xffffffff81000000ull,
		0xffffffffff600000ull,
		0x8000000000000000ull,
		UINTPTR_MAX,
		UINTPTR_MAX - 7,
		0x00007ffffffff000ull,
	};
	uint32_t k = below(sizeof(bad) / sizeof(bad[0]) + 3);

	*readonly = false;
	straddles = k == sizeof(bad) / sizeof(bad[0]) + 1;
	if (k < sizeof(bad) / sizeof(bad[0]))
		return (void *)bad[k];
	if (k == sizeof(bad) / sizeof(bad[0]))
		return arena + 3 * page; /* no access */
	if (k == sizeof(bad) / sizeof(bad[0]) + 1)
		return arena + 3 * page - size / 2; /* straddles */
	*readonly = true;
	return arena + 2 * page + 64; /* read-only */
}

/* ------------------------------------------------------------------------
 * Devices
 */

struct dev {
	bool exists;
	struct buse_dev_info info;
};

static int ctl_fd = -1;
static uint32_t extra[MAX_EXTRA + 64]; /* indexes we added beyond fixtures */
static unsigned nextra;

static void ctl_open(void)
{
	if (ctl_fd >= 0)
		close(ctl_fd);
	ctl_fd = open(BUSE_CTL_DEVICE, chance(80) ? O_RDWR : O_RDONLY);
	if (ctl_fd < 0) {
		fprintf(stdout, "fuzz: open %s: %s\n", BUSE_CTL_DEVICE,
			strerror(errno));
		exit(2);
	}
}

static int ctl(unsigned long cmd, void *arg)
{
	st.total++;
	st.ctl++;
	return ioctl(ctl_fd, cmd, arg);
}

static bool dev_info(uint32_t index, struct buse_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	info->index = index;
	return ctl(BUSE_CTL_INFO, info) == 0;
}

/* Whether device @index exists and is owned by this (unprivileged) user. */
static bool owned_by_me(uint32_t index)
{
	struct buse_dev_info d;

	return dev_info(index, &d) && d.owner_uid == geteuid();
}

static void fixture_info(uint32_t i, struct buse_dev_info *d)
{
	memset(d, 0, sizeof(*d));
	d->index = i;
	d->timeout = 2;
	switch (i) {
	case 0:
		d->size = 1 << 20;
		d->queue_depth = 4;
		d->max_io = 4096;
		break;
	case 1: /* recoverable: no I/O child on it */
		d->size = 8 << 20;
		d->nr_queues = 2;
		d->queue_depth = 8;
		d->max_io = 65536;
		d->flags = BUSE_DEV_F_RECOVERABLE;
		d->recovery_timeout = 1;
		break;
	case 2:
		d->size = 4 << 20;
		d->nr_queues = 2;
		d->queue_depth = 16;
		d->max_io = 16384;
		d->logical_block_size = 4096;
		d->flags = BUSE_DEV_F_NO_PARTSCAN | BUSE_DEV_F_ROTATIONAL;
		break;
	default:
		d->size = 2 << 20;
		d->queue_depth = 1;
		d->max_io = 8192;
		d->flags = BUSE_DEV_F_OWNER | BUSE_DEV_F_NO_WRITE_CACHE;
		d->owner_uid = 1000;
		d->owner_gid = BUSE_NO_GROUP;
		break;
	}
}

static void ensure_fixtures(void)
{
	struct buse_dev_info d;
	uint32_t i;

	if (!root)
		return;
	for (i = 0; i < NFIX; i++) {
		if (dev_info(i, &d))
			continue;
		fixture_info(i, &d);
		if (ctl(BUSE_CTL_ADD, &d) == 0)
			st.added++;
		else if (errno != EEXIST && errno != EINTR && errno != ENODEV)
			report("re-creating fixture %u: %s", i,
			       strerror(errno));
	}
}

static void note_added(uint32_t index)
{
	unsigned i;

	st.added++;
	if (index < NFIX)
		return;
	for (i = 0; i < nextra; i++)
		if (extra[i] == index)
			return;
	if (nextra < sizeof(extra) / sizeof(extra[0]))
		extra[nextra++] = index;
}

/* Removes extra devices while there are too many (and at the end: all). */
static void trim_extra(unsigned keep)
{
	struct buse_ctl_remove rm;

	while (nextra > keep) {
		uint32_t idx = extra[--nextra];

		memset(&rm, 0, sizeof(rm));
		rm.index = idx;
		rm.flags = BUSE_REMOVE_F_FORCE;
		if (ctl(BUSE_CTL_REMOVE, &rm) == 0)
			st.removed++;
	}
}

/* Picks a device index to use: mostly ours. */
static uint32_t pick_index(void)
{
	uint32_t k = below(100);

	if (k < 70)
		return below(NFIX);
	if (k < 85 && nextra)
		return extra[below(nextra)];
	if (k < 95)
		return below(16);
	return chance(50) ? (uint32_t)rnd() : BUSE_MAX_INDEX - below(4);
}

/* ------------------------------------------------------------------------
 * /dev/busectl
 */

static const unsigned long ctl_cmds[] = {
	BUSE_CTL_VERSION, BUSE_CTL_ADD,	 BUSE_CTL_REMOVE,
	BUSE_CTL_INFO,	  BUSE_CTL_LIST,
};
static const unsigned long srv_cmds[] = { BUSE_IOC_ATTACH, BUSE_IOC_RUN };

static bool is_cmd(unsigned long cmd, const unsigned long *cmds, size_t n)
{
	while (n--)
		if (cmds[n] == cmd)
			return true;
	return false;
}

/* Generic VFS ioctls handled before the driver: never sent. */
static bool skip_cmd(uint32_t cmd)
{
	uint32_t type = _IOC_TYPE(cmd);

	if (type == 'X' || type == 0x94 || type == 'f' ||
	    type == BUSE_IOCTL_MAGIC)
		return true;
	return cmd == FIOCLEX || cmd == FIONCLEX || cmd == FIONBIO ||
	       cmd == FIOASYNC || cmd == FIOQSIZE || cmd == FIGETBSZ ||
	       cmd == FIONREAD;
}

/* A command near the real ones: magic 0xbe, any dir, nr and size. */
static unsigned long near_cmd(void)
{
	static const uint32_t nrs[] = { 0,    1,    2,	  3,	4,   5,
					0x3f, 0x40, 0x41, 0x42, 0xff };
	static const uint32_t sizes[] = {
		sizeof(struct buse_version),
		sizeof(struct buse_dev_info),
		sizeof(struct buse_ctl_remove),
		sizeof(struct buse_ctl_list),
		sizeof(struct buse_attach),
		sizeof(struct buse_run),
		0,
		1,
		4,
		8,
	};
	uint32_t size = sizes[below(sizeof(sizes) / sizeof(sizes[0]))];

	if (chance(50))
		size += below(17) - 8;
	return _IOC(below(4), BUSE_IOCTL_MAGIC,
		    chance(80) ? nrs[below(sizeof(nrs) / sizeof(nrs[0]))]
			       : below(256),
		    size & _IOC_SIZEMASK);
}

/* Fills a struct for a valid command: random, half-valid or valid. */
static void fill_ctl_arg(unsigned long cmd, void *arg, size_t size)
{
	uint32_t mode = below(10);

	memset(arg, 0, size);
	if (mode < 2) {
		randbytes(arg, size);
		return;
	}
	if (cmd == BUSE_CTL_ADD) {
		struct buse_dev_info *d = arg;

		d->index = chance(50)	? (uint32_t)(8 + below(8))
			   : chance(50) ? pick_index()
					: BUSE_INDEX_ANY;
		if (chance(30))
			d->flags = r32();
		if (chance(60))
			d->size = chance(50) ? (uint64_t)below(64) << 20
					     : r64();
		if (chance(30))
			d->logical_block_size = r32();
		if (chance(30))
			d->physical_block_size = r32();
		if (chance(30))
			d->nr_queues = chance(70) ? below(4) : r32();
		if (chance(30))
			d->queue_depth = chance(70) ? below(1100) : r32();
		if (chance(30))
			d->max_io = chance(70) ? below(300) * 4096 : r32();
		if (chance(15))
			d->io_min = r32();
		if (chance(15))
			d->io_opt = r32();
		if (chance(15))
			d->max_discard = r32();
		if (chance(15))
			d->max_write_zeroes = r32();
		if (chance(15))
			d->discard_granularity = r32();
		if (chance(20))
			d->timeout = chance(50) ? below(5) : r32();
		if (chance(20))
			d->recovery_timeout = chance(50) ? below(5) : r32();
		if (chance(20))
			d->owner_uid = r32();
		if (chance(20))
			d->owner_gid = r32();
		if (chance(10))
			d->state = r32();
		if (chance(10))
			d->server_pid = (int32_t)r32();
		if (chance(20))
			d->nr_poll_queues = chance(70) ? below(4) : r32();
		if (chance(5))
			d->__pad2 = r32();
		if (chance(5))
			d->reserved[0] = r64();
		/* A serial: random bytes (mostly invalid) or none. */
		if (chance(5))
			d->serial[below(16)] = (uint8_t)r32();
		/* Valid devices are slow to add: keep most adds invalid. */
		if (!chance(3) && !d->reserved[0])
			d->reserved[0] = 1 + below(1000);
	} else if (cmd == BUSE_CTL_REMOVE) {
		struct buse_ctl_remove *r = arg;

		r->index = chance(99) ? (chance(50) ? (uint32_t)rnd()
						    : 16 + below(1000))
				      : pick_index();
		if (chance(30))
			r->flags = r32();
		if (chance(10))
			r->reserved[below(2)] = r64();
	} else if (cmd == BUSE_CTL_INFO) {
		struct buse_dev_info *d = arg;

		if (mode < 5)
			randbytes(arg, size);
		d->index = chance(80) ? pick_index() : r32();
	} else if (cmd == BUSE_CTL_LIST) {
		struct buse_ctl_list *l = arg;
		/* Room for up to 16 indexes after the struct in the arena. */
		uint32_t *room = (uint32_t *)((unsigned char *)arg + 64);

		l->count = chance(70) ? below(17) : r32();
		l->indexes = l->count <= 16 ? (uintptr_t)room
					    : (uintptr_t)(arena + 3 * page);
		if (chance(10))
			l->indexes = r64();
		if (chance(10))
			l->reserved[below(2)] = r64();
		if (chance(10))
			l->nr_devices = r32();
	} else {
		if (mode < 6)
			randbytes(arg, size);
	}
}

static size_t ctl_size(unsigned long cmd)
{
	return _IOC_SIZE(cmd);
}

static void op_ctl(void)
{
	uint32_t kind = below(100);
	char what[96];
	long ret;
	int err;

	if (kind < 8) {
		/* A random command number. */
		uint32_t cmd;

		do {
			cmd = (uint32_t)rnd();
		} while (skip_cmd(cmd));
		ret = ctl(cmd, chance(50) ? good_buf(256)
					  : (void *)(uintptr_t)rnd());
		err = errno;
		snprintf(what, sizeof(what), "busectl ioctl 0x%08x", cmd);
		check(what, ret, err, -1, true, ANY);
	} else if (kind < 20) {
		/* Near the real ones: ENOTTY unless it is one. */
		unsigned long cmd = near_cmd();
		void *arg = good_buf(256);

		if (is_cmd(cmd, ctl_cmds, 5))
			return;
		randbytes(arg, 256);
		ret = ctl(cmd, arg);
		err = errno;
		snprintf(what, sizeof(what),
			 "busectl ioctl 0x%08lx (bad size/dir/nr)", cmd);
		check(what, ret, err, ENOTTY, false, NULL);
	} else if (kind < 30) {
		/* A valid command, a bad pointer. */
		unsigned long cmd = ctl_cmds[below(5)];
		bool ro;
		void *p = bad_ptr(ctl_size(cmd), &ro);

		if (ro && cmd == BUSE_CTL_ADD)
			return; /* could add a device and lose its index */
		ret = ctl(cmd, p);
		err = errno;
		snprintf(what, sizeof(what),
			 "busectl cmd %lu with pointer %p%s", _IOC_NR(cmd), p,
			 ro ? " (read-only)" : "");
		if (!root && cmd == BUSE_CTL_ADD)
			check(what, ret, err, EPERM, false, NULL);
		else if (ro) /* readable: REMOVE of index 0 may work */
			check(what, ret, err, -1, cmd == BUSE_CTL_REMOVE,
			      ERRS(EFAULT, EINVAL, ENODEV, EACCES, EPERM,
				   EBUSY));
		else if (straddles && cmd == BUSE_CTL_INFO)
			/* INFO reads the index alone first: it may be refused
			 * before the rest is touched. */
			check(what, ret, err, -1, false,
			      ERRS(EFAULT, EINVAL, ENODEV, EACCES));
		else
			check(what, ret, err, EFAULT, false, NULL);
		if (ret == 0 && cmd == BUSE_CTL_REMOVE) {
			st.removed++;
			ensure_fixtures();
		}
	} else if (kind < 31) {
		ctl_open();
		st.reopens++;
	} else {
		/* A valid command with random or half-valid contents. */
		unsigned long cmd = ctl_cmds[below(5)];
		size_t size = ctl_size(cmd);
		unsigned char *arg = good_buf(size + 64 + 64);

		if (cmd == BUSE_CTL_ADD)
			ensure_fixtures();
		fill_ctl_arg(cmd, arg, size);
		/*
		 * An owner may remove its own device, but the unprivileged
		 * run keeps it to fuzz: an invalid flag makes that EINVAL.
		 * The owner's remove is checked at the end.
		 */
		if (!root && cmd == BUSE_CTL_REMOVE &&
		    owned_by_me(((struct buse_ctl_remove *)arg)->index))
			((struct buse_ctl_remove *)arg)->flags |= 1u << 31;
		ret = ctl(cmd, arg);
		err = errno;
		snprintf(what, sizeof(what), "busectl cmd %lu", _IOC_NR(cmd));
		if (!root && cmd == BUSE_CTL_ADD) {
			check(what, ret, err, EPERM, false, NULL);
			return;
		}
		if (!root && cmd == BUSE_CTL_REMOVE) {
			/* Not ours: EPERM; or no such device; or bad fields. */
			check(what, ret, err, -1, false,
			      ERRS(EINVAL, EFAULT, ENODEV, EPERM));
			return;
		}
		check(what, ret, err, -1, true,
		      ERRS(EINVAL, EFAULT, ENODEV, EEXIST, ENOSPC, ENOMEM,
			   EPERM, EACCES, EBUSY));
		if (ret == 0 && cmd == BUSE_CTL_ADD) {
			note_added(((struct buse_dev_info *)arg)->index);
			if (verbose)
				printf("added device %u\n",
				       ((struct buse_dev_info *)arg)->index);
			if (nextra > MAX_EXTRA)
				trim_extra(MAX_EXTRA / 2);
		}
		if (ret == 0 && cmd == BUSE_CTL_REMOVE) {
			st.removed++;
			ensure_fixtures();
		}
	}
}

/* ------------------------------------------------------------------------
 * /dev/busecN
 */

struct map {
	unsigned char *addr;
	size_t len;
	int prot;
	uint32_t q;
};

struct srv {
	int fd; /* -1: free slot */
	uint32_t index;
	bool know_info;
	struct buse_dev_info info;
	bool attached;
	struct buse_attach a;
	struct map maps[MAX_MAPS];
	unsigned nmaps;
	uint64_t deadline_ns;
	uint32_t ops_left;
};

static struct srv srvs[MAX_SRV];
static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static int srv_ioctl(struct srv *s, unsigned long cmd, void *arg)
{
	st.total++;
	st.srv++;
	return ioctl(s->fd, cmd, arg);
}

static void unmap_all(struct srv *s)
{
	while (s->nmaps) {
		struct map *m = &s->maps[--s->nmaps];

		munmap(m->addr, m->len);
	}
}

static void srv_close(struct srv *s)
{
	if (s->fd < 0)
		return;
	if (chance(80)) {
		unmap_all(s);
		close(s->fd);
	} else {
		/* The mappings keep the server attached until they go. */
		close(s->fd);
		unmap_all(s);
	}
	s->fd = -1;
	s->attached = false;
}

static void srv_open(struct srv *s)
{
	static const int flags[] = { O_RDWR,
				     O_RDWR,
				     O_RDWR,
				     O_RDONLY,
				     O_WRONLY,
				     O_RDWR | O_NONBLOCK,
				     O_RDWR | O_CLOEXEC };
	uint32_t index = pick_index();

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	st.opens++;
	s->fd = rawring_open(index,
			     flags[below(sizeof(flags) / sizeof(flags[0]))]);
	if (s->fd < 0) {
		check("open busecN", -1, errno, -1, true,
		      ERRS(ENOENT, ENODEV, EBUSY, EACCES, EPERM, ENXIO));
		s->fd = -1;
		return;
	}
	st.opened++;
	s->index = index;
	s->know_info = dev_info(index, &s->info);
	/* Closed after its operations, or 3 s as a safety net (a server
	 * that garbled sq_head holds its device's I/O back until then). */
	s->deadline_ns = rawring_now_ns() + 3000000000ull;
	s->ops_left = 50 + below(450);
}

static bool small_enough(const struct srv *s)
{
	return s->know_info && s->info.queue_depth && s->info.max_io &&
	       (uint64_t)s->info.queue_depth * s->info.max_io <= MAP_BUDGET;
}

static void srv_attach(struct srv *s)
{
	struct buse_attach *a = good_buf(sizeof(*a));
	uint32_t k = below(100);
	bool valid;
	char what[64];
	long ret;
	int err;

	memset(a, 0, sizeof(*a));
	if (k < 40)
		a->size = 0;
	else if (k < 60 && s->know_info)
		a->size = s->info.size;
	else if (k < 70 && s->know_info)
		a->size = s->info.size + (chance(50) ? 512 : -512);
	else
		a->size = r64();
	a->ops = chance(50)   ? (uint32_t)rnd()
		 : chance(50) ? BUSE_OPS_ALL | BUSE_OPS_FUA
			      : 0;
	/* Unknown flags (all of them: none is defined) are cleared. */
	if (chance(50))
		a->flags = chance(50) ? 1u : r32();
	if (chance(8))
		a->reserved[below(6)] = r64();
	if (chance(20)) { /* garbage in the output fields is ignored */
		a->index = r32();
		a->map_size = r64();
		a->sq_entries = r32();
		a->nr_poll_queues = r32();
	}
	valid = !a->reserved[0] && !a->reserved[1] && !a->reserved[2] &&
		!a->reserved[3] && !a->reserved[4] && !a->reserved[5];
	if (valid && !small_enough(s)) {
		a->reserved[0] =
			1; /* no huge ring allocations: refused early */
		valid = false;
	}

	st.attaches++;
	if (chance(10)) {
		bool ro;
		void *p = bad_ptr(sizeof(*a), &ro);

		if (ro)
			return; /* may attach without telling us */
		ret = srv_ioctl(s, BUSE_IOC_ATTACH, p);
		check("ATTACH, bad pointer", ret, errno, EFAULT, false, NULL);
		return;
	}
	ret = srv_ioctl(s, BUSE_IOC_ATTACH, a);
	err = errno;
	snprintf(what, sizeof(what), "ATTACH on busec%u", s->index);
	if (!valid) {
		check(what, ret, err, EINVAL, false, NULL);
		return;
	}
	check(what, ret, err, -1, true, ERRS(EINVAL, EBUSY, ENODEV, ENOMEM));
	if (ret == 0) {
		if (s->attached)
			report("ATTACH succeeded twice on one fd");
		st.attached++;
		s->attached = true;
		s->a = *a;
		if (a->flags & ~BUSE_ATTACH_F_ALL)
			report("ATTACH kept unknown flags %#x", a->flags);
		if (!a->nr_queues || a->nr_queues > 2 * BUSE_MAX_QUEUES ||
		    a->nr_poll_queues >= a->nr_queues ||
		    a->map_size > MAP_BUDGET + (1u << 20) ||
		    a->cq_off + (uint64_t)a->cq_entries *
					    sizeof(struct buse_io_cqe) >
			    a->data_off ||
		    a->sq_off + (uint64_t)a->sq_entries *
					    sizeof(struct buse_io_desc) >
			    a->data_off ||
		    a->data_off > a->map_size)
			report("ATTACH returned a bad geometry: %u queues, map %llu, sq_off %u cq_off %u data_off %llu",
			       a->nr_queues, (unsigned long long)a->map_size,
			       a->sq_off, a->cq_off,
			       (unsigned long long)a->data_off);
	}
}

static void srv_run(struct srv *s)
{
	struct buse_run *r = good_buf(sizeof(*r));
	uint32_t k = below(1000);
	bool block = false, valid;
	struct itimerval it;
	char what[64];
	long ret;
	int err;

	memset(r, 0, sizeof(*r));
	r->queue = chance(70) && s->attached ? below(s->a.nr_queues + 1)
		   : chance(50)		     ? below(4)
					     : r32();
	if (k < 700)
		r->flags = BUSE_RUN_F_NOWAIT;
	else if (k < 850)
		r->flags = BUSE_RUN_F_KICK;
	else if (k < 950)
		r->flags = BUSE_RUN_F_KICK | BUSE_RUN_F_NOWAIT;
	else if (k < 997)
		r->flags = r32() | BUSE_RUN_F_NOWAIT;
	else
		block = true; /* may sleep: a timer cuts it short */
	if (chance(5))
		r->reserved[below(2)] = r64();
	if (chance(10)) { /* the output fields' input is ignored */
		r->__pad0 = r32();
		r->completed = r32();
		r->pending = r32();
		r->rejected = r32();
	}
	valid = !(r->flags & ~BUSE_RUN_F_ALL) && !r->reserved[0] &&
		!r->reserved[1];

	st.runs++;
	if (chance(5)) {
		bool ro;
		void *p = bad_ptr(sizeof(*r), &ro);

		if (ro) {
			/* A readable struct (zeroes: queue 0, flags 0) may
			 * sleep like any RUN: the timer cuts it short. */
			memset(&it, 0, sizeof(it));
			it.it_value.tv_usec = 5000;
			setitimer(ITIMER_REAL, &it, NULL);
			st.timers++;
		}
		ret = srv_ioctl(s, BUSE_IOC_RUN, p);
		err = errno;
		if (ro) {
			memset(&it, 0, sizeof(it));
			setitimer(ITIMER_REAL, &it, NULL);
		}
		if (ro) /* read: fine; the answer cannot be written back */
			check("RUN, read-only struct", ret, err, -1, false,
			      ERRS(EFAULT, EINVAL, ENXIO, ENODEV));
		else
			check("RUN, bad pointer", ret, err, EFAULT, false,
			      NULL);
		return;
	}
	if (block) {
		memset(&it, 0, sizeof(it));
		it.it_value.tv_usec = 5000;
		setitimer(ITIMER_REAL, &it, NULL);
		st.timers++;
	}
	ret = srv_ioctl(s, BUSE_IOC_RUN, r);
	err = errno;
	if (block) {
		memset(&it, 0, sizeof(it));
		setitimer(ITIMER_REAL, &it, NULL);
	}
	snprintf(what, sizeof(what), "RUN queue %u flags 0x%x on busec%u",
		 r->queue, r->flags, s->index);
	if (!valid)
		check(what, ret, err, EINVAL, false, NULL);
	else if (!s->attached)
		check(what, ret, err, ENXIO, false, NULL);
	else
		check(what, ret, err, -1, true, ERRS(EINVAL, ENODEV));
}

static void srv_mmap(struct srv *s)
{
	static const int prots[] = {
		PROT_READ | PROT_WRITE,
		PROT_READ | PROT_WRITE,
		PROT_READ | PROT_WRITE,
		PROT_READ,
		PROT_WRITE,
		PROT_READ | PROT_WRITE | PROT_EXEC,
		PROT_EXEC,
		PROT_NONE,
	};
	static const int flags[] = {
		MAP_SHARED,
		MAP_SHARED,
		MAP_SHARED,
		MAP_PRIVATE,
		MAP_SHARED_VALIDATE,
		MAP_SHARED | MAP_POPULATE,
		MAP_SHARED | MAP_NORESERVE,
		MAP_PRIVATE | MAP_POPULATE,
	};
	uint64_t msize = s->attached ? s->a.map_size
				     : (uint64_t)page * (1 + below(64));
	uint32_t nq = s->attached ? s->a.nr_queues : 1;
	uint32_t q = chance(70)	  ? below(nq)
		     : chance(50) ? nq + below(3)
				  : below(70);
	uint64_t len, off = BUSE_QUEUE_MMAP_OFFSET(q);
	uint32_t k = below(100);
	int prot = prots[below(8)], fl = flags[below(8)];
	bool good_len, good_off;
	char what[128];
	void *m;
	int err;

	if (k < 55)
		len = msize;
	else if (k < 62)
		len = msize + (uint64_t)page;
	else if (k < 69)
		len = msize > (uint64_t)page ? msize - (uint64_t)page : 0;
	else if (k < 74)
		len = 0;
	else if (k < 79)
		len = 1;
	else if (k < 84)
		len = (uint64_t)page;
	else if (k < 89)
		len = 1ull << (30 + below(18)); /* 1 G .. 128 T */
	else
		len = (uint64_t)page * below(4096);
	k = below(100);
	if (k < 10)
		off += (uint64_t)page * (1 + below(16));
	else if (k < 15)
		off += 1 + below((uint32_t)page - 1); /* unaligned */
	else if (k < 20)
		off = rnd() & ~(uint64_t)(page - 1);
	else if (k < 23)
		off = (uint64_t)-page;
	good_len = s->attached && len == msize;
	good_off = off == BUSE_QUEUE_MMAP_OFFSET(q) && q < nq;

	st.total++;
	st.mmaps++;
	m = mmap(NULL, (size_t)len, prot, fl, s->fd, (off_t)off);
	err = errno;
	snprintf(what, sizeof(what),
		 "mmap(len %#llx, prot %#x, flags %#x, off %#llx) on busec%u%s",
		 (unsigned long long)len, prot, fl, (unsigned long long)off,
		 s->index, s->attached ? "" : " (not attached)");
	if (m == MAP_FAILED) {
		if (!len)
			check(what, -1, err, EINVAL, false, NULL);
		else if (s->attached && good_len && good_off &&
			 (fl & MAP_TYPE) == MAP_PRIVATE)
			check(what, -1, err, -1, false,
			      ERRS(EINVAL, EACCES, EPERM));
		else if (s->attached && good_len && good_off &&
			 (prot & PROT_EXEC))
			/* EPERM from the driver; EACCES if /dev is noexec;
			 * EINVAL without VM_SHARED (an O_RDONLY fd). */
			check(what, -1, err, -1, false,
			      ERRS(EPERM, EACCES, EINVAL));
		else
			check(what, -1, err, -1, false,
			      ERRS(EINVAL, ENXIO, ENOMEM, EACCES, EPERM,
				   EOVERFLOW, ENODEV, EAGAIN, EBADF));
		return;
	}
	/* Success must be a correct request. */
	if (!s->attached || !good_len || !good_off ||
	    (fl & MAP_TYPE) == MAP_PRIVATE || (prot & PROT_EXEC))
		report("%s succeeded", what);
	/* Nor may it become executable later. */
	if (chance(10) &&
	    mprotect(m, (size_t)len, PROT_READ | PROT_EXEC) == 0) {
		report("%s: mprotect(PROT_EXEC) succeeded", what);
		mprotect(m, (size_t)len, prot); /* go on as before */
	}
	st.mapped++;
	if (s->nmaps == MAX_MAPS || !good_len) {
		munmap(m, (size_t)len);
		return;
	}
	s->maps[s->nmaps].addr = m;
	s->maps[s->nmaps].len = (size_t)len;
	s->maps[s->nmaps].prot = prot;
	s->maps[s->nmaps].q = q;
	s->nmaps++;
	/* Touch it: the header must read back sensibly. */
	if ((prot & PROT_READ) && chance(50)) {
		volatile uint32_t *p = (volatile uint32_t *)m;

		(void)p[0];
		(void)p[16];
	}
}

static void srv_munmap(struct srv *s)
{
	struct map *m;
	unsigned i;

	if (!s->nmaps)
		return;
	i = below(s->nmaps);
	m = &s->maps[i];
	if (chance(30) && m->len > (size_t)page) {
		/* Part of it, then the rest. */
		size_t cut = (size_t)page *
			     (1 + below((uint32_t)(m->len / page - 1)));

		if (chance(50)) {
			munmap(m->addr, cut);
			munmap(m->addr + cut, m->len - cut);
		} else {
			munmap(m->addr + m->len - cut, cut);
			munmap(m->addr, m->len - cut);
		}
	} else {
		munmap(m->addr, m->len);
	}
	s->maps[i] = s->maps[--s->nmaps];
}

static void srv_mremap(struct srv *s)
{
	struct map *m;
	void *p;
	size_t len;

	if (!s->nmaps)
		return;
	m = &s->maps[below(s->nmaps)];
	switch (below(3)) {
	case 0: /* grow: VM_DONTEXPAND says no */
		p = mremap(m->addr, m->len, m->len + (size_t)page,
			   MREMAP_MAYMOVE);
		if (p != MAP_FAILED) {
			report("mremap grew a ring mapping");
			m->addr = p;
			m->len += (size_t)page;
		}
		break;
	case 1: /* move */
		p = mremap(m->addr, m->len, m->len, MREMAP_MAYMOVE);
		if (p != MAP_FAILED)
			m->addr = p;
		break;
	default: /* shrink: it no longer covers the rings; drop it */
		len = (size_t)page;
		p = mremap(m->addr, m->len, len, 0);
		if (p != MAP_FAILED) {
			munmap(p, len);
			*m = s->maps[--s->nmaps];
		}
		break;
	}
}

/* A read-write mapping covering the header and both rings, or NULL. */
static struct map *rw_map(struct srv *s)
{
	unsigned i, start = below(s->nmaps ? s->nmaps : 1);

	for (i = 0; i < s->nmaps; i++) {
		struct map *m = &s->maps[(start + i) % s->nmaps];

		if (m->prot == (PROT_READ | PROT_WRITE) &&
		    m->len >= s->a.data_off)
			return m;
	}
	return NULL;
}

static void run_nowait(struct srv *s, uint32_t q)
{
	struct buse_run *r = good_buf(sizeof(*r));
	long ret;

	memset(r, 0, sizeof(*r));
	r->queue = q;
	r->flags = BUSE_RUN_F_NOWAIT;
	ret = srv_ioctl(s, BUSE_IOC_RUN, r);
	check("RUN NOWAIT after ring writes", ret, errno, -1, true,
	      ERRS(EINVAL, ENODEV));
	st.runs++;
}

/* Garbage in the shared header and completion ring, then RUN. */
static void srv_scribble(struct srv *s)
{
	struct map *m = rw_map(s);
	struct rawring rg;
	struct buse_ring_hdr *h;
	uint32_t i, n;

	if (!m || !s->attached)
		return;
	rg.a = s->a;
	rawring_locate(&rg, m->addr);
	h = rg.hdr;
	switch (below(6)) {
	case 0:
		__atomic_store_n(&h->cq_tail, (uint32_t)rnd(),
				 __ATOMIC_RELEASE);
		break;
	case 1:
		__atomic_store_n(&h->cq_tail,
				 h->cq_head + below(2 * s->a.cq_entries + 2) -
					 1,
				 __ATOMIC_RELEASE);
		break;
	case 2:
		n = 1 + below(s->a.cq_entries);
		for (i = 0; i < n; i++) {
			struct buse_io_cqe *c = rawring_cq_slot(&rg,
								h->cq_tail + i);

			c->tag = chance(50)
					 ? (uint16_t)below(s->a.queue_depth + 2)
					 : (uint16_t)rnd();
			c->seq = (uint16_t)(chance(50) ? below(4) : rnd());
			c->result = (int32_t)r32();
		}
		__atomic_store_n(&h->cq_tail, h->cq_tail + n, __ATOMIC_RELEASE);
		st.cqes += n;
		break;
	case 3: /* the kernel's own indices: ignored by it */
		h->sq_tail = (uint32_t)rnd();
		h->cq_head = (uint32_t)rnd();
		break;
	case 4: /* sq_head: the kernel may hold requests back meanwhile */
		__atomic_store_n(&h->sq_head, (uint32_t)rnd(),
				 __ATOMIC_RELEASE);
		break;
	default:
		randbytes(m->addr, sizeof(*h));
		break;
	}
	run_nowait(s, m->q);
}

/* Answers what the kernel posted, with random (often bogus) results. */
static void srv_serve(struct srv *s)
{
	struct map *m = rw_map(s);
	struct rawring rg;
	struct buse_ring_hdr *h;
	uint32_t head, tail, ctail, n = 0;

	if (!m || !s->attached)
		return;
	rg.a = s->a;
	rawring_locate(&rg, m->addr);
	h = rg.hdr;
	head = h->sq_head;
	tail = __atomic_load_n(&h->sq_tail, __ATOMIC_ACQUIRE);
	if (tail - head > s->a.sq_entries)
		head = tail - below(s->a.sq_entries + 1);
	ctail = __atomic_load_n(&h->cq_head, __ATOMIC_ACQUIRE);
	for (; head != tail && n < s->a.cq_entries; head++) {
		struct buse_io_desc d = *rawring_sq_slot(&rg, head);
		struct buse_io_cqe *c;
		uint32_t k = below(100);

		if (d.op == BUSE_OP_CANCEL && chance(70))
			continue;
		c = rawring_cq_slot(&rg, ctail + n);
		c->tag = d.tag;
		c->seq = d.seq;
		if (k < 50)
			c->result = 0;
		else if (k < 60)
			c->result = (int32_t)d.len;
		else if (k < 70)
			c->result = -(int32_t)(1 + below(4095));
		else if (k < 75)
			c->result = (int32_t)(d.len / 2 & ~511u);
		else if (k < 80)
			c->seq++;
		else if (k < 85)
			c->tag = (uint16_t)rnd();
		else
			c->result = (int32_t)r32();
		n++;
		if (chance(5) && n < s->a.cq_entries) { /* the same again */
			*rawring_cq_slot(&rg, ctail + n) = *c;
			n++;
		}
	}
	__atomic_store_n(&h->sq_head, head, __ATOMIC_RELEASE);
	__atomic_store_n(&h->cq_tail, ctail + n, __ATOMIC_RELEASE);
	st.cqes += n;
	run_nowait(s, m->q);
}

/* Random and near commands, bad pointers, on the server fd. */
static void srv_junk(struct srv *s)
{
	uint32_t k = below(100);
	char what[96];
	long ret;
	int err;

	if (k < 30) {
		uint32_t cmd;

		do {
			cmd = (uint32_t)rnd();
		} while (skip_cmd(cmd));
		ret = srv_ioctl(s, cmd, good_buf(256));
		snprintf(what, sizeof(what), "busecN ioctl 0x%08x", cmd);
		check(what, ret, errno, -1, true, ANY);
	} else if (k < 70) {
		unsigned long cmd = near_cmd();
		void *arg = good_buf(256);

		if (is_cmd(cmd, srv_cmds, 2))
			return;
		randbytes(arg, 256);
		ret = srv_ioctl(s, cmd, arg);
		err = errno;
		snprintf(what, sizeof(what),
			 "busecN ioctl 0x%08lx (bad size/dir/nr)", cmd);
		check(what, ret, err, ENOTTY, false, NULL);
	} else {
		/* The control commands on a server fd. */
		unsigned long cmd = ctl_cmds[below(5)];

		ret = srv_ioctl(s, cmd, good_buf(256));
		check("control command on busecN", ret, errno, ENOTTY, false,
		      NULL);
	}
}

static void op_srv(void)
{
	struct srv *s = &srvs[below(MAX_SRV)];
	uint32_t k;

	if (s->fd < 0) {
		srv_open(s);
		return;
	}
	if (!s->ops_left-- || rawring_now_ns() > s->deadline_ns) {
		srv_close(s);
		return;
	}
	k = below(100);
	if (k < 12 && !s->attached)
		srv_attach(s);
	else if (k < 14)
		srv_attach(s);
	else if (k < 40)
		srv_run(s);
	else if (k < 58)
		srv_mmap(s);
	else if (k < 63)
		srv_munmap(s);
	else if (k < 65)
		srv_mremap(s);
	else if (k < 75)
		srv_scribble(s);
	else if (k < 88)
		srv_serve(s);
	else if (k < 98)
		srv_junk(s);
	else if (s->nmaps) {
		/* munmap everything, then RUN. */
		unmap_all(s);
		srv_run(s);
	}
}

/* ------------------------------------------------------------------------
 * The I/O child: direct I/O on devices 0 and 2 until killed.
 */

static void io_child(uint64_t seed)
{
	void *buf;
	uint64_t ios = 0;

	rng = seed ^ 0x5555aaaa5555aaaaull;
	if (posix_memalign(&buf, 4096, 65536))
		_exit(2);
	memset(buf, 0x5a, 65536);
	for (;;) {
		uint32_t index = chance(50) ? 0 : 2;
		char path[64];
		uint64_t size = 0;
		int fd, i;

		snprintf(path, sizeof(path), BUSE_BLOCK_DEVICE_FMT, index);
		fd = open(path, (index == 2 ? O_RDONLY : O_RDWR) | O_DIRECT);
		if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) || size < 65536) {
			if (fd >= 0)
				close(fd);
			usleep(20000);
			continue;
		}
		for (i = 0; i < 4; i++) {
			size_t len = chance(80) ? 4096 : 65536;
			off_t off =
				(off_t)(below((uint32_t)((size - len) / 4096)) *
					4096ull);

			if (index == 0 && chance(50))
				(void)!pwrite(fd, buf, len, off);
			else
				(void)!pread(fd, buf, len, off);
			ios++;
		}
		close(fd);
	}
}

/* ------------------------------------------------------------------------
 * main
 */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fuzz [--seed S] [--count N] [--max-seconds T] [--no-io] [--verbose]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "max-seconds", required_argument, NULL, 't' },
		{ "no-io", no_argument, NULL, 'N' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t seed = 1, count = 100000, max_secs = 300, t0, elapsed,
		 next_note;
	bool io = true;
	pid_t child = -1;
	unsigned i;
	int opt;

	while ((opt = getopt_long(argc, argv, "s:n:t:Nvh", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			count = strtoull(optarg, NULL, 0);
			break;
		case 't':
			max_secs = strtoull(optarg, NULL, 0);
			break;
		case 'N':
			io = false;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("fuzz: seed %llu, %llu calls, at most %llu s, uid %u\n",
	       (unsigned long long)seed, (unsigned long long)count,
	       (unsigned long long)max_secs, (unsigned)geteuid());
	rng = seed;
	root = geteuid() == 0;
	page = sysconf(_SC_PAGESIZE);
	signal(SIGPIPE, SIG_IGN);
	rawring_on_signal(SIGALRM, on_alarm); /* a blocking RUN returns EINTR */
	arena_init();
	for (i = 0; i < MAX_SRV; i++)
		srvs[i].fd = -1;

	ctl_open();
	ensure_fixtures();
	if (io && root) {
		/* Before any server fd exists: the child must hold none. */
		child = fork();
		if (child < 0) {
			perror("fuzz: fork");
			return 2;
		}
		if (child == 0)
			io_child(seed);
	}

	t0 = rawring_now_ns();
	next_note = count / 10;
	while (st.total < count) {
		if (chance(45))
			op_ctl();
		else
			op_srv();
		if (st.total >= next_note) {
			printf("fuzz: %llu calls after %.1f s\n",
			       (unsigned long long)st.total,
			       (double)(rawring_now_ns() - t0) / 1e9);
			next_note += count / 10;
		}
		if ((st.total & 1023) == 0 &&
		    rawring_now_ns() - t0 > max_secs * 1000000000ull)
			break;
	}
	elapsed = rawring_now_ns() - t0;

	printf("fuzz: done; closing the servers\n");
	for (i = 0; i < MAX_SRV; i++)
		srv_close(&srvs[i]);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	if (root) {
		uint32_t idx;

		/* Every device: ours, and any a random add made. */
		trim_extra(0);
		for (idx = 0; idx < 64; idx++)
			if (rawring_remove(ctl_fd, idx, BUSE_REMOVE_F_FORCE) ==
			    0)
				st.removed++;
	} else {
		uint32_t idx;
		int r;

		/*
		 * The owner removes its own devices (it must succeed); any
		 * other device must refuse with EPERM.
		 */
		for (idx = 0; idx < 64; idx++) {
			struct buse_dev_info d;
			bool known = dev_info(idx, &d);
			bool mine = known && d.owner_uid == geteuid();

			if (!known && errno == ENODEV)
				continue;
			r = rawring_remove(ctl_fd, idx, BUSE_REMOVE_F_FORCE);
			if (mine && r == 0) {
				st.removed++;
				printf("fuzz: removed device %u as its owner\n",
				       idx);
			} else if (mine) {
				report("the owner's remove of device %u: %s",
				       idx, strerror(errno));
			} else if (r == 0 || errno != EPERM) {
				report("remove of device %u (not ours): %s, expected %s",
				       idx, r ? strerror(errno) : "success",
				       strerror(EPERM));
			}
		}
	}
	printf("fuzz: seed %llu: %llu calls in %.1f s: %llu ioctls on /dev/busectl, "
	       "%llu on /dev/busecN (%llu RUN, %llu ATTACH of which %llu attached, "
	       "%llu cut short by a timer), %llu mmaps (%llu mapped); "
	       "%llu opens of /dev/busecN (%llu opened), %llu completions written, "
	       "%llu devices added, %llu removed, %llu reopens of /dev/busectl\n",
	       (unsigned long long)seed, (unsigned long long)st.total,
	       (double)elapsed / 1e9, (unsigned long long)st.ctl,
	       (unsigned long long)st.srv, (unsigned long long)st.runs,
	       (unsigned long long)st.attaches, (unsigned long long)st.attached,
	       (unsigned long long)st.timers, (unsigned long long)st.mmaps,
	       (unsigned long long)st.mapped, (unsigned long long)st.opens,
	       (unsigned long long)st.opened, (unsigned long long)st.cqes,
	       (unsigned long long)st.added, (unsigned long long)st.removed,
	       (unsigned long long)st.reopens);
	if (st.total < count) {
		printf("fuzz: only %llu of %llu calls in %llu s\n",
		       (unsigned long long)st.total, (unsigned long long)count,
		       (unsigned long long)max_secs);
		return 1;
	}
	printf("fuzz: %d unexpected result(s)\n", unexpected);
	return unexpected ? 1 : 0;
}
