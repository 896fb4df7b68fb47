/* test-render.c — the architecture view drawn headlessly from snapshots of
 * the real `boot` scenario: before the late launch (no hypervisor band),
 * while the child runs, and after the run. Checks the layout (inside the
 * canvas, siblings apart, children inside their parent), that the picture
 * has ink where the partitions are, and writes PNGs for a human to look at
 * ($HVSIM_GUI_OUT, else the current directory). Host test program. */
#include <cairo.h>
#include <glib.h>
#include <string.h>

#include "render.h"
#include "sim-scenario.h"
#include "sim-snapshot.h"
#include "vmx-defs.h"
#include "../test-machine.h"

typedef struct Capture {
	SimMachine *m;
	SimSnapshot *running;  /* taken from the event stream, on the sim thread */
} Capture;

/* Snapshot at the first console line of a child: both partitions live;
 * and at the first VMBus signal: a channel open, its rings in use. */
static SimSnapshot *snap_channel;

static void on_event(const SimEvent *ev, gpointer user_data)
{
	Capture *c = user_data;
	if (!snap_channel && ev->type == SIM_EV_VMBUS && ev->u.vmbus.kind == SIM_VMBUS_SIGNAL)
		snap_channel = sim_snapshot_take(c->m);
	if (c->running || ev->type != SIM_EV_CONSOLE || ev->partition < 2)
		return;
	c->running = sim_snapshot_take(c->m);
}

static SimMachine *boot_machine(void)
{
	SimMachine *m = test_machine_with("boot");
	return m;
}

/* The three states, shared by every test (the run takes under a second). */
static SimSnapshot *snap_before, *snap_running, *snap_after;

static void take_snapshots(void)
{
	SimMachine *m = boot_machine();
	snap_before = sim_snapshot_take(m);
	Capture cap = { .m = m };
	sim_event_bus_subscribe(sim_machine_events(m), on_event, &cap);
	g_assert_cmpint(sim_machine_run(m), ==, SIM_OUTCOME_SHUTDOWN);
	snap_running = cap.running;
	snap_after = sim_snapshot_take(m);
	sim_machine_free(m);
	g_assert_nonnull(snap_running);
}

/* ---- snapshots ------------------------------------------------------------------- */

static void test_snapshot_before(void)
{
	const SimSnapshot *s = snap_before;
	g_assert_false(s->hv_launched);
	g_assert_cmpstr(s->hypervisor, ==, "hvix64");
	g_assert_cmpuint(s->n_partitions, ==, 1);
	const SimSnapPartition *p = &s->partitions[0];
	g_assert_cmpint(p->role, ==, SIM_SNAP_ROLE_ROOT);
	g_assert_false(p->hv_active);
	g_assert_cmpuint(p->n_vps, ==, 1);
	g_assert_cmpuint(p->vps[0].cpl, ==, 0);
	g_assert_cmpuint(p->vps[0].rip, !=, 0);
	gboolean uart = FALSE, disk = FALSE, timer = FALSE;
	for (guint i = 0; i < s->n_devices; i++) {
		uart |= s->devices[i].kind == SIM_SNAP_DEV_UART;
		timer |= s->devices[i].kind == SIM_SNAP_DEV_TIMER;
		if (s->devices[i].kind == SIM_SNAP_DEV_DISK) {
			g_assert_false(disk);   /* the two register blocks are one disk */
			disk = TRUE;
			g_assert_cmpuint(s->devices[i].size_bytes, ==, 1u << 20);
		}
	}
	g_assert_true(uart && disk && timer);
}

static void test_snapshot_running(void)
{
	const SimSnapshot *s = snap_running;
	g_assert_true(s->hv_launched);
	g_assert_cmpuint(s->n_partitions, >=, 2);
	const SimSnapPartition *root = sim_snapshot_partition(s, 1), *child = sim_snapshot_partition(s, 2);
	g_assert_nonnull(root);
	g_assert_nonnull(child);
	g_assert_cmpint(root->role, ==, SIM_SNAP_ROLE_ROOT);
	g_assert_cmpint(child->role, ==, SIM_SNAP_ROLE_CHILD);
	g_assert_cmpuint(child->parent_id, ==, 1);
	g_assert_false(child->stopped);
	g_assert_cmpuint(child->n_vps, ==, 1);
	g_assert_true(child->vps[0].started);
	g_assert_cmpuint(child->memory_bytes, >, 0);
	g_assert_cmpstr(child->console_last, !=, "");
	g_assert_cmpuint(s->insns, >, snap_before->insns);
	g_assert_cmpuint(s->event_seq, >, 0);
	/* The child's first line comes before its VMBus handshake. */
	g_assert_cmpuint(s->n_channels, ==, 0);
}

