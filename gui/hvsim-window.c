/* hvsim-window.c — HvsimWindow: hvsim-gui's main window. The layout is the
 * template hvsim-window.ui; the machine's controls are actions installed in
 * class_init (sim.*: the machine, view.*: how it is shown). Shows the
 * architecture view (render.c) of the latest snapshot, the event log, the
 * VP of the last VM exit and the statistics, polling the runner's mailbox
 * about 30 times a second. GTK main thread only: nothing here touches a
 * SimMachine. */
#include <stdio.h>
#include <string.h>

#include "gui-backend.h"
#include "gui-export.h"
#include "gui-frame-trace.h"
#include "gui-log-view.h"
#include "gui-panel.h"
#include "gui-panel-text.h"
#include "gui-picture.h"
#include "gui-picture-view.h"
#include "hvsim-window.h"
#include "backend-kvm.h"
#include "sim-scenario.h"
#include "vmx.h"

#define GUI_PICTURE_HOLD_S  0.25  /* while running, the picture is redrawn at most this often */
/* While the machine runs freely the texts beside the picture change faster
 * than anyone reads them, and each change costs the UI thread a relayout
 * (a text view of hundreds of lines: tens of ms, a dropped frame). So while
 * running they are rebuilt at most this often, and the log holds fewer
 * lines; paused or stepped, everything is shown at once. */
#define GUI_TEXT_HOLD_US    G_GINT64_CONSTANT(500000) /* log, statistics, inspector */
#define GUI_STATUS_HOLD_US  G_GINT64_CONSTANT(250000) /* the status line */
#define GUI_LOG_EVENTS_RUNNING 60u /* events the log shows while running */
#define GUI_POLL_MS         33u   /* how often the UI looks for published state (~30 Hz) */
#define GUI_LOG_EVENTS      250u  /* events the log shows */
#define GUI_STATS_COLUMNS   46    /* the statistics panel's width in characters */
#define GUI_SCREENSHOT_WAIT 400u  /* ms to let a frame or two be drawn before a screenshot */
#define GUI_FRAME_TRACE_MS  30.0  /* HVSIM_GUI_FRAME_TRACE=1 prints frames slower than this */

typedef struct PanelHook {
	HvsimWindowUpdateFunc update;
	gpointer user_data;
} PanelHook;

typedef struct DrawHook {
	HvsimWindowDrawFunc draw;
	HvsimWindowItemsFunc items;   /* NULL: what it draws is not known (the view is drawn whole) */
	HvsimWindowDrawItemFunc draw_item;
	guint first_item;             /* this frame's, in view_items */
	gpointer user_data;
} DrawHook;

struct _HvsimWindow {
	GtkApplicationWindow parent_instance;
	gint64 texts_at;          /* monotonic time the texts were last rebuilt */
	gint64 status_at;         /* ... and the status line */
	guint texts_due;          /* WIN_TEXT_* bits: rebuilt by texts_tick, one a frame */
	guint texts_stale;        /* ... due but not on screen (another page, presentation mode) */
	guint texts_tick_id;

	char *scenario;
	SimVendor vendor;
	GuiRunner *runner;
	guint64 version;
	GuiRunnerState *state;   /* what is on screen */
	SimSnapshot *snap;       /* the newest snapshot received (a state may carry none) */
	GuiSharedSnap *snap_shared;  /* the same, as the picture's worker holds it */
	guint poll_id;
	gboolean presenting;     /* hvsim_window_present_state: another machine is on show */

	gboolean dark;
	gboolean presentation;
	gboolean typing;
	int size_w, size_h;      /* hvsim_window_set_fixed_size (0: the template's default) */
	gboolean size_fixed;     /* resized once to make the size exact */

	char *screenshot;        /* hvsim_window_screenshot_when_idle */
	HvsimWindowScreenshotDone screenshot_done;
	gpointer screenshot_data;
	gboolean screenshot_scheduled;

	GArray *panel_hooks;     /* of PanelHook */
	GArray *draw_hooks;      /* of DrawHook */
	GArray *view_items;      /* HvsimRenderItem of the hooks, this frame (the view's tiles) */
	HvsimRenderOptions view_opt;
	GuiPicture *picture;     /* the static picture, drawn on a worker when the snapshot or options change */
	gboolean picture_wait;   /* draw it here and now (a screenshot) */
	GuiFrameTrace *frame_trace;      /* HVSIM_GUI_FRAME_TRACE=1, else NULL */

	/* Template children. */
	GtkWidget *header, *side_panel, *status_sep;   /* what presentation mode hides */
	GtkWidget *area, *status_label, *run_button;
	GtkWidget *log_title, *log_scroll, *show_io, *show_ring, *log_search;
	GtkWidget *log;              /* the GuiLogView in log_scroll */
	GtkWidget *inspector, *stats_scroll;   /* inspector: the VP page (gui-panel.c) */
	GtkWidget *stats_view;       /* the GuiLogView in stats_scroll */
	GtkWidget *log_kind, *log_partition;
	GArray *log_partition_ids;   /* of guint32, parallel to log_partition's entries (0: all) */
	char *log_partitions_key;    /* the partitions log_partition was filled from */
	GtkStack *side_stack;
	char *status_markup;         /* what the status line shows */
	char *stats_text;            /* ... and the statistics page */

	/* The controls (the "Controls" section below). */
	GtkWidget *back_button, *next_button, *kind_dropdown;
	GtkWidget *machine_button, *scenario_dropdown, *scenario_help, *vendor_dropdown;
	GtkWidget *backend_emulated, *backend_native, *backend_reason;
	GtkWidget *main_menu_button;
	GtkWidget *bp_button, *bp_kind, *bp_partition, *bp_text, *bp_list, *bp_addr_partition, *bp_rip;
	GArray *bps;                 /* of GuiBreakpoint */
	char *shown_scenario;        /* the scenario the title and machine button name */
	SimVendor shown_vendor;
	int shown_native;            /* the backend they name: 1 native, 0 emulated, -1 none yet */
	char *native_note;           /* the probe's verdict for the native choice (gui_backend_offer) */
};

G_DEFINE_FINAL_TYPE(HvsimWindow, hvsim_window, GTK_TYPE_APPLICATION_WINDOW)

enum {
	PROP_0,
	PROP_DARK,
	PROP_PRESENTATION,
	PROP_TYPING,
	N_PROPS
};
static GParamSpec *props[N_PROPS];

enum {
	SIGNAL_STATE_PUBLISHED,
	N_SIGNALS
};
static guint signals[N_SIGNALS];

/* The texts beside the picture, rebuilt one a frame (texts_run). */
enum {
	WIN_TEXT_STATUS = 1u << 0,
	WIN_TEXT_LOG = 1u << 1,
	WIN_TEXT_STATS = 1u << 2,
	WIN_TEXT_INSPECTOR = 1u << 3,
};

/* ---- Tracing ------------------------------------------------------------------ */

/* HVSIM_GUI_TRACE_ACTIONS=1: one stdout line per activated action and per
 * state the window shows once the runner is idle, so a script driving the
 * window with real key presses can see their effect. */
static gboolean trace_enabled(void)
{
	static int enabled = -1;
	if (enabled < 0)
		enabled = g_strcmp0(g_getenv("HVSIM_GUI_TRACE_ACTIONS"), "1") == 0;
	return enabled;
}

static void trace_action(const char *name)
{
	if (trace_enabled()) {
		g_print("hvsim-gui: action %s\n", name);
		fflush(stdout);
	}
}

/* ... and, for the menus a key or a click opens (F10, the log's right
 * click), one line when one opens or closes, and one when the clipboard
 * takes text (the log's "Copy all lines"). */
static void trace_menu(GObject *popover, GParamSpec *pspec, gpointer name)
{
	g_print("hvsim-gui: menu %s (%s)\n", (const char *)name,
	        gtk_widget_get_visible(GTK_WIDGET(popover)) ? "open" : "closed");
	fflush(stdout);
}

static void clipboard_read(GObject *source, GAsyncResult *res, gpointer data)
{
	g_autofree char *text = gdk_clipboard_read_text_finish(GDK_CLIPBOARD(source), res, NULL);
	guint lines = 0;
	for (const char *c = text; c && *c; c++)
		lines += *c == '\n';
	g_print("hvsim-gui: clipboard %u lines%s\n", text && *text ? lines + 1 : 0, text ? "" : " (unreadable)");
	fflush(stdout);
}

static void trace_clipboard(GdkClipboard *clipboard, gpointer data)
{
	gdk_clipboard_read_text_async(clipboard, NULL, clipboard_read, NULL);
}

static void trace_menus(HvsimWindow *win)
{
	if (!trace_enabled())
		return;
	GtkPopover *main_menu = gtk_menu_button_get_popover(GTK_MENU_BUTTON(win->main_menu_button));
	if (main_menu)
		g_signal_connect(main_menu, "notify::visible", G_CALLBACK(trace_menu), (gpointer) "main");
	g_signal_connect(gui_log_view_get_menu(GUI_LOG_VIEW(win->log)), "notify::visible", G_CALLBACK(trace_menu),
	                 (gpointer) "log");
	g_signal_connect_object(gtk_widget_get_clipboard(GTK_WIDGET(win)), "changed", G_CALLBACK(trace_clipboard), win, 0);
}

static void trace_state(HvsimWindow *win)
{
	const GuiRunnerState *st = win->state;
	if (!trace_enabled() || st->busy)
		return;
	g_print("hvsim-gui: state %s insns %" G_GUINT64_FORMAT " last-exit %" G_GUINT64_FORMAT " dark %d presentation %d\n",
	        st->ended ? "ended" : st->running ? "running" : "paused", win->snap ? win->snap->insns : 0,
	        st->have_exit ? st->last_exit.seq : 0, win->dark, win->presentation);
	fflush(stdout);
}

/* ---- Drawing ------------------------------------------------------------------ */

