/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * buse - block devices in userspace.
 *
 * This header is the only contract between buse.ko and userspace.  Every
 * structure is made of fixed-width types, has explicit padding and reserved
 * fields (which must be zero on input and are zero on output), and its size
 * is pinned by BUILD_BUG_ON in the driver and by static asserts in the
 * library tests.
 *
 * Objects
 * -------
 *   /dev/busectl   control device (misc).  Ioctls: BUSE_CTL_*.
 *   /dev/buseN     the block device with index N.
 *   /dev/busecN    the server's char device for index N.  One server opens it
 *                  (a second open gets EBUSY), attaches with BUSE_IOC_ATTACH,
 *                  mmaps one ring area per hardware queue and serves requests
 *                  with BUSE_IOC_RUN.  Closing it (exit, crash, SIGKILL)
 *                  detaches the server: unanswered requests fail with EIO
 *                  at once and new requests fail until a server attaches
 *                  again.  The attached server's process exiting detaches
 *                  it too, even while a child it forked still holds the
 *                  file (that file's RUN and mmap then fail with ENODEV,
 *                  and a new server may open the device).
 *
 * Ring area (one per hardware queue, mmapped at BUSE_QUEUE_MMAP_OFFSET(q),
 * length buse_attach.map_size, MAP_SHARED, PROT_READ|PROT_WRITE; another
 * offset, length or MAP_PRIVATE gets EINVAL, PROT_EXEC EPERM, and the
 * mapping can never be made executable; it is not inherited by fork()):
 *
 *   +0        struct buse_ring_hdr   head/tail indices, one cache line each
 *   +sq_off   struct buse_io_desc[sq_entries]   submission ring (kernel->server)
 *   +cq_off   struct buse_io_cqe[cq_entries]    completion ring (server->kernel)
 *   +data_off data buffers: tag t owns [data_off + t * max_io, + max_io)
 *
 * sq_entries and cq_entries are powers of two; cq_entries >= queue_depth,
 * sq_entries >= 2 * queue_depth (room for BUSE_OP_CANCEL notices besides
 * the requests).  An index is a free-running __u32, the slot is
 * (index & (entries - 1)).
 *
 * Submission ring (the kernel produces, the server consumes):
 *   kernel: write desc[sq_tail & mask]; store-release sq_tail + 1.
 *   server: load-acquire sq_tail; read desc[sq_head & mask] .. up to sq_tail;
 *           store-release sq_head.  The kernel reads sq_head only to decide
 *           whether BUSE_IOC_RUN may sleep (it sleeps while sq_head ==
 *           sq_tail) and whether a BUSE_OP_CANCEL notice fits: it posts one
 *           only while queue_depth slots stay free for requests.  Requests
 *           are posted whatever sq_head says: each tag is in the ring at
 *           most once until the server completes it (or, after a timeout,
 *           gives it back: see BUSE_OP_CANCEL), so with the notices kept
 *           below sq_entries - queue_depth a correct server never has a
 *           descriptor overwritten before it read it.  Nothing a server
 *           stores in sq_head holds a request back; an sq_head outside
 *           [sq_tail - sq_entries, sq_tail] makes BUSE_IOC_RUN fail with
 *           EINVAL (rejected counted) without sleeping, and costs the server
 *           its own descriptors and notices.
 * For a WRITE, the tag's data buffer holds the data when the descriptor is
 * visible (the submitting thread copies it before posting the descriptor).
 * The descriptor and the buffer belong to
 * the server until it completes the tag, also after a timeout: the kernel
 * writes neither before that completion (see BUSE_OP_CANCEL).
 *
 * Completion ring (the server produces, the kernel consumes):
 *   server: fill the tag's data buffer (READ); write cqe[cq_tail & mask];
 *           store-release cq_tail + 1.
 *   kernel: load-acquire cq_tail; consume entries from its private
 *           cq_head; store-release cq_head.  It does so in every
 *           BUSE_IOC_RUN of the queue, and also in the thread of an
 *           application that submits I/O to the queue (before posting its
 *           requests) or, on a polled queue, polls it.  A published
 *           completion is only guaranteed to end its request once the
 *           server calls BUSE_IOC_RUN on the queue (NOWAIT will do), or
 *           on a polled queue once the application polls; a server
 *           should make that call when it has nothing more to do (its
 *           submission ring is empty), not after every completion.
 *   The server must not overwrite a slot the kernel has not consumed
 *   (cq_tail - load-acquire(cq_head) < cq_entries).  Since every tag is
 *   completed at most once per issue and BUSE_IOC_RUN consumes every entry,
 *   this always holds for a correct server.
 *
 * Polled queues (buse_dev_info.nr_poll_queues, like null_blk's poll_queues
 * and NVMe's poll queues): hardware queues that serve only the I/O an
 * application submits for polling (io_uring IOPOLL, preadv2 RWF_HIPRI).
 * The application's own thread consumes their completion rings while it
 * polls, copying READ data there: a server that keeps serving such a queue
 * without sleeping (it watches sq_tail in the shared memory) makes no
 * system call at all while the queue is busy.  The attach reports them as
 * the last nr_poll_queues of its nr_queues rings; they are served like
 * the others in every other respect (their requests time out, are failed
 * or requeued when the server goes away, and BUSE_IOC_RUN consumes their
 * completions too).
 *
 * The kernel never trusts the shared memory: it keeps its own copies of
 * sq_tail and cq_head, and validates cq_tail, every tag and every result.
 * A bad completion is dropped and nothing happens to any request: one
 * naming a tag that is not in flight, an earlier issue of it (stale seq)
 * other than a timed-out issue not yet given back (that one is the
 * give-back, whatever its result), or carrying an invalid result (larger
 * than the request, a positive count not a multiple of the logical block
 * size, not an errno).  The request
 * stays outstanding until a valid completion, its timeout, or the server's
 * departure.  A cq_tail more than cq_entries ahead is not consumed at all.
 * In every case BUSE_IOC_RUN returns EINVAL (with rejected counted) after
 * processing the good ones.
 *
 * Results: cqe.result is 0 (the whole request succeeded), the request's
 * length in bytes (same), a positive byte count smaller than the length and
 * a multiple of the logical block size (the first bytes succeeded, the rest
 * fails with EIO), or a negative errno (EIO, ENOSPC, EOPNOTSUPP, ETIMEDOUT,
 * ENOLINK, EILSEQ, ENODATA, EBADE reach the application as themselves;
 * anything else becomes EIO, in particular the errnos of the block layer's
 * own signals: EAGAIN, ENOMEM, EBUSY, EREMCHG, ENODEV, EREMOTEIO).
 */
#ifndef _UAPI_LINUX_BUSE_H
#define _UAPI_LINUX_BUSE_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* ABI version, reported by BUSE_CTL_VERSION. */
#define BUSE_ABI_VERSION	1

#define BUSE_CTL_DEVICE		"/dev/busectl"
#define BUSE_BLOCK_DEVICE_FMT	"/dev/buse%u"
#define BUSE_CHAR_DEVICE_FMT	"/dev/busec%u"

/* Limits (the driver may report lower ones in struct buse_version). */
#define BUSE_MAX_INDEX		65535u	/* device indexes are 0..BUSE_MAX_INDEX */
#define BUSE_INDEX_ANY		0xffffffffu /* BUSE_CTL_ADD: first free index */
/* Queues (and poll queues, each): also capped at the number of CPUs. */
#define BUSE_MAX_QUEUES		64u
#define BUSE_MAX_DEPTH		1024u
#define BUSE_MIN_MAX_IO		4096u	/* max_io: a multiple of the page size */
#define BUSE_MAX_MAX_IO		(4u << 20)
#define BUSE_MAX_QUEUE_BUFFERS	(1ull << 30) /* depth * max_io per queue */
#define BUSE_MAX_SIZE		(1ull << 60)	/* bytes */
#define BUSE_MAX_TIMEOUT	86400u	/* seconds: timeout, recovery_timeout */
#define BUSE_MAX_IO_HINT	(1u << 30) /* io_min, io_opt, discard_granularity */
/* Logical and physical block sizes: powers of two in this range. */
#define BUSE_MIN_BLOCK_SIZE	512u
#define BUSE_MAX_BLOCK_SIZE	4096u
/*
 * The largest request without data (DISCARD, WRITE_ZEROES, SECURE_ERASE):
 * its length fits the descriptor's __u32 len and is a multiple of the
 * logical block size @lbs: 4 GiB - 512, or 4 GiB - 4096 with 4096-byte
 * blocks.  Devices advertise at most this much per request.
 */
#define BUSE_MAX_NODATA_BYTES(lbs) ((__u32)(0xffffffffu & ~((__u32)(lbs) - 1u)))
/* The most negative cqe.result that is an errno. */
#define BUSE_MAX_ERRNO		4095
/* Also: queues * depth * max_io <= a quarter of RAM, else ADD fails ENOMEM. */

/*
 * Defaults used when a field of struct buse_dev_info is 0.  nr_queues 0:
 * one queue per online CPU, up to BUSE_MAX_QUEUES, and fewer if their
 * buffers (queue_depth * max_io each) would take more than 1/16 of RAM.
 * nr_poll_queues 0: none.
 */
#define BUSE_DEF_DEPTH		128u
#define BUSE_DEF_MAX_IO		(256u << 10)
#define BUSE_DEF_BLOCK_SIZE	512u

/* mmap offset of hardware queue q's ring area on /dev/busecN. */
#define BUSE_QUEUE_MMAP_SHIFT	40
#define BUSE_QUEUE_MMAP_OFFSET(q) ((__u64)(q) << BUSE_QUEUE_MMAP_SHIFT)

/* ------------------------------------------------------------------------
 * Requests
 */

/* buse_io_desc.op */
enum buse_op {
	BUSE_OP_READ		= 0,	/* data: server -> buffer */
	BUSE_OP_WRITE		= 1,	/* data: buffer -> server */
	BUSE_OP_FLUSH		= 2,	/* no data, offset/len 0 */
	BUSE_OP_DISCARD		= 3,	/* no data */
	BUSE_OP_WRITE_ZEROES	= 4,	/* no data; NOUNMAP forbids deallocating */
	BUSE_OP_SECURE_ERASE	= 5,	/* no data */
	BUSE_OP_NR		= 6,
	/*
	 * Not a request: the kernel gave up on (tag, seq) (its timeout
	 * expired) and failed it.  The server should stop working on it, and
	 * complete (tag, seq) once it no longer uses the tag's buffer: that
	 * completion gives the buffer back (its result is ignored).  Until
	 * then the kernel posts nothing on the tag: a request blk-mq gives the
	 * tag waits unposted, and fails with ETIMEDOUT after the device's
	 * timeout.  Posted only while the ring has room, so a server that does
	 * not consume the ring may miss some; the give-back works without it.
	 */
	BUSE_OP_CANCEL		= 0x80,
};

/* Bit for op in buse_attach.ops. */
#define BUSE_OP_BIT(op)		(1u << (op))
/* READ and WRITE are always served. */
#define BUSE_OPS_REQUIRED	(BUSE_OP_BIT(BUSE_OP_READ) | BUSE_OP_BIT(BUSE_OP_WRITE))
#define BUSE_OPS_ALL		((1u << BUSE_OP_NR) - 1)
/* Pseudo-op bit for buse_attach.ops: the server honours BUSE_IO_F_FUA. */
#define BUSE_OPS_FUA		(1u << 16)

/* buse_io_desc.flags: the request flags of the block layer, passed through. */
#define BUSE_IO_F_FUA			(1u << 0)  /* write must be durable on completion */
/* Informational: the block layer sends the flush as a FLUSH first. */
#define BUSE_IO_F_PREFLUSH		(1u << 1)
#define BUSE_IO_F_NOUNMAP		(1u << 2)  /* WRITE_ZEROES: keep allocated */
#define BUSE_IO_F_SYNC			(1u << 3)
#define BUSE_IO_F_META			(1u << 4)
#define BUSE_IO_F_RAHEAD		(1u << 5)
#define BUSE_IO_F_FAILFAST_DEV		(1u << 6)
#define BUSE_IO_F_FAILFAST_TRANSPORT	(1u << 7)
#define BUSE_IO_F_FAILFAST_DRIVER	(1u << 8)
#define BUSE_IO_F_IDLE			(1u << 9)

/* One request, written by the kernel into the submission ring. */
struct buse_io_desc {
	__u16	tag;		/* 0 .. queue_depth-1; names the data buffer */
	__u16	seq;		/* issue number of this tag: echo it in the cqe */
	__u8	op;		/* enum buse_op */
	__u8	desc_flags;	/* none defined yet: 0 */
	__u8	__pad0[2];
	__u64	sector;		/* offset in 512-byte sectors */
	__u32	len;		/* bytes; <= max_io for READ/WRITE */
	__u32	flags;		/* BUSE_IO_F_* */
	__u64	reserved;
};

/*
 * One completion, written by the server into the completion ring.  tag and
 * seq must be those of a descriptor the server has not completed yet; the
 * seq makes a late completion of an earlier issue of the same tag (after
 * a timeout, say) harmless: it is rejected.
 */
struct buse_io_cqe {
	__u16	tag;
	__u16	seq;
	__s32	result;		/* see "Results" above */
};

/*
 * Shared ring indices.  Each sits in its own 64-byte cache line so that the
 * producer and the consumer of one ring never write the same line.
 */
struct buse_ring_hdr {
	__u32	sq_head;	/* written by the server (informational) */
	__u32	__pad0[15];
	__u32	sq_tail;	/* written by the kernel */
	__u32	__pad1[15];
	__u32	cq_head;	/* written by the kernel */
	__u32	__pad2[15];
	__u32	cq_tail;	/* written by the server */
	__u32	__pad3[15];
};

/* ------------------------------------------------------------------------
 * Control device: /dev/busectl
 */

/*
 * struct buse_version.features: what this driver does.  A server checks
 * the ones it relies on before it attaches (libbdus does).
 */
#define BUSE_FEAT_RING		(1ull << 0)	/* mmapped rings + BUSE_IOC_RUN */
#define BUSE_FEAT_SIZE_BY_SERVER (1ull << 1)	/* size 0 at ADD, set at ATTACH */
#define BUSE_FEAT_ALL		(BUSE_FEAT_RING | BUSE_FEAT_SIZE_BY_SERVER)

struct buse_version {
	__u32	abi_version;	/* BUSE_ABI_VERSION of the driver */
	__u32	max_queues;
	__u64	features;	/* BUSE_FEAT_* */
	__u32	max_depth;
	__u32	max_io;
	__u32	max_index;
	__u32	__pad0;
	__u64	reserved[4];
};

/* struct buse_dev_info.flags (unknown bits are cleared and echoed back) */
#define BUSE_DEV_F_READ_ONLY	(1u << 0)
#define BUSE_DEV_F_ROTATIONAL	(1u << 1)	/* advertise a rotational disk */
#define BUSE_DEV_F_NO_WRITE_CACHE (1u << 2)	/* never advertise a volatile cache */
#define BUSE_DEV_F_NO_PARTSCAN	(1u << 3)	/* no partition scanning */
#define BUSE_DEV_F_RECOVERABLE	(1u << 4)	/* requests wait for a new server */
#define BUSE_DEV_F_OWNER	(1u << 5)	/* owner_uid/owner_gid are valid */
#define BUSE_DEV_F_PARTSCAN	(1u << 6)	/* with OWNER: scan partitions anyway */
#define BUSE_DEV_F_ALL		(BUSE_DEV_F_READ_ONLY | BUSE_DEV_F_ROTATIONAL | \
				 BUSE_DEV_F_NO_WRITE_CACHE | BUSE_DEV_F_NO_PARTSCAN | \
				 BUSE_DEV_F_RECOVERABLE | BUSE_DEV_F_OWNER | \
				 BUSE_DEV_F_PARTSCAN)

