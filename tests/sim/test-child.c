/* test-child.c — a child partition that runs: its memory seen through the
 * SLAT map over the parent's RAM, its VP created suspended, started and
 * resumed with SetVpRegisters, its port I/O sent to the parent as TLFS
 * intercept messages on SINT0, an EPT violation as an unmapped-GPA message,
 * a triple fault as an unrecoverable-exception message that leaves the
 * parent running, and the bad input SetVpRegisters and InstallIntercept
 * must refuse (hv-hypercall.c, hv-exit.c, hv-partition.c, backend-unicorn.c).
 * Host test program (GLib test framework); layouts and statuses are typed
 * in from shared/reference/hyperv-facts.md §3.6, §4.1 and §4.7.
 *
 * The child runs a few hand-assembled instructions in a 64 KiB GPA space
 * whose boot structures the test writes through the child's memory view,
 * the way the worker process does in the boot scenario. */
#include <glib.h>
#include <string.h>

#include "sim-harness.h"
#include "vmbus-proto.h"
#include "vmbus-ring.h"

#define HCPAGE_GPA 0x200000ull      /* root GPAs */
#define IN_GPA     0x201000ull
#define OUT_GPA    0x202000ull
#define SIMP_GPA   0x203000ull
#define CHILD_RAM  0x800000ull      /* root pages backing the child's GPA 0.. */
#define CHILD_PAGES 16u             /* 64 KiB */
#define LATE_PAGE  0x900000ull      /* mapped later at child GPA 0x20000 */

#define C_GDT   0x2000ull           /* child GPAs */
#define C_PML4  0x3000ull
#define C_PDPT  0x4000ull
#define C_PD    0x5000ull
#define C_CODE  0x6000ull
#define C_STACK 0x8000ull

#define REP(n)  ((uint64_t)(n) << 32)

typedef struct Fixture {
	Harness h;
	uint64_t id;           /* the child */
	SimPartition *cp;
	SimVp *cvp;
} Fixture;

/* ---- hypercalls from the root -------------------------------------------------- */

static uint64_t hcall(Harness *h, uint64_t control, const void *in, gsize len)
{
	if (len)
		g_assert_true(sim_memory_write(&h->p->mem, IN_GPA, in, len));
	harness_set_reg(h, SIM_REG_RCX, control);
	harness_set_reg(h, SIM_REG_RDX, IN_GPA);
	harness_set_reg(h, SIM_REG_R8, OUT_GPA);
	g_assert_cmpint(harness_exit(h, VMX_EXIT_VMCALL, 3), ==, SIM_RESUME_NEXT);
	return harness_reg(h, SIM_REG_RAX);
}

static uint16_t id_call(Harness *h, uint16_t code, uint64_t id)
{
	return (uint16_t)hcall(h, code, &id, sizeof id);
}

static uint16_t install_intercept(Harness *h, uint64_t id, uint32_t type, uint32_t mask, uint64_t param)
{
	struct hv_input_install_intercept in = { .partition_id = id, .access_type_mask = mask,
	                                         .intercept_type = type, .intercept_parameter = param };
	return (uint16_t)hcall(h, HVCALL_INSTALL_INTERCEPT, &in, sizeof in);
}

static uint16_t map_pages(Harness *h, uint64_t id, uint64_t gpa_page, uint64_t root_page, unsigned n)
{
	guint8 in[24 + 8 * CHILD_PAGES];
	struct hv_input_map_gpa_pages hdr = { .target_partition_id = id, .target_gpa_base = gpa_page,
	                                      .map_flags = HV_MAP_GPA_PERMISSIONS_MASK };
	g_assert_cmpuint(n, <=, CHILD_PAGES);
	memcpy(in, &hdr, sizeof hdr);
	for (unsigned i = 0; i < n; i++) {
		uint64_t page = root_page + i;
		memcpy(in + 24 + 8 * i, &page, 8);
	}
	return (uint16_t)hcall(h, HVCALL_MAP_GPA_PAGES | REP(n), in, 24 + 8 * n);
}

typedef struct Reg {
	uint32_t name;
	uint64_t low, high;
	uint32_t rsvd;         /* written to the first RsvdZ field */
} Reg;

/* SetVpRegisters on VP 0 of `id`; returns RAX (status and reps done). */
static uint64_t set_regs(Harness *h, uint64_t id, const Reg *regs, unsigned n)
{
	guint8 in[16 + 32 * 24];
	struct hv_input_get_vp_registers hdr = { .partition_id = id, .vp_index = 0 };
	g_assert_cmpuint(n, <=, 24);
	memset(in, 0, sizeof in);
	memcpy(in, &hdr, sizeof hdr);
	for (unsigned i = 0; i < n; i++) {
		struct hv_register_assoc a = { .name = regs[i].name, .rsvd_z1 = regs[i].rsvd,
		                               .value = { regs[i].low, regs[i].high } };
		memcpy(in + 16 + 32 * i, &a, sizeof a);
	}
	return hcall(h, HVCALL_SET_VP_REGISTERS | REP(n), in, 16 + 32 * n);
}

static uint64_t get_reg(Harness *h, uint64_t id, uint32_t name)
{
	guint8 in[20];
	struct hv_input_get_vp_registers hdr = { .partition_id = id, .vp_index = 0 };
	memcpy(in, &hdr, sizeof hdr);
	memcpy(in + 16, &name, 4);
	uint64_t rax = hcall(h, HVCALL_GET_VP_REGISTERS | REP(1), in, sizeof in);
	g_assert_cmphex(rax & 0xFFFF, ==, HV_STATUS_SUCCESS);
	uint64_t v;
	g_assert_true(sim_memory_read(&h->p->mem, OUT_GPA, &v, 8));
	return v;
}

/* ---- the child's memory and code --------------------------------------------------- */

