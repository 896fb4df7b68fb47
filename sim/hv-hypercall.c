/* hv-hypercall.c — hypercalls as the TLFS defines them for x64 callers.
 * Sim thread, ring -1: runs between the VMCALL (or VMMCALL) exit and the
 * VM entry that returns the result in RAX.
 *
 * The convention (facts §3.1-3.3): RCX holds the input value (call code,
 * fast bit, variable-header size, rep count and start index); for memory
 * calls RDX and R8 hold the GPAs of the input and output blocks, for fast
 * calls they hold the input itself. The result in RAX carries the status in
 * bits 15:0 and, for rep calls, the reps completed in bits 43:32.
 *
 * Everything the guest hands in is hostile: reserved bits, rep counts,
 * alignment and every GPA are checked before any guest memory is touched.
 * The table below is the whole interface; a code it does not list gets
 * HV_STATUS_INVALID_HYPERCALL_CODE. */
#include <string.h>

#include "hv-hypercall.h"
#include "hv-port.h"
#include "hv-tlfs.h"
#include "sim-private.h"
#include "x86-arch.h"

/* ---- Input value ------------------------------------------------------------ */

void hv_control_decode(uint64_t rcx, HvControl *out)
{
	out->code = (uint16_t)(rcx & HV_HYPERCALL_CODE_MASK);
	out->fast = (rcx & HV_HYPERCALL_FAST) != 0;
	out->varhead_qwords = (uint16_t)((rcx & HV_HYPERCALL_VARHEAD_MASK) >> HV_HYPERCALL_VARHEAD_SHIFT);
	out->rep_count = (uint16_t)((rcx & HV_HYPERCALL_REP_COUNT_MASK) >> HV_HYPERCALL_REP_COUNT_SHIFT);
	out->rep_start = (uint16_t)((rcx & HV_HYPERCALL_REP_START_MASK) >> HV_HYPERCALL_REP_START_SHIFT);
	/* The nested bit routes a call to an L0 hypervisor; there is none. */
	out->reserved_set = (rcx & (HV_HYPERCALL_RSVD0_MASK | HV_HYPERCALL_RSVD1_MASK |
	                            HV_HYPERCALL_RSVD2_MASK | HV_HYPERCALL_NESTED)) != 0;
}

uint64_t hv_control_encode(const HvControl *c)
{
	return (uint64_t)c->code | (c->fast ? HV_HYPERCALL_FAST : 0) |
	       ((uint64_t)c->varhead_qwords << HV_HYPERCALL_VARHEAD_SHIFT) |
	       ((uint64_t)c->rep_count << HV_HYPERCALL_REP_COUNT_SHIFT) |
	       ((uint64_t)c->rep_start << HV_HYPERCALL_REP_START_SHIFT);
}

uint16_t hv_check_block(const SimMemory *mem, uint64_t gpa, uint64_t len)
{
	if (gpa & 7)
		return HV_STATUS_INVALID_ALIGNMENT;       /* not 8-byte aligned */
	if ((gpa & (HV_PAGE_SIZE - 1)) + len > HV_PAGE_SIZE)
		return HV_STATUS_INVALID_ALIGNMENT;       /* crosses a page boundary */
	if (!sim_memory_range_ok(mem, gpa, len))
		return HV_STATUS_INVALID_ALIGNMENT;       /* outside the partition's GPA space */
	return HV_STATUS_SUCCESS;
}

/* ---- The call table ------------------------------------------------------------ */

static uint16_t call_notify_long_spin_wait(HvCallCtx *ctx)
{
	/* Input: the spin count the guest waited. A scheduling hint only: this
	 * single-VP model has no other VP to run instead. */
	return HV_STATUS_SUCCESS;
}

static uint16_t call_get_partition_id(HvCallCtx *ctx)
{
	struct hv_output_get_partition_id o = { .partition_id = ctx->vp->partition->id };
	memcpy(ctx->out, &o, sizeof o);
	return HV_STATUS_SUCCESS;
}

/* Maps a TLFS register name to a register of the calling VP. */
static bool vp_register_by_name(uint32_t name, SimReg *out)
{
	if (name >= HV_X64_REGISTER_RAX && name <= HV_X64_REGISTER_R15) {
		/* TLFS order RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8.. is SimReg's order. */
		*out = (SimReg)(SIM_REG_RAX + (name - HV_X64_REGISTER_RAX));
		return true;
	}
	switch (name) {
	case HV_X64_REGISTER_RIP: *out = SIM_REG_RIP; return true;
	case HV_X64_REGISTER_RFLAGS: *out = SIM_REG_RFLAGS; return true;
	case HV_X64_REGISTER_CR0: *out = SIM_REG_CR0; return true;
	case HV_X64_REGISTER_CR2: *out = SIM_REG_CR2; return true;
	case HV_X64_REGISTER_CR3: *out = SIM_REG_CR3; return true;
	case HV_X64_REGISTER_CR4: *out = SIM_REG_CR4; return true;
	case HV_X64_REGISTER_EFER: *out = SIM_REG_EFER; return true;
	default: return false;
	}
}

