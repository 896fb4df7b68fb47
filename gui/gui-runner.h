/* gui-runner.h — the machine on its own thread, for the GUI. The runner
 * owns the SimMachine and touches it only on its sim thread; the UI sends
 * commands (run, pause, step, reset) and takes published state: the latest
 * SimSnapshot and a bounded ring of recent events. Nothing here blocks on
 * the machine, so the UI thread never waits for a step. GLib only, no GTK
 * (tests drive it headlessly). */
#ifndef HVSIM_GUI_RUNNER_H
#define HVSIM_GUI_RUNNER_H

#include <glib.h>

#include "sim-machine.h"
#include "sim-snapshot.h"

G_BEGIN_DECLS

#define GUI_RUNNER_EVENTS_MAX 2000u   /* the event ring: a bound, not a history */
#define GUI_RUNNER_RUN_BATCH  UINT64_C(400000) /* instructions between published snapshots while running */
#define GUI_RUNNER_HISTORY_MAX 1000000u  /* steppable events remembered for stepping back */
#define GUI_BREAKPOINT_TEXT_MAX 64

/* A breakpoint on an event: a kind, optionally a partition and a piece of
 * the event's description (any case), e.g. vm_exit in partition 2
 * matching "I/O instruction". The run pauses right after a matching
 * event (at the next instruction boundary). Or, with `address` set, on a
 * guest address: the run pauses right before a VP of `partition` (needed)
 * executes the instruction at `rip`. */
typedef struct GuiBreakpoint {
	SimEventType type;
	uint32_t partition;                  /* 0: any (events only) */
	char text[GUI_BREAKPOINT_TEXT_MAX];  /* "": any */
	gboolean address;
	guint64 rip;
} GuiBreakpoint;

typedef struct GuiRunner GuiRunner;

/* What the UI reads: a copy it owns (free with gui_runner_state_free). */
typedef struct GuiRunnerState {
	SimSnapshot *snap;          /* the latest snapshot (never NULL) */
	GArray *events;             /* of SimEvent, oldest first, at most the count asked for */
	SimEvent last_exit;         /* the last VM exit (valid if have_exit) */
	gboolean have_exit;
	gboolean running;           /* free-running (Run pressed) */
	gboolean busy;              /* a command is executing or queued */
	gboolean replaying;         /* a "back" is replaying from power-on: the snapshot and `ended`
	                             * are still those of where it started; Pause/toggle stop it */
	gboolean ended;             /* the machine finished; outcome_message says how */
	char *outcome_message;      /* NULL until ended */
	char *scenario;
	char *stats;                /* the run's statistics so far (the CLI's summary) */
	char *stop_message;         /* where the last step or breakpoint stopped, and why (NULL: none yet) */
	gboolean in_round;          /* the machine stands inside a scheduler round (a precise step) */
	SimVendor vendor;           /* the machine's vendor flavour (a load may change it) */
	gboolean native;            /* the machine runs on KVM (docs/native.md), not the emulator */
	char *backend_fallback;     /* KVM was asked for but the probe failed: why (NULL otherwise) */
	guint64 version;            /* changes whenever something was published */
} GuiRunnerState;

/* What the runner's machines are made with. */
typedef struct GuiRunnerSetup {
	const char *scenario;         /* a built-in name or an ELF path */
	SimVendor vendor;
	/* SIM_BACKEND_KVM: natively when the capability probe passes, else on
	 * the emulator (the state's backend_fallback says why). Natively there
	 * is no step back (gui_runner_back_to refuses: no deterministic replay). */
	SimBackendKind backend;
	uint32_t native_time_scale;   /* SimConfig's: natively, the guests' clock at host time / N (0: real time) */
} GuiRunnerSetup;

/* Starts the sim thread and loads the scenario into a new machine there;
 * waits for the load only. */
GuiRunner *gui_runner_new_full(const GuiRunnerSetup *setup, GError **error);
/* The same on the emulator. */
GuiRunner *gui_runner_new(const char *scenario, SimVendor vendor, GError **error);
/* Stops the thread (after the current step) and frees the machine. */
void gui_runner_free(GuiRunner *r);

