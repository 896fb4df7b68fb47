/* hv-partition.c — child partitions as hypervisor bookkeeping: id
 * allocation, the parent link and the life-cycle state (facts §3.7).
 * Sim thread, ring -1: called by the partition-management hypercalls in
 * hv-hypercall.c, which have already checked the caller's rights and input.
 *
 * A child here has no memory and no VPs yet, and it is deliberately not in
 * the machine's `partitions` list: the scheduler only runs what is there,
 * so a child cannot run until later steps give it VPs and a place in it. */
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

void sim_child_set_state(SimVp *caller, SimChild *c, SimChildState state)
{
	g_assert(state > c->state); /* the life cycle only moves forward */
	c->state = state;
	child_event(caller, c, state);
	if (state == SIM_CHILD_DELETED) {
		g_ptr_array_remove(caller->partition->machine->children, c);
		g_free(c);
	}
}

void sim_machine_children_free(SimMachine *m)
{
	for (guint i = 0; i < m->children->len; i++)
		g_free(g_ptr_array_index(m->children, i));
	g_ptr_array_free(m->children, TRUE);
}
