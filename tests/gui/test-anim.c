/* test-anim.c — the animation of event paths as pure data: which way each
 * event of a real `boot` run takes through the picture, and the clockwork
 * (slow motion one token at a time, trails fading, counters counting, heat
 * growing with the event rate, the queue holding the machine back), driven
 * by the test's own clock. Host test program, no display. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "gui-anim.h"
#include "hv-names.h"
#include "hv-tlfs.h"
#include "sim-scenario.h"
#include "vmx.h"
#include "../test-machine.h"

/* Every event of one boot run, and the snapshot at its end. */
static GArray *events;
static SimSnapshot *snap;

static void collect(const SimEvent *ev, gpointer user_data)
{
	(void)user_data;
	g_array_append_vals(events, ev, 1);
}

static void run_boot(void)
{
	SimMachine *m = test_machine_with("boot");
	events = g_array_new(FALSE, FALSE, sizeof(SimEvent));
	sim_event_bus_subscribe(sim_machine_events(m), collect, NULL);
	g_assert_cmpint(sim_machine_run(m), ==, SIM_OUTCOME_SHUTDOWN);
	snap = sim_snapshot_take(m);
	sim_machine_free(m);
}

/* The first event that satisfies `pred`, or NULL. */
typedef gboolean (*Pred)(const SimEvent *ev);

static const SimEvent *first(Pred pred)
{
	for (guint i = 0; i < events->len; i++)
		if (pred(&g_array_index(events, SimEvent, i)))
			return &g_array_index(events, SimEvent, i);
	return NULL;
}

static gboolean child_syscall(const SimEvent *ev)
{
	return ev->type == SIM_EV_RING && ev->partition == 2 && ev->u.ring.from == 3 && ev->u.ring.to == 0;
}
static gboolean child_sysret(const SimEvent *ev)
{
	return ev->type == SIM_EV_RING && ev->partition == 2 && ev->u.ring.from == 0 && ev->u.ring.to == 3;
}
static gboolean child_exit(const SimEvent *ev) { return ev->type == SIM_EV_VM_EXIT && ev->partition == 2; }
static gboolean root_mgmt_call(const SimEvent *ev)
{
	return ev->type == SIM_EV_HYPERCALL && ev->partition == 1 && ev->u.hypercall.code == HVCALL_CREATE_PARTITION;
}
static gboolean post_message(const SimEvent *ev)
{
	return ev->type == SIM_EV_HYPERCALL && ev->u.hypercall.code == HVCALL_POST_MESSAGE;
}
static gboolean intercept(const SimEvent *ev) { return ev->type == SIM_EV_INTERCEPT; }
static gboolean interrupt(const SimEvent *ev) { return ev->type == SIM_EV_INTERRUPT; }
static gboolean vmbus_message(const SimEvent *ev)
{
	return ev->type == SIM_EV_VMBUS && ev->u.vmbus.kind == SIM_VMBUS_MESSAGE && ev->partition == 2;
}
static gboolean ring_write(const SimEvent *ev)
{
	return ev->type == SIM_EV_VMBUS && ev->u.vmbus.kind == SIM_VMBUS_RING_WRITE && ev->partition == 2;
}
static gboolean ring_read(const SimEvent *ev)
{
	return ev->type == SIM_EV_VMBUS && ev->u.vmbus.kind == SIM_VMBUS_RING_READ && ev->partition == 1;
}
static gboolean uart_io(const SimEvent *ev)
{
	return ev->type == SIM_EV_PORT_IO && !ev->u.io.intercepted && ev->u.io.port >= 0x3f8 && ev->u.io.port <= 0x3ff;
}
static gboolean intercepted_io(const SimEvent *ev) { return ev->type == SIM_EV_PORT_IO && ev->u.io.intercepted; }
static gboolean cpuid(const SimEvent *ev) { return ev->type == SIM_EV_CPUID; }
static gboolean vmbus_signal(const SimEvent *ev)
{
	return ev->type == SIM_EV_VMBUS && ev->u.vmbus.kind == SIM_VMBUS_SIGNAL;
}
static gboolean intercept_message(const SimEvent *ev)
{
	return ev->type == SIM_EV_SYNIC_MESSAGE && (ev->u.synic.message_type & 0x80000000u) &&
	       ev->u.synic.message_type != HVMSG_TIMER_EXPIRED;
}

