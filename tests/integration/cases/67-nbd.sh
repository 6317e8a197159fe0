#!/bin/bash
# buse-nbd against real NBD servers on a Unix socket: nbdkit's memory
# plugin (multi-conn: several connections) takes fio verify at 4k and 64k
# from 4 jobs, discard and write-zeroes reach it (the range reads back as
# zeroes), and mkfs.ext4 + fsck are clean; nbdkit's file plugin persists
# what the device wrote in the file; nbd:// over TCP on 127.0.0.1 takes
# fio verify and keeps data across two runs, and so does nbds:// (TLS
# with a pre-shared key), the wrong key or no TLS refused; qemu-nbd
# serves a qcow2 image: an ext4 file system made through buse-nbd
# survives a restart of both, and qemu-img check finds the image clean.
# The server killed mid-run fails reads with EIO at once (no hang);
# SIGTERM still ends the engine with status 0.  A refused URI is a
# message and status 1.
# timeout: 540
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd nbdkit qemu-nbd qemu-img fio mkfs.ext4 fsck.ext4 blkdiscard cmp sha256sum python3 od
NBD=$BUSE_TOP/examples/nbd
need_file "$NBD"

d=/tmp/buse-67
rm -rf "$d"
mkdir -p "$d"
on_exit "rm -rf $d"
sock=$d/nbd.sock
uri="nbd+unix:///?socket=$sock"
_sock_up() { [ -S "$sock" ]; }
server_wait() { wait_until 10 _sock_up || die "the NBD server did not create $sock"; }

# nbdkit memory: writable, multi-conn, trim and zero.
rm -f "$sock"
nbdkit -f -U "$sock" memory 128M >"$d/nbdkit.out" 2>&1 &
srv=$!
bg_track "$srv"
server_wait
start_created "$NBD" --create --connections 4 "$uri"
eng=$LAST_PID
n=$LAST_INDEX
[ "$(dev_size "$n")" = $((128 << 20)) ] || die "/dev/buse$n has $(dev_size "$n") bytes, expected 128M"
[ "$(blockdev --getro /dev/buse$n)" = 0 ] || die "/dev/buse$n is read-only"
fio_ok nbd-4k --filename=/dev/buse$n --ioengine=libaio --rw=randwrite --bs=4k \
	--iodepth=32 --numjobs=4 --size=16M --offset_increment=32M \
	--verify=crc32c --do_verify=1
fio_ok nbd-64k --filename=/dev/buse$n --ioengine=io_uring --rw=randrw --bs=64k \
	--iodepth=16 --numjobs=4 --size=16M --offset_increment=32M \
	--verify=crc32c --do_verify=1
head -c 1M /dev/urandom >"$d/ones"
dd if="$d/ones" of=/dev/buse$n bs=1M seek=100 oflag=direct conv=fsync status=none ||
	die "write at 100M failed"
blkdiscard -o $((100 << 20)) -l $((512 << 10)) /dev/buse$n || die "blkdiscard failed"
blkdiscard -z -o $((100 << 20)) -l $((1 << 20)) /dev/buse$n || die "blkdiscard -z failed"
dd if=/dev/buse$n of="$d/zeroed" bs=1M skip=100 count=1 iflag=direct status=none ||
	die "reading the zeroed range failed"
cmp -n $((1 << 20)) /dev/zero "$d/zeroed" ||
	die "the zeroed range does not read back as zeroes"
mkfs.ext4 -q -F /dev/buse$n || die "mkfs.ext4 on /dev/buse$n failed"
fsck.ext4 -n -f /dev/buse$n >"$BUSE_CASE_DIR/fsck.out" 2>&1 ||
	{ cat "$BUSE_CASE_DIR/fsck.out" >&2; die "fsck.ext4 found errors"; }

