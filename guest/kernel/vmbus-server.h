/* vmbus-server.h — the parent's VMBus server (our vmbus.sys root side plus
 * one tiny VSP). Guest ring 0, freestanding; root partition only. */
#ifndef GUEST_KERNEL_VMBUS_SERVER_H
#define GUEST_KERNEL_VMBUS_SERVER_H

#include "hyperv.h"

/* SINT 2 and the SIEF page of our VP 0 (the SIM page is the VID driver's).
 * After vid_init; false (with a line) if the SynIC is not ours to use. */
bool vmbus_server_init(const struct hv_info *hv);
/* VID VMBUS_START: serve child `id`, whose RAM is our [base, base + bytes)
 * (child GPA 0 at base). One child at a time. */
bool vmbus_server_attach(uint64_t id, uint64_t base, uint64_t bytes);
/* Finalize/delete of child `id`: forget it (and its ring pages). */
void vmbus_server_detach(uint64_t id);

#endif /* GUEST_KERNEL_VMBUS_SERVER_H */