typedef struct PathCase {
	const char *what;
	Pred pred;
	GuiAnimKind kind;
	const char *stops[GUI_ANIM_STOPS_MAX];  /* "%p" is the event's partition */
} PathCase;

static const PathCase path_cases[] = {
	{ "child syscall", child_syscall, GUI_ANIM_RING, { "part.2.ring3.apps", "part.2.ring0.kernel" } },
	{ "child return to ring 3", child_sysret, GUI_ANIM_RING, { "part.2.ring0.kernel", "part.2.ring3.apps" } },
	{ "child VM exit", child_exit, GUI_ANIM_VM_EXIT, { "part.2.ring0.kernel", "hv.image" } },
	{ "parent creates a partition", root_mgmt_call, GUI_ANIM_HYPERCALL, { "part.1.ring0.vid", "hv.hypercalls" } },
	{ "intercept", intercept, GUI_ANIM_INTERCEPT, { "hv.synic", "part.1.ring0.vid", "part.1.ring3.worker" } },
	{ "child's VMBus message", vmbus_message, GUI_ANIM_SYNIC, { "part.2.ring0.vmbus", "hv.synic", "part.1.ring0.vmbus" } },
	{ "child writes its ring", ring_write, GUI_ANIM_VMBUS, { "part.2.ring0.vsc", "vmbus.2.%r" } },
	{ "parent reads it", ring_read, GUI_ANIM_VMBUS, { "vmbus.2.%r", "part.1.ring0.vsp" } },
	{ "parent's UART", uart_io, GUI_ANIM_DEVICE_IO, { "part.1.ring0.kernel", "hw.uart" } },
};

static void test_paths(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(path_cases); i++) {
		const PathCase *c = &path_cases[i];
		const SimEvent *ev = first(c->pred);
		g_test_message("%s", c->what);
		g_assert_nonnull(ev);
		GuiAnimPath p;
		g_assert_true(gui_anim_path_of(ev, snap, &p));
		g_assert_cmpint(p.kind, ==, c->kind);
		guint n = 0;
		while (n < GUI_ANIM_STOPS_MAX && c->stops[n])
			n++;
		g_assert_cmpuint(p.n_stops, ==, n);
		for (guint s = 0; s < n; s++) {
			g_autofree char *want = NULL;
			if (strstr(c->stops[s], "%r")) {
				want = g_strdup_printf("vmbus.2.%u", ev->u.vmbus.relid);
			} else {
				want = g_strdup(c->stops[s]);
			}
			g_assert_cmpstr(p.stops[s], ==, want);
		}
		g_assert_cmpstr(p.label, !=, "");
	}
}

/* Labels say what happened: the exit reason, the call's TLFS name. */
static void test_labels(void)
{
	GuiAnimPath p;
	const SimEvent *ev = first(child_exit);
	g_assert_true(gui_anim_path_of(ev, snap, &p));
	g_assert_nonnull(strstr(p.label, vmx_exit_reason_name(ev->u.exit.reason & VMX_EXIT_REASON_BASIC_MASK)));
	ev = first(post_message);
	g_assert_nonnull(ev);
	g_assert_true(gui_anim_path_of(ev, snap, &p));
	g_assert_cmpstr(p.label, ==, "HvCallPostMessage");
	g_assert_cmpstr(p.stops[0] + strlen(p.stops[0]) - strlen("vmbus"), ==, "vmbus");
}

