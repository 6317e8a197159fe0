/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buse_compat.h - the kernel API differences buse spans (6.1 .. 7.3).
 *
 * Each helper hides one change; the release that made it is named, and
 * every #if tests exactly that release.  Booted and tested: 6.1, 6.12,
 * 7.3; the releases between are covered by these version tests only.
 */
#ifndef _BUSE_COMPAT_H
#define _BUSE_COMPAT_H

#include <linux/version.h>
#include <linux/blkdev.h>
#include <linux/blk-mq.h>
#include <linux/device.h>
#include <linux/mm.h>

/* 6.3: vma->vm_flags became read-only, changed through vm_flags_clear(). */
static inline void buse_vm_flags_clear(struct vm_area_struct *vma,
				       vm_flags_t flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

static inline void buse_vm_flags_set(struct vm_area_struct *vma,
				     vm_flags_t flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/* 6.5: BLK_STS_NEXUS was renamed BLK_STS_RESV_CONFLICT (still -EBADE). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#define BUSE_STS_RESV_CONFLICT	BLK_STS_RESV_CONFLICT
#else
#define BUSE_STS_RESV_CONFLICT	BLK_STS_NEXUS
#endif

/* 6.14: BLK_MQ_F_SHOULD_MERGE is gone (merging is always allowed). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 14, 0)
#define BUSE_TAG_SET_FLAGS	0
#else
#define BUSE_TAG_SET_FLAGS	BLK_MQ_F_SHOULD_MERGE
#endif

/*
 * 6.13 (and the 6.12 stable series since): a plug's list of requests is a
 * struct rq_list, and the rq_list helpers are inline functions; before, it
 * was a bare struct request * and the helpers were macros, which is what
 * tells the two apart (the 6.12 series changed within its versions).
 */
#ifdef rq_list_empty
typedef struct request *buse_rq_list_t;

static inline void buse_rq_list_init(buse_rq_list_t *l)
{
	*l = NULL;
}

static inline struct request *buse_rq_list_pop(buse_rq_list_t *l)
{
	return rq_list_pop(l);
}

/* Order is not kept: blk-mq issues what is left one by one anyway. */
static inline void buse_rq_list_push(buse_rq_list_t *l, struct request *rq)
{
	rq_list_add(l, rq);
}
#else
typedef struct rq_list buse_rq_list_t;

static inline void buse_rq_list_init(buse_rq_list_t *l)
{
	rq_list_init(l);
}

static inline struct request *buse_rq_list_pop(buse_rq_list_t *l)
{
	return rq_list_pop(l);
}

static inline void buse_rq_list_push(buse_rq_list_t *l, struct request *rq)
{
	rq_list_add_tail(l, rq);
}
#endif

/*
 * 6.14: blk_mq_freeze_queue() returns the memalloc flags it saved
 * (__must_check), and blk_mq_unfreeze_queue() takes them back.
 */
static inline unsigned int buse_freeze_queue(struct request_queue *q)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 14, 0)
	return blk_mq_freeze_queue(q);
#else
	blk_mq_freeze_queue(q);
	return 0;
#endif
}

static inline void buse_unfreeze_queue(struct request_queue *q,
				       unsigned int memflags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 14, 0)
	blk_mq_unfreeze_queue(q, memflags);
#else
	blk_mq_unfreeze_queue(q);
#endif
}

/* 6.4: class_create() lost its owner argument. */
static inline struct class *buse_class_create(const char *name)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	return class_create(name);
#else
	return class_create(THIS_MODULE, name);
#endif
}

/*
 * The block queue limits buse sets.  From 6.9 they are passed to
 * blk_mq_alloc_disk() and updated with queue_limits_{start,commit}_update();
 * before that, with the blk_queue_*() setters on a live queue.  From 6.11
 * the write cache, FUA and rotational flags are limits too
 * (lim->features); in 6.9 and 6.10 they are still set on the queue.
 */
