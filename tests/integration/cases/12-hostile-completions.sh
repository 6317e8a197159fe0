#!/bin/bash
# A server that completes with bogus tags (>= depth, never issued, twice),
# wrong seqs, oversized results, results that are not a multiple of the block
# size, and a cq_tail jumping more than cq_entries ahead
# (tests/integration/hostile.c "serve").  Each bogus batch must fail with
# EINVAL and rejected > 0, the held request must stay outstanding through
# them, and the honest completion that follows must deliver its data.
# Honest service afterwards must work, and the kernel log stay clean.
# timeout: 150
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd python3
need_file "$BUSECTL" "$HOSTILE"

add_dev 1 --size 4M --queues 1 --depth 4
show_on_fail hostile.out
sector=4096             # 2 MiB: far from what a partition scan reads
fifo=$BUSE_CASE_DIR/ctl.fifo
mkfifo "$fifo"
"$HOSTILE" serve 1 "$sector" < "$fifo" > hostile.out 2>&1 &
hpid=$!
bg_track "$hpid"
exec 3> "$fifo"          # hostile's stdin: a line on it means "go on"

wait_until 30 grep -q '^READY' hostile.out || { cat hostile.out; die "hostile did not get READY"; }
wait_ready 1 10 "$hpid"

# The held READ: direct, one 4 KiB block at $sector.
dd if=/dev/buse1 of=held.out bs=4096 count=1 skip=$((sector / 8)) iflag=direct 2>dd.err &
ddpid=$!
bg_track "$ddpid"
# After each bogus completion of the held READ, hostile prints "STEP what"
# and waits for us: the READ must still be outstanding.
steps=0
_progress() { [ "$(grep -c '^STEP' hostile.out)" -gt "$steps" ] || grep -q '^HOLDING' hostile.out; }
while :; do
	wait_until 30 _progress || die "hostile made no progress after $steps bogus completion(s) of the held READ"
	[ "$(grep -c '^STEP' hostile.out)" -gt "$steps" ] || break
	steps=$((steps + 1))
	what=$(grep '^STEP' hostile.out | sed -n "${steps}s/^STEP //p")
	sleep 0.3
	kill -0 "$ddpid" 2>/dev/null ||
		{ cat dd.err >&2; die "the held READ ended after the bogus completion '$what' (it must stay outstanding)"; }
	echo go >&3
done
[ "$steps" -ge 6 ] || die "hostile sent only $steps bogus completions of the held READ"
log "the held READ stayed outstanding through $steps bogus completions"
rc=0
wait_exit "$ddpid" 20 || rc=$?
[ $rc -ne 124 ] || die "the READ did not complete after the honest completion"
[ $rc -eq 0 ] || { cat dd.err; die "the READ failed (dd status $rc) after the honest completion"; }
python3 -c 'import sys; d = open("held.out", "rb").read(); sys.exit(0 if d == b"\xa5" * 4096 else 1)' ||
	die "the READ returned the wrong data ($(od -An -tx1 -N16 held.out))"
log "the held READ returned the 0xa5 block"
wait_until 10 grep -q '^SERVED' hostile.out || { cat hostile.out; die "hostile did not finish phase B"; }

# Honest service: write and read back through the page cache and directly.
head -c 65536 /dev/urandom > data
dd if=data of=/dev/buse1 bs=65536 count=1 seek=3 oflag=direct 2>/dev/null || die "write through hostile failed"
dd if=/dev/buse1 of=back bs=65536 count=1 skip=3 iflag=direct 2>/dev/null || die "read through hostile failed"
cmp data back || die "data read back through hostile differs"
dd if=data of=/dev/buse1 bs=4096 seek=100 conv=fsync 2>/dev/null || die "buffered write through hostile failed"
echo 3 > /proc/sys/vm/drop_caches
dd if=/dev/buse1 of=back2 bs=4096 count=16 skip=100 2>/dev/null || die "buffered read through hostile failed"
cmp data back2 || die "buffered data read back through hostile differs"
log "honest I/O works after the bogus completions"

kill -TERM "$hpid"
rc=0
wait_exit "$hpid" 10 || rc=$?
exec 3>&-
[ $rc -ne 124 ] || die "hostile still running 10 s after SIGTERM"
grep -q '^FAIL' hostile.out && die "hostile reported failed checks"
[ $rc -eq 0 ] || die "hostile exited with status $rc"
n=$(grep -c '^ok: .*EINVAL' hostile.out)
[ "$n" -ge 11 ] || die "only $n bogus completions were checked (expected at least 11)"
dev_state_is 1 idle || die "device 1 is '$(dev_field 1 state)' after hostile exited"
remove_dev 1
exit 0
