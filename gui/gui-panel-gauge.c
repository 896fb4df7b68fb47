/* gui-panel-gauge.c — a VMBus ring drawn as a circular gauge (see the
 * header). Cairo only; the caller's thread. */
#include <math.h>

#include "gui-panel-gauge.h"

#define GAUGE_WIDTH   0.28   /* ring thickness, as a fraction of the radius */
#define GAUGE_TOP     (-M_PI / 2.0)  /* index 0 is at twelve o'clock, the ring runs clockwise */

gboolean gui_panel_gauge_valid(const GuiPanelGauge *g)
{
	return g->data_size > 0 && g->write_index < g->data_size && g->read_index < g->data_size;
}

uint32_t gui_panel_gauge_in_flight(const GuiPanelGauge *g)
{
	if (!gui_panel_gauge_valid(g))
		return 0;
	/* The ring is empty when the indices are equal (VMBus rings keep one
	 * gap so that full and empty differ). */
	return g->write_index >= g->read_index ? g->write_index - g->read_index
	                                       : g->data_size - g->read_index + g->write_index;
}

static double angle_of(const GuiPanelGauge *g, uint32_t index)
{
	return GAUGE_TOP + 2.0 * M_PI * (double)index / (double)g->data_size;
}

/* A tick across the ring at `index`, with its letter outside. */
static void marker(cairo_t *cr, double cx, double cy, double r, double a, const char *letter,
                   double red, double green, double blue)
{
	double inner = r * (1.0 - GAUGE_WIDTH) - 3.0, outer = r + 3.0;
	cairo_new_path(cr);
	cairo_set_source_rgb(cr, red, green, blue);
	cairo_set_line_width(cr, 2.5);
	cairo_move_to(cr, cx + inner * cos(a), cy + inner * sin(a));
	cairo_line_to(cr, cx + outer * cos(a), cy + outer * sin(a));
	cairo_stroke(cr);
	cairo_text_extents_t e;
	cairo_text_extents(cr, letter, &e);
	double lr = r + 10.0;
	cairo_move_to(cr, cx + lr * cos(a) - e.width / 2 - e.x_bearing, cy + lr * sin(a) - e.height / 2 - e.y_bearing);
	cairo_show_text(cr, letter);
}

void gui_panel_gauge_draw(cairo_t *cr, double cx, double cy, double r, const GuiPanelGauge *g)
{
	g_return_if_fail(cr != NULL && g != NULL);
	double fg = g->dark ? 0.9 : 0.15;
	double mid = r * (1.0 - GAUGE_WIDTH / 2.0);
	cairo_save(cr);
	cairo_select_font_face(cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, MAX(9.0, r * 0.18));

	/* The data area: an empty ring (a new path: the caller's text left a current point). */
	cairo_new_path(cr);
	cairo_set_line_width(cr, r * GAUGE_WIDTH);
	cairo_set_source_rgb(cr, g->dark ? 0.30 : 0.85, g->dark ? 0.30 : 0.85, g->dark ? 0.33 : 0.88);
	cairo_arc(cr, cx, cy, mid, 0, 2 * M_PI);
	cairo_stroke(cr);

	uint32_t flight = gui_panel_gauge_in_flight(g);
	if (flight > 0) {
		/* Bytes in flight: from the read index clockwise to the write index. */
		cairo_set_source_rgb(cr, GUI_PANEL_GAUGE_FILL_R, GUI_PANEL_GAUGE_FILL_G, GUI_PANEL_GAUGE_FILL_B);
		double a0 = angle_of(g, g->read_index);
		double a1 = a0 + 2.0 * M_PI * (double)flight / (double)g->data_size;
		cairo_new_path(cr);
		cairo_arc(cr, cx, cy, mid, a0, a1);
		cairo_stroke(cr);
	}
	if (gui_panel_gauge_valid(g) && g->read_index == g->write_index) {
		marker(cr, cx, cy, r, angle_of(g, g->read_index), "R=W", 0.45, 0.30, 0.50);   /* empty */
	} else if (gui_panel_gauge_valid(g)) {
		marker(cr, cx, cy, r, angle_of(g, g->read_index), "R", 0.10, 0.45, 0.85);
		marker(cr, cx, cy, r, angle_of(g, g->write_index), "W", 0.80, 0.15, 0.15);
	}

	/* Figures in the middle, title above. */
	char line1[32], line2[48];
	if (!g->data_size) {
		g_strlcpy(line1, "?", sizeof line1);
		g_strlcpy(line2, "not readable", sizeof line2);
	} else if (!gui_panel_gauge_valid(g)) {
		g_strlcpy(line1, "bad index", sizeof line1);
		g_snprintf(line2, sizeof line2, "w %u r %u", g->write_index, g->read_index);
	} else {
		g_snprintf(line1, sizeof line1, "%u B", flight);
		g_snprintf(line2, sizeof line2, "of %u KiB", g->data_size / 1024);
	}
	cairo_set_source_rgb(cr, fg, fg, fg);
	cairo_text_extents_t e;
	cairo_text_extents(cr, line1, &e);
	cairo_move_to(cr, cx - e.width / 2 - e.x_bearing, cy - 2);
	cairo_show_text(cr, line1);
	cairo_set_font_size(cr, MAX(8.0, r * 0.13));
	cairo_text_extents(cr, line2, &e);
	cairo_move_to(cr, cx - e.width / 2 - e.x_bearing, cy + e.height + 2);
	cairo_show_text(cr, line2);
	if (g->title) {
		cairo_set_font_size(cr, MAX(9.0, r * 0.16));
		cairo_text_extents(cr, g->title, &e);
		cairo_move_to(cr, cx - e.width / 2 - e.x_bearing, cy - r - 16);
		cairo_show_text(cr, g->title);
	}
	cairo_restore(cr);
}
