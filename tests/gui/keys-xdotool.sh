#!/bin/sh
# keys-xdotool.sh HVSIM_GUI OUTDIR — real key presses into the real window:
# starts hvsim-gui under a virtual X server with HVSIM_GUI_TRACE_ACTIONS=1
# (one stdout line per activated action, per idle state, per menu opened
# or closed and per text the clipboard took), sends keys and clicks with
# xdotool and checks each one's effect in those lines. Exits 77
# (meson: skipped) without xvfb-run or xdotool.
set -u
gui=$1 out=$2

command -v xvfb-run >/dev/null 2>&1 || { echo "xvfb-run not found: skipped"; exit 77; }
command -v xdotool >/dev/null 2>&1 || { echo "xdotool not found (apt-get install xdotool): skipped"; exit 77; }
xvfb-run -a -s "-screen 0 1600x1000x24" true >/dev/null 2>&1 || { echo "no X server: skipped"; exit 77; }
export NO_AT_BRIDGE=1 GDK_BACKEND=x11 HVSIM_GUI_TRACE_ACTIONS=1

cat > "$out/keys-inner.sh" <<'INNER'
#!/bin/sh
set -u
gui=$1 log=$2
"$gui" boot > "$log" 2>/dev/null &
pid=$!
# WANT PATTERN: waits (up to 30 s) for a line matching PATTERN.
want() {
	i=0
	while ! grep -q -- "$1" "$log"; do
		i=$((i + 1))
		[ $i -gt 300 ] && { echo "no line matching '$1' after the key; the app printed:"; cat "$log"; kill $pid 2>/dev/null; exit 1; }
		sleep 0.1
	done
}
want "^hvsim-gui: state paused insns 0 "
wid=$(xdotool search --sync --onlyvisible --name "hvsim" | head -1)
key() { xdotool key --clearmodifiers "$1"; }
# The main menu opens with F10 and closes with Escape.
key F10;        want "^hvsim-gui: menu main (open)"
key Escape;     want "^hvsim-gui: menu main (closed)"
# The log's right-click menu: a click on the log at power-on (the Events
# page, right of the picture) opens it; its one item, clicked in its
# middle, copies the log's lines (three at power-on) to the clipboard.
eval "$(xdotool getwindowgeometry --shell "$wid")"
before=$(xdotool search --onlyvisible --name "" | sort)
xdotool mousemove --window "$wid" $((WIDTH * 8 / 10)) $((HEIGHT / 2)) click 3
want "^hvsim-gui: menu log (open)"
pop=""
i=0
while [ -z "$pop" ] && [ $i -lt 50 ]; do
	for w in $(xdotool search --onlyvisible --name "" | sort); do
		echo "$before" | grep -qx "$w" && continue
		case "$(xdotool getwindowgeometry "$w")" in *" 1x1"*) ;; *) pop=$w ;; esac
	done
	i=$((i + 1)); [ -z "$pop" ] && sleep 0.1
done
[ -n "$pop" ] || { echo "the log's menu has no window"; kill $pid; exit 1; }
eval "$(xdotool getwindowgeometry --shell "$pop")"
xdotool mousemove $((X + WIDTH / 2)) $((Y + HEIGHT / 2)) click 1
want "^hvsim-gui: menu log (closed)"
want "^hvsim-gui: clipboard 3 lines"
key i;          want "^hvsim-gui: action sim.step-insn"; want "^hvsim-gui: state paused insns 1 "
key i;          want "^hvsim-gui: state paused insns 2 "
key n;          want "^hvsim-gui: action sim.step-next"; want "^hvsim-gui: state paused insns [0-9]* last-exit [1-9]"
first=$(grep "last-exit [1-9]" "$log" | head -1 | sed 's/.*last-exit \([0-9]*\).*/\1/')
key n;          want "^hvsim-gui: state .*last-exit [1-9].*"
lines=$(wc -l < "$log")
# Back: to just after the first VM exit again (replayed from power-on).
key b;          want "^hvsim-gui: action sim.step-back"
i=0
until tail -n +"$lines" "$log" | grep -q "^hvsim-gui: state paused .*last-exit $first "; do
	i=$((i + 1)); [ $i -gt 300 ] && { echo "b did not go back to VM exit $first:"; tail -n +"$lines" "$log"; kill $pid; exit 1; }
	sleep 0.1
done
key k;          want "^hvsim-gui: step kind hypercall"
key s;          want "^hvsim-gui: action sim.step$"
key space;      want "^hvsim-gui: action sim.run"
key space;      want "^hvsim-gui: state paused"
key d;          want "^hvsim-gui: action view.dark (on)"
key F5;         want "^hvsim-gui: action view.presentation (on)"
key Escape;     want "^hvsim-gui: action view.presentation (off)"
key r;          want "^hvsim-gui: action sim.reset"
key ctrl+e;     want "^hvsim-gui: action view.export"
# The file chooser: Escape closes it once it is there (on a loaded
# machine it may take seconds to map); Ctrl+Q goes to the main window.
chooser=$(xdotool search --sync --onlyvisible --name "Export the picture" 2>/dev/null | head -1)
i=0
while [ -n "$chooser" ] && xdotool search --onlyvisible --name "Export the picture" >/dev/null 2>&1; do
	xdotool key --clearmodifiers Escape
	i=$((i + 1)); [ $i -gt 50 ] && { echo "Escape did not close the file chooser"; kill $pid; exit 1; }
	sleep 0.3
done
key ctrl+q
i=0
while kill -0 $pid 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && { echo "Ctrl+Q did not quit"; kill $pid; exit 1; }
	sleep 0.1
done
echo "all keys had their effect"
INNER
xvfb-run -a -s "-screen 0 1600x1000x24" sh "$out/keys-inner.sh" "$gui" "$out/keys.log"
