// SPDX-License-Identifier: MIT
/*
 * kit.c - the command line and serving of the kit engines (kit.h), and
 * the "file" source they stack on.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fs.h>

#include <bdus.h>
#include <bdus_cli.h>
#include <bdus_ctl.h>

#include "kit.h"

#define KIT_MAX_DEPTH 8

void kit_err(const char *name, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "buse-%s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const struct kit_engine *const kit_engines[] = {
	&kit_http, &kit_nbd, &kit_file, &kit_cache, &kit_cow,
};

static const struct kit_engine *kit_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(kit_engines) / sizeof(kit_engines[0]); i++)
		if (!strcmp(kit_engines[i]->name, name))
			return kit_engines[i];
	return NULL;
}

/* One engine of the stack, as the command line names it. */
struct kit_layer {
	const struct kit_engine *def;
	void *ctx;
	const char *arg; /* a source's argument */
	struct kit_source src;
	bool set_up;
};

struct kit_stack {
	struct kit_layer layer[KIT_MAX_DEPTH]; /* [0]: the top */
	int n;
	/* What an offline filter gets for the engines below it. */
	struct kit_source absent;
};

static const struct kit_engine *kit_top;

/* The index of the first "--" in argv[from..argc), or argc. */
static int kit_split(int argc, char **argv, int from)
{
	int i;

	for (i = from; i < argc; i++)
		if (!strcmp(argv[i], "--"))
			return i;
	return argc;
}

static void kit_engine_list(FILE *f)
{
	size_t i;

	fprintf(f, "Engines after --:\n");
	for (i = 0; i < sizeof(kit_engines) / sizeof(kit_engines[0]); i++) {
		const struct kit_engine *e = kit_engines[i];

		fprintf(f, "  %-5s %-22s %s\n", e->name,
			e->arg_name ? e->arg_name : "[OPTIONS] -- ENGINE...",
			e->summary);
	}
}

static void kit_usage(FILE *f, const struct bdus_cli_spec *s)
{
	const struct kit_engine *e = kit_top;

	if (e->arg_name)
		fprintf(f,
			"Usage: %s [OPTIONS] %s N\n"
			"       %s --create [OPTIONS] %s\n"
			"       ... -- %s [%s-OPTIONS] %s   (under a filter)\n",
			s->prog, e->arg_name, s->prog, e->arg_name, e->name,
			e->name, e->arg_name);
	else
		fprintf(f,
			"Usage: %s [OPTIONS] N -- ENGINE [ENGINE-OPTIONS] ARG\n"
			"       %s --create [OPTIONS] -- ENGINE "
			"[ENGINE-OPTIONS] ARG\n"
			"       ... -- %s [%s-OPTIONS] -- ENGINE...   "
			"(under a filter)\n",
			s->prog, s->prog, e->name, e->name);
	fprintf(f,
		"\n%c%s.\n"
		"Serves buse device N (/dev/buseN), or creates a device, serves\n"
		"it and removes it on exit; the size is the engine's.  Prints\n"
		"/dev/buseN once serving; stops on SIGINT/SIGTERM or when the\n"
		"device is removed.\n\n",
		toupper((unsigned char)e->summary[0]), e->summary + 1);
	bdus_cli_usage(f, s);
	if (!e->arg_name) {
		fputc('\n', f);
		kit_engine_list(f);
	}
}

/* An engine's own options in argv[0..argc) (argv[0] its name). */
static int kit_parse_own(const struct kit_engine *e, void *ctx, int argc,
			 char **argv)
{
	char opts[64];
	const char *valid;
	int opt, ret, i;

	snprintf(opts, sizeof(opts), "+:%s", e->shortopts ? e->shortopts : "");
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, opts, e->longopts, NULL)) != -1) {
		if (opt == '?' || opt == ':') {
			kit_err(kit_top->name, "%s: %s '%s'", e->name,
				opt == '?' ? "unknown option"
					   : "missing value for",
				argv[optind - 1]);
			return -1;
		}
		valid = NULL;
		ret = e->parse ? e->parse(ctx, opt, optarg, &valid) : -EINVAL;
		if (ret) {
			for (i = 0; e->longopts && e->longopts[i].name; i++)
				if (e->longopts[i].val == opt)
					break;
			kit_err(kit_top->name, "%s: invalid value for --%s: %s",
				e->name,
				e->longopts && e->longopts[i].name
					? e->longopts[i].name
					: "?",
				ret == -EINVAL && valid ? valid
				: ret == -ERANGE	? "too large"
				: ret == -EDOM		? "must not be 0"
							: "not a valid number");
			return -1;
		}
	}
	return optind;
}

