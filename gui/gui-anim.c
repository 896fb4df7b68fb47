/* gui-anim.c — which way each event went through the picture, and the
 * clockwork that turns a stream of events into tokens, trails, counters and
 * heat. Pure data: GTK main thread in the window, any thread in tests. */
#include <math.h>
#include <string.h>

#include "gui-anim.h"
#include "hv-names.h"
#include "hv-tlfs.h"
#include "vmx.h"

/* ---- Paths --------------------------------------------------------------------- */

static const char *const kind_names[GUI_ANIM_N_KINDS] = {
	[GUI_ANIM_RING] = "syscall / int (ring 3↔0)",
	[GUI_ANIM_HYPERCALL] = "hypercall",
	[GUI_ANIM_VM_EXIT] = "VM exit",
	[GUI_ANIM_INTERCEPT] = "intercept → parent",
	[GUI_ANIM_SYNIC] = "SynIC message / interrupt",
	[GUI_ANIM_VMBUS] = "VMBus packets",
	[GUI_ANIM_DEVICE_IO] = "device I/O",
};

const char *gui_anim_kind_name(GuiAnimKind kind)
{
	return kind < GUI_ANIM_N_KINDS ? kind_names[kind] : "?";
}

static void path_init(GuiAnimPath *p, GuiAnimKind kind)
{
	memset(p, 0, sizeof *p);
	p->kind = kind;
}

static void G_GNUC_PRINTF(2, 3) path_stop(GuiAnimPath *p, const char *fmt, ...)
{
	g_assert(p->n_stops < GUI_ANIM_STOPS_MAX);
	va_list ap;
	va_start(ap, fmt);
	g_vsnprintf(p->stops[p->n_stops++], GUI_ANIM_NAME_MAX, fmt, ap);
	va_end(ap);
}

static gboolean is_root(const SimSnapshot *snap, uint32_t id)
{
	const SimSnapPartition *p = snap ? sim_snapshot_partition(snap, id) : NULL;
	return p ? p->role == SIM_SNAP_ROLE_ROOT : id == 1;
}

static gboolean is_child(const SimSnapshot *snap, uint32_t id)
{
	const SimSnapPartition *p = snap ? sim_snapshot_partition(snap, id) : NULL;
	return p ? p->parent_id != 0 : id > 1;
}

/* Ring 3 of a partition: the parent's worker process once the hypervisor
 * runs, applications otherwise (the layout's component names). */
static const char *ring3_component(const SimSnapshot *snap, uint32_t id)
{
	return is_root(snap, id) && (!snap || snap->hv_launched) ? "worker" : "apps";
}

/* Which ring 0 component makes a hypercall. The machine does not know
 * (guest code is guest code); this follows the design of the guest kernel:
 * VMBus messages and signals come from the VMBus driver, the parent's
 * partition management from its VID driver, the rest from the kernel. */
static const char *hypercall_source(const SimSnapshot *snap, uint32_t id, uint16_t code)
{
	switch (code) {
	case HVCALL_POST_MESSAGE:
	case HVCALL_SIGNAL_EVENT:
		return "vmbus";
	case HVCALL_CREATE_PARTITION:
	case HVCALL_INITIALIZE_PARTITION:
	case HVCALL_FINALIZE_PARTITION:
	case HVCALL_DELETE_PARTITION:
	case HVCALL_MAP_GPA_PAGES:
	case HVCALL_UNMAP_GPA_PAGES:
	case HVCALL_INSTALL_INTERCEPT:
	case HVCALL_CREATE_VP:
	case HVCALL_DELETE_VP:
	case HVCALL_GET_VP_REGISTERS:
	case HVCALL_SET_VP_REGISTERS:
	case HVCALL_CREATE_PORT:
	case HVCALL_CONNECT_PORT:
	case HVCALL_START_VIRTUAL_PROCESSOR:
		return is_root(snap, id) ? "vid" : "kernel";
	default:
		return "kernel";
	}
}

