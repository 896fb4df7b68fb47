/* badcalls.c — scenario `badcalls` (boot-info flag HVSIM_BOOT_FLAG_BAD_INPUT):
 * a ring 0 self-test of the hypervisor's input checks. After the late launch
 * the kernel, as root with the CreatePartitions right, makes partition-
 * management, VP-register, intercept and port hypercalls with bad input, one
 * table row each, and compares the status with the one the TLFS (or, where
 * the TLFS is silent, the model's documented decision in sim/hv-hypercall.c
 * and sim/hv-port.c) prescribes. Rows that build what a bad call needs (the
 * child partitions, a VP, ports and connections) and a few positive
 * controls are checks too: they must succeed. A rep row may also check the
 * reps completed that RAX reports (bits 43:32).
 * Guest ring 0, freestanding. One line per row:
 *   [badcalls] <name>: got 0x.... <NAME>[, N reps], expected <NAME>[, N reps] ok|FAILED
 * then "[badcalls] N of M checks passed", then power off. */
#include "badcalls.h"

/* An id never handed out: the model allocates child ids upwards from the
 * root's, and the test creates two. */
#define BAD_UNKNOWN_ID 0x7777u
/* Offset that breaks the 8-byte alignment rule for parameter blocks. */
#define BAD_MISALIGNMENT 4u
/* A VP index one past the model's limit (indexes 0..3). */
#define BAD_VP_INDEX 4u
/* A VP index the model allows but child B has no VP at (it gets VP 0 only). */
#define BAD_MISSING_VP 1u
/* A register name the TLFS does not define (class 0x7FFF in bits 31:16). */
#define BAD_REGISTER_NAME 0x7FFF0000u
/* One past the 16-bit I/O port space. */
#define BAD_IO_PORT 0x10000u
/* A port type the TLFS does not define (Message 1, Event 2, Monitor 3). */
#define BAD_PORT_TYPE 7u
/* The lowest id with a bit above the 24 of HV_PORT_ID / HV_CONNECTION_ID. */
#define BAD_ID_ABOVE_24_BITS (HV_CONNECTION_ID_MASK + 1u)

/* The ports and connections the port rows set up. The message port lives in
 * our own partition (our SynIC is on: the VID driver enabled it, SIM page
 * and SINT0); it targets SINT BAD_SINT of our VP 0, which the kernel leaves
 * masked until the positive control unmasks it, polled, so a message there
 * raises no interrupt. The event port lives in child B, whose VP 0 has
 * never run and so has no SynIC on. Our connections lead to both. */
#define BAD_SINT 5u       /* the first SINT with no fixed use (facts §4.4: 0 intercepts, 2 VMBus) */
#define BAD_SINT_VECTOR HV_SYNIC_FIRST_VALID_VECTOR /* polled: never raised */
#define BAD_MSG_PORT 1u
#define BAD_EVENT_PORT 2u
#define BAD_MSG_CONN 1u
#define BAD_EVENT_CONN 2u
#define BAD_NO_SUCH_PORT 99u
#define BAD_NO_SUCH_CONN 99u
#define BAD_EVENT_FLAG_COUNT 8u   /* the event port's flags 0..7 */
#define BAD_GUEST_MSG_TYPE 1u     /* a guest message type: non-zero, bit 31 clear */
#define BAD_PAYLOAD 16u           /* the size of the messages that should arrive */

/* The two children: A stays "created" (never initialized), B is
 * initialized and gets VP 0. */
static uint64_t child_a, child_b;

enum target {
	T_NONE,       /* no id in the input (CreatePartition) */
	T_ZERO,       /* HV_PARTITION_ID_INVALID */
	T_SELF,       /* HV_PARTITION_ID_SELF */
	T_UNKNOWN,    /* an id never allocated */
	T_CHILD_A,
	T_CHILD_B,
};

enum input_at {
	AT_PAGE,      /* the start of the input page */
	AT_MISALIGNED,
	AT_CROSSING,  /* 8-byte aligned, 8 bytes before the end of the page */
};

struct badcall {
	const char *name;
	uint16_t code;
	uint64_t flags;         /* HV_HYPERCALL_FAST or 0 */
	uint32_t reps;
	enum target target;
	enum input_at at;
	uint16_t expected;
	/* Fills the rest of the input block (after the id). */
	void (*fill)(uint8_t *in);
	/* After the call: store what a later row needs (child ids). */
	void (*after)(uint16_t status);
	/* Before the input is built: set-up that is not a table row (false if
	 * it failed: the row fails without making its call). */
	bool (*prepare)(void);
	/* Rep calls: also compare the reps completed in RAX. */
	bool check_reps;
	uint16_t expected_reps;
};

static uint64_t target_id(enum target t)
{
	switch (t) {
	case T_ZERO: return HV_PARTITION_ID_INVALID;
	case T_SELF: return HV_PARTITION_ID_SELF;
	case T_UNKNOWN: return BAD_UNKNOWN_ID;
	case T_CHILD_A: return child_a;
	case T_CHILD_B: return child_b;
	case T_NONE: break;
	}
	return 0;
}

static void fill_create_rsvd(uint8_t *in)
{
	((struct hv_input_create_partition *)(void *)in)->rsvd_z = 1;
}

static void store_child_a(uint16_t status)
{
	if (status == HV_STATUS_SUCCESS)
		child_a = ((const struct hv_output_create_partition *)(const void *)hv_output_page)->new_partition_id;
}

static void store_child_b(uint16_t status)
{
	if (status == HV_STATUS_SUCCESS)
		child_b = ((const struct hv_output_create_partition *)(const void *)hv_output_page)->new_partition_id;
}

static void fill_page_outside_ram(uint8_t *in)
{
	uint64_t page = kernel_boot.memory_size >> HV_PAGE_SHIFT; /* the first page past RAM */
	memcpy(in + sizeof(struct hv_input_deposit_memory), &page, sizeof(page));
}

static void fill_hypercall_page(uint8_t *in)
{
	uint64_t page = hv_gpa(hv_hypercall_page) >> HV_PAGE_SHIFT;
	memcpy(in + sizeof(struct hv_input_deposit_memory), &page, sizeof(page));
}

