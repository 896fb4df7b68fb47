/* vmbus-proto.h — VMBus wire definitions: control messages, ring buffer
 * control page and packet descriptors. Plain C17, no libc: included by the
 * simulator (hosted) and by guest kernels (ring 0, freestanding).
 *
 * Every value and offset here comes from the hvsim fact sheet
 * (shared/reference/hyperv-facts.md §5, §6, §7.1), which cross-checks
 * Linux, QEMU and openvmm. All structures are little-endian and packed;
 * offsets include the 8-byte message header and are pinned by
 * _Static_assert so a layout slip fails the build, not a guest. */
#ifndef HVSIM_VMBUS_PROTO_H
#define HVSIM_VMBUS_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define VMBUS_PACKED __attribute__((packed))

/* ---------------------------------------------------------------------
 * §5.1 Transport constants
 * ------------------------------------------------------------------- */
#define VMBUS_PAGE_SIZE               4096u
#define VMBUS_MESSAGE_SINT            2u   /* SINT the child's VMBus uses */
#define VMBUS_MESSAGE_CONNECTION_ID   1u   /* child->parent HvPostMessage, < 5.0 */
#define VMBUS_MESSAGE_CONNECTION_ID_4 4u   /* ... from protocol 5.0 on */
#define VMBUS_EVENT_CONNECTION_ID     2u   /* shared event (pre-Win8 channels) */
#define VMBUS_MONITOR_CONNECTION_ID   3u
#define VMBUS_MESSAGE_PORT_ID         1u   /* parent-side port ids */
#define VMBUS_EVENT_PORT_ID           2u
#define VMBUS_MONITOR_PORT_ID         3u
#define VMBUS_POST_MESSAGE_TYPE       1u   /* HvPostMessage MessageType */
#define VMBUS_MESSAGE_MAX_SIZE        240u /* SynIC payload, header included */
/* openvmm's per-channel signal connection id: relid | sint << 12 | vtl << 16 */
#define VMBUS_CHANNEL_CONNECTION_ID(relid, sint, vtl) \
	((uint32_t)(relid) | ((uint32_t)(sint) << 12) | ((uint32_t)(vtl) << 16))
/* Flags per SINT in the SIEF page bound the relids signalled through it. */
#define VMBUS_MAX_RELID               2047u

/* ---------------------------------------------------------------------
 * §5.2 Message types
 * ------------------------------------------------------------------- */
enum vmbus_msgtype {
	VMBUS_MSG_INVALID                  = 0,
	VMBUS_MSG_OFFERCHANNEL             = 1,  /* H->G */
	VMBUS_MSG_RESCIND_CHANNELOFFER     = 2,  /* H->G */
	VMBUS_MSG_REQUESTOFFERS            = 3,  /* G->H, no body */
	VMBUS_MSG_ALLOFFERS_DELIVERED      = 4,  /* H->G, no body */
	VMBUS_MSG_OPENCHANNEL              = 5,  /* G->H */
	VMBUS_MSG_OPENCHANNEL_RESULT       = 6,  /* H->G */
	VMBUS_MSG_CLOSECHANNEL             = 7,  /* G->H */
	VMBUS_MSG_GPADL_HEADER             = 8,  /* G->H */
	VMBUS_MSG_GPADL_BODY               = 9,  /* G->H */
	VMBUS_MSG_GPADL_CREATED            = 10, /* H->G */
	VMBUS_MSG_GPADL_TEARDOWN           = 11, /* G->H */
	VMBUS_MSG_GPADL_TORNDOWN           = 12, /* H->G */
	VMBUS_MSG_RELID_RELEASED           = 13, /* G->H */
	VMBUS_MSG_INITIATE_CONTACT         = 14, /* G->H */
	VMBUS_MSG_VERSION_RESPONSE         = 15, /* H->G */
	VMBUS_MSG_UNLOAD                   = 16, /* G->H, no body */
	VMBUS_MSG_UNLOAD_RESPONSE          = 17, /* H->G (openvmm: UNLOAD_COMPLETE) */
	VMBUS_MSG_OPEN_RESERVED_CHANNEL    = 18,
	VMBUS_MSG_CLOSE_RESERVED_CHANNEL   = 19,
	VMBUS_MSG_CLOSE_RESERVED_RESPONSE  = 20,
	VMBUS_MSG_TL_CONNECT_REQUEST       = 21,
	VMBUS_MSG_MODIFY_CHANNEL           = 22, /* 4.1+ */
	VMBUS_MSG_TL_CONNECT_RESULT        = 23,
	VMBUS_MSG_MODIFY_CHANNEL_RESPONSE  = 24, /* 5.3+ */
	VMBUS_MSG_COUNT                    = 25  /* types 25-29 (6.0) not modelled */
};

