/* badcalls.c — scenario `badcalls` (boot-info flag HVSIM_BOOT_FLAG_BAD_INPUT):
 * a ring 0 self-test of the hypervisor's input checks. After the late launch
 * the kernel, as root with the CreatePartitions right, makes partition-
 * management hypercalls with bad input, one table row each, and compares the
 * status with the one the TLFS prescribes. Rows that build the real child
 * partitions a bad call needs (and tear them down at the end) are checks too:
 * they must succeed.
 * Guest ring 0, freestanding. One line per row:
 *   [badcalls] <name>: got 0x.... <NAME>, expected <NAME> ok|FAILED
 * then "[badcalls] N of M checks passed", then power off. */
#include "badcalls.h"

/* An id never handed out: the model allocates child ids upwards from the
 * root's, and the test creates two. */
#define BAD_UNKNOWN_ID 0x7777u
/* Offset that breaks the 8-byte alignment rule for parameter blocks. */
#define BAD_MISALIGNMENT 4u
/* A VP index one past the model's limit (indexes 0..3). */
#define BAD_VP_INDEX 4u

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

static const struct badcall badcalls[] = {
	/* The children the bad calls below need. */
	{ "CreatePartition (child A)", HVCALL_CREATE_PARTITION, 0, 0, T_NONE, AT_PAGE,
	  HV_STATUS_SUCCESS, NULL, store_child_a },
	{ "CreatePartition (child B)", HVCALL_CREATE_PARTITION, 0, 0, T_NONE, AT_PAGE,
	  HV_STATUS_SUCCESS, NULL, store_child_b },
	{ "InitializePartition(B)", HVCALL_INITIALIZE_PARTITION, 0, 0, T_CHILD_B, AT_PAGE,
	  HV_STATUS_SUCCESS, NULL, NULL },
	{ "CreateVp(B, 0)", HVCALL_CREATE_VP, 0, 0, T_CHILD_B, AT_PAGE,
	  HV_STATUS_SUCCESS, fill_vp_0, NULL },

	/* Ids that name no child of ours. */
	{ "InitializePartition(0)", HVCALL_INITIALIZE_PARTITION, 0, 0, T_ZERO, AT_PAGE,
	  HV_STATUS_INVALID_PARTITION_ID, NULL, NULL },
	{ "InitializePartition(SELF)", HVCALL_INITIALIZE_PARTITION, 0, 0, T_SELF, AT_PAGE,
	  HV_STATUS_INVALID_PARTITION_ID, NULL, NULL },
	{ "InitializePartition(unknown id 0x7777)", HVCALL_INITIALIZE_PARTITION, 0, 0, T_UNKNOWN,
	  AT_PAGE, HV_STATUS_INVALID_PARTITION_ID, NULL, NULL },

	/* Out of order in the life cycle. */
	{ "DeletePartition(A) before Finalize", HVCALL_DELETE_PARTITION, 0, 0, T_CHILD_A, AT_PAGE,
	  HV_STATUS_INVALID_PARTITION_STATE, NULL, NULL },
	{ "InitializePartition(B) twice", HVCALL_INITIALIZE_PARTITION, 0, 0, T_CHILD_B, AT_PAGE,
	  HV_STATUS_INVALID_PARTITION_STATE, NULL, NULL },
	{ "CreateVp(A) before Initialize", HVCALL_CREATE_VP, 0, 0, T_CHILD_A, AT_PAGE,
	  HV_STATUS_INVALID_PARTITION_STATE, fill_vp_0, NULL },

	/* Reserved bits, blocks and the call's form. */
	{ "CreatePartition with RsvdZ set", HVCALL_CREATE_PARTITION, 0, 0, T_NONE, AT_PAGE,
	  HV_STATUS_INVALID_PARAMETER, fill_create_rsvd, NULL },
	{ "CreatePartition, input GPA not 8-byte aligned", HVCALL_CREATE_PARTITION, 0, 0, T_NONE,
	  AT_MISALIGNED, HV_STATUS_INVALID_ALIGNMENT, NULL, NULL },
	{ "CreatePartition, input block crossing a page", HVCALL_CREATE_PARTITION, 0, 0, T_NONE,
	  AT_CROSSING, HV_STATUS_INVALID_ALIGNMENT, NULL, NULL },
	{ "CreatePartition, fast form", HVCALL_CREATE_PARTITION, HV_HYPERCALL_FAST, 0, T_NONE,
	  AT_PAGE, HV_STATUS_INVALID_HYPERCALL_INPUT, NULL, NULL },
	{ "InitializePartition(B) with rep count 1", HVCALL_INITIALIZE_PARTITION, 0, 1, T_CHILD_B,
	  AT_PAGE, HV_STATUS_INVALID_HYPERCALL_INPUT, NULL, NULL },
	{ "DepositMemory(A) with rep count 0", HVCALL_DEPOSIT_MEMORY, 0, 0, T_CHILD_A, AT_PAGE,
	  HV_STATUS_INVALID_HYPERCALL_INPUT, NULL, NULL },

	/* Pages the root may not hand over. */
	{ "DepositMemory(A) of a page outside RAM", HVCALL_DEPOSIT_MEMORY, 0, 1, T_CHILD_A, AT_PAGE,
	  HV_STATUS_INVALID_PARAMETER, fill_page_outside_ram, NULL },
	{ "DepositMemory(A) of the hypercall page", HVCALL_DEPOSIT_MEMORY, 0, 1, T_CHILD_A, AT_PAGE,
	  HV_STATUS_INVALID_PARAMETER, fill_hypercall_page, NULL },

	/* VPs. */
	{ "CreateVp(B, index 4)", HVCALL_CREATE_VP, 0, 0, T_CHILD_B, AT_PAGE,
	  HV_STATUS_INVALID_VP_INDEX, fill_vp_bad, NULL },
	{ "CreateVp(B, 0) again", HVCALL_CREATE_VP, 0, 0, T_CHILD_B, AT_PAGE,
	  HV_STATUS_OBJECT_IN_USE, fill_vp_0, NULL },

	/* The GPA map. */
	{ "MapGpaPages(B) writable without readable", HVCALL_MAP_GPA_PAGES, 0, 1, T_CHILD_B,
	  AT_PAGE, HV_STATUS_INVALID_PARAMETER, fill_map_write_only, NULL },

	/* Tear the children down again: finalize, then delete. */
	{ "FinalizePartition(A)", HVCALL_FINALIZE_PARTITION, 0, 0, T_CHILD_A, AT_PAGE,
	  HV_STATUS_SUCCESS, NULL, NULL },
	{ "DeletePartition(A)", HVCALL_DELETE_PARTITION, 0, 0, T_CHILD_A, AT_PAGE,
	  HV_STATUS_SUCCESS, NULL, NULL },
	{ "FinalizePartition(B)", HVCALL_FINALIZE_PARTITION, 0, 0, T_CHILD_B, AT_PAGE,
	  HV_STATUS_SUCCESS, NULL, NULL },
	{ "DeletePartition(B)", HVCALL_DELETE_PARTITION, 0, 0, T_CHILD_B, AT_PAGE,
	  HV_STATUS_SUCCESS, NULL, NULL },
	{ "InitializePartition(A) after Delete", HVCALL_INITIALIZE_PARTITION, 0, 0, T_CHILD_A,
	  AT_PAGE, HV_STATUS_INVALID_PARTITION_ID, NULL, NULL },
};

