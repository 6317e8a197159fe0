// SPDX-License-Identifier: GPL-2.0
/*
 * buse_server.c - /dev/busecN, the server's side: open (one server per
 * device), BUSE_IOC_ATTACH, mmap of the ring areas, BUSE_IOC_RUN, and the
 * detach that happens when the file is released.
 */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/cdev.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/log2.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include <linux/nospec.h>
#include <linux/sched/signal.h>
#include <linux/poll.h>

#include "buse.h"

static struct cdev buse_cdev;

/* ------------------------------------------------------------------------
 * Rings
 */

/*
 * Ring memory of all servers, in bytes, and its limit (module parameter
 * max_ring_mb; 0 means half of RAM).  Each server's rings are also charged
 * to the memory cgroup of the process that attaches.
 */
static atomic64_t buse_ring_bytes = ATOMIC64_INIT(0);
static unsigned int buse_max_ring_mb;
module_param_named(max_ring_mb, buse_max_ring_mb, uint, 0644);
MODULE_PARM_DESC(max_ring_mb,
		 "Ring memory of all servers together, in MiB (0: half of RAM)");

static u64 buse_ring_limit(void)
{
	unsigned int mb = READ_ONCE(buse_max_ring_mb);

	if (mb)
		return (u64)mb << 20;
	return ((u64)totalram_pages() << PAGE_SHIFT) / 2;
}

static void buse_server_free_rings(struct buse_server *srv)
{
	unsigned int i;

	atomic64_sub(srv->accounted, &buse_ring_bytes);
	srv->accounted = 0;
	if (!srv->rings)
		return;
	for (i = 0; i < srv->nr_rings; i++) {
		vfree(srv->rings[i].area);
		mutex_destroy(&srv->rings[i].cq_mutex);
	}
	kfree(srv->rings);
	srv->rings = NULL;
}

