/* vmx-qual.c — exit qualifications and interruption information, packed and
 * unpacked. The exit reason says *what* happened; these say *which* port,
 * register or vector. Sim thread, pure model. */
#include "vmx-private.h"

/* The I/O qualification (reason 30) is packed and unpacked inline in
 * vmx.h: every port exit does both. */

/* ---- Control-register access qualification (reason 28) -------------------
 *   3:0   CR number
 *   5:4   access type: 0 MOV to CR, 1 MOV from CR, 2 CLTS, 3 LMSW
 *   6     LMSW operand: 0 register, 1 memory
 *   11:8  general-purpose register of a MOV (0 RAX ... 15 R15)
 *   31:16 LMSW source data */

uint64_t vmx_cr_qual_encode(const VmxCrQual *q)
{
	uint64_t v = q->cr & VMX_CR_QUAL_CR_MASK;

	v |= (uint64_t)(q->access & 3u) << VMX_CR_QUAL_ACCESS_SHIFT;
	if (q->lmsw_mem)
		v |= VMX_CR_QUAL_LMSW_MEMORY;
	v |= (uint64_t)(q->gpr & 0xFu) << VMX_CR_QUAL_GPR_SHIFT;
	v |= (uint64_t)q->lmsw_data << VMX_CR_QUAL_LMSW_SHIFT;
	return v;
}

void vmx_cr_qual_decode(uint64_t qual, VmxCrQual *q)
{
	q->cr = (uint8_t)(qual & VMX_CR_QUAL_CR_MASK);
	q->access = (uint8_t)((qual >> VMX_CR_QUAL_ACCESS_SHIFT) & 3u);
	q->lmsw_mem = (qual & VMX_CR_QUAL_LMSW_MEMORY) != 0;
	q->gpr = (uint8_t)((qual >> VMX_CR_QUAL_GPR_SHIFT) & 0xFu);
	q->lmsw_data = (uint16_t)(qual >> VMX_CR_QUAL_LMSW_SHIFT);
}

/* ---- MOV DR qualification (reason 29) -------------------------------------
 *   2:0   debug register number
 *   4     direction: 0 MOV to DR, 1 MOV from DR
 *   11:8  general-purpose register */

uint64_t vmx_dr_qual_encode(const VmxDrQual *q)
{
	uint64_t v = q->dr & VMX_DR_QUAL_DR_MASK;

	if (q->from_dr)
		v |= VMX_DR_QUAL_FROM_DR;
	v |= (uint64_t)(q->gpr & 0xFu) << VMX_DR_QUAL_GPR_SHIFT;
	return v;
}

void vmx_dr_qual_decode(uint64_t qual, VmxDrQual *q)
{
	q->dr = (uint8_t)(qual & VMX_DR_QUAL_DR_MASK);
	q->from_dr = (qual & VMX_DR_QUAL_FROM_DR) != 0;
	q->gpr = (uint8_t)((qual >> VMX_DR_QUAL_GPR_SHIFT) & 0xFu);
}

/* ---- Interruption information ----------------------------------------------
 *   7:0   vector
 *   10:8  type (VMX_INTR_TYPE_*)
 *   11    error code valid / deliver error code
 *   12    NMI unblocking due to IRET (exit information only)
 *   31    valid
 * The same format in three places: what to inject at entry, what caused an
 * exception exit, and what was being delivered when an exit interrupted an
 * event (IDT vectoring). */

uint32_t vmx_intr_info_encode(uint8_t vector, uint8_t type, bool has_error_code)
{
	uint32_t v = vector;

	v |= (uint32_t)(type & VMX_INTR_INFO_TYPE_MASK) << VMX_INTR_INFO_TYPE_SHIFT;
	if (has_error_code)
		v |= VMX_INTR_INFO_ERROR_CODE;
	return v | VMX_INTR_INFO_VALID;
}

/* (Unpacking is inline in vmx.h: every VM entry does it.) */

const char *vmx_intr_type_name(uint8_t type)
{
	static const char *const names[] = {
		[VMX_INTR_TYPE_EXTERNAL] = "external interrupt",
		[1] = "reserved",
		[VMX_INTR_TYPE_NMI] = "NMI",
		[VMX_INTR_TYPE_HARD_EXCEPTION] = "hardware exception",
		[VMX_INTR_TYPE_SOFT_INTR] = "software interrupt",
		[VMX_INTR_TYPE_PRIV_SW_EXCEPTION] = "privileged software exception",
		[VMX_INTR_TYPE_SOFT_EXCEPTION] = "software exception",
		[VMX_INTR_TYPE_OTHER] = "other event",
	};

	return type < sizeof names / sizeof names[0] ? names[type] : "invalid";
}