/* The hardware element that owns a port (the layout shows the first disk
 * and the first UART), or the hardware band. */
static const char *device_of_port(const SimSnapshot *snap, uint16_t port)
{
	for (guint i = 0; snap && i < snap->n_devices; i++) {
		const SimSnapDevice *d = &snap->devices[i];
		if (d->port_first == 0 && d->port_last == 0)
			continue;
		if (port < d->port_first || port > d->port_last)
			continue;
		switch (d->kind) {
		case SIM_SNAP_DEV_DISK: return "hw.disk";
		case SIM_SNAP_DEV_UART: return "hw.uart";
		case SIM_SNAP_DEV_TIMER: return "hw.timer";
		case SIM_SNAP_DEV_POWER: return "hardware";
		}
	}
	return "hardware";
}

/* A VMBus event's channel: the child end names it ("vmbus.CHILD.RELID"). */
static uint32_t channel_child(const SimSnapshot *snap, const SimEvent *ev)
{
	return is_child(snap, ev->partition) ? ev->partition : ev->u.vmbus.to;
}

static const char *vmbus_end(const SimSnapshot *snap, uint32_t id)
{
	return is_child(snap, id) ? "vsc" : "vsp";
}

static gboolean vmbus_path(const SimEvent *ev, const SimSnapshot *snap, GuiAnimPath *out)
{
	uint32_t p = ev->partition, to = ev->u.vmbus.to;
	switch (ev->u.vmbus.kind) {
	case SIM_VMBUS_MESSAGE:
		/* HvPostMessage: through the hypervisor's SynIC into the other
		 * side's message slot, where its VMBus driver reads it. */
		path_init(out, GUI_ANIM_SYNIC);
		path_stop(out, "part.%u.ring0.vmbus", p);
		path_stop(out, "hv.synic");
		path_stop(out, "part.%u.ring0.vmbus", to);
		g_snprintf(out->label, sizeof out->label, "VMBus message: %s", ev->text);
		return TRUE;
	case SIM_VMBUS_RING_WRITE:
		/* The producer puts packets into the shared ring: no hypervisor on
		 * the way, which is the point of VMBus. */
		path_init(out, GUI_ANIM_VMBUS);
		path_stop(out, "part.%u.ring0.%s", p, vmbus_end(snap, p));
		path_stop(out, "vmbus.%u.%u", channel_child(snap, ev), ev->u.vmbus.relid);
		g_snprintf(out->label, sizeof out->label, "packets into relid %u", ev->u.vmbus.relid);
		return TRUE;
	case SIM_VMBUS_RING_READ:
		path_init(out, GUI_ANIM_VMBUS);
		path_stop(out, "vmbus.%u.%u", channel_child(snap, ev), ev->u.vmbus.relid);
		path_stop(out, "part.%u.ring0.%s", p, vmbus_end(snap, p));
		g_snprintf(out->label, sizeof out->label, "packets out of relid %u", ev->u.vmbus.relid);
		return TRUE;
	default:
		/* A signal is its HvCallSignalEvent's token; a mask change moves nothing. */
		return FALSE;
	}
}

