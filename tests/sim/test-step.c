/* test-step.c — the stepping API (sim_machine_start / sim_machine_step /
 * sim_machine_step_precise): the boot scenario run in 50,000-instruction
 * steps, from VM exit to VM exit, one instruction at a time, in steps of an
 * odd number of instructions that end inside slices and inside translated
 * blocks, or to each event of a kind and a few single instructions on,
 * emits byte for byte the JSON trace of one whole sim_machine_run (every
 * event, with its virtual time), ends with the same outcome and the same
 * virtual time. Host test program (GLib test framework). */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "sim-machine.h"
#include "sim-scenario.h"
#include "sim-snapshot.h"
#include "vmx-defs.h"
#include "../test-machine.h"

/* Runs `scenario` whole (step_insns == 0 and !stop) or in steps; returns
 * its JSON-lines trace and stores the outcome and the number of steps. */
static char *trace_of(const char *scenario, uint64_t step_insns, SimStepStop stop,
                      SimOutcome *outcome, guint *steps)
{
	SimMachine *m = test_machine_with(scenario);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	g_assert_nonnull(f);
	SimTraceWriter *tw = sim_trace_writer_new(f, SIM_VENDOR_INTEL);   /* (test_machine_with's flavour) */
	sim_event_bus_subscribe(sim_machine_events(m), sim_trace_writer_on_event, tw);

	*steps = 0;
	if (step_insns == 0 && stop == SIM_STEP_STOP_NONE) {
		*outcome = sim_machine_run(m);
	} else {
		g_assert_false(sim_machine_ended(m));
		sim_machine_start(m);
		while (sim_machine_step(m, step_insns, stop)) {
			(*steps)++;
			g_assert_false(sim_machine_ended(m));
		}
		g_assert_true(sim_machine_ended(m));
		/* Stepping an ended machine does nothing. */
		g_assert_false(sim_machine_step(m, step_insns, stop));
		*outcome = sim_machine_outcome(m);
	}
	g_assert_true(sim_trace_writer_finish(tw));
	sim_trace_writer_free(tw);
	g_assert_cmpint(fclose(f), ==, 0);
	sim_machine_free(m);
	return buf;
}

/* A way to take a run in precise steps: called until the machine ends;
 * returns what sim_machine_step_precise returned. */
typedef bool (*Stepper)(SimMachine *m, guint step, gpointer data);

typedef struct Run {
	char *trace;
	SimOutcome outcome;
	uint64_t vtime, insns;
	guint steps;
	guint inside_rounds;   /* steps that ended inside a scheduler round */
} Run;

static void run_clear(Run *r)
{
	g_free(r->trace);
}

/* The whole run (stepper NULL) or one taken in precise steps. */
static void run_precise(const char *scenario, Stepper stepper, gpointer data, Run *out)
{
	SimMachine *m = test_machine_with(scenario);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	g_assert_nonnull(f);
	SimTraceWriter *tw = sim_trace_writer_new(f, SIM_VENDOR_INTEL);   /* (test_machine_with's flavour) */
	sim_event_bus_subscribe(sim_machine_events(m), sim_trace_writer_on_event, tw);
	memset(out, 0, sizeof *out);
	if (!stepper) {
		out->outcome = sim_machine_run(m);
	} else {
		sim_machine_start(m);
		while (stepper(m, out->steps, data)) {
			out->steps++;
			out->inside_rounds += sim_machine_in_round(m);
		}
		g_assert_true(sim_machine_ended(m));
		out->outcome = sim_machine_outcome(m);
	}
	out->vtime = sim_machine_vtime(m);
	out->insns = sim_machine_insns(m);
	g_assert_true(sim_trace_writer_finish(tw));
	sim_trace_writer_free(tw);
	g_assert_cmpint(fclose(f), ==, 0);
	sim_machine_free(m);
	out->trace = buf;
}

/* The whole boot run, taken once for every test that compares with it. */
static const Run *whole_boot(void)
{
	static Run whole;
	if (!whole.trace)
		run_precise("boot", NULL, NULL, &whole);
	return &whole;
}

