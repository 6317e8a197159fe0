// SPDX-License-Identifier: MIT
/*
 * faulty - a buse block device kept in memory (like ramdisk) that fails,
 * delays or never answers every Nth request.  For testing how the kernel,
 * file systems and applications cope with a bad disk.
 *
 * Every request whose operation is in --ops is counted; the Nth, 2Nth, ...
 * of them (--every N) gets the fault (--mode):
 *   fail   answered at once with -ERRNO (--errno, default EIO): EIO and
 *          ENOSPC reach the application as such (dd prints "Input/output
 *          error" / "No space left on device");
 *   delay  served correctly, but only after --delay-ms milliseconds (the
 *          engine keeps serving other requests meanwhile);
 *   drop   never answered.  Create the device with a timeout (busectl add
 *          --timeout S, or --timeout S here with --create): the kernel then
 *          fails the request with ETIMEDOUT after S seconds and tells the
 *          engine (BUSE_OP_CANCEL), which prints "cancelled ..." and lets
 *          the request go.  Without a timeout the request waits until
 *          faulty stops or the device is removed, then fails with EIO.
 * The other requests are served from memory.  Everything is lost when the
 * program stops.  Unlike ramdisk, faulty does not ask for a partition
 * rescan at start (its reads would count as requests).
 *
 * faulty is a filter (bdus_filter_compose(3)) over ramdisk's engine
 * (ramdisk_engine.c): the filter sees every request, counts it and
 * injects the fault; a request it does not fault, and a delayed one once
 * it is due, goes down to the RAM disk with bdus_next(3).
 *
 * Build (from the top of the tree):
 *     make examples
 * Run (as root; buse.ko loaded):
 *     examples/faulty --create --size 64M --every 10 --mode fail --errno EIO
 *                             # every 10th request fails with EIO
 *     N=$(busectl add --size 64M --timeout 2) &&
 *         examples/faulty --mode drop --ops read $N
 *                             # every read is dropped: fails after 2 s
 *     examples/faulty --mode delay --delay-ms 5000 --ops write --every 3 $N
 *     examples/faulty --help
 * Stop it with Ctrl-C (SIGINT) or SIGTERM, or remove the device
 * (busectl remove N): it then answers what it holds (delayed requests
 * are served, dropped ones fail with EIO), prints a summary on stderr and
 * exits with status 0.
 *
 * Once the device is served the program prints its path (/dev/buseN) on
 * stdout, in both modes, so a script can wait for that line.
 *
 * The command line and the serving logic every server shares are
 * libbdus' (bdus_cli.h, bdus_main(3)); this file has the fault filter and
 * its options.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <bdus.h>
#include <bdus_cli.h>
#include <bdus_ctl.h>

#include "ramdisk_engine.h"

static const char *prog = "faulty";

enum mode { MODE_FAIL, MODE_DELAY, MODE_DROP };
static const char *const mode_names[] = { "fail", "delay", "drop" };

static const char *const op_names[BUSE_OP_NR] = {
	[BUSE_OP_READ] = "read",
	[BUSE_OP_WRITE] = "write",
	[BUSE_OP_FLUSH] = "flush",
	[BUSE_OP_DISCARD] = "discard",
	[BUSE_OP_WRITE_ZEROES] = "write-zeroes",
	[BUSE_OP_SECURE_ERASE] = "secure-erase",
};

/* The errors the driver carries to the block layer as themselves. */
static const struct {
	const char *name;
	int err;
} errnos[] = {
	{ "EIO", EIO },
	{ "ENOSPC", ENOSPC },
	{ "EOPNOTSUPP", EOPNOTSUPP },
	{ "ETIMEDOUT", ETIMEDOUT },
	{ "ENOLINK", ENOLINK },
	{ "EILSEQ", EILSEQ },
	{ "ENOMEM", ENOMEM },
	{ "EAGAIN", EAGAIN },
	{ "ENODATA", ENODATA },
	{ "EBADE", EBADE },
};

