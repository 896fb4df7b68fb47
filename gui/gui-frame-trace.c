/* gui-frame-trace.c — HVSIM_GUI_FRAME_TRACE=1: one line per slow frame of
 * the picture saying where its time went (the frame clock's phases and the
 * window's timed parts). GTK main thread only. */
#include <time.h>

#include "gui-frame-trace.h"

/* The frame clock's phases, in the order a frame runs them. */
typedef enum {
	PHASE_EVENTS,   /* flush-events: input */
	PHASE_BEFORE,   /* before-paint */
	PHASE_UPDATE,   /* update: tick callbacks, animations */
	PHASE_LAYOUT,   /* layout: measuring and allocating widgets */
	PHASE_PAINT,    /* paint: snapshots of the widgets and GSK's rendering */
	PHASE_AFTER,    /* after-paint */
	N_PHASES
} Phase;

static const char *const phase_names[N_PHASES] = { "events", "before", "update", "layout", "paint", "after" };
static const char *const phase_signals[N_PHASES] = { "flush-events", "before-paint", "update",
	                                             "layout",       "paint",        "after-paint" };
static const char *const part_names[GUI_FRAME_N_PARTS] = {
	"poll", "hooks", "status", "log", "stats", "inspector", "draw", "picture", "draw-hooks",
};

#define TRACE_MAX_NOTES 4

/* The UI thread's own CPU time (us): on a loaded machine the wall time of
 * a phase counts the time other processes held the core; this does not. */