/* At the child's first signal: the heartbeat channel is open and its ring
 * toward the parent holds what the child just wrote. */
static void test_snapshot_channel(void)
{
	const SimSnapshot *s = snap_channel;
	g_assert_nonnull(s);
	g_assert_cmpuint(s->n_channels, >=, 1);
	const SimSnapChannel *open = NULL;
	for (guint i = 0; i < s->n_channels; i++)
		if (s->channels[i].open)
			open = &s->channels[i];
	g_assert_nonnull(open);
	g_assert_cmpuint(open->child_id, ==, 2);
	g_assert_cmpuint(open->data_size[SIM_SNAP_RING_TO_PARENT], >, 0);
	g_assert_cmpuint(open->write_index[SIM_SNAP_RING_TO_PARENT], >, open->read_index[SIM_SNAP_RING_TO_PARENT]);
	g_autoptr(GArray) layout = hvsim_render_layout(1280, 720, s, &(HvsimRenderOptions){ 0 });
	char name[64];
	g_snprintf(name, sizeof name, "vmbus.%u.%u", open->child_id, open->relid);
	g_assert_nonnull(hvsim_render_layout_find(layout, name));
}

static void test_snapshot_after(void)
{
	const SimSnapshot *s = snap_after;
	g_assert_true(s->hv_launched);
	const SimSnapPartition *root = sim_snapshot_partition(s, 1), *child = sim_snapshot_partition(s, 2);
	g_assert_nonnull(root);
	g_assert_nonnull(child);
	g_assert_true(root->stopped && root->stop_clean);
	g_assert_true(child->stopped);
	g_assert_true(child->deleted);
	g_assert_nonnull(root->stop_reason);
	g_assert_cmpuint(s->insns, >=, snap_running->insns);
}

static void check_pixels(const SimSnapshot *s, const char *png, int w, int h, const HvsimRenderOptions *opt);

/* ---- layout ---------------------------------------------------------------------- */

typedef struct Canvas { double w, h; gboolean presentation; HvsimRenderStyle style; } Canvas;

static const Canvas canvases[] = {
	{ 1280, 720, FALSE, HVSIM_RENDER_LIGHT },
	{ 1280, 720, TRUE, HVSIM_RENDER_DARK },
	{ 1920, 1080, FALSE, HVSIM_RENDER_DARK },
	{ 1920, 1080, TRUE, HVSIM_RENDER_LIGHT },
};

#define EPS 0.01

static gboolean overlap(const HvsimRenderRect *a, const HvsimRenderRect *b)
{
	return a->x < b->x + b->w - EPS && b->x < a->x + a->w - EPS && a->y < b->y + b->h - EPS &&
	       b->y < a->y + a->h - EPS;
}