/* ------------------------------------------------------------------------
 * The fault filter
 */

/*
 * A request the filter holds (delay or drop), one per (queue, tag): the
 * filter's own request (struct bdus_filter), answered with bdus_complete().
 */
struct held {
	const struct bdus_req *req; /* NULL: free */
	uint64_t due_ns;	    /* CLOCK_MONOTONIC; UINT64_MAX: never */
};

struct faulty {
	/* Configuration (set before serving, read-only afterwards). */
	enum mode mode;
	uint64_t every;
	uint32_t ops; /* BUSE_OP_BIT()s that count */
	int err;      /* positive errno for MODE_FAIL */
	uint64_t delay_ns;
	bool verbose;
	uint32_t index; /* device being served (set by open) */

	/* The data: the inner engine's ctx. */
	struct ramdisk rd;

	/* Counters (__atomic). */
	uint64_t seen; /* requests of the counted ops */
	uint64_t requests, faults, cancelled, released;

	/*
	 * Held requests, the stop flag and the device pointer; under lock.
	 * The worker thread passes delayed requests down when due, and
	 * answers every held request when stopping or when the device
	 * disappears.
	 */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct held *held; /* [nr_queues * depth] */
	uint32_t depth, nr_queues;
	size_t nheld;
	bool stopping; /* answer everything, hold nothing */
	bool quit;     /* the worker must exit */
	bool worker_started;
	pthread_t worker;
	const struct bdus_dev *dev; /* from open() to close() */
	bool stop_requested;	    /* a signal came before open() */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *op_name(uint32_t op)
{
	return op < BUSE_OP_NR ? op_names[op] : "?";
}

/*
 * Passes req down to the RAM disk as it is: its result, or BDUS_ASYNC if
 * the inner engine answers later (the filter has no complete hook: that
 * answer is req's).  bdus_next() is called once per request.
 */
static int pass_down(const struct bdus_req *req)
{
	return bdus_next(req, req->op, req->buf, req->offset, req->len);
}

static void note(struct faulty *f, const char *what, const struct bdus_req *req)
{
	if (!f->verbose)
		return;
	fprintf(stderr,
		"%s: %s %s offset %" PRIu64 " len %" PRIu32 " (queue %" PRIu32
		" tag %" PRIu32 ")\n",
		prog, what, op_name(req->op), req->offset, req->len, req->queue,
		req->tag);
}

/*
 * Answers a held request taken off the table: a delayed one is passed
 * down (served by the RAM disk), a dropped one (due never) fails with EIO.
 */
static void answer_held(struct faulty *f, const struct held *h)
{
	int r = h->due_ns == UINT64_MAX ? -EIO : pass_down(h->req);

	if (h->due_ns == UINT64_MAX) {
		__atomic_add_fetch(&f->released, 1, __ATOMIC_RELAXED);
		note(f, "releasing dropped", h->req);
	}
	if (r != BDUS_ASYNC)
		bdus_complete(h->req, r);
}

/* The device is gone (removed, or being removed): 1, else 0. */
static bool device_gone(struct faulty *f)
{
	struct buse_dev_info info;
	int ret = bdus_ctl_info(f->index, &info);

	return ret == -ENODEV ||
	       (ret == 0 && info.state == BUSE_STATE_REMOVING);
}

/*
 * The worker: passes delayed requests down when they are due (on this
 * thread: the RAM disk allows it); when stopping,
 * or when the device was removed under us (the library then waits for
 * the requests we hold before bdus_serve() returns), answers everything.
 */
static void *worker_main(void *arg)
{
	struct faulty *f = arg;
	uint64_t last_check = 0;

	pthread_mutex_lock(&f->lock);
	while (!f->quit) {
		uint64_t now = now_ns(), next = UINT64_MAX;
		size_t i, n = (size_t)f->nr_queues * f->depth;
		bool all = f->stopping;
		struct held h;
		struct timespec ts;

		if (!all && f->nheld && now - last_check >= 250000000u) {
			/* Without the lock: a control ioctl may sleep. */
			last_check = now;
			pthread_mutex_unlock(&f->lock);
			all = device_gone(f);
			pthread_mutex_lock(&f->lock);
			if (all) {
				f->stopping = true;
				continue;
			}
		}
		for (i = 0; i < n; i++) {
			if (!f->held[i].req)
				continue;
			if (all || f->held[i].due_ns <= now)
				break;
			if (f->held[i].due_ns < next)
				next = f->held[i].due_ns;
		}
		if (i < n) {
			h = f->held[i];
			f->held[i].req = NULL;
			f->nheld--;
			pthread_mutex_unlock(&f->lock);
			answer_held(f, &h);
			pthread_mutex_lock(&f->lock);
			continue;
		}
		/* Nothing due: sleep until the next one, or re-check the
		 * device's existence in 250 ms while holding requests. */
		if (f->nheld && next - now > 250000000u)
			next = now + 250000000u;
		if (next == UINT64_MAX) {
			pthread_cond_wait(&f->cond, &f->lock);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)((next - now) / 1000000000u);
		ts.tv_nsec += (long)((next - now) % 1000000000u);
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&f->cond, &f->lock, &ts);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

/* The RAM disk below is open already (the stack opens it first). */
static int fl_open(void *ctx, const struct bdus_dev *dev)
{
	struct faulty *f = ctx;
	pthread_condattr_t ca;
	int ret;

	f->held = calloc((size_t)dev->nr_queues * dev->queue_depth,
			 sizeof(*f->held));
	if (!f->held)
		return -ENOMEM;
	f->depth = dev->queue_depth;
	f->nr_queues = dev->nr_queues;
	f->index = dev->index;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cond, &ca);
	pthread_condattr_destroy(&ca);

	pthread_mutex_lock(&f->lock);
	f->dev = dev;
	pthread_mutex_unlock(&f->lock);
	/* SIGINT/SIGTERM are blocked in every thread: the worker too. */
	ret = pthread_create(&f->worker, NULL, worker_main, f);
	if (ret) {
		pthread_mutex_lock(&f->lock);
		f->dev = NULL;
		pthread_mutex_unlock(&f->lock);
		pthread_cond_destroy(&f->cond);
		free(f->held);
		f->held = NULL;
		return -ret;
	}
	f->worker_started = true;
	pthread_mutex_lock(&f->lock);
	if (f->stop_requested)
		bdus_stop(dev);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

/*
 * Every request has been answered by now (the library waited); the stack
 * closes the RAM disk afterwards.
 */
static void fl_close(void *ctx, const struct bdus_dev *dev)
{
	struct faulty *f = ctx;

	(void)dev;
	pthread_mutex_lock(&f->lock);
	f->quit = true;
	f->dev = NULL;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->worker, NULL);
	f->worker_started = false;
	pthread_cond_destroy(&f->cond);
	free(f->held);
	f->held = NULL;
}

/*
 * Every request goes through here (the filter has a callback for every
 * op, so that it counts them all): it is passed down, or gets its fault.
 */
static int fl_request(struct faulty *f, const struct bdus_req *req)
{
	struct held *h;
	uint64_t n;

	__atomic_add_fetch(&f->requests, 1, __ATOMIC_RELAXED);
	if (!(f->ops & BUSE_OP_BIT(req->op)))
		return pass_down(req);
	n = __atomic_add_fetch(&f->seen, 1, __ATOMIC_RELAXED);
	if (n % f->every)
		return pass_down(req);

	__atomic_add_fetch(&f->faults, 1, __ATOMIC_RELAXED);
	if (f->mode == MODE_FAIL) {
		note(f, "failing", req);
		return -f->err;
	}

	h = &f->held[(size_t)req->queue * f->depth + req->tag];
	pthread_mutex_lock(&f->lock);
	if (f->stopping) {
		/* Nothing may be held any more: answer now. */
		pthread_mutex_unlock(&f->lock);
		note(f, "not holding (stopping)", req);
		return f->mode == MODE_DELAY ? pass_down(req) : -EIO;
	}
	h->req = req;
	h->due_ns = f->mode == MODE_DELAY ? now_ns() + f->delay_ns : UINT64_MAX;
	f->nheld++;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
	note(f, f->mode == MODE_DELAY ? "delaying" : "dropping", req);
	/* The worker may answer it before we return: that is allowed. */
	return BDUS_ASYNC;
}

static int fl_read(void *ctx, void *buf, uint64_t offset, uint32_t len,
		   const struct bdus_req *req)
{
	(void)buf;
	(void)offset;
	(void)len;
	return fl_request(ctx, req);
}

static int fl_write(void *ctx, const void *buf, uint64_t offset, uint32_t len,
		    const struct bdus_req *req)
{
	(void)buf;
	(void)offset;
	(void)len;
	return fl_request(ctx, req);
}

static int fl_flush(void *ctx, const struct bdus_req *req)
{
	return fl_request(ctx, req);
}

static int fl_range(void *ctx, uint64_t offset, uint32_t len,
		    const struct bdus_req *req)
{
	(void)offset;
	(void)len;
	return fl_request(ctx, req);
}

/*
 * The kernel timed a held request out (and failed it with ETIMEDOUT):
 * take it off the table and give it back.  If the worker took it first,
 * the worker answers it (and the library discards that answer); if it
 * is with the RAM disk meanwhile, the cancel is passed on to it.
 */
static void fl_cancel(void *ctx, const struct bdus_req *req)
{
	struct faulty *f = ctx;
	struct held *h = &f->held[(size_t)req->queue * f->depth + req->tag];
	bool mine = false;

	pthread_mutex_lock(&f->lock);
	if (h->req == req) {
		h->req = NULL;
		f->nheld--;
		mine = true;
	}
	pthread_mutex_unlock(&f->lock);
	__atomic_add_fetch(&f->cancelled, 1, __ATOMIC_RELAXED);
	fprintf(stderr,
		"%s: cancelled %s offset %" PRIu64 " len %" PRIu32
		" (queue %" PRIu32 " tag %" PRIu32
		"): the kernel timed it out\n",
		prog, op_name(req->op), req->offset, req->len, req->queue,
		req->tag);
	if (mine)
		bdus_complete(req, -ETIMEDOUT);
	else
		bdus_next_cancel(req);
}

/*
 * The filter's callbacks; the stack (bdus_filter_compose()) adds the RAM
 * disk below.  It writes (passes writes down, FUA included), so the
 * stack's FUA flag is this one.
 */
static const struct storage_engine faulty_engine = {
	.name = "faulty",
	.flags = BDUS_ENGINE_F_FUA,
	.open = fl_open,
	.close = fl_close,
	.read = fl_read,
	.write = fl_write,
	.flush = fl_flush,
	.discard = fl_range,
	.write_zeroes = fl_range,
	.cancel = fl_cancel,
};

/* ------------------------------------------------------------------------
 * Signals: handled here (BDUS_OPT_NO_SIGNALS), since a stop must first
 * answer the requests the filter holds, or the library would wait for them
 * forever.
 */

static void *signal_main(void *arg)
{
	struct faulty *f = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		pthread_mutex_lock(&f->lock);
		f->stopping = true;
		pthread_cond_signal(&f->cond);
		if (f->dev)
			bdus_stop(f->dev);
		else
			f->stop_requested = true;
		pthread_mutex_unlock(&f->lock);
	}
	return NULL;
}