# The server dies: reads fail at once, nothing hangs, the engine still
# stops cleanly.
kill -KILL "$srv"
wait "$srv" 2>/dev/null
out=$(timed_read /dev/buse$n 1000) || die "timed_read did not finish"
read -r ms res <<<"$out"
log "read with the server gone: $res after $ms ms"
[ "$res" = EIO ] || die "a read with the NBD server gone gave $res, expected EIO"
stop_engine "$eng" TERM
wait_dev_gone "$n"

# nbdkit file: what the device wrote is in the file.
truncate -s 64M "$d/file.img"
rm -f "$sock"
nbdkit -f -U "$sock" file file="$d/file.img" >"$d/nbdkit-file.out" 2>&1 &
srv=$!
bg_track "$srv"
server_wait
start_created "$NBD" --create "$uri"
eng=$LAST_PID
n=$LAST_INDEX
head -c 8M /dev/urandom >"$d/data"
dd if="$d/data" of=/dev/buse$n bs=1M seek=8 oflag=direct conv=fsync status=none ||
	die "write through nbdkit file failed"
stop_engine "$eng" TERM
wait_dev_gone "$n"
kill "$srv"
wait "$srv" 2>/dev/null
dd if="$d/file.img" of="$d/back" bs=1M skip=8 count=8 status=none
cmp "$d/data" "$d/back" ||
	die "the image file does not hold what the device wrote"

# nbd:// over TCP, on the loopback address only: nbdkit memory, one
# connection, fio verify; the mapped data read back through a second run.
# nbdkit_tcp PORT OUT ARGS...: nbdkit ARGS on 127.0.0.1:PORT (pid in srv).
nbdkit_tcp() {
	local p=$1 out=$2
	shift 2
	nbdkit -f -i 127.0.0.1 -p "$p" "$@" >"$out" 2>&1 &
	srv=$!
	bg_track "$srv"
	wait_until 10 _port_open "$p" || die "nbdkit $* did not listen on 127.0.0.1:$p"
}
port=10867
nbdkit_tcp $port "$d/nbdkit-tcp.out" memory 32M
start_created "$NBD" --create --connections 1 "nbd://127.0.0.1:$port"
eng=$LAST_PID
n=$LAST_INDEX
[ "$(dev_size "$n")" = $((32 << 20)) ] || die "/dev/buse$n has $(dev_size "$n") bytes over TCP, expected 32M"
fio_ok nbd-tcp --filename=/dev/buse$n --ioengine=libaio --rw=randwrite --bs=16k \
	--iodepth=16 --numjobs=2 --size=8M --offset_increment=16M \
	--verify=crc32c --do_verify=1
head -c 2M /dev/urandom >"$d/tcp-data"
dd if="$d/tcp-data" of=/dev/buse$n bs=1M seek=4 oflag=direct conv=fsync status=none ||
	die "write over TCP failed"
stop_engine "$eng" TERM
wait_dev_gone "$n"
start_created "$NBD" --create "nbd://127.0.0.1:$port"
eng=$LAST_PID
n=$LAST_INDEX
dd if=/dev/buse$n of="$d/tcp-back" bs=1M skip=4 count=2 iflag=direct status=none ||
	die "read over TCP failed"
cmp "$d/tcp-data" "$d/tcp-back" || die "the TCP export does not hold what the first run wrote"
stop_engine "$eng" TERM
wait_dev_gone "$n"
kill "$srv"
wait "$srv" 2>/dev/null

# nbds:// (TLS with a pre-shared key, tls-psk-file in the URI): served
# with the right key; the wrong key, or no TLS, is refused (status 1, a
# message, no device left).
tport=$((port + 1))
printf 'alice:%s\n' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$d/keys.psk"
printf 'alice:%s\n' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$d/wrong.psk"
nbdkit_tcp $tport "$d/nbdkit-tls.out" --tls=require --tls-psk="$d/keys.psk" memory 16M
start_created "$NBD" --create "nbds://alice@127.0.0.1:$tport/?tls-psk-file=$d/keys.psk"
eng=$LAST_PID
n=$LAST_INDEX
fio_ok nbd-tls --filename=/dev/buse$n --ioengine=libaio --rw=randwrite --bs=16k \
	--iodepth=8 --size=8M --verify=crc32c --do_verify=1