/* What does not travel, or would be a second token for one event. */
static void test_not_animated(void)
{
	Pred none[] = { cpuid, vmbus_signal, intercept_message, intercepted_io };
	for (guint i = 0; i < G_N_ELEMENTS(none); i++) {
		const SimEvent *ev = first(none[i]);
		if (!ev)
			continue;   /* intercepted port I/O of the parent is rare */
		GuiAnimPath p;
		g_assert_false(gui_anim_path_of(ev, snap, &p));
	}
	g_assert_nonnull(first(interrupt));
}

/* Every element named in a path of the run exists in the picture's
 * vocabulary: a name or a prefix the layout has (checked against the
 * renderer in test-render); here: every animated event maps, none to an
 * empty stop. */
static void test_all_events(void)
{
	guint animated = 0;
	guint kinds[GUI_ANIM_N_KINDS] = { 0 };
	for (guint i = 0; i < events->len; i++) {
		GuiAnimPath p;
		if (!gui_anim_path_of(&g_array_index(events, SimEvent, i), snap, &p))
			continue;
		animated++;
		kinds[p.kind]++;
		g_assert_cmpuint(p.n_stops, >=, 2);
		for (guint s = 0; s < p.n_stops; s++)
			g_assert_cmpuint(strlen(p.stops[s]), >, 0);
	}
	for (guint k = 0; k < GUI_ANIM_N_KINDS; k++) {
		g_test_message("%s: %u", gui_anim_kind_name(k), kinds[k]);
		g_assert_cmpuint(kinds[k], >, 0);   /* the boot run has every kind */
	}
	g_assert_cmpuint(animated, >, events->len / 2);
}

/* ---- clockwork ---- */

/* n copies of an event, numbered from seq. */
static GArray *copies(const SimEvent *ev, guint n, guint64 seq)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(SimEvent));
	for (guint i = 0; i < n; i++) {
		SimEvent e = *ev;
		e.seq = seq + i;
		g_array_append_val(a, e);
	}
	return a;
}

static const GuiAnimLink *link_named(const GuiAnimFrame *f, const char *from, const char *to)
{
	for (guint i = 0; i < f->links->len; i++) {
		const GuiAnimLink *l = &g_array_index(f->links, GuiAnimLink, i);
		if (strcmp(l->from, from) == 0 && strcmp(l->to, to) == 0)
			return l;
	}
	return NULL;
}

static void test_slow_motion(void)
{
	g_autoptr(GuiAnim) a = gui_anim_new();
	gui_anim_set_speed(a, GUI_ANIM_SLOW_MOTION);
	g_autoptr(GArray) evs = copies(first(child_exit), 3, 100);
	gui_anim_feed(a, (SimEvent *)evs->data, evs->len, snap, 10.0);

	/* Half a second in: the first token half way, the others waiting. */
	const GuiAnimFrame *f = gui_anim_frame(a, 10.5);
	g_assert_false(f->full_speed);
	g_assert_cmpuint(f->tokens->len, ==, 1);
	const GuiAnimToken *t = &g_array_index(f->tokens, GuiAnimToken, 0);
	g_assert_cmpuint(t->seq, ==, 100);
	g_assert_cmpfloat(fabs(t->progress - 0.5), <, 1e-9);
	g_assert_cmpuint(f->queued, ==, 2);
	g_assert_cmpuint(f->trails->len, ==, 0);
	/* Counted when it left. */
	g_assert_cmpuint(link_named(f, "part.2.ring0.kernel", "hv.image")->count, ==, 1);

	/* One at a time: after a second the first arrived (a trail), the second flies. */
	f = gui_anim_frame(a, 11.25);
	g_assert_cmpuint(f->tokens->len, ==, 1);
	g_assert_cmpuint(g_array_index(f->tokens, GuiAnimToken, 0).seq, ==, 101);
	g_assert_cmpuint(f->trails->len, ==, 1);
	double alpha = g_array_index(f->trails, GuiAnimToken, 0).alpha;
	g_assert_cmpfloat(alpha, <, 1.0);
	g_assert_cmpfloat(alpha, >, 0.0);
	g_assert_cmpuint(link_named(f, "part.2.ring0.kernel", "hv.image")->count, ==, 2);

	/* The trail fades: older is fainter, and it goes. */
	f = gui_anim_frame(a, 11.75);
	g_assert_cmpfloat(g_array_index(f->trails, GuiAnimToken, 0).alpha, <, alpha);
	f = gui_anim_frame(a, 20.0);
	g_assert_cmpuint(f->tokens->len, ==, 0);
	g_assert_cmpuint(f->trails->len, ==, 0);
	g_assert_cmpuint(f->queued, ==, 0);
	g_assert_cmpuint(link_named(f, "part.2.ring0.kernel", "hv.image")->count, ==, 3);
	g_assert_cmpuint(f->animated, ==, 3);
	g_assert_false(gui_anim_busy(a));
}

