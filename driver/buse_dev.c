// SPDX-License-Identifier: GPL-2.0
/*
 * buse_dev.c - buse devices: the device table, creation and removal, and
 * the blk-mq side of the request path (queue_rq posts to the ring).
 */
#include <linux/module.h>
#include <linux/idr.h>
#include <linux/slab.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/nospec.h>
#include <linux/ctype.h>
#include <linux/string.h>

#include "buse.h"

int buse_major;

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

/* ------------------------------------------------------------------------
 * Request path
 */

static void buse_queue_wake(struct buse_queue *bq)
{
	/* Pairs with the barrier in the waiter's set_current_state(). */
	if (wq_has_sleeper(&bq->wait))
		wake_up(&bq->wait);
}

static u32 buse_rq_flags(const struct request *rq)
{
	blk_opf_t opf = rq->cmd_flags;
	u32 flags = 0;

	if (opf & REQ_FUA)
		flags |= BUSE_IO_F_FUA;
	if (opf & REQ_PREFLUSH)
		flags |= BUSE_IO_F_PREFLUSH;
	if (opf & REQ_NOUNMAP)
		flags |= BUSE_IO_F_NOUNMAP;
	if (opf & REQ_SYNC)
		flags |= BUSE_IO_F_SYNC;
	if (opf & REQ_META)
		flags |= BUSE_IO_F_META;
	if (opf & REQ_RAHEAD)
		flags |= BUSE_IO_F_RAHEAD;
	if (opf & REQ_FAILFAST_DEV)
		flags |= BUSE_IO_F_FAILFAST_DEV;
	if (opf & REQ_FAILFAST_TRANSPORT)
		flags |= BUSE_IO_F_FAILFAST_TRANSPORT;
	if (opf & REQ_FAILFAST_DRIVER)
		flags |= BUSE_IO_F_FAILFAST_DRIVER;
	if (opf & REQ_IDLE)
		flags |= BUSE_IO_F_IDLE;
	return flags;
}

/* Maps the request's operation; returns -1 for one buse does not carry. */
static int buse_rq_op(const struct request *rq)
{
	switch (req_op(rq)) {
	case REQ_OP_READ:
		return BUSE_OP_READ;
	case REQ_OP_WRITE:
		return BUSE_OP_WRITE;
	case REQ_OP_FLUSH:
		return BUSE_OP_FLUSH;
	case REQ_OP_DISCARD:
		return BUSE_OP_DISCARD;
	case REQ_OP_WRITE_ZEROES:
		return BUSE_OP_WRITE_ZEROES;
	case REQ_OP_SECURE_ERASE:
		return BUSE_OP_SECURE_ERASE;
	default:
		return -1;
	}
}

static void buse_copy_to_buffer(struct request *rq, void *buf)
{
	struct req_iterator iter;
	struct bio_vec bv;

	rq_for_each_segment(bv, rq, iter) {
		memcpy_from_bvec(buf, &bv);
		buf += bv.bv_len;
	}
}

static void buse_copy_from_buffer(struct request *rq, const void *buf,
				  unsigned int bytes)
{
	struct req_iterator iter;
	struct bio_vec bv;

	rq_for_each_segment(bv, rq, iter) {
		if (!bytes)
			break;
		bv.bv_len = min(bv.bv_len, bytes);
		memcpy_to_bvec(&bv, buf);
		buf += bv.bv_len;
		bytes -= bv.bv_len;
	}
}

static void buse_fill_desc(struct buse_io_desc *desc, u16 tag, u16 seq,
			   u8 op, u8 desc_flags, u32 flags, u64 sector, u32 len)
{
	desc->tag = tag;
	desc->seq = seq;
	desc->op = op;
	desc->desc_flags = desc_flags;
	memset(desc->__pad0, 0, sizeof(desc->__pad0));
	desc->sector = sector;
	desc->len = len;
	desc->flags = flags;
	desc->reserved = 0;
}

/*
 * Posts issue @seq of tag @tagno (its rq, len and op are set) to @ring.
 * @in_run: called from the server's BUSE_IOC_RUN (a give-back); it returns
 * false, posting nothing, if @ring is no longer the queue's (a detach is
 * under way).
 */
