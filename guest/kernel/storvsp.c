/* storvsp.c — the parent's storage VSP (our storvsp.sys): the host side of
 * the vstor protocol (facts §7.4) on the child's storage channel. Guest
 * ring 0, freestanding, root partition only; runs in the VMBus server's
 * interrupt handler (IF = 0), so the ATA driver it calls is never entered
 * twice.
 *
 * The child's disk is HVSIM_STORVSP_DISK_SECTORS sectors of our own disk
 * from HVSIM_STORVSP_DISK_BASE_LBA: a READ(10) of child LBA n is an ATA
 * read of our LBA base + n into a bounce buffer, then a copy into the
 * child's pages named by the packet's GPA-direct range. No intercept, no
 * worker process: the child's request costs one signal each way.
 *
 * Everything in a packet is the child's and hostile. Each packet is copied
 * out of the ring by the library (which checked len8 and offset8), then
 * this file checks the packet type, the payload length, the GPA-direct
 * header (one range, its byte offset and count, exactly the PFNs that
 * cover it, every PFN inside the child's RAM), the vstor operation against
 * the initialization state, the SRB (LUN, CDB length, opcode, direction,
 * transfer length) and the LBA range against the child's region. Anything
 * else gets a completion with an error status and one line saying why; we
 * never read or write outside the child's RAM or its disk region. */
#include "storvsp.h"
#include "ata.h"
#include "vmbus-scsi.h"

/* Largest packet taken (descriptor, GPA-direct header with STOR_MAX_PFNS,
 * vstor packet: 16 + 8 + 8 + 33 * 8 + 64 = 360 bytes, rounded up). */
#define VSP_PACKET_MAX 512u
#define VSP_DESC_BYTES ((uint32_t)sizeof(struct vmbus_packet_desc))

/* Our side of one transfer: the ATA driver reads into it and writes from
 * it; the copy to or from the child's pages goes through the range. */
static uint8_t vsp_bounce[STOR_MAX_TRANSFER];

/* A packet taken apart: private copies only. */
struct vsp_request {
	const struct vmbus_packet_info *info;
	struct vstor_packet in;
	bool has_range;              /* a GPA-direct packet */
	struct stor_gpa_direct gpa;
	uint32_t pfns;
};

/* An answer in the making: the vstor status and the SRB's. */
struct vsp_answer {
	uint32_t status;
	uint8_t srb_status, scsi_status;
	uint32_t transferred;
	const char *why;             /* NULL on success */
};

void storvsp_reset(struct storvsp *vsp, uint64_t child, uint64_t base, uint64_t bytes)
{
	memset(vsp, 0, sizeof(*vsp));
	vsp->child = child;
	vsp->base = base;
	vsp->bytes = bytes;
	vsp->state = STORVSP_WAIT_BEGIN;
}

void storvsp_close(struct storvsp *vsp)
{
	vsp->state = STORVSP_WAIT_BEGIN;
}

/* Fills in a refusal; false, so a handler can `return vsp_refuse(...)`. */
static bool vsp_refuse(struct vsp_answer *a, uint32_t status, const char *why)
{
	a->status = status;
	a->srb_status = SRB_STATUS_INVALID_REQUEST;
	a->scsi_status = SCSI_STATUS_CHECK_CONDITION;
	a->why = why;
	return false;
}

/* The GPA-direct extra header of the packet in `pkt`: one range whose PFNs
 * are exactly the pages it covers, each inside the child's RAM. NULL if
 * good, else why not. */
static const char *vsp_parse_range(const struct storvsp *vsp, struct vsp_request *r,
				   const uint8_t *pkt)
{
	const struct vmbus_packet_info *info = r->info;
	uint32_t head = info->data_offset - VSP_DESC_BYTES;
	uint64_t end, pages;

	if (head < stor_gpa_direct_bytes(1))
		return "the GPA-direct header is shorter than one range with one page";
	memcpy(&r->gpa, pkt + VSP_DESC_BYTES, stor_gpa_direct_bytes(0));
	if (r->gpa.hdr.range_count != 1)
		return "not exactly one GPA range";
	if (r->gpa.range.byte_offset >= VMBUS_PAGE_SIZE)
		return "the range's byte offset is not inside its first page";
	if (r->gpa.range.byte_count == 0 || r->gpa.range.byte_count > STOR_MAX_TRANSFER)
		return "the range's byte count is 0 or above the largest transfer";
	end = (uint64_t)r->gpa.range.byte_offset + r->gpa.range.byte_count;
	pages = (end + VMBUS_PAGE_SIZE - 1) / VMBUS_PAGE_SIZE;
	if (head != stor_gpa_direct_bytes((uint32_t)pages))
		return "offset8 does not cover exactly the PFNs the range needs";
	memcpy(r->gpa.pfn, pkt + VSP_DESC_BYTES + stor_gpa_direct_bytes(0), pages * sizeof(uint64_t));
	r->pfns = (uint32_t)pages;
	for (uint32_t i = 0; i < r->pfns; i++)
		/* The check that keeps a child from making us read or write
		 * our own memory: every page inside the child's RAM. */
		if (r->gpa.pfn[i] >= vsp->bytes / VMBUS_PAGE_SIZE)
			return "a data PFN lies outside the child's RAM";
	r->has_range = true;
	return NULL;
}

