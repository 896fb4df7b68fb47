/* gui-panel-gauge.h — a VMBus ring buffer drawn as a circular gauge: the
 * data area as a ring, the bytes between the read and the write index (the
 * packets in flight) as a filled arc, both indices marked. Cairo only, no
 * GTK: the SynIC/VMBus panel draws it, tests draw it into image surfaces.
 * Any thread with its own cairo_t. */
#ifndef HVSIM_GUI_PANEL_GAUGE_H
#define HVSIM_GUI_PANEL_GAUGE_H

#include <cairo.h>
#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct GuiPanelGauge {
	uint32_t data_size;          /* bytes in the ring's data area (0: unknown, drawn empty) */
	uint32_t write_index;        /* where the producer writes next */
	uint32_t read_index;         /* where the consumer reads next */
	const char *title;           /* "child -> parent" */
	gboolean dark;
} GuiPanelGauge;

/* Bytes between read and write going round the ring; 0 if an index lies
 * outside the data area (the guest's values are shown, not believed). */
uint32_t gui_panel_gauge_in_flight(const GuiPanelGauge *g);
/* Whether both indices lie inside the data area. */
gboolean gui_panel_gauge_valid(const GuiPanelGauge *g);

/* Draws the gauge centred at (cx, cy) with outer radius r, its title above
 * and its figures inside. */
void gui_panel_gauge_draw(cairo_t *cr, double cx, double cy, double r, const GuiPanelGauge *g);

/* The fill colour (bytes in flight), for tests that count its pixels. */
#define GUI_PANEL_GAUGE_FILL_R 0.85
#define GUI_PANEL_GAUGE_FILL_G 0.45
#define GUI_PANEL_GAUGE_FILL_B 0.10

G_END_DECLS

#endif /* HVSIM_GUI_PANEL_GAUGE_H */
