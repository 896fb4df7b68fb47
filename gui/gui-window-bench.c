/* gui-window-bench.c — frames per second of the architecture view in a real
 * window while the machine runs at full speed, the machine's speed with the
 * window attached against headless, and memory over a long run. GTK main
 * thread (the machine is the window's runner's, on its sim thread). */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "gui-window-bench.h"
#include "sim-scenario.h"

#define BENCH_WARMUP_S     2.0    /* frames and speed are measured after this */
#define BENCH_RSS_PERIOD_S 1u     /* how often the resident memory is sampled */
#define BENCH_SLOW_FRAME_MS 50.0  /* the limit for one frame */
/* Three refresh periods at 60 Hz are 50.0 ms, measured as 50.001 (the
 * frame clock's period is 16667 us): such a frame is counted as over 50
 * ms, and also told apart from one that took longer than that. */
#define BENCH_THREE_PERIODS_MS 50.1
/* The UI thread's work that makes a frame interval reach 50 ms: the frame
 * clock ticks every 16.7 ms, so work past two periods shows as three. */
#define BENCH_CPU_BUDGET_MS 33.3

typedef struct Bench {
	HvsimWindow *win;
	FILE *out;
	GuiWindowBenchDone done;
	gpointer user_data;
	double seconds, headless_ips;
	gint64 t_start;
	guint tick_id, rss_id, end_id;
	gulong state_id, paint_id;
	GdkFrameClock *clock;
	/* frames */
	gint64 last_frame;       /* frame clock time of the previous tick (us) */
	gint64 tick_at;          /* monotonic time the current frame's tick ran */
	guint64 frames;
	double frame_sum_ms, worst_ms, draw_sum_ms, worst_draw_ms;
	guint slow_frames, longer_frames;
	gint64 cpu_prev;         /* the UI thread's CPU time (us) at the previous after-paint */
	double cpu_sum_ms, worst_cpu_ms;
	guint cpu_frames, cpu_over;
	gint64 measure_from;     /* frame time the measured part began */
	gint64 last_measured;
	/* machine */
	gboolean reset_pending;
	guint loops;
	guint64 insns_done;      /* instructions of the finished loops (measured part) */
	guint64 insns_seen;      /* of the current machine, at the last state */
	guint64 insns_at_measure;/* total when the measured part began */
	gboolean measuring;
	double run_seconds;      /* time the machine was running during the measured part */
	gint64 last_state_at;
	gboolean was_running;
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

double gui_window_bench_headless(const char *scenario, SimVendor vendor, int reps, GError **error)
{
	double *ips = g_new0(double, reps);
	for (int i = 0; i < reps; i++) {
		SimConfig cfg = { .vendor = vendor };
		SimMachine *m = sim_machine_new(&cfg, error);
		if (!m || !sim_load_scenario_or_image(m, scenario, error)) {
			g_clear_pointer(&m, sim_machine_free);
			g_free(ips);
			return 0;
		}
		gint64 t0 = g_get_monotonic_time();
		sim_machine_run(m);
		double s = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
		ips[i] = sim_machine_insns(m) / MAX(s, 1e-6);
		sim_machine_free(m);
	}
	qsort(ips, (size_t)reps, sizeof *ips, cmp_double);
	double med = ips[reps / 2];
	g_free(ips);
	return med;
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

static double elapsed(const Bench *b)
{
	return (double)(g_get_monotonic_time() - b->t_start) / G_USEC_PER_SEC;
}

/* The machine: free-running; restarted whenever the scenario ends. */
static void on_state(HvsimWindow *win, Bench *b)
{
	const GuiRunnerState *st = hvsim_window_get_state(win);
	const SimSnapshot *snap = hvsim_window_get_snapshot(win);
	if (!st || !snap)
		return;
	GuiRunner *r = hvsim_window_get_runner(win);
	gint64 now = g_get_monotonic_time();
	if (b->measuring && b->was_running)
		b->run_seconds += (double)(now - b->last_state_at) / G_USEC_PER_SEC;
	b->last_state_at = now;
	if (!b->reset_pending && snap->insns >= b->insns_seen)
		b->insns_seen = snap->insns;
	if (st->ended && !b->reset_pending) {
		b->insns_done += b->insns_seen;
		b->insns_seen = 0;
		b->loops++;
		b->reset_pending = TRUE;
		gui_runner_reset(r);
	} else if (b->reset_pending && !st->ended && !st->busy) {
		b->reset_pending = FALSE;
		b->insns_seen = 0;
		gui_runner_run(r);
	} else if (!st->running && !st->busy && !st->ended && !b->reset_pending) {
		gui_runner_run(r);
	}
	b->was_running = st->running && !st->ended && !b->reset_pending;
	if (!b->measuring && elapsed(b) >= BENCH_WARMUP_S) {
		b->measuring = TRUE;
		b->insns_at_measure = b->insns_done + b->insns_seen;
		b->run_seconds = 0;
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

static gboolean finish(gpointer user_data)
{
	Bench *b = user_data;
	b->end_id = 0;
	GtkWidget *picture = hvsim_window_get_picture(b->win);
	gtk_widget_remove_tick_callback(picture, b->tick_id);
	g_source_remove(b->rss_id);
	g_signal_handler_disconnect(b->win, b->state_id);
	if (b->clock)
		g_signal_handler_disconnect(b->clock, b->paint_id);
	gui_runner_pause(hvsim_window_get_runner(b->win));

	double span_s = b->frames ? (double)(b->last_measured - b->measure_from) / G_USEC_PER_SEC : 0;
	double fps = span_s > 0 ? b->frames / span_s : 0;
	guint64 insns = b->insns_done + b->insns_seen - b->insns_at_measure;
	double ips = b->run_seconds > 0 ? insns / b->run_seconds : 0;
	int w = gtk_widget_get_width(picture), h = gtk_widget_get_height(picture);
	fprintf(b->out, "window: picture %dx%d, %.0f s measured after %.0f s warm-up, machine restarted %u times (each run of the scenario to its end)\n",
	        w, h, span_s, BENCH_WARMUP_S, b->loops);
	fprintf(b->out, "frames: %" G_GUINT64_FORMAT " on the frame clock, %.2f ms mean interval, %u over %.0f ms; "
	        "frame work (tick to after-paint) %.2f ms mean, %.2f ms worst\n",
	        b->frames, b->frames ? b->frame_sum_ms / b->frames : 0, b->slow_frames, BENCH_SLOW_FRAME_MS,
	        b->frames ? b->draw_sum_ms / b->frames : 0, b->worst_draw_ms);
	fprintf(b->out, "frames over 50 ms that took more than three 60 Hz refresh periods (%.1f ms): %u\n",
	        BENCH_THREE_PERIODS_MS, b->longer_frames);
	fprintf(b->out, "ui-thread cpu per frame (since the previous one ended): %.2f ms mean, %.2f ms worst, %u over %.1f ms\n",
	        b->cpu_frames ? b->cpu_sum_ms / b->cpu_frames : 0, b->worst_cpu_ms, b->cpu_over, BENCH_CPU_BUDGET_MS);
	fprintf(b->out, "fps %.1f\n", fps);
	fprintf(b->out, "worst-frame-ms %.1f\n", b->worst_ms);
	fprintf(b->out, "machine: headless %.1f M instructions/s, with the window %.1f M instructions/s "
	        "(%" G_GUINT64_FORMAT " instructions in %.1f s running)\n",
	        b->headless_ips / 1e6, ips / 1e6, insns, b->run_seconds);
	fprintf(b->out, "ratio gui-attached-speed %.2f\n", b->headless_ips > 0 ? ips / b->headless_ips : 0);
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
	int status = fps > 0 && b->frames > 0 ? 0 : 1;
	GuiWindowBenchDone done = b->done;
	gpointer ud = b->user_data;
	g_array_unref(b->rss_kib);
	g_free(b);
	done(status, ud);
	return G_SOURCE_REMOVE;
}

void gui_window_bench_start(HvsimWindow *win, double seconds, double headless_ips, FILE *out,
                            GuiWindowBenchDone done, gpointer user_data)
{
	g_return_if_fail(HVSIM_IS_WINDOW(win) && out != NULL && done != NULL);
	Bench *b = g_new0(Bench, 1);
	b->win = win;
	b->out = out;
	b->done = done;
	b->user_data = user_data;
	b->seconds = seconds;
	b->headless_ips = headless_ips;
	b->t_start = g_get_monotonic_time();
	b->rss_kib = g_array_new(FALSE, FALSE, sizeof(guint64));
	GtkWidget *picture = hvsim_window_get_picture(win);
	b->tick_id = gtk_widget_add_tick_callback(picture, on_tick, b, NULL);
	b->clock = gtk_widget_get_frame_clock(picture);
	if (b->clock)
		b->paint_id = g_signal_connect(b->clock, "after-paint", G_CALLBACK(on_after_paint), b);
	b->state_id = g_signal_connect(win, "state-published", G_CALLBACK(on_state), b);
	b->rss_id = g_timeout_add_seconds(BENCH_RSS_PERIOD_S, sample_rss, b);
	b->end_id = g_timeout_add((guint)((seconds + BENCH_WARMUP_S) * 1000), finish, b);
	gui_runner_run(hvsim_window_get_runner(win));
}
