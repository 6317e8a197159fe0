// SPDX-License-Identifier: MIT
/*
 * test_serve.c - what bdus_serve() (libbdus/src/serve.c) does before it
 * serves, checked without the kernel: the adaptive polling window
 * (bdus_poll_next() in ring.c), bdus_opts validation and layout, the
 * driver's ABI and features, and the I/O flusher setup (restored on
 * return; one warning when not permitted).  The CPU placement of the
 * queue threads is in test_cpulist.c.
 *
 * Every bdus_serve() call here fails before or at the open of
 * /dev/busecN (no such device on the host), and none asks for
 * BDUS_OPT_MLOCK with valid options, so nothing is ever locked.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bdus.h"
#include "cpulist.h"
#include "ring.h"
#include "serve.h"
#include "sys.h"
#include "fake_kernel.h"

#ifndef PR_SET_IO_FLUSHER
#define PR_SET_IO_FLUSHER 57
#define PR_GET_IO_FLUSHER 58
#endif

/* ------------------------------------------------------------------------
 * The adaptive polling window
 */

Test(poll_window, off)
{
	cr_expect_eq(bdus_poll_next(0, 0, false, 0), 0);
	cr_expect_eq(bdus_poll_next(0, 0, true, 0), 0);
	cr_expect_eq(bdus_poll_next(0, 50, true, 0), 0);
}

Test(poll_window, doubles_on_hit_up_to_max)
{
	cr_expect_eq(bdus_poll_next(100, 1, true, 0), 2);
	cr_expect_eq(bdus_poll_next(100, 25, true, 0), 50);
	cr_expect_eq(bdus_poll_next(100, 50, true, 0), 100);
	cr_expect_eq(bdus_poll_next(100, 60, true, 0), 100);
	cr_expect_eq(bdus_poll_next(100, 100, true, 0), 100);
	/* A window above the maximum is clamped first. */
	cr_expect_eq(bdus_poll_next(100, 500, true, 0), 100);
	cr_expect_eq(
		bdus_poll_next(BDUS_MAX_POLL_US, BDUS_MAX_POLL_US, true, 0),
		BDUS_MAX_POLL_US);
}

Test(poll_window, halves_on_miss_down_to_zero)
{
	uint32_t w = 100, n = 0;

	while (w) {
		w = bdus_poll_next(100, w, false, 0);
		n++;
		cr_assert_leq(n, 10);
	}
	/* 100 50 25 12 6 3 1 0 */
	cr_expect_eq(n, 7);
	cr_expect_eq(bdus_poll_next(100, 1, false, 0), 0);
	cr_expect_eq(bdus_poll_next(100, 500, false, 0), 50);
}

Test(poll_window, reopens_after_a_short_sleep)
{
	/* Window closed: the time slept decides. */
	cr_expect_eq(bdus_poll_next(100, 0, false, 0), 100);
	cr_expect_eq(bdus_poll_next(100, 0, false, 100 * 1000), 100);
	/* The sleep counted the wake-up a spin does not pay. */
	cr_expect_eq(BDUS_POLL_REOPEN, 4);
	cr_expect_eq(bdus_poll_next(100, 0, false, 400 * 1000), 100);
	cr_expect_eq(bdus_poll_next(100, 0, false, 400 * 1000 + 1), 0);
	cr_expect_eq(bdus_poll_next(100, 0, false, 5ull * 1000 * 1000 * 1000),
		     0);
	cr_expect_eq(bdus_poll_next(100, 0, false, UINT64_MAX), 0);
	/* found is meaningless without a window. */
	cr_expect_eq(bdus_poll_next(100, 0, true, UINT64_MAX), 0);
}

Test(poll_window, idle_queue_stops_spinning)
{
	uint32_t w = 50, spins = 0;
	unsigned int i;

	/* Batches 10 ms apart: after a few misses, never spin again. */
	for (i = 0; i < 100; i++) {
		if (w) {
			spins++;
			w = bdus_poll_next(50, w, false, 0);
		} else {
			w = bdus_poll_next(50, 0, false, 10 * 1000 * 1000);
		}
	}
	cr_expect_eq(w, 0);
	cr_expect_eq(spins, 6); /* 50 25 12 6 3 1 */
}

/* ------------------------------------------------------------------------
 * Options
 */

/* The ABI: poll_us took the place of a padding field. */
_Static_assert(offsetof(struct bdus_opts, flags) == 8, "flags");
_Static_assert(offsetof(struct bdus_opts, poll_us) == 12, "poll_us");
_Static_assert(offsetof(struct bdus_opts, on_ready) == 16, "on_ready");
_Static_assert(sizeof(struct bdus_opts) == 64, "bdus_opts size");

