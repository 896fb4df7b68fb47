/* hv-partition.c — child partitions as hypervisor bookkeeping: id
 * allocation, the parent link and the life-cycle state (facts §3.7).
 * Sim thread, ring -1: called by the partition-management hypercalls in
 * hv-hypercall.c, which have already checked the caller's rights and input.
 *
 * A child here has deposited pages, VP slots and a GPA map (an EPT) but does
 * not run yet, and it is deliberately not in
 * the machine's `partitions` list: the scheduler only runs what is there,
 * so a child cannot run until later steps give it VPs and a place in it. */
#include <stdarg.h>
#include <string.h>

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
	g_ptr_array_add(m->children, c);
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
	if (!c->mapped)
		c->mapped = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	if (g_hash_table_size(c->mapped) >= SIM_CHILD_MAP_MAX)
		return false;
	if (!c->ept_arena) {
		c->ept_arena = g_malloc0((gsize)SIM_CHILD_EPT_TABLES * HV_PAGE_SIZE);
		c->ept_used = 0;
		c->eptp = arena_alloc(c) | VMX_EPTP_WALK_4 | VMX_EPT_MT_WB;
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
	g_hash_table_insert(c->mapped, key, GUINT_TO_POINTER((guint)root_page));
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
}

void sim_child_set_state(SimVp *caller, SimChild *c, SimChildState state)
{
	g_assert(state > c->state); /* the life cycle only moves forward */
	c->state = state;
	/* Finalize deletes the remaining VPs and the GPA map (facts §3.7);
	 * the deposited pages stay with the child until it is deleted. */
	if (state == SIM_CHILD_FINALIZED)
		sim_child_teardown(c);
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
