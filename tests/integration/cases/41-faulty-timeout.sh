#!/bin/bash
# Request timeouts: a device created with `busectl add --timeout 2`, served
# by examples/faulty in drop mode (it never answers the dropped requests).
# A dropped READ fails with ETIMEDOUT ("Connection timed out") after 2 s
# (accepted: 1.5 .. 6 s in the VM), the kernel sends BUSE_OP_CANCEL and
# faulty's cancel hook runs (it prints "cancelled ..."); the requests that
# are not dropped keep working meanwhile and afterwards, on the same tags.
# fio sees the timeouts as errors and ends.  Without a timeout a dropped
# request waits until the engine stops (it then fails with EIO) and a
# forced removal with a dropped request held ends everything cleanly.
# timeout: 300
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio dd python3 cmp
FAULTY=${FAULTY:-$BUSE_TOP/examples/faulty}
need_file "$BUSECTL" "$FAULTY"

strerror() { python3 -c "import errno, os; print(os.strerror(errno.$1))"; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
flog=$BUSE_CASE_DIR/engine-faulty-1.log

add_dev 1 --size 16M --queues 1 --depth 4 --timeout 2

# --- Every 2nd READ dropped ----------------------------------------------------
start_engine "$FAULTY" 1 --mode drop --ops read --every 2
eng=$LAST_PID
head -c 32768 /dev/urandom > data
dd if=data of=/dev/buse1 bs=4096 count=8 oflag=direct 2>dd.err || die "writes failed: $(cat dd.err)"

# Read 1 served, read 2 dropped, read 3 served, read 4 dropped.
for i in 0 1 2 3; do
	rc=0
	out=$(timed_read /dev/buse1 $i blk) || rc=$?
	[ $rc -ne 124 ] || die "read $((i + 1)) hung (30 s) although the device has a 2 s timeout"
	[ $rc -eq 0 ] || die "read $((i + 1)): the helper failed (status $rc): $out"
	t=${out%% *}
	res=${out#* }
	if [ $((i % 2)) -eq 0 ]; then
		[ "$res" = OK ] || die "read $((i + 1)) (not dropped) failed: $res"
		dd if=data of=want bs=4096 count=1 skip=$i 2>/dev/null
		cmp -s blk want || die "read $((i + 1)) returned the wrong data"
		log "served read $((i + 1)): $t ms"
		continue
	fi
	[ "$res" = ETIMEDOUT ] || die "dropped read $((i + 1)): $res, expected ETIMEDOUT"
	log "dropped read $((i + 1)) failed with $res after $t ms"
	[ $t -ge 1500 ] || die "dropped read $((i + 1)) failed after $t ms, before the 2 s timeout"
	[ $t -le 6000 ] || die "dropped read $((i + 1)) failed after $t ms; the timeout is 2 s"
done
wait_until 5 grep -q 'cancelled read' "$flog" || die "faulty's cancel hook never ran"
n=$(grep -c 'cancelled read' "$flog")
[ "$n" -eq 2 ] || die "faulty saw $n cancellations, expected 2: $(grep cancelled "$flog")"
log "faulty cancelled $n reads: $(grep -m1 cancelled "$flog")"
dmesg | grep -q 'timed out after 2s' || die "the kernel did not log the timeouts"

# fio at depth 4: half the reads time out; fio reports the error and ends.
rc=0
t0=$(ms)
timeout 120 fio --name=drop --filename=/dev/buse1 --direct=1 --ioengine=libaio \
	--iodepth=4 --rw=randread --bs=4k --size=1M --output-format=normal \
	> fio-drop.out 2>&1 || rc=$?
t=$(( $(ms) - t0 ))
[ $rc -ne 124 ] || die "fio hung on dropped reads"
[ $rc -ne 0 ] || { cat fio-drop.out; die "fio succeeded although reads are dropped"; }
grep -q 'err= *110\b' fio-drop.out || { cat fio-drop.out; die "fio did not report err=110 (ETIMEDOUT)"; }
log "fio ended after $t ms: $(grep -m1 -o 'err= *110[^)]*)' fio-drop.out)"

# Served requests (writes) still work, on every tag, after the timeouts.
fio_ok after-timeouts --filename=/dev/buse1 --ioengine=libaio --iodepth=4 \
	--rw=randwrite --bs=4k --size=2M
stop_engine "$eng" TERM
c=$(grep -o '[0-9]* cancelled by the kernel' "$flog" | tail -n 1 | cut -d' ' -f1)
[ "${c:-0}" -ge 3 ] || die "faulty's summary shows ${c:-0} cancellations: $(tail -n 2 "$flog")"
log "faulty: $(grep 'requests, ' "$flog" | tail -n 1)"

# --- Drop with no timeout: SIGTERM releases the held request (EIO) ----------------
add_dev 2 --size 16M --queues 1 --depth 4
start_engine "$FAULTY" 2 --mode drop --ops read --every 1
eng=$LAST_PID
flog2=$BUSE_CASE_DIR/engine-faulty-2.log
dd if=/dev/buse2 of=blk bs=4096 count=1 iflag=direct 2>dd2.err &
dd=$!
bg_track "$dd"
sleep 3
kill -0 "$dd" 2>/dev/null || die "a dropped read on a device without timeout ended: $(cat dd2.err)"
t0=$(ms)
stop_engine "$eng" TERM 10
rc=0
wait_exit "$dd" 10 || rc=$?
[ $rc -ne 124 ] || die "the dropped read still waits 10 s after the engine stopped"
[ $rc -ne 0 ] || die "the dropped read succeeded"
grep -q "$(strerror EIO)" dd2.err || die "the released read: $(cat dd2.err)"
log "dropped read released at stop after $(( $(ms) - t0 )) ms: $(grep -m1 error dd2.err)"
grep -q '1 dropped ones released' "$flog2" || die "faulty's summary: $(tail -n 1 "$flog2")"

# --- Drop with no timeout, then a forced removal -------------------------------
start_engine "$FAULTY" 2 --mode drop --ops read --every 1
eng=$LAST_PID
dd if=/dev/buse2 of=blk bs=4096 count=1 iflag=direct 2>dd2.err &
dd=$!
bg_track "$dd"
sleep 2
kill -0 "$dd" 2>/dev/null || die "a dropped read ended by itself: $(cat dd2.err)"
timeout 30 "$BUSECTL" remove 2 --force || die "busectl remove 2 --force failed (status $?) with a dropped request"
rc=0
wait_exit "$dd" "$IO_FAIL_SECS" || rc=$?
[ $rc -ne 124 ] || die "the dropped read still waits after the forced removal"
[ $rc -ne 0 ] || die "the dropped read succeeded after the removal"
rc=0
wait_exit "$eng" "$IO_FAIL_SECS" || rc=$?
[ $rc -ne 124 ] || die "faulty still runs ${IO_FAIL_SECS} s after its device was removed (it holds a dropped request)"
[ $rc -eq 0 ] || die "faulty exited with status $rc after the removal"
wait_dev_gone 2
log "forced removal with a dropped request: dd and faulty ended"

remove_dev 1
exit 0
