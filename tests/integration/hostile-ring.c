// SPDX-License-Identifier: MIT
/*
 * hostile-ring - a buse server that abuses its rings, for the integration
 * case 51-hostile-ring.sh.  It completes what hostile.c (cases 11 and 12)
 * covers, through uapi/linux/buse.h only.
 *
 * Build:  make -C tests/integration      (-> build/integration/hostile-ring)
 * Run:    hostile-ring N [T]
 *   N: an idle device with 1 queue, depth 4, at least 4 MiB, no timeout,
 *      not recoverable.  T (optional): the same with a 1 s timeout.
 *
 * The program is the server and, through child processes doing direct
 * 4 KiB reads and writes of /dev/buseN, its own client, so it knows which
 * request is in flight and can tell whether a bogus completion ended it.
 * Checks, each printed "ok: ..." or "FAIL: ...":
 *   - honest service works (baseline);
 *   - with a READ held: completions with bogus tags (depth, depth + 1,
 *     0x7fff, 0xffff, a tag not in flight), wrong seqs, and results that
 *     are not a valid answer (larger than the request, 1, 511, len - 1,
 *     INT32_MAX, and negative lengths below -4095: -4096, -4097, -65536,
 *     INT32_MIN) are rejected (RUN: EINVAL, rejected > 0) and the READ stays
 *     outstanding (uapi: "a bad completion is dropped (the request stays
 *     outstanding ...)"); then the honest answer delivers its data;
 *   - completing a tag twice (in a later RUN), completing an earlier issue
 *     of a tag that was issued again (stale seq), completing tags never
 *     issued: rejected, the live request unharmed;
 *   - ring indices out of range: cq_tail behind cq_head, ahead by
 *     cq_entries + 1 and by 2^31 (rejected, nothing consumed), a whole
 *     ring of zero entries (each rejected); sq_head ahead of sq_tail (the
 *     kernel posts anyway, RUN fails with EINVAL and rejected);
 *     garbage in the kernel's own sq_tail and cq_head (ignored);
 *   - munmap then complete: an answer written before munmap is consumed by
 *     RUN after it; the area can be mapped again; munmap + close with a
 *     READ held fails it with EIO at once, and a new attach serves again;
 *   - with T: a held READ times out (ETIMEDOUT for the client, a
 *     BUSE_OP_CANCEL notice in the ring); while its buffer is not given
 *     back, a WRITE blk-mq puts on that tag is not posted, leaves the
 *     buffer alone and still ends with ETIMEDOUT, like the WRITEs posted on
 *     the other tags; the late completions of timed-out issues are accepted
 *     as give-backs (a second one is rejected), and every tag works again;
 *   - afterwards 64 honest write/read pairs all verify;
 *   - attached again asking for attach flag bit 0 (WRITE_IN_RUN, which
 *     kernels before 2026-12-07 granted): the bit comes back cleared, and
 *     a lone WRITE and a WRITE behind a held READ both come with their
 *     data in the buffer, without any RUN; 32 write/read pairs verify.
 * Exit status: 0 all ok, 1 some check failed, 2 usage or setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/buse.h>

#include "rawring.h"

#define BLK 4096u

static uint64_t now_ms(void)
{
	return rawring_now_ns() / 1000000;
}

/* ------------------------------------------------------------------------
 * The client: one direct 4 KiB read or write in a child process.
 */

