/* SPDX-License-Identifier: MIT */
/*
 * fake_kernel.h - the simulated buse driver of the unit tests.
 *
 * fake_kernel_ioctl() answers the driver's requests on one in-memory state
 * (struct fake_kernel): the control ioctls of /dev/busectl as the driver
 * does (VERSION; ADD with the driver's defaults, from the uapi macros;
 * INFO, LIST, REMOVE), and whatever a test registers for a request with
 * fake_kernel_on() (BUSE_IOC_RUN, say, or a device that appears between
 * two LISTs).  It is reached two ways:
 *
 *   - in process: fake_kernel_install() points libbdus' bdus__ioctl and
 *     bdus__ctl_path (libbdus/src/sys.h) at it (test_ctl.c,
 *     test_dispatch.c; Criterion runs each test in a process of its own);
 *   - in the real busectl binary: fake_kernel_preload.c, an LD_PRELOAD
 *     shim, routes open("/dev/busectl") and ioctl() on that fd to it
 *     (test_busectl.c).
 */
#ifndef FAKE_KERNEL_H
#define FAKE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/buse.h>

struct fake_dev {
	struct buse_dev_info info;
	bool opened; /* block device open: REMOVE needs FORCE */
};

/*
 * A test's handler of one request: like ioctl(2), >= 0, or -1 with errno
 * set.  It may call fake_kernel_builtin() for the driver's own answer.
 */
typedef int (*fake_kernel_fn)(int fd, unsigned long req, void *arg, void *ctx);

struct fake_kernel_hook {
	unsigned long req;
	fake_kernel_fn fn;
	void *ctx;
};

struct fake_kernel {
	/* Configuration. */
	uint32_t max_queues; /* "CPUs": VERSION, ADD's limit and default */
	int ioctl_errno;     /* != 0: every request fails with it */

	/* The devices, in the order they were added ([nr_devs] of [cap]). */
	struct fake_dev *devs;
	size_t nr_devs, cap;

	/* What the tests look at: every request, as it came in. */
	unsigned int calls;
	unsigned long last_req;
	union {
		struct buse_version version;
		struct buse_dev_info info;
		struct buse_ctl_remove rm;
		struct buse_ctl_list list;
	} last_in;

	/* fake_kernel_on() handlers. */
	struct fake_kernel_hook hooks[8];
	size_t nr_hooks;
};

extern struct fake_kernel fake_kernel;

/* An empty kernel: no device, no hook, 2 CPUs.  Frees the devices. */
void fake_kernel_reset(void);

/*
 * Adds device index of size bytes as BUSE_CTL_ADD would with every other
 * field 0 (the driver's defaults; state idle).  The device, or NULL
 * (index in use, no room).
 */
struct fake_dev *fake_kernel_add(uint32_t index, uint64_t size);

/* Device index, or NULL. */
struct fake_dev *fake_kernel_find(uint32_t index);

/* From now on, fn answers req instead of the fake kernel itself. */
void fake_kernel_on(unsigned long req, fake_kernel_fn fn, void *ctx);

/* The fake kernel's own answer to req (no hook, no ioctl_errno). */
int fake_kernel_builtin(int fd, unsigned long req, void *arg);

/* Whether the n bytes at p are all 0 (the driver's !memchr_inv()). */
bool fake_kernel_zero(const void *p, size_t n);

/* ioctl(2) of the simulated driver on fd. */
int fake_kernel_ioctl(int fd, unsigned long req, void *arg);

#ifdef BDUS_SYS_H
/*
 * A fresh fake kernel (fake_kernel_reset()) that libbdus calls from now
 * on: its ioctls go to fake_kernel_ioctl() and the control device is
 * /dev/null (an fd to pass around).  Include sys.h before this header to
 * have it.
 */
static inline void fake_kernel_install(void)
{
	fake_kernel_reset();
	bdus__ioctl = fake_kernel_ioctl;
	bdus__ctl_path = "/dev/null";
}
#endif

#endif /* FAKE_KERNEL_H */
