/* gui-log-view.c — GuiLogView, the event log's scrollable widget (see
 * gui-log-view.h): lines wrapped by counting monospace characters, only the
 * rows on screen laid out (one PangoLayout a frame it is drawn). Its text
 * is copied whole (Ctrl+C when it has the focus, or its right-click menu),
 * and screen readers get it as a log whose description is the line count
 * and the newest line. GTK main thread only. */
#include <string.h>

#include "gui-log-view.h"

#define LOG_PAD_X 6.0   /* left margin of the text, as the text view had */
#define LOG_PAD_Y 2.0   /* above the first row and below the last */
#define LOG_MIN_COLUMNS 8u

/* A VM exit's line: bold, in these colours (light and dark style). */
static const char *const exit_fg[2] = { "#9a3412", "#ffd8a8" };
static const char *const exit_bg[2] = { "#fde7cf", "#6e3b0e" };

struct _GuiLogView {
	GtkWidget parent_instance;
	GPtrArray *lines;        /* of char *, 'X' or '-' first */
	GArray *row_start;       /* of guint: line i's first row; one more entry, the number of rows */
	guint columns;           /* characters a row at the width allocated (0: not yet) */
	double char_w, row_h;    /* the font's advance and row height, px (0: measure again) */
	gboolean dark;
	gboolean at_end;         /* the view shows the last row: it stays there as lines come */
	gboolean follow;         /* new lines scroll to the end (else the view stays where it is) */
	GtkAdjustment *hadj, *vadj;
	GtkScrollablePolicy hpolicy, vpolicy;
	GtkWidget *menu;         /* the right-click menu (a popover, child of this widget) */
};

#define LOG_DESCRIPTION_MAX 200u   /* bytes of the newest line a screen reader is given */

enum {
	PROP_0,
	PROP_HADJUSTMENT,
	PROP_VADJUSTMENT,
	PROP_HSCROLL_POLICY,
	PROP_VSCROLL_POLICY,
};

G_DEFINE_FINAL_TYPE_WITH_CODE(GuiLogView, gui_log_view, GTK_TYPE_WIDGET,
                              G_IMPLEMENT_INTERFACE(GTK_TYPE_SCROLLABLE, NULL))

/* ---- Wrapping --------------------------------------------------------------------- */

/* The rows of `text` at `columns` characters each, the way a text view
 * wraps by words and characters: a row ends at the last space that fits
 * (the spaces there are dropped), or inside a word longer than a row.
 * Calls `row` for each (byte offset and length) unless NULL; returns how
 * many there are (at least one). */
typedef void (*WrapRowFunc)(const char *text, gsize start, gsize len, gpointer data);

static guint wrap_rows(const char *text, guint columns, WrapRowFunc row, gpointer data)
{
	if (columns == 0)
		columns = 1;
	guint n = 0;
	const char *p = text;
	for (;;) {
		const char *q = p;
		const char *last_space = NULL;   /* the last space of the row after some text */
		gboolean ink = FALSE;
		guint c = 0;
		for (; *q && c < columns; c++, q = g_utf8_next_char(q)) {
			if (*q == ' ') {
				if (ink)
					last_space = q;
			} else {
				ink = TRUE;
			}
		}
		n++;
		if (!*q) {   /* the rest fits */
			if (row)
				row(text, (gsize)(p - text), (gsize)(q - p), data);
			return n;
		}
		const char *end = *q == ' ' ? q : last_space ? last_space : q;
		while (ink && end > p && end[-1] == ' ')   /* the spaces a row ends with are not drawn */
			end--;
		if (row)
			row(text, (gsize)(p - text), (gsize)(end - p), data);
		p = end;
		while (*p == ' ')
			p++;
		if (!*p)
			return n;
	}
}

static void collect_row(const char *text, gsize start, gsize len, gpointer data)
{
	g_ptr_array_add(data, g_strndup(text + start, len));
}