static void fill_vp_0(uint8_t *in)
{
	((struct hv_input_create_vp *)(void *)in)->vp_index = 0;
}

static void fill_vp_bad(uint8_t *in)
{
	((struct hv_input_create_vp *)(void *)in)->vp_index = BAD_VP_INDEX;
}

static void fill_map_write_only(uint8_t *in)
{
	struct hv_input_map_gpa_pages *h = (void *)in;
	uint64_t src = hv_gpa(hv_output_page) >> HV_PAGE_SHIFT; /* a plain RAM page */

	h->target_gpa_base = 0;
	h->map_flags = HV_MAP_GPA_WRITABLE; /* writable without readable */
	memcpy(in + sizeof(*h), &src, sizeof(src));
}

/* ---- Get/SetVpRegisters ------------------------------------------------------
 * The header (partition id from the row's target, then VP index, TargetVtl,
 * RsvdZ), then one u32 name (Get) or one 32-byte name/value pair (Set) per
 * rep. */
static struct hv_input_get_vp_registers *regs_header(uint8_t *in)
{
	return (struct hv_input_get_vp_registers *)(void *)in;
}

static void put_name(uint8_t *in, unsigned i, uint32_t name)
{
	memcpy(in + sizeof(struct hv_input_get_vp_registers) + sizeof(name) * i, &name, sizeof(name));
}

static void put_assoc(uint8_t *in, unsigned i, uint32_t name, uint64_t low, uint64_t high)
{
	struct hv_register_assoc a = { .name = name, .value = { .low = low, .high = high } };
	memcpy(in + sizeof(struct hv_input_get_vp_registers) + sizeof(a) * i, &a, sizeof(a));
}

static void fill_get_rip(uint8_t *in)
{
	put_name(in, 0, HV_X64_REGISTER_RIP);
}

static void fill_get_unknown(uint8_t *in)
{
	put_name(in, 0, BAD_REGISTER_NAME);
}

/* Two good names, a bad one, a good one: the call stops at rep 2. */
static void fill_get_midway(uint8_t *in)
{
	put_name(in, 0, HV_X64_REGISTER_RIP);
	put_name(in, 1, HV_X64_REGISTER_RSP);
	put_name(in, 2, BAD_REGISTER_NAME);
	put_name(in, 3, HV_X64_REGISTER_RAX);
}

static void fill_get_missing_vp(uint8_t *in)
{
	regs_header(in)->vp_index = BAD_MISSING_VP;
	put_name(in, 0, HV_X64_REGISTER_RIP);
}

static void fill_get_vtl(uint8_t *in)
{
	regs_header(in)->target_vtl = 1;
	put_name(in, 0, HV_X64_REGISTER_RIP);
}

static void fill_get_rsvd(uint8_t *in)
{
	regs_header(in)->rsvd_z[0] = 1;
	put_name(in, 0, HV_X64_REGISTER_RIP);
}

static void fill_set_unknown(uint8_t *in)
{
	put_assoc(in, 0, BAD_REGISTER_NAME, 0, 0);
}

static void fill_set_rsvd(uint8_t *in)
{
	put_assoc(in, 0, HV_X64_REGISTER_RSP, 0, 0);
	((struct hv_register_assoc *)(void *)(in + sizeof(struct hv_input_get_vp_registers)))->rsvd_z1 = 1;
}

static void fill_set_high_half(uint8_t *in)
{
	put_assoc(in, 0, HV_X64_REGISTER_RSP, 0, 1); /* a 64-bit register: bits 127:64 must be 0 */
}

static void fill_set_explicit_2(uint8_t *in)
{
	put_assoc(in, 0, HV_REGISTER_EXPLICIT_SUSPEND, 2, 0);
}

static void fill_set_intercept_1(uint8_t *in)
{
	put_assoc(in, 0, HV_REGISTER_INTERCEPT_SUSPEND, 1, 0); /* only the hypervisor sets it */
}

static void fill_set_missing_vp(uint8_t *in)
{
	regs_header(in)->vp_index = BAD_MISSING_VP;
	put_assoc(in, 0, HV_X64_REGISTER_RSP, 0, 0);
}

static void fill_set_own_vp(uint8_t *in)
{
	regs_header(in)->vp_index = HV_VP_INDEX_SELF;
	put_assoc(in, 0, HV_X64_REGISTER_RSP, 0, 0);
}

static void fill_set_vtl(uint8_t *in)
{
	regs_header(in)->target_vtl = 1;
	put_assoc(in, 0, HV_X64_REGISTER_RSP, 0, 0);
}

/* Two good pairs (initial-state fields of the never-run VP), then a bad
 * name: the call stops at rep 2. */
static void fill_set_midway(uint8_t *in)
{
	put_assoc(in, 0, HV_X64_REGISTER_RSP, 0, 0);
	put_assoc(in, 1, HV_X64_REGISTER_RDI, 0, 0);
	put_assoc(in, 2, BAD_REGISTER_NAME, 0, 0);
}

/* Protected mode without paging, then "start": the model runs only long
 * mode, so clearing ExplicitSuspend fails and the VP stays suspended. */
static void fill_set_start_not_long_mode(uint8_t *in)
{
	put_assoc(in, 0, HV_X64_REGISTER_CR0, X86_CR0_PE, 0);
	put_assoc(in, 1, HV_REGISTER_EXPLICIT_SUSPEND, 0, 0);
}

/* ---- InstallIntercept ---------------------------------------------------------- */
static void put_intercept(uint8_t *in, uint32_t type, uint32_t access, uint64_t parameter)
{
	struct hv_input_install_intercept *h = (void *)in;
	h->intercept_type = type;
	h->access_type_mask = access;
	h->intercept_parameter = parameter;
}

static void fill_intercept_com1(uint8_t *in)
{
	put_intercept(in, HV_INTERCEPT_TYPE_X64_IO_PORT, HV_INTERCEPT_ACCESS_MASK_WRITE, HVSIM_PORT_COM1);
}

