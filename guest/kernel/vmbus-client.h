/* vmbus-client.h — the child's VMBus client (our vmbus.sys guest side):
 * the control handshake, the offers, and channel primitives for the VSCs
 * (a heartbeat ping here, storvsc.c). Guest ring 0, freestanding; child
 * partitions only. */
#ifndef GUEST_KERNEL_VMBUS_CLIENT_H
#define GUEST_KERNEL_VMBUS_CLIENT_H

#include "hyperv.h"
#include "vmbus-proto.h"
#include "vmbus-ring.h"

/* Each ring of a channel: one control page and two data pages; upstream
 * (to the parent) first, downstream from this page (OPENCHANNEL's
 * offset). */
#define VMBUS_CLIENT_RING_PAGES 3u
/* The storage channel's rings are bigger: 16 pages each, so its GPADL (32
 * pages) does not fit in one GPADL_HEADER (VMBUS_GPADL_HEADER_MAX_PFNS)
 * and goes out as a header and a GPADL_BODY (facts §5.4). */
#define VMBUS_CLIENT_STORAGE_RING_PAGES 16u
/* offset8 of a plain in-band packet: the payload follows the descriptor. */
#define VMBUS_CLIENT_INBAND_OFFSET8 ((uint16_t)(sizeof(struct vmbus_packet_desc) / 8u))

/* One offered channel, as a VSC uses it. */
struct vmbus_client_channel {
	struct vmbus_msg_offer_channel offer;
	uint8_t *rings;              /* 2 * ring_pages pages of our RAM */
	uint32_t ring_pages;         /* pages of each ring */
	uint32_t gpadl;              /* the ring GPADL's id (a new one each open) */
	bool open;
	struct vmbus_ring send, recv;
};

/* The whole handshake (facts §5.5) with the parent, every offer seen, the
 * heartbeat channel opened and one ping sent and completed; with
 * `storage`, the SCSI channel opened and storvsc initialized too. Prints a
 * line or two; returns whether every step worked. Needs hypercalls;
 * IF = 0 on entry and exit. */
bool vmbus_client_run(const struct hv_info *hv, bool storage);

/* GPADL over ch->rings (header, and GPADL_BODY messages when the pages do
 * not fit in it) and OPENCHANNEL (§5.5 steps 6-9). */
bool vmbus_client_open(struct vmbus_client_channel *ch);
/* CLOSECHANNEL, then GPADL_TEARDOWN of the ring GPADL and its
 * GPADL_TORNDOWN (§5.5 tear-down). */
bool vmbus_client_close(struct vmbus_client_channel *ch);
/* Before power-off: every open channel closed (as above), then UNLOAD and
 * its UNLOAD_RESPONSE. One line. Nothing if VMBus never came up. */
bool vmbus_client_unload(void);
/* HVSIM_BOOT_FLAG_VMBUS_HOSTILE (after vmbus_client_run with storage):
 * the child misbehaves on the storage channel and the control connection
 * (hvsim-platform.h lists the cases), re-opening the channel after each
 * ring it corrupted, then unloads, contacts the parent again and re-opens
 * the storage channel for the workload. One line per case. False if the
 * storage channel could not be brought back. */
bool vmbus_client_hostile(void);
/* Writes one packet (completion requested) and signals the parent if the
 * ring library says so (empty -> non-empty). False after a line. */
bool vmbus_client_send(struct vmbus_client_channel *ch, uint16_t type, uint16_t offset8,
		       uint64_t trans_id, const struct vmbus_ring_iovec *iov, unsigned iov_count);
/* The next packet from the parent on `ch` into buf, sleeping (HLT) until
 * its signal; IF = 0 on entry and exit. False after a line if none comes
 * or the ring is corrupt. */
bool vmbus_client_receive(struct vmbus_client_channel *ch, struct vmbus_packet_info *info,
			  void *buf, size_t buf_size);

#endif /* GUEST_KERNEL_VMBUS_CLIENT_H */
