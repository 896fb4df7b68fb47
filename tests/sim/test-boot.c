/* test-boot.c — boot and late launch: the "boot" scenario powers on with no
 * hypervisor, the kernel's hvboot stage checks CPUID for VT-x / AMD-V and
 * asks the platform (HVSIM_PORT_HVBOOT) to start hvix64 / hvax64, and the
 * running OS continues as a partition. Checks the boot events and their
 * order, what the bare CPU shows before the launch (CPUID bits, nothing
 * intercepted, no VM exits), the VMLAUNCH, the usual story after it, a CPU
 * without hardware virtualization, the VID's two levels (the worker process
 * vmwp in ring 3 managing a child partition through the VID driver in ring
 * 0), hand-made guests that ask wrongly or twice, determinism and the CLI. Host test program (GLib test framework). */
#include <glib.h>
#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-harness.h"
#include "elf-builder.h"
#include "hvsim-platform.h"
#include "sim-harness.h"

#define ENTRY HVSIM_IMAGE_MIN_GPA

/* ==== running ================================================================== */

typedef struct BootRun {
	Harness h;
	gboolean saw_launch;
	uint64_t vmcs_rip_at_launch; /* VMCS_GUEST_RIP when the launched event fired */
} BootRun;

static void on_event(const SimEvent *ev, gpointer user_data)
{
	BootRun *r = user_data;
	if (ev->type == SIM_EV_BOOT && ev->u.boot.stage == SIM_BOOT_LAUNCHED && !r->saw_launch) {
		r->saw_launch = TRUE;
		r->vmcs_rip_at_launch = vmx_vmcs_get(r->h.vp->vmcs, VMCS_GUEST_RIP);
	}
}

/* Loads the "boot" scenario (not through harness_init_image: the scenario
 * switches late launch on) and runs it; `trace` may be NULL. */
static SimOutcome run_named(BootRun *r, const SimConfig *cfg, FILE *trace, const char *scenario)
{
	g_autoptr(GError) error = NULL;
	memset(r, 0, sizeof *r);
	Harness *h = &r->h;
	h->m = sim_machine_new(cfg, &error);
	g_assert_no_error(error);
	g_assert_nonnull(h->m);
	h->events = g_array_new(FALSE, TRUE, sizeof(SimEvent));
	sim_event_bus_subscribe(sim_machine_events(h->m), harness_record, h->events);
	sim_event_bus_subscribe(sim_machine_events(h->m), on_event, r);
	SimTraceWriter *tw = NULL;
	if (trace) {
		tw = sim_trace_writer_new(trace, cfg->vendor);
		sim_event_bus_subscribe(sim_machine_events(h->m), sim_trace_writer_on_event, tw);
	}
	h->p = sim_load_scenario_or_image(h->m, scenario, &error);
	g_assert_no_error(error);
	g_assert_nonnull(h->p);
	g_assert_cmpuint(h->p->vps->len, ==, 1);
	h->vp = g_ptr_array_index(h->p->vps, 0);
	SimOutcome o = harness_run(h);
	g_test_message("outcome %d: %s", o, sim_machine_outcome_message(h->m));
	if (tw) {
		g_assert_true(sim_trace_writer_finish(tw));
		sim_trace_writer_free(tw);
	}
	return o;
}

static SimOutcome run_scenario(BootRun *r, const SimConfig *cfg, FILE *trace)
{
	return run_named(r, cfg, trace, "boot");
}

/* The boot scenario with `child` as the child image (what --child does). */
static SimOutcome run_with_child(BootRun *r, const guint8 *child, gsize len)
{
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL, .child_image = child, .child_image_len = len,
	                  .child_image_name = "test-child.elf" };
	return run_named(r, &cfg, NULL, "boot");
}

/* A hand-made guest at ENTRY, powered on with no hypervisor. */
static SimOutcome run_code_late(BootRun *r, SimVendor vendor, const guint8 *code, gsize len)
{
	g_autoptr(GByteArray) img = elf_build_code(ENTRY, code, len);
	SimConfig cfg = { .vendor = vendor, .late_launch = TRUE };
	memset(r, 0, sizeof *r);
	harness_init_image(&r->h, &cfg, img->data, img->len);
	sim_event_bus_subscribe(sim_machine_events(r->h.m), on_event, r);
	SimOutcome o = harness_run(&r->h);
	g_test_message("outcome %d: %s", o, sim_machine_outcome_message(r->h.m));
	return o;
}

/* ==== helpers ================================================================== */

static gint find_boot(Harness *h, SimBootStage stage)
{
	for (guint i = 0; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type == SIM_EV_BOOT && e->u.boot.stage == stage)
			return (gint)i;
	}
	return -1;
}

static guint count_boot(Harness *h, SimBootStage stage)
{
	guint n = 0;
	for (guint i = 0; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		n += e->type == SIM_EV_BOOT && e->u.boot.stage == stage;
	}
	return n;
}

/* The boot stages, in event order. */
static GArray *boot_stages(Harness *h)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(guint8));
	for (guint i = 0; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type == SIM_EV_BOOT)
			g_array_append_val(a, e->u.boot.stage);
	}
	return a;
}

/* "RIP 0x..." in a boot event's text. */
static uint64_t text_rip(const char *text)
{
	const char *p = strstr(text, "RIP 0x");
	g_assert_nonnull(p);
	char *end = NULL;
	uint64_t v = g_ascii_strtoull(p + 6, &end, 16);
	g_assert_true(end != p + 6);
	return v;
}

