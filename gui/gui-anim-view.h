/* gui-anim-view.h — the animation of event paths in the window: feeds the
 * window's published events to a GuiAnim, draws its frames over the
 * picture (a draw hook), redraws on the frame clock while anything moves,
 * holds the machine while the animation's queue is long, and adds the
 * speed slider (header bar) and the anim.slower / anim.faster actions.
 * GTK main thread only. */
#ifndef HVSIM_GUI_ANIM_VIEW_H
#define HVSIM_GUI_ANIM_VIEW_H

#include "gui-anim.h"
#include "hvsim-window.h"

G_BEGIN_DECLS

typedef struct GuiAnimView GuiAnimView;

/* Attaches the animation to `win` at slider position `position` (0 slow
 * motion .. 1 full speed). The view lives as long as the window. */
GuiAnimView *gui_anim_view_attach(HvsimWindow *win, double position);

GuiAnim *gui_anim_view_get_anim(GuiAnimView *v);
/* Moves the slider (and the speed) to `position`. */
void gui_anim_view_set_position(GuiAnimView *v, double position);
/* Whether the view holds the machine now (paused it for the animation to catch up). */
gboolean gui_anim_view_holding(GuiAnimView *v);

G_END_DECLS

#endif /* HVSIM_GUI_ANIM_VIEW_H */
