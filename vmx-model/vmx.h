/* vmx.h — public interface of vmx-model: VT-x as the CPU offers it (VMCS
 * fields, controls, exit reasons and qualifications, event injection) and
 * the AMD-V names for the same events. Pure model, no policy, no GLib;
 * called from the sim thread. The one header other modules include. */
#ifndef HVSIM_VMX_H
#define HVSIM_VMX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svm-defs.h"
#include "vmx-defs.h"
#include "vmx-ept.h"

/* How to read this module
 * -----------------------
 * A hypervisor built on VT-x does not decide, instruction by instruction,
 * what the guest may do. It fills in a VMCS (virtual-machine control
 * structure) once: which instructions, ports, MSRs, control-register bits
 * and exceptions it wants to see. The processor then runs the guest at full
 * speed and leaves VMX non-root operation ("VM exit") only when the guest
 * touches one of those. The exit lands in ring -1 with an exit reason and
 * an exit qualification in the VMCS; the hypervisor handles it, perhaps
 * writes an event to inject, and resumes.
 *
 *   vmx-fields.c   the field table: every encoding, its width/type/name
 *   vmx-vmcs.c     a VMCS instance: VMREAD/VMWRITE semantics, the bitmaps,
 *                  the processor's side of exit recording and injection
 *   vmx-exits.c    "does this guest action exit?", one function per rule
 *   vmx-qual.c     exit qualifications and interruption info, both ways
 *   vmx-reasons.c  exit-reason names and trace identifiers
 *   vmx-svm.c      the same events under AMD-V's exit codes
 */

/* ==== Exit reasons ======================================================= */

/* Short SDM-style name ("CPUID", "I/O instruction", "EPT violation");
 * "unknown" for numbers the SDM does not define. Only bits 15:0 are looked
 * at, so a full exit-reason field may be passed. */
const char *vmx_exit_reason_name(uint32_t basic);

/* Stable snake_case identifier for traces ("cpuid", "io_instruction");
 * "unknown" for gaps. Never changes once published: JSON traces use it. */
const char *vmx_exit_reason_id(uint32_t basic);

/* True for the instructions the SDM lists as causing VM exits
 * unconditionally in VMX non-root operation (CPUID, GETSEC, INVD, XSETBV,
 * and the VMX instructions except VMREAD/VMWRITE). */
bool vmx_exit_reason_is_unconditional(uint32_t basic);

/* "#PF", "#GP", "NMI", ...; "reserved" for reserved vectors below 32 and
 * "interrupt" for 32-255. */
const char *vmx_exception_mnemonic(uint8_t vector);

/* ==== AMD-V equivalents ================================================== */

/* The SVM exit code for the event a VMX exit describes. Needs the exit
 * qualification for CR and DR accesses (which register, which direction)
 * and the vector for reason 0 (exception or NMI). SVM_EXIT_NO_EQUIVALENT if
 * AMD-V has no matching intercept. */
uint32_t vmx_exit_to_svm(uint32_t basic_reason, uint64_t qualification,
                         uint32_t exception_vector);

/* APM-style name without the VMEXIT_ prefix: "VMMCALL", "IOIO", "CR3_WRITE",
 * "EXCP14", "INVALID"; "no SVM equivalent" for SVM_EXIT_NO_EQUIVALENT and
 * "unknown" otherwise. */
const char *svm_exit_code_name(uint32_t code);

/* ==== VMCS field encodings =============================================== */

/* Decoders of the encoding rule in vmx-defs.h; they work on any value, known
 * field or not. */
uint32_t vmx_field_width(uint32_t enc);  /* VMX_WIDTH_16/64/32/NATURAL */
uint32_t vmx_field_type(uint32_t enc);   /* VMX_TYPE_CONTROL/EXIT_INFO/GUEST/HOST */

/* Identifier of a known field without the VMCS_ prefix ("GUEST_RIP",
 * "LINK_POINTER"); NULL if the model does not know the encoding. */
const char *vmx_field_name(uint32_t enc);

/* The SDM's wording for the field ("Guest RIP"); NULL if unknown. */
const char *vmx_field_description(uint32_t enc);

/* Every known field, in ascending encoding order (= SDM appendix B order),
 * so a GUI can list the whole VMCS. vmx_field_at() returns 0xFFFFFFFF for
 * i >= vmx_field_count(). */
size_t vmx_field_count(void);
uint32_t vmx_field_at(size_t i);

/* ==== The VMCS of one virtual processor ================================== */

typedef struct VmxVmcs VmxVmcs;