static gint console_find(Harness *h, const char *text)
{
	for (guint i = 0; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type == SIM_EV_CONSOLE && strstr(e->text, text))
			return (gint)i;
	}
	return -1;
}

static gboolean console_has(Harness *h, const char *text)
{
	for (guint i = 0; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type == SIM_EV_CONSOLE && strstr(e->text, text))
			return TRUE;
	}
	return FALSE;
}

/* ==== 1, 2: the boot scenario ================================================== */

static void check_boot_scenario(SimVendor vendor)
{
	BootRun r;
	SimConfig cfg = { .vendor = vendor };
	gboolean intel = vendor == SIM_VENDOR_INTEL;
	g_assert_cmpint(run_scenario(&r, &cfg, NULL), ==, SIM_OUTCOME_SHUTDOWN);
	Harness *h = &r.h;

	/* The boot stages, exactly. */
	static const guint8 want[] = {
		SIM_BOOT_POWER_ON, SIM_BOOT_HVBOOT_REQUEST, SIM_BOOT_IMAGE,
		SIM_BOOT_VMXON, SIM_BOOT_VMCS_FROM_STATE, SIM_BOOT_LAUNCHED,
	};
	g_autoptr(GArray) stages = boot_stages(h);
	g_assert_cmpmem(stages->data, stages->len, want, sizeof want);

	gint img = find_boot(h, SIM_BOOT_IMAGE);
	g_assert_cmpint(img, >=, 0);
	g_assert_nonnull(strstr(harness_event(h, (guint)img)->text, intel ? "hvix64" : "hvax64"));
	g_assert_null(strstr(harness_event(h, (guint)img)->text, intel ? "hvax64" : "hvix64"));
	g_assert_false(harness_event(h, (guint)img)->u.boot.hypervisor);

	gint launched = find_boot(h, SIM_BOOT_LAUNCHED);
	g_assert_cmpint(launched, >, 0);
	guint L = (guint)launched;
	g_assert_true(harness_event(h, L)->u.boot.hypervisor);

	/* Before the launch: the bare CPU. */
	guint leaf1 = 0, leaf81 = 0, io_before = 0;
	for (guint i = 0; i < L; i++) {
		const SimEvent *e = harness_event(h, i);
		g_assert_cmpint(e->type, !=, SIM_EV_VM_EXIT);
		g_assert_cmpint(e->type, !=, SIM_EV_VM_ENTRY);
		g_assert_cmpint(e->type, !=, SIM_EV_HYPERCALL);
		if (e->type == SIM_EV_CPUID && e->u.cpuid.leaf == 1) {
			leaf1++;
			g_assert_cmphex(e->u.cpuid.ecx & HV_CPUID_FEATURES_ECX_HYPERVISOR_PRESENT, ==, 0);
			if (intel)
				g_assert_cmphex(e->u.cpuid.ecx & X86_CPUID1_ECX_VMX, ==, X86_CPUID1_ECX_VMX);
			else
				g_assert_cmphex(e->u.cpuid.ecx & X86_CPUID1_ECX_VMX, ==, 0);
		}
		if (e->type == SIM_EV_CPUID && e->u.cpuid.leaf == 0x80000001u) {
			leaf81++;
			g_assert_cmphex(e->u.cpuid.ecx & X86_CPUID81_ECX_SVM, ==, intel ? 0 : X86_CPUID81_ECX_SVM);
		}
		if (e->type == SIM_EV_CPUID && e->u.cpuid.leaf >= 0x40000000u && e->u.cpuid.leaf <= 0x4000FFFFu) {
			g_assert_cmphex(e->u.cpuid.eax, ==, 0);
			g_assert_cmphex(e->u.cpuid.ebx, ==, 0);
			g_assert_cmphex(e->u.cpuid.ecx, ==, 0);
			g_assert_cmphex(e->u.cpuid.edx, ==, 0);
		}
		if (e->type == SIM_EV_PORT_IO) {
			io_before++;
			g_assert_false(e->u.io.intercepted);
		}
	}
	g_assert_cmpuint(leaf1, >=, 1);
	if (!intel)
		g_assert_cmpuint(leaf81, >=, 1);
	g_assert_cmpuint(io_before, >=, 1); /* the kernel's early console output */

	/* The VMLAUNCH / VMRUN: a VM entry right after, no injection. */
	g_assert_cmpuint(L + 1, <, h->events->len);
	const SimEvent *entry = harness_event(h, L + 1);
	g_assert_cmpint(entry->type, ==, SIM_EV_VM_ENTRY);
	g_assert_false(entry->u.entry.injected);

	/* The guest RIP the VMCS holds at launch is the one the events quote. */
	g_assert_true(r.saw_launch);
	uint64_t rip = text_rip(harness_event(h, L)->text);
	g_assert_cmphex(rip, ==, r.vmcs_rip_at_launch);
	g_assert_cmphex(text_rip(harness_event(h, L - 1)->text), ==, rip);
	g_assert_cmphex(rip, >=, ENTRY);

	/* After: everything but the root's own UART is intercepted, and the
	 * usual story happens. */
	guint io_after = 0, exits_after = 0;
	gboolean hc_id = FALSE, hcpage = FALSE, cpuid_hv = FALSE;
	const guint8 *want_page = intel ? (const guint8 *)"\x0f\x01\xc1" : (const guint8 *)"\x0f\x01\xd9";
	for (guint i = L + 1; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type == SIM_EV_PORT_IO) {
			io_after++;
			/* The root's UART is passed through (its own hardware);
			 * everything else still exits to the hypervisor. */
			gboolean own_uart = e->partition == 1 && e->u.io.port >= HVSIM_PORT_COM1 &&
			                    e->u.io.port <= HVSIM_PORT_COM1_LAST;
			g_assert_true(e->u.io.intercepted == !own_uart);
		}
		if (e->type == SIM_EV_VM_EXIT)
			exits_after++;
		if (e->type == SIM_EV_HYPERCALL && e->u.hypercall.code == 0x0046 && e->u.hypercall.status == 0)
			hc_id = TRUE;
		if (e->type == SIM_EV_HYPERCALL_PAGE && e->u.hcpage.enabled && e->u.hcpage.nbytes >= 3 &&
		    memcmp(e->u.hcpage.bytes, want_page, 3) == 0)
			hcpage = TRUE;
		if (e->type == SIM_EV_CPUID && e->u.cpuid.leaf == 0x40000000u &&
		    memcmp(&e->u.cpuid.ebx, "Micr", 4) == 0)
			cpuid_hv = TRUE;
		if (e->type == SIM_EV_CPUID && e->u.cpuid.leaf == 1)
			g_assert_cmphex(e->u.cpuid.ecx & HV_CPUID_FEATURES_ECX_HYPERVISOR_PRESENT, !=, 0);
	}
	g_assert_cmpuint(io_after, >=, 1);
	g_assert_cmpuint(exits_after, >=, 1);
	g_assert_true(hc_id);
	g_assert_true(hcpage);
	g_assert_true(cpuid_hv);
	g_assert_true(console_has(h, "hello from ring 3"));
	g_assert_true(console_has(h, "late launch done"));
	/* The first VM exit after the launch is at or after the launch RIP. */
	const SimEvent *first_exit = NULL;
	for (guint i = L + 1; i < h->events->len && !first_exit; i++)
		if (harness_event(h, i)->type == SIM_EV_VM_EXIT)
			first_exit = harness_event(h, i);
	g_assert_nonnull(first_exit);
	g_assert_cmphex(first_exit->u.exit.rip, >=, rip);
	g_assert_cmpuint(count_boot(h, SIM_BOOT_REFUSED), ==, 0);
	harness_fini(h);
}

