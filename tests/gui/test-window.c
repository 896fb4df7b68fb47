/* test-window.c — HvsimWindow, the real window class, under a display
 * (meson runs it through xvfb-run; without a display it skips): the
 * template is built, the actions installed in class_init drive the
 * machine, the extension points (side panel pages with their update
 * function, draw hooks over the picture) are called. GTK main thread. */
#include <gtk/gtk.h>
#include <gsk/gl/gskglrenderer.h>   /* (after gtk.h: the GL renderer, for the seam check) */
#include <string.h>

#include "gui-anim-view.h"
#include "gui-backend.h"
#include "gui-log-view.h"
#include "gui-panel.h"
#include "gui-picture.h"
#include "gui-picture-view.h"
#include "gui-window-bench.h"
#include "hvsim-window.h"
#include "backend-kvm.h"
#include "sim-scenario.h"

#define WAIT_LIMIT_US (60 * G_USEC_PER_SEC)

typedef struct Fixture {
	GtkApplication *app;
	HvsimWindow *win;
} Fixture;

static void fixture_set_up(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	f->app = gtk_application_new("org.hvsim.GuiTest", G_APPLICATION_NON_UNIQUE);
	g_assert_true(g_application_register(G_APPLICATION(f->app), NULL, &error));
	g_assert_no_error(error);
	f->win = hvsim_window_new(f->app, data ? data : "boot", SIM_VENDOR_INTEL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(f->win);
	gtk_window_present(GTK_WINDOW(f->win));
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
	gtk_window_destroy(GTK_WINDOW(f->win));
	g_object_unref(f->app);
}

/* Iterates the main loop until the window shows a state the runner
 * published after it was idle again. */
static const GuiRunnerState *wait_idle(HvsimWindow *win)
{
	gint64 deadline = g_get_monotonic_time() + WAIT_LIMIT_US;
	/* Let the command reach the runner's mailbox and the poll see it. */
	for (int i = 0; i < 3; i++)
		g_main_context_iteration(NULL, FALSE);
	for (;;) {
		const GuiRunnerState *st = hvsim_window_get_state(win);
		if (st && !st->busy)
			return st;
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, TRUE);
	}
}

static void test_window_power_on(Fixture *f, gconstpointer data)
{
	const GuiRunnerState *st = wait_idle(f->win);
	g_assert_false(st->have_exit);
	g_assert_nonnull(hvsim_window_get_snapshot(f->win));
	g_assert_cmpuint(hvsim_window_get_snapshot(f->win)->insns, ==, 0);
	g_assert_cmpstr(hvsim_window_get_scenario(f->win), ==, "boot");
	/* The built-in pages exist; an unknown one does not. */
	g_assert_true(hvsim_window_show_panel(f->win, "vp"));
	g_assert_true(hvsim_window_show_panel(f->win, "stats"));
	g_assert_true(hvsim_window_show_panel(f->win, "events"));
	g_assert_false(hvsim_window_show_panel(f->win, "no-such-page"));
}

/* sim.step-exit, activated as the button or the key does. */
static void test_window_action_step_exit(Fixture *f, gconstpointer data)
{
	wait_idle(f->win);
	g_assert_true(gtk_widget_activate_action(GTK_WIDGET(f->win), "sim.step-exit", NULL));
	gint64 deadline = g_get_monotonic_time() + WAIT_LIMIT_US;
	while (!hvsim_window_get_state(f->win)->have_exit || hvsim_window_get_state(f->win)->busy) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, TRUE);
	}
	const GuiRunnerState *st = hvsim_window_get_state(f->win);
	g_assert_cmpint(st->last_exit.type, ==, SIM_EV_VM_EXIT);
	g_assert_cmpuint(hvsim_window_get_snapshot(f->win)->insns, >, 0);
	/* The picture marks it. */
	HvsimRenderOptions opt;
	hvsim_window_get_render_options(f->win, &opt);
	g_assert_cmpuint(opt.exit_partition, ==, st->last_exit.partition);
}

static void test_window_view_actions(Fixture *f, gconstpointer data)
{
	g_assert_false(hvsim_window_get_dark(f->win));
	g_assert_true(gtk_widget_activate_action(GTK_WIDGET(f->win), "view.dark", NULL));
	g_assert_true(hvsim_window_get_dark(f->win));
	HvsimRenderOptions opt;
	hvsim_window_get_render_options(f->win, &opt);
	g_assert_cmpint(opt.style, ==, HVSIM_RENDER_DARK);
	g_assert_true(gtk_widget_activate_action(GTK_WIDGET(f->win), "view.dark", NULL));
	g_assert_false(hvsim_window_get_dark(f->win));

	hvsim_window_set_fixed_size(f->win, 800, 600);   /* no full screen under Xvfb */
	g_assert_true(gtk_widget_activate_action(GTK_WIDGET(f->win), "view.presentation", NULL));
	g_assert_true(hvsim_window_get_presentation(f->win));
	hvsim_window_get_render_options(f->win, &opt);
	g_assert_true(opt.presentation);
	g_assert_true(gtk_widget_activate_action(GTK_WIDGET(f->win), "view.leave-presentation", NULL));
	g_assert_false(hvsim_window_get_presentation(f->win));
}

