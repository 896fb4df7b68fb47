#!/usr/bin/env bash
# hvsim.sh — the two set-up commands of the README, on a fresh Debian 12:
#   ./hvsim.sh          install what is missing, build, run the default scenario
#                       (in the classroom window when a display is present)
#   ./hvsim.sh test     install what is missing, build with -Werror, run every test
# Extra arguments after "run" go to `hvsim run` (e.g. ./hvsim.sh run --vendor amd);
#   ./hvsim.sh lesson ...   `hvsim lesson ...` (docs/lessons.md)
# Packages come from Debian's archive with apt-get (as root, or through sudo).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build="$here/build"

packages=(
	gcc libc6-dev pkg-config meson ninja-build python3
	libglib2.0-dev libglib2.0-dev-bin libunicorn-dev libcapstone-dev
	# The VMBus ring fuzz test (tests/vmbus): clang, and libFuzzer/ASan's
	# runtime, which is only a Recommends of clang-14 on Debian 12.
	clang libclang-rt-14-dev
	# The architecture view (gui/): Cairo, the font it names, and GTK4 for
	# the classroom window; xvfb and xauth for its screenshot smoke test
	# (xvfb-run), which is skipped without them; xdotool for the key-press
	# test (tests/gui/keys-xdotool.sh).
	libcairo2-dev fonts-dejavu-core libgtk-4-dev xvfb xauth xdotool
	# The native tests (tests/native): Debian's kernel, with its KVM modules,
	# booted in qemu with busybox; json-glib reads traces for `hvsim compare`.
	qemu-system-x86 linux-image-amd64 busybox-static cpio libjson-glib-dev
)

say() { printf 'hvsim.sh: %s\n' "$*" >&2; }

install_missing() {
	local missing=()
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing from Debian's archive: ${missing[*]}"
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || { say "need root (or sudo) to apt-get install: ${missing[*]}"; exit 1; }
		sudo=(sudo)
	fi
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

configure() {
	if [ -f "$build/build.ninja" ]; then
		meson configure "$build" -Dwerror=true >/dev/null
	else
		meson setup "$build" "$here" -Dwerror=true
	fi
	ninja -C "$build"
}

# Whether hvsim-gui understands these run arguments: a scenario and --vendor.
gui_takes() {
	while [ $# -gt 0 ]; do
		case "$1" in
		--vendor) [ $# -ge 2 ] || return 1; shift 2 ;;
		--vendor=*) shift ;;
		-*) return 1 ;;
		*) shift ;;
		esac
	done
	return 0
}

cmd=${1:-run}
[ $# -gt 0 ] && shift
case "$cmd" in
run)
	install_missing
	configure
	# With a display, the classroom window; without one, with
	# HVSIM_HEADLESS=1, or with options only the CLI has (--trace, ...),
	# the headless CLI.
	if [ -z "${HVSIM_HEADLESS:-}" ] && { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; } &&
	   [ -x "$build/gui/hvsim-gui" ] && gui_takes "$@"; then
		exec "$build/gui/hvsim-gui" "$@"
	fi
	exec "$build/sim/hvsim" run "${@:-boot}"
	;;
test)
	install_missing
	configure
	status=0
	meson test -C "$build" --print-errorlogs "$@" || status=$?
	# One plain closing line for CI: "N passed, N failed".
	python3 - "$build/meson-logs/testlog.json" <<'EOF'
import json, sys
ok = bad = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("result") in ("OK", "EXPECTEDFAIL", "SKIP"):
        ok += 1
    else:
        bad += 1
print(f"{ok} passed, {bad} failed")
EOF
	exit $status
	;;
bench)
	install_missing
	configure
	exec "$build/sim/hvsim" bench "$@"
	;;
lesson)
	install_missing
	configure
	exec "$build/sim/hvsim" lesson "$@"
	;;
*)
	say "unknown command '$cmd': use run (default), test, bench or lesson"
	exit 2
	;;
esac