/* The queue holds the machine back: hold once several seconds of
 * animation wait, release once under one. */
static void test_hold(void)
{
	g_autoptr(GuiAnim) a = gui_anim_new();
	gui_anim_set_speed(a, 2.0);
	g_assert_false(gui_anim_hold(a));
	g_autoptr(GArray) evs = copies(first(child_syscall), 10, 1);
	gui_anim_feed(a, (SimEvent *)evs->data, evs->len, snap, 0.0);
	gui_anim_frame(a, 0.0);
	g_assert_cmpfloat(gui_anim_backlog(a), >, GUI_ANIM_BACKLOG_HIGH);
	g_assert_true(gui_anim_hold(a));
	double t = 0;
	while (gui_anim_backlog(a) >= GUI_ANIM_BACKLOG_LOW) {
		g_assert_true(gui_anim_hold(a));   /* hysteresis: still held between the marks */
		t += 0.1;
		gui_anim_frame(a, t);
		g_assert_cmpfloat(t, <, 10);
	}
	g_assert_false(gui_anim_hold(a));
	/* Paced at the speed: 2 tokens a second, so about 2*t started. */
	const GuiAnimFrame *f = gui_anim_frame(a, t);
	g_assert_cmpuint(f->animated, <=, (guint64)(2 * t) + 1);
	g_assert_cmpuint(f->animated + f->queued, ==, 10);
	/* At full speed nothing waits. */
	gui_anim_set_speed(a, GUI_ANIM_FULL_SPEED);
	g_assert_cmpfloat(gui_anim_backlog(a), ==, 0);
	f = gui_anim_frame(a, t);
	g_assert_cmpuint(f->animated, ==, 10);
}

/* A step that emitted thousands of events: the newest few seconds animate
 * (they led to where the machine stopped), the older ones are counted at once. */
static void test_fast_forward(void)
{
	g_autoptr(GuiAnim) a = gui_anim_new();
	gui_anim_set_speed(a, GUI_ANIM_SLOW_MOTION);
	g_autoptr(GArray) evs = copies(first(child_exit), 100, 1);
	gui_anim_feed(a, (SimEvent *)evs->data, evs->len, snap, 0);
	const GuiAnimFrame *f = gui_anim_frame(a, 0);
	guint keep = (guint)(GUI_ANIM_SLOW_MOTION * GUI_ANIM_BACKLOG_MAX);
	g_assert_cmpuint(f->queued + f->tokens->len, ==, keep);
	g_assert_cmpuint(f->fast_forwarded, ==, 100 - keep);
	g_assert_cmpuint(g_array_index(f->tokens, GuiAnimToken, 0).seq, ==, 100 - keep + 1);
	g_assert_cmpuint(link_named(f, "part.2.ring0.kernel", "hv.image")->count, ==, 100 - keep + 1);
}

