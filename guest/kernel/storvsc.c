/* storvsc.c — the child's storage VSC (our storvsc.sys): a SCSI disk on
 * the parent's storage channel. Guest ring 0, freestanding, child
 * partitions only; the initialization runs at boot, requests from the disk
 * system call, both with IF = 0, sleeping on HLT for the completion.
 *
 * The synthetic path, compared with the emulated one (vmwp's ATA drive):
 * a request is one packet in a ring we share with the parent: a vstor
 * EXECUTE_SRB with a SCSI READ(10)/WRITE(10) CDB, its data buffer named
 * by page numbers (a GPA-direct packet, facts §6.3), so the parent's
 * storvsp moves the data straight to or from our pages. One HvSignalEvent
 * when the ring turns non-empty, one interrupt back with the completion:
 * a handful of VM exits per request instead of one per 16-bit word.
 *
 * What the parent sends is checked too: a completion must be a COMP packet
 * with our transaction id and a whole vstor packet. */
#include "storvsc.h"
#include "vmbus-scsi.h"

/* The answer buffer: a completion is the descriptor and a vstor packet. */
#define SC_ANSWER_MAX 128u
/* Hostile request (a): a page far outside any child's RAM. */
#define SC_HOSTILE_PFN 0x100000u
/* Hostile request (b): child LBA 0xfffffa00, which a parent adding its
 * base (1536) in 32 bits would turn into its own LBA 0. */
#define SC_HOSTILE_LBA 0xFFFFFA00u
/* Hostile request (c): no such vstor operation. */
#define SC_HOSTILE_OPERATION 0x63u

static struct storvsc {
	struct vmbus_client_channel *ch;
	bool ready;
	uint64_t next_trans;
	uint32_t max_transfer;
	uint64_t sectors;
} sc;

/* READ CAPACITY's answer and the hostile requests' buffer: our pages. */
static uint8_t sc_small[ATA_SECTOR_SIZE] __attribute__((aligned(ATA_SECTOR_SIZE)));

/* One request and its completion. `gpa` (with `pfns` pages) makes it a
 * GPA-direct packet, else it is in-band. *p is sent and replaced by the
 * vstor packet of the completion. False (after a line) if the channel
 * failed or the answer is not our completion. */
static bool sc_exchange(const struct stor_gpa_direct *gpa, uint32_t pfns, struct vstor_packet *p)
{
	uint64_t answer[SC_ANSWER_MAX / sizeof(uint64_t)];
	struct vmbus_ring_iovec iov[2];
	struct vmbus_packet_info info;
	unsigned n = 0;
	uint16_t type = VMBUS_PACKET_DATA_INBAND;
	uint16_t offset8 = VMBUS_CLIENT_INBAND_OFFSET8;
	uint64_t trans = ++sc.next_trans;

	if (gpa) {
		/* The extra header sits between descriptor and payload;
		 * offset8 covers both (all multiples of 8). */
		type = VMBUS_PACKET_DATA_USING_GPA_DIRECT;
		iov[n].base = gpa;
		iov[n++].len = stor_gpa_direct_bytes(pfns);
		offset8 = (uint16_t)((sizeof(struct vmbus_packet_desc) + stor_gpa_direct_bytes(pfns)) / 8u);
	}
	iov[n].base = p;
	iov[n++].len = sizeof(*p);
	if (!vmbus_client_send(sc.ch, type, offset8, trans, iov, n) ||
	    !vmbus_client_receive(sc.ch, &info, answer, sizeof(answer)))
		return false;
	if (info.type != VMBUS_PACKET_COMP || info.trans_id != trans ||
	    info.data_len < sizeof(*p)) {
		klog("storvsc: the answer to transaction %lu is not its completion (type %u, id %lu)\n",
		     trans, info.type, info.trans_id);
		return false;
	}
	memcpy(p, (const uint8_t *)answer + info.data_offset, sizeof(*p));
	return true;
}

/* One initialization step: an in-band packet of `op`; true if completed
 * with success. */
static bool sc_control(uint32_t op, struct vstor_packet *p, const char *name)
{
	p->operation = op;
	p->flags = VSTOR_FLAG_REQUEST_COMPLETION;
	if (!sc_exchange(NULL, 0, p))
		return false;
	if (p->operation != VSTOR_OP_COMPLETE_IO || p->status != VSTOR_STATUS_SUCCESS) {
		klog("storvsc: %s answered with operation %u, status 0x%08x\n", name, p->operation, p->status);
		return false;
	}
	kdetail("storvsc: %s completed\n", name);
	return true;
}