void hvsim_window_get_render_options(HvsimWindow *win, HvsimRenderOptions *opt)
{
	g_return_if_fail(HVSIM_IS_WINDOW(win) && opt != NULL);
	*opt = (HvsimRenderOptions){ .style = win->dark ? HVSIM_RENDER_DARK : HVSIM_RENDER_LIGHT,
	                             .presentation = win->presentation };
	if (win->state && win->state->have_exit) {
		opt->exit_partition = win->state->last_exit.partition;
		opt->exit_reason = win->state->last_exit.u.exit.reason;
	}
}

static void draw_picture(HvsimWindow *win, cairo_t *cr, int width, int height, gboolean wait)
{
	if (!win->snap || !win->picture)   /* no picture: disposed */
		return;
	HvsimRenderOptions opt;
	hvsim_window_get_render_options(win, &opt);
	/* The picture only changes with the snapshot and is drawn on a worker
	 * thread (gui-picture.c): a frame paints the newest finished one and
	 * the animation over it. While running it is redrawn at most every
	 * GUI_PICTURE_HOLD_S (the instruction count need not change 60 times
	 * a second, and the worker shares the cores with the machine). */
	gui_picture_set_hold(win->picture, win->state && win->state->running ? GUI_PICTURE_HOLD_S : 0);
	GuiFrameMark t0 = gui_frame_trace_begin(win->frame_trace);
	guint64 drawn = gui_picture_drawn(win->picture);
	gui_picture_paint(win->picture, cr, width, height, win->snap_shared, &opt, wait);
	if (gui_picture_drawn(win->picture) != drawn)
		gui_frame_trace_end(win->frame_trace, GUI_FRAME_DRAW_PICTURE, t0);
	GuiFrameMark t1 = gui_frame_trace_begin(win->frame_trace);
	for (guint i = 0; i < win->draw_hooks->len; i++) {
		const DrawHook *h = &g_array_index(win->draw_hooks, DrawHook, i);
		cairo_save(cr);
		h->draw(win, cr, width, height, &opt, h->user_data);
		cairo_restore(cr);
	}
	gui_frame_trace_end(win->frame_trace, GUI_FRAME_DRAW_HOOKS, t1);
	gui_frame_trace_end(win->frame_trace, GUI_FRAME_DRAW, t0);
}

/* For exports and tests: the picture of the newest snapshot, drawn here. */
void hvsim_window_draw_picture(HvsimWindow *win, cairo_t *cr, int width, int height)
{
	g_return_if_fail(HVSIM_IS_WINDOW(win) && cr != NULL);
	draw_picture(win, cr, width, height, TRUE);
}

/* The worker finished a picture: show it. */
static void on_picture_ready(gpointer user_data)
{
	HvsimWindow *win = user_data;
	gui_frame_trace_note(win->frame_trace, "picture swapped in");
	gtk_widget_queue_draw(win->area);
}

static void draw_view(GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
	HvsimWindow *win = HVSIM_WINDOW(user_data);
	draw_picture(win, cr, width, height, win->picture_wait);
}

/* The view in tiles (gui-picture-view.c) when every hook says what it
 * draws: the picture as the worker drew it, the hooks' items over it.
 * Otherwise (a hook that cannot say, such as a test's) draw_view draws it all. */
static gboolean view_frame(GuiPictureView *view, int width, int height, GuiPictureViewFrame *out, gpointer user_data)
{
	HvsimWindow *win = HVSIM_WINDOW(user_data);
	if (!win->snap || !win->picture)
		return FALSE;
	for (guint i = 0; i < win->draw_hooks->len; i++)
		if (!g_array_index(win->draw_hooks, DrawHook, i).items || !g_array_index(win->draw_hooks, DrawHook, i).draw_item)
			return FALSE;
	hvsim_window_get_render_options(win, &win->view_opt);
	gui_picture_set_hold(win->picture, win->state && win->state->running ? GUI_PICTURE_HOLD_S : 0);
	GuiFrameMark t0 = gui_frame_trace_begin(win->frame_trace);
	double scale = gtk_widget_get_scale_factor(GTK_WIDGET(view));
	guint64 drawn = gui_picture_drawn(win->picture);
	gui_picture_update(win->picture, width, height, scale, scale, win->snap_shared, &win->view_opt, win->picture_wait);
	if (gui_picture_drawn(win->picture) != drawn)
		gui_frame_trace_end(win->frame_trace, GUI_FRAME_DRAW_PICTURE, t0);
	out->picture = gui_picture_shown(win->picture, &out->picture_w, &out->picture_h, &out->picture_gen);
	GuiFrameMark t1 = gui_frame_trace_begin(win->frame_trace);
	g_array_set_size(win->view_items, 0);
	for (guint i = 0; i < win->draw_hooks->len; i++) {
		DrawHook *h = &g_array_index(win->draw_hooks, DrawHook, i);
		h->first_item = win->view_items->len;
		h->items(win, width, height, &win->view_opt, win->view_items, h->user_data);
	}
	out->items = win->view_items;
	gui_frame_trace_end(win->frame_trace, GUI_FRAME_DRAW_HOOKS, t1);
	gui_frame_trace_end(win->frame_trace, GUI_FRAME_DRAW, t0);
	return TRUE;
}

static void view_done(GuiPictureView *view, guint remade, guint tiles, gpointer user_data)
{
	gui_frame_trace_tiles(HVSIM_WINDOW(user_data)->frame_trace, remade, tiles);
}

static void view_draw_item(GuiPictureView *view, cairo_t *cr, int width, int height, guint index,
                           gpointer user_data)
{
	HvsimWindow *win = HVSIM_WINDOW(user_data);
	GuiFrameMark t0 = gui_frame_trace_begin(win->frame_trace);
	for (guint i = win->draw_hooks->len; i-- > 0;) {
		const DrawHook *h = &g_array_index(win->draw_hooks, DrawHook, i);
		if (index >= h->first_item) {
			cairo_save(cr);
			h->draw_item(win, cr, width, height, &win->view_opt, index - h->first_item, h->user_data);
			cairo_restore(cr);
			break;
		}
	}
	gui_frame_trace_end(win->frame_trace, GUI_FRAME_DRAW_HOOKS, t0);
	gui_frame_trace_end(win->frame_trace, GUI_FRAME_DRAW, t0);
}

/* ---- The event log -------------------------------------------------------------- */

static const char *partition_name(const SimSnapshot *snap, uint32_t id)
{
	const SimSnapPartition *p = snap ? sim_snapshot_partition(snap, id) : NULL;
	return p && p->name ? p->name : "?";
}

/* The log's kind filter: each entry a group of event types. */
static const struct {
	const char *title;
	SimEventType types[6];
	guint n;
} log_kinds[] = {
	{ "All kinds", { 0 }, 0 },
	{ "VM exits and entries", { SIM_EV_VM_EXIT, SIM_EV_VM_ENTRY }, 2 },
	{ "Hypercalls", { SIM_EV_HYPERCALL, SIM_EV_HYPERCALL_PAGE }, 2 },
	{ "Intercepts", { SIM_EV_INTERCEPT, SIM_EV_VP_STATE }, 2 },
	{ "VMBus", { SIM_EV_VMBUS }, 1 },
	{ "SynIC, interrupts, timers", { SIM_EV_SYNIC_MESSAGE, SIM_EV_INTERRUPT, SIM_EV_TIMER }, 3 },
	{ "Ring transitions, faults", { SIM_EV_RING, SIM_EV_FAULT }, 2 },
	{ "Port I/O", { SIM_EV_PORT_IO }, 1 },
	{ "MSR and CPUID", { SIM_EV_MSR, SIM_EV_CPUID }, 2 },
	{ "Console", { SIM_EV_CONSOLE }, 1 },
	{ "Partitions, boot, halts", { SIM_EV_PARTITION_START, SIM_EV_PARTITION_STOP, SIM_EV_VP_START, SIM_EV_BOOT,
	                               SIM_EV_CHILD, SIM_EV_HALT }, 6 },
	{ "Hypervisor messages", { SIM_EV_MESSAGE }, 1 },
};

static void log_filters_init(HvsimWindow *win)
{
	GtkStringList *kinds = gtk_string_list_new(NULL);
	for (guint i = 0; i < G_N_ELEMENTS(log_kinds); i++)
		gtk_string_list_append(kinds, log_kinds[i].title);
	gtk_drop_down_set_model(GTK_DROP_DOWN(win->log_kind), G_LIST_MODEL(kinds));
	g_object_unref(kinds);
	win->log_partition_ids = g_array_new(FALSE, FALSE, sizeof(guint32));
	GtkStringList *parts = gtk_string_list_new((const char *const[]){ "All partitions", NULL });
	guint32 all = 0;
	g_array_append_val(win->log_partition_ids, all);
	gtk_drop_down_set_model(GTK_DROP_DOWN(win->log_partition), G_LIST_MODEL(parts));
	g_object_unref(parts);
}

/* The partition filter lists the partitions of the newest snapshot. */
static void log_partitions_refill(HvsimWindow *win)
{
	if (!win->snap)
		return;
	GString *key = g_string_new(NULL);
	for (guint i = 0; i < win->snap->n_partitions; i++)
		g_string_append_printf(key, "%u:%s;", win->snap->partitions[i].id, win->snap->partitions[i].name);
	if (g_strcmp0(key->str, win->log_partitions_key) == 0) {
		g_string_free(key, TRUE);
		return;
	}
	g_free(win->log_partitions_key);
	win->log_partitions_key = g_string_free(key, FALSE);
	guint sel = gtk_drop_down_get_selected(GTK_DROP_DOWN(win->log_partition));
	guint32 want = sel < win->log_partition_ids->len ? g_array_index(win->log_partition_ids, guint32, sel) : 0;
	GtkStringList *parts = gtk_string_list_new((const char *const[]){ "All partitions", NULL });
	g_array_set_size(win->log_partition_ids, 1);
	guint keep = 0;
	for (guint i = 0; i < win->snap->n_partitions; i++) {
		const SimSnapPartition *p = &win->snap->partitions[i];
		g_autofree char *title = g_strdup_printf("p%u %s (%s)", p->id, p->name, sim_snap_role_name(p->role));
		gtk_string_list_append(parts, title);
		if (p->id == want)
			keep = win->log_partition_ids->len;
		g_array_append_val(win->log_partition_ids, p->id);
	}
	g_signal_handlers_block_matched(win->log_partition, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, win);
	gtk_drop_down_set_model(GTK_DROP_DOWN(win->log_partition), G_LIST_MODEL(parts));
	gtk_drop_down_set_selected(GTK_DROP_DOWN(win->log_partition), keep);
	g_signal_handlers_unblock_matched(win->log_partition, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, win);
	g_object_unref(parts);
}

