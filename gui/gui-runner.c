/* gui-runner.c — the GUI's sim thread: owns the machine, executes the UI's
 * commands in scheduler rounds and publishes a snapshot plus the recent
 * events after each batch. Everything named sim_* below runs on the sim
 * thread; the public gui_runner_* calls run on the UI thread and only touch
 * the mutex-protected mailbox. */
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "gui-backend.h"
#include "gui-runner.h"
#include "gui-thread.h"
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
	CMD_STEP_INSN,    /* exactly arg guest instructions (precise) */
	CMD_STEP_TO,      /* right after the next event of kind arg (a SimStepStop; precise) */
	CMD_BACK_TO,      /* back to right after the previous event of kind arg (replay) */
	CMD_LOAD,         /* a fresh machine with the scenario and vendor in `load_*` */
} RunnerCmd;

/* The kinds a step can target, and for each event which it is (for the
 * reverse history). */
static const SimStepStop step_kinds[] = {
	SIM_STEP_STOP_VM_EXIT, SIM_STEP_STOP_HYPERCALL, SIM_STEP_STOP_INTERCEPT,
	SIM_STEP_STOP_VMBUS, SIM_STEP_STOP_INTERRUPT, SIM_STEP_STOP_RING,
};

/* One steppable event of the run so far: where "back" can go. */
typedef struct HistoryEntry {
	guint64 seq;
	SimStepStop kind;
} HistoryEntry;

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
	char *scenario;             /* these four: changed by the sim thread only, under lock */
	SimVendor vendor;
	SimBackendKind backend;
	uint32_t time_scale;
	GThread *thread;
	gint quit;                  /* atomic: the thread should stop */
	gint cancel;                /* atomic: the replay of a "back" should stop where it is (Pause) */

	/* Sim thread only. */
	SimMachine *m;
	SimStats *stats;            /* counters of r->m's events */
	GQueue pending;             /* SimEvent* emitted since the last publish (capped) */
	SimEvent pending_exit;
	gboolean pending_have_exit;
	guint64 exits_seen;
	IoSwitches io_intercepted;  /* I/O intercepts sent to a parent (the emulated path) */
	IoSwitches io_signals;      /* VMBus signals on open channels (the synthetic path) */
	GArray *history;            /* of HistoryEntry: steppable events, oldest first (bounded) */
	guint64 last_seq;           /* the newest event's seq (0: none yet) */
	guint64 at_seq;             /* the step stood still right after this event (0: elsewhere) */
	/* Where steps stopped after an event: seq -> the machine's instruction
	 * count there. Going back to such an event replays to that count, so
	 * it lands exactly where the forward step stood (an event raised in the
	 * middle of a translated block stops at a boundary that depends on
	 * where the engine last started). Kept across "back"; cleared by a
	 * reset or load. */
	GHashTable *stops;
	GArray *bps;                /* of GuiBreakpoint: the sim thread's copy */
	gboolean need_describe;     /* a breakpoint matches on text */
	GString *hit;               /* what stopped the current step (breakpoint or event) */
	gboolean new_machine;       /* the command made a new machine (reset, load, a replay): its publish starts the log again */

	/* The mailbox, under lock. */
	GMutex lock;
	GCond cond;
	gboolean loaded;            /* the first load finished (load_error says how) */
	GError *load_error;
	GQueue cmds;                /* QueuedCmd* */
	gboolean running;
	gboolean executing;
	gboolean replaying;         /* a "back" is replaying: Pause stops it (cancel) */
	guint64 replay_batch;       /* its steps, in instructions, and how often it shows progress */
	gint64 replay_show_us;
	gboolean ended;
	gboolean in_round;
	char *outcome_message;
	SimSnapshot *latest;        /* NULL once the UI took it */
	SimSnapRequest request;     /* the details the UI's panels want in snapshots */
	char *stats_text;
	char *stop_message;         /* where the last step stopped and why */
	GArray *new_bps;            /* breakpoints set by the UI, not yet seen by the sim thread */
	char *load_scenario;        /* CMD_LOAD's scenario, vendor and backend */
	SimVendor load_vendor;
	SimBackendKind load_backend;
	gboolean native;            /* what the machine runs on (sim_machine_backend_native) */
	char *backend_fallback;
	GuiRunnerTotals totals;     /* what free-running cost (gui_runner_get_totals) */
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