static void fill_intercept_big_port(uint8_t *in)
{
	put_intercept(in, HV_INTERCEPT_TYPE_X64_IO_PORT, HV_INTERCEPT_ACCESS_MASK_WRITE, BAD_IO_PORT);
}

static void fill_intercept_no_access(uint8_t *in)
{
	put_intercept(in, HV_INTERCEPT_TYPE_X64_IO_PORT, 0, HVSIM_PORT_COM1);
}

static void fill_intercept_execute(uint8_t *in)
{
	put_intercept(in, HV_INTERCEPT_TYPE_X64_IO_PORT, HV_INTERCEPT_ACCESS_MASK_EXECUTE, HVSIM_PORT_COM1);
}

static void fill_intercept_msr(uint8_t *in)
{
	put_intercept(in, HV_INTERCEPT_TYPE_X64_MSR, HV_INTERCEPT_ACCESS_MASK_READ, HV_X64_MSR_GUEST_OS_ID);
}

/* ---- CreatePort / ConnectPort --------------------------------------------------
 * The port partition (CreatePort) or connection partition (ConnectPort) is
 * the row's target; the fill sets the rest. */
static void put_port(uint8_t *in, uint32_t port_id, uint32_t type, uint32_t sint, uint32_t vp)
{
	struct hv_input_create_port *h = (void *)in;
	h->port_id = port_id;
	h->port_info.port_type = type;
	/* target_sint and target_vp sit at the same offsets in every variant. */
	h->port_info.u.message.target_sint = sint;
	h->port_info.u.message.target_vp = vp;
	if (type == HV_PORT_TYPE_EVENT)
		h->port_info.u.event.flag_count = BAD_EVENT_FLAG_COUNT; /* base flag 0 */
}

static void fill_port_msg(uint8_t *in)
{
	put_port(in, BAD_MSG_PORT, HV_PORT_TYPE_MESSAGE, BAD_SINT, 0);
}

static void fill_port_event_b(uint8_t *in)
{
	put_port(in, BAD_EVENT_PORT, HV_PORT_TYPE_EVENT, BAD_SINT, 0);
}

static void fill_port_monitor(uint8_t *in)
{
	put_port(in, BAD_NO_SUCH_PORT, HV_PORT_TYPE_MONITOR, BAD_SINT, 0);
}

static void fill_port_bad_type(uint8_t *in)
{
	put_port(in, BAD_NO_SUCH_PORT, BAD_PORT_TYPE, BAD_SINT, 0);
}

static void fill_port_bad_sint(uint8_t *in)
{
	put_port(in, BAD_NO_SUCH_PORT, HV_PORT_TYPE_MESSAGE, HV_SYNIC_SINT_COUNT, 0);
}

static void fill_port_missing_vp(uint8_t *in)
{
	put_port(in, BAD_NO_SUCH_PORT, HV_PORT_TYPE_EVENT, BAD_SINT, BAD_MISSING_VP);
}

static void fill_port_big_id(uint8_t *in)
{
	put_port(in, BAD_ID_ABOVE_24_BITS, HV_PORT_TYPE_MESSAGE, BAD_SINT, 0);
}

static void put_connect(uint8_t *in, uint32_t conn_id, uint64_t port_partition, uint32_t port_id,
			uint32_t type)
{
	struct hv_input_connect_port *h = (void *)in;
	h->connection_id = conn_id;
	h->port_partition_id = port_partition;
	h->port_id = port_id;
	h->connection_info.port_type = type;
}

static void fill_connect_msg(uint8_t *in)
{
	put_connect(in, BAD_MSG_CONN, HV_PARTITION_ID_SELF, BAD_MSG_PORT, HV_PORT_TYPE_MESSAGE);
}

static void fill_connect_event_b(uint8_t *in)
{
	put_connect(in, BAD_EVENT_CONN, child_b, BAD_EVENT_PORT, HV_PORT_TYPE_EVENT);
}

static void fill_connect_no_port(uint8_t *in)
{
	put_connect(in, BAD_NO_SUCH_CONN, HV_PARTITION_ID_SELF, BAD_NO_SUCH_PORT, HV_PORT_TYPE_MESSAGE);
}

static void fill_connect_dup(uint8_t *in)
{
	put_connect(in, BAD_MSG_CONN, HV_PARTITION_ID_SELF, BAD_MSG_PORT, HV_PORT_TYPE_MESSAGE);
}

static void fill_connect_big_id(uint8_t *in)
{
	put_connect(in, BAD_ID_ABOVE_24_BITS, HV_PARTITION_ID_SELF, BAD_MSG_PORT, HV_PORT_TYPE_MESSAGE);
}

static void fill_connect_wrong_type(uint8_t *in)
{
	put_connect(in, BAD_NO_SUCH_CONN, HV_PARTITION_ID_SELF, BAD_MSG_PORT, HV_PORT_TYPE_EVENT);
}

/* ---- PostMessage / SignalEvent ------------------------------------------------- */
static void put_post(uint8_t *in, uint32_t conn_id, uint32_t type, uint32_t size)
{
	struct hv_input_post_message *h = (void *)in;
	h->connection_id = conn_id;
	h->message_type = type;
	h->payload_size = size;
}

static void fill_post_ok(uint8_t *in)
{
	put_post(in, BAD_MSG_CONN, BAD_GUEST_MSG_TYPE, BAD_PAYLOAD);
}

static void fill_post_too_big(uint8_t *in)
{
	put_post(in, BAD_MSG_CONN, BAD_GUEST_MSG_TYPE, HV_MESSAGE_PAYLOAD_MAX + 1);
}

static void fill_post_type_0(uint8_t *in)
{
	put_post(in, BAD_MSG_CONN, HVMSG_NONE, BAD_PAYLOAD);
}

static void fill_post_type_hv(uint8_t *in)
{
	put_post(in, BAD_MSG_CONN, HVMSG_X64_HALT, BAD_PAYLOAD); /* bit 31: the hypervisor's types */
}

