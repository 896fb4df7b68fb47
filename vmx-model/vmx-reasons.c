/* vmx-reasons.c — names of the basic exit reasons (SDM appendix C) for
 * people, and stable identifiers for JSON traces; exception mnemonics.
 * Sim thread and GUI, pure model. */
#include "vmx-private.h"

typedef struct VmxReasonInfo {
	const char *name;  /* SDM wording, shortened */
	const char *id;    /* trace identifier: lower-case, never renamed */
} VmxReasonInfo;

/* Indexed by basic exit reason; holes stay NULL and read as "unknown". */
static const VmxReasonInfo vmx_reasons[] = {
	[VMX_EXIT_EXCEPTION_NMI]            = { "exception or NMI",         "exception_nmi" },
	[VMX_EXIT_EXTERNAL_INTERRUPT]       = { "external interrupt",       "external_interrupt" },
	[VMX_EXIT_TRIPLE_FAULT]             = { "triple fault",             "triple_fault" },
	[VMX_EXIT_INIT]                     = { "INIT signal",              "init" },
	[VMX_EXIT_SIPI]                     = { "start-up IPI",             "sipi" },
	[VMX_EXIT_IO_SMI]                   = { "I/O SMI",                  "io_smi" },
	[VMX_EXIT_OTHER_SMI]                = { "other SMI",                "other_smi" },
	[VMX_EXIT_INTERRUPT_WINDOW]         = { "interrupt window",         "interrupt_window" },
	[VMX_EXIT_NMI_WINDOW]               = { "NMI window",               "nmi_window" },
	[VMX_EXIT_TASK_SWITCH]              = { "task switch",              "task_switch" },
	[VMX_EXIT_CPUID]                    = { "CPUID",                    "cpuid" },
	[VMX_EXIT_GETSEC]                   = { "GETSEC",                   "getsec" },
	[VMX_EXIT_HLT]                      = { "HLT",                      "hlt" },
	[VMX_EXIT_INVD]                     = { "INVD",                     "invd" },
	[VMX_EXIT_INVLPG]                   = { "INVLPG",                   "invlpg" },
	[VMX_EXIT_RDPMC]                    = { "RDPMC",                    "rdpmc" },
	[VMX_EXIT_RDTSC]                    = { "RDTSC",                    "rdtsc" },
	[VMX_EXIT_RSM]                      = { "RSM",                      "rsm" },
	[VMX_EXIT_VMCALL]                   = { "VMCALL",                   "vmcall" },
	[VMX_EXIT_VMCLEAR]                  = { "VMCLEAR",                  "vmclear" },
	[VMX_EXIT_VMLAUNCH]                 = { "VMLAUNCH",                 "vmlaunch" },
	[VMX_EXIT_VMPTRLD]                  = { "VMPTRLD",                  "vmptrld" },
	[VMX_EXIT_VMPTRST]                  = { "VMPTRST",                  "vmptrst" },
	[VMX_EXIT_VMREAD]                   = { "VMREAD",                   "vmread" },
	[VMX_EXIT_VMRESUME]                 = { "VMRESUME",                 "vmresume" },
	[VMX_EXIT_VMWRITE]                  = { "VMWRITE",                  "vmwrite" },
	[VMX_EXIT_VMXOFF]                   = { "VMXOFF",                   "vmxoff" },
	[VMX_EXIT_VMXON]                    = { "VMXON",                    "vmxon" },
	[VMX_EXIT_CR_ACCESS]                = { "control-register access",  "cr_access" },
	[VMX_EXIT_DR_ACCESS]                = { "MOV DR",                   "dr_access" },
	[VMX_EXIT_IO_INSTRUCTION]           = { "I/O instruction",          "io_instruction" },
	[VMX_EXIT_RDMSR]                    = { "RDMSR",                    "rdmsr" },
	[VMX_EXIT_WRMSR]                    = { "WRMSR",                    "wrmsr" },
	[VMX_EXIT_ENTRY_FAIL_GUEST_STATE]   = { "VM-entry failure: invalid guest state", "entry_fail_guest_state" },
	[VMX_EXIT_ENTRY_FAIL_MSR_LOADING]   = { "VM-entry failure: MSR loading",         "entry_fail_msr_loading" },
	[VMX_EXIT_MWAIT]                    = { "MWAIT",                    "mwait" },
	[VMX_EXIT_MONITOR_TRAP_FLAG]        = { "monitor trap flag",        "monitor_trap_flag" },
	[VMX_EXIT_MONITOR]                  = { "MONITOR",                  "monitor" },
	[VMX_EXIT_PAUSE]                    = { "PAUSE",                    "pause" },
	[VMX_EXIT_ENTRY_FAIL_MACHINE_CHECK] = { "VM-entry failure: machine-check event", "entry_fail_machine_check" },
	[VMX_EXIT_TPR_BELOW_THRESHOLD]      = { "TPR below threshold",      "tpr_below_threshold" },
	[VMX_EXIT_APIC_ACCESS]              = { "APIC access",              "apic_access" },
	[VMX_EXIT_VIRTUALIZED_EOI]          = { "virtualized EOI",          "virtualized_eoi" },
	[VMX_EXIT_GDTR_IDTR]                = { "access to GDTR or IDTR",   "gdtr_idtr" },
	[VMX_EXIT_LDTR_TR]                  = { "access to LDTR or TR",     "ldtr_tr" },
	[VMX_EXIT_EPT_VIOLATION]            = { "EPT violation",            "ept_violation" },
	[VMX_EXIT_EPT_MISCONFIG]            = { "EPT misconfiguration",     "ept_misconfig" },
	[VMX_EXIT_INVEPT]                   = { "INVEPT",                   "invept" },
	[VMX_EXIT_RDTSCP]                   = { "RDTSCP",                   "rdtscp" },
	[VMX_EXIT_PREEMPTION_TIMER]         = { "VMX-preemption timer expired", "preemption_timer" },
	[VMX_EXIT_INVVPID]                  = { "INVVPID",                  "invvpid" },
	[VMX_EXIT_WBINVD]                   = { "WBINVD or WBNOINVD",       "wbinvd" },
	[VMX_EXIT_XSETBV]                   = { "XSETBV",                   "xsetbv" },
	[VMX_EXIT_APIC_WRITE]               = { "APIC write",               "apic_write" },
	[VMX_EXIT_RDRAND]                   = { "RDRAND",                   "rdrand" },
	[VMX_EXIT_INVPCID]                  = { "INVPCID",                  "invpcid" },
	[VMX_EXIT_VMFUNC]                   = { "VMFUNC",                   "vmfunc" },
	[VMX_EXIT_ENCLS]                    = { "ENCLS",                    "encls" },
	[VMX_EXIT_RDSEED]                   = { "RDSEED",                   "rdseed" },
	[VMX_EXIT_PML_FULL]                 = { "page-modification log full", "pml_full" },
	[VMX_EXIT_XSAVES]                   = { "XSAVES",                   "xsaves" },
	[VMX_EXIT_XRSTORS]                  = { "XRSTORS",                  "xrstors" },
	[VMX_EXIT_UMWAIT]                   = { "UMWAIT",                   "umwait" },
	[VMX_EXIT_TPAUSE]                   = { "TPAUSE",                   "tpause" },
	[VMX_EXIT_BUS_LOCK]                 = { "bus lock",                 "bus_lock" },
	[VMX_EXIT_INSTRUCTION_TIMEOUT]      = { "instruction timeout",      "instruction_timeout" },
	[VMX_EXIT_SEAMCALL]                 = { "SEAMCALL",                 "seamcall" },
	[VMX_EXIT_TDCALL]                   = { "TDCALL",                   "tdcall" },
};

