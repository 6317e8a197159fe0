#!/bin/bash
# Bad ioctls and mmaps (tests/integration/hostile.c "ioctls"): second open
# (EBUSY), RUN before ATTACH (ENXIO), ATTACH twice (EBUSY), bad ATTACH/RUN
# arguments and non-zero reserved fields (EINVAL), unknown ioctls (ENOTTY),
# mmaps of the wrong size or offset (EINVAL), PROT_EXEC mmaps (EPERM; through
# a node in the case's directory, as /dev may be noexec) and mprotect to
# PROT_EXEC (EACCES), bad control requests.  Then an
# honest engine must still serve the device.
# timeout: 120
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio
need_file "$BUSECTL" "$RAMDISK" "$HOSTILE"

add_dev 1 --size 16M --queues 2 --depth 8
show_on_fail hostile.out
mkdir nodes
BUSE_HOSTILE_NODE_DIR=$BUSE_CASE_DIR/nodes timeout 60 "$HOSTILE" ioctls 1 > hostile.out 2>&1
rc=$?
[ $rc -eq 0 ] || die "hostile ioctls: status $rc: $(grep -c '^FAIL' hostile.out) check(s) failed"
grep -q '^ok: ATTACH twice: EBUSY' hostile.out || die "hostile ioctls did not get to ATTACH twice"
grep -q '^ok: mmap with PROT_EXEC: EPERM' hostile.out || die "hostile ioctls did not check PROT_EXEC"

dev_state_is 1 idle || die "device 1 is '$(dev_field 1 state)' after hostile closed it"
start_engine "$RAMDISK" 1
fio_verify after-hostile /dev/buse1 4k 16 io_uring 8M
stop_engine "$LAST_PID" TERM
remove_dev 1
exit 0