/* ---------------------------------------------------------------------
 * §5.3 Protocol versions: major << 16 | minor
 * ------------------------------------------------------------------- */
#define VMBUS_VERSION(major, minor)   (((uint32_t)(major) << 16) | (uint32_t)(minor))
#define VMBUS_VERSION_WS2008          0x0000000Du /* 0.13 */
#define VMBUS_VERSION_WIN7            0x00010001u /* 1.1 */
#define VMBUS_VERSION_WIN8            0x00020004u /* 2.4: dedicated interrupts, SIEF bit = relid */
#define VMBUS_VERSION_WIN8_1          0x00030000u /* 3.0: guest picks the message target VP */
#define VMBUS_VERSION_WIN10           0x00040000u /* 4.0 */
#define VMBUS_VERSION_WIN10_V4_1      0x00040001u /* 4.1 */
#define VMBUS_VERSION_WIN10_V5        0x00050000u /* 5.0: connection id 4, SINT+VTL in contact */
#define VMBUS_VERSION_WIN10_V5_1      0x00050001u
#define VMBUS_VERSION_WIN10_V5_2      0x00050002u
#define VMBUS_VERSION_WIN10_V5_3      0x00050003u
#define VMBUS_VERSION_COPPER          0x00060000u /* 6.0: feature flags, client id */

/* VERSION_RESPONSE connection_state */
#define VMBUS_CONNECTION_SUCCESS        0u
#define VMBUS_CONNECTION_LOW_RESOURCES  1u
#define VMBUS_CONNECTION_UNKNOWN_FAILURE 2u

/* OFFERCHANNEL channel flags (offset 56) */
#define VMBUS_OFFER_FLAG_ENUMERATE_DEVICE_INTERFACE 0x0001u
#define VMBUS_OFFER_FLAG_SERVER_TRANSFER_PAGES      0x0002u
#define VMBUS_OFFER_FLAG_SERVER_GPADLS              0x0004u
#define VMBUS_OFFER_FLAG_NAMED_PIPE_MODE            0x0010u
#define VMBUS_OFFER_FLAG_LOOPBACK                   0x0100u
#define VMBUS_OFFER_FLAG_PARENT_OFFER               0x0200u
#define VMBUS_OFFER_FLAG_REQUEST_MONITORED_NOTIFY   0x0400u
#define VMBUS_OFFER_FLAG_TLNPI_PROVIDER             0x2000u

#define VMBUS_OFFER_USER_DATA_SIZE      120u
#define VMBUS_OPEN_USER_DATA_SIZE       120u
#define VMBUS_GPADL_HEADER_MAX_PFNS     26u  /* one range: 20 + 8 + 26*8 = 236 */
#define VMBUS_GPADL_BODY_MAX_PFNS       28u  /* 16 + 28*8 = 240 */
#define VMBUS_GPADL_FIRST_ID_LINUX      0xE1E10u

/* A GUID as stored on the wire (Windows byte order: first three fields
 * little-endian, last eight bytes as written). */
struct vmbus_guid {
	uint8_t b[16];
};
_Static_assert(sizeof(struct vmbus_guid) == 16, "GUID is 16 bytes");

/* Helper for GUID literals from their printed form
 * aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee. */
#define VMBUS_GUID_INIT(a, b, c, d0, d1, e0, e1, e2, e3, e4, e5) { {                  \
	(uint8_t)(a), (uint8_t)((a) >> 8), (uint8_t)((a) >> 16), (uint8_t)((a) >> 24), \
	(uint8_t)(b), (uint8_t)((b) >> 8), (uint8_t)(c), (uint8_t)((c) >> 8),           \
	(d0), (d1), (e0), (e1), (e2), (e3), (e4), (e5) } }

/* ---------------------------------------------------------------------
 * §5.4 Message layouts
 * ------------------------------------------------------------------- */
struct vmbus_msg_header {
	uint32_t msgtype;   /* enum vmbus_msgtype */
	uint32_t padding;
} VMBUS_PACKED;
_Static_assert(sizeof(struct vmbus_msg_header) == 8, "header");