/* ---- Get/SetVpRegisters (facts §3.6, §4.7) ------------------------------------
 * The target VP: the caller's own (partition SELF or its own id, VP index
 * SELF or its own index), or any VP of a live, initialized child of the
 * caller (otherwise INVALID_PARTITION_ID / INVALID_PARTITION_STATE /
 * INVALID_VP_INDEX). TargetVtl and RsvdZ must be 0.
 *
 * Registers the model knows: RAX-R15, RIP, RFLAGS, CR0, CR2, CR3, CR4, EFER,
 * CS/SS/DS/ES (segment values), GDTR (table value), ExplicitSuspend and
 * InterceptSuspend. Another name is INVALID_PARAMETER and stops a rep call
 * there (reps_done names it).
 *
 * Setting, a decision of this model (the TLFS lets a partition set its own
 * registers; here that would race the hypercall's own return): only a
 * child's VPs, the caller's own VP is ACCESS_DENIED. A child VP that never
 * ran takes every register as its initial state, held until it starts;
 * clearing ExplicitSuspend starts it, after checking that the state is the
 * long mode the model can run (CR0.PE+PG, CR4.PAE, EFER.LME, a code
 * selector inside the GDT, a canonical RIP), else INVALID_REGISTER_VALUE.
 * Once it has run, the control, segment and table registers are fixed
 * (INVALID_VP_STATE); general registers, RIP and RFLAGS can be set while it
 * is suspended, and clearing InterceptSuspend resumes it after an
 * intercept. A value wider than the register (high half set, a suspend
 * value other than 0 or 1, setting InterceptSuspend to 1) is
 * INVALID_PARAMETER. */
static uint16_t find_target_vp(HvCallCtx *ctx, const struct hv_input_get_vp_registers *hdr, SimVp **out)
{
	SimVp *vp = ctx->vp;
	SimPartition *p = vp->partition;
	if (hdr->partition_id == HV_PARTITION_ID_SELF || hdr->partition_id == p->id) {
		if (hdr->vp_index != HV_VP_INDEX_SELF && hdr->vp_index != vp->index)
			return HV_STATUS_INVALID_VP_INDEX;
		*out = vp;
	} else {
		SimChild *c = sim_child_find(vp, hdr->partition_id);
		if (!c)
			return HV_STATUS_INVALID_PARTITION_ID; /* other partitions: not the caller's business */
		if (c->state != SIM_CHILD_INITIALIZED)
			return HV_STATUS_INVALID_PARTITION_STATE;
		*out = c->part ? sim_partition_vp(c->part, hdr->vp_index) : NULL;
		if (!*out)
			return HV_STATUS_INVALID_VP_INDEX;
	}
	if (hdr->target_vtl != 0 || hdr->rsvd_z[0] || hdr->rsvd_z[1] || hdr->rsvd_z[2])
		return HV_STATUS_INVALID_PARAMETER;
	return HV_STATUS_SUCCESS;
}

/* The boot-state field a never-run VP keeps for `r`, or NULL. */
static uint64_t *boot_field(SimVp *t, SimReg r)
{
	switch (r) {
	case SIM_REG_RIP: return &t->boot.rip;
	case SIM_REG_RSP: return &t->boot.rsp;
	case SIM_REG_RDI: return &t->boot.rdi;
	case SIM_REG_RFLAGS: return &t->boot.rflags;
	case SIM_REG_CR0: return &t->boot.cr0;
	case SIM_REG_CR3: return &t->boot.cr3;
	case SIM_REG_CR4: return &t->boot.cr4;
	case SIM_REG_EFER: return &t->boot.efer;
	default: return NULL;
	}
}

static bool is_segment(uint32_t name)
{
	return name == HV_X64_REGISTER_CS || name == HV_X64_REGISTER_SS || name == HV_X64_REGISTER_DS ||
	       name == HV_X64_REGISTER_ES;
}

static uint16_t read_register(SimVp *t, uint32_t name, struct hv_register_value *v)
{
	const SimBackendOps *be = t->partition->machine->backend;
	SimReg r;
	memset(v, 0, sizeof *v);
	if (name == HV_REGISTER_EXPLICIT_SUSPEND) {
		v->low = t->explicit_suspend;
	} else if (name == HV_REGISTER_INTERCEPT_SUSPEND) {
		v->low = t->intercept_suspend;
	} else if (is_segment(name)) {
		struct hv_x64_segment_register seg = { .base = 0, .limit = 0xFFFFFFFFu };
		if (t->boot_pending)
			seg.selector = name == HV_X64_REGISTER_CS ? t->boot.cs : t->boot.ds;
		else
			seg.selector = (uint16_t)be->reg_get(t, name == HV_X64_REGISTER_CS ? SIM_REG_CS : SIM_REG_SS);
		memcpy(v, &seg, sizeof seg);
	} else if (name == HV_X64_REGISTER_GDTR) {
		if (!t->boot_pending)
			return HV_STATUS_INVALID_VP_STATE; /* the model reads it only before the first run */
		struct hv_x64_table_register tr = { .limit = t->boot.gdt_limit, .base = t->boot.gdt_base };
		memcpy(v, &tr, sizeof tr);
	} else if (vp_register_by_name(name, &r)) {
		uint64_t *f = t->boot_pending ? boot_field(t, r) : NULL;
		v->low = f ? *f : be->reg_get(t, r);
	} else {
		return HV_STATUS_INVALID_PARAMETER;
	}
	return HV_STATUS_SUCCESS;
}

static uint16_t call_get_vp_registers(HvCallCtx *ctx)
{
	struct hv_input_get_vp_registers hdr;
	SimVp *t;
	memcpy(&hdr, ctx->in, sizeof hdr);
	uint16_t st = find_target_vp(ctx, &hdr, &t);
	if (st != HV_STATUS_SUCCESS)
		return st;
	for (uint16_t i = ctx->ctl->rep_start; i < ctx->ctl->rep_count; i++) {
		uint32_t name;
		struct hv_register_value v;
		memcpy(&name, ctx->in + sizeof hdr + 4u * i, sizeof name);
		if ((st = read_register(t, name, &v)) != HV_STATUS_SUCCESS)
			return st; /* reps_done says how far we got */
		memcpy(ctx->out + sizeof v * i, &v, sizeof v);
		ctx->reps_done = i + 1;
	}
	return HV_STATUS_SUCCESS;
}

