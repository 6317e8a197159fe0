#!/bin/bash
# Unprivileged servers (BUSE_DEV_F_OWNER).  The guest has no user database
# to add to, so numeric ids: uid 1000 runs `setpriv --reuid=1000
# --regid=1000 --clear-groups`.
#   - device 1, `busectl add 1 --owner 1000:1000`: /dev/busec1 belongs to
#     1000:1000 with mode 0660; uid 1000 serves it with examples/ramdisk
#     (data verified by root through /dev/buse1), sees it with busectl info
#     and busectl list;
#   - device 4, owned by 1001:1000: uid 1000 may serve it as a member of
#     group 1000;
#   - devices 2 (root's) and 3 (owned by 1001:1001): uid 1000 is refused
#     with EACCES when opening /dev/busecN (directly, and through ramdisk)
#     and by busectl info, and busectl remove is refused (EACCES/EPERM); the
#     devices are untouched;
#   - uid 1000 cannot create devices (EPERM);
#   - root can still do everything with all of them;
#   - the owner may remove its own device (uapi/linux/buse.h: "the owner ...
#     may serve the device, see its BUSE_CTL_INFO and remove it").
# timeout: 300
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd setpriv fio stat python3
need_file "$BUSECTL" "$RAMDISK"

USER_IDS=(--reuid=1000 --regid=1000 --clear-groups)
as_user() { setpriv "${USER_IDS[@]}" "$@"; }
as_user true || skip "setpriv cannot switch to uid 1000"
# The tree must be readable and runnable by uid 1000.
as_user test -x "$RAMDISK" -a -x "$BUSECTL" || die "uid 1000 cannot run $RAMDISK / $BUSECTL"

add_dev 1 --size 32M --owner 1000:1000
add_dev 2 --size 16M
add_dev 3 --size 16M --owner 1001:1001
add_dev 4 --size 16M --owner 1001:1000

# Node ownership.
[ "$(stat -c '%u:%g %a' /dev/busec1)" = "1000:1000 660" ] ||
	die "/dev/busec1 is $(stat -c '%u:%g %a' /dev/busec1), expected 1000:1000 660"
[ "$(stat -c '%u:%g %a' /dev/busec3)" = "1001:1001 660" ] ||
	die "/dev/busec3 is $(stat -c '%u:%g %a' /dev/busec3), expected 1001:1001 660"
[ "$(stat -c '%u' /dev/busec2)" = 0 ] || die "/dev/busec2 (root's device) is owned by uid $(stat -c '%u' /dev/busec2)"
log "nodes: busec1 $(stat -c '%u:%g %a' /dev/busec1), busec2 $(stat -c '%u:%g %a' /dev/busec2), busec3 $(stat -c '%u:%g %a' /dev/busec3), busec4 $(stat -c '%u:%g %a' /dev/busec4)"

# --- uid 1000 serves its own device ------------------------------------------
# setpriv itself (not a function's subshell) in the background, so that $!
# is the engine's pid: setpriv execs it.
setpriv "${USER_IDS[@]}" "$RAMDISK" 1 > engine-user-1.log 2>&1 &
ueng=$!
bg_track "$ueng"
show_on_fail "$BUSE_CASE_DIR/engine-user-1.log"
wait_ready 1 20 "$ueng"
[ "$(dev_field 1 server_pid)" = "$ueng" ] || die "server_pid is '$(dev_field 1 server_pid)', expected $ueng"
[ "$(ps -o uid= -p "$ueng" | tr -d ' ')" = 1000 ] || die "the engine does not run as uid 1000"
fio_verify by-user /dev/buse1 4k 16 libaio 8M
log "uid 1000 serves /dev/buse1; root verified 8 MiB through it"
as_user "$BUSECTL" info 1 > info1.out 2>&1 || { cat info1.out; die "the owner cannot busectl info its device"; }
grep -q '^state: running' info1.out || die "busectl info 1 as the owner: $(cat info1.out)"
# Devices 2 and 3 are listed (they exist) without their details; the list
# succeeds quietly.
rc=0
as_user "$BUSECTL" list --json > list.out 2> list.err || rc=$?
[ $rc -eq 0 ] && [ ! -s list.err ] || { cat list.out list.err; die "busectl list --json as uid 1000: status $rc"; }
grep -q '"index": 1,' list.out || { cat list.out; die "busectl list as uid 1000 does not show device 1"; }
grep -q '{"index": 2, "access": false}' list.out || { cat list.out; die "busectl list as uid 1000: device 2 not shown as another's"; }
grep -q '{"index": 3, "access": false}' list.out || { cat list.out; die "busectl list as uid 1000: device 3 not shown as another's"; }
rc=0
as_user "$BUSECTL" list > list.txt 2> list.err || rc=$?
[ $rc -eq 0 ] && [ ! -s list.err ] || { cat list.txt list.err; die "busectl list as uid 1000: status $rc"; }
grep -Eq '^3 +- +\(other.s\)' list.txt || { cat list.txt; die "busectl list as uid 1000: device 3 row"; }
as_user "$BUSECTL" version > /dev/null 2>&1 || die "busectl version as uid 1000 failed"

