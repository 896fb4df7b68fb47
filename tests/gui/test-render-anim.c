/* test-render-anim.c — the animation drawn headlessly over the picture of a
 * real `boot` run: the legend is there and inside the canvas, a token of
 * each kind sits on its own link in its own colour, a path's pixels change
 * while its event animates, the heat on a link grows with the event rate,
 * and the cached picture is the picture. Writes PNGs for a human to look
 * at ($HVSIM_GUI_OUT). Host test program, no display. */
#include <cairo.h>
#include <glib.h>
#include <math.h>
#include <string.h>

#include "gui-anim.h"
#include "render.h"
#include "sim-scenario.h"
#include "../test-machine.h"

/* The picture while both partitions run, and the first event of each
 * kind (as the animation maps them) from the same run. */
static SimSnapshot *snap;
static SimEvent kind_event[GUI_ANIM_N_KINDS];
static gboolean have_kind[GUI_ANIM_N_KINDS];

typedef struct Capture { SimMachine *m; } Capture;

static void on_event(const SimEvent *ev, gpointer user_data)
{
	Capture *c = user_data;
	if (!snap && ev->type == SIM_EV_CONSOLE && ev->partition >= 2)
		snap = sim_snapshot_take(c->m);
	GuiAnimPath p;
	if (gui_anim_path_of(ev, NULL, &p) && !have_kind[p.kind] &&
	    /* the child's own way where it has one (it shows more of the picture) */
	    (ev->partition >= 2 || p.kind == GUI_ANIM_HYPERCALL || p.kind == GUI_ANIM_DEVICE_IO ||
	     p.kind == GUI_ANIM_INTERCEPT)) {
		kind_event[p.kind] = *ev;
		have_kind[p.kind] = TRUE;
	}
}

static void run_boot(void)
{
	SimMachine *m = test_machine_with("boot");
	Capture c = { .m = m };
	sim_event_bus_subscribe(sim_machine_events(m), on_event, &c);
	g_assert_cmpint(sim_machine_run(m), ==, SIM_OUTCOME_SHUTDOWN);
	sim_machine_free(m);
	g_assert_nonnull(snap);
}

#define W 1280
#define H 720

static guint32 pixel(cairo_surface_t *surf, int x, int y)
{
	const guint8 *data = cairo_image_surface_get_data(surf);
	int stride = cairo_image_surface_get_stride(surf);
	x = CLAMP(x, 0, cairo_image_surface_get_width(surf) - 1);
	y = CLAMP(y, 0, cairo_image_surface_get_height(surf) - 1);
	return *(const guint32 *)(const void *)(data + (gsize)y * stride + (gsize)x * 4) & 0xffffff;
}

static gboolean near_colour(guint32 a, guint32 b, int tol)
{
	for (int sh = 0; sh < 24; sh += 8)
		if (abs((int)((a >> sh) & 0xff) - (int)((b >> sh) & 0xff)) > tol)
			return FALSE;
	return TRUE;
}

/* The picture, and the animation frame over it if `f`. */
static cairo_surface_t *draw(const HvsimRenderOptions *opt, const GuiAnimFrame *f, int w, int h)
{
	cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	cairo_t *cr = cairo_create(surf);
	hvsim_render(cr, w, h, snap, opt);
	if (f) {
		g_autoptr(GArray) l = hvsim_render_layout(w, h, snap, opt);
		hvsim_render_anim(cr, w, h, l, opt, f);
	}
	g_assert_cmpint(cairo_status(cr), ==, CAIRO_STATUS_SUCCESS);
	cairo_destroy(cr);
	cairo_surface_flush(surf);
	return surf;
}

static void write_png(cairo_surface_t *surf, const char *name)
{
	const char *dir = g_getenv("HVSIM_GUI_OUT");
	g_autofree char *path = g_build_filename(dir ? dir : ".", name, NULL);
	g_assert_cmpint(cairo_surface_write_to_png(surf, path), ==, CAIRO_STATUS_SUCCESS);
	g_test_message("wrote %s", path);
}

/* ---- legend ---- */