static int e_read(void *ctx, void *buf, uint64_t off, uint32_t len,
		  const struct bdus_req *req)
{
	(void)ctx;
	(void)buf;
	(void)off;
	(void)len;
	(void)req;
	return 0;
}

static int e_write(void *ctx, const void *buf, uint64_t off, uint32_t len,
		   const struct bdus_req *req)
{
	(void)ctx;
	(void)buf;
	(void)off;
	(void)len;
	(void)req;
	return 0;
}

static const struct storage_engine engine = {
	.name = "opts",
	.read = e_read,
	.write = e_write,
};

/* No such device on the host: -ENOENT once the options are accepted. */
#define NO_DEVICE BUSE_MAX_INDEX

static int serve(const struct bdus_opts *o)
{
	return bdus_serve(NO_DEVICE, &engine, NULL, o);
}

static unsigned long locked_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long kib = 0;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %lu kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

Test(serve_opts, flag_values)
{
	cr_expect_eq(BDUS_OPT_ALL, 0x7fu);
	cr_expect_eq(BDUS_OPT_ALL & BDUS_OPT_NO_POLL, BDUS_OPT_NO_POLL);
	cr_expect_eq(BDUS_OPT_ALL & BDUS_OPT_PIN_NEAR, BDUS_OPT_PIN_NEAR);
	cr_expect_eq(BDUS_OPT_ALL & BDUS_OPT_MLOCK, BDUS_OPT_MLOCK);
	cr_expect_eq(BDUS_OPT_ALL & BDUS_OPT_NO_PIN, BDUS_OPT_NO_PIN);
	cr_expect_eq(BDUS_OPT_ALL & BDUS_OPT_QUIET, BDUS_OPT_QUIET);
}

Test(serve_opts, valid_options_accepted)
{
	struct bdus_opts o = {
		.flags = BDUS_OPT_NO_SIGNALS | BDUS_OPT_NO_PARTSCAN |
			 BDUS_OPT_NO_PIN | BDUS_OPT_QUIET,
		.poll_us = BDUS_MAX_POLL_US,
	};

	cr_assert_eq(serve(&o), -ENOENT);
	o.flags ^= BDUS_OPT_NO_PIN | BDUS_OPT_PIN_NEAR;
	cr_assert_eq(serve(&o), -ENOENT);
	o.poll_us = 0;
	cr_assert_eq(serve(&o), -ENOENT);
	o.poll_us = 1;
	o.flags = BDUS_OPT_NO_SIGNALS | BDUS_OPT_QUIET;
	cr_assert_eq(serve(&o), -ENOENT);
}

Test(serve_opts, no_poll_accepted)
{
	struct bdus_opts o = { .flags = BDUS_OPT_NO_POLL | BDUS_OPT_QUIET };

	cr_expect_eq(serve(&o), -ENOENT);
	o.flags |= BDUS_OPT_NO_PIN;
	cr_expect_eq(serve(&o), -ENOENT);
}

/* What the queue threads get: the default window unless told otherwise. */
Test(serve_opts, poll_window)
{
	struct bdus_opts o = { .flags = BDUS_OPT_QUIET };

	cr_expect_eq(BDUS_DEFAULT_POLL_US, 200u);
	cr_expect_eq(bdus_opts_poll_us(NULL), BDUS_DEFAULT_POLL_US);
	cr_expect_eq(bdus_opts_poll_us(&o), BDUS_DEFAULT_POLL_US);
	o.poll_us = 1;
	cr_expect_eq(bdus_opts_poll_us(&o), 1u);
	o.poll_us = BDUS_MAX_POLL_US;
	cr_expect_eq(bdus_opts_poll_us(&o), BDUS_MAX_POLL_US);
	o.poll_us = 0;
	o.flags |= BDUS_OPT_NO_POLL;
	cr_expect_eq(bdus_opts_poll_us(&o), 0u);
}