gboolean gui_anim_path_of(const SimEvent *ev, const SimSnapshot *snap, GuiAnimPath *out)
{
	g_return_val_if_fail(ev != NULL && out != NULL, FALSE);
	uint32_t p = ev->partition;
	switch (ev->type) {
	case SIM_EV_RING: {
		gboolean up = ev->u.ring.from > ev->u.ring.to;   /* 3 -> 0 goes "up" in privilege */
		if (ev->u.ring.from == ev->u.ring.to)
			return FALSE;
		path_init(out, GUI_ANIM_RING);
		if (up) {
			path_stop(out, "part.%u.ring3.%s", p, ring3_component(snap, p));
			path_stop(out, "part.%u.ring0.kernel", p);
		} else {
			path_stop(out, "part.%u.ring0.kernel", p);
			path_stop(out, "part.%u.ring3.%s", p, ring3_component(snap, p));
		}
		g_snprintf(out->label, sizeof out->label, "%s: ring %u \u2192 %u", sim_ring_cause_name(ev->u.ring.cause),
		           ev->u.ring.from, ev->u.ring.to);
		return TRUE;
	}
	case SIM_EV_VM_EXIT: {
		uint32_t basic = ev->u.exit.reason & VMX_EXIT_REASON_BASIC_MASK;
		path_init(out, GUI_ANIM_VM_EXIT);
		path_stop(out, "part.%u.ring0.kernel", p);
		path_stop(out, "hv.image");
		g_snprintf(out->label, sizeof out->label, "VM exit: %s", vmx_exit_reason_name(basic));
		return TRUE;
	}
	case SIM_EV_HYPERCALL: {
		const char *name = hv_call_name(ev->u.hypercall.code);
		path_init(out, GUI_ANIM_HYPERCALL);
		path_stop(out, "part.%u.ring0.%s", p, hypercall_source(snap, p, ev->u.hypercall.code));
		path_stop(out, "hv.hypercalls");
		if (name)
			g_strlcpy(out->label, name, sizeof out->label);
		else
			g_snprintf(out->label, sizeof out->label, "hypercall 0x%04x", ev->u.hypercall.code);
		return TRUE;
	}
	case SIM_EV_INTERCEPT:
		/* The child's exit already went down; the message goes on through
		 * SINT0 of the parent to its VID driver and the worker process. */
		path_init(out, GUI_ANIM_INTERCEPT);
		path_stop(out, "hv.synic");
		path_stop(out, "part.%u.ring0.vid", ev->u.intercept.parent);
		path_stop(out, "part.%u.ring3.worker", ev->u.intercept.parent);
		if (ev->u.intercept.port)
			g_snprintf(out->label, sizeof out->label, "intercept: %s port 0x%x of partition %u",
			           ev->u.intercept.access ? "OUT to" : "IN from", ev->u.intercept.port, p);
		else
			g_snprintf(out->label, sizeof out->label, "intercept from partition %u", p);
		return TRUE;
	case SIM_EV_SYNIC_MESSAGE:
		/* Intercept and VMBus messages already have their tokens (the
		 * INTERCEPT and VMBus message events); the timer's is its own. */
		if (ev->u.synic.message_type != HVMSG_TIMER_EXPIRED)
			return FALSE;
		path_init(out, GUI_ANIM_SYNIC);
		path_stop(out, "hv.synic");
		path_stop(out, "part.%u.ring0.kernel", p);
		g_strlcpy(out->label, "SynIC: timer expired message", sizeof out->label);
		return TRUE;
	case SIM_EV_INTERRUPT:
		path_init(out, GUI_ANIM_SYNIC);
		path_stop(out, "hv.synic");
		path_stop(out, "part.%u.ring0.kernel", p);
		g_snprintf(out->label, sizeof out->label, "interrupt: vector 0x%x injected", ev->u.interrupt.vector);
		return TRUE;
	case SIM_EV_VMBUS:
		return vmbus_path(ev, snap, out);
	case SIM_EV_PORT_IO:
		/* Intercepted port I/O is its VM exit and intercept tokens. */
		if (ev->u.io.intercepted)
			return FALSE;
		path_init(out, GUI_ANIM_DEVICE_IO);
		path_stop(out, "part.%u.ring0.kernel", p);
		path_stop(out, "%s", device_of_port(snap, ev->u.io.port));
		g_snprintf(out->label, sizeof out->label, "%s port 0x%x", ev->u.io.in ? "in from" : "out to", ev->u.io.port);
		return TRUE;
	default:
		return FALSE;
	}
}

/* ---- Clockwork ------------------------------------------------------------------- */

typedef struct Link {
	GuiAnimLink pub;
	double heat;          /* events, decaying with GUI_ANIM_HEAT_SECONDS */
	double heat_time;     /* when heat was last brought up to date */
} Link;

