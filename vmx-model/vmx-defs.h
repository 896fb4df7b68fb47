/* vmx-defs.h — Intel VT-x as the CPU defines it: basic exit reasons, VMCS
 * field encodings, VM-execution / VM-exit / VM-entry control bits, and the
 * layouts of exit qualifications and interruption information.
 * Constants only (no code); plain C; reach it through vmx.h. */
#ifndef HVSIM_VMX_DEFS_H
#define HVSIM_VMX_DEFS_H

/* Where the numbers come from: Intel 64 and IA-32 Architectures Software
 * Developer's Manual, volume 3C (the VMX chapters: "Virtual Machine Control
 * Structures", "VMX Non-Root Operation", "VM Entries", "VM Exits"), appendix B
 * "Field Encoding in VMCS" and appendix C "VMX Basic Exit Reasons". Chapter
 * numbers move between editions, so the comments below quote titles. */

/* ==== Basic exit reasons (SDM appendix C) =================================
 *
 * On every VM exit the processor writes a 32-bit exit reason into the VMCS
 * (field VMCS_VM_EXIT_REASON). Bits 15:0 are the *basic* reason below; a
 * hypervisor's exit handler is one switch over these numbers. The numbering
 * has holes (35, 38, 42, ...) where the SDM defines nothing. */
#define VMX_EXIT_EXCEPTION_NMI            0  /* exception (bitmap said exit) or NMI */
#define VMX_EXIT_EXTERNAL_INTERRUPT       1  /* with "external-interrupt exiting" */
#define VMX_EXIT_TRIPLE_FAULT             2  /* guest would have shut down */
#define VMX_EXIT_INIT                     3  /* INIT signal arrived */
#define VMX_EXIT_SIPI                     4  /* start-up IPI while in wait-for-SIPI */
#define VMX_EXIT_IO_SMI                   5  /* SMI right after an I/O instruction */
#define VMX_EXIT_OTHER_SMI                6  /* any other SMI */
#define VMX_EXIT_INTERRUPT_WINDOW         7  /* guest became interruptible */
#define VMX_EXIT_NMI_WINDOW               8  /* guest can take an NMI */
#define VMX_EXIT_TASK_SWITCH              9  /* hardware task switch, always exits */
#define VMX_EXIT_CPUID                   10  /* unconditional */
#define VMX_EXIT_GETSEC                  11  /* unconditional */
#define VMX_EXIT_HLT                     12  /* with "HLT exiting" */
#define VMX_EXIT_INVD                    13  /* unconditional */
#define VMX_EXIT_INVLPG                  14  /* with "INVLPG exiting" */
#define VMX_EXIT_RDPMC                   15  /* with "RDPMC exiting" */
#define VMX_EXIT_RDTSC                   16  /* with "RDTSC exiting" */
#define VMX_EXIT_RSM                     17  /* RSM in SMM (dual-monitor treatment) */
#define VMX_EXIT_VMCALL                  18  /* unconditional: the hypercall */
#define VMX_EXIT_VMCLEAR                 19  /* 19..27: a guest used a VMX */
#define VMX_EXIT_VMLAUNCH                20  /* instruction itself (nested    */
#define VMX_EXIT_VMPTRLD                 21  /* virtualization). All but     */
#define VMX_EXIT_VMPTRST                 22  /* VMREAD/VMWRITE exit          */
#define VMX_EXIT_VMREAD                  23  /* unconditionally; those two   */
#define VMX_EXIT_VMRESUME                24  /* can be satisfied from a      */
#define VMX_EXIT_VMWRITE                 25  /* shadow VMCS instead.         */
#define VMX_EXIT_VMXOFF                  26
#define VMX_EXIT_VMXON                   27
#define VMX_EXIT_CR_ACCESS               28  /* MOV to/from CR, CLTS, LMSW */
#define VMX_EXIT_DR_ACCESS               29  /* MOV DR with "MOV-DR exiting" */
#define VMX_EXIT_IO_INSTRUCTION          30  /* IN/OUT/INS/OUTS per I/O controls */
#define VMX_EXIT_RDMSR                   31  /* per MSR bitmaps */
#define VMX_EXIT_WRMSR                   32  /* per MSR bitmaps */
#define VMX_EXIT_ENTRY_FAIL_GUEST_STATE  33  /* VM entry refused: invalid guest state */
#define VMX_EXIT_ENTRY_FAIL_MSR_LOADING  34  /* VM entry refused: MSR-load area */
#define VMX_EXIT_MWAIT                   36
#define VMX_EXIT_MONITOR_TRAP_FLAG       37  /* single-step of the guest */
#define VMX_EXIT_MONITOR                 39
#define VMX_EXIT_PAUSE                   40
#define VMX_EXIT_ENTRY_FAIL_MACHINE_CHECK 41 /* machine check during VM entry */
#define VMX_EXIT_TPR_BELOW_THRESHOLD     43
#define VMX_EXIT_APIC_ACCESS             44
#define VMX_EXIT_VIRTUALIZED_EOI         45
#define VMX_EXIT_GDTR_IDTR               46  /* LGDT/LIDT/SGDT/SIDT */
#define VMX_EXIT_LDTR_TR                 47  /* LLDT/LTR/SLDT/STR */
#define VMX_EXIT_EPT_VIOLATION           48  /* GPA not permitted by EPT */
#define VMX_EXIT_EPT_MISCONFIG           49  /* malformed EPT entry */
#define VMX_EXIT_INVEPT                  50
#define VMX_EXIT_RDTSCP                  51
#define VMX_EXIT_PREEMPTION_TIMER        52  /* VMX-preemption timer expired */
#define VMX_EXIT_INVVPID                 53
#define VMX_EXIT_WBINVD                  54  /* WBINVD or WBNOINVD */
#define VMX_EXIT_XSETBV                  55  /* unconditional */
#define VMX_EXIT_APIC_WRITE              56
#define VMX_EXIT_RDRAND                  57
#define VMX_EXIT_INVPCID                 58
#define VMX_EXIT_VMFUNC                  59
#define VMX_EXIT_ENCLS                   60
#define VMX_EXIT_RDSEED                  61
#define VMX_EXIT_PML_FULL                62  /* page-modification log full */
#define VMX_EXIT_XSAVES                  63
#define VMX_EXIT_XRSTORS                 64
#define VMX_EXIT_UMWAIT                  67
#define VMX_EXIT_TPAUSE                  68
#define VMX_EXIT_BUS_LOCK                74
#define VMX_EXIT_INSTRUCTION_TIMEOUT     75  /* "notify" VM exit */
#define VMX_EXIT_SEAMCALL                76
#define VMX_EXIT_TDCALL                  77