typedef struct Canvas { int w, h; gboolean presentation; HvsimRenderStyle style; } Canvas;
static const Canvas canvases[] = {
	{ 1280, 720, FALSE, HVSIM_RENDER_LIGHT }, { 1280, 720, TRUE, HVSIM_RENDER_DARK },
	{ 1920, 1080, TRUE, HVSIM_RENDER_LIGHT }, { 1024, 600, FALSE, HVSIM_RENDER_DARK },
};

/* The legend is in the layout, inside the canvas, below everything else,
 * and each item shows its kind's colour. */
static void test_legend(void)
{
	for (guint c = 0; c < G_N_ELEMENTS(canvases); c++) {
		const Canvas *cv = &canvases[c];
		HvsimRenderOptions opt = { .style = cv->style, .presentation = cv->presentation };
		g_autoptr(GArray) l = hvsim_render_layout(cv->w, cv->h, snap, &opt);
		const HvsimRenderRect *lg = hvsim_render_layout_find(l, "legend");
		const HvsimRenderRect *hw = hvsim_render_layout_find(l, "hardware");
		g_assert_nonnull(lg);
		g_assert_cmpfloat(lg->x, >=, 0);
		g_assert_cmpfloat(lg->y, >=, hw->y + hw->h);
		g_assert_cmpfloat(lg->x + lg->w, <=, cv->w);
		g_assert_cmpfloat(lg->y + lg->h, <=, cv->h);
		g_assert_nonnull(hvsim_render_layout_find(l, "legend.status"));
		cairo_surface_t *surf = draw(&opt, NULL, cv->w, cv->h);
		for (int k = 0; k < GUI_ANIM_N_KINDS; k++) {
			char name[HVSIM_RENDER_NAME_MAX];
			hvsim_render_legend_name((GuiAnimKind)k, name, sizeof name);
			const HvsimRenderRect *it = hvsim_render_layout_find(l, name);
			g_assert_nonnull(it);
			g_assert_cmpstr(it->label, ==, gui_anim_kind_name((GuiAnimKind)k));
			g_assert_cmpint(it->parent, ==, (int)(lg - (const HvsimRenderRect *)(const void *)l->data));
			guint32 want = hvsim_render_kind_colour(&opt, (GuiAnimKind)k);
			guint hits = 0;
			for (int y = (int)it->y; y < (int)(it->y + it->h); y++)
				for (int x = (int)it->x; x < (int)(it->x + it->w); x++)
					hits += near_colour(pixel(surf, x, y), want, 2);
			g_assert_cmpuint(hits, >, 10);
		}
		if (c == 2)
			write_png(surf, "render-legend-presentation-1920.png");
		cairo_surface_destroy(surf);
	}
}

/* The kinds' colours are told apart, from each other and the background. */
static void test_colours(void)
{
	for (int style = 0; style < 2; style++) {
		HvsimRenderOptions opt = { .style = style ? HVSIM_RENDER_DARK : HVSIM_RENDER_LIGHT };
		for (int a = 0; a < GUI_ANIM_N_KINDS; a++) {
			g_assert_false(near_colour(hvsim_render_kind_colour(&opt, a), hvsim_render_background(&opt), 40));
			for (int b = a + 1; b < GUI_ANIM_N_KINDS; b++)
				g_assert_false(near_colour(hvsim_render_kind_colour(&opt, a), hvsim_render_kind_colour(&opt, b), 20));
		}
	}
}

/* ---- tokens ---- */

