/* hv-tlfs.h — the Hyper-V guest/hypervisor ABI as Microsoft's TLFS defines it.
 * Shared ABI header: plain C, no GLib. Included by the hypervisor model (sim/,
 * host side) and by the guest kernels (guest/, freestanding ring 0).
 * Every number here comes from ../shared/reference/hyperv-facts.md (TLFS,
 * cross-checked against Linux hvgdk_mini.h and OpenVMM hvdef). */
#ifndef HVSIM_ABI_HV_TLFS_H
#define HVSIM_ABI_HV_TLFS_H

#include <stdint.h>

#define HV_PAGE_SIZE  4096u
#define HV_PAGE_SHIFT 12u

/* ---- CPUID (facts §1) ---------------------------------------------------- */
#define HV_CPUID_FEATURES_ECX_HYPERVISOR_PRESENT (1u << 31) /* leaf 1, ECX */
#define HV_CPUID_VENDOR_AND_MAX_FUNCTIONS 0x40000000u
#define HV_CPUID_INTERFACE                0x40000001u
#define HV_CPUID_VERSION                  0x40000002u
#define HV_CPUID_FEATURES                 0x40000003u
#define HV_CPUID_ENLIGHTENMENT_INFO       0x40000004u
#define HV_CPUID_IMPLEMENTATION_LIMITS    0x40000005u
#define HV_CPUID_HARDWARE_FEATURES        0x40000006u
#define HV_CPUID_MAX_LEAF                 HV_CPUID_HARDWARE_FEATURES

/* "Microsoft Hv" read as little-endian EBX, ECX, EDX of leaf 0x40000000. */
#define HV_CPUID_VENDOR_EBX 0x7263694Du /* "Micr" */
#define HV_CPUID_VENDOR_ECX 0x666F736Fu /* "osof" */
#define HV_CPUID_VENDOR_EDX 0x76482074u /* "t Hv" */
#define HV_CPUID_INTERFACE_HV1 0x31237648u /* "Hv#1" */

/* Leaf 0x40000003 EAX: which synthetic MSRs the partition may access. */
#define HV_MSR_ACCESS_VP_RUNTIME      (1u << 0)
#define HV_MSR_ACCESS_TIME_REF_COUNT  (1u << 1)
#define HV_MSR_ACCESS_SYNIC           (1u << 2)
#define HV_MSR_ACCESS_SYNTIMER        (1u << 3)
#define HV_MSR_ACCESS_APIC            (1u << 4)
#define HV_MSR_ACCESS_HYPERCALL       (1u << 5)
#define HV_MSR_ACCESS_VP_INDEX        (1u << 6)
/* Leaf 0x40000003 EBX: which hypercalls the partition may make. */
#define HV_PRIV_CREATE_PARTITIONS     (1u << 0)
#define HV_PRIV_ACCESS_PARTITION_ID   (1u << 1)
#define HV_PRIV_ACCESS_MEMORY_POOL    (1u << 2)
#define HV_PRIV_POST_MESSAGES         (1u << 4)
#define HV_PRIV_SIGNAL_EVENTS         (1u << 5)
#define HV_PRIV_CREATE_PORT           (1u << 6)
#define HV_PRIV_CONNECT_PORT          (1u << 7)
#define HV_PRIV_ACCESS_VP_REGISTERS   (1u << 17)
/* Leaf 0x40000003 EDX bit 19: synthetic timers may run in direct mode. */
#define HV_FEATURE_DIRECT_SYNTHETIC_TIMERS (1u << 19)