/* The full exit-reason field. Bit 31 set means VM entry itself failed: the
 * guest never ran, the basic reason (33, 34 or 41) says why, and the
 * hypervisor must fix the VMCS instead of "handling an exit". */
#define VMX_EXIT_REASON_BASIC_MASK     0xFFFFu
#define VMX_EXIT_REASON_ENCLAVE        (1u << 27) /* exit happened in an SGX enclave */
#define VMX_EXIT_REASON_PENDING_MTF    (1u << 28) /* an MTF exit was pending (SMM) */
#define VMX_EXIT_REASON_FROM_VMX_ROOT  (1u << 29) /* SMM exit from VMX root */
#define VMX_EXIT_REASON_ENTRY_FAILURE  (1u << 31)

/* ==== VM-instruction error numbers ========================================
 * VMREAD/VMWRITE/VMLAUNCH... report failure through RFLAGS and, when a
 * current VMCS exists, a number in VMCS_VM_INSTRUCTION_ERROR. The model's
 * VMCS accessors return the same numbers. */
#define VMX_ERR_ENTRY_INVALID_CONTROL      7  /* VM entry with invalid control field(s) */
#define VMX_ERR_ENTRY_INVALID_HOST_STATE   8  /* VM entry with invalid host-state field(s) */
#define VMX_ERR_UNSUPPORTED_FIELD         12  /* VMREAD/VMWRITE of an unsupported component */
#define VMX_ERR_READ_ONLY_FIELD           13  /* VMWRITE to a read-only component */
#define VMX_ERR_ENTRY_BLOCKED_BY_MOV_SS   26  /* VM entry with events blocked by MOV SS */

/* ==== VMCS field encodings: the rule (SDM appendix B) =====================
 *
 * Software never sees the VMCS layout in memory (it is processor-specific);
 * it names each field by a 32-bit *encoding* passed to VMREAD/VMWRITE. The
 * encoding is not arbitrary — its bits describe the field:
 *
 *   bit  0      access type: 0 = full, 1 = high (upper 32 bits of a 64-bit
 *               field, for 32-bit software)
 *   bits 9:1    index within the (width, type) group
 *   bits 11:10  type:  0 control, 1 VM-exit information (read-only),
 *                      2 guest state, 3 host state
 *   bit  12     reserved (0)
 *   bits 14:13  width: 0 16-bit, 1 64-bit, 2 32-bit, 3 natural width
 *   bit  15     reserved (0)
 *
 * So 0x681E (GUEST_RIP) reads as width 3 (natural), type 2 (guest), index 15.
 * Listing the fields in SDM order therefore also lists them in ascending
 * encoding order. */
#define VMX_ENC_ACCESS_HIGH   0x0001u
#define VMX_ENC_INDEX_SHIFT   1
#define VMX_ENC_INDEX_MASK    0x1FFu
#define VMX_ENC_TYPE_SHIFT    10
#define VMX_ENC_TYPE_MASK     0x3u
#define VMX_ENC_WIDTH_SHIFT   13
#define VMX_ENC_WIDTH_MASK    0x3u
#define VMX_ENC_RESERVED_MASK 0xFFFF9000u /* bits 12, 15 and 31:16 */