/* A SCSI command with a data buffer of `bytes` at `buf` (our RAM,
 * identity-mapped: address = GPA). The vstor status and the SRB's come
 * back in *p. */
static bool sc_srb(struct vstor_packet *p, const uint8_t *cdb, void *buf, uint32_t bytes, bool data_in,
		   uint64_t pfn_override)
{
	struct stor_gpa_direct g;
	uint64_t gpa = hv_gpa(buf);
	uint32_t pfns;

	memset(&g, 0, sizeof(g));
	g.hdr.range_count = 1;
	g.range.byte_offset = (uint32_t)(gpa % VMBUS_PAGE_SIZE);
	g.range.byte_count = bytes;
	pfns = (g.range.byte_offset + bytes + VMBUS_PAGE_SIZE - 1) / VMBUS_PAGE_SIZE;
	for (uint32_t i = 0; i < pfns; i++)
		g.pfn[i] = pfn_override ? pfn_override + i : (gpa >> HV_PAGE_SHIFT) + i;

	memset(p, 0, sizeof(*p));
	p->operation = VSTOR_OP_EXECUTE_SRB;
	p->flags = VSTOR_FLAG_REQUEST_COMPLETION;
	p->u.srb.length = sizeof(p->u.srb);
	p->u.srb.cdb_length = SCSI_CDB10_LENGTH;
	p->u.srb.data_in = data_in;
	p->u.srb.data_transfer_length = bytes;
	memcpy(p->u.srb.cdb_or_sense, cdb, SCSI_CDB10_LENGTH);
	return sc_exchange(&g, pfns, p);
}

static bool sc_srb_ok(const struct vstor_packet *p)
{
	return p->status == VSTOR_STATUS_SUCCESS && p->u.srb.srb_status == SRB_STATUS_SUCCESS &&
	       p->u.srb.scsi_status == SCSI_STATUS_GOOD;
}

static void sc_cdb_rw(uint8_t *cdb, uint8_t op, uint32_t lba, uint32_t blocks)
{
	memset(cdb, 0, SCSI_CDB10_LENGTH);
	cdb[0] = op;
	stor_put_be32(cdb + SCSI_CDB10_LBA, lba);
	cdb[SCSI_CDB10_BLOCKS] = (uint8_t)(blocks >> 8);
	cdb[SCSI_CDB10_BLOCKS + 1] = (uint8_t)blocks;
}

bool storvsc_start(struct vmbus_client_channel *ch)
{
	struct vstor_packet p;

	memset(&sc, 0, sizeof(sc));
	sc.ch = ch;
	/* Facts §7.4: Begin -> QueryVersion -> QueryProperties -> End. */
	memset(&p, 0, sizeof(p));
	if (!sc_control(VSTOR_OP_BEGIN_INITIALIZATION, &p, "BEGIN_INITIALIZATION"))
		goto failed;
	memset(&p, 0, sizeof(p));
	p.u.version.major_minor = STOR_PROTOCOL_VERSION;
	if (!sc_control(VSTOR_OP_QUERY_PROTOCOL_VERSION, &p, "QUERY_PROTOCOL_VERSION"))
		goto failed;
	memset(&p, 0, sizeof(p));
	if (!sc_control(VSTOR_OP_QUERY_PROPERTIES, &p, "QUERY_PROPERTIES"))
		goto failed;
	sc.max_transfer = p.u.properties.max_transfer_bytes;
	if (sc.max_transfer < STOR_MAX_TRANSFER) {
		klog("storvsc: the parent moves at most %u bytes a request; we need %u\n", sc.max_transfer,
		     STOR_MAX_TRANSFER);
		goto failed;
	}
	memset(&p, 0, sizeof(p));
	if (!sc_control(VSTOR_OP_END_INITIALIZATION, &p, "END_INITIALIZATION"))
		goto failed;
	sc.ready = true;
	klog("storvsc: channel %u open, vstor protocol 6.2, up to %u bytes a request\n",
	     ch->offer.child_relid, sc.max_transfer);
	return true;
failed:
	klog("storvsc: channel %u: initialization failed; no synthetic disk\n", ch->offer.child_relid);
	return false;
}

/* The disk's size, asked on first use (as the ATA driver's IDENTIFY is):
 * READ CAPACITY(10) gives the last LBA and the block size. */