GStrv gui_log_view_wrap(const char *text, guint columns)
{
	g_return_val_if_fail(text, NULL);
	GPtrArray *rows = g_ptr_array_new();
	wrap_rows(text, columns, collect_row, rows);
	g_ptr_array_add(rows, NULL);
	return (GStrv)g_ptr_array_free(rows, FALSE);
}

static const char *line_text(GuiLogView *lv, guint i)
{
	const char *line = g_ptr_array_index(lv->lines, i);
	return line[0] ? line + 1 : line;
}

static gboolean line_is_exit(GuiLogView *lv, guint i)
{
	return ((const char *)g_ptr_array_index(lv->lines, i))[0] == 'X';
}

guint gui_log_view_count_rows(GuiLogView *lv, guint columns)
{
	g_return_val_if_fail(GUI_IS_LOG_VIEW(lv), 0);
	guint n = 0;
	for (guint i = 0; i < lv->lines->len; i++)
		n += wrap_rows(line_text(lv, i), columns, NULL, NULL);
	return n;
}

/* Where each line's rows start at the current width: a count of
 * characters per line, no layout. */
static void rewrap(GuiLogView *lv)
{
	g_array_set_size(lv->row_start, 0);
	guint n = 0;
	for (guint i = 0; i < lv->lines->len; i++) {
		g_array_append_val(lv->row_start, n);
		n += lv->columns ? wrap_rows(line_text(lv, i), lv->columns, NULL, NULL) : 1;
	}
	g_array_append_val(lv->row_start, n);
}

static guint n_rows(GuiLogView *lv)
{
	return g_array_index(lv->row_start, guint, lv->row_start->len - 1);
}

