#!/bin/bash
# busectl add / list / info / remove with good arguments, and its refusal of
# bad ones (clear message, non-zero status, no device created).
. "$BUSE_TOP/tests/integration/lib.sh"
need_file "$BUSECTL"
need_cmd python3 blockdev

# --- good arguments ---------------------------------------------------------
add_dev 1 --size 256M
any=$(busectl add --size 1G) || die "busectl add --size 1G failed"
case "$any" in ''|*[!0-9]*) die "busectl add without an index printed '$any', not an index" ;; esac
[ "$any" != 1 ] || die "busectl add without an index took index 1, which is in use"
wait_for_dev "$any"
log "busectl add --size 1G took index $any"

rows=$(busectl list) || die "busectl list failed"
log "busectl list:"; echo "$rows"
for n in 1 "$any"; do
	echo "$rows" | awk -v n="$n" '$1 == n {f = 1} END {exit !f}' ||
		die "busectl list does not show device $n"
done

busectl list --json > list.json || die "busectl list --json failed"
python3 - "$any" <<'PY' || die "busectl list --json is wrong: $(cat list.json)"
import json, sys
devs = json.load(open("list.json"))
want = {1: 268435456, int(sys.argv[1]): 1 << 30}
got = {d["index"]: d["size"] for d in devs}
assert got == want, (got, want)
assert all(d["state"] == "idle" for d in devs), devs
PY

busectl info 1 > info.txt || die "busectl info 1 failed"
log "busectl info 1:"; cat info.txt
for key in index path size state server_pid nr_queues queue_depth max_io \
	   logical_block_size physical_block_size read_only ops; do
	grep -qE "^$key: " info.txt || die "busectl info 1 has no '$key:' line"
done
check_field() { # N KEY VALUE
	local v
	v=$(dev_field "$1" "$2")
	[ "$v" = "$3" ] || die "busectl info $1: $2 is '$v', expected '$3'"
}
check_field 1 index 1
check_field 1 path /dev/buse1
check_field 1 size 268435456
check_field 1 state idle
check_field 1 read_only false
# Default: one queue per online CPU (the VM's 2 GiB hold their buffers).
check_field 1 nr_queues "$(nproc)"
check_field 1 nr_poll_queues 0
check_field 1 queue_depth 128
check_field 1 max_io 262144
check_field 1 logical_block_size 512
check_field 1 physical_block_size 512
sp=$(dev_field 1 server_pid)
[ "$sp" = - ] || [ "$sp" = 0 ] || die "busectl info 1: server_pid '$sp' with no server"

busectl info 1 --json > info.json || die "busectl info 1 --json failed"
python3 - <<'PY' || die "busectl info 1 --json is wrong: $(cat info.json)"
import json
d = json.load(open("info.json"))
assert d["index"] == 1 and d["size"] == 268435456 and d["state"] == "idle", d
assert d["logical_block_size"] == 512 and d["read_only"] is False, d
PY

# No server: capacity 0, and I/O ends at once (0 bytes or an error).
[ "$(dev_size 1)" = 0 ] || die "/dev/buse1 has capacity $(dev_size 1) with no server (expected 0)"
t0=$(date +%s)
timeout 10 dd if=/dev/buse1 of=dd.out bs=4096 count=1 iflag=direct 2>dd.err
rc=$?
[ $rc -ne 124 ] || die "a read of /dev/buse1 with no server hung"
[ ! -s dd.out ] || die "a read of /dev/buse1 with no server returned data"
log "read with no server: status $rc, $(( $(date +%s) - t0 )) s: $(tail -n 1 dd.err)"

# Every parameter, and the physical block size following the logical one.
add_dev 3 --size 16M --logical-block-size 4096 --physical-block-size 4096 \
	--queues 2 --depth 64 --max-io 1M --read-only