typedef struct HookLog {
	guint updates;
	guint64 last_version;
	guint draws;
	int w, h;
} HookLog;

static void on_update(HvsimWindow *win, const GuiRunnerState *state, const SimSnapshot *snap, gpointer user_data)
{
	HookLog *log = user_data;
	g_assert_true(state == hvsim_window_get_state(win));
	g_assert_true(snap == hvsim_window_get_snapshot(win));
	log->updates++;
	log->last_version = state->version;
}

static void on_draw(HvsimWindow *win, cairo_t *cr, int width, int height, const HvsimRenderOptions *opt,
                    gpointer user_data)
{
	HookLog *log = user_data;
	log->draws++;
	log->w = width;
	log->h = height;
	/* A mark of our own in the corner. */
	cairo_set_source_rgb(cr, 1, 0, 1);
	cairo_rectangle(cr, 0, 0, 4, 4);
	cairo_fill(cr);
}

static void test_window_extension_points(Fixture *f, gconstpointer data)
{
	wait_idle(f->win);
	HookLog log = { 0 };
	GtkWidget *label = gtk_label_new("a page of another part");
	hvsim_window_add_panel(f->win, "extra", "Extra", label, on_update, &log);
	g_assert_cmpuint(log.updates, ==, 1);   /* called at once with the state on screen */
	g_assert_true(hvsim_window_show_panel(f->win, "extra"));
	g_assert_true(gtk_widget_get_parent(label) != NULL);

	/* Each newly published state reaches the page. */
	guint64 before = log.last_version;
	g_assert_true(gtk_widget_activate_action(GTK_WIDGET(f->win), "sim.step", NULL));
	gint64 deadline = g_get_monotonic_time() + WAIT_LIMIT_US;
	while (log.last_version == before || hvsim_window_get_state(f->win)->busy) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, TRUE);
	}
	g_assert_cmpuint(log.updates, >, 1);

	/* The draw hook runs after render.c, on top of it. */
	hvsim_window_add_draw_hook(f->win, on_draw, &log);
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 320, 200);
	cairo_t *cr = cairo_create(s);
	hvsim_window_draw_picture(f->win, cr, 320, 200);
	cairo_destroy(cr);
	cairo_surface_flush(s);
	g_assert_cmpuint(log.draws, ==, 1);
	g_assert_cmpint(log.w, ==, 320);
	const guint32 *px = (const guint32 *)cairo_image_surface_get_data(s);
	g_assert_cmphex(px[0] & 0xFFFFFF, ==, 0xFF00FF);
	/* ... and render.c drew the rest (not all background). */
	guint32 bg = px[cairo_image_surface_get_stride(s) / 4 * 199 + 319] & 0xFFFFFF;
	g_assert_cmphex(bg, !=, 0xFF00FF);
	cairo_surface_destroy(s);
}

/* The view kept as render nodes (gui-picture-view.c): with every hook
 * saying what it draws, a frame in which nothing changed makes no node
 * again, a changed item makes exactly its own again, and what GTK renders
 * shows the kept nodes and the new one with the right pixels. */
typedef struct KeyedHook {
	guint64 key;
	guint32 rgb;
	guint frames;
} KeyedHook;

static void keyed_items(HvsimWindow *win, int width, int height, const HvsimRenderOptions *opt, GArray *items,
                        gpointer user_data)
{
	KeyedHook *k = user_data;
	HvsimRenderItem it = { .x = 10, .y = 10, .w = 20, .h = 20, .key = k->key };
	g_array_append_val(items, it);
}

static void keyed_fill(cairo_t *cr, const KeyedHook *k)
{
	cairo_rectangle(cr, 10, 10, 20, 20);
	cairo_set_source_rgb(cr, ((k->rgb >> 16) & 0xff) / 255.0, ((k->rgb >> 8) & 0xff) / 255.0, (k->rgb & 0xff) / 255.0);
	cairo_fill(cr);
}

static void keyed_draw(HvsimWindow *win, cairo_t *cr, int width, int height, const HvsimRenderOptions *opt,
                       gpointer user_data)
{
	keyed_fill(cr, user_data);
}

static void keyed_draw_item(HvsimWindow *win, cairo_t *cr, int width, int height, const HvsimRenderOptions *opt,
                            guint index, gpointer user_data)
{
	g_assert_cmpuint(index, ==, 0);
	keyed_fill(cr, user_data);
}

static void on_after_paint(GdkFrameClock *clock, KeyedHook *k)
{
	k->frames++;
}

/* Draws a frame of the picture; returns the nodes made again in it. */
static guint view_frame(HvsimWindow *win, KeyedHook *k, guint *nodes)
{
	GtkWidget *view = hvsim_window_get_picture(win);
	guint before = k->frames;
	guint64 drawn = gui_picture_view_get_frames(GUI_PICTURE_VIEW(view));
	gint64 deadline = g_get_monotonic_time() + WAIT_LIMIT_US;
	/* Until a frame drew the view after the request and ended (counting
	 * frames alone is not enough: one may have begun before the request,
	 * and nothing else need ask for another, as a text cursor stops
	 * blinking after 10 s). */
	gtk_widget_queue_draw(view);
	while (gui_picture_view_get_frames(GUI_PICTURE_VIEW(view)) == drawn || k->frames == before) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, TRUE);
	}
	guint remade = 0;
	gui_picture_view_get_remade(GUI_PICTURE_VIEW(view), &remade, nodes);
	return remade;
}

