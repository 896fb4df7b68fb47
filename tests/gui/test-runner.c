/* test-runner.c — the GUI's runner headlessly (no display): the machine on
 * its sim thread, driven by commands and read through published state only.
 * Steps to the next VM exit, runs to the end, resets; checks the event ring
 * stays bounded and ordered and that the snapshot follows. Host test
 * program (this thread plays the UI thread). */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "gui-runner.h"
#include "gui-thread.h"
#include "hv-tlfs.h"
#include "vmx-defs.h"
#include "x86-arch.h"

#define WAIT_LIMIT_US (60 * G_USEC_PER_SEC)

/* Polls the runner as the UI does until it is idle (not busy); returns the
 * last state (which carries the newest snapshot seen). */
static GuiRunnerState *wait_idle(GuiRunner *r, guint64 *version, SimSnapshot **snap)
{
	gint64 deadline = g_get_monotonic_time() + WAIT_LIMIT_US;
	GuiRunnerState *last = NULL;
	for (;;) {
		GuiRunnerState *s = gui_runner_take(r, version, GUI_RUNNER_EVENTS_MAX);
		if (s) {
			if (s->snap) {
				g_clear_pointer(snap, sim_snapshot_free);
				*snap = g_steal_pointer(&s->snap);
			}
			g_clear_pointer(&last, gui_runner_state_free);
			last = s;
			if (!s->busy)
				return last;
		}
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_usleep(2000);
	}
}

static void check_ring(const GuiRunnerState *s)
{
	g_assert_cmpuint(s->events->len, <=, GUI_RUNNER_EVENTS_MAX);
	for (guint i = 1; i < s->events->len; i++)
		g_assert_cmpuint(g_array_index(s->events, SimEvent, i).seq, ==,
		                 g_array_index(s->events, SimEvent, i - 1).seq + 1);
}

/* The VP panel's data: the exiting VP's VMCS holds the exit the event
 * reported, its registers were taken, and the code at both RIPs decodes. */
static void check_exit_vp(const SimSnapshot *snap, const SimEvent *ex)
{
	const SimSnapPartition *p = sim_snapshot_partition(snap, ex->partition);
	g_assert_nonnull(p);
	g_assert_cmpuint(ex->vp, <, p->n_vps);
	const SimSnapVp *vp = &p->vps[ex->vp];
	g_assert_true(vp->vmcs.valid);
	g_assert_cmpuint(vp->vmcs.exit_reason & VMX_EXIT_REASON_BASIC_MASK, ==,
	                 ex->u.exit.reason & VMX_EXIT_REASON_BASIC_MASK);
	g_assert_cmphex(vp->vmcs.guest_rip, ==, ex->u.exit.rip);
	g_assert_cmpuint(vp->vmcs.code_len, >, 0);
	g_assert_cmpuint(vp->code_len, >, 0);
	g_assert_cmpint(vp->mode, ==, SIM_SNAP_MODE_LONG);
	g_assert_true(vp->rflags & X86_RFLAGS_FIXED);
	g_autofree char *exiting = sim_snap_disasm(vp->vmcs.code, vp->vmcs.code_len, vp->vmcs.guest_rip, vp->mode, 1);
	g_assert_cmpstr(exiting, !=, "");
	g_autofree char *at_rip = sim_snap_disasm(vp->code, vp->code_len, vp->rip, vp->mode, 4);
	g_assert_cmpstr(at_rip, !=, "");
	char hex[24];
	g_snprintf(hex, sizeof hex, "0x%016" G_GINT64_MODIFIER "x", vp->rip);
	g_assert_true(g_str_has_prefix(at_rip, hex));
}

/* A runner on `scenario` that must load. */
static GuiRunner *runner_new_ok(const char *scenario, SimVendor vendor)
{
	g_autoptr(GError) error = NULL;
	GuiRunner *r = gui_runner_new(scenario, vendor, &error);
	g_assert_no_error(error);
	g_assert_nonnull(r);
	return r;
}

/* The nice value of this process's thread named `name` (Linux: from
 * /proc/self/task/TID/stat), or G_MININT if there is none. */