/* Counters count every event on each link of its path, at full speed at once. */
static void test_counters(void)
{
	g_autoptr(GuiAnim) a = gui_anim_new();
	g_autoptr(GArray) evs = copies(first(intercept), 250, 1);
	gui_anim_feed(a, (SimEvent *)evs->data, 100, snap, 1.0);
	gui_anim_feed(a, (SimEvent *)evs->data, 250, snap, 1.1);   /* overlaps: the first 100 are not counted twice */
	const GuiAnimFrame *f = gui_anim_frame(a, 1.1);
	g_assert_true(f->full_speed);
	g_assert_cmpuint(f->tokens->len, ==, 0);
	g_assert_cmpuint(link_named(f, "hv.synic", "part.1.ring0.vid")->count, ==, 250);
	g_assert_cmpuint(link_named(f, "part.1.ring0.vid", "part.1.ring3.worker")->count, ==, 250);
	g_assert_null(link_named(f, "part.1.ring0.vid", "hv.synic"));
	g_assert_cmpuint(f->skipped, ==, 0);

	/* A gap in the sequence: events the GUI never saw, counted as such. */
	g_autoptr(GArray) later = copies(first(intercept), 5, 300);
	gui_anim_feed(a, (SimEvent *)later->data, later->len, snap, 1.2);
	f = gui_anim_frame(a, 1.2);
	g_assert_cmpuint(f->skipped, ==, 300 - 251);
	g_assert_cmpuint(link_named(f, "hv.synic", "part.1.ring0.vid")->count, ==, 255);

	/* A reset machine starts from 1 again: everything is forgotten. */
	g_autoptr(GArray) fresh = copies(first(child_exit), 3, 1);
	gui_anim_feed(a, (SimEvent *)fresh->data, fresh->len, snap, 1.3);
	f = gui_anim_frame(a, 1.3);
	g_assert_null(link_named(f, "hv.synic", "part.1.ring0.vid"));
	g_assert_cmpuint(link_named(f, "part.2.ring0.kernel", "hv.image")->count, ==, 3);
	g_assert_cmpuint(f->skipped, ==, 0);
}

/* Heat: the link's smoothed rate follows the event rate. */
static double heat_at(double events_per_second)
{
	g_autoptr(GuiAnim) a = gui_anim_new();
	const SimEvent *ev = first(uart_io);
	guint64 seq = 1;
	/* Two seconds, fed in 30 Hz batches as the window does. */
	for (int frame = 0; frame < 60; frame++) {
		double t = frame / 30.0;
		guint n = (guint)lround(events_per_second * (frame + 1) / 30.0) - (guint)lround(events_per_second * frame / 30.0);
		g_autoptr(GArray) evs = copies(ev, n, seq);
		seq += n;
		gui_anim_feed(a, (SimEvent *)evs->data, n, snap, t);
	}
	const GuiAnimFrame *f = gui_anim_frame(a, 59 / 30.0);
	const GuiAnimLink *l = link_named(f, "part.1.ring0.kernel", "hw.uart");
	g_assert_nonnull(l);
	g_assert_cmpuint(l->count, ==, seq - 1);
	return l->rate;
}

static void test_heat(void)
{
	double slow = heat_at(100), fast = heat_at(10000);
	g_test_message("heat at 100/s: %.1f, at 10000/s: %.1f", slow, fast);
	g_assert_cmpfloat(slow, >, 50);
	g_assert_cmpfloat(slow, <, 200);
	g_assert_cmpfloat(fast, >, 50 * slow);
	g_assert_cmpfloat(fast, <, 200 * slow);
	/* And it cools when the events stop. */
	g_autoptr(GuiAnim) a = gui_anim_new();
	g_autoptr(GArray) evs = copies(first(uart_io), 100, 1);
	gui_anim_feed(a, (SimEvent *)evs->data, evs->len, snap, 0);
	double hot = link_named(gui_anim_frame(a, 0), "part.1.ring0.kernel", "hw.uart")->rate;
	double cold = link_named(gui_anim_frame(a, 3), "part.1.ring0.kernel", "hw.uart")->rate;
	g_assert_cmpfloat(cold, <, hot / 100);
}

