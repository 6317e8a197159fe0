#!/bin/bash
# buse-http and the cache filter against lighttpd on the loopback address:
# an ext4 image served from a URL reads back byte for byte, fsck finds it
# clean and a file in it has its checksum; parallel random reads run clean;
# the device is read-only.  A server that ignores Range (python's
# http.server answers 200) is refused with a message, no device left.  A
# server that dies mid-run fails reads with EIO within the retries, no
# hang, and reads work again once it is back; a stalled (SIGSTOPped)
# server's reads end with ETIMEDOUT at the device's --timeout.  buse-cache fetches each
# block once: a second run with the same files reads everything with the
# server stopped; an image changed on the server (another ETag) is
# refused, not served stale; after a SIGKILL the cache still serves the
# right bytes.  --offline serves the cache with the server down (a block
# not cached: EIO).  Write-through over "file -w" writes reach the image.
# HTTPS: a self-signed certificate refused, accepted with --insecure.  A
# lying server (tests/integration/liar-http.py): bodies cut short, other
# bytes, another ETag: EIO and a message, never wrong data; 503s retried
# up to --retries; a redirect followed once.
# timeout: 540
. "$BUSE_TOP/tests/integration/lib.sh"
need_cmd lighttpd openssl python3 mkfs.ext4 fsck.ext4 cmp fio sha256sum
HTTP=$BUSE_TOP/examples/http
CACHE=$BUSE_TOP/examples/cache
need_file "$HTTP" "$CACHE"

d=/tmp/buse-66
rm -rf "$d"
mkdir -p "$d/www" "$d/tree"
on_exit "rm -rf $d"
head -c 3M /dev/urandom >"$d/tree/blob"
mkfs.ext4 -q -F -b 4096 -d "$d/tree" "$d/www/disk.img" 48M ||
	die "mkfs.ext4 -d failed"
sum=$(sha256sum <"$d/tree/blob" | cut -d' ' -f1)

port=18066
start_lighttpd "$d/www" $port
url=http://127.0.0.1:$port/disk.img

# buse-http alone: the image, read-only, fsck clean, the file intact.
start_created "$HTTP" --create --connections 4 "$url"
http=$LAST_PID
n=$LAST_INDEX
[ "$(dev_size "$n")" = $((48 << 20)) ] || die "/dev/buse$n has $(dev_size "$n") bytes, expected 48M"
[ "$(blockdev --getro /dev/buse$n)" = 1 ] || die "/dev/buse$n is not read-only"
cmp /dev/buse$n "$d/www/disk.img" || die "/dev/buse$n differs from the image"
fsck.ext4 -n -f /dev/buse$n >"$BUSE_CASE_DIR/fsck.out" 2>&1 ||
	{ cat "$BUSE_CASE_DIR/fsck.out" >&2; die "fsck.ext4 -n found errors on /dev/buse$n"; }
mkdir -p /mnt/66
mount -o ro /dev/buse$n /mnt/66 || die "mount -o ro /dev/buse$n failed"
got=$(sha256sum </mnt/66/blob | cut -d' ' -f1)
umount /mnt/66
[ "$got" = "$sum" ] || die "the file in the image read back with another checksum"
fio_ok http-rand --filename=/dev/buse$n --ioengine=libaio --rw=randread \
	--bs=16k --iodepth=16 --numjobs=4 --time_based --runtime=4 --readonly
rc=0
dd if=/dev/zero of=/dev/buse$n bs=4k count=1 oflag=direct status=none 2>/dev/null || rc=$?
[ $rc -ne 0 ] || die "a write to the read-only /dev/buse$n succeeded"

# The server dies: reads fail with EIO (after the retries), never hang;
# back again, reads work.
stop_engine "$http" TERM
wait_dev_gone "$n"
start_created "$HTTP" --create --retries 2 --http-timeout 5 "$url"
http=$LAST_PID
n=$LAST_INDEX
stop_lighttpd
out=$(timed_read /dev/buse$n 100) || die "timed_read did not finish"
read -r ms res <<<"$out"
log "read with the server gone: $res after $ms ms"
[ "$res" = EIO ] || die "a read with the server gone gave $res, expected EIO"
start_lighttpd "$d/www" $port
out=$(timed_read /dev/buse$n 100) || die "timed_read did not finish"
read -r ms res <<<"$out"
[ "$res" = OK ] || die "a read with the server back gave $res"
stop_engine "$http" TERM
wait_dev_gone "$n"

