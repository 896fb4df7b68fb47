/* test-msr.c — tests for the modelled hypervisor's RDMSR/WRMSR exits
 * (hv-exit.c): the synthetic MSRs of the TLFS (GUEST_OS_ID, HYPERCALL and
 * its page overlay, VP_INDEX, TIME_REF_COUNT, STIMER0, TPR, ICR) and the intercepted
 * EFER, each access driven as a VM exit on a machine that is not running.
 * Host test program (GLib test framework); expected behaviour from
 * shared/reference/hyperv-facts.md §2. */
#include <glib.h>
#include <string.h>

#include "hvsim-platform.h"
#include "sim-harness.h"

#define PAGE_A  0x200000ull   /* free RAM in hello.elf's partition */
#define PAGE_B  0x300000ull
#define MEM_END SIM_DEFAULT_MEMORY_SIZE

/* ==== access table: which accesses fault ================================== */

typedef struct MsrRow {
	const char *path;
	uint32_t msr;
	gboolean write;
	uint64_t value;      /* for writes */
	gboolean gp;         /* #GP(0) expected */
} MsrRow;

static const MsrRow msr_rows[] = {
	{ "guest-os-id/read",           HV_X64_MSR_GUEST_OS_ID, FALSE, 0, FALSE },
	{ "guest-os-id/write",          HV_X64_MSR_GUEST_OS_ID, TRUE, HARNESS_GUEST_OS_ID, FALSE },
	{ "hypercall/read",             HV_X64_MSR_HYPERCALL, FALSE, 0, FALSE },
	{ "vp-index/read",              HV_X64_MSR_VP_INDEX, FALSE, 0, FALSE },
	{ "vp-index/write",             HV_X64_MSR_VP_INDEX, TRUE, 1, TRUE },        /* read-only */
	{ "vp-index/write-same",        HV_X64_MSR_VP_INDEX, TRUE, 0, TRUE },
	{ "time-ref-count/read",        HV_X64_MSR_TIME_REF_COUNT, FALSE, 0, FALSE },
	{ "time-ref-count/write",       HV_X64_MSR_TIME_REF_COUNT, TRUE, 5, TRUE },  /* read-only */
	{ "stimer0-config/read",        HV_X64_MSR_STIMER0_CONFIG, FALSE, 0, FALSE },
	{ "stimer0-count/read",         HV_X64_MSR_STIMER0_COUNT, FALSE, 0, FALSE },
	{ "eoi/write",                  HV_X64_MSR_EOI, TRUE, 0, FALSE },
	{ "tpr/read",                   HV_X64_MSR_TPR, FALSE, 0, FALSE },
	{ "tpr/write-20",               HV_X64_MSR_TPR, TRUE, 0x20, FALSE },
	{ "tpr/write-ff",               HV_X64_MSR_TPR, TRUE, 0xFF, FALSE },
	{ "tpr/write-100",              HV_X64_MSR_TPR, TRUE, 0x100, TRUE },         /* priority class + subclass only */
	{ "tpr/write-bit32",            HV_X64_MSR_TPR, TRUE, 1ull << 32, TRUE },
	{ "icr/read",                   HV_X64_MSR_ICR, FALSE, 0, FALSE },
	{ "icr/write",                  HV_X64_MSR_ICR, TRUE, 0x000000FF000040F1ull, FALSE },
	{ "unknown/400000ff-read",      0x400000FFu, FALSE, 0, TRUE },
	{ "unknown/400000ff-write",     0x400000FFu, TRUE, 1, TRUE },
	{ "unknown/40000100-read",      0x40000100u, FALSE, 0, TRUE },              /* just past the range */
	{ "unknown/3fffffff-write",     0x3FFFFFFFu, TRUE, 0, TRUE },               /* just before it */
	{ "efer/read",                  IA32_EFER_MSR, FALSE, 0, FALSE },
	{ "efer/write-sce",             IA32_EFER_MSR, TRUE, HVSIM_BOOT_EFER | X86_EFER_SCE, FALSE },
	{ "efer/write-nxe",             IA32_EFER_MSR, TRUE, HVSIM_BOOT_EFER | X86_EFER_NXE, TRUE }, /* NX not offered */
	{ "efer/clear-lme",             IA32_EFER_MSR, TRUE, X86_EFER_LMA, TRUE },
	{ "efer/rsvd-bit1",             IA32_EFER_MSR, TRUE, HVSIM_BOOT_EFER | (1ull << 1), TRUE },
	{ "efer/rsvd-bit9",             IA32_EFER_MSR, TRUE, HVSIM_BOOT_EFER | (1ull << 9), TRUE },
	{ "efer/rsvd-bit12",            IA32_EFER_MSR, TRUE, HVSIM_BOOT_EFER | (1ull << 12), TRUE },
	{ "efer/rsvd-bit63",            IA32_EFER_MSR, TRUE, HVSIM_BOOT_EFER | (1ull << 63), TRUE },
};

