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
 * a plain "refused" instead of a hypervisor status.
 *
 * Running a child needs three more things from the driver:
 *   - memory: parent RAM lent to the child (MapGpaPages) and to the worker
 *     (U=1 in our page tables), so the worker can load the child's OS;
 *   - VP state: Set/GetVpRegisters on the child's VPs;
 *   - messages: when the child does something the worker asked to see
 *     (InstallIntercept), the hypervisor suspends the child's VP and posts
 *     a message to SINT0 of our VP 0. Our SynIC raises HVSIM_VECTOR_INTERCEPT;
 *     the interrupt handler moves the message from the SIM page into a
 *     one-deep mailbox, and HVSIM_VID_WAIT_MESSAGE hands it to the worker. */
#include "vid.h"
#include "vmbus-server.h"

static bool vid_ready;
/* The SynIC is set up for intercept messages (vid_synic_init). */
static bool vid_synic_ready;
/* Synthetic timer 0 can bound a wait for a message (timer.c). */
static bool vid_timer_ready;

/* The longest wait for a message: 1 s on the partition's reference clock
 * (100 ns units). Our child sends one every few microseconds; a child
 * that computes for longer without any I/O is taken for hung. */
#define VID_100NS_PER_MS 10000ul
#define VID_WAIT_TIMEOUT (1000 * VID_100NS_PER_MS)

/* ---- Intercept messages: the SIM page and the mailbox --------------------------
 * The SIM page: 16 slots of 256 bytes, slot n for SINTn; the hypervisor
 * writes messages into it by GPA. Kernel memory, page-aligned as SIMP takes
 * a page frame number. */
static uint8_t vid_simp[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
/* One message taken out of the slot, waiting for the worker. Written by
 * the interrupt handler and by vid_wait_message(), both with IF = 0. */
static struct hv_message vid_mailbox;
static volatile bool vid_mailbox_full;

/* ---- Child RAM: a bump allocator over the parent's free RAM -------------------- */
static uint64_t vid_ram_next, vid_ram_end;
static bool vid_image_lent;
/* Where each child's RAM lies in ours (VID MAP_MEMORY), so the VMBus
 * server can reach the pages a child names in a GPADL: child GPA g is our
 * address base + g for g < bytes. A slot is freed when the child is deleted. */
#define VID_CHILDREN_MAX 4u
static struct vid_child_ram {
	uint64_t id, base, bytes;
} vid_children[VID_CHILDREN_MAX];

#define VID_FREE_RAM_LIMIT MIB(64) /* paging.c maps no further */
#define VID_MAP_FLAGS (HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE | \
		       HV_MAP_GPA_KERNEL_EXECUTABLE | HV_MAP_GPA_USER_EXECUTABLE)
/* Intercept completions (SetVpRegisters with InterceptSuspend = 0) shown
 * one line each before the driver goes quiet about them. */
#define VID_COMPLETIONS_SHOWN 4u
/* Reps that fit one input page after the header (the hypervisor reads the
 * header and the whole rep list from one 4 KiB page). */
#define VID_MAP_CHUNK ((HV_PAGE_SIZE - sizeof(struct hv_input_map_gpa_pages)) / sizeof(uint64_t))

static uint64_t page_up(uint64_t v)
{
	return (v + HV_PAGE_SIZE - 1) & ~(uint64_t)(HV_PAGE_SIZE - 1);
}

/* Free RAM: above the kernel image and the ring 3 region, below the child
 * image (the loader put it at the top) or the end of what paging maps. */