# A second server for the same device, as the owner: EBUSY.
rc=0
as_user timeout 20 "$RAMDISK" 1 > second.log 2>&1 || rc=$?
[ $rc -eq 1 ] || die "a second server for device 1: status $rc"
grep -qi 'already has a server' second.log || die "second server: $(cat second.log)"

# --- uid 1000 and other people's devices ---------------------------------------
perm_msg=$(python3 -c 'import os, errno; print(os.strerror(errno.EACCES))')
for n in 2 3; do
	# The open itself.
	rc=0
	as_user python3 -c "
import os, sys
try:
    os.open('/dev/busec$n', os.O_RDWR)
except OSError as e:
    print(e.strerror); sys.exit(3 if e.errno == 13 else 4)
sys.exit(0)" > open$n.out 2>&1 || rc=$?
	[ $rc -eq 3 ] || die "uid 1000 opening /dev/busec$n: status $rc ($(cat open$n.out)), expected EACCES"
	# ramdisk as uid 1000.
	rc=0
	as_user timeout 20 "$RAMDISK" "$n" > serve$n.log 2>&1 || rc=$?
	[ $rc -eq 1 ] || die "uid 1000 serving device $n: status $rc: $(cat serve$n.log)"
	grep -qi 'permission denied' serve$n.log || die "uid 1000 serving device $n: $(cat serve$n.log)"
	# busectl info: EACCES.
	rc=0
	as_user "$BUSECTL" info "$n" > info$n.out 2>&1 || rc=$?
	[ $rc -eq 1 ] || die "uid 1000: busectl info $n: status $rc: $(cat info$n.out)"
	grep -qiE "permission denied|$perm_msg" info$n.out || die "uid 1000: busectl info $n: $(cat info$n.out)"
	# busectl remove: refused, the device stays.
	rc=0
	as_user "$BUSECTL" remove "$n" > rm$n.out 2>&1 || rc=$?
	[ $rc -eq 1 ] || die "uid 1000: busectl remove $n: status $rc: $(cat rm$n.out)"
	grep -qiE 'permission denied|not permitted' rm$n.out || die "uid 1000: busectl remove $n: $(cat rm$n.out)"
	dev_state_is "$n" idle || die "device $n is '$(dev_field "$n" state)' after uid 1000's attempts"
	log "device $n: uid 1000 refused: open '$(cat open$n.out)', serve '$(tail -n 1 serve$n.log)', info '$(cat info$n.out)', remove '$(cat rm$n.out)'"
done

# No devices for uid 1000.
rc=0
as_user "$BUSECTL" add 9 --size 16M > add.out 2>&1 || rc=$?
[ $rc -eq 1 ] || die "uid 1000: busectl add: status $rc: $(cat add.out)"
grep -qiE 'permission denied|not permitted|root' add.out || die "uid 1000: busectl add: $(cat add.out)"
[ ! -e /dev/busec9 ] || die "uid 1000 created a device"
log "busectl add as uid 1000 refused: $(cat add.out)"

# --- group ownership: device 4 belongs to 1001 and group 1000 --------------------
setpriv "${USER_IDS[@]}" "$RAMDISK" 4 > engine-user-4.log 2>&1 &
geng=$!
bg_track "$geng"
show_on_fail "$BUSE_CASE_DIR/engine-user-4.log"
wait_ready 4 20 "$geng"
fio_verify by-group /dev/buse4 4k 8 libaio 4M
as_user "$BUSECTL" info 4 > /dev/null 2>&1 || die "a member of the owning group cannot busectl info device 4"
stop_engine "$geng" TERM
log "uid 1000 served device 4 as a member of its group"

# --- root can still do everything ----------------------------------------------
busectl info 1 > /dev/null || die "root cannot busectl info device 1 (owned by 1000)"
busectl info 3 > /dev/null || die "root cannot busectl info device 3 (owned by 1001)"
stop_engine "$ueng" TERM
start_engine "$RAMDISK" 3
fio_verify root-on-3 /dev/buse3 4k 8 libaio 4M
stop_engine "$LAST_PID" TERM
remove_dev 3
remove_dev 2
remove_dev 4

# --- the owner removes its own device --------------------------------------------
rc=0
as_user "$BUSECTL" remove 1 > rm1.out 2>&1 || rc=$?
[ $rc -eq 0 ] || die "the owner (uid 1000) cannot remove its own device 1: status $rc: $(cat rm1.out) (the uapi says the owner may remove it)"
wait_dev_gone 1
exit 0