static int thread_nice_named(const char *name)
{
	g_autoptr(GDir) dir = g_dir_open("/proc/self/task", 0, NULL);
	if (!dir)
		return G_MININT;
	const char *tid;
	while ((tid = g_dir_read_name(dir))) {
		g_autofree char *comm_path = g_strdup_printf("/proc/self/task/%s/comm", tid);
		g_autofree char *stat_path = g_strdup_printf("/proc/self/task/%s/stat", tid);
		g_autofree char *comm = NULL, *stat = NULL;
		if (!g_file_get_contents(comm_path, &comm, NULL, NULL) || strcmp(g_strstrip(comm), name) != 0 ||
		    !g_file_get_contents(stat_path, &stat, NULL, NULL))
			continue;
		const char *rest = strrchr(stat, ')');   /* the name may hold spaces */
		g_assert_nonnull(rest);
		g_auto(GStrv) f = g_strsplit(rest + 2, " ", 0);
		g_assert_cmpuint(g_strv_length(f), >, 16);
		return atoi(f[16]);   /* field 19, nice; f[0] is field 3 */
	}
	return G_MININT;
}

/* The machine's thread leaves the UI thread the first claim on a core. */
static void test_runner_background(void)
{
	GuiRunner *r = runner_new_ok("boot", SIM_VENDOR_INTEL);
	guint64 version = 0;
	SimSnapshot *snap = NULL;
	gui_runner_state_free(wait_idle(r, &version, &snap));
	int ui = gui_thread_nice(), sim = thread_nice_named("hvsim-sim");
	g_test_message("nice: this thread %d, the machine's %d", ui, sim);
	if (ui + GUI_THREAD_BACKGROUND_NICE > GUI_THREAD_NICE_MAX) {
		g_test_skip("this test runs too nice already to see the machine's thread go nicer");
		g_clear_pointer(&snap, sim_snapshot_free);
		gui_runner_free(r);
		return;
	}
	g_assert_cmpint(sim, ==, ui + GUI_THREAD_BACKGROUND_NICE);
	g_assert_cmpint(gui_thread_nice(), ==, ui);   /* this thread's is untouched */
	g_clear_pointer(&snap, sim_snapshot_free);
	gui_runner_free(r);
}

static void test_runner_boot(void)
{
	GuiRunner *r = runner_new_ok("boot", SIM_VENDOR_INTEL);
	guint64 version = 0;
	SimSnapshot *snap = NULL;

	/* Power-on: partition started, nothing run, no hypervisor, no exit. */
	GuiRunnerState *s = wait_idle(r, &version, &snap);
	g_assert_nonnull(snap);
	g_assert_false(snap->hv_launched);
	g_assert_cmpuint(snap->insns, ==, 0);
	g_assert_false(s->have_exit);
	g_assert_cmpuint(s->events->len, >, 0);
	gui_runner_state_free(s);

	/* To the round with the first VM exit. */
	gui_runner_step_exit(r);
	s = wait_idle(r, &version, &snap);
	g_assert_true(s->have_exit);
	g_assert_cmpint(s->last_exit.type, ==, SIM_EV_VM_EXIT);
	g_assert_true(snap->hv_launched);
	g_assert_cmpuint(snap->insns, >, 0);
	g_assert_false(s->ended);
	check_ring(s);
	/* The exit is among the events published, at its seq. */
	gboolean found = FALSE;
	for (guint i = 0; i < s->events->len; i++)
		found |= g_array_index(s->events, SimEvent, i).seq == s->last_exit.seq;
	g_assert_true(found);
	check_exit_vp(snap, &s->last_exit);
	uint64_t exit_seq = s->last_exit.seq;
	uint64_t insns = snap->insns;
	gui_runner_state_free(s);

	/* One step moves on by one round. */
	gui_runner_step(r);
	s = wait_idle(r, &version, &snap);
	g_assert_cmpuint(snap->insns, >, insns);
	g_assert_cmpuint(snap->insns - insns, <=, 4 * SIM_SLICE_INSNS);
	gui_runner_state_free(s);

	/* Run to the end: the scenario shuts down cleanly. */
	gui_runner_run(r);
	s = wait_idle(r, &version, &snap);
	g_assert_true(s->ended);
	g_assert_false(s->running);
	g_assert_nonnull(s->outcome_message);
	g_assert_nonnull(strstr(s->outcome_message, "shut down cleanly"));
	g_assert_cmpuint(s->events->len, ==, GUI_RUNNER_EVENTS_MAX);  /* a ring: the boot emits far more */
	/* The statistics are the CLI's summary of the whole run. */
	g_assert_nonnull(s->stats);
	g_assert_nonnull(strstr(s->stats, "VM exits:"));
	g_assert_nonnull(strstr(s->stats, "HvCallCreatePartition"));
	/* World switches per intercepted I/O: the child's exit and at least
	 * the parent's completion hypercall for every access. */
	const char *per = strstr(s->stats, "per I/O intercept (emulated)");
	g_assert_nonnull(per);
	double sw = g_ascii_strtod(per + strlen("per I/O intercept (emulated)"), NULL);
	g_assert_cmpfloat(sw, >=, 2.0);
	g_assert_cmpfloat(sw, <, 100.0);
	g_assert_cmpuint(s->last_exit.seq, >, exit_seq);
	check_ring(s);
	gui_runner_state_free(s);

	/* Reset: power-on again. */
	gui_runner_reset(r);
	s = wait_idle(r, &version, &snap);
	g_assert_false(s->ended);
	g_assert_false(s->have_exit);
	g_assert_null(s->outcome_message);
	g_assert_cmpuint(snap->insns, ==, 0);
	g_assert_false(snap->hv_launched);
	g_assert_cmpuint(g_array_index(s->events, SimEvent, 0).seq, ==, 1);
	g_assert_null(strstr(s->stats, "HvCallCreatePartition"));   /* fresh counters */
	g_assert_null(strstr(s->stats, "per I/O intercept"));
	gui_runner_state_free(s);

	sim_snapshot_free(snap);
	gui_runner_free(r);
}

