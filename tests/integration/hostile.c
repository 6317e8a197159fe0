// SPDX-License-Identifier: MIT
/*
 * hostile - a deliberately misbehaving buse server, for the integration
 * cases 11-hostile-*.sh.  It talks to the driver through uapi/linux/buse.h
 * only (no libbdus), so that it can send what the library never would.
 *
 * Build:  make -C tests/integration      (-> build/integration/hostile)
 *
 *   hostile ioctls N
 *       Bad ioctls and mmaps on /dev/busectl and /dev/busecN (device N must
 *       exist, idle, with 2 queues): a second open (EBUSY), RUN before
 *       ATTACH (ENXIO), bad ATTACH arguments (EINVAL), ATTACH twice (EBUSY),
 *       mmaps of the wrong size or offset (EINVAL), PROT_EXEC mmaps (EPERM)
 *       and mprotect(PROT_EXEC) of a ring area (EACCES), RUN with a bad queue,
 *       flags or reserved field (EINVAL), unknown ioctls (ENOTTY), bad
 *       control requests (EINVAL, EFAULT), KICK semantics.
 *
 *   hostile serve N SECTOR
 *       Attaches to device N (1 queue), serves it honestly from memory, and
 *       sends bogus completions: tags >= queue_depth, a tag not in flight,
 *       cq_tail jumping ahead by more than cq_entries (phase A, then prints
 *       READY); then, holding the first READ of SECTOR, results larger than
 *       the request, not a multiple of the block size, a wrong seq (after
 *       each, prints "STEP what" and waits for a line on stdin), prints
 *       HOLDING, completes that READ honestly with 0xa5 bytes together with
 *       a second completion of the same tag (prints SERVED); then serves honestly until SIGINT/SIGTERM or the device's
 *       removal.  Every bogus completion must be refused: BUSE_IOC_RUN fails
 *       with EINVAL and reports rejected > 0.
 *
 *   hostile uffd-list N
 *       A BUSE_CTL_LIST whose buffer is a userfaultfd page nobody serves
 *       (its copy never finishes) must not hold anyone else up: while it
 *       waits, BUSE_CTL_INFO of device N and an open of /dev/busecN return
 *       within 3 s (each tried in a child process, so a hang is seen, not
 *       suffered).  Then the page is served and the LIST returns N.
 *
 *   hostile fork N
 *       Attaches to device N (1 queue), maps the ring, and forks a child
 *       that holds the file without exec: the child must not have the
 *       mapping (/proc/CHILD/maps).  Prints "CHILD pid" and READY, then
 *       serves nothing until killed.  The child waits; on SIGUSR1 it tries
 *       BUSE_IOC_RUN and mmap and prints "CHILD RUN: errname" and
 *       "CHILD MMAP: errname" (the test expects ENODEV once the parent is
 *       dead: a dead server's fork must not keep it attached).
 *
 *   hostile poll N
 *       An event-loop server: serves every queue of device N honestly from
 *       memory with poll(2) on /dev/busecN and BUSE_IOC_RUN NOWAIT only
 *       (never a RUN that sleeps).  poll() must say EPOLLERR before
 *       ATTACH, time out on an idle device, and report EPOLLHUP (then RUN
 *       ENODEV) when the device is removed, which ends the program.  Prints
 *       READY once idle, and at the end how many wake-ups found no work
 *       (more than half of them fails: poll() would be waking for nothing).
 *
 * Every check prints "ok: ..." or "FAIL: ..."; the exit status is 0 when
 * none failed, 1 otherwise, 2 on a usage or setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <linux/buse.h>

#include "rawring.h"

/* Index of the last element of an array: reserved fields grow and shrink. */
#define LAST(a) (sizeof(a) / sizeof((a)[0]) - 1)

static volatile sig_atomic_t stop;

static const char *errname(int err)
{
	static char buf[32];

	switch (err) {
	case 0:
		return "success";
	case EINVAL:
		return "EINVAL";
	case EBUSY:
		return "EBUSY";
	case ENOTTY:
		return "ENOTTY";
	case ENXIO:
		return "ENXIO";
	case ENODEV:
		return "ENODEV";
	case EFAULT:
		return "EFAULT";
	case EINTR:
		return "EINTR";
	case ENOENT:
		return "ENOENT";
	case EEXIST:
		return "EEXIST";
	case ENOMEM:
		return "ENOMEM";
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	default:
		snprintf(buf, sizeof(buf), "errno %d", err);
		return buf;
	}
}

/* expect(what, ret, err): a call that returned ret must have failed with err. */
static void expect_err(const char *what, long ret, int want)
{
	int got = ret < 0 ? errno : 0;

	if (got == want)
		ok("%s: %s", what, errname(want));
	else
		fail("%s: got %s, expected %s", what, errname(got),
		     errname(want));
}

