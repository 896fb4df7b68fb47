/* backend-unicorn.c — the emulated CPU backend: one Unicorn engine per
 * virtual processor, running real guest code. Sim thread.
 *
 * What the engine does by itself and what we add (Unicorn 2.0.1 facts,
 * measured; see docs/architecture.md):
 *  - IN, OUT and CPUID reach instruction hooks before they execute. These
 *    are VM exits handled synchronously: the hook builds the exit record,
 *    the hypervisor's dispatcher handles it, the hook returns the result.
 *  - VMCALL / VMMCALL, RDMSR, WRMSR, HLT, RDTSC cannot be hooked by kind
 *    (VMCALL reaches the invalid-instruction hook, but with paging on only
 *    the first time). Every translated block passes through our block hook
 *    once; it disassembles the block with Capstone and, for each of those
 *    instructions (and IRETQ, SYSRETQ, IN/OUT), adds a code hook bounded to
 *    that one address, flushes the block and restarts it. The code hook runs
 *    before the instruction executes; an exit handled there resumes the
 *    guest by writing RIP, which the engine honours without a restart.
 *    Nothing is hooked per instruction on the run path.
 *  - Unicorn 2.0.1 facts measured while building this (docs/architecture.md):
 *    its EFER drops SCE and NXE; with an "until" address it probes that
 *    address through the guest page tables (so we use an empty exits list);
 *    its RIP is stale after a stop from the block hook and inside IN/OUT
 *    hooks; every guest store takes a slow self-modifying-code path
 *    (~150-200 ns); guest page tables are honoured for permissions but RAM
 *    is accessed at the linear address (identity mappings only).
 *  - INT n and exceptions reach the interrupt hook instead of the guest IDT,
 *    and SYSCALL does not transfer control: rings/ performs the delivery on
 *    a register copy and we write the result back (every ring transition is
 *    therefore visible as an event).
 *  - Writing CS/SS in 64-bit mode changes only the selector, not the CPU's
 *    descriptor cache or CPL. IRETQ and SYSRETQ executed by the engine do
 *    load them properly, so outward transitions run natively; for inward
 *    ones (ring 3 -> ring 0) we restore the engine context saved at the
 *    last outward transition (a ring 0 state of this same guest) and then
 *    write every register ring 3 code can change. See enter_ring0().
 *  - The block hook also counts retired instructions: the deterministic
 *    virtual clock and the time slices are counted in guest instructions.
 */
#include <capstone/capstone.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "hv-tlfs.h"
#include "ring.h"
#include "sim-private.h"
#include "x86-arch.h"

#define BLOCK_CACHE_SIZE 4096u   /* direct-mapped; power of two */
#define MAX_BLOCK_BYTES  4096u
#define MAX_CODE_HOOKS   4096u    /* distinct exiting-instruction addresses per VP */

typedef struct BlockInfo {
	uint64_t addr;
	uint32_t size;
	uint32_t ninsns;
	bool rep_string;   /* starts with a REP-prefixed string instruction */
} BlockInfo;

/* Instructions that need a bounded code hook. */
typedef enum HookKind {
	HOOK_NONE,
	HOOK_RDMSR,
	HOOK_WRMSR,
	HOOK_HLT,
	HOOK_IRETQ,
	HOOK_SYSRETQ,
	HOOK_VMCALL,       /* VMCALL on the Intel flavour, VMMCALL on AMD */
	HOOK_IO,           /* IN, OUT, INS, OUTS: exact RIP and length, and the IOPL check */
	HOOK_RDTSC,        /* RDTSC: the TSC is virtual time (determinism) */
	HOOK_RDTSCP,       /* RDTSCP: the same, plus TSC_AUX in ECX */
	HOOK_UD,           /* RDRAND, RDSEED: not offered by CPUID, so #UD (and never host entropy) */
	HOOK_STI,          /* STI: its one-instruction interrupt shadow */
	HOOK_AFTER_SYNC,   /* the instruction after an IN, OUT or CPUID: where a pause its event
	                    * asked for stops (see sync_pause_hit) */
} HookKind;

/* Why the engine stopped. */
typedef enum Pending {
	PEND_NONE,
	PEND_BUDGET,       /* time slice used up (block hook) */
	PEND_RESCAN,       /* new code hooks added: run the block again */
	PEND_INTR,         /* INT n or exception: deliver through the guest IDT */
	PEND_SYSCALL,      /* SYSCALL: rings/ performs it */
	PEND_SYSRET,       /* SYSRETQ: rings/ performs it */
	PEND_CODE_EXIT,    /* a HLT that exits: handled after the engine stops */
	PEND_REENTER,      /* an exit handled in a hook injected an event: enter again at stop_rip */
	PEND_HALTED,       /* an exit handled in a hook idled the VP */
	PEND_FAULT,        /* a code hook found a fault to deliver at stop_rip (fault_vector) */
	PEND_STOP,         /* the partition stopped inside a hook */
	PEND_SUSPENDED,    /* an exit handled in a hook suspended the VP (intercept): leave at stop_rip */
	PEND_PAUSE,        /* vp->pause_at reached: leave at stop_rip, resume there without an entry */
	PEND_PAUSE_ARM,    /* a pause hook was added inside this block: run it again, no entry */
} Pending;

typedef struct UcVp {
	SimVp *vp;
	uc_engine *uc;
	csh cs;
	cs_insn *insn;
	BlockInfo cache[BLOCK_CACHE_SIZE];
	BlockInfo cur;            /* the block the engine is executing */
	uint64_t until;           /* instruction budget end */
	GHashTable *hooked;       /* address -> HookKind */
	uc_context *ring_ctx[4];  /* engine context last seen at each CPL (0 and 3 used) */
	bool have_ctx[4];
	Pending pending;
	uint32_t intr_no;
	uint8_t fault_vector;
	uint64_t io_rip;          /* the IN/OUT being executed (set by its code hook) */
	uint32_t io_len;
	uint64_t stop_rip;
	HookKind stop_kind;
	uc_hook h_block, h_in, h_out, h_cpuid, h_syscall, h_invalid, h_intr, h_mem;
	GArray *code_hooks;       /* of uc_hook */
	uint64_t map_generation;  /* a child's SLAT map as last mapped into the engine */
	/* The instruction after the last STI executed: an external interrupt
	 * is not taken before it (the STI shadow). UINT64_MAX when none. */
	uint64_t sti_shadow_rip;
	/* The last access the engine refused (unmapped or protected): the GPA
	 * and the kind, for the EPT-violation exit. */
	uint64_t fault_gpa;
	int fault_type;           /* UC_MEM_*_UNMAPPED / UC_MEM_*_PROT, or -1 */
	/* Pausing inside a slice (vp->pause_at). A pause inside a translated
	 * block stops before the instruction at pause_rip once exactly
	 * pause_count instructions retired; its code hook is an existing exit
	 * hook or the temporary pause_hook. */
	uint64_t pause_rip;
	uint64_t pause_count;
	uc_hook pause_hook;
	uint64_t pause_hook_rip;  /* where pause_hook is (UINT64_MAX: none) */
	/* An IN, OUT or CPUID handled in its instruction hook (mid-block) whose
	 * event asked for a pause: the engine honours uc_emu_stop only at the
	 * next block, so the pause is taken by the code hook of the next
	 * instruction, here (UINT64_MAX: none). */
	uint64_t sync_pause_rip;
	bool slice_paused;        /* the slice is paused: the next vp_run continues it */
	bool resume_mid;          /* ... from inside the engine: no VM entry first */
	uint64_t resume_rip;      /* ... inside a block: its rest is no new block for the budget */
	/* Address breakpoints of this VP's partition (machine->addr_bps as of
	 * bp_generation): their code hooks, and the one just stopped at (it
	 * does not stop again when the same instruction resumes). */
	guint bp_generation;
	GHashTable *bp_rips;      /* address set; NULL when none */
	GArray *bp_hooks;         /* of uc_hook */
	uint64_t bp_skip_rip, bp_skip_count;
} UcVp;

static const int reg_map[SIM_REG_N] = {
	[SIM_REG_RAX] = UC_X86_REG_RAX, [SIM_REG_RCX] = UC_X86_REG_RCX,
	[SIM_REG_RDX] = UC_X86_REG_RDX, [SIM_REG_RBX] = UC_X86_REG_RBX,
	[SIM_REG_RSP] = UC_X86_REG_RSP, [SIM_REG_RBP] = UC_X86_REG_RBP,
	[SIM_REG_RSI] = UC_X86_REG_RSI, [SIM_REG_RDI] = UC_X86_REG_RDI,
	[SIM_REG_R8] = UC_X86_REG_R8, [SIM_REG_R9] = UC_X86_REG_R9,
	[SIM_REG_R10] = UC_X86_REG_R10, [SIM_REG_R11] = UC_X86_REG_R11,
	[SIM_REG_R12] = UC_X86_REG_R12, [SIM_REG_R13] = UC_X86_REG_R13,
	[SIM_REG_R14] = UC_X86_REG_R14, [SIM_REG_R15] = UC_X86_REG_R15,
	[SIM_REG_RIP] = UC_X86_REG_RIP, [SIM_REG_RFLAGS] = UC_X86_REG_RFLAGS,
	[SIM_REG_CR0] = UC_X86_REG_CR0, [SIM_REG_CR2] = UC_X86_REG_CR2,
	[SIM_REG_CR3] = UC_X86_REG_CR3, [SIM_REG_CR4] = UC_X86_REG_CR4,
	[SIM_REG_EFER] = -1,
	[SIM_REG_CS] = UC_X86_REG_CS, [SIM_REG_SS] = UC_X86_REG_SS,
};

static UcVp *uv_of(SimVp *vp)
{
	return vp->backend;
}

static uint64_t rd(UcVp *uv, int reg)
{
	uint64_t v = 0;
	uc_reg_read(uv->uc, reg, &v);
	return v;
}

static void wr(UcVp *uv, int reg, uint64_t v)
{
	uc_err e = uc_reg_write(uv->uc, reg, &v);
	if (e != UC_ERR_OK)
		g_warning("unicorn: register %d write failed: %s", reg, uc_strerror(e));
}

static uint64_t rd_msr(UcVp *uv, uint32_t msr)
{
	uc_x86_msr m = { .rid = msr, .value = 0 };
	uc_reg_read(uv->uc, UC_X86_REG_MSR, &m);
	return m.value;
}

static uint64_t uc_reg_get(SimVp *vp, SimReg reg)
{
	UcVp *uv = uv_of(vp);
	if (reg == SIM_REG_EFER)
		return vmx_vmcs_get(vp->vmcs, VMCS_GUEST_IA32_EFER);
	if (reg == SIM_REG_CS || reg == SIM_REG_SS) {
		uint16_t s = 0;
		uc_reg_read(uv->uc, reg_map[reg], &s);
		return s;
	}
	return rd(uv, reg_map[reg]);
}

static void uc_regs_get(SimVp *vp, const SimReg *regs, uint64_t *values, unsigned n)
{
	UcVp *uv = uv_of(vp);
	int ids[16];
	void *ptrs[16];
	g_return_if_fail(n <= G_N_ELEMENTS(ids));
	for (unsigned i = 0; i < n; i++) {
		ids[i] = reg_map[regs[i]];
		values[i] = 0; /* segment selectors fill only 16 bits */
		ptrs[i] = &values[i];
	}
	uc_reg_read_batch(uv->uc, ids, ptrs, (int)n);
}

