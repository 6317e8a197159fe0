#!/bin/bash
# A file system on a ramdisk-backed device: mkfs.ext4, mount, copy a tree of
# files, checksum, umount, e2fsck -fn must be clean, mount again and compare
# the checksums.
# timeout: 600
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd mkfs.ext4 e2fsck sha256sum
need_file "$BUSECTL" "$RAMDISK"

mnt=/mnt/buse-ext4
mkdir -p "$mnt"
on_exit "umount -l $mnt"

add_dev 1 --size 128M
start_engine "$RAMDISK" 1
engine=$LAST_PID

mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 /dev/buse1 ||
	die "mkfs.ext4 /dev/buse1 failed"
mount -t ext4 /dev/buse1 "$mnt" || die "mount /dev/buse1 failed"

# The tree: generated files of many sizes (0 bytes to 4 MiB, some not a
# multiple of any block size), deep directories, and a copy of real files.
src=$BUSE_CASE_DIR/src
mkdir -p "$src/gen"
i=0
for size in 0 1 511 512 513 4095 4096 4097 65536 100000 1048576 4194304; do
	for copy in 1 2 3; do
		i=$((i + 1))
		d=$src/gen/d$((i % 5))/e$((i % 3))
		mkdir -p "$d"
		head -c "$size" /dev/urandom > "$d/f$i-$size"
	done
done
for d in /usr/share/doc/fio /usr/share/doc/e2fsprogs /usr/share/doc/bash /usr/share/doc/coreutils; do
	[ -d "$d" ] && cp -a "$d" "$src/" 2>/dev/null
done
(cd "$src" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) > sums
nfiles=$(wc -l < sums)
log "tree: $nfiles files, $(du -sh "$src" | cut -f1)"

cp -a "$src/." "$mnt/" || die "copying the tree to the file system failed"
# Mounted: a plain remove is refused.
busectl remove 1 2>remove.err && die "busectl remove 1 succeeded while /dev/buse1 is mounted"
log "remove while mounted refused: $(cat remove.err)"
sync
(cd "$mnt" && sha256sum --quiet -c "$BUSE_CASE_DIR/sums") ||
	die "checksums differ right after the copy"
umount "$mnt" || die "umount failed"

e2fsck -fn /dev/buse1 > fsck.out 2>&1
rc=$?
cat fsck.out
[ $rc -eq 0 ] || die "e2fsck -fn /dev/buse1: status $rc (the file system is not clean)"

# Drop every cached page, so the second check reads through the engine.
blockdev --flushbufs /dev/buse1
echo 3 > /proc/sys/vm/drop_caches
mount -t ext4 -o ro /dev/buse1 "$mnt" || die "mounting /dev/buse1 again failed"
(cd "$mnt" && sha256sum --quiet -c "$BUSE_CASE_DIR/sums") ||
	die "checksums differ after umount, fsck and mount"
[ "$(cd "$mnt" && find . -type f ! -path './lost+found/*' | wc -l)" = "$nfiles" ] ||
	die "the file system holds a different number of files than copied"
umount "$mnt" || die "the second umount failed"
log "all $nfiles files intact"

stop_engine "$engine" TERM
remove_dev 1
exit 0
