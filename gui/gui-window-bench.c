/* gui-window-bench.c — frames per second of the architecture view in a real
 * window while the machine runs at full speed, the machine's speed with the
 * window attached against headless, and memory over a long run. GTK main
 * thread (the machine is the window's runner's, on its sim thread; the
 * headless reference runs on the main thread while the window waits).
 *
 * The speed ratio: on this project's shared 2-core machines the headless
 * speed of the same scenario varies by half from one run to the next with
 * what else runs (other processes take the core, and even the CPU time of
 * identical work grows while they share the caches), so a reference taken
 * once before the window compares two different moments. The reference is
 * therefore taken at the same times as the window's part: the measured
 * part is cut into segments, and between two segments the window's machine
 * is paused and a block of headless runs of the scenario (2 s at least)
 * goes on this thread (the UI waits meanwhile, so the two never compete);
 * each segment's speed is divided by the mean of the headless blocks on
 * either side of it, and the ratio is the median of those.
 *
 * After the last segment, a fixed repaint on this thread measures the
 * machine's own floor; meanwhile headless runs go on a thread of their own
 * ("hvsim-load"), competing with it on purpose, as the window's machine
 * competes with the window. */
#include <math.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "gui-thread.h"
#include "gui-window-bench.h"
#include "sim-scenario.h"
#include "sim-stats.h"

#define BENCH_WARMUP_S     2.0    /* frames and speed are measured after this */
#define BENCH_RSS_PERIOD_S 1u     /* how often the resident memory is sampled */
#define BENCH_SLOW_FRAME_MS 50.0  /* the limit for one frame */
/* Three refresh periods at 60 Hz are 50.0 ms, measured as 50.001 (the
 * frame clock's period is 16667 us): such a frame is counted as over 50
 * ms, and also told apart from one that took longer than that. */
#define BENCH_THREE_PERIODS_MS 50.1
#define BENCH_PERIOD_MS    (1000.0 / 60)
/* The UI thread's work that makes a frame interval reach 50 ms: the frame
 * clock ticks every 16.7 ms, so work past two periods shows as three. */
#define BENCH_CPU_BUDGET_MS 33.3
#define BENCH_SEGMENT_S    10.0   /* the window's part between two blocks of headless runs */
/* The fixed repaint (gui_window_bench_fixed_paints) after the window's
 * part: for a sixth of its length, at most this long (a minute's bench:
 * 600 repaints; ten minutes': 3,600, enough for a rate per 1000). */
#define BENCH_FIXED_MAX_S  60.0
#define BENCH_FIXED_SHARE  (1.0 / 6)
#define BENCH_FIXED_MAX_N  4000u   /* repaints at most (60 a second for 67 s) */
#define BENCH_FIXED_SPIKE  3.0     /* a repaint "spikes" past this many times the median */

typedef struct Bench {
	HvsimWindow *win;
	FILE *out;
	GuiWindowBenchDone done;
	gpointer user_data;
	double seconds;
	gint64 t_start;
	guint tick_id, rss_id;
	gulong state_id, paint_id;
	GdkFrameClock *clock;
	/* frames */
	gint64 last_frame;       /* frame clock time of the previous tick (us) */
	gint64 tick_at;          /* monotonic time the current frame's tick ran */
	guint64 frames;
	double frame_sum_ms, worst_ms, draw_sum_ms, worst_draw_ms;
	guint slow_frames, longer_frames;
	guint periods[5];        /* intervals of 1, 2, 3, 4 and more refresh periods (60 Hz) */
	gint64 cpu_prev;         /* the UI thread's CPU time (us) at the previous after-paint */
	double cpu_sum_ms, worst_cpu_ms;
	guint cpu_frames, cpu_over;
	gint64 measure_from;     /* frame time the measured part began */
	gint64 last_measured;
	/* machine */
	char *scenario;
	SimVendor vendor;
	GArray *before_ips, *before_cpu;   /* the headless runs before the window (double each) */
	GArray *during_ips, *during_cpu;   /* the runs between the segments */
	GArray *block_ips;                 /* each block of headless runs (before, between, after) as one figure */
	GArray *seg_ips;                   /* the window's speed in each segment */
	GArray *seg_cpu;                   /* and the sim thread's core share in it */
	GuiRunnerTotals seg_start;         /* the runner's totals when the current segment began */
	gint64 seg_start_at;               /* and the monotonic time then */
	gint64 segments_us;                /* the segments' wall time added up */
	GuiRunnerTotals window;            /* the segments' totals added up */
	guint segments, segments_done;
	guint segment_id;
	gboolean reset_pending;
	guint loops;
	char load_start[64];               /* /proc/loadavg when the window's part began */
	/* memory */
	GArray *rss_kib;         /* guint64 per sample */
} Bench;

