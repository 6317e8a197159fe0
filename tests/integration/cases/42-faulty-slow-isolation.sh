#!/bin/bash
# A slow server does not hold up another device: device 1 is served by
# examples/faulty in delay mode (every request answered after 8 s), device
# 2 by a normal ramdisk.  While I/O on device 1 is stuck in the slow server,
# fio verifies data on device 2 at its normal pace; then the delayed I/O on
# device 1 completes, correctly, after its delay (not before), and both
# engines stop cleanly.  Delays shorter than a request timeout are not
# timeouts: a device with --timeout 10 and 3 s delays serves everything.
# timeout: 300
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio dd cmp
FAULTY=${FAULTY:-$BUSE_TOP/examples/faulty}
need_file "$BUSECTL" "$FAULTY" "$RAMDISK"
ms() { echo $(( $(date +%s%N) / 1000000 )); }

add_dev 1 --size 16M --queues 2 --depth 8
add_dev 2 --size 64M --queues 2 --depth 32
start_engine "$FAULTY" 1 --mode delay --delay-ms 8000 --every 1
slow=$LAST_PID
start_engine "$RAMDISK" 2
fast=$LAST_PID

# Slow I/O on device 1: a write then a read of the same blocks, and a
# parallel fio job, all stuck in the slow server for 8 s per request.
head -c 65536 /dev/urandom > data
t0=$(ms)
( dd if=data of=/dev/buse1 bs=65536 count=1 seek=5 oflag=direct 2>slow-w.err &&
  dd if=/dev/buse1 of=back bs=65536 count=1 skip=5 iflag=direct 2>slow-r.err ) &
slowio=$!
bg_track "$slowio"
fio_bg slowfio --filename=/dev/buse1 --ioengine=libaio --iodepth=8 --rw=randread \
	--bs=4k --number_ios=16 --offset=8M --size=8M
slowfio=$LAST_PID

sleep 1
kill -0 "$slowio" 2>/dev/null || die "the slow write ended within 1 s although every request takes 8 s"

# Device 2 at its normal pace meanwhile.
t1=$(ms)
FIO_TIMEOUT=60 fio_verify fast /dev/buse2 4k 16 libaio 8M
t_fast=$(( $(ms) - t1 ))
kill -0 "$slowio" 2>/dev/null ||
	die "the slow I/O ended while fio ran on device 2 (nothing to prove: was it slow?)"
log "fio verify of 8M on device 2 took $t_fast ms while device 1's server held its requests"
dd if=/dev/buse2 of=/dev/null bs=4k count=256 iflag=direct 2>/dev/null ||
	die "reads of device 2 failed while device 1 was slow"

# The delayed I/O completes, correctly, after the delays.
rc=0
wait_exit "$slowio" 60 || rc=$?
t_slow=$(( $(ms) - t0 ))
[ $rc -ne 124 ] || die "the slow I/O on device 1 did not finish within 60 s"
[ $rc -eq 0 ] || die "the slow I/O failed: $(cat slow-w.err slow-r.err 2>/dev/null)"
cmp -s data back || die "the data read back through the slow server differs"
[ $t_slow -ge 15000 ] || die "a write and a read delayed 8 s each took only $t_slow ms"
log "the delayed write + read on device 1 took $t_slow ms, data intact"
fio_bg_wait slowfio "$slowfio" 120
[ "$FIO_RC" != 124 ] || { fio_show slowfio; die "fio on the slow device did not finish"; }
[ "$FIO_RC" = 0 ] && [ "$FIO_ERRS" = 0 ] || { fio_show slowfio; die "fio on the slow device failed"; }
log "fio on the slow device: 16 reads done"

stop_engine "$fast" TERM
stop_engine "$slow" TERM 20
remove_dev 2

# Delays below the device's timeout are not timeouts.
remove_dev 1
add_dev 1 --size 16M --queues 1 --depth 8 --timeout 10
start_engine "$FAULTY" 1 --mode delay --delay-ms 3000 --every 2
slow=$LAST_PID
FIO_TIMEOUT=120 fio_verify delayed /dev/buse1 4k 8 libaio 256k
stop_engine "$slow" TERM 20
grep -q ' 0 cancelled by the kernel' "$BUSE_CASE_DIR/engine-faulty-1.log" ||
	die "requests were cancelled although the delay is below the timeout: $(tail -n 1 "$BUSE_CASE_DIR/engine-faulty-1.log")"
remove_dev 1
exit 0
