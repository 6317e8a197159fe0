#!/bin/bash
# examples/ramdisk --create --size 64M creates a device, prints /dev/buseN
# when it is ready, serves it, and removes it when it gets SIGTERM (exit 0).
# Likewise examples/null --create with SIGINT.
# timeout: 180
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio
need_file "$BUSECTL" "$RAMDISK" "$NULLENG"

start_engine_create "$RAMDISK" 64M
engine=$LAST_PID
n=$LAST_INDEX
[ "$(dev_size "$n")" = 67108864 ] || die "/dev/buse$n has capacity $(dev_size "$n"), expected 64M"
[ "$(dev_field "$n" size)" = 67108864 ] || die "busectl info $n: size $(dev_field "$n" size), expected 67108864"
[ "$(dev_field "$n" server_pid)" = "$engine" ] ||
	die "busectl info $n: server_pid $(dev_field "$n" server_pid), the engine is $engine"
fio_verify create /dev/buse$n 4k 16 io_uring 16M

# A second --create takes another index.
start_engine_create "$RAMDISK" 16M
engine2=$LAST_PID
n2=$LAST_INDEX
[ "$n2" != "$n" ] || die "two --create engines got the same index $n"

stop_engine "$engine" TERM
wait_dev_gone "$n"
busectl info "$n" >/dev/null 2>&1 && die "device $n still listed after its --create engine exited"
kill -0 "$engine2" 2>/dev/null || die "the second engine died when the first one exited"
stop_engine "$engine2" TERM
wait_dev_gone "$n2"

start_engine_create "$NULLENG" 32M
engine=$LAST_PID
n=$LAST_INDEX
fio_ok null-read --filename=/dev/buse$n --ioengine=io_uring --rw=randread --bs=4k \
	--iodepth=16 --size=32M --time_based --runtime=3
stop_engine "$engine" INT
wait_dev_gone "$n"
[ "$(ls /sys/block | grep -c '^buse')" = 0 ] || die "devices left: $(ls /sys/block | grep '^buse' | tr '\n' ' ')"
exit 0