/* The panels' request: details appear in the next published snapshot
 * without a step, and go again when no longer asked for. */
static void test_runner_request(void)
{
	GuiRunner *r = runner_new_ok("boot", SIM_VENDOR_INTEL);
	guint64 version = 0;
	SimSnapshot *snap = NULL;
	gui_runner_until_insns(r, 2000000);
	gui_runner_state_free(wait_idle(r, &version, &snap));
	g_assert_null(snap->partitions[0].console);
	guint64 insns = snap->insns;

	SimSnapRequest req = { .detail = SIM_SNAP_DETAIL_CONSOLES | SIM_SNAP_DETAIL_MEMORY, .mem_partition = 1,
	                       .mem_gpa = 0x100000, .mem_len = 16 };
	gui_runner_set_request(r, &req);
	gui_runner_state_free(wait_idle(r, &version, &snap));
	g_assert_cmpuint(snap->insns, ==, insns);   /* published again, not stepped */
	g_assert_nonnull(snap->partitions[0].console);
	g_assert_cmpuint(snap->memory.len, ==, 16);

	SimSnapRequest none = { 0 };
	gui_runner_set_request(r, &none);
	gui_runner_state_free(wait_idle(r, &version, &snap));
	g_assert_null(snap->partitions[0].console);
	g_assert_false(snap->memory.asked);
	sim_snapshot_free(snap);
	gui_runner_free(r);
}

static void test_runner_bad_scenario(void)
{
	g_autoptr(GError) error = NULL;
	GuiRunner *r = gui_runner_new("no-such-scenario", SIM_VENDOR_INTEL, &error);
	g_assert_null(r);
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, "no-such-scenario"));
}

static void test_runner_free_while_running(void)
{
	GuiRunner *r = runner_new_ok("boot", SIM_VENDOR_AMD);
	gui_runner_run(r);
	g_usleep(20000);
	gui_runner_free(r);   /* joins after the current batch; nothing leaks or hangs */
}

/* Single instructions: each retires exactly one, inside a round. */
static void test_runner_step_insn(void)
{
	GuiRunner *r = runner_new_ok("boot", SIM_VENDOR_INTEL);
	guint64 version = 0;
	SimSnapshot *snap = NULL;
	gui_runner_state_free(wait_idle(r, &version, &snap));
	for (guint64 i = 1; i <= 3; i++) {
		gui_runner_step_insn(r, 1);
		GuiRunnerState *s = wait_idle(r, &version, &snap);
		g_assert_cmpuint(snap->insns, ==, i);
		g_assert_true(s->in_round);
		g_assert_nonnull(s->stop_message);
		g_assert_nonnull(strstr(s->stop_message, "Stepped 1 instruction"));
		gui_runner_state_free(s);
	}
	sim_snapshot_free(snap);
	gui_runner_free(r);
}

/* The newest event of a type in a published state, or NULL. */
static const SimEvent *newest_of(const GuiRunnerState *s, SimEventType type)
{
	for (guint i = s->events->len; i > 0; i--)
		if (g_array_index(s->events, SimEvent, i - 1).type == type)
			return &g_array_index(s->events, SimEvent, i - 1);
	return NULL;
}

