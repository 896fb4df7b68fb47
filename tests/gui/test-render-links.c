/* test-render-links.c — the animation's links and counters against the
 * picture, for every built-in scenario: at three moments of a real run
 * (a child's first console line, the first VMBus packet, the end) the
 * links of every event emitted so far (at full speed, the counters with
 * their rates: the widest) are routed on canvases of the window's sizes
 * and the projector's, and
 *   - no segment of a link crosses a box or caption other than its two
 *     ends and what contains them (the VMBus lane, the channel lines and
 *     the route strips are open space; a channel's label is not);
 *   - no counter covers text (a component, a caption, a header, a label,
 *     the legend) or another counter, and each stays inside the canvas.
 * Writes one PNG per scenario for a human to look at ($HVSIM_GUI_OUT).
 * Host test program, no display. */
#include <cairo.h>
#include <glib.h>
#include <math.h>
#include <string.h>

#include "gui-anim.h"
#include "render.h"
#include "sim-scenario.h"

typedef struct Canvas { double w, h; gboolean presentation; HvsimRenderStyle style; uint32_t exit_partition; } Canvas;

/* The sizes the other picture tests use (1280x720, 1920x1080, 1024x600),
 * the picture in the default window (1600x1000 screen) and beside the
 * wider Lesson page, and the two projector sizes in presentation mode. */
static const Canvas canvases[] = {
	{ 1280, 720, FALSE, HVSIM_RENDER_LIGHT, 0 },
	{ 1280, 720, TRUE, HVSIM_RENDER_LIGHT, 1 },
	{ 1920, 1080, FALSE, HVSIM_RENDER_DARK, 2 },
	{ 1920, 1080, TRUE, HVSIM_RENDER_LIGHT, 2 },
	{ 1024, 600, FALSE, HVSIM_RENDER_DARK, 1 },
	{ 1009, 757, FALSE, HVSIM_RENDER_LIGHT, 2 },
	{ 880, 720, FALSE, HVSIM_RENDER_LIGHT, 1 },   /* beside the Lesson page */
};

typedef struct Moment {
	const char *what;
	SimSnapshot *snap;
	guint n_events;           /* the events emitted up to it */
} Moment;

typedef struct Run {
	SimMachine *m;
	GArray *events;           /* SimEvent */
	Moment moments[3];
} Run;

static void on_event(const SimEvent *ev, gpointer user_data)
{
	Run *r = user_data;
	g_array_append_val(r->events, *ev);
	Moment *child = &r->moments[0], *vmbus = &r->moments[1];
	if (!child->snap && ev->type == SIM_EV_CONSOLE && ev->partition >= 2) {
		child->snap = sim_snapshot_take(r->m);
		child->n_events = r->events->len;
	}
	if (!vmbus->snap && ev->type == SIM_EV_VMBUS && ev->u.vmbus.kind == SIM_VMBUS_RING_WRITE) {
		vmbus->snap = sim_snapshot_take(r->m);
		vmbus->n_events = r->events->len;
	}
}

/* A stop's element as the renderer finds it: the name, or its nearest
 * ancestor the layout has. */
static int resolve(const GArray *l, const char *name)
{
	char buf[HVSIM_RENDER_NAME_MAX];
	g_strlcpy(buf, name, sizeof buf);
	for (;;) {
		const HvsimRenderRect *r = hvsim_render_layout_find(l, buf);
		if (r)
			return (int)(r - &g_array_index(l, HvsimRenderRect, 0));
		char *dot = strrchr(buf, '.');
		if (!dot)
			return -1;
		*dot = '\0';
	}
}

static gboolean within(const GArray *l, int i, int anc)
{
	for (; i >= 0; i = g_array_index(l, HvsimRenderRect, i).parent)
		if (i == anc)
			return TRUE;
	return FALSE;
}

/* Whether the segment passes through the inside of r (shrunk by `inset`):
 * Liang-Barsky clipping, so a diagonal is judged as well as a straight run. */
