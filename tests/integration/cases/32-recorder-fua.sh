#!/bin/bash
# FUA, seen by the recorder (tests/integration/recorder.c).
# An engine with flush and BDUS_ENGINE_F_FUA: /sys/.../queue/fua is 1 and
#   O_DIRECT|O_DSYNC writes to the device arrive as WRITEs with FUA;
#   buffered O_DSYNC writes arrive without FUA, each followed by a FLUSH.
# The same engine without BDUS_ENGINE_F_FUA (recorder --no-fua): fua is 0,
#   the ops lack fua, no request ever carries FUA: the block layer follows
#   every O_DIRECT|O_DSYNC write with a FLUSH instead, and on ext4 an fsync
#   and an O_DIRECT|O_DSYNC overwrite are WRITEs followed by a FLUSH.
# timeout: 300
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd mkfs.ext4 xfs_io filefrag
RECORDER=${RECORDER:-$BUSE_TOP/build/integration/recorder}
need_file "$BUSECTL" "$RECORDER"
modprobe ext4 2>/dev/null
grep -qw ext4 /proc/filesystems || skip "no ext4 in this kernel"

REQLOG=$BUSE_CASE_DIR/requests.log
# req_reset keeps what it clears in $REQLOG.all.
req_reset() { cat "$REQLOG" >> "$REQLOG.all" 2>/dev/null; : > "$REQLOG"; }
req_lines() {
	awk -v op="$1" -v fl="${2:-}" \
		'$1 == op && (fl == "" || index("," $4 ",", "," fl ","))' "$REQLOG"
}
req_count() { req_lines "$@" | wc -l; }
req_show() { echo "---- requests ($1) ----" >&2; grep -v RAHEAD "$REQLOG" >&2; }
# each_write_flushed: every WRITE is followed by a FLUSH before the next
# WRITE (and there is at least one WRITE).
each_write_flushed() {
	awk '$1 == "WRITE" { if (open) exit 1; open = 1; n++ }
	     $1 == "FLUSH" { open = 0 }
	     END { exit !(n > 0 && !open) }' "$REQLOG"
}
flush_after() { awk -v l="$1" 'NR > l && $1 == "FLUSH" { print NR; exit }' "$REQLOG"; }
write_line() { awk -v off="$1" '$1 == "WRITE" && $2 == off { print NR; exit }' "$REQLOG"; }

mnt=/mnt/buse-rec-fua
mkdir -p "$mnt"
on_exit "umount -l $mnt"

# With FUA.
add_dev 1 --size 64M
start_engine "$RECORDER" 1 "$REQLOG"
engine=$LAST_PID
Q=/sys/block/buse1/queue
[ "$(cat $Q/write_cache)" = "write back" ] || die "write_cache '$(cat $Q/write_cache)', expected 'write back'"
[ "$(cat $Q/fua)" = 1 ] || die "fua $(cat $Q/fua) with an engine that has FUA, expected 1"
[ "$(dev_field 1 ops)" = "read,write,flush,discard,write_zeroes,fua" ] || die "ops '$(dev_field 1 ops)'"

req_reset
dd if=/dev/urandom of=/dev/buse1 bs=4k count=2 seek=16 oflag=direct,dsync status=none || die "O_DIRECT|O_DSYNC write failed"
[ "$(req_count WRITE)" = 2 ] && [ "$(req_count WRITE FUA)" = 2 ] ||
	{ req_show dio-dsync; die "2 O_DIRECT|O_DSYNC writes: expected 2 WRITEs, both with FUA"; }
log "O_DIRECT|O_DSYNC on the device: 2 FUA WRITEs, $(req_count FLUSH) FLUSH(es)"

req_reset
dd if=/dev/urandom of=/dev/buse1 bs=4k count=2 seek=32 oflag=dsync status=none || die "O_DSYNC write failed"
[ "$(req_count WRITE FUA)" = 0 ] || { req_show dsync; die "buffered O_DSYNC writes arrived with FUA"; }
each_write_flushed || { req_show dsync; die "buffered O_DSYNC: not every WRITE followed by a FLUSH"; }
stop_engine "$engine" TERM

# Without FUA.
req_reset
rm -f "$REQLOG.all"
add_dev 2 --size 64M
start_engine "$RECORDER" 2 --no-fua "$REQLOG"
engine=$LAST_PID
Q=/sys/block/buse2/queue
[ "$(cat $Q/write_cache)" = "write back" ] || die "write_cache '$(cat $Q/write_cache)' with flush but no FUA, expected 'write back'"
[ "$(cat $Q/fua)" = 0 ] || die "fua $(cat $Q/fua) with an engine without FUA, expected 0"
[ "$(dev_field 2 ops)" = "read,write,flush,discard,write_zeroes" ] || die "ops '$(dev_field 2 ops)', expected no fua"

req_reset
dd if=/dev/urandom of=/dev/buse2 bs=4k count=2 seek=16 oflag=direct,dsync status=none || die "O_DIRECT|O_DSYNC write failed"
[ "$(req_count WRITE)" = 2 ] || { req_show nofua-dio-dsync; die "expected 2 WRITEs"; }
each_write_flushed || { req_show nofua-dio-dsync; die "without FUA, an O_DIRECT|O_DSYNC WRITE was not followed by a FLUSH"; }

mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=0,lazy_journal_init=0,nodiscard /dev/buse2 || die "mkfs.ext4 failed"
mount -t ext4 -o commit=60 /dev/buse2 "$mnt" || die "mount failed"
head -c 8192 /dev/urandom > "$mnt/g" && sync || die "writing $mnt/g failed"
G=$(filefrag -v "$mnt/g" | awk '$1 == "0:" { sub(/\.\.$/, "", $4); print $4 * 4096; exit }')
[ -n "$G" ] || die "cannot locate $mnt/g"
req_reset
dd if=/dev/urandom of="$mnt/g" bs=4k count=1 conv=notrunc status=none && xfs_io -c fsync "$mnt/g" || die "overwrite + fsync failed"
dl=$(write_line "$G")
[ -n "$dl" ] && [ -n "$(flush_after "$dl")" ] || { req_show nofua-fsync; die "fsync: no data WRITE followed by a FLUSH"; }
req_reset
dd if=/dev/urandom of="$mnt/g" bs=4k count=1 oflag=direct,dsync conv=notrunc status=none || die "O_DIRECT|O_DSYNC overwrite failed"
dl=$(write_line "$G")
[ -n "$dl" ] && [ -n "$(flush_after "$dl")" ] ||
	{ req_show nofua-dio-dsync-ext4; die "O_DIRECT|O_DSYNC overwrite without FUA: no WRITE followed by a FLUSH"; }
umount "$mnt" || die "umount failed"
stop_engine "$engine" TERM
# Nothing, ever, with FUA on this device: the engine's whole life.
req_reset
grep -q 'FUA' "$REQLOG.all" && die "a request with FUA reached an engine without FUA"
remove_dev 1
remove_dev 2
exit 0