/* mov dx, 0x3f8; mov al, 'H'; out dx, al; in al, dx;
 * mov [0x20000], al; hlt */
static const guint8 child_code[] = {
	0x66, 0xBA, 0xF8, 0x03,
	0xB0, 'H',
	0xEE,
	0xEC,
	0x88, 0x04, 0x25, 0x00, 0x00, 0x02, 0x00,
	0xF4,
};
#define OFF_OUT   6u
#define OFF_IN    7u
#define OFF_STORE 8u

/* ud2 with an IDT of limit 0: #UD, #DF and then a triple fault. */
static const guint8 crash_code[] = { 0x0F, 0x0B };

static void write_child(Fixture *f, uint64_t gpa, const void *buf, gsize len)
{
	g_assert_true(sim_memory_write(&f->cp->mem, gpa, buf, len));
}

static void build_child(Fixture *f, const guint8 *code, gsize len)
{
	const uint64_t gdt[3] = { 0, 0x00AF9A000000FFFFull, 0x00CF92000000FFFFull };
	uint64_t e;
	write_child(f, C_GDT, gdt, sizeof gdt);
	e = C_PDPT | 3;
	write_child(f, C_PML4, &e, 8);
	e = C_PD | 3;
	write_child(f, C_PDPT, &e, 8);
	e = 0x83;   /* one 2 MiB page at 0: more than the map covers */
	write_child(f, C_PD, &e, 8);
	write_child(f, C_CODE, code, len);
}

static const Reg boot_regs[] = {
	{ HV_X64_REGISTER_RIP, C_CODE, 0, 0 },
	{ HV_X64_REGISTER_RSP, C_STACK, 0, 0 },
	{ HV_X64_REGISTER_RFLAGS, 0x2, 0, 0 },
	{ HV_X64_REGISTER_CR3, C_PML4, 0, 0 },
	{ HV_X64_REGISTER_CR4, 0x20, 0, 0 },
	{ HV_X64_REGISTER_EFER, 0x500, 0, 0 },
	{ HV_X64_REGISTER_CR0, 0x80010033, 0, 0 },
	{ HV_X64_REGISTER_GDTR, (uint64_t)23 << 48, C_GDT, 0 },
	/* Segment values: base in the low half; limit, selector, attributes in the high. */
	{ HV_X64_REGISTER_CS, 0, 0xFFFFFFFFull | 0x08ull << 32 | 0xA09Bull << 48, 0 },
	{ HV_X64_REGISTER_SS, 0, 0xFFFFFFFFull | 0x10ull << 32 | 0xC093ull << 48, 0 },
	{ HV_X64_REGISTER_RAX, 0x1111, 0, 0 },
};

/* A root with SynIC on (SIMP, SINT0 -> 0x41), and an initialized child
 * with 64 KiB mapped, ports 0x3F8 intercepted and VP 0 created. */
static void fixture_init(Fixture *f, const guint8 *code, gsize len)
{
	Harness *h = &f->h;
	memset(f, 0, sizeof *f);
	harness_init_root(h, SIM_VENDOR_INTEL);
	harness_enable_hypercall_page(h, HCPAGE_GPA);
	g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_SIMP, SIMP_GPA | HV_SYNIC_PAGE_ENABLE), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_SCONTROL, HV_SYNIC_SCONTROL_ENABLE), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_SINT0, HVSIM_VECTOR_INTERCEPT), ==, SIM_RESUME_NEXT);

	guint8 cp[56];
	memset(cp, 0, sizeof cp);
	g_assert_cmphex(hcall(h, HVCALL_CREATE_PARTITION, cp, sizeof cp) & 0xFFFF, ==, HV_STATUS_SUCCESS);
	g_assert_true(sim_memory_read(&h->p->mem, OUT_GPA, &f->id, 8));
	g_assert_cmphex(id_call(h, HVCALL_INITIALIZE_PARTITION, f->id), ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(map_pages(h, f->id, 0, CHILD_RAM >> 12, CHILD_PAGES), ==, HV_STATUS_SUCCESS);
	f->cp = sim_machine_find_partition(h->m, f->id);
	g_assert_nonnull(f->cp);
	build_child(f, code, len);
	g_assert_cmphex(install_intercept(h, f->id, HV_INTERCEPT_TYPE_X64_IO_PORT,
	                                  HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE, 0x3F8),
	                ==, HV_STATUS_SUCCESS);
	struct hv_input_create_vp vin = { .partition_id = f->id, .vp_index = 0 };
	g_assert_cmphex(hcall(h, HVCALL_CREATE_VP, &vin, sizeof vin) & 0xFFFF, ==, HV_STATUS_SUCCESS);
	f->cvp = sim_partition_vp(f->cp, 0);
	g_assert_nonnull(f->cvp);
}

static void start_child(Fixture *f)
{
	g_assert_cmphex(set_regs(&f->h, f->id, boot_regs, G_N_ELEMENTS(boot_regs)) & 0xFFFF, ==, HV_STATUS_SUCCESS);
	Reg go = { HV_REGISTER_EXPLICIT_SUSPEND, 0, 0, 0 };
	g_assert_cmphex(set_regs(&f->h, f->id, &go, 1) & 0xFFFF, ==, HV_STATUS_SUCCESS);
	g_assert_true(sim_vp_runnable(f->cvp));
}

/* Runs the child VP as the scheduler would, for at most `n` instructions. */
static void run_child(Fixture *f, uint64_t n)
{
	g_assert_true(sim_vp_runnable(f->cvp));
	f->h.m->backend->vp_run(f->cvp, f->cvp->insns + n);
}

static struct hv_message root_slot0(Fixture *f)
{
	struct hv_message m;
	g_assert_true(sim_memory_read(&f->h.p->mem, SIMP_GPA, &m, sizeof m));
	return m;
}