# A stalled server (SIGSTOP): the device's --timeout ends the read with
# ETIMEDOUT (buse-http drops the transfer when the kernel cancels it);
# once the server runs again, reads work and the engine stops cleanly.
start_created "$HTTP" --create --timeout 2 "$url"
http=$LAST_PID
n=$LAST_INDEX
kill -STOP "$LIGHTTPD"
out=$(timed_read /dev/buse$n 200) || { kill -CONT "$LIGHTTPD"; die "timed_read did not finish"; }
kill -CONT "$LIGHTTPD"
read -r ms res <<<"$out"
log "read with the server stopped: $res after $ms ms"
[ "$res" = ETIMEDOUT ] || die "a read from a stalled server gave $res, expected ETIMEDOUT"
out=$(timed_read /dev/buse$n 200) || die "timed_read did not finish"
read -r ms res <<<"$out"
[ "$res" = OK ] || die "a read with the server running again gave $res"
stop_engine "$http" TERM
wait_dev_gone "$n"

# A server without Range support is refused.
python3 -m http.server --bind 127.0.0.1 --directory "$d/www" $((port + 1)) \
	>"$d/pyhttp.out" 2>&1 &
pyhttp=$!
bg_track "$pyhttp"
wait_until 10 _port_open $((port + 1)) || die "python3 -m http.server did not start"
rc=0
timeout 30 "$HTTP" --create "http://127.0.0.1:$((port + 1))/disk.img" \
	>"$BUSE_CASE_DIR/norange.out" 2>"$BUSE_CASE_DIR/norange.err" || rc=$?
kill "$pyhttp"
[ $rc -eq 1 ] || die "buse-http against a server without Range: status $rc, expected 1"
grep -q 'ignored a Range request' "$BUSE_CASE_DIR/norange.err" ||
	die "no clear message without Range: $(cat "$BUSE_CASE_DIR/norange.err")"
[ "$(ls /sys/block | grep -c '^buse')" = 0 ] || die "a device was left after the refusal"

# check_block N BLOCK WANT WHAT: a direct read of 4 KiB block BLOCK of
# /dev/buseN gives WANT (OK: and the image's bytes); WHAT names the check.
check_block() {
	local out ms res
	rm -f "$d/blk"
	out=$(timed_read /dev/buse$1 "$2" "$d/blk") || die "timed_read did not finish ($4)"
	read -r ms res <<<"$out"
	log "$4: block $2 gave $res after $ms ms"
	[ "$res" = "$3" ] || die "$4: block $2 gave $res, expected $3"
	if [ "$3" = OK ]; then
		dd if="$d/www/disk.img" of="$d/blk.want" bs=4096 skip="$2" count=1 status=none
		cmp "$d/blk" "$d/blk.want" || die "$4: block $2 read back other bytes"
	fi
}

# A lying server (liar-http.py, lying only past the first MiB): a body
# cut short by the server dying mid-read, every time, ends with EIO after
# the retries; cut short once, the retry reads the right bytes; other
# bytes than those asked for (another Content-Range, or none) or another
# ETag end with EIO and a message, never with the wrong data.  Two 503s
# per range are retried past with --retries 2, not with --retries 1.  A
# redirect is followed once, by the probe: reads go to the final URL.
# Blocks below 1 MiB are still served.
liar_port=$((port + 3))
# liar MODE RETRIES WANT: a read at 2 MiB through buse-http --retries
# RETRIES from liar-http.py MODE gives WANT (OK: the image's bytes).
liar() {
	local mode=$1 retries=$2 want=$3 liar log=$BUSE_CASE_DIR/liar-$1-$2.log
	python3 "$BUSE_TOP/tests/integration/liar-http.py" "$mode" $liar_port \
		"$d/www/disk.img" >"$log" 2>&1 &
	liar=$!
	bg_track "$liar"
	wait_until 10 _port_open $liar_port || die "liar-http.py $mode did not start"
	start_created "$HTTP" --create --retries "$retries" --http-timeout 5 \
		"http://127.0.0.1:$liar_port/disk.img"
	http=$LAST_PID
	n=$LAST_INDEX
	check_block "$n" 512 "$want" "liar $mode, --retries $retries"
	check_block "$n" 16 OK "liar $mode, below 1 MiB"
	stop_engine "$http" TERM
	wait_dev_gone "$n"
	kill "$liar"
	wait "$liar" 2>/dev/null
	LIAR_LOG=$log
}
liar short 3 EIO
liar flaky 3 OK
grep -q "half, then closed" "$LIAR_LOG" || die "liar flaky: the server never cut a body short"
liar shifted 3 EIO
grep -q 'with other bytes' "$LAST_ERR" || die "liar shifted: no message: $(cat "$LAST_ERR")"
liar etag 3 EIO
grep -q 'another ETag' "$LAST_ERR" || die "liar etag: no message: $(cat "$LAST_ERR")"
liar unlabelled 3 EIO
grep -q 'with other bytes' "$LAST_ERR" || die "liar unlabelled: no message: $(cat "$LAST_ERR")"
liar busy 2 OK
[ "$(grep -c ' 2097152-2101247 503' "$LIAR_LOG")" = 2 ] || die "liar busy: not two 503s before the answer"
liar busy 1 EIO
liar redirect 3 OK
[ "$(grep -c '^redirect /disk.img .* redirected$' "$LIAR_LOG")" = 1 ] ||
	die "liar redirect: the original URL was asked more than once: $(cat "$LIAR_LOG")"