/* To the next event of each kind; the stop message names it. */
static void test_runner_step_to(void)
{
	GuiRunner *r = runner_new_ok("boot", SIM_VENDOR_INTEL);
	guint64 version = 0;
	SimSnapshot *snap = NULL;
	gui_runner_state_free(wait_idle(r, &version, &snap));
	static const struct { SimStepStop kind; SimEventType type; } kinds[] = {
		{ SIM_STEP_STOP_RING, SIM_EV_RING },
		{ SIM_STEP_STOP_VM_EXIT, SIM_EV_VM_EXIT },
		{ SIM_STEP_STOP_HYPERCALL, SIM_EV_HYPERCALL },
		{ SIM_STEP_STOP_INTERRUPT, SIM_EV_INTERRUPT },
		{ SIM_STEP_STOP_INTERCEPT, SIM_EV_INTERCEPT },
		{ SIM_STEP_STOP_VMBUS, SIM_EV_VMBUS },
	};
	guint64 last_seq = 0;
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		gui_runner_step_to(r, kinds[i].kind);
		GuiRunnerState *s = wait_idle(r, &version, &snap);
		g_assert_false(s->ended);
		const SimEvent *ev = newest_of(s, kinds[i].type);
		g_assert_nonnull(ev);
		g_assert_cmpuint(ev->seq, >, last_seq);
		last_seq = ev->seq;
		g_autofree char *at = g_strdup_printf("right after event %" G_GUINT64_FORMAT " ", ev->seq);
		g_assert_nonnull(s->stop_message);
		g_assert_nonnull(strstr(s->stop_message, at));
		gui_runner_state_free(s);
	}
	sim_snapshot_free(snap);
	gui_runner_free(r);
}

/* An event breakpoint pauses a free run right after the event and says so. */
static void test_runner_breakpoint(void)
{
	GuiRunner *r = runner_new_ok("boot", SIM_VENDOR_INTEL);
	guint64 version = 0;
	SimSnapshot *snap = NULL;
	gui_runner_state_free(wait_idle(r, &version, &snap));
	GuiBreakpoint bp = { .type = SIM_EV_HYPERCALL, .partition = 1 };
	g_strlcpy(bp.text, "hvcallcreatepartition", sizeof bp.text);   /* any case */
	gui_runner_set_breakpoints(r, &bp, 1);
	gui_runner_run(r);
	GuiRunnerState *s = wait_idle(r, &version, &snap);
	g_assert_false(s->running);
	g_assert_false(s->ended);
	g_assert_nonnull(s->stop_message);
	g_assert_nonnull(strstr(s->stop_message, "Breakpoint 1 (hypercall in partition 1"));
	const SimEvent *hc = newest_of(s, SIM_EV_HYPERCALL);
	g_assert_nonnull(hc);
	g_assert_cmphex(hc->u.hypercall.code, ==, HVCALL_CREATE_PARTITION);
	gui_runner_state_free(s);

	/* Without breakpoints the run goes to the end. */
	gui_runner_set_breakpoints(r, NULL, 0);
	gui_runner_run(r);
	s = wait_idle(r, &version, &snap);
	g_assert_true(s->ended);
	gui_runner_state_free(s);
	sim_snapshot_free(snap);
	gui_runner_free(r);
}

/* An address breakpoint pauses Run right before the instruction, each time
 * it is reached. */
static void test_runner_address_breakpoint(void)
{
	GuiRunner *r = runner_new_ok("boot", SIM_VENDOR_INTEL);
	guint64 version = 0;
	SimSnapshot *snap = NULL;
	gui_runner_state_free(wait_idle(r, &version, &snap));
	GuiBreakpoint bp = { .address = TRUE, .partition = 1, .rip = 0x18d000 };   /* the hypercall page */
	gui_runner_set_breakpoints(r, &bp, 1);
	guint64 last = 0;
	for (guint i = 0; i < 2; i++) {
		gui_runner_run(r);
		GuiRunnerState *s = wait_idle(r, &version, &snap);
		g_assert_false(s->running);
		g_assert_false(s->ended);
		g_assert_nonnull(strstr(s->stop_message, "Breakpoint 1 (partition 1, RIP 0x18d000) hit"));
		g_assert_cmphex(sim_snapshot_partition(snap, 1)->vps[0].rip, ==, 0x18d000);
		g_assert_cmpuint(snap->insns, >, last);
		last = snap->insns;
		gui_runner_state_free(s);
	}
	sim_snapshot_free(snap);
	gui_runner_free(r);
}