/* The point at fraction t of a path's polyline, as the renderer routes it. */
static gboolean path_point(const GArray *l, const GuiAnimPath *p, const HvsimRenderOptions *opt, double t, double *x,
                           double *y)
{
	double pts[2 * HVSIM_RENDER_LINK_POINTS * GUI_ANIM_STOPS_MAX];
	guint n = 0;
	for (guint i = 0; i + 1 < p->n_stops; i++) {
		double xy[2 * HVSIM_RENDER_LINK_POINTS];
		guint k = hvsim_render_link_points(l, W, H, p->stops[i], p->stops[i + 1], p->kind, opt, xy);
		memcpy(pts + 2 * n, xy, sizeof(double) * 2 * k);
		n += k;
	}
	if (n < 2)
		return FALSE;
	double total = 0;
	for (guint i = 1; i < n; i++)
		total += hypot(pts[2 * i] - pts[2 * i - 2], pts[2 * i + 1] - pts[2 * i - 1]);
	double want = total * t, done = 0;
	for (guint i = 1; i < n; i++) {
		double seg = hypot(pts[2 * i] - pts[2 * i - 2], pts[2 * i + 1] - pts[2 * i - 1]);
		if (done + seg >= want && seg > 0) {
			double f = (want - done) / seg;
			*x = pts[2 * i - 2] + (pts[2 * i] - pts[2 * i - 2]) * f;
			*y = pts[2 * i - 1] + (pts[2 * i + 1] - pts[2 * i - 1]) * f;
			return TRUE;
		}
		done += seg;
	}
	return FALSE;
}

/* Each kind alone in slow motion, half way: the token's centre has the
 * kind's colour, the way behind it is drawn (pixels changed), the way
 * ahead is not yet; and the whole path is inside the canvas. */
static void check_tokens(const HvsimRenderOptions *opt, const char *png)
{
	g_autoptr(GArray) l = hvsim_render_layout(W, H, snap, opt);
	cairo_surface_t *still = draw(opt, NULL, W, H);
	for (int k = 0; k < GUI_ANIM_N_KINDS; k++) {
		g_assert_true(have_kind[k]);
		GuiAnimPath p;
		g_assert_true(gui_anim_path_of(&kind_event[k], snap, &p));
		g_test_message("%s: %s -> %s (%s)", gui_anim_kind_name(k), p.stops[0], p.stops[p.n_stops - 1], p.label);
		g_autoptr(GuiAnim) a = gui_anim_new();
		gui_anim_set_speed(a, GUI_ANIM_SLOW_MOTION);
		gui_anim_feed(a, &kind_event[k], 1, snap, 0);
		const GuiAnimFrame *f = gui_anim_frame(a, GUI_ANIM_SLOW_SECONDS / 2);
		g_assert_cmpuint(f->tokens->len, ==, 1);
		cairo_surface_t *moving = draw(opt, f, W, H);

		double x, y;
		g_assert_true(path_point(l, &p, opt, 0.5, &x, &y));
		g_assert_cmpfloat(x, >=, 0);
		g_assert_cmpfloat(x, <, W);
		g_assert_cmpfloat(y, >=, 0);
		g_assert_cmpfloat(y, <, H);
		guint32 want = hvsim_render_kind_colour(opt, k);
		g_assert_true(near_colour(pixel(moving, (int)lround(x), (int)lround(y)), want, 3));
		/* Behind the token the way is drawn, in the kind's hue. */
		guint changed = 0, samples = 0;
		for (double t = 0.1; t < 0.4; t += 0.02) {
			double sx, sy;
			g_assert_true(path_point(l, &p, opt, t, &sx, &sy));
			samples++;
			changed += pixel(moving, (int)lround(sx), (int)lround(sy)) != pixel(still, (int)lround(sx), (int)lround(sy));
		}
		g_assert_cmpuint(changed, >=, samples * 3 / 4);
		if (k == GUI_ANIM_VM_EXIT && png)
			write_png(moving, png);
		cairo_surface_destroy(moving);
	}
	cairo_surface_destroy(still);
}

static void test_tokens(void)
{
	HvsimRenderOptions light = { 0 }, dark = { .style = HVSIM_RENDER_DARK, .presentation = TRUE };
	check_tokens(&light, "render-anim-token.png");
	check_tokens(&dark, "render-anim-token-dark.png");
}

/* After the flight the path stays as a trail, fading: fewer changed pixels
 * as it ages, none once it is gone. */
static guint changed_pixels(cairo_surface_t *a, cairo_surface_t *b)
{
	guint n = 0;
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++)
			n += pixel(a, x, y) != pixel(b, x, y);
	return n;
}