/* Steppable events are remembered for "back"; the history keeps the newest
 * GUI_RUNNER_HISTORY_MAX (older ones are dropped in halves). */
static void history_note(GuiRunner *r, const SimEvent *ev)
{
	for (guint i = 0; i < G_N_ELEMENTS(step_kinds); i++) {
		if (!sim_step_stop_matches(step_kinds[i], ev))
			continue;
		if (r->history->len >= GUI_RUNNER_HISTORY_MAX)
			g_array_remove_range(r->history, 0, GUI_RUNNER_HISTORY_MAX / 2);
		HistoryEntry h = { ev->seq, step_kinds[i] };
		g_array_append_val(r->history, h);
		return;
	}
}

static void sim_on_event(const SimEvent *ev, gpointer user_data)
{
	GuiRunner *r = user_data;
	r->last_seq = ev->seq;
	history_note(r, ev);
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
	SimConfig cfg = { .vendor = r->vendor, .backend = r->backend,
	                  .native_time_scale = r->backend == SIM_BACKEND_KVM ? r->time_scale : 0 };
	SimMachine *m = sim_machine_new(&cfg, error);
	if (!m)
		return NULL;
	if (!sim_load_scenario_or_image(m, r->scenario, error)) {
		sim_machine_free(m);
		return NULL;
	}
	/* Loaded: what the runner knew of the old machine goes (not before:
	 * a machine that fails to load leaves the old one, and its history,
	 * as they were); the new one's power-on events are the first. */
	g_queue_clear_full(&r->pending, g_free);
	r->pending_have_exit = FALSE;
	r->exits_seen = 0;
	memset(&r->io_intercepted, 0, sizeof r->io_intercepted);
	memset(&r->io_signals, 0, sizeof r->io_signals);
	g_array_set_size(r->history, 0);
	r->last_seq = r->at_seq = 0;
	*stats = sim_stats_new();
	sim_event_bus_subscribe(sim_machine_events(m), sim_stats_on_event, *stats);
	sim_event_bus_subscribe(sim_machine_events(m), sim_on_event, r);
	sim_machine_start(m);
	g_mutex_lock(&r->lock);
	r->native = sim_machine_backend_native(m);
	g_free(r->backend_fallback);
	r->backend_fallback = g_strdup(sim_machine_backend_fallback(m));
	g_mutex_unlock(&r->lock);
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
	r->in_round = sim_machine_in_round(r->m);
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

/* The calling thread's CPU time in us (the sim thread's, in sim_thread). */
static gint64 thread_cpu_us(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gboolean sim_quitting(GuiRunner *r)
{
	return g_atomic_int_get(&r->quit) != 0;
}

static void sim_apply_address_bps(GuiRunner *r);
static void set_stop_message(GuiRunner *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void stop_message_replace(GuiRunner *r, char *msg, gboolean show)
{
	g_mutex_lock(&r->lock);
	g_free(r->stop_message);
	r->stop_message = msg;
	if (show)
		r->version++;   /* the UI takes it now, not only with the command's publish */
	g_mutex_unlock(&r->lock);
}

static void set_stop_message(GuiRunner *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	stop_message_replace(r, msg, FALSE);
}

/* A fresh machine: the same scenario (reset), or the one CMD_LOAD names.
 * The old machine's unpublished events go; the new one's power-on events
 * (emitted while it is made) are the first of the log. */
static gboolean sim_reload(GuiRunner *r, gboolean load, const char *failed)
{
	char *old_scenario = NULL;
	SimVendor old_vendor = r->vendor;
	SimBackendKind old_backend = r->backend;
	gboolean old_native = r->native;
	char *old_fallback = g_strdup(r->backend_fallback);
	if (load) {
		g_mutex_lock(&r->lock);
		old_scenario = r->scenario;
		r->scenario = g_strdup(r->load_scenario);
		r->vendor = r->load_vendor;
		r->backend = r->load_backend;
		g_mutex_unlock(&r->lock);
	}
	g_autoptr(GError) error = NULL;
	SimStats *fresh_stats = NULL;
	SimMachine *fresh = sim_make_machine(r, &fresh_stats, &error);
	if (!fresh) {
		/* A scenario the UI offered failed to load: keep the old machine. */
		g_mutex_lock(&r->lock);
		if (old_scenario) {
			g_free(r->scenario);
			r->scenario = old_scenario;
			r->vendor = old_vendor;
			r->backend = old_backend;
			old_scenario = NULL;
		}
		r->native = old_native;
		g_free(r->backend_fallback);
		r->backend_fallback = g_steal_pointer(&old_fallback);
		g_mutex_unlock(&r->lock);
		set_stop_message(r, "%s: %s; the machine stays where it was", failed, error->message);
		return FALSE;
	}
	g_free(old_scenario);
	g_free(old_fallback);
	r->new_machine = TRUE;
	sim_machine_free(r->m);
	sim_stats_free(r->stats);
	r->m = fresh;
	r->stats = fresh_stats;
	sim_apply_address_bps(r);
	if (load && r->backend_fallback)
		set_stop_message(r, "Loaded %s (%s) on the emulator: the native backend is unavailable: %s", r->scenario,
		                 r->vendor == SIM_VENDOR_AMD ? "AMD-V" : "Intel VT-x", r->backend_fallback);
	else if (load)
		set_stop_message(r, "Loaded %s (%s, %s): the machine is at power-on", r->scenario,
		                 r->vendor == SIM_VENDOR_AMD ? "AMD-V" : "Intel VT-x", gui_backend_label(r->native));
	return TRUE;
}

static gboolean bp_matches(GuiRunner *r, const GuiBreakpoint *bp, const SimEvent *ev)
{
	if (bp->type != ev->type || (bp->partition && bp->partition != ev->partition))
		return FALSE;
	if (!bp->text[0])
		return TRUE;
	char what[320];
	gui_event_describe(ev, r->vendor, what, sizeof what);
	g_autofree char *hay = g_utf8_casefold(what, -1);
	g_autofree char *needle = g_utf8_casefold(bp->text, -1);
	return strstr(hay, needle) != NULL;
}

/* The precise step's predicate: the kind asked for, or a breakpoint. The
 * first match is described in r->hit. */
typedef struct PreciseMatch {
	GuiRunner *r;
	SimStepStop kind;
} PreciseMatch;

static bool sim_precise_match(const SimEvent *ev, gpointer user_data)
{
	PreciseMatch *pm = user_data;
	GuiRunner *r = pm->r;
	char what[320];
	if (pm->kind != SIM_STEP_STOP_NONE && sim_step_stop_matches(pm->kind, ev)) {
		gui_event_describe(ev, r->vendor, what, sizeof what);
		g_string_printf(r->hit, "Stopped right after event %" G_GUINT64_FORMAT " (p%u VP %u): %s", ev->seq,
		                ev->partition, ev->vp, what);
		r->at_seq = ev->seq;
		return true;
	}
	for (guint i = 0; r->bps && i < r->bps->len; i++) {
		const GuiBreakpoint *bp = &g_array_index(r->bps, GuiBreakpoint, i);
		if (!bp->address && bp_matches(r, bp, ev)) {
			gui_event_describe(ev, r->vendor, what, sizeof what);
			char where[32] = "";
			if (bp->partition)
				g_snprintf(where, sizeof where, " in partition %u", bp->partition);
			g_string_printf(r->hit, "Breakpoint %u (%s%s%s%s%s) hit at event %" G_GUINT64_FORMAT " (p%u VP %u): %s",
			                i + 1, sim_event_type_name(bp->type), where, bp->text[0] ? " matching \"" : "",
			                bp->text, bp->text[0] ? "\"" : "", ev->seq, ev->partition, ev->vp, what);
			r->at_seq = ev->seq;
			return true;
		}
	}
	return false;
}

/* The address breakpoints go to the machine (a new one gets them too). */
static void sim_apply_address_bps(GuiRunner *r)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(SimAddrBreakpoint));
	for (guint i = 0; r->bps && i < r->bps->len; i++) {
		const GuiBreakpoint *bp = &g_array_index(r->bps, GuiBreakpoint, i);
		if (bp->address) {
			SimAddrBreakpoint ab = { bp->partition, bp->rip };
			g_array_append_val(a, ab);
		}
	}
	sim_machine_set_breakpoints(r->m, (const SimAddrBreakpoint *)(void *)a->data, a->len);
	g_array_unref(a);
}

/* After a precise step: if an address breakpoint stopped it, say which. */
static void sim_check_address_bp(GuiRunner *r)
{
	SimAddrBreakpoint hit;
	if (r->hit->len || !sim_machine_breakpoint_hit(r->m, &hit))
		return;
	guint n = 0;
	for (guint i = 0; r->bps && i < r->bps->len; i++) {
		const GuiBreakpoint *bp = &g_array_index(r->bps, GuiBreakpoint, i);
		if (bp->address && bp->partition == hit.partition && bp->rip == hit.rip)
			n = i + 1;
	}
	g_string_printf(r->hit, "Breakpoint %u (partition %u, RIP 0x%" G_GINT64_MODIFIER "x) hit: the VP stands right before that instruction",
	                n, hit.partition, hit.rip);
	r->at_seq = 0;
}

/* The UI's newest breakpoints, if it set some since the last look. */
static void sim_take_breakpoints(GuiRunner *r)
{
	g_mutex_lock(&r->lock);
	GArray *fresh = g_steal_pointer(&r->new_bps);
	g_mutex_unlock(&r->lock);
	if (!fresh)
		return;
	g_clear_pointer(&r->bps, g_array_unref);
	r->bps = fresh;
	r->need_describe = FALSE;
	for (guint i = 0; i < fresh->len; i++)
		r->need_describe |= g_array_index(fresh, GuiBreakpoint, i).text[0] != 0;
	sim_apply_address_bps(r);
}

static void sim_note_stop(GuiRunner *r);

/* A precise step of `insns` instructions (0: none) or to the next event of
 * `kind` (SIM_STEP_STOP_NONE: none), breakpoints also stopping it; in
 * batches, publishing between them. Sets r->hit if an event stopped it. */
static void sim_run_precise(GuiRunner *r, guint64 insns, SimStepStop kind)
{
	sim_take_breakpoints(r);
	g_string_truncate(r->hit, 0);
	r->at_seq = 0;
	PreciseMatch pm = { r, kind };
	gboolean watch = kind != SIM_STEP_STOP_NONE || (r->bps && r->bps->len);
	guint64 left = insns;
	for (;;) {
		guint64 batch = left ? MIN(left, GUI_RUNNER_RUN_BATCH) : GUI_RUNNER_RUN_BATCH;
		guint64 before = sim_machine_insns(r->m);
		gboolean live = sim_machine_step_precise(r->m, batch, watch ? sim_precise_match : NULL, &pm);
		sim_check_address_bp(r);
		if (left)
			left -= MIN(left, sim_machine_insns(r->m) - before);
		if (!live || r->hit->len || sim_quitting(r) || (insns && !left))
			break;
		sim_publish(r, FALSE);
	}
	if (r->hit->len) {
		sim_note_stop(r);
		set_stop_message(r, "%s", r->hit->str);
	}
}

/* The machine stopped right after event r->at_seq: remember where. */
static void sim_note_stop(GuiRunner *r)
{
	if (!r->at_seq)
		return;
	guint64 *seq = g_new(guint64, 1), *insns = g_new(guint64, 1);
	*seq = r->at_seq;
	*insns = sim_machine_insns(r->m);
	g_hash_table_replace(r->stops, seq, insns);
}

/* Free-running: one batch; with breakpoints a precise one, and a hit pauses. */
static void sim_run_batch(GuiRunner *r)
{
	sim_take_breakpoints(r);
	if (!r->bps || !r->bps->len) {
		sim_machine_step(r->m, GUI_RUNNER_RUN_BATCH, SIM_STEP_STOP_NONE);
		r->at_seq = 0;
		return;
	}
	g_string_truncate(r->hit, 0);
	PreciseMatch pm = { r, SIM_STEP_STOP_NONE };
	sim_machine_step_precise(r->m, GUI_RUNNER_RUN_BATCH, sim_precise_match, &pm);
	sim_check_address_bp(r);
	if (r->hit->len) {
		sim_note_stop(r);
		g_mutex_lock(&r->lock);
		r->running = FALSE;
		g_mutex_unlock(&r->lock);
		set_stop_message(r, "%s", r->hit->str);
	} else {
		r->at_seq = 0;
	}
}

typedef struct ReplayMatch {
	guint64 target;
	gboolean seen;
} ReplayMatch;

static bool sim_replay_match(const SimEvent *ev, gpointer user_data)
{
	ReplayMatch *rm = user_data;
	if (ev->seq != rm->target)
		return false;
	rm->seen = TRUE;
	return true;
}

/* What a replay did. */
typedef enum ReplayResult {
	REPLAY_ARRIVED,      /* right after the target event */
	REPLAY_FAILED,       /* the machine could not be made again (the old one stays) */
	REPLAY_MISSED,       /* the machine ended without the event (the image changed?): it is at its end */
	REPLAY_STOPPED,      /* Pause (or quitting) stopped it on the way: the machine is wherever it got to */
} ReplayResult;

/* The progress of a replay, as the stop message, published without a
 * snapshot: the window keeps showing where it was until the replay is
 * done, and says how far the replay has got. */
static void sim_replay_progress(GuiRunner *r, guint64 target, guint64 goal_insns, guint attempt)
{
	guint64 at = sim_machine_insns(r->m);
	char how[160];
	if (goal_insns)
		g_snprintf(how, sizeof how, "%.1f of %.1f M instructions (%.0f %%)", at / 1e6, goal_insns / 1e6,
		           100.0 * (double)at / (double)goal_insns);
	else
		g_snprintf(how, sizeof how, "event %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " (%.0f %%), %.1f M instructions",
		           r->last_seq, target, 100.0 * (double)r->last_seq / (double)target, at / 1e6);
	stop_message_replace(r,
	                     g_strdup_printf("Going back to event %" G_GUINT64_FORMAT "%s: replaying from power-on, %s · "
	                                     "Pause stops it here",
	                                     target, attempt > 1 ? " (a further try)" : "", how),
	                     TRUE);
}

/* A fresh machine replayed from power-on to right after event `target`:
 * to the instruction count a step once stopped at after it, else to the
 * next instruction boundary after it. In batches (a precise step is
 * transparent: where it is cut changes nothing), with the progress
 * published between them and Pause or a quit stopping it. */
static ReplayResult sim_replay_to(GuiRunner *r, guint64 target, guint attempt)
{
	if (!sim_reload(r, FALSE, "Back could not replay from power-on"))
		return REPLAY_FAILED;
	/* The log starts again from power-on, as the replay re-emits it: the
	 * command's publish replaces it (until then the window keeps the old). */
	const guint64 *stop_insns = g_hash_table_lookup(r->stops, &target);
	guint64 goal = stop_insns ? *stop_insns : 0;
	ReplayMatch rm = { target, FALSE };
	g_mutex_lock(&r->lock);
	guint64 step = r->replay_batch;
	gint64 show_us = r->replay_show_us;
	g_mutex_unlock(&r->lock);
	gint64 shown = g_get_monotonic_time();
	for (;;) {
		/* The count alone does not say where: an instruction that exits
		 * does not retire, so before and after its exit the count is the
		 * same. To the count the forward step stood at, and to right after
		 * the event, whichever is later. */
		guint64 at = sim_machine_insns(r->m);
		gboolean short_of_goal = goal && at < goal;
		if (rm.seen && !short_of_goal)
			break;
		guint64 batch = short_of_goal ? MIN(goal - at, step) : step;
		gboolean live = sim_machine_step_precise(r->m, batch, rm.seen ? NULL : sim_replay_match, &rm);
		if (!live || (rm.seen && !(goal && sim_machine_insns(r->m) < goal)))
			break;   /* there (or ended before it, as a forward run would not: where it ended) */
		if (sim_quitting(r) || g_atomic_int_get(&r->cancel))
			return REPLAY_STOPPED;
		if (g_get_monotonic_time() - shown >= show_us) {
			sim_replay_progress(r, target, goal, attempt);
			shown = g_get_monotonic_time();
		}
	}
	if (!rm.seen)
		return REPLAY_MISSED;   /* no stop to remember there */
	r->at_seq = target;
	sim_note_stop(r);
	return REPLAY_ARRIVED;
}

#define GUI_BACK_TRIES 8u   /* replays "back" tries before it gives up */

/* Back to right after an earlier event of `kind` by deterministic replay:
 * a fresh machine runs from power-on to it and stops where a forward step
 * to it stopped (the machine is deterministic and a precise step is
 * transparent). No checkpoints: each replay costs the run up to there.
 * Several events may stand at one instruction boundary (a block's CPUID
 * exits, an exit and its hypercall); "back" goes to the newest event whose
 * position is strictly before the current one. */
static void sim_back_to(GuiRunner *r, SimStepStop kind)
{
	gint64 t0 = g_get_monotonic_time();
	guint64 from = sim_machine_insns(r->m), from_at = r->at_seq, from_last = r->last_seq;
	/* The candidates, newest first, copied: each replay rebuilds the history. */
	GArray *cands = g_array_new(FALSE, FALSE, sizeof(guint64));
	for (guint i = r->history->len; i > 0 && cands->len < GUI_BACK_TRIES; i--) {
		const HistoryEntry *h = &g_array_index(r->history, HistoryEntry, i - 1);
		if (h->kind == kind && h->seq <= from_last && h->seq != from_at)
			g_array_append_val(cands, h->seq);
	}
	guint64 landed = 0, going = 0;
	ReplayResult res = REPLAY_ARRIVED;   /* (no candidate: no replay, nothing went wrong) */
	g_mutex_lock(&r->lock);
	r->replaying = TRUE;
	g_mutex_unlock(&r->lock);
	for (guint i = 0; i < cands->len && !sim_quitting(r); i++) {
		going = g_array_index(cands, guint64, i);
		res = sim_replay_to(r, going, i + 1);
		if (res != REPLAY_ARRIVED)
			break;
		if (sim_machine_insns(r->m) < from) {
			landed = going;
			break;
		}
	}
	g_mutex_lock(&r->lock);
	r->replaying = FALSE;
	g_mutex_unlock(&r->lock);
	g_atomic_int_set(&r->cancel, 0);
	g_array_unref(cands);
	if (res == REPLAY_STOPPED) {
		set_stop_message(r, "Back stopped by Pause at %" G_GUINT64_FORMAT " instructions, on the way from power-on to "
		                 "event %" G_GUINT64_FORMAT " (after %.2f s): the machine is there now",
		                 sim_machine_insns(r->m), going, (double)(g_get_monotonic_time() - t0) / 1e6);
		return;
	}
	if (res == REPLAY_FAILED)
		return;   /* the machine could not be made again: sim_reload said why */
	if (res == REPLAY_MISSED) {
		set_stop_message(r, "Back: the replay from power-on ended at %" G_GUINT64_FORMAT " instructions without event %"
		                 G_GUINT64_FORMAT " (has the image changed since it was loaded?); the machine is at that end now",
		                 sim_machine_insns(r->m), going);
		return;
	}
	if (!landed) {
		set_stop_message(r, "No earlier %s to go back to (the history holds the last %u steppable events)",
		                 gui_step_kind_name(kind), GUI_RUNNER_HISTORY_MAX);
		return;
	}
	char what[320] = "";
	for (GList *l = r->pending.tail; l; l = l->prev) {
		const SimEvent *ev = l->data;
		if (ev->seq == landed) {
			gui_event_describe(ev, r->vendor, what, sizeof what);
			break;
		}
	}
	set_stop_message(r, "Back right after event %" G_GUINT64_FORMAT ": %s (replayed from power-on in %.2f s)", landed,
	                 what[0] ? what : gui_step_kind_name(kind), (double)(g_get_monotonic_time() - t0) / 1e6);
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
	case CMD_RESET:
		if (sim_reload(r, FALSE, "Could not reset")) {
			g_hash_table_remove_all(r->stops);
			set_stop_message(r, "Reset: the machine is at power-on");
		}
		break;
	case CMD_REFRESH:
		break;   /* nothing to run: the publish that follows every command is the point */
	case CMD_STEP_INSN: {
		guint64 before = sim_machine_insns(r->m);
		sim_run_precise(r, c->arg, SIM_STEP_STOP_NONE);
		if (!r->hit->len)
			set_stop_message(r, "Stepped %" G_GUINT64_FORMAT " instruction%s (now at %" G_GUINT64_FORMAT ")",
			                 sim_machine_insns(r->m) - before, sim_machine_insns(r->m) - before == 1 ? "" : "s",
			                 sim_machine_insns(r->m));
		break;
	}
	case CMD_STEP_TO:
		sim_run_precise(r, 0, (SimStepStop)c->arg);
		if (!r->hit->len)
			set_stop_message(r, "No %s before the end of the run", gui_step_kind_name((SimStepStop)c->arg));
		break;
	case CMD_BACK_TO: {
		const char *why = NULL;
		if (gui_backend_can_step_back(r->native, &why))
			sim_back_to(r, (SimStepStop)c->arg);
		else
			set_stop_message(r, "%s", why);
		break;
	}
	case CMD_LOAD:
		if (sim_reload(r, TRUE, "Could not load"))
			g_hash_table_remove_all(r->stops);
		break;
	}
}

