#!/bin/bash
# An owned device (busectl add --owner) is the owner's data, and the owner
# could make its node a trap for others:
#   - only the owner and root may open /dev/buseN, whatever the node's mode
#     (another user gets EACCES even after the owner's chmod 0666);
#   - its partition table is not scanned (root's tools would parse the
#     owner's bytes): a table the owner writes gives no /dev/buseNp1,
#     BLKRRPART by root fails;
#   - the owner may remove it with --force while it is open (documented:
#     the owner can fail its I/O anyway, by stopping its server).
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd setpriv sfdisk dd blockdev
need_file "$BUSECTL" "$RAMDISK"

as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }
as 1000 true || die "setpriv cannot switch to uid 1000"

add_dev 1 --size 32M --owner 1000:1000
chown 1000:1000 /dev/buse1 /dev/busec1
as 1000 "$RAMDISK" 1 > ramdisk.log 2>&1 &
eng=$!
bg_track "$eng"
show_on_fail ramdisk.log
wait_ready 1 20 "$eng"

chmod 0666 /dev/buse1
as 1000 dd if=/dev/buse1 of=/dev/null bs=4096 count=1 iflag=direct 2>dd.err ||
	die "the owner cannot read its device: $(cat dd.err)"
rc=0
as 1001 dd if=/dev/buse1 of=/dev/null bs=4096 count=1 iflag=direct 2>dd.err || rc=$?
[ $rc -ne 0 ] || die "uid 1001 opened uid 1000's device through a 0666 node"
grep -q 'Permission denied' dd.err || die "uid 1001's open: $(cat dd.err), expected EACCES"
dd if=/dev/buse1 of=/dev/null bs=4096 count=1 iflag=direct 2>dd.err || die "root cannot read: $(cat dd.err)"
log "owned disk: owner and root open it, uid 1001 gets EACCES through a 0666 node"

# The owner writes a partition table: nobody scans it.
echo 'start=2048, size=8192, type=83' | as 1000 sfdisk --no-reread --no-tell-kernel /dev/buse1 > sfdisk.out 2>&1 ||
	die "the owner cannot write a partition table: $(cat sfdisk.out)"
rc=0
blockdev --rereadpt /dev/buse1 2>rr.err || rc=$?
[ $rc -ne 0 ] || die "BLKRRPART scanned an owned device's partition table"
sleep 1
[ ! -e /sys/block/buse1/buse1p1 ] || die "an owned device's partition table was scanned"
log "owned disk: no partition scan ($(cat rr.err))"

# The owner's forced removal while the disk is open.
exec 7</dev/buse1
as 1000 "$BUSECTL" remove 1 --force || die "the owner's remove --force failed"
exec 7<&-
wait_dev_gone 1
wait_exit "$eng" 10 || [ $? -ne 124 ] || die "the owner's engine still runs after the removal"
exit 0