static void test_trail(void)
{
	HvsimRenderOptions opt = { 0 };
	g_autoptr(GuiAnim) a = gui_anim_new();
	gui_anim_set_speed(a, GUI_ANIM_SLOW_MOTION);
	gui_anim_feed(a, &kind_event[GUI_ANIM_INTERCEPT], 1, snap, 0);
	cairo_surface_t *still = draw(&opt, NULL, W, H);
	/* The link's faint line and counter stay; measure against them. */
	const GuiAnimFrame *f = gui_anim_frame(a, 100);
	g_assert_cmpuint(f->trails->len, ==, 0);
	cairo_surface_t *settled = draw(&opt, f, W, H);
	g_autoptr(GuiAnim) b = gui_anim_new();
	gui_anim_set_speed(b, GUI_ANIM_SLOW_MOTION);
	gui_anim_feed(b, &kind_event[GUI_ANIM_INTERCEPT], 1, snap, 0);
	f = gui_anim_frame(b, GUI_ANIM_SLOW_SECONDS + 0.1);
	g_assert_cmpuint(f->trails->len, ==, 1);
	cairo_surface_t *fresh = draw(&opt, f, W, H);
	f = gui_anim_frame(b, GUI_ANIM_SLOW_SECONDS + GUI_ANIM_TRAIL_SECONDS * 0.8);
	cairo_surface_t *old = draw(&opt, f, W, H);
	guint c_fresh = changed_pixels(fresh, settled), c_old = changed_pixels(old, settled);
	g_test_message("trail: %u pixels differ fresh, %u old", c_fresh, c_old);
	g_assert_cmpuint(c_fresh, >, 100);
	g_assert_cmpuint(c_old, <=, c_fresh);
	g_assert_cmpuint(changed_pixels(settled, still), >, 0);   /* the link's line and counter */
	cairo_surface_destroy(still);
	cairo_surface_destroy(settled);
	cairo_surface_destroy(fresh);
	cairo_surface_destroy(old);
}

/* ---- heat ---- */

/* Full speed: events of one kind at `rate` per second for a second, fed at
 * 30 Hz; returns how many pixels across the link (a cut at a quarter of
 * its length, away from the counter) differ from the still picture. */
static guint heat_width(double rate, const char *png)
{
	HvsimRenderOptions opt = { 0 };
	g_autoptr(GuiAnim) a = gui_anim_new();
	const SimEvent *ev = &kind_event[GUI_ANIM_VM_EXIT];
	guint64 seq = 1;
	for (int i = 0; i < 30; i++) {
		guint n = (guint)lround(rate * (i + 1) / 30) - (guint)lround(rate * i / 30);
		g_autoptr(GArray) evs = g_array_new(FALSE, FALSE, sizeof(SimEvent));
		for (guint j = 0; j < n; j++) {
			SimEvent e = *ev;
			e.seq = seq++;
			g_array_append_val(evs, e);
		}
		gui_anim_feed(a, (SimEvent *)evs->data, n, snap, i / 30.0);
	}
	const GuiAnimFrame *f = gui_anim_frame(a, 29 / 30.0);
	g_assert_true(f->full_speed);
	g_assert_cmpuint(f->tokens->len, ==, 0);
	cairo_surface_t *still = draw(&opt, NULL, W, H), *hot = draw(&opt, f, W, H);
	g_autoptr(GArray) l = hvsim_render_layout(W, H, snap, &opt);
	GuiAnimPath p;
	g_assert_true(gui_anim_path_of(ev, snap, &p));
	double x0, y0, x1, y1;
	g_assert_true(path_point(l, &p, &opt, 0.25, &x0, &y0));
	g_assert_true(path_point(l, &p, &opt, 0.26, &x1, &y1));
	double len = hypot(x1 - x0, y1 - y0), nx = -(y1 - y0) / len, ny = (x1 - x0) / len;
	guint n = 0;
	for (double d = -30; d <= 30; d += 0.5)
		n += pixel(hot, (int)lround(x0 + nx * d), (int)lround(y0 + ny * d)) !=
		     pixel(still, (int)lround(x0 + nx * d), (int)lround(y0 + ny * d));
	if (png)
		write_png(hot, png);
	cairo_surface_destroy(still);
	cairo_surface_destroy(hot);
	return n;
}