/*
 * Ownership (BUSE_DEV_F_OWNER): only CAP_SYS_ADMIN adds devices, but the
 * owner (uid, or a member of gid) may serve the device (/dev/busecN is
 * created owned by them, mode 0660), see its BUSE_CTL_INFO and remove it
 * (also with BUSE_REMOVE_F_FORCE: the owner can fail its device's I/O at
 * any time anyway, by stopping its server).  Only the owner and
 * CAP_SYS_ADMIN may open an owned /dev/buseN (EACCES for anyone else,
 * whatever the node's mode), and an owned device's partition table, which
 * is the owner's data, is not scanned unless the creator also sets
 * BUSE_DEV_F_PARTSCAN.  Everyone may BUSE_CTL_VERSION and BUSE_CTL_LIST;
 * BUSE_CTL_INFO and BUSE_CTL_REMOVE of a device one does not own fail
 * with EACCES/EPERM.
 */
#define BUSE_NO_GROUP		0xffffffffu

/*
 * Recovery (BUSE_DEV_F_RECOVERABLE): when the server goes away, requests
 * it had not completed are requeued and new requests wait (state
 * RECOVERING); the next server to attach gets them all.  After
 * recovery_timeout seconds (0: never) without a server, waiting and new
 * requests fail with EIO until a server attaches.
 */

