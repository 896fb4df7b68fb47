/* vid.c — our VID.sys: the only code that talks to the hypervisor for
 * partition management. Guest ring 0, freestanding; serves the system call
 * HVSIM_SYS_VID, whose arguments come from ring 3 and are hostile.
 *
 * Hyper-V splits a virtual machine's host side in two levels, and so do we:
 *   - ring 3: the worker process (vmwp, guest/user/vmwp.c) decides what
 *     to build — one process per child, so a bug in it harms one VM only;
 *   - ring 0: the VID driver (this file) owns the hypercall page and the
 *     parameter blocks, turns each request into one hypercall and hands back
 *     the status. Ring 3 cannot issue a hypercall itself: VMCALL/VMMCALL
 *     from CPL 3 fails (the hypervisor answers #UD), and the hypercall page
 *     and the parameter blocks are kernel memory (no U bit).
 * The hypervisor still checks everything again (rights, ids, life cycle):
 * the driver's checks keep nonsense from ring 3 away from it and give ring 3
 * a plain "refused" instead of a hypervisor status. */
#include "vid.h"

static bool vid_ready;

bool vid_init(const struct hv_info *hv)
{
	vid_ready = hv->hyperv && hv->hypercalls_enabled &&
		    (hv->privileges & HV_PRIV_CREATE_PARTITIONS) != 0;
	if (vid_ready)
		kdetail("[vid] VID driver ready: this partition holds the CreatePartitions right\n");
	return vid_ready;
}

/* A child id ring 3 may name: one the hypervisor could have handed out and
 * the result could have carried. 0 (INVALID) and SELF never name a child;
 * the hypervisor checks the rest (that it is a live child of ours). */
static bool vid_id_ok(uint64_t id)
{
	return id != HV_PARTITION_ID_INVALID && id != HV_PARTITION_ID_SELF &&
	       id < HVSIM_VID_ID_LIMIT;
}

static uint64_t vid_create_partition(void)
{
	struct hv_input_create_partition *in = (void *)hv_input_page;
	const struct hv_output_create_partition *out = (const void *)hv_output_page;
	uint64_t result;
	uint16_t status;

	/* Every field 0: no flags, no proximity hint, no features disabled;
	 * RsvdZ must be zero. Clearing the block also wipes whatever the
	 * previous call left there. */
	memset(in, 0, sizeof(*in));
	memset(hv_output_page, 0, sizeof(*out));
	result = hv_hypercall(hv_control(HVCALL_CREATE_PARTITION, 0, 0, 0), hv_gpa(in),
			      hv_gpa(hv_output_page));
	status = hv_result_status(result);
	kdetail("[vid] HvCallCreatePartition: status 0x%04x %s, new partition id %lu\n", status,
		hv_status_name(status), status == HV_STATUS_SUCCESS ? out->new_partition_id : 0);
	if (status != HV_STATUS_SUCCESS)
		return status;
	/* An id the result cannot carry would be truncated: refuse rather
	 * than hand ring 3 the wrong partition. */
	if (!vid_id_ok(out->new_partition_id))
		return HVSIM_VID_ERROR;
	return (out->new_partition_id << HVSIM_VID_ID_SHIFT) | status;
}

/* Initialize, Finalize and Delete share one input layout: the child's id. */
static uint64_t vid_partition_call(uint16_t code, const char *name, uint64_t id)
{
	struct hv_input_partition_id *in = (void *)hv_input_page;
	uint64_t result;
	uint16_t status;

	if (!vid_id_ok(id))
		return HVSIM_VID_ERROR;
	memset(in, 0, sizeof(*in));
	in->partition_id = id;
	result = hv_hypercall(hv_control(code, 0, 0, 0), hv_gpa(in), 0);
	status = hv_result_status(result);
	kdetail("[vid] %s(%lu): status 0x%04x %s\n", name, id, status, hv_status_name(status));
	return status;
}

uint64_t vid_syscall(uint64_t op, uint64_t partition_id)
{
	if (!vid_ready)
		return HVSIM_VID_ERROR;
	switch (op) {
	case HVSIM_VID_CREATE_PARTITION:
		return vid_create_partition();
	case HVSIM_VID_INITIALIZE:
		return vid_partition_call(HVCALL_INITIALIZE_PARTITION, "HvCallInitializePartition",
					  partition_id);
	case HVSIM_VID_FINALIZE:
		return vid_partition_call(HVCALL_FINALIZE_PARTITION, "HvCallFinalizePartition",
					  partition_id);
	case HVSIM_VID_DELETE:
		return vid_partition_call(HVCALL_DELETE_PARTITION, "HvCallDeletePartition",
					  partition_id);
	default:
		klog("[vid] process \"%s\": unknown VID operation %lu refused\n",
		     process_current_name(), op);
		return HVSIM_VID_ERROR;
	}
}