stop_engine "$eng" TERM
wait_dev_gone "$n"
for bad in "nbds://alice@127.0.0.1:$tport/?tls-psk-file=$d/wrong.psk" "nbd://127.0.0.1:$tport"; do
	rc=0
	timeout 30 "$NBD" --create "$bad" >/dev/null 2>"$BUSE_CASE_DIR/tls-bad.err" || rc=$?
	[ $rc -eq 1 ] || die "buse-nbd $bad: status $rc, expected 1"
	[ -s "$BUSE_CASE_DIR/tls-bad.err" ] || die "buse-nbd $bad: no message"
	log "refused $bad: $(head -c 200 "$BUSE_CASE_DIR/tls-bad.err")"
	[ "$(ls /sys/block | grep -c '^buse')" = 0 ] || die "a device was left after refusing $bad"
done
kill "$srv"
wait "$srv" 2>/dev/null

# qemu-nbd with a qcow2 image: a file system survives a restart.
qemu-img create -q -f qcow2 "$d/disk.qcow2" 96M || die "qemu-img create failed"
qnbd_start() {
	rm -f "$sock"
	qemu-nbd -f qcow2 --socket="$sock" --persistent --shared=4 "$d/disk.qcow2" \
		>"$d/qemu-nbd.out" 2>&1 &
	srv=$!
	bg_track "$srv"
	server_wait
}
qnbd_start
start_created "$NBD" --create "$uri"
eng=$LAST_PID
n=$LAST_INDEX
[ "$(dev_size "$n")" = $((96 << 20)) ] || die "/dev/buse$n has $(dev_size "$n") bytes, expected 96M"
mkfs.ext4 -q -F /dev/buse$n || die "mkfs.ext4 on the qcow2 device failed"
mkdir -p /mnt/67
mount /dev/buse$n /mnt/67 || die "mount failed"
head -c 5M /dev/urandom >/mnt/67/blob
sum=$(sha256sum </mnt/67/blob | cut -d' ' -f1)
umount /mnt/67
stop_engine "$eng" TERM
wait_dev_gone "$n"
kill "$srv"
wait "$srv" 2>/dev/null
qemu-img check -q "$d/disk.qcow2" || die "qemu-img check found the image damaged"
# This time as README shows it: device 1 made without a size, which the
# export gives.
qnbd_start
add_dev 1
start_engine "$NBD" 1 "$uri"
eng=$LAST_PID
n=1
[ "$(dev_size 1)" = $((96 << 20)) ] || die "/dev/buse1 took $(dev_size 1) bytes, expected the export's 96M"
fsck.ext4 -n -f /dev/buse$n >"$BUSE_CASE_DIR/fsck2.out" 2>&1 ||
	{ cat "$BUSE_CASE_DIR/fsck2.out" >&2; die "fsck.ext4 found errors after the restart"; }
mount -o ro /dev/buse$n /mnt/67 || die "mount after the restart failed"
got=$(sha256sum </mnt/67/blob | cut -d' ' -f1)
umount /mnt/67
[ "$got" = "$sum" ] || die "the file read back from the qcow2 image differs"
stop_engine "$eng" TERM
remove_dev 1
kill "$srv"
wait "$srv" 2>/dev/null

# Refusals: no server, not an NBD URI.
rc=0
timeout 30 "$NBD" --create "nbd+unix:///?socket=$d/none.sock" 2>"$BUSE_CASE_DIR/none.err" >/dev/null || rc=$?
[ $rc -eq 1 ] || die "buse-nbd without a server: status $rc, expected 1"
[ -s "$BUSE_CASE_DIR/none.err" ] || die "no message without a server"
[ "$(ls /sys/block | grep -c '^buse')" = 0 ] || die "a device was left after the refusal"
exit 0
