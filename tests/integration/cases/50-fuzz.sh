#!/bin/bash
# ioctl and mmap fuzzing (tests/integration/fuzz.c): at least 100,000
# random commands and mappings on /dev/busectl and /dev/busecN, with a
# child doing direct I/O on two of the fuzzer's devices so that the rings
# carry real requests.  Every call must return success or a clean error
# (the fuzzer prints anything else as UNEXPECTED and fails), nothing may
# hang, and the kernel log must stay clean (the runner checks).  Then a
# shorter run as uid 1000, who owns device 1: ADD and anything on root's
# device 2 must fail, and at the end it removes device 1 as its owner.  Afterwards no device is left, and new devices are
# created and served as usual.
# The seed is BUSE_FUZZ_SEED (default 1): a failure is reproduced with the
# same seed.
# timeout: 600
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio setpriv
FUZZ=${FUZZ:-$BUSE_TOP/build/integration/fuzz}
need_file "$BUSECTL" "$RAMDISK" "$FUZZ"
SEED=${BUSE_FUZZ_SEED:-1}
COUNT=${BUSE_FUZZ_COUNT:-100000}
show_on_fail fuzz.out fuzz-user.out

# run_fuzz OUT SECS CMD...: runs a fuzzer in the background; if it is still
# running after SECS, shows where it and its child are stuck, then kills it.
run_fuzz() {
	local out=$1 secs=$2 pid p
	shift 2
	"$@" > "$out" 2>&1 &
	pid=$!
	bg_track "$pid"
	FUZZ_RC=0
	wait_exit "$pid" "$secs" || FUZZ_RC=$?
	[ "$FUZZ_RC" -eq 124 ] || return 0
	echo "---- the fuzzer is still running after $secs s ----" >&2
	for p in $(pgrep -x fuzz); do
		echo "pid $p ($(ps -o stat=,wchan:32= -p "$p")):" >&2
		cat "/proc/$p/stack" >&2 2>/dev/null
	done
	ps -eo pid,ppid,stat,wchan:32,cmd >&2
	for f in /sys/kernel/debug/block/buse*/hctx*/busy /sys/kernel/debug/block/buse*/hctx*/dispatch; do
		[ -s "$f" ] && { echo "$f:" >&2; cat "$f" >&2; }
	done
	echo w > /proc/sysrq-trigger
	kill -KILL $(pgrep -x fuzz) 2>/dev/null
	return 0
}

t0=$(date +%s)
run_fuzz fuzz.out 400 "$FUZZ" --seed "$SEED" --count "$COUNT" --max-seconds 300
rc=$FUZZ_RC
t=$(( $(date +%s) - t0 ))
tail -n 3 fuzz.out
[ $rc -ne 124 ] || die "the fuzzer (seed $SEED) hung: killed after 400 s"
[ $rc -eq 0 ] || die "the fuzzer (seed $SEED) failed with status $rc after $t s"
n=$(sed -n 's/^fuzz: seed [0-9]*: \([0-9]*\) calls.*/\1/p' fuzz.out)
[ -n "$n" ] && [ "$n" -ge "$COUNT" ] || die "the fuzzer made ${n:-no} calls, expected $COUNT"
log "root fuzzer: seed $SEED, $n ioctls/mmaps in $t s"

# As uid 1000, owner of device 1 only.
add_dev 1 --size 8M --depth 4 --max-io 16K --owner 1000:1000 --timeout 2
add_dev 2 --size 8M --depth 4 --max-io 16K
run_fuzz fuzz-user.out 300 setpriv --reuid=1000 --regid=1000 --clear-groups \
	"$FUZZ" --seed "$((SEED + 1))" --count 20000 --max-seconds 200
rc=$FUZZ_RC
tail -n 2 fuzz-user.out
[ $rc -ne 124 ] || die "the unprivileged fuzzer hung: killed after 300 s"
[ $rc -eq 0 ] || die "the unprivileged fuzzer (seed $((SEED + 1))) failed with status $rc"
nu=$(sed -n 's/^fuzz: seed [0-9]*: \([0-9]*\) calls.*/\1/p' fuzz-user.out)
log "uid 1000 fuzzer: seed $((SEED + 1)), $nu ioctls/mmaps"
grep -q '^fuzz: removed device 1 as its owner' fuzz-user.out ||
	die "the unprivileged fuzzer did not remove its own device 1"
wait_dev_gone 1
busectl info 2 > /dev/null 2>&1 || die "device 2 (root's) is gone after the unprivileged fuzzer"
timeout 30 "$BUSECTL" remove 2 --force || die "removing device 2 failed"
wait_dev_gone 1
wait_dev_gone 2

left=$(ls -d /sys/block/buse* /dev/busec[0-9]* 2>/dev/null)
[ -z "$left" ] || die "left after fuzzing: $left"

# Business as usual.
add_dev 0 --size 16M --queues 2
start_engine "$RAMDISK" 0
fio_verify after-fuzz /dev/buse0 4k 16 libaio 4M
stop_engine "$LAST_PID" TERM
remove_dev 0
log "total: $((n + nu)) fuzzed ioctls/mmaps; the kernel log is the runner's to check"
exit 0
