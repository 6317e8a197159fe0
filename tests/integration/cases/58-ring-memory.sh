#!/bin/bash
# Ring memory (queue_depth x max_io per queue, allocated at ATTACH) is
# charged to the memory cgroup of the server that attaches, and the total
# of all servers is capped by the module parameter max_ring_mb:
#   - the null engine in a fresh cgroup attaches to a device with 64 MiB of
#     rings: the cgroup's memory.current grows by at least that much
#     (before the fix it did not: up to a quarter of RAM per device,
#     charged to nobody);
#   - with max_ring_mb=100, a second 64 MiB device's server fails to
#     attach (ENOMEM, a clear message, non-zero exit), and attaches once
#     the first server is gone.
# module: no
. "$BUSE_TOP/tests/integration/lib.sh"
need_file "$BUSECTL" "$NULLENG"

insmod "$BUSE_KO" || die "insmod failed"
wait_until 10 test -c /dev/busectl || die "/dev/busectl did not appear"

cg=/sys/fs/cgroup
if [ ! -e "$cg/cgroup.controllers" ]; then
	mount -t cgroup2 none "$cg" || die "cannot mount cgroup2 on $cg"
	on_exit umount "$cg"
fi
grep -qw memory "$cg/cgroup.controllers" || die "no memory controller in $(cat "$cg/cgroup.controllers")"
echo +memory > "$cg/cgroup.subtree_control" 2>/dev/null ||
	grep -qw memory "$cg/cgroup.subtree_control" || die "cannot enable the memory controller"
mkdir -p "$cg/buse-test"
on_exit rmdir "$cg/buse-test"

rings=$((64 << 20))
add_dev 1 --size 16M --queues 1 --depth 64 --max-io 1M
before=$(cat "$cg/buse-test/memory.current")
sh -c 'echo $$ > '"$cg"'/buse-test/cgroup.procs && exec "$0" 1' "$NULLENG" > null1.log 2>&1 &
eng=$!
bg_track "$eng"
show_on_fail null1.log
wait_ready 1 20 "$eng"
after=$(cat "$cg/buse-test/memory.current")
log "memory.current: $before before, $after with the server attached (rings: $rings bytes)"
[ $((after - before)) -ge $rings ] ||
	die "the server's cgroup was charged $((after - before)) bytes for $rings bytes of rings"
stop_engine "$eng" TERM
remove_dev 1

# The module-wide cap.
rmmod buse || die "rmmod failed"
insmod "$BUSE_KO" max_ring_mb=100 || die "insmod max_ring_mb=100 failed"
wait_until 10 test -c /dev/busectl || die "/dev/busectl did not appear"
[ "$(cat /sys/module/buse/parameters/max_ring_mb)" = 100 ] || die "max_ring_mb is not 100"
add_dev 1 --size 16M --queues 1 --depth 64 --max-io 1M
add_dev 2 --size 16M --queues 1 --depth 64 --max-io 1M
start_engine "$NULLENG" 1
eng1=$LAST_PID
rc=0
timeout 20 "$NULLENG" 2 > null2.log 2>&1 || rc=$?
[ $rc -ne 124 ] || die "the second server hung instead of failing"
[ $rc -ne 0 ] || die "the second server attached although 128 MiB of rings exceed max_ring_mb=100"
grep -qiE 'memory|ENOMEM' null2.log || die "the second server's message does not say why: $(cat null2.log)"
log "second server refused: $(head -n 1 null2.log)"
stop_engine "$eng1" TERM
start_engine "$NULLENG" 2
stop_engine "$LAST_PID" TERM
remove_dev 1
remove_dev 2
exit 0
