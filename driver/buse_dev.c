// SPDX-License-Identifier: GPL-2.0
/*
 * buse_dev.c - buse devices: the device table, creation and removal, the
 * nodes /dev/buseN (a blk-mq disk whose operations are in buse_rq.c) and
 * /dev/busecN (whose file operations are in buse_server.c), their limits,
 * owners, sysfs attributes and recovery.
 */
#include <linux/module.h>
#include <linux/idr.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/ctype.h>
#include <linux/string.h>
#include <linux/version.h>

#include "buse.h"

int buse_major;
dev_t buse_chr_base;
static struct class *buse_class;

/* All devices by index.  A reserved (NULL) entry is a device being added. */
static DEFINE_IDR(buse_devs);
/*
 * Protects buse_devs.  Lock order: buse_devs_lock, then buse_dev.lock.
 */
static DEFINE_MUTEX(buse_devs_lock);

/* Only the owner (or CAP_SYS_ADMIN) opens an owned disk, whatever its mode. */
static int buse_bdev_check_open(struct gendisk *disk)
{
	const struct buse_dev *dev = disk->private_data;

	if (!(dev->info.flags & BUSE_DEV_F_OWNER) || buse_dev_is_owner(dev))
		return 0;
	return -EACCES;
}

/* 6.5: open takes the gendisk and a blk_mode_t. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
static int buse_bdev_open(struct gendisk *disk, blk_mode_t mode)
{
	return buse_bdev_check_open(disk);
}
#else
static int buse_bdev_open(struct block_device *bdev, fmode_t mode)
{
	return buse_bdev_check_open(bdev->bd_disk);
}
#endif

static const struct block_device_operations buse_bdev_fops = {
	.owner	= THIS_MODULE,
	.open	= buse_bdev_open,
};

static void buse_dev_free(struct kref *kref)
{
	struct buse_dev *dev = container_of(kref, struct buse_dev, kref);
	unsigned int i;

	for (i = 0; i < dev->nr_hw_queues; i++)
		kfree(dev->queues[i].tags);
	kfree(dev->queues);
	mutex_destroy(&dev->lock);
	kfree(dev);
}

void buse_dev_put(struct buse_dev *dev)
{
	kref_put(&dev->kref, buse_dev_free);
}

struct buse_dev *buse_dev_get(u32 index)
{
	struct buse_dev *dev;

	mutex_lock(&buse_devs_lock);
	dev = idr_find(&buse_devs, index);
	if (dev)
		kref_get(&dev->kref);
	mutex_unlock(&buse_devs_lock);
	return dev;
}

/*
 * Lets the requests a RECOVERABLE device held back go: to the new server,
 * or to fail.  Called with dev->lock held.
 */
void buse_dev_end_recovery_locked(struct buse_dev *dev)
{
	if (!dev->recovery_quiesced)
		return;
	dev->recovery_quiesced = false;
	/* Not _sync: the work takes dev->lock; it re-checks the state. */
	cancel_delayed_work(&dev->recovery_work);
	blk_mq_unquiesce_queue(dev->disk->queue);
	blk_mq_kick_requeue_list(dev->disk->queue);
}

static void buse_dev_recovery_expired(struct work_struct *work)
{
	struct buse_dev *dev = container_of(to_delayed_work(work),
					    struct buse_dev, recovery_work);

	mutex_lock(&dev->lock);
	if (dev->state == BUSE_STATE_RECOVERING) {
		pr_info("%s: no server for %us, failing I/O\n",
			dev->disk->disk_name, dev->info.recovery_timeout);
		WRITE_ONCE(dev->state, BUSE_STATE_IDLE);
		buse_dev_end_recovery_locked(dev);
	}
	mutex_unlock(&dev->lock);
}

/*
 * May the caller serve, see and remove @dev?  The owner rule first, so that
 * an owner's calls log no capability check (audit, LSMs).
 */
bool buse_dev_is_owner(const struct buse_dev *dev)
{
	if ((dev->info.flags & BUSE_DEV_F_OWNER) &&
	    (uid_eq(current_fsuid(), dev->owner_uid) ||
	     (gid_valid(dev->owner_gid) && in_group_p(dev->owner_gid))))
		return true;
	return capable(CAP_SYS_ADMIN);
}