/* Is the initial state one the model can start? */
static bool boot_state_ok(const SimBootState *b)
{
	bool canonical = (uint64_t)((int64_t)(b->rip << 16) >> 16) == b->rip;
	return (b->cr0 & (X86_CR0_PE | X86_CR0_PG)) == (X86_CR0_PE | X86_CR0_PG) && (b->cr4 & X86_CR4_PAE) &&
	       (b->efer & X86_EFER_LME) && b->cs >= 8 && (b->cs & 4) == 0 && (b->cs | 7u) <= b->gdt_limit &&
	       (b->ds & 4) == 0 && (b->ds | 7u) <= b->gdt_limit && canonical;
}

static uint16_t start_vp(HvCallCtx *ctx, SimVp *t)
{
	if (t->boot_pending) {
		g_autoptr(GError) error = NULL;
		if (!boot_state_ok(&t->boot))
			return HV_STATUS_INVALID_REGISTER_VALUE;
		if (!t->partition->machine->backend->vp_set_boot_state(t, &t->boot, &error)) {
			sim_vp_message(ctx->vp, "cannot start VP %u of partition %u: %s", t->index, t->partition->id,
			               error->message);
			return HV_STATUS_INVALID_REGISTER_VALUE;
		}
		t->boot_pending = false;
	}
	sim_vp_set_suspend(t, SIM_VP_EXPLICIT_SUSPEND, false, "ExplicitSuspend cleared by the parent");
	if (!t->started)
		sim_vp_start(t);
	return HV_STATUS_SUCCESS;
}

static uint16_t write_register(HvCallCtx *ctx, SimVp *t, const struct hv_register_assoc *a)
{
	const SimBackendOps *be = t->partition->machine->backend;
	uint32_t name = a->name;
	SimReg r;
	if (a->rsvd_z1 || a->rsvd_z2)
		return HV_STATUS_INVALID_PARAMETER;
	if (name == HV_REGISTER_EXPLICIT_SUSPEND || name == HV_REGISTER_INTERCEPT_SUSPEND) {
		if (a->value.high || a->value.low > 1 || (name == HV_REGISTER_INTERCEPT_SUSPEND && a->value.low))
			return HV_STATUS_INVALID_PARAMETER;
		if (name == HV_REGISTER_INTERCEPT_SUSPEND) {
			sim_vp_set_suspend(t, SIM_VP_INTERCEPT_SUSPEND, false, "the parent completed the intercept");
			return HV_STATUS_SUCCESS;
		}
		if (a->value.low) {
			sim_vp_set_suspend(t, SIM_VP_EXPLICIT_SUSPEND, true, "ExplicitSuspend set by the parent");
			return HV_STATUS_SUCCESS;
		}
		return start_vp(ctx, t);
	}
	if (is_segment(name) || name == HV_X64_REGISTER_GDTR) {
		if (!t->boot_pending)
			return HV_STATUS_INVALID_VP_STATE;
		if (name == HV_X64_REGISTER_GDTR) {
			struct hv_x64_table_register tr;
			memcpy(&tr, &a->value, sizeof tr);
			t->boot.gdt_base = tr.base;
			t->boot.gdt_limit = tr.limit;
		} else {
			struct hv_x64_segment_register seg;
			memcpy(&seg, &a->value, sizeof seg);
			/* The model loads descriptors from the GDT: only the
			 * selector counts. SS, DS and ES share one selector. */
			if (name == HV_X64_REGISTER_CS)
				t->boot.cs = seg.selector;
			else
				t->boot.ds = seg.selector;
		}
		return HV_STATUS_SUCCESS;
	}
	if (!vp_register_by_name(name, &r))
		return HV_STATUS_INVALID_PARAMETER;
	if (a->value.high)
		return HV_STATUS_INVALID_PARAMETER;
	uint64_t *f = t->boot_pending ? boot_field(t, r) : NULL;
	if (f) {
		*f = a->value.low;
		return HV_STATUS_SUCCESS;
	}
	if (r >= SIM_REG_CR0 && r <= SIM_REG_EFER)
		return t->boot_pending ? HV_STATUS_INVALID_PARAMETER /* CR2 */ : HV_STATUS_INVALID_VP_STATE;
	be->reg_set(t, r, a->value.low);
	return HV_STATUS_SUCCESS;
}

static uint16_t call_set_vp_registers(HvCallCtx *ctx)
{
	struct hv_input_get_vp_registers hdr;
	SimVp *t;
	memcpy(&hdr, ctx->in, sizeof hdr);
	uint16_t st = find_target_vp(ctx, &hdr, &t);
	if (st != HV_STATUS_SUCCESS)
		return st;
	if (t == ctx->vp)
		return HV_STATUS_ACCESS_DENIED;
	for (uint16_t i = ctx->ctl->rep_start; i < ctx->ctl->rep_count; i++) {
		struct hv_register_assoc a;
		memcpy(&a, ctx->in + sizeof hdr + sizeof a * i, sizeof a);
		if ((st = write_register(ctx, t, &a)) != HV_STATUS_SUCCESS)
			return st;
		ctx->reps_done = i + 1;
	}
	return HV_STATUS_SUCCESS;
}

/* InstallIntercept: the model routes a child's port I/O (X64IoPort, the
 * port in the parameter, which must fit 16 bits) with access mask read
 * and/or write (execute, or no bit, is INVALID_PARAMETER). Other intercept
 * types are not modelled: INVALID_PARAMETER. Installing twice is
 * harmless. The child must be initialized (not finalized). */
