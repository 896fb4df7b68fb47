/* hvsim-gui.c — the classroom window: `hvsim-gui [SCENARIO]`. A
 * GtkApplication whose window shows the architecture view (render.c) of the
 * latest snapshot, an event log, the VP of the last VM exit (registers,
 * VMCS exit fields, code at RIP) and statistics; the machine runs on
 * the runner's sim thread (gui-runner.c). GTK main thread only: nothing
 * here touches a SimMachine. */
#include <gtk/gtk.h>
#include <stdlib.h>
#include <string.h>

#include "gui-bench.h"
#include "gui-export.h"
#include "gui-runner.h"
#include "render.h"
#include "vmx.h"

#define GUI_POLL_MS        33u   /* how often the UI looks for published state (~30 Hz) */
#define GUI_LOG_EVENTS     250u  /* events the log shows */
#define GUI_EXPORT_W       1600  /* --export's default size (pixels for PNG, points for SVG/PDF) */
#define GUI_EXPORT_H       900
#define GUI_VP_DISASM      5     /* instructions the VP panel disassembles from RIP */

typedef struct GuiApp {
	GtkApplication *app;
	/* Options. */
	char *scenario;
	SimVendor vendor;
	char *screenshot;
	guint64 until_insns;
	gboolean until_exit;
	gboolean run;            /* start running as the window opens */
	gboolean dark;           /* the dark style (window and picture) */
	gboolean presentation;   /* presentation mode: full screen, the picture alone, large type */
	int size_w, size_h;      /* --size: the window's size (0: the .ui's default) */
	gboolean size_fixed;     /* the window was resized once to make --size exact */
	char *panel;             /* the side panel shown first: events, vp or stats */
	int status;              /* the process's exit status */

	GuiRunner *runner;
	guint64 version;
	GuiRunnerState *state;   /* what is on screen */
	SimSnapshot *snap;       /* the newest snapshot received (a state may carry none) */
	guint poll_id;
	gboolean screenshot_scheduled;

	GtkWidget *header, *side_panel, *status_sep;   /* what presentation mode hides */
	GtkWidget *window, *area, *log, *status_label, *run_button, *show_io, *show_ring, *stats_view, *search, *vp_view;
	GtkTextBuffer *log_buffer;
} GuiApp;

/* ---- Drawing and state ------------------------------------------------------- */

static void draw_view(GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
	GuiApp *g = user_data;
	if (!g->snap)
		return;
	HvsimRenderOptions opt = { .style = g->dark ? HVSIM_RENDER_DARK : HVSIM_RENDER_LIGHT,
	                           .presentation = g->presentation };
	if (g->state && g->state->have_exit) {
		opt.exit_partition = g->state->last_exit.partition;
		opt.exit_reason = g->state->last_exit.u.exit.reason;
	}
	hvsim_render(cr, width, height, g->snap, &opt);
}

static const char *partition_name(const SimSnapshot *snap, uint32_t id)
{
	const SimSnapPartition *p = snap ? sim_snapshot_partition(snap, id) : NULL;
	return p && p->name ? p->name : "?";
}

/* Whether the log shows an event: the noisy kinds are opt-in, and with a
 * search only lines containing it (any case) are shown. */
static gboolean log_shows(const GuiApp *g, const SimEvent *ev, const char *line, const char *needle)
{
	switch (ev->type) {
	case SIM_EV_PORT_IO:
		/* Passed-through port I/O is mostly the UART being polled. */
		if (!ev->u.io.intercepted && !gtk_check_button_get_active(GTK_CHECK_BUTTON(g->show_io)))
			return FALSE;
		break;
	case SIM_EV_RING:
		if (!gtk_check_button_get_active(GTK_CHECK_BUTTON(g->show_ring)))
			return FALSE;
		break;
	default:
		break;
	}
	if (!needle || !*needle)
		return TRUE;
	g_autofree char *folded = g_utf8_casefold(line, -1);
	return strstr(folded, needle) != NULL;
}

/* One log line: "  seq  pN  what". */
static void log_line(const GuiApp *g, const SimEvent *ev, char *buf, gsize len)
{
	char what[320];
	gui_event_describe(ev, g->vendor, what, sizeof what);
	g_snprintf(buf, len, "%6" G_GUINT64_FORMAT "  p%u  %s", ev->seq, ev->partition, what);
}