/* Allocates a VMCS with vmx_vmcs_init_defaults() applied; NULL if out of
 * memory. vmx_vmcs_free(NULL) does nothing. */
VmxVmcs *vmx_vmcs_new(void);
void vmx_vmcs_free(VmxVmcs *vmcs);

/* Architectural starting point, no policy: every field 0 except the VMCS
 * link pointer (~0, "no shadow VMCS", as VM entry requires); all bitmaps
 * clear. */
void vmx_vmcs_init_defaults(VmxVmcs *vmcs);

/* VMREAD / VMWRITE. Return 0, VMX_ERR_UNSUPPORTED_FIELD (12) for an unknown
 * encoding or a "high" access to a field that is not 64-bit, or (write only)
 * VMX_ERR_READ_ONLY_FIELD (13) for an exit-information field. Writes keep
 * only as many bits as the field has; a "high" access (encoding | 1) reads
 * or writes bits 63:32 of a 64-bit field. */
int vmx_vmcs_read(const VmxVmcs *vmcs, uint32_t enc, uint64_t *value);
int vmx_vmcs_write(VmxVmcs *vmcs, uint32_t enc, uint64_t value);

/* The processor's own write, allowed on read-only fields: how the model
 * fills exit information. Same truncation and errors as vmx_vmcs_write
 * except that VMX_ERR_READ_ONLY_FIELD never occurs. */
int vmx_vmcs_set_exit_info(VmxVmcs *vmcs, uint32_t enc, uint64_t value);

/* Read for callers that know the field exists; 0 if it does not. */
uint64_t vmx_vmcs_get(const VmxVmcs *vmcs, uint32_t enc);

/* I/O bitmaps A (ports 0x0000-0x7FFF) and B (0x8000-0xFFFF): bit set = an
 * access to that port exits (when "use I/O bitmaps" is on). */
void vmx_io_bitmap_set(VmxVmcs *vmcs, uint16_t port, bool exits);
bool vmx_io_bitmap_get(const VmxVmcs *vmcs, uint16_t port);
void vmx_io_bitmap_set_all(VmxVmcs *vmcs, bool exits);

/* MSR bitmap. MSRs outside 0x0-0x1FFF and 0xC0000000-0xC0001FFF have no bit:
 * set is a no-op for them and get reports true (they always exit). */
void vmx_msr_bitmap_set(VmxVmcs *vmcs, uint32_t msr, bool read_exits, bool write_exits);
bool vmx_msr_bitmap_get(const VmxVmcs *vmcs, uint32_t msr, bool write);
void vmx_msr_bitmap_set_all(VmxVmcs *vmcs, bool exits);

/* Raw bitmap pages (VMX_IO_BITMAP_SIZE / VMX_MSR_BITMAP_SIZE bytes) for
 * inspectors. */
const uint8_t *vmx_vmcs_io_bitmap_a(const VmxVmcs *vmcs);
const uint8_t *vmx_vmcs_io_bitmap_b(const VmxVmcs *vmcs);
const uint8_t *vmx_vmcs_msr_bitmap(const VmxVmcs *vmcs);

/* ==== Exit decisions: would the processor leave the guest? ===============
 * Pure functions of the VMCS, one per SDM rule ("Instructions That Cause VM
 * Exits Conditionally" and friends). The backend asks; the answer follows
 * from controls the hypervisor set, never from policy here. */

/* IN/OUT/INS/OUTS of `size` bytes (1, 2 or 4) at `port`. Without I/O bitmaps
 * the "unconditional I/O exiting" control decides; with them, any byte's bit
 * set, or an access wrapping past 0xFFFF, exits. Other sizes exit (the
 * model refuses to let a malformed access through silently). */
bool vmx_io_exits(const VmxVmcs *vmcs, uint16_t port, unsigned size);

/* RDMSR (write = false) / WRMSR (write = true) of `msr` (the guest's ECX). */
bool vmx_msr_exits(const VmxVmcs *vmcs, uint32_t msr, bool write);

bool vmx_hlt_exits(const VmxVmcs *vmcs);
bool vmx_cpuid_exits(const VmxVmcs *vmcs);   /* always true */
bool vmx_vmcall_exits(const VmxVmcs *vmcs);  /* always true */
bool vmx_rdtsc_exits(const VmxVmcs *vmcs);
bool vmx_rdpmc_exits(const VmxVmcs *vmcs);
bool vmx_invlpg_exits(const VmxVmcs *vmcs);
bool vmx_mov_dr_exits(const VmxVmcs *vmcs);
bool vmx_external_interrupt_exits(const VmxVmcs *vmcs);
bool vmx_nmi_exits(const VmxVmcs *vmcs);