typedef struct Queued {
	GuiAnimPath path;
	guint64 seq;
	uint32_t child, relid;   /* VMBus ring events: the ring's new fill */
	guint ring;
	uint32_t bytes, size;
	gboolean has_ring;
} Queued;

struct GuiAnim {
	double speed;
	double now;
	double next_start;       /* when the next queued token may leave */
	guint64 last_seq;
	GQueue queue;            /* Queued*, oldest first */
	GArray *active;          /* GuiAnimToken in flight (start, duration via progress) */
	GArray *durations;       /* double, parallel to active */
	GArray *trails;          /* GuiAnimToken, start = arrival time */
	GArray *links;           /* Link */
	GHashTable *link_index;  /* "from\nto\nkind" -> index + 1 */
	GArray *rings;           /* GuiAnimRing */
	gboolean hold;
	guint64 animated, skipped, fast_forwarded;
	GuiAnimFrame frame;
};

GuiAnim *gui_anim_new(void)
{
	GuiAnim *a = g_new0(GuiAnim, 1);
	a->speed = GUI_ANIM_FULL_SPEED;
	g_queue_init(&a->queue);
	a->active = g_array_new(FALSE, FALSE, sizeof(GuiAnimToken));
	a->durations = g_array_new(FALSE, FALSE, sizeof(double));
	a->trails = g_array_new(FALSE, FALSE, sizeof(GuiAnimToken));
	a->links = g_array_new(FALSE, FALSE, sizeof(Link));
	a->link_index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	a->rings = g_array_new(FALSE, FALSE, sizeof(GuiAnimRing));
	a->frame.tokens = g_array_new(FALSE, FALSE, sizeof(GuiAnimToken));
	a->frame.trails = g_array_new(FALSE, FALSE, sizeof(GuiAnimToken));
	a->frame.links = g_array_new(FALSE, FALSE, sizeof(GuiAnimLink));
	a->frame.rings = g_array_new(FALSE, FALSE, sizeof(GuiAnimRing));
	return a;
}

void gui_anim_reset(GuiAnim *a)
{
	g_return_if_fail(a != NULL);
	g_queue_clear_full(&a->queue, g_free);
	g_array_set_size(a->active, 0);
	g_array_set_size(a->durations, 0);
	g_array_set_size(a->trails, 0);
	g_array_set_size(a->links, 0);
	g_hash_table_remove_all(a->link_index);
	g_array_set_size(a->rings, 0);
	a->last_seq = 0;
	a->next_start = a->now;
	a->hold = FALSE;
	a->animated = a->skipped = a->fast_forwarded = 0;
}

void gui_anim_free(GuiAnim *a)
{
	if (!a)
		return;
	g_queue_clear_full(&a->queue, g_free);
	g_array_unref(a->active);
	g_array_unref(a->durations);
	g_array_unref(a->trails);
	g_array_unref(a->links);
	g_hash_table_unref(a->link_index);
	g_array_unref(a->rings);
	g_array_unref(a->frame.tokens);
	g_array_unref(a->frame.trails);
	g_array_unref(a->frame.links);
	g_array_unref(a->frame.rings);
	g_free(a);
}

static gboolean full_speed(const GuiAnim *a)
{
	return a->speed >= GUI_ANIM_FULL_SPEED;
}

double gui_anim_speed_from_slider(double position)
{
	if (!(position >= 0))          /* NaN too */
		position = 0;
	if (position >= 1)
		return GUI_ANIM_FULL_SPEED;
	/* 1 .. 200 events per second, evenly in log scale, up to just below the top. */
	return exp(log(GUI_ANIM_SLOW_MOTION) + position * (log(200.0) - log(GUI_ANIM_SLOW_MOTION)));
}

double gui_anim_slider_from_speed(double events_per_second)
{
	if (!(events_per_second > GUI_ANIM_SLOW_MOTION))
		return 0;
	if (events_per_second >= GUI_ANIM_FULL_SPEED)
		return 1;
	double p = (log(events_per_second) - log(GUI_ANIM_SLOW_MOTION)) / (log(200.0) - log(GUI_ANIM_SLOW_MOTION));
	return MIN(p, 0.999);
}

