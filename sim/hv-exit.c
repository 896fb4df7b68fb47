/* hv-exit.c — the modelled hypervisor's VM-exit dispatcher and its handlers.
 * Runs on the sim thread, in "ring -1": every function here is what the
 * hypervisor does between a VM exit and the next VM entry.
 *
 * The dispatcher is one switch over the basic exit reason, in the order of
 * the SDM's table of exit reasons; each reason has one small handler. A
 * handler returns what the backend does next: enter the guest past the
 * instruction (the hypervisor emulated it), enter at the same instruction
 * (an event was injected instead), idle the VP, or stop the partition. */
#include <string.h>

#include "hv-hypercall.h"
#include "hv-tlfs.h"
#include "hvsim-platform.h"
#include "sim-private.h"
#include "x86-arch.h"

static uint64_t reg(SimVp *vp, SimReg r)
{
	return vp->partition->machine->backend->reg_get(vp, r);
}

/* What the processor does on every VM exit besides the exit information:
 * it saves the guest's state into the VMCS guest-state area, so the host
 * (and the VMCS panel) sees the guest as it was at the exit. The fields the
 * model keeps: RSP, RFLAGS, the control registers and the CS/SS selectors
 * (RIP is saved with the exit record; IA32_EFER by the EFER MSR handlers). */
static void save_guest_state(SimVp *vp)
{
	static const SimReg regs[] = {
		SIM_REG_RSP, SIM_REG_RFLAGS, SIM_REG_CR0, SIM_REG_CR3, SIM_REG_CR4, SIM_REG_CS, SIM_REG_SS,
	};
	uint64_t v[G_N_ELEMENTS(regs)];
	vp->partition->machine->backend->regs_get(vp, regs, v, G_N_ELEMENTS(regs));
	const VmxGuestState g = { .rsp = v[0], .rflags = v[1], .cr0 = v[2], .cr3 = v[3], .cr4 = v[4],
	                          .cs = v[5], .ss = v[6] };
	vmx_guest_state_save(vp->vmcs, &g);
}

static void set_reg(SimVp *vp, SimReg r, uint64_t v)
{
	vp->partition->machine->backend->reg_set(vp, r, v);
}

/* Injects a hardware exception at the next VM entry, as the hypervisor
 * does through the VM-entry interruption-information field. */
static SimExitAction inject_exception(SimVp *vp, uint8_t vector, bool has_error, uint32_t error)
{
	vmx_inject_event(vp->vmcs, vector, VMX_INTR_TYPE_HARD_EXCEPTION, has_error, error, 0);
	return SIM_RESUME_SAME;
}

/* ---- CPUID (basic reason 10) ------------------------------------------------
 * The model presents a fixed CPU so traces are identical on every host:
 * the vendor chosen with --vendor, long mode, SYSCALL (no NX: the engine
 * cannot hold EFER.NXE); the hypervisor-
 * present bit; VMX/SVM hidden (no nested virtualization); and the Microsoft
 * hypervisor leaves 0x40000000-0x40000006 (facts §1). */
void sim_hv_cpuid(SimVp *vp, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	bool intel = vp->partition->machine->config.vendor == SIM_VENDOR_INTEL;
	SimPartition *p = vp->partition;
	/* Before late launch the OS sees the bare CPU: the virtualization
	 * feature (VMX / SVM) set unless the CPU model lacks it, no
	 * hypervisor-present bit and no hypervisor leaves. */
	bool bare = !p->hv_active;
	bool virt = bare && !p->machine->config.no_virtualization;
	memset(out, 0, 4 * sizeof(uint32_t));
	if (bare && leaf >= HV_CPUID_VENDOR_AND_MAX_FUNCTIONS && leaf <= HV_CPUID_MAX_LEAF)
		return;

	switch (leaf) {
	case 0x0:
		out[0] = 0xD;
		if (intel) { /* "GenuineIntel" in EBX, EDX, ECX */
			out[1] = 0x756E6547; out[3] = 0x49656E69; out[2] = 0x6C65746E;
		} else {     /* "AuthenticAMD" */
			out[1] = 0x68747541; out[3] = 0x69746E65; out[2] = 0x444D4163;
		}
		break;
	case 0x1:
		out[0] = intel ? 0x000906EA : 0x00A20F10; /* family/model/stepping of a modelled part */
		out[1] = (vp->index & 0xFF) << 24;        /* initial APIC id */
		/* SSE3, SSSE3, CX16, SSE4.1, SSE4.2, POPCNT, hypervisor present.
		 * VMX (bit 5) stays clear: the guest is not offered nesting. */
		out[2] = (1u << 0) | (1u << 9) | (1u << 13) | (1u << 19) | (1u << 20) | (1u << 23) |
		         (bare ? 0 : HV_CPUID_FEATURES_ECX_HYPERVISOR_PRESENT) |
		         (virt && intel ? X86_CPUID1_ECX_VMX : 0);
		/* FPU, TSC, MSR, PAE, CX8, APIC, SEP, PGE, CMOV, PAT, FXSR, SSE, SSE2 */
		out[3] = (1u << 0) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 9) |
		         (1u << 11) | (1u << 13) | (1u << 15) | (1u << 16) | (1u << 24) | (1u << 25) | (1u << 26);
		break;
	case 0x80000000:
		out[0] = 0x80000008;
		break;
	case 0x80000001:
		out[2] = (1u << 0) | /* LAHF in 64-bit mode; SVM clear under the hypervisor: no nesting */
		         (virt && !intel ? X86_CPUID81_ECX_SVM : 0);
		/* SYSCALL and long mode. NX (bit 20) is not offered: the emulated
		 * CPU cannot hold EFER.NXE, so a guest must not rely on it. */
		out[3] = (1u << 11) | (1u << 29);
		break;
	case 0x80000008:
		out[0] = 0x3027; /* 39 physical, 48 linear address bits */
		break;
	case HV_CPUID_VENDOR_AND_MAX_FUNCTIONS:
		out[0] = HV_CPUID_MAX_LEAF;
		out[1] = HV_CPUID_VENDOR_EBX;
		out[2] = HV_CPUID_VENDOR_ECX;
		out[3] = HV_CPUID_VENDOR_EDX;
		break;
	case HV_CPUID_INTERFACE:
		out[0] = HV_CPUID_INTERFACE_HV1;
		break;
	case HV_CPUID_VERSION:
		out[0] = 1;                  /* build number of the model */
		out[1] = (0u << 16) | 1u;    /* version 0.1 */
		break;
	case HV_CPUID_FEATURES:
		out[0] = (uint32_t)p->privileges;
		out[1] = (uint32_t)(p->privileges >> 32);
		out[3] = HV_FEATURE_DIRECT_SYNTHETIC_TIMERS;
		break;
	case HV_CPUID_ENLIGHTENMENT_INFO:
		out[1] = 0xFFFFFFFFu; /* never notify long spin waits on its own */
		out[2] = 39;          /* implemented physical address bits */
		break;
	case HV_CPUID_IMPLEMENTATION_LIMITS:
		out[0] = 1;           /* max VPs per partition in this model */
		out[1] = 1;           /* logical processors */
		break;
	case HV_CPUID_HARDWARE_FEATURES:
		out[0] = (1u << 1) | (1u << 3); /* MSR bitmaps, SLAT in use */
		break;
	default:
		break;
	}
	(void)subleaf;
}