/* REQUESTOFFERS, ALLOFFERS_DELIVERED, UNLOAD, UNLOAD_RESPONSE: header only. */

struct vmbus_msg_initiate_contact {            /* 14, G->H */
	struct vmbus_msg_header hdr;
	uint32_t version_requested;              /* @8 */
	uint32_t target_vcpu;                    /* @12: VP for host->guest messages (3.0+) */
	union {
		uint64_t interrupt_page;          /* @16, before 5.0 */
		struct {
			uint8_t msg_sint;         /* @16, 5.0+ */
			uint8_t msg_vtl;          /* @17 */
			uint16_t reserved;        /* @18 */
			uint32_t feature_flags;   /* @20, 6.0 */
		} VMBUS_PACKED v5;
	} VMBUS_PACKED u;
	uint64_t monitor_page1;                  /* @24 parent->child */
	uint64_t monitor_page2;                  /* @32 child->parent */
} VMBUS_PACKED;
_Static_assert(sizeof(struct vmbus_msg_initiate_contact) == 40, "INITIATE_CONTACT");
_Static_assert(offsetof(struct vmbus_msg_initiate_contact, version_requested) == 8, "");
_Static_assert(offsetof(struct vmbus_msg_initiate_contact, target_vcpu) == 12, "");
_Static_assert(offsetof(struct vmbus_msg_initiate_contact, u.v5.msg_sint) == 16, "");
_Static_assert(offsetof(struct vmbus_msg_initiate_contact, u.v5.msg_vtl) == 17, "");
_Static_assert(offsetof(struct vmbus_msg_initiate_contact, u.v5.feature_flags) == 20, "");
_Static_assert(offsetof(struct vmbus_msg_initiate_contact, monitor_page1) == 24, "");
_Static_assert(offsetof(struct vmbus_msg_initiate_contact, monitor_page2) == 32, "");

struct vmbus_msg_version_response {            /* 15, H->G */
	struct vmbus_msg_header hdr;
	uint8_t version_supported;               /* @8: non-zero = accepted */
	uint8_t connection_state;                /* @9: VMBUS_CONNECTION_* */
	uint16_t padding;                        /* @10 */
	uint32_t msg_conn_id;                    /* @12: connection id to post to (5.0+) */
} VMBUS_PACKED;
_Static_assert(sizeof(struct vmbus_msg_version_response) == 16, "VERSION_RESPONSE");
_Static_assert(offsetof(struct vmbus_msg_version_response, connection_state) == 9, "");
_Static_assert(offsetof(struct vmbus_msg_version_response, msg_conn_id) == 12, "");

struct vmbus_msg_offer_channel {               /* 1, H->G */
	struct vmbus_msg_header hdr;
	struct vmbus_guid interface_type;        /* @8: device class (§7.1) */
	struct vmbus_guid interface_instance;    /* @24: unique per device */
	uint8_t reserved1[16];                   /* @40 */
	uint16_t channel_flags;                  /* @56: VMBUS_OFFER_FLAG_* */
	uint16_t mmio_megabytes;                 /* @58 */
	uint8_t user_data[VMBUS_OFFER_USER_DATA_SIZE]; /* @60 */
	uint16_t sub_channel_index;              /* @180 */
	uint16_t reserved2;                      /* @182 */
	uint32_t child_relid;                    /* @184 */
	uint8_t monitor_id;                      /* @188 */
	uint8_t monitor_allocated;               /* @189: bit 0 */
	uint16_t is_dedicated_interrupt;         /* @190: bit 0 */
	uint32_t connection_id;                  /* @192: for HvSignalEvent */
} VMBUS_PACKED;
_Static_assert(sizeof(struct vmbus_msg_offer_channel) == 196, "OFFERCHANNEL");
_Static_assert(offsetof(struct vmbus_msg_offer_channel, interface_instance) == 24, "");
_Static_assert(offsetof(struct vmbus_msg_offer_channel, channel_flags) == 56, "");
_Static_assert(offsetof(struct vmbus_msg_offer_channel, mmio_megabytes) == 58, "");
_Static_assert(offsetof(struct vmbus_msg_offer_channel, user_data) == 60, "");
_Static_assert(offsetof(struct vmbus_msg_offer_channel, sub_channel_index) == 180, "");
_Static_assert(offsetof(struct vmbus_msg_offer_channel, child_relid) == 184, "");
_Static_assert(offsetof(struct vmbus_msg_offer_channel, monitor_id) == 188, "");
_Static_assert(offsetof(struct vmbus_msg_offer_channel, monitor_allocated) == 189, "");
_Static_assert(offsetof(struct vmbus_msg_offer_channel, is_dedicated_interrupt) == 190, "");
_Static_assert(offsetof(struct vmbus_msg_offer_channel, connection_id) == 192, "");