static bool buse_queue_post(struct buse_queue *bq, struct buse_ring *ring,
			    unsigned int tagno, u16 seq, bool in_run)
{
	struct buse_tag *tag = &bq->tags[tagno];
	struct request *rq = tag->rq;
	struct buse_io_desc *desc;
	int op = tag->op;

	/*
	 * The tag's buffer is the tag's own: fill it before anything else,
	 * in the submitting thread.  (Copying in the server's BUSE_IOC_RUN
	 * instead was measured side by side and did no better once the
	 * submitter also ends requests: docs/performance.md.)
	 */
	if (op == BUSE_OP_WRITE)
		buse_copy_to_buffer(rq, ring->data +
				    (size_t)tagno * bq->dev->info.max_io);

	spin_lock(&bq->lock);
	/*
	 * queue_rq() posts to the ring it saw even if a detach has cleared
	 * bq->ring since: the detach quiesces the queue before its take-back,
	 * which then finds the request in flight.  A give-back is not covered
	 * by that, and must see the ring still in place.
	 */
	if (in_run && unlikely(bq->ring != ring)) {
		spin_unlock(&bq->lock);
		return false;
	}
	/*
	 * No check of the server's sq_head: the slot written here held a
	 * descriptor a correct server has read (each tag is in the ring at
	 * most once until the server gives it back, and CANCEL notices leave
	 * queue_depth slots free), and a server that lies about sq_head only
	 * loses its own descriptors.  Nothing the server does holds a
	 * request back.
	 */
	desc = &ring->sq[bq->sq_tail & ring->sq_mask];
	buse_fill_desc(desc, tagno, seq, op, 0, buse_rq_flags(rq),
		       op == BUSE_OP_FLUSH ? 0 : blk_rq_pos(rq), tag->len);
	/* The tag (and rq) is visible to the completion side first ... */
	atomic_set_release(&tag->state, BUSE_TAG_WORD(seq, BUSE_TAG_INFLIGHT));
	/* ... then the descriptor (and the WRITE data) to the server. */
	bq->sq_tail++;
	smp_store_release(&ring->hdr->sq_tail, bq->sq_tail);
	spin_unlock(&bq->lock);
	return true;
}

static unsigned int buse_queue_reap_here(struct buse_queue *bq,
					 struct buse_ring *ring,
					 struct io_comp_batch *iob);

/*
 * The ring requests of @bq go to, or NULL (and *@status for blk-mq) when no
 * server is attached.  A detach or removal clears the ring (or the state)
 * and then quiesces the queue, so the ring stays valid until the dispatch
 * (queue_rq() or queue_rqs()) that read it returns.  The acquire pairs with
 * the attach's release: the ring is set up.
 */
static struct buse_ring *buse_queue_ring(struct buse_queue *bq,
					 blk_status_t *status)
{
	struct buse_ring *ring = smp_load_acquire(&bq->ring);
	int state = READ_ONCE(bq->dev->state);

	if (ring && state == BUSE_STATE_RUNNING)
		return ring;
	/* No server: a recoverable device keeps it for the next one. */
	*status = state == BUSE_STATE_RECOVERING ? BLK_STS_RESOURCE :
						   BLK_STS_IOERR;
	return NULL;
}

/*
 * Starts @rq and posts it to @ring (or parks it behind a timed-out issue
 * of its tag), without waking the server.  Returns what blk-mq must do
 * with a request it cannot take, which is then not started.
 */
static blk_status_t buse_queue_one(struct buse_queue *bq,
				   struct buse_ring *ring, struct request *rq)
{
	struct buse_dev *dev = bq->dev;
	int op = buse_rq_op(rq);
	/* As the server sees it: a FLUSH has neither sector nor length. */
	unsigned int len = op == BUSE_OP_FLUSH ? 0 : blk_rq_bytes(rq);
	struct buse_tag *tag;
	u32 word;

	if (op < 0 || !(READ_ONCE(dev->ops) & BUSE_OP_BIT(op)))
		return BLK_STS_NOTSUPP;
	if (unlikely(rq->tag < 0 || rq->tag >= dev->info.queue_depth))
		return BLK_STS_IOERR;
	if ((op == BUSE_OP_READ || op == BUSE_OP_WRITE) &&
	    unlikely(len > dev->info.max_io))
		return BLK_STS_IOERR;
	/* An empty FLUSH (fsync) is fine on a read-only device. */
	if (op != BUSE_OP_READ && op != BUSE_OP_FLUSH &&
	    (dev->info.flags & BUSE_DEV_F_READ_ONLY))
		return BLK_STS_IOERR;

