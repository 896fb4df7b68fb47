/* gui-panel.c — the inspector pages beside the picture (gui-panel.h): a
 * partition/VP chooser over a notebook of CPU, VMCS, SynIC/VMBus, memory and
 * console pages, filled from SimSnapshots. GTK main thread. */
#include "gui-panel.h"
#include "gui-panel-gauge.h"
#include "gui-panel-text.h"

#define GAUGE_ROW_HEIGHT 150   /* pixels per channel in the gauge area */
#define GAUGE_RADIUS     44.0

typedef struct Choice {
	uint32_t partition;          /* 0: follow the last VM exit */
	guint vp;
} Choice;

struct _GuiPanel {
	GtkBox parent_instance;
	GtkWidget *chooser;
	GArray *choices;             /* of Choice, parallel to the chooser's strings */
	char *choices_key;           /* what the list was built from */
	gboolean updating;           /* the chooser is being refilled: ignore its signal */
	GtkWidget *notebook;
	GtkWidget *cpu_view, *vmcs_view, *synic_view, *map_view, *hex_view, *hex_entry, *gauges;
	GtkWidget *consoles_box;
	GHashTable *console_views;   /* partition id -> GtkTextView */
	/* What is shown. */
	uint32_t want_partition;     /* 0: follow the exit */
	guint want_vp;
	uint32_t shown_partition;
	guint shown_vp;
	gboolean have_shown;
	GArray *channels;            /* of SimSnapChannel: the gauges of the shown partition */
	gboolean dark;
	gboolean disposed;           /* its children are gone: updates are ignored */
	/* The hex view's range (valid once typed correctly). */
	gboolean hex_set;
	uint64_t hex_gpa;
	uint32_t hex_len;
};

G_DEFINE_FINAL_TYPE(GuiPanel, gui_panel, GTK_TYPE_BOX)

enum { SIGNAL_REQUEST_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static const struct {
	const char *name, *title;
} pages[] = {
	{ GUI_PANEL_PAGE_CPU, "CPU" },
	{ GUI_PANEL_PAGE_VMCS, "VMCS" },
	{ GUI_PANEL_PAGE_SYNIC, "SynIC · VMBus" },
	{ GUI_PANEL_PAGE_MEMORY, "Memory" },
	{ GUI_PANEL_PAGE_CONSOLES, "Consoles" },
};

static int page_index(const char *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(pages); i++)
		if (g_strcmp0(pages[i].name, name) == 0)
			return (int)i;
	return -1;
}

static const char *current_page(GuiPanel *self)
{
	int i = gtk_notebook_get_current_page(GTK_NOTEBOOK(self->notebook));
	return i >= 0 && i < (int)G_N_ELEMENTS(pages) ? pages[i].name : "";
}

/* ---- Text views ------------------------------------------------------------------ */

static GtkWidget *text_view(void)
{
	GtkWidget *v = gtk_text_view_new();
	gtk_text_view_set_editable(GTK_TEXT_VIEW(v), FALSE);
	gtk_text_view_set_cursor_visible(GTK_TEXT_VIEW(v), FALSE);
	gtk_text_view_set_monospace(GTK_TEXT_VIEW(v), TRUE);
	gtk_text_view_set_wrap_mode(GTK_TEXT_VIEW(v), GTK_WRAP_WORD_CHAR);
	gtk_text_view_set_left_margin(GTK_TEXT_VIEW(v), 6);
	gtk_text_view_set_top_margin(GTK_TEXT_VIEW(v), 4);
	GtkTextBuffer *b = gtk_text_view_get_buffer(GTK_TEXT_VIEW(v));
	gtk_text_buffer_create_tag(b, "heading", "weight", PANGO_WEIGHT_BOLD, NULL);
	gtk_text_buffer_create_tag(b, "current", "weight", PANGO_WEIGHT_BOLD, "background", "#f6d7b0", NULL);
	return v;
}

/* A text block that sits in a box with other widgets: a label, which
 * takes its height from its text at once (a text view measures lazily). */
static GtkWidget *text_label(void)
{
	GtkWidget *l = gtk_label_new(NULL);
	gtk_label_set_xalign(GTK_LABEL(l), 0);
	gtk_label_set_yalign(GTK_LABEL(l), 0);
	gtk_label_set_wrap(GTK_LABEL(l), TRUE);
	gtk_label_set_wrap_mode(GTK_LABEL(l), PANGO_WRAP_WORD_CHAR);
	gtk_label_set_selectable(GTK_LABEL(l), TRUE);
	gtk_widget_add_css_class(l, "monospace");
	gtk_widget_set_margin_start(l, 6);
	gtk_widget_set_margin_top(l, 4);
	return l;
}