uint64_t storvsc_sectors(void)
{
	struct vstor_packet p;
	uint8_t cdb[SCSI_CDB10_LENGTH];

	if (!sc.ready || sc.sectors)
		return sc.sectors;
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = SCSI_OP_READ_CAPACITY_10;
	if (!sc_srb(&p, cdb, sc_small, SCSI_READ_CAPACITY_BYTES, true, 0) || !sc_srb_ok(&p) ||
	    stor_be32(sc_small + 4) != ATA_SECTOR_SIZE) {
		klog("storvsc: READ CAPACITY(10) failed (status 0x%08x)\n", p.status);
		return 0;
	}
	sc.sectors = (uint64_t)stor_be32(sc_small) + 1;
	kdetail("storvsc: READ CAPACITY(10): %lu sectors\n", sc.sectors);
	return sc.sectors;
}

static enum ata_result sc_rw(bool write, uint64_t lba, unsigned count, void *buf)
{
	struct vstor_packet p;
	uint8_t cdb[SCSI_CDB10_LENGTH];

	if (!storvsc_sectors())
		return ATA_ERR_NO_DISK;
	if (count == 0 || count > HVSIM_DISK_SECTORS_MAX)
		return ATA_ERR_ARGUMENT;
	if (lba >= sc.sectors || count > sc.sectors - lba)
		return ATA_ERR_RANGE;
	sc_cdb_rw(cdb, write ? SCSI_OP_WRITE_10 : SCSI_OP_READ_10, (uint32_t)lba, count);
	if (!sc_srb(&p, cdb, buf, count * ATA_SECTOR_SIZE, !write, 0))
		return ATA_ERR_DEVICE;
	if (!sc_srb_ok(&p)) {
		klog("storvsc: %s(10) LBA %lu, %u sectors: status 0x%08x, SRB 0x%02x, SCSI 0x%02x\n",
		     write ? "WRITE" : "READ", lba, count, p.status, p.u.srb.srb_status, p.u.srb.scsi_status);
		return ATA_ERR_DEVICE;
	}
	return ATA_OK;
}

enum ata_result storvsc_read(uint64_t lba, unsigned count, void *buf)
{
	return sc_rw(false, lba, count, buf);
}

enum ata_result storvsc_write(uint64_t lba, unsigned count, const void *buf)
{
	/* Only read: the parent copies out of these pages. */
	return sc_rw(true, lba, count, (void *)(uintptr_t)buf);
}

static void sc_hostile_line(const char *what, bool sent, const struct vstor_packet *p)
{
	if (!sent)
		klog("storvsc: hostile %s: no completion\n", what);
	else
		klog("storvsc: hostile %s: %s, status 0x%08x\n", what,
		     p->status != VSTOR_STATUS_SUCCESS ? "refused" : "ACCEPTED", p->status);
}

void storvsc_hostile(void)
{
	struct vstor_packet p;
	uint8_t cdb[SCSI_CDB10_LENGTH];
	bool sent;

	if (!sc.ready) {
		klog("storvsc: no synthetic disk: hostile requests not sent\n");
		return;
	}
	/* (a) WRITE(10) of one sector whose page lies outside our RAM: a
	 * parent that believed it would write its own memory to disk. */
	sc_cdb_rw(cdb, SCSI_OP_WRITE_10, 0, 1);
	sent = sc_srb(&p, cdb, sc_small, ATA_SECTOR_SIZE, false, SC_HOSTILE_PFN);
	sc_hostile_line("(a) data page outside our RAM", sent, &p);
	/* (b) WRITE(10) at an LBA outside our disk. */
	memset(sc_small, 0xEE, sizeof(sc_small));
	sc_cdb_rw(cdb, SCSI_OP_WRITE_10, SC_HOSTILE_LBA, 1);
	sent = sc_srb(&p, cdb, sc_small, ATA_SECTOR_SIZE, false, 0);
	sc_hostile_line("(b) LBA outside our disk", sent, &p);
	/* (c) an in-band packet with an unknown vstor operation. */
	memset(&p, 0, sizeof(p));
	p.operation = SC_HOSTILE_OPERATION;
	p.flags = VSTOR_FLAG_REQUEST_COMPLETION;
	sent = sc_exchange(NULL, 0, &p);
	sc_hostile_line("(c) unknown vstor operation", sent, &p);
}
