#!/bin/bash
# Adaptive polling (bdus.h, bdus_opts.poll_us, BDUS_OPT_NO_POLL), checked on
# the queue threads' CPU time (/proc/PID/task/TID/stat):
#   default (200 us window)  under a steady QD1 load from CPU 0, the
#                            thread spins between requests: it uses at
#                            least half the time;
#   --poll-us 0 (NO_POLL)    the same load costs them less CPU than that;
#   both                     an idle device costs (almost) no CPU: at most
#                            50 ms in 3 s, once the I/O has stopped;
# bad --poll-us values are refused with a message and status 2, and data
# verifies with polling off (every other case serves with the default).
# timeout: 240
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio
NULLENG=$BUSE_TOP/examples/null
RAMDISK=$BUSE_TOP/examples/ramdisk
need_file "$BUSECTL" "$NULLENG" "$RAMDISK"

TCK=$(getconf CLK_TCK)

# cpu_ms PID: CPU time (user + system) of PID's bdus-q threads, in ms.
cpu_ms() {
	local t ticks=0 n=0 f
	for t in /proc/$1/task/*; do
		[[ $(cat "$t/comm" 2>/dev/null) == bdus-q* ]] || continue
		# Fields after "(comm) ": utime is the 12th, stime the 13th.
		f=$(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}')
		ticks=$((ticks + f))
		n=$((n + 1))
	done
	[ $n -gt 0 ] || die "engine $1 has no bdus-q threads"
	echo $((ticks * 1000 / TCK))
}

# now_ms: a monotonic clock in ms.
now_ms() { awk '{printf "%d\n", $1 * 1000}' /proc/uptime; }

# load MODE PID: a 5 s QD1 random-read load from CPU 0 (its requests go to
# queue 0, whose thread runs on the other CPUs by the default placement and
# has one to itself); sets BUSY_PCT, the queue threads' CPU time from
# before fio starts to after it ends, as a share of fio's 5 s, then IDLE_MS,
# their CPU time in 3 s idle after it.  Nothing else runs meanwhile.
load() {
	local mode=$1 pid=$2 c0 c1 c2
	c0=$(cpu_ms "$pid")
	FIO_TIMEOUT=60 fio_ok "qd1-$mode" --filename=/dev/buse1 --ioengine=io_uring \
		--rw=randread --bs=4k --iodepth=1 --size=64M --time_based --runtime=5 \
		--cpus_allowed=0
	c1=$(cpu_ms "$pid")
	sleep 3
	c2=$(cpu_ms "$pid")
	BUSY_PCT=$(( (c1 - c0) * 100 / 5000 ))
	IDLE_MS=$((c2 - c1))
	log "$mode: queue threads busy ${BUSY_PCT}% of a 5 s QD1 load, ${IDLE_MS} ms of CPU in 3 s idle after it"
	[ "$IDLE_MS" -le 50 ] || die "$mode: the queue threads used $IDLE_MS ms of CPU in 3 s with no I/O (expected them asleep)"
}

add_dev 1 --size 256M --queues 2

# On a debugging kernel (BUSE_TIME_SCALE > 1: KASAN, lockdep) a request
# takes that many times longer to reach the server, and the default window
# often closes before the next one: the window is scaled alike there.
poll_args=()
scale=${BUSE_TIME_SCALE:-1}
[ "$scale" -eq 1 ] || poll_args=(--poll-us $((200 * scale)))
start_engine "$NULLENG" 1 "${poll_args[@]}"
eng=$LAST_PID
load default "$eng"
poll_pct=$BUSY_PCT
stop_engine "$eng" TERM
[ "$poll_pct" -ge 50 ] || die "default: the queue threads were busy only ${poll_pct}% of a steady QD1 load: they did not poll"

start_engine "$NULLENG" 1 --poll-us 0
eng=$LAST_PID
load nopoll "$eng"
stop_engine "$eng" TERM
[ "$BUSY_PCT" -lt "$poll_pct" ] || die "--poll-us 0: the queue threads were busy ${BUSY_PCT}% of the load, not less than the ${poll_pct}% of the polling default"

# Bad values: a message naming the option and status 2, the device idle.
for bad in 1000001 -1 abc ""; do
	rc=0
	out=$("$NULLENG" --poll-us "$bad" 1 2>&1) || rc=$?
	[ $rc = 2 ] || die "null --poll-us '$bad' exited $rc, expected 2 ($out)"
	[[ $out == *poll-us* ]] || die "null --poll-us '$bad' said '$out', without naming the option"
done
dev_state_is 1 idle || die "device 1 is $(dev_field 1 state) after refused starts"
remove_dev 1

# Data with every batch followed by a sleep.
add_dev 1 --size 256M --queues 2
start_engine "$RAMDISK" 1 --poll-us 0
fio_verify nopoll /dev/buse1 4k 32 io_uring 64M --numjobs=2 --offset_increment=64M
stop_engine "$LAST_PID" TERM
remove_dev 1
exit 0