/* An exception of `vector` raised in the guest: the exception bitmap, with
 * #PF further filtered by the page-fault error-code mask/match fields.
 * Vector 2 (NMI) is answered by vmx_nmi_exits(); vectors >= 32 are not
 * exceptions and give false. */
bool vmx_exception_exits(const VmxVmcs *vmcs, uint8_t vector, uint32_t pf_error_code);

/* MOV to CR`cr` of `new_value`. CR0/CR4: exits if a host-owned bit (set in
 * the guest/host mask) would differ from the read shadow. CR3: "CR3-load
 * exiting" unless the value is one of the first CR3-target-count targets.
 * CR8: "CR8-load exiting". Other CRs have no exit control (false). */
bool vmx_cr_write_exits(const VmxVmcs *vmcs, unsigned cr, uint64_t new_value);

/* MOV from CR`cr`: CR3 and CR8 per their store-exiting controls; CR0/CR4
 * reads never exit (the guest sees vmx_cr_guest_view()). */
bool vmx_cr_read_exits(const VmxVmcs *vmcs, unsigned cr);

/* What MOV from CR0/CR4 returns in the guest: host-owned bits come from the
 * read shadow, the rest from the real guest register. CR3 returns the guest
 * CR3 field; other numbers 0. */
uint64_t vmx_cr_guest_view(const VmxVmcs *vmcs, unsigned cr);

/* CLTS and LMSW, which write CR0 bits without MOV. */
bool vmx_clts_exits(const VmxVmcs *vmcs);
bool vmx_lmsw_exits(const VmxVmcs *vmcs, uint16_t source);

/* Can an external interrupt be delivered now? RFLAGS.IF = 1 and no blocking
 * by STI or MOV SS. */
bool vmx_interrupt_window_open(uint64_t rflags, uint32_t interruptibility);

/* ==== Exit qualifications and interruption information =================== */

typedef struct VmxIoQual {
	uint16_t port;
	uint8_t size;     /* 1, 2 or 4 bytes */
	bool in;          /* IN/INS (true) or OUT/OUTS */
	bool string;      /* INS/OUTS */
	bool rep;         /* REP prefix */
	bool imm;         /* port given as imm8 rather than in DX */
} VmxIoQual;

/* The I/O instruction's exit qualification (reason 30):
 *   2:0   size of access - 1 (0 = byte, 1 = word, 3 = dword)
 *   3     direction: 1 = IN/INS, 0 = OUT/OUTS
 *   4     string instruction
 *   5     REP prefix
 *   6     operand encoding: 1 = immediate port, 0 = DX
 *   31:16 port number
 * With the qualification, the guest's RAX and VM_EXIT_INSTRUCTION_LEN, an
 * emulator has everything it needs to complete a simple IN or OUT.
 * Inline: every port exit packs it and unpacks it. */
static inline uint64_t vmx_io_qual_encode(const VmxIoQual *q)
{
	uint64_t v = (uint64_t)((q->size - 1u) & VMX_IO_QUAL_SIZE_MASK);

	if (q->in)
		v |= VMX_IO_QUAL_IN;
	if (q->string)
		v |= VMX_IO_QUAL_STRING;
	if (q->rep)
		v |= VMX_IO_QUAL_REP;
	if (q->imm)
		v |= VMX_IO_QUAL_IMMEDIATE;
	v |= (uint64_t)q->port << VMX_IO_QUAL_PORT_SHIFT;
	return v;
}

static inline void vmx_io_qual_decode(uint64_t qual, VmxIoQual *q)
{
	q->size = (uint8_t)((qual & VMX_IO_QUAL_SIZE_MASK) + 1);
	q->in = (qual & VMX_IO_QUAL_IN) != 0;
	q->string = (qual & VMX_IO_QUAL_STRING) != 0;
	q->rep = (qual & VMX_IO_QUAL_REP) != 0;
	q->imm = (qual & VMX_IO_QUAL_IMMEDIATE) != 0;
	q->port = (uint16_t)(qual >> VMX_IO_QUAL_PORT_SHIFT);
}

typedef struct VmxCrQual {
	uint8_t cr;          /* 0, 3, 4 or 8 */
	uint8_t access;      /* VMX_CR_ACCESS_MOV_TO/MOV_FROM/CLTS/LMSW */
	uint8_t gpr;         /* 0 RAX ... 15 R15 (MOV only) */
	bool lmsw_mem;       /* LMSW operand in memory */
	uint16_t lmsw_data;  /* LMSW source operand */
} VmxCrQual;

