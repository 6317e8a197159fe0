#!/bin/bash
# Write-through devices get no FLUSH and no FUA.
#   1. An engine without a flush callback (recorder --no-flush): /sys/block/
#      buseN/queue/write_cache says "write through", fua 0, the ops lack
#      flush and fua, and writing "write back" there is refused.
#   2. A device created with --no-write-cache, served by an engine that has
#      flush and FUA (the recorder as is): the same.
# On both, ext4 with fsync, O_DSYNC and O_DIRECT|O_DSYNC writes, sync,
# umount, and O_DSYNC writes and fsync on the raw device send WRITEs, and
# not one FLUSH, FUA or PREFLUSH reaches the engine.
# timeout: 400
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd mkfs.ext4 xfs_io
RECORDER=${RECORDER:-$BUSE_TOP/build/integration/recorder}
need_file "$BUSECTL" "$RECORDER"
modprobe ext4 2>/dev/null

REQLOG=$BUSE_CASE_DIR/requests.log
mnt=/mnt/buse-rec-wt
mkdir -p "$mnt"
on_exit "umount -l $mnt"

# workload N: everything that would flush on a write-back device.
workload() {
	local dev=/dev/buse$1
	dd if=/dev/urandom of="$dev" bs=4k count=2 oflag=dsync status=none || die "O_DSYNC write to $dev failed"
	dd if=/dev/urandom of="$dev" bs=4k count=2 seek=8 oflag=direct,dsync status=none || die "O_DIRECT|O_DSYNC write to $dev failed"
	dd if=/dev/urandom of="$dev" bs=4k count=2 seek=16 conv=fsync,notrunc status=none || die "write + fsync on $dev failed"
	mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 "$dev" || die "mkfs.ext4 $dev failed"
	mount -t ext4 "$dev" "$mnt" || die "mount $dev failed"
	head -c 64K /dev/urandom > "$mnt/a" && xfs_io -c fsync "$mnt/a" || die "write + fsync on ext4 failed"
	dd if=/dev/urandom of="$mnt/a" bs=4k count=1 oflag=dsync conv=notrunc status=none || die "O_DSYNC on ext4 failed"
	dd if=/dev/urandom of="$mnt/a" bs=4k count=1 oflag=direct,dsync conv=notrunc status=none || die "O_DIRECT|O_DSYNC on ext4 failed"
	sync
	umount "$mnt" || die "umount failed"
}

# check N WHAT: write-through as seen in sysfs and by the engine.
check() {
	local n=$1 what=$2 Q=/sys/block/buse$1/queue
	[ "$(cat $Q/write_cache)" = "write through" ] ||
		die "$what: write_cache is '$(cat $Q/write_cache)', expected 'write through'"
	[ "$(cat $Q/fua)" = 0 ] || die "$what: fua is $(cat $Q/fua), expected 0"
	case ",$(dev_field "$n" ops)," in
	*,flush,*|*,fua,*) die "$what: busectl info shows ops '$(dev_field "$n" ops)'" ;;
	esac
	if echo "write back" > $Q/write_cache 2>/dev/null; then
		log "$what: the kernel let write_cache be set to '$(cat $Q/write_cache)'"
		[ "$(cat $Q/write_cache)" = "write through" ] || die "$what: write_cache could be turned to write back"
	fi
	: > "$REQLOG"
	workload "$n"
	[ "$(grep -c '^WRITE ' "$REQLOG")" -gt 0 ] || die "$what: no WRITE reached the engine"
	if grep -qE '^FLUSH |FUA|PREFLUSH' "$REQLOG"; then
		grep -E '^FLUSH |FUA|PREFLUSH' "$REQLOG" | head -n 20 >&2
		die "$what: a FLUSH or a FUA/PREFLUSH request reached the engine of a write-through device"
	fi
	log "$what: $(grep -c '^WRITE ' "$REQLOG") WRITEs, no FLUSH, no FUA"
}

add_dev 1 --size 64M
start_engine "$RECORDER" 1 --no-flush "$REQLOG"
engine=$LAST_PID
[ "$(dev_field 1 ops)" = "read,write,discard,write_zeroes" ] || die "ops '$(dev_field 1 ops)'"
check 1 "engine without flush"
stop_engine "$engine" TERM

add_dev 2 --size 64M --no-write-cache
case ",$(dev_field 2 flags)," in *,no_write_cache,*) ;; *) die "busectl info 2: flags '$(dev_field 2 flags)'" ;; esac
start_engine "$RECORDER" 2 "$REQLOG"
engine=$LAST_PID
[ "$(dev_field 2 ops)" = "read,write,discard,write_zeroes" ] ||
	die "--no-write-cache with an engine that has flush: ops '$(dev_field 2 ops)', expected no flush, no fua"
check 2 "--no-write-cache"
stop_engine "$engine" TERM
remove_dev 1
remove_dev 2
exit 0