static void vid_ram_init(void)
{
	uint64_t kernel_end = (uint64_t)(uintptr_t)__kernel_end;
	uint64_t user_end = (uint64_t)(uintptr_t)__user_end;
	uint64_t limit = kernel_boot.memory_size < VID_FREE_RAM_LIMIT ? kernel_boot.memory_size
								      : VID_FREE_RAM_LIMIT;
	uint64_t image = kernel_boot.child_image_start;

	vid_ram_next = page_up(kernel_end > user_end ? kernel_end : user_end);
	vid_ram_end = limit & ~(uint64_t)(HV_PAGE_SIZE - 1);
	if (kernel_boot.child_image_size != 0 && image >= vid_ram_next && image < vid_ram_end)
		vid_ram_end = image & ~(uint64_t)(HV_PAGE_SIZE - 1);
	if (vid_ram_end < vid_ram_next)
		vid_ram_end = vid_ram_next;
	kdetail("[vid] free RAM for children: 0x%lx-0x%lx (%lu KiB)\n", vid_ram_next, vid_ram_end,
		(vid_ram_end - vid_ram_next) >> 10);
}

/* Our SynIC, for the messages about children: SIMP -> vid_simp, SINT0 ->
 * HVSIM_VECTOR_INTERCEPT, SCONTROL on. Reserved bits are "preserve": each
 * write is a read-modify-write. */
static bool vid_synic_init(const struct hv_info *hv)
{
	uint64_t simp, sint, scontrol;

	if (!(hv->msr_access & HV_MSR_ACCESS_SYNIC)) {
		klog("[vid] no access to the SynIC MSRs (CPUID 0x%08x EAX bit 2): the worker cannot "
		     "receive intercept messages\n", HV_CPUID_FEATURES);
		return false;
	}
	/* The SIM page first: the hypervisor presents it zeroed (every slot
	 * free) when it is enabled. */
	simp = rdmsr(HV_X64_MSR_SIMP);
	simp = (simp & (HV_PAGE_SIZE - 1) & ~HV_SYNIC_PAGE_ENABLE) | hv_gpa(vid_simp) |
	       HV_SYNIC_PAGE_ENABLE;
	wrmsr(HV_X64_MSR_SIMP, simp);
	/* SINT0 (HV_SYNIC_INTERCEPTION_SINT, where intercept messages go):
	 * our vector, unmasked, not auto-EOI (the handler writes EOI), not
	 * polled. */
	sint = rdmsr(HV_X64_MSR_SINT0 + HV_SYNIC_INTERCEPTION_SINT);
	sint &= ~(HV_SYNIC_SINT_VECTOR_MASK | HV_SYNIC_SINT_MASKED | HV_SYNIC_SINT_AUTO_EOI |
		  HV_SYNIC_SINT_POLLING);
	sint |= HVSIM_VECTOR_INTERCEPT;
	wrmsr(HV_X64_MSR_SINT0 + HV_SYNIC_INTERCEPTION_SINT, sint);
	/* Last, the SynIC as a whole: from now on messages may arrive. */
	scontrol = rdmsr(HV_X64_MSR_SCONTROL) | HV_SYNIC_SCONTROL_ENABLE;
	wrmsr(HV_X64_MSR_SCONTROL, scontrol);
	kdetail("[vid] SynIC on: SIM page at %p, SINT%u -> vector 0x%x (intercept messages)\n",
		(void *)vid_simp, HV_SYNIC_INTERCEPTION_SINT, HVSIM_VECTOR_INTERCEPT);
	return true;
}

bool vid_init(const struct hv_info *hv)
{
	vid_ready = hv->hyperv && hv->hypercalls_enabled &&
		    (hv->privileges & HV_PRIV_CREATE_PARTITIONS) != 0;
	if (vid_ready) {
		kdetail("[vid] VID driver ready: this partition holds the CreatePartitions right\n");
		vid_synic_ready = vid_synic_init(hv);
		vid_timer_ready = timer_available(hv);
		vid_ram_init();
	}
	return vid_ready;
}

/* Moves a message from SINT0's slot into the mailbox if there is one and
 * the mailbox is free. Runs with IF = 0 (interrupt handler, system call).
 * The protocol (TLFS "SIM page", Linux vmbus_signal_eom):
 *   1. copy the message out, then free the slot (type = HVMSG_NONE);
 *   2. only then look at MessagePending: if the hypervisor queued more
 *      messages behind this one, it set the flag, and EOM asks it to
 *      deliver the next one into the now free slot.
 * A full mailbox leaves the slot alone: the hypervisor queues further
 * messages itself until we free it. */