#define VMX_WIDTH_16      0u
#define VMX_WIDTH_64      1u
#define VMX_WIDTH_32      2u
#define VMX_WIDTH_NATURAL 3u  /* 64 bits on a processor with Intel 64 */

#define VMX_TYPE_CONTROL   0u
#define VMX_TYPE_EXIT_INFO 1u  /* read-only to VMWRITE */
#define VMX_TYPE_GUEST     2u
#define VMX_TYPE_HOST      3u

/* ---- 16-bit control fields (width 0, type 0) ---- */
#define VMCS_VIRTUAL_PROCESSOR_ID          0x0000u /* VPID: tags guest TLB entries */
#define VMCS_POSTED_INTR_NOTIFICATION_VECTOR 0x0002u
#define VMCS_EPTP_INDEX                    0x0004u

/* ---- 16-bit guest-state fields (width 0, type 2) ---- */
#define VMCS_GUEST_ES_SELECTOR             0x0800u
#define VMCS_GUEST_CS_SELECTOR             0x0802u
#define VMCS_GUEST_SS_SELECTOR             0x0804u
#define VMCS_GUEST_DS_SELECTOR             0x0806u
#define VMCS_GUEST_FS_SELECTOR             0x0808u
#define VMCS_GUEST_GS_SELECTOR             0x080Au
#define VMCS_GUEST_LDTR_SELECTOR           0x080Cu
#define VMCS_GUEST_TR_SELECTOR             0x080Eu
#define VMCS_GUEST_INTERRUPT_STATUS        0x0810u
#define VMCS_GUEST_PML_INDEX               0x0812u

/* ---- 16-bit host-state fields (width 0, type 3) ---- */
#define VMCS_HOST_ES_SELECTOR              0x0C00u
#define VMCS_HOST_CS_SELECTOR              0x0C02u
#define VMCS_HOST_SS_SELECTOR              0x0C04u
#define VMCS_HOST_DS_SELECTOR              0x0C06u
#define VMCS_HOST_FS_SELECTOR              0x0C08u
#define VMCS_HOST_GS_SELECTOR              0x0C0Au
#define VMCS_HOST_TR_SELECTOR              0x0C0Cu

/* ---- 64-bit control fields (width 1, type 0) ----
 * Most are physical addresses of side structures the processor consults:
 * the I/O and MSR bitmaps, MSR load/store areas, the EPT root (EPTP). */
#define VMCS_IO_BITMAP_A                   0x2000u /* ports 0x0000-0x7FFF */
#define VMCS_IO_BITMAP_B                   0x2002u /* ports 0x8000-0xFFFF */
#define VMCS_MSR_BITMAP                    0x2004u
#define VMCS_VM_EXIT_MSR_STORE_ADDR        0x2006u
#define VMCS_VM_EXIT_MSR_LOAD_ADDR         0x2008u
#define VMCS_VM_ENTRY_MSR_LOAD_ADDR        0x200Au
#define VMCS_EXECUTIVE_VMCS_POINTER        0x200Cu
#define VMCS_PML_ADDRESS                   0x200Eu
#define VMCS_TSC_OFFSET                    0x2010u
#define VMCS_VIRTUAL_APIC_PAGE_ADDR        0x2012u
#define VMCS_APIC_ACCESS_ADDR              0x2014u
#define VMCS_POSTED_INTR_DESC_ADDR         0x2016u
#define VMCS_VM_FUNCTION_CONTROLS          0x2018u
#define VMCS_EPT_POINTER                   0x201Au
#define VMCS_EOI_EXIT_BITMAP0              0x201Cu
#define VMCS_EOI_EXIT_BITMAP1              0x201Eu
#define VMCS_EOI_EXIT_BITMAP2              0x2020u
#define VMCS_EOI_EXIT_BITMAP3              0x2022u
#define VMCS_EPTP_LIST_ADDRESS             0x2024u
#define VMCS_VMREAD_BITMAP                 0x2026u
#define VMCS_VMWRITE_BITMAP                0x2028u
#define VMCS_VE_INFORMATION_ADDRESS        0x202Au
#define VMCS_XSS_EXITING_BITMAP            0x202Cu
#define VMCS_ENCLS_EXITING_BITMAP          0x202Eu
#define VMCS_TSC_MULTIPLIER                0x2032u
#define VMCS_TERTIARY_VM_EXEC_CONTROL      0x2034u

/* ---- 64-bit read-only data field (width 1, type 1) ---- */
#define VMCS_GUEST_PHYSICAL_ADDRESS        0x2400u /* the GPA of an EPT violation */

