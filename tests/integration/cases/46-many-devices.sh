#!/bin/bash
# 64 devices at once, created and removed in a loop (3 rounds): every other
# one served by examples/null, the rest without a server.  Each round: all
# 64 nodes appear and `busectl list` shows them; a served device reads
# zeroes and an unserved one fails at once; then every device is removed
# (the served ones while their engine runs: it exits with status 0) and
# nothing is left.  Indexes: 0..63 in round 1, 1000..1063 in round 2 and
# the first free ones (busectl add without N) in round 3.
# timeout: 900
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd dd cmp
need_file "$BUSECTL" "$NULLENG"
ms() { echo $(( $(date +%s%N) / 1000000 )); }
COUNT=${BUSE_MANY_DEVICES:-64}

head -c 4096 /dev/zero > zero4k
for round in 1 2 3; do
	t0=$(ms)
	idx=()
	for i in $(seq 0 $((COUNT - 1))); do
		rc=0
		case $round in
		1) n=$i; out=$(busectl add "$n" --size 4M --depth 4 --max-io 4K) || rc=$? ;;
		2) n=$((1000 + i)); out=$(busectl add "$n" --size 4M --depth 2 --max-io 8K --queues 2) || rc=$? ;;
		3) n=; out=$(busectl add --size 4M --depth 4 --max-io 4K) || rc=$? ;;
		esac
		[ -n "$n" ] || n=$out
		[ $rc -eq 0 ] && [ "$out" = "$n" ] && [ -n "$n" ] ||
			die "round $round: busectl add ${n:-(any)} failed (status $rc) or printed '$out'"
		idx+=("$n")
	done
	# The first free indexes: 0 .. COUNT-1 again.
	[ $round -ne 3 ] || [ "${idx[*]}" = "$(seq -s ' ' 0 $((COUNT - 1)))" ] ||
		die "round 3: busectl add without N gave ${idx[*]}"
	for n in "${idx[@]}"; do wait_for_dev "$n"; done
	log "round $round: $COUNT devices added in $(( $(ms) - t0 )) ms: ${idx[0]} .. ${idx[$((COUNT - 1))]}"
	listed=$(busectl list --json | grep -c '"index"')
	nodes=$(ls /sys/block | grep -c '^buse[0-9]*$')
	[ "$nodes" -eq "$COUNT" ] || die "round $round: $nodes block devices in /sys/block, expected $COUNT"
	[ "$listed" -eq "$COUNT" ] || { busectl list; die "round $round: busectl list shows $listed devices, expected $COUNT"; }

	pids=()
	t0=$(ms)
	for ((j = 0; j < COUNT; j += 2)); do
		n=${idx[$j]}
		"$NULLENG" "$n" > "engine-null-$n.log" 2>&1 &
		pids+=($!)
		bg_track "$!"
	done
	for ((j = 0; j < COUNT; j += 2)); do
		wait_ready "${idx[$j]}" 60
	done
	log "round $round: $((COUNT / 2)) null engines serving after $(( $(ms) - t0 )) ms"

	# Served devices read zeroes; unserved ones (capacity 0: never served)
	# give nothing, at once.
	for j in 0 $((COUNT - 2)); do
		n=${idx[$j]}
		dd if=/dev/buse$n of=blk bs=4096 count=1 skip=7 iflag=direct 2>dd.err ||
			die "round $round: read of served /dev/buse$n failed: $(cat dd.err)"
		cmp -s blk zero4k || die "round $round: /dev/buse$n (null) did not read zeroes"
	done
	for j in 1 $((COUNT - 1)); do
		n=${idx[$j]}
		rc=0
		timeout 10 dd if=/dev/buse$n of=blk bs=4096 count=1 iflag=direct 2>dd.err || rc=$?
		[ $rc -ne 124 ] || die "round $round: a read of unserved /dev/buse$n hung"
		[ ! -s blk ] || die "round $round: a read of unserved /dev/buse$n returned data"
	done

	t0=$(ms)
	for n in "${idx[@]}"; do
		timeout 30 "$BUSECTL" remove "$n" || die "round $round: busectl remove $n failed (status $?)"
	done
	for n in "${idx[@]}"; do wait_dev_gone "$n"; done
	for p in "${pids[@]}"; do
		rc=0
		wait_exit "$p" 20 || rc=$?
		[ $rc -eq 0 ] || die "round $round: a null engine (pid $p) exited with status $rc after its removal"
	done
	log "round $round: $COUNT devices removed in $(( $(ms) - t0 )) ms; the $((COUNT / 2)) engines exited with status 0"
	left=$(ls -d /sys/block/buse* /dev/busec[0-9]* 2>/dev/null)
	[ -z "$left" ] || die "round $round: left after the removals: $left"
done
exit 0
