#!/bin/bash
# `busectl remove --force N` during heavy I/O, 20 times in a row (the
# removal comes 0.5 .. 2 s into the I/O): each time the removal succeeds at
# once, fio ends with errors, the engine exits with status 0 by itself, the
# nodes disappear and nothing hangs.  Then a mounted file system: a plain
# remove is refused with a clear "busy" message and status 1, --force
# removes the device anyway (I/O on the dead file system fails, umount ends
# without hanging).
# timeout: 900
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio mkfs.ext4 mount umount
need_file "$BUSECTL" "$RAMDISK"
ms() { echo $(( $(date +%s%N) / 1000000 )); }
ROUNDS=${BUSE_REMOVE_ROUNDS:-20}

for round in $(seq 1 "$ROUNDS"); do
	n=$(( round % 3 + 1 ))		# indexes 1..3 in turn
	add_dev "$n" --size 32M --queues 2 --depth 32
	start_engine "$RAMDISK" "$n" >/dev/null
	eng=$LAST_PID
	fio_bg rm$round --filename=/dev/buse$n --ioengine=libaio --rw=randrw --bs=16k \
		--iodepth=32 --numjobs=2 --time_based --runtime=120
	fio=$LAST_PID
	sleep "$(( RANDOM % 2 )).$(( RANDOM % 10 ))"
	sleep 0.5
	kill -0 "$fio" 2>/dev/null || { fio_show rm$round; die "round $round: fio ended before the removal"; }

	t0=$(ms)
	rc=0
	timeout 30 "$BUSECTL" remove "$n" --force 2>rm.err || rc=$?
	t_rm=$(( $(ms) - t0 ))
	[ $rc -ne 124 ] || die "round $round: busectl remove --force hung"
	[ $rc -eq 0 ] || die "round $round: busectl remove --force failed (status $rc): $(cat rm.err)"
	fio_bg_wait rm$round "$fio" "$IO_FAIL_SECS"
	[ "$FIO_RC" != 124 ] || { fio_show rm$round; die "round $round: fio still runs ${IO_FAIL_SECS} s after the removal"; }
	[ "$FIO_RC" != 0 ] || [ "$FIO_ERRS" != 0 ] || { fio_show rm$round; die "round $round: fio saw no error"; }
	rc=0
	wait_exit "$eng" "$IO_FAIL_SECS" || rc=$?
	[ $rc -ne 124 ] || die "round $round: the engine still runs ${IO_FAIL_SECS} s after the removal"
	[ $rc -eq 0 ] || die "round $round: the engine exited with status $rc (expected 0)"
	wait_dev_gone "$n"
	log "round $round: /dev/buse$n removed in $t_rm ms under I/O; fio status $FIO_RC, err= sum $FIO_ERRS; engine status 0"
done
left=$(ls -d /sys/block/buse* /dev/busec[0-9]* 2>/dev/null)
[ -z "$left" ] || die "devices left after the removals: $left"

# --- A mounted file system --------------------------------------------------
modprobe ext4 2>/dev/null
mnt=/mnt/buse-rmforce
mkdir -p "$mnt"
on_exit "umount -l $mnt"
add_dev 4 --size 64M
start_engine "$RAMDISK" 4
eng=$LAST_PID
mkfs.ext4 -q -F /dev/buse4 || die "mkfs.ext4 failed"
mount -t ext4 /dev/buse4 "$mnt" || die "mount failed"
head -c 1048576 /dev/urandom > "$mnt/file" && sync || die "writing to the file system failed"

rc=0
timeout 30 "$BUSECTL" remove 4 > rm.out 2> rm.err || rc=$?
[ $rc -ne 124 ] || die "busectl remove of a mounted device hung"
[ $rc -eq 1 ] || die "busectl remove of a mounted device: status $rc, expected 1 ($(cat rm.err))"
grep -qi 'busy' rm.err || die "busectl remove of a mounted device: no 'busy' in the message: $(cat rm.err)"
grep -q -- '--force' rm.err || die "the refusal does not mention --force: $(cat rm.err)"
log "plain remove of a mounted device refused: $(cat rm.err)"
dev_state_is 4 running || die "the refused removal changed the device (state '$(dev_field 4 state)')"
cat "$mnt/file" > /dev/null || die "the file system stopped working after a refused removal"

# Writers keep the file system busy while it disappears.
( while :; do head -c 65536 /dev/urandom > "$mnt/w.$RANDOM" 2>/dev/null; sync -f "$mnt" 2>/dev/null; done ) &
writer=$!
bg_track "$writer"
sleep 1
t0=$(ms)
rc=0
timeout 30 "$BUSECTL" remove 4 --force 2>rm.err || rc=$?
[ $rc -ne 124 ] || die "busectl remove --force of a mounted device hung"
[ $rc -eq 0 ] || die "busectl remove --force of a mounted device failed (status $rc): $(cat rm.err)"
log "remove --force of the mounted device took $(( $(ms) - t0 )) ms"
rc=0
wait_exit "$eng" "$IO_FAIL_SECS" || rc=$?
[ $rc -ne 124 ] || die "the engine still runs after its mounted device was removed"
[ $rc -eq 0 ] || die "the engine exited with status $rc after the removal (expected 0)"
[ ! -e /dev/buse4 ] || wait_dev_gone 4
kill -KILL "$writer" 2>/dev/null
wait "$writer" 2>/dev/null

# The dead file system: I/O fails or is absorbed by the cache, never hangs.
timeout 30 sh -c "head -c 65536 /dev/urandom > $mnt/late; sync -f $mnt" 2>late.err
rc=$?
[ $rc -ne 124 ] || die "I/O on the file system of a removed device hung"
log "write + sync on the dead file system: status $rc $(head -c 200 late.err)"
timeout 30 ls "$mnt" >/dev/null 2>&1
[ $? -ne 124 ] || die "ls of the dead file system hung"
rc=0
timeout 60 umount "$mnt" 2>umount.err || rc=$?
[ $rc -ne 124 ] || die "umount of the dead file system hung"
log "umount after the forced removal: status $rc $(cat umount.err)"
if grep -q " $mnt " /proc/mounts; then
	timeout 60 umount -l "$mnt" || die "umount -l of the dead file system failed"
fi
busectl info 4 >/dev/null 2>&1 && die "device 4 still exists after remove --force"
exit 0
