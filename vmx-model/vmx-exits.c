/* vmx-exits.c — would this guest action cause a VM exit? One function per
 * rule of the SDM's "VMX Non-Root Operation" chapter, each a pure function
 * of the VMCS controls. Sim thread, pure model. */
#include "vmx-private.h"

/* Why a table of rules instead of "exit on everything interesting"?
 * Because that is the architecture: the processor, not the hypervisor,
 * decides at the moment of the guest's instruction, from controls the
 * hypervisor chose earlier. A hypervisor that wants to see port 0x3F8 but
 * not port 0x80 sets one bit and clears another; it never runs for port
 * 0x80. The backends ask these functions so the emulated CPU makes the same
 * decision real silicon would. */

static uint32_t vmx_pin_controls(const VmxVmcs *vmcs)
{
	return (uint32_t)vmx_vmcs_get(vmcs, VMCS_PIN_BASED_VM_EXEC_CONTROL);
}

VMX_HOT static uint32_t vmx_proc_controls(const VmxVmcs *vmcs)
{
	return vmx_vmcs_proc_controls(vmcs);
}

/* ---- I/O instructions ------------------------------------------------------
 * SDM, "Instructions That Cause VM Exits Conditionally", IN/INS/OUT/OUTS:
 *  - "use I/O bitmaps" = 0: exit iff "unconditional I/O exiting" = 1;
 *  - "use I/O bitmaps" = 1: "unconditional I/O exiting" is ignored; exit iff
 *    the bit of any port the access touches (port .. port+size-1) is set,
 *    or the access wraps around the 64 KiB port space (touches 0xFFFF and
 *    0x0000). */
VMX_HOT bool vmx_io_exits(const VmxVmcs *vmcs, uint16_t port, unsigned size)
{
	uint32_t proc = vmx_proc_controls(vmcs);

	if (!(proc & VMX_PROC_USE_IO_BITMAPS))
		return (proc & VMX_PROC_UNCONDITIONAL_IO_EXITING) != 0;
	if (size != 1 && size != 2 && size != 4)
		return true;
	if ((uint32_t)port + size - 1 > 0xFFFFu)
		return true;
	for (unsigned i = 0; i < size; i++) {
		if (vmx_io_bitmap_get(vmcs, (uint16_t)(port + i)))
			return true;
	}
	return false;
}

/* ---- RDMSR / WRMSR ---------------------------------------------------------
 * Without "use MSR bitmaps" every RDMSR and WRMSR exits. With it, the MSR's
 * bit in the read or write quarter of the bitmap decides; an MSR outside
 * both covered ranges has no bit and always exits. */
bool vmx_msr_exits(const VmxVmcs *vmcs, uint32_t msr, bool write)
{
	if (!(vmx_proc_controls(vmcs) & VMX_PROC_USE_MSR_BITMAPS))
		return true;
	return vmx_msr_bitmap_get(vmcs, msr, write);
}

/* ---- Instructions with a single enable bit -------------------------------- */

bool vmx_hlt_exits(const VmxVmcs *vmcs)
{
	return (vmx_proc_controls(vmcs) & VMX_PROC_HLT_EXITING) != 0;
}

bool vmx_rdtsc_exits(const VmxVmcs *vmcs)
{
	return (vmx_proc_controls(vmcs) & VMX_PROC_RDTSC_EXITING) != 0;
}

bool vmx_rdpmc_exits(const VmxVmcs *vmcs)
{
	return (vmx_proc_controls(vmcs) & VMX_PROC_RDPMC_EXITING) != 0;
}

bool vmx_invlpg_exits(const VmxVmcs *vmcs)
{
	return (vmx_proc_controls(vmcs) & VMX_PROC_INVLPG_EXITING) != 0;
}

bool vmx_mov_dr_exits(const VmxVmcs *vmcs)
{
	return (vmx_proc_controls(vmcs) & VMX_PROC_MOV_DR_EXITING) != 0;
}

/* CPUID has no control: it exits every time, which is what lets a
 * hypervisor announce itself (leaf 0x40000000, "Microsoft Hv") to the
 * guest. VMCALL likewise always exits in VMX non-root operation; it is the
 * hypercall instruction. */
