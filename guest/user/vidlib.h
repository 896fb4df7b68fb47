/* vidlib.h — the VID library: partition management for ring 3, as inline
 * wrappers over the VID driver's system call (HVSIM_SYS_VID, served by
 * guest/kernel/vid.c). Guest ring 3, freestanding. Ring 3 cannot make
 * hypercalls itself; every request goes through the driver.
 *
 * Each wrapper returns the hypervisor's status (HV_STATUS_*), or
 * VID_REFUSED if the driver refused the request without asking the
 * hypervisor (bad operation or id, no hypervisor, no right to create). */
#ifndef GUEST_USER_VIDLIB_H
#define GUEST_USER_VIDLIB_H

#include "hv-tlfs.h"
#include "ulib.h"

#define VID_REFUSED (-1)

UINLINE int32_t vid_result_status(uint64_t r)
{
	return r == HVSIM_VID_ERROR ? VID_REFUSED : (int32_t)(r & HVSIM_VID_STATUS_MASK);
}

UINLINE uint64_t vid_request(uint64_t op, uint64_t partition_id)
{
	return usyscall3(HVSIM_SYS_VID, op, partition_id, 0);
}

/* HvCallCreatePartition; on success *id is the new child's id. */
UINLINE int32_t vid_create_partition(uint64_t *id)
{
	uint64_t r = vid_request(HVSIM_VID_CREATE_PARTITION, 0);

	*id = r == HVSIM_VID_ERROR ? 0 : r >> HVSIM_VID_ID_SHIFT;
	return vid_result_status(r);
}

UINLINE int32_t vid_initialize_partition(uint64_t id)
{
	return vid_result_status(vid_request(HVSIM_VID_INITIALIZE, id));
}

UINLINE int32_t vid_finalize_partition(uint64_t id)
{
	return vid_result_status(vid_request(HVSIM_VID_FINALIZE, id));
}

UINLINE int32_t vid_delete_partition(uint64_t id)
{
	return vid_result_status(vid_request(HVSIM_VID_DELETE, id));
}

/* ---- Running a child (operations with a third argument in RDX) ------------- */

UINLINE uint64_t vid_request_arg(uint64_t op, uint64_t partition_id, uint64_t arg)
{
	return usyscall3(HVSIM_SYS_VID, op, partition_id, arg);
}

UINLINE uint64_t vid_ptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* `bytes` of the parent's RAM become the child's RAM from GPA 0; on success
 * *ram is where the worker reaches the child's GPA 0. */
UINLINE int32_t vid_map_memory(uint64_t id, uint64_t bytes, uint8_t **ram)
{
	uint64_t r = vid_request_arg(HVSIM_VID_MAP_MEMORY, id, bytes);
	int32_t status = vid_result_status(r);

	*ram = status == HV_STATUS_SUCCESS ? (uint8_t *)(uintptr_t)(r >> HVSIM_VID_ID_SHIFT) : 0;
	return status;
}

UINLINE int32_t vid_create_vp(uint64_t id, uint32_t vp_index)
{
	return vid_result_status(vid_request_arg(HVSIM_VID_CREATE_VP, id, vp_index));
}

/* A register block: start one with vid_regs_init, add up to
 * HVSIM_VID_REGS_MAX registers, hand it to vid_set_registers. */
UINLINE void vid_regs_init(struct hvsim_vid_registers *r, uint32_t vp_index)
{
	uzero(r, sizeof(*r));
	r->vp_index = vp_index;
}

UINLINE void vid_regs_add(struct hvsim_vid_registers *r, uint32_t name, uint64_t low, uint64_t high)
{
	if (r->count >= HVSIM_VID_REGS_MAX)
		return; /* the driver refuses a full block's overflow anyway */
	r->reg[r->count].name = name;
	r->reg[r->count].value[0] = low;
	r->reg[r->count].value[1] = high;
	r->count++;
}

UINLINE int32_t vid_set_registers(uint64_t id, const struct hvsim_vid_registers *r)
{
	return vid_result_status(vid_request_arg(HVSIM_VID_SET_REGISTERS, id, vid_ptr(r)));
}

UINLINE int32_t vid_get_registers(uint64_t id, struct hvsim_vid_registers *r)
{
	return vid_result_status(vid_request_arg(HVSIM_VID_GET_REGISTERS, id, vid_ptr(r)));
}

UINLINE int32_t vid_install_intercept(uint64_t id, uint32_t type, uint32_t access_mask,
				      uint64_t parameter)
{
	struct hvsim_vid_intercept req;

	req.type = type;
	req.access_mask = access_mask;
	req.parameter = parameter;
	return vid_result_status(vid_request_arg(HVSIM_VID_INSTALL_INTERCEPT, id, vid_ptr(&req)));
}

/* Sleeps until the hypervisor sends a message about child `id`. */
UINLINE int32_t vid_wait_message(uint64_t id, struct hv_message *msg)
{
	return vid_result_status(vid_request_arg(HVSIM_VID_WAIT_MESSAGE, id, vid_ptr(msg)));
}

UINLINE int32_t vid_get_image(struct hvsim_vid_image *img)
{
	return vid_result_status(vid_request_arg(HVSIM_VID_GET_IMAGE, 0, vid_ptr(img)));
}

/* ---- Ports and connections (VMBus plumbing) ------------------------------------
 * `where` (HVSIM_VID_IN_PARENT / _IN_CHILD) says whose port or connection
 * it is; the other end is always the other of the two partitions. */

UINLINE int32_t vid_create_port(uint64_t id, uint32_t where, uint32_t port_id, uint32_t type,
				uint32_t sint, uint32_t vp, uint16_t base_flag, uint16_t flag_count)
{
	struct hvsim_vid_port req;

	uzero(&req, sizeof(req));
	req.where = where;
	req.port_id = port_id;
	req.type = type;
	req.sint = sint;
	req.vp = vp;
	req.base_flag = base_flag;
	req.flag_count = flag_count;
	return vid_result_status(vid_request_arg(HVSIM_VID_CREATE_PORT, id, vid_ptr(&req)));
}

UINLINE int32_t vid_connect_port(uint64_t id, uint32_t where, uint32_t connection_id,
				 uint32_t port_id, uint32_t type)
{
	struct hvsim_vid_connection req;

	uzero(&req, sizeof(req));
	req.where = where;
	req.connection_id = connection_id;
	req.port_id = port_id;
	req.type = type;
	return vid_result_status(vid_request_arg(HVSIM_VID_CONNECT_PORT, id, vid_ptr(&req)));
}

/* The parent's VMBus server starts serving child `id`. */
UINLINE int32_t vid_vmbus_start(uint64_t id)
{
	return vid_result_status(vid_request_arg(HVSIM_VID_VMBUS_START, id, 0));
}

#endif /* GUEST_USER_VIDLIB_H */