/* Whether the log shows an event: the kind and partition chosen; without
 * a kind the noisy kinds are opt-in. (The search is matched on its line:
 * log_matches.) Asked before the line is written: most of the 2,000
 * events kept are filtered out, and describing them all cost ~10 ms. */
static gboolean log_shows(HvsimWindow *win, const SimEvent *ev)
{
	guint pi = gtk_drop_down_get_selected(GTK_DROP_DOWN(win->log_partition));
	guint32 part = pi < win->log_partition_ids->len ? g_array_index(win->log_partition_ids, guint32, pi) : 0;
	if (part && ev->partition != part)
		return FALSE;
	guint ki = gtk_drop_down_get_selected(GTK_DROP_DOWN(win->log_kind));
	if (ki > 0 && ki < G_N_ELEMENTS(log_kinds)) {
		gboolean match = FALSE;
		for (guint i = 0; i < log_kinds[ki].n; i++)
			match |= ev->type == log_kinds[ki].types[i];
		if (!match)
			return FALSE;
	} else switch (ev->type) {
	case SIM_EV_PORT_IO:
		/* Passed-through port I/O is mostly the UART being polled. */
		if (!ev->u.io.intercepted && !gtk_check_button_get_active(GTK_CHECK_BUTTON(win->show_io)))
			return FALSE;
		break;
	case SIM_EV_RING:
		if (!gtk_check_button_get_active(GTK_CHECK_BUTTON(win->show_ring)))
			return FALSE;
		break;
	default:
		break;
	}
	return TRUE;
}

/* With a search only lines containing it (any case) are shown. */
static gboolean log_matches(const char *line, const char *needle)
{
	if (!needle || !*needle)
		return TRUE;
	g_autofree char *folded = g_utf8_casefold(line, -1);
	return strstr(folded, needle) != NULL;
}

/* One log line: "  seq  pN  what". */
static void log_line(HvsimWindow *win, const SimEvent *ev, char *buf, gsize len)
{
	char what[320];
	gui_event_describe(ev, win->vendor, what, sizeof what);
	g_snprintf(buf, len, "%6" G_GUINT64_FORMAT "  p%u  %s", ev->seq, ev->partition, what);
}

/* The log shows the newest GUI_LOG_EVENTS that pass the filter (fewer while
 * running), oldest first, each line with a first character saying whether
 * it is a VM exit (gui-log-view.c draws those in bold colours: they are
 * what "Next VM exit" steps to). GuiLogView lays out only the rows on
 * screen, so the whole list is given at once. */
static void update_log(HvsimWindow *win)
{
	if (!win->state)
		return;
	log_partitions_refill(win);
	const GArray *events = win->state->events;
	const char *search = gtk_editable_get_text(GTK_EDITABLE(win->log_search));
	g_autofree char *needle = search && *search ? g_utf8_casefold(search, -1) : NULL;
	/* The newest that pass the filter, newest first, then turned round. */
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	char line[400];
	guint max_lines = win->state->running ? GUI_LOG_EVENTS_RUNNING : GUI_LOG_EVENTS;
	for (guint i = events->len; i > 0 && lines->len < max_lines; i--) {
		const SimEvent *ev = &g_array_index(events, SimEvent, i - 1);
		if (!log_shows(win, ev))
			continue;
		log_line(win, ev, line, sizeof line);
		if (log_matches(line, needle))
			g_ptr_array_add(lines, g_strdup_printf("%c%s", ev->type == SIM_EV_VM_EXIT ? 'X' : '-', line));
	}
	for (guint i = 0; i < lines->len / 2; i++) {
		gpointer t = lines->pdata[i];
		lines->pdata[i] = lines->pdata[lines->len - 1 - i];
		lines->pdata[lines->len - 1 - i] = t;
	}
	gui_log_view_set_lines(GUI_LOG_VIEW(win->log), lines);
	g_ptr_array_unref(lines);
}

static void on_filter_toggled(GtkCheckButton *b, HvsimWindow *win)
{
	update_log(win);
}

static void on_log_filter_changed(GtkDropDown *dd, GParamSpec *pspec, HvsimWindow *win)
{
	(void)dd;
	(void)pspec;
	update_log(win);
}

gboolean hvsim_window_set_log_filter(HvsimWindow *win, const char *kind, guint32 partition)
{
	g_return_val_if_fail(HVSIM_IS_WINDOW(win), FALSE);
	guint ki = G_N_ELEMENTS(log_kinds);
	for (guint i = 0; i < G_N_ELEMENTS(log_kinds); i++)
		if (!kind ? i == 0 : g_str_equal(kind, log_kinds[i].title))
			ki = i;
	guint pi = win->log_partition_ids->len;
	for (guint i = 0; i < win->log_partition_ids->len; i++)
		if (g_array_index(win->log_partition_ids, guint32, i) == partition)
			pi = i;
	if (ki == G_N_ELEMENTS(log_kinds) || pi == win->log_partition_ids->len)
		return FALSE;
	gtk_drop_down_set_selected(GTK_DROP_DOWN(win->log_kind), ki);
	gtk_drop_down_set_selected(GTK_DROP_DOWN(win->log_partition), pi);
	update_log(win);
	return TRUE;
}

static void text_update(HvsimWindow *win, guint text);

char *hvsim_window_get_log_text(HvsimWindow *win)
{
	g_return_val_if_fail(HVSIM_IS_WINDOW(win), NULL);
	if ((win->texts_due | win->texts_stale) & WIN_TEXT_LOG) {   /* the log of the state shown, even before its frame */
		win->texts_due &= ~WIN_TEXT_LOG;
		win->texts_stale &= ~WIN_TEXT_LOG;
		update_log(win);
	}
	return gui_log_view_get_text(GUI_LOG_VIEW(win->log));
}

static void on_search_changed(GtkSearchEntry *e, HvsimWindow *win)
{
	update_log(win);
}

static void on_search_stop(GtkSearchEntry *e, HvsimWindow *win)
{
	/* Escape: back to the picture, where the single keys work. */
	gtk_widget_grab_focus(win->area);
}

static void set_typing(HvsimWindow *win, gboolean typing)
{
	if (win->typing == typing)
		return;
	win->typing = typing;
	g_object_notify_by_pspec(G_OBJECT(win), props[PROP_TYPING]);
}

static void on_search_focus_enter(GtkEventControllerFocus *c, HvsimWindow *win)
{
	set_typing(win, TRUE);
}

static void on_search_focus_leave(GtkEventControllerFocus *c, HvsimWindow *win)
{
	set_typing(win, FALSE);
}

/* ---- The status line ------------------------------------------------------------ */

static void update_controls(HvsimWindow *win);

/* The status line's text (deferred like the other texts, see texts_run). */
static void update_status_text(HvsimWindow *win)
{
	const GuiRunnerState *st = win->state;
	GString *s = g_string_new(NULL);
	if (st->have_exit) {
		const SimEvent *ex = &st->last_exit;
		char what[320];
		gui_event_describe(ex, win->vendor, what, sizeof what);
		g_autofree char *what_esc = g_markup_escape_text(what, -1);
		g_string_append_printf(s, "<b>Last VM exit</b> (event %" G_GUINT64_FORMAT ", partition %u %s, VP %u): %s",
		                       ex->seq, ex->partition, partition_name(win->snap, ex->partition), ex->vp, what_esc);
		/* The instruction it exited at, as the exiting VP's VMCS kept it. */
		char insn[160];
		if (gui_exit_instruction(win->snap, ex, insn, sizeof insn)) {
			g_autofree char *insn_esc = g_markup_escape_text(insn, -1);
			g_string_append_printf(s, " · <tt>%s</tt>", insn_esc);
		}
	} else {
		g_string_append(s, "<b>No VM exit yet</b>: before late launch the OS runs on the bare CPU; nothing exits.");
	}
	char insns[32];
	g_snprintf(insns, sizeof insns, "%" G_GUINT64_FORMAT, win->snap ? win->snap->insns : 0);
	const char *mode = st->replaying ? "going back" : st->ended ? "ended" : st->running ? "running" :
	                   st->busy ? "stepping" : "paused";
	g_autofree char *outcome = st->outcome_message ? g_markup_escape_text(st->outcome_message, -1) : NULL;
	g_string_append_printf(s, "\n%s · %s instructions%s%s", mode, insns, outcome ? " · " : "", outcome ? outcome : "");
	if (st->stop_message) {
		/* Where the last step stopped and why (a breakpoint says which). */
		g_autofree char *stop = g_markup_escape_text(st->stop_message, -1);
		g_string_append_printf(s, "\n<b>%s</b>%s", stop,
		                       st->in_round && !st->running ? " · inside a scheduler round" : "");
	} else {
		g_string_append(s, "\n ");
	}
	/* Unchanged: not set again (a new text is a relayout of the label).
	 * Always three lines, each cut with "…" rather than wrapped (the whole
	 * text is the tooltip): a label whose height changed when the machine
	 * stopped made the window lay out the picture's pane and the side
	 * pages again in the same frame, 15-20 ms of a frame over 50 ms. */
	if (g_strcmp0(win->status_markup, s->str) != 0) {
		gtk_label_set_markup(GTK_LABEL(win->status_label), s->str);
		gtk_widget_set_tooltip_markup(win->status_label, s->str);
		g_free(win->status_markup);
		win->status_markup = g_string_free(s, FALSE);
	} else {
		g_string_free(s, TRUE);
	}
}

static void update_next(HvsimWindow *win);

