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

/* The headless reference: the work the window's runner does when it runs
 * freely, without the window. Fresh machines of `scenario`, each made,
 * loaded and started untimed (as the runner's reset is not counted), then
 * run to its end in batches of GUI_RUNNER_RUN_BATCH instructions, as the
 * runner's free-running batches are (without their publish), with the
 * statistics `hvsim run` keeps subscribed (not the runner's capture of
 * events for the window: that is the window's cost): at least
 * `min_runs` of them and until `min_seconds` of running were measured.
 * Appends one figure per run to `ips` (instructions per wall second) and,
 * if not NULL, to `cpu_share` (this thread's CPU time over the wall time:
 * below 1 when it waited for a core); adds the runs up in `totals` if not
 * NULL. Runs on the calling thread. */
typedef struct GuiHeadlessTotals {
	double insns, wall_s, cpu_s;
	guint runs;
} GuiHeadlessTotals;
gboolean gui_window_bench_headless(const char *scenario, SimVendor vendor, guint min_runs, double min_seconds,
                                   GArray *ips, GArray *cpu_share, GuiHeadlessTotals *totals, GError **error);

/* Headless runs before the window opens and again after its measured
 * part (the window's runner paused and idle meanwhile); between the
 * window's segments, runs of at least GUI_WINDOW_BENCH_BLOCK_S. */
#define GUI_WINDOW_BENCH_HEADLESS_REPS 3u
#define GUI_WINDOW_BENCH_BLOCK_S       2.0

/* The machine's own floor: how long a fixed repaint of a view-sized area
 * takes on this machine, again and again, with nothing in it that varies.
 * `count` times (at most), every `period_ms`, for at most `seconds`: an
 * ARGB image of width x height is cleared and an opaque picture of that
 * size is drawn over it three times (once opaque, twice half-transparent),
 * about the memory traffic of GTK's Cairo renderer repainting the whole
 * view once. Appends each repaint's CPU time of the calling thread (ms) to
 * `cpu_ms`. Pure Cairo, any thread. */
void gui_window_bench_fixed_paints(int width, int height, double seconds, double period_ms, guint count,
                                   GArray *cpu_ms);

/* Of `v` (doubles, any order): the value at quantile q (0..1, nearest
 * rank: the smallest value with at least q of them at or below it), and
 * how many exceed `limit`. 0 for an empty array. */
double gui_window_bench_quantile(GArray *v, double q);
guint gui_window_bench_count_over(GArray *v, double limit);

typedef void (*GuiWindowBenchDone)(int status, gpointer user_data);

/* Starts the measured run on `win` for `seconds`; prints to `out` and calls
 * `done` at the end. `before_ips` and `before_cpu` are the headless runs
 * made before the window opened (gui_window_bench_headless; the bench
 * takes them over); as many again are run after the window's part, with
 * `scenario` and `vendor`. */
void gui_window_bench_start(HvsimWindow *win, double seconds, const char *scenario, SimVendor vendor,
                            GArray *before_ips, GArray *before_cpu, FILE *out, GuiWindowBenchDone done,
                            gpointer user_data);

G_END_DECLS

#endif /* HVSIM_GUI_WINDOW_BENCH_H */