static uint16_t call_install_intercept(HvCallCtx *ctx)
{
	struct hv_input_install_intercept in;
	SimChild *c;
	memcpy(&in, ctx->in, sizeof in);
	SimChild *found = sim_child_find(ctx->vp, in.partition_id);
	if (!found)
		return HV_STATUS_INVALID_PARTITION_ID;
	if (found->state != SIM_CHILD_INITIALIZED)
		return HV_STATUS_INVALID_PARTITION_STATE;
	c = found;
	uint32_t rw = HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE;
	if (in.intercept_type != HV_INTERCEPT_TYPE_X64_IO_PORT || in.intercept_parameter > 0xFFFF ||
	    in.access_type_mask == 0 || (in.access_type_mask & ~rw))
		return HV_STATUS_INVALID_PARAMETER;
	uint16_t port = (uint16_t)in.intercept_parameter;
	if (in.access_type_mask & HV_INTERCEPT_ACCESS_MASK_READ)
		c->io_intercept_read[port / 8] |= (guint8)(1u << (port % 8));
	if (in.access_type_mask & HV_INTERCEPT_ACCESS_MASK_WRITE)
		c->io_intercept_write[port / 8] |= (guint8)(1u << (port % 8));
	sim_child_note(ctx->vp, c, "I/O port 0x%x %s intercepted", port,
	               in.access_type_mask == rw ? "reads and writes" :
	               (in.access_type_mask & HV_INTERCEPT_ACCESS_MASK_READ) ? "reads" : "writes");
	return HV_STATUS_SUCCESS;
}

/* ---- Partition management (facts §3.6, §3.7) ---------------------------------
 * The root partition's calls on its children. The dispatcher has already
 * checked the CreatePartitions right (ACCESS_DENIED otherwise), the form
 * (memory only, no reps) and the blocks; these handlers check the input.
 *
 * Which partition a call may name: a live child of the caller. Id 0
 * (HV_PARTITION_ID_INVALID), HV_PARTITION_ID_SELF, ids never allocated,
 * deleted children and other partitions' children are all
 * HV_STATUS_INVALID_PARTITION_ID (a partition cannot initialize, finalize or
 * delete itself or a partition it did not create).
 *
 * The life cycle only moves forward; a call out of order is
 * HV_STATUS_INVALID_PARTITION_STATE and changes nothing:
 *
 *   from \ call   Initialize   Finalize   Delete
 *   created       ok           ok         state
 *   initialized   state        ok         state
 *   finalized     state        state      ok (the id is gone afterwards)
 *
 * Initialize runs once (it freezes the early properties). Finalize may skip
 * Initialize (a parent abandoning a half-built child) and tears the child
 * down; after it "only deletion is allowed" (facts §3.7), so Delete needs a
 * finalized child and every other call on a finalized child, including
 * GetPartitionProperty, is INVALID_PARTITION_STATE. */
static const bool child_transition_ok[SIM_CHILD_DELETED + 1][SIM_CHILD_DELETED + 1] = {
	[SIM_CHILD_CREATED] = { [SIM_CHILD_INITIALIZED] = true, [SIM_CHILD_FINALIZED] = true },
	[SIM_CHILD_INITIALIZED] = { [SIM_CHILD_FINALIZED] = true },
	[SIM_CHILD_FINALIZED] = { [SIM_CHILD_DELETED] = true },
};

static uint16_t call_create_partition(HvCallCtx *ctx)
{
	struct hv_input_create_partition in;
	memcpy(&in, ctx->in, sizeof in);
	/* Flags, proximity, compatibility version and the disabled feature masks
	 * are kept as given (nothing runs yet that they could affect); the pad
	 * field is ignored; RsvdZ must be zero. */
	if (in.rsvd_z != 0)
		return HV_STATUS_INVALID_PARAMETER;
	SimChild *c = sim_child_create(ctx->vp, &in);
	if (!c)
		return HV_STATUS_INSUFFICIENT_MEMORY; /* pool of SIM_CHILD_MAX full; deposits come later */
	struct hv_output_create_partition o = { .new_partition_id = c->id };
	memcpy(ctx->out, &o, sizeof o);
	return HV_STATUS_SUCCESS;
}

static uint16_t child_transition(HvCallCtx *ctx, SimChildState to)
{
	struct hv_input_partition_id in;
	memcpy(&in, ctx->in, sizeof in);
	SimChild *c = sim_child_find(ctx->vp, in.partition_id);
	if (!c)
		return HV_STATUS_INVALID_PARTITION_ID;
	if (!child_transition_ok[c->state][to])
		return HV_STATUS_INVALID_PARTITION_STATE;
	sim_child_set_state(ctx->vp, c, to);
	return HV_STATUS_SUCCESS;
}

static uint16_t call_initialize_partition(HvCallCtx *ctx)
{
	return child_transition(ctx, SIM_CHILD_INITIALIZED);
}

static uint16_t call_finalize_partition(HvCallCtx *ctx)
{
	return child_transition(ctx, SIM_CHILD_FINALIZED);
}

static uint16_t call_delete_partition(HvCallCtx *ctx)
{
	return child_transition(ctx, SIM_CHILD_DELETED);
}

/* The facts sheet names no property codes, so the model supports none yet:
 * after the reserved field and the id are checked, every code is
 * HV_STATUS_UNKNOWN_PROPERTY. Reading is allowed on a live child and on
 * the caller itself (SELF or its own id). */
static uint16_t call_get_partition_property(HvCallCtx *ctx)
{
	struct hv_input_get_partition_property in;
	memcpy(&in, ctx->in, sizeof in);
	if (in.rsvd_z != 0)
		return HV_STATUS_INVALID_PARAMETER;
	if (in.partition_id != HV_PARTITION_ID_SELF && in.partition_id != ctx->vp->partition->id) {
		SimChild *c = sim_child_find(ctx->vp, in.partition_id);
		if (!c)
			return HV_STATUS_INVALID_PARTITION_ID;
		if (c->state == SIM_CHILD_FINALIZED)
			return HV_STATUS_INVALID_PARTITION_STATE;
	}
	return HV_STATUS_UNKNOWN_PROPERTY;
}

/* ---- Child resources: memory, VPs, the GPA map (facts §3.6, §3.7) ------------
 * Which child a call may name: as above (a live child of the caller,
 * otherwise INVALID_PARTITION_ID; a deleted child is gone, so its id is
 * INVALID_PARTITION_ID too). In which state:
 *
 *   call \ state      created   initialized   finalized
 *   DepositMemory     ok        ok            state
 *   Create/DeleteVp   state     ok            state
 *   Map/UnmapGpaPages state     ok            state
 *
 * Rep calls (DepositMemory, Map/UnmapGpaPages) check the header first (a
 * bad header does nothing, reps_done = the start index), then each rep in
 * order: a bad rep stops the call with its status, the reps before it stay
 * done and reps_done names the bad one; the bad rep itself leaves nothing. */