static gboolean seg_hits(double x0, double y0, double x1, double y1, const HvsimRenderRect *r, double inset)
{
	double lo[2] = { r->x + inset, r->y + inset }, hi[2] = { r->x + r->w - inset, r->y + r->h - inset };
	if (hi[0] <= lo[0] || hi[1] <= lo[1])
		return FALSE;
	double p0[2] = { x0, y0 }, d[2] = { x1 - x0, y1 - y0 };
	double t0 = 0, t1 = 1;
	for (int k = 0; k < 2; k++) {
		if (fabs(d[k]) < 1e-12) {
			if (p0[k] <= lo[k] || p0[k] >= hi[k])
				return FALSE;
			continue;
		}
		double a = (lo[k] - p0[k]) / d[k], b = (hi[k] - p0[k]) / d[k];
		t0 = MAX(t0, MIN(a, b));
		t1 = MIN(t1, MAX(a, b));
		if (t0 >= t1)
			return FALSE;
	}
	return t1 - t0 > 1e-9;
}

static gboolean has_text(HvsimRenderKind k)
{
	return k == HVSIM_RK_TITLE || k == HVSIM_RK_RING_LABEL || k == HVSIM_RK_HW_ITEM || k == HVSIM_RK_HV_ITEM ||
	       k == HVSIM_RK_COMPONENT || k == HVSIM_RK_PART_HEADER || k == HVSIM_RK_CONSOLE || k == HVSIM_RK_CAPTION ||
	       k == HVSIM_RK_LEGEND_ITEM;
}

static gboolean open_space(HvsimRenderKind k)
{
	return k == HVSIM_RK_LEGEND || k == HVSIM_RK_VMBUS_LANE || k == HVSIM_RK_VMBUS_CHANNEL || k == HVSIM_RK_ROUTE;
}

static gboolean meet(double ax, double ay, double aw, double ah, double bx, double by, double bw, double bh)
{
	return ax < bx + bw - 0.01 && bx < ax + aw - 0.01 && ay < by + bh - 0.01 && by < ay + ah - 0.01;
}