static guint64 rss_kib(void)
{
	g_autofree char *statm = NULL;
	if (!g_file_get_contents("/proc/self/statm", &statm, NULL, NULL))
		return 0;
	unsigned long size = 0, resident = 0;
	if (sscanf(statm, "%lu %lu", &size, &resident) != 2)
		return 0;
	return (guint64)resident * (guint64)sysconf(_SC_PAGESIZE) / 1024;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The calling thread's CPU time in us: on a loaded machine the wall time
 * of a frame counts the time other processes held the core; this does not. */
static gint64 thread_cpu_us(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

gboolean gui_window_bench_headless(const char *scenario, SimVendor vendor, guint min_runs, double min_seconds,
                                   GArray *ips, GArray *cpu_share, GuiHeadlessTotals *totals, GError **error)
{
	g_return_val_if_fail(scenario != NULL && ips != NULL, FALSE);
	double measured = 0;
	for (guint i = 0; i < min_runs || measured < min_seconds; i++) {
		SimConfig cfg = { .vendor = vendor };
		SimMachine *m = sim_machine_new(&cfg, error);
		if (!m || !sim_load_scenario_or_image(m, scenario, error)) {
			g_clear_pointer(&m, sim_machine_free);
			return FALSE;
		}
		/* The counters `hvsim run` keeps for its summary (the runner keeps
		 * them too); the runner's own capture of events for the window is
		 * the window's cost, so not here. */
		SimStats *stats = sim_stats_new();
		sim_event_bus_subscribe(sim_machine_events(m), sim_stats_on_event, stats);
		sim_machine_start(m);
		guint64 insns0 = sim_machine_insns(m);
		gint64 t0 = g_get_monotonic_time(), c0 = thread_cpu_us();
		while (sim_machine_step(m, GUI_RUNNER_RUN_BATCH, SIM_STEP_STOP_NONE))
			;
		double wall = MAX((double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC, 1e-6);
		double cpu = (double)(thread_cpu_us() - c0) / G_USEC_PER_SEC;
		double insns = (double)(sim_machine_insns(m) - insns0);
		sim_machine_free(m);
		sim_stats_free(stats);
		measured += wall;
		double v = insns / wall, share = cpu / wall;
		g_array_append_val(ips, v);
		if (cpu_share)
			g_array_append_val(cpu_share, share);
		if (totals) {
			totals->insns += insns;
			totals->wall_s += wall;
			totals->cpu_s += cpu;
			totals->runs++;
		}
	}
	return TRUE;
}

void gui_window_bench_fixed_paints(int width, int height, double seconds, double period_ms, guint count,
                                   GArray *cpu_ms)
{
	g_return_if_fail(width > 0 && height > 0 && cpu_ms != NULL);
	/* The picture: opaque, with edges and gradients so that no run of it
	 * is uniform (pixman has fast paths for solid areas). */
	cairo_surface_t *picture = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
	cairo_t *pc = cairo_create(picture);
	cairo_pattern_t *g = cairo_pattern_create_linear(0, 0, width, height);
	cairo_pattern_add_color_stop_rgb(g, 0, 0.96, 0.96, 0.94);
	cairo_pattern_add_color_stop_rgb(g, 1, 0.78, 0.86, 0.95);
	cairo_set_source(pc, g);
	cairo_paint(pc);
	cairo_pattern_destroy(g);
	cairo_set_source_rgb(pc, 0.3, 0.35, 0.4);
	for (int x = 0; x < width; x += 37)
		for (int y = 0; y < height; y += 23)
			cairo_rectangle(pc, x + 0.5, y + 0.5, 30, 15);
	cairo_set_line_width(pc, 1);
	cairo_stroke(pc);
	cairo_destroy(pc);
	cairo_surface_t *target = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
	gint64 start = g_get_monotonic_time(), period_us = (gint64)(period_ms * 1000);
	gint64 span_us = (gint64)(seconds * G_USEC_PER_SEC);
	for (guint i = 0; i < count; i++) {
		gint64 due = start + (gint64)i * period_us, now = g_get_monotonic_time();
		if (due - start >= span_us || now - start >= span_us)
			break;
		if (due > now)
			g_usleep((gulong)(due - now));
		gint64 c0 = thread_cpu_us();
		cairo_t *cr = cairo_create(target);
		cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR);
		cairo_paint(cr);
		cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
		cairo_set_source_surface(cr, picture, 0, 0);
		cairo_paint(cr);
		for (int k = 1; k <= 2; k++) {
			cairo_set_source_surface(cr, picture, k, k);
			cairo_paint_with_alpha(cr, 0.5);
		}
		cairo_destroy(cr);
		cairo_surface_flush(target);
		double ms = (double)(thread_cpu_us() - c0) / 1000.0;
		g_array_append_val(cpu_ms, ms);
	}
	cairo_surface_destroy(target);
	cairo_surface_destroy(picture);
}

double gui_window_bench_quantile(GArray *v, double q)
{
	g_return_val_if_fail(v != NULL, 0);
	if (!v->len)
		return 0;
	double *s = g_memdup2(v->data, v->len * sizeof(double));
	qsort(s, v->len, sizeof *s, cmp_double);
	double rank = ceil(CLAMP(q, 0, 1) * v->len);
	guint i = rank < 1 ? 0 : (guint)rank - 1;
	double r = s[MIN(i, v->len - 1)];
	g_free(s);
	return r;
}

guint gui_window_bench_count_over(GArray *v, double limit)
{
	g_return_val_if_fail(v != NULL, 0);
	guint n = 0;
	for (guint i = 0; i < v->len; i++)
		n += g_array_index(v, double, i) > limit;
	return n;
}

/* The machine's headless runs beside the fixed repaints, on a thread of
 * their own as the window's machine runs on its. */
typedef struct FixedLoad {
	const char *scenario;
	SimVendor vendor;
	double seconds;
	GArray *ips;
} FixedLoad;

static gpointer fixed_load_thread(gpointer data)
{
	FixedLoad *l = data;
	(void)gui_thread_set_background();   /* as the window's sim thread */
	g_autoptr(GError) error = NULL;
	if (!gui_window_bench_headless(l->scenario, l->vendor, 1, l->seconds, l->ips, NULL, NULL, &error))
		g_printerr("hvsim-gui: --bench-window: a headless run beside the fixed repaints failed: %s\n", error->message);
	return NULL;
}

static double elapsed(const Bench *b)
{
	return (double)(g_get_monotonic_time() - b->t_start) / G_USEC_PER_SEC;
}

/* The machine: free-running; restarted whenever the scenario ends (also
 * when a headless run paused it). Its speed comes from the runner's own totals (gui_runner_get_totals), not
 * from these states: they arrive when the UI polls, up to a frame after
 * the machine ended, and that gap is the bench's restart, not the
 * window's cost. */
static void on_state(HvsimWindow *win, Bench *b)
{
	const GuiRunnerState *st = hvsim_window_get_state(win);
	if (!st)
		return;
	GuiRunner *r = hvsim_window_get_runner(win);
	if (st->ended && !b->reset_pending) {
		b->loops++;
		b->reset_pending = TRUE;
		gui_runner_reset(r);
	} else if (b->reset_pending && !st->ended && !st->busy) {
		b->reset_pending = FALSE;
		gui_runner_run(r);
	} else if (!st->running && !st->busy && !st->ended && !b->reset_pending) {
		gui_runner_run(r);
	}
}

static gboolean on_tick(GtkWidget *w, GdkFrameClock *clock, gpointer user_data)
{
	Bench *b = user_data;
	gint64 ft = gdk_frame_clock_get_frame_time(clock);
	b->tick_at = g_get_monotonic_time();
	if (elapsed(b) >= BENCH_WARMUP_S) {
		if (!b->measure_from)
			b->measure_from = ft;
		else if (b->last_frame) {
			double ms = (double)(ft - b->last_frame) / 1000.0;
			b->frames++;
			b->frame_sum_ms += ms;
			b->worst_ms = MAX(b->worst_ms, ms);
			b->slow_frames += ms > BENCH_SLOW_FRAME_MS;
			b->longer_frames += ms > BENCH_THREE_PERIODS_MS;
			b->periods[MIN((guint)MAX(lround(ms / BENCH_PERIOD_MS), 1), G_N_ELEMENTS(b->periods)) - 1]++;
			b->last_measured = ft;
		}
	}
	b->last_frame = ft;
	gtk_widget_queue_draw(w);   /* the picture is drawn every frame, animation or not */
	return G_SOURCE_CONTINUE;
}

/* After GTK painted the frame: how long the frame's work took since its tick. */
static void on_after_paint(GdkFrameClock *clock, Bench *b)
{
	if (!b->tick_at || !b->measure_from)
		return;
	double ms = (double)(g_get_monotonic_time() - b->tick_at) / 1000.0;
	b->draw_sum_ms += ms;
	b->worst_draw_ms = MAX(b->worst_draw_ms, ms);
	/* All the UI thread did since the previous frame ended: the polls of
	 * the runner, the texts, this frame's layout and paint. */
	gint64 cpu = thread_cpu_us();
	if (b->cpu_prev) {
		double cpu_ms = (double)(cpu - b->cpu_prev) / 1000.0;
		b->cpu_frames++;
		b->cpu_sum_ms += cpu_ms;
		b->worst_cpu_ms = MAX(b->worst_cpu_ms, cpu_ms);
		b->cpu_over += cpu_ms > BENCH_CPU_BUDGET_MS;
	}
	b->cpu_prev = cpu;
}

static gboolean sample_rss(gpointer user_data)
{
	Bench *b = user_data;
	guint64 kib = rss_kib();
	g_array_append_val(b->rss_kib, kib);
	return G_SOURCE_CONTINUE;
}

/* The 1, 5 and 15 minute load averages, for the reader to judge the figures. */
static void load_average(char *buf, gsize len)
{
	g_autofree char *text = NULL;
	double l1, l5, l15;
	if (!g_file_get_contents("/proc/loadavg", &text, NULL, NULL) || sscanf(text, "%lf %lf %lf", &l1, &l5, &l15) != 3)
		g_strlcpy(buf, "unknown", len);
	else
		g_snprintf(buf, len, "%.2f %.2f %.2f", l1, l5, l15);
}

static double median_of(GArray *a)
{
	if (!a->len)
		return 0;
	double *v = g_memdup2(a->data, a->len * sizeof(double));
	qsort(v, a->len, sizeof *v, cmp_double);
	double med = a->len % 2 ? v[a->len / 2] : (v[a->len / 2 - 1] + v[a->len / 2]) / 2;
	g_free(v);
	return med;
}

/* A block of headless runs as one speed: its instructions over its time.
 * Every run of a scenario retires the same instructions (the emulator is
 * deterministic), so that is the harmonic mean of the runs' speeds. */
static double block_speed(GArray *ips, guint from)
{
	double inv = 0;
	guint n = 0;
	for (guint i = from; i < ips->len; i++)
		if (g_array_index(ips, double, i) > 0) {
			inv += 1.0 / g_array_index(ips, double, i);
			n++;
		}
	return inv > 0 ? n / inv : 0;
}

/* "min 10.1, median 12.0, max 13.2 M instructions/s" of a set of runs. */
static void print_spread(FILE *out, const char *what, GArray *ips, GArray *cpu)
{
	double lo = G_MAXDOUBLE, hi = 0;
	for (guint i = 0; i < ips->len; i++) {
		lo = MIN(lo, g_array_index(ips, double, i));
		hi = MAX(hi, g_array_index(ips, double, i));
	}
	fprintf(out, "%s (%u runs): min %.1f, median %.1f, max %.1f M instructions/s; each:", what, ips->len,
	        ips->len ? lo / 1e6 : 0, median_of(ips) / 1e6, hi / 1e6);
	for (guint i = 0; i < ips->len; i++)
		fprintf(out, " %.1f", g_array_index(ips, double, i) / 1e6);
	if (cpu && cpu->len) {
		fprintf(out, "; cpu share");
		for (guint i = 0; i < cpu->len; i++)
			fprintf(out, " %.2f", g_array_index(cpu, double, i));
	}
	fprintf(out, "\n");
}

/* Ends the current segment: pauses the window's machine, waits for its
 * sim thread to go idle and adds the segment's totals. */
static void segment_close(Bench *b)
{
	GuiRunner *r = hvsim_window_get_runner(b->win);
	gui_runner_pause(r);
	gui_runner_wait_idle(r);
	GuiRunnerTotals t;
	gui_runner_get_totals(r, &t);
	guint64 insns = t.insns - b->seg_start.insns;
	gint64 wall = t.wall_us - b->seg_start.wall_us;
	double v = wall > 0 ? (double)insns * G_USEC_PER_SEC / (double)wall : 0;
	g_array_append_val(b->seg_ips, v);
	double share = wall > 0 ? (double)(t.cpu_us - b->seg_start.cpu_us) / (double)wall : 0;
	g_array_append_val(b->seg_cpu, share);
	b->window.insns += insns;
	b->window.wall_us += wall;
	b->window.cpu_us += t.cpu_us - b->seg_start.cpu_us;
	b->window.batches += t.batches - b->seg_start.batches;
	b->segments_us += g_get_monotonic_time() - b->seg_start_at;
}

/* The measured part begins: the first segment starts. */
static gboolean finish(gpointer user_data);
static gboolean segment_next(gpointer user_data);

static gboolean segment_first(gpointer user_data)
{
	Bench *b = user_data;
	b->loops = 0;
	gui_runner_get_totals(hvsim_window_get_runner(b->win), &b->seg_start);
	b->seg_start_at = g_get_monotonic_time();
	b->segment_id = g_timeout_add((guint)(b->seconds / b->segments * 1000), segment_next, b);
	return G_SOURCE_REMOVE;
}

/* Between two segments: a block of headless runs while the window waits. */
static gboolean segment_next(gpointer user_data)
{
	Bench *b = user_data;
	if (++b->segments_done >= b->segments) {
		b->segment_id = 0;
		finish(b);
		return G_SOURCE_REMOVE;
	}
	segment_close(b);
	g_autoptr(GError) error = NULL;
	guint from = b->during_ips->len;
	if (!gui_window_bench_headless(b->scenario, b->vendor, 1, GUI_WINDOW_BENCH_BLOCK_S, b->during_ips, b->during_cpu,
	                               NULL, &error))
		g_printerr("hvsim-gui: --bench-window: a headless run failed: %s\n", error->message);
	double block = block_speed(b->during_ips, from);
	g_array_append_val(b->block_ips, block);
	/* The frame and CPU time spanning the headless run are not the window's. */
	b->last_frame = 0;
	b->cpu_prev = 0;
	b->tick_at = 0;
	GuiRunner *r = hvsim_window_get_runner(b->win);
	gui_runner_get_totals(r, &b->seg_start);
	b->seg_start_at = g_get_monotonic_time();
	if (!b->reset_pending)
		gui_runner_run(r);   /* else on_state runs it once the reset is done */
	return G_SOURCE_CONTINUE;
}

static gboolean finish(gpointer user_data)
{
	Bench *b = user_data;
	GtkWidget *picture = hvsim_window_get_picture(b->win);
	gtk_widget_remove_tick_callback(picture, b->tick_id);
	g_source_remove(b->rss_id);
	g_signal_handler_disconnect(b->win, b->state_id);
	if (b->clock)
		g_signal_handler_disconnect(b->clock, b->paint_id);
	/* The machine stops before the headless runs after the window's part,
	 * so they have the core to themselves as the ones before did. */
	segment_close(b);
	char load_window_end[64], load_end[64];
	load_average(load_window_end, sizeof load_window_end);
	/* The floor: a fixed repaint of the whole window (what a frame that
	 * changes the picture and a panel at once repaints), 60 a second, with
	 * the machine running headless on another thread (the window's paused). */
	int w = gtk_widget_get_width(picture), h = gtk_widget_get_height(picture);
	int ww = gtk_widget_get_width(GTK_WIDGET(b->win)), wh = gtk_widget_get_height(GTK_WIDGET(b->win));
	double fixed_s = MIN(BENCH_FIXED_MAX_S, b->seconds * BENCH_FIXED_SHARE);
	g_autoptr(GArray) fixed = g_array_new(FALSE, FALSE, sizeof(double));
	g_autoptr(GArray) fixed_ips = g_array_new(FALSE, FALSE, sizeof(double));
	FixedLoad load = { b->scenario, b->vendor, fixed_s, fixed_ips };
	GThread *load_thread = g_thread_new("hvsim-load", fixed_load_thread, &load);
	if (ww > 0 && wh > 0)
		gui_window_bench_fixed_paints(ww, wh, fixed_s, BENCH_PERIOD_MS, BENCH_FIXED_MAX_N, fixed);
	g_thread_join(load_thread);
	g_autoptr(GArray) after_ips = g_array_new(FALSE, FALSE, sizeof(double));
	g_autoptr(GArray) after_cpu = g_array_new(FALSE, FALSE, sizeof(double));
	g_autoptr(GError) error = NULL;
	gboolean headless_ok = gui_window_bench_headless(b->scenario, b->vendor, GUI_WINDOW_BENCH_HEADLESS_REPS, 0,
	                                                 after_ips, after_cpu, NULL, &error);
	double after_block = block_speed(after_ips, 0);
	g_array_append_val(b->block_ips, after_block);
	load_average(load_end, sizeof load_end);

	/* fps from the intervals counted (those spanning a headless run are not). */
	double fps = b->frame_sum_ms > 0 ? b->frames / (b->frame_sum_ms / 1000.0) : 0;
	double run_s = (double)b->window.wall_us / G_USEC_PER_SEC;
	double cpu_s = (double)b->window.cpu_us / G_USEC_PER_SEC;
	double ips = run_s > 0 ? b->window.insns / run_s : 0;
	fprintf(b->out, "window: picture %dx%d, %u segments of %.0f s measured after %.0f s warm-up, machine restarted %u times (each run of the scenario to its end)\n",
	        w, h, b->segments, b->seconds / b->segments, BENCH_WARMUP_S, b->loops);
	fprintf(b->out, "frames: %" G_GUINT64_FORMAT " on the frame clock, %.2f ms mean interval, %u over %.0f ms; "
	        "frame work (tick to after-paint) %.2f ms mean, %.2f ms worst\n",
	        b->frames, b->frames ? b->frame_sum_ms / b->frames : 0, b->slow_frames, BENCH_SLOW_FRAME_MS,
	        b->frames ? b->draw_sum_ms / b->frames : 0, b->worst_draw_ms);
	fprintf(b->out, "frames over 50 ms that took more than three 60 Hz refresh periods (%.1f ms): %u\n",
	        BENCH_THREE_PERIODS_MS, b->longer_frames);
	fprintf(b->out, "frame intervals by refresh periods (60 Hz): 1: %u, 2: %u, 3: %u, 4: %u, more: %u\n", b->periods[0],
	        b->periods[1], b->periods[2], b->periods[3], b->periods[4]);
	fprintf(b->out, "ui-thread cpu per frame (since the previous one ended): %.2f ms mean, %.2f ms worst, %u over %.1f ms\n",
	        b->cpu_frames ? b->cpu_sum_ms / b->cpu_frames : 0, b->worst_cpu_ms, b->cpu_over, BENCH_CPU_BUDGET_MS);
	/* The floor beside the window's frames: the same budget, per 1000. */
	double fixed_med = gui_window_bench_quantile(fixed, 0.5);
	guint fixed_over = gui_window_bench_count_over(fixed, BENCH_CPU_BUDGET_MS);
	double fixed_max = gui_window_bench_quantile(fixed, 1);
	fprintf(b->out, "fixed repaint (the window's %dx%d cleared, a picture drawn over it 3 times; %u times in %.1f s at 60 a second, "
	        "the machine running headless beside it, %u runs): ui-thread cpu p50 %.2f, p99 %.2f, p99.9 %.2f, max %.2f ms "
	        "(max over p50: %.1fx); %u over %.0fx the median, %u over %.1f ms\n",
	        ww, wh, fixed->len, fixed_s, fixed_ips->len, fixed_med, gui_window_bench_quantile(fixed, 0.99),
	        gui_window_bench_quantile(fixed, 0.999), fixed_max, fixed_med > 0 ? fixed_max / fixed_med : 0,
	        gui_window_bench_count_over(fixed, BENCH_FIXED_SPIKE * fixed_med), BENCH_FIXED_SPIKE, fixed_over,
	        BENCH_CPU_BUDGET_MS);
	fprintf(b->out, "over the %.1f ms budget, per 1000: window frames %.2f, fixed repaints %.2f\n", BENCH_CPU_BUDGET_MS,
	        b->cpu_frames ? 1000.0 * b->cpu_over / b->cpu_frames : 0, fixed->len ? 1000.0 * fixed_over / fixed->len : 0);
	fprintf(b->out, "fps %.1f\n", fps);
	fprintf(b->out, "worst-frame-ms %.1f\n", b->worst_ms);
	fprintf(b->out, "machine with the window: %.1f M instructions/s (%" G_GUINT64_FORMAT " instructions in %.1f s of "
	        "free-running batches, each with its publish; the sim thread had a core for %.2f of that time; "
	        "the batches filled %.0f %% of the segments' %.1f s, the rest was the restarts: over all of it, "
	        "%.1f M instructions/s)\n",
	        ips / 1e6, b->window.insns, run_s, run_s > 0 ? cpu_s / run_s : 0,
	        b->segments_us > 0 ? 100.0 * (double)b->window.wall_us / (double)b->segments_us : 0,
	        (double)b->segments_us / G_USEC_PER_SEC,
	        b->segments_us > 0 ? (double)b->window.insns / ((double)b->segments_us / G_USEC_PER_SEC) / 1e6 : 0);
	print_spread(b->out, "  segments with the window", b->seg_ips, b->seg_cpu);
	if (!headless_ok)
		fprintf(b->out, "headless after the window: failed: %s\n", error ? error->message : "unknown");
	print_spread(b->out, "headless before the window", b->before_ips, b->before_cpu);
	print_spread(b->out, "headless between the segments", b->during_ips, b->during_cpu);
	print_spread(b->out, "headless after the window", after_ips, after_cpu);
	/* Each segment against the blocks of headless runs on either side of it. */
	print_spread(b->out, "headless blocks (before, between, after; each its instructions over its time)", b->block_ips, NULL);
	g_autoptr(GArray) pairs = g_array_new(FALSE, FALSE, sizeof(double));
	for (guint i = 0; i < b->seg_ips->len && i + 1 < b->block_ips->len; i++) {
		double ref = (g_array_index(b->block_ips, double, i) + g_array_index(b->block_ips, double, i + 1)) / 2;
		double v = ref > 0 ? g_array_index(b->seg_ips, double, i) / ref : 0;
		g_array_append_val(pairs, v);
	}
	double lo = G_MAXDOUBLE, hi = 0;
	for (guint i = 0; i < pairs->len; i++) {
		lo = MIN(lo, g_array_index(pairs, double, i));
		hi = MAX(hi, g_array_index(pairs, double, i));
	}
	fprintf(b->out, "segment ratios (each segment over the mean of the headless blocks beside it): min %.2f, median %.2f, max %.2f; each:",
	        pairs->len ? lo : 0, median_of(pairs), hi);
	for (guint i = 0; i < pairs->len; i++)
		fprintf(b->out, " %.2f", g_array_index(pairs, double, i));
	fprintf(b->out, "\n");
	g_autoptr(GArray) all = g_array_new(FALSE, FALSE, sizeof(double));
	g_array_append_vals(all, b->before_ips->data, b->before_ips->len);
	g_array_append_vals(all, b->during_ips->data, b->during_ips->len);
	g_array_append_vals(all, after_ips->data, after_ips->len);
	double all_med = median_of(all), before = median_of(b->before_ips);
	fprintf(b->out, "whole window over the median of all %u headless runs %.2f; over the runs before the window only %.2f\n",
	        all->len, all_med > 0 ? ips / all_med : 0, before > 0 ? ips / before : 0);
	/* Per CPU second of the thread that ran the machine: what the window
	 * costs the machine's own work (the publishes, the caches it shares),
	 * without the time spent waiting for a core. */
	g_autoptr(GArray) per_cpu = g_array_new(FALSE, FALSE, sizeof(double));
	GArray *runs[][2] = { { b->before_ips, b->before_cpu }, { b->during_ips, b->during_cpu }, { after_ips, after_cpu } };
	for (guint k = 0; k < G_N_ELEMENTS(runs); k++)
		for (guint i = 0; i < runs[k][0]->len && i < runs[k][1]->len; i++) {
			double share = g_array_index(runs[k][1], double, i);
			double v = share > 0 ? g_array_index(runs[k][0], double, i) / share : 0;
			g_array_append_val(per_cpu, v);
		}
	double cpu_med = median_of(per_cpu), cpu_ips = cpu_s > 0 ? b->window.insns / cpu_s : 0;
	fprintf(b->out, "per cpu second of the machine's thread: with the window %.1f, headless %.1f (median) M instructions/s: %.2f\n",
	        cpu_ips / 1e6, cpu_med / 1e6, cpu_med > 0 ? cpu_ips / cpu_med : 0);
	fprintf(b->out, "load average: %s when the window opened, %s when the window's part ended, %s at the end\n",
	        b->load_start, load_window_end, load_end);
	fprintf(b->out, "ratio gui-attached-speed %.2f\n", median_of(pairs));
	guint n = b->rss_kib->len;
	if (n) {
		guint64 peak = 0;
		for (guint i = 0; i < n; i++)
			peak = MAX(peak, g_array_index(b->rss_kib, guint64, i));
		fprintf(b->out, "rss-kib:");
		for (guint q = 1; q <= 10; q++)
			fprintf(b->out, " %" G_GUINT64_FORMAT, g_array_index(b->rss_kib, guint64, MIN(n - 1, n * q / 10)));
		fprintf(b->out, " (at each tenth of the run)\n");
		fprintf(b->out, "rss-peak-mib %.1f\n", peak / 1024.0);
		fprintf(b->out, "rss-end-mib %.1f\n", g_array_index(b->rss_kib, guint64, n - 1) / 1024.0);
		/* Growth over the second half: a ring plateaus, a list grows. */
		guint64 mid = g_array_index(b->rss_kib, guint64, n / 2), end = g_array_index(b->rss_kib, guint64, n - 1);
		fprintf(b->out, "rss-growth-second-half-mib %.1f\n", ((double)end - (double)mid) / 1024.0);
	}
	fflush(b->out);
	int status = fps > 0 && b->frames > 0 && headless_ok && pairs->len ? 0 : 1;
	GuiWindowBenchDone done = b->done;
	gpointer ud = b->user_data;
	g_array_unref(b->rss_kib);
	g_array_unref(b->before_ips);
	g_array_unref(b->before_cpu);
	g_array_unref(b->during_ips);
	g_array_unref(b->during_cpu);
	g_array_unref(b->block_ips);
	g_array_unref(b->seg_ips);
	g_array_unref(b->seg_cpu);
	g_free(b->scenario);
	g_free(b);
	done(status, ud);
	return G_SOURCE_REMOVE;
}

void gui_window_bench_start(HvsimWindow *win, double seconds, const char *scenario, SimVendor vendor,
                            GArray *before_ips, GArray *before_cpu, FILE *out, GuiWindowBenchDone done,
                            gpointer user_data)
{
	g_return_if_fail(HVSIM_IS_WINDOW(win) && out != NULL && done != NULL);
	g_return_if_fail(scenario != NULL && before_ips != NULL && before_cpu != NULL);
	Bench *b = g_new0(Bench, 1);
	b->win = win;
	b->out = out;
	b->done = done;
	b->user_data = user_data;
	b->seconds = seconds;
	b->scenario = g_strdup(scenario);
	b->vendor = vendor;
	b->before_ips = before_ips;
	b->before_cpu = before_cpu;
	load_average(b->load_start, sizeof b->load_start);
	b->t_start = g_get_monotonic_time();
	b->rss_kib = g_array_new(FALSE, FALSE, sizeof(guint64));
	GtkWidget *picture = hvsim_window_get_picture(win);
	b->tick_id = gtk_widget_add_tick_callback(picture, on_tick, b, NULL);
	b->clock = gtk_widget_get_frame_clock(picture);
	if (b->clock)
		b->paint_id = g_signal_connect(b->clock, "after-paint", G_CALLBACK(on_after_paint), b);
	b->state_id = g_signal_connect(win, "state-published", G_CALLBACK(on_state), b);
	b->rss_id = g_timeout_add_seconds(BENCH_RSS_PERIOD_S, sample_rss, b);
	/* Segments of about BENCH_SEGMENT_S; a headless run between each two. */
	b->segments = MAX(1u, (guint)(seconds / BENCH_SEGMENT_S + 0.5));
	b->during_ips = g_array_new(FALSE, FALSE, sizeof(double));
	b->during_cpu = g_array_new(FALSE, FALSE, sizeof(double));
	b->block_ips = g_array_new(FALSE, FALSE, sizeof(double));
	double before_block = block_speed(before_ips, 0);
	g_array_append_val(b->block_ips, before_block);
	b->seg_ips = g_array_new(FALSE, FALSE, sizeof(double));
	b->seg_cpu = g_array_new(FALSE, FALSE, sizeof(double));
	g_timeout_add((guint)(BENCH_WARMUP_S * 1000), segment_first, b);
	gui_runner_run(hvsim_window_get_runner(win));
}
