/* gui-export.c — the architecture view into PNG, SVG and PDF files: the
 * same hvsim_render drawing, on the matching Cairo surface. Runs on the
 * thread that owns the snapshot. */
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <gio/gio.h>

#include "gui-export.h"

gboolean gui_export_format_for(const char *path, GuiExportFormat *format, GError **error)
{
	g_return_val_if_fail(path != NULL && format != NULL, FALSE);

	static const struct { const char *ext; GuiExportFormat format; } by_ext[] = {
		{ ".png", GUI_EXPORT_PNG },
		{ ".svg", GUI_EXPORT_SVG },
		{ ".pdf", GUI_EXPORT_PDF },
	};
	g_autofree char *lower = g_ascii_strdown(path, -1);
	for (guint i = 0; i < G_N_ELEMENTS(by_ext); i++) {
		if (g_str_has_suffix(lower, by_ext[i].ext)) {
			*format = by_ext[i].format;
			return TRUE;
		}
	}
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
	            "%s: the file name must end in .png, .svg or .pdf (that picks the format)", path);
	return FALSE;
}

/* The surface's status, or the file's, as a GError naming the file. */
static gboolean check(cairo_status_t status, const char *path, GError **error)
{
	if (status == CAIRO_STATUS_SUCCESS)
		return TRUE;
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s: %s", path, cairo_status_to_string(status));
	return FALSE;
}

gboolean gui_export(const SimSnapshot *snap, const HvsimRenderOptions *opt, double width, double height,
                    const char *path, GError **error)
{
	g_return_val_if_fail(snap != NULL && path != NULL, FALSE);
	g_return_val_if_fail(width >= 1 && height >= 1, FALSE);

	GuiExportFormat format;
	if (!gui_export_format_for(path, &format, error))
		return FALSE;

	cairo_surface_t *surface = NULL;
	switch (format) {
	case GUI_EXPORT_PNG:
		surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)width, (int)height);
		break;
	case GUI_EXPORT_SVG:
		surface = cairo_svg_surface_create(path, width, height);
		break;
	case GUI_EXPORT_PDF:
		surface = cairo_pdf_surface_create(path, width, height);
		break;
	}
	if (!check(cairo_surface_status(surface), path, error)) {
		cairo_surface_destroy(surface);
		return FALSE;
	}
	cairo_t *cr = cairo_create(surface);
	hvsim_render(cr, width, height, snap, opt);
	cairo_show_page(cr);
	gboolean ok = check(cairo_status(cr), path, error);
	cairo_destroy(cr);
	if (ok && format == GUI_EXPORT_PNG)
		ok = check(cairo_surface_write_to_png(surface, path), path, error);
	/* SVG and PDF are written as the surface finishes. */
	cairo_surface_finish(surface);
	if (ok)
		ok = check(cairo_surface_status(surface), path, error);
	cairo_surface_destroy(surface);
	return ok;
}