/* A token's flight: a second in slow motion, shorter as the speed rises,
 * so about sqrt(speed) tokens are in the air at once. */
static double flight_seconds(double speed)
{
	double d = GUI_ANIM_SLOW_SECONDS / sqrt(MAX(speed, GUI_ANIM_SLOW_MOTION));
	return CLAMP(d, GUI_ANIM_FAST_SECONDS, GUI_ANIM_SLOW_SECONDS);
}

static Link *link_get(GuiAnim *a, const char *from, const char *to, GuiAnimKind kind)
{
	g_autofree char *key = g_strdup_printf("%s\n%s\n%d", from, to, (int)kind);
	gpointer v = g_hash_table_lookup(a->link_index, key);
	if (v)
		return &g_array_index(a->links, Link, GPOINTER_TO_UINT(v) - 1);
	Link l;
	memset(&l, 0, sizeof l);
	g_strlcpy(l.pub.from, from, sizeof l.pub.from);
	g_strlcpy(l.pub.to, to, sizeof l.pub.to);
	l.pub.kind = kind;
	l.heat_time = a->now;
	g_array_append_val(a->links, l);
	g_hash_table_insert(a->link_index, g_steal_pointer(&key), GUINT_TO_POINTER(a->links->len));
	return &g_array_index(a->links, Link, a->links->len - 1);
}

static void heat_update(Link *l, double now)
{
	if (now > l->heat_time) {
		l->heat *= exp(-(now - l->heat_time) / GUI_ANIM_HEAT_SECONDS);
		l->heat_time = now;
	}
}

double gui_anim_heat_level(double level, double rate)
{
	double exact = log10(1.0 + MAX(rate, 0.0)) * GUI_ANIM_HEAT_STEPS, shown = level * GUI_ANIM_HEAT_STEPS;
	if (fabs(exact - shown) < 0.5 + GUI_ANIM_HEAT_HOLD)
		return level;
	return round(exact) / GUI_ANIM_HEAT_STEPS;
}

static void ring_set(GuiAnim *a, const Queued *q)
{
	for (guint i = 0; i < a->rings->len; i++) {
		GuiAnimRing *r = &g_array_index(a->rings, GuiAnimRing, i);
		if (r->child == q->child && r->relid == q->relid && r->ring == q->ring) {
			r->bytes = q->bytes;
			r->size = q->size;
			return;
		}
	}
	GuiAnimRing r = { .child = q->child, .relid = q->relid, .ring = q->ring, .bytes = q->bytes, .size = q->size };
	g_array_append_val(a->rings, r);
}

/* The event took its way at `when`: its links count it and warm up. */
static void account(GuiAnim *a, const Queued *q, double when)
{
	for (guint i = 0; i + 1 < q->path.n_stops; i++) {
		Link *l = link_get(a, q->path.stops[i], q->path.stops[i + 1], q->path.kind);
		l->pub.count++;
		heat_update(l, when);
		l->heat += 1.0;
	}
	if (q->has_ring)
		ring_set(a, q);
	a->animated++;
}

static void start_token(GuiAnim *a, Queued *q, double when)
{
	account(a, q, when);
	GuiAnimToken t = { .path = q->path, .seq = q->seq, .start = when, .progress = 0, .alpha = 1 };
	double d = flight_seconds(a->speed);
	g_array_append_val(a->active, t);
	g_array_append_val(a->durations, d);
}

/* Starts the queued tokens whose turn came by `now`: one every 1/speed
 * seconds, on schedule (after a long gap between frames, the ones whose
 * flight is over only leave their trails). */
static void start_due(GuiAnim *a, double now)
{
	double gap = 1.0 / a->speed;
	while (!g_queue_is_empty(&a->queue) && a->next_start <= now) {
		a->next_start += gap;
		Queued *q = g_queue_pop_head(&a->queue);
		start_token(a, q, a->next_start - gap);
		g_free(q);
	}
}

