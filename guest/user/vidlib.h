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

#endif /* GUEST_USER_VIDLIB_H */
