/* test-badcalls.c — the "badcalls" scenario: after a late launch the mini
 * kernel, as root, runs its ring 0 self-test of partition-management,
 * VP-register, intercept and port hypercalls with bad input
 * (guest/kernel/badcalls.c). Checks the outcome, the kernel's own verdict on
 * the console (every check line says "ok", as many lines as the table has
 * rows, "N of N checks passed", no FAILED), a sample of the check lines word
 * for word, and that the events and the trace show each TLFS status the
 * table expects, on the call that should produce it (and, for a rep call
 * that fails mid-way, the reps completed). Host test program (GLib test
 * framework). */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv-names.h"
#include "hvsim-platform.h"
#include "sim-harness.h"

/* The rows of the table in guest/kernel/badcalls.c: one check line each.
 * Update it with the table. */
#define BADCALLS_CHECKS 83u

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
		if (e->type != SIM_EV_CONSOLE)
			continue;
		/* One event per console line, given without its newline. */
		g_string_append(s, e->text);
		if (!g_str_has_suffix(e->text, "\n"))
			g_string_append_c(s, '\n');
	}
	return g_string_free(s, FALSE);
}

/* A hypercall event with this code, status, rep count and reps completed. */
static gboolean saw_rep_hypercall(Harness *h, uint16_t code, uint16_t status, uint16_t rep_count,
                                  uint16_t reps_done)
{
	for (guint i = 0; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type == SIM_EV_HYPERCALL && e->u.hypercall.code == code && e->u.hypercall.status == status &&
		    e->u.hypercall.rep_count == rep_count && e->u.hypercall.reps_done == reps_done)
			return TRUE;
	}
	return FALSE;
}

/* Every check line ("[badcalls] <name>: got ...") says "ok"; returns how
 * many there are. */