/* What the state enables: at once with every state (a key pressed next
 * must find the actions as the state says). */
static void update_status(HvsimWindow *win)
{
	const GuiRunnerState *st = win->state;
	/* A Back's replay is stopped by Pause (the toggle), ended run or not. */
	const char *run = st->running || st->replaying ? "Pause" : "Run";
	if (g_strcmp0(gtk_button_get_label(GTK_BUTTON(win->run_button)), run) != 0)
		gtk_button_set_label(GTK_BUTTON(win->run_button), run);
	static const char *const stepping[] = { "sim.run", "sim.step", "sim.step-exit", "sim.step-insn" };
	for (guint i = 0; i < G_N_ELEMENTS(stepping); i++)
		gtk_widget_action_set_enabled(GTK_WIDGET(win), stepping[i], !st->ended || (st->replaying && i == 0));
	update_next(win);
	update_controls(win);
}

/* ---- The VP page: the inspector (gui-panel.c) ---------------------------------- */

static void update_inspector(HvsimWindow *win)
{
	/* Formatted only while it is on show (a page switch updates it). */
	if (!win->snap || g_strcmp0(gtk_stack_get_visible_child_name(win->side_stack), "vp") != 0)
		return;
	const GuiRunnerState *st = win->state;
	gui_panel_update(GUI_PANEL(win->inspector), win->snap, st && st->have_exit,
	                 st && st->have_exit ? st->last_exit.partition : 0, st && st->have_exit ? st->last_exit.vp : 0);
}

/* The snapshot details the runner should copy: what the inspector's page
 * shows while the VP page is visible, nothing otherwise. */
static void on_inspector_request(GtkWidget *inspector, HvsimWindow *win)
{
	(void)inspector;
	SimSnapRequest req = { 0 };
	if (g_strcmp0(gtk_stack_get_visible_child_name(win->side_stack), "vp") == 0)
		gui_panel_get_request(GUI_PANEL(win->inspector), &req);
	if (win->runner)
		gui_runner_set_request(win->runner, &req);
	update_inspector(win);
}

static void texts_show(HvsimWindow *win);

static void on_side_page(GtkStack *stack, GParamSpec *pspec, HvsimWindow *win)
{
	(void)stack;
	(void)pspec;
	if (!gtk_widget_in_destruction(GTK_WIDGET(win))) {
		on_inspector_request(win->inspector, win);
		texts_show(win);
	}
}

/* ---- The statistics panel ------------------------------------------------------- */

/* The CLI's summary is laid out for 80 columns; the side panel has fewer.
 * Each line's inner runs of spaces shrink, and a count at its end stays
 * right-aligned at GUI_STATS_COLUMNS. */
static char *fit_stats(const char *text)
{
	GString *out = g_string_new(NULL);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		const char *p = *l;
		GString *line = g_string_new(NULL);
		while (*p == ' ')
			g_string_append_c(line, *p++);
		gsize indent = line->len;
		for (; *p; p++) {
			if (*p == ' ' && p[1] == ' ') {
				while (p[1] == ' ')
					p++;
				g_string_append(line, "  ");
				continue;
			}
			g_string_append_c(line, *p);
		}
		/* "label  count": pad the gap so the count ends at the margin. */
		const char *gap = g_strrstr(line->str + indent, "  ");
		if (gap && gap[2] && strspn(gap + 2, "0123456789") == strlen(gap + 2)) {
			gsize label_len = (gsize)(gap - line->str), count_len = strlen(gap + 2);
			g_autofree char *count = g_strdup(gap + 2);
			g_string_truncate(line, label_len);
			gsize used = label_len + count_len;
			for (gsize i = used < GUI_STATS_COLUMNS ? GUI_STATS_COLUMNS - used : 1; i > 0; i--)
				g_string_append_c(line, ' ');
			g_string_append(line, count);
		}
		g_string_append(out, line->str);
		if (l[1])
			g_string_append_c(out, '\n');
		g_string_free(line, TRUE);
	}
	return g_string_free(out, FALSE);
}

/* ---- Polling the runner --------------------------------------------------------- */

static gboolean take_screenshot(gpointer user_data);

static void show_state(HvsimWindow *win, GuiRunnerState *st);

static void schedule_screenshot(HvsimWindow *win, const GuiRunnerState *st)
{
	if (win->screenshot && !st->busy && !win->screenshot_scheduled) {
		/* The point is reached: let a frame or two be drawn. */
		win->screenshot_scheduled = TRUE;
		g_timeout_add(GUI_SCREENSHOT_WAIT, take_screenshot, win);
	}
}

/* The texts beside the picture are rebuilt one per frame: each costs the
 * UI thread its own building plus a relayout and a repaint of its widget,
 * and all of them at once (when the machine stops, or a new one starts)
 * made the frames that went over 50 ms. Each is marked due by the poll and
 * done, newest state first, by a tick of the window's frame clock, one a
 * frame in this order; a window not on screen does them all at once. A
 * text whose widget is hidden (another side page, presentation mode)
 * waits until it is shown. */

static void text_update(HvsimWindow *win, guint text)
{
	const GuiRunnerState *st = win->state;
	GuiFrameMark t = gui_frame_trace_begin(win->frame_trace);
	switch (text) {
	case WIN_TEXT_STATUS:
		update_status_text(win);
		gui_frame_trace_end(win->frame_trace, GUI_FRAME_TEXT_STATUS, t);
		break;
	case WIN_TEXT_LOG:
		update_log(win);
		gui_frame_trace_end(win->frame_trace, GUI_FRAME_TEXT_LOG, t);
		break;
	case WIN_TEXT_STATS:
		if (st->stats) {
			g_autofree char *fitted = fit_stats(st->stats);
			if (g_strcmp0(fitted, win->stats_text) != 0) {
				/* Drawn like the log (its rows on screen only), no line an exit. */
				g_auto(GStrv) rows = g_strsplit(fitted, "\n", -1);
				GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
				for (char **r = rows; *r; r++)
					g_ptr_array_add(lines, g_strconcat("-", *r, NULL));
				gui_log_view_set_lines(GUI_LOG_VIEW(win->stats_view), lines);
				g_ptr_array_unref(lines);
				g_free(win->stats_text);
				win->stats_text = g_steal_pointer(&fitted);
			}
		}
		gui_frame_trace_end(win->frame_trace, GUI_FRAME_TEXT_STATS, t);
		break;
	case WIN_TEXT_INSPECTOR:
		update_inspector(win);
		gui_frame_trace_end(win->frame_trace, GUI_FRAME_TEXT_INSPECTOR, t);
		break;
	default:
		g_assert_not_reached();
	}
}

/* The widget a text is shown in. */
static GtkWidget *text_widget(HvsimWindow *win, guint text)
{
	switch (text) {
	case WIN_TEXT_STATUS:
		return win->status_label;
	case WIN_TEXT_LOG:
		return win->log;
	case WIN_TEXT_STATS:
		return win->stats_view;
	default:
		return win->inspector;
	}
}

static gboolean texts_tick(GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
	HvsimWindow *win = HVSIM_WINDOW(widget);
	while (win->texts_due && win->state) {
		guint text = win->texts_due & -win->texts_due;   /* the lowest bit: the first in order */
		win->texts_due &= ~text;
		if (!gtk_widget_get_mapped(text_widget(win, text))) {
			win->texts_stale |= text;   /* rebuilt when shown (texts_show) */
			continue;
		}
		text_update(win, text);
		break;
	}
	if (win->texts_due)
		return G_SOURCE_CONTINUE;
	win->texts_tick_id = 0;
	return G_SOURCE_REMOVE;
}

static void texts_run(HvsimWindow *win)
{
	if (!win->texts_due || !win->state)
		return;
	if (!gtk_widget_get_mapped(GTK_WIDGET(win))) {
		while (win->texts_due) {
			guint text = win->texts_due & -win->texts_due;
			win->texts_due &= ~text;
			text_update(win, text);
		}
		return;
	}
	if (!win->texts_tick_id)
		win->texts_tick_id = gtk_widget_add_tick_callback(GTK_WIDGET(win), texts_tick, NULL, NULL);
}

/* Another side page or presentation mode left: what it hid is rebuilt. */
static void texts_show(HvsimWindow *win)
{
	win->texts_due |= win->texts_stale;
	win->texts_stale = 0;
	texts_run(win);
}

gboolean hvsim_window_texts_pending(HvsimWindow *win)
{
	g_return_val_if_fail(HVSIM_IS_WINDOW(win), FALSE);
	return win->texts_due != 0;
}

static gboolean poll_runner(gpointer user_data)
{
	HvsimWindow *win = user_data;
	if (win->presenting) {
		/* The runner's states wait (hvsim_window_present_state); a
		 * screenshot is of what is presented, which is never busy. */
		if (win->state)
			schedule_screenshot(win, win->state);
		return G_SOURCE_CONTINUE;
	}
	GuiFrameMark t_poll = gui_frame_trace_begin(win->frame_trace);
	GuiRunnerState *st = gui_runner_take(win->runner, &win->version, GUI_RUNNER_EVENTS_MAX);
	if (!st)
		return G_SOURCE_CONTINUE;
	show_state(win, st);
	gui_frame_trace_end(win->frame_trace, GUI_FRAME_POLL, t_poll);
	return G_SOURCE_CONTINUE;
}

void hvsim_window_present_state(HvsimWindow *win, GuiRunnerState *state)
{
	g_return_if_fail(HVSIM_IS_WINDOW(win));
	g_return_if_fail(!state || state->snap);
	win->presenting = state != NULL;
	if (state)
		show_state(win, state);
	else
		win->version = 0;   /* the runner's newest state is taken at the next poll */
}

