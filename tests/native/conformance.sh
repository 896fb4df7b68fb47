#!/usr/bin/env bash
# conformance.sh — the native conformance test: every scenario `hvsim run`
# knows, run on a real KVM (`--backend kvm`, inside the nested-KVM harness
# run-nested.sh) and in the emulator on this host, must give equivalent
# traces (`hvsim compare --ignore-waits`) and the same exit status.
# Runs on the build host. docs/native-testing.md is the manual.
#
#   tests/native/conformance.sh BUILD_DIR [SCENARIO...]
#
# Exit status: 0 all equivalent, 1 a difference, 77 (skip) when this
# build of hvsim has no KVM backend or the harness cannot run here,
# anything else: the harness failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [SCENARIO...]" >&2; exit 2; }
build=$(cd "$1" && pwd)
shift
hvsim=$build/sim/hvsim
readonly EXIT_SKIP=77

# The KVM backend is `hvsim run --backend kvm`; a build without it has
# nothing native to compare. (A skip, never a pass.)
# (The help is read whole: grep -q would close the pipe early.)
help=$("$hvsim" run --help 2>&1 || true)
if ! printf '%s\n' "$help" | grep -q -- '--backend'; then
	echo "SKIP: $hvsim has no 'run --backend' option: this build has no KVM backend (issue 7, parts 1-4), so there is no native trace to compare with the emulator's"
	exit $EXIT_SKIP
fi

