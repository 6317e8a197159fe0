#!/bin/bash
# Where libbdus runs its queue threads (bdus.h, BDUS_OPT_NO_PIN and
# BDUS_OPT_PIN_NEAR), checked on the threads themselves (named bdus-qN):
#   default     queue q's thread on the allowed CPUs other than q's one CPU
#   --pin-near  on q's own CPU, scheduled SCHED_BATCH
#   --no-pin    on every CPU the server may use
#   taskset -c 0 (default placement): no CPU outside the server's own
# and --pin-near with --no-pin is refused.  Data still verifies with
# --pin-near.
# timeout: 240
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio taskset
NULLENG=$BUSE_TOP/examples/null
RAMDISK=$BUSE_TOP/examples/ramdisk
need_file "$BUSECTL" "$NULLENG" "$RAMDISK"

# expand LIST: "0-2,5" as "0 1 2 5".
expand() {
	local item items out=()
	IFS=, read -ra items <<< "$1"
	for item in "${items[@]}"; do
		item=${item// /}
		[ -n "$item" ] || continue
		if [[ $item == *-* ]]; then
			out+=($(seq "${item%-*}" "${item#*-}"))
		else
			out+=("$item")
		fi
	done
	echo "${out[@]}"
}
online=$(expand "$(cat /sys/devices/system/cpu/online)")
[ "$(echo $online | wc -w)" -ge 2 ] || skip "needs 2 CPUs, has $online"

# thread PID Q: the tid of queue thread bdus-qQ of PID.
thread() {
	local t
	for t in /proc/$1/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = "bdus-q$2" ] && { basename "$t"; return 0; }
	done
	die "engine $1 has no thread named bdus-q$2: $(cat /proc/$1/task/*/comm | tr '\n' ' ')"
}
# cpus PID TID: the thread's allowed CPUs, expanded.
cpus() { expand "$(awk '/^Cpus_allowed_list:/{print $2}' "/proc/$1/task/$2/status")"; }
# policy PID TID: the scheduling policy number (0 SCHED_OTHER, 3 SCHED_BATCH).
policy() { sed 's/.*) //' "/proc/$1/task/$2/stat" | awk '{print $39}'; }
# others Q: the online CPUs but queue Q's.
queue_cpus() { expand "$(cat /sys/block/buse1/mq/$1/cpu_list)"; }
others() {
	local c mine out=()
	mine=" $(queue_cpus "$1") "
	for c in $online; do [[ $mine == *" $c "* ]] || out+=("$c"); done
	echo "${out[@]}"
}

add_dev 1 --size 64M --queues 2
for q in 0 1; do
	[ "$(queue_cpus $q | wc -w)" = 1 ] || skip "queue $q maps to CPUs $(queue_cpus $q), not one"
done

# check MODE PID: every queue thread where MODE puts it.
check() {
	local mode=$1 pid=$2 q tid got want pol wantpol
	for q in 0 1; do
		tid=$(thread "$pid" $q)
		got=$(cpus "$pid" "$tid")
		pol=$(policy "$pid" "$tid")
		case $mode in
		default) want=$(others $q); wantpol=0 ;;
		near) want=$(queue_cpus $q); wantpol=3 ;;
		nopin) want=$online; wantpol=0 ;;
		cpu0) want=0; wantpol=0 ;;
		esac
		[ "$got" = "$want" ] || die "$mode: bdus-q$q (queue CPUs $(queue_cpus $q)) runs on CPUs '$got', expected '$want'"
		[ "$pol" = "$wantpol" ] || die "$mode: bdus-q$q has scheduling policy $pol, expected $wantpol"
		log "$mode: bdus-q$q (queue CPUs $(queue_cpus $q)) on CPUs $got, policy $pol"
	done
}

start_engine "$NULLENG" 1
check default "$LAST_PID"
stop_engine "$LAST_PID" TERM

start_engine "$NULLENG" 1 --pin-near
check near "$LAST_PID"
stop_engine "$LAST_PID" TERM

start_engine "$NULLENG" 1 --no-pin
check nopin "$LAST_PID"
stop_engine "$LAST_PID" TERM

start_engine "$(command -v taskset)" 1 -c 0 "$NULLENG"
check cpu0 "$LAST_PID"
stop_engine "$LAST_PID" TERM

# Contrary options: a message and status 2, and the device untouched.
rc=0
out=$("$NULLENG" --pin-near --no-pin 1 2>&1) || rc=$?
[ $rc = 2 ] || die "null --pin-near --no-pin exited $rc, expected 2 ($out)"
[[ $out == *contradict* ]] || die "null --pin-near --no-pin said '$out'"
dev_state_is 1 idle || die "device 1 is $(dev_field 1 state) after a refused start"
remove_dev 1

# Data is served right with the threads next to their submitters.
add_dev 1 --size 256M --queues 2
start_engine "$RAMDISK" 1 --pin-near
fio_verify near /dev/buse1 4k 32 io_uring 64M --numjobs=2 --offset_increment=64M
stop_engine "$LAST_PID" TERM
remove_dev 1
exit 0