/* ---- 64-bit guest-state fields (width 1, type 2) ---- */
#define VMCS_LINK_POINTER                  0x2800u /* must be ~0 unless shadowing */
#define VMCS_GUEST_IA32_DEBUGCTL           0x2802u
#define VMCS_GUEST_IA32_PAT                0x2804u
#define VMCS_GUEST_IA32_EFER               0x2806u
#define VMCS_GUEST_IA32_PERF_GLOBAL_CTRL   0x2808u
#define VMCS_GUEST_PDPTE0                  0x280Au
#define VMCS_GUEST_PDPTE1                  0x280Cu
#define VMCS_GUEST_PDPTE2                  0x280Eu
#define VMCS_GUEST_PDPTE3                  0x2810u
#define VMCS_GUEST_IA32_BNDCFGS            0x2812u
#define VMCS_GUEST_IA32_RTIT_CTL           0x2814u

/* ---- 64-bit host-state fields (width 1, type 3) ---- */
#define VMCS_HOST_IA32_PAT                 0x2C00u
#define VMCS_HOST_IA32_EFER                0x2C02u
#define VMCS_HOST_IA32_PERF_GLOBAL_CTRL    0x2C04u

/* ---- 32-bit control fields (width 2, type 0) ----
 * The heart of "what exits is decided by the VMCS": the pin-based and
 * processor-based execution controls, the exception bitmap, and the event
 * the hypervisor wants delivered on the next VM entry. */
#define VMCS_PIN_BASED_VM_EXEC_CONTROL     0x4000u
#define VMCS_CPU_BASED_VM_EXEC_CONTROL     0x4002u
#define VMCS_EXCEPTION_BITMAP              0x4004u
#define VMCS_PAGE_FAULT_ERROR_CODE_MASK    0x4006u
#define VMCS_PAGE_FAULT_ERROR_CODE_MATCH   0x4008u
#define VMCS_CR3_TARGET_COUNT              0x400Au
#define VMCS_VM_EXIT_CONTROLS              0x400Cu
#define VMCS_VM_EXIT_MSR_STORE_COUNT       0x400Eu
#define VMCS_VM_EXIT_MSR_LOAD_COUNT        0x4010u
#define VMCS_VM_ENTRY_CONTROLS             0x4012u
#define VMCS_VM_ENTRY_MSR_LOAD_COUNT       0x4014u
#define VMCS_VM_ENTRY_INTR_INFO_FIELD      0x4016u
#define VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE 0x4018u
#define VMCS_VM_ENTRY_INSTRUCTION_LEN      0x401Au
#define VMCS_TPR_THRESHOLD                 0x401Cu
#define VMCS_SECONDARY_VM_EXEC_CONTROL     0x401Eu
#define VMCS_PLE_GAP                       0x4020u
#define VMCS_PLE_WINDOW                    0x4022u

/* ---- 32-bit read-only data fields (width 2, type 1) ----
 * Written by the processor on VM exit; VMWRITE to them fails (error 13). */
#define VMCS_VM_INSTRUCTION_ERROR          0x4400u
#define VMCS_VM_EXIT_REASON                0x4402u
#define VMCS_VM_EXIT_INTR_INFO             0x4404u
#define VMCS_VM_EXIT_INTR_ERROR_CODE       0x4406u
#define VMCS_IDT_VECTORING_INFO_FIELD      0x4408u
#define VMCS_IDT_VECTORING_ERROR_CODE      0x440Au
#define VMCS_VM_EXIT_INSTRUCTION_LEN       0x440Cu
#define VMCS_VMX_INSTRUCTION_INFO          0x440Eu

/* ---- 32-bit guest-state fields (width 2, type 2) ---- */
#define VMCS_GUEST_ES_LIMIT                0x4800u
#define VMCS_GUEST_CS_LIMIT                0x4802u
#define VMCS_GUEST_SS_LIMIT                0x4804u
#define VMCS_GUEST_DS_LIMIT                0x4806u
#define VMCS_GUEST_FS_LIMIT                0x4808u
#define VMCS_GUEST_GS_LIMIT                0x480Au
#define VMCS_GUEST_LDTR_LIMIT              0x480Cu
#define VMCS_GUEST_TR_LIMIT                0x480Eu
#define VMCS_GUEST_GDTR_LIMIT              0x4810u
#define VMCS_GUEST_IDTR_LIMIT              0x4812u
#define VMCS_GUEST_ES_AR_BYTES             0x4814u
#define VMCS_GUEST_CS_AR_BYTES             0x4816u
#define VMCS_GUEST_SS_AR_BYTES             0x4818u
#define VMCS_GUEST_DS_AR_BYTES             0x481Au
#define VMCS_GUEST_FS_AR_BYTES             0x481Cu
#define VMCS_GUEST_GS_AR_BYTES             0x481Eu
#define VMCS_GUEST_LDTR_AR_BYTES           0x4820u
#define VMCS_GUEST_TR_AR_BYTES             0x4822u
#define VMCS_GUEST_INTERRUPTIBILITY_INFO   0x4824u
#define VMCS_GUEST_ACTIVITY_STATE          0x4826u
#define VMCS_GUEST_SMBASE                  0x4828u
#define VMCS_GUEST_IA32_SYSENTER_CS        0x482Au
#define VMCS_VMX_PREEMPTION_TIMER_VALUE    0x482Eu

