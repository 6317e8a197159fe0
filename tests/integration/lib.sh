# tests/integration/lib.sh - helpers for the integration cases (bash).
#
# Sourced by every tests/integration/cases/NN-name.sh.  The runner exports:
#   BUSE_TOP       the repository
#   BUSE_KO        the buse.ko to test (already loaded, unless the case says
#                  "# module: no" in its header)
#   BUSE_CASE_DIR  an empty writable directory for this case (the cwd)
# Cases exit 0 (pass), 1 (fail: use die) or 77 (skip: use skip).
# Every process a case starts in the background is killed when it exits.
set -u

: "${BUSE_TOP:?run the cases through tests/integration/runner}"
: "${BUSE_CASE_DIR:=$(mktemp -d /tmp/buse-case.XXXXXX)}"
BUSECTL=${BUSECTL:-$BUSE_TOP/ctl/busectl}
RAMDISK=${RAMDISK:-$BUSE_TOP/examples/ramdisk}
NULLENG=${NULLENG:-$BUSE_TOP/examples/null}
HOSTILE=${HOSTILE:-$BUSE_TOP/build/integration/hostile}
cd "$BUSE_CASE_DIR" || exit 1

# Seconds that a detached server or a removal may take to fail pending I/O,
# with TCG's slowness included (the contract says "well under a second").
IO_FAIL_SECS=${IO_FAIL_SECS:-$((10 * ${BUSE_TIME_SCALE:-1}))}

log() { echo "[$(date +%T)] $*"; }
die() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
	done
}

need_file() {
	local f
	for f in "$@"; do
		[ -x "$f" ] || die "$f is missing: build it first (make all; make -C tests/integration)"
	done
}

busectl() { "$BUSECTL" "$@"; }

# ---------------------------------------------------------------------------
# Cleanup: background processes registered with bg_track are killed on exit,
# then the commands registered with on_exit run (last registered first).
# Files registered with show_on_fail are printed when the case fails.
BG_PIDS=()
EXIT_CMDS=()
SHOW_FILES=()
bg_track() { BG_PIDS+=("$1"); }
on_exit() { EXIT_CMDS=("$*" "${EXIT_CMDS[@]}"); }
show_on_fail() {
	local f g
	for f in "$@"; do
		for g in "${SHOW_FILES[@]}"; do [ "$g" != "$f" ] || continue 2; done
		SHOW_FILES+=("$f")
	done
}
_lib_cleanup() {
	local rc=$? p c f
	for p in "${BG_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	if [ "$rc" -ne 0 ]; then
		for f in "${SHOW_FILES[@]}"; do
			[ -s "$f" ] || continue
			echo "---- $(basename "$f") ----" >&2
			cat "$f" >&2
		done
	fi
	for c in "${EXIT_CMDS[@]}"; do
		eval "$c" >/dev/null 2>&1
	done
	exit "$rc"
}
trap _lib_cleanup EXIT

# ---------------------------------------------------------------------------
# Waiting.