static void fill_post_no_conn(uint8_t *in)
{
	put_post(in, BAD_NO_SUCH_CONN, BAD_GUEST_MSG_TYPE, BAD_PAYLOAD);
}

static void fill_post_event_conn(uint8_t *in)
{
	put_post(in, BAD_EVENT_CONN, BAD_GUEST_MSG_TYPE, BAD_PAYLOAD);
}

static void put_signal(uint8_t *in, uint32_t conn_id, uint16_t flag)
{
	struct hv_input_signal_event *h = (void *)in;
	h->connection_id = conn_id;
	h->flag_number = flag;
}

static void fill_signal_flag_past_count(uint8_t *in)
{
	put_signal(in, BAD_EVENT_CONN, BAD_EVENT_FLAG_COUNT);
}

static void fill_signal_ok_flag(uint8_t *in)
{
	put_signal(in, BAD_EVENT_CONN, 0);
}

static void fill_signal_no_conn(uint8_t *in)
{
	put_signal(in, BAD_NO_SUCH_CONN, 0);
}

static void fill_signal_msg_conn(uint8_t *in)
{
	put_signal(in, BAD_MSG_CONN, 0);
}

/* Our SINT BAD_SINT: unmasked and polled for the positive control (the VID
 * driver has turned the SynIC and the SIM page on), masked again at the end.
 * Reserved bits are "preserve": read-modify-write. */
static bool sint_unmask(void)
{
	uint64_t sint = rdmsr(HV_X64_MSR_SINT0 + BAD_SINT);

	if (!(rdmsr(HV_X64_MSR_SCONTROL) & HV_SYNIC_SCONTROL_ENABLE) ||
	    !(rdmsr(HV_X64_MSR_SIMP) & HV_SYNIC_PAGE_ENABLE)) {
		klog("[badcalls] our SynIC or SIM page is off: the VID driver did not enable it\n");
		return false;
	}
	sint &= ~(HV_SYNIC_SINT_VECTOR_MASK | HV_SYNIC_SINT_MASKED | HV_SYNIC_SINT_AUTO_EOI);
	wrmsr(HV_X64_MSR_SINT0 + BAD_SINT, sint | HV_SYNIC_SINT_POLLING | BAD_SINT_VECTOR);
	return true;
}

static void sint_mask(void)
{
	wrmsr(HV_X64_MSR_SINT0 + BAD_SINT, rdmsr(HV_X64_MSR_SINT0 + BAD_SINT) | HV_SYNIC_SINT_MASKED);
}

/* The positive control's message sits in the SIM slot (nobody frees it), so
 * each of these 16 waits in the SINT's queue and holds one of the port's 16
 * buffers: the next post finds none. */
static bool fill_port_buffers(void)
{
	for (unsigned i = 0; i < HV_SYNIC_PORT_MESSAGE_BUFFERS; i++) {
		uint16_t status;

		memset(hv_input_page, 0, sizeof(hv_input_page));
		fill_post_ok(hv_input_page);
		status = hv_result_status(hv_hypercall(hv_control(HVCALL_POST_MESSAGE, 0, 0, 0),
							hv_gpa(hv_input_page), 0));
		if (status != HV_STATUS_SUCCESS) {
			klog("[badcalls] post %u of %u to fill the port's buffers: got %s\n", i + 1,
			     HV_SYNIC_PORT_MESSAGE_BUFFERS, hv_status_name(status));
			return false;
		}
	}
	return true;
}