static void test_access(gconstpointer data)
{
	const MsrRow *row = data;
	Harness h;
	uint64_t value = 0;

	harness_init_hello(&h, SIM_VENDOR_INTEL);
	guint first = h.events->len;
	uint64_t efer_before = harness_reg(&h, SIM_REG_EFER);
	SimExitAction a = row->write ? harness_wrmsr(&h, row->msr, row->value)
	                             : harness_rdmsr(&h, row->msr, &value);

	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_MSR), ==, 1);
	const SimEvent *ev = harness_last_from(&h, first, SIM_EV_MSR);
	g_assert_cmphex(ev->u.msr.msr, ==, row->msr);
	g_assert_cmpint(ev->u.msr.write, ==, row->write);
	g_assert_cmpint(ev->u.msr.fault, ==, row->gp);
	g_assert_cmpint(ev->u.msr.synthetic, ==, row->msr >= 0x40000000u && row->msr <= 0x400000FFu);
	if (row->write)
		g_assert_cmphex(ev->u.msr.value, ==, row->value);
	else if (!row->gp)
		g_assert_cmphex(ev->u.msr.value, ==, value);

	const SimEvent *en = harness_last_from(&h, first, SIM_EV_VM_ENTRY);
	g_assert_nonnull(en);
	if (row->gp) {
		/* The instruction does not complete: #GP(0) at the same RIP. */
		g_assert_cmpint(a, ==, SIM_RESUME_SAME);
		g_assert_true(en->u.entry.injected);
		g_assert_cmpuint(en->u.entry.injected_vector, ==, X86_VEC_GP);
		harness_assert_injected(&h, X86_VEC_GP, TRUE, 0);
		if (row->msr == IA32_EFER_MSR)
			g_assert_cmphex(harness_reg(&h, SIM_REG_EFER), ==, efer_before);
	} else {
		g_assert_cmpint(a, ==, SIM_RESUME_NEXT);
		g_assert_false(en->u.entry.injected);
		harness_assert_no_injection(&h);
	}
	harness_fini(&h);
}

/* ==== values ================================================================ */

static void test_vp_index(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_VP_INDEX), ==, 0);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_VP_INDEX, 7), ==, SIM_RESUME_SAME);
	harness_assert_injected(&h, X86_VEC_GP, TRUE, 0);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_VP_INDEX), ==, 0);
	harness_fini(&h);
}

static void test_guest_os_id(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_GUEST_OS_ID), ==, 0);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_GUEST_OS_ID, HARNESS_GUEST_OS_ID), ==, SIM_RESUME_NEXT);
	/* All 64 bits survive: EDX:EAX are combined, not truncated. */
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_GUEST_OS_ID), ==, HARNESS_GUEST_OS_ID);
	harness_fini(&h);
}

/* TIME_REF_COUNT counts 100 ns units of the VP's virtual time: retired
 * instructions at 1 ns each plus modelled exit costs. */
static void test_time_ref_count(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);

	uint64_t t0 = harness_rdmsr_ok(&h, HV_X64_MSR_TIME_REF_COUNT);
	g_assert_cmphex(t0, ==, (h.vp->insns * SIM_COST_INSN_NS + h.vp->extra_ns) / HV_TIME_UNIT_NS);

	h.vp->insns += 1000000;    /* one virtual millisecond of guest work */
	uint64_t t1 = harness_rdmsr_ok(&h, HV_X64_MSR_TIME_REF_COUNT);
	/* 1,000,000 ns of instructions + one more exit: 10,000 + 8 units. */
	g_assert_cmpuint(t1 - t0, ==, (1000000 + SIM_COST_WORLD_SWITCH_NS) / HV_TIME_UNIT_NS);

	/* Exits alone advance it too (each costs a modelled world switch). */
	uint64_t t2 = t1;
	for (int i = 0; i < 200; i++)
		t2 = harness_rdmsr_ok(&h, HV_X64_MSR_TIME_REF_COUNT);
	g_assert_cmpuint(t2 - t1, ==, 200 * SIM_COST_WORLD_SWITCH_NS / HV_TIME_UNIT_NS);
	harness_fini(&h);
}

