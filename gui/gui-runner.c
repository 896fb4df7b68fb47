/* gui-runner.c — the GUI's sim thread: owns the machine, executes the UI's
 * commands in scheduler rounds and publishes a snapshot plus the recent
 * events after each batch. Everything named sim_* below runs on the sim
 * thread; the public gui_runner_* calls run on the UI thread and only touch
 * the mutex-protected mailbox. */
#include <string.h>

#include "gui-runner.h"
#include "hv-names.h"
#include "sim-scenario.h"
#include "sim-stats.h"
#include "vmx.h"

typedef enum RunnerCmd {
	CMD_STEP,
	CMD_STEP_EXIT,
	CMD_UNTIL_INSNS,
	CMD_RESET,
	CMD_REFRESH,      /* publish again (the UI asked for other snapshot details) */
} RunnerCmd;

typedef struct QueuedCmd {
	RunnerCmd cmd;
	guint64 arg;
} QueuedCmd;

/* World switches per I/O, counted as `hvsim bench` counts them: every VM
 * exit of the machine between the first and the last access of a kind,
 * divided by the accesses after the first. */
typedef struct IoSwitches {
	guint64 n;                  /* accesses seen */
	guint64 exits_first, exits_last; /* the machine's exit count at the first and the last */
} IoSwitches;

static void io_switches_note(IoSwitches *w, guint64 exits)
{
	if (w->n++ == 0)
		w->exits_first = exits;
	w->exits_last = exits;
}

struct GuiRunner {
	char *scenario;
	SimVendor vendor;
	GThread *thread;
	gint quit;                  /* atomic: the thread should stop */

	/* Sim thread only. */
	SimMachine *m;
	SimStats *stats;            /* counters of r->m's events */
	GQueue pending;             /* SimEvent* emitted since the last publish (capped) */
	SimEvent pending_exit;
	gboolean pending_have_exit;
	guint64 exits_seen;
	IoSwitches io_intercepted;  /* I/O intercepts sent to a parent (the emulated path) */
	IoSwitches io_signals;      /* VMBus signals on open channels (the synthetic path) */

	/* The mailbox, under lock. */
	GMutex lock;
	GCond cond;
	gboolean loaded;            /* the first load finished (load_error says how) */
	GError *load_error;
	GQueue cmds;                /* QueuedCmd* */
	gboolean running;
	gboolean executing;
	gboolean ended;
	char *outcome_message;
	SimSnapshot *latest;        /* NULL once the UI took it */
	SimSnapRequest request;     /* the details the UI's panels want in snapshots */
	char *stats_text;
	GQueue events;              /* SimEvent*, newest last, at most GUI_RUNNER_EVENTS_MAX */
	SimEvent last_exit;
	gboolean have_exit;
	guint64 version;
};

/* ---- Sim thread ---------------------------------------------------------------- */

static void push_capped(GQueue *q, SimEvent *ev)
{
	g_queue_push_tail(q, ev);
	while (q->length > GUI_RUNNER_EVENTS_MAX)
		g_free(g_queue_pop_head(q));
}

static void sim_on_event(const SimEvent *ev, gpointer user_data)
{
	GuiRunner *r = user_data;
	push_capped(&r->pending, g_memdup2(ev, sizeof *ev));
	if (ev->type == SIM_EV_VM_EXIT) {
		r->pending_exit = *ev;
		r->pending_have_exit = TRUE;
		r->exits_seen++;
	} else if (ev->type == SIM_EV_INTERCEPT) {
		io_switches_note(&r->io_intercepted, r->exits_seen);
	} else if (ev->type == SIM_EV_VMBUS && ev->u.vmbus.kind == SIM_VMBUS_SIGNAL) {
		io_switches_note(&r->io_signals, r->exits_seen);
	}
}