/* ---- 32-bit host-state field (width 2, type 3) ---- */
#define VMCS_HOST_IA32_SYSENTER_CS         0x4C00u

/* ---- Natural-width control fields (width 3, type 0) ----
 * CR0/CR4 guest/host masks and read shadows: for each bit set in the mask
 * the host owns the bit; the guest reads the shadow's bit and a write that
 * would change it exits. CR3-target values let MOV to CR3 skip the exit. */
#define VMCS_CR0_GUEST_HOST_MASK           0x6000u
#define VMCS_CR4_GUEST_HOST_MASK           0x6002u
#define VMCS_CR0_READ_SHADOW               0x6004u
#define VMCS_CR4_READ_SHADOW               0x6006u
#define VMCS_CR3_TARGET_VALUE0             0x6008u
#define VMCS_CR3_TARGET_VALUE1             0x600Au
#define VMCS_CR3_TARGET_VALUE2             0x600Cu
#define VMCS_CR3_TARGET_VALUE3             0x600Eu
#define VMX_CR3_TARGET_MAX                 4  /* count above 4 fails VM entry */

/* ---- Natural-width read-only data fields (width 3, type 1) ---- */
#define VMCS_EXIT_QUALIFICATION            0x6400u
#define VMCS_IO_RCX                        0x6402u
#define VMCS_IO_RSI                        0x6404u
#define VMCS_IO_RDI                        0x6406u
#define VMCS_IO_RIP                        0x6408u
#define VMCS_GUEST_LINEAR_ADDRESS          0x640Au

/* ---- Natural-width guest-state fields (width 3, type 2) ---- */
#define VMCS_GUEST_CR0                     0x6800u
#define VMCS_GUEST_CR3                     0x6802u
#define VMCS_GUEST_CR4                     0x6804u
#define VMCS_GUEST_ES_BASE                 0x6806u
#define VMCS_GUEST_CS_BASE                 0x6808u
#define VMCS_GUEST_SS_BASE                 0x680Au
#define VMCS_GUEST_DS_BASE                 0x680Cu
#define VMCS_GUEST_FS_BASE                 0x680Eu
#define VMCS_GUEST_GS_BASE                 0x6810u
#define VMCS_GUEST_LDTR_BASE               0x6812u
#define VMCS_GUEST_TR_BASE                 0x6814u
#define VMCS_GUEST_GDTR_BASE               0x6816u
#define VMCS_GUEST_IDTR_BASE               0x6818u
#define VMCS_GUEST_DR7                     0x681Au
#define VMCS_GUEST_RSP                     0x681Cu
#define VMCS_GUEST_RIP                     0x681Eu
#define VMCS_GUEST_RFLAGS                  0x6820u
#define VMCS_GUEST_PENDING_DBG_EXCEPTIONS  0x6822u
#define VMCS_GUEST_IA32_SYSENTER_ESP       0x6824u
#define VMCS_GUEST_IA32_SYSENTER_EIP       0x6826u

/* ---- Natural-width host-state fields (width 3, type 3) ----
 * What the processor loads on every VM exit: ring -1's own CR3, stack and
 * the address of the exit handler (HOST_RIP). */
#define VMCS_HOST_CR0                      0x6C00u
#define VMCS_HOST_CR3                      0x6C02u
#define VMCS_HOST_CR4                      0x6C04u
#define VMCS_HOST_FS_BASE                  0x6C06u
#define VMCS_HOST_GS_BASE                  0x6C08u
#define VMCS_HOST_TR_BASE                  0x6C0Au
#define VMCS_HOST_GDTR_BASE                0x6C0Cu
#define VMCS_HOST_IDTR_BASE                0x6C0Eu
#define VMCS_HOST_IA32_SYSENTER_ESP        0x6C10u
#define VMCS_HOST_IA32_SYSENTER_EIP        0x6C12u
#define VMCS_HOST_RSP                      0x6C14u
#define VMCS_HOST_RIP                      0x6C16u

/* ==== Pin-based VM-execution controls (VMCS_PIN_BASED_VM_EXEC_CONTROL) ====
 * Asynchronous events: who gets the interrupt, the guest or the host? */
#define VMX_PIN_EXTERNAL_INTERRUPT_EXITING (1u << 0) /* host interrupts exit */
#define VMX_PIN_NMI_EXITING                (1u << 3) /* NMIs exit */
#define VMX_PIN_VIRTUAL_NMIS               (1u << 5) /* track guest NMI blocking */
#define VMX_PIN_PREEMPTION_TIMER           (1u << 6) /* countdown that forces an exit */
#define VMX_PIN_POSTED_INTERRUPTS          (1u << 7)

