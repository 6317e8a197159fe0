#!/bin/bash
# XFS on a device with 4096-byte logical blocks served by examples/file
# ("file --create --logical-block-size 4096", sparse image on tmpfs): the
# device shows 4096-byte blocks, mkfs.xfs picks 4096-byte sectors, then
# mount, write a tree of files, checksum, umount, "xfs_repair -n" must find
# nothing, and after the engine restarted on the same image the files read
# back intact.
# timeout: 600
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd mkfs.xfs xfs_repair xfs_info sha256sum
FILEENG=${FILEENG:-$BUSE_TOP/examples/file}
need_file "$BUSECTL" "$FILEENG"
modprobe xfs 2>/dev/null
grep -qw xfs /proc/filesystems || skip "no xfs in this kernel"

img=/tmp/buse-file-24.img
mnt=/mnt/buse-xfs
rm -f "$img"
mkdir -p "$mnt"
on_exit "rm -f $img"
on_exit "umount -l $mnt"

# xfsprogs wants at least 300M; the image is sparse.
start_engine_create "$FILEENG" 320M --logical-block-size 4096 --queues 1 "$img"
engine=$LAST_PID
n=$LAST_INDEX
dev=/dev/buse$n
[ "$(cat /sys/block/buse$n/queue/logical_block_size)" = 4096 ] ||
	die "logical_block_size is $(cat /sys/block/buse$n/queue/logical_block_size), expected 4096"
[ "$(blockdev --getss "$dev")" = 4096 ] || die "blockdev --getss $dev: $(blockdev --getss "$dev")"

mkfs.xfs -q -f "$dev" > mkfs.out 2>&1 || { cat mkfs.out; die "mkfs.xfs $dev failed"; }
mount -t xfs "$dev" "$mnt" || die "mount $dev failed"
sect=$(xfs_info "$mnt" | sed -n 's/.*sectsz=\([0-9]*\).*/\1/p' | head -n 1)
[ "$sect" = 4096 ] || die "xfs sector size is '$sect', expected 4096 ($(xfs_info "$mnt"))"

src=$BUSE_CASE_DIR/src
mkdir -p "$src"
i=0
for size in 0 1 4095 4096 4097 65536 100000 1048576 3000000; do
	for _ in 1 2; do
		i=$((i + 1))
		d=$src/d$((i % 3))
		mkdir -p "$d"
		head -c "$size" /dev/urandom > "$d/f$i-$size"
	done
done
(cd "$src" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) > sums
cp -a "$src/." "$mnt/" || die "copying files to xfs failed"
# Some overwrites in place and a sparse file, through O_DIRECT too.
dd if=/dev/urandom of="$mnt/direct" bs=64k count=16 oflag=direct status=none || die "O_DIRECT write on xfs failed"
truncate -s 10M "$mnt/sparse" && echo tail >> "$mnt/sparse"
(cd "$mnt" && sha256sum direct sparse) > sums2
sync
(cd "$mnt" && sha256sum --quiet -c "$BUSE_CASE_DIR/sums") || die "checksums differ right after the copy"
umount "$mnt" || die "umount failed"

xfs_repair -n "$dev" > repair.out 2>&1
rc=$?
[ $rc -eq 0 ] || { cat repair.out; die "xfs_repair -n $dev: status $rc (the file system is not clean)"; }
log "xfs_repair -n: clean"

# Through a new engine on the same image, nothing cached.
stop_engine "$engine" TERM
wait_dev_gone "$n"
start_engine_create "$FILEENG" 320M --logical-block-size 4096 "$img"
engine=$LAST_PID
dev=/dev/buse$LAST_INDEX
mount -t xfs -o ro "$dev" "$mnt" || die "mounting the image again failed"
(cd "$mnt" && sha256sum --quiet -c "$BUSE_CASE_DIR/sums" && sha256sum --quiet -c "$BUSE_CASE_DIR/sums2") ||
	die "checksums differ after umount, xfs_repair and a new engine"
umount "$mnt" || die "the second umount failed"
stop_engine "$engine" TERM
wait_dev_gone "$LAST_INDEX"
exit 0