# wait_until SECS CMD... : run CMD every 0.1 s until it succeeds; 1 if it
# never did within SECS.
wait_until() {
	local secs=$1 end
	shift
	end=$(( $(date +%s%N) + secs * 1000000000 ))
	while ! "$@"; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

_nodes_exist() { [ -b "/dev/buse$1" ] && [ -c "/dev/busec$1" ]; }
_nodes_gone() { [ ! -e "/dev/buse$1" ] && [ ! -e "/dev/busec$1" ] && [ ! -e "/sys/block/buse$1" ]; }

# wait_for_dev N [SECS]: /dev/buseN (block) and /dev/busecN (char) exist.
wait_for_dev() {
	wait_until "${2:-10}" _nodes_exist "$1" ||
		die "/dev/buse$1 and /dev/busec$1 did not appear within ${2:-10} s"
}

# wait_dev_gone N [SECS]: the nodes and /sys/block/buseN are gone.
wait_dev_gone() {
	wait_until "${2:-10}" _nodes_gone "$1" ||
		die "/dev/buse$1 or /dev/busec$1 still exists ${2:-10} s after removal"
}

# dev_field N KEY: the value of "KEY: value" in `busectl info N`.
dev_field() {
	busectl info "$1" 2>/dev/null | sed -n "s/^$2: *//p"
}

# dev_state_is N STATE: busectl info N shows "state: STATE".
dev_state_is() { [ "$(dev_field "$1" state)" = "$2" ]; }

# dev_size N: the block device's capacity in bytes (0 if unknown).
dev_size() {
	blockdev --getsize64 "/dev/buse$1" 2>/dev/null || echo 0
}

_dev_ready() {
	[ "$(dev_field "$1" state)" = running ] && [ "$(dev_size "$1")" -gt 0 ]
}

# wait_ready N [SECS] [PID]: the engine is ready (state running and a non-zero
# capacity).  Fails at once if PID (the engine) exits first.
wait_ready() {
	local n=$1 secs=${2:-20} pid=${3:-} end
	end=$(( $(date +%s) + secs ))
	until _dev_ready "$n"; do
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			die "the engine for /dev/buse$n exited (status $?) before it was ready"
		fi
		[ "$(date +%s)" -lt "$end" ] ||
			die "/dev/buse$n not ready within $secs s (state '$(dev_field "$n" state)', size $(dev_size "$n"))"
		sleep 0.1
	done
}

# wait_exit PID SECS: wait for the background child PID to exit; returns its
# status, or 124 (and leaves it running) if it is still alive after SECS.
wait_exit() {
	local pid=$1 secs=$2 end
	end=$(( $(date +%s%N) + secs * 1000000000 ))
	while kill -0 "$pid" 2>/dev/null; do
		[ "$(date +%s%N)" -lt "$end" ] || return 124
		sleep 0.1
	done
	wait "$pid"
}

# ---------------------------------------------------------------------------
# Engines.  Output goes to $BUSE_CASE_DIR/engine-<pid>.log.

LAST_PID=
LAST_INDEX=

# start_engine BINARY N [ARGS...]: serve the existing device N with BINARY
# (examples/ramdisk or examples/null) in the background, and wait until it
# is ready.  Sets LAST_PID.
start_engine() {
	local bin=$1 n=$2 log
	shift 2
	need_file "$bin"
	log=$BUSE_CASE_DIR/engine-$(basename "$bin")-$n.log
	"$bin" "$@" "$n" >"$log" 2>&1 &
	LAST_PID=$!
	bg_track "$LAST_PID"
	show_on_fail "$log"
	wait_ready "$n" 20 "$LAST_PID"
	log "$(basename "$bin") $* $n: pid $LAST_PID, /dev/buse$n ready ($(dev_size "$n") bytes)"
}

# start_created BINARY ARGS...: run BINARY ARGS (which create a device:
# --create among them) in the background, wait for the "/dev/buseN" line
# it prints and for the device to be ready.  Sets LAST_PID, LAST_INDEX and
# LAST_ERR (its stderr).
start_created() {
	local bin=$1 out line
	shift
	need_file "$bin"
	out=$BUSE_CASE_DIR/engine-$(basename "$bin")-$RANDOM.out
	LAST_ERR=$out.err
	"$bin" "$@" >"$out" 2>"$LAST_ERR" &
	LAST_PID=$!
	bg_track "$LAST_PID"
	show_on_fail "$LAST_ERR"
	_created() { grep -qE '^/dev/buse[0-9]+$' "$out"; }
	if ! wait_until 30 _created; then
		cat "$out" "$LAST_ERR" >&2
		kill -0 "$LAST_PID" 2>/dev/null || die "$bin $* exited without printing /dev/buseN"
		die "$bin $* did not print /dev/buseN within 30 s"
	fi
	line=$(grep -m1 -E '^/dev/buse[0-9]+$' "$out")
	LAST_INDEX=${line#/dev/buse}
	[ -b "$line" ] || die "$bin printed $line, which is not a block device"
	wait_ready "$LAST_INDEX" 20 "$LAST_PID"
	log "$(basename "$bin") $*: pid $LAST_PID, $line ready"
}

# start_engine_create BINARY SIZE [ARGS...]: start_created BINARY --create
# --size SIZE ARGS...
start_engine_create() {
	local bin=$1 size=$2
	shift 2
	start_created "$bin" --create --size "$size" "$@"
}

# start_lighttpd DOCROOT PORT [PEM]: lighttpd serving DOCROOT on
# 127.0.0.1:PORT (with ETag and Last-Modified; HTTPS with the certificate
# and key in PEM), in the background until the case ends; waits until it
# accepts connections.  Sets LIGHTTPD (its pid).
# stop_lighttpd: stops it.
start_lighttpd() {
	local root=$1 port=$2 conf=$BUSE_CASE_DIR/lighttpd-$2.conf
	need_cmd lighttpd python3
	cat >"$conf" <<-EOF
	server.document-root = "$root"
	server.bind = "127.0.0.1"
	server.port = $port
	server.errorlog = "$BUSE_CASE_DIR/lighttpd-$port.err"
	# ETag and Last-Modified (a file's identity) come with a mimetype.
	mimetype.assign = ( "" => "application/octet-stream" )
	static-file.etags = "enable"
	EOF
	[ -z "${3:-}" ] || cat >>"$conf" <<-EOF
	server.modules += ( "mod_openssl" )
	ssl.engine = "enable"
	ssl.pemfile = "$3"
	EOF
	lighttpd -D -f "$conf" >"$BUSE_CASE_DIR/lighttpd-$port.out" 2>&1 &
	LIGHTTPD=$!
	bg_track "$LIGHTTPD"
	wait_until 10 _port_open "$port" ||
		die "lighttpd did not start: $(cat "$BUSE_CASE_DIR/lighttpd-$port.out" "$BUSE_CASE_DIR/lighttpd-$port.err" 2>/dev/null)"
}
stop_lighttpd() {
	kill "$LIGHTTPD" 2>/dev/null
	wait "$LIGHTTPD" 2>/dev/null
}
# _port_open PORT: something accepts connections on 127.0.0.1:PORT.
_port_open() {
	python3 -c "import socket, sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$1" 2>/dev/null
}

# stop_engine PID SIGNAL [SECS]: send SIGNAL and require a clean exit (0)
# within SECS (default 10).
stop_engine() {
	local pid=$1 sig=$2 secs=${3:-10} rc=0
	kill "-$sig" "$pid" 2>/dev/null || die "engine $pid is not running (before SIG$sig)"
	wait_exit "$pid" "$secs" || rc=$?
	[ $rc -ne 124 ] || die "engine $pid still running $secs s after SIG$sig"
	[ $rc -eq 0 ] || die "engine $pid exited with status $rc after SIG$sig (expected 0)"
	log "engine $pid exited with status 0 after SIG$sig"
}

# add_dev N [ARGS...]: busectl add N ARGS; checks that it printed N.
add_dev() {
	local n=$1 out
	shift
	out=$(busectl add "$n" "$@") || die "busectl add $n $* failed"
	[ "$out" = "$n" ] || die "busectl add $n $* printed '$out', expected '$n'"
	wait_for_dev "$n"
}

# remove_dev N: busectl remove N (bounded) and wait until the nodes are gone.
remove_dev() {
	timeout 30 "$BUSECTL" remove "$1" || die "busectl remove $1 failed (status $?)"
	wait_dev_gone "$1"
}

# ---------------------------------------------------------------------------
# fio.  Every run writes its report to $BUSE_CASE_DIR/fio-<name>.out.

# Options common to every fio run: direct I/O, no state files (the guest's
# root is read-only), stop at the first verify failure.
FIO_COMMON=(--direct=1 --verify_state_save=0 --verify_fatal=1 --verify_dump=0
	--allow_file_create=0 --output-format=normal)

# _fio_errs FILE: the sum of the err= values in a fio report.
_fio_errs() {
	grep -oE 'err= *[0-9]+' "$1" | grep -oE '[0-9]+' | awk '{s += $1} END {print s + 0}'
}

# fio_ok NAME [FIO ARGS...]: run fio; it must exit 0 and report err=0.
fio_ok() {
	local name=$1 out rc=0 errs
	shift
	out=$BUSE_CASE_DIR/fio-$name.out
	timeout -k 5 "${FIO_TIMEOUT:-300}" fio --name="$name" "${FIO_COMMON[@]}" "$@" \
		>"$out" 2>&1 || rc=$?
	errs=$(_fio_errs "$out")
	if [ $rc -ne 0 ] || [ "$errs" != 0 ] || ! grep -q 'err= *0' "$out"; then
		sed 's/^/    fio| /' "$out" >&2
		die "fio $name: exit status $rc, err= sum $errs (args: $*)"
	fi
	log "fio $name ok: $(grep -m2 -oE '(read|write): IOPS=[^,]*, BW=[^ ]*' "$out" | tr '\n' ' ')"
}

# fio_verify NAME DEV BS QD ENGINE SIZE [MORE ARGS...]: random writes of
# SIZE bytes over DEV with crc32c headers, then a read-back verify.
fio_verify() {
	local name=$1 dev=$2 bs=$3 qd=$4 engine=$5 size=$6
	shift 6
	fio_ok "$name" --filename="$dev" --ioengine="$engine" --rw=randwrite \
		--bs="$bs" --iodepth="$qd" --size="$size" --verify=crc32c \
		--do_verify=1 "$@"
}

# fio_bg NAME [FIO ARGS...]: start fio in the background; sets LAST_PID.
fio_bg() {
	local name=$1
	shift
	fio --name="$name" "${FIO_COMMON[@]}" "$@" >"$BUSE_CASE_DIR/fio-$name.out" 2>&1 &
	LAST_PID=$!
	bg_track "$LAST_PID"
}

# fio_bg_wait NAME PID SECS: wait for a background fio; sets FIO_RC (124:
# still running after SECS) and FIO_ERRS (the sum of its err= values).
fio_bg_wait() {
	local name=$1 pid=$2 secs=$3
	FIO_RC=0
	wait_exit "$pid" "$secs" || FIO_RC=$?
	FIO_ERRS=$(_fio_errs "$BUSE_CASE_DIR/fio-$name.out")
}

fio_show() { sed 's/^/    fio| /' "$BUSE_CASE_DIR/fio-$1.out" >&2; }

# ---------------------------------------------------------------------------
# timed_read DEV BLOCK [OUT]: one direct 4 KiB read of block BLOCK, timed
# around the read alone (process start-up in a loaded VM takes seconds);
# prints "MS RESULT" (RESULT: OK, or the errno's name, e.g. ETIMEDOUT) and
# writes the data to OUT if given.  Gives up after 30 s (status 124).
timed_read() {
	timeout 30 python3 - "$@" <<'PY'
import errno, mmap, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECT)
buf = mmap.mmap(-1, 4096)
t0 = time.monotonic()
try:
    os.preadv(fd, [buf], int(sys.argv[2]) * 4096)
    res = "OK"
except OSError as e:
    res = errno.errorcode.get(e.errno, str(e.errno))
ms = int((time.monotonic() - t0) * 1000)
if len(sys.argv) > 3:
    open(sys.argv[3], "wb").write(buf[:])
print(ms, res)
PY
}
