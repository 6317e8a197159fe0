#!/bin/bash
# Data integrity through examples/ramdisk: fio random writes with crc32c
# headers, then a read-back verify, at 4k, 64k and 1M (above max_io: split)
# and 512 bytes, at queue depth 1 and 32, with libaio and io_uring, direct
# I/O.  Also on a device with 2 queues, depth 16 (fewer tags than fio's
# queue depth), max_io 1M and 4K logical blocks.
# timeout: 900
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio
need_file "$BUSECTL" "$RAMDISK"

add_dev 1 --size 64M
start_engine "$RAMDISK" 1
e1=$LAST_PID
add_dev 2 --size 64M --queues 2 --depth 16 --max-io 1M --logical-block-size 4096
start_engine "$RAMDISK" 2
e2=$LAST_PID

#          name        dev         bs   qd engine   size
fio_verify 4k-qd1      /dev/buse1  4k   1  io_uring 16M
fio_verify 4k-qd32     /dev/buse1  4k   32 libaio   32M
fio_verify 64k-qd1     /dev/buse1  64k  1  libaio   64M
fio_verify 64k-qd32    /dev/buse1  64k  32 io_uring 64M
fio_verify 1m-qd1      /dev/buse1  1M   1  io_uring 64M
fio_verify 1m-qd32     /dev/buse1  1M   32 libaio   64M
fio_verify 512-qd8     /dev/buse1  512  8  io_uring 2M
fio_verify mq-4k-qd32  /dev/buse2  4k   32 io_uring 32M --numjobs=2 --offset_increment=32M --size=32M
fio_verify mq-1m-qd32  /dev/buse2  1M   32 libaio   64M

# Sequential mixed sizes, verified while writing (no separate pass).
fio_ok seq-bsrange --filename=/dev/buse1 --ioengine=libaio --rw=write \
	--bsrange=512-512k --iodepth=16 --size=32M --verify=crc32c --verify_backlog=64

# Both engines are still serving and exit cleanly.
kill -0 "$e1" 2>/dev/null || die "the engine of /dev/buse1 died"
kill -0 "$e2" 2>/dev/null || die "the engine of /dev/buse2 died"
stop_engine "$e1" TERM
stop_engine "$e2" TERM
remove_dev 1
remove_dev 2
exit 0