/* Back to the previous VM exit lands exactly where the forward step to it
 * stood: the same exit, the same instruction count, the same registers. */
static void test_runner_back(void)
{
	GuiRunner *r = runner_new_ok("boot", SIM_VENDOR_INTEL);
	guint64 version = 0;
	SimSnapshot *snap = NULL;
	gui_runner_state_free(wait_idle(r, &version, &snap));
	guint64 seqs[4], insns[4], rips[4];
	for (guint i = 0; i < 4; i++) {
		gui_runner_step_to(r, SIM_STEP_STOP_VM_EXIT);
		GuiRunnerState *s = wait_idle(r, &version, &snap);
		g_assert_true(s->have_exit);
		seqs[i] = s->last_exit.seq;
		insns[i] = snap->insns;
		const SimSnapPartition *p = sim_snapshot_partition(snap, s->last_exit.partition);
		rips[i] = p->vps[s->last_exit.vp].rip;
		gui_runner_state_free(s);
	}
	/* A few instructions on: "back" goes first to the exit just passed. */
	gui_runner_step_insn(r, 5);
	gui_runner_state_free(wait_idle(r, &version, &snap));
	for (int i = 3; i >= 1; i--) {
		gui_runner_back_to(r, SIM_STEP_STOP_VM_EXIT);
		GuiRunnerState *s = wait_idle(r, &version, &snap);
		g_assert_true(s->have_exit);
		g_assert_cmpuint(s->last_exit.seq, ==, seqs[i]);
		g_assert_cmpuint(snap->insns, ==, insns[i]);
		const SimSnapPartition *p = sim_snapshot_partition(snap, s->last_exit.partition);
		g_assert_cmphex(p->vps[s->last_exit.vp].rip, ==, rips[i]);
		g_assert_nonnull(strstr(s->stop_message, "Back right after event"));
		check_ring(s);
		gui_runner_state_free(s);
	}
	/* Forward again from there: the next exit is the one that followed. */
	gui_runner_step_to(r, SIM_STEP_STOP_VM_EXIT);
	GuiRunnerState *s = wait_idle(r, &version, &snap);
	g_assert_cmpuint(s->last_exit.seq, ==, seqs[2]);
	g_assert_cmpuint(snap->insns, ==, insns[2]);
	gui_runner_state_free(s);
	sim_snapshot_free(snap);
	gui_runner_free(r);
}

/* Takes states until one is not busy, keeping the snapshot; counts the
 * replay's progress messages seen on the way and checks their percentages
 * never go down. */
static GuiRunnerState *wait_idle_progress(GuiRunner *r, guint64 *version, SimSnapshot **snap, guint *progress,
                                          gboolean pause_at_first)
{
	gint64 deadline = g_get_monotonic_time() + WAIT_LIMIT_US;
	double last_pct = -1;
	*progress = 0;
	for (;;) {
		GuiRunnerState *s = gui_runner_take(r, version, GUI_RUNNER_EVENTS_MAX);
		if (s) {
			if (s->snap) {
				g_clear_pointer(snap, sim_snapshot_free);
				*snap = g_steal_pointer(&s->snap);
			}
			if (!s->busy)
				return s;
			const char *m = s->stop_message ? strstr(s->stop_message, "replaying from power-on, ") : NULL;
			const char *pct = m ? strchr(m, '(') : NULL;
			if (g_str_has_prefix(s->stop_message ? s->stop_message : "", "Going back to event ") && pct) {
				g_assert_true(s->replaying);   /* the window's Pause stays on, ended run or not */
				double v = g_ascii_strtod(pct + 1, NULL);
				g_assert_cmpfloat(v, >=, last_pct);
				g_assert_cmpfloat(v, <=, 100);
				last_pct = v;
				if ((*progress)++ == 0 && pause_at_first) {
					/* A plain run (the animation letting a held machine
					 * go) neither stops it nor runs after it; the
					 * window's Run/Pause (the toggle) stops it. */
					gui_runner_run(r);
					gui_runner_toggle(r);
				}
			}
			gui_runner_state_free(s);
		}
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_usleep(500);
	}
}

/* "back" far into a run: the replay goes in small steps and says how far
 * it got between them, lands exactly where the forward step stood; Pause
 * during it stops it on the way, paused there, and the next "back" runs
 * to its end again. */