static void test_intel(void) { check_boot_scenario(SIM_VENDOR_INTEL); }
static void test_amd(void) { check_boot_scenario(SIM_VENDOR_AMD); }

/* ==== 2b: the VID's two levels ================================================== */

static guint count_between(Harness *h, guint from, guint to, SimEventType type)
{
	guint n = 0;
	for (guint i = from; i < to && i < h->events->len; i++)
		n += harness_event(h, i)->type == type;
	return n;
}

/* The first event at or after `from` of `type` that `match` accepts, or -1. */
static gint find_from(Harness *h, guint from, SimEventType type,
                      gboolean (*match)(const SimEvent *e, guint arg), guint arg)
{
	for (guint i = from; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type == type && match(e, arg))
			return (gint)i;
	}
	return -1;
}

static gboolean is_syscall_from_ring3(const SimEvent *e, guint arg)
{
	(void)arg;
	return e->u.ring.from == 3 && e->u.ring.to == 0 && e->u.ring.cause == SIM_RING_SYSCALL;
}

static gboolean is_child_state(const SimEvent *e, guint state)
{
	return e->u.child.state == state;
}

static gboolean is_hypercall(const SimEvent *e, guint code)
{
	return e->u.hypercall.code == code;
}

/* vmwp (ring 3) asks the VID driver (ring 0), which makes each partition-
 * management hypercall: per step a SYSCALL from ring 3, then the child's
 * state change (emitted while the hypervisor handles the call), then the
 * hypercall event itself (emitted when it completes) with SUCCESS. */
static void test_vid_two_levels(gconstpointer data)
{
	static const struct {
		guint code;
		SimChildState state;
	} steps[] = {
		{ 0x0040, SIM_CHILD_CREATED },     /* HvCallCreatePartition */
		{ 0x0041, SIM_CHILD_INITIALIZED }, /* HvCallInitializePartition */
		{ 0x0042, SIM_CHILD_FINALIZED },   /* HvCallFinalizePartition */
		{ 0x0043, SIM_CHILD_DELETED },     /* HvCallDeletePartition */
	};
	BootRun r;
	SimConfig cfg = { .vendor = (SimVendor)GPOINTER_TO_INT(data) };
	g_assert_cmpint(run_scenario(&r, &cfg, NULL), ==, SIM_OUTCOME_SHUTDOWN);
	Harness *h = &r.h;

	/* Nothing about partitions before vmwp says hello. */
	gint start = console_find(h, "vmwp: the worker process");
	g_assert_cmpint(start, >, 0);
	g_assert_cmpint(find_from(h, 0, SIM_EV_CHILD, is_child_state, SIM_CHILD_CREATED), >, start);

	guint pos = (guint)start;
	uint64_t child = 0;
	for (guint s = 0; s < G_N_ELEMENTS(steps); s++) {
		gint ch = find_from(h, pos, SIM_EV_CHILD, is_child_state, steps[s].state);
		gint hc = find_from(h, pos, SIM_EV_HYPERCALL, is_hypercall, steps[s].code);
		g_assert_cmpint(ch, >, 0);
		/* The system call that asked for it: the last one from ring 3
		 * before it, and after the previous step. */
		gint sys = -1;
		for (gint i = ch - 1; i >= (gint)pos && sys < 0; i--)
			if (harness_event(h, (guint)i)->type == SIM_EV_RING &&
			    is_syscall_from_ring3(harness_event(h, (guint)i), 0))
				sys = i;
		g_test_message("step %u: syscall %d, child %d, hypercall %d", s, sys, ch, hc);
		g_assert_cmpint(sys, >=, (gint)pos);
		g_assert_cmpint(hc, >, ch);
		/* No other ring transition between them: the kernel made the
		 * call inside that system call. */
		g_assert_cmpuint(count_between(h, (guint)sys + 1, (guint)hc, SIM_EV_RING), ==, 0);
		g_assert_cmphex(harness_event(h, (guint)hc)->u.hypercall.status, ==, 0);
		const SimEvent *c = harness_event(h, (guint)ch);
		g_assert_cmpuint(c->partition, ==, 1);
		if (s == 0)
			child = c->u.child.child;
		g_assert_cmpuint(c->u.child.child, ==, child);
		pos = (guint)hc + 1;
	}
	g_assert_cmpuint(child, >, 1);
	g_assert_cmpint(find_from(h, pos, SIM_EV_CHILD, is_child_state, SIM_CHILD_CREATED), <, 0);

	g_assert_true(console_has(h, "vmwp: the worker process"));
	g_assert_true(console_has(h, "vmwp: HvCallCreatePartition: status 0x0000 SUCCESS"));
	g_assert_true(console_has(h, "vmwp: HvCallDeletePartition(2): status 0x0000 SUCCESS"));
	g_assert_true(console_has(h, "vmwp: child partition 2 booted, ran and powered off"));
	g_assert_true(console_has(h, "process \"vmwp\" exited with status 0"));
	harness_fini(h);
}

