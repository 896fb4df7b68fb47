/* vmbus-storage.h — storvsc/storvsp protocol ("vstor" packets) carried on a
 * VMBus channel of class VMBUS_GUID_SCSI. Plain C17, no libc: shared by the
 * simulator's VSP (hosted) and the guest's VSC (ring 0, freestanding).
 *
 * Values from the hvsim fact sheet §7.4 (Linux storvsc_drv.c and openvmm
 * storvsp_protocol agree). */
#ifndef HVSIM_VMBUS_STORAGE_H
#define HVSIM_VMBUS_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "vmbus-proto.h"

enum vstor_operation {
	VSTOR_OP_COMPLETE_IO           = 1,
	VSTOR_OP_REMOVE_DEVICE         = 2,
	VSTOR_OP_EXECUTE_SRB           = 3,
	VSTOR_OP_RESET_LUN             = 4,
	VSTOR_OP_RESET_ADAPTER         = 5,
	VSTOR_OP_RESET_BUS             = 6,
	VSTOR_OP_BEGIN_INITIALIZATION  = 7,
	VSTOR_OP_END_INITIALIZATION    = 8,
	VSTOR_OP_QUERY_PROTOCOL_VERSION = 9,
	VSTOR_OP_QUERY_PROPERTIES      = 10,
	VSTOR_OP_ENUMERATE_BUS         = 11,
	VSTOR_OP_FC_HBA_DATA           = 12,
	VSTOR_OP_CREATE_SUB_CHANNELS   = 13,
	VSTOR_OP_EVENT_NOTIFICATION    = 14, /* openvmm */
};

#define VSTOR_FLAG_REQUEST_COMPLETION 0x1u

/* NTSTATUS values a VSP answers with. */
#define VSTOR_STATUS_SUCCESS               0x00000000u
#define VSTOR_STATUS_UNSUCCESSFUL          0xC0000001u
#define VSTOR_STATUS_INVALID_PARAMETER     0xC000000Du
#define VSTOR_STATUS_INVALID_DEVICE_REQUEST 0xC0000010u
#define VSTOR_STATUS_REVISION_MISMATCH     0xC0000059u
#define VSTOR_STATUS_INVALID_DEVICE_STATE  0xC0000184u
#define VSTOR_STATUS_IO_DEVICE_ERROR       0xC0000185u

/* Protocol versions: major << 8 | minor. */
#define VSTOR_VERSION(major, minor) ((uint16_t)(((major) << 8) | (minor)))
#define VSTOR_VERSION_WIN6    VSTOR_VERSION(2, 0)
#define VSTOR_VERSION_WIN7    VSTOR_VERSION(4, 2)
#define VSTOR_VERSION_WIN8    VSTOR_VERSION(5, 1)
#define VSTOR_VERSION_BLUE    VSTOR_VERSION(6, 0)
#define VSTOR_VERSION_WIN10   VSTOR_VERSION(6, 2)

#define VSTOR_CDB_SENSE_SIZE         20u
#define VSTOR_PAYLOAD_SIZE           0x34u /* from protocol 5.1 */
#define VSTOR_PAYLOAD_SIZE_PRE_WIN8  0x24u /* hosts older than 5.1 */

#define VSTOR_PROPERTY_FLAG_MULTI_CHANNEL 0x1u

/* SCSI request (vmscsi_request). The first 0x24 bytes are all a pre-5.1
 * host understands; the Win8 extension follows. */
struct vstor_scsi_request {
	uint16_t length;                 /* @0 */
	uint8_t srb_status;              /* @2 */
	uint8_t scsi_status;             /* @3 */
	uint8_t port_number;             /* @4 */
	uint8_t path_id;                 /* @5 */
	uint8_t target_id;               /* @6 */
	uint8_t lun;                     /* @7 */
	uint8_t cdb_length;              /* @8 */
	uint8_t sense_info_length;       /* @9 */
	uint8_t data_in;                 /* @10: 1 = read from device */
	uint8_t reserved;                /* @11 */
	uint32_t data_transfer_length;   /* @12 */
	uint8_t cdb_or_sense[VSTOR_CDB_SENSE_SIZE]; /* @16 */
	/* Win8 (5.1+) extension */
	uint16_t reserved2;              /* @36 */
	uint8_t queue_tag;               /* @38 */
	uint8_t queue_action;            /* @39 */
	uint32_t srb_flags;              /* @40 */
	uint32_t timeout;                /* @44 */
	uint32_t queue_sort_key;         /* @48 */
} VMBUS_PACKED;
_Static_assert(sizeof(struct vstor_scsi_request) == VSTOR_PAYLOAD_SIZE, "vmscsi_request");
_Static_assert(offsetof(struct vstor_scsi_request, data_transfer_length) == 12, "");
_Static_assert(offsetof(struct vstor_scsi_request, cdb_or_sense) == 16, "");
_Static_assert(offsetof(struct vstor_scsi_request, reserved2) == VSTOR_PAYLOAD_SIZE_PRE_WIN8, "");
_Static_assert(offsetof(struct vstor_scsi_request, srb_flags) == 40, "");
_Static_assert(offsetof(struct vstor_scsi_request, queue_sort_key) == 48, "");

struct vstor_protocol_version {
	uint16_t major_minor;            /* VSTOR_VERSION() */
	uint16_t revision;               /* reserved */
} VMBUS_PACKED;
_Static_assert(sizeof(struct vstor_protocol_version) == 4, "");

struct vstor_properties {
	uint32_t reserved1;
	uint16_t max_channel_count;      /* max sub-channels */
	uint16_t reserved2;
	uint32_t flags;                  /* VSTOR_PROPERTY_FLAG_* */
	uint32_t max_transfer_bytes;
	uint32_t reserved3[2];
} VMBUS_PACKED;
_Static_assert(sizeof(struct vstor_properties) == 24, "QUERY_PROPERTIES reply");
_Static_assert(offsetof(struct vstor_properties, flags) == 8, "");
_Static_assert(offsetof(struct vstor_properties, max_transfer_bytes) == 12, "");

/* The vstor packet: what a DATA_INBAND or GPA-direct VMBus packet carries. */
struct vstor_packet {
	uint32_t operation;              /* @0: enum vstor_operation */
	uint32_t flags;                  /* @4: VSTOR_FLAG_* */
	uint32_t status;                 /* @8: VSTOR_STATUS_* */
	union {                          /* @12 */
		struct vstor_scsi_request srb;
		struct vstor_protocol_version version;
		struct vstor_properties properties;
		uint8_t raw[VSTOR_PAYLOAD_SIZE];
	} VMBUS_PACKED u;
} VMBUS_PACKED;
_Static_assert(offsetof(struct vstor_packet, u) == 12, "");
_Static_assert(sizeof(struct vstor_packet) == 12 + VSTOR_PAYLOAD_SIZE, "vstor packet");

#endif /* HVSIM_VMBUS_STORAGE_H */