static void check_layout(const SimSnapshot *s, const Canvas *c)
{
	HvsimRenderOptions opt = { .style = c->style, .presentation = c->presentation };
	g_autoptr(GArray) l = hvsim_render_layout(c->w, c->h, s, &opt);
	g_assert_cmpuint(l->len, >, 10);
	for (guint i = 0; i < l->len; i++) {
		const HvsimRenderRect *r = &g_array_index(l, HvsimRenderRect, i);
		g_test_message("%s %.0fx%.0f%s: %s", r->name, c->w, c->h, c->presentation ? " presentation" : "", r->label);
		g_assert_cmpfloat(r->w, >, 0);
		g_assert_cmpfloat(r->h, >, 0);
		g_assert_cmpfloat(r->x, >=, -EPS);
		g_assert_cmpfloat(r->y, >=, -EPS);
		g_assert_cmpfloat(r->x + r->w, <=, c->w + EPS);
		g_assert_cmpfloat(r->y + r->h, <=, c->h + EPS);
		if (r->parent >= 0) {
			const HvsimRenderRect *p = &g_array_index(l, HvsimRenderRect, r->parent);
			g_assert_cmpfloat(r->x, >=, p->x - EPS);
			g_assert_cmpfloat(r->y, >=, p->y - EPS);
			g_assert_cmpfloat(r->x + r->w, <=, p->x + p->w + EPS);
			g_assert_cmpfloat(r->y + r->h, <=, p->y + p->h + EPS);
		}
		for (guint j = i + 1; j < l->len; j++) {
			const HvsimRenderRect *o = &g_array_index(l, HvsimRenderRect, j);
			if (o->parent == r->parent && overlap(r, o))
				g_error("%s and %s overlap at %.0fx%.0f", r->name, o->name, c->w, c->h);
		}
		/* Names are unique: tests and the animation find elements by name. */
		g_assert_true(hvsim_render_layout_find(l, r->name) == r);
	}
	g_assert_nonnull(hvsim_render_layout_find(l, "hardware"));
	g_assert_nonnull(hvsim_render_layout_find(l, "hw.lp0"));
	g_assert_nonnull(hvsim_render_layout_find(l, "label.ring3"));
	g_assert_nonnull(hvsim_render_layout_find(l, "label.ring0"));
	g_assert_nonnull(hvsim_render_layout_find(l, "part.1.ring0.kernel"));
	g_assert_true((hvsim_render_layout_find(l, "hypervisor") != NULL) == s->hv_launched);
	g_assert_true((hvsim_render_layout_find(l, "label.ring-1") != NULL) == s->hv_launched);
	if (s->hv_launched) {
		const HvsimRenderRect *hv = hvsim_render_layout_find(l, "hypervisor");
		const HvsimRenderRect *hw = hvsim_render_layout_find(l, "hardware");
		const HvsimRenderRect *p1 = hvsim_render_layout_find(l, "part.1");
		g_assert_cmpfloat(hv->y + hv->h, <=, hw->y);        /* ring -1 above the hardware */
		g_assert_cmpfloat(p1->y + p1->h, <=, hv->y);        /* partitions above ring -1 */
		g_assert_nonnull(hvsim_render_layout_find(l, "part.1.ring3.worker"));
		g_assert_nonnull(hvsim_render_layout_find(l, "part.1.ring0.vid"));
		g_assert_nonnull(hvsim_render_layout_find(l, "part.2.ring0.vsc"));
		g_assert_nonnull(hvsim_render_layout_find(l, "part.2"));
	} else {
		g_assert_null(hvsim_render_layout_find(l, "part.2"));
		g_assert_nonnull(hvsim_render_layout_find(l, "part.1.ring0.hvboot"));
	}
}

static void test_layout(gconstpointer data)
{
	const SimSnapshot *s = *(SimSnapshot *const *)data;
	for (guint i = 0; i < G_N_ELEMENTS(canvases); i++)
		check_layout(s, &canvases[i]);
}

/* A channel in the snapshot becomes a line in the VMBus lane from the
 * parent's column to the child's (the real list arrives with
 * sim_vmbus_snapshot_channels(); here one is added to a real snapshot). */
static void test_layout_channel(void)
{
	SimSnapChannel *saved = snap_running->channels;
	SimSnapChannel ch[2] = {
		{ .child_id = 2, .relid = 1, .open = TRUE },
		{ .child_id = 2, .relid = 2, .open = TRUE },
	};
	snap_running->channels = ch;
	snap_running->n_channels = 2;
	for (guint i = 0; i < G_N_ELEMENTS(canvases); i++)
		check_layout(snap_running, &canvases[i]);
	g_autoptr(GArray) l = hvsim_render_layout(1280, 720, snap_running, NULL);
	const HvsimRenderRect *lane = hvsim_render_layout_find(l, "vmbus");
	const HvsimRenderRect *c1 = hvsim_render_layout_find(l, "vmbus.2.1");
	const HvsimRenderRect *p1 = hvsim_render_layout_find(l, "part.1"), *p2 = hvsim_render_layout_find(l, "part.2");
	g_assert_nonnull(lane);
	g_assert_nonnull(c1);
	g_assert_nonnull(hvsim_render_layout_find(l, "vmbus.2.2"));
	g_assert_cmpstr(c1->label, ==, "relid 1");
	/* From the parent's VSPs to the child's VSCs, under the boxes. */
	const HvsimRenderRect *vsp = hvsim_render_layout_find(l, "part.1.ring0.vsp");
	const HvsimRenderRect *vsc = hvsim_render_layout_find(l, "part.2.ring0.vsc");
	g_assert_cmpfloat(c1->x, >, vsp->x);
	g_assert_cmpfloat(c1->x, <, vsp->x + vsp->w);
	g_assert_cmpfloat(c1->x + c1->w, >, vsc->x);
	g_assert_cmpfloat(c1->x + c1->w, <, vsc->x + vsc->w);
	g_assert_cmpfloat(c1->y, >=, p1->y + p1->h);
	g_assert_cmpfloat(c1->y, >=, p2->y + p2->h);
	g_assert_nonnull(hvsim_render_layout_find(l, "vmbus.2.1.label"));
	/* The lines are drawn: the lane has the channel colour where it had none. */
	HvsimRenderOptions opt = { 0 };
	check_pixels(snap_running, "render-channels.png", 1280, 720, &opt);
	snap_running->channels = saved;
	snap_running->n_channels = 0;
}