bool vmx_cpuid_exits(const VmxVmcs *vmcs)
{
	(void)vmcs;
	return true;
}

bool vmx_vmcall_exits(const VmxVmcs *vmcs)
{
	(void)vmcs;
	return true;
}

/* ---- Asynchronous events --------------------------------------------------- */

bool vmx_external_interrupt_exits(const VmxVmcs *vmcs)
{
	return (vmx_pin_controls(vmcs) & VMX_PIN_EXTERNAL_INTERRUPT_EXITING) != 0;
}

bool vmx_nmi_exits(const VmxVmcs *vmcs)
{
	return (vmx_pin_controls(vmcs) & VMX_PIN_NMI_EXITING) != 0;
}

/* ---- Exceptions ------------------------------------------------------------
 * Bit v of the exception bitmap makes vector v exit instead of being
 * delivered through the guest IDT. Page faults get a second filter so a
 * hypervisor can pick out, say, only write faults: compute
 * (error_code & PFEC_MASK) == PFEC_MATCH; if equal, bit 14 decides as for
 * any exception; if not equal, the meaning of bit 14 is inverted. (With bit
 * 14 = 1 and mask = match = 0 every #PF exits; with bit 14 = 0 and mask =
 * match = 0 none does.) */
bool vmx_exception_exits(const VmxVmcs *vmcs, uint8_t vector, uint32_t pf_error_code)
{
	uint32_t bitmap;
	bool bit;

	if (vector == VMX_VECTOR_NMI)
		return vmx_nmi_exits(vmcs);
	if (vector >= VMX_EXCEPTION_VECTORS)
		return false;
	bitmap = (uint32_t)vmx_vmcs_get(vmcs, VMCS_EXCEPTION_BITMAP);
	bit = (bitmap >> vector) & 1u;
	if (vector == VMX_VECTOR_PF) {
		uint32_t mask = (uint32_t)vmx_vmcs_get(vmcs, VMCS_PAGE_FAULT_ERROR_CODE_MASK);
		uint32_t match = (uint32_t)vmx_vmcs_get(vmcs, VMCS_PAGE_FAULT_ERROR_CODE_MATCH);

		return ((pf_error_code & mask) == match) ? bit : !bit;
	}
	return bit;
}

/* ---- Control registers ---------------------------------------------------
 * CR0 and CR4 are shared between host and guest bit by bit. For every bit
 * set in the guest/host mask the host "owns" the bit: guest reads return the
 * read shadow's bit, and a guest write exits if it would make that bit
 * differ from the shadow. Bits clear in the mask belong to the guest and
 * are written straight into the real register. This is how a hypervisor
 * keeps, e.g., CR4.VMXE set under a guest that believes it is clear. */

static bool vmx_cr_owner_bits_differ(const VmxVmcs *vmcs, uint32_t mask_field,
                                     uint32_t shadow_field, uint64_t value)
{
	uint64_t mask = vmx_vmcs_get(vmcs, mask_field);
	uint64_t shadow = vmx_vmcs_get(vmcs, shadow_field);

	return ((value ^ shadow) & mask) != 0;
}

bool vmx_cr_write_exits(const VmxVmcs *vmcs, unsigned cr, uint64_t new_value)
{
	uint32_t proc = vmx_proc_controls(vmcs);

	switch (cr) {
	case 0:
		return vmx_cr_owner_bits_differ(vmcs, VMCS_CR0_GUEST_HOST_MASK,
		                                VMCS_CR0_READ_SHADOW, new_value);
	case 4:
		return vmx_cr_owner_bits_differ(vmcs, VMCS_CR4_GUEST_HOST_MASK,
		                                VMCS_CR4_READ_SHADOW, new_value);
	case 3: {
		/* With CR3-load exiting, a MOV to CR3 still runs natively if it
		 * loads one of the first N CR3-target values (N = CR3-target
		 * count, at most 4): a hypervisor can pre-approve a few address
		 * spaces. N = 0 means every load exits. */
		static const uint32_t targets[VMX_CR3_TARGET_MAX] = {
			VMCS_CR3_TARGET_VALUE0, VMCS_CR3_TARGET_VALUE1,
			VMCS_CR3_TARGET_VALUE2, VMCS_CR3_TARGET_VALUE3,
		};
		uint64_t count;

		if (!(proc & VMX_PROC_CR3_LOAD_EXITING))
			return false;
		count = vmx_vmcs_get(vmcs, VMCS_CR3_TARGET_COUNT);
		if (count > VMX_CR3_TARGET_MAX)
			count = VMX_CR3_TARGET_MAX; /* VM entry would have failed */
		for (unsigned i = 0; i < count; i++) {
			if (vmx_vmcs_get(vmcs, targets[i]) == new_value)
				return false;
		}
		return true;
	}
	case 8:
		return (proc & VMX_PROC_CR8_LOAD_EXITING) != 0;
	default:
		/* CR2 has no exit control; other numbers raise #UD in the guest
		 * before any VMX rule applies. */
		return false;
	}
}