static void show_label(GtkWidget *label, const GuiPanelText *t)
{
	GString *markup = g_string_new(NULL);
	g_auto(GStrv) lines = g_strsplit(t->text->str, "\n", -1);
	for (int i = 0; lines[i]; i++) {
		gboolean bold = FALSE;
		for (guint h = 0; h < t->headings->len; h++)
			bold |= g_array_index(t->headings, int, h) == i;
		g_autofree char *esc = g_markup_escape_text(lines[i], -1);
		g_string_append_printf(markup, "%s%s%s%s", i ? "\n" : "", bold ? "<b>" : "", esc, bold ? "</b>" : "");
	}
	gtk_label_set_markup(GTK_LABEL(label), markup->str);
	g_string_free(markup, TRUE);
}

static GtkWidget *scrolled(GtkWidget *child)
{
	GtkWidget *s = gtk_scrolled_window_new();
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(s), child);
	gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(s), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
	gtk_widget_set_vexpand(s, TRUE);
	return s;
}

static void tag_line(GtkTextBuffer *b, int line, const char *tag)
{
	GtkTextIter a, e;
	gtk_text_buffer_get_iter_at_line(b, &a, line);
	e = a;
	gtk_text_iter_forward_to_line_end(&e);
	gtk_text_buffer_apply_tag_by_name(b, tag, &a, &e);
}

static void show_text(GtkWidget *view, const GuiPanelText *t)
{
	if (GTK_IS_LABEL(view)) {
		show_label(view, t);
		return;
	}
	GtkTextBuffer *b = gtk_text_view_get_buffer(GTK_TEXT_VIEW(view));
	gtk_text_buffer_set_text(b, t->text->str, (int)t->text->len);
	for (guint i = 0; i < t->headings->len; i++)
		tag_line(b, g_array_index(t->headings, int, i), "heading");
	if (t->current_line >= 0)
		tag_line(b, t->current_line, "current");
}

static void show_message(GtkWidget *view, const char *msg)
{
	if (GTK_IS_LABEL(view)) {
		gtk_label_set_text(GTK_LABEL(view), msg);
		return;
	}
	gtk_text_buffer_set_text(gtk_text_view_get_buffer(GTK_TEXT_VIEW(view)), msg, -1);
}

static char *view_text(GtkWidget *view)
{
	if (GTK_IS_LABEL(view))
		return g_strdup(gtk_label_get_text(GTK_LABEL(view)));
	GtkTextBuffer *b = gtk_text_view_get_buffer(GTK_TEXT_VIEW(view));
	GtkTextIter a, e;
	gtk_text_buffer_get_bounds(b, &a, &e);
	return gtk_text_buffer_get_text(b, &a, &e, FALSE);
}

/* ---- The chooser --------------------------------------------------------------- */

static void refill_chooser(GuiPanel *self, const SimSnapshot *snap)
{
	GString *key = g_string_new(NULL);
	for (guint i = 0; i < snap->n_partitions; i++)
		g_string_append_printf(key, "%u:%s:%u;", snap->partitions[i].id, snap->partitions[i].name,
		                       snap->partitions[i].n_vps);
	if (g_strcmp0(key->str, self->choices_key) == 0) {
		g_string_free(key, TRUE);
		return;
	}
	g_free(self->choices_key);
	self->choices_key = g_string_free(key, FALSE);
	GtkStringList *list = gtk_string_list_new(NULL);
	g_array_set_size(self->choices, 0);
	Choice follow = { 0, 0 };
	g_array_append_val(self->choices, follow);
	gtk_string_list_append(list, "Follow the last VM exit");
	guint selected = 0;
	for (guint i = 0; i < snap->n_partitions; i++) {
		const SimSnapPartition *p = &snap->partitions[i];
		for (guint v = 0; v < p->n_vps; v++) {
			Choice c = { p->id, p->vps[v].index };
			g_autofree char *label = g_strdup_printf("Partition %u (%s, %s) · VP %u", p->id, p->name,
			                                         sim_snap_role_name(p->role), p->vps[v].index);
			if (c.partition == self->want_partition && c.vp == self->want_vp)
				selected = self->choices->len;
			g_array_append_val(self->choices, c);
			gtk_string_list_append(list, label);
		}
	}
	self->updating = TRUE;
	gtk_drop_down_set_model(GTK_DROP_DOWN(self->chooser), G_LIST_MODEL(list));
	gtk_drop_down_set_selected(GTK_DROP_DOWN(self->chooser), selected);
	self->updating = FALSE;
	g_object_unref(list);
}