static void test_efer(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);

	g_assert_cmphex(harness_rdmsr_ok(&h, IA32_EFER_MSR), ==, HVSIM_BOOT_EFER);
	g_assert_cmpint(harness_wrmsr(&h, IA32_EFER_MSR, HVSIM_BOOT_EFER | X86_EFER_SCE), ==, SIM_RESUME_NEXT);
	g_assert_cmphex(harness_rdmsr_ok(&h, IA32_EFER_MSR), ==, HVSIM_BOOT_EFER | X86_EFER_SCE);
	g_assert_cmphex(harness_reg(&h, SIM_REG_EFER), ==, HVSIM_BOOT_EFER | X86_EFER_SCE);

	/* LMA is read-only: writing it clear does not leave long mode. */
	g_assert_cmpint(harness_wrmsr(&h, IA32_EFER_MSR, X86_EFER_LME | X86_EFER_SCE), ==, SIM_RESUME_NEXT);
	g_assert_cmphex(harness_rdmsr_ok(&h, IA32_EFER_MSR), ==, HVSIM_BOOT_EFER | X86_EFER_SCE);

	/* A reserved bit: #GP, and EFER keeps its value. */
	g_assert_cmpint(harness_wrmsr(&h, IA32_EFER_MSR, HVSIM_BOOT_EFER | (1ull << 2)), ==, SIM_RESUME_SAME);
	harness_assert_injected(&h, X86_VEC_GP, TRUE, 0);
	g_assert_cmphex(harness_rdmsr_ok(&h, IA32_EFER_MSR), ==, HVSIM_BOOT_EFER | X86_EFER_SCE);
	harness_fini(&h);
}

/* ==== the HYPERCALL MSR and its overlay page ================================= */

static void fill_pattern(Harness *h, uint64_t gpa)
{
	guint8 page[HV_PAGE_SIZE];
	for (guint i = 0; i < sizeof page; i++)
		page[i] = (guint8)(i * 7 + 3);
	g_assert_true(sim_memory_write(&h->p->mem, gpa, page, sizeof page));
}

static void assert_pattern(Harness *h, uint64_t gpa)
{
	guint8 page[HV_PAGE_SIZE];
	g_assert_true(sim_memory_read(&h->p->mem, gpa, page, sizeof page));
	for (guint i = 0; i < sizeof page; i++)
		g_assert_cmphex(page[i], ==, (guint8)(i * 7 + 3));
}

static void assert_stub(Harness *h, uint64_t gpa)
{
	static const guint8 vmcall_ret[4] = { 0x0F, 0x01, 0xC1, 0xC3 };
	guint8 b[4];
	g_assert_true(sim_memory_read(&h->p->mem, gpa, b, sizeof b));
	g_assert_cmpmem(b, sizeof b, vmcall_ret, sizeof vmcall_ret);
}

/* Enable reads back clear until a guest OS id is written (facts §2.2). */
static void test_hypercall_needs_guest_os_id(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	fill_pattern(&h, PAGE_A);
	guint first = h.events->len;

	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_HYPERCALL, PAGE_A | HV_HYPERCALL_MSR_ENABLE), ==, SIM_RESUME_NEXT);
	harness_assert_no_injection(&h);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_HYPERCALL), ==, PAGE_A);
	g_assert_false(h.p->hcpage_active);
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_HYPERCALL_PAGE), ==, 0);
	assert_pattern(&h, PAGE_A);
	harness_fini(&h);
}

static void test_hypercall_enable_disable(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	fill_pattern(&h, PAGE_A);

	harness_enable_hypercall_page(&h, PAGE_A);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_HYPERCALL), ==, PAGE_A | HV_HYPERCALL_MSR_ENABLE);
	assert_stub(&h, PAGE_A);

	/* Enable clear: the overlay goes, the RAM under it comes back. */
	guint first = h.events->len;
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_HYPERCALL, PAGE_A), ==, SIM_RESUME_NEXT);
	g_assert_false(h.p->hcpage_active);
	assert_pattern(&h, PAGE_A);
	const SimEvent *pe = harness_last_from(&h, first, SIM_EV_HYPERCALL_PAGE);
	g_assert_nonnull(pe);
	g_assert_false(pe->u.hcpage.enabled);
	g_assert_cmphex(pe->u.hcpage.gpa, ==, PAGE_A);
	harness_fini(&h);
}