static void free_slot0(Fixture *f)
{
	uint32_t none = HVMSG_NONE;
	g_assert_true(sim_memory_write(&f->h.p->mem, SIMP_GPA, &none, 4));
	sim_vp_take_vector(f->h.vp);
}

static void fixture_fini(Fixture *f)
{
	harness_fini(&f->h);
}

/* ---- tests ---------------------------------------------------------------------------- */

/* The child's GPA space is the parent's pages, through the map. */
static void test_memory_view(void)
{
	Fixture f;
	fixture_init(&f, child_code, sizeof child_code);
	guint8 b[sizeof child_code];
	g_assert_true(sim_memory_read(&f.h.p->mem, CHILD_RAM + C_CODE, b, sizeof b));
	g_assert_cmpmem(b, sizeof b, child_code, sizeof child_code);
	/* Past the map, nothing: the view refuses, a write changes nothing. */
	g_assert_false(sim_memory_range_ok(&f.cp->mem, CHILD_PAGES * 4096ull, 1));
	g_assert_false(sim_memory_range_ok(&f.cp->mem, CHILD_PAGES * 4096ull - 4, 8));
	g_assert_false(sim_memory_write(&f.cp->mem, CHILD_PAGES * 4096ull - 4, b, 8));
	fixture_fini(&f);
}

/* A new VP waits, suspended, until the parent starts it; the start checks
 * the state is long mode the model can run. */