/* Puts a state on screen (the window takes it). */
static void show_state(HvsimWindow *win, GuiRunnerState *st)
{
	if (st->snap) {
		g_clear_pointer(&win->snap_shared, gui_shared_snap_unref);
		win->snap_shared = gui_shared_snap_new(g_steal_pointer(&st->snap));
		win->snap = (SimSnapshot *)gui_shared_snap_get(win->snap_shared);
	}
	g_clear_pointer(&win->state, gui_runner_state_free);
	win->state = st;
	/* Paused or stepped: every text. Running: the texts at most every
	 * GUI_TEXT_HOLD_US, the status line every GUI_STATUS_HOLD_US. */
	gint64 now = g_get_monotonic_time();
	if (!st->running || now - win->texts_at >= GUI_TEXT_HOLD_US) {
		win->texts_at = now;
		win->texts_due |= WIN_TEXT_LOG | WIN_TEXT_STATS | WIN_TEXT_INSPECTOR;
		gui_frame_trace_note(win->frame_trace, st->running ? "texts due (running)" : "texts due (stopped)");
	}
	if (!st->running || now - win->status_at >= GUI_STATUS_HOLD_US) {
		win->status_at = now;
		win->texts_due |= WIN_TEXT_STATUS;
	}
	/* The log's partition filter and the actions follow every state. */
	log_partitions_refill(win);
	update_status(win);
	texts_run(win);
	GuiFrameMark t_hooks = gui_frame_trace_begin(win->frame_trace);
	for (guint i = 0; i < win->panel_hooks->len; i++) {
		const PanelHook *h = &g_array_index(win->panel_hooks, PanelHook, i);
		h->update(win, win->state, win->snap, h->user_data);
	}
	g_signal_emit(win, signals[SIGNAL_STATE_PUBLISHED], 0);
	gui_frame_trace_end(win->frame_trace, GUI_FRAME_POLL_HOOKS, t_hooks);
	trace_state(win);
	gtk_widget_queue_draw(win->area);

	schedule_screenshot(win, st);
}

/* ---- Screenshot -------------------------------------------------------------- */

/* The whole window as GTK drew it, through its own renderer; if that is not
 * possible, the architecture view alone at the drawing area's size. */
static gboolean save_window_png(HvsimWindow *win, const char *path, GError **error)
{
	GtkWidget *w_self = GTK_WIDGET(win);
	int w = gtk_widget_get_width(w_self), h = gtk_widget_get_height(w_self);
	GskRenderer *renderer = gtk_native_get_renderer(GTK_NATIVE(win));
	if (w > 0 && h > 0 && renderer) {
		GdkPaintable *paintable = gtk_widget_paintable_new(w_self);
		GtkSnapshot *snapshot = gtk_snapshot_new();
		gdk_paintable_snapshot(paintable, snapshot, w, h);
		GskRenderNode *node = gtk_snapshot_free_to_node(snapshot);
		g_object_unref(paintable);
		if (node) {
			GdkTexture *texture = gsk_renderer_render_texture(renderer, node, &GRAPHENE_RECT_INIT(0, 0, w, h));
			gsk_render_node_unref(node);
			gboolean ok = texture && gdk_texture_save_to_png(texture, path);
			g_clear_object(&texture);
			if (ok)
				return TRUE;
		}
	}
	w = MAX(gtk_widget_get_width(win->area), 640);
	h = MAX(gtk_widget_get_height(win->area), 360);
	cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	cairo_t *cr = cairo_create(surface);
	hvsim_window_draw_picture(win, cr, w, h);
	cairo_destroy(cr);
	cairo_status_t st = cairo_surface_write_to_png(surface, path);
	cairo_surface_destroy(surface);
	if (st != CAIRO_STATUS_SUCCESS) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot write %s: %s", path,
		            cairo_status_to_string(st));
		return FALSE;
	}
	return TRUE;
}

static gboolean take_screenshot(gpointer user_data)
{
	HvsimWindow *win = user_data;
	g_autoptr(GError) error = NULL;
	/* A fixed size names the picture's size; the window's default size also
	 * counts the frame's margins, so make up for them once. */
	int w = gtk_widget_get_width(GTK_WIDGET(win)), h = gtk_widget_get_height(GTK_WIDGET(win));
	if (win->size_w && !win->size_fixed && w > 0 && h > 0 && (w != win->size_w || h != win->size_h)) {
		win->size_fixed = TRUE;
		gtk_window_set_default_size(GTK_WINDOW(win), 2 * win->size_w - w, 2 * win->size_h - h);
		return G_SOURCE_CONTINUE;   /* again after the resize */
	}
	if (!win->picture_wait) {
		/* The window's snapshot reuses the area's last render node, which
		 * may still hold an older picture (the worker's was not swapped in
		 * yet): have it drawn again, in place, and save after that frame. */
		win->picture_wait = TRUE;   /* the picture of the point reached, not the one before */
		gtk_widget_queue_draw(win->area);
		return G_SOURCE_CONTINUE;
	}
	gboolean ok = save_window_png(win, win->screenshot, &error);
	win->picture_wait = FALSE;
	if (!ok)
		g_printerr("hvsim-gui: --screenshot: %s\n", error->message);
	else
		g_print("hvsim-gui: wrote %s (%s at %" G_GUINT64_FORMAT " instructions)\n", win->screenshot,
		        win->scenario, win->snap ? win->snap->insns : 0);
	if (win->screenshot_done)
		win->screenshot_done(win, ok, win->screenshot_data);
	return G_SOURCE_REMOVE;
}

void hvsim_window_screenshot_when_idle(HvsimWindow *win, const char *path, HvsimWindowScreenshotDone done,
                                       gpointer user_data)
{
	g_return_if_fail(HVSIM_IS_WINDOW(win) && path != NULL);
	g_free(win->screenshot);
	win->screenshot = g_strdup(path);
	win->screenshot_done = done;
	win->screenshot_data = user_data;
	win->screenshot_scheduled = FALSE;
	/* Commands queued before this call count: look at the runner afresh on
	 * the next poll, whether or not it published since. */
	win->version = 0;
}

/* ---- Styles and presentation ---------------------------------------------------- */

static void apply_style(HvsimWindow *win)
{
	g_object_set(gtk_settings_get_default(), "gtk-application-prefer-dark-theme", win->dark, NULL);
	gui_panel_set_dark(GUI_PANEL(win->inspector), win->dark);
	gui_log_view_set_dark(GUI_LOG_VIEW(win->log), win->dark);
	gtk_widget_queue_draw(win->area);
}

void hvsim_window_set_dark(HvsimWindow *win, gboolean dark)
{
	g_return_if_fail(HVSIM_IS_WINDOW(win));
	dark = !!dark;
	if (win->dark == dark)
		return;
	win->dark = dark;
	apply_style(win);
	trace_action(dark ? "view.dark (on)" : "view.dark (off)");
	g_object_notify_by_pspec(G_OBJECT(win), props[PROP_DARK]);
}

gboolean hvsim_window_get_dark(HvsimWindow *win)
{
	g_return_val_if_fail(HVSIM_IS_WINDOW(win), FALSE);
	return win->dark;
}

/* Presentation mode, for a projector: the window goes full screen (with a
 * fixed size it keeps that size instead, for screenshots), the header bar,
 * the status line and the side panel are hidden so the picture alone fills
 * it, and the picture is drawn with presentation type and lines. The style
 * stays the one chosen (light by default: the one with the most contrast;
 * d still switches). The stepping keys keep working: they are application
 * accelerators and the picture keeps the focus. */
void hvsim_window_set_presentation(HvsimWindow *win, gboolean on)
{
	g_return_if_fail(HVSIM_IS_WINDOW(win));
	on = !!on;
	gboolean changed = win->presentation != on;
	win->presentation = on;
	gtk_widget_action_set_enabled(GTK_WIDGET(win), "view.leave-presentation", on);
	gtk_widget_set_visible(win->header, !on);
	gtk_widget_set_visible(win->side_panel, !on);
	gtk_widget_set_visible(win->status_sep, !on);
	gtk_widget_set_visible(win->status_label, !on);
	if (win->size_w)   /* a window of exactly that size, without a frame */
		gtk_window_set_decorated(GTK_WINDOW(win), !on);
	else if (on)
		gtk_window_fullscreen(GTK_WINDOW(win));
	else if (changed)
		gtk_window_unfullscreen(GTK_WINDOW(win));
	gtk_widget_grab_focus(win->area);
	gtk_widget_queue_draw(win->area);
	if (!on)
		texts_show(win);
	if (changed) {
		trace_action(on ? "view.presentation (on)" : "view.presentation (off)");
		g_object_notify_by_pspec(G_OBJECT(win), props[PROP_PRESENTATION]);
	}
}

gboolean hvsim_window_get_presentation(HvsimWindow *win)
{
	g_return_val_if_fail(HVSIM_IS_WINDOW(win), FALSE);
	return win->presentation;
}

void hvsim_window_set_fixed_size(HvsimWindow *win, int width, int height)
{
	g_return_if_fail(HVSIM_IS_WINDOW(win) && width > 0 && height > 0);
	win->size_w = width;
	win->size_h = height;
	win->size_fixed = FALSE;
	gtk_window_set_default_size(GTK_WINDOW(win), width, height);
}

gboolean hvsim_window_get_typing(HvsimWindow *win)
{
	g_return_val_if_fail(HVSIM_IS_WINDOW(win), FALSE);
	return win->typing;
}

/* ---- Controls ----------------------------------------------------------------- */

/* The kinds Next and Previous step to, in the order of kind_dropdown. */
static const SimStepStop control_kinds[] = {
	SIM_STEP_STOP_VM_EXIT, SIM_STEP_STOP_HYPERCALL, SIM_STEP_STOP_INTERCEPT,
	SIM_STEP_STOP_VMBUS, SIM_STEP_STOP_INTERRUPT, SIM_STEP_STOP_RING,
};

/* The kinds a breakpoint can name, in the order of bp_kind. */
static const SimEventType bp_types[] = {
	SIM_EV_VM_EXIT, SIM_EV_HYPERCALL, SIM_EV_INTERCEPT, SIM_EV_VMBUS, SIM_EV_INTERRUPT, SIM_EV_RING,
	SIM_EV_FAULT, SIM_EV_CONSOLE, SIM_EV_PORT_IO, SIM_EV_MSR, SIM_EV_CPUID, SIM_EV_SYNIC_MESSAGE,
	SIM_EV_TIMER, SIM_EV_CHILD, SIM_EV_BOOT,
};