static void update_log(GuiApp *g)
{
	if (!g->state)
		return;
	const GArray *events = g->state->events;
	const char *search = gtk_editable_get_text(GTK_EDITABLE(g->search));
	g_autofree char *needle = search && *search ? g_utf8_casefold(search, -1) : NULL;
	/* The newest GUI_LOG_EVENTS that pass the filter, oldest first. */
	gboolean *show = g_new0(gboolean, events->len + 1);
	char line[400];
	guint shown = 0;
	for (guint i = events->len; i > 0 && shown < GUI_LOG_EVENTS; i--) {
		const SimEvent *ev = &g_array_index(events, SimEvent, i - 1);
		log_line(g, ev, line, sizeof line);
		show[i - 1] = log_shows(g, ev, line, needle);
		shown += show[i - 1];
	}
	GString *s = g_string_new(NULL);
	GArray *exit_lines = g_array_new(FALSE, FALSE, sizeof(int));
	int n = 0;
	for (guint i = 0; i < events->len; i++) {
		if (!show[i])
			continue;
		const SimEvent *ev = &g_array_index(events, SimEvent, i);
		log_line(g, ev, line, sizeof line);
		g_string_append_printf(s, "%s%s", n ? "\n" : "", line);
		if (ev->type == SIM_EV_VM_EXIT)
			g_array_append_val(exit_lines, n);
		n++;
	}
	g_free(show);
	gtk_text_buffer_set_text(g->log_buffer, s->str, (int)s->len);
	g_string_free(s, TRUE);
	/* VM exits stand out: they are what "Next VM exit" steps to. */
	for (guint i = 0; i < exit_lines->len; i++) {
		GtkTextIter a, b;
		gtk_text_buffer_get_iter_at_line(g->log_buffer, &a, g_array_index(exit_lines, int, i));
		b = a;
		gtk_text_iter_forward_to_line_end(&b);
		gtk_text_buffer_apply_tag_by_name(g->log_buffer, "exit", &a, &b);
	}
	g_array_unref(exit_lines);
	/* The view scrolls to the newest line once its layout knows the new
	 * height (on_log_upper). */
}

/* The log follows its end: whenever the text grows, show the bottom. */
static void on_log_upper(GtkAdjustment *adj, GParamSpec *pspec, gpointer user_data)
{
	gtk_adjustment_set_value(adj, gtk_adjustment_get_upper(adj) - gtk_adjustment_get_page_size(adj));
}

static void on_filter_toggled(GtkCheckButton *b, gpointer user_data)
{
	update_log(user_data);
}

static void on_search_changed(GtkSearchEntry *e, gpointer user_data)
{
	update_log(user_data);
}

static void update_status(GuiApp *g)
{
	const GuiRunnerState *st = g->state;
	GString *s = g_string_new(NULL);
	if (st->have_exit) {
		const SimEvent *ex = &st->last_exit;
		char what[320];
		gui_event_describe(ex, g->vendor, what, sizeof what);
		g_string_append_printf(s, "<b>Last VM exit</b> (event %" G_GUINT64_FORMAT ", partition %u %s, VP %u): %s",
		                       ex->seq, ex->partition, partition_name(g->snap, ex->partition), ex->vp, what);
	} else {
		g_string_append(s, "<b>No VM exit yet</b>: before late launch the OS runs on the bare CPU; nothing exits.");
	}
	char insns[32];
	g_snprintf(insns, sizeof insns, "%" G_GUINT64_FORMAT, g->snap ? g->snap->insns : 0);
	const char *mode = st->ended ? "ended" : st->running ? "running" : st->busy ? "stepping" : "paused";
	g_autofree char *outcome = st->outcome_message ? g_markup_escape_text(st->outcome_message, -1) : NULL;
	g_string_append_printf(s, "\n%s · %s instructions%s%s", mode, insns, outcome ? " · " : "", outcome ? outcome : "");
	gtk_label_set_markup(GTK_LABEL(g->status_label), s->str);
	g_string_free(s, TRUE);

	gtk_button_set_label(GTK_BUTTON(g->run_button), st->running ? "Pause" : "Run");
	const char *stepping[] = { "run", "step", "step-exit" };
	for (guint i = 0; i < G_N_ELEMENTS(stepping); i++) {
		GAction *a = g_action_map_lookup_action(G_ACTION_MAP(g->app), stepping[i]);
		g_simple_action_set_enabled(G_SIMPLE_ACTION(a), !st->ended);
	}
}

/* ---- The VP panel ----------------------------------------------------------- */

/* The VP the panel follows: the one of the last VM exit, else the first
 * partition's VP 0. NULL before there is a snapshot. */
static const SimSnapVp *panel_vp(const GuiApp *g, const SimSnapPartition **part)
{
	const SimSnapshot *snap = g->snap;
	if (!snap || !snap->n_partitions)
		return NULL;
	const SimSnapPartition *p = NULL;
	guint vp = 0;
	if (g->state && g->state->have_exit) {
		p = sim_snapshot_partition(snap, g->state->last_exit.partition);
		vp = g->state->last_exit.vp;
	}
	if (!p || vp >= p->n_vps) {
		p = &snap->partitions[0];
		vp = 0;
	}
	if (!p->n_vps)
		return NULL;
	*part = p;
	return &p->vps[vp];
}

/* Appends a bold heading line and remembers it for the "heading" tag. */
static void vp_heading(GString *s, GArray *headings, const char *text)
{
	int line = 0;
	for (const char *c = s->str; *c; c++)
		line += *c == '\n';
	g_array_append_val(headings, line);
	g_string_append_printf(s, "%s\n", text);
}