/* struct buse_dev_info.state */
enum buse_state {
	BUSE_STATE_IDLE		= 0,	/* no server: I/O fails with EIO */
	BUSE_STATE_RUNNING	= 1,	/* a server is attached */
	BUSE_STATE_REMOVING	= 2,	/* being removed */
	BUSE_STATE_RECOVERING	= 3,	/* RECOVERABLE, no server: I/O waits */
};

/*
 * A device's parameters.  BUSE_CTL_ADD takes the input fields (0 selects
 * the default) and returns the whole structure as the driver set it up.
 */
struct buse_dev_info {
	__u32	index;			/* in/out; BUSE_INDEX_ANY on ADD */
	__u32	flags;			/* in/out: BUSE_DEV_F_* */
	__u64	size;			/* bytes; 0: set by the first server */
	__u32	logical_block_size;	/* 512..PAGE_SIZE, power of two */
	__u32	physical_block_size;	/* >= logical, power of two, <= PAGE_SIZE */
	__u32	nr_queues;		/* 1..max_queues */
	__u32	queue_depth;		/* 1..max_depth */
	__u32	max_io;			/* bytes per READ/WRITE, multiple of PAGE_SIZE */
	__u32	nr_poll_queues;		/* 0..max_queues: see "Polled queues" */
	/* out only */
	__u32	state;			/* enum buse_state */
	__s32	server_pid;		/* 0 when no server is attached */
	__u32	ops;			/* BUSE_OP_BIT()s the server serves */
	__u32	__pad1;
	/* in/out; 0 selects the default */
	__u32	io_min;			/* bytes; default physical_block_size */
	__u32	io_opt;			/* bytes; default 0 (none) */
	__u32	max_discard;		/* bytes per DISCARD; default: maximum */
	__u32	max_write_zeroes;	/* bytes per WRITE_ZEROES; default: maximum */
	__u32	discard_granularity;	/* bytes; default logical_block_size */
	__u32	timeout;		/* seconds a request may be with the server; 0: no limit */
	/* RECOVERABLE: seconds I/O waits for a server; 0: forever */
	__u32	recovery_timeout;
	__u32	owner_uid;		/* with BUSE_DEV_F_OWNER */
	__u32	owner_gid;		/* with BUSE_DEV_F_OWNER; BUSE_NO_GROUP: none */
	__u32	__pad2;
	/*
	 * in/out: a name for /dev/disk/by-id/buse-SERIAL (sysfs
	 * buse/serial), up to BUSE_SERIAL_MAX characters of [A-Za-z0-9_.:-],
	 * NUL-padded; all zero: none.
	 */
	__u8	serial[16];
	__u64	reserved[1];
};