static void uc_reg_set(SimVp *vp, SimReg reg, uint64_t value)
{
	UcVp *uv = uv_of(vp);
	if (reg == SIM_REG_EFER) {
		/* The VMCS holds the guest's EFER (the engine drops bits its own
		 * CPU model lacks, SCE among them; SYSCALL is done by rings/). */
		uc_x86_msr m = { .rid = IA32_EFER_MSR, .value = value };
		vmx_vmcs_write(vp->vmcs, VMCS_GUEST_IA32_EFER, value);
		uc_reg_write(uv->uc, UC_X86_REG_MSR, &m);
		return;
	}
	wr(uv, reg_map[reg], value);
}

/* ---- Guest memory through the guest's page tables (rings/ walks them) ---- */

static bool mem_read_cb(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	SimPartition *p = ctx;
	return sim_memory_guest_access_ok(&p->mem, gpa, len, false) && sim_memory_read(&p->mem, gpa, buf, len);
}

static bool mem_write_cb(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
	SimPartition *p = ctx;
	/* rings/ pushes interrupt frames with supervisor writes; the hypercall
	 * overlay is read-only to the guest and must stay so. */
	if (p->hcpage_active && gpa < p->hcpage_gpa + HV_PAGE_SIZE && gpa + len > p->hcpage_gpa)
		return false;
	return sim_memory_guest_access_ok(&p->mem, gpa, len, true) && sim_memory_write(&p->mem, gpa, buf, len);
}

static RingMem ring_mem(UcVp *uv)
{
	RingMem m = { .read = mem_read_cb, .write = mem_write_cb, .ctx = uv->vp->partition };
	return m;
}

/* Reads the full privilege-relevant state into a RingCpu. */
static void load_ring_cpu(UcVp *uv, RingCpu *c)
{
	uc_x86_mmr gdtr = { 0 }, idtr = { 0 }, tr = { 0 };
	memset(c, 0, sizeof *c);
	c->rip = rd(uv, UC_X86_REG_RIP);
	c->rsp = rd(uv, UC_X86_REG_RSP);
	c->rflags = rd(uv, UC_X86_REG_RFLAGS);
	c->rcx = rd(uv, UC_X86_REG_RCX);
	c->r11 = rd(uv, UC_X86_REG_R11);
	c->cs = (uint16_t)uc_reg_get(uv->vp, SIM_REG_CS);
	c->ss = (uint16_t)uc_reg_get(uv->vp, SIM_REG_SS);
	c->cr0 = rd(uv, UC_X86_REG_CR0);
	c->cr2 = rd(uv, UC_X86_REG_CR2);
	c->cr3 = rd(uv, UC_X86_REG_CR3);
	c->cr4 = rd(uv, UC_X86_REG_CR4);
	c->efer = vmx_vmcs_get(uv->vp->vmcs, VMCS_GUEST_IA32_EFER);
	uc_reg_read(uv->uc, UC_X86_REG_GDTR, &gdtr);
	uc_reg_read(uv->uc, UC_X86_REG_IDTR, &idtr);
	uc_reg_read(uv->uc, UC_X86_REG_TR, &tr);
	c->gdtr_base = gdtr.base;
	c->gdtr_limit = (uint16_t)gdtr.limit;
	c->idtr_base = idtr.base;
	c->idtr_limit = (uint16_t)idtr.limit;
	c->tr = tr.selector;
	c->tr_base = tr.base;
	c->tr_limit = tr.limit;
	c->star = rd_msr(uv, IA32_STAR_MSR);
	c->lstar = rd_msr(uv, IA32_LSTAR_MSR);
	c->fmask = rd_msr(uv, IA32_FMASK_MSR);
}

/* Paging state only: enough for the hypervisor to read guest memory through
 * the guest's page tables. SMEP and SMAP restrict the guest's own accesses,
 * not the hypervisor's look at its code and stack, so they are left out. */
static void load_paging_cpu(UcVp *uv, RingCpu *c)
{
	memset(c, 0, sizeof *c);
	c->cr0 = rd(uv, UC_X86_REG_CR0);
	c->cr3 = rd(uv, UC_X86_REG_CR3);
	c->cr4 = rd(uv, UC_X86_REG_CR4) & ~(X86_CR4_SMEP | X86_CR4_SMAP);
	c->efer = vmx_vmcs_get(uv->vp->vmcs, VMCS_GUEST_IA32_EFER);
	c->cs = (uint16_t)uc_reg_get(uv->vp, SIM_REG_CS);
}

static bool read_code(UcVp *uv, uint64_t va, void *buf, size_t len)
{
	RingCpu c;
	RingMem m = ring_mem(uv);
	uint32_t pf = 0;
	load_paging_cpu(uv, &c);
	return ring_read_linear(&c, &m, va, buf, len, false, &pf) == RING_OK;
}

/* ---- CPL switching --------------------------------------------------------- */

/* Registers that survive a switch of engine context: everything the guest
 * can own, so that a restored context contributes nothing but the hidden
 * segment-descriptor caches and CPL of the ring it was saved in. */
static const int carried_regs[] = {
	UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX,
	UC_X86_REG_RSI, UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP,
	UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11,
	UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
	UC_X86_REG_RFLAGS, UC_X86_REG_CR0, UC_X86_REG_CR2, UC_X86_REG_CR3,
	UC_X86_REG_CR4, UC_X86_REG_FS_BASE, UC_X86_REG_GS_BASE,
};
static const uint32_t carried_msrs[] = {
	IA32_STAR_MSR, IA32_LSTAR_MSR, IA32_CSTAR_MSR, IA32_FMASK_MSR,
	IA32_KERNEL_GS_BASE_MSR, IA32_EFER_MSR,
};

/* The engine cannot be moved between CPL 0 and CPL 3 by register writes
 * (see the banner): writing CS or SS in 64-bit mode changes the selector
 * but not the hidden descriptor cache, and CPL comes from that cache.
 * IRETQ executed by the engine does load it; for every other transition
 * (interrupt or exception delivery, SYSCALL, SYSRET) we keep the engine
 * context last seen at each CPL, restore the one for the target ring, and
 * write back every register from the state we are leaving, then the new
 * RIP, RSP, RFLAGS and selectors computed by rings/. */
static void save_ring_ctx(UcVp *uv, uint8_t cpl)
{
	if (uc_context_save(uv->uc, uv->ring_ctx[cpl & 3]) == UC_ERR_OK)
		uv->have_ctx[cpl & 3] = true;
}

static bool enter_ring(UcVp *uv, const RingCpu *c, uint8_t from_cpl, bool engine_fault)
{
	uint8_t to_cpl = c->cs & 3;

	/* After an exception the engine raised itself, its internal "exception
	 * in flight" record (QEMU's old_exception, which only its own IDT
	 * delivery clears) would turn the next fault into #DF and the one
	 * after into a silent reset. So that state is never kept: switch to a
	 * clean saved context even within the same ring, and never save it. */
	if (to_cpl != from_cpl || engine_fault) {
		uint64_t vals[G_N_ELEMENTS(carried_regs)];
		uint64_t msrs[G_N_ELEMENTS(carried_msrs)];
		uc_x86_mmr gdtr = { 0 }, idtr = { 0 }, tr = { 0 }, ldtr = { 0 };
		uint16_t ds = 0, es = 0;

		if (!uv->have_ctx[to_cpl]) {
			sim_partition_stop(uv->vp->partition, false, 9,
			                   "emulator limitation: the guest entered ring %u by a transition other than IRETQ before running there once (Unicorn cannot load CPL %u otherwise)",
			                   to_cpl, to_cpl);
			return false;
		}
		if (!engine_fault)
			save_ring_ctx(uv, from_cpl);
		for (guint i = 0; i < G_N_ELEMENTS(carried_regs); i++)
			vals[i] = rd(uv, carried_regs[i]);
		for (guint i = 0; i < G_N_ELEMENTS(carried_msrs); i++)
			msrs[i] = rd_msr(uv, carried_msrs[i]);
		uc_reg_read(uv->uc, UC_X86_REG_GDTR, &gdtr);
		uc_reg_read(uv->uc, UC_X86_REG_IDTR, &idtr);
		uc_reg_read(uv->uc, UC_X86_REG_TR, &tr);
		uc_reg_read(uv->uc, UC_X86_REG_LDTR, &ldtr);
		uc_reg_read(uv->uc, UC_X86_REG_DS, &ds);
		uc_reg_read(uv->uc, UC_X86_REG_ES, &es);

		uc_context_restore(uv->uc, uv->ring_ctx[to_cpl]);

		for (guint i = 0; i < G_N_ELEMENTS(carried_msrs); i++) {
			uc_x86_msr m = { .rid = carried_msrs[i], .value = msrs[i] };
			uc_reg_write(uv->uc, UC_X86_REG_MSR, &m);
		}
		for (guint i = 0; i < G_N_ELEMENTS(carried_regs); i++)
			wr(uv, carried_regs[i], vals[i]);
		uc_reg_write(uv->uc, UC_X86_REG_GDTR, &gdtr);
		uc_reg_write(uv->uc, UC_X86_REG_IDTR, &idtr);
		uc_reg_write(uv->uc, UC_X86_REG_TR, &tr);
		uc_reg_write(uv->uc, UC_X86_REG_LDTR, &ldtr);
		wr(uv, UC_X86_REG_DS, ds);
		wr(uv, UC_X86_REG_ES, es);
	}
	wr(uv, UC_X86_REG_RCX, c->rcx);
	wr(uv, UC_X86_REG_R11, c->r11);
	wr(uv, UC_X86_REG_RFLAGS, c->rflags);
	wr(uv, UC_X86_REG_RSP, c->rsp);
	wr(uv, UC_X86_REG_CS, c->cs);
	wr(uv, UC_X86_REG_SS, c->ss);
	wr(uv, UC_X86_REG_RIP, c->rip);
	return true;
}

static void emit_ring(UcVp *uv, const RingTransition *t)
{
	SimEvent ev;
	sim_event_init(&ev, SIM_EV_RING);
	ev.u.ring.from = t->from_cpl;
	ev.u.ring.to = t->to_cpl;
	switch (t->cause) {
	case RING_CAUSE_EXCEPTION: ev.u.ring.cause = SIM_RING_EXCEPTION; break;
	case RING_CAUSE_SOFTWARE_INT: ev.u.ring.cause = SIM_RING_SOFTWARE_INT; break;
	case RING_CAUSE_EXTERNAL: ev.u.ring.cause = SIM_RING_EXTERNAL; break;
	case RING_CAUSE_SYSCALL: ev.u.ring.cause = SIM_RING_SYSCALL; break;
	case RING_CAUSE_SYSRET: ev.u.ring.cause = SIM_RING_SYSRET; break;
	case RING_CAUSE_IRET: ev.u.ring.cause = SIM_RING_IRET; break;
	}
	ev.u.ring.vector = t->vector;
	ev.u.ring.from_rip = t->from_rip;
	ev.u.ring.to_rip = t->to_rip;
	ev.u.ring.has_error = t->error_code_pushed;
	ev.u.ring.error_code = t->error_code;
	sim_vp_emit(uv->vp, &ev);
}

/* A triple fault is a VM exit (basic reason 2): the hypervisor decides. */
static void triple_fault_exit(UcVp *uv, uint64_t rip, const char *detail)
{
	SimExit ex = { 0 };
	ex.vmx.reason = VMX_EXIT_TRIPLE_FAULT;
	ex.vmx.guest_rip = rip;
	sim_vp_message(uv->vp, "%s", detail);
	sim_hv_handle_exit(uv->vp, &ex);
}

/* Delivers vector through the guest IDT with rings/, then resumes there.
 * `cause` distinguishes INT n (RIP already after it) from faults. Returns
 * false if the partition stopped (triple fault). */