static guint check_lines_all_ok(const char *console)
{
	g_auto(GStrv) lines = g_strsplit(console, "\n", -1);
	guint n = 0;
	for (guint i = 0; lines[i]; i++) {
		const char *l = strstr(lines[i], "[badcalls] ");
		if (!l || !strstr(l, ": got 0x"))
			continue;
		g_test_message("%s", l);
		g_assert_true(g_str_has_suffix(l, " ok"));
		n++;
	}
	return n;
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
		{ HVCALL_GET_VP_REGISTERS, HV_STATUS_SUCCESS },
		{ HVCALL_GET_VP_REGISTERS, HV_STATUS_INVALID_PARAMETER },
		{ HVCALL_GET_VP_REGISTERS, HV_STATUS_INVALID_VP_INDEX },
		{ HVCALL_GET_VP_REGISTERS, HV_STATUS_INVALID_PARTITION_STATE },
		{ HVCALL_GET_VP_REGISTERS, HV_STATUS_INVALID_PARTITION_ID },
		{ HVCALL_SET_VP_REGISTERS, HV_STATUS_INVALID_PARAMETER },
		{ HVCALL_SET_VP_REGISTERS, HV_STATUS_INVALID_VP_INDEX },
		{ HVCALL_SET_VP_REGISTERS, HV_STATUS_ACCESS_DENIED },
		{ HVCALL_SET_VP_REGISTERS, HV_STATUS_INVALID_REGISTER_VALUE },
		{ HVCALL_INSTALL_INTERCEPT, HV_STATUS_SUCCESS },
		{ HVCALL_INSTALL_INTERCEPT, HV_STATUS_INVALID_PARAMETER },
		{ HVCALL_INSTALL_INTERCEPT, HV_STATUS_INVALID_PARTITION_ID },
		{ HVCALL_INSTALL_INTERCEPT, HV_STATUS_INVALID_PARTITION_STATE },
		{ HVCALL_CREATE_PORT, HV_STATUS_SUCCESS },
		{ HVCALL_CREATE_PORT, HV_STATUS_INVALID_PARAMETER },
		{ HVCALL_CREATE_PORT, HV_STATUS_INVALID_VP_INDEX },
		{ HVCALL_CREATE_PORT, HV_STATUS_INVALID_PORT_ID },
		{ HVCALL_CONNECT_PORT, HV_STATUS_SUCCESS },
		{ HVCALL_CONNECT_PORT, HV_STATUS_INVALID_PORT_ID },
		{ HVCALL_CONNECT_PORT, HV_STATUS_INVALID_CONNECTION_ID },
		{ HVCALL_POST_MESSAGE, HV_STATUS_SUCCESS },
		{ HVCALL_POST_MESSAGE, HV_STATUS_INVALID_PARAMETER },
		{ HVCALL_POST_MESSAGE, HV_STATUS_INVALID_CONNECTION_ID },
		{ HVCALL_POST_MESSAGE, HV_STATUS_INVALID_PORT_ID },
		{ HVCALL_POST_MESSAGE, HV_STATUS_INVALID_SYNIC_STATE },
		{ HVCALL_POST_MESSAGE, HV_STATUS_INSUFFICIENT_BUFFERS },
		{ HVCALL_SIGNAL_EVENT, HV_STATUS_INVALID_PARAMETER },
		{ HVCALL_SIGNAL_EVENT, HV_STATUS_INVALID_CONNECTION_ID },
		{ HVCALL_SIGNAL_EVENT, HV_STATUS_INVALID_PORT_ID },
		{ HVCALL_SIGNAL_EVENT, HV_STATUS_INVALID_SYNIC_STATE },
	};
	/* A sample of the check lines, word for word up to the verdict: one
	 * per kind of input the issue lists. */
	static const char *const lines[] = {
		"GetVpRegisters(B, VP 0): RIP, RSP, unknown, RAX: got 0x0005 HV_STATUS_INVALID_PARAMETER, 2 reps, "
		"expected HV_STATUS_INVALID_PARAMETER, 2 reps ok",
		"SetVpRegisters(B, VP 0): RSP, RDI, unknown: got 0x0005 HV_STATUS_INVALID_PARAMETER, 2 reps, "
		"expected HV_STATUS_INVALID_PARAMETER, 2 reps ok",
		"SetVpRegisters(B, VP 0): RSP with the high half set: got 0x0005 HV_STATUS_INVALID_PARAMETER,",
		"SetVpRegisters(B, VP 0): ExplicitSuspend = 2: got 0x0005 HV_STATUS_INVALID_PARAMETER,",
		"SetVpRegisters(B, VP 0): InterceptSuspend = 1: got 0x0005 HV_STATUS_INVALID_PARAMETER,",
		"SetVpRegisters(B, VP 1): no such VP: got 0x000e HV_STATUS_INVALID_VP_INDEX,",
		"SetVpRegisters(SELF, own VP): got 0x0006 HV_STATUS_ACCESS_DENIED, 0 reps,",
		"SetVpRegisters(B, VP 0): start in protected mode: got 0x0050 ",
		"InstallIntercept(B): port 0x10000: got 0x0005 HV_STATUS_INVALID_PARAMETER,",
		"InstallIntercept(A) before Initialize: got 0x0007 HV_STATUS_INVALID_PARTITION_STATE,",
		"CreatePort(SELF): SINT 16: got 0x0005 HV_STATUS_INVALID_PARAMETER,",
		"CreatePort(B): target VP 1, which does not exist: got 0x000e HV_STATUS_INVALID_VP_INDEX,",
		"CreatePort(SELF): port 1 again: got 0x0011 HV_STATUS_INVALID_PORT_ID,",
		"ConnectPort(SELF) to port 99, which does not exist: got 0x0011 HV_STATUS_INVALID_PORT_ID,",
		"ConnectPort(SELF): connection id above 24 bits: got 0x0012 HV_STATUS_INVALID_CONNECTION_ID,",
		"PostMessage: payload of 241 bytes: got 0x0005 HV_STATUS_INVALID_PARAMETER,",
		"PostMessage: 16 bytes, SINT unmasked: got 0x0000 HV_STATUS_SUCCESS,",
		"PostMessage: the 17th while 16 are queued: got 0x0013 HV_STATUS_INSUFFICIENT_BUFFERS,",
		"SignalEvent: flag 8 of a port with 8 flags: got 0x0005 HV_STATUS_INVALID_PARAMETER,",
		"SignalEvent: B's VP 0 has no SynIC on: got 0x0018 HV_STATUS_INVALID_SYNIC_STATE,",
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
			g_assert_cmpuint(b, ==, BADCALLS_CHECKS);
			summary = p;
		}
	}
	g_assert_nonnull(summary);
	g_assert_null(strstr(console, "FAILED"));
	/* Every row ran and printed its verdict: none skipped, none extra. */
	g_assert_cmpuint(check_lines_all_ok(console), ==, BADCALLS_CHECKS);
	for (gsize i = 0; i < G_N_ELEMENTS(lines); i++) {
		g_autofree char *want = g_strconcat("[badcalls] ", lines[i], NULL);
		g_test_message("line: %s", lines[i]);
		g_assert_nonnull(strstr(console, want));
	}
	/* The rep calls that stop at their third element report 2 reps done
	 * in the events too (RAX bits 43:32, as the hypervisor returned them). */
	g_assert_true(saw_rep_hypercall(&h, HVCALL_GET_VP_REGISTERS, HV_STATUS_INVALID_PARAMETER, 4, 2));
	g_assert_true(saw_rep_hypercall(&h, HVCALL_SET_VP_REGISTERS, HV_STATUS_INVALID_PARAMETER, 3, 2));
	g_assert_true(saw_rep_hypercall(&h, HVCALL_SET_VP_REGISTERS, HV_STATUS_INVALID_REGISTER_VALUE, 2, 1));
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
