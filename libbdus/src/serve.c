// SPDX-License-Identifier: MIT
/*
 * serve.c - bdus_serve() and friends: attach to /dev/busecN, map the
 * rings, run one thread per hardware queue, stop cleanly.
 *
 * Threads:
 *   - the caller's thread is the controller: it sets up, calls the
 *     engine's open/close hooks and on_ready, then sleeps in poll() on an
 *     eventfd (bdus_stop(), a queue thread that ended by itself) and a
 *     signalfd (SIGINT/SIGTERM, blocked in the caller for the duration);
 *   - one thread per hardware queue, all signals blocked, pinned to the
 *     CPUs blk-mq maps to its hardware queue (unless BDUS_OPT_NO_PIN),
 *     runs bdus_queue_loop() (ring.c):
 *         BUSE_IOC_RUN (hand over completions, wait for descriptors)
 *         bdus_queue_process() (every pending descriptor, one batch)
 *     polling between the two (bdus_opts.poll_us, unless
 *     BDUS_OPT_NO_POLL), and is
 *     stopped with BUSE_RUN_F_KICK, which wakes it race-free (a kick sent
 *     while it is not sleeping makes its next RUN return; a polling thread
 *     sees q->stopping in its spin).
 *
 * Memory: every serving thread (the controller while serving, the queue
 * threads) is an I/O flusher (PR_SET_IO_FLUSHER) when the process may be
 * one, and BDUS_OPT_MLOCK locks the process's memory; bdus(3), MEMORY, says why.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "abi.h"
#include "bdus.h"
#include "bdus_ctl.h"
#include "cpulist.h"
#include "ring.h"
#include "serve.h"
#include "sys.h"

/* Linux 5.6; older headers lack them. */
#ifndef PR_SET_IO_FLUSHER
#define PR_SET_IO_FLUSHER 57
#endif
#ifndef PR_GET_IO_FLUSHER
#define PR_GET_IO_FLUSHER 58
#endif

struct bdus_server {
	struct bdus_dev dev; /* handed out; bdus_stop() maps it back */
	const struct storage_engine *engine;
	void *ctx;
	int fd;			   /* /dev/busecN */
	int evfd;		   /* stop requests, thread exits */
	int stop;		   /* __atomic: bdus_stop() was called */
	uint32_t opt_flags;	   /* bdus_opts.flags */
	uint32_t poll_us;	   /* bdus_opts.poll_us */
	uint32_t nr_queues;	   /* initialised queues */
	struct bdus_queue *queues; /* [dev.nr_queues] */
	void **areas;		   /* [dev.nr_queues], NULL if not mapped */
	size_t map_size;
};

/* SIGINT/SIGTERM blocked in the calling thread and read via a signalfd. */
struct sigstate {
	bool active;
	int fd;
	sigset_t old;
};

static int opts_check(const struct bdus_opts *opts)
{
	size_t i;

	if (!opts)
		return 0;
	if ((opts->flags & ~BDUS_OPT_ALL) || opts->poll_us > BDUS_MAX_POLL_US)
		return -EINVAL;
	/* Two contrary placements. */
	if ((opts->flags & BDUS_OPT_NO_PIN) &&
	    (opts->flags & BDUS_OPT_PIN_NEAR))
		return -EINVAL;
	/* A window and no polling. */
	if ((opts->flags & BDUS_OPT_NO_POLL) && opts->poll_us)
		return -EINVAL;
	for (i = 0; i < sizeof(opts->reserved) / sizeof(opts->reserved[0]); i++)
		if (opts->reserved[i])
			return -EINVAL;
	return 0;
}

uint32_t bdus_opts_poll_us(const struct bdus_opts *opts)
{
	if (opts && (opts->flags & BDUS_OPT_NO_POLL))
		return 0;
	return opts && opts->poll_us ? opts->poll_us : BDUS_DEFAULT_POLL_US;
}