static void test_heat(void)
{
	guint w10 = heat_width(10, NULL), w1k = heat_width(1000, NULL), w100k = heat_width(100000, "render-anim-heat.png");
	g_test_message("heat across the link: %u at 10/s, %u at 1000/s, %u at 100000/s", w10, w1k, w100k);
	g_assert_cmpuint(w10, >, 0);
	g_assert_cmpuint(w1k, >, w10);
	g_assert_cmpuint(w100k, >, w1k);
}

/* ---- the plan's items (the window keeps each as a render node) ---- */

/* Every item draws inside its bounds (else the window would leave stale
 * pixels around a kept node), the items drawn one by one are the frame
 * drawn at once, and a key changes with the pixels: a token that moved,
 * not a link whose rate changed by less than a step. */
static void check_items(const HvsimRenderOptions *opt, const GuiAnimFrame *f)
{
	g_autoptr(GArray) l = hvsim_render_layout(W, H, snap, opt);
	g_autoptr(HvsimRenderAnimPlan) plan = hvsim_render_anim_plan(W, H, l, opt, f);
	const GArray *items = hvsim_render_anim_plan_items(plan);
	g_assert_cmpuint(items->len, >, 0);
	cairo_surface_t *whole = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, W, H);
	cairo_surface_t *parts = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, W, H);
	cairo_t *wc = cairo_create(whole), *pc = cairo_create(parts);
	hvsim_render_anim(wc, W, H, l, opt, f);
	for (guint i = 0; i < items->len; i++) {
		const HvsimRenderItem *it = &g_array_index(items, HvsimRenderItem, i);
		cairo_surface_t *one = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, W, H);
		cairo_t *oc = cairo_create(one);
		hvsim_render_anim_plan_draw_item(oc, plan, i);
		cairo_destroy(oc);
		cairo_surface_flush(one);
		const guint8 *data = cairo_image_surface_get_data(one);
		int stride = cairo_image_surface_get_stride(one);
		guint inside = 0;
		for (int y = 0; y < H; y++)
			for (int x = 0; x < W; x++) {
				guint32 a = *(const guint32 *)(const void *)(data + (gsize)y * stride + (gsize)x * 4) >> 24;
				if (!a)
					continue;
				gboolean in = x >= it->x && x < it->x + it->w && y >= it->y && y < it->y + it->h;
				if (!in)
					g_error("item %u (%.0f,%.0f %.0fx%.0f) drew at %d,%d", i, it->x, it->y, it->w, it->h, x, y);
				inside++;
			}
		g_assert_cmpuint(inside, >, 0);
		cairo_surface_destroy(one);
		hvsim_render_anim_plan_draw_item(pc, plan, i);
	}
	cairo_destroy(wc);
	cairo_destroy(pc);
	guint differ = 0;
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++)
			differ += !near_colour(pixel(whole, x, y), pixel(parts, x, y), 2);
	g_assert_cmpuint(differ, ==, 0);
	cairo_surface_destroy(whole);
	cairo_surface_destroy(parts);
}

static gboolean same_keys(const GuiAnimFrame *a, const GuiAnimFrame *b, const HvsimRenderOptions *opt)
{
	g_autoptr(GArray) l = hvsim_render_layout(W, H, snap, opt);
	g_autoptr(HvsimRenderAnimPlan) pa = hvsim_render_anim_plan(W, H, l, opt, a);
	g_autoptr(HvsimRenderAnimPlan) pb = hvsim_render_anim_plan(W, H, l, opt, b);
	const GArray *ia = hvsim_render_anim_plan_items(pa), *ib = hvsim_render_anim_plan_items(pb);
	if (ia->len != ib->len)
		return FALSE;
	for (guint i = 0; i < ia->len; i++)
		if (g_array_index(ia, HvsimRenderItem, i).key != g_array_index(ib, HvsimRenderItem, i).key)
			return FALSE;
	return TRUE;
}