/* The native backend (KVM): the capability probe (backend-kvm.c) runs on a
 * worker thread when the window opens; gui_backend_offer turns its verdict
 * into the choice: selectable where the probe passes, else greyed out with
 * its reason. */
#define GUI_NATIVE_PROBING "Checking whether this host can run guests natively (KVM)…"

typedef struct NativeProbe {
	gboolean ok;
	char *reason;
} NativeProbe;

static void native_probe_free(gpointer p)
{
	NativeProbe *np = p;
	g_free(np->reason);
	g_free(np);
}

static void native_probe_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
	GString *reason = g_string_new(NULL);
	NativeProbe *np = g_new0(NativeProbe, 1);
	np->ok = sim_kvm_probe(reason);
	np->reason = g_string_free(reason, FALSE);
	g_task_return_pointer(task, np, native_probe_free);
}

static void update_backend_controls(HvsimWindow *win);

static void native_probe_done(GObject *source, GAsyncResult *res, gpointer data)
{
	NativeProbe *np = g_task_propagate_pointer(G_TASK(res), NULL);
	HvsimWindow *win = HVSIM_WINDOW(source);
	if (!np || !win->runner) {   /* no runner: the window was disposed meanwhile */
		if (np)
			native_probe_free(np);
		return;
	}
	GuiBackendOffer offer;
	gui_backend_offer(np->ok, np->reason, &offer);
	native_probe_free(np);
	gtk_widget_set_sensitive(win->backend_native, offer.native_selectable);
	g_free(win->native_note);
	win->native_note = g_steal_pointer(&offer.native_note);
	gui_backend_offer_clear(&offer);
	update_backend_controls(win);
}

/* The backend part of the controls: the popover's radio buttons and note,
 * and step back (no deterministic replay natively). */
static void update_backend_controls(HvsimWindow *win)
{
	gboolean native = win->shown_native == 1;
	const char *note = win->native_note ? win->native_note : GUI_NATIVE_PROBING;
	gtk_widget_set_tooltip_text(win->backend_native, note);
	if (native)
		gtk_label_set_text(GTK_LABEL(win->backend_reason), "Running natively (KVM). " GUI_BACKEND_NATIVE_LIMITS);
	else
		gtk_label_set_text(GTK_LABEL(win->backend_reason), note);
	const char *why = NULL;
	gboolean back = gui_backend_can_step_back(native, &why);
	gtk_widget_action_set_enabled(GTK_WIDGET(win), "sim.step-back", back);
	if (!back)
		gtk_widget_set_tooltip_text(win->back_button, why);
	update_next(win);
}

static SimStepStop control_kind(HvsimWindow *win)
{
	guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(win->kind_dropdown));
	return control_kinds[i < G_N_ELEMENTS(control_kinds) ? i : 0];
}

/* Next: on while the machine has not ended and the backend can see the
 * chosen kind (natively, no ring transitions); its tooltip names the kind
 * or says why not. */
static void update_next(HvsimWindow *win)
{
	const char *why = NULL;
	gboolean can = gui_backend_can_step_to(win->shown_native == 1, control_kind(win), &why);
	gtk_widget_action_set_enabled(GTK_WIDGET(win), "sim.step-next", can && !(win->state && win->state->ended));
	if (!can) {
		gtk_widget_set_tooltip_text(win->next_button, why);
		return;
	}
	/* "◀ Previous | Next ▶ | VM exit ▾" reads as a sentence; the tooltips
	 * name the kind too. */
	g_autofree char *next =
		g_strdup_printf("Run until the next %s and stop right after it (n)", gui_step_kind_name(control_kind(win)));
	gtk_widget_set_tooltip_text(win->next_button, next);
}

static void on_kind_selected(GtkDropDown *d, GParamSpec *pspec, HvsimWindow *win)
{
	const char *kind = gui_step_kind_name(control_kind(win));
	g_autofree char *back = g_strdup_printf("Go back to just after the previous %s, by replaying the scenario from power-on (b)", kind);
	update_next(win);
	if (gui_backend_can_step_back(win->shown_native == 1, NULL))
		gtk_widget_set_tooltip_text(win->back_button, back);
}

/* The symbols of partition `id`'s image as the newest snapshot has them
 * (NULL: no such partition yet, or no symbols). */
static const SimSymtab *partition_symtab(HvsimWindow *win, uint32_t id)
{
	const SimSnapPartition *p = win->snap ? sim_snapshot_partition(win->snap, id) : NULL;
	return p ? p->symtab : NULL;
}

static void update_bp_list(HvsimWindow *win)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < win->bps->len; i++) {
		const GuiBreakpoint *bp = &g_array_index(win->bps, GuiBreakpoint, i);
		if (bp->address) {
			char sym[96] = "";
			sim_symtab_describe(partition_symtab(win, bp->partition), bp->rip, sym, sizeof sym);
			g_string_append_printf(s, "%s%u. partition %u, RIP 0x%" G_GINT64_MODIFIER "x%s%s%s", i ? "\n" : "", i + 1,
			                       bp->partition, bp->rip, *sym ? " <" : "", sym, *sym ? ">" : "");
			continue;
		}
		g_string_append_printf(s, "%s%u. %s", i ? "\n" : "", i + 1, sim_event_type_name(bp->type));
		if (bp->partition)
			g_string_append_printf(s, " in partition %u", bp->partition);
		if (bp->text[0])
			g_string_append_printf(s, " containing \"%s\"", bp->text);
	}
	gtk_label_set_text(GTK_LABEL(win->bp_list), s->len ? s->str : "No breakpoints.");
	/* A short label: the header bar has to fit 1280 pixels (the tooltip says what it is). */
	g_autofree char *label = win->bps->len ? g_strdup_printf("\u25CF %u", win->bps->len) : g_strdup("\u25CF");
	gtk_menu_button_set_label(GTK_MENU_BUTTON(win->bp_button), label);
	g_string_free(s, TRUE);
	gui_runner_set_breakpoints(win->runner, (const GuiBreakpoint *)(void *)win->bps->data, win->bps->len);
}

#define GUI_BREAKPOINTS_MAX 32u

static void on_bp_add(GtkWidget *w, HvsimWindow *win)
{
	if (win->bps->len >= GUI_BREAKPOINTS_MAX)
		return;
	GuiBreakpoint bp = { 0 };
	guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(win->bp_kind));
	bp.type = bp_types[i < G_N_ELEMENTS(bp_types) ? i : 0];
	bp.partition = (uint32_t)gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(win->bp_partition));
	g_strlcpy(bp.text, gtk_editable_get_text(GTK_EDITABLE(win->bp_text)), sizeof bp.text);
	g_strstrip(bp.text);
	g_array_append_val(win->bps, bp);
	gtk_editable_set_text(GTK_EDITABLE(win->bp_text), "");
	update_bp_list(win);
}

/* RIP as typed: hexadecimal, with or without 0x, or a function of the
 * partition's image with an optional offset (gui_parse_guest_address).
 * Anything else is refused in the list's place, saying what was wrong. */
static void on_bp_add_address(GtkWidget *w, HvsimWindow *win)
{
	if (win->bps->len >= GUI_BREAKPOINTS_MAX)
		return;
	uint32_t partition = (uint32_t)gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(win->bp_addr_partition));
	uint64_t rip = 0;
	g_autoptr(GError) error = NULL;
	if (!gui_parse_guest_address(gtk_editable_get_text(GTK_EDITABLE(win->bp_rip)), partition_symtab(win, partition),
	                             &rip, &error)) {
		g_autofree char *msg = g_strdup_printf("Not added: %s.", error->message);
		gtk_label_set_text(GTK_LABEL(win->bp_list), msg);
		return;
	}
	GuiBreakpoint bp = { .address = TRUE, .rip = rip };
	bp.partition = partition;
	g_array_append_val(win->bps, bp);
	gtk_editable_set_text(GTK_EDITABLE(win->bp_rip), "");
	update_bp_list(win);
}

static void on_bp_clear(GtkWidget *w, HvsimWindow *win)
{
	g_array_set_size(win->bps, 0);
	update_bp_list(win);
}

static void on_scenario_selected(GtkDropDown *d, GParamSpec *pspec, HvsimWindow *win)
{
	guint i = gtk_drop_down_get_selected(d);
	const SimScenario *sc = sim_scenarios();
	for (guint j = 0; sc[j].name; j++)
		if (j == i)
			gtk_label_set_text(GTK_LABEL(win->scenario_help), sc[j].description);
}

/* The title, the machine button and the popover follow the runner's
 * machine (a load may have changed it, or failed and kept the old one). */
static void update_controls(HvsimWindow *win)
{
	const GuiRunnerState *st = win->state;
	if (!st || !st->scenario)
		return;
	if (win->shown_scenario && g_str_equal(win->shown_scenario, st->scenario) && win->shown_vendor == st->vendor &&
	    win->shown_native == (int)st->native)
		return;
	win->shown_native = st->native;
	g_free(win->shown_scenario);
	win->shown_scenario = g_strdup(st->scenario);
	win->shown_vendor = st->vendor;
	win->vendor = st->vendor;
	g_free(win->scenario);
	win->scenario = g_strdup(st->scenario);
	/* The backend is named where it is always seen: the title, and the
	 * machine button (natively, its tooltip says what cannot be shown). */
	g_autofree char *title = g_strdup_printf("hvsim — %s — %s", st->scenario, gui_backend_label(st->native));
	gtk_window_set_title(GTK_WINDOW(win), title);
	g_autofree char *label = g_strdup_printf("%s · %s%s", st->scenario, st->vendor == SIM_VENDOR_AMD ? "AMD" : "Intel",
	                                         st->native ? " · native" : "");
	gtk_menu_button_set_label(GTK_MENU_BUTTON(win->machine_button), label);
	gtk_widget_set_tooltip_text(win->machine_button, st->native ? "Scenario, CPU vendor and backend. " GUI_BACKEND_NATIVE_LIMITS
	                                                            : "Scenario, CPU vendor and backend");
	gtk_check_button_set_active(GTK_CHECK_BUTTON(st->native ? win->backend_native : win->backend_emulated), TRUE);
	update_backend_controls(win);
	on_kind_selected(GTK_DROP_DOWN(win->kind_dropdown), NULL, win);
	const SimScenario *sc = sim_scenarios();
	for (guint j = 0; sc[j].name; j++)
		if (g_str_equal(sc[j].name, st->scenario))
			gtk_drop_down_set_selected(GTK_DROP_DOWN(win->scenario_dropdown), j);
	gtk_drop_down_set_selected(GTK_DROP_DOWN(win->vendor_dropdown), st->vendor == SIM_VENDOR_AMD ? 1 : 0);
}