static gpointer sim_thread(gpointer data)
{
	GuiRunner *r = data;
	GError *error = NULL;

	/* The UI's frames first: the machine takes what they leave (where
	 * the thread's priority cannot be changed, it runs as before). */
	(void)gui_thread_set_background();
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
		if (r->ended && c.cmd != CMD_RESET && c.cmd != CMD_REFRESH && c.cmd != CMD_BACK_TO && c.cmd != CMD_LOAD) {
			r->version++;   /* nothing left to run; no longer busy */
			g_cond_broadcast(&r->cond);   /* gui_runner_wait_idle */
			continue;
		}
		r->executing = TRUE;
		g_mutex_unlock(&r->lock);

		gint64 wall0 = g_get_monotonic_time(), cpu0 = thread_cpu_us();
		guint64 insns0 = sim_machine_insns(r->m);
		r->new_machine = FALSE;
		if (batch)
			sim_run_batch(r);
		else
			sim_execute(r, &c);
		sim_publish(r, r->new_machine && !batch);

		g_mutex_lock(&r->lock);
		if (batch) {
			r->totals.insns += sim_machine_insns(r->m) - insns0;
			r->totals.wall_us += g_get_monotonic_time() - wall0;
			r->totals.cpu_us += thread_cpu_us() - cpu0;
			r->totals.batches++;
		}
		r->executing = FALSE;
		r->version++;   /* no longer busy */
		g_cond_broadcast(&r->cond);   /* gui_runner_wait_idle */
	}
	g_mutex_unlock(&r->lock);
	return NULL;
}

