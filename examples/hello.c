/* hello.c: a 64 MiB RAM disk.
 * cc hello.c -Iuapi -Ilibbdus/include libbdus/libbdus.a -pthread -o hello
 * busectl add 1 --size 64M && ./hello 1 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bdus.h>

static char *disk;

static int do_read(void *ctx, void *buf, uint64_t off, uint32_t len,
		   const struct bdus_req *req)
{
	(void)ctx, (void)req;
	memcpy(buf, disk + off, len);
	return 0;
}

static int do_write(void *ctx, const void *buf, uint64_t off, uint32_t len,
		    const struct bdus_req *req)
{
	(void)ctx, (void)req;
	memcpy(disk + off, buf, len);
	return 0;
}

static const struct storage_engine engine = {
	.name = "hello",
	.read = do_read,
	.write = do_write,
};

int main(int argc, char **argv)
{
	struct bdus_opts opts = { .size = 64 << 20 };

	if (argc != 2 || argv[1][0] < '0' || argv[1][0] > '9') {
		fputs("usage: hello N    (serves /dev/buseN from memory)\n",
		      stderr);
		return 2;
	}
	disk = calloc(1, 64 << 20);
	return bdus_serve(atoi(argv[1]), &engine, NULL, &opts) == 0 ? 0 : 1;
}