static void flush_queue(GuiAnim *a, double now)
{
	Queued *q;
	while ((q = g_queue_pop_head(&a->queue))) {
		account(a, q, now);
		g_free(q);
	}
}

void gui_anim_set_speed(GuiAnim *a, double events_per_second)
{
	g_return_if_fail(a != NULL);
	if (!(events_per_second >= GUI_ANIM_SLOW_MOTION))
		events_per_second = GUI_ANIM_SLOW_MOTION;
	a->speed = MIN(events_per_second, GUI_ANIM_FULL_SPEED);
	if (full_speed(a))
		flush_queue(a, a->now);
}

double gui_anim_get_speed(const GuiAnim *a)
{
	g_return_val_if_fail(a != NULL, 0);
	return a->speed;
}

static void ring_of(const SimEvent *ev, const SimSnapshot *snap, Queued *q)
{
	if (ev->type != SIM_EV_VMBUS ||
	    (ev->u.vmbus.kind != SIM_VMBUS_RING_WRITE && ev->u.vmbus.kind != SIM_VMBUS_RING_READ))
		return;
	gboolean child_acts = is_child(snap, ev->partition);
	gboolean write = ev->u.vmbus.kind == SIM_VMBUS_RING_WRITE;
	q->has_ring = TRUE;
	q->child = channel_child(snap, ev);
	q->relid = ev->u.vmbus.relid;
	/* The child writes the to-parent ring and reads the to-child one. */
	q->ring = child_acts == write ? SIM_SNAP_RING_TO_PARENT : SIM_SNAP_RING_TO_CHILD;
	q->size = 0;
	for (guint i = 0; snap && i < snap->n_channels; i++)
		if (snap->channels[i].child_id == q->child && snap->channels[i].relid == q->relid)
			q->size = snap->channels[i].data_size[q->ring];
	uint32_t w = ev->u.vmbus.write_index, r = ev->u.vmbus.read_index;
	if (q->size && w < q->size && r < q->size)
		q->bytes = (w + q->size - r) % q->size;
	else
		q->bytes = w >= r ? w - r : 0;   /* indices the guest wrote: reported, not believed */
}

void gui_anim_feed(GuiAnim *a, const SimEvent *events, guint n, const SimSnapshot *snap, double now)
{
	g_return_if_fail(a != NULL && (events != NULL || n == 0));
	if (now > a->now)
		a->now = now;
	/* The newest event older than what was fed: a new machine (reset),
	 * counting from 1 again. */
	if (n && events[n - 1].seq < a->last_seq)
		gui_anim_reset(a);
	for (guint i = 0; i < n; i++) {
		const SimEvent *ev = &events[i];
		if (ev->seq <= a->last_seq)
			continue;   /* already fed: a published ring overlaps the previous one */
		if (a->last_seq && ev->seq > a->last_seq + 1)
			a->skipped += ev->seq - a->last_seq - 1;
		a->last_seq = ev->seq;
		Queued q;
		if (!gui_anim_path_of(ev, snap, &q.path))
			continue;
		q.seq = ev->seq;
		q.has_ring = FALSE;
		ring_of(ev, snap, &q);
		if (full_speed(a)) {
			account(a, &q, a->now);
		} else if (g_queue_get_length(&a->queue) >= GUI_ANIM_QUEUE_MAX) {
			a->skipped++;
		} else {
			/* The first in an empty queue leaves now, not in the past. */
			if (g_queue_is_empty(&a->queue) && a->next_start < a->now)
				a->next_start = a->now;
			g_queue_push_tail(&a->queue, g_memdup2(&q, sizeof q));
			/* Keep the newest GUI_ANIM_BACKLOG_MAX seconds; count the rest now. */
			while (g_queue_get_length(&a->queue) > MAX(1.0, a->speed * GUI_ANIM_BACKLOG_MAX)) {
				Queued *old = g_queue_pop_head(&a->queue);
				account(a, old, a->now);
				a->fast_forwarded++;
				g_free(old);
			}
		}
	}
}