/* Clearing GUEST_OS_ID disables the page and restores the RAM. */
static void test_guest_os_id_clear_disables(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	fill_pattern(&h, PAGE_A);
	harness_enable_hypercall_page(&h, PAGE_A);
	assert_stub(&h, PAGE_A);

	guint first = h.events->len;
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_GUEST_OS_ID, 0), ==, SIM_RESUME_NEXT);
	g_assert_false(h.p->hcpage_active);
	assert_pattern(&h, PAGE_A);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_HYPERCALL) & HV_HYPERCALL_MSR_ENABLE, ==, 0);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_GUEST_OS_ID), ==, 0);
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_HYPERCALL_PAGE), ==, 1);
	g_assert_false(harness_last_from(&h, first, SIM_EV_HYPERCALL_PAGE)->u.hcpage.enabled);
	harness_fini(&h);
}

/* Moving the page: the old GPA gets its RAM back, the new one the stub. */
static void test_hypercall_move(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	fill_pattern(&h, PAGE_A);
	fill_pattern(&h, PAGE_B);
	harness_enable_hypercall_page(&h, PAGE_A);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_HYPERCALL, PAGE_B | HV_HYPERCALL_MSR_ENABLE), ==, SIM_RESUME_NEXT);
	assert_pattern(&h, PAGE_A);
	assert_stub(&h, PAGE_B);
	g_assert_cmphex(h.p->hcpage_gpa, ==, PAGE_B);
	/* Re-enabling at the same GPA keeps the RAM underneath intact. */
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_HYPERCALL, PAGE_B | HV_HYPERCALL_MSR_ENABLE), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_HYPERCALL, 0), ==, SIM_RESUME_NEXT);
	assert_pattern(&h, PAGE_B);
	harness_fini(&h);
}

/* A GPFN outside the partition: #GP(0), nothing changes. */
static void test_hypercall_gpfn_outside(void)
{
	static const uint64_t gpas[] = { MEM_END, MEM_END + 0x1000, 0x40000000ull, 0xFFFFFFFFFFFFF000ull };
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_GUEST_OS_ID, HARNESS_GUEST_OS_ID), ==, SIM_RESUME_NEXT);

	for (gsize i = 0; i < G_N_ELEMENTS(gpas); i++) {
		guint first = h.events->len;
		g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_HYPERCALL, gpas[i] | HV_HYPERCALL_MSR_ENABLE), ==,
		                SIM_RESUME_SAME);
		harness_assert_injected(&h, X86_VEC_GP, TRUE, 0);
		g_assert_true(harness_last_from(&h, first, SIM_EV_MSR)->u.msr.fault);
		g_assert_false(h.p->hcpage_active);
		g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_HYPERCALL), ==, 0);
	}
	/* The last page of RAM is fine. */
	harness_enable_hypercall_page(&h, MEM_END - HV_PAGE_SIZE);
	assert_stub(&h, MEM_END - HV_PAGE_SIZE);
	harness_fini(&h);
}

/* Locked: later writes are ignored until reset. */
static void test_hypercall_locked(void)
{
	Harness h;
	const uint64_t locked = PAGE_A | HV_HYPERCALL_MSR_ENABLE | HV_HYPERCALL_MSR_LOCKED;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_GUEST_OS_ID, HARNESS_GUEST_OS_ID), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_HYPERCALL, locked), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_HYPERCALL, PAGE_B | HV_HYPERCALL_MSR_ENABLE), ==, SIM_RESUME_NEXT);
	harness_assert_no_injection(&h);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_HYPERCALL), ==, locked);
	g_assert_cmphex(h.p->hcpage_gpa, ==, PAGE_A);
	assert_stub(&h, PAGE_A);
	harness_fini(&h);
}

/* ==== synthetic timer 0 (direct mode) ========================================= */

#define STIMER_DIRECT(vector) (HV_STIMER_CONFIG_DIRECT_MODE | ((uint64_t)(vector) << HV_STIMER_CONFIG_VECTOR_SHIFT))