static void expect_ok(const char *what, long ret)
{
	if (ret < 0)
		fail("%s: %s", what, strerror(errno));
	else
		ok("%s", what);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Opens /dev/busecN; with BUSE_HOSTILE_NODE_DIR set, through a node of the
 * same device made in that directory instead: /dev is often mounted
 * noexec, which refuses PROT_EXEC mappings (EACCES) before the driver sees
 * them.
 */
static int open_char(unsigned n)
{
	const char *dir = getenv("BUSE_HOSTILE_NODE_DIR");
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), BUSE_CHAR_DEVICE_FMT, n);
	if (dir && *dir) {
		if (stat(path, &st) < 0)
			return -1;
		snprintf(path, sizeof(path), "%s/busec%u", dir, n);
		if (mknod(path, S_IFCHR | 0600, st.st_rdev) < 0 &&
		    errno != EEXIST)
			return -1;
	}
	return open(path, O_RDWR | O_CLOEXEC);
}

static int is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* Checks ATTACH's output against the device and itself. */
static void check_geometry(const struct buse_attach *a, unsigned n)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t sq_end = a->sq_off +
			  (uint64_t)a->sq_entries * sizeof(struct buse_io_desc);
	uint64_t cq_end = a->cq_off +
			  (uint64_t)a->cq_entries * sizeof(struct buse_io_cqe);
	uint64_t data_end = a->data_off + (uint64_t)a->queue_depth * a->max_io;

	if (a->index != n)
		fail("ATTACH: index %u, expected %u", a->index, n);
	if (!is_pow2(a->sq_entries) || a->sq_entries < a->queue_depth ||
	    !is_pow2(a->cq_entries) || a->cq_entries < a->queue_depth)
		fail("ATTACH: sq_entries %u / cq_entries %u not powers of two >= depth %u",
		     a->sq_entries, a->cq_entries, a->queue_depth);
	if (a->sq_off < sizeof(struct buse_ring_hdr) ||
	    a->cq_off < sizeof(struct buse_ring_hdr) || sq_end > a->map_size ||
	    cq_end > a->map_size || data_end > a->map_size ||
	    (a->data_off % page) || (a->map_size % page) ||
	    (a->sq_off < a->cq_off ? sq_end > a->cq_off : cq_end > a->sq_off) ||
	    sq_end > a->data_off || cq_end > a->data_off)
		fail("ATTACH: inconsistent layout: sq_off %u cq_off %u data_off %llu map_size %llu",
		     a->sq_off, a->cq_off, (unsigned long long)a->data_off,
		     (unsigned long long)a->map_size);
	else
		ok("ATTACH: geometry: %u queues, depth %u, max_io %u, sq %u, cq %u, map %llu bytes",
		   a->nr_queues, a->queue_depth, a->max_io, a->sq_entries,
		   a->cq_entries, (unsigned long long)a->map_size);
}

/* ---------------------------------------------------------------------------
 * hostile ioctls N
 */

static void on_alarm(int sig)
{
	(void)sig;
}

