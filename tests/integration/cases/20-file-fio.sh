#!/bin/bash
# examples/file serving an existing device from a regular file on tmpfs
# (/tmp in the VM): tmpfs has no O_DIRECT before Linux 6.6, so --verbose must
# say it falls back to buffered I/O there (and O_DIRECT from 6.6 on).  fio
# random writes with crc32c headers and a read-back verify at 4k, 64k and 1M
# (above max_io: split), at queue depth 1 and 32.  The data must really be in
# the image: bytes written through the device are found in the file after the
# engine stopped, and a new engine on the same image reads them back.
# timeout: 600
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio cmp
FILEENG=${FILEENG:-$BUSE_TOP/examples/file}
need_file "$BUSECTL" "$FILEENG"

img=/tmp/buse-file-20.img
rm -f "$img"
on_exit "rm -f $img"
truncate -s 64M "$img" || die "cannot create $img"

add_dev 1 --size 64M
start_engine "$FILEENG" 1 --verbose "$img"
engine=$LAST_PID
elog=$BUSE_CASE_DIR/engine-$(basename "$FILEENG")-1.log
# tmpfs takes O_DIRECT from Linux 6.6 on: the engine must do what it can.
if dd if=/dev/zero of=/tmp/buse-file-20.probe bs=4k count=1 oflag=direct status=none 2>/dev/null; then
	grep -q ': O_DIRECT$' "$elog" ||
		die "tmpfs takes O_DIRECT here, but file --verbose did not say O_DIRECT: $(cat "$elog")"
else
	grep -q 'O_DIRECT not supported.*using buffered I/O' "$elog" ||
		die "file --verbose did not say it falls back to buffered I/O on tmpfs: $(cat "$elog")"
fi
rm -f /tmp/buse-file-20.probe
log "engine says: $(grep -m1 'O_DIRECT' "$elog")"

#          name      dev         bs   qd engine   size
fio_verify 4k-qd1    /dev/buse1  4k   1  io_uring 8M
fio_verify 4k-qd32   /dev/buse1  4k   32 libaio   16M
fio_verify 64k-qd1   /dev/buse1  64k  1  libaio   16M
fio_verify 64k-qd32  /dev/buse1  64k  32 io_uring 32M
fio_verify 1m-qd1    /dev/buse1  1M   1  io_uring 32M
fio_verify 1m-qd32   /dev/buse1  1M   32 libaio   64M

# A known pattern at a known place, through the device.
head -c 3M /dev/urandom > pattern || die "cannot make the pattern"
dd if=pattern of=/dev/buse1 bs=1M seek=5 oflag=direct status=none ||
	die "writing the pattern to /dev/buse1 failed"
kill -0 "$engine" 2>/dev/null || die "the engine died"
stop_engine "$engine" TERM

cmp -n 3145728 -i 5242880:0 "$img" pattern ||
	die "the pattern written at 5M through /dev/buse1 is not at 5M in $img"
[ "$(stat -c %s "$img")" = 67108864 ] ||
	die "$img changed size: $(stat -c %s "$img") bytes, expected 64M"

# A new engine on the same image serves the same bytes.
start_engine "$FILEENG" 1 "$img"
engine=$LAST_PID
echo 3 > /proc/sys/vm/drop_caches
cmp -n 3145728 -i 5242880:0 /dev/buse1 pattern ||
	die "after restarting the engine, /dev/buse1 does not hold the pattern at 5M"
stop_engine "$engine" INT
remove_dev 1
exit 0