# HTTPS (libcurl's TLS): a self-signed certificate is refused with a
# message, and served with --insecure.
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 1 \
	-keyout "$d/tls.pem" -out "$d/tls.crt" 2>/dev/null || die "openssl req failed"
cat "$d/tls.crt" >>"$d/tls.pem"
main_lighttpd=$LIGHTTPD
start_lighttpd "$d/www" $((port + 2)) "$d/tls.pem"
tls=$LIGHTTPD
surl=https://127.0.0.1:$((port + 2))/disk.img
rc=0
timeout 30 "$HTTP" --create "$surl" >/dev/null 2>"$BUSE_CASE_DIR/tls.err" || rc=$?
[ $rc -eq 1 ] || die "buse-http with an untrusted certificate: status $rc, expected 1"
grep -qi 'certificate' "$BUSE_CASE_DIR/tls.err" ||
	die "no message about the certificate: $(cat "$BUSE_CASE_DIR/tls.err")"
start_created "$HTTP" --create --insecure "$surl"
http=$LAST_PID
n=$LAST_INDEX
cmp /dev/buse$n "$d/www/disk.img" || die "the HTTPS device differs from the image"
stop_engine "$http" TERM
wait_dev_gone "$n"
stop_lighttpd
LIGHTTPD=$main_lighttpd

# buse-cache over http: the first run fetches, the second reads the cache
# with the server stopped.
C=$d/disk.cache
B=$d/disk.bmp
start_created "$CACHE" --cache "$C" --bitmap "$B" --create -- http "$url"
cache=$LAST_PID
n=$LAST_INDEX
cmp /dev/buse$n "$d/www/disk.img" || die "the cached device differs from the image (first run)"
# Everything read is cached: read again with the server stopped (direct
# I/O, past the page cache); a block not cached would fail with EIO.
stop_lighttpd
dd if=/dev/buse$n of="$d/again" bs=1M iflag=direct status=none ||
	die "reading the cached blocks again with the server stopped failed"
cmp "$d/again" "$d/www/disk.img" || die "the cached device differs from the image (second read)"
rm -f "$d/again"
start_lighttpd "$d/www" $port
stop_engine "$cache" TERM
wait_dev_gone "$n"
grep -q "holds 0 of 768 blocks" "$LAST_ERR" || die "the first run did not start from an empty cache: $(cat "$LAST_ERR")"
grep -q "768 of 768 blocks cached" "$LAST_ERR" || die "the first run did not cache every block: $(cat "$LAST_ERR")"

# Second run: everything from the cache.  The server must answer the probe
# (the identity is checked), then it is stopped.
start_created "$CACHE" --cache "$C" --bitmap "$B" --create -- http "$url"
cache=$LAST_PID
n=$LAST_INDEX
grep -q "holds 768 of 768 blocks" "$LAST_ERR" || die "the second run does not find the cache full: $(cat "$LAST_ERR")"
stop_lighttpd
cmp /dev/buse$n "$d/www/disk.img" || die "the cache read with the server stopped differs from the image"
fsck.ext4 -n -f /dev/buse$n >"$BUSE_CASE_DIR/fsck2.out" 2>&1 ||
	{ cat "$BUSE_CASE_DIR/fsck2.out" >&2; die "fsck.ext4 -n found errors on the cached device"; }
stop_engine "$cache" TERM
wait_dev_gone "$n"
grep -q " 0 fetched below" "$LAST_ERR" || die "the second run fetched from below: $(cat "$LAST_ERR")"
start_lighttpd "$d/www" $port

# --offline: the server down from the start; the cache is served as the
# bitmap records it (size, identity), the server never contacted.  A
# cache of another kind of engine is refused; a partial cache serves what
# it holds, the rest fails with EIO.
stop_lighttpd
start_created "$CACHE" --cache "$C" --bitmap "$B" --offline --create -- http "$url"
cache=$LAST_PID
n=$LAST_INDEX
grep -q "offline: serving http http://127.0.0.1:$port/disk.img size=" "$LAST_ERR" ||
	die "--offline does not say what it serves: $(cat "$LAST_ERR")"