static gboolean is_partition(const SimEvent *e, guint id)
{
	return e->partition == id;
}

static gboolean is_status(const SimEvent *e, guint status)
{
	return e->u.hypercall.status == status;
}

/* The whole story of the boot scenario, in order: late launch, the worker
 * creates the child through the VID, the child's VP starts, the child's
 * kernel prints through its UART (I/O intercepts the parent's worker
 * completes), its partition-management call is refused, it powers off and
 * its parent tears it down; the parent shuts down cleanly. */
static void test_child_runs(gconstpointer data)
{
	BootRun r;
	SimConfig cfg = { .vendor = (SimVendor)GPOINTER_TO_INT(data) };
	g_assert_cmpint(run_scenario(&r, &cfg, NULL), ==, SIM_OUTCOME_SHUTDOWN);
	Harness *h = &r.h;
	gint launched = find_boot(h, SIM_BOOT_LAUNCHED);
	gint created = find_from(h, 0, SIM_EV_CHILD, is_child_state, SIM_CHILD_CREATED);
	gint started = find_from(h, 0, SIM_EV_PARTITION_START, is_partition, 2);
	gint first_io = find_from(h, 0, SIM_EV_INTERCEPT, is_partition, 2);
	gint denied = find_from(h, 0, SIM_EV_HYPERCALL, is_status, HV_STATUS_ACCESS_DENIED);
	gint stopped = find_from(h, 0, SIM_EV_PARTITION_STOP, is_partition, 2);
	gint deleted = find_from(h, 0, SIM_EV_CHILD, is_child_state, SIM_CHILD_DELETED);
	g_test_message("launched %d created %d started %d io %d denied %d stopped %d deleted %d",
	               launched, created, started, first_io, denied, stopped, deleted);
	g_assert_cmpint(launched, >, 0);
	g_assert_cmpint(created, >, launched);
	g_assert_cmpint(started, >, created);
	g_assert_cmpint(first_io, >, started);
	g_assert_cmpint(denied, >, first_io);
	g_assert_cmpint(stopped, >, denied);
	g_assert_cmpint(deleted, >, stopped);
	const SimEvent *d = harness_event(h, (guint)denied);
	g_assert_cmpuint(d->partition, ==, 2);
	g_assert_cmphex(d->u.hypercall.code, ==, HVCALL_CREATE_PARTITION);

	/* Every intercept went to the parent and was completed: one
	 * SetVpRegisters from the parent per intercept, plus the two that set
	 * the boot state and start the VP; the child's last intercept is its
	 * power-off, which the worker answers by tearing it down. */
	guint intercepts = 0, completions = 0;
	for (guint i = 0; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type == SIM_EV_INTERCEPT) {
			g_assert_cmpuint(e->partition, ==, 2);
			g_assert_true(e->u.intercept.delivered);
			g_assert_cmphex(e->u.intercept.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
			intercepts++;
		}
		if (e->type == SIM_EV_HYPERCALL && e->partition == 1 && e->u.hypercall.code == HVCALL_SET_VP_REGISTERS) {
			g_assert_cmphex(e->u.hypercall.status, ==, HV_STATUS_SUCCESS);
			completions++;
		}
	}
	g_assert_cmpuint(intercepts, >, 100);
	g_assert_cmpuint(completions, ==, intercepts - 1 + 2);

	/* What the child printed, as the hypervisor saw it, and as the worker
	 * emulating its UART printed it in the parent. */
	SimPartition *child = sim_machine_partition(h->m, 1);
	g_assert_cmpuint(sim_partition_id(child), ==, 2);
	g_assert_cmpuint(sim_partition_parent(child), ==, 1);
	g_assert_nonnull(strstr(sim_partition_console(child), "hello from ring 3\n"));
	g_assert_nonnull(strstr(sim_partition_console(child), "ACCESS_DENIED, as it must be"));
	g_assert_true(child->deleted);
	g_assert_true(sim_partition_stopped_cleanly(child));
	g_assert_true(console_has(h, "child 2 | hello from ring 3"));
	g_assert_true(console_has(h, "child 2 | [kernel] child partition: HvCallCreatePartition -> status 0x0006 ACCESS_DENIED"));
	g_assert_true(console_has(h, "vmwp: child 2: "));
	g_assert_true(sim_partition_stopped_cleanly(h->p));
	harness_fini(h);
}