	tag = &bq->tags[rq->tag];
	tag->rq = rq;
	tag->len = len;
	tag->op = op;
	blk_mq_start_request(rq);

	/*
	 * The tag is IDLE (nobody else changes that word), or ABANDONED: a
	 * timed-out issue's buffer the server has not given back.  Then park
	 * the request until it does; its timeout runs meanwhile.  A give-back
	 * that wins the race leaves the tag IDLE.
	 */
	word = atomic_read(&tag->state);
	if (unlikely(BUSE_TAG_STATE(word) == BUSE_TAG_ABANDONED)) {
		u32 parked = BUSE_TAG_WORD(BUSE_TAG_SEQ(word) + 1,
					   BUSE_TAG_PARKED);

		/* Full barrier: rq, len and op before the word. */
		if (atomic_cmpxchg(&tag->state, word, parked) == word)
			return BLK_STS_OK;
		word = atomic_read(&tag->state);
	}
	/* The ring cannot go away while the dispatch runs: this posts. */
	buse_queue_post(bq, ring, rq->tag, BUSE_TAG_SEQ(word) + 1, false);
	return BLK_STS_OK;
}

/*
 * The end of a batch posted to @ring: the submitter ends what the server
 * finished meanwhile (a busy queue is served without a wake-up per batch),
 * then wakes the server if it sleeps.
 */
static void buse_queue_batch_done(struct buse_queue *bq,
				  struct buse_ring *ring)
{
	buse_queue_reap_here(bq, ring, NULL);
	buse_queue_wake(bq);
}

static blk_status_t buse_queue_rq(struct blk_mq_hw_ctx *hctx,
				  const struct blk_mq_queue_data *bd)
{
	struct buse_queue *bq = hctx->driver_data;
	struct buse_ring *ring;
	blk_status_t status;

	ring = buse_queue_ring(bq, &status);
	if (!ring)
		return status;
	status = buse_queue_one(bq, ring, bd->rq);
	/* Also after a refusal: earlier requests of the batch are posted. */
	if (bd->last)
		buse_queue_batch_done(bq, ring);
	return status;
}

/*
 * A plug's requests in one go (io_uring and the page cache submit
 * batches): each hardware queue's server is woken once per run of its
 * requests.  Requests that cannot be taken stay in the list, unstarted;
 * blk-mq then issues them one by one through queue_rq(), which answers
 * them.
 */
static void buse_queue_rqs(buse_rq_list_t *rqlist)
{
	struct buse_queue *cur = NULL;
	struct buse_ring *ring = NULL;
	buse_rq_list_t rest;
	struct request *rq;
	blk_status_t status;

	buse_rq_list_init(&rest);
	while ((rq = buse_rq_list_pop(rqlist))) {
		struct buse_queue *bq = rq->mq_hctx->driver_data;

		if (bq != cur) {
			if (ring)
				buse_queue_batch_done(cur, ring);
			cur = bq;
			ring = buse_queue_ring(bq, &status);
		}
		if (!ring || buse_queue_one(bq, ring, rq) != BLK_STS_OK)
			buse_rq_list_push(&rest, rq);
	}
	if (ring)
		buse_queue_batch_done(cur, ring);
	*rqlist = rest;
}

static void buse_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	struct buse_queue *bq = hctx->driver_data;
	/* Dispatch context, as queue_rq(): the ring stays while it runs. */
	struct buse_ring *ring = smp_load_acquire(&bq->ring);

	if (ring)
		buse_queue_reap_here(bq, ring, NULL);
	buse_queue_wake(bq);
}

/*
 * blk-mq's poll of a polled queue (HCTX_TYPE_POLL), in the thread that
 * waits for its I/O (io_uring IOPOLL, RWF_HIPRI): ends the requests the
 * server has completed, copying READ data here.  Returns how many.
 */
