/* sim-harness.h — shared set-up for the sim tests: a machine with one
 * partition, an event recorder on its bus, and helpers that play the CPU's
 * part of a VM exit (set the registers, call the exit dispatcher) so the
 * hypervisor can be driven without running guest code. Host test code. */
#ifndef HVSIM_TESTS_SIM_HARNESS_H
#define HVSIM_TESTS_SIM_HARNESS_H

#include <glib.h>
#include <string.h>

#include "hv-tlfs.h"
#include "hvsim-platform.h"
#include "sim-private.h"
#include "sim-scenario.h"
#include "vmx.h"
#include "x86-arch.h"

typedef struct Harness {
	SimMachine *m;
	SimPartition *p;
	SimVp *vp;
	GArray *events;     /* of SimEvent, everything the bus delivered */
} Harness;

static inline void harness_record(const SimEvent *ev, gpointer user_data)
{
	g_array_append_vals(user_data, ev, 1);
}

/* A machine with `image` loaded as partition "test"; events are recorded
 * from the start. */
static inline void harness_init_image(Harness *h, const SimConfig *cfg, const guint8 *image, gsize len)
{
	g_autoptr(GError) error = NULL;
	memset(h, 0, sizeof *h);
	h->m = sim_machine_new(cfg, &error);
	g_assert_no_error(error);
	g_assert_nonnull(h->m);
	h->events = g_array_new(FALSE, TRUE, sizeof(SimEvent));
	sim_event_bus_subscribe(sim_machine_events(h->m), harness_record, h->events);
	h->p = sim_machine_add_partition(h->m, "test", image, len, "test.elf", &error);
	g_assert_no_error(error);
	g_assert_nonnull(h->p);
	g_assert_cmpuint(h->p->vps->len, ==, 1);
	h->vp = g_ptr_array_index(h->p->vps, 0);
}

/* A machine with the built-in hello.elf, not started: the tests drive the
 * hypervisor's exit handlers directly. */
static inline void harness_init_hello(Harness *h, SimVendor vendor)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) img = sim_guest_image("hello.elf", &error);
	g_assert_no_error(error);
	SimConfig cfg = { .vendor = vendor };
	gsize len;
	const guint8 *data = g_bytes_get_data(img, &len);
	harness_init_image(h, &cfg, data, len);
}

/* A machine with a built-in scenario (or an image file) loaded by name,
 * as the CLI loads it (late launch, child image); not started. */
static inline void harness_init_scenario(Harness *h, const SimConfig *cfg, const char *scenario)
{
	g_autoptr(GError) error = NULL;
	memset(h, 0, sizeof *h);
	h->m = sim_machine_new(cfg, &error);
	g_assert_no_error(error);
	g_assert_nonnull(h->m);
	h->events = g_array_new(FALSE, TRUE, sizeof(SimEvent));
	sim_event_bus_subscribe(sim_machine_events(h->m), harness_record, h->events);
	h->p = sim_load_scenario_or_image(h->m, scenario, &error);
	g_assert_no_error(error);
	g_assert_nonnull(h->p);
	h->vp = g_ptr_array_index(h->p->vps, 0);
}

/* A hello.elf machine powered on without a hypervisor, launched by an
 * `out dx, eax` to the hvboot port taken as an exit (what hvboot does in the
 * boot scenario): partition 1 is the root, with the rights late_launch()
 * grants (no test-only hook sets privileges). */
static inline void harness_init_root(Harness *h, SimVendor vendor)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) img = sim_guest_image("hello.elf", &error);
	g_assert_no_error(error);
	SimConfig cfg = { .vendor = vendor, .late_launch = TRUE };
	gsize len;
	const guint8 *data = g_bytes_get_data(img, &len);
	harness_init_image(h, &cfg, data, len);
	g_assert_false(h->p->hv_active);

	VmxIoQual q = { .port = HVSIM_PORT_HVBOOT, .size = 4, .in = false };
	SimExit ex;
	memset(&ex, 0, sizeof ex);
	ex.vmx.reason = VMX_EXIT_IO_INSTRUCTION;
	ex.vmx.qualification = vmx_io_qual_encode(&q);
	ex.vmx.instruction_length = 1;
	ex.vmx.guest_rip = h->m->backend->reg_get(h->vp, SIM_REG_RIP);
	ex.io_data = vendor == SIM_VENDOR_INTEL ? HVSIM_HVBOOT_HVIX64 : HVSIM_HVBOOT_HVAX64;
	g_assert_cmpint(sim_hv_handle_exit(h->vp, &ex), ==, SIM_RESUME_NEXT);
	g_assert_true(h->p->hv_active);
}

