/* gui-picture.h — the window's static picture (render.c's hvsim_render of a
 * snapshot) drawn on a worker thread, so a redraw never costs a frame: the
 * UI thread paints the newest finished picture while the next one is being
 * drawn, and swaps it in when it is ready. Created, painted and freed on
 * one thread (the GTK main thread in the window); its worker ("hvsim-pict")
 * only draws into image surfaces of its own. No GTK. */
#ifndef HVSIM_GUI_PICTURE_H
#define HVSIM_GUI_PICTURE_H

#include <cairo.h>
#include <glib.h>

#include "render.h"
#include "sim-snapshot.h"

G_BEGIN_DECLS

/* A snapshot held by the UI thread and by drawings in flight: freed with
 * the last reference (from either thread). */
typedef struct GuiSharedSnap GuiSharedSnap;
GuiSharedSnap *gui_shared_snap_new(SimSnapshot *snap);   /* takes `snap` */
GuiSharedSnap *gui_shared_snap_ref(GuiSharedSnap *s);
void gui_shared_snap_unref(GuiSharedSnap *s);
const SimSnapshot *gui_shared_snap_get(const GuiSharedSnap *s);

typedef struct GuiPicture GuiPicture;

/* `ready` is called on the creating thread's main context whenever a
 * picture drawn by the worker was swapped in (the window queues a draw). */
typedef void (*GuiPictureReady)(gpointer user_data);

GuiPicture *gui_picture_new(GuiPictureReady ready, gpointer user_data);
/* Waits for the drawing in flight (at most one), stops the worker. */
void gui_picture_free(GuiPicture *p);

/* While `seconds` > 0, a newer snapshot (same size and options) is drawn
 * at most once per `seconds` (the window sets it while the machine runs). */
void gui_picture_set_hold(GuiPicture *p, double seconds);

/* Paints the picture of `snap` at width x height into `cr`. If the newest
 * finished picture is of another snapshot, size or options, the worker is
 * asked for the new one and the old one is painted meanwhile (scaled to
 * the new size); with `wait`, or when there is none yet, the picture is
 * drawn here and now instead. Returns TRUE if what was painted is the
 * picture asked for. */
gboolean gui_picture_paint(GuiPicture *p, cairo_t *cr, double width, double height, GuiSharedSnap *snap,
                           const HvsimRenderOptions *opt, gboolean wait);

/* What gui_picture_paint() does but the painting, for a target of
 * device scale sx x sy: the shown picture is then gui_picture_shown(). */
gboolean gui_picture_update(GuiPicture *p, double width, double height, double sx, double sy, GuiSharedSnap *snap,
                            const HvsimRenderOptions *opt, gboolean wait);
/* The newest finished picture (NULL before the first), the size it was
 * drawn for, and a generation that changes with it. Owned by `p`, never
 * drawn on again: valid until the next update or paint swaps another in. */
cairo_surface_t *gui_picture_shown(const GuiPicture *p, double *width, double *height, guint64 *generation);

/* The side of the squares a picture's tiles are hashed by (logical px). */
#define GUI_PICTURE_TILE 256
/* A picture's (gui_picture_shown's) tile hashes, row by row: equal hashes,
 * equal pixels. NULL if none. */
const guint64 *gui_picture_tile_hashes(cairo_surface_t *picture, int *cols, int *rows);

/* Pictures drawn (by the worker or in place), and of those by the worker. */
guint64 gui_picture_drawn(const GuiPicture *p);
guint64 gui_picture_drawn_async(const GuiPicture *p);
/* Whether the worker is drawing one now. */
gboolean gui_picture_busy(const GuiPicture *p);

G_END_DECLS

#endif /* HVSIM_GUI_PICTURE_H */