void gui_runner_run(GuiRunner *r);          /* run freely, publishing every batch */
void gui_runner_pause(GuiRunner *r);
void gui_runner_toggle(GuiRunner *r);       /* run if paused, pause if running */
void gui_runner_step(GuiRunner *r);         /* one scheduler round (one slice per VP) */
void gui_runner_step_exit(GuiRunner *r);    /* to the end of the round with the next VM exit */
void gui_runner_until_insns(GuiRunner *r, guint64 insns); /* until the machine retired that many */
void gui_runner_reset(GuiRunner *r);        /* a fresh machine with the same scenario */
/* Precise steps (sim_machine_step_precise): they stop at an instruction
 * boundary, inside a round if need be. */
void gui_runner_step_insn(GuiRunner *r, guint64 n);       /* exactly n guest instructions */
void gui_runner_step_to(GuiRunner *r, SimStepStop kind);  /* right after the next event of that kind */
/* Reverse: back to right after the previous event of that kind, by
 * replaying the scenario from power-on (deterministic) to it. Natively
 * (KVM) it does nothing but say why in the stop message. The replay runs
 * in steps; between them the stop message says how far it got ("Going
 * back to event N: replaying from power-on, ... %"), published without a
 * snapshot (the window keeps showing where it was), and Pause or toggle
 * stops it where it got to: the machine is then there, paused (a plain
 * run meanwhile is ignored). */
void gui_runner_back_to(GuiRunner *r, SimStepStop kind);
#define GUI_RUNNER_REPLAY_BATCH   UINT64_C(4000000)      /* a replay's steps, in instructions (0.1-0.3 s of boot) */
#define GUI_RUNNER_REPLAY_SHOW_US (G_USEC_PER_SEC / 5)   /* its progress at most this often */
/* Another pace for the replay (tests): steps of `batch_insns` (> 0), the
 * progress shown at most every `show_us` (0: after every step). */
void gui_runner_set_replay_pace(GuiRunner *r, guint64 batch_insns, gint64 show_us);
/* A fresh machine with another scenario (a built-in name or an ELF path)
 * or vendor; if it does not load, the old machine stays and the stop
 * message says why. */
void gui_runner_load(GuiRunner *r, const char *scenario, SimVendor vendor);
/* The same, also choosing the backend (the runner's time scale stays). */
void gui_runner_load_backend(GuiRunner *r, const char *scenario, SimVendor vendor, SimBackendKind backend);
/* Replaces the breakpoints (copied); they apply from the next command or
 * batch on: Run pauses at one, steps stop at one. */
void gui_runner_set_breakpoints(GuiRunner *r, const GuiBreakpoint *bps, guint n);
/* "VM exit", "hypercall", ... for labels. */
const char *gui_step_kind_name(SimStepStop kind);
/* The details (sim-snapshot.h) every published snapshot should carry from
 * now on; publishes once more with them, without pausing or stepping. */
void gui_runner_set_request(GuiRunner *r, const SimSnapRequest *req);

/* What free-running cost so far, over the runner's life (every machine it
 * made): the instructions its batches retired and the time the sim thread
 * spent in them, each batch counted from its start to the end of the
 * publish that follows it (so the snapshot the UI gets is in it). Only
 * free-running batches count: steps, resets and loads do not. `wall_us`
 * is monotonic time, `cpu_us` the sim thread's own CPU time in the same
 * spans (less than wall when the thread waited for a core). For the
 * window bench (gui-window-bench.c). */
typedef struct GuiRunnerTotals {
	guint64 insns;
	gint64 wall_us, cpu_us;
	guint64 batches;
} GuiRunnerTotals;
void gui_runner_get_totals(GuiRunner *r, GuiRunnerTotals *out);
/* Blocks until the sim thread is idle: no command executing or queued and
 * not free-running (pause first, or it waits for the machine's end). */
void gui_runner_wait_idle(GuiRunner *r);

/* The published state if its version differs from *version (which is then
 * updated), else NULL. At most `max_events` of the newest events. Never blocks
 * for longer than a copy. */
GuiRunnerState *gui_runner_take(GuiRunner *r, guint64 *version, guint max_events);
void gui_runner_state_free(GuiRunnerState *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GuiRunnerState, gui_runner_state_free)

/* One line for the event log: "partition, kind: what" (no seq). */
void gui_event_describe(const SimEvent *ev, SimVendor vendor, char *buf, gsize len);

G_END_DECLS

#endif /* HVSIM_GUI_RUNNER_H */
