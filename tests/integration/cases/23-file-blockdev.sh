#!/bin/bash
# examples/file with a block device as its image: /dev/buse2 is served by
# "file /dev/buse1 2", and /dev/buse1 by the recorder (tests/integration/
# recorder.c), which logs every request the file engine's I/O turns into.
# Checks that:
#   - a block device takes O_DIRECT (--verbose says so), and is opened
#     exclusively (a second file engine on it is refused);
#   - secure erase is advertised for a block device;
#   - READ/WRITE arrive with the same offset and length; a FUA write (O_DSYNC
#     direct write) becomes a FUA write below (RWF_DSYNC on a block device);
#     FLUSH becomes a FLUSH (fdatasync); DISCARD a DISCARD (BLKDISCARD);
#     WRITE_ZEROES with NOUNMAP a WRITE_ZEROES with NOUNMAP, and without
#     NOUNMAP a WRITE_ZEROES without it; SECURE_ERASE a SECURE_ERASE
#     (BLKSECDISCARD);
#   - fio verifies at 4k and 1M, queue depth 32, through both layers, also
#     with --buffered.
# timeout: 600
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio blkdiscard fallocate
FILEENG=${FILEENG:-$BUSE_TOP/examples/file}
RECORDER=${RECORDER:-$BUSE_TOP/build/integration/recorder}
need_file "$BUSECTL" "$FILEENG" "$RECORDER"

REQLOG=$BUSE_CASE_DIR/requests.log
req_reset() { : > "$REQLOG"; }
# req_lines OP [FLAG]: OP's lines (those with FLAG among their flags).
req_lines() {
	awk -v op="$1" -v fl="${2:-}" \
		'$1 == op && (fl == "" || index("," $4 ",", "," fl ","))' "$REQLOG"
}
req_count() { req_lines "$@" | wc -l; }
# req_exactly OP OFF LEN: OP's lines tile [OFF, OFF + LEN) exactly.
req_exactly() {
	req_lines "$1" | sort -n -k2 | awk -v s="$2" -v l="$3" '
		BEGIN { pos = s }
		$2 != pos { exit 1 }
		{ pos += $3 }
		END { exit !(NR > 0 && pos == s + l) }'
}
# req_show WHAT: the log, for a failure message.
req_show() { echo "---- requests below /dev/buse2 ($1) ----" >&2; grep -v RAHEAD "$REQLOG" >&2; }

add_dev 1 --size 64M
start_engine "$RECORDER" 1 --secure-erase "$REQLOG"
add_dev 2 --size 32M
start_engine "$FILEENG" 2 --verbose /dev/buse1
engine=$LAST_PID
elog=$BUSE_CASE_DIR/engine-$(basename "$FILEENG")-2.log
grep -q ': O_DIRECT$' "$elog" || die "file --verbose does not say O_DIRECT on a block device: $(cat "$elog")"
grep -q 'block device, direct I/O' "$elog" || die "file --verbose: $(cat "$elog")"
ops=$(dev_field 2 ops)
[ "$ops" = "read,write,flush,discard,write_zeroes,secure_erase,fua" ] ||
	die "busectl info 2: ops '$ops', expected read,write,flush,discard,write_zeroes,secure_erase,fua"

# Exclusive: another engine cannot use /dev/buse1 meanwhile.
add_dev 3 --size 32M
rc=0
timeout 20 "$FILEENG" /dev/buse1 3 > excl.out 2>&1 || rc=$?
[ $rc -ne 124 ] || die "a second file engine on /dev/buse1 did not exit"
[ $rc -eq 1 ] || die "a second file engine on /dev/buse1: status $rc, expected 1 (busy): $(cat excl.out)"
grep -q 'exclusively' excl.out || die "no 'exclusively' in the refusal: $(cat excl.out)"
remove_dev 3

