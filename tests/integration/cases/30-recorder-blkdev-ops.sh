#!/bin/bash
# Which requests the engine gets for discard and zeroing on the raw device,
# seen by the recorder (tests/integration/recorder.c, every request logged):
#   blkdiscard            -> DISCARD covering exactly the range
#   blkdiscard -z         -> WRITE_ZEROES with NOUNMAP (BLKZEROOUT)
#   fallocate -z (device) -> WRITE_ZEROES with NOUNMAP
#   fallocate -p (device) -> WRITE_ZEROES without NOUNMAP (may unmap)
#   blkdiscard --secure   -> refused: the engine has no secure_erase
# none of them a WRITE; the ranges read back as zeroes.  With
# --max-discard 1M, --max-write-zeroes 512K and --discard-granularity 64K the
# requests are split at those sizes.  An engine without discard and
# write_zeroes but with secure_erase: BLKDISCARD fails (EOPNOTSUPP),
# blkdiscard -z becomes plain WRITEs of zeroes, blkdiscard --secure
# SECURE_ERASE.
# timeout: 300
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd blkdiscard fallocate cmp
RECORDER=${RECORDER:-$BUSE_TOP/build/integration/recorder}
need_file "$BUSECTL" "$RECORDER"

REQLOG=$BUSE_CASE_DIR/requests.log
req_reset() { : > "$REQLOG"; }
# req_lines OP [FLAG]: OP's lines (those with FLAG among their flags).
req_lines() {
	awk -v op="$1" -v fl="${2:-}" \
		'$1 == op && (fl == "" || index("," $4 ",", "," fl ","))' "$REQLOG"
}
req_count() { req_lines "$@" | wc -l; }
# req_exactly OP OFF LEN [FLAG]: OP's lines (with FLAG) tile [OFF, OFF + LEN)
# exactly: sorted by offset, each starts where the previous ended.
req_exactly() {
	req_lines "$1" "${4:-}" | sort -n -k2 | awk -v s="$2" -v l="$3" '
		BEGIN { pos = s }
		$2 != pos { exit 1 }
		{ pos += $3 }
		END { exit !(NR > 0 && pos == s + l) }'
}
# req_max_len OP: the longest OP request.
req_max_len() { req_lines "$1" | awk 'BEGIN { m = 0 } $3 > m { m = $3 } END { print m }'; }
req_show() { echo "---- requests ($1) ----" >&2; grep -v RAHEAD "$REQLOG" >&2; }
# zeroes DEV OFF LEN: DEV reads as zeroes there (direct I/O, 64k units).
zeroes() {
	dd if="$1" bs=64k skip=$(($2 / 65536)) count=$(($3 / 65536)) iflag=direct status=none |
		cmp -s -n "$3" - /dev/zero
}

M=1048576
add_dev 1 --size 64M
start_engine "$RECORDER" 1 "$REQLOG"
engine=$LAST_PID
Q=/sys/block/buse1/queue
[ "$(cat $Q/discard_max_hw_bytes)" = 4294966784 ] || die "discard_max_hw_bytes $(cat $Q/discard_max_hw_bytes), expected 4G - 512"
[ "$(cat $Q/write_zeroes_max_bytes)" = 4294966784 ] || die "write_zeroes_max_bytes $(cat $Q/write_zeroes_max_bytes), expected 4G - 512"
head -c 64M /dev/urandom > pattern
dd if=pattern of=/dev/buse1 bs=1M oflag=direct status=none || die "filling /dev/buse1 failed"

req_reset
blkdiscard -f -o $M -l $((4 * M)) /dev/buse1 || die "blkdiscard failed"
req_exactly DISCARD $M $((4 * M)) || { req_show blkdiscard; die "blkdiscard [1M, 5M) is not DISCARDs of exactly that range"; }
[ "$(req_count WRITE)" = 0 ] && [ "$(req_count WRITE_ZEROES)" = 0 ] || { req_show blkdiscard; die "blkdiscard caused writes"; }
zeroes /dev/buse1 $M $((4 * M)) || die "the discarded range does not read as zeroes (the recorder zeroes it)"
log "blkdiscard: $(req_lines DISCARD | head -n 3 | tr '\n' ';')"

req_reset
blkdiscard -f -z -o $((8 * M)) -l $((2 * M)) /dev/buse1 || die "blkdiscard -z failed"
req_exactly WRITE_ZEROES $((8 * M)) $((2 * M)) NOUNMAP ||
	{ req_show "blkdiscard -z"; die "blkdiscard -z [8M, 10M) is not WRITE_ZEROES with NOUNMAP of exactly that range"; }
[ "$(req_count WRITE)" = 0 ] && [ "$(req_count DISCARD)" = 0 ] || { req_show "blkdiscard -z"; die "blkdiscard -z caused WRITE or DISCARD"; }
zeroes /dev/buse1 $((8 * M)) $((2 * M)) || die "the range of blkdiscard -z does not read as zeroes"

req_reset
fallocate -z -o $((12 * M)) -l $M /dev/buse1 || die "fallocate -z /dev/buse1 failed"
req_exactly WRITE_ZEROES $((12 * M)) $M NOUNMAP ||
	{ req_show "fallocate -z"; die "fallocate -z [12M, 13M) is not WRITE_ZEROES with NOUNMAP"; }