static bool deliver(UcVp *uv, uint8_t vector, RingCause cause, bool has_error, uint32_t error_code,
                    bool engine_fault)
{
	RingCpu c;
	RingMem m = ring_mem(uv);
	RingTransition t;
	RingEvent ev = { .vector = vector, .cause = cause, .has_error_code = has_error, .error_code = error_code };

	load_ring_cpu(uv, &c);
	uint8_t from = ring_cpl(&c);
	uint64_t fault_rip = c.rip;
	memset(&t, 0, sizeof t);
	RingStatus st = ring_deliver(&c, &m, &ev, &t);
	if (st == RING_TRIPLE_FAULT) {
		triple_fault_exit(uv, fault_rip, t.detail[0] ? t.detail : "triple fault: a fault during double-fault delivery");
		return false;
	}
	if (st != RING_OK) {
		triple_fault_exit(uv, fault_rip, t.detail[0] ? t.detail : "triple fault: interrupt delivery is not supported in this CPU mode");
		return false;
	}
	if (cause == RING_CAUSE_EXCEPTION) {
		SimEvent fe;
		sim_event_init(&fe, SIM_EV_FAULT);
		fe.u.fault.vector = t.vector;
		fe.u.fault.cpl = from;
		fe.u.fault.has_error = t.error_code_pushed;
		fe.u.fault.error_code = t.error_code;
		fe.u.fault.rip = fault_rip;
		fe.u.fault.cr2 = c.cr2;
		g_strlcpy(fe.text, t.detail, sizeof fe.text);
		sim_vp_emit(uv->vp, &fe);
	}
	if (!enter_ring(uv, &c, from, engine_fault))
		return false;
	if (cause == RING_CAUSE_SOFTWARE_INT) {
		/* Report the INT instruction itself (RIP was already past it). */
		guint8 op = 0;
		t.from_rip = fault_rip - ((read_code(uv, fault_rip - 1, &op, 1) && (op == 0xCC || op == 0xCE)) ? 1 : 2);
	}
	emit_ring(uv, &t);
	return true;
}

/* ---- Instruction counting and block scanning ------------------------------ */

static inline guint cache_index(uint64_t addr)
{
	return (guint)((addr ^ (addr >> 12)) & (BLOCK_CACHE_SIZE - 1));
}

static HookKind classify(UcVp *uv, const cs_insn *in)
{
	bool intel = uv->vp->partition->machine->config.vendor == SIM_VENDOR_INTEL;
	switch (in->id) {
	/* The vendor's hypercall instruction exits; the other vendor's is
	 * undefined on this CPU and raises #UD in the guest. */
	case X86_INS_VMCALL: return intel ? HOOK_VMCALL : HOOK_NONE;
	case X86_INS_VMMCALL: return intel ? HOOK_NONE : HOOK_VMCALL;
	case X86_INS_RDMSR: return HOOK_RDMSR;
	case X86_INS_WRMSR: return HOOK_WRMSR;
	case X86_INS_HLT: return HOOK_HLT;
	case X86_INS_IRETQ: return HOOK_IRETQ;
	case X86_INS_SYSRET:
		/* SYSRETQ carries REX.W (48 0F 07); plain SYSRET returns to 32-bit code. */
		return (in->size == 3 && in->bytes[0] == 0x48) ? HOOK_SYSRETQ : HOOK_NONE;
	case X86_INS_IN: case X86_INS_OUT:
	case X86_INS_INSB: case X86_INS_INSW: case X86_INS_INSD:
	case X86_INS_OUTSB: case X86_INS_OUTSW: case X86_INS_OUTSD:
		return HOOK_IO;
	case X86_INS_RDTSC:
		return HOOK_RDTSC;
	case X86_INS_RDTSCP:
		return HOOK_RDTSCP;
	case X86_INS_RDRAND: case X86_INS_RDSEED:
		return HOOK_UD;
	case X86_INS_STI:
		return HOOK_STI;
	default: return HOOK_NONE;
	}
}

/* Does the code start with a REP/REPNE-prefixed string instruction (MOVS,
 * CMPS, STOS, LODS, SCAS, INS, OUTS)? The engine runs such an instruction
 * as one block per iteration at the same address. */
static bool starts_with_rep_string(const guint8 *b, uint32_t len)
{
	bool rep = false;
	uint32_t i = 0;
	for (; i < len && i < 15; i++) {
		guint8 c = b[i];
		if (c == 0xF2 || c == 0xF3)
			rep = true;
		else if (c == 0x66 || c == 0x67 || c == 0x2E || c == 0x3E || c == 0x26 ||
		         c == 0x36 || c == 0x64 || c == 0x65 || (c & 0xF0) == 0x40)
			continue; /* other legacy prefixes and REX */
		else
			break;
	}
	if (!rep || i >= len)
		return false;
	guint8 op = b[i];
	return (op >= 0xA4 && op <= 0xA7) || (op >= 0xAA && op <= 0xAF) || (op >= 0x6C && op <= 0x6F);
}

static void code_hook(uc_engine *uc, uint64_t address, uint32_t size, void *user_data);
static uc_err map_child_memory(UcVp *uv);
static void vmcall_hook(uc_engine *uc, uint64_t address, uint32_t size, void *user_data);
static void after_sync_hook(uc_engine *uc, uint64_t address, uint32_t size, void *user_data);

/* Disassembles a block the first time it runs: counts its instructions and
 * hooks the ones the engine cannot report by itself. Returns true if new
 * hooks were added (the block must be retranslated before it runs). */
static bool scan_block(UcVp *uv, uint64_t addr, uint32_t size, BlockInfo *out)
{
	guint8 buf[MAX_BLOCK_BYTES];
	bool added = false;
	uint32_t n = 0;

	size = MIN(size, MAX_BLOCK_BYTES);
	if (!read_code(uv, addr, buf, size)) {
		/* Cannot happen for code the engine just translated; count by bytes. */
		out->addr = addr; out->size = size; out->ninsns = 1;
		return false;
	}
	const uint8_t *code = buf;
	size_t left = size;
	uint64_t a = addr;
	bool after_sync = false;
	while (cs_disasm_iter(uv->cs, &code, &left, &a, uv->insn)) {
		n++;
		HookKind k = classify(uv, uv->insn);
		/* The instruction after one whose exit is handled inside the
		 * engine (IN, OUT, CPUID) gets a code hook of its own, so a step
		 * to that exit's event stops right after it, not at the end of
		 * the block (an exiting instruction's hook does that already). */
		if (k == HOOK_NONE && after_sync)
			k = HOOK_AFTER_SYNC;
		after_sync = uv->insn->id == X86_INS_CPUID || uv->insn->id == X86_INS_IN || uv->insn->id == X86_INS_OUT;
		if (k != HOOK_NONE && !g_hash_table_contains(uv->hooked, GSIZE_TO_POINTER(uv->insn->address))) {
			uc_hook h;
			if (uv->code_hooks->len >= MAX_CODE_HOOKS) {
				/* Every hook is checked whenever code is translated: a
				 * guest that spreads exiting instructions over ever new
				 * addresses would slow the simulator without bound. */
				sim_partition_stop(uv->vp->partition, false, 10,
				                   "more than %u distinct addresses of exiting instructions (last at RIP 0x%" G_GINT64_MODIFIER "x): the emulated backend does not support guests that generate that much privileged code",
				                   MAX_CODE_HOOKS, (uint64_t)uv->insn->address);
				break;
			}
			uint64_t ia = uv->insn->address;
			/* The hypercall instruction gets its own callback: it is the
			 * hot one (the benchmark's path) and needs no lookup. */
			uc_cb_hookcode_t cb = k == HOOK_VMCALL ? vmcall_hook : k == HOOK_AFTER_SYNC ? after_sync_hook : code_hook;
			if (uc_hook_add(uv->uc, &h, UC_HOOK_CODE, cb, uv, ia, ia) == UC_ERR_OK) {
				g_array_append_val(uv->code_hooks, h);
				g_hash_table_insert(uv->hooked, GSIZE_TO_POINTER(ia), GINT_TO_POINTER(k));
				added = true;
			}
		}
	}
	out->addr = addr;
	out->size = size;
	out->ninsns = n ? n : 1;
	out->rep_string = starts_with_rep_string(buf, size);
	return added;
}

/* A REP string instruction continues in a block at its own address, once
 * per iteration; after the last iteration the engine enters it once more
 * only to find RCX = 0. That entry is no iteration and is not counted. */
static inline bool rep_final_check(UcVp *uv, const BlockInfo *b, uint64_t address)
{
	return b->rep_string && address >= uv->cur.addr && address < uv->cur.addr + uv->cur.size &&
	       rd(uv, UC_X86_REG_RCX) == 0;
}

/* ---- Pausing inside a slice ----------------------------------------------- */

/* The address of instruction `k` (0 = the first) of block `b`. */
static uint64_t block_insn_address(UcVp *uv, const BlockInfo *b, uint64_t k)
{
	guint8 buf[MAX_BLOCK_BYTES];
	if (k == 0 || !read_code(uv, b->addr, buf, b->size))
		return b->addr;
	const uint8_t *code = buf;
	size_t left = b->size;
	uint64_t a = b->addr;
	for (uint64_t i = 0; i < k && cs_disasm_iter(uv->cs, &code, &left, &a, uv->insn); i++)
		;
	return a;
}

static void pause_hook(uc_engine *uc, uint64_t address, uint32_t size, void *user_data);

/* Removes the temporary pause hook, and the translated block that calls
 * it: left in the cache, a pause inside a loop would leave the loop
 * calling into the engine for its hook at every turn (several times
 * slower) until the block happened to be translated again. */
static void pause_hook_drop(UcVp *uv)
{
	uc_hook_del(uv->uc, uv->pause_hook);
	uc_ctl_remove_cache(uv->uc, uv->pause_hook_rip, uv->pause_hook_rip + 1);
	uv->pause_hook_rip = UINT64_MAX;
}

/* The block at `address` is about to run and the pause point lies in it
 * (or has passed: pause_at 0 means "at the next boundary"). Stops before
 * it (true), or arms a stop before the instruction inside it where the
 * count reaches pause_at (false: the block runs). */
static bool pause_in_block(UcVp *uv, uint64_t address, const BlockInfo *b)
{
	SimVp *vp = uv->vp;
	uint64_t k = vp->pause_at > vp->insns ? vp->pause_at - vp->insns : 0;
	if (k == 0) {
		uv->pending = PEND_PAUSE;
		uv->stop_rip = address;
		uc_emu_stop(uv->uc);   /* not counted: it runs when resumed */
		return true;
	}
	uv->pause_rip = block_insn_address(uv, b, k);
	uv->pause_count = vp->pause_at;
	if (g_hash_table_contains(uv->hooked, GSIZE_TO_POINTER(uv->pause_rip)) || uv->pause_hook_rip == uv->pause_rip)
		return false;   /* a code hook is there already: it checks the pause first */
	/* A hook for the pause: like a newly scanned exit, the block must be
	 * translated again to call it. Restarting here is not a VM entry. */
	if (uv->pause_hook_rip != UINT64_MAX)
		pause_hook_drop(uv);
	if (uc_hook_add(uv->uc, &uv->pause_hook, UC_HOOK_CODE, pause_hook, uv, uv->pause_rip, uv->pause_rip) != UC_ERR_OK) {
		/* Cannot split the block: stop before it instead. */
		uv->pending = PEND_PAUSE;
		uv->stop_rip = address;
		uc_emu_stop(uv->uc);
		return true;
	}
	uv->pause_hook_rip = uv->pause_rip;
	uc_ctl_remove_cache(uv->uc, address, address + b->size);
	uv->pending = PEND_PAUSE_ARM;
	uv->stop_rip = address;
	uc_emu_stop(uv->uc);
	return true;
}

/* The rare part of the block hook: a block seen for the first time (scan
 * it), or the end of the time slice. Kept out of line so the common path
 * below stays a leaf function with no register spills. */
