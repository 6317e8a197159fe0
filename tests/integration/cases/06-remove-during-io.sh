#!/bin/bash
# busectl remove while fio runs against the device: refused (EBUSY) without
# --force; with --force the removal completes, fio ends with errors, the
# engine exits by itself with status 0, nothing hangs and the nodes
# disappear.
# timeout: 180
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio
need_file "$BUSECTL" "$RAMDISK"

add_dev 1 --size 64M --queues 2
start_engine "$RAMDISK" 1
engine=$LAST_PID

fio_bg load --filename=/dev/buse1 --ioengine=libaio --rw=randrw --bs=16k \
	--iodepth=32 --numjobs=2 --time_based --runtime=120
fio=$LAST_PID
# Until a fio job has the disk open a plain remove is rightly allowed: wait
# for that (a slow kernel takes longer than any fixed sleep to get there).
_fio_has_disk() {
	local p
	for p in $(pgrep -x fio); do
		ls -l "/proc/$p/fd" 2>/dev/null | grep -q ' /dev/buse1$' && return 0
	done
	return 1
}
wait_until 60 _fio_has_disk || { fio_show load; die "no fio job opened /dev/buse1 within 60 s"; }
sleep 1
kill -0 "$fio" 2>/dev/null || { fio_show load; die "fio ended before the removal"; }

# Open by fio: a plain remove is refused (EBUSY) and changes nothing.
rc=0
timeout 30 "$BUSECTL" remove 1 2>remove.err || rc=$?
[ $rc -ne 124 ] || die "busectl remove 1 hung (30 s) with the device open"
[ $rc -ne 0 ] || die "busectl remove 1 succeeded although fio has /dev/buse1 open (expected EBUSY; --force removes)"
grep -qi busy remove.err || die "busectl remove 1 of an open device: unclear message: $(cat remove.err)"
log "plain remove refused: $(cat remove.err)"
sleep 1
kill -0 "$fio" 2>/dev/null || { fio_show load; die "fio ended after a refused remove"; }
dev_state_is 1 running || die "device 1 is '$(dev_field 1 state)' after a refused remove"

log "busectl remove 1 --force during I/O"
t0=$(date +%s%N)
timeout 30 "$BUSECTL" remove 1 --force
rc=$?
[ $rc -ne 124 ] || die "busectl remove 1 --force hung (30 s) with I/O in flight"
[ $rc -eq 0 ] || die "busectl remove 1 --force failed (status $rc) with I/O in flight"
log "busectl remove --force returned after $(( ($(date +%s%N) - t0) / 1000000 )) ms"

fio_bg_wait load "$fio" "$IO_FAIL_SECS"
[ "$FIO_RC" != 124 ] || { fio_show load; die "fio still running ${IO_FAIL_SECS} s after the removal"; }
[ "$FIO_RC" != 0 ] || [ "$FIO_ERRS" != 0 ] || { fio_show load; die "fio reported no error although its device was removed"; }
log "fio ended: status $FIO_RC, err= sum $FIO_ERRS"

rc=0
wait_exit "$engine" "$IO_FAIL_SECS" || rc=$?
[ $rc -ne 124 ] || die "the engine is still running ${IO_FAIL_SECS} s after its device was removed"
[ $rc -eq 0 ] || die "the engine exited with status $rc after its device was removed (expected 0)"
cat "$BUSE_CASE_DIR"/engine-ramdisk-1.log

wait_dev_gone 1
busectl info 1 >/dev/null 2>&1 && die "busectl info 1 still succeeds after the removal"

# The index can be used again.
add_dev 1 --size 16M
start_engine "$RAMDISK" 1
fio_verify reuse /dev/buse1 4k 8 io_uring 4M
stop_engine "$LAST_PID" INT
remove_dev 1
exit 0
