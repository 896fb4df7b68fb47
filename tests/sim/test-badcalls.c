/* test-badcalls.c — the "badcalls" scenario: after a late launch the mini
 * kernel, as root, runs its ring 0 self-test of partition-management
 * hypercalls with bad input (guest/kernel/badcalls.c). Checks the outcome,
 * the kernel's own verdict on the console ("N of N checks passed", no
 * FAILED) and that the trace shows each TLFS status the table expects, on
 * the call that should produce it. Host test program (GLib test framework). */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv-names.h"
#include "hvsim-platform.h"
#include "sim-harness.h"

/* Runs the scenario; returns the JSON-lines trace in *trace. */
static SimOutcome run_badcalls(Harness *h, SimVendor vendor, char **trace)
{
	g_autoptr(GError) error = NULL;
	SimConfig cfg = { .vendor = vendor };
	size_t len = 0;
	FILE *f = open_memstream(trace, &len);
	g_assert_nonnull(f);

	memset(h, 0, sizeof *h);
	h->m = sim_machine_new(&cfg, &error);
	g_assert_no_error(error);
	h->events = g_array_new(FALSE, TRUE, sizeof(SimEvent));
	sim_event_bus_subscribe(sim_machine_events(h->m), harness_record, h->events);
	SimTraceWriter *tw = sim_trace_writer_new(f, vendor);
	sim_event_bus_subscribe(sim_machine_events(h->m), sim_trace_writer_on_event, tw);
	h->p = sim_load_scenario_or_image(h->m, "badcalls", &error);
	g_assert_no_error(error);
	g_assert_nonnull(h->p);
	h->vp = g_ptr_array_index(h->p->vps, 0);
	g_assert_true(sim_machine_config(h->m)->late_launch);
	g_assert_true(sim_machine_config(h->m)->bad_input);
	SimOutcome o = harness_run(h);
	g_test_message("outcome %d: %s", o, sim_machine_outcome_message(h->m));
	g_assert_true(sim_trace_writer_finish(tw));
	sim_trace_writer_free(tw);
	g_assert_cmpint(fclose(f), ==, 0);
	return o;
}

static char *console_text(Harness *h)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type == SIM_EV_CONSOLE)
			g_string_append(s, e->text);
	}
	return g_string_free(s, FALSE);
}

/* A hypercall event with this code and status. */
static gboolean saw_hypercall(Harness *h, uint16_t code, uint16_t status)
{
	for (guint i = 0; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type == SIM_EV_HYPERCALL && e->u.hypercall.code == code && e->u.hypercall.status == status)
			return TRUE;
	}
	return FALSE;
}

static void test_badcalls(gconstpointer data)
{
	static const struct {
		uint16_t code, status;
	} expected[] = {
		{ HVCALL_INITIALIZE_PARTITION, HV_STATUS_INVALID_PARTITION_ID },
		{ HVCALL_DELETE_PARTITION, HV_STATUS_INVALID_PARTITION_STATE },
		{ HVCALL_INITIALIZE_PARTITION, HV_STATUS_INVALID_PARTITION_STATE },
		{ HVCALL_CREATE_VP, HV_STATUS_INVALID_PARTITION_STATE },
		{ HVCALL_CREATE_PARTITION, HV_STATUS_INVALID_PARAMETER },
		{ HVCALL_CREATE_PARTITION, HV_STATUS_INVALID_ALIGNMENT },
		{ HVCALL_CREATE_PARTITION, HV_STATUS_INVALID_HYPERCALL_INPUT },
		{ HVCALL_INITIALIZE_PARTITION, HV_STATUS_INVALID_HYPERCALL_INPUT },
		{ HVCALL_DEPOSIT_MEMORY, HV_STATUS_INVALID_HYPERCALL_INPUT },
		{ HVCALL_DEPOSIT_MEMORY, HV_STATUS_INVALID_PARAMETER },
		{ HVCALL_CREATE_VP, HV_STATUS_INVALID_VP_INDEX },
		{ HVCALL_CREATE_VP, HV_STATUS_OBJECT_IN_USE },
		{ HVCALL_MAP_GPA_PAGES, HV_STATUS_INVALID_PARAMETER },
		{ HVCALL_CREATE_PARTITION, HV_STATUS_SUCCESS },
		{ HVCALL_DELETE_PARTITION, HV_STATUS_SUCCESS },
	};
	Harness h;
	g_autofree char *trace = NULL;

	g_assert_cmpint(run_badcalls(&h, GPOINTER_TO_INT(data), &trace), ==, SIM_OUTCOME_SHUTDOWN);

	/* The kernel's own verdict. */
	g_autofree char *console = console_text(&h);
	const char *line = strstr(console, "[badcalls] ");
	g_assert_nonnull(line);
	const char *summary = NULL;
	for (const char *p = line; (p = strstr(p, "[badcalls] ")) != NULL; p++) {
		unsigned a, b;
		if (sscanf(p, "[badcalls] %u of %u checks passed", &a, &b) == 2) {
			g_assert_cmpuint(a, ==, b);
			g_assert_cmpuint(b, >, 10);
			summary = p;
		}
	}
	g_assert_nonnull(summary);
	g_assert_null(strstr(console, "FAILED"));
	g_assert_nonnull(strstr(console, "shutting down"));
	/* Instead of the ring 3 programs: no process ran. */
	g_assert_null(strstr(console, "[hello]"));
	g_assert_null(strstr(console, "vmwp"));

	/* Each expected status on the call that should produce it, in the
	 * events and in the JSON trace. Only the hypercall lines of the trace
	 * are kept (scanning the whole trace per row is slow under ASan). */
	GPtrArray *calls = g_ptr_array_new();
	for (char *l = trace; l && *l;) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		if (strstr(l, "\"type\":\"hypercall\""))
			g_ptr_array_add(calls, l);
		l = nl ? nl + 1 : NULL;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(expected); i++) {
		const char *name = hv_status_name(expected[i].status);
		g_test_message("%s -> %s", hv_call_name(expected[i].code), name);
		g_assert_true(saw_hypercall(&h, expected[i].code, expected[i].status));
		g_autofree char *json = g_strdup_printf("\"code\":\"0x%04x\"", expected[i].code);
		g_autofree char *json_status = g_strdup_printf("\"status_name\":\"%s\"", name);
		gboolean found = FALSE;
		for (guint k = 0; k < calls->len && !found; k++) {
			const char *l = g_ptr_array_index(calls, k);
			found = strstr(l, json) && strstr(l, json_status);
		}
		g_assert_true(found);
	}
	g_ptr_array_free(calls, TRUE);
	harness_fini(&h);
}

/* The other scenarios do not see the flag. */
static void test_flag_only_badcalls(void)
{
	for (const SimScenario *s = sim_scenarios(); s->name; s++)
		g_assert_cmpint(s->bad_input, ==, g_str_equal(s->name, "badcalls"));
	const SimScenario *b = sim_scenario_find("badcalls");
	g_assert_nonnull(b);
	g_assert_true(b->late_launch);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/sim/badcalls/intel", GINT_TO_POINTER(SIM_VENDOR_INTEL), test_badcalls);
	g_test_add_data_func("/sim/badcalls/amd", GINT_TO_POINTER(SIM_VENDOR_AMD), test_badcalls);
	g_test_add_func("/sim/badcalls/flag-only-badcalls", test_flag_only_badcalls);
	return g_test_run();
}
