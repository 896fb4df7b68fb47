/* png-check.c — `png-check FILE MIN_WIDTH MIN_HEIGHT`: exits 0 if FILE is a
 * PNG at least that large in which at least 5 % of the pixels differ from
 * its most common colour (the background) and at least 8 colours appear;
 * otherwise says what was wrong and exits 1. For the screenshot smoke test.
 * Host tool. */
#include <cairo.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: png-check FILE MIN_WIDTH MIN_HEIGHT\n");
		return 2;
	}
	cairo_surface_t *s = cairo_image_surface_create_from_png(argv[1]);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		fprintf(stderr, "png-check: %s: %s\n", argv[1], cairo_status_to_string(cairo_surface_status(s)));
		return 1;
	}
	cairo_surface_flush(s);
	int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
	int stride = cairo_image_surface_get_stride(s);
	const unsigned char *data = cairo_image_surface_get_data(s);
	int status = 0;
	if (w < atoi(argv[2]) || h < atoi(argv[3])) {
		fprintf(stderr, "png-check: %s is %dx%d, expected at least %sx%s\n", argv[1], w, h, argv[2], argv[3]);
		status = 1;
	}
	GHashTable *counts = g_hash_table_new(g_direct_hash, g_direct_equal);
	guint32 top = 0, top_n = 0;
	for (int y = 0; y < h; y++) {
		const guint32 *row = (const guint32 *)(const void *)(data + (gsize)y * stride);
		for (int x = 0; x < w; x++) {
			guint32 px = row[x] & 0xffffff;
			guint n = GPOINTER_TO_UINT(g_hash_table_lookup(counts, GUINT_TO_POINTER(px))) + 1;
			g_hash_table_insert(counts, GUINT_TO_POINTER(px), GUINT_TO_POINTER(n));
			if (n > top_n)
				top = px, top_n = n;
		}
	}
	double other = w && h ? 1.0 - (double)top_n / ((double)w * h) : 0;
	guint colours = g_hash_table_size(counts);
	printf("png-check: %s %dx%d, background #%06x, %.1f%% other pixels, %u colours\n", argv[1], w, h, top,
	       other * 100, colours);
	if (other < 0.05 || colours < 8) {
		fprintf(stderr, "png-check: %s looks blank\n", argv[1]);
		status = 1;
	}
	g_hash_table_destroy(counts);
	cairo_surface_destroy(s);
	return status;
}