static int signals_begin(struct sigstate *ss, const struct bdus_opts *opts)
{
	sigset_t set;
	int ret;

	ss->active = false;
	ss->fd = -1;
	if (opts && (opts->flags & BDUS_OPT_NO_SIGNALS))
		return 0;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	ret = pthread_sigmask(SIG_BLOCK, &set, &ss->old);
	if (ret)
		return -ret;
	ss->fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (ss->fd < 0) {
		ret = -errno;
		pthread_sigmask(SIG_SETMASK, &ss->old, NULL);
		return ret;
	}
	ss->active = true;
	return 0;
}

static void signals_end(struct sigstate *ss)
{
	struct signalfd_siginfo si;

	if (!ss->active)
		return;
	/*
	 * A SIGINT/SIGTERM that arrived while stopping asked for what just
	 * happened: consume it rather than let it kill the process once the
	 * mask is restored.
	 */
	while (read(ss->fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	close(ss->fd);
	pthread_sigmask(SIG_SETMASK, &ss->old, NULL);
	ss->active = false;
}

/* ------------------------------------------------------------------------
 * Memory: I/O flusher, locking
 */

/* Per process: the failure to become an I/O flusher is reported once. */
static int io_flusher_warned; /* __atomic */

/*
 * Failing to become an I/O flusher is not fatal: without CAP_SYS_RESOURCE
 * (EPERM), or on a kernel older than 5.6 (EINVAL), the server runs as
 * before, and one line on stderr says so unless BDUS_OPT_QUIET.
 */
void bdus_warn_io_flusher(const char *block_path, uint32_t opt_flags, int err)
{
	char buf[128];
	const char *msg;

	if (!err || (opt_flags & BDUS_OPT_QUIET) ||
	    __atomic_exchange_n(&io_flusher_warned, 1, __ATOMIC_RELAXED))
		return;
	msg = strerror_r(-err, buf, sizeof(buf));
	fprintf(stderr,
		"libbdus: %s: cannot make the server an I/O flusher "
		"(PR_SET_IO_FLUSHER: %s%s); memory reclaim may deadlock on "
		"the device\n",
		block_path, msg,
		err == -EPERM ? "; needs CAP_SYS_RESOURCE" : "");
}

static void warn_io_flusher(const struct bdus_server *s, int err)
{
	bdus_warn_io_flusher(s->dev.block_path, s->opt_flags, err);
}

/* Makes the calling thread an I/O flusher (bdus(3), MEMORY).  0 or -errno. */
static int set_io_flusher(void)
{
	return prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0) ? -errno : 0;
}

/*
 * BDUS_OPT_MLOCK: lock every page of the process, now and from now on.
 * 0 or -errno of mlockall(2).
 */
static int lock_memory(const struct bdus_opts *opts)
{
	if (!opts || !(opts->flags & BDUS_OPT_MLOCK))
		return 0;
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		return -errno;
	return 0;
}

/* Wakes the controller (async-signal-safe). */
static void server_notify(struct bdus_server *s)
{
	uint64_t one = 1;
	ssize_t r;

	/* Only fails if the counter would overflow: then it is readable. */
	r = write(s->evfd, &one, sizeof(one));
	(void)r;
}

void bdus_stop(const struct bdus_dev *dev)
{
	struct bdus_server *s;
	int saved_errno = errno;

	if (!dev)
		return;
	s = bdus_container_of(dev, struct bdus_server, dev);
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	server_notify(s);
	errno = saved_errno;
}

/* ------------------------------------------------------------------------
 * Queue threads
 */

static void *queue_main(void *arg)
{
	struct bdus_queue *q = arg;
	struct bdus_server *s = q->server;
	char name[16];
	int ret;

	/* Named for ps and top: "bdus-q" and the queue number. */
	snprintf(name, sizeof(name), "bdus-q%u", q->index);
	pthread_setname_np(pthread_self(), name);
	/* Best effort: a CPU gone offline meanwhile just leaves it unpinned. */
	if (q->cpus)
		sched_setaffinity(0, q->cpus_size, q->cpus);
	/* Best effort too: next to its submitter, never preempt it. */
	if (s->opt_flags & BDUS_OPT_PIN_NEAR) {
		struct sched_param sp = { .sched_priority = 0 };

		sched_setscheduler(0, SCHED_BATCH, &sp);
	}
	/* Inherited from the controller already; explicit all the same. */
	warn_io_flusher(s, set_io_flusher());

	bdus_queue_loop(q);

	/* Answer what is already in the ring, then wait for async requests. */
	if (!q->removed && !q->err) {
		ret = bdus_queue_process(q);
		if (ret == -ENODEV)
			q->removed = true;
		else if (ret < 0)
			q->err = ret;
	}
	bdus_queue_wait_async(q);
	/* Hand the last completions over; the kernel fails the rest at close. */
	if (!q->removed)
		bdus_queue_run(q, BUSE_RUN_F_NOWAIT, NULL);

	/* Ended by itself (error, removal): stop the whole server. */
	if (!__atomic_load_n(&q->stopping, __ATOMIC_ACQUIRE))
		server_notify(s);
	return NULL;
}

/*
 * Where the thread of hardware queue q runs: the CPUs blk-mq maps to q, as
 * read from /sys/block/buseN/mq/q/cpu_list, restricted to `allowed` (the
 * controller's affinity, so that taskset and sched_setaffinity() on the
 * server are respected).  If that leaves a single CPU, the other allowed
 * CPUs instead, unless BDUS_OPT_PIN_NEAR (bdus(3) says why,
 * docs/performance.md has the numbers).  NULL (do not pin) if the file is missing or unreadable, the
 * list is malformed or empty, or nothing is left.
 */
static cpu_set_t *queue_cpus(const struct bdus_server *s, uint32_t q,
			     const cpu_set_t *allowed, size_t size)
{
	char path[96];
	cpu_set_t *set;

	snprintf(path, sizeof(path), "/sys/block/buse%u/mq/%u/cpu_list",
		 s->dev.index, q);
	/* CPU_ALLOC() takes a count of CPUs: size bytes hold size * 8. */
	set = CPU_ALLOC(size * 8);
	if (!set)
		return NULL;
	if (bdus_read_cpu_list(path, set, size) <= 0 ||
	    bdus_queue_cpu_plan(set, allowed, size,
				s->opt_flags & BDUS_OPT_PIN_NEAR) <= 0) {
		CPU_FREE(set);
		return NULL;
	}
	return set;
}

/* Sets q->cpus for every queue (left NULL when not pinning). */
static void plan_pinning(struct bdus_server *s)
{
	cpu_set_t *allowed;
	size_t size;
	uint32_t i;

	if (s->opt_flags & BDUS_OPT_NO_PIN)
		return;
	allowed = bdus_get_affinity(&size);
	if (!allowed)
		return;
	for (i = 0; i < s->nr_queues; i++) {
		s->queues[i].cpus = queue_cpus(s, i, allowed, size);
		s->queues[i].cpus_size = size;
	}
	CPU_FREE(allowed);
}

/* Starts the queue threads with every signal blocked.  0 or -errno. */
static int start_threads(struct bdus_server *s)
{
	sigset_t all, old;
	uint32_t i;
	int ret = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < s->nr_queues; i++) {
		struct bdus_queue *q = &s->queues[i];

		ret = pthread_create(&q->thread, NULL, queue_main, q);
		if (ret) {
			ret = -ret;
			break;
		}
		q->thread_started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

static void stop_threads(struct bdus_server *s)
{
	uint32_t i;

	for (i = 0; i < s->nr_queues; i++) {
		struct bdus_queue *q = &s->queues[i];

		if (!q->thread_started)
			continue;
		__atomic_store_n(&q->stopping, 1, __ATOMIC_RELEASE);
		/* Wakes the thread's current or next RUN; ENODEV is fine. */
		bdus_queue_run(q, BUSE_RUN_F_KICK, NULL);
	}
	for (i = 0; i < s->nr_queues; i++) {
		struct bdus_queue *q = &s->queues[i];

		if (!q->thread_started)
			continue;
		pthread_join(q->thread, NULL);
		q->thread_started = false;
	}
}

/* ------------------------------------------------------------------------
 * The server
 */

/*
 * Sleeps until bdus_stop(), a signal, or a queue thread ended.  0, or
 * -errno if poll() fails.
 */
static int wait_for_stop(struct bdus_server *s, int sigfd)
{
	struct pollfd pfd[2] = {
		{ .fd = s->evfd, .events = POLLIN },
		{ .fd = sigfd, .events = POLLIN },
	};
	nfds_t n = sigfd >= 0 ? 2 : 1;

	for (;;) {
		if (__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE))
			return 0;
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n > 1 && pfd[1].revents) {
			struct signalfd_siginfo si;

			if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				return 0;
			continue; /* spurious */
		}
		if (pfd[0].revents) {
			uint64_t v;

			if (read(s->evfd, &v, sizeof(v)) == (ssize_t)sizeof(v))
				return 0;
		}
	}
}

