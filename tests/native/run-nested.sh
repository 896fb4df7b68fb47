#!/usr/bin/env bash
# run-nested.sh — run commands on a real KVM: boots Debian's own kernel
# (package linux-image-amd64) in qemu-system-x86_64 with TCG and `-cpu max`,
# an emulated CPU that has AMD-V, so the kernel's kvm-amd gives a real
# /dev/kvm inside; runs hvsim there and reports what the commands printed
# and their exit status. Runs on the build host; everything it uses comes
# from Debian's archive (hvsim.sh installs it). docs/native-testing.md is
# the manual.
#
#   tests/native/run-nested.sh [OPTIONS] BUILD_DIR -- CMD [ARGS...] [-- CMD [ARGS...]]...
#
# Inside, `hvsim` and `kvm-selftest` (from BUILD_DIR) are on PATH, the
# working directory is /work, files given with --in are in /in, and what
# the commands write to /out is copied back to the --out directory.
# Options:
#   --timeout SECS   kill the machine after SECS seconds (default 600)
#   --in FILE        copy FILE into the machine's /in (repeatable)
#   --out DIR        copy the machine's /out into DIR afterwards
#   --bin FILE       also install the executable FILE (and its libraries)
#   --mem MIB        memory of the machine (default 1536)
#   --verbose        also show the kernel's and /init's own lines
# Exit status: the first non-zero status of the commands, else 0;
# 77 when something the harness needs is not installed (a test skip);
# 125 when the harness itself failed (no boot, no /dev/kvm, timeout).
set -euo pipefail

# The machine prints these markers on its console (ttyS0); the rest of the
# console is the commands' own output.
readonly MARK=HVSIM-NESTED
readonly EXIT_SKIP=77
readonly EXIT_HARNESS=125

say() { printf 'run-nested: %s\n' "$*" >&2; }
skip() { say "SKIP: $*"; exit $EXIT_SKIP; }
fail() { say "error: $*"; exit $EXIT_HARNESS; }
usage() { sed -n '9,26p' "$0" | sed 's/^# \{0,1\}//' >&2; exit $EXIT_HARNESS; }

timeout_s=600
mem_mib=1536
verbose=0
ins=()
bins=()
out_dir=
while [ $# -gt 0 ]; do
	case "$1" in
	--timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
	--mem) [ $# -ge 2 ] || usage; mem_mib=$2; shift 2 ;;
	--in) [ $# -ge 2 ] || usage; ins+=("$2"); shift 2 ;;
	--out) [ $# -ge 2 ] || usage; out_dir=$2; shift 2 ;;
	--bin) [ $# -ge 2 ] || usage; bins+=("$2"); shift 2 ;;
	--verbose) verbose=1; shift ;;
	-h|--help) usage ;;
	-*) say "unknown option '$1'"; usage ;;
	*) break ;;
	esac
