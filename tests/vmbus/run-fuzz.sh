#!/bin/sh
# run-fuzz.sh — the bounded libFuzzer pass behind `meson test --suite fuzz`.
#   run-fuzz.sh FUZZER|none WORKDIR SEEDDIR [libFuzzer options...]
# New inputs go to WORKDIR (recreated each run, so every pass starts from
# the same seeds); crash reproducers to WORKDIR/artifacts. Exits 77 (meson:
# skipped) when no fuzzer could be built, non-zero when libFuzzer finds a
# crash, a leak or undefined behaviour.
set -eu
fuzzer=$1 work=$2 seeds=$3
shift 3
if [ "$fuzzer" = none ]; then
	echo "fuzz-ring SKIPPED: clang with the libFuzzer runtime is missing" \
	     "(on Debian 12: apt-get install clang, or ./hvsim.sh test)" >&2
	exit 77
fi
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
# libFuzzer's own default exit code for a crash is 77 — which meson reads
# as "skipped". Findings must fail the test: force 1.
exec "$fuzzer" -seed=1 -error_exitcode=1 -timeout_exitcode=1 \
	-artifact_prefix="$work/artifacts/" -print_final_stats=1 \
	"$@" "$work/corpus" "$seeds"