/* ---- Synthetic MSRs (facts §2.1) ----------------------------------------- */
#define HV_X64_MSR_GUEST_OS_ID    0x40000000u
#define HV_X64_MSR_HYPERCALL      0x40000001u
#define HV_X64_MSR_VP_INDEX       0x40000002u
#define HV_X64_MSR_RESET          0x40000003u
#define HV_X64_MSR_VP_RUNTIME     0x40000010u
#define HV_X64_MSR_TIME_REF_COUNT 0x40000020u
#define HV_X64_MSR_EOI            0x40000070u
#define HV_X64_MSR_ICR            0x40000071u
#define HV_X64_MSR_TPR            0x40000072u
#define HV_X64_MSR_SCONTROL       0x40000080u
#define HV_X64_MSR_SVERSION       0x40000081u
#define HV_X64_MSR_SIEFP          0x40000082u
#define HV_X64_MSR_SIMP           0x40000083u
#define HV_X64_MSR_EOM            0x40000084u
#define HV_X64_MSR_SINT0          0x40000090u
#define HV_X64_MSR_SINT15         0x4000009Fu
#define HV_X64_MSR_STIMER0_CONFIG 0x400000B0u
#define HV_X64_MSR_STIMER0_COUNT  0x400000B1u
/* The synthetic MSR range this model owns. */
#define HV_X64_MSR_SYNTHETIC_FIRST 0x40000000u
#define HV_X64_MSR_SYNTHETIC_LAST  0x400000FFu

/* HYPERCALL MSR layout (facts §2.2). */
#define HV_HYPERCALL_MSR_ENABLE    (1ull << 0)
#define HV_HYPERCALL_MSR_LOCKED    (1ull << 1)
#define HV_HYPERCALL_MSR_GPFN_SHIFT 12u
#define HV_HYPERCALL_MSR_RSVDP_MASK 0xFFCull /* 11:2 RsvdP: preserve on write */

/* GUEST_OS_ID, open-source layout (facts §2.3): bit 63 set, OS type 62:56. */
#define HV_GUEST_OS_ID_OPEN_SOURCE (1ull << 63)
#define HV_GUEST_OS_ID_OS_TYPE_SHIFT 56u
#define HV_GUEST_OS_ID_OS_TYPE_MASK  (0x7Full << 56)        /* 62:56 */
#define HV_GUEST_OS_ID_OS_ID_SHIFT   48u                    /* 55:48 vendor/distro */
#define HV_GUEST_OS_ID_OS_ID_MASK    (0xFFull << 48)
#define HV_GUEST_OS_ID_VERSION_SHIFT 16u                    /* 47:16 kernel version */
#define HV_GUEST_OS_ID_VERSION_MASK  (0xFFFFFFFFull << 16)
#define HV_GUEST_OS_ID_BUILD_MASK    0xFFFFull              /* 15:0 build number */
#define HV_GUEST_OS_TYPE_LINUX   1u
#define HV_GUEST_OS_TYPE_FREEBSD 2u
#define HV_GUEST_OS_TYPE_XEN     3u
#define HV_GUEST_OS_TYPE_ILLUMOS 4u

/* Synthetic timer CONFIG (facts §2.5). */
#define HV_STIMER_CONFIG_ENABLE      (1ull << 0)
#define HV_STIMER_CONFIG_PERIODIC    (1ull << 1)
#define HV_STIMER_CONFIG_LAZY        (1ull << 2)
#define HV_STIMER_CONFIG_AUTO_ENABLE (1ull << 3)
#define HV_STIMER_CONFIG_VECTOR_SHIFT 4u
#define HV_STIMER_CONFIG_VECTOR_MASK  (0xFFull << 4)
#define HV_STIMER_CONFIG_DIRECT_MODE (1ull << 12)
#define HV_STIMER_CONFIG_SINT_SHIFT  16u
#define HV_STIMER_CONFIG_SINT_MASK   (0xFull << 16)
/* ---- SynIC (facts §2.1, §2.4, §4) ---------------------------------------- */
#define HV_SYNIC_SINT_COUNT          16u
#define HV_SYNIC_VERSION_1           1u     /* SVERSION bits 31:0 */
#define HV_SYNIC_SCONTROL_ENABLE     (1ull << 0)
/* SIMP / SIEFP: bit 0 enable, 11:1 RsvdP, 63:12 GPFN. */
#define HV_SYNIC_PAGE_ENABLE         (1ull << 0)
#define HV_SYNIC_PAGE_GPFN_SHIFT     12u
/* SINTx (facts §2.4): 7:0 vector, 15:8 RsvdP, 16 masked, 17 AutoEOI,
 * 18 polling, 63:19 RsvdP here (19 "as intercept" and 20 proxy are not
 * TLFS bits). */