/*
 * The engines named after the top's "--": argv[from..argc) is
 * "ENGINE [OPTIONS] ARG" or, for a filter, "ENGINE [OPTIONS] -- ...".
 */
static int kit_parse_inner(struct kit_stack *st, int argc, char **argv,
			   int from)
{
	while (from < argc) {
		struct kit_layer *l;
		int end, pos;

		if (st->n == KIT_MAX_DEPTH) {
			kit_err(kit_top->name, "more than %d engines stacked",
				KIT_MAX_DEPTH);
			return -1;
		}
		l = &st->layer[st->n];
		l->def = kit_lookup(argv[from]);
		if (!l->def) {
			kit_err(kit_top->name, "unknown engine '%s'",
				argv[from]);
			kit_engine_list(stderr);
			return -1;
		}
		l->ctx = calloc(1, l->def->ctx_size ? l->def->ctx_size : 1);
		if (!l->ctx) {
			kit_err(kit_top->name, "out of memory");
			return -1;
		}
		st->n++;
		end = l->def->arg_name ? argc : kit_split(argc, argv, from + 1);
		pos = kit_parse_own(l->def, l->ctx, end - from, argv + from);
		if (pos < 0)
			return -1;
		pos += from;
		if (l->def->arg_name) {
			if (end - pos != 1) {
				kit_err(kit_top->name, "%s takes %s %s",
					l->def->name,
					end - pos ? "one argument," : "its",
					l->def->arg_name);
				return -1;
			}
			l->arg = argv[pos];
			return 0;
		}
		if (pos != end) {
			kit_err(kit_top->name,
				"%s is a filter: '%s' must come after "
				"\"-- ENGINE\"",
				l->def->name, argv[pos]);
			return -1;
		}
		from = end + 1;
	}
	kit_err(kit_top->name, "%s needs an engine below it: -- ENGINE ...",
		st->layer[st->n - 1].def->name);
	return -1;
}

static void kit_teardown(struct kit_stack *st)
{
	int i;

	for (i = 0; i < st->n; i++) {
		if (st->layer[i].set_up && st->layer[i].def->teardown)
			st->layer[i].def->teardown(st->layer[i].ctx);
		free(st->layer[i].ctx);
	}
	st->n = 0;
}

/*
 * Innermost first, from the outermost filter that serves offline (the
 * engines below it are not set up); 0 or -1 (message printed).
 */
static int kit_setup(struct kit_stack *st)
{
	int i, from = st->n - 1;

	for (i = 0; i + 1 < st->n; i++) {
		if (st->layer[i].def->offline &&
		    st->layer[i].def->offline(st->layer[i].ctx)) {
			from = i;
			snprintf(st->absent.ident, sizeof(st->absent.ident),
				 "%s", st->layer[i + 1].def->name);
			break;
		}
	}
	for (i = from; i >= 0; i--) {
		struct kit_layer *l = &st->layer[i];
		const struct kit_source *inner =
			i + 1 >= st->n ? NULL
			: i == from    ? &st->absent
				       : &st->layer[i + 1].src;

		if (l->def->setup(l->ctx, l->arg, inner, &l->src))
			return -1;
		l->set_up = true;
		if (!l->src.engine || !l->src.size) {
			kit_err(kit_top->name, "%s: %s", l->def->name,
				l->src.size ? "no engine" : "the size is 0");
			return -1;
		}
	}
	return 0;
}