req_reset
fallocate -p -o $((14 * M)) -l $M /dev/buse1 || die "fallocate -p /dev/buse1 failed"
req_exactly WRITE_ZEROES $((14 * M)) $M ||
	{ req_show "fallocate -p"; die "fallocate -p [14M, 15M) is not WRITE_ZEROES of exactly that range"; }
[ "$(req_count WRITE_ZEROES NOUNMAP)" = 0 ] || { req_show "fallocate -p"; die "fallocate -p sent WRITE_ZEROES with NOUNMAP"; }
[ "$(req_count WRITE)" = 0 ] || { req_show "fallocate -p"; die "fallocate -p caused WRITEs"; }
zeroes /dev/buse1 $((14 * M)) $M || die "the range of fallocate -p does not read as zeroes"

req_reset
blkdiscard -f --secure -o 0 -l $M /dev/buse1 2>secure.err && die "blkdiscard --secure succeeded without secure_erase"
[ "$(req_count SECURE_ERASE)" = 0 ] || die "a SECURE_ERASE reached an engine without secure_erase"

# Untouched: what lies between the ranges.
cmp -s -n $((3 * M)) -i $((5 * M)):$((5 * M)) /dev/buse1 pattern || die "[5M, 8M) changed"
cmp -s -n $M -i $((13 * M)):$((13 * M)) /dev/buse1 pattern || die "[13M, 14M) changed"
stop_engine "$engine" TERM

# Limits split the requests.
add_dev 2 --size 64M --max-discard 1M --max-write-zeroes 512K --discard-granularity 64K
start_engine "$RECORDER" 2 "$REQLOG"
engine=$LAST_PID
req_reset
blkdiscard -f -o $M -l $((4 * M)) /dev/buse2 || die "blkdiscard on /dev/buse2 failed"
req_exactly DISCARD $M $((4 * M)) || { req_show split; die "blkdiscard with max-discard 1M: not DISCARDs of exactly [1M, 5M)"; }
[ "$(req_max_len DISCARD)" -le $M ] || { req_show split; die "a DISCARD longer than --max-discard 1M"; }
[ "$(req_count DISCARD)" -ge 4 ] || { req_show split; die "4M with --max-discard 1M: fewer than 4 DISCARDs"; }
req_lines DISCARD | awk '$2 % 65536 { exit 1 }' || { req_show split; die "a DISCARD not aligned to the 64K granularity"; }
req_reset
blkdiscard -f -z -o $M -l $((2 * M)) /dev/buse2 || die "blkdiscard -z on /dev/buse2 failed"
req_exactly WRITE_ZEROES $M $((2 * M)) || { req_show split-z; die "blkdiscard -z: not WRITE_ZEROES of exactly [1M, 3M)"; }
[ "$(req_max_len WRITE_ZEROES)" -le 524288 ] || { req_show split-z; die "a WRITE_ZEROES longer than --max-write-zeroes 512K"; }
log "split: $(req_count WRITE_ZEROES) WRITE_ZEROES for 2M"
stop_engine "$engine" TERM

# No discard, no write_zeroes, but secure_erase.
add_dev 3 --size 64M
start_engine "$RECORDER" 3 --no-discard --no-write-zeroes --secure-erase "$REQLOG"
engine=$LAST_PID
ops=$(dev_field 3 ops)
[ "$ops" = "read,write,flush,secure_erase,fua" ] || die "ops '$ops', expected read,write,flush,secure_erase,fua"
[ "$(cat /sys/block/buse3/queue/discard_max_hw_bytes)" = 0 ] || die "discard advertised without a discard callback"
[ "$(cat /sys/block/buse3/queue/write_zeroes_max_bytes)" = 0 ] || die "write-zeroes advertised without a write_zeroes callback"
dd if=pattern of=/dev/buse3 bs=1M count=8 oflag=direct status=none || die "writing /dev/buse3 failed"
req_reset
blkdiscard -f -o 0 -l $M /dev/buse3 2>discard.err && die "blkdiscard succeeded without a discard callback"
grep -q 'not supported' discard.err || die "blkdiscard without discard: $(cat discard.err)"
[ "$(req_count DISCARD)" = 0 ] || die "a DISCARD reached an engine without discard"
req_reset
blkdiscard -f -z -o $M -l $M /dev/buse3 || die "blkdiscard -z without write_zeroes failed"
[ "$(req_count WRITE_ZEROES)" = 0 ] || die "a WRITE_ZEROES reached an engine without write_zeroes"
req_exactly WRITE $M $M || { req_show emulated-z; die "blkdiscard -z without write_zeroes: not WRITEs of exactly [1M, 2M)"; }
zeroes /dev/buse3 $M $M || die "the emulated zeroing did not zero"
req_reset
blkdiscard -f --secure -o $((4 * M)) -l $((2 * M)) /dev/buse3 || die "blkdiscard --secure failed"
req_exactly SECURE_ERASE $((4 * M)) $((2 * M)) || { req_show secure; die "blkdiscard --secure: not SECURE_ERASE of exactly [4M, 6M)"; }
zeroes /dev/buse3 $((4 * M)) $((2 * M)) || die "the securely erased range does not read as zeroes"
stop_engine "$engine" TERM
for n in 1 2 3; do remove_dev "$n"; done
exit 0