#define HV_SYNIC_SINT_VECTOR_MASK    0xFFull
#define HV_SYNIC_SINT_MASKED         (1ull << 16)
#define HV_SYNIC_SINT_AUTO_EOI       (1ull << 17)
#define HV_SYNIC_SINT_POLLING        (1ull << 18)
#define HV_SYNIC_SINT_RESET          HV_SYNIC_SINT_MASKED   /* 0x10000 */
#define HV_SYNIC_FIRST_VALID_VECTOR  16u

/* SIM page (facts §4.1): 16 slots of 256 bytes, slot n for SINTn. */
#define HV_MESSAGE_SIZE              256u
#define HV_MESSAGE_PAYLOAD_MAX       240u
#define HV_MESSAGE_FLAG_PENDING      0x01u  /* header flags byte, bit 0 */
/* HV_MESSAGE_TYPE values used so far (facts §4.6). */
#define HVMSG_NONE                   0x00000000u   /* slot empty */
#define HVMSG_TIMER_EXPIRED          0x80000010u
#define HVMSG_UNMAPPED_GPA           0x80000000u
#define HVMSG_GPA_INTERCEPT          0x80000001u
#define HVMSG_UNRECOVERABLE_EXCEPTION 0x80000021u  /* e.g. a triple fault */
#define HVMSG_X64_IO_PORT_INTERCEPT  0x80010000u
#define HVMSG_X64_HALT               0x80010007u
/* SINT of intercept messages (facts §4.4). */
#define HV_SYNIC_INTERCEPTION_SINT   0u

struct hv_message_header {
	uint32_t message_type;
	uint8_t  payload_size;
	uint8_t  message_flags;      /* bit 0 MessagePending */
	uint8_t  reserved[2];
	uint64_t origination_id;     /* port id, sender partition, or 0 for timers */
};

struct hv_message {
	struct hv_message_header header;
	uint8_t payload[HV_MESSAGE_PAYLOAD_MAX];
};

/* Payload of HvMessageTypeTimerExpired (facts §2.5), times in 100 ns units. */
struct hv_timer_message_payload {
	uint32_t timer_index;
	uint32_t reserved;
	uint64_t expiration_time;
	uint64_t delivery_time;
};

_Static_assert(sizeof(struct hv_message_header) == 16, "message header is 16 bytes");
_Static_assert(sizeof(struct hv_message) == HV_MESSAGE_SIZE, "a SIM slot is 256 bytes");
_Static_assert(sizeof(struct hv_timer_message_payload) == 24, "timer payload is 24 bytes");

/* TIME_REF_COUNT and STIMER counts tick in 100 ns units. */
#define HV_TIME_UNIT_NS 100u

/* ---- Hypercall input value (facts §3.2) ---------------------------------- */
#define HV_HYPERCALL_CODE_MASK        0xFFFFull
#define HV_HYPERCALL_FAST             (1ull << 16)
#define HV_HYPERCALL_VARHEAD_SHIFT    17u
#define HV_HYPERCALL_VARHEAD_MASK     (0x3FFull << 17)
#define HV_HYPERCALL_RSVD0_MASK       (0xFull << 27)   /* 30:27 RsvdZ */
#define HV_HYPERCALL_NESTED           (1ull << 31)
#define HV_HYPERCALL_REP_COUNT_SHIFT  32u
#define HV_HYPERCALL_REP_COUNT_MASK   (0xFFFull << 32)
#define HV_HYPERCALL_RSVD1_MASK       (0xFull << 44)   /* 47:44 RsvdZ */
#define HV_HYPERCALL_REP_START_SHIFT  48u
#define HV_HYPERCALL_REP_START_MASK   (0xFFFull << 48)
#define HV_HYPERCALL_RSVD2_MASK       (0xFull << 60)   /* 63:60 RsvdZ */

/* Result value (facts §3.3): 15:0 status, 43:32 reps completed. */
#define HV_HYPERCALL_RESULT_STATUS_MASK 0xFFFFull
#define HV_HYPERCALL_RESULT_REPS_SHIFT  32u
#define HV_HYPERCALL_RESULT_REPS_MASK   (0xFFFull << 32)