const GuiAnimFrame *gui_anim_frame(GuiAnim *a, double now)
{
	g_return_val_if_fail(a != NULL, NULL);
	if (now > a->now)
		a->now = now;
	now = a->now;
	if (!full_speed(a))
		start_due(a, now);

	/* Tokens that arrived become trails. */
	for (guint i = 0; i < a->active->len;) {
		GuiAnimToken *t = &g_array_index(a->active, GuiAnimToken, i);
		double d = g_array_index(a->durations, double, i);
		if (now - t->start >= d) {
			GuiAnimToken tr = *t;
			tr.start = t->start + d;    /* arrival */
			tr.progress = 1;
			g_array_append_val(a->trails, tr);
			g_array_remove_index(a->active, i);
			g_array_remove_index(a->durations, i);
		} else {
			t->progress = (now - t->start) / d;
			i++;
		}
	}
	/* Trails fade, and only the newest are kept. */
	for (guint i = 0; i < a->trails->len;) {
		GuiAnimToken *t = &g_array_index(a->trails, GuiAnimToken, i);
		double age = now - t->start;
		if (age >= GUI_ANIM_TRAIL_SECONDS) {
			g_array_remove_index(a->trails, i);
		} else {
			t->alpha = 1.0 - age / GUI_ANIM_TRAIL_SECONDS;
			i++;
		}
	}
	if (a->trails->len > GUI_ANIM_TRAILS_MAX)
		g_array_remove_range(a->trails, 0, a->trails->len - GUI_ANIM_TRAILS_MAX);

	GuiAnimFrame *f = &a->frame;
	f->now = now;
	f->full_speed = full_speed(a);
	f->speed = a->speed;
	f->flight = flight_seconds(a->speed);
	g_array_set_size(f->tokens, 0);
	g_array_append_vals(f->tokens, a->active->data, a->active->len);
	g_array_set_size(f->trails, 0);
	g_array_append_vals(f->trails, a->trails->data, a->trails->len);
	g_array_set_size(f->links, a->links->len);
	for (guint i = 0; i < a->links->len; i++) {
		Link *l = &g_array_index(a->links, Link, i);
		heat_update(l, now);
		l->pub.rate = l->heat / GUI_ANIM_HEAT_SECONDS;
		l->pub.level = gui_anim_heat_level(l->pub.level, l->pub.rate);
		g_array_index(f->links, GuiAnimLink, i) = l->pub;
	}
	g_array_set_size(f->rings, 0);
	g_array_append_vals(f->rings, a->rings->data, a->rings->len);
	f->queued = g_queue_get_length(&a->queue);
	f->animated = a->animated;
	f->skipped = a->skipped;
	f->fast_forwarded = a->fast_forwarded;
	return f;
}

double gui_anim_backlog(const GuiAnim *a)
{
	g_return_val_if_fail(a != NULL, 0);
	if (full_speed(a))
		return 0;
	return g_queue_get_length((GQueue *)&a->queue) / a->speed;
}

gboolean gui_anim_hold(GuiAnim *a)
{
	g_return_val_if_fail(a != NULL, FALSE);
	double b = gui_anim_backlog(a);
	if (b > GUI_ANIM_BACKLOG_HIGH)
		a->hold = TRUE;
	else if (b < GUI_ANIM_BACKLOG_LOW)
		a->hold = FALSE;
	return a->hold;
}

gboolean gui_anim_busy(const GuiAnim *a)
{
	g_return_val_if_fail(a != NULL, FALSE);
	return a->active->len || a->trails->len || !g_queue_is_empty((GQueue *)&a->queue);
}

gboolean gui_anim_warm(const GuiAnim *a)
{
	g_return_val_if_fail(a != NULL, FALSE);
	for (guint i = 0; i < a->links->len; i++)
		if (g_array_index(a->links, Link, i).pub.level > 0)
			return TRUE;
	return FALSE;
}