/* The line holding `row` (binary search over row_start). */
static guint line_of_row(GuiLogView *lv, guint row)
{
	guint lo = 0, hi = lv->lines->len;   /* row_start[lo] <= row < row_start[hi] */
	while (hi - lo > 1) {
		guint mid = lo + (hi - lo) / 2;
		if (g_array_index(lv->row_start, guint, mid) <= row)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* ---- Size and scrolling ----------------------------------------------------------- */

/* The font's advance and row height, from a two-row layout (the rows of
 * one layout are that far apart). */
static void measure_font(GuiLogView *lv)
{
	if (lv->row_h > 0)
		return;
	PangoLayout *one = gtk_widget_create_pango_layout(GTK_WIDGET(lv), "0000000000");
	PangoLayout *two = gtk_widget_create_pango_layout(GTK_WIDGET(lv), "0\n0");
	int w1, h1, w2, h2;
	pango_layout_get_size(one, &w1, &h1);
	pango_layout_get_size(two, &w2, &h2);
	lv->char_w = MAX(1.0, w1 / 10.0 / PANGO_SCALE);
	lv->row_h = MAX(1.0, (double)(h2 - h1) / PANGO_SCALE);
	g_object_unref(one);
	g_object_unref(two);
}

static double content_height(GuiLogView *lv)
{
	return n_rows(lv) * lv->row_h + 2 * LOG_PAD_Y;
}

/* The adjustments for the rows and the size allocated; at the end, the
 * view stays at the end. */
static void configure(GuiLogView *lv)
{
	GtkWidget *w = GTK_WIDGET(lv);
	double width = gtk_widget_get_width(w), height = gtk_widget_get_height(w);
	if (lv->hadj)
		gtk_adjustment_configure(lv->hadj, 0, 0, width, width * 0.1, width * 0.9, width);
	if (!lv->vadj)
		return;
	measure_font(lv);
	double upper = MAX(content_height(lv), height);
	double value = lv->at_end ? upper - height : MIN(gtk_adjustment_get_value(lv->vadj), upper - height);
	gboolean end = lv->at_end;
	gtk_adjustment_configure(lv->vadj, value, 0, upper, lv->row_h, height * 0.9, height);
	lv->at_end = end;   /* value-changed above must not lose it while configuring */
}

static void on_vadj_changed(GtkAdjustment *adj, GuiLogView *lv)
{
	lv->at_end = gtk_adjustment_get_value(adj) >= gtk_adjustment_get_upper(adj) - gtk_adjustment_get_page_size(adj) - 0.5;
	gtk_widget_queue_draw(GTK_WIDGET(lv));
}

static void set_adjustment(GuiLogView *lv, GtkAdjustment **slot, GtkAdjustment *adj)
{
	if (adj && adj == *slot)
		return;
	if (*slot) {
		g_signal_handlers_disconnect_by_data(*slot, lv);
		g_object_unref(*slot);
	}
	if (!adj)
		adj = gtk_adjustment_new(0, 0, 0, 0, 0, 0);
	*slot = g_object_ref_sink(adj);
	if (slot == &lv->vadj)
		g_signal_connect(adj, "value-changed", G_CALLBACK(on_vadj_changed), lv);
	configure(lv);
}

static void gui_log_view_measure(GtkWidget *w, GtkOrientation o, int for_size, int *min, int *nat, int *min_base,
                                 int *nat_base)
{
	(void)w;
	(void)o;
	(void)for_size;
	/* The rows never size the widget: the scrolled window around it does. */
	*min = *nat = 1;
	*min_base = *nat_base = -1;
}

static void gui_log_view_size_allocate(GtkWidget *w, int width, int height, int baseline)
{
	(void)height;
	(void)baseline;
	GuiLogView *lv = GUI_LOG_VIEW(w);
	measure_font(lv);
	guint columns = MAX(LOG_MIN_COLUMNS, (guint)((width - LOG_PAD_X - 2) / lv->char_w));
	if (columns != lv->columns) {
		lv->columns = columns;
		rewrap(lv);
	}
	configure(lv);
	gtk_popover_present(GTK_POPOVER(lv->menu));
}

static void gui_log_view_css_changed(GtkWidget *w, GtkCssStyleChange *change)
{
	GTK_WIDGET_CLASS(gui_log_view_parent_class)->css_changed(w, change);
	GuiLogView *lv = GUI_LOG_VIEW(w);
	lv->row_h = 0;   /* the font may have changed */
	lv->columns = 0;
	gtk_widget_queue_allocate(w);
}

/* ---- Drawing ---------------------------------------------------------------------- */

typedef struct {
	GString *text;
	PangoAttrList *attrs;
	guint row;                 /* the row the next call is */
	guint first, end;          /* the rows on screen */
	gboolean exit;
	guint16 fg[3];
	GArray *exit_rows;         /* of guint: rows to underlay */
} DrawRows;

static void draw_row(const char *text, gsize start, gsize len, gpointer data)
{
	DrawRows *d = data;
	guint row = d->row++;
	if (row < d->first || row >= d->end)
		return;
	if (d->text->len || row > d->first)
		g_string_append_c(d->text, '\n');
	guint from = (guint)d->text->len;
	g_string_append_len(d->text, text + start, (gssize)len);
	if (d->exit) {
		PangoAttribute *bold = pango_attr_weight_new(PANGO_WEIGHT_BOLD);
		PangoAttribute *fg = pango_attr_foreground_new(d->fg[0], d->fg[1], d->fg[2]);
		bold->start_index = fg->start_index = from;
		bold->end_index = fg->end_index = (guint)d->text->len;
		pango_attr_list_insert(d->attrs, bold);
		pango_attr_list_insert(d->attrs, fg);
		g_array_append_val(d->exit_rows, row);
	}
}

static void gui_log_view_snapshot(GtkWidget *w, GtkSnapshot *snapshot)
{
	GuiLogView *lv = GUI_LOG_VIEW(w);
	if (!lv->lines->len || !lv->columns)
		return;
	measure_font(lv);
	double width = gtk_widget_get_width(w), height = gtk_widget_get_height(w);
	double value = lv->vadj ? gtk_adjustment_get_value(lv->vadj) : 0;
	double top = value - LOG_PAD_Y;   /* row 0's top is at -top */
	guint total = n_rows(lv);
	guint first = top > 0 ? (guint)(top / lv->row_h) : 0;
	guint end = MIN(total, (guint)((top + height) / lv->row_h) + 1);
	if (first >= end)
		return;

	GdkRGBA fg, bg;
	gdk_rgba_parse(&fg, exit_fg[lv->dark]);
	gdk_rgba_parse(&bg, exit_bg[lv->dark]);
	DrawRows d = {
		.text = g_string_new(NULL),
		.attrs = pango_attr_list_new(),
		.first = first,
		.end = end,
		.fg = { (guint16)(fg.red * 65535), (guint16)(fg.green * 65535), (guint16)(fg.blue * 65535) },
		.exit_rows = g_array_new(FALSE, FALSE, sizeof(guint)),
	};
	for (guint i = line_of_row(lv, first); i < lv->lines->len && d.row < end; i++) {
		d.row = g_array_index(lv->row_start, guint, i);
		d.exit = line_is_exit(lv, i);
		wrap_rows(line_text(lv, i), lv->columns, draw_row, &d);
	}

	for (guint i = 0; i < d.exit_rows->len; i++) {
		guint row = g_array_index(d.exit_rows, guint, i);
		graphene_rect_t r = GRAPHENE_RECT_INIT(0, (float)(row * lv->row_h - top), (float)width, (float)lv->row_h);
		gtk_snapshot_append_color(snapshot, &bg, &r);
	}
	PangoLayout *layout = gtk_widget_create_pango_layout(w, d.text->str);
	pango_layout_set_attributes(layout, d.attrs);
	GdkRGBA color;
#if GTK_CHECK_VERSION(4, 10, 0)
	gtk_widget_get_color(w, &color);
#else
	gtk_style_context_get_color(gtk_widget_get_style_context(w), &color);
#endif
	gtk_snapshot_save(snapshot);
	gtk_snapshot_translate(snapshot, &GRAPHENE_POINT_INIT((float)LOG_PAD_X, (float)(first * lv->row_h - top)));
	gtk_snapshot_append_layout(snapshot, layout, &color);
	gtk_snapshot_restore(snapshot);
	g_object_unref(layout);
	pango_attr_list_unref(d.attrs);
	g_string_free(d.text, TRUE);
	g_array_unref(d.exit_rows);
}

/* ---- The lines -------------------------------------------------------------------- */

/* What a screen reader says about the view: how many lines, and the
 * newest (the drawn text itself is not exposed line by line). */
static void update_accessible(GuiLogView *lv)
{
	char *desc;
	if (lv->lines->len == 0) {
		desc = g_strdup("empty");
	} else {
		const char *last = line_text(lv, lv->lines->len - 1);
		while (*last == ' ')   /* (the sequence number's padding: nothing to say) */
			last++;
		g_autofree char *cut = g_utf8_make_valid(last, MIN(strlen(last), LOG_DESCRIPTION_MAX));
		desc = g_strdup_printf("%u line%s; the newest: %s", lv->lines->len, lv->lines->len == 1 ? "" : "s", cut);
	}
	gtk_accessible_update_property(GTK_ACCESSIBLE(lv), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, desc, -1);
	g_free(desc);
}

gboolean gui_log_view_set_lines(GuiLogView *lv, const GPtrArray *lines)
{
	g_return_val_if_fail(GUI_IS_LOG_VIEW(lv) && lines, FALSE);
	gboolean same = lines->len == lv->lines->len;
	for (guint i = 0; same && i < lines->len; i++)
		same = strcmp(g_ptr_array_index(lines, i), g_ptr_array_index(lv->lines, i)) == 0;
	if (same)
		return FALSE;
	g_ptr_array_set_size(lv->lines, 0);
	for (guint i = 0; i < lines->len; i++)
		g_ptr_array_add(lv->lines, g_strdup(g_ptr_array_index(lines, i)));
	rewrap(lv);
	lv->at_end = lv->follow;
	configure(lv);
	gtk_widget_queue_draw(GTK_WIDGET(lv));
	update_accessible(lv);
	return TRUE;
}

char *gui_log_view_get_text(GuiLogView *lv)
{
	g_return_val_if_fail(GUI_IS_LOG_VIEW(lv), NULL);
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < lv->lines->len; i++) {
		if (i > 0)
			g_string_append_c(s, '\n');
		g_string_append(s, line_text(lv, i));
	}
	return g_string_free(s, FALSE);
}

guint gui_log_view_get_n_lines(GuiLogView *lv)
{
	g_return_val_if_fail(GUI_IS_LOG_VIEW(lv), 0);
	return lv->lines->len;
}

void gui_log_view_set_follow_end(GuiLogView *lv, gboolean follow)
{
	g_return_if_fail(GUI_IS_LOG_VIEW(lv));
	lv->follow = lv->at_end = !!follow;
	configure(lv);
}

/* ---- Copying ---------------------------------------------------------------------- */

static void act_copy(GtkWidget *w, const char *action, GVariant *param)
{
	GuiLogView *lv = GUI_LOG_VIEW(w);
	g_autofree char *text = gui_log_view_get_text(lv);
	gdk_clipboard_set_text(gtk_widget_get_clipboard(w), text);
}

static void on_pressed(GtkGestureClick *g, int n_press, double x, double y, GuiLogView *lv)
{
	gtk_widget_grab_focus(GTK_WIDGET(lv));
	if (gtk_gesture_single_get_current_button(GTK_GESTURE_SINGLE(g)) != GDK_BUTTON_SECONDARY)
		return;
	GdkRectangle at = { (int)x, (int)y, 1, 1 };
	gtk_popover_set_pointing_to(GTK_POPOVER(lv->menu), &at);
	gtk_popover_popup(GTK_POPOVER(lv->menu));
}

void gui_log_view_set_dark(GuiLogView *lv, gboolean dark)
{
	g_return_if_fail(GUI_IS_LOG_VIEW(lv));
	lv->dark = !!dark;
	gtk_widget_queue_draw(GTK_WIDGET(lv));
}

/* ---- GObject ---------------------------------------------------------------------- */

GtkWidget *gui_log_view_get_menu(GuiLogView *lv)
{
	g_return_val_if_fail(GUI_IS_LOG_VIEW(lv), NULL);
	return lv->menu;
}

GtkWidget *gui_log_view_new(void)
{
	return g_object_new(GUI_TYPE_LOG_VIEW, NULL);
}

static void gui_log_view_init(GuiLogView *lv)
{
	lv->lines = g_ptr_array_new_with_free_func(g_free);
	lv->row_start = g_array_new(FALSE, FALSE, sizeof(guint));
	rewrap(lv);
	lv->at_end = lv->follow = TRUE;
	gtk_widget_set_overflow(GTK_WIDGET(lv), GTK_OVERFLOW_HIDDEN);
	gtk_widget_add_css_class(GTK_WIDGET(lv), "view");
	gtk_widget_add_css_class(GTK_WIDGET(lv), "monospace");
	gtk_widget_set_focusable(GTK_WIDGET(lv), TRUE);
	GtkGesture *click = gtk_gesture_click_new();
	gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(click), 0);   /* any button: focus, and the menu on the right one */
	g_signal_connect(click, "pressed", G_CALLBACK(on_pressed), lv);
	gtk_widget_add_controller(GTK_WIDGET(lv), GTK_EVENT_CONTROLLER(click));
	GMenu *menu = g_menu_new();
	g_menu_append(menu, "Copy all lines", "logview.copy");
	lv->menu = gtk_popover_menu_new_from_model(G_MENU_MODEL(menu));
	g_object_unref(menu);
	gtk_popover_set_has_arrow(GTK_POPOVER(lv->menu), FALSE);
	gtk_widget_set_halign(lv->menu, GTK_ALIGN_START);
	gtk_widget_set_parent(lv->menu, GTK_WIDGET(lv));
	gtk_accessible_update_property(GTK_ACCESSIBLE(lv), GTK_ACCESSIBLE_PROPERTY_LABEL, "Lines", -1);
	update_accessible(lv);
}