static void test_items(void)
{
	HvsimRenderOptions light = { 0 }, dark = { .style = HVSIM_RENDER_DARK, .presentation = TRUE };
	/* Slow motion: a token in flight (with its label) and the links. */
	g_autoptr(GuiAnim) a = gui_anim_new();
	gui_anim_set_speed(a, GUI_ANIM_SLOW_MOTION);
	for (int k = 0; k < GUI_ANIM_N_KINDS; k++)
		gui_anim_feed(a, &kind_event[k], 1, snap, 0);
	const GuiAnimFrame *f = gui_anim_frame(a, GUI_ANIM_SLOW_SECONDS / 2);
	g_assert_cmpuint(f->tokens->len, >, 0);
	check_items(&light, f);
	check_items(&dark, f);
	GuiAnimFrame copy = *f;
	copy.tokens = g_array_copy(f->tokens);
	copy.trails = g_array_copy(f->trails);
	copy.links = g_array_copy(f->links);
	copy.rings = g_array_copy(f->rings);
	const GuiAnimFrame *g = gui_anim_frame(a, GUI_ANIM_SLOW_SECONDS / 2 + 0.05);
	g_assert_false(same_keys(&copy, g, &light));   /* the token moved */
	g_array_unref(copy.tokens);
	g_array_unref(copy.trails);
	g_array_unref(copy.links);
	g_array_unref(copy.rings);

	/* Full speed: heat and counters; a rate 1 % lower is the same heat. */
	g_autoptr(GuiAnim) b = gui_anim_new();
	SimEvent evs[200];
	for (guint i = 0; i < G_N_ELEMENTS(evs); i++) {   /* every kind: many links, many counters */
		evs[i] = kind_event[i % GUI_ANIM_N_KINDS];
		evs[i].seq = i + 1;
	}
	gui_anim_feed(b, evs, G_N_ELEMENTS(evs), snap, 0);
	f = gui_anim_frame(b, 0.01);
	g_assert_true(f->full_speed);
	check_items(&light, f);
	GuiAnimFrame h1 = *f;
	h1.links = g_array_copy(f->links);
	GuiAnimFrame h2 = h1;
	h2.links = g_array_copy(f->links);
	for (guint i = 0; i < h2.links->len; i++) {
		GuiAnimLink *k = &g_array_index(h2.links, GuiAnimLink, i);
		k->rate = 1000;
		k->level = gui_anim_heat_level(0, k->rate);
	}
	for (guint i = 0; i < h1.links->len; i++) {
		GuiAnimLink *k = &g_array_index(h1.links, GuiAnimLink, i);
		k->rate = 1000 * 0.99;
		k->level = gui_anim_heat_level(0, k->rate);
	}
	/* The counters show the rate: their keys differ; the lines' do not. */
	g_autoptr(GArray) l = hvsim_render_layout(W, H, snap, &light);
	g_autoptr(HvsimRenderAnimPlan) p1 = hvsim_render_anim_plan(W, H, l, &light, &h1);
	g_autoptr(HvsimRenderAnimPlan) p2 = hvsim_render_anim_plan(W, H, l, &light, &h2);
	/* Without keeping the texts the counters' keys differ (the rate's
	 * number changed) ... */
	const GArray *i1 = hvsim_render_anim_plan_items(p1), *i2 = hvsim_render_anim_plan_items(p2);
	g_assert_cmpuint(i1->len, ==, i2->len);
	guint differ = 0;
	for (guint i = 0; i < i1->len; i++)
		differ += g_array_index(i1, HvsimRenderItem, i).key != g_array_index(i2, HvsimRenderItem, i).key;
	g_assert_cmpuint(differ, >, 0);
	/* ... keeping them a group at a time, each counter takes its new text
	 * in exactly one group's turn, and more than one group has some ... */
	guint turns = 0, took = 0;
	for (guint grp = 0; grp < 4; grp++) {
		g_autoptr(HvsimRenderAnimPlan) pg = hvsim_render_anim_plan(W, H, l, &light, &h2);
		hvsim_render_anim_plan_keep_texts(pg, p1, 4, grp);
		const GArray *ig = hvsim_render_anim_plan_items(pg);
		guint here = 0;
		for (guint i = 0; i < i1->len; i++) {
			guint64 k1 = g_array_index(i1, HvsimRenderItem, i).key, kg = g_array_index(ig, HvsimRenderItem, i).key;
			if (k1 == kg)
				continue;
			g_assert_cmphex(kg, ==, g_array_index(i2, HvsimRenderItem, i).key);   /* the new text */
			here++;
		}
		took += here;
		turns += here > 0;
	}
	g_test_message("%u counters' texts changed, taken in %u groups' turns", differ, turns);
	g_assert_cmpuint(took, ==, differ);
	g_assert_cmpuint(turns, >, 1);
	/* ... keeping them all, every key is the same: nothing to repaint. */
	hvsim_render_anim_plan_keep_texts(p2, p1, 1, 1);
	for (guint i = 0; i < i1->len; i++)
		g_assert_cmphex(g_array_index(i1, HvsimRenderItem, i).key, ==, g_array_index(i2, HvsimRenderItem, i).key);
	/* In another style the old texts are not kept: they would come back
	 * in the old colours (their keys find the old nodes). */
	HvsimRenderOptions dark_same = { .style = HVSIM_RENDER_DARK };
	g_autoptr(HvsimRenderAnimPlan) p3 = hvsim_render_anim_plan(W, H, l, &dark_same, &h2);
	hvsim_render_anim_plan_keep_texts(p3, p1, 1, 1);
	const GArray *i3 = hvsim_render_anim_plan_items(p3);
	g_assert_cmpuint(i3->len, ==, i1->len);
	for (guint i = 0; i < i1->len; i++)
		g_assert_cmphex(g_array_index(i3, HvsimRenderItem, i).key, !=, g_array_index(i1, HvsimRenderItem, i).key);
	g_array_unref(h1.links);
	g_array_unref(h2.links);
}