/* A child that runs wild (jmp $): the hypervisor's stuck check ends it
 * alone and tells the parent; the run still ends cleanly. */
static void test_child_stuck(void)
{
	static const guint8 spin[] = { 0xEB, 0xFE };
	g_autoptr(GByteArray) img = elf_build_code(ENTRY, spin, sizeof spin);
	BootRun r;
	g_assert_cmpint(run_with_child(&r, img->data, img->len), ==, SIM_OUTCOME_SHUTDOWN);
	Harness *h = &r.h;
	SimPartition *child = sim_machine_partition(h->m, 1);
	g_assert_nonnull(strstr(sim_partition_stop_reason(child), "stuck in a loop"));
	g_assert_true(child->deleted);
	g_assert_true(console_has(h, "vmwp: child 2 crashed"));
	g_assert_true(sim_partition_stopped_cleanly(h->p));
	harness_fini(h);
}

/* A child that runs wild while changing state (no stuck check can catch
 * it) and never does I/O: the parent's wait for a message times out (its
 * clock runs while it idles and the child uses the processor), and the
 * worker tears the child down. */
static void test_child_busy(void)
{
	static const guint8 busy[] = { 0x48, 0xFF, 0xC0, 0xEB, 0xFB }; /* 1: inc rax; jmp 1b */
	g_autoptr(GByteArray) img = elf_build_code(ENTRY, busy, sizeof busy);
	BootRun r;
	g_assert_cmpint(run_with_child(&r, img->data, img->len), ==, SIM_OUTCOME_SHUTDOWN);
	Harness *h = &r.h;
	SimPartition *child = sim_machine_partition(h->m, 1);
	g_assert_true(child->deleted);
	g_assert_nonnull(strstr(sim_partition_stop_reason(child), "finalized by its parent"));
	g_assert_true(sim_partition_stopped_cleanly(h->p));
	harness_fini(h);
}

/* A child image that is not an ELF: the worker refuses it in ring 3, tears
 * the partition down, and the parent shuts down normally. */
static void test_child_garbage(void)
{
	guint8 junk[4096];
	for (gsize i = 0; i < sizeof junk; i++)
		junk[i] = (guint8)(i * 37 + 11);
	BootRun r;
	g_assert_cmpint(run_with_child(&r, junk, sizeof junk), ==, SIM_OUTCOME_SHUTDOWN);
	Harness *h = &r.h;
	g_assert_true(console_has(h, "no ELF magic"));
	g_assert_true(console_has(h, "vmwp: HvCallDeletePartition(2): status 0x0000 SUCCESS"));
	g_assert_cmpint(find_from(h, 0, SIM_EV_PARTITION_START, is_partition, 2), <, 0);
	g_assert_true(sim_partition_stopped_cleanly(h->p));
	harness_fini(h);
}

/* Isolation: the child triple-faults; the hypervisor ends it alone and
 * tells the parent, whose worker tears it down; the parent runs on. */
static void test_isolation(void)
{
	BootRun r;
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL };
	g_assert_cmpint(run_named(&r, &cfg, NULL, "isolation"), ==, SIM_OUTCOME_SHUTDOWN);
	Harness *h = &r.h;
	SimPartition *child = sim_machine_partition(h->m, 1);
	g_assert_false(sim_partition_stopped_cleanly(child));
	g_assert_nonnull(strstr(sim_partition_stop_reason(child), "triple fault"));
	g_assert_true(child->deleted);
	gint crash = -1;
	for (guint i = 0; i < h->events->len && crash < 0; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type == SIM_EV_INTERCEPT && e->u.intercept.message_type == HVMSG_UNRECOVERABLE_EXCEPTION)
			crash = (gint)i;
	}
	g_assert_cmpint(crash, >, 0);
	g_assert_true(harness_event(h, (guint)crash)->u.intercept.delivered);
	gint deleted = find_from(h, 0, SIM_EV_CHILD, is_child_state, SIM_CHILD_DELETED);
	g_assert_cmpint(deleted, >, crash);
	/* The parent carried on after the crash: its console went on. */
	gint after = console_find(h, "crashed and was torn down; the parent carries on");
	g_assert_cmpint(after, >, crash);
	g_assert_true(console_has(h, "vmwp: child 2 crashed (triple fault): terminating it"));
	g_assert_true(sim_partition_stopped_cleanly(h->p));
	harness_fini(h);
}

/* The unmapped scenario: the child's string I/O on a port with nothing on
 * it is one I/O exit per element, each with the string bit (and REP where
 * there is one) in its qualification and the instruction's own RIP; INS
 * reads all ones; then its read past its RAM is an EPT violation that
 * suspends its VP and reaches the parent as an unmapped-GPA message, and
 * the worker ends it as asked (status 0). The worker's crash line names
 * no RIP (natively on AMD the state is lost). */