static bool write_all_ok(int fd, const void *buf, size_t len)
{
	const unsigned char *b = buf;

	while (len) {
		ssize_t w = write(fd, b, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		b += w;
		len -= (size_t)w;
	}
	return true;
}

struct client {
	pid_t pid;
	int rfd;
	bool done;
	long ret;
	int err;
	unsigned char data[BLK];
};

/*
 * The child re-executes this program ("--client ..."): a plain fork would
 * inherit the server's fd and ring mapping, which keep the server
 * attached for as long as the client lives.
 */
static void client_start(struct client *c, unsigned n, bool write,
			 uint64_t block, unsigned char fill)
{
	char a_n[16], a_w[4], a_b[24], a_f[8], a_fd[16];
	int p[2];

	memset(c, 0, sizeof(*c));
	if (pipe(p))
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	c->pid = fork();
	if (c->pid < 0)
		die("fork: %s", strerror(errno));
	if (c->pid == 0) {
		close(p[0]);
		snprintf(a_n, sizeof(a_n), "%u", n);
		snprintf(a_w, sizeof(a_w), "%d", write);
		snprintf(a_b, sizeof(a_b), "%llu", (unsigned long long)block);
		snprintf(a_f, sizeof(a_f), "%u", fill);
		snprintf(a_fd, sizeof(a_fd), "%d", p[1]);
		execl("/proc/self/exe", "hostile-ring", "--client", a_n, a_w,
		      a_b, a_f, a_fd, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	c->rfd = p[0];
}

/* hostile-ring --client N WRITE BLOCK FILL FD: one I/O, result to FD. */
static int client_main(char **argv)
{
	unsigned n = (unsigned)strtoul(argv[0], NULL, 10);
	bool write = atoi(argv[1]) != 0;
	uint64_t block = strtoull(argv[2], NULL, 10);
	int fill = atoi(argv[3]), out = atoi(argv[4]), fd;
	struct {
		long ret;
		int err;
	} r;
	char path[64];
	void *buf;

	if (posix_memalign(&buf, BLK, BLK))
		return 2;
	memset(buf, fill, BLK);
	snprintf(path, sizeof(path), BUSE_BLOCK_DEVICE_FMT, n);
	fd = open(path, O_RDWR | O_DIRECT);
	if (fd < 0)
		r.ret = -1;
	else if (write)
		r.ret = pwrite(fd, buf, BLK, (off_t)(block * BLK));
	else
		r.ret = pread(fd, buf, BLK, (off_t)(block * BLK));
	r.err = r.ret < 0 ? errno : 0;
	return write_all_ok(out, &r, sizeof(r)) && write_all_ok(out, buf, BLK)
		       ? 0
		       : 1;
}

/* Reads len bytes; false on EOF or error. */
static bool read_all(int fd, void *buf, size_t len)
{
	unsigned char *b = buf;

	while (len) {
		ssize_t r = read(fd, b, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		b += r;
		len -= (size_t)r;
	}
	return true;
}

/* Has the client finished within ms?  Collects its result. */
static bool client_wait(struct client *c, int ms)
{
	struct pollfd pfd = { .fd = c->rfd, .events = POLLIN };
	struct {
		long ret;
		int err;
	} r;

	if (c->done)
		return true;
	if (poll(&pfd, 1, ms) <= 0)
		return false;
	if (!read_all(c->rfd, &r, sizeof(r)) ||
	    !read_all(c->rfd, c->data, BLK)) {
		r.ret = -1;
		r.err = EPIPE;
	}
	c->ret = r.ret;
	c->err = r.err;
	c->done = true;
	close(c->rfd);
	waitpid(c->pid, NULL, 0);
	return true;
}

/* Ends a client that is still waiting (its request must end first). */
static void client_reap(struct client *c)
{
	if (c->pid > 0 && !c->done) {
		kill(c->pid, SIGKILL);
		close(c->rfd);
		waitpid(c->pid, NULL, 0);
		c->done = true;
	}
}

/* ------------------------------------------------------------------------
 * The ring
 */

struct ring {
	struct rawring rr; /* queue 0 of device n; rr.store: its data */
	unsigned n;
	/* Ask for attach flag bit 0 (no longer defined: must be cleared). */
	bool old_flag;
	/* CANCEL notices seen. */
	struct {
		uint16_t tag, seq;
	} cancels[64];
	unsigned ncancels;
};

static void ring_map(struct ring *rg)
{
	int ret = rawring_map(&rg->rr, rg->rr.fd, &rg->rr.a, 0);

	if (ret < 0)
		die("mmap: %s", strerror(-ret));
}

static void ring_attach(struct ring *rg)
{
	struct buse_attach a;
	char path[64];

	snprintf(path, sizeof(path), BUSE_CHAR_DEVICE_FMT, rg->n);
	rg->rr.fd = rawring_open(rg->n, O_RDWR | O_CLOEXEC);
	if (rg->rr.fd < 0)
		die("open %s: %s", path, strerror(errno));
	if (rawring_attach(rg->rr.fd, &a, rg->old_flag ? 1u : 0u) < 0)
		die("ATTACH %s: %s", path, strerror(errno));
	if (a.flags)
		die("ATTACH %s: flags %#x returned, expected 0", path, a.flags);
	if (a.nr_queues != 1 || a.queue_depth < 2 || a.size < (4u << 20))
		die("device %u: want 1 queue, depth >= 2, >= 4 MiB (has %u, %u, %llu)",
		    rg->n, a.nr_queues, a.queue_depth,
		    (unsigned long long)a.size);
	rg->rr.a = a;
	ring_map(rg);
	rawring_sync(&rg->rr);
	if (!rg->rr.store) {
		rg->rr.store = calloc(1, a.size);
		if (!rg->rr.store)
			die("out of memory");
	}
}

static void ring_detach(struct ring *rg)
{
	rawring_unmap(&rg->rr);
	close(rg->rr.fd);
	rg->rr.fd = -1;
}

static void push(struct ring *rg, uint16_t tag, uint16_t seq, int32_t result)
{
	rawring_push(&rg->rr, tag, seq, result);
}

/* RUN NOWAIT on queue 0: 0 or -errno. */
static int run(struct ring *rg, struct buse_run *r)
{
	return rawring_run(rg->rr.fd, 0, BUSE_RUN_F_NOWAIT, r);
}

static void answer(struct ring *rg, const struct buse_io_desc *d,
		   const char *what)
{
	struct buse_run r;
	int ret;

	push(rg, d->tag, d->seq, rawring_serve_mem(&rg->rr, d));
	ret = run(rg, &r);
	if (ret || r.rejected || r.completed != 1)
		fail("%s: honest completion: RUN %s, completed %u, rejected %u",
		     what, ret ? strerror(-ret) : "ok", r.completed,
		     r.rejected);
}

/*
 * The next request (not a CANCEL notice, which is recorded) within ms:
 * 1, or 0.  Never answers anything.  While the ring is empty it calls RUN
 * if fetch, or only looks at the ring.
 */
static int next_request(struct ring *rg, struct buse_io_desc *d, int ms,
			bool fetch)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	struct buse_run r;

	for (;;) {
		uint32_t posted = rawring_posted(&rg->rr);

		if (posted && posted <= rg->rr.a.sq_entries) {
			rawring_take(&rg->rr, d);
			if (d->op != BUSE_OP_CANCEL)
				return 1;
			if (rg->ncancels < 64) {
				rg->cancels[rg->ncancels].tag = d->tag;
				rg->cancels[rg->ncancels].seq = d->seq;
				rg->ncancels++;
			}
			continue;
		}
		if (now_ms() >= end)
			return 0;
		if (fetch)
			run(rg, &r);
		usleep(2000);
	}
}

static int take(struct ring *rg, struct buse_io_desc *d, int ms)
{
	return next_request(rg, d, ms, true);
}

/* Takes the request of client c (op, block), answering others honestly. */
static bool take_for(struct ring *rg, struct buse_io_desc *d, int op,
		     uint64_t block, int ms, const char *what)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	while (now_ms() < end) {
		if (!take(rg, d, (int)(end - now_ms())))
			break;
		if (d->op == op && d->sector == block * (BLK / 512) &&
		    d->len == BLK)
			return true;
		answer(rg, d, "unrelated request");
	}
	fail("%s: the request (op %d, block %llu) never arrived", what, op,
	     (unsigned long long)block);
	return false;
}

/* One client I/O served honestly; checks its outcome. */
static void honest_io(struct ring *rg, bool write, uint64_t block,
		      unsigned char fill, const char *what)
{
	struct client c;
	struct buse_io_desc d;

	client_start(&c, rg->n, write, block, fill);
	if (take_for(rg, &d, write ? BUSE_OP_WRITE : BUSE_OP_READ, block, 5000,
		     what))
		answer(rg, &d, what);
	if (!client_wait(&c, 5000)) {
		fail("%s: the client did not finish", what);
		client_reap(&c);
		return;
	}
	if (c.ret != BLK)
		fail("%s: the client got %ld (%s)", what, c.ret,
		     strerror(c.err));
	else if (!write &&
		 (c.data[0] != fill || memcmp(c.data, c.data + 1, BLK - 1)))
		fail("%s: wrong data (0x%02x, expected 0x%02x)", what,
		     c.data[0], fill);
}

/* The batch queued in the ring must be refused: EINVAL, rejected > 0. */
static bool expect_rejected(struct ring *rg, const char *what,
			    uint32_t want_completed)
{
	struct buse_run r;
	int ret = run(rg, &r);

	if (ret == -EINVAL && r.rejected > 0 && r.completed == want_completed) {
		ok("%s: EINVAL, completed %u, rejected %u", what, r.completed,
		   r.rejected);
		return true;
	}
	fail("%s: RUN %s, completed %u, rejected %u; expected EINVAL, completed %u, rejected > 0",
	     what, ret ? strerror(-ret) : "ok", r.completed, r.rejected,
	     want_completed);
	return false;
}

/* The client's request must still be waiting. */
static bool outstanding(struct client *c, const char *what)
{
	if (!client_wait(c, 300))
		return true;
	fail("%s: the held request ended (%ld, %s): a bad completion must leave it outstanding",
	     what, c->ret, c->err ? strerror(c->err) : "success");
	return false;
}

/* Starts a READ of block and holds it. */
static bool hold_read(struct ring *rg, struct client *c, uint64_t block,
		      struct buse_io_desc *d, const char *what)
{
	client_start(c, rg->n, false, block, 0);
	if (take_for(rg, d, BUSE_OP_READ, block, 5000, what))
		return true;
	client_reap(c);
	return false;
}

/* Answers the held READ with fill bytes; the client must get them. */
static void release_read(struct ring *rg, struct client *c,
			 const struct buse_io_desc *d, unsigned char fill,
			 const char *what)
{
	struct buse_run r;
	int ret;

	memset(rawring_buf(&rg->rr, d->tag), fill, d->len);
	push(rg, d->tag, d->seq, 0);
	ret = run(rg, &r);
	if (ret || r.completed != 1)
		fail("%s: the honest answer: RUN %s, completed %u, rejected %u",
		     what, ret ? strerror(-ret) : "ok", r.completed,
		     r.rejected);
	if (!client_wait(c, 5000)) {
		fail("%s: the READ did not complete after the honest answer",
		     what);
		client_reap(c);
		return;
	}
	if (c->ret != BLK || c->data[0] != fill ||
	    memcmp(c->data, c->data + 1, BLK - 1))
		fail("%s: the READ got %ld (%s), data 0x%02x; expected 4096 bytes of 0x%02x",
		     what, c->ret, strerror(c->err), c->data[0], fill);
	else
		ok("%s: the held READ then completed with its data", what);
}

/* ------------------------------------------------------------------------
 * The checks
 */

enum { TAG_HELD, TAG_ABS, TAG_OTHER };

/* check_twice() holds up to this many READs (case 51: depth 4). */
#define MAX_HELD 8

struct bogus {
	const char *what;
	int tag_mode; /* TAG_*: the held tag, tag, or one not in flight */
	uint16_t tag;
	int seq_delta;
	int32_t result;
};

static void check_bogus(struct ring *rg)
{
	const uint16_t depth = (uint16_t)rg->rr.a.queue_depth;
	const struct bogus list[] = {
		{ "tag == depth", TAG_ABS, depth, 0, 0 },
		{ "tag == depth + 1", TAG_ABS, (uint16_t)(depth + 1), 0, 0 },
		{ "tag 0x7fff", TAG_ABS, 0x7fff, 0, 0 },
		{ "tag 0xffff", TAG_ABS, 0xffff, 0, 0 },
		{ "a tag not in flight", TAG_OTHER, 0, 0, 0 },
		{ "seq - 1", TAG_HELD, 0, -1, 0 },
		{ "seq + 1", TAG_HELD, 0, 1, 0 },
		{ "seq ^ 0x8000", TAG_HELD, 0, 0x8000, 0 },
		{ "result len + 512", TAG_HELD, 0, 0, (int32_t)BLK + 512 },
		{ "result 2 * len", TAG_HELD, 0, 0, 2 * (int32_t)BLK },
		{ "result INT32_MAX", TAG_HELD, 0, 0, INT32_MAX },
		{ "result 1", TAG_HELD, 0, 0, 1 },
		{ "result 511", TAG_HELD, 0, 0, 511 },
		{ "result len - 1", TAG_HELD, 0, 0, (int32_t)BLK - 1 },
		{ "result -4096 (negative length)", TAG_HELD, 0, 0, -4096 },
		{ "result -4097 (negative length)", TAG_HELD, 0, 0, -4097 },
		{ "result -65536 (negative length)", TAG_HELD, 0, 0, -65536 },
		{ "result INT32_MIN (negative length)", TAG_HELD, 0, 0,
		  INT32_MIN },
	};
	struct client c = { .pid = 0 };
	struct buse_io_desc d = { .tag = 0 };
	bool held = false;
	size_t i;

	for (i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
		const struct bogus *b = &list[i];
		uint16_t tag = b->tag_mode == TAG_ABS ? b->tag
			       : b->tag_mode == TAG_OTHER
				       ? (uint16_t)((d.tag + 1) % depth)
				       : d.tag;
		char what[96];

		if (!held) {
			if (!hold_read(rg, &c, 40 + i, &d, b->what))
				return;
			held = true;
			if (b->tag_mode == TAG_HELD)
				tag = d.tag;
			else if (b->tag_mode == TAG_OTHER)
				tag = (uint16_t)((d.tag + 1) % depth);
		}
		push(rg, tag, (uint16_t)(d.seq + b->seq_delta), b->result);
		snprintf(what, sizeof(what), "held READ, completion with %s",
			 b->what);
		expect_rejected(rg, what, 0);
		if (!outstanding(&c, what))
			held = false;
	}
	if (held)
		release_read(rg, &c, &d, 0xa5, "after the bogus completions");
}

static void check_twice(struct ring *rg)
{
	struct client c, others[MAX_HELD];
	struct buse_io_desc d, first, od[MAX_HELD];
	unsigned int nheld = 0, i;
	bool again = false;

	/* The same tag and seq again, in a later RUN. */
	if (!hold_read(rg, &c, 61, &d, "complete twice"))
		return;
	release_read(rg, &c, &d, 0x3c, "complete twice, first answer");
	push(rg, d.tag, d.seq, 0);
	expect_rejected(rg, "the same tag and seq once more, in a later RUN",
			0);
	push(rg, d.tag, d.seq, 0);
	push(rg, d.tag, d.seq, -EIO);
	expect_rejected(rg, "the same tag and seq twice more in one batch", 0);

	/*
	 * An earlier issue's completion while the tag's next issue is held.
	 * Which free tag blk-mq picks is its business: hold every READ that
	 * gets another tag, so that once the others are all held the next
	 * one must get this tag.
	 */
	first = d;
	while (nheld < rg->rr.a.queue_depth && nheld < MAX_HELD) {
		if (!hold_read(rg, &c, 62 + (uint64_t)nheld, &d, "stale seq"))
			goto release;
		if (d.tag == first.tag) {
			again = true;
			break;
		}
		others[nheld] = c;
		od[nheld++] = d;
	}
	if (!again) {
		fail("stale seq: tag %u was not issued again with the %u other tags held",
		     first.tag, nheld);
		goto release;
	}
	if (d.seq == first.seq)
		fail("tag %u issued again with the same seq %u", d.tag, d.seq);
	push(rg, first.tag, first.seq, 0);
	expect_rejected(
		rg, "the previous issue's (tag, seq) while the tag is reissued",
		0);
	if (outstanding(&c, "stale seq"))
		release_read(rg, &c, &d, 0x77, "stale seq");
release:
	for (i = 0; i < nheld; i++)
		release_read(rg, &others[i], &od[i], 0x11,
			     "stale seq: a READ holding another tag");
}

static void check_never_issued(struct ring *rg)
{
	uint32_t t;
	struct buse_run r;
	int ret;

	for (t = 0; t < rg->rr.a.queue_depth; t++)
		push(rg, (uint16_t)t, (uint16_t)(t * 7 + 3), 0);
	ret = run(rg, &r);
	if (ret == -EINVAL && r.rejected == rg->rr.a.queue_depth &&
	    r.completed == 0)
		ok("every tag completed, none issued: all %u rejected",
		   r.rejected);
	else
		fail("every tag completed, none issued: RUN %s, completed %u, rejected %u",
		     ret ? strerror(-ret) : "ok", r.completed, r.rejected);
}

static void check_indices(struct ring *rg)
{
	struct buse_io_desc d;
	struct client c;
	uint32_t head, saved;
	struct buse_run r;
	int ret;

	/* cq_tail behind cq_head, far ahead, ahead by 2^31. */
	head = __atomic_load_n(&rg->rr.hdr->cq_head, __ATOMIC_ACQUIRE);
	__atomic_store_n(&rg->rr.hdr->cq_tail, head - 1, __ATOMIC_RELEASE);
	expect_rejected(rg, "cq_tail = cq_head - 1", 0);
	__atomic_store_n(&rg->rr.hdr->cq_tail, head + rg->rr.a.cq_entries + 1,
			 __ATOMIC_RELEASE);
	expect_rejected(rg, "cq_tail = cq_head + cq_entries + 1", 0);
	__atomic_store_n(&rg->rr.hdr->cq_tail, head + 0x80000000u,
			 __ATOMIC_RELEASE);
	expect_rejected(rg, "cq_tail = cq_head + 2^31", 0);
	if (__atomic_load_n(&rg->rr.hdr->cq_head, __ATOMIC_ACQUIRE) != head)
		fail("the kernel moved cq_head on a refused cq_tail");
	rawring_resync_cq(&rg->rr);

	/* A whole ring of zeroed entries: each one refused. */
	memset(rg->rr.cq, 0, rg->rr.a.cq_entries * sizeof(*rg->rr.cq));
	rg->rr.cq_tail += rg->rr.a.cq_entries;
	__atomic_store_n(&rg->rr.hdr->cq_tail, rg->rr.cq_tail,
			 __ATOMIC_RELEASE);
	ret = run(rg, &r);
	if (ret == -EINVAL && r.rejected == rg->rr.a.cq_entries &&
	    r.completed == 0)
		ok("a full ring of zeroed completions: all %u rejected",
		   r.rejected);
	else
		fail("a full ring of zeroed completions: RUN %s, completed %u, rejected %u",
		     ret ? strerror(-ret) : "ok", r.completed, r.rejected);
	rawring_resync_cq(&rg->rr);
	honest_io(rg, true, 70, 0x70, "a write after the index abuse");

	/*
	 * sq_head ahead of sq_tail: a broken server.  Nothing it stores may
	 * hold a request back (it would never time out): the kernel posts,
	 * and RUN reports the bogus index (EINVAL, rejected) at once.
	 */
	saved = rg->rr.sq_head;
	__atomic_store_n(&rg->rr.hdr->sq_head, saved + 1000, __ATOMIC_RELEASE);
	client_start(&c, rg->n, false, 70, 0);
	{
		uint64_t end = now_ms() + 5000;

		while (__atomic_load_n(&rg->rr.hdr->sq_tail,
				       __ATOMIC_ACQUIRE) == saved &&
		       now_ms() < end)
			usleep(2000);
	}
	if (__atomic_load_n(&rg->rr.hdr->sq_tail, __ATOMIC_ACQUIRE) !=
	    saved + 1)
		fail("sq_head ahead of sq_tail: the kernel held the request back (sq_tail %#x, expected %#x)",
		     rg->rr.hdr->sq_tail, saved + 1);
	else
		ok("sq_head ahead of sq_tail: the kernel posts the request anyway");
	ret = run(rg, &r);
	if (ret == -EINVAL && r.rejected >= 1)
		ok("sq_head ahead of sq_tail: RUN says EINVAL, rejected %u",
		   r.rejected);
	else
		fail("sq_head ahead of sq_tail: RUN %s, rejected %u; expected EINVAL",
		     ret ? strerror(-ret) : "ok", r.rejected);
	__atomic_store_n(&rg->rr.hdr->sq_head, saved, __ATOMIC_RELEASE);
	if (take_for(rg, &d, BUSE_OP_READ, 70, 5000,
		     "after restoring sq_head")) {
		answer(rg, &d, "after restoring sq_head");
		if (client_wait(&c, 5000) && c.ret == BLK && c.data[0] == 0x70)
			ok("sq_head restored: the READ posted meanwhile was served");
		else
			fail("sq_head restored: the READ got %ld (%s)", c.ret,
			     strerror(c.err));
	}
	client_reap(&c);

	/* Garbage in the kernel's own indices: ignored. */
	saved = __atomic_load_n(&rg->rr.hdr->sq_tail, __ATOMIC_ACQUIRE);
	rg->rr.hdr->sq_tail = saved + 12345;
	rg->rr.hdr->cq_head = 0xdeadbeef;
	ret = run(rg, &r);
	if (ret)
		fail("RUN with garbage in sq_tail and cq_head: %s",
		     strerror(-ret));
	if (__atomic_load_n(&rg->rr.hdr->cq_head, __ATOMIC_ACQUIRE) !=
	    rg->rr.cq_tail)
		fail("the kernel kept the garbage cq_head (%#x, expected %#x)",
		     rg->rr.hdr->cq_head, rg->rr.cq_tail);
	client_start(&c, rg->n, false, 70, 0);
	{
		uint64_t end = now_ms() + 5000;

		while (__atomic_load_n(&rg->rr.hdr->sq_tail,
				       __ATOMIC_ACQUIRE) != saved + 1 &&
		       now_ms() < end)
			usleep(2000);
	}
	if (__atomic_load_n(&rg->rr.hdr->sq_tail, __ATOMIC_ACQUIRE) !=
	    saved + 1)
		fail("the kernel's sq_tail did not come back after garbage (%#x, expected %#x)",
		     rg->rr.hdr->sq_tail, saved + 1);
	if (take_for(rg, &d, BUSE_OP_READ, 70, 5000,
		     "garbage sq_tail/cq_head")) {
		answer(rg, &d, "garbage sq_tail/cq_head");
		if (client_wait(&c, 5000) && c.ret == BLK && c.data[0] == 0x70)
			ok("garbage in sq_tail and cq_head: ignored, the READ was served");
		else
			fail("after garbage sq_tail/cq_head: the READ got %ld (%s)",
			     c.ret, strerror(c.err));
	}
	client_reap(&c);
}

static void check_munmap(struct ring *rg)
{
	struct buse_io_desc d;
	struct client c;
	struct buse_run r;
	uint64_t t0;
	int ret;

	/* Answer written, area unmapped, then RUN. */
	if (hold_read(rg, &c, 80, &d, "munmap then RUN")) {
		memset(rawring_buf(&rg->rr, d.tag), 0x5e, d.len);
		push(rg, d.tag, d.seq, 0);
		rawring_unmap(&rg->rr);
		ret = run(rg, &r);
		if (ret || r.completed != 1)
			fail("munmap then RUN: %s, completed %u, rejected %u",
			     ret ? strerror(-ret) : "ok", r.completed,
			     r.rejected);
		if (client_wait(&c, 5000) && c.ret == BLK && c.data[0] == 0x5e)
			ok("an answer written before munmap was consumed by RUN after it");
		else
			fail("munmap then RUN: the READ got %ld (%s), data 0x%02x",
			     c.ret, strerror(c.err), c.data[0]);
		client_reap(&c);
		/* RUN with nothing mapped, then map again and go on. */
		ret = run(rg, &r);
		if (ret)
			fail("RUN with the area unmapped: %s", strerror(-ret));
		ring_map(rg);
		honest_io(rg, true, 81, 0x81, "after mapping the area again");
		honest_io(rg, false, 81, 0x81, "after mapping the area again");
		ok("the area mapped again serves");
	}

	/* munmap + close with a READ held: it fails at once. */
	if (hold_read(rg, &c, 82, &d, "munmap + close")) {
		rawring_unmap(&rg->rr);
		t0 = now_ms();
		close(rg->rr.fd);
		rg->rr.fd = -1;
		if (!client_wait(&c, 5000))
			fail("munmap + close with a READ held: it still waits after 5 s");
		else if (c.ret >= 0 || c.err != EIO)
			fail("munmap + close with a READ held: %ld (%s), expected EIO",
			     c.ret, strerror(c.err));
		else
			ok("munmap + close with a READ held: EIO after %llu ms",
			   (unsigned long long)(now_ms() - t0));
		client_reap(&c);
		ring_attach(rg);
		honest_io(rg, false, 81, 0x81, "after re-attaching");
		ok("re-attached after munmap + close");
	}
}

static void check_timeout(unsigned t)
{
	struct ring rg;
	struct client c = { .pid = 0 }, w[MAX_HELD];
	struct buse_io_desc d, late, seen[MAX_HELD];
	const unsigned depth = 4;
	unsigned i, nseen = 0, nw = 0, ntimedout = 0;
	bool cancelled = false, on_late_tag = false, clean = true;
	struct buse_run r;
	uint64_t end;
	int ret;

	memset(&rg, 0, sizeof(rg));
	rg.n = t;
	ring_attach(&rg);
	if (rg.rr.a.queue_depth != depth)
		die("device %u: want depth %u for the timeout checks (has %u)",
		    t, depth, rg.rr.a.queue_depth);
	if (!hold_read(&rg, &c, 5, &d, "timeout"))
		goto out;
	late = d;
	if (!client_wait(&c, 8000)) {
		fail("a held READ on a device with a 1 s timeout still waits after 8 s");
		client_reap(&c);
		goto out;
	}
	if (c.ret >= 0 || c.err != ETIMEDOUT)
		fail("a held READ timed out with %ld (%s), expected ETIMEDOUT",
		     c.ret, strerror(c.err));
	else
		ok("a held READ timed out with ETIMEDOUT");
	if (take(&rg, &d, 2000))
		answer(&rg, &d, "unexpected request after the timeout");
	for (i = 0; i < rg.ncancels; i++)
		if (rg.cancels[i].tag == late.tag &&
		    rg.cancels[i].seq == late.seq)
			cancelled = true;
	if (cancelled)
		ok("BUSE_OP_CANCEL notice for tag %u seq %u", late.tag,
		   late.seq);
	else
		fail("no BUSE_OP_CANCEL notice for tag %u seq %u (%u notices)",
		     late.tag, late.seq, rg.ncancels);

	/*
	 * The timed-out READ's buffer is still ours (we never gave it back).
	 * One WRITE per tag: the one blk-mq gives the held tag must wait,
	 * unposted, with the buffer untouched, and still end by its timeout.
	 */
	memset(rawring_buf(&rg.rr, late.tag), 0xee, BLK);
	/*
	 * Blocks two apart: adjacent WRITEs could merge into one request
	 * while they wait for tags, leaving fewer requests than clients.
	 */
	for (nw = 0; nw < depth; nw++)
		client_start(&w[nw], rg.n, true, 20 + 2 * nw,
			     (unsigned char)(0x21 + nw));
	/*
	 * Wait for the depth - 1 postings (each client is a fork + exec,
	 * slow under emulation), then 1.5 s more, past the waiting WRITE's
	 * 1 s timeout: it must not be posted then either.
	 */
	end = now_ms() + 8000;
	while (nseen < depth - 1 && now_ms() < end)
		if (next_request(&rg, &seen[nseen], (int)(end - now_ms()),
				 true))
			nseen++;
	end = now_ms() + 1500;
	while (nseen < depth && now_ms() < end)
		if (next_request(&rg, &seen[nseen], (int)(end - now_ms()),
				 true))
			nseen++;
	for (i = 0; i < nseen; i++)
		if (seen[i].tag == late.tag)
			on_late_tag = true;
	if (on_late_tag || nseen != depth - 1)
		fail("held buffer: %u of %u WRITEs posted%s; expected %u, none on tag %u",
		     nseen, depth, on_late_tag ? ", one on the held tag" : "",
		     depth - 1, late.tag);
	else
		ok("held buffer: the WRITE on tag %u waits unposted, the other %u were posted",
		   late.tag, nseen);
	for (i = 0; i < BLK; i++)
		if (rawring_buf(&rg.rr, late.tag)[i] != 0xee)
			clean = false;
	if (clean)
		ok("held buffer: the kernel left the timed-out tag's buffer alone");
	else
		fail("held buffer: the kernel wrote another request's data into tag %u's buffer "
		     "while the server still held it",
		     late.tag);
	for (i = 0; i < nw; i++) {
		if (!client_wait(&w[i], 8000))
			fail("held buffer: WRITE %u still waits 8 s later (1 s timeout)",
			     i);
		else if (w[i].ret < 0 && w[i].err == ETIMEDOUT)
			ntimedout++;
		client_reap(&w[i]);
	}
	if (ntimedout == nw)
		ok("held buffer: all %u WRITEs, the waiting one too, ended with ETIMEDOUT",
		   nw);
	else
		fail("held buffer: %u of %u WRITEs ended with ETIMEDOUT",
		     ntimedout, nw);

	/* Completions of timed-out issues give their buffers back. */
	push(&rg, late.tag, late.seq, 0);
	for (i = 0; i < nseen; i++)
		push(&rg, seen[i].tag, seen[i].seq, 0);
	ret = run(&rg, &r);
	if (ret || r.rejected || r.completed != nseen + 1)
		fail("give-backs: RUN %s, completed %u, rejected %u; expected ok, %u, 0",
		     ret ? strerror(-ret) : "ok", r.completed, r.rejected,
		     nseen + 1);
	else
		ok("give-backs: the late completions of %u timed-out issues accepted",
		   r.completed);
	/* A second one of the same issue is stale. */
	push(&rg, late.tag, late.seq, 0);
	expect_rejected(&rg, "a second give-back of the same issue", 0);
	for (i = 0; i < depth; i++)
		honest_io(&rg, true, 30 + i, (unsigned char)(0x31 + i),
			  "after the give-backs");
	for (i = 0; i < depth; i++)
		honest_io(&rg, false, 30 + i, (unsigned char)(0x31 + i),
			  "after the give-backs, read back");
out:
	client_reap(&c);
	ring_detach(&rg);
	free(rg.rr.store);
}

/* Every byte of the buffer of tag is c. */
static bool buf_is(struct ring *rg, uint16_t tag, unsigned char c)
{
	const unsigned char *b = rawring_buf(&rg->rr, tag);

	return b[0] == c && !memcmp(b, b + 1, BLK - 1);
}

/* Every tag's buffer filled with c. */
static void fill_bufs(struct ring *rg, unsigned char c)
{
	memset(rawring_buf(&rg->rr, 0), c,
	       (size_t)rg->rr.a.queue_depth * rg->rr.a.max_io);
}

/*
 * Device n attached asking for attach flag bit 0 (WRITE_IN_RUN, which older
 * kernels granted): the bit comes back cleared, a lone WRITE and a WRITE
 * behind a held READ come with their data in the buffer before any RUN,
 * then honest service.
 */
static void check_write_data(unsigned n)
{
	struct ring rg;
	struct client c, held;
	struct buse_io_desc d, hd;
	uint32_t t;

	memset(&rg, 0, sizeof(rg));
	rg.n = n;
	rg.old_flag = true;
	ring_attach(&rg);
	ok("write data: ATTACH asking for flag bit 0 got flags 0");
	fill_bufs(&rg, 0xee);

	client_start(&c, rg.n, true, 20, 0x5a);
	if (!next_request(&rg, &d, 5000, false) || d.op != BUSE_OP_WRITE) {
		fail("write data: the lone WRITE never arrived");
		client_reap(&c);
		goto out;
	}
	if (d.desc_flags)
		fail("write data: a WRITE came with desc_flags %#x",
		     d.desc_flags);
	else if (!buf_is(&rg, d.tag, 0x5a))
		fail("write data: a lone WRITE came without its data");
	else
		ok("write data: a lone WRITE came with its data");
	answer(&rg, &d, "write data, lone WRITE");
	if (!client_wait(&c, 5000)) {
		fail("write data: the lone WRITE's client did not finish");
		client_reap(&c);
		goto out;
	}

	fill_bufs(&rg, 0xee);
	if (!hold_read(&rg, &held, 30, &hd, "write data"))
		goto out;
	client_start(&c, rg.n, true, 21, 0x5b);
	if (!next_request(&rg, &d, 5000, false) || d.op != BUSE_OP_WRITE) {
		fail("write data: the WRITE behind a held READ never arrived");
		client_reap(&c);
		release_read(&rg, &held, &hd, 0x33, "write data");
		goto out;
	}
	if (!buf_is(&rg, d.tag, 0x5b))
		fail("write data: a WRITE behind a held READ came without its data");
	else
		ok("write data: a WRITE behind a held READ came with its data");
	answer(&rg, &d, "write data");
	if (!client_wait(&c, 5000)) {
		fail("write data: the client did not finish");
		client_reap(&c);
		release_read(&rg, &held, &hd, 0x33, "write data");
		goto out;
	}
	if (c.ret != BLK)
		fail("write data: the client got %ld (%s)", c.ret,
		     strerror(c.err));
	release_read(&rg, &held, &hd, 0x33, "write data");
	honest_io(&rg, false, 20, 0x5a, "write data read back");
	honest_io(&rg, false, 21, 0x5b, "write data read back");
	for (t = 0; t < 32; t++) {
		uint64_t block = 300 + (t * 53) % 700;

		honest_io(&rg, true, block, (unsigned char)(0x80 + t),
			  "write data write");
		honest_io(&rg, false, block, (unsigned char)(0x80 + t),
			  "write data read");
	}
	ok("write data: 32 honest write/read pairs");
out:
	ring_detach(&rg);
	free(rg.rr.store);
}

int main(int argc, char **argv)
{
	struct ring rg;
	char *end;
	unsigned long n, t = ~0ul;
	unsigned i;

	check_prog = "hostile-ring";
	if (argc == 7 && !strcmp(argv[1], "--client"))
		return client_main(argv + 2);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || argc > 3)
		goto usage;
	n = strtoul(argv[1], &end, 10);
	if (*end || n > BUSE_MAX_INDEX)
		goto usage;
	if (argc == 3) {
		t = strtoul(argv[2], &end, 10);
		if (*end || t > BUSE_MAX_INDEX)
			goto usage;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&rg, 0, sizeof(rg));
	rg.n = (unsigned)n;
	ring_attach(&rg);

	honest_io(&rg, true, 10, 0x11, "baseline write");
	honest_io(&rg, false, 10, 0x11, "baseline read");
	ok("baseline: honest write and read");

	check_bogus(&rg);
	check_twice(&rg);
	check_never_issued(&rg);
	check_indices(&rg);
	check_munmap(&rg);
	if (t != ~0ul)
		check_timeout((unsigned)t);

	for (i = 0; i < 64; i++) {
		uint64_t block = 100 + (i * 37) % 900;

		honest_io(&rg, true, block, (unsigned char)(i + 1),
			  "final write");
		honest_io(&rg, false, block, (unsigned char)(i + 1),
			  "final read");
	}
	ok("64 honest write/read pairs after the abuse");
	ring_detach(&rg);
	free(rg.rr.store);

	check_write_data((unsigned)n);
	printf("hostile-ring: %d checks, %d failed\n", check_count,
	       check_failures);
	return check_failures ? 1 : 0;
usage:
	fprintf(stderr, "usage: hostile-ring N [T]\n");
	return 2;
}