static void ctl_checks(unsigned n)
{
	struct buse_version v;
	struct buse_dev_info d;
	struct buse_ctl_remove rm;
	struct buse_ctl_list l;
	uint32_t idx[4];
	unsigned spare = n + 100;
	int fd = open(BUSE_CTL_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open %s: %s", BUSE_CTL_DEVICE, strerror(errno));

	memset(&v, 0, sizeof(v));
	expect_ok("CTL_VERSION", ioctl(fd, BUSE_CTL_VERSION, &v));
	if (v.abi_version != BUSE_ABI_VERSION)
		fail("CTL_VERSION: abi_version %u, expected %u", v.abi_version,
		     BUSE_ABI_VERSION);
	expect_err("control: unknown ioctl 0x3f",
		   ioctl(fd, _IOWR(BUSE_IOCTL_MAGIC, 0x3f, struct buse_version),
			 &v),
		   ENOTTY);
	expect_err("control: foreign ioctl TCGETS", ioctl(fd, TCGETS, &v),
		   ENOTTY);
	expect_err("control: BUSE_IOC_RUN", ioctl(fd, BUSE_IOC_RUN, &v),
		   ENOTTY);

	/* ADD with bad fields; none may create a device. */
#define BAD_ADD(what, field_setup)                                       \
	do {                                                             \
		memset(&d, 0, sizeof(d));                                \
		d.index = spare;                                         \
		d.size = 1 << 20;                                        \
		field_setup;                                             \
		expect_err("CTL_ADD " what, ioctl(fd, BUSE_CTL_ADD, &d), \
			   EINVAL);                                      \
	} while (0)
	BAD_ADD("reserved[0] != 0", d.reserved[0] = 1);
	BAD_ADD("last reserved != 0", d.reserved[LAST(d.reserved)] = 1);
	BAD_ADD("logical block size 1000", d.logical_block_size = 1000);
	BAD_ADD("logical block size 8192", d.logical_block_size = 8192);
	BAD_ADD("physical < logical", d.logical_block_size = 4096;
		d.physical_block_size = 512);
	BAD_ADD("size not a block multiple", d.size = 1000);
	BAD_ADD("nr_queues 1000", d.nr_queues = 1000);
	BAD_ADD("queue_depth 5000", d.queue_depth = 5000);
	BAD_ADD("max_io 1000", d.max_io = 1000);
	BAD_ADD("max_io 8M", d.max_io = 8u << 20);
	BAD_ADD("depth x max_io over 1G", d.queue_depth = 1024;
		d.max_io = 4u << 20);
	BAD_ADD("index 65536", d.index = BUSE_MAX_INDEX + 1);
#undef BAD_ADD
	memset(&d, 0, sizeof(d));
	d.index = spare;
	if (ioctl(fd, BUSE_CTL_INFO, &d) == 0) {
		fail("a refused CTL_ADD created device %u", spare);
		rawring_remove(fd, spare, 0);
	} else {
		ok("no device %u after the refused adds (%s)", spare,
		   errname(errno));
	}
	memset(&d, 0, sizeof(d));
	d.index = n;
	d.reserved[LAST(d.reserved)] = 1;
	expect_err("CTL_INFO reserved != 0", ioctl(fd, BUSE_CTL_INFO, &d),
		   EINVAL);

	memset(&rm, 0, sizeof(rm));
	rm.index = n;
	rm.flags = 0x80;
	expect_err("CTL_REMOVE unknown flag", ioctl(fd, BUSE_CTL_REMOVE, &rm),
		   EINVAL);
	rm.flags = 0;
	rm.reserved[LAST(rm.reserved)] = 1;
	expect_err("CTL_REMOVE reserved != 0", ioctl(fd, BUSE_CTL_REMOVE, &rm),
		   EINVAL);
	memset(&rm, 0, sizeof(rm));
	rm.index = spare;
	if (ioctl(fd, BUSE_CTL_REMOVE, &rm) == 0)
		fail("CTL_REMOVE of absent device %u succeeded", spare);
	else
		ok("CTL_REMOVE of an absent device: %s", errname(errno));

	memset(&l, 0, sizeof(l));
	expect_ok("CTL_LIST count 0", ioctl(fd, BUSE_CTL_LIST, &l));
	if (l.nr_devices < 1)
		fail("CTL_LIST: nr_devices %u with device %u present",
		     l.nr_devices, n);
	memset(&l, 0, sizeof(l));
	l.indexes = (uintptr_t)idx;
	l.count = 4;
	expect_ok("CTL_LIST", ioctl(fd, BUSE_CTL_LIST, &l));
	if (l.nr_devices < 1 || idx[0] > n)
		fail("CTL_LIST: nr_devices %u, first index %u", l.nr_devices,
		     idx[0]);
	memset(&l, 0, sizeof(l));
	l.indexes = 8; /* not a user address */
	l.count = 4;
	expect_err("CTL_LIST bad pointer", ioctl(fd, BUSE_CTL_LIST, &l),
		   EFAULT);
	memset(&l, 0, sizeof(l));
	l.reserved[0] = 1;
	expect_err("CTL_LIST reserved != 0", ioctl(fd, BUSE_CTL_LIST, &l),
		   EINVAL);
	expect_err("CTL_VERSION bad pointer",
		   ioctl(fd, BUSE_CTL_VERSION, (void *)8), EFAULT);
	close(fd);
}

static int cmd_ioctls(unsigned n)
{
	struct buse_attach a;
	struct buse_run r;
	long page = sysconf(_SC_PAGESIZE);
	void *m, *maps[BUSE_MAX_QUEUES];
	int fd, fd2;
	uint32_t q;

	ctl_checks(n);

	fd = open_char(n);
	if (fd < 0)
		die("open " BUSE_CHAR_DEVICE_FMT ": %s", n, strerror(errno));
	fd2 = open_char(n);
	expect_err("second open of the char device", fd2, EBUSY);
	if (fd2 >= 0)
		close(fd2);

	expect_err("RUN before ATTACH", rawring_run(fd, 0, 0, &r), ENXIO);
	m = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m != MAP_FAILED) {
		fail("mmap before ATTACH succeeded");
		munmap(m, (size_t)page);
	} else {
		ok("mmap before ATTACH: %s", errname(errno));
	}
	expect_err(
		"char device: unknown ioctl",
		ioctl(fd, _IOWR(BUSE_IOCTL_MAGIC, 0x7f, struct buse_run), &r),
		ENOTTY);
	expect_err("char device: CTL_VERSION", ioctl(fd, BUSE_CTL_VERSION, &r),
		   ENOTTY);

	memset(&a, 0, sizeof(a));
	a.reserved[LAST(a.reserved)] = 1;
	expect_err("ATTACH reserved != 0", ioctl(fd, BUSE_IOC_ATTACH, &a),
		   EINVAL);
	memset(&a, 0, sizeof(a));
	a.size = 1000;
	expect_err("ATTACH size not a block multiple",
		   ioctl(fd, BUSE_IOC_ATTACH, &a), EINVAL);
	expect_err("ATTACH bad pointer", ioctl(fd, BUSE_IOC_ATTACH, (void *)8),
		   EFAULT);

	/* Unknown features are dropped, and the server told. */
	if (rawring_attach(fd, &a, ~BUSE_ATTACH_F_ALL) < 0)
		die("ATTACH: %s", strerror(errno));
	ok("ATTACH");
	if (a.flags)
		fail("ATTACH kept unknown flags %#x", a.flags);
	else
		ok("ATTACH cleared unknown flags");
	check_geometry(&a, n);
	if (a.nr_queues < 2)
		die("device %u has %u queue(s); this test wants 2", n,
		    a.nr_queues);
	{
		struct buse_attach again;

		memset(&again, 0, sizeof(again));
		expect_err("ATTACH twice", ioctl(fd, BUSE_IOC_ATTACH, &again),
			   EBUSY);
	}

#define BAD_MMAP(what, len, off)                                              \
	do {                                                                  \
		m = mmap(NULL, (len), PROT_READ | PROT_WRITE, MAP_SHARED, fd, \
			 (off_t)(off));                                       \
		if (m != MAP_FAILED) {                                        \
			fail("mmap " what " succeeded");                      \
			munmap(m, (len));                                     \
		} else if (errno == EINVAL) {                                 \
			ok("mmap " what ": EINVAL");                          \
		} else {                                                      \
			fail("mmap " what ": %s, expected EINVAL",            \
			     errname(errno));                                 \
		}                                                             \
	} while (0)
	BAD_MMAP("size + 1 page", a.map_size + page, 0);
	BAD_MMAP("size - 1 page", a.map_size - page, 0);
	BAD_MMAP("one page", (size_t)page, 0);
	BAD_MMAP("offset 1 page", a.map_size, page);
	BAD_MMAP("offset of queue nr_queues", a.map_size,
		 BUSE_QUEUE_MMAP_OFFSET(a.nr_queues));
	BAD_MMAP("offset of queue 1 + 1 page", a.map_size,
		 BUSE_QUEUE_MMAP_OFFSET(1) + page);
	BAD_MMAP("offset of queue 65", a.map_size, BUSE_QUEUE_MMAP_OFFSET(65));
#undef BAD_MMAP

	for (q = 0; q < a.nr_queues && q < BUSE_MAX_QUEUES; q++) {
		maps[q] = mmap(NULL, a.map_size, PROT_READ | PROT_WRITE,
			       MAP_SHARED, fd,
			       (off_t)BUSE_QUEUE_MMAP_OFFSET(q));
		if (maps[q] == MAP_FAILED)
			fail("mmap of queue %u: %s", q, strerror(errno));
		else
			ok("mmap of queue %u", q);
	}

	/* Never executable: not at mmap, not by mprotect later. */
	m = mmap(NULL, a.map_size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	if (m != MAP_FAILED) {
		fail("mmap with PROT_EXEC succeeded");
		munmap(m, a.map_size);
	} else if (errno == EPERM) {
		ok("mmap with PROT_EXEC: EPERM");
	} else {
		fail("mmap with PROT_EXEC: %s, expected EPERM%s",
		     errname(errno),
		     errno == EACCES
			     ? " (a noexec mount? see BUSE_HOSTILE_NODE_DIR)"
			     : "");
	}
	if (maps[0] != MAP_FAILED) {
		if (mprotect(maps[0], a.map_size,
			     PROT_READ | PROT_WRITE | PROT_EXEC) == 0)
			fail("mprotect(PROT_EXEC) of a ring area succeeded");
		else if (errno == EACCES)
			ok("mprotect(PROT_EXEC) of a ring area: EACCES");
		else
			fail("mprotect(PROT_EXEC) of a ring area: %s, expected EACCES",
			     errname(errno));
	}

	expect_err("RUN queue nr_queues",
		   rawring_run(fd, a.nr_queues, BUSE_RUN_F_NOWAIT, &r), EINVAL);
	expect_err("RUN queue 0xffffffff",
		   rawring_run(fd, 0xffffffffu, BUSE_RUN_F_NOWAIT, &r), EINVAL);
	expect_err("RUN unknown flag",
		   rawring_run(fd, 0, BUSE_RUN_F_NOWAIT | 0x80, &r), EINVAL);
	memset(&r, 0, sizeof(r));
	r.flags = BUSE_RUN_F_NOWAIT;
	r.reserved[LAST(r.reserved)] = 1;
	expect_err("RUN reserved != 0", ioctl(fd, BUSE_IOC_RUN, &r), EINVAL);
	expect_err("RUN bad pointer", ioctl(fd, BUSE_IOC_RUN, (void *)8),
		   EFAULT);
	expect_ok("RUN NOWAIT", rawring_run(fd, 1, BUSE_RUN_F_NOWAIT, &r));

	/* KICK: the next waiting RUN returns at once (guarded by an alarm). */
	expect_ok("RUN KICK", rawring_run(fd, 0, BUSE_RUN_F_KICK, &r));
	rawring_on_signal(SIGALRM, on_alarm);
	alarm(5);
	if (rawring_run(fd, 0, 0, &r) < 0)
		fail("RUN after KICK: %s (it should have returned at once)",
		     errname(errno));
	else
		ok("RUN after KICK returned at once (pending %u)", r.pending);
	alarm(0);

	for (q = 0; q < a.nr_queues && q < BUSE_MAX_QUEUES; q++)
		if (maps[q] != MAP_FAILED)
			munmap(maps[q], a.map_size);
	close(fd);

	/* Detached: the device can be opened and attached again. */
	fd = open_char(n);
	if (fd < 0) {
		fail("reopen after close: %s", strerror(errno));
	} else {
		expect_ok("ATTACH after reopen", rawring_attach(fd, &a, 0));
		close(fd);
	}
	return check_failures ? 1 : 0;
}

/* ---------------------------------------------------------------------------
 * hostile serve N SECTOR
 */

/*
 * Takes the next submitted request into *d: 1, or 0 when the ring is empty.
 * Cancel notices (the kernel timed a request out) are skipped: such a
 * request must not be completed.
 */
static int next_desc(struct rawring *rg, struct buse_io_desc *d)
{
	for (;;) {
		if (!rawring_posted(rg))
			return 0;
		rawring_take(rg, d);
		if (d->op != BUSE_OP_CANCEL)
			return 1;
		printf("note: cancel notice for tag %u seq %u\n", d->tag,
		       d->seq);
	}
}

/* RUN on queue 0: 0 or -errno. */
static int run0(struct rawring *rg, uint32_t flags, struct buse_run *r)
{
	return rawring_run(rg->fd, 0, flags, r);
}

/* Sends what is queued in the completion ring; it must all be accepted. */
static void flush_honest(struct rawring *rg)
{
	struct buse_run r;
	int ret = run0(rg, BUSE_RUN_F_NOWAIT, &r);

	if (ret == -ENODEV)
		stop = 1;
	else if (ret < 0 && ret != -EINTR)
		fail("RUN with honest completions: %s (rejected %u)",
		     errname(-ret), r.rejected);
	else if (r.rejected)
		fail("RUN rejected %u honest completion(s)", r.rejected);
}

/* One bogus batch (already in the ring): RUN must say EINVAL, rejected > 0. */
static void expect_rejected(struct rawring *rg, const char *what,
			    uint32_t want_completed)
{
	struct buse_run r;
	int ret = run0(rg, BUSE_RUN_F_NOWAIT, &r);

	if (ret == -EINVAL && r.rejected > 0 && r.completed == want_completed)
		ok("%s: EINVAL, completed %u, rejected %u", what, r.completed,
		   r.rejected);
	else
		fail("%s: got %s, completed %u, rejected %u; expected EINVAL, completed %u, rejected > 0",
		     what, errname(-ret), r.completed, r.rejected,
		     want_completed);
}

/* Serve honestly, without sleeping in the kernel, for about ms milliseconds. */
static void serve_for(struct rawring *rg, int ms)
{
	struct buse_io_desc d;
	int i;

	for (i = 0; i < ms / 10 && !stop; i++) {
		while (next_desc(rg, &d))
			rawring_push(rg, d.tag, d.seq,
				     rawring_serve_mem(rg, &d));
		flush_honest(rg);
		usleep(10000);
	}
}

static int cmd_serve(unsigned n, uint64_t target)
{
	struct rawring rg;
	struct buse_attach a;
	struct buse_io_desc d, held;
	struct buse_run r;
	uint32_t saved;
	int have = 0, ret;
	char line[64];

	memset(&rg, 0, sizeof(rg));
	rawring_on_signal(SIGINT, on_signal);
	rawring_on_signal(SIGTERM, on_signal);
	rg.fd = open_char(n);
	if (rg.fd < 0)
		die("open " BUSE_CHAR_DEVICE_FMT ": %s", n, strerror(errno));
	if (rawring_attach(rg.fd, &a, 0) < 0)
		die("ATTACH: %s", strerror(errno));
	check_geometry(&a, n);
	if (a.nr_queues != 1)
		die("device %u has %u queues; this test wants 1", n,
		    a.nr_queues);
	if (target * 512 + 4096 > a.size)
		die("sector %llu is beyond the device",
		    (unsigned long long)target);
	ret = rawring_map(&rg, rg.fd, &a, 0);
	if (ret < 0)
		die("mmap: %s", strerror(-ret));
	rawring_sync(&rg);
	rg.store = calloc(1, rg.a.size);
	if (!rg.store)
		die("out of memory");

	/* Let whatever the kernel reads at attach time (partition scan) pass. */
	serve_for(&rg, 1000);

	/* Phase A: nothing of ours is in flight. */
	rawring_push(&rg, (uint16_t)rg.a.queue_depth, 0, 0);
	expect_rejected(&rg, "tag == queue_depth", 0);
	rawring_push(&rg, 0xffff, 0, 0);
	expect_rejected(&rg, "tag 0xffff", 0);
	rawring_push(&rg, (uint16_t)(rg.a.queue_depth - 1), 0, 0);
	rawring_push(&rg, (uint16_t)(rg.a.queue_depth - 1), 1, 0);
	expect_rejected(&rg, "tag not in flight", 0);
	rawring_push(&rg, 0, 0, 0);
	rawring_push(&rg, 0, 0, 0);
	expect_rejected(&rg, "tag 0 twice, never issued", 0);

	saved = rg.cq_tail;
	rg.cq_tail = saved + rg.a.cq_entries + 1;
	__atomic_store_n(&rg.hdr->cq_tail, rg.cq_tail, __ATOMIC_RELEASE);
	expect_rejected(&rg, "cq_tail ahead by cq_entries + 1", 0);
	/* Carry on from wherever the kernel says its head is. */
	rawring_resync_cq(&rg);
	ret = run0(&rg, BUSE_RUN_F_NOWAIT, &r);
	if (ret < 0)
		fail("RUN after restoring cq_tail: %s (rejected %u)",
		     errname(-ret), r.rejected);
	else
		ok("RUN after restoring cq_tail (kernel cq_head %u, was %u)",
		   rg.cq_tail, saved);
	printf("READY\n");
	fflush(stdout);

	/* Phase B: wait for the READ of the target sector, serving the rest. */
	while (!have && !stop) {
		ret = run0(&rg, 0, &r);
		if (ret == -ENODEV)
			break;
		if (ret < 0 && ret != -EINTR) {
			fail("RUN (waiting for the READ of sector %llu): %s",
			     (unsigned long long)target, errname(-ret));
			break;
		}
		while (next_desc(&rg, &d)) {
			if (!have && d.op == BUSE_OP_READ &&
			    d.sector == target) {
				held = d;
				have = 1;
			} else {
				rawring_push(&rg, d.tag, d.seq,
					     rawring_serve_mem(&rg, &d));
			}
		}
		flush_honest(&rg);
	}
	if (have) {
		ok("holding the READ of sector %llu (tag %u, %u bytes)",
		   (unsigned long long)held.sector, held.tag, held.len);
		const struct {
			const char *what;
			uint16_t tag, seq;
			int32_t result;
		} bogus[] = {
			{ "result > len", held.tag, held.seq,
			  (int32_t)held.len + 512 },
			{ "result 2 * len", held.tag, held.seq,
			  (int32_t)held.len * 2 },
			{ "result 100 (not a block multiple)", held.tag,
			  held.seq, 100 },
			{ "result len - 100 (not a block multiple)", held.tag,
			  held.seq, (int32_t)held.len - 100 },
			{ "the held tag with the wrong seq", held.tag,
			  (uint16_t)(held.seq + 1), 0 },
			{ "the neighbour of the held tag",
			  (uint16_t)(held.tag ^ 1), held.seq, 0 },
		};
		size_t i;

		/*
		 * After each step, the script checks that the READ is still
		 * outstanding and writes a line to our stdin.
		 */
		for (i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
			rawring_push(&rg, bogus[i].tag, bogus[i].seq,
				     bogus[i].result);
			expect_rejected(&rg, bogus[i].what, 0);
			printf("STEP %s\n", bogus[i].what);
			if (!fgets(line, sizeof(line), stdin))
				line[0] = '\0';
		}
		printf("HOLDING\n");

		/* Honest, and the same tag once more in the same batch. */
		memset(rawring_buf(&rg, held.tag), 0xa5, held.len);
		rawring_push(&rg, held.tag, held.seq, (int32_t)held.len);
		rawring_push(&rg, held.tag, held.seq, 0);
		expect_rejected(&rg, "honest completion + the same tag again",
				1);
		printf("SERVED\n");
		fflush(stdout);
	} else if (!stop) {
		fail("never saw the READ of sector %llu",
		     (unsigned long long)target);
	}

	/* Phase C: honest until told to stop or the device goes away. */
	while (!stop) {
		ret = run0(&rg, 0, &r);
		if (ret == -ENODEV)
			break;
		if (ret < 0 && ret != -EINTR) {
			fail("RUN: %s", errname(-ret));
			break;
		}
		while (next_desc(&rg, &d))
			rawring_push(&rg, d.tag, d.seq,
				     rawring_serve_mem(&rg, &d));
	}
	flush_honest(&rg);
	printf("exiting: %d failure(s)\n", check_failures);
	return check_failures ? 1 : 0;
}

/* ---------------------------------------------------------------------------
 * hostile uffd-list N
 */

struct list_call {
	uint32_t *indexes;
	int ret, err;
	struct buse_ctl_list l;
};

static void *list_thread(void *arg)
{
	struct list_call *c = arg;
	int fd = open(BUSE_CTL_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		c->ret = -1;
		c->err = errno;
		return NULL;
	}
	memset(&c->l, 0, sizeof(c->l));
	c->l.indexes = (uint64_t)(uintptr_t)c->indexes;
	c->l.count = 16;
	c->ret = ioctl(fd, BUSE_CTL_LIST, &c->l);
	c->err = c->ret < 0 ? errno : 0;
	close(fd);
	return NULL;
}

/* Runs fn(n) in a child; 0 if it exited 0 within secs, else -1 (a child
 * stuck in the kernel is left behind, killed). */
static int in_child(int (*fn)(unsigned), unsigned n, int secs, int *status)
{
	pid_t pid = fork();
	int i;

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(fn(n));
	for (i = 0; i < secs * 20; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 0;
		usleep(50000);
	}
	kill(pid, SIGKILL);
	return -1;
}

static int child_info(unsigned n)
{
	struct buse_dev_info d;
	int fd = open(BUSE_CTL_DEVICE, O_RDWR | O_CLOEXEC);

	return fd >= 0 && rawring_info(fd, n, &d) == 0 ? 0 : 1;
}

static int child_open(unsigned n)
{
	int fd = open_char(n);

	return fd >= 0 ? 0 : 1;
}

/* Serves what queue q has posted; returns the number of requests. */
static unsigned serve_queue(struct rawring *rg, unsigned q)
{
	struct buse_io_desc d;
	struct buse_run r;
	unsigned n = 0;

	while (next_desc(rg, &d)) {
		rawring_push(rg, d.tag, d.seq, rawring_serve_mem(rg, &d));
		n++;
	}
	if (n && rawring_run(rg->fd, q, BUSE_RUN_F_NOWAIT, &r) < 0 &&
	    errno != ENODEV)
		fail("RUN NOWAIT handing over queue %u: %s (rejected %u)", q,
		     errname(errno), r.rejected);
	return n;
}

static int cmd_poll(unsigned n)
{
	struct rawring *rgs;
	struct buse_attach a;
	struct pollfd pfd;
	unsigned long wakeups = 0, empty = 0, served = 0;
	unsigned char *store;
	unsigned q;
	int fd, ret, idle = 0, hup = 0;

	fd = open_char(n);
	if (fd < 0)
		die("open " BUSE_CHAR_DEVICE_FMT ": %s", n, strerror(errno));
	pfd.fd = fd;
	pfd.events = POLLIN;
	ret = poll(&pfd, 1, 0);
	if (ret == 1 && (pfd.revents & POLLERR))
		ok("poll before ATTACH: POLLERR");
	else
		fail("poll before ATTACH: returned %d, revents %#x; expected POLLERR",
		     ret, pfd.revents);

	if (rawring_attach(fd, &a, 0) < 0)
		die("ATTACH: %s", strerror(errno));
	check_geometry(&a, n);
	store = calloc(1, a.size);
	rgs = calloc(a.nr_queues, sizeof(*rgs));
	if (!store || !rgs)
		die("out of memory");
	for (q = 0; q < a.nr_queues; q++) {
		struct rawring *rg = &rgs[q];

		rg->store = store;
		ret = rawring_map(rg, fd, &a, q);
		if (ret < 0)
			die("mmap queue %u: %s", q, strerror(-ret));
	}

	for (;;) {
		pfd.revents = 0;
		/* Idle for a second: the device is quiet, say so once. */
		ret = poll(&pfd, 1, 1000);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (ret == 0) {
			if (!idle++) {
				ok("poll times out on an idle device (%lu requests served)",
				   served);
				printf("READY\n");
				fflush(stdout);
			}
			continue;
		}
		if (pfd.revents & POLLHUP) {
			struct buse_run r;

			hup = 1;
			if (rawring_run(fd, 0, BUSE_RUN_F_NOWAIT, &r) < 0 &&
			    errno == ENODEV)
				ok("POLLHUP, then RUN: ENODEV");
			else
				fail("POLLHUP, but RUN returned %s",
				     errname(errno));
			break;
		}
		if (!(pfd.revents & POLLIN)) {
			fail("poll returned revents %#x", pfd.revents);
			break;
		}
		wakeups++;
		ret = 0;
		for (q = 0; q < a.nr_queues; q++)
			ret += serve_queue(&rgs[q], q);
		served += ret;
		if (!ret)
			empty++;
	}
	printf("served %lu requests in %lu wake-ups, %lu found nothing\n",
	       served, wakeups, empty);
	if (!hup)
		fail("the loop ended without POLLHUP");
	if (!served)
		fail("served no request");
	if (empty * 2 > wakeups)
		fail("%lu of %lu wake-ups found nothing to serve", empty,
		     wakeups);
	else
		ok("%lu of %lu wake-ups found nothing to serve", empty,
		   wakeups);
	return check_failures ? 1 : 0;
}

static int cmd_uffd_list(unsigned n)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct uffdio_zeropage zp;
	struct list_call c;
	pthread_t th;
	long page = sysconf(_SC_PAGESIZE);
	int uffd, status;
	void *area;

	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		die("userfaultfd: %s", strerror(errno));
	if (ioctl(uffd, UFFDIO_API, &api) < 0)
		die("UFFDIO_API: %s", strerror(errno));
	area = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)area;
	reg.range.len = (uint64_t)page;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0)
		die("UFFDIO_REGISTER: %s", strerror(errno));

	memset(&c, 0, sizeof(c));
	c.indexes = area;
	if (pthread_create(&th, NULL, list_thread, &c))
		die("pthread_create");
	{
		/* The LIST is waiting on the page once the fault is reported. */
		struct pollfd p = { .fd = uffd, .events = POLLIN };

		if (poll(&p, 1, 5000) != 1)
			die("the LIST never touched its buffer");
	}
	ok("uffd-list: a LIST waits on an unserved userfaultfd page");
	if (in_child(child_info, n, 3, &status) == 0 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0)
		ok("uffd-list: BUSE_CTL_INFO of device %u returned meanwhile",
		   n);
	else
		fail("uffd-list: BUSE_CTL_INFO of device %u blocked behind the LIST",
		     n);
	if (in_child(child_open, n, 3, &status) == 0 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0)
		ok("uffd-list: open of /dev/busec%u returned meanwhile", n);
	else
		fail("uffd-list: open of /dev/busec%u blocked behind the LIST",
		     n);

	memset(&zp, 0, sizeof(zp));
	zp.range.start = (uintptr_t)area;
	zp.range.len = (uint64_t)page;
	if (ioctl(uffd, UFFDIO_ZEROPAGE, &zp) < 0)
		die("UFFDIO_ZEROPAGE: %s", strerror(errno));
	pthread_join(th, NULL);
	if (c.ret == 0 && c.l.nr_devices >= 1 && c.indexes[0] == n)
		ok("uffd-list: the LIST then returned %u device(s), first %u",
		   c.l.nr_devices, c.indexes[0]);
	else
		fail("uffd-list: the LIST returned %d (%s), %u devices, first %u",
		     c.ret, errname(c.err), c.l.nr_devices, c.indexes[0]);
	return check_failures ? 1 : 0;
}

