#!/bin/bash
# A server that forks a child (no exec) and then dies must not stay
# attached through the child: the ring mapping is not inherited, the
# server's exit detaches it although the child still holds /dev/busecN,
# its held request fails at once (EIO), the child's BUSE_IOC_RUN and mmap
# fail with ENODEV, and a new server can open and serve the device while
# the child lives (tests/integration/hostile.c, "fork").
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd dd
need_file "$BUSECTL" "$HOSTILE" "$RAMDISK"
show_on_fail hostile.out

add_dev 1 --size 16M --queues 1 --depth 4
"$HOSTILE" fork 1 > hostile.out 2>&1 &
srv=$!
bg_track "$srv"
wait_until 10 grep -q '^READY' hostile.out || die "hostile fork did not get ready"
grep -q '^ok: fork: the child did not inherit' hostile.out || die "$(grep FAIL hostile.out)"
child=$(sed -n 's/^CHILD \([0-9]*\)$/\1/p' hostile.out)
[ -n "$child" ] || die "no child pid"
bg_track "$child"
# A read the server never answers.
dd if=/dev/buse1 of=/dev/null bs=4096 count=1 iflag=direct 2>dd.err &
dd=$!
bg_track "$dd"
sleep 1
kill -0 "$dd" 2>/dev/null || die "the read ended although nobody serves it: $(cat dd.err)"
kill -KILL "$srv"
rc=0
wait_exit "$dd" "$IO_FAIL_SECS" || rc=$?
[ $rc -ne 124 ] || die "the read still waits $IO_FAIL_SECS s after the server died (its forked child holds the file)"
[ $rc -ne 0 ] || die "the read succeeded"
wait_until 5 dev_state_is 1 idle || die "device 1 is '$(dev_field 1 state)' with its server dead"
kill -USR1 "$child"
wait_until 5 grep -q '^CHILD MMAP' hostile.out || die "the child did not answer SIGUSR1"
grep -q '^CHILD RUN: ENODEV' hostile.out || die "the child's RUN: $(grep 'CHILD RUN' hostile.out)"
grep -q '^CHILD MMAP: ENODEV' hostile.out || die "the child's mmap: $(grep 'CHILD MMAP' hostile.out)"
log "server dead, child alive: read failed, child's RUN and mmap ENODEV"
start_engine "$RAMDISK" 1
fio_verify after-fork /dev/buse1 4k 4 libaio 2M
stop_engine "$LAST_PID" TERM
kill -KILL "$child"
remove_dev 1
exit 0
