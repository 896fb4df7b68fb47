#!/bin/sh
# export-cli.sh HVSIM_GUI PNG_CHECK OUTDIR — `hvsim-gui --export` with no
# display at all: the boot scenario to its first VM exit, written as PNG
# (checked not blank), SVG and PDF; a wrong extension is a usage error (2).
set -u
gui=$1 check=$2 out=$3
unset DISPLAY WAYLAND_DISPLAY

for ext in png svg pdf; do
	f="$out/export-cli.$ext"
	rm -f "$f"
	"$gui" --export "$f" --until-event vm-exit boot || { echo "--export $f failed ($?)"; exit 1; }
	[ -s "$f" ] || { echo "$f was not written"; exit 1; }
done
"$check" "$out/export-cli.png" 1600 900 || exit 1
head -c 5 "$out/export-cli.pdf" | grep -q '%PDF-' || { echo "export-cli.pdf is not a PDF"; exit 1; }
grep -q '</svg>' "$out/export-cli.svg" || { echo "export-cli.svg is not an SVG"; exit 1; }

"$gui" --export "$out/export-cli.jpg" boot 2>"$out/export-cli.err"
rc=$?
[ $rc -eq 2 ] || { echo "--export x.jpg exited $rc, expected 2"; exit 1; }
grep -q '.png, .svg or .pdf' "$out/export-cli.err" || { echo "no helpful message for .jpg"; cat "$out/export-cli.err"; exit 1; }
echo "exports in $out"