/*
 * buse/owner_uid and buse/owner_gid under /sys/block/buseN and
 * /sys/class/buse/busecN: the owner of a device made with BUSE_DEV_F_OWNER,
 * for udev (udev/60-buse.rules gives the owner both nodes).  Absent on
 * devices without an owner (or without a group).  buse/serial: the name
 * given at BUSE_CTL_ADD, for /dev/disk/by-id; absent without one.
 */
static struct buse_dev *buse_dev_chardev_dev(struct device *d);

static const struct buse_dev *buse_attr_dev(struct device *d)
{
	return buse_dev_chardev_dev(d) ?: dev_to_disk(d)->private_data;
}

static ssize_t owner_uid_show(struct device *d, struct device_attribute *attr,
			      char *buf)
{
	const struct buse_dev *dev = buse_attr_dev(d);

	return sysfs_emit(buf, "%u\n",
			  from_kuid_munged(current_user_ns(), dev->owner_uid));
}
static DEVICE_ATTR_RO(owner_uid);

static ssize_t owner_gid_show(struct device *d, struct device_attribute *attr,
			      char *buf)
{
	const struct buse_dev *dev = buse_attr_dev(d);

	return sysfs_emit(buf, "%u\n",
			  from_kgid_munged(current_user_ns(), dev->owner_gid));
}
static DEVICE_ATTR_RO(owner_gid);

/* buse/serial: for /dev/disk/by-id/buse-SERIAL (udev/60-buse.rules). */
static ssize_t serial_show(struct device *d, struct device_attribute *attr,
			   char *buf)
{
	const struct buse_dev *dev = buse_attr_dev(d);

	return sysfs_emit(buf, "%s\n", dev->info.serial);
}
static DEVICE_ATTR_RO(serial);

static struct attribute *buse_owner_attrs[] = {
	&dev_attr_owner_uid.attr,
	&dev_attr_owner_gid.attr,
	&dev_attr_serial.attr,
	NULL,
};

static umode_t buse_owner_attr_visible(struct kobject *kobj,
				       struct attribute *a, int n)
{
	const struct buse_dev *dev = buse_attr_dev(kobj_to_dev(kobj));

	if (a == &dev_attr_serial.attr)
		return dev->info.serial[0] ? a->mode : 0;
	if (!(dev->info.flags & BUSE_DEV_F_OWNER))
		return 0;
	if (a == &dev_attr_owner_gid.attr && !gid_valid(dev->owner_gid))
		return 0;
	return a->mode;
}

static const struct attribute_group buse_owner_attr_group = {
	.name		= "buse",
	.attrs		= buse_owner_attrs,
	.is_visible	= buse_owner_attr_visible,
};

static const struct attribute_group *buse_dev_attr_groups[] = {
	&buse_owner_attr_group,
	NULL,
};

/* ------------------------------------------------------------------------
 * Limits
 */

/*
 * Advertises the optional operations of a newly attached server.  Called
 * under dev->lock with no request of ours in flight (no server attached).
 */
int buse_dev_set_server_limits(struct buse_dev *dev, u32 ops)
{
	struct buse_limits bl = dev->limits;
	unsigned int memflags;
	int ret;

	bl.write_cache = ops & BUSE_OP_BIT(BUSE_OP_FLUSH);
	bl.fua = ops & BUSE_OPS_FUA;
	if (ops & BUSE_OP_BIT(BUSE_OP_DISCARD)) {
		bl.max_discard_sectors = dev->info.max_discard >> SECTOR_SHIFT;
		bl.discard_granularity = dev->info.discard_granularity;
	}
	if (ops & BUSE_OP_BIT(BUSE_OP_WRITE_ZEROES))
		bl.max_write_zeroes_sectors =
			dev->info.max_write_zeroes >> SECTOR_SHIFT;
	if (ops & BUSE_OP_BIT(BUSE_OP_SECURE_ERASE))
		bl.max_secure_erase_sectors =
			dev->info.max_discard >> SECTOR_SHIFT;

	/*
	 * Requests held back for recovery would never let a freeze finish;
	 * the queue is quiesced then, so nothing is dispatched meanwhile, and
	 * queue_rq() refuses any operation the new server lacks.
	 */
	if (dev->recovery_quiesced)
		return buse_apply_limits(dev->disk, &bl);
	memflags = buse_freeze_queue(dev->disk->queue);
	ret = buse_apply_limits(dev->disk, &bl);
	buse_unfreeze_queue(dev->disk->queue, memflags);
	return ret;
}

