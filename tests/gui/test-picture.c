/* test-picture.c — the window's static picture drawn on a worker thread
 * (gui-picture.c), headlessly: the first picture is drawn in place, a newer
 * snapshot is drawn by the worker while the old picture is still painted,
 * then swapped in and announced; `wait` draws in place; freeing with a
 * drawing in flight is clean. (/gui/picture/...) */
#include <string.h>

#include "gui-picture.h"
#include "render.h"
#include "sim-machine.h"
#include "sim-scenario.h"
#include "sim-snapshot.h"

#define VIEW_W 480
#define VIEW_H 300
#define WAIT_US (20 * G_USEC_PER_SEC)   /* for the worker, even on a loaded machine */

/* Two different pictures: before the late launch and after the run. */
static SimSnapshot *take_two(SimSnapshot **after)
{
	g_autoptr(GError) error = NULL;
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL };
	SimMachine *m = sim_machine_new(&cfg, &error);
	g_assert_no_error(error);
	g_assert_nonnull(sim_load_scenario_or_image(m, "boot", &error));
	SimSnapshot *before = sim_snapshot_take(m);
	sim_machine_run(m);
	*after = sim_snapshot_take(m);
	sim_machine_free(m);
	return before;
}

/* The pixels of what `p` paints now. */
static cairo_surface_t *paint(GuiPicture *p, GuiSharedSnap *s, gboolean wait, gboolean *current)
{
	cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, VIEW_W, VIEW_H);
	cairo_t *cr = cairo_create(surf);
	*current = gui_picture_paint(p, cr, VIEW_W, VIEW_H, s, NULL, wait);
	cairo_destroy(cr);
	cairo_surface_flush(surf);
	return surf;
}

/* The same picture drawn directly by render.c. */
static cairo_surface_t *direct(const SimSnapshot *snap)
{
	cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, VIEW_W, VIEW_H);
	cairo_t *cr = cairo_create(surf);
	hvsim_render(cr, VIEW_W, VIEW_H, snap, NULL);
	cairo_destroy(cr);
	cairo_surface_flush(surf);
	return surf;
}

static gboolean same_pixels(cairo_surface_t *a, cairo_surface_t *b)
{
	int stride = cairo_image_surface_get_stride(a);
	return stride == cairo_image_surface_get_stride(b) &&
	       memcmp(cairo_image_surface_get_data(a), cairo_image_surface_get_data(b), (size_t)stride * VIEW_H) == 0;
}

static void on_ready(gpointer user_data)
{
	(*(guint *)user_data)++;
}

static void test_async_swap(void)
{
	SimSnapshot *after_raw = NULL;
	GuiSharedSnap *before = gui_shared_snap_new(take_two(&after_raw));
	GuiSharedSnap *after = gui_shared_snap_new(after_raw);
	guint ready = 0;
	GuiPicture *p = gui_picture_new(on_ready, &ready);
	gboolean current = FALSE;

	/* The first picture: drawn in place, nothing to wait for. */
	cairo_surface_t *first = paint(p, before, FALSE, &current);
	g_assert_true(current);
	g_assert_cmpuint(gui_picture_drawn(p), ==, 1);
	g_assert_cmpuint(gui_picture_drawn_async(p), ==, 0);
	cairo_surface_t *want_before = direct(gui_shared_snap_get(before));
	g_assert_true(same_pixels(first, want_before));

	/* A newer snapshot: the old picture is painted while the worker draws;
	 * the owner's reference may go meanwhile (the worker holds its own). */
	cairo_surface_t *meanwhile = paint(p, after, FALSE, &current);
	g_assert_false(current);
	g_assert_true(gui_picture_busy(p));
	g_assert_true(same_pixels(meanwhile, want_before));
	GuiSharedSnap *after_ref = gui_shared_snap_ref(after);
	gui_shared_snap_unref(after);

	gint64 until = g_get_monotonic_time() + WAIT_US;
	while (!ready && g_get_monotonic_time() < until)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpuint(ready, ==, 1);
	g_assert_false(gui_picture_busy(p));
	g_assert_cmpuint(gui_picture_drawn_async(p), ==, 1);

	cairo_surface_t *swapped = paint(p, after_ref, FALSE, &current);
	g_assert_true(current);
	cairo_surface_t *want_after = direct(gui_shared_snap_get(after_ref));
	g_assert_false(same_pixels(want_before, want_after));
	g_assert_true(same_pixels(swapped, want_after));

	/* With `wait`, another snapshot is drawn here and now. */
	cairo_surface_t *again = paint(p, before, TRUE, &current);
	g_assert_true(current);
	g_assert_true(same_pixels(again, want_before));
	g_assert_cmpuint(gui_picture_drawn(p), ==, 3);

	cairo_surface_destroy(first);
	cairo_surface_destroy(meanwhile);
	cairo_surface_destroy(swapped);
	cairo_surface_destroy(again);
	cairo_surface_destroy(want_before);
	cairo_surface_destroy(want_after);
	gui_picture_free(p);
	gui_shared_snap_unref(before);
	gui_shared_snap_unref(after_ref);
}

/* While running, a newer snapshot waits for the hold to pass. */
static void test_hold(void)
{
	SimSnapshot *after_raw = NULL;
	GuiSharedSnap *before = gui_shared_snap_new(take_two(&after_raw));
	GuiSharedSnap *after = gui_shared_snap_new(after_raw);
	GuiPicture *p = gui_picture_new(NULL, NULL);
	gui_picture_set_hold(p, 3600);
	gboolean current = FALSE;
	cairo_surface_destroy(paint(p, before, FALSE, &current));
	cairo_surface_destroy(paint(p, after, FALSE, &current));
	g_assert_false(current);
	g_assert_false(gui_picture_busy(p));   /* held: not even asked for */
	gui_picture_set_hold(p, 0);
	cairo_surface_destroy(paint(p, after, FALSE, &current));
	g_assert_true(gui_picture_busy(p));
	gui_picture_free(p);
	gui_shared_snap_unref(before);
	gui_shared_snap_unref(after);
}

/* Freed with a drawing in flight: the worker finishes, nothing leaks (the
 * ASan/LSan build checks) and no callback runs afterwards. */
static void test_free_in_flight(void)
{
	SimSnapshot *after_raw = NULL;
	GuiSharedSnap *before = gui_shared_snap_new(take_two(&after_raw));
	GuiSharedSnap *after = gui_shared_snap_new(after_raw);
	guint ready = 0;
	GuiPicture *p = gui_picture_new(on_ready, &ready);
	gboolean current = FALSE;
	cairo_surface_destroy(paint(p, before, FALSE, &current));
	cairo_surface_destroy(paint(p, after, FALSE, &current));
	g_assert_true(gui_picture_busy(p));
	gui_picture_free(p);
	gui_shared_snap_unref(before);
	gui_shared_snap_unref(after);
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpuint(ready, ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/gui/picture/async-swap", test_async_swap);
	g_test_add_func("/gui/picture/hold", test_hold);
	g_test_add_func("/gui/picture/free-in-flight", test_free_in_flight);
	return g_test_run();
}