#define BUSE_SERIAL_MAX		15	/* serial[] holds a NUL after it */

/* struct buse_ctl_remove.flags */
#define BUSE_REMOVE_F_FORCE	(1u << 0)	/* remove even if open or mounted */
#define BUSE_REMOVE_F_ALL	BUSE_REMOVE_F_FORCE

/*
 * BUSE_CTL_REMOVE: EBUSY if the block device is open (mounted, say) unless
 * FORCE; with FORCE, pending and new I/O fails and the device disappears.
 */
struct buse_ctl_remove {
	__u32	index;
	__u32	flags;			/* BUSE_REMOVE_F_* */
	__u64	reserved[2];
};

/*
 * BUSE_CTL_LIST: fills indexes[] (a user pointer to count __u32) with the
 * existing indexes in ascending order and sets nr_devices to the total, which
 * may exceed count.
 */
struct buse_ctl_list {
	__u64	indexes;		/* user pointer to __u32[count] */
	__u32	count;			/* in: capacity of indexes[] */
	__u32	nr_devices;		/* out */
	__u64	reserved[2];
};

/*
 * The rule of "Results" above, shared by the kernel (which drops a
 * completion breaking it) and servers (which should never send one):
 * is @res a valid cqe.result for a request of @op and @len bytes on a
 * device whose logical block size is @lbs?
 */
