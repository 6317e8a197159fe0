#!/bin/bash
# What ext4 (4K blocks, mounted -o discard) on a buse device sends to the
# engine, seen by the recorder (tests/integration/recorder.c).  For a 1M file
# in one extent at byte P of the device:
#   fallocate --punch-hole 64K+256K -> one or more DISCARDs covering exactly
#       [P + 64K, P + 320K) once the journal commits (sync);
#   fallocate --zero-range, block-aligned -> no I/O to the range at all: ext4
#       turns the blocks into an unwritten extent (filefrag says so); no
#       WRITE_ZEROES, no WRITE, no DISCARD there;
#   fallocate --zero-range, not block-aligned -> the two partial edge blocks
#       are written (WRITE, zeroed in the page cache), the blocks between
#       become unwritten; still no WRITE_ZEROES;
#   a buffered overwrite + fsync -> the data WRITE, then a FLUSH after it;
#   an O_DIRECT|O_DSYNC overwrite -> one WRITE with FUA and no FLUSH (the
#       engine advertises FUA);
#   a buffered O_DSYNC overwrite -> the WRITE, then a FLUSH.
# The file's contents stay right (zeroes where zeroed), and e2fsck is clean.
# timeout: 400
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd mkfs.ext4 e2fsck filefrag fallocate xfs_io cmp
RECORDER=${RECORDER:-$BUSE_TOP/build/integration/recorder}
need_file "$BUSECTL" "$RECORDER"
modprobe ext4 2>/dev/null
grep -qw ext4 /proc/filesystems || skip "no ext4 in this kernel"

REQLOG=$BUSE_CASE_DIR/requests.log
req_reset() { : > "$REQLOG"; }
req_lines() {
	awk -v op="$1" -v fl="${2:-}" \
		'$1 == op && (fl == "" || index("," $4 ",", "," fl ","))' "$REQLOG"
}
req_count() { req_lines "$@" | wc -l; }
req_exactly() {
	req_lines "$1" "${4:-}" | sort -n -k2 | awk -v s="$2" -v l="$3" '
		BEGIN { pos = s }
		$2 != pos { exit 1 }
		{ pos += $3 }
		END { exit !(NR > 0 && pos == s + l) }'
}
# req_touching OP OFF LEN: OP's lines that overlap [OFF, OFF + LEN).
req_touching() {
	req_lines "$1" | awk -v s="$2" -v l="$3" '$2 < s + l && $2 + $3 > s'
}
# flush_after LINE: the line number of the first FLUSH after line LINE.
flush_after() { awk -v l="$1" 'NR > l && $1 == "FLUSH" { print NR; exit }' "$REQLOG"; }
req_show() { echo "---- requests ($1) ----" >&2; grep -v RAHEAD "$REQLOG" >&2; }
# first_line OP [FLAG] [OFF]: the line number of OP's first line (at OFF).
first_line() {
	awk -v op="$1" -v fl="${2:-}" -v off="${3:-}" '
		$1 == op && (fl == "" || index("," $4 ",", "," fl ",")) &&
		(off == "" || $2 == off) { print NR; exit }' "$REQLOG"
}

mnt=/mnt/buse-rec-ext4
mkdir -p "$mnt"
on_exit "umount -l $mnt"

add_dev 1 --size 64M
start_engine "$RECORDER" 1 "$REQLOG"
engine=$LAST_PID
mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=0,lazy_journal_init=0,nodiscard /dev/buse1 ||
	die "mkfs.ext4 failed"
# commit=60: no periodic journal commit between an action and its check.
mount -t ext4 -o discard,commit=60 /dev/buse1 "$mnt" || die "mount -o discard failed"

K=1024
f=$mnt/f
head -c 1M /dev/urandom > ref
cp ref "$f" && sync || die "writing $f failed"
filefrag "$f" | grep -q ': 1 extent found' || die "$f is not in one extent: $(filefrag -v "$f")"
# phys FILE: the byte offset on the device of FILE's first block.
phys() { filefrag -v "$1" | awk '$1 == "0:" { sub(/\.\.$/, "", $4); print $4 * 4096; exit }'; }
P=$(phys "$f")
[ -n "$P" ] && [ "$P" -gt 0 ] || die "cannot find $f on the device: $(filefrag -v "$f")"
log "$f is at byte $P of /dev/buse1"

# Punch a hole: DISCARD of exactly the freed blocks.
req_reset
fallocate --punch-hole -o $((64 * K)) -l $((256 * K)) "$f" || die "fallocate --punch-hole failed"
sync
req_exactly DISCARD $((P + 64 * K)) $((256 * K)) ||
	{ req_show punch; die "punch-hole [64K, 320K) did not give DISCARDs of exactly [P+64K, P+320K)"; }