/* ------------------------------------------------------------------------
 * Nodes
 */

/* 6.2: device_type.devnode takes a const device. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define BUSE_DEVNODE_CONST const
#else
#define BUSE_DEVNODE_CONST
#endif

/* /dev/busecN belongs to the device's owner, if it has one. */
static char *buse_chardev_devnode(BUSE_DEVNODE_CONST struct device *d,
				  umode_t *mode, kuid_t *uid, kgid_t *gid)
{
	const struct buse_dev *dev = dev_get_drvdata(d);

	if (dev && (dev->info.flags & BUSE_DEV_F_OWNER)) {
		/* Callers may ask for only some of these. */
		if (uid)
			*uid = dev->owner_uid;
		if (gid && gid_valid(dev->owner_gid))
			*gid = dev->owner_gid;
		if (mode)
			*mode = 0660;
	}
	return NULL;
}

static const struct device_type buse_chardev_type = {
	.name		= "buse_server",
	.devnode	= buse_chardev_devnode,
	.groups		= buse_dev_attr_groups,
};

static struct buse_dev *buse_dev_chardev_dev(struct device *d)
{
	return d->type == &buse_chardev_type ? dev_get_drvdata(d) : NULL;
}

static void buse_chardev_release(struct device *d)
{
	kfree(d);
}

static int buse_dev_create_chardev(struct buse_dev *dev)
{
	struct device *d;
	int ret;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	device_initialize(d);
	d->class = buse_class;
	d->type = &buse_chardev_type;
	d->devt = MKDEV(MAJOR(buse_chr_base), dev->index);
	d->release = buse_chardev_release;
	dev_set_drvdata(d, dev);
	ret = dev_set_name(d, "busec%u", dev->index);
	if (ret)
		goto out_put_device;
	ret = device_add(d);
	if (ret)
		goto out_put_device;
	dev->chardev = d;
	return 0;

out_put_device:
	put_device(d);
	return ret;
}

static void buse_dev_destroy_chardev(struct buse_dev *dev)
{
	device_unregister(dev->chardev);
	dev->chardev = NULL;
}

/* ------------------------------------------------------------------------
 * Device table
 */

/* 0 selects @def; otherwise a multiple of @align no larger than @max. */
static int buse_default_multiple(u32 *val, u32 def, u32 align, u32 max)
{
	if (!*val)
		*val = def;
	if (*val % align || *val > max)
		return -EINVAL;
	return 0;
}

/* A serial: [A-Za-z0-9_.:-], NUL-padded, at most BUSE_SERIAL_MAX long. */
static bool buse_serial_valid(const u8 *serial)
{
	size_t len = strnlen((const char *)serial, BUSE_SERIAL_MAX + 1);
	size_t i;

	if (len > BUSE_SERIAL_MAX ||
	    memchr_inv(serial + len, 0, sizeof_field(struct buse_dev_info,
						     serial) - len))
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(serial[i]) && !strchr("_.:-", serial[i]))
			return false;
	return true;
}

/*
 * The default number of (not polled) queues: one per online CPU, so that
 * every CPU submits to a queue of its own (one queue shared by all CPUs
 * serialises submitters and servers alike), but fewer if their buffers of
 * @per_queue bytes each would take more than 1/16 of RAM.
 */
static u32 buse_default_queues(u32 max_queues, u64 per_queue)
{
	u64 budget = ((u64)totalram_pages() << PAGE_SHIFT) / 16;
	u32 n = min_t(u32, num_online_cpus(), max_queues);

	while (n > 1 && n * per_queue > budget)
		n--;
	return n;
}

