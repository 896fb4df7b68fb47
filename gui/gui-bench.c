/* gui-bench.c — speed of the machine with the GUI's runner attached versus
 * headless, and the time the architecture view takes per frame while the
 * machine runs at full speed. The calling thread plays the UI thread (it
 * never touches a machine it does not own: the headless run is its own,
 * the attached run is the runner's). */
#include <cairo.h>

#include "gui-anim.h"
#include "gui-bench.h"
#include "gui-runner.h"
#include "render.h"
#include "sim-scenario.h"

#define BENCH_REPS       3
#define BENCH_FRAME_US   (G_USEC_PER_SEC / 60)   /* the UI's frame period */
#define BENCH_VIEW_W     1280
#define BENCH_VIEW_H     720
#define BENCH_PICTURE_HOLD_S 0.25   /* = GUI_PICTURE_HOLD_S in hvsim-window.c */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return v[n / 2];
}

/* The scenario run to its end on this thread; seconds and instructions. */
static gboolean run_headless(const char *scenario, SimVendor vendor, double *seconds, guint64 *insns, GError **error)
{
	SimConfig cfg = { .vendor = vendor };
	SimMachine *m = sim_machine_new(&cfg, error);
	if (!m)
		return FALSE;
	if (!sim_load_scenario_or_image(m, scenario, error)) {
		sim_machine_free(m);
		return FALSE;
	}
	gint64 t0 = g_get_monotonic_time();
	sim_machine_run(m);
	*seconds = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
	*insns = sim_machine_insns(m);
	sim_machine_free(m);
	return TRUE;
}

typedef struct Frames {
	guint n;
	double total_ms, max_ms;     /* a whole frame: the cached picture and the animation over it */
	guint misses;
	double picture_ms;           /* redrawing the picture when the snapshot changed (included above) */
	double anim_ms;              /* the animation overlay alone */
} Frames;

/* The same scenario on the runner's thread, run freely, while this thread
 * takes the published state and draws it every frame period. */
static gboolean run_attached(const char *scenario, SimVendor vendor, double *seconds, guint64 *insns, Frames *fr,
                             GError **error)
{
	GuiRunner *r = gui_runner_new(scenario, vendor, error);
	if (!r)
		return FALSE;
	cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, BENCH_VIEW_W, BENCH_VIEW_H);
	HvsimRenderCache *cache = hvsim_render_cache_new();
	hvsim_render_cache_set_hold(cache, BENCH_PICTURE_HOLD_S);   /* as the window while running */
	GuiAnim *anim = gui_anim_new();   /* full speed: every event counted, heat on the links */
	guint64 version = 0;
	SimSnapshot *snap = NULL;
	gboolean ended = FALSE;
	gint64 t0 = g_get_monotonic_time(), t_end = t0;
	gui_runner_run(r);
	while (!ended) {
		gint64 frame_start = g_get_monotonic_time();
		GuiRunnerState *st = gui_runner_take(r, &version, GUI_RUNNER_EVENTS_MAX);
		if (st) {
			if (st->snap) {
				g_clear_pointer(&snap, sim_snapshot_free);
				snap = g_steal_pointer(&st->snap);
			}
			gui_anim_feed(anim, (const SimEvent *)(const void *)st->events->data, st->events->len, snap,
			              frame_start / (double)G_USEC_PER_SEC);
			if (st->ended) {
				ended = TRUE;
				t_end = g_get_monotonic_time();
			}
			gui_runner_state_free(st);
		}
		if (snap) {
			cairo_t *cr = cairo_create(surface);
			guint64 misses = hvsim_render_cache_misses(cache);
			gint64 p0 = g_get_monotonic_time();
			hvsim_render_cached(cache, cr, BENCH_VIEW_W, BENCH_VIEW_H, snap, NULL, NULL);
			gint64 p1 = g_get_monotonic_time();
			const GuiAnimFrame *f = gui_anim_frame(anim, p1 / (double)G_USEC_PER_SEC);
			hvsim_render_cached(cache, cr, BENCH_VIEW_W, BENCH_VIEW_H, snap, NULL, f);
			cairo_destroy(cr);
			cairo_surface_flush(surface);
			gint64 p2 = g_get_monotonic_time();
			if (hvsim_render_cache_misses(cache) != misses) {
				fr->misses++;
				fr->picture_ms += (double)(p1 - p0) / 1000.0;
			}
			fr->anim_ms += (double)(p2 - p1) / 1000.0;
			double ms = (double)(p2 - frame_start) / 1000.0;
			fr->n++;
			fr->total_ms += ms;
			fr->max_ms = MAX(fr->max_ms, ms);
		}
		gint64 left = frame_start + BENCH_FRAME_US - g_get_monotonic_time();
		if (!ended && left > 0)
			g_usleep((gulong)left);
	}
	gui_anim_free(anim);
	hvsim_render_cache_free(cache);
	*seconds = (double)(t_end - t0) / G_USEC_PER_SEC;
	*insns = snap ? snap->insns : 0;
	sim_snapshot_free(snap);
	cairo_surface_destroy(surface);
	gui_runner_free(r);
	return TRUE;
}

