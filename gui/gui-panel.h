/* gui-panel.h — the inspector beside the picture: a chooser of the
 * partition and VP to follow (by default the VP of the last VM exit) and
 * pages about it — CPU (registers, flags, CPL and mode, disassembly around
 * RIP with the guest's symbols), the modelled VMCS, SynIC and VMBus (ring
 * buffers as circular gauges), memory (GPA -> SPA map and a hex view) and
 * every partition's console. Built from SimSnapshots only. GTK main thread. */
#ifndef HVSIM_GUI_PANEL_H
#define HVSIM_GUI_PANEL_H

#include <gtk/gtk.h>

#include "sim-snapshot.h"

G_BEGIN_DECLS

#define GUI_TYPE_PANEL (gui_panel_get_type())
G_DECLARE_FINAL_TYPE(GuiPanel, gui_panel, GUI, PANEL, GtkBox)

/* The pages, by name (gui_panel_show_page, gui_panel_page_text). */
#define GUI_PANEL_PAGE_CPU      "cpu"
#define GUI_PANEL_PAGE_VMCS     "vmcs"
#define GUI_PANEL_PAGE_SYNIC    "synic"
#define GUI_PANEL_PAGE_MEMORY   "memory"
#define GUI_PANEL_PAGE_CONSOLES "consoles"

GtkWidget *gui_panel_new(void);

/* Shows `snap` (borrowed for the call; what the gauges need is copied).
 * `exit_partition`/`exit_vp` name the VP of the last VM exit when
 * `have_exit`: the one followed unless the user chose another. */
void gui_panel_update(GuiPanel *self, const SimSnapshot *snap, gboolean have_exit, uint32_t exit_partition,
                      guint exit_vp);

/* Follows partition `partition`'s VP `vp`; partition 0 follows the last VM exit. */
void gui_panel_select(GuiPanel *self, uint32_t partition, guint vp);
/* The VP shown now (after the last update); FALSE before there is one. */
gboolean gui_panel_selected(GuiPanel *self, uint32_t *partition, guint *vp);

/* The snapshot details the visible page needs (consoles, GPA map, the hex
 * range): the window passes them to the runner. The panel emits
 * "request-changed" when they change (page switched, range typed, VP
 * chosen), so the window can ask for a fresh snapshot. */
void gui_panel_get_request(GuiPanel *self, SimSnapRequest *req);

/* The hex view's range, as typed ("0x100000 256"); an error is shown in the
 * view and FALSE returned. */
gboolean gui_panel_set_hex_range(GuiPanel *self, const char *text);

void gui_panel_show_page(GuiPanel *self, const char *name);
void gui_panel_set_dark(GuiPanel *self, gboolean dark);

/* The text a page shows (for the memory page: map and hex view; for the
 * consoles: every console), for tests. */
char *gui_panel_page_text(GuiPanel *self, const char *name);

G_END_DECLS

#endif /* HVSIM_GUI_PANEL_H */
