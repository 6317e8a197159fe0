// SPDX-License-Identifier: MIT
/*
 * nbd - the "nbd" source engine of the kit (kit.h): a buse block device
 * served from an export of an NBD server (qemu-nbd, nbdkit, nbd-server,
 * qemu-storage-daemon...) through libnbd.
 *
 * The argument is an NBD URI as libnbd takes it (nbd_connect_uri(3)):
 * nbd://host[:port]/export, nbds://... (TLS), nbd+unix:///export?socket=
 * PATH, nbd+vsock://...  The device gets the export's size (--create) and
 * is read-only if the export is.  Every request becomes one NBD command
 * (a READ or WRITE longer than the server's maximum request size becomes
 * several), issued asynchronously and answered with bdus_complete() when
 * the server's reply arrives, so each hardware queue keeps as many
 * commands in flight as the device's queue depth:
 *
 *   READ           NBD_CMD_READ (nbd_aio_pread) straight into the buffer.
 *   WRITE          NBD_CMD_WRITE (nbd_aio_pwrite) straight from the buffer,
 *                  with NBD_CMD_FLAG_FUA for a FUA write.
 *   FLUSH          NBD_CMD_FLUSH (nbd_aio_flush).
 *   DISCARD        NBD_CMD_TRIM (nbd_aio_trim).
 *   WRITE_ZEROES   NBD_CMD_WRITE_ZEROES (nbd_aio_zero), with
 *                  NBD_CMD_FLAG_NO_HOLE for BUSE_IO_F_NOUNMAP.
 * Only what the server advertises is: FLUSH if it can flush (the device
 * then has a volatile write cache), FUA if it can also do FUA, DISCARD
 * and WRITE_ZEROES if it can trim and zero (and the export is writable).
 *
 * Connections: --connections N opens N connections to the server (libnbd
 * handles), which a server may allow only if it advertises multi-conn
 * (NBD_FLAG_CAN_MULTI_CONN: a flush on any connection covers the writes
 * completed on all of them).  By default there are 4 when it does (fewer
 * if the server takes fewer), else 1.  Requests are spread round-robin.
 *
 * Threads: libbdus calls the callbacks from one thread per hardware queue;
 * they issue the command on the chosen handle (libnbd handles are
 * thread-safe: each call takes the handle's lock) and return BDUS_ASYNC.
 * Each connection has an event-loop thread, started in open(), that polls
 * the handle's socket in the direction libnbd wants and an eventfd, and
 * feeds the socket's readiness to libnbd (nbd_aio_notify_read/write).
 * libnbd calls the completion callback of a command with the handle's lock
 * held, where no libnbd call and thus no bdus_complete() may be made (a
 * filter above may issue its next request from bdus_complete(), on the
 * same handle): the callback only queues the request, and the loop answers
 * it once libnbd has returned.  A queue thread kicks the loop (eventfd)
 * when libnbd now wants to write (the socket was full) or has finished
 * requests on the queue thread.
 *
 * When the server goes away, libnbd fails every command in flight
 * (ENOTCONN) and every later one at once: requests fail (EIO), nothing
 * hangs.  There is no reconnection.
 *
 * Build (from the top of the tree; needs libnbd, e.g. libnbd-dev):
 *     make examples
 * Run (as root; buse.ko loaded):
 *     qemu-img create -f qcow2 disk.qcow2 10G
 *     qemu-nbd -f qcow2 --socket=/tmp/q.sock -t disk.qcow2 &
 *     buse-nbd --create 'nbd+unix:///?socket=/tmp/q.sock'
 *                                                  # creates /dev/buseN of
 *                                                  # the export's size,
 *                                                  # prints its path,
 *                                                  # removes it on exit
 *     nbdkit memory 1G &
 *     buse-nbd --create --connections 8 nbd://localhost
 *     N=$(busectl add --size 1G) && buse-nbd nbd://localhost $N
 *                                                  # serves an existing device
 *     buse-cache ... -- nbd nbd://host/export      # as a filter's inner engine
 *     buse-nbd --help
 * Stop it with Ctrl-C (SIGINT) or SIGTERM, or remove the device
 * (busectl remove N): it then exits with status 0, after every request it
 * accepted has been answered.  LIBNBD_DEBUG=1 in the environment makes
 * libnbd trace the protocol on stderr.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setname_np() */
