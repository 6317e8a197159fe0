#!/bin/bash
# The shipped udev rule (udev/60-buse.rules) under a real systemd-udevd
# running in the guest with only Debian's rules and ours (ours bound over
# /etc/udev/rules.d, in the guest only):
#   - /dev/busectl is set back to 0666 by a "change" event after a chmod;
#   - a device made with --owner 1000:1000: /dev/busec1, /dev/buse1 and the
#     partitions /dev/buse1p1, p2 belong to 1000:1000 with mode 0660, and
#     uid 1000 writes and reads the disk through /dev/buse1p1;
#   - a device with --owner 1001 (no group): nodes owned by uid 1001, 0660;
#   - root's device (no owner): /dev/busec2 root 0600, /dev/buse2 keeps the
#     distribution's root:disk 0660;
#   - the sysfs attributes the rule reads (buse/owner_uid, owner_gid) exist
#     only on owned devices;
#   - persistent names: --serial gives /dev/disk/by-id/buse-NAME(-partK),
#     a file system's UUID and label give by-uuid and by-label links (and
#     a mount by UUID works) on root's device, not on an owned one.
# timeout: 300
. "$BUSE_TOP/tests/integration/lib.sh"
UDEVD=/lib/systemd/systemd-udevd
need_cmd udevadm sfdisk blockdev setpriv stat dd cmp mkfs.ext4 blkid
need_file "$UDEVD" "$BUSECTL" "$RAMDISK"
[ -r "$BUSE_TOP/udev/60-buse.rules" ] || die "$BUSE_TOP/udev/60-buse.rules is missing"

# The guest runs its tests in a chroot, where systemd tools do nothing
# unless told otherwise.
export SYSTEMD_IGNORE_CHROOT=1

# Our rule in place of the (empty) /etc/udev/rules.d, in the guest only.
mkdir rules
cp "$BUSE_TOP/udev/60-buse.rules" rules/
mount --bind "$BUSE_CASE_DIR/rules" /etc/udev/rules.d || die "cannot bind the rules over /etc/udev/rules.d"
on_exit "umount -l /etc/udev/rules.d"
mkdir -p /run/udev
"$UDEVD" --daemon > udevd.log 2>&1 || { cat udevd.log; die "systemd-udevd did not start"; }
on_exit "timeout 10 udevadm control --exit; pkill -KILL -x systemd-udevd; true"
udevadm control --ping -t 10 || die "systemd-udevd does not answer"
settle() { timeout 40 udevadm settle -t 30 || die "udevadm settle timed out"; }

perm() { stat -c '%u:%g %a' "$1"; }
expect_perm() {
	local p
	wait_until 10 test -e "$1" || die "$1 does not exist"
	p=$(perm "$1")
	[ "$p" = "$2" ] || die "$1 is $p, expected $2"
}

# /dev/busectl (made before udevd started): a change event restores 0666.
chmod 0600 /dev/busectl
udevadm trigger --action=change /sys/class/misc/busectl
settle
expect_perm /dev/busectl "0:0 666"

add_dev 1 --size 64M --owner 1000:1000 --partscan
add_dev 2 --size 16M
add_dev 3 --size 16M --owner 1001
settle
[ "$(cat /sys/block/buse1/buse/owner_uid)" = 1000 ] || die "/sys/block/buse1/buse/owner_uid: $(cat /sys/block/buse1/buse/owner_uid 2>&1)"
[ "$(cat /sys/block/buse1/buse/owner_gid)" = 1000 ] || die "/sys/block/buse1/buse/owner_gid: $(cat /sys/block/buse1/buse/owner_gid 2>&1)"
[ "$(cat /sys/class/buse/busec1/buse/owner_uid)" = 1000 ] || die "/sys/class/buse/busec1/buse/owner_uid missing"
[ ! -e /sys/block/buse2/buse/owner_uid ] || die "root's device 2 has an owner_uid attribute"
[ ! -e /sys/block/buse3/buse/owner_gid ] || die "device 3 (no group) has an owner_gid attribute"

expect_perm /dev/busec1 "1000:1000 660"
expect_perm /dev/buse1 "1000:1000 660"
expect_perm /dev/busec2 "0:0 600"
# Block nodes get the group "disk" from Debian's rules.
disk_gid=$(getent group disk | cut -d: -f3)
[ -n "$disk_gid" ] || disk_gid=6
expect_perm /dev/buse2 "0:$disk_gid 660"
expect_perm /dev/busec3 "1001:0 660"
expect_perm /dev/buse3 "1001:$disk_gid 660"
log "nodes: busectl $(perm /dev/busectl); busec1 $(perm /dev/busec1), buse1 $(perm /dev/buse1); busec2 $(perm /dev/busec2), buse2 $(perm /dev/buse2) (disk gid $disk_gid); busec3 $(perm /dev/busec3), buse3 $(perm /dev/buse3)"

# A change event keeps the owner's node (udev would otherwise make it 0600).
chmod 0600 /dev/busec1
udevadm trigger --action=change /sys/class/buse/busec1
settle
expect_perm /dev/busec1 "1000:1000 660"

