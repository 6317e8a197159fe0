#!/bin/bash
# CPU hotplug while a server holds requests: blk-mq waits for the requests
# of a hardware queue whose CPUs all go offline.  With a timeout that wait
# ends with the timeout (docs: buse(7), "CPU hotplug"): device 1 (2 queues,
# --timeout 3) served by faulty dropping every READ; a read submitted on
# CPU 1 (the only CPU of queue 1) is held; taking CPU 1 offline returns
# within 3 + slack s, the read fails with ETIMEDOUT, CPU 1 comes back and
# the device then works on both queues.
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd taskset dd fio
FAULTY=${FAULTY:-$BUSE_TOP/examples/faulty}
need_file "$BUSECTL" "$FAULTY"

cpu1=/sys/devices/system/cpu/cpu1/online
[ -w "$cpu1" ] || die "CPU 1 cannot be taken offline here ($cpu1)"
on_exit "echo 1 > $cpu1"
add_dev 1 --size 16M --queues 2 --depth 4 --timeout 3
start_engine "$FAULTY" 1 --mode drop --ops read --every 1
eng=$LAST_PID
taskset -c 1 dd if=/dev/buse1 of=/dev/null bs=4096 count=1 iflag=direct 2>dd.err &
dd=$!
bg_track "$dd"
sleep 1
kill -0 "$dd" 2>/dev/null || die "the dropped read ended at once: $(cat dd.err)"
t0=$(date +%s%N)
timeout 60 sh -c "echo 0 > $cpu1" || die "taking CPU 1 offline failed or took over 60 s"
t=$(( ($(date +%s%N) - t0) / 1000000 ))
log "CPU 1 offline after $t ms with a held request"
[ $t -le 20000 ] || die "taking CPU 1 offline waited $t ms; the timeout is 3 s"
rc=0
wait_exit "$dd" 10 || rc=$?
[ $rc -ne 124 ] && [ $rc -ne 0 ] || die "the held read: status $rc"
grep -q 'timed out' dd.err || die "the held read: $(cat dd.err), expected ETIMEDOUT"
echo 1 > "$cpu1" || die "CPU 1 did not come back"
stop_engine "$eng" TERM
start_engine "$RAMDISK" 1
fio_verify after-offline /dev/buse1 4k 8 libaio 2M --numjobs=2 --offset_increment=2M \
	--cpus_allowed=0,1 --cpus_allowed_policy=split
stop_engine "$LAST_PID" TERM
remove_dev 1
exit 0