G_GNUC_NO_INLINE static SimExitAction handle_cpuid(SimVp *vp, SimExit *exit)
{
	uint32_t leaf = (uint32_t)reg(vp, SIM_REG_RAX);
	uint32_t subleaf = (uint32_t)reg(vp, SIM_REG_RCX);
	uint32_t r[4];

	sim_hv_cpuid(vp, leaf, subleaf, r);
	set_reg(vp, SIM_REG_RAX, r[0]);
	set_reg(vp, SIM_REG_RBX, r[1]);
	set_reg(vp, SIM_REG_RCX, r[2]);
	set_reg(vp, SIM_REG_RDX, r[3]);

	SimEvent ev;
	sim_event_init(&ev, SIM_EV_CPUID);
	ev.u.cpuid.leaf = leaf;
	ev.u.cpuid.subleaf = subleaf;
	ev.u.cpuid.eax = r[0];
	ev.u.cpuid.ebx = r[1];
	ev.u.cpuid.ecx = r[2];
	ev.u.cpuid.edx = r[3];
	sim_vp_emit(vp, &ev);
	return SIM_RESUME_NEXT;
}

/* ---- The hypercall page (facts §2.2) ----------------------------------------
 * An overlay: while enabled, the guest sees the hypervisor's stub at that
 * GPA instead of its RAM, may execute it, and gets #GP on a write. Modelled
 * by saving the RAM page, writing the stub and write-protecting the page;
 * disabling restores the RAM. */
/* The sequence at the start of the page and its disassembly: VMCALL or
 * VMMCALL then RET in the emulator; natively the backend's own (KVM keeps
 * VMCALL in the kernel, docs/native.md). Copies at most cap bytes. */
static const char *hcpage_stub(SimVp *vp, guint8 *buf, size_t cap)
{
	static const guint8 intel_stub[] = { X86_INSN_VMCALL_BYTES, X86_INSN_RET };
	static const guint8 amd_stub[] = { X86_INSN_VMMCALL_BYTES, X86_INSN_RET };
	const SimBackendOps *be = vp->partition->machine->backend;
	bool intel = vp->partition->machine->config.vendor == SIM_VENDOR_INTEL;
	const char *text = intel ? "vmcall; ret" : "vmmcall; ret";
	guint8 tmp[16];
	if (be->hypercall_stub) {
		be->hypercall_stub(vp, buf ? buf : tmp, buf ? cap : sizeof tmp, &text);
		return text;
	}
	if (buf)
		memcpy(buf, intel ? intel_stub : amd_stub, MIN(cap, sizeof intel_stub));
	return text;
}

static void hcpage_emit(SimVp *vp)
{
	SimPartition *p = vp->partition;
	SimEvent ev;
	sim_event_init(&ev, SIM_EV_HYPERCALL_PAGE);
	ev.u.hcpage.gpa = p->hcpage_gpa;
	ev.u.hcpage.enabled = p->hcpage_active;
	ev.u.hcpage.nbytes = 4;
	if (p->hcpage_active)
		sim_memory_read(&p->mem, p->hcpage_gpa, ev.u.hcpage.bytes, 4);
	g_strlcpy(ev.text, !p->hcpage_active ? "" : hcpage_stub(vp, NULL, 0), sizeof ev.text);
	sim_vp_emit(vp, &ev);
}

static void hcpage_disable(SimVp *vp)
{
	SimPartition *p = vp->partition;
	if (!p->hcpage_active)
		return;
	sim_memory_write(&p->mem, p->hcpage_gpa, p->hcpage_saved, HV_PAGE_SIZE);
	p->hcpage_active = false;
	p->machine->backend->hypercall_page_changed(vp, p->hcpage_gpa, false);
	hcpage_emit(vp);
}

static void hcpage_enable(SimVp *vp, uint64_t gpa)
{
	SimPartition *p = vp->partition;
	guint8 page[HV_PAGE_SIZE];

	hcpage_disable(vp);
	if (!p->hcpage_saved)
		p->hcpage_saved = g_malloc(HV_PAGE_SIZE);
	sim_memory_read(&p->mem, gpa, p->hcpage_saved, HV_PAGE_SIZE);
	/* Fill with INT3 so a stray call into the rest of the page traps. */
	memset(page, 0xCC, sizeof page);
	hcpage_stub(vp, page, 16);
	sim_memory_write(&p->mem, gpa, page, HV_PAGE_SIZE);
	p->hcpage_gpa = gpa;
	p->hcpage_active = true;
	p->machine->backend->hypercall_page_changed(vp, gpa, true);
	hcpage_emit(vp);
}

/* ---- Synthetic timer 0 (facts §2.5) -------------------------------------------
 * Direct mode raises the CONFIG vector itself; message mode posts an
 * HvMessageTypeTimerExpired message to the CONFIG SINT through the SynIC. */
uint64_t sim_vp_time_ref_count(const SimVp *vp)
{
	return sim_vp_vtime(vp) / HV_TIME_UNIT_NS;
}

static void stimer_update(SimVp *vp)
{
	SimStimer *t = &vp->stimer0;
	bool enabled = t->config & HV_STIMER_CONFIG_ENABLE;
	bool direct = t->config & HV_STIMER_CONFIG_DIRECT_MODE;
	/* Enabling a non-direct (message-mode) timer with SINTx = 0 clears
	 * Enable at once (TLFS timers; facts §2.5). */
	if (enabled && !direct && !(t->config & HV_STIMER_CONFIG_SINT_MASK)) {
		t->config &= ~HV_STIMER_CONFIG_ENABLE;
		sim_vp_message(vp, "STIMER0: message mode with SINTx = 0 is not allowed (TLFS); Enable cleared");
		enabled = false;
	}
	t->armed = enabled && t->count != 0;
	if (t->armed) /* one-shot: COUNT is the absolute expiry; periodic: the period */
		t->expiry = (t->config & HV_STIMER_CONFIG_PERIODIC) ? sim_vp_time_ref_count(vp) + t->count : t->count;
}