bool vmx_cr_read_exits(const VmxVmcs *vmcs, unsigned cr)
{
	uint32_t proc = vmx_proc_controls(vmcs);

	switch (cr) {
	case 3:
		return (proc & VMX_PROC_CR3_STORE_EXITING) != 0;
	case 8:
		return (proc & VMX_PROC_CR8_STORE_EXITING) != 0;
	default:
		return false;
	}
}

uint64_t vmx_cr_guest_view(const VmxVmcs *vmcs, unsigned cr)
{
	uint64_t mask, shadow, real;

	switch (cr) {
	case 0:
		mask = vmx_vmcs_get(vmcs, VMCS_CR0_GUEST_HOST_MASK);
		shadow = vmx_vmcs_get(vmcs, VMCS_CR0_READ_SHADOW);
		real = vmx_vmcs_get(vmcs, VMCS_GUEST_CR0);
		break;
	case 4:
		mask = vmx_vmcs_get(vmcs, VMCS_CR4_GUEST_HOST_MASK);
		shadow = vmx_vmcs_get(vmcs, VMCS_CR4_READ_SHADOW);
		real = vmx_vmcs_get(vmcs, VMCS_GUEST_CR4);
		break;
	case 3:
		return vmx_vmcs_get(vmcs, VMCS_GUEST_CR3);
	default:
		return 0;
	}
	return (real & ~mask) | (shadow & mask);
}

/* CLTS clears CR0.TS. It exits iff TS is host-owned and the shadow shows
 * TS = 1 (clearing it would change what the guest sees). */
bool vmx_clts_exits(const VmxVmcs *vmcs)
{
	uint64_t mask = vmx_vmcs_get(vmcs, VMCS_CR0_GUEST_HOST_MASK);
	uint64_t shadow = vmx_vmcs_get(vmcs, VMCS_CR0_READ_SHADOW);

	return (mask & shadow & VMX_CR0_TS) != 0;
}

/* LMSW writes CR0 bits 3:0 but can set PE, never clear it. So it exits iff
 * PE is host-owned, set in the source and clear in the shadow, or any of
 * MP/EM/TS is host-owned and differs between source and shadow. */
bool vmx_lmsw_exits(const VmxVmcs *vmcs, uint16_t source)
{
	uint64_t mask = vmx_vmcs_get(vmcs, VMCS_CR0_GUEST_HOST_MASK);
	uint64_t shadow = vmx_vmcs_get(vmcs, VMCS_CR0_READ_SHADOW);
	uint64_t src = source & VMX_LMSW_BITS;
	uint64_t upper = VMX_CR0_MP | VMX_CR0_EM | VMX_CR0_TS;

	if ((mask & src & VMX_CR0_PE) && !(shadow & VMX_CR0_PE))
		return true;
	return ((src ^ shadow) & mask & upper) != 0;
}

/* ---- Interrupt window ------------------------------------------------------
 * An external interrupt can be injected only when the guest could take one
 * natively: RFLAGS.IF = 1 and not in the one-instruction shadow of STI or
 * MOV SS. Otherwise the hypervisor sets "interrupt-window exiting" and
 * injects on the exit (reason 7) that comes when the window opens. */
bool vmx_interrupt_window_open(uint64_t rflags, uint32_t interruptibility)
{
	if (!(rflags & VMX_RFLAGS_IF))
		return false;
	return (interruptibility & (VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS)) == 0;
}