/* ---- pixels ---------------------------------------------------------------------- */

static cairo_surface_t *render(const SimSnapshot *s, int w, int h, const HvsimRenderOptions *opt)
{
	cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	cairo_t *cr = cairo_create(surf);
	hvsim_render(cr, w, h, s, opt);
	g_assert_cmpint(cairo_status(cr), ==, CAIRO_STATUS_SUCCESS);
	cairo_destroy(cr);
	cairo_surface_flush(surf);
	return surf;
}

static guint32 pixel(cairo_surface_t *surf, int x, int y)
{
	const guint8 *data = cairo_image_surface_get_data(surf);
	int stride = cairo_image_surface_get_stride(surf);
	return *(const guint32 *)(const void *)(data + (gsize)y * stride + (gsize)x * 4) & 0xffffff;
}

static guint count_not(cairo_surface_t *surf, guint32 colour)
{
	guint n = 0;
	int w = cairo_image_surface_get_width(surf), h = cairo_image_surface_get_height(surf);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			n += pixel(surf, x, y) != colour;
	return n;
}

/* Pixels in r that differ from r's most common colour: its text and boxes. */
static double ink_fraction(cairo_surface_t *surf, const HvsimRenderRect *r)
{
	g_autoptr(GHashTable) hist = g_hash_table_new(g_direct_hash, g_direct_equal);
	guint total = 0, top = 0;
	for (int y = (int)r->y + 3; y < (int)(r->y + r->h) - 3; y++)
		for (int x = (int)r->x + 3; x < (int)(r->x + r->w) - 3; x++) {
			gpointer k = GUINT_TO_POINTER(pixel(surf, x, y) + 1);
			guint n = GPOINTER_TO_UINT(g_hash_table_lookup(hist, k)) + 1;
			g_hash_table_insert(hist, k, GUINT_TO_POINTER(n));
			top = MAX(top, n);
			total++;
		}
	g_assert_cmpuint(total, >, 0);
	return (double)(total - top) / total;
}

static void write_png(cairo_surface_t *surf, const char *name)
{
	const char *dir = g_getenv("HVSIM_GUI_OUT");
	g_autofree char *path = g_build_filename(dir ? dir : ".", name, NULL);
	g_assert_cmpint(cairo_surface_write_to_png(surf, path), ==, CAIRO_STATUS_SUCCESS);
	g_test_message("wrote %s", path);
}

static void check_pixels(const SimSnapshot *s, const char *png, int w, int h, const HvsimRenderOptions *opt)
{
	cairo_surface_t *surf = render(s, w, h, opt);
	guint ink = count_not(surf, hvsim_render_background(opt));
	g_test_message("%s: %u of %d pixels are not background", png, ink, w * h);
	g_assert_cmpuint(ink, >, (guint)(w * h / 4));   /* bands and boxes cover most of it */
	g_autoptr(GArray) l = hvsim_render_layout(w, h, s, opt);
	for (guint i = 0; i < l->len; i++) {
		const HvsimRenderRect *r = &g_array_index(l, HvsimRenderRect, i);
		if (r->kind != HVSIM_RK_PARTITION && r->kind != HVSIM_RK_HARDWARE && r->kind != HVSIM_RK_HYPERVISOR &&
		    r->kind != HVSIM_RK_COMPONENT)
			continue;
		double f = ink_fraction(surf, r);
		g_test_message("%s: ink %.3f", r->name, f);
		g_assert_cmpfloat(f, >, 0.01);
	}
	write_png(surf, png);
	cairo_surface_destroy(surf);
}

static void test_pixels_before(void)
{
	HvsimRenderOptions light = { 0 }, pres = { .style = HVSIM_RENDER_DARK, .presentation = TRUE };
	check_pixels(snap_before, "render-before-launch.png", 1280, 720, &light);
	check_pixels(snap_before, "render-before-launch-presentation-1920.png", 1920, 1080, &pres);
}

