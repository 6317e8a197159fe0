#!/bin/bash
# examples/faulty in fail mode: the engine's errno reaches the application
# as itself.  EIO on reads and ENOSPC on writes reach dd ("Input/output
# error" / "No space left on device") and fio (err=5 / err=28); the other
# errnos the driver carries (ETIMEDOUT, ENOLINK, ENODATA, EILSEQ,
# EOPNOTSUPP) reach dd too, and the ones it does not carry (EPERM, and the
# block layer's own EREMCHG, EBUSY, ENOMEM, EAGAIN, ENODEV, EREMOTEIO)
# become EIO.
# --every N fails exactly every Nth request of the counted ops, the others
# are served correctly, and faulty's summary counts them.
# timeout: 300
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd fio dd python3 cmp
FAULTY=${FAULTY:-$BUSE_TOP/examples/faulty}
need_file "$BUSECTL" "$FAULTY"

strerror() { python3 -c "import errno, os; print(os.strerror(errno.$1))"; }

add_dev 1 --size 16M --queues 1 --depth 16

# start_faulty ARGS...: serve device 1 with faulty ARGS; sets eng.
start_faulty() {
	start_engine "$FAULTY" 1 "$@"
	eng=$LAST_PID
}
# stop_faulty: SIGTERM, status 0; keeps its summary in faulty.summary.
stop_faulty() {
	stop_engine "$eng" TERM
	grep "requests, " "$BUSE_CASE_DIR/engine-faulty-1.log" | tail -n 1 > faulty.summary
	log "$(cat faulty.summary)"
}

head -c 65536 /dev/urandom > data

# --- EIO on every READ; writes are served --------------------------------
start_faulty --mode fail --errno EIO --ops read
dd if=data of=/dev/buse1 bs=4096 count=16 oflag=direct 2>dd.err ||
	die "writes failed although only reads are faulty: $(cat dd.err)"
rc=0
timeout 30 dd if=/dev/buse1 of=out bs=4096 count=1 iflag=direct 2>dd.err || rc=$?
[ $rc -ne 124 ] || die "a failing read hung"
[ $rc -ne 0 ] || die "a read succeeded although every read fails"
grep -q "$(strerror EIO)" dd.err || die "dd read: expected '$(strerror EIO)', got: $(cat dd.err)"
log "dd read: $(grep -m1 error dd.err)"

rc=0
timeout 60 fio --name=eio --filename=/dev/buse1 --direct=1 --ioengine=psync \
	--rw=read --bs=4k --size=64k --output-format=normal > fio-eio.out 2>&1 || rc=$?
[ $rc -ne 124 ] || die "fio hung on failing reads"
[ $rc -ne 0 ] || { cat fio-eio.out; die "fio succeeded although every read fails"; }
grep -q 'err= *5\b' fio-eio.out || { cat fio-eio.out; die "fio did not report err=5 (EIO)"; }
grep -q "$(strerror EIO)" fio-eio.out || { cat fio-eio.out; die "fio did not print '$(strerror EIO)'"; }
log "fio read: $(grep -m1 -o 'err= *5[^)]*)' fio-eio.out)"
stop_faulty

# --- ENOSPC on every WRITE; reads are served ---------------------------------
start_faulty --mode fail --errno ENOSPC --ops write
dd if=/dev/buse1 of=out bs=4096 count=4 iflag=direct 2>dd.err ||
	die "reads failed although only writes are faulty: $(cat dd.err)"
rc=0
timeout 30 dd if=data of=/dev/buse1 bs=4096 count=1 oflag=direct 2>dd.err || rc=$?
[ $rc -ne 124 ] || die "a failing write hung"
[ $rc -ne 0 ] || die "a write succeeded although every write fails"
grep -q "$(strerror ENOSPC)" dd.err || die "dd write: expected '$(strerror ENOSPC)', got: $(cat dd.err)"
log "dd write: $(grep -m1 error dd.err)"

rc=0
timeout 60 fio --name=enospc --filename=/dev/buse1 --direct=1 --ioengine=psync \
	--rw=write --bs=4k --size=64k --output-format=normal > fio-enospc.out 2>&1 || rc=$?
[ $rc -ne 124 ] || die "fio hung on failing writes"
[ $rc -ne 0 ] || { cat fio-enospc.out; die "fio succeeded although every write fails"; }
grep -q 'err= *28\b' fio-enospc.out || { cat fio-enospc.out; die "fio did not report err=28 (ENOSPC)"; }
grep -q "$(strerror ENOSPC)" fio-enospc.out || { cat fio-enospc.out; die "fio did not print '$(strerror ENOSPC)'"; }
log "fio write: $(grep -m1 -o 'err= *28[^)]*)' fio-enospc.out)"
stop_faulty
grep -q '[1-9][0-9]* faults (fail with No space left on device)' faulty.summary ||
	die "faulty's summary does not count the ENOSPC faults: $(cat faulty.summary)"

