/* png-check.c — `png-check FILE MIN_WIDTH MIN_HEIGHT`: exits 0 if FILE is a
 * PNG at least that large in which at least 5 % of the pixels differ from
 * its most common colour (the background) and at least 8 colours appear;
 * otherwise says what was wrong and exits 1. For the screenshot smoke test.
 *
 * `png-check --differ A B`: exits 0 if the two screenshots of the same
 * window size differ in at least 0.1 % of the pixels of the picture's area
 * (the left 60 % of the window, between its header and its status line),
 * so a screenshot taken after the machine moved on cannot show the
 * picture of an earlier point (the window once saved a stale picture).
 *
 * `png-check --colour FILE RRGGBB MIN`: exits 0 if at least MIN pixels of
 * FILE are exactly that colour (a lesson's highlight outline is drawn).
 * Host tool. */
#include <cairo.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

/* The picture's area as fractions of the window: clear of the header bar,
 * the status line under the picture and the side pages on the right. */
#define DIFFER_X0 0.05
#define DIFFER_X1 0.60
#define DIFFER_Y0 0.12
#define DIFFER_Y1 0.80
#define DIFFER_MIN 0.001  /* the least share of changed pixels there (a stale picture: none) */

static cairo_surface_t *load(const char *path)
{
	cairo_surface_t *s = cairo_image_surface_create_from_png(path);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		fprintf(stderr, "png-check: %s: %s\n", path, cairo_status_to_string(cairo_surface_status(s)));
		cairo_surface_destroy(s);
		return NULL;
	}
	cairo_surface_flush(s);
	return s;
}

static int differ(const char *path_a, const char *path_b)
{
	cairo_surface_t *a = load(path_a), *b = load(path_b);
	int status = 1;
	if (!a || !b)
		goto out;
	int w = cairo_image_surface_get_width(a), h = cairo_image_surface_get_height(a);
	if (w != cairo_image_surface_get_width(b) || h != cairo_image_surface_get_height(b)) {
		fprintf(stderr, "png-check: %s is %dx%d but %s is %dx%d\n", path_a, w, h, path_b,
		        cairo_image_surface_get_width(b), cairo_image_surface_get_height(b));
		goto out;
	}
	int x0 = (int)(w * DIFFER_X0), x1 = (int)(w * DIFFER_X1), y0 = (int)(h * DIFFER_Y0), y1 = (int)(h * DIFFER_Y1);
	guint64 changed = 0, total = (guint64)(x1 - x0) * (guint64)(y1 - y0);
	for (int y = y0; y < y1; y++) {
		const guint32 *ra = (const guint32 *)(const void *)(cairo_image_surface_get_data(a) +
		                                                   (gsize)y * cairo_image_surface_get_stride(a));
		const guint32 *rb = (const guint32 *)(const void *)(cairo_image_surface_get_data(b) +
		                                                   (gsize)y * cairo_image_surface_get_stride(b));
		for (int x = x0; x < x1; x++)
			changed += (ra[x] & 0xffffff) != (rb[x] & 0xffffff);
	}
	double share = total ? (double)changed / (double)total : 0;
	printf("png-check: %s and %s: %.1f%% of the picture's area differs\n", path_a, path_b, share * 100);
	if (share < DIFFER_MIN)
		fprintf(stderr, "png-check: the picture in %s is (almost) the same as in %s: a stale picture?\n",
		        path_b, path_a);
	else
		status = 0;
out:
	if (a)
		cairo_surface_destroy(a);
	if (b)
		cairo_surface_destroy(b);
	return status;
}

static int colour(const char *path, const char *hex, const char *min_text)
{
	char *end = NULL;
	unsigned long want = strtoul(hex, &end, 16);
	long min = strtol(min_text, NULL, 10);
	if (!*hex || *end || want > 0xffffff || min < 1) {
		fprintf(stderr, "png-check: --colour wants RRGGBB and a count of at least 1, not '%s' '%s'\n", hex, min_text);
		return 2;
	}
	cairo_surface_t *s = load(path);
	if (!s)
		return 1;
	int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
	int stride = cairo_image_surface_get_stride(s);
	const unsigned char *data = cairo_image_surface_get_data(s);
	long n = 0;
	for (int y = 0; y < h; y++) {
		const guint32 *row = (const guint32 *)(const void *)(data + (gsize)y * stride);
		for (int x = 0; x < w; x++)
			n += (row[x] & 0xffffff) == want;
	}
	cairo_surface_destroy(s);
	printf("png-check: %s has %ld pixels of #%06lx (at least %ld wanted)\n", path, n, want, min);
	return n >= min ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && g_str_equal(argv[1], "--differ"))
		return differ(argv[2], argv[3]);
	if (argc == 5 && g_str_equal(argv[1], "--colour"))
		return colour(argv[2], argv[3], argv[4]);
	if (argc != 4) {
		fprintf(stderr, "usage: png-check FILE MIN_WIDTH MIN_HEIGHT | png-check --differ A B | "
		                "png-check --colour FILE RRGGBB MIN\n");
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
