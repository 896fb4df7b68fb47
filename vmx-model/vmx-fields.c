/* vmx-fields.c — the VMCS field table: every encoding the model knows, with
 * its SDM width, type and name, checked at compile time against the
 * encoding rule. Sim thread (and GUI, read-only), pure model. */
#include "vmx-private.h"

/* The table, in SDM appendix B order. Each row names the area the SDM lists
 * the field under (width, type). The encoding must say the same thing in its
 * bits 14:13 and 11:10 — a typo like 0x4816 for a natural-width field cannot
 * survive compilation, because every row becomes a _Static_assert below.
 *
 *   X(identifier-without-VMCS_, width, type, "SDM name")
 */
#define VMX_FIELD_LIST(X) \
	/* 16-bit control fields */ \
	X(VIRTUAL_PROCESSOR_ID,            16, CONTROL,   "Virtual-processor identifier (VPID)") \
	X(POSTED_INTR_NOTIFICATION_VECTOR, 16, CONTROL,   "Posted-interrupt notification vector") \
	X(EPTP_INDEX,                      16, CONTROL,   "EPTP index") \
	/* 16-bit guest-state fields */ \
	X(GUEST_ES_SELECTOR,               16, GUEST,     "Guest ES selector") \
	X(GUEST_CS_SELECTOR,               16, GUEST,     "Guest CS selector") \
	X(GUEST_SS_SELECTOR,               16, GUEST,     "Guest SS selector") \
	X(GUEST_DS_SELECTOR,               16, GUEST,     "Guest DS selector") \
	X(GUEST_FS_SELECTOR,               16, GUEST,     "Guest FS selector") \
	X(GUEST_GS_SELECTOR,               16, GUEST,     "Guest GS selector") \
	X(GUEST_LDTR_SELECTOR,             16, GUEST,     "Guest LDTR selector") \
	X(GUEST_TR_SELECTOR,               16, GUEST,     "Guest TR selector") \
	X(GUEST_INTERRUPT_STATUS,          16, GUEST,     "Guest interrupt status") \
	X(GUEST_PML_INDEX,                 16, GUEST,     "PML index") \
	/* 16-bit host-state fields */ \
	X(HOST_ES_SELECTOR,                16, HOST,      "Host ES selector") \
	X(HOST_CS_SELECTOR,                16, HOST,      "Host CS selector") \
	X(HOST_SS_SELECTOR,                16, HOST,      "Host SS selector") \
	X(HOST_DS_SELECTOR,                16, HOST,      "Host DS selector") \
	X(HOST_FS_SELECTOR,                16, HOST,      "Host FS selector") \
	X(HOST_GS_SELECTOR,                16, HOST,      "Host GS selector") \
	X(HOST_TR_SELECTOR,                16, HOST,      "Host TR selector") \
	/* 64-bit control fields */ \
	X(IO_BITMAP_A,                     64, CONTROL,   "Address of I/O bitmap A") \
	X(IO_BITMAP_B,                     64, CONTROL,   "Address of I/O bitmap B") \
	X(MSR_BITMAP,                      64, CONTROL,   "Address of MSR bitmaps") \
	X(VM_EXIT_MSR_STORE_ADDR,          64, CONTROL,   "VM-exit MSR-store address") \
	X(VM_EXIT_MSR_LOAD_ADDR,           64, CONTROL,   "VM-exit MSR-load address") \
	X(VM_ENTRY_MSR_LOAD_ADDR,          64, CONTROL,   "VM-entry MSR-load address") \
	X(EXECUTIVE_VMCS_POINTER,          64, CONTROL,   "Executive-VMCS pointer") \
	X(PML_ADDRESS,                     64, CONTROL,   "PML address") \
	X(TSC_OFFSET,                      64, CONTROL,   "TSC offset") \
	X(VIRTUAL_APIC_PAGE_ADDR,          64, CONTROL,   "Virtual-APIC address") \
	X(APIC_ACCESS_ADDR,                64, CONTROL,   "APIC-access address") \
	X(POSTED_INTR_DESC_ADDR,           64, CONTROL,   "Posted-interrupt descriptor address") \
	X(VM_FUNCTION_CONTROLS,            64, CONTROL,   "VM-function controls") \
	X(EPT_POINTER,                     64, CONTROL,   "EPT pointer (EPTP)") \
	X(EOI_EXIT_BITMAP0,                64, CONTROL,   "EOI-exit bitmap 0") \
	X(EOI_EXIT_BITMAP1,                64, CONTROL,   "EOI-exit bitmap 1") \
	X(EOI_EXIT_BITMAP2,                64, CONTROL,   "EOI-exit bitmap 2") \
	X(EOI_EXIT_BITMAP3,                64, CONTROL,   "EOI-exit bitmap 3") \
	X(EPTP_LIST_ADDRESS,               64, CONTROL,   "EPTP-list address") \
	X(VMREAD_BITMAP,                   64, CONTROL,   "VMREAD-bitmap address") \
	X(VMWRITE_BITMAP,                  64, CONTROL,   "VMWRITE-bitmap address") \
	X(VE_INFORMATION_ADDRESS,          64, CONTROL,   "Virtualization-exception information address") \
	X(XSS_EXITING_BITMAP,              64, CONTROL,   "XSS-exiting bitmap") \
	X(ENCLS_EXITING_BITMAP,            64, CONTROL,   "ENCLS-exiting bitmap") \
	X(TSC_MULTIPLIER,                  64, CONTROL,   "TSC multiplier") \
	X(TERTIARY_VM_EXEC_CONTROL,        64, CONTROL,   "Tertiary processor-based VM-execution controls") \
	/* 64-bit read-only data field */ \
	X(GUEST_PHYSICAL_ADDRESS,          64, EXIT_INFO, "Guest-physical address") \
	/* 64-bit guest-state fields */ \
	X(LINK_POINTER,                    64, GUEST,     "VMCS link pointer") \
	X(GUEST_IA32_DEBUGCTL,             64, GUEST,     "Guest IA32_DEBUGCTL") \
	X(GUEST_IA32_PAT,                  64, GUEST,     "Guest IA32_PAT") \
	X(GUEST_IA32_EFER,                 64, GUEST,     "Guest IA32_EFER") \
	X(GUEST_IA32_PERF_GLOBAL_CTRL,     64, GUEST,     "Guest IA32_PERF_GLOBAL_CTRL") \
	X(GUEST_PDPTE0,                    64, GUEST,     "Guest PDPTE0") \
	X(GUEST_PDPTE1,                    64, GUEST,     "Guest PDPTE1") \
	X(GUEST_PDPTE2,                    64, GUEST,     "Guest PDPTE2") \
	X(GUEST_PDPTE3,                    64, GUEST,     "Guest PDPTE3") \
	X(GUEST_IA32_BNDCFGS,              64, GUEST,     "Guest IA32_BNDCFGS") \
	X(GUEST_IA32_RTIT_CTL,             64, GUEST,     "Guest IA32_RTIT_CTL") \
	/* 64-bit host-state fields */ \
	X(HOST_IA32_PAT,                   64, HOST,      "Host IA32_PAT") \
	X(HOST_IA32_EFER,                  64, HOST,      "Host IA32_EFER") \
	X(HOST_IA32_PERF_GLOBAL_CTRL,      64, HOST,      "Host IA32_PERF_GLOBAL_CTRL") \
	/* 32-bit control fields */ \
	X(PIN_BASED_VM_EXEC_CONTROL,       32, CONTROL,   "Pin-based VM-execution controls") \
	X(CPU_BASED_VM_EXEC_CONTROL,       32, CONTROL,   "Primary processor-based VM-execution controls") \
	X(EXCEPTION_BITMAP,                32, CONTROL,   "Exception bitmap") \
	X(PAGE_FAULT_ERROR_CODE_MASK,      32, CONTROL,   "Page-fault error-code mask") \
	X(PAGE_FAULT_ERROR_CODE_MATCH,     32, CONTROL,   "Page-fault error-code match") \
	X(CR3_TARGET_COUNT,                32, CONTROL,   "CR3-target count") \
	X(VM_EXIT_CONTROLS,                32, CONTROL,   "Primary VM-exit controls") \
	X(VM_EXIT_MSR_STORE_COUNT,         32, CONTROL,   "VM-exit MSR-store count") \
	X(VM_EXIT_MSR_LOAD_COUNT,          32, CONTROL,   "VM-exit MSR-load count") \
	X(VM_ENTRY_CONTROLS,               32, CONTROL,   "VM-entry controls") \
	X(VM_ENTRY_MSR_LOAD_COUNT,         32, CONTROL,   "VM-entry MSR-load count") \
	X(VM_ENTRY_INTR_INFO_FIELD,        32, CONTROL,   "VM-entry interruption-information field") \
	X(VM_ENTRY_EXCEPTION_ERROR_CODE,   32, CONTROL,   "VM-entry exception error code") \
	X(VM_ENTRY_INSTRUCTION_LEN,        32, CONTROL,   "VM-entry instruction length") \
	X(TPR_THRESHOLD,                   32, CONTROL,   "TPR threshold") \
	X(SECONDARY_VM_EXEC_CONTROL,       32, CONTROL,   "Secondary processor-based VM-execution controls") \
	X(PLE_GAP,                         32, CONTROL,   "PLE_Gap") \
	X(PLE_WINDOW,                      32, CONTROL,   "PLE_Window") \
	/* 32-bit read-only data fields */ \
	X(VM_INSTRUCTION_ERROR,            32, EXIT_INFO, "VM-instruction error") \
	X(VM_EXIT_REASON,                  32, EXIT_INFO, "Exit reason") \
	X(VM_EXIT_INTR_INFO,               32, EXIT_INFO, "VM-exit interruption information") \
	X(VM_EXIT_INTR_ERROR_CODE,         32, EXIT_INFO, "VM-exit interruption error code") \
	X(IDT_VECTORING_INFO_FIELD,        32, EXIT_INFO, "IDT-vectoring information field") \
	X(IDT_VECTORING_ERROR_CODE,        32, EXIT_INFO, "IDT-vectoring error code") \
	X(VM_EXIT_INSTRUCTION_LEN,         32, EXIT_INFO, "VM-exit instruction length") \
	X(VMX_INSTRUCTION_INFO,            32, EXIT_INFO, "VM-exit instruction information") \
	/* 32-bit guest-state fields */ \
	X(GUEST_ES_LIMIT,                  32, GUEST,     "Guest ES limit") \
	X(GUEST_CS_LIMIT,                  32, GUEST,     "Guest CS limit") \
	X(GUEST_SS_LIMIT,                  32, GUEST,     "Guest SS limit") \
	X(GUEST_DS_LIMIT,                  32, GUEST,     "Guest DS limit") \
	X(GUEST_FS_LIMIT,                  32, GUEST,     "Guest FS limit") \
	X(GUEST_GS_LIMIT,                  32, GUEST,     "Guest GS limit") \
	X(GUEST_LDTR_LIMIT,                32, GUEST,     "Guest LDTR limit") \
	X(GUEST_TR_LIMIT,                  32, GUEST,     "Guest TR limit") \
	X(GUEST_GDTR_LIMIT,                32, GUEST,     "Guest GDTR limit") \
	X(GUEST_IDTR_LIMIT,                32, GUEST,     "Guest IDTR limit") \
	X(GUEST_ES_AR_BYTES,               32, GUEST,     "Guest ES access rights") \
	X(GUEST_CS_AR_BYTES,               32, GUEST,     "Guest CS access rights") \
	X(GUEST_SS_AR_BYTES,               32, GUEST,     "Guest SS access rights") \
	X(GUEST_DS_AR_BYTES,               32, GUEST,     "Guest DS access rights") \
	X(GUEST_FS_AR_BYTES,               32, GUEST,     "Guest FS access rights") \
	X(GUEST_GS_AR_BYTES,               32, GUEST,     "Guest GS access rights") \
	X(GUEST_LDTR_AR_BYTES,             32, GUEST,     "Guest LDTR access rights") \
	X(GUEST_TR_AR_BYTES,               32, GUEST,     "Guest TR access rights") \
	X(GUEST_INTERRUPTIBILITY_INFO,     32, GUEST,     "Guest interruptibility state") \
	X(GUEST_ACTIVITY_STATE,            32, GUEST,     "Guest activity state") \
	X(GUEST_SMBASE,                    32, GUEST,     "Guest SMBASE") \
	X(GUEST_IA32_SYSENTER_CS,          32, GUEST,     "Guest IA32_SYSENTER_CS") \
	X(VMX_PREEMPTION_TIMER_VALUE,      32, GUEST,     "VMX-preemption timer value") \
	/* 32-bit host-state field */ \
	X(HOST_IA32_SYSENTER_CS,           32, HOST,      "Host IA32_SYSENTER_CS") \
	/* Natural-width control fields */ \
	X(CR0_GUEST_HOST_MASK,        NATURAL, CONTROL,   "CR0 guest/host mask") \
	X(CR4_GUEST_HOST_MASK,        NATURAL, CONTROL,   "CR4 guest/host mask") \
	X(CR0_READ_SHADOW,            NATURAL, CONTROL,   "CR0 read shadow") \
	X(CR4_READ_SHADOW,            NATURAL, CONTROL,   "CR4 read shadow") \
	X(CR3_TARGET_VALUE0,          NATURAL, CONTROL,   "CR3-target value 0") \
	X(CR3_TARGET_VALUE1,          NATURAL, CONTROL,   "CR3-target value 1") \
	X(CR3_TARGET_VALUE2,          NATURAL, CONTROL,   "CR3-target value 2") \
	X(CR3_TARGET_VALUE3,          NATURAL, CONTROL,   "CR3-target value 3") \
	/* Natural-width read-only data fields */ \
	X(EXIT_QUALIFICATION,         NATURAL, EXIT_INFO, "Exit qualification") \
	X(IO_RCX,                     NATURAL, EXIT_INFO, "I/O RCX") \
	X(IO_RSI,                     NATURAL, EXIT_INFO, "I/O RSI") \
	X(IO_RDI,                     NATURAL, EXIT_INFO, "I/O RDI") \
	X(IO_RIP,                     NATURAL, EXIT_INFO, "I/O RIP") \
	X(GUEST_LINEAR_ADDRESS,       NATURAL, EXIT_INFO, "Guest-linear address") \
	/* Natural-width guest-state fields */ \
	X(GUEST_CR0,                  NATURAL, GUEST,     "Guest CR0") \
	X(GUEST_CR3,                  NATURAL, GUEST,     "Guest CR3") \
	X(GUEST_CR4,                  NATURAL, GUEST,     "Guest CR4") \
	X(GUEST_ES_BASE,              NATURAL, GUEST,     "Guest ES base") \
	X(GUEST_CS_BASE,              NATURAL, GUEST,     "Guest CS base") \
	X(GUEST_SS_BASE,              NATURAL, GUEST,     "Guest SS base") \
	X(GUEST_DS_BASE,              NATURAL, GUEST,     "Guest DS base") \
	X(GUEST_FS_BASE,              NATURAL, GUEST,     "Guest FS base") \
	X(GUEST_GS_BASE,              NATURAL, GUEST,     "Guest GS base") \
	X(GUEST_LDTR_BASE,            NATURAL, GUEST,     "Guest LDTR base") \
	X(GUEST_TR_BASE,              NATURAL, GUEST,     "Guest TR base") \
	X(GUEST_GDTR_BASE,            NATURAL, GUEST,     "Guest GDTR base") \
	X(GUEST_IDTR_BASE,            NATURAL, GUEST,     "Guest IDTR base") \
	X(GUEST_DR7,                  NATURAL, GUEST,     "Guest DR7") \
	X(GUEST_RSP,                  NATURAL, GUEST,     "Guest RSP") \
	X(GUEST_RIP,                  NATURAL, GUEST,     "Guest RIP") \
	X(GUEST_RFLAGS,               NATURAL, GUEST,     "Guest RFLAGS") \
	X(GUEST_PENDING_DBG_EXCEPTIONS, NATURAL, GUEST,   "Guest pending debug exceptions") \
	X(GUEST_IA32_SYSENTER_ESP,    NATURAL, GUEST,     "Guest IA32_SYSENTER_ESP") \
	X(GUEST_IA32_SYSENTER_EIP,    NATURAL, GUEST,     "Guest IA32_SYSENTER_EIP") \
	/* Natural-width host-state fields */ \
	X(HOST_CR0,                   NATURAL, HOST,      "Host CR0") \
	X(HOST_CR3,                   NATURAL, HOST,      "Host CR3") \
	X(HOST_CR4,                   NATURAL, HOST,      "Host CR4") \
	X(HOST_FS_BASE,               NATURAL, HOST,      "Host FS base") \
	X(HOST_GS_BASE,               NATURAL, HOST,      "Host GS base") \
	X(HOST_TR_BASE,               NATURAL, HOST,      "Host TR base") \
	X(HOST_GDTR_BASE,             NATURAL, HOST,      "Host GDTR base") \
	X(HOST_IDTR_BASE,             NATURAL, HOST,      "Host IDTR base") \
	X(HOST_IA32_SYSENTER_ESP,     NATURAL, HOST,      "Host IA32_SYSENTER_ESP") \
	X(HOST_IA32_SYSENTER_EIP,     NATURAL, HOST,      "Host IA32_SYSENTER_EIP") \
	X(HOST_RSP,                   NATURAL, HOST,      "Host RSP") \
	X(HOST_RIP,                   NATURAL, HOST,      "Host RIP")