static void test_runner_back_progress(void)
{
	GuiRunner *r = runner_new_ok("boot", SIM_VENDOR_INTEL);
	guint64 version = 0;
	SimSnapshot *snap = NULL;
	gui_runner_state_free(wait_idle(r, &version, &snap));
	gui_runner_set_replay_pace(r, 100000, 0);
	gui_runner_until_insns(r, 7000000);
	gui_runner_state_free(wait_idle(r, &version, &snap));
	guint64 seq[2], insns[2], rip[2];
	for (guint i = 0; i < 2; i++) {
		gui_runner_step_to(r, SIM_STEP_STOP_VM_EXIT);
		GuiRunnerState *s = wait_idle(r, &version, &snap);
		g_assert_true(s->have_exit);
		seq[i] = s->last_exit.seq;
		insns[i] = snap->insns;
		rip[i] = sim_snapshot_partition(snap, s->last_exit.partition)->vps[s->last_exit.vp].rip;
		gui_runner_state_free(s);
	}
	g_assert_cmpuint(insns[0], >, 7000000);

	/* Back to the last exit: 70 steps and more of progress on the way. */
	gui_runner_step_insn(r, 3);
	gui_runner_state_free(wait_idle(r, &version, &snap));
	gui_runner_back_to(r, SIM_STEP_STOP_VM_EXIT);
	guint progress = 0;
	GuiRunnerState *s = wait_idle_progress(r, &version, &snap, &progress, FALSE);
	g_test_message("progress messages seen: %u", progress);
	g_assert_cmpuint(progress, >=, 2);
	g_assert_nonnull(strstr(s->stop_message, "Back right after event"));
	g_assert_cmpuint(s->last_exit.seq, ==, seq[1]);
	g_assert_cmpuint(snap->insns, ==, insns[1]);
	g_assert_cmphex(sim_snapshot_partition(snap, s->last_exit.partition)->vps[s->last_exit.vp].rip, ==, rip[1]);
	check_ring(s);
	gui_runner_state_free(s);

	/* Back again, paused at the first progress: stopped on the way, paused.
	 * (Small steps: the replay must still be going when the Pause comes.) */
	gui_runner_set_replay_pace(r, 20000, 0);
	gui_runner_back_to(r, SIM_STEP_STOP_VM_EXIT);
	s = wait_idle_progress(r, &version, &snap, &progress, TRUE);
	g_assert_cmpuint(progress, >=, 1);
	g_assert_true(g_str_has_prefix(s->stop_message, "Back stopped by Pause at "));
	g_assert_false(s->running);   /* the run asked for during it was not kept */
	g_assert_false(s->replaying);
	g_assert_cmpuint(snap->insns, >, 0);
	g_assert_cmpuint(snap->insns, <, insns[0]);
	check_ring(s);
	if (s->events->len)
		g_assert_cmpuint(g_array_index(s->events, SimEvent, s->events->len - 1).seq, <, seq[0]);
	gui_runner_state_free(s);

	/* Where it stopped is a machine like any other: forward to the exits,
	 * and "back" from there runs to its end (Pause no longer pending). */
	gui_runner_step_insn(r, insns[0] - 1 - snap->insns);   /* (precise: a round could pass the exit) */
	gui_runner_state_free(wait_idle(r, &version, &snap));
	g_assert_cmpuint(snap->insns, ==, insns[0] - 1);
	gui_runner_step_to(r, SIM_STEP_STOP_VM_EXIT);
	s = wait_idle(r, &version, &snap);
	g_assert_cmpuint(s->last_exit.seq, ==, seq[0]);
	g_assert_cmpuint(snap->insns, ==, insns[0]);
	gui_runner_state_free(s);
	gui_runner_step_insn(r, 3);
	gui_runner_state_free(wait_idle(r, &version, &snap));
	gui_runner_back_to(r, SIM_STEP_STOP_VM_EXIT);
	s = wait_idle_progress(r, &version, &snap, &progress, FALSE);
	g_assert_nonnull(strstr(s->stop_message, "Back right after event"));
	g_assert_cmpuint(s->last_exit.seq, ==, seq[0]);
	g_assert_cmpuint(snap->insns, ==, insns[0]);
	gui_runner_state_free(s);

	/* From the end of the run (where Back is pressed most): the replay
	 * says it is going back (not "ended") and Pause stops it as well. */
	gui_runner_run(r);
	s = wait_idle(r, &version, &snap);
	g_assert_true(s->ended);
	gui_runner_state_free(s);
	gui_runner_back_to(r, SIM_STEP_STOP_VM_EXIT);
	s = wait_idle_progress(r, &version, &snap, &progress, TRUE);
	g_assert_cmpuint(progress, >=, 1);
	g_assert_true(g_str_has_prefix(s->stop_message, "Back stopped by Pause at "));
	g_assert_false(s->ended);
	g_assert_false(s->running);
	gui_runner_state_free(s);
	sim_snapshot_free(snap);
	gui_runner_free(r);
}