/* The picture as GTK's renderer draws it now: w × h pixels, 0xRRGGBB. */
static guint32 *view_pixels(HvsimWindow *win, int *w_out, int *h_out)
{
	GtkWidget *view = hvsim_window_get_picture(win);
	int w = gtk_widget_get_width(view), h = gtk_widget_get_height(view);
	GdkPaintable *paintable = gtk_widget_paintable_new(view);
	GtkSnapshot *snapshot = gtk_snapshot_new();
	gdk_paintable_snapshot(paintable, snapshot, w, h);
	GskRenderNode *node = gtk_snapshot_free_to_node(snapshot);
	g_object_unref(paintable);
	g_assert_nonnull(node);
	GdkTexture *texture =
		gsk_renderer_render_texture(gtk_native_get_renderer(GTK_NATIVE(win)), node, &GRAPHENE_RECT_INIT(0, 0, w, h));
	gsk_render_node_unref(node);
	guint32 *data = g_new(guint32, (gsize)w * h);
	gdk_texture_download(texture, (guchar *)data, (gsize)w * 4);
	g_object_unref(texture);
	for (gsize i = 0; i < (gsize)w * h; i++)
		data[i] &= 0xFFFFFF;
	*w_out = w;
	*h_out = h;
	return data;
}

/* The pixel at (x, y) of the picture as GTK's renderer draws it now. */
static guint32 view_pixel(HvsimWindow *win, int x, int y)
{
	int w, h;
	guint32 *data = view_pixels(win, &w, &h);
	g_assert_cmpint(x, <, w);
	g_assert_cmpint(y, <, h);
	guint32 px = data[y * w + x];
	g_free(data);
	return px;
}

/* No seam between the picture's tiles, in the whole window as GTK draws
 * it (as --screenshot saves it: the view inside the window, not at the
 * origin, which is where Cairo nodes' edges showed a light line with the
 * GL renderer): along the first tile edge, a pixel unlike both its
 * neighbours across the edge is a drawn line that happens to fall there,
 * which few rows have; a seam is on most of them. */
#define SEAM_SLACK 4   /* px either side of where the view's first tile edge should be */

static void assert_no_tile_seam_with(HvsimWindow *win, GskRenderer *renderer)
{
	GtkWidget *w_self = GTK_WIDGET(win), *view = hvsim_window_get_picture(win);
	int w = gtk_widget_get_width(w_self), h = gtk_widget_get_height(w_self);
	graphene_point_t at;
	g_assert_true(gtk_widget_compute_point(view, w_self, &GRAPHENE_POINT_INIT(0, 0), &at));
	int x0 = (int)at.x, y0 = (int)at.y, vh = gtk_widget_get_height(view);
	g_assert_cmpint(gtk_widget_get_width(view), >, GUI_PICTURE_TILE + 1);
	GdkPaintable *paintable = gtk_widget_paintable_new(w_self);
	GtkSnapshot *snapshot = gtk_snapshot_new();
	gdk_paintable_snapshot(paintable, snapshot, w, h);
	GskRenderNode *node = gtk_snapshot_free_to_node(snapshot);
	g_object_unref(paintable);
	GdkTexture *texture = gsk_renderer_render_texture(renderer, node, &GRAPHENE_RECT_INIT(0, 0, w, h));
	gsk_render_node_unref(node);
	guint32 *px = g_new(guint32, (gsize)w * h);
	gdk_texture_download(texture, (guchar *)px, (gsize)w * 4);
	g_object_unref(texture);
	/* The columns around every vertical tile edge: the view's origin as GTK
	 * reports it and where the window draws it differ by the window's
	 * frame (2 px here). A seam had 732 such rows of 742; drawn lines
	 * crossing there, about 60. */
	int worst = 0, at_x = 0, vw = gtk_widget_get_width(view);
	for (int edge = GUI_PICTURE_TILE; edge < vw - SEAM_SLACK - 1; edge += GUI_PICTURE_TILE)
	for (int x = x0 + edge - SEAM_SLACK; x <= x0 + edge + SEAM_SLACK; x++) {
		int odd = 0;
		for (int y = y0; y < y0 + vh && y < h; y++) {
			const guint32 *row = px + (gsize)y * w;
			odd += (row[x] & 0xFFFFFF) != (row[x - 1] & 0xFFFFFF) && (row[x] & 0xFFFFFF) != (row[x + 1] & 0xFFFFFF);
		}
		if (odd > worst)
			worst = odd, at_x = x;
	}
	g_free(px);
	if (worst >= vh / 4)
		g_test_message("%s: a seam at x = %d (%d of %d rows)", G_OBJECT_TYPE_NAME(renderer), at_x, worst, vh);
	g_assert_cmpint(worst, <, vh / 4);
}

/* With the window's renderer, and with GSK's GL renderer where it can be
 * made (the default on a real display; the seams showed only there). */