static int buse_server_alloc_rings(struct buse_server *srv)
{
	const struct buse_dev_info *info = &srv->dev->info;
	unsigned int i;

	srv->cq_entries = roundup_pow_of_two(info->queue_depth);
	/* Requests and as many BUSE_OP_CANCEL notices. */
	srv->sq_entries = 2 * srv->cq_entries;
	srv->sq_off = sizeof(struct buse_ring_hdr);
	srv->cq_off = srv->sq_off +
		      srv->sq_entries * sizeof(struct buse_io_desc);
	srv->data_off = PAGE_ALIGN(srv->cq_off +
				   srv->cq_entries * sizeof(struct buse_io_cqe));
	srv->map_size = srv->data_off + (u64)info->queue_depth * info->max_io;

	/* Within the module-wide limit, counted before allocating. */
	srv->accounted = srv->map_size * srv->dev->nr_hw_queues;
	if (atomic64_add_return(srv->accounted, &buse_ring_bytes) >
	    buse_ring_limit()) {
		pr_info_ratelimited("buse%u: %llu bytes of rings would exceed max_ring_mb\n",
				    srv->dev->index, srv->accounted);
		buse_server_free_rings(srv);
		return -ENOMEM;
	}
	srv->rings = kcalloc(srv->dev->nr_hw_queues, sizeof(*srv->rings),
			     GFP_KERNEL_ACCOUNT);
	if (!srv->rings) {
		buse_server_free_rings(srv);
		return -ENOMEM;
	}
	srv->nr_rings = srv->dev->nr_hw_queues;
	for (i = 0; i < srv->nr_rings; i++) {
		struct buse_ring *ring = &srv->rings[i];

		mutex_init(&ring->cq_mutex);
		ring->sq_mask = srv->sq_entries - 1;
		ring->cq_mask = srv->cq_entries - 1;
		/*
		 * Zeroed: nothing of the kernel's leaks to the server.
		 * Charged to the attaching process's memory cgroup.
		 */
		ring->area = __vmalloc(srv->map_size,
				       GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!ring->area) {
			buse_server_free_rings(srv);
			return -ENOMEM;
		}
		ring->hdr = ring->area;
		ring->sq = ring->area + srv->sq_off;
		ring->cq = ring->area + srv->cq_off;
		ring->data = ring->area + srv->data_off;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Attach and detach
 */

static int buse_server_attach_locked(struct buse_server *srv,
				     struct buse_attach *a)
{
	struct buse_dev *dev = srv->dev;
	u64 size = a->size;
	unsigned int i;
	u32 ops;
	int ret;

	if (srv->attached || dev->server)
		return -EBUSY;
	if (dev->state == BUSE_STATE_REMOVING)
		return -ENODEV;

	if (!size)
		size = dev->info.size;
	if (!size || size % dev->info.logical_block_size ||
	    size > BUSE_MAX_SIZE)
		return -EINVAL;
	if (dev->info.size && size != dev->info.size)
		return -EINVAL;

	ops = (a->ops & (BUSE_OPS_ALL | BUSE_OPS_FUA)) | BUSE_OPS_REQUIRED;
	if (dev->info.flags & BUSE_DEV_F_NO_WRITE_CACHE)
		ops &= ~BUSE_OP_BIT(BUSE_OP_FLUSH);
	if (!(ops & BUSE_OP_BIT(BUSE_OP_FLUSH)))
		ops &= ~BUSE_OPS_FUA;
	if (dev->info.flags & BUSE_DEV_F_READ_ONLY)
		ops &= ~(BUSE_OP_BIT(BUSE_OP_DISCARD) |
			 BUSE_OP_BIT(BUSE_OP_WRITE_ZEROES) |
			 BUSE_OP_BIT(BUSE_OP_SECURE_ERASE));

	ret = buse_server_alloc_rings(srv);
	if (ret)
		return ret;
	ret = buse_dev_set_server_limits(dev, ops);
	if (ret)
		goto out_free_rings;

	dev->info.size = size;
	WRITE_ONCE(dev->ops, ops);
	dev->server = srv;
	dev->server_pid = get_pid(task_tgid(current));
	for (i = 0; i < dev->nr_hw_queues; i++) {
		struct buse_queue *bq = &dev->queues[i];

		spin_lock(&bq->lock);
		bq->sq_tail = 0;
		/* Pairs with queue_rq()'s acquire: the ring is set up. */
		smp_store_release(&bq->ring, &srv->rings[i]);
		spin_unlock(&bq->lock);
	}
	WRITE_ONCE(dev->state, BUSE_STATE_RUNNING);
	/* Publishes the rings to BUSE_IOC_RUN (pairs with its acquire). */
	smp_store_release(&srv->attached, true);
	set_capacity_and_notify(dev->disk, size >> SECTOR_SHIFT);
	/* Requests held back while recovering go to this server now. */
	buse_dev_end_recovery_locked(dev);

	a->size = size;
	a->ops = ops;
	a->index = dev->index;
	a->nr_queues = dev->nr_hw_queues;
	a->nr_poll_queues = dev->info.nr_poll_queues;
	a->queue_depth = dev->info.queue_depth;
	a->max_io = dev->info.max_io;
	a->logical_block_size = dev->info.logical_block_size;
	a->physical_block_size = dev->info.physical_block_size;
	a->sq_entries = srv->sq_entries;
	a->cq_entries = srv->cq_entries;
	a->sq_off = srv->sq_off;
	a->cq_off = srv->cq_off;
	a->data_off = srv->data_off;
	a->map_size = srv->map_size;
	a->dev_flags = dev->info.flags;
	return 0;

out_free_rings:
	buse_server_free_rings(srv);
	return ret;
}

static long buse_server_attach(struct buse_server *srv,
			       struct buse_attach __user *uarg)
{
	struct buse_dev *dev = srv->dev;
	struct buse_attach a;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (memchr_inv(a.reserved, 0, sizeof(a.reserved)))
		return -EINVAL;
	/* Unknown features are dropped: the server sees what it got. */
	a.flags &= BUSE_ATTACH_F_ALL;

	mutex_lock(&dev->lock);
	ret = buse_server_attach_locked(srv, &a);
	mutex_unlock(&dev->lock);
	if (ret)
		return ret;
	if (copy_to_user(uarg, &a, sizeof(a)))
		return -EFAULT;
	return 0;
}

/*
 * The server is gone: its requests fail, and so does new I/O until a server
 * attaches again.  Called with dev->lock held, from release only.
 */
static void buse_server_detach_locked(struct buse_server *srv)
{
	struct buse_dev *dev = srv->dev;
	unsigned int i;

	if (dev->state != BUSE_STATE_REMOVING) {
		/*
		 * A removal shuts the queues itself (and the disk may be on
		 * its way out); otherwise make the rings unreachable and
		 * wait until no queue_rq() uses them.  A recoverable device
		 * says so before the rings go, so that a request coming in
		 * between is retried (BLK_STS_RESOURCE), not failed.
		 */
		if (dev->info.flags & BUSE_DEV_F_RECOVERABLE)
			WRITE_ONCE(dev->state, BUSE_STATE_RECOVERING);
		for (i = 0; i < dev->nr_hw_queues; i++) {
			spin_lock(&dev->queues[i].lock);
			WRITE_ONCE(dev->queues[i].ring, NULL);
			spin_unlock(&dev->queues[i].lock);
		}
		blk_mq_quiesce_queue(dev->disk->queue);
		if (dev->info.flags & BUSE_DEV_F_RECOVERABLE) {
			/* Stay quiesced: requests wait for the next server. */
			buse_rq_requeue_inflight(dev);
			dev->recovery_quiesced = true;
			if (dev->info.recovery_timeout)
				mod_delayed_work(system_wq, &dev->recovery_work,
						 dev->info.recovery_timeout * HZ);
		} else {
			WRITE_ONCE(dev->state, BUSE_STATE_IDLE);
			buse_rq_fail_inflight(dev);
			blk_mq_unquiesce_queue(dev->disk->queue);
		}
	}
	WRITE_ONCE(dev->ops, 0);
	dev->server = NULL;
	put_pid(dev->server_pid);
	dev->server_pid = NULL;
}

/* ------------------------------------------------------------------------
 * Serving
 */

static bool buse_run_ready(struct buse_server *srv, struct buse_queue *bq,
			   struct buse_ring *ring)
{
	return READ_ONCE(bq->sq_tail) != READ_ONCE(ring->hdr->sq_head) ||
	       atomic_read(&ring->kick) ||
	       READ_ONCE(srv->dev->state) != BUSE_STATE_RUNNING ||
	       READ_ONCE(srv->detached);
}

/*
 * sq_head as the server stored it is sane: within the last sq_entries
 * indexes before the kernel's sq_tail.
 */
static bool buse_sq_head_sane(struct buse_queue *bq, struct buse_ring *ring)
{
	return READ_ONCE(bq->sq_tail) - READ_ONCE(ring->hdr->sq_head) <=
	       ring->sq_mask + 1;
}

static long buse_server_run(struct buse_server *srv,
			    struct buse_run __user *uarg)
{
	struct buse_dev *dev = srv->dev;
	unsigned int rejected = 0;
	struct buse_queue *bq;
	struct buse_ring *ring;
	DEFINE_IO_COMP_BATCH(iob);
	struct buse_run r;
	long ret = 0;
	bool wait;

	if (copy_from_user(&r, uarg, sizeof(r)))
		return -EFAULT;
	if ((r.flags & ~BUSE_RUN_F_ALL) ||
	    memchr_inv(r.reserved, 0, sizeof(r.reserved)))
		return -EINVAL;
	/* Pairs with the release in attach: the rings are set up. */
	/* Pairs with the attach's store-release: rings set up first. */
	if (!smp_load_acquire(&srv->attached))
		return -ENXIO;
	if (r.queue >= srv->nr_rings)
		return -EINVAL;
	r.queue = array_index_nospec(r.queue, srv->nr_rings);
	if (READ_ONCE(dev->state) == BUSE_STATE_REMOVING)
		return -ENODEV;

	bq = &dev->queues[r.queue];
	ring = &srv->rings[r.queue];
	/*
	 * A detach of this server (its process exited, a child holds the
	 * file) sets detached, then takes every cq_mutex once: from then on
	 * no RUN of this file touches the queues.
	 */
	mutex_lock(&ring->cq_mutex);
	if (READ_ONCE(srv->detached)) {
		mutex_unlock(&ring->cq_mutex);
		return -ENODEV;
	}
	r.completed = buse_queue_reap_locked(bq, ring, &rejected, &iob,
					     UINT_MAX, true);
	/* A broken server: nothing to wait for, and it must be told. */
	if (!buse_sq_head_sane(bq, ring))
		rejected++;
	r.rejected = rejected;
	wait = !(r.flags & (BUSE_RUN_F_KICK | BUSE_RUN_F_NOWAIT)) && !rejected;
	mutex_unlock(&ring->cq_mutex);
	/* Their tags are IDLE already: the batch ends them in one go. */
	if (iob.complete)
		iob.complete(&iob);

	if (r.flags & BUSE_RUN_F_KICK) {
		atomic_inc(&ring->kick);
		wake_up(&bq->wait);
	} else if (wait) {
		ret = wait_event_interruptible(bq->wait,
					       buse_run_ready(srv, bq, ring));
		atomic_dec_if_positive(&ring->kick);
		if (READ_ONCE(dev->state) == BUSE_STATE_REMOVING)
			return -ENODEV;
		if (ret)
			return ret;
		if (READ_ONCE(srv->detached))
			return -ENODEV;
	}

	r.pending = READ_ONCE(bq->sq_tail) - READ_ONCE(ring->hdr->sq_head);
	r.__pad0 = 0;
	if (copy_to_user(uarg, &r, sizeof(r)))
		return -EFAULT;
	return rejected ? -EINVAL : 0;
}

/* ------------------------------------------------------------------------
 * File operations
 */

static int buse_server_open(struct inode *inode, struct file *file)
{
	struct buse_server *srv;
	struct buse_dev *dev;
	int ret;

	dev = buse_dev_get(iminor(inode));
	if (!dev)
		return -ENODEV;

	srv = kzalloc(sizeof(*srv), GFP_KERNEL);
	if (!srv) {
		ret = -ENOMEM;
		goto out_put_dev;
	}
	srv->dev = dev;

	mutex_lock(&dev->lock);
	if (dev->state == BUSE_STATE_REMOVING)
		ret = -ENODEV;
	else if (!buse_dev_is_owner(dev))
		ret = -EACCES;
	else if (dev->server_open)
		ret = -EBUSY;
	else
		ret = 0;
	if (!ret) {
		dev->server_open = true;
		srv->holds_open = true;
	}
	mutex_unlock(&dev->lock);
	if (ret)
		goto out_free_srv;

	file->private_data = srv;
	return nonseekable_open(inode, file);

out_free_srv:
	kfree(srv);
out_put_dev:
	buse_dev_put(dev);
	return ret;
}

static int buse_server_release(struct inode *inode, struct file *file)
{
	struct buse_server *srv = file->private_data;
	struct buse_dev *dev = srv->dev;

	mutex_lock(&dev->lock);
	if (dev->server == srv)
		buse_server_detach_locked(srv);
	if (srv->holds_open) {
		dev->server_open = false;
		srv->holds_open = false;
	}
	mutex_unlock(&dev->lock);

	/* Every mapping held the file: none is left, no queue_rq() uses it. */
	buse_server_free_rings(srv);
	kfree(srv);
	buse_dev_put(dev);
	return 0;
}

/*
 * Called at every close of a descriptor of the file.  When the attached
 * server's process exits, its descriptors are closed after its memory is
 * gone; a child it forked (without exec) may still hold the file, and
 * would otherwise keep a dead server attached: requests would wait for
 * it.  Detach then, and let a new server open the device.
 */
static int buse_server_flush(struct file *file, fl_owner_t id)
{
	struct buse_server *srv = file->private_data;
	struct buse_dev *dev = srv->dev;
	bool detached = false;
	unsigned int i;

	if (!(current->flags & PF_EXITING))
		return 0;
	mutex_lock(&dev->lock);
	if (dev->server == srv && dev->server_pid == task_tgid(current)) {
		buse_server_detach_locked(srv);
		WRITE_ONCE(srv->detached, true);
		/*
		 * A RUN of the child that held a cq_mutex has finished with
		 * it, and every later one sees detached: none completes a
		 * request of the next server (still under dev->lock, which
		 * its attach takes).  Order: dev->lock, then cq_mutex.
		 */
		for (i = 0; i < srv->nr_rings; i++) {
			mutex_lock(&srv->rings[i].cq_mutex);
			mutex_unlock(&srv->rings[i].cq_mutex);
		}
		if (srv->holds_open) {
			dev->server_open = false;
			srv->holds_open = false;
		}
		detached = true;
	}
	mutex_unlock(&dev->lock);
	if (detached)
		for (i = 0; i < dev->nr_hw_queues; i++)
			wake_up_all(&dev->queues[i].wait);
	return 0;
}

static long buse_server_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct buse_server *srv = file->private_data;

	switch (cmd) {
	case BUSE_IOC_ATTACH:
		return buse_server_attach(srv, (void __user *)arg);
	case BUSE_IOC_RUN:
		return buse_server_run(srv, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static int buse_server_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct buse_server *srv = file->private_data;
	unsigned long offset = vma->vm_pgoff << PAGE_SHIFT;
	unsigned long q = offset >> BUSE_QUEUE_MMAP_SHIFT;
	unsigned long addr;
	void *area;
	int ret;

	/* Pairs with the attach's store-release: rings set up first. */
	if (!smp_load_acquire(&srv->attached))
		return -ENXIO;
	if (READ_ONCE(srv->detached))
		return -ENODEV;
	if (vma->vm_pgoff > (ULONG_MAX >> PAGE_SHIFT) ||
	    offset != BUSE_QUEUE_MMAP_OFFSET(q) || q >= srv->nr_rings)
		return -EINVAL;
	q = array_index_nospec(q, srv->nr_rings);
	if (vma->vm_end - vma->vm_start != srv->map_size)
		return -EINVAL;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	/* Rings and data are never code: no PROT_EXEC, now or by mprotect. */
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	buse_vm_flags_clear(vma, VM_MAYEXEC);
	/*
	 * Not inherited by fork(): only the server's own process serves.
	 * Neither grown by mremap() nor dumped.
	 */
	buse_vm_flags_set(vma, VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP);

	area = srv->rings[q].area;
	for (addr = vma->vm_start; addr < vma->vm_end; addr += PAGE_SIZE) {
		ret = vm_insert_page(vma, addr, vmalloc_to_page(area));
		if (ret)
			return ret;
		area += PAGE_SIZE;
		if (!((addr >> PAGE_SHIFT) & 511))
			cond_resched();
	}
	return 0;
}

/*
 * Readable when a queue has descriptors the server has not consumed (or a
 * KICK is pending): an event-loop server waits here, then serves each
 * queue with BUSE_IOC_RUN NOWAIT.  Every wake-up of a queue's RUN waiters
 * (a post, a KICK, a removal or detach) wakes the poller too.
 */
static __poll_t buse_server_poll(struct file *file, poll_table *wait)
{
	struct buse_server *srv = file->private_data;
	struct buse_dev *dev = srv->dev;
	__poll_t mask = 0;
	unsigned int i;

	/* Pairs with the release in attach: the rings are set up. */
	if (!smp_load_acquire(&srv->attached))
		return EPOLLERR;
	for (i = 0; i < srv->nr_rings; i++)
		poll_wait(file, &dev->queues[i].wait, wait);
	if (READ_ONCE(dev->state) == BUSE_STATE_REMOVING ||
	    READ_ONCE(srv->detached) || READ_ONCE(dev->server) != srv)
		return EPOLLHUP;
	for (i = 0; i < srv->nr_rings; i++)
		if (buse_run_ready(srv, &dev->queues[i], &srv->rings[i]))
			mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

static const struct file_operations buse_server_fops = {
	.owner		= THIS_MODULE,
	.open		= buse_server_open,
	.release	= buse_server_release,
	.flush		= buse_server_flush,
	.unlocked_ioctl	= buse_server_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= buse_server_mmap,
	.poll		= buse_server_poll,
};

/* Serves every /dev/busecN with the file operations (buse_dev_init() first). */
int buse_server_init(void)
{
	cdev_init(&buse_cdev, &buse_server_fops);
	buse_cdev.owner = THIS_MODULE;
	return cdev_add(&buse_cdev, buse_chr_base, BUSE_MAX_INDEX + 1);
}

void buse_server_exit(void)
{
	cdev_del(&buse_cdev);
}