static void vid_take_message(void)
{
	struct hv_message *slot =
		(struct hv_message *)&vid_simp[HV_SYNIC_INTERCEPTION_SINT * HV_MESSAGE_SIZE];

	if (vid_mailbox_full || *(volatile uint32_t *)&slot->header.message_type == HVMSG_NONE)
		return;
	memcpy(&vid_mailbox, slot, sizeof(vid_mailbox));
	vid_mailbox_full = true;
	/* Ordering point: the copy is complete before the slot is freed (the
	 * hypervisor may overwrite a free slot). A compiler barrier is enough:
	 * one VP, and the hypervisor writes the slot only at a VM exit. */
	__asm__ volatile("" : : : "memory");
	*(volatile uint32_t *)&slot->header.message_type = HVMSG_NONE;
	__asm__ volatile("" : : : "memory");
	/* Ordering point: the flag is read after the slot was freed, so a
	 * message queued in between is not missed. */
	if (*(volatile uint8_t *)&slot->header.message_flags & HV_MESSAGE_FLAG_PENDING)
		wrmsr(HV_X64_MSR_EOM, 0);
}

uint8_t *vid_sim_page(void)
{
	return vid_synic_ready ? vid_simp : NULL;
}

/* Vector HVSIM_VECTOR_INTERCEPT (trap_dispatch), IF = 0. */
void vid_interrupt(void)
{
	if (vid_synic_ready)
		vid_take_message();
	/* End of interrupt, as for the timer (timer.c). */
	wrmsr(HV_X64_MSR_EOI, 0);
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

/* ---- Child memory ---------------------------------------------------------------- */

/* MapGpaPages child GPA [0, pages) -> parent pages from `base` up, in
 * chunks of one input page each. The hypervisor may also stop a rep call
 * early with SUCCESS and fewer reps done; then the call is issued again
 * from the rep it reached (the rep start index), with the same input. */
static uint16_t vid_map_pages(uint64_t id, uint64_t base, uint64_t pages, uint64_t *mapped)
{
	struct hv_input_map_gpa_pages *in = (void *)hv_input_page;
	uint64_t *list = (uint64_t *)(hv_input_page + sizeof(*in));

	*mapped = 0;
	while (*mapped < pages) {
		uint32_t n = (uint32_t)(pages - *mapped < VID_MAP_CHUNK ? pages - *mapped : VID_MAP_CHUNK);
		uint32_t start = 0;

		memset(hv_input_page, 0, sizeof(hv_input_page));
		in->target_partition_id = id;
		in->target_gpa_base = *mapped;
		in->map_flags = VID_MAP_FLAGS;
		for (uint32_t i = 0; i < n; i++)
			list[i] = (base >> HV_PAGE_SHIFT) + *mapped + i;
		while (start < n) {
			uint64_t result = hv_hypercall(hv_control(HVCALL_MAP_GPA_PAGES, 0, n, start),
						       hv_gpa(in), 0);
			uint16_t status = hv_result_status(result);
			uint32_t reps = hv_result_reps(result);

			kdetail("[vid] HvCallMapGpaPages(%lu, GPA 0x%lx, %u pages from rep %u): status "
				"0x%04x %s, %u reps done\n", id, *mapped << HV_PAGE_SHIFT, n, start,
				status, hv_status_name(status), reps);
			bool progress = reps > start && reps <= n;

			if (progress) {
				*mapped += reps - start;
				start = reps;
			}
			if (status != HV_STATUS_SUCCESS)
				return status;
			if (!progress)
				return HV_STATUS_INVALID_PARAMETER; /* no progress: give up */
		}
	}
	return HV_STATUS_SUCCESS;
}

/* One record per child; a second MAP_MEMORY for the same child replaces
 * the first (the worker maps once). No free slot: the VMBus server will not
 * serve that child (vid_vmbus_start says so). */
static void vid_child_ram_record(uint64_t id, uint64_t base, uint64_t bytes)
{
	struct vid_child_ram *free_slot = NULL;

	for (unsigned i = 0; i < VID_CHILDREN_MAX; i++) {
		if (vid_children[i].id == id) {
			free_slot = &vid_children[i];
			break;
		}
		if (vid_children[i].id == 0 && !free_slot)
			free_slot = &vid_children[i];
	}
	if (free_slot) {
		free_slot->id = id;
		free_slot->base = base;
		free_slot->bytes = bytes;
	}
}

static struct vid_child_ram *vid_child_ram_find(uint64_t id)
{
	for (unsigned i = 0; i < VID_CHILDREN_MAX; i++)
		if (id != 0 && vid_children[i].id == id)
			return &vid_children[i];
	return NULL;
}

/* HVSIM_VID_MAP_MEMORY: `bytes` of free parent RAM become the child's RAM
 * from GPA 0 up, and the worker's to fill (U=1, writable). */
static uint64_t vid_map_memory(uint64_t id, uint64_t bytes)
{
	uint64_t base = vid_ram_next;
	uint64_t mapped;
	uint16_t status;

	if (!vid_id_ok(id) || bytes == 0 || bytes % HV_PAGE_SIZE != 0 || bytes > HVSIM_VID_MEMORY_MAX)
		return HVSIM_VID_ERROR;
	if (bytes > vid_ram_end - vid_ram_next) {
		klog("[vid] process \"%s\": %lu KiB of child RAM asked for, %lu KiB of free RAM left: "
		     "refused\n", process_current_name(), bytes >> 10, (vid_ram_end - vid_ram_next) >> 10);
		return HVSIM_VID_ERROR;
	}
	/* Zeroed: the child must not find whatever the parent left there. */
	memset((void *)(uintptr_t)base, 0, bytes);
	status = vid_map_pages(id, base, bytes >> HV_PAGE_SHIFT, &mapped);
	if (status != HV_STATUS_SUCCESS) {
		/* Pages the child still maps stay taken (until it is deleted,
		 * which this simple allocator does not track); none mapped, none
		 * taken. */
		if (mapped != 0)
			vid_ram_next = base + bytes;
		return status;
	}
	vid_ram_next = base + bytes;
	if (!paging_lend_to_user(base, bytes, true))
		return HVSIM_VID_ERROR;
	vid_child_ram_record(id, base, bytes);
	return (base << HVSIM_VID_ID_SHIFT) | status;
}

/* HVSIM_VID_GET_IMAGE: where the loader put the child image; the pages
 * become readable (not writable) from ring 3. */
static uint64_t vid_get_image(uint64_t uptr)
{
	struct hvsim_vid_image img;
	uint64_t start = kernel_boot.child_image_start;
	uint64_t size = kernel_boot.child_image_size;

	if (!user_range_writable(uptr, sizeof(img)))
		return HVSIM_VID_ERROR;
	if (size == 0) {
		klog("[vid] process \"%s\": the loader left no child image (boot info child_image_size "
		     "0): nothing to start\n", process_current_name());
		return HVSIM_VID_ERROR;
	}
	if (!vid_image_lent) {
		/* paging_lend_to_user checks the range: page-aligned, in RAM,
		 * above the kernel, apart from the ring 3 region. */
		if (size > VID_FREE_RAM_LIMIT || !paging_lend_to_user(start, page_up(size), false)) {
			klog("[vid] the child image at 0x%lx (%lu bytes) is not in free, page-aligned RAM: "
			     "refused\n", start, size);
			return HVSIM_VID_ERROR;
		}
		vid_image_lent = true;
	}
	memset(&img, 0, sizeof(img));
	img.start = start;
	img.size = size;
	img.child_flags = kernel_boot.child_flags;
	memcpy((void *)(uintptr_t)uptr, &img, sizeof(img));
	return HV_STATUS_SUCCESS;
}

/* ---- Child VPs ------------------------------------------------------------------- */

static uint64_t vid_create_vp(uint64_t id, uint64_t vp_index)
{
	struct hv_input_create_vp *in = (void *)hv_input_page;
	uint64_t result;
	uint16_t status;

	if (!vid_id_ok(id) || vp_index > UINT32_MAX)
		return HVSIM_VID_ERROR;
	memset(in, 0, sizeof(*in)); /* RsvdZ, flags, no NUMA hints */
	in->partition_id = id;
	in->vp_index = (uint32_t)vp_index;
	result = hv_hypercall(hv_control(HVCALL_CREATE_VP, 0, 0, 0), hv_gpa(in), 0);
	status = hv_result_status(result);
	kdetail("[vid] HvCallCreateVp(%lu, VP %lu): status 0x%04x %s\n", id, vp_index, status,
		hv_status_name(status));
	return status;
}

/* Copies the worker's register block into `r` (kernel memory) and checks
 * the copy, never the original: ring 3 could change it in between. */
static bool vid_registers_in(uint64_t uptr, struct hvsim_vid_registers *r)
{
	if (!user_range_ok(uptr, sizeof(*r)))
		return false;
	memcpy(r, (const void *)(uintptr_t)uptr, sizeof(*r));
	return r->count != 0 && r->count <= HVSIM_VID_REGS_MAX;
}

static void vid_vp_header(struct hv_input_get_vp_registers *hdr, uint64_t id, uint32_t vp_index)
{
	memset(hv_input_page, 0, sizeof(hv_input_page));
	hdr->partition_id = id;
	hdr->vp_index = vp_index;
	hdr->target_vtl = 0;
}

/* A rep call, re-issued from the rep it reached while the hypervisor
 * completes only part of it with SUCCESS. */
static uint16_t vid_rep_call(uint16_t code, uint32_t count, uint64_t output)
{
	uint32_t done = 0;

	for (;;) {
		uint64_t result = hv_hypercall(hv_control(code, 0, count, done), hv_gpa(hv_input_page),
					       output);
		uint16_t status = hv_result_status(result);
		uint32_t reps = hv_result_reps(result);

		if (status != HV_STATUS_SUCCESS || reps >= count)
			return status;
		if (reps <= done)
			return HV_STATUS_INVALID_PARAMETER; /* no progress: give up */
		done = reps;
	}
}

/* Does the block resume a VP after an intercept (InterceptSuspend = 0)? */
static bool vid_is_completion(const struct hvsim_vid_registers *r)
{
	for (uint32_t i = 0; i < r->count; i++)
		if (r->reg[i].name == HV_REGISTER_INTERCEPT_SUSPEND)
			return true;
	return false;
}

/* One line per SetVpRegisters, except for intercept completions: a child
 * that prints a line costs two of them per character, and the console
 * would drown in them. The first few show the pattern; failures always
 * show. */
static void vid_report_set_registers(uint64_t id, const struct hvsim_vid_registers *r,
				     uint16_t status)
{
	static unsigned completions;

	if (status == HV_STATUS_SUCCESS && vid_is_completion(r)) {
		if (completions > VID_COMPLETIONS_SHOWN)
			return;
		if (completions++ == VID_COMPLETIONS_SHOWN) {
			kdetail("[vid] (further intercept completions succeed silently)\n");
			return;
		}
	}
	if (status == HV_STATUS_SUCCESS)
		kdetail("[vid] HvCallSetVpRegisters(%lu, VP %u, %u registers, first 0x%x): status "
			"0x%04x %s\n", id, r->vp_index, r->count, r->reg[0].name, status,
			hv_status_name(status));
	else
		klog("[vid] HvCallSetVpRegisters(%lu, VP %u, %u registers, first 0x%x): status "
		     "0x%04x %s\n", id, r->vp_index, r->count, r->reg[0].name, status,
		     hv_status_name(status));
}

/* HVSIM_VID_SET_REGISTERS: HvCallSetVpRegisters, one element (name,
 * RsvdZ, 16-byte value) per register. */
static uint64_t vid_set_registers(uint64_t id, uint64_t uptr)
{
	struct hv_input_get_vp_registers *hdr = (void *)hv_input_page;
	struct hv_register_assoc *assoc = (void *)(hv_input_page + sizeof(*hdr));
	struct hvsim_vid_registers r;
	uint16_t status;

	if (!vid_id_ok(id) || !vid_registers_in(uptr, &r))
		return HVSIM_VID_ERROR;
	vid_vp_header(hdr, id, r.vp_index);
	for (uint32_t i = 0; i < r.count; i++) {
		assoc[i].name = r.reg[i].name;
		assoc[i].value.low = r.reg[i].value[0];
		assoc[i].value.high = r.reg[i].value[1];
	}
	status = vid_rep_call(HVCALL_SET_VP_REGISTERS, r.count, 0);
	vid_report_set_registers(id, &r, status);
	return status;
}

/* HVSIM_VID_GET_REGISTERS: HvCallGetVpRegisters; the values go back into
 * the worker's block. */
static uint64_t vid_get_registers(uint64_t id, uint64_t uptr)
{
	struct hv_input_get_vp_registers *hdr = (void *)hv_input_page;
	const struct hv_register_value *values = (const void *)hv_output_page;
	struct hvsim_vid_registers r;
	uint16_t status;

	if (!vid_id_ok(id) || !user_range_writable(uptr, sizeof(r)) || !vid_registers_in(uptr, &r))
		return HVSIM_VID_ERROR;
	vid_vp_header(hdr, id, r.vp_index);
	for (uint32_t i = 0; i < r.count; i++)
		hdr->names[i] = r.reg[i].name;
	memset(hv_output_page, 0, sizeof(hv_output_page));
	status = vid_rep_call(HVCALL_GET_VP_REGISTERS, r.count, hv_gpa(hv_output_page));
	kdetail("[vid] HvCallGetVpRegisters(%lu, VP %u, %u registers, first 0x%x): status 0x%04x %s\n",
		id, r.vp_index, r.count, r.reg[0].name, status, hv_status_name(status));
	if (status != HV_STATUS_SUCCESS)
		return status;
	for (uint32_t i = 0; i < r.count; i++) {
		r.reg[i].value[0] = values[i].low;
		r.reg[i].value[1] = values[i].high;
	}
	memcpy((void *)(uintptr_t)uptr, &r, sizeof(r));
	return status;
}

/* ---- Intercepts and messages -------------------------------------------------------- */

static uint64_t vid_install_intercept(uint64_t id, uint64_t uptr)
{
	struct hv_input_install_intercept *in = (void *)hv_input_page;
	struct hvsim_vid_intercept req;
	uint64_t result;
	uint16_t status;

	if (!vid_id_ok(id) || !user_range_ok(uptr, sizeof(req)))
		return HVSIM_VID_ERROR;
	memcpy(&req, (const void *)(uintptr_t)uptr, sizeof(req));
	memset(in, 0, sizeof(*in));
	in->partition_id = id;
	in->access_type_mask = req.access_mask;
	in->intercept_type = req.type;
	in->intercept_parameter = req.parameter;
	result = hv_hypercall(hv_control(HVCALL_INSTALL_INTERCEPT, 0, 0, 0), hv_gpa(in), 0);
	status = hv_result_status(result);
	kdetail("[vid] HvCallInstallIntercept(%lu, type %u, parameter 0x%lx, access 0x%x): status "
		"0x%04x %s\n", id, req.type, req.parameter, req.access_mask, status,
		hv_status_name(status));
	return status;
}

/* HVSIM_VID_WAIT_MESSAGE: sleeps (HLT) until a message about child `id`
 * is in the mailbox, then copies it out. A message about another partition
 * cannot be anyone's here (one worker at a time): it is dropped with a
 * line, so it does not block the mailbox. */
static uint64_t vid_wait_message(uint64_t id, uint64_t uptr)
{
	uint64_t deadline = 0;

	if (!vid_id_ok(id) || !vid_synic_ready || !user_range_writable(uptr, sizeof(vid_mailbox)))
		return HVSIM_VID_ERROR;
	for (;;) {
		/* A message may sit in the slot without an interrupt to come:
		 * it arrived while the mailbox was full. Look before sleeping. */
		vid_take_message();
		if (vid_mailbox_full) {
			if (vid_mailbox.header.origination_id == id) {
				memcpy((void *)(uintptr_t)uptr, &vid_mailbox, sizeof(vid_mailbox));
				vid_mailbox_full = false;
				return HV_STATUS_SUCCESS;
			}
			klog("[vid] message type 0x%08x from partition %lu dropped: no worker waits for it\n",
			     vid_mailbox.header.message_type, vid_mailbox.header.origination_id);
			vid_mailbox_full = false;
			continue;
		}
		/* A child that spins without I/O would keep the worker (and
		 * with it the parent) asleep for ever: wait at most
		 * VID_WAIT_TIMEOUT, woken by synthetic timer 0 if nothing else
		 * comes. */
		if (vid_timer_ready) {
			if (deadline == 0)
				deadline = timer_arm(VID_WAIT_TIMEOUT);
			else if (rdmsr(HV_X64_MSR_TIME_REF_COUNT) >= deadline) {
				klog("[vid] no message about partition %lu for %lu ms: the wait gives up\n",
				     id, VID_WAIT_TIMEOUT / VID_100NS_PER_MS);
				return HVSIM_VID_ERROR;
			}
		}
		/* The system call runs with IF = 0. STI takes effect after the
		 * next instruction, so an interrupt pending here is taken only
		 * once HLT waits, and wakes it: none is lost between the check
		 * above and the HLT (see timer.c). */
		__asm__ volatile("sti; hlt; cli" : : : "memory");
	}
}

/* ---- Ports and connections (VMBus plumbing) ----------------------------------------
 * The worker names a child and says which side a port or connection lives
 * on; the driver fills the TLFS input with the partition ids, so ring 3
 * can only ever wire its parent to the child it names (never two unrelated
 * partitions). The hypervisor checks the rest (facts §3.6; sim/hv-port.c). */

static uint64_t vid_side(uint32_t where, uint64_t child)
{
	return where == HVSIM_VID_IN_CHILD ? child : HV_PARTITION_ID_SELF;
}

static uint64_t vid_create_port(uint64_t id, uint64_t uptr)
{
	struct hv_input_create_port *in = (void *)hv_input_page;
	struct hvsim_vid_port req;
	uint64_t result;
	uint16_t status;

	if (!vid_id_ok(id) || !user_range_ok(uptr, sizeof(req)))
		return HVSIM_VID_ERROR;
	memcpy(&req, (const void *)(uintptr_t)uptr, sizeof(req));
	if (req.where > HVSIM_VID_IN_CHILD)
		return HVSIM_VID_ERROR;
	memset(in, 0, sizeof(*in));
	in->port_partition_id = vid_side(req.where, id);
	in->port_id = req.port_id;
	in->connection_partition_id = vid_side(!req.where, id);
	in->port_info.port_type = req.type;
	/* target_sint/target_vp sit at the same offsets in both variants. */
	in->port_info.u.message.target_sint = req.sint;
	in->port_info.u.message.target_vp = req.vp;
	if (req.type == HV_PORT_TYPE_EVENT) {
		in->port_info.u.event.base_flag_number = req.base_flag;
		in->port_info.u.event.flag_count = req.flag_count;
	}
	result = hv_hypercall(hv_control(HVCALL_CREATE_PORT, 0, 0, 0), hv_gpa(in), 0);
	status = hv_result_status(result);
	kdetail("[vid] HvCallCreatePort(%s port %u, %s, SINT %u of VP %u): status 0x%04x %s\n",
		req.where == HVSIM_VID_IN_CHILD ? "child" : "parent", req.port_id,
		req.type == HV_PORT_TYPE_EVENT ? "event" : "message", req.sint, req.vp, status,
		hv_status_name(status));
	return status;
}

static uint64_t vid_connect_port(uint64_t id, uint64_t uptr)
{
	struct hv_input_connect_port *in = (void *)hv_input_page;
	struct hvsim_vid_connection req;
	uint64_t result;
	uint16_t status;

	if (!vid_id_ok(id) || !user_range_ok(uptr, sizeof(req)))
		return HVSIM_VID_ERROR;
	memcpy(&req, (const void *)(uintptr_t)uptr, sizeof(req));
	if (req.where > HVSIM_VID_IN_CHILD)
		return HVSIM_VID_ERROR;
	memset(in, 0, sizeof(*in));
	in->connection_partition_id = vid_side(req.where, id);
	in->connection_id = req.connection_id;
	in->port_partition_id = vid_side(!req.where, id);
	in->port_id = req.port_id;
	in->connection_info.port_type = req.type;
	result = hv_hypercall(hv_control(HVCALL_CONNECT_PORT, 0, 0, 0), hv_gpa(in), 0);
	status = hv_result_status(result);
	kdetail("[vid] HvCallConnectPort(%s connection 0x%x -> port %u): status 0x%04x %s\n",
		req.where == HVSIM_VID_IN_CHILD ? "child" : "parent", req.connection_id, req.port_id,
		status, hv_status_name(status));
	return status;
}

/* HVSIM_VID_VMBUS_START: the ports are wired; the server may answer the
 * child. It needs the child's RAM to check and reach its GPADLs. */
static uint64_t vid_vmbus_start(uint64_t id)
{
	const struct vid_child_ram *ram = vid_child_ram_find(id);

	if (!vid_id_ok(id))
		return HVSIM_VID_ERROR;
	if (!ram) {
		klog("[vid] VMBus for partition %lu refused: its RAM was not mapped through this driver\n",
		     id);
		return HVSIM_VID_ERROR;
	}
	return vmbus_server_attach(id, ram->base, ram->bytes) ? HV_STATUS_SUCCESS : HVSIM_VID_ERROR;
}

/* Finalize or delete: the server stops serving the child first (its pages
 * go back), then the driver forgets its RAM. */
static void vid_child_gone(uint64_t id)
{
	struct vid_child_ram *ram = vid_child_ram_find(id);

	vmbus_server_detach(id);
	if (ram)
		ram->id = 0;
}

uint64_t vid_syscall(uint64_t op, uint64_t partition_id, uint64_t arg)
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
		if (vid_id_ok(partition_id))
			vmbus_server_detach(partition_id);
		return vid_partition_call(HVCALL_FINALIZE_PARTITION, "HvCallFinalizePartition",
					  partition_id);
	case HVSIM_VID_DELETE:
		if (vid_id_ok(partition_id))
			vid_child_gone(partition_id);
		return vid_partition_call(HVCALL_DELETE_PARTITION, "HvCallDeletePartition",
					  partition_id);
	case HVSIM_VID_MAP_MEMORY:
		return vid_map_memory(partition_id, arg);
	case HVSIM_VID_CREATE_VP:
		return vid_create_vp(partition_id, arg);
	case HVSIM_VID_SET_REGISTERS:
		return vid_set_registers(partition_id, arg);
	case HVSIM_VID_GET_REGISTERS:
		return vid_get_registers(partition_id, arg);
	case HVSIM_VID_INSTALL_INTERCEPT:
		return vid_install_intercept(partition_id, arg);
	case HVSIM_VID_WAIT_MESSAGE:
		return vid_wait_message(partition_id, arg);
	case HVSIM_VID_GET_IMAGE:
		return vid_get_image(arg);
	case HVSIM_VID_CREATE_PORT:
		return vid_create_port(partition_id, arg);
	case HVSIM_VID_CONNECT_PORT:
		return vid_connect_port(partition_id, arg);
	case HVSIM_VID_VMBUS_START:
		return vid_vmbus_start(partition_id);
	default:
		klog("[vid] process \"%s\": unknown VID operation %lu refused\n",
		     process_current_name(), op);
		return HVSIM_VID_ERROR;
	}
}