/* One row: build the input block, make the call, compare. */
static bool run_row(const struct badcall *row)
{
	uint8_t *in = hv_input_page;
	uint64_t in_gpa = hv_gpa(hv_input_page);
	uint64_t result;
	uint16_t status;
	bool ok;

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

	result = hv_hypercall(hv_control(row->code, row->flags, row->reps, 0), in_gpa,
			      hv_gpa(hv_output_page));
	status = hv_result_status(result);
	if (row->after)
		row->after(status);
	ok = status == row->expected;
	klog("[badcalls] %s: got 0x%04x %s, expected %s %s\n", row->name, status,
	     hv_status_name(status), hv_status_name(row->expected), ok ? "ok" : "FAILED");
	return ok;
}

noreturn void badcalls_run(const struct hv_info *hv)
{
	unsigned passed = 0;

	if (!hv->hyperv || !hv->hypercalls_enabled || !(hv->privileges & HV_PRIV_CREATE_PARTITIONS)) {
		klog("[badcalls] no hypercall page or no CreatePartitions right: self-test FAILED\n");
		power_off();
	}
	klog("[badcalls] %u partition-management hypercalls with bad input (and the setup they need)\n",
	     (unsigned)ARRAY_SIZE(badcalls));
	for (size_t i = 0; i < ARRAY_SIZE(badcalls); i++)
		if (run_row(&badcalls[i]))
			passed++;
	klog("[badcalls] %u of %u checks passed%s\n", passed, (unsigned)ARRAY_SIZE(badcalls),
	     passed == ARRAY_SIZE(badcalls) ? "" : ": self-test FAILED");
	klog("shutting down\n");
	power_off();
}