static void assert_same_run(const Run *whole, const Run *stepped)
{
	g_assert_cmpuint(strlen(whole->trace), >, 1000);
	if (strcmp(stepped->trace, whole->trace) != 0) {
		/* Name the first event that differs. */
		g_auto(GStrv) a = g_strsplit(whole->trace, "\n", -1);
		g_auto(GStrv) b = g_strsplit(stepped->trace, "\n", -1);
		for (guint i = 0; a[i] && b[i]; i++)
			g_assert_cmpstr(b[i], ==, a[i]);
		g_assert_cmpuint(g_strv_length(b), ==, g_strv_length(a));
	}
	g_assert_cmpint(stepped->outcome, ==, whole->outcome);
	g_assert_cmpuint(stepped->insns, ==, whole->insns);
	g_assert_cmpuint(stepped->vtime, ==, whole->vtime);
}

/* The first `singles` steps are one instruction each (each retires exactly
 * one), then the rest of the run in one sim_machine_run. */
static bool step_singles(SimMachine *m, guint step, gpointer data)
{
	guint singles = GPOINTER_TO_UINT(data);
	if (step >= singles) {
		sim_machine_run(m);
		return false;
	}
	uint64_t before = sim_machine_insns(m);
	bool live = sim_machine_step_precise(m, 1, NULL, NULL);
	if (live)
		g_assert_cmpuint(sim_machine_insns(m), ==, before + 1);
	return live;
}

static void test_step_precise_singles(void)
{
	Run stepped;
	const Run *whole = whole_boot();
	run_precise("boot", step_singles, GUINT_TO_POINTER(2000), &stepped);
	g_assert_cmpuint(stepped.steps, ==, 2000);
	g_assert_cmpuint(stepped.inside_rounds, >, 1900);
	assert_same_run(whole, &stepped);
	run_clear(&stepped);
}

/* Steps of exactly N instructions through the whole run. */
static bool step_odd(SimMachine *m, guint step, gpointer data)
{
	guint n = GPOINTER_TO_UINT(data);
	uint64_t before = sim_machine_insns(m);
	bool live = sim_machine_step_precise(m, n, NULL, NULL);
	if (live)
		g_assert_cmpuint(sim_machine_insns(m), ==, before + n);
	return live;
}

static void test_step_precise_odd(gconstpointer data)
{
	Run stepped;
	const Run *whole = whole_boot();
	run_precise("boot", step_odd, (gpointer)data, &stepped);
	g_assert_cmpuint(stepped.steps, >, 100);
	assert_same_run(whole, &stepped);
	run_clear(&stepped);
}

/* To each event of a kind (the step stops right after it: the last event
 * emitted is that one), then three single instructions, again and again. */
typedef struct KindSteps {
	SimStepStop kind;
	SimEvent last;
	guint hits;
} KindSteps;

static void remember_last(const SimEvent *ev, gpointer user_data)
{
	((KindSteps *)user_data)->last = *ev;
}

static bool match_kind(const SimEvent *ev, gpointer user_data)
{
	return sim_step_stop_matches(((KindSteps *)user_data)->kind, ev);
}

static bool step_kind(SimMachine *m, guint step, gpointer data)
{
	KindSteps *k = data;
	if (step == 0)
		sim_event_bus_subscribe(sim_machine_events(m), remember_last, k);
	if (step % 4 != 0)
		return sim_machine_step_precise(m, 1, NULL, NULL);
	bool live = sim_machine_step_precise(m, 0, match_kind, k);
	if (live) {
		g_assert_true(sim_step_stop_matches(k->kind, &k->last) ||
		              /* an event the same instruction emitted after it */
		              k->last.type == SIM_EV_VM_ENTRY || k->last.type == SIM_EV_HYPERCALL ||
		              k->last.type == SIM_EV_CONSOLE || k->last.type == SIM_EV_FAULT ||
		              k->last.type == SIM_EV_INTERRUPT || k->last.type == SIM_EV_RING ||
		              k->last.type == SIM_EV_CHILD || k->last.type == SIM_EV_SYNIC_MESSAGE ||
		              k->last.type == SIM_EV_VMBUS || k->last.type == SIM_EV_INTERCEPT ||
		              k->last.type == SIM_EV_VP_STATE || k->last.type == SIM_EV_HALT ||
		              k->last.type == SIM_EV_MSR || k->last.type == SIM_EV_PORT_IO);
		k->hits++;
	}
	return live;
}

static void test_step_precise_kind(gconstpointer data)
{
	SimStepStop kind = GPOINTER_TO_INT(data);
	Run stepped;
	KindSteps k = { .kind = kind };
	const Run *whole = whole_boot();
	run_precise("boot", step_kind, &k, &stepped);
	g_assert_cmpuint(k.hits, >, 1);
	assert_same_run(whole, &stepped);
	run_clear(&stepped);
}

