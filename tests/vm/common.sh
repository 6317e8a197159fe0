# tests/vm/common.sh - sourced by the scripts of tests/vm.

# The default kernel for the VM: $BUSE_KREL, else the newest installed
# Debian 6.1 kernel (6.1.*-amd64: not the kernels scripts/build-kernel
# makes, 6.1.*-buse-debug) that has both /boot/vmlinuz-KREL and
# /lib/modules/KREL/build.
default_krel() {
	local k best=
	if [ -n "${BUSE_KREL:-}" ]; then
		echo "$BUSE_KREL"
		return
	fi
	for k in $(ls /boot/vmlinuz-6.1.*-amd64 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V); do
		[ -d "/lib/modules/$k/build" ] && best=$k
	done
	echo "$best"
}