static void controls_init(HvsimWindow *win)
{
	win->bps = g_array_new(FALSE, FALSE, sizeof(GuiBreakpoint));
	GtkStringList *kinds = gtk_string_list_new(NULL);
	for (guint i = 0; i < G_N_ELEMENTS(bp_types); i++)
		gtk_string_list_append(kinds, sim_event_type_name(bp_types[i]));
	gtk_drop_down_set_model(GTK_DROP_DOWN(win->bp_kind), G_LIST_MODEL(kinds));
	g_object_unref(kinds);
	GtkStringList *names = gtk_string_list_new(NULL);
	const SimScenario *sc = sim_scenarios();
	for (guint j = 0; sc[j].name; j++)
		gtk_string_list_append(names, sc[j].name);
	gtk_drop_down_set_model(GTK_DROP_DOWN(win->scenario_dropdown), G_LIST_MODEL(names));
	g_object_unref(names);
	g_signal_connect(win->scenario_dropdown, "notify::selected", G_CALLBACK(on_scenario_selected), win);
	on_scenario_selected(GTK_DROP_DOWN(win->scenario_dropdown), NULL, win);
	win->shown_native = -1;
	update_backend_controls(win);
	GTask *task = g_task_new(win, NULL, native_probe_done, NULL);
	g_task_run_in_thread(task, native_probe_thread);
	g_object_unref(task);
	on_kind_selected(GTK_DROP_DOWN(win->kind_dropdown), NULL, win);
}

static void act_step_insn(GtkWidget *w, const char *name, GVariant *p)
{
	trace_action(name);
	gui_runner_step_insn(HVSIM_WINDOW(w)->runner, 1);
}

static void act_step_next(GtkWidget *w, const char *name, GVariant *p)
{
	trace_action(name);
	gui_runner_step_to(HVSIM_WINDOW(w)->runner, control_kind(HVSIM_WINDOW(w)));
}

static void act_step_back(GtkWidget *w, const char *name, GVariant *p)
{
	trace_action(name);
	gui_runner_back_to(HVSIM_WINDOW(w)->runner, control_kind(HVSIM_WINDOW(w)));
}

/* k: the next kind in the drop-down (keyboard-only stepping). */
static void act_next_kind(GtkWidget *w, const char *name, GVariant *p)
{
	HvsimWindow *win = HVSIM_WINDOW(w);
	trace_action(name);
	guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(win->kind_dropdown));
	gtk_drop_down_set_selected(GTK_DROP_DOWN(win->kind_dropdown), (i + 1) % G_N_ELEMENTS(control_kinds));
	if (trace_enabled()) {
		g_print("hvsim-gui: step kind %s\n", gui_step_kind_name(control_kind(win)));
		fflush(stdout);
	}
}

static void act_load(GtkWidget *w, const char *name, GVariant *p)
{
	HvsimWindow *win = HVSIM_WINDOW(w);
	trace_action(name);
	guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(win->scenario_dropdown));
	const SimScenario *sc = sim_scenarios();
	const char *scenario = NULL;
	for (guint j = 0; sc[j].name; j++)
		if (j == i)
			scenario = sc[j].name;
	if (!scenario)
		return;
	SimVendor vendor = gtk_drop_down_get_selected(GTK_DROP_DOWN(win->vendor_dropdown)) == 1 ? SIM_VENDOR_AMD
	                                                                                         : SIM_VENDOR_INTEL;
	SimBackendKind backend = gtk_check_button_get_active(GTK_CHECK_BUTTON(win->backend_native)) &&
	                                 gtk_widget_get_sensitive(win->backend_native)
	                             ? SIM_BACKEND_KVM
	                             : SIM_BACKEND_EMULATED;
	gtk_menu_button_popdown(GTK_MENU_BUTTON(win->machine_button));
	gui_runner_load_backend(win->runner, scenario, vendor, backend);
}

/* ---- Actions ------------------------------------------------------------------ */


static void act_run(GtkWidget *w, const char *name, GVariant *p)
{
	trace_action(name);
	gui_runner_toggle(HVSIM_WINDOW(w)->runner);
}

static void act_step(GtkWidget *w, const char *name, GVariant *p)
{
	trace_action(name);
	gui_runner_step(HVSIM_WINDOW(w)->runner);
}

static void act_step_exit(GtkWidget *w, const char *name, GVariant *p)
{
	trace_action(name);
	gui_runner_step_to(HVSIM_WINDOW(w)->runner, SIM_STEP_STOP_VM_EXIT);
}

static void act_reset(GtkWidget *w, const char *name, GVariant *p)
{
	trace_action(name);
	gui_runner_reset(HVSIM_WINDOW(w)->runner);
}

static void on_export_response(GtkNativeDialog *dialog, int response, gpointer user_data)
{
	HvsimWindow *win = user_data;
	if (response == GTK_RESPONSE_ACCEPT && win->snap) {
		g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
		g_autofree char *path = file ? g_file_get_path(file) : NULL;
		g_autoptr(GError) error = NULL;
		HvsimRenderOptions opt = { .style = win->dark ? HVSIM_RENDER_DARK : HVSIM_RENDER_LIGHT };
		double w = MAX(gtk_widget_get_width(win->area), 640), h = MAX(gtk_widget_get_height(win->area), 360);
		if (path && !gui_export(win->snap, &opt, w, h, path, &error)) {
			GtkWidget *msg = gtk_message_dialog_new(GTK_WINDOW(win), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
			                                        GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE, "Export failed");
			gtk_message_dialog_format_secondary_text(GTK_MESSAGE_DIALOG(msg), "%s", error->message);
			g_signal_connect(msg, "response", G_CALLBACK(gtk_window_destroy), NULL);
			gtk_window_present(GTK_WINDOW(msg));
		}
	}
	g_object_unref(dialog);
}

static void act_export(GtkWidget *w, const char *name, GVariant *p)
{
	trace_action(name);
	HvsimWindow *win = HVSIM_WINDOW(w);
	GtkFileChooserNative *dialog = gtk_file_chooser_native_new("Export the picture (.png, .svg or .pdf)",
	                                                          GTK_WINDOW(win), GTK_FILE_CHOOSER_ACTION_SAVE,
	                                                          "_Export", "_Cancel");
	g_autofree char *fname = g_strdup_printf("hvsim-%s.png", win->scenario);
	gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(dialog), fname);
	g_signal_connect(dialog, "response", G_CALLBACK(on_export_response), win);
	gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
}

static void act_leave_presentation(GtkWidget *w, const char *name, GVariant *p)
{
	trace_action(name);
	hvsim_window_set_presentation(HVSIM_WINDOW(w), FALSE);
}

/* ---- Extension points ----------------------------------------------------------- */

void hvsim_window_add_panel(HvsimWindow *win, const char *name, const char *title, GtkWidget *widget,
                            HvsimWindowUpdateFunc update, gpointer user_data)
{
	g_return_if_fail(HVSIM_IS_WINDOW(win) && name != NULL && title != NULL && GTK_IS_WIDGET(widget));
	g_return_if_fail(gtk_stack_get_child_by_name(win->side_stack, name) == NULL);
	gtk_stack_add_titled(win->side_stack, widget, name, title);
	if (!update)
		return;
	PanelHook h = { update, user_data };
	g_array_append_val(win->panel_hooks, h);
	if (win->state)
		update(win, win->state, win->snap, user_data);
}

GtkWidget *hvsim_window_get_inspector(HvsimWindow *win)
{
	g_return_val_if_fail(HVSIM_IS_WINDOW(win), NULL);
	return win->inspector;
}

gboolean hvsim_window_show_panel(HvsimWindow *win, const char *name)
{
	g_return_val_if_fail(HVSIM_IS_WINDOW(win) && name != NULL, FALSE);
	if (!gtk_stack_get_child_by_name(win->side_stack, name))
		return FALSE;
	gtk_stack_set_visible_child_name(win->side_stack, name);
	return TRUE;
}

void hvsim_window_add_draw_hook(HvsimWindow *win, HvsimWindowDrawFunc draw, gpointer user_data)
{
	hvsim_window_add_draw_hook_items(win, draw, NULL, NULL, user_data);
}

void hvsim_window_add_draw_hook_items(HvsimWindow *win, HvsimWindowDrawFunc draw, HvsimWindowItemsFunc items,
                                      HvsimWindowDrawItemFunc draw_item, gpointer user_data)
{
	g_return_if_fail(HVSIM_IS_WINDOW(win) && draw != NULL);
	DrawHook h = { .draw = draw, .items = items, .draw_item = draw_item, .user_data = user_data };
	g_array_append_val(win->draw_hooks, h);
	gtk_widget_queue_draw(win->area);
}

GuiRunner *hvsim_window_get_runner(HvsimWindow *win)
{
	g_return_val_if_fail(HVSIM_IS_WINDOW(win), NULL);
	return win->runner;
}

const char *hvsim_window_get_scenario(HvsimWindow *win)
{
	g_return_val_if_fail(HVSIM_IS_WINDOW(win), NULL);
	return win->scenario;
}

SimVendor hvsim_window_get_vendor(HvsimWindow *win)
{
	g_return_val_if_fail(HVSIM_IS_WINDOW(win), SIM_VENDOR_INTEL);
	return win->vendor;
}