static const VmxReasonInfo *vmx_reason_info(uint32_t basic)
{
	basic &= VMX_EXIT_REASON_BASIC_MASK;
	if (basic >= sizeof vmx_reasons / sizeof vmx_reasons[0] || vmx_reasons[basic].name == NULL)
		return NULL;
	return &vmx_reasons[basic];
}

const char *vmx_exit_reason_name(uint32_t basic)
{
	const VmxReasonInfo *info = vmx_reason_info(basic);

	return info != NULL ? info->name : "unknown";
}

const char *vmx_exit_reason_id(uint32_t basic)
{
	const VmxReasonInfo *info = vmx_reason_info(basic);

	return info != NULL ? info->id : "unknown";
}

/* SDM, "Instructions That Cause VM Exits Unconditionally": CPUID, GETSEC,
 * INVD and XSETBV, plus the instructions VMX itself introduced — INVEPT,
 * INVVPID, VMCALL, VMCLEAR, VMLAUNCH, VMPTRLD, VMPTRST, VMRESUME, VMXOFF,
 * VMXON. VMREAD and VMWRITE are absent on purpose: with VMCS shadowing they
 * can complete in the guest. */
bool vmx_exit_reason_is_unconditional(uint32_t basic)
{
	switch (basic & VMX_EXIT_REASON_BASIC_MASK) {
	case VMX_EXIT_CPUID:
	case VMX_EXIT_GETSEC:
	case VMX_EXIT_INVD:
	case VMX_EXIT_XSETBV:
	case VMX_EXIT_INVEPT:
	case VMX_EXIT_INVVPID:
	case VMX_EXIT_VMCALL:
	case VMX_EXIT_VMCLEAR:
	case VMX_EXIT_VMLAUNCH:
	case VMX_EXIT_VMPTRLD:
	case VMX_EXIT_VMPTRST:
	case VMX_EXIT_VMRESUME:
	case VMX_EXIT_VMXOFF:
	case VMX_EXIT_VMXON:
		return true;
	default:
		return false;
	}
}

const char *vmx_exception_mnemonic(uint8_t vector)
{
	static const char *const mnemonics[VMX_EXCEPTION_VECTORS] = {
		[VMX_VECTOR_DE] = "#DE", [VMX_VECTOR_DB] = "#DB", [VMX_VECTOR_NMI] = "NMI",
		[VMX_VECTOR_BP] = "#BP", [VMX_VECTOR_OF] = "#OF", [VMX_VECTOR_BR] = "#BR",
		[VMX_VECTOR_UD] = "#UD", [VMX_VECTOR_NM] = "#NM", [VMX_VECTOR_DF] = "#DF",
		[9] = "coprocessor segment overrun",
		[VMX_VECTOR_TS] = "#TS", [VMX_VECTOR_NP] = "#NP", [VMX_VECTOR_SS] = "#SS",
		[VMX_VECTOR_GP] = "#GP", [VMX_VECTOR_PF] = "#PF", [VMX_VECTOR_MF] = "#MF",
		[VMX_VECTOR_AC] = "#AC", [VMX_VECTOR_MC] = "#MC", [VMX_VECTOR_XM] = "#XM",
		[VMX_VECTOR_VE] = "#VE", [VMX_VECTOR_CP] = "#CP",
	};

	if (vector >= VMX_EXCEPTION_VECTORS)
		return "interrupt";
	return mnemonics[vector] != NULL ? mnemonics[vector] : "reserved";
}