Test(serve_opts, bad_options_rejected)
{
	struct bdus_opts o = { .flags = BDUS_OPT_QUIET };
	struct buse_dev_info info = { .index = BUSE_INDEX_ANY };

	o.poll_us = BDUS_MAX_POLL_US + 1;
	cr_expect_eq(serve(&o), -EINVAL);
	cr_expect_eq(bdus_create_and_serve(&info, &engine, NULL, &o), -EINVAL);
	o.poll_us = UINT32_MAX;
	cr_expect_eq(serve(&o), -EINVAL);
	o.poll_us = 0;
	o.flags = BDUS_OPT_ALL + 1;
	cr_expect_eq(serve(&o), -EINVAL);
	/* Two contrary placements. */
	o.flags = BDUS_OPT_NO_PIN | BDUS_OPT_PIN_NEAR | BDUS_OPT_QUIET;
	cr_expect_eq(serve(&o), -EINVAL);
	cr_expect_eq(bdus_create_and_serve(&info, &engine, NULL, &o), -EINVAL);
	/* A polling window and no polling. */
	o.flags = BDUS_OPT_NO_POLL | BDUS_OPT_QUIET;
	o.poll_us = 1;
	cr_expect_eq(serve(&o), -EINVAL);
	cr_expect_eq(bdus_create_and_serve(&info, &engine, NULL, &o), -EINVAL);
	o.poll_us = 0;
	o.flags = 1u << 31;
	cr_expect_eq(serve(&o), -EINVAL);
	cr_expect_eq(bdus_create_and_serve(&info, &engine, NULL, &o), -EINVAL);
	cr_expect_eq(info.index, BUSE_INDEX_ANY);
}

Test(serve_opts, bad_options_lock_nothing)
{
	struct bdus_opts o = {
		.flags = BDUS_OPT_MLOCK | BDUS_OPT_QUIET,
		.poll_us = BDUS_MAX_POLL_US + 1,
	};
	struct buse_dev_info info = { .index = BUSE_INDEX_ANY };

	cr_assert_eq(locked_kib(), 0);
	cr_expect_eq(serve(&o), -EINVAL);
	o.poll_us = 0;
	o.reserved[0] = 1;
	cr_expect_eq(serve(&o), -EINVAL);
	cr_expect_eq(bdus_create_and_serve(&info, &engine, NULL, &o), -EINVAL);
	o.reserved[0] = 0;
	cr_expect_eq(bdus_serve(NO_DEVICE, NULL, NULL, &o), -EINVAL);
	cr_expect_eq(bdus_serve(NO_DEVICE + 1, &engine, NULL, &o), -EINVAL);
	/* Validation comes before mlockall(). */
	cr_expect_eq(locked_kib(), 0);
}

/* ------------------------------------------------------------------------
 * I/O flusher
 */

static int get_flusher(void)
{
	return prctl(PR_GET_IO_FLUSHER, 0, 0, 0, 0);
}

Test(io_flusher, caller_setting_restored)
{
	struct bdus_opts o = { .flags = BDUS_OPT_NO_SIGNALS | BDUS_OPT_QUIET };
	int before = get_flusher();

	if (before < 0)
		cr_skip_test("PR_GET_IO_FLUSHER: %s (not root, or Linux < 5.6)",
			     strerror(errno));
	cr_assert_eq(prctl(PR_SET_IO_FLUSHER, 0, 0, 0, 0), 0);
	cr_assert_eq(serve(&o), -ENOENT);
	cr_expect_eq(get_flusher(), 0, "left set after bdus_serve()");
	/* Already set: stays set. */
	cr_assert_eq(prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0), 0);
	cr_assert_eq(serve(&o), -ENOENT);
	cr_expect_eq(get_flusher(), 1, "cleared by bdus_serve()");
	prctl(PR_SET_IO_FLUSHER, before, 0, 0, 0);
}

/* Drops CAP_SYS_RESOURCE from the effective set: PR_SET_IO_FLUSHER fails. */
static void drop_cap_sys_resource(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	unsigned int word = CAP_SYS_RESOURCE / 32;
	uint32_t bit = 1u << (CAP_SYS_RESOURCE % 32);

	memset(data, 0, sizeof(data));
	cr_assert_eq(syscall(SYS_capget, &hdr, data), 0);
	data[word].effective &= ~bit;
	cr_assert_eq(syscall(SYS_capset, &hdr, data), 0);
}

