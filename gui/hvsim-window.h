/* hvsim-window.h — HvsimWindow, hvsim-gui's main window: the architecture
 * view, the status line and the side panel, the machine's controls as
 * actions (sim.run, sim.step, ...). It owns the GuiRunner (the machine on
 * its sim thread) and reads only what the runner publishes. GTK main
 * thread only.
 *
 * Extension points for other parts of the window:
 * - side panel pages: hvsim_window_add_panel() puts a widget in the side
 *   panel's GtkStack and calls its update function with every newly
 *   published state;
 * - the picture: hvsim_window_add_draw_hook() draws over the architecture
 *   view after render.c (same cairo_t, same options); the state and the
 *   snapshot being shown are hvsim_window_get_state()/_get_snapshot();
 *   hvsim_window_get_picture() is the drawing area (for tick callbacks);
 * - the "state-published" signal fires after every new published state,
 *   once the window's own parts are updated. */
#ifndef HVSIM_WINDOW_H
#define HVSIM_WINDOW_H

#include <gtk/gtk.h>

#include "gui-runner.h"
#include "render.h"

G_BEGIN_DECLS

#define HVSIM_TYPE_WINDOW (hvsim_window_get_type())
G_DECLARE_FINAL_TYPE(HvsimWindow, hvsim_window, HVSIM, WINDOW, GtkApplicationWindow)

/* A new window running `scenario` (a built-in name or an ELF path) on a
 * fresh machine; NULL with `error` set if the scenario does not load. */
HvsimWindow *hvsim_window_new(GtkApplication *app, const char *scenario, SimVendor vendor, GError **error);
/* The same with the backend (and the rest of GuiRunnerSetup) chosen. */
HvsimWindow *hvsim_window_new_full(GtkApplication *app, const GuiRunnerSetup *setup, GError **error);

GuiRunner *hvsim_window_get_runner(HvsimWindow *win);
const char *hvsim_window_get_scenario(HvsimWindow *win);
SimVendor hvsim_window_get_vendor(HvsimWindow *win);

/* What is on screen: the last state taken from the runner (NULL before the
 * first) and the newest snapshot (a state may carry none). The events of a
 * state are the newest of the runner's ring, oldest first; compare `seq`
 * with the last one seen to find the new ones. */
const GuiRunnerState *hvsim_window_get_state(HvsimWindow *win);
const SimSnapshot *hvsim_window_get_snapshot(HvsimWindow *win);
/* The render options the picture is drawn with now (style, presentation,
 * the last exit). */
void hvsim_window_get_render_options(HvsimWindow *win, HvsimRenderOptions *opt);
GtkWidget *hvsim_window_get_picture(HvsimWindow *win);
/* The VP page's inspector (a GuiPanel, gui-panel.h). */
GtkWidget *hvsim_window_get_inspector(HvsimWindow *win);

/* Shows a machine the window does not run (a lesson's, gui-lesson.c):
 * `state` (the window takes it; its snap must be set) goes on screen as a
 * state of the runner would — picture, event log, status line, VP
 * inspector, statistics, the panels' update functions and
 * "state-published" — and the runner's own states are put aside until
 * hvsim_window_present_state(win, NULL) gives the window back to them. */
void hvsim_window_present_state(HvsimWindow *win, GuiRunnerState *state);

/* Called with each newly published state (and once when added, if there
 * is one). */
typedef void (*HvsimWindowUpdateFunc)(HvsimWindow *win, const GuiRunnerState *state,
                                      const SimSnapshot *snap, gpointer user_data);

/* Adds a page `name` titled `title` to the side panel (after the built-in
 * events, vp and stats pages). `update` may be NULL. */
void hvsim_window_add_panel(HvsimWindow *win, const char *name, const char *title, GtkWidget *widget,
                            HvsimWindowUpdateFunc update, gpointer user_data);
/* Shows the side panel page `name`; FALSE if there is none. */
gboolean hvsim_window_show_panel(HvsimWindow *win, const char *name);

/* Draws over the picture, after render.c, in the order added. */
typedef void (*HvsimWindowDrawFunc)(HvsimWindow *win, cairo_t *cr, int width, int height,
                                    const HvsimRenderOptions *opt, gpointer user_data);
void hvsim_window_add_draw_hook(HvsimWindow *win, HvsimWindowDrawFunc draw, gpointer user_data);
/* A hook that can say what it draws: `items` appends, for the frame about
 * to be drawn at width x height, an HvsimRenderItem (render.h: bounds and a
 * key that changes whenever its pixels would) for each thing it draws;
 * `draw_item` then draws the item `index` (of those it appended) alone,
 * for each item whose key is new. While every hook can, the window keeps
 * each item as a render node and repaints only where something changed
 * (docs/gui.md, Performance); `draw` still draws all of it (exports, and
 * the whole view when another hook cannot say). */
typedef void (*HvsimWindowItemsFunc)(HvsimWindow *win, int width, int height, const HvsimRenderOptions *opt,
                                     GArray *items, gpointer user_data);
typedef void (*HvsimWindowDrawItemFunc)(HvsimWindow *win, cairo_t *cr, int width, int height,
                                        const HvsimRenderOptions *opt, guint index, gpointer user_data);
void hvsim_window_add_draw_hook_items(HvsimWindow *win, HvsimWindowDrawFunc draw, HvsimWindowItemsFunc items,
                                      HvsimWindowDrawItemFunc draw_item, gpointer user_data);

/* Draws the picture as the window does (render.c and the hooks) into any
 * cairo_t: the screenshot fallback and tests use it. */
void hvsim_window_draw_picture(HvsimWindow *win, cairo_t *cr, int width, int height);

/* The styles and modes (also the view.dark and view.presentation actions). */
void hvsim_window_set_dark(HvsimWindow *win, gboolean dark);
gboolean hvsim_window_get_dark(HvsimWindow *win);
void hvsim_window_set_presentation(HvsimWindow *win, gboolean presentation);
gboolean hvsim_window_get_presentation(HvsimWindow *win);
/* An exact size for the window (--size): in presentation mode it keeps it
 * (without a frame) instead of going full screen. */
void hvsim_window_set_fixed_size(HvsimWindow *win, int width, int height);

/* The event log's filters: one kind (an entry of the kind list by its
 * title, e.g. "VM exits and entries"; NULL for all) and one partition (0
 * for all). FALSE if the kind or the partition is not in the lists. */
gboolean hvsim_window_set_log_filter(HvsimWindow *win, const char *kind, guint32 partition);
/* The log's text for the state shown (rebuilt now if its frame has not come yet). */
char *hvsim_window_get_log_text(HvsimWindow *win);
/* Whether texts beside the picture (status line, log, statistics, VP page)
 * still wait to be rebuilt: the window rebuilds them one per frame after a
 * new state. Tests wait for FALSE before reading them. */
gboolean hvsim_window_texts_pending(HvsimWindow *win);

/* The "typing" property is TRUE while a text entry of the window (the log's
 * search) has the focus: the application then drops its single-key
 * shortcuts so the letters are typed. */
gboolean hvsim_window_get_typing(HvsimWindow *win);

/* Once the runner is idle (the point the start-up commands name is
 * reached), saves the whole window as a PNG to `path` and calls `done`. */
typedef void (*HvsimWindowScreenshotDone)(HvsimWindow *win, gboolean ok, gpointer user_data);
void hvsim_window_screenshot_when_idle(HvsimWindow *win, const char *path, HvsimWindowScreenshotDone done,
                                       gpointer user_data);

G_END_DECLS

#endif /* HVSIM_WINDOW_H */