/* ---- HV_STATUS (facts §3.4) ---------------------------------------------- */
#define HV_STATUS_SUCCESS                  0x0000u
#define HV_STATUS_INVALID_HYPERCALL_CODE   0x0002u
#define HV_STATUS_INVALID_HYPERCALL_INPUT  0x0003u
#define HV_STATUS_INVALID_ALIGNMENT        0x0004u
#define HV_STATUS_INVALID_PARAMETER        0x0005u
#define HV_STATUS_ACCESS_DENIED            0x0006u
#define HV_STATUS_INVALID_PARTITION_STATE  0x0007u
#define HV_STATUS_OPERATION_DENIED         0x0008u
#define HV_STATUS_UNKNOWN_PROPERTY         0x0009u
#define HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE 0x000Au
#define HV_STATUS_INSUFFICIENT_MEMORY      0x000Bu
#define HV_STATUS_PARTITION_TOO_DEEP       0x000Cu
#define HV_STATUS_INVALID_PARTITION_ID     0x000Du
#define HV_STATUS_INVALID_VP_INDEX         0x000Eu
#define HV_STATUS_NOT_FOUND                0x0010u
#define HV_STATUS_INVALID_PORT_ID          0x0011u
#define HV_STATUS_INVALID_CONNECTION_ID    0x0012u
#define HV_STATUS_INSUFFICIENT_BUFFERS     0x0013u
#define HV_STATUS_NOT_ACKNOWLEDGED         0x0014u
#define HV_STATUS_INVALID_VP_STATE         0x0015u
#define HV_STATUS_ACKNOWLEDGED             0x0016u
#define HV_STATUS_INVALID_SAVE_RESTORE_STATE 0x0017u
#define HV_STATUS_INVALID_SYNIC_STATE      0x0018u
#define HV_STATUS_OBJECT_IN_USE            0x0019u
#define HV_STATUS_NO_DATA                  0x001Bu
#define HV_STATUS_INACTIVE                 0x001Cu
#define HV_STATUS_NO_RESOURCES             0x001Du
#define HV_STATUS_FEATURE_UNAVAILABLE      0x001Eu
#define HV_STATUS_INVALID_REGISTER_VALUE   0x0050u

/* ---- Call codes (facts §3.5) --------------------------------------------- */
#define HVCALL_SWITCH_VIRTUAL_ADDRESS_SPACE 0x0001u
#define HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE  0x0002u
#define HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST   0x0003u
#define HVCALL_NOTIFY_LONG_SPIN_WAIT        0x0008u
#define HVCALL_SEND_SYNTHETIC_CLUSTER_IPI   0x000Bu
#define HVCALL_CREATE_PARTITION             0x0040u
#define HVCALL_INITIALIZE_PARTITION         0x0041u
#define HVCALL_FINALIZE_PARTITION           0x0042u
#define HVCALL_DELETE_PARTITION             0x0043u
#define HVCALL_GET_PARTITION_PROPERTY       0x0044u
#define HVCALL_SET_PARTITION_PROPERTY       0x0045u
#define HVCALL_GET_PARTITION_ID             0x0046u
#define HVCALL_GET_NEXT_CHILD_PARTITION     0x0047u
#define HVCALL_DEPOSIT_MEMORY               0x0048u
#define HVCALL_WITHDRAW_MEMORY              0x0049u
#define HVCALL_GET_MEMORY_BALANCE           0x004Au
#define HVCALL_MAP_GPA_PAGES                0x004Bu
#define HVCALL_UNMAP_GPA_PAGES              0x004Cu
#define HVCALL_INSTALL_INTERCEPT            0x004Du
#define HVCALL_CREATE_VP                    0x004Eu
#define HVCALL_DELETE_VP                    0x004Fu
#define HVCALL_GET_VP_REGISTERS             0x0050u
#define HVCALL_SET_VP_REGISTERS             0x0051u
#define HVCALL_TRANSLATE_VIRTUAL_ADDRESS    0x0052u
#define HVCALL_DELETE_PORT                  0x0058u
#define HVCALL_DISCONNECT_PORT              0x005Bu
#define HVCALL_POST_MESSAGE                 0x005Cu
#define HVCALL_SIGNAL_EVENT                 0x005Du
#define HVCALL_CREATE_PORT                  0x0095u
#define HVCALL_CONNECT_PORT                 0x0096u
#define HVCALL_START_VIRTUAL_PROCESSOR      0x0099u