static void chooser_changed(GObject *dd, GParamSpec *pspec, gpointer user_data)
{
	(void)pspec;
	GuiPanel *self = user_data;
	if (self->updating)
		return;
	guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(dd));
	if (i >= self->choices->len)
		return;
	Choice c = g_array_index(self->choices, Choice, i);
	self->want_partition = c.partition;
	self->want_vp = c.vp;
	g_signal_emit(self, signals[SIGNAL_REQUEST_CHANGED], 0);
}

/* ---- Gauges ------------------------------------------------------------------------ */

static void draw_gauges(GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
	(void)area;
	(void)height;
	GuiPanel *self = user_data;
	static const char *const titles[2] = { "child → parent ring", "parent → child ring" };
	for (guint i = 0; i < self->channels->len; i++) {
		const SimSnapChannel *c = &g_array_index(self->channels, SimSnapChannel, i);
		double top = i * GAUGE_ROW_HEIGHT;
		char head[96];
		g_snprintf(head, sizeof head, "relid %u · %s · %s", c->relid, c->type_name, c->open ? "open" : "closed");
		double fg = self->dark ? 0.9 : 0.15;
		cairo_set_source_rgb(cr, fg, fg, fg);
		cairo_select_font_face(cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
		cairo_set_font_size(cr, 12);
		cairo_move_to(cr, 8, top + 16);
		cairo_show_text(cr, head);
		for (int d = 0; d < 2; d++) {
			GuiPanelGauge g = {
				.data_size = c->open ? c->data_size[d] : 0,
				.write_index = c->write_index[d],
				.read_index = c->read_index[d],
				.title = titles[d],
				.dark = self->dark,
			};
			gui_panel_gauge_draw(cr, width * (d ? 0.75 : 0.25), top + 42 + 16 + GAUGE_RADIUS, GAUGE_RADIUS, &g);
		}
	}
}

/* ---- Update --------------------------------------------------------------------------- */

static void update_consoles(GuiPanel *self, const SimSnapshot *snap)
{
	for (guint i = 0; i < snap->n_partitions; i++) {
		const SimSnapPartition *p = &snap->partitions[i];
		GtkWidget *view = g_hash_table_lookup(self->console_views, GUINT_TO_POINTER(p->id));
		if (!view) {
			g_autofree char *title = g_strdup_printf("<b>Partition %u</b> (%s, %s)", p->id, p->name,
			                                         sim_snap_role_name(p->role));
			GtkWidget *label = gtk_label_new(NULL);
			gtk_label_set_markup(GTK_LABEL(label), title);
			gtk_label_set_xalign(GTK_LABEL(label), 0);
			view = text_view();
			gtk_widget_set_name(view, "console");
			gtk_box_append(GTK_BOX(self->consoles_box), label);
			gtk_box_append(GTK_BOX(self->consoles_box), scrolled(view));
			g_hash_table_insert(self->console_views, GUINT_TO_POINTER(p->id), view);
		}
		if (!p->console)
			continue;   /* not copied into this snapshot: keep what is shown */
		GtkTextBuffer *b = gtk_text_view_get_buffer(GTK_TEXT_VIEW(view));
		if (gtk_text_buffer_get_char_count(b) == (int)g_utf8_strlen(p->console, -1))
			continue;
		gtk_text_buffer_set_text(b, p->console, -1);
		/* Follow the newest output (the mark scrolls once the view is laid out). */
		GtkTextIter end;
		gtk_text_buffer_get_end_iter(b, &end);
		gtk_text_buffer_place_cursor(b, &end);
		gtk_text_view_scroll_to_mark(GTK_TEXT_VIEW(view), gtk_text_buffer_get_insert(b), 0, TRUE, 0, 1);
	}
}

/* The VP to show: the chosen one if the snapshot has it, else the one of
 * the last exit, else the first partition's first VP. */
static const SimSnapVp *pick_vp(GuiPanel *self, const SimSnapshot *snap, gboolean have_exit, uint32_t exit_partition,
                                guint exit_vp, const SimSnapPartition **part)
{
	const SimSnapVp *vp = NULL;
	if (self->want_partition)
		vp = sim_snapshot_vp(snap, self->want_partition, self->want_vp, part);
	if (!vp && have_exit)
		vp = sim_snapshot_vp(snap, exit_partition, exit_vp, part);
	if (!vp && snap->n_partitions && snap->partitions[0].n_vps) {
		*part = &snap->partitions[0];
		vp = &snap->partitions[0].vps[0];
	}
	return vp;
}

void gui_panel_update(GuiPanel *self, const SimSnapshot *snap, gboolean have_exit, uint32_t exit_partition,
                      guint exit_vp)
{
	g_return_if_fail(GUI_IS_PANEL(self));
	g_return_if_fail(snap != NULL);
	if (self->disposed)
		return;
	refill_chooser(self, snap);
	const SimSnapPartition *p = NULL;
	const SimSnapVp *vp = pick_vp(self, snap, have_exit, exit_partition, exit_vp, &p);
	g_array_set_size(self->channels, 0);
	if (!vp) {
		self->have_shown = FALSE;
		static const char none[] = "No VP yet.";
		show_message(self->cpu_view, none);
		show_message(self->vmcs_view, none);
		show_message(self->synic_view, none);
		show_message(self->map_view, none);
		gtk_widget_queue_draw(self->gauges);
		update_consoles(self, snap);
		return;
	}
	gboolean moved = !self->have_shown || self->shown_partition != p->id;
	self->have_shown = TRUE;
	self->shown_partition = p->id;
	self->shown_vp = vp->index;

	/* Only the tab on show is formatted (a switch asks for an update). */
	const char *page = current_page(self);
	GuiPanelText t;
	if (g_str_equal(page, GUI_PANEL_PAGE_CPU)) {
		gui_panel_text_init(&t);
		gui_panel_text_registers(&t, p, vp);
		gui_panel_text_disasm(&t, p, vp);
		show_text(self->cpu_view, &t);
		gui_panel_text_clear(&t);
	} else if (g_str_equal(page, GUI_PANEL_PAGE_VMCS)) {
		gui_panel_text_init(&t);
		gui_panel_text_vmcs(&t, snap, p, vp);
		show_text(self->vmcs_view, &t);
		gui_panel_text_clear(&t);
	} else if (g_str_equal(page, GUI_PANEL_PAGE_SYNIC)) {
		gui_panel_text_init(&t);
		gui_panel_text_synic(&t, vp);
		gui_panel_text_channels(&t, snap, p->id);
		show_text(self->synic_view, &t);
		gui_panel_text_clear(&t);
		for (guint i = 0; i < snap->n_channels; i++)
			if (gui_panel_channel_of(snap, &snap->channels[i], p->id))
				g_array_append_val(self->channels, snap->channels[i]);
		gtk_drawing_area_set_content_height(GTK_DRAWING_AREA(self->gauges),
		                                    (int)(self->channels->len * GAUGE_ROW_HEIGHT));
		gtk_widget_queue_draw(self->gauges);
	} else if (g_str_equal(page, GUI_PANEL_PAGE_MEMORY)) {
		gui_panel_text_init(&t);
		gui_panel_text_memory_map(&t, snap, p);
		show_text(self->map_view, &t);
		gui_panel_text_clear(&t);
		/* The hex view: this snapshot's bytes if they are the range asked for. */
		if (snap->memory.asked && self->hex_set && snap->memory.partition == p->id &&
		    snap->memory.gpa == self->hex_gpa) {
			gui_panel_text_init(&t);
			gui_panel_text_hex(&t, &snap->memory);
			show_text(self->hex_view, &t);
			gui_panel_text_clear(&t);
		}
	} else {
		update_consoles(self, snap);
	}
	if (moved && self->hex_set)
		g_signal_emit(self, signals[SIGNAL_REQUEST_CHANGED], 0);   /* the hex range now means this partition */
}

/* ---- Requests ----------------------------------------------------------------------- */

void gui_panel_get_request(GuiPanel *self, SimSnapRequest *req)
{
	g_return_if_fail(GUI_IS_PANEL(self) && req != NULL);
	memset(req, 0, sizeof *req);
	const char *page = current_page(self);
	if (g_strcmp0(page, GUI_PANEL_PAGE_CONSOLES) == 0)
		req->detail |= SIM_SNAP_DETAIL_CONSOLES;
	if (g_strcmp0(page, GUI_PANEL_PAGE_MEMORY) == 0) {
		req->detail |= SIM_SNAP_DETAIL_GPA_MAP;
		if (self->hex_set && self->have_shown) {
			req->detail |= SIM_SNAP_DETAIL_MEMORY;
			req->mem_partition = self->shown_partition;
			req->mem_gpa = self->hex_gpa;
			req->mem_len = self->hex_len;
		}
	}
}

gboolean gui_panel_set_hex_range(GuiPanel *self, const char *text)
{
	g_return_val_if_fail(GUI_IS_PANEL(self) && text != NULL, FALSE);
	g_autoptr(GError) error = NULL;
	uint64_t gpa;
	uint32_t len;
	if (!gui_panel_parse_range(text, &gpa, &len, &error)) {
		g_autofree char *msg = g_strdup_printf("%s\n", error->message);
		show_message(self->hex_view, msg);
		self->hex_set = FALSE;
		return FALSE;
	}
	self->hex_set = TRUE;
	self->hex_gpa = gpa;
	self->hex_len = len;
	show_message(self->hex_view, "Reading…");
	g_signal_emit(self, signals[SIGNAL_REQUEST_CHANGED], 0);
	return TRUE;
}

static void hex_activated(GtkEntry *entry, gpointer user_data)
{
	gui_panel_set_hex_range(user_data, gtk_editable_get_text(GTK_EDITABLE(entry)));
}

static void page_switched(GtkNotebook *nb, GtkWidget *page, guint num, gpointer user_data)
{
	(void)nb;
	(void)page;
	(void)num;
	/* Emitted after the switch, so the request reflects the new page. */
	g_signal_emit(user_data, signals[SIGNAL_REQUEST_CHANGED], 0);
}

/* ---- Public -------------------------------------------------------------------------- */

void gui_panel_select(GuiPanel *self, uint32_t partition, guint vp)
{
	g_return_if_fail(GUI_IS_PANEL(self));
	self->want_partition = partition;
	self->want_vp = vp;
	for (guint i = 0; i < self->choices->len; i++) {
		Choice c = g_array_index(self->choices, Choice, i);
		if (c.partition == partition && (partition == 0 || c.vp == vp)) {
			self->updating = TRUE;
			gtk_drop_down_set_selected(GTK_DROP_DOWN(self->chooser), i);
			self->updating = FALSE;
		}
	}
	g_signal_emit(self, signals[SIGNAL_REQUEST_CHANGED], 0);
}

gboolean gui_panel_selected(GuiPanel *self, uint32_t *partition, guint *vp)
{
	g_return_val_if_fail(GUI_IS_PANEL(self), FALSE);
	if (partition)
		*partition = self->shown_partition;
	if (vp)
		*vp = self->shown_vp;
	return self->have_shown;
}

void gui_panel_show_page(GuiPanel *self, const char *name)
{
	g_return_if_fail(GUI_IS_PANEL(self));
	int i = page_index(name);
	if (i >= 0)
		gtk_notebook_set_current_page(GTK_NOTEBOOK(self->notebook), i);
}

void gui_panel_set_dark(GuiPanel *self, gboolean dark)
{
	g_return_if_fail(GUI_IS_PANEL(self));
	self->dark = dark;
	GtkWidget *views[] = { self->cpu_view, self->vmcs_view };
	for (guint i = 0; i < G_N_ELEMENTS(views); i++) {
		GtkTextTag *tag = gtk_text_tag_table_lookup(
			gtk_text_buffer_get_tag_table(gtk_text_view_get_buffer(GTK_TEXT_VIEW(views[i]))), "current");
		g_object_set(tag, "background", dark ? "#6b4a1e" : "#f6d7b0", NULL);
	}
	gtk_widget_queue_draw(self->gauges);
}

char *gui_panel_page_text(GuiPanel *self, const char *name)
{
	g_return_val_if_fail(GUI_IS_PANEL(self), NULL);
	if (g_strcmp0(name, GUI_PANEL_PAGE_CPU) == 0)
		return view_text(self->cpu_view);
	if (g_strcmp0(name, GUI_PANEL_PAGE_VMCS) == 0)
		return view_text(self->vmcs_view);
	if (g_strcmp0(name, GUI_PANEL_PAGE_SYNIC) == 0)
		return view_text(self->synic_view);
	if (g_strcmp0(name, GUI_PANEL_PAGE_MEMORY) == 0) {
		g_autofree char *map = view_text(self->map_view);
		g_autofree char *hex = view_text(self->hex_view);
		return g_strconcat(map, "\n", hex, NULL);
	}
	if (g_strcmp0(name, GUI_PANEL_PAGE_CONSOLES) == 0) {
		GString *all = g_string_new(NULL);
		GHashTableIter it;
		gpointer k, v;
		g_hash_table_iter_init(&it, self->console_views);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			g_autofree char *text = view_text(v);
			g_string_append_printf(all, "== partition %u ==\n%s\n", GPOINTER_TO_UINT(k), text);
		}
		return g_string_free(all, FALSE);
	}
	return NULL;
}