static inline void harness_fini(Harness *h)
{
	sim_machine_free(h->m);
	g_array_free(h->events, TRUE);
	memset(h, 0, sizeof *h);
}

static inline uint64_t harness_reg(Harness *h, SimReg r)
{
	return h->m->backend->reg_get(h->vp, r);
}

static inline void harness_set_reg(Harness *h, SimReg r, uint64_t v)
{
	h->m->backend->reg_set(h->vp, r, v);
}

static inline SimEvent *harness_event(Harness *h, guint i)
{
	return &g_array_index(h->events, SimEvent, i);
}

/* Events of `type` recorded since index `from`. */
static inline guint harness_count_from(Harness *h, guint from, SimEventType type)
{
	guint n = 0;
	for (guint i = from; i < h->events->len; i++)
		n += harness_event(h, i)->type == type;
	return n;
}

/* The last event of `type` recorded since `from`, or NULL. */
static inline const SimEvent *harness_last_from(Harness *h, guint from, SimEventType type)
{
	for (guint i = h->events->len; i > from; i--)
		if (harness_event(h, i - 1)->type == type)
			return harness_event(h, i - 1);
	return NULL;
}

/* What the CPU backend does on an exit: hand the record to the dispatcher,
 * then write back the RAX result the handler left in it (the backend writes
 * it together with RIP at VM entry; RIP is left alone here so tests can see
 * the handler did not move it). */
static inline SimExitAction harness_exit(Harness *h, uint32_t reason, uint32_t insn_len)
{
	SimExit ex;
	memset(&ex, 0, sizeof ex);
	ex.vmx.reason = reason;
	ex.vmx.instruction_length = insn_len;
	ex.vmx.guest_rip = harness_reg(h, SIM_REG_RIP);
	SimExitAction a = sim_hv_handle_exit(h->vp, &ex);
	if (ex.set_rax)
		harness_set_reg(h, SIM_REG_RAX, ex.rax);
	return a;
}

/* WRMSR: ECX = msr, EDX:EAX = value. */
static inline SimExitAction harness_wrmsr(Harness *h, uint32_t msr, uint64_t value)
{
	harness_set_reg(h, SIM_REG_RCX, msr);
	harness_set_reg(h, SIM_REG_RAX, value & 0xFFFFFFFFu);
	harness_set_reg(h, SIM_REG_RDX, value >> 32);
	return harness_exit(h, VMX_EXIT_WRMSR, 2);
}

/* RDMSR: the result is EDX:EAX, each with its upper half clear. */
static inline SimExitAction harness_rdmsr(Harness *h, uint32_t msr, uint64_t *value)
{
	harness_set_reg(h, SIM_REG_RCX, msr);
	harness_set_reg(h, SIM_REG_RAX, 0xDEADBEEFDEADBEEFull);
	harness_set_reg(h, SIM_REG_RDX, 0xDEADBEEFDEADBEEFull);
	SimExitAction a = harness_exit(h, VMX_EXIT_RDMSR, 2);
	if (a == SIM_RESUME_NEXT) {
		uint64_t lo = harness_reg(h, SIM_REG_RAX), hi = harness_reg(h, SIM_REG_RDX);
		g_assert_cmphex(lo >> 32, ==, 0);
		g_assert_cmphex(hi >> 32, ==, 0);
		*value = hi << 32 | lo;
	}
	return a;
}

static inline uint64_t harness_rdmsr_ok(Harness *h, uint32_t msr)
{
	uint64_t v = 0;
	g_assert_cmpint(harness_rdmsr(h, msr, &v), ==, SIM_RESUME_NEXT);
	return v;
}

