#!/bin/bash
# A stopped server (SIGSTOP) holds nothing past the device's timeout
# (uapi: every request ends by its timeout, whatever the server does):
#   - device 1 (--queues 1 --depth 4 --timeout 2), ramdisk stopped: ten
#     direct 4 KiB reads one after another each fail with ETIMEDOUT after
#     1.5..8 s.  From the fifth on, blk-mq reuses tags whose buffers the
#     stopped server still holds: those requests wait unposted and must
#     time out too (before the fix the seventh waited for ever);
#   - after SIGCONT the server gives the buffers back (its late
#     completions) and serves again: fio verify passes;
#   - twice: fio at depth 16 against the stopped server, then SIGCONT and
#     SIGTERM at once, then `busectl remove --force` returns within 30 s
#     and fio ends (once, remove --force blocked for over 240 s).
# timeout: 400
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio python3
need_file "$BUSECTL" "$RAMDISK"


add_dev 1 --size 16M --queues 1 --depth 4 --timeout 2
start_engine "$RAMDISK" 1
eng=$LAST_PID
kill -STOP "$eng"
for i in 1 2 3 4 5 6 7 8 9 10; do
	rc=0
	out=$(timed_read /dev/buse1 "$i") || rc=$?
	[ $rc -ne 124 ] || die "read $i against the stopped server still waits after 30 s (2 s timeout)"
	[ $rc -eq 0 ] || die "read $i: the helper failed (status $rc): $out"
	t=${out%% *}
	res=${out#* }
	[ "$res" = ETIMEDOUT ] || die "read $i against the stopped server: $res, expected ETIMEDOUT"
	[ "$t" -ge 1500 ] && [ "$t" -le 8000 ] || die "read $i failed after $t ms; the timeout is 2 s"
	log "read $i: ETIMEDOUT after $t ms"
done
kill -CONT "$eng"
fio_verify after-stop /dev/buse1 4k 4 libaio 4M
fio_verify after-stop-64k /dev/buse1 64k 4 io_uring 4M
stop_engine "$eng" TERM
remove_dev 1

for round in 1 2; do
	add_dev 2 --size 64M --queues 1 --depth 16 --timeout 2
	start_engine "$RAMDISK" 2
	eng=$LAST_PID
	fio_bg stalled-$round --filename=/dev/buse2 --ioengine=libaio --iodepth=16 \
		--rw=randrw --bs=4k --size=64M --time_based --runtime=30
	fpid=$LAST_PID
	sleep 1
	kill -STOP "$eng"
	sleep 5
	kill -CONT "$eng"
	kill -TERM "$eng"
	t0=$(date +%s)
	rc=0
	timeout 30 "$BUSECTL" remove 2 --force || rc=$?
	[ $rc -ne 124 ] || die "round $round: busectl remove --force still blocked after 30 s"
	[ $rc -eq 0 ] || die "round $round: busectl remove --force failed (status $rc)"
	log "round $round: remove --force returned after $(( $(date +%s) - t0 )) s"
	fio_bg_wait stalled-$round "$fpid" 30
	[ "$FIO_RC" != 124 ] || die "round $round: fio still runs 30 s after the removal"
	wait_exit "$eng" 10 || [ $? -ne 124 ] || die "round $round: the engine still runs"
	wait_dev_gone 2
done
exit 0