/* RESCIND_CHANNELOFFER (2), CLOSECHANNEL (7), RELID_RELEASED (13). */
struct vmbus_msg_relid {
	struct vmbus_msg_header hdr;
	uint32_t child_relid;                    /* @8 */
} VMBUS_PACKED;
_Static_assert(sizeof(struct vmbus_msg_relid) == 12, "relid-only messages");

struct vmbus_msg_open_channel {                /* 5, G->H */
	struct vmbus_msg_header hdr;
	uint32_t child_relid;                    /* @8 */
	uint32_t open_id;                        /* @12: echoed in the result */
	uint32_t ring_gpadl;                     /* @16 */
	uint32_t target_vp;                      /* @20: VP for host->guest interrupts */
	uint32_t downstream_page_offset;         /* @24: host->guest ring, in pages */
	uint8_t user_data[VMBUS_OPEN_USER_DATA_SIZE]; /* @28 */
} VMBUS_PACKED;
_Static_assert(sizeof(struct vmbus_msg_open_channel) == 148, "OPENCHANNEL");
_Static_assert(offsetof(struct vmbus_msg_open_channel, ring_gpadl) == 16, "");
_Static_assert(offsetof(struct vmbus_msg_open_channel, target_vp) == 20, "");
_Static_assert(offsetof(struct vmbus_msg_open_channel, downstream_page_offset) == 24, "");
_Static_assert(offsetof(struct vmbus_msg_open_channel, user_data) == 28, "");

struct vmbus_msg_open_result {                 /* 6, H->G */
	struct vmbus_msg_header hdr;
	uint32_t child_relid;                    /* @8 */
	uint32_t open_id;                        /* @12 */
	uint32_t status;                         /* @16: 0 = success */
} VMBUS_PACKED;
_Static_assert(sizeof(struct vmbus_msg_open_result) == 20, "OPENCHANNEL_RESULT");

/* One GPA range: byte_count, byte_offset into the first page, then
 * ceil((byte_offset + byte_count) / 4096) PFNs. */
struct vmbus_gpa_range {
	uint32_t byte_count;
	uint32_t byte_offset;
	/* uint64_t pfn[] follows */
} VMBUS_PACKED;
_Static_assert(sizeof(struct vmbus_gpa_range) == 8, "GPA range head");

struct vmbus_msg_gpadl_header {                /* 8, G->H */
	struct vmbus_msg_header hdr;
	uint32_t child_relid;                    /* @8 */
	uint32_t gpadl;                          /* @12 */
	uint16_t range_buflen;                   /* @16: bytes of all ranges + PFNs */
	uint16_t rangecount;                     /* @18 */
	/* ranges from @20 */
} VMBUS_PACKED;
_Static_assert(sizeof(struct vmbus_msg_gpadl_header) == 20, "GPADL_HEADER fixed part");
_Static_assert(sizeof(struct vmbus_msg_gpadl_header) + sizeof(struct vmbus_gpa_range) +
	       VMBUS_GPADL_HEADER_MAX_PFNS * 8 <= VMBUS_MESSAGE_MAX_SIZE, "26 PFNs fit");

struct vmbus_msg_gpadl_body {                  /* 9, G->H */
	struct vmbus_msg_header hdr;
	uint32_t msgnumber;                      /* @8 */
	uint32_t gpadl;                          /* @12 */
	/* uint64_t pfn[] from @16 */
} VMBUS_PACKED;
_Static_assert(sizeof(struct vmbus_msg_gpadl_body) == 16, "GPADL_BODY fixed part");
_Static_assert(sizeof(struct vmbus_msg_gpadl_body) + VMBUS_GPADL_BODY_MAX_PFNS * 8 ==
	       VMBUS_MESSAGE_MAX_SIZE, "28 PFNs fill a body");