const GuiRunnerState *hvsim_window_get_state(HvsimWindow *win)
{
	g_return_val_if_fail(HVSIM_IS_WINDOW(win), NULL);
	return win->state;
}

const SimSnapshot *hvsim_window_get_snapshot(HvsimWindow *win)
{
	g_return_val_if_fail(HVSIM_IS_WINDOW(win), NULL);
	return win->snap;
}

GtkWidget *hvsim_window_get_picture(HvsimWindow *win)
{
	g_return_val_if_fail(HVSIM_IS_WINDOW(win), NULL);
	return win->area;
}

/* ---- GObject ---------------------------------------------------------------------- */

HvsimWindow *hvsim_window_new(GtkApplication *app, const char *scenario, SimVendor vendor, GError **error)
{
	GuiRunnerSetup setup = { .scenario = scenario, .vendor = vendor, .backend = SIM_BACKEND_EMULATED };
	return hvsim_window_new_full(app, &setup, error);
}

HvsimWindow *hvsim_window_new_full(GtkApplication *app, const GuiRunnerSetup *setup, GError **error)
{
	g_return_val_if_fail(GTK_IS_APPLICATION(app) && setup != NULL && setup->scenario != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	const char *scenario = setup->scenario;
	GuiRunner *runner = gui_runner_new_full(setup, error);
	if (!runner)
		return NULL;
	HvsimWindow *win = g_object_new(HVSIM_TYPE_WINDOW, "application", app, NULL);
	win->scenario = g_strdup(scenario);
	win->vendor = setup->vendor;
	win->runner = runner;
	g_autofree char *title = g_strdup_printf("hvsim — %s", scenario);
	gtk_window_set_title(GTK_WINDOW(win), title);
	win->poll_id = g_timeout_add(GUI_POLL_MS, poll_runner, win);
	poll_runner(win);
	return win;
}

static void hvsim_window_init(HvsimWindow *win)
{
	gtk_widget_init_template(GTK_WIDGET(win));
	win->panel_hooks = g_array_new(FALSE, FALSE, sizeof(PanelHook));
	win->draw_hooks = g_array_new(FALSE, FALSE, sizeof(DrawHook));
	win->view_items = g_array_new(FALSE, FALSE, sizeof(HvsimRenderItem));
	win->picture = gui_picture_new(on_picture_ready, win);
	win->frame_trace = gui_frame_trace_new_from_env(win->area, GUI_FRAME_TRACE_MS, stderr);
	gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(win->area), draw_view, win, NULL);
	static const GuiPictureViewFuncs view_funcs = { .frame = view_frame, .draw_item = view_draw_item, .done = view_done };
	gui_picture_view_set_funcs(GUI_PICTURE_VIEW(win->area), &view_funcs, win);
	controls_init(win);

	g_autofree char *log_markup = g_strdup_printf("<b>Events</b> (the last %u shown; seq, partition, what)",
	                                              GUI_LOG_EVENTS);
	gtk_label_set_markup(GTK_LABEL(win->log_title), log_markup);
	win->log = gui_log_view_new();
	gtk_accessible_update_property(GTK_ACCESSIBLE(win->log), GTK_ACCESSIBLE_PROPERTY_LABEL, "Event log", -1);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(win->log_scroll), win->log);
	win->stats_view = gui_log_view_new();
	gtk_accessible_update_property(GTK_ACCESSIBLE(win->stats_view), GTK_ACCESSIBLE_PROPERTY_LABEL, "Statistics", -1);
	gui_log_view_set_follow_end(GUI_LOG_VIEW(win->stats_view), FALSE);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(win->stats_scroll), win->stats_view);
	log_filters_init(win);
	g_signal_connect(win->side_stack, "notify::visible-child-name", G_CALLBACK(on_side_page), win);
	gtk_widget_action_set_enabled(GTK_WIDGET(win), "view.leave-presentation", FALSE);
	trace_menus(win);
	/* The picture holds the focus, so the single keys work from the start. */
	gtk_widget_set_focusable(win->area, TRUE);
	gtk_widget_grab_focus(win->area);
}

static void hvsim_window_dispose(GObject *object)
{
	HvsimWindow *win = HVSIM_WINDOW(object);
	if (win->poll_id)
		g_source_remove(win->poll_id);
	win->poll_id = 0;
	g_clear_pointer(&win->frame_trace, gui_frame_trace_free);
	g_clear_pointer(&win->picture, gui_picture_free);
	g_clear_pointer(&win->runner, gui_runner_free);
	G_OBJECT_CLASS(hvsim_window_parent_class)->dispose(object);
}

static void hvsim_window_finalize(GObject *object)
{
	HvsimWindow *win = HVSIM_WINDOW(object);
	g_clear_pointer(&win->state, gui_runner_state_free);
	win->snap = NULL;
	g_clear_pointer(&win->snap_shared, gui_shared_snap_unref);
	g_array_unref(win->panel_hooks);
	g_array_unref(win->draw_hooks);
	g_array_unref(win->view_items);
	g_array_unref(win->log_partition_ids);
	g_free(win->log_partitions_key);
	g_free(win->status_markup);
	g_free(win->stats_text);

	g_free(win->scenario);
	g_free(win->screenshot);
	g_clear_pointer(&win->bps, g_array_unref);
	g_free(win->shown_scenario);
	g_free(win->native_note);
	G_OBJECT_CLASS(hvsim_window_parent_class)->finalize(object);
}

static void hvsim_window_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
	HvsimWindow *win = HVSIM_WINDOW(object);
	switch (id) {
	case PROP_DARK:
		g_value_set_boolean(value, win->dark);
		break;
	case PROP_PRESENTATION:
		g_value_set_boolean(value, win->presentation);
		break;
	case PROP_TYPING:
		g_value_set_boolean(value, win->typing);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
	}
}

static void hvsim_window_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
	HvsimWindow *win = HVSIM_WINDOW(object);
	switch (id) {
	case PROP_DARK:
		hvsim_window_set_dark(win, g_value_get_boolean(value));
		break;
	case PROP_PRESENTATION:
		hvsim_window_set_presentation(win, g_value_get_boolean(value));
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
	}
}

static void hvsim_window_class_init(HvsimWindowClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	g_type_ensure(GUI_TYPE_PICTURE_VIEW);   /* the template's picture */
	object_class->dispose = hvsim_window_dispose;
	object_class->finalize = hvsim_window_finalize;
	object_class->get_property = hvsim_window_get_property;
	object_class->set_property = hvsim_window_set_property;

	props[PROP_DARK] = g_param_spec_boolean("dark", NULL, NULL, FALSE,
	                                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
	props[PROP_PRESENTATION] = g_param_spec_boolean("presentation", NULL, NULL, FALSE,
	                                                G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
	                                                G_PARAM_STATIC_STRINGS);
	props[PROP_TYPING] = g_param_spec_boolean("typing", NULL, NULL, FALSE,
	                                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, N_PROPS, props);

	signals[SIGNAL_STATE_PUBLISHED] = g_signal_new("state-published", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
	                                               0, NULL, NULL, NULL, G_TYPE_NONE, 0);

	g_type_ensure(GUI_TYPE_PANEL);   /* the template names it */
	gtk_widget_class_set_template_from_resource(widget_class, "/org/hvsim/Gui/hvsim-window.ui");
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, header);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, side_panel);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, status_sep);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, area);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, status_label);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, run_button);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, log_title);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, log_scroll);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, show_io);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, show_ring);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, log_search);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, inspector);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, log_kind);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, log_partition);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, stats_scroll);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, side_stack);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, back_button);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, next_button);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, kind_dropdown);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, machine_button);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, scenario_dropdown);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, scenario_help);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, vendor_dropdown);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, backend_emulated);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, backend_native);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, backend_reason);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, main_menu_button);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, bp_button);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, bp_kind);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, bp_partition);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, bp_text);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, bp_list);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, bp_addr_partition);
	gtk_widget_class_bind_template_child(widget_class, HvsimWindow, bp_rip);
	gtk_widget_class_bind_template_callback(widget_class, on_bp_add_address);
	gtk_widget_class_bind_template_callback(widget_class, on_kind_selected);
	gtk_widget_class_bind_template_callback(widget_class, on_bp_add);
	gtk_widget_class_bind_template_callback(widget_class, on_bp_clear);
	gtk_widget_class_bind_template_callback(widget_class, on_filter_toggled);
	gtk_widget_class_bind_template_callback(widget_class, on_log_filter_changed);
	gtk_widget_class_bind_template_callback(widget_class, on_inspector_request);
	gtk_widget_class_bind_template_callback(widget_class, on_search_changed);
	gtk_widget_class_bind_template_callback(widget_class, on_search_stop);
	gtk_widget_class_bind_template_callback(widget_class, on_search_focus_enter);
	gtk_widget_class_bind_template_callback(widget_class, on_search_focus_leave);

	/* sim.*: the machine. view.*: how it is shown. */
	gtk_widget_class_install_action(widget_class, "sim.run", NULL, act_run);
	gtk_widget_class_install_action(widget_class, "sim.step", NULL, act_step);
	gtk_widget_class_install_action(widget_class, "sim.step-exit", NULL, act_step_exit);
	gtk_widget_class_install_action(widget_class, "sim.reset", NULL, act_reset);
	gtk_widget_class_install_action(widget_class, "sim.step-insn", NULL, act_step_insn);
	gtk_widget_class_install_action(widget_class, "sim.step-next", NULL, act_step_next);
	gtk_widget_class_install_action(widget_class, "sim.step-back", NULL, act_step_back);
	gtk_widget_class_install_action(widget_class, "sim.next-kind", NULL, act_next_kind);
	gtk_widget_class_install_action(widget_class, "sim.load", NULL, act_load);
	gtk_widget_class_install_action(widget_class, "view.export", NULL, act_export);
	gtk_widget_class_install_property_action(widget_class, "view.dark", "dark");
	gtk_widget_class_install_property_action(widget_class, "view.presentation", "presentation");
	gtk_widget_class_install_action(widget_class, "view.leave-presentation", NULL, act_leave_presentation);
}
