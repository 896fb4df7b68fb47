/* gui-picture-view.c — the architecture view's widget, made of render
 * nodes kept between frames. GTK main thread.
 *
 * Why: with GTK's Cairo renderer (no GPU) a frame costs about the area it
 * repaints, and GTK repaints where this frame's render nodes differ from
 * the last one's. A drawing area makes one new node a frame, so all of it
 * was repainted 60 times a second: GSK replayed the recorded drawing into
 * a temporary image as large as the view and blended that onto the
 * window's, about 3 ms of the UI thread a frame at 1009x742. Here the
 * picture is a grid of tiles and every item of the animation its own node
 * with tight bounds; a node whose content did not change is the same node
 * again, and GSK repaints only the bounds of the items that changed, each
 * node clipped to them (Cairo limits a node's temporary image to where
 * its bounds meet the repainted region, hence tiles: one picture node
 * would be replayed over the whole box around everything repainted). */
#include "gui-picture-view.h"
#include "gui-picture.h"
#include "render.h"

#define VIEW_TILE GUI_PICTURE_TILE   /* logical pixels a side of a picture tile */

struct _GuiPictureView {
	GtkDrawingArea parent;
	GuiPictureViewFuncs funcs;
	gpointer data;
	/* The picture's tiles: each kept while its key (its pixels' hash) holds. */
	int cols, rows;
	GskRenderNode **tiles;
	guint64 *tile_keys;
	gboolean texture_tiles;   /* the tiles are texture nodes (not Cairo ones): see picture_tile */
	/* The items' nodes of the last frame, by key. */
	GHashTable *items;            /* guint64 key -> GskRenderNode */
	guint remade, nodes;
	guint64 frames;               /* snapshots so far */
};

G_DEFINE_FINAL_TYPE(GuiPictureView, gui_picture_view, GTK_TYPE_DRAWING_AREA)

static void tiles_clear(GuiPictureView *v)
{
	for (int i = 0; i < v->cols * v->rows; i++)
		g_clear_pointer(&v->tiles[i], gsk_render_node_unref);
	g_clear_pointer(&v->tiles, g_free);
	g_clear_pointer(&v->tile_keys, g_free);
	v->cols = v->rows = 0;
}

static void nodes_clear(GuiPictureView *v)
{
	tiles_clear(v);
	if (v->items)
		g_hash_table_remove_all(v->items);
}

static guint64 mix(guint64 h, guint64 v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0x100000001b3ull;
}

/* A tile of the picture: a copy of its pixels of its own (a kept tile
 * must not hold on to a whole picture, nor see it change). For GSK's
 * Cairo renderer a Cairo node; for the others (GL, the default on a
 * display) a texture: the GL renderer left light one-pixel lines where
 * Cairo nodes meet edge to edge, and the Cairo renderer copies a texture
 * out again at every draw (twice the UI thread's time per frame). */