/* The heat drawn keeps its step while the rate wavers at the step's edge
 * (each change would be a repaint of the link), and follows a real change. */
static void test_heat_hold(void)
{
	/* The rule itself, around step 24 (3 decades: 999/s). */
	g_assert_cmpfloat(gui_anim_heat_level(0, 999), ==, 3.0);
	double edge = pow(10, 24.5 / GUI_ANIM_HEAT_STEPS) - 1;   /* halfway to step 25 */
	double inside = pow(10, (24.5 + GUI_ANIM_HEAT_HOLD * 0.8) / GUI_ANIM_HEAT_STEPS) - 1;
	double past = pow(10, (24.5 + GUI_ANIM_HEAT_HOLD * 1.2) / GUI_ANIM_HEAT_STEPS) - 1;
	g_assert_cmpfloat(gui_anim_heat_level(3.0, edge), ==, 3.0);
	g_assert_cmpfloat(gui_anim_heat_level(3.0, inside), ==, 3.0);
	g_assert_cmpfloat(gui_anim_heat_level(3.0, past), ==, 25 / GUI_ANIM_HEAT_STEPS);
	g_assert_cmpfloat(gui_anim_heat_level(25 / GUI_ANIM_HEAT_STEPS, edge), ==, 25 / GUI_ANIM_HEAT_STEPS);
	g_assert_cmpfloat(gui_anim_heat_level(3.0, 0), ==, 0);
	g_assert_cmpfloat(gui_anim_heat_level(3.0, 9999), ==, 4.0);

	/* A stream at the edge, fed in uneven 30 Hz batches, looked at 60
	 * times a second: plain rounding would flip the line between two
	 * steps; the level drawn does not move. */
	g_autoptr(GuiAnim) a = gui_anim_new();
	const SimEvent *ev = first(uart_io);
	guint64 seq = 1;
	guint flips_rounded = 0, flips_level = 0;
	double prev_rounded = -1, prev_level = -1, lo = G_MAXDOUBLE, hi = 0;
	for (int frame = 0; frame < 240; frame++) {
		double t = frame / 60.0;
		if (frame % 2 == 0) {
			double share = (frame / 2) % 2 ? 0.85 : 1.15;   /* uneven batches */
			guint n = (guint)lround(edge / 30.0 * share);
			g_autoptr(GArray) evs = copies(ev, n, seq);
			seq += n;
			gui_anim_feed(a, (SimEvent *)evs->data, n, snap, t);
		}
		const GuiAnimLink *l = link_named(gui_anim_frame(a, t), "part.1.ring0.kernel", "hw.uart");
		g_assert_nonnull(l);
		if (frame < 120)
			continue;   /* warming up: two seconds */
		double rounded = round(log10(1.0 + l->rate) * GUI_ANIM_HEAT_STEPS);
		flips_rounded += prev_rounded >= 0 && rounded != prev_rounded;
		flips_level += prev_level >= 0 && l->level != prev_level;
		prev_rounded = rounded;
		prev_level = l->level;
		lo = MIN(lo, l->rate);
		hi = MAX(hi, l->rate);
	}
	g_test_message("rate %.0f..%.0f/s at the edge (%.0f/s): rounded flips %u times in 2 s, the level %u", lo, hi,
	               edge, flips_rounded, flips_level);
	g_assert_cmpuint(flips_rounded, >, 0);   /* the stream does waver across the edge */
	g_assert_cmpuint(flips_level, ==, 0);

	/* Ten times the rate: the level follows within half a second. */
	double t0 = 4.0;
	for (int frame = 0; frame < 30; frame++) {
		double t = t0 + frame / 60.0;
		guint n = (guint)lround(edge * 10 / 60.0);
		g_autoptr(GArray) evs = copies(ev, n, seq);
		seq += n;
		gui_anim_feed(a, (SimEvent *)evs->data, n, snap, t);
	}
	const GuiAnimLink *l = link_named(gui_anim_frame(a, t0 + 0.5), "part.1.ring0.kernel", "hw.uart");
	g_assert_cmpfloat(l->level, >, prev_level + 3 / GUI_ANIM_HEAT_STEPS);
	/* The events stop: still warm (and drawn) at 1.5 s, when the view
	 * used to stop redrawing; cold, and nothing left to draw, later. */
	g_assert_true(gui_anim_warm(a));
	gui_anim_frame(a, t0 + 0.5 + 1.5);
	g_assert_true(gui_anim_warm(a));
	g_assert_cmpfloat(link_named(gui_anim_frame(a, t0 + 0.5 + 1.5), "part.1.ring0.kernel", "hw.uart")->level, >, 0);
	gui_anim_frame(a, t0 + 30);
	g_assert_false(gui_anim_warm(a));
}