struct vmbus_msg_gpadl_created {               /* 10, H->G */
	struct vmbus_msg_header hdr;
	uint32_t child_relid;                    /* @8 */
	uint32_t gpadl;                          /* @12 */
	uint32_t creation_status;                /* @16: 0 = success */
} VMBUS_PACKED;
_Static_assert(sizeof(struct vmbus_msg_gpadl_created) == 20, "GPADL_CREATED");

struct vmbus_msg_gpadl_teardown {              /* 11, G->H */
	struct vmbus_msg_header hdr;
	uint32_t child_relid;                    /* @8 */
	uint32_t gpadl;                          /* @12 */
} VMBUS_PACKED;
_Static_assert(sizeof(struct vmbus_msg_gpadl_teardown) == 16, "GPADL_TEARDOWN");

struct vmbus_msg_gpadl_torndown {              /* 12, H->G */
	struct vmbus_msg_header hdr;
	uint32_t gpadl;                          /* @8 */
} VMBUS_PACKED;
_Static_assert(sizeof(struct vmbus_msg_gpadl_torndown) == 12, "GPADL_TORNDOWN");

/* ---------------------------------------------------------------------
 * §6.2 Ring buffer control page (first 4 KB of each ring)
 * ------------------------------------------------------------------- */
#define VMBUS_RING_FEATURE_PENDING_SEND_SZ 0x1u

struct vmbus_ring_control {
	uint32_t write_index;      /* @0: next free byte; written by the producer */
	uint32_t read_index;       /* @4: next unread byte; written by the consumer */
	uint32_t interrupt_mask;   /* @8: != 0: consumer asks not to be signalled */
	uint32_t pending_send_sz;  /* @12: bytes a blocked producer waits for; 0 = not blocked */
	uint32_t reserved[12];     /* @16 */
	uint32_t feature_bits;     /* @64: VMBUS_RING_FEATURE_* */
	uint8_t padding[VMBUS_PAGE_SIZE - 68];
};  /* naturally aligned: not packed, so its u32s can be accessed atomically */
_Static_assert(sizeof(struct vmbus_ring_control) == VMBUS_PAGE_SIZE, "control page");
_Static_assert(offsetof(struct vmbus_ring_control, read_index) == 4, "");
_Static_assert(offsetof(struct vmbus_ring_control, interrupt_mask) == 8, "");
_Static_assert(offsetof(struct vmbus_ring_control, pending_send_sz) == 12, "");
_Static_assert(offsetof(struct vmbus_ring_control, feature_bits) == 64, "");

/* ---------------------------------------------------------------------
 * §6.3 Packets in the data area
 * ------------------------------------------------------------------- */
enum vmbus_packet_type {
	VMBUS_PACKET_INVALID               = 0x0,
	VMBUS_PACKET_SYNCH                 = 0x1,
	VMBUS_PACKET_ADD_XFER_PAGESET      = 0x2,
	VMBUS_PACKET_RM_XFER_PAGESET       = 0x3,
	VMBUS_PACKET_ESTABLISH_GPADL       = 0x4,
	VMBUS_PACKET_TEARDOWN_GPADL        = 0x5,
	VMBUS_PACKET_DATA_INBAND           = 0x6,
	VMBUS_PACKET_DATA_USING_XFER_PAGES = 0x7,
	VMBUS_PACKET_DATA_USING_GPADL      = 0x8,
	VMBUS_PACKET_DATA_USING_GPA_DIRECT = 0x9,
	VMBUS_PACKET_CANCEL_REQUEST        = 0xA,
	VMBUS_PACKET_COMP                  = 0xB,
	VMBUS_PACKET_DATA_USING_ADDITIONAL_PKT = 0xC,
	VMBUS_PACKET_ADDITIONAL_DATA       = 0xD,
};

#define VMBUS_PACKET_FLAG_COMPLETION_REQUESTED 0x1u
#define VMBUS_PACKET_ALIGN   8u    /* every packet and index is 8-aligned */

struct vmbus_packet_desc {
	uint16_t type;       /* @0: enum vmbus_packet_type */
	uint16_t offset8;    /* @2: header length / 8 (payload offset); 2 for plain in-band */
	uint16_t len8;       /* @4: (descriptor + headers + payload + padding) / 8, trailer excluded */
	uint16_t flags;      /* @6: VMBUS_PACKET_FLAG_* */
	uint64_t trans_id;   /* @8: echoed by the completion */
};  /* naturally aligned, no padding */
_Static_assert(sizeof(struct vmbus_packet_desc) == 16, "packet descriptor");
_Static_assert(offsetof(struct vmbus_packet_desc, len8) == 4, "");
_Static_assert(offsetof(struct vmbus_packet_desc, trans_id) == 8, "");

