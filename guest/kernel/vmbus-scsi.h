/* vmbus-scsi.h — what the child's storvsc and the parent's storvsp agree on
 * beyond the vstor packet (vmbus-storage.h): the SCSI commands and status
 * bytes they exchange, the protocol version, and the shape of one data
 * request. Guest ring 0, freestanding; both kernels include it.
 *
 * SCSI values from SPC/SBC (as Linux scsi_proto.h names them); SRB status
 * values from the Windows SCSI port interface (as Linux storvsc_drv.c
 * names them). */
#ifndef GUEST_KERNEL_VMBUS_SCSI_H
#define GUEST_KERNEL_VMBUS_SCSI_H

#include "kernel.h"
#include "vmbus-proto.h"
#include "vmbus-storage.h"

/* CDB opcodes served. */
#define SCSI_OP_READ_CAPACITY_10 0x25u /* 8 bytes: last LBA (BE32), block size (BE32) */
#define SCSI_OP_READ_10          0x28u /* LBA BE32 @2, blocks BE16 @7 */
#define SCSI_OP_WRITE_10         0x2Au
#define SCSI_CDB10_LENGTH        10u
#define SCSI_CDB10_LBA           2u
#define SCSI_CDB10_BLOCKS        7u
#define SCSI_READ_CAPACITY_BYTES 8u

/* SCSI status byte (the target's answer). */
#define SCSI_STATUS_GOOD            0x00u
#define SCSI_STATUS_CHECK_CONDITION 0x02u

/* SRB status (the adapter's answer). */
#define SRB_STATUS_SUCCESS         0x01u
#define SRB_STATUS_ERROR           0x04u
#define SRB_STATUS_INVALID_REQUEST 0x06u

/* The one version both sides speak: Win10 (6.2), full 0x34-byte SRBs. */
#define STOR_PROTOCOL_VERSION VSTOR_VERSION_WIN10

/* One data request: a GPA-direct packet with one range (facts §6.3): the
 * extra header, the range, then one PFN per page the buffer touches. A
 * buffer of HVSIM_DISK_SECTORS_MAX sectors at any byte offset touches at
 * most STOR_MAX_PFNS pages. */
#define STOR_MAX_TRANSFER (HVSIM_DISK_SECTORS_MAX * ATA_SECTOR_SIZE)
#define STOR_MAX_PFNS     (STOR_MAX_TRANSFER / VMBUS_PAGE_SIZE + 1u)

struct stor_gpa_direct {
	struct vmbus_gpa_direct_header hdr;
	struct vmbus_gpa_range range;
	uint64_t pfn[STOR_MAX_PFNS];
} VMBUS_PACKED;

/* Bytes of the extra headers for `pfns` pages (what offset8 covers after
 * the 16-byte descriptor). */
static inline uint32_t stor_gpa_direct_bytes(uint32_t pfns)
{
	return (uint32_t)(sizeof(struct vmbus_gpa_direct_header) + sizeof(struct vmbus_gpa_range) +
			  pfns * sizeof(uint64_t));
}

/* Big-endian fields of a CDB. */
static inline uint32_t stor_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void stor_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif /* GUEST_KERNEL_VMBUS_SCSI_H */