/* Address breakpoints: precise steps stop right before the instruction at
 * the address (an exiting VMCALL with its own hook, and the instruction
 * after it, hooked only for the breakpoint), the VP's RIP is there, and
 * the run taken that way is still the uninterrupted one. */
#define BP_HCPAGE   UINT64_C(0x18d000)   /* the parent's hypercall page: VMCALL */
#define BP_HITS_MAX 40u

static bool step_bps(SimMachine *m, guint step, gpointer data)
{
	guint *hits = data;
	if (step == 0) {
		SimAddrBreakpoint bps[] = { { 1, BP_HCPAGE }, { 1, BP_HCPAGE + 3 } };
		sim_machine_set_breakpoints(m, bps, G_N_ELEMENTS(bps));
	}
	if (*hits >= BP_HITS_MAX) {
		sim_machine_set_breakpoints(m, NULL, 0);
		sim_machine_run(m);
		return false;
	}
	bool live = sim_machine_step_precise(m, 0, NULL, NULL);
	SimAddrBreakpoint hit;
	if (live) {
		g_assert_true(sim_machine_breakpoint_hit(m, &hit));
		g_assert_cmpuint(hit.partition, ==, 1);
		g_assert_true(hit.rip == BP_HCPAGE || hit.rip == BP_HCPAGE + 3);
		/* Alternately: the VMCALL, then the instruction after it. */
		g_assert_cmphex(hit.rip, ==, *hits % 2 ? BP_HCPAGE + 3 : BP_HCPAGE);
		SimSnapshot *snap = sim_snapshot_take(m);
		const SimSnapPartition *p = sim_snapshot_partition(snap, 1);
		g_assert_cmphex(p->vps[0].rip, ==, hit.rip);
		sim_snapshot_free(snap);
		(*hits)++;
	}
	return live;
}

static void test_step_breakpoints(void)
{
	Run stepped;
	guint hits = 0;
	const Run *whole = whole_boot();
	run_precise("boot", step_bps, &hits, &stepped);
	g_assert_cmpuint(hits, ==, BP_HITS_MAX);
	assert_same_run(whole, &stepped);
	run_clear(&stepped);
}

static void test_step_insns(void)
{
	SimOutcome whole_o, step_o;
	guint n_whole, n_steps;
	g_autofree char *whole = trace_of("boot", 0, SIM_STEP_STOP_NONE, &whole_o, &n_whole);
	g_autofree char *stepped = trace_of("boot", 50000, SIM_STEP_STOP_NONE, &step_o, &n_steps);
	g_assert_cmpint(whole_o, ==, SIM_OUTCOME_SHUTDOWN);
	g_assert_cmpint(step_o, ==, whole_o);
	g_assert_cmpuint(n_steps, >, 1);
	g_assert_cmpuint(strlen(whole), >, 1000);
	g_assert_cmpstr(stepped, ==, whole);
}

static void test_step_vm_exit(void)
{
	SimOutcome whole_o, step_o;
	guint n_whole, n_steps;
	g_autofree char *whole = trace_of("boot", 0, SIM_STEP_STOP_NONE, &whole_o, &n_whole);
	g_autofree char *stepped = trace_of("boot", 0, SIM_STEP_STOP_VM_EXIT, &step_o, &n_steps);
	g_assert_cmpint(step_o, ==, whole_o);
	g_assert_cmpuint(n_steps, >, 1);
	g_assert_cmpstr(stepped, ==, whole);
}

/* ---- Where a step to an event stops ---- */

/* An IN, OUT or CPUID is handled inside the emulator's translated block
 * (its instruction hook), often with more instructions after it in the
 * same block; a step to its event must still stop right after that
 * instruction, with RIP on the next one. */
typedef struct ExactStop {
	SimEvent hit;
	bool have;
	bool (*want)(const SimEvent *ev);
} ExactStop;

static bool exact_match(const SimEvent *ev, gpointer user_data)
{
	ExactStop *x = user_data;
	if (x->have || !x->want(ev))
		return false;
	x->hit = *ev;
	x->have = true;
	return true;
}

static bool is_cpuid_exit(const SimEvent *ev)
{
	return ev->type == SIM_EV_VM_EXIT && ev->u.exit.reason == VMX_EXIT_CPUID;
}

static bool is_passthrough_io(const SimEvent *ev)
{
	return ev->type == SIM_EV_PORT_IO && !ev->u.io.intercepted;
}