static void io_switches_describe(const IoSwitches *w, const char *what, GString *out)
{
	if (w->n < 2)
		return;
	g_string_append_printf(out, "    per %-24s %6.1f  (%" G_GUINT64_FORMAT " of them)\n", what,
	                       (double)(w->exits_last - w->exits_first) / (double)(w->n - 1), w->n);
}

/* A machine with the scenario loaded and started, and its counters. */
static SimMachine *sim_make_machine(GuiRunner *r, SimStats **stats, GError **error)
{
	SimConfig cfg = { .vendor = r->vendor };
	SimMachine *m = sim_machine_new(&cfg, error);
	if (!m)
		return NULL;
	if (!sim_load_scenario_or_image(m, r->scenario, error)) {
		sim_machine_free(m);
		return NULL;
	}
	*stats = sim_stats_new();
	sim_event_bus_subscribe(sim_machine_events(m), sim_stats_on_event, *stats);
	sim_event_bus_subscribe(sim_machine_events(m), sim_on_event, r);
	sim_machine_start(m);
	return m;
}

/* Hands the UI a new snapshot and the events since the last publish. The
 * snapshot is taken before the lock, so the UI never waits for it. */
static void sim_publish(GuiRunner *r, gboolean clear)
{
	g_mutex_lock(&r->lock);
	SimSnapRequest req = r->request;
	g_mutex_unlock(&r->lock);
	SimSnapshot *snap = sim_snapshot_take_detail(r->m, &req);
	GString *stats = g_string_new(NULL);
	sim_stats_summary(r->stats, r->m, stats);
	if (r->io_intercepted.n >= 2 || r->io_signals.n >= 2) {
		g_string_append(stats, "  world switches (VM exits of all partitions from the first to the last):\n");
		io_switches_describe(&r->io_intercepted, "I/O intercept (emulated)", stats);
		io_switches_describe(&r->io_signals, "VMBus signal (synthetic)", stats);
	}
	g_mutex_lock(&r->lock);
	g_free(r->stats_text);
	r->stats_text = g_string_free(stats, FALSE);
	if (clear) {
		g_queue_clear_full(&r->events, g_free);
		r->have_exit = FALSE;
		g_clear_pointer(&r->outcome_message, g_free);
	}
	SimEvent *ev;
	while ((ev = g_queue_pop_head(&r->pending)))
		push_capped(&r->events, ev);
	if (r->pending_have_exit) {
		r->last_exit = r->pending_exit;
		r->have_exit = TRUE;
		r->pending_have_exit = FALSE;
	}
	r->ended = sim_machine_ended(r->m);
	if (r->ended) {
		r->running = FALSE;
		if (!r->outcome_message)
			r->outcome_message = g_strdup(sim_machine_outcome_message(r->m));
	}
	g_clear_pointer(&r->latest, sim_snapshot_free);
	r->latest = snap;
	r->version++;
	g_mutex_unlock(&r->lock);
}

static gboolean sim_quitting(GuiRunner *r)
{
	return g_atomic_int_get(&r->quit) != 0;
}

static void sim_execute(GuiRunner *r, const QueuedCmd *c)
{
	switch (c->cmd) {
	case CMD_STEP:
		sim_machine_step(r->m, 1, SIM_STEP_STOP_NONE);
		break;
	case CMD_STEP_EXIT: {
		/* In batches, publishing between them, so a long way to the next
		 * exit still animates and a quit is not held up. */
		guint64 seen = r->exits_seen;
		while (sim_machine_step(r->m, GUI_RUNNER_RUN_BATCH, SIM_STEP_STOP_VM_EXIT) &&
		       r->exits_seen == seen && !sim_quitting(r))
			sim_publish(r, FALSE);
		break;
	}
	case CMD_UNTIL_INSNS:
		while (sim_machine_insns(r->m) < c->arg && !sim_quitting(r) &&
		       sim_machine_step(r->m, MIN(c->arg - sim_machine_insns(r->m), GUI_RUNNER_RUN_BATCH),
		                        SIM_STEP_STOP_NONE))
			;
		break;
	case CMD_RESET: {
		/* The old machine's unpublished events go; the new one's power-on
		 * events (emitted while it is made) are the first of the log. */
		g_queue_clear_full(&r->pending, g_free);
		r->pending_have_exit = FALSE;
		r->exits_seen = 0;
		memset(&r->io_intercepted, 0, sizeof r->io_intercepted);
		memset(&r->io_signals, 0, sizeof r->io_signals);
		g_autoptr(GError) error = NULL;
		SimStats *fresh_stats = NULL;
		SimMachine *fresh = sim_make_machine(r, &fresh_stats, &error);
		if (!fresh) {
			/* It loaded once, so this is unexpected; keep the old one. */
			g_warning("reset: %s", error->message);
			break;
		}
		sim_machine_free(r->m);
		sim_stats_free(r->stats);
		r->m = fresh;
		r->stats = fresh_stats;
		break;
	}
	case CMD_REFRESH:
		break;   /* nothing to run: the publish that follows every command is the point */
	}
}