void sim_vp_hv_timer_check(SimVp *vp)
{
	SimStimer *t = &vp->stimer0;
	uint64_t now = sim_vp_time_ref_count(vp);
	if (!t->armed || now < t->expiry)
		return;
	SimEvent ev;
	sim_event_init(&ev, SIM_EV_TIMER);
	ev.u.timer.timer = 0;
	ev.u.timer.expiry = t->expiry;
	sim_vp_emit(vp, &ev);
	uint64_t expired = t->expiry;
	if (t->config & HV_STIMER_CONFIG_PERIODIC) {
		/* The next period starts from this expiry; periods missed while
		 * the VP could not run collapse into one interrupt. */
		t->expiry += t->count;
		if (t->expiry <= now)
			t->expiry = now + t->count;
	} else {
		t->config &= ~HV_STIMER_CONFIG_ENABLE;
		t->armed = false;
	}
	if (t->config & HV_STIMER_CONFIG_DIRECT_MODE) {
		sim_vp_raise_vector(vp, (uint8_t)((t->config & HV_STIMER_CONFIG_VECTOR_MASK) >> HV_STIMER_CONFIG_VECTOR_SHIFT));
		return;
	}
	/* Message mode: HvMessageTypeTimerExpired to SINTx with the expiry
	 * reached and the time of delivery (100 ns units); origination id 0.
	 * If the SynIC cannot take it, sim_synic_post reports why and the
	 * expiry is lost. */
	struct hv_timer_message_payload pl = {
		.timer_index = 0,
		.expiration_time = expired,
		.delivery_time = now,
	};
	unsigned sint = (unsigned)((t->config & HV_STIMER_CONFIG_SINT_MASK) >> HV_STIMER_CONFIG_SINT_SHIFT);
	sim_synic_post(vp, sint, HVMSG_TIMER_EXPIRED, &pl, sizeof pl, 0);
}

/* ---- RDMSR / WRMSR (basic reasons 31 and 32) ---------------------------------
 * Only MSRs the MSR bitmap makes exit reach here: the synthetic range
 * (outside the bitmap's two ranges, so it always exits) and any architectural
 * MSR the policy chose to intercept. Unknown MSRs raise #GP, as on Hyper-V. */
static void emit_msr(SimVp *vp, uint32_t msr, bool write, uint64_t value, bool fault)
{
	SimEvent ev;
	sim_event_init(&ev, SIM_EV_MSR);
	ev.u.msr.msr = msr;
	ev.u.msr.write = write;
	ev.u.msr.synthetic = msr >= HV_X64_MSR_SYNTHETIC_FIRST && msr <= HV_X64_MSR_SYNTHETIC_LAST;
	ev.u.msr.value = value;
	ev.u.msr.fault = fault;
	sim_vp_emit(vp, &ev);
}

static bool msr_read(SimVp *vp, uint32_t msr, uint64_t *value)
{
	SimPartition *p = vp->partition;
	if (!p->hv_active && msr >= HV_X64_MSR_SYNTHETIC_FIRST && msr <= HV_X64_MSR_SYNTHETIC_LAST)
		return false; /* no hypervisor, no synthetic MSRs: #GP as on bare metal */
	switch (msr) {
	case HV_X64_MSR_GUEST_OS_ID: *value = p->guest_os_id; return true;
	case HV_X64_MSR_HYPERCALL: *value = p->hypercall_msr; return true;
	case HV_X64_MSR_VP_INDEX: *value = vp->index; return true;
	case HV_X64_MSR_TIME_REF_COUNT: *value = sim_vp_time_ref_count(vp); return true;
	case HV_X64_MSR_STIMER0_CONFIG: *value = vp->stimer0.config; return true;
	case HV_X64_MSR_STIMER0_COUNT: *value = vp->stimer0.count; return true;
	case HV_X64_MSR_EOI: *value = 0; return true; /* write-only; reads 0 */
	case HV_X64_MSR_ICR: *value = 0; return true;
	case HV_X64_MSR_TPR: *value = vp->tpr; return true;
	case IA32_EFER_MSR: *value = vmx_vmcs_get(vp->vmcs, VMCS_GUEST_IA32_EFER); return true;
	case HV_X64_MSR_SCONTROL: case HV_X64_MSR_SVERSION: case HV_X64_MSR_SIEFP:
	case HV_X64_MSR_SIMP: case HV_X64_MSR_EOM: case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
		return sim_synic_msr_read(vp, msr, value); /* hv-synic.c */
	default: return false;
	}
}

static bool msr_write(SimVp *vp, uint32_t msr, uint64_t value)
{
	SimPartition *p = vp->partition;
	if (!p->hv_active && msr >= HV_X64_MSR_SYNTHETIC_FIRST && msr <= HV_X64_MSR_SYNTHETIC_LAST)
		return false;
	switch (msr) {
	case HV_X64_MSR_GUEST_OS_ID:
		p->guest_os_id = value;
		if (value == 0) {
			/* Clearing the guest OS id disables the hypercall page. */
			p->hypercall_msr &= ~HV_HYPERCALL_MSR_ENABLE;
			hcpage_disable(vp);
		}
		return true;
	case HV_X64_MSR_HYPERCALL: {
		uint64_t gpfn = value >> HV_HYPERCALL_MSR_GPFN_SHIFT;
		if (p->hypercall_msr & HV_HYPERCALL_MSR_LOCKED)
			return true; /* locked until reset: writes are ignored */
		if (!sim_memory_range_ok(&p->mem, gpfn << HV_PAGE_SHIFT, HV_PAGE_SIZE))
			return false; /* GPFN outside the GPA space: #GP */
		/* Enable cannot be set before a guest OS id is written: it reads back 0. */
		if (p->guest_os_id == 0)
			value &= ~HV_HYPERCALL_MSR_ENABLE;
		p->hypercall_msr = value;
		if (value & HV_HYPERCALL_MSR_ENABLE)
			hcpage_enable(vp, gpfn << HV_PAGE_SHIFT);
		else
			hcpage_disable(vp);
		return true;
	}
	case HV_X64_MSR_STIMER0_CONFIG:
		vp->stimer0.config = value;
		stimer_update(vp);
		return true;
	case HV_X64_MSR_STIMER0_COUNT:
		vp->stimer0.count = value;
		if (value == 0)
			vp->stimer0.config &= ~HV_STIMER_CONFIG_ENABLE; /* writing 0 stops the timer */
		else if (vp->stimer0.config & HV_STIMER_CONFIG_AUTO_ENABLE)
			vp->stimer0.config |= HV_STIMER_CONFIG_ENABLE;
		stimer_update(vp);
		return true;
	case HV_X64_MSR_EOI:
		return true; /* no local APIC is modelled: EOI is accepted */
	case HV_X64_MSR_TPR:
		if (value > 0xFF)
			return false; /* only the priority class and subclass exist */
		vp->tpr = value;
		return true;
	case HV_X64_MSR_ICR:
		/* One VP per partition: there is no other processor to send an
		 * IPI to. Accepted and reported. */
		sim_vp_message(vp, "HV_X64_MSR_ICR write 0x%" G_GINT64_MODIFIER "x ignored: IPIs are not modelled (one VP)", value);
		return true;
	case IA32_EFER_MSR: {
		/* SCE, LME and LMA exist here (NX is not offered by CPUID). LMA
		 * is read-only, and clearing LME while in long mode would need
		 * paging off first: #GP, as on hardware. Reserved bits: #GP. */
		uint64_t cur = vmx_vmcs_get(vp->vmcs, VMCS_GUEST_IA32_EFER);
		if (value & ~(X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA))
			return false;
		if ((cur & X86_EFER_LMA) && !(value & X86_EFER_LME))
			return false;
		value = (value & ~X86_EFER_LMA) | (cur & X86_EFER_LMA);
		vp->partition->machine->backend->reg_set(vp, SIM_REG_EFER, value);
		return true;
	}
	case HV_X64_MSR_SCONTROL: case HV_X64_MSR_SVERSION: case HV_X64_MSR_SIEFP:
	case HV_X64_MSR_SIMP: case HV_X64_MSR_EOM: case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
		return sim_synic_msr_write(vp, msr, value); /* hv-synic.c */
	default:
		return false; /* read-only (VP_INDEX, TIME_REF_COUNT) or unknown */
	}
}