/* A VMBus ring fills when written and drains when read. */
static void test_ring_fill(void)
{
	g_autoptr(GuiAnim) a = gui_anim_new();
	const SimEvent *w = first(ring_write), *r = first(ring_read);
	SimEvent pair[2] = { *w, *r };
	pair[0].seq = 1;
	pair[1].seq = 2;
	gui_anim_feed(a, pair, 1, snap, 0);
	const GuiAnimFrame *f = gui_anim_frame(a, 0);
	g_assert_cmpuint(f->rings->len, ==, 1);
	const GuiAnimRing *g = &g_array_index(f->rings, GuiAnimRing, 0);
	g_assert_cmpuint(g->child, ==, 2);
	g_assert_cmpuint(g->ring, ==, SIM_SNAP_RING_TO_PARENT);
	g_assert_cmpuint(g->bytes, >, 0);
	gui_anim_feed(a, pair + 1, 1, snap, 0.1);
	f = gui_anim_frame(a, 0.1);
	g_assert_cmpuint(f->rings->len, ==, 1);
	g_assert_cmpuint(g_array_index(f->rings, GuiAnimRing, 0).bytes, ==, 0);
}

static void test_slider(void)
{
	g_assert_cmpfloat(gui_anim_speed_from_slider(0), ==, GUI_ANIM_SLOW_MOTION);
	g_assert_cmpfloat(gui_anim_speed_from_slider(-3), ==, GUI_ANIM_SLOW_MOTION);
	g_assert_cmpfloat(gui_anim_speed_from_slider(NAN), ==, GUI_ANIM_SLOW_MOTION);
	g_assert_cmpfloat(gui_anim_speed_from_slider(1), ==, GUI_ANIM_FULL_SPEED);
	double prev = 0;
	for (double p = 0; p < 1; p += 0.05) {
		double s = gui_anim_speed_from_slider(p);
		g_assert_cmpfloat(fabs(gui_anim_slider_from_speed(s) - p), <, 1e-9);
		g_assert_cmpfloat(s, >, prev);
		g_assert_cmpfloat(s, <, GUI_ANIM_FULL_SPEED);
		prev = s;
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	run_boot();
	g_test_add_func("/gui/anim/paths", test_paths);
	g_test_add_func("/gui/anim/labels", test_labels);
	g_test_add_func("/gui/anim/not-animated", test_not_animated);
	g_test_add_func("/gui/anim/all-events", test_all_events);
	g_test_add_func("/gui/anim/slow-motion", test_slow_motion);
	g_test_add_func("/gui/anim/hold", test_hold);
	g_test_add_func("/gui/anim/fast-forward", test_fast_forward);
	g_test_add_func("/gui/anim/counters", test_counters);
	g_test_add_func("/gui/anim/heat", test_heat);
	g_test_add_func("/gui/anim/heat-hold", test_heat_hold);
	g_test_add_func("/gui/anim/ring-fill", test_ring_fill);
	g_test_add_func("/gui/anim/slider", test_slider);
	int rc = g_test_run();
	g_array_unref(events);
	sim_snapshot_free(snap);
	return rc;
}