static __inline__ int buse_result_valid(__u32 op, __u32 len, __u32 lbs,
					__s32 res)
{
	if (res == 0 || (res > 0 && (__u32)res == len))
		return 1;
	if (res < 0)
		return res >= -BUSE_MAX_ERRNO;
	return (__u32)res < len && (op == BUSE_OP_READ || op == BUSE_OP_WRITE) &&
	       !((__u32)res & (lbs - 1));
}

#define BUSE_IOCTL_MAGIC	0xbe

#define BUSE_CTL_VERSION	_IOWR(BUSE_IOCTL_MAGIC, 0x00, struct buse_version)
#define BUSE_CTL_ADD		_IOWR(BUSE_IOCTL_MAGIC, 0x01, struct buse_dev_info)
#define BUSE_CTL_REMOVE		_IOWR(BUSE_IOCTL_MAGIC, 0x02, struct buse_ctl_remove)
#define BUSE_CTL_INFO		_IOWR(BUSE_IOCTL_MAGIC, 0x03, struct buse_dev_info)
#define BUSE_CTL_LIST		_IOWR(BUSE_IOCTL_MAGIC, 0x04, struct buse_ctl_list)

/* ------------------------------------------------------------------------
 * Server device: /dev/busecN
 */

/*
 * BUSE_IOC_ATTACH: called once on an open /dev/busecN, before mmap and
 * BUSE_IOC_RUN.  In: size (0 keeps the device's size; a device created
 * without a size requires one), ops (BUSE_OP_BIT()s the server implements
 * beyond READ and WRITE, plus BUSE_OPS_FUA; unknown bits are cleared),
 * flags (BUSE_ATTACH_F_*; unknown bits are cleared).
 * Out: the accepted ops and flags, and the ring geometry.
 * The rings (nr_queues x map_size bytes) are charged to the memory cgroup
 * of the attaching process, and all servers' rings together are limited
 * by buse.ko's parameter max_ring_mb (default: half of RAM).
 * Errors: EINVAL (bad size, reserved not zero), EBUSY (already
 * attached), ENODEV (device being removed, or this file's server exited),
 * ENOMEM (also: over max_ring_mb or the memory cgroup's limit).
 */