static int buse_validate_info(struct buse_dev_info *info)
{
	unsigned int max_queues = min_t(unsigned int, nr_cpu_ids,
					BUSE_MAX_QUEUES);
	u32 lbs, max_nodata;

	if (memchr_inv(info->reserved, 0, sizeof(info->reserved)) ||
	    info->__pad2)
		return -EINVAL;
	info->flags &= BUSE_DEV_F_ALL;
	if (!(info->flags & BUSE_DEV_F_OWNER)) {
		info->owner_uid = 0;
		info->owner_gid = 0;
	} else if (!uid_valid(make_kuid(current_user_ns(), info->owner_uid)) ||
		   (info->owner_gid != BUSE_NO_GROUP &&
		    !gid_valid(make_kgid(current_user_ns(), info->owner_gid)))) {
		return -EINVAL;
	}

	if (info->index != BUSE_INDEX_ANY && info->index > BUSE_MAX_INDEX)
		return -EINVAL;
	if (!buse_serial_valid(info->serial))
		return -EINVAL;

	if (!info->logical_block_size)
		info->logical_block_size = BUSE_DEF_BLOCK_SIZE;
	if (!info->physical_block_size)
		info->physical_block_size = info->logical_block_size;
	if (!is_power_of_2(info->logical_block_size) ||
	    info->logical_block_size < BUSE_MIN_BLOCK_SIZE ||
	    info->logical_block_size > BUSE_MAX_BLOCK_SIZE)
		return -EINVAL;
	if (!is_power_of_2(info->physical_block_size) ||
	    info->physical_block_size < info->logical_block_size ||
	    info->physical_block_size > BUSE_MAX_BLOCK_SIZE)
		return -EINVAL;

	if (info->size % info->logical_block_size ||
	    info->size > BUSE_MAX_SIZE)
		return -EINVAL;

	lbs = info->logical_block_size;
	max_nodata = BUSE_MAX_NODATA_BYTES(lbs);
	if (buse_default_multiple(&info->io_min, info->physical_block_size,
				  lbs, BUSE_MAX_IO_HINT) ||
	    buse_default_multiple(&info->io_opt, 0, lbs, BUSE_MAX_IO_HINT) ||
	    buse_default_multiple(&info->max_discard, max_nodata, lbs,
				  max_nodata) ||
	    buse_default_multiple(&info->max_write_zeroes, max_nodata, lbs,
				  max_nodata) ||
	    buse_default_multiple(&info->discard_granularity, lbs, lbs,
				  BUSE_MAX_IO_HINT) ||
	    !is_power_of_2(info->discard_granularity) ||
	    info->max_discard < info->discard_granularity)
		return -EINVAL;
	if (info->timeout > BUSE_MAX_TIMEOUT ||
	    info->recovery_timeout > BUSE_MAX_TIMEOUT)
		return -EINVAL;

	if (info->nr_queues > max_queues || info->nr_poll_queues > max_queues)
		return -EINVAL;
	if (!info->queue_depth)
		info->queue_depth = BUSE_DEF_DEPTH;
	if (info->queue_depth > BUSE_MAX_DEPTH)
		return -EINVAL;
	if (!info->max_io)
		info->max_io = BUSE_DEF_MAX_IO;
	if (info->max_io < BUSE_MIN_MAX_IO || info->max_io > BUSE_MAX_MAX_IO ||
	    info->max_io % PAGE_SIZE)
		return -EINVAL;
	if ((u64)info->queue_depth * info->max_io > BUSE_MAX_QUEUE_BUFFERS)
		return -EINVAL;
	if (!info->nr_queues)
		info->nr_queues =
			buse_default_queues(max_queues, (u64)info->queue_depth *
							info->max_io);
	/*
	 * The rings are allocated whole when a server attaches; refuse now a
	 * device whose rings could not reasonably be had.
	 */
	if ((u64)(info->nr_queues + info->nr_poll_queues) *
	    info->queue_depth * info->max_io >
	    ((u64)totalram_pages() << PAGE_SHIFT) / 4)
		return -ENOMEM;

	/* Output fields. */
	info->state = BUSE_STATE_IDLE;
	info->server_pid = 0;
	info->ops = 0;
	info->__pad1 = 0;
	return 0;
}