/* Best effort: the driver does not scan partitions itself. */
static void rescan_partitions(const struct bdus_dev *dev)
{
	int fd = open(dev->block_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	bdus__ioctl(fd, BLKRRPART, NULL);
	close(fd);
}

static void server_free(struct bdus_server *s)
{
	uint32_t i;

	for (i = 0; i < s->nr_queues; i++) {
		if (s->queues[i].cpus)
			CPU_FREE(s->queues[i].cpus);
		bdus_queue_fini(&s->queues[i]);
	}
	if (s->areas) {
		for (i = 0; i < s->dev.nr_queues; i++)
			if (s->areas[i])
				munmap(s->areas[i], s->map_size);
	}
	/* After the munmaps: each mapping holds the file, and the last
	 * reference going away is what detaches. */
	if (s->fd >= 0)
		close(s->fd);
	if (s->evfd >= 0)
		close(s->evfd);
	free(s->areas);
	free(s->queues);
	free(s);
}

/*
 * Does the driver speak this library's ABI, with the features it needs?
 * BUSE_FEAT_RING always; BUSE_FEAT_SIZE_BY_SERVER if the server gives the
 * size at attach (@sets_size).  0, -EPROTO (another ABI, or no rings) or
 * -EOPNOTSUPP.  A driver that does not answer BUSE_CTL_VERSION (no
 * /dev/busectl in this mount namespace, say) is left to the attach.
 */
static int driver_check(bool sets_size)
{
	struct buse_version v;

	if (bdus_ctl_version(&v))
		return 0;
	if (v.abi_version != BUSE_ABI_VERSION || !(v.features & BUSE_FEAT_RING))
		return -EPROTO;
	if (sets_size && !(v.features & BUSE_FEAT_SIZE_BY_SERVER))
		return -EOPNOTSUPP;
	return 0;
}

/* Attach and map.  0 or -errno; s->fd is open on entry. */
static int server_attach(struct bdus_server *s, uint32_t index,
			 const struct bdus_opts *opts)
{
	struct buse_attach a;
	uint32_t i;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = opts ? opts->size : 0;
	a.ops = bdus_engine_ops(s->engine);
	if (bdus__ioctl(s->fd, BUSE_IOC_ATTACH, &a) < 0)
		return -errno;
	if (bdus_attach_check(&a) || a.index != index)
		return -EPROTO;

	s->dev.index = index;
	s->dev.flags = a.dev_flags;
	s->dev.size = a.size;
	s->dev.logical_block_size = a.logical_block_size;
	s->dev.physical_block_size = a.physical_block_size;
	s->dev.nr_queues = a.nr_queues;
	s->dev.nr_poll_queues = a.nr_poll_queues;
	s->dev.queue_depth = a.queue_depth;
	s->dev.max_io = a.max_io;
	s->dev.ops = a.ops;
	s->map_size = (size_t)a.map_size;

	s->queues = calloc(a.nr_queues, sizeof(*s->queues));
	s->areas = calloc(a.nr_queues, sizeof(*s->areas));
	if (!s->queues || !s->areas)
		return -ENOMEM;
	for (i = 0; i < a.nr_queues; i++) {
		void *area = mmap(NULL, s->map_size, PROT_READ | PROT_WRITE,
				  MAP_SHARED, s->fd, BUSE_QUEUE_MMAP_OFFSET(i));

		if (area == MAP_FAILED)
			return -errno;
		s->areas[i] = area;
		ret = bdus_queue_init(&s->queues[i], i, area, &a, &s->dev,
				      s->engine, s->ctx, s->fd);
		if (ret)
			return ret;
		s->queues[i].server = s;
		s->queues[i].poll_us = s->poll_us;
		s->nr_queues = i + 1;
	}
	return 0;
}

/* The result of a server whose threads are joined. */
static int server_result(const struct bdus_server *s)
{
	int err = 0;
	uint32_t i;

	for (i = 0; i < s->nr_queues; i++) {
		if (s->queues[i].removed)
			return 0; /* removal explains any other error */
		if (!err)
			err = s->queues[i].err;
	}
	return err;
}

/* bdus_serve() once signals are set up (sigfd < 0: not handled). */
static int serve(uint32_t index, const struct storage_engine *e, void *ctx,
		 const struct bdus_opts *opts, int sigfd)
{
	struct bdus_server *s;
	bool opened = false, flusher_set = false;
	int ret, wret, was_flusher, flusher_err = 0;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->engine = e;
	s->ctx = ctx;
	s->evfd = -1;
	s->opt_flags = opts ? opts->flags : 0;
	s->poll_us = bdus_opts_poll_us(opts);
	snprintf(s->dev.block_path, sizeof(s->dev.block_path),
		 BUSE_BLOCK_DEVICE_FMT, index);
	snprintf(s->dev.server_path, sizeof(s->dev.server_path),
		 BUSE_CHAR_DEVICE_FMT, index);

	/*
	 * From the start: the attach allocates memory in the kernel while a
	 * recoverable device's I/O waits for us.  The controller serves too
	 * (open(), the partition rescan, close()), and the queue threads and
	 * threads the engine starts in open() inherit the flag.  Restored on
	 * return if it was not set before.  A failure is reported once the
	 * device is attached: not before an error that ends everything.
	 */
	was_flusher = prctl(PR_GET_IO_FLUSHER, 0, 0, 0, 0);
	if (was_flusher != 1) {
		flusher_err = set_io_flusher();
		flusher_set = !flusher_err && was_flusher == 0;
	}

	ret = driver_check(opts && opts->size);
	if (ret)
		goto out;
	s->fd = open(s->dev.server_path, O_RDWR | O_CLOEXEC);
	if (s->fd < 0) {
		ret = -errno;
		goto out;
	}
	s->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->evfd < 0) {
		ret = -errno;
		goto out;
	}
	ret = server_attach(s, index, opts);
	if (ret)
		goto out;
	warn_io_flusher(s, flusher_err);

	if (e->open) {
		ret = e->open(ctx, &s->dev);
		if (ret > 0)
			ret = -EINVAL;
		if (ret)
			goto out;
	}
	opened = true;

	plan_pinning(s);
	ret = start_threads(s);
	if (ret) {
		stop_threads(s);
		goto out_close;
	}
	if (!(opts && (opts->flags & BDUS_OPT_NO_PARTSCAN)) &&
	    !(s->dev.flags & BUSE_DEV_F_NO_PARTSCAN))
		rescan_partitions(&s->dev);
	if (opts && opts->on_ready)
		opts->on_ready(&s->dev, opts->arg);

	wret = wait_for_stop(s, sigfd);
	stop_threads(s);
	ret = server_result(s);
	if (!ret)
		ret = wret;

out_close:
	if (opened && e->close)
		e->close(ctx, &s->dev);
out:
	server_free(s);
	if (flusher_set)
		prctl(PR_SET_IO_FLUSHER, 0, 0, 0, 0);
	return ret;
}

