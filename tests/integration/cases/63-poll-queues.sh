#!/bin/bash
# Polled queues (busectl add --poll-queues 1): io_uring IOPOLL (fio --hipri)
# data integrity at depth 1, 8 and 32, served by the recorder engine, whose
# log (--log-queue) shows every polled request on the polled hardware queue
# (the last one) and every other request on the ordinary one; preadv2
# RWF_HIPRI (fio pvsync2 --hipri) works too.  Then polled I/O in flight when
# the server is killed, when the device is force-removed, and when requests
# time out (faulty drop mode, --timeout 2) must end with errors, never hang;
# and on a recoverable device a polled verify survives a server killed and
# restarted.
# timeout: 600
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio
FAULTY=${FAULTY:-$BUSE_TOP/examples/faulty}
RECORDER=${RECORDER:-$BUSE_TOP/build/integration/recorder}
need_file "$BUSECTL" "$RECORDER" "$FAULTY"

rlog=$BUSE_CASE_DIR/recorder.log
# on_queue Q: requests of the recorder's log carried by hardware queue Q.
on_queue() { grep -c " q$1\$" "$rlog"; }

# --- A polled queue next to an ordinary one ------------------------------
add_dev 1 --size 64M --queues 1 --poll-queues 1
[ "$(dev_field 1 nr_queues)" = 1 ] || die "nr_queues is $(dev_field 1 nr_queues), expected 1"
[ "$(dev_field 1 nr_poll_queues)" = 1 ] || die "nr_poll_queues is $(dev_field 1 nr_poll_queues), expected 1"
start_engine "$RECORDER" 1 --log-queue "$rlog"
eng=$LAST_PID
[ "$(cat /sys/block/buse1/queue/io_poll)" = 1 ] ||
	die "/sys/block/buse1/queue/io_poll is not 1 with a polled queue"

p0=$(on_queue 1)
d0=$(on_queue 0)
fio_verify hipri-4k-qd1   /dev/buse1 4k  1  io_uring 8M  --hipri
fio_verify hipri-64k-qd32 /dev/buse1 64k 32 io_uring 32M --hipri
fio_verify hipri-512-qd8  /dev/buse1 512 8  io_uring 1M  --hipri
p1=$(on_queue 1)
d1=$(on_queue 0)
log "polled queue: $((p1 - p0)) requests, ordinary queue: $((d1 - d0))"
# 8M/4k + 32M/64k + 1M/512, each written and read back (merges aside).
[ $((p1 - p0)) -ge $(( 2048 + 512 + 2048 )) ] ||
	die "only $((p1 - p0)) requests reached the polled queue during polled I/O"
[ $((d1 - d0)) -le 16 ] ||
	die "$((d1 - d0)) requests reached the ordinary queue during polled I/O"

# RWF_HIPRI through preadv2/pwritev2: served (on whichever queue).
fio_verify pvsync2-hipri /dev/buse1 4k 1 pvsync2 4M --hipri
# Ordinary I/O keeps to the ordinary queue.
p2=$(on_queue 1)
fio_verify plain-4k-qd16 /dev/buse1 4k 16 io_uring 8M
[ "$(on_queue 1)" = "$p2" ] || die "ordinary I/O reached the polled queue"

# --- Server killed during polled I/O ----------------------------------------
fio_bg kill-hipri --filename=/dev/buse1 --ioengine=io_uring --hipri \
	--rw=randread --bs=4k --iodepth=16 --time_based --runtime=120
fpid=$LAST_PID
sleep 2
kill -9 "$eng"
fio_bg_wait kill-hipri "$fpid" 60
[ "$FIO_RC" -ne 124 ] || die "polled fio still running 60 s after the server was killed"
[ "$FIO_ERRS" -gt 0 ] || { fio_show kill-hipri; die "polled fio saw no error although its server was killed"; }
log "polled fio ended after the kill (errors: $FIO_ERRS)"

