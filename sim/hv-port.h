/* hv-port.h — the port, connection, message and event hypercalls
 * (hv-port.c), called from the table in hv-hypercall.c, which has already
 * checked the caller's right, the form and the input block. Sim thread. */
#ifndef HVSIM_HV_PORT_H
#define HVSIM_HV_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "hv-hypercall.h"

/* Bit 31 of HV_MESSAGE_TYPE: the types the hypervisor itself sends
 * (timers, intercepts); a guest may not post them (facts §3.6, §4.6).
 * (Belongs in abi/hv-tlfs.h next to the HVMSG_* values.) */
#define HV_MESSAGE_TYPE_HYPERVISOR 0x80000000u

/* Model limits: ports a partition may own and connections it may hold.
 * Past them CreatePort / ConnectPort return HV_STATUS_NO_RESOURCES. */
#define SIM_PORT_MAX       64u
#define SIM_CONNECTION_MAX 64u

uint16_t sim_hv_call_create_port(HvCallCtx *ctx);
uint16_t sim_hv_call_connect_port(HvCallCtx *ctx);
uint16_t sim_hv_call_post_message(HvCallCtx *ctx);
uint16_t sim_hv_call_signal_event(HvCallCtx *ctx);

/* HvCallDeletePort (0x0058) and HvCallDisconnectPort (0x005B). */

uint16_t sim_hv_call_delete_port(HvCallCtx *ctx);
/* FinalizePartition's part (facts §3.7): deletes every port of `p` (as
 * DeletePort does: queued messages freed, connections to them dangling)
 * and every connection it holds. */
void sim_ports_teardown(SimPartition *p);
uint16_t sim_hv_call_disconnect_port(HvCallCtx *ctx);

/* ---- SynIC services the ports use (hv-synic.c) ------------------------------ */
/* Why SINTn of `vp` cannot take a posted message now (SynIC off, SIM page
 * off, SINT masked), or NULL if it can. */
const char *sim_synic_message_blocker(SimVp *vp, unsigned sint);
/* Guest-posted messages from port `port_id` waiting in SINTn's queue: the
 * port's buffers in flight on this VP. */
unsigned sim_synic_queued_from_port(SimVp *vp, unsigned sint, uint32_t port_id);
/* Removes port `port_id`'s guest-posted messages from SINTn's queue (its
 * buffers die with it); the others keep their order. Returns how many. */
unsigned sim_synic_drop_from_port(SimVp *vp, unsigned sint, uint32_t port_id);
/* Why SINTn of `vp` cannot take an event flag now (SynIC off, SIEF page
 * off, SINT masked), or NULL if it can. */
const char *sim_synic_event_blocker(SimVp *vp, unsigned sint);
/* Sets event flag `flag` (< 2048) of SINTn in the SIEF page; only if it was
 * clear, raises the SINT's vector and returns true. The caller has checked
 * sim_synic_event_blocker(). */
bool sim_synic_set_event_flag(SimVp *vp, unsigned sint, unsigned flag);

#endif