/* Copies `len` bytes between the bounce buffer and the child's pages of
 * the (checked) range. */
static void vsp_copy(const struct storvsp *vsp, const struct vsp_request *r, uint32_t len,
		     bool to_child)
{
	for (uint32_t done = 0; done < len;) {
		uint32_t pos = r->gpa.range.byte_offset + done;
		uint32_t in_page = pos % VMBUS_PAGE_SIZE;
		uint32_t n = VMBUS_PAGE_SIZE - in_page;
		uint8_t *child = (uint8_t *)(uintptr_t)(vsp->base + r->gpa.pfn[pos / VMBUS_PAGE_SIZE] *
							VMBUS_PAGE_SIZE + in_page);

		if (n > len - done)
			n = len - done;
		if (to_child)
			memcpy(child, vsp_bounce + done, n);
		else
			memcpy(vsp_bounce + done, child, n);
		done += n;
	}
}

/* EXECUTE_SRB: READ CAPACITY(10), READ(10), WRITE(10) on LUN 0:0:0. */
static bool vsp_srb(struct storvsp *vsp, const struct vsp_request *r, struct vsp_answer *a)
{
	const struct vstor_scsi_request *srb = &r->in.u.srb;
	const uint8_t *cdb = srb->cdb_or_sense;
	uint8_t op = cdb[0];
	uint32_t lba, blocks, bytes;
	enum ata_result ar;

	if (!r->has_range)
		return vsp_refuse(a, VSTOR_STATUS_INVALID_PARAMETER,
				  "EXECUTE_SRB without a data buffer (only commands with data are served)");
	if (srb->length != sizeof(struct vstor_scsi_request))
		return vsp_refuse(a, VSTOR_STATUS_INVALID_PARAMETER, "SRB length is not that of protocol 6.2");
	if (srb->path_id != 0 || srb->target_id != 0 || srb->lun != 0)
		return vsp_refuse(a, VSTOR_STATUS_INVALID_PARAMETER, "no such LUN (only 0:0:0 exists)");
	if (srb->cdb_length != SCSI_CDB10_LENGTH)
		return vsp_refuse(a, VSTOR_STATUS_INVALID_PARAMETER, "CDB length is not 10");
	if (srb->data_transfer_length != r->gpa.range.byte_count)
		return vsp_refuse(a, VSTOR_STATUS_INVALID_PARAMETER,
				  "the SRB's transfer length differs from the GPA range's byte count");
	bytes = srb->data_transfer_length;

	if (op == SCSI_OP_READ_CAPACITY_10) {
		if (!srb->data_in || bytes != SCSI_READ_CAPACITY_BYTES)
			return vsp_refuse(a, VSTOR_STATUS_INVALID_PARAMETER,
					  "READ CAPACITY(10) is not an 8-byte read");
		stor_put_be32(vsp_bounce, HVSIM_STORVSP_DISK_SECTORS - 1u);
		stor_put_be32(vsp_bounce + 4, ATA_SECTOR_SIZE);
		vsp_copy(vsp, r, bytes, true);
		a->transferred = bytes;
		kdetail("[storvsp] child %lu: READ CAPACITY(10): %u sectors of %u bytes\n", vsp->child,
			HVSIM_STORVSP_DISK_SECTORS, ATA_SECTOR_SIZE);
		return true;
	}
	if (op != SCSI_OP_READ_10 && op != SCSI_OP_WRITE_10)
		return vsp_refuse(a, VSTOR_STATUS_INVALID_PARAMETER,
				  "CDB opcode not served (READ CAPACITY(10), READ(10), WRITE(10) only)");
	if ((srb->data_in != 0) != (op == SCSI_OP_READ_10))
		return vsp_refuse(a, VSTOR_STATUS_INVALID_PARAMETER, "data direction contradicts the opcode");
	lba = stor_be32(cdb + SCSI_CDB10_LBA);
	blocks = (uint32_t)cdb[SCSI_CDB10_BLOCKS] << 8 | cdb[SCSI_CDB10_BLOCKS + 1];
	if (blocks == 0 || blocks > HVSIM_DISK_SECTORS_MAX || bytes != blocks * ATA_SECTOR_SIZE)
		return vsp_refuse(a, VSTOR_STATUS_INVALID_PARAMETER,
				  "block count is 0, above 256 or not the transfer length");
	if (lba >= HVSIM_STORVSP_DISK_SECTORS || blocks > HVSIM_STORVSP_DISK_SECTORS - lba)
		return vsp_refuse(a, VSTOR_STATUS_INVALID_PARAMETER, "LBA range outside the child's disk");

	/* Checked: the sectors are the child's region, the pages its RAM. */
	if (op == SCSI_OP_WRITE_10) {
		vsp_copy(vsp, r, bytes, false);
		ar = ata_write(HVSIM_STORVSP_DISK_BASE_LBA + lba, blocks, vsp_bounce);
	} else {
		ar = ata_read(HVSIM_STORVSP_DISK_BASE_LBA + lba, blocks, vsp_bounce);
		if (ar == ATA_OK)
			vsp_copy(vsp, r, bytes, true);
	}
	if (ar != ATA_OK) {
		a->status = VSTOR_STATUS_IO_DEVICE_ERROR;
		a->srb_status = SRB_STATUS_ERROR;
		a->scsi_status = SCSI_STATUS_CHECK_CONDITION;
		a->why = ata_result_name(ar);
		return false;
	}
	if (op == SCSI_OP_WRITE_10)
		vsp->sectors_written += blocks;
	else
		vsp->sectors_read += blocks;
	a->transferred = bytes;
	kdetail("[storvsp] child %lu: %s(10) LBA %u, %u sectors (our LBA %u) through %u page%s\n",
		vsp->child, op == SCSI_OP_WRITE_10 ? "WRITE" : "READ", lba, blocks,
		HVSIM_STORVSP_DISK_BASE_LBA + lba, r->pfns, r->pfns == 1 ? "" : "s");
	return true;
}