# --- The other errnos the driver carries, and one it does not -----------------
# EREMCHG, EBUSY, ENOMEM, EAGAIN, ENODEV, EREMOTEIO are block statuses the
# block layer keeps for itself (dm requeue, io_uring reissue, path
# handling): from a server they must become EIO too.
for e in ETIMEDOUT ENOLINK ENODATA EILSEQ EOPNOTSUPP EPERM \
	 EREMCHG EBUSY ENOMEM EAGAIN ENODEV EREMOTEIO; do
	case $e in
	ETIMEDOUT|ENOLINK|ENODATA|EILSEQ|EOPNOTSUPP) want=$e ;;
	*) want=EIO ;;	# not carried: becomes EIO
	esac
	start_faulty --mode fail --errno "$e" --ops read
	rc=0
	timeout 30 dd if=/dev/buse1 of=out bs=4096 count=1 iflag=direct 2>dd.err || rc=$?
	[ $rc -ne 124 ] || die "a read failing with $e hung"
	[ $rc -ne 0 ] || die "a read succeeded although reads fail with $e"
	grep -q "$(strerror "$want")" dd.err ||
		die "engine errno $e: dd expected '$(strerror "$want")', got: $(cat dd.err)"
	log "engine $e -> dd: $(grep -m1 error dd.err)"
	stop_faulty
done

# --- Every 4th READ fails; the others return the right data ---------------------
start_faulty --mode fail --errno EIO --ops read --every 4
dd if=data of=/dev/buse1 bs=4096 count=16 oflag=direct 2>dd.err || die "writes failed: $(cat dd.err)"
pattern=
for i in 0 1 2 3 4 5 6 7 8 9 10 11; do
	if dd if=/dev/buse1 of=blk bs=4096 count=1 skip=$i iflag=direct 2>dd.err; then
		dd if=data of=want bs=4096 count=1 skip=$i 2>/dev/null
		cmp -s blk want || die "read $((i + 1)) succeeded with the wrong data"
		pattern="$pattern ok"
	else
		grep -q "$(strerror EIO)" dd.err || die "read $((i + 1)): $(cat dd.err)"
		pattern="$pattern EIO"
	fi
done
want=" ok ok ok EIO ok ok ok EIO ok ok ok EIO"
[ "$pattern" = "$want" ] || die "every 4th read should fail: got$pattern, expected$want"
log "12 reads with --every 4:$pattern"

# fio: random 4k reads at depth 1 (one request each), errors let through:
# a quarter of them fail.  faulty counts every request it got.
rc=0
timeout 120 fio --name=every4 --filename=/dev/buse1 --direct=1 --ioengine=psync \
	--rw=randread --bs=4k --number_ios=200 --size=16M --norandommap \
	--continue_on_error=read --output-format=normal > fio-every4.out 2>&1 || rc=$?
[ $rc -ne 124 ] || die "fio with every 4th read failing hung"
fio_errs=$(grep -oE 'errors *: *total=[0-9]+' fio-every4.out | grep -oE '[0-9]+$')
[ -n "$fio_errs" ] || { cat fio-every4.out; die "fio printed no error count"; }
stop_faulty
# (No process substitution: the VM has no /dev/fd.)
counts=$(sed -n 's/^faulty: \([0-9]*\) requests, \([0-9]*\) faults.*/\1 \2/p' faulty.summary)
req=${counts% *}
faults=${counts#* }
[ -n "$counts" ] || die "no summary from faulty"
reads=$((req - 16))		# 16 writes, the rest reads
fio_reads=$((reads - 12))	# 12 reads by dd
[ "$fio_reads" -ge 100 ] || { cat fio-every4.out; die "fio issued only $fio_reads reads"; }
[ "$faults" -eq $((reads / 4)) ] ||
	die "faulty failed $faults of $reads reads with --every 4 (expected $((reads / 4)))"
[ "$fio_errs" -eq $((faults - 3)) ] ||
	die "fio saw $fio_errs errors, but faulty failed $((faults - 3)) of its $fio_reads reads"
log "fio: $fio_reads reads, $fio_errs failed (faulty: $req requests, $faults faults)"

remove_dev 1
exit 0