G_GNUC_NO_INLINE static SimExitAction handle_rdmsr(SimVp *vp, SimExit *exit)
{
	uint32_t msr = (uint32_t)reg(vp, SIM_REG_RCX);
	uint64_t value = 0;
	if (!msr_read(vp, msr, &value)) {
		emit_msr(vp, msr, false, 0, true);
		return inject_exception(vp, X86_VEC_GP, true, 0);
	}
	set_reg(vp, SIM_REG_RAX, value & 0xFFFFFFFFu);
	set_reg(vp, SIM_REG_RDX, value >> 32);
	emit_msr(vp, msr, false, value, false);
	return SIM_RESUME_NEXT;
}

G_GNUC_NO_INLINE static SimExitAction handle_wrmsr(SimVp *vp, SimExit *exit)
{
	uint32_t msr = (uint32_t)reg(vp, SIM_REG_RCX);
	uint64_t value = (reg(vp, SIM_REG_RDX) << 32) | (reg(vp, SIM_REG_RAX) & 0xFFFFFFFFu);
	if (!msr_write(vp, msr, value)) {
		emit_msr(vp, msr, true, value, true);
		return inject_exception(vp, X86_VEC_GP, true, 0);
	}
	emit_msr(vp, msr, true, value, false);
	return SIM_RESUME_NEXT;
}

/* ---- I/O instruction (basic reason 30) ---------------------------------------
 * The exit qualification says which port, how wide and which direction;
 * the hypervisor's device model answers. (With a parent partition this
 * becomes an intercept message to the worker process.) */
SIM_HOT static SimDevice *find_device(SimPartition *p, uint16_t port)
{
	for (guint i = 0; i < p->devices->len; i++) {
		SimDevice *d = g_ptr_array_index(p->devices, i);
		if (port >= d->port_first && port <= d->port_last)
			return d;
	}
	return NULL;
}

/* A port access that does not exit (its I/O bitmap bit is clear): the
 * partition reaches the device itself, as the root reaches its own
 * hardware; no VM exit, no world switch. */
uint32_t sim_platform_port_io(SimVp *vp, uint16_t port, unsigned size, bool in, uint32_t value)
{
	SimDevice *dev = find_device(vp->partition, port);
	uint32_t mask = size == 1 ? 0xFFu : size == 2 ? 0xFFFFu : 0xFFFFFFFFu;
	if (in)
		value = (dev ? dev->ops->io_read(dev, (uint16_t)(port - dev->port_first), size) : 0xFFFFFFFFu) & mask;
	else if (dev)
		dev->ops->io_write(dev, (uint16_t)(port - dev->port_first), size, value & mask);
	SimEvent ev;
	sim_event_init(&ev, SIM_EV_PORT_IO);
	ev.u.io.port = port;
	ev.u.io.size = (uint8_t)size;
	ev.u.io.in = in;
	ev.u.io.intercepted = false;
	ev.u.io.value = value & mask;
	sim_vp_emit(vp, &ev);
	return value & mask;
}

/* ---- Late launch --------------------------------------------------------------
 * The OS booted on the bare CPU; its hvboot stage checked CPUID and asks the
 * platform (a write to HVSIM_PORT_HVBOOT) to start the hypervisor image for
 * this CPU. The hypervisor turns on VMX operation, copies the running OS's
 * CPU state into a VMCS as guest state, and enters it: the OS continues at
 * the instruction after its request, now as a partition above ring -1. */
static const char *image_name(uint32_t request)
{
	return request == HVSIM_HVBOOT_HVIX64 ? "hvix64" : request == HVSIM_HVBOOT_HVAX64 ? "hvax64" : NULL;
}

G_GNUC_NO_INLINE static void late_launch(SimVp *vp, SimExit *exit, uint32_t request)
{
	SimPartition *p = vp->partition;
	const SimConfig *cfg = &p->machine->config;
	bool intel = cfg->vendor == SIM_VENDOR_INTEL;
	const char *want = image_name(request);

	sim_vp_boot_event(vp, SIM_BOOT_HVBOOT_REQUEST, "hvboot asks the platform to start %s",
	                  want ? want : "an unknown image");
	if (p->hv_active) {
		sim_vp_boot_event(vp, SIM_BOOT_REFUSED, "refused: a hypervisor is already running");
		return;
	}
	if (cfg->no_virtualization) {
		sim_vp_boot_event(vp, SIM_BOOT_REFUSED,
		                  "refused: this CPU has no %s, so no hypervisor can run; the OS continues on bare hardware",
		                  intel ? "VT-x" : "AMD-V");
		return;
	}
	if (!want || (request == HVSIM_HVBOOT_HVIX64) != intel) {
		sim_vp_boot_event(vp, SIM_BOOT_REFUSED,
		                  "refused: %s does not match this %s CPU (it needs %s)",
		                  want ? want : "the request", intel ? "Intel" : "AMD", intel ? "hvix64" : "hvax64");
		return;
	}
	sim_vp_boot_event(vp, SIM_BOOT_IMAGE, "%s: the hypervisor image for %s",
	                  want, intel ? "Intel VT-x" : "AMD-V");
	sim_vp_boot_event(vp, SIM_BOOT_VMXON, intel ?
	                  "VMXON: the CPU enters VMX root operation; the hypervisor now owns ring -1" :
	                  "EFER.SVME = 1: the CPU can run guests with VMRUN; the hypervisor now owns ring -1");

	/* The root's own devices are its hardware: passed through, not
	 * intercepted (I/O bitmap bits clear). Machine power and the hvboot
	 * port stay with the hypervisor. */
	for (uint32_t port = HVSIM_PORT_COM1; port <= HVSIM_PORT_COM1_LAST; port++)
		vmx_io_bitmap_set(vp->vmcs, (uint16_t)port, false);
	for (uint32_t port = HVSIM_PORT_ATA; port <= HVSIM_PORT_ATA_LAST; port++)
		vmx_io_bitmap_set(vp->vmcs, (uint16_t)port, false);
	vmx_io_bitmap_set(vp->vmcs, HVSIM_PORT_ATA_CTRL, false);
	sim_vp_message(vp, "I/O bitmap of the root: COM1 (ports 0x%x-0x%x) and the disk (0x%x-0x%x, 0x%x) pass through to its own devices; power (0x%x) and hvboot (0x%x) still exit",
	               HVSIM_PORT_COM1, HVSIM_PORT_COM1_LAST, HVSIM_PORT_ATA, HVSIM_PORT_ATA_LAST, HVSIM_PORT_ATA_CTRL,
	               HVSIM_PORT_POWER, HVSIM_PORT_HVBOOT);
	/* The VMCS's guest-state area becomes the running OS. */
	save_guest_state(vp);
	uint64_t rip = exit->vmx.guest_rip + exit->vmx.instruction_length;
	vmx_vmcs_write(vp->vmcs, VMCS_GUEST_RIP, rip);
	sim_vp_boot_event(vp, SIM_BOOT_VMCS_FROM_STATE,
	                  "%s guest state := the running OS (RIP 0x%" G_GINT64_MODIFIER "x, RSP 0x%" G_GINT64_MODIFIER "x, CR3 0x%" G_GINT64_MODIFIER "x)",
	                  intel ? "VMCS" : "VMCB (modelled as a VMCS)", rip, reg(vp, SIM_REG_RSP), reg(vp, SIM_REG_CR3));
	p->hv_active = true;
	/* The OS that launched the hypervisor is its root partition: it gets the
	 * parent's rights (create partitions, memory pool, ports, messages;
	 * SIM_PRIV_ROOT in sim-private.h), which CPUID 0x40000003 now reports. */
	p->privileges = SIM_PRIV_ROOT;
	sim_vp_boot_event(vp, SIM_BOOT_LAUNCHED,
	                  "%s: the OS that booted continues at RIP 0x%" G_GINT64_MODIFIER "x as partition %u, above the hypervisor",
	                  intel ? "VMLAUNCH" : "VMRUN", rip, p->id);
}