/* A page of the caller's RAM that may be handed to a child: inside its
 * GPA space (RAM) and not the hypercall page overlay. */
static bool root_page_ok(SimPartition *p, uint64_t page)
{
	if (page > (UINT64_MAX >> HV_PAGE_SHIFT) ||
	    !sim_memory_range_ok(&p->mem, page << HV_PAGE_SHIFT, HV_PAGE_SIZE))
		return false;
	return !(p->hcpage_active && page == p->hcpage_gpa >> HV_PAGE_SHIFT);
}

/* DepositMemory: the pages move from the root's RAM to the child's pool.
 * A page outside root RAM, the hypercall page or a page already deposited
 * (to this or any child) is INVALID_PARAMETER. A child's pool holds at most
 * SIM_CHILD_DEPOSIT_MAX pages; the next one is HV_STATUS_NO_RESOURCES
 * (not INSUFFICIENT_MEMORY: that would tell the parent to deposit more). */
static uint16_t call_deposit_memory(HvCallCtx *ctx)
{
	struct hv_input_deposit_memory hdr;
	SimPartition *p = ctx->vp->partition;
	memcpy(&hdr, ctx->in, sizeof hdr);
	SimChild *c = sim_child_find(ctx->vp, hdr.partition_id);
	if (!c)
		return HV_STATUS_INVALID_PARTITION_ID;
	if (c->state == SIM_CHILD_FINALIZED)
		return HV_STATUS_INVALID_PARTITION_STATE;
	if (!c->deposited)
		c->deposited = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (uint16_t i = ctx->ctl->rep_start; i < ctx->ctl->rep_count; i++) {
		uint64_t page;
		memcpy(&page, ctx->in + sizeof hdr + 8u * i, sizeof page);
		if (!root_page_ok(p, page) || sim_child_page_deposited(p->machine, page))
			return HV_STATUS_INVALID_PARAMETER;
		if (g_hash_table_size(c->deposited) >= SIM_CHILD_DEPOSIT_MAX)
			return HV_STATUS_NO_RESOURCES;
		g_hash_table_add(c->deposited, GUINT_TO_POINTER((guint)page));
		sim_child_note(ctx->vp, c, "page 0x%" G_GINT64_MODIFIER "x deposited", page);
		ctx->reps_done = i + 1;
	}
	return HV_STATUS_SUCCESS;
}

/* A child that may get or lose VPs and mappings: initialized, not finalized. */
static uint16_t find_initialized_child(HvCallCtx *ctx, uint64_t id, SimChild **out)
{
	SimChild *c = sim_child_find(ctx->vp, id);
	if (!c)
		return HV_STATUS_INVALID_PARTITION_ID;
	if (c->state != SIM_CHILD_INITIALIZED)
		return HV_STATUS_INVALID_PARTITION_STATE;
	*out = c;
	return HV_STATUS_SUCCESS;
}

/* CreateVp: the index must be below the model's SIM_CHILD_VP_MAX and, with
 * a product profile, below its VP limit (sim_profile_check_vps);
 * otherwise INVALID_VP_INDEX. An index that already has a VP is
 * OBJECT_IN_USE. RsvdZ and Flags must be zero (INVALID_PARAMETER);
 * SubnodeType, SubnodeId and ProximityDomainInfo are accepted and ignored
 * (the model has one NUMA node). */
static uint16_t call_create_vp(HvCallCtx *ctx)
{
	struct hv_input_create_vp in;
	SimChild *c;
	memcpy(&in, ctx->in, sizeof in);
	uint16_t st = find_initialized_child(ctx, in.partition_id, &c);
	if (st != HV_STATUS_SUCCESS)
		return st;
	if (in.rsvd_z[0] || in.rsvd_z[1] || in.rsvd_z[2] || in.flags != 0)
		return HV_STATUS_INVALID_PARAMETER;
	g_autoptr(GError) limit = NULL;
	if (!sim_profile_check_vps(ctx->vp->partition->machine->config.profile, (guint)MIN(in.vp_index, 0xFFFFu) + 1, &limit)) {
		/* The product's own words, in the trace and on the console. */
		sim_vp_message(ctx->vp, "CreateVp for partition %" G_GUINT64_FORMAT ": %s", c->id, limit->message);
		return HV_STATUS_INVALID_VP_INDEX;
	}
	if (in.vp_index >= SIM_CHILD_VP_MAX)
		return HV_STATUS_INVALID_VP_INDEX;
	if (c->vps & (1u << in.vp_index))
		return HV_STATUS_OBJECT_IN_USE;
	GError *error = NULL;
	SimVp *nvp = sim_vp_new(c->part, in.vp_index, &error);
	if (!nvp) {
		sim_vp_message(ctx->vp, "cannot create VP %u of partition %" G_GUINT64_FORMAT ": %s", in.vp_index,
		               c->id, error->message);
		g_error_free(error);
		return HV_STATUS_NO_RESOURCES;
	}
	/* It waits, suspended, for its parent to set its state and start it. */
	nvp->explicit_suspend = true;
	nvp->boot_pending = true;
	g_ptr_array_add(c->part->vps, nvp);
	c->vps |= 1u << in.vp_index;
	sim_child_note(ctx->vp, c, "VP %u created, ExplicitSuspend set", in.vp_index);
	return HV_STATUS_SUCCESS;
}