static void test_stimer_one_shot(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);

	uint64_t cfg = STIMER_DIRECT(0x40) | HV_STIMER_CONFIG_ENABLE;
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_CONFIG, cfg), ==, SIM_RESUME_NEXT);
	uint64_t now = harness_rdmsr_ok(&h, HV_X64_MSR_TIME_REF_COUNT);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_COUNT, now + 100), ==, SIM_RESUME_NEXT);
	g_assert_true(h.vp->stimer0.armed);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_STIMER0_CONFIG), ==, cfg);

	/* Not yet: nothing fires. */
	guint first = h.events->len;
	sim_vp_hv_timer_check(h.vp);
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_TIMER), ==, 0);
	g_assert_cmpint(h.vp->pending_vector, ==, -1);

	/* 100 units = 10 us later it fires once: vector pending, Enable clear. */
	h.vp->insns += 100 * HV_TIME_UNIT_NS;
	sim_vp_hv_timer_check(h.vp);
	sim_vp_hv_timer_check(h.vp);
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_TIMER), ==, 1);
	g_assert_cmphex(harness_last_from(&h, first, SIM_EV_TIMER)->u.timer.expiry, ==, now + 100);
	g_assert_cmpint(h.vp->pending_vector, ==, 0x40);
	g_assert_false(h.vp->stimer0.armed);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_STIMER0_CONFIG) & HV_STIMER_CONFIG_ENABLE, ==, 0);
	harness_fini(&h);
}

static void test_stimer_count_zero_stops(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_CONFIG, STIMER_DIRECT(0x41) | HV_STIMER_CONFIG_ENABLE), ==,
	                SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_COUNT, 1000), ==, SIM_RESUME_NEXT);
	g_assert_true(h.vp->stimer0.armed);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_COUNT, 0), ==, SIM_RESUME_NEXT);
	g_assert_false(h.vp->stimer0.armed);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_STIMER0_CONFIG) & HV_STIMER_CONFIG_ENABLE, ==, 0);
	h.vp->insns += 10000000;
	guint first = h.events->len;
	sim_vp_hv_timer_check(h.vp);
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_TIMER), ==, 0);
	harness_fini(&h);
}

static void test_stimer_auto_enable(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_CONFIG, STIMER_DIRECT(0x40) | HV_STIMER_CONFIG_AUTO_ENABLE), ==,
	                SIM_RESUME_NEXT);
	g_assert_false(h.vp->stimer0.armed);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_COUNT, 5000), ==, SIM_RESUME_NEXT);
	g_assert_true(h.vp->stimer0.armed);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_STIMER0_CONFIG) & HV_STIMER_CONFIG_ENABLE, ==,
	                HV_STIMER_CONFIG_ENABLE);
	harness_fini(&h);
}

/* Message mode needs the SynIC: Enable clears at once, with a diagnostic. */
static void test_stimer_message_mode(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	guint first = h.events->len;
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_CONFIG, HV_STIMER_CONFIG_ENABLE), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_COUNT, 5000), ==, SIM_RESUME_NEXT);
	g_assert_false(h.vp->stimer0.armed);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_STIMER0_CONFIG) & HV_STIMER_CONFIG_ENABLE, ==, 0);
	g_assert_cmpuint(harness_count_from(&h, first, SIM_EV_MESSAGE), >=, 1);
	harness_fini(&h);
}

/* Periodic: COUNT is the period (facts §2.5): expiries at arm + period,
 * then every period after, and COUNT keeps reading back the period. */

/* Advances the VP's virtual time by `units` of 100 ns (no exit involved). */
static void advance(Harness *h, uint64_t units)
{
	h->vp->insns += units * HV_TIME_UNIT_NS / SIM_COST_INSN_NS;
}

/* Advances the VP's virtual time to TIME_REF_COUNT = units exactly. */
static void advance_to(Harness *h, uint64_t units)
{
	uint64_t now = sim_vp_vtime(h->vp);
	g_assert_cmpuint(units * HV_TIME_UNIT_NS, >=, now);
	h->vp->insns += (units * HV_TIME_UNIT_NS - now) / SIM_COST_INSN_NS;
	g_assert_cmpuint(sim_vp_time_ref_count(h->vp), ==, units);
}

/* Runs the timer check; how many timers fired (the last one's expiry in
 * *expiry). */
static guint check_timer_expiry(Harness *h, uint64_t *expiry)
{
	guint first = h->events->len;
	h->vp->pending_vector = -1;
	sim_vp_hv_timer_check(h->vp);
	const SimEvent *t = harness_last_from(h, first, SIM_EV_TIMER);
	if (t && expiry)
		*expiry = t->u.timer.expiry;
	return harness_count_from(h, first, SIM_EV_TIMER);
}

