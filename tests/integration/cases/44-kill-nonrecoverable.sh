#!/bin/bash
# A device without --recoverable: its server is SIGKILLed during fio, 5
# times.  The kernel fails the I/O the dead server held and every new
# request at once, so fio (libaio, depth 32) ends with errors.  Measured
# each time: from the kill to fio's first I/O error (its "io_u error"
# line), which must be under 1 s (the median of the 5; none over 3 s, for
# the VM's hiccups), and to fio's exit (reported; at most 60 s).  Each
# time the device goes back to idle and can be served again; at the end it
# is removed without --force.
# timeout: 300
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio
need_file "$BUSECTL" "$RAMDISK"
ms() { echo $(( $(date +%s%N) / 1000000 )); }

add_dev 1 --size 64M --queues 2 --depth 64
# Per round: t_err, from the kill to fio's first "io_u error" line (fio
# prints it when the failed I/O comes back: that is when the application
# learns), and t_exit, to fio's exit.
errs_ms=()
exits_ms=()
for round in 1 2 3 4 5; do
	start_engine "$RAMDISK" 1
	eng=$LAST_PID
	fio_bg kill$round --filename=/dev/buse1 --ioengine=libaio --rw=randrw --bs=4k \
		--iodepth=32 --time_based --runtime=120
	fio=$LAST_PID
	out=$BUSE_CASE_DIR/fio-kill$round.out
	sleep 2
	kill -0 "$fio" 2>/dev/null || { fio_show kill$round; die "round $round: fio ended before the kill"; }
	grep -q 'io_u error' "$out" && { fio_show kill$round; die "round $round: fio failed before the kill"; }

	kill -KILL "$eng"
	t0=$(ms)
	t_err=
	while kill -0 "$fio" 2>/dev/null; do
		[ -n "$t_err" ] || ! grep -q 'io_u error' "$out" || t_err=$(( $(ms) - t0 ))
		[ $(( $(ms) - t0 )) -lt 60000 ] || { fio_show kill$round; die "round $round: fio still runs 60 s after the kill"; }
		sleep 0.01
	done
	t_exit=$(( $(ms) - t0 ))
	[ -n "$t_err" ] || ! grep -q 'io_u error' "$out" || t_err=$t_exit
	wait "$fio"
	rc=$?
	errs=$(_fio_errs "$out")
	[ "$rc" -ne 0 ] || [ "$errs" != 0 ] || { fio_show kill$round; die "round $round: fio saw no error"; }
	[ -n "$t_err" ] || { fio_show kill$round; die "round $round: fio printed no io_u error"; }
	log "round $round: fio's first I/O error $t_err ms after SIGKILL, fio exited after $t_exit ms (status $rc, err= sum $errs)"
	errs_ms+=("$t_err")
	exits_ms+=("$t_exit")
	wait "$eng" 2>/dev/null
	wait_until 5 dev_state_is 1 idle || die "round $round: state '$(dev_field 1 state)' after the kill"
done
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
maxof() { printf '%s\n' "$@" | sort -n | tail -n 1; }
log "kill -> first I/O error: ${errs_ms[*]} ms (median $(median "${errs_ms[@]}"), max $(maxof "${errs_ms[@]}"))"
log "kill -> fio exit:        ${exits_ms[*]} ms (median $(median "${exits_ms[@]}"), max $(maxof "${exits_ms[@]}"))"
[ "$(median "${errs_ms[@]}")" -lt 1000 ] ||
	die "fio's I/O failed a median $(median "${errs_ms[@]}") ms after the kill (limit 1000 ms)"
[ "$(maxof "${errs_ms[@]}")" -lt 3000 ] ||
	die "fio's I/O failed $(maxof "${errs_ms[@]}") ms after one kill (limit 3000 ms)"

# Nothing holds the device now: a plain remove works.
remove_dev 1
exit 0
