#!/bin/bash
# An event-loop server: tests/integration/hostile poll serves every queue of
# a 2-queue device with poll(2) on /dev/busecN and non-blocking
# BUSE_IOC_RUN only (no thread per queue, no RUN that sleeps).  fio writes
# and verifies through it with two jobs (both queues busy), then the device
# is removed: poll() must report POLLHUP and the server end with ENODEV.
# The server checks POLLERR before ATTACH, that an idle device wakes no one,
# and that most wake-ups found work.
# timeout: 300
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio
HOSTILE=${HOSTILE:-$BUSE_TOP/build/integration/hostile}
need_file "$BUSECTL" "$HOSTILE"

add_dev 1 --size 64M --queues 2 --depth 32
out=$BUSE_CASE_DIR/hostile-poll.out
"$HOSTILE" poll 1 > "$out" 2>&1 &
srv=$!
bg_track "$srv"
show_on_fail "$out"
wait_until 30 grep -q READY "$out" || die "the event-loop server never got idle: $(cat "$out")"

fio_verify poll-4k-qd16x2 /dev/buse1 4k 16 io_uring 16M --numjobs=2 \
	--offset_increment=32M
fio_verify poll-128k-qd8 /dev/buse1 128k 8 libaio 32M
fio_verify poll-4k-qd1 /dev/buse1 4k 1 psync 2M

busectl remove 1 || die "busectl remove 1 failed"
rc=0
wait_exit "$srv" 20 || rc=$?
[ $rc -ne 124 ] || die "the event-loop server did not see the removal within 20 s: $(cat "$out")"
grep -q '^ok: POLLHUP, then RUN: ENODEV' "$out" || die "no POLLHUP at removal: $(cat "$out")"
grep '^served' "$out"
[ $rc -eq 0 ] || die "the event-loop server failed (status $rc): $(grep FAIL "$out")"
exit 0
