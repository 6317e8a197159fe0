#!/bin/bash
# Partitions on a ramdisk-served device: sfdisk writes an MBR with two
# partitions (the kernel rereads the table: /dev/buse1p1 and p2 appear with
# the right sizes), mkfs.ext4 on each, both mounted at once, files written,
# unmounted, e2fsck clean, mounted again and the files checked.  Then a
# second engine attaches to a device that already holds a partition table:
# the library's rescan at attach makes the partitions appear without any
# tool.  A device created with --no-partscan never shows partitions.
# timeout: 600
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd sfdisk mkfs.ext4 e2fsck mount umount sha256sum blockdev
need_file "$BUSECTL" "$RAMDISK" "$NULLENG"
FILEENG=${FILEENG:-$BUSE_TOP/examples/file}

modprobe ext4 2>/dev/null || true
m1=/mnt/buse-p1
m2=/mnt/buse-p2
mkdir -p "$m1" "$m2"
on_exit "umount -l $m1"
on_exit "umount -l $m2"

add_dev 1 --size 128M
start_engine "$RAMDISK" 1
eng=$LAST_PID
[ ! -e /dev/buse1p1 ] || die "/dev/buse1p1 exists on a fresh (zeroed) device"

# 1 MiB alignment: p1 = 48 MiB at 1 MiB, p2 = the rest.
# sfdisk asks the kernel to reread the table once written.
printf 'label: dos\nstart=2048, size=98304, type=83\nstart=100352, type=83\n' |
	timeout 60 sfdisk -q /dev/buse1 > sfdisk.out 2>&1 ||
	{ cat sfdisk.out; die "sfdisk failed"; }
wait_until 10 test -b /dev/buse1p2 || die "/dev/buse1p1 and p2 did not appear after the table was written"
[ -b /dev/buse1p1 ] || die "/dev/buse1p1 missing"
[ ! -e /dev/buse1p3 ] || die "a third partition appeared"
s1=$(blockdev --getsize64 /dev/buse1p1)
s2=$(blockdev --getsize64 /dev/buse1p2)
[ "$s1" -eq $((48 << 20)) ] || die "/dev/buse1p1 is $s1 bytes, expected 48 MiB"
[ "$s2" -eq $(( (128 << 20) - (49 << 20) )) ] || die "/dev/buse1p2 is $s2 bytes, expected 79 MiB"
[ "$(cat /sys/block/buse1/buse1p2/start)" = 100352 ] || die "p2 starts at sector $(cat /sys/block/buse1/buse1p2/start)"
log "partitions: p1 $s1 bytes, p2 $s2 bytes"

for p in 1 2; do
	mkfs.ext4 -q -F -L part$p /dev/buse1p$p || die "mkfs.ext4 /dev/buse1p$p failed"
done
mount -t ext4 /dev/buse1p1 "$m1" || die "mount /dev/buse1p1 failed"
mount -t ext4 /dev/buse1p2 "$m2" || die "mount /dev/buse1p2 failed"
for p in 1 2; do
	m=/mnt/buse-p$p
	for i in 1 2 3 4 5 6 7 8; do
		head -c $(( i * 131072 + p * 1000 )) /dev/urandom > "$m/f$i" || die "writing to p$p failed"
	done
	mkdir -p "$m/d/e" && cp "$m/f3" "$m/d/e/copy" || die "cp on p$p failed"
	(cd "$m" && find . -type f ! -path './lost+found/*' | LC_ALL=C sort | xargs sha256sum) > sums$p
done
cmp -s sums1 sums2 && die "the two partitions hold the same files: they overlap?"
busectl remove 1 2>rm.err && die "busectl remove 1 succeeded with two partitions mounted"
grep -qi busy rm.err || die "remove with mounted partitions: $(cat rm.err)"
umount "$m1" || die "umount p1 failed"
umount "$m2" || die "umount p2 failed"
for p in 1 2; do
	e2fsck -fn /dev/buse1p$p > fsck$p.out 2>&1 || { cat fsck$p.out; die "e2fsck /dev/buse1p$p: not clean"; }
done
blockdev --flushbufs /dev/buse1
echo 3 > /proc/sys/vm/drop_caches
mount -t ext4 -o ro /dev/buse1p1 "$m1" || die "mounting p1 again failed"
mount -t ext4 -o ro /dev/buse1p2 "$m2" || die "mounting p2 again failed"
(cd "$m1" && sha256sum --quiet -c "$BUSE_CASE_DIR/sums1") || die "p1's files changed"
(cd "$m2" && sha256sum --quiet -c "$BUSE_CASE_DIR/sums2") || die "p2's files changed"
umount "$m1" && umount "$m2" || die "umount failed"
log "two ext4 partitions written, checked and read back"

# Writes to p2 stay inside p2: the whole-disk copy of p1 is unchanged.
dd if=/dev/buse1p1 of=p1.img bs=1M iflag=direct 2>/dev/null || die "reading p1 failed"
dd if=/dev/urandom of=/dev/buse1p2 bs=1M count=8 oflag=direct 2>/dev/null || die "writing p2 failed"
dd if=/dev/buse1 of=p1.again bs=1M skip=1 count=48 iflag=direct 2>/dev/null || die "reading the disk failed"
cmp -s p1.img p1.again || die "writing p2 changed p1"
stop_engine "$eng" TERM
remove_dev 1
[ ! -e /dev/buse1p1 ] && [ ! -e /dev/buse1p2 ] || die "partition nodes left after the removal"

# A table already on the disk: found by the rescan at attach.
if [ -x "$FILEENG" ]; then
	img=$BUSE_CASE_DIR/parted.img
	truncate -s 32M "$img"
	printf 'label: dos\nstart=2048, size=20480, type=83\nstart=22528, type=83\n' |
		sfdisk -q "$img" > /dev/null 2>&1 || die "sfdisk on an image failed"
	add_dev 2 --size 32M
	start_engine "$FILEENG" 2 "$img"
	wait_until 10 test -b /dev/buse2p2 || die "partitions on the image did not appear at attach (no rescan?)"
	[ "$(blockdev --getsize64 /dev/buse2p1)" -eq $((10 << 20)) ] || die "/dev/buse2p1 has the wrong size"
	log "attach found the two partitions of an existing table"
	stop_engine "$LAST_PID" TERM
	remove_dev 2
	[ ! -e /dev/buse2p1 ] || die "/dev/buse2p1 left after the removal"

	# --no-partscan: the same image shows no partitions.
	add_dev 3 --size 32M --no-partscan
	start_engine "$FILEENG" 3 "$img"
	timeout 30 blockdev --rereadpt /dev/buse3 2>/dev/null
	sleep 1
	[ ! -e /dev/buse3p1 ] || die "partitions appeared on a --no-partscan device"
	stop_engine "$LAST_PID" TERM
	remove_dev 3
else
	log "note: $FILEENG missing: the attach-rescan part is not run"
	die "$FILEENG is missing: build it (make examples)"
fi
exit 0
