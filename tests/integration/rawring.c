// SPDX-License-Identifier: MIT
/*
 * rawring - see rawring.h.
 */
#include "rawring.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Check reporting
 */

const char *check_prog = "rawring";
int check_count, check_failures;

static void report(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stdout);
	vprintf(fmt, ap);
	putchar('\n');
}

void ok(const char *fmt, ...)
{
	va_list ap;

	check_count++;
	va_start(ap, fmt);
	report("ok: ", fmt, ap);
	va_end(ap);
}

void fail(const char *fmt, ...)
{
	va_list ap;

	check_count++;
	check_failures++;
	va_start(ap, fmt);
	report("FAIL: ", fmt, ap);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("%s: ", check_prog);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	exit(2);
}

void rawring_on_signal(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn; /* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

uint64_t rawring_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------------
 * Device files
 */

int rawring_open(unsigned n, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), BUSE_CHAR_DEVICE_FMT, n);
	return open(path, flags);
}

int rawring_attach(int fd, struct buse_attach *a, uint32_t flags)
{
	memset(a, 0, sizeof(*a));
	a->flags = flags;
	return ioctl(fd, BUSE_IOC_ATTACH, a) < 0 ? -errno : 0;
}

int rawring_run(int fd, uint32_t queue, uint32_t flags, struct buse_run *r)
{
	memset(r, 0, sizeof(*r));
	r->queue = queue;
	r->flags = flags;
	return ioctl(fd, BUSE_IOC_RUN, r) < 0 ? -errno : 0;
}

int rawring_info(int ctl, uint32_t index, struct buse_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	info->index = index;
	return ioctl(ctl, BUSE_CTL_INFO, info);
}

int rawring_remove(int ctl, uint32_t index, uint32_t flags)
{
	struct buse_ctl_remove rm;

	memset(&rm, 0, sizeof(rm));
	rm.index = index;
	rm.flags = flags;
	return ioctl(ctl, BUSE_CTL_REMOVE, &rm);
}

/* ------------------------------------------------------------------------
 * One queue's ring area
 */

void rawring_locate(struct rawring *rg, void *map)
{
	rg->map = map;
	rg->hdr = map;
	rg->sq = (struct buse_io_desc *)(rg->map + rg->a.sq_off);
	rg->cq = (struct buse_io_cqe *)(rg->map + rg->a.cq_off);
}

int rawring_map(struct rawring *rg, int fd, const struct buse_attach *a,
		uint32_t queue)
{
	void *map;

	rg->fd = fd;
	rg->queue = queue;
	rg->a = *a;
	map = mmap(NULL, a->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   (off_t)BUSE_QUEUE_MMAP_OFFSET(queue));
	if (map == MAP_FAILED) {
		int err = errno;

		rg->map = NULL;
		return -err;
	}
	rawring_locate(rg, map);
	return 0;
}

void rawring_unmap(struct rawring *rg)
{
	if (rg->map)
		munmap(rg->map, rg->a.map_size);
	rg->map = NULL;
}

void rawring_sync(struct rawring *rg)
{
	rg->sq_head = __atomic_load_n(&rg->hdr->sq_head, __ATOMIC_ACQUIRE);
	rg->cq_tail = __atomic_load_n(&rg->hdr->cq_tail, __ATOMIC_ACQUIRE);
}

unsigned char *rawring_buf(const struct rawring *rg, uint16_t tag)
{
	return rg->map + rg->a.data_off + (size_t)tag * rg->a.max_io;
}

struct buse_io_desc *rawring_sq_slot(const struct rawring *rg, uint32_t idx)
{
	return &rg->sq[idx & (rg->a.sq_entries - 1)];
}

struct buse_io_cqe *rawring_cq_slot(const struct rawring *rg, uint32_t idx)
{
	return &rg->cq[idx & (rg->a.cq_entries - 1)];
}

uint32_t rawring_posted(const struct rawring *rg)
{
	return __atomic_load_n(&rg->hdr->sq_tail, __ATOMIC_ACQUIRE) -
	       rg->sq_head;
}

void rawring_take(struct rawring *rg, struct buse_io_desc *d)
{
	*d = *rawring_sq_slot(rg, rg->sq_head);
	rg->sq_head++;
	__atomic_store_n(&rg->hdr->sq_head, rg->sq_head, __ATOMIC_RELEASE);
}

void rawring_push(struct rawring *rg, uint16_t tag, uint16_t seq,
		  int32_t result)
{
	struct buse_io_cqe *c = rawring_cq_slot(rg, rg->cq_tail);

	c->tag = tag;
	c->seq = seq;
	c->result = result;
	rg->cq_tail++;
	__atomic_store_n(&rg->hdr->cq_tail, rg->cq_tail, __ATOMIC_RELEASE);
}

void rawring_resync_cq(struct rawring *rg)
{
	rg->cq_tail = __atomic_load_n(&rg->hdr->cq_head, __ATOMIC_ACQUIRE);
	__atomic_store_n(&rg->hdr->cq_tail, rg->cq_tail, __ATOMIC_RELEASE);
}

int32_t rawring_serve_mem(struct rawring *rg, const struct buse_io_desc *d)
{
	uint64_t off = d->sector * 512;

	switch (d->op) {
	case BUSE_OP_READ:
	case BUSE_OP_WRITE:
		if (d->len > rg->a.max_io || off > rg->a.size ||
		    d->len > rg->a.size - off)
			return -EIO;
		if (d->op == BUSE_OP_READ)
			memcpy(rawring_buf(rg, d->tag), rg->store + off,
			       d->len);
		else /* the data came with the descriptor */
			memcpy(rg->store + off, rawring_buf(rg, d->tag),
			       d->len);
		return 0;
	case BUSE_OP_FLUSH:
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}