/* Special ids (facts §3.6). */
#define HV_PARTITION_ID_SELF    0xFFFFFFFFFFFFFFFFull
#define HV_PARTITION_ID_INVALID 0x0ull
#define HV_VP_INDEX_SELF        0xFFFFFFFEu
#define HV_ANY_VP               0xFFFFFFFFu

/* ---- Register names for Get/SetVpRegisters (TLFS HV_REGISTER_NAME) ------- */
#define HV_X64_REGISTER_RAX    0x00020000u
#define HV_X64_REGISTER_RCX    0x00020001u
#define HV_X64_REGISTER_RDX    0x00020002u
#define HV_X64_REGISTER_RBX    0x00020003u
#define HV_X64_REGISTER_RSP    0x00020004u
#define HV_X64_REGISTER_RBP    0x00020005u
#define HV_X64_REGISTER_RSI    0x00020006u
#define HV_X64_REGISTER_RDI    0x00020007u
#define HV_X64_REGISTER_R8     0x00020008u
#define HV_X64_REGISTER_R15    0x0002000Fu
#define HV_X64_REGISTER_RIP    0x00020010u
#define HV_X64_REGISTER_RFLAGS 0x00020011u
#define HV_X64_REGISTER_CR0    0x00040000u
#define HV_X64_REGISTER_CR2    0x00040001u
#define HV_X64_REGISTER_CR3    0x00040002u
#define HV_X64_REGISTER_CR4    0x00040003u
#define HV_X64_REGISTER_ES     0x00060000u
#define HV_X64_REGISTER_CS     0x00060001u
#define HV_X64_REGISTER_SS     0x00060002u
#define HV_X64_REGISTER_DS     0x00060003u
#define HV_X64_REGISTER_FS     0x00060004u
#define HV_X64_REGISTER_GS     0x00060005u
#define HV_X64_REGISTER_LDTR   0x00060006u
#define HV_X64_REGISTER_TR     0x00060007u
#define HV_X64_REGISTER_IDTR   0x00070000u
#define HV_X64_REGISTER_GDTR   0x00070001u
#define HV_X64_REGISTER_EFER   0x00080001u
/* VP run state (facts §4.7 modelling note; names from Linux hvgdk_mini.h):
 * a VP runs only while both are 0. ExplicitSuspend is the parent's switch
 * (a new child VP starts with it set, see sim/hv-hypercall.c); the
 * hypervisor sets InterceptSuspend when it sends an intercept message and
 * the parent clears it to resume the VP. */
#define HV_REGISTER_EXPLICIT_SUSPEND  0x00000000u
#define HV_REGISTER_INTERCEPT_SUSPEND 0x00000001u

/* Segment register value (HV_X64_SEGMENT_REGISTER) and table register value
 * (HV_X64_TABLE_REGISTER), both carried in a 16-byte register value. */
struct hv_x64_segment_register {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint16_t attributes;   /* 3:0 type, 4 S, 6:5 DPL, 7 P, 12 AVL, 13 L, 14 D/B, 15 G */
};

struct hv_x64_table_register {
	uint16_t pad[3];
	uint16_t limit;
	uint64_t base;
};

/* ---- Input/output blocks of the calls implemented so far ----------------- */
/* HvCallGetPartitionId: no input, output 0:8 PartitionId. */
struct hv_output_get_partition_id {
	uint64_t partition_id;
};

/* HvCallGetVpRegisters (rep): 16-byte header, then one u32 name per rep;
 * output one 16-byte value per rep (facts §3.6). */
struct hv_input_get_vp_registers {
	uint64_t partition_id;
	uint32_t vp_index;
	uint8_t  target_vtl;
	uint8_t  rsvd_z[3];
	uint32_t names[];
};

struct hv_register_value {
	uint64_t low;
	uint64_t high;
};

_Static_assert(sizeof(struct hv_input_get_vp_registers) == 16, "GetVpRegisters header is 16 bytes");
_Static_assert(sizeof(struct hv_register_value) == 16, "register value is 16 bytes");

/* ---- Partition management (facts §3.6, §3.7): root partition only -------- */
/* HvCallCreatePartition: 56-byte input, output the new id. The model keeps
 * Flags, ProximityDomainInfo, CompatibilityVersion and the disabled feature
 * masks as given; RsvdZ must be zero. */