/* ---- Intercepts: a child's exits its parent handles (facts §4.7) ----------
 * The hypervisor does not emulate a child's devices: it suspends the VP
 * (InterceptSuspend), describes the exit in an intercept message to SINT0
 * of the parent's VP 0, and the parent's worker process emulates the access
 * and resumes the VP through SetVpRegisters. The message says which child
 * in its origination field. */

static void intercept_header(SimVp *vp, const SimExit *exit, uint8_t access,
                             struct hv_x64_intercept_message_header *h)
{
	static const SimReg regs[] = { SIM_REG_CS, SIM_REG_RFLAGS, SIM_REG_CR0 };
	uint64_t v[G_N_ELEMENTS(regs)];
	vp->partition->machine->backend->regs_get(vp, regs, v, G_N_ELEMENTS(regs));
	memset(h, 0, sizeof *h);
	h->vp_index = vp->index;
	h->instruction_length = (uint8_t)(exit->vmx.instruction_length & 0xF);
	h->intercept_access_type = access;
	h->execution_state = (uint16_t)((v[0] & 3) | ((v[2] & X86_CR0_PE) ? HV_X64_EXEC_STATE_CR0_PE : 0) |
	                                ((vmx_vmcs_get(vp->vmcs, VMCS_GUEST_IA32_EFER) & X86_EFER_LMA) ? HV_X64_EXEC_STATE_EFER_LMA : 0));
	/* The model keeps flat segments: base 0, limit 4 GiB, and 64-bit code
	 * attributes (type 0xB, S, P, L, G). */
	h->cs.selector = (uint16_t)v[0];
	h->cs.limit = 0xFFFFFFFFu;
	h->cs.attributes = 0xA09B | (uint16_t)((v[0] & 3) << 5);
	h->rip = exit->vmx.guest_rip;
	h->rflags = v[1];
}

/* Posts `payload` to the parent's VP 0, SINT0. False if it cannot go
 * anywhere (no parent VP, SynIC or SINT0 off): the synic event says why. */
static bool post_to_parent(SimVp *vp, uint32_t type, const void *payload, unsigned len)
{
	SimPartition *p = vp->partition;
	SimPartition *parent = sim_machine_find_partition(p->machine, p->parent_id);
	SimVp *pvp = parent ? sim_partition_vp(parent, 0) : NULL;
	if (!pvp || parent->stopped)
		return false;
	return sim_synic_post(pvp, HV_SYNIC_INTERCEPTION_SINT, type, payload, len, p->id);
}

static void intercept_event(SimVp *vp, uint32_t type, bool delivered, const SimExit *exit,
                            uint16_t port, uint8_t size, uint8_t access, uint64_t value, const char *what)
{
	SimEvent ev;
	sim_event_init(&ev, SIM_EV_INTERCEPT);
	ev.u.intercept.message_type = type;
	ev.u.intercept.parent = vp->partition->parent_id;
	ev.u.intercept.port = port;
	ev.u.intercept.size = size;
	ev.u.intercept.access = access;
	ev.u.intercept.value = value;
	ev.u.intercept.gpa = exit->vmx.guest_physical_address;
	ev.u.intercept.rip = exit->vmx.guest_rip;
	ev.u.intercept.rip_lost = exit->state_lost;
	ev.u.intercept.delivered = delivered;
	g_snprintf(ev.text, sizeof ev.text, "%s -> partition %u%s", what, vp->partition->parent_id,
	           delivered ? "" : ": the parent cannot take intercept messages (SynIC, SIM page or SINT0 off)");
	sim_vp_emit(vp, &ev);
}

void sim_vp_set_suspend(SimVp *vp, SimVpState state, bool on, const char *why)
{
	bool *flag = state == SIM_VP_EXPLICIT_SUSPEND ? &vp->explicit_suspend : &vp->intercept_suspend;
	if (*flag == on)
		return;
	*flag = on;
	SimEvent ev;
	sim_event_init(&ev, SIM_EV_VP_STATE);
	ev.u.vp_state.state = (uint8_t)(vp->explicit_suspend ? SIM_VP_EXPLICIT_SUSPEND :
	                                vp->intercept_suspend ? SIM_VP_INTERCEPT_SUSPEND : SIM_VP_RUNNING);
	g_strlcpy(ev.text, why, sizeof ev.text);
	sim_vp_emit(vp, &ev);
}

void sim_hv_child_unrecoverable(SimVp *vp, const char *what, bool state_lost)
{
	SimExit ex;
	memset(&ex, 0, sizeof ex);
	struct hv_x64_intercept_message_header h;
	if (state_lost) {
		/* Natively on AMD the state at the fault is gone: the header says
		 * which VP and nothing about its registers (all zero), rather than
		 * the reset state KVM left behind. */
		ex.state_lost = true;
		memset(&h, 0, sizeof h);
		h.vp_index = vp->index;
		h.intercept_access_type = HV_INTERCEPT_ACCESS_EXECUTE;
	} else {
		ex.vmx.guest_rip = reg(vp, SIM_REG_RIP);
		intercept_header(vp, &ex, HV_INTERCEPT_ACCESS_EXECUTE, &h);
	}
	bool ok = post_to_parent(vp, HVMSG_UNRECOVERABLE_EXCEPTION, &h, sizeof h);
	intercept_event(vp, HVMSG_UNRECOVERABLE_EXCEPTION, ok, &ex, 0, 0, HV_INTERCEPT_ACCESS_EXECUTE, 0, what);
}

