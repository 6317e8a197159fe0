#!/bin/bash
# No ioctl touches user memory under a lock: a BUSE_CTL_LIST whose buffer
# faults on a userfaultfd page nobody serves (/dev/busectl is 0666: any
# user can do this) must not block BUSE_CTL_INFO or an open of /dev/busecN
# (tests/integration/hostile.c, "uffd-list"); the LIST returns once the
# page is served.
. "$BUSE_TOP/tests/integration/lib.sh"
need_file "$BUSECTL" "$HOSTILE"
show_on_fail hostile.out

add_dev 1 --size 16M
rc=0
timeout -k 5 60 "$HOSTILE" uffd-list 1 > hostile.out 2>&1 || rc=$?
cat hostile.out
[ $rc -ne 124 ] && [ $rc -ne 137 ] || die "hostile uffd-list hung"
[ $rc -eq 0 ] || die "hostile uffd-list: status $rc"
[ "$(grep -c '^ok' hostile.out)" -ge 4 ] || die "hostile uffd-list ran fewer than 4 checks"
remove_dev 1
exit 0