/* ------------------------------------------------------------------------
 * Command line (the shared part is libbdus' bdus_cli.h)
 */

static void usage(FILE *f, const struct bdus_cli_spec *s)
{
	fprintf(f,
		"Usage: %s [FAULT OPTIONS] [--size SIZE] N\n"
		"       %s --create --size SIZE [OPTIONS] [FAULT OPTIONS]\n"
		"\n"
		"Serve buse device N (/dev/buseN) from memory, failing, delaying or\n"
		"dropping every Nth request; or create a device, serve it and remove\n"
		"it on exit.  Prints /dev/buseN once serving.  Stops on SIGINT/SIGTERM\n"
		"or when the device is removed, and prints a summary on stderr.\n"
		"\n"
		"Fault options:\n"
		"  -e, --every N            fault every Nth counted request (default 1:\n"
		"                           all of them)\n"
		"  -M, --mode MODE          fail: answer with --errno at once (default);\n"
		"                           delay: answer correctly after --delay-ms;\n"
		"                           drop: never answer (the device's timeout,\n"
		"                           if any, fails it; see busectl add --timeout)\n"
		"  -E, --errno ERR          for fail: EIO (default), ENOSPC, EOPNOTSUPP,\n"
		"                           ETIMEDOUT, ENOLINK, EILSEQ, ENOMEM, EAGAIN,\n"
		"                           ENODATA, EBADE (the block layer passes these\n"
		"                           on), any other errno name or number (the\n"
		"                           application then sees EIO)\n"
		"  -D, --delay-ms MS        for delay (default 1000)\n"
		"  -o, --ops LIST           operations that are counted (comma-separated:\n"
		"                           read, write, flush, discard, write-zeroes,\n"
		"                           all; default all); others are always served\n"
		"  -v, --verbose            print every fault on stderr\n"
		"\n"
		"Device options:\n",
		s->prog, s->prog);
	bdus_cli_usage(f, s);
}

