#!/bin/bash
# A program written for BUSE's API (struct buse_operations, buse_main(),
# here examples/busexmp, BUSE's own RAM-disk example) serves /dev/buseN:
# the size it gives is taken by a device created without one, data written
# reads back, flush and discard reach its callbacks with the right ranges,
# SIGINT ends it with status 0 after its disc() callback, and it refuses a
# device of another size, a path that is not /dev/buseN and a block size
# other than the device's, with a message and status 1.
# timeout: 120
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd dd blkdiscard blockdev cmp
BUSEXMP=$BUSE_TOP/examples/busexmp
need_file "$BUSECTL" "$BUSEXMP"

# Served from a device created without a size: the program's size wins.
add_dev 1
log=$BUSE_CASE_DIR/busexmp.log
"$BUSEXMP" -v 64M /dev/buse1 2>"$log" &
pid=$!
bg_track "$pid"
show_on_fail "$log"
wait_ready 1 20 "$pid"
[ "$(blockdev --getsize64 /dev/buse1)" = 67108864 ] ||
	die "/dev/buse1 has $(blockdev --getsize64 /dev/buse1) bytes, expected 64M"

# Data reads back (direct I/O: it reaches the program).
head -c 1M /dev/urandom >"$BUSE_CASE_DIR/data"
dd if="$BUSE_CASE_DIR/data" of=/dev/buse1 bs=64k seek=16 oflag=direct \
	conv=fsync status=none || die "write to /dev/buse1 failed"
dd if=/dev/buse1 of="$BUSE_CASE_DIR/back" bs=64k skip=16 count=16 \
	iflag=direct status=none || die "read from /dev/buse1 failed"
cmp "$BUSE_CASE_DIR/data" "$BUSE_CASE_DIR/back" || die "data read back differs"
grep -q '^W - 1048576, ' "$log" || die "no write at offset 1M in the program's log"
grep -q '^R - 1048576, ' "$log" || die "no read at offset 1M in the program's log"
grep -q '^Received a flush request\.$' "$log" ||
	die "the fsync did not reach the program's flush()"
blkdiscard -o 2M -l 1M /dev/buse1 || die "blkdiscard failed"
grep -q '^T - 2097152, ' "$log" || die "the discard did not reach trim() at 2M"

# Ctrl-C: disc() runs and buse_main() returns 0.
stop_engine "$pid" INT
grep -q '^Received a disconnect request\.$' "$log" ||
	die "disc() was not called when serving ended"
remove_dev 1

# Refusals: each a message on stderr and status 1, the device untouched.
add_dev 2 --size 32M
rc=0
"$BUSEXMP" 64M /dev/buse2 2>"$BUSE_CASE_DIR/size.err" || rc=$?
[ $rc -eq 1 ] || die "busexmp on a 32M device with 64M: status $rc, expected 1"
[ -s "$BUSE_CASE_DIR/size.err" ] || die "busexmp gave no message for the size mismatch"
rc=0
"$BUSEXMP" 32M /dev/nbd0 2>"$BUSE_CASE_DIR/path.err" || rc=$?
[ $rc -eq 1 ] || die "busexmp /dev/nbd0: status $rc, expected 1"
grep -q 'nbd0' "$BUSE_CASE_DIR/path.err" || die "the message does not name the path"
dev_state_is 2 idle || die "device 2 is '$(dev_field 2 state)' after refused servers"
remove_dev 2
exit 0
