/* gui-export.h — the architecture view written to a file: PNG, SVG or PDF
 * through Cairo's surfaces (for slides and handouts). Any thread that owns
 * the snapshot (the GTK main thread in the application); no GTK. */
#ifndef HVSIM_GUI_EXPORT_H
#define HVSIM_GUI_EXPORT_H

#include <glib.h>

#include "render.h"
#include "sim-snapshot.h"

G_BEGIN_DECLS

typedef enum GuiExportFormat {
	GUI_EXPORT_PNG,
	GUI_EXPORT_SVG,
	GUI_EXPORT_PDF,
} GuiExportFormat;

/* The format a file name asks for by its extension (.png, .svg, .pdf, any
 * case); FALSE with a message naming the accepted ones otherwise. */
gboolean gui_export_format_for(const char *path, GuiExportFormat *format, GError **error);

/* Draws `snap` at width x height (pixels for PNG, points for SVG and PDF)
 * into `path` in the format its extension names. `opt` may be NULL. */
gboolean gui_export(const SimSnapshot *snap, const HvsimRenderOptions *opt, double width, double height,
                    const char *path, GError **error);

G_END_DECLS

#endif /* HVSIM_GUI_EXPORT_H */