static void vp_registers(GString *s, GArray *headings, const SimSnapPartition *p, const SimSnapVp *vp)
{
	g_autofree char *title = g_strdup_printf("Partition %u (%s), VP %u", p->id, p->name, vp->index);
	vp_heading(s, headings, title);
	g_string_append_printf(s, "CPL %u (%s), %s mode%s\n", vp->cpl, vp->cpl == 0 ? "kernel" : "user",
	                       sim_snap_mode_name(vp->mode), vp->halted ? ", halted" : "");
	char flags[64];
	sim_snap_rflags_describe(vp->rflags, flags, sizeof flags);
	g_string_append_printf(s, "RIP    0x%016" G_GINT64_MODIFIER "x\nRFLAGS 0x%016" G_GINT64_MODIFIER "x  %s\n",
	                       vp->rip, vp->rflags, flags);
	for (guint i = 0; i < SIM_SNAP_GPRS; i++)
		g_string_append_printf(s, "%-3s 0x%016" G_GINT64_MODIFIER "x%s", sim_snap_gpr_name(i), vp->gpr[i],
		                       i % 2 ? "\n" : "  ");
	g_string_append_printf(s, "CS  0x%04x  SS  0x%04x\n", vp->cs, vp->ss);
	g_string_append_printf(s, "CR0 0x%016" G_GINT64_MODIFIER "x  CR3 0x%016" G_GINT64_MODIFIER "x\n"
	                       "CR4 0x%016" G_GINT64_MODIFIER "x  EFER 0x%" G_GINT64_MODIFIER "x\n",
	                       vp->cr0, vp->cr3, vp->cr4, vp->efer);
}

static void vp_vmcs(GString *s, GArray *headings, const GuiApp *g, const SimSnapVp *vp)
{
	vp_heading(s, headings, "\nLast VM exit (this VP's VMCS)");
	if (!vp->vmcs.valid || !g->state || !g->state->have_exit) {
		g_string_append(s, "none yet: press n (Next VM exit)\n");
		return;
	}
	const SimSnapVmcs *v = &vp->vmcs;
	uint32_t basic = v->exit_reason & VMX_EXIT_REASON_BASIC_MASK;
	g_string_append_printf(s, "exit reason     %u  %s\n", basic, vmx_exit_reason_name(basic));
	g_string_append_printf(s, "qualification   0x%" G_GINT64_MODIFIER "x\n", v->exit_qualification);
	g_string_append_printf(s, "guest RIP       0x%016" G_GINT64_MODIFIER "x\n", v->guest_rip);
	g_string_append_printf(s, "instr. length   %u\n", v->insn_len);
	if (v->intr_info & VMX_INTR_INFO_VALID)
		g_string_append_printf(s, "interruption    0x%08x (vector %u, type %u)\n", v->intr_info,
		                       v->intr_info & VMX_INTR_INFO_VECTOR_MASK,
		                       (v->intr_info >> VMX_INTR_INFO_TYPE_SHIFT) & VMX_INTR_INFO_TYPE_MASK);
	else
		g_string_append_printf(s, "interruption    0x%08x (not valid)\n", v->intr_info);
	g_autofree char *insn = sim_snap_disasm(v->code, v->code_len, v->guest_rip, vp->mode, 1);
	g_string_append_printf(s, "exiting instruction:\n%s\n", *insn ? insn : "(memory not readable)");
}

static void update_vp(GuiApp *g)
{
	const SimSnapPartition *p = NULL;
	const SimSnapVp *vp = panel_vp(g, &p);
	GtkTextBuffer *buf = gtk_text_view_get_buffer(GTK_TEXT_VIEW(g->vp_view));
	if (!vp) {
		gtk_text_buffer_set_text(buf, "No VP yet.", -1);
		return;
	}
	GString *s = g_string_new(NULL);
	GArray *headings = g_array_new(FALSE, FALSE, sizeof(int));
	vp_registers(s, headings, p, vp);
	vp_vmcs(s, headings, g, vp);
	vp_heading(s, headings, "\nCode at RIP (where the VP is now)");
	int current = 0;
	for (const char *c = s->str; *c; c++)
		current += *c == '\n';
	g_autofree char *code = sim_snap_disasm(vp->code, vp->code_len, vp->rip, vp->mode, GUI_VP_DISASM);
	g_string_append(s, *code ? code : "(memory not readable)");
	gtk_text_buffer_set_text(buf, s->str, (int)s->len);
	GtkTextIter a, b;
	for (guint i = 0; i < headings->len; i++) {
		gtk_text_buffer_get_iter_at_line(buf, &a, g_array_index(headings, int, i));
		b = a;
		gtk_text_iter_forward_to_line_end(&b);
		gtk_text_buffer_apply_tag_by_name(buf, "heading", &a, &b);
	}
	if (*code) {
		/* The instruction the VP executes next. */
		gtk_text_buffer_get_iter_at_line(buf, &a, current);
		b = a;
		gtk_text_iter_forward_to_line_end(&b);
		gtk_text_buffer_apply_tag_by_name(buf, "exit", &a, &b);
	}
	g_array_unref(headings);
	g_string_free(s, TRUE);
}

#define GUI_STATS_COLUMNS 46  /* the statistics panel's width in characters */

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

static gboolean take_screenshot(gpointer user_data);

static gboolean poll_runner(gpointer user_data)
{
	GuiApp *g = user_data;
	GuiRunnerState *st = gui_runner_take(g->runner, &g->version, GUI_RUNNER_EVENTS_MAX);
	if (!st)
		return G_SOURCE_CONTINUE;
	if (st->snap) {
		g_clear_pointer(&g->snap, sim_snapshot_free);
		g->snap = g_steal_pointer(&st->snap);
	}
	g_clear_pointer(&g->state, gui_runner_state_free);
	g->state = st;
	update_log(g);
	update_status(g);
	update_vp(g);
	if (st->stats) {
		g_autofree char *fitted = fit_stats(st->stats);
		gtk_text_buffer_set_text(gtk_text_view_get_buffer(GTK_TEXT_VIEW(g->stats_view)), fitted, -1);
	}
	gtk_widget_queue_draw(g->area);

	if (g->screenshot && !st->busy && !g->screenshot_scheduled) {
		/* The scenario point is reached: let a frame or two be drawn. */
		g->screenshot_scheduled = TRUE;
		g_timeout_add(400, take_screenshot, g);
	}
	return G_SOURCE_CONTINUE;
}