static void test_pixels_running(void)
{
	HvsimRenderOptions light = { 0 }, dark = { .style = HVSIM_RENDER_DARK };
	HvsimRenderOptions pres = { .presentation = TRUE }, pres_dark = { .style = HVSIM_RENDER_DARK, .presentation = TRUE };
	check_pixels(snap_running, "render-running.png", 1280, 720, &light);
	check_pixels(snap_running, "render-running-dark.png", 1280, 720, &dark);
	check_pixels(snap_running, "render-running-presentation-1280.png", 1280, 720, &pres);
	check_pixels(snap_running, "render-running-presentation-1920.png", 1920, 1080, &pres_dark);
}

static void test_pixels_after(void)
{
	HvsimRenderOptions light = { 0 };
	check_pixels(snap_after, "render-after.png", 1280, 720, &light);
}

/* The hypervisor band is drawn only after the launch: the pixels where it
 * sits in the launched picture are not hypervisor-coloured before it. */
static void test_pixels_band(void)
{
	HvsimRenderOptions opt = { 0 };
	g_autoptr(GArray) l = hvsim_render_layout(1280, 720, snap_running, &opt);
	const HvsimRenderRect *hv = hvsim_render_layout_find(l, "hypervisor");
	g_assert_nonnull(hv);
	cairo_surface_t *before = render(snap_before, 1280, 720, &opt);
	cairo_surface_t *after = render(snap_running, 1280, 720, &opt);
	int x = (int)(hv->x + 4), y = (int)(hv->y + hv->h - 4);
	g_assert_cmpuint(pixel(after, x, y), !=, pixel(before, x, y));
	cairo_surface_destroy(before);
	cairo_surface_destroy(after);
}

/* The last VM exit is marked on its partition only: pixels change inside
 * that partition's box (and its antialiased edge) and nowhere else. */
static void test_pixels_exit_mark(void)
{
	HvsimRenderOptions plain = { 0 };
	HvsimRenderOptions marked = { .exit_partition = snap_running->partitions[0].id, .exit_reason = VMX_EXIT_WRMSR };
	g_autoptr(GArray) l = hvsim_render_layout(1280, 720, snap_running, &plain);
	char name[HVSIM_RENDER_NAME_MAX];
	g_snprintf(name, sizeof name, "part.%u", marked.exit_partition);
	const HvsimRenderRect *part = hvsim_render_layout_find(l, name);
	g_assert_nonnull(part);
	cairo_surface_t *a = render(snap_running, 1280, 720, &plain);
	cairo_surface_t *b = render(snap_running, 1280, 720, &marked);
	guint inside = 0, outside = 0;
	for (int y = 0; y < 720; y++)
		for (int x = 0; x < 1280; x++) {
			if (pixel(a, x, y) == pixel(b, x, y))
				continue;
			gboolean in = x >= part->x - 1 && x < part->x + part->w + 1 && y >= part->y - 1 && y < part->y + part->h + 1;
			inside += in;
			outside += !in;
		}
	g_assert_cmpuint(inside, >, 200);
	g_assert_cmpuint(outside, ==, 0);
	write_png(b, "render-exit-mark.png");
	cairo_surface_destroy(a);
	cairo_surface_destroy(b);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	take_snapshots();
	g_test_add_func("/gui/snapshot/channel", test_snapshot_channel);
	g_test_add_func("/gui/snapshot/before-launch", test_snapshot_before);
	g_test_add_func("/gui/snapshot/running", test_snapshot_running);
	g_test_add_func("/gui/snapshot/after", test_snapshot_after);
	g_test_add_data_func("/gui/layout/before-launch", &snap_before, test_layout);
	g_test_add_data_func("/gui/layout/running", &snap_running, test_layout);
	g_test_add_data_func("/gui/layout/after", &snap_after, test_layout);
	g_test_add_func("/gui/layout/channel", test_layout_channel);
	g_test_add_func("/gui/render/before-launch", test_pixels_before);
	g_test_add_func("/gui/render/running", test_pixels_running);
	g_test_add_func("/gui/render/after", test_pixels_after);
	g_test_add_func("/gui/render/hypervisor-band", test_pixels_band);
	g_test_add_func("/gui/render/exit-mark", test_pixels_exit_mark);
	int rc = g_test_run();
	sim_snapshot_free(snap_before);
	sim_snapshot_free(snap_running);
	sim_snapshot_free(snap_after);
	sim_snapshot_free(snap_channel);
	return rc;
}
