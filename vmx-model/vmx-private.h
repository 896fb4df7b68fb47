/* vmx-private.h — internals shared by the vmx-model sources; not installed,
 * not for other modules. Sim thread, pure model. */
#ifndef HVSIM_VMX_PRIVATE_H
#define HVSIM_VMX_PRIVATE_H

#include "vmx.h"

/* Position of a known field (full access encoding, bit 0 clear) in the field
 * table, which is also its slot in a VmxVmcs; -1 if the model does not know
 * the encoding. Binary search: the table is sorted by encoding. */
long vmx_field_index(uint32_t enc);

#endif /* HVSIM_VMX_PRIVATE_H */
