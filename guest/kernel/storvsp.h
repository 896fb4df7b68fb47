/* storvsp.h — the parent's storage VSP: serves the vstor protocol (facts
 * §7.4) on a child's storage channel, backed by a fixed region of the
 * parent's own disk. Guest ring 0, freestanding; root partition only,
 * called by the VMBus server (vmbus-server.c) from its interrupt handler. */
#ifndef GUEST_KERNEL_STORVSP_H
#define GUEST_KERNEL_STORVSP_H

#include "kernel.h"
#include "vmbus-ring.h"

/* Where the child is in the initialization sequence (openvmm's machine:
 * Begin -> QueryVersion -> QueryProperties -> EndInitialization -> Ready). */
enum storvsp_state {
	STORVSP_WAIT_BEGIN = 0,
	STORVSP_WAIT_VERSION,
	STORVSP_WAIT_PROPERTIES,
	STORVSP_WAIT_END,
	STORVSP_READY,
};

/* One child's storage device. */
struct storvsp {
	uint64_t child;              /* partition id, for lines */
	uint64_t base, bytes;        /* the child's RAM in ours: child GPA g at base + g */
	enum storvsp_state state;
	uint64_t requests;           /* packets answered */
	uint64_t refused;            /* ... with an error status */
	uint64_t sectors_read, sectors_written;
};

/* A new device for child `child` whose RAM is our [base, base + bytes). */
void storvsp_reset(struct storvsp *vsp, uint64_t child, uint64_t base, uint64_t bytes);

/* The channel was closed (CLOSECHANNEL, UNLOAD, or the child is gone):
 * a new open starts at BEGIN_INITIALIZATION again; the counters stay. */
void storvsp_close(struct storvsp *vsp);

/* Serves every packet waiting in `up` (the child's ring, read in place),
 * writing one completion per packet to `down`. *signal becomes true if
 * the ring library says the child must be signalled. False (after a line)
 * if `up` is corrupt: the caller stops reading the channel. */
bool storvsp_serve(struct storvsp *vsp, struct vmbus_ring *up, struct vmbus_ring *down,
		   bool *signal);

#endif /* GUEST_KERNEL_STORVSP_H */