[ "$(req_count WRITE_ZEROES)" = 0 ] || { req_show punch; die "punch-hole sent WRITE_ZEROES"; }
dd if=/dev/zero bs=64K count=4 status=none | dd of=ref bs=64K seek=1 conv=notrunc status=none

# Zero range, block-aligned: unwritten extent, no I/O to the range.
req_reset
fallocate --zero-range -o $((512 * K)) -l $((256 * K)) "$f" || die "fallocate --zero-range failed"
sync
[ "$(req_count WRITE_ZEROES)" = 0 ] || { req_show zero-range; die "ext4 zero-range sent WRITE_ZEROES (expected an unwritten extent)"; }
[ -z "$(req_touching WRITE $((P + 512 * K)) $((256 * K)))" ] &&
[ -z "$(req_touching DISCARD $((P + 512 * K)) $((256 * K)))" ] ||
	{ req_show zero-range; die "ext4 zero-range wrote or discarded the zeroed blocks"; }
filefrag -v "$f" | awk '$2 == "128..." || $2 == "128.."' | grep -q unwritten ||
	die "the zeroed blocks are not an unwritten extent: $(filefrag -v "$f")"
dd if=/dev/zero bs=64K count=4 status=none | dd of=ref bs=64K seek=8 conv=notrunc status=none

# Zero range, not block-aligned: [832K + 512, 896K + 512).
req_reset
fallocate --zero-range -o $((832 * K + 512)) -l $((64 * K)) "$f" || die "unaligned fallocate --zero-range failed"
sync
[ "$(req_count WRITE_ZEROES)" = 0 ] || { req_show zero-range-unaligned; die "unaligned zero-range sent WRITE_ZEROES"; }
[ -n "$(req_touching WRITE $((P + 832 * K)) 4096)" ] && [ -n "$(req_touching WRITE $((P + 896 * K)) 4096)" ] ||
	{ req_show zero-range-unaligned; die "the partial edge blocks (832K, 896K) of the unaligned zero-range were not written"; }
[ -z "$(req_touching WRITE $((P + 836 * K)) $((60 * K)))" ] ||
	{ req_show zero-range-unaligned; die "the whole blocks between the edges were written (expected unwritten extent)"; }
dd if=/dev/zero bs=512 count=128 status=none | dd of=ref bs=512 seek=1665 conv=notrunc status=none

echo 3 > /proc/sys/vm/drop_caches
cmp "$f" ref || die "$f does not hold the expected bytes after punch and zero-range"

# fsync: the data, then a FLUSH.
g=$mnt/g
head -c 8192 /dev/urandom > "$g" && sync || die "writing $g failed"
G=$(phys "$g")
req_reset
dd if=/dev/urandom of="$g" bs=4k count=1 conv=notrunc status=none || die "overwriting $g failed"
xfs_io -c fsync "$g" || die "fsync failed"
dl=$(first_line WRITE "" "$G")
fl=$(flush_after "${dl:-999999}")
[ -n "$dl" ] && [ -n "$fl" ] ||
	{ req_show fsync; die "fsync: expected the data WRITE at $G, then a FLUSH (lines '$dl', '$fl')"; }
log "fsync: data WRITE at line $dl, FLUSH at line $fl, FUA writes: $(req_count WRITE FUA)"

# O_DIRECT|O_DSYNC overwrite: a single FUA write, no FLUSH.
req_reset
dd if=/dev/urandom of="$g" bs=4k count=1 oflag=direct,dsync conv=notrunc status=none || die "O_DSYNC direct write failed"
[ "$(req_lines WRITE | wc -l)" = 1 ] && [ "$(req_lines WRITE FUA | awk '{print $2, $3}')" = "$G 4096" ] ||
	{ req_show dio-dsync; die "O_DIRECT|O_DSYNC overwrite: expected one FUA WRITE of 4096 at $G"; }
[ "$(req_count FLUSH)" = 0 ] || { req_show dio-dsync; die "O_DIRECT|O_DSYNC overwrite sent a FLUSH (FUA should do)"; }

# Buffered O_DSYNC overwrite: the WRITE, then a FLUSH.
req_reset
dd if=/dev/urandom of="$g" bs=4k count=1 oflag=dsync conv=notrunc status=none || die "O_DSYNC write failed"
dl=$(first_line WRITE "" "$G")
fl=$(flush_after "${dl:-999999}")
[ -n "$dl" ] && [ -n "$fl" ] ||
	{ req_show dsync; die "buffered O_DSYNC: expected the WRITE at $G, then a FLUSH"; }

umount "$mnt" || die "umount failed"
e2fsck -fn /dev/buse1 > fsck.out 2>&1 || { cat fsck.out; die "e2fsck -fn: the file system is not clean"; }
stop_engine "$engine" TERM
remove_dev 1
exit 0
