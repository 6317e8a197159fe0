#!/bin/bash
# Unloading the module needs only CAP_SYS_MODULE: rmmod without
# CAP_SYS_ADMIN must still remove every device (an owned one too), so that
# no gendisk or /dev/busecN outlives the module's code (before the fix:
# the removals failed with EPERM, and reading
# /sys/block/buse1/buse/owner_uid afterwards oopsed).
# module: no
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd setpriv rmmod insmod
need_file "$BUSECTL"

insmod "$BUSE_KO" || die "insmod failed"
wait_until 10 test -c /dev/busectl || die "/dev/busectl did not appear"
add_dev 1 --size 16M --owner 1000:1000
add_dev 2 --size 16M
add_dev 3 --size 16M --recoverable
rc=0
timeout 60 setpriv --bounding-set -sys_admin --inh-caps -sys_admin rmmod buse 2>rmmod.err || rc=$?
[ $rc -eq 0 ] || die "rmmod without CAP_SYS_ADMIN failed (status $rc): $(cat rmmod.err)"
! grep -q '^buse ' /proc/modules || die "buse is still loaded"
for n in 1 2 3; do
	[ ! -e /sys/block/buse$n ] || die "/sys/block/buse$n outlived the module"
	[ ! -e /sys/class/buse/busec$n ] || die "/sys/class/buse/busec$n outlived the module"
done
wait_dev_gone 1
log "rmmod without CAP_SYS_ADMIN removed all three devices"
# The module loads again and works.
insmod "$BUSE_KO" || die "insmod after the rmmod failed"
wait_until 10 test -c /dev/busectl || die "/dev/busectl did not come back"
add_dev 1 --size 16M
start_engine "$RAMDISK" 1
fio_verify after-rmmod /dev/buse1 4k 4 libaio 2M
stop_engine "$LAST_PID" TERM
remove_dev 1
exit 0