/* No event waits in the VM-entry interruption-information field. */
static inline void harness_assert_no_injection(Harness *h)
{
	uint8_t vector;
	g_assert_false(vmx_intr_info_decode((uint32_t)vmx_vmcs_get(h->vp->vmcs, VMCS_VM_ENTRY_INTR_INFO_FIELD),
	                                    &vector, NULL, NULL));
}

/* Checks that the hypervisor injected hardware exception `vector` (with
 * error code `error` when has_error) for the next VM entry, then consumes
 * it as VM entry would. */
static inline void harness_assert_injected(Harness *h, uint8_t vector, gboolean has_error, uint32_t error)
{
	uint8_t v = 0, type = 0;
	bool has_err = false;
	uint32_t err = 0xFFFFFFFFu;
	uint32_t info = (uint32_t)vmx_vmcs_get(h->vp->vmcs, VMCS_VM_ENTRY_INTR_INFO_FIELD);

	g_assert_true(vmx_intr_info_decode(info, &v, &type, &has_err));
	g_assert_cmpuint(v, ==, vector);
	g_assert_cmpuint(type, ==, VMX_INTR_TYPE_HARD_EXCEPTION);
	g_assert_cmpint(has_err, ==, has_error);
	g_assert_true(vmx_take_injected_event(h->vp->vmcs, &v, &type, &has_err, &err));
	g_assert_cmpuint(v, ==, vector);
	if (has_error)
		g_assert_cmphex(err, ==, error);
	harness_assert_no_injection(h);
}

/* Enables the hypercall page at gpa the way a guest does: a guest OS id
 * first, then the HYPERCALL MSR with the enable bit. */
#define HARNESS_GUEST_OS_ID 0x8100000000010001ull /* open source, Linux type, a version */

static inline void harness_enable_hypercall_page(Harness *h, uint64_t gpa)
{
	g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_GUEST_OS_ID, HARNESS_GUEST_OS_ID), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_HYPERCALL, gpa | HV_HYPERCALL_MSR_ENABLE), ==, SIM_RESUME_NEXT);
	g_assert_true(h->p->hcpage_active);
}

/* One VMCALL exit (no reps): checks it produced exactly one hypercall event
 * with the status RAX returned, nothing injected and nothing else in RAX;
 * returns the status. */
static inline uint16_t harness_hypercall(Harness *h, uint64_t control, uint64_t rdx, uint64_t r8)
{
	guint first = h->events->len;
	harness_set_reg(h, SIM_REG_RCX, control);
	harness_set_reg(h, SIM_REG_RDX, rdx);
	harness_set_reg(h, SIM_REG_R8, r8);
	harness_set_reg(h, SIM_REG_RAX, 0xA5A5A5A5A5A5A5A5ull);
	g_assert_cmpint(harness_exit(h, VMX_EXIT_VMCALL, 3), ==, SIM_RESUME_NEXT);
	harness_assert_no_injection(h);
	uint64_t rax = harness_reg(h, SIM_REG_RAX);
	g_assert_cmpuint(harness_count_from(h, first, SIM_EV_HYPERCALL), ==, 1);
	const SimEvent *ev = harness_last_from(h, first, SIM_EV_HYPERCALL);
	g_assert_cmphex(ev->u.hypercall.code, ==, control & 0xFFFF);
	g_assert_cmphex(ev->u.hypercall.status, ==, rax & 0xFFFF);
	g_assert_cmphex(rax >> 16, ==, 0);
	return (uint16_t)rax;
}

/* Runs the machine to its end; the outcome. */
static inline SimOutcome harness_run(Harness *h)
{
	return sim_machine_run(h->m);
}

/* The text of the first event of `type`, or NULL. */
static inline const SimEvent *harness_first(Harness *h, SimEventType type)
{
	for (guint i = 0; i < h->events->len; i++)
		if (harness_event(h, i)->type == type)
			return harness_event(h, i);
	return NULL;
}

#endif /* HVSIM_TESTS_SIM_HARNESS_H */
