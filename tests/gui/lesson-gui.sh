#!/bin/sh
# lesson-gui.sh HVSIM HVSIM_GUI PNG_CHECK OUTDIR — every lesson run to its
# end in the real window under a virtual X server: hvsim-gui --lesson NAME
# --lesson-auto goes through each step (the machine on its worker thread,
# the page and the picture updated) and exits 0 only if every step ran;
# lesson 7 then also goes Back once (the lesson is run again to that step
# and must stop at the same event). After each step the window's event log
# must end with an event of the lesson's machine (not the window's own).
# Lesson 7's window is saved as a PNG and checked for ink and for the
# step's highlight, and its view must have been drawn in tiles (at most
# one in ten of the frames that drew it drew it whole). Exits 77
# (meson: skipped) when no X server can be had.
set -u
hvsim=$1 gui=$2 check=$3 out=$4

if ! command -v xvfb-run >/dev/null 2>&1; then
	echo "xvfb-run not found (apt-get install xvfb xauth): skipped"
	exit 77
fi
if ! xvfb-run -a -s "-screen 0 1600x1000x24" true >/dev/null 2>&1; then
	echo "xvfb-run cannot start an X server here: skipped"
	exit 77
fi
export NO_AT_BRIDGE=1 GDK_BACKEND=x11

lessons=$("$hvsim" lesson --list | cut -d' ' -f1) || { echo "hvsim lesson --list failed"; exit 1; }
[ -n "$lessons" ] || { echo "no lessons listed"; exit 1; }
png="$out/lesson-window.png"
rm -f "$png"
# One X server for all of them; then lesson 7 once more, going Back at the
# end (run again to step 11, it must stop at the same event) and saving
# the window.
xvfb-run -a -s "-screen 0 1600x1000x24" sh -c '
	gui=$1 png=$2; shift 2
	for lesson in "$@"; do
		out=$("$gui" --lesson "$lesson" --lesson-auto 2>&1) || {
			echo "$out"; echo "hvsim-gui --lesson $lesson --lesson-auto failed"; exit 1; }
		echo "$out" | grep "steps shown in the window" || {
			echo "$out"; echo "$lesson: no closing line"; exit 1; }
		# The window presents the lesson'"'"'s machine: after every step its
		# event log ends with one of the events that step ran through
		# (gui-lesson.c checks, and says so, or fails the run).
		echo "$out" | grep -q "window log: its last line is event [0-9]* of the lesson" || {
			echo "$out"; echo "$lesson: the window log was not checked against the lesson machine"; exit 1; }
	done
	out=$(HVSIM_GUI_FRAME_TRACE=1 HVSIM_GUI_FRAME_TRACE_MS=0 \
		"$gui" --lesson vmbus --lesson-auto --lesson-back --screenshot "$png" 2>&1) || {
		echo "$out"; echo "hvsim-gui --lesson vmbus --lesson-auto --lesson-back failed"; exit 1; }
	echo "$out" | grep -E "back to step 11: event #[1-9][0-9]* again" || {
		echo "$out"; echo "vmbus: Back did not stop at the same event"; exit 1; }
	# The highlights say what they draw: the view stays in tiles. A
	# traced frame that drew the view says "(draw ..." in its paint, and
	# "tiles R/N" when in tiles; the others redrew only other widgets.
	view=$(echo "$out" | grep "^hvsim-gui: frame" | grep -c -e "(draw " -e "; tiles ")
	whole=$(echo "$out" | grep "^hvsim-gui: frame" | grep "(draw " | grep -vc "; tiles ")
	echo "vmbus: $whole of $view frames that drew the view drew it whole"
	[ "$view" -gt 0 ] && [ $((whole * 10)) -le "$view" ] || {
		echo "vmbus: the view was drawn whole in $whole of $view frames"; exit 1; }' \
	sh "$gui" "$png" $lessons || exit 1
[ -s "$png" ] || { echo "$png was not written"; exit 1; }
"$check" "$png" 800 500 || exit 1
# Step 11's highlight is in the saved window: its outline's colour
# (gui-lesson.c HL_R/G/B, 1.0 0.55 0.0), a few hundred pixels at least.
"$check" --colour "$png" ff8c00 300 || { echo "no lesson highlight in $png"; exit 1; }
echo "every lesson ran to its end in the window; Back checked on 07-vmbus: $png"
