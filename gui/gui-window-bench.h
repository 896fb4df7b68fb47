/* gui-window-bench.h — `hvsim-gui --bench-window`: the real window under a
 * display (xvfb-run in CI), the machine free-running at full speed (the
 * scenario restarted whenever it ends), the animation at full speed. Prints
 * the frame rate and the worst frame measured on the picture's
 * GdkFrameClock, the machine's speed against headless runs made by the same
 * process, and the resident memory sampled over the run. GTK main thread. */
#ifndef HVSIM_GUI_WINDOW_BENCH_H
#define HVSIM_GUI_WINDOW_BENCH_H

#include <stdio.h>

#include "hvsim-window.h"

G_BEGIN_DECLS

/* The headless reference (before the window opens): the scenario run to
 * its end `reps` times on this thread; instructions per second, median. */
double gui_window_bench_headless(const char *scenario, SimVendor vendor, int reps, GError **error);

typedef void (*GuiWindowBenchDone)(int status, gpointer user_data);

/* Starts the measured run on `win` for `seconds`; prints to `out` and calls
 * `done` at the end. `headless_ips` is gui_window_bench_headless's figure. */
void gui_window_bench_start(HvsimWindow *win, double seconds, double headless_ips, FILE *out,
                            GuiWindowBenchDone done, gpointer user_data);

G_END_DECLS

#endif /* HVSIM_GUI_WINDOW_BENCH_H */
