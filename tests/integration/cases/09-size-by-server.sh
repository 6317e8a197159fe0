#!/bin/bash
# Device size: "busectl add 1" without a size, then "ramdisk --size 64M 1"
# sets it; "busectl add 2 --size 32M" with an engine given no size uses the
# device's size; an engine given no size for a device without one fails.
# timeout: 180
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio
need_file "$BUSECTL" "$RAMDISK"

add_dev 1
[ "$(dev_field 1 size)" = 0 ] || die "busectl add 1 without a size: info says size $(dev_field 1 size), expected 0"
[ "$(dev_size 1)" = 0 ] || die "/dev/buse1 has capacity $(dev_size 1) before any server"
start_engine "$RAMDISK" 1 --size 64M
engine=$LAST_PID
[ "$(dev_size 1)" = 67108864 ] || die "/dev/buse1 has capacity $(dev_size 1) after ramdisk --size 64M"
[ "$(dev_field 1 size)" = 67108864 ] || die "busectl info 1: size $(dev_field 1 size) after ramdisk --size 64M"
fio_verify sized-by-server /dev/buse1 64k 8 libaio 64M
stop_engine "$engine" TERM

add_dev 2 --size 32M
start_engine "$RAMDISK" 2
engine=$LAST_PID
[ "$(dev_size 2)" = 33554432 ] || die "/dev/buse2 has capacity $(dev_size 2), expected the device's 32M"
fio_verify sized-by-device /dev/buse2 4k 16 io_uring 8M
stop_engine "$engine" TERM

# No size anywhere: the engine must fail, quickly and with a message.
add_dev 3
rc=0
timeout 20 "$RAMDISK" 3 > nosize.out 2>&1 || rc=$?
[ $rc -ne 124 ] || die "ramdisk 3 (no size anywhere) did not exit within 20 s"
[ $rc -ne 0 ] || die "ramdisk 3 served a device that has no size"
[ -s nosize.out ] || die "ramdisk 3 failed (status $rc) without a message"
log "ramdisk without a size for a sizeless device: status $rc: $(head -n 1 nosize.out)"
dev_state_is 3 idle || die "device 3 is '$(dev_field 3 state)' after the failed attach"
for n in 1 2 3; do remove_dev "$n"; done
exit 0