[ "$(blockdev --getro /dev/buse$n)" = 1 ] || die "the offline device is not read-only"
[ "$(dev_size "$n")" = $((48 << 20)) ] || die "the offline device has $(dev_size "$n") bytes, expected 48M"
cmp /dev/buse$n "$d/www/disk.img" || die "the offline cache differs from the image"
stop_engine "$cache" TERM
wait_dev_gone "$n"
grep -q " 0 fetched below" "$LAST_ERR" || die "the offline run fetched from below: $(cat "$LAST_ERR")"
rc=0
timeout 30 "$CACHE" --cache "$C" --bitmap "$B" --offline --create -- nbd nbd://127.0.0.1:1 \
	>/dev/null 2>"$BUSE_CASE_DIR/offline-kind.err" || rc=$?
[ $rc -eq 1 ] || die "--offline over another kind of engine: status $rc, expected 1"
grep -q 'not what a nbd engine serves' "$BUSE_CASE_DIR/offline-kind.err" ||
	die "no clear message for --offline over nbd: $(cat "$BUSE_CASE_DIR/offline-kind.err")"
start_lighttpd "$d/www" $port
start_created "$CACHE" --cache "$d/part.cache" --bitmap "$d/part.bmp" --create -- http "$url"
cache=$LAST_PID
n=$LAST_INDEX
dd if=/dev/buse$n of=/dev/null bs=1M count=1 iflag=direct status=none || die "reading the first MiB failed"
stop_engine "$cache" TERM
wait_dev_gone "$n"
stop_lighttpd
start_created "$CACHE" --cache "$d/part.cache" --bitmap "$d/part.bmp" --offline --create -- http "$url"
cache=$LAST_PID
n=$LAST_INDEX
grep -q "not cached fail (EIO)" "$LAST_ERR" || die "--offline over a partial cache does not warn: $(cat "$LAST_ERR")"
check_block "$n" 16 OK "--offline, a cached block"
check_block "$n" 4096 EIO "--offline, a block not cached"
stop_engine "$cache" TERM
wait_dev_gone "$n"
start_lighttpd "$d/www" $port

# The image changes on the server: another ETag, refused.
printf 'changed' | dd of="$d/www/disk.img" bs=1 seek=$((1 << 20)) conv=notrunc status=none
touch -d '+1 minute' "$d/www/disk.img"
rc=0
timeout 30 "$CACHE" --cache "$C" --bitmap "$B" --create -- http "$url" \
	>"$BUSE_CASE_DIR/stale.out" 2>"$BUSE_CASE_DIR/stale.err" || rc=$?
[ $rc -eq 1 ] || die "buse-cache over a changed image: status $rc, expected 1"
grep -q 'refusing to serve stale data' "$BUSE_CASE_DIR/stale.err" ||
	die "no clear message for a changed image: $(cat "$BUSE_CASE_DIR/stale.err")"
[ "$(ls /sys/block | grep -c '^buse')" = 0 ] || die "a device was left after the refusal"

# SIGKILL mid-read: what the cache kept afterwards is right.
rm -f "$C" "$B"
start_created "$CACHE" --cache "$C" --bitmap "$B" --create -- http "$url"
cache=$LAST_PID
n=$LAST_INDEX
dd if=/dev/buse$n of=/dev/null bs=1M count=20 iflag=direct status=none &
ddp=$!
sleep 1
kill -KILL "$cache"
wait "$ddp" 2>/dev/null
wait "$cache" 2>/dev/null
timeout 30 "$BUSECTL" remove "$n" --force >/dev/null 2>&1
wait_dev_gone "$n"
start_created "$CACHE" --cache "$C" --bitmap "$B" --create -- http "$url"
cache=$LAST_PID
n=$LAST_INDEX
log "after SIGKILL: $(grep holds "$LAST_ERR")"
cmp /dev/buse$n "$d/www/disk.img" || die "after a SIGKILL the cache serves other bytes"
stop_engine "$cache" TERM
wait_dev_gone "$n"
stop_lighttpd

# Write-through over a writable image file: writes reach the image.
truncate -s 32M "$d/rw.img"
rm -f "$C" "$B"
start_created "$CACHE" --cache "$C" --bitmap "$B" --write-through --create \
	-- file --writable "$d/rw.img"
cache=$LAST_PID
n=$LAST_INDEX
[ "$(blockdev --getro /dev/buse$n)" = 0 ] || die "the write-through device is read-only"
fio_ok wt --filename=/dev/buse$n --ioengine=libaio --rw=randrw --bs=8k \
	--iodepth=8 --numjobs=2 --size=16M --offset_increment=16M \
	--verify=crc32c --do_verify=1
sync
cmp /dev/buse$n "$d/rw.img" || die "after write-through the image differs from the device"
stop_engine "$cache" TERM
wait_dev_gone "$n"
exit 0