static void assert_no_tile_seam(HvsimWindow *win)
{
	assert_no_tile_seam_with(win, gtk_native_get_renderer(GTK_NATIVE(win)));
	GskRenderer *gl = gsk_gl_renderer_new();
	GError *error = NULL;
	if (gsk_renderer_realize(gl, gtk_native_get_surface(GTK_NATIVE(win)), &error)) {
		assert_no_tile_seam_with(win, gl);
		gsk_renderer_unrealize(gl);
	} else {
		g_test_message("no GL renderer here (%s): the seams checked with the window's renderer only", error->message);
		g_clear_error(&error);
	}
	g_object_unref(gl);
}

static void test_window_view_nodes(Fixture *f, gconstpointer data)
{
	wait_idle(f->win);
	KeyedHook k = { .key = 1, .rgb = 0x00FF00 };
	GdkFrameClock *clock = gtk_widget_get_frame_clock(hvsim_window_get_picture(f->win));
	g_assert_nonnull(clock);
	gulong id = g_signal_connect(clock, "after-paint", G_CALLBACK(on_after_paint), &k);
	hvsim_window_add_draw_hook_items(f->win, keyed_draw, keyed_items, keyed_draw_item, &k);

	/* Once the picture settled, a frame with nothing new makes nothing. */
	guint nodes = 0, remade = 1;
	for (int i = 0; i < 50 && remade; i++)
		remade = view_frame(f->win, &k, &nodes);
	g_assert_cmpuint(remade, ==, 0);
	g_assert_cmpuint(nodes, >, 1);   /* the picture's tiles and the item */
	g_assert_cmphex(view_pixel(f->win, 20, 20), ==, 0x00FF00);
	assert_no_tile_seam(f->win);

	/* A new key: that item's node alone, with its new pixels. */
	k.key = 2;
	k.rgb = 0x0000FF;
	g_assert_cmpuint(view_frame(f->win, &k, NULL), ==, 1);
	g_assert_cmphex(view_pixel(f->win, 20, 20), ==, 0x0000FF);
	g_assert_cmpuint(view_frame(f->win, &k, NULL), ==, 0);
	/* Around the item, the picture (not the item's colour). */
	g_assert_cmphex(view_pixel(f->win, 40, 40), !=, 0x0000FF);

	/* A hook that cannot say what it draws: the view is drawn whole. */
	HookLog log = { 0 };
	hvsim_window_add_draw_hook(f->win, on_draw, &log);
	view_frame(f->win, &k, &nodes);
	g_assert_cmpuint(nodes, ==, 0);
	g_assert_cmpuint(log.draws, >, 0);
	g_signal_handler_disconnect(clock, id);
}

/* The log's filters and the VP page with the child running: a kind and a
 * partition keep only their lines; the VP page follows the child when
 * chosen and its consoles tab makes the runner copy the consoles. */
/* Iterates the main loop until the snapshot on screen was taken with
 * `detail` (the runner publishes once more after a request changes; the
 * window sees it at its next poll). */
static const SimSnapshot *wait_detail(HvsimWindow *win, guint detail)
{
	gint64 deadline = g_get_monotonic_time() + WAIT_LIMIT_US;
	for (;;) {
		const SimSnapshot *snap = hvsim_window_get_snapshot(win);
		if (snap && snap->detail == detail)
			return snap;
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, TRUE);
	}
}

static void test_window_log_and_inspector(Fixture *f, gconstpointer data)
{
	gui_runner_until_insns(hvsim_window_get_runner(f->win), 8000000);
	gint64 deadline = g_get_monotonic_time() + WAIT_LIMIT_US;
	while (!hvsim_window_get_snapshot(f->win) || hvsim_window_get_snapshot(f->win)->insns < 8000000 ||
	       hvsim_window_get_state(f->win)->busy) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, TRUE);
	}
	g_assert_nonnull(sim_snapshot_partition(hvsim_window_get_snapshot(f->win), 2));
	while (hvsim_window_texts_pending(f->win)) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, TRUE);
	}
	/* The log followed the machine while it ran and when it stopped;
	 * built anew (after another filter) it is the same text. */
	g_autofree char *edited = hvsim_window_get_log_text(f->win);
	g_assert_cmpuint(strlen(edited), >, 0);
	g_assert_true(hvsim_window_set_log_filter(f->win, "Console", 0));
	g_assert_true(hvsim_window_set_log_filter(f->win, NULL, 0));
	g_autofree char *anew = hvsim_window_get_log_text(f->win);
	g_assert_cmpstr(edited, ==, anew);
	/* When the machine stopped the log grew from the lines shown while
	 * running to the full 250. */
	guint n_lines = 1;
	for (const char *c = edited; *c; c++)
		n_lines += *c == '\n';
	g_assert_cmpuint(n_lines, ==, 250);

	g_assert_true(hvsim_window_set_log_filter(f->win, "VM exits and entries", 2));
	g_autofree char *only = hvsim_window_get_log_text(f->win);
	g_auto(GStrv) lines = g_strsplit(only, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), >, 0);
	for (char **l = lines; *l; l++) {
		g_assert_nonnull(strstr(*l, "  p2  "));
		g_assert_true(strstr(*l, "VM exit") || strstr(*l, "VM entry"));
	}
	g_assert_true(hvsim_window_set_log_filter(f->win, NULL, 1));
	g_autofree char *p1 = hvsim_window_get_log_text(f->win);
	g_assert_null(strstr(p1, "  p2  "));
	g_assert_nonnull(strstr(p1, "  p1  "));
	g_assert_true(hvsim_window_set_log_filter(f->win, NULL, 0));
	g_assert_false(hvsim_window_set_log_filter(f->win, "no such kind", 0));
	g_assert_false(hvsim_window_set_log_filter(f->win, NULL, 99));

	GuiPanel *inspector = GUI_PANEL(hvsim_window_get_inspector(f->win));
	g_assert_true(hvsim_window_show_panel(f->win, "vp"));
	gui_panel_select(inspector, 2, 0);
	gui_panel_show_page(inspector, GUI_PANEL_PAGE_CONSOLES);
	const SimSnapshot *snap = wait_detail(f->win, SIM_SNAP_DETAIL_CONSOLES);
	g_assert_nonnull(snap->partitions[0].console);
	uint32_t part = 0;
	g_assert_true(gui_panel_selected(inspector, &part, NULL));
	g_assert_cmpuint(part, ==, 2);
	/* Another side page: the runner stops copying them. */
	g_assert_true(hvsim_window_show_panel(f->win, "events"));
	snap = wait_detail(f->win, 0);
	g_assert_null(snap->partitions[0].console);
}