static G_GNUC_NO_INLINE void block_hook_slow(UcVp *uv, uint64_t address, uint32_t size, BlockInfo *b)
{
	if (b->addr != address || b->size != size) {
		bool added = scan_block(uv, address, size, b);
		if (uv->vp->partition->stopped) {
			uv->pending = PEND_STOP;
			uc_emu_stop(uv->uc);
			return;
		}
		if (added) {
			/* Stopping here prevents the block from executing; flush it so
			 * the restart translates it again, now with the code hooks. */
			uc_ctl_remove_cache(uv->uc, address, address + size);
			uv->pending = PEND_RESCAN;
			uv->stop_rip = address;
			uc_emu_stop(uv->uc);
			return;
		}
	}
	/* The rest of a block a pause split is no block of its own: the
	 * uninterrupted run did not look at the budget there. */
	bool continuation = address == uv->resume_rip;
	if (uv->vp->insns >= uv->until && !continuation) {
		uv->pending = PEND_BUDGET;
		uv->stop_rip = address;
		uc_emu_stop(uv->uc);   /* the block does not run: it is not counted */
		return;
	}
	if (uv->vp->insns + b->ninsns > uv->vp->pause_at && pause_in_block(uv, address, b))
		return;
	uv->resume_rip = UINT64_MAX;
	if (!rep_final_check(uv, b, address))
		uv->vp->insns += b->ninsns;
	uv->cur = *b;
}

/* Runs before every translated block executes: the deterministic clock. */
static void block_hook(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)
{
	UcVp *uv = user_data;
	BlockInfo *b = &uv->cache[cache_index(address)];
	SimVp *vp = uv->vp;

	if (G_UNLIKELY(b->addr != address || b->size != size || vp->insns >= uv->until ||
	               vp->insns + b->ninsns > vp->pause_at)) {
		block_hook_slow(uv, address, size, b);
		return;
	}
	if (G_UNLIKELY(b->rep_string) && rep_final_check(uv, b, address)) {
		uv->cur = *b;
		return;
	}
	vp->insns += b->ninsns;
	uv->cur = *b;
}

/* The current block was counted whole, but the engine stopped before
 * `resume_at` (the first instruction that did not retire). Give back the
 * instructions from there to the end of the block. */
/* How many instructions of the current block lie after `at` (the first
 * instruction that has not retired): what counting the block whole
 * overcounted if the engine stops there. */
static uint32_t block_tail(UcVp *uv, uint64_t at)
{
	if (uv->cur.size == 0 || at == uv->cur.addr + uv->cur.size)
		return 0;
	if (at < uv->cur.addr || at > uv->cur.addr + uv->cur.size)
		return 0;
	if (at == uv->cur.addr)
		return uv->cur.ninsns;
	guint8 buf[MAX_BLOCK_BYTES];
	if (!read_code(uv, uv->cur.addr, buf, uv->cur.size))
		return 0;
	const uint8_t *code = buf;
	size_t left = uv->cur.size;
	uint64_t a = uv->cur.addr;
	uint32_t done = 0;
	while (a < at && cs_disasm_iter(uv->cs, &code, &left, &a, uv->insn))
		done++;
	return done < uv->cur.ninsns ? uv->cur.ninsns - done : 0;
}

/* The engine stops before `resume_at`: give back the rest of the block
 * (it is counted again when it runs). */
static void rewind_count(UcVp *uv, uint64_t resume_at)
{
	uv->vp->insns -= block_tail(uv, resume_at);
	uv->cur.size = 0;
}

/* Before the instruction at `address` (from a code hook): if it is the
 * armed pause point and exactly pause_count instructions retired, stop
 * here. The instruction has not run; the resumed engine starts with it. */
static bool pause_hit(UcVp *uv, uint64_t address)
{
	if (address != uv->pause_rip || uv->vp->insns - block_tail(uv, address) != uv->pause_count)
		return false;
	rewind_count(uv, address);
	uv->pause_rip = UINT64_MAX;
	uv->pending = PEND_PAUSE;
	uv->stop_rip = address;
	uv->resume_rip = address;
	uc_emu_stop(uv->uc);
	return true;
}

static void pause_hook(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)
{
	pause_hit(user_data, address);
}

/* An IN, OUT or CPUID before the instruction at `next` emitted its events
 * inside the engine; if one of them asked for a pause (a step to the next
 * event of a kind sets vp->pause_at to 0), stop at `next`, in the code
 * hook scan_block put there: uc_emu_stop from an instruction hook would
 * take effect only at the end of the translated block. */
static void sync_pause_arm(UcVp *uv, uint64_t next)
{
	if (G_UNLIKELY(uv->vp->pause_at != UINT64_MAX))
		uv->sync_pause_rip = next;
}

/* Before the instruction at `address` (from a code hook): the pause an
 * IN, OUT or CPUID just before it asked for, once what retired reaches
 * vp->pause_at. The instruction has not run; the resumed engine starts
 * with it, as after any pause. */
static bool sync_pause_hit(UcVp *uv, uint64_t address)
{
	uv->sync_pause_rip = UINT64_MAX;
	if (uv->vp->insns - block_tail(uv, address) < uv->vp->pause_at)
		return false;
	rewind_count(uv, address);
	uv->pending = PEND_PAUSE;
	uv->stop_rip = address;
	uv->resume_rip = address;
	uc_emu_stop(uv->uc);
	return true;
}

/* Before the instruction at `address` (from a code hook): an address
 * breakpoint of this partition stops a precise step here, before it. */
static bool bp_hit(UcVp *uv, uint64_t address)
{
	SimMachine *m = uv->vp->partition->machine;
	if (!m->precise || !uv->bp_rips || !g_hash_table_contains(uv->bp_rips, GSIZE_TO_POINTER(address)))
		return false;
	uint64_t retired = uv->vp->insns - block_tail(uv, address);
	if (uv->bp_skip_rip == address && uv->bp_skip_count == retired)
		return false;   /* resuming from this very stop */
	rewind_count(uv, address);
	uv->bp_skip_rip = address;
	uv->bp_skip_count = retired;
	uv->pending = PEND_PAUSE;
	uv->stop_rip = address;
	uv->resume_rip = address;
	m->pause_now = true;
	m->bp_hit = true;
	m->bp_hit_at.partition = uv->vp->partition->id;
	m->bp_hit_at.rip = address;
	uc_emu_stop(uv->uc);
	return true;
}

static void bp_hook(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)
{
	bp_hit(user_data, address);
}

/* The machine's address breakpoints changed: hook this partition's. An
 * address an exit hook already covers needs no hook of its own (the exit
 * hooks look for breakpoints first). Translated code at each address is
 * dropped so the hooks are called. */
static void bp_sync(UcVp *uv)
{
	SimMachine *m = uv->vp->partition->machine;
	uv->bp_generation = m->bp_generation;
	for (guint i = 0; i < uv->bp_hooks->len; i++)
		uc_hook_del(uv->uc, g_array_index(uv->bp_hooks, uc_hook, i));
	g_array_set_size(uv->bp_hooks, 0);
	if (uv->bp_rips) {
		GHashTableIter it;
		gpointer key;
		g_hash_table_iter_init(&it, uv->bp_rips);
		while (g_hash_table_iter_next(&it, &key, NULL))
			uc_ctl_remove_cache(uv->uc, GPOINTER_TO_SIZE(key), GPOINTER_TO_SIZE(key) + 1);
		g_clear_pointer(&uv->bp_rips, g_hash_table_destroy);
	}
	for (guint i = 0; i < m->addr_bps->len; i++) {
		const SimAddrBreakpoint *bp = &g_array_index(m->addr_bps, SimAddrBreakpoint, i);
		if (bp->partition != uv->vp->partition->id)
			continue;
		if (!uv->bp_rips)
			uv->bp_rips = g_hash_table_new(g_direct_hash, g_direct_equal);
		g_hash_table_add(uv->bp_rips, GSIZE_TO_POINTER(bp->rip));
		uc_hook h;
		if (!g_hash_table_contains(uv->hooked, GSIZE_TO_POINTER(bp->rip)) &&
		    uc_hook_add(uv->uc, &h, UC_HOOK_CODE, bp_hook, uv, bp->rip, bp->rip) == UC_ERR_OK)
			g_array_append_val(uv->bp_hooks, h);
		uc_ctl_remove_cache(uv->uc, bp->rip, bp->rip + 1);
	}
}


/* ---- Hooks ---------------------------------------------------------------- */

/* After an exit: a timer it armed, or the time the exit itself cost, moves
 * the next timer deadline; end the slice there, not at its planned end. */
static void track_deadline(UcVp *uv)
{
	uint64_t deadline = sim_vp_timer_deadline(uv->vp);
	if (deadline < uv->until)
		uv->until = MAX(deadline, uv->vp->insns + 1);
}

static void hook_exit_record(UcVp *uv, SimExit *ex)
{
	uint64_t address = ex->vmx.guest_rip;
	uint32_t len = ex->vmx.instruction_length;
	/* The rest of this block will not run as translated: count what
	 * retired before the exiting instruction; the instruction itself
	 * retires only if the hypervisor completes it. */
	rewind_count(uv, address);
	SimExitAction a = sim_hv_handle_exit(uv->vp, ex);
	track_deadline(uv);
	if (vmx_exit_basic(&ex->vmx) == VMX_EXIT_IO_INSTRUCTION && a == SIM_RESUME_NEXT) {
		/* An IN the hypervisor completed: the value goes into AL/AX/EAX
		 * (a 32-bit result clears RAX's upper half, as in 64-bit mode). */
		VmxIoQual q;
		vmx_io_qual_decode(ex->vmx.qualification, &q);
		if (q.in) {
			uint64_t rax = rd(uv, UC_X86_REG_RAX);
			ex->set_rax = true;
			ex->rax = q.size == 4 ? (ex->io_data & 0xFFFFFFFFu) :
			          q.size == 2 ? ((rax & ~0xFFFFull) | (ex->io_data & 0xFFFF)) :
			                        ((rax & ~0xFFull) | (ex->io_data & 0xFF));
		}
	}
	switch (a) {
	case SIM_RESUME_NEXT: {
		uint64_t rip = address + len;
		uv->vp->insns++;
		int ids[2] = { UC_X86_REG_RIP, UC_X86_REG_RAX };
		void *vals[2] = { &rip, &ex->rax };
		uc_reg_write_batch(uv->uc, ids, vals, ex->set_rax ? 2 : 1);
		return;
	}
	case SIM_RESUME_SAME:
		if (ex->set_rax)
			wr(uv, UC_X86_REG_RAX, ex->rax);
		uv->pending = PEND_REENTER; /* an event was injected instead */
		uv->stop_rip = address;
		break;
	case SIM_STOP_VP:
		uv->vp->insns++;
		uv->pending = PEND_HALTED;
		uv->stop_rip = address + len;
		break;
	case SIM_STOP_PARTITION:
		uv->pending = PEND_STOP;
		break;
	case SIM_SUSPEND_VP:
		uv->pending = PEND_SUSPENDED;
		uv->stop_rip = address;
		break;
	}
	uc_emu_stop(uv->uc);
}

/* An exit handled inside a code hook, before the instruction runs (VMCALL,
 * RDMSR, WRMSR, a child's IN/OUT). When the hypervisor resumes the guest
 * past it, writing RIP from the hook ends the current block and the engine
 * continues at the new RIP within the same uc_emu_start: no stop and
 * restart on the common path. */
static void hook_exit(UcVp *uv, uint64_t address, uint32_t reason, uint32_t len)
{
	SimExit ex = { 0 };
	ex.vmx.reason = reason;
	ex.vmx.guest_rip = address;
	ex.vmx.instruction_length = len;
	hook_exit_record(uv, &ex);
}

