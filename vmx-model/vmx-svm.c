/* vmx-svm.c — the AMD-V view of the same events: maps a VMX exit to the SVM
 * exit code AMD's #VMEXIT would report, and names SVM exit codes.
 * Sim thread and GUI, pure model. */
#include "vmx-private.h"

/* Hyper-V ships two hypervisor images, hvix64 for Intel and hvax64 for AMD,
 * because the two vendors' virtualization extensions differ in mechanism
 * (VMCS + VMREAD versus VMCB in memory) though not in spirit: both stop the
 * guest on the same kinds of events. hvsim models VT-x; this file lets the
 * UI and traces say what the AMD flavour would have seen. */

/* SVM code for a VMX control-register exit: one code per register and
 * direction. CLTS and LMSW write CR0, and AMD's CR0 write intercept covers
 * them, so they map to the CR0 write code. */
static uint32_t vmx_cr_exit_to_svm(uint64_t qualification)
{
	VmxCrQual q;

	vmx_cr_qual_decode(qualification, &q);
	switch (q.access) {
	case VMX_CR_ACCESS_MOV_TO:
		return SVM_EXIT_CR_WRITE(q.cr);
	case VMX_CR_ACCESS_MOV_FROM:
		return SVM_EXIT_CR_READ(q.cr);
	default: /* CLTS, LMSW */
		return SVM_EXIT_CR0_WRITE;
	}
}

static uint32_t vmx_dr_exit_to_svm(uint64_t qualification)
{
	VmxDrQual q;

	vmx_dr_qual_decode(qualification, &q);
	return q.from_dr ? SVM_EXIT_DR_READ(q.dr) : SVM_EXIT_DR_WRITE(q.dr);
}

/* Reason 0 covers both exceptions and NMIs; on VMX the interruption type
 * tells them apart, but vector 2 is only ever the NMI, so the vector is
 * enough. AMD intercepts NMIs with their own code. */
static uint32_t vmx_exception_exit_to_svm(uint32_t vector)
{
	if (vector == VMX_VECTOR_NMI)
		return SVM_EXIT_NMI;
	if (vector < VMX_EXCEPTION_VECTORS)
		return SVM_EXIT_EXCP(vector);
	return SVM_EXIT_NO_EQUIVALENT;
}

uint32_t vmx_exit_to_svm(uint32_t basic_reason, uint64_t qualification, uint32_t exception_vector)
{
	switch (basic_reason & VMX_EXIT_REASON_BASIC_MASK) {
	case VMX_EXIT_EXCEPTION_NMI:      return vmx_exception_exit_to_svm(exception_vector);
	case VMX_EXIT_EXTERNAL_INTERRUPT: return SVM_EXIT_INTR;
	case VMX_EXIT_TRIPLE_FAULT:       return SVM_EXIT_SHUTDOWN;
	case VMX_EXIT_INIT:               return SVM_EXIT_INIT;
	case VMX_EXIT_IO_SMI:
	case VMX_EXIT_OTHER_SMI:          return SVM_EXIT_SMI;
	case VMX_EXIT_INTERRUPT_WINDOW:   return SVM_EXIT_VINTR;
	case VMX_EXIT_TASK_SWITCH:        return SVM_EXIT_TASK_SWITCH;
	case VMX_EXIT_CPUID:              return SVM_EXIT_CPUID;
	case VMX_EXIT_HLT:                return SVM_EXIT_HLT;
	case VMX_EXIT_INVD:               return SVM_EXIT_INVD;
	case VMX_EXIT_INVLPG:             return SVM_EXIT_INVLPG;
	case VMX_EXIT_RDPMC:              return SVM_EXIT_RDPMC;
	case VMX_EXIT_RDTSC:              return SVM_EXIT_RDTSC;
	case VMX_EXIT_RSM:                return SVM_EXIT_RSM;
	/* The hypercall: VMCALL on Intel, VMMCALL on AMD. The TLFS hypercall
	 * page hides the difference from guests. */
	case VMX_EXIT_VMCALL:             return SVM_EXIT_VMMCALL;
	/* A guest trying to run its own guest (nested virtualization). */
	case VMX_EXIT_VMLAUNCH:
	case VMX_EXIT_VMRESUME:           return SVM_EXIT_VMRUN;
	case VMX_EXIT_CR_ACCESS:          return vmx_cr_exit_to_svm(qualification);
	case VMX_EXIT_DR_ACCESS:          return vmx_dr_exit_to_svm(qualification);
	case VMX_EXIT_IO_INSTRUCTION:     return SVM_EXIT_IOIO;
	/* One AMD code for both directions; EXITINFO1 = 0 read, 1 write. */
	case VMX_EXIT_RDMSR:
	case VMX_EXIT_WRMSR:              return SVM_EXIT_MSR;
	/* A failed VM entry. AMD's VMRUN reports any refused guest state as
	 * VMEXIT_INVALID; it has no MSR-load area that could fail separately,
	 * so a failed entry of either kind is "invalid". */
	case VMX_EXIT_ENTRY_FAIL_GUEST_STATE:
	case VMX_EXIT_ENTRY_FAIL_MSR_LOADING: return SVM_EXIT_INVALID;
	case VMX_EXIT_MWAIT:              return SVM_EXIT_MWAIT;
	case VMX_EXIT_MONITOR:            return SVM_EXIT_MONITOR;
	case VMX_EXIT_PAUSE:              return SVM_EXIT_PAUSE;
	/* Without AVIC, an AMD hypervisor leaves the APIC page unmapped in the
	 * nested page table, so the access Intel reports as "APIC access"
	 * arrives as a nested page fault. */
	case VMX_EXIT_APIC_ACCESS:        return SVM_EXIT_NPF;
	/* Both EPT exits are second-level translation faults; AMD reports a
	 * missing/forbidden mapping and a malformed entry (reserved bit set)
	 * through the same NPF code, distinguished by EXITINFO1. */
	case VMX_EXIT_EPT_VIOLATION:
	case VMX_EXIT_EPT_MISCONFIG:      return SVM_EXIT_NPF;
	case VMX_EXIT_RDTSCP:             return SVM_EXIT_RDTSCP;
	case VMX_EXIT_WBINVD:             return SVM_EXIT_WBINVD;
	case VMX_EXIT_XSETBV:             return SVM_EXIT_XSETBV;
	case VMX_EXIT_INVPCID:            return SVM_EXIT_INVPCID;
	/* SIPI, NMI window, GETSEC, MTF, preemption timer, TPR threshold,
	 * virtualized EOI, APIC write, a machine check during VM entry,
	 * descriptor-table exits (which of SGDT/LGDT/... is in the
	 * instruction-information field, not passed here), the other VMX
	 * instructions, INVEPT/INVVPID, ... have no one-to-one AMD code. */
	default:                          return SVM_EXIT_NO_EQUIVALENT;
	}
}