/* ---------------------------------------------------------------------------
 * hostile fork N
 */

static volatile sig_atomic_t child_poke;

static void on_usr1(int sig)
{
	(void)sig;
	child_poke = 1;
}

static int cmd_fork(unsigned n)
{
	struct buse_attach a;
	struct rawring rg;
	struct buse_run r;
	char path[64], line[512];
	bool mapped = false;
	FILE *maps;
	pid_t pid;
	int fd;

	fd = open_char(n);
	if (fd < 0)
		die("open /dev/busec%u: %s", n, strerror(errno));
	if (rawring_attach(fd, &a, 0) < 0)
		die("ATTACH: %s", strerror(errno));
	memset(&rg, 0, sizeof(rg));
	if (rawring_map(&rg, fd, &a, 0) < 0)
		die("mmap: %s", strerror(errno));
	rawring_on_signal(SIGUSR1, on_usr1);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		/* Holds fd (no exec); its parent's mapping was not copied. */
		for (;;) {
			void *m;

			pause();
			if (!child_poke)
				continue;
			child_poke = 0;
			printf("CHILD RUN: %s\n",
			       errname(rawring_run(fd, 0, BUSE_RUN_F_NOWAIT,
						   &r) < 0
					       ? errno
					       : 0));
			m = mmap(NULL, a.map_size, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd,
				 (off_t)BUSE_QUEUE_MMAP_OFFSET(0));
			printf("CHILD MMAP: %s\n",
			       errname(m == MAP_FAILED ? errno : 0));
			if (m != MAP_FAILED)
				munmap(m, a.map_size);
			fflush(stdout);
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	usleep(200000);
	maps = fopen(path, "r");
	if (!maps)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), maps))
		if (strstr(line, "busec"))
			mapped = true;
	fclose(maps);
	if (mapped)
		fail("fork: the child inherited the ring mapping");
	else
		ok("fork: the child did not inherit the ring mapping");
	printf("CHILD %d\nREADY\n", (int)pid);
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	char *end;
	unsigned long n;

	check_prog = "hostile";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		goto usage;
	n = strtoul(argv[2], &end, 10);
	if (*end || n > BUSE_MAX_INDEX)
		goto usage;
	if (!strcmp(argv[1], "ioctls") && argc == 3)
		return cmd_ioctls((unsigned)n);
	if (!strcmp(argv[1], "serve") && argc == 4) {
		unsigned long long sector = strtoull(argv[3], &end, 10);

		if (*end)
			goto usage;
		return cmd_serve((unsigned)n, sector);
	}
	if (!strcmp(argv[1], "uffd-list") && argc == 3)
		return cmd_uffd_list((unsigned)n);
	if (!strcmp(argv[1], "poll") && argc == 3)
		return cmd_poll((unsigned)n);
	if (!strcmp(argv[1], "fork") && argc == 3)
		return cmd_fork((unsigned)n);
usage:
	fprintf(stderr,
		"usage: hostile ioctls N | hostile serve N SECTOR | "
		"hostile uffd-list N | hostile fork N | hostile poll N\n");
	return 2;
}