# --- Force removal during polled I/O ----------------------------------------
start_engine "$RECORDER" 1 "$BUSE_CASE_DIR/recorder-2.log"
eng=$LAST_PID
fio_bg remove-hipri --filename=/dev/buse1 --ioengine=io_uring --hipri \
	--rw=randwrite --bs=16k --iodepth=32 --time_based --runtime=120
fpid=$LAST_PID
sleep 2
timeout 60 "$BUSECTL" remove 1 --force || die "busectl remove --force failed during polled I/O"
fio_bg_wait remove-hipri "$fpid" 60
[ "$FIO_RC" -ne 124 ] || die "polled fio still running 60 s after the device was removed"
wait_exit "$eng" 30 || die "the engine did not exit after the removal"
wait_dev_gone 1

# --- Timeouts of polled requests ---------------------------------------------
add_dev 2 --size 16M --queues 1 --poll-queues 1 --depth 8 --timeout 2
start_engine "$FAULTY" 2 --mode drop --ops read --every 2
eng=$LAST_PID
rc=0
timeout 120 fio --name=drop-hipri --filename=/dev/buse2 --direct=1 \
	--ioengine=io_uring --hipri --iodepth=8 --rw=randread --bs=4k --size=1M \
	--output-format=normal > fio-drop-hipri.out 2>&1 || rc=$?
[ $rc -ne 124 ] || die "polled fio hung on dropped reads"
[ $rc -ne 0 ] || { cat fio-drop-hipri.out; die "polled fio succeeded although reads are dropped"; }
grep -q 'err= *110\b' fio-drop-hipri.out ||
	{ cat fio-drop-hipri.out; die "polled fio did not report err=110 (ETIMEDOUT)"; }
# Served requests still work on the polled queue afterwards.
fio_ok after-drop-hipri --filename=/dev/buse2 --ioengine=io_uring --hipri \
	--iodepth=8 --rw=randwrite --bs=4k --size=1M
stop_engine "$eng" TERM
remove_dev 2

# --- Recovery with polled I/O in flight --------------------------------------
# The data lives in an image file (examples/file), so it survives the kill;
# the polled requests the dead server held are requeued for the next one.
FILEENG=${FILEENG:-$BUSE_TOP/examples/file}
need_file "$FILEENG"
img=$BUSE_CASE_DIR/disk.img
truncate -s 128M "$img" || die "cannot create $img"
add_dev 3 --size 128M --queues 1 --poll-queues 1 --depth 16 --recoverable
start_engine "$FILEENG" 3 "$img"
eng=$LAST_PID
# Random 4k writes with crc32c headers over the whole device, then their
# read-back verify, all polled; the server dies during the writes.
fio_bg recover-hipri --filename=/dev/buse3 --ioengine=io_uring --hipri \
	--rw=randwrite --bs=4k --iodepth=16 --size=128M --verify=crc32c \
	--do_verify=1
fpid=$LAST_PID
sleep 1
kill -0 "$fpid" 2>/dev/null || { fio_show recover-hipri; die "polled fio ended before the kill"; }
kill -9 "$eng"
wait "$eng" 2>/dev/null
wait_until 5 dev_state_is 3 recovering ||
	die "state '$(dev_field 3 state)' 5 s after SIGKILL (expected recovering)"
start_engine "$FILEENG" 3 "$img"
eng=$LAST_PID
fio_bg_wait recover-hipri "$fpid" 300
[ "$FIO_RC" -ne 124 ] || die "polled fio still running 300 s after the new server attached"
[ "$FIO_RC" -eq 0 ] && [ "$FIO_ERRS" -eq 0 ] ||
	{ fio_show recover-hipri; die "polled verify failed across the recovery (status $FIO_RC, errors $FIO_ERRS)"; }
log "polled verify passed across a server kill and restart"
stop_engine "$eng" TERM
remove_dev 3
exit 0
