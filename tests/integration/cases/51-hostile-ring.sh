#!/bin/bash
# A server that abuses its rings (tests/integration/hostile-ring.c), beyond
# cases 11 and 12: bogus tags, wrong seqs, results that are no valid answer
# (too large, unaligned, negative lengths below -4095) with a request held
# (each must be rejected and leave the request outstanding), completing a
# tag twice and an earlier issue of a reissued tag, tags never issued,
# cq_tail behind / far ahead, a full ring of garbage, sq_head ahead of
# sq_tail, garbage in the kernel's own indices, munmap then complete,
# munmap + close with a request held, and a late completion after a
# timeout.  Honest requests must be served throughout and afterwards.
# timeout: 300
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio
HOSTILE_RING=${HOSTILE_RING:-$BUSE_TOP/build/integration/hostile-ring}
need_file "$BUSECTL" "$RAMDISK" "$HOSTILE_RING"
show_on_fail hostile-ring.out

add_dev 1 --size 8M --queues 1 --depth 4
add_dev 2 --size 8M --queues 1 --depth 4 --timeout 1
rc=0
timeout -k 5 200 "$HOSTILE_RING" 1 2 > hostile-ring.out 2>&1 || rc=$?
tail -n 1 hostile-ring.out
[ $rc -ne 124 ] && [ $rc -ne 137 ] || die "hostile-ring hung"
nfail=$(grep -c '^FAIL' hostile-ring.out)
nok=$(grep -c '^ok' hostile-ring.out)
[ $rc -eq 0 ] || die "hostile-ring: status $rc, $nfail of $((nok + nfail)) checks failed: $(grep -m3 '^FAIL' hostile-ring.out | tr '\n' ' ')"
nrej=$(grep -c '^ok: .*EINVAL' hostile-ring.out)
[ "$nrej" -ge 25 ] || die "only $nrej bogus completions were checked (expected at least 25)"
log "hostile-ring: $nok checks passed, $nrej of them bogus completions rejected"
nwd=$(grep -c '^ok: write data' hostile-ring.out)
[ "$nwd" -ge 4 ] || die "only $nwd write-data checks passed (expected 4): $(grep 'write data' hostile-ring.out | tr '\n' ' ')"
log "hostile-ring: $(grep '^ok: write data' hostile-ring.out | tr '\n' ' ')"

# Both devices are idle and serve honestly.
for n in 1 2; do
	wait_until 5 dev_state_is $n idle || die "device $n is '$(dev_field $n state)' after hostile-ring"
	start_engine "$RAMDISK" $n
	fio_verify after-hostile-$n /dev/buse$n 4k 4 libaio 2M
	stop_engine "$LAST_PID" TERM
	remove_dev $n
done
exit 0