/* A child's IN or OUT (not INS/OUTS), taken as an exit before it executes.
 * The engine's own IN/OUT hooks run while the instruction executes, and a
 * stop requested there only takes effect at the end of the translated
 * block: the instructions after it would run before the VP is suspended,
 * and again when its parent resumes it. False if `b` is not a plain IN/OUT. */
static bool child_io_exit(UcVp *uv, uint64_t address, uint32_t size)
{
	guint8 b[15] = { 0 };
	uint32_t n = MIN(size, (uint32_t)sizeof b);
	if (!read_code(uv, address, b, n))
		return false;
	uint32_t i = 0;
	bool opsize16 = false;
	/* Legacy prefixes (operand and address size, segment, LOCK, REP) and
	 * REX may come first; only 0x66 changes an IN/OUT (to 16 bits). */
	while (i < n && (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0x26 || b[i] == 0x2E || b[i] == 0x36 ||
	                 b[i] == 0x3E || b[i] == 0x64 || b[i] == 0x65 || b[i] == 0xF0 || b[i] == 0xF2 ||
	                 b[i] == 0xF3 || (b[i] & 0xF0) == 0x40)) {
		opsize16 |= b[i] == 0x66;
		i++;
	}
	if (i >= n)
		return false;
	guint8 op = b[i];
	VmxIoQual q = { 0 };
	uint8_t wide = opsize16 ? 2 : 4;
	switch (op) {
	case 0xE4: case 0xE6: case 0xE5: case 0xE7:
		if (i + 1 >= n)
			return false;
		q.port = b[i + 1];
		q.imm = true;
		break;
	case 0xEC: case 0xEE: case 0xED: case 0xEF:
		q.port = (uint16_t)rd(uv, UC_X86_REG_RDX);
		break;
	default:
		return false;   /* INS/OUTS: the engine's hooks handle them */
	}
	q.in = op == 0xE4 || op == 0xE5 || op == 0xEC || op == 0xED;
	q.size = (op & 1) ? wide : 1;
	if (!vmx_io_exits(uv->vp->vmcs, q.port, q.size))
		return false;
	SimExit ex = { 0 };
	ex.vmx.reason = VMX_EXIT_IO_INSTRUCTION;
	ex.vmx.guest_rip = address;
	ex.vmx.instruction_length = size;
	ex.vmx.qualification = vmx_io_qual_encode(&q);
	if (!q.in)
		ex.io_data = rd(uv, UC_X86_REG_RAX) & (q.size == 1 ? 0xFFu : q.size == 2 ? 0xFFFFu : 0xFFFFFFFFu);
	hook_exit_record(uv, &ex);
	return true;
}

/* A fault found by a code hook before the instruction runs. */
static void hook_fault(UcVp *uv, uint64_t address, uint8_t vector)
{
	rewind_count(uv, address);
	uv->pending = PEND_FAULT;
	uv->fault_vector = vector;
	uv->stop_rip = address;
	uc_emu_stop(uv->uc);
}

/* VMCALL (VMMCALL on AMD) exits unconditionally in VMX non-root operation,
 * at any CPL; the hypervisor decides what ring 3 gets. */
static void vmcall_hook(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)
{
	UcVp *uv = user_data;
	if (G_UNLIKELY(uv->sync_pause_rip == address) && sync_pause_hit(uv, address))
		return;
	if (G_UNLIKELY(uv->pause_rip == address) && pause_hit(uv, address))
		return;
	if (G_UNLIKELY(uv->bp_rips != NULL) && bp_hit(uv, address))
		return;
	hook_exit(uv, address, VMX_EXIT_VMCALL, 3);
}

/* The instruction after an IN, OUT or CPUID (a UART polling loop runs it
 * often): only the pauses and breakpoints an exit hook would check. */
static void after_sync_hook(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)
{
	UcVp *uv = user_data;
	if (G_UNLIKELY(uv->sync_pause_rip == address) && sync_pause_hit(uv, address))
		return;
	if (G_UNLIKELY(uv->pause_rip == address) && pause_hit(uv, address))
		return;
	if (G_UNLIKELY(uv->bp_rips != NULL))
		bp_hit(uv, address);
}

static void code_hook(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)
{
	UcVp *uv = user_data;
	if (G_UNLIKELY(uv->sync_pause_rip == address) && sync_pause_hit(uv, address))
		return;
	if (G_UNLIKELY(uv->pause_rip == address) && pause_hit(uv, address))
		return;
	if (G_UNLIKELY(uv->bp_rips != NULL) && bp_hit(uv, address))
		return;
	HookKind k = GPOINTER_TO_INT(g_hash_table_lookup(uv->hooked, GSIZE_TO_POINTER(address)));
	uint16_t cs = 0;
	uc_reg_read(uc, UC_X86_REG_CS, &cs);
	uint8_t cpl = cs & 3;

	switch (k) {
	case HOOK_SYSRETQ:
		/* Always performed by rings/ (including its #GP from ring 3). */
		uv->pending = PEND_SYSRET;
		uv->stop_rip = address;
		uc_emu_stop(uc);
		return;
	case HOOK_IRETQ: {
		/* An outward (or same-ring) return the engine performs natively,
		 * loading CS and SS properly. Remember this ring 0 context for the
		 * next transition back, and report where the return goes. */
		if (cpl != 0)
			return; /* the engine checks it; a fault is reported on delivery */
		save_ring_ctx(uv, 0);
		RingTransition t = { .from_cpl = 0, .from_rip = address, .cause = RING_CAUSE_IRET };
		RingCpu c;
		RingMem m = ring_mem(uv);
		uint64_t frame[2] = { 0, 0 };
		uint32_t pf;
		load_paging_cpu(uv, &c);
		uint64_t rsp = rd(uv, UC_X86_REG_RSP);
		if (ring_read_linear(&c, &m, rsp, frame, sizeof frame, false, &pf) != RING_OK)
			return; /* the engine will fault; reported then */
		t.to_rip = frame[0];
		t.to_cpl = frame[1] & 3;
		emit_ring(uv, &t);
		return;
	}
	case HOOK_RDMSR:
	case HOOK_WRMSR: {
		if (cpl != 0)
			return; /* privileged: the engine raises #GP(0) */
		uint32_t msr = (uint32_t)rd(uv, UC_X86_REG_RCX);
		if (!vmx_msr_exits(uv->vp->vmcs, msr, k == HOOK_WRMSR))
			return; /* passed through: the engine executes it */
		hook_exit(uv, address, k == HOOK_WRMSR ? VMX_EXIT_WRMSR : VMX_EXIT_RDMSR, 2);
		return;
	}
	case HOOK_HLT:
		if (cpl != 0 || !vmx_hlt_exits(uv->vp->vmcs))
			return;
		break;
	case HOOK_IO: {
		/* The engine's RIP is not up to date inside its IN/OUT hooks:
		 * remember the instruction here. Port I/O needs CPL <= IOPL;
		 * the TSS I/O permission bitmap is not modelled (all denied). */
		uint64_t rflags = rd(uv, UC_X86_REG_RFLAGS);
		if (cpl > ((rflags & X86_RFLAGS_IOPL) >> 12)) {
			hook_fault(uv, address, X86_VEC_GP);
			return;
		}
		uv->io_rip = address;
		uv->io_len = size;
		if (uv->vp->partition->parent_id)
			child_io_exit(uv, address, size);
		return;
	}
	case HOOK_RDTSC:
	case HOOK_RDTSCP:
		if (cpl != 0 && (rd(uv, UC_X86_REG_CR4) & X86_CR4_TSD))
			return; /* the engine raises #GP(0) */
		if (!vmx_rdtsc_exits(uv->vp->vmcs))
			return;
		hook_exit(uv, address, k == HOOK_RDTSCP ? VMX_EXIT_RDTSCP : VMX_EXIT_RDTSC, size);
		return;
	case HOOK_UD:
		hook_fault(uv, address, X86_VEC_UD);
		return;
	case HOOK_STI:
		/* The shadow exists only when STI sets IF (SDM: if IF was 0). */
		if (!(rd(uv, UC_X86_REG_RFLAGS) & X86_RFLAGS_IF))
			uv->sti_shadow_rip = address + size;
		return;
	case HOOK_VMCALL: /* has its own hook, vmcall_hook() */
	case HOOK_NONE:
	default:
		return;
	}
	/* An exit: stop before the instruction executes. */
	uv->pending = PEND_CODE_EXIT;
	uv->stop_rip = address;
	uv->stop_kind = k;
	uc_emu_stop(uc);
}

/* Synchronous exits (IN, OUT, CPUID) run while the engine executes a block
 * that was counted whole. During the exit the clock must read the exact
 * instruction, as for every exit: what retired before the exiting one. So
 * the block's rest, the exiting instruction included, is taken off, and
 * afterwards put back if the guest goes on. If the handler stopped the
 * partition (a power off), the engine stops too: the exiting instruction,
 * which completed, is counted, and nothing after it. */
static uint32_t sync_exit_begin(UcVp *uv, const SimExit *ex)
{
	uint32_t tail = block_tail(uv, ex->vmx.guest_rip);
	uv->vp->insns -= tail;
	return tail;
}

static void sync_exit_end(UcVp *uv, uint32_t tail, SimExitAction a, uint64_t rip)
{
	track_deadline(uv);
	if (a == SIM_SUSPEND_VP && !uv->vp->partition->stopped) {
		/* The instruction did not complete: the engine stops after it,
		 * and the VP will restart at it unless its parent moves RIP. */
		uv->cur.size = 0;
		uv->pending = PEND_SUSPENDED;
		uv->stop_rip = rip;
		uc_emu_stop(uv->uc);
		return;
	}
	if (uv->vp->partition->stopped) {
		uv->vp->insns += tail ? 1 : 0;
		uv->cur.size = 0;
		uv->pending = PEND_STOP;
		uc_emu_stop(uv->uc);
		return;
	}
	uv->vp->insns += tail;
}

/* Does the I/O instruction take its port as an immediate (IN/OUT imm8)?
 * The last opcode byte tells: E4-E7 immediate, EC-EF in DX. */
/* The qualification bits an I/O instruction's bytes decide (SDM, exit
 * qualification for I/O instructions): the port as an immediate (E4-E7),
 * a string instruction (INS/OUTS, 6C-6F), and REP on it. Legacy prefixes
 * and a REX may precede the opcode. */
static void io_insn_bits(UcVp *uv, VmxIoQual *q)
{
	guint8 b[15] = { 0 };
	uint32_t n = MIN(uv->io_len, (uint32_t)sizeof b);
	if (n == 0 || !read_code(uv, uv->io_rip, b, n))
		return;
	uint32_t i = 0;
	bool rep = false;
	while (i < n && (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0x26 || b[i] == 0x2E || b[i] == 0x36 ||
	                 b[i] == 0x3E || b[i] == 0x64 || b[i] == 0x65 || b[i] == 0xF0 || b[i] == 0xF2 ||
	                 b[i] == 0xF3 || (b[i] & 0xF0) == 0x40)) {
		rep |= b[i] == 0xF3 || b[i] == 0xF2;
		i++;
	}
	if (i >= n)
		return;
	q->imm = b[i] >= 0xE4 && b[i] <= 0xE7;
	q->string = b[i] >= 0x6C && b[i] <= 0x6F;
	q->rep = q->string && rep;
}