static gpointer sim_thread(gpointer data)
{
	GuiRunner *r = data;
	GError *error = NULL;

	r->m = sim_make_machine(r, &r->stats, &error);
	g_mutex_lock(&r->lock);
	r->loaded = TRUE;
	r->load_error = error;
	g_cond_broadcast(&r->cond);
	g_mutex_unlock(&r->lock);
	if (!r->m)
		return NULL;
	sim_publish(r, TRUE);

	g_mutex_lock(&r->lock);
	for (;;) {
		while (!sim_quitting(r) && g_queue_is_empty(&r->cmds) && !(r->running && !r->ended))
			g_cond_wait(&r->cond, &r->lock);
		if (sim_quitting(r))
			break;
		QueuedCmd c = { .cmd = CMD_STEP };
		gboolean batch = g_queue_is_empty(&r->cmds);
		if (!batch) {
			QueuedCmd *q = g_queue_pop_head(&r->cmds);
			c = *q;
			g_free(q);
		}
		if (r->ended && c.cmd != CMD_RESET && c.cmd != CMD_REFRESH) {
			r->version++;   /* nothing left to run; no longer busy */
			continue;
		}
		r->executing = TRUE;
		g_mutex_unlock(&r->lock);

		if (batch)
			sim_machine_step(r->m, GUI_RUNNER_RUN_BATCH, SIM_STEP_STOP_NONE);
		else
			sim_execute(r, &c);
		sim_publish(r, c.cmd == CMD_RESET && !batch);

		g_mutex_lock(&r->lock);
		r->executing = FALSE;
		r->version++;   /* no longer busy */
	}
	g_mutex_unlock(&r->lock);
	return NULL;
}

/* ---- UI thread ------------------------------------------------------------------ */