/* The cached picture is the picture: same pixels as drawing afresh, and a
 * second frame of the same snapshot does not redraw it. */
static void test_cache(void)
{
	HvsimRenderOptions opt = { .style = HVSIM_RENDER_DARK };
	g_autoptr(GuiAnim) a = gui_anim_new();
	gui_anim_set_speed(a, GUI_ANIM_SLOW_MOTION);
	gui_anim_feed(a, &kind_event[GUI_ANIM_HYPERCALL], 1, snap, 0);
	const GuiAnimFrame *f = gui_anim_frame(a, 0.3);
	cairo_surface_t *direct = draw(&opt, f, W, H);
	cairo_surface_t *cached = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
	g_autoptr(HvsimRenderCache) c = hvsim_render_cache_new();
	for (int i = 0; i < 3; i++) {
		cairo_t *cr = cairo_create(cached);
		hvsim_render_cached(c, cr, W, H, snap, &opt, f);
		cairo_destroy(cr);
	}
	cairo_surface_flush(cached);
	g_assert_cmpuint(hvsim_render_cache_misses(c), ==, 1);
	g_assert_cmpuint(changed_pixels(direct, cached), ==, 0);
	HvsimRenderOptions light = { 0 };
	cairo_t *cr = cairo_create(cached);
	hvsim_render_cached(c, cr, W, H, snap, &light, f);
	cairo_destroy(cr);
	g_assert_cmpuint(hvsim_render_cache_misses(c), ==, 2);
	cairo_surface_destroy(direct);
	cairo_surface_destroy(cached);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	run_boot();
	g_test_add_func("/gui/render/anim/legend", test_legend);
	g_test_add_func("/gui/render/anim/colours", test_colours);
	g_test_add_func("/gui/render/anim/tokens", test_tokens);
	g_test_add_func("/gui/render/anim/trail", test_trail);
	g_test_add_func("/gui/render/anim/heat", test_heat);
	g_test_add_func("/gui/render/anim/cache", test_cache);
	g_test_add_func("/gui/render/anim/items", test_items);
	int rc = g_test_run();
	sim_snapshot_free(snap);
	return rc;
}
