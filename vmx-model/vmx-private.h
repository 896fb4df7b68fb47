/* vmx-private.h — internals shared by the vmx-model sources; not installed,
 * not for other modules. Sim thread, pure model. */
#ifndef HVSIM_VMX_PRIVATE_H
#define HVSIM_VMX_PRIVATE_H

#include "vmx.h"

/* On the path every VM exit takes: placed with the simulator's hot code
 * (sim-event.h, SIM_HOT). */
#define VMX_HOT __attribute__((hot))

#define VMX_ENC_WIDTH_OF(enc) (((enc) >> VMX_ENC_WIDTH_SHIFT) & VMX_ENC_WIDTH_MASK)
#define VMX_ENC_TYPE_OF(enc)  (((enc) >> VMX_ENC_TYPE_SHIFT) & VMX_ENC_TYPE_MASK)

/* Encodings are 15-bit numbers: the encoding-to-slot table's size. */
#define VMX_ENCODING_SPACE 0x8000u
extern const int16_t vmx_slot_plus_one[VMX_ENCODING_SPACE];   /* vmx-fields.c */

/* Position of a known field (full access encoding, bit 0 clear) in the field
 * table, which is also its slot in a VmxVmcs; -1 if the model does not know
 * the encoding. One table load: the exit path calls this many times per exit. */
static inline long vmx_field_index(uint32_t enc)
{
	return enc < VMX_ENCODING_SPACE ? (long)vmx_slot_plus_one[enc] - 1 : -1;
}

/* Room for the field table's rows in a VmxVmcs (vmx-fields.c checks the
 * table fits at compile time). */
#define VMX_MAX_FIELDS 160u

/* The primary processor-based execution controls (vmx-vmcs.c): read on
 * every I/O exit, from a slot looked up once. */
uint32_t vmx_vmcs_proc_controls(const VmxVmcs *vmcs);

#endif /* HVSIM_VMX_PRIVATE_H */