static int buse_dev_alloc_queues(struct buse_dev *dev)
{
	unsigned int i;

	dev->queues = kcalloc(dev->nr_hw_queues, sizeof(*dev->queues),
			      GFP_KERNEL);
	if (!dev->queues)
		return -ENOMEM;
	for (i = 0; i < dev->nr_hw_queues; i++) {
		struct buse_queue *bq = &dev->queues[i];

		bq->dev = dev;
		bq->index = i;
		spin_lock_init(&bq->lock);
		init_waitqueue_head(&bq->wait);
		bq->tags = kcalloc(dev->info.queue_depth, sizeof(*bq->tags),
				   GFP_KERNEL);
		if (!bq->tags)
			return -ENOMEM;	/* buse_dev_free() frees the rest */
	}
	return 0;
}

int buse_dev_add(struct buse_dev_info *info)
{
	struct buse_dev *dev;
	struct gendisk *disk;
	int index, ret;

	ret = buse_validate_info(info);
	if (ret)
		return ret;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	kref_init(&dev->kref);
	mutex_init(&dev->lock);
	dev->state = BUSE_STATE_IDLE;
	dev->info = *info;
	dev->nr_hw_queues = info->nr_queues + info->nr_poll_queues;
	INIT_DELAYED_WORK(&dev->recovery_work, buse_dev_recovery_expired);
	dev->owner_uid = INVALID_UID;
	dev->owner_gid = INVALID_GID;
	if (info->flags & BUSE_DEV_F_OWNER) {
		dev->owner_uid = make_kuid(current_user_ns(), info->owner_uid);
		if (info->owner_gid != BUSE_NO_GROUP)
			dev->owner_gid = make_kgid(current_user_ns(),
						   info->owner_gid);
	}
	ret = buse_dev_alloc_queues(dev);
	if (ret)
		goto out_put_dev;

	/* Reserve the index: a NULL entry is invisible to lookups. */
	mutex_lock(&buse_devs_lock);
	if (info->index == BUSE_INDEX_ANY)
		index = idr_alloc(&buse_devs, NULL, 0, BUSE_MAX_INDEX + 1,
				  GFP_KERNEL);
	else
		index = idr_alloc(&buse_devs, NULL, info->index,
				  info->index + 1, GFP_KERNEL);
	mutex_unlock(&buse_devs_lock);
	if (index < 0) {
		ret = index == -ENOSPC && info->index != BUSE_INDEX_ANY ?
			-EEXIST : index;
		goto out_put_dev;
	}
	dev->index = index;
	dev->info.index = index;

	dev->tag_set.ops = &buse_mq_ops;
	dev->tag_set.nr_hw_queues = dev->nr_hw_queues;
	/* Polled queues: a map of their own, after the default one. */
	dev->tag_set.nr_maps = dev->info.nr_poll_queues ? HCTX_MAX_TYPES : 1;
	dev->tag_set.queue_depth = dev->info.queue_depth;
	dev->tag_set.numa_node = NUMA_NO_NODE;
	dev->tag_set.flags = BUSE_TAG_SET_FLAGS;
	dev->tag_set.driver_data = dev;
	if (dev->info.timeout)
		dev->tag_set.timeout = dev->info.timeout * HZ;
	ret = blk_mq_alloc_tag_set(&dev->tag_set);
	if (ret)
		goto out_free_index;

	dev->limits.logical_block_size = dev->info.logical_block_size;
	dev->limits.physical_block_size = dev->info.physical_block_size;
	dev->limits.max_hw_sectors = dev->info.max_io >> SECTOR_SHIFT;
	/* Data is copied, so segments may be anything. */
	dev->limits.max_segments = USHRT_MAX;
	dev->limits.max_segment_size = UINT_MAX;
	dev->limits.io_min = dev->info.io_min;
	dev->limits.io_opt = dev->info.io_opt;
	dev->limits.rotational = dev->info.flags & BUSE_DEV_F_ROTATIONAL;
	disk = buse_alloc_disk(&dev->tag_set, &dev->limits, dev);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		goto out_free_tag_set;
	}
	dev->disk = disk;
	disk->major = buse_major;
	disk->first_minor = index * BUSE_MINORS_PER_DISK;
	disk->minors = BUSE_MINORS_PER_DISK;
	disk->fops = &buse_bdev_fops;
	disk->private_data = dev;
	snprintf(disk->disk_name, sizeof(disk->disk_name), "buse%d", index);
	/* Capacity 0 until a server attaches: nothing to scan or fail. */
	set_capacity(disk, 0);
	set_disk_ro(disk, dev->info.flags & BUSE_DEV_F_READ_ONLY);
	/* An owned device's partition table is scanned only if root asked. */
	if ((dev->info.flags & BUSE_DEV_F_NO_PARTSCAN) ||
	    ((dev->info.flags & BUSE_DEV_F_OWNER) &&
	     !(dev->info.flags & BUSE_DEV_F_PARTSCAN)))
		disk->flags |= GENHD_FL_NO_PART;

	ret = device_add_disk(NULL, disk, buse_dev_attr_groups);
	if (ret)
		goto out_put_disk;

	ret = buse_dev_create_chardev(dev);
	if (ret)
		goto out_del_disk;

	mutex_lock(&buse_devs_lock);
	idr_replace(&buse_devs, dev, index);
	mutex_unlock(&buse_devs_lock);

	*info = dev->info;
	return 0;