/* DeleteVp: an index with no VP is INVALID_VP_INDEX. */
static uint16_t call_delete_vp(HvCallCtx *ctx)
{
	struct hv_input_delete_vp in;
	SimChild *c;
	memcpy(&in, ctx->in, sizeof in);
	uint16_t st = find_initialized_child(ctx, in.partition_id, &c);
	if (st != HV_STATUS_SUCCESS)
		return st;
	if (in.rsvd_z != 0)
		return HV_STATUS_INVALID_PARAMETER;
	if (in.vp_index >= SIM_CHILD_VP_MAX || !(c->vps & (1u << in.vp_index)))
		return HV_STATUS_INVALID_VP_INDEX;
	c->vps &= ~(1u << in.vp_index);
	SimVp *dvp = sim_partition_vp(c->part, in.vp_index);
	if (dvp) {
		g_ptr_array_remove(c->part->vps, dvp);
		sim_vp_free(dvp);
	}
	sim_child_note(ctx->vp, c, "VP %u deleted", in.vp_index);
	return HV_STATUS_SUCCESS;
}

#define CHILD_GPA_PAGES (1ull << (VMX_EPT_GPA_BITS - HV_PAGE_SHIFT)) /* what 4-level EPT maps */

static bool child_page_mapped(SimChild *c, uint64_t gpa_page)
{
	guint64 key = gpa_page;
	return c->mapped && g_hash_table_contains(c->mapped, &key);
}

/* MapGpaPages: rep i maps child page TargetGpaBase + i to the caller's page
 * list[i] in the child's EPT. Flags: only the permission bits 3:0 are
 * modelled (special backing, no-overlay, not-cached and unknown bits are
 * INVALID_PARAMETER), at least one must be set and writable needs readable
 * (EPT cannot express write-only). Kernel- and user-executable both become
 * EPT X (no mode-based execute). The header's range must fit the 48-bit
 * GPA space. A source page must be root RAM, not the hypercall page and not
 * deposited to a child (deposited pages belong to the hypervisor's pool);
 * it may be mapped more than once. A target page that is already mapped is
 * INVALID_PARAMETER. The model bounds a child to SIM_CHILD_MAP_MAX mapped
 * pages and SIM_CHILD_EPT_TABLES tables: beyond them NO_RESOURCES. */
static uint16_t call_map_gpa_pages(HvCallCtx *ctx)
{
	struct hv_input_map_gpa_pages hdr;
	SimPartition *p = ctx->vp->partition;
	SimChild *c;
	memcpy(&hdr, ctx->in, sizeof hdr);
	uint16_t st = find_initialized_child(ctx, hdr.target_partition_id, &c);
	if (st != HV_STATUS_SUCCESS)
		return st;
	uint64_t f = hdr.map_flags;
	if ((f & ~HV_MAP_GPA_PERMISSIONS_MASK) || f == 0 ||
	    ((f & HV_MAP_GPA_WRITABLE) && !(f & HV_MAP_GPA_READABLE)))
		return HV_STATUS_INVALID_PARAMETER;
	if (hdr.target_gpa_base >= CHILD_GPA_PAGES || ctx->ctl->rep_count > CHILD_GPA_PAGES - hdr.target_gpa_base)
		return HV_STATUS_INVALID_PARAMETER;
	unsigned perms = ((f & HV_MAP_GPA_READABLE) ? VMX_EPT_READ : 0) |
	                 ((f & HV_MAP_GPA_WRITABLE) ? VMX_EPT_WRITE : 0) |
	                 ((f & (HV_MAP_GPA_KERNEL_EXECUTABLE | HV_MAP_GPA_USER_EXECUTABLE)) ? VMX_EPT_EXEC : 0);
	for (uint16_t i = ctx->ctl->rep_start; i < ctx->ctl->rep_count; i++) {
		uint64_t src, dst = hdr.target_gpa_base + i;
		memcpy(&src, ctx->in + sizeof hdr + 8u * i, sizeof src);
		if (!root_page_ok(p, src) || sim_child_page_deposited(p->machine, src) || child_page_mapped(c, dst))
			return HV_STATUS_INVALID_PARAMETER;
		if (!sim_child_map_page(c, dst, src, perms))
			return HV_STATUS_NO_RESOURCES;
		sim_child_note(ctx->vp, c, "GPA 0x%" G_GINT64_MODIFIER "x mapped to 0x%" G_GINT64_MODIFIER "x",
		               dst << HV_PAGE_SHIFT, src << HV_PAGE_SHIFT);
		ctx->reps_done = i + 1;
	}
	return HV_STATUS_SUCCESS;
}

/* UnmapGpaPages: rep i unmaps child page TargetGpaBase + i. UnmapFlags
 * must be 0 (no large pages); the padding after it is ignored. A page that
 * is not mapped is INVALID_PARAMETER. */
static uint16_t call_unmap_gpa_pages(HvCallCtx *ctx)
{
	struct hv_input_unmap_gpa_pages hdr;
	SimChild *c;
	memcpy(&hdr, ctx->in, sizeof hdr);
	uint16_t st = find_initialized_child(ctx, hdr.target_partition_id, &c);
	if (st != HV_STATUS_SUCCESS)
		return st;
	if (hdr.unmap_flags != 0 || hdr.target_gpa_base >= CHILD_GPA_PAGES ||
	    ctx->ctl->rep_count > CHILD_GPA_PAGES - hdr.target_gpa_base)
		return HV_STATUS_INVALID_PARAMETER;
	for (uint16_t i = ctx->ctl->rep_start; i < ctx->ctl->rep_count; i++) {
		uint64_t dst = hdr.target_gpa_base + i;
		if (!child_page_mapped(c, dst))
			return HV_STATUS_INVALID_PARAMETER;
		sim_child_unmap_page(c, dst);
		sim_child_note(ctx->vp, c, "GPA 0x%" G_GINT64_MODIFIER "x unmapped", dst << HV_PAGE_SHIFT);
		ctx->reps_done = i + 1;
	}
	return HV_STATUS_SUCCESS;
}