if [ $# -gt 0 ]; then
	scenarios=("$@")
else
	mapfile -t scenarios < <("$hvsim" scenarios | awk '{ print $1 }')
fi
[ ${#scenarios[@]} -gt 0 ] || { echo "hvsim scenarios listed nothing" >&2; exit 1; }

# The nested machine's CPU is emulated (TCG): guest code and VM exits run
# 50-100 times slower than on hardware, while the guests' own timeouts
# (the VID driver's 1 s wait, in reference time) assume hardware speed.
# So there the guests' clock runs at host time / NESTED_TIME_SCALE
# (`hvsim run --time-scale`, docs/native.md#time). On a host whose own
# /dev/kvm is real, the clock is real time.
readonly NESTED_TIME_SCALE=100

work=$build/tests/native/conformance
rm -rf "$work"
mkdir -p "$work/native" "$work/emulated"

# 1. The capability probe, then every scenario on the real KVM, in one
# boot of the harness machine.
cmds=(-- sh -c "hvsim probe >/out/probe.out 2>&1; echo \$? >/out/probe.status")
for s in "${scenarios[@]}"; do
	cmds+=(-- sh -c "hvsim run --backend kvm --time-scale $NESTED_TIME_SCALE $s --trace /out/$s.jsonl >/out/$s.out 2>&1; echo \$? >/out/$s.status")
done
# Meanwhile, the emulator runs here with the default flavour (the machine
# keeps one core busy; this uses the other).
emulate() { # SCENARIO VENDOR: trace, output and status in $work/emulated
	set +e
	"$hvsim" run --vendor "$2" "$1" --trace "$work/emulated/$1.jsonl" >"$work/emulated/$1.out" 2>&1
	echo $? >"$work/emulated/$1.status"
	echo "$2" >"$work/emulated/$1.vendor"
}
( for s in "${scenarios[@]}"; do emulate "$s" intel; done ) &
emulated_pid=$!
started=$(date +%s)
set +e
if "$hvsim" probe >/dev/null 2>&1; then
	# A host whose own /dev/kvm is a real KVM needs no nesting.
	echo "native: this host's /dev/kvm passes hvsim probe: the scenarios run here, not in the nested machine"
	"$hvsim" probe >"$work/native/probe.out" 2>&1
	echo $? >"$work/native/probe.status"
	for s in "${scenarios[@]}"; do
		"$hvsim" run --backend kvm "$s" --trace "$work/native/$s.jsonl" >"$work/native/$s.out" 2>&1
		echo $? >"$work/native/$s.status"
	done
	harness=0
	scale=1
	where="on this host"
else
	"$here/run-nested.sh" --timeout 900 --out "$work/native" "$build" "${cmds[@]}"
	harness=$?
	scale=$NESTED_TIME_SCALE
	where="in the nested KVM (boot included), guests' clock at host time / $scale"
fi
wait $emulated_pid
set -e
echo "native: ${#scenarios[@]} scenarios $where in $(( $(date +%s) - started )) s"
[ $harness = $EXIT_SKIP ] && { echo "SKIP: the nested-KVM harness cannot run here (see above)"; exit $EXIT_SKIP; }
[ $harness = 0 ] || { echo "FAIL: the nested-KVM harness failed (status $harness)"; exit 1; }

if [ "$(cat "$work/native/probe.status" 2>/dev/null)" != 0 ]; then
	echo "FAIL: hvsim probe failed on the nested KVM (where kvm-selftest finds a working /dev/kvm):"
	cat "$work/native/probe.out" 2>/dev/null
	exit 1
fi
echo "native: $(cat "$work/native/probe.out")"

# 2. The same scenarios in the emulator, with the flavour (vendor) the
# native run used: the partition_start name says hvix64 or hvax64.
failed=0
for s in "${scenarios[@]}"; do
	nt=$work/native/$s.jsonl
	if [ ! -s "$nt" ]; then
		echo "FAIL $s: no native trace; hvsim printed:"
		cat "$work/native/$s.out" 2>/dev/null | tail -n 20
		failed=1
		continue
	fi
	# A native run that fell back to the emulator would compare equal to
	# it: refuse a run that says so, and traces with events only the
	# emulator can see.
	if grep -q 'native backend unavailable' "$work/native/$s.out"; then
		echo "FAIL $s: hvsim run --backend kvm fell back to the emulator:"
		grep 'native backend unavailable' "$work/native/$s.out"
		failed=1
		continue
	fi
	if grep -q -m1 -E '"type":"(ring|cpuid)"' "$nt"; then
		echo "FAIL $s: the trace of --backend kvm has ring or cpuid events, which only the emulator sees: the run did not use KVM; hvsim printed:"
		tail -n 20 "$work/native/$s.out"
		failed=1
		continue
	fi
	# The slowed clock is announced in the trace: a run without it did
	# not use the scale it was given.
	if [ "$scale" != 1 ] && ! grep -q -m1 "runs at host time / $scale (--time-scale $scale)" "$nt"; then
		echo "FAIL $s: the native trace does not say that its clock ran at host time / $scale"
		failed=1
		continue
	fi
	vendor=intel
	head -n 5 "$nt" | grep -q 'hvax64 flavour' && vendor=amd
	[ "$(cat "$work/emulated/$s.vendor")" = "$vendor" ] || emulate "$s" "$vendor"
	set -e
	est=$(cat "$work/emulated/$s.status")
	nst=$(cat "$work/native/$s.status")
	if [ "$est" != "$nst" ]; then
		echo "FAIL $s: exit status $nst natively, $est in the emulator"
		failed=1
	fi
	set +e
	# --ignore-waits: how often a VP halted, read the clock or found a
	# message already there depends on host timing natively.
	"$hvsim" compare --ignore-waits "$work/emulated/$s.jsonl" "$nt" >"$work/$s.compare" 2>&1
	cst=$?
	set -e
	case $cst in
	0) echo "ok $s ($vendor): $(tail -n 1 "$work/$s.compare")"
	   # What one trace marked not observable was not compared: say so.
	   grep '^not compared:' "$work/$s.compare" | sed 's/^/   /' || true ;;
	1) echo "FAIL $s ($vendor): the traces differ (A = emulator, B = KVM):"; head -n 40 "$work/$s.compare"; failed=1 ;;
	*) echo "FAIL $s: hvsim compare could not read the traces:"; cat "$work/$s.compare"; failed=1 ;;
	esac
done
[ $failed = 0 ] && echo "${#scenarios[@]} scenarios: native traces equivalent to the emulator's"
exit $failed