static void gui_log_view_dispose(GObject *object)
{
	GuiLogView *lv = GUI_LOG_VIEW(object);
	if (lv->hadj)
		g_signal_handlers_disconnect_by_data(lv->hadj, lv);
	if (lv->vadj)
		g_signal_handlers_disconnect_by_data(lv->vadj, lv);
	g_clear_object(&lv->hadj);
	g_clear_object(&lv->vadj);
	g_clear_pointer(&lv->menu, gtk_widget_unparent);
	G_OBJECT_CLASS(gui_log_view_parent_class)->dispose(object);
}

static void gui_log_view_finalize(GObject *object)
{
	GuiLogView *lv = GUI_LOG_VIEW(object);
	g_ptr_array_unref(lv->lines);
	g_array_unref(lv->row_start);
	G_OBJECT_CLASS(gui_log_view_parent_class)->finalize(object);
}

static void gui_log_view_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
	GuiLogView *lv = GUI_LOG_VIEW(object);
	switch (id) {
	case PROP_HADJUSTMENT:
		g_value_set_object(value, lv->hadj);
		break;
	case PROP_VADJUSTMENT:
		g_value_set_object(value, lv->vadj);
		break;
	case PROP_HSCROLL_POLICY:
		g_value_set_enum(value, lv->hpolicy);
		break;
	case PROP_VSCROLL_POLICY:
		g_value_set_enum(value, lv->vpolicy);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
	}
}