/* ==== Primary processor-based controls (VMCS_CPU_BASED_VM_EXEC_CONTROL) ===
 * Synchronous events: which guest instructions trap to ring -1. Anything not
 * listed as "exiting" runs natively at full speed. */
#define VMX_PROC_INTERRUPT_WINDOW_EXITING  (1u << 2)  /* exit when guest can take IRQ */
#define VMX_PROC_USE_TSC_OFFSETTING        (1u << 3)
#define VMX_PROC_HLT_EXITING               (1u << 7)
#define VMX_PROC_INVLPG_EXITING            (1u << 9)
#define VMX_PROC_MWAIT_EXITING             (1u << 10)
#define VMX_PROC_RDPMC_EXITING             (1u << 11)
#define VMX_PROC_RDTSC_EXITING             (1u << 12)
#define VMX_PROC_CR3_LOAD_EXITING          (1u << 15)
#define VMX_PROC_CR3_STORE_EXITING         (1u << 16)
#define VMX_PROC_ACTIVATE_TERTIARY         (1u << 17)
#define VMX_PROC_CR8_LOAD_EXITING          (1u << 19)
#define VMX_PROC_CR8_STORE_EXITING         (1u << 20)
#define VMX_PROC_USE_TPR_SHADOW            (1u << 21)
#define VMX_PROC_NMI_WINDOW_EXITING        (1u << 22)
#define VMX_PROC_MOV_DR_EXITING            (1u << 23)
#define VMX_PROC_UNCONDITIONAL_IO_EXITING  (1u << 24) /* used only without bitmaps */
#define VMX_PROC_USE_IO_BITMAPS            (1u << 25) /* per-port decision */
#define VMX_PROC_MONITOR_TRAP_FLAG         (1u << 27) /* exit after each instruction */
#define VMX_PROC_USE_MSR_BITMAPS           (1u << 28) /* per-MSR decision */
#define VMX_PROC_MONITOR_EXITING           (1u << 29)
#define VMX_PROC_PAUSE_EXITING             (1u << 30)
#define VMX_PROC_ACTIVATE_SECONDARY        (1u << 31)

/* ==== Secondary processor-based controls (VMCS_SECONDARY_VM_EXEC_CONTROL) =
 * Only consulted when VMX_PROC_ACTIVATE_SECONDARY is set. */
#define VMX_PROC2_VIRTUALIZE_APIC          (1u << 0)  /* APIC-access page */
#define VMX_PROC2_ENABLE_EPT               (1u << 1)  /* second-level translation */
#define VMX_PROC2_DESCRIPTOR_TABLE_EXITING (1u << 2)
#define VMX_PROC2_ENABLE_RDTSCP            (1u << 3)
#define VMX_PROC2_VIRTUALIZE_X2APIC        (1u << 4)
#define VMX_PROC2_ENABLE_VPID              (1u << 5)  /* tagged TLB, no flush on switch */
#define VMX_PROC2_WBINVD_EXITING           (1u << 6)
#define VMX_PROC2_UNRESTRICTED_GUEST       (1u << 7)  /* real mode without paging */
#define VMX_PROC2_APIC_REGISTER_VIRT       (1u << 8)
#define VMX_PROC2_VIRTUAL_INTR_DELIVERY    (1u << 9)
#define VMX_PROC2_PAUSE_LOOP_EXITING       (1u << 10)
#define VMX_PROC2_RDRAND_EXITING           (1u << 11)
#define VMX_PROC2_ENABLE_INVPCID           (1u << 12)
#define VMX_PROC2_ENABLE_VMFUNC            (1u << 13)
#define VMX_PROC2_VMCS_SHADOWING           (1u << 14)
#define VMX_PROC2_ENCLS_EXITING            (1u << 15)
#define VMX_PROC2_RDSEED_EXITING           (1u << 16)
#define VMX_PROC2_ENABLE_PML               (1u << 17)
#define VMX_PROC2_EPT_VIOLATION_VE         (1u << 18)
#define VMX_PROC2_ENABLE_XSAVES            (1u << 20)
#define VMX_PROC2_TSC_SCALING              (1u << 25)

/* ==== VM-exit controls (VMCS_VM_EXIT_CONTROLS) ============================
 * What the processor does to its own state on the way back to ring -1. */
#define VMX_EXIT_CTL_SAVE_DEBUG_CONTROLS   (1u << 2)
#define VMX_EXIT_CTL_HOST_ADDR_SPACE_SIZE  (1u << 9)  /* host runs in 64-bit mode */
#define VMX_EXIT_CTL_LOAD_PERF_GLOBAL_CTRL (1u << 12)
#define VMX_EXIT_CTL_ACK_INTERRUPT         (1u << 15) /* vector goes into exit info */
#define VMX_EXIT_CTL_SAVE_PAT              (1u << 18)
#define VMX_EXIT_CTL_LOAD_PAT              (1u << 19)
#define VMX_EXIT_CTL_SAVE_EFER             (1u << 20)
#define VMX_EXIT_CTL_LOAD_EFER             (1u << 21)
#define VMX_EXIT_CTL_SAVE_PREEMPTION_TIMER (1u << 22)