/* An intercept nobody can take (the parent's SynIC, SIM page or SINT0 off,
 * or its queue full): suspending the VP would leave it waiting for ever,
 * so the child ends here, with the reason. */
static SimExitAction unserved(SimVp *vp)
{
	sim_partition_stop(vp->partition, false, 9,
	                   "an intercept could not be delivered to the parent partition %u (its SynIC does not take intercept messages on SINT0): the child cannot go on",
	                   vp->partition->parent_id);
	return SIM_STOP_PARTITION;
}

static bool port_intercepted(const SimChild *c, uint16_t port, bool in)
{
	if (!c)
		return false;
	const guint8 *map = in ? c->io_intercept_read : c->io_intercept_write;
	return (map[port / 8] & (1u << (port % 8))) != 0;
}

/* A child's IN/OUT: an intercept message if the parent asked for the port,
 * otherwise no device (reads float high, writes vanish). */
G_GNUC_NO_INLINE static SimExitAction child_io(SimVp *vp, SimExit *exit, const VmxIoQual *q)
{
	SimPartition *p = vp->partition;
	uint32_t mask = q->size == 1 ? 0xFFu : q->size == 2 ? 0xFFFFu : 0xFFFFFFFFu;
	if (!p->child || !port_intercepted(p->child, q->port, q->in)) {
		SimEvent ev;
		sim_event_init(&ev, SIM_EV_PORT_IO);
		ev.u.io.port = q->port;
		ev.u.io.size = q->size;
		ev.u.io.in = q->in;
		ev.u.io.intercepted = true;
		if (q->in)
			exit->io_data = mask;
		ev.u.io.value = (uint32_t)exit->io_data;
		sim_vp_emit(vp, &ev);
		return SIM_RESUME_NEXT;
	}

	struct hv_x64_io_port_intercept_message m;
	static const SimReg regs[] = { SIM_REG_RAX, SIM_REG_RCX, SIM_REG_RSI, SIM_REG_RDI };
	uint64_t v[G_N_ELEMENTS(regs)];
	p->machine->backend->regs_get(vp, regs, v, G_N_ELEMENTS(regs));
	uint8_t access = q->in ? HV_INTERCEPT_ACCESS_READ : HV_INTERCEPT_ACCESS_WRITE;
	memset(&m, 0, sizeof m);
	intercept_header(vp, exit, access, &m.header);
	m.port_number = q->port;
	m.access_info = (uint8_t)(q->size & HV_IO_ACCESS_SIZE_MASK);
	m.instruction_byte_count = (uint8_t)MIN(exit->vmx.instruction_length, 16u);
	/* RAX as the guest has it; for OUT its low bytes are the data. */
	m.rax = q->in ? v[0] : ((v[0] & ~(uint64_t)mask) | (exit->io_data & mask));
	sim_memory_read(&p->mem, exit->vmx.guest_rip, m.instruction_bytes, m.instruction_byte_count);
	m.ds.limit = m.es.limit = 0xFFFFFFFFu;
	m.rcx = v[1];
	m.rsi = v[2];
	m.rdi = v[3];
	bool ok = post_to_parent(vp, HVMSG_X64_IO_PORT_INTERCEPT, &m, sizeof m);

	char what[96];
	if (q->in)
		g_snprintf(what, sizeof what, "IN from port 0x%x (%u byte%s)", q->port, q->size, q->size > 1 ? "s" : "");
	else
		g_snprintf(what, sizeof what, "OUT 0x%x to port 0x%x", (uint32_t)(exit->io_data & mask), q->port);
	intercept_event(vp, HVMSG_X64_IO_PORT_INTERCEPT, ok, exit, q->port, q->size, access,
	                q->in ? 0 : (exit->io_data & mask), what);
	if (!ok)
		return unserved(vp);
	/* What the child printed, as the hypervisor saw it pass (the worker
	 * emulates the UART; this copy is for the summary and the trace). */
	if (!q->in && q->port == HVSIM_PORT_COM1 + UART_REG_THR)
		sim_partition_console_putc(p, vp, (char)(exit->io_data & 0xFF));
	sim_vp_set_suspend(vp, SIM_VP_INTERCEPT_SUSPEND, true, "I/O port intercept sent to the parent");
	return SIM_SUSPEND_VP;
}

SIM_HOT static SimExitAction handle_io(SimVp *vp, SimExit *exit)
{
	VmxIoQual q;
	vmx_io_qual_decode(exit->vmx.qualification, &q);
	if (vp->partition->parent_id)
		return child_io(vp, exit, &q);
	SimDevice *dev = find_device(vp->partition, q.port);

	if (q.port == HVSIM_PORT_HVBOOT && !q.in && q.size == 4) {
		if (vp->partition->hv_active)
			sim_vp_message(vp, "hvboot port 0x%x written with a hypervisor already running: ignored", q.port);
		else
			late_launch(vp, exit, (uint32_t)exit->io_data);
		return SIM_RESUME_NEXT;
	}

	SimEvent ev;
	sim_event_init(&ev, SIM_EV_PORT_IO);
	ev.u.io.port = q.port;
	ev.u.io.size = q.size;
	ev.u.io.in = q.in;
	ev.u.io.intercepted = vp->partition->hv_active; /* before late launch it goes straight to the device */
	if (q.in) {
		/* A port with no device floats high, as on a real bus. */
		uint32_t mask = q.size == 1 ? 0xFFu : q.size == 2 ? 0xFFFFu : 0xFFFFFFFFu;
		exit->io_data = (dev ? dev->ops->io_read(dev, (uint16_t)(q.port - dev->port_first), q.size)
		                     : 0xFFFFFFFFu) & mask;
		ev.u.io.value = (uint32_t)exit->io_data;
		sim_vp_emit(vp, &ev);
	} else {
		ev.u.io.value = (uint32_t)exit->io_data;
		sim_vp_emit(vp, &ev);
		if (dev)
			dev->ops->io_write(dev, (uint16_t)(q.port - dev->port_first), q.size, (uint32_t)exit->io_data);
	}
	if (vp->partition->stopped)
		return SIM_STOP_PARTITION;
	return SIM_RESUME_NEXT;
}

/* ---- HLT (basic reason 12) -------------------------------------------------- */
G_GNUC_NO_INLINE static SimExitAction handle_hlt(SimVp *vp, SimExit *exit)
{
	uint64_t rflags = reg(vp, SIM_REG_RFLAGS);
	SimEvent ev;
	sim_event_init(&ev, SIM_EV_HALT);
	sim_vp_emit(vp, &ev);
	if (!(rflags & X86_RFLAGS_IF) && vp->pending_vector < 0) {
		/* Nothing can ever wake this VP: report it rather than hang. */
		sim_partition_stop(vp->partition, false, 2,
		                   "VP %u executed HLT at RIP 0x%" G_GINT64_MODIFIER "x with interrupts disabled (RFLAGS.IF=0): it can never wake up",
		                   vp->index, exit->vmx.guest_rip);
		return SIM_STOP_PARTITION;
	}
	vp->halted = true;
	vp->entry_due = vp->partition->hv_active; /* reported when an interrupt wakes the VP */
	return SIM_STOP_VP;
}