int bdus_serve_sized(uint32_t index, const struct storage_engine *engine,
		     size_t engine_size, void *ctx,
		     const struct bdus_opts *opts, size_t opts_size)
{
	struct storage_engine e;
	struct bdus_opts o;
	struct sigstate ss;
	int ret;

	/* Our own copies, in our layout; the queue threads use e. */
	if (bdus_engine_import(&e, engine, engine_size, "bdus_serve") ||
	    bdus_opts_import(&o, opts, opts_size, "bdus_serve") ||
	    bdus_engine_check(engine ? &e : NULL) || opts_check(&o) ||
	    index > BUSE_MAX_INDEX)
		return -EINVAL;
	ret = lock_memory(&o);
	if (ret)
		return ret;
	ret = signals_begin(&ss, &o);
	if (ret)
		return ret;
	ret = serve(index, &e, ctx, &o, ss.fd);
	signals_end(&ss);
	return ret;
}

int bdus_create_and_serve_sized(struct buse_dev_info *info,
				const struct storage_engine *engine,
				size_t engine_size, void *ctx,
				const struct bdus_opts *opts, size_t opts_size)
{
	const char *func = "bdus_create_and_serve";
	struct storage_engine e;
	struct bdus_opts o;
	struct sigstate ss;
	int ret, rret;

	if (bdus_engine_import(&e, engine, engine_size, func) ||
	    bdus_opts_import(&o, opts, opts_size, func) || !info ||
	    bdus_engine_check(engine ? &e : NULL) || opts_check(&o))
		return -EINVAL;
	/* Before the add: no device is created if locking fails. */
	ret = lock_memory(&o);
	if (ret)
		return ret;
	/* Before the add: a signal from here on still removes the device. */
	ret = signals_begin(&ss, &o);
	if (ret)
		return ret;
	ret = bdus_ctl_add(info);
	if (!ret) {
		ret = serve(info->index, &e, ctx, &o, ss.fd);
		/* Not forced: a device still in use (mounted) stays. */
		rret = bdus_ctl_remove(info->index);
		/* -ENODEV: already removed (that is how we may have stopped). */
		if (!ret && rret && rret != -ENODEV)
			ret = rret;
	}
	signals_end(&ss);
	return ret;
}