GuiRunner *gui_runner_new(const char *scenario, SimVendor vendor, GError **error)
{
	g_return_val_if_fail(scenario != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	GuiRunner *r = g_new0(GuiRunner, 1);
	r->scenario = g_strdup(scenario);
	r->vendor = vendor;
	g_mutex_init(&r->lock);
	g_cond_init(&r->cond);
	g_queue_init(&r->pending);
	g_queue_init(&r->cmds);
	g_queue_init(&r->events);
	r->thread = g_thread_new("hvsim-sim", sim_thread, r);

	g_mutex_lock(&r->lock);
	while (!r->loaded)
		g_cond_wait(&r->cond, &r->lock);
	GError *load_error = g_steal_pointer(&r->load_error);
	g_mutex_unlock(&r->lock);
	if (load_error) {
		g_propagate_error(error, load_error);
		gui_runner_free(r);
		return NULL;
	}
	return r;
}

void gui_runner_free(GuiRunner *r)
{
	if (!r)
		return;
	g_mutex_lock(&r->lock);
	g_atomic_int_set(&r->quit, 1);
	g_cond_broadcast(&r->cond);
	g_mutex_unlock(&r->lock);
	g_thread_join(r->thread);

	g_clear_pointer(&r->m, sim_machine_free);
	g_clear_pointer(&r->stats, sim_stats_free);
	g_free(r->stats_text);
	g_queue_clear_full(&r->pending, g_free);
	g_queue_clear_full(&r->cmds, g_free);
	g_queue_clear_full(&r->events, g_free);
	g_clear_pointer(&r->latest, sim_snapshot_free);
	g_clear_error(&r->load_error);
	g_free(r->outcome_message);
	g_free(r->scenario);
	g_mutex_clear(&r->lock);
	g_cond_clear(&r->cond);
	g_free(r);
}

static void set_running(GuiRunner *r, int how)  /* 0 pause, 1 run, -1 toggle */
{
	g_return_if_fail(r != NULL);
	g_mutex_lock(&r->lock);
	r->running = how < 0 ? !r->running : how;
	if (r->ended)
		r->running = FALSE;
	r->version++;
	g_cond_broadcast(&r->cond);
	g_mutex_unlock(&r->lock);
}

void gui_runner_run(GuiRunner *r)    { set_running(r, 1); }
void gui_runner_pause(GuiRunner *r)  { set_running(r, 0); }
void gui_runner_toggle(GuiRunner *r) { set_running(r, -1); }

static void queue_cmd(GuiRunner *r, RunnerCmd cmd, guint64 arg)
{
	g_return_if_fail(r != NULL);
	QueuedCmd *q = g_new(QueuedCmd, 1);
	q->cmd = cmd;
	q->arg = arg;
	g_mutex_lock(&r->lock);
	/* Stepping means stepping: a running machine pauses first. */
	r->running = FALSE;
	g_queue_push_tail(&r->cmds, q);
	r->version++;
	g_cond_broadcast(&r->cond);
	g_mutex_unlock(&r->lock);
}

void gui_runner_set_request(GuiRunner *r, const SimSnapRequest *req)
{
	g_return_if_fail(r != NULL && req != NULL);
	QueuedCmd *q = g_new0(QueuedCmd, 1);
	q->cmd = CMD_REFRESH;
	g_mutex_lock(&r->lock);
	r->request = *req;
	/* A refresh does not pause a running machine: it only publishes once more. */
	g_queue_push_tail(&r->cmds, q);
	r->version++;
	g_cond_broadcast(&r->cond);
	g_mutex_unlock(&r->lock);
}

void gui_runner_step(GuiRunner *r)      { queue_cmd(r, CMD_STEP, 0); }
void gui_runner_step_exit(GuiRunner *r) { queue_cmd(r, CMD_STEP_EXIT, 0); }
void gui_runner_reset(GuiRunner *r)     { queue_cmd(r, CMD_RESET, 0); }
void gui_runner_until_insns(GuiRunner *r, guint64 insns) { queue_cmd(r, CMD_UNTIL_INSNS, insns); }

GuiRunnerState *gui_runner_take(GuiRunner *r, guint64 *version, guint max_events)
{
	g_return_val_if_fail(r != NULL && version != NULL, NULL);

	g_mutex_lock(&r->lock);
	if (r->version == *version) {
		g_mutex_unlock(&r->lock);
		return NULL;
	}
	GuiRunnerState *s = g_new0(GuiRunnerState, 1);
	s->snap = g_steal_pointer(&r->latest);  /* NULL if the UI already has the newest */
	guint n = MIN(max_events, r->events.length);
	s->events = g_array_sized_new(FALSE, FALSE, sizeof(SimEvent), n);
	GList *l = r->events.tail;
	for (guint i = 1; i < n; i++)
		l = l->prev;
	for (; n && l; l = l->next)
		g_array_append_vals(s->events, l->data, 1);
	s->last_exit = r->last_exit;
	s->have_exit = r->have_exit;
	s->running = r->running;
	s->busy = r->executing || !g_queue_is_empty(&r->cmds) || (r->running && !r->ended);
	s->ended = r->ended;
	s->outcome_message = g_strdup(r->outcome_message);
	s->scenario = g_strdup(r->scenario);
	s->stats = g_strdup(r->stats_text);
	s->version = r->version;
	*version = r->version;
	g_mutex_unlock(&r->lock);
	return s;
}

void gui_runner_state_free(GuiRunnerState *s)
{
	if (!s)
		return;
	g_clear_pointer(&s->snap, sim_snapshot_free);
	g_array_unref(s->events);
	g_free(s->outcome_message);
	g_free(s->scenario);
	g_free(s->stats);
	g_free(s);
}

/* ---- Event lines ------------------------------------------------------------------ */

void gui_event_describe(const SimEvent *ev, SimVendor vendor, char *buf, gsize len)
{
	const char *kind = sim_event_type_name(ev->type);
	(void)vendor;   /* the AMD names of exits come with the AMD panel */
	switch (ev->type) {
	case SIM_EV_VM_EXIT: {
		uint32_t basic = ev->u.exit.reason & 0xFFFF;
		if (basic == VMX_EXIT_IO_INSTRUCTION) {
			/* The qualification says which port, which way and how wide. */
			VmxIoQual q;
			vmx_io_qual_decode(ev->u.exit.qualification, &q);
			g_snprintf(buf, len, "VM exit: I/O instruction (%s port 0x%04x, %u byte%s) at RIP 0x%" G_GINT64_MODIFIER "x",
			           q.in ? "IN from" : "OUT to", q.port, q.size, q.size == 1 ? "" : "s", ev->u.exit.rip);
			return;
		}
		if (ev->u.exit.qualification)
			g_snprintf(buf, len, "VM exit: %s at RIP 0x%" G_GINT64_MODIFIER "x (qualification 0x%" G_GINT64_MODIFIER "x)",
			           vmx_exit_reason_name(basic), ev->u.exit.rip, ev->u.exit.qualification);
		else
			g_snprintf(buf, len, "VM exit: %s at RIP 0x%" G_GINT64_MODIFIER "x", vmx_exit_reason_name(basic),
			           ev->u.exit.rip);
		return;
	}
	case SIM_EV_VM_ENTRY:
		if (ev->u.entry.injected)
			g_snprintf(buf, len, "VM entry, injecting vector %u", ev->u.entry.injected_vector);
		else
			g_snprintf(buf, len, "VM entry");
		return;
	case SIM_EV_HYPERCALL: {
		const char *name = hv_call_name(ev->u.hypercall.code);
		g_snprintf(buf, len, "hypercall %s (0x%04x) -> %s", name ? name : "unknown", ev->u.hypercall.code,
		           hv_status_name(ev->u.hypercall.status));
		return;
	}
	case SIM_EV_RING:
		g_snprintf(buf, len, "ring %u -> ring %u (%s) at RIP 0x%" G_GINT64_MODIFIER "x", ev->u.ring.from, ev->u.ring.to,
		           sim_ring_cause_name(ev->u.ring.cause), ev->u.ring.from_rip);
		return;
	case SIM_EV_PORT_IO:
		g_snprintf(buf, len, "%s port 0x%04x = 0x%x%s", ev->u.io.in ? "in" : "out", ev->u.io.port, ev->u.io.value,
		           ev->u.io.intercepted ? " (intercepted)" : "");
		return;
	case SIM_EV_CPUID:
		g_snprintf(buf, len, "CPUID leaf 0x%x", ev->u.cpuid.leaf);
		return;
	case SIM_EV_MSR: {
		const char *name = hv_msr_name(ev->u.msr.msr);
		g_snprintf(buf, len, "%s %s", ev->u.msr.write ? "WRMSR" : "RDMSR", name ? name : "unknown MSR");
		return;
	}
	default:
		break;
	}
	if (ev->text[0])
		g_snprintf(buf, len, "%s: %s", kind, ev->text);
	else
		g_snprintf(buf, len, "%s", kind);
}