M=1048576
sync
req_reset
dd if=/dev/urandom of=/dev/buse2 bs=64k count=1 seek=3 oflag=direct status=none || die "write failed"
req_exactly WRITE $((3 * 65536)) 65536 || { req_show write; die "a 64k write at 192k did not arrive as such"; }
[ "$(req_count WRITE FUA)" = 0 ] || { req_show write; die "a plain write arrived with FUA"; }

req_reset
dd if=/dev/buse2 of=/dev/null bs=64k count=2 skip=3 iflag=direct status=none || die "read failed"
req_exactly READ $((3 * 65536)) $((2 * 65536)) || { req_show read; die "a 128k read at 192k did not arrive as such"; }

req_reset
dd if=/dev/urandom of=/dev/buse2 bs=4k count=1 seek=7 oflag=direct,dsync status=none || die "dsync write failed"
req_exactly WRITE $((7 * 4096)) 4096 || { req_show dsync; die "the O_DSYNC write did not arrive"; }
[ "$(req_count WRITE FUA)" = 1 ] || { req_show dsync; die "the O_DSYNC write (FUA on /dev/buse2) is not a FUA write below"; }

req_reset
dd if=/dev/urandom of=/dev/buse2 bs=4k count=1 seek=9 conv=fsync,notrunc status=none || die "write+fsync failed"
[ "$(req_count FLUSH)" -ge 1 ] || { req_show fsync; die "fsync on /dev/buse2 sent no FLUSH below"; }

req_reset
blkdiscard -f -o $M -l $((2 * M)) /dev/buse2 || die "blkdiscard failed"
req_exactly DISCARD $M $((2 * M)) || { req_show discard; die "blkdiscard [1M, 3M) did not arrive as DISCARD"; }
[ "$(req_count WRITE_ZEROES)" = 0 ] && [ "$(req_count WRITE)" = 0 ] ||
	{ req_show discard; die "blkdiscard caused writes below"; }

req_reset
blkdiscard -f -z -o $((4 * M)) -l $M /dev/buse2 || die "blkdiscard -z failed"
req_exactly WRITE_ZEROES $((4 * M)) $M || { req_show zeroout; die "blkdiscard -z [4M, 5M) did not arrive as WRITE_ZEROES"; }
[ "$(req_count WRITE_ZEROES NOUNMAP)" = "$(req_count WRITE_ZEROES)" ] ||
	{ req_show zeroout; die "WRITE_ZEROES with NOUNMAP lost NOUNMAP below"; }

req_reset
fallocate -p -o $((6 * M)) -l $M /dev/buse2 || die "fallocate -p failed"
req_exactly WRITE_ZEROES $((6 * M)) $M || { req_show punch; die "fallocate -p [6M, 7M) did not arrive as WRITE_ZEROES"; }
[ "$(req_count WRITE_ZEROES NOUNMAP)" = 0 ] ||
	{ req_show punch; die "WRITE_ZEROES without NOUNMAP arrived with NOUNMAP"; }

req_reset
blkdiscard -f --secure -o $((8 * M)) -l $M /dev/buse2 || die "blkdiscard --secure failed"
req_exactly SECURE_ERASE $((8 * M)) $M || { req_show secure; die "blkdiscard --secure did not arrive as SECURE_ERASE"; }

# Zeroed ranges read as zeroes through both layers.
dd if=/dev/buse2 bs=1M skip=4 count=1 iflag=direct status=none | cmp -s -n $M - /dev/zero ||
	die "the range zeroed with blkdiscard -z does not read as zeroes"

fio_verify blk-4k /dev/buse2 4k 32 io_uring 8M
fio_verify blk-1m /dev/buse2 1M 32 libaio 32M
stop_engine "$engine" TERM

start_engine "$FILEENG" 2 --verbose --buffered /dev/buse1
engine=$LAST_PID
grep -q 'buffered I/O (--buffered)' "$elog" || die "file --buffered --verbose: $(cat "$elog")"
fio_verify buffered-64k /dev/buse2 64k 32 io_uring 16M
stop_engine "$engine" TERM
remove_dev 2
remove_dev 1
exit 0
