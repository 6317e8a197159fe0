#!/bin/bash
# Loading and unloading buse.ko: /dev/busectl (a misc char device) comes and
# goes with the module, busectl reports the ABI, and rmmod removes idle
# devices with it.  busectl says clearly when the module is not loaded.
# module: no
# timeout: 90
. "$BUSE_TOP/tests/integration/lib.sh"
need_file "$BUSECTL"

grep -q '^buse ' /proc/modules && die "buse is loaded before the case started"

# Not loaded: a clear message, non-zero status, nothing on stdout.
out=$(busectl version 2>err) && die "busectl version succeeded without the module: $out"
[ -z "$out" ] || die "busectl version printed '$out' on stdout without the module"
grep -qiE 'busectl|buse' err || die "busectl version without the module: unclear message: $(cat err)"
grep -qiE 'not loaded|modprobe|insmod|/dev/busectl|no such' err ||
	die "busectl version without the module does not say what is wrong: $(cat err)"
log "without the module: $(cat err)"

for round in 1 2; do
	insmod "$BUSE_KO" || die "insmod $BUSE_KO failed (round $round)"
	wait_until 5 test -c /dev/busectl || die "/dev/busectl did not appear after insmod"
	[ -e /sys/class/misc/busectl ] || die "/dev/busectl is not a misc device (no /sys/class/misc/busectl)"
	[ "$(stat -c %t /dev/busectl)" = a ] || die "/dev/busectl has major 0x$(stat -c %t /dev/busectl), expected the misc major (10)"

	v=$(busectl version) || die "busectl version failed"
	log "busectl version: $(echo "$v" | tr '\n' ' ')"
	echo "$v" | grep -qE '\b1\b' || die "busectl version does not show ABI version 1: $v"
	vj=$(busectl version --json) || die "busectl version --json failed"
	echo "$vj" | python3 -c 'import json,sys; json.load(sys.stdin)' ||
		die "busectl version --json is not JSON: $vj"

	# rmmod with idle devices present removes them.
	add_dev 1 --size 64M
	add_dev 7 --size 1M
	rmmod buse || die "rmmod buse with two idle devices failed (round $round)"
	grep -q '^buse ' /proc/modules && die "buse still loaded after rmmod"
	wait_dev_gone 1
	wait_dev_gone 7
	wait_until 5 test ! -e /dev/busectl || die "/dev/busectl still exists after rmmod"
done

# An unused module unloads too.
insmod "$BUSE_KO" || die "insmod failed (3rd time)"
rmmod buse || die "rmmod buse without devices failed"
exit 0
