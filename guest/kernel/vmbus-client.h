/* vmbus-client.h — the child's VMBus client (our vmbus.sys guest side plus
 * one tiny VSC). Guest ring 0, freestanding; child partitions only. */
#ifndef GUEST_KERNEL_VMBUS_CLIENT_H
#define GUEST_KERNEL_VMBUS_CLIENT_H

#include "hyperv.h"

/* The whole handshake (facts §5.5) with the parent, one channel opened, one
 * packet sent and its completion read. Prints a line or two; returns
 * whether every step worked. Needs hypercalls; IF = 0 on entry and exit. */
bool vmbus_client_run(const struct hv_info *hv);

#endif /* GUEST_KERNEL_VMBUS_CLIENT_H */