done
[ $# -ge 3 ] && [ "$2" = "--" ] || usage
case "$timeout_s" in ''|*[!0-9]*) fail "--timeout: '$timeout_s' is not a whole number of seconds" ;; esac
case "$mem_mib" in ''|*[!0-9]*) fail "--mem: '$mem_mib' is not a whole number of MiB" ;; esac
# (timeout(1) takes 0 as "no limit"; the kernel and hvsim need some room.)
[ ${#timeout_s} -le 6 ] && [ "$timeout_s" -ge 1 ] || fail "--timeout: $timeout_s is not between 1 and 999999 seconds"
[ ${#mem_mib} -le 6 ] && [ "$mem_mib" -ge 256 ] && [ "$mem_mib" -le 65536 ] || fail "--mem: $mem_mib is not between 256 and 65536 MiB"
build=$(cd "$1" && pwd) || fail "build directory '$1' does not exist"
shift 2

# --- What the harness needs (all from Debian's archive) -------------------
qemu=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 is not installed (package qemu-system-x86)"
command -v cpio >/dev/null || skip "cpio is not installed (package cpio)"
busybox=/bin/busybox
[ -x "$busybox" ] && "$busybox" --list >/dev/null 2>&1 || skip "no busybox (package busybox-static)"
ldd "$busybox" >/dev/null 2>&1 && skip "$busybox is dynamically linked: install busybox-static"
# The newest installed linux-image-amd64 kernel that has its modules.
kver=
for k in $(ls /boot 2>/dev/null | sed -n 's/^vmlinuz-//p' | sort -V -r); do
	if [ -r "/boot/vmlinuz-$k" ] && [ -f "/lib/modules/$k/modules.dep" ]; then kver=$k; break; fi
done
[ -n "$kver" ] || skip "no kernel with modules in /boot and /lib/modules (package linux-image-amd64)"
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || skip "$kernel is not readable (run as root, or make it readable)"
moddir=/lib/modules/$kver
hvsim=$build/sim/hvsim
[ -x "$hvsim" ] || fail "$hvsim is not built (ninja -C $build)"
bins=("$hvsim" "${bins[@]}")
[ -x "$build/tests/native/kvm-selftest" ] && bins+=("$build/tests/native/kvm-selftest")

# --- The initramfs: busybox, the KVM modules, the binaries and their libraries
work=$(mktemp -d "$build/tests/native/nested.XXXXXX" 2>/dev/null || mktemp -d)
qemu_pid=
cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,modules,in,out,work,tmp}
cp "$busybox" "$root/bin/busybox"

# Modules in load order: each one's dependencies (modules.dep lists them
# all, transitively, the last to be loaded first) before it, once each.
declare -A loaded=()
order=()
add_module() {
	local name=$1 line path deps dep
	line=$(grep -E "(^|/)$name\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | head -n1) ||
		fail "module $name is not in $moddir/modules.dep"
	path=${line%%:*}
	deps=${line#*:}
	for dep in $(printf '%s\n' $deps | tac); do
		add_path "$dep"
	done
	add_path "$path"
}
add_path() {
	local path=$1 base
	[ -n "${loaded[$path]:-}" ] && return 0
	loaded[$path]=1
	base=$(basename "$path")
	case "$base" in
	*.ko) cp "$moddir/$path" "$root/modules/$base" ;;
	*.ko.xz) xz -dc "$moddir/$path" >"$root/modules/${base%.xz}"; base=${base%.xz} ;;
	*.ko.zst) zstd -qdc "$moddir/$path" >"$root/modules/${base%.zst}"; base=${base%.zst} ;;
	*) fail "module file $path: unknown compression" ;;
	esac
	order+=("$base")
}
for m in irqbypass ccp kvm kvm-amd; do add_module "$m"; done
printf '%s\n' "${order[@]}" >"$root/modules/order"

# Each binary with every shared library ldd names (the loader included),
# at the same paths.
for b in "${bins[@]}"; do
	[ -x "$b" ] || fail "--bin $b: not an executable file"
	cp "$b" "$root/bin/$(basename "$b")"
	while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done < <(ldd "$b" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
done
for f in "${ins[@]}"; do
	[ -f "$f" ] || fail "--in $f: no such file"
	cp "$f" "$root/in/"
done

# The commands, one a line, each argument single-quoted for the shell.
quote() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }
line=
ncmd=0
for a in "$@" --; do
	if [ "$a" = "--" ]; then
		[ -n "$line" ] || fail "empty command"
		printf '%s\n' "$line" >>"$root/commands"
		ncmd=$((ncmd + 1))
		line=
	else
		line+="${line:+ }$(quote "$a")"
	fi
done

cat >"$root/init" <<EOF
#!/bin/busybox sh
# /init of the nested-KVM harness (written by tests/native/run-nested.sh).
/bin/busybox --install -s /bin
export PATH=/bin HOME=/work
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in \$(cat /modules/order); do
	insmod /modules/\$m || echo "$MARK ERROR insmod \$m failed"
done
if [ -c /dev/kvm ]; then
	echo "$MARK KVM /dev/kvm present"
	cd /work
	n=0
	while IFS= read -r cmd; do
		n=\$((n + 1))
		echo "$MARK BEGIN \$n"
		eval "\$cmd" </dev/null 2>&1
		echo "$MARK END \$n \$?"
	done </commands
	if [ -n "\$(ls /out)" ]; then
		stty -F /dev/ttyS1 raw -echo 2>/dev/null
		tar -c -C /out . | gzip -1 >/dev/ttyS1
		echo "$MARK OUT sent"
	fi
else
	echo "$MARK ERROR no /dev/kvm after loading the modules"
	dmesg | grep -i -E 'kvm|svm' | tail -n 20
fi
echo "$MARK DONE"
sync
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$work/initramfs.cpio" || fail "cpio failed"

# --- Boot -------------------------------------------------------------------
# TCG (this host's /dev/kvm may be a paravirtual one that cannot run an
# unmodified kernel), -cpu max for AMD-V inside. ttyS0 is the console;
# ttyS1 carries /out back as a gzip'd tar. panic=-1 and -no-reboot make a
# kernel panic end qemu at once instead of waiting for the timeout.
console=$work/console.log
started=$(date +%s%N)
set +e
timeout --kill-after=10 "$timeout_s" "$qemu" \
	-accel tcg -cpu max -smp 1 -m "$mem_mib" -nodefaults -no-reboot \
	-display none -monitor none \
	-chardev file,id=con,path="$console" -serial chardev:con \
	-chardev file,id=out,path="$work/out.tgz" -serial chardev:out \
	-kernel "$kernel" -initrd "$work/initramfs.cpio" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init" \
	</dev/null >"$work/qemu.log" 2>&1
qemu_status=$?
set -e
ms=$(( ($(date +%s%N) - started) / 1000000 ))
elapsed=$((ms / 1000)).$(printf %03d $((ms % 1000)))

tr -d '\r' <"$console" >"$work/console.txt"
if [ "$verbose" = 1 ]; then
	cat "$work/console.txt"
else
	# The commands' own output, between the markers.
	awk -v m="$MARK" '$1 == m && $2 == "BEGIN" { on = 1; next }
	                  $1 == m && $2 == "END" { on = 0; next }
	                  on { print }' "$work/console.txt"
fi
show_tail() { say "last lines of the console:"; tail -n 30 "$work/console.txt" >&2; cat "$work/qemu.log" >&2; }
[ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ] && { show_tail; fail "timed out after ${timeout_s} s"; }
[ "$qemu_status" = 0 ] || { show_tail; fail "qemu-system-x86_64 exited with status $qemu_status"; }
grep -q "^$MARK ERROR" "$work/console.txt" && { grep "^$MARK ERROR" "$work/console.txt" >&2; show_tail; fail "the machine could not run the commands"; }
grep -q "^$MARK DONE" "$work/console.txt" || { show_tail; fail "the machine stopped before running every command (kernel panic?)"; }

status=0
n=0
while read -r _ _ idx st; do
	n=$((n + 1))
	say "command $idx exited with status $st"
	[ "$status" = 0 ] && status=$st
done < <(grep "^$MARK END " "$work/console.txt")
[ "$n" = "$ncmd" ] || { show_tail; fail "$n of $ncmd commands finished"; }
if [ -n "$out_dir" ]; then
	mkdir -p "$out_dir"
	if grep -q "^$MARK OUT sent" "$work/console.txt"; then
		gzip -dc "$work/out.tgz" | tar -x -C "$out_dir" || fail "could not unpack the machine's /out"
	fi
fi
say "booted $kernel and ran $ncmd command(s) in $elapsed s"
exit "$status"