/* ---- Class ------------------------------------------------------------------------- */

static void gui_panel_dispose(GObject *object)
{
	GuiPanel *self = GUI_PANEL(object);
	self->disposed = TRUE;
	G_OBJECT_CLASS(gui_panel_parent_class)->dispose(object);
}

static void gui_panel_finalize(GObject *object)
{
	GuiPanel *self = GUI_PANEL(object);
	g_array_unref(self->choices);
	g_array_unref(self->channels);
	g_hash_table_unref(self->console_views);
	g_free(self->choices_key);
	G_OBJECT_CLASS(gui_panel_parent_class)->finalize(object);
}

static void gui_panel_class_init(GuiPanelClass *klass)
{
	GObjectClass *oc = G_OBJECT_CLASS(klass);
	oc->dispose = gui_panel_dispose;
	oc->finalize = gui_panel_finalize;
	signals[SIGNAL_REQUEST_CHANGED] = g_signal_new("request-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
	                                               NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void gui_panel_init(GuiPanel *self)
{
	gtk_orientable_set_orientation(GTK_ORIENTABLE(self), GTK_ORIENTATION_VERTICAL);
	gtk_box_set_spacing(GTK_BOX(self), 4);
	self->choices = g_array_new(FALSE, FALSE, sizeof(Choice));
	self->channels = g_array_new(FALSE, FALSE, sizeof(SimSnapChannel));
	self->console_views = g_hash_table_new(NULL, NULL);

	self->chooser = gtk_drop_down_new(G_LIST_MODEL(gtk_string_list_new((const char *const[]){ "Follow the last VM exit", NULL })), NULL);
	Choice follow = { 0, 0 };
	g_array_append_val(self->choices, follow);
	gtk_widget_set_tooltip_text(self->chooser, "The partition and virtual processor these pages show");
	g_signal_connect(self->chooser, "notify::selected", G_CALLBACK(chooser_changed), self);
	gtk_box_append(GTK_BOX(self), self->chooser);

	self->notebook = gtk_notebook_new();
	gtk_notebook_set_scrollable(GTK_NOTEBOOK(self->notebook), TRUE);
	gtk_widget_set_vexpand(self->notebook, TRUE);
	gtk_box_append(GTK_BOX(self), self->notebook);

	self->cpu_view = text_view();
	self->vmcs_view = text_view();
	self->synic_view = text_label();
	self->map_view = text_label();
	self->hex_view = text_label();
	show_message(self->hex_view, "Type a GPA (and a length) above to see its bytes.");

	GtkWidget *synic = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
	self->gauges = gtk_drawing_area_new();
	gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(self->gauges), draw_gauges, self, NULL);
	gtk_box_append(GTK_BOX(synic), self->synic_view);
	gtk_box_append(GTK_BOX(synic), self->gauges);

	GtkWidget *memory = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
	gtk_box_append(GTK_BOX(memory), self->map_view);
	self->hex_entry = gtk_entry_new();
	gtk_entry_set_placeholder_text(GTK_ENTRY(self->hex_entry), "GPA [length], e.g. 0x100000 256 — Enter");
	g_signal_connect(self->hex_entry, "activate", G_CALLBACK(hex_activated), self);
	gtk_box_append(GTK_BOX(memory), self->hex_entry);
	gtk_box_append(GTK_BOX(memory), self->hex_view);

	self->consoles_box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);

	GtkWidget *children[] = { self->cpu_view, self->vmcs_view, synic, memory, self->consoles_box };
	for (guint i = 0; i < G_N_ELEMENTS(pages); i++) {
		GtkWidget *page = i == G_N_ELEMENTS(pages) - 1 ? children[i] : scrolled(children[i]);
		gtk_widget_set_vexpand(page, TRUE);
		gtk_notebook_append_page(GTK_NOTEBOOK(self->notebook), page, gtk_label_new(pages[i].title));
	}
	g_signal_connect_after(self->notebook, "switch-page", G_CALLBACK(page_switched), self);
}

GtkWidget *gui_panel_new(void)
{
	return g_object_new(GUI_TYPE_PANEL, NULL);
}
