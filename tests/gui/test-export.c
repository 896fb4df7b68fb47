/* test-export.c — the architecture view exported to PNG, SVG and PDF from a
 * snapshot of the real boot scenario (/gui/export/...): each file exists,
 * has its format's signature and ending, the PNG reads back at the size
 * asked with ink on it, and a name without a known extension is refused
 * with a message. Writes into $HVSIM_GUI_OUT (else the current directory).
 * Host test program, headless. */
#include <cairo.h>
#include <glib.h>
#include <string.h>

#include "gui-export.h"
#include "sim-scenario.h"
#include "../test-machine.h"

static SimSnapshot *boot_snapshot(void)
{
	SimMachine *m = test_machine_with("boot");
	/* Into the run: launched, the child partition about. */
	while (sim_machine_insns(m) < 7800000 && sim_machine_step(m, 100000, SIM_STEP_STOP_NONE))
		;
	SimSnapshot *s = sim_snapshot_take(m);
	sim_machine_free(m);
	g_assert_true(s->hv_launched);
	return s;
}

static char *out_path(const char *name)
{
	const char *dir = g_getenv("HVSIM_GUI_OUT");
	return g_build_filename(dir ? dir : ".", name, NULL);
}

static void test_export_formats(void)
{
	g_autoptr(SimSnapshot) snap = boot_snapshot();
	HvsimRenderOptions opt = { .style = HVSIM_RENDER_LIGHT };
	static const struct { const char *name; const char *head; const char *tail; } files[] = {
		{ "export.png", "\x89PNG\r\n\x1a\n", NULL },
		{ "export.svg", "<?xml", "</svg>\n" },
		{ "export.PDF", "%PDF-", "%%EOF\n" },
	};
	for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
		g_autofree char *path = out_path(files[i].name);
		g_autoptr(GError) error = NULL;
		g_assert_true(gui_export(snap, &opt, 1280, 720, path, &error));
		g_assert_no_error(error);
		g_autofree char *data = NULL;
		gsize len = 0;
		g_assert_true(g_file_get_contents(path, &data, &len, NULL));
		g_test_message("%s: %" G_GSIZE_FORMAT " bytes", path, len);
		g_assert_cmpuint(len, >, 1000);
		g_assert_cmpint(memcmp(data, files[i].head, strlen(files[i].head)), ==, 0);
		/* Compared as bytes: a PDF's streams may hold NULs. */
		if (files[i].tail)
			g_assert_cmpint(memcmp(data + len - strlen(files[i].tail), files[i].tail, strlen(files[i].tail)), ==, 0);
	}

	g_autofree char *png = out_path("export.png");
	cairo_surface_t *s = cairo_image_surface_create_from_png(png);
	g_assert_cmpint(cairo_surface_status(s), ==, CAIRO_STATUS_SUCCESS);
	g_assert_cmpint(cairo_image_surface_get_width(s), ==, 1280);
	g_assert_cmpint(cairo_image_surface_get_height(s), ==, 720);
	cairo_surface_flush(s);
	guint32 bg = hvsim_render_background(&opt);
	const unsigned char *px = cairo_image_surface_get_data(s);
	int stride = cairo_image_surface_get_stride(s);
	guint ink = 0;
	for (int y = 0; y < 720; y++)
		for (int x = 0; x < 1280; x++)
			ink += (((const guint32 *)(const void *)(px + (gsize)y * stride))[x] & 0xffffff) != bg;
	g_assert_cmpuint(ink, >, 1280 * 720 / 4);
	cairo_surface_destroy(s);
}

static void test_export_bad_name(void)
{
	g_autoptr(SimSnapshot) snap = boot_snapshot();
	g_autoptr(GError) error = NULL;
	g_autofree char *path = out_path("export.jpg");
	g_assert_false(gui_export(snap, NULL, 640, 360, path, &error));
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, ".png, .svg or .pdf"));
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));

	GuiExportFormat f;
	g_assert_true(gui_export_format_for("a.Svg", &f, NULL));
	g_assert_cmpint(f, ==, GUI_EXPORT_SVG);
	g_assert_false(gui_export_format_for("png", &f, NULL));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/gui/export/formats", test_export_formats);
	g_test_add_func("/gui/export/bad-name", test_export_bad_name);
	return g_test_run();
}
