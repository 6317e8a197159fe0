#!/bin/bash
# examples/file with several hardware queues: "file --create --queues Q"
# (Q = min(4, the driver's max_queues): the VM has 2 CPUs) with a deep queue,
# and fio with 4 jobs on disjoint quarters of the device, random writes with
# crc32c headers and verify, at 4k and 64k; then a device made with
# "busectl add --queues Q" served by "file IMAGE N".  Every queue has its own
# io_uring, so this is where the engine's thread safety shows.
# Also --create's sizing: the image's size, and --size creating a missing
# image or extending a short one; the device goes away when the engine
# exits.
# timeout: 600
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio
FILEENG=${FILEENG:-$BUSE_TOP/examples/file}
need_file "$BUSECTL" "$FILEENG"

maxq=$(busectl version | sed -n 's/^max_queues: *//p')
[ -n "$maxq" ] || die "busectl version shows no max_queues"
q=$(( maxq < 4 ? maxq : 4 ))
log "max_queues $maxq: using $q queues"

img=/tmp/buse-file-21.img
img2=/tmp/buse-file-21-new.img
rm -f "$img" "$img2"
on_exit "rm -f $img $img2"

# --create with the image's size.
truncate -s 128M "$img" || die "cannot create $img"
out=$BUSE_CASE_DIR/create.out
"$FILEENG" --create --queues "$q" --depth 256 --verbose "$img" > "$out" 2> "$out.err" &
engine=$!
bg_track "$engine"
show_on_fail "$out.err"
_created() { grep -qE '^/dev/buse[0-9]+$' "$out"; }
wait_until 20 _created || die "file --create did not print /dev/buseN within 20 s"
n=$(sed -n 's|^/dev/buse\([0-9]*\)$|\1|p' "$out" | head -n 1)
wait_ready "$n" 20 "$engine"
[ "$(dev_size "$n")" = 134217728 ] || die "/dev/buse$n has $(dev_size "$n") bytes, expected the image's 128M"
[ "$(dev_field "$n" nr_queues)" = "$q" ] || die "device $n has $(dev_field "$n" nr_queues) queues, expected $q"
[ "$(dev_field "$n" queue_depth)" = 256 ] || die "device $n has depth $(dev_field "$n" queue_depth), expected 256"
nq=$(ls -d /sys/block/buse$n/mq/[0-9]* | wc -l)
[ "$nq" = "$q" ] || die "/sys/block/buse$n/mq has $nq hardware queues, expected $q"
grep -q "$q queue(s) of 256 requests" "$out.err" ||
	die "file --verbose does not report $q queues of 256: $(cat "$out.err")"

# 4 jobs x depth 64: 256 requests in flight, spread over the queues by CPU.
fio_ok mq-4k --filename=/dev/buse$n --ioengine=io_uring --rw=randwrite --bs=4k \
	--iodepth=64 --numjobs=4 --size=8M --offset_increment=32M \
	--verify=crc32c --do_verify=1
fio_ok mq-64k --filename=/dev/buse$n --ioengine=libaio --rw=randwrite --bs=64k \
	--iodepth=32 --numjobs=4 --size=32M --offset_increment=32M \
	--verify=crc32c --do_verify=1
# Mixed reads and writes; meanwhile the engine is stopped so that requests
# pile up: 4 jobs x 64 outstanding must put more than any one job's depth in
# flight at once (the device takes 256), however slow the kernel is.
fio_bg mq-mixed --filename=/dev/buse$n --ioengine=io_uring --rw=randrw --bs=16k \
	--iodepth=64 --numjobs=4 --size=32M --offset_increment=32M \
	--time_based --runtime=8
fio=$LAST_PID
_inflight() { local r w; read -r r w < /sys/block/buse$n/inflight; echo $((r + w)); }
_busy() { [ "$(_inflight)" -gt 0 ]; }
wait_until 30 _busy || die "fio mq-mixed put no request in flight within 30 s"
kill -STOP "$engine"
_piled() { [ "$(_inflight)" -gt 64 ]; }
piled=0
wait_until $((20 * ${BUSE_TIME_SCALE:-1})) _piled && piled=1
max=$(_inflight)
kill -CONT "$engine"
fio_bg_wait mq-mixed "$fio" 60
[ "$FIO_RC" = 0 ] && [ "$FIO_ERRS" = 0 ] || { fio_show mq-mixed; die "fio mq-mixed: status $FIO_RC, err= sum $FIO_ERRS"; }
log "mixed load, engine stopped: $max requests in flight at once"
[ "$piled" = 1 ] || die "at most $max requests in flight under 4 x 64 outstanding I/Os"

stop_engine "$engine" TERM
wait_dev_gone "$n"

# busectl add --queues Q, served by "file IMAGE N".
add_dev 1 --size 128M --queues "$q" --depth 128
start_engine "$FILEENG" 1 "$img"
engine=$LAST_PID
fio_ok add-mq --filename=/dev/buse1 --ioengine=io_uring --rw=randwrite --bs=4k \
	--iodepth=32 --numjobs=4 --size=8M --offset_increment=32M \
	--verify=crc32c --do_verify=1
stop_engine "$engine" TERM
remove_dev 1

# --size creates a missing image, and extends a short one (sparse).
start_engine_create "$FILEENG" 48M "$img2"
engine=$LAST_PID
n=$LAST_INDEX
[ -f "$img2" ] || die "file --create --size 48M did not create $img2"
[ "$(stat -c %s "$img2")" = 50331648 ] || die "$img2 is $(stat -c %s "$img2") bytes, expected 48M"
[ "$(dev_size "$n")" = 50331648 ] || die "/dev/buse$n has $(dev_size "$n") bytes, expected 48M"
stop_engine "$engine" TERM
wait_dev_gone "$n"
start_engine_create "$FILEENG" 80M "$img2"
engine=$LAST_PID
n=$LAST_INDEX
[ "$(stat -c %s "$img2")" = 83886080 ] || die "$img2 was not extended to 80M: $(stat -c %s "$img2") bytes"
[ "$(dev_size "$n")" = 83886080 ] || die "/dev/buse$n has $(dev_size "$n") bytes, expected 80M"
stop_engine "$engine" TERM
wait_dev_gone "$n"
[ "$(ls /sys/block | grep -c '^buse')" = 0 ] || die "devices left: $(ls /sys/block | grep '^buse' | tr '\n' ' ')"
exit 0