#define PRIV_CREATE_PARTITIONS SIM_PRIV_HV_RIGHTS(HV_PRIV_CREATE_PARTITIONS)
#define PRIV_MEMORY_POOL SIM_PRIV_HV_RIGHTS(HV_PRIV_ACCESS_MEMORY_POOL)

static const HvCallDef call_table[] = {
	{ HVCALL_NOTIFY_LONG_SPIN_WAIT, HVC_FAST | HVC_MEMORY, 0, 8, 0, 0, 0, call_notify_long_spin_wait },
	{ HVCALL_GET_PARTITION_ID, HVC_MEMORY, (uint64_t)HV_PRIV_ACCESS_PARTITION_ID << 32, 0, 0, 8, 0, call_get_partition_id },
	{ HVCALL_GET_VP_REGISTERS, HVC_REP | HVC_MEMORY, (uint64_t)HV_PRIV_ACCESS_VP_REGISTERS << 32,
	  sizeof(struct hv_input_get_vp_registers), 4, 0, sizeof(struct hv_register_value), call_get_vp_registers },
	{ HVCALL_SET_VP_REGISTERS, HVC_REP | HVC_MEMORY, (uint64_t)HV_PRIV_ACCESS_VP_REGISTERS << 32,
	  sizeof(struct hv_input_get_vp_registers), sizeof(struct hv_register_assoc), 0, 0, call_set_vp_registers },
	{ HVCALL_INSTALL_INTERCEPT, HVC_MEMORY, PRIV_CREATE_PARTITIONS,
	  sizeof(struct hv_input_install_intercept), 0, 0, 0, call_install_intercept },
	{ HVCALL_CREATE_PARTITION, HVC_MEMORY, PRIV_CREATE_PARTITIONS,
	  sizeof(struct hv_input_create_partition), 0, sizeof(struct hv_output_create_partition), 0, call_create_partition },
	{ HVCALL_INITIALIZE_PARTITION, HVC_MEMORY, PRIV_CREATE_PARTITIONS,
	  sizeof(struct hv_input_partition_id), 0, 0, 0, call_initialize_partition },
	{ HVCALL_FINALIZE_PARTITION, HVC_MEMORY, PRIV_CREATE_PARTITIONS,
	  sizeof(struct hv_input_partition_id), 0, 0, 0, call_finalize_partition },
	{ HVCALL_DELETE_PARTITION, HVC_MEMORY, PRIV_CREATE_PARTITIONS,
	  sizeof(struct hv_input_partition_id), 0, 0, 0, call_delete_partition },
	{ HVCALL_GET_PARTITION_PROPERTY, HVC_MEMORY, PRIV_CREATE_PARTITIONS,
	  sizeof(struct hv_input_get_partition_property), 0, sizeof(struct hv_output_get_partition_property), 0,
	  call_get_partition_property },
	{ HVCALL_DEPOSIT_MEMORY, HVC_REP | HVC_MEMORY, PRIV_MEMORY_POOL,
	  sizeof(struct hv_input_deposit_memory), 8, 0, 0, call_deposit_memory },
	{ HVCALL_CREATE_VP, HVC_MEMORY, PRIV_CREATE_PARTITIONS,
	  sizeof(struct hv_input_create_vp), 0, 0, 0, call_create_vp },
	{ HVCALL_DELETE_VP, HVC_MEMORY, PRIV_CREATE_PARTITIONS,
	  sizeof(struct hv_input_delete_vp), 0, 0, 0, call_delete_vp },
	{ HVCALL_MAP_GPA_PAGES, HVC_REP | HVC_MEMORY, PRIV_CREATE_PARTITIONS,
	  sizeof(struct hv_input_map_gpa_pages), 8, 0, 0, call_map_gpa_pages },
	{ HVCALL_UNMAP_GPA_PAGES, HVC_REP | HVC_MEMORY, PRIV_CREATE_PARTITIONS,
	  sizeof(struct hv_input_unmap_gpa_pages), 0, 0, 0, call_unmap_gpa_pages },
	/* Ports, connections, messages and events: hv-port.c. */
	{ HVCALL_CREATE_PORT, HVC_MEMORY, SIM_PRIV_HV_RIGHTS(HV_PRIV_CREATE_PORT),
	  sizeof(struct hv_input_create_port), 0, 0, 0, sim_hv_call_create_port },
	{ HVCALL_CONNECT_PORT, HVC_MEMORY, SIM_PRIV_HV_RIGHTS(HV_PRIV_CONNECT_PORT),
	  sizeof(struct hv_input_connect_port), 0, 0, 0, sim_hv_call_connect_port },
	{ HVCALL_POST_MESSAGE, HVC_MEMORY, SIM_PRIV_HV_RIGHTS(HV_PRIV_POST_MESSAGES),
	  sizeof(struct hv_input_post_message), 0, 0, 0, sim_hv_call_post_message },
	{ HVCALL_SIGNAL_EVENT, HVC_FAST | HVC_MEMORY, SIM_PRIV_HV_RIGHTS(HV_PRIV_SIGNAL_EVENTS),
	  sizeof(struct hv_input_signal_event), 0, 0, 0, sim_hv_call_signal_event },
	{ HVCALL_DELETE_PORT, HVC_MEMORY, SIM_PRIV_HV_RIGHTS(HV_PRIV_CREATE_PORT),
	  sizeof(struct hv_input_delete_port), 0, 0, 0, sim_hv_call_delete_port },
	{ HVCALL_DISCONNECT_PORT, HVC_MEMORY, SIM_PRIV_HV_RIGHTS(HV_PRIV_CONNECT_PORT),
	  sizeof(struct hv_input_disconnect_port), 0, 0, 0, sim_hv_call_disconnect_port },
};

static const HvCallDef *find_call(uint16_t code)
{
	for (gsize i = 0; i < G_N_ELEMENTS(call_table); i++)
		if (call_table[i].code == code)
			return &call_table[i];
	return NULL;
}