/* ---- Screenshot -------------------------------------------------------------- */

/* The whole window as GTK drew it, through its own renderer; if that is not
 * possible, the architecture view alone at the drawing area's size. */
static gboolean save_window_png(GuiApp *g, GError **error)
{
	int w = gtk_widget_get_width(g->window), h = gtk_widget_get_height(g->window);
	GskRenderer *renderer = gtk_native_get_renderer(GTK_NATIVE(g->window));
	if (w > 0 && h > 0 && renderer) {
		GdkPaintable *paintable = gtk_widget_paintable_new(g->window);
		GtkSnapshot *snapshot = gtk_snapshot_new();
		gdk_paintable_snapshot(paintable, snapshot, w, h);
		GskRenderNode *node = gtk_snapshot_free_to_node(snapshot);
		g_object_unref(paintable);
		if (node) {
			GdkTexture *texture = gsk_renderer_render_texture(renderer, node, &GRAPHENE_RECT_INIT(0, 0, w, h));
			gsk_render_node_unref(node);
			gboolean ok = texture && gdk_texture_save_to_png(texture, g->screenshot);
			g_clear_object(&texture);
			if (ok)
				return TRUE;
		}
	}
	w = MAX(gtk_widget_get_width(g->area), 640);
	h = MAX(gtk_widget_get_height(g->area), 360);
	cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	cairo_t *cr = cairo_create(surface);
	draw_view(GTK_DRAWING_AREA(g->area), cr, w, h, g);
	cairo_destroy(cr);
	cairo_status_t st = cairo_surface_write_to_png(surface, g->screenshot);
	cairo_surface_destroy(surface);
	if (st != CAIRO_STATUS_SUCCESS) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot write %s: %s", g->screenshot,
		            cairo_status_to_string(st));
		return FALSE;
	}
	return TRUE;
}

static gboolean take_screenshot(gpointer user_data)
{
	GuiApp *g = user_data;
	g_autoptr(GError) error = NULL;
	/* --size names the picture's size; the window's default size also
	 * counts the frame's margins, so make up for them once. */
	int w = gtk_widget_get_width(g->window), h = gtk_widget_get_height(g->window);
	if (g->size_w && !g->size_fixed && w > 0 && h > 0 && (w != g->size_w || h != g->size_h)) {
		g->size_fixed = TRUE;
		gtk_window_set_default_size(GTK_WINDOW(g->window), 2 * g->size_w - w, 2 * g->size_h - h);
		return G_SOURCE_CONTINUE;   /* again after the resize */
	}
	if (!save_window_png(g, &error)) {
		g_printerr("hvsim-gui: --screenshot: %s\n", error->message);
		g->status = 1;
	} else {
		g_print("hvsim-gui: wrote %s (%s at %" G_GUINT64_FORMAT " instructions)\n", g->screenshot,
		        g->scenario, g->snap ? g->snap->insns : 0);
	}
	g_application_quit(G_APPLICATION(g->app));
	return G_SOURCE_REMOVE;
}

/* ---- Actions ------------------------------------------------------------------ */

static void act_run(GSimpleAction *a, GVariant *p, gpointer user_data)
{
	gui_runner_toggle(((GuiApp *)user_data)->runner);
}

static void act_step(GSimpleAction *a, GVariant *p, gpointer user_data)
{
	gui_runner_step(((GuiApp *)user_data)->runner);
}

static void act_step_exit(GSimpleAction *a, GVariant *p, gpointer user_data)
{
	gui_runner_step_exit(((GuiApp *)user_data)->runner);
}

static void act_reset(GSimpleAction *a, GVariant *p, gpointer user_data)
{
	gui_runner_reset(((GuiApp *)user_data)->runner);
}

static void on_export_response(GtkNativeDialog *dialog, int response, gpointer user_data)
{
	GuiApp *g = user_data;
	if (response == GTK_RESPONSE_ACCEPT && g->snap) {
		g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
		g_autofree char *path = file ? g_file_get_path(file) : NULL;
		g_autoptr(GError) error = NULL;
		HvsimRenderOptions opt = { .style = g->dark ? HVSIM_RENDER_DARK : HVSIM_RENDER_LIGHT };
		double w = MAX(gtk_widget_get_width(g->area), 640), h = MAX(gtk_widget_get_height(g->area), 360);
		if (path && !gui_export(g->snap, &opt, w, h, path, &error)) {
			GtkWidget *msg = gtk_message_dialog_new(GTK_WINDOW(g->window), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
			                                        GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE, "Export failed");
			gtk_message_dialog_format_secondary_text(GTK_MESSAGE_DIALOG(msg), "%s", error->message);
			g_signal_connect(msg, "response", G_CALLBACK(gtk_window_destroy), NULL);
			gtk_window_present(GTK_WINDOW(msg));
		}
	}
	g_object_unref(dialog);
}