check_field 3 size 16777216
check_field 3 logical_block_size 4096
check_field 3 physical_block_size 4096
check_field 3 nr_queues 2
check_field 3 queue_depth 64
check_field 3 max_io 1048576
check_field 3 read_only true
[ "$(blockdev --getss /dev/buse3)" = 4096 ] || die "/dev/buse3: logical block size $(blockdev --getss /dev/buse3), expected 4096"
[ "$(blockdev --getpbsz /dev/buse3)" = 4096 ] || die "/dev/buse3: physical block size $(blockdev --getpbsz /dev/buse3), expected 4096"
[ "$(blockdev --getro /dev/buse3)" = 1 ] || die "/dev/buse3 was added --read-only but blockdev --getro says $(blockdev --getro /dev/buse3)"
add_dev 4 --size 8M --logical-block-size 2048
check_field 4 physical_block_size 2048
add_dev 5 --size 8M --physical-block-size 4096
check_field 5 logical_block_size 512
check_field 5 physical_block_size 4096
# Polled queues come on top of the ordinary ones.
add_dev 6 --size 8M --queues 1 --poll-queues 2
check_field 6 nr_queues 1
check_field 6 nr_poll_queues 2
[ "$(cat /sys/block/buse6/queue/io_poll)" = 1 ] || die "/dev/buse6 has poll queues but io_poll is not 1"
[ "$(cat /sys/block/buse5/queue/io_poll)" = 0 ] || die "/dev/buse5 has no poll queue but io_poll is 1"
remove_dev 6

# --- bad arguments ----------------------------------------------------------
devs_before=$(ls /sys/block | grep -c '^buse')
bad() { # DESCRIPTION ARGS...: busectl ARGS must fail with a message
	local what=$1 out rc=0
	shift
	out=$(busectl "$@" 2>bad.err) || rc=$?
	[ $rc -ne 0 ] || die "busectl $* ($what) succeeded"
	[ -s bad.err ] || die "busectl $* ($what) failed (status $rc) without a message"
	[ -z "$out" ] || die "busectl $* ($what) printed '$out' on stdout"
	log "ok, refused: busectl $* -> $rc: $(head -n 1 bad.err)"
}
bad "index taken"           add 1 --size 1M
bad "index taken"           add 3
bad "index out of range"    add 65536 --size 1M
bad "index not a number"    add x1 --size 1M
bad "size 12X"              add 10 --size 12X
bad "size 0x"               add 10 --size 0x
bad "size -1"               add 10 --size -1
bad "empty size"            add 10 --size ''
bad "size not a multiple"   add 10 --size 1000
bad "size vs 4K blocks"     add 10 --size 6K --logical-block-size 4096
bad "block size 1000"       add 10 --size 1M --logical-block-size 1000
bad "block size 8192"       add 10 --size 1M --logical-block-size 8192
bad "block size 256"        add 10 --size 1M --logical-block-size 256
bad "physical 8192"         add 10 --size 1M --physical-block-size 8192
bad "physical < logical"    add 10 --size 1M --logical-block-size 4096 --physical-block-size 512
bad "depth too big"         add 10 --size 1M --depth 1025
bad "queues too many"       add 10 --size 1M --queues 65
bad "poll queues too many"  add 10 --size 1M --poll-queues 65
bad "poll queues > CPUs"    add 10 --size 1M --poll-queues $(( $(nproc) + 1 ))
bad "poll queues -1"        add 10 --size 1M --poll-queues -1
bad "max-io not pages"      add 10 --size 1M --max-io 1000
bad "max-io too big"        add 10 --size 1M --max-io 8M
bad "unknown option"        add 10 --size 1M --frobnicate
bad "discard < granularity" add 10 --size 1M --max-discard 4K --discard-granularity 64K
bad "serial too long"       add 10 --size 1M --serial abcdefghijklmnop
bad "serial bad char"       add 10 --size 1M --serial 'a/b'
bad "remove absent index"   remove 9
bad "info absent index"     info 9
bad "info --json absent"    info 9 --json
bad "remove no index"       remove
bad "unknown command"       frobnicate
[ "$(ls /sys/block | grep -c '^buse')" = "$devs_before" ] ||
	die "a refused busectl add created a device: $(ls /sys/block | grep '^buse' | tr '\n' ' ')"
[ ! -e /dev/buse10 ] || die "/dev/buse10 exists after refused adds"

# --- remove -----------------------------------------------------------------
remove_dev 1
busectl info 1 >/dev/null 2>&1 && die "busectl info 1 succeeds after remove 1"
busectl list | awk '$1 == 1 {f = 1} END {exit !f}' && die "busectl list still shows device 1"
bad "remove twice" remove 1
for n in "$any" 3 4 5; do remove_dev "$n"; done
[ "$(busectl list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0 ] ||
	die "busectl list --json is not empty after removing everything"

# --- module not loaded ------------------------------------------------------
rmmod buse || die "rmmod buse failed"
bad "module not loaded" list
grep -qiE 'not loaded|insmod|modprobe' bad.err || die "busectl list without the module: unclear message: $(cat bad.err)"
exit 0
