#!/bin/bash
# What examples/file does with the requests that carry no data, on a regular
# file (tmpfs, /tmp in the VM):
#   - it advertises flush, FUA, discard and write-zeroes but not secure
#     erase: "write back" cache, fua 1, discard and write-zeroes limits set,
#     BLKSECDISCARD refused;
#   - DISCARD (blkdiscard) punches holes: the range reads as zeroes and the
#     image's allocated size shrinks;
#   - WRITE_ZEROES with NOUNMAP (blkdiscard -z, fallocate -z on the device)
#     zeroes the range and leaves it allocated (tmpfs has no ZERO_RANGE:
#     this is the punch + allocate fallback, which --verbose reports);
#   - WRITE_ZEROES without NOUNMAP (fallocate -p on the device) zeroes the
#     range and deallocates it;
#   - FLUSH (fsync) succeeds; the bytes around every range are untouched.
# timeout: 300
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd blkdiscard fallocate cmp
FILEENG=${FILEENG:-$BUSE_TOP/examples/file}
need_file "$BUSECTL" "$FILEENG"

img=/tmp/buse-file-22.img
rm -f "$img"
on_exit "rm -f $img"
truncate -s 32M "$img" || die "cannot create $img"

add_dev 1 --size 32M
start_engine "$FILEENG" 1 --verbose "$img"
engine=$LAST_PID
elog=$BUSE_CASE_DIR/engine-$(basename "$FILEENG")-1.log
Q=/sys/block/buse1/queue

[ "$(cat $Q/write_cache)" = "write back" ] || die "write_cache is '$(cat $Q/write_cache)', expected 'write back'"
[ "$(cat $Q/fua)" = 1 ] || die "fua is $(cat $Q/fua), expected 1"
[ "$(cat $Q/discard_max_hw_bytes)" -gt 0 ] || die "discard_max_hw_bytes is 0: discard not advertised"
[ "$(cat $Q/write_zeroes_max_bytes)" -gt 0 ] || die "write_zeroes_max_bytes is 0: write-zeroes not advertised"
ops=$(dev_field 1 ops)
[ "$ops" = "read,write,flush,discard,write_zeroes,fua" ] ||
	die "busectl info 1: ops '$ops', expected read,write,flush,discard,write_zeroes,fua"

M=1048576
# alloc_kib: the image's allocated size in KiB.
alloc_kib() { du -k "$img" | cut -f1; }
# is_zero OFF LEN: the image holds zeroes at [OFF, OFF + LEN).
is_zero() { cmp -s -n "$2" -i "$1:0" "$img" /dev/zero; }
# dev_is_zero OFF LEN: /dev/buse1 reads zeroes there (direct I/O).
dev_is_zero() {
	dd if=/dev/buse1 bs=64k skip=$(($1 / 65536)) count=$(($2 / 65536)) \
		iflag=direct status=none | cmp -s -n "$2" - /dev/zero
}

# Fill the device with random bytes: everything allocated.
head -c 32M /dev/urandom > pattern
dd if=pattern of=/dev/buse1 bs=1M oflag=direct conv=fsync status=none ||
	die "filling /dev/buse1 failed"
cmp -s "$img" pattern || die "the image does not hold what was written to /dev/buse1"
full=$(alloc_kib)
log "image filled: $full KiB allocated"

# DISCARD [2M, 6M): a hole.
blkdiscard -f -o $((2 * M)) -l $((4 * M)) /dev/buse1 || die "blkdiscard failed"
is_zero $((2 * M)) $((4 * M)) || die "the discarded range is not zero in the image"
dev_is_zero $((2 * M)) $((4 * M)) || die "the discarded range does not read as zeroes"
a=$(alloc_kib)
[ "$a" -le $((full - 4096)) ] || die "discarding 4M freed too little: $full KiB -> $a KiB"
log "discard: $full KiB -> $a KiB allocated"

# WRITE_ZEROES with NOUNMAP, [8M, 10M): zeroes, still allocated.
before=$(alloc_kib)
blkdiscard -f -z -o $((8 * M)) -l $((2 * M)) /dev/buse1 || die "blkdiscard -z failed"
fallocate -z -o $((10 * M)) -l $((1 * M)) /dev/buse1 || die "fallocate -z on /dev/buse1 failed"
is_zero $((8 * M)) $((3 * M)) || die "the range zeroed with NOUNMAP is not zero in the image"
dev_is_zero $((8 * M)) $((3 * M)) || die "the range zeroed with NOUNMAP does not read as zeroes"
a=$(alloc_kib)
[ "$a" -ge "$before" ] || die "write-zeroes with NOUNMAP deallocated: $before KiB -> $a KiB"
grep -q 'ZERO_RANGE' "$elog" ||
	die "file --verbose did not report the ZERO_RANGE fallback on tmpfs: $(cat "$elog")"
log "write-zeroes NOUNMAP: $before KiB -> $a KiB allocated"

# WRITE_ZEROES without NOUNMAP, [12M, 16M): zeroes, deallocated.
before=$(alloc_kib)
fallocate -p -o $((12 * M)) -l $((4 * M)) /dev/buse1 || die "fallocate -p on /dev/buse1 failed"
is_zero $((12 * M)) $((4 * M)) || die "the range zeroed without NOUNMAP is not zero in the image"
dev_is_zero $((12 * M)) $((4 * M)) || die "the range zeroed without NOUNMAP does not read as zeroes"
a=$(alloc_kib)
[ "$a" -le $((before - 4096)) ] || die "write-zeroes without NOUNMAP kept the range allocated: $before KiB -> $a KiB"
log "write-zeroes (may unmap): $before KiB -> $a KiB allocated"

# Secure erase is not offered for a regular file.
blkdiscard -f --secure -o 0 -l $M /dev/buse1 2> secure.err &&
	die "blkdiscard --secure succeeded on a file-backed device"
log "blkdiscard --secure refused: $(tail -n 1 secure.err)"

# FLUSH.
dd if=pattern of=/dev/buse1 bs=64k count=1 seek=400 skip=400 conv=fsync,notrunc status=none ||
	die "a write with fsync failed"

# Everything outside the ranges is the pattern.
check_pattern() { cmp -s -n "$2" -i "$1:$1" "$img" pattern || die "bytes [$1, $(($1 + $2))) changed"; }
check_pattern 0 $((2 * M))
check_pattern $((6 * M)) $((2 * M))
check_pattern $((11 * M)) $((1 * M))
check_pattern $((16 * M)) $((16 * M))

stop_engine "$engine" TERM
remove_dev 1
exit 0