static int parse_mode(const char *s, enum mode *out)
{
	size_t i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (!strcmp(s, mode_names[i])) {
			*out = (enum mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_errno(const char *s, int *out)
{
	uint32_t v;
	size_t i;

	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		if (!strcasecmp(s, errnos[i].name)) {
			*out = errnos[i].err;
			return 0;
		}
	}
	/* Any other errno name the C library knows. */
	for (v = 1; v < 4096; v++) {
		const char *name = strerrorname_np((int)v);

		if (name && !strcasecmp(s, name)) {
			*out = (int)v;
			return 0;
		}
	}
	if (bdus_parse_u32(s, &v) || !v || v > 4095)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int parse_ops(const char *s, uint32_t *out)
{
	char *copy = strdup(s), *tok, *save = NULL;
	uint32_t ops = 0;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		uint32_t op;

		if (!strcmp(tok, "all")) {
			ops |= BUSE_OPS_ALL;
			continue;
		}
		if (!strcmp(tok, "write_zeroes"))
			tok = (char *)"write-zeroes";
		for (op = 0; op < BUSE_OP_NR; op++)
			if (!strcmp(tok, op_names[op]))
				break;
		if (op == BUSE_OP_NR || op == BUSE_OP_SECURE_ERASE) {
			ret = -EINVAL;
			break;
		}
		ops |= BUSE_OP_BIT(op);
	}
	free(copy);
	if (!ret && !ops)
		ret = -EINVAL;
	if (!ret)
		*out = ops;
	return ret;
}

/* The fault options (bdus_cli_spec.parse) into the struct faulty ctx. */
static int parse_fault_option(void *ctx, int opt, const char *arg,
			      const char **valid)
{
	struct faulty *f = ctx;
	uint32_t v;
	int ret;

	switch (opt) {
	case 'e':
		ret = bdus_parse_u32(arg, &v);
		if (ret)
			return ret;
		if (!v)
			return -EDOM;
		f->every = v;
		return 0;
	case 'M':
		*valid = "fail, delay or drop";
		return parse_mode(arg, &f->mode);
	case 'E':
		*valid = "an errno name such as EIO, or 1..4095";
		return parse_errno(arg, &f->err);
	case 'D':
		ret = bdus_parse_u32(arg, &v);
		if (!ret)
			f->delay_ns = (uint64_t)v * 1000000u;
		return ret;
	case 'o':
		*valid = "read, write, flush, discard, write-zeroes, all";
		return parse_ops(arg, &f->ops);
	case 'v':
		f->verbose = true;
		return 0;
	default:
		return -EINVAL;
	}
}

/* The filter's configuration and state: the ctx of its callbacks. */
static struct faulty fault = {
	.mode = MODE_FAIL,
	.every = 1,
	.ops = BUSE_OPS_ALL & ~BUSE_OP_BIT(BUSE_OP_SECURE_ERASE),
	.err = EIO,
	.delay_ns = 1000000000u,
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

/*
 * After serving (bdus_cli_spec.served): the counts, on stderr.  ctx is
 * the stack's (what was served), not the filter's: the counts are in
 * fault.
 */
static void summary(void *ctx)
{
	struct faulty *f = &fault;
	char errname[96] = "";

	(void)ctx;
	if (f->mode == MODE_FAIL)
		snprintf(errname, sizeof(errname), " with %s",
			 strerror(f->err));
	fprintf(stderr,
		"%s: %" PRIu64 " requests, %" PRIu64 " faults (%s%s), %" PRIu64
		" cancelled by the kernel, %" PRIu64
		" dropped ones released at the end\n",
		prog, __atomic_load_n(&f->requests, __ATOMIC_RELAXED),
		__atomic_load_n(&f->faults, __ATOMIC_RELAXED),
		mode_names[f->mode], errname,
		__atomic_load_n(&f->cancelled, __ATOMIC_RELAXED),
		__atomic_load_n(&f->released, __ATOMIC_RELAXED));
}

static const struct option fault_options[] = {
	{ "every", required_argument, NULL, 'e' },
	{ "mode", required_argument, NULL, 'M' },
	{ "errno", required_argument, NULL, 'E' },
	{ "delay-ms", required_argument, NULL, 'D' },
	{ "ops", required_argument, NULL, 'o' },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

static const struct bdus_cli_spec spec = {
	.prog = "faulty",
	.flags = BDUS_CLI_TIMEOUT | BDUS_CLI_IN_MEMORY,
	.usage = usage,
	.shortopts = "e:M:E:D:o:v",
	.longopts = fault_options,
	.parse = parse_fault_option,
	.served = summary,
};

int main(int argc, char **argv)
{
	struct faulty *f = &fault;
	/* The fault filter over the RAM disk (zeroed: see ramdisk_engine.h). */
	const struct bdus_filter filter = {
		.engine = &faulty_engine,
		.ctx = f,
		.inner = &ramdisk_engine,
		.inner_ctx = &f->rd,
	};
	struct storage_engine stack;
	void *stack_ctx;
	pthread_t sigthread;
	sigset_t set;
	struct bdus_cli c;
	int ret;

	if (!bdus_cli_parse(&spec, f, argc, argv, &c, &ret))
		return ret;
	ret = bdus_filter_compose(&filter, &stack, &stack_ctx);
	if (ret) {
		fprintf(stderr, "%s: cannot stack the filter: %s\n", prog,
			strerror(-ret));
		return 1;
	}

	/* Every thread, the library's included, inherits this mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	ret = pthread_create(&sigthread, NULL, signal_main, f);
	if (ret) {
		fprintf(stderr, "%s: cannot start a thread: %s\n", prog,
			strerror(ret));
		bdus_filter_free(stack_ctx);
		return 1;
	}
	pthread_detach(sigthread);

	ret = bdus_cli_serve(&c, &stack, stack_ctx,
			     BDUS_OPT_NO_SIGNALS | BDUS_OPT_NO_PARTSCAN);
	bdus_filter_free(stack_ctx);
	return ret;
}