/* One vstor operation, in the initialization order of facts §7.4. */
static bool vsp_operation(struct storvsp *vsp, const struct vsp_request *r, struct vstor_packet *out,
			  struct vsp_answer *a)
{
	static const char out_of_order[] = "operation out of the initialization order";

	switch (r->in.operation) {
	case VSTOR_OP_BEGIN_INITIALIZATION:
		if (vsp->state != STORVSP_WAIT_BEGIN)
			return vsp_refuse(a, VSTOR_STATUS_INVALID_DEVICE_STATE, out_of_order);
		vsp->state = STORVSP_WAIT_VERSION;
		break;
	case VSTOR_OP_QUERY_PROTOCOL_VERSION:
		if (vsp->state != STORVSP_WAIT_VERSION)
			return vsp_refuse(a, VSTOR_STATUS_INVALID_DEVICE_STATE, out_of_order);
		if (r->in.u.version.major_minor != STOR_PROTOCOL_VERSION)
			return vsp_refuse(a, VSTOR_STATUS_REVISION_MISMATCH,
					  "protocol version other than 6.2 (the child may retry)");
		vsp->state = STORVSP_WAIT_PROPERTIES;
		break;
	case VSTOR_OP_QUERY_PROPERTIES:
		if (vsp->state != STORVSP_WAIT_PROPERTIES)
			return vsp_refuse(a, VSTOR_STATUS_INVALID_DEVICE_STATE, out_of_order);
		memset(&out->u.properties, 0, sizeof(out->u.properties));
		out->u.properties.max_channel_count = 0;   /* no sub-channels */
		out->u.properties.max_transfer_bytes = STOR_MAX_TRANSFER;
		vsp->state = STORVSP_WAIT_END;
		break;
	case VSTOR_OP_END_INITIALIZATION:
		if (vsp->state != STORVSP_WAIT_END)
			return vsp_refuse(a, VSTOR_STATUS_INVALID_DEVICE_STATE, out_of_order);
		vsp->state = STORVSP_READY;
		kdetail("[storvsp] child %lu: initialized (protocol 6.2); its disk is our LBA %u-%u\n",
			vsp->child, HVSIM_STORVSP_DISK_BASE_LBA,
			HVSIM_STORVSP_DISK_BASE_LBA + HVSIM_STORVSP_DISK_SECTORS - 1);
		break;
	case VSTOR_OP_EXECUTE_SRB:
		if (vsp->state != STORVSP_READY)
			return vsp_refuse(a, VSTOR_STATUS_INVALID_DEVICE_STATE, out_of_order);
		return vsp_srb(vsp, r, a);
	default:
		return vsp_refuse(a, VSTOR_STATUS_INVALID_DEVICE_REQUEST, "unknown or unserved vstor operation");
	}
	return true;
}