static int kit_serve(const struct bdus_cli *c, struct kit_stack *st)
{
	const struct kit_source *src = &st->layer[0].src;
	const char *prog = c->prog;
	struct buse_dev_info info;
	struct bdus_opts opts;
	uint32_t lbs;
	uint64_t size;
	int ret;

	if (bdus_cli_opts(c, 0, &opts))
		return 1;
	if (c->create) {
		if (bdus_cli_dev_info(c, &info))
			return 1;
		lbs = info.logical_block_size ? info.logical_block_size
					      : BUSE_DEF_BLOCK_SIZE;
		size = c->have_size ? c->size : src->size / lbs * lbs;
		if (size > src->size || !size) {
			kit_err(kit_top->name,
				"%s serves %" PRIu64
				" bytes: too small for a device of %" PRIu64
				" bytes (blocks of %u)",
				src->ident, src->size,
				size ? size : (uint64_t)lbs, lbs);
			return 1;
		}
		if (size != src->size && !c->have_size)
			fprintf(stderr,
				"%s: %s has %" PRIu64
				" bytes; serving the first %" PRIu64
				" (whole blocks of %u)\n",
				prog, src->ident, src->size, size, lbs);
		info.size = size;
		if (src->read_only)
			info.flags |= BUSE_DEV_F_READ_ONLY;
		return bdus_cli_create_and_serve(c, &info, src->engine,
						 src->ctx, &opts);
	}
	ret = bdus_ctl_info(c->index, &info);
	if (ret == -ENODEV || ret == -ENOENT) {
		fprintf(stderr, "%s: no device %u%s\n", prog, c->index,
			ret == -ENOENT ? " (buse.ko is not loaded)" : "");
		return 1;
	}
	/* Not the owner: the attach decides the rest. */
	if (ret == 0) {
		if (src->read_only && !(info.flags & BUSE_DEV_F_READ_ONLY)) {
			fprintf(stderr,
				"%s: device %u is writable but %s is "
				"read-only; make it with --read-only\n",
				prog, c->index, kit_top->name);
			return 1;
		}
		if (info.size > src->size) {
			fprintf(stderr,
				"%s: device %u has %" PRIu64
				" bytes; %s serves only %" PRIu64 "\n",
				prog, c->index, (uint64_t)info.size, src->ident,
				src->size);
			return 1;
		}
		lbs = info.logical_block_size;
		if (!info.size)
			opts.size = c->have_size ? c->size
						 : src->size / lbs * lbs;
		if (opts.size > src->size) {
			fprintf(stderr, "%s: --size is larger than %s\n", prog,
				src->ident);
			return 1;
		}
	}
	return bdus_cli_serve_index(c, src->engine, src->ctx, &opts);
}

int kit_main(int argc, char **argv, const struct kit_engine *top)
{
	static char prog[64];
	struct bdus_cli_spec spec = {
		.prog = prog,
		.flags = BDUS_CLI_READ_ONLY | BDUS_CLI_TIMEOUT | BDUS_CLI_PBS,
		.usage = kit_usage,
		.help_extra = top->help,
		.shortopts = top->shortopts,
		.longopts = top->longopts,
		.parse = top->parse,
		.arg_name = top->arg_name,
	};
	struct kit_stack st = { .n = 1 };
	struct bdus_cli c;
	int end, ret;

	kit_top = top;
	snprintf(prog, sizeof(prog), "buse-%s", top->name);
	spec.flags |= top->arg_name ? BDUS_CLI_IMAGE : BDUS_CLI_ENGINE_SIZE;
	st.layer[0].def = top;
	st.layer[0].ctx = calloc(1, top->ctx_size ? top->ctx_size : 1);
	if (!st.layer[0].ctx) {
		kit_err(top->name, "out of memory");
		return 1;
	}
	/* A filter's own line ends at "--"; the engines below follow. */
	end = top->arg_name ? argc : kit_split(argc, argv, 1);
	if (!bdus_cli_parse(&spec, st.layer[0].ctx, end, argv, &c, &ret))
		goto out;
	ret = 2;
	if (top->arg_name)
		st.layer[0].arg = c.image;
	else if (end == argc) {
		kit_err(top->name,
			"missing the engine to filter: -- ENGINE [OPTIONS] "
			"ARG (try --help)");
		goto out;
	} else if (kit_parse_inner(&st, argc, argv, end + 1)) {
		goto out;
	}
	ret = 1;
	if (kit_setup(&st))
		goto out;
	ret = kit_serve(&c, &st);
out:
	kit_teardown(&st);
	return ret;
}

/* ------------------------------------------------------------------------
 * The "file" source: an image file or block device, pread/pwrite.
 */

struct kit_file {
	bool writable;
	int fd;
	bool is_blk;
};

static const struct option kit_file_opts[] = {
	{ "writable", no_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 },
};

