#!/bin/sh
# screenshot-smoke.sh HVSIM_GUI PNG_CHECK OUTDIR — starts the real window
# under a virtual X server, runs the boot scenario to a point (or, with
# --run, free-running to its end; once more in presentation mode at
# 1280x720), takes --screenshot and checks the PNG is there and not blank, and that the pictures of
# different points differ (no stale picture). Exits 77 (meson:
# skipped) when no X server can be had.
set -u
gui=$1 check=$2 out=$3

if ! command -v xvfb-run >/dev/null 2>&1; then
	echo "xvfb-run not found (apt-get install xvfb xauth): skipped"
	exit 77
fi
# Where no server starts (no Xvfb binary, no xauth) xvfb-run fails before
# running anything: skip rather than fail.
if ! xvfb-run -a -s "-screen 0 1600x1000x24" true >/dev/null 2>&1; then
	echo "xvfb-run cannot start an X server here: skipped"
	exit 77
fi
# GTK may try the session bus; there is none under xvfb-run, which is fine.
export NO_AT_BRIDGE=1 GDK_BACKEND=x11

# SCREEN: the virtual screen; MIN_W/MIN_H: the smallest PNG accepted.
SCREEN=1600x1000 MIN_W=800 MIN_H=500
shot() { # NAME ARGS...
	name=$1; shift
	png="$out/screenshot-$name.png"
	rm -f "$png"
	xvfb-run -a -s "-screen 0 ${SCREEN}x24" "$gui" --screenshot "$png" "$@" || {
		echo "hvsim-gui $* --screenshot failed ($?)"; exit 1; }
	[ -s "$png" ] || { echo "$png was not written"; exit 1; }
	"$check" "$png" "$MIN_W" "$MIN_H" || exit 1
}

shot power-on boot
shot vm-exit boot --until-event vm-exit
shot insns boot --until-insns 3000000
# The picture must be that of the point reached: after the late launch it
# has the hypervisor band and two partitions, at power-on neither.
"$check" --differ "$out/screenshot-power-on.png" "$out/screenshot-vm-exit.png" || exit 1
"$check" --differ "$out/screenshot-vm-exit.png" "$out/screenshot-insns.png" || exit 1
# Free-running in the window (Run) to the end of the scenario.
shot ended boot --run
# Presentation mode: the picture alone at exactly --size (the screen leaves
# room for the window's frame margins).
SCREEN=2048x1200 MIN_W=1280 MIN_H=720
shot presentation boot --until-event vm-exit --presentation --size 1280x720
echo "screenshots in $out"