/* ---- VMCALL (basic reason 18; VMMCALL, SVM exit 0x81, on AMD) ---------------- */
G_GNUC_NO_INLINE static SimExitAction handle_vmcall(SimVp *vp, SimExit *exit)
{
	if (!vp->partition->hv_active) {
		/* Outside VMX non-root operation VMCALL is an invalid opcode. */
		vmx_inject_event(vp->vmcs, X86_VEC_UD, VMX_INTR_TYPE_HARD_EXCEPTION, false, 0, 0);
		return SIM_RESUME_SAME;
	}
	return sim_hv_hypercall(vp, exit);
}

/* ---- RDTSC / RDTSCP (basic reasons 16 and 51) ---------------------------------
 * "RDTSC exiting" is set: the TSC the guest sees is the VP's virtual time at
 * a modelled 1 GHz, so runs stay deterministic. IA32_TSC_AUX is 0. */
G_GNUC_NO_INLINE static SimExitAction handle_rdtsc(SimVp *vp, SimExit *exit)
{
	uint64_t tsc = sim_vp_vtime(vp);
	exit->set_rax = true;
	exit->rax = tsc & 0xFFFFFFFFu;
	set_reg(vp, SIM_REG_RDX, tsc >> 32);
	if (vmx_exit_basic(&exit->vmx) == VMX_EXIT_RDTSCP)
		set_reg(vp, SIM_REG_RCX, 0);
	return SIM_RESUME_NEXT;
}

/* ---- Triple fault (basic reason 2) ------------------------------------------ */
G_GNUC_NO_INLINE static SimExitAction handle_triple_fault(SimVp *vp, SimExit *exit)
{
	if (vp->partition->parent_id) /* isolation: the child ends alone; its parent hears of it */
		sim_hv_child_unrecoverable(vp, "triple fault: unrecoverable exception", exit->state_lost);
	if (exit->state_lost)
		sim_partition_stop(vp->partition, false, 3,
		                   "triple fault (where is not observable: KVM reset the vCPU at the shutdown): the guest could not deliver an exception; partition %u terminated",
		                   vp->partition->id);
	else
		sim_partition_stop(vp->partition, false, 3,
		                   "triple fault at RIP 0x%" G_GINT64_MODIFIER "x: the guest could not deliver an exception; partition %u terminated",
		                   exit->vmx.guest_rip, vp->partition->id);
	return SIM_STOP_PARTITION;
}

/* ---- EPT violation (basic reason 48) ----------------------------------------- */
G_GNUC_NO_INLINE static SimExitAction handle_ept_violation(SimVp *vp, SimExit *exit)
{
	if (vp->partition->parent_id) {
		/* A child touched a GPA its map does not allow: the parent decides
		 * (an unmapped-GPA message; the VP waits, suspended). */
		struct hv_x64_memory_intercept_message m;
		uint64_t qual = exit->vmx.qualification;
		uint8_t access = (qual & 4) ? HV_INTERCEPT_ACCESS_EXECUTE : (qual & 2) ? HV_INTERCEPT_ACCESS_WRITE
		                                                                      : HV_INTERCEPT_ACCESS_READ;
		memset(&m, 0, sizeof m);
		intercept_header(vp, exit, access, &m.header);
		m.cache_type = 6; /* WB */
		m.guest_physical_address = exit->vmx.guest_physical_address;
		bool mapped = vp->partition->child && sim_memory_range_ok(&vp->partition->mem, m.guest_physical_address, 1);
		uint32_t type = mapped ? HVMSG_GPA_INTERCEPT : HVMSG_UNMAPPED_GPA;
		bool ok = post_to_parent(vp, type, &m, sizeof m);
		char what[96];
		g_snprintf(what, sizeof what, "%s of GPA 0x%" G_GINT64_MODIFIER "x (%s)",
		           access == HV_INTERCEPT_ACCESS_EXECUTE ? "fetch" : access == HV_INTERCEPT_ACCESS_WRITE ? "write" : "read",
		           m.guest_physical_address, mapped ? "not permitted by the GPA map" : "not mapped");
		intercept_event(vp, type, ok, exit, 0, 0, access, 0, what);
		if (!ok)
			return unserved(vp);
		sim_vp_set_suspend(vp, SIM_VP_INTERCEPT_SUSPEND, true, "memory intercept sent to the parent");
		return SIM_SUSPEND_VP;
	}
	sim_partition_stop(vp->partition, false, 4,
	                   "EPT violation at RIP 0x%" G_GINT64_MODIFIER "x: %s of a guest-physical address outside partition %u's memory (%" G_GUINT64_FORMAT " MiB)",
	                   exit->vmx.guest_rip,
	                   (exit->vmx.qualification & 4) ? "instruction fetch" : (exit->vmx.qualification & 2) ? "write" : "read",
	                   vp->partition->id, vp->partition->mem.size >> 20);
	return SIM_STOP_PARTITION;
}

/* ---- Exception or NMI (basic reason 0) ----------------------------------------
 * Only exceptions set in the exception bitmap exit. This hypervisor has no
 * use for them yet, so it reflects each one back into the guest. */
G_GNUC_NO_INLINE static SimExitAction handle_exception(SimVp *vp, SimExit *exit)
{
	uint8_t vector, type;
	bool has_err;
	vmx_intr_info_decode(exit->vmx.intr_info, &vector, &type, &has_err);
	return inject_exception(vp, vector, has_err, exit->vmx.intr_error_code);
}

G_GNUC_NO_INLINE static SimExitAction handle_unexpected(SimVp *vp, SimExit *exit)
{
	uint16_t basic = vmx_exit_basic(&exit->vmx);
	sim_partition_stop(vp->partition, false, 5,
	                   "unexpected VM exit %u (%s) at RIP 0x%" G_GINT64_MODIFIER "x: this hypervisor does not handle it",
	                   basic, vmx_exit_reason_name(basic), exit->vmx.guest_rip);
	return SIM_STOP_PARTITION;
}