/* Collects the action names the header bar offers: its buttons' and the
 * items of its menus' models. */
static void menu_actions(GMenuModel *model, GPtrArray *out)
{
	for (int i = 0; i < g_menu_model_get_n_items(model); i++) {
		char *action = NULL;
		if (g_menu_model_get_item_attribute(model, i, G_MENU_ATTRIBUTE_ACTION, "s", &action))
			g_ptr_array_add(out, action);
		GMenuModel *sub = g_menu_model_get_item_link(model, i, G_MENU_LINK_SECTION);
		if (sub) {
			menu_actions(sub, out);
			g_object_unref(sub);
		}
	}
}

static void header_actions(GtkWidget *w, GPtrArray *out, guint *scales)
{
	if (GTK_IS_ACTIONABLE(w) && gtk_actionable_get_action_name(GTK_ACTIONABLE(w)))
		g_ptr_array_add(out, g_strdup(gtk_actionable_get_action_name(GTK_ACTIONABLE(w))));
	if (GTK_IS_MENU_BUTTON(w) && gtk_menu_button_get_menu_model(GTK_MENU_BUTTON(w)))
		menu_actions(gtk_menu_button_get_menu_model(GTK_MENU_BUTTON(w)), out);
	if (GTK_IS_SCALE(w))
		(*scales)++;
	for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c))
		header_actions(c, out, scales);
}

/* The header bar, with the animation slider the application adds, fits a
 * 1280-pixel-wide projector with room to spare (its natural width, what
 * it asks for to show everything unsqueezed); the stepping controls are
 * buttons in it, everything else is in its menus. */
static void test_window_header(Fixture *f, gconstpointer data)
{
	gui_anim_view_attach(f->win, 1.0);
	wait_idle(f->win);
	GtkWidget *bar = gtk_window_get_titlebar(GTK_WINDOW(f->win));
	g_assert_true(GTK_IS_HEADER_BAR(bar));
	int min = 0, nat = 0;
	gtk_widget_measure(bar, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
	g_test_message("header bar: minimum width %d px, natural width %d px", min, nat);
	g_printerr("# header bar natural width %d px (minimum %d px)\n", nat, min);
	g_assert_cmpint(nat, >, 300);            /* measured something */
	g_assert_cmpint(nat, <=, 1280 - 160);    /* well under a 1280-pixel screen (1100 px when written) */
	g_autoptr(GPtrArray) actions = g_ptr_array_new_with_free_func(g_free);
	guint scales = 0;
	header_actions(bar, actions, &scales);
	g_assert_cmpuint(scales, ==, 1);         /* the animation's speed */
	static const char *const want[] = { "sim.run", "sim.step-insn", "sim.step-back", "sim.step-next", "sim.step",
	                                    "sim.reset", "sim.load", "view.export", "view.dark", "view.presentation",
	                                    "win.show-help-overlay", "app.quit" };
	for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
		gboolean found = FALSE;
		for (guint j = 0; j < actions->len; j++)
			found |= g_str_equal(g_ptr_array_index(actions, j), want[i]);
		if (!found)
			g_error("the header bar offers no %s (neither a button nor a menu item)", want[i]);
	}
}

/* The shortcuts window (gtk/help-overlay.ui, what ? opens) lists every
 * keyboard action of the window and the application, the animation's
 * speed keys included. */