static const struct badcall badcalls[] = {
	/* The children the bad calls below need. */
	{ "CreatePartition (child A)", HVCALL_CREATE_PARTITION, 0, 0, T_NONE, AT_PAGE,
	  HV_STATUS_SUCCESS, NULL, store_child_a, NULL, false, 0 },
	{ "CreatePartition (child B)", HVCALL_CREATE_PARTITION, 0, 0, T_NONE, AT_PAGE,
	  HV_STATUS_SUCCESS, NULL, store_child_b, NULL, false, 0 },
	{ "InitializePartition(B)", HVCALL_INITIALIZE_PARTITION, 0, 0, T_CHILD_B, AT_PAGE,
	  HV_STATUS_SUCCESS, NULL, NULL, NULL, false, 0 },
	{ "CreateVp(B, 0)", HVCALL_CREATE_VP, 0, 0, T_CHILD_B, AT_PAGE,
	  HV_STATUS_SUCCESS, fill_vp_0, NULL, NULL, false, 0 },

	/* Ids that name no child of ours. */
	{ "InitializePartition(0)", HVCALL_INITIALIZE_PARTITION, 0, 0, T_ZERO, AT_PAGE,
	  HV_STATUS_INVALID_PARTITION_ID, NULL, NULL, NULL, false, 0 },
	{ "InitializePartition(SELF)", HVCALL_INITIALIZE_PARTITION, 0, 0, T_SELF, AT_PAGE,
	  HV_STATUS_INVALID_PARTITION_ID, NULL, NULL, NULL, false, 0 },
	{ "InitializePartition(unknown id 0x7777)", HVCALL_INITIALIZE_PARTITION, 0, 0, T_UNKNOWN,
	  AT_PAGE, HV_STATUS_INVALID_PARTITION_ID, NULL, NULL, NULL, false, 0 },

	/* Out of order in the life cycle. */
	{ "DeletePartition(A) before Finalize", HVCALL_DELETE_PARTITION, 0, 0, T_CHILD_A, AT_PAGE,
	  HV_STATUS_INVALID_PARTITION_STATE, NULL, NULL, NULL, false, 0 },
	{ "InitializePartition(B) twice", HVCALL_INITIALIZE_PARTITION, 0, 0, T_CHILD_B, AT_PAGE,
	  HV_STATUS_INVALID_PARTITION_STATE, NULL, NULL, NULL, false, 0 },
	{ "CreateVp(A) before Initialize", HVCALL_CREATE_VP, 0, 0, T_CHILD_A, AT_PAGE,
	  HV_STATUS_INVALID_PARTITION_STATE, fill_vp_0, NULL, NULL, false, 0 },

	/* Reserved bits, blocks and the call's form. */
	{ "CreatePartition with RsvdZ set", HVCALL_CREATE_PARTITION, 0, 0, T_NONE, AT_PAGE,
	  HV_STATUS_INVALID_PARAMETER, fill_create_rsvd, NULL, NULL, false, 0 },
	{ "CreatePartition, input GPA not 8-byte aligned", HVCALL_CREATE_PARTITION, 0, 0, T_NONE,
	  AT_MISALIGNED, HV_STATUS_INVALID_ALIGNMENT, NULL, NULL, NULL, false, 0 },
	{ "CreatePartition, input block crossing a page", HVCALL_CREATE_PARTITION, 0, 0, T_NONE,
	  AT_CROSSING, HV_STATUS_INVALID_ALIGNMENT, NULL, NULL, NULL, false, 0 },
	{ "CreatePartition, fast form", HVCALL_CREATE_PARTITION, HV_HYPERCALL_FAST, 0, T_NONE,
	  AT_PAGE, HV_STATUS_INVALID_HYPERCALL_INPUT, NULL, NULL, NULL, false, 0 },
	{ "InitializePartition(B) with rep count 1", HVCALL_INITIALIZE_PARTITION, 0, 1, T_CHILD_B,
	  AT_PAGE, HV_STATUS_INVALID_HYPERCALL_INPUT, NULL, NULL, NULL, false, 0 },
	{ "DepositMemory(A) with rep count 0", HVCALL_DEPOSIT_MEMORY, 0, 0, T_CHILD_A, AT_PAGE,
	  HV_STATUS_INVALID_HYPERCALL_INPUT, NULL, NULL, NULL, false, 0 },

	/* Pages the root may not hand over. */
	{ "DepositMemory(A) of a page outside RAM", HVCALL_DEPOSIT_MEMORY, 0, 1, T_CHILD_A, AT_PAGE,
	  HV_STATUS_INVALID_PARAMETER, fill_page_outside_ram, NULL, NULL, false, 0 },
	{ "DepositMemory(A) of the hypercall page", HVCALL_DEPOSIT_MEMORY, 0, 1, T_CHILD_A, AT_PAGE,
	  HV_STATUS_INVALID_PARAMETER, fill_hypercall_page, NULL, NULL, false, 0 },

	/* VPs. */
	{ "CreateVp(B, index 4)", HVCALL_CREATE_VP, 0, 0, T_CHILD_B, AT_PAGE,
	  HV_STATUS_INVALID_VP_INDEX, fill_vp_bad, NULL, NULL, false, 0 },
	{ "CreateVp(B, 0) again", HVCALL_CREATE_VP, 0, 0, T_CHILD_B, AT_PAGE,
	  HV_STATUS_OBJECT_IN_USE, fill_vp_0, NULL, NULL, false, 0 },

	/* The GPA map. */
	{ "MapGpaPages(B) writable without readable", HVCALL_MAP_GPA_PAGES, 0, 1, T_CHILD_B,
	  AT_PAGE, HV_STATUS_INVALID_PARAMETER, fill_map_write_only, NULL, NULL, false, 0 },

	/* Get/SetVpRegisters on B's VP 0, which never ran (facts §3.6, §4.7;
	 * the rules: the comment above find_target_vp in hv-hypercall.c). */
	{ "GetVpRegisters(B, VP 0): RIP", HVCALL_GET_VP_REGISTERS, 0, 1, T_CHILD_B, AT_PAGE,
	  HV_STATUS_SUCCESS, fill_get_rip, NULL, NULL, true, 1 },
	{ "GetVpRegisters(B, VP 0): unknown register name", HVCALL_GET_VP_REGISTERS, 0, 1, T_CHILD_B,
	  AT_PAGE, HV_STATUS_INVALID_PARAMETER, fill_get_unknown, NULL, NULL, true, 0 },
	{ "GetVpRegisters(B, VP 0): RIP, RSP, unknown, RAX", HVCALL_GET_VP_REGISTERS, 0, 4, T_CHILD_B,
	  AT_PAGE, HV_STATUS_INVALID_PARAMETER, fill_get_midway, NULL, NULL, true, 2 },
	{ "GetVpRegisters(B, VP 1): no such VP", HVCALL_GET_VP_REGISTERS, 0, 1, T_CHILD_B, AT_PAGE,
	  HV_STATUS_INVALID_VP_INDEX, fill_get_missing_vp, NULL, NULL, true, 0 },
	{ "GetVpRegisters(A) before Initialize", HVCALL_GET_VP_REGISTERS, 0, 1, T_CHILD_A, AT_PAGE,
	  HV_STATUS_INVALID_PARTITION_STATE, fill_get_rip, NULL, NULL, false, 0 },
	{ "GetVpRegisters(unknown id 0x7777)", HVCALL_GET_VP_REGISTERS, 0, 1, T_UNKNOWN, AT_PAGE,
	  HV_STATUS_INVALID_PARTITION_ID, fill_get_rip, NULL, NULL, false, 0 },
	{ "GetVpRegisters(B) with TargetVtl 1", HVCALL_GET_VP_REGISTERS, 0, 1, T_CHILD_B, AT_PAGE,
	  HV_STATUS_INVALID_PARAMETER, fill_get_vtl, NULL, NULL, false, 0 },
	{ "GetVpRegisters(B) with header RsvdZ set", HVCALL_GET_VP_REGISTERS, 0, 1, T_CHILD_B, AT_PAGE,
	  HV_STATUS_INVALID_PARAMETER, fill_get_rsvd, NULL, NULL, false, 0 },
	{ "SetVpRegisters(B, VP 0): unknown register name", HVCALL_SET_VP_REGISTERS, 0, 1, T_CHILD_B,
	  AT_PAGE, HV_STATUS_INVALID_PARAMETER, fill_set_unknown, NULL, NULL, true, 0 },
	{ "SetVpRegisters(B, VP 0): element RsvdZ set", HVCALL_SET_VP_REGISTERS, 0, 1, T_CHILD_B,
	  AT_PAGE, HV_STATUS_INVALID_PARAMETER, fill_set_rsvd, NULL, NULL, false, 0 },
	{ "SetVpRegisters(B, VP 0): RSP with the high half set", HVCALL_SET_VP_REGISTERS, 0, 1,
	  T_CHILD_B, AT_PAGE, HV_STATUS_INVALID_PARAMETER, fill_set_high_half, NULL, NULL, false, 0 },
	{ "SetVpRegisters(B, VP 0): ExplicitSuspend = 2", HVCALL_SET_VP_REGISTERS, 0, 1, T_CHILD_B,
	  AT_PAGE, HV_STATUS_INVALID_PARAMETER, fill_set_explicit_2, NULL, NULL, false, 0 },
	{ "SetVpRegisters(B, VP 0): InterceptSuspend = 1", HVCALL_SET_VP_REGISTERS, 0, 1, T_CHILD_B,
	  AT_PAGE, HV_STATUS_INVALID_PARAMETER, fill_set_intercept_1, NULL, NULL, false, 0 },
	{ "SetVpRegisters(B, VP 1): no such VP", HVCALL_SET_VP_REGISTERS, 0, 1, T_CHILD_B, AT_PAGE,
	  HV_STATUS_INVALID_VP_INDEX, fill_set_missing_vp, NULL, NULL, false, 0 },
	{ "SetVpRegisters(A) before Initialize", HVCALL_SET_VP_REGISTERS, 0, 1, T_CHILD_A, AT_PAGE,
	  HV_STATUS_INVALID_PARTITION_STATE, fill_set_high_half, NULL, NULL, false, 0 },
	{ "SetVpRegisters(unknown id 0x7777)", HVCALL_SET_VP_REGISTERS, 0, 1, T_UNKNOWN, AT_PAGE,
	  HV_STATUS_INVALID_PARTITION_ID, fill_set_midway, NULL, NULL, false, 0 },
	{ "SetVpRegisters(SELF, own VP)", HVCALL_SET_VP_REGISTERS, 0, 1, T_SELF, AT_PAGE,
	  HV_STATUS_ACCESS_DENIED, fill_set_own_vp, NULL, NULL, true, 0 },
	{ "SetVpRegisters(B) with TargetVtl 1", HVCALL_SET_VP_REGISTERS, 0, 1, T_CHILD_B, AT_PAGE,
	  HV_STATUS_INVALID_PARAMETER, fill_set_vtl, NULL, NULL, false, 0 },
	{ "SetVpRegisters(B, VP 0): RSP, RDI, unknown", HVCALL_SET_VP_REGISTERS, 0, 3, T_CHILD_B,
	  AT_PAGE, HV_STATUS_INVALID_PARAMETER, fill_set_midway, NULL, NULL, true, 2 },
	{ "SetVpRegisters(B, VP 0): start in protected mode", HVCALL_SET_VP_REGISTERS, 0, 2, T_CHILD_B,
	  AT_PAGE, HV_STATUS_INVALID_REGISTER_VALUE, fill_set_start_not_long_mode, NULL, NULL, true, 1 },
	{ "GetVpRegisters(B, VP 0): RIP after the failed start", HVCALL_GET_VP_REGISTERS, 0, 1,
	  T_CHILD_B, AT_PAGE, HV_STATUS_SUCCESS, fill_get_rip, NULL, NULL, true, 1 },

	/* InstallIntercept (the rules: the comment above call_install_intercept). */
	{ "InstallIntercept(B): COM1 writes", HVCALL_INSTALL_INTERCEPT, 0, 0, T_CHILD_B, AT_PAGE,
	  HV_STATUS_SUCCESS, fill_intercept_com1, NULL, NULL, false, 0 },
	{ "InstallIntercept(B): port 0x10000", HVCALL_INSTALL_INTERCEPT, 0, 0, T_CHILD_B, AT_PAGE,
	  HV_STATUS_INVALID_PARAMETER, fill_intercept_big_port, NULL, NULL, false, 0 },
	{ "InstallIntercept(B): empty access mask", HVCALL_INSTALL_INTERCEPT, 0, 0, T_CHILD_B, AT_PAGE,
	  HV_STATUS_INVALID_PARAMETER, fill_intercept_no_access, NULL, NULL, false, 0 },
	{ "InstallIntercept(B): execute access", HVCALL_INSTALL_INTERCEPT, 0, 0, T_CHILD_B, AT_PAGE,
	  HV_STATUS_INVALID_PARAMETER, fill_intercept_execute, NULL, NULL, false, 0 },
	{ "InstallIntercept(B): MSR intercept (not modelled)", HVCALL_INSTALL_INTERCEPT, 0, 0,
	  T_CHILD_B, AT_PAGE, HV_STATUS_INVALID_PARAMETER, fill_intercept_msr, NULL, NULL, false, 0 },
	{ "InstallIntercept(unknown id 0x7777)", HVCALL_INSTALL_INTERCEPT, 0, 0, T_UNKNOWN, AT_PAGE,
	  HV_STATUS_INVALID_PARTITION_ID, fill_intercept_com1, NULL, NULL, false, 0 },
	{ "InstallIntercept(A) before Initialize", HVCALL_INSTALL_INTERCEPT, 0, 0, T_CHILD_A, AT_PAGE,
	  HV_STATUS_INVALID_PARTITION_STATE, fill_intercept_com1, NULL, NULL, false, 0 },

	/* Ports and connections (the rules: the comment blocks in hv-port.c).
	 * First the two that the sends below go through. */
	{ "CreatePort(SELF, message port 1 -> SINT5 of VP 0)", HVCALL_CREATE_PORT, 0, 0, T_SELF,
	  AT_PAGE, HV_STATUS_SUCCESS, fill_port_msg, NULL, NULL, false, 0 },
	{ "ConnectPort(SELF, connection 1 -> our port 1)", HVCALL_CONNECT_PORT, 0, 0, T_SELF, AT_PAGE,
	  HV_STATUS_SUCCESS, fill_connect_msg, NULL, NULL, false, 0 },
	{ "CreatePort(B, event port 2 -> SINT5 of VP 0)", HVCALL_CREATE_PORT, 0, 0, T_CHILD_B, AT_PAGE,
	  HV_STATUS_SUCCESS, fill_port_event_b, NULL, NULL, false, 0 },
	{ "ConnectPort(SELF, connection 2 -> B's port 2)", HVCALL_CONNECT_PORT, 0, 0, T_SELF, AT_PAGE,
	  HV_STATUS_SUCCESS, fill_connect_event_b, NULL, NULL, false, 0 },
	{ "CreatePort(SELF): monitor port (not modelled)", HVCALL_CREATE_PORT, 0, 0, T_SELF, AT_PAGE,
	  HV_STATUS_INVALID_PARAMETER, fill_port_monitor, NULL, NULL, false, 0 },
	{ "CreatePort(SELF): port type 7", HVCALL_CREATE_PORT, 0, 0, T_SELF, AT_PAGE,
	  HV_STATUS_INVALID_PARAMETER, fill_port_bad_type, NULL, NULL, false, 0 },
	{ "CreatePort(SELF): SINT 16", HVCALL_CREATE_PORT, 0, 0, T_SELF, AT_PAGE,
	  HV_STATUS_INVALID_PARAMETER, fill_port_bad_sint, NULL, NULL, false, 0 },
	{ "CreatePort(B): target VP 1, which does not exist", HVCALL_CREATE_PORT, 0, 0, T_CHILD_B,
	  AT_PAGE, HV_STATUS_INVALID_VP_INDEX, fill_port_missing_vp, NULL, NULL, false, 0 },
	{ "CreatePort(SELF): port 1 again", HVCALL_CREATE_PORT, 0, 0, T_SELF, AT_PAGE,
	  HV_STATUS_INVALID_PORT_ID, fill_port_msg, NULL, NULL, false, 0 },
	{ "CreatePort(SELF): port id above 24 bits", HVCALL_CREATE_PORT, 0, 0, T_SELF, AT_PAGE,
	  HV_STATUS_INVALID_PORT_ID, fill_port_big_id, NULL, NULL, false, 0 },
	{ "CreatePort(A) before Initialize", HVCALL_CREATE_PORT, 0, 0, T_CHILD_A, AT_PAGE,
	  HV_STATUS_INVALID_PARTITION_STATE, fill_port_msg, NULL, NULL, false, 0 },
	{ "CreatePort(unknown id 0x7777)", HVCALL_CREATE_PORT, 0, 0, T_UNKNOWN, AT_PAGE,
	  HV_STATUS_INVALID_PARTITION_ID, fill_port_msg, NULL, NULL, false, 0 },
	{ "ConnectPort(SELF) to port 99, which does not exist", HVCALL_CONNECT_PORT, 0, 0, T_SELF,
	  AT_PAGE, HV_STATUS_INVALID_PORT_ID, fill_connect_no_port, NULL, NULL, false, 0 },
	{ "ConnectPort(SELF): connection 1 again", HVCALL_CONNECT_PORT, 0, 0, T_SELF, AT_PAGE,
	  HV_STATUS_INVALID_CONNECTION_ID, fill_connect_dup, NULL, NULL, false, 0 },
	{ "ConnectPort(SELF): connection id above 24 bits", HVCALL_CONNECT_PORT, 0, 0, T_SELF, AT_PAGE,
	  HV_STATUS_INVALID_CONNECTION_ID, fill_connect_big_id, NULL, NULL, false, 0 },
	{ "ConnectPort(SELF): event info for a message port", HVCALL_CONNECT_PORT, 0, 0, T_SELF,
	  AT_PAGE, HV_STATUS_INVALID_PARAMETER, fill_connect_wrong_type, NULL, NULL, false, 0 },

	/* PostMessage through connection 1 (its port's SINT is still masked). */
	{ "PostMessage: payload of 241 bytes", HVCALL_POST_MESSAGE, 0, 0, T_NONE, AT_PAGE,
	  HV_STATUS_INVALID_PARAMETER, fill_post_too_big, NULL, NULL, false, 0 },
	{ "PostMessage: message type 0", HVCALL_POST_MESSAGE, 0, 0, T_NONE, AT_PAGE,
	  HV_STATUS_INVALID_PARAMETER, fill_post_type_0, NULL, NULL, false, 0 },
	{ "PostMessage: message type with bit 31 set", HVCALL_POST_MESSAGE, 0, 0, T_NONE, AT_PAGE,
	  HV_STATUS_INVALID_PARAMETER, fill_post_type_hv, NULL, NULL, false, 0 },
	{ "PostMessage: connection 99, which does not exist", HVCALL_POST_MESSAGE, 0, 0, T_NONE,
	  AT_PAGE, HV_STATUS_INVALID_CONNECTION_ID, fill_post_no_conn, NULL, NULL, false, 0 },
	{ "PostMessage: through the event connection", HVCALL_POST_MESSAGE, 0, 0, T_NONE, AT_PAGE,
	  HV_STATUS_INVALID_PORT_ID, fill_post_event_conn, NULL, NULL, false, 0 },
	{ "PostMessage: target SINT masked", HVCALL_POST_MESSAGE, 0, 0, T_NONE, AT_PAGE,
	  HV_STATUS_INVALID_SYNIC_STATE, fill_post_ok, NULL, NULL, false, 0 },
	{ "PostMessage: 16 bytes, SINT unmasked", HVCALL_POST_MESSAGE, 0, 0, T_NONE, AT_PAGE,
	  HV_STATUS_SUCCESS, fill_post_ok, NULL, sint_unmask, false, 0 },
	{ "PostMessage: the 17th while 16 are queued", HVCALL_POST_MESSAGE, 0, 0, T_NONE, AT_PAGE,
	  HV_STATUS_INSUFFICIENT_BUFFERS, fill_post_ok, NULL, fill_port_buffers, false, 0 },

	/* SignalEvent through connection 2, fast form (RDX = id | flag << 32). */
	{ "SignalEvent: flag 8 of a port with 8 flags", HVCALL_SIGNAL_EVENT, HV_HYPERCALL_FAST, 0,
	  T_NONE, AT_PAGE, HV_STATUS_INVALID_PARAMETER, fill_signal_flag_past_count, NULL, NULL, false, 0 },
	{ "SignalEvent: connection 99, which does not exist", HVCALL_SIGNAL_EVENT, HV_HYPERCALL_FAST, 0,
	  T_NONE, AT_PAGE, HV_STATUS_INVALID_CONNECTION_ID, fill_signal_no_conn, NULL, NULL, false, 0 },
	{ "SignalEvent: through the message connection", HVCALL_SIGNAL_EVENT, HV_HYPERCALL_FAST, 0,
	  T_NONE, AT_PAGE, HV_STATUS_INVALID_PORT_ID, fill_signal_msg_conn, NULL, NULL, false, 0 },
	{ "SignalEvent: B's VP 0 has no SynIC on", HVCALL_SIGNAL_EVENT, HV_HYPERCALL_FAST, 0, T_NONE,
	  AT_PAGE, HV_STATUS_INVALID_SYNIC_STATE, fill_signal_ok_flag, NULL, NULL, false, 0 },
	{ "SignalEvent: the same, memory form", HVCALL_SIGNAL_EVENT, 0, 0, T_NONE, AT_PAGE,
	  HV_STATUS_INVALID_SYNIC_STATE, fill_signal_ok_flag, NULL, NULL, false, 0 },

	/* Tear the children down again: finalize, then delete. */
	{ "FinalizePartition(A)", HVCALL_FINALIZE_PARTITION, 0, 0, T_CHILD_A, AT_PAGE,
	  HV_STATUS_SUCCESS, NULL, NULL, NULL, false, 0 },
	{ "DeletePartition(A)", HVCALL_DELETE_PARTITION, 0, 0, T_CHILD_A, AT_PAGE,
	  HV_STATUS_SUCCESS, NULL, NULL, NULL, false, 0 },
	{ "FinalizePartition(B)", HVCALL_FINALIZE_PARTITION, 0, 0, T_CHILD_B, AT_PAGE,
	  HV_STATUS_SUCCESS, NULL, NULL, NULL, false, 0 },
	{ "DeletePartition(B)", HVCALL_DELETE_PARTITION, 0, 0, T_CHILD_B, AT_PAGE,
	  HV_STATUS_SUCCESS, NULL, NULL, NULL, false, 0 },
	{ "InitializePartition(A) after Delete", HVCALL_INITIALIZE_PARTITION, 0, 0, T_CHILD_A,
	  AT_PAGE, HV_STATUS_INVALID_PARTITION_ID, NULL, NULL, NULL, false, 0 },
};