/*
 * struct buse_attach.flags: none defined yet (bit 0, WRITE_IN_RUN before
 * 2026-12-07, is cleared like any unknown bit).
 */
#define BUSE_ATTACH_F_ALL		0u

struct buse_attach {
	__u64	size;			/* in/out */
	__u32	ops;			/* in/out */
	__u32	flags;			/* in/out: BUSE_ATTACH_F_* */
	/* out */
	__u32	index;
	__u32	nr_queues;
	__u32	queue_depth;
	__u32	max_io;
	__u32	logical_block_size;
	__u32	physical_block_size;
	__u32	sq_entries;
	__u32	cq_entries;
	__u32	sq_off;
	__u32	cq_off;
	__u64	data_off;
	__u64	map_size;		/* length of each queue's mapping */
	__u32	dev_flags;		/* BUSE_DEV_F_* */
	/* the last nr_poll_queues of the nr_queues rings are polled queues */
	__u32	nr_poll_queues;
	__u64	reserved[6];
};

/* struct buse_run.flags */
#define BUSE_RUN_F_NOWAIT	(1u << 0)	/* consume completions, don't sleep */
#define BUSE_RUN_F_KICK		(1u << 1)	/* implies NOWAIT; see below */
#define BUSE_RUN_F_ALL		(BUSE_RUN_F_NOWAIT | BUSE_RUN_F_KICK)