static GskRenderNode *picture_tile(const GuiPictureViewFrame *f, gboolean texture, int width, int height, int x, int y,
                                   int w, int h)
{
	double sx = 1, sy = 1;
	cairo_surface_get_device_scale(f->picture, &sx, &sy);
	cairo_surface_t *part = cairo_image_surface_create(CAIRO_FORMAT_RGB24, MAX((int)ceil(w * sx), 1),
	                                                   MAX((int)ceil(h * sy), 1));
	cairo_surface_set_device_scale(part, sx, sy);
	cairo_t *pc = cairo_create(part);
	cairo_translate(pc, -x, -y);
	if (f->picture_w != width || f->picture_h != height)
		cairo_scale(pc, width / f->picture_w, height / f->picture_h);   /* resized: stretched meanwhile */
	cairo_set_source_surface(pc, f->picture, 0, 0);
	cairo_set_operator(pc, CAIRO_OPERATOR_SOURCE);
	cairo_paint(pc);
	cairo_destroy(pc);
	if (texture) {
		/* Opaque ARGB for the texture's memory format: SOURCE from the
		 * RGB24 picture gives every pixel alpha 1. */
		cairo_surface_t *argb = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, cairo_image_surface_get_width(part),
		                                                   cairo_image_surface_get_height(part));
		cairo_t *ac = cairo_create(argb);
		cairo_set_source_surface(ac, part, 0, 0);
		cairo_set_operator(ac, CAIRO_OPERATOR_SOURCE);
		cairo_paint(ac);
		cairo_destroy(ac);
		cairo_surface_flush(argb);
		int stride = cairo_image_surface_get_stride(argb), ph = cairo_image_surface_get_height(argb);
		GBytes *bytes = g_bytes_new(cairo_image_surface_get_data(argb), (gsize)stride * (gsize)ph);
		GdkTexture *tex = gdk_memory_texture_new(cairo_image_surface_get_width(argb), ph, GDK_MEMORY_DEFAULT, bytes,
		                                         (gsize)stride);
		g_bytes_unref(bytes);
		cairo_surface_destroy(argb);
		cairo_surface_destroy(part);
		GskRenderNode *tn = gsk_texture_node_new(tex, &GRAPHENE_RECT_INIT(x, y, w, h));
		g_object_unref(tex);
		return tn;
	}
	GskRenderNode *n = gsk_cairo_node_new(&GRAPHENE_RECT_INIT(x, y, w, h));
	cairo_t *cr = gsk_cairo_node_get_draw_context(n);
	cairo_set_source_surface(cr, part, x, y);
	cairo_paint(cr);
	cairo_destroy(cr);
	cairo_surface_destroy(part);
	return n;
}

static GskRenderNode *item_node(GuiPictureView *v, const HvsimRenderItem *it, guint index, int width, int height)
{
	GskRenderNode *n = gsk_cairo_node_new(&GRAPHENE_RECT_INIT(it->x, it->y, it->w, it->h));
	cairo_t *cr = gsk_cairo_node_get_draw_context(n);
	cairo_rectangle(cr, it->x, it->y, it->w, it->h);
	cairo_clip(cr);
	v->funcs.draw_item(v, cr, width, height, index, v->data);
	cairo_destroy(cr);
	return n;
}