static void test_window_shortcuts(void)
{
	g_autoptr(GtkBuilder) b = gtk_builder_new_from_resource("/org/hvsim/Gui/gtk/help-overlay.ui");
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	GSList *objects = gtk_builder_get_objects(b);
	for (GSList *o = objects; o; o = o->next)
		if (GTK_IS_SHORTCUTS_SHORTCUT(o->data)) {
			char *action = NULL;
			g_object_get(o->data, "action-name", &action, NULL);
			if (action)
				g_ptr_array_add(names, action);
		}
	g_slist_free(objects);
	static const char *const want[] = { "sim.run", "sim.step-insn", "sim.step-next", "sim.step-back", "sim.next-kind",
	                                    "sim.step", "sim.reset", "view.export", "view.dark", "view.presentation",
	                                    "view.leave-presentation", "win.show-help-overlay", "app.quit",
	                                    "anim.slower", "anim.faster" };
	for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
		gboolean found = FALSE;
		for (guint j = 0; j < names->len; j++)
			found |= g_str_equal(g_ptr_array_index(names, j), want[i]);
		if (!found)
			g_error("the shortcuts window does not list %s", want[i]);
	}
}

/* The backend in the window: the probe's verdict on the native choice
 * (this host's: greyed with the reason where it fails), and a machine
 * running natively named in the title and the machine button, with step
 * back disabled and its tooltip saying why. No host here runs KVM, so the
 * native machine is a state presented as the runner's would be. */
static void test_window_backend(Fixture *f, gconstpointer data)
{
	const GuiRunnerState *st = wait_idle(f->win);
	g_assert_false(st->native);
	GtkWidget *w = GTK_WIDGET(f->win);
	GtkWidget *native = GTK_WIDGET(gtk_widget_get_template_child(w, HVSIM_TYPE_WINDOW, "backend_native"));
	GtkWidget *back = GTK_WIDGET(gtk_widget_get_template_child(w, HVSIM_TYPE_WINDOW, "back_button"));
	GtkWidget *machine = GTK_WIDGET(gtk_widget_get_template_child(w, HVSIM_TYPE_WINDOW, "machine_button"));
	g_assert_true(GTK_IS_CHECK_BUTTON(native) && GTK_IS_BUTTON(back) && GTK_IS_MENU_BUTTON(machine));
	g_assert_nonnull(strstr(gtk_window_get_title(GTK_WINDOW(f->win)), "emulated (Unicorn)"));
	g_assert_true(gtk_widget_get_sensitive(back));

	/* The probe's verdict arrives from its worker thread. */
	GString *reason = g_string_new(NULL);
	gboolean probe = sim_kvm_probe(reason);
	GuiBackendOffer offer;
	gui_backend_offer(probe, reason->str, &offer);
	gint64 deadline = g_get_monotonic_time() + WAIT_LIMIT_US;
	while (g_strcmp0(gtk_widget_get_tooltip_text(native), offer.native_note) != 0) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, TRUE);
	}
	g_assert_cmpint(gtk_widget_get_sensitive(native), ==, offer.native_selectable);
	gui_backend_offer_clear(&offer);
	g_string_free(reason, TRUE);

	/* A machine running natively. */
	GuiRunnerState *nat = g_new0(GuiRunnerState, 1);
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL };
	g_autoptr(GError) error = NULL;
	SimMachine *m = sim_machine_new(&cfg, &error);
	g_assert_no_error(error);
	g_assert_true(sim_load_scenario_or_image(m, "hello", &error));
	nat->snap = sim_snapshot_take(m);
	sim_machine_free(m);
	nat->events = g_array_new(FALSE, FALSE, sizeof(SimEvent));
	nat->scenario = g_strdup("hello");
	nat->native = TRUE;
	hvsim_window_present_state(f->win, nat);
	g_assert_nonnull(strstr(gtk_window_get_title(GTK_WINDOW(f->win)), "native (KVM)"));
	g_assert_true(g_str_has_suffix(gtk_menu_button_get_label(GTK_MENU_BUTTON(machine)), "· native"));
	g_assert_false(gtk_widget_get_sensitive(back));
	g_assert_cmpstr(gtk_widget_get_tooltip_text(back), ==, GUI_BACKEND_NO_STEP_BACK);
	g_assert_true(gtk_check_button_get_active(GTK_CHECK_BUTTON(native)));

	/* Back to the runner's machine (emulated): step back again. */
	hvsim_window_present_state(f->win, NULL);
	deadline = g_get_monotonic_time() + WAIT_LIMIT_US;
	while (!gtk_widget_get_sensitive(back)) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, TRUE);
	}
	g_assert_nonnull(strstr(gtk_window_get_title(GTK_WINDOW(f->win)), "emulated (Unicorn)"));
	g_assert_cmpstr(gtk_widget_get_tooltip_text(back), !=, GUI_BACKEND_NO_STEP_BACK);
}

/* The log's wrapping, by characters of a monospace font as a text view
 * wraps by words and characters: a row ends at the last space that fits
 * (dropped), a word longer than a row is cut, the line's leading spaces
 * are kept, multi-byte characters count once. */
