/* hv-partition.c — child partitions as hypervisor bookkeeping: id
 * allocation, the parent link and the life-cycle state (facts §3.7).
 * Sim thread, ring -1: called by the partition-management hypercalls in
 * hv-hypercall.c, which have already checked the caller's rights and input.
 *
 * A child has two halves: this bookkeeping (SimChild: deposited pages, the
 * GPA map as an EPT, intercepts) and a SimPartition the scheduler runs (its
 * VPs, a memory view through the GPA map, its console). The partition is in
 * the machine's list from creation on, but has no VP to run until the
 * parent creates one and clears its ExplicitSuspend register. */
#include <stdarg.h>
#include <string.h>

#include "hv-port.h"
#include "sim-private.h"

uint64_t sim_machine_alloc_partition_id(SimMachine *m)
{
	/* Monotonic: a deleted partition's id is never handed out again, so a
	 * stale id held by a buggy parent can only ever name nothing. The
	 * counter cannot realistically reach HV_PARTITION_ID_SELF (2^64 - 1);
	 * the assert documents that the two must never meet. */
	g_assert(m->next_partition_id != HV_PARTITION_ID_INVALID &&
	         m->next_partition_id != HV_PARTITION_ID_SELF);
	return m->next_partition_id++;
}

/* One `child` event per state change, emitted as the parent's VP. */
static void child_event(SimVp *caller, const SimChild *c, SimChildState state)
{
	SimEvent ev;
	sim_event_init(&ev, SIM_EV_CHILD);
	ev.u.child.child = c->id;
	ev.u.child.state = (uint8_t)state;
	g_snprintf(ev.text, sizeof ev.text, "partition %" G_GUINT64_FORMAT " %s by partition %u",
	           c->id, sim_child_state_name(state), caller->partition->id);
	sim_vp_emit(caller, &ev);
}

SimChild *sim_child_create(SimVp *caller, const struct hv_input_create_partition *in)
{
	SimMachine *m = caller->partition->machine;

	/* The pool bounds what a hostile parent can make the host allocate. */
	if (m->children->len >= SIM_CHILD_MAX)
		return NULL;
	SimChild *c = g_new0(SimChild, 1);
	c->id = sim_machine_alloc_partition_id(m);
	c->parent = caller->partition->id;
	c->state = SIM_CHILD_CREATED;
	c->create = *in;
	c->mapped = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	g_ptr_array_add(m->children, c);

	char *name = g_strdup_printf("child %" G_GUINT64_FORMAT, c->id);
	SimPartition *p = sim_partition_new(m, (uint32_t)c->id, name, "loaded by its parent");
	g_free(name);
	p->child = c;
	p->parent_id = c->parent;
	p->hv_active = true;   /* born under the hypervisor */
	/* Facts §1.3 teaching model: a child may post messages and signal
	 * events (VMBus needs both), nothing that manages partitions. */
	p->privileges = SIM_PRIV_GUEST | SIM_PRIV_HV_RIGHTS(HV_PRIV_POST_MESSAGES | HV_PRIV_SIGNAL_EVENTS);
	p->mem.backing = &caller->partition->mem;
	p->mem.slat = c->mapped;
	c->part = p;
	g_ptr_array_add(m->partitions, p);
	child_event(caller, c, SIM_CHILD_CREATED);
	return c;
}

SimChild *sim_child_find(SimVp *caller, uint64_t id)
{
	GPtrArray *children = caller->partition->machine->children;

	/* 0 and SELF are never allocated, so they fall through to NULL. */
	for (guint i = 0; i < children->len; i++) {
		SimChild *c = g_ptr_array_index(children, i);
		if (c->id == id)
			return c->parent == caller->partition->id ? c : NULL;
	}
	return NULL;
}

/* ---- Resources: deposited pages, VPs, the GPA map ------------------------------ */

void sim_child_teardown(SimChild *c)
{
	SimPartition *p = c->part;
	if (p) {
		for (guint i = 0; i < p->vps->len; i++)
			sim_vp_free(g_ptr_array_index(p->vps, i));
		g_ptr_array_set_size(p->vps, 0);
	}
	c->map_generation++;
	c->vps = 0;
	g_clear_pointer(&c->ept_arena, g_free);
	c->ept_used = 0;
	c->eptp = 0;
	if (c->mapped)
		g_hash_table_remove_all(c->mapped);
}

static void child_free(SimChild *c)
{
	sim_child_teardown(c);
	if (c->part) {
		/* The partition stays for the summary, without memory. */
		c->part->child = NULL;
		c->part->mem.slat = NULL;
		c->part->mem.backing = NULL;
		c->part->mem.size = 0;
		c->part->deleted = true;
	}
	g_clear_pointer(&c->mapped, g_hash_table_destroy);
	/* Deleting a child gives its deposited pages back to the parent. */
	g_clear_pointer(&c->deposited, g_hash_table_destroy);
	g_free(c);
}

void sim_child_note(SimVp *caller, const SimChild *c, const char *fmt, ...)
{
	SimEvent ev;
	char what[96];
	va_list ap;
	va_start(ap, fmt);
	g_vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	sim_event_init(&ev, SIM_EV_CHILD);
	ev.u.child.child = c->id;
	ev.u.child.state = (uint8_t)c->state;
	g_snprintf(ev.text, sizeof ev.text, "partition %" G_GUINT64_FORMAT ": %s by partition %u",
	           c->id, what, caller->partition->id);
	sim_vp_emit(caller, &ev);
}

