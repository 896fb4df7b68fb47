/* gui-log-view.h — GuiLogView: the event log beside the picture. A
 * scrollable widget (put it in a GtkScrolledWindow) that wraps its lines
 * itself, by counting characters of a monospace font, and lays out and
 * draws only the rows on screen. A GtkTextView of 250 wrapped lines laid
 * out and painted all of them whenever its text changed, and GTK 4.8's
 * GtkListView makes a widget for up to 200 rows: either cost frames over
 * 50 ms. Changing the lines costs no relayout of the window (the widget's
 * size does not depend on them), only the scrollbar and a redraw. GTK main
 * thread only. */
#ifndef HVSIM_GUI_LOG_VIEW_H
#define HVSIM_GUI_LOG_VIEW_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GUI_TYPE_LOG_VIEW (gui_log_view_get_type())
G_DECLARE_FINAL_TYPE(GuiLogView, gui_log_view, GUI, LOG_VIEW, GtkWidget)

GtkWidget *gui_log_view_new(void);

/* Each line is its text with a first character saying whether it is a VM
 * exit ('X', drawn in bold colours) or not ('-'), oldest first; the view
 * copies them and scrolls to the end (see set_follow_end). Returns FALSE (and does nothing) when
 * they are the lines shown already. */
gboolean gui_log_view_set_lines(GuiLogView *lv, const GPtrArray *lines);

/* The lines shown (without their first character), joined by "\n". */
char *gui_log_view_get_text(GuiLogView *lv);
guint gui_log_view_get_n_lines(GuiLogView *lv);

/* How many rows the lines take at `columns` characters a row (the
 * wrapping the view draws), and the rows of one line. For tests. */
guint gui_log_view_count_rows(GuiLogView *lv, guint columns);
GStrv gui_log_view_wrap(const char *text, guint columns);

/* Whether new lines scroll the view to its end (the default) or leave it
 * where it is (at the top, for a page read from the top). */
void gui_log_view_set_follow_end(GuiLogView *lv, gboolean follow);
/* Its right-click menu ("Copy all lines"), a popover owned by the view. */
GtkWidget *gui_log_view_get_menu(GuiLogView *lv);

void gui_log_view_set_dark(GuiLogView *lv, gboolean dark);

G_END_DECLS

#endif
