#!/bin/bash
# Recovery: the server of a `busectl add --recoverable` device is SIGKILLed
# 50 times while fio writes and verifies (crc32c) the device, and restarted
# each time.  The data lives in an image file (examples/file on a file in
# /tmp), so it survives the kills; requests the dead server held are
# requeued for the next one.  Every fio run must end with status 0, err=0
# and no verify error, the kernel must log no I/O error for the device, and
# a final verify of the whole device must pass.
# timeout: 900
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio pgrep
FILEENG=${FILEENG:-$BUSE_TOP/examples/file}
need_file "$BUSECTL" "$FILEENG"
KILLS=${BUSE_RECOVERY_KILLS:-50}

img=$BUSE_CASE_DIR/disk.img
truncate -s 32M "$img" || die "cannot create $img"
add_dev 1 --size 32M --queues 2 --depth 16 --recoverable
start_engine "$FILEENG" 1 "$img"
eng=$LAST_PID

# fio, run after run, until told to stop: random 4k writes over 8 MiB with
# crc32c headers, then a read-back verify of them.
stopfile=$BUSE_CASE_DIR/stop-fio
fio_loop() {
	local i=0 rc
	while [ ! -e "$stopfile" ]; do
		i=$((i + 1))
		rc=0
		fio --name=run$i "${FIO_COMMON[@]}" --filename=/dev/buse1 \
			--ioengine=libaio --iodepth=16 --rw=randwrite --bs=4k \
			--offset=$(( (i % 3) * 8 ))M --size=8M --verify=crc32c \
			--do_verify=1 --randseed=$i > "$BUSE_CASE_DIR/fio-run$i.out" 2>&1 || rc=$?
		echo "$i $rc" >> "$BUSE_CASE_DIR/fio-runs"
	done
}
: > fio-runs
fio_loop &
floop=$!
bg_track "$floop"

during=0
for k in $(seq 1 "$KILLS"); do
	# 0.3 .. 1.1 s of I/O between kills.
	sleep "0.$(( RANDOM % 9 + 1 ))"
	sleep 0.2
	pgrep -x fio >/dev/null && during=$((during + 1))
	kill -KILL "$eng" 2>/dev/null || die "kill $k: the engine (pid $eng) was not running"
	wait "$eng" 2>/dev/null
	kill -0 "$floop" 2>/dev/null || die "the fio loop died"
	wait_until 5 dev_state_is 1 recovering ||
		die "kill $k: state '$(dev_field 1 state)' 5 s after SIGKILL (expected recovering)"
	start_engine "$FILEENG" 1 "$img" >/dev/null
	eng=$LAST_PID
	if [ -n "$(tail -n 1 fio-runs | awk '$2 != 0')" ]; then
		r=$(tail -n 1 fio-runs | cut -d' ' -f1)
		fio_show "run$r"
		die "fio run $r failed (status $(tail -n 1 fio-runs | cut -d' ' -f2)) around kill $k"
	fi
done
log "$KILLS kills, $during of them while fio ran"
[ "$during" -ge $(( KILLS * 3 / 4 )) ] || die "only $during of the $KILLS kills hit a running fio"

touch "$stopfile"
rc=0
wait_exit "$floop" 300 || rc=$?
[ $rc -ne 124 ] || die "the last fio run did not finish"
runs=$(wc -l < fio-runs)
bad=$(awk '$2 != 0' fio-runs | head -n 1)
if [ -n "$bad" ]; then
	fio_show "run${bad%% *}"
	die "fio run ${bad%% *} failed with status ${bad##* }"
fi
errs=0
for f in fio-run*.out; do
	e=$(_fio_errs "$f")
	errs=$((errs + e))
	grep -qiE 'verify: bad|verify failed|crc32c: verify' "$f" && { cat "$f"; die "$f: verify error"; }
done
[ "$errs" -eq 0 ] || die "the fio runs reported err= sum $errs"
log "$runs fio runs, all with status 0, err=0 and no verify error"

dmesg | grep -q 'I/O error, dev buse1' && { dmesg | grep 'error, dev buse1' | head; die "the kernel failed I/O on buse1 during recovery"; }

# Everything written by the last runs must still be there.
fio_ok final-verify --filename=/dev/buse1 --ioengine=libaio --iodepth=16 \
	--rw=randwrite --bs=4k --size=8M --verify=crc32c --do_verify=1 --randseed=7
# ... also after one more kill, by reading only.
kill -KILL "$eng"
wait "$eng" 2>/dev/null
start_engine "$FILEENG" 1 "$img"
eng=$LAST_PID
fio_ok final-readback --filename=/dev/buse1 --ioengine=libaio --iodepth=16 \
	--rw=randwrite --bs=4k --size=8M --verify=crc32c --verify_only=1 --randseed=7
stop_engine "$eng" TERM
remove_dev 1
exit 0
