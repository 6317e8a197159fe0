// SPDX-License-Identifier: GPL-2.0
/*
 * buse_rq.c - the request path: blk-mq's queue_rq() posts a request's
 * descriptor to the server's submission ring (copying WRITE data into the
 * tag's buffer), the server's completions end it (from BUSE_IOC_RUN, the
 * submitter's own queue_rq()/commit_rqs(), or blk-mq's poll), its timeout
 * cancels it, and a departing server's requests are taken back.  The
 * tag states and their transitions are described in buse.h.
 */
#include <linux/blk-mq.h>
#include <linux/highmem.h>
#include <linux/nospec.h>
#include <linux/sched.h>

#include "buse.h"

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
	/* Pairs with the server's load-acquire of sq_tail. */
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
	struct buse_ring *ring;
	int state;

	/* Pairs with the attach's store-release: a set-up ring. */
	ring = smp_load_acquire(&bq->ring);
	state = READ_ONCE(bq->dev->state);
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
	/* Pairs with the attach's store-release: a set-up ring. */
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
	/* Pairs with the server's load-acquire of sq_tail. */
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
	/* Read len and op before re-checking the state they go with. */
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
	/* Pairs with the server's store-release: cqes before tail. */
	tail = smp_load_acquire(&ring->hdr->cq_tail);
	if (tail - head > ring->cq_mask + 1) {
		/*
		 * Not a ring state a server can produce: drop nothing, use
		 * nothing, tell the server.
		 */
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
	/* Cqes are consumed before the server may reuse them. */
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
static void buse_rq_take_back(struct buse_dev *dev, bool requeue)
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

void buse_rq_fail_inflight(struct buse_dev *dev)
{
	buse_rq_take_back(dev, false);
}

void buse_rq_requeue_inflight(struct buse_dev *dev)
{
	buse_rq_take_back(dev, true);
}

/* ------------------------------------------------------------------------
 * blk-mq operations of every buse tag set
 */

const struct blk_mq_ops buse_mq_ops = {
	.queue_rq	= buse_queue_rq,
	.queue_rqs	= buse_queue_rqs,
	.commit_rqs	= buse_commit_rqs,
	.init_hctx	= buse_init_hctx,
	.timeout	= buse_timeout,
	.poll		= buse_poll,
	.map_queues	= buse_map_queues,
};