static void view_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
	GuiPictureView *v = GUI_PICTURE_VIEW(widget);
	int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
	GuiPictureViewFrame f = { 0 };
	v->frames++;
	if (width <= 0 || height <= 0 || !v->funcs.frame || !v->funcs.draw_item ||
	    !v->funcs.frame(v, width, height, &f, v->data) || !f.items || !f.picture || f.picture_w <= 0 ||
	    f.picture_h <= 0) {
		nodes_clear(v);
		v->remade = v->nodes = 0;
		GTK_WIDGET_CLASS(gui_picture_view_parent_class)->snapshot(widget, snapshot);
		return;
	}
	v->remade = 0;
	/* The picture, in tiles: a tile whose pixels' hash (gui-picture.c) is
	 * the same as before is kept; stretched (resized, the new picture not
	 * drawn yet), all of them are new. */
	int cols = (width + VIEW_TILE - 1) / VIEW_TILE, rows = (height + VIEW_TILE - 1) / VIEW_TILE;
	GtkNative *native = gtk_widget_get_native(widget);
	GskRenderer *renderer = native ? gtk_native_get_renderer(native) : NULL;
	gboolean texture = renderer && !GSK_IS_CAIRO_RENDERER(renderer);
	if (texture != v->texture_tiles) {   /* (another renderer: the tiles are made again) */
		tiles_clear(v);
		v->cols = v->rows = 0;
		v->texture_tiles = texture;
	}
	if (cols != v->cols || rows != v->rows) {
		tiles_clear(v);
		v->cols = cols;
		v->rows = rows;
		v->tiles = g_new0(GskRenderNode *, cols * rows);
		v->tile_keys = g_new0(guint64, cols * rows);
	}
	int hc = 0, hr = 0;
	const guint64 *hash = gui_picture_tile_hashes(f.picture, &hc, &hr);
	gboolean exact = f.picture_w == width && f.picture_h == height && hash && hc == cols && hr == rows;
	guint64 base = mix(mix(mix(1, (guint64)width), (guint64)height), exact ? 0 : f.picture_gen);
	for (int r = 0; r < rows; r++)
		for (int c = 0; c < cols; c++) {
			int i = r * cols + c, x = c * VIEW_TILE, y = r * VIEW_TILE;
			guint64 key = mix(mix(base, (guint64)i), exact ? hash[i] : 0);
			if (!v->tiles[i] || v->tile_keys[i] != key) {
				g_clear_pointer(&v->tiles[i], gsk_render_node_unref);
				v->tiles[i] = picture_tile(&f, texture, width, height, x, y, MIN(VIEW_TILE, width - x),
				                           MIN(VIEW_TILE, height - y));
				v->tile_keys[i] = key;
				v->remade++;
			}
			gtk_snapshot_append_node(snapshot, v->tiles[i]);
		}
	/* The items over it, in order: the node of the same key again, or a
	 * new one. Equal keys are the same pixels in the same place. */
	GHashTable *now = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
	                                        (GDestroyNotify)gsk_render_node_unref);
	for (guint i = 0; i < f.items->len; i++) {
		const HvsimRenderItem *it = &g_array_index(f.items, HvsimRenderItem, i);
		if (it->w <= 0 || it->h <= 0)
			continue;
		GskRenderNode *n = g_hash_table_lookup(now, &it->key);
		if (!n) {
			n = v->items ? g_hash_table_lookup(v->items, &it->key) : NULL;
			if (n) {
				gsk_render_node_ref(n);
			} else {
				n = item_node(v, it, i, width, height);
				v->remade++;
			}
			g_hash_table_insert(now, g_memdup2(&it->key, sizeof it->key), n);
		}
		gtk_snapshot_append_node(snapshot, n);
	}
	if (v->items)
		g_hash_table_unref(v->items);
	v->items = now;
	v->nodes = cols * rows + f.items->len;
	if (v->funcs.done)
		v->funcs.done(v, v->remade, v->nodes, v->data);
}

static void view_dispose(GObject *object)
{
	GuiPictureView *v = GUI_PICTURE_VIEW(object);
	tiles_clear(v);
	g_clear_pointer(&v->items, g_hash_table_unref);
	G_OBJECT_CLASS(gui_picture_view_parent_class)->dispose(object);
}

static void gui_picture_view_class_init(GuiPictureViewClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = view_dispose;
	GTK_WIDGET_CLASS(klass)->snapshot = view_snapshot;
}

static void gui_picture_view_init(GuiPictureView *v)
{
}

GtkWidget *gui_picture_view_new(void)
{
	return g_object_new(GUI_TYPE_PICTURE_VIEW, NULL);
}

void gui_picture_view_set_funcs(GuiPictureView *v, const GuiPictureViewFuncs *funcs, gpointer data)
{
	g_return_if_fail(GUI_IS_PICTURE_VIEW(v));
	v->funcs = funcs ? *funcs : (GuiPictureViewFuncs){ 0 };
	v->data = data;
	nodes_clear(v);
	gtk_widget_queue_draw(GTK_WIDGET(v));
}

void gui_picture_view_get_remade(GuiPictureView *v, guint *remade, guint *nodes)
{
	g_return_if_fail(GUI_IS_PICTURE_VIEW(v));
	if (remade)
		*remade = v->remade;
	if (nodes)
		*nodes = v->nodes;
}

guint64 gui_picture_view_get_frames(GuiPictureView *v)
{
	g_return_val_if_fail(GUI_IS_PICTURE_VIEW(v), 0);
	return v->frames;
}