int gui_bench_run(const char *scenario, SimVendor vendor, FILE *out)
{
	double head_s[BENCH_REPS], att_s[BENCH_REPS], ratio[BENCH_REPS];
	Frames fr = { 0 };
	guint64 insns = 0, att_insns = 0;
	fprintf(out, "hvsim-gui bench: scenario %s, %d repetitions, headless and runner-attached back to back; medians shown.\n"
	        "The UI thread is modelled headlessly: every %.1f ms it takes the runner's state, feeds its events to\n"
	        "the animation (full speed) and draws the architecture view (%dx%d, the picture cached until the\n"
	        "snapshot changes, the animation over it) into a Cairo image surface (no window; see --bench-window).\n",
	        scenario, BENCH_REPS, BENCH_FRAME_US / 1000.0, BENCH_VIEW_W, BENCH_VIEW_H);
	for (int i = 0; i < BENCH_REPS; i++) {
		g_autoptr(GError) error = NULL;
		if (!run_headless(scenario, vendor, &head_s[i], &insns, &error) ||
		    !run_attached(scenario, vendor, &att_s[i], &att_insns, &fr, &error)) {
			fprintf(stderr, "hvsim-gui --bench: %s\n", error->message);
			return 1;
		}
		if (att_insns != insns) {
			fprintf(stderr, "hvsim-gui --bench: the attached run retired %" G_GUINT64_FORMAT " instructions, the headless one %" G_GUINT64_FORMAT "\n",
			        att_insns, insns);
			return 1;
		}
		/* Same instructions both ways: the ratio of times is the ratio of speeds. */
		ratio[i] = head_s[i] / att_s[i];
	}
	double hs = median(head_s, BENCH_REPS), as = median(att_s, BENCH_REPS), rs = median(ratio, BENCH_REPS);
	fprintf(out, "headless: %" G_GUINT64_FORMAT " guest instructions in %.3f s = %.1f M instructions/s\n",
	        insns, hs, insns / hs / 1e6);
	fprintf(out, "gui-attached: %.3f s = %.1f M instructions/s\n", as, insns / as / 1e6);
	fprintf(out, "frames: %u drawn, %.2f ms mean, %.2f ms worst (budget at 55 fps: %.1f ms; render-fps ceiling %.0f)\n",
	        fr.n, fr.n ? fr.total_ms / fr.n : 0, fr.max_ms, 1000.0 / 55, fr.n ? 1000.0 / (fr.total_ms / fr.n) : 0);
	fprintf(out, "frame parts: the picture redrawn %u times (new snapshot), %.2f ms each; the animation at full speed %.2f ms a frame\n",
	        fr.misses, fr.misses ? fr.picture_ms / fr.misses : 0, fr.n ? fr.anim_ms / fr.n : 0);
	fprintf(out, "ratio gui-attached-speed %.2f\n", rs);
	return 0;
}