/* ---- Names ------------------------------------------------------------------
 * APM appendix C spells each code VMEXIT_<NAME>; the table drops the
 * prefix. The per-register and per-vector codes are generated. */

#define SVM_CR_NAMES(n) \
	[SVM_EXIT_CR_READ(n)] = "CR" #n "_READ", \
	[SVM_EXIT_CR_WRITE(n)] = "CR" #n "_WRITE", \
	[SVM_EXIT_CR_WRITE_TRAP(n)] = "CR" #n "_WRITE_TRAP",
#define SVM_DR_NAMES(n) \
	[SVM_EXIT_DR_READ(n)] = "DR" #n "_READ", \
	[SVM_EXIT_DR_WRITE(n)] = "DR" #n "_WRITE",
#define SVM_EXCP_NAME(v) [SVM_EXIT_EXCP(v)] = "EXCP" #v,

static const char *const svm_low_names[] = {
	SVM_CR_NAMES(0) SVM_CR_NAMES(1) SVM_CR_NAMES(2) SVM_CR_NAMES(3)
	SVM_CR_NAMES(4) SVM_CR_NAMES(5) SVM_CR_NAMES(6) SVM_CR_NAMES(7)
	SVM_CR_NAMES(8) SVM_CR_NAMES(9) SVM_CR_NAMES(10) SVM_CR_NAMES(11)
	SVM_CR_NAMES(12) SVM_CR_NAMES(13) SVM_CR_NAMES(14) SVM_CR_NAMES(15)
	SVM_DR_NAMES(0) SVM_DR_NAMES(1) SVM_DR_NAMES(2) SVM_DR_NAMES(3)
	SVM_DR_NAMES(4) SVM_DR_NAMES(5) SVM_DR_NAMES(6) SVM_DR_NAMES(7)
	SVM_DR_NAMES(8) SVM_DR_NAMES(9) SVM_DR_NAMES(10) SVM_DR_NAMES(11)
	SVM_DR_NAMES(12) SVM_DR_NAMES(13) SVM_DR_NAMES(14) SVM_DR_NAMES(15)
	SVM_EXCP_NAME(0) SVM_EXCP_NAME(1) SVM_EXCP_NAME(2) SVM_EXCP_NAME(3)
	SVM_EXCP_NAME(4) SVM_EXCP_NAME(5) SVM_EXCP_NAME(6) SVM_EXCP_NAME(7)
	SVM_EXCP_NAME(8) SVM_EXCP_NAME(9) SVM_EXCP_NAME(10) SVM_EXCP_NAME(11)
	SVM_EXCP_NAME(12) SVM_EXCP_NAME(13) SVM_EXCP_NAME(14) SVM_EXCP_NAME(15)
	SVM_EXCP_NAME(16) SVM_EXCP_NAME(17) SVM_EXCP_NAME(18) SVM_EXCP_NAME(19)
	SVM_EXCP_NAME(20) SVM_EXCP_NAME(21) SVM_EXCP_NAME(22) SVM_EXCP_NAME(23)
	SVM_EXCP_NAME(24) SVM_EXCP_NAME(25) SVM_EXCP_NAME(26) SVM_EXCP_NAME(27)
	SVM_EXCP_NAME(28) SVM_EXCP_NAME(29) SVM_EXCP_NAME(30) SVM_EXCP_NAME(31)
	[SVM_EXIT_INTR]          = "INTR",
	[SVM_EXIT_NMI]           = "NMI",
	[SVM_EXIT_SMI]           = "SMI",
	[SVM_EXIT_INIT]          = "INIT",
	[SVM_EXIT_VINTR]         = "VINTR",
	[SVM_EXIT_CR0_SEL_WRITE] = "CR0_SEL_WRITE",
	[SVM_EXIT_IDTR_READ]     = "IDTR_READ",
	[SVM_EXIT_GDTR_READ]     = "GDTR_READ",
	[SVM_EXIT_LDTR_READ]     = "LDTR_READ",
	[SVM_EXIT_TR_READ]       = "TR_READ",
	[SVM_EXIT_IDTR_WRITE]    = "IDTR_WRITE",
	[SVM_EXIT_GDTR_WRITE]    = "GDTR_WRITE",
	[SVM_EXIT_LDTR_WRITE]    = "LDTR_WRITE",
	[SVM_EXIT_TR_WRITE]      = "TR_WRITE",
	[SVM_EXIT_RDTSC]         = "RDTSC",
	[SVM_EXIT_RDPMC]         = "RDPMC",
	[SVM_EXIT_PUSHF]         = "PUSHF",
	[SVM_EXIT_POPF]          = "POPF",
	[SVM_EXIT_CPUID]         = "CPUID",
	[SVM_EXIT_RSM]           = "RSM",
	[SVM_EXIT_IRET]          = "IRET",
	[SVM_EXIT_SWINT]         = "SWINT",
	[SVM_EXIT_INVD]          = "INVD",
	[SVM_EXIT_PAUSE]         = "PAUSE",
	[SVM_EXIT_HLT]           = "HLT",
	[SVM_EXIT_INVLPG]        = "INVLPG",
	[SVM_EXIT_INVLPGA]       = "INVLPGA",
	[SVM_EXIT_IOIO]          = "IOIO",
	[SVM_EXIT_MSR]           = "MSR",
	[SVM_EXIT_TASK_SWITCH]   = "TASK_SWITCH",
	[SVM_EXIT_FERR_FREEZE]   = "FERR_FREEZE",
	[SVM_EXIT_SHUTDOWN]      = "SHUTDOWN",
	[SVM_EXIT_VMRUN]         = "VMRUN",
	[SVM_EXIT_VMMCALL]       = "VMMCALL",
	[SVM_EXIT_VMLOAD]        = "VMLOAD",
	[SVM_EXIT_VMSAVE]        = "VMSAVE",
	[SVM_EXIT_STGI]          = "STGI",
	[SVM_EXIT_CLGI]          = "CLGI",
	[SVM_EXIT_SKINIT]        = "SKINIT",
	[SVM_EXIT_RDTSCP]        = "RDTSCP",
	[SVM_EXIT_ICEBP]         = "ICEBP",
	[SVM_EXIT_WBINVD]        = "WBINVD",
	[SVM_EXIT_MONITOR]       = "MONITOR",
	[SVM_EXIT_MWAIT]         = "MWAIT",
	[SVM_EXIT_MWAIT_COND]    = "MWAIT_CONDITIONAL",
	[SVM_EXIT_XSETBV]        = "XSETBV",
	[SVM_EXIT_RDPRU]         = "RDPRU",
	[SVM_EXIT_EFER_WRITE_TRAP] = "EFER_WRITE_TRAP",
	[SVM_EXIT_INVPCID]       = "INVPCID",
};

const char *svm_exit_code_name(uint32_t code)
{
	if (code < sizeof svm_low_names / sizeof svm_low_names[0] && svm_low_names[code] != NULL)
		return svm_low_names[code];
	switch (code) {
	case SVM_EXIT_NPF:                 return "NPF";
	case SVM_EXIT_AVIC_INCOMPLETE_IPI: return "AVIC_INCOMPLETE_IPI";
	case SVM_EXIT_AVIC_NOACCEL:        return "AVIC_NOACCEL";
	case SVM_EXIT_VMGEXIT:             return "VMGEXIT";
	case SVM_EXIT_INVALID:             return "INVALID";
	case SVM_EXIT_NO_EQUIVALENT:       return "no SVM equivalent";
	default:                           return "unknown";
	}
}
