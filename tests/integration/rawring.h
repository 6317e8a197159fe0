/* SPDX-License-Identifier: MIT */
/*
 * rawring - the plumbing of a buse client that talks to buse.ko through
 * uapi/linux/buse.h alone (no libbdus), shared by the integration helpers
 * hostile.c, hostile-ring.c and fuzz.c.
 *
 * It only does what the uapi header describes, the way it describes it:
 * opening the device files, ATTACH, mapping a queue's ring area and
 * finding its rings, reading descriptors and posting completions with the
 * documented memory ordering, BUSE_IOC_RUN, and the control requests the
 * helpers make for their own bookkeeping.  Nothing here misbehaves: the
 * helpers' deliberately broken requests (garbage indices, bogus
 * completions, bad pointers, ...) stay in the helpers, written out where
 * they happen, so that a reader sees what is being abused.
 *
 * Also here: the "ok: / FAIL: " check reporting of hostile and
 * hostile-ring.
 *
 * Built into each helper (tests/integration/Makefile); not a library of
 * the project.
 */
#ifndef BUSE_TESTS_RAWRING_H
#define BUSE_TESTS_RAWRING_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/buse.h>

/* ------------------------------------------------------------------------
 * Check reporting
 */

/* Names the program in die()'s message ("NAME: ..."); set it in main(). */
extern const char *check_prog;
/* Checks reported by ok() and fail() so far, and the failed ones. */
extern int check_count, check_failures;

/* Prints "ok: MESSAGE" on stdout; counts a check. */
void ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "FAIL: MESSAGE" on stdout; counts a failed check. */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "PROG: MESSAGE" on stdout and exits with status 2 (setup error). */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Installs fn as the handler of signal sig without SA_RESTART, so that a
 * BUSE_IOC_RUN sleeping when the signal comes returns EINTR.
 */
void rawring_on_signal(int sig, void (*fn)(int));

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t rawring_now_ns(void);

/* ------------------------------------------------------------------------
 * Device files
 */

/* Opens /dev/busecN (index n) with open(2) flags: an fd, or -1 (errno). */
int rawring_open(unsigned n, int flags);

/*
 * BUSE_IOC_ATTACH on fd: *a is zeroed, asks for attach flags `flags`
 * (every other input 0: keep the device's size, READ and WRITE only) and
 * receives the geometry.  0, or -errno (errno set too).
 */
int rawring_attach(int fd, struct buse_attach *a, uint32_t flags);

/*
 * BUSE_IOC_RUN on fd for queue with flags (BUSE_RUN_F_*); *r is zeroed
 * first and holds the kernel's answer afterwards (also when it fails with
 * EINVAL).  0, or -errno, errno left as the ioctl set it.
 */
int rawring_run(int fd, uint32_t queue, uint32_t flags, struct buse_run *r);

/* BUSE_CTL_INFO of device index on the control fd ctl: ioctl's return. */
int rawring_info(int ctl, uint32_t index, struct buse_dev_info *info);

/* BUSE_CTL_REMOVE of device index with flags (BUSE_REMOVE_F_*): ioctl's
 * return. */
int rawring_remove(int ctl, uint32_t index, uint32_t flags);

/* ------------------------------------------------------------------------
 * One queue's ring area
 */

struct rawring {
	int fd;		      /* /dev/busecN: the caller's, never closed here */
	uint32_t queue;	      /* the hardware queue of this area */
	struct buse_attach a; /* the attach reply: the geometry */
	unsigned char *map;   /* the area (a.map_size bytes); NULL: unmapped */
	struct buse_ring_hdr *hdr; /* at the start of the area */
	struct buse_io_desc *sq;   /* a.sq_entries descriptors at a.sq_off */
	struct buse_io_cqe *cq;	   /* a.cq_entries completions at a.cq_off */
	/* Private indices: the next descriptor to read, the next cqe slot. */
	uint32_t sq_head, cq_tail;
	/* A copy of the device's data (a.size bytes) for rawring_serve_mem(),
	 * the caller's to allocate and free; NULL if unused. */
	unsigned char *store;
};

/*
 * Points rg->map, hdr, sq and cq at the area `map` laid out as rg->a says
 * (nothing is mapped or checked).  For a mapping the caller made itself.
 */
void rawring_locate(struct rawring *rg, void *map);

/*
 * Maps queue's ring area of fd (MAP_SHARED, read-write, a->map_size bytes
 * at BUSE_QUEUE_MMAP_OFFSET(queue)) and locates its rings; sets rg->fd,
 * queue and a.  The private indices and store are left alone (see
 * rawring_sync()).  0, or -errno with rg->map NULL.
 */
int rawring_map(struct rawring *rg, int fd, const struct buse_attach *a,
		uint32_t queue);

/* munmap()s the area, if mapped; rg->map becomes NULL. */
void rawring_unmap(struct rawring *rg);

/* Starts the private indices where the shared header says the server's
 * are (load-acquire of sq_head and cq_tail). */
void rawring_sync(struct rawring *rg);

/* The data buffer of tag: a.max_io bytes at a.data_off + tag * a.max_io. */
unsigned char *rawring_buf(const struct rawring *rg, uint16_t tag);

/* The submission ring's slot of free-running index idx. */
struct buse_io_desc *rawring_sq_slot(const struct rawring *rg, uint32_t idx);

/* The completion ring's slot of free-running index idx. */
struct buse_io_cqe *rawring_cq_slot(const struct rawring *rg, uint32_t idx);

/*
 * How many descriptors the kernel has posted beyond the private sq_head:
 * load-acquire(sq_tail) - sq_head, modulo 2^32 (more than a.sq_entries
 * only if someone wrote garbage into sq_tail).
 */
uint32_t rawring_posted(const struct rawring *rg);

/*
 * Copies the descriptor at the private sq_head into *d, advances sq_head
 * and store-releases it.  Only after rawring_posted() said there is one;
 * BUSE_OP_CANCEL notices are returned like requests.
 */
void rawring_take(struct rawring *rg, struct buse_io_desc *d);

/*
 * Writes the completion (tag, seq, result) at the private cq_tail,
 * advances it and store-releases cq_tail: it is published (BUSE_IOC_RUN
 * consumes it).  Checks nothing: tag, seq and result go as given.
 */
void rawring_push(struct rawring *rg, uint16_t tag, uint16_t seq,
		  int32_t result);

/* The private cq_tail restarts at the kernel's cq_head (load-acquire),
 * store-released as cq_tail: after cq_tail was deliberately garbled. */
void rawring_resync_cq(struct rawring *rg);

/*
 * The honest answer to request *d from the in-memory copy rg->store:
 * READ copies from it into the tag's buffer, WRITE from the buffer into
 * it (0; -EIO if the range is outside the device or longer than max_io),
 * FLUSH 0, anything else -EOPNOTSUPP.  Posts nothing.
 */
int32_t rawring_serve_mem(struct rawring *rg, const struct buse_io_desc *d);

#endif /* BUSE_TESTS_RAWRING_H */