static void test_start(void)
{
	Fixture f;
	fixture_init(&f, child_code, sizeof child_code);
	g_assert_true(f.cvp->explicit_suspend);
	g_assert_false(sim_vp_runnable(f.cvp));
	g_assert_cmphex(get_reg(&f.h, f.id, HV_REGISTER_EXPLICIT_SUSPEND), ==, 1);

	/* Nothing set yet: CR0 is 0, so starting is refused. */
	Reg go = { HV_REGISTER_EXPLICIT_SUSPEND, 0, 0, 0 };
	g_assert_cmphex(set_regs(&f.h, f.id, &go, 1) & 0xFFFF, ==, HV_STATUS_INVALID_REGISTER_VALUE);
	g_assert_false(sim_vp_runnable(f.cvp));

	/* A code selector outside the GDT is refused too. */
	g_assert_cmphex(set_regs(&f.h, f.id, boot_regs, G_N_ELEMENTS(boot_regs)) & 0xFFFF, ==, HV_STATUS_SUCCESS);
	Reg bad_cs = { HV_X64_REGISTER_CS, 0, 0x20ull << 32, 0 };
	g_assert_cmphex(set_regs(&f.h, f.id, &bad_cs, 1) & 0xFFFF, ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(set_regs(&f.h, f.id, &go, 1) & 0xFFFF, ==, HV_STATUS_INVALID_REGISTER_VALUE);

	/* Read back what was set before the start. */
	g_assert_cmphex(get_reg(&f.h, f.id, HV_X64_REGISTER_RIP), ==, C_CODE);
	g_assert_cmphex(get_reg(&f.h, f.id, HV_X64_REGISTER_CR3), ==, C_PML4);
	g_assert_cmphex(get_reg(&f.h, f.id, HV_X64_REGISTER_RAX), ==, 0x1111);

	start_child(&f);
	g_assert_true(f.cvp->started);
	g_assert_cmphex(get_reg(&f.h, f.id, HV_REGISTER_EXPLICIT_SUSPEND), ==, 0);
	const SimEvent *ev = harness_last_from(&f.h, 0, SIM_EV_PARTITION_START);
	g_assert_nonnull(ev);
	g_assert_cmpuint(ev->partition, ==, f.id);
	/* Started: control and segment registers are fixed now. */
	Reg cr3 = { HV_X64_REGISTER_CR3, C_PML4, 0, 0 };
	g_assert_cmphex(set_regs(&f.h, f.id, &cr3, 1) & 0xFFFF, ==, HV_STATUS_INVALID_VP_STATE);
	g_assert_cmphex(set_regs(&f.h, f.id, &boot_regs[8], 1) & 0xFFFF, ==, HV_STATUS_INVALID_VP_STATE);
	fixture_fini(&f);
}

/* OUT and IN to an intercepted port: the VP stops at the instruction, the
 * parent gets the TLFS message, completes it with SetVpRegisters, and the
 * child goes on with the value the parent gave. */
static void test_io_intercepts(void)
{
	Fixture f;
	fixture_init(&f, child_code, sizeof child_code);
	start_child(&f);

	run_child(&f, 1000);
	g_assert_true(f.cvp->intercept_suspend);
	g_assert_false(sim_vp_runnable(f.cvp));
	g_assert_cmphex(f.h.m->backend->reg_get(f.cvp, SIM_REG_RIP), ==, C_CODE + OFF_OUT);
	g_assert_true(sim_vp_vector_pending(f.h.vp, HVSIM_VECTOR_INTERCEPT));

	struct hv_message m = root_slot0(&f);
	g_assert_cmphex(m.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
	g_assert_cmpuint(m.header.payload_size, ==, sizeof(struct hv_x64_io_port_intercept_message));
	g_assert_cmpuint(m.header.origination_id, ==, f.id);
	struct hv_x64_io_port_intercept_message io;
	memcpy(&io, m.payload, sizeof io);
	g_assert_cmpuint(io.header.vp_index, ==, 0);
	g_assert_cmpuint(io.header.instruction_length & 0xF, ==, 1);
	g_assert_cmpuint(io.header.intercept_access_type, ==, HV_INTERCEPT_ACCESS_WRITE);
	g_assert_cmphex(io.header.rip, ==, C_CODE + OFF_OUT);
	g_assert_cmpuint(io.header.cs.selector, ==, 0x08);
	g_assert_cmpuint(io.header.execution_state & 3, ==, 0);                 /* CPL 0 */
	g_assert_true(io.header.execution_state & HV_X64_EXEC_STATE_EFER_LMA);
	g_assert_cmphex(io.port_number, ==, 0x3F8);
	g_assert_cmpuint(io.access_info & HV_IO_ACCESS_SIZE_MASK, ==, 1);
	g_assert_cmphex(io.rax & 0xFF, ==, 'H');
	g_assert_cmphex(io.instruction_bytes[0], ==, 0xEE);
	g_assert_cmpstr(sim_partition_console(f.cp), ==, "H");
	const SimEvent *ev = harness_last_from(&f.h, 0, SIM_EV_INTERCEPT);
	g_assert_nonnull(ev);
	g_assert_true(ev->u.intercept.delivered);
	g_assert_cmpuint(ev->u.intercept.port, ==, 0x3F8);

	/* Suspended: the scheduler does not run it; only the parent resumes it,
	 * and InterceptSuspend cannot be set by the parent. */
	Reg set1 = { HV_REGISTER_INTERCEPT_SUSPEND, 1, 0, 0 };
	g_assert_cmphex(set_regs(&f.h, f.id, &set1, 1) & 0xFFFF, ==, HV_STATUS_INVALID_PARAMETER);
	free_slot0(&f);
	Reg done_out[] = { { HV_X64_REGISTER_RIP, C_CODE + OFF_OUT + 1, 0, 0 },
	                   { HV_REGISTER_INTERCEPT_SUSPEND, 0, 0, 0 } };
	g_assert_cmphex(set_regs(&f.h, f.id, done_out, 2), ==, REP(2)); /* success, 2 reps */
	g_assert_true(sim_vp_runnable(f.cvp));

	run_child(&f, 1000);
	g_assert_true(f.cvp->intercept_suspend);
	m = root_slot0(&f);
	memcpy(&io, m.payload, sizeof io);
	g_assert_cmphex(m.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
	g_assert_cmpuint(io.header.intercept_access_type, ==, HV_INTERCEPT_ACCESS_READ);
	g_assert_cmphex(io.header.rip, ==, C_CODE + OFF_IN);
	free_slot0(&f);
	Reg done_in[] = { { HV_X64_REGISTER_RIP, C_CODE + OFF_IN + 1, 0, 0 },
	                  { HV_X64_REGISTER_RAX, 0x5A, 0, 0 },
	                  { HV_REGISTER_INTERCEPT_SUSPEND, 0, 0, 0 } };
	g_assert_cmphex(set_regs(&f.h, f.id, done_in, 3) & 0xFFFF, ==, HV_STATUS_SUCCESS);

	/* The store to GPA 0x20000 is outside the map: unmapped-GPA message. */
	run_child(&f, 1000);
	g_assert_true(f.cvp->intercept_suspend);
	m = root_slot0(&f);
	g_assert_cmphex(m.header.message_type, ==, HVMSG_UNMAPPED_GPA);
	struct hv_x64_memory_intercept_message mem;
	memcpy(&mem, m.payload, sizeof mem);
	g_assert_cmphex(mem.guest_physical_address, ==, 0x20000);
	g_assert_cmpuint(mem.header.intercept_access_type, ==, HV_INTERCEPT_ACCESS_WRITE);
	g_assert_false(f.cp->stopped);

	/* The parent maps the page and resumes: the store lands in its RAM. */
	free_slot0(&f);
	g_assert_cmphex(map_pages(&f.h, f.id, 0x20, LATE_PAGE >> 12, 1), ==, HV_STATUS_SUCCESS);
	Reg again[] = { { HV_X64_REGISTER_RIP, C_CODE + OFF_STORE, 0, 0 },
	                { HV_REGISTER_INTERCEPT_SUSPEND, 0, 0, 0 } };
	g_assert_cmphex(set_regs(&f.h, f.id, again, 2) & 0xFFFF, ==, HV_STATUS_SUCCESS);
	run_child(&f, 1000);
	guint8 stored = 0;
	g_assert_true(sim_memory_read(&f.h.p->mem, LATE_PAGE, &stored, 1));
	g_assert_cmphex(stored, ==, 0x5A);
	/* Then HLT with interrupts off: the child stops, the parent does not. */
	g_assert_true(f.cp->stopped);
	g_assert_false(f.h.p->stopped);
	fixture_fini(&f);
}

/* Isolation: the child's triple fault ends the child alone and tells the
 * parent; then the parent can finalize and delete it. */
static void test_triple_fault(void)
{
	Fixture f;
	fixture_init(&f, crash_code, sizeof crash_code);
	start_child(&f);
	run_child(&f, 1000);
	g_assert_true(f.cp->stopped);
	g_assert_false(f.cp->stop_clean);
	g_assert_nonnull(strstr(sim_partition_stop_reason(f.cp), "triple fault"));
	g_assert_false(f.h.p->stopped);
	struct hv_message m = root_slot0(&f);
	g_assert_cmphex(m.header.message_type, ==, HVMSG_UNRECOVERABLE_EXCEPTION);
	g_assert_cmpuint(m.header.origination_id, ==, f.id);
	g_assert_true(sim_vp_vector_pending(f.h.vp, HVSIM_VECTOR_INTERCEPT));
	g_assert_cmphex(id_call(&f.h, HVCALL_FINALIZE_PARTITION, f.id), ==, HV_STATUS_SUCCESS);
	g_assert_cmpuint(f.cp->vps->len, ==, 0);
	g_assert_cmphex(id_call(&f.h, HVCALL_DELETE_PARTITION, f.id), ==, HV_STATUS_SUCCESS);
	g_assert_true(f.cp->deleted);
	g_assert_null(sim_machine_find_partition(f.h.m, f.id));
	fixture_fini(&f);
}

/* Finalizing a running child stops it cleanly and frees its VPs. */
static void test_finalize_running(void)
{
	Fixture f;
	fixture_init(&f, child_code, sizeof child_code);
	start_child(&f);
	run_child(&f, 1000);           /* suspended at the OUT */
	g_assert_cmphex(id_call(&f.h, HVCALL_FINALIZE_PARTITION, f.id), ==, HV_STATUS_SUCCESS);
	g_assert_true(f.cp->stopped);
	g_assert_true(f.cp->stop_clean);
	g_assert_cmpuint(f.cp->vps->len, ==, 0);
	g_assert_false(f.h.p->stopped);
	fixture_fini(&f);
}

/* A child's own hypercalls: it may not manage partitions, nor read its
 * parent's registers. */
static void test_child_calls(void)
{
	Fixture f;
	fixture_init(&f, child_code, sizeof child_code);
	start_child(&f);
	Harness ch = f.h;             /* the same machine, seen from the child's VP */
	ch.p = f.cp;
	ch.vp = f.cvp;
	harness_enable_hypercall_page(&ch, 0x9000);
	guint8 in[56];
	memset(in, 0, sizeof in);
	g_assert_true(sim_memory_write(&ch.p->mem, 0xA000, in, sizeof in));
	harness_set_reg(&ch, SIM_REG_RCX, HVCALL_CREATE_PARTITION);
	harness_set_reg(&ch, SIM_REG_RDX, 0xA000);
	harness_set_reg(&ch, SIM_REG_R8, 0xB000);
	g_assert_cmpint(harness_exit(&ch, VMX_EXIT_VMCALL, 3), ==, SIM_RESUME_NEXT);
	g_assert_cmphex(harness_reg(&ch, SIM_REG_RAX) & 0xFFFF, ==, HV_STATUS_ACCESS_DENIED);

	struct hv_input_get_vp_registers g = { .partition_id = f.h.p->id, .vp_index = 0 };
	guint8 gin[20];
	uint32_t name = HV_X64_REGISTER_RIP;
	memcpy(gin, &g, sizeof g);
	memcpy(gin + 16, &name, 4);
	g_assert_true(sim_memory_write(&ch.p->mem, 0xA000, gin, sizeof gin));
	harness_set_reg(&ch, SIM_REG_RCX, HVCALL_GET_VP_REGISTERS | REP(1));
	g_assert_cmpint(harness_exit(&ch, VMX_EXIT_VMCALL, 3), ==, SIM_RESUME_NEXT);
	g_assert_cmphex(harness_reg(&ch, SIM_REG_RAX) & 0xFFFF, ==, HV_STATUS_INVALID_PARTITION_ID);
	fixture_fini(&f);
}

/* Every malformed SetVpRegisters / InstallIntercept is refused with its
 * status and changes nothing. */
static void test_bad_input(void)
{
	Fixture f;
	fixture_init(&f, child_code, sizeof child_code);
	static const struct {
		const char *name;
		Reg reg;
		uint16_t status;
	} bad[] = {
		{ "unknown register name", { 0x00099999, 1, 0, 0 }, HV_STATUS_INVALID_PARAMETER },
		{ "RsvdZ set", { HV_X64_REGISTER_RIP, C_CODE, 0, 1 }, HV_STATUS_INVALID_PARAMETER },
		{ "64-bit register with a high half", { HV_X64_REGISTER_RIP, C_CODE, 1, 0 }, HV_STATUS_INVALID_PARAMETER },
		{ "ExplicitSuspend = 2", { HV_REGISTER_EXPLICIT_SUSPEND, 2, 0, 0 }, HV_STATUS_INVALID_PARAMETER },
		{ "InterceptSuspend = 1", { HV_REGISTER_INTERCEPT_SUSPEND, 1, 0, 0 }, HV_STATUS_INVALID_PARAMETER },
		{ "CR2 as initial state", { HV_X64_REGISTER_CR2, 0, 0, 0 }, HV_STATUS_INVALID_PARAMETER },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("SetVpRegisters: %s", bad[i].name);
		Reg two[2] = { { HV_X64_REGISTER_RBX, 0x77, 0, 0 }, bad[i].reg };
		uint64_t rax = set_regs(&f.h, f.id, two, 2);
		g_assert_cmphex(rax & 0xFFFF, ==, bad[i].status);
		g_assert_cmpuint(rax >> 32, ==, 1);     /* the good first rep was done */
		g_assert_true(f.cvp->explicit_suspend);
	}
	/* Wrong targets. */
	struct hv_input_get_vp_registers hdr = { .partition_id = f.id, .vp_index = 1 };
	guint8 in[48];
	memset(in, 0, sizeof in);
	memcpy(in, &hdr, sizeof hdr);
	g_assert_cmphex(hcall(&f.h, HVCALL_SET_VP_REGISTERS | REP(1), in, sizeof in) & 0xFFFF, ==, HV_STATUS_INVALID_VP_INDEX);
	hdr.vp_index = 0;
	hdr.partition_id = 0x99;
	memcpy(in, &hdr, sizeof hdr);
	g_assert_cmphex(hcall(&f.h, HVCALL_SET_VP_REGISTERS | REP(1), in, sizeof in) & 0xFFFF, ==, HV_STATUS_INVALID_PARTITION_ID);
	hdr.partition_id = HV_PARTITION_ID_SELF;     /* the model refuses setting one's own VP */
	memcpy(in, &hdr, sizeof hdr);
	g_assert_cmphex(hcall(&f.h, HVCALL_SET_VP_REGISTERS | REP(1), in, sizeof in) & 0xFFFF, ==, HV_STATUS_ACCESS_DENIED);
	hdr.partition_id = f.id;
	hdr.target_vtl = 1;
	memcpy(in, &hdr, sizeof hdr);
	g_assert_cmphex(hcall(&f.h, HVCALL_SET_VP_REGISTERS | REP(1), in, sizeof in) & 0xFFFF, ==, HV_STATUS_INVALID_PARAMETER);

	/* InstallIntercept. */
	uint32_t rw = HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE;
	g_assert_cmphex(install_intercept(&f.h, f.id, HV_INTERCEPT_TYPE_X64_IO_PORT, rw, 0x10000), ==, HV_STATUS_INVALID_PARAMETER);
	g_assert_cmphex(install_intercept(&f.h, f.id, HV_INTERCEPT_TYPE_X64_IO_PORT, 0, 0x60), ==, HV_STATUS_INVALID_PARAMETER);
	g_assert_cmphex(install_intercept(&f.h, f.id, HV_INTERCEPT_TYPE_X64_IO_PORT, HV_INTERCEPT_ACCESS_MASK_EXECUTE, 0x60), ==, HV_STATUS_INVALID_PARAMETER);
	g_assert_cmphex(install_intercept(&f.h, f.id, HV_INTERCEPT_TYPE_X64_CPUID, rw, 1), ==, HV_STATUS_INVALID_PARAMETER);
	g_assert_cmphex(install_intercept(&f.h, 0x99, HV_INTERCEPT_TYPE_X64_IO_PORT, rw, 0x60), ==, HV_STATUS_INVALID_PARTITION_ID);
	g_assert_cmphex(install_intercept(&f.h, HV_PARTITION_ID_SELF, HV_INTERCEPT_TYPE_X64_IO_PORT, rw, 0x60), ==, HV_STATUS_INVALID_PARTITION_ID);
	g_assert_false(f.cp->child->io_intercept_read[0x60 / 8] || f.cp->child->io_intercept_write[0x60 / 8]);
	g_assert_cmphex(install_intercept(&f.h, f.id, HV_INTERCEPT_TYPE_X64_IO_PORT, HV_INTERCEPT_ACCESS_MASK_WRITE, 0x61), ==, HV_STATUS_SUCCESS);
	g_assert_true(f.cp->child->io_intercept_write[0x61 / 8] & (1u << (0x61 % 8)));
	g_assert_false(f.cp->child->io_intercept_read[0x61 / 8] & (1u << (0x61 % 8)));
	fixture_fini(&f);
}

/* ---- VMBus seen from outside (vmbus-inspect.c) -------------------------------- */

static void create_port(Harness *h, uint64_t part, uint32_t id, uint32_t type, uint64_t conn_part, uint16_t flags)
{
	struct hv_input_create_port in;
	memset(&in, 0, sizeof in);
	in.port_partition_id = part;
	in.port_id = id;
	in.connection_partition_id = conn_part;
	in.port_info.port_type = type;
	in.port_info.u.event.target_sint = VMBUS_MESSAGE_SINT;
	in.port_info.u.event.target_vp = 0;
	if (type == HV_PORT_TYPE_EVENT)
		in.port_info.u.event.flag_count = flags;
	g_assert_cmphex(hcall(h, HVCALL_CREATE_PORT, &in, sizeof in) & 0xFFFF, ==, HV_STATUS_SUCCESS);
}

static void connect_port(Harness *h, uint64_t conn_part, uint32_t conn, uint64_t part, uint32_t port, uint32_t type)
{
	struct hv_input_connect_port in;
	memset(&in, 0, sizeof in);
	in.connection_partition_id = conn_part;
	in.connection_id = conn;
	in.port_partition_id = part;
	in.port_id = port;
	in.connection_info.port_type = type;
	g_assert_cmphex(hcall(h, HVCALL_CONNECT_PORT, &in, sizeof in) & 0xFFFF, ==, HV_STATUS_SUCCESS);
}

/* HvCallPostMessage of VMBus type from `h`'s VP; its input block at `in_gpa`. */
static uint16_t post(Harness *h, uint64_t in_gpa, uint32_t conn, const void *msg, uint32_t size)
{
	struct hv_input_post_message in;
	memset(&in, 0, sizeof in);
	in.connection_id = conn;
	in.message_type = VMBUS_POST_MESSAGE_TYPE;
	in.payload_size = size;
	memcpy(in.payload, msg, size);
	g_assert_true(sim_memory_write(&h->p->mem, in_gpa, &in, sizeof in));
	harness_set_reg(h, SIM_REG_RCX, HVCALL_POST_MESSAGE);
	harness_set_reg(h, SIM_REG_RDX, in_gpa);
	harness_set_reg(h, SIM_REG_R8, 0);
	g_assert_cmpint(harness_exit(h, VMX_EXIT_VMCALL, 3), ==, SIM_RESUME_NEXT);
	return (uint16_t)harness_reg(h, SIM_REG_RAX);
}

static const SimEvent *last_vmbus(Harness *h, guint from)
{
	return harness_last_from(h, from, SIM_EV_VMBUS);
}

/* The inspector follows an offer, a GPADL, an open and then a signal, and
 * shows the signalled ring's indices and next packet as guest memory has
 * them; a malformed message is reported, not believed. */
static void test_vmbus_inspect(void)
{
	Fixture f;
	fixture_init(&f, child_code, sizeof child_code);
	Harness *h = &f.h;
	Harness ch = f.h;
	ch.p = f.cp;
	ch.vp = f.cvp;
	/* SynIC: the root takes messages and events on SINT2; so does the child. */
	g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_SIEFP, 0x204000 | HV_SYNIC_PAGE_ENABLE), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(h, HV_X64_MSR_SINT0 + VMBUS_MESSAGE_SINT, 0x42), ==, SIM_RESUME_NEXT);
	harness_enable_hypercall_page(&ch, 0x9000);
	g_assert_cmpint(harness_wrmsr(&ch, HV_X64_MSR_SIMP, 0xB000 | HV_SYNIC_PAGE_ENABLE), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&ch, HV_X64_MSR_SCONTROL, HV_SYNIC_SCONTROL_ENABLE), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&ch, HV_X64_MSR_SINT0 + VMBUS_MESSAGE_SINT, 0x42), ==, SIM_RESUME_NEXT);
	/* Ports: child -> parent messages (connection 1), parent -> child
	 * messages (7), child -> parent events (0x2001). */
	create_port(h, h->p->id, VMBUS_MESSAGE_PORT_ID, HV_PORT_TYPE_MESSAGE, f.id, 0);
	connect_port(h, f.id, VMBUS_MESSAGE_CONNECTION_ID, h->p->id, VMBUS_MESSAGE_PORT_ID, HV_PORT_TYPE_MESSAGE);
	create_port(h, f.id, 5, HV_PORT_TYPE_MESSAGE, h->p->id, 0);
	connect_port(h, h->p->id, 7, f.id, 5, HV_PORT_TYPE_MESSAGE);
	create_port(h, h->p->id, VMBUS_EVENT_PORT_ID, HV_PORT_TYPE_EVENT, f.id, 16);
	connect_port(h, f.id, 0x2001, h->p->id, VMBUS_EVENT_PORT_ID, HV_PORT_TYPE_EVENT);

	guint first = h->events->len;
	struct vmbus_msg_offer_channel offer;
	memset(&offer, 0, sizeof offer);
	offer.hdr.msgtype = VMBUS_MSG_OFFERCHANNEL;
	offer.child_relid = 1;
	offer.connection_id = 0x2001;
	g_assert_cmphex(post(h, IN_GPA, 7, &offer, sizeof offer), ==, HV_STATUS_SUCCESS);
	const SimEvent *ev = last_vmbus(h, first);
	g_assert_nonnull(ev);
	g_assert_cmpuint(ev->u.vmbus.msgtype, ==, VMBUS_MSG_OFFERCHANNEL);
	g_assert_cmpuint(ev->u.vmbus.relid, ==, 1);
	g_assert_cmpuint(ev->partition, ==, h->p->id);
	g_assert_cmpuint(ev->u.vmbus.to, ==, f.id);

	/* The child's rings: pages 0xC-0xD child -> parent, 0xE-0xF back. */
	guint8 ringbuf[2 * VMBUS_PAGE_SIZE];
	struct vmbus_ring ring;
	memset(ringbuf, 0, sizeof ringbuf);
	g_assert_cmpint(vmbus_ring_init(&ring, ringbuf, sizeof ringbuf), ==, VMBUS_RING_OK);
	bool signal = false;
	static const char hello[24] = "hello over vmbus";
	g_assert_cmpint(vmbus_ring_write(&ring, VMBUS_PACKET_DATA_INBAND, 0, 42, hello, sizeof hello, &signal), ==, VMBUS_RING_OK);
	g_assert_true(signal);
	g_assert_true(sim_memory_write(&f.cp->mem, 0xC000, ringbuf, sizeof ringbuf));

	guint8 gh[sizeof(struct vmbus_msg_gpadl_header) + sizeof(struct vmbus_gpa_range) + 4 * 8];
	struct vmbus_msg_gpadl_header hdr = { .hdr = { .msgtype = VMBUS_MSG_GPADL_HEADER }, .child_relid = 1, .gpadl = 9,
	                                      .range_buflen = sizeof(struct vmbus_gpa_range) + 4 * 8, .rangecount = 1 };
	struct vmbus_gpa_range range = { .byte_count = 4 * VMBUS_PAGE_SIZE, .byte_offset = 0 };
	memcpy(gh, &hdr, sizeof hdr);
	memcpy(gh + sizeof hdr, &range, sizeof range);
	for (uint64_t i = 0; i < 4; i++) {
		uint64_t pfn = 0xC + i;
		memcpy(gh + sizeof hdr + sizeof range + 8 * i, &pfn, 8);
	}
	/* A truncated GPADL header first: refused by the inspector, reported. */
	guint bad = h->events->len;
	g_assert_cmphex(post(&ch, 0xA000, VMBUS_MESSAGE_CONNECTION_ID, gh, 10), ==, HV_STATUS_SUCCESS);
	ev = last_vmbus(h, bad);
	g_assert_nonnull(ev);
	g_assert_cmpuint(ev->u.vmbus.status, !=, 0);
	g_assert_nonnull(strstr(ev->text, "refused"));

	g_assert_cmphex(post(&ch, 0xA000, VMBUS_MESSAGE_CONNECTION_ID, gh, sizeof gh), ==, HV_STATUS_SUCCESS);
	ev = last_vmbus(h, first);
	g_assert_cmpuint(ev->u.vmbus.msgtype, ==, VMBUS_MSG_GPADL_HEADER);
	g_assert_nonnull(strstr(ev->text, "4 pages"));
	struct vmbus_msg_open_channel open;
	memset(&open, 0, sizeof open);
	open.hdr.msgtype = VMBUS_MSG_OPENCHANNEL;
	open.child_relid = 1;
	open.ring_gpadl = 9;
	open.downstream_page_offset = 2;
	g_assert_cmphex(post(&ch, 0xA000, VMBUS_MESSAGE_CONNECTION_ID, &open, sizeof open), ==, HV_STATUS_SUCCESS);
	struct vmbus_msg_open_result res = { .hdr = { .msgtype = VMBUS_MSG_OPENCHANNEL_RESULT }, .child_relid = 1, .status = 0 };
	g_assert_cmphex(post(h, IN_GPA, 7, &res, sizeof res), ==, HV_STATUS_SUCCESS);

	/* The child signals: the event shows its ring as memory has it. */
	guint sig = h->events->len;
	harness_set_reg(&ch, SIM_REG_RCX, HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST);
	harness_set_reg(&ch, SIM_REG_RDX, 0x2001);
	harness_set_reg(&ch, SIM_REG_R8, 0);
	g_assert_cmpint(harness_exit(&ch, VMX_EXIT_VMCALL, 3), ==, SIM_RESUME_NEXT);
	g_assert_cmphex(harness_reg(&ch, SIM_REG_RAX) & 0xFFFF, ==, HV_STATUS_SUCCESS);
	ev = last_vmbus(h, sig);
	g_assert_nonnull(ev);
	g_assert_cmpuint(ev->u.vmbus.kind, ==, SIM_VMBUS_SIGNAL);
	g_assert_cmpuint(ev->u.vmbus.relid, ==, 1);
	uint32_t footprint = vmbus_ring_packet_footprint(sizeof hello);
	g_assert_cmpuint(ev->u.vmbus.write_index, ==, footprint);
	g_assert_cmpuint(ev->u.vmbus.read_index, ==, 0);
	g_assert_cmpuint(ev->u.vmbus.avail, ==, footprint);
	g_assert_cmpuint(ev->u.vmbus.packet_type, ==, VMBUS_PACKET_DATA_INBAND);
	g_assert_cmpuint(ev->u.vmbus.packet_len, ==, footprint - VMBUS_PACKET_TRAILER_SIZE);
	/* A second packet, then a signal: the write is reported before the
	 * signal (the inspector compares the ring with what it saw last). */
	g_assert_cmpint(vmbus_ring_write(&ring, VMBUS_PACKET_DATA_INBAND, 0, 43, hello, sizeof hello, &signal), ==, VMBUS_RING_OK);
	g_assert_true(sim_memory_write(&f.cp->mem, 0xC000, ringbuf, sizeof ringbuf));
	sig = h->events->len;
	g_assert_cmpint(harness_exit(&ch, VMX_EXIT_VMCALL, 3), ==, SIM_RESUME_NEXT);
	const SimEvent *w = NULL, *s2 = NULL;
	for (guint i = sig; i < h->events->len; i++) {
		const SimEvent *e = harness_event(h, i);
		if (e->type == SIM_EV_VMBUS && e->u.vmbus.kind == SIM_VMBUS_RING_WRITE && !w)
			w = e;
		if (e->type == SIM_EV_VMBUS && e->u.vmbus.kind == SIM_VMBUS_SIGNAL)
			s2 = e;
	}
	g_assert_nonnull(w);
	g_assert_nonnull(s2);
	g_assert_cmpuint(w->seq, <, s2->seq);
	g_assert_cmpuint(w->u.vmbus.write_index, ==, 2 * footprint);
	g_assert_cmpuint(w->partition, ==, f.id);

	/* A lying ring (write index outside the data area) is reported as
	 * unreadable, never decoded. */
	uint32_t evil = 0x7FFFFFF8u;
	g_assert_true(sim_memory_write(&f.cp->mem, 0xC000, &evil, 4));
	sig = h->events->len;
	g_assert_cmpint(harness_exit(&ch, VMX_EXIT_VMCALL, 3), ==, SIM_RESUME_NEXT);
	ev = last_vmbus(h, sig);
	g_assert_nonnull(ev);
	g_assert_cmpuint(ev->u.vmbus.ring_status, !=, VMBUS_RING_OK);
	fixture_fini(&f);
}

