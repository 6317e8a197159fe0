#!/bin/bash
# Two devices served at once by two ramdisk engines, fio verify on both in
# parallel; then one engine is killed while the other keeps working.
# timeout: 400
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio
need_file "$BUSECTL" "$RAMDISK"

add_dev 1 --size 64M
add_dev 2 --size 64M --queues 2 --depth 32
start_engine "$RAMDISK" 1
e1=$LAST_PID
start_engine "$RAMDISK" 2
e2=$LAST_PID

fio_bg par1 --filename=/dev/buse1 --ioengine=io_uring --rw=randwrite --bs=4k \
	--iodepth=16 --size=32M --verify=crc32c --do_verify=1
f1=$LAST_PID
fio_bg par2 --filename=/dev/buse2 --ioengine=libaio --rw=randwrite --bs=64k \
	--iodepth=16 --size=64M --verify=crc32c --do_verify=1
f2=$LAST_PID
for j in 1 2; do
	eval "pid=\$f$j"
	fio_bg_wait "par$j" "$pid" 300
	[ "$FIO_RC" = 0 ] && [ "$FIO_ERRS" = 0 ] || { fio_show "par$j"; die "fio on /dev/buse$j: status $FIO_RC, err= sum $FIO_ERRS"; }
	log "fio verify on /dev/buse$j ok"
done

# The engines do not disturb each other: kill one, the other still serves.
kill -KILL "$e1"
wait "$e1" 2>/dev/null
fio_verify alone /dev/buse2 4k 8 libaio 8M
stop_engine "$e2" TERM
remove_dev 1
remove_dev 2
exit 0