static void test_log_view_wrap(void)
{
	static const struct {
		const char *text;
		guint columns;
		const char *rows;   /* joined by '|' */
	} cases[] = {
		{ "", 10, "" },
		{ "short", 10, "short" },
		{ "exactly 10", 10, "exactly 10" },
		{ "two words here", 9, "two words|here" },
		{ "two words here", 8, "two|words|here" },
		{ "abcdefghijklmnop", 5, "abcde|fghij|klmno|p" },
		{ "  6802  p1  VM exit: VMCALL", 12, "  6802  p1|VM exit:|VMCALL" },
		{ "a  b", 1, "a|b" },
		{ "\xc2\xb7\xc2\xb7\xc2\xb7 \xc2\xb7\xc2\xb7", 4, "\xc2\xb7\xc2\xb7\xc2\xb7|\xc2\xb7\xc2\xb7" },
		{ "trailing   ", 8, "trailing" },
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_auto(GStrv) rows = gui_log_view_wrap(cases[i].text, cases[i].columns);
		g_autofree char *joined = g_strjoinv("|", rows);
		g_assert_cmpstr(joined, ==, cases[i].rows);
	}
}

/* The view holds exactly the lines given, counts their rows as the wrap
 * does, ignores the same lines again, and stays at the end as lines come. */
static void test_log_view_lines(void)
{
	GtkWidget *window = gtk_window_new();
	GtkWidget *scroll = gtk_scrolled_window_new();
	gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
	GtkWidget *view = gui_log_view_new();
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), view);
	gtk_window_set_child(GTK_WINDOW(window), scroll);
	gtk_window_set_default_size(GTK_WINDOW(window), 300, 200);
	gtk_window_present(GTK_WINDOW(window));
	GuiLogView *lv = GUI_LOG_VIEW(view);

	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < 100; i++)
		g_ptr_array_add(lines, g_strdup_printf("%c%6u  p1  event number %u with a tail long enough to wrap at "
		                                       "forty columns", i % 7 ? '-' : 'X', i, i));
	g_assert_true(gui_log_view_set_lines(lv, lines));
	g_assert_false(gui_log_view_set_lines(lv, lines));
	g_assert_cmpuint(gui_log_view_get_n_lines(lv), ==, 100);
	g_autofree char *text = gui_log_view_get_text(lv);
	g_assert_true(g_str_has_prefix(text, "     0  p1  event number 0 "));
	g_assert_null(strchr(text, 'X'));
	guint rows = 0;
	for (guint i = 0; i < lines->len; i++) {
		g_auto(GStrv) r = gui_log_view_wrap((const char *)g_ptr_array_index(lines, i) + 1, 40);
		rows += g_strv_length(r);
	}
	g_assert_cmpuint(gui_log_view_count_rows(lv, 40), ==, rows);
	g_assert_cmpuint(rows, >, 100);

	GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment(GTK_SCROLLED_WINDOW(scroll));
	gint64 deadline = g_get_monotonic_time() + WAIT_LIMIT_US;
	while (gtk_widget_get_height(view) == 0 || gtk_adjustment_get_upper(adj) <= gtk_adjustment_get_page_size(adj)) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, TRUE);
	}
	g_assert_cmpfloat(gtk_adjustment_get_value(adj), ==, gtk_adjustment_get_upper(adj) - gtk_adjustment_get_page_size(adj));
	/* Scrolled up, then more lines: back at the end. */
	gtk_adjustment_set_value(adj, 0);
	g_ptr_array_add(lines, g_strdup("-   100  p1  the last"));
	g_assert_true(gui_log_view_set_lines(lv, lines));
	g_assert_cmpfloat(gtk_adjustment_get_value(adj), ==, gtk_adjustment_get_upper(adj) - gtk_adjustment_get_page_size(adj));
	g_assert_cmpfloat(gtk_adjustment_get_value(adj), >, 0);
	g_ptr_array_unref(lines);
	gtk_window_destroy(GTK_WINDOW(window));
}

static void got_text(GObject *source, GAsyncResult *res, gpointer data)
{
	char **out = data;
	GError *error = NULL;
	*out = gdk_clipboard_read_text_finish(GDK_CLIPBOARD(source), res, &error);
	g_assert_no_error(error);
}

/* Ctrl+C's action copies every line (without the exit marker) to the
 * clipboard, and a screen reader is told it is a log, how many lines it
 * has and the newest. */
static void test_log_view_copy(void)
{
	GtkWidget *window = gtk_window_new();
	GtkWidget *view = gui_log_view_new();
	gtk_window_set_child(GTK_WINDOW(window), view);
	gtk_window_present(GTK_WINDOW(window));
	GuiLogView *lv = GUI_LOG_VIEW(view);
	gtk_test_accessible_assert_role(GTK_ACCESSIBLE(view), GTK_ACCESSIBLE_ROLE_LOG);
	gtk_test_accessible_assert_property(GTK_ACCESSIBLE(view), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, "empty");

	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(lines, g_strdup("X     1  p1  vm_exit  I/O instruction, port 0x3ff"));
	g_ptr_array_add(lines, g_strdup("-     2  p1  port_io  OUT 0x3ff = 0x00"));
	g_assert_true(gui_log_view_set_lines(lv, lines));
	gtk_test_accessible_assert_property(GTK_ACCESSIBLE(view), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
	                                    "2 lines; the newest: 2  p1  port_io  OUT 0x3ff = 0x00");

	g_assert_true(gtk_widget_activate_action(view, "logview.copy", NULL));
	char *text = NULL;
	gdk_clipboard_read_text_async(gtk_widget_get_clipboard(view), NULL, got_text, &text);
	gint64 deadline = g_get_monotonic_time() + WAIT_LIMIT_US;
	while (!text) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, TRUE);
	}
	g_assert_cmpstr(text, ==, "     1  p1  vm_exit  I/O instruction, port 0x3ff\n     2  p1  port_io  OUT 0x3ff = 0x00");
	g_free(text);
	g_ptr_array_unref(lines);
	gtk_window_destroy(GTK_WINDOW(window));
}

