#!/bin/bash
# An engine exits cleanly (status 0) on SIGINT, on SIGTERM and on "busectl
# remove"; after a signal the device stays (idle) and can be served again.
# timeout: 180
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio
need_file "$BUSECTL" "$RAMDISK" "$NULLENG"

add_dev 1 --size 32M
for eng in "$RAMDISK" "$NULLENG"; do
	for sig in INT TERM; do
		start_engine "$eng" 1
		fio_ok "$(basename "$eng")-$sig" --filename=/dev/buse1 --ioengine=libaio \
			--rw=randrw --bs=4k --iodepth=8 --size=32M --time_based --runtime=2
		stop_engine "$LAST_PID" "$sig"
		wait_until 5 dev_state_is 1 idle ||
			die "device 1 is '$(dev_field 1 state)' after its engine exited on SIG$sig"
		[ -b /dev/buse1 ] || die "/dev/buse1 disappeared when its engine exited on SIG$sig"
	done
done

# A signal while I/O is in flight: fio sees errors, not a hang.
start_engine "$RAMDISK" 1
engine=$LAST_PID
fio_bg busy --filename=/dev/buse1 --ioengine=io_uring --rw=randread --bs=4k \
	--iodepth=32 --time_based --runtime=60
fio=$LAST_PID
sleep 2
stop_engine "$engine" TERM
fio_bg_wait busy "$fio" "$IO_FAIL_SECS"
[ "$FIO_RC" != 124 ] || { fio_show busy; die "fio still running after its engine exited on SIGTERM"; }

# busectl remove makes a running engine exit by itself, with status 0.
for eng in "$RAMDISK" "$NULLENG"; do
	start_engine "$eng" 1
	engine=$LAST_PID
	timeout 30 "$BUSECTL" remove 1 || die "busectl remove 1 (engine running) failed"
	rc=0
	wait_exit "$engine" "$IO_FAIL_SECS" || rc=$?
	[ $rc -ne 124 ] || die "$(basename "$eng") still running ${IO_FAIL_SECS} s after busectl remove"
	[ $rc -eq 0 ] || die "$(basename "$eng") exited with status $rc after busectl remove (expected 0)"
	wait_dev_gone 1
	log "$(basename "$eng") exited with status 0 after busectl remove"
	add_dev 1 --size 32M
done
remove_dev 1
exit 0