/* IN and OUT: I/O-instruction exits handled synchronously. */
static uint32_t in_hook(uc_engine *uc, uint32_t port, int size, void *user_data)
{
	UcVp *uv = user_data;
	VmxIoQual q = { .port = (uint16_t)port, .size = (uint8_t)size, .in = true };
	SimExit ex = { 0 };
	ex.vmx.reason = VMX_EXIT_IO_INSTRUCTION;
	ex.vmx.guest_rip = uv->io_rip;
	ex.vmx.instruction_length = uv->io_len;
	if (!vmx_io_exits(uv->vp->vmcs, (uint16_t)port, (unsigned)size)) {
		uint32_t v = sim_platform_port_io(uv->vp, (uint16_t)port, (unsigned)size, true, 0); /* passed through */
		sync_pause_arm(uv, uv->io_rip + uv->io_len);
		return v;
	}
	io_insn_bits(uv, &q);
	ex.vmx.qualification = vmx_io_qual_encode(&q);
	uint32_t tail = sync_exit_begin(uv, &ex);
	SimExitAction a = sim_hv_handle_exit(uv->vp, &ex);
	sync_exit_end(uv, tail, a, ex.vmx.guest_rip);
	if (a != SIM_SUSPEND_VP)
		sync_pause_arm(uv, uv->io_rip + uv->io_len);
	uint32_t mask = size == 1 ? 0xFFu : size == 2 ? 0xFFFFu : 0xFFFFFFFFu;
	if (a == SIM_SUSPEND_VP) /* the engine writes the result anyway: leave RAX as it is */
		return (uint32_t)rd(uv, UC_X86_REG_RAX) & mask;
	return (uint32_t)ex.io_data & mask;
}

static void out_hook(uc_engine *uc, uint32_t port, int size, uint32_t value, void *user_data)
{
	UcVp *uv = user_data;
	VmxIoQual q = { .port = (uint16_t)port, .size = (uint8_t)size, .in = false };
	SimExit ex = { 0 };
	if (!vmx_io_exits(uv->vp->vmcs, (uint16_t)port, (unsigned)size)) {
		sim_platform_port_io(uv->vp, (uint16_t)port, (unsigned)size, false, value); /* passed through */
		sync_pause_arm(uv, uv->io_rip + uv->io_len);
		return;
	}
	ex.vmx.reason = VMX_EXIT_IO_INSTRUCTION;
	ex.vmx.guest_rip = uv->io_rip;
	ex.vmx.instruction_length = uv->io_len;
	io_insn_bits(uv, &q);
	ex.vmx.qualification = vmx_io_qual_encode(&q);
	ex.io_data = value;
	uint32_t tail = sync_exit_begin(uv, &ex);
	SimExitAction a = sim_hv_handle_exit(uv->vp, &ex);
	sync_exit_end(uv, tail, a, ex.vmx.guest_rip);
	if (a != SIM_SUSPEND_VP)
		sync_pause_arm(uv, uv->io_rip + uv->io_len);
}

/* CPUID exits unconditionally under VT-x and AMD-V. */
static int cpuid_hook(uc_engine *uc, void *user_data)
{
	UcVp *uv = user_data;
	SimExit ex = { 0 };
	ex.vmx.reason = VMX_EXIT_CPUID;
	ex.vmx.guest_rip = rd(uv, UC_X86_REG_RIP);
	ex.vmx.instruction_length = 2;
	uint32_t tail = sync_exit_begin(uv, &ex);
	SimExitAction a = sim_hv_handle_exit(uv->vp, &ex);
	sync_exit_end(uv, tail, a, ex.vmx.guest_rip);
	if (a != SIM_SUSPEND_VP)
		sync_pause_arm(uv, ex.vmx.guest_rip + ex.vmx.instruction_length);
	return 1; /* the handler wrote EAX..EDX: skip the engine's own CPUID */
}

static void syscall_hook(uc_engine *uc, void *user_data)
{
	UcVp *uv = user_data;
	/* The engine adds the instruction length to RIP after this hook; the
	 * transfer itself is done by rings/ once the engine has stopped. */
	uv->pending = PEND_SYSCALL;
	uc_emu_stop(uc);
}

/* An undefined opcode: #UD in the guest. (While an "until" address was in
 * use, Unicorn's probe of it corrupted the exception state and this hook
 * fired only for the first #UD; see ucb_vp_init. is_silent_ud() remains as
 * a fallback for an engine stop at an undefined instruction with no hook
 * call.) The hypercall instruction never gets here: it is hooked. */
static bool invalid_hook(uc_engine *uc, void *user_data)
{
	UcVp *uv = user_data;
	uv->pending = PEND_INTR;
	uv->intr_no = X86_VEC_UD;
	return true; /* stops the engine */
}

static void intr_hook(uc_engine *uc, uint32_t intno, void *user_data)
{
	UcVp *uv = user_data;
	uv->pending = PEND_INTR;
	uv->intr_no = intno;
	uc_emu_stop(uc);
}

/* ---- Guest events that do not leave the guest ------------------------------ */

/* Is the interrupt hook's vector a software INT n (RIP after it) or a fault
 * (RIP at the faulting instruction)? The engine does not say; vectors >= 32
 * can only come from INT n here (we inject external interrupts ourselves),
 * and for lower vectors we look for the INT n / INT3 / INTO encoding just
 * before RIP. */
static RingCause classify_intr(UcVp *uv, uint32_t vector, uint64_t rip)
{
	guint8 b[2] = { 0 };
	if (vector >= 32)
		return RING_CAUSE_SOFTWARE_INT;
	if (rip >= 2 && read_code(uv, rip - 2, b, 2) && b[0] == 0xCD && b[1] == vector)
		return RING_CAUSE_SOFTWARE_INT;
	if (vector == 3 && rip >= 1 && read_code(uv, rip - 1, b, 1) && b[0] == 0xCC)
		return RING_CAUSE_SOFTWARE_INT;
	if (vector == 4 && rip >= 1 && read_code(uv, rip - 1, b, 1) && b[0] == 0xCE)
		return RING_CAUSE_SOFTWARE_INT;
	return RING_CAUSE_EXCEPTION;
}

/* Error code of an exception the engine raised. Unicorn does not report it,
 * so it is reconstructed: #PF from a walk of the guest page tables, #GP and
 * the other error-code exceptions as 0 (what privileged instructions, bad
 * MSRs and I/O-permission faults push). */
static uint32_t exception_error_code(UcVp *uv, uint8_t vector, uint64_t rip)
{
	if (vector != X86_VEC_PF)
		return 0;
	RingCpu c;
	RingMem m = ring_mem(uv);
	uint64_t gpa;
	uint32_t pf = 0;
	load_ring_cpu(uv, &c);
	bool user = ring_cpl(&c) == 3;
	/* Try the access kinds from the most to the least likely to fault; the
	 * first that faults gives the architectural error code. */
	if (c.cr2 == rip) {
		if (ring_translate(&c, &m, c.cr2, RING_ACC_EXEC, user, &gpa, &pf) == RING_FAULT)
			return pf;
	}
	if (ring_translate(&c, &m, c.cr2, RING_ACC_READ, user, &gpa, &pf) == RING_FAULT)
		return pf;
	if (ring_translate(&c, &m, c.cr2, RING_ACC_WRITE, user, &gpa, &pf) == RING_FAULT)
		return pf;
	return (user ? 4u : 0u);
}

/* Did the engine stop at `start` without executing anything because the
 * instruction there is undefined (see invalid_hook)? */
static bool is_silent_ud(UcVp *uv, uint64_t start)
{
	guint8 buf[16];
	uint64_t rip = rd(uv, UC_X86_REG_RIP);
	if (rip != start && !(uv->cur.size && rip == uv->cur.addr))
		return false;
	if (!read_code(uv, rip, buf, sizeof buf))
		return false;
	const uint8_t *code = buf;
	size_t left = sizeof buf;
	uint64_t a = rip;
	if (!cs_disasm_iter(uv->cs, &code, &left, &a, uv->insn))
		return true; /* not even Capstone can decode it */
	switch (uv->insn->id) {
	case X86_INS_UD2: case X86_INS_UD0:
	case X86_INS_VMCALL: case X86_INS_VMMCALL: case X86_INS_VMLAUNCH:
	case X86_INS_VMRESUME: case X86_INS_VMXOFF: case X86_INS_VMXON:
	case X86_INS_VMREAD: case X86_INS_VMWRITE: case X86_INS_VMPTRLD:
	case X86_INS_VMPTRST: case X86_INS_VMCLEAR: case X86_INS_VMRUN:
	case X86_INS_VMLOAD: case X86_INS_VMSAVE: case X86_INS_INVEPT:
	case X86_INS_INVVPID:
		return true;
	default:
		return false;
	}
}

static bool handle_intr(UcVp *uv)
{
	uint64_t rip = rd(uv, UC_X86_REG_RIP);
	uint8_t vector = (uint8_t)uv->intr_no;
	RingCause cause = classify_intr(uv, uv->intr_no, rip);

	rewind_count(uv, rip);
	if (cause == RING_CAUSE_EXCEPTION) {
		bool has_err = ring_vector_has_error_code(vector);
		uint32_t err = has_err ? exception_error_code(uv, vector, rip) : 0;
		if (vmx_exception_exits(uv->vp->vmcs, vector, err)) {
			SimExit ex = { 0 };
			ex.vmx.reason = VMX_EXIT_EXCEPTION_NMI;
			ex.vmx.guest_rip = rip;
			ex.vmx.intr_info = vmx_intr_info_encode(vector, VMX_INTR_TYPE_HARD_EXCEPTION, has_err);
			ex.vmx.intr_error_code = err;
			sim_hv_handle_exit(uv->vp, &ex);
			return !uv->vp->partition->stopped;
		}
		return deliver(uv, vector, RING_CAUSE_EXCEPTION, has_err, err, true);
	}
	/* INT n is two bytes (CD ib); INT3 (CC) and INTO (CE) one. */
	return deliver(uv, vector, RING_CAUSE_SOFTWARE_INT, false, 0, false);
}

static bool handle_syscall(UcVp *uv)
{
	RingCpu c;
	RingTransition t;
	load_ring_cpu(uv, &c);
	uint8_t from = ring_cpl(&c);
	memset(&t, 0, sizeof t);
	/* RIP is already past SYSCALL (the engine advanced it). */
	uint64_t next = c.rip;
	RingStatus st = ring_syscall(&c, next, &t);
	if (st == RING_FAULT) {
		/* #UD: SYSCALL not enabled (EFER.SCE clear). RIP back to it. */
		wr(uv, UC_X86_REG_RIP, next - 2);
		return deliver(uv, X86_VEC_UD, RING_CAUSE_EXCEPTION, false, 0, false);
	}
	t.from_rip = next - 2;
	if (!enter_ring(uv, &c, from, false))
		return false;
	emit_ring(uv, &t);
	return true;
}

/* SYSRETQ: performed by rings/ (the engine's own SYSRET needs EFER.SCE,
 * which Unicorn 2.0.1's CPU model cannot hold). RIP is at the SYSRETQ. */
static bool handle_sysret(UcVp *uv)
{
	RingCpu c;
	RingTransition t;
	load_ring_cpu(uv, &c);
	uint8_t from = ring_cpl(&c);
	memset(&t, 0, sizeof t);
	rewind_count(uv, uv->stop_rip + 3);
	RingStatus st = ring_sysret(&c, &t);
	if (st == RING_FAULT) {
		wr(uv, UC_X86_REG_RIP, uv->stop_rip);
		return deliver(uv, t.vector, RING_CAUSE_EXCEPTION, t.error_code_pushed, t.error_code, false);
	}
	if (st != RING_OK) {
		triple_fault_exit(uv, uv->stop_rip, t.detail);
		return false;
	}
	t.from_rip = uv->stop_rip;
	if (!enter_ring(uv, &c, from, false))
		return false;
	emit_ring(uv, &t);
	return true;
}

