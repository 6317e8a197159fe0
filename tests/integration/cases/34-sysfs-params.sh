#!/bin/bash
# Every "busectl add" option shows in sysfs and in "busectl info" (and
# --json): logical/physical block size, io_min, io_opt, max_io
# (max_hw_sectors_kb), queues and depth (mq/*/nr_tags), rotational,
# read-only (/sys/block/buseN/ro), max-discard (discard_max_hw_bytes),
# discard-granularity, max-write-zeroes (write_zeroes_max_bytes),
# --no-write-cache ("write through" even with an engine that has flush),
# --no-partscan (no partitions appear), timeout (queue/io_timeout),
# recoverable, recovery-timeout and owner (/dev/busecN's owner and mode).
# The discard, write-zeroes and write-cache limits take their values when a
# server attaches (they depend on the engine's callbacks): they are checked
# before and after.  max_io really splits requests (seen by the recorder).
# timeout: 400
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd sfdisk blockdev
RECORDER=${RECORDER:-$BUSE_TOP/build/integration/recorder}
need_file "$BUSECTL" "$RECORDER" "$RAMDISK"

REQLOG=$BUSE_CASE_DIR/requests.log
# sys N ATTR: /sys/block/buseN/ATTR.
sys() { cat "/sys/block/buse$1/$2"; }
# want_sys N ATTR VALUE [WHEN]
want_sys() {
	local v
	v=$(sys "$1" "$2") || die "cannot read /sys/block/buse$1/$2"
	[ "$v" = "$3" ] || die "/sys/block/buse$1/$2 is '$v', expected '$3'${4:+ ($4)}"
}
# want_info N FIELD VALUE [WHEN]
want_info() {
	local v
	v=$(dev_field "$1" "$2")
	[ "$v" = "$3" ] || die "busectl info $1: $2 is '$v', expected '$3'${4:+ ($4)}"
}
# want_json N FIELD VALUE: "FIELD": VALUE in busectl info --json N.
want_json() {
	busectl info --json "$1" | grep -qE "^ *\"$2\": $3,?\$" ||
		die "busectl info --json $1: no \"$2\": $3 in: $(busectl info --json "$1" | tr '\n' ' ')"
}

maxq=$(busectl version | sed -n 's/^max_queues: *//p')
q=$(( maxq < 2 ? maxq : 2 ))

# 1. Geometry, hints and limits.
add_dev 1 --size 64M --logical-block-size 1024 --physical-block-size 4096 \
	--io-min 8192 --io-opt 65536 --max-io 1M --max-discard 2M \
	--max-write-zeroes 1M --discard-granularity 8192 --rotational \
	--queues "$q" --depth 64
