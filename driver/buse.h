/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buse.h - internal structures of buse.ko.
 *
 * Objects and their lifetimes
 * ---------------------------
 * struct buse_dev     one device (index N): the gendisk /dev/buseN, the blk-mq
 *                     tag set, the per-queue submission state.  Reference
 *                     counted: one reference for the device table (dropped
 *                     when the device is removed), one per open /dev/busecN.
 * struct buse_server  one open file of /dev/busecN.  Owns the ring areas
 *                     (allocated at BUSE_IOC_ATTACH, freed when the file is
 *                     released: by then no mapping exists, since every
 *                     mapping holds a reference to the file).
 * struct buse_ring    one hardware queue's shared area of one server.
 *
 * Request life: queue_rq() starts the request and takes its tag IDLE ->
 * INFLIGHT, posting its descriptor.  Exactly one of these then ends the
 * request, decided by an atomic cmpxchg on the tag's state from INFLIGHT:
 * the server's completion (INFLIGHT -> COMPLETING -> IDLE), the kernel
 * failing it because the server went away or the device is being removed
 * (INFLIGHT -> IDLE), or its timeout (INFLIGHT -> ABANDONED).
 *
 * A timed-out issue's buffer (and descriptor) stay the server's until it
 * gives them back by completing that issue: the tag is ABANDONED meanwhile.
 * A request blk-mq hands the tag to then is started (its timeout runs) but
 * not posted: PARKED.  The give-back posts it (PARKED -> INFLIGHT), its
 * timeout fails it (PARKED -> ABANDONED again).  So the kernel never writes
 * a buffer the server may still be using, and every request ends by its
 * timeout whatever the server does.
 */
#ifndef _BUSE_H
#define _BUSE_H

#include <linux/blk-mq.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/pid.h>
#include <linux/uidgid.h>
#include <linux/workqueue.h>
#include <linux/buse.h>

#include "buse_compat.h"

#define BUSE_MINORS_PER_DISK	16	/* the disk and 15 partitions */

enum buse_tag_state {
	BUSE_TAG_IDLE = 0,
	BUSE_TAG_INFLIGHT,
	BUSE_TAG_COMPLETING,
	/*
	 * A give-back is posting the request parked on the tag: a timeout
	 * re-arms and a take-back waits until it is done.
	 */
	BUSE_TAG_POSTING,
	/* The issue (seq) timed out; the server still owns the buffer. */
	BUSE_TAG_ABANDONED,
	/* Issue seq is started, waiting for the give-back of seq - 1. */
	BUSE_TAG_PARKED,
};

/*
 * A tag's state word: the issue number (seq, 16 bits) and the state, so
 * one cmpxchg checks both: a completion or a timeout of an earlier issue
 * of the tag can never touch a later one.
 */
#define BUSE_TAG_STATE_MASK	0xffu
#define BUSE_TAG_SEQ_SHIFT	8
#define BUSE_TAG_WORD(seq, st)	(((u32)(seq) << BUSE_TAG_SEQ_SHIFT) | (st))
#define BUSE_TAG_SEQ(word)	((u16)((word) >> BUSE_TAG_SEQ_SHIFT))
#define BUSE_TAG_STATE(word)	((word) & BUSE_TAG_STATE_MASK)

struct buse_tag {
	/*
	 * Written by queue_rq() before state becomes INFLIGHT or PARKED
	 * (release); stable until the request ends.
	 */
	struct request *rq;
	u32 len;			/* of this issue, as the server sees it */
	int op;				/* enum buse_op of this issue */
	/* BUSE_TAG_WORD(seq, enum buse_tag_state); atomic ops only. */
	atomic_t state;
};

/*
 * One per hardware queue, in an array: padded to whole cache lines, so
 * that the server threads of two queues (on two CPUs) do not write to
 * one line.
 */
struct buse_ring {
	void *area;			/* vmalloc, charged to the memcg */
	struct buse_ring_hdr *hdr;
	struct buse_io_desc *sq;
	struct buse_io_cqe *cq;
	void *data;
	u32 sq_mask;			/* sq_entries - 1 */
	u32 cq_mask;			/* cq_entries - 1 */
	/*
	 * Serialises completion processing; protects cq_head.  BUSE_IOC_RUN
	 * takes it; queue_rq() and the blk-mq poll take it only with
	 * mutex_trylock() (they may not sleep), from an RCU read-side
	 * section that the detach's quiesce waits for.
	 */
	struct mutex cq_mutex;
	u32 cq_head;			/* private copy; protected by cq_mutex */
	/* Pending BUSE_RUN_F_KICK wake-ups; atomic. */
	atomic_t kick;
} ____cacheline_aligned_in_smp;

/*
 * One per hardware queue, in an array: padded to whole cache lines, so
 * that CPUs submitting to different queues do not write to one line.
 */
