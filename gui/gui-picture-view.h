/* gui-picture-view.h — the widget the architecture view is drawn in: a
 * GtkDrawingArea whose snapshot, when its owner can say what the overlay
 * draws (items with bounds and keys), is made of render nodes kept from
 * frame to frame: the picture in tiles (made again when it changes) and
 * one node per item (made again when its key changes); GSK then repaints
 * only where a node changed. Otherwise it is the drawing area it derives
 * from (its draw function, all of it every frame). GTK main thread. */
#ifndef HVSIM_GUI_PICTURE_VIEW_H
#define HVSIM_GUI_PICTURE_VIEW_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GUI_TYPE_PICTURE_VIEW (gui_picture_view_get_type())
G_DECLARE_FINAL_TYPE(GuiPictureView, gui_picture_view, GUI, PICTURE_VIEW, GtkDrawingArea)

/* What one frame shows. */
typedef struct GuiPictureViewFrame {
	cairo_surface_t *picture;   /* the static picture (the owner's; not changed while shown) */
	double picture_w, picture_h;/* the size it was drawn for (stretched to the view's meanwhile) */
	guint64 picture_gen;        /* changes whenever the picture does */
	const GArray *items;        /* HvsimRenderItem (render.h) the overlay draws; NULL: not known */
} GuiPictureViewFrame;

typedef struct GuiPictureViewFuncs {
	/* This frame's picture and items. FALSE, or no items: the draw
	 * function draws the whole view instead, as a plain drawing area. */
	gboolean (*frame)(GuiPictureView *view, int width, int height, GuiPictureViewFrame *out, gpointer data);
	/* Draws item `index` of this frame's alone. */
	void (*draw_item)(GuiPictureView *view, cairo_t *cr, int width, int height, guint index, gpointer data);
	/* After such a frame: the nodes made again (picture tiles and items),
	 * of all (may be NULL). */
	void (*done)(GuiPictureView *view, guint remade, guint nodes, gpointer data);
} GuiPictureViewFuncs;

GtkWidget *gui_picture_view_new(void);
void gui_picture_view_set_funcs(GuiPictureView *view, const GuiPictureViewFuncs *funcs, gpointer data);
/* The last frame: nodes made again, and all of them (0, 0 after a frame
 * drawn by the draw function). */
void gui_picture_view_get_remade(GuiPictureView *view, guint *remade, guint *nodes);
/* The frames the view was drawn in so far (its snapshots). */
guint64 gui_picture_view_get_frames(GuiPictureView *view);

G_END_DECLS

#endif /* HVSIM_GUI_PICTURE_VIEW_H */
