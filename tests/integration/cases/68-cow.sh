#!/bin/bash
# buse-cow over a read-only base image ("file IMAGE"): the device is
# writable, fio verify runs clean, and the base image is never written;
# the overlay is kept: a second run with the same files reads what the
# first wrote, and a file system made on it passes fsck; --temporary
# throws the changes away (the next run reads the base again) and leaves
# no file; a bitmap recorded over another base is refused.  Over http
# (lighttpd on loopback), a read-only URL becomes a writable disk.
# timeout: 300
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio mkfs.ext4 fsck.ext4 cmp sha256sum lighttpd python3
COW=$BUSE_TOP/examples/cow
need_file "$COW"

d=/tmp/buse-68
rm -rf "$d"
mkdir -p "$d/www" "$d/tmp"
on_exit "rm -rf $d"
head -c 64M /dev/urandom >"$d/www/base.img"
chmod 0444 "$d/www/base.img"
base_sum=$(sha256sum <"$d/www/base.img" | cut -d' ' -f1)
# --temporary's files go to $TMPDIR (the guest's /var/tmp is read-only).
export TMPDIR=$d/tmp
O=$d/o.img
B=$d/o.bmp

# Kept overlay: writes land in it, never in the base.
start_created "$COW" --overlay "$O" --bitmap "$B" --create -- file "$d/www/base.img"
eng=$LAST_PID
n=$LAST_INDEX
[ "$(blockdev --getro /dev/buse$n)" = 0 ] || die "the cow device is read-only"
cmp /dev/buse$n "$d/www/base.img" || die "the fresh overlay does not read as the base"
fio_ok cow-4k --filename=/dev/buse$n --ioengine=libaio --rw=randwrite --bs=4k \
	--iodepth=16 --numjobs=2 --size=8M --offset_increment=32M \
	--verify=crc32c --do_verify=1
fio_ok cow-512 --filename=/dev/buse$n --ioengine=libaio --rw=randwrite --bs=512 \
	--iodepth=16 --numjobs=2 --size=1M --offset=16M --offset_increment=32M \
	--verify=crc32c --do_verify=1
dd if=/dev/buse$n of="$d/first.img" bs=1M iflag=direct status=none || die "reading the device failed"
stop_engine "$eng" TERM
wait_dev_gone "$n"
[ "$(sha256sum <"$d/www/base.img" | cut -d' ' -f1)" = "$base_sum" ] || die "the base image was written"

# Second run, same files: the first run's data.
start_created "$COW" --overlay "$O" --bitmap "$B" --create -- file "$d/www/base.img"
eng=$LAST_PID
n=$LAST_INDEX
cmp /dev/buse$n "$d/first.img" || die "the kept overlay does not read as the first run left it"
mkfs.ext4 -q -F /dev/buse$n || die "mkfs.ext4 on the cow device failed"
fsck.ext4 -n -f /dev/buse$n >"$BUSE_CASE_DIR/fsck.out" 2>&1 ||
	{ cat "$BUSE_CASE_DIR/fsck.out" >&2; die "fsck.ext4 found errors"; }
stop_engine "$eng" TERM
wait_dev_gone "$n"

# Another base: refused, not served over the wrong image.
head -c 64M /dev/urandom >"$d/other.img"
rc=0
timeout 30 "$COW" --overlay "$O" --bitmap "$B" --create -- file "$d/other.img" \
	>/dev/null 2>"$BUSE_CASE_DIR/other.err" || rc=$?
[ $rc -eq 1 ] || die "buse-cow over another base: status $rc, expected 1"
[ -s "$BUSE_CASE_DIR/other.err" ] || die "no message for another base"
[ "$(ls /sys/block | grep -c '^buse')" = 0 ] || die "a device was left after the refusal"

# --temporary: changes dropped, no file left.
start_created "$COW" --temporary --create -- file "$d/www/base.img"
eng=$LAST_PID
n=$LAST_INDEX
dd if=/dev/urandom of=/dev/buse$n bs=1M count=4 oflag=direct conv=fsync status=none ||
	die "write to the temporary overlay failed"
stop_engine "$eng" TERM
wait_dev_gone "$n"
start_created "$COW" --temporary --create -- file "$d/www/base.img"
eng=$LAST_PID
n=$LAST_INDEX
cmp /dev/buse$n "$d/www/base.img" || die "a new temporary overlay does not read as the base"
[ -z "$(ls -A "$d/tmp")" ] || die "--temporary left names in \$TMPDIR: $(ls -A "$d/tmp")"
stop_engine "$eng" TERM
wait_dev_gone "$n"
[ -z "$(ls -A "$d/tmp")" ] || die "--temporary left files: $(ls -A "$d/tmp")"

# Over http: a read-only URL, a writable disk.
port=18068
start_lighttpd "$d/www" $port
start_created "$COW" --temporary --create -- http "http://127.0.0.1:$port/base.img"
eng=$LAST_PID
n=$LAST_INDEX
[ "$(blockdev --getro /dev/buse$n)" = 0 ] || die "cow over http is read-only"
fio_ok cow-http --filename=/dev/buse$n --ioengine=libaio --rw=randrw --bs=16k \
	--iodepth=8 --numjobs=2 --size=8M --offset_increment=32M \
	--verify=crc32c --do_verify=1
stop_engine "$eng" TERM
wait_dev_gone "$n"
exit 0