static int buse_poll(struct blk_mq_hw_ctx *hctx, struct io_comp_batch *iob)
{
	struct buse_queue *bq = hctx->driver_data;
	struct buse_ring *ring;
	unsigned int done = 0;

	/*
	 * Not covered by the dispatch's RCU section: a detach clears
	 * bq->ring and then quiesces the queue (synchronize_rcu()), so a
	 * ring seen here outlives this section.
	 */
	rcu_read_lock();
	ring = smp_load_acquire(&bq->ring);
	if (ring)
		done = buse_queue_reap_here(bq, ring, iob);
	rcu_read_unlock();
	return done;
}

/* The default queues first, then the polled ones (null_blk's layout). */
static void buse_map_queues(struct blk_mq_tag_set *set)
{
	struct buse_dev *dev = set->driver_data;
	unsigned int i, offset = 0;

	for (i = 0; i < set->nr_maps; i++) {
		struct blk_mq_queue_map *map = &set->map[i];

		switch (i) {
		case HCTX_TYPE_DEFAULT:
			map->nr_queues = dev->info.nr_queues;
			break;
		case HCTX_TYPE_POLL:
			map->nr_queues = dev->info.nr_poll_queues;
			break;
		default:
			map->nr_queues = 0;
			continue;
		}
		map->queue_offset = offset;
		offset += map->nr_queues;
		blk_mq_map_queues(map);
	}
}

static int buse_init_hctx(struct blk_mq_hw_ctx *hctx, void *data,
			  unsigned int hctx_idx)
{
	struct buse_dev *dev = data;

	hctx->driver_data = &dev->queues[hctx_idx];
	return 0;
}

/*
 * Tells the server that (tag, seq) was failed, if its ring has room beyond
 * the queue_depth slots kept for requests.  Called with bq->lock held.
 */
static void buse_post_cancel(struct buse_queue *bq, struct buse_ring *ring,
			     u16 tagno, u16 seq)
{
	u32 used = bq->sq_tail - READ_ONCE(ring->hdr->sq_head);

	/* Also no room: an sq_head outside the ring (a broken server). */
	if (used >= ring->sq_mask + 1 - bq->dev->info.queue_depth)
		return;
	buse_fill_desc(&ring->sq[bq->sq_tail & ring->sq_mask], tagno, seq,
		       BUSE_OP_CANCEL, 0, 0, 0, 0);
	bq->sq_tail++;
	smp_store_release(&ring->hdr->sq_tail, bq->sq_tail);
}

static enum blk_eh_timer_return buse_timeout(struct request *rq)
{
	struct buse_queue *bq = rq->mq_hctx->driver_data;
	struct buse_dev *dev = bq->dev;
	struct buse_ring *ring;
	struct buse_tag *tag;
	bool posted;
	u32 word, abandoned;

	if (!dev->info.timeout)
		return BLK_EH_RESET_TIMER;
	if (rq->tag < 0 || rq->tag >= dev->info.queue_depth)
		return BLK_EH_RESET_TIMER;

	tag = &bq->tags[rq->tag];
	word = atomic_read(&tag->state);
	if (READ_ONCE(tag->rq) != rq)
		return BLK_EH_RESET_TIMER;
	switch (BUSE_TAG_STATE(word)) {
	case BUSE_TAG_INFLIGHT:
		/* The server keeps the buffer until it gives it back. */
		abandoned = BUSE_TAG_WORD(BUSE_TAG_SEQ(word),
					  BUSE_TAG_ABANDONED);
		posted = true;
		break;
	case BUSE_TAG_PARKED:
		/* Never posted: the earlier issue is still the server's. */
		abandoned = BUSE_TAG_WORD(BUSE_TAG_SEQ(word) - 1,
					  BUSE_TAG_ABANDONED);
		posted = false;
		break;
	default:
		return BLK_EH_RESET_TIMER;	/* being completed or posted */
	}
	if (atomic_cmpxchg(&tag->state, word, abandoned) != word)
		return BLK_EH_RESET_TIMER;

	if (posted) {
		spin_lock(&bq->lock);
		ring = bq->ring;
		if (ring) {
			buse_post_cancel(bq, ring, rq->tag, BUSE_TAG_SEQ(word));
			buse_queue_wake(bq);
		}
		spin_unlock(&bq->lock);
	}

	pr_info_ratelimited("%s: request %u timed out after %us, failed\n",
			    dev->disk->disk_name, rq->tag, dev->info.timeout);
	blk_mq_end_request(rq, BLK_STS_TIMEOUT);
	return BLK_EH_DONE;
}

