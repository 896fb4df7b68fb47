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

/* ---- The call table (hv-hypercall.c; handlers also in hv-port.c) ---------- */
typedef struct HvCallCtx {
	SimVp *vp;
	const HvControl *ctl;
	const guint8 *in;      /* input block, or the 16 bytes of RDX:R8 for fast calls */
	guint8 *out;           /* output block, written back to the guest on return */
	uint16_t reps_done;    /* absolute: the index of the first rep not completed */
} HvCallCtx;

typedef uint16_t (*HvCallFunc)(HvCallCtx *ctx);

#define HVC_REP     (1u << 0)   /* a rep call: rep count must be > 0 */
#define HVC_FAST    (1u << 1)   /* may be issued in the register (fast) form */
#define HVC_MEMORY  (1u << 2)   /* may be issued in the memory form */

typedef struct HvCallDef {
	uint16_t code;
	uint32_t flags;
	uint64_t privilege;        /* partition privilege needed: the 0x40000003 mask as EBX << 32 | EAX
	                            * (facts §1.3), so hypercall rights sit in the upper half */
	uint16_t in_header, in_rep; /* bytes of input: header + rep_count * element */
	uint16_t out_header, out_rep;
	HvCallFunc func;
} HvCallDef;

/* Handles a VMCALL exit: decode, check, dispatch, write RAX. */
SimExitAction sim_hv_hypercall(SimVp *vp, SimExit *exit);

#endif