/* ---- UI thread ------------------------------------------------------------------ */

GuiRunner *gui_runner_new(const char *scenario, SimVendor vendor, GError **error)
{
	GuiRunnerSetup setup = { .scenario = scenario, .vendor = vendor, .backend = SIM_BACKEND_EMULATED };
	return gui_runner_new_full(&setup, error);
}

GuiRunner *gui_runner_new_full(const GuiRunnerSetup *setup, GError **error)
{
	g_return_val_if_fail(setup != NULL && setup->scenario != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	GuiRunner *r = g_new0(GuiRunner, 1);
	r->scenario = g_strdup(setup->scenario);
	r->vendor = setup->vendor;
	r->backend = setup->backend;
	r->time_scale = setup->native_time_scale;
	g_mutex_init(&r->lock);
	g_cond_init(&r->cond);
	g_queue_init(&r->pending);
	g_queue_init(&r->cmds);
	g_queue_init(&r->events);
	r->history = g_array_new(FALSE, FALSE, sizeof(HistoryEntry));
	r->stops = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	r->replay_batch = GUI_RUNNER_REPLAY_BATCH;
	r->replay_show_us = GUI_RUNNER_REPLAY_SHOW_US;
	r->hit = g_string_new(NULL);
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
	g_array_unref(r->history);
	g_hash_table_destroy(r->stops);
	g_string_free(r->hit, TRUE);
	g_clear_pointer(&r->bps, g_array_unref);
	g_clear_pointer(&r->new_bps, g_array_unref);
	g_free(r->stop_message);
	g_free(r->load_scenario);
	g_free(r->backend_fallback);
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
	if (r->replaying) {
		/* Pause or the toggle (the window's Run/Pause button, Space)
		 * during a "back": the replay stops where it got to, and the
		 * machine stays paused there. A plain run (the animation letting
		 * a held machine go on) neither stops it nor runs after it. */
		if (how != 1)
			g_atomic_int_set(&r->cancel, 1);
		r->running = FALSE;
	}
	r->version++;
	g_cond_broadcast(&r->cond);
	g_mutex_unlock(&r->lock);
}

void gui_runner_set_replay_pace(GuiRunner *r, guint64 batch_insns, gint64 show_us)
{
	g_return_if_fail(r != NULL && batch_insns > 0 && show_us >= 0);
	g_mutex_lock(&r->lock);
	r->replay_batch = batch_insns;
	r->replay_show_us = show_us;
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

void gui_runner_step_insn(GuiRunner *r, guint64 n)
{
	g_return_if_fail(n > 0);
	queue_cmd(r, CMD_STEP_INSN, n);
}

void gui_runner_step_to(GuiRunner *r, SimStepStop kind)
{
	g_return_if_fail(kind != SIM_STEP_STOP_NONE);
	queue_cmd(r, CMD_STEP_TO, kind);
}

void gui_runner_back_to(GuiRunner *r, SimStepStop kind)
{
	g_return_if_fail(kind != SIM_STEP_STOP_NONE);
	queue_cmd(r, CMD_BACK_TO, kind);
}

void gui_runner_load_backend(GuiRunner *r, const char *scenario, SimVendor vendor, SimBackendKind backend)
{
	g_return_if_fail(r != NULL && scenario != NULL);
	g_mutex_lock(&r->lock);
	g_free(r->load_scenario);
	r->load_scenario = g_strdup(scenario);
	r->load_vendor = vendor;
	r->load_backend = backend;
	g_mutex_unlock(&r->lock);
	queue_cmd(r, CMD_LOAD, 0);
}

void gui_runner_load(GuiRunner *r, const char *scenario, SimVendor vendor)
{
	g_return_if_fail(r != NULL && scenario != NULL);
	g_mutex_lock(&r->lock);
	SimBackendKind backend = r->backend;
	g_mutex_unlock(&r->lock);
	gui_runner_load_backend(r, scenario, vendor, backend);
}

void gui_runner_set_breakpoints(GuiRunner *r, const GuiBreakpoint *bps, guint n)
{
	g_return_if_fail(r != NULL && (bps != NULL || n == 0));
	GArray *a = g_array_sized_new(FALSE, FALSE, sizeof(GuiBreakpoint), n);
	g_array_append_vals(a, bps, n);
	g_mutex_lock(&r->lock);
	g_clear_pointer(&r->new_bps, g_array_unref);
	r->new_bps = a;
	g_mutex_unlock(&r->lock);
}

const char *gui_step_kind_name(SimStepStop kind)
{
	switch (kind) {
	case SIM_STEP_STOP_VM_EXIT:   return "VM exit";
	case SIM_STEP_STOP_HYPERCALL: return "hypercall";
	case SIM_STEP_STOP_INTERCEPT: return "intercept";
	case SIM_STEP_STOP_VMBUS:     return "VMBus message";
	case SIM_STEP_STOP_INTERRUPT: return "interrupt";
	case SIM_STEP_STOP_RING:      return "ring transition";
	case SIM_STEP_STOP_CONSOLE:   return "console line";
	case SIM_STEP_STOP_NONE:      break;
	}
	return "event";
}

void gui_runner_get_totals(GuiRunner *r, GuiRunnerTotals *out)
{
	g_return_if_fail(r != NULL && out != NULL);
	g_mutex_lock(&r->lock);
	*out = r->totals;
	g_mutex_unlock(&r->lock);
}

void gui_runner_wait_idle(GuiRunner *r)
{
	g_return_if_fail(r != NULL);
	g_mutex_lock(&r->lock);
	while (!sim_quitting(r) && (r->executing || !g_queue_is_empty(&r->cmds) || (r->running && !r->ended)))
		g_cond_wait(&r->cond, &r->lock);
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
	s->replaying = r->replaying;
	s->ended = r->ended;
	s->outcome_message = g_strdup(r->outcome_message);
	s->scenario = g_strdup(r->scenario);
	s->stats = g_strdup(r->stats_text);
	s->stop_message = g_strdup(r->stop_message);
	s->in_round = r->in_round;
	s->vendor = r->vendor;
	s->native = r->native;
	s->backend_fallback = g_strdup(r->backend_fallback);
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
	g_free(s->stop_message);
	g_free(s->backend_fallback);
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
		if (ev->u.exit.rip_lost) {
			/* Natively on AMD, KVM reset the vCPU before hvsim saw it. */
			g_snprintf(buf, len, "VM exit: %s (RIP not observable: the backend lost the guest's state)",
			           vmx_exit_reason_name(basic));
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