static const struct blk_mq_ops buse_mq_ops = {
	.queue_rq	= buse_queue_rq,
	.queue_rqs	= buse_queue_rqs,
	.commit_rqs	= buse_commit_rqs,
	.init_hctx	= buse_init_hctx,
	.timeout	= buse_timeout,
	.poll		= buse_poll,
	.map_queues	= buse_map_queues,
};

/*
 * The block status for a server's negative result: an allow-list of
 * statuses that mean an error of the device to every layer above.  The
 * others are the block layer's own signals (BLK_STS_AGAIN makes io_uring
 * reissue, BLK_STS_RESOURCE and BLK_STS_DM_REQUEUE make dm requeue,
 * BLK_STS_OFFLINE and friends change path handling) and become EIO.
 */
static blk_status_t buse_errno_status(s32 res)
{
	switch (res) {
	case -ENOSPC:
		return BLK_STS_NOSPC;
	case -EOPNOTSUPP:
		return BLK_STS_NOTSUPP;
	case -ETIMEDOUT:
		return BLK_STS_TIMEOUT;
	case -ENOLINK:
		return BLK_STS_TRANSPORT;
	case -EILSEQ:
		return BLK_STS_PROTECTION;
	case -ENODATA:
		return BLK_STS_MEDIUM;
	case -EBADE:
		return BUSE_STS_RESV_CONFLICT;
	default:
		return BLK_STS_IOERR;
	}
}

/*
 * Decodes a server's result @res (valid by buse_result_valid()) for a
 * request of @len bytes into the bytes done and the status.
 */
static void buse_result_decode(u32 len, s32 res, u32 *done,
			       blk_status_t *status)
{
	*status = BLK_STS_OK;
	*done = len;
	if (res == 0 || (u32)res == len)
		return;
	*done = 0;
	if (res < 0) {
		*status = buse_errno_status(res);
		return;
	}
	*done = res;			/* short: the rest fails */
	*status = BLK_STS_IOERR;
}

/*
 * The server gave back the buffer of the timed-out issue @seq of @tag
 * (any result: the request has ended).  Posts the request parked on the
 * tag meanwhile, if there is one.  Returns false if (tag, seq) is not an
 * abandoned issue.  Called with ring->cq_mutex held.
 */
static bool buse_give_back(struct buse_queue *bq, struct buse_ring *ring,
			   u32 tagno, u16 seq)
{
	struct buse_tag *tag = &bq->tags[tagno];
	const u32 abandoned = BUSE_TAG_WORD(seq, BUSE_TAG_ABANDONED);
	const u16 next = seq + 1;
	const u32 parked = BUSE_TAG_WORD(next, BUSE_TAG_PARKED);
	int tries;

	/*
	 * queue_rq() may park a request (ABANDONED -> PARKED) and its
	 * timeout unpark it (PARKED -> ABANDONED) meanwhile: a few rounds.
	 */
	for (tries = 0; tries < 4; tries++) {
		u32 word = atomic_read(&tag->state);

		if (word == abandoned) {
			if (atomic_cmpxchg(&tag->state, word,
					   BUSE_TAG_WORD(seq, BUSE_TAG_IDLE)) ==
			    word)
				return true;
			continue;
		}
		if (word != parked)
			return false;
		/* Claimed: neither its timeout nor a take-back ends it now. */
		if (atomic_cmpxchg(&tag->state, parked,
				   BUSE_TAG_WORD(next, BUSE_TAG_POSTING)) !=
		    parked)
			continue;
		if (!buse_queue_post(bq, ring, tagno, next, true))
			/* Detaching: the take-back ends it. */
			atomic_set_release(&tag->state, parked);
		else
			buse_queue_wake(bq);
		return true;
	}
	return false;
}

/*
 * Completes tag @tagno, issue @seq, of queue @bq with the server's @res.
 * Returns false, touching nothing, if the completion is invalid: the tag
 * is not in flight with that seq (nor an abandoned issue given back), or
 * @res is not a valid answer (the request then stays outstanding).  Called
 * with ring->cq_mutex held, which serialises completions of the queue;
 * timeouts and detach may race.
 */