static void test_unmapped(void)
{
	BootRun r;
	SimConfig cfg = { .vendor = SIM_VENDOR_INTEL };
	g_assert_cmpint(run_named(&r, &cfg, NULL, "unmapped"), ==, SIM_OUTCOME_SHUTDOWN);
	Harness *h = &r.h;
	SimPartition *child = sim_machine_partition(h->m, 1);
	g_assert_true(child->deleted);
	/* Port 0x80 exits of the child: 4 REP OUTSB, 3 REP INSB, 1 OUTSW. */
	struct { gboolean in, rep; uint8_t size; guint n; } want[] = {
		{ FALSE, TRUE, 1, 4 }, { TRUE, TRUE, 1, 3 }, { FALSE, FALSE, 2, 1 },
	};
	guint k = 0, in_row = 0;
	uint64_t rip = 0;
	gint gpa_msg = -1;
	for (guint i = 0; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->partition != child->id)
			continue;
		if (e->type == SIM_EV_INTERCEPT && e->u.intercept.message_type == HVMSG_UNMAPPED_GPA)
			gpa_msg = (gint)i;
		if (e->type != SIM_EV_VM_EXIT || (e->u.exit.reason & 0xFFFF) != VMX_EXIT_IO_INSTRUCTION)
			continue;
		VmxIoQual q;
		vmx_io_qual_decode(e->u.exit.qualification, &q);
		if (q.port != 0x80)
			continue;
		g_assert_cmpuint(k, <, G_N_ELEMENTS(want));
		g_assert_true(q.string);
		g_assert_cmpint(q.in, ==, want[k].in);
		g_assert_cmpint(q.rep, ==, want[k].rep);
		g_assert_cmpuint(q.size, ==, want[k].size);
		g_assert_false(q.imm);
		g_assert_cmpuint(e->u.exit.length, ==, 2);   /* F3 6E, F3 6C, 66 6F */
		if (in_row == 0)
			rip = e->u.exit.rip;
		g_assert_cmphex(e->u.exit.rip, ==, rip);    /* every element: the instruction itself */
		if (++in_row == want[k].n) {
			k++;
			in_row = 0;
		}
	}
	g_assert_cmpuint(k, ==, G_N_ELEMENTS(want));
	g_assert_true(console_has(h, "REP INSB (3 bytes) from port 0x80 read 0xff 0xff 0xff: ok"));
	g_assert_true(console_has(h, "REP OUTSB (4 bytes) ok, OUTSW ok"));
	g_assert_cmpint(gpa_msg, >, 0);
	const SimEvent *m = harness_event(h, (guint)gpa_msg);
	g_assert_true(m->u.intercept.delivered);
	/* The GPA the child said it reads: the first byte past its RAM. */
	g_autofree char *read_line = g_strdup_printf("reading GPA 0x%" G_GINT64_MODIFIER "x, the first byte past our RAM",
	                                             m->u.intercept.gpa);
	g_assert_cmphex(m->u.intercept.gpa, >=, 1u << 20);
	g_assert_true(console_has(h, read_line));
	g_assert_cmpuint(m->u.intercept.access, ==, HV_INTERCEPT_ACCESS_READ);
	/* The VP waited for its parent (suspended), and the parent ended it. */
	gint suspended = -1;
	for (guint i = (guint)gpa_msg; i < h->events->len && suspended < 0; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type == SIM_EV_VP_STATE && e->partition == child->id && e->u.vp_state.state == SIM_VP_INTERCEPT_SUSPEND)
			suspended = (gint)i;
	}
	g_assert_cmpint(suspended, >, gpa_msg);
	g_assert_true(console_has(h, "outside its memory (EPT violation): terminating it"));
	g_assert_true(console_has(h, "crashed and was torn down; the parent carries on\n") ||
	              console_has(h, "crashed and was torn down; the parent carries on"));
	g_assert_false(console_has(h, "(something failed)"));
	g_assert_true(sim_partition_stopped_cleanly(h->p));
	harness_fini(h);
}

/* ==== 3: no hardware virtualization ============================================ */

static void test_no_virtualization(gconstpointer data)
{
	BootRun r;
	SimConfig cfg = { .vendor = (SimVendor)GPOINTER_TO_INT(data), .no_virtualization = TRUE };
	g_assert_cmpint(run_scenario(&r, &cfg, NULL), ==, SIM_OUTCOME_SHUTDOWN);
	Harness *h = &r.h;
	static const guint8 want[] = { SIM_BOOT_POWER_ON };
	g_autoptr(GArray) stages = boot_stages(h);
	g_assert_cmpmem(stages->data, stages->len, want, sizeof want);
	gint power_on = find_boot(h, SIM_BOOT_POWER_ON);
	g_assert_cmpint(power_on, >=, 0);
	g_assert_nonnull(strstr(harness_event(h, (guint)power_on)->text, "without hardware virtualization"));
	g_assert_true(console_has(h, "cannot start"));
	g_assert_true(console_has(h, "hello from ring 3"));
	g_assert_cmpuint(harness_count_from(h, 0, SIM_EV_VM_EXIT), ==, 0);
	g_assert_cmpuint(harness_count_from(h, 0, SIM_EV_VM_ENTRY), ==, 0);
	g_assert_cmpuint(harness_count_from(h, 0, SIM_EV_HYPERCALL), ==, 0);
	g_assert_cmpuint(harness_count_from(h, 0, SIM_EV_HYPERCALL_PAGE), ==, 0);
	g_assert_false(h->p->hv_active);
	for (guint i = 0; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type == SIM_EV_PORT_IO)
			g_assert_false(e->u.io.intercepted);
		if (e->type == SIM_EV_CPUID && e->u.cpuid.leaf == 1) {
			g_assert_cmphex(e->u.cpuid.ecx & (X86_CPUID1_ECX_VMX | HV_CPUID_FEATURES_ECX_HYPERVISOR_PRESENT), ==, 0);
		}
		if (e->type == SIM_EV_CPUID && e->u.cpuid.leaf == 0x80000001u)
			g_assert_cmphex(e->u.cpuid.ecx & X86_CPUID81_ECX_SVM, ==, 0);
	}
	g_assert_true(console_has(h, "skipping hypercalls"));
	/* No hypervisor, no VID: the worker process does not run. */
	g_assert_false(console_has(h, "vmwp"));
	g_assert_cmpuint(harness_count_from(h, 0, SIM_EV_CHILD), ==, 0);
	harness_fini(h);
}