/* ==== VM-entry controls (VMCS_VM_ENTRY_CONTROLS) ========================== */
#define VMX_ENTRY_CTL_LOAD_DEBUG_CONTROLS  (1u << 2)
#define VMX_ENTRY_CTL_IA32E_MODE_GUEST     (1u << 9)  /* guest runs in long mode */
#define VMX_ENTRY_CTL_ENTRY_TO_SMM         (1u << 10)
#define VMX_ENTRY_CTL_DEACTIVATE_DUAL_MONITOR (1u << 11)
#define VMX_ENTRY_CTL_LOAD_PERF_GLOBAL_CTRL (1u << 13)
#define VMX_ENTRY_CTL_LOAD_PAT             (1u << 14)
#define VMX_ENTRY_CTL_LOAD_EFER            (1u << 15)

/* ==== Guest interruptibility state (VMCS_GUEST_INTERRUPTIBILITY_INFO) =====
 * The one-instruction "shadow" after STI or MOV SS during which the CPU
 * holds off interrupts; a hypervisor must honour it before injecting. */
#define VMX_INTERRUPTIBILITY_STI           (1u << 0)
#define VMX_INTERRUPTIBILITY_MOV_SS        (1u << 1)
#define VMX_INTERRUPTIBILITY_SMI           (1u << 2)
#define VMX_INTERRUPTIBILITY_NMI           (1u << 3)

/* ==== Guest activity state (VMCS_GUEST_ACTIVITY_STATE) ==================== */
#define VMX_ACTIVITY_ACTIVE                0
#define VMX_ACTIVITY_HLT                   1
#define VMX_ACTIVITY_SHUTDOWN              2
#define VMX_ACTIVITY_WAIT_SIPI             3

/* ==== x86 architectural bits the VMX rules refer to ======================= */
#define VMX_RFLAGS_IF                      (1ull << 9)  /* interrupts enabled */
#define VMX_CR0_PE                         (1ull << 0)
#define VMX_CR0_MP                         (1ull << 1)
#define VMX_CR0_EM                         (1ull << 2)
#define VMX_CR0_TS                         (1ull << 3)
#define VMX_LMSW_BITS                      0xFull       /* LMSW writes CR0[3:0] only */

/* Exception vectors (Intel SDM vol. 3A, "Exception and Interrupt Vectors");
 * bit n of the exception bitmap controls vector n. */
#define VMX_VECTOR_DE   0   /* divide error */
#define VMX_VECTOR_DB   1   /* debug */
#define VMX_VECTOR_NMI  2   /* not an exception: governed by NMI exiting */
#define VMX_VECTOR_BP   3   /* breakpoint (INT3) */
#define VMX_VECTOR_OF   4   /* overflow (INTO) */
#define VMX_VECTOR_BR   5   /* BOUND range exceeded */
#define VMX_VECTOR_UD   6   /* invalid opcode */
#define VMX_VECTOR_NM   7   /* device not available */
#define VMX_VECTOR_DF   8   /* double fault */
#define VMX_VECTOR_TS   10  /* invalid TSS */
#define VMX_VECTOR_NP   11  /* segment not present */
#define VMX_VECTOR_SS   12  /* stack-segment fault */
#define VMX_VECTOR_GP   13  /* general protection */
#define VMX_VECTOR_PF   14  /* page fault: also filtered by PFEC mask/match */
#define VMX_VECTOR_MF   16  /* x87 floating-point error */
#define VMX_VECTOR_AC   17  /* alignment check */
#define VMX_VECTOR_MC   18  /* machine check */
#define VMX_VECTOR_XM   19  /* SIMD floating-point */
#define VMX_VECTOR_VE   20  /* virtualization exception */
#define VMX_VECTOR_CP   21  /* control protection */
#define VMX_EXCEPTION_VECTORS 32

/* ==== Exit qualification: I/O instruction (reason 30) ===================== */
#define VMX_IO_QUAL_SIZE_MASK     0x7u      /* access size - 1: 0, 1 or 3 */
#define VMX_IO_QUAL_IN            (1u << 3) /* 1 = IN/INS, 0 = OUT/OUTS */
#define VMX_IO_QUAL_STRING        (1u << 4) /* INS/OUTS */
#define VMX_IO_QUAL_REP           (1u << 5) /* REP prefix */
#define VMX_IO_QUAL_IMMEDIATE     (1u << 6) /* port was an imm8, not DX */
#define VMX_IO_QUAL_PORT_SHIFT    16        /* bits 31:16 */