for when in "no server" "served"; do
	want_sys 1 queue/logical_block_size 1024 "$when"
	want_sys 1 queue/physical_block_size 4096 "$when"
	want_sys 1 queue/minimum_io_size 8192 "$when"
	want_sys 1 queue/optimal_io_size 65536 "$when"
	want_sys 1 queue/max_hw_sectors_kb 1024 "$when"
	want_sys 1 queue/rotational 1 "$when"
	want_sys 1 ro 0 "$when"
	[ "$(ls -d /sys/block/buse1/mq/[0-9]* | wc -l)" = "$q" ] || die "not $q hardware queues in /sys/block/buse1/mq ($when)"
	for t in /sys/block/buse1/mq/*/nr_tags; do
		[ "$(cat "$t")" = 64 ] || die "$t is $(cat "$t"), expected the depth 64 ($when)"
	done
	want_info 1 logical_block_size 1024 "$when"
	want_info 1 physical_block_size 4096 "$when"
	want_info 1 io_min 8192 "$when"
	want_info 1 io_opt 65536 "$when"
	want_info 1 max_io 1048576 "$when"
	want_info 1 max_discard 2097152 "$when"
	want_info 1 max_write_zeroes 1048576 "$when"
	want_info 1 discard_granularity 8192 "$when"
	want_info 1 nr_queues "$q" "$when"
	want_info 1 queue_depth 64 "$when"
	want_info 1 size 67108864 "$when"
	want_info 1 read_only false "$when"
	want_info 1 flags rotational "$when"
	want_json 1 max_discard 2097152
	want_json 1 discard_granularity 8192
	want_json 1 io_opt 65536
	want_json 1 nr_queues "$q"
	[ "$when" = "no server" ] || break
	# No server: capacity 0, and nothing that depends on the engine.
	want_sys 1 size 0 "no server"
	want_sys 1 queue/discard_max_hw_bytes 0 "no server"
	want_sys 1 queue/write_zeroes_max_bytes 0 "no server"
	want_sys 1 queue/write_cache "write through" "no server"
	want_info 1 state idle
	want_info 1 server_pid -
	want_info 1 ops -
	start_engine "$RECORDER" 1 "$REQLOG"
	engine=$LAST_PID
done
want_sys 1 size 131072 "served: 64M in sectors"
want_sys 1 queue/discard_max_hw_bytes 2097152 "served"
want_sys 1 queue/discard_granularity 8192 "served"
want_sys 1 queue/write_zeroes_max_bytes 1048576 "served"
want_sys 1 queue/write_cache "write back" "served by an engine with flush"
want_sys 1 queue/fua 1 "served by an engine with FUA"
want_info 1 state running
want_info 1 server_pid "$engine"
want_info 1 ops read,write,flush,discard,write_zeroes,fua
[ "$(blockdev --getss /dev/buse1)" = 1024 ] || die "blockdev --getss: $(blockdev --getss /dev/buse1)"
[ "$(blockdev --getpbsz /dev/buse1)" = 4096 ] || die "blockdev --getpbsz: $(blockdev --getpbsz /dev/buse1)"
[ "$(blockdev --getiomin /dev/buse1)" = 8192 ] || die "blockdev --getiomin: $(blockdev --getiomin /dev/buse1)"
[ "$(blockdev --getioopt /dev/buse1)" = 65536 ] || die "blockdev --getioopt: $(blockdev --getioopt /dev/buse1)"
# max_io: a 4M direct read arrives as reads of at most 1M.
: > "$REQLOG"
dd if=/dev/buse1 of=/dev/null bs=4M count=1 iflag=direct status=none || die "a 4M read failed"
awk '$1 == "READ" { n++; s += $3; if ($3 > 1048576) big++ }
     END { exit !(n >= 4 && s == 4194304 && !big) }' "$REQLOG" ||
	{ cat "$REQLOG" >&2; die "a 4M read with max_io 1M did not arrive as reads of at most 1M"; }
stop_engine "$engine" TERM
want_info 1 state idle "after the engine exited"
want_info 1 server_pid - "after the engine exited"
want_info 1 ops - "after the engine exited"
remove_dev 1

# 2. Defaults.
add_dev 2 --size 32M
want_sys 2 queue/logical_block_size 512
want_sys 2 queue/physical_block_size 512
want_sys 2 queue/minimum_io_size 512
want_sys 2 queue/optimal_io_size 0
want_sys 2 queue/max_hw_sectors_kb 256
want_sys 2 queue/rotational 0
want_info 2 discard_granularity 512
want_info 2 max_discard 4294966784
want_info 2 max_write_zeroes 4294966784
want_info 2 queue_depth 128
# One queue per CPU (the VM's RAM holds their buffers), no polled queue.
want_info 2 nr_queues "$(nproc)"
want_info 2 nr_poll_queues 0
[ "$(ls -d /sys/block/buse2/mq/[0-9]* | wc -l)" = "$(nproc)" ] ||
	die "not $(nproc) hardware queues in /sys/block/buse2/mq by default"
want_info 2 flags -
want_info 2 timeout 0
want_info 2 owner -
start_engine "$RAMDISK" 2
engine=$LAST_PID
want_sys 2 queue/discard_max_hw_bytes 4294966784 "served by ramdisk"
want_sys 2 queue/discard_granularity 512 "served by ramdisk"
want_sys 2 queue/write_zeroes_max_bytes 4294966784 "served by ramdisk"
want_sys 2 queue/write_cache "write back" "served by ramdisk"
stop_engine "$engine" TERM
remove_dev 2

# 3. Read-only, no write cache, no partition scan.
add_dev 3 --size 32M --read-only --no-write-cache --no-partscan
want_sys 3 ro 1
want_info 3 read_only true
want_info 3 flags read_only,no_write_cache,no_partscan
start_engine "$RAMDISK" 3
engine=$LAST_PID
want_sys 3 ro 1 "served"
want_sys 3 queue/write_cache "write through" "--no-write-cache, served by ramdisk (which has flush)"
want_sys 3 queue/fua 0 "--no-write-cache"
want_sys 3 queue/discard_max_hw_bytes 0 "read-only"
want_sys 3 queue/write_zeroes_max_bytes 0 "read-only"
want_info 3 ops read,write "read-only, no write cache"
[ "$(blockdev --getro /dev/buse3)" = 1 ] || die "blockdev --getro /dev/buse3 is not 1"
dd if=/dev/zero of=/dev/buse3 bs=4k count=1 oflag=direct status=none 2>/dev/null &&
	die "writing to the read-only /dev/buse3 succeeded"
dd if=/dev/buse3 of=/dev/null bs=64k count=4 iflag=direct status=none || die "reading /dev/buse3 failed"
stop_engine "$engine" TERM
remove_dev 3

# --no-partscan: a partition table, then no partition (and BLKRRPART fails);
# without it the partition appears.
table='label: dos
start=2048, size=4096, type=83'
add_dev 4 --size 32M
start_engine "$RAMDISK" 4
engine=$LAST_PID
echo "$table" | sfdisk -q /dev/buse4 > sfdisk4.out 2>&1 || { cat sfdisk4.out; die "sfdisk /dev/buse4 failed"; }
wait_until 10 test -e /sys/block/buse4/buse4p1 || die "no buse4p1 after writing a partition table"
stop_engine "$engine" TERM
add_dev 5 --size 32M --no-partscan
start_engine "$RAMDISK" 5
engine=$LAST_PID
echo "$table" | sfdisk -q --no-reread /dev/buse5 > sfdisk5.out 2>&1 || { cat sfdisk5.out; die "sfdisk /dev/buse5 failed"; }
blockdev --rereadpt /dev/buse5 2>/dev/null && die "BLKRRPART succeeded on a --no-partscan device"
sleep 1
[ ! -e /sys/block/buse5/buse5p1 ] || die "buse5p1 appeared on a --no-partscan device"
grep -q 'buse5p' /proc/partitions && die "/proc/partitions lists a partition of buse5"
stop_engine "$engine" TERM
remove_dev 4
remove_dev 5

# 4. Timeouts, recovery, owner, small max_io and depth.
add_dev 6 --size 16M --timeout 30 --recoverable --recovery-timeout 5 \
	--owner 1000:1000 --max-io 4K --depth 16
want_info 6 timeout 30
want_info 6 recovery_timeout 5
want_info 6 flags recoverable,owner
want_info 6 owner 1000:1000
want_info 6 max_io 4096
want_json 6 timeout 30
want_json 6 owner_uid 1000
want_sys 6 queue/io_timeout 30000
want_sys 6 queue/max_hw_sectors_kb 4
want_sys 6 mq/0/nr_tags 16
[ "$(stat -c '%u:%g %a' /dev/busec6)" = "1000:1000 660" ] ||
	die "/dev/busec6 is $(stat -c '%u:%g %a' /dev/busec6), expected 1000:1000 660"
remove_dev 6
exit 0