/* One packet from the child: check it, act on it, answer it. */
static void vsp_packet(struct storvsp *vsp, const struct vmbus_packet_info *info, const uint8_t *pkt,
		       struct vmbus_ring *down, bool *signal)
{
	struct vsp_request r;
	struct vsp_answer a;
	struct vstor_packet out;
	enum vmbus_ring_status rs;
	bool sig = false;

	memset(&r, 0, sizeof(r));
	memset(&a, 0, sizeof(a));
	r.info = info;
	a.srb_status = SRB_STATUS_SUCCESS;
	a.scsi_status = SCSI_STATUS_GOOD;
	if (info->type != VMBUS_PACKET_DATA_INBAND && info->type != VMBUS_PACKET_DATA_USING_GPA_DIRECT)
		vsp_refuse(&a, VSTOR_STATUS_INVALID_DEVICE_REQUEST,
			   "packet type not served (in-band and GPA direct only)");
	else if (info->flags & ~VMBUS_PACKET_FLAG_COMPLETION_REQUESTED)
		vsp_refuse(&a, VSTOR_STATUS_INVALID_PARAMETER,
			   "packet flags other than completion-requested (facts §6.3)");
	else if (info->data_len < sizeof(struct vstor_packet))
		vsp_refuse(&a, VSTOR_STATUS_INVALID_PARAMETER, "payload shorter than a vstor packet");
	else {
		/* The payload lies inside the copied packet (data_offset +
		 * data_len = len8 * 8, checked by the library). */
		memcpy(&r.in, pkt + info->data_offset, sizeof(r.in));
		if (info->type == VMBUS_PACKET_DATA_USING_GPA_DIRECT &&
		    (a.why = vsp_parse_range(vsp, &r, pkt)) != NULL)
			vsp_refuse(&a, VSTOR_STATUS_INVALID_PARAMETER, a.why);
		else if (info->type == VMBUS_PACKET_DATA_INBAND && info->data_offset != VSP_DESC_BYTES)
			vsp_refuse(&a, VSTOR_STATUS_INVALID_PARAMETER, "in-band packet with extra headers");
	}

	/* The answer starts as the request (Linux storvsc reads the SRB
	 * back from it), so only checked fields are ours to fill in. */
	memcpy(&out, &r.in, sizeof(out));
	if (!a.why)
		(void)vsp_operation(vsp, &r, &out, &a);
	out.operation = VSTOR_OP_COMPLETE_IO;
	out.flags = 0;
	out.status = a.status;
	if (r.in.operation == VSTOR_OP_EXECUTE_SRB) {
		out.u.srb.srb_status = a.srb_status;
		out.u.srb.scsi_status = a.scsi_status;
		out.u.srb.data_transfer_length = a.transferred;
	}
	vsp->requests++;
	if (a.why) {
		vsp->refused++;
		klog("[storvsp] child %lu, transaction %lu (packet type %u, operation %u): refused with "
		     "status 0x%08x: %s\n", vsp->child, info->trans_id, info->type, r.in.operation, a.status,
		     a.why);
	}
	/* Completion: same transaction id, into the child's inbound ring. */
	rs = vmbus_ring_write(down, VMBUS_PACKET_COMP, 0, info->trans_id, &out, sizeof(out), &sig);
	if (rs != VMBUS_RING_OK) {
		klog("[storvsp] child %lu: completion for transaction %lu not written: %s\n", vsp->child,
		     info->trans_id, vmbus_ring_status_name(rs));
		return;
	}
	*signal |= sig;
}

bool storvsp_serve(struct storvsp *vsp, struct vmbus_ring *up, struct vmbus_ring *down, bool *signal)
{
	uint64_t pkt[VSP_PACKET_MAX / sizeof(uint64_t)];
	struct vmbus_packet_info info;

	for (;;) {
		bool sig = false;
		enum vmbus_ring_status rs = vmbus_ring_read(up, &info, pkt, sizeof(pkt), &sig);

		if (rs == VMBUS_RING_EMPTY)
			return true;
		if (rs != VMBUS_RING_OK) {
			/* The ring is the child's to corrupt: stop reading it. */
			klog("[storvsp] child %lu's storage ring: %s; the channel is no longer read\n",
			     vsp->child, vmbus_ring_status_name(rs));
			return false;
		}
		*signal |= sig;
		vsp_packet(vsp, &info, (const uint8_t *)pkt, down, signal);
	}
}
