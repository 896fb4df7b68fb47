/* vmbus-channel.h — VMBus control messages: validation by type, and the
 * state machines of the connection and of each channel that both sides
 * follow. Plain C17, no libc: the simulator's VMBus server (hosted) and the
 * guest's VMBus client (ring 0, freestanding) share it.
 *
 * Messages come from the other partition and are HOSTILE: validate first
 * (vmbus_msg_validate), then ask the state machine whether the message is
 * legal now (vmbus_conn_step / vmbus_channel_step). Both return a status
 * naming what was wrong and never read beyond the length given. */
#ifndef HVSIM_VMBUS_CHANNEL_H
#define HVSIM_VMBUS_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmbus-proto.h"

enum vmbus_msg_status {
	VMBUS_MSG_OK = 0,
	VMBUS_MSG_ERR_ARGUMENT,        /* NULL message */
	VMBUS_MSG_ERR_SHORT,           /* shorter than its type's fixed layout */
	VMBUS_MSG_ERR_TOO_LONG,        /* longer than a SynIC message payload (240) */
	VMBUS_MSG_ERR_UNKNOWN_TYPE,    /* msgtype 0 or not modelled */
	VMBUS_MSG_ERR_RELID,           /* child_relid 0 or above VMBUS_MAX_RELID */
	VMBUS_MSG_ERR_CONNECTION_STATE,/* VERSION_RESPONSE connection_state not 0..2 */
	VMBUS_MSG_ERR_MONITOR_PAGES,   /* INITIATE_CONTACT gives one monitor page only */
	VMBUS_MSG_ERR_GPADL_RANGES,    /* GPADL_HEADER range count/lengths inconsistent */
	VMBUS_MSG_ERR_GPADL_PFNS,      /* PFN array not a whole number of u64s */
	VMBUS_MSG_ERR_RING_OFFSET,     /* OPENCHANNEL downstream ring offset < 2 pages */
	VMBUS_MSG_ERR_ILLEGAL_IN_STATE,/* valid message, wrong time */
	VMBUS_MSG_ERR_NOT_CHANNEL_MSG, /* a connection-level message given to a channel */
	VMBUS_MSG_ERR_NOT_CONN_MSG,    /* a channel message given to the connection */
	VMBUS_MSG_STATUS_COUNT
};

const char *vmbus_msg_status_name(enum vmbus_msg_status status);
const char *vmbus_msgtype_name(uint32_t msgtype);

/* Smallest length of a message of this type (its fixed layout), 0 if the
 * type is not modelled. */
size_t vmbus_msg_min_size(uint32_t msgtype);

/* Check length and fields of one control message of len bytes. */
enum vmbus_msg_status vmbus_msg_validate(const void *msg, size_t len);

/* The channel a validated message addresses, if it names one by relid
 * (GPADL_BODY and GPADL_TORNDOWN name a GPADL id only). */
bool vmbus_msg_channel_relid(const void *msg, size_t len, uint32_t *relid);

/* --- Connection (§5.5 steps 2-5, UNLOAD) ---------------------------------
 *
 *   DISCONNECTED --INITIATE_CONTACT--> CONTACTING
 *   CONTACTING --VERSION_RESPONSE(accepted)--> CONNECTED
 *              --VERSION_RESPONSE(rejected)--> DISCONNECTED (retry lower)
 *   CONNECTED --REQUESTOFFERS--> REQUESTED
 *   REQUESTED --OFFERCHANNEL--> REQUESTED   (one per device)
 *             --ALLOFFERS_DELIVERED--> READY
 *   READY --OFFERCHANNEL--> READY           (hot-add)
 *   CONNECTED, REQUESTED, READY --UNLOAD--> UNLOADING
 *   UNLOADING --UNLOAD_RESPONSE--> DISCONNECTED
 * Channel messages are legal on the connection only in READY (and
 * RESCIND in REQUESTED too); vmbus_conn_step reports them as
 * NOT_CONN_MSG so the caller hands them to the channel. */
enum vmbus_conn_state {
	VMBUS_CONN_DISCONNECTED = 0,
	VMBUS_CONN_CONTACTING,
	VMBUS_CONN_CONNECTED,
	VMBUS_CONN_REQUESTED,
	VMBUS_CONN_READY,
	VMBUS_CONN_UNLOADING,
	VMBUS_CONN_STATE_COUNT
};

const char *vmbus_conn_state_name(enum vmbus_conn_state state);
/* Validate msg and apply it to *state; *state changes only on OK. */
enum vmbus_msg_status vmbus_conn_step(enum vmbus_conn_state *state,
				      const void *msg, size_t len);

/* --- Channel (§5.5 steps 6-9, tear-down, rescind) -------------------------
 *
 *   (OFFERCHANNEL creates the channel in OFFERED)
 *   OFFERED --GPADL_HEADER--> GPADL
 *   GPADL   --GPADL_HEADER/BODY/CREATED/TEARDOWN/TORNDOWN--> GPADL
 *           --OPENCHANNEL--> OPENING
 *   OPENING --OPENCHANNEL_RESULT(0)--> OPEN
 *           --OPENCHANNEL_RESULT(!=0)--> GPADL
 *           --GPADL_BODY/CREATED--> OPENING
 *   OPEN    --GPADL_*--> OPEN  (extra buffers, e.g. receive areas)
 *           --CLOSECHANNEL--> CLOSING
 *   CLOSING --GPADL_TEARDOWN/TORNDOWN--> CLOSING
 *           --GPADL_HEADER/BODY/CREATED--> GPADL, --OPENCHANNEL--> OPENING
 *           (a closed channel may be opened again)
 *   any but CLOSED --RESCIND_CHANNELOFFER--> CLOSED
 *   CLOSED  --CLOSECHANNEL/GPADL_TEARDOWN/TORNDOWN/RELID_RELEASED--> CLOSED
 *           (the guest cleans up after a rescind, then releases the relid)
 * GPADL bookkeeping (which ids exist) belongs to the caller. */
enum vmbus_chan_state {
	VMBUS_CHAN_OFFERED = 0,
	VMBUS_CHAN_GPADL,
	VMBUS_CHAN_OPENING,
	VMBUS_CHAN_OPEN,
	VMBUS_CHAN_CLOSING,
	VMBUS_CHAN_CLOSED,
	VMBUS_CHAN_STATE_COUNT
};

const char *vmbus_chan_state_name(enum vmbus_chan_state state);
/* Is a message of this type legal for a channel in this state? */
bool vmbus_chan_legal(enum vmbus_chan_state state, uint32_t msgtype);
/* Validate msg and apply it to *state; *state changes only on OK. */
enum vmbus_msg_status vmbus_channel_step(enum vmbus_chan_state *state,
					 const void *msg, size_t len);

#endif /* HVSIM_VMBUS_CHANNEL_H */