/* Runs fn(arg) with stderr captured into out. */
static void capture_stderr(void (*fn)(void *), void *arg, char *out,
			   size_t outlen)
{
	FILE *tmp = tmpfile();
	size_t n;
	int saved;

	cr_assert_not_null(tmp);
	fflush(stderr);
	saved = dup(2);
	cr_assert_geq(saved, 0);
	cr_assert_eq(dup2(fileno(tmp), 2), 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, outlen - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static void serve_no_device(void *arg)
{
	cr_assert_eq(serve(arg), -ENOENT);
}

struct warn_args {
	uint32_t flags;
	int err;
};

static void warn(void *arg)
{
	const struct warn_args *w = arg;

	bdus_warn_io_flusher("/dev/buse3", w->flags, w->err);
}

static unsigned int count_lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * Without CAP_SYS_RESOURCE: serving goes on; the warning waits for the
 * attach (so a server that cannot even open its device prints only its
 * error).  Criterion runs each test in its own process: the once-per-
 * process warning is fresh here.
 */
Test(io_flusher, not_permitted_no_warning_before_attach)
{
	struct bdus_opts o = { .flags = BDUS_OPT_NO_SIGNALS };
	char out[1024];

	drop_cap_sys_resource();
	if (prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0) == 0 || errno != EPERM)
		cr_skip_test("PR_SET_IO_FLUSHER does not fail with EPERM here");
	capture_stderr(serve_no_device, &o, out, sizeof(out));
	cr_expect_str_empty(out);
}

Test(io_flusher, warning_once_per_process)
{
	struct warn_args w = { .flags = BDUS_OPT_QUIET, .err = -EPERM };
	char out[1024];

	/* Quiet: nothing, and the one warning is still to come. */
	capture_stderr(warn, &w, out, sizeof(out));
	cr_expect_str_empty(out);
	/* No error: nothing. */
	w.flags = 0;
	w.err = 0;
	capture_stderr(warn, &w, out, sizeof(out));
	cr_expect_str_empty(out);

	w.err = -EPERM;
	capture_stderr(warn, &w, out, sizeof(out));
	cr_expect_eq(count_lines(out), 1, "stderr: '%s'", out);
	cr_expect_eq(strncmp(out, "libbdus: /dev/buse3: ", 21), 0, "'%s'", out);
	cr_expect_not_null(strstr(out, "PR_SET_IO_FLUSHER"), "'%s'", out);
	cr_expect_not_null(strstr(out, strerror(EPERM)), "'%s'", out);
	cr_expect_not_null(strstr(out, "CAP_SYS_RESOURCE"), "'%s'", out);

	/* Once per process, whatever the error. */
	capture_stderr(warn, &w, out, sizeof(out));
	cr_expect_str_empty(out);
	w.err = -EINVAL;
	capture_stderr(warn, &w, out, sizeof(out));
	cr_expect_str_empty(out);
}

Test(io_flusher, warning_other_errors)
{
	struct warn_args w = { .flags = 0, .err = -EINVAL };
	char out[1024];

	/* An old kernel: no capability hint. */
	capture_stderr(warn, &w, out, sizeof(out));
	cr_expect_eq(count_lines(out), 1, "stderr: '%s'", out);
	cr_expect_not_null(strstr(out, strerror(EINVAL)), "'%s'", out);
	cr_expect_null(strstr(out, "CAP_SYS_RESOURCE"), "'%s'", out);
}

/*
 * bdus_serve() reads BUSE_CTL_VERSION before it opens /dev/busecN: a
 * driver of another ABI, or one without the features the server needs,
 * is refused with a clear errno (NO_DEVICE does not exist: -ENOENT means
 * the check passed).
 */
struct version_edit {
	__u32 abi_delta;
	__u64 clear; /* feature bits the "driver" lacks */
};

static int edited_version(int fd, unsigned long req, void *arg, void *ctx)
{
	const struct version_edit *e = ctx;
	struct buse_version *v = arg;
	int ret = fake_kernel_builtin(fd, req, arg);

	v->abi_version += e->abi_delta;
	v->features &= ~e->clear;
	return ret;
}

static int serve_with_driver(struct version_edit e, uint64_t size)
{
	struct bdus_opts o = { .flags = BDUS_OPT_QUIET | BDUS_OPT_NO_SIGNALS,
			       .size = size };

	fake_kernel_install();
	fake_kernel_on(BUSE_CTL_VERSION, edited_version, &e);
	return serve(&o);
}

Test(serve_opts, driver_features_read)
{
	cr_expect_eq(serve_with_driver((struct version_edit){ 0 }, 0), -ENOENT);
	cr_expect_eq(serve_with_driver((struct version_edit){ 0 }, 1 << 20),
		     -ENOENT);
	cr_expect_eq(
		serve_with_driver((struct version_edit){ .abi_delta = 1 }, 0),
		-EPROTO);
	cr_expect_eq(
		serve_with_driver(
			(struct version_edit){ .clear = BUSE_FEAT_RING }, 0),
		-EPROTO);
	/* The size is the server's to give only with SIZE_BY_SERVER. */
	cr_expect_eq(serve_with_driver(
			     (struct version_edit){
				     .clear = BUSE_FEAT_SIZE_BY_SERVER },
			     0),
		     -ENOENT);
	cr_expect_eq(serve_with_driver(
			     (struct version_edit){
				     .clear = BUSE_FEAT_SIZE_BY_SERVER },
			     1 << 20),
		     -EOPNOTSUPP);
}