/* ---- Dispatch --------------------------------------------------------------- */

static uint64_t round8(uint64_t n)
{
	return (n + 7) & ~7ull;
}

/* Every check that does not need the call's own logic, in the order the
 * TLFS lists the failures. */
static uint16_t validate(SimVp *vp, const HvControl *ctl, const HvCallDef *def,
                         uint64_t in_gpa, uint64_t out_gpa, uint64_t *in_len, uint64_t *out_len)
{
	if (ctl->reserved_set || ctl->varhead_qwords != 0)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (!def)
		return HV_STATUS_INVALID_HYPERCALL_CODE;
	if (def->flags & HVC_REP) {
		if (ctl->rep_count == 0 || ctl->rep_start >= ctl->rep_count)
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
	} else if (ctl->rep_count != 0 || ctl->rep_start != 0) {
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	}
	if (ctl->fast ? !(def->flags & HVC_FAST) : !(def->flags & HVC_MEMORY))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if ((vp->partition->privileges & def->privilege) != def->privilege)
		return HV_STATUS_ACCESS_DENIED;

	*in_len = round8((uint64_t)def->in_header + (uint64_t)ctl->rep_count * def->in_rep);
	*out_len = (uint64_t)def->out_header + (uint64_t)ctl->rep_count * def->out_rep;
	if (ctl->fast) {
		/* Register form: at most 16 bytes in RDX:R8, no output. */
		if (*in_len > 16 || *out_len != 0)
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
		return HV_STATUS_SUCCESS;
	}
	uint16_t st;
	if (*in_len && (st = hv_check_block(&vp->partition->mem, in_gpa, *in_len)) != HV_STATUS_SUCCESS)
		return st;
	if (*out_len && (st = hv_check_block(&vp->partition->mem, out_gpa, *out_len)) != HV_STATUS_SUCCESS)
		return st;
	return HV_STATUS_SUCCESS;
}

SimExitAction sim_hv_hypercall(SimVp *vp, SimExit *exit)
{
	const SimBackendOps *be = vp->partition->machine->backend;
	SimPartition *p = vp->partition;

	static const SimReg operands[] = { SIM_REG_CS, SIM_REG_RCX, SIM_REG_RDX, SIM_REG_R8 };
	uint64_t op[G_N_ELEMENTS(operands)];
	be->regs_get(vp, operands, op, G_N_ELEMENTS(operands));

	/* Hypercalls are a ring 0 interface: from ring 3, or before the guest
	 * enabled the hypercall page, the instruction is undefined (#UD). */
	uint8_t cpl = op[0] & 3;
	if (cpl != 0 || !p->hcpage_active) {
		sim_vp_message(vp, "%s at RIP 0x%" G_GINT64_MODIFIER "x %s: #UD injected",
		               p->machine->config.vendor == SIM_VENDOR_INTEL ? "VMCALL" : "VMMCALL",
		               exit->vmx.guest_rip,
		               cpl != 0 ? "from ring 3" : "before the hypercall page was enabled");
		vmx_inject_event(vp->vmcs, X86_VEC_UD, VMX_INTR_TYPE_HARD_EXCEPTION, false, 0, 0);
		return SIM_RESUME_SAME;
	}

	uint64_t rcx = op[1], rdx = op[2], r8 = op[3];
	HvControl ctl;
	hv_control_decode(rcx, &ctl);
	const HvCallDef *def = find_call(ctl.code);

	uint64_t in_len = 0, out_len = 0;
	guint8 in[HV_PAGE_SIZE];
	guint8 out[HV_PAGE_SIZE];
	HvCallCtx ctx = { .vp = vp, .ctl = &ctl, .in = in, .out = out, .reps_done = 0 };

	uint16_t status = validate(vp, &ctl, def, rdx, r8, &in_len, &out_len);
	if (status == HV_STATUS_SUCCESS) {
		ctx.reps_done = ctl.rep_start; /* reps before the start index were done by earlier calls */
		if (ctl.fast) {
			memset(in, 0, 16);
			memcpy(in, &rdx, 8);
			memcpy(in + 8, &r8, 8);
		} else if (in_len) {
			sim_memory_read(&p->mem, rdx, in, in_len);
		}
		if (out_len)
			memset(out, 0, out_len);
		status = def->func(&ctx);
		if (out_len && (def->flags & HVC_REP)) {
			/* A rep call writes the elements of the reps it completed, and
			 * only those: earlier reps (before the start index) and reps
			 * it did not reach keep what the guest had there. */
			uint64_t first = def->out_header + (uint64_t)ctl.rep_start * def->out_rep;
			uint64_t last = def->out_header + (uint64_t)ctx.reps_done * def->out_rep;
			if (def->out_header)
				sim_memory_write(&p->mem, r8, out, def->out_header);
			if (last > first)
				sim_memory_write(&p->mem, r8 + first, out + first, last - first);
		} else if (out_len && status == HV_STATUS_SUCCESS) {
			sim_memory_write(&p->mem, r8, out, out_len);
		}
	}
	uint16_t reps = (def && (def->flags & HVC_REP)) ? ctx.reps_done : 0;
	exit->set_rax = true;
	exit->rax = (uint64_t)status | ((uint64_t)reps << HV_HYPERCALL_RESULT_REPS_SHIFT);

	SimEvent ev;
	sim_event_init(&ev, SIM_EV_HYPERCALL);
	ev.u.hypercall.code = ctl.code;
	ev.u.hypercall.status = status;
	ev.u.hypercall.fast = ctl.fast;
	ev.u.hypercall.rep_count = ctl.rep_count;
	ev.u.hypercall.rep_start = ctl.rep_start;
	ev.u.hypercall.reps_done = reps;
	ev.u.hypercall.input = rdx;
	ev.u.hypercall.output = r8;
	sim_vp_emit(vp, &ev);
	return SIM_RESUME_NEXT;
}
