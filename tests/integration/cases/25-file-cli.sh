#!/bin/bash
# examples/file's command line and exits: --help (status 0), bad usage
# (status 2), and clear failures with status 1 for a missing image, an image
# smaller than the device, a directory, a device that does not exist, and a
# device that already has a server.  A device without a size gets the
# image's size; a read-only device is served from a read-only open; the
# engine exits with status 0 on SIGINT and when the device is removed.
# timeout: 300
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio
FILEENG=${FILEENG:-$BUSE_TOP/examples/file}
need_file "$BUSECTL" "$FILEENG"

img=/tmp/buse-file-25.img
rm -f "$img"
on_exit "rm -f $img"

# expect STATUS PATTERN ARGS...: file ARGS exits with STATUS within 20 s and
# says PATTERN (grep -E) on stderr or stdout.
expect() {
	local want=$1 pat=$2 rc=0
	shift 2
	timeout 20 "$FILEENG" "$@" > cli.out 2>&1 || rc=$?
	[ $rc -ne 124 ] || die "file $* did not exit within 20 s"
	[ $rc -eq "$want" ] || { cat cli.out >&2; die "file $*: status $rc, expected $want"; }
	grep -qE -- "$pat" cli.out || { cat cli.out >&2; die "file $*: no '$pat' in its output"; }
	log "file $*: status $rc: $(head -n 1 cli.out)"
}

expect 0 '^Usage: file' --help
expect 2 'missing IMAGE' 
expect 2 'missing IMAGE' --create
expect 2 'invalid device index' "$img" notanumber
expect 2 'need --create' --queues 2 "$img" 1
expect 2 'no device index' --create "$img" 1
expect 1 'cannot open .*No such file' --create "$img"
expect 1 'no device 7' "$img" 7

truncate -s 16M "$img"
add_dev 1 --size 32M
expect 1 'smaller than device 1' "$img" 1
expect 1 'Is a directory' /tmp 1
expect 1 'neither a regular file nor a block device' --create /dev/null
remove_dev 1

# No size on the device: the image's size.
add_dev 1
start_engine "$FILEENG" 1 "$img"
engine=$LAST_PID
[ "$(dev_size 1)" = 16777216 ] || die "device 1 got $(dev_size 1) bytes, expected the image's 16M"
# A second server for the same device is refused.
expect 1 'already has a server' "$img" 1
fio_verify sized /dev/buse1 4k 16 io_uring 4M
stop_engine "$engine" INT
dev_state_is 1 idle || die "device 1 is '$(dev_field 1 state)' after the engine exited"

# busectl remove: the engine exits with status 0.
start_engine "$FILEENG" 1 "$img"
engine=$LAST_PID
fio_bg busy --filename=/dev/buse1 --ioengine=io_uring --rw=randrw --bs=4k \
	--iodepth=32 --size=16M --time_based --runtime=30
fio=$LAST_PID
sleep 2
timeout 30 "$BUSECTL" remove 1 --force || die "busectl remove 1 --force failed"
rc=0
wait_exit "$engine" "$IO_FAIL_SECS" || rc=$?
[ $rc -ne 124 ] || die "the engine still runs ${IO_FAIL_SECS} s after busectl remove"
[ $rc -eq 0 ] || die "the engine exited with status $rc after busectl remove (expected 0)"
fio_bg_wait busy "$fio" "$IO_FAIL_SECS"
[ "$FIO_RC" != 124 ] || die "fio still runs after the device was removed"
wait_dev_gone 1

# A read-only device: the image is opened read-only.
add_dev 2 --size 16M --read-only
start_engine "$FILEENG" 2 "$img"
engine=$LAST_PID
acc=
for fd in /proc/$engine/fd/*; do
	[ "$(readlink "$fd")" = "$img" ] || continue
	acc=$(( 0$(sed -n 's/^flags:[[:space:]]*//p' "/proc/$engine/fdinfo/${fd##*/}") & 3 ))
done
[ "$acc" = 0 ] || die "the engine of a read-only device opened $img with access mode '$acc' (expected 0: O_RDONLY)"
dd if=/dev/buse2 of=/dev/null bs=1M count=16 iflag=direct status=none || die "reading the read-only device failed"
dd if=/dev/zero of=/dev/buse2 bs=4k count=1 oflag=direct status=none 2>/dev/null &&
	die "writing to a read-only device succeeded"
stop_engine "$engine" TERM
remove_dev 2
exit 0