uint64_t vmx_cr_qual_encode(const VmxCrQual *q);
void vmx_cr_qual_decode(uint64_t qual, VmxCrQual *q);

typedef struct VmxDrQual {
	uint8_t dr;          /* 0-7 */
	bool from_dr;        /* MOV from DR (true) or to DR */
	uint8_t gpr;         /* 0 RAX ... 15 R15 */
} VmxDrQual;

uint64_t vmx_dr_qual_encode(const VmxDrQual *q);
void vmx_dr_qual_decode(uint64_t qual, VmxDrQual *q);

/* Interruption information with the valid bit set. */
uint32_t vmx_intr_info_encode(uint8_t vector, uint8_t type, bool has_error_code);

/* Splits `info`; any out-pointer may be NULL. Returns the valid bit (the
 * other outputs are filled either way). Inline: every VM entry asks. */
static inline bool vmx_intr_info_decode(uint32_t info, uint8_t *vector, uint8_t *type, bool *has_error_code)
{
	if (vector != NULL)
		*vector = (uint8_t)(info & VMX_INTR_INFO_VECTOR_MASK);
	if (type != NULL)
		*type = (uint8_t)((info >> VMX_INTR_INFO_TYPE_SHIFT) & VMX_INTR_INFO_TYPE_MASK);
	if (has_error_code != NULL)
		*has_error_code = (info & VMX_INTR_INFO_ERROR_CODE) != 0;
	return (info & VMX_INTR_INFO_VALID) != 0;
}

/* "external interrupt", "NMI", "hardware exception", ...; "reserved" for 1. */
const char *vmx_intr_type_name(uint8_t type);

/* ==== The exit record every backend returns ============================== */

typedef struct VmxExit {
	uint32_t reason;          /* full exit-reason field: basic in 15:0, bit 31 entry failure */
	uint64_t qualification;
	uint32_t instruction_length;
	uint64_t guest_rip;       /* RIP of the exiting instruction */
	uint64_t guest_linear_address;
	uint64_t guest_physical_address;
	uint32_t intr_info;       /* VM-exit interruption information (exceptions) */
	uint32_t intr_error_code;
} VmxExit;

static inline uint16_t vmx_exit_basic(const VmxExit *e)
{
	return (uint16_t)(e->reason & VMX_EXIT_REASON_BASIC_MASK);
}

static inline bool vmx_exit_is_entry_failure(const VmxExit *e)
{
	return (e->reason & VMX_EXIT_REASON_ENTRY_FAILURE) != 0;
}

/* What the processor does to the VMCS on VM exit: stores the record into the
 * exit-information fields and GUEST_RIP, and clears the IDT-vectoring
 * information (the model's exits never interrupt an event delivery). */
void vmx_exit_record(VmxVmcs *vmcs, const VmxExit *exit);

/* The guest state a VM exit saves into the guest-state area besides RIP
 * (which vmx_exit_record writes): the part the model keeps. Slots are
 * looked up once, as for the exit record: this runs on every exit. */
typedef struct VmxGuestState {
	uint64_t rsp, rflags, cr0, cr3, cr4;
	uint64_t cs, ss;             /* selectors */
} VmxGuestState;
void vmx_guest_state_save(VmxVmcs *vmcs, const VmxGuestState *g);

/* The hypervisor's side: the VMREADs an exit handler does first. */
void vmx_exit_load(const VmxVmcs *vmcs, VmxExit *exit);

/* ==== Event injection ====================================================
 * To make the guest take an interrupt or exception, the hypervisor writes
 * VM-entry interruption information; the next VM entry delivers the event
 * through the guest IDT as if it had happened in the guest. */

/* Writes VM_ENTRY_INTR_INFO_FIELD (valid), the error code when has_error,
 * and the instruction length for software interrupts/exceptions (types 4,
 * 5, 6), which the delivery pushes as the return address offset. */
void vmx_inject_event(VmxVmcs *vmcs, uint8_t vector, uint8_t type, bool has_error,
                      uint32_t error_code, uint32_t insn_len);

/* The vector the next VM entry will inject, or -1 when none is pending
 * (the field is left as it is). */
int vmx_peek_injected_vector(const VmxVmcs *vmcs);

/* VM entry's side: if an event is pending, returns true with its details
 * (any out-pointer may be NULL; error_code is 0 without one) and clears the
 * valid bit, so each injection is delivered exactly once. */
bool vmx_take_injected_event(VmxVmcs *vmcs, uint8_t *vector, uint8_t *type,
                             bool *has_error, uint32_t *error_code);

#endif /* HVSIM_VMX_H */