# uid 1000 serves device 1, partitions it and uses a partition.
setpriv --reuid=1000 --regid=1000 --clear-groups "$RAMDISK" 1 > engine-user-1.log 2>&1 &
eng=$!
bg_track "$eng"
show_on_fail "$BUSE_CASE_DIR/engine-user-1.log"
wait_ready 1 20 "$eng"
as_user() { setpriv --reuid=1000 --regid=1000 --clear-groups "$@"; }
printf 'label: dos\nstart=2048, size=32768, type=83\nstart=34816, type=83\n' |
	as_user timeout 60 sfdisk -q /dev/buse1 > sfdisk.out 2>&1 ||
	{ cat sfdisk.out; die "sfdisk as uid 1000 on /dev/buse1 failed"; }
# Rereading a partition table (BLKRRPART) needs CAP_SYS_ADMIN: root's job.
timeout 30 blockdev --rereadpt /dev/buse1 || die "blockdev --rereadpt /dev/buse1 failed"
settle
expect_perm /dev/buse1p1 "1000:1000 660"
expect_perm /dev/buse1p2 "1000:1000 660"
head -c 1048576 /dev/urandom > data
as_user dd if=data of=/dev/buse1p1 bs=64k oflag=direct status=none 2>dd.err || die "uid 1000 cannot write /dev/buse1p1: $(cat dd.err)"
as_user dd if=/dev/buse1p1 bs=64k count=16 iflag=direct status=none > back 2>dd.err || die "uid 1000 cannot read /dev/buse1p1: $(cat dd.err)"
cmp -s data back || die "uid 1000 read back other data from /dev/buse1p1"
as_user dd if=/dev/buse2 of=/dev/null bs=4k count=1 status=none 2>/dev/null && die "uid 1000 could open root's /dev/buse2"
log "uid 1000 partitioned its device and wrote and read 1 MiB through /dev/buse1p1"

settle
stop_engine "$eng" TERM
settle
for n in 1 2 3; do remove_dev "$n"; done

# Persistent names (systemd's own rules skip buse): --serial gives
# /dev/disk/by-id/buse-NAME (and -partK); blkid's UUID and label give
# by-uuid and by-label on root's devices, never on an owned one (root's
# tools do not parse the owner's data).
link_is() { [ "$(readlink -f "$1")" = "$2" ]; }
add_dev 5 --size 64M --serial data.01
[ "$(cat /sys/block/buse5/buse/serial)" = data.01 ] || die "buse/serial: $(cat /sys/block/buse5/buse/serial 2>&1)"
[ "$(dev_field 5 serial)" = data.01 ] || die "busectl info 5: serial '$(dev_field 5 serial)'"
start_engine "$RAMDISK" 5
eng=$LAST_PID
settle
wait_until 10 link_is /dev/disk/by-id/buse-data.01 /dev/buse5 || die "no /dev/disk/by-id/buse-data.01 -> /dev/buse5"
mkfs.ext4 -q -F -L buselabel /dev/buse5 || die "mkfs.ext4 failed"
udevadm trigger --action=change /sys/block/buse5
settle
uuid=$(blkid -s UUID -o value /dev/buse5)
[ -n "$uuid" ] || die "blkid finds no UUID on /dev/buse5"
wait_until 10 link_is "/dev/disk/by-uuid/$uuid" /dev/buse5 || die "no /dev/disk/by-uuid/$uuid -> /dev/buse5"
wait_until 10 link_is /dev/disk/by-label/buselabel /dev/buse5 || die "no /dev/disk/by-label/buselabel -> /dev/buse5"
mkdir -p /mnt/byuuid
mount "UUID=$uuid" /mnt/byuuid || die "mount UUID=$uuid failed"
umount /mnt/byuuid
log "by-id, by-uuid and by-label links for /dev/buse5; mounted by UUID"
# A partition gets -part1.
echo 'start=2048, size=16384, type=83' | sfdisk -q /dev/buse5 > /dev/null 2>&1 || die "sfdisk on /dev/buse5 failed"
blockdev --rereadpt /dev/buse5 || true
settle
wait_until 10 link_is /dev/disk/by-id/buse-data.01-part1 /dev/buse5p1 || die "no by-id ...-part1 link"
stop_engine "$eng" TERM
settle
remove_dev 5
settle
[ ! -e /dev/disk/by-id/buse-data.01 ] || die "/dev/disk/by-id/buse-data.01 outlived the device"

add_dev 6 --size 64M --serial own.6 --owner 1000:1000
start_engine "$RAMDISK" 6
eng=$LAST_PID
mkfs.ext4 -q -F -L ownlabel /dev/buse6 || die "mkfs.ext4 on /dev/buse6 failed"
udevadm trigger --action=change /sys/block/buse6
settle
wait_until 10 link_is /dev/disk/by-id/buse-own.6 /dev/buse6 || die "no by-id link for the owned device"
[ ! -e /dev/disk/by-label/ownlabel ] || die "udev probed an owned device's contents (by-label/ownlabel)"
log "owned device: by-id link, no by-label (contents not probed)"
stop_engine "$eng" TERM
settle
remove_dev 6
exit 0