static void act_export(GSimpleAction *a, GVariant *p, gpointer user_data)
{
	GuiApp *g = user_data;
	GtkFileChooserNative *dialog = gtk_file_chooser_native_new("Export the picture (.png, .svg or .pdf)",
	                                                          GTK_WINDOW(g->window), GTK_FILE_CHOOSER_ACTION_SAVE,
	                                                          "_Export", "_Cancel");
	g_autofree char *name = g_strdup_printf("hvsim-%s.png", g->scenario);
	gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(dialog), name);
	g_signal_connect(dialog, "response", G_CALLBACK(on_export_response), g);
	gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
}

static void apply_style(GuiApp *g)
{
	g_object_set(gtk_settings_get_default(), "gtk-application-prefer-dark-theme", g->dark, NULL);
	GtkTextTag *exit_tag = g->log_buffer ? gtk_text_tag_table_lookup(gtk_text_buffer_get_tag_table(g->log_buffer), "exit") : NULL;
	GtkTextTag *vp_tag = g->vp_view ? gtk_text_tag_table_lookup(gtk_text_buffer_get_tag_table(
		gtk_text_view_get_buffer(GTK_TEXT_VIEW(g->vp_view))), "exit") : NULL;
	GtkTextTag *tags[] = { exit_tag, vp_tag };
	for (guint i = 0; i < G_N_ELEMENTS(tags); i++)
		if (tags[i])
			g_object_set(tags[i], "foreground", g->dark ? "#ffd8a8" : "#9a3412",
			             "background", g->dark ? "#6e3b0e" : "#fde7cf", NULL);
	if (g->area)
		gtk_widget_queue_draw(g->area);
}

static void act_dark(GSimpleAction *a, GVariant *p, gpointer user_data)
{
	GuiApp *g = user_data;
	g->dark = !g->dark;
	g_simple_action_set_state(a, g_variant_new_boolean(g->dark));
	apply_style(g);
}

/* Presentation mode, for a projector: the window goes full screen (with
 * --size it keeps that size instead, for screenshots), the header bar, the
 * status line and the side panel are hidden so the picture alone fills it,
 * and the picture is drawn with presentation type and lines. The style
 * stays the one chosen (light by default: the one with the most contrast;
 * d still switches). The stepping keys keep working: they are application
 * accelerators and the picture keeps the focus. */
static void set_presentation(GuiApp *g, gboolean on)
{
	g->presentation = on;
	g_simple_action_set_state(G_SIMPLE_ACTION(g_action_map_lookup_action(G_ACTION_MAP(g->app), "presentation")),
	                          g_variant_new_boolean(on));
	g_simple_action_set_enabled(G_SIMPLE_ACTION(g_action_map_lookup_action(G_ACTION_MAP(g->app),
	                                                                       "leave-presentation")), on);
	if (!g->window)
		return;
	gtk_widget_set_visible(g->header, !on);
	gtk_widget_set_visible(g->side_panel, !on);
	gtk_widget_set_visible(g->status_sep, !on);
	gtk_widget_set_visible(g->status_label, !on);
	if (g->size_w)   /* a window of exactly that size, without a frame */
		gtk_window_set_decorated(GTK_WINDOW(g->window), !on);
	else if (on)
		gtk_window_fullscreen(GTK_WINDOW(g->window));
	else
		gtk_window_unfullscreen(GTK_WINDOW(g->window));
	gtk_widget_grab_focus(g->area);
	gtk_widget_queue_draw(g->area);
}

static void act_presentation(GSimpleAction *a, GVariant *p, gpointer user_data)
{
	GuiApp *g = user_data;
	set_presentation(g, !g->presentation);
}

static void act_leave_presentation(GSimpleAction *a, GVariant *p, gpointer user_data)
{
	set_presentation(user_data, FALSE);
}

static void act_quit(GSimpleAction *a, GVariant *p, gpointer user_data)
{
	g_application_quit(G_APPLICATION(((GuiApp *)user_data)->app));
}

static const GActionEntry app_actions[] = {
	{ .name = "run", .activate = act_run },
	{ .name = "step", .activate = act_step },
	{ .name = "step-exit", .activate = act_step_exit },
	{ .name = "reset", .activate = act_reset },
	{ .name = "export", .activate = act_export },
	{ .name = "dark", .activate = act_dark, .state = "false" },
	{ .name = "presentation", .activate = act_presentation, .state = "false" },
	{ .name = "leave-presentation", .activate = act_leave_presentation },
	{ .name = "quit", .activate = act_quit },
};

/* Single keys (space, n, s, ...) drive the classroom stepping; while the
 * search entry has the focus they are typed instead, and only the
 * Control variants stay. */
static const struct { const char *action; const char *accels[3]; } app_accels[] = {
	{ "app.run", { "space", NULL } },
	{ "app.step-exit", { "n", NULL } },
	{ "app.step", { "s", NULL } },
	{ "app.reset", { "r", NULL } },
	{ "app.export", { "<Control>e", NULL } },
	{ "app.dark", { "d", NULL } },
	{ "app.presentation", { "F5", NULL } },
	{ "app.leave-presentation", { "Escape", NULL } },   /* enabled only in presentation mode */
	{ "app.quit", { "<Control>q", "q", NULL } },
	{ "win.show-help-overlay", { "question", "<Control>question", NULL } },
};