/* Exits the engine reports by stopping (RDMSR, WRMSR, HLT, VMCALL). */
static SimRunResult handle_stop_exit(UcVp *uv, uint32_t reason, uint32_t len)
{
	SimExit ex = { 0 };
	ex.vmx.reason = reason;
	ex.vmx.guest_rip = uv->stop_rip;
	ex.vmx.instruction_length = len;
	rewind_count(uv, uv->stop_rip); /* the exiting instruction retires when completed */
	SimExitAction a = sim_hv_handle_exit(uv->vp, &ex);
	if (ex.set_rax)
		wr(uv, UC_X86_REG_RAX, ex.rax);
	switch (a) {
	case SIM_RESUME_NEXT:
		uv->vp->insns++;
		wr(uv, UC_X86_REG_RIP, uv->stop_rip + len);
		return SIM_RUN_YIELD;
	case SIM_RESUME_SAME:
		wr(uv, UC_X86_REG_RIP, uv->stop_rip);
		return SIM_RUN_YIELD;
	case SIM_STOP_VP:
		uv->vp->insns++;
		wr(uv, UC_X86_REG_RIP, uv->stop_rip + len);
		return SIM_RUN_HALTED;
	case SIM_STOP_PARTITION:
		return SIM_RUN_STOPPED;
	case SIM_SUSPEND_VP:
		wr(uv, UC_X86_REG_RIP, uv->stop_rip);
		return SIM_RUN_YIELD;
	}
	return SIM_RUN_ERROR;
}

/* VM entry: deliver an event the hypervisor injected (VM-entry
 * interruption information), else a pending interrupt if the guest can take
 * it now (RFLAGS.IF = 1). */
static bool vm_entry(UcVp *uv)
{
	SimVp *vp = uv->vp;
	uint8_t vector, type;
	bool has_err;
	uint32_t err;

	/* STI enables interrupts after the next instruction: "sti; hlt" waits
	 * with no window in which a pending interrupt could be taken before the
	 * HLT (and the HLT then sleep for ever). The shadow lasts while the VP
	 * stands at that next instruction. */
	bool sti_shadow = false;
	if (uv->sti_shadow_rip != UINT64_MAX) {
		sti_shadow = rd(uv, UC_X86_REG_RIP) == uv->sti_shadow_rip;
		if (!sti_shadow)
			uv->sti_shadow_rip = UINT64_MAX;
	}
	if (!vmx_take_injected_event(vp->vmcs, &vector, &type, &has_err, &err)) {
		if (vp->pending_vector < 0 || sti_shadow || !(rd(uv, UC_X86_REG_RFLAGS) & X86_RFLAGS_IF)) {
			/* Nothing to inject, or the interrupt window is closed
			 * (keep it pending). A VP leaving HLT still enters. */
			if (vp->entry_due)
				sim_hv_emit_entry(vp, -1);
			return true;
		}
		/* The highest requested vector goes first; the rest stay
		 * pending for later entries. */
		vector = (uint8_t)sim_vp_take_vector(vp);
		type = VMX_INTR_TYPE_EXTERNAL;
		has_err = false;
		err = 0;
		vp->halted = false;
	}
	if (vp->entry_due)
		sim_hv_emit_entry(vp, vector); /* the VM entry that ends the HLT */
	SimEvent ev;
	sim_event_init(&ev, SIM_EV_INTERRUPT);
	ev.u.interrupt.vector = vector;
	ev.u.interrupt.type = type;
	sim_vp_emit(vp, &ev);
	RingCause cause = type == VMX_INTR_TYPE_EXTERNAL ? RING_CAUSE_EXTERNAL :
	                  (type == VMX_INTR_TYPE_SOFT_INTR ? RING_CAUSE_SOFTWARE_INT : RING_CAUSE_EXCEPTION);
	return deliver(uv, vector, cause, has_err, err, false);
}

static SimRunResult ucb_vp_run_slice(UcVp *uv, uint64_t until);

/* A paused slice continues with the budget and the deadline it had (the
 * exits before the pause may have moved uv->until). */
static SimRunResult ucb_vp_run(SimVp *vp, uint64_t until)
{
	UcVp *uv = uv_of(vp);
	if (uv->bp_generation != vp->partition->machine->bp_generation)
		bp_sync(uv);
	if (!uv->slice_paused)
		uv->until = until;
	uv->slice_paused = false;
	SimRunResult r = ucb_vp_run_slice(uv, until);
	if (r == SIM_RUN_PAUSED)
		uv->slice_paused = true;
	else
		uv->resume_rip = UINT64_MAX;
	uv->pause_rip = UINT64_MAX;
	uv->sync_pause_rip = UINT64_MAX;
	if (uv->pause_hook_rip != UINT64_MAX)
		pause_hook_drop(uv);
	return r;
}

static SimRunResult ucb_vp_run_slice(UcVp *uv, uint64_t until)
{
	SimVp *vp = uv->vp;
	SimPartition *p = vp->partition;
	/* Resumed inside the engine: no VM entry before it continues. */
	bool resume = uv->resume_mid;
	uv->resume_mid = false;

	if (p->child && uv->map_generation != p->child->map_generation) {
		/* The parent changed the child's GPA map since the last run. */
		uc_err e = map_child_memory(uv);
		if (e != UC_ERR_OK) {
			sim_partition_stop(p, false, 1, "cannot map the child's memory into the emulator: %s", uc_strerror(e));
			return SIM_RUN_ERROR;
		}
	}
	for (;;) {
		if (p->stopped)
			return SIM_RUN_STOPPED;
		if (!resume) {
			if (vp->insns >= vp->pause_at)
				return SIM_RUN_PAUSED;   /* before the entry: it is still due */
			if (!vm_entry(uv))
				return p->stopped ? SIM_RUN_STOPPED : SIM_RUN_ERROR;
			if (vp->insns >= until)
				return SIM_RUN_YIELD;
		}
		/* Resumed: the block before the pause stays the current one (a REP
		 * string instruction's final entry, RCX = 0, is told by it). */
		if (!resume)
			uv->cur.size = 0;
		resume = false;

		uv->pending = PEND_NONE;
		uv->fault_type = -1;
		uint64_t rip = rd(uv, UC_X86_REG_RIP);
		uc_err err = uc_emu_start(uv->uc, rip, UINT64_MAX, 0, 0);
		if (p->stopped)
			return SIM_RUN_STOPPED;
		if (err != UC_ERR_OK) {
			uint64_t at = rd(uv, UC_X86_REG_RIP);
			if (err == UC_ERR_WRITE_PROT && p->hcpage_active && uv->fault_type >= 0 &&
			    uv->fault_gpa >= p->hcpage_gpa && uv->fault_gpa < p->hcpage_gpa + HV_PAGE_SIZE) {
				/* A write to the hypercall page overlay: #GP in the guest. */
				rewind_count(uv, at);
				if (!deliver(uv, X86_VEC_GP, RING_CAUSE_EXCEPTION, true, 0, true))
					return SIM_RUN_STOPPED;
				continue;
			}
			if (err == UC_ERR_READ_UNMAPPED || err == UC_ERR_WRITE_UNMAPPED || err == UC_ERR_FETCH_UNMAPPED ||
			    err == UC_ERR_READ_PROT || err == UC_ERR_WRITE_PROT || err == UC_ERR_FETCH_PROT) {
				/* An access outside the partition's GPA map, or against
				 * its permissions: with SLAT this is an EPT violation.
				 * Qualification bits 0-2: read, write, fetch. */
				SimExit ex = { 0 };
				bool write = err == UC_ERR_WRITE_UNMAPPED || err == UC_ERR_WRITE_PROT;
				bool fetch = err == UC_ERR_FETCH_UNMAPPED || err == UC_ERR_FETCH_PROT;
				ex.vmx.reason = VMX_EXIT_EPT_VIOLATION;
				ex.vmx.guest_rip = at;
				ex.vmx.qualification = write ? 2 : fetch ? 4 : 1;
				ex.vmx.guest_physical_address = uv->fault_type >= 0 ? uv->fault_gpa : 0;
				rewind_count(uv, at);
				SimExitAction a = sim_hv_handle_exit(vp, &ex);
				if (a == SIM_SUSPEND_VP) {
					wr(uv, UC_X86_REG_RIP, at);
					return SIM_RUN_YIELD;
				}
				return SIM_RUN_STOPPED;
			}
			sim_partition_stop(p, false, 1, "emulator error at RIP 0x%" G_GINT64_MODIFIER "x: %s",
			                   at, uc_strerror(err));
			return SIM_RUN_ERROR;
		}

		switch (uv->pending) {
		case PEND_NONE:
			if (is_silent_ud(uv, rip)) {
				uv->intr_no = X86_VEC_UD;
				if (!handle_intr(uv))
					return SIM_RUN_STOPPED;
				continue;
			}
			/* The engine stopped by itself (for instance a HLT that does
			 * not exit); treat as the end of the slice. */
			return SIM_RUN_YIELD;
		case PEND_BUDGET:
		case PEND_RESCAN:
			/* The engine's RIP is not reliable after a stop from the block
			 * hook (measured: a stop at the second block of a REP STOS loop
			 * reported the first block's address, and restarting there ran
			 * the loop again from the wrong RDI). The hook's address is the
			 * block that did not run: resume exactly there. */
			wr(uv, UC_X86_REG_RIP, uv->stop_rip);
			if (uv->pending == PEND_BUDGET)
				return SIM_RUN_YIELD;
			continue;
		case PEND_STOP:
			return SIM_RUN_STOPPED;
		case PEND_INTR:
			if (!handle_intr(uv))
				return SIM_RUN_STOPPED;
			continue;
		case PEND_SYSCALL:
			if (!handle_syscall(uv))
				return SIM_RUN_STOPPED;
			continue;
		case PEND_SYSRET:
			if (!handle_sysret(uv))
				return SIM_RUN_STOPPED;
			continue;
		case PEND_REENTER:
			wr(uv, UC_X86_REG_RIP, uv->stop_rip);
			continue;
		case PEND_FAULT:
			wr(uv, UC_X86_REG_RIP, uv->stop_rip);
			if (!deliver(uv, uv->fault_vector, RING_CAUSE_EXCEPTION,
			             ring_vector_has_error_code(uv->fault_vector), 0, false))
				return SIM_RUN_STOPPED;
			continue;
		case PEND_HALTED:
			wr(uv, UC_X86_REG_RIP, uv->stop_rip);
			return SIM_RUN_HALTED;
		case PEND_SUSPENDED:
			wr(uv, UC_X86_REG_RIP, uv->stop_rip);
			return SIM_RUN_YIELD;
		case PEND_PAUSE:
			wr(uv, UC_X86_REG_RIP, uv->stop_rip);
			uv->resume_mid = true;
			return SIM_RUN_PAUSED;
		case PEND_PAUSE_ARM:
			wr(uv, UC_X86_REG_RIP, uv->stop_rip);
			resume = true;   /* the same block again, now with its pause hook */
			continue;
		case PEND_CODE_EXIT: {
			/* HLT: the VP leaves the engine to idle in the scheduler. */
			SimRunResult r = handle_stop_exit(uv, VMX_EXIT_HLT, 1);
			if (r != SIM_RUN_YIELD)
				return r;
			continue;
		}
		}
	}
}

static bool ucb_deliver_interrupt(SimVp *vp, uint8_t vector)
{
	sim_vp_raise_vector(vp, vector);
	return true;
}