static bool buse_complete(struct buse_queue *bq, struct buse_ring *ring,
			  u32 tagno, u16 seq, s32 res,
			  struct io_comp_batch *iob)
{
	const u32 inflight = BUSE_TAG_WORD(seq, BUSE_TAG_INFLIGHT);
	struct buse_dev *dev = bq->dev;
	blk_status_t status;
	struct buse_tag *tag;
	struct request *rq;
	u32 len, done, word;
	int op;

	if (tagno >= dev->info.queue_depth)
		return false;
	tagno = array_index_nospec(tagno, dev->info.queue_depth);
	tag = &bq->tags[tagno];

	/*
	 * Validate against this len and op before claiming the tag.
	 * They were written before the word (release); re-reading the word
	 * after them proves they belong to issue @seq.
	 */
	word = atomic_read_acquire(&tag->state);
	if (word != inflight) {
		if (BUSE_TAG_STATE(word) == BUSE_TAG_ABANDONED ||
		    BUSE_TAG_STATE(word) == BUSE_TAG_PARKED)
			return buse_give_back(bq, ring, tagno, seq);
		return false;
	}
	len = READ_ONCE(tag->len);
	op = READ_ONCE(tag->op);
	smp_rmb();
	if (atomic_read(&tag->state) != inflight)
		return false;
	if (!buse_result_valid(op, len, dev->info.logical_block_size, res))
		return false;
	buse_result_decode(len, res, &done, &status);

	if (atomic_cmpxchg(&tag->state, inflight,
			   BUSE_TAG_WORD(seq, BUSE_TAG_COMPLETING)) != inflight)
		/* A timeout took it: this is then the give-back. */
		return buse_give_back(bq, ring, tagno, seq);

	rq = tag->rq;
	if (op == BUSE_OP_READ && done)
		buse_copy_from_buffer(rq, ring->data +
				      (size_t)tagno * dev->info.max_io, done);

	/* From here the kernel may fail nothing more on this tag. */
	atomic_set_release(&tag->state, BUSE_TAG_WORD(seq, BUSE_TAG_IDLE));
	if (done && done < len)
		blk_update_request(rq, BLK_STS_OK, done);
	/* A whole success joins the batch, if the caller keeps one. */
	else if (status == BLK_STS_OK &&
		 blk_mq_add_to_batch(rq, iob, 0, buse_queue_end_batch))
		return true;
	blk_mq_end_request(rq, status);
	return true;
}

void buse_queue_end_batch(struct io_comp_batch *iob)
{
	blk_mq_end_request_batch(iob);
}

/*
 * Hands the completions the server wrote to @ring since the last call to the
 * block layer, at most @max of them.  Requests that succeeded whole go to
 * @iob if it is not NULL (the caller ends them, through iob->complete), the
 * others end here.  Returns how many were taken; counts the invalid ones in
 * *@rejected.  @can_sleep: BUSE_IOC_RUN, which yields the CPU now and then
 * (up to queue_depth READ copies of max_io bytes each).  Called with
 * ring->cq_mutex held, which serialises completions of the queue.
 */
unsigned int buse_queue_reap_locked(struct buse_queue *bq,
				    struct buse_ring *ring,
				    unsigned int *rejected,
				    struct io_comp_batch *iob,
				    unsigned int max, bool can_sleep)
{
	unsigned int done = 0;
	u32 head, tail;

	lockdep_assert_held(&ring->cq_mutex);
	head = ring->cq_head;
	tail = smp_load_acquire(&ring->hdr->cq_tail);
	if (tail - head > ring->cq_mask + 1) {
		/* Not a ring state a server can produce: drop nothing, use
		 * nothing, tell the server. */
		(*rejected)++;
		return 0;
	}
	if (tail - head > max)
		tail = head + max;
	for (; head != tail; head++) {
		struct buse_io_cqe *cqe = &ring->cq[head & ring->cq_mask];

		if (buse_complete(bq, ring, READ_ONCE(cqe->tag),
				  READ_ONCE(cqe->seq), READ_ONCE(cqe->result),
				  iob))
			done++;
		else
			(*rejected)++;
		if (can_sleep && !((head + 1) & 31))
			cond_resched();
	}
	ring->cq_head = head;
	smp_store_release(&ring->hdr->cq_head, head);
	return done;
}