struct buse_limits {
	unsigned int logical_block_size;
	unsigned int physical_block_size;
	unsigned int max_hw_sectors;
	unsigned int max_discard_sectors;
	unsigned int max_write_zeroes_sectors;
	unsigned int max_secure_erase_sectors;
	unsigned int discard_granularity;
	unsigned int max_segments;
	unsigned int max_segment_size;
	unsigned int io_min;
	unsigned int io_opt;
	bool rotational;
	bool write_cache;
	bool fua;
};

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
static inline void buse_limits_fill(struct queue_limits *lim,
				    const struct buse_limits *bl)
{
	lim->logical_block_size = bl->logical_block_size;
	lim->physical_block_size = bl->physical_block_size;
	lim->max_hw_sectors = bl->max_hw_sectors;
	lim->max_hw_discard_sectors = bl->max_discard_sectors;
	lim->max_write_zeroes_sectors = bl->max_write_zeroes_sectors;
	lim->max_secure_erase_sectors = bl->max_secure_erase_sectors;
	lim->discard_granularity = bl->discard_granularity;
	lim->max_segments = bl->max_segments;
	lim->max_segment_size = bl->max_segment_size;
	lim->io_min = bl->io_min;
	lim->io_opt = bl->io_opt;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	lim->features &= ~(BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA |
			   BLK_FEAT_ROTATIONAL);
	if (bl->rotational)
		lim->features |= BLK_FEAT_ROTATIONAL;
	if (bl->write_cache)
		lim->features |= BLK_FEAT_WRITE_CACHE;
	if (bl->write_cache && bl->fua)
		lim->features |= BLK_FEAT_FUA;
#endif
}

/* 6.9 and 6.10: the flags that are not limits yet. */
static inline void buse_queue_flags_apply(struct request_queue *q,
					  const struct buse_limits *bl)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 11, 0)
	blk_queue_write_cache(q, bl->write_cache, bl->write_cache && bl->fua);
	if (bl->rotational)
		blk_queue_flag_clear(QUEUE_FLAG_NONROT, q);
	else
		blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
#endif
}

static inline struct gendisk *buse_alloc_disk(struct blk_mq_tag_set *set,
					      const struct buse_limits *bl,
					      void *queuedata)
{
	struct queue_limits lim = { };
	struct gendisk *disk;

	buse_limits_fill(&lim, bl);
	disk = blk_mq_alloc_disk(set, &lim, queuedata);
	if (!IS_ERR(disk))
		buse_queue_flags_apply(disk->queue, bl);
	return disk;
}

/* The queue must hold no request of ours (the caller freezes it). */
static inline int buse_apply_limits(struct gendisk *disk,
				    const struct buse_limits *bl)
{
	struct queue_limits lim = queue_limits_start_update(disk->queue);
	int ret;

	buse_limits_fill(&lim, bl);
	ret = queue_limits_commit_update(disk->queue, &lim);
	if (!ret)
		buse_queue_flags_apply(disk->queue, bl);
	return ret;
}
#else
static inline int buse_apply_limits(struct gendisk *disk,
				    const struct buse_limits *bl)
{
	struct request_queue *q = disk->queue;

	blk_queue_logical_block_size(q, bl->logical_block_size);
	blk_queue_physical_block_size(q, bl->physical_block_size);
	blk_queue_max_hw_sectors(q, bl->max_hw_sectors);
	blk_queue_max_discard_sectors(q, bl->max_discard_sectors);
	blk_queue_max_write_zeroes_sectors(q, bl->max_write_zeroes_sectors);
	blk_queue_max_secure_erase_sectors(q, bl->max_secure_erase_sectors);
	q->limits.discard_granularity = bl->discard_granularity;
	blk_queue_max_segments(q, bl->max_segments);
	blk_queue_max_segment_size(q, bl->max_segment_size);
	blk_queue_io_min(q, bl->io_min);
	blk_queue_io_opt(q, bl->io_opt);
	blk_queue_write_cache(q, bl->write_cache, bl->write_cache && bl->fua);
	if (bl->rotational)
		blk_queue_flag_clear(QUEUE_FLAG_NONROT, q);
	else
		blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	return 0;
}

static inline struct gendisk *buse_alloc_disk(struct blk_mq_tag_set *set,
					      const struct buse_limits *bl,
					      void *queuedata)
{
	struct gendisk *disk = blk_mq_alloc_disk(set, queuedata);

	if (!IS_ERR(disk))
		buse_apply_limits(disk, bl);
	return disk;
}
#endif

#endif /* _BUSE_COMPAT_H */