/*
 * libbdus 0.1's entry points, without sizes, for the programs built
 * against its bdus.h: bdus_serve@BDUS_0.1 and bdus_create_and_serve@
 * BDUS_0.1 in libbdus.so.  Their structs have the 0.1 layouts.
 */
BDUS_API int bdus_serve_0_1(uint32_t index, const struct storage_engine *engine,
			    void *ctx, const struct bdus_opts *opts);
BDUS_API int bdus_create_and_serve_0_1(struct buse_dev_info *info,
				       const struct storage_engine *engine,
				       void *ctx, const struct bdus_opts *opts);

__asm__(".symver bdus_serve_0_1, bdus_serve@BDUS_0.1");
__asm__(".symver bdus_create_and_serve_0_1, bdus_create_and_serve@BDUS_0.1");

int bdus_serve_0_1(uint32_t index, const struct storage_engine *engine,
		   void *ctx, const struct bdus_opts *opts)
{
	return bdus_serve_sized(index, engine, BDUS_ENGINE_SIZE_0_1, ctx, opts,
				BDUS_OPTS_SIZE_0_1);
}

int bdus_create_and_serve_0_1(struct buse_dev_info *info,
			      const struct storage_engine *engine, void *ctx,
			      const struct bdus_opts *opts)
{
	return bdus_create_and_serve_sized(info, engine, BDUS_ENGINE_SIZE_0_1,
					   ctx, opts, BDUS_OPTS_SIZE_0_1);
}