/* Returns how many links were checked. */
static guint check_moment(const char *scenario, const Moment *mo, const GArray *events, const Canvas *c,
                          gboolean png)
{
	HvsimRenderOptions opt = { .style = c->style, .presentation = c->presentation,
	                           .exit_partition = c->exit_partition, .exit_reason = 30 /* I/O instruction */ };
	g_autoptr(GArray) l = hvsim_render_layout(c->w, c->h, mo->snap, &opt);
	g_autoptr(GuiAnim) a = gui_anim_new();
	gui_anim_set_speed(a, GUI_ANIM_FULL_SPEED);
	gui_anim_feed(a, (const SimEvent *)(const void *)events->data, mo->n_events, mo->snap, 0);
	const GuiAnimFrame *f = gui_anim_frame(a, 0.05);
	g_autofree char *where = g_strdup_printf("%s at %s, %.0fx%.0f%s", scenario, mo->what, c->w, c->h,
	                                         c->presentation ? " presentation" : "");
	/* Every component's title is whole (shrunk at most, never cut). */
	g_autoptr(GString) cut = g_string_new(NULL);
	if (hvsim_render_cut_titles(l, c->w, c->h, &opt, cut))
		g_error("%s: component titles cut with \"...\": %s", where, cut->str);
	guint routed = 0;
	for (guint i = 0; i < f->links->len; i++) {
		const GuiAnimLink *k = &g_array_index(f->links, GuiAnimLink, i);
		int ia = resolve(l, k->from), ib = resolve(l, k->to);
		g_assert_cmpint(ia, >=, 0);
		g_assert_cmpint(ib, >=, 0);
		double xy[2 * HVSIM_RENDER_LINK_POINTS];
		guint n = hvsim_render_link_points(l, c->w, c->h, k->from, k->to, k->kind, &opt, xy);
		if (ia == ib) {   /* both ends the same element here (before the launch, say): not drawn */
			g_assert_cmpuint(n, ==, 0);
			continue;
		}
		g_assert_cmpuint(n, >=, 2);
		routed++;
		for (guint s = 0; s + 1 < n; s++) {
			for (guint e = 0; e < l->len; e++) {
				const HvsimRenderRect *r = &g_array_index(l, HvsimRenderRect, e);
				if (open_space(r->kind) || within(l, ia, (int)e) || within(l, ib, (int)e) || within(l, (int)e, ia) ||
				    within(l, (int)e, ib))
					continue;
				if (seg_hits(xy[2 * s], xy[2 * s + 1], xy[2 * s + 2], xy[2 * s + 3], r, 0.5))
					g_error("%s: the link %s -> %s (%s) crosses %s (\"%s\") between (%.0f,%.0f) and (%.0f,%.0f)",
					        where, k->from, k->to, gui_anim_kind_name(k->kind), r->name, r->label, xy[2 * s],
					        xy[2 * s + 1], xy[2 * s + 2], xy[2 * s + 3]);
			}
		}
	}
	g_autoptr(GArray) counters = hvsim_render_anim_counters(l, c->w, c->h, &opt, f);
	g_assert_cmpuint(counters->len, ==, routed);
	for (guint i = 0; i < counters->len; i++) {
		const HvsimRenderCounter *p = &g_array_index(counters, HvsimRenderCounter, i);
		const GuiAnimLink *k = &g_array_index(f->links, GuiAnimLink, p->link);
		g_assert_cmpfloat(p->w, >, 0);
		g_assert_cmpfloat(p->x, >=, 0);
		g_assert_cmpfloat(p->y, >=, 0);
		g_assert_cmpfloat(p->x + p->w, <=, c->w);
		g_assert_cmpfloat(p->y + p->h, <=, c->h);
		for (guint e = 0; e < l->len; e++) {
			const HvsimRenderRect *r = &g_array_index(l, HvsimRenderRect, e);
			if (has_text(r->kind) && meet(p->x, p->y, p->w, p->h, r->x, r->y, r->w, r->h))
				g_error("%s: the counter \"%s\" of %s -> %s covers %s (\"%s\")", where, p->text, k->from, k->to,
				        r->name, r->label);
		}
		for (guint j = i + 1; j < counters->len; j++) {
			const HvsimRenderCounter *o = &g_array_index(counters, HvsimRenderCounter, j);
			if (meet(p->x, p->y, p->w, p->h, o->x, o->y, o->w, o->h))
				g_error("%s: the counters \"%s\" (%s -> %s) and \"%s\" overlap", where, p->text, k->from, k->to,
				        o->text);
		}
	}
	if (png) {
		cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)c->w, (int)c->h);
		cairo_t *cr = cairo_create(surf);
		hvsim_render(cr, c->w, c->h, mo->snap, &opt);
		hvsim_render_anim(cr, c->w, c->h, l, &opt, f);
		cairo_destroy(cr);
		const char *dir = g_getenv("HVSIM_GUI_OUT");
		g_autofree char *name = g_strdup_printf("render-links-%s-%s.png", scenario, mo->what);
		g_autofree char *path = g_build_filename(dir ? dir : ".", name, NULL);
		g_assert_cmpint(cairo_surface_write_to_png(surf, path), ==, CAIRO_STATUS_SUCCESS);
		cairo_surface_destroy(surf);
	}
	return routed;
}

static void test_scenario(gconstpointer data)
{
	const char *name = data;
	g_autoptr(GError) error = NULL;
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL };
	Run r = { .events = g_array_new(FALSE, FALSE, sizeof(SimEvent)) };
	r.m = sim_machine_new(&cfg, &error);
	g_assert_no_error(error);
	g_assert_nonnull(sim_load_scenario_or_image(r.m, name, &error));
	g_assert_no_error(error);
	sim_event_bus_subscribe(sim_machine_events(r.m), on_event, &r);
	sim_machine_run(r.m);
	r.moments[0].what = "child";
	r.moments[1].what = "vmbus";
	r.moments[2] = (Moment){ .what = "end", .snap = sim_snapshot_take(r.m), .n_events = r.events->len };
	sim_machine_free(r.m);
	guint links = 0;
	for (guint i = 0; i < G_N_ELEMENTS(r.moments); i++) {
		if (!r.moments[i].snap)
			continue;
		for (guint c = 0; c < G_N_ELEMENTS(canvases); c++)
			links += check_moment(name, &r.moments[i], r.events, &canvases[c], c == 1);
		sim_snapshot_free(r.moments[i].snap);
	}
	g_test_message("%s: %u links checked", name, links);
	g_assert_cmpuint(links, >, 0);
	g_array_unref(r.events);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (const SimScenario *s = sim_scenarios(); s->name; s++) {
		g_autofree char *path = g_strdup_printf("/gui/render/links/%s", s->name);
		g_test_add_data_func(path, s->name, test_scenario);
	}
	return g_test_run();
}