#endif
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <libnbd.h>

#include <bdus.h>
#include <bdus_cli.h>

#include "kit.h"

/* --connections: its option value, range and default with multi-conn. */
#define NE_OPT_CONNECTIONS 600
#define NE_MAX_CONNECTIONS 16u
#define NE_DEF_CONNECTIONS 4u

/*
 * Largest READ/WRITE command when the server advertises no maximum: the
 * NBD protocol's advice (some servers drop the connection beyond it).
 */
#define NE_DEF_MAX_REQUEST (32u << 20)

/*
 * The longest wait for an extra connection's handshake (the server may
 * queue connections beyond its limit without answering), and for the
 * server to close a connection at the end.
 */
#define NE_EXTRA_CONNECT_MS 10000
#define NE_DISCONNECT_MS 2000

static const char engine_name[] = "nbd";

struct ne_conn;

/* One request in flight: one or more NBD commands. */
struct ne_cmd {
	const struct bdus_req *req;
	struct ne_conn *conn;
	struct ne_cmd *next; /* on conn->done */
	int refs;	     /* the submitter's + one per queued command */
	int err;	     /* the first error (errno), or 0 */
};

/* One connection to the server and the thread that drives it. */
struct ne_conn {
	struct nbd_handle *h;
	int efd;	     /* eventfd: kicks the thread */
	bool started;	     /* the thread runs */
	bool stop;	     /* tells the thread to end */
	struct ne_cmd *done; /* answered, to complete: a stack */
	pthread_t thread;
};

struct ne_ctx {
	/* Per instance: only what the server advertises is set. */
	struct storage_engine engine;
	uint32_t connections; /* --connections; 0: the default */
	const char *uri;
	uint64_t size;		       /* the export's */
	uint32_t min_block, max_block; /* the server's; 0: none */
	bool fua;		       /* FUA writes are sent as FUA */
	uint32_t max_request;	       /* bytes per READ/WRITE command */
	unsigned int rr;	       /* round-robin counter */
	uint32_t nconn;
	struct ne_conn *conns;
};

/* ------------------------------------------------------------------------
 * Completing requests
 */

static void ne_kick(struct ne_conn *c)
{
	uint64_t one = 1;

	/* Only fails if the counter is full, which already wakes it. */
	if (write(c->efd, &one, sizeof(one)) < 0) {
		/* nothing to do */
	}
}

