/* SPDX-License-Identifier: MIT */
/*
 * buse.h - the API of BUSE (github.com/acozzette/BUSE, block devices in
 * userspace over NBD), served by libbdus on a buse device.
 *
 * A BUSE program fills a struct buse_operations and calls buse_main()
 * with the path of the block device; built against this header and
 * linked with libbdus, it serves /dev/buseN instead of /dev/nbdN.
 * Callbacks return 0 or a positive errno value; buse_main() returns 0
 * when serving ended cleanly, 1 otherwise.  The contract is buse_main(3).
 *
 * Installed as <buse.h>; the kernel's uapi header is <linux/buse.h>
 * (in includedir/buse/linux), a different file.
 */
#ifndef BUSE_H_INCLUDED
#define BUSE_H_INCLUDED

#include <sys/types.h>

/* Marks the symbols exported by libbdus.so (as in bdus.h). */
#ifndef BDUS_API
#define BDUS_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

struct buse_operations {
	int (*read)(void *buf, u_int32_t len, u_int64_t offset, void *userdata);
	int (*write)(const void *buf, u_int32_t len, u_int64_t offset,
		     void *userdata);
	void (*disc)(void *userdata);
	int (*flush)(void *userdata);
	int (*trim)(u_int64_t from, u_int32_t len, void *userdata);

	/* either set size, OR set both blksize and size_blocks */
	u_int64_t size;
	u_int32_t blksize;
	u_int64_t size_blocks;
};

/* Serve dev_file ("/dev/buseN") until stopped; buse_main(3). */
BDUS_API int buse_main(const char *dev_file, const struct buse_operations *bop,
		       void *userdata);

#ifdef __cplusplus
}
#endif

#endif /* BUSE_H_INCLUDED */