static guint check_timer(Harness *h)
{
	return check_timer_expiry(h, NULL);
}

static void test_stimer_periodic(void)
{
	const uint64_t period = 50;   /* 5 us */
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	advance(&h, 10000);           /* the VP has run for a millisecond */

	uint64_t cfg = STIMER_DIRECT(0x42) | HV_STIMER_CONFIG_PERIODIC | HV_STIMER_CONFIG_ENABLE;
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_CONFIG, cfg), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_COUNT, period), ==, SIM_RESUME_NEXT);
	g_assert_true(h.vp->stimer0.armed);
	/* The period starts when COUNT is written (that exit included). */
	const uint64_t armed_at = sim_vp_time_ref_count(h.vp);

	for (uint64_t k = 1; k <= 3; k++) {
		const uint64_t due = armed_at + k * period;
		uint64_t expiry = 0;
		/* Not before its time... */
		g_assert_cmpuint(check_timer(&h), ==, 0);
		advance_to(&h, due - 1);
		g_assert_cmpuint(check_timer(&h), ==, 0);
		/* ...then once, at arm + k periods. */
		advance_to(&h, due);
		g_assert_cmpuint(check_timer_expiry(&h, &expiry), ==, 1);
		g_assert_cmpuint(expiry, ==, due);
		g_assert_cmpint(h.vp->pending_vector, ==, 0x42);
		g_assert_cmpuint(check_timer(&h), ==, 0);
		g_assert_true(h.vp->stimer0.armed);
		g_assert_cmphex(h.vp->stimer0.config & HV_STIMER_CONFIG_ENABLE, ==, HV_STIMER_CONFIG_ENABLE);
		/* COUNT still reads the period, not the next expiry; reading it
		 * is an exit (800 ns), short of the next period. */
		g_assert_cmpuint(harness_rdmsr_ok(&h, HV_X64_MSR_STIMER0_COUNT), ==, period);
		g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_STIMER0_CONFIG), ==, cfg);
	}
	harness_fini(&h);
}

/* Periods missed while the VP could not run collapse into one interrupt;
 * the next comes one period after that late one. */
static void test_stimer_periodic_missed(void)
{
	const uint64_t period = 50;
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	uint64_t cfg = STIMER_DIRECT(0x43) | HV_STIMER_CONFIG_PERIODIC | HV_STIMER_CONFIG_ENABLE;
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_CONFIG, cfg), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_COUNT, period), ==, SIM_RESUME_NEXT);
	const uint64_t armed_at = sim_vp_time_ref_count(h.vp);

	const uint64_t late = armed_at + 3 * period + 20;   /* 3.4 periods later */
	uint64_t expiry = 0;
	advance_to(&h, late);
	g_assert_cmpuint(check_timer_expiry(&h, &expiry), ==, 1);
	g_assert_cmpuint(expiry, ==, armed_at + period);     /* the first one that was due */
	g_assert_cmpuint(check_timer(&h), ==, 0);
	advance_to(&h, late + period - 1);
	g_assert_cmpuint(check_timer(&h), ==, 0);
	advance_to(&h, late + period);
	g_assert_cmpuint(check_timer_expiry(&h, &expiry), ==, 1);
	g_assert_cmpuint(expiry, ==, late + period);
	g_assert_cmpuint(harness_rdmsr_ok(&h, HV_X64_MSR_STIMER0_COUNT), ==, period);
	harness_fini(&h);
}

/* Rewriting COUNT of a periodic timer restarts the period from then. */
static void test_stimer_periodic_rewrite(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	uint64_t cfg = STIMER_DIRECT(0x44) | HV_STIMER_CONFIG_PERIODIC | HV_STIMER_CONFIG_ENABLE;
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_CONFIG, cfg), ==, SIM_RESUME_NEXT);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_COUNT, 1000), ==, SIM_RESUME_NEXT);
	advance(&h, 500);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_STIMER0_COUNT, 200), ==, SIM_RESUME_NEXT);
	const uint64_t armed_at = sim_vp_time_ref_count(h.vp);
	uint64_t expiry = 0;
	advance_to(&h, armed_at + 199);
	g_assert_cmpuint(check_timer(&h), ==, 0);
	advance_to(&h, armed_at + 200);
	g_assert_cmpuint(check_timer_expiry(&h, &expiry), ==, 1);
	g_assert_cmpuint(expiry, ==, armed_at + 200);
	g_assert_cmpuint(harness_rdmsr_ok(&h, HV_X64_MSR_STIMER0_COUNT), ==, 200);
	harness_fini(&h);
}