SIM_HOT SimExitAction sim_hv_handle_exit(SimVp *vp, SimExit *exit)
{
	uint16_t basic = vmx_exit_basic(&exit->vmx);
	SimExitAction action;
	/* Before late launch there is no hypervisor: the same handlers stand
	 * in for the bare CPU and platform (no VM exit, nothing intercepted,
	 * no world-switch cost, no synthetic interface). */
	bool hv = vp->partition->hv_active;

	vp->exits++;
	if (hv) {
		/* What the processor does on VM exit: save the exit information
		 * and guest RIP into the VMCS, then run the host (the hypervisor). */
		vmx_exit_record(vp->vmcs, &exit->vmx);
		/* And the guest state. Natively the real VMCS/VMCB lives in the
		 * host kernel, and reading the control registers back costs an
		 * ioctl per exit (the native bench's bar is 20 % over bare KVM):
		 * there the modelled guest-state area keeps what the launch wrote. */
		if (!vp->partition->machine->measured_time)
			save_guest_state(vp);
		/* Natively the world switch is in the measured time already. */
		if (!vp->partition->machine->measured_time)
			vp->extra_ns += SIM_COST_WORLD_SWITCH_NS;

		SimEvent ev;
		sim_event_init(&ev, SIM_EV_VM_EXIT);
		ev.u.exit.reason = exit->vmx.reason;
		ev.u.exit.qualification = exit->vmx.qualification;
		ev.u.exit.rip = exit->vmx.guest_rip;
		ev.u.exit.rip_lost = exit->state_lost;
		ev.u.exit.length = exit->vmx.instruction_length;
		ev.u.exit.intr_info = exit->vmx.intr_info;
		sim_vp_emit(vp, &ev);
	}

	/* The handlers other than port I/O are not inlined here, and port I/O,
	 * the most frequent exit, is tested before the switch and not through
	 * its jump table: this function is on every exit's path, and each page
	 * of code or table an exit touches costs time (docs/native.md, "Where
	 * an exit's time goes"). */
	if (basic == VMX_EXIT_IO_INSTRUCTION)
		action = handle_io(vp, exit);
	else switch (basic) {
	case VMX_EXIT_EXCEPTION_NMI:   action = handle_exception(vp, exit); break;
	case VMX_EXIT_TRIPLE_FAULT:    action = handle_triple_fault(vp, exit); break;
	case VMX_EXIT_CPUID:           action = handle_cpuid(vp, exit); break;
	case VMX_EXIT_HLT:             action = handle_hlt(vp, exit); break;
	case VMX_EXIT_RDTSC:           action = handle_rdtsc(vp, exit); break;
	case VMX_EXIT_VMCALL:          action = handle_vmcall(vp, exit); break;
	case VMX_EXIT_RDMSR:           action = handle_rdmsr(vp, exit); break;
	case VMX_EXIT_WRMSR:           action = handle_wrmsr(vp, exit); break;
	case VMX_EXIT_EPT_VIOLATION:   action = handle_ept_violation(vp, exit); break;
	case VMX_EXIT_RDTSCP:          action = handle_rdtsc(vp, exit); break;
	default:                       action = handle_unexpected(vp, exit); break;
	}

	if (!hv) {
		vp->entry_due = false;
		if (!vp->partition->hv_active)
			return action;
		/* This exit was the late launch: what follows is the first VM
		 * entry (VMLAUNCH), into the OS that was running. */
	}
	if (action == SIM_SUSPEND_VP)
		vp->entry_due = true; /* the VM entry comes when the parent resumes the VP */
	if (action == SIM_RESUME_NEXT || action == SIM_RESUME_SAME)
		sim_hv_emit_entry(vp, vmx_peek_injected_vector(vp->vmcs));
	return action;
}

SIM_HOT void sim_hv_emit_entry(SimVp *vp, int injected_vector)
{
	SimEvent en;
	sim_event_init(&en, SIM_EV_VM_ENTRY);
	if (injected_vector >= 0) {
		en.u.entry.injected = 1;
		en.u.entry.injected_vector = (uint32_t)injected_vector;
	}
	vp->entry_due = false;
	sim_vp_emit(vp, &en);
}

/* The execution controls this hypervisor programs into every VP's VMCS:
 * its whole interception policy in one place. */
void sim_hv_setup_vmcs(SimVp *vp)
{
	VmxVmcs *v = vp->vmcs;
	vmx_vmcs_init_defaults(v);
	/* HLT exits so an idle VP gives its time back; I/O goes through the
	 * I/O bitmaps (every port set: the devices are modelled in ring -1);
	 * MSRs through the MSR bitmap (architectural MSRs pass through, the
	 * synthetic range lies outside the bitmap and always exits). */
	vmx_vmcs_write(v, VMCS_CPU_BASED_VM_EXEC_CONTROL,
	               VMX_PROC_HLT_EXITING | VMX_PROC_RDTSC_EXITING | VMX_PROC_USE_IO_BITMAPS |
	               VMX_PROC_USE_MSR_BITMAPS | VMX_PROC_ACTIVATE_SECONDARY);
	vmx_vmcs_write(v, VMCS_SECONDARY_VM_EXEC_CONTROL,
	               VMX_PROC2_ENABLE_EPT | VMX_PROC2_ENABLE_VPID | VMX_PROC2_ENABLE_RDTSCP);
	vmx_vmcs_write(v, VMCS_PIN_BASED_VM_EXEC_CONTROL, VMX_PIN_EXTERNAL_INTERRUPT_EXITING | VMX_PIN_NMI_EXITING);
	vmx_vmcs_write(v, VMCS_VM_ENTRY_CONTROLS, VMX_ENTRY_CTL_IA32E_MODE_GUEST | VMX_ENTRY_CTL_LOAD_EFER);
	vmx_vmcs_write(v, VMCS_VM_EXIT_CONTROLS, VMX_EXIT_CTL_HOST_ADDR_SPACE_SIZE | VMX_EXIT_CTL_SAVE_EFER |
	               VMX_EXIT_CTL_LOAD_EFER | VMX_EXIT_CTL_ACK_INTERRUPT);
	vmx_vmcs_write(v, VMCS_EXCEPTION_BITMAP, 0); /* exceptions stay in the guest */
	vmx_vmcs_write(v, VMCS_VIRTUAL_PROCESSOR_ID, vp->partition->id);
	/* A child's guest-physical addresses go through its SLAT: the EPT
	 * pointer names the root of the map its parent builds (0 until the
	 * first MapGpaPages; sim_child_map_page writes it then). The root
	 * partition is identity-mapped in this model and has no EPTP. */
	if (vp->partition->child)
		vmx_vmcs_write(v, VMCS_EPT_POINTER, vp->partition->child->eptp);
	for (uint32_t port = 0; port <= 0xFFFF; port++)
		vmx_io_bitmap_set(v, (uint16_t)port, true);
	/* A configured pass-through range (SimConfig.io_passthrough): the
	 * partition reaches those devices itself. Never for a child, whose
	 * ports belong to its parent's worker. */
	const SimConfig *cfg = &vp->partition->machine->config;
	if (cfg->io_passthrough && vp->partition->parent_id == 0)
		for (uint32_t port = cfg->io_passthrough_first; port <= cfg->io_passthrough_last; port++)
			vmx_io_bitmap_set(v, (uint16_t)port, false);
	vmx_msr_bitmap_set_all(v, false);
	/* EFER is guest state the hypervisor keeps in the VMCS (guest
	 * IA32_EFER): intercept it so the model always knows SCE (the engine
	 * cannot hold it) and can refuse NXE, which CPUID does not offer. */
	vmx_msr_bitmap_set(v, IA32_EFER_MSR, true, true);
}
