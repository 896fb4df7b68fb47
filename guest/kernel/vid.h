/* vid.h — the VID driver: partition management on behalf of ring 3.
 * Guest ring 0, freestanding. */
#ifndef GUEST_KERNEL_VID_H
#define GUEST_KERNEL_VID_H

#include "hyperv.h"

/* Arms the driver if this kernel may manage partitions: hypercalls enabled
 * and the CreatePartitions right (CPUID 0x40000003 EBX bit 0). Returns
 * whether it did; until then every request is refused. */
bool vid_init(const struct hv_info *hv);
/* HVSIM_SYS_VID (syscall.c): RDI = operation, RSI = partition id, RDX =
 * the operation's argument (a number or a ring 3 pointer). */
uint64_t vid_syscall(uint64_t op, uint64_t partition_id, uint64_t arg);
/* Our VP's SIM page (the driver enabled it for SINT 0), so the VMBus server
 * can read SINT 2's slot; NULL if the SynIC is not set up. */
uint8_t *vid_sim_page(void);

#endif /* GUEST_KERNEL_VID_H */