static void set_accels(GtkApplication *app, gboolean single_keys)
{
	for (guint i = 0; i < G_N_ELEMENTS(app_accels); i++) {
		const char *accels[G_N_ELEMENTS(app_accels[i].accels)] = { NULL };
		guint n = 0;
		for (guint j = 0; app_accels[i].accels[j]; j++)
			if (single_keys || strchr(app_accels[i].accels[j], '<') || g_str_equal(app_accels[i].accels[j], "F5"))
				accels[n++] = app_accels[i].accels[j];
		gtk_application_set_accels_for_action(app, app_accels[i].action, accels);
	}
}

static void on_search_focus_enter(GtkEventControllerFocus *c, gpointer user_data)
{
	set_accels(((GuiApp *)user_data)->app, FALSE);
}

static void on_search_focus_leave(GtkEventControllerFocus *c, gpointer user_data)
{
	set_accels(((GuiApp *)user_data)->app, TRUE);
}

static void on_search_stop(GtkSearchEntry *e, gpointer user_data)
{
	/* Escape: back to the picture, where the single keys work. */
	gtk_widget_grab_focus(((GuiApp *)user_data)->area);
}

/* ---- Window ------------------------------------------------------------------- */

/* The widget tree comes from hvsim-window.ui (a resource); the code here
 * sets what depends on the run and connects the signals. */
static void build_window(GuiApp *g)
{
	g_autoptr(GtkBuilder) b = gtk_builder_new_from_resource("/org/hvsim/Gui/hvsim-window.ui");
	g->window = GTK_WIDGET(gtk_builder_get_object(b, "window"));
	g->run_button = GTK_WIDGET(gtk_builder_get_object(b, "run_button"));
	g->area = GTK_WIDGET(gtk_builder_get_object(b, "area"));
	g->status_label = GTK_WIDGET(gtk_builder_get_object(b, "status_label"));
	g->log = GTK_WIDGET(gtk_builder_get_object(b, "log"));
	g->show_io = GTK_WIDGET(gtk_builder_get_object(b, "show_io"));
	g->show_ring = GTK_WIDGET(gtk_builder_get_object(b, "show_ring"));
	g->stats_view = GTK_WIDGET(gtk_builder_get_object(b, "stats_view"));
	g->search = GTK_WIDGET(gtk_builder_get_object(b, "log_search"));
	g->vp_view = GTK_WIDGET(gtk_builder_get_object(b, "vp_view"));
	g->header = GTK_WIDGET(gtk_builder_get_object(b, "header"));
	g->side_panel = GTK_WIDGET(gtk_builder_get_object(b, "side_panel"));
	g->status_sep = GTK_WIDGET(gtk_builder_get_object(b, "status_sep"));
	GtkWidget *log_title = GTK_WIDGET(gtk_builder_get_object(b, "log_title"));
	GtkWidget *log_scroll = GTK_WIDGET(gtk_builder_get_object(b, "log_scroll"));
	GtkStack *side = GTK_STACK(gtk_builder_get_object(b, "side_stack"));
	if (g->panel)
		gtk_stack_set_visible_child_name(side, g->panel);
	g_assert(g->window && g->run_button && g->area && g->status_label && g->log && g->show_io &&
	         g->show_ring && g->stats_view && g->search && g->vp_view && log_title && log_scroll &&
	         g->header && g->side_panel && g->status_sep);

	gtk_window_set_application(GTK_WINDOW(g->window), g->app);
	if (g->size_w)
		gtk_window_set_default_size(GTK_WINDOW(g->window), g->size_w, g->size_h);
	g_autofree char *title = g_strdup_printf("hvsim — %s", g->scenario);
	gtk_window_set_title(GTK_WINDOW(g->window), title);
	gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(g->area), draw_view, g, NULL);

	g_autofree char *log_markup = g_strdup_printf("<b>Events</b> (the last %u shown; seq, partition, what)", GUI_LOG_EVENTS);
	gtk_label_set_markup(GTK_LABEL(log_title), log_markup);
	g->log_buffer = gtk_text_view_get_buffer(GTK_TEXT_VIEW(g->log));
	gtk_text_buffer_create_tag(g->log_buffer, "exit", "weight", PANGO_WEIGHT_BOLD,
	                           "foreground", "#9a3412", "background", "#fde7cf", NULL);
	GtkTextBuffer *vp_buffer = gtk_text_view_get_buffer(GTK_TEXT_VIEW(g->vp_view));
	gtk_text_buffer_create_tag(vp_buffer, "heading", "weight", PANGO_WEIGHT_BOLD, NULL);
	gtk_text_buffer_create_tag(vp_buffer, "exit", "weight", PANGO_WEIGHT_BOLD,
	                           "foreground", "#9a3412", "background", "#fde7cf", NULL);
	g_signal_connect(gtk_scrolled_window_get_vadjustment(GTK_SCROLLED_WINDOW(log_scroll)), "notify::upper",
	                 G_CALLBACK(on_log_upper), NULL);
	g_signal_connect(g->show_io, "toggled", G_CALLBACK(on_filter_toggled), g);
	g_signal_connect(g->show_ring, "toggled", G_CALLBACK(on_filter_toggled), g);
	g_signal_connect(g->search, "search-changed", G_CALLBACK(on_search_changed), g);
	g_signal_connect(g->search, "stop-search", G_CALLBACK(on_search_stop), g);
	GtkEventController *focus = gtk_event_controller_focus_new();
	g_signal_connect(focus, "enter", G_CALLBACK(on_search_focus_enter), g);
	g_signal_connect(focus, "leave", G_CALLBACK(on_search_focus_leave), g);
	gtk_widget_add_controller(g->search, focus);
	/* The picture holds the focus, so the single keys work from the start. */
	gtk_widget_set_focusable(g->area, TRUE);
}

