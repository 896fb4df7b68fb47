/* vmbus-synic.h — what the parent's VMBus server and the child's VMBus
 * client share: SINT 2 of their SynIC (messages in its SIM slot, channel
 * signals in its SIEF flags), posting and signalling hypercalls.
 * Guest ring 0, freestanding. */
#ifndef GUEST_KERNEL_VMBUS_SYNIC_H
#define GUEST_KERNEL_VMBUS_SYNIC_H

#include "hyperv.h"
#include "vmbus-channel.h"
#include "vmbus-ring.h"

/* Points SINT 2 (HVSIM_VMBUS_SINT) at HVSIM_VECTOR_VMBUS, turns on the
 * SIEF page `siefp` and, if `simp` is not NULL, the SIM page (the parent's
 * VID driver already owns one), then the SynIC. False (after a line saying
 * why) if this partition may not use the SynIC MSRs. */
bool vmbus_synic_enable(const struct hv_info *hv, uint8_t *simp, uint8_t *siefp);

/* Takes the message in SINT 2's slot of `simp`, if there is one: copies it
 * to *out, frees the slot, and writes EOM if more are queued behind it. */
bool vmbus_synic_take_message(uint8_t *simp, struct hv_message *out);

/* Test-and-clear SIEF flag `flag` of SINT 2 (a locked bit operation: the
 * hypervisor sets flags while we clear them). */
bool vmbus_synic_take_event(uint8_t *siefp, unsigned flag);

/* HvCallPostMessage of one VMBus control message (type
 * VMBUS_POST_MESSAGE_TYPE) through connection `conn`, built in `page` (a
 * page-aligned parameter page of the caller's own). Returns HV_STATUS_*. */
uint16_t vmbus_synic_post(uint8_t *page, uint32_t conn, const void *msg, uint32_t len);

/* The same hypercall with payload_size = `len` as given, even above
 * HV_MESSAGE_PAYLOAD_MAX (at most that many bytes are copied): the hostile
 * child's oversized message, which the hypervisor itself must refuse. */
uint16_t vmbus_synic_post_unchecked(uint8_t *page, uint32_t conn, const void *msg, uint32_t len);

/* HvCallSignalEvent, fast form: RDX = connection | flag << 32 (facts §3.6). */
uint16_t vmbus_synic_signal(uint32_t conn, uint16_t flag);

/* One end's protocol state: the connection, and each channel once it was
 * offered (in offer order; a later offer beyond VMBUS_END_CHANNELS is
 * refused as VMBUS_MSG_ERR_RELID). */
#define VMBUS_END_CHANNELS 2u

struct vmbus_end_channel {
	uint32_t relid;
	enum vmbus_chan_state state;
};

/* GPADLs announced on the connection (GPADL_HEADER) and not yet torn
 * down or refused: GPADL_BODY and GPADL_TORNDOWN name a GPADL id only, and
 * reach their channel's state machine through this table. */
#define VMBUS_END_GPADLS 4u

struct vmbus_end_gpadl {
	uint32_t id;                 /* 0: free */
	uint32_t relid;
};

struct vmbus_end {
	enum vmbus_conn_state conn;
	unsigned n_chans;
	struct vmbus_end_channel chans[VMBUS_END_CHANNELS];
	struct vmbus_end_gpadl gpadls[VMBUS_END_GPADLS];
};

/* Moves `e` by one message, received or sent (both directions go through
 * the same machines, vmbus-channel.h): validation, then the connection,
 * then, for a channel message, the channel it names (only offered relids
 * exist; GPADL_BODY/TORNDOWN: the channel of their GPADL). An OFFERCHANNEL
 * creates a channel, a GPADL_HEADER a GPADL; a failed GPADL_CREATED or a
 * GPADL_TORNDOWN ends the GPADL, UNLOAD_RESPONSE ends every channel and
 * GPADL of the connection. `e` changes only on OK; a GPADL_BODY/TORNDOWN
 * naming no GPADL, like a relid never offered, is VMBUS_MSG_ERR_RELID. */
enum vmbus_msg_status vmbus_end_step(struct vmbus_end *e, const void *msg, size_t len);

/* The GPADL record `id` of `e`, or NULL. */
struct vmbus_end_gpadl *vmbus_end_gpadl(struct vmbus_end *e, uint32_t id);

/* The channel `relid` of `e`, or NULL if it was never offered. */
struct vmbus_end_channel *vmbus_end_channel(struct vmbus_end *e, uint32_t relid);

/* A message name for lines: "INITIATE_CONTACT", or "UNKNOWN". */
const char *vmbus_synic_msg_name(const void *msg, size_t len);

/* Vector HVSIM_VECTOR_VMBUS (trap_dispatch), IF = 0: the server's or the
 * client's handler, whichever this kernel runs. */
void vmbus_interrupt(void);
void vmbus_server_interrupt(void);
void vmbus_client_interrupt(void);

/* Which side this kernel plays (set by the init functions). */
enum vmbus_role { VMBUS_ROLE_NONE, VMBUS_ROLE_SERVER, VMBUS_ROLE_CLIENT };
extern enum vmbus_role vmbus_role;

#endif /* GUEST_KERNEL_VMBUS_SYNIC_H */