/*
 * Completions a submitting or polling thread takes in one go: enough for a
 * batch, few enough that their READ copies keep the time it runs without
 * yielding short.  The rest waits for the next call or BUSE_IOC_RUN.
 */
#define BUSE_REAP_HERE_MAX	32

/*
 * Ends, in the calling thread, the requests whose completions the server
 * has published on @ring and no one has consumed yet: a submitter (from
 * queue_rq()) or a poller (blk-mq's .poll) does the work of a BUSE_IOC_RUN
 * and wakes no one.  Must not sleep: takes cq_mutex only if it is free
 * (a RUN or another thread doing the same is at it already).  The caller
 * is in an RCU read-side section (queue_rq(), or buse_poll()), so a
 * detach, whose quiesce waits for those, cannot free @ring meanwhile.
 */
static unsigned int buse_queue_reap_here(struct buse_queue *bq,
					 struct buse_ring *ring,
					 struct io_comp_batch *iob)
{
	unsigned int done, rejected = 0;

	/* Racy peek (the mutex's acquire orders the real reads). */
	if (READ_ONCE(ring->hdr->cq_tail) == READ_ONCE(ring->cq_head))
		return 0;
	if (!mutex_trylock(&ring->cq_mutex))
		return 0;
	done = buse_queue_reap_locked(bq, ring, &rejected, iob,
				      BUSE_REAP_HERE_MAX, false);
	mutex_unlock(&ring->cq_mutex);
	/* Bad completions are counted when the server's RUN finds them. */
	return done;
}

/*
 * Takes back every request the server holds: fails it, or requeues it;
 * requests parked for a buffer the server never gave back too.  The
 * server's buffers are gone with it: every tag ends IDLE.  The caller has
 * made queue_rq() unable to post (ring cleared or state changed) and
 * quiesced the queue.
 */
static void buse_dev_take_back_inflight(struct buse_dev *dev, bool requeue)
{
	unsigned int q, t;

	for (q = 0; q < dev->nr_hw_queues; q++) {
		struct buse_queue *bq = &dev->queues[q];

		for (t = 0; t < dev->info.queue_depth; t++) {
			struct buse_tag *tag = &bq->tags[t];
			u32 word, idle;
			int st;

retry:
			/* A give-back holds the tag for one post: let it end. */
			for (;;) {
				word = atomic_read(&tag->state);
				if (BUSE_TAG_STATE(word) != BUSE_TAG_POSTING)
					break;
				cond_resched();
			}
			st = BUSE_TAG_STATE(word);
			idle = BUSE_TAG_WORD(BUSE_TAG_SEQ(word), BUSE_TAG_IDLE);
			if (st != BUSE_TAG_INFLIGHT && st != BUSE_TAG_PARKED &&
			    st != BUSE_TAG_ABANDONED)
				continue;
			/* A timeout may race (INFLIGHT/PARKED -> ABANDONED). */
			if (atomic_cmpxchg(&tag->state, word, idle) != word)
				goto retry;
			if (st == BUSE_TAG_ABANDONED)
				continue;
			if (requeue)
				blk_mq_requeue_request(tag->rq, false);
			else
				blk_mq_end_request(tag->rq, BLK_STS_IOERR);
		}
	}
}

void buse_dev_fail_inflight(struct buse_dev *dev)
{
	buse_dev_take_back_inflight(dev, false);
}

void buse_dev_requeue_inflight(struct buse_dev *dev)
{
	buse_dev_take_back_inflight(dev, true);
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
static const struct buse_dev *buse_attr_dev(struct device *d)
{
	return buse_server_node_dev(d) ?: dev_to_disk(d)->private_data;
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

const struct attribute_group *buse_dev_attr_groups[] = {
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
	if (!(info->flags & BUSE_DEV_F_OWNER))
		info->owner_uid = info->owner_gid = 0;
	else if (!uid_valid(make_kuid(current_user_ns(), info->owner_uid)) ||
		 (info->owner_gid != BUSE_NO_GROUP &&
		  !gid_valid(make_kgid(current_user_ns(), info->owner_gid))))
		return -EINVAL;

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
		info->nr_queues = buse_default_queues(max_queues,
				(u64)info->queue_depth * info->max_io);
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

	ret = buse_server_create_node(dev);
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
	buse_dev_fail_inflight(dev);
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
	buse_server_destroy_node(dev);
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