/* The overlay is read-only and executable for the guest. */
static void ucb_hypercall_page_changed(SimVp *vp, uint64_t gpa, bool enabled)
{
	UcVp *uv = uv_of(vp);
	uint32_t prot = enabled ? (UC_PROT_READ | UC_PROT_EXEC) : UC_PROT_ALL;
	uc_err e = uc_mem_protect(uv->uc, gpa, HV_PAGE_SIZE, prot);
	if (e != UC_ERR_OK)
		sim_vp_message(vp, "cannot protect the hypercall page at 0x%" G_GINT64_MODIFIER "x: %s", gpa,
		               uc_strerror(e));
	/* Code may have been translated from the old bytes. */
	uc_ctl_remove_cache(uv->uc, gpa, gpa + HV_PAGE_SIZE);
}

static bool ucb_set_boot_state(SimVp *vp, const SimBootState *st, GError **error)
{
	UcVp *uv = uv_of(vp);
	uc_x86_mmr gdtr = { .base = st->gdt_base, .limit = st->gdt_limit };
	uc_x86_msr efer = { .rid = IA32_EFER_MSR, .value = st->efer };

	/* A child's map may have changed since the VP was created: the GDT
	 * and page tables below must be reachable. */
	if (vp->partition->child && uv->map_generation != vp->partition->child->map_generation &&
	    map_child_memory(uv) != UC_ERR_OK) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "emulator refused the child's memory map");
		return false;
	}
	/* Order matters: page tables, PAE and EFER.LME before CR0.PG. */
	if (uc_reg_write(uv->uc, UC_X86_REG_GDTR, &gdtr) ||
	    uc_reg_write(uv->uc, UC_X86_REG_CR3, &st->cr3) ||
	    uc_reg_write(uv->uc, UC_X86_REG_CR4, &st->cr4) ||
	    uc_reg_write(uv->uc, UC_X86_REG_MSR, &efer) ||
	    uc_reg_write(uv->uc, UC_X86_REG_CR0, &st->cr0)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "emulator refused the boot control registers");
		return false;
	}
	wr(uv, UC_X86_REG_CS, st->cs);
	wr(uv, UC_X86_REG_SS, st->ds);
	wr(uv, UC_X86_REG_DS, st->ds);
	wr(uv, UC_X86_REG_ES, st->ds);
	wr(uv, UC_X86_REG_RSP, st->rsp);
	wr(uv, UC_X86_REG_RDI, st->rdi);
	wr(uv, UC_X86_REG_RFLAGS, st->rflags);
	wr(uv, UC_X86_REG_RIP, st->rip);
	vmx_vmcs_write(vp->vmcs, VMCS_GUEST_IA32_EFER, st->efer);
	/* The VP starts in ring 0: this is the first ring 0 context. */
	save_ring_ctx(uv, 0);
	return true;
}

/* ---- A child's memory: its SLAT map, mapped into the engine --------------
 * The engine's "physical" space is the child's GPA space. Each run of
 * consecutive child pages backed by consecutive parent pages with the same
 * EPT permissions becomes one engine region pointing into the parent's RAM
 * (shared, not copied: the worker's writes are the child's memory). An
 * access outside the regions, or against their permissions, stops the
 * engine with the address (mem_fault_hook): an EPT violation. */
static gint page_cmp(gconstpointer a, gconstpointer b)
{
	uint64_t x = *(const guint64 *)a, y = *(const guint64 *)b;
	return x < y ? -1 : x > y;
}

static uint32_t ept_prot(unsigned perms)
{
	return ((perms & VMX_EPT_READ) ? UC_PROT_READ : 0) | ((perms & VMX_EPT_WRITE) ? UC_PROT_WRITE : 0) |
	       ((perms & VMX_EPT_EXEC) ? UC_PROT_EXEC : 0);
}

static uc_err map_child_memory(UcVp *uv)
{
	SimPartition *p = uv->vp->partition;
	const SimMemory *mem = &p->mem;
	uc_mem_region *regions = NULL;
	uint32_t n = 0;
	uc_err e;

	/* Drop what was mapped before (the map changed, or a first call). */
	if (uc_mem_regions(uv->uc, &regions, &n) == UC_ERR_OK) {
		for (uint32_t i = 0; i < n; i++)
			uc_mem_unmap(uv->uc, regions[i].begin, regions[i].end - regions[i].begin + 1);
		uc_free(regions);
	}
	uv->map_generation = p->child ? p->child->map_generation : 0;
	memset(uv->cache, 0, sizeof uv->cache); /* code at an address may now be other code */
	if (!mem->slat || !mem->backing)
		return UC_ERR_OK;

	GArray *keys = g_array_sized_new(FALSE, FALSE, sizeof(guint64), g_hash_table_size(mem->slat));
	GHashTableIter it;
	gpointer k;
	g_hash_table_iter_init(&it, mem->slat);
	while (g_hash_table_iter_next(&it, &k, NULL))
		g_array_append_val(keys, *(guint64 *)k);
	g_array_sort(keys, page_cmp);
	for (guint i = 0; i < keys->len;) {
		guint64 first = g_array_index(keys, guint64, i);
		gpointer v = g_hash_table_lookup(mem->slat, &first);
		uint64_t spa_page = SIM_SLAT_PAGE(v);
		unsigned perms = SIM_SLAT_PERMS(v);
		guint j = i + 1;
		while (j < keys->len) {
			guint64 next = g_array_index(keys, guint64, j);
			gpointer w = g_hash_table_lookup(mem->slat, &next);
			if (next != first + (j - i) || SIM_SLAT_PAGE(w) != spa_page + (j - i) || SIM_SLAT_PERMS(w) != perms)
				break;
			j++;
		}
		uint64_t len = (uint64_t)(j - i) << HV_PAGE_SHIFT;
		if ((spa_page << HV_PAGE_SHIFT) + len <= mem->backing->size) {
			e = uc_mem_map_ptr(uv->uc, first << HV_PAGE_SHIFT, len, ept_prot(perms),
			                   mem->backing->host + (spa_page << HV_PAGE_SHIFT));
			if (e != UC_ERR_OK) {
				g_array_free(keys, TRUE);
				return e;
			}
		}
		i = j;
	}
	g_array_free(keys, TRUE);
	if (p->hcpage_active)
		uc_mem_protect(uv->uc, p->hcpage_gpa, HV_PAGE_SIZE, UC_PROT_READ | UC_PROT_EXEC);
	return UC_ERR_OK;
}

static bool mem_fault_hook(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value,
                           void *user_data)
{
	UcVp *uv = user_data;
	uv->fault_gpa = address;
	uv->fault_type = type;
	return false; /* the engine stops with the matching error */
}

static void ucb_vp_fini(SimVp *vp)
{
	UcVp *uv = uv_of(vp);
	if (!uv)
		return;
	if (uv->insn)
		cs_free(uv->insn, 1);
	if (uv->cs)
		cs_close(&uv->cs);
	for (guint i = 0; i < G_N_ELEMENTS(uv->ring_ctx); i++)
		if (uv->ring_ctx[i])
			uc_context_free(uv->ring_ctx[i]);
	if (uv->uc)
		uc_close(uv->uc);
	if (uv->hooked)
		g_hash_table_destroy(uv->hooked);
	if (uv->code_hooks)
		g_array_free(uv->code_hooks, TRUE);
	if (uv->bp_hooks)
		g_array_free(uv->bp_hooks, TRUE);
	if (uv->bp_rips)
		g_hash_table_destroy(uv->bp_rips);
	g_free(uv);
	vp->backend = NULL;
}

static bool ucb_vp_init(SimVp *vp, GError **error)
{
	UcVp *uv = g_new0(UcVp, 1);
	SimPartition *p = vp->partition;
	uc_err e;

	uv->vp = vp;
	vp->backend = uv;
	uv->sti_shadow_rip = UINT64_MAX;
	uv->hooked = g_hash_table_new(g_direct_hash, g_direct_equal);
	uv->code_hooks = g_array_new(FALSE, FALSE, sizeof(uc_hook));
	uv->pause_rip = UINT64_MAX;
	uv->pause_hook_rip = UINT64_MAX;
	uv->sync_pause_rip = UINT64_MAX;
	uv->resume_rip = UINT64_MAX;
	uv->bp_hooks = g_array_new(FALSE, FALSE, sizeof(uc_hook));
	uv->bp_skip_rip = UINT64_MAX;

	if ((e = uc_open(UC_ARCH_X86, UC_MODE_64, &uv->uc)) != UC_ERR_OK)
		goto uc_fail;
	/* The partition's RAM, shared with every engine that maps it; or for a
	 * child, its GPA map over its parent's RAM. */
	if (p->mem.host)
		e = uc_mem_map_ptr(uv->uc, 0, p->mem.size, UC_PROT_ALL, p->mem.host);
	else
		e = map_child_memory(uv);
	if (e != UC_ERR_OK)
		goto uc_fail;
	/* Run without an "until" address. uc_emu_start otherwise flushes the
	 * translation at that address when it returns, which translates it as
	 * an instruction fetch through the guest's page tables: for an address
	 * the guest has not mapped that raises a page fault outside emulation,
	 * leaving the CPU model's "exception in flight" state corrupt (later
	 * exceptions turn into #DF and silent resets). With the exits list
	 * enabled and empty, nothing is probed. */
	if ((e = uc_ctl_exits_enable(uv->uc)) != UC_ERR_OK)
		goto uc_fail;
	for (guint i = 0; i < G_N_ELEMENTS(uv->ring_ctx); i++)
		if ((e = uc_context_alloc(uv->uc, &uv->ring_ctx[i])) != UC_ERR_OK)
			goto uc_fail;
	if ((e = uc_hook_add(uv->uc, &uv->h_block, UC_HOOK_BLOCK, block_hook, uv, 1, 0)) ||
	    (e = uc_hook_add(uv->uc, &uv->h_in, UC_HOOK_INSN, in_hook, uv, 1, 0, UC_X86_INS_IN)) ||
	    (e = uc_hook_add(uv->uc, &uv->h_out, UC_HOOK_INSN, out_hook, uv, 1, 0, UC_X86_INS_OUT)) ||
	    (e = uc_hook_add(uv->uc, &uv->h_cpuid, UC_HOOK_INSN, cpuid_hook, uv, 1, 0, UC_X86_INS_CPUID)) ||
	    (e = uc_hook_add(uv->uc, &uv->h_syscall, UC_HOOK_INSN, syscall_hook, uv, 1, 0, UC_X86_INS_SYSCALL)) ||
	    (e = uc_hook_add(uv->uc, &uv->h_invalid, UC_HOOK_INSN_INVALID, invalid_hook, uv, 1, 0)) ||
	    (e = uc_hook_add(uv->uc, &uv->h_intr, UC_HOOK_INTR, intr_hook, uv, 1, 0)) ||
	    (e = uc_hook_add(uv->uc, &uv->h_mem, UC_HOOK_MEM_UNMAPPED | UC_HOOK_MEM_PROT, mem_fault_hook, uv, 1, 0)))
		goto uc_fail;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &uv->cs) != CS_ERR_OK) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "Capstone could not open an x86-64 disassembler");
		ucb_vp_fini(vp);
		return false;
	}
	uv->insn = cs_malloc(uv->cs);
	return true;

uc_fail:
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "Unicorn failed to set up VP %u: %s", vp->index,
	            uc_strerror(e));
	ucb_vp_fini(vp);
	return false;
}

const SimBackendOps sim_backend_unicorn = {
	.name = "emulated (Unicorn)",
	.vp_init = ucb_vp_init,
	.vp_fini = ucb_vp_fini,
	.vp_set_boot_state = ucb_set_boot_state,
	.reg_get = uc_reg_get,
	.reg_set = uc_reg_set,
	.regs_get = uc_regs_get,
	.vp_run = ucb_vp_run,
	.vp_deliver_interrupt = ucb_deliver_interrupt,
	.hypercall_page_changed = ucb_hypercall_page_changed,
};