/* ==== 4: hostile requests ======================================================= */

#define POWER_OFF                 \
	0x66, 0xBA, 0x04, 0x06,   /* mov dx, 0x604 */ \
	0x66, 0xB8, 0x00, 0x20,   /* mov ax, 0x2000 */ \
	0x66, 0xEF,               /* out dx, ax */ \
	0xEB, 0xFE                /* jmp $ */

static void test_wrong_image(gconstpointer data)
{
	guint8 id = (guint8)GPOINTER_TO_UINT(data);
	const guint8 code[] = {
		0x66, 0xBA, 0x10, 0x06,        /* mov dx, 0x610 */
		0xB8, id, 0x00, 0x00, 0x00,    /* mov eax, id */
		0xEF,                          /* out dx, eax */
		POWER_OFF,
	};
	BootRun r;
	g_assert_cmpint(run_code_late(&r, SIM_VENDOR_INTEL, code, sizeof code), ==, SIM_OUTCOME_SHUTDOWN);
	Harness *h = &r.h;
	static const guint8 want[] = { SIM_BOOT_POWER_ON, SIM_BOOT_HVBOOT_REQUEST, SIM_BOOT_REFUSED };
	g_autoptr(GArray) stages = boot_stages(h);
	g_assert_cmpmem(stages->data, stages->len, want, sizeof want);
	const SimEvent *refused = harness_event(h, (guint)find_boot(h, SIM_BOOT_REFUSED));
	g_assert_nonnull(strstr(refused->text, "hvix64"));
	g_assert_false(refused->u.boot.hypervisor);
	g_assert_cmpuint(count_boot(h, SIM_BOOT_LAUNCHED), ==, 0);
	g_assert_false(h->p->hv_active);
	g_assert_cmpuint(harness_count_from(h, 0, SIM_EV_VM_EXIT), ==, 0);
	const SimEvent *stop = harness_first(h, SIM_EV_PARTITION_STOP);
	g_assert_nonnull(stop);
	g_assert_true(stop->u.stop.clean);
	harness_fini(h);
}

static void test_launch_twice(gconstpointer data)
{
	SimVendor vendor = (SimVendor)GPOINTER_TO_INT(data);
	guint8 id = vendor == SIM_VENDOR_AMD ? HVSIM_HVBOOT_HVAX64 : HVSIM_HVBOOT_HVIX64;
	const guint8 code[] = {
		0x66, 0xBA, 0x10, 0x06,        /* 0x10000: mov dx, 0x610 */
		0xB8, id, 0x00, 0x00, 0x00,    /* 0x10004: mov eax, id */
		0xEF,                          /* 0x10009: out dx, eax  (launch) */
		0xEF,                          /* 0x1000a: out dx, eax  (again: ignored) */
		POWER_OFF,                     /* 0x1000b */
	};
	BootRun r;
	g_assert_cmpint(run_code_late(&r, vendor, code, sizeof code), ==, SIM_OUTCOME_SHUTDOWN);
	Harness *h = &r.h;
	static const guint8 want[] = {
		SIM_BOOT_POWER_ON, SIM_BOOT_HVBOOT_REQUEST, SIM_BOOT_IMAGE,
		SIM_BOOT_VMXON, SIM_BOOT_VMCS_FROM_STATE, SIM_BOOT_LAUNCHED,
	};
	g_autoptr(GArray) stages = boot_stages(h);
	g_assert_cmpmem(stages->data, stages->len, want, sizeof want);
	g_assert_cmpuint(count_boot(h, SIM_BOOT_LAUNCHED), ==, 1);
	g_assert_true(h->p->hv_active);

	/* The OS continues right after its OUT. */
	guint L = (guint)find_boot(h, SIM_BOOT_LAUNCHED);
	g_assert_cmphex(text_rip(harness_event(h, L)->text), ==, ENTRY + 0xa);
	g_assert_cmphex(r.vmcs_rip_at_launch, ==, ENTRY + 0xa);
	g_assert_cmpint(harness_event(h, L + 1)->type, ==, SIM_EV_VM_ENTRY);

	/* The second OUT exits (now intercepted) and is ignored with a message. */
	const SimEvent *first_exit = NULL;
	for (guint i = L; i < h->events->len && !first_exit; i++)
		if (harness_event(h, i)->type == SIM_EV_VM_EXIT)
			first_exit = harness_event(h, i);
	g_assert_nonnull(first_exit);
	g_assert_cmpuint(first_exit->u.exit.reason, ==, VMX_EXIT_IO_INSTRUCTION);
	g_assert_cmphex(first_exit->u.exit.rip, ==, ENTRY + 0xa);
	g_assert_cmphex((first_exit->u.exit.qualification >> 16) & 0xFFFF, ==, HVSIM_PORT_HVBOOT);
	guint msgs = 0;
	for (guint i = L; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type == SIM_EV_MESSAGE && strstr(e->text, "hvboot") && strstr(e->text, "ignored"))
			msgs++;
	}
	g_assert_cmpuint(msgs, ==, 1);
	for (guint i = 0; i < L; i++)
		g_assert_cmpint(harness_event(h, i)->type, !=, SIM_EV_VM_EXIT);
	const SimEvent *stop = harness_first(h, SIM_EV_PARTITION_STOP);
	g_assert_nonnull(stop);
	g_assert_true(stop->u.stop.clean);
	harness_fini(h);
}