static int kf_parse(void *ctx, int opt, const char *arg, const char **valid)
{
	struct kit_file *f = ctx;

	(void)arg, (void)valid;
	if (opt != 'w')
		return -EINVAL;
	f->writable = true;
	return 0;
}

static int kf_rw(struct kit_file *f, bool wr, void *buf, uint64_t off,
		 uint32_t len)
{
	uint32_t done = 0;
	ssize_t n;

	while (done < len) {
		n = wr ? pwrite(f->fd, (char *)buf + done, len - done,
				(off_t)(off + done))
		       : pread(f->fd, (char *)buf + done, len - done,
			       (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {
			/* Past the end of a file that shrank: zeroes. */
			if (wr)
				return -EIO;
			memset((char *)buf + done, 0, len - done);
			break;
		}
		done += (uint32_t)n;
	}
	return 0;
}

static int kf_read(void *ctx, void *buf, uint64_t off, uint32_t len,
		   const struct bdus_req *req)
{
	(void)req;
	return kf_rw(ctx, false, buf, off, len);
}

static int kf_write(void *ctx, const void *buf, uint64_t off, uint32_t len,
		    const struct bdus_req *req)
{
	struct kit_file *f = ctx;
	int ret;

	if (!f->writable)
		return -EROFS;
	ret = kf_rw(f, true, (void *)buf, off, len);
	if (!ret && (req->flags & BUSE_IO_F_FUA) && fdatasync(f->fd))
		ret = -errno;
	return ret;
}

static int kf_flush(void *ctx, const struct bdus_req *req)
{
	struct kit_file *f = ctx;

	(void)req;
	return fdatasync(f->fd) ? -errno : 0;
}

static const struct storage_engine kit_file_engine = {
	.name = "file",
	.flags = BDUS_ENGINE_F_FUA,
	.read = kf_read,
	.write = kf_write,
	.flush = kf_flush,
};

static int kf_setup(void *ctx, const char *arg, const struct kit_source *in,
		    struct kit_source *src)
{
	struct kit_file *f = ctx;
	struct stat st;
	uint64_t size = 0;
	char real[PATH_MAX];

	(void)in;
	f->fd = open(arg, (f->writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (f->fd < 0) {
		kit_err("file", "cannot open %s: %s", arg, strerror(errno));
		return -1;
	}
	if (fstat(f->fd, &st) ||
	    (S_ISBLK(st.st_mode) && ioctl(f->fd, BLKGETSIZE64, &size))) {
		kit_err("file", "%s: %s", arg, strerror(errno));
		return -1;
	}
	f->is_blk = S_ISBLK(st.st_mode);
	if (!f->is_blk && !S_ISREG(st.st_mode)) {
		kit_err("file", "%s is neither a file nor a block device", arg);
		return -1;
	}
	if (!f->is_blk)
		size = (uint64_t)st.st_size;
	if (!realpath(arg, real))
		snprintf(real, sizeof(real), "%s", arg);
	/*
	 * What a cache must not mistake for another image: the file (device,
	 * inode) and, read-only, its modification time (someone else
	 * changed it).  Writable, the time is this program's own business.
	 */
	if (f->writable || f->is_blk)
		snprintf(src->ident, sizeof(src->ident),
			 "file %.900s dev=%ju ino=%ju size=%" PRIu64, real,
			 (uintmax_t)st.st_dev, (uintmax_t)st.st_ino, size);
	else
		snprintf(src->ident, sizeof(src->ident),
			 "file %.900s dev=%ju ino=%ju size=%" PRIu64
			 " mtime=%lld.%09ld",
			 real, (uintmax_t)st.st_dev, (uintmax_t)st.st_ino, size,
			 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	src->size = size;
	src->read_only = !f->writable;
	src->engine = &kit_file_engine;
	src->ctx = f;
	return 0;
}

static void kf_teardown(void *ctx)
{
	struct kit_file *f = ctx;

	close(f->fd);
}

const struct kit_engine kit_file = {
	.name = "file",
	.arg_name = "IMAGE",
	.summary = "an image file or block device (read-only unless -w)",
	.help = "  -w, --writable           (file) open IMAGE read-write\n",
	.shortopts = "w",
	.longopts = kit_file_opts,
	.ctx_size = sizeof(struct kit_file),
	.parse = kf_parse,
	.setup = kf_setup,
	.teardown = kf_teardown,
};