/* ==== Exit qualification: control-register access (reason 28) ============ */
#define VMX_CR_QUAL_CR_MASK       0xFu      /* bits 3:0 CR number */
#define VMX_CR_QUAL_ACCESS_SHIFT  4         /* bits 5:4 access type */
#define VMX_CR_QUAL_LMSW_MEMORY   (1u << 6) /* LMSW operand was in memory */
#define VMX_CR_QUAL_GPR_SHIFT     8         /* bits 11:8 GPR (0 RAX ... 15 R15) */
#define VMX_CR_QUAL_LMSW_SHIFT    16        /* bits 31:16 LMSW source data */
#define VMX_CR_ACCESS_MOV_TO      0
#define VMX_CR_ACCESS_MOV_FROM    1
#define VMX_CR_ACCESS_CLTS        2
#define VMX_CR_ACCESS_LMSW        3

/* ==== Exit qualification: MOV DR (reason 29) ============================== */
#define VMX_DR_QUAL_DR_MASK       0x7u      /* bits 2:0 debug register number */
#define VMX_DR_QUAL_FROM_DR       (1u << 4) /* 1 = MOV from DR, 0 = MOV to DR */
#define VMX_DR_QUAL_GPR_SHIFT     8         /* bits 11:8 GPR */

/* ==== Exit qualification: EPT violation (reason 48) ======================= */
#define VMX_EPT_QUAL_READ         (1u << 0) /* the access was a data read */
#define VMX_EPT_QUAL_WRITE        (1u << 1) /* ... a data write */
#define VMX_EPT_QUAL_FETCH        (1u << 2) /* ... an instruction fetch */
#define VMX_EPT_QUAL_READABLE     (1u << 3) /* the EPT entries allowed read */
#define VMX_EPT_QUAL_WRITABLE     (1u << 4) /* ... allowed write */
#define VMX_EPT_QUAL_EXECUTABLE   (1u << 5) /* ... allowed execute */
#define VMX_EPT_QUAL_LINEAR_VALID (1u << 7) /* guest-linear address field valid */
#define VMX_EPT_QUAL_TRANSLATED   (1u << 8) /* access was to the final GPA, not a paging-structure read */

/* ==== Interruption information ============================================
 * One 32-bit layout shared by three VMCS fields: VM-entry interruption info
 * (what to inject), VM-exit interruption info (which exception/interrupt
 * caused the exit) and IDT-vectoring info (what was being delivered when the
 * exit hit). */
#define VMX_INTR_INFO_VECTOR_MASK     0xFFu      /* bits 7:0 */
#define VMX_INTR_INFO_TYPE_SHIFT      8          /* bits 10:8 */
#define VMX_INTR_INFO_TYPE_MASK       0x7u
#define VMX_INTR_INFO_ERROR_CODE      (1u << 11) /* deliver/has an error code */
#define VMX_INTR_INFO_NMI_UNBLOCKING  (1u << 12) /* exit info only: IRET unblocked NMIs */
#define VMX_INTR_INFO_VALID           (1u << 31)

#define VMX_INTR_TYPE_EXTERNAL           0  /* external interrupt */
#define VMX_INTR_TYPE_NMI                2
#define VMX_INTR_TYPE_HARD_EXCEPTION     3  /* #PF, #GP, ... */
#define VMX_INTR_TYPE_SOFT_INTR          4  /* INT n */
#define VMX_INTR_TYPE_PRIV_SW_EXCEPTION  5  /* INT1 (ICEBP) */
#define VMX_INTR_TYPE_SOFT_EXCEPTION     6  /* INT3, INTO */
#define VMX_INTR_TYPE_OTHER              7  /* e.g. pending MTF */

/* ==== Side structures pointed to by 64-bit controls ======================= */
#define VMX_IO_BITMAP_SIZE   4096u     /* each of A and B: 32768 ports, 1 bit each */
#define VMX_IO_BITMAP_B_FIRST_PORT 0x8000u
#define VMX_MSR_BITMAP_SIZE  4096u     /* four 1 KiB quarters: */
#define VMX_MSR_BITMAP_READ_LOW    0u  /*   RDMSR of 0x00000000-0x00001FFF */
#define VMX_MSR_BITMAP_READ_HIGH   1024u /* RDMSR of 0xC0000000-0xC0001FFF */
#define VMX_MSR_BITMAP_WRITE_LOW   2048u /* WRMSR of the low range */
#define VMX_MSR_BITMAP_WRITE_HIGH  3072u /* WRMSR of the high range */
#define VMX_MSR_LOW_FIRST    0x00000000u
#define VMX_MSR_LOW_LAST     0x00001FFFu
#define VMX_MSR_HIGH_FIRST   0xC0000000u
#define VMX_MSR_HIGH_LAST    0xC0001FFFu

#endif /* HVSIM_VMX_DEFS_H */