/* "back" refused: with no earlier event of the kind, and when the image
 * it would replay is gone: the machine stays where it was, with its log
 * and history (a reset refused too), and the status says why; with the
 * image back, "back" works again. */
static void test_runner_back_refused(void)
{
	GuiRunner *r = runner_new_ok("boot", SIM_VENDOR_INTEL);
	guint64 version = 0;
	SimSnapshot *snap = NULL;
	gui_runner_state_free(wait_idle(r, &version, &snap));
	gui_runner_back_to(r, SIM_STEP_STOP_VM_EXIT);   /* at power-on */
	GuiRunnerState *s = wait_idle(r, &version, &snap);
	g_assert_true(g_str_has_prefix(s->stop_message, "No earlier VM exit to go back to"));
	g_assert_cmpuint(snap->insns, ==, 0);
	gui_runner_state_free(s);
	gui_runner_free(r);
	g_clear_pointer(&snap, sim_snapshot_free);

	const char *hello = g_getenv("HVSIM_TEST_HELLO_ELF");
	if (!hello) {
		g_test_skip("HVSIM_TEST_HELLO_ELF is not set (meson sets it)");
		return;
	}
	g_autofree char *dir = g_dir_make_tmp("hvsim-back-XXXXXX", NULL);
	g_assert_nonnull(dir);
	g_autofree char *copy = g_build_filename(dir, "hello.elf", NULL);
	g_autofree char *bytes = NULL;
	gsize len = 0;
	g_assert_true(g_file_get_contents(hello, &bytes, &len, NULL));
	g_assert_true(g_file_set_contents(copy, bytes, (gssize)len, NULL));
	r = runner_new_ok(copy, SIM_VENDOR_INTEL);
	/* Loaded (read whole): the file goes now, so a failed assertion below
	 * leaves nothing behind. */
	g_assert_cmpint(g_unlink(copy), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
	version = 0;
	gui_runner_state_free(wait_idle(r, &version, &snap));
	guint64 exit_seq[2] = { 0, 0 };
	for (guint i = 0; i < 2; i++) {
		gui_runner_step_to(r, SIM_STEP_STOP_VM_EXIT);
		s = wait_idle(r, &version, &snap);
		exit_seq[i] = s->last_exit.seq;
		gui_runner_state_free(s);
	}
	gui_runner_step_insn(r, 2);
	gui_runner_state_free(wait_idle(r, &version, &snap));
	guint64 at = snap->insns;
	gui_runner_back_to(r, SIM_STEP_STOP_VM_EXIT);
	s = wait_idle(r, &version, &snap);
	g_test_message("%s", s->stop_message);
	g_assert_true(g_str_has_prefix(s->stop_message, "Back could not replay from power-on: "));
	g_assert_nonnull(strstr(s->stop_message, "the machine stays where it was"));
	g_assert_cmpuint(snap->insns, ==, at);   /* where it was */
	g_assert_cmpuint(s->events->len, >, 0);   /* its log too */
	g_assert_cmpuint(g_array_index(s->events, SimEvent, s->events->len - 1).seq, >=, exit_seq[1]);
	gui_runner_state_free(s);
	gui_runner_reset(r);
	s = wait_idle(r, &version, &snap);
	g_assert_true(g_str_has_prefix(s->stop_message, "Could not reset: "));
	g_assert_cmpuint(snap->insns, ==, at);
	g_assert_cmpuint(s->events->len, >, 0);
	gui_runner_state_free(s);
	/* The image back: "back" goes to the last exit, the history intact. */
	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	g_assert_true(g_file_set_contents(copy, bytes, (gssize)len, NULL));
	gui_runner_back_to(r, SIM_STEP_STOP_VM_EXIT);
	s = wait_idle(r, &version, &snap);
	g_assert_cmpint(g_unlink(copy), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
	g_assert_true(g_str_has_prefix(s->stop_message, "Back right after event "));
	g_assert_cmpuint(s->last_exit.seq, ==, exit_seq[1]);
	gui_runner_state_free(s);
	sim_snapshot_free(snap);
	gui_runner_free(r);
}

/* Another scenario and vendor; a bad one leaves the machine as it was. */
static void test_runner_load(void)
{
	GuiRunner *r = runner_new_ok("boot", SIM_VENDOR_INTEL);
	guint64 version = 0;
	SimSnapshot *snap = NULL;
	gui_runner_state_free(wait_idle(r, &version, &snap));
	gui_runner_load(r, "hello", SIM_VENDOR_AMD);
	GuiRunnerState *s = wait_idle(r, &version, &snap);
	g_assert_cmpstr(s->scenario, ==, "hello");
	g_assert_cmpint(s->vendor, ==, SIM_VENDOR_AMD);
	g_assert_cmpuint(snap->insns, ==, 0);
	gui_runner_state_free(s);
	gui_runner_load(r, "/no/such/scenario.elf", SIM_VENDOR_INTEL);
	s = wait_idle(r, &version, &snap);
	g_assert_cmpstr(s->scenario, ==, "hello");
	g_assert_cmpint(s->vendor, ==, SIM_VENDOR_AMD);
	g_assert_nonnull(strstr(s->stop_message, "Could not load"));
	gui_runner_state_free(s);
	sim_snapshot_free(snap);
	gui_runner_free(r);
}

/* The window bench's accounting: only free-running batches count, and all
 * of their instructions do; wait_idle returns once a pause took effect. */
static void test_runner_totals(void)
{
	GuiRunner *r = runner_new_ok("hello", SIM_VENDOR_INTEL);
	guint64 version = 0;
	SimSnapshot *snap = NULL;
	/* A step is not free-running: it adds nothing. */
	gui_runner_step_exit(r);
	gui_runner_state_free(wait_idle(r, &version, &snap));
	guint64 stepped = snap->insns;
	g_assert_cmpuint(stepped, >, 0);
	GuiRunnerTotals t;
	gui_runner_get_totals(r, &t);
	g_assert_cmpuint(t.insns, ==, 0);
	g_assert_cmpuint(t.batches, ==, 0);
	/* Run, pause: after wait_idle nothing executes, and the totals hold
	 * exactly what the run added. */
	gui_runner_run(r);
	g_usleep(20000);
	gui_runner_pause(r);
	gui_runner_wait_idle(r);
	gui_runner_get_totals(r, &t);
	GuiRunnerState *s = wait_idle(r, &version, &snap);
	g_assert_false(s->busy);
	gui_runner_state_free(s);
	g_assert_cmpuint(t.insns, ==, snap->insns - stepped);
	g_assert_cmpuint(t.batches, >=, 1);
	/* Run to the end: every instruction after the step is in the totals. */
	gui_runner_run(r);
	gui_runner_wait_idle(r);
	s = wait_idle(r, &version, &snap);
	g_assert_true(s->ended);
	gui_runner_state_free(s);
	gui_runner_get_totals(r, &t);
	g_assert_cmpuint(t.insns, ==, snap->insns - stepped);
	g_assert_cmpint(t.wall_us, >, 0);
	g_assert_cmpint(t.cpu_us, >, 0);
	g_assert_cmpint(t.cpu_us, <=, t.wall_us + 10000);   /* CPU time within a clock tick of wall time */
	sim_snapshot_free(snap);
	gui_runner_free(r);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/gui/runner/boot", test_runner_boot);
	g_test_add_func("/gui/runner/background", test_runner_background);
	g_test_add_func("/gui/runner/bad-scenario", test_runner_bad_scenario);
	g_test_add_func("/gui/runner/request", test_runner_request);
	g_test_add_func("/gui/runner/free-while-running", test_runner_free_while_running);
	g_test_add_func("/gui/runner/step-insn", test_runner_step_insn);
	g_test_add_func("/gui/runner/step-to", test_runner_step_to);
	g_test_add_func("/gui/runner/breakpoint", test_runner_breakpoint);
	g_test_add_func("/gui/runner/back", test_runner_back);
	g_test_add_func("/gui/runner/back-progress", test_runner_back_progress);
	g_test_add_func("/gui/runner/back-refused", test_runner_back_refused);
	g_test_add_func("/gui/runner/address-breakpoint", test_runner_address_breakpoint);
	g_test_add_func("/gui/runner/load", test_runner_load);
	g_test_add_func("/gui/runner/totals", test_runner_totals);
	return g_test_run();
}