struct hv_input_create_partition {
	uint64_t flags;
	uint64_t proximity_domain_info;
	uint32_t compatibility_version;
	uint32_t padding;
	uint64_t disabled_processor_features[2];
	uint64_t disabled_xsave_features;
	uint64_t rsvd_z;
};

struct hv_output_create_partition {
	uint64_t new_partition_id;
};

/* HvCallInitializePartition, HvCallFinalizePartition, HvCallDeletePartition:
 * input 0:8 PartitionId, no output. */
struct hv_input_partition_id {
	uint64_t partition_id;
};

/* HvCallGetPartitionProperty: input 16 bytes, output the 8-byte value. */
struct hv_input_get_partition_property {
	uint64_t partition_id;
	uint32_t property_code;
	uint32_t rsvd_z;
};

struct hv_output_get_partition_property {
	uint64_t property_value;
};

_Static_assert(sizeof(struct hv_input_create_partition) == 56, "CreatePartition input is 56 bytes");
_Static_assert(sizeof(struct hv_output_create_partition) == 8, "CreatePartition output is 8 bytes");
_Static_assert(sizeof(struct hv_input_partition_id) == 8, "a PartitionId input is 8 bytes");
_Static_assert(sizeof(struct hv_input_get_partition_property) == 16, "GetPartitionProperty input is 16 bytes");
_Static_assert(sizeof(struct hv_output_get_partition_property) == 8, "GetPartitionProperty output is 8 bytes");

/* HvCallDepositMemory (rep): 0:8 PartitionId, then one u64 page number per
 * rep. No output. */
struct hv_input_deposit_memory {
	uint64_t partition_id;
	/* uint64_t gpa_page_list[rep_count]; */
};

/* HvCallCreateVp: 40 bytes, no output. RsvdZ and Flags must be zero. */
struct hv_input_create_vp {
	uint64_t partition_id;
	uint32_t vp_index;
	uint8_t rsvd_z[3];
	uint8_t subnode_type;
	uint64_t subnode_id;
	uint64_t proximity_domain_info;
	uint64_t flags;
};

/* HvCallDeleteVp: 16 bytes, no output. */
struct hv_input_delete_vp {
	uint64_t partition_id;
	uint32_t vp_index;
	uint32_t rsvd_z;
};

/* HvCallMapGpaPages (rep): 24-byte header, then one u64 source page number
 * (a page of the caller's GPA space) per rep. No output. */
struct hv_input_map_gpa_pages {
	uint64_t target_partition_id;
	uint64_t target_gpa_base;      /* page number in the target's GPA space */
	uint64_t map_flags;            /* HV_MAP_GPA_* */
	/* uint64_t source_gpa_page_list[rep_count]; */
};

/* HvCallUnmapGpaPages (rep): 0:8 TargetPartitionId, 8:8 TargetGpaBase,
 * 16:4 UnmapFlags (20 bytes, read as 24: the last 4 are padding). One rep
 * per page, no per-rep input, no output. */
struct hv_input_unmap_gpa_pages {
	uint64_t target_partition_id;
	uint64_t target_gpa_base;
	uint32_t unmap_flags;
	uint32_t padding;
};

/* HV_MAP_GPA_FLAGS (facts §3.6). */
#define HV_MAP_GPA_READABLE           0x1ull
#define HV_MAP_GPA_WRITABLE           0x2ull
#define HV_MAP_GPA_KERNEL_EXECUTABLE  0x4ull
#define HV_MAP_GPA_USER_EXECUTABLE    0x8ull
#define HV_MAP_GPA_PERMISSIONS_MASK   0xFull

_Static_assert(sizeof(struct hv_input_deposit_memory) == 8, "DepositMemory header is 8 bytes");
_Static_assert(sizeof(struct hv_input_create_vp) == 40, "CreateVp input is 40 bytes");
_Static_assert(sizeof(struct hv_input_delete_vp) == 16, "DeleteVp input is 16 bytes");
_Static_assert(sizeof(struct hv_input_map_gpa_pages) == 24, "MapGpaPages header is 24 bytes");
_Static_assert(sizeof(struct hv_input_unmap_gpa_pages) == 24, "UnmapGpaPages header is 24 bytes (20 + pad)");