/* Compile-time proof that each encoding agrees with the area it is listed
 * under, uses full access (bit 0 clear) and no reserved bit. */
#define VMX_FIELD_CHECK(name, width, type, desc) \
	_Static_assert(VMX_ENC_WIDTH_OF(VMCS_##name) == VMX_WIDTH_##width && \
	               VMX_ENC_TYPE_OF(VMCS_##name) == VMX_TYPE_##type && \
	               (VMCS_##name & VMX_ENC_ACCESS_HIGH) == 0 && \
	               (VMCS_##name & VMX_ENC_RESERVED_MASK) == 0, \
	               "VMCS_" #name ": encoding bits disagree with its SDM area (" #width ", " #type ")");
VMX_FIELD_LIST(VMX_FIELD_CHECK)

typedef struct VmxFieldInfo {
	uint32_t enc;
	const char *name;
	const char *description;
} VmxFieldInfo;

#define VMX_FIELD_ROW(name, width, type, desc) { VMCS_##name, #name, desc },
static const VmxFieldInfo vmx_fields[] = { VMX_FIELD_LIST(VMX_FIELD_ROW) };

#define VMX_FIELD_TABLE_SIZE (sizeof vmx_fields / sizeof vmx_fields[0])

uint32_t vmx_field_width(uint32_t enc)
{
	return VMX_ENC_WIDTH_OF(enc);
}

uint32_t vmx_field_type(uint32_t enc)
{
	return VMX_ENC_TYPE_OF(enc);
}

/* Encodings are 15-bit numbers (bits 15 and up are reserved), so a direct
 * table from encoding to table position makes every VMREAD/VMWRITE of the
 * model O(1): the exit path touches the VMCS many times per exit. The
 * table is built by the compiler from the appendix B list above (position
 * plus one: 0 means the model has no such field). */
#define VMX_SLOT_ENUM(name, width, type, desc) VMX_SLOT_##name,
enum { VMX_FIELD_LIST(VMX_SLOT_ENUM) VMX_N_SLOTS };
#define VMX_SLOT_INIT(name, width, type, desc) [VMCS_##name] = VMX_SLOT_##name + 1,
const int16_t vmx_slot_plus_one[VMX_ENCODING_SPACE] = { VMX_FIELD_LIST(VMX_SLOT_INIT) };
_Static_assert(VMX_N_SLOTS == sizeof vmx_fields / sizeof vmx_fields[0], "one slot per field row");
_Static_assert(VMX_N_SLOTS <= VMX_MAX_FIELDS, "a VmxVmcs has room for VMX_MAX_FIELDS values: raise it");

const char *vmx_field_name(uint32_t enc)
{
	long i = vmx_field_index(enc);

	return i < 0 ? NULL : vmx_fields[i].name;
}

const char *vmx_field_description(uint32_t enc)
{
	long i = vmx_field_index(enc);

	return i < 0 ? NULL : vmx_fields[i].description;
}

size_t vmx_field_count(void)
{
	return VMX_FIELD_TABLE_SIZE;
}

uint32_t vmx_field_at(size_t i)
{
	return i < VMX_FIELD_TABLE_SIZE ? vmx_fields[i].enc : 0xFFFFFFFFu;
}