static uint64_t vp_rip(SimMachine *m, uint32_t partition, uint32_t vp)
{
	SimSnapshot *snap = sim_snapshot_take(m);
	const SimSnapPartition *p = sim_snapshot_partition(snap, partition);
	g_assert_nonnull(p);
	g_assert_cmpuint(vp, <, p->n_vps);
	uint64_t rip = p->vps[vp].rip;
	sim_snapshot_free(snap);
	return rip;
}

static SimMachine *boot_started(void)
{
	SimMachine *m = test_machine_with("boot");
	sim_machine_start(m);
	return m;
}

/* Every CPUID exit of the boot scenario: the step stops with RIP at the
 * exit's RIP plus the instruction's length. */
static void test_step_exact_cpuid(void)
{
	SimMachine *m = boot_started();
	guint hits = 0;
	for (;;) {
		ExactStop x = { .want = is_cpuid_exit };
		if (!sim_machine_step_precise(m, 0, exact_match, &x) || !x.have)
			break;
		uint64_t next = x.hit.u.exit.rip + x.hit.u.exit.length;
		g_assert_cmphex(vp_rip(m, x.hit.partition, x.hit.vp), ==, next);
		hits++;
	}
	g_test_message("%u CPUID exits, each stopped right after", hits);
	g_assert_cmpuint(hits, >=, 4);
	sim_machine_free(m);
}

/* The first passthrough port accesses (the parent's UART): a step to the
 * event stops where single instructions from the same place first see it
 * (RIP and instructions retired alike), i.e. right after the IN or OUT. */
#define EXACT_IO_STOPS 12

static void exact_watch(const SimEvent *ev, gpointer user_data)
{
	exact_match(ev, user_data);
}

static bool single_until(SimMachine *m, bool (*want)(const SimEvent *), SimEvent *hit)
{
	ExactStop x = { .want = want };
	guint sub = sim_event_bus_subscribe(sim_machine_events(m), exact_watch, &x);
	while (!x.have && sim_machine_step_precise(m, 1, NULL, NULL))
		;
	sim_event_bus_unsubscribe(sim_machine_events(m), sub);
	*hit = x.hit;
	return x.have;
}

static void test_step_exact_io(void)
{
	SimMachine *stepped = boot_started(), *single = boot_started();
	for (guint i = 0; i < EXACT_IO_STOPS; i++) {
		ExactStop x = { .want = is_passthrough_io };
		g_assert_true(sim_machine_step_precise(stepped, 0, exact_match, &x));
		g_assert_true(x.have);
		SimEvent ref;
		g_assert_true(single_until(single, is_passthrough_io, &ref));
		g_assert_cmpuint(ref.seq, ==, x.hit.seq);
		g_assert_cmpuint(ref.u.io.port, ==, x.hit.u.io.port);
		g_assert_cmpuint(sim_machine_insns(stepped), ==, sim_machine_insns(single));
		g_assert_cmphex(vp_rip(stepped, x.hit.partition, x.hit.vp), ==, vp_rip(single, ref.partition, ref.vp));
	}
	sim_machine_free(stepped);
	sim_machine_free(single);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sim/step/insns-50000", test_step_insns);
	g_test_add_func("/sim/step/vm-exit", test_step_vm_exit);
	g_test_add_func("/sim/step/precise/singles-then-run", test_step_precise_singles);
	/* Primes: the steps end at every kind of place in slices and blocks. */
	g_test_add_data_func("/sim/step/precise/budget-9973", GUINT_TO_POINTER(9973), test_step_precise_odd);
	g_test_add_data_func("/sim/step/precise/budget-2003", GUINT_TO_POINTER(2003), test_step_precise_odd);
	g_test_add_func("/sim/step/precise/address-breakpoints", test_step_breakpoints);
	g_test_add_func("/sim/step/precise/exact-cpuid", test_step_exact_cpuid);
	g_test_add_func("/sim/step/precise/exact-passthrough-io", test_step_exact_io);
	g_test_add_data_func("/sim/step/precise/vm-exit", GINT_TO_POINTER(SIM_STEP_STOP_VM_EXIT), test_step_precise_kind);
	g_test_add_data_func("/sim/step/precise/ring", GINT_TO_POINTER(SIM_STEP_STOP_RING), test_step_precise_kind);
	g_test_add_data_func("/sim/step/precise/interrupt", GINT_TO_POINTER(SIM_STEP_STOP_INTERRUPT), test_step_precise_kind);
	g_test_add_data_func("/sim/step/precise/vmbus", GINT_TO_POINTER(SIM_STEP_STOP_VMBUS), test_step_precise_kind);
	return g_test_run();
}