/* HvCallSetVpRegisters (rep): the GetVpRegisters header, then one 32-byte
 * element per rep: name u32, 12 bytes RsvdZ, value 16 bytes. No output. */
struct hv_register_assoc {
	uint32_t name;
	uint32_t rsvd_z1;
	uint64_t rsvd_z2;
	struct hv_register_value value;
};
_Static_assert(sizeof(struct hv_register_assoc) == 32, "SetVpRegisters element is 32 bytes");

/* HvCallInstallIntercept: 24 bytes, no output (facts §3.6). */
struct hv_input_install_intercept {
	uint64_t partition_id;
	uint32_t access_type_mask;     /* HV_INTERCEPT_ACCESS_MASK_* */
	uint32_t intercept_type;       /* HV_INTERCEPT_TYPE_* */
	uint64_t intercept_parameter;  /* X64IoPort: the u16 port */
};
_Static_assert(sizeof(struct hv_input_install_intercept) == 24, "InstallIntercept input is 24 bytes");

#define HV_INTERCEPT_TYPE_X64_IO_PORT   0x0u
#define HV_INTERCEPT_TYPE_X64_MSR       0x1u
#define HV_INTERCEPT_TYPE_X64_CPUID     0x2u
#define HV_INTERCEPT_TYPE_EXCEPTION     0x3u
#define HV_INTERCEPT_ACCESS_MASK_READ    0x1u
#define HV_INTERCEPT_ACCESS_MASK_WRITE   0x2u
#define HV_INTERCEPT_ACCESS_MASK_EXECUTE 0x4u

/* Intercept messages (facts §4.7): a 40-byte header, then the payload. */
struct hv_x64_intercept_message_header {
	uint32_t vp_index;
	uint8_t  instruction_length;   /* 3:0 length, 7:4 CR8 */
	uint8_t  intercept_access_type; /* 0 read, 1 write, 2 execute */
	uint16_t execution_state;      /* 1:0 CPL, 2 CR0.PE, 3 CR0.AM, 4 EFER.LMA, ... */
	struct hv_x64_segment_register cs;
	uint64_t rip;
	uint64_t rflags;
};
_Static_assert(sizeof(struct hv_x64_intercept_message_header) == 40, "intercept header is 40 bytes");

#define HV_INTERCEPT_ACCESS_READ    0u
#define HV_INTERCEPT_ACCESS_WRITE   1u
#define HV_INTERCEPT_ACCESS_EXECUTE 2u
#define HV_X64_EXEC_STATE_CR0_PE    (1u << 2)
#define HV_X64_EXEC_STATE_EFER_LMA  (1u << 4)

/* HvMessageTypeX64IoPortIntercept payload, 128 bytes. Access info: 2:0
 * size in bytes (1, 2, 4), bit 3 string (INS/OUTS), bit 4 REP. */
struct hv_x64_io_port_intercept_message {
	struct hv_x64_intercept_message_header header;
	uint16_t port_number;
	uint8_t  access_info;
	uint8_t  instruction_byte_count;
	uint32_t reserved;
	uint64_t rax;
	uint8_t  instruction_bytes[16];
	struct hv_x64_segment_register ds;
	struct hv_x64_segment_register es;
	uint64_t rcx;
	uint64_t rsi;
	uint64_t rdi;
};
_Static_assert(sizeof(struct hv_x64_io_port_intercept_message) == 128, "I/O port intercept message is 128 bytes");
#define HV_IO_ACCESS_SIZE_MASK 0x7u
#define HV_IO_ACCESS_STRING    (1u << 3)
#define HV_IO_ACCESS_REP       (1u << 4)

/* HvMessageTypeUnmappedGpa / GpaIntercept payload, 80 bytes. */
struct hv_x64_memory_intercept_message {
	struct hv_x64_intercept_message_header header;
	uint32_t cache_type;
	uint8_t  instruction_byte_count;
	uint8_t  memory_access_info;   /* bit 0 GVA valid */
	uint8_t  tpr_priority;
	uint8_t  reserved;
	uint64_t guest_virtual_address;
	uint64_t guest_physical_address;
	uint8_t  instruction_bytes[16];
};
_Static_assert(sizeof(struct hv_x64_memory_intercept_message) == 80, "memory intercept message is 80 bytes");