static gint64 thread_cpu_us(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

struct GuiFrameTrace {
	GtkWidget *widget;
	FILE *out;
	gint64 threshold_us;
	gulong realize_id, unrealize_id;
	GdkFrameClock *clock;
	gulong begin_ids[N_PHASES], phase_ids[N_PHASES];

	gint64 begin;                  /* monotonic us the current frame began (0: not in a frame) */
	gint64 phase_end[N_PHASES];    /* ... and each of its phases ended (0: not run) */
	gint64 cpu_begin, cpu_end[N_PHASES];   /* the same in the thread's CPU time */
	gint64 prev_cpu_end;
	gint64 prev_end;               /* the previous frame's end */
	gint64 prev_work;              /* its work (begin to end) */
	gint64 prev_frame_time;        /* its frame clock time */
	gint64 part_us[GUI_FRAME_N_PARTS];   /* since the previous frame ended */
	gint64 part_cpu[GUI_FRAME_N_PARTS];
	guint part_n[GUI_FRAME_N_PARTS];
	const char *notes[TRACE_MAX_NOTES];
	guint n_notes;
	guint tiles_remade, tiles;   /* the picture's, this frame (0 of 0: drawn whole) */
	guint64 frames;
	guint slow;
};

/* Any phase may be skipped (one nothing asked for): the frame begins with
 * the first handler of the first phase that runs. */
static void on_phase_begin(GdkFrameClock *clock, gpointer data)
{
	GuiFrameTrace *t = g_object_get_data(G_OBJECT(clock), "hvsim-frame-trace");
	if (!t || t->begin)
		return;
	t->begin = g_get_monotonic_time();
	t->cpu_begin = thread_cpu_us();
	for (guint i = 0; i < N_PHASES; i++)
		t->phase_end[i] = 0;
}

static void print_frame(GuiFrameTrace *t, gint64 interval, gint64 work)
{
	GString *s = g_string_new(NULL);
	g_string_append_printf(s, "hvsim-gui: frame %" G_GUINT64_FORMAT " interval %.1f ms (previous frame's work %.1f ms, between frames %.1f ms, cpu %.1f",
	                       t->frames, interval / 1000.0, t->prev_work / 1000.0,
	                       t->prev_end ? (t->begin - t->prev_end) / 1000.0 : 0.0,
	                       t->prev_cpu_end ? (t->cpu_begin - t->prev_cpu_end) / 1000.0 : 0.0);
	/* The parts that ran between the frames (the runner's poll). */
	if (t->part_n[GUI_FRAME_POLL])
		g_string_append_printf(s, ": poll ×%u %.1f/%.1f, hooks %.1f/%.1f", t->part_n[GUI_FRAME_POLL],
		                       t->part_us[GUI_FRAME_POLL] / 1000.0, t->part_cpu[GUI_FRAME_POLL] / 1000.0,
		                       t->part_us[GUI_FRAME_POLL_HOOKS] / 1000.0, t->part_cpu[GUI_FRAME_POLL_HOOKS] / 1000.0);
	g_string_append_printf(s, "); work %.1f ms, cpu %.1f:", work / 1000.0,
	                       (t->cpu_end[PHASE_AFTER] - t->cpu_begin) / 1000.0);
	gint64 at = t->begin, cpu_at = t->cpu_begin;
	for (guint i = 0; i < N_PHASES; i++) {
		if (!t->phase_end[i])
			continue;
		g_string_append_printf(s, " %s %.1f/%.1f", phase_names[i], (t->phase_end[i] - at) / 1000.0,
		                       (t->cpu_end[i] - cpu_at) / 1000.0);
		at = t->phase_end[i];
		cpu_at = t->cpu_end[i];
		/* The texts in the update phase, the picture in the paint phase. */
		guint first = i == PHASE_UPDATE ? GUI_FRAME_TEXT_STATUS : i == PHASE_PAINT ? GUI_FRAME_DRAW : 0;
		guint last = i == PHASE_UPDATE ? GUI_FRAME_TEXT_INSPECTOR : GUI_FRAME_DRAW_HOOKS;
		gboolean open = FALSE;
		for (guint p = first; first && p <= last; p++) {
			if (!t->part_n[p])
				continue;
			g_string_append_printf(s, "%s%s %.1f/%.1f", open ? ", " : " (", part_names[p], t->part_us[p] / 1000.0,
			                       t->part_cpu[p] / 1000.0);
			open = TRUE;
		}
		if (open)
			g_string_append_c(s, ')');
	}
	for (guint i = 0; i < t->n_notes; i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "; ", t->notes[i]);
	if (t->tiles)
		g_string_append_printf(s, "; tiles %u/%u", t->tiles_remade, t->tiles);
	/* When, on the monotonic clock (perf record -k CLOCK_MONOTONIC's). */
	g_string_append_printf(s, " [at %.6f s]", t->begin / (double)G_USEC_PER_SEC);
	fprintf(t->out, "%s\n", s->str);
	fflush(t->out);
	g_string_free(s, TRUE);
}

static void on_phase_end(GdkFrameClock *clock, gpointer data)
{
	GuiFrameTrace *t = g_object_get_data(G_OBJECT(clock), "hvsim-frame-trace");
	Phase phase = (Phase)GPOINTER_TO_UINT(data);
	if (!t || !t->begin)
		return;
	gint64 now = g_get_monotonic_time();
	t->phase_end[phase] = now;
	t->cpu_end[phase] = thread_cpu_us();
	if (phase != PHASE_AFTER)
		return;
	gint64 ft = gdk_frame_clock_get_frame_time(clock);
	gint64 interval = t->prev_frame_time ? ft - t->prev_frame_time : 0;
	gint64 work = now - t->begin;
	t->frames++;
	if (interval > t->threshold_us || work > t->threshold_us) {
		t->slow++;
		print_frame(t, interval, work);
	}
	t->prev_frame_time = ft;
	t->prev_end = now;
	t->prev_cpu_end = t->cpu_end[PHASE_AFTER];
	t->prev_work = work;
	t->begin = 0;
	for (guint i = 0; i < GUI_FRAME_N_PARTS; i++) {
		t->part_us[i] = 0;
		t->part_cpu[i] = 0;
		t->part_n[i] = 0;
	}
	t->n_notes = 0;
	t->tiles_remade = t->tiles = 0;
}

static void disconnect_clock(GuiFrameTrace *t)
{
	if (!t->clock)
		return;
	for (guint i = 0; i < N_PHASES; i++) {
		g_signal_handler_disconnect(t->clock, t->begin_ids[i]);
		g_signal_handler_disconnect(t->clock, t->phase_ids[i]);
	}
	g_object_set_data(G_OBJECT(t->clock), "hvsim-frame-trace", NULL);
	g_clear_object(&t->clock);
}

static void on_realize(GtkWidget *widget, GuiFrameTrace *t)
{
	disconnect_clock(t);
	GdkFrameClock *clock = gtk_widget_get_frame_clock(widget);
	if (!clock)
		return;
	t->clock = g_object_ref(clock);
	g_object_set_data(G_OBJECT(clock), "hvsim-frame-trace", t);
	/* Each phase ends after all of its handlers (connected "after"). */
	for (guint i = 0; i < N_PHASES; i++) {
		t->begin_ids[i] = g_signal_connect(clock, phase_signals[i], G_CALLBACK(on_phase_begin), NULL);
		t->phase_ids[i] = g_signal_connect_after(clock, phase_signals[i], G_CALLBACK(on_phase_end),
		                                         GUINT_TO_POINTER(i));
	}
	t->prev_frame_time = 0;
	t->begin = 0;
}

static void on_unrealize(GtkWidget *widget, GuiFrameTrace *t)
{
	disconnect_clock(t);
}

GuiFrameTrace *gui_frame_trace_new_from_env(GtkWidget *widget, double threshold_ms, FILE *out)
{
	g_return_val_if_fail(GTK_IS_WIDGET(widget) && out != NULL, NULL);
	if (g_strcmp0(g_getenv("HVSIM_GUI_FRAME_TRACE"), "1") != 0)
		return NULL;
	GuiFrameTrace *t = g_new0(GuiFrameTrace, 1);
	t->widget = widget;
	t->out = out;
	/* HVSIM_GUI_FRAME_TRACE_MS=N: another threshold (0: every frame). */
	const char *ms = g_getenv("HVSIM_GUI_FRAME_TRACE_MS");
	if (ms && *ms) {
		char *end = NULL;
		double v = g_ascii_strtod(ms, &end);
		if (end && !*end && v >= 0 && v < 10000)
			threshold_ms = v;
		else
			g_printerr("hvsim-gui: HVSIM_GUI_FRAME_TRACE_MS=%s is not a number of milliseconds (0-9999); using %.0f\n",
			           ms, threshold_ms);
	}
	t->threshold_us = (gint64)(threshold_ms * 1000.0);
	t->realize_id = g_signal_connect(widget, "realize", G_CALLBACK(on_realize), t);
	t->unrealize_id = g_signal_connect(widget, "unrealize", G_CALLBACK(on_unrealize), t);
	if (gtk_widget_get_realized(widget))
		on_realize(widget, t);
	return t;
}

void gui_frame_trace_free(GuiFrameTrace *t)
{
	if (!t)
		return;
	disconnect_clock(t);
	g_signal_handler_disconnect(t->widget, t->realize_id);
	g_signal_handler_disconnect(t->widget, t->unrealize_id);
	g_free(t);
}

GuiFrameMark gui_frame_trace_begin(const GuiFrameTrace *t)
{
	return t ? (GuiFrameMark){ g_get_monotonic_time(), thread_cpu_us() } : (GuiFrameMark){ 0, 0 };
}

void gui_frame_trace_end(GuiFrameTrace *t, GuiFramePart part, GuiFrameMark begun)
{
	if (!t || part >= GUI_FRAME_N_PARTS)
		return;
	t->part_us[part] += g_get_monotonic_time() - begun.wall;
	t->part_cpu[part] += thread_cpu_us() - begun.cpu;
	t->part_n[part]++;
}

void gui_frame_trace_tiles(GuiFrameTrace *t, guint remade, guint tiles)
{
	if (!t)
		return;
	t->tiles_remade = remade;
	t->tiles = tiles;
}

void gui_frame_trace_note(GuiFrameTrace *t, const char *note)
{
	if (!t || !note)
		return;
	for (guint i = 0; i < t->n_notes; i++)
		if (g_str_equal(t->notes[i], note))
			return;
	if (t->n_notes < TRACE_MAX_NOTES)
		t->notes[t->n_notes++] = note;
}

guint gui_frame_trace_slow_frames(const GuiFrameTrace *t)
{
	return t ? t->slow : 0;
}