out_del_disk:
	del_gendisk(disk);
out_put_disk:
	put_disk(disk);
out_free_tag_set:
	blk_mq_free_tag_set(&dev->tag_set);
out_free_index:
	mutex_lock(&buse_devs_lock);
	idr_remove(&buse_devs, index);
	mutex_unlock(&buse_devs_lock);
out_put_dev:
	buse_dev_put(dev);
	return ret;
}

/*
 * Stops all I/O to the server of @dev: new requests fail, requests the
 * server holds fail, and its BUSE_IOC_RUN returns ENODEV from now on.
 * Once this returns no queue_rq() uses a server's ring any more.
 * Called with dev->lock held.
 */
static void buse_dev_shut_locked(struct buse_dev *dev)
{
	unsigned int i;

	WRITE_ONCE(dev->state, BUSE_STATE_REMOVING);
	for (i = 0; i < dev->nr_hw_queues; i++) {
		spin_lock(&dev->queues[i].lock);
		WRITE_ONCE(dev->queues[i].ring, NULL);
		spin_unlock(&dev->queues[i].lock);
	}
	blk_mq_quiesce_queue(dev->disk->queue);
	buse_rq_fail_inflight(dev);
	blk_mq_unquiesce_queue(dev->disk->queue);
	/* Held-back requests now reach queue_rq(), which fails them. */
	buse_dev_end_recovery_locked(dev);
	for (i = 0; i < dev->nr_hw_queues; i++)
		wake_up_all(&dev->queues[i].wait);
}

/*
 * Removes device @index.  @check_owner: the caller must own it (the
 * control ioctl); module unload removes every device whoever unloads.
 */
static int buse_dev_do_remove(u32 index, u32 flags, bool check_owner)
{
	struct buse_dev *dev;

	if (index > BUSE_MAX_INDEX || (flags & ~BUSE_REMOVE_F_ALL))
		return -EINVAL;

	mutex_lock(&buse_devs_lock);
	dev = idr_find(&buse_devs, index);
	if (!dev) {
		mutex_unlock(&buse_devs_lock);
		return -ENODEV;
	}
	mutex_lock(&dev->lock);
	if (dev->state == BUSE_STATE_REMOVING) {
		mutex_unlock(&dev->lock);
		mutex_unlock(&buse_devs_lock);
		return -ENODEV;
	}
	if (check_owner && !buse_dev_is_owner(dev)) {
		mutex_unlock(&dev->lock);
		mutex_unlock(&buse_devs_lock);
		return -EPERM;
	}
	/* An opener that comes after this check sees the disk die. */
	if (!(flags & BUSE_REMOVE_F_FORCE) && disk_openers(dev->disk)) {
		mutex_unlock(&dev->lock);
		mutex_unlock(&buse_devs_lock);
		return -EBUSY;
	}
	buse_dev_shut_locked(dev);
	mutex_unlock(&dev->lock);
	mutex_unlock(&buse_devs_lock);
	cancel_delayed_work_sync(&dev->recovery_work);

	/*
	 * The index stays taken (REMOVING) until the disk is gone, so a new
	 * device cannot collide with the old one's names.
	 */
	buse_dev_destroy_chardev(dev);
	del_gendisk(dev->disk);
	put_disk(dev->disk);
	blk_mq_free_tag_set(&dev->tag_set);

	mutex_lock(&buse_devs_lock);
	idr_remove(&buse_devs, index);
	mutex_unlock(&buse_devs_lock);
	buse_dev_put(dev);
	return 0;
}