/*
 * BUSE_IOC_RUN: consume the completion ring of one queue, then (unless
 * NOWAIT) sleep while the submission ring is empty (sq_head == sq_tail).
 * Any thread may call it on any queue at any time; completion processing
 * is serialised per queue in the kernel.
 * KICK: consume completions and make one sleeping (or the next) waiting
 * BUSE_IOC_RUN on this queue return at once with pending possibly 0: this
 * is how a library stops a queue thread, or hands it work, without races.
 * Out (also filled in when it fails with EINVAL for a bad completion):
 * completed (completions consumed), pending (sq_tail - sq_head at return),
 * rejected (bad completions dropped).
 * Errors: EINVAL (bad queue, flags, reserved, a bad completion or an
 * sq_head outside the ring: see above; the good completions are still
 * consumed), ENXIO (not attached), ENODEV (device removed, or the server
 * that attached this file exited: the caller should exit), EINTR.
 */
struct buse_run {
	__u32	queue;
	__u32	flags;			/* BUSE_RUN_F_* */
	__u32	completed;		/* out */
	__u32	pending;		/* out */
	__u32	rejected;		/* out: bad completions dropped */
	__u32	__pad0;			/* out: 0 */
	__u64	reserved[2];
};

/*
 * poll(2), select(2) and epoll on an attached /dev/busecN: readable
 * (EPOLLIN) when a queue's submission ring holds descriptors the server
 * has not consumed (sq_head != sq_tail) or a BUSE_RUN_F_KICK is pending;
 * EPOLLHUP when the device is being removed or this file's server exited
 * (BUSE_IOC_RUN then fails with ENODEV).  Before BUSE_IOC_ATTACH: EPOLLERR.
 * With BUSE_IOC_RUN and BUSE_RUN_F_NOWAIT, one thread can serve every
 * queue of several devices, and wait on its own sockets at the same time.
 */

#define BUSE_IOC_ATTACH		_IOWR(BUSE_IOCTL_MAGIC, 0x40, struct buse_attach)
#define BUSE_IOC_RUN		_IOWR(BUSE_IOCTL_MAGIC, 0x41, struct buse_run)

#endif /* _UAPI_LINUX_BUSE_H */
