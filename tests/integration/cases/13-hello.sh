#!/bin/bash
# The README's engine example (examples/hello.c) works as printed: it serves
# a 64 MiB device, data written reads back, and it exits 0 on SIGTERM.
# timeout: 120
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio
HELLO=$BUSE_TOP/examples/hello
need_file "$BUSECTL" "$HELLO"

add_dev 1 --size 64M
start_engine "$HELLO" 1
engine=$LAST_PID
[ "$(dev_size 1)" = 67108864 ] || die "/dev/buse1 has capacity $(dev_size 1) with hello, expected 64M"
fio_verify hello /dev/buse1 4k 16 io_uring 16M
stop_engine "$engine" TERM
remove_dev 1
exit 0