/* ---- Ports, connections, messages and events (facts §3.6, §4.5) ---------- */
#define HV_PORT_TYPE_MESSAGE 1u
#define HV_PORT_TYPE_EVENT   2u
#define HV_PORT_TYPE_MONITOR 3u

/* HV_PORT_INFO, 24 bytes (Linux layout, facts §3.6). */
struct hv_port_info {
	uint32_t port_type;
	uint32_t padding;
	union {
		struct { uint32_t target_sint; uint32_t target_vp; uint64_t rsvd; } message;
		struct { uint32_t target_sint; uint32_t target_vp; uint16_t base_flag_number;
		         uint16_t flag_count; uint32_t rsvd; } event;
		struct { uint64_t monitor_address; uint64_t rsvd; } monitor;
	} u;
};
_Static_assert(sizeof(struct hv_port_info) == 24, "HV_PORT_INFO is 24 bytes");

/* HV_CONNECTION_INFO, 32 bytes. */
struct hv_connection_info {
	uint32_t port_type;
	uint32_t padding;
	uint64_t data[3];
};
_Static_assert(sizeof(struct hv_connection_info) == 32, "HV_CONNECTION_INFO is 32 bytes");

/* HvCallCreatePort: 56 bytes, no output. */
struct hv_input_create_port {
	uint64_t port_partition_id;
	uint32_t port_id;
	uint8_t  port_vtl;
	uint8_t  min_connection_vtl;
	uint16_t rsvd_z;
	uint64_t connection_partition_id;
	struct hv_port_info port_info;
	uint64_t proximity_domain_info;
};
_Static_assert(sizeof(struct hv_input_create_port) == 56, "CreatePort input is 56 bytes");

/* HvCallConnectPort: 72 bytes, no output. */
struct hv_input_connect_port {
	uint64_t connection_partition_id;
	uint32_t connection_id;
	uint8_t  connection_vtl;
	uint8_t  rsvd_z1[3];
	uint64_t port_partition_id;
	uint32_t port_id;
	uint32_t rsvd_z2;
	struct hv_connection_info connection_info;
	uint64_t proximity_domain_info;
};
_Static_assert(sizeof(struct hv_input_connect_port) == 72, "ConnectPort input is 72 bytes");

/* HvCallPostMessage: 256 bytes, no output. */
struct hv_input_post_message {
	uint32_t connection_id;        /* bits 23:0; 31:24 zero */
	uint32_t rsvd_z;
	uint32_t message_type;         /* non-zero, bit 31 clear */
	uint32_t payload_size;         /* <= HV_MESSAGE_PAYLOAD_MAX */
	uint8_t  payload[HV_MESSAGE_PAYLOAD_MAX];
};
_Static_assert(sizeof(struct hv_input_post_message) == 256, "PostMessage input is 256 bytes");

/* HvCallSignalEvent: 8 bytes (usually fast: RDX = id | flag << 32). */
struct hv_input_signal_event {
	uint32_t connection_id;
	uint16_t flag_number;
	uint16_t rsvd_z;
};
_Static_assert(sizeof(struct hv_input_signal_event) == 8, "SignalEvent input is 8 bytes");

/* HvCallDeletePort / HvCallDisconnectPort: 16 bytes, no output. */
struct hv_input_delete_port {
	uint64_t port_partition_id;
	uint32_t port_id;
	uint32_t rsvd_z;
};
_Static_assert(sizeof(struct hv_input_delete_port) == 16, "DeletePort input is 16 bytes");

struct hv_input_disconnect_port {
	uint64_t connection_partition_id;
	uint32_t connection_id;
	uint32_t rsvd_z;
};
_Static_assert(sizeof(struct hv_input_disconnect_port) == 16, "DisconnectPort input is 16 bytes");

#define HV_CONNECTION_ID_MASK 0x00FFFFFFu
#define HV_SYNIC_PORT_MESSAGE_BUFFERS 16u  /* a message port's buffer pool */
#define HV_EVENT_FLAGS_PER_SINT 2048u       /* 256 bytes of SIEF per SINT */

#endif /* HVSIM_ABI_HV_TLFS_H */