struct buse_queue {
	struct buse_dev *dev;
	unsigned int index;
	/*
	 * Serialises queue_rq() posting to the submission ring of this queue
	 * (blk-mq may dispatch to one hardware queue from several CPUs), and
	 * the attach/detach switch of @ring.  Protects sq_tail.
	 */
	spinlock_t lock;
	u32 sq_tail;			/* private copy; protected by lock */
	/*
	 * The attached server's ring, or NULL.  Written under lock; read by
	 * queue_rq() with READ_ONCE(): a detach clears it and then quiesces
	 * the queue, so a queue_rq() that saw it has finished with it before
	 * the ring can be freed.
	 */
	struct buse_ring *ring;
	/* Server threads sleeping in BUSE_IOC_RUN for this queue. */
	wait_queue_head_t wait;
	struct buse_tag *tags;		/* [queue_depth] */
} ____cacheline_aligned_in_smp;

struct buse_server {
	struct buse_dev *dev;		/* holds a reference */
	/* Set once by a successful BUSE_IOC_ATTACH; protected by dev->lock. */
	bool attached;
	/*
	 * Set (under dev->lock, then each cq_mutex taken once) when the server
	 * was detached while this file lives on: its process exited, but a
	 * child it forked still holds the file.  RUN then fails with ENODEV.
	 */
	bool detached;
	/* This file holds dev->server_open; protected by dev->lock. */
	bool holds_open;
	/* Bytes of ring memory counted in buse_ring_bytes. */
	u64 accounted;
	unsigned int nr_rings;
	u64 map_size;
	u32 sq_off, cq_off, data_off;
	u32 sq_entries, cq_entries;
	struct buse_ring *rings;	/* [nr_rings] */
};

struct buse_dev {
	struct kref kref;
	u32 index;
	/*
	 * Serialises attach, detach and removal of this device; protects
	 * info.size, server, server_pid, server_open and ops.  Lock order:
	 * buse_devs_lock, lock, a ring's cq_mutex, a queue's lock.
	 */
	struct mutex lock;
	/*
	 * enum buse_state.  Written under lock; read locklessly (READ_ONCE)
	 * by queue_rq() and the server, which re-check under lock where it
	 * matters.
	 */
	int state;
	/* /dev/busecN is open (one server per device); protected by lock. */
	bool server_open;
	struct buse_dev_info info;	/* parameters as created */
	struct buse_limits limits;	/* base limits (no optional ops) */
	struct buse_server *server;	/* attached server or NULL */
	struct pid *server_pid;		/* of the attached server, or NULL */
	/* BUSE_DEV_F_OWNER: who may serve, see and remove it. */
	kuid_t owner_uid;
	kgid_t owner_gid;		/* INVALID_GID: no group */
	/*
	 * RECOVERABLE: the queue is quiesced while waiting for a server
	 * (so requests wait); protected by lock.  recovery_work ends the
	 * wait after info.recovery_timeout.
	 */
	bool recovery_quiesced;
	struct delayed_work recovery_work;
	u32 ops;			/* BUSE_OP_BIT()s advertised */
	struct blk_mq_tag_set tag_set;
	struct gendisk *disk;
	struct device *chardev;		/* /dev/busecN */
	/*
	 * info.nr_queues + info.nr_poll_queues: the hardware queues, the
	 * polled ones last (HCTX_TYPE_POLL).  Constant.
	 */
	unsigned int nr_hw_queues;
	struct buse_queue *queues;	/* [nr_hw_queues] */
};

/*
 * The files, each using only those listed before it:
 *   buse_rq.c      the request path (blk-mq operations, completion,
 *                  timeout, take-back)
 *   buse_dev.c     the device table, the nodes /dev/buseN and /dev/busecN,
 *                  their limits, owners and recovery
 *   buse_server.c  the file operations of /dev/busecN: attach, mmap, RUN
 *   buse_main.c    the module and /dev/busectl
 */

/* buse_rq.c */
extern const struct blk_mq_ops buse_mq_ops;
/* Take back every request the server holds: fail it, or requeue it. */
void buse_rq_fail_inflight(struct buse_dev *dev);
void buse_rq_requeue_inflight(struct buse_dev *dev);
/* With ring->cq_mutex held (BUSE_IOC_RUN). */
unsigned int buse_queue_reap_locked(struct buse_queue *bq,
				    struct buse_ring *ring,
				    unsigned int *rejected,
				    struct io_comp_batch *iob,
				    unsigned int max, bool can_sleep);
/* Ends the requests buse_queue_reap_locked() batched in @iob. */
void buse_queue_end_batch(struct io_comp_batch *iob);

/* buse_dev.c */
extern int buse_major;
extern dev_t buse_chr_base;		/* /dev/busecN is (major, N) */
int buse_dev_init(void);
void buse_dev_exit(void);
int buse_dev_add(struct buse_dev_info *info);
int buse_dev_remove(u32 index, u32 flags);
int buse_dev_info(u32 index, struct buse_dev_info *info);
int buse_dev_list(u32 __user *indexes, u32 count, u32 *nr_devices);
void buse_dev_remove_all(void);
struct buse_dev *buse_dev_get(u32 index);
void buse_dev_put(struct buse_dev *dev);
int buse_dev_set_server_limits(struct buse_dev *dev, u32 ops);
void buse_dev_end_recovery_locked(struct buse_dev *dev);
bool buse_dev_is_owner(const struct buse_dev *dev);

/* buse_server.c */
int buse_server_init(void);
void buse_server_exit(void);

#endif /* _BUSE_H */