static void on_activate(GApplication *app, gpointer user_data)
{
	GuiApp *g = user_data;
	if (g->window) {
		gtk_window_present(GTK_WINDOW(g->window));
		return;
	}
	g_autoptr(GError) error = NULL;
	g->runner = gui_runner_new(g->scenario, g->vendor, &error);
	if (!g->runner) {
		g_printerr("hvsim-gui: %s\n", error->message);
		g->status = 2;
		return;   /* no window: the application exits */
	}
	build_window(g);
	if (g->dark) {
		g_action_change_state(g_action_map_lookup_action(G_ACTION_MAP(g->app), "dark"), g_variant_new_boolean(TRUE));
		apply_style(g);
	}
	set_presentation(g, g->presentation);
	if (g->until_insns)
		gui_runner_until_insns(g->runner, g->until_insns);
	if (g->until_exit)
		gui_runner_step_exit(g->runner);
	if (g->run)
		gui_runner_run(g->runner);
	g->poll_id = g_timeout_add(GUI_POLL_MS, poll_runner, g);
	poll_runner(g);
	gtk_window_present(GTK_WINDOW(g->window));
	gtk_widget_grab_focus(g->area);
}

static void on_shutdown(GApplication *app, gpointer user_data)
{
	GuiApp *g = user_data;
	if (g->poll_id)
		g_source_remove(g->poll_id);
	g->poll_id = 0;
	g_clear_pointer(&g->runner, gui_runner_free);
}

/* ---- Headless export ------------------------------------------------------------- */

/* --export: no window and no display; the runner still owns the machine
 * and this thread only waits for its published state. */
static int export_headless(GuiApp *g, const char *path, HvsimRenderStyle style)
{
	g_autoptr(GError) error = NULL;
	GuiExportFormat format;
	if (!gui_export_format_for(path, &format, &error)) {
		g_printerr("hvsim-gui: --export: %s\n", error->message);
		return 2;
	}
	GuiRunner *r = gui_runner_new(g->scenario, g->vendor, &error);
	if (!r) {
		g_printerr("hvsim-gui: %s\n", error->message);
		return 2;
	}
	if (g->until_insns)
		gui_runner_until_insns(r, g->until_insns);
	if (g->until_exit)
		gui_runner_step_exit(r);
	guint64 version = 0;
	SimSnapshot *snap = NULL;
	for (;;) {
		g_autoptr(GuiRunnerState) st = gui_runner_take(r, &version, 0);
		if (st && st->snap) {
			g_clear_pointer(&snap, sim_snapshot_free);
			snap = g_steal_pointer(&st->snap);
		}
		if (st && !st->busy && snap)
			break;
		g_usleep(GUI_POLL_MS * 1000);
	}
	gui_runner_free(r);
	HvsimRenderOptions opt = { .style = style };
	int status = 0;
	if (!gui_export(snap, &opt, GUI_EXPORT_W, GUI_EXPORT_H, path, &error)) {
		g_printerr("hvsim-gui: --export: %s\n", error->message);
		status = 1;
	} else {
		g_print("hvsim-gui: wrote %s (%s at %" G_GUINT64_FORMAT " instructions)\n", path, g->scenario, snap->insns);
	}
	sim_snapshot_free(snap);
	return status;
}