/* ==== the APIC MSRs: TPR and ICR ================================================ */

static void test_tpr(void)
{
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_TPR), ==, 0);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_TPR, 0x20), ==, SIM_RESUME_NEXT);
	harness_assert_no_injection(&h);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_TPR), ==, 0x20);
	/* More than 8 bits: #GP(0), and TPR keeps its value. */
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_TPR, 0x100), ==, SIM_RESUME_SAME);
	harness_assert_injected(&h, X86_VEC_GP, TRUE, 0);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_TPR), ==, 0x20);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_TPR, 0xFF), ==, SIM_RESUME_NEXT);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_TPR), ==, 0xFF);
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_TPR, 0), ==, SIM_RESUME_NEXT);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_TPR), ==, 0);
	harness_fini(&h);
}

/* ICR: accepted (one VP: nobody to send an IPI to) and reported; reads 0. */
static void test_icr(void)
{
	const uint64_t icr = 0x000000FF000040F1ull;   /* fixed IPI, vector 0xf1, destination 0xff */
	Harness h;
	harness_init_hello(&h, SIM_VENDOR_INTEL);
	guint first = h.events->len;
	g_assert_cmpint(harness_wrmsr(&h, HV_X64_MSR_ICR, icr), ==, SIM_RESUME_NEXT);
	harness_assert_no_injection(&h);
	const SimEvent *msg = harness_last_from(&h, first, SIM_EV_MESSAGE);
	g_assert_nonnull(msg);
	g_assert_nonnull(strstr(msg->text, "ICR"));
	g_assert_nonnull(strstr(msg->text, "0xff000040f1"));
	const SimEvent *ev = harness_last_from(&h, first, SIM_EV_MSR);
	g_assert_false(ev->u.msr.fault);
	g_assert_cmphex(ev->u.msr.value, ==, icr);
	/* Nothing was delivered to this VP either. */
	g_assert_cmpint(h.vp->pending_vector, ==, -1);
	g_assert_cmphex(harness_rdmsr_ok(&h, HV_X64_MSR_ICR), ==, 0);
	harness_fini(&h);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(msr_rows); i++) {
		g_autofree char *path = g_strdup_printf("/sim/msr/access/%s", msr_rows[i].path);
		g_test_add_data_func(path, &msr_rows[i], test_access);
	}
	g_test_add_func("/sim/msr/vp-index", test_vp_index);
	g_test_add_func("/sim/msr/guest-os-id", test_guest_os_id);
	g_test_add_func("/sim/msr/time-ref-count", test_time_ref_count);
	g_test_add_func("/sim/msr/efer", test_efer);
	g_test_add_func("/sim/msr/hypercall/needs-guest-os-id", test_hypercall_needs_guest_os_id);
	g_test_add_func("/sim/msr/hypercall/enable-disable", test_hypercall_enable_disable);
	g_test_add_func("/sim/msr/hypercall/guest-os-id-clear-disables", test_guest_os_id_clear_disables);
	g_test_add_func("/sim/msr/hypercall/move", test_hypercall_move);
	g_test_add_func("/sim/msr/hypercall/gpfn-outside", test_hypercall_gpfn_outside);
	g_test_add_func("/sim/msr/hypercall/locked", test_hypercall_locked);
	g_test_add_func("/sim/msr/stimer/one-shot", test_stimer_one_shot);
	g_test_add_func("/sim/msr/stimer/count-zero-stops", test_stimer_count_zero_stops);
	g_test_add_func("/sim/msr/stimer/auto-enable", test_stimer_auto_enable);
	g_test_add_func("/sim/msr/stimer/message-mode", test_stimer_message_mode);
	g_test_add_func("/sim/msr/stimer/periodic", test_stimer_periodic);
	g_test_add_func("/sim/msr/stimer/periodic-missed", test_stimer_periodic_missed);
	g_test_add_func("/sim/msr/stimer/periodic-rewrite", test_stimer_periodic_rewrite);
	g_test_add_func("/sim/msr/tpr", test_tpr);
	g_test_add_func("/sim/msr/icr", test_icr);
	return g_test_run();
}
