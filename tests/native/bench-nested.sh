#!/usr/bin/env bash
# bench-nested.sh — `hvsim bench native` on a real KVM: in the nested-KVM
# harness (run-nested.sh), or on this host when its own /dev/kvm passes
# `hvsim probe`. Runs on the build host; `meson test --benchmark` runs it.
# Prints the benchmark's `ratio NAME VALUE` lines; exits 77 (skip) when
# this build of hvsim has no `bench native`.
#
#   tests/native/bench-nested.sh BUILD_DIR [ARGS of hvsim bench native...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [ARGS...]" >&2; exit 2; }
build=$1
shift
hvsim=$build/sim/hvsim
# (The help is read whole: grep -q would close the pipe early.)
help=$("$hvsim" help 2>&1 || true)
if ! printf '%s\n' "$help" | grep -q 'bench .*native'; then
	echo "SKIP: $hvsim has no 'bench native' (no KVM backend in this build)"
	exit 77
fi
if "$hvsim" probe >/dev/null 2>&1; then
	exec "$hvsim" bench native "$@"
fi
# In the nested machine the CPU is emulated: its guests' clock is slowed to
# match, as in conformance.sh (docs/native.md#time). The wall-clock
# figures stay host time.
exec "$here/run-nested.sh" --timeout 1800 "$build" -- hvsim bench native --time-scale 100 "$@"