/* The parent unmaps the page its child keeps its SIM page on: messages to
 * the child are then refused (INVALID_SYNIC_STATE), never written to a page
 * the child no longer has, and nothing aborts. */
static void test_synic_page_unmapped(void)
{
	Fixture f;
	fixture_init(&f, child_code, sizeof child_code);
	Harness *h = &f.h;
	Harness ch = f.h;
	ch.p = f.cp;
	ch.vp = f.cvp;
	g_assert_cmpint(harness_wrmsr(&ch, HV_X64_MSR_SIMP, 0xB000 | HV_SYNIC_PAGE_ENABLE), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&ch, HV_X64_MSR_SCONTROL, HV_SYNIC_SCONTROL_ENABLE), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&ch, HV_X64_MSR_SINT0 + 2, 0x42), ==, SIM_RESUME_NEXT);
	create_port(h, f.id, 5, HV_PORT_TYPE_MESSAGE, h->p->id, 0);
	connect_port(h, h->p->id, 7, f.id, 5, HV_PORT_TYPE_MESSAGE);
	static const guint8 msg[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	g_assert_cmphex(post(h, IN_GPA, 7, msg, sizeof msg), ==, HV_STATUS_SUCCESS);
	uint32_t type = 0;
	g_assert_true(sim_memory_read(&f.cp->mem, 0xB000 + 2 * 256, &type, 4));
	g_assert_cmphex(type, ==, VMBUS_POST_MESSAGE_TYPE);

	struct hv_input_unmap_gpa_pages un = { .target_partition_id = f.id, .target_gpa_base = 0xB };
	g_assert_cmphex(hcall(h, HVCALL_UNMAP_GPA_PAGES | REP(1), &un, sizeof un) & 0xFFFF, ==, HV_STATUS_SUCCESS);
	g_assert_cmphex(post(h, IN_GPA, 7, msg, sizeof msg), ==, HV_STATUS_INVALID_SYNIC_STATE);
	const SimEvent *ev = harness_last_from(h, 0, SIM_EV_MESSAGE);
	g_assert_nonnull(ev);
	g_assert_nonnull(strstr(ev->text, "no longer in the partition's memory"));
	fixture_fini(&f);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sim/child/memory-view", test_memory_view);
	g_test_add_func("/sim/child/start", test_start);
	g_test_add_func("/sim/child/io-intercepts", test_io_intercepts);
	g_test_add_func("/sim/child/triple-fault", test_triple_fault);
	g_test_add_func("/sim/child/finalize-running", test_finalize_running);
	g_test_add_func("/sim/child/child-calls", test_child_calls);
	g_test_add_func("/sim/child/bad-input", test_bad_input);
	g_test_add_func("/sim/child/vmbus-inspect", test_vmbus_inspect);
	g_test_add_func("/sim/child/synic-page-unmapped", test_synic_page_unmapped);
	return g_test_run();
}
