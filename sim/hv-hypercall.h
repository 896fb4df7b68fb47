/* hv-hypercall.h — the hypercall interface of the modelled hypervisor:
 * decoding of the TLFS x64 calling convention and the table of calls.
 * Sim thread, ring -1. */
#ifndef HVSIM_HV_HYPERCALL_H
#define HVSIM_HV_HYPERCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "sim-private.h"

/* The decoded hypercall input value (RCX), facts §3.2. */
typedef struct HvControl {
	uint16_t code;
	bool fast;
	uint16_t varhead_qwords;
	uint16_t rep_count;
	uint16_t rep_start;
	bool reserved_set;   /* any RsvdZ bit or the nested bit is set */
} HvControl;

void hv_control_decode(uint64_t rcx, HvControl *out);
uint64_t hv_control_encode(const HvControl *c);

/* Where a memory-based input or output block may lie: 8-byte aligned,
 * within one page, entirely inside the partition. Returns HV_STATUS_*. */
uint16_t hv_check_block(const SimMemory *mem, uint64_t gpa, uint64_t len);

/* Handles a VMCALL exit: decode, check, dispatch, write RAX. */
SimExitAction sim_hv_hypercall(SimVp *vp, SimExit *exit);

#endif