/* ==== 5: determinism ============================================================ */

static void trace_run(SimVendor vendor, char **text, size_t *len)
{
	BootRun r;
	SimConfig cfg = { .vendor = vendor };
	FILE *f = open_memstream(text, len);
	g_assert_nonnull(f);
	g_assert_cmpint(run_scenario(&r, &cfg, f), ==, SIM_OUTCOME_SHUTDOWN);
	g_assert_cmpint(fclose(f), ==, 0);
	harness_fini(&r.h);
}

static void test_deterministic(gconstpointer data)
{
	SimVendor vendor = (SimVendor)GPOINTER_TO_INT(data);
	char *a = NULL, *b = NULL;
	size_t la = 0, lb = 0;
	trace_run(vendor, &a, &la);
	trace_run(vendor, &b, &lb);
	g_assert_cmpuint(la, >, 1000);
	g_assert_nonnull(strstr(a, "\"boot\""));
	g_assert_cmpmem(a, la, b, lb);
	free(a);
	free(b);
}

/* ==== 6: the CLI ================================================================ */

/* Returns stdout (caller frees) and the exit status; NULL (skipped)
 * without $HVSIM. */
static char *boot_cli_run(const char *const *args, int *status)
{
	CliResult r;
	if (!g_getenv("HVSIM")) {
		g_test_skip("HVSIM is not set");
		return NULL;
	}
	cli_run(&r, args);
	*status = r.status;
	g_free(r.err);
	return r.out;
}

#define CLI(status, ...) boot_cli_run((const char *const[]){ __VA_ARGS__, NULL }, (status))

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		g_test_message("missing: \"%s\"", needle);
	g_assert_nonnull(strstr(haystack, needle));
}

static void test_cli(void)
{
	int status = -1;
	g_autofree char *out = CLI(&status, "run", "boot");
	if (!out)
		return;
	g_assert_cmpint(status, ==, 0);
	assert_contains(out, "hvsim: boot: power on");
	assert_contains(out, "late launch");
	assert_contains(out, "hvix64");
	assert_contains(out, "hello from ring 3");
	assert_contains(out, "vmwp: HvCallCreatePartition: status 0x0000 SUCCESS");
	g_assert_null(strstr(out, "cannot start"));

	g_autofree char *amd = CLI(&status, "run", "boot", "--vendor", "amd");
	g_assert_cmpint(status, ==, 0);
	assert_contains(amd, "hvsim: boot: power on");
	assert_contains(amd, "hvax64");
	assert_contains(amd, "0f 01 d9");

	g_autofree char *bare = CLI(&status, "run", "boot", "--no-virtualization");
	g_assert_cmpint(status, ==, 0);
	assert_contains(bare, "hvsim: boot: power on");
	assert_contains(bare, "cannot start");
	g_assert_null(strstr(bare, "VMLAUNCH"));
	g_assert_null(strstr(bare, "vmwp"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sim/boot/intel", test_intel);
	g_test_add_func("/sim/boot/amd", test_amd);
	g_test_add_data_func("/sim/boot/vid-two-levels", GINT_TO_POINTER(SIM_VENDOR_INTEL), test_vid_two_levels);
	g_test_add_data_func("/sim/boot/vid-two-levels/amd", GINT_TO_POINTER(SIM_VENDOR_AMD), test_vid_two_levels);
	g_test_add_data_func("/sim/boot/child-runs/intel", GINT_TO_POINTER(SIM_VENDOR_INTEL), test_child_runs);
	g_test_add_data_func("/sim/boot/child-runs/amd", GINT_TO_POINTER(SIM_VENDOR_AMD), test_child_runs);
	g_test_add_func("/sim/boot/isolation", test_isolation);
	g_test_add_func("/sim/boot/unmapped", test_unmapped);
	g_test_add_func("/sim/boot/child-stuck", test_child_stuck);
	g_test_add_func("/sim/boot/child-garbage", test_child_garbage);
	g_test_add_func("/sim/boot/child-busy", test_child_busy);
	g_test_add_data_func("/sim/boot/no-virtualization/intel", GINT_TO_POINTER(SIM_VENDOR_INTEL), test_no_virtualization);
	g_test_add_data_func("/sim/boot/no-virtualization/amd", GINT_TO_POINTER(SIM_VENDOR_AMD), test_no_virtualization);
	g_test_add_data_func("/sim/boot/hostile/wrong-image-hvax64", GUINT_TO_POINTER(HVSIM_HVBOOT_HVAX64), test_wrong_image);
	g_test_add_data_func("/sim/boot/hostile/wrong-image-7", GUINT_TO_POINTER(7), test_wrong_image);
	g_test_add_data_func("/sim/boot/hostile/launch-twice/intel", GINT_TO_POINTER(SIM_VENDOR_INTEL), test_launch_twice);
	g_test_add_data_func("/sim/boot/hostile/launch-twice/amd", GINT_TO_POINTER(SIM_VENDOR_AMD), test_launch_twice);
	g_test_add_data_func("/sim/boot/deterministic/intel", GINT_TO_POINTER(SIM_VENDOR_INTEL), test_deterministic);
	g_test_add_data_func("/sim/boot/deterministic/amd", GINT_TO_POINTER(SIM_VENDOR_AMD), test_deterministic);
	g_test_add_func("/sim/boot/cli", test_cli);
	return g_test_run();
}