static void gui_log_view_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
	GuiLogView *lv = GUI_LOG_VIEW(object);
	switch (id) {
	case PROP_HADJUSTMENT:
		set_adjustment(lv, &lv->hadj, g_value_get_object(value));
		break;
	case PROP_VADJUSTMENT:
		set_adjustment(lv, &lv->vadj, g_value_get_object(value));
		break;
	case PROP_HSCROLL_POLICY:
		lv->hpolicy = g_value_get_enum(value);
		break;
	case PROP_VSCROLL_POLICY:
		lv->vpolicy = g_value_get_enum(value);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
	}
}

static void gui_log_view_class_init(GuiLogViewClass *klass)
{
	GObjectClass *oc = G_OBJECT_CLASS(klass);
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
	oc->dispose = gui_log_view_dispose;
	oc->finalize = gui_log_view_finalize;
	oc->get_property = gui_log_view_get_property;
	oc->set_property = gui_log_view_set_property;
	wc->measure = gui_log_view_measure;
	wc->size_allocate = gui_log_view_size_allocate;
	wc->snapshot = gui_log_view_snapshot;
	wc->css_changed = gui_log_view_css_changed;
	g_object_class_override_property(oc, PROP_HADJUSTMENT, "hadjustment");
	g_object_class_override_property(oc, PROP_VADJUSTMENT, "vadjustment");
	g_object_class_override_property(oc, PROP_HSCROLL_POLICY, "hscroll-policy");
	g_object_class_override_property(oc, PROP_VSCROLL_POLICY, "vscroll-policy");
	gtk_widget_class_set_css_name(wc, "guilogview");
	gtk_widget_class_set_accessible_role(wc, GTK_ACCESSIBLE_ROLE_LOG);
	gtk_widget_class_install_action(wc, "logview.copy", NULL, act_copy);
	gtk_widget_class_add_binding_action(wc, GDK_KEY_c, GDK_CONTROL_MASK, "logview.copy", NULL);
}
