#!/bin/bash
# rmmod with devices present.
#   - idle devices (with and without a size, a recoverable one waiting for
#     a server after its engine was SIGKILLed, one with partitions that
#     were never opened) go away with the module: nodes and sysfs entries
#     gone, and insmod works again at once;
#   - with a server attached, rmmod refuses cleanly ("in use"), quickly,
#     and the device keeps working; the same with the block device open
#     (mounted) without a server, and with /dev/busectl held open;
#   - once those let go, rmmod succeeds with the devices still there.
# timeout: 300
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd rmmod insmod fio
need_file "$BUSECTL" "$RAMDISK"
[ -r "$BUSE_KO" ] || die "no module at $BUSE_KO"

loaded() { grep -q '^buse ' /proc/modules; }
# try_rmmod: rmmod buse, bounded; sets RM_RC, RM_MSG.
try_rmmod() {
	RM_RC=0
	RM_MSG=$(timeout 30 rmmod buse 2>&1) || RM_RC=$?
	[ $RM_RC -ne 124 ] || die "rmmod buse hung"
}
reload() {
	loaded || insmod "$BUSE_KO" || die "insmod $BUSE_KO failed"
	wait_until 10 test -c /dev/busectl || die "/dev/busectl did not appear after insmod"
}
all_gone() {
	[ -z "$(ls -d /sys/block/buse* /dev/buse[0-9]* /dev/busec[0-9]* /sys/class/buse/busec* 2>/dev/null)" ]
}

# --- idle devices go with the module ---------------------------------------------
add_dev 1 --size 16M
add_dev 2
add_dev 3 --size 16M --recoverable
start_engine "$RAMDISK" 3
kill -KILL "$LAST_PID"
wait "$LAST_PID" 2>/dev/null
wait_until 5 dev_state_is 3 recovering || die "device 3 is '$(dev_field 3 state)' after its engine was killed"
add_dev 4 --size 16M
start_engine "$RAMDISK" 4
printf 'label: dos\nstart=2048, size=8192\nstart=10240\n' | sfdisk -q /dev/buse4 >/dev/null 2>&1 ||
	log "note: sfdisk is missing or failed: no partitions on device 4"
stop_engine "$LAST_PID" TERM
try_rmmod
[ $RM_RC -eq 0 ] || die "rmmod with 4 idle devices failed (status $RM_RC): $RM_MSG"
loaded && die "buse is still loaded after rmmod"
wait_until 10 all_gone || die "left after rmmod: $(ls -d /sys/block/buse* /dev/buse* 2>/dev/null | tr '\n' ' ')"
log "rmmod removed 4 idle devices (one recovering, one partitioned)"
reload
[ -z "$(busectl list --json | grep '"index"')" ] || die "devices exist after a fresh insmod"

# --- a server attached: rmmod refuses ----------------------------------------------
add_dev 1 --size 32M
start_engine "$RAMDISK" 1
eng=$LAST_PID
add_dev 2 --size 16M
try_rmmod
[ $RM_RC -ne 0 ] || die "rmmod succeeded with a server attached to /dev/buse1"
echo "$RM_MSG" | grep -qi 'in use' || die "rmmod with a server attached: unclear message: $RM_MSG"
loaded || die "the module went away although rmmod failed"
log "rmmod with a server attached: status $RM_RC: $RM_MSG"
dev_state_is 1 running || die "device 1 is '$(dev_field 1 state)' after the refused rmmod"
fio_verify after-rmmod /dev/buse1 4k 16 libaio 4M
stop_engine "$eng" TERM

# --- the block device open (mounted) without a server: refused ----------------------
exec 7< /dev/buse1
try_rmmod
[ $RM_RC -ne 0 ] || die "rmmod succeeded while /dev/buse1 is open"
echo "$RM_MSG" | grep -qi 'in use' || die "rmmod with /dev/buse1 open: unclear message: $RM_MSG"
exec 7<&-
log "rmmod with /dev/buse1 open: refused: $RM_MSG"

# --- /dev/busectl open: refused ---------------------------------------------------
exec 8< /dev/busectl
try_rmmod
[ $RM_RC -ne 0 ] || die "rmmod succeeded while /dev/busectl is open"
exec 8<&-

# --- nothing holds it: it goes, with devices 1 and 2 ----------------------------------
try_rmmod
[ $RM_RC -eq 0 ] || die "rmmod with 2 idle devices failed: $RM_MSG"
wait_until 10 all_gone || die "left after rmmod: $(ls -d /sys/block/buse* /dev/buse* 2>/dev/null | tr '\n' ' ')"
reload
add_dev 1 --size 16M
start_engine "$RAMDISK" 1
fio_verify after-reload /dev/buse1 4k 8 libaio 2M
stop_engine "$LAST_PID" TERM
remove_dev 1
exit 0
