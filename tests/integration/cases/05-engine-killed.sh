#!/bin/bash
# The engine is SIGKILLed during fio: the in-flight and later I/O fails
# quickly (fio ends with errors within a few seconds), nothing hangs, the
# device goes back to idle, a new engine can serve it, and it can be removed.
# timeout: 180
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio
need_file "$BUSECTL" "$RAMDISK"

add_dev 1 --size 64M --queues 2 --depth 64
start_engine "$RAMDISK" 1
engine=$LAST_PID

fio_bg load --filename=/dev/buse1 --ioengine=io_uring --rw=randrw --bs=4k \
	--iodepth=32 --numjobs=2 --time_based --runtime=120
fio=$LAST_PID
sleep 3
kill -0 "$fio" 2>/dev/null || { fio_show load; die "fio ended before the engine was killed"; }

log "SIGKILL engine $engine"
kill -KILL "$engine"
t0=$(date +%s%N)
fio_bg_wait load "$fio" "$IO_FAIL_SECS"
t=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$FIO_RC" != 124 ] || { fio_show load; die "fio still running ${IO_FAIL_SECS} s after the engine was killed"; }
[ "$FIO_RC" != 0 ] || [ "$FIO_ERRS" != 0 ] || { fio_show load; die "fio reported no error although its engine was killed"; }
log "fio ended ${t} ms after SIGKILL: status $FIO_RC, err= sum $FIO_ERRS"
wait "$engine" 2>/dev/null

wait_until 5 dev_state_is 1 idle ||
	die "state is '$(dev_field 1 state)' after the engine died, expected idle"
sp=$(dev_field 1 server_pid)
[ "$sp" = - ] || [ "$sp" = 0 ] || die "server_pid is still '$sp' after the engine died"

# New I/O fails at once (or sees a device of capacity 0).
timeout 10 dd if=/dev/buse1 of=dd.out bs=4096 count=1 iflag=direct 2>dd.err
rc=$?
[ $rc -ne 124 ] || die "a read with no server hung"
[ ! -s dd.out ] || die "a read with no server returned data"

# A new engine serves the device again.
start_engine "$RAMDISK" 1
engine=$LAST_PID
fio_verify after-restart /dev/buse1 4k 16 libaio 8M
stop_engine "$engine" TERM

# Killed again, then removed while idle.
start_engine "$RAMDISK" 1
kill -KILL "$LAST_PID"
wait "$LAST_PID" 2>/dev/null
remove_dev 1
exit 0