/* Trailer after each padded packet: low u32 reserved (0), high u32 = data
 * offset where the packet started. */
#define VMBUS_PACKET_TRAILER_SIZE 8u
#define VMBUS_PACKET_TRAILER(start) ((uint64_t)(uint32_t)(start) << 32)

/* Extra header of a GPA-direct packet (0x9), between descriptor and payload. */
struct vmbus_gpa_direct_header {
	uint32_t reserved;
	uint32_t range_count;
	/* struct vmbus_gpa_range + PFNs follow */
} VMBUS_PACKED;
_Static_assert(sizeof(struct vmbus_gpa_direct_header) == 8, "GPA direct header");

/* ---------------------------------------------------------------------
 * §7.1 Device class (interface type) GUIDs
 * ------------------------------------------------------------------- */
#define VMBUS_GUID_SCSI         VMBUS_GUID_INIT(0xba6163d9, 0x04a1, 0x4d29, 0xb6, 0x05, 0x72, 0xe2, 0xff, 0xb1, 0xdc, 0x7f)
#define VMBUS_GUID_IDE_ACCEL    VMBUS_GUID_INIT(0x32412632, 0x86cb, 0x44a2, 0x9b, 0x5c, 0x50, 0xd1, 0x41, 0x73, 0x54, 0xf5)
#define VMBUS_GUID_NETWORK      VMBUS_GUID_INIT(0xf8615163, 0xdf3e, 0x46c5, 0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e)
#define VMBUS_GUID_KEYBOARD     VMBUS_GUID_INIT(0xf912ad6d, 0x2b17, 0x48ea, 0xbd, 0x65, 0xf9, 0x27, 0xa6, 0x1c, 0x76, 0x84)
#define VMBUS_GUID_MOUSE        VMBUS_GUID_INIT(0xcfa8b69e, 0x5b4a, 0x4cc0, 0xb9, 0x8b, 0x8b, 0xa1, 0xa1, 0xf3, 0xf9, 0x5a)
#define VMBUS_GUID_VIDEO        VMBUS_GUID_INIT(0xda0a7802, 0xe377, 0x4aac, 0x8e, 0x77, 0x05, 0x58, 0xeb, 0x10, 0x73, 0xf8)
#define VMBUS_GUID_VPCI         VMBUS_GUID_INIT(0x44c4f61d, 0x4444, 0x4400, 0x9d, 0x52, 0x80, 0x2e, 0x27, 0xed, 0xe1, 0x9f)
#define VMBUS_GUID_IC_SHUTDOWN  VMBUS_GUID_INIT(0x0e0b6031, 0x5213, 0x4934, 0x81, 0x8b, 0x38, 0xd9, 0x0c, 0xed, 0x39, 0xdb)
#define VMBUS_GUID_IC_TIMESYNC  VMBUS_GUID_INIT(0x9527e630, 0xd0ae, 0x497b, 0xad, 0xce, 0xe8, 0x0a, 0xb0, 0x17, 0x5c, 0xaf)
#define VMBUS_GUID_IC_HEARTBEAT VMBUS_GUID_INIT(0x57164f39, 0x9115, 0x4e78, 0xab, 0x55, 0x38, 0x2f, 0x3b, 0xd5, 0x42, 0x2d)
#define VMBUS_GUID_IC_KVP       VMBUS_GUID_INIT(0xa9a0f4e7, 0x5a45, 0x4d96, 0xb8, 0x27, 0x8a, 0x84, 0x1e, 0x8c, 0x03, 0xe6)
#define VMBUS_GUID_IC_VSS       VMBUS_GUID_INIT(0x35fa2e29, 0xea23, 0x4236, 0x96, 0xae, 0x3a, 0x6e, 0xba, 0xcb, 0xa4, 0x40)
#define VMBUS_GUID_DYNAMIC_MEMORY VMBUS_GUID_INIT(0x525074dc, 0x8985, 0x46e2, 0x80, 0x57, 0xa3, 0x07, 0xdc, 0x18, 0xa5, 0x02)

#endif /* HVSIM_VMBUS_PROTO_H */