/* The first error of a request's commands wins. */
static void ne_set_err(struct ne_cmd *cmd, int err)
{
	int zero = 0;

	__atomic_compare_exchange_n(&cmd->err, &zero, err, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/*
 * nbd_completion_callback: one command of cmd is answered (*error: 0 or
 * an errno).  Runs with the handle's lock held, on whatever thread drove
 * libnbd: the loop, or a queue thread whose submission found the
 * connection dead.  The last reference queues cmd for the loop; returning
 * 1 retires the command.
 */
static int ne_answered(void *user_data, int *error)
{
	struct ne_cmd *cmd = user_data;
	struct ne_conn *c = cmd->conn;

	if (*error)
		ne_set_err(cmd, *error);
	if (__atomic_sub_fetch(&cmd->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		cmd->next = __atomic_load_n(&c->done, __ATOMIC_RELAXED);
		while (!__atomic_compare_exchange_n(&c->done, &cmd->next, cmd,
						    true, __ATOMIC_RELEASE,
						    __ATOMIC_RELAXED))
			;
	}
	return 1;
}

static int ne_result(const struct ne_cmd *cmd)
{
	int err = __atomic_load_n(&cmd->err, __ATOMIC_RELAXED);

	return err > 0 ? -err : 0;
}

/* Completes the queued requests, oldest first, outside libnbd's lock. */
static void ne_drain(struct ne_conn *c)
{
	struct ne_cmd *cmd, *next, *fifo = NULL;

	cmd = __atomic_exchange_n(&c->done, NULL, __ATOMIC_ACQUIRE);
	for (; cmd; cmd = next) {
		next = cmd->next;
		cmd->next = fifo;
		fifo = cmd;
	}
	for (cmd = fifo; cmd; cmd = next) {
		const struct bdus_req *req = cmd->req;
		int res = ne_result(cmd);

		next = cmd->next;
		free(cmd);
		bdus_complete(req, res);
	}
}

/* ------------------------------------------------------------------------
 * The event loop of a connection
 */

static void *ne_loop(void *arg)
{
	struct ne_conn *c = arg;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = c->efd, .events = POLLIN },
			{ .fd = -1 },
		};
		unsigned int dir;
		int nfds = 1;

		ne_drain(c);
		/*
		 * close() comes after every request was completed, so nothing
		 * is in flight then; should something be, it is waited for
		 * (or for the connection to die: libnbd then fails it).
		 */
		if (__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE) &&
		    nbd_aio_in_flight(c->h) <= 0 &&
		    !__atomic_load_n(&c->done, __ATOMIC_ACQUIRE))
			break;

		dir = nbd_aio_get_direction(c->h);
		if (dir) {
			pfd[1].fd = nbd_aio_get_fd(c->h);
			pfd[1].events =
				(dir & LIBNBD_AIO_DIRECTION_READ ? POLLIN : 0) |
				(dir & LIBNBD_AIO_DIRECTION_WRITE ? POLLOUT
								  : 0);
			if (pfd[1].fd >= 0)
				nfds = 2;
		}
		if (poll(pfd, nfds, -1) < 0)
			continue; /* EINTR (no signal is unblocked), ENOMEM */

		if (pfd[0].revents & POLLIN) {
			uint64_t v;

			if (read(c->efd, &v, sizeof(v)) < 0) {
				/* EAGAIN: someone else read it */
			}
		}
		if (nfds == 2 && pfd[1].revents) {
			/* The direction may have changed since the poll. */
			dir = nbd_aio_get_direction(c->h);
			if ((dir & LIBNBD_AIO_DIRECTION_READ) &&
			    (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
				nbd_aio_notify_read(c->h);
			else if ((dir & LIBNBD_AIO_DIRECTION_WRITE) &&
				 (pfd[1].revents &
				  (POLLOUT | POLLHUP | POLLERR)))
				nbd_aio_notify_write(c->h);
			/* Errors kill the connection: its commands fail. */
		}
	}
	return NULL;
}

static void ne_stop_threads(struct ne_ctx *nc)
{
	for (uint32_t i = 0; i < nc->nconn; i++) {
		struct ne_conn *c = &nc->conns[i];

		if (c->started) {
			__atomic_store_n(&c->stop, true, __ATOMIC_RELEASE);
			ne_kick(c);
			pthread_join(c->thread, NULL);
			c->started = false;
		}
		if (c->efd >= 0)
			close(c->efd);
		c->efd = -1;
	}
}

/* ------------------------------------------------------------------------
 * The engine
 */

static int64_t ne_issue(struct nbd_handle *h, uint32_t op, void *buf,
			uint64_t offset, uint64_t len, uint32_t flags,
			nbd_completion_callback cb)
{
	switch (op) {
	case BUSE_OP_READ:
		return nbd_aio_pread(h, buf, len, offset, cb, 0);
	case BUSE_OP_WRITE:
		return nbd_aio_pwrite(h, buf, len, offset, cb, flags);
	case BUSE_OP_FLUSH:
		return nbd_aio_flush(h, cb, 0);
	case BUSE_OP_DISCARD:
		return nbd_aio_trim(h, len, offset, cb, flags);
	default: /* BUSE_OP_WRITE_ZEROES */
		return nbd_aio_zero(h, len, offset, cb, flags);
	}
}

/*
 * Issues req as one command (a READ or WRITE longer than max_request as
 * several, on the same connection) and returns BDUS_ASYNC, or its result
 * if it is already known: every command was refused by libnbd (the
 * connection is dead, say) or answered before this returns.
 */
static int ne_submit(struct ne_ctx *nc, const struct bdus_req *req, uint32_t op,
		     void *buf, uint64_t offset, uint32_t len, uint32_t flags)
{
	bool data = op == BUSE_OP_READ || op == BUSE_OP_WRITE;
	uint32_t step = data ? nc->max_request : len;
	struct ne_conn *c = &nc->conns[0];
	struct ne_cmd *cmd;
	uint32_t done = 0;
	int res;

	if (nc->nconn > 1)
		c = &nc->conns[__atomic_fetch_add(&nc->rr, 1,
						  __ATOMIC_RELAXED) %
			       nc->nconn];
	cmd = malloc(sizeof(*cmd));
	if (!cmd)
		return -ENOMEM;
	*cmd = (struct ne_cmd){ .req = req, .conn = c, .refs = 1 };

	do {
		uint32_t n = len - done < step ? len - done : step;
		nbd_completion_callback cb = { .callback = ne_answered,
					       .user_data = cmd };

		/* The callback may run before nbd_aio_*() returns. */
		__atomic_add_fetch(&cmd->refs, 1, __ATOMIC_RELAXED);
		if (ne_issue(c->h, op, data ? (char *)buf + done : NULL,
			     offset + done, n, flags, cb) < 0) {
			int err = nbd_get_errno();

			/* Dead: the commands in flight failed so too. */
			if (nbd_aio_is_dead(c->h) == 1 ||
			    nbd_aio_is_closed(c->h) == 1)
				err = ENOTCONN;
			/* A refused command's callback is never called. */
			__atomic_sub_fetch(&cmd->refs, 1, __ATOMIC_RELAXED);
			ne_set_err(cmd, err > 0 ? err : EIO);
			break;
		}
		done += n;
	} while (done < len);

	/*
	 * The loop polls for reading already; it must also be told when
	 * libnbd now wants to write (the socket was full), or when requests
	 * were answered here (the connection died as this one was sent).
	 */
	if ((nbd_aio_get_direction(c->h) & LIBNBD_AIO_DIRECTION_WRITE) ||
	    __atomic_load_n(&c->done, __ATOMIC_ACQUIRE))
		ne_kick(c);

	if (__atomic_sub_fetch(&cmd->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return BDUS_ASYNC;
	res = ne_result(cmd);
	free(cmd);
	return res;
}

static int ne_read(void *ctx, void *buf, uint64_t offset, uint32_t len,
		   const struct bdus_req *req)
{
	return ne_submit(ctx, req, BUSE_OP_READ, buf, offset, len, 0);
}

static uint32_t ne_fua(const struct ne_ctx *nc, const struct bdus_req *req)
{
	return nc->fua && (req->flags & BUSE_IO_F_FUA) ? LIBNBD_CMD_FLAG_FUA
						       : 0;
}

static int ne_write(void *ctx, const void *buf, uint64_t offset, uint32_t len,
		    const struct bdus_req *req)
{
	return ne_submit(ctx, req, BUSE_OP_WRITE, (void *)buf, offset, len,
			 ne_fua(ctx, req));
}

/* With multi-conn, a flush on one connection covers them all. */
static int ne_flush(void *ctx, const struct bdus_req *req)
{
	return ne_submit(ctx, req, BUSE_OP_FLUSH, NULL, 0, 0, 0);
}

static int ne_discard(void *ctx, uint64_t offset, uint32_t len,
		      const struct bdus_req *req)
{
	return ne_submit(ctx, req, BUSE_OP_DISCARD, NULL, offset, len,
			 ne_fua(ctx, req));
}

static int ne_write_zeroes(void *ctx, uint64_t offset, uint32_t len,
			   const struct bdus_req *req)
{
	uint32_t flags = ne_fua(ctx, req);

	if (req->flags & BUSE_IO_F_NOUNMAP)
		flags |= LIBNBD_CMD_FLAG_NO_HOLE;
	return ne_submit(ctx, req, BUSE_OP_WRITE_ZEROES, NULL, offset, len,
			 flags);
}

/*
 * A request timed out in the kernel.  An NBD command cannot be taken back
 * (the protocol has no abort, and the server may still write into the
 * buffer), so nothing is done here: the command's reply, or the
 * connection's death, still completes the request exactly once, through
 * ne_answered() and ne_drain(), and gives its tag back.
 */
static void ne_cancel(void *ctx, const struct bdus_req *req)
{
	(void)ctx;
	(void)req;
}

static int ne_open(void *ctx, const struct bdus_dev *dev)
{
	struct ne_ctx *nc = ctx;
	uint32_t max = nc->max_block ? nc->max_block : NE_DEF_MAX_REQUEST;
	sigset_t all, old;
	int ret = 0;

	if (dev->size > nc->size) {
		kit_err(engine_name,
			"the device (%" PRIu64 " bytes) is larger than the "
			"export (%" PRIu64 " bytes)",
			dev->size, nc->size);
		return -EINVAL;
	}
	if (nc->min_block && dev->logical_block_size % nc->min_block) {
		kit_err(engine_name,
			"the server needs requests aligned to %" PRIu32
			" bytes: the device's logical block size (%" PRIu32
			") is smaller",
			nc->min_block, dev->logical_block_size);
		return -EINVAL;
	}
	/* Whole blocks: libnbd takes up to 64 MiB at a time. */
	if (max > (64u << 20))
		max = 64u << 20;
	nc->max_request = max / dev->logical_block_size *
			  dev->logical_block_size;
	if (!nc->max_request) {
		kit_err(engine_name,
			"the server's largest request (%" PRIu32
			" bytes) is smaller than a block (%" PRIu32 ")",
			max, dev->logical_block_size);
		return -EINVAL;
	}

	/* The loops take no signal: they go to the threads that expect them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (uint32_t i = 0; i < nc->nconn && !ret; i++) {
		struct ne_conn *c = &nc->conns[i];
		char name[16];

		c->stop = false;
		c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (c->efd < 0) {
			ret = -errno;
			break;
		}
		ret = -pthread_create(&c->thread, NULL, ne_loop, c);
		if (!ret) {
			c->started = true;
			snprintf(name, sizeof(name), "nbd-conn%u",
				 (unsigned int)(i % 100));
			pthread_setname_np(c->thread, name);
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		kit_err(engine_name, "cannot start the connection threads: %s",
			strerror(-ret));
		ne_stop_threads(nc);
	}
	return ret;
}

static void ne_close(void *ctx, const struct bdus_dev *dev)
{
	(void)dev;
	ne_stop_threads(ctx);
}

/* ------------------------------------------------------------------------
 * Setting up
 */

static int64_t ne_elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)(t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * Connects a handle to uri, waiting at most timeout_ms (-1: as long as it
 * takes) for the handshake.  The handle, or NULL with *why set ("" for a
 * timeout: libnbd has nothing to say then).
 */
static struct nbd_handle *ne_connect(const char *uri, int timeout_ms, char *why,
				     size_t why_size)
{
	struct nbd_handle *h = nbd_create();
	struct timespec t0;

	why[0] = '\0';
	if (!h) {
		snprintf(why, why_size, "%s", nbd_get_error());
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/*
	 * The URI is the user's own: it may name local files (tls-psk-file).
	 * Every read fills its buffer or fails (and then the buffer is not
	 * looked at): libnbd need not zero it first.
	 */
	if (nbd_set_uri_allow_local_file(h, true) < 0 ||
	    nbd_set_pread_initialize(h, false) < 0 ||
	    nbd_aio_connect_uri(h, uri) < 0)
		goto fail;
	while (nbd_aio_is_connecting(h) == 1) {
		int wait = -1, r;

		if (timeout_ms >= 0) {
			int64_t left = timeout_ms - ne_elapsed_ms(&t0);

			if (left <= 0)
				goto timeout;
			wait = (int)left;
		}
		r = nbd_poll(h, wait);
		if (r < 0)
			goto fail;
	}
	if (nbd_aio_is_ready(h) == 1)
		return h;
	snprintf(why, why_size, "the handshake failed");
	nbd_close(h);
	return NULL;
fail:
	snprintf(why, why_size, "%s", nbd_get_error());
timeout:
	nbd_close(h);
	return NULL;
}

/* What the engine may use: what every connection advertises. */
struct ne_caps {
	bool read_only, flush, fua, trim, zero;
	uint32_t min_block, max_block;
};

static int ne_caps(struct nbd_handle *h, struct ne_caps *caps, bool first)
{
	int ro = nbd_is_read_only(h), flush = nbd_can_flush(h);
	int fua = nbd_can_fua(h), trim = nbd_can_trim(h);
	int zero = nbd_can_zero(h);
	int64_t min = nbd_get_block_size(h, LIBNBD_SIZE_MINIMUM);
	int64_t max = nbd_get_block_size(h, LIBNBD_SIZE_MAXIMUM);

	if (ro < 0 || flush < 0 || fua < 0 || trim < 0 || zero < 0 || min < 0 ||
	    max < 0)
		return -1;
	if (first) {
		memset(caps, 0, sizeof(*caps));
		caps->flush = caps->fua = caps->trim = caps->zero = true;
	}
	caps->read_only |= ro;
	caps->flush &= flush;
	caps->fua &= fua;
	caps->trim &= trim;
	caps->zero &= zero;
	if ((uint64_t)min > caps->min_block)
		caps->min_block = (uint32_t)min;
	if (max && max <= UINT32_MAX &&
	    (!caps->max_block || (uint64_t)max < caps->max_block))
		caps->max_block = (uint32_t)max;
	return 0;
}

/* Asks the server to end the connection politely, for a while only. */
static void ne_hang_up(struct nbd_handle *h)
{
	struct timespec t0;

	if (nbd_aio_is_ready(h) == 1 && nbd_aio_disconnect(h, 0) == 0) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (nbd_aio_is_closed(h) != 1 && nbd_aio_is_dead(h) != 1) {
			int64_t left = NE_DISCONNECT_MS - ne_elapsed_ms(&t0);

			if (left <= 0 || nbd_poll(h, (int)left) <= 0)
				break;
		}
	}
	nbd_close(h);
}

static void ne_teardown(void *ctx)
{
	struct ne_ctx *nc = ctx;

	ne_stop_threads(nc);
	for (uint32_t i = 0; i < nc->nconn; i++)
		ne_hang_up(nc->conns[i].h);
	free(nc->conns);
	nc->conns = NULL;
	nc->nconn = 0;
}

static int ne_setup(void *ctx, const char *arg, const struct kit_source *inner,
		    struct kit_source *src)
{
	struct ne_ctx *nc = ctx;
	uint32_t want = nc->connections ? nc->connections : NE_DEF_CONNECTIONS;
	struct timespec t0;
	struct ne_caps caps;
	int64_t size, first_ms, extra_ms;
	char why[512];

	(void)inner;
	nc->uri = arg;
	nc->conns = calloc(want, sizeof(*nc->conns));
	if (!nc->conns) {
		kit_err(engine_name, "out of memory");
		return -1;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	nc->conns[0].h = ne_connect(arg, -1, why, sizeof(why));
	if (!nc->conns[0].h) {
		kit_err(engine_name, "cannot connect to %s: %s", arg, why);
		goto fail;
	}
	nc->conns[0].efd = -1;
	nc->nconn = 1;
	first_ms = ne_elapsed_ms(&t0);
	size = nbd_get_size(nc->conns[0].h);
	if (size < 0 || ne_caps(nc->conns[0].h, &caps, true) < 0) {
		kit_err(engine_name, "%s: %s", arg, nbd_get_error());
		goto fail;
	}
	if (nbd_can_multi_conn(nc->conns[0].h) != 1) {
		if (want > 1 && nc->connections) {
			kit_err(engine_name,
				"%s does not allow several connections (no "
				"multi-conn): --connections must be 1",
				arg);
			goto fail;
		}
		want = 1;
	}

	/*
	 * A server may queue the connections beyond its limit without
	 * answering (qemu-nbd -e): give each extra one a few times what the
	 * first took, and make do with fewer unless they were asked for.
	 */
	extra_ms = 1000 + 4 * first_ms;
	if (extra_ms > NE_EXTRA_CONNECT_MS)
		extra_ms = NE_EXTRA_CONNECT_MS;
	while (nc->nconn < want) {
		struct ne_conn *c = &nc->conns[nc->nconn];
		int64_t s;

		c->h = ne_connect(arg, (int)extra_ms, why, sizeof(why));
		if (!c->h && !nc->connections)
			break;
		if (!c->h) {
			kit_err(engine_name,
				"connection %" PRIu32 " of %" PRIu32
				" to %s: %s",
				nc->nconn + 1, want, arg,
				why[0] ? why
				       : "no answer (the server may "
					 "take fewer connections)");
			goto fail;
		}
		c->efd = -1;
		nc->nconn++;
		s = nbd_get_size(c->h);
		if (ne_caps(c->h, &caps, false) < 0 || s < 0) {
			kit_err(engine_name, "%s: %s", arg, nbd_get_error());
			goto fail;
		}
		if (s != size) {
			kit_err(engine_name,
				"%s: the export's size changed between "
				"connections",
				arg);
			goto fail;
		}
	}

	if (size == 0) {
		kit_err(engine_name, "%s: the export is empty", arg);
		goto fail;
	}
	if (snprintf(src->ident, sizeof(src->ident), "nbd %s size=%" PRId64,
		     arg, size) >= (int)sizeof(src->ident)) {
		kit_err(engine_name, "the URI is too long");
		goto fail;
	}
	nc->size = (uint64_t)size;
	nc->min_block = caps.min_block;
	nc->max_block = caps.max_block;
	nc->fua = caps.flush && caps.fua;

	nc->engine = (struct storage_engine){
		.name = engine_name,
		.flags = nc->fua ? BDUS_ENGINE_F_FUA : 0,
		.open = ne_open,
		.close = ne_close,
		.read = ne_read,
		.write = ne_write,
		.flush = caps.flush ? ne_flush : NULL,
		.discard = caps.trim && !caps.read_only ? ne_discard : NULL,
		.write_zeroes = caps.zero && !caps.read_only ? ne_write_zeroes
							     : NULL,
		.cancel = ne_cancel,
	};
	src->size = nc->size;
	src->read_only = caps.read_only;
	src->engine = &nc->engine;
	src->ctx = nc;
	return 0;

fail:
	ne_teardown(nc);
	return -1;
}

/* ------------------------------------------------------------------------
 * Options
 */

static int ne_parse(void *ctx, int opt, const char *arg, const char **valid)
{
	struct ne_ctx *nc = ctx;
	uint32_t v;
	int ret;

	(void)valid;
	if (opt != NE_OPT_CONNECTIONS)
		return -EINVAL;
	ret = bdus_parse_u32(arg, &v);
	if (ret)
		return ret;
	if (!v)
		return -EDOM;
	if (v > NE_MAX_CONNECTIONS)
		return -ERANGE;
	nc->connections = v;
	return 0;
}

static const struct option ne_options[] = {
	{ "connections", required_argument, NULL, NE_OPT_CONNECTIONS },
	{ NULL, 0, NULL, 0 },
};

const struct kit_engine kit_nbd = {
	.name = "nbd",
	.arg_name = "URI",
	.summary = "an NBD export (nbd://, nbds://, nbd+unix:// URI)",
	.help = "      --connections N      (nbd) connections to the server, 1 to "
		"16 (default\n"
		"                           4 if it advertises multi-conn, else "
		"1)\n",
	.shortopts = "",
	.longopts = ne_options,
	.ctx_size = sizeof(struct ne_ctx),
	.parse = ne_parse,
	.setup = ne_setup,
	.teardown = ne_teardown,
};
