#!/bin/bash
# A read-only device whose server implements flush: fsync (an empty FLUSH)
# succeeds (it failed with EIO), while writes still fail.
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd python3 dd
need_file "$BUSECTL" "$RAMDISK"

add_dev 1 --size 16M --read-only
start_engine "$RAMDISK" 1
[ "$(cat /sys/block/buse1/queue/write_cache)" = "write back" ] ||
	die "the read-only device does not advertise a write cache: $(cat /sys/block/buse1/queue/write_cache)"
python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)' /dev/buse1 2>fsync.err ||
	die "fsync of a read-only buse device failed: $(cat fsync.err)"
log "fsync of the read-only device: ok"
! dd if=/dev/zero of=/dev/buse1 bs=4096 count=1 oflag=direct 2>dd.err ||
	die "a write to a read-only device succeeded"
dd if=/dev/buse1 of=/dev/null bs=4096 count=16 iflag=direct 2>dd.err || die "reads failed: $(cat dd.err)"
stop_engine "$LAST_PID" TERM
remove_dev 1
exit 0