/* The window bench's floor figures: nearest-rank quantiles and counts over
 * a limit, on values whose answers are known. */
static void test_bench_quantile(void)
{
	g_autoptr(GArray) v = g_array_new(FALSE, FALSE, sizeof(double));
	g_assert_cmpfloat(gui_window_bench_quantile(v, 0.5), ==, 0);
	g_assert_cmpuint(gui_window_bench_count_over(v, 1), ==, 0);
	/* 1..1000 in reverse: the order must not matter. */
	for (int i = 1000; i >= 1; i--) {
		double x = i;
		g_array_append_val(v, x);
	}
	g_assert_cmpfloat(gui_window_bench_quantile(v, 0.5), ==, 500);
	g_assert_cmpfloat(gui_window_bench_quantile(v, 0.99), ==, 990);
	g_assert_cmpfloat(gui_window_bench_quantile(v, 0.999), ==, 999);
	g_assert_cmpfloat(gui_window_bench_quantile(v, 1), ==, 1000);
	g_assert_cmpfloat(gui_window_bench_quantile(v, 0), ==, 1);
	g_assert_cmpuint(gui_window_bench_count_over(v, 990), ==, 10);
	g_assert_cmpuint(gui_window_bench_count_over(v, 1000), ==, 0);
	g_assert_cmpfloat(g_array_index(v, double, 0), ==, 1000);   /* the caller's order is left alone */
	double one = 7;
	g_autoptr(GArray) w = g_array_new(FALSE, FALSE, sizeof(double));
	g_array_append_val(w, one);
	g_assert_cmpfloat(gui_window_bench_quantile(w, 0.999), ==, 7);
}

/* The fixed repaint: paced at its period, stopped by its count or its
 * time, each repaint's CPU time recorded (a 400x300 repaint costs some). */
static void test_bench_fixed_paints(void)
{
	g_autoptr(GArray) cpu = g_array_new(FALSE, FALSE, sizeof(double));
	gint64 t0 = g_get_monotonic_time();
	gui_window_bench_fixed_paints(400, 300, 10.0, 20.0, 5, cpu);
	double took_ms = (double)(g_get_monotonic_time() - t0) / 1000.0;
	g_assert_cmpuint(cpu->len, ==, 5);          /* the count stops it */
	g_assert_cmpfloat(took_ms, >=, 4 * 20.0);   /* the fifth starts 80 ms after the first */
	for (guint i = 0; i < cpu->len; i++)
		g_assert_cmpfloat(g_array_index(cpu, double, i), >, 0);
	g_array_set_size(cpu, 0);
	gui_window_bench_fixed_paints(64, 64, 0.5, 10.0, 1000, cpu);   /* the time stops it */
	g_assert_cmpuint(cpu->len, >=, 2);
	g_assert_cmpuint(cpu->len, <=, 50);   /* none starts at or after 0.5 s */
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	if (!gtk_init_check()) {
		/* TAP's way to skip a whole program. */
		g_print("1..0 # SKIP no display (meson runs this under xvfb-run)\n");
		return 0;
	}
	/* Under xvfb-run there is no session bus and GTK warns about it:
	 * criticals stay fatal, warnings do not. */
	g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);
	g_test_add_func("/gui/bench/quantile", test_bench_quantile);
	g_test_add_func("/gui/bench/fixed-paints", test_bench_fixed_paints);
	g_test_add_func("/gui/log-view/wrap", test_log_view_wrap);
	g_test_add_func("/gui/log-view/lines", test_log_view_lines);
	g_test_add_func("/gui/log-view/copy-and-accessible", test_log_view_copy);
	g_test_add("/gui/window/power-on", Fixture, NULL, fixture_set_up, test_window_power_on, fixture_tear_down);
	g_test_add("/gui/window/header", Fixture, NULL, fixture_set_up, test_window_header, fixture_tear_down);
	g_test_add_func("/gui/window/shortcuts", test_window_shortcuts);
	g_test_add("/gui/window/action-step-exit", Fixture, NULL, fixture_set_up, test_window_action_step_exit,
	           fixture_tear_down);
	g_test_add("/gui/window/view-actions", Fixture, NULL, fixture_set_up, test_window_view_actions,
	           fixture_tear_down);
	g_test_add("/gui/window/log-and-inspector", Fixture, NULL, fixture_set_up, test_window_log_and_inspector,
	           fixture_tear_down);
	g_test_add("/gui/window/extension-points", Fixture, NULL, fixture_set_up, test_window_extension_points,
	           fixture_tear_down);
	g_test_add("/gui/window/backend", Fixture, "hello", fixture_set_up, test_window_backend, fixture_tear_down);
	g_test_add("/gui/window/view-nodes", Fixture, NULL, fixture_set_up, test_window_view_nodes, fixture_tear_down);
	return g_test_run();
}