/* ---- main ---------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	GuiApp g = { .vendor = SIM_VENDOR_INTEL };
	char *vendor = NULL, *until_insns = NULL, *until_event = NULL, *screenshot = NULL, *export = NULL;
	gboolean dark = FALSE, bench = FALSE, run = FALSE, presentation = FALSE;
	char *panel = NULL, *size = NULL;
	GOptionEntry entries[] = {
		{ "vendor", 0, 0, G_OPTION_ARG_STRING, &vendor, "CPU vendor flavour: intel (VT-x, hvix64, default) or amd (AMD-V, hvax64)", "VENDOR" },
		{ "screenshot", 0, 0, G_OPTION_ARG_FILENAME, &screenshot, "Run to the point --until-* names (default: power-on), save the window as PNG to FILE and exit", "FILE" },
		{ "export", 0, 0, G_OPTION_ARG_FILENAME, &export, "Without a window (no display needed): run to the point --until-* names, write the architecture view to FILE (.png, .svg or .pdf) and exit", "FILE" },
		{ "panel", 0, 0, G_OPTION_ARG_STRING, &panel, "The side panel shown first: events (default), vp or stats", "PANEL" },
		{ "run", 0, 0, G_OPTION_ARG_NONE, &run, "Start running as the window opens (with --screenshot: run to the end first)", NULL },
		{ "bench", 0, 0, G_OPTION_ARG_NONE, &bench, "Without a window: the machine's speed with the GUI's runner attached against headless, and the view's frame times; prints ratio gui-attached-speed", NULL },
		{ "dark", 0, 0, G_OPTION_ARG_NONE, &dark, "The dark style (window and picture; with --export, the picture)", NULL },
		{ "presentation", 0, 0, G_OPTION_ARG_NONE, &presentation, "Start in presentation mode (F5): full screen, the picture alone, large type; Escape or F5 leaves it", NULL },
		{ "size", 0, 0, G_OPTION_ARG_STRING, &size, "The window's size, e.g. 1920x1080 (in presentation mode: instead of full screen)", "WxH" },
		{ "until-insns", 0, 0, G_OPTION_ARG_STRING, &until_insns, "Before showing, run until the machine retired N guest instructions", "N" },
		{ "until-event", 0, 0, G_OPTION_ARG_STRING, &until_event, "Before showing, run to the next event of this kind: vm-exit", "KIND" },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("[SCENARIO] — the hvsim classroom window");
	g_option_context_set_summary(ctx, "Shows a scenario (default: boot) running on the simulated hypervisor.\n"
	                             "Keys: space run/pause, n next VM exit, s step, r reset, F5 presentation, q quit.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_autoptr(GError) error = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		g_printerr("hvsim-gui: %s (see hvsim-gui --help)\n", error->message);
		return 2;
	}
	if (argc > 2) {
		g_printerr("hvsim-gui: one scenario expected, got %d (first extra: '%s')\n", argc - 1, argv[2]);
		return 2;
	}
	g.scenario = g_strdup(argc > 1 ? argv[1] : "boot");
	if (vendor && g_ascii_strcasecmp(vendor, "amd") == 0)
		g.vendor = SIM_VENDOR_AMD;
	else if (vendor && g_ascii_strcasecmp(vendor, "intel") != 0) {
		g_printerr("hvsim-gui: --vendor: '%s' is not a vendor; use intel or amd\n", vendor);
		return 2;
	}
	if (until_insns) {
		char *end = NULL;
		g.until_insns = g_ascii_strtoull(until_insns, &end, 10);
		if (!end || *end || !g.until_insns) {
			g_printerr("hvsim-gui: --until-insns: '%s' is not a positive number of instructions\n", until_insns);
			return 2;
		}
	}
	if (until_event) {
		if (!g_str_equal(until_event, "vm-exit")) {
			g_printerr("hvsim-gui: --until-event: '%s' is not a kind this version steps to; use vm-exit\n", until_event);
			return 2;
		}
		g.until_exit = TRUE;
	}
	g.screenshot = screenshot;
	g.run = run;
	if (panel && !g_str_equal(panel, "events") && !g_str_equal(panel, "vp") && !g_str_equal(panel, "stats")) {
		g_printerr("hvsim-gui: --panel: '%s' is not a panel; use events, vp or stats\n", panel);
		return 2;
	}
	g.panel = panel;
	g.dark = dark;
	g.presentation = presentation;
	if (size) {
		char *end = NULL;
		guint64 w = g_ascii_strtoull(size, &end, 10), h = 0;
		if (end && (*end == 'x' || *end == 'X'))
			h = g_ascii_strtoull(end + 1, &end, 10);
		gboolean ok = end && !*end && w >= 320 && h >= 240 && w <= 16384 && h <= 16384;
		g_free(size);
		if (!ok) {
			g_printerr("hvsim-gui: --size: expected WIDTHxHEIGHT in pixels, at least 320x240 (e.g. 1920x1080)\n");
			return 2;
		}
		g.size_w = (int)w;
		g.size_h = (int)h;
	}
	if (bench) {
		int rc = gui_bench_run(g.scenario, g.vendor, stdout);
		g_free(g.scenario);
		g_free(vendor);
		g_free(until_insns);
		g_free(until_event);
		g_free(screenshot);
		g_free(export);
		return rc;
	}
	if (export) {
		int rc = export_headless(&g, export, dark ? HVSIM_RENDER_DARK : HVSIM_RENDER_LIGHT);
		g_free(g.scenario);
		g_free(vendor);
		g_free(until_insns);
		g_free(until_event);
		g_free(screenshot);
		g_free(export);
		return rc;
	}

	g.app = gtk_application_new("org.hvsim.Gui", G_APPLICATION_NON_UNIQUE);
	g_action_map_add_action_entries(G_ACTION_MAP(g.app), app_actions, G_N_ELEMENTS(app_actions), &g);
	set_accels(g.app, TRUE);
	g_signal_connect(g.app, "activate", G_CALLBACK(on_activate), &g);
	g_signal_connect(g.app, "shutdown", G_CALLBACK(on_shutdown), &g);
	char *app_argv[] = { argv[0], NULL };
	int rc = g_application_run(G_APPLICATION(g.app), 1, app_argv);

	g_object_unref(g.app);
	g_clear_pointer(&g.state, gui_runner_state_free);
	g_clear_pointer(&g.snap, sim_snapshot_free);
	g_free(g.scenario);
	g_free(vendor);
	g_free(until_insns);
	g_free(until_event);
	g_free(screenshot);
	g_free(export);
	g_free(panel);
	return rc ? rc : g.status;
}