int buse_dev_remove(u32 index, u32 flags)
{
	return buse_dev_do_remove(index, flags, true);
}

/*
 * Module unload: no control file is open and no device is open (each
 * holds the module), so nothing can add or remove devices meanwhile.
 * delete_module() needs only CAP_SYS_MODULE: no owner check here, or a
 * device could outlive the module's code.
 */
void buse_dev_remove_all(void)
{
	struct buse_dev *dev;
	int id, ret;

	for (id = 0; ; id++) {
		mutex_lock(&buse_devs_lock);
		dev = idr_get_next(&buse_devs, &id);
		mutex_unlock(&buse_devs_lock);
		if (!dev)
			break;
		ret = buse_dev_do_remove(id, BUSE_REMOVE_F_FORCE, false);
		WARN_ON_ONCE(ret && ret != -ENODEV);
	}
	idr_destroy(&buse_devs);
}

int buse_dev_info(u32 index, struct buse_dev_info *info)
{
	struct buse_dev *dev = buse_dev_get(index);

	if (!dev)
		return -ENODEV;
	if (!buse_dev_is_owner(dev)) {
		buse_dev_put(dev);
		return -EACCES;
	}
	mutex_lock(&dev->lock);
	*info = dev->info;
	info->state = dev->state;
	info->server_pid = dev->server_pid ? pid_vnr(dev->server_pid) : 0;
	info->ops = dev->ops;
	mutex_unlock(&dev->lock);
	buse_dev_put(dev);
	return 0;
}

/*
 * Fills @indexes with up to @count device indexes, and *@nr_devices with
 * their number.  The indexes are taken under the table's lock and copied
 * to the caller after it: a user buffer whose page fault never ends
 * (userfaultfd, FUSE) must not hold the table up.
 */
int buse_dev_list(u32 __user *indexes, u32 count, u32 *nr_devices)
{
	struct buse_dev *dev;
	u32 *snap = NULL, n = 0, want;
	int id, ret = 0;

	/* At most one index per possible device. */
	want = min_t(u32, count, BUSE_MAX_INDEX + 1);
	if (want) {
		snap = kvmalloc_array(want, sizeof(*snap), GFP_KERNEL);
		if (!snap)
			return -ENOMEM;
	}
	mutex_lock(&buse_devs_lock);
	idr_for_each_entry(&buse_devs, dev, id) {
		if (n < want)
			snap[n] = id;
		n++;
	}
	mutex_unlock(&buse_devs_lock);
	if (want && copy_to_user(indexes, snap, min(n, want) * sizeof(*snap)))
		ret = -EFAULT;
	kvfree(snap);
	*nr_devices = n;
	return ret;
}

/*
 * Registers the block major and the char region of /dev/busecN and
 * creates the buse class; buse_server_init() then serves the region.
 */
int buse_dev_init(void)
{
	int ret;

	ret = register_blkdev(0, "buse");
	if (ret < 0)
		return ret;
	buse_major = ret;

	ret = alloc_chrdev_region(&buse_chr_base, 0, BUSE_MAX_INDEX + 1,
				  "busec");
	if (ret)
		goto out_unregister_blkdev;
	buse_class = buse_class_create("buse");
	if (IS_ERR(buse_class)) {
		ret = PTR_ERR(buse_class);
		goto out_unregister_region;
	}
	return 0;

out_unregister_region:
	unregister_chrdev_region(buse_chr_base, BUSE_MAX_INDEX + 1);
out_unregister_blkdev:
	unregister_blkdev(buse_major, "buse");
	return ret;
}

/* After buse_dev_remove_all() and buse_server_exit(). */
void buse_dev_exit(void)
{
	class_destroy(buse_class);
	unregister_chrdev_region(buse_chr_base, BUSE_MAX_INDEX + 1);
	unregister_blkdev(buse_major, "buse");
}
