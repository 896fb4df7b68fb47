/* test-step.c — the stepping API (sim_machine_start / sim_machine_step):
 * the boot scenario run in 50,000-instruction steps, or from VM exit to VM
 * exit, emits byte for byte the JSON trace of one whole sim_machine_run,
 * and ends with the same outcome. Host test program (GLib test framework). */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "sim-machine.h"
#include "sim-scenario.h"

/* Runs `scenario` whole (step_insns == 0 and !stop) or in steps; returns
 * its JSON-lines trace and stores the outcome and the number of steps. */
static char *trace_of(const char *scenario, uint64_t step_insns, SimStepStop stop,
                      SimOutcome *outcome, guint *steps)
{
	g_autoptr(GError) error = NULL;
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL };
	SimMachine *m = sim_machine_new(&cfg, &error);
	g_assert_no_error(error);
	g_assert_nonnull(sim_load_scenario_or_image(m, scenario, &error));
	g_assert_no_error(error);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	g_assert_nonnull(f);
	SimTraceWriter *tw = sim_trace_writer_new(f, cfg.vendor);
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

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sim/step/insns-50000", test_step_insns);
	g_test_add_func("/sim/step/vm-exit", test_step_vm_exit);
	return g_test_run();
}