bool sim_child_page_deposited(SimMachine *m, uint64_t page)
{
	if (page > G_MAXUINT)
		return false; /* never deposited: deposits are inside root RAM */
	for (guint i = 0; i < m->children->len; i++) {
		SimChild *c = g_ptr_array_index(m->children, i);
		if (c->deposited && g_hash_table_contains(c->deposited, GUINT_TO_POINTER((guint)page)))
			return true;
	}
	return false;
}

static bool arena_read(void *ctx, uint64_t spa, void *buf, size_t len)
{
	SimChild *c = ctx;
	uint64_t size = (uint64_t)SIM_CHILD_EPT_TABLES * HV_PAGE_SIZE;
	if (!c->ept_arena || spa < SIM_CHILD_EPT_BASE || spa - SIM_CHILD_EPT_BASE > size ||
	    len > size - (spa - SIM_CHILD_EPT_BASE))
		return false;
	memcpy(buf, c->ept_arena + (spa - SIM_CHILD_EPT_BASE), len);
	return true;
}

static bool arena_write(void *ctx, uint64_t spa, const void *buf, size_t len)
{
	SimChild *c = ctx;
	uint64_t size = (uint64_t)SIM_CHILD_EPT_TABLES * HV_PAGE_SIZE;
	if (!c->ept_arena || spa < SIM_CHILD_EPT_BASE || spa - SIM_CHILD_EPT_BASE > size ||
	    len > size - (spa - SIM_CHILD_EPT_BASE))
		return false;
	memcpy(c->ept_arena + (spa - SIM_CHILD_EPT_BASE), buf, len);
	return true;
}

/* Tables come zeroed from the arena (g_malloc0), never freed until teardown. */
static uint64_t arena_alloc(void *ctx)
{
	SimChild *c = ctx;
	if (c->ept_used >= SIM_CHILD_EPT_TABLES)
		return 0;
	return SIM_CHILD_EPT_BASE + (uint64_t)c->ept_used++ * HV_PAGE_SIZE;
}

void sim_child_ept_mem(SimChild *c, VmxEptMem *mem)
{
	mem->read = arena_read;
	mem->write = arena_write;
	mem->ctx = c;
}

bool sim_child_map_page(SimChild *c, uint64_t gpa_page, uint64_t root_page, unsigned perms)
{
	if (g_hash_table_size(c->mapped) >= SIM_CHILD_MAP_MAX)
		return false;
	if (!c->ept_arena) {
		c->ept_arena = g_malloc0((gsize)SIM_CHILD_EPT_TABLES * HV_PAGE_SIZE);
		c->ept_used = 0;
		c->eptp = arena_alloc(c) | VMX_EPTP_WALK_4 | VMX_EPT_MT_WB;
		/* Every VMCS of the child now points at the new map. */
		if (c->part)
			for (guint i = 0; i < c->part->vps->len; i++) {
				SimVp *vp = g_ptr_array_index(c->part->vps, i);
				vmx_vmcs_write(vp->vmcs, VMCS_EPT_POINTER, c->eptp);
			}
	}
	VmxEptMem mem;
	sim_child_ept_mem(c, &mem);
	/* The caller checked the arguments; only the arena can run out. A
	 * failure may leave empty tables behind, never a leaf. */
	if (vmx_ept_map(&mem, c->eptp, gpa_page << HV_PAGE_SHIFT, root_page << HV_PAGE_SHIFT,
	                HV_PAGE_SIZE, perms, arena_alloc, c) != VMX_EPT_OK)
		return false;
	guint64 *key = g_new(guint64, 1);
	*key = gpa_page;
	g_hash_table_insert(c->mapped, key, SIM_SLAT_ENTRY(root_page, perms));
	c->map_generation++;
	if (c->part)
		c->part->mem.size = MAX(c->part->mem.size, (gpa_page + 1) << HV_PAGE_SHIFT);
	return true;
}

void sim_child_unmap_page(SimChild *c, uint64_t gpa_page)
{
	VmxEptMem mem;
	guint64 key = gpa_page;
	sim_child_ept_mem(c, &mem);
	int r = vmx_ept_unmap(&mem, c->eptp, gpa_page << HV_PAGE_SHIFT, HV_PAGE_SIZE);
	g_assert(r == VMX_EPT_OK);
	g_hash_table_remove(c->mapped, &key);
	c->map_generation++;
}

void sim_child_set_state(SimVp *caller, SimChild *c, SimChildState state)
{
	g_assert(state > c->state); /* the life cycle only moves forward */
	c->state = state;
	/* Finalize deletes the remaining VPs and the GPA map (facts §3.7);
	 * the deposited pages stay with the child until it is deleted. */
	if (state == SIM_CHILD_FINALIZED) {
		if (c->part && !c->part->stopped)
			sim_partition_stop(c->part, true, 0, "finalized by its parent, partition %u", c->parent);
		if (c->part)
			sim_ports_teardown(c->part);   /* its ports and connections go too */
		sim_child_teardown(c);
	}
	child_event(caller, c, state);
	if (state == SIM_CHILD_DELETED) {
		g_ptr_array_remove(caller->partition->machine->children, c);
		child_free(c);
	}
}

void sim_machine_children_free(SimMachine *m)
{
	for (guint i = 0; i < m->children->len; i++)
		child_free(g_ptr_array_index(m->children, i));
	g_ptr_array_free(m->children, TRUE);
}