/* One row: build the input block, make the call, compare. */
static bool run_row(const struct badcall *row)
{
	uint8_t *in = hv_input_page;
	uint64_t in_gpa = hv_gpa(hv_input_page);
	uint64_t result;
	uint16_t status;
	bool ok;

	if (row->prepare && !row->prepare()) {
		klog("[badcalls] %s: set-up failed, expected %s FAILED\n", row->name,
		     hv_status_name(row->expected));
		return false;
	}
	/* Reserved fields must be zero unless a row sets them on purpose. */
	memset(hv_input_page, 0, sizeof(hv_input_page));
	memset(hv_output_page, 0, sizeof(hv_output_page));
	if (row->target != T_NONE) {
		uint64_t id = target_id(row->target);
		memcpy(in, &id, sizeof(id));
	}
	if (row->fill)
		row->fill(in);
	if (row->at == AT_MISALIGNED)
		in_gpa += BAD_MISALIGNMENT;
	else if (row->at == AT_CROSSING)
		in_gpa += HV_PAGE_SIZE - 8; /* the block runs on into the next page */

	if (row->flags & HV_HYPERCALL_FAST) {
		/* Fast form: the first 16 bytes of the block in RDX and R8. */
		uint64_t rdx, r8;

		memcpy(&rdx, in, sizeof(rdx));
		memcpy(&r8, in + sizeof(rdx), sizeof(r8));
		result = hv_hypercall(hv_control(row->code, row->flags, row->reps, 0), rdx, r8);
	} else {
		result = hv_hypercall(hv_control(row->code, row->flags, row->reps, 0), in_gpa,
				      hv_gpa(hv_output_page));
	}
	status = hv_result_status(result);
	if (row->after)
		row->after(status);
	ok = status == row->expected;
	if (row->check_reps) {
		uint32_t reps = hv_result_reps(result);

		ok = ok && reps == row->expected_reps;
		klog("[badcalls] %s: got 0x%04x %s, %u reps, expected %s, %u reps %s\n", row->name,
		     status, hv_status_name(status), reps, hv_status_name(row->expected),
		     (unsigned)row->expected_reps, ok ? "ok" : "FAILED");
	} else {
		klog("[badcalls] %s: got 0x%04x %s, expected %s %s\n", row->name, status,
		     hv_status_name(status), hv_status_name(row->expected), ok ? "ok" : "FAILED");
	}
	return ok;
}

noreturn void badcalls_run(const struct hv_info *hv)
{
	unsigned passed = 0;

	if (!hv->hyperv || !hv->hypercalls_enabled || !(hv->privileges & HV_PRIV_CREATE_PARTITIONS)) {
		klog("[badcalls] no hypercall page or no CreatePartitions right: self-test FAILED\n");
		power_off();
	}
	klog("[badcalls] %u partition-management, VP-register, intercept and port hypercalls with bad "
	     "input (and the set-up they need)\n", (unsigned)ARRAY_SIZE(badcalls));
	for (size_t i = 0; i < ARRAY_SIZE(badcalls); i++)
		if (run_row(&badcalls[i]))
			passed++;
	/* Our SINT as we found it (the messages queued there stay until the
	 * power-off: the model has no DeletePort input in the guest ABI yet). */
	sint_mask();
	klog("[badcalls] %u of %u checks passed%s\n", passed, (unsigned)ARRAY_SIZE(badcalls),
	     passed == ARRAY_SIZE(badcalls) ? "" : ": self-test FAILED");
	klog("shutting down\n");
	power_off();
}
